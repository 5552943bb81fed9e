//! Live streams: the event log's one reader per roostd, the hub that matches
//! events to local subscriptions in memory, and subscribing with replay.
//!
//! - [`filter`]: the matching rules of `home`, `firehose`, `sample` and `filter`.
//! - [`hub`]: subscriptions, non-blocking delivery, lag and stall handling.

pub mod filter;
pub mod hub;

use std::collections::HashSet;

use roost_shared::{Event, Stream};

pub use hub::{Hub, Outgoing, Sink};

use crate::Daemon;
use crate::error::{Error, Result};
use filter::{Filter, MAX_FOLLOW, MAX_LOCATIONS, MAX_TRACK, Matcher, Phrase, check_box};

/// Who a subscription belongs to: its account, or the Unix uid of an
/// unregistered caller (kept apart from account ids).
pub fn identity(account: Option<u64>, unix_uid: u32) -> u64 {
    account.unwrap_or(u64::from(unix_uid) | 1 << 63)
}

/// Turns a requested stream into its matcher, checking every part.
pub async fn compile(
    daemon: &Daemon,
    stream: &Stream,
    account: Option<u64>,
    identity: u64,
) -> Result<Matcher> {
    Ok(match stream {
        Stream::Home => {
            let account = account.ok_or(Error::NotRegistered)?;
            let following = daemon.store().following_ids(account).await?;
            Matcher::Home { account, following }
        }
        Stream::Firehose => Matcher::Firehose,
        Stream::Sample(sample) => {
            if !(1..=100).contains(&sample.percent) {
                return Err(Error::BadRequest("sample percent must be 1 to 100".into()));
            }
            Matcher::Sample {
                percent: sample.percent,
                identity,
            }
        }
        Stream::Filter(f) => {
            if f.follow.is_empty() && f.track.is_empty() && f.locations.is_empty() {
                return Err(Error::BadRequest(
                    "a filter needs follow, track or locations".into(),
                ));
            }
            if f.follow.len() > MAX_FOLLOW
                || f.track.len() > MAX_TRACK
                || f.locations.len() > MAX_LOCATIONS
            {
                return Err(Error::BadRequest(format!(
                    "a filter takes at most {MAX_FOLLOW} follow, {MAX_TRACK} track, {MAX_LOCATIONS} locations"
                )));
            }
            let ids = daemon.store().ids_of_logins(&f.follow).await?;
            let mut follow = HashSet::new();
            for (login, id) in f.follow.iter().zip(ids) {
                follow.insert(
                    id.ok_or_else(|| Error::BadRequest(format!("follow: no user {login:?}")))?,
                );
            }
            let track = f
                .track
                .iter()
                .map(|p| Phrase::parse(p))
                .collect::<Result<Vec<_>, _>>();
            for b in &f.locations {
                check_box(b).map_err(Error::BadRequest)?;
            }
            Matcher::Filter(Filter {
                follow,
                track: track.map_err(Error::BadRequest)?,
                locations: f.locations.clone(),
            })
        }
    })
}

/// Sends a subscription's replay after stream id `after` through `out`: `gap`
/// first when the log no longer holds everything after it, then every matching
/// event in order. Returns the eid replay reached, for the writer to drop live
/// duplicates up to it.
pub async fn replay(
    daemon: &Daemon,
    sub: u64,
    after: String,
    mut matcher: Matcher,
    out: &tokio::sync::mpsc::Sender<Outgoing>,
) -> Result<Option<String>> {
    let store = daemon.store();
    let mut after = after;
    if store.events_trimmed_after(&after).await? {
        let _ = out
            .send(Outgoing::Replayed(Box::new(Event::Gap { sub })))
            .await;
    }
    let mut last = None;
    loop {
        let (events, page_last) = store.events_after(&after, 500).await?;
        let Some(page_last) = page_last else { break };
        for event in &events {
            if matcher.matches(&event.happening)
                && out
                    .send(Outgoing::Replayed(Box::new(hub::to_event(sub, event))))
                    .await
                    .is_err()
            {
                return Ok(last);
            }
            last = Some(event.eid.clone());
        }
        last = crate::store::eid_of(&page_last).or(last);
        after = page_last;
    }
    Ok(last)
}
