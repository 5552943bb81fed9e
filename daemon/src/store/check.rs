//! `roostd check`: reads the whole data set and reports every broken invariant
//! by kind; with `repair`, fixes each. It walks accounts by id (1 to
//! `next_user`) and the keys they name, never KEYS or a scan of the keyspace,
//! so it runs the same on one Redis and on a cluster, and on a live daemon
//! (a change in flight can show up once; run it again to be sure).
//!
//! Invariants: every count equals the set it counts (an account's and a
//! status's); a follow is on both sides; every timeline id (home, profile,
//! mentions) and every notification's status names a status that exists; every login and uid
//! map entry names an account (with that login); every published status id
//! names a status; no job is parked; no post is left pending; a block is on
//! both sides (`blocking` and its `blocked_by` mirror); the streams' sets of
//! private and suspended accounts and hidden statuses say what the flags say;
//! an account merged into home reads is in every follower's merged set.

use std::collections::{BTreeMap, HashSet};

use redis::AsyncCommands;

use super::celebrity::FanoutMode;
use super::keys::Entry;
use super::{Fields, Store, decode, int_field};
use crate::error::Result;

/// Accounts read per round trip.
const BATCH: usize = 200;

/// What `check` found, by kind, each with a line per finding (the first 20 kept).
#[derive(Debug, Default)]
pub struct Report {
    pub kinds: BTreeMap<&'static str, Vec<String>>,
    /// Findings per kind, all of them.
    pub counts: BTreeMap<&'static str, usize>,
    /// Accounts read.
    pub accounts: u64,
}

impl Report {
    fn found(&mut self, kind: &'static str, what: String) {
        *self.counts.entry(kind).or_default() += 1;
        let lines = self.kinds.entry(kind).or_default();
        if lines.len() < 20 {
            lines.push(what);
        }
    }

    /// How many findings in all.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} accounts read", self.accounts)?;
        for (kind, n) in &self.counts {
            writeln!(f, "{kind}: {n}")?;
            for line in &self.kinds[kind] {
                writeln!(f, "  {line}")?;
            }
        }
        write!(f, "{} findings", self.total())
    }
}

impl Store {
    /// Checks every invariant; with `repair`, fixes what it finds. Returns what
    /// it found (before repairing).
    pub async fn check(&self, repair: bool) -> Result<Report> {
        let mut report = Report::default();
        let ids = self.accounts().await?;
        report.accounts = ids.len() as u64;
        let accounts: HashSet<u64> = ids.iter().copied().collect();
        for chunk in ids.chunks(BATCH) {
            self.check_follows(chunk, &accounts, repair, &mut report)
                .await?;
            self.check_timelines(chunk, repair, &mut report).await?;
            self.check_notifications(chunk, repair, &mut report).await?;
            self.check_blocks(chunk, repair, &mut report).await?;
            self.check_restrictions(chunk, repair, &mut report).await?;
            self.check_merged(chunk, repair, &mut report).await?;
            // Counts last, so they count what the repairs above left.
            self.check_counts(chunk, repair, &mut report).await?;
            self.check_status_counts(chunk, repair, &mut report).await?;
        }
        self.check_maps(&accounts, repair, &mut report).await?;
        self.check_status_authors(repair, &mut report).await?;
        self.check_queues(repair, &mut report).await?;
        Ok(report)
    }

    /// Every account id that exists, walked by id (1 to `next_user`).
    async fn accounts(&self) -> Result<Vec<u64>> {
        let k = self.keys();
        let last: Option<u64> = self.conn().get(k.next_user()).await?;
        let last = last.unwrap_or(0);
        let mut ids: Vec<u64> = Vec::new();
        for first in (1..=last).step_by(BATCH) {
            let batch: Vec<u64> = (first..=(first + BATCH as u64 - 1).min(last)).collect();
            let exists: Vec<bool> = self
                .query_many(
                    batch
                        .iter()
                        .map(|&id| redis::Cmd::exists(k.user(id)))
                        .collect(),
                )
                .await?;
            ids.extend(
                batch
                    .iter()
                    .zip(exists)
                    .filter(|(_, e)| *e)
                    .map(|(id, _)| *id),
            );
        }
        Ok(ids)
    }

    /// Makes the streams' sets say what the flags say, for every account
    /// and status (the step to layout 3, whose data had no sets).
    pub(super) async fn restore_restrictions(&self) -> Result<()> {
        let mut report = Report::default();
        for chunk in self.accounts().await?.chunks(BATCH) {
            self.check_restrictions(chunk, true, &mut report).await?;
        }
        Ok(())
    }

    /// Each block is in the blocker's `blocking` and the blocked's
    /// `blocked_by` (the mirror streams load); a mirror entry without its
    /// block goes, a block without its mirror gets one.
    async fn check_blocks(&self, ids: &[u64], repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let mut cmds = Vec::new();
        for &id in ids {
            cmds.push(redis::Cmd::zrange_withscores(k.blocking(id), 0, -1));
            cmds.push(redis::Cmd::zrange(k.blocked_by(id), 0, -1));
        }
        let lists: Vec<redis::Value> = self.query_many(cmds).await?;
        let mut pairs = Vec::new();
        for (&id, lists) in ids.iter().zip(lists.chunks(2)) {
            let blocking: Vec<(u64, f64)> = decode(lists[0].clone())?;
            let blocked_by: Vec<u64> = decode(lists[1].clone())?;
            pairs.extend(blocking.into_iter().map(|(b, at)| (id, b, at, true)));
            pairs.extend(blocked_by.into_iter().map(|a| (a, id, 0.0, false)));
        }
        let sides: Vec<Option<f64>> = self
            .query_many(
                pairs
                    .iter()
                    .map(|&(blocker, blocked, _, from_blocker)| {
                        if from_blocker {
                            redis::Cmd::zscore(k.blocked_by(blocked), blocker)
                        } else {
                            redis::Cmd::zscore(k.blocking(blocker), blocked)
                        }
                    })
                    .collect(),
            )
            .await?;
        for (&(blocker, blocked, at, from_blocker), side) in pairs.iter().zip(sides) {
            if side.is_some() {
                continue;
            }
            if from_blocker {
                report.found(
                    "block without its mirror",
                    format!("{blocker} blocks {blocked}, not in {blocked}'s blocked_by"),
                );
                if repair {
                    let _: i64 = self.conn().zadd(k.blocked_by(blocked), blocker, at).await?;
                }
            } else {
                report.found(
                    "mirror without its block",
                    format!("{blocker} in {blocked}'s blocked_by, but no block"),
                );
                if repair {
                    let _: i64 = self.conn().zrem(k.blocked_by(blocked), blocker).await?;
                }
            }
        }
        Ok(())
    }

    /// An account whose posts are merged into home reads instead of copied
    /// (see `store::celebrity`) is in each follower's merged set, or that
    /// follower's home misses its posts.
    async fn check_merged(&self, ids: &[u64], repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let modes: Vec<Option<String>> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::hget(k.counts(id), "fanout"))
                    .collect(),
            )
            .await?;
        let merge = Some(FanoutMode::Merge.as_str());
        for (&id, _) in ids.iter().zip(modes).filter(|(_, m)| m.as_deref() == merge) {
            let followers: Vec<u64> = self.conn().zrange(k.followers(id), 0, -1).await?;
            for chunk in followers.chunks(BATCH) {
                let present: Vec<Option<f64>> = self
                    .query_many(
                        chunk
                            .iter()
                            .map(|&f| redis::Cmd::zscore(k.merged(f), id))
                            .collect(),
                    )
                    .await?;
                for (&follower, _) in chunk.iter().zip(present).filter(|(_, p)| p.is_none()) {
                    report.found(
                        "merged account missing from a follower's merged set",
                        format!("{id}'s posts are merged, not into {follower}'s home"),
                    );
                    if repair {
                        let now = roost_shared::time::now_millis();
                        let _: i64 = self.conn().zadd(k.merged(follower), id, now).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The streams' sets agree with the flags: an account is in
    /// `private_accounts` and `suspended_accounts` exactly when its flags
    /// say so, a status in `hidden_statuses` exactly when its hash does.
    /// Repairs go through the same step as the change (set and event), so
    /// running daemons learn them too.
    async fn check_restrictions(
        &self,
        ids: &[u64],
        repair: bool,
        report: &mut Report,
    ) -> Result<()> {
        use super::events::Restriction;
        let k = self.keys();
        let mut cmds = Vec::new();
        for &id in ids {
            let mut flags = redis::cmd("HMGET");
            flags.arg(k.counts(id)).arg("private").arg("suspended");
            cmds.push(flags);
            cmds.push(redis::Cmd::sismember(k.private_accounts(), id));
            cmds.push(redis::Cmd::sismember(k.suspended_accounts(), id));
            cmds.push(redis::Cmd::zrange(k.profile(id), 0, -1));
        }
        let replies: Vec<redis::Value> = self.query_many(cmds).await?;
        let mut statuses = Vec::new();
        for (&id, r) in ids.iter().zip(replies.chunks(4)) {
            let flags: Vec<Option<String>> = decode(r[0].clone())?;
            let flag = |i: usize| flags.get(i).and_then(|f| f.as_deref()) == Some("1");
            let listed = |i: usize| -> Result<bool> { decode(r[i].clone()) };
            for (name, flagged, listed, change) in [
                (
                    "private",
                    flag(0),
                    listed(1)?,
                    Restriction::Private {
                        account: id,
                        on: flag(0),
                    },
                ),
                (
                    "suspended",
                    flag(1),
                    listed(2)?,
                    Restriction::Suspended {
                        account: id,
                        on: flag(1),
                    },
                ),
            ] {
                if flagged != listed {
                    report.found(
                        "stream set differs from the flag",
                        format!("user {id}: {name} is {flagged}, its set says {listed}"),
                    );
                    if repair {
                        self.restrict(change).await?;
                    }
                }
            }
            let profile: Vec<String> = decode(r[3].clone())?;
            statuses.extend(profile.iter().filter_map(|m| Entry::parse(m)));
        }
        let mut cmds = Vec::new();
        for e in &statuses {
            cmds.push(redis::Cmd::hget(k.status(e.uid, e.sid), "hidden"));
            cmds.push(redis::Cmd::sismember(k.hidden_statuses(), e.sid));
        }
        let replies: Vec<redis::Value> = self.query_many(cmds).await?;
        for (e, r) in statuses.iter().zip(replies.chunks(2)) {
            let hidden: Option<String> = decode(r[0].clone())?;
            let hidden = hidden.as_deref() == Some("1");
            let listed: bool = decode(r[1].clone())?;
            if hidden != listed {
                report.found(
                    "stream set differs from the flag",
                    format!(
                        "status {}: hidden is {hidden}, its set says {listed}",
                        e.sid
                    ),
                );
                if repair {
                    self.restrict(Restriction::Hidden {
                        status: e.sid,
                        on: hidden,
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn check_counts(&self, ids: &[u64], repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let mut cmds = Vec::new();
        for &id in ids {
            cmds.push(redis::Cmd::hgetall(k.counts(id)));
        }
        let counts: Vec<Fields> = self.query_many(cmds).await?;
        let mut cards = Vec::new();
        for &id in ids {
            cards.push(redis::Cmd::zcard(k.followers(id)));
            cards.push(redis::Cmd::zcard(k.following(id)));
            cards.push(redis::Cmd::zcard(k.profile(id)));
        }
        let cards: Vec<u64> = self.query_many(cards).await?;
        for ((&id, fields), real) in ids.iter().zip(&counts).zip(cards.chunks(3)) {
            for (name, real) in ["followers", "following", "posts"].iter().zip(real) {
                let said = int_field(fields, name);
                if said != *real {
                    report.found(
                        "count not equal to its set",
                        format!("user {id}: {name} says {said}, the set holds {real}"),
                    );
                    if repair {
                        let _: i64 = self.conn().hset(k.counts(id), *name, *real).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Each status's `likes`, `replies` and `reposts` equal its likes, live
    /// replies and reposts sets. A round trip for the chunk's profiles, one
    /// for their counts and sets.
    async fn check_status_counts(
        &self,
        ids: &[u64],
        repair: bool,
        report: &mut Report,
    ) -> Result<()> {
        let k = self.keys();
        let profiles: Vec<Vec<String>> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::zrange(k.profile(id), 0, -1))
                    .collect(),
            )
            .await?;
        let entries: Vec<Entry> = profiles
            .iter()
            .flatten()
            .filter_map(|m| Entry::parse(m))
            .collect();
        const COUNTS: [&str; 3] = ["likes", "replies", "reposts"];
        for chunk in entries.chunks(BATCH) {
            let mut cmds = Vec::new();
            for e in chunk {
                let mut hmget = redis::cmd("HMGET");
                hmget.arg(k.status(e.uid, e.sid)).arg(&COUNTS[..]);
                cmds.push(hmget);
                cmds.push(redis::Cmd::zcard(k.likes(e.uid, e.sid)));
                cmds.push(redis::Cmd::zcard(k.replies(e.uid, e.sid)));
                cmds.push(redis::Cmd::zcard(k.reposts(e.uid, e.sid)));
            }
            let replies: Vec<redis::Value> = self.query_many(cmds).await?;
            for (e, reply) in chunk.iter().zip(replies.chunks(4)) {
                let said: Vec<Option<u64>> = decode(reply[0].clone()).unwrap_or_default();
                for (i, name) in COUNTS.iter().enumerate() {
                    let said = said.get(i).copied().flatten().unwrap_or(0);
                    let real: u64 = decode(reply[i + 1].clone()).unwrap_or(0);
                    if said != real {
                        report.found(
                            "count not equal to its set",
                            format!("status {}: {name} says {said}, the set holds {real}", e.sid),
                        );
                        if repair {
                            let _: i64 = self
                                .conn()
                                .hset(k.status(e.uid, e.sid), *name, real)
                                .await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Every notification that names a status names one that exists (a
    /// delete's cascade removes them at once; one still there is a finding).
    async fn check_notifications(
        &self,
        ids: &[u64],
        repair: bool,
        report: &mut Report,
    ) -> Result<()> {
        let k = self.keys();
        let lists: Vec<Vec<String>> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::zrange(k.notifications(id), 0, -1))
                    .collect(),
            )
            .await?;
        let named: Vec<(u64, &String, Entry)> = ids
            .iter()
            .zip(&lists)
            .flat_map(|(&id, members)| {
                members.iter().filter_map(move |m| {
                    let status = m.splitn(3, ':').nth(2).and_then(Entry::parse)?;
                    (status.sid > 0).then_some((id, m, status))
                })
            })
            .collect();
        let exists: Vec<bool> = self
            .query_many(
                named
                    .iter()
                    .map(|(_, _, e)| redis::Cmd::exists(k.status(e.uid, e.sid)))
                    .collect(),
            )
            .await?;
        for ((id, member, _), exists) in named.into_iter().zip(exists) {
            if !exists {
                report.found(
                    "notification of a missing status",
                    format!("user {id}: {member}"),
                );
                if repair {
                    let _: i64 = self.conn().zrem(k.notifications(id), member).await?;
                    let _: i64 = self.conn().hdel(k.notified_at(id), member).await?;
                }
            }
        }
        Ok(())
    }

    /// Both sides of every follow: the followed user's `followers` is the
    /// first step of a follow, so it decides. A round trip per side and chunk.
    async fn check_follows(
        &self,
        ids: &[u64],
        accounts: &HashSet<u64>,
        repair: bool,
        report: &mut Report,
    ) -> Result<()> {
        let k = self.keys();
        let followers: Vec<Vec<(u64, f64)>> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::zrange_withscores(k.followers(id), 0, -1))
                    .collect(),
            )
            .await?;
        // Every (followed, fan, since) of the chunk, the other side read at once.
        let edges: Vec<(u64, u64, f64)> = ids
            .iter()
            .zip(&followers)
            .flat_map(|(&followed, fans)| {
                fans.iter().map(move |&(fan, since)| (followed, fan, since))
            })
            .collect();
        let sides: Vec<Option<f64>> = self
            .query_many(
                edges
                    .iter()
                    .map(|&(followed, fan, _)| redis::Cmd::zscore(k.following(fan), followed))
                    .collect(),
            )
            .await?;
        for (&(followed, fan, since), side) in edges.iter().zip(sides) {
            if !accounts.contains(&fan) {
                report.found(
                    "follow of a missing account",
                    format!("user {followed} is followed by missing {fan}"),
                );
                if repair {
                    let _: i64 = self.conn().zrem(k.followers(followed), fan).await?;
                }
            } else if side.is_none() {
                report.found(
                    "one-sided follow",
                    format!(
                        "{fan} is in {followed}'s followers, not {followed} in {fan}'s following"
                    ),
                );
                if repair {
                    let _: i64 = self.conn().zadd(k.following(fan), followed, since).await?;
                }
            }
        }
        let following: Vec<Vec<u64>> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::zrange(k.following(id), 0, -1))
                    .collect(),
            )
            .await?;
        let edges: Vec<(u64, u64)> = ids
            .iter()
            .zip(&following)
            .flat_map(|(&fan, stars)| stars.iter().map(move |&followed| (fan, followed)))
            .collect();
        let sides: Vec<Option<f64>> = self
            .query_many(
                edges
                    .iter()
                    .map(|&(fan, followed)| redis::Cmd::zscore(k.followers(followed), fan))
                    .collect(),
            )
            .await?;
        for (&(fan, followed), side) in edges.iter().zip(sides) {
            if side.is_none() {
                report.found(
                    "one-sided follow",
                    format!(
                        "{followed} is in {fan}'s following, not {fan} in {followed}'s followers"
                    ),
                );
                if repair {
                    let _: i64 = self.conn().zrem(k.following(fan), followed).await?;
                }
            }
        }
        Ok(())
    }

    /// Every id in a home or profile names a status that exists. (A delete's
    /// cleanup removes them within moments; one still there is a finding.)
    /// A round trip for the chunk's timelines, one for their statuses.
    async fn check_timelines(&self, ids: &[u64], repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let keys: Vec<String> = ids
            .iter()
            .flat_map(|&id| [k.home(id), k.profile(id), k.mentions(id)])
            .collect();
        let timelines: Vec<Vec<String>> = self
            .query_many(
                keys.iter()
                    .map(|key| redis::Cmd::zrange(key, 0, -1))
                    .collect(),
            )
            .await?;
        let members: Vec<(&String, &String, Option<Entry>)> = keys
            .iter()
            .zip(&timelines)
            .flat_map(|(key, members)| members.iter().map(move |m| (key, m, Entry::parse(m))))
            .collect();
        let exists: Vec<bool> = self
            .query_many(
                members
                    .iter()
                    .filter_map(|(_, _, entry)| *entry)
                    .map(|e| redis::Cmd::exists(k.status(e.uid, e.sid)))
                    .collect(),
            )
            .await?;
        let mut exists = exists.into_iter();
        for (key, member, entry) in members {
            let live = entry.is_some() && exists.next() == Some(true);
            if !live {
                report.found(
                    "timeline id of a missing status",
                    format!("{key} holds {member}"),
                );
                if repair {
                    let _: i64 = self.conn().zrem(key, member).await?;
                }
            }
        }
        Ok(())
    }

    /// Login and uid maps name accounts that exist (with that login).
    async fn check_maps(
        &self,
        accounts: &HashSet<u64>,
        repair: bool,
        report: &mut Report,
    ) -> Result<()> {
        let k = self.keys();
        let logins: Vec<(String, u64)> = self.conn().hgetall(k.logins()).await?;
        let names: Vec<Option<String>> = self
            .query_many(
                logins
                    .iter()
                    .map(|(_, id)| redis::Cmd::hget(k.user(*id), "login"))
                    .collect(),
            )
            .await?;
        for ((login, id), name) in logins.iter().zip(names) {
            let matches = name.is_some_and(|n| n.to_lowercase() == *login);
            if !accounts.contains(id) || !matches {
                report.found(
                    "login map entry without its account",
                    format!("{login} -> {id}"),
                );
                if repair {
                    let _: i64 = self.conn().hdel(k.logins(), login).await?;
                }
            }
        }
        let uids: Vec<(String, u64)> = self.conn().hgetall(k.uids()).await?;
        for (uid, id) in uids {
            if !accounts.contains(&id) {
                report.found(
                    "uid map entry without its account",
                    format!("uid {uid} -> {id}"),
                );
                if repair {
                    let _: i64 = self.conn().hdel(k.uids(), uid).await?;
                }
            }
        }
        Ok(())
    }

    /// Every published status id (not a delete's 0 tombstone) names a status.
    async fn check_status_authors(&self, repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let mut cursor: u64 = 0;
        loop {
            let (next, page): (u64, Vec<(u64, u64)>) = redis::cmd("HSCAN")
                .arg(k.status_author())
                .arg(cursor)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut self.conn())
                .await?;
            let live: Vec<(u64, u64)> = page.into_iter().filter(|(_, a)| *a > 0).collect();
            let exists: Vec<bool> = self
                .query_many(
                    live.iter()
                        .map(|(sid, author)| redis::Cmd::exists(k.status(*author, *sid)))
                        .collect(),
                )
                .await?;
            for ((sid, author), exists) in live.iter().zip(exists) {
                if !exists {
                    report.found(
                        "status id without its status",
                        format!("status {sid} of user {author}"),
                    );
                    if repair {
                        let _: i64 = self.conn().hset(k.status_author(), sid, 0).await?;
                    }
                }
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// No job parked, no post left pending (older than a minute).
    async fn check_queues(&self, repair: bool, report: &mut Report) -> Result<()> {
        let k = self.keys();
        let parked = self.parked_jobs().await?;
        if parked > 0 {
            report.found("parked job", format!("{parked} in {}", k.parked()));
            if repair {
                self.requeue_parked().await?;
            }
        }
        let now = roost_shared::time::now_millis();
        let stale: u64 = self
            .conn()
            .zcount(k.pending_posts(), "-inf", now - 60_000)
            .await?;
        if stale > 0 {
            report.found(
                "post left pending",
                format!("{stale} in {}", k.pending_posts()),
            );
            if repair {
                self.finish_abandoned_posts(60_000, now).await?;
            }
        }
        Ok(())
    }
}
