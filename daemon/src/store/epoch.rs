//! The data epoch: a random value kept in Redis (`{ns}:epoch`) that names one
//! life of the data. When Redis loses its data (a restart without persistence,
//! a flush), the key is gone; the next look makes a new epoch, and every
//! connection that cached an account id looks it up again (and logins cached
//! in an older epoch are read again), so an old connection never acts for
//! whoever gets its id next. Ids are not handed out
//! again either: a new life of the data starts its ids above every account id
//! this roostd has seen.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::Store;
use super::scripts::EPOCH;
use crate::error::Result;

impl Store {
    /// The epoch as last seen (0 before the first look).
    pub fn epoch(&self) -> u64 {
        self.shared.epoch.load(Ordering::Relaxed)
    }

    /// Looks at the epoch in Redis, making a new one where the data has none;
    /// returns true when it changed since the last look.
    pub async fn refresh_epoch(&self) -> Result<bool> {
        let k = self.keys();
        let fresh = random_epoch();
        let epoch: u64 = EPOCH
            .key(k.epoch())
            .key(k.next_user())
            .arg(fresh)
            .arg(self.highest_account())
            .invoke_async(&mut self.conn())
            .await?;
        let before = self.shared.epoch.swap(epoch, Ordering::Relaxed);
        Ok(before != 0 && before != epoch)
    }

    /// Looks at the epoch every `period` until `stop`.
    pub async fn watch_epoch(self, period: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            match self.refresh_epoch().await {
                Ok(true) => {
                    tracing::warn!("Redis lost its data: connections look their accounts up again")
                }
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "reading the data epoch failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// Remembers that account `id` exists (or existed).
    pub(super) fn saw_account(&self, id: u64) {
        self.shared.highest_account.fetch_max(id, Ordering::Relaxed);
    }

    /// The account a login (lowercased) names, as read in this epoch.
    pub(super) fn cached_login(&self, login: &str, epoch: u64) -> Option<u64> {
        let logins = self.shared.logins.lock().unwrap_or_else(|p| p.into_inner());
        logins
            .get(login)
            .filter(|(_, seen)| *seen == epoch && epoch != 0)
            .map(|(id, _)| *id)
    }

    /// Remembers the account a login names, read in `epoch`.
    pub(super) fn cache_login(&self, login: String, id: u64, epoch: u64) {
        let mut logins = self.shared.logins.lock().unwrap_or_else(|p| p.into_inner());
        if logins.len() >= super::LOGINS_CACHED {
            logins.clear();
        }
        logins.insert(login, (id, epoch));
    }

    /// The highest account id this roostd has seen: new ids go above it.
    pub(super) fn highest_account(&self) -> u64 {
        self.shared.highest_account.load(Ordering::Relaxed)
    }
}

/// A random non-zero epoch, without file I/O (it is made every look, and
/// used only when the data has none): the standard library's per-process
/// random hash keys over the time.
pub(crate) fn random_epoch() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    // Below 2^53, so Lua numbers hold it exactly.
    (hasher.finish() >> 11).max(1)
}
