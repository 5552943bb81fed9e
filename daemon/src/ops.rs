//! One request line in, one response out: parse, then dispatch to the op. The
//! ops are grouped like the store: [`accounts`], [`statuses`], [`graph`] and
//! [`streams`]; each takes the request's [`Caller`] and its parameters.
//!
//! Parsing goes in steps so each mistake gets the right code: not UTF-8 or not
//! JSON or not an object is `bad_request`; an `op` the protocol doesn't have is
//! `unknown_op`; a known op with missing, mistyped or out-of-range fields is
//! `bad_request` with a message that names the field.

mod accounts;
mod graph;
mod statuses;
mod streams;

use roost_shared::{ErrorCode, Request, Response, validate};
use serde_json::Value;

use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::session::{Caller, Session};

/// Answers one request line. The answer is usually returned; a subscription's
/// answer is sent ahead of its replayed events instead, and `None` returned.
pub async fn apply(daemon: &Daemon, session: &mut Session, line: &[u8]) -> Option<Response> {
    let (id, as_login, request) = match parse(line) {
        Ok(parsed) => parsed,
        Err((id, code, message)) => return Some(Response::failure(id, code, message)),
    };
    let mut caller = Caller::new(daemon, session, as_login);
    let result = match request {
        Request::Subscribe { stream, since } => {
            streams::subscribe(&mut caller, &id, &stream, since)
                .await
                .map(|()| None)
        }
        request => dispatch(&mut caller, request).await.map(Some),
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

async fn dispatch(caller: &mut Caller<'_>, request: Request) -> Result<Value> {
    match request {
        Request::Hello => accounts::hello(caller).await,
        Request::Register { login, name, bot } => {
            accounts::register(caller, login, name, bot).await
        }
        Request::User { login } => accounts::user(caller, &login).await,
        Request::Marker { home } => accounts::marker(caller, home).await,
        Request::Token => accounts::token(caller).await,
        Request::Post { text, location } => statuses::post(caller, &text, location).await,
        Request::Delete { status } => statuses::delete(caller, status).await,
        Request::Timeline {
            kind,
            login,
            page,
            count,
            before,
        } => {
            let page = statuses::Page::new(page, count, before)?;
            statuses::timeline(caller, kind, login.as_deref(), page).await
        }
        Request::Follow { login } => graph::follow(caller, &login).await,
        Request::Unfollow { login } => graph::unfollow(caller, &login).await,
        Request::Followers { login, page, count } => {
            graph::list(
                caller,
                graph::List::Followers,
                login.as_deref(),
                page,
                count,
            )
            .await
        }
        Request::Following { login, page, count } => {
            graph::list(
                caller,
                graph::List::Following,
                login.as_deref(),
                page,
                count,
            )
            .await
        }
        Request::Subscribe { .. } => Err(Error::Internal(
            "subscribe is answered by `streams::subscribe`".into(),
        )),
        Request::Unsubscribe { sub } => streams::unsubscribe(caller, sub),
    }
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

/// A value rule's verdict as `bad_request`.
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
