//! Every message of protocol version 1: one JSON object per line.
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

/// A status (a post).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    /// The author's user id.
    pub uid: u64,
    /// The author's login, copied so a status renders without a user lookup.
    pub login: String,
    pub text: String,
    /// RFC 3339 UTC with milliseconds.
    pub posted: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// Which timeline `timeline` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The caller's own statuses and those of everyone they follow.
    Home,
    /// One user's own statuses.
    Profile,
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

/// What a subscription delivers: exactly one of the four kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StreamRepr", into = "StreamRepr")]
pub enum Stream {
    Home,
    Firehose,
    Sample(Sample),
    Filter(Filter),
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
}

impl TryFrom<StreamRepr> for Stream {
    type Error = String;

    fn try_from(r: StreamRepr) -> Result<Self, String> {
        let set = [
            r.home.is_some(),
            r.firehose.is_some(),
            r.sample.is_some(),
            r.filter.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            return Err("stream must have exactly one of home, firehose, sample, filter".into());
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
            _ => Err("stream home and firehose take the value true".into()),
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
    /// The caller's read position in their home timeline: sets it when `home`
    /// (a status id) is given, and answers it with the unread count.
    Marker {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        home: Option<u64>,
    },
}

impl Request {
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
        "marker",
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
}

/// Result of `token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
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
            | Event::Unfollow { eid, .. } => Some(*eid),
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
