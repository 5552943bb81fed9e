//! Who has the keyboard, and what keys and commands do: compose, prompts,
//! confirmations, moving, opening, following, deleting.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::filter::parse_filter;
use super::{App, Detail, Effect, ListKind, Pane, StreamPane};
use crate::keys::Command;

/// What a one-line prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Register,
    Profile,
    Filter,
}

/// Who has the keyboard.
pub enum Mode {
    Normal,
    Compose(Box<TextArea<'static>>),
    Prompt {
        kind: PromptKind,
        input: String,
    },
    /// A yes/no question; no returns to the draft in `back_to`, if any.
    Confirm {
        question: String,
        then: Vec<Effect>,
        quit: bool,
        back_to: Option<Box<TextArea<'static>>>,
    },
    Help,
}

impl App {
    /// Pasted text goes to the draft or the prompt.
    pub(super) fn paste(&mut self, text: String) -> Vec<Effect> {
        match &mut self.mode {
            Mode::Compose(area) => {
                area.insert_str(text);
            }
            Mode::Prompt { input, .. } => input.push_str(&text.replace(['\n', '\r'], " ")),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match &mut self.mode {
            Mode::Help => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            Mode::Confirm {
                then,
                quit,
                back_to,
                ..
            } => {
                let (then, quit, back_to) = (std::mem::take(then), *quit, back_to.take());
                self.mode = Mode::Normal;
                if matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter) {
                    self.quit = quit;
                    return then;
                }
                if let Some(area) = back_to {
                    self.mode = Mode::Compose(area);
                }
                Vec::new()
            }
            Mode::Compose(area) => {
                let text = area.lines().join("\n");
                if ctrl_c || key.code == KeyCode::Esc {
                    if text.trim().is_empty() {
                        self.mode = Mode::Normal;
                        self.quit = ctrl_c;
                        return Vec::new();
                    }
                    let Mode::Compose(area) = std::mem::replace(&mut self.mode, Mode::Normal)
                    else {
                        return Vec::new();
                    };
                    let question = if ctrl_c {
                        "Quit and lose the unsent draft? (y/n)"
                    } else {
                        "Discard this draft? (y/n)"
                    };
                    self.mode = Mode::Confirm {
                        question: question.into(),
                        then: Vec::new(),
                        quit: ctrl_c,
                        back_to: Some(area),
                    };
                    return Vec::new();
                }
                match (key.code, key.modifiers.contains(KeyModifiers::CONTROL)) {
                    (KeyCode::Char('s'), true) => {
                        if let Err(why) = roost_shared::validate::text(&text) {
                            self.message = Some(why);
                            return Vec::new();
                        }
                        self.mode = Mode::Normal;
                        self.draft = Some(text.clone());
                        vec![Effect::Post(text)]
                    }
                    _ => {
                        area.input(key);
                        Vec::new()
                    }
                }
            }
            Mode::Prompt { kind, input } => {
                let kind = *kind;
                if ctrl_c {
                    self.quit = true;
                    return Vec::new();
                }
                match key.code {
                    KeyCode::Enter => {
                        let text = input.trim().to_owned();
                        self.mode = Mode::Normal;
                        self.submit(kind, text)
                    }
                    KeyCode::Esc if kind != PromptKind::Register => {
                        self.mode = Mode::Normal;
                        Vec::new()
                    }
                    KeyCode::Backspace => {
                        input.pop();
                        Vec::new()
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        input.push(c);
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            Mode::Normal => {
                if ctrl_c {
                    self.quit = true;
                    return Vec::new();
                }
                match self.keys.command(key) {
                    Some(command) => self.command(command),
                    None => Vec::new(),
                }
            }
        }
    }

    fn submit(&mut self, kind: PromptKind, text: String) -> Vec<Effect> {
        match kind {
            PromptKind::Register => {
                if let Err(why) = roost_shared::validate::name(&text) {
                    self.message = Some(why);
                    self.mode = Mode::Prompt { kind, input: text };
                    return Vec::new();
                }
                vec![Effect::Register(text)]
            }
            PromptKind::Profile => {
                let login = text.trim_start_matches('@').to_owned();
                if login.is_empty() {
                    Vec::new()
                } else {
                    vec![Effect::LoadProfile(login)]
                }
            }
            PromptKind::Filter => match parse_filter(&text) {
                Ok(stream) => {
                    self.stream = StreamPane {
                        filter: text,
                        active: true,
                        ..StreamPane::default()
                    };
                    self.pane = Pane::Stream;
                    vec![Effect::Subscribe(stream)]
                }
                Err(why) => {
                    self.message = Some(why);
                    self.mode = Mode::Prompt { kind, input: text };
                    Vec::new()
                }
            },
        }
    }

    pub(super) fn command(&mut self, command: Command) -> Vec<Effect> {
        self.message = None;
        let page = self.page;
        match command {
            Command::Down
            | Command::Up
            | Command::PageDown
            | Command::PageUp
            | Command::Top
            | Command::Bottom => self.move_cursor(command, page),
            Command::NextPane => {
                self.pane = match (self.pane, self.detail.is_some()) {
                    (Pane::Home, _) => Pane::Stream,
                    (Pane::Stream, true) => Pane::Detail,
                    _ => Pane::Home,
                };
                Vec::new()
            }
            Command::Open => match (&self.detail, self.pane) {
                (
                    Some(Detail::List {
                        entries, selected, ..
                    }),
                    Pane::Detail,
                ) => entries
                    .get(*selected)
                    .map(|e| vec![Effect::LoadProfile(e.user.login.clone())])
                    .unwrap_or_default(),
                _ => self.command(Command::Author),
            },
            Command::Author => self
                .selected_status()
                .map(|s| vec![Effect::LoadProfile(s.login.clone())])
                .unwrap_or_default(),
            Command::Profile => {
                self.mode = Mode::Prompt {
                    kind: PromptKind::Profile,
                    input: String::new(),
                };
                Vec::new()
            }
            Command::Followers | Command::Following => {
                let kind = if command == Command::Followers {
                    ListKind::Followers
                } else {
                    ListKind::Following
                };
                let login = match (&self.detail, self.pane) {
                    (Some(Detail::Profile { user, .. }), Pane::Detail) => Some(user.login.clone()),
                    (Some(Detail::List { login, .. }), Pane::Detail) => Some(login.clone()),
                    _ => self.me.as_ref().map(|m| m.login.clone()),
                };
                login
                    .map(|l| vec![Effect::LoadList(kind, l)])
                    .unwrap_or_default()
            }
            Command::ToggleFollow => match (&self.detail, self.pane) {
                (
                    Some(Detail::Profile {
                        user, following, ..
                    }),
                    Pane::Detail,
                ) => {
                    if self.me.as_ref().is_some_and(|m| m.id == user.id) {
                        self.message = Some("That is you.".into());
                        return Vec::new();
                    }
                    if *following {
                        self.mode = Mode::Confirm {
                            question: format!("Unfollow @{}? (y/n)", user.login),
                            then: vec![Effect::Unfollow(user.login.clone())],
                            quit: false,
                            back_to: None,
                        };
                        Vec::new()
                    } else {
                        vec![Effect::Follow(user.login.clone())]
                    }
                }
                _ => {
                    self.message = Some("Open a profile to follow (@ or a).".into());
                    Vec::new()
                }
            },
            Command::Compose => {
                let mut area = TextArea::default();
                area.set_placeholder_text("What's happening on this host?");
                self.mode = Mode::Compose(Box::new(area));
                Vec::new()
            }
            Command::Delete => match self.selected_status().cloned() {
                Some(status) if self.is_mine(&status) => {
                    self.mode = Mode::Confirm {
                        question: "Delete this status? (y/n)".into(),
                        then: vec![Effect::Delete(status.id)],
                        quit: false,
                        back_to: None,
                    };
                    Vec::new()
                }
                Some(_) => {
                    self.message = Some("Only your own statuses can be deleted.".into());
                    Vec::new()
                }
                None => Vec::new(),
            },
            Command::EditFilter => {
                self.mode = Mode::Prompt {
                    kind: PromptKind::Filter,
                    input: self.stream.filter.clone(),
                };
                Vec::new()
            }
            Command::Refresh => match (&self.detail, self.pane) {
                (Some(Detail::Profile { user, .. }), Pane::Detail) => {
                    vec![Effect::LoadProfile(user.login.clone())]
                }
                (Some(Detail::List { kind, login, .. }), Pane::Detail) => {
                    vec![Effect::LoadList(*kind, login.clone())]
                }
                _ => vec![Effect::LoadHome],
            },
            Command::Help => {
                self.mode = Mode::Help;
                Vec::new()
            }
            Command::Back | Command::Quit => {
                if self.pane == Pane::Detail {
                    self.detail = None;
                    self.pane = Pane::Home;
                } else if command == Command::Quit {
                    self.quit = true;
                } else if self.pane == Pane::Stream {
                    self.pane = Pane::Home;
                }
                Vec::new()
            }
        }
    }

    fn move_cursor(&mut self, command: Command, page: usize) -> Vec<Effect> {
        if let (
            Pane::Detail,
            Some(Detail::List {
                entries, selected, ..
            }),
        ) = (self.pane, &mut self.detail)
        {
            let last = entries.len().saturating_sub(1);
            *selected = match command {
                Command::Down => (*selected + 1).min(last),
                Command::Up => selected.saturating_sub(1),
                Command::PageDown => (*selected + page).min(last),
                Command::PageUp => selected.saturating_sub(page),
                Command::Top => 0,
                _ => last,
            };
            return Vec::new();
        }
        let Some(timeline) = self.timeline_mut() else {
            return Vec::new();
        };
        let last = timeline.statuses.len().saturating_sub(1);
        let to = match command {
            Command::Down => timeline.selected + 1,
            Command::Up => timeline.selected.saturating_sub(1),
            Command::PageDown => timeline.selected + page,
            Command::PageUp => timeline.selected.saturating_sub(page),
            Command::Top => 0,
            _ => last,
        };
        timeline.select(to);
        if self.pane == Pane::Home && self.home.selected == 0 {
            return self.mark_read();
        }
        Vec::new()
    }
}
