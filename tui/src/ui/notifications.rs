//! The notifications pane: who did what, newest first, the unread ones
//! marked, each with the first line of its status.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use roost_shared::{Notification, NotificationKind};

use super::Theme;
use super::timeline::highlight;
use crate::app::App;
use crate::text::{relative, sanitize, truncate};

/// Lines each notification takes.
const ROWS: usize = 3;

/// The sign and the words of a notification's kind.
fn told(kind: NotificationKind) -> (&'static str, &'static str, Color) {
    match kind {
        NotificationKind::Mention => ("@", "mentioned you", Color::Magenta),
        NotificationKind::Reply => ("↩", "replied to you", Color::Cyan),
        NotificationKind::Repost => ("↻", "reposted your status", Color::Green),
        NotificationKind::Like => ("♥", "liked your status", Color::Red),
        NotificationKind::Follow => ("+", "followed you", Color::Yellow),
        NotificationKind::Request => ("?", "asks to follow you", Color::Yellow),
    }
}

fn lines(
    app: &App,
    theme: Theme,
    n: &Notification,
    selected: bool,
    cols: usize,
) -> Vec<Line<'static>> {
    let unread = n.id > app.notifications.marker.unwrap_or(0);
    let mark = if selected { "▌" } else { " " };
    let mark_style = if selected {
        theme.accent()
    } else {
        Style::default()
    };
    let (sign, words, color) = told(n.kind);
    let strong = if unread {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let mut first = vec![
        Span::styled(mark.to_owned(), mark_style),
        Span::styled(
            format!("{} ", if unread { "•" } else { " " }),
            theme.accent(),
        ),
        Span::styled(
            format!("{sign} "),
            theme.fg(color).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!("@{}", sanitize(&n.from.login, false)),
            theme.accent(),
        ),
        Span::styled(format!(" {words}"), strong),
        Span::styled(format!(" · {}", relative(&n.at, app.now_ms)), theme.dim()),
    ];
    if selected && let Some(status) = &n.status {
        first.push(Span::styled(format!("  #{}", status.id), theme.dim()));
    }
    let mut out = vec![Line::from(first)];
    let text = n
        .status
        .as_ref()
        .map(|s| sanitize(&s.text, false))
        .unwrap_or_default();
    let mut second = vec![Span::styled(mark.to_owned(), mark_style), Span::raw("    ")];
    second.extend(highlight(
        &truncate(&text, cols.saturating_sub(5)),
        theme.dim(),
        theme,
    ));
    out.push(Line::from(second));
    out.push(Line::raw(""));
    out
}

pub(super) fn render_notifications(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let pane = &app.notifications;
    if pane.list.is_empty() {
        let hint = if pane.loaded {
            "No notifications yet. Mentions, replies, reposts, likes and follows land here."
        } else {
            "Loading…"
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), area);
        return;
    }
    let cols = usize::from(area.width);
    let (first, fits) = super::window(pane.selected, usize::from(area.height), ROWS);
    let shown: Vec<Line> = pane
        .list
        .iter()
        .enumerate()
        .skip(first)
        .take(fits)
        .flat_map(|(i, n)| lines(app, theme, n, i == pane.selected, cols))
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
}
