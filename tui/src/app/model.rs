//! What the app shows: timelines with a selection, the stream pane, an open
//! profile or list, and the connection as the status bar tells it.

use roost_shared::{FollowEntry, Status, User};

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
