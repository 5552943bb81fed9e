//! What goes in and out of `update`: [`Msg`], everything that can happen to
//! the app, and [`Effect`], a request for the backend to make of roostd.

use crossterm::event::KeyEvent;
use roost_shared::{
    ConversationEntry, Event, FollowEntry, Marker, Message, ModerationEntry, Notifications,
    ReportEntry, Status, Stream, TagCount, Thread, User,
};

use super::model::{ListKind, Source};

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
    NotificationEvent(Event),
    Notifications(Notifications),
    Thread(Thread),
    Statuses {
        source: Source,
        statuses: Vec<Status>,
    },
    Trending(Vec<TagCount>),
    /// A like or unlike of status `id` went through: its count now.
    Liked {
        id: u64,
        liked: bool,
        likes: u64,
    },
    /// A block, mute or their undoing went through: the user with the
    /// caller's relationship now.
    Related(User),
    /// A repost (or its undoing) of the original `id` went through.
    Reposted {
        id: u64,
        reposted: bool,
    },
    Registered(User),
    Posted(Status),
    Deleted(u64),
    Followed {
        user: User,
        following: bool,
    },
    DirectEvent(Event),
    Conversations(Vec<ConversationEntry>),
    /// A conversation's newest messages, newest first as roostd pages them.
    Chat {
        conversation: String,
        messages: Vec<Message>,
    },
    /// A direct message went out.
    Sent(Message),
    /// The caller's profile as saved.
    ProfileSaved(User),
    Reported(u64),
    Moderation {
        reports: Vec<ReportEntry>,
        log: Vec<ModerationEntry>,
    },
    /// A moderation action went through.
    Moderated(String),
    /// An effect that did not work out, with roostd's message.
    Failed {
        effect: Effect,
        message: String,
    },
}

/// Blocking and muting, and their undoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafetyAct {
    Block,
    Unblock,
    Mute,
    Unmute,
}

impl SafetyAct {
    pub fn describe(self) -> &'static str {
        match self {
            SafetyAct::Block => "block",
            SafetyAct::Unblock => "unblock",
            SafetyAct::Mute => "mute",
            SafetyAct::Unmute => "unmute",
        }
    }
}

/// A request for the runtime to make of roostd.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Register(String),
    Post {
        text: String,
        reply_to: Option<u64>,
    },
    Repost(u64),
    /// Approve (true) or deny a follow request.
    Answer(String, bool),
    /// Block, unblock, mute or unmute a user.
    Safety(SafetyAct, String),
    Unrepost(u64),
    Like(u64),
    Unlike(u64),
    LoadThread(u64),
    LoadStatuses(Source),
    LoadTrending,
    LoadNotifications,
    SetNotificationsMarker(u64),
    /// The home timeline by importance instead of newest first.
    LoadHomeRanked,
    Delete(u64),
    Follow(String),
    Unfollow(String),
    LoadHome,
    LoadProfile(String),
    LoadList(ListKind, String),
    Subscribe(Stream),
    SetMarker(u64),
    LoadConversations,
    LoadChat(String),
    Dm {
        to: Vec<String>,
        text: String,
    },
    /// Everything in the conversation up to the message is read.
    Read {
        conversation: String,
        message: u64,
    },
    SetProfile {
        name: String,
        bio: String,
        private: bool,
    },
    Report {
        status: Option<u64>,
        login: Option<String>,
        reason: String,
    },
    LoadModeration,
    Moderate {
        action: String,
        status: Option<u64>,
        login: Option<String>,
        report: Option<u64>,
    },
}

impl Effect {
    /// What the effect does, for "… failed" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Effect::Register(_) => "register",
            Effect::Post { .. } => "post",
            Effect::Repost(_) => "repost",
            Effect::Safety(act, _) => act.describe(),
            Effect::Answer(_, true) => "approving the request",
            Effect::Answer(_, false) => "denying the request",
            Effect::Unrepost(_) => "unrepost",
            Effect::Like(_) => "like",
            Effect::Unlike(_) => "unlike",
            Effect::LoadThread(_) => "loading the thread",
            Effect::LoadStatuses(_) => "loading the timeline",
            Effect::LoadTrending => "loading the trending tags",
            Effect::LoadNotifications => "loading the notifications",
            Effect::SetNotificationsMarker(_) => "saving the notifications read position",
            Effect::LoadHomeRanked => "loading the home timeline",
            Effect::Delete(_) => "delete",
            Effect::Follow(_) => "follow",
            Effect::Unfollow(_) => "unfollow",
            Effect::LoadHome => "loading the home timeline",
            Effect::LoadProfile(_) => "loading the profile",
            Effect::LoadList(..) => "loading the list",
            Effect::Subscribe(_) => "the stream filter",
            Effect::SetMarker(_) => "saving the read position",
            Effect::LoadConversations => "loading the conversations",
            Effect::LoadChat(_) => "loading the conversation",
            Effect::Dm { .. } => "the message",
            Effect::Read { .. } => "marking the conversation read",
            Effect::SetProfile { .. } => "saving the profile",
            Effect::Report { .. } => "the report",
            Effect::LoadModeration => "loading the moderation pane",
            Effect::Moderate { .. } => "the moderation",
        }
    }
}
