//! The follow graph: follow, unfollow (with a home refill) and the lists.
//!
//! Each side of an edge lives in its own user's slot, so a follow is two atomic
//! steps: the followed user's side first (followers set, counter, and the
//! newest statuses to copy, read in that same step so no post slips between),
//! then the follower's side. A per-edge generation from the first step orders
//! the second, so concurrent follows and unfollows of one pair leave both sides
//! agreeing, and every counter always equals its set.

use std::collections::HashMap;

use redis::{AsyncCommands, Value};
use roost_shared::time::format_millis;
use roost_shared::{FollowEntry, Relationship, User};

use super::celebrity::FanoutMode;
use super::jobs::{Cursor, Job, JobKind};
use super::scripts::{
    FOLLOW_SOURCE, FOLLOW_TARGET, OUTBOX_DONE, PAGE_AFTER, QUEUE_ONCE, REFILL_ADD,
};
use super::{Entry, Store, as_array, as_int, as_string, scored_pairs, unexpected};
use crate::error::{Error, Result};

/// Followed users whose profiles a refill reads per round trip.
const REFILL_USERS_PER_PASS: usize = 50;

#[derive(Clone, Copy)]
enum Change {
    Follow,
    Unfollow,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Follow => "follow",
            Change::Unfollow => "unfollow",
        }
    }
}

impl Change {
    fn parse(text: &str) -> Option<Change> {
        match text {
            "follow" => Some(Change::Follow),
            "unfollow" => Some(Change::Unfollow),
            _ => None,
        }
    }
}

/// A status copied into a home: member, score, and its original's member
/// ('' when it is no repost).
pub(crate) type Copied = (String, f64, String);

fn with_originals(recent: Vec<(String, f64)>, originals: &HashMap<String, String>) -> Vec<Copied> {
    recent
        .into_iter()
        .map(|(member, score)| {
            let original = originals.get(&member).cloned().unwrap_or_default();
            (member, score, original)
        })
        .collect()
}

/// A `[field, value, ...]` reply as a map.
fn field_map(value: &Value, what: &str) -> Result<HashMap<String, String>> {
    as_array(value, what)?
        .chunks(2)
        .map(|pair| match pair {
            [f, v] => Ok((as_string(f, what)?, as_string(v, what)?)),
            _ => Err(unexpected(what, value)),
        })
        .collect()
}

/// The member of the `follow` notification `follower` causes.
fn follow_notification(follower: u64) -> String {
    super::statuses::notification_member(
        roost_shared::NotificationKind::Follow,
        follower,
        Entry { uid: 0, sid: 0 },
    )
}

impl Store {
    /// `follower` follows `followed`: both sets and counters, and the followed
    /// user's newest statuses copied into the follower's home timeline. Returns
    /// the followed user with updated counts.
    pub async fn follow(&self, follower: u64, followed: u64, now: i64) -> Result<User> {
        match self.change(Change::Follow, follower, followed, now).await? {
            Some(generation) => {
                self.finish_change(Change::Follow, follower, followed, generation)
                    .await
            }
            None => Err(Error::Conflict("already following".into())),
        }
    }

    /// `follower` stops following `followed`: both sets and counters, the
    /// followed user's statuses leave the follower's home at once, and a durable
    /// job refills the home from the remaining followed users.
    pub async fn unfollow(&self, follower: u64, followed: u64, now: i64) -> Result<User> {
        match self
            .change(Change::Unfollow, follower, followed, now)
            .await?
        {
            Some(generation) => {
                self.finish_change(Change::Unfollow, follower, followed, generation)
                    .await
            }
            None => Err(Error::NotFound("not following".into())),
        }
    }

    /// After both steps: the refill job of an unfollow, the event in the log,
    /// then the outbox entry that stood for the event goes. Returns the
    /// followed user.
    async fn finish_change(
        &self,
        change: Change,
        follower: u64,
        followed: u64,
        generation: i64,
    ) -> Result<User> {
        if matches!(change, Change::Unfollow) {
            self.queue_refill(follower).await?;
        }
        let mut users = self
            .users(&[follower, followed])
            .await?
            .into_iter()
            .flatten();
        let (Some(follower_user), Some(followed_user)) = (users.next(), users.next()) else {
            return Err(Error::Internal("a user of a follow vanished".into()));
        };
        self.log_follow(
            matches!(change, Change::Follow),
            &follower_user,
            &followed_user,
            generation,
        )
        .await?;
        if matches!(change, Change::Follow)
            && let Some(notification) = self
                .notification(followed, &follow_notification(follower))
                .await?
        {
            self.log_notification(followed, &notification).await?;
        }
        crate::failpoint::crash_point("follow.logged");
        let left: i64 = OUTBOX_DONE
            .key(self.keys().outbox(followed))
            .arg(format!("{follower}:{generation}"))
            .invoke_async(&mut self.conn())
            .await?;
        if left == 0 {
            let _: i64 = self.conn().srem(self.keys().outboxes(), followed).await?;
        }
        Ok(followed_user)
    }

    /// Finishes changes whose roostd died between their steps: every outbox
    /// entry older than `min_age_ms` gets its follower side applied (a newer
    /// change wins), its event logged, and is removed. Returns how many.
    pub async fn finish_abandoned_changes(&self, min_age_ms: i64, now: i64) -> Result<usize> {
        let k = self.keys();
        let owners: Vec<u64> = self.conn().smembers(k.outboxes()).await?;
        let mut finished = 0;
        for followed in owners {
            let entries: std::collections::HashMap<String, String> =
                self.conn().hgetall(k.outbox(followed)).await?;
            for (field, value) in &entries {
                let parsed = field.split_once(':').zip(value.split_once(':'));
                let Some(((follower, generation), (change, at))) = parsed else {
                    continue;
                };
                let (Ok(follower), Ok(generation), Some(change), Ok(at)) = (
                    follower.parse::<u64>(),
                    generation.parse::<i64>(),
                    Change::parse(change),
                    at.parse::<i64>(),
                ) else {
                    continue;
                };
                if now - at < min_age_ms {
                    continue;
                }
                // Copied whatever the mode (the mode may have changed since
                // the first step): a merged account's statuses twice is harmless.
                let copy = match change {
                    Change::Follow => self.recent_of(followed).await?,
                    Change::Unfollow => Vec::new(),
                };
                let mode = self.fanout_mode(followed).await?;
                self.apply_follower_side(change, follower, followed, generation, now, mode, &copy)
                    .await?;
                self.finish_change(change, follower, followed, generation)
                    .await?;
                finished += 1;
            }
            let left: u64 = self.conn().hlen(k.outbox(followed)).await?;
            if left == 0 {
                let _: i64 = self.conn().srem(k.outboxes(), followed).await?;
            }
        }
        Ok(finished)
    }

    /// Both steps of a change; returns the change's generation if it changed
    /// anything. When the followed side is already as asked (a repeated
    /// follow, or a follower side left behind by a crash between the steps),
    /// the follower side is still brought to that side's generation.
    async fn change(
        &self,
        change: Change,
        follower: u64,
        followed: u64,
        now: i64,
    ) -> Result<Option<i64>> {
        let _: i64 = self.conn().sadd(self.keys().outboxes(), followed).await?;
        let reply = self
            .apply_followed_side(change, follower, followed, now)
            .await?;
        let reply = as_array(&reply, change.as_str())?;
        let (applied, generation) = match reply {
            [applied, generation, ..] => (
                as_int(applied, "applied")? == 1,
                as_int(generation, "generation")?,
            ),
            _ => {
                return Err(Error::Internal(format!(
                    "{} answered {reply:?}",
                    change.as_str()
                )));
            }
        };
        // Applied, the step also tells the followers now and the fan-out mode
        // (a follow: and what to copy home).
        let (followers, mode, copy) = match reply {
            [_, _, followers, mode, rest @ ..] => {
                let copy = match rest {
                    [copy, originals] => with_originals(
                        scored_pairs(copy, "profile")?,
                        &field_map(originals, "originals")?,
                    ),
                    _ => Vec::new(),
                };
                let mode = FanoutMode::parse(&as_string(mode, "fanout mode")?);
                (Some(as_int(followers, "followers")?), mode, copy)
            }
            _ => (None, FanoutMode::Copy, Vec::new()),
        };
        if generation > 0 {
            self.apply_follower_side(change, follower, followed, generation, now, mode, &copy)
                .await?;
        }
        if let Some(followers) = followers {
            self.fanout_mode_after(followed, followers.max(0) as u64, mode)
                .await?;
        }
        Ok(applied.then_some(generation))
    }

    async fn apply_followed_side(
        &self,
        change: Change,
        follower: u64,
        followed: u64,
        now: i64,
    ) -> Result<Value> {
        let k = self.keys();
        // A follow from someone the followed blocks or mutes notifies no one;
        // an unfollow takes back whatever there is.
        let notify = match change {
            Change::Follow if !self.may_notify(followed, follower).await? => String::new(),
            _ => follow_notification(follower),
        };
        Ok(FOLLOW_TARGET
            .key(k.followers(followed))
            .key(k.counts(followed))
            .key(k.edge_gen(followed))
            .key(k.profile(followed))
            .key(k.outbox(followed))
            .key(k.notifications(followed))
            .key(k.notified_at(followed))
            .key(k.repost_originals(followed))
            .arg(follower)
            .arg(now)
            .arg(self.limits.timeline_cap)
            .arg(change.as_str())
            .arg(notify)
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// The follower's side of a change; `mode` is the followed account's
    /// fan-out mode (see `store::celebrity`), read with its side.
    #[allow(clippy::too_many_arguments)]
    async fn apply_follower_side(
        &self,
        change: Change,
        follower: u64,
        followed: u64,
        generation: i64,
        now: i64,
        mode: FanoutMode,
        copy: &[Copied],
    ) -> Result<()> {
        let k = self.keys();
        let mut call = FOLLOW_SOURCE.prepare_invoke();
        call.key(k.following(follower))
            .key(k.counts(follower))
            .key(k.seen_gen(follower))
            .key(k.home(follower))
            .key(k.home_originals(follower))
            .key(k.merged(follower))
            .arg(followed)
            .arg(generation)
            .arg(now)
            .arg(self.limits.timeline_cap)
            .arg(change.as_str())
            .arg(Entry::author_prefix(followed))
            .arg(if mode.merged_into_new_follows() {
                "1"
            } else {
                ""
            });
        for (member, score, original) in copy {
            call.arg(member).arg(*score).arg(original);
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// A user's newest statuses (as many as a home holds), each with its
    /// original if it is a repost: what a follow or a refill copies home.
    pub(crate) async fn recent_of(&self, uid: u64) -> Result<Vec<Copied>> {
        let k = self.keys();
        let cap = self.limits.timeline_cap as isize;
        let (recent, originals): (Vec<(String, f64)>, HashMap<String, String>) = redis::pipe()
            .zrevrange_withscores(k.profile(uid), 0, cap - 1)
            .hgetall(k.repost_originals(uid))
            .query_async(&mut self.conn())
            .await?;
        Ok(with_originals(recent, &originals))
    }

    /// How `me` and `them` are connected, as `me` sees it.
    pub async fn relationship(&self, me: u64, them: u64) -> Result<Relationship> {
        let k = self.keys();
        // Every set lives in `me`'s slot: one pipeline on a cluster too.
        let (following, followed_by, blocking, muting): (
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
        ) = redis::pipe()
            .zscore(k.following(me), them)
            .zscore(k.followers(me), them)
            .zscore(k.blocking(me), them)
            .zscore(k.muting(me), them)
            .query_async(&mut self.conn())
            .await?;
        Ok(Relationship {
            following: following.is_some(),
            followed_by: followed_by.is_some(),
            requested: self.requested(me, them).await?,
            blocking: blocking.is_some(),
            muting: muting.is_some(),
        })
    }

    /// Everyone a user follows, for a home stream.
    pub async fn following_ids(&self, uid: u64) -> Result<std::collections::HashSet<u64>> {
        let ids: Vec<u64> = self
            .conn()
            .zrange(self.keys().following(uid), 0, -1)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// A page of a user's followers, newest first.
    pub async fn followers(&self, uid: u64, page: u32, count: u32) -> Result<Vec<FollowEntry>> {
        self.user_list(&self.keys().followers(uid), page, count)
            .await
    }

    /// A page of the users a user follows, newest first.
    pub async fn following(&self, uid: u64, page: u32, count: u32) -> Result<Vec<FollowEntry>> {
        self.user_list(&self.keys().following(uid), page, count)
            .await
    }

    /// A page of a sorted set of user ids scored by time (followers,
    /// following, likers), newest first, with each user.
    pub(crate) async fn user_list(
        &self,
        key: &str,
        page: u32,
        count: u32,
    ) -> Result<Vec<FollowEntry>> {
        let start = (i64::from(page) - 1) * i64::from(count);
        let stop = start + i64::from(count) - 1;
        let page: Vec<(u64, f64)> = self
            .conn()
            .zrevrange_withscores(key, start as isize, stop as isize)
            .await?;
        let ids: Vec<u64> = page.iter().map(|(id, _)| *id).collect();
        let users = self.users(&ids).await?;
        Ok(page
            .iter()
            .zip(users)
            .filter_map(|((_, since), user)| {
                Some(FollowEntry {
                    user: user?,
                    since: format_millis(*since as i64),
                })
            })
            .collect())
    }

    /// Queues a refill of `uid`'s home, unless one is waiting already.
    async fn queue_refill(&self, uid: u64) -> Result<()> {
        let k = self.keys();
        let job = Job {
            kind: JobKind::Refill,
            uid,
            sid: 0,
            cursor: Cursor::Start,
        };
        let mut call = QUEUE_ONCE.prepare_invoke();
        call.key(k.refills()).key(k.jobs()).arg(uid);
        for (name, value) in job.fields() {
            call.arg(name).arg(value);
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// One pass of a home refill after an unfollow: the newest statuses of the
    /// user (first pass) and of the next `REFILL_USERS_PER_PASS` users they
    /// follow, merged in one step that checks each follow, so an unfollow
    /// landing meanwhile stays undone. A long following list takes several
    /// passes, each queued behind everyone else's jobs. Returns the next pass.
    pub(crate) async fn refill_pass(&self, job: &Job) -> Result<Option<Job>> {
        let k = self.keys();
        let uid = job.uid;
        let (score, member) = match &job.cursor {
            Cursor::Start => {
                // From here on, another unfollow queues another refill.
                let _: i64 = self.conn().srem(k.refills(), uid).await?;
                (String::new(), String::new())
            }
            Cursor::After { score, member } => (score.clone(), member.clone()),
        };
        let reply: Value = PAGE_AFTER
            .key(k.following(uid))
            .arg(score)
            .arg(member)
            .arg(REFILL_USERS_PER_PASS)
            .invoke_async(&mut self.conn())
            .await?;
        let page = scored_pairs(&reply, "following page")?;
        let mut sources: Vec<u64> = page.iter().filter_map(|(m, _)| m.parse().ok()).collect();
        if job.cursor == Cursor::Start {
            sources.push(uid);
        }
        crate::failpoint::pause_point("refill.sources").await;
        let cap = self.limits.timeline_cap as isize;
        let reads = sources
            .iter()
            .map(|&source| redis::Cmd::zrevrange_withscores(k.profile(source), 0, cap - 1));
        let profiles: Vec<Vec<(String, f64)>> = self.query_many(reads.collect()).await?;
        let reads = sources
            .iter()
            .map(|&source| redis::Cmd::hgetall(k.repost_originals(source)));
        let originals: Vec<HashMap<String, String>> = self.query_many(reads.collect()).await?;
        let mut call = REFILL_ADD.prepare_invoke();
        call.key(k.home(uid))
            .key(k.following(uid))
            .key(k.home_originals(uid))
            .key(k.merged(uid))
            .arg(cap)
            .arg(uid);
        for ((source, profile), originals) in sources.iter().zip(profiles).zip(&originals) {
            for (member, score, original) in with_originals(profile, originals) {
                call.arg(source).arg(member).arg(score).arg(original);
            }
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        let full = page.len() == REFILL_USERS_PER_PASS;
        Ok(full.then(|| Job {
            cursor: Cursor::after(&page),
            ..job.clone()
        }))
    }
}
