//! Conversations: `repost`, `unrepost`, `like`, `unlike`, `likes`, `thread`,
//! `trending` and `notifications`. Replies are `post`s with `reply_to` (see
//! `statuses`). Each act on a repost's id acts on its original.

use roost_shared::time::now_millis;
use roost_shared::{Liked, Notifications, Trending, Unreposted, Users};
use serde_json::Value;

use super::{json, page_and_count, settle, take};
use crate::error::{Error, Result};
use crate::session::Caller;
use crate::store::rates::Act;
use crate::store::{Draft, Entry};

pub async fn repost(caller: &mut Caller<'_>, status: u64) -> Result<Value> {
    let me = caller.me().await?;
    super::moderation::active(&me)?;
    let store = caller.store();
    let original = store
        .target(Some(me.id), status)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no status {status}")))?;
    if original.uid != me.id && store.is_private(original.uid).await? {
        return Err(Error::Forbidden(format!(
            "@{}'s statuses are for their followers: they cannot be reposted",
            original.login
        )));
    }
    let draft = Draft {
        text: &original.text,
        repost_of: Some(&original),
        ..Draft::default()
    };
    let taken = take(caller, me.id, Act::Post).await?;
    let posted = store.post(&me, draft, now_millis()).await;
    let mut repost = settle(caller, taken, posted).await?;
    if let Some(original) = repost.repost_of.as_deref_mut() {
        original.reposts += 1;
        original.reposted = true;
        repost.reposts = original.reposts;
        repost.likes = original.likes;
        repost.replies = original.replies;
        repost.liked = original.liked;
        repost.reposted = true;
    }
    json(repost)
}

pub async fn unrepost(caller: &mut Caller<'_>, status: u64) -> Result<Value> {
    let me = caller.id().await?;
    let store = caller.store();
    let not_reposted = || Error::NotFound(format!("you have not reposted status {status}"));
    let original = store
        .target(Some(me), status)
        .await?
        .ok_or_else(not_reposted)?;
    let entry = Entry {
        uid: original.uid,
        sid: original.id,
    };
    let repost = store
        .repost_of_by(entry, me)
        .await?
        .ok_or_else(not_reposted)?;
    match store.delete(me, repost).await {
        Ok(()) | Err(Error::NotFound(_)) => json(Unreposted {
            unreposted: original.id,
        }),
        Err(e) => Err(e),
    }
}

/// Most replies `thread` returns, and its default.
const THREAD_MAX: u32 = 1000;
const THREAD_DEFAULT: u32 = 200;
/// Longest `trending` window, in hours.
const TRENDING_HOURS_MAX: u32 = 24;

pub async fn like(caller: &mut Caller<'_>, status: u64) -> Result<Value> {
    let me = caller.me().await?;
    super::moderation::active(&me)?;
    let taken = take(caller, me.id, Act::Like).await?;
    let liked = caller.store().like(&me, status, now_millis()).await;
    let likes = settle(caller, taken, liked).await?;
    json(Liked { status, likes })
}

pub async fn unlike(caller: &mut Caller<'_>, status: u64) -> Result<Value> {
    let me = caller.id().await?;
    let likes = caller.store().unlike(me, status).await?;
    json(Liked { status, likes })
}

pub async fn likes(
    caller: &mut Caller<'_>,
    status: u64,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    let viewer = Some(caller.id().await?);
    let users = caller.store().likers(viewer, status, page, count).await?;
    json(Users { users })
}

pub async fn thread(caller: &mut Caller<'_>, status: u64, count: Option<u32>) -> Result<Value> {
    let count = count.unwrap_or(THREAD_DEFAULT);
    if !(1..=THREAD_MAX).contains(&count) {
        return Err(Error::BadRequest(format!(
            "count must be 1 to {THREAD_MAX}"
        )));
    }
    let viewer = Some(caller.id().await?);
    json(
        caller
            .store()
            .thread(viewer, status, count as usize)
            .await?,
    )
}

pub async fn trending(caller: &mut Caller<'_>, hours: Option<u32>) -> Result<Value> {
    let hours = hours.unwrap_or(1);
    if !(1..=TRENDING_HOURS_MAX).contains(&hours) {
        return Err(Error::BadRequest(format!(
            "hours must be 1 to {TRENDING_HOURS_MAX}"
        )));
    }
    caller.id().await?;
    let tags = caller.store().trending(hours, now_millis()).await?;
    json(Trending { tags })
}

pub async fn notifications(
    caller: &mut Caller<'_>,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    let me = caller.id().await?;
    let (notifications, unread) = caller.store().notifications(me, page, count).await?;
    json(Notifications {
        notifications,
        unread,
    })
}
