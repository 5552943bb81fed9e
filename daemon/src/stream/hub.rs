//! The hub: every local subscription with its matcher and its [`Sink`], fed by
//! the event log's reader. Matching and dispatch only: delivery never waits; a
//! sink that is full counts what it drops on the subscription's [`Tally`] (the
//! client gets `lagged`), and one that stays full past the stall timeout is
//! cut off. What a sink does with an event is its owner's business.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::event::Rendered;
use super::filter::Matcher;
use super::restrictions::Restrictions;
use crate::store::LogEntry;

/// What a subscription's sink, its writer and the hub share: its id, the events
/// dropped since the client last heard, and whether it is still open.
#[derive(Debug)]
pub struct Tally {
    pub sub: u64,
    dropped: AtomicU64,
    open: AtomicBool,
}

impl Tally {
    pub fn new(sub: u64) -> Tally {
        Tally {
            sub,
            dropped: AtomicU64::new(0),
            open: AtomicBool::new(true),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    pub fn close(&self) {
        self.open.store(false, Ordering::Relaxed);
    }

    /// Events dropped since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }

    pub fn has_dropped(&self) -> bool {
        self.dropped.load(Ordering::Relaxed) > 0
    }
}

/// What became of an event offered to a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    Queued,
    Full,
    /// The receiving side is gone.
    Closed,
}

/// Where a subscription's live events go. Never waits.
pub trait Sink: Send + Sync {
    fn offer(&self, tally: &Arc<Tally>, event: &Arc<Rendered>) -> Offer;
    /// The subscriber stopped reading: end its connection or response.
    fn cut_off(&self);
}

struct Entry {
    matcher: Matcher,
    sink: Box<dyn Sink>,
    tally: Arc<Tally>,
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
    /// What moderation keeps out, for live delivery and replay alike.
    pub restrictions: Restrictions,
    next: AtomicU64,
    stall: Duration,
}

impl Hub {
    pub fn new(stall: Duration) -> Hub {
        Hub {
            subs: std::sync::Mutex::new(Subs::default()),
            restrictions: Restrictions::default(),
            next: AtomicU64::new(1),
            stall,
        }
    }

    /// A tally for a fresh subscription id.
    pub fn new_tally(&self) -> Arc<Tally> {
        Arc::new(Tally::new(self.next.fetch_add(1, Ordering::Relaxed)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subs> {
        self.subs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a subscription unless `owner` already has `max_per_owner`.
    pub(super) fn register(
        &self,
        tally: Arc<Tally>,
        owner: u64,
        max_per_owner: usize,
        matcher: Matcher,
        sink: Box<dyn Sink>,
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
            tally: tally.clone(),
            owner,
            full_since: None,
        };
        subs.entries.insert(tally.sub, entry);
        true
    }

    pub(super) fn unregister(&self, sub: u64) {
        self.lock().remove(sub);
    }

    /// How many subscriptions are live (for tests and operators).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands one entry to every subscription it matches, without waiting.
    pub fn dispatch(&self, entry: &LogEntry) {
        self.restrictions.apply(&entry.happening);
        let facts = self.restrictions.facts(&entry.happening);
        let now = Instant::now();
        let mut subs = self.lock();
        let mut stalled = Vec::new();
        let mut rendered: Option<Arc<Rendered>> = None;
        for (&sub, sub_entry) in subs.entries.iter_mut() {
            if !sub_entry.matcher.delivers(&entry.happening, &facts) {
                continue;
            }
            let event = match &rendered {
                Some(event) => event,
                None => match Rendered::new(entry) {
                    Some(event) => rendered.insert(Arc::new(event)),
                    None => continue,
                },
            };
            match sub_entry.sink.offer(&sub_entry.tally, event) {
                Offer::Queued => sub_entry.full_since = None,
                Offer::Full => {
                    sub_entry.tally.dropped.fetch_add(1, Ordering::Relaxed);
                    let since = *sub_entry.full_since.get_or_insert(now);
                    if now.duration_since(since) >= self.stall {
                        stalled.push(sub);
                    }
                }
                Offer::Closed => stalled.push(sub),
            }
        }
        for sub in stalled {
            if let Some(entry) = subs.remove(sub) {
                tracing::info!(sub, "closing a subscriber that stopped reading");
                entry.tally.close();
                entry.sink.cut_off();
            }
        }
    }
}
