//! What covers the panes while it has the keyboard: compose, a one-line
//! prompt, a yes/no question, the help generated from the key table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use roost_shared::validate::TEXT_MAX;

use super::Theme;
use crate::app::{App, Field, Mode, PromptKind, Settings};
use crate::text::{sanitize, truncate, width, wrap};

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

pub(super) fn render_overlay(app: &App, theme: Theme, frame: &mut Frame) {
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
            let what = match (&app.reply_to, &app.dm_to) {
                (_, Some(to)) => format!(
                    "Message to {}",
                    to.iter()
                        .map(|l| format!("@{}", sanitize(l, false)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                (Some(parent), None) => format!("Reply to @{}", sanitize(&parent.login, false)),
                (None, None) => "New status".into(),
            };
            let title = format!(" {what} · {count}/{TEXT_MAX} · Ctrl-s send · Esc cancel ");
            let border = if over {
                theme.fg(Color::Red)
            } else {
                theme.accent()
            };
            let block = Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(border);
            let mut inner = block.inner(box_area);
            frame.render_widget(block, box_area);
            if let Some(parent) = &app.reply_to {
                // The parent, quoted above the box.
                let quoted: Vec<Line> = wrap(
                    &sanitize(&parent.text, true),
                    usize::from(inner.width).saturating_sub(4).max(1),
                )
                .into_iter()
                .take(3)
                .map(|l| Line::from(Span::styled(format!(" │ {l}"), theme.dim())))
                .collect();
                let [quote, rest] = Layout::vertical([
                    Constraint::Length(quoted.len() as u16 + 1),
                    Constraint::Min(1),
                ])
                .areas(inner);
                frame.render_widget(Paragraph::new(quoted), quote);
                inner = rest;
            }
            frame.render_widget(&**textarea, inner);
        }
        Mode::Prompt { kind, input } => {
            let title = match kind {
                PromptKind::Register => " Welcome to Roost! Your display name (Enter) ",
                PromptKind::Profile => " Open the profile of @login (Enter; Esc cancels) ",
                PromptKind::Tag => " Open the timeline of #tag (Enter; Esc cancels) ",
                PromptKind::DmTo => " A message to (logins, e.g. alice, bob; Enter) ",
                PromptKind::Report => " Why report this? (1 to 500 characters; Enter sends) ",
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
        Mode::Settings(settings) => render_settings(settings, theme, frame, area),
        Mode::Confirm { question, .. } => {
            let w = (width(question) as u16 + 4).min(area.width);
            let box_area = centered(area, w, 3);
            frame.render_widget(Clear, box_area);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.fg(Color::Yellow));
            frame.render_widget(Paragraph::new(question.as_str()).block(block), box_area);
        }
        Mode::Help { scroll } => {
            let mut rows: Vec<Line> = app
                .keys
                .table
                .iter()
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!(" {:<16}", b.keys.join(" ")), theme.accent()),
                        Span::raw(b.help),
                    ])
                })
                .collect();
            // Two columns where the table does not fit in height and the
            // terminal is wide enough; else one column that j/k scroll.
            const COLUMN: u16 = 64;
            let fits = rows.len() as u16 + 2 <= area.height;
            let two = !fits && area.width >= 2 * COLUMN + 2;
            let right = if two {
                rows.split_off(rows.len().div_ceil(2))
            } else {
                Vec::new()
            };
            let h = (rows.len() as u16 + 2).min(area.height);
            let w = if two { 2 * COLUMN + 2 } else { COLUMN + 6 };
            let box_area = centered(area, w, h);
            frame.render_widget(Clear, box_area);
            let title = if fits || two {
                " Keys (any key closes) "
            } else {
                " Keys (j/k scroll, any other key closes) "
            };
            let block = Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(theme.accent());
            let inner = block.inner(box_area);
            frame.render_widget(block, box_area);
            if two {
                let [left_area, right_area] =
                    Layout::horizontal([Constraint::Length(COLUMN), Constraint::Min(0)])
                        .areas(inner);
                frame.render_widget(Paragraph::new(rows), left_area);
                frame.render_widget(Paragraph::new(right), right_area);
            } else {
                frame.render_widget(Paragraph::new(rows).scroll((*scroll, 0)), inner);
            }
        }
    }
}

/// The settings overlay: name, bio and private, the focused one marked.
fn render_settings(settings: &Settings, theme: Theme, frame: &mut Frame, area: Rect) {
    let box_area = centered(area, area.width.saturating_sub(4).clamp(20, 80), 9);
    frame.render_widget(Clear, box_area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Your profile · Tab moves · Space toggles private · Enter saves · Esc ")
        .border_style(theme.accent());
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let cols = usize::from(inner.width).saturating_sub(10);
    let field = |which: Field, label: &str, value: String| {
        let focused = settings.field == which;
        let cursor = if focused && which != Field::Private {
            "▏"
        } else {
            ""
        };
        let style = if focused {
            theme.selected()
        } else {
            ratatui::style::Style::default()
        };
        Line::from(vec![
            Span::styled(format!(" {label:<8}"), theme.accent()),
            Span::styled(format!("{}{cursor}", truncate(&value, cols)), style),
        ])
    };
    let private = if settings.private {
        "[x] private: only followers you approve read you"
    } else {
        "[ ] private: only followers you approve read you"
    };
    let lines = vec![
        field(Field::Name, "name", sanitize(&settings.name, false)),
        Line::raw(""),
        field(Field::Bio, "bio", sanitize(&settings.bio, false)),
        Line::from(Span::styled(
            format!("          {}/300", settings.bio.chars().count()),
            theme.dim(),
        )),
        field(Field::Private, "", private.into()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
