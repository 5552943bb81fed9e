//! Live streams on the connection: `subscribe` and `unsubscribe`. A
//! subscription's life is `stream::subscription`'s; these only check the
//! caller and the limits and keep the handle on the session.

use roost_shared::{Eid, Response, Stream, Subscribed};
use serde_json::Value;

use super::json;
use crate::connection::Outgoing;
use crate::error::Result;
use crate::session::Caller;
use crate::stream::{self, subscription};

/// Subscribes: the answer goes out ahead of the replay (with `since`), so
/// nothing is returned to answer.
pub async fn subscribe(
    caller: &mut Caller<'_>,
    id: &Value,
    spec: &Stream,
    since: Option<Eid>,
) -> Result<()> {
    let account = caller.account().await?;
    caller.session.subscriptions.check_room()?;
    let owner = stream::identity(account, caller.peer().uid);
    let daemon = caller.daemon;
    let matcher = stream::compile(daemon.store(), spec, account, owner).await?;
    let request = subscription::Request {
        matcher,
        owner,
        max_per_owner: daemon.config().max_subs_per_account,
        since,
        stall: daemon.config().stall_timeout(),
    };
    let answer = |sub| {
        let answer = Response::success(id.clone(), json(Subscribed { sub })?);
        Ok(Outgoing::Response(Box::new(answer)))
    };
    let queue = &caller.session.queue;
    let subscription = subscription::start(
        daemon.hub(),
        daemon.store(),
        daemon.replays(),
        queue,
        request,
        answer,
    )
    .await?;
    caller.session.subscriptions.insert(subscription);
    Ok(())
}

pub fn unsubscribe(caller: &mut Caller<'_>, sub: u64) -> Result<Value> {
    caller.session.subscriptions.end(sub)?;
    json(Subscribed { sub })
}
