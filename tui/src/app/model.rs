//! What the app shows: timelines with a selection, the notifications,
//! messages and stream panes, an open profile, list, thread, tag or the
//! moderation pane, and the connection as the status bar tells it.

use roost_shared::{
    ConversationEntry, FollowEntry, Message, ModerationEntry, Notification, ReportEntry, Status,
    TagCount, User,
};

/// Which followers list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Followers,
    Following,
    /// Who asks to follow you (a private account).
    Requests,
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
    Notifications,
    Messages,
    Stream,
    Detail,
}

/// Where a list of statuses opened over the panes comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A hashtag, folded, without `#`.
    Tag(String),
    /// The statuses mentioning you.
    Mentions,
    /// The statuses a user liked.
    Likes(String),
}

impl Source {
    pub fn title(&self) -> String {
        match self {
            Source::Tag(tag) => format!("#{tag}"),
            Source::Mentions => "Mentions".into(),
            Source::Likes(login) => format!("@{login} likes"),
        }
    }
}

/// Your notifications, newest first, with the read marker kept in roostd.
#[derive(Debug, Clone, Default)]
pub struct NotificationsPane {
    pub list: Vec<Notification>,
    pub selected: usize,
    /// The newest notification id read.
    pub marker: Option<u64>,
    pub loaded: bool,
}

impl NotificationsPane {
    /// Notifications newer than the marker.
    pub fn unread(&self) -> usize {
        let marker = self.marker.unwrap_or(0);
        self.list.iter().filter(|n| n.id > marker).count()
    }

    pub fn current(&self) -> Option<&Notification> {
        self.list.get(self.selected)
    }
}

/// Your direct conversations, latest activity first, and the one open as
/// a chat.
#[derive(Debug, Clone, Default)]
pub struct MessagesPane {
    pub conversations: Vec<ConversationEntry>,
    pub selected: usize,
    pub loaded: bool,
    pub chat: Option<Chat>,
}

impl MessagesPane {
    /// Unread messages in every conversation.
    pub fn unread(&self) -> u64 {
        self.conversations.iter().map(|c| c.unread).sum()
    }

    pub fn current(&self) -> Option<&ConversationEntry> {
        self.conversations.get(self.selected)
    }

    /// Selects conversation `keep` where it is now (the newest without it).
    pub(super) fn reselect(&mut self, keep: Option<String>) {
        self.selected = keep
            .and_then(|id| self.conversations.iter().position(|c| c.conversation == id))
            .unwrap_or(0);
    }
}

/// One conversation open: its messages oldest first, so the newest is at
/// the bottom as in every chat.
#[derive(Debug, Clone)]
pub struct Chat {
    pub conversation: String,
    /// The other participants' logins.
    pub with: Vec<String>,
    pub messages: Vec<Message>,
    pub loaded: bool,
}

/// What the moderation pane shows: the open reports, or the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationView {
    Reports,
    Log,
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
    pub(super) fn insert(&mut self, status: Status, at_top: bool) -> bool {
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

    pub(super) fn remove(&mut self, id: u64) {
        if let Some(pos) = self.statuses.iter().position(|s| s.id == id) {
            self.statuses.remove(pos);
            if pos < self.selected {
                self.selected -= 1;
                self.new_above = self.new_above.saturating_sub(1);
            }
            self.selected = self.selected.min(self.statuses.len().saturating_sub(1));
        }
    }

    pub(super) fn select(&mut self, to: usize) {
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

/// A profile, a follow list, a thread, a tag or mentions or likes timeline,
/// or the trending tags, opened over the other panes.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A status with its ancestors and replies; `depths` gives each one's
    /// indentation (ancestors and the status at 0, replies below them).
    Thread {
        focus: u64,
        statuses: Timeline,
        depths: Vec<usize>,
    },
    Statuses {
        source: Source,
        statuses: Timeline,
    },
    Trending {
        tags: Vec<TagCount>,
        selected: usize,
    },
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
    /// For operators: open reports and the audit log.
    Moderation {
        reports: Vec<ReportEntry>,
        log: Vec<ModerationEntry>,
        view: ModerationView,
        selected: usize,
    },
}
