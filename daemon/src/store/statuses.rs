//! Statuses and timelines: post with fan-out (and a reply's, mentions' and
//! tags' links), delete with cleanup (and the cascade through threads,
//! mentions, tags, likes and notifications), read a page as a viewer sees it.

use redis::{AsyncCommands, Value};
use std::collections::HashSet;

use roost_shared::time::format_millis;
use roost_shared::{Location, Notification, NotificationKind, Status, User};

use super::celebrity::FanoutMode;
use super::jobs::{Cursor, Job, JobKind};
use super::scripts::{
    ALLOCATE_STATUS, DELETE, DELETE_CLAIM, HOME_ADD, LINK_REPLY, MENTION, PAGE_AFTER, POST,
    PUBLISH_STATUS, REPOST_CLAIM, REPOST_UNCLAIM, UNLINK_REPLY, UNMENTION,
};
use super::visibility::{Author, Place, Viewer, visible};
use super::{
    Entry, Fields, ScriptCall, Store, as_array, as_int, field, int_field, scored_pairs, unexpected,
};
use crate::error::{Error, Result};
use crate::failpoint::crash_point;

impl Store {
    /// Posts a status, in steps that a crash between any two of them leaves
    /// finishable (see `finish_abandoned_posts`): an id with a pending mark;
    /// the status with the author's profile, home and `posts` counter in one
    /// step; the first page of followers' homes; then one step that publishes
    /// it (author entry, event, fan-out job for the rest) and ends the mark.
    pub async fn post(&self, author: &User, draft: Draft<'_>, now: i64) -> Result<Status> {
        let k = self.keys();
        let original = draft.repost_of.map(|o| Entry {
            uid: o.uid,
            sid: o.id,
        });
        let sid: u64 = ALLOCATE_STATUS
            .key(k.next_status())
            .key(k.pending_posts())
            .key(k.pending_reposts())
            .arg(author.id)
            .arg(now)
            .arg(original.map(Entry::member).unwrap_or_default())
            .invoke_async(&mut self.conn())
            .await?;
        crash_point("post.allocated");
        let record = Record {
            status: Status {
                id: sid,
                uid: author.id,
                login: author.login.clone(),
                text: draft.text.to_owned(),
                posted: format_millis(now),
                location: draft.location,
                reply_to: draft.reply_to.map(|p| p.id),
                reply_to_login: draft.reply_to.map(|p| p.login.clone()),
                mentions: draft.mentions.iter().map(|u| u.login.clone()).collect(),
                tags: draft.tags,
                private: author.private,
                ..Status::default()
            },
            posted_ms: now,
            reply_uid: draft.reply_to.map(|p| p.uid),
            mention_ids: draft.mentions.iter().map(|u| u.id).collect(),
            original,
        };
        let mut record = record;
        if let Some(o) = draft.repost_of {
            // A repost shows its original's words; only the original links them.
            record.status.text = o.text.clone();
            record.status.mentions = o.mentions.clone();
            record.status.tags = o.tags.clone();
            record.mention_ids.clear();
            record.status.repost_of = Some(Box::new(o.clone()));
            if let Err(refused) = self.claim_repost(&record).await {
                self.drop_pending(&record).await?;
                return Err(refused);
            }
            crash_point("repost.claimed");
        }
        let entry = record.entry();
        let parent = match draft.reply_to {
            Some(p) => Entry {
                uid: p.uid,
                sid: p.id,
            }
            .member(),
            None => String::new(),
        };
        let mut write = POST.prepare_invoke();
        write
            .key(k.status(author.id, sid))
            .key(k.profile(author.id))
            .key(k.home(author.id))
            .key(k.counts(author.id))
            .key(k.followers(author.id))
            .key(k.parents(author.id))
            .key(k.home_originals(author.id))
            .key(k.repost_originals(author.id))
            .arg(entry.member())
            .arg(self.limits.timeline_cap)
            .arg(self.limits.fanout_batch)
            .arg(parent)
            .arg(original.map(Entry::member).unwrap_or_default());
        for (name, value) in record.fields() {
            write.arg(name).arg(value);
        }
        let first_page: Value = write.invoke_async(&mut self.conn()).await?;
        crash_point("post.written");
        let page = scored_pairs(&first_page, "post")?;
        self.add_to_homes(entry, original, &page).await?;
        crash_point("post.first_page");
        let notifications = self.link(&record, author).await?;
        crash_point("post.linked");
        let rest = (page.len() as u32 == self.limits.fanout_batch).then(|| Job {
            kind: JobKind::Fanout,
            uid: author.id,
            sid,
            cursor: Cursor::after(&page),
        });
        self.publish(&record, rest.as_ref(), &notifications).await?;
        crash_point("post.published");
        Ok(record.status)
    }

    /// Links a written status where others find it: its parent's replies (with
    /// the `reply` notification), the mentioned accounts' mentions timelines
    /// (with `mention` notifications) and its tags' timelines. Each step is
    /// idempotent, so finishing an abandoned post does them again safely.
    /// Returns the notifications to log with the status.
    async fn link(&self, record: &Record, author: &User) -> Result<Vec<(u64, Notification)>> {
        let k = self.keys();
        let status = &record.status;
        let member = record.entry().member();
        let notification = |kind: NotificationKind, id: i64| Notification {
            id: id as u64,
            kind,
            from: author.clone(),
            status: Some(status.clone()),
            at: status.posted.clone(),
        };
        let mut out = Vec::new();
        if let Some(original) = record.original {
            let nid = self.claim_repost(record).await?;
            if nid > 0 {
                out.push((original.uid, notification(NotificationKind::Repost, nid)));
            }
        }
        if let Some(parent) = record.parent() {
            let notify = parent.uid != status.uid
                && self.may_notify(parent.uid, status.uid).await?
                && self.can_read(parent.uid, status.uid).await?;
            let nid: i64 = LINK_REPLY
                .key(k.status(parent.uid, parent.sid))
                .key(k.replies(parent.uid, parent.sid))
                .key(k.children(parent.uid, parent.sid))
                .key(k.notifications(parent.uid))
                .key(k.notified_at(parent.uid))
                .key(k.counts(parent.uid))
                .arg(&member)
                .arg(status.id)
                .arg(if notify {
                    notification_member(NotificationKind::Reply, status.uid, record.entry())
                } else {
                    String::new()
                })
                .arg(record.posted_ms)
                .invoke_async(&mut self.conn())
                .await?;
            if nid > 0 {
                out.push((parent.uid, notification(NotificationKind::Reply, nid)));
            }
        }
        for &mentioned in &record.mention_ids {
            let notify = mentioned != status.uid
                && Some(mentioned) != record.reply_uid
                && self.may_notify(mentioned, status.uid).await?
                && self.can_read(mentioned, status.uid).await?;
            let nid: i64 = MENTION
                .key(k.mentions(mentioned))
                .key(k.notifications(mentioned))
                .key(k.notified_at(mentioned))
                .key(k.counts(mentioned))
                .arg(&member)
                .arg(status.id)
                .arg(if notify {
                    notification_member(NotificationKind::Mention, status.uid, record.entry())
                } else {
                    String::new()
                })
                .arg(record.posted_ms)
                .invoke_async(&mut self.conn())
                .await?;
            if nid > 0 {
                out.push((mentioned, notification(NotificationKind::Mention, nid)));
            }
        }
        for tag in record.linked_tags() {
            let _: i64 = self.conn().zadd(k.tag(tag), &member, status.id).await?;
        }
        Ok(out)
    }

    /// Claims a repost in its original's slot (see `REPOST_CLAIM`); returns
    /// the notification id (0 for none). `conflict` when the reposter has
    /// another repost of it, `not_found` when the original is gone.
    async fn claim_repost(&self, record: &Record) -> Result<i64> {
        let k = self.keys();
        let Some(original) = record.original else {
            return Ok(0);
        };
        let status = &record.status;
        let notify =
            if original.uid == status.uid || !self.may_notify(original.uid, status.uid).await? {
                String::new()
            } else {
                notification_member(NotificationKind::Repost, status.uid, record.entry())
            };
        let reply: Value = REPOST_CLAIM
            .key(k.status(original.uid, original.sid))
            .key(k.reposts(original.uid, original.sid))
            .key(k.notifications(original.uid))
            .key(k.notified_at(original.uid))
            .key(k.counts(original.uid))
            .arg(status.uid)
            .arg(status.id)
            .arg(notify)
            .arg(record.posted_ms)
            .invoke_async(&mut self.conn())
            .await?;
        match as_array(&reply, "repost")? {
            [code, nid] => match as_int(code, "repost")? {
                1 => as_int(nid, "repost"),
                0 => Err(Error::Conflict(format!(
                    "you reposted status {} already",
                    original.sid
                ))),
                _ => Err(Error::NotFound(format!("no status {}", original.sid))),
            },
            _ => Err(unexpected("repost", &reply)),
        }
    }

    /// Takes back a claim of a repost that is deleted or was never written.
    async fn unclaim_repost(&self, reposter: u64, repost: u64, original: Entry) -> Result<()> {
        let k = self.keys();
        let repost_entry = Entry {
            uid: reposter,
            sid: repost,
        };
        let _: i64 = REPOST_UNCLAIM
            .key(k.status(original.uid, original.sid))
            .key(k.reposts(original.uid, original.sid))
            .key(k.notifications(original.uid))
            .key(k.notified_at(original.uid))
            .arg(reposter)
            .arg(repost)
            .arg(notification_member(
                NotificationKind::Repost,
                reposter,
                repost_entry,
            ))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Ends the pending marks of a post that will not be written.
    async fn drop_pending(&self, record: &Record) -> Result<()> {
        let k = self.keys();
        let mark = record.entry().member();
        let _: i64 = self.conn().zrem(k.pending_posts(), mark).await?;
        let _: i64 = self
            .conn()
            .hdel(k.pending_reposts(), record.status.id)
            .await?;
        Ok(())
    }

    /// The caller's repost of `original`, if any: its id.
    pub async fn repost_of_by(&self, original: Entry, reposter: u64) -> Result<Option<u64>> {
        let k = self.keys();
        let sid: Option<f64> = self
            .conn()
            .zscore(k.reposts(original.uid, original.sid), reposter)
            .await?;
        Ok(sid.map(|s| s as u64))
    }

    /// Undoes [`Store::link`] for a status being deleted.
    async fn unlink(&self, record: &Record) -> Result<()> {
        let k = self.keys();
        let status = &record.status;
        let member = record.entry().member();
        if let Some(original) = record.original {
            self.unclaim_repost(status.uid, status.id, original).await?;
        }
        if let Some(parent) = record.parent() {
            let _: i64 = UNLINK_REPLY
                .key(k.status(parent.uid, parent.sid))
                .key(k.replies(parent.uid, parent.sid))
                .key(k.notifications(parent.uid))
                .key(k.notified_at(parent.uid))
                .arg(&member)
                .arg(notification_member(
                    NotificationKind::Reply,
                    status.uid,
                    record.entry(),
                ))
                .invoke_async(&mut self.conn())
                .await?;
        }
        for &mentioned in &record.mention_ids {
            let _: i64 = UNMENTION
                .key(k.mentions(mentioned))
                .key(k.notifications(mentioned))
                .key(k.notified_at(mentioned))
                .arg(&member)
                .arg(notification_member(
                    NotificationKind::Mention,
                    status.uid,
                    record.entry(),
                ))
                .invoke_async(&mut self.conn())
                .await?;
        }
        for tag in record.linked_tags() {
            let _: i64 = self.conn().zrem(k.tag(tag), &member).await?;
        }
        Ok(())
    }

    /// The step that makes a written status public: see `PUBLISH_STATUS`.
    async fn publish(
        &self,
        record: &Record,
        job: Option<&Job>,
        notifications: &[(u64, Notification)],
    ) -> Result<bool> {
        let k = self.keys();
        let status = &record.status;
        let mut fields = record.fields();
        if let Some(original) = &status.repost_of {
            let json =
                serde_json::to_string(original).map_err(|e| Error::Internal(e.to_string()))?;
            fields.push(("original", json));
        }
        let job = job.map(Job::fields).unwrap_or_default();
        let mut call = PUBLISH_STATUS.prepare_invoke();
        call.key(k.status_author())
            .key(k.events())
            .key(k.jobs())
            .key(k.pending_posts())
            .key(k.trend(minute_of(record.posted_ms)))
            .key(k.pending_reposts())
            .arg(status.id)
            .arg(status.uid)
            .arg(self.limits.event_log_len)
            .arg(fields.len() * 2)
            .arg(job.len() * 2)
            .arg(record.trending_tags().len())
            .arg(notifications.len());
        for (name, value) in fields.into_iter().chain(job) {
            call.arg(name).arg(value);
        }
        for tag in record.trending_tags() {
            call.arg(tag);
        }
        for (to, notification) in notifications {
            let json =
                serde_json::to_string(notification).map_err(|e| Error::Internal(e.to_string()))?;
            call.arg(to).arg(json);
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
                let (Some(mut record), Some(Some(user))) = (
                    record_from(&fields),
                    self.users(&[author]).await?.into_iter().next(),
                ) else {
                    // Never written: nothing was shown anywhere, but a repost
                    // may have been claimed.
                    let original: Option<String> =
                        self.conn().hget(k.pending_reposts(), sid).await?;
                    if let Some(original) = original.as_deref().and_then(Entry::parse) {
                        self.unclaim_repost(author, sid, original).await?;
                    }
                    let _: i64 = self.conn().hdel(k.pending_reposts(), sid).await?;
                    let _: i64 = self.conn().zrem(k.pending_posts(), &mark).await?;
                    continue;
                };
                if let Some(original) = record.original {
                    record.status.repost_of = self
                        .view(None, &[original], Place::Elsewhere)
                        .await?
                        .pop()
                        .flatten()
                        .map(Box::new);
                }
                let followers: u64 = self.conn().zcard(k.followers(author)).await?;
                let merged = self.fanout_mode(author).await? == FanoutMode::Merge;
                let job = (followers > 0 && !merged).then_some(Job {
                    kind: JobKind::Fanout,
                    uid: author,
                    sid,
                    cursor: Cursor::Start,
                });
                let notifications = self.link(&record, &user).await?;
                if self.publish(&record, job.as_ref(), &notifications).await? {
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
        let record = record_from(&fields).ok_or_else(not_found)?;
        let job = Job {
            kind: JobKind::Delete,
            uid: author,
            sid,
            cursor: Cursor::Start,
        }
        .fields();
        let status_args = record.fields();
        let tags = record.trending_tags();
        let mut claim = DELETE_CLAIM.prepare_invoke();
        claim
            .key(k.status_author())
            .key(k.events())
            .key(k.jobs())
            .key(k.trend(minute_of(record.posted_ms)))
            .key(k.trend_out(minute_of(record.posted_ms)));
        claim
            .arg(sid)
            .arg(self.limits.event_log_len)
            .arg(status_args.len() * 2)
            .arg(job.len() * 2)
            .arg(tags.len());
        for (name, value) in status_args.into_iter().chain(job) {
            claim.arg(name).arg(value);
        }
        for tag in tags {
            claim.arg(tag);
        }
        let claimed: i64 = claim.invoke_async(&mut self.conn()).await?;
        if claimed == 0 {
            return Err(not_found());
        }
        crash_point("delete.claimed");
        self.delete_own(Entry { uid: author, sid }).await?;
        Ok(())
    }

    /// The author's part of a delete: first the cascade to the parent,
    /// mentioned accounts and tags (read from the status, so it runs before
    /// the status goes), then one atomic step in the author's slot. Safe to
    /// run again after a crash at any point. True if the status was there.
    async fn delete_own(&self, entry: Entry) -> Result<bool> {
        let k = self.keys();
        let fields: Fields = self.conn().hgetall(k.status(entry.uid, entry.sid)).await?;
        if let Some(record) = record_from(&fields) {
            self.unlink(&record).await?;
        }
        crash_point("delete.unlinked");
        let existed: i64 = DELETE
            .key(k.status(entry.uid, entry.sid))
            .key(k.profile(entry.uid))
            .key(k.home(entry.uid))
            .key(k.counts(entry.uid))
            .key(k.likes(entry.uid, entry.sid))
            .key(k.notifications(entry.uid))
            .key(k.notified_at(entry.uid))
            .key(k.repost_originals(entry.uid))
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
            self.delete_reposts(entry).await?;
        }
        let mut original = None;
        if job.kind == JobKind::Fanout {
            let fields: Fields = self.conn().hgetall(k.status(job.uid, job.sid)).await?;
            let Some(record) = record_from(&fields) else {
                return Ok(None);
            };
            original = record.original;
        }
        let page = self.followers_page(job).await?;
        match job.kind {
            JobKind::Fanout => self.add_to_homes(entry, original, &page).await?,
            JobKind::Delete => self.remove_from_homes(entry, &page).await?,
            JobKind::Refill | JobKind::Promote | JobKind::Demote => {
                return Err(Error::Internal(format!(
                    "{:?} is not a follower pass",
                    job.kind
                )));
            }
        }
        let full = page.len() as u32 == self.limits.fanout_batch;
        Ok(full.then(|| Job {
            cursor: Cursor::after(&page),
            ..job.clone()
        }))
    }

    /// The page of a job's author's followers after the job's cursor (a
    /// fan-out batch of them), oldest follow first.
    pub(crate) async fn followers_page(&self, job: &Job) -> Result<Vec<(String, f64)>> {
        let (score, member) = match &job.cursor {
            Cursor::Start => (String::new(), String::new()),
            Cursor::After { score, member } => (score.clone(), member.clone()),
        };
        let reply: Value = PAGE_AFTER
            .key(self.keys().followers(job.uid))
            .arg(score)
            .arg(member)
            .arg(self.limits.fanout_batch)
            .invoke_async(&mut self.conn())
            .await?;
        scored_pairs(&reply, "followers page")
    }

    /// Deletes every repost of a deleted status (its cleanup job's first
    /// pass; a repost deleted already is passed over), then its reposts set.
    async fn delete_reposts(&self, original: Entry) -> Result<()> {
        let k = self.keys();
        let key = k.reposts(original.uid, original.sid);
        let reposts: Vec<(u64, f64)> = self.conn().zrange_withscores(&key, 0, -1).await?;
        for (reposter, repost) in reposts {
            match self.delete(reposter, repost as u64).await {
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let _: i64 = self.conn().del(&key).await?;
        Ok(())
    }

    /// Adds a status to each follower's home timeline, trimmed to the cap,
    /// where the follower still follows the author: a follower who unfollowed
    /// after this page of followers was read does not get it back. A repost
    /// (`original` given) enters only homes holding neither its original nor
    /// another repost of it.
    async fn add_to_homes(
        &self,
        entry: Entry,
        original: Option<Entry>,
        followers: &[(String, f64)],
    ) -> Result<()> {
        if followers.is_empty() {
            return Ok(());
        }
        let k = self.keys();
        let args = [
            entry.uid.to_string(),
            entry.sid.to_string(),
            entry.member(),
            self.limits.timeline_cap.to_string(),
            original.map(Entry::member).unwrap_or_default(),
        ];
        // A follower per call on a cluster (their keys share a slot), a
        // batch per call on one Redis.
        let per_call = if self.clustered() { 1 } else { HOME_ADD_BATCH };
        let followers: Vec<u64> = ids(followers).collect();
        let calls = followers
            .chunks(per_call)
            .map(|chunk| ScriptCall {
                keys: chunk
                    .iter()
                    .flat_map(|&fid| [k.home(fid), k.following(fid), k.home_originals(fid)])
                    .collect(),
                args: args.to_vec(),
            })
            .collect();
        let _: Vec<i64> = self.invoke_many(&HOME_ADD, calls).await?;
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

    /// Sets (when given) and reads a user's read positions in the home
    /// timeline and the notifications, with the number of entries newer than each.
    pub async fn marker(
        &self,
        uid: u64,
        home: Option<u64>,
        notifications: Option<u64>,
    ) -> Result<roost_shared::Marker> {
        let k = self.keys();
        for (name, value) in [("home", home), ("notifications", notifications)] {
            if let Some(value) = value {
                let _: i64 = self.conn().hset(k.markers(uid), name, value).await?;
            }
        }
        let (home, notifications): (Option<u64>, Option<u64>) = redis::cmd("HMGET")
            .arg(k.markers(uid))
            .arg("home")
            .arg("notifications")
            .query_async(&mut self.conn())
            .await?;
        let after = |marker: Option<u64>| format!("({}", marker.unwrap_or(0));
        let unread = self.home_unread(uid, home).await?;
        let notifications_unread: u64 = self
            .conn()
            .zcount(k.notifications(uid), after(notifications), "+inf")
            .await?;
        Ok(roost_shared::Marker {
            home,
            unread,
            notifications,
            notifications_unread,
        })
    }

    /// The status with id `sid` as `viewer` sees it (with counts and the
    /// viewer's own flags); `None` when it is gone or not visible to them.
    pub async fn status(&self, viewer: Option<u64>, sid: u64) -> Result<Option<Status>> {
        let Some(author) = self.author_of(sid).await? else {
            return Ok(None);
        };
        Ok(self
            .view(viewer, &[Entry { uid: author, sid }], Place::Elsewhere)
            .await?
            .pop()
            .flatten())
    }

    /// Waits up to `timeout_ms` until `replicas` replicas have every write
    /// sent so far on this store's connections (on a cluster, every master's:
    /// the fewest of them is told). How many replicas have them.
    pub async fn wait_for_replicas(&self, replicas: u32, timeout_ms: u64) -> Result<u64> {
        let acked: i64 = redis::cmd("WAIT")
            .arg(replicas)
            .arg(timeout_ms)
            .query_async(&mut self.conn())
            .await?;
        Ok(acked.max(0) as u64)
    }

    /// A page of `uid`'s own statuses as stored, newest first, from
    /// position `start`; with where the next page starts, if there is one.
    pub(crate) async fn records_page(
        &self,
        uid: u64,
        start: isize,
    ) -> Result<(Vec<Record>, Option<isize>)> {
        const PAGE: isize = 200;
        let k = self.keys();
        let members: Vec<String> = self
            .conn()
            .zrevrange(k.profile(uid), start, start + PAGE - 1)
            .await?;
        let cmds = members
            .iter()
            .filter_map(|m| Entry::parse(m))
            .map(|e| redis::Cmd::hgetall(k.status(e.uid, e.sid)))
            .collect();
        let hashes: Vec<Fields> = self.query_many(cmds).await?;
        let next = (members.len() as isize == PAGE).then_some(start + PAGE);
        Ok((hashes.iter().filter_map(record_from).collect(), next))
    }

    /// The author of a published status that still exists.
    pub async fn author_of(&self, sid: u64) -> Result<Option<u64>> {
        let author: Option<u64> = self.conn().hget(self.keys().status_author(), sid).await?;
        // 0 is the tombstone of a deleted status.
        Ok(author.filter(|a| *a > 0))
    }

    /// Statuses as `viewer` sees them: each with its counts and the viewer's
    /// `liked` and `reposted`, a repost with its original (whose counts and
    /// flags it shows); `None` where it is gone, its original is gone, or the
    /// viewer may not see it (the one visibility decision: [`visible`]). One
    /// round trip, two when the page holds reposts.
    pub(crate) async fn view(
        &self,
        viewer: Option<u64>,
        entries: &[Entry],
        place: Place,
    ) -> Result<Vec<Option<Status>>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys();
        // One round trip: whom of this page's authors the viewer blocks and
        // mutes (ZMSCORE of just them, so the cost follows the page, not the
        // lists); once per author, what the decision needs of them (private,
        // suspended, blocks the viewer, followed by the viewer); per status,
        // its hash and the viewer's own flags. (Plain commands: a script per
        // status doing the same measured slower, ~15 µs of Lua per call.)
        let mut authors: Vec<u64> = entries.iter().map(|e| e.uid).collect();
        authors.sort_unstable();
        authors.dedup();
        let per_author = if viewer.is_some() { 3 } else { 1 };
        let per_status = if viewer.is_some() { 3 } else { 1 };
        let mut cmds =
            Vec::with_capacity(2 + authors.len() * per_author + entries.len() * per_status);
        if let Some(viewer) = viewer {
            for set in [k.blocking(viewer), k.muting(viewer)] {
                let mut zmscore = redis::cmd("ZMSCORE");
                zmscore.arg(set).arg(&authors);
                cmds.push(zmscore);
            }
        }
        for &author in &authors {
            let mut flags = redis::cmd("HMGET");
            flags.arg(k.counts(author)).arg("private").arg("suspended");
            cmds.push(flags);
            if let Some(viewer) = viewer {
                cmds.push(redis::Cmd::zscore(k.blocking(author), viewer));
                cmds.push(redis::Cmd::zscore(k.followers(author), viewer));
            }
        }
        for e in entries {
            cmds.push(redis::Cmd::hgetall(k.status(e.uid, e.sid)));
            if let Some(viewer) = viewer {
                cmds.push(redis::Cmd::zscore(k.likes(e.uid, e.sid), viewer));
                cmds.push(redis::Cmd::zscore(k.reposts(e.uid, e.sid), viewer));
            }
        }
        let mut replies = self.query_many::<Value>(cmds).await?.into_iter();
        let mut next = || replies.next().unwrap_or(Value::Nil);
        let mut who = Viewer {
            account: viewer,
            ..Viewer::anonymous()
        };
        if viewer.is_some() {
            let ids = |v: Value| -> HashSet<u64> {
                let scores: Vec<Option<f64>> = redis::from_redis_value(v).unwrap_or_default();
                authors
                    .iter()
                    .zip(scores)
                    .filter_map(|(a, score)| score.map(|_| *a))
                    .collect()
            };
            who.blocking = ids(next());
            who.muting = ids(next());
        }
        let present = |v: &Value| *v != Value::Nil;
        let mut of_author = std::collections::HashMap::with_capacity(authors.len());
        for &author in &authors {
            let flags: Vec<Option<String>> = redis::from_redis_value(next()).unwrap_or_default();
            let set = |i: usize| flags.get(i).and_then(|f| f.as_deref()) == Some("1");
            let (blocks_viewer, followed) = match viewer {
                Some(_) => (present(&next()), present(&next())),
                None => (false, false),
            };
            let decision = Author {
                private: set(0),
                suspended: set(1),
                blocks_viewer,
                followed,
                // The status hash itself says.
                hidden: false,
            };
            of_author.insert(author, decision);
        }
        let mut statuses: Vec<Option<(Record, bool, bool)>> = entries
            .iter()
            .map(|e| {
                let fields: Option<Fields> = redis::from_redis_value(next()).ok();
                let (liked, reposted) = match viewer {
                    Some(_) => (present(&next()), present(&next())),
                    None => (false, false),
                };
                let author = of_author.get(&e.uid).copied().unwrap_or_default();
                let record =
                    record_from(&fields?).filter(|r| visible(&who, &r.status, author, place))?;
                Some((record, liked, reposted))
            })
            .collect();
        let originals: Vec<Entry> = statuses
            .iter()
            .flatten()
            .filter_map(|(r, _, _)| r.original)
            .collect();
        let mut shown: std::collections::HashMap<Entry, Status> = std::collections::HashMap::new();
        if !originals.is_empty() {
            let read = Box::pin(self.view(viewer, &originals, place)).await?;
            for (entry, original) in originals.into_iter().zip(read) {
                // An original is never a repost itself, so this goes one level deep.
                if let Some(original) = original.filter(|o| o.repost_of.is_none()) {
                    shown.insert(entry, original);
                }
            }
        }
        Ok(statuses
            .iter_mut()
            .map(|slot| {
                let (record, liked, reposted) = slot.take()?;
                let mut status = record.status;
                match record.original {
                    Some(original) => {
                        let original = shown.get(&original)?.clone();
                        status.replies = original.replies;
                        status.reposts = original.reposts;
                        status.likes = original.likes;
                        status.liked = original.liked;
                        status.reposted = original.reposted;
                        status.repost_of = Some(Box::new(original));
                    }
                    None => {
                        status.liked = liked;
                        status.reposted = reposted;
                    }
                }
                Some(status)
            })
            .collect())
    }

    /// The status `sid` names for acts on it (like, reply, repost, thread): a
    /// repost names its original. `None` if gone or not visible to `viewer`.
    pub async fn target(&self, viewer: Option<u64>, sid: u64) -> Result<Option<Status>> {
        Ok(self
            .status(viewer, sid)
            .await?
            .map(|mut s| match s.repost_of.take() {
                Some(original) => *original,
                None => s,
            }))
    }

    /// A page of the entries of a timeline (a sorted set scored by status id),
    /// newest first.
    pub(crate) async fn page_of(&self, key: &str, page: Page) -> Result<Vec<Entry>> {
        let offset = (page.page as usize - 1) * page.count as usize;
        let max = match page.before {
            Some(before) => format!("({before}"),
            None => "+inf".to_owned(),
        };
        let members: Vec<String> = self
            .conn()
            .zrevrangebyscore_limit(key, max, "-inf", offset as isize, page.count as isize)
            .await?;
        Ok(members.iter().filter_map(|m| Entry::parse(m)).collect())
    }

    /// Reads one page of a timeline as `viewer` sees it: the ids, then every
    /// status in one round trip. An id whose status is gone (deleted while its
    /// cleanup job runs) or not visible is left out of the answer but keeps its
    /// place, so later pages don't shift.
    pub async fn timeline(
        &self,
        viewer: Option<u64>,
        timeline: Timeline<'_>,
        page: Page,
    ) -> Result<Vec<Status>> {
        let k = self.keys();
        let (key, place) = match timeline {
            Timeline::Home(uid) => return self.home_statuses(viewer, uid, page).await,
            Timeline::Profile(uid) => (k.profile(uid), Place::Elsewhere),
            Timeline::Mentions(uid) => (k.mentions(uid), Place::Mentions),
            Timeline::Tag(tag) => (k.tag(tag), Place::Tag),
        };
        let entries = self.page_of(&key, page).await?;
        Ok(self
            .view(viewer, &entries, place)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

impl Store {
    /// The public timeline: what the firehose carries, newest first, as far
    /// back as the event log goes: public statuses (reposts included) as
    /// `viewer` sees them (blocks and mutes keep theirs out; deleted and
    /// hidden ones are gone), older than `before` if given; at most `count`.
    pub async fn public_timeline(
        &self,
        viewer: Option<u64>,
        before: Option<u64>,
        count: usize,
    ) -> Result<Vec<Status>> {
        /// Events read per round trip, and round trips at most per page.
        const CHUNK: usize = 500;
        const CHUNKS: usize = 20;
        let mut out = Vec::new();
        let mut end: Option<String> = None;
        for _ in 0..CHUNKS {
            let (logged, next) = self.logged_statuses_before(end.as_deref(), CHUNK).await?;
            let entries: Vec<Entry> = logged
                .iter()
                .filter(|s| before.is_none_or(|b| s.id < b))
                .map(|s| Entry {
                    uid: s.uid,
                    sid: s.id,
                })
                .collect();
            let seen = self.view(viewer, &entries, Place::Public).await?;
            out.extend(seen.into_iter().flatten().take(count - out.len()));
            match next {
                Some(next) if out.len() < count => end = Some(next),
                _ => break,
            }
        }
        Ok(out)
    }
}

/// A timeline scored by status id.
#[derive(Debug, Clone, Copy)]
pub enum Timeline<'a> {
    Home(u64),
    Profile(u64),
    Mentions(u64),
    /// A folded tag, without `#`.
    Tag(&'a str),
}

/// What a post says, checked and resolved by the caller.
#[derive(Debug, Clone, Default)]
pub struct Draft<'a> {
    pub text: &'a str,
    pub location: Option<Location>,
    /// The status replied to.
    pub reply_to: Option<&'a Status>,
    /// The original of a repost (never itself a repost).
    pub repost_of: Option<&'a Status>,
    /// The mentioned accounts, in order.
    pub mentions: Vec<User>,
    pub tags: Vec<String>,
}

/// A status as stored: what the wire shows, and what the cascades need.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub status: Status,
    pub posted_ms: i64,
    /// The author of the status replied to.
    pub reply_uid: Option<u64>,
    /// The mentioned accounts, in the order of `status.mentions`.
    pub mention_ids: Vec<u64>,
    /// A repost's original.
    pub original: Option<Entry>,
}

impl Record {
    pub fn entry(&self) -> Entry {
        Entry {
            uid: self.status.uid,
            sid: self.status.id,
        }
    }

    /// The status replied to.
    pub fn parent(&self) -> Option<Entry> {
        Some(Entry {
            uid: self.reply_uid?,
            sid: self.status.reply_to?,
        })
    }

    /// The tags whose timelines hold this status: none for a repost (it
    /// shows its original's, which the original holds).
    pub(crate) fn linked_tags(&self) -> &[String] {
        match self.original {
            Some(_) => &[],
            None => &self.status.tags,
        }
    }

    /// The tags `trending` counts it under: public statuses only.
    pub(crate) fn trending_tags(&self) -> &[String] {
        if self.status.private {
            &[]
        } else {
            self.linked_tags()
        }
    }

    /// The status's fields as its hash and its events hold them (counts
    /// apart: they live only in the hash, kept by the scripts).
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let s = &self.status;
        let mut f = vec![
            ("id", s.id.to_string()),
            ("uid", s.uid.to_string()),
            ("login", s.login.clone()),
            ("text", s.text.clone()),
            ("posted", self.posted_ms.to_string()),
        ];
        if let Some(l) = s.location {
            f.push(("lat", l.lat.to_string()));
            f.push(("lon", l.lon.to_string()));
        }
        if let (Some(parent), Some(login)) = (self.parent(), &s.reply_to_login) {
            f.push(("reply_to", parent.sid.to_string()));
            f.push(("reply_uid", parent.uid.to_string()));
            f.push(("reply_login", login.clone()));
        }
        if !s.mentions.is_empty() {
            f.push(("mentions", s.mentions.join(" ")));
            f.push(("mention_ids", join(&self.mention_ids)));
        }
        if !s.tags.is_empty() {
            f.push(("tags", s.tags.join(" ")));
        }
        if let Some(original) = self.original {
            f.push(("repost_of", original.sid.to_string()));
            f.push(("repost_uid", original.uid.to_string()));
        }
        if s.private {
            f.push(("private", "1".into()));
        }
        f
    }
}

fn join(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
}

/// The member naming a notification: what was done, by whom, to which status.
pub(crate) fn notification_member(kind: NotificationKind, from: u64, status: Entry) -> String {
    format!("{}:{from}:{}", kind.as_str(), status.member())
}

/// The Unix minute of a time in ms: the trending bucket it counts in.
pub(crate) fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

/// Followers whose homes one `HOME_ADD` run enters on a single Redis: a
/// quarter of a millisecond of Redis time or so, short enough not to hold
/// other clients up.
pub(crate) const HOME_ADD_BATCH: usize = 250;

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
    record_from(fields).map(|r| r.status)
}

/// A stored status from its hash (or an event's fields); `None` if empty.
pub(crate) fn record_from(fields: &Fields) -> Option<Record> {
    if fields.is_empty() {
        return None;
    }
    let location = match (field(fields, "lat").parse(), field(fields, "lon").parse()) {
        (Ok(lat), Ok(lon)) => Some(Location { lat, lon }),
        _ => None,
    };
    let words = |name: &str| -> Vec<String> {
        field(fields, name)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let posted_ms = int_field(fields, "posted") as i64;
    let reply_to = field(fields, "reply_to").parse().ok();
    Some(Record {
        status: Status {
            id: int_field(fields, "id"),
            uid: int_field(fields, "uid"),
            login: field(fields, "login").to_owned(),
            text: field(fields, "text").to_owned(),
            posted: format_millis(posted_ms),
            location,
            reply_to,
            reply_to_login: reply_to.map(|_| field(fields, "reply_login").to_owned()),
            repost_of: fields
                .get("original")
                .and_then(|json| serde_json::from_str(json).ok()),
            mentions: words("mentions"),
            tags: words("tags"),
            replies: int_field(fields, "replies"),
            reposts: int_field(fields, "reposts"),
            likes: int_field(fields, "likes"),
            liked: false,
            reposted: false,
            private: field(fields, "private") == "1",
            hidden: field(fields, "hidden") == "1",
        },
        posted_ms,
        reply_uid: field(fields, "reply_uid").parse().ok(),
        mention_ids: words("mention_ids")
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect(),
        original: match (
            field(fields, "repost_uid").parse(),
            field(fields, "repost_of").parse(),
        ) {
            (Ok(uid), Ok(sid)) => Some(Entry { uid, sid }),
            _ => None,
        },
    })
}
