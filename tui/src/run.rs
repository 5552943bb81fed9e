//! The interactive app's runtime: the terminal (restored on any exit, panics
//! included), one `select!` over input, the daemon and a 1 s tick, and the
//! backend task that owns the connection: it reconnects with backoff and
//! resumes the home and stream subscriptions with `since`, so nothing posted
//! while it was away is missed.

use std::io::stdout;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent, EventStream, KeyEventKind, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use roost_shared::time::now_millis;
use roost_shared::{
    Event, FollowEntry, Hello, Marker, Request, Status, Statuses, Stream, Subscribed, TimelineKind,
    User, Users,
};
use tokio::sync::mpsc;

use crate::app::{App, Effect, ListKind, Msg};
use crate::client::{Client, Failure};
use crate::keys;
use crate::ui::{self, Theme};

/// Puts the terminal back however the app ends.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        Ok(TerminalGuard)
    }
}

fn restore() {
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen
    );
    let _ = disable_raw_mode();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs the app against the daemon at `socket` until the user quits.
pub async fn run(socket: PathBuf) -> anyhow::Result<()> {
    let keys = keys::load_config().map_err(anyhow::Error::msg)?;
    let theme = Theme::from_env();
    let mut app = App::new(keys);
    let (effects_tx, effects_rx) = mpsc::unbounded_channel();
    let (msgs_tx, mut msgs) = mpsc::unbounded_channel();
    tokio::spawn(backend(socket, effects_rx, msgs_tx));

    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Killed or hung up: leave the loop so the guard restores the terminal.
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let size = terminal.size()?;
    app.update(Msg::Resize {
        height: size.height,
    });
    loop {
        terminal.draw(|frame| ui::render(&app, theme, frame))?;
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(TermEvent::Mouse(m))) => match m.kind {
                    MouseEventKind::ScrollUp => Msg::ScrollUp,
                    MouseEventKind::ScrollDown => Msg::ScrollDown,
                    _ => continue,
                },
                Some(Ok(TermEvent::Resize(_, height))) => Msg::Resize { height },
                Some(Ok(TermEvent::Paste(text))) => Msg::Paste(text),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break,
            },
            Some(msg) = msgs.recv() => msg,
            _ = tick.tick() => Msg::Tick { now_ms: now_millis() },
            _ = term.recv() => break,
            _ = hangup.recv() => break,
        };
        for effect in app.update(msg) {
            let _ = effects_tx.send(effect);
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

/// Pages of 200 read for the home timeline.
const HOME_PAGES: u32 = 5;

/// What the backend keeps across reconnects.
#[derive(Default)]
struct Subscriptions {
    home: Option<u64>,
    home_eid: Option<roost_shared::Eid>,
    stream: Option<u64>,
    stream_spec: Option<Stream>,
    stream_eid: Option<roost_shared::Eid>,
}

/// Owns the connection: connects, tells the app, carries out effects, routes
/// events, and on loss reconnects with backoff (1 s doubling to 30 s).
async fn backend(
    socket: PathBuf,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    msgs: mpsc::UnboundedSender<Msg>,
) {
    let mut subs = Subscriptions::default();
    let mut attempt: u32 = 0;
    loop {
        let _ = msgs.send(Msg::Connecting);
        if let Ok((client, mut events)) = Client::connect(&socket).await
            && let Ok(hello) = client.call_as::<Hello>(Request::Hello).await
        {
            attempt = 0;
            let registered = hello.you.is_some();
            let _ = msgs.send(Msg::Live { me: hello.you });
            if registered {
                start_streams(&client, &mut subs, &msgs).await;
            }
            loop {
                tokio::select! {
                    effect = effects.recv() => match effect {
                        Some(effect) => carry_out(&client, effect, &mut subs, &msgs).await,
                        None => return,
                    },
                    event = events.recv() => match event {
                        Some(event) => route(event, &mut subs, &msgs),
                        None => break,
                    },
                }
            }
        }
        attempt += 1;
        let wait =
            Duration::from_secs(1 << attempt.min(5).saturating_sub(1)).min(Duration::from_secs(30));
        let _ = msgs.send(Msg::Reconnecting {
            attempt,
            at_ms: now_millis() + wait.as_millis() as i64,
        });
        let deadline = tokio::time::Instant::now() + wait;
        // Effects asked for meanwhile fail at once rather than wait.
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                effect = effects.recv() => match effect {
                    Some(effect) => {
                        let what = effect_name(&effect);
                        let _ = msgs.send(Msg::Failed { what, message: "not connected to roostd".into() });
                    }
                    None => return,
                },
            }
        }
    }
}

fn effect_name(effect: &Effect) -> String {
    match effect {
        Effect::Register(_) => "register",
        Effect::Post(_) => "post",
        Effect::Delete(_) => "delete",
        Effect::Follow(_) => "follow",
        Effect::Unfollow(_) => "unfollow",
        Effect::LoadHome => "loading the home timeline",
        Effect::LoadProfile(_) => "loading the profile",
        Effect::LoadList(..) => "loading the list",
        Effect::Subscribe(_) => "the stream filter",
        Effect::SetMarker(_) => "saving the read position",
    }
    .into()
}

/// The home subscription (resumed from the last event seen), the read marker,
/// and the stream pane's filter if one is set.
async fn start_streams(
    client: &Client,
    subs: &mut Subscriptions,
    msgs: &mpsc::UnboundedSender<Msg>,
) {
    if let Ok(marker) = client
        .call_as::<Marker>(Request::Marker { home: None })
        .await
    {
        let _ = msgs.send(Msg::Marker(marker));
    }
    let home = Request::Subscribe {
        stream: Stream::Home,
        since: subs.home_eid,
    };
    subs.home = client.call_as::<Subscribed>(home).await.ok().map(|s| s.sub);
    if let Some(spec) = subs.stream_spec.clone() {
        let request = Request::Subscribe {
            stream: spec,
            since: subs.stream_eid,
        };
        subs.stream = client
            .call_as::<Subscribed>(request)
            .await
            .ok()
            .map(|s| s.sub);
    }
}

fn route(event: Event, subs: &mut Subscriptions, msgs: &mpsc::UnboundedSender<Msg>) {
    let (sub, eid) = (event.sub(), event.eid());
    if Some(sub) == subs.home {
        if eid.is_some() {
            subs.home_eid = eid;
        }
        let _ = msgs.send(Msg::HomeEvent(event));
    } else if Some(sub) == subs.stream {
        if eid.is_some() {
            subs.stream_eid = eid;
        }
        let _ = msgs.send(Msg::StreamEvent(event));
    }
}

async fn carry_out(
    client: &Client,
    effect: Effect,
    subs: &mut Subscriptions,
    msgs: &mpsc::UnboundedSender<Msg>,
) {
    let what = effect_name(&effect);
    let result: Result<Option<Msg>, Failure> = async {
        Ok(match effect {
            Effect::Register(name) => {
                let user: User = client
                    .call_as(Request::Register {
                        login: None,
                        name: Some(name),
                        bot: false,
                    })
                    .await?;
                start_streams(client, subs, msgs).await;
                Some(Msg::Registered(user))
            }
            Effect::Post(text) => Some(Msg::Posted(
                client
                    .call_as::<Status>(Request::Post {
                        text,
                        location: None,
                    })
                    .await?,
            )),
            Effect::Delete(id) => {
                client.call(Request::Delete { status: id }).await?;
                Some(Msg::Deleted(id))
            }
            Effect::Follow(login) => {
                let user: User = client.call_as(Request::Follow { login }).await?;
                Some(Msg::Followed {
                    user,
                    following: true,
                })
            }
            Effect::Unfollow(login) => {
                let user: User = client.call_as(Request::Unfollow { login }).await?;
                Some(Msg::Followed {
                    user,
                    following: false,
                })
            }
            Effect::LoadHome => {
                // The whole home timeline (roostd keeps the newest 1,000 by default).
                let mut statuses = Vec::new();
                for page in 1..=HOME_PAGES {
                    let kind = TimelineKind::Home;
                    let request = Request::Timeline {
                        kind,
                        login: None,
                        page: Some(page),
                        count: Some(200),
                    };
                    let got = client.call_as::<Statuses>(request).await?.statuses;
                    let full = got.len() == 200;
                    statuses.extend(got);
                    if !full {
                        break;
                    }
                }
                Some(Msg::Home(statuses))
            }
            Effect::LoadProfile(login) => {
                let user: User = client
                    .call_as(Request::User {
                        login: login.clone(),
                    })
                    .await?;
                let request = Request::Timeline {
                    kind: TimelineKind::Profile,
                    login: Some(login),
                    page: None,
                    count: Some(100),
                };
                let statuses = client.call_as::<Statuses>(request).await?.statuses;
                let following = follows(client, user.id).await?;
                Some(Msg::Profile {
                    user,
                    statuses,
                    following,
                })
            }
            Effect::LoadList(kind, login) => {
                let request = match kind {
                    ListKind::Followers => Request::Followers {
                        login: Some(login.clone()),
                        page: None,
                        count: Some(200),
                    },
                    ListKind::Following => Request::Following {
                        login: Some(login.clone()),
                        page: None,
                        count: Some(200),
                    },
                };
                let entries: Vec<FollowEntry> = client.call_as::<Users>(request).await?.users;
                Some(Msg::List {
                    kind,
                    login,
                    entries,
                })
            }
            Effect::Subscribe(spec) => {
                if let Some(old) = subs.stream.take() {
                    let _ = client.call(Request::Unsubscribe { sub: old }).await;
                }
                subs.stream_eid = None;
                subs.stream_spec = Some(spec.clone());
                subs.stream = Some(
                    client
                        .call_as::<Subscribed>(Request::Subscribe {
                            stream: spec,
                            since: None,
                        })
                        .await?
                        .sub,
                );
                None
            }
            Effect::SetMarker(id) => {
                client.call(Request::Marker { home: Some(id) }).await?;
                None
            }
        })
    }
    .await;
    match result {
        Ok(Some(msg)) => {
            let _ = msgs.send(msg);
        }
        Ok(None) => {}
        Err(e) => {
            let _ = msgs.send(Msg::Failed {
                what,
                message: e.message,
            });
        }
    }
}

/// Whether the caller follows user `id`, paging through whom they follow.
async fn follows(client: &Client, id: u64) -> Result<bool, Failure> {
    for page in 1.. {
        let request = Request::Following {
            login: None,
            page: Some(page),
            count: Some(200),
        };
        let users = client.call_as::<Users>(request).await?.users;
        if users.iter().any(|e| e.user.id == id) {
            return Ok(true);
        }
        if users.len() < 200 {
            break;
        }
    }
    Ok(false)
}
