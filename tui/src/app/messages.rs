//! What goes in and out of `update`: [`Msg`], everything that can happen to
//! the app, and [`Effect`], a request for the backend to make of roostd.

use crossterm::event::KeyEvent;
use roost_shared::{Event, FollowEntry, Marker, Status, Stream, User};

use super::model::ListKind;

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
    /// A profile: the user (with the caller's `relationship`) and statuses.
    Profile {
        user: User,
        statuses: Vec<Status>,
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
    /// An effect that did not work out, with roostd's message.
    Failed {
        effect: Effect,
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

impl Effect {
    /// What the effect does, for "… failed" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Effect::Register(_) => "register",
            Effect::Post(_) => "post",
            Effect::Delete(_) => "delete",
            Effect::Follow(_) => "follow",
            Effect::Unfollow(_) => "unfollow",
            Effect::LoadHome => "loading the home timeline",
            Effect::LoadProfile(_) => "loading the profile",
            Effect::LoadList(..) => "loading the list",
            Effect::Subscribe(_) => "the stream filter",
            Effect::SetMarker(_) => "saving the read position",
        }
    }
}
