//! Every message of the protocol (version 1 and the conversations part of
//! version 2): one JSON object per line.
//!
//! A client writes a [`RequestLine`] (an optional `id`, an optional `as`, and
//! the [`Request`] with its `op`); the daemon answers with a [`Response`] and,
//! on subscriptions, sends [`Event`]s in between. [`Incoming`] tells the two apart.

use crate::Eid;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol's error codes; each error a client can see has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    UnknownOp,
    TooLarge,
    NotRegistered,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnknownOp => "unknown_op",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::NotRegistered => "not_registered",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a failed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited` for too many acts lately: whole seconds (1 to 60)
    /// after which the same request may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub name: String,
    pub followers: u64,
    pub following: u64,
    pub posts: u64,
    /// RFC 3339 UTC with milliseconds.
    pub signup: String,
    /// 0 to 300 characters about them (`set_profile`).
    #[serde(default)]
    pub bio: String,
    /// Only approved followers read their statuses.
    #[serde(default)]
    pub private: bool,
    /// Suspended by an operator: their statuses are hidden, most acts refused.
    #[serde(default)]
    pub suspended: bool,
    /// The caller's view of this user, on `user` answers only: absent on the
    /// caller's own User, in events, and when the caller has no account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
}

/// How the caller and another user are connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    /// The caller follows them.
    pub following: bool,
    /// They follow the caller.
    pub followed_by: bool,
    /// The caller asked to follow them and waits for approval.
    pub requested: bool,
    /// The caller blocks them.
    pub blocking: bool,
    /// The caller mutes them.
    pub muting: bool,
}

/// Where a status was posted from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// A status (a post, a reply or a repost).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    /// The author's user id.
    pub uid: u64,
    /// The author's login, copied so a status renders without a user lookup.
    pub login: String,
    /// A repost's text is its original's, so version 1 clients still show it.
    pub text: String,
    /// RFC 3339 UTC with milliseconds.
    pub posted: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The status this one replies to (replies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// The login of the author replied to (replies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_login: Option<String>,
    /// The reposted status (reposts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<Box<Status>>,
    /// Canonical logins of the accounts mentioned as `@login`, in order.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Hashtags, lowercased and without `#`, in order of first appearance.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Direct replies that exist now.
    #[serde(default)]
    pub replies: u64,
    /// Reposts that exist now.
    #[serde(default)]
    pub reposts: u64,
    /// Likes that exist now.
    #[serde(default)]
    pub likes: u64,
    /// Whether the caller likes it (always false in events).
    #[serde(default)]
    pub liked: bool,
    /// Whether the caller reposted it (always false in events).
    #[serde(default)]
    pub reposted: bool,
    /// Hidden by an operator: only its author sees it (with this flag).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// roostd's own: whether its author's account was private when it was
    /// posted (events carry it to the streams). Never on the wire.
    #[serde(skip)]
    pub private: bool,
}

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Mention,
    Reply,
    Repost,
    Like,
    Follow,
    Request,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::Mention,
        NotificationKind::Reply,
        NotificationKind::Repost,
        NotificationKind::Like,
        NotificationKind::Follow,
        NotificationKind::Request,
    ];

    /// The kind as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reply => "reply",
            NotificationKind::Repost => "repost",
            NotificationKind::Like => "like",
            NotificationKind::Follow => "follow",
            NotificationKind::Request => "request",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A direct message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Increases within its conversation.
    pub id: u64,
    /// The conversation: fixed by its set of participants.
    pub conversation: String,
    /// The sender's login.
    pub from: String,
    pub text: String,
    /// RFC 3339 UTC with milliseconds.
    pub sent: String,
}

/// One conversation as a participant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationEntry {
    pub conversation: String,
    /// The other participants.
    pub with: Vec<User>,
    pub last: Message,
    pub unread: u64,
}

/// Result of `conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversations {
    pub conversations: Vec<ConversationEntry>,
}

/// Result of `messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Messages {
    pub messages: Vec<Message>,
}

/// Result of `read`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadUpTo {
    pub conversation: String,
    pub unread: u64,
}

/// Something another account did that concerns the recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Increases with each notification of one recipient (`marker` takes it).
    pub id: u64,
    pub kind: NotificationKind,
    pub from: User,
    /// The reply, the mentioning status, the repost or the liked status;
    /// absent on `follow` and `request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// RFC 3339 UTC with milliseconds.
    pub at: String,
}

/// Which timeline `timeline` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The caller's own statuses and those of everyone they follow.
    Home,
    /// One user's own statuses.
    Profile,
    /// The statuses one user liked, newest like first.
    Likes,
    /// The statuses mentioning the caller.
    Mentions,
    /// The statuses carrying one hashtag.
    Tag,
}

/// How a timeline is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Newest first.
    #[default]
    Newest,
    /// By the book's article score (home only).
    Importance,
}

/// The parts of a `filter` stream; a status matches if it matches any part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track: Vec<String>,
    /// Boxes as `[west, south, east, north]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<[f64; 4]>,
}

/// The parameter of a `sample` stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub percent: u8,
}

/// What a subscription delivers: exactly one of the kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StreamRepr", into = "StreamRepr")]
pub enum Stream {
    Home,
    Firehose,
    Sample(Sample),
    Filter(Filter),
    /// The caller's notifications as they happen.
    Notifications,
    /// The caller's direct messages, their own included.
    Direct,
}

/// The wire form of [`Stream`]: an object with one key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    home: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firehose: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sample: Option<Sample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filter: Option<Filter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notifications: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    direct: Option<bool>,
}

impl TryFrom<StreamRepr> for Stream {
    type Error = String;

    fn try_from(r: StreamRepr) -> Result<Self, String> {
        let set = [
            r.home.is_some(),
            r.firehose.is_some(),
            r.sample.is_some(),
            r.filter.is_some(),
            r.notifications.is_some(),
            r.direct.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            return Err(
                "stream must have exactly one of home, firehose, sample, filter, notifications, direct"
                    .into(),
            );
        }
        match r {
            StreamRepr {
                home: Some(true), ..
            } => Ok(Stream::Home),
            StreamRepr {
                firehose: Some(true),
                ..
            } => Ok(Stream::Firehose),
            StreamRepr {
                sample: Some(s), ..
            } => Ok(Stream::Sample(s)),
            StreamRepr {
                filter: Some(f), ..
            } => Ok(Stream::Filter(f)),
            StreamRepr {
                notifications: Some(true),
                ..
            } => Ok(Stream::Notifications),
            StreamRepr {
                direct: Some(true), ..
            } => Ok(Stream::Direct),
            _ => Err("stream home, firehose and notifications take the value true".into()),
        }
    }
}

impl From<Stream> for StreamRepr {
    fn from(s: Stream) -> Self {
        let mut r = StreamRepr::default();
        match s {
            Stream::Home => r.home = Some(true),
            Stream::Firehose => r.firehose = Some(true),
            Stream::Sample(s) => r.sample = Some(s),
            Stream::Filter(f) => r.filter = Some(f),
            Stream::Notifications => r.notifications = Some(true),
            Stream::Direct => r.direct = Some(true),
        }
        r
    }
}

/// One operation and its parameters, tagged by `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hello,
    Register {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        bot: bool,
    },
    User {
        login: String,
    },
    Post {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<Location>,
        /// The status this one replies to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
    },
    Repost {
        status: u64,
    },
    /// Takes back the caller's repost of `status` (the original's id).
    Unrepost {
        status: u64,
    },
    Like {
        status: u64,
    },
    Unlike {
        status: u64,
    },
    /// Who liked a status, newest like first.
    Likes {
        status: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// A status with its ancestors and its replies.
    Thread {
        status: u64,
        /// The most replies returned (1 to 1,000, default 200).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// The tags with the most public statuses over the last `hours`.
    Trending {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours: Option<u32>,
    },
    Notifications {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Block {
        login: String,
    },
    Unblock {
        login: String,
    },
    /// Whom the caller blocks, newest first.
    Blocks {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Mute {
        login: String,
    },
    Unmute {
        login: String,
    },
    /// Whom the caller mutes, newest first.
    Mutes {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Changes the caller's display name and bio (each only if given).
    SetProfile {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bio: Option<String>,
        /// Only approved followers read a private account's statuses.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private: Option<bool>,
    },
    /// Who asks to follow the caller, newest first.
    /// Reports a status or an account to the operators.
    Report {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        reason: String,
    },
    /// Operators: the reports, `open` (default), `resolved` or `all`.
    Reports {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Operators: hide/unhide a status, suspend/unsuspend an account, dismiss a report.
    Moderate {
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Operators: the audit log, newest first.
    ModerationLog {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// A direct message to 1 to 49 others.
    Dm {
        to: Vec<String>,
        text: String,
    },
    Conversations {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Messages {
        conversation: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Everything up to `message` in `conversation` is read.
    Read {
        conversation: String,
        message: u64,
    },
    Requests {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Approve {
        login: String,
    },
    Deny {
        login: String,
    },
    Delete {
        status: u64,
    },
    Timeline {
        kind: TimelineKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        /// Only statuses older than this status id: a cursor that pages without
        /// skipping or repeating while statuses come and go.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        /// The hashtag of a `tag` timeline, with or without `#`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<Order>,
    },
    Follow {
        login: String,
    },
    Unfollow {
        login: String,
    },
    Followers {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Following {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Subscribe {
        stream: Stream,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Eid>,
    },
    Unsubscribe {
        sub: u64,
    },
    Token,
    /// A one-time code to log another client (a Mastodon app) in as the
    /// caller's account over the HTTP API; a new one replaces the last.
    LoginCode,
    /// The caller's read positions in their home timeline and notifications:
    /// sets each one given (a status id, a notification id), and answers both
    /// with their unread counts.
    Marker {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        home: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notifications: Option<u64>,
    },
}

impl Request {
    /// Whether the op may change what is stored (a `marker` without
    /// positions only reads, but is counted as a write: it may set them).
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            Request::Hello
                | Request::User { .. }
                | Request::Likes { .. }
                | Request::Thread { .. }
                | Request::Trending { .. }
                | Request::Notifications { .. }
                | Request::Blocks { .. }
                | Request::Mutes { .. }
                | Request::Reports { .. }
                | Request::ModerationLog { .. }
                | Request::Conversations { .. }
                | Request::Messages { .. }
                | Request::Requests { .. }
                | Request::Timeline { .. }
                | Request::Followers { .. }
                | Request::Following { .. }
                | Request::Subscribe { .. }
                | Request::Unsubscribe { .. }
        )
    }

    /// Every op name of the protocol, so a daemon can tell `unknown_op` from a
    /// known op with bad parameters.
    pub const OPS: &'static [&'static str] = &[
        "hello",
        "register",
        "user",
        "post",
        "delete",
        "timeline",
        "follow",
        "unfollow",
        "followers",
        "following",
        "subscribe",
        "unsubscribe",
        "token",
        "login_code",
        "marker",
        "repost",
        "unrepost",
        "like",
        "unlike",
        "likes",
        "thread",
        "trending",
        "notifications",
        "set_profile",
        "block",
        "unblock",
        "blocks",
        "mute",
        "unmute",
        "mutes",
        "requests",
        "approve",
        "deny",
        "dm",
        "conversations",
        "messages",
        "read",
        "report",
        "reports",
        "moderate",
        "moderation_log",
    ];
}

/// A request as written on the wire: `id` and `as` beside the op's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub id: Value,
    /// Act as this account (operators only).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_login: Option<String>,
    #[serde(flatten)]
    pub request: Request,
}

/// The daemon's answer to one request, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: Value,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl Response {
    pub fn success(id: Value, result: Value) -> Self {
        Response {
            id,
            ok: true,
            result: Some(result),
            error: None,
        }
    }

    pub fn failure(id: Value, code: ErrorCode, message: impl Into<String>) -> Self {
        let error = ErrorBody {
            code,
            message: message.into(),
            retry_after: None,
        };
        Response {
            id,
            ok: false,
            result: None,
            error: Some(error),
        }
    }

    /// The result, or the error, as a `Result`.
    pub fn into_result(self) -> Result<Value, ErrorBody> {
        match (self.ok, self.result, self.error) {
            (true, result, _) => Ok(result.unwrap_or(Value::Null)),
            (false, _, Some(e)) => Err(e),
            (false, _, None) => Err(ErrorBody {
                code: ErrorCode::Internal,
                message: "failure without an error".into(),
                retry_after: None,
            }),
        }
    }
}

/// Result of `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub server: String,
    pub you: Option<User>,
    pub operator: bool,
    /// Live subscriptions on this roostd (socket and HTTP), told to operators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriptions: Option<u64>,
    /// roostd's clock when it answered (RFC 3339 with milliseconds), and its
    /// Redis's (`TIME`), so a client can tell clock skew (`roost doctor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis_time: Option<String>,
}

/// Result of `delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub deleted: u64,
}

/// Result of `timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statuses {
    pub statuses: Vec<Status>,
}

/// One entry of a followers or following list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowEntry {
    pub user: User,
    /// When the follow happened, RFC 3339 UTC with milliseconds.
    pub since: String,
}

/// Result of `followers` and `following`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Users {
    pub users: Vec<FollowEntry>,
}

/// Result of `subscribe` and `unsubscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    pub sub: u64,
}

/// Result of `marker`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// The newest status id read in the home timeline, if one was ever set.
    pub home: Option<u64>,
    /// Statuses in the home timeline newer than that.
    pub unread: u64,
    /// The newest notification id read, if one was ever set.
    #[serde(default)]
    pub notifications: Option<u64>,
    /// Notifications newer than that.
    #[serde(default)]
    pub notifications_unread: u64,
}

/// Result of `like` and `unlike`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Liked {
    pub status: u64,
    pub likes: u64,
}

/// How a report was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub action: String,
    /// The operator's login.
    pub by: String,
    pub note: String,
    pub at: String,
}

/// One report, as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportEntry {
    pub id: u64,
    pub by: User,
    pub status: Option<Status>,
    /// The account reported, or the reported status's author.
    pub user: User,
    pub reason: String,
    pub at: String,
    /// `open` or `resolved`.
    pub state: String,
    pub resolution: Option<Resolution>,
}

/// Result of `reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reports {
    pub reports: Vec<ReportEntry>,
}

/// One entry of the moderation log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationEntry {
    pub id: u64,
    pub action: String,
    /// The operator's login.
    pub by: String,
    pub status: Option<u64>,
    pub login: Option<String>,
    pub report: Option<u64>,
    pub note: String,
    pub at: String,
}

/// Result of `moderation_log`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationLog {
    pub entries: Vec<ModerationEntry>,
}

/// Result of `deny`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denied {
    pub denied: String,
}

/// Result of `unrepost`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unreposted {
    pub unreposted: u64,
}

/// Result of `thread`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    /// Root first.
    pub ancestors: Vec<Status>,
    pub status: Status,
    /// Visible descendants, depth first, each level oldest first.
    pub replies: Vec<Status>,
}

/// One entry of `trending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: String,
    pub statuses: u64,
}

/// Result of `trending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trending {
    pub tags: Vec<TagCount>,
}

/// Result of `notifications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notifications {
    pub notifications: Vec<Notification>,
    pub unread: u64,
}

/// Result of `token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
}

/// Result of `login_code`: the code, and until when it may be used (once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginCode {
    pub code: String,
    pub expires: String,
}

/// Something that happened on a subscription; `eid` sorts in delivery order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Status {
        sub: u64,
        eid: Eid,
        status: Status,
    },
    Delete {
        sub: u64,
        eid: Eid,
        status: u64,
        uid: u64,
    },
    Follow {
        sub: u64,
        eid: Eid,
        follower: User,
        followed: User,
    },
    Unfollow {
        sub: u64,
        eid: Eid,
        follower: User,
        followed: User,
    },
    Notification {
        sub: u64,
        eid: Eid,
        notification: Box<Notification>,
    },
    Message {
        sub: u64,
        eid: Eid,
        message: Message,
    },
    Lagged {
        sub: u64,
        dropped: u64,
    },
    Gap {
        sub: u64,
    },
}

impl Event {
    /// The subscription the event belongs to.
    pub fn sub(&self) -> u64 {
        match self {
            Event::Status { sub, .. }
            | Event::Delete { sub, .. }
            | Event::Follow { sub, .. }
            | Event::Unfollow { sub, .. }
            | Event::Notification { sub, .. }
            | Event::Message { sub, .. }
            | Event::Lagged { sub, .. }
            | Event::Gap { sub } => *sub,
        }
    }

    /// Its position in the event log; `lagged` and `gap` have none.
    pub fn eid(&self) -> Option<Eid> {
        match self {
            Event::Status { eid, .. }
            | Event::Delete { eid, .. }
            | Event::Follow { eid, .. }
            | Event::Unfollow { eid, .. }
            | Event::Notification { eid, .. }
            | Event::Message { eid, .. } => Some(*eid),
            Event::Lagged { .. } | Event::Gap { .. } => None,
        }
    }
}

/// A line from the daemon: an event (it has `event`) or a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Incoming {
    Event(Event),
    Response(Response),
}

#[cfg(test)]
mod tests;
