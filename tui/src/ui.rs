//! Drawing: `render` only reads the app. Panes across the top, the pane's
//! list in the middle, the status bar at the bottom, and overlays (compose,
//! prompt, confirmation, help) over it. Colours are the terminal's own (named
//! ANSI colours only), and with `NO_COLOR` set only bold and reverse are used.
//!
//! - `timeline`: a list of statuses, and the stream pane around one.
//! - `notifications`: the notifications pane.
//! - `messages`: conversations and a chat.
//! - `detail`: an open profile, follow list, thread, tag or trending list.
//! - `bar`: the status bar.
//! - `overlay`: compose, prompts, confirmations and help.

mod bar;
mod detail;
mod messages;
mod notifications;
mod overlay;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Detail, ListKind, Pane};
use crate::text::{sanitize, width};
use bar::render_bar;
use detail::render_detail;
use messages::render_messages;
use notifications::render_notifications;
use overlay::render_overlay;
use timeline::{render_stream, render_timeline};

/// Styles, with or without colour.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// The items of `rows` lines each that fit in `height` lines, and the first
/// of them shown so that item `selected` is on screen.
fn window(selected: usize, height: usize, rows: usize) -> (usize, usize) {
    let fits = (height / rows).max(1);
    (selected.saturating_sub(fits - 1), fits)
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame) {
    let [tabs, main, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_tabs(app, theme, frame, tabs);
    match app.pane {
        Pane::Home => {
            let title = match app.home_order {
                roost_shared::Order::Newest => "Home",
                roost_shared::Order::Importance => "Home by importance",
            };
            render_timeline(app, theme, &app.home, &[], title, frame, main)
        }
        Pane::Notifications => render_notifications(app, theme, frame, main),
        Pane::Messages => render_messages(app, theme, frame, main),
        Pane::Stream => render_stream(app, theme, frame, main),
        Pane::Detail => render_detail(app, theme, frame, main),
    }
    render_bar(app, theme, frame, bar);
    render_overlay(app, theme, frame);
}

fn render_tabs(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let unread = app.unread();
    let home = match app.home_order {
        roost_shared::Order::Newest => "Home",
        roost_shared::Order::Importance => "Home ↑",
    };
    let notified = app.notifications.unread();
    let mut names = vec![
        (
            Pane::Home,
            if unread > 0 {
                format!("{home} ({unread})")
            } else {
                home.into()
            },
        ),
        (
            Pane::Notifications,
            if notified > 0 {
                format!("Notifications ({notified})")
            } else {
                "Notifications".into()
            },
        ),
        (
            Pane::Messages,
            match app.messages.unread() {
                0 => "Messages".into(),
                n => format!("Messages ({n})"),
            },
        ),
        (Pane::Stream, format!("Stream ({})", app.stream.count)),
    ];
    if let Some(detail) = &app.detail {
        let name = match detail {
            Detail::Profile { user, .. } => format!("@{}", sanitize(&user.login, false)),
            Detail::List {
                kind: ListKind::Followers,
                login,
                ..
            } => format!("@{login} followers"),
            Detail::List {
                kind: ListKind::Following,
                login,
                ..
            } => format!("@{login} follows"),
            Detail::List {
                kind: ListKind::Requests,
                ..
            } => "Requests".into(),
            Detail::Thread { .. } => "Thread".into(),
            Detail::Statuses { source, .. } => sanitize(&source.title(), false),
            Detail::Trending { .. } => "Trending".into(),
            Detail::Moderation { .. } => "Moderation".into(),
        };
        names.push((Pane::Detail, name));
    }
    // Where the names do not fit, the panes not shown go by their initial
    // (with their count), e.g. " N (3) ".
    let total: usize = 7 + names.iter().map(|(_, n)| width(n) + 3).sum::<usize>();
    if total > usize::from(area.width) {
        for (pane, name) in &mut names {
            if *pane != app.pane && *pane != Pane::Detail {
                let count = name.find(" (").map(|at| name[at..].to_owned());
                let initial: String = name.chars().take(1).collect();
                *name = format!("{initial}{}", count.unwrap_or_default());
            }
        }
    }
    let mut spans = vec![Span::styled(" roost ", theme.accent())];
    for (pane, name) in names {
        let style = if pane == app.pane {
            theme.selected().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {name} "), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests;
