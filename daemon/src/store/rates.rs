//! Rate limits per account (spam): over any 60 s, at most N posts, follows or
//! likes. Kept in Redis, in the account's slot, so every roostd counts the same
//! acts; a refused request counts nothing, and a request that fails after its
//! act was taken gives it back.

use redis::AsyncCommands;

use super::Store;
use super::epoch::random_epoch;
use super::scripts::RATE_TAKE;
use crate::error::{Error, Result};

/// The window every limit counts over.
pub const WINDOW_MS: i64 = 60_000;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Posts, replies and reposts.
    Post,
    Follow,
    Like,
    Dm,
    Report,
}

impl Act {
    fn as_str(self) -> &'static str {
        match self {
            Act::Post => "posts",
            Act::Follow => "follows",
            Act::Like => "likes",
            Act::Dm => "dms",
            Act::Report => "reports",
        }
    }
}

/// An act taken, to give back if the request fails.
#[derive(Debug)]
pub struct Taken {
    uid: u64,
    act: Act,
    token: String,
}

impl Store {
    /// Takes one `act` of `uid`'s `limit` per 60 s; `rate_limited` with
    /// `retry_after` when the account has used them all.
    pub async fn take_act(&self, uid: u64, act: Act, limit: u32, now: i64) -> Result<Taken> {
        let token = format!("{now}:{}", random_epoch());
        let wait_ms: i64 = RATE_TAKE
            .key(self.keys().rate(uid, act.as_str()))
            .arg(now)
            .arg(WINDOW_MS)
            .arg(limit)
            .arg(&token)
            .invoke_async(&mut self.conn())
            .await?;
        if wait_ms > 0 {
            return Err(Error::TooFast {
                what: format!("at most {limit} {} per minute", act.as_str()),
                retry_after: (wait_ms as u64).div_ceil(1000).clamp(1, 60),
            });
        }
        Ok(Taken { uid, act, token })
    }

    /// Gives back an act whose request failed after all.
    pub async fn give_back(&self, taken: Taken) -> Result<()> {
        let _: i64 = self
            .conn()
            .zrem(self.keys().rate(taken.uid, taken.act.as_str()), taken.token)
            .await?;
        Ok(())
    }
}
