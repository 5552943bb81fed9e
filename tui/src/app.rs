//! The app's state and `update`, the only place it changes. Input, daemon
//! answers and events all arrive as a [`Msg`]; `update` returns the
//! [`Effect`]s (requests to roostd) for the backend to carry out, so every
//! action can be driven and checked without a terminal or a daemon.
//!
//! - [`model`]: timelines, the stream pane, profiles and lists, the connection.
//! - [`messages`]: `Msg` in, `Effect` out.
//! - [`input`]: who has the keyboard and what keys and commands do.
//! - `answers`: what the app makes of roostd's answers and events.
//! - [`filter`]: the stream pane's filter as people type it.

mod answers;
mod direct;
pub mod filter;
pub mod input;
pub mod messages;
pub mod model;
pub mod safety;

use roost_shared::{Order, Status, User};

pub use filter::parse_filter;
pub use input::{Mode, PromptKind};
pub use messages::{Effect, Msg, SafetyAct};
pub use model::{
    Chat, ConnState, Detail, ListKind, MessagesPane, ModerationView, NotificationsPane, Pane,
    Source, StreamPane, Timeline,
};
pub use safety::{Field, ReportTarget, Settings};

use crate::keys::{Command, KeyMap, Notify};

pub struct App {
    pub me: Option<User>,
    pub conn: ConnState,
    pub pane: Pane,
    pub home: Timeline,
    /// How the home timeline is ordered (`i` switches).
    pub home_order: Order,
    pub notifications: NotificationsPane,
    pub messages: MessagesPane,
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
    /// The status the composer replies to.
    pub reply_to: Option<Status>,
    /// The logins the composer writes a direct message to.
    pub dm_to: Option<Vec<String>>,
    /// What the report prompt's reason is for.
    pub report_target: Option<ReportTarget>,
    /// How to tell of a mention or reply arriving (config.toml `[notify]`).
    pub notify: Notify,
    /// Alerts for the terminal (bell, desktop notification) not yet sent.
    pub alerts: Vec<String>,
}

impl App {
    pub fn new(keys: KeyMap) -> App {
        App {
            me: None,
            conn: ConnState::Connecting,
            pane: Pane::Home,
            home: Timeline::default(),
            home_order: Order::Newest,
            notifications: NotificationsPane::default(),
            messages: MessagesPane::default(),
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
            reply_to: None,
            dm_to: None,
            report_target: None,
            notify: Notify::default(),
            alerts: Vec::new(),
        }
    }

    /// The effect that reads the home timeline in its chosen order.
    fn load_home(&self) -> Effect {
        match self.home_order {
            Order::Newest => Effect::LoadHome,
            Order::Importance => Effect::LoadHomeRanked,
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
            Pane::Notifications | Pane::Messages => None,
            Pane::Detail => match &mut self.detail {
                Some(
                    Detail::Profile { statuses, .. }
                    | Detail::Thread { statuses, .. }
                    | Detail::Statuses { statuses, .. },
                ) => Some(statuses),
                _ => None,
            },
        }
    }

    /// Every loaded list of statuses, to bring a changed status up to date.
    fn timelines_mut(&mut self) -> Vec<&mut Timeline> {
        let mut all = vec![&mut self.home, &mut self.stream.matches];
        if let Some(
            Detail::Profile { statuses, .. }
            | Detail::Thread { statuses, .. }
            | Detail::Statuses { statuses, .. },
        ) = &mut self.detail
        {
            all.push(statuses);
        }
        all
    }

    /// The status under the cursor, in the pane shown (a notification's
    /// status in the notifications pane).
    pub fn selected_status(&self) -> Option<&Status> {
        match self.pane {
            Pane::Home => self.home.current(),
            Pane::Stream => self.stream.matches.current(),
            Pane::Notifications => self.notifications.current()?.status.as_ref(),
            Pane::Messages => None,
            Pane::Detail => match &self.detail {
                Some(
                    Detail::Profile { statuses, .. }
                    | Detail::Thread { statuses, .. }
                    | Detail::Statuses { statuses, .. },
                ) => statuses.current(),
                _ => None,
            },
        }
    }

    fn is_mine(&self, status: &Status) -> bool {
        self.me.as_ref().is_some_and(|me| me.id == status.uid)
    }

    /// Marks the notifications read up to the newest.
    fn mark_notifications_read(&mut self) -> Vec<Effect> {
        let newest = self.notifications.list.first().map(|n| n.id);
        match newest {
            Some(id) if Some(id) > self.notifications.marker => {
                self.notifications.marker = Some(id);
                vec![Effect::SetNotificationsMarker(id)]
            }
            _ => Vec::new(),
        }
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
            Msg::Paste(text) => self.paste(text),
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
            Msg::Live { me } => self.live(me),
            Msg::Reconnecting { attempt, at_ms } => {
                self.conn = ConnState::Reconnecting { attempt, at_ms };
                Vec::new()
            }
            Msg::Home(statuses) => self.home_loaded(statuses),
            Msg::Marker(marker) => self.marker_loaded(marker),
            Msg::Profile { user, statuses } => self.profile_loaded(user, statuses),
            Msg::List {
                kind,
                login,
                entries,
            } => self.list_loaded(kind, login, entries),
            Msg::HomeEvent(event) => self.home_event(event),
            Msg::StreamEvent(event) => self.stream_event(event),
            Msg::NotificationEvent(event) => self.notification_event(event),
            Msg::Notifications(list) => self.notifications_loaded(list),
            Msg::Thread(thread) => self.thread_loaded(thread),
            Msg::Statuses { source, statuses } => self.statuses_loaded(source, statuses),
            Msg::Trending(tags) => {
                self.detail = Some(Detail::Trending { tags, selected: 0 });
                self.pane = Pane::Detail;
                Vec::new()
            }
            Msg::Liked { id, liked, likes } => self.liked(id, liked, likes),
            Msg::Reposted { id, reposted } => self.reposted(id, reposted),
            Msg::Related(user) => self.related(user),
            Msg::Registered(user) => self.registered(user),
            Msg::Posted(status) => self.posted(status),
            Msg::Deleted(id) => self.deleted(id),
            Msg::Followed { user, following } => self.followed(user, following),
            Msg::DirectEvent(event) => self.direct_event(event),
            Msg::Conversations(list) => self.conversations_loaded(list),
            Msg::Chat {
                conversation,
                messages,
            } => self.chat_loaded(conversation, messages),
            Msg::Sent(message) => self.sent(message),
            Msg::ProfileSaved(user) => {
                self.message = Some(format!(
                    "Profile saved{}.",
                    if user.private { " (private)" } else { "" }
                ));
                self.me = Some(user);
                Vec::new()
            }
            Msg::Reported(id) => {
                self.message = Some(format!("Reported (#{id}): an operator will look at it."));
                Vec::new()
            }
            Msg::Moderation { reports, log } => self.moderation_loaded(reports, log),
            Msg::Moderated(action) => {
                self.message = Some(format!("Done: {action}."));
                vec![Effect::LoadModeration]
            }
            Msg::Failed { effect, message } => self.failed(&effect, &message),
        }
    }
}

#[cfg(test)]
mod tests;
