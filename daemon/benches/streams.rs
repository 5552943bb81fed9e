//! Live stream benchmarks that print figures (no timed asserts): run with
//!
//!     cargo bench -p roostd --bench streams
//!
//! - post-to-event latency (median, p99) with 1,000 subscribers on one roostd,
//!   each on its own connection, holding mixed filters (firehose, sample, track,
//!   follow, locations) that all match the measured posts;
//! - roostd's resident memory with 10,000 idle subscribers.
//!
//! The subscribers' client tasks run in this process, on the same two cores as
//! roostd and Redis, so the latencies include their wake-ups too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use roost_tests::{Client, Redis, Roostd};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const SUBSCRIBERS: usize = 1_000;
const POSTS: usize = 200;
const IDLE: usize = 10_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The i-th of a mix of streams, every one matching a post by `poster` with
/// the word "bench" at 52.5, 13.4.
fn stream(i: usize) -> Value {
    match i % 5 {
        0 => json!({"firehose": true}),
        1 => json!({"sample": {"percent": 100}}),
        2 => json!({"filter": {"track": [format!("word{i}"), "bench", format!("two words{i}")]}}),
        3 => json!({"filter": {"follow": ["poster"], "track": [format!("other{i}")]}}),
        _ => json!({"filter": {"locations": [[13.0, 52.0, 14.0, 53.0], [0.0, 0.0, 1.0, 1.0]]}}),
    }
}

async fn latency(roostd: &Roostd) {
    let mut c = roostd.client().await;
    c.bot("poster").await;
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; POSTS]));
    let mut tasks = Vec::new();
    for i in 0..SUBSCRIBERS {
        let mut sub = roostd.client().await;
        sub.subscribe(json!({"op": "subscribe", "stream": stream(i)})).await;
        tasks.push(tokio::spawn(async move {
            let mut arrivals = Vec::with_capacity(POSTS);
            while arrivals.len() < POSTS {
                let event = sub.event().await;
                if event["event"] == "status" {
                    let n: usize = event["status"]["text"].as_str().unwrap()[6..].parse().unwrap();
                    arrivals.push((n, Instant::now()));
                }
            }
            arrivals
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 0..POSTS {
        let start = Instant::now();
        sent.lock().await[n] = Some(start);
        c.ok(json!({"op": "post", "as": "poster", "text": format!("bench {n}"), "location": {"lat": 52.5, "lon": 13.4}}))
            .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = sent.lock().await.clone();
    let mut all = Vec::with_capacity(SUBSCRIBERS * POSTS);
    for t in tasks {
        for (n, at) in t.await.unwrap() {
            all.push(at.duration_since(sent[n].unwrap()));
        }
    }
    all.sort();
    println!(
        "post-to-event latency, {SUBSCRIBERS} subscribers with mixed filters, {POSTS} posts 10 ms apart \
         ({} deliveries): median {}, p99 {}, max {}",
        all.len(),
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99)),
        micros(*all.last().unwrap())
    );
}

async fn idle_memory(roostd: &Roostd) {
    let pid = roostd.pid();
    let mut c = roostd.client().await;
    c.ok(json!({"op": "hello"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    let mut idle: Vec<Client> = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let mut sub = roostd.client().await;
        sub.subscribe(json!({"op": "subscribe", "stream": stream(i)})).await;
        idle.push(sub);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let hello = c.ok(json!({"op": "hello"})).await;
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / IDLE as f64;
    println!(
        "roostd resident memory: {before} KiB before, {after} KiB with {} idle subscribers \
         (one connection each): {:.1} KB per subscriber",
        hello["subscriptions"],
        per / 1000.0
    );
    drop(idle);
}

fn main() {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("ROOSTD_BIN", env!("CARGO_BIN_EXE_roostd")) };
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        println!("roostd stream benchmarks (release build, private redis-server on a Unix socket)");
        let redis = Redis::start();
        let flags =
            ["--max-connections", "20000", "--max-subs-per-account", "100000", "--workers", "1"];
        let roostd = Roostd::start(&redis, &flags);
        latency(&roostd).await;
        drop(roostd);
        let roostd = Roostd::start(&redis, &flags);
        idle_memory(&roostd).await;
    });
}
