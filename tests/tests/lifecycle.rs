//! Starting and stopping roostd: the socket (live daemon refused, stale socket
//! replaced), SIGTERM, queued jobs across a restart, and the private
//! redis-server started when no Redis is configured.

use std::time::Duration;

use roost_tests::{Redis, Roostd, eventually, roostd_bin};
use serde_json::json;

use crate::setup;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sigterm_exits_cleanly_and_leaves_queued_fanout_for_the_next_start() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &["--fanout-batch", "2", "--fanout-pace-ms", "300"]);
    let mut c = roostd.client().await;
    c.bot("star").await;
    let fans: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
    for fan in &fans {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "later"}))
        .await["id"]
        .as_u64()
        .unwrap();
    drop(c);
    let exit = roostd.terminate();
    assert!(exit.success(), "SIGTERM exit: {exit}");
    assert!(
        !roostd.socket.exists(),
        "the socket is removed on a clean exit"
    );
    let queued: u64 = redis.cli(&["XLEN", "{roost}:jobs"]).trim().parse().unwrap();
    assert!(queued > 0, "the unfinished fan-out stays queued in Redis");

    roostd.restart();
    let mut c = roostd.client().await;
    let all = eventually!(WAIT, {
        let mut every = true;
        for fan in &fans {
            every &= c.home_ids(fan, 5).await.contains(&status);
        }
        every
    });
    assert!(all, "the queued fan-out resumed after the restart");
}

#[tokio::test]
async fn a_live_roostd_keeps_its_socket() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    let second = roostd.run_once();
    assert!(!second.0.success());
    assert!(
        second.1.contains("another roostd is running"),
        "{}",
        second.1
    );
    // The first one is unharmed.
    c.ok(json!({"op": "hello"})).await;
    assert!(roostd.socket.exists());
}

#[tokio::test]
async fn a_stale_socket_is_replaced() {
    let redis = Redis::start();
    let mut roostd = Roostd::prepare(vec!["--redis".into(), redis.url()], Vec::new());
    // A socket file left by a roostd that died: nothing listens behind it.
    drop(std::os::unix::net::UnixListener::bind(&roostd.socket).unwrap());
    assert!(roostd.socket.exists());
    assert!(std::os::unix::net::UnixStream::connect(&roostd.socket).is_err());
    roostd.restart();
    let mut c = roostd.client().await;
    c.ok(json!({"op": "hello"})).await;
    drop(c);
    assert!(roostd.terminate().success());
}

#[tokio::test]
async fn without_redis_a_private_server_keeps_data_between_runs() {
    let home = tempfile::tempdir().unwrap();
    let env = roost_tests::private_home_env(home.path());
    let mut roostd = Roostd::start_with(Vec::new(), env);
    let redis_socket = home.path().join("run/roost/redis.sock");
    assert!(
        redis_socket.exists(),
        "the private redis-server listens in the runtime directory"
    );
    let mut c = roostd.client().await;
    c.bot("keeper").await;
    let status = c
        .ok(json!({"op": "post", "as": "keeper", "text": "still here"}))
        .await;
    drop(c);
    let pid: i32 = std::fs::read_to_string(home.path().join("run/roost/redis.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(roostd.terminate().success());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "redis-server stopped with roostd"
    );
    assert!(
        home.path().join("data/roost/appendonlydir").exists(),
        "append-only data in the data directory"
    );

    roostd.restart();
    let mut c = roostd.client().await;
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "keeper"}))
        .await;
    assert_eq!(
        profile["statuses"][0], status,
        "data written in one run is there in the next"
    );

    // A redis-server that dies under roostd is started again, data intact.
    let pidfile = home.path().join("run/roost/redis.pid");
    let first: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: killing the redis-server this test's roostd started.
    unsafe { libc::kill(first, libc::SIGKILL) };
    let back = eventually!(Duration::from_secs(20), {
        let r = c
            .call(json!({"op": "timeline", "kind": "profile", "login": "keeper"}))
            .await;
        r["ok"] == true && r["result"]["statuses"][0] == status
    });
    assert!(back, "the private redis-server was not started again");
    let second: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_ne!(first, second);

    // Killed outright, roostd takes its redis-server with it.
    let pid: i32 = std::fs::read_to_string(home.path().join("run/roost/redis.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    roostd.kill9();
    let gone = eventually!(
        Duration::from_secs(10),
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    );
    assert!(gone, "redis-server outlived a killed roostd");
}

#[tokio::test]
async fn missing_redis_server_is_explained() {
    let home = tempfile::tempdir().unwrap();
    let roostd = Roostd::prepare(
        vec![],
        vec![
            ("PATH".to_owned(), "/nonexistent".to_owned()),
            ("HOME".to_owned(), home.path().display().to_string()),
            (
                "XDG_RUNTIME_DIR".to_owned(),
                home.path().display().to_string(),
            ),
        ],
    );
    let (status, stderr) = roostd.run_once();
    assert!(!status.success());
    assert!(stderr.contains("redis-server is not installed"), "{stderr}");
    assert!(stderr.contains("apt-get install redis-server"), "{stderr}");
}

#[tokio::test]
async fn namespaces_keep_networks_apart_on_one_redis() {
    let redis = Redis::start();
    let a = Roostd::start(&redis, &["--namespace", "one"]);
    let b = Roostd::start(&redis, &["--namespace", "two"]);
    let (mut ca, mut cb) = (a.client().await, b.client().await);
    ca.bot("same").await;
    cb.bot("same").await;
    ca.ok(json!({"op": "post", "as": "same", "text": "in one"}))
        .await;
    assert_eq!(
        cb.ok(json!({"op": "user", "login": "same"})).await["posts"],
        0
    );
    let keys = redis.cli_lines(&["KEYS", "*"]);
    assert!(
        keys.iter()
            .all(|k| k.starts_with("{one") || k.starts_with("{two")),
        "{keys:?}"
    );
}

#[tokio::test]
async fn redis_going_away_is_unavailable_and_its_return_is_picked_up() {
    let mut redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--fanout-batch", "1"]);
    let mut c = roostd.client().await;
    c.bot("before").await;
    redis.kill();
    let started = std::time::Instant::now();
    assert_eq!(
        c.err(json!({"op": "user", "login": "before"})).await,
        "unavailable"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "unavailable took {:?}",
        started.elapsed()
    );
    redis.restart();
    // An empty Redis again: roostd reconnects, and deferred fan-out works.
    assert!(eventually!(
        WAIT,
        c.call(json!({"op": "register", "login": "star", "bot": true}))
            .await["ok"]
            == true
    ));
    for fan in ["f1", "f2", "f3"] {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    let post = json!({"op": "post", "as": "star", "text": "after the outage"});
    let id = c.ok(post).await["id"].as_u64().unwrap();
    let reached = eventually!(WAIT, c.home_ids("f3", 5).await.contains(&id));
    assert!(reached, "deferred fan-out after Redis came back");
    assert_eq!(
        watcher.event().await["status"]["id"],
        id,
        "the event reader reconnected too"
    );
}

/// Issue 8, finding 9: two roostd of one user with different sockets and no
/// `--redis` share one private redis-server instead of killing each other's;
/// when the one running it stops, the other takes it over, data intact. The
/// data directory is the user's alone.
#[tokio::test]
async fn two_roostd_of_one_user_share_the_private_redis_server() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let env = roost_tests::private_home_env(home.path());
    let mut first = Roostd::start_with(Vec::new(), env.clone());
    let second = Roostd::start_with(Vec::new(), env);
    let pidfile = home.path().join("run/roost/redis.pid");
    let pid = || -> i32 {
        std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let server = pid();
    let mut a = first.client().await;
    let mut b = second.client().await;
    a.bot("shared").await;
    let status = a
        .ok(json!({"op": "post", "as": "shared", "text": "one server"}))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(pid(), server, "the redis-server was replaced");
    let profile = b
        .ok(json!({"op": "timeline", "kind": "profile", "login": "shared"}))
        .await;
    assert_eq!(profile["statuses"][0], status);
    let data = home.path().join("data/roost");
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the data directory is readable by others");
    // Issue 10: the files redis-server writes there (the append-only
    // directory and its files) are the daemon's user's alone too.
    let mut entries = vec![data.clone()];
    let mut checked = 0;
    while let Some(dir) = entries.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            let mode = meta.permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "{} is mode {mode:o}",
                entry.path().display()
            );
            checked += 1;
            if meta.is_dir() {
                entries.push(entry.path());
            }
        }
    }
    assert!(checked >= 2, "no redis files under {}", data.display());
    // The one that runs it stops: the other runs it now.
    assert!(first.terminate().success());
    let back = eventually!(Duration::from_secs(20), {
        let r = b
            .call(json!({"op": "timeline", "kind": "profile", "login": "shared"}))
            .await;
        r["ok"] == true && r["result"]["statuses"][0] == status
    });
    assert!(back, "the second roostd did not take the redis-server over");
    assert_ne!(pid(), server);
}

/// Issue 8, finding 12: sockets whose names differ only in their extension
/// take separate locks, and a lock file that is a symlink is never followed.
#[tokio::test]
async fn socket_locks_are_per_socket_and_never_follow_symlinks() {
    let redis = Redis::start();
    // roostd.sock and roostd.http side by side both start.
    let url = redis.url();
    let roostd = Roostd::start_beside(|dir| {
        let http = dir.join("roostd.http");
        vec![
            "--redis".into(),
            url,
            "--http-socket".into(),
            http.display().to_string(),
        ]
    });
    drop(roostd.client().await);
    assert!(roostd.socket.with_file_name("roostd.http").exists());
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let link = dir.path().join("b.sock.lock");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let linked = Roostd::prepare(
        vec![
            "--redis".into(),
            redis.url(),
            "--http-socket".into(),
            dir.path().join("b.sock").display().to_string(),
        ],
        Vec::new(),
    );
    let (status, stderr) = linked.run_once();
    assert!(!status.success(), "started through a symlinked lock");
    assert!(stderr.contains("b.sock.lock"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

/// Issue 8: Redis hangs for 5 s under load from 50 clients. Every request
/// meanwhile is answered `unavailable` within about `--redis-timeout-ms`,
/// roostd stays up, serves normally right after, and a subscriber resumes with
/// `since` without missing anything.
#[tokio::test]
async fn a_hung_redis_is_unavailable_in_bounded_time_and_roostd_recovers() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--redis-timeout-ms", "1000"]);
    let mut c = roostd.client().await;
    c.bot("w").await;
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    c.ok(json!({"op": "post", "as": "w", "text": "before"}))
        .await;
    let since = watcher.event().await["eid"].as_str().unwrap().to_owned();

    let done = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..50 {
        let mut client = roostd.client().await;
        let done = done.clone();
        load.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let start = std::time::Instant::now();
                let r = client
                    .call(json!({"op": "timeline", "kind": "home", "as": "w", "count": 5}))
                    .await;
                let code = r["error"]["code"].as_str().unwrap_or("ok").to_owned();
                seen.push((start, start.elapsed(), code));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.pause(true);
    tokio::time::sleep(Duration::from_secs(5)).await;
    redis.pause(false);
    let back = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    done.store(true, Ordering::Relaxed);
    let mut slowest = Duration::ZERO;
    let (mut unavailable, mut late_failures) = (0, 0);
    for task in load {
        for (at, took, code) in task.await.unwrap() {
            slowest = slowest.max(took);
            assert!(code == "ok" || code == "unavailable", "{code}");
            unavailable += usize::from(code == "unavailable");
            if at > back + Duration::from_secs(2) && code != "ok" {
                late_failures += 1;
            }
        }
    }
    eprintln!("hung Redis: {unavailable} unavailable answers, slowest answer {slowest:?}");
    assert!(unavailable > 0, "no request noticed the hang");
    assert!(
        slowest < Duration::from_secs(4),
        "an answer took {slowest:?}"
    );
    assert_eq!(late_failures, 0, "still failing 2 s after Redis came back");
    // Serving normally, and a resumed subscriber misses nothing.
    let after = c
        .ok(json!({"op": "post", "as": "w", "text": "after"}))
        .await;
    let mut resumed = roostd.client().await;
    resumed
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}, "since": since}))
        .await;
    assert_eq!(resumed.event().await["status"], after);
}

/// Issue 12: the data's layout carries a version; roostd upgrades the layout
/// from before versions were kept (issues 1 to 8) and refuses a newer one.
#[tokio::test]
async fn the_layout_is_versioned_upgraded_at_start_and_a_newer_one_refused() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    assert_eq!(
        redis.cli(&["GET", "{roost}:schema"]).trim(),
        "3",
        "fresh data is marked"
    );
    c.bot("old").await;
    c.bot("reader").await;
    c.ok(json!({"op": "follow", "as": "reader", "login": "old"}))
        .await;
    let sid = c
        .ok(json!({"op": "post", "as": "old", "text": "from before versions"}))
        .await["id"]
        .clone();
    // Version 2 data with privacy and moderation flags but no global sets.
    c.bot("shy").await;
    c.bot("spammer").await;
    let spam = c
        .ok(json!({"op": "post", "as": "spammer", "text": "buy"}))
        .await["id"]
        .clone();
    c.ok(json!({"op": "set_profile", "as": "shy", "private": true}))
        .await;
    c.ok(json!({"op": "moderate", "action": "hide", "status": spam}))
        .await;
    c.ok(json!({"op": "moderate", "action": "suspend", "login": "spammer"}))
        .await;
    let sets = ["hidden_statuses", "suspended_accounts", "private_accounts"];
    let members = |redis: &Redis| -> Vec<String> {
        sets.iter()
            .map(|set| {
                redis
                    .cli(&["SMEMBERS", &format!("{{roost}}:{set}")])
                    .trim()
                    .to_owned()
            })
            .collect()
    };
    let filled = members(&redis);
    assert!(filled.iter().all(|m| !m.is_empty()), "{filled:?}");
    drop(c);
    roostd.terminate();
    for set in sets {
        redis.cli(&["DEL", &format!("{{roost}}:{set}")]);
    }
    redis.cli(&["SET", "{roost}:schema", "2"]);
    roostd.restart();
    let c = roostd.client().await;
    assert_eq!(
        redis.cli(&["GET", "{roost}:schema"]).trim(),
        "3",
        "upgraded from 2"
    );
    assert_eq!(members(&redis), filled, "the step to 3 fills the sets");
    drop(c);
    roostd.terminate();

    // Today's layout before versions: everything but the version key.
    redis.cli(&["DEL", "{roost}:schema"]);
    roostd.restart();
    let mut c = roostd.client().await;
    assert_eq!(
        redis.cli(&["GET", "{roost}:schema"]).trim(),
        "3",
        "upgraded"
    );
    let home = c.home("reader", 10).await;
    assert_eq!(home[0]["id"], sid);
    assert_eq!(
        home[0]["likes"], 0,
        "a status from before reads with its counts at 0"
    );
    c.ok(json!({"op": "like", "as": "reader", "status": sid}))
        .await;
    drop(c);
    roostd.terminate();

    redis.cli(&["SET", "{roost}:schema", "99"]);
    let newer = Roostd::prepare(vec!["--redis".into(), redis.url()], Vec::new());
    let (status, stderr) = newer.run_once();
    assert!(!status.success(), "roostd started on a newer layout");
    assert!(
        stderr.contains("schema version 99") && stderr.contains("newer roostd"),
        "{stderr}"
    );
    let check = std::process::Command::new(roostd_bin())
        .args(["check", "--redis", &redis.url()])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(2),
        "roostd check reads no newer layout"
    );
    assert!(String::from_utf8_lossy(&check.stderr).contains("schema version 99"));
}

/// The step to layout 3 with nothing to fill (no private, suspended or
/// hidden anything) starts too.
#[tokio::test]
async fn the_layout_upgrades_with_nothing_to_fill() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    c.bot("plain").await;
    c.ok(json!({"op": "post", "as": "plain", "text": "nothing special"}))
        .await;
    drop(c);
    roostd.terminate();
    redis.cli(&["SET", "{roost}:schema", "2"]);
    roostd.restart();
    let mut c = roostd.client().await;
    assert_eq!(redis.cli(&["GET", "{roost}:schema"]).trim(), "3");
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "plain"}))
        .await;
    assert_eq!(profile["statuses"][0]["text"], "nothing special");
}
