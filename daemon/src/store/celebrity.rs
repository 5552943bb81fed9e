//! Celebrity posts: hybrid fan-out.
//!
//! An account's posts are copied into every follower's home (fan-out on
//! write) until it has `--celebrity-threshold` followers. From then on they
//! are not copied: a follower's home read merges the account's own profile
//! timeline in (fan-out on read), so a post is in every follower's home the
//! moment `post` returns, whatever the number of followers, for one more
//! round trip on the reads of those who follow such accounts. Below half the
//! threshold the account goes back to copies (the gap keeps an account near
//! the line from flapping).
//!
//! The mode lives in the account's `counts` (`fanout`) and moves in steps
//! that keep every home complete at every moment, a status never missing
//! and never shown twice:
//! - copy → promoting: posts are still copied while a job adds the account
//!   to every follower's `merged` set (a follow from now on adds it too);
//! - promoting → merge once the job has been through every follower: posts are
//!   not copied any more (`POST` hands out no followers);
//! - merge → demoting: posts are copied again while a job copies the
//!   account's newest statuses into every follower's home, then takes it out
//!   of their `merged` set;
//! - demoting → copy once done.
//!
//! A home read merges the members of its `merged` set it still follows (a
//! member added by a job racing an unfollow is ignored, so adding one never
//! needs the follow checked atomically across slots), deduplicated: a status
//! both copied and merged shows once, a merged repost only where the repost
//! rule would have let it enter the home.

use std::collections::HashSet;

use redis::AsyncCommands;
use roost_shared::Status;

use super::jobs::{Cursor, Job, JobKind};
use super::scripts::{FANOUT_MODE, HOME_HOLDS, MERGED_LEAVE, QUEUE_ONCE};
use super::statuses::{HOME_ADD_BATCH, Page};
use super::visibility::Place;
use super::{Entry, ScriptCall, Store};
use crate::error::Result;

/// Home writes one `MERGED_LEAVE` call makes at most (statuses copied x
/// followers), so a demotion never holds Redis long in one call.
const LEAVE_WRITES_PER_CALL: usize = 20_000;

/// How an account's posts reach its followers' homes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanoutMode {
    /// Copied into each home.
    Copy,
    /// Copied, while its followers' homes learn to merge it.
    Promoting,
    /// Merged into each home at read time.
    Merge,
    /// Copied again, while its followers' homes get copies of what was merged.
    Demoting,
}

impl FanoutMode {
    pub fn parse(text: &str) -> FanoutMode {
        match text {
            "promoting" => FanoutMode::Promoting,
            "merge" => FanoutMode::Merge,
            "demoting" => FanoutMode::Demoting,
            _ => FanoutMode::Copy,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FanoutMode::Copy => "copy",
            FanoutMode::Promoting => "promoting",
            FanoutMode::Merge => "merge",
            FanoutMode::Demoting => "demoting",
        }
    }

    /// Whether a new follower's home merges the account (it gets copies of
    /// its statuses otherwise).
    pub fn merged_into_new_follows(self) -> bool {
        matches!(self, FanoutMode::Promoting | FanoutMode::Merge)
    }
}

/// The entries of a page of a home timeline, merged, with what the repost
/// rule needs after the statuses are read.
struct HomeEntries {
    entries: Vec<Entry>,
    /// The followed accounts merged in.
    merged: HashSet<u64>,
    /// The entries that come from the home's own set.
    copied: HashSet<Entry>,
}

impl Store {
    /// An account's fan-out mode.
    pub(crate) async fn fanout_mode(&self, uid: u64) -> Result<FanoutMode> {
        let mode: Option<String> = self.conn().hget(self.keys().counts(uid), "fanout").await?;
        Ok(mode.map_or(FanoutMode::Copy, |m| FanoutMode::parse(&m)))
    }

    /// After an account's followers changed (`followers` now, in `mode`):
    /// queues its promotion when a copied account reached the threshold, its
    /// demotion when a merged one fell below half of it. One queued change
    /// per account at a time.
    pub(crate) async fn fanout_mode_after(
        &self,
        uid: u64,
        followers: u64,
        mode: FanoutMode,
    ) -> Result<()> {
        let threshold = self.limits.celebrity_threshold;
        let kind = match mode {
            FanoutMode::Copy if threshold > 0 && followers >= threshold => JobKind::Promote,
            FanoutMode::Merge if threshold == 0 || followers < threshold / 2 => JobKind::Demote,
            _ => return Ok(()),
        };
        let k = self.keys();
        let job = Job {
            kind,
            uid,
            sid: 0,
            cursor: Cursor::Start,
        };
        let mut call = QUEUE_ONCE.prepare_invoke();
        call.key(k.mode_changes()).key(k.jobs()).arg(uid);
        for (name, value) in job.fields() {
            call.arg(name).arg(value);
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Moves `uid`'s mode from `from` to `to`, if it is `from`; the mode after.
    async fn step_mode(&self, uid: u64, from: FanoutMode, to: FanoutMode) -> Result<FanoutMode> {
        let mode: String = FANOUT_MODE
            .key(self.keys().counts(uid))
            .arg(from.as_str())
            .arg(to.as_str())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(FanoutMode::parse(&mode))
    }

    /// One pass of a promotion or demotion over a page of the account's
    /// followers (see the module's steps); the next pass, if the page was full.
    /// Every pass is idempotent; a job that finds the mode moved on by
    /// another ends.
    pub(crate) async fn fanout_mode_pass(&self, job: &Job) -> Result<Option<Job>> {
        use FanoutMode::*;
        let k = self.keys();
        let (from, during, to) = match job.kind {
            JobKind::Promote => (Copy, Promoting, Merge),
            _ => (Merge, Demoting, Copy),
        };
        let mode = match job.cursor {
            // The step first, then the queued mark goes: a follow in between
            // sees the new mode and queues nothing.
            Cursor::Start => {
                let mode = self.step_mode(job.uid, from, during).await?;
                crate::failpoint::crash_point("fanout_mode.started");
                let _: i64 = self.conn().srem(k.mode_changes(), job.uid).await?;
                mode
            }
            Cursor::After { .. } => self.fanout_mode(job.uid).await?,
        };
        if mode != during {
            return Ok(None);
        }
        let page = self.followers_page(job).await?;
        let followers: Vec<u64> = page.iter().filter_map(|(m, _)| m.parse().ok()).collect();
        match job.kind {
            JobKind::Promote => {
                let now = roost_shared::time::now_millis();
                let adds = followers
                    .iter()
                    .map(|&f| redis::Cmd::zadd(k.merged(f), job.uid, now))
                    .collect();
                let _: Vec<i64> = self.query_many(adds).await?;
            }
            _ => self.unmerge(job.uid, &followers).await?,
        }
        crate::failpoint::crash_point("fanout_mode.walked");
        crate::failpoint::pause_point("fanout_mode.pass").await;
        if page.len() as u32 == self.limits.fanout_batch {
            return Ok(Some(Job {
                cursor: Cursor::after(&page),
                ..job.clone()
            }));
        }
        let mode = self.step_mode(job.uid, during, to).await?;
        // Followers may have crossed back while the job ran.
        let count: u64 = self.conn().zcard(k.followers(job.uid)).await?;
        self.fanout_mode_after(job.uid, count, mode).await?;
        Ok(None)
    }

    /// A demotion's pass: `uid`'s newest statuses (read now: anything posted
    /// since the demotion began is copied by its own fan-out too) into each
    /// follower's home, then `uid` out of their merged sets.
    async fn unmerge(&self, uid: u64, followers: &[u64]) -> Result<()> {
        if followers.is_empty() {
            return Ok(());
        }
        let k = self.keys();
        let recent = self.recent_of(uid).await?;
        let mut args = vec![uid.to_string(), self.limits.timeline_cap.to_string()];
        for (member, score, original) in recent.iter() {
            args.extend([member.clone(), score.to_string(), original.clone()]);
        }
        let per_call = if self.clustered() {
            1
        } else {
            (LEAVE_WRITES_PER_CALL / (recent.len() + 1)).clamp(1, HOME_ADD_BATCH)
        };
        let calls = followers
            .chunks(per_call)
            .map(|chunk| ScriptCall {
                keys: chunk
                    .iter()
                    .flat_map(|&f| [k.home(f), k.following(f), k.home_originals(f), k.merged(f)])
                    .collect(),
                args: args.clone(),
            })
            .collect();
        let _: Vec<i64> = self.invoke_many(&MERGED_LEAVE, calls).await?;
        Ok(())
    }

    /// A page of `uid`'s home timeline as `viewer` (the owner, or an
    /// operator acting as them) sees it: the home's own set merged with the
    /// profiles of the accounts it merges.
    pub(crate) async fn home_statuses(
        &self,
        viewer: Option<u64>,
        uid: u64,
        page: Page,
    ) -> Result<Vec<Status>> {
        let home = self.home_entries(uid, page).await?;
        let mut statuses = self.view(viewer, &home.entries, Place::Home).await?;
        if !home.merged.is_empty() {
            self.apply_repost_rule(uid, &home, &mut statuses).await?;
        }
        Ok(statuses.into_iter().flatten().collect())
    }

    /// Which accounts `uid`'s home merges: those of its merged set it follows.
    fn merged_of(&self, uid: u64) -> redis::Cmd {
        let k = self.keys();
        let mut inter = redis::cmd("ZINTER");
        inter.arg(2).arg(k.merged(uid)).arg(k.following(uid));
        inter
    }

    /// The entries of a page of `uid`'s home: one round trip when it merges
    /// nobody, two when it does (each merged profile's top of the page is
    /// read and the lists merged newest first, each status once). Ranked
    /// pages end at the timeline cap; pages before a status id take each
    /// source's newest statuses before it.
    async fn home_entries(&self, uid: u64, page: Page) -> Result<HomeEntries> {
        let k = self.keys();
        let offset = (page.page as usize - 1) * page.count as usize;
        let max = match page.before {
            Some(before) => format!("({before}"),
            None => "+inf".to_owned(),
        };
        let mut first = redis::pipe();
        first
            .zrevrangebyscore_limit(
                k.home(uid),
                &max,
                "-inf",
                offset as isize,
                page.count as isize,
            )
            .add_command(self.merged_of(uid));
        let (own, merged): (Vec<String>, Vec<u64>) = first.query_async(&mut self.conn()).await?;
        let parse = |members: Vec<String>| -> Vec<Entry> {
            members.iter().filter_map(|m| Entry::parse(m)).collect()
        };
        if merged.is_empty() {
            return Ok(HomeEntries {
                entries: parse(own),
                merged: HashSet::new(),
                copied: HashSet::new(),
            });
        }
        let mut end = offset + page.count as usize;
        if page.before.is_none() {
            end = end.min(self.limits.timeline_cap as usize);
        }
        let read_home_again = offset > 0;
        let top = |key: String| {
            let mut cmd = redis::cmd("ZREVRANGEBYSCORE");
            cmd.arg(key)
                .arg(&max)
                .arg("-inf")
                .arg("LIMIT")
                .arg(0)
                .arg(end);
            cmd
        };
        let mut reads = Vec::with_capacity(merged.len() + 1);
        if read_home_again {
            reads.push(top(k.home(uid)));
        }
        reads.extend(merged.iter().map(|&m| top(k.profile(m))));
        let mut lists = self.query_many::<Vec<String>>(reads).await?.into_iter();
        let home = match read_home_again {
            true => parse(lists.next().unwrap_or_default()),
            false => parse(own),
        };
        let copied: HashSet<Entry> = home.iter().copied().collect();
        let mut all: Vec<Entry> = home.into_iter().chain(lists.flat_map(parse)).collect();
        all.sort_unstable_by_key(|e| std::cmp::Reverse(e.sid));
        all.dedup_by_key(|e| e.sid);
        let entries = all
            .into_iter()
            .take(end)
            .skip(offset)
            .collect::<Vec<Entry>>();
        Ok(HomeEntries {
            entries,
            merged: merged.into_iter().collect(),
            copied,
        })
    }

    /// The repost rule (see `HOME_ENTER`) on a merged page: a repost whose
    /// original's author is merged goes (the original shows by itself); a
    /// merged-in repost goes where the home holds its original or a repost
    /// of it, and where an older merged repost of it is on the page.
    async fn apply_repost_rule(
        &self,
        uid: u64,
        home: &HomeEntries,
        statuses: &mut [Option<Status>],
    ) -> Result<()> {
        let k = self.keys();
        let mut ask: Vec<(usize, String)> = Vec::new();
        for (i, (slot, entry)) in statuses.iter_mut().zip(&home.entries).enumerate() {
            let Some(original) = slot.as_ref().and_then(|s| s.repost_of.as_deref()) else {
                continue;
            };
            let original_entry = Entry {
                uid: original.uid,
                sid: original.id,
            };
            if home.merged.contains(&original.uid) {
                *slot = None;
            } else if !home.copied.contains(entry) {
                ask.push((i, original_entry.member()));
            }
        }
        if ask.is_empty() {
            return Ok(());
        }
        let mut call = HOME_HOLDS.prepare_invoke();
        call.key(k.home(uid)).key(k.home_originals(uid));
        for (_, original) in &ask {
            call.arg(original);
        }
        let held: Vec<i64> = call.invoke_async(&mut self.conn()).await?;
        let mut shown = HashSet::new();
        // Oldest first: the first repost of an original to arrive stands.
        for ((i, original), held) in ask.iter().zip(held).rev() {
            if held == 1 || !shown.insert(original.as_str()) {
                statuses[*i] = None;
            }
        }
        Ok(())
    }

    /// How many entries of `uid`'s home are newer than `after` (merged
    /// ones included, each once, at most the timeline cap).
    pub(crate) async fn home_unread(&self, uid: u64, after: Option<u64>) -> Result<u64> {
        let k = self.keys();
        let min = format!("({}", after.unwrap_or(0));
        let mut first = redis::pipe();
        first
            .zcount(k.home(uid), &min, "+inf")
            .add_command(self.merged_of(uid));
        let (count, merged): (u64, Vec<u64>) = first.query_async(&mut self.conn()).await?;
        if merged.is_empty() {
            return Ok(count);
        }
        let cap = self.limits.timeline_cap as usize;
        let newer = |key: String| {
            let mut cmd = redis::cmd("ZREVRANGEBYSCORE");
            cmd.arg(key)
                .arg("+inf")
                .arg(&min)
                .arg("LIMIT")
                .arg(0)
                .arg(cap);
            cmd
        };
        let reads = std::iter::once(k.home(uid))
            .chain(merged.iter().map(|&m| k.profile(m)))
            .map(newer)
            .collect();
        let lists = self.query_many::<Vec<String>>(reads).await?;
        let distinct: HashSet<&String> = lists.iter().flatten().collect();
        Ok(distinct.len().min(cap) as u64)
    }
}
