//! Reports and moderation: `report` by anyone with an account; `reports`,
//! `moderate` and `moderation_log` for operators only. Every moderator action
//! is logged with who did it and when.

use roost_shared::time::now_millis;
use roost_shared::{ModerationLog, Reports, User};
use serde_json::{Value, json};

use super::{json, page_and_count, settle, take};
use crate::error::{Error, Result};
use crate::identity::unix_user_name;
use crate::session::Caller;
use crate::store::moderation::NewEntry;
use crate::store::rates::Act;
use crate::store::{Entry, Store};

/// Longest report reason, in characters.
const REASON_MAX: usize = 500;

/// `forbidden` for a suspended account's acts.
pub fn active(user: &User) -> Result<()> {
    if user.suspended {
        return Err(Error::Forbidden(
            "your account is suspended: it can read, and delete, unfollow, unblock, unmute".into(),
        ));
    }
    Ok(())
}

pub async fn report(
    caller: &mut Caller<'_>,
    status: Option<u64>,
    login: Option<String>,
    reason: &str,
) -> Result<Value> {
    let len = reason.chars().count();
    if reason.trim().is_empty() || len > REASON_MAX || reason.chars().any(char::is_control) {
        return Err(Error::BadRequest(format!(
            "reason must be 1 to {REASON_MAX} characters, no control characters"
        )));
    }
    let me = caller.me().await?;
    active(&me)?;
    let store = caller.store();
    let (entry, user) = match (status, login) {
        (Some(sid), None) => {
            let s = store
                .target(Some(me.id), sid)
                .await?
                .ok_or_else(|| Error::NotFound(format!("no status {sid}")))?;
            (
                Some(Entry {
                    uid: s.uid,
                    sid: s.id,
                }),
                s.uid,
            )
        }
        (None, Some(login)) => (None, store.user_by_login(&login).await?.id),
        _ => {
            return Err(Error::BadRequest(
                "report takes a `status` or a `login`, not both".into(),
            ));
        }
    };
    let taken = take(caller, me.id, Act::Report).await?;
    let filed = store.report(me.id, entry, user, reason, now_millis()).await;
    json(json!({"report": settle(caller, taken, filed).await?}))
}

/// The operator's name in the log: their account's login, else their Unix
/// user name (`root`).
async fn operator(caller: &mut Caller<'_>) -> Result<String> {
    if !caller.peer().operator {
        return Err(Error::Forbidden("only operators moderate".into()));
    }
    operator_name(caller.store(), caller.peer().uid).await
}

/// An operator's name in the log: their account's login, else their Unix
/// user name (`root`).
pub async fn operator_name(store: &Store, uid: u32) -> Result<String> {
    if let Some(id) = store.id_of_unix_uid(uid).await?
        && let Some(user) = store.user(id).await?
    {
        return Ok(user.login);
    }
    Ok(unix_user_name(uid).unwrap_or_else(|| format!("uid {uid}")))
}

pub async fn reports(
    caller: &mut Caller<'_>,
    state: Option<String>,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    operator(caller).await?;
    let (page, count) = page_and_count(page, count)?;
    let state = state.unwrap_or_else(|| "open".into());
    if !matches!(state.as_str(), "open" | "resolved" | "all") {
        return Err(Error::BadRequest("state is open, resolved or all".into()));
    }
    json(Reports {
        reports: caller.store().reports(&state, page, count).await?,
    })
}

pub async fn moderate(
    caller: &mut Caller<'_>,
    action: &str,
    status: Option<u64>,
    login: Option<String>,
    report: Option<u64>,
    note: Option<String>,
) -> Result<Value> {
    let by = operator(caller).await?;
    let store = caller.store();
    let note = note.unwrap_or_default();
    let now = now_millis();
    let need = |what: &str| Error::BadRequest(format!("{action} needs `{what}`"));
    match action {
        "hide" | "unhide" => {
            let sid = status.ok_or_else(|| need("status"))?;
            store.set_hidden(sid, action == "hide", now).await?;
        }
        "suspend" | "unsuspend" => {
            let login = login.as_deref().ok_or_else(|| need("login"))?;
            let user = store.user_by_login(login).await?;
            store
                .set_suspended(user.id, action == "suspend", now)
                .await?;
        }
        "dismiss" => {
            report.ok_or_else(|| need("report"))?;
        }
        other => {
            return Err(Error::BadRequest(format!(
                "unknown action {other:?}: hide, unhide, suspend, unsuspend or dismiss"
            )));
        }
    }
    if let Some(id) = report {
        store.resolve_report(id, action, &by, &note, now).await?;
    }
    let entry = NewEntry {
        action,
        by: &by,
        status,
        login: login.as_deref(),
        report,
        note: &note,
        at: now,
    };
    store.log_moderation(&[entry]).await?;
    json(json!({"action": action, "done": true}))
}

pub async fn log(caller: &mut Caller<'_>, page: Option<u32>, count: Option<u32>) -> Result<Value> {
    operator(caller).await?;
    let (page, count) = page_and_count(page, count)?;
    json(ModerationLog {
        entries: caller.store().moderation_log(page, count).await?,
    })
}
