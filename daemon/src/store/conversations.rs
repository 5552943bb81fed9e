//! Conversations: likes, threads, notifications and trending tags.
//!
//! A like is one atomic step in the liked status's slot (the likes set, its
//! counter and the author's notification); the liker's own list of likes is a
//! hint in the liker's slot, written before and after that step and checked
//! against the likes set on every read, so a crash between the steps shows
//! nothing that isn't so. A pending mark covers the notification's event until
//! it is logged (see [`Store::finish_abandoned_acts`]).

use std::collections::HashMap;

use redis::AsyncCommands;
use roost_shared::time::format_millis;
use roost_shared::{FollowEntry, Notification, NotificationKind, Status, TagCount, Thread, User};

use super::scripts::{LIKE, LOG_CHANGE, TREND_WITHDRAW, UNLIKE};
use super::statuses::{Record, minute_of, notification_member};
use super::visibility::Place;
use super::{Entry, Page, Store, as_array, as_int, scored_pairs, unexpected};
use crate::error::{Error, Result};
use crate::failpoint::crash_point;

/// Most ancestors `thread` walks up.
const MAX_ANCESTORS: usize = 1000;
/// Most descendants `thread` reads, whatever `count` asks: bounds its cost.
const MAX_DESCENDANTS: usize = 5000;
/// Statuses the importance order ranks: the newest of the home timeline.
pub const IMPORTANCE_WINDOW: u32 = 200;
/// Seconds one vote is worth in the article score (the book's 432: a day's
/// seconds over the 200 votes that keep an article on the front page a day).
const VOTE_SECONDS: i64 = 432;
/// Tags `trending` answers.
const TRENDING_TAGS: usize = 10;

/// How long a trending bucket lasts past its minute: the widest window (24 h)
/// and an hour to spare.
const TREND_KEPT_SECS: i64 = 90_000;

/// Why a status is off trending, as bits in its minute's `trend_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawn {
    Hidden = 1,
    Suspended = 2,
    Private = 4,
}

fn not_found(sid: u64) -> Error {
    Error::NotFound(format!("no status {sid}"))
}

impl Store {
    /// `liker` likes status `sid`: returns its likes count. `conflict` if
    /// already liked, `not_found` if it is gone or not visible to the liker.
    pub async fn like(&self, liker: &User, sid: u64, now: i64) -> Result<u64> {
        let k = self.keys();
        let mut status = self
            .target(Some(liker.id), sid)
            .await?
            .ok_or_else(|| not_found(sid))?;
        let (author, sid) = (status.uid, status.id);
        let entry = Entry { uid: author, sid };
        let member = notification_member(NotificationKind::Like, liker.id, entry);
        let _: i64 = self.conn().zadd(k.pending_acts(), &member, now).await?;
        let _: i64 = self
            .conn()
            .zadd_options(
                k.liked(liker.id),
                entry.member(),
                now,
                &redis::SortedSetAddOptions::add_only(),
            )
            .await?;
        crash_point("like.hinted");
        let notify = if author == liker.id || !self.may_notify(author, liker.id).await? {
            String::new()
        } else {
            member.clone()
        };
        let reply: redis::Value = LIKE
            .key(k.status(author, sid))
            .key(k.likes(author, sid))
            .key(k.notifications(author))
            .key(k.notified_at(author))
            .key(k.counts(author))
            .arg(liker.id)
            .arg(now)
            .arg(notify)
            .invoke_async(&mut self.conn())
            .await?;
        let (code, likes, nid) = match as_array(&reply, "like")? {
            [code, likes, nid] => (
                as_int(code, "like")?,
                as_int(likes, "like")?,
                as_int(nid, "like")?,
            ),
            _ => return Err(unexpected("like", &reply)),
        };
        crash_point("like.liked");
        let done = async |result: Result<u64>| -> Result<u64> {
            let _: i64 = self.conn().zrem(k.pending_acts(), &member).await?;
            result
        };
        match code {
            -1 => {
                let _: i64 = self.conn().zrem(k.liked(liker.id), entry.member()).await?;
                return done(Err(not_found(sid))).await;
            }
            0 => return done(Err(Error::Conflict(format!("already liked {sid}")))).await,
            _ => {}
        }
        let _: i64 = self
            .conn()
            .zadd(k.liked(liker.id), entry.member(), now)
            .await?;
        if nid > 0 {
            status.likes = likes as u64;
            status.liked = false;
            let notification = Notification {
                id: nid as u64,
                kind: NotificationKind::Like,
                from: liker.clone(),
                status: Some(status),
                at: format_millis(now),
            };
            self.log_notification(author, &notification).await?;
        }
        done(Ok(likes as u64)).await
    }

    /// `liker` takes back a like of `sid`: returns the likes left; `not_found`
    /// if they don't like it (or it is gone).
    pub async fn unlike(&self, liker: u64, sid: u64) -> Result<u64> {
        let k = self.keys();
        let status = self
            .target(Some(liker), sid)
            .await?
            .ok_or_else(|| not_found(sid))?;
        let (author, sid) = (status.uid, status.id);
        let entry = Entry { uid: author, sid };
        let notify = if author == liker {
            String::new()
        } else {
            notification_member(NotificationKind::Like, liker, entry)
        };
        let left: i64 = UNLIKE
            .key(k.status(author, sid))
            .key(k.likes(author, sid))
            .key(k.notifications(author))
            .key(k.notified_at(author))
            .arg(liker)
            .arg(notify)
            .invoke_async(&mut self.conn())
            .await?;
        if left < 0 {
            return Err(Error::NotFound(format!("you don't like status {sid}")));
        }
        let _: i64 = self.conn().zrem(k.liked(liker), entry.member()).await?;
        Ok(left as u64)
    }

    /// Who likes status `sid`, newest like first, as `viewer` may see it.
    pub async fn likers(
        &self,
        viewer: Option<u64>,
        sid: u64,
        page: u32,
        count: u32,
    ) -> Result<Vec<FollowEntry>> {
        let status = self
            .target(viewer, sid)
            .await?
            .ok_or_else(|| not_found(sid))?;
        self.user_list(&self.keys().likes(status.uid, status.id), page, count)
            .await
    }

    /// Who reposted status `sid`, newest repost first, if `viewer` may see it
    /// (the Mastodon API's `reblogged_by`).
    pub async fn reposters(
        &self,
        viewer: Option<u64>,
        sid: u64,
        page: u32,
        count: u32,
    ) -> Result<Vec<User>> {
        let status = self
            .target(viewer, sid)
            .await?
            .ok_or_else(|| not_found(sid))?;
        let start = (i64::from(page) - 1) * i64::from(count);
        let ids: Vec<u64> = self
            .conn()
            .zrevrange(
                self.keys().reposts(status.uid, status.id),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        Ok(self.users(&ids).await?.into_iter().flatten().collect())
    }

    /// A page of the statuses `uid` liked, newest like first, as `viewer`
    /// sees them. The list is a hint: each entry is checked against the
    /// status's likes set in the same round trip as the statuses.
    pub async fn liked(
        &self,
        viewer: Option<u64>,
        uid: u64,
        page: u32,
        count: u32,
    ) -> Result<Vec<Status>> {
        let k = self.keys();
        let start = (i64::from(page) - 1) * i64::from(count);
        let members: Vec<String> = self
            .conn()
            .zrevrange(
                k.liked(uid),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        let entries: Vec<Entry> = members.iter().filter_map(|m| Entry::parse(m)).collect();
        let checks = entries
            .iter()
            .map(|e| redis::Cmd::zscore(k.likes(e.uid, e.sid), uid));
        let likes: Vec<Option<f64>> = self.query_many(checks.collect()).await?;
        let statuses = self.view(viewer, &entries, Place::Elsewhere).await?;
        Ok(statuses
            .into_iter()
            .zip(likes)
            .filter_map(|(status, like)| status.filter(|_| like.is_some()))
            .collect())
    }

    /// Status `sid` with its ancestors (root first; deleted ones left out)
    /// and up to `count` visible descendants, depth first with each level
    /// oldest first; a deleted reply's descendants keep its place.
    pub async fn thread(&self, viewer: Option<u64>, sid: u64, count: usize) -> Result<Thread> {
        let k = self.keys();
        let status = self
            .target(viewer, sid)
            .await?
            .ok_or_else(|| not_found(sid))?;
        let root = Entry {
            uid: status.uid,
            sid: status.id,
        };
        let mut chain = Vec::new();
        let mut at = root;
        while chain.len() < MAX_ANCESTORS {
            let parent: Option<String> = self.conn().hget(k.parents(at.uid), at.sid).await?;
            match parent.as_deref().and_then(Entry::parse) {
                Some(parent) => {
                    chain.push(parent);
                    at = parent;
                }
                None => break,
            }
        }
        chain.reverse();
        let ancestors = self
            .view(viewer, &chain, Place::Elsewhere)
            .await?
            .into_iter()
            .flatten();

        // Read the tree a level per round trip, then walk it depth first.
        let mut children: HashMap<Entry, Vec<Entry>> = HashMap::new();
        let mut level = vec![root];
        let mut read = 0;
        while !level.is_empty() && read < MAX_DESCENDANTS {
            let reads = level
                .iter()
                .map(|e| redis::Cmd::zrange(k.children(e.uid, e.sid), 0, -1));
            let replies: Vec<Vec<String>> = self.query_many(reads.collect()).await?;
            let mut next = Vec::new();
            for (parent, members) in level.iter().zip(replies) {
                let kids: Vec<Entry> = members.iter().filter_map(|m| Entry::parse(m)).collect();
                read += kids.len();
                next.extend(&kids);
                children.insert(*parent, kids);
            }
            level = next;
        }
        let mut order = Vec::new();
        let mut stack: Vec<Entry> = children
            .get(&root)
            .into_iter()
            .flatten()
            .rev()
            .copied()
            .collect();
        while let Some(e) = stack.pop() {
            order.push(e);
            stack.extend(children.get(&e).into_iter().flatten().rev());
        }
        // The first `count` in one round trip; more only where some of them
        // are gone or not visible.
        let mut replies = Vec::new();
        let mut rest = order.as_slice();
        while replies.len() < count && !rest.is_empty() {
            let (chunk, after) = rest.split_at((count - replies.len()).min(rest.len()));
            replies.extend(
                self.view(viewer, chunk, Place::Elsewhere)
                    .await?
                    .into_iter()
                    .flatten(),
            );
            rest = after;
        }
        Ok(Thread {
            ancestors: ancestors.collect(),
            status,
            replies,
        })
    }

    /// A page of `uid`'s home timeline ranked by the book's article score:
    /// the newest [`IMPORTANCE_WINDOW`] statuses they see, by posted time in
    /// whole seconds + 432 x (likes + 2 x reposts + replies), highest first,
    /// ties newest first.
    pub async fn home_by_importance(&self, uid: u64, page: Page) -> Result<Vec<Status>> {
        let window = Page {
            page: 1,
            count: IMPORTANCE_WINDOW,
            before: None,
        };
        let mut statuses = self.home_statuses(Some(uid), uid, window).await?;
        statuses.sort_by_key(|s| std::cmp::Reverse((importance(s), s.id)));
        let start = (page.page as usize - 1) * page.count as usize;
        Ok(statuses
            .into_iter()
            .skip(start)
            .take(page.count as usize)
            .collect())
    }

    /// Up to ten tags with the most public statuses posted in the last
    /// `hours`, most first, ties by tag. Reads one bucket per minute of the
    /// window, so its cost does not grow with the number of statuses.
    pub async fn trending(&self, hours: u32, now: i64) -> Result<Vec<TagCount>> {
        let last = minute_of(now);
        let first = last - i64::from(hours) * 60 + 1;
        let keys: Vec<String> = (first..=last).map(|m| self.keys().trend(m)).collect();
        let reply: redis::Value = redis::cmd("ZUNION")
            .arg(keys.len())
            .arg(&keys)
            .arg("WITHSCORES")
            .query_async(&mut self.conn())
            .await?;
        let mut tags: Vec<TagCount> = scored_pairs(&reply, "trending")?
            .into_iter()
            .filter(|(_, n)| *n >= 1.0)
            .map(|(tag, n)| TagCount {
                tag,
                statuses: n as u64,
            })
            .collect();
        tags.sort_by(|a, b| b.statuses.cmp(&a.statuses).then_with(|| a.tag.cmp(&b.tag)));
        tags.truncate(TRENDING_TAGS);
        Ok(tags)
    }

    /// Takes a status off trending for `why` (`out`), or gives that reason
    /// back; it counts again once no reason is left. Idempotent.
    pub async fn withdraw_from_trending(
        &self,
        record: &Record,
        why: Withdrawn,
        out: bool,
        now: i64,
    ) -> Result<()> {
        let tags = record.trending_tags();
        let minute = minute_of(record.posted_ms);
        let expire_at = (minute + 1) * 60 + TREND_KEPT_SECS;
        if tags.is_empty() || expire_at <= now / 1000 {
            return Ok(());
        }
        let k = self.keys();
        let mut call = TREND_WITHDRAW.prepare_invoke();
        call.key(k.status_author())
            .key(k.trend(minute))
            .key(k.trend_out(minute))
            .arg(record.status.id)
            .arg(why as u8)
            .arg(u8::from(out))
            .arg(expire_at);
        for tag in tags {
            call.arg(tag);
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// [`Store::withdraw_from_trending`] for every status of `uid` whose
    /// trending bucket still lasts (newest first, a page per round trip).
    pub async fn withdraw_account_from_trending(
        &self,
        uid: u64,
        why: Withdrawn,
        out: bool,
        now: i64,
    ) -> Result<()> {
        let oldest = now - (TREND_KEPT_SECS + 60) * 1000;
        let mut start = Some(0);
        while let Some(at) = start {
            let (records, next) = self.records_page(uid, at).await?;
            for record in &records {
                if record.posted_ms < oldest {
                    return Ok(());
                }
                self.withdraw_from_trending(record, why, out, now).await?;
            }
            start = next;
        }
        Ok(())
    }

    /// A page of `uid`'s notifications, newest first, leaving out those whose
    /// status is gone or not visible to them; with the unread count.
    pub async fn notifications(
        &self,
        uid: u64,
        page: u32,
        count: u32,
    ) -> Result<(Vec<Notification>, u64)> {
        let k = self.keys();
        let start = (i64::from(page) - 1) * i64::from(count);
        let listed: Vec<(String, f64)> = self
            .conn()
            .zrevrange_withscores(
                k.notifications(uid),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        let notifications = self.render_notifications(uid, &listed).await?;
        // From accounts the recipient blocks or mutes, or that block them: hidden
        // while that lasts.
        let actors: Vec<u64> = notifications.iter().map(|n| n.from.id).collect();
        let mut cmds = Vec::new();
        for &actor in &actors {
            cmds.push(redis::Cmd::zscore(k.blocking(uid), actor));
            cmds.push(redis::Cmd::zscore(k.muting(uid), actor));
            cmds.push(redis::Cmd::zscore(k.blocking(actor), uid));
        }
        let kept: Vec<Option<f64>> = self.query_many(cmds).await?;
        let notifications = notifications
            .into_iter()
            .zip(kept.chunks(3))
            .filter(|(_, found)| found.iter().all(Option::is_none))
            .map(|(n, _)| n)
            .collect();
        let unread = self.marker(uid, None, None).await?.notifications_unread;
        Ok((notifications, unread))
    }

    /// Notifications of `uid` from their members and ids, in order; those
    /// that no longer hold (a user or status gone, or not visible) left out.
    async fn render_notifications(
        &self,
        uid: u64,
        listed: &[(String, f64)],
    ) -> Result<Vec<Notification>> {
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys();
        let members: Vec<&str> = listed.iter().map(|(m, _)| m.as_str()).collect();
        let at: Vec<Option<i64>> = redis::cmd("HMGET")
            .arg(k.notified_at(uid))
            .arg(&members)
            .query_async(&mut self.conn())
            .await?;
        let parsed: Vec<Option<(NotificationKind, u64, Option<Entry>)>> =
            members.iter().map(|m| parse_member(m)).collect();
        let from: Vec<u64> = parsed.iter().map(|p| p.map_or(0, |p| p.1)).collect();
        let users = self.users(&from).await?;
        // Only the notifications that name a status read one (a follow or a
        // request names none).
        let entry_of = |p: &Option<(NotificationKind, u64, Option<Entry>)>| p.and_then(|p| p.2);
        let entries: Vec<Entry> = parsed.iter().filter_map(entry_of).collect();
        let mut viewed = self
            .view(Some(uid), &entries, Place::Notifications)
            .await?
            .into_iter();
        let statuses: Vec<Option<Status>> = parsed
            .iter()
            .map(|p| entry_of(p).and_then(|_| viewed.next().flatten()))
            .collect();
        let mut out = Vec::new();
        for ((((_, nid), parsed), user), (status, at)) in listed
            .iter()
            .zip(parsed)
            .zip(users)
            .zip(statuses.into_iter().zip(at))
        {
            let (Some((kind, _, entry)), Some(from)) = (parsed, user) else {
                continue;
            };
            if entry.is_some() && status.is_none() {
                continue;
            }
            out.push(Notification {
                id: *nid as u64,
                kind,
                from,
                status: entry.and(status),
                at: format_millis(at.unwrap_or(0)),
            });
        }
        Ok(out)
    }

    /// The notification of `uid` named by `member`, if it exists.
    pub(crate) async fn notification(
        &self,
        uid: u64,
        member: &str,
    ) -> Result<Option<Notification>> {
        let nid: Option<f64> = self
            .conn()
            .zscore(self.keys().notifications(uid), member)
            .await?;
        let Some(nid) = nid else { return Ok(None) };
        Ok(self
            .render_notifications(uid, &[(member.to_owned(), nid)])
            .await?
            .pop())
    }

    /// Appends a notification to the event log for the `notifications`
    /// stream, once per notification (finishing an act again logs nothing new).
    pub(crate) async fn log_notification(
        &self,
        to: u64,
        notification: &Notification,
    ) -> Result<()> {
        let k = self.keys();
        let json =
            serde_json::to_string(notification).map_err(|e| Error::Internal(e.to_string()))?;
        let _: i64 = LOG_CHANGE
            .key(k.events())
            .key(k.logged_changes())
            .arg(format!("n:{to}:{}", notification.id))
            .arg(roost_shared::time::now_millis())
            .arg(self.limits.event_log_len)
            .arg("kind")
            .arg("notification")
            .arg("to")
            .arg(to)
            .arg("notification")
            .arg(json)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Finishes likes, blocks and direct messages whose roostd died between
    /// their steps (messages: see `finish_dm`): every
    /// pending mark older than `min_age_ms` gets, where the like exists, the
    /// liker's hint and the notification's event, and where the block stands,
    /// its remaining steps; then it is removed. Returns how many.
    pub async fn finish_abandoned_acts(&self, min_age_ms: i64, now: i64) -> Result<usize> {
        let k = self.keys();
        let mut finished = 0;
        loop {
            let pending: Vec<(String, f64)> = self
                .conn()
                .zrangebyscore_limit_withscores(k.pending_acts(), "-inf", now - min_age_ms, 0, 100)
                .await?;
            if pending.is_empty() {
                return Ok(finished);
            }
            for (member, marked) in pending {
                if member.starts_with("dm:") {
                    self.finish_dm(&member, marked as i64, now).await?;
                } else if let Some((muter, muted)) = parse_pair("mute:", &member) {
                    self.finish_mute(muter, muted, now).await?;
                } else if let Some((blocker, blocked)) = parse_pair("block:", &member) {
                    let stands: Option<f64> =
                        self.conn().zscore(k.blocking(blocker), blocked).await?;
                    if stands.is_some() {
                        self.finish_block(blocker, blocked, now).await?;
                    }
                } else if let Some((NotificationKind::Like, liker, Some(entry))) =
                    parse_member(&member)
                {
                    let like: Option<f64> = self
                        .conn()
                        .zscore(k.likes(entry.uid, entry.sid), liker)
                        .await?;
                    if let Some(at) = like {
                        let _: i64 = self.conn().zadd(k.liked(liker), entry.member(), at).await?;
                    }
                    if let Some(notification) = self.notification(entry.uid, &member).await? {
                        self.log_notification(entry.uid, &notification).await?;
                    }
                }
                let _: i64 = self.conn().zrem(k.pending_acts(), &member).await?;
                finished += 1;
            }
        }
    }
}

/// A pending block's or mute's mark (`block:` or `mute:`, then who and whom).
fn parse_pair(prefix: &str, member: &str) -> Option<(u64, u64)> {
    let (who, whom) = member.strip_prefix(prefix)?.split_once(':')?;
    Some((who.parse().ok()?, whom.parse().ok()?))
}

/// A notification member: kind, who acted and the status (none for `0:0`).
fn parse_member(member: &str) -> Option<(NotificationKind, u64, Option<Entry>)> {
    let (kind, rest) = member.split_once(':')?;
    let (from, status) = rest.split_once(':')?;
    let entry = Entry::parse(status)?;
    Some((
        NotificationKind::parse(kind)?,
        from.parse().ok()?,
        (entry.sid > 0).then_some(entry),
    ))
}

/// The book's article score of a status.
fn importance(status: &Status) -> i64 {
    let posted = roost_shared::time::parse_millis(&status.posted).unwrap_or(0) / 1000;
    let votes = status.likes + 2 * status.reposts + status.replies;
    posted + VOTE_SECONDS * votes as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_name_the_act() {
        let e = Entry { uid: 4, sid: 9 };
        let m = notification_member(NotificationKind::Like, 7, e);
        assert_eq!(parse_member(&m), Some((NotificationKind::Like, 7, Some(e))));
        assert_eq!(
            parse_member("follow:7:0:0"),
            Some((NotificationKind::Follow, 7, None))
        );
        assert_eq!(parse_member("poke:7:0:0"), None);
    }

    #[test]
    fn importance_is_the_article_score() {
        let s = Status {
            posted: format_millis(1_000_000_999),
            likes: 1,
            reposts: 1,
            replies: 1,
            ..Status::default()
        };
        assert_eq!(importance(&s), 1_000_000 + 432 * 4);
    }
}
