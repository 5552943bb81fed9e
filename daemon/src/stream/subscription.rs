//! A subscription's whole life in one place: the limits it counts against,
//! registering with the hub, ending when its [`Subscription`] handle is dropped
//! (unsubscribe, the connection closing, the HTTP response ending: one way),
//! and replay-then-live: with `since`, the matching events after it are
//! replayed from the log while live events wait, then live events go on
//! without the ones the replay already sent.
//!
//! The replay runs in the request's task and the live events come from the
//! hub, both into the connection's one queue; its writer puts them in order
//! with a [`Merge`]. The messages on that queue are [`Feed`]s.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use roost_shared::{Eid, Event};
use serde::Serialize;
use tokio::sync::{Notify, mpsc};

use super::event::{Rendered, to_event};
use super::filter::Matcher;
use super::hub::{Hub, Offer, Sink, Tally};
use super::replay_gate::ReplayGate;
use super::restrictions::Restrictions;
use crate::error::{Error, Result};
use crate::store::Store;

/// Entries read from the log per round trip of a replay.
const REPLAY_PAGE: usize = 200;

/// An open subscription; dropping it ends the subscription.
pub struct Subscription {
    tally: Arc<Tally>,
    hub: Arc<Hub>,
}

impl Subscription {
    /// Registers a subscription that goes live at once (no replay), counted
    /// against `owner`'s `max_per_owner`.
    pub fn open(
        hub: &Arc<Hub>,
        owner: u64,
        max_per_owner: usize,
        matcher: Matcher,
        sink: Box<dyn Sink>,
    ) -> Result<Subscription> {
        register(hub, hub.new_tally(), owner, max_per_owner, matcher, sink)
    }

    pub fn id(&self) -> u64 {
        self.tally.sub
    }

    pub fn tally(&self) -> &Arc<Tally> {
        &self.tally
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.tally.close();
        self.hub.unregister(self.tally.sub);
    }
}

fn register(
    hub: &Arc<Hub>,
    tally: Arc<Tally>,
    owner: u64,
    max_per_owner: usize,
    matcher: Matcher,
    sink: Box<dyn Sink>,
) -> Result<Subscription> {
    if !hub.register(tally.clone(), owner, max_per_owner, matcher, sink) {
        tally.close();
        return Err(Error::RateLimited(format!(
            "at most {max_per_owner} subscriptions per account"
        )));
    }
    Ok(Subscription {
        tally,
        hub: hub.clone(),
    })
}

/// A connection's subscriptions, at most `max` at once; dropping it ends them.
pub struct Subscriptions {
    open: HashMap<u64, Subscription>,
    max: usize,
}

impl Subscriptions {
    pub fn new(max: usize) -> Subscriptions {
        Subscriptions {
            open: HashMap::new(),
            max,
        }
    }

    /// `rate_limited` when the connection holds its most already.
    pub fn check_room(&self) -> Result<()> {
        if self.open.len() >= self.max {
            return Err(Error::RateLimited(format!(
                "at most {} subscriptions per connection",
                self.max
            )));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    pub fn insert(&mut self, subscription: Subscription) {
        self.open.insert(subscription.id(), subscription);
    }

    /// Ends subscription `sub`; `not_found` if this connection has none such.
    pub fn end(&mut self, sub: u64) -> Result<()> {
        self.open
            .remove(&sub)
            .map(drop)
            .ok_or_else(|| Error::NotFound(format!("no subscription {sub} on this connection")))
    }
}

/// What a subscription puts on its connection's queue, in order.
#[derive(Debug)]
pub enum Feed {
    /// A subscription starts: hold its live events until its replay ends.
    Begin(Arc<Tally>),
    /// An event of the replay (or `gap`), written as it comes.
    Replayed(Box<Event>),
    /// A live event from the hub.
    Live {
        tally: Arc<Tally>,
        event: Arc<Rendered>,
    },
    /// The replay is done up to `last`: held live events after it go out.
    End { sub: u64, last: Option<Eid> },
}

/// A queue that takes [`Feed`]s: a connection's writer queue, or an HTTP
/// response's. As a [`Sink`] it never waits.
pub struct Queue<O> {
    pub tx: mpsc::Sender<O>,
    /// Told when the hub cuts the subscriber off.
    pub closer: Arc<Notify>,
}

impl<O> Clone for Queue<O> {
    fn clone(&self) -> Self {
        Queue {
            tx: self.tx.clone(),
            closer: self.closer.clone(),
        }
    }
}

impl<O: From<Feed> + Send + 'static> Sink for Queue<O> {
    fn offer(&self, tally: &Arc<Tally>, event: &Arc<Rendered>) -> Offer {
        let live = Feed::Live {
            tally: tally.clone(),
            event: event.clone(),
        };
        match self.tx.try_send(live.into()) {
            Ok(()) => Offer::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => Offer::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Offer::Closed,
        }
    }

    fn cut_off(&self) {
        self.closer.notify_one();
    }
}

/// What a subscription with replay is: which events, whose, resumed from where.
pub struct Request {
    pub matcher: Matcher,
    pub owner: u64,
    pub max_per_owner: usize,
    pub since: Option<Eid>,
    /// A replay whose client takes nothing for this long is given up.
    pub stall: std::time::Duration,
}

/// Starts a subscription on a connection's `queue`: `Begin`, registration,
/// the `answer` for its id, the replay after `since`, then `End`. Live events
/// that arrive meanwhile wait in the writer's [`Merge`].
pub async fn start<O: From<Feed> + Send + 'static>(
    hub: &Arc<Hub>,
    store: &Store,
    gate: &ReplayGate,
    queue: &Queue<O>,
    request: Request,
    answer: impl FnOnce(u64) -> Result<O>,
) -> Result<Subscription> {
    let gone = || Error::Internal("the connection is closing".into());
    let tally = hub.new_tally();
    let sub = tally.sub;
    let send = |item: Feed| queue.tx.send(item.into());
    send(Feed::Begin(tally.clone())).await.map_err(|_| gone())?;
    let sink = Box::new(queue.clone());
    // What the replay needs, the matcher copied only when there is one.
    let replay_of = request.since.map(|after| Replay {
        after,
        matcher: request.matcher.clone(),
        owner: request.owner,
        stall: request.stall,
    });
    let subscription = match register(
        hub,
        tally,
        request.owner,
        request.max_per_owner,
        request.matcher,
        sink,
    ) {
        Ok(s) => s,
        Err(e) => {
            let _ = send(Feed::End { sub, last: None }).await;
            return Err(e);
        }
    };
    queue.tx.send(answer(sub)?).await.map_err(|_| gone())?;
    let last = match replay_of {
        None => None,
        Some(of) => match replay(store, gate, &hub.restrictions, sub, of, &queue.tx).await {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!(error = %e, sub, "replay failed; telling the client to re-read");
                let _ = send(Feed::Replayed(Box::new(Event::Gap { sub }))).await;
                None
            }
        },
    };
    let _ = send(Feed::End { sub, last }).await;
    Ok(subscription)
}

/// A replay to send: from where, of what, whose, and how long to wait for a
/// client that does not read.
struct Replay {
    after: Eid,
    matcher: Matcher,
    owner: u64,
    stall: std::time::Duration,
}

/// Sends a subscription's replay: `gap` first when the log no longer holds
/// everything after its start, then every matching event in order. Returns
/// the eid the replay reached.
async fn replay<O: From<Feed>>(
    store: &Store,
    gate: &ReplayGate,
    restrictions: &Restrictions,
    sub: u64,
    replay: Replay,
    tx: &mpsc::Sender<O>,
) -> Result<Option<Eid>> {
    let Replay {
        mut after,
        mut matcher,
        owner,
        stall,
    } = replay;
    let _turn = gate.enter(owner).await;
    let replayed = |event: Event| O::from(Feed::Replayed(Box::new(event)));
    let stalled = || Error::RateLimited("the client stopped reading its replay".into());
    let send = |event: Event| async {
        match tokio::time::timeout(stall, tx.send(replayed(event))).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(_)) => Ok(false),
            Err(_) => Err(stalled()),
        }
    };
    if store.events_trimmed_after(after).await? {
        send(Event::Gap { sub }).await?;
    }
    let mut last = None;
    loop {
        let (entries, page_last) = store.events_after(after, REPLAY_PAGE).await?;
        let Some(page_last) = page_last else { break };
        for entry in &entries {
            let facts = restrictions.facts(&entry.happening);
            if !matcher.delivers(&entry.happening, &facts) {
                continue;
            }
            if let Some(event) = to_event(sub, entry)
                && !send(event).await?
            {
                return Ok(last);
            }
        }
        last = Some(page_last);
        after = page_last;
        // A long replay lets the requests in between its pages.
        tokio::task::yield_now().await;
    }
    Ok(last)
}

/// Where each subscription of one connection is in its replay-then-live life,
/// kept by the connection's writer, which hands it every [`Feed`] in order.
#[derive(Debug, Default)]
pub struct Merge {
    subs: HashMap<u64, Phase>,
}

#[derive(Debug)]
enum Phase {
    /// Replaying: live events wait here.
    Replaying {
        tally: Arc<Tally>,
        held: Vec<Arc<Rendered>>,
    },
    /// Live; events up to `floor` were replayed already (the hub may hand them
    /// over after the replay ended).
    Live {
        tally: Arc<Tally>,
        floor: Option<Eid>,
    },
}

impl Merge {
    /// Takes the next item of the queue and appends what goes out now to `out`.
    pub fn feed(&mut self, item: Feed, out: &mut Vec<u8>) -> io::Result<()> {
        match item {
            Feed::Begin(tally) => {
                let held = Vec::new();
                self.subs
                    .insert(tally.sub, Phase::Replaying { tally, held });
            }
            Feed::Replayed(event) => put(out, &event)?,
            Feed::Live { tally, event } => match self.subs.get_mut(&tally.sub) {
                Some(Phase::Replaying { held, .. }) => held.push(event),
                Some(Phase::Live { floor, .. }) if floor.is_some_and(|f| event.eid <= f) => {}
                _ if tally.is_open() => {
                    put_lagged(out, &tally)?;
                    event.write_line(tally.sub, out);
                }
                _ => {}
            },
            Feed::End { sub, last } => {
                if let Some(Phase::Replaying { tally, held }) = self.subs.remove(&sub) {
                    for event in held {
                        let newer = last.is_none_or(|last| event.eid > last);
                        if newer && tally.is_open() {
                            event.write_line(sub, out);
                        }
                    }
                    let floor = last;
                    self.subs.insert(sub, Phase::Live { tally, floor });
                }
            }
        }
        Ok(())
    }

    /// Appends `lagged` for every open subscription that lost events, and
    /// forgets the ended ones.
    pub fn report_lag(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.subs.retain(|_, phase| match phase {
            Phase::Replaying { tally, .. } | Phase::Live { tally, .. } => tally.is_open(),
        });
        for Phase::Replaying { tally, .. } | Phase::Live { tally, .. } in self.subs.values() {
            if tally.has_dropped() {
                put_lagged(out, tally)?;
            }
        }
        Ok(())
    }
}

/// Appends one message line.
pub fn put<T: Serialize>(out: &mut Vec<u8>, message: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, message).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(())
}

fn put_lagged(out: &mut Vec<u8>, tally: &Tally) -> io::Result<()> {
    let dropped = tally.take_dropped();
    if dropped > 0 {
        put(
            out,
            &Event::Lagged {
                sub: tally.sub,
                dropped,
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use roost_shared::Status;

    use super::*;
    use crate::store::{Happening, LogEntry};

    /// The entry of status `ms`, posted at eid `ms-0`.
    fn entry(ms: u64) -> LogEntry {
        let status = Status {
            id: ms,
            uid: 1,
            login: "a".into(),
            text: "t".into(),
            posted: String::new(),
            ..Status::default()
        };
        LogEntry {
            eid: Eid { ms, seq: 0 },
            happening: Happening::Status(status),
        }
    }

    fn rendered(ms: u64) -> Arc<Rendered> {
        Arc::new(Rendered::new(&entry(ms)).unwrap())
    }

    fn eids(out: &[u8]) -> Vec<u64> {
        String::from_utf8_lossy(out)
            .lines()
            .map(|l| serde_json::from_str::<Event>(l).unwrap())
            .filter_map(|e| e.eid().map(|e| e.ms))
            .collect()
    }

    #[test]
    fn live_events_wait_for_the_replay_and_skip_what_it_sent() {
        let mut merge = Merge::default();
        let tally = Arc::new(Tally::new(5));
        let mut out = Vec::new();
        let live = |ms| Feed::Live {
            tally: tally.clone(),
            event: rendered(ms),
        };
        merge.feed(Feed::Begin(tally.clone()), &mut out).unwrap();
        // Live events 3 and 4 arrive while the replay sends 1 to 3.
        merge.feed(live(3), &mut out).unwrap();
        for ms in 1..=3 {
            let event = to_event(5, &entry(ms)).unwrap();
            merge
                .feed(Feed::Replayed(Box::new(event)), &mut out)
                .unwrap();
        }
        merge.feed(live(4), &mut out).unwrap();
        assert_eq!(eids(&out), [1, 2, 3], "live events wait");
        let last = Some(Eid { ms: 3, seq: 0 });
        merge.feed(Feed::End { sub: 5, last }, &mut out).unwrap();
        assert_eq!(eids(&out), [1, 2, 3, 4], "held 3 was replayed already");
        // The hub may still hand over an event the replay covered.
        merge.feed(live(2), &mut out).unwrap();
        merge.feed(live(5), &mut out).unwrap();
        assert_eq!(eids(&out), [1, 2, 3, 4, 5]);
        // Once ended, nothing more of it goes out.
        tally.close();
        merge.feed(live(6), &mut out).unwrap();
        merge.report_lag(&mut out).unwrap();
        assert_eq!(eids(&out), [1, 2, 3, 4, 5]);
        assert!(merge.subs.is_empty());
    }

    #[test]
    fn a_subscription_ends_when_dropped_and_counts_against_its_owner() {
        let hub = Arc::new(Hub::new(std::time::Duration::from_secs(60)));
        let queue = |capacity| {
            let (tx, rx) = mpsc::channel::<Feed>(capacity);
            let closer = Arc::new(Notify::new());
            (Box::new(Queue { tx, closer }), rx)
        };
        let open = |owner, sink| {
            let matcher = Matcher::new(
                crate::stream::filter::Kind::Firehose,
                None,
                Default::default(),
            );
            Subscription::open(&hub, owner, 1, matcher, sink)
        };
        let (sink, mut rx) = queue(2);
        let first = open(7, sink).unwrap();
        let refused = open(7, queue(2).0);
        let refused = refused.err().expect("a second subscription of owner 7");
        assert!(matches!(refused, Error::RateLimited(_)), "{refused}");
        let (sink, _other_rx) = queue(8);
        let other = open(8, sink).unwrap();
        assert_eq!(hub.len(), 2);
        // A queue of two takes two events; the third is counted as dropped.
        for ms in 1..=3 {
            hub.dispatch(&entry(ms));
        }
        assert_eq!(first.tally().take_dropped(), 1);
        assert!(matches!(rx.try_recv(), Ok(Feed::Live { .. })));
        let tally = first.tally().clone();
        drop(first);
        assert!(!tally.is_open());
        assert_eq!(hub.len(), 1);
        let again = open(7, queue(2).0).expect("room again once the first ended");
        let again_id = again.id();
        let mut subs = Subscriptions::new(1);
        subs.insert(again);
        assert!(subs.check_room().is_err());
        assert!(matches!(subs.end(99), Err(Error::NotFound(_))));
        subs.end(again_id).unwrap();
        assert_eq!(hub.len(), 1, "only `other` is left");
        drop(other);
        assert!(hub.is_empty());
    }
}
