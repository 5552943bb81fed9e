//! A Mastodon-compatible client API, so the clients people already use (toot,
//! tut, ...) work with Roost: the Mastodon paths and JSON shapes over the same
//! HTTP server as the streams.
//!
//! Every call goes through the JSON-lines ops ([`crate::ops::apply`]) as the
//! token's account, so every rule of the protocol (visibility, blocks, rate
//! limits, moderation) holds here as it does on the socket; this module only
//! maps requests and entities.
//!
//! Logging in: `roost login-code` (the `login_code` op) gives a one-time code
//! that is the password of `POST /oauth/token` (grant `password`, with the
//! login as username), or is typed on `/oauth/authorize` (grant
//! `authorization_code`). No password is stored; the host's Unix login stays
//! the only identity. Apps are not stored either: `POST /api/v1/apps` hands
//! out credentials that the token endpoint does not need, so an
//! unauthenticated caller cannot fill Redis with apps. Access tokens are kept
//! as SHA-256, the newest [`MAX_APP_TOKENS`] per account.

// A handler's error is the response it answers with, made once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use roost_shared::time::now_millis;
use roost_shared::{ErrorCode, Notification, NotificationKind, Status, User};
use serde_json::{Value, json};

use super::{App, MAX_BODY, PeerUid};
use crate::error::Error;
use crate::identity::{new_token, token_hash};
use crate::session::Session;
use crate::stream::filter::{fold, is_word_char};

/// Access tokens kept per account; the oldest goes when one more is issued.
pub const MAX_APP_TOKENS: u32 = 20;

/// The Mastodon version whose API this follows, as clients read it.
const COMPATIBLE: &str = "4.2.0";

pub(super) fn routes(router: Router<App>) -> Router<App> {
    router
        .route("/api/v1/instance", get(instance_v1))
        .route("/api/v2/instance", get(instance_v2))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo))
        .route("/api/v1/apps", post(create_app))
        .route("/oauth/token", post(oauth_token))
        .route("/oauth/revoke", post(oauth_revoke))
        .route("/oauth/authorize", get(authorize_page).post(authorize))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            axum::routing::patch(update_credentials),
        )
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/search", get(search_accounts))
        .route("/api/v2/search", get(search))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/{id}", get(account))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route("/api/v1/statuses", post(post_status))
        .route(
            "/api/v1/statuses/{id}",
            get(get_status).delete(delete_status),
        )
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/timelines/home", get(home_timeline))
        .route("/api/v1/timelines/tag/{tag}", get(tag_timeline))
        .route("/api/v1/timelines/public", get(public_timeline))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/notifications/{id}", get(notification))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/mutes", get(mutes))
        .route("/api/v1/follow_requests", get(follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(authorize_request),
        )
        .route("/api/v1/follow_requests/{id}/reject", post(reject_request))
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
        .route("/api/v1/statuses/{id}/reblogged_by", get(reblogged_by))
        // What Roost has none of: clients probe these and get empty lists.
        .route("/api/v1/custom_emojis", get(nothing))
        .route("/api/v1/filters", get(nothing))
        .route("/api/v2/filters", get(nothing))
        .route("/api/v1/lists", get(nothing))
        .route("/api/v1/announcements", get(nothing))
        .route("/api/v1/followed_tags", get(nothing))
        .route("/api/v1/bookmarks", get(nothing))
        .route("/api/v1/favourites", get(favourites))
        .route("/api/v1/preferences", get(preferences))
        .route("/api/v1/markers", get(markers).post(set_markers))
        .route("/api/v1/conversations", get(conversations))
        .route("/api/v1/trends/tags", get(trends))
        .route("/api/v1/trends", get(trends))
        .route("/api/v1/reports", post(report))
        .route("/api/v1/streaming/health", get(|| async { "OK" }))
        .route("/api/v1/streaming", get(websocket))
        .route("/api/v1/streaming/user", get(stream_user))
        .route(
            "/api/v1/streaming/user/notification",
            get(stream_notifications),
        )
        .route("/api/v1/streaming/direct", get(stream_direct))
        .route("/api/v1/streaming/public", get(stream_public))
        .route("/api/v1/streaming/hashtag", get(stream_hashtag))
}

/// Whether a path is the Mastodon API's (its errors answer Mastodon's way).
pub(super) fn is_mastodon_path(path: &str) -> bool {
    ["/api/", "/oauth/", "/nodeinfo/", "/.well-known/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// Mastodon's error: `{"error": message}` with the status that fits.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = (status, json!({"error": message.into()}).to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The answer to an unknown path: Mastodon's JSON 404.
pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Record not found")
}

fn ok(value: Value) -> Response {
    let mut response = (StatusCode::OK, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A protocol error code as Mastodon's HTTP status.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest | ErrorCode::Conflict | ErrorCode::TooLarge => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotRegistered => StatusCode::UNAUTHORIZED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::UnknownOp | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A roostd error (an op's or the store's) as Mastodon's.
fn from_error(e: Error) -> Response {
    error(status_of(e.code()), e.to_string())
}

/// A request's parameters: the query's, then a form or JSON body's.
struct Params(Vec<(String, String)>);

impl Params {
    async fn of(request: Request) -> Result<(Params, axum::http::request::Parts), Response> {
        let (parts, body) = request.into_parts();
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "body too large"))?;
        let json_body = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if json_body && !body.is_empty() {
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))?;
            for (k, v) in value.as_object().into_iter().flatten() {
                let text = |v: &Value| v.as_str().map_or(v.to_string(), str::to_owned);
                match v {
                    Value::String(s) => pairs.push((k.clone(), s.clone())),
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (format!("{k}[]"), text(i))))
                    }
                    // As a form writes them: `home[last_read_id]`.
                    Value::Object(fields) => pairs.extend(
                        fields
                            .iter()
                            .map(|(field, v)| (format!("{k}[{field}]"), text(v))),
                    ),
                    Value::Null => {}
                    other => pairs.push((k.clone(), other.to_string())),
                }
            }
        } else {
            pairs.extend(
                form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        Ok((Params(pairs), parts))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name[]` (or `name`).
    fn all(&self, name: &str) -> Vec<&str> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == bracketed || k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn id(&self, name: &str) -> Result<Option<u64>, Response> {
        match self.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{name} is not an id"),
                )
            }),
        }
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| matches!(v, "true" | "1" | "on"))
    }
}

/// The access token a request carries, hashed: `Authorization: Bearer`, or
/// as streaming clients send it, the `access_token` query parameter or the
/// WebSocket protocol header (Mastodon's web client).
fn bearer(parts: &axum::http::request::Parts) -> Option<String> {
    let header_value = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let token = match header_value(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")) {
        Some(token) => token.to_owned(),
        None => form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .or_else(|| header_value(header::SEC_WEBSOCKET_PROTOCOL).map(str::to_owned))?,
    };
    Some(token_hash(token.trim()))
}

/// The account a request acts for: its bearer token's (an access token from
/// `/oauth/token`, or the account's `token`), or on the Unix socket the
/// caller's own account by its peer credentials.
async fn authenticated(app: &App, parts: &axum::http::request::Parts) -> Result<u64, Response> {
    let unauthorized = || error(StatusCode::UNAUTHORIZED, "The access token is invalid");
    let store = app.daemon.store();
    if let Some(hash) = bearer(parts) {
        let account = store
            .account_of_app_token(&hash)
            .await
            .map_err(from_error)?;
        return account.ok_or_else(unauthorized);
    }
    match parts.extensions.get::<PeerUid>() {
        Some(PeerUid(Some(uid))) if !app.tcp => store
            .id_of_unix_uid(*uid)
            .await
            .map_err(from_error)?
            .ok_or_else(unauthorized),
        _ => Err(unauthorized()),
    }
}

/// Runs one protocol request as `account`; its result, or the error as
/// Mastodon's.
async fn op(app: &App, account: u64, request: Value) -> Result<Value, Response> {
    let mut session = Session::for_token(account);
    let line = serde_json::to_vec(&request).unwrap_or_default();
    let response = crate::ops::apply(&app.daemon, &mut session, &line).await;
    match response {
        Some(roost_shared::Response {
            ok: true, result, ..
        }) => Ok(result.unwrap_or_default()),
        Some(roost_shared::Response {
            error: Some(failed),
            ..
        }) => Err(error(status_of(failed.code), failed.message)),
        _ => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "no answer")),
    }
}

/// The base URL clients reach this server at, from the request's Host.
fn base(parts: &axum::http::request::Parts) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn host(parts: &axum::http::request::Parts) -> String {
    base(parts).trim_start_matches("http://").to_owned()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A status text as Mastodon's `content`: escaped, in a paragraph, line
/// breaks as `<br>`, the mentions of accounts, the tags and the links marked
/// up as Mastodon marks them.
pub fn content(text: &str, mentions: &[String], tags: &[String], base: &str) -> String {
    let mut out = String::from("<p>");
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = i == 0 || !is_word_char(chars[i - 1]);
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if starts && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let end = (i..chars.len())
                .find(|&j| chars[j].is_whitespace())
                .unwrap_or(chars.len());
            let url: String = chars[i..end].iter().collect();
            let url = escape(&url);
            out.push_str(&format!(
                "<a href=\"{url}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{url}</a>"
            ));
            i = end;
            continue;
        }
        if starts && matches!(c, '@' | '#' | '＠' | '＃') {
            let end = (i + 1..chars.len())
                .find(|&j| !is_word_char(chars[j]))
                .unwrap_or(chars.len());
            let word: String = chars[i + 1..end].iter().collect();
            let folded = fold(&word);
            let is_tag = matches!(c, '#' | '＃');
            let known = if is_tag {
                tags.contains(&folded)
            } else {
                mentions.iter().any(|m| fold(m) == folded)
            };
            if !word.is_empty() && known {
                let shown = escape(&word);
                let link = if is_tag {
                    format!(
                        "<a href=\"{base}/tags/{folded}\" class=\"mention hashtag\" rel=\"tag\">#<span>{shown}</span></a>",
                        folded = escape(&folded)
                    )
                } else {
                    format!(
                        "<span class=\"h-card\"><a href=\"{base}/@{folded}\" class=\"u-url mention\">@<span>{shown}</span></a></span>",
                        folded = escape(&folded)
                    )
                };
                out.push_str(&link);
                i = end;
                continue;
            }
        }
        match c {
            '\n' => out.push_str("<br>"),
            c => out.push_str(&escape(&c.to_string())),
        }
        i += 1;
    }
    out.push_str("</p>");
    out
}

/// A Roost account as Mastodon's Account.
fn account_json(user: &User, base: &str) -> Value {
    let note = if user.bio.is_empty() {
        String::new()
    } else {
        content(&user.bio, &[], &[], base)
    };
    json!({
        "id": user.id.to_string(),
        "username": user.login,
        "acct": user.login,
        "display_name": if user.name.is_empty() { &user.login } else { &user.name },
        "locked": user.private,
        "bot": false,
        "discoverable": !user.private,
        "group": false,
        "created_at": user.signup,
        "note": note,
        "url": format!("{base}/@{}", user.login),
        "avatar": "",
        "avatar_static": "",
        "header": "",
        "header_static": "",
        "followers_count": user.followers,
        "following_count": user.following,
        "statuses_count": user.posts,
        "last_status_at": null,
        "emojis": [],
        "fields": [],
        "suspended": user.suspended,
    })
}

/// The accounts of `logins` (their public profiles: counts, name, bio), each
/// looked up once.
async fn users_of(
    app: &App,
    logins: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, User>, Response> {
    let store = app.daemon.store();
    let mut wanted: Vec<String> = logins.into_iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut ids = Vec::with_capacity(wanted.len());
    for login in &wanted {
        // Logins map to ids from a cache in roostd: no round trip each.
        ids.push(store.id_of_login(login).await.map_err(from_error)?);
    }
    let found: Vec<u64> = ids.iter().flatten().copied().collect();
    let users = store.users(&found).await.map_err(from_error)?;
    Ok(users
        .into_iter()
        .flatten()
        .map(|u| (u.login.clone(), u))
        .collect())
}

/// Every login a status names (author, mentions, a repost's original's).
fn logins_of(status: &Status) -> Vec<String> {
    let mut logins = vec![status.login.clone()];
    logins.extend(status.mentions.iter().cloned());
    if let Some(original) = &status.repost_of {
        logins.extend(logins_of(original));
    }
    logins
}

/// A Roost status as Mastodon's Status.
fn status_json(status: &Status, users: &HashMap<String, User>, base: &str) -> Value {
    let author = users
        .get(&status.login)
        .map(|u| account_json(u, base))
        .unwrap_or_else(|| json!({"id": status.uid.to_string(), "username": status.login, "acct": status.login}));
    let reply_account = status
        .reply_to_login
        .as_ref()
        .and_then(|l| users.get(l))
        .map(|u| u.id.to_string());
    let mentions: Vec<Value> = status
        .mentions
        .iter()
        .filter_map(|login| users.get(login))
        .map(|u| {
            json!({"id": u.id.to_string(), "username": u.login, "acct": u.login,
                   "url": format!("{base}/@{}", u.login)})
        })
        .collect();
    let tags: Vec<Value> = status
        .tags
        .iter()
        .map(|t| json!({"name": t, "url": format!("{base}/tags/{t}")}))
        .collect();
    let reblog = status
        .repost_of
        .as_ref()
        .map(|original| status_json(original, users, base));
    json!({
        "id": status.id.to_string(),
        "uri": format!("{base}/statuses/{}", status.id),
        "url": format!("{base}/@{}/{}", status.login, status.id),
        "created_at": status.posted,
        "account": author,
        "content": if reblog.is_some() { String::new() } else {
            content(&status.text, &status.mentions, &status.tags, base)
        },
        "text": status.text,
        // A private account's statuses are for its followers (as it is now).
        "visibility": if users.get(&status.login).is_some_and(|u| u.private) { "private" } else { "public" },
        "sensitive": false,
        "spoiler_text": "",
        "language": null,
        "in_reply_to_id": status.reply_to.map(|id| id.to_string()),
        "in_reply_to_account_id": reply_account,
        "reblog": reblog,
        "replies_count": status.replies,
        "reblogs_count": status.reposts,
        "favourites_count": status.likes,
        "favourited": status.liked,
        "reblogged": status.reposted,
        "muted": false,
        "bookmarked": false,
        "pinned": false,
        "media_attachments": [],
        "mentions": mentions,
        "tags": tags,
        "emojis": [],
        "card": null,
        "poll": null,
        "application": null,
    })
}

/// Statuses as Mastodon's, with their accounts looked up.
async fn statuses_json(app: &App, statuses: &[Status], base: &str) -> Result<Vec<Value>, Response> {
    let users = users_of(app, statuses.iter().flat_map(logins_of)).await?;
    Ok(statuses
        .iter()
        .map(|s| status_json(s, &users, base))
        .collect())
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Response> {
    serde_json::from_value(value)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// A path id as a number; anything else is not found.
fn path_id(id: &str) -> Result<u64, Response> {
    id.parse().map_err(|_| not_found())
}

// ---- instance ----

async fn instance_v1(State(app): State<App>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let (users, statuses) = app.daemon.store().network_size().await.unwrap_or((0, 0));
    ok(json!({
        "uri": host(&parts),
        "title": "Roost",
        "short_description": "A social network for the people who share this host",
        "description": "Roost: the people of this Unix host and their scripts. Log in with a code from `roost login-code`.",
        "email": "",
        "version": format!("{COMPATIBLE} (compatible; Roost {})", env!("CARGO_PKG_VERSION")),
        "urls": {"streaming_api": format!("ws://{}", host(&parts))},
        "stats": {"user_count": users, "status_count": statuses, "domain_count": 1},
        "thumbnail": null,
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": configuration(),
        "contact_account": null,
        "rules": [],
    }))
}

fn configuration() -> Value {
    json!({
        "statuses": {
            "max_characters": roost_shared::validate::TEXT_MAX,
            "max_media_attachments": 0,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": [],
            "image_size_limit": 0,
            "image_matrix_limit": 0,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "accounts": {"max_featured_tags": 0},
    })
}

async fn instance_v2(State(app): State<App>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let (users, _) = app.daemon.store().network_size().await.unwrap_or((0, 0));
    let mut configuration = configuration();
    configuration["urls"] = json!({"streaming": format!("ws://{}", host(&parts))});
    ok(json!({
        "domain": host(&parts),
        "title": "Roost",
        "version": format!("{COMPATIBLE} (compatible; Roost {})", env!("CARGO_PKG_VERSION")),
        "source_url": "",
        "description": "Roost: the people of this Unix host and their scripts. Log in with a code from `roost login-code`.",
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": ""},
        "languages": ["en"],
        "configuration": configuration,
        "registrations": {"enabled": false, "approval_required": false, "message": null},
        "contact": {"email": "", "account": null},
        "rules": [],
    }))
}

async fn nodeinfo_links(request: Request) -> Response {
    let (parts, _) = request.into_parts();
    ok(json!({"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
        "href": format!("{}/nodeinfo/2.0", base(&parts)),
    }]}))
}

async fn nodeinfo(State(app): State<App>) -> Response {
    let (users, statuses) = app.daemon.store().network_size().await.unwrap_or((0, 0));
    ok(json!({
        "version": "2.0",
        "software": {"name": "roost", "version": env!("CARGO_PKG_VERSION")},
        "protocols": [],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {"users": {"total": users}, "localPosts": statuses},
        "metadata": {},
    }))
}

// ---- apps and login ----

async fn create_app(request: Request) -> Response {
    let (params, _) = match Params::of(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(name) = params.get("client_name").filter(|n| !n.is_empty()) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "client_name is required");
    };
    let (Ok(id), Ok(secret)) = (new_token(), new_token()) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no randomness");
    };
    let redirect = params
        .get("redirect_uris")
        .unwrap_or("urn:ietf:wg:oauth:2.0:oob");
    ok(json!({
        "id": id[..16].to_owned(),
        "name": name,
        "website": params.get("website"),
        "redirect_uri": redirect,
        "client_id": id,
        "client_secret": secret,
        "vapid_key": "",
    }))
}

fn oauth_error(error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    let mut response = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `POST /oauth/token`: a login code (the password, or the authorization
/// code the authorize page hands back) for an access token.
async fn oauth_token(State(app): State<App>, request: Request) -> Response {
    let (params, _) = match Params::of(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let code = match params.get("grant_type") {
        Some("password") => params.get("password"),
        Some("authorization_code") => params.get("code"),
        Some(other) => {
            return oauth_error(
                "unsupported_grant_type",
                &format!(
                    "{other} is not supported: use password or authorization_code with a code from `roost login-code`"
                ),
            );
        }
        None => return oauth_error("invalid_request", "grant_type is required"),
    };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return oauth_error("invalid_request", "the login code is required");
    };
    let store = app.daemon.store();
    let taken = store
        .take_login_code(&token_hash(&code.to_lowercase()), now_millis())
        .await;
    let account = match taken {
        Ok(Some(account)) => account,
        Ok(None) => {
            return oauth_error(
                "invalid_grant",
                "the login code is unknown, used or expired: get a new one with `roost login-code`",
            );
        }
        Err(e) => return from_error(e),
    };
    // With the password grant the username must be the code's account.
    if let Some(username) = params
        .get("username")
        .filter(|_| params.get("grant_type") == Some("password"))
    {
        let user = store.user(account).await.ok().flatten();
        let named = username.trim().trim_start_matches('@').to_lowercase();
        if user.is_none_or(|u| u.login != named) {
            return oauth_error("invalid_grant", "the login code is not this account's");
        }
    }
    let Ok(token) = new_token() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no randomness");
    };
    let now = now_millis();
    if let Err(e) = store
        .add_app_token(account, &token_hash(&token), now, MAX_APP_TOKENS)
        .await
    {
        return from_error(e);
    }
    ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": params.get("scope").unwrap_or("read write follow push"),
        "created_at": now / 1000,
    }))
}

async fn oauth_revoke(State(app): State<App>, request: Request) -> Response {
    let (params, _) = match Params::of(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(token) = params.get("token") else {
        return oauth_error("invalid_request", "token is required");
    };
    match app
        .daemon
        .store()
        .revoke_app_token(&token_hash(token))
        .await
    {
        Ok(()) => ok(json!({})),
        Err(e) => from_error(e),
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The authorize page: a form that takes a login code.
async fn authorize_page(request: Request) -> Response {
    let (params, _) = match Params::of(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let field = |name: &str| escape(params.get(name).unwrap_or(""));
    html(
        StatusCode::OK,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Log in to Roost</title></head><body>\
             <h1>Log in to Roost</h1>\
             <p>In a terminal on this host, run <code>roost login-code</code> and type the code here.</p>\
             <form method=\"post\" action=\"/oauth/authorize\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <label>Login code <input name=\"code\" autofocus autocomplete=\"off\"></label>\
             <button type=\"submit\">Log in</button></form></body></html>",
            field("redirect_uri"),
            field("state"),
        ),
    )
}

/// The authorize form sent: the code goes back to the app as its
/// authorization code (checked, and used up, by the token endpoint), or is
/// shown for an out-of-band app to paste.
async fn authorize(request: Request) -> Response {
    let (params, _) = match Params::of(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let code = params.get("code").unwrap_or("").trim().to_lowercase();
    if code.is_empty() {
        return html(
            StatusCode::BAD_REQUEST,
            "<p>Type the code from <code>roost login-code</code>.</p>".into(),
        );
    }
    let redirect = params
        .get("redirect_uri")
        .filter(|r| !r.is_empty())
        .unwrap_or("urn:ietf:wg:oauth:2.0:oob");
    if redirect == "urn:ietf:wg:oauth:2.0:oob" {
        return html(
            StatusCode::OK,
            format!(
                "<p>Your authorization code: <code>{}</code></p>",
                escape(&code)
            ),
        );
    }
    let mut target = format!(
        "{redirect}{}code={}",
        if redirect.contains('?') { '&' } else { '?' },
        form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()
    );
    if let Some(state) = params.get("state").filter(|s| !s.is_empty()) {
        target.push_str("&state=");
        target.extend(form_urlencoded::byte_serialize(state.as_bytes()));
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(&target) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

// ---- accounts ----

/// Parameters, the acting account and the base URL of an authenticated call.
async fn begin(app: &App, request: Request) -> Result<(Params, u64, String), Response> {
    let (params, parts) = Params::of(request).await?;
    let account = authenticated(app, &parts).await?;
    Ok((params, account, base(&parts)))
}

macro_rules! begin {
    ($app:expr, $request:expr) => {
        match begin(&$app, $request).await {
            Ok(begun) => begun,
            Err(response) => return response,
        }
    };
}

macro_rules! attempt {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(response) => return response,
        }
    };
}

async fn verify_credentials(State(app): State<App>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let user = attempt!(user_by_id(&app, account, account).await);
    let mut json = account_json(&user, &base);
    json["source"] = json!({"note": user.bio, "privacy": if user.private { "private" } else { "public" },
                            "sensitive": false, "language": null, "fields": []});
    ok(json)
}

async fn update_credentials(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let mut change = json!({"op": "set_profile"});
    if let Some(name) = params.get("display_name") {
        change["name"] = json!(name);
    }
    if let Some(note) = params.get("note") {
        change["bio"] = json!(note);
    }
    if let Some(locked) = params.flag("locked") {
        change["private"] = json!(locked);
    }
    let user: User = attempt!(parse(attempt!(op(&app, account, change).await)));
    ok(account_json(&user, &base))
}

/// The User with id `id`, as `account` sees it.
async fn user_by_id(app: &App, account: u64, id: u64) -> Result<User, Response> {
    let user = app
        .daemon
        .store()
        .user(id)
        .await
        .map_err(from_error)?
        .ok_or_else(not_found)?;
    parse(op(app, account, json!({"op": "user", "login": user.login})).await?)
}

async fn account(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let user = attempt!(user_by_id(&app, account, attempt!(path_id(&id))).await);
    ok(account_json(&user, &base))
}

async fn lookup(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let Some(acct) = params.get("acct") else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "acct is required");
    };
    let login = acct.trim_start_matches('@').split('@').next().unwrap_or("");
    let user: User = attempt!(parse(attempt!(
        op(&app, account, json!({"op": "user", "login": login})).await
    )));
    ok(account_json(&user, &base))
}

/// The accounts a search finds: the one whose login is the query (without
/// `@` and a domain). Logins are matched whole; there is no prefix search.
async fn found_accounts(app: &App, account: u64, query: &str, base: &str) -> Vec<Value> {
    let login = query
        .trim()
        .trim_start_matches('@')
        .split('@')
        .next()
        .unwrap_or("");
    if login.is_empty() {
        return Vec::new();
    }
    match op(app, account, json!({"op": "user", "login": login})).await {
        Ok(user) => parse::<User>(user)
            .map(|u| vec![account_json(&u, base)])
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

async fn search_accounts(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let query = params.get("q").unwrap_or("");
    ok(Value::Array(
        found_accounts(&app, account, query, &base).await,
    ))
}

/// `GET /api/v2/search`: accounts by login, and a hashtag by name.
async fn search(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let query = params.get("q").unwrap_or("").trim();
    let kind = params.get("type");
    let accounts = match kind {
        None | Some("accounts") => found_accounts(&app, account, query, &base).await,
        _ => Vec::new(),
    };
    let tag = crate::stream::filter::tag(query).filter(|_| matches!(kind, None | Some("hashtags")));
    let hashtags: Vec<Value> = tag
        .map(|t| json!({"name": t, "url": format!("{base}/tags/{t}"), "history": []}))
        .into_iter()
        .collect();
    ok(json!({"accounts": accounts, "statuses": [], "hashtags": hashtags}))
}

async fn relationships(State(app): State<App>, request: Request) -> Response {
    let (params, account, _) = begin!(app, request);
    let mut out = Vec::new();
    for id in params.all("id") {
        let Ok(id) = id.parse::<u64>() else { continue };
        let Ok(user) = user_by_id(&app, account, id).await else {
            continue;
        };
        out.push(relationship_json(&user));
    }
    ok(Value::Array(out))
}

async fn follow_change(app: App, id: String, request: Request, op_name: &str) -> Response {
    let (_, account, _) = begin!(app, request);
    let user = attempt!(user_by_id(&app, account, attempt!(path_id(&id))).await);
    let change = op(&app, account, json!({"op": op_name, "login": user.login})).await;
    // Following twice, or unfollowing who one does not follow, is no error here.
    if let Err(response) = change
        && !matches!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND
        )
    {
        return response;
    }
    let user = attempt!(user_by_id(&app, account, user.id).await);
    ok(relationship_json(&user))
}

/// Mastodon's Relationship of the caller to `user` (read with it).
fn relationship_json(user: &User) -> Value {
    let r = user.relationship.unwrap_or_default();
    json!({
        "id": user.id.to_string(),
        "following": r.following,
        "followed_by": r.followed_by,
        "requested": r.requested,
        "blocking": r.blocking,
        "blocked_by": false,
        "muting": r.muting,
        "muting_notifications": r.muting,
        "showing_reblogs": true,
        "notifying": false,
        "domain_blocking": false,
        "endorsed": false,
        "languages": null,
        "note": "",
    })
}

async fn block(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "block").await
}

async fn unblock(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "unblock").await
}

async fn mute(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "mute").await
}

async fn unmute(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "unmute").await
}

async fn authorize_request(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    follow_change(app, id, request, "approve").await
}

async fn reject_request(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    follow_change(app, id, request, "deny").await
}

/// A page of accounts from a protocol list (`{"users": [{"user", ...}]}`),
/// by `limit` (40, at most 80) and a `page` the `Link` header carries on.
async fn account_list(app: &App, request: Request, list: Value, path: &str) -> Response {
    let (params, account, base) = begin!(app.clone(), request);
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<u32>().ok())
        .unwrap_or(40)
        .clamp(1, 80);
    let page = params
        .get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    let mut list = list;
    list["page"] = json!(page);
    list["count"] = json!(limit);
    let result = attempt!(op(app, account, list).await);
    let users: Vec<Value> = result["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| serde_json::from_value::<User>(entry["user"].clone()).ok())
        .map(|u| account_json(&u, &base))
        .collect();
    let full = users.len() == limit as usize;
    let mut response = ok(Value::Array(users));
    if full {
        let link = format!(
            "<{base}{path}?limit={limit}&page={}>; rel=\"next\"",
            page + 1
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

async fn followers(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    let id = attempt!(path_id(&id));
    let Ok(Some(user)) = app.daemon.store().user(id).await else {
        return not_found();
    };
    let list = json!({"op": "followers", "login": user.login});
    account_list(
        &app,
        request,
        list,
        &format!("/api/v1/accounts/{id}/followers"),
    )
    .await
}

async fn following(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    let id = attempt!(path_id(&id));
    let Ok(Some(user)) = app.daemon.store().user(id).await else {
        return not_found();
    };
    let list = json!({"op": "following", "login": user.login});
    account_list(
        &app,
        request,
        list,
        &format!("/api/v1/accounts/{id}/following"),
    )
    .await
}

async fn blocks(State(app): State<App>, request: Request) -> Response {
    account_list(&app, request, json!({"op": "blocks"}), "/api/v1/blocks").await
}

async fn mutes(State(app): State<App>, request: Request) -> Response {
    account_list(&app, request, json!({"op": "mutes"}), "/api/v1/mutes").await
}

async fn follow_requests(State(app): State<App>, request: Request) -> Response {
    account_list(
        &app,
        request,
        json!({"op": "requests"}),
        "/api/v1/follow_requests",
    )
    .await
}

async fn favourited_by(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let id = attempt!(path_id(&id));
    let list = json!({"op": "likes", "status": id});
    account_list(
        &app,
        request,
        list,
        &format!("/api/v1/statuses/{id}/favourited_by"),
    )
    .await
}

async fn reblogged_by(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (params, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<u32>().ok())
        .unwrap_or(40)
        .clamp(1, 80);
    let read = app
        .daemon
        .store()
        .reposters(Some(account), id, 1, limit)
        .await;
    match read {
        Ok(users) => ok(Value::Array(
            users.iter().map(|u| account_json(u, &base)).collect(),
        )),
        Err(e) => from_error(e),
    }
}

/// An empty list, for what Roost does not have (emojis, filters, lists, ...).
async fn nothing(State(app): State<App>, request: Request) -> Response {
    let (_, _, _) = begin!(app, request);
    ok(json!([]))
}

/// The caller's favourites: the statuses they liked, newest like first.
async fn favourites(State(app): State<App>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let me = attempt!(user_by_id(&app, account, account).await);
    let likes = json!({"op": "timeline", "kind": "likes", "login": me.login, "count": 40});
    let result = attempt!(op(&app, account, likes).await);
    let statuses: Vec<Status> = attempt!(parse(result["statuses"].clone()));
    ok(Value::Array(attempt!(
        statuses_json(&app, &statuses, &base).await
    )))
}

async fn preferences(State(app): State<App>, request: Request) -> Response {
    let (_, account, _) = begin!(app, request);
    let user = attempt!(user_by_id(&app, account, account).await);
    ok(json!({
        "posting:default:visibility": if user.private { "private" } else { "public" },
        "posting:default:sensitive": false,
        "posting:default:language": null,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    }))
}

/// Mastodon's Marker of one timeline.
fn marker_json(last_read: Option<u64>) -> Value {
    json!({
        "last_read_id": last_read.unwrap_or(0).to_string(),
        "version": 0,
        "updated_at": roost_shared::time::format_millis(now_millis()),
    })
}

/// The read markers (the same the `roost` app keeps) as Mastodon's.
fn markers_json(marker: &Value, wanted: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for (timeline, field) in [("home", "home"), ("notifications", "notifications")] {
        if wanted.is_empty() || wanted.contains(&timeline) {
            out.insert(timeline.into(), marker_json(marker[field].as_u64()));
        }
    }
    Value::Object(out)
}

async fn markers(State(app): State<App>, request: Request) -> Response {
    let (params, account, _) = begin!(app, request);
    let marker = attempt!(op(&app, account, json!({"op": "marker"})).await);
    ok(markers_json(&marker, &params.all("timeline")))
}

async fn set_markers(State(app): State<App>, request: Request) -> Response {
    let (params, account, _) = begin!(app, request);
    let mut set = json!({"op": "marker"});
    for timeline in ["home", "notifications"] {
        let field = format!("{timeline}[last_read_id]");
        let id = params
            .get(&field)
            .or_else(|| params.get(&format!("{timeline}.last_read_id")));
        if let Some(id) = id {
            match id.parse::<u64>() {
                Ok(id) => set[timeline] = json!(id),
                Err(_) => {
                    return error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("{field} is not an id"),
                    );
                }
            }
        }
    }
    let marker = attempt!(op(&app, account, set).await);
    ok(markers_json(&marker, &[]))
}

async fn conversations(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<u32>().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let result = attempt!(
        op(
            &app,
            account,
            json!({"op": "conversations", "count": limit})
        )
        .await
    );
    let me = attempt!(user_by_id(&app, account, account).await);
    let mut out = Vec::new();
    for c in result["conversations"].as_array().into_iter().flatten() {
        let with: Vec<User> = attempt!(parse(c["with"].clone()));
        let unread = c["unread"].as_u64().unwrap_or(0) > 0;
        out.push(conversation_json(&with, &me, &c["last"], unread, &base));
    }
    ok(Value::Array(out))
}

/// Mastodon's Conversation: its other participants and its last message as
/// a direct status.
fn conversation_json(with: &[User], me: &User, last: &Value, unread: bool, base: &str) -> Value {
    let from = with
        .iter()
        .chain([me])
        .find(|u| Some(u.login.as_str()) == last["from"].as_str());
    json!({
        "id": last["conversation"],
        "unread": unread,
        "accounts": with.iter().map(|u| account_json(u, base)).collect::<Vec<_>>(),
        "last_status": {
            "id": last["id"].to_string(),
            "created_at": last["sent"],
            "content": content(last["text"].as_str().unwrap_or(""), &[], &[], base),
            "visibility": "direct",
            "account": from.map(|u| account_json(u, base)),
            "mentions": [], "tags": [], "emojis": [], "media_attachments": [],
            "reblog": null, "in_reply_to_id": null, "spoiler_text": "", "sensitive": false,
        },
    })
}

async fn trends(State(app): State<App>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let result = attempt!(op(&app, account, json!({"op": "trending"})).await);
    let day = (now_millis() / 86_400_000 * 86_400).to_string();
    let tags: Vec<Value> = result["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let name = t["tag"].as_str().unwrap_or("");
            let uses = t["statuses"].as_u64().unwrap_or(0).to_string();
            json!({"name": name, "url": format!("{base}/tags/{name}"),
                   "history": [{"day": day, "uses": uses, "accounts": uses}]})
        })
        .collect();
    ok(Value::Array(tags))
}

async fn report(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let comment = params.get("comment").unwrap_or("").trim();
    let reason = if comment.is_empty() {
        "reported from a Mastodon client"
    } else {
        comment
    };
    let statuses: Vec<u64> = params
        .all("status_ids")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let Some(target) = attempt!(params.id("account_id")) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "account_id is required");
    };
    let user = attempt!(user_by_id(&app, account, target).await);
    // One report per status named, else one of the account.
    let mut last = Value::Null;
    if statuses.is_empty() {
        last = attempt!(
            op(
                &app,
                account,
                json!({"op": "report", "login": user.login, "reason": reason})
            )
            .await
        );
    }
    for status in &statuses {
        last = attempt!(
            op(
                &app,
                account,
                json!({"op": "report", "status": status, "reason": reason})
            )
            .await
        );
    }
    ok(json!({
        "id": last["report"].to_string(),
        "action_taken": false,
        "action_taken_at": null,
        "category": params.get("category").unwrap_or("other"),
        "comment": comment,
        "forwarded": false,
        "created_at": roost_shared::time::format_millis(now_millis()),
        "status_ids": statuses.iter().map(u64::to_string).collect::<Vec<_>>(),
        "rule_ids": [],
        "target_account": account_json(&user, &base),
    }))
}

async fn follow(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "follow").await
}

async fn unfollow(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    follow_change(app, id, request, "unfollow").await
}

// ---- timelines ----

/// A page of statuses the Mastodon way: `max_id` (older than), `since_id`
/// (newer than), `min_id` (the ones just newer than), `limit` (20, at most
/// 40), with the `Link` header for the next and previous pages.
struct Window {
    max_id: Option<u64>,
    since_id: Option<u64>,
    min_id: Option<u64>,
    limit: u32,
    /// Leave replies out (`exclude_replies`), and reposts (`exclude_reblogs`).
    exclude_replies: bool,
    exclude_reblogs: bool,
}

impl Window {
    fn of(params: &Params) -> Result<Window, Response> {
        let limit = match params.get("limit").map(str::parse::<u32>) {
            None => 20,
            Some(Ok(n)) => n.clamp(1, 40),
            Some(Err(_)) => {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "limit is not a number",
                ));
            }
        };
        Ok(Window {
            max_id: params.id("max_id")?,
            since_id: params.id("since_id")?,
            min_id: params.id("min_id")?,
            limit,
            exclude_replies: params.flag("exclude_replies").unwrap_or(false),
            exclude_reblogs: params.flag("exclude_reblogs").unwrap_or(false),
        })
    }

    /// How many statuses to read for the window: newer-than and filtered
    /// windows read the newest 200 and cut.
    fn count(&self) -> u32 {
        let cuts = self.exclude_replies || self.exclude_reblogs;
        if cuts || self.since_id.is_some() || self.min_id.is_some() {
            200
        } else {
            self.limit
        }
    }

    /// The protocol request for the page, `timeline` as its base.
    fn request(&self, mut timeline: Value) -> Value {
        timeline["count"] = json!(self.count());
        if let Some(max) = self.max_id {
            timeline["before"] = json!(max);
        }
        timeline
    }

    /// The statuses of the window from a newest-first page.
    fn cut(&self, statuses: Vec<Status>) -> Vec<Status> {
        let newer = self.min_id.or(self.since_id).unwrap_or(0);
        let mut kept: Vec<Status> = statuses
            .into_iter()
            .filter(|s| s.id > newer)
            .filter(|s| !(self.exclude_replies && s.reply_to.is_some()))
            .filter(|s| !(self.exclude_reblogs && s.repost_of.is_some()))
            .collect();
        if self.min_id.is_some() {
            // The ones just newer than min_id: the oldest of what is newer.
            let skip = kept.len().saturating_sub(self.limit as usize);
            kept.drain(..skip);
        } else {
            kept.truncate(self.limit as usize);
        }
        kept
    }
}

/// Statuses as a Mastodon page: JSON with the `Link` header.
fn page(statuses: Vec<Value>, ids: &[u64], base: &str, path: &str) -> Response {
    let mut response = ok(Value::Array(statuses));
    if let (Some(newest), Some(oldest)) = (ids.first(), ids.last()) {
        let link = format!(
            "<{base}{path}?max_id={oldest}>; rel=\"next\", <{base}{path}?min_id={newest}>; rel=\"prev\""
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

async fn timeline_page(app: &App, request: Request, timeline: Value, path: &str) -> Response {
    let (params, account, base) = begin!(app.clone(), request);
    let window = attempt!(Window::of(&params));
    let result = attempt!(op(app, account, window.request(timeline)).await);
    let statuses: Vec<Status> = attempt!(parse(result["statuses"].clone()));
    let statuses = window.cut(statuses);
    let ids: Vec<u64> = statuses.iter().map(|s| s.id).collect();
    let json = attempt!(statuses_json(app, &statuses, &base).await);
    page(json, &ids, &base, path)
}

async fn home_timeline(State(app): State<App>, request: Request) -> Response {
    let timeline = json!({"op": "timeline", "kind": "home"});
    timeline_page(&app, request, timeline, "/api/v1/timelines/home").await
}

async fn tag_timeline(
    State(app): State<App>,
    Path(tag): Path<String>,
    request: Request,
) -> Response {
    let timeline = json!({"op": "timeline", "kind": "tag", "tag": tag});
    let path = format!("/api/v1/timelines/tag/{tag}");
    timeline_page(&app, request, timeline, &path).await
}

/// `GET /api/v1/timelines/public`: what the firehose carries (as far back as
/// the event log goes), to anyone; a token's account keeps its blocks and
/// mutes out.
async fn public_timeline(State(app): State<App>, request: Request) -> Response {
    let (params, parts) = attempt!(Params::of(request).await);
    let viewer = authenticated(&app, &parts).await.ok();
    let base = base(&parts);
    let window = attempt!(Window::of(&params));
    let count = window.count() as usize;
    let read = app
        .daemon
        .store()
        .public_timeline(viewer, window.max_id, count)
        .await;
    let statuses = match read {
        Ok(statuses) => window.cut(statuses),
        Err(e) => return from_error(e),
    };
    let ids: Vec<u64> = statuses.iter().map(|s| s.id).collect();
    let json = attempt!(statuses_json(&app, &statuses, &base).await);
    page(json, &ids, &base, "/api/v1/timelines/public")
}

async fn account_statuses(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let id = attempt!(path_id(&id));
    let Ok(Some(user)) = app.daemon.store().user(id).await else {
        return not_found();
    };
    // Roost has no pinned statuses.
    let pinned = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "pinned" && v == "true");
    if pinned {
        return ok(json!([]));
    }
    let timeline = json!({"op": "timeline", "kind": "profile", "login": user.login});
    let path = format!("/api/v1/accounts/{id}/statuses");
    timeline_page(&app, request, timeline, &path).await
}

// ---- statuses ----

/// One status as Mastodon's, with its accounts.
async fn one_status(app: &App, status: Status, base: &str) -> Response {
    let mut json = attempt!(statuses_json(app, &[status], base).await);
    ok(json.pop().unwrap_or_default())
}

async fn post_status(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let text = params.get("status").unwrap_or("");
    let reply_to = attempt!(params.id("in_reply_to_id"));
    match params.get("visibility").unwrap_or("public") {
        "direct" => {
            // A direct message to the mentioned accounts.
            let to: Vec<String> = crate::stream::filter::Marks::of(text).mentions;
            if to.is_empty() {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "a direct status mentions whom it is for",
                );
            }
            let message =
                attempt!(op(&app, account, json!({"op": "dm", "to": to, "text": text})).await);
            return ok(json!({
                "id": message["id"].to_string(),
                "created_at": message["sent"],
                "content": content(text, &[], &[], &base),
                "visibility": "direct",
                "account": account_json(&attempt!(user_by_id(&app, account, account).await), &base),
                "mentions": [], "tags": [], "emojis": [], "media_attachments": [],
                "reblog": null, "in_reply_to_id": null, "spoiler_text": "", "sensitive": false,
            }));
        }
        "public" => {}
        // A private account's statuses are for its followers whatever is
        // asked; a public account has no narrower status than public, and
        // a status is never published wider than asked.
        narrower @ ("unlisted" | "private") => {
            let me = attempt!(user_by_id(&app, account, account).await);
            if !me.private {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "Roost has no {narrower} statuses: a status is public, or for followers \
                         when the account is locked (update_credentials locked=true)"
                    ),
                );
            }
        }
        other => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("visibility {other} is not one of public, unlisted, private, direct"),
            );
        }
    }
    let mut post = json!({"op": "post", "text": text});
    if let Some(parent) = reply_to {
        post["reply_to"] = json!(parent);
    }
    let status = attempt!(parse(attempt!(op(&app, account, post).await)));
    one_status(&app, status, &base).await
}

/// The status `id` names for acts on it (a repost names its original), as
/// `account` sees it: the same read and decision as `thread`'s, without its
/// ancestors and replies.
async fn status_by_id(app: &App, account: u64, id: u64) -> Result<Status, Response> {
    let found = app.daemon.store().target(Some(account), id).await;
    found.map_err(from_error)?.ok_or_else(not_found)
}

async fn get_status(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let status = attempt!(status_by_id(&app, account, id).await);
    one_status(&app, status, &base).await
}

async fn delete_status(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (_, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let status = attempt!(status_by_id(&app, account, id).await);
    attempt!(op(&app, account, json!({"op": "delete", "status": id})).await);
    one_status(&app, status, &base).await
}

async fn context(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    let (_, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let thread = attempt!(op(&app, account, json!({"op": "thread", "status": id})).await);
    let ancestors: Vec<Status> = attempt!(parse(thread["ancestors"].clone()));
    let descendants: Vec<Status> = attempt!(parse(thread["replies"].clone()));
    ok(json!({
        "ancestors": attempt!(statuses_json(&app, &ancestors, &base).await),
        "descendants": attempt!(statuses_json(&app, &descendants, &base).await),
    }))
}

/// Runs an act on status `id` (like, repost and their undoing), then
/// answers the status as it is now; doing it twice is no error.
async fn act(app: App, id: String, request: Request, op_name: &str) -> Response {
    let (_, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let done = op(&app, account, json!({"op": op_name, "status": id})).await;
    let repost = match done {
        Ok(result) if op_name == "repost" => Some(result),
        Ok(_) => None,
        Err(response) if response.status() == StatusCode::UNPROCESSABLE_ENTITY => None,
        Err(response) => return response,
    };
    if let Some(repost) = repost {
        return one_status(&app, attempt!(parse(repost)), &base).await;
    }
    let status = attempt!(status_by_id(&app, account, id).await);
    one_status(&app, status, &base).await
}

async fn favourite(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    act(app, id, request, "like").await
}

async fn unfavourite(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    act(app, id, request, "unlike").await
}

async fn reblog(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    act(app, id, request, "repost").await
}

async fn unreblog(State(app): State<App>, Path(id): Path<String>, request: Request) -> Response {
    act(app, id, request, "unrepost").await
}

// ---- notifications ----

fn notification_type(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention | NotificationKind::Reply => "mention",
        NotificationKind::Repost => "reblog",
        NotificationKind::Like => "favourite",
        NotificationKind::Follow => "follow",
        NotificationKind::Request => "follow_request",
    }
}

async fn notifications(State(app): State<App>, request: Request) -> Response {
    let (params, account, base) = begin!(app, request);
    let window = attempt!(Window::of(&params));
    let types = params.all("types");
    let excluded = params.all("exclude_types");
    let result = attempt!(op(&app, account, json!({"op": "notifications", "count": 200})).await);
    let all: Vec<Notification> = attempt!(parse(result["notifications"].clone()));
    let wanted: Vec<&Notification> = all
        .iter()
        .filter(|n| {
            let kind = notification_type(n.kind);
            (types.is_empty() || types.contains(&kind)) && !excluded.contains(&kind)
        })
        .filter(|n| window.max_id.is_none_or(|max| n.id < max))
        .filter(|n| n.id > window.since_id.or(window.min_id).unwrap_or(0))
        .take(window.limit as usize)
        .collect();
    let statuses: Vec<Status> = wanted.iter().filter_map(|n| n.status.clone()).collect();
    let mut logins: Vec<String> = wanted.iter().map(|n| n.from.login.clone()).collect();
    logins.extend(statuses.iter().flat_map(logins_of));
    let users = attempt!(users_of(&app, logins).await);
    let json: Vec<Value> = wanted
        .iter()
        .map(|n| notification_json(n, &users, &base))
        .collect();
    let ids: Vec<u64> = wanted.iter().map(|n| n.id).collect();
    page(json, &ids, &base, "/api/v1/notifications")
}

/// A Roost notification as Mastodon's Notification.
fn notification_json(n: &Notification, users: &HashMap<String, User>, base: &str) -> Value {
    json!({
        "id": n.id.to_string(),
        "type": notification_type(n.kind),
        "created_at": n.at,
        "account": account_json(&n.from, base),
        "status": n.status.as_ref().map(|s| status_json(s, users, base)),
    })
}

/// One notification by id (among the newest 200).
async fn notification(
    State(app): State<App>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (_, account, base) = begin!(app, request);
    let id = attempt!(path_id(&id));
    let result = attempt!(op(&app, account, json!({"op": "notifications", "count": 200})).await);
    let all: Vec<Notification> = attempt!(parse(result["notifications"].clone()));
    let Some(n) = all.into_iter().find(|n| n.id == id) else {
        return not_found();
    };
    let mut logins = vec![n.from.login.clone()];
    logins.extend(n.status.iter().flat_map(logins_of));
    let users = attempt!(users_of(&app, logins).await);
    ok(notification_json(&n, &users, &base))
}

// ---- streaming (server-sent events and WebSocket) ----

/// How often a stream checks that its token still stands.
const TOKEN_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// A Mastodon stream by name (`user`, `user:notification`, `public`,
/// `public:local`, `hashtag` with its tag): the protocol streams it is made
/// of, and the names its events carry over a WebSocket.
fn streams_of(
    name: &str,
    tag: Option<&str>,
) -> Result<(Vec<roost_shared::Stream>, Vec<String>), String> {
    use roost_shared::Stream;
    let streams = match name {
        "user" => vec![Stream::Home, Stream::Notifications, Stream::Direct],
        "direct" => vec![Stream::Direct],
        "user:notification" => vec![Stream::Notifications],
        "public" | "public:local" => vec![Stream::Firehose],
        "hashtag" | "hashtag:local" => {
            let tag = tag
                .and_then(crate::stream::filter::tag)
                .ok_or("a hashtag stream needs its tag (one word)")?;
            let filter = roost_shared::Filter {
                track: vec![format!("#{tag}")],
                ..Default::default()
            };
            return Ok((vec![Stream::Filter(filter)], vec![name.to_owned(), tag]));
        }
        other => return Err(format!("no stream {other:?} here")),
    };
    Ok((streams, vec![name.to_owned()]))
}

/// What a stream has next for its client.
enum Next {
    /// A Mastodon event: the names of the stream it came on, its name and data.
    Event(Vec<String>, &'static str, String),
    KeepAlive,
}

/// The protocol subscriptions of one streaming client, and what it needs to
/// turn their events into Mastodon's.
struct EventStream {
    app: App,
    account: u64,
    base: String,
    /// The access token (its SHA-256): revoking it ends the stream.
    token: Option<String>,
    tx: tokio::sync::mpsc::Sender<crate::stream::Feed>,
    rx: tokio::sync::mpsc::Receiver<crate::stream::Feed>,
    closer: std::sync::Arc<tokio::sync::Notify>,
    check: tokio::time::Interval,
    keepalive: tokio::time::Interval,
    /// Each subscription with the Mastodon stream names it serves.
    subscriptions: Vec<(crate::stream::Subscription, Vec<String>)>,
}

impl EventStream {
    fn new(app: &App, account: u64, base: String, token: Option<String>) -> EventStream {
        let config = app.daemon.config();
        let (tx, rx) = tokio::sync::mpsc::channel(config.sub_buffer());
        let keepalive = config.http_keepalive();
        EventStream {
            app: app.clone(),
            account,
            base,
            token,
            tx,
            rx,
            closer: std::sync::Arc::new(tokio::sync::Notify::new()),
            check: tokio::time::interval(TOKEN_CHECK),
            keepalive: tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive),
            subscriptions: Vec::new(),
        }
    }

    /// Subscribes to the Mastodon stream `name`, under the account's limit
    /// of subscriptions.
    async fn subscribe(&mut self, name: &str, tag: Option<&str>) -> Result<(), Response> {
        let (streams, names) =
            streams_of(name, tag).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e))?;
        let daemon = &self.app.daemon;
        let identity = crate::stream::identity(Some(self.account), u32::MAX);
        for spec in &streams {
            let matcher =
                crate::stream::compile(daemon.store(), spec, Some(self.account), identity)
                    .await
                    .map_err(from_error)?;
            let sink = Box::new(crate::stream::Queue {
                tx: self.tx.clone(),
                closer: self.closer.clone(),
            });
            let max = daemon.config().max_subs_per_account;
            let subscription =
                crate::stream::Subscription::open(daemon.hub(), identity, max, matcher, sink)
                    .map_err(|e| error(StatusCode::TOO_MANY_REQUESTS, e.to_string()))?;
            self.subscriptions.push((subscription, names.clone()));
        }
        Ok(())
    }

    /// Ends the subscriptions of stream `name`.
    fn unsubscribe(&mut self, name: &str) {
        self.subscriptions.retain(|(_, names)| names[0] != name);
    }

    /// The next event or keep-alive; `None` ends the stream.
    async fn next(&mut self) -> Option<Next> {
        let mut stop = self.app.stop.clone();
        loop {
            let feed = tokio::select! {
                feed = self.rx.recv() => Some(feed?),
                _ = self.keepalive.tick() => return Some(Next::KeepAlive),
                () = self.closer.notified() => return None,
                _ = stop.wait_for(|s| *s) => return None,
                _ = self.check.tick(), if self.token.is_some() => None,
            };
            let Some(feed) = feed else {
                let hash = self.token.as_deref().unwrap_or_default();
                let owner = self.app.daemon.store().account_of_app_token(hash).await;
                if matches!(owner, Ok(owner) if owner != Some(self.account)) {
                    return None;
                }
                continue;
            };
            let crate::stream::Feed::Live { tally, event } = feed else {
                continue;
            };
            let Some((_, names)) = self
                .subscriptions
                .iter()
                .find(|(s, _)| s.tally().sub == tally.sub)
            else {
                continue;
            };
            let names = names.clone();
            let mut line = Vec::new();
            event.write_line(0, &mut line);
            let Ok(event) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if let Some((name, data)) = self.frame(&event).await {
                return Some(Next::Event(names, name, data));
            }
        }
    }

    /// A protocol event as Mastodon's (`update`, `delete`, `notification`)
    /// with its data; `None` for what Mastodon has no event for.
    async fn frame(&self, event: &Value) -> Option<(&'static str, String)> {
        match event["event"].as_str()? {
            "status" => {
                let status: Status = serde_json::from_value(event["status"].clone()).ok()?;
                let json = statuses_json(&self.app, &[status], &self.base).await.ok()?;
                Some(("update", json.into_iter().next()?.to_string()))
            }
            "delete" => Some(("delete", event["status"].to_string())),
            "message" => {
                let message = &event["message"];
                let conversation = message["conversation"].as_str()?;
                let ids = crate::store::direct::participants(conversation)?;
                let store = self.app.daemon.store();
                let people: Vec<User> = store
                    .users(&ids)
                    .await
                    .ok()?
                    .into_iter()
                    .flatten()
                    .collect();
                let me = people.iter().find(|u| u.id == self.account)?.clone();
                let with: Vec<User> = people
                    .into_iter()
                    .filter(|u| u.id != self.account)
                    .collect();
                let unread = message["from"].as_str() != Some(me.login.as_str());
                let json = conversation_json(&with, &me, message, unread, &self.base);
                Some(("conversation", json.to_string()))
            }
            "notification" => {
                let n: Notification = serde_json::from_value(event["notification"].clone()).ok()?;
                let statuses: Vec<Status> = n.status.iter().cloned().collect();
                let mut logins = vec![n.from.login.clone()];
                logins.extend(statuses.iter().flat_map(logins_of));
                let users = users_of(&self.app, logins).await.ok()?;
                let json = notification_json(&n, &users, &self.base);
                Some(("notification", json.to_string()))
            }
            _ => None,
        }
    }
}

/// A streaming request's caller, with no subscription yet: the stream holds
/// the token it came with, so revoking the token ends it.
async fn open_stream(
    app: &App,
    request: Request,
) -> Result<(EventStream, Params, axum::http::request::Parts), Response> {
    let (params, parts) = Params::of(request).await?;
    let account = authenticated(app, &parts).await?;
    let stream = EventStream::new(app, account, base(&parts), bearer(&parts));
    Ok((stream, params, parts))
}

/// Opens a server-sent-events stream of the Mastodon stream `name`.
async fn event_stream(app: App, request: Request, name: &str) -> Response {
    let (mut stream, params, _) = attempt!(open_stream(&app, request).await);
    attempt!(stream.subscribe(name, params.get("tag")).await);
    let body = futures_util::stream::unfold(stream, |mut s| async move {
        let frame = match s.next().await? {
            Next::KeepAlive => ":thump\n\n".to_owned(),
            Next::Event(_, name, data) => format!("event: {name}\ndata: {data}\n\n"),
        };
        Some((
            Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(frame)),
            s,
        ))
    });
    let mut response = Response::new(axum::body::Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn stream_user(State(app): State<App>, request: Request) -> Response {
    event_stream(app, request, "user").await
}

async fn stream_notifications(State(app): State<App>, request: Request) -> Response {
    event_stream(app, request, "user:notification").await
}

async fn stream_direct(State(app): State<App>, request: Request) -> Response {
    event_stream(app, request, "direct").await
}

async fn stream_public(State(app): State<App>, request: Request) -> Response {
    event_stream(app, request, "public").await
}

async fn stream_hashtag(State(app): State<App>, request: Request) -> Response {
    event_stream(app, request, "hashtag").await
}

/// `GET /api/v1/streaming` upgraded to a WebSocket: the stream the query
/// names (if any), then `{"type": "subscribe" | "unsubscribe", "stream",
/// "tag"}` messages; events go out as `{"stream": [...], "event", "payload"}`
/// with the payload a JSON string, as Mastodon sends them.
async fn websocket(
    State(app): State<App>,
    upgrade: Result<
        axum::extract::ws::WebSocketUpgrade,
        axum::extract::ws::rejection::WebSocketUpgradeRejection,
    >,
    request: Request,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(why) => return error(StatusCode::BAD_REQUEST, why.body_text()),
    };
    let (mut stream, params, parts) = attempt!(open_stream(&app, request).await);
    if let Some(name) = params.get("stream") {
        attempt!(stream.subscribe(name, params.get("tag")).await);
    }
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let upgrade = match protocol {
        Some(p) => upgrade.protocols([p]),
        None => upgrade,
    };
    upgrade.on_upgrade(move |socket| serve_websocket(socket, stream))
}

async fn serve_websocket(mut socket: axum::extract::ws::WebSocket, mut stream: EventStream) {
    use axum::extract::ws::Message;
    loop {
        tokio::select! {
            next = stream.next() => {
                let message = match next {
                    None => break,
                    Some(Next::KeepAlive) => Message::Ping(Default::default()),
                    Some(Next::Event(names, name, payload)) => Message::Text(
                        json!({"stream": names, "event": name, "payload": payload})
                            .to_string()
                            .into(),
                    ),
                };
                if socket.send(message).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(request) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                let name = request["stream"].as_str().unwrap_or("");
                match request["type"].as_str() {
                    Some("subscribe") => {
                        if let Err(refused) = stream.subscribe(name, request["tag"].as_str()).await {
                            let body = axum::body::to_bytes(refused.into_body(), 4096).await.unwrap_or_default();
                            let said = String::from_utf8_lossy(&body).into_owned();
                            if socket.send(Message::Text(said.into())).await.is_err() {
                                break;
                            }
                        }
                    }
                    Some("unsubscribe") => stream.unsubscribe(name),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_escapes_and_marks_up_mentions_tags_and_links() {
        let html = content(
            "hi @Bob <b>&</b> #Rust see https://x.org/a?b=1&c=2\nbye @nobody #",
            &["bob".into()],
            &["rust".into()],
            "http://h",
        );
        assert_eq!(
            html,
            "<p>hi <span class=\"h-card\"><a href=\"http://h/@bob\" class=\"u-url mention\">@<span>Bob</span></a></span> \
             &lt;b&gt;&amp;&lt;/b&gt; <a href=\"http://h/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a> \
             see <a href=\"https://x.org/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://x.org/a?b=1&amp;c=2</a>\
             <br>bye @nobody #</p>"
        );
    }
}
