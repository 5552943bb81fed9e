//! The backend: the task that owns the connection to roostd. Effects come in
//! from the app and become requests; answers and events go back as messages.
//! It reconnects with backoff (1 s doubling to 30 s) and resumes the home and
//! stream subscriptions with `since`, so nothing posted while it was away is
//! missed; effects asked for while it is away fail at once.

use std::path::PathBuf;
use std::time::Duration;

use roost_shared::time::now_millis;
use roost_shared::{
    Conversations, Eid, Event, FollowEntry, Hello, Liked, Marker, Message, Messages, ModerationLog,
    Notifications, Order, Reports, Request, Status, Statuses, Stream, Subscribed, Thread,
    TimelineKind, Trending, User, Users,
};
use tokio::sync::mpsc;

use crate::app::{Effect, ListKind, Msg, Source};
use crate::client::{Client, Failure};

/// Pages of 200 read for the home timeline.
const HOME_PAGES: u32 = 5;

/// What the backend keeps across reconnects.
#[derive(Default)]
struct Subscriptions {
    home: Option<u64>,
    home_eid: Option<Eid>,
    notifications: Option<u64>,
    notifications_eid: Option<Eid>,
    direct: Option<u64>,
    direct_eid: Option<Eid>,
    stream: Option<u64>,
    stream_spec: Option<Stream>,
    stream_eid: Option<Eid>,
}

/// Owns the connection: connects, tells the app, carries out effects, routes
/// events, and on loss reconnects with backoff (1 s doubling to 30 s).
pub async fn backend(
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
                        let message = "not connected to roostd".into();
                        let _ = msgs.send(Msg::Failed { effect, message });
                    }
                    None => return,
                },
            }
        }
    }
}

/// The home subscription (resumed from the last event seen), the read marker,
/// and the stream pane's filter if one is set.
async fn start_streams(
    client: &Client,
    subs: &mut Subscriptions,
    msgs: &mpsc::UnboundedSender<Msg>,
) {
    if let Ok(marker) = client
        .call_as::<Marker>(Request::Marker {
            home: None,
            notifications: None,
        })
        .await
    {
        let _ = msgs.send(Msg::Marker(marker));
    }
    let home = Request::Subscribe {
        stream: Stream::Home,
        since: subs.home_eid,
    };
    subs.home = client.call_as::<Subscribed>(home).await.ok().map(|s| s.sub);
    let notifications = Request::Subscribe {
        stream: Stream::Notifications,
        since: subs.notifications_eid,
    };
    subs.notifications = client
        .call_as::<Subscribed>(notifications)
        .await
        .ok()
        .map(|s| s.sub);
    let direct = Request::Subscribe {
        stream: Stream::Direct,
        since: subs.direct_eid,
    };
    subs.direct = client
        .call_as::<Subscribed>(direct)
        .await
        .ok()
        .map(|s| s.sub);
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
    } else if Some(sub) == subs.notifications {
        if eid.is_some() {
            subs.notifications_eid = eid;
        }
        let _ = msgs.send(Msg::NotificationEvent(event));
    } else if Some(sub) == subs.direct {
        if eid.is_some() {
            subs.direct_eid = eid;
        }
        let _ = msgs.send(Msg::DirectEvent(event));
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
    let result: Result<Option<Msg>, Failure> = async {
        Ok(match effect.clone() {
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
            Effect::Post { text, reply_to } => Some(Msg::Posted(
                client
                    .call_as::<Status>(Request::Post {
                        text,
                        location: None,
                        reply_to,
                    })
                    .await?,
            )),
            Effect::Like(id) | Effect::Unlike(id) => {
                let like = matches!(effect, Effect::Like(_));
                let request = if like {
                    Request::Like { status: id }
                } else {
                    Request::Unlike { status: id }
                };
                let answer: Liked = client.call_as(request).await?;
                Some(Msg::Liked {
                    id,
                    liked: like,
                    likes: answer.likes,
                })
            }
            Effect::Answer(login, approve) => {
                let request = if approve {
                    Request::Approve { login }
                } else {
                    Request::Deny { login }
                };
                client.call(request).await?;
                let me = client.call_as::<Hello>(Request::Hello).await?.you;
                let entries = client
                    .call_as::<Users>(Request::Requests {
                        page: None,
                        count: Some(200),
                    })
                    .await?
                    .users;
                me.map(|me| Msg::List {
                    kind: ListKind::Requests,
                    login: me.login,
                    entries,
                })
            }
            Effect::Safety(act, login) => {
                use crate::app::SafetyAct;
                let request = match act {
                    SafetyAct::Block => Request::Block { login },
                    SafetyAct::Unblock => Request::Unblock { login },
                    SafetyAct::Mute => Request::Mute { login },
                    SafetyAct::Unmute => Request::Unmute { login },
                };
                Some(Msg::Related(client.call_as::<User>(request).await?))
            }
            Effect::Repost(id) => {
                client.call(Request::Repost { status: id }).await?;
                Some(Msg::Reposted { id, reposted: true })
            }
            Effect::Unrepost(id) => {
                client.call(Request::Unrepost { status: id }).await?;
                Some(Msg::Reposted {
                    id,
                    reposted: false,
                })
            }
            Effect::LoadThread(id) => Some(Msg::Thread(
                client
                    .call_as::<Thread>(Request::Thread {
                        status: id,
                        count: Some(1000),
                    })
                    .await?,
            )),
            Effect::LoadStatuses(source) => {
                let (kind, login, tag) = match &source {
                    Source::Tag(tag) => (TimelineKind::Tag, None, Some(tag.clone())),
                    Source::Mentions => (TimelineKind::Mentions, None, None),
                    Source::Likes(login) => (TimelineKind::Likes, Some(login.clone()), None),
                };
                let request = Request::Timeline {
                    kind,
                    login,
                    page: None,
                    count: Some(200),
                    before: None,
                    tag,
                    order: None,
                };
                let statuses = client.call_as::<Statuses>(request).await?.statuses;
                Some(Msg::Statuses { source, statuses })
            }
            Effect::LoadTrending => Some(Msg::Trending(
                client
                    .call_as::<Trending>(Request::Trending { hours: Some(24) })
                    .await?
                    .tags,
            )),
            Effect::LoadNotifications => Some(Msg::Notifications(
                client
                    .call_as::<Notifications>(Request::Notifications {
                        page: None,
                        count: Some(200),
                    })
                    .await?,
            )),
            Effect::SetNotificationsMarker(id) => {
                client
                    .call(Request::Marker {
                        home: None,
                        notifications: Some(id),
                    })
                    .await?;
                None
            }
            Effect::LoadHomeRanked => {
                let request = Request::Timeline {
                    kind: TimelineKind::Home,
                    login: None,
                    page: None,
                    count: Some(200),
                    before: None,
                    tag: None,
                    order: Some(Order::Importance),
                };
                Some(Msg::Home(
                    client.call_as::<Statuses>(request).await?.statuses,
                ))
            }
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
                // The whole home timeline (roostd keeps the newest 1,000 by
                // default), paged by cursor so nothing is skipped or repeated.
                let mut statuses: Vec<Status> = Vec::new();
                for _ in 0..HOME_PAGES {
                    let request = Request::Timeline {
                        kind: TimelineKind::Home,
                        login: None,
                        page: None,
                        count: Some(200),
                        before: statuses.last().map(|s| s.id),
                        tag: None,
                        order: None,
                    };
                    let got = client.call_as::<Statuses>(request).await?.statuses;
                    if got.is_empty() {
                        break;
                    }
                    statuses.extend(got);
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
                    before: None,
                    tag: None,
                    order: None,
                };
                let statuses = client.call_as::<Statuses>(request).await?.statuses;
                Some(Msg::Profile { user, statuses })
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
                    ListKind::Requests => Request::Requests {
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
            Effect::LoadConversations => Some(Msg::Conversations(
                client
                    .call_as::<Conversations>(Request::Conversations {
                        page: None,
                        count: Some(200),
                    })
                    .await?
                    .conversations,
            )),
            Effect::LoadChat(conversation) => {
                let request = Request::Messages {
                    conversation: conversation.clone(),
                    page: None,
                    count: Some(200),
                };
                let messages = client.call_as::<Messages>(request).await?.messages;
                Some(Msg::Chat {
                    conversation,
                    messages,
                })
            }
            Effect::Dm { to, text } => Some(Msg::Sent(
                client.call_as::<Message>(Request::Dm { to, text }).await?,
            )),
            Effect::Read {
                conversation,
                message,
            } => {
                client
                    .call(Request::Read {
                        conversation,
                        message,
                    })
                    .await?;
                None
            }
            Effect::SetProfile { name, bio, private } => Some(Msg::ProfileSaved(
                client
                    .call_as::<User>(Request::SetProfile {
                        name: Some(name),
                        bio: Some(bio),
                        private: Some(private),
                    })
                    .await?,
            )),
            Effect::Report {
                status,
                login,
                reason,
            } => {
                let answer = client
                    .call(Request::Report {
                        status,
                        login,
                        reason,
                    })
                    .await?;
                Some(Msg::Reported(answer["report"].as_u64().unwrap_or(0)))
            }
            Effect::LoadModeration => {
                let reports = client
                    .call_as::<Reports>(Request::Reports {
                        state: Some("all".into()),
                        page: None,
                        count: Some(200),
                    })
                    .await?
                    .reports;
                let log = client
                    .call_as::<ModerationLog>(Request::ModerationLog {
                        page: None,
                        count: Some(200),
                    })
                    .await?
                    .entries;
                Some(Msg::Moderation { reports, log })
            }
            Effect::Moderate {
                action,
                status,
                login,
                report,
            } => {
                client
                    .call(Request::Moderate {
                        action: action.clone(),
                        status,
                        login,
                        report,
                        note: None,
                    })
                    .await?;
                Some(Msg::Moderated(action))
            }
            Effect::SetMarker(id) => {
                client
                    .call(Request::Marker {
                        home: Some(id),
                        notifications: None,
                    })
                    .await?;
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
                effect,
                message: e.message,
            });
        }
    }
}
