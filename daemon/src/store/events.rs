//! The event log: a Redis Stream of every post, delete, follow and unfollow,
//! trimmed to keep at least the last `--event-log-len` events. Each roostd reads
//! it with one blocking reader and matches events to its subscribers in memory.
//!
//! Event ids (`eid`) on the wire are the stream ids written with fixed widths
//! (`0001795733167021-000000`), so they sort as strings in delivery order.

use std::collections::HashMap;

use redis::AsyncCommands;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use roost_shared::{Status, User};

use super::{Store, as_string, status_from};
use crate::error::{Error, Result};

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    Status(Status),
    /// The deleted status as it was, so streams it matched can be told.
    Delete(Status),
    Follow {
        follower: User,
        followed: User,
    },
    Unfollow {
        follower: User,
        followed: User,
    },
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub eid: String,
    pub happening: Happening,
}

/// A stream id `ms-seq` as a wire eid, and back.
pub fn eid_of(stream_id: &str) -> Option<String> {
    let (ms, seq) = stream_id.split_once('-')?;
    Some(format!(
        "{:016}-{:06}",
        ms.parse::<u64>().ok()?,
        seq.parse::<u64>().ok()?
    ))
}

pub fn stream_id_of(eid: &str) -> Option<String> {
    let (ms, seq) = eid.split_once('-')?;
    if ms.is_empty()
        || seq.is_empty()
        || !(ms.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(format!(
        "{}-{}",
        ms.parse::<u64>().ok()?,
        seq.parse::<u64>().ok()?
    ))
}

/// The fields of a status-carrying event, as the status hash has them.
pub(crate) fn status_fields(status: &Status, posted_ms: i64) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("id", status.id.to_string()),
        ("uid", status.uid.to_string()),
        ("login", status.login.clone()),
        ("text", status.text.clone()),
        ("posted", posted_ms.to_string()),
    ];
    if let Some(l) = status.location {
        f.push(("lat", l.lat.to_string()));
        f.push(("lon", l.lon.to_string()));
    }
    f
}

fn parse(entry: &StreamId) -> Option<LogEvent> {
    let fields: HashMap<String, String> = entry
        .map
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), as_string(v, k).ok()?)))
        .collect();
    let user = |name: &str| {
        fields
            .get(name)
            .and_then(|j| serde_json::from_str::<User>(j).ok())
    };
    let happening = match fields.get("kind")?.as_str() {
        "status" => Happening::Status(status_from(&fields)?),
        "delete" => Happening::Delete(status_from(&fields)?),
        "follow" => Happening::Follow {
            follower: user("follower")?,
            followed: user("followed")?,
        },
        "unfollow" => Happening::Unfollow {
            follower: user("follower")?,
            followed: user("followed")?,
        },
        _ => return None,
    };
    Some(LogEvent {
        eid: eid_of(&entry.id)?,
        happening,
    })
}

impl Store {
    /// Appends a follow or unfollow to the log.
    pub(crate) async fn log_follow(
        &self,
        follow: bool,
        follower: &User,
        followed: &User,
    ) -> Result<()> {
        let json = |u: &User| serde_json::to_string(u).map_err(|e| Error::Internal(e.to_string()));
        let kind = if follow { "follow" } else { "unfollow" };
        let fields = [
            ("kind", kind.to_owned()),
            ("follower", json(follower)?),
            ("followed", json(followed)?),
        ];
        let _: String = self
            .conn()
            .xadd_maxlen(self.keys().events(), self.event_maxlen(), "*", &fields)
            .await?;
        Ok(())
    }

    pub(crate) fn event_maxlen(&self) -> redis::streams::StreamMaxlen {
        redis::streams::StreamMaxlen::Approx(self.limits.event_log_len)
    }

    /// The stream id of the newest event, or `0-0`: where a fresh reader starts.
    pub async fn last_event_id(&self) -> Result<String> {
        let reply: StreamRangeReply = self
            .conn()
            .xrevrange_count(self.keys().events(), "+", "-", 1)
            .await?;
        Ok(reply
            .ids
            .first()
            .map(|e| e.id.clone())
            .unwrap_or_else(|| "0-0".into()))
    }

    /// Events after stream id `after`, blocking up to `block_ms` for the first;
    /// returns them with the stream id to read after next.
    pub async fn read_events(
        &self,
        conn: &mut super::Conn,
        after: &str,
        block_ms: usize,
    ) -> Result<(Vec<LogEvent>, String)> {
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(1000)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(self.keys().events())
            .arg(after)
            .query_async(conn)
            .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        let next = entries
            .last()
            .map(|e| e.id.clone())
            .unwrap_or_else(|| after.to_owned());
        Ok((entries.iter().filter_map(parse).collect(), next))
    }

    /// Up to `count` events after stream id `after` (exclusive), for replay.
    pub async fn events_after(
        &self,
        after: &str,
        count: usize,
    ) -> Result<(Vec<LogEvent>, Option<String>)> {
        let reply: StreamRangeReply = self
            .conn()
            .xrange_count(self.keys().events(), format!("({after}"), "+", count)
            .await?;
        let last = reply.ids.last().map(|e| e.id.clone());
        Ok((reply.ids.iter().filter_map(parse).collect(), last))
    }

    /// Whether events after stream id `after` may have been trimmed away: the
    /// oldest event the log still holds is newer than `after`. (When `after`
    /// was the very event trimmed last, this says yes with nothing lost; a
    /// client then re-reads its timeline once more than needed.)
    pub async fn events_trimmed_after(&self, after: &str) -> Result<bool> {
        let first: StreamRangeReply = self
            .conn()
            .xrange_count(self.keys().events(), "-", "+", 1)
            .await?;
        let first = first.ids.first().and_then(|e| split_id(&e.id));
        Ok(matches!((first, split_id(after)), (Some(first), Some(after)) if after < first))
    }
}

fn split_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eids_sort_like_stream_ids_and_convert_back() {
        let ids = ["0-1", "9-0", "10-0", "1795733167021-2", "1795733167021-10"];
        let eids: Vec<String> = ids.iter().map(|i| eid_of(i).unwrap()).collect();
        let mut sorted = eids.clone();
        sorted.sort();
        assert_eq!(sorted, eids);
        for (id, eid) in ids.iter().zip(&eids) {
            assert_eq!(stream_id_of(eid).as_deref(), Some(*id));
        }
        assert_eq!(stream_id_of("nonsense"), None);
        assert_eq!(stream_id_of("1-"), None);
    }
}
