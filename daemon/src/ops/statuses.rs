//! Statuses: `post` (replies included), `delete` and `timeline` of every kind.

use roost_shared::time::now_millis;
use roost_shared::{Deleted, Location, Order, Statuses, TimelineKind, User, validate};
use serde_json::Value;

use super::{check, json, page_and_count, settle, take};
use crate::error::{Error, Result};
use crate::session::Caller;
use crate::store::rates::Act;
use crate::store::{Draft, Timeline};
use crate::stream::filter::{Marks, tag};

pub async fn post(
    caller: &mut Caller<'_>,
    text: &str,
    location: Option<Location>,
    reply_to: Option<u64>,
) -> Result<Value> {
    check(validate::text(text))?;
    if let Some(l) = location {
        check(validate::location(l.lat, l.lon))?;
    }
    let me = caller.me().await?;
    super::moderation::active(&me)?;
    let store = caller.store();
    let parent = match reply_to {
        Some(sid) => Some(
            store
                .target(Some(me.id), sid)
                .await?
                .ok_or_else(|| Error::NotFound(format!("reply_to: no status {sid}")))?,
        ),
        None => None,
    };
    let marks = Marks::of(text);
    let draft = Draft {
        text,
        location,
        reply_to: parent.as_ref(),
        repost_of: None,
        mentions: accounts_named(caller, &marks.mentions).await?,
        tags: marks.tags,
    };
    let taken = take(caller, me.id, Act::Post).await?;
    let posted = store.post(&me, draft, now_millis()).await;
    json(settle(caller, taken, posted).await?)
}

/// The accounts among `logins` (as written after `@`), in order, each once.
async fn accounts_named(caller: &Caller<'_>, logins: &[String]) -> Result<Vec<User>> {
    let store = caller.store();
    let mut ids: Vec<u64> = Vec::new();
    for id in store.ids_of_logins(logins).await?.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(store.users(&ids).await?.into_iter().flatten().collect())
}

pub async fn delete(caller: &mut Caller<'_>, status: u64) -> Result<Value> {
    let me = caller.id().await?;
    caller.store().delete(me, status).await?;
    json(Deleted { deleted: status })
}

pub use crate::store::Page;

impl Page {
    /// The page a request asks for, checked.
    pub fn new(page: Option<u32>, count: Option<u32>, before: Option<u64>) -> Result<Page> {
        let (page, count) = page_and_count(page, count)?;
        Ok(Page {
            page,
            count,
            before,
        })
    }
}

/// What `timeline` reads besides its kind and page.
pub struct TimelineParams<'a> {
    pub login: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub order: Order,
}

pub async fn timeline(
    caller: &mut Caller<'_>,
    kind: TimelineKind,
    params: TimelineParams<'_>,
    page: Page,
) -> Result<Value> {
    let bad = |what: &str| Err(Error::BadRequest(what.into()));
    if params.order == Order::Importance && kind != TimelineKind::Home {
        return bad("`order: \"importance\"` applies to the home timeline only");
    }
    if params.tag.is_some() && kind != TimelineKind::Tag {
        return bad("`tag` applies to tag timelines only");
    }
    if params.login.is_some() && !matches!(kind, TimelineKind::Profile | TimelineKind::Likes) {
        return bad("`login` applies to profile and likes timelines only");
    }
    // One look at who acts (with `as`, a lookup in Redis) serves the read.
    let viewer = caller.account().await?;
    let me = viewer.ok_or(Error::NotRegistered);
    let store = caller.store();
    let statuses = match kind {
        TimelineKind::Home => {
            let me = me?;
            match params.order {
                Order::Importance if page.before.is_some() => {
                    return bad("`before` does not apply to the importance order");
                }
                Order::Importance => store.home_by_importance(me, page).await?,
                Order::Newest => store.timeline(viewer, Timeline::Home(me), page).await?,
            }
        }
        TimelineKind::Profile => {
            let uid = match params.login {
                Some(login) => caller.subject(Some(login)).await?,
                None => me?,
            };
            store.timeline(viewer, Timeline::Profile(uid), page).await?
        }
        TimelineKind::Mentions => {
            let me = me?;
            store.timeline(viewer, Timeline::Mentions(me), page).await?
        }
        TimelineKind::Tag => {
            let Some(name) = params.tag else {
                return bad("a tag timeline needs `tag`");
            };
            let Some(folded) = tag(name) else {
                return bad("`tag` must be one word of letters, digits and _, with or without #");
            };
            store.timeline(viewer, Timeline::Tag(&folded), page).await?
        }
        TimelineKind::Likes => {
            if page.before.is_some() {
                return bad("`before` does not apply to likes timelines (they are in like order)");
            }
            let uid = match params.login {
                Some(login) => caller.subject(Some(login)).await?,
                None => me?,
            };
            store.liked(viewer, uid, page.page, page.count).await?
        }
    };
    json(Statuses { statuses })
}
