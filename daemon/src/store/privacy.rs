//! Private accounts and follow requests: a private account's statuses are for
//! its approved followers; `follow` asks instead of following, and the account
//! approves or denies. The flag lives in the account's counts hash (its slot),
//! read with every status it wrote.

use redis::AsyncCommands;
use roost_shared::NotificationKind;

use super::conversations::Withdrawn;
use super::events::Restriction;
use super::scripts::{REQUEST, REQUEST_TAKE};
use super::statuses::notification_member;
use super::{Entry, Store};
use crate::error::{Error, Result};

/// The member of the `request` notification `requester` causes.
fn request_notification(requester: u64) -> String {
    notification_member(
        NotificationKind::Request,
        requester,
        Entry { uid: 0, sid: 0 },
    )
}

impl Store {
    /// Whether the account is private.
    pub async fn is_private(&self, uid: u64) -> Result<bool> {
        let flag: Option<String> = self.conn().hget(self.keys().counts(uid), "private").await?;
        Ok(flag.as_deref() == Some("1"))
    }

    /// Whether `viewer` may read `author`'s statuses as far as privacy goes
    /// (blocks are decided apart): the author is public, or the viewer is the
    /// author or an approved follower.
    pub async fn can_read(&self, viewer: u64, author: u64) -> Result<bool> {
        if viewer == author {
            return Ok(true);
        }
        // Both in the author's slot: one round trip.
        let k = self.keys();
        let (private, follows): (Option<String>, Option<f64>) = redis::pipe()
            .hget(k.counts(author), "private")
            .zscore(k.followers(author), viewer)
            .query_async(&mut self.conn())
            .await?;
        Ok(private.as_deref() != Some("1") || follows.is_some())
    }

    /// Makes an account private or public. Turning it public turns every
    /// pending request into a follow; turning it private keeps the followers.
    /// Its recent public statuses leave trending while it is private.
    pub async fn set_private(&self, uid: u64, private: bool, now: i64) -> Result<()> {
        let k = self.keys();
        self.withdraw_account_from_trending(uid, Withdrawn::Private, private, now)
            .await?;
        let _: i64 = self
            .conn()
            .hset(k.counts(uid), "private", if private { "1" } else { "0" })
            .await?;
        self.restrict(Restriction::Private {
            account: uid,
            on: private,
        })
        .await?;
        if private {
            return Ok(());
        }
        let asking: Vec<u64> = self.conn().zrange(k.requests(uid), 0, -1).await?;
        for requester in asking {
            if self.take_request(uid, requester).await? {
                match self.follow(requester, uid, now).await {
                    Ok(_) | Err(Error::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// `requester` asks to follow the private `target`: `conflict` when asking
    /// already (or following already).
    pub async fn request_follow(&self, requester: u64, target: u64, now: i64) -> Result<()> {
        let k = self.keys();
        let notify = if self.may_notify(target, requester).await? {
            request_notification(requester)
        } else {
            String::new()
        };
        let asked: i64 = REQUEST
            .key(k.requests(target))
            .key(k.followers(target))
            .key(k.notifications(target))
            .key(k.notified_at(target))
            .key(k.counts(target))
            .arg(requester)
            .arg(now)
            .arg(notify)
            .invoke_async(&mut self.conn())
            .await?;
        match asked {
            1 => Ok(()),
            0 => Err(Error::Conflict(
                "asked already: waiting for approval".into(),
            )),
            _ => Err(Error::Conflict("already following".into())),
        }
    }

    /// Takes `requester`'s request to follow `target` away, with its
    /// notification; true if there was one.
    pub async fn take_request(&self, target: u64, requester: u64) -> Result<bool> {
        let k = self.keys();
        let removed: i64 = REQUEST_TAKE
            .key(k.requests(target))
            .key(k.notifications(target))
            .key(k.notified_at(target))
            .arg(requester)
            .arg(request_notification(requester))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(removed == 1)
    }

    /// Whether `requester` waits for `target`'s approval.
    pub async fn requested(&self, requester: u64, target: u64) -> Result<bool> {
        let score: Option<f64> = self
            .conn()
            .zscore(self.keys().requests(target), requester)
            .await?;
        Ok(score.is_some())
    }
}
