//! Blocks and mutes. A block is recorded in the blocker's slot (the truth,
//! which reads check per status), mirrored in the blocked account's slot (for
//! its streams), then purges the follows both ways through `unfollow` and is
//! logged for every roostd's streams. A pending mark covers the steps after
//! the first until they are done (see `finish_abandoned_acts`). A mute is the
//! muter's own: one set, and an event for their streams.

use std::collections::HashSet;

use redis::AsyncCommands;
use roost_shared::FollowEntry;

use super::Store;
use super::scripts::LOG_CHANGE;
use crate::error::{Error, Result};
use crate::failpoint::crash_point;

/// An account's own lists of other accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnList {
    Blocks,
    Mutes,
    /// Who asks to follow them (a private account).
    Requests,
}

/// What a subscriber's streams keep out, loaded when it subscribes.
#[derive(Debug, Clone, Default)]
pub struct SafetySets {
    pub blocking: HashSet<u64>,
    pub blocked_by: HashSet<u64>,
    pub muting: HashSet<u64>,
}

impl Store {
    /// `blocker` blocks `blocked`: `conflict` if already.
    pub async fn block(&self, blocker: u64, blocked: u64, now: i64) -> Result<()> {
        let k = self.keys();
        let mark = format!("block:{blocker}:{blocked}");
        let _: i64 = self.conn().zadd(k.pending_acts(), &mark, now).await?;
        let added: i64 = self
            .conn()
            .zadd_options(
                k.blocking(blocker),
                blocked,
                now,
                &redis::SortedSetAddOptions::add_only(),
            )
            .await?;
        if added == 0 {
            let _: i64 = self.conn().zrem(k.pending_acts(), &mark).await?;
            return Err(Error::Conflict("blocked already".into()));
        }
        crash_point("block.recorded");
        self.finish_block(blocker, blocked, now).await?;
        let _: i64 = self.conn().zrem(k.pending_acts(), &mark).await?;
        Ok(())
    }

    /// The steps of a block after its record, each safe to do again: the
    /// mirror, the follows both ways, the event.
    pub(crate) async fn finish_block(&self, blocker: u64, blocked: u64, now: i64) -> Result<()> {
        let k = self.keys();
        let _: i64 = self
            .conn()
            .zadd(k.blocked_by(blocked), blocker, now)
            .await?;
        self.take_request(blocker, blocked).await?;
        self.take_request(blocked, blocker).await?;
        for (follower, followed) in [(blocker, blocked), (blocked, blocker)] {
            match self.unfollow(follower, followed, now).await {
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.log_safety("block", blocker, blocked, true, now).await
    }

    pub async fn unblock(&self, blocker: u64, blocked: u64, now: i64) -> Result<()> {
        let k = self.keys();
        let removed: i64 = self.conn().zrem(k.blocking(blocker), blocked).await?;
        if removed == 0 {
            return Err(Error::NotFound("not blocked".into()));
        }
        let _: i64 = self.conn().zrem(k.blocked_by(blocked), blocker).await?;
        self.log_safety("block", blocker, blocked, false, now).await
    }

    /// `muter` mutes `muted`: `conflict` if already. A pending mark covers
    /// the step between the record and its event, so a crash there still
    /// tells the streams (any roostd finishes it).
    pub async fn mute(&self, muter: u64, muted: u64, now: i64) -> Result<()> {
        let k = self.keys();
        let mark = format!("mute:{muter}:{muted}");
        let _: i64 = self.conn().zadd(k.pending_acts(), &mark, now).await?;
        let added: i64 = self
            .conn()
            .zadd_options(
                k.muting(muter),
                muted,
                now,
                &redis::SortedSetAddOptions::add_only(),
            )
            .await?;
        if added == 0 {
            let _: i64 = self.conn().zrem(k.pending_acts(), &mark).await?;
            return Err(Error::Conflict("muted already".into()));
        }
        crash_point("mute.recorded");
        self.finish_mute(muter, muted, now).await?;
        let _: i64 = self.conn().zrem(k.pending_acts(), &mark).await?;
        Ok(())
    }

    /// The step of a mute after its record: its event, if it still stands.
    pub(crate) async fn finish_mute(&self, muter: u64, muted: u64, now: i64) -> Result<()> {
        let stands: Option<f64> = self.conn().zscore(self.keys().muting(muter), muted).await?;
        if stands.is_none() {
            return Ok(());
        }
        self.log_safety("mute", muter, muted, true, now).await
    }

    pub async fn unmute(&self, muter: u64, muted: u64, now: i64) -> Result<()> {
        let removed: i64 = self.conn().zrem(self.keys().muting(muter), muted).await?;
        if removed == 0 {
            return Err(Error::NotFound("not muted".into()));
        }
        self.log_safety("mute", muter, muted, false, now).await
    }

    /// A page of one of `uid`'s own lists (whom they block or mute, who
    /// asks to follow them), newest first.
    pub async fn own_list(
        &self,
        uid: u64,
        list: OwnList,
        page: u32,
        count: u32,
    ) -> Result<Vec<FollowEntry>> {
        let k = self.keys();
        let key = match list {
            OwnList::Blocks => k.blocking(uid),
            OwnList::Mutes => k.muting(uid),
            OwnList::Requests => k.requests(uid),
        };
        self.user_list(&key, page, count).await
    }

    /// Whether `a` blocks `b` and whether `b` blocks `a`.
    pub async fn blocks_between(&self, a: u64, b: u64) -> Result<(bool, bool)> {
        let k = self.keys();
        let cmds = vec![
            redis::Cmd::zscore(k.blocking(a), b),
            redis::Cmd::zscore(k.blocking(b), a),
        ];
        let found: Vec<Option<f64>> = self.query_many(cmds).await?;
        Ok((found[0].is_some(), found[1].is_some()))
    }

    /// Whether `me` mutes `them`.
    pub async fn mutes(&self, me: u64, them: u64) -> Result<bool> {
        let score: Option<f64> = self.conn().zscore(self.keys().muting(me), them).await?;
        Ok(score.is_some())
    }

    /// Whether something `actor` does may notify `recipient`: neither blocks
    /// the other and the recipient does not mute the actor. A notification
    /// refused now is not sent later.
    pub async fn may_notify(&self, recipient: u64, actor: u64) -> Result<bool> {
        let k = self.keys();
        let cmds = vec![
            redis::Cmd::zscore(k.blocking(recipient), actor),
            redis::Cmd::zscore(k.muting(recipient), actor),
            redis::Cmd::zscore(k.blocking(actor), recipient),
        ];
        let found: Vec<Option<f64>> = self.query_many(cmds).await?;
        Ok(found.iter().all(Option::is_none))
    }

    /// What a subscriber of `uid` keeps out (all in `uid`'s slot).
    pub async fn safety_sets(&self, uid: u64) -> Result<SafetySets> {
        let k = self.keys();
        let (blocking, blocked_by, muting): (Vec<u64>, Vec<u64>, Vec<u64>) = redis::pipe()
            .zrange(k.blocking(uid), 0, -1)
            .zrange(k.blocked_by(uid), 0, -1)
            .zrange(k.muting(uid), 0, -1)
            .query_async(&mut self.conn())
            .await?;
        Ok(SafetySets {
            blocking: blocking.into_iter().collect(),
            blocked_by: blocked_by.into_iter().collect(),
            muting: muting.into_iter().collect(),
        })
    }

    /// Logs a block or mute (or its undoing) for every roostd's streams.
    async fn log_safety(&self, kind: &str, who: u64, whom: u64, on: bool, now: i64) -> Result<()> {
        let k = self.keys();
        let _: i64 = LOG_CHANGE
            .key(k.events())
            .key(k.logged_changes())
            .arg(format!("{kind}:{who}:{whom}:{on}:{now}"))
            .arg(now)
            .arg(self.limits.event_log_len)
            .arg("kind")
            .arg(kind)
            .arg("who")
            .arg(who)
            .arg("whom")
            .arg(whom)
            .arg("on")
            .arg(u8::from(on))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }
}
