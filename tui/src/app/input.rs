//! Who has the keyboard, and what keys and commands do: compose, prompts,
//! confirmations, moving, opening, following, deleting.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use roost_shared::{Order, Status};

use super::filter::parse_filter;
use super::{App, Detail, Effect, ListKind, Pane, SafetyAct, Settings, Source, StreamPane};
use crate::keys::Command;

/// What a one-line prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Register,
    Profile,
    Filter,
    Tag,
    /// Whom a new direct message goes to.
    DmTo,
    /// Why you report a status or an account.
    Report,
}

/// The status an act on `status` acts on: a repost's original.
fn target(status: &Status) -> &Status {
    status.repost_of.as_deref().unwrap_or(status)
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
    /// The key table; `scroll` rows scrolled where it does not fit.
    Help {
        scroll: u16,
    },
    /// Your profile's settings.
    Settings(Settings),
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
            Mode::Settings(_) => self.settings_key(key),
            Mode::Help { scroll } => {
                match self.keys.command(key) {
                    Some(Command::Down | Command::PageDown) => *scroll += 1,
                    Some(Command::Up | Command::PageUp) => *scroll = scroll.saturating_sub(1),
                    _ => self.mode = Mode::Normal,
                }
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
                        self.reply_to = None;
                        self.dm_to = None;
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
                        if let Some(to) = self.dm_to.clone() {
                            return vec![Effect::Dm { to, text }];
                        }
                        let reply_to = self.reply_to.as_ref().map(|s| s.id);
                        vec![Effect::Post { text, reply_to }]
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
                        self.report_target = None;
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
            PromptKind::DmTo => self.dm_to_typed(&text),
            PromptKind::Report => self.submit_report(text),
            PromptKind::Tag => {
                let tag = text.trim_start_matches('#').to_lowercase();
                if tag.is_empty() {
                    Vec::new()
                } else {
                    vec![Effect::LoadStatuses(Source::Tag(tag))]
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
        if let Some(effects) = self.messages_command(command) {
            return effects;
        }
        if let Some(effects) = self.moderation_command(command) {
            return effects;
        }
        match command {
            Command::Down
            | Command::Up
            | Command::PageDown
            | Command::PageUp
            | Command::Top
            | Command::Bottom => self.move_cursor(command, page),
            Command::NextPane => {
                self.pane = match (self.pane, self.detail.is_some()) {
                    (Pane::Home, _) => Pane::Notifications,
                    (Pane::Notifications, _) => Pane::Messages,
                    (Pane::Messages, _) => Pane::Stream,
                    (Pane::Stream, true) => Pane::Detail,
                    _ => Pane::Home,
                };
                self.entered_pane()
            }
            Command::Notifications => {
                self.pane = Pane::Notifications;
                self.entered_pane()
            }
            Command::Messages => {
                self.pane = Pane::Messages;
                self.entered_pane()
            }
            Command::Settings => self.open_settings(),
            Command::Report => self.start_report(),
            Command::Moderation => vec![Effect::LoadModeration],
            // Outside the moderation pane: said there.
            Command::Hide | Command::Suspend | Command::Dismiss | Command::ModerationLog => {
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
                (Some(Detail::Trending { tags, selected }), Pane::Detail) => tags
                    .get(*selected)
                    .map(|t| vec![Effect::LoadStatuses(Source::Tag(t.tag.clone()))])
                    .unwrap_or_default(),
                (_, Pane::Notifications) => match self.notifications.current() {
                    Some(n) => match &n.status {
                        Some(status) => vec![Effect::LoadThread(status.id)],
                        None => vec![Effect::LoadProfile(n.from.login.clone())],
                    },
                    None => Vec::new(),
                },
                _ => self.command(Command::Author),
            },
            Command::Author => match (self.pane, self.notifications.current()) {
                (Pane::Notifications, Some(n)) => vec![Effect::LoadProfile(n.from.login.clone())],
                _ => self
                    .selected_status()
                    .map(|s| vec![Effect::LoadProfile(s.login.clone())])
                    .unwrap_or_default(),
            },
            Command::Reply => match self.selected_status().map(target).cloned() {
                Some(parent) => {
                    let mut area = TextArea::default();
                    area.set_placeholder_text(format!("Reply to @{}", parent.login));
                    if !self.is_mine(&parent) {
                        area.insert_str(format!("@{} ", parent.login));
                    }
                    self.reply_to = Some(parent);
                    self.mode = Mode::Compose(Box::new(area));
                    Vec::new()
                }
                None => self.nothing_selected(),
            },
            Command::Repost => match self.selected_status().map(target) {
                Some(s) if s.reposted => vec![Effect::Unrepost(s.id)],
                Some(s) => vec![Effect::Repost(s.id)],
                None => self.nothing_selected(),
            },
            Command::Like => match self.selected_status().map(target) {
                Some(s) if s.liked => vec![Effect::Unlike(s.id)],
                Some(s) => vec![Effect::Like(s.id)],
                None => self.nothing_selected(),
            },
            Command::Thread => match self.selected_status().map(target) {
                Some(s) => vec![Effect::LoadThread(s.id)],
                None => self.nothing_selected(),
            },
            Command::Tag => {
                let first = self
                    .selected_status()
                    .map(target)
                    .and_then(|s| s.tags.first().cloned())
                    .unwrap_or_default();
                self.mode = Mode::Prompt {
                    kind: PromptKind::Tag,
                    input: first,
                };
                Vec::new()
            }
            Command::Mentions => vec![Effect::LoadStatuses(Source::Mentions)],
            Command::Likes => {
                let login = match (&self.detail, self.pane) {
                    (Some(Detail::Profile { user, .. }), Pane::Detail) => Some(user.login.clone()),
                    _ => self.me.as_ref().map(|m| m.login.clone()),
                };
                login
                    .map(|l| vec![Effect::LoadStatuses(Source::Likes(l))])
                    .unwrap_or_default()
            }
            Command::Trending => vec![Effect::LoadTrending],
            Command::ToggleBlock | Command::ToggleMute => {
                let Some(Detail::Profile { user, .. }) =
                    self.detail.as_ref().filter(|_| self.pane == Pane::Detail)
                else {
                    self.message = Some("Open a profile to block or mute (@ or a).".into());
                    return Vec::new();
                };
                if self.me.as_ref().is_some_and(|m| m.id == user.id) {
                    self.message = Some("That is you.".into());
                    return Vec::new();
                }
                let now = user.relationship.unwrap_or_default();
                let login = user.login.clone();
                let (act, question) = match command {
                    Command::ToggleBlock if now.blocking => (SafetyAct::Unblock, None),
                    Command::ToggleBlock => (
                        SafetyAct::Block,
                        Some(format!(
                            "Block @{login}? Follows go both ways and neither of you sees the other. (y/n)"
                        )),
                    ),
                    _ if now.muting => (SafetyAct::Unmute, None),
                    _ => (SafetyAct::Mute, None),
                };
                let effect = Effect::Safety(act, login);
                match question {
                    Some(question) => {
                        self.mode = Mode::Confirm {
                            question,
                            then: vec![effect],
                            quit: false,
                            back_to: None,
                        };
                        Vec::new()
                    }
                    None => vec![effect],
                }
            }
            Command::Importance => {
                self.home_order = match self.home_order {
                    Order::Newest => Order::Importance,
                    Order::Importance => Order::Newest,
                };
                self.pane = Pane::Home;
                self.message = Some(match self.home_order {
                    Order::Newest => "Home: newest first.".into(),
                    Order::Importance => "Home: by importance (likes, reposts, replies).".into(),
                });
                vec![self.load_home()]
            }
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
            Command::Requests => self
                .me
                .as_ref()
                .map(|m| vec![Effect::LoadList(ListKind::Requests, m.login.clone())])
                .unwrap_or_default(),
            Command::Approve | Command::Deny => match (&self.detail, self.pane) {
                (
                    Some(Detail::List {
                        kind: ListKind::Requests,
                        entries,
                        selected,
                        ..
                    }),
                    Pane::Detail,
                ) => entries
                    .get(*selected)
                    .map(|e| {
                        vec![Effect::Answer(
                            e.user.login.clone(),
                            command == Command::Approve,
                        )]
                    })
                    .unwrap_or_default(),
                _ => {
                    self.message = Some("Open your follow requests first (Q).".into());
                    Vec::new()
                }
            },
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
                    if *following || user.relationship.is_some_and(|r| r.requested) {
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
                self.reply_to = None;
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
                (Some(Detail::Thread { focus, .. }), Pane::Detail) => {
                    vec![Effect::LoadThread(*focus)]
                }
                (Some(Detail::Statuses { source, .. }), Pane::Detail) => {
                    vec![Effect::LoadStatuses(source.clone())]
                }
                (Some(Detail::Trending { .. }), Pane::Detail) => vec![Effect::LoadTrending],
                (_, Pane::Notifications) => vec![Effect::LoadNotifications],
                _ => vec![self.load_home()],
            },
            Command::Help => {
                self.mode = Mode::Help { scroll: 0 };
                Vec::new()
            }
            Command::Back | Command::Quit => {
                if self.pane == Pane::Detail {
                    self.detail = None;
                    self.pane = Pane::Home;
                } else if command == Command::Quit {
                    self.quit = true;
                } else if matches!(
                    self.pane,
                    Pane::Stream | Pane::Notifications | Pane::Messages
                ) {
                    self.pane = Pane::Home;
                }
                Vec::new()
            }
        }
    }

    fn nothing_selected(&mut self) -> Vec<Effect> {
        self.message = Some("Select a status first.".into());
        Vec::new()
    }

    /// On arriving at a pane: the notifications load once, and read at the top.
    fn entered_pane(&mut self) -> Vec<Effect> {
        if self.pane == Pane::Messages && !self.messages.loaded {
            return vec![Effect::LoadConversations];
        }
        if self.pane != Pane::Notifications {
            return Vec::new();
        }
        if !self.notifications.loaded {
            return vec![Effect::LoadNotifications];
        }
        if self.notifications.selected == 0 {
            return self.mark_notifications_read();
        }
        Vec::new()
    }

    fn move_cursor(&mut self, command: Command, page: usize) -> Vec<Effect> {
        let step = |selected: usize, len: usize| {
            let last = len.saturating_sub(1);
            match command {
                Command::Down => (selected + 1).min(last),
                Command::Up => selected.saturating_sub(1),
                Command::PageDown => (selected + page).min(last),
                Command::PageUp => selected.saturating_sub(page),
                Command::Top => 0,
                _ => last,
            }
        };
        match (self.pane, &mut self.detail) {
            (
                Pane::Detail,
                Some(Detail::List {
                    entries, selected, ..
                }),
            ) => {
                *selected = step(*selected, entries.len());
                return Vec::new();
            }
            (Pane::Detail, Some(Detail::Trending { tags, selected })) => {
                *selected = step(*selected, tags.len());
                return Vec::new();
            }
            (
                Pane::Detail,
                Some(Detail::Moderation {
                    reports,
                    log,
                    view,
                    selected,
                }),
            ) => {
                let len = match view {
                    super::ModerationView::Reports => reports.len(),
                    super::ModerationView::Log => log.len(),
                };
                *selected = step(*selected, len);
                return Vec::new();
            }
            (Pane::Messages, _) => {
                if self.messages.chat.is_none() {
                    let m = &mut self.messages;
                    m.selected = step(m.selected, m.conversations.len());
                }
                return Vec::new();
            }
            (Pane::Notifications, _) => {
                let n = &mut self.notifications;
                n.selected = step(n.selected, n.list.len());
                if n.selected == 0 {
                    return self.mark_notifications_read();
                }
                return Vec::new();
            }
            _ => {}
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
