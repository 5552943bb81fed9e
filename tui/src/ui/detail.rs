//! What opens over the panes: a profile (its header and its statuses), a
//! follow list, a thread, a tag, mentions or likes timeline, trending tags.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::timeline::render_timeline;
use roost_shared::{ModerationEntry, ReportEntry};

use crate::app::{App, Detail, ListKind, ModerationView};
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
        Some(Detail::Moderation {
            reports,
            log,
            view,
            selected,
        }) => render_moderation(app, theme, reports, log, *view, *selected, frame, area),
        None => {}
    }
}

/// The operators' pane: reports (H hides, Z suspends, X dismisses) or the
/// audit log (v switches).
#[allow(clippy::too_many_arguments, reason = "one pane's parts")]
fn render_moderation(
    app: &App,
    theme: Theme,
    reports: &[ReportEntry],
    log: &[ModerationEntry],
    view: ModerationView,
    selected: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let cols = usize::from(area.width);
    let (title, rows): (String, Vec<(String, String)>) = match view {
        ModerationView::Reports => (
            format!(
                " Reports ({} open) · H hide/unhide · Z suspend/reinstate · X dismiss · v audit log",
                reports.iter().filter(|r| r.state == "open").count()
            ),
            reports
                .iter()
                .map(|r| {
                    let state = match &r.resolution {
                        Some(res) => format!("{} by {}", res.action, res.by),
                        None => r.state.clone(),
                    };
                    let what = match &r.status {
                        Some(s) => format!(
                            "status {}{} by @{}: {}",
                            s.id,
                            if s.hidden { " (hidden)" } else { "" },
                            s.login,
                            s.text
                        ),
                        None => format!(
                            "account @{}{}",
                            r.user.login,
                            if r.user.suspended { " (suspended)" } else { "" }
                        ),
                    };
                    (
                        format!(
                            " #{} [{state}] @{} reports {} · {}",
                            r.id,
                            r.by.login,
                            if r.status.is_some() {
                                "a status"
                            } else {
                                "an account"
                            },
                            relative(&r.at, app.now_ms)
                        ),
                        format!("   “{}” · {what}", r.reason),
                    )
                })
                .collect(),
        ),
        ModerationView::Log => (
            " Audit log · every moderation and operator request as someone · v reports".into(),
            log.iter()
                .map(|e| {
                    let on = match (&e.status, &e.login) {
                        (Some(s), _) => format!("status {s}"),
                        (None, Some(l)) => format!("@{l}"),
                        (None, None) => String::new(),
                    };
                    (
                        format!(
                            " {} {} {on} · {}",
                            e.by,
                            e.action,
                            relative(&e.at, app.now_ms)
                        ),
                        format!(
                            "   {}{}",
                            e.report
                                .map(|r| format!("report #{r} "))
                                .unwrap_or_default(),
                            e.note
                        ),
                    )
                })
                .collect(),
        ),
    };
    let mut lines = vec![
        Line::from(Span::styled(truncate(&title, cols), theme.accent())),
        Line::raw(""),
    ];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(" nothing here", theme.dim())));
    }
    let (first, fits) = super::window(selected, usize::from(area.height).saturating_sub(2), 3);
    for (i, (head, body)) in rows.iter().enumerate().skip(first).take(fits) {
        let style = if i == selected {
            theme.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(
            truncate(&sanitize(head, false), cols),
            style,
        )));
        lines.push(Line::from(Span::styled(
            truncate(&sanitize(body, false), cols),
            theme.dim(),
        )));
        lines.push(Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
