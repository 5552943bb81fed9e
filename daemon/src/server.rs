//! The listener: binds the socket (refusing when another live roostd holds it,
//! replacing a stale one), accepts connections up to a limit, and on shutdown
//! stops accepting and lets every connection finish its request in flight.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use roost_shared::{ErrorCode, Response};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use crate::connection::{Line, LineReader, Outgoing, write_loop};
use crate::daemon::Daemon;
use crate::identity::Peer;
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

/// Binds the socket at `path` with permissions `mode`.
pub fn bind(path: &Path, mode: u32) -> anyhow::Result<(UnixListener, SocketGuard)> {
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // A shared host's users must reach the socket inside.
        let dir_mode = if mode & 0o006 != 0 { 0o755 } else { 0o700 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(dir_mode))?;
    }
    let lock_path = path.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        bail!(
            "another roostd is running on {} (it holds {})",
            path.display(),
            lock_path.display()
        );
    }
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
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok((
        listener,
        SocketGuard {
            path: path.to_owned(),
            _lock: lock,
        },
    ))
}

/// Serves connections until `shutdown` completes, then waits for every
/// connection to finish the request it is handling.
pub async fn serve(daemon: Daemon, listener: &UnixListener, shutdown: impl Future<Output = ()>) {
    let limit = Arc::new(Semaphore::new(daemon.config().max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (daemon, stop, done) = (daemon.clone(), stop_rx.clone(), done_tx.clone());
        tokio::spawn(async move {
            if let Err(e) = handle(daemon, stream, stop).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop((permit, done));
        });
    }
    let _ = stop_tx.send(true);
    drop(done_tx);
    let _ = done_rx.recv().await;
}

/// Serves one connection: requests in order, each answered before the next;
/// events of its subscriptions in between.
async fn handle(
    daemon: Daemon,
    stream: UnixStream,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let peer = Peer::new(stream.peer_cred()?.uid());
    let config = daemon.config();
    let (read, write) = stream.into_split();
    let mut reader = LineReader::new(read, config.max_line);
    let (tx, rx) = mpsc::channel(config.sub_buffer());
    let closer = Arc::new(Notify::new());
    let writer = tokio::spawn(write_loop(write, rx));
    let out = tx.clone();
    let queue = Queue {
        tx,
        closer: closer.clone(),
    };
    let mut session = Session::new(peer, queue, config.max_subs_per_connection);
    let mut stalled = false;
    loop {
        let line = tokio::select! {
            line = reader.read_line() => line,
            _ = stop.wait_for(|stop| *stop) => break,
            () = closer.notified() => { stalled = true; break }
        };
        match line {
            Ok(Line::Request(bytes)) => {
                let response = ops::apply(&daemon, &mut session, &bytes).await;
                if let Some(response) = response
                    && out
                        .send(Outgoing::Response(Box::new(response)))
                        .await
                        .is_err()
                {
                    break;
                }
            }
            Ok(Line::TooLarge) => {
                let max = daemon.config().max_line;
                let message = format!("request line longer than {max} bytes; closing");
                let response =
                    Response::failure(serde_json::Value::Null, ErrorCode::TooLarge, message);
                let _ = out.send(Outgoing::Response(Box::new(response))).await;
                break;
            }
            Ok(Line::Closed) | Err(_) => break,
        }
    }
    // Ends every subscription, so the hub lets go of the queue too.
    drop(session);
    drop(out);
    if stalled {
        writer.abort();
        return Ok(());
    }
    writer.await.unwrap_or(Ok(()))
}
