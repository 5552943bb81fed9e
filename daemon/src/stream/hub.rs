//! The hub: every local subscription with its matcher and sink, fed by one
//! reader of the event log per roostd. Delivery never waits: a subscription's
//! bounded buffer that is full counts what it drops (the client gets `lagged`),
//! and one that stays full past the stall timeout is closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use roost_shared::{Event, Response};
use tokio::sync::{Notify, mpsc, watch};

use super::filter::Matcher;
use crate::store::{Happening, LogEvent, Store};

/// What a connection's writer sends, in order. Kept small: a queue of them is
/// allocated per connection.
#[derive(Debug)]
pub enum Outgoing {
    Response(Box<Response>),
    /// A live event from the hub.
    Live(Live),
    /// A subscription starts replaying: hold its live events back.
    Begin(u64),
    /// A replayed event, written as it comes.
    Replayed(Box<Event>),
    /// Replay is done up to this eid: release held live events after it.
    End {
        sub: u64,
        last: Option<Box<str>>,
    },
}

/// A live event for one subscription: the shared rendering and the sub id.
#[derive(Debug, Clone)]
pub struct Live {
    pub sub: u64,
    pub event: Arc<Rendered>,
}

/// An event rendered once for every subscription it goes to.
#[derive(Debug)]
pub struct Rendered {
    pub eid: String,
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
    fn new(event: &LogEvent) -> Rendered {
        let users = |a: &roost_shared::User, b: &roost_shared::User| {
            format!("\"follower\":{},\"followed\":{}", to_json(a), to_json(b))
        };
        let (kind, rest, http) = match &event.happening {
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
        };
        Rendered {
            eid: event.eid.clone(),
            kind,
            rest,
            http,
        }
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

/// A subscription's way out: its connection's queue and its drop count.
#[derive(Debug, Clone)]
pub struct Sink {
    pub tx: mpsc::Sender<Outgoing>,
    pub dropped: Arc<AtomicU64>,
    /// Told when the hub gives up on a subscriber that does not read.
    pub closer: Arc<Notify>,
}

struct Entry {
    matcher: Matcher,
    sink: Sink,
    /// The account (or caller identity) the subscription counts against.
    owner: u64,
    full_since: Option<Instant>,
}

/// The subscriptions, and how many each owner holds.
#[derive(Default)]
struct Subs {
    entries: HashMap<u64, Entry>,
    per_owner: HashMap<u64, usize>,
}

impl Subs {
    fn remove(&mut self, sub: u64) -> Option<Entry> {
        let entry = self.entries.remove(&sub)?;
        if let Some(held) = self.per_owner.get_mut(&entry.owner) {
            *held -= 1;
            if *held == 0 {
                self.per_owner.remove(&entry.owner);
            }
        }
        Some(entry)
    }
}

/// All subscriptions of this roostd.
pub struct Hub {
    subs: std::sync::Mutex<Subs>,
    next: AtomicU64,
    stall: Duration,
}

impl Hub {
    pub fn new(stall: Duration) -> Hub {
        Hub {
            subs: std::sync::Mutex::new(Subs::default()),
            next: AtomicU64::new(1),
            stall,
        }
    }

    /// A fresh subscription id.
    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subs> {
        self.subs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a subscription unless `owner` already has `max_per_owner`.
    pub fn register(
        &self,
        sub: u64,
        owner: u64,
        max_per_owner: usize,
        matcher: Matcher,
        sink: Sink,
    ) -> bool {
        let mut subs = self.lock();
        let held = subs.per_owner.entry(owner).or_default();
        if *held >= max_per_owner {
            return false;
        }
        *held += 1;
        let entry = Entry {
            matcher,
            sink,
            owner,
            full_since: None,
        };
        subs.entries.insert(sub, entry);
        true
    }

    pub fn unregister(&self, sub: u64) {
        self.lock().remove(sub);
    }

    /// How many subscriptions are live (for tests and operators).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands one event to every subscription it matches, without waiting.
    pub fn dispatch(&self, event: &LogEvent) {
        let now = Instant::now();
        let mut subs = self.lock();
        let mut stalled = Vec::new();
        let mut rendered: Option<Arc<Rendered>> = None;
        for (&sub, entry) in subs.entries.iter_mut() {
            if !entry.matcher.matches(&event.happening) {
                continue;
            }
            let event = rendered
                .get_or_insert_with(|| Arc::new(Rendered::new(event)))
                .clone();
            match entry.sink.tx.try_send(Outgoing::Live(Live { sub, event })) {
                Ok(()) => entry.full_since = None,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    entry.sink.dropped.fetch_add(1, Ordering::Relaxed);
                    let since = *entry.full_since.get_or_insert(now);
                    if now.duration_since(since) >= self.stall {
                        stalled.push(sub);
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => stalled.push(sub),
            }
        }
        for sub in stalled {
            if let Some(entry) = subs.remove(sub) {
                tracing::info!(sub, "closing a subscriber that stopped reading");
                entry.sink.closer.notify_one();
            }
        }
    }
}

/// The wire event for subscription `sub`.
pub fn to_event(sub: u64, event: &LogEvent) -> Event {
    let eid = event.eid.clone();
    match &event.happening {
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
    }
}

/// The one reader of the event log: from the newest event at start, hands every
/// event to the hub until `stop`.
pub async fn read_log(store: Store, hub: Arc<Hub>, mut stop: watch::Receiver<bool>) {
    let retry = crate::store::RETRY;
    let Some(mut conn) = store
        .blocking_connection_until("event reader", &mut stop)
        .await
    else {
        return;
    };
    let mut after = loop {
        match store.last_event_id().await {
            Ok(id) => break id,
            Err(e) => tracing::warn!(error = %e, "reading the event log failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(retry) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    };
    loop {
        let read = tokio::select! {
            read = store.read_events(&mut conn, &after, 1000) => read,
            _ = stop.wait_for(|s| *s) => return,
        };
        match read {
            Ok((events, next)) => {
                for event in &events {
                    hub.dispatch(event);
                }
                after = next;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the event log failed; retrying");
                tokio::time::sleep(retry).await;
                if matches!(&e, crate::error::Error::Redis(r) if crate::error::is_unreachable(r)) {
                    // Redis went away: this connection will not come back by itself.
                    match store
                        .blocking_connection_until("event reader", &mut stop)
                        .await
                    {
                        Some(fresh) => conn = fresh,
                        None => return,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use roost_shared::{Location, Status, User};

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
        };
        for happening in [
            Happening::Status(status.clone()),
            Happening::Delete(status),
            Happening::Follow {
                follower: user(1),
                followed: user(2),
            },
            Happening::Unfollow {
                follower: user(2),
                followed: user(1),
            },
        ] {
            let event = LogEvent {
                eid: "0001795735439470-000003".into(),
                happening,
            };
            let mut line = Vec::new();
            Rendered::new(&event).write_line(12, &mut line);
            assert_eq!(line.pop(), Some(b'\n'));
            let parsed: Event = serde_json::from_slice(&line).unwrap();
            assert_eq!(parsed, to_event(12, &event));
        }
    }
}
