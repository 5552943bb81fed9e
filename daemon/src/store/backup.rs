//! `roostd export` and `roostd import`: the whole network as JSON lines, read
//! from a live daemon's Redis without stopping it, and loaded into an empty
//! namespace (on one Redis or a cluster: every write is one key's own
//! command, routed to its slot).
//!
//! One record per line, each an object with a `type`:
//!
//! | type | what |
//! |---|---|
//! | `roost` | first line: the layout version and the id counters |
//! | `user` | an account: its hash, token hash, read markers, notification counter |
//! | `follow` | follower, followed, when |
//! | `status` | a published status's hash (its counts are not carried: import counts the sets) |
//! | `parent` | a reply's parent, deleted statuses' included (threads lead through them) |
//! | `like` | liker, status, its author, when |
//! | `relation` | a block, mute or follow request: from, to, when |
//! | `dms` | one account's conversations (with their last activity) and read markers |
//! | `conversation` | a conversation's messages (written once, by its first participant) |
//! | `notification` | recipient, id, what it names, when |
//! | `home` | one home timeline as it is, with the reposts standing for originals there and the accounts it merges at read time |
//! | `trend` | one minute's tag counts (the last 25 hours) |
//! | `report` | a report as operators see it: who, what, why, its resolution |
//! | `modlog` | one moderation log entry, oldest first |
//!
//! What import does not read it derives, as the writes that made it would
//! have: the login and uid maps, status authors, every count, tag and mentions
//! timelines, the likers' lists, reposts and repost originals, replies and
//! thread children. Jobs, the event log and marks of half-done writes are not
//! carried: a daemon's in-flight work finishes on the old data.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use redis::AsyncCommands;
use serde_json::{Value, json};

use super::celebrity::FanoutMode;
use super::keys::Entry;
use super::schema::SCHEMA;
use super::statuses::{minute_of, record_from};
use super::{Fields, Store, decode, field, int_field};
use crate::error::{Error, Result};

/// Accounts read per round trip by export.
const BATCH: usize = 200;
/// Commands written per round trip by import.
const WRITES: usize = 2000;
/// Minutes of trending buckets carried: they live 25 hours.
const TREND_MINUTES: i64 = 25 * 60;

/// What an import loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub users: u64,
    pub statuses: u64,
    pub follows: u64,
    pub likes: u64,
}

fn bad(line: usize, why: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("line {line}: {why}"))
}

/// A reply as `T`, or an `Internal` error saying what was unexpected.
fn write_line(out: &mut impl Write, record: &Value) -> Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(|e| Error::Internal(e.to_string()))?;
    out.write_all(b"\n")
        .map_err(|e| Error::Internal(format!("writing the export: {e}")))
}

impl Store {
    /// Writes the whole network to `out` as JSON lines (see the module doc).
    /// Returns how many users it wrote.
    pub async fn export(&self, out: &mut impl Write, now: i64) -> Result<u64> {
        let k = self.keys();
        let (next_user, next_status): (Option<u64>, Option<u64>) = redis::pipe()
            .get(k.next_user())
            .get(k.next_status())
            .query_async(&mut self.conn())
            .await?;
        let next_user = next_user.unwrap_or(0);
        write_line(
            out,
            &json!({"type": "roost", "schema": SCHEMA, "next_user": next_user,
                    "next_status": next_status.unwrap_or(0)}),
        )?;
        let mut users = 0;
        let ids: Vec<u64> = (1..=next_user).collect();
        for chunk in ids.chunks(BATCH) {
            users += self.export_users(chunk, out).await?;
        }
        let last = minute_of(now);
        for minute in last - TREND_MINUTES..=last {
            let counts: Vec<(String, f64)> = self
                .conn()
                .zrange_withscores(k.trend(minute), 0, -1)
                .await?;
            if !counts.is_empty() {
                let tags: serde_json::Map<String, Value> = counts
                    .into_iter()
                    .map(|(t, n)| (t, json!(n as u64)))
                    .collect();
                write_line(
                    out,
                    &json!({"type": "trend", "minute": minute, "tags": tags}),
                )?;
            }
        }
        self.export_moderation(out).await?;
        out.flush()
            .map_err(|e| Error::Internal(format!("writing the export: {e}")))?;
        Ok(users)
    }

    /// One chunk of accounts, with everything each one owns.
    async fn export_users(&self, ids: &[u64], out: &mut impl Write) -> Result<u64> {
        let k = self.keys();
        let mut cmds = Vec::new();
        for &id in ids {
            cmds.push(redis::Cmd::hgetall(k.user(id)));
            cmds.push(redis::Cmd::hget(k.token_of_user(), id));
            cmds.push(redis::Cmd::hgetall(k.markers(id)));
            cmds.push(redis::Cmd::hget(k.counts(id), "notified"));
            cmds.push(redis::Cmd::zrange_withscores(k.following(id), 0, -1));
            cmds.push(redis::Cmd::zrange(k.profile(id), 0, -1));
            cmds.push(redis::Cmd::hgetall(k.parents(id)));
            cmds.push(redis::Cmd::zrange_withscores(k.notifications(id), 0, -1));
            cmds.push(redis::Cmd::hgetall(k.notified_at(id)));
            cmds.push(redis::Cmd::zrange_withscores(k.home(id), 0, -1));
            cmds.push(redis::Cmd::hgetall(k.home_originals(id)));
            cmds.push(redis::Cmd::hget(k.counts(id), "private"));
            cmds.push(redis::Cmd::zrange_withscores(k.blocking(id), 0, -1));
            cmds.push(redis::Cmd::zrange_withscores(k.muting(id), 0, -1));
            cmds.push(redis::Cmd::zrange_withscores(k.requests(id), 0, -1));
            cmds.push(redis::Cmd::zrange_withscores(k.dm_conversations(id), 0, -1));
            cmds.push(redis::Cmd::hgetall(k.dm_read(id)));
            cmds.push(redis::Cmd::hget(k.counts(id), "suspended"));
            cmds.push(redis::Cmd::hget(k.counts(id), "fanout"));
            cmds.push(redis::Cmd::zrange_withscores(k.merged(id), 0, -1));
        }
        let replies: Vec<redis::Value> = self.query_many(cmds).await?;
        let mut users = 0;
        let mut statuses = Vec::new();
        for (&id, r) in ids.iter().zip(replies.chunks(20)) {
            let get = |i: usize| r[i].clone();
            let user: Fields = decode(get(0))?;
            if user.is_empty() {
                continue;
            }
            users += 1;
            let token: Option<String> = decode(get(1))?;
            let markers: Fields = decode(get(2))?;
            let notified: Option<u64> = decode(get(3))?;
            let private: Option<String> = decode(get(11))?;
            let suspended: Option<String> = decode(get(17))?;
            // Only a finished promotion is carried: mid-way, every home
            // still has the copies, and they stay copied after the import.
            let fanout: Option<String> = decode(get(18))?;
            let merged = fanout.as_deref() == Some(FanoutMode::Merge.as_str());
            write_line(
                out,
                &json!({"type": "user", "fields": user, "token": token, "markers": markers,
                        "notified": notified.unwrap_or(0),
                        "private": private.as_deref() == Some("1"),
                        "suspended": suspended.as_deref() == Some("1"),
                        "merged": merged}),
            )?;
            for (kind, index) in [("block", 12), ("mute", 13), ("request", 14)] {
                let listed: Vec<(u64, f64)> = decode(get(index))?;
                for (other, at) in listed {
                    // A request is the other's, to this account.
                    let (from, to) = if kind == "request" {
                        (other, id)
                    } else {
                        (id, other)
                    };
                    write_line(
                        out,
                        &json!({"type": "relation", "kind": kind, "from": from, "to": to,
                                "at": at as i64}),
                    )?;
                }
            }
            let dms: Vec<(String, f64)> = decode(get(15))?;
            let read: Fields = decode(get(16))?;
            if !dms.is_empty() {
                let entries: Vec<Value> =
                    dms.iter().map(|(c, at)| json!([c, *at as i64])).collect();
                write_line(
                    out,
                    &json!({"type": "dms", "uid": id, "entries": entries, "read": read}),
                )?;
            }
            for (conversation, _) in &dms {
                let first =
                    super::direct::participants(conversation).and_then(|p| p.first().copied());
                if first != Some(id) {
                    continue;
                }
                let (seq, messages): (Option<u64>, Vec<String>) = redis::pipe()
                    .get(k.dm_seq(conversation))
                    .zrange(k.dm_messages(conversation), 0, -1)
                    .query_async(&mut self.conn())
                    .await?;
                write_line(
                    out,
                    &json!({"type": "conversation", "conversation": conversation,
                            "seq": seq.unwrap_or(0), "messages": messages}),
                )?;
            }
            let following: Vec<(u64, f64)> = decode(get(4))?;
            for (followed, at) in following {
                write_line(
                    out,
                    &json!({"type": "follow", "follower": id, "followed": followed, "at": at as i64}),
                )?;
            }
            let profile: Vec<String> = decode(get(5))?;
            statuses.extend(profile.iter().filter_map(|m| Entry::parse(m)));
            let parents: Fields = decode(get(6))?;
            for (sid, parent) in parents {
                write_line(
                    out,
                    &json!({"type": "parent", "uid": id, "sid": sid.parse::<u64>().unwrap_or(0),
                            "parent": parent}),
                )?;
            }
            let listed: Vec<(String, f64)> = decode(get(7))?;
            let at: Fields = decode(get(8))?;
            for (member, nid) in listed {
                let when = field(&at, &member).parse::<i64>().unwrap_or(0);
                write_line(
                    out,
                    &json!({"type": "notification", "to": id, "id": nid as u64,
                            "member": member, "at": when}),
                )?;
            }
            let home: Vec<(String, f64)> = decode(get(9))?;
            let originals: Fields = decode(get(10))?;
            let merges: Vec<(u64, f64)> = decode(get(19))?;
            if !home.is_empty() || !merges.is_empty() {
                let entries: Vec<Value> = home
                    .into_iter()
                    .map(|(m, score)| json!([m, score as u64]))
                    .collect();
                let merges: Vec<Value> = merges
                    .into_iter()
                    .map(|(uid, at)| json!([uid, at as i64]))
                    .collect();
                write_line(
                    out,
                    &json!({"type": "home", "uid": id, "entries": entries, "originals": originals,
                            "merges": merges}),
                )?;
            }
        }
        for chunk in statuses.chunks(BATCH) {
            self.export_statuses(chunk, out).await?;
        }
        Ok(users)
    }

    /// The reports and the moderation log (oldest entry first).
    async fn export_moderation(&self, out: &mut impl Write) -> Result<()> {
        let k = self.keys();
        let ids: Vec<u64> = self.conn().zrange(k.reports("all"), 0, -1).await?;
        for chunk in ids.chunks(BATCH) {
            let cmds = chunk.iter().map(|&id| redis::Cmd::hgetall(k.report(id)));
            let reports: Vec<Fields> = self.query_many(cmds.collect()).await?;
            for (id, fields) in chunk.iter().zip(reports) {
                if !fields.is_empty() {
                    write_line(out, &json!({"type": "report", "id": id, "fields": fields}))?;
                }
            }
        }
        let entries: Vec<String> = self.conn().lrange(k.modlog(), 0, -1).await?;
        for entry in entries.iter().rev() {
            let entry: Value = serde_json::from_str(entry)
                .map_err(|e| Error::Internal(format!("a moderation log entry: {e}")))?;
            write_line(out, &json!({"type": "modlog", "entry": entry}))?;
        }
        Ok(())
    }

    /// Published statuses (written but not yet published ones are left to
    /// finish on the old data) with their likes.
    async fn export_statuses(&self, entries: &[Entry], out: &mut impl Write) -> Result<()> {
        let k = self.keys();
        let mut cmds = Vec::new();
        for e in entries {
            cmds.push(redis::Cmd::hget(k.status_author(), e.sid));
            cmds.push(redis::Cmd::hgetall(k.status(e.uid, e.sid)));
            cmds.push(redis::Cmd::zrange_withscores(k.likes(e.uid, e.sid), 0, -1));
        }
        let replies: Vec<redis::Value> = self.query_many(cmds).await?;
        for (e, r) in entries.iter().zip(replies.chunks(3)) {
            let author: Option<u64> = decode(r[0].clone())?;
            let mut fields: Fields = decode(r[1].clone())?;
            if author.is_none_or(|a| a == 0) || fields.is_empty() {
                continue;
            }
            for count in ["likes", "replies", "reposts"] {
                fields.remove(count);
            }
            write_line(out, &json!({"type": "status", "fields": fields}))?;
            let likes: Vec<(u64, f64)> = decode(r[2].clone())?;
            for (liker, at) in likes {
                write_line(
                    out,
                    &json!({"type": "like", "liker": liker, "author": e.uid, "status": e.sid,
                            "at": at as i64}),
                )?;
            }
        }
        Ok(())
    }

    /// Loads an export into this namespace, which must hold no data yet.
    pub async fn import(&self, input: impl BufRead) -> Result<Imported> {
        let k = self.keys();
        let existing: Option<u64> = self.conn().get(k.next_user()).await?;
        if existing.is_some() {
            return Err(Error::Conflict(
                "the namespace holds data already: import needs an empty one".into(),
            ));
        }
        let mut load = Loader {
            store: self,
            pending: Vec::new(),
            done: Imported::default(),
            counts: HashMap::new(),
            status_counts: HashMap::new(),
            counters: (0, 0),
            moderation_ids: (0, 0),
            loaded: Default::default(),
        };
        for (n, line) in input.lines().enumerate() {
            let line = line.map_err(|e| bad(n + 1, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Value = serde_json::from_str(&line).map_err(|e| bad(n + 1, e))?;
            load.record(n + 1, &record).await?;
        }
        load.finish().await
    }
}

/// An import in progress: writes queued, and the counts to write at the end.
struct Loader<'a> {
    store: &'a Store,
    pending: Vec<redis::Cmd>,
    done: Imported,
    /// Per account: followers, following, posts.
    counts: HashMap<u64, [u64; 3]>,
    /// Per status (its entry): likes, replies, reposts.
    status_counts: HashMap<Entry, [u64; 3]>,
    /// next_user, next_status from the first line.
    counters: (u64, u64),
    /// The highest report and moderation log entry ids loaded.
    moderation_ids: (u64, u64),
    /// The statuses loaded.
    loaded: std::collections::HashSet<Entry>,
}

impl Loader<'_> {
    async fn write(&mut self, cmd: redis::Cmd) -> Result<()> {
        self.pending.push(cmd);
        if self.pending.len() >= WRITES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let cmds = std::mem::take(&mut self.pending);
        let _: Vec<redis::Value> = self.store.query_many(cmds).await?;
        Ok(())
    }

    async fn record(&mut self, n: usize, r: &Value) -> Result<()> {
        let k = self.store.keys().clone();
        let num = |name: &str| r[name].as_u64().ok_or_else(|| bad(n, format!("no {name}")));
        let text = |name: &str| {
            r[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(n, format!("no {name}")))
        };
        let map = |name: &str| -> Result<Fields> {
            serde_json::from_value(r[name].clone()).map_err(|e| bad(n, format!("{name}: {e}")))
        };
        match r["type"].as_str().unwrap_or("") {
            "roost" => {
                let schema = num("schema")?;
                if schema > SCHEMA {
                    return Err(bad(
                        n,
                        format!("export of schema {schema}; this roostd knows up to {SCHEMA}"),
                    ));
                }
                self.counters = (num("next_user")?, num("next_status")?);
            }
            "user" => {
                let fields = map("fields")?;
                let id = int_field(&fields, "id");
                let login = field(&fields, "login").to_lowercase();
                if id == 0 || login.is_empty() {
                    return Err(bad(n, "a user without id or login"));
                }
                self.write(redis::Cmd::hset_multiple(
                    k.user(id),
                    &fields.iter().collect::<Vec<_>>(),
                ))
                .await?;
                self.write(redis::Cmd::hset(k.logins(), login, id)).await?;
                let unix = field(&fields, "unix_uid");
                if !unix.is_empty() {
                    self.write(redis::Cmd::hset(k.uids(), unix, id)).await?;
                }
                if let Some(token) = r["token"].as_str() {
                    self.write(redis::Cmd::hset(k.tokens(), token, id)).await?;
                    self.write(redis::Cmd::hset(k.token_of_user(), id, token))
                        .await?;
                }
                let markers = map("markers")?;
                if !markers.is_empty() {
                    self.write(redis::Cmd::hset_multiple(
                        k.markers(id),
                        &markers.iter().collect::<Vec<_>>(),
                    ))
                    .await?;
                }
                self.write(redis::Cmd::hset(k.counts(id), "notified", num("notified")?))
                    .await?;
                if r["private"].as_bool() == Some(true) {
                    self.write(redis::Cmd::hset(k.counts(id), "private", "1"))
                        .await?;
                    self.write(redis::Cmd::sadd(k.private_accounts(), id))
                        .await?;
                }
                if r["suspended"].as_bool() == Some(true) {
                    self.write(redis::Cmd::hset(k.counts(id), "suspended", "1"))
                        .await?;
                    self.write(redis::Cmd::sadd(k.suspended_accounts(), id))
                        .await?;
                }
                if r["merged"].as_bool() == Some(true) {
                    let merge = FanoutMode::Merge.as_str();
                    self.write(redis::Cmd::hset(k.counts(id), "fanout", merge))
                        .await?;
                }
                self.counts.entry(id).or_default();
                self.done.users += 1;
            }
            "follow" => {
                let (follower, followed, at) = (num("follower")?, num("followed")?, num("at")?);
                self.write(redis::Cmd::zadd(k.following(follower), followed, at))
                    .await?;
                self.write(redis::Cmd::zadd(k.followers(followed), follower, at))
                    .await?;
                self.counts.entry(followed).or_default()[0] += 1;
                self.counts.entry(follower).or_default()[1] += 1;
                self.done.follows += 1;
            }
            "status" => {
                let fields = map("fields")?;
                let record = record_from(&fields).ok_or_else(|| bad(n, "an empty status"))?;
                let e = record.entry();
                let member = e.member();
                self.write(redis::Cmd::hset_multiple(
                    k.status(e.uid, e.sid),
                    &fields.iter().collect::<Vec<_>>(),
                ))
                .await?;
                self.write(redis::Cmd::zadd(k.profile(e.uid), &member, e.sid))
                    .await?;
                self.write(redis::Cmd::hset(k.status_author(), e.sid, e.uid))
                    .await?;
                if record.status.hidden {
                    self.write(redis::Cmd::sadd(k.hidden_statuses(), e.sid))
                        .await?;
                }
                self.counts.entry(e.uid).or_default()[2] += 1;
                for tag in record.linked_tags() {
                    self.write(redis::Cmd::zadd(k.tag(tag), &member, e.sid))
                        .await?;
                }
                for &mentioned in &record.mention_ids {
                    self.write(redis::Cmd::zadd(k.mentions(mentioned), &member, e.sid))
                        .await?;
                }
                if let Some(parent) = record.parent() {
                    self.write(redis::Cmd::zadd(
                        k.replies(parent.uid, parent.sid),
                        &member,
                        e.sid,
                    ))
                    .await?;
                    self.status_counts.entry(parent).or_default()[1] += 1;
                }
                if let Some(original) = record.original {
                    self.write(redis::Cmd::zadd(
                        k.reposts(original.uid, original.sid),
                        e.uid,
                        e.sid,
                    ))
                    .await?;
                    self.write(redis::Cmd::hset(
                        k.repost_originals(e.uid),
                        &member,
                        original.member(),
                    ))
                    .await?;
                    self.status_counts.entry(original).or_default()[2] += 1;
                }
                self.loaded.insert(e);
                self.done.statuses += 1;
            }
            "parent" => {
                let (uid, sid, parent) = (num("uid")?, num("sid")?, text("parent")?);
                let p = Entry::parse(&parent).ok_or_else(|| bad(n, "a parent is uid:sid"))?;
                self.write(redis::Cmd::hset(k.parents(uid), sid, &parent))
                    .await?;
                let member = Entry { uid, sid }.member();
                self.write(redis::Cmd::zadd(k.children(p.uid, p.sid), member, sid))
                    .await?;
            }
            "like" => {
                let (liker, author, sid, at) =
                    (num("liker")?, num("author")?, num("status")?, num("at")?);
                let e = Entry { uid: author, sid };
                self.write(redis::Cmd::zadd(k.likes(author, sid), liker, at))
                    .await?;
                self.write(redis::Cmd::zadd(k.liked(liker), e.member(), at))
                    .await?;
                self.status_counts.entry(e).or_default()[0] += 1;
                self.done.likes += 1;
            }
            "relation" => {
                let (from, to, at) = (num("from")?, num("to")?, num("at")?);
                match r["kind"].as_str() {
                    Some("block") => {
                        self.write(redis::Cmd::zadd(k.blocking(from), to, at))
                            .await?;
                        self.write(redis::Cmd::zadd(k.blocked_by(to), from, at))
                            .await?;
                    }
                    Some("mute") => self.write(redis::Cmd::zadd(k.muting(from), to, at)).await?,
                    Some("request") => {
                        self.write(redis::Cmd::zadd(k.requests(to), from, at))
                            .await?
                    }
                    other => return Err(bad(n, format!("unknown relation {other:?}"))),
                }
            }
            "dms" => {
                let uid = num("uid")?;
                for pair in r["entries"]
                    .as_array()
                    .ok_or_else(|| bad(n, "no entries"))?
                {
                    let (Some(c), Some(at)) = (pair[0].as_str(), pair[1].as_i64()) else {
                        return Err(bad(n, "a conversation entry is [id, time]"));
                    };
                    self.write(redis::Cmd::zadd(k.dm_conversations(uid), c, at))
                        .await?;
                }
                let read = map("read")?;
                if !read.is_empty() {
                    self.write(redis::Cmd::hset_multiple(
                        k.dm_read(uid),
                        &read.iter().collect::<Vec<_>>(),
                    ))
                    .await?;
                }
            }
            "conversation" => {
                let conversation = text("conversation")?;
                if super::direct::participants(&conversation).is_none() {
                    return Err(bad(n, "not a conversation id"));
                }
                for json in r["messages"]
                    .as_array()
                    .ok_or_else(|| bad(n, "no messages"))?
                {
                    let json = json
                        .as_str()
                        .ok_or_else(|| bad(n, "a message is JSON text"))?;
                    let message: roost_shared::Message =
                        serde_json::from_str(json).map_err(|e| bad(n, e))?;
                    self.write(redis::Cmd::zadd(
                        k.dm_messages(&conversation),
                        json,
                        message.id,
                    ))
                    .await?;
                }
                self.write(redis::Cmd::set(k.dm_seq(&conversation), num("seq")?))
                    .await?;
            }
            "notification" => {
                let (to, id, member, at) = (num("to")?, num("id")?, text("member")?, num("at")?);
                self.write(redis::Cmd::zadd(k.notifications(to), &member, id))
                    .await?;
                self.write(redis::Cmd::hset(k.notified_at(to), &member, at))
                    .await?;
            }
            "home" => {
                let uid = num("uid")?;
                let entries = r["entries"]
                    .as_array()
                    .ok_or_else(|| bad(n, "no entries"))?;
                for pair in entries {
                    let (Some(member), Some(score)) = (pair[0].as_str(), pair[1].as_u64()) else {
                        return Err(bad(n, "a home entry is [member, score]"));
                    };
                    self.write(redis::Cmd::zadd(k.home(uid), member, score))
                        .await?;
                }
                let originals = map("originals")?;
                if !originals.is_empty() {
                    self.write(redis::Cmd::hset_multiple(
                        k.home_originals(uid),
                        &originals.iter().collect::<Vec<_>>(),
                    ))
                    .await?;
                }
                // Absent in exports made before merged reads.
                for pair in r["merges"].as_array().into_iter().flatten() {
                    let (Some(merged), Some(at)) = (pair[0].as_u64(), pair[1].as_i64()) else {
                        return Err(bad(n, "a merged account is [uid, ms]"));
                    };
                    self.write(redis::Cmd::zadd(k.merged(uid), merged, at))
                        .await?;
                }
            }
            "report" => {
                let id = num("id")?;
                let fields = map("fields")?;
                let at = fields.get("at").and_then(|a| a.parse::<i64>().ok());
                let at = at.ok_or_else(|| bad(n, "a report without `at`"))?;
                self.write(redis::Cmd::hset_multiple(
                    k.report(id),
                    &fields.iter().collect::<Vec<_>>(),
                ))
                .await?;
                self.write(redis::Cmd::zadd(k.reports("all"), id, at))
                    .await?;
                match fields.get("res_at").and_then(|a| a.parse::<i64>().ok()) {
                    Some(resolved) => {
                        self.write(redis::Cmd::zadd(k.reports("resolved"), id, resolved))
                            .await?
                    }
                    None => {
                        self.write(redis::Cmd::zadd(k.reports("open"), id, at))
                            .await?
                    }
                }
                self.moderation_ids.0 = self.moderation_ids.0.max(id);
            }
            "modlog" => {
                let entry = &r["entry"];
                let id = entry["id"]
                    .as_u64()
                    .ok_or_else(|| bad(n, "an entry without an id"))?;
                self.write(redis::Cmd::lpush(k.modlog(), entry.to_string()))
                    .await?;
                self.moderation_ids.1 = self.moderation_ids.1.max(id);
            }
            "trend" => {
                let minute = r["minute"].as_i64().ok_or_else(|| bad(n, "no minute"))?;
                let tags = r["tags"].as_object().ok_or_else(|| bad(n, "no tags"))?;
                for (tag, count) in tags {
                    self.write(redis::Cmd::zadd(
                        k.trend(minute),
                        tag,
                        count.as_u64().unwrap_or(0),
                    ))
                    .await?;
                }
                let mut expire = redis::cmd("EXPIREAT");
                expire
                    .arg(k.trend(minute))
                    .arg((minute + TREND_MINUTES) * 60);
                self.write(expire).await?;
            }
            other => return Err(bad(n, format!("unknown record type {other:?}"))),
        }
        Ok(())
    }

    /// Every count from the sets loaded, the id counters, the layout version.
    async fn finish(mut self) -> Result<Imported> {
        let k = self.store.keys().clone();
        let counts = std::mem::take(&mut self.counts);
        for (id, [followers, following, posts]) in counts {
            let set = [
                ("followers", followers),
                ("following", following),
                ("posts", posts),
            ];
            self.write(redis::Cmd::hset_multiple(k.counts(id), &set))
                .await?;
        }
        let status_counts = std::mem::take(&mut self.status_counts);
        for (e, [likes, replies, reposts]) in status_counts {
            // A count for a status not carried (a like of one deleted while
            // exporting) would make a ghost hash.
            if !self.loaded.contains(&e) {
                continue;
            }
            let set = [("likes", likes), ("replies", replies), ("reposts", reposts)];
            self.write(redis::Cmd::hset_multiple(k.status(e.uid, e.sid), &set))
                .await?;
        }
        let (reports, entries) = self.moderation_ids;
        self.write(redis::Cmd::set(k.next_report(), reports))
            .await?;
        self.write(redis::Cmd::set(k.next_modlog(), entries))
            .await?;
        let (users, statuses) = self.counters;
        self.write(redis::Cmd::set(k.next_status(), statuses))
            .await?;
        self.write(redis::Cmd::set(k.schema(), SCHEMA)).await?;
        // Last: a namespace with next_user is one that holds data.
        self.write(redis::Cmd::set(k.next_user(), users)).await?;
        self.flush().await?;
        Ok(self.done)
    }
}
