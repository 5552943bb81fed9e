//! Hardening (issue 8): a second Unix user on the host attacks roostd (run with
//! `setpriv` as uid 65534) while a third (65533) measures `hello` latency: no
//! attack exhausts, stalls or locks out roostd. Each bystander figure is
//! printed (`cargo test -- --nocapture neighbours`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use roost_tests::{Redis, Roostd, as_user, neighbour_bin};
use serde_json::{Value, json};

const ATTACKER: u32 = 65534;
const BYSTANDER: u32 = 65533;

/// roostd on a socket every local user may connect to.
fn shared_roostd(redis: &Redis, flags: &[&str]) -> Roostd {
    let mut all = vec!["--socket-mode", "0666"];
    all.extend_from_slice(flags);
    let roostd = Roostd::start(redis, &all);
    roostd.open_to_others();
    roostd
}

/// Starts `roost-neighbour MODE SOCKET N` as `uid`.
fn neighbour(uid: u32, mode: &str, socket: &Path, n: usize) -> Child {
    as_user(uid, &neighbour_bin())
        .arg(mode)
        .arg(socket)
        .arg(n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting roost-neighbour")
}

/// The next JSON line a neighbour prints.
fn report(child: &mut Child) -> Value {
    let out = child.stdout.as_mut().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

/// A bystander's 200 `hello`s, one after another.
fn bystander(socket: &Path) -> Value {
    let mut probe = neighbour(BYSTANDER, "probe", socket, 200);
    let figures = report(&mut probe);
    probe.wait().unwrap();
    assert_eq!(
        figures["answered"], 200,
        "the bystander was shut out: {figures}"
    );
    figures
}

/// roostd's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Finding 2: 200 idle connections of one user.
#[tokio::test]
async fn a_user_holding_connections_locks_nobody_out() {
    let redis = Redis::start();
    let roostd = shared_roostd(
        &redis,
        &[
            "--max-connections",
            "100",
            "--max-connections-per-uid",
            "8",
            "--connection-reserve",
            "10",
        ],
    );
    let mut attacker = neighbour(ATTACKER, "hold", &roostd.socket, 200);
    let held = report(&mut attacker);
    assert_eq!(held["accepted"], 8, "{held}");
    assert_eq!(held["refused"], 192, "refused with rate_limited: {held}");
    let figures = bystander(&roostd.socket);
    eprintln!("bystander hello while one user holds connections: {figures}");
    drop(attacker.stdin.take());
    let after = report(&mut attacker);
    attacker.wait().unwrap();
    assert_eq!(after["still_open"], 8, "admitted connections keep working");
    // The operator is exempt from the per-user cap.
    let mut op = roostd.client().await;
    op.ok(json!({"op": "hello"})).await;
}

/// Finding 1: a client that sends big reads and never reads the answers.
#[tokio::test]
async fn a_client_that_never_reads_costs_bounded_memory_and_is_cut_off() {
    let redis = Redis::start();
    let roostd = shared_roostd(&redis, &["--stall-timeout-ms", "2000"]);
    let mut op = roostd.client().await;
    op.bot("big").await;
    let text = "ŕ".repeat(1000);
    let posts: Vec<Value> = (0..200)
        .map(|_| json!({"op": "post", "as": "big", "text": text}))
        .collect();
    for r in op.pipeline(&posts).await {
        assert_eq!(r["ok"], true, "{r}");
    }
    let before = rss_kib(roostd.pid());
    let mut attacker = neighbour(ATTACKER, "flood", &roostd.socket, 5000);
    let figures = bystander(&roostd.socket);
    let mut peak = before;
    while attacker.try_wait().unwrap().is_none() {
        peak = peak.max(rss_kib(roostd.pid()));
        std::thread::sleep(Duration::from_millis(50));
    }
    let flood = report(&mut attacker);
    eprintln!(
        "bystander hello during an unread flood: {figures}; roostd RSS {before} KiB -> peak {peak} KiB; {flood}"
    );
    assert!(
        peak - before < 64 * 1024,
        "roostd grew by {} KiB for one client that does not read",
        peak - before
    );
    assert_eq!(flood["closed"], true, "never cut off: {flood}");
    assert!(
        flood["closed_after_ms"].as_u64().unwrap() < 15_000,
        "cut off too late: {flood}"
    );
    op.ok(json!({"op": "hello"})).await;
}

/// Finding 3: HTTP requests whose headers never end.
#[tokio::test]
async fn half_sent_http_requests_are_closed_and_capped() {
    let redis = Redis::start();
    let roostd = shared_roostd(
        &redis,
        &[
            "--http-header-timeout-ms",
            "1000",
            "--max-connections-per-uid",
            "16",
        ],
    );
    let mut attacker = neighbour(ATTACKER, "half-http", &roostd.http_socket(), 300);
    let figures = bystander(&roostd.socket);
    let half = report(&mut attacker);
    attacker.wait().unwrap();
    eprintln!("bystander hello during half-sent HTTP requests: {figures}; {half}");
    assert_eq!(half["closed"], half["opened"], "left open: {half}");
    assert!(
        half["all_closed_after_ms"].as_u64().unwrap() < 10_000,
        "{half}"
    );
    // The HTTP socket still serves others.
    let client = reqwest::Client::builder()
        .unix_socket(roostd.http_socket())
        .build()
        .unwrap();
    let response = client
        .get("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Finding 7: SIGTERM while an HTTP stream is open and a client does not read.
#[tokio::test]
async fn shutdown_ends_streams_and_stalled_clients_within_the_grace_time() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &["--shutdown-grace-ms", "1000"]);
    let client = reqwest::Client::builder()
        .unix_socket(roostd.http_socket())
        .build()
        .unwrap();
    let mut stream = client
        .get("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // A client that sends a request and never reads, with a full socket.
    let mut stalled = std::os::unix::net::UnixStream::connect(&roostd.socket).unwrap();
    stalled
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let request = b"{\"op\":\"hello\"}\n".repeat(20_000);
    let _ = stalled.write_all(&request);
    let start = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(roostd.pid() as libc::pid_t, libc::SIGTERM) };
    let exited = roost_tests::eventually!(
        Duration::from_secs(15),
        !roost_tests::pid_alive(roostd.pid())
    );
    let took = start.elapsed();
    eprintln!("SIGTERM to exit with an open stream and a stalled client: {took:?}");
    assert!(exited, "roostd still running {took:?} after SIGTERM");
    assert!(took < Duration::from_secs(8), "{took:?}");
    // The stream ended rather than hanging.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the HTTP stream did not end");
    roostd.kill9();
}

/// Finding 8: many subscriptions that each replay a full event log.
#[tokio::test]
async fn replaying_the_whole_log_again_and_again_starves_nobody() {
    let redis = Redis::start();
    let roostd = shared_roostd(&redis, &[]);
    // 20,000 events in the log, none of which the replays match.
    let script = "for i = 1, 20000 do redis.call('XADD', KEYS[1], '*', 'kind', 'status', \
        'id', i, 'uid', 1, 'login', 'a', 'text', 'filler ' .. i, 'posted', 1) end";
    redis.cli(&["EVAL", script, "1", "{roost}:events"]);
    let mut attacker = neighbour(ATTACKER, "replay", &roostd.socket, 16);
    let figures = bystander(&roostd.socket);
    let replays = report(&mut attacker);
    attacker.wait().unwrap();
    eprintln!("bystander hello during 16 full-log replays: {figures}; {replays}");
    assert_eq!(replays["subscribed"], 16, "{replays}");
}
