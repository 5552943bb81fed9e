//! The status bar: who you are, the connection, unread count, the last message.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{App, ConnState};
use crate::text::{sanitize, truncate, width};

pub(super) fn render_bar(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let who = match &app.me {
        Some(me) => format!(" @{} ", me.login),
        None => " not registered ".into(),
    };
    let (state, style) = match &app.conn {
        ConnState::Live => ("● live".to_owned(), theme.fg(Color::Green)),
        ConnState::Connecting => ("○ connecting".to_owned(), theme.fg(Color::Yellow)),
        ConnState::Reconnecting { at_ms, .. } => {
            let secs = ((at_ms - app.now_ms).max(0) + 999) / 1000;
            (
                format!("○ reconnecting in {secs}s"),
                theme.fg(Color::Red).add_modifier(Modifier::BOLD),
            )
        }
    };
    let unread = app.unread();
    let mut spans = vec![
        Span::styled(who, theme.selected()),
        Span::raw(" "),
        Span::styled(state, style),
        Span::raw(format!(" · {unread} unread")),
    ];
    let right = match &app.message {
        Some(m) => format!(" · {}", sanitize(m, false)),
        None => " · ? help · q quit".into(),
    };
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    spans.push(Span::styled(
        truncate(&right, usize::from(area.width).saturating_sub(used)),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
