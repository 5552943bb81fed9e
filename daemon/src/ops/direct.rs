//! Direct messages: `dm`, `conversations`, `messages` and `read`.

use roost_shared::time::now_millis;
use roost_shared::{Conversations, Messages, ReadUpTo, validate};
use serde_json::Value;

use super::{check, json, page_and_count, settle, take};
use crate::error::{Error, Result};
use crate::session::Caller;
use crate::store::direct::participants;
use crate::store::rates::Act;

/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 49;

pub async fn dm(caller: &mut Caller<'_>, to: &[String], text: &str) -> Result<Value> {
    check(validate::text(text))?;
    let me = caller.me().await?;
    super::moderation::active(&me)?;
    let store = caller.store();
    let ids = store.ids_of_logins(to).await?;
    let mut people = vec![me.id];
    for (login, id) in to.iter().zip(ids) {
        let id = id.ok_or_else(|| Error::unknown_user(login))?;
        if !people.contains(&id) {
            people.push(id);
        }
    }
    let recipients = people.len() - 1;
    if !(1..=MAX_RECIPIENTS).contains(&recipients) {
        return Err(Error::BadRequest(format!(
            "a message goes to 1 to {MAX_RECIPIENTS} others; this names {recipients}"
        )));
    }
    for &other in &people[1..] {
        if store.blocks_between(me.id, other).await? != (false, false) {
            return Err(Error::Forbidden(
                "a block stands between you and a recipient: the message is not sent".into(),
            ));
        }
    }
    let taken = take(caller, me.id, Act::Dm).await?;
    let sent = store.send_dm(&me, &people, text, now_millis()).await;
    json(settle(caller, taken, sent).await?)
}

pub async fn conversations(
    caller: &mut Caller<'_>,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    let me = caller.id().await?;
    json(Conversations {
        conversations: caller.store().conversations(me, page, count).await?,
    })
}

/// The caller's own conversation, or `not_found`.
async fn mine(caller: &mut Caller<'_>, conversation: &str) -> Result<u64> {
    let me = caller.id().await?;
    match participants(conversation) {
        Some(people) if people.contains(&me) => Ok(me),
        _ => Err(Error::NotFound(format!(
            "no conversation {conversation:?} of yours"
        ))),
    }
}

pub async fn messages(
    caller: &mut Caller<'_>,
    conversation: &str,
    page: Option<u32>,
    count: Option<u32>,
) -> Result<Value> {
    let (page, count) = page_and_count(page, count)?;
    mine(caller, conversation).await?;
    json(Messages {
        messages: caller.store().messages(conversation, page, count).await?,
    })
}

pub async fn read(caller: &mut Caller<'_>, conversation: &str, message: u64) -> Result<Value> {
    let me = mine(caller, conversation).await?;
    let unread = caller.store().read_dm(me, conversation, message).await?;
    json(ReadUpTo {
        conversation: conversation.to_owned(),
        unread,
    })
}
