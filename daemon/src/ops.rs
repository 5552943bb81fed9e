//! One request line in, one response out: parse, then dispatch to the op. The
//! ops are grouped like the store: [`accounts`], [`statuses`],
//! [`conversations`], [`graph`] and [`streams`]; each takes the request's
//! [`Caller`] and its parameters.
//!
//! Parsing goes in steps so each mistake gets the right code: not UTF-8 or not
//! JSON or not an object is `bad_request`; an `op` the protocol doesn't have is
//! `unknown_op`; a known op with missing, mistyped or out-of-range fields is
//! `bad_request` with a message that names the field.

mod accounts;
mod conversations;
mod direct;
mod graph;
pub(crate) mod moderation;
mod statuses;
mod streams;

use roost_shared::{ErrorCode, Request, Response, validate};
use serde_json::Value;

use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::session::{Caller, Session};
use crate::store::rates::{Act, Taken};

/// Answers one request line. The answer is usually returned; a subscription's
/// answer is sent ahead of its replayed events instead, and `None` returned.
pub async fn apply(daemon: &Daemon, session: &mut Session, line: &[u8]) -> Option<Response> {
    let (id, as_login, op, request) = match parse(line) {
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
        request => {
            let writes = request.writes();
            let mut result = dispatch(&mut caller, request).await.map(Some);
            if writes
                && result.is_ok()
                && let Err(e) = replicated(daemon).await
            {
                result = Err(e);
            }
            if caller.acted_as_other {
                let login = caller.as_login().unwrap_or_default().to_owned();
                let now = roost_shared::time::now_millis();
                let uid = caller.peer().uid;
                daemon.audit().acted_as(uid, &login, op, now).await;
            }
            result
        }
    };
    match result {
        Ok(Some(result)) => Some(Response::success(id, result)),
        Ok(None) => None,
        Err(e) => {
            if matches!(e.code(), ErrorCode::Internal | ErrorCode::Unavailable) {
                tracing::warn!(error = %e, "request failed");
            }
            let mut response = Response::failure(id, e.code(), e.to_string());
            if let Some(error) = response.error.as_mut() {
                error.retry_after = e.retry_after();
            }
            Some(response)
        }
    }
}

/// With `--replica-ack N`: waits until N replicas have every write so far
/// (WAIT on this roostd's connections, which carried the request's writes).
async fn replicated(daemon: &Daemon) -> Result<()> {
    let config = daemon.config();
    if config.replica_ack == 0 {
        return Ok(());
    }
    let want = config.replica_ack;
    let timeout = config.replica_ack_timeout_ms;
    let acked = daemon.store().wait_for_replicas(want, timeout).await?;
    if acked < u64::from(want) {
        return Err(Error::Unavailable(format!(
            "written, but only {acked} of {want} replicas had it after {timeout} ms"
        )));
    }
    Ok(())
}

async fn dispatch(caller: &mut Caller<'_>, request: Request) -> Result<Value> {
    match request {
        Request::Hello => accounts::hello(caller).await,
        Request::Register { login, name, bot } => {
            accounts::register(caller, login, name, bot).await
        }
        Request::User { login } => accounts::user(caller, &login).await,
        Request::Marker {
            home,
            notifications,
        } => accounts::marker(caller, home, notifications).await,
        Request::Token => accounts::token(caller).await,
        Request::LoginCode => accounts::login_code(caller).await,
        Request::Block { login } => graph::safety(caller, &login, graph::Safety::Block).await,
        Request::Unblock { login } => graph::safety(caller, &login, graph::Safety::Unblock).await,
        Request::Mute { login } => graph::safety(caller, &login, graph::Safety::Mute).await,
        Request::Unmute { login } => graph::safety(caller, &login, graph::Safety::Unmute).await,
        Request::Blocks { page, count } => {
            graph::own_list(caller, graph::OwnList::Blocks, page, count).await
        }
        Request::Mutes { page, count } => {
            graph::own_list(caller, graph::OwnList::Mutes, page, count).await
        }
        Request::Report {
            status,
            login,
            reason,
        } => moderation::report(caller, status, login, &reason).await,
        Request::Reports { state, page, count } => {
            moderation::reports(caller, state, page, count).await
        }
        Request::Moderate {
            action,
            status,
            login,
            report,
            note,
        } => moderation::moderate(caller, &action, status, login, report, note).await,
        Request::ModerationLog { page, count } => moderation::log(caller, page, count).await,
        Request::Dm { to, text } => direct::dm(caller, &to, &text).await,
        Request::Conversations { page, count } => direct::conversations(caller, page, count).await,
        Request::Messages {
            conversation,
            page,
            count,
        } => direct::messages(caller, &conversation, page, count).await,
        Request::Read {
            conversation,
            message,
        } => direct::read(caller, &conversation, message).await,
        Request::Requests { page, count } => {
            graph::own_list(caller, graph::OwnList::Requests, page, count).await
        }
        Request::Approve { login } => graph::answer(caller, &login, true).await,
        Request::Deny { login } => graph::answer(caller, &login, false).await,
        Request::SetProfile { name, bio, private } => {
            accounts::set_profile(caller, name, bio, private).await
        }
        Request::Post {
            text,
            location,
            reply_to,
        } => statuses::post(caller, &text, location, reply_to).await,
        Request::Repost { status } => conversations::repost(caller, status).await,
        Request::Unrepost { status } => conversations::unrepost(caller, status).await,
        Request::Like { status } => conversations::like(caller, status).await,
        Request::Unlike { status } => conversations::unlike(caller, status).await,
        Request::Likes {
            status,
            page,
            count,
        } => conversations::likes(caller, status, page, count).await,
        Request::Thread { status, count } => conversations::thread(caller, status, count).await,
        Request::Trending { hours } => conversations::trending(caller, hours).await,
        Request::Notifications { page, count } => {
            conversations::notifications(caller, page, count).await
        }
        Request::Delete { status } => statuses::delete(caller, status).await,
        Request::Timeline {
            kind,
            login,
            page,
            count,
            before,
            tag,
            order,
        } => {
            let page = statuses::Page::new(page, count, before)?;
            let params = statuses::TimelineParams {
                login: login.as_deref(),
                tag: tag.as_deref(),
                order: order.unwrap_or_default(),
            };
            statuses::timeline(caller, kind, params, page).await
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

/// The request's id, its `as`, its op's name and the request.
type Parsed = (Value, Option<String>, &'static str, Request);

fn parse(line: &[u8]) -> Result<Parsed, ParseError> {
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
    let Some(&op) = Request::OPS.iter().find(|known| **known == op) else {
        let known = Request::OPS.join(", ");
        return Err((
            id,
            ErrorCode::UnknownOp,
            format!("unknown op {op:?}; known: {known}"),
        ));
    };
    let request = serde_json::from_value::<Request>(Value::Object(object))
        .map_err(|e| bad(&id, format!("{op}: {e}")))?;
    Ok((id, as_login, op, request))
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

/// Takes one act of `me`'s rate limit for `act` (none to take for operators,
/// with or without `as`, or where the limit is 0): `rate_limited` with
/// `retry_after` past it. Pass what it returns to [`settle`].
async fn take(caller: &Caller<'_>, me: u64, act: Act) -> Result<Option<Taken>> {
    let config = caller.daemon.config();
    let limit = match act {
        Act::Post => config.limit_posts,
        Act::Follow => config.limit_follows,
        Act::Like => config.limit_likes,
        Act::Dm => config.limit_dms,
        Act::Report => config.limit_reports,
    };
    if limit == 0 || caller.peer().operator {
        return Ok(None);
    }
    let now = roost_shared::time::now_millis();
    Ok(Some(caller.store().take_act(me, act, limit, now).await?))
}

/// A limited request's result; a failed one gives its act back, so only
/// what was done counts.
async fn settle<T>(caller: &Caller<'_>, taken: Option<Taken>, result: Result<T>) -> Result<T> {
    if result.is_err()
        && let Some(taken) = taken
        && let Err(e) = caller.store().give_back(taken).await
    {
        tracing::warn!(error = %e, "giving back a rate-limited act failed");
    }
    result
}

fn json<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use roost_tests::fuzz::fuzz;

    use super::*;

    /// Any JSON value, a few levels deep.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            roost_tests::fuzz::regex("\\PC{0,40}").prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A request object: a known op (or not), with known parameter names
    /// holding values of any type, and maybe an id and an `as`.
    fn request() -> impl Strategy<Value = Value> {
        let op = prop_oneof![
            prop::sample::select(Request::OPS.to_vec()).prop_map(str::to_owned),
            "[a-z_]{0,10}",
        ];
        let fields = [
            "login",
            "name",
            "bot",
            "text",
            "location",
            "status",
            "kind",
            "page",
            "count",
            "before",
            "stream",
            "since",
            "sub",
            "home",
            "id",
            "as",
            "reply_to",
            "tag",
            "order",
            "hours",
            "notifications",
            "bio",
            "private",
            "to",
            "conversation",
            "message",
            "reason",
            "state",
            "action",
            "report",
            "note",
        ];
        let params =
            prop::collection::btree_map(prop::sample::select(fields.to_vec()), json_value(), 0..6);
        (op, params).prop_map(|(op, params)| {
            let mut object: serde_json::Map<String, Value> =
                params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            object.insert("op".into(), Value::from(op));
            Value::Object(object)
        })
    }

    #[test]
    fn fuzz_request_decoder_takes_any_bytes() {
        fuzz(
            "request bytes",
            prop::collection::vec(any::<u8>(), 0..300),
            |bytes| {
                // Never panics; whatever it refuses is bad_request.
                if let Err((_, code, _)) = parse(&bytes) {
                    prop_assert!(matches!(code, ErrorCode::BadRequest | ErrorCode::UnknownOp));
                }
                Ok(())
            },
        );
    }

    #[test]
    fn fuzz_every_ops_parameters() {
        fuzz("op parameters", request(), |request| {
            let line = serde_json::to_vec(&request).unwrap();
            let id = request.get("id").cloned().unwrap_or(Value::Null);
            match parse(&line) {
                Ok((parsed_id, _, _, parsed)) => {
                    prop_assert_eq!(parsed_id, id);
                    // What was read writes back as the same op.
                    let again = serde_json::to_value(&parsed).unwrap();
                    prop_assert_eq!(&again["op"], &request["op"]);
                }
                Err((err_id, code, message)) => {
                    prop_assert!(!message.is_empty());
                    let known = request["op"]
                        .as_str()
                        .is_some_and(|op| Request::OPS.contains(&op));
                    match code {
                        ErrorCode::UnknownOp => prop_assert!(!known),
                        ErrorCode::BadRequest => {
                            // The id comes back unless `as` was what was wrong.
                            if !matches!(request.get("as"), Some(v) if !v.is_string() && !v.is_null())
                            {
                                prop_assert_eq!(err_id, id);
                            }
                        }
                        other => prop_assert!(false, "unexpected code {:?}", other),
                    }
                }
            }
            Ok(())
        });
    }
}
