//! The HTTP streaming API, as Twitter had it: `/statuses/filter.json` (GET with
//! a query, POST with a form body), `/statuses/sample.json` and
//! `/statuses/firehose.json`, chunked, one JSON per line (`\r\n`), a blank line
//! as keep-alive, optionally `delimited=length`. Served on a Unix socket (the
//! caller known from peer credentials) and, when asked, on TCP with bearer
//! tokens from the `token` op. Beside them, a Mastodon-compatible client API
//! ([`mastodon`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use roost_shared::validate::location_boxes;
use roost_shared::{ErrorCode, Filter, Sample, Stream};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::admission;
use crate::daemon::Daemon;
use crate::error::Error;
use crate::identity::{self, token_hash};
use crate::stream::{self, Feed, Queue, Subscription};

mod mastodon;

/// Largest form body a POST to filter.json may send.
const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
struct App {
    daemon: Daemon,
    /// TCP requires bearer tokens; the Unix socket knows its peers.
    tcp: bool,
    /// Turns true at shutdown: every stream ends.
    stop: watch::Receiver<bool>,
}

/// The Unix uid of a connection to the HTTP socket, if its credentials could be
/// read (none on TCP).
#[derive(Debug, Clone, Copy)]
struct PeerUid(Option<u32>);

fn router(app: App) -> Router {
    let streams = Router::new()
        .route("/statuses/filter.json", get(filter).post(filter))
        .route("/statuses/sample.json", get(sample))
        .route("/statuses/firehose.json", get(firehose));
    mastodon::routes(streams)
        .method_not_allowed_fallback(|request: Request| async move {
            let message = "this endpoint does not take that method";
            if mastodon::is_mastodon_path(request.uri().path()) {
                return mastodon::error(StatusCode::METHOD_NOT_ALLOWED, message);
            }
            failure(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                message,
            )
        })
        .fallback(|request: Request| async move {
            // The Mastodon API's unknown paths answer as Mastodon does.
            if mastodon::is_mastodon_path(request.uri().path()) {
                return mastodon::not_found();
            }
            failure(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such endpoint",
            )
        })
        .with_state(app)
}

/// A listener the API is served on: who each connection counts against.
trait Listen {
    type Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static;
    /// The next connection, with its uid (on a Unix socket), the peer it is
    /// admitted as, and whether it is an operator.
    fn next(
        &self,
    ) -> impl Future<Output = std::io::Result<(Self::Io, PeerUid, admission::Peer, bool)>> + Send;
}

impl Listen for UnixListener {
    type Io = tokio::net::UnixStream;

    async fn next(&self) -> std::io::Result<(Self::Io, PeerUid, admission::Peer, bool)> {
        let (stream, _) = self.accept().await?;
        let uid = stream.peer_cred()?.uid();
        let peer = identity::Peer::new(uid);
        Ok((
            stream,
            PeerUid(Some(uid)),
            admission::Peer::Uid(uid),
            peer.operator,
        ))
    }
}

impl Listen for TcpListener {
    type Io = tokio::net::TcpStream;

    async fn next(&self) -> std::io::Result<(Self::Io, PeerUid, admission::Peer, bool)> {
        let (stream, addr) = self.accept().await?;
        Ok((
            stream,
            PeerUid(None),
            admission::Peer::Addr(addr.ip()),
            false,
        ))
    }
}

/// Serves the API on a Unix socket (identity from peer credentials) until `stop`.
pub async fn serve_unix(daemon: Daemon, listener: UnixListener, stop: watch::Receiver<bool>) {
    serve(
        App {
            daemon,
            tcp: false,
            stop,
        },
        listener,
    )
    .await;
}

/// Serves the API on TCP (bearer tokens required, connections capped per
/// address before any token is read) until `stop`.
pub async fn serve_tcp(daemon: Daemon, listener: TcpListener, stop: watch::Receiver<bool>) {
    serve(
        App {
            daemon,
            tcp: true,
            stop,
        },
        listener,
    )
    .await;
}

/// Accepts connections within the connection limits until stop, then lets
/// them end (streams end at once) within the shutdown grace time.
async fn serve(app: App, listener: impl Listen) {
    let router = router(app.clone());
    let mut stop = app.stop.clone();
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.next() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        while connections.try_join_next().is_some() {}
        let (io, uid, peer, operator) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Refused: closed before anything is read.
        let Ok(ticket) = app.daemon.admission().admit(peer, operator) else {
            continue;
        };
        let (router, app) = (router.clone(), app.clone());
        connections.spawn(async move {
            connection(app, router, io, uid).await;
            drop(ticket);
        });
    }
    let grace = app.daemon.config().shutdown_grace();
    let finished = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        connections.shutdown().await;
    }
}

/// One HTTP connection: its headers must arrive within the header timeout
/// (also while it idles between requests); at stop it ends gracefully.
async fn connection<Io>(app: App, router: Router, io: Io, uid: PeerUid)
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(uid);
        without_trailing_slash(&mut request);
        let mut router = router.clone();
        async move { router.call(request).await }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.daemon.config().http_header_timeout());
    // Upgrades: the Mastodon API's streaming WebSocket.
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let mut stop = app.stop.clone();
    let stopping = async {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
        }
        () = stopping => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(app.daemon.config().shutdown_grace(), conn).await;
        }
    }
}

/// `/api/v1/instance/` is `/api/v1/instance`, as Mastodon has it (clients
/// such as Mastodon.py and toot ask with the slash).
fn without_trailing_slash<B>(request: &mut Request<B>) {
    let path = request.uri().path();
    if path.len() <= 1 || !path.ends_with('/') {
        return;
    }
    let trimmed = path.trim_end_matches('/');
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(p) = path_and_query.parse() {
        parts.path_and_query = Some(p);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

fn failure(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message.into()}});
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn from_error(e: Error) -> Response {
    let status = match e.code() {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::NotRegistered | ErrorCode::Forbidden => StatusCode::UNAUTHORIZED,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    failure(status, e.code(), e.to_string())
}

fn bad(message: impl Into<String>) -> Response {
    failure(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
}

/// The query's parameters, and for a POST the form body's after them.
async fn params(
    request: Request,
) -> Result<(Vec<(String, String)>, axum::http::request::Parts), Response> {
    let (parts, body) = request.into_parts();
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if parts.method == axum::http::Method::POST {
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| bad("form body too large"))?;
        pairs.extend(form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    Ok((pairs, parts))
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn filter(State(app): State<App>, request: Request) -> Response {
    let (pairs, parts) = match params(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let locations = match location_boxes(param(&pairs, "locations").unwrap_or("")) {
        Ok(boxes) => boxes,
        Err(why) => return bad(why),
    };
    let filter = Filter {
        follow: list(param(&pairs, "follow")),
        track: list(param(&pairs, "track")),
        locations,
    };
    open(app, &pairs, &parts, Stream::Filter(filter)).await
}

async fn sample(State(app): State<App>, request: Request) -> Response {
    let (pairs, parts) = match params(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let percent = match param(&pairs, "percent").map(str::parse::<u8>) {
        None => 1,
        Some(Ok(p)) if (1..=100).contains(&p) => p,
        Some(_) => return bad("percent must be 1 to 100"),
    };
    open(app, &pairs, &parts, Stream::Sample(Sample { percent })).await
}

async fn firehose(State(app): State<App>, request: Request) -> Response {
    let (pairs, parts) = match params(request).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    open(app, &pairs, &parts, Stream::Firehose).await
}

/// The caller's account and stream identity: from the bearer token on TCP,
/// from peer credentials on the Unix socket.
/// Who is calling: the account, the stream identity, and on TCP the token
/// (its hash) the stream holds only while it stays the account's current one.
async fn caller(
    app: &App,
    parts: &axum::http::request::Parts,
) -> Result<(Option<u64>, u64, Option<String>), Response> {
    let store = app.daemon.store();
    if app.tcp {
        let unauthorized = |m: &str| failure(StatusCode::UNAUTHORIZED, ErrorCode::Forbidden, m);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                unauthorized("send Authorization: Bearer <token> (from the token op)")
            })?;
        let hash = token_hash(token.trim());
        let account = store.account_of_token(&hash).await.map_err(from_error)?;
        let account = account.ok_or_else(|| unauthorized("unknown or replaced token"))?;
        return Ok((Some(account), account, Some(hash)));
    }
    let uid = parts
        .extensions
        .get::<PeerUid>()
        .and_then(|p| p.0)
        .ok_or_else(|| {
            failure(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden,
                "no peer credentials",
            )
        })?;
    let account = store.id_of_unix_uid(uid).await.map_err(from_error)?;
    Ok((account, stream::identity(account, uid), None))
}

async fn open(
    app: App,
    pairs: &[(String, String)],
    parts: &axum::http::request::Parts,
    spec: Stream,
) -> Response {
    let delimited = match param(pairs, "delimited") {
        None => false,
        Some("length") => true,
        Some(other) => return bad(format!("delimited must be \"length\", not {other:?}")),
    };
    let (account, identity, token) = match caller(&app, parts).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let daemon = &app.daemon;
    let matcher = match stream::compile(daemon.store(), &spec, account, identity).await {
        Ok(m) => m,
        Err(e) => return from_error(e),
    };
    let (tx, rx) = mpsc::channel(daemon.config().sub_buffer());
    let closer = Arc::new(Notify::new());
    let sink = Box::new(Queue {
        tx,
        closer: closer.clone(),
    });
    let max = daemon.config().max_subs_per_account;
    let subscription = match Subscription::open(daemon.hub(), identity, max, matcher, sink) {
        Ok(s) => s,
        Err(e) => return from_error(e),
    };
    let state = Streaming {
        rx,
        closer,
        stop: app.stop.clone(),
        token: token.map(|hash| Token {
            hash,
            account: account.unwrap_or_default(),
            store: daemon.store().clone(),
            check: tokio::time::interval(TOKEN_CHECK),
        }),
        keepalive: tokio::time::interval_at(
            tokio::time::Instant::now() + daemon.config().http_keepalive(),
            daemon.config().http_keepalive(),
        ),
        delimited,
        subscription,
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        let bytes = s.next().await?;
        Some((Ok::<_, std::convert::Infallible>(bytes), s))
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// One streaming response; its subscription ends when the response ends or
/// the client goes.
/// How often a TCP stream checks that its token is still the account's.
const TOKEN_CHECK: Duration = Duration::from_secs(1);

/// The token a TCP stream was opened with: a new token ends the stream.
struct Token {
    hash: String,
    account: u64,
    store: crate::store::Store,
    check: tokio::time::Interval,
}

impl Token {
    /// Waits until the token is no longer the account's.
    async fn replaced(&mut self) {
        loop {
            self.check.tick().await;
            let current = self.store.account_of_token(&self.hash).await;
            if matches!(current, Ok(owner) if owner != Some(self.account)) {
                return;
            }
        }
    }
}

struct Streaming {
    token: Option<Token>,
    rx: mpsc::Receiver<Feed>,
    closer: Arc<Notify>,
    stop: watch::Receiver<bool>,
    keepalive: tokio::time::Interval,
    delimited: bool,
    subscription: Subscription,
}

impl Streaming {
    /// The next chunk: messages, or a keep-alive; `None` ends the response.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            let item = tokio::select! {
                item = self.rx.recv() => item?,
                _ = self.keepalive.tick() => return Some(Bytes::from_static(b"\r\n")),
                () = self.closer.notified() => return None,
                _ = self.stop.wait_for(|s| *s) => return None,
                () = async {
                    match &mut self.token {
                        Some(token) => token.replaced().await,
                        None => std::future::pending().await,
                    }
                } => return None,
            };
            let mut out = Vec::new();
            let lost = self.subscription.tally().take_dropped();
            if lost > 0 {
                self.push(&mut out, &serde_json::json!({"limit": {"track": lost}}));
            }
            if let Feed::Live { event, .. } = item
                && let Some(line) = &event.http
            {
                self.push_raw(&mut out, line.as_bytes());
            }
            if !out.is_empty() {
                return Some(Bytes::from(out));
            }
        }
    }

    fn push<T: serde::Serialize>(&self, out: &mut Vec<u8>, message: &T) {
        self.push_raw(out, &serde_json::to_vec(message).unwrap_or_default());
    }

    /// Appends one message line, with its length line first if delimited.
    fn push_raw(&self, out: &mut Vec<u8>, message: &[u8]) {
        let mut line = message.to_vec();
        line.extend_from_slice(b"\r\n");
        if self.delimited {
            out.extend_from_slice(format!("{}\r\n", line.len()).as_bytes());
        }
        out.extend_from_slice(&line);
    }
}
