//! A private `redis-server` for one user, started when roostd is given no Redis:
//! on a Unix socket in the runtime directory, with its data (append-only file
//! on) in the user's data directory, both readable by the user alone, so what
//! one run wrote is there in the next. It is stopped when roostd exits, and
//! dies with roostd even on SIGKILL.
//!
//! One roostd of a user owns it, by a lock on the data directory; another
//! roostd of the same user (another `--socket`) uses the running server, and
//! takes it over when the owner goes.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// How long redis-server may take to load its data and accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PrivateRedis {
    child: Child,
    socket: PathBuf,
}

/// Runs or joins the user's private redis-server: returns its URL and the task
/// that keeps it running (or that takes it over from another roostd) until
/// `stop`.
pub async fn run(
    runtime_dir: PathBuf,
    data_dir: PathBuf,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    for dir in [&runtime_dir, &data_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", dir.display()))?;
    }
    let socket = runtime_dir.join("redis.sock");
    let url = format!("redis+unix://{}", socket.display());
    if let Some(lock) = try_lock(&data_dir)? {
        let redis = PrivateRedis::start(&runtime_dir, &data_dir).await?;
        let task = tokio::spawn(redis.supervise(runtime_dir, data_dir, lock, stop));
        return Ok((url, task));
    }
    // Another roostd of this user runs it.
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    while !ping(&socket).await {
        if tokio::time::Instant::now() > deadline {
            bail!(
                "another roostd holds {} but its redis-server does not answer on {}",
                data_dir.join(LOCK).display(),
                socket.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!(socket = %socket.display(), "using the private redis-server another roostd runs");
    Ok((url, tokio::spawn(follow(runtime_dir, data_dir, stop))))
}

/// The lock file in the data directory that says which roostd runs the server.
const LOCK: &str = "redis.lock";

/// The data directory's lock, if no other live roostd holds it.
fn try_lock(data_dir: &Path) -> anyhow::Result<Option<File>> {
    crate::lockfile::try_lock(&data_dir.join(LOCK))
}

/// Uses another roostd's server; when that roostd is gone (its server goes
/// with it), takes the lock and runs the server here.
async fn follow(runtime_dir: PathBuf, data_dir: PathBuf, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let Ok(Some(lock)) = try_lock(&data_dir) else {
            continue;
        };
        tracing::info!("the roostd that ran the private redis-server is gone; running it here");
        match PrivateRedis::start(&runtime_dir, &data_dir).await {
            Ok(redis) => return redis.supervise(runtime_dir, data_dir, lock, stop).await,
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "starting redis-server failed"),
        }
    }
}

impl PrivateRedis {
    /// Starts redis-server with its socket in `runtime_dir` and data in
    /// `data_dir`; the caller holds the data directory's lock.
    async fn start(runtime_dir: &Path, data_dir: &Path) -> anyhow::Result<PrivateRedis> {
        let socket = runtime_dir.join("redis.sock");
        let pidfile = runtime_dir.join("redis.pid");
        stop_orphan(&pidfile).await;
        let _ = std::fs::remove_file(&socket);
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg("0")
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--unixsocketperm")
            .arg("700")
            .arg("--dir")
            .arg(data_dir)
            .arg("--appendonly")
            .arg("yes")
            .arg("--save")
            .arg("")
            .arg("--pidfile")
            .arg(&pidfile)
            .arg("--logfile")
            .arg(data_dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        // SAFETY: prctl and umask are async-signal-safe and touch no memory of
        // the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                // Its data, log and socket: the user's alone.
                libc::umask(0o077);
                Ok(())
            });
        }
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "redis-server is not installed. Install it (Debian/Ubuntu: \
                 `sudo apt-get install redis-server`) or point roostd at a Redis with \
                 --redis URL or ROOST_REDIS_URL"
            ),
            Err(e) => return Err(e).context("starting redis-server"),
        };
        let mut redis = PrivateRedis { child, socket };
        redis.wait_ready(data_dir).await?;
        tracing::info!(socket = %redis.socket.display(), data = %data_dir.display(), "private redis-server started");
        Ok(redis)
    }

    async fn wait_ready(&mut self, data_dir: &Path) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "redis-server exited ({status}) before accepting connections; see {}",
                    data_dir.join("redis.log").display()
                );
            }
            if ping(&self.socket).await {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("redis-server did not accept connections within {READY_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Keeps redis-server running until `stop` turns true, then stops it and
    /// lets go of the lock. One that exits (killed, crashed) is started again
    /// on the same files, so nothing is lost beyond the append-only file's last
    /// fsync (1 s).
    async fn supervise(
        mut self,
        runtime_dir: PathBuf,
        data_dir: PathBuf,
        _lock: File,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let exited = tokio::select! {
                status = self.child.wait() => Some(status),
                _ = stop.wait_for(|s| *s) => None,
            };
            let Some(status) = exited else {
                return self.stop().await;
            };
            tracing::warn!(
                ?status,
                "the private redis-server exited; starting it again"
            );
            loop {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                match PrivateRedis::start(&runtime_dir, &data_dir).await {
                    Ok(fresh) => {
                        self = fresh;
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "restarting redis-server failed")
                    }
                }
            }
        }
    }

    /// Stops redis-server (SIGTERM: it flushes the append-only file) and waits.
    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: signalling our own child process.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}

async fn ping(socket: &Path) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::UnixStream::connect(socket).await else {
        return false;
    };
    if stream.write_all(b"PING\r\n").await.is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).await.is_ok() && &reply == b"+PONG\r\n"
}

/// Stops a redis-server left over from an earlier roostd on these files.
async fn stop_orphan(pidfile: &Path) {
    let Some(pid) = std::fs::read_to_string(pidfile)
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok())
    else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !String::from_utf8_lossy(&cmdline).contains("redis-server") {
        return;
    }
    tracing::info!(pid, "stopping a redis-server left by an earlier roostd");
    // SAFETY: signalling a process by pid; we checked it is a redis-server.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    for _ in 0..250 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
