//! A log entry as it goes out: the wire [`Event`] of one subscription (for
//! replay), or rendered once for every live subscriber it matches, with the
//! HTTP API's line beside the socket's.

use roost_shared::{Eid, Event, User};

use crate::store::{Happening, LogEntry};

/// An entry rendered once for every subscription it goes to.
#[derive(Debug)]
pub struct Rendered {
    pub eid: Eid,
    kind: &'static str,
    /// The fields after `event`, `sub` and `eid`, as JSON object members.
    rest: String,
    /// The line of the HTTP API, if the event has one there.
    pub http: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl Rendered {
    /// The entry as it goes out; `None` for what is never delivered (blocks
    /// and mutes, which only keep subscriptions current).
    pub fn new(entry: &LogEntry) -> Option<Rendered> {
        let users =
            |a: &User, b: &User| format!("\"follower\":{},\"followed\":{}", to_json(a), to_json(b));
        let (kind, rest, http) = match &entry.happening {
            Happening::Status(s) => {
                let status = to_json(s);
                ("status", format!("\"status\":{status}"), Some(status))
            }
            Happening::Delete(s) => (
                "delete",
                format!("\"status\":{},\"uid\":{}", s.id, s.uid),
                Some(format!(
                    "{{\"delete\":{{\"status\":{},\"uid\":{}}}}}",
                    s.id, s.uid
                )),
            ),
            Happening::Follow { follower, followed } => ("follow", users(follower, followed), None),
            Happening::Unfollow { follower, followed } => {
                ("unfollow", users(follower, followed), None)
            }
            Happening::Notification { notification, .. } => (
                "notification",
                format!("\"notification\":{}", to_json(notification)),
                None,
            ),
            Happening::Message { message, .. } => {
                ("message", format!("\"message\":{}", to_json(message)), None)
            }
            Happening::Block { .. } | Happening::Mute { .. } | Happening::Restriction(_) => {
                return None;
            }
        };
        Some(Rendered {
            eid: entry.eid,
            kind,
            rest,
            http,
        })
    }

    /// Appends the event's line for subscription `sub`: the same JSON as the
    /// wire `Event` serialized, without serializing it again per subscriber.
    pub fn write_line(&self, sub: u64, out: &mut Vec<u8>) {
        use std::io::Write;
        let (kind, eid, rest) = (self.kind, &self.eid, &self.rest);
        let _ = writeln!(
            out,
            "{{\"event\":\"{kind}\",\"sub\":{sub},\"eid\":\"{eid}\",{rest}}}"
        );
    }
}

/// The wire event of an entry for subscription `sub`; `None` for what is
/// never delivered.
pub fn to_event(sub: u64, entry: &LogEntry) -> Option<Event> {
    let eid = entry.eid;
    Some(match &entry.happening {
        Happening::Status(status) => Event::Status {
            sub,
            eid,
            status: status.clone(),
        },
        Happening::Delete(status) => Event::Delete {
            sub,
            eid,
            status: status.id,
            uid: status.uid,
        },
        Happening::Follow { follower, followed } => Event::Follow {
            sub,
            eid,
            follower: follower.clone(),
            followed: followed.clone(),
        },
        Happening::Unfollow { follower, followed } => Event::Unfollow {
            sub,
            eid,
            follower: follower.clone(),
            followed: followed.clone(),
        },
        Happening::Notification { notification, .. } => Event::Notification {
            sub,
            eid,
            notification: notification.clone(),
        },
        Happening::Message { message, .. } => Event::Message {
            sub,
            eid,
            message: (**message).clone(),
        },
        Happening::Block { .. } | Happening::Mute { .. } | Happening::Restriction(_) => {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use roost_shared::{Location, Status};

    use super::*;

    #[test]
    fn rendered_lines_are_the_wire_events() {
        let user = |id| User {
            id,
            login: format!("u{id}"),
            name: "Ünï \"quoted\"".into(),
            followers: 1,
            following: 2,
            posts: 3,
            signup: "2026-11-26T21:49:06.123Z".into(),
            bio: String::new(),
            private: false,
            suspended: false,
            relationship: None,
        };
        let status = Status {
            id: 7,
            uid: 42,
            login: "alice".into(),
            text: "line\nbreak \"quote\" 数据库 🦀".into(),
            posted: "2026-11-26T21:50:00.001Z".into(),
            location: Some(Location {
                lat: 52.5,
                lon: -13.25,
            }),
            tags: vec!["redis".into()],
            ..Status::default()
        };
        for happening in [
            Happening::Status(status.clone()),
            Happening::Delete(status.clone()),
            Happening::Follow {
                follower: user(1),
                followed: user(2),
            },
            Happening::Unfollow {
                follower: user(2),
                followed: user(1),
            },
            Happening::Notification {
                to: 1,
                notification: Box::new(roost_shared::Notification {
                    id: 3,
                    kind: roost_shared::NotificationKind::Like,
                    from: user(2),
                    status: Some(status.clone()),
                    at: "2026-11-26T21:50:00.001Z".into(),
                }),
            },
        ] {
            let entry = LogEntry {
                eid: Eid {
                    ms: 1_795_735_439_470,
                    seq: 3,
                },
                happening,
            };
            let mut line = Vec::new();
            Rendered::new(&entry).unwrap().write_line(12, &mut line);
            assert_eq!(line.pop(), Some(b'\n'));
            let parsed: Event = serde_json::from_slice(&line).unwrap();
            assert_eq!(Some(parsed), to_event(12, &entry));
        }
    }
}
