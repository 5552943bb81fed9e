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
//! the global sets from the flags every account and status carries (the
//! repair of `roostd check`'s invariant that they agree).

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
            // crash before the version is recorded): it makes sets agree with flags.
            if version == 2 {
                self.restore_restrictions().await?;
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

    async fn fresh_data(&self) -> Result<bool> {
        use redis::AsyncCommands;
        let users: Option<u64> = self.conn().get(self.keys().next_user()).await?;
        Ok(users.is_none())
    }
}
