//! Your profile's settings overlay, reports, and for operators the
//! moderation pane: open reports to hide, suspend or dismiss, and the audit
//! log.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use roost_shared::{ModerationEntry, ReportEntry};

use super::model::ModerationView;
use super::{App, Detail, Effect, Mode, Pane, PromptKind};
use crate::keys::Command;

/// The fields of the settings overlay, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Bio,
    Private,
}

/// The settings overlay's draft of your profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub field: Field,
    pub name: String,
    pub bio: String,
    pub private: bool,
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportTarget {
    Status(u64),
    Account(String),
}

impl App {
    /// `E`: the overlay with your profile as it is.
    pub(super) fn open_settings(&mut self) -> Vec<Effect> {
        let Some(me) = &self.me else {
            return Vec::new();
        };
        self.mode = Mode::Settings(Settings {
            field: Field::Name,
            name: me.name.clone(),
            bio: me.bio.clone(),
            private: me.private,
        });
        Vec::new()
    }

    /// Keys while the settings overlay is open: Tab/Up/Down move between the
    /// fields, typing edits name and bio, Space toggles private, Enter saves,
    /// Esc cancels.
    pub(super) fn settings_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Settings(settings) = &mut self.mode else {
            return Vec::new();
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Char('c') if ctrl => self.mode = Mode::Normal,
            KeyCode::Tab | KeyCode::Down => {
                settings.field = match settings.field {
                    Field::Name => Field::Bio,
                    Field::Bio => Field::Private,
                    Field::Private => Field::Name,
                }
            }
            KeyCode::BackTab | KeyCode::Up => {
                settings.field = match settings.field {
                    Field::Name => Field::Private,
                    Field::Bio => Field::Name,
                    Field::Private => Field::Bio,
                }
            }
            KeyCode::Enter => {
                let settings = settings.clone();
                let check = roost_shared::validate::name(&settings.name)
                    .and_then(|()| roost_shared::validate::bio(&settings.bio));
                if let Err(why) = check {
                    self.message = Some(why);
                    return Vec::new();
                }
                self.mode = Mode::Normal;
                return vec![Effect::SetProfile {
                    name: settings.name,
                    bio: settings.bio,
                    private: settings.private,
                }];
            }
            KeyCode::Char(' ') if settings.field == Field::Private => {
                settings.private = !settings.private;
            }
            KeyCode::Backspace => match settings.field {
                Field::Name => drop(settings.name.pop()),
                Field::Bio => drop(settings.bio.pop()),
                Field::Private => {}
            },
            KeyCode::Char(c) if !ctrl => match settings.field {
                Field::Name => settings.name.push(c),
                Field::Bio => settings.bio.push(c),
                Field::Private => {}
            },
            _ => {}
        }
        Vec::new()
    }

    /// `!`: on a profile reports the account, elsewhere the selected status;
    /// a prompt asks why.
    pub(super) fn start_report(&mut self) -> Vec<Effect> {
        let target = match (&self.detail, self.pane) {
            (Some(Detail::Profile { user, .. }), Pane::Detail) => {
                Some(ReportTarget::Account(user.login.clone()))
            }
            _ => self
                .selected_status()
                .map(|s| ReportTarget::Status(s.repost_of.as_deref().map_or(s.id, |o| o.id))),
        };
        let Some(target) = target else {
            self.message = Some("Select a status or open a profile to report.".into());
            return Vec::new();
        };
        self.report_target = Some(target);
        self.mode = Mode::Prompt {
            kind: PromptKind::Report,
            input: String::new(),
        };
        Vec::new()
    }

    pub(super) fn submit_report(&mut self, reason: String) -> Vec<Effect> {
        let Some(target) = self.report_target.take() else {
            return Vec::new();
        };
        if reason.is_empty() || reason.chars().count() > 500 {
            self.message = Some("A reason of 1 to 500 characters, please.".into());
            self.report_target = Some(target);
            self.mode = Mode::Prompt {
                kind: PromptKind::Report,
                input: reason,
            };
            return Vec::new();
        }
        let (status, login) = match target {
            ReportTarget::Status(id) => (Some(id), None),
            ReportTarget::Account(login) => (None, Some(login)),
        };
        vec![Effect::Report {
            status,
            login,
            reason,
        }]
    }

    pub(super) fn moderation_loaded(
        &mut self,
        reports: Vec<ReportEntry>,
        log: Vec<ModerationEntry>,
    ) -> Vec<Effect> {
        let (view, selected) = match &self.detail {
            Some(Detail::Moderation { view, selected, .. }) => (*view, *selected),
            _ => (ModerationView::Reports, 0),
        };
        let len = match view {
            ModerationView::Reports => reports.len(),
            ModerationView::Log => log.len(),
        };
        self.detail = Some(Detail::Moderation {
            reports,
            log,
            view,
            selected: selected.min(len.saturating_sub(1)),
        });
        self.pane = Pane::Detail;
        Vec::new()
    }

    /// The operators' keys in the moderation pane; `None` elsewhere.
    pub(super) fn moderation_command(&mut self, command: Command) -> Option<Vec<Effect>> {
        let Some(Detail::Moderation {
            reports,
            view,
            selected,
            ..
        }) = self.detail.as_mut().filter(|_| self.pane == Pane::Detail)
        else {
            return match command {
                Command::Hide | Command::Suspend | Command::Dismiss | Command::ModerationLog => {
                    self.message = Some("Open the moderation pane first (O).".into());
                    Some(Vec::new())
                }
                _ => None,
            };
        };
        if command == Command::ModerationLog {
            *view = match view {
                ModerationView::Reports => ModerationView::Log,
                ModerationView::Log => ModerationView::Reports,
            };
            *selected = 0;
            return Some(Vec::new());
        }
        if command == Command::Refresh {
            return Some(vec![Effect::LoadModeration]);
        }
        if !matches!(command, Command::Hide | Command::Suspend | Command::Dismiss) {
            return None;
        }
        let report = match view {
            ModerationView::Reports => reports.get(*selected).cloned(),
            ModerationView::Log => None,
        };
        let Some(report) = report else {
            self.message = Some("Select a report.".into());
            return Some(Vec::new());
        };
        let open = (report.state == "open").then_some(report.id);
        let (question, effect) = match command {
            Command::Hide => {
                let Some(status) = &report.status else {
                    self.message = Some("This report names an account, not a status.".into());
                    return Some(Vec::new());
                };
                let action = if status.hidden { "unhide" } else { "hide" };
                (
                    format!("{action} status {} by @{}? (y/n)", status.id, status.login),
                    Effect::Moderate {
                        action: action.into(),
                        status: Some(status.id),
                        login: None,
                        report: open,
                    },
                )
            }
            Command::Suspend => {
                let action = if report.user.suspended {
                    "unsuspend"
                } else {
                    "suspend"
                };
                (
                    format!("{action} @{}? (y/n)", report.user.login),
                    Effect::Moderate {
                        action: action.into(),
                        status: None,
                        login: Some(report.user.login.clone()),
                        report: open,
                    },
                )
            }
            _ => {
                let Some(id) = open else {
                    self.message = Some("That report is resolved already.".into());
                    return Some(Vec::new());
                };
                (
                    format!("Dismiss report {id}? (y/n)"),
                    Effect::Moderate {
                        action: "dismiss".into(),
                        status: None,
                        login: None,
                        report: Some(id),
                    },
                )
            }
        };
        self.mode = Mode::Confirm {
            question,
            then: vec![effect],
            quit: false,
            back_to: None,
        };
        Some(Vec::new())
    }
}
