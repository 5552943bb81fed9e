//! The HTTP streaming API, as Twitter had it: `/statuses/filter.json` (GET with
//! a query, POST with a form body), `/statuses/sample.json` and
//! `/statuses/firehose.json`, chunked, one JSON per line (`\r\n`), a blank line
//! as keep-alive, optionally `delimited=length`. Served on a Unix socket (the
//! caller known from peer credentials) and, when asked, on TCP with bearer
//! tokens from the `token` op.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use roost_shared::{ErrorCode, Filter, Sample, Stream};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Notify, mpsc};

use crate::Daemon;
use crate::error::Error;
use crate::stream::{self, Outgoing, Sink};

/// Largest form body a POST to filter.json may send.
const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
struct App {
    daemon: Daemon,
    /// TCP requires bearer tokens; the Unix socket knows its peers.
    tcp: bool,
}

/// The Unix uid of an HTTP peer.
#[derive(Debug, Clone)]
struct Peer {
    uid: Option<u32>,
}

impl Connected<axum::serve::IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, UnixListener>) -> Self {
        Peer {
            uid: stream.io().peer_cred().ok().map(|c| c.uid()),
        }
    }
}

fn router(app: App) -> Router {
    Router::new()
        .route("/statuses/filter.json", get(filter).post(filter))
        .route("/statuses/sample.json", get(sample))
        .route("/statuses/firehose.json", get(firehose))
        .fallback(|| async {
            failure(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such endpoint",
            )
        })
        .with_state(app)
}

/// Serves the API on a Unix socket until `shutdown`.
pub async fn serve_unix(
    daemon: Daemon,
    listener: UnixListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = router(App { daemon, tcp: false }).into_make_service_with_connect_info::<Peer>();
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::warn!(error = %e, "the HTTP socket server stopped");
    }
}

/// Serves the API on TCP (bearer tokens required) until `shutdown`.
pub async fn serve_tcp(
    daemon: Daemon,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = router(App { daemon, tcp: true });
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::warn!(error = %e, "the HTTP TCP server stopped");
    }
}

/// A new bearer token: 32 random bytes, hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// How a token is stored: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    let mut locations = Vec::new();
    let numbers = list(param(&pairs, "locations"));
    if !numbers.len().is_multiple_of(4) {
        return bad("locations takes four numbers per box: west,south,east,north");
    }
    for chunk in numbers.chunks(4) {
        let mut b = [0.0; 4];
        for (slot, n) in b.iter_mut().zip(chunk) {
            match n.parse::<f64>() {
                Ok(x) if x.is_finite() => *slot = x,
                _ => return bad(format!("locations: {n:?} is not a number")),
            }
        }
        locations.push(b);
    }
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
async fn caller(
    app: &App,
    parts: &axum::http::request::Parts,
) -> Result<(Option<u64>, u64), Response> {
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
        let account = store
            .account_of_token(&token_hash(token.trim()))
            .await
            .map_err(from_error)?;
        let account = account.ok_or_else(|| unauthorized("unknown or replaced token"))?;
        return Ok((Some(account), account));
    }
    let uid = parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .and_then(|c| c.0.uid)
        .ok_or_else(|| {
            failure(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden,
                "no peer credentials",
            )
        })?;
    let account = store.id_of_unix_uid(uid).await.map_err(from_error)?;
    Ok((account, stream::identity(account, uid)))
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
    let (account, identity) = match caller(&app, parts).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let daemon = &app.daemon;
    let matcher = match stream::compile(daemon, &spec, account, identity).await {
        Ok(m) => m,
        Err(e) => return from_error(e),
    };
    let (tx, rx) = mpsc::channel(daemon.config().sub_buffer());
    let dropped = Arc::new(AtomicU64::new(0));
    let closer = Arc::new(Notify::new());
    let sub = daemon.hub().next_id();
    let sink = Sink {
        tx,
        dropped: dropped.clone(),
        closer: closer.clone(),
    };
    if !daemon.hub().register(
        sub,
        identity,
        daemon.config().max_subs_per_account,
        matcher,
        sink,
    ) {
        return failure(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many streams for this account",
        );
    }
    let state = Streaming {
        rx,
        dropped,
        closer,
        keepalive: tokio::time::interval_at(
            tokio::time::Instant::now() + daemon.config().http_keepalive(),
            daemon.config().http_keepalive(),
        ),
        delimited,
        _guard: Unregister {
            daemon: daemon.clone(),
            sub,
        },
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

/// Removes a stream's subscription when its response ends or the client goes.
struct Unregister {
    daemon: Daemon,
    sub: u64,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        self.daemon.hub().unregister(self.sub);
    }
}

struct Streaming {
    rx: mpsc::Receiver<Outgoing>,
    dropped: Arc<AtomicU64>,
    closer: Arc<Notify>,
    keepalive: tokio::time::Interval,
    delimited: bool,
    _guard: Unregister,
}

impl Streaming {
    /// The next chunk: messages, or a keep-alive; `None` ends the response.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            let item = tokio::select! {
                item = self.rx.recv() => item?,
                _ = self.keepalive.tick() => return Some(Bytes::from_static(b"\r\n")),
                () = self.closer.notified() => return None,
            };
            let mut out = Vec::new();
            let lost = self.dropped.swap(0, Ordering::Relaxed);
            if lost > 0 {
                self.push(&mut out, &serde_json::json!({"limit": {"track": lost}}));
            }
            if let Outgoing::Live(live) = item
                && let Some(line) = &live.event.http
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
