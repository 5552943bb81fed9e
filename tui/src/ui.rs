//! Drawing: `render` only reads the app. Panes across the top, the pane's
//! list in the middle, the status bar at the bottom, and overlays (compose,
//! prompt, confirmation, help) over it. Colours are the terminal's own (named
//! ANSI colours only), and with `NO_COLOR` set only bold and reverse are used.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use roost_shared::Status;
use roost_shared::validate::TEXT_MAX;

use crate::app::{App, ConnState, Detail, ListKind, Mode, Pane, PromptKind, Timeline};
use crate::text::{relative, sanitize, truncate, width, wrap};

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

pub fn render(app: &App, theme: Theme, frame: &mut Frame) {
    let [tabs, main, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_tabs(app, theme, frame, tabs);
    match app.pane {
        Pane::Home => render_timeline(app, theme, &app.home, "Home", frame, main),
        Pane::Stream => render_stream(app, theme, frame, main),
        Pane::Detail => render_detail(app, theme, frame, main),
    }
    render_bar(app, theme, frame, bar);
    render_overlay(app, theme, frame);
}

fn render_tabs(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let unread = app.unread();
    let mut names = vec![
        (
            Pane::Home,
            if unread > 0 {
                format!("Home ({unread})")
            } else {
                "Home".into()
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
        };
        names.push((Pane::Detail, name));
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

/// The lines of one status: a header (name, login, age) and the wrapped text.
fn status_lines(
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

fn render_timeline(
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

fn render_stream(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
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

fn render_detail(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    match &app.detail {
        Some(Detail::Profile {
            user,
            statuses,
            following,
        }) => {
            let [head, body] =
                Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
            let me = app.me.as_ref().is_some_and(|m| m.id == user.id);
            let relation = if me {
                "you"
            } else if *following {
                "following · f to unfollow"
            } else {
                "f to follow"
            };
            let lines = vec![
                Line::from(vec![
                    Span::styled(
                        format!(" {}", sanitize(&user.name, false)),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!(" @{} · {relation}", user.login), theme.dim()),
                ]),
                Line::from(Span::raw(format!(
                    " {} posts · {} followers (F) · {} following (W) · since {}",
                    user.posts,
                    user.followers,
                    user.following,
                    user.signup.get(..10).unwrap_or(&user.signup)
                ))),
                Line::raw(""),
            ];
            frame.render_widget(Paragraph::new(lines), head);
            render_timeline(app, theme, statuses, "This profile", frame, body);
        }
        Some(Detail::List {
            kind,
            login,
            entries,
            selected,
        }) => {
            let title = match kind {
                ListKind::Followers => format!(" Followers of @{login}"),
                ListKind::Following => format!(" Followed by @{login}"),
            };
            let mut lines = vec![
                Line::from(Span::styled(title, theme.accent())),
                Line::raw(""),
            ];
            if entries.is_empty() {
                lines.push(Line::from(Span::styled(" nobody yet", theme.dim())));
            }
            let rows = usize::from(area.height).saturating_sub(2);
            let first = selected.saturating_sub(rows.saturating_sub(1));
            for (i, e) in entries.iter().enumerate().skip(first).take(rows) {
                let style = if i == *selected {
                    theme.selected()
                } else {
                    Style::default()
                };
                let text = format!(
                    " @{} {} · {} followers · since {}",
                    e.user.login,
                    sanitize(&e.user.name, false),
                    e.user.followers,
                    relative(&e.since, app.now_ms)
                );
                lines.push(Line::from(Span::styled(
                    truncate(&text, usize::from(area.width)),
                    style,
                )));
            }
            frame.render_widget(Paragraph::new(lines), area);
        }
        None => {}
    }
}

fn render_bar(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
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

/// A rectangle `w` x `h` centred in `area`, clipped to it.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn render_overlay(app: &App, theme: Theme, frame: &mut Frame) {
    let area = frame.area();
    match &app.mode {
        Mode::Normal => {}
        Mode::Compose(textarea) => {
            let text = textarea.lines().join("\n");
            let count = text.chars().count();
            let box_area = centered(
                area,
                area.width.saturating_sub(4).max(20),
                (area.height / 2).max(6),
            );
            frame.render_widget(Clear, box_area);
            let over = count > TEXT_MAX;
            let title = format!(" New status · {count}/{TEXT_MAX} · Ctrl-s send · Esc cancel ");
            let border = if over {
                theme.fg(Color::Red)
            } else {
                theme.accent()
            };
            let block = Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(border);
            let inner = block.inner(box_area);
            frame.render_widget(block, box_area);
            frame.render_widget(&**textarea, inner);
        }
        Mode::Prompt { kind, input } => {
            let title = match kind {
                PromptKind::Register => " Welcome to Roost! Your display name (Enter) ",
                PromptKind::Profile => " Open the profile of @login (Enter; Esc cancels) ",
                PromptKind::Filter => {
                    " Stream filter: words, or track: a, b c; follow: alice; loc: w,s,e,n; sample 10; firehose "
                }
            };
            let box_area = centered(area, area.width.saturating_sub(4).max(20), 3);
            frame.render_widget(Clear, box_area);
            let block = Block::default()
                .borders(Borders::ALL)
                .title(truncate(
                    title,
                    usize::from(box_area.width).saturating_sub(2),
                ))
                .border_style(theme.accent());
            let visible = usize::from(box_area.width).saturating_sub(3);
            let shown: String = {
                let clean = sanitize(input, false);
                let chars: Vec<char> = clean.chars().collect();
                let mut start = 0;
                while width(&chars[start..].iter().collect::<String>()) > visible {
                    start += 1;
                }
                chars[start..].iter().collect()
            };
            frame.render_widget(Paragraph::new(format!("{shown}▏")).block(block), box_area);
        }
        Mode::Confirm { question, .. } => {
            let w = (width(question) as u16 + 4).min(area.width);
            let box_area = centered(area, w, 3);
            frame.render_widget(Clear, box_area);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.fg(Color::Yellow));
            frame.render_widget(Paragraph::new(question.as_str()).block(block), box_area);
        }
        Mode::Help => {
            let rows: Vec<Line> = app
                .keys
                .table
                .iter()
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!(" {:<18}", b.keys.join(" ")), theme.accent()),
                        Span::raw(b.help),
                    ])
                })
                .collect();
            let h = (rows.len() as u16 + 2).min(area.height);
            let box_area = centered(area, 70, h);
            frame.render_widget(Clear, box_area);
            let block = Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) ")
                .border_style(theme.accent());
            frame.render_widget(Paragraph::new(rows).block(block), box_area);
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use roost_shared::{Event, Location};

    use super::*;
    use crate::app::{App, Msg};
    use crate::keys::KeyMap;

    fn screen(app: &App, w: u16, h: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| render(app, Theme { color: false }, f))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        // A wide character's second cell is not part of the text.
        (0..h)
            .map(|y| {
                let mut line = String::new();
                let mut x = 0;
                while x < w {
                    let symbol = buffer[(x, y)].symbol();
                    line.push_str(symbol);
                    x += width(symbol).max(1) as u16;
                }
                line.trim_end().to_owned()
            })
            .collect()
    }

    fn status(id: u64, login: &str, text: &str) -> Status {
        Status {
            id,
            uid: id + 100,
            login: login.into(),
            text: text.into(),
            posted: "2026-11-26T21:50:00.001Z".into(),
            location: None,
        }
    }

    fn app() -> App {
        let mut app = App::new(KeyMap::default());
        app.now_ms = roost_shared::time::parse_millis("2026-11-26T21:52:01.000Z").unwrap();
        let me = roost_shared::User {
            id: 1,
            login: "ada".into(),
            name: "Ada".into(),
            followers: 0,
            following: 1,
            posts: 0,
            signup: "2026-11-26T21:49:06.123Z".into(),
            relationship: None,
        };
        app.update(Msg::Live { me: Some(me) });
        app.update(Msg::Home(vec![
            status(3, "wei", "我喜欢数据库 and 🦀 crabs"),
            status(
                2,
                "evil",
                "clear\u{1b}[2J screen \u{202E}reversed\u{2028}next",
            ),
            status(1, "bob", "e\u{301}tude: combining marks"),
        ]));
        app
    }

    #[test]
    fn home_timeline_with_cjk_emoji_and_hostile_text() {
        let lines = screen(&app(), 60, 16);
        assert!(
            lines[0].contains("Home (3)") && lines[0].contains("Stream (0)"),
            "{lines:#?}"
        );
        assert_eq!(lines[1], "▌@wei · 2m  #3");
        assert_eq!(lines[2], "▌ 我喜欢数据库 and 🦀 crabs");
        assert_eq!(lines[4], " @evil · 2m");
        assert_eq!(lines[5], "  clear\u{FFFD}[2J screen reversed");
        assert_eq!(lines[6], "  next");
        assert!(lines.iter().any(|l| l.contains("e\u{301}tude")));
        assert!(
            lines[15].starts_with(" @ada  ● live · 3 unread"),
            "{}",
            lines[15]
        );
    }

    #[test]
    fn small_and_large_terminals() {
        let mut app = app();
        for i in 10..60 {
            app.update(Msg::HomeEvent(Event::Status {
                sub: 1,
                eid: roost_shared::Eid { ms: i, seq: 0 },
                status: status(i, "many", &"long words ".repeat(30)),
            }));
        }
        let small = screen(&app, 40, 12);
        assert!(small.iter().all(|l| width(l) <= 40));
        assert!(small[11].contains("@ada"));
        let large = screen(&app, 300, 100);
        assert!(large[99].contains("live"));
        assert!(large.iter().filter(|l| l.contains("@many")).count() > 20);
        // Scrolled down, new statuses show a marker.
        app.update(Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('j'),
        )));
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid::ZERO,
            status: status(99, "late", "hi"),
        }));
        assert!(screen(&app, 60, 16)[1].contains("↑ 1 new"));
    }

    #[test]
    fn stream_pane_compose_help_and_reconnecting() {
        let mut app = app();
        app.stream.filter = "track: 数据库".into();
        app.stream.active = true;
        app.pane = Pane::Stream;
        let mut located = status(7, "geo", "库 nearby");
        located.location = Some(Location {
            lat: 52.5,
            lon: 13.4,
        });
        app.update(Msg::StreamEvent(Event::Status {
            sub: 2,
            eid: roost_shared::Eid { ms: 1, seq: 0 },
            status: located,
        }));
        let lines = screen(&app, 60, 12);
        assert_eq!(lines[1], " Filter: track: 数据库");
        assert_eq!(lines[2], " 1 matches · live");
        assert!(lines[3].contains("@geo · 2m · 52.50,13.40"));
        assert!(lines[0].contains("Stream (1)"));

        app.update(Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('c'),
        )));
        app.update(Msg::Paste("draft 🦀".into()));
        let lines = screen(&app, 60, 16);
        assert!(
            lines.iter().any(|l| l.contains("New status · 7/1000")),
            "{lines:#?}"
        );
        assert!(lines.iter().any(|l| l.contains("draft 🦀")));

        app.mode = Mode::Help;
        let lines = screen(&app, 80, 30);
        for b in &app.keys.table {
            assert!(
                lines.iter().any(|l| l.contains(b.help)),
                "help lacks {}",
                b.help
            );
        }

        app.mode = Mode::Normal;
        app.conn = ConnState::Reconnecting {
            attempt: 1,
            at_ms: app.now_ms + 3000,
        };
        assert!(screen(&app, 60, 12)[11].contains("reconnecting in 3s"));
    }

    #[test]
    fn tiny_terminals_never_panic() {
        let mut app = app();
        let mode = |n: usize| match n {
            0 => Mode::Normal,
            1 => Mode::Help,
            2 => Mode::Prompt {
                kind: PromptKind::Filter,
                input: "数据库 ".repeat(20),
            },
            3 => Mode::Confirm {
                question: "Delete? (y/n)".into(),
                then: vec![],
                quit: false,
                back_to: None,
            },
            _ => Mode::Compose(Box::default()),
        };
        let user = app.me.clone().unwrap();
        let statuses = Timeline {
            statuses: app.home.statuses.clone(),
            loaded: true,
            ..Timeline::default()
        };
        let profile = Detail::Profile {
            user: user.clone(),
            statuses,
            following: true,
        };
        let entry = roost_shared::FollowEntry {
            user,
            since: "2026-11-26T21:50:00.001Z".into(),
        };
        let list = Detail::List {
            kind: ListKind::Followers,
            login: "ada".into(),
            entries: vec![entry],
            selected: 0,
        };
        for n in 0..5 {
            app.mode = mode(n);
            for (pane, detail) in [
                (Pane::Home, None),
                (Pane::Stream, None),
                (Pane::Detail, Some(profile.clone())),
                (Pane::Detail, Some(list.clone())),
            ] {
                app.detail = detail;
                app.pane = pane;
                for (w, h) in [(1, 1), (2, 2), (5, 3), (10, 4), (20, 6), (40, 12)] {
                    screen(&app, w, h);
                }
            }
        }
    }
}
