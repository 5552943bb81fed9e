//! The version of the data layout, kept in Redis (`{ns}:schema`), so a roostd
//! never works on data laid out in a way it does not know: at start it
//! upgrades an older layout, step by step, and refuses a newer one.
//!
//! | version | layout |
//! |---|---|
//! | 1 | accounts, statuses, home and profile timelines, follows, jobs, the event log (issues 1 to 8; it carried no version key) |
//! | 2 | conversations: status counts; replies, thread children, likes and reposts per status; mentions, likes, notifications and repost originals per account; tag timelines; trending buckets |
//! | 3 | privacy and safety's global sets for the streams: hidden statuses, suspended and private accounts; trending's `trend_out` |
//!
//! Version 1 data is valid version 2 data (every new field and key reads as
//! empty), so that step only records the new version. The step to 3 fills
//! the global sets from the flags every account and status carries.

use super::Store;
use super::scripts::{SCHEMA_ADVANCE, SCHEMA_READ};
use crate::error::Result;

/// The layout this roostd reads and writes.
pub const SCHEMA: u64 = 3;

/// What [`Store::upgrade_schema`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// No data yet: marked as this roostd's layout.
    Fresh,
    /// Already this roostd's layout.
    Current,
    /// Upgraded from an older layout.
    Upgraded { from: u64 },
    /// Laid out by a newer roostd: left alone.
    TooNew { found: u64 },
}

impl Store {
    /// Reads the data's layout version and upgrades it to [`SCHEMA`]; a
    /// layout newer than this roostd knows is left alone and told.
    pub async fn upgrade_schema(&self) -> Result<Schema> {
        let k = self.keys();
        let found: u64 = SCHEMA_READ
            .key(k.schema())
            .key(k.next_user())
            .arg(SCHEMA)
            .invoke_async(&mut self.conn())
            .await?;
        if found > SCHEMA {
            return Ok(Schema::TooNew { found });
        }
        if found == SCHEMA {
            // A fresh data set was marked in the same step that read it.
            return Ok(if self.fresh_data().await? {
                Schema::Fresh
            } else {
                Schema::Current
            });
        }
        for version in found..SCHEMA {
            // Each step rewrites what it must (nothing, from 1 to 2), then
            // records its version, only if no other roostd did meanwhile.
            // Each rewrite may run twice (two roostd starting together, or a
            // crash before the version is recorded): it only adds to sets.
            if version == 2 {
                self.fill_restrictions().await?;
            }
            let _: i64 = SCHEMA_ADVANCE
                .key(k.schema())
                .arg(version)
                .arg(version + 1)
                .invoke_async(&mut self.conn())
                .await?;
        }
        Ok(Schema::Upgraded { from: found })
    }

    /// The step to 3: every private or suspended account and every hidden
    /// status into its global set, a page of accounts per round trip.
    async fn fill_restrictions(&self) -> Result<()> {
        use redis::AsyncCommands;
        const PAGE: u64 = 500;
        let k = self.keys();
        let users: Option<u64> = self.conn().get(k.next_user()).await?;
        let users = users.unwrap_or(0);
        let mut first = 1;
        while first <= users {
            let ids: Vec<u64> = (first..=(first + PAGE - 1).min(users)).collect();
            first += PAGE;
            // Accounts (and their statuses) span slots: read per slot.
            let mut cmds = Vec::new();
            for &id in &ids {
                cmds.push(redis::Cmd::hget(k.counts(id), "private"));
                cmds.push(redis::Cmd::hget(k.counts(id), "suspended"));
                cmds.push(redis::Cmd::zrange(k.profile(id), 0, -1));
            }
            let found: Vec<redis::Value> = self.query_many(cmds).await?;
            let mut fill = Vec::new();
            let mut statuses = Vec::new();
            for (&id, r) in ids.iter().zip(found.chunks(3)) {
                let flag = |i: usize| -> Result<bool> {
                    let v: Option<String> = super::decode(r[i].clone())?;
                    Ok(v.as_deref() == Some("1"))
                };
                if flag(0)? {
                    fill.push(redis::Cmd::sadd(k.private_accounts(), id));
                }
                if flag(1)? {
                    fill.push(redis::Cmd::sadd(k.suspended_accounts(), id));
                }
                let profile: Vec<String> = super::decode(r[2].clone())?;
                statuses.extend(profile.iter().filter_map(|m| super::Entry::parse(m)));
            }
            let cmds = statuses
                .iter()
                .map(|e| redis::Cmd::hget(k.status(e.uid, e.sid), "hidden"))
                .collect();
            let flags: Vec<Option<String>> = self.query_many(cmds).await?;
            for (e, flag) in statuses.iter().zip(flags) {
                if flag.as_deref() == Some("1") {
                    fill.push(redis::Cmd::sadd(k.hidden_statuses(), e.sid));
                }
            }
            let _: Vec<i64> = self.query_many(fill).await?;
        }
        Ok(())
    }

    async fn fresh_data(&self) -> Result<bool> {
        use redis::AsyncCommands;
        let users: Option<u64> = self.conn().get(self.keys().next_user()).await?;
        Ok(users.is_none())
    }
}
