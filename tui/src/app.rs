//! The app's state and `update`, the only place it changes. Input, daemon
//! answers and events all arrive as a [`Msg`]; `update` returns the
//! [`Effect`]s (requests to roostd) for the runtime to carry out, so every
//! action can be driven and checked without a terminal or a daemon.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use roost_shared::{Event, Filter, FollowEntry, Marker, Sample, Status, Stream, User};

use crate::keys::{Command, KeyMap};

/// Which followers list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Followers,
    Following,
}

/// The connection as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Live,
    Reconnecting { attempt: u32, at_ms: i64 },
}

/// The panes Tab cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Home,
    Stream,
    Detail,
}

/// A list of statuses with a selection.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub statuses: Vec<Status>,
    pub selected: usize,
    /// Statuses that arrived above the selection since the reader scrolled down.
    pub new_above: usize,
    pub loaded: bool,
}

impl Timeline {
    fn insert(&mut self, status: Status, at_top: bool) -> bool {
        if self.statuses.iter().any(|s| s.id == status.id) {
            return false;
        }
        let pos = self
            .statuses
            .iter()
            .position(|s| s.id < status.id)
            .unwrap_or(self.statuses.len());
        self.statuses.insert(pos, status);
        if !self.statuses.is_empty()
            && (!at_top || self.selected > 0)
            && pos <= self.selected
            && self.statuses.len() > 1
        {
            self.selected += 1;
            self.new_above += 1;
        }
        true
    }

    fn remove(&mut self, id: u64) {
        if let Some(pos) = self.statuses.iter().position(|s| s.id == id) {
            self.statuses.remove(pos);
            if pos < self.selected {
                self.selected -= 1;
                self.new_above = self.new_above.saturating_sub(1);
            }
            self.selected = self.selected.min(self.statuses.len().saturating_sub(1));
        }
    }

    fn select(&mut self, to: usize) {
        self.selected = to.min(self.statuses.len().saturating_sub(1));
        self.new_above = self.new_above.min(self.selected);
    }

    pub fn current(&self) -> Option<&Status> {
        self.statuses.get(self.selected)
    }
}

/// The live filtered stream.
#[derive(Debug, Clone, Default)]
pub struct StreamPane {
    /// The filter as typed.
    pub filter: String,
    pub matches: Timeline,
    /// Statuses matched since the filter was set.
    pub count: u64,
    pub active: bool,
    pub lagged: u64,
}

/// A profile or a follow list, opened over the home and stream panes.
#[derive(Debug, Clone)]
pub enum Detail {
    Profile {
        user: User,
        statuses: Timeline,
        following: bool,
    },
    List {
        kind: ListKind,
        login: String,
        entries: Vec<FollowEntry>,
        selected: usize,
    },
}

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

/// Everything that can happen to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    ScrollUp,
    ScrollDown,
    Resize {
        height: u16,
    },
    Tick {
        now_ms: i64,
    },
    Connecting,
    Live {
        me: Option<User>,
    },
    Reconnecting {
        attempt: u32,
        at_ms: i64,
    },
    Home(Vec<Status>),
    Marker(Marker),
    Profile {
        user: User,
        statuses: Vec<Status>,
        following: bool,
    },
    List {
        kind: ListKind,
        login: String,
        entries: Vec<FollowEntry>,
    },
    HomeEvent(Event),
    StreamEvent(Event),
    Registered(User),
    Posted(Status),
    Deleted(u64),
    Followed {
        user: User,
        following: bool,
    },
    Failed {
        what: String,
        message: String,
    },
}

/// A request for the runtime to make of roostd.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Register(String),
    Post(String),
    Delete(u64),
    Follow(String),
    Unfollow(String),
    LoadHome,
    LoadProfile(String),
    LoadList(ListKind, String),
    Subscribe(Stream),
    SetMarker(u64),
}

pub struct App {
    pub me: Option<User>,
    pub conn: ConnState,
    pub pane: Pane,
    pub home: Timeline,
    pub stream: StreamPane,
    pub detail: Option<Detail>,
    pub mode: Mode,
    pub message: Option<String>,
    pub keys: KeyMap,
    /// The newest home status read, kept in roostd.
    pub marker: Option<u64>,
    pub now_ms: i64,
    pub quit: bool,
    /// Statuses per page, from the terminal's height.
    pub page: usize,
    /// A status text whose post is on its way, restored if it fails.
    draft: Option<String>,
}

impl App {
    pub fn new(keys: KeyMap) -> App {
        App {
            me: None,
            conn: ConnState::Connecting,
            pane: Pane::Home,
            home: Timeline::default(),
            stream: StreamPane::default(),
            detail: None,
            mode: Mode::Normal,
            message: None,
            keys,
            marker: None,
            now_ms: roost_shared::time::now_millis(),
            quit: false,
            page: 5,
            draft: None,
        }
    }

    /// Home statuses newer than the read marker.
    pub fn unread(&self) -> usize {
        let marker = self.marker.unwrap_or(0);
        let me = self.me.as_ref().map(|m| m.id);
        self.home
            .statuses
            .iter()
            .filter(|s| s.id > marker && Some(s.uid) != me)
            .count()
    }

    fn timeline_mut(&mut self) -> Option<&mut Timeline> {
        match self.pane {
            Pane::Home => Some(&mut self.home),
            Pane::Stream => Some(&mut self.stream.matches),
            Pane::Detail => match &mut self.detail {
                Some(Detail::Profile { statuses, .. }) => Some(statuses),
                _ => None,
            },
        }
    }

    /// The status under the cursor, in the pane shown.
    pub fn selected_status(&self) -> Option<&Status> {
        match self.pane {
            Pane::Home => self.home.current(),
            Pane::Stream => self.stream.matches.current(),
            Pane::Detail => match &self.detail {
                Some(Detail::Profile { statuses, .. }) => statuses.current(),
                _ => None,
            },
        }
    }

    fn is_mine(&self, status: &Status) -> bool {
        self.me.as_ref().is_some_and(|me| me.id == status.uid)
    }

    /// Marks the home timeline read up to its newest status.
    fn mark_read(&mut self) -> Vec<Effect> {
        let newest = self.home.statuses.first().map(|s| s.id);
        match newest {
            Some(id) if Some(id) > self.marker => {
                self.marker = Some(id);
                vec![Effect::SetMarker(id)]
            }
            _ => Vec::new(),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Paste(text) => {
                match &mut self.mode {
                    Mode::Compose(area) => {
                        area.insert_str(text);
                    }
                    Mode::Prompt { input, .. } => input.push_str(&text.replace(['\n', '\r'], " ")),
                    _ => {}
                }
                Vec::new()
            }
            Msg::ScrollUp => self.command(Command::Up),
            Msg::ScrollDown => self.command(Command::Down),
            Msg::Resize { height } => {
                self.page = (usize::from(height).saturating_sub(4) / 3).max(1);
                Vec::new()
            }
            Msg::Tick { now_ms } => {
                self.now_ms = now_ms;
                Vec::new()
            }
            Msg::Connecting => {
                self.conn = ConnState::Connecting;
                Vec::new()
            }
            Msg::Live { me } => {
                self.conn = ConnState::Live;
                self.me = me;
                if self.me.is_none() {
                    self.mode = Mode::Prompt {
                        kind: PromptKind::Register,
                        input: String::new(),
                    };
                    return Vec::new();
                }
                // The backend resumes the home and stream subscriptions itself.
                vec![Effect::LoadHome]
            }
            Msg::Reconnecting { attempt, at_ms } => {
                self.conn = ConnState::Reconnecting { attempt, at_ms };
                Vec::new()
            }
            Msg::Home(statuses) => {
                let first = !self.home.loaded;
                let keep = self.home.current().map(|s| s.id);
                self.home.statuses = statuses;
                self.home.loaded = true;
                let at = |id: u64| self.home.statuses.iter().position(|s| s.id == id);
                let target = if first {
                    self.marker.and_then(at)
                } else {
                    keep.and_then(at)
                };
                self.home.selected = target.unwrap_or(0);
                self.home.new_above = if first {
                    self.home.selected
                } else {
                    self.home.new_above.min(self.home.selected)
                };
                Vec::new()
            }
            Msg::Marker(marker) => {
                self.marker = marker.home;
                let at = marker
                    .home
                    .and_then(|id| self.home.statuses.iter().position(|s| s.id == id));
                if let (Some(pos), true) = (at, self.home.loaded) {
                    self.home.selected = pos;
                    self.home.new_above = pos;
                }
                Vec::new()
            }
            Msg::Profile {
                user,
                statuses,
                following,
            } => {
                let timeline = Timeline {
                    statuses,
                    loaded: true,
                    ..Timeline::default()
                };
                self.detail = Some(Detail::Profile {
                    user,
                    statuses: timeline,
                    following,
                });
                self.pane = Pane::Detail;
                Vec::new()
            }
            Msg::List {
                kind,
                login,
                entries,
            } => {
                self.detail = Some(Detail::List {
                    kind,
                    login,
                    entries,
                    selected: 0,
                });
                self.pane = Pane::Detail;
                Vec::new()
            }
            Msg::HomeEvent(event) => self.home_event(event),
            Msg::StreamEvent(event) => {
                match event {
                    Event::Status { status, .. } => {
                        let added = self
                            .stream
                            .matches
                            .insert(status, self.pane == Pane::Stream);
                        self.stream.count += u64::from(added);
                    }
                    Event::Delete { status, .. } => self.stream.matches.remove(status),
                    Event::Lagged { dropped, .. } => self.stream.lagged += dropped,
                    _ => {}
                }
                Vec::new()
            }
            Msg::Registered(user) => {
                self.message = Some(format!("Welcome, {}!", user.name));
                self.me = Some(user);
                vec![Effect::LoadHome]
            }
            Msg::Posted(status) => {
                self.draft = None;
                self.message = Some("Posted.".into());
                self.home.insert(status, self.pane == Pane::Home);
                Vec::new()
            }
            Msg::Deleted(id) => {
                self.home.remove(id);
                self.stream.matches.remove(id);
                if let Some(Detail::Profile { statuses, .. }) = &mut self.detail {
                    statuses.remove(id);
                }
                self.message = Some("Deleted.".into());
                Vec::new()
            }
            Msg::Followed { user, following } => {
                self.message = Some(format!(
                    "{} @{}.",
                    if following { "Following" } else { "Unfollowed" },
                    user.login
                ));
                if let Some(Detail::Profile {
                    user: shown,
                    following: f,
                    ..
                }) = &mut self.detail
                    && shown.id == user.id
                {
                    *shown = user;
                    *f = following;
                }
                vec![Effect::LoadHome]
            }
            Msg::Failed { what, message } => {
                if let Some(draft) = self.draft.take().filter(|_| what == "post") {
                    let mut area =
                        TextArea::from(draft.lines().map(str::to_owned).collect::<Vec<_>>());
                    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
                    area.move_cursor(ratatui_textarea::CursorMove::End);
                    self.mode = Mode::Compose(Box::new(area));
                }
                self.message = Some(format!("{what} failed: {message}"));
                Vec::new()
            }
        }
    }

    fn home_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Status { status, .. } => {
                self.home.insert(status, self.pane == Pane::Home);
                Vec::new()
            }
            Event::Delete { status, .. } => {
                self.home.remove(status);
                Vec::new()
            }
            Event::Follow {
                follower, followed, ..
            }
            | Event::Unfollow {
                follower, followed, ..
            } => {
                let me = self.me.as_ref().map(|m| m.id);
                if Some(follower.id) == me {
                    self.me = Some(follower);
                    // Whose statuses are home changed: read it again.
                    return vec![Effect::LoadHome];
                }
                if Some(followed.id) == me {
                    self.me = Some(followed);
                }
                Vec::new()
            }
            Event::Gap { .. } | Event::Lagged { .. } => vec![Effect::LoadHome],
        }
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
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

    fn command(&mut self, command: Command) -> Vec<Effect> {
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

/// Reads the stream pane's filter: `firehose`, `sample N`, or clauses split by
/// `;`: `track: phrase, phrase`, `follow: login login`, `loc: w,s,e,n w,s,e,n`.
/// Text with no clause name is `track`.
pub fn parse_filter(text: &str) -> Result<Stream, String> {
    let text = text.trim();
    if text == "firehose" {
        return Ok(Stream::Firehose);
    }
    if let Some(p) = text.strip_prefix("sample") {
        let percent: u8 = p
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| "sample takes a percent, 1 to 100".to_owned())?;
        return Ok(Stream::Sample(Sample { percent }));
    }
    let mut filter = Filter::default();
    for clause in text.split(';').map(str::trim).filter(|c| !c.is_empty()) {
        let (name, rest) = match clause.split_once(':') {
            Some((name, rest))
                if ["track", "follow", "loc", "locations"].contains(&name.trim()) =>
            {
                (name.trim(), rest)
            }
            _ => ("track", clause),
        };
        match name {
            "track" => filter.track.extend(
                rest.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            ),
            "follow" => filter.follow.extend(
                rest.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|l| !l.is_empty())
                    .map(|l| l.trim_start_matches('@').to_owned()),
            ),
            _ => {
                for b in rest.split_whitespace() {
                    let n: Vec<f64> = b
                        .split(',')
                        .map(|x| x.trim().parse::<f64>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| format!("box {b:?} is not four numbers"))?;
                    let [w, s, e, nth] = n[..] else {
                        return Err(format!("box {b:?} needs west,south,east,north"));
                    };
                    filter.locations.push([w, s, e, nth]);
                }
            }
        }
    }
    if filter.follow.is_empty() && filter.track.is_empty() && filter.locations.is_empty() {
        return Err(
            "type words to track, or firehose, sample N, follow: login, loc: w,s,e,n".into(),
        );
    }
    Ok(Stream::Filter(filter))
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use roost_shared::{Event, FollowEntry, Status, Stream, User};

    use super::*;

    pub fn user(id: u64, login: &str) -> User {
        User {
            id,
            login: login.into(),
            name: login.to_uppercase(),
            followers: 0,
            following: 0,
            posts: 0,
            signup: "2026-11-26T21:49:06.123Z".into(),
            relationship: None,
        }
    }

    pub fn status(id: u64, uid: u64, login: &str, text: &str) -> Status {
        Status {
            id,
            uid,
            login: login.into(),
            text: text.into(),
            posted: "2026-11-26T21:50:00.001Z".into(),
            location: None,
        }
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn code(code: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            app.update(key(c));
        }
    }

    /// A registered app with a home timeline of `n` statuses (newest first).
    pub fn loaded(n: u64) -> App {
        let mut app = App::new(KeyMap::default());
        app.update(Msg::Live {
            me: Some(user(1, "me")),
        });
        let statuses = (1..=n)
            .rev()
            .map(|i| status(i, 2, "friend", &format!("status {i}")))
            .collect();
        app.update(Msg::Home(statuses));
        app
    }

    #[test]
    fn first_run_asks_for_a_name_and_registers() {
        let mut app = App::new(KeyMap::default());
        assert_eq!(app.update(Msg::Live { me: None }), []);
        assert!(matches!(
            app.mode,
            Mode::Prompt {
                kind: PromptKind::Register,
                ..
            }
        ));
        app.update(code(KeyCode::Enter));
        assert!(
            matches!(
                app.mode,
                Mode::Prompt {
                    kind: PromptKind::Register,
                    ..
                }
            ),
            "a blank name is refused"
        );
        typed(&mut app, "Ada L");
        app.update(code(KeyCode::Backspace));
        let effects = app.update(code(KeyCode::Enter));
        assert_eq!(effects, [Effect::Register("Ada ".trim().to_owned())]);
        assert_eq!(
            app.update(Msg::Registered(user(1, "ada"))),
            [Effect::LoadHome]
        );
        assert_eq!(app.me.as_ref().unwrap().login, "ada");
    }

    #[test]
    fn moving_and_marking_read() {
        let mut app = loaded(5);
        assert_eq!(app.unread(), 5);
        app.update(key('j'));
        app.update(key('j'));
        assert_eq!(app.home.selected, 2);
        app.update(key('G'));
        assert_eq!(app.home.selected, 4);
        app.update(key('k'));
        assert_eq!(app.home.selected, 3);
        assert_eq!(app.update(key('g')), [Effect::SetMarker(5)]);
        assert_eq!(app.unread(), 0);
        assert_eq!(app.update(key('g')), [], "already read");
        app.update(Msg::ScrollDown);
        assert_eq!(app.home.selected, 1);
    }

    #[test]
    fn new_statuses_keep_the_reader_in_place_and_are_counted() {
        let mut app = loaded(3);
        app.update(key('j'));
        let reading = app.home.current().unwrap().id;
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid { ms: 1, seq: 0 },
            status: status(10, 2, "friend", "new"),
        }));
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid { ms: 2, seq: 0 },
            status: status(11, 2, "friend", "newer"),
        }));
        assert_eq!(app.home.current().unwrap().id, reading);
        assert_eq!(app.home.new_above, 2);
        assert_eq!(app.home.statuses[0].id, 11);
        app.update(Msg::HomeEvent(Event::Delete {
            sub: 1,
            eid: roost_shared::Eid { ms: 3, seq: 0 },
            status: 10,
            uid: 2,
        }));
        assert_eq!(app.home.current().unwrap().id, reading);
        assert_eq!(app.home.new_above, 1);
        assert_eq!(
            app.update(Msg::HomeEvent(Event::Gap { sub: 1 })),
            [Effect::LoadHome]
        );
    }

    #[test]
    fn compose_send_cancel_and_failure_keeps_the_draft() {
        let mut app = loaded(1);
        app.update(key('c'));
        assert!(matches!(app.mode, Mode::Compose(_)));
        typed(&mut app, "hello 数据库");
        assert_eq!(app.update(ctrl('s')), [Effect::Post("hello 数据库".into())]);
        assert!(matches!(app.mode, Mode::Normal));
        app.update(Msg::Failed {
            what: "post".into(),
            message: "unavailable".into(),
        });
        let Mode::Compose(area) = &app.mode else {
            panic!("the draft comes back")
        };
        assert_eq!(area.lines().join("\n"), "hello 数据库");
        // Esc on a draft asks; no keeps it, yes drops it.
        app.update(code(KeyCode::Esc));
        assert!(matches!(app.mode, Mode::Confirm { .. }));
        app.update(key('n'));
        assert!(matches!(app.mode, Mode::Compose(_)));
        app.update(code(KeyCode::Esc));
        app.update(key('y'));
        assert!(matches!(app.mode, Mode::Normal));
        // Too long: not sent.
        app.update(key('c'));
        app.update(Msg::Paste("x".repeat(1001)));
        assert_eq!(app.update(ctrl('s')), []);
        assert!(app.message.as_deref().unwrap().contains("1000"));
        // Quitting with a draft asks first.
        app.update(ctrl('c'));
        assert!(!app.quit);
        app.update(key('y'));
        assert!(app.quit);
    }

    #[test]
    fn delete_only_own_statuses_after_confirmation() {
        let mut app = loaded(2);
        app.update(key('d'));
        assert!(matches!(app.mode, Mode::Normal), "not mine");
        app.update(Msg::Posted(status(9, 1, "me", "mine")));
        app.update(key('g'));
        app.update(key('d'));
        assert!(matches!(app.mode, Mode::Confirm { .. }));
        assert_eq!(app.update(key('y')), [Effect::Delete(9)]);
        app.update(Msg::Deleted(9));
        assert!(app.home.statuses.iter().all(|s| s.id != 9));
    }

    #[test]
    fn profiles_lists_follow_and_unfollow() {
        let mut app = loaded(2);
        assert_eq!(app.update(key('a')), [Effect::LoadProfile("friend".into())]);
        app.update(Msg::Profile {
            user: user(2, "friend"),
            statuses: vec![status(2, 2, "friend", "x")],
            following: false,
        });
        assert_eq!(app.pane, Pane::Detail);
        assert_eq!(app.update(key('f')), [Effect::Follow("friend".into())]);
        let mut friend = user(2, "friend");
        friend.followers = 1;
        app.update(Msg::Followed {
            user: friend,
            following: true,
        });
        app.update(key('f'));
        assert!(
            matches!(app.mode, Mode::Confirm { .. }),
            "unfollow asks first"
        );
        assert_eq!(app.update(key('y')), [Effect::Unfollow("friend".into())]);
        assert_eq!(
            app.update(key('F')),
            [Effect::LoadList(ListKind::Followers, "friend".into())]
        );
        let entry = FollowEntry {
            user: user(3, "fan"),
            since: "2026-11-26T21:50:00.001Z".into(),
        };
        app.update(Msg::List {
            kind: ListKind::Followers,
            login: "friend".into(),
            entries: vec![entry],
        });
        assert_eq!(
            app.update(code(KeyCode::Enter)),
            [Effect::LoadProfile("fan".into())]
        );
        app.update(key('q'));
        assert_eq!(app.pane, Pane::Home);
        assert!(!app.quit);
        app.update(key('@'));
        typed(&mut app, "@bob");
        assert_eq!(
            app.update(code(KeyCode::Enter)),
            [Effect::LoadProfile("bob".into())]
        );
        app.update(key('q'));
        assert!(app.quit);
    }

    #[test]
    fn the_stream_pane_filters_and_counts() {
        let mut app = loaded(0);
        app.update(key('e'));
        typed(
            &mut app,
            "track: redis, rust tui; follow: @alice bob; loc: -122.75,36.8,-121.75,37.8",
        );
        let effects = app.update(code(KeyCode::Enter));
        let [Effect::Subscribe(Stream::Filter(f))] = &effects[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(f.track, ["redis", "rust tui"]);
        assert_eq!(f.follow, ["alice", "bob"]);
        assert_eq!(f.locations, [[-122.75, 36.8, -121.75, 37.8]]);
        assert_eq!(app.pane, Pane::Stream);
        for id in 1..=3 {
            app.update(Msg::StreamEvent(Event::Status {
                sub: 2,
                eid: roost_shared::Eid { ms: id, seq: 0 },
                status: status(id, 5, "x", "redis"),
            }));
        }
        assert_eq!(app.stream.count, 3);
        assert_eq!(app.stream.matches.statuses[0].id, 3);
        app.update(Msg::StreamEvent(Event::Lagged { sub: 2, dropped: 4 }));
        assert_eq!(app.stream.lagged, 4);
        assert_eq!(parse_filter("firehose"), Ok(Stream::Firehose));
        assert_eq!(
            parse_filter("sample 10%"),
            Ok(Stream::Sample(roost_shared::Sample { percent: 10 }))
        );
        assert!(parse_filter("loc: 1,2,3").is_err());
        assert!(parse_filter("").is_err());
        app.update(key('e'));
        app.update(code(KeyCode::Esc));
        assert!(matches!(app.mode, Mode::Normal));
    }

    #[test]
    fn connection_states_and_help() {
        let mut app = loaded(1);
        app.update(Msg::Reconnecting {
            attempt: 2,
            at_ms: 5000,
        });
        assert_eq!(
            app.conn,
            ConnState::Reconnecting {
                attempt: 2,
                at_ms: 5000
            }
        );
        assert_eq!(
            app.update(Msg::Live {
                me: Some(user(1, "me"))
            }),
            [Effect::LoadHome]
        );
        assert_eq!(app.conn, ConnState::Live);
        app.update(key('?'));
        assert!(matches!(app.mode, Mode::Help));
        app.update(key('x'));
        assert!(matches!(app.mode, Mode::Normal));
        app.update(code(KeyCode::Tab));
        assert_eq!(app.pane, Pane::Stream);
        app.update(code(KeyCode::Tab));
        assert_eq!(app.pane, Pane::Home);
    }

    #[test]
    fn paging_lists_refresh_and_panes() {
        let mut app = loaded(30);
        app.update(Msg::Resize { height: 16 });
        assert_eq!(app.page, 4);
        app.update(code(KeyCode::PageDown));
        assert_eq!(app.home.selected, 4);
        app.update(ctrl('d'));
        assert_eq!(app.home.selected, 8);
        app.update(code(KeyCode::PageUp));
        assert_eq!(app.home.selected, 4);
        app.update(code(KeyCode::End));
        assert_eq!(app.home.selected, 29);
        app.update(Msg::ScrollUp);
        assert_eq!(app.home.selected, 28);
        assert_eq!(app.update(key('r')), [Effect::LoadHome]);
        assert_eq!(
            app.update(key('W')),
            [Effect::LoadList(ListKind::Following, "me".into())]
        );
        let entries = (0..3)
            .map(|i| FollowEntry {
                user: user(10 + i, &format!("u{i}")),
                since: String::new(),
            })
            .collect();
        app.update(Msg::List {
            kind: ListKind::Following,
            login: "me".into(),
            entries,
        });
        app.update(key('j'));
        app.update(key('j'));
        app.update(key('j'));
        assert_eq!(
            app.update(code(KeyCode::Enter)),
            [Effect::LoadProfile("u2".into())]
        );
        assert_eq!(
            app.update(key('r')),
            [Effect::LoadList(ListKind::Following, "me".into())]
        );
        app.update(code(KeyCode::Tab));
        assert_eq!(app.pane, Pane::Home);
        app.update(code(KeyCode::Tab));
        app.update(code(KeyCode::Tab));
        assert_eq!(app.pane, Pane::Detail, "Tab reaches the open list");
        app.update(key('h'));
        assert_eq!(app.pane, Pane::Home);
        assert!(app.detail.is_none());
        app.update(code(KeyCode::Tab));
        app.update(code(KeyCode::Esc));
        assert_eq!(app.pane, Pane::Home, "Esc goes back from the stream");
        assert!(!app.quit);
    }
}
