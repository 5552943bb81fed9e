//! Statuses: `post`, `delete` and `timeline`.

use roost_shared::time::now_millis;
use roost_shared::{Deleted, Location, Statuses, TimelineKind, validate};
use serde_json::Value;

use super::{check, json, page_and_count};
use crate::error::{Error, Result};
use crate::session::Caller;

pub async fn post(
    caller: &mut Caller<'_>,
    text: &str,
    location: Option<Location>,
) -> Result<Value> {
    check(validate::text(text))?;
    if let Some(l) = location {
        check(validate::location(l.lat, l.lon))?;
    }
    let me = caller.me().await?;
    json(
        caller
            .store()
            .post(&me, text, location, now_millis())
            .await?,
    )
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

pub async fn timeline(
    caller: &mut Caller<'_>,
    kind: TimelineKind,
    login: Option<&str>,
    page: Page,
) -> Result<Value> {
    let store = caller.store();
    let statuses = match (kind, login) {
        (TimelineKind::Home, Some(_)) => {
            return Err(Error::BadRequest(
                "`login` applies to profile timelines only; a home timeline is the caller's".into(),
            ));
        }
        (TimelineKind::Home, None) => store.home(caller.id().await?, page).await?,
        (TimelineKind::Profile, login) => {
            let uid = caller.subject(login).await?;
            store.profile(uid, page).await?
        }
    };
    json(Statuses { statuses })
}
