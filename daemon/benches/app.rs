//! The terminal app, measured in a real terminal (tmux): the time from starting
//! `roost` to the first rendered home timeline, and roost's resident memory
//! with 1,000 statuses loaded. Prints captured screens of the home timeline
//! and the stream pane. Run after a release build of every binary:
//!
//!     cargo build --release && cargo bench -p roostd --bench app

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use roost_tests::measure::rss_kib;
use roost_tests::{Redis, Roostd};
use serde_json::{Value, json};

fn roost_bin() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_roostd")).with_file_name("roost");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --release` first",
        path.display()
    );
    path
}

struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.0)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .stderr(Stdio::null())
            .status();
    }
}

fn wait_for(tmux: &Tmux, text: &str) -> Duration {
    let start = Instant::now();
    while !tmux.screen().contains(text) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never showed {text:?}:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    start.elapsed()
}

fn main() {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("ROOSTD_BIN", env!("CARGO_BIN_EXE_roostd")) };
    let roost = roost_bin();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    runtime.block_on(async {
        let mut c = roostd.client().await;
        c.ok(json!({"op": "register", "name": "Bench Reader"})).await;
        let mut reqs = Vec::new();
        for a in 0..10 {
            let login = format!("writer{a}");
            reqs.push(json!({"op": "register", "login": login, "bot": true}));
            reqs.push(json!({"op": "follow", "login": login}));
        }
        for i in 0..1000 {
            let text = format!("status {i}: a line of text about builds, lunch and 数据库 🦀, long enough to wrap once on a narrow terminal");
            reqs.push(json!({"op": "post", "as": format!("writer{}", i % 10), "text": text}));
        }
        for r in c.pipeline(&reqs).await {
            assert_eq!(r["ok"], Value::Bool(true), "{r}");
        }
    });
    let command = format!(
        "env ROOST_SOCKET={} {}",
        roostd.socket.display(),
        roost.display()
    );
    let mut starts = Vec::new();
    let mut last = None;
    for run in 0..5 {
        let tmux = Tmux(format!("roost-bench-{}-{run}", std::process::id()));
        let start = Instant::now();
        let ok = Command::new("tmux")
            .args([
                "-L",
                &tmux.0,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
                &command,
            ])
            .status()
            .expect("tmux must be installed");
        assert!(ok.success());
        wait_for(&tmux, "status 999:");
        starts.push(start.elapsed());
        last = Some(tmux);
    }
    starts.sort();
    println!(
        "roost start to first rendered home timeline (release, tmux 100x30, 5 runs): median {:.0} ms, max {:.0} ms",
        starts[2].as_secs_f64() * 1000.0,
        starts[4].as_secs_f64() * 1000.0
    );
    let tmux = last.unwrap();
    // Let it load all five pages of the home timeline.
    std::thread::sleep(Duration::from_millis(1500));
    tmux.run(&["send-keys", "G"]);
    wait_for(&tmux, "status 0:");
    let pid = tmux.run(&["display-message", "-p", "#{pane_pid}"]);
    println!(
        "roost resident memory with 1,000 statuses loaded: {} KiB",
        rss_kib(pid.trim().parse().unwrap_or(0))
    );
    tmux.run(&["send-keys", "g"]);
    std::thread::sleep(Duration::from_millis(300));
    println!("home timeline:\n{}", tmux.screen());
    tmux.run(&["send-keys", "e"]);
    tmux.run(&["send-keys", "-l", "track: zebra; follow: writer3"]);
    tmux.run(&["send-keys", "Enter"]);
    wait_for(&tmux, "0 matches");
    runtime.block_on(async {
        let mut c = roostd.client().await;
        c.ok(json!({"op": "post", "as": "writer1", "text": "a zebra crossed the server room"}))
            .await;
        c.ok(json!({"op": "post", "as": "writer3", "text": "writer3 says hi from the build box"}))
            .await;
        c.ok(json!({"op": "post", "as": "writer2", "text": "not for the stream"}))
            .await;
    });
    wait_for(&tmux, "2 matches");
    println!("stream pane:\n{}", tmux.screen());
    // Idle CPU: roost's CPU time over 3 quiet seconds.
    let ticks = |pid: &str| -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        fields
            .get(11)
            .and_then(|u| u.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
    };
    let before = ticks(&pid);
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "roost idle CPU over 3 s: {} clock ticks (1 tick = 10 ms)",
        ticks(&pid) - before
    );
}
