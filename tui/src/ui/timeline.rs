//! A list of statuses with its selection, scrolled to keep it in view (a
//! thread's indented by depth), and the stream pane: the filter and its count
//! above the matches. A status shows who reposted it, whom it replies to, its
//! counts with your own like and repost, and its @mentions and #tags
//! highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use roost_shared::Status;

use super::Theme;
use crate::app::{App, Timeline};
use crate::text::{relative, sanitize, truncate, wrap};

/// Deepest indentation a thread shows; deeper replies line up with it.
const MAX_DEPTH: usize = 6;

/// The lines of one status, indented `depth` steps: who reposted it, a
/// header (login, age, place, whom it replies to), the wrapped text, and its
/// counts when it has any.
pub(super) fn status_lines(
    app: &App,
    theme: Theme,
    status: &Status,
    width_cols: usize,
    selected: bool,
    depth: usize,
) -> Vec<Line<'static>> {
    let mark = if selected { "▌" } else { " " };
    let mark_style = if selected {
        theme.accent()
    } else {
        Style::default()
    };
    let pad = "  ".repeat(depth.min(MAX_DEPTH));
    let lead = || {
        vec![
            Span::styled(mark.to_owned(), mark_style),
            Span::raw(pad.clone()),
        ]
    };
    let mut lines = Vec::new();
    let shown = match &status.repost_of {
        Some(original) => {
            let mut line = lead();
            line.push(Span::styled(
                format!("↻ @{} reposted", sanitize(&status.login, false)),
                theme.fg(Color::Green),
            ));
            lines.push(Line::from(line));
            original.as_ref()
        }
        None => status,
    };
    let age = relative(&shown.posted, app.now_ms);
    let place = shown
        .location
        .map(|l| format!(" · {:.2},{:.2}", l.lat, l.lon))
        .unwrap_or_default();
    let mut header = lead();
    header.push(Span::styled(
        format!("@{}", sanitize(&shown.login, false)),
        theme.accent(),
    ));
    header.push(Span::styled(format!(" · {age}{place}"), theme.dim()));
    if let Some(to) = &shown.reply_to_login {
        header.push(Span::styled(
            format!(" · ↩ to @{}", sanitize(to, false)),
            theme.dim(),
        ));
    }
    if selected {
        header.push(Span::styled(format!("  #{}", status.id), theme.dim()));
    }
    lines.push(Line::from(header));
    let body_width = width_cols.saturating_sub(2 + pad.len()).max(1);
    let text_style = if selected {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    for l in wrap(&sanitize(&shown.text, true), body_width) {
        let mut line = lead();
        line.push(Span::styled(" ", text_style));
        line.extend(highlight(&l, text_style, theme));
        lines.push(Line::from(line));
    }
    if shown.replies + shown.reposts + shown.likes > 0 || shown.liked || shown.reposted {
        let mut line = lead();
        let own = |on: bool, color: Color| {
            if on {
                theme.fg(color).add_modifier(Modifier::BOLD)
            } else {
                theme.dim()
            }
        };
        line.push(Span::styled(format!(" ↩ {}", shown.replies), theme.dim()));
        line.push(Span::styled(
            format!("  ↻ {}", shown.reposts),
            own(shown.reposted, Color::Green),
        ));
        line.push(Span::styled(
            format!("  ♥ {}", shown.likes),
            own(shown.liked, Color::Red),
        ));
        lines.push(Line::from(line));
    }
    lines.push(Line::raw(""));
    lines
}

/// A line of status text as spans, its @mentions and #tags (a `@` or `#`
/// at the start or after a non-word character, then word characters)
/// highlighted.
pub(super) fn highlight(line: &str, base: Style, theme: Theme) -> Vec<Span<'static>> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let marked = theme.fg(Color::Magenta).patch(base);
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut chars = line.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        let starts = matches!(c, '@' | '#' | '＠' | '＃') && prev.is_none_or(|p| !word(p));
        prev = Some(c);
        if !starts || !chars.peek().is_some_and(|n| word(*n)) {
            plain.push(c);
            continue;
        }
        let mut token = String::from(c);
        while let Some(&n) = chars.peek().filter(|n| word(**n)) {
            token.push(n);
            prev = Some(n);
            chars.next();
        }
        if !plain.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut plain), base));
        }
        spans.push(Span::styled(token, marked));
    }
    if !plain.is_empty() {
        spans.push(Span::styled(plain, base));
    }
    spans
}

/// Renders a list of statuses; `depths` indents each (a thread's), or is
/// empty for none.
pub(super) fn render_timeline(
    app: &App,
    theme: Theme,
    timeline: &Timeline,
    depths: &[usize],
    title: &str,
    frame: &mut Frame,
    area: Rect,
) {
    let depth = |i: usize| depths.get(i).copied().unwrap_or(0);
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
        depth(timeline.selected),
    )
    .len();
    let mut used = selected_len;
    while start > 0 {
        let prev = status_lines(
            app,
            theme,
            &timeline.statuses[start - 1],
            cols,
            false,
            depth(start - 1),
        );
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
            depth(i),
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
    render_timeline(
        app,
        theme,
        &app.stream.matches,
        &[],
        "The stream",
        frame,
        body,
    );
}
