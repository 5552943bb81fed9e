//! One request line in, one response out: parse, check identity, call the store.
//!
//! Parsing goes in steps so each mistake gets the right code: not UTF-8 or not
//! JSON or not an object is `bad_request`; an `op` the protocol doesn't have is
//! `unknown_op`; a known op with missing, mistyped or out-of-range fields is
//! `bad_request` with a message that names the field.

use roost_shared::time::now_millis;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use roost_shared::{
    Deleted, ErrorCode, Hello, PROTOCOL_VERSION, Request, Response, Statuses, Subscribed,
    TimelineKind, Token, User, Users, validate,
};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::Daemon;
use crate::connection::SubTable;
use crate::error::{Error, Result};
use crate::identity::{Peer, unix_user_name};
use crate::store::Owner;
use crate::stream::{Outgoing, Sink};

/// What one connection knows about its caller.
#[derive(Debug)]
pub struct Session {
    pub peer: Peer,
    /// The caller's own account, once known (accounts are never removed).
    account: Option<u64>,
    wire: Wire,
}

/// A connection's way to send subscription events, and its subscriptions.
#[derive(Debug, Clone)]
pub struct Wire {
    pub out: mpsc::Sender<Outgoing>,
    pub subs: SubTable,
    pub closer: Arc<Notify>,
}

impl Session {
    pub fn new(peer: Peer, wire: Wire) -> Session {
        Session {
            peer,
            account: None,
            wire,
        }
    }

    /// Ends every subscription of the connection.
    pub fn close(&mut self, daemon: &Daemon) {
        let subs: Vec<u64> = self
            .wire
            .subs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(s, _)| s)
            .collect();
        for sub in subs {
            daemon.hub().unregister(sub);
        }
    }
}

/// Answers one request line. The answer is usually returned; a subscription's
/// answer is sent ahead of its replayed events instead, and `None` returned.
pub async fn apply(daemon: &Daemon, session: &mut Session, line: &[u8]) -> Option<Response> {
    let (id, as_login, request) = match parse(line) {
        Ok(parsed) => parsed,
        Err((id, code, message)) => return Some(Response::failure(id, code, message)),
    };
    let result = match request {
        Request::Subscribe { stream, since } => {
            subscribe(
                daemon,
                session,
                as_login.as_deref(),
                &id,
                &stream,
                since.as_deref(),
            )
            .await
        }
        request => execute(daemon, session, as_login.as_deref(), request)
            .await
            .map(Some),
    };
    match result {
        Ok(Some(result)) => Some(Response::success(id, result)),
        Ok(None) => None,
        Err(e) => {
            if matches!(e.code(), ErrorCode::Internal | ErrorCode::Unavailable) {
                tracing::warn!(error = %e, "request failed");
            }
            Some(Response::failure(id, e.code(), e.to_string()))
        }
    }
}

/// Starts a subscription: its answer, then (with `since`) the replay, then live
/// events. Live events that arrive meanwhile are held by the writer until the
/// answer and the replay are out, and those the replay covered are dropped.
async fn subscribe(
    daemon: &Daemon,
    session: &mut Session,
    as_login: Option<&str>,
    id: &Value,
    stream: &roost_shared::Stream,
    since: Option<&str>,
) -> Result<Option<Value>> {
    let account = acting(daemon, session, as_login).await?;
    let identity = crate::stream::identity(account, session.peer.uid);
    let matcher = crate::stream::compile(daemon, stream, account, identity).await?;
    let after = match since {
        Some(since) => Some(
            crate::store::stream_id_of(since)
                .ok_or_else(|| Error::BadRequest(format!("since {since:?} is not an eid")))?,
        ),
        None => None,
    };
    let config = daemon.config();
    let wire = session.wire.clone();
    let dropped = Arc::new(AtomicU64::new(0));
    let sub = daemon.hub().next_id();
    {
        let mut subs = wire.subs.lock().unwrap_or_else(|p| p.into_inner());
        if subs.len() >= config.max_subs_per_connection {
            return Err(Error::RateLimited(format!(
                "at most {} subscriptions per connection",
                config.max_subs_per_connection
            )));
        }
        subs.insert(sub, dropped.clone());
    }
    let gone = || Error::Internal("the connection is closing".into());
    wire.out
        .send(Outgoing::Begin(sub))
        .await
        .map_err(|_| gone())?;
    let sink = Sink {
        tx: wire.out.clone(),
        dropped,
        closer: wire.closer.clone(),
    };
    if !daemon.hub().register(
        sub,
        identity,
        config.max_subs_per_account,
        matcher.clone(),
        sink,
    ) {
        wire.subs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&sub);
        let _ = wire.out.send(Outgoing::End { sub, last: None }).await;
        return Err(Error::RateLimited(format!(
            "at most {} subscriptions per account",
            config.max_subs_per_account
        )));
    }
    let answer = Response::success(id.clone(), json(Subscribed { sub })?);
    wire.out
        .send(Outgoing::Response(Box::new(answer)))
        .await
        .map_err(|_| gone())?;
    let last = match after {
        None => None,
        Some(after) => match crate::stream::replay(daemon, sub, after, matcher, &wire.out).await {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!(error = %e, sub, "replay failed; telling the client to re-read");
                let _ = wire
                    .out
                    .send(Outgoing::Replayed(Box::new(roost_shared::Event::Gap {
                        sub,
                    })))
                    .await;
                None
            }
        },
    };
    let last = last.map(String::into_boxed_str);
    let _ = wire.out.send(Outgoing::End { sub, last }).await;
    Ok(None)
}

type ParseError = (Value, ErrorCode, String);

fn parse(line: &[u8]) -> Result<(Value, Option<String>, Request), ParseError> {
    let bad = |id: &Value, message: String| (id.clone(), ErrorCode::BadRequest, message);
    let text = std::str::from_utf8(line)
        .map_err(|e| bad(&Value::Null, format!("request is not valid UTF-8: {e}")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad(&Value::Null, format!("request is not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(bad(&Value::Null, "request must be a JSON object".into()));
    };
    let id = object.remove("id").unwrap_or(Value::Null);
    let as_login = match object.remove("as") {
        None | Some(Value::Null) => None,
        Some(Value::String(login)) => Some(login),
        Some(_) => return Err(bad(&id, "`as` must be a login string".into())),
    };
    let op = match object.get("op") {
        Some(Value::String(op)) => op.clone(),
        Some(_) => return Err(bad(&id, "`op` must be a string".into())),
        None => return Err(bad(&id, "missing `op`".into())),
    };
    if !Request::OPS.contains(&op.as_str()) {
        let known = Request::OPS.join(", ");
        return Err((
            id,
            ErrorCode::UnknownOp,
            format!("unknown op {op:?}; known: {known}"),
        ));
    }
    let request = serde_json::from_value::<Request>(Value::Object(object))
        .map_err(|e| bad(&id, format!("{op}: {e}")))?;
    Ok((id, as_login, request))
}

fn check(result: Result<(), String>) -> Result<()> {
    result.map_err(Error::BadRequest)
}

fn page_and_count(page: Option<u32>, count: Option<u32>) -> Result<(u32, u32)> {
    let page = page.unwrap_or(1);
    let count = count.unwrap_or(validate::COUNT_DEFAULT);
    check(validate::page(page))?;
    check(validate::count(count))?;
    Ok((page, count))
}

fn json<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}

async fn execute(
    daemon: &Daemon,
    session: &mut Session,
    as_login: Option<&str>,
    request: Request,
) -> Result<Value> {
    let store = daemon.store();
    let now = now_millis();
    match request {
        Request::Hello => {
            let you = match acting(daemon, session, as_login).await? {
                Some(id) => store.user(id).await?,
                None => None,
            };
            json(Hello {
                protocol: PROTOCOL_VERSION,
                server: format!("roostd {}", env!("CARGO_PKG_VERSION")),
                you,
                operator: session.peer.operator,
                subscriptions: session.peer.operator.then(|| daemon.hub().len() as u64),
            })
        }
        Request::Register { login, name, bot } => {
            if as_login.is_some() {
                return Err(Error::BadRequest("register takes no `as`; an operator registers other accounts with \"bot\": true".into()));
            }
            if bot && !session.peer.operator {
                return Err(Error::Forbidden("only operators may register bots".into()));
            }
            let login = match (login, bot) {
                (Some(login), _) => login,
                (None, true) => return Err(Error::BadRequest("a bot needs a `login`".into())),
                (None, false) => unix_user_name(session.peer.uid).ok_or_else(|| {
                    Error::BadRequest("your Unix user has no name: pass a `login`".into())
                })?,
            };
            check(validate::login(&login))?;
            let name = name.unwrap_or_else(|| login.clone());
            check(validate::name(&name))?;
            let owner = if bot {
                Owner::Bot
            } else {
                Owner::Unix(session.peer.uid)
            };
            json(store.register(&login, &name, owner, now).await?)
        }
        Request::User { login } => json(store.user_by_login(&login).await?),
        Request::Post { text, location } => {
            check(validate::text(&text))?;
            if let Some(l) = location {
                check(validate::location(l.lat, l.lon))?;
            }
            let me = me(daemon, session, as_login).await?;
            json(store.post(&me, &text, location, now).await?)
        }
        Request::Delete { status } => {
            let me = required(acting(daemon, session, as_login).await?)?;
            store.delete(me, status).await?;
            json(Deleted { deleted: status })
        }
        Request::Timeline {
            kind,
            login,
            page,
            count,
        } => {
            let (page, count) = page_and_count(page, count)?;
            let statuses = match (kind, login) {
                (TimelineKind::Home, Some(_)) => {
                    return Err(Error::BadRequest("`login` applies to profile timelines only; a home timeline is the caller's".into()));
                }
                (TimelineKind::Home, None) => {
                    let me = required(acting(daemon, session, as_login).await?)?;
                    store.home(me, page, count).await?
                }
                (TimelineKind::Profile, login) => {
                    let uid = subject(daemon, session, as_login, login.as_deref()).await?;
                    store.profile(uid, page, count).await?
                }
            };
            json(Statuses { statuses })
        }
        Request::Follow { login } => {
            let (me, them) = pair(daemon, session, as_login, &login).await?;
            json(store.follow(me, them.id, now).await?)
        }
        Request::Unfollow { login } => {
            let (me, them) = pair(daemon, session, as_login, &login).await?;
            json(store.unfollow(me, them.id, now).await?)
        }
        Request::Followers { login, page, count } => {
            let (page, count) = page_and_count(page, count)?;
            let uid = subject(daemon, session, as_login, login.as_deref()).await?;
            json(Users {
                users: store.followers(uid, page, count).await?,
            })
        }
        Request::Following { login, page, count } => {
            let (page, count) = page_and_count(page, count)?;
            let uid = subject(daemon, session, as_login, login.as_deref()).await?;
            json(Users {
                users: store.following(uid, page, count).await?,
            })
        }
        Request::Subscribe { .. } => Err(Error::Internal(
            "subscribe is answered by `subscribe`".into(),
        )),
        Request::Unsubscribe { sub } => {
            let removed = session
                .wire
                .subs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&sub);
            if removed.is_none() {
                return Err(Error::NotFound(format!(
                    "no subscription {sub} on this connection"
                )));
            }
            daemon.hub().unregister(sub);
            json(Subscribed { sub })
        }
        Request::Marker { home } => {
            let me = required(acting(daemon, session, as_login).await?)?;
            json(store.marker(me, home).await?)
        }
        Request::Token => {
            let me = required(acting(daemon, session, as_login).await?)?;
            let token = crate::http::new_token().map_err(|e| Error::Internal(e.to_string()))?;
            store
                .set_token(me, &crate::http::token_hash(&token))
                .await?;
            json(Token { token })
        }
    }
}

/// The account a request acts for: `as` (an operator's choice, or the caller's
/// own login), else the caller's own account, if registered.
async fn acting(
    daemon: &Daemon,
    session: &mut Session,
    as_login: Option<&str>,
) -> Result<Option<u64>> {
    let store = daemon.store();
    if session.account.is_none() {
        session.account = store.id_of_unix_uid(session.peer.uid).await?;
    }
    let Some(login) = as_login else {
        return Ok(session.account);
    };
    let target = store.id_of_login(login).await?;
    if session.peer.operator {
        return target.map(Some).ok_or_else(|| Error::unknown_user(login));
    }
    match (target, session.account) {
        (Some(t), Some(own)) if t == own => Ok(Some(own)),
        _ => Err(Error::Forbidden(
            "only operators may act `as` another account".into(),
        )),
    }
}

fn required(account: Option<u64>) -> Result<u64> {
    account.ok_or(Error::NotRegistered)
}

/// The acting account's full record.
async fn me(daemon: &Daemon, session: &mut Session, as_login: Option<&str>) -> Result<User> {
    let id = required(acting(daemon, session, as_login).await?)?;
    daemon.store().user(id).await?.ok_or(Error::NotRegistered)
}

/// The user a read is about: `login`, or else the acting account.
async fn subject(
    daemon: &Daemon,
    session: &mut Session,
    as_login: Option<&str>,
    login: Option<&str>,
) -> Result<u64> {
    match login {
        Some(login) => daemon
            .store()
            .id_of_login(login)
            .await?
            .ok_or_else(|| Error::unknown_user(login)),
        None => required(acting(daemon, session, as_login).await?),
    }
}

/// The acting account and the other user of a follow or unfollow.
async fn pair(
    daemon: &Daemon,
    session: &mut Session,
    as_login: Option<&str>,
    login: &str,
) -> Result<(u64, User)> {
    let me = required(acting(daemon, session, as_login).await?)?;
    let them = daemon.store().user_by_login(login).await?;
    if them.id == me {
        return Err(Error::BadRequest(
            "you cannot follow or unfollow yourself".into(),
        ));
    }
    Ok((me, them))
}
