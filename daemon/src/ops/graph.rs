//! The follow graph: `follow`, `unfollow`, `followers` and `following`.

use roost_shared::time::now_millis;
use roost_shared::{User, Users};
use serde_json::Value;

use super::{json, page_and_count, settle, take};
use crate::error::{Error, Result};
use crate::session::Caller;
use crate::store::rates::Act;
pub use crate::store::safety::OwnList;

pub async fn follow(caller: &mut Caller<'_>, login: &str) -> Result<Value> {
    let (me, them) = pair(caller, login).await?;
    // The account was looked up by `pair`; its record says if it is suspended.
    let account = caller.store().user(me).await?.ok_or(Error::NotRegistered)?;
    super::moderation::active(&account)?;
    match caller.store().blocks_between(me, them.id).await? {
        (_, true) => return Err(Error::Forbidden(format!("@{} blocks you", them.login))),
        (true, _) => {
            return Err(Error::Forbidden(format!(
                "you block @{}: unblock them first",
                them.login
            )));
        }
        _ => {}
    }
    let store = caller.store();
    let taken = take(caller, me, Act::Follow).await?;
    if them.private {
        // A private account is asked; it approves or denies.
        let asked = store.request_follow(me, them.id, now_millis()).await;
        settle(caller, taken, asked).await?;
        let mut them = them;
        them.relationship = Some(store.relationship(me, them.id).await?);
        return json(them);
    }
    let followed = store.follow(me, them.id, now_millis()).await;
    json(settle(caller, taken, followed).await?)
}

pub async fn unfollow(caller: &mut Caller<'_>, login: &str) -> Result<Value> {
    let (me, them) = pair(caller, login).await?;
    let store = caller.store();
    // Withdrawing a pending request is an unfollow too.
    if store.take_request(them.id, me).await? {
        return json(them);
    }
    json(store.unfollow(me, them.id, now_millis()).await?)
}

/// `approve` (the new follower's User) and `deny` (`{"denied": login}`).
pub async fn answer(caller: &mut Caller<'_>, login: &str, approve: bool) -> Result<Value> {
    let me = caller.id().await?;
    let store = caller.store();
    let them = store.user_by_login(login).await?;
    if !store.take_request(me, them.id).await? {
        return Err(Error::NotFound(format!(
            "@{} has not asked to follow you",
            them.login
        )));
    }
    if !approve {
        return json(roost_shared::Denied { denied: them.login });
    }
    store.follow(them.id, me, now_millis()).await?;
    json(
        store
            .user(them.id)
            .await?
            .ok_or_else(|| Error::unknown_user(login))?,
    )
}

/// A block or mute, or its undoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    Block,
    Unblock,
    Mute,
    Unmute,
}

/// `block`, `unblock`, `mute`, `unmute`: the other user, with the caller's
/// relationship to them after.
pub async fn safety(caller: &mut Caller<'_>, login: &str, act: Safety) -> Result<Value> {
    let me = caller.id().await?;
    let store = caller.store();
    let mut them = store.user_by_login(login).await?;
    if them.id == me {
        return Err(Error::BadRequest(
            "you cannot block or mute yourself".into(),
        ));
    }
    let now = now_millis();
    match act {
        Safety::Block => store.block(me, them.id, now).await?,
        Safety::Unblock => store.unblock(me, them.id, now).await?,
        Safety::Mute => store.mute(me, them.id, now).await?,
        Safety::Unmute => store.unmute(me, them.id, now).await?,
    }
    // Counts changed where a block removed follows.
    them = store.user_by_login(login).await?;
    them.relationship = Some(store.relationship(me, them.id).await?);
    json(them)
}

/// `blocks`, `mutes` and `requests`: the caller's own lists, newest first.
pub async fn own_list(
    caller: &mut Caller<'_>,
    list: OwnList,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    let me = caller.id().await?;
    let users = caller.store().own_list(me, list, page, count).await?;
    json(Users { users })
}

/// Which side of the graph a list shows.
#[derive(Debug, Clone, Copy)]
pub enum List {
    Followers,
    Following,
}

pub async fn list(
    caller: &mut Caller<'_>,
    list: List,
    login: Option<&str>,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    let uid = caller.subject(login).await?;
    let store = caller.store();
    let users = match list {
        List::Followers => store.followers(uid, page, count).await?,
        List::Following => store.following(uid, page, count).await?,
    };
    json(Users { users })
}

/// The acting account and the other user of a follow or unfollow.
async fn pair(caller: &mut Caller<'_>, login: &str) -> Result<(u64, User)> {
    let me = caller.id().await?;
    let them = caller.store().user_by_login(login).await?;
    if them.id == me {
        return Err(Error::BadRequest(
            "you cannot follow or unfollow yourself".into(),
        ));
    }
    Ok((me, them))
}
