//! The messages pane: your conversations with their unread counts, or one
//! conversation as a chat, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{App, Chat};
use crate::text::{relative, sanitize, truncate, wrap};

/// Lines each conversation takes in the list.
const ROWS: usize = 3;

fn names(logins: &[String]) -> String {
    logins
        .iter()
        .map(|l| format!("@{}", sanitize(l, false)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn render_messages(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    if let Some(chat) = &app.messages.chat {
        return render_chat(app, theme, chat, frame, area);
    }
    let pane = &app.messages;
    if pane.conversations.is_empty() {
        let hint = if pane.loaded {
            "No direct messages yet. c writes to one login or several (alice, bob)."
        } else {
            "Loading…"
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), area);
        return;
    }
    let cols = usize::from(area.width);
    let (first, fits) = super::window(pane.selected, usize::from(area.height), ROWS);
    let mut lines = Vec::new();
    for (i, c) in pane.conversations.iter().enumerate().skip(first).take(fits) {
        let selected = i == pane.selected;
        let mark = if selected { "▌" } else { " " };
        let who: Vec<String> = c.with.iter().map(|u| u.login.clone()).collect();
        let strong = if c.unread > 0 {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        let mut first_line = vec![
            Span::styled(mark, theme.accent()),
            Span::styled(
                format!("{} ", if c.unread > 0 { "•" } else { " " }),
                theme.accent(),
            ),
            Span::styled(truncate(&names(&who), cols.saturating_sub(30)), strong),
        ];
        if c.unread > 0 {
            first_line.push(Span::styled(
                format!(" ({} unread)", c.unread),
                theme.accent(),
            ));
        }
        first_line.push(Span::styled(
            format!(" · {}", relative(&c.last.sent, app.now_ms)),
            theme.dim(),
        ));
        lines.push(Line::from(first_line));
        let last = format!(
            "@{}: {}",
            sanitize(&c.last.from, false),
            sanitize(&c.last.text, false)
        );
        lines.push(Line::from(vec![
            Span::styled(mark, theme.accent()),
            Span::styled(
                format!("   {}", truncate(&last, cols.saturating_sub(4))),
                theme.dim(),
            ),
        ]));
        lines.push(Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_chat(app: &App, theme: Theme, chat: &Chat, frame: &mut Frame, area: Rect) {
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let title = format!(
        " With {} · c writes · Esc back to the list",
        names(&chat.with)
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            truncate(&title, usize::from(area.width)),
            theme.accent(),
        ))),
        head,
    );
    if !chat.loaded && chat.messages.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled(" Loading…", theme.dim())), body);
        return;
    }
    let me = app.me.as_ref().map(|m| m.login.as_str());
    let cols = usize::from(body.width).saturating_sub(4).max(1);
    let mut lines: Vec<Line> = Vec::new();
    for m in &chat.messages {
        let style = if Some(m.from.as_str()) == me {
            theme.accent()
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" @{}", sanitize(&m.from, false)), style),
            Span::styled(format!(" · {}", relative(&m.sent, app.now_ms)), theme.dim()),
        ]));
        for l in wrap(&sanitize(&m.text, true), cols) {
            lines.push(Line::raw(format!("   {l}")));
        }
    }
    // The newest at the bottom: show the last lines that fit.
    let skip = lines.len().saturating_sub(usize::from(body.height));
    let shown: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(shown), body);
}
