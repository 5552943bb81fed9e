//! What opens over the panes: a profile (its header and its statuses), a
//! follow list, a thread, a tag, mentions or likes timeline, trending tags.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::timeline::render_timeline;
use crate::app::{App, Detail, ListKind};
use crate::text::{relative, sanitize, truncate};

pub(super) fn render_detail(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    match &app.detail {
        Some(Detail::Profile {
            user,
            statuses,
            following,
        }) => {
            let [head, body] =
                Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
            let me = app.me.as_ref().is_some_and(|m| m.id == user.id);
            let r = user.relationship.unwrap_or_default();
            let relation = if me {
                "you".to_owned()
            } else {
                let mut parts = vec![if *following {
                    "following · f to unfollow"
                } else if r.requested {
                    "requested · f to withdraw"
                } else {
                    "f to follow"
                }];
                if r.followed_by {
                    parts.push("follows you");
                }
                if r.blocking {
                    parts.push("blocked · B to unblock");
                }
                if r.muting {
                    parts.push("muted · M to unmute");
                }
                if user.private {
                    parts.push("private");
                }
                parts.join(" · ")
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
                Line::from(Span::styled(
                    format!(
                        " {}",
                        truncate(&sanitize(&user.bio, false), usize::from(area.width))
                    ),
                    theme.dim(),
                )),
            ];
            frame.render_widget(Paragraph::new(lines), head);
            render_timeline(app, theme, statuses, &[], "This profile", frame, body);
        }
        Some(Detail::Thread {
            statuses, depths, ..
        }) => {
            let [head, body] =
                Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
            let title = format!(
                " Thread · {} statuses · R replies to the selected one",
                statuses.statuses.len()
            );
            frame.render_widget(
                Paragraph::new(vec![Line::from(Span::styled(title, theme.accent()))]),
                head,
            );
            render_timeline(app, theme, statuses, depths, "This thread", frame, body);
        }
        Some(Detail::Statuses { source, statuses }) => {
            let [head, body] =
                Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
            let title = format!(" {} · {} statuses", source.title(), statuses.statuses.len());
            frame.render_widget(
                Paragraph::new(vec![Line::from(Span::styled(title, theme.accent()))]),
                head,
            );
            render_timeline(app, theme, statuses, &[], &source.title(), frame, body);
        }
        Some(Detail::Trending { tags, selected }) => {
            let mut lines = vec![
                Line::from(Span::styled(
                    " Trending over the last 24 hours · Enter opens a tag",
                    theme.accent(),
                )),
                Line::raw(""),
            ];
            if tags.is_empty() {
                lines.push(Line::from(Span::styled(
                    " no tags yet: post one with #",
                    theme.dim(),
                )));
            }
            for (i, t) in tags.iter().enumerate() {
                let style = if i == *selected {
                    theme.selected()
                } else {
                    Style::default()
                };
                let text = format!(" {:>2}. #{} · {} statuses", i + 1, t.tag, t.statuses);
                lines.push(Line::from(Span::styled(
                    truncate(&sanitize(&text, false), usize::from(area.width)),
                    style,
                )));
            }
            frame.render_widget(Paragraph::new(lines), area);
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
                ListKind::Requests => " Asking to follow you · y approves, x denies".into(),
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
