//! Statuses and timelines: post with fan-out, delete with cleanup, read a page.

use redis::{AsyncCommands, Value};
use roost_shared::time::format_millis;
use roost_shared::{Location, Status, User};

use super::events::status_fields;
use super::jobs::{Cursor, Job, JobKind};
use super::scripts::{
    ALLOCATE_STATUS, DELETE, DELETE_CLAIM, HOME_ADD, PAGE_AFTER, POST, PUBLISH_STATUS,
};
use super::{Entry, Fields, Store, field, int_field, scored_pairs};
use crate::error::{Error, Result};
use crate::failpoint::crash_point;

impl Store {
    /// Posts a status, in steps that a crash between any two of them leaves
    /// finishable (see `finish_abandoned_posts`): an id with a pending mark;
    /// the status with the author's profile, home and `posts` counter in one
    /// step; the first page of followers' homes; then one step that publishes
    /// it (author entry, event, fan-out job for the rest) and ends the mark.
    pub async fn post(
        &self,
        author: &User,
        text: &str,
        location: Option<Location>,
        now: i64,
    ) -> Result<Status> {
        let k = self.keys();
        let sid: u64 = ALLOCATE_STATUS
            .key(k.next_status())
            .key(k.pending_posts())
            .arg(author.id)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await?;
        crash_point("post.allocated");
        let status = Status {
            id: sid,
            uid: author.id,
            login: author.login.clone(),
            text: text.to_owned(),
            posted: format_millis(now),
            location,
        };
        let entry = Entry {
            uid: author.id,
            sid,
        };
        let mut write = POST.prepare_invoke();
        write
            .key(k.status(author.id, sid))
            .key(k.profile(author.id))
            .key(k.home(author.id))
            .key(k.counts(author.id))
            .key(k.followers(author.id))
            .arg(entry.member())
            .arg(self.limits.timeline_cap)
            .arg(self.limits.fanout_batch);
        for (name, value) in status_fields(&status, now) {
            write.arg(name).arg(value);
        }
        let first_page: Value = write.invoke_async(&mut self.conn()).await?;
        crash_point("post.written");
        let page = scored_pairs(&first_page, "post")?;
        self.add_to_homes(entry, &page).await?;
        crash_point("post.first_page");
        let rest = (page.len() as u32 == self.limits.fanout_batch).then(|| Job {
            kind: JobKind::Fanout,
            uid: author.id,
            sid,
            cursor: Cursor::after(&page),
        });
        self.publish(&status, now, rest.as_ref()).await?;
        crash_point("post.published");
        Ok(status)
    }

    /// The step that makes a written status public: see `PUBLISH_STATUS`.
    async fn publish(&self, status: &Status, posted_ms: i64, job: Option<&Job>) -> Result<bool> {
        let k = self.keys();
        let fields = status_fields(status, posted_ms);
        let mut call = PUBLISH_STATUS.prepare_invoke();
        call.key(k.status_author())
            .key(k.events())
            .key(k.jobs())
            .key(k.pending_posts())
            .arg(status.id)
            .arg(status.uid)
            .arg(self.limits.event_log_len)
            .arg(fields.len() * 2);
        for (name, value) in fields {
            call.arg(name).arg(value);
        }
        for (name, value) in job.map(Job::fields).unwrap_or_default() {
            call.arg(name).arg(value);
        }
        let published: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(published == 1)
    }

    /// Finishes posts whose roostd died before publishing them: every pending
    /// mark older than `min_age_ms` is published with a fan-out job over all
    /// the author's followers (their homes may or may not have it yet), or
    /// dropped when the status was never written. Returns how many were published.
    pub async fn finish_abandoned_posts(&self, min_age_ms: i64, now: i64) -> Result<usize> {
        let k = self.keys();
        let mut published = 0;
        loop {
            let pending: Vec<String> = self
                .conn()
                .zrangebyscore_limit(k.pending_posts(), "-inf", now - min_age_ms, 0, 100)
                .await?;
            if pending.is_empty() {
                return Ok(published);
            }
            for mark in pending {
                let parsed = mark.split_once(':').map(|(a, s)| (a.parse(), s.parse()));
                let Some((Ok(author), Ok(sid))) = parsed else {
                    let _: i64 = self.conn().zrem(k.pending_posts(), &mark).await?;
                    continue;
                };
                let fields: Fields = self.conn().hgetall(k.status(author, sid)).await?;
                let Some(status) = status_from(&fields) else {
                    // Never written: nothing was shown anywhere.
                    let _: i64 = self.conn().zrem(k.pending_posts(), &mark).await?;
                    continue;
                };
                let followers: u64 = self.conn().zcard(k.followers(author)).await?;
                let job = (followers > 0).then_some(Job {
                    kind: JobKind::Fanout,
                    uid: author,
                    sid,
                    cursor: Cursor::Start,
                });
                let posted = int_field(&fields, "posted") as i64;
                if self.publish(&status, posted, job.as_ref()).await? {
                    published += 1;
                }
            }
        }
    }

    /// Deletes a status of `caller`: it leaves the author's timelines and every
    /// read at once, and the event log tells the streams; a durable job then
    /// removes it from followers' homes (and finishes the delete itself if
    /// roostd dies half-way).
    pub async fn delete(&self, caller: u64, sid: u64) -> Result<()> {
        let k = self.keys();
        let author: Option<u64> = self.conn().hget(k.status_author(), sid).await?;
        let not_found = || Error::NotFound(format!("no status {sid}"));
        // 0 is the tombstone of a deleted status.
        let author = author.filter(|a| *a > 0).ok_or_else(not_found)?;
        if author != caller {
            return Err(Error::Forbidden(format!(
                "status {sid} is not yours to delete"
            )));
        }
        let fields: Fields = self.conn().hgetall(k.status(author, sid)).await?;
        let status = status_from(&fields).ok_or_else(not_found)?;
        let job = Job {
            kind: JobKind::Delete,
            uid: author,
            sid,
            cursor: Cursor::Start,
        };
        let status_args = status_fields(&status, int_field(&fields, "posted") as i64);
        let mut claim = DELETE_CLAIM.prepare_invoke();
        claim.key(k.status_author()).key(k.events()).key(k.jobs());
        claim
            .arg(sid)
            .arg(self.limits.event_log_len)
            .arg(status_args.len() * 2);
        for (name, value) in status_args {
            claim.arg(name).arg(value);
        }
        for (name, value) in job.fields() {
            claim.arg(name).arg(value);
        }
        let claimed: i64 = claim.invoke_async(&mut self.conn()).await?;
        if claimed == 0 {
            return Err(not_found());
        }
        crash_point("delete.claimed");
        self.delete_own(Entry { uid: author, sid }).await?;
        Ok(())
    }

    /// The atomic part of a delete, in the author's slot; true if the status was there.
    async fn delete_own(&self, entry: Entry) -> Result<bool> {
        let k = self.keys();
        let existed: i64 = DELETE
            .key(k.status(entry.uid, entry.sid))
            .key(k.profile(entry.uid))
            .key(k.home(entry.uid))
            .key(k.counts(entry.uid))
            .arg(entry.member())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(existed == 1)
    }

    /// One deferred pass of a fan-out or delete job over the author's followers;
    /// returns the job's next pass, if the page was full.
    pub(crate) async fn follower_pass(&self, job: &Job) -> Result<Option<Job>> {
        let k = self.keys();
        let entry = Entry {
            uid: job.uid,
            sid: job.sid,
        };
        if job.kind == JobKind::Delete && job.cursor == Cursor::Start {
            self.delete_own(entry).await?;
        }
        if job.kind == JobKind::Fanout {
            let exists: bool = self.conn().exists(k.status(job.uid, job.sid)).await?;
            if !exists {
                return Ok(None);
            }
        }
        let (score, member) = match &job.cursor {
            Cursor::Start => (String::new(), String::new()),
            Cursor::After { score, member } => (score.clone(), member.clone()),
        };
        let reply: Value = PAGE_AFTER
            .key(k.followers(job.uid))
            .arg(score)
            .arg(member)
            .arg(self.limits.fanout_batch)
            .invoke_async(&mut self.conn())
            .await?;
        let page = scored_pairs(&reply, "followers page")?;
        match job.kind {
            JobKind::Fanout => self.add_to_homes(entry, &page).await?,
            JobKind::Delete => self.remove_from_homes(entry, &page).await?,
            JobKind::Refill => return Err(Error::Internal("refill is not a follower pass".into())),
        }
        let full = page.len() as u32 == self.limits.fanout_batch;
        Ok(full.then(|| Job {
            cursor: Cursor::after(&page),
            ..job.clone()
        }))
    }

    /// Adds a status to each follower's home timeline, trimmed to the cap,
    /// where the follower still follows the author: a follower who unfollowed
    /// after this page of followers was read does not get it back.
    async fn add_to_homes(&self, entry: Entry, followers: &[(String, f64)]) -> Result<()> {
        if followers.is_empty() {
            return Ok(());
        }
        let member = entry.member();
        if self.clustered() {
            // One script call per follower, each routed to its slot's node
            // (and loaded there when that node does not have it yet).
            use futures_util::StreamExt;
            let calls = futures_util::stream::iter(ids(followers).collect::<Vec<_>>())
                .map(|fid| {
                    let mut conn = self.conn();
                    let mut call = HOME_ADD.prepare_invoke();
                    call.key(self.keys().home(fid))
                        .key(self.keys().following(fid))
                        .arg(entry.uid)
                        .arg(entry.sid)
                        .arg(&member)
                        .arg(self.limits.timeline_cap);
                    async move { call.invoke_async::<i64>(&mut conn).await }
                })
                .buffered(super::CLUSTER_IN_FLIGHT);
            let results: Vec<redis::RedisResult<i64>> = calls.collect().await;
            for r in results {
                r?;
            }
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for fid in ids(followers) {
            pipe.cmd("EVALSHA")
                .arg(HOME_ADD.get_hash())
                .arg(2)
                .arg(self.keys().home(fid))
                .arg(self.keys().following(fid))
                .arg(entry.uid)
                .arg(entry.sid)
                .arg(&member)
                .arg(self.limits.timeline_cap)
                .ignore();
        }
        match pipe.query_async::<()>(&mut self.conn()).await {
            // Redis lost its script cache (a restart): load the script, write again.
            Err(e) if e.code() == Some("NOSCRIPT") => {
                HOME_ADD.load_async(&mut self.conn()).await?;
                let () = pipe.query_async(&mut self.conn()).await?;
            }
            other => other?,
        }
        Ok(())
    }

    async fn remove_from_homes(&self, entry: Entry, followers: &[(String, f64)]) -> Result<()> {
        if followers.is_empty() {
            return Ok(());
        }
        let member = entry.member();
        let cmds = ids(followers).map(|fid| redis::Cmd::zrem(self.keys().home(fid), &member));
        let _: Vec<i64> = self.query_many(cmds.collect()).await?;
        Ok(())
    }

    /// Sets (when given) and reads a user's home read position, with the number
    /// of home statuses newer than it.
    pub async fn marker(&self, uid: u64, set: Option<u64>) -> Result<roost_shared::Marker> {
        let k = self.keys();
        if let Some(sid) = set {
            let _: i64 = self.conn().hset(k.markers(uid), "home", sid).await?;
        }
        let home: Option<u64> = self.conn().hget(k.markers(uid), "home").await?;
        let after = format!("({}", home.unwrap_or(0));
        let unread: u64 = self.conn().zcount(k.home(uid), after, "+inf").await?;
        Ok(roost_shared::Marker { home, unread })
    }

    /// A page of a user's home timeline, newest first.
    pub async fn home(&self, uid: u64, page: Page) -> Result<Vec<Status>> {
        self.timeline(&self.keys().home(uid), page).await
    }

    /// A page of a user's own statuses, newest first.
    pub async fn profile(&self, uid: u64, page: Page) -> Result<Vec<Status>> {
        self.timeline(&self.keys().profile(uid), page).await
    }

    /// Reads one page of a timeline: the ids, then every status in one round
    /// trip. An id whose status is gone (deleted while its cleanup job runs) is
    /// left out of the answer but keeps its place, so later pages don't shift
    /// (the cleanup job removes it).
    async fn timeline(&self, key: &str, page: Page) -> Result<Vec<Status>> {
        let offset = (page.page as usize - 1) * page.count as usize;
        let max = match page.before {
            Some(before) => format!("({before}"),
            None => "+inf".to_owned(),
        };
        let members: Vec<String> = self
            .conn()
            .zrevrangebyscore_limit(key, max, "-inf", offset as isize, page.count as isize)
            .await?;
        let entries: Vec<Entry> = members.iter().filter_map(|m| Entry::parse(m)).collect();
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let cmds = entries
            .iter()
            .map(|e| redis::Cmd::hgetall(self.keys().status(e.uid, e.sid)));
        let hashes: Vec<Fields> = self.query_many(cmds.collect()).await?;
        Ok(hashes.iter().filter_map(status_from).collect())
    }
}

/// Which part of a timeline to read: page `page` (from 1) of `count`
/// statuses, counted from the newest or from just below status id `before`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: u32,
    pub count: u32,
    pub before: Option<u64>,
}

/// The user ids of a page of a followers set.
fn ids(page: &[(String, f64)]) -> impl Iterator<Item = u64> + '_ {
    page.iter().filter_map(|(member, _)| member.parse().ok())
}

/// A status from its hash (or an event's fields); `None` if empty.
pub(crate) fn status_from(fields: &Fields) -> Option<Status> {
    if fields.is_empty() {
        return None;
    }
    let location = match (field(fields, "lat").parse(), field(fields, "lon").parse()) {
        (Ok(lat), Ok(lon)) => Some(Location { lat, lon }),
        _ => None,
    };
    Some(Status {
        id: int_field(fields, "id"),
        uid: int_field(fields, "uid"),
        login: field(fields, "login").to_owned(),
        text: field(fields, "text").to_owned(),
        posted: format_millis(int_field(fields, "posted") as i64),
        location,
    })
}
