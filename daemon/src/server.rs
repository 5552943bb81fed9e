//! The listener: binds the socket (refusing when another live roostd holds it,
//! replacing a stale one), admits connections within the per-user and total
//! limits (refusing the rest with `rate_limited`), and on shutdown stops
//! accepting and lets every connection finish its request in flight, within a
//! grace time.

use std::fs::File;
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use std::time::Duration;

use roost_shared::{ErrorCode, Response};
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::admission;
use crate::connection::{Line, LineReader, Outgoing, write_loop};
use crate::daemon::Daemon;
use crate::identity::Peer;
use crate::lockfile::try_lock;
use crate::ops;
use crate::session::Session;
use crate::stream::Queue;

/// The lock that says this roostd owns a socket path. Dropping it removes the
/// socket file.
pub struct SocketGuard {
    path: PathBuf,
    _lock: File,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Who may connect to a socket: its permission bits and, for a group-only
/// socket, the group.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub mode: u32,
    pub gid: Option<u32>,
}

/// Binds the socket at `path` with `access`, in a directory no other user
/// can write to (else they could put their own socket in its place).
pub fn bind(path: &Path, access: Access) -> anyhow::Result<(UnixListener, SocketGuard)> {
    let mode = access.mode;
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // A shared host's users must reach the socket inside.
        let dir_mode = if mode & 0o077 != 0 { 0o755 } else { 0o700 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(dir_mode))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        check_dir(dir)?;
    }
    // `<socket>.lock`: two sockets never share a lock (a.sock, a.http).
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let Some(lock) = try_lock(&lock_path)? else {
        bail!(
            "another roostd is running on {} (it holds {})",
            path.display(),
            lock_path.display()
        );
    };
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!(
                "another process is serving {}; not replacing it",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale socket {}", path.display()))?;
        tracing::info!(socket = %path.display(), "replaced a stale socket");
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("binding {}", path.display()))?;
    if let Some(gid) = access.gid {
        std::os::unix::fs::chown(path, None, Some(gid))
            .with_context(|| format!("giving {} to group {gid}", path.display()))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok((
        listener,
        SocketGuard {
            path: path.to_owned(),
            _lock: lock,
        },
    ))
}

/// Refuses a socket directory that another user owns or could write to.
fn check_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    let me = crate::identity::daemon_uid();
    if meta.uid() != me && meta.uid() != 0 {
        bail!(
            "{} belongs to uid {}: roostd's socket needs a directory of its own user or root",
            dir.display(),
            meta.uid()
        );
    }
    // SAFETY: getegid has no preconditions and cannot fail.
    let my_group = unsafe { libc::getegid() };
    let writable_by_others =
        meta.mode() & 0o002 != 0 || (meta.mode() & 0o020 != 0 && meta.gid() != my_group);
    if writable_by_others {
        bail!(
            "{} can be written by other users (mode {:o}), who could replace the socket; \
             use a directory only roostd's user can write to",
            dir.display(),
            meta.mode() & 0o7777
        );
    }
    Ok(())
}

/// Serves connections until `shutdown` completes, then lets every connection
/// finish the request it is handling, cutting off those that take longer than
/// the shutdown grace time.
pub async fn serve(daemon: Daemon, listener: &UnixListener, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: others finish meanwhile.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let Ok(cred) = stream.peer_cred() else {
            continue;
        };
        let peer = Peer::new(cred.uid());
        let ticket = daemon
            .admission()
            .admit(admission::Peer::Uid(peer.uid), peer.operator);
        let (daemon, stop) = (daemon.clone(), stop_rx.clone());
        connections.spawn(async move {
            match ticket {
                Ok(ticket) => {
                    if let Err(e) = handle(daemon, stream, peer, stop).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    drop(ticket);
                }
                Err(why) => refuse(stream, &why).await,
            }
        });
    }
    let _ = stop_tx.send(true);
    let grace = daemon.config().shutdown_grace();
    let finished = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::info!(
            left = connections.len(),
            "closing connections past the grace time"
        );
        connections.shutdown().await;
    }
}

/// Tells a client it may not connect now, then closes.
async fn refuse(mut stream: UnixStream, why: &str) {
    let response = Response::failure(serde_json::Value::Null, ErrorCode::RateLimited, why);
    let mut line = serde_json::to_vec(&response).unwrap_or_default();
    line.push(b'\n');
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&line)).await;
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The client closed it, or a line was too long.
    Closed,
    /// The client stopped reading: nothing more can reach it.
    Stalled,
    /// roostd is shutting down.
    Stopped,
}

/// Serves one connection: requests in order, each answered before the next;
/// events of its subscriptions in between. A client that does not read its
/// responses gets no more requests read until it does, and is disconnected
/// after the stall timeout.
async fn handle(
    daemon: Daemon,
    stream: UnixStream,
    peer: Peer,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let config = daemon.config();
    let (read, write) = stream.into_split();
    let mut reader = LineReader::new(read, config.max_line);
    let (tx, rx) = mpsc::channel(config.sub_buffer());
    let closer = Arc::new(Notify::new());
    let max_queued = config.max_queued_bytes;
    let budget = Arc::new(Semaphore::new(max_queued as usize));
    let stall = config.stall_timeout();
    let mut writer = tokio::spawn(write_loop(write, rx, budget.clone(), stall, closer.clone()));
    let queue = Queue {
        tx,
        closer: closer.clone(),
    };
    let mut session = Session::new(peer, queue, config.max_subs_per_connection);
    // Idle: no request for a while and no subscription to wait for.
    let idle = tokio::time::sleep(config.idle_timeout());
    tokio::pin!(idle);
    let end = loop {
        let line = tokio::select! {
            line = reader.read_line() => line,
            _ = stop.wait_for(|stop| *stop) => break End::Stopped,
            () = closer.notified() => break End::Stalled,
            () = &mut idle, if session.subscriptions.is_empty() => break End::Closed,
        };
        idle.as_mut()
            .reset(tokio::time::Instant::now() + config.idle_timeout());
        let response = match line {
            Ok(Line::Request(bytes)) => match ops::apply(&daemon, &mut session, &bytes).await {
                Some(response) => response,
                None => continue,
            },
            Ok(Line::TooLarge) => {
                let max = config.max_line;
                let message = format!("request line longer than {max} bytes; closing");
                let response =
                    Response::failure(serde_json::Value::Null, ErrorCode::TooLarge, message);
                let response = Outgoing::Response(Box::new(response));
                let _ = session.queue.tx.send(response).await;
                break End::Closed;
            }
            Ok(Line::Closed) | Err(_) => break End::Closed,
        };
        // Waits while the client leaves earlier responses unread: no more of
        // its requests are read meanwhile.
        let mut bytes = serde_json::to_vec(&response).unwrap_or_default();
        bytes.push(b'\n');
        let permits = (bytes.len() as u32).clamp(1, max_queued);
        let queued = async {
            let permit = budget.acquire_many(permits).await.ok()?;
            permit.forget();
            let line = Outgoing::Line { bytes, permits };
            session.queue.tx.send(line).await.ok()
        };
        match tokio::time::timeout(stall, queued).await {
            Ok(Some(())) => {}
            Ok(None) => break End::Closed,
            Err(_) => break End::Stalled,
        }
    };
    // Ends every subscription, so the hub lets go of the queue too.
    drop(session);
    if end == End::Stalled {
        tracing::info!(uid = peer.uid, "closing a connection that stopped reading");
        writer.abort();
        return Ok(());
    }
    // What is queued goes out, if the client takes it within the stall timeout.
    match tokio::time::timeout(stall, &mut writer).await {
        Ok(result) => result.unwrap_or(Ok(())),
        Err(_) => {
            writer.abort();
            Ok(())
        }
    }
}
