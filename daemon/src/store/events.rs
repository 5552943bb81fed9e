//! The event log: a Redis Stream of every post, delete, follow, unfollow and
//! notification,
//! trimmed to keep at least the last `--event-log-len` events. Each roostd reads
//! it with one blocking reader and matches events to its subscribers in memory.
//!
//! An event's [`Eid`] is its stream id: [`stream_id`] is the one conversion.

use std::collections::HashMap;

use redis::AsyncCommands;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use roost_shared::{Eid, Message, Notification, Status, User};

use super::reader::BlockingReader;
use super::scripts::LOG_CHANGE;
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
    /// A notification for account `to`, as it was when it happened.
    Notification {
        to: u64,
        notification: Box<Notification>,
    },
    /// A direct message, for its participants' `direct` streams only.
    Message {
        participants: Vec<u64>,
        message: Box<Message>,
    },
    /// `who` blocked `whom` (or, `on` false, unblocked): for streams only.
    Block {
        who: u64,
        whom: u64,
        on: bool,
    },
    /// `who` muted `whom` (or unmuted): for `who`'s streams only.
    Mute {
        who: u64,
        whom: u64,
        on: bool,
    },
    /// A status hidden (or unhidden), an account suspended (or reinstated),
    /// an account gone private (or public): every roostd's streams decide by
    /// it from then on, replays included.
    Restriction(Restriction),
}

/// What a restriction event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    Hidden { status: u64, on: bool },
    Suspended { account: u64, on: bool },
    Private { account: u64, on: bool },
}

/// One entry of the log: what happened, at which position.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub eid: Eid,
    pub happening: Happening,
}

/// The Redis stream id of an eid (the same two numbers, without padding).
fn stream_id(eid: Eid) -> String {
    format!("{}-{}", eid.ms, eid.seq)
}

fn parse(entry: &StreamId) -> Option<LogEntry> {
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
        kind @ ("block" | "mute") => {
            let num = |name: &str| fields.get(name)?.parse::<u64>().ok();
            let (who, whom, on) = (num("who")?, num("whom")?, num("on")? == 1);
            if kind == "block" {
                Happening::Block { who, whom, on }
            } else {
                Happening::Mute { who, whom, on }
            }
        }
        "restriction" => {
            let num = |name: &str| fields.get(name)?.parse::<u64>().ok();
            let (id, on) = (num("id")?, num("on")? == 1);
            Happening::Restriction(match fields.get("what")?.as_str() {
                "status" => Restriction::Hidden { status: id, on },
                "account" => Restriction::Suspended { account: id, on },
                "private" => Restriction::Private { account: id, on },
                _ => return None,
            })
        }
        "message" => {
            let message: Message = serde_json::from_str(fields.get("message")?).ok()?;
            Happening::Message {
                participants: super::direct::participants(&message.conversation)?,
                message: Box::new(message),
            }
        }
        "notification" => Happening::Notification {
            to: fields.get("to")?.parse().ok()?,
            notification: serde_json::from_str(fields.get("notification")?).ok()?,
        },
        _ => return None,
    };
    Some(LogEntry {
        eid: Eid::parse(&entry.id)?,
        happening,
    })
}

impl Store {
    /// Appends a follow or unfollow to the log, once per change (its
    /// `generation`): finishing a change again after a crash logs nothing new.
    pub(crate) async fn log_follow(
        &self,
        follow: bool,
        follower: &User,
        followed: &User,
        generation: i64,
    ) -> Result<()> {
        let json = |u: &User| serde_json::to_string(u).map_err(|e| Error::Internal(e.to_string()));
        let kind = if follow { "follow" } else { "unfollow" };
        let k = self.keys();
        let mut call = LOG_CHANGE.prepare_invoke();
        call.key(k.events())
            .key(k.logged_changes())
            .arg(format!("{}:{}:{generation}", followed.id, follower.id))
            .arg(roost_shared::time::now_millis())
            .arg(self.limits.event_log_len)
            .arg("kind")
            .arg(kind)
            .arg("follower")
            .arg(json(follower)?)
            .arg("followed")
            .arg(json(followed)?);
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// The newest event's eid, or [`Eid::ZERO`]: where a fresh reader starts.
    pub async fn last_eid(&self) -> Result<Eid> {
        let reply: StreamRangeReply = self
            .conn()
            .xrevrange_count(self.keys().events(), "+", "-", 1)
            .await?;
        Ok(reply
            .ids
            .first()
            .and_then(|e| Eid::parse(&e.id))
            .unwrap_or(Eid::ZERO))
    }

    /// Up to `count` events after `after` (exclusive), for replay, with the
    /// eid of the last entry read (even one that could not be parsed).
    pub async fn events_after(
        &self,
        after: Eid,
        count: usize,
    ) -> Result<(Vec<LogEntry>, Option<Eid>)> {
        let reply: StreamRangeReply = self
            .conn()
            .xrange_count(
                self.keys().events(),
                format!("({}", stream_id(after)),
                "+",
                count,
            )
            .await?;
        let last = reply.ids.last().and_then(|e| Eid::parse(&e.id));
        Ok((reply.ids.iter().filter_map(parse).collect(), last))
    }

    /// The statuses the log holds, newest first, from before stream id
    /// `end` (exclusive; `None`: the newest), reading up to `count` events;
    /// with the stream id to go on from, if more remain.
    pub(crate) async fn logged_statuses_before(
        &self,
        end: Option<&str>,
        count: usize,
    ) -> Result<(Vec<Status>, Option<String>)> {
        let end = end.map_or("+".to_owned(), |e| format!("({e}"));
        let reply: StreamRangeReply = self
            .conn()
            .xrevrange_count(self.keys().events(), end, "-", count)
            .await?;
        let next = (reply.ids.len() == count)
            .then(|| reply.ids.last().map(|e| e.id.clone()))
            .flatten();
        let statuses = reply
            .ids
            .iter()
            .filter_map(parse)
            .filter_map(|entry| match entry.happening {
                Happening::Status(status) => Some(status),
                _ => None,
            })
            .collect();
        Ok((statuses, next))
    }

    /// Whether events after `after` may have been trimmed away: the oldest
    /// event the log still holds is newer than `after`. (When `after` was the
    /// very event trimmed last, this says yes with nothing lost; a client then
    /// re-reads its timeline once more than needed.)
    pub async fn events_trimmed_after(&self, after: Eid) -> Result<bool> {
        let first: StreamRangeReply = self
            .conn()
            .xrange_count(self.keys().events(), "-", "+", 1)
            .await?;
        let first = first.ids.first().and_then(|e| Eid::parse(&e.id));
        Ok(first.is_some_and(|first| after < first))
    }
}

impl BlockingReader {
    /// Events after `after`, waiting up to `block_ms` for the first; returns
    /// them with the eid to read after next.
    pub async fn events(&mut self, after: Eid, block_ms: usize) -> Result<(Vec<LogEntry>, Eid)> {
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(1000)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(self.store.keys().events())
            .arg(stream_id(after))
            .query_async(&mut self.conn)
            .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        let next = entries
            .last()
            .and_then(|e| Eid::parse(&e.id))
            .unwrap_or(after);
        Ok((entries.iter().filter_map(parse).collect(), next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_read_back_as_the_same_eids() {
        for id in ["0-1", "9-0", "10-0", "1795733167021-2", "1795733167021-10"] {
            let eid = Eid::parse(id).unwrap();
            assert_eq!(stream_id(eid), id);
        }
    }
}
