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

/// What a connection's writer sends, in order.
#[derive(Debug)]
pub enum Outgoing {
    Response(Response),
    /// A live event from the hub.
    Live(Event),
    /// A subscription starts replaying: hold its live events back.
    Begin(u64),
    /// A replayed event, written as it comes.
    Replayed(Event),
    /// Replay is done up to this eid: release held live events after it.
    End {
        sub: u64,
        last: Option<String>,
    },
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

/// All subscriptions of this roostd.
pub struct Hub {
    subs: std::sync::Mutex<HashMap<u64, Entry>>,
    next: AtomicU64,
    stall: Duration,
}

impl Hub {
    pub fn new(stall: Duration) -> Hub {
        Hub {
            subs: std::sync::Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            stall,
        }
    }

    /// A fresh subscription id.
    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
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
        if subs.values().filter(|e| e.owner == owner).count() >= max_per_owner {
            return false;
        }
        subs.insert(
            sub,
            Entry {
                matcher,
                sink,
                owner,
                full_since: None,
            },
        );
        true
    }

    pub fn unregister(&self, sub: u64) {
        self.lock().remove(&sub);
    }

    /// How many subscriptions are live (for tests and operators).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands one event to every subscription it matches, without waiting.
    pub fn dispatch(&self, event: &LogEvent) {
        let now = Instant::now();
        let mut subs = self.lock();
        let mut stalled = Vec::new();
        for (&sub, entry) in subs.iter_mut() {
            if !entry.matcher.matches(&event.happening) {
                continue;
            }
            match entry.sink.tx.try_send(Outgoing::Live(to_event(sub, event))) {
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
            if let Some(entry) = subs.remove(&sub) {
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
    let retry = Duration::from_millis(500);
    let mut conn = loop {
        match store.blocking_connection().await {
            Ok(conn) => break conn,
            Err(e) => tracing::warn!(error = %e, "event reader cannot reach Redis; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(retry) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
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
            }
        }
    }
}
