//! Live streams: what a subscription asks for, compiled into a matcher here;
//! the event log's reader, the hub that matches entries to local subscriptions
//! in memory, and each subscription's life with replay.
//!
//! - [`filter`]: the matching rules of `home`, `firehose`, `sample` and `filter`.
//! - [`hub`]: the subscriptions of this roostd; non-blocking dispatch, lag, stalls.
//! - [`subscription`]: limits, registration, ending on drop, replay-then-live.
//! - [`event`]: a log entry as a wire event, rendered once for all subscribers.
//! - [`restrictions`]: hidden statuses, suspended and private accounts, kept for every stream.
//! - [`reader`]: the one reader of the event log per roostd.
//! - [`replay_gate`]: replays one at a time per owner, a few in all.

pub mod event;
pub mod filter;
pub mod hub;
pub mod reader;
pub mod replay_gate;
pub mod restrictions;
pub mod subscription;

use std::collections::HashSet;

use roost_shared::Stream;
use roost_shared::validate::location_box;

pub use hub::Hub;
pub use replay_gate::ReplayGate;
pub use subscription::{Feed, Queue, Subscription, Subscriptions};

use crate::error::{Error, Result};
use crate::store::Store;
use filter::{Filter, Kind, MAX_FOLLOW, MAX_LOCATIONS, MAX_TRACK, Matcher, Phrase};

/// Who a subscription belongs to: its account, or the Unix uid of an
/// unregistered caller (kept apart from account ids).
pub fn identity(account: Option<u64>, unix_uid: u32) -> u64 {
    account.unwrap_or(u64::from(unix_uid) | 1 << 63)
}

/// Turns a requested stream into its matcher, checking every part, with
/// what the subscriber's account keeps out (its blocks and mutes).
pub async fn compile(
    store: &Store,
    stream: &Stream,
    account: Option<u64>,
    identity: u64,
) -> Result<Matcher> {
    let kind = kind(store, stream, account, identity).await?;
    let sets = match account {
        Some(account) => store.safety_sets(account).await?,
        None => Default::default(),
    };
    Ok(Matcher::new(kind, account, sets))
}

async fn kind(store: &Store, stream: &Stream, account: Option<u64>, identity: u64) -> Result<Kind> {
    Ok(match stream {
        Stream::Home => {
            let account = account.ok_or(Error::NotRegistered)?;
            let following = store.following_ids(account).await?;
            Kind::Home { account, following }
        }
        Stream::Notifications => {
            let account = account.ok_or(Error::NotRegistered)?;
            let following = store.following_ids(account).await?;
            Kind::Notifications { account, following }
        }
        Stream::Direct => Kind::Direct {
            account: account.ok_or(Error::NotRegistered)?,
        },
        Stream::Firehose => Kind::Firehose,
        Stream::Sample(sample) => {
            if !(1..=100).contains(&sample.percent) {
                return Err(Error::BadRequest("sample percent must be 1 to 100".into()));
            }
            Kind::Sample {
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
            let ids = store.ids_of_logins(&f.follow).await?;
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
                location_box(b).map_err(Error::BadRequest)?;
            }
            Kind::Filter(Filter {
                follow,
                track: track.map_err(Error::BadRequest)?,
                locations: f.locations.clone(),
            })
        }
    })
}
