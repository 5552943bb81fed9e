//! The interactive app's runtime: the terminal (restored on any exit, panics
//! included) and one `select!` over input, the backend's messages and a 1 s
//! tick, feeding `App::update` and handing its effects to the backend.

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
use tokio::sync::mpsc;

use crate::app::{App, Msg};
use crate::backend::backend;
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

/// Tells of what the app raised an alert for: the terminal bell and an OSC 9
/// desktop notification, as `[notify]` in config.toml asks.
fn alert(app: &mut App) {
    use std::io::Write;
    if app.alerts.is_empty() {
        return;
    }
    let mut out = stdout();
    for text in app.alerts.drain(..) {
        if app.notify.bell {
            let _ = out.write_all(b"\x07");
        }
        if app.notify.desktop {
            // The text is sanitized: no escape or control character gets through.
            let _ = write!(out, "\x1b]9;{}\x07", crate::text::sanitize(&text, false));
        }
    }
    let _ = out.flush();
}

/// Runs the app against the daemon at `socket` until the user quits.
pub async fn run(socket: PathBuf) -> anyhow::Result<()> {
    let (keys, notify) = keys::load_config().map_err(anyhow::Error::msg)?;
    let theme = Theme::from_env();
    let mut app = App::new(keys);
    app.notify = notify;
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
        alert(&mut app);
        if app.quit {
            break;
        }
    }
    Ok(())
}
