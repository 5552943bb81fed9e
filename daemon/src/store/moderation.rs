//! Reports and moderation: reports by anyone, kept for the operators; hidden
//! statuses and suspended accounts (decided by the one visibility function);
//! an audit log of every moderator action. Reports and the log live in the
//! global slot.

use redis::AsyncCommands;
use roost_shared::time::format_millis;
use roost_shared::{ModerationEntry, ReportEntry, Resolution};
use serde_json::json;

use super::conversations::Withdrawn;
use super::events::Restriction;
use super::scripts::{RECOUNT_REPLY, REPORT, RESOLVE_REPORT, RESTRICTED};
use super::statuses::record_from;
use super::{Entry, Fields, Store, field, int_field};
use crate::error::{Error, Result};

/// One entry for the moderation log: what was done, by whom (a login), to
/// which status or account, for which report, with a note, when (ms).
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub action: &'a str,
    pub by: &'a str,
    pub status: Option<u64>,
    pub login: Option<&'a str>,
    pub report: Option<u64>,
    pub note: &'a str,
    pub at: i64,
}

/// Entries the moderation log keeps.
const LOG_KEPT: isize = 100_000;

impl Store {
    /// Files a report; returns its id.
    pub async fn report(
        &self,
        by: u64,
        status: Option<Entry>,
        user: u64,
        reason: &str,
        now: i64,
    ) -> Result<u64> {
        let k = self.keys();
        let id: u64 = REPORT
            .key(k.next_report())
            .key(k.reports("all"))
            .key(k.reports("open"))
            .arg(k.report_prefix())
            .arg(by)
            .arg(status.map(Entry::member).unwrap_or_default())
            .arg(user)
            .arg(reason)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(id)
    }

    /// Resolves a report; `not_found` if there is none such.
    pub async fn resolve_report(
        &self,
        id: u64,
        action: &str,
        by: &str,
        note: &str,
        now: i64,
    ) -> Result<()> {
        let k = self.keys();
        let done: i64 = RESOLVE_REPORT
            .key(k.report(id))
            .key(k.reports("open"))
            .key(k.reports("resolved"))
            .arg(id)
            .arg(action)
            .arg(by)
            .arg(note)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await?;
        if done < 0 {
            return Err(Error::NotFound(format!("no report {id}")));
        }
        Ok(())
    }

    /// A page of reports in `state` (`open`, `resolved`, `all`), newest first.
    pub async fn reports(&self, state: &str, page: u32, count: u32) -> Result<Vec<ReportEntry>> {
        let k = self.keys();
        let start = (i64::from(page) - 1) * i64::from(count);
        let ids: Vec<u64> = self
            .conn()
            .zrevrange(
                k.reports(state),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        let hashes: Vec<Fields> = self
            .query_many(
                ids.iter()
                    .map(|&id| redis::Cmd::hgetall(k.report(id)))
                    .collect(),
            )
            .await?;
        let mut out = Vec::new();
        for (id, r) in ids.into_iter().zip(hashes) {
            let (by, user) = (int_field(&r, "by"), int_field(&r, "user"));
            let mut users = self.users(&[by, user]).await?.into_iter();
            let (Some(Some(by)), Some(Some(user))) = (users.next(), users.next()) else {
                continue;
            };
            // Operators see a status as it is, hidden or not.
            let status = match Entry::parse(field(&r, "status")) {
                Some(e) => {
                    let fields: Fields = self.conn().hgetall(k.status(e.uid, e.sid)).await?;
                    record_from(&fields).map(|rec| rec.status)
                }
                None => None,
            };
            let resolved = field(&r, "state") == "resolved";
            out.push(ReportEntry {
                id,
                by,
                status,
                user,
                reason: field(&r, "reason").to_owned(),
                at: format_millis(int_field(&r, "at") as i64),
                state: if resolved { "resolved" } else { "open" }.into(),
                resolution: resolved.then(|| Resolution {
                    action: field(&r, "res_action").to_owned(),
                    by: field(&r, "res_by").to_owned(),
                    note: field(&r, "res_note").to_owned(),
                    at: format_millis(int_field(&r, "res_at") as i64),
                }),
            });
        }
        Ok(out)
    }

    /// Hides or unhides a status; `not_found` if it is gone. Trending
    /// changes first: a crash between the two steps leaves the status shown
    /// but not counted until the operator asks again.
    pub async fn set_hidden(&self, sid: u64, hidden: bool, now: i64) -> Result<()> {
        let not_found = || Error::NotFound(format!("no status {sid}"));
        let author = self.author_of(sid).await?.ok_or_else(not_found)?;
        let key = self.keys().status(author, sid);
        let fields: Fields = self.conn().hgetall(&key).await?;
        let record = record_from(&fields).ok_or_else(not_found)?;
        self.withdraw_from_trending(&record, Withdrawn::Hidden, hidden, now)
            .await?;
        if hidden {
            let _: i64 = self.conn().hset(key, "hidden", "1").await?;
        } else {
            let _: i64 = self.conn().hdel(key, "hidden").await?;
        }
        let suspended: Option<String> = self
            .conn()
            .hget(self.keys().counts(author), "suspended")
            .await?;
        self.recount_reply(&record, hidden || suspended.as_deref() == Some("1"))
            .await?;
        self.restrict(Restriction::Hidden {
            status: sid,
            on: hidden,
        })
        .await
    }

    /// Suspends or reinstates an account; its statuses leave trending and
    /// their parents' reply counts, or come back.
    pub async fn set_suspended(&self, uid: u64, suspended: bool, now: i64) -> Result<()> {
        let _: i64 = self
            .conn()
            .hset(
                self.keys().counts(uid),
                "suspended",
                if suspended { "1" } else { "0" },
            )
            .await?;
        self.restrict(Restriction::Suspended {
            account: uid,
            on: suspended,
        })
        .await?;
        // One pass over its statuses: they leave trending (while their
        // bucket lasts) and their parents' reply counts, or come back (a
        // reply hidden on its own stays out). Each step is idempotent: after
        // a crash, asking again finishes it.
        let mut start = Some(0);
        while let Some(at) = start {
            let (records, next) = self.records_page(uid, at).await?;
            for record in &records {
                self.withdraw_from_trending(record, Withdrawn::Suspended, suspended, now)
                    .await?;
                self.recount_reply(record, suspended || record.status.hidden)
                    .await?;
            }
            start = next;
        }
        Ok(())
    }

    /// A reply's place in its parent's `replies` count: out while it is
    /// hidden or its author suspended.
    async fn recount_reply(&self, record: &super::Record, out: bool) -> Result<()> {
        let Some(parent) = record.parent() else {
            return Ok(());
        };
        let k = self.keys();
        let _: i64 = RECOUNT_REPLY
            .key(k.status(parent.uid, parent.sid))
            .key(k.replies(parent.uid, parent.sid))
            .arg(record.entry().member())
            .arg(record.status.id)
            .arg(u8::from(out))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Records a restriction in its global set, logging the change for the
    /// streams (which keep those sets in memory).
    pub(crate) async fn restrict(&self, change: Restriction) -> Result<()> {
        let k = self.keys();
        let (set, what, id, on) = match change {
            Restriction::Hidden { status, on } => (k.hidden_statuses(), "status", status, on),
            Restriction::Suspended { account, on } => {
                (k.suspended_accounts(), "account", account, on)
            }
            Restriction::Private { account, on } => (k.private_accounts(), "private", account, on),
        };
        let _: i64 = RESTRICTED
            .key(set)
            .key(k.events())
            .arg(id)
            .arg(u8::from(on))
            .arg(self.limits.event_log_len)
            .arg(what)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The hidden statuses, suspended accounts and private accounts, for
    /// the streams.
    pub async fn restrictions(&self) -> Result<(Vec<u64>, Vec<u64>, Vec<u64>)> {
        let k = self.keys();
        Ok(redis::pipe()
            .smembers(k.hidden_statuses())
            .smembers(k.suspended_accounts())
            .smembers(k.private_accounts())
            .query_async(&mut self.conn())
            .await?)
    }

    /// Appends entries to the moderation log, in order, in one round trip
    /// (their ids taken together).
    pub async fn log_moderation(&self, entries: &[NewEntry<'_>]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let k = self.keys();
        let last: u64 = self
            .conn()
            .incr(k.next_modlog(), entries.len() as u64)
            .await?;
        let first = last + 1 - entries.len() as u64;
        let mut pipe = redis::pipe();
        for (id, e) in (first..).zip(entries) {
            let entry = json!({"id": id, "action": e.action, "by": e.by, "status": e.status,
                               "login": e.login, "report": e.report, "note": e.note,
                               "at": format_millis(e.at)});
            pipe.lpush(k.modlog(), entry.to_string()).ignore();
        }
        pipe.ltrim(k.modlog(), 0, LOG_KEPT - 1).ignore();
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// A page of the moderation log, newest first.
    pub async fn moderation_log(&self, page: u32, count: u32) -> Result<Vec<ModerationEntry>> {
        let start = (i64::from(page) - 1) * i64::from(count);
        let lines: Vec<String> = self
            .conn()
            .lrange(
                self.keys().modlog(),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        Ok(lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}
