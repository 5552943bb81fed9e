//! The connection to roostd: finding (or starting) the daemon, and a handle
//! that sends requests and routes answers by id while events flow to a channel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use roost_shared::paths;
use roost_shared::{ErrorBody, ErrorCode, Event, Incoming, Request, RequestLine, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc, oneshot};

/// A request's failure: the daemon's error, or the connection going away.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Failure {}

impl From<ErrorBody> for Failure {
    fn from(e: ErrorBody) -> Self {
        Failure {
            code: e.code,
            message: e.message,
        }
    }
}

fn gone() -> Failure {
    Failure {
        code: ErrorCode::Unavailable,
        message: "the connection to roostd closed".into(),
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Response>>>>;

/// A live connection; cheap to clone.
#[derive(Clone)]
pub struct Client {
    writer: Arc<Mutex<OwnedWriteHalf>>,
    pending: Pending,
    next: Arc<AtomicU64>,
}

impl Client {
    /// Connects to `socket`; events of subscriptions arrive on the receiver,
    /// which closes when the connection does.
    pub async fn connect(
        socket: &Path,
    ) -> std::io::Result<(Client, mpsc::UnboundedReceiver<Event>)> {
        let stream = UnixStream::connect(socket).await?;
        let (read, write) = stream.into_split();
        let pending: Pending = Arc::default();
        let (events_tx, events) = mpsc::unbounded_channel();
        let routes = pending.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Incoming>(&line) {
                    Ok(Incoming::Event(e)) => {
                        let _ = events_tx.send(e);
                    }
                    Ok(Incoming::Response(r)) => {
                        let id = r.id.as_u64().unwrap_or(0);
                        if let Some(tx) = routes.lock().await.remove(&id) {
                            let _ = tx.send(r);
                        }
                    }
                    Err(_) => {}
                }
            }
            routes.lock().await.clear();
        });
        let client = Client {
            writer: Arc::new(Mutex::new(write)),
            pending,
            next: Arc::new(AtomicU64::new(1)),
        };
        Ok((client, events))
    }

    /// Sends a request and waits for its answer.
    pub async fn call(&self, request: Request) -> Result<Value, Failure> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        let line = RequestLine {
            id: Value::from(id),
            as_login: None,
            request,
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|e| Failure {
            code: ErrorCode::Internal,
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        if self.writer.lock().await.write_all(&bytes).await.is_err() {
            self.pending.lock().await.remove(&id);
            return Err(gone());
        }
        let response = rx.await.map_err(|_| gone())?;
        Ok(response.into_result()?)
    }

    /// Sends a request and reads its answer as `T`.
    pub async fn call_as<T: DeserializeOwned>(&self, request: Request) -> Result<T, Failure> {
        let value = self.call(request).await?;
        serde_json::from_value(value).map_err(|e| Failure {
            code: ErrorCode::Internal,
            message: format!("unexpected answer: {e}"),
        })
    }
}

/// Whether a roostd answers on `socket`.
async fn answers(socket: &Path) -> bool {
    let Ok(Ok((client, _events))) =
        tokio::time::timeout(Duration::from_secs(2), Client::connect(socket)).await
    else {
        return false;
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), client.call(Request::Hello)).await,
        Ok(Ok(_))
    )
}

/// Finds the daemon as the protocol says: `ROOST_SOCKET`; the per-user socket
/// if a daemon answers there; the shared host's system daemon; else starts a
/// per-user roostd in the background (it starts its own redis-server) and waits
/// for it.
pub async fn locate_or_start() -> anyhow::Result<PathBuf> {
    if let Some(socket) = std::env::var_os(paths::SOCKET_ENV).filter(|s| !s.is_empty()) {
        return Ok(PathBuf::from(socket));
    }
    let user = paths::user_socket();
    if answers(&user).await {
        return Ok(user);
    }
    let system = PathBuf::from(paths::SYSTEM_SOCKET);
    if answers(&system).await {
        return Ok(system);
    }
    start_daemon(&user).await?;
    Ok(user)
}

/// The roostd binary: beside this one (as cargo builds them), else on PATH.
fn roostd_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("roostd")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("roostd"))
}

async fn start_daemon(socket: &Path) -> anyhow::Result<()> {
    let dir = socket.parent().context("socket path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let log_path = dir.join("roostd.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let mut cmd = std::process::Command::new(roostd_binary());
    cmd.arg("--socket")
        .arg(socket)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .context("starting roostd (is it installed beside roost or on PATH?)")?;
    for _ in 0..300 {
        if answers(socket).await {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(3).collect();
            bail!(
                "roostd exited ({status}): {}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!(
        "roostd did not answer on {} within 15 s (log: {})",
        socket.display(),
        log_path.display()
    )
}
