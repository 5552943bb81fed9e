//! Real processes for end-to-end tests and benchmarks: a private `redis-server`
//! on a temporary Unix socket, the real `roostd` binary on a temporary socket,
//! and a client that speaks the wire protocol as a script would. A test never
//! touches a Redis it did not start here.

pub mod bench;
pub mod fuzz;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// How long a started process may take to become ready.
const READY: Duration = Duration::from_secs(20);

/// A file in the same target directory as the running test binary.
pub fn target_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}

/// A loopback TCP port that is free now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `roostd` binary under test: `ROOSTD_BIN`, else the one cargo built beside
/// the test binary (`cargo test --workspace` builds it).
pub fn roostd_bin() -> PathBuf {
    let path = std::env::var_os("ROOSTD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_binary("roostd"));
    assert!(
        path.exists(),
        "roostd binary not found at {}: run the tests with `cargo test --workspace` \
         (or set ROOSTD_BIN)",
        path.display()
    );
    path
}

/// The `roost` binary (the terminal app and its subcommands).
pub fn roost_bin() -> PathBuf {
    let path = target_binary("roost");
    assert!(
        path.exists(),
        "roost binary not found at {}: run `cargo test --workspace`",
        path.display()
    );
    path
}

/// The `roost-neighbour` helper: connection floods, unread responses,
/// half-sent HTTP requests, and latency probes, run as other Unix users.
pub fn neighbour_bin() -> PathBuf {
    target_binary("roost-neighbour")
}

/// A command that runs `program` as Unix user `uid` (group `uid`), with
/// `setpriv` (util-linux); the tests run as root to do that.
pub fn as_user(uid: u32, program: &Path) -> Command {
    // SAFETY: geteuid has no preconditions.
    assert!(
        unsafe { libc::geteuid() } == 0,
        "running a client as another Unix user takes root (setpriv)"
    );
    let id = uid.to_string();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", &id, "--regid", &id, "--clear-groups"])
        .arg(program);
    cmd
}

/// The environment of a user whose home is `home` (runtime directory
/// `home/run`, data in `home/data`): where roostd keeps its private
/// redis-server.
pub fn private_home_env(home: &Path) -> Vec<(String, String)> {
    std::fs::create_dir_all(home.join("run")).expect("creating the runtime directory");
    vec![
        ("HOME".to_owned(), home.display().to_string()),
        (
            "XDG_RUNTIME_DIR".to_owned(),
            home.join("run").display().to_string(),
        ),
        (
            "XDG_DATA_HOME".to_owned(),
            home.join("data").display().to_string(),
        ),
    ]
}

/// Runs `roostd check` (with `--repair` if asked) on `redis`: whether it found
/// nothing, and what it printed.
pub fn roostd_check(redis: &Redis, repair: bool) -> (bool, String) {
    roostd_check_on(&["--redis".into(), redis.url()], repair)
}

/// [`roostd_check`] on the Redis (or cluster) that `target` names
/// (`--redis URL` or `--redis-cluster SEEDS`).
pub fn roostd_check_on(target: &[String], repair: bool) -> (bool, String) {
    let mut cmd = Command::new(roostd_bin());
    cmd.arg("check").args(target);
    if repair {
        cmd.arg("--repair");
    }
    let out = cmd
        .env_remove("ROOST_REDIS_URL")
        .output()
        .expect("roostd check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "roostd check failed to run: {text}"
    );
    (out.status.success() && text.contains("\n0 findings"), text)
}

/// Panics unless every subcommand and flag of `cmd` has its line of help.
pub fn assert_all_helped(cmd: &clap::Command, path: &str) {
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        assert!(arg.get_help().is_some(), "{path} {id} has no help");
    }
    for sub in cmd.get_subcommands() {
        assert!(
            sub.get_about().is_some(),
            "{path} {} has no help",
            sub.get_name()
        );
        assert_all_helped(sub, &format!("{path} {}", sub.get_name()));
    }
}

/// Whether process `pid` is running (not gone, not a zombie waiting to be reaped).
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// The `roost-wire` helper (a one-request-per-line socket client), for running a
/// client as another Unix user.
pub fn wire_bin() -> PathBuf {
    target_binary("roost-wire")
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + READY;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} was not ready within {READY:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A redis-server of the test's own, on a Unix socket in a temporary directory,
/// without persistence. Stopped on drop.
pub struct Redis {
    child: Child,
    pub socket: PathBuf,
    dir: tempfile::TempDir,
}

fn spawn_redis(dir: &Path, socket: &Path) -> Child {
    Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--save",
            "",
            "--appendonly",
            "no",
            "--unixsocket",
        ])
        .arg(socket)
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server must be installed for the tests (apt-get install redis-server)")
}

impl Redis {
    /// Stops (SIGSTOP) or continues (SIGCONT) the server: a Redis that hangs
    /// without closing its connections.
    pub fn pause(&self, paused: bool) {
        let signal = if paused { libc::SIGSTOP } else { libc::SIGCONT };
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
    }

    pub fn start() -> Redis {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("redis.sock");
        let child = spawn_redis(dir.path(), &socket);
        let redis = Redis { child, socket, dir };
        wait_for("redis-server", || redis.cli(&["PING"]).trim() == "PONG");
        redis
    }

    /// Kills the server (its data is gone: no persistence).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts an empty server again on the same socket.
    pub fn restart(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        self.child = spawn_redis(self.dir.path(), &self.socket);
        wait_for("redis-server", || self.cli(&["PING"]).trim() == "PONG");
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    /// Runs one command with redis-cli against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .arg("-s")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("redis-cli must be installed for the tests (apt-get install redis-tools)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Output lines of a redis-cli command, for list replies.
    pub fn cli_lines(&self, args: &[&str]) -> Vec<String> {
        self.cli(args)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running roostd on a socket in a temporary directory.
pub struct Roostd {
    child: Option<Child>,
    pub socket: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Roostd {
    /// Starts roostd against `redis` with extra flags.
    pub fn start(redis: &Redis, extra: &[&str]) -> Roostd {
        let mut args = vec!["--redis".to_owned(), redis.url()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Roostd::start_with(args, Vec::new())
    }

    /// Starts roostd against `cluster` with extra flags.
    pub fn start_on_cluster(cluster: &RedisCluster, extra: &[&str]) -> Roostd {
        let mut args = vec!["--redis-cluster".to_owned(), cluster.seeds()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Roostd::start_with(args, Vec::new())
    }

    /// Starts roostd with exactly these flags and extra environment.
    pub fn start_with(args: Vec<String>, env: Vec<(String, String)>) -> Roostd {
        let mut roostd = Roostd::prepare(args, env);
        roostd.spawn();
        roostd
    }

    /// A roostd command line with a socket in a fresh directory, not started
    /// (see [`Roostd::run_once`] and [`Roostd::restart`]).
    pub fn prepare(args: Vec<String>, env: Vec<(String, String)>) -> Roostd {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("roostd.sock");
        Roostd {
            child: None,
            socket,
            args,
            env,
            dir,
        }
    }

    /// Starts roostd with flags made from the directory its socket is in (for
    /// other files beside it).
    pub fn start_beside(args: impl FnOnce(&Path) -> Vec<String>) -> Roostd {
        let mut roostd = Roostd::prepare(Vec::new(), Vec::new());
        roostd.args = args(roostd.dir.path());
        roostd.spawn();
        roostd
    }

    /// The HTTP streaming socket beside the main one.
    pub fn http_socket(&self) -> PathBuf {
        self.socket.with_file_name("roostd-http.sock")
    }

    /// Lets other Unix users reach the socket's directory (as a shared host's
    /// is); the socket's own mode still decides who connects.
    pub fn open_to_others(&self) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the socket directory");
    }

    /// The directory holding the socket.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(roostd_bin());
        cmd.arg("--socket").arg(&self.socket).args(&self.args);
        cmd.env_remove("ROOST_SOCKET").env_remove("ROOST_REDIS_URL");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn spawn(&mut self) {
        let child = self
            .command()
            .stdin(Stdio::null())
            .spawn()
            .expect("starting roostd");
        self.child = Some(child);
        let socket = self.socket.clone();
        let deadline = Instant::now() + READY;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("roostd exited before it was ready: {status}");
            }
            if hello_answers(&socket) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "roostd was not ready within {READY:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Runs roostd's command line to completion with these flags (for start-up
    /// errors), returning its exit status and standard error.
    pub fn run_once(&self) -> (ExitStatus, String) {
        let out = self
            .command()
            .stdin(Stdio::null())
            .output()
            .expect("running roostd");
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, as a crash.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        child.wait().expect("waiting for roostd")
    }

    /// Starts roostd again with the same socket and flags.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop roostd before restarting it");
        self.spawn();
    }

    pub async fn client(&self) -> Client {
        Client::connect(&self.socket).await
    }
}

impl Drop for Roostd {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn hello_answers(socket: &Path) -> bool {
    use std::io::{BufRead, Write};
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"{\"op\":\"hello\"}\n").is_err() {
        return false;
    }
    let mut line = String::new();
    std::io::BufReader::new(s).read_line(&mut line).is_ok() && line.contains("\"ok\":true")
}

/// A wire-protocol client: JSON values in, JSON values out.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// Events read while waiting for a response, oldest first.
    pub events: Vec<Value>,
}

impl Client {
    pub async fn connect(socket: &Path) -> Client {
        let stream = UnixStream::connect(socket)
            .await
            .expect("connecting to roostd");
        let (read, writer) = stream.into_split();
        Client {
            reader: BufReader::new(read),
            writer,
            events: Vec::new(),
        }
    }

    /// Sends raw bytes (they should end with a newline to form a request).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes).await
    }

    /// Sends one request without waiting for its answer.
    pub async fn send(&mut self, request: &Value) {
        let mut line = serde_json::to_vec(request).expect("json");
        line.push(b'\n');
        self.send_raw(&line).await.expect("writing a request");
    }

    /// The next line from the daemon as text, unparsed (for benchmarks).
    pub async fn raw_line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).await.ok()?;
        (n > 0).then_some(line)
    }

    /// The next line from the daemon, parsed; `None` when it closed the connection.
    pub async fn read_line(&mut self) -> Option<Value> {
        next_line(&mut self.reader).await
    }

    /// The next response, keeping events aside.
    pub async fn response(&mut self) -> Value {
        next_response(&mut self.reader, &mut self.events).await
    }

    /// Sends many requests at once and returns their responses in order. Writing
    /// and reading run together, so neither side's socket buffer fills up.
    pub async fn pipeline(&mut self, requests: &[Value]) -> Vec<Value> {
        let mut bytes = Vec::new();
        for r in requests {
            serde_json::to_writer(&mut bytes, r).expect("json");
            bytes.push(b'\n');
        }
        let writer = &mut self.writer;
        let (reader, events) = (&mut self.reader, &mut self.events);
        let write = async { writer.write_all(&bytes).await.expect("writing requests") };
        let read = async {
            let mut out = Vec::with_capacity(requests.len());
            while out.len() < requests.len() {
                out.push(next_response(reader, events).await);
            }
            out
        };
        tokio::join!(write, read).1
    }

    /// The next event, waiting up to 10 s for it.
    pub async fn event(&mut self) -> Value {
        if !self.events.is_empty() {
            return self.events.remove(0);
        }
        let line = tokio::time::timeout(Duration::from_secs(10), next_line(&mut self.reader))
            .await
            .expect("an event within 10 s")
            .expect("roostd closed the connection");
        assert!(
            line.get("event").is_some(),
            "a response where an event was expected: {line}"
        );
        line
    }

    /// Events that arrive within `wait` (for checking that nothing more comes).
    pub async fn events_within(&mut self, wait: Duration) -> Vec<Value> {
        let mut out = std::mem::take(&mut self.events);
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(line)) =
            tokio::time::timeout_at(deadline, next_line(&mut self.reader)).await
        {
            out.push(line);
        }
        out
    }

    /// Subscribes and returns the subscription id.
    pub async fn subscribe(&mut self, request: Value) -> u64 {
        self.ok(request).await["sub"].as_u64().expect("sub")
    }

    /// Sends a request and returns the whole response.
    pub async fn call(&mut self, request: Value) -> Value {
        self.send(&request).await;
        self.response().await
    }

    /// Sends a request that must succeed and returns its result.
    pub async fn ok(&mut self, request: Value) -> Value {
        let response = self.call(request.clone()).await;
        assert_eq!(response["ok"], json!(true), "{request} failed: {response}");
        response["result"].clone()
    }

    /// Sends a request that must fail and returns its error code.
    pub async fn err(&mut self, request: Value) -> String {
        let response = self.call(request.clone()).await;
        assert_eq!(
            response["ok"],
            json!(false),
            "{request} should fail: {response}"
        );
        let message = response["error"]["message"].as_str().unwrap_or("");
        assert!(
            !message.is_empty(),
            "an error without a message: {response}"
        );
        response["error"]["code"]
            .as_str()
            .expect("error code")
            .to_owned()
    }

    /// Registers a bot account (the tests run as an operator) and returns it.
    pub async fn bot(&mut self, login: &str) -> Value {
        self.ok(json!({"op": "register", "login": login, "bot": true}))
            .await
    }

    /// Statuses of `login`'s home timeline (acting as them).
    pub async fn home(&mut self, login: &str, count: u32) -> Vec<Value> {
        let r = self
            .ok(json!({"op": "timeline", "kind": "home", "as": login, "count": count}))
            .await;
        r["statuses"].as_array().expect("statuses").clone()
    }

    /// Ids of `login`'s home timeline, newest first.
    pub async fn home_ids(&mut self, login: &str, count: u32) -> Vec<u64> {
        self.home(login, count)
            .await
            .iter()
            .map(|s| s["id"].as_u64().expect("id"))
            .collect()
    }
}

async fn next_line(reader: &mut BufReader<OwnedReadHalf>) -> Option<Value> {
    let mut line = String::new();
    let n = tokio::time::timeout(Duration::from_secs(30), reader.read_line(&mut line))
        .await
        .expect("roostd answered within 30 s")
        .ok()?;
    if n == 0 {
        return None;
    }
    Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}")))
}

async fn next_response(reader: &mut BufReader<OwnedReadHalf>, events: &mut Vec<Value>) -> Value {
    loop {
        let line = next_line(reader)
            .await
            .expect("roostd closed the connection");
        if line.get("event").is_some() {
            events.push(line);
        } else {
            return line;
        }
    }
}

/// Polls a condition (an expression, `.await` allowed) every 20 ms until it
/// holds or `limit` passes; evaluates to whether it held.
#[macro_export]
macro_rules! eventually {
    ($limit:expr, $check:expr) => {{
        let deadline = std::time::Instant::now() + $limit;
        loop {
            if $check {
                break true;
            }
            if std::time::Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }};
}

/// Small helpers the benchmarks share for printing figures.
pub mod measure {
    use std::time::Duration;

    /// The `p` quantile (0 to 1) of sorted durations.
    pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }

    /// A duration in whole microseconds, for printing.
    pub fn micros(d: Duration) -> String {
        format!("{:.0} µs", d.as_secs_f64() * 1e6)
    }

    /// Resident memory of a process, in KiB (0 if it is gone).
    pub fn rss_kib(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    }
}

/// A Redis Cluster of the test's own: three masters (each with `replicas`
/// replicas, see [`RedisCluster::start_with_replicas`]) on free loopback
/// ports, without persistence. Stopped on drop.
pub struct RedisCluster {
    nodes: Vec<Child>,
    pub ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

/// A loopback port that is free, and whose cluster bus port (+10000) is too.
fn free_cluster_port() -> u16 {
    loop {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a probe port");
        let port = probe.local_addr().expect("probe address").port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

impl RedisCluster {
    pub fn start() -> RedisCluster {
        RedisCluster::start_with_replicas(0)
    }

    /// Three masters with `replicas` replicas each; a master that stops
    /// answering for a second is failed over to a replica.
    pub fn start_with_replicas(replicas: usize) -> RedisCluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 3 * (1 + replicas) {
            let port = free_cluster_port();
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        let mut nodes = Vec::new();
        for &port in &ports {
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("node dir");
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "1000",
                ])
                .args(["--save", "", "--appendonly", "no", "--cluster-config-file"])
                .arg(node_dir.join("nodes.conf"))
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server must be installed for the tests");
            nodes.push(child);
        }
        let cluster = RedisCluster {
            nodes,
            ports,
            _dir: dir,
        };
        for &port in &cluster.ports {
            wait_for("a cluster node", || {
                cluster.cli_on(port, &["PING"]).trim() == "PONG"
            });
        }
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for port in &cluster.ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let out = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .expect("redis-cli must be installed for the tests");
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for &port in &cluster.ports {
            wait_for("the cluster", || {
                cluster
                    .cli_on(port, &["CLUSTER", "INFO"])
                    .contains("cluster_state:ok")
            });
        }
        for replica in cluster.replicas() {
            wait_for("a replica in sync", || {
                cluster
                    .cli_on(replica, &["INFO", "replication"])
                    .contains("master_link_status:up")
            });
        }
        cluster
    }

    /// The nodes' roles as the cluster sees them now: (port, is a master,
    /// the port of its master for a replica).
    fn roles(&self) -> Vec<(u16, bool, Option<u16>)> {
        let nodes = self.cli_on(self.ports[0], &["CLUSTER", "NODES"]);
        let mut by_id = std::collections::HashMap::new();
        let mut rows = Vec::new();
        for line in nodes.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 || f[2].contains("fail") {
                continue;
            }
            let port: u16 = f[1]
                .split(['@', ':'])
                .nth(1)
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            by_id.insert(f[0].to_owned(), port);
            rows.push((port, f[2].contains("master"), f[3].to_owned()));
        }
        rows.into_iter()
            .map(|(port, master, of)| (port, master, by_id.get(&of).copied()))
            .collect()
    }

    /// The masters' ports, as the cluster sees them now.
    pub fn masters(&self) -> Vec<u16> {
        self.roles()
            .into_iter()
            .filter(|r| r.1)
            .map(|r| r.0)
            .collect()
    }

    /// The replicas' ports, as the cluster sees them now.
    pub fn replicas(&self) -> Vec<u16> {
        self.roles()
            .into_iter()
            .filter(|r| !r.1)
            .map(|r| r.0)
            .collect()
    }

    /// A replica of the master on `port`.
    pub fn replica_of(&self, port: u16) -> Option<u16> {
        self.roles()
            .into_iter()
            .find(|r| !r.1 && r.2 == Some(port))
            .map(|r| r.0)
    }

    /// Kills the node on `port` (SIGKILL).
    pub fn kill_node(&mut self, port: u16) {
        if let Some(i) = self.ports.iter().position(|&p| p == port) {
            self.ports.remove(i);
            let mut node = self.nodes.remove(i);
            let _ = node.kill();
            let _ = node.wait();
        }
    }

    /// Whether every node still running says the cluster is whole.
    pub fn healthy(&self) -> bool {
        self.ports.iter().all(|&p| {
            self.cli_on(p, &["CLUSTER", "INFO"])
                .contains("cluster_state:ok")
        })
    }

    /// The seed list for `roostd --redis-cluster`.
    pub fn seeds(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Runs one redis-cli command against one node.
    pub fn cli_on(&self, port: u16, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs one command in cluster mode (following redirections).
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-c", "-h", "127.0.0.1", "-p", &self.ports[0].to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}
