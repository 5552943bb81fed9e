//! A list of statuses with its selection, scrolled to keep it in view, and the
//! stream pane: the filter and its count above the matches.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use roost_shared::Status;

use super::Theme;
use crate::app::{App, Timeline};
use crate::text::{relative, sanitize, truncate, wrap};

/// The lines of one status: a header (name, login, age) and the wrapped text.
pub(super) fn status_lines(
    app: &App,
    theme: Theme,
    status: &Status,
    width_cols: usize,
    selected: bool,
) -> Vec<Line<'static>> {
    let mark = if selected { "▌" } else { " " };
    let mark_style = if selected {
        theme.accent()
    } else {
        Style::default()
    };
    let age = relative(&status.posted, app.now_ms);
    let place = status
        .location
        .map(|l| format!(" · {:.2},{:.2}", l.lat, l.lon))
        .unwrap_or_default();
    let mut header = vec![
        Span::styled(mark.to_owned(), mark_style),
        Span::styled(
            format!("@{}", sanitize(&status.login, false)),
            theme.accent(),
        ),
        Span::styled(format!(" · {age}{place}"), theme.dim()),
    ];
    if selected {
        header.push(Span::styled(format!("  #{}", status.id), theme.dim()));
    }
    let mut lines = vec![Line::from(header)];
    let body_width = width_cols.saturating_sub(2).max(1);
    let text_style = if selected {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    for l in wrap(&sanitize(&status.text, true), body_width) {
        lines.push(Line::from(vec![
            Span::styled(mark.to_owned(), mark_style),
            Span::styled(format!(" {l}"), text_style),
        ]));
    }
    lines.push(Line::raw(""));
    lines
}

pub(super) fn render_timeline(
    app: &App,
    theme: Theme,
    timeline: &Timeline,
    title: &str,
    frame: &mut Frame,
    area: Rect,
) {
    let mut area = area;
    if timeline.new_above > 0 && timeline.selected > 0 {
        let [banner, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let text = format!(" ↑ {} new — g for the newest ", timeline.new_above);
        frame.render_widget(
            Paragraph::new(Span::styled(
                text,
                theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            )),
            banner,
        );
        area = rest;
    }
    if timeline.statuses.is_empty() {
        let hint = if timeline.loaded {
            format!("{title} is empty. c to post, @ to find someone to follow, Tab for the stream.")
        } else {
            "Loading…".into()
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.dim())), area);
        return;
    }
    let cols = usize::from(area.width);
    let rows = usize::from(area.height);
    // Lay statuses out from the selected one, so it is always in view.
    let mut lines: Vec<Line> = Vec::new();
    let mut start = timeline.selected;
    // Show a little context above the selection when there is room.
    let mut above: Vec<Vec<Line>> = Vec::new();
    let selected_len = status_lines(
        app,
        theme,
        &timeline.statuses[timeline.selected],
        cols,
        true,
    )
    .len();
    let mut used = selected_len;
    while start > 0 {
        let prev = status_lines(app, theme, &timeline.statuses[start - 1], cols, false);
        if used + prev.len() > rows / 3 {
            break;
        }
        used += prev.len();
        above.push(prev);
        start -= 1;
    }
    for block in above.into_iter().rev() {
        lines.extend(block);
    }
    for (i, status) in timeline.statuses.iter().enumerate().skip(timeline.selected) {
        if lines.len() >= rows {
            break;
        }
        lines.extend(status_lines(
            app,
            theme,
            status,
            cols,
            i == timeline.selected,
        ));
    }
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines), area);
}

pub(super) fn render_stream(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let filter = if app.stream.filter.is_empty() {
        "no filter yet: press e".to_owned()
    } else {
        sanitize(&app.stream.filter, false)
    };
    let lagged = if app.stream.lagged > 0 {
        format!(" · {} missed", app.stream.lagged)
    } else {
        String::new()
    };
    let status = if app.stream.active { "live" } else { "off" };
    let lines = vec![
        Line::from(vec![
            Span::styled(" Filter: ", theme.accent()),
            Span::raw(truncate(
                &filter,
                usize::from(head.width).saturating_sub(10),
            )),
        ]),
        Line::from(Span::styled(
            format!(" {} matches · {status}{lagged}", app.stream.count),
            theme.dim(),
        )),
    ];
    frame.render_widget(Paragraph::new(lines), head);
    render_timeline(app, theme, &app.stream.matches, "The stream", frame, body);
}
