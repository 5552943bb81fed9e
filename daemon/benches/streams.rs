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

use std::time::{Duration, Instant};

use roost_tests::measure::{micros, percentile, rss_kib};
use roost_tests::{Client, Redis, Roostd};
use serde_json::{Value, json};

const SUBSCRIBERS: usize = 1_000;
const POSTS: usize = 200;
const IDLE: usize = 10_000;

/// The i-th of a mix of streams, every one matching a post by `poster` with
/// the word "bench" at 52.5, 13.4 (the worst case: every post goes to all).
fn matching_stream(i: usize) -> Value {
    match i % 5 {
        0 => json!({"firehose": true}),
        1 => json!({"sample": {"percent": 100}}),
        2 => json!({"filter": {"track": [format!("word{i}"), "bench", format!("two words{i}")]}}),
        3 => json!({"filter": {"follow": ["poster"], "track": [format!("other{i}")]}}),
        _ => json!({"filter": {"locations": [[13.0, 52.0, 14.0, 53.0], [0.0, 0.0, 1.0, 1.0]]}}),
    }
}

/// The i-th of a realistic mix: a few firehoses, samples, and filters on
/// words, authors and places of which each post matches some.
fn mixed_stream(i: usize) -> Value {
    match i % 10 {
        0 => json!({"firehose": true}),
        1 | 2 => json!({"sample": {"percent": 10}}),
        3..=5 => json!({"filter": {"track": [format!("topic{}", i % 20), "bench release"]}}),
        6 | 7 => json!({"filter": {"follow": [format!("poster{}", i % 10)]}}),
        _ => {
            let lon = (i % 36) as f64 * 10.0 - 180.0;
            json!({"filter": {"locations": [[lon, -90.0, lon + 10.0, 90.0]]}})
        }
    }
}

/// The n-th post of the mixed run: its author, text and place.
fn mixed_post(n: usize) -> Value {
    json!({
        "op": "post",
        "as": format!("poster{}", n % 10),
        "text": format!("bench {n} about topic{}", n % 20),
        "location": {"lat": 10.0, "lon": (n % 36) as f64 * 10.0 - 175.0},
    })
}

/// Post-to-event latency over every delivery of `POSTS` posts to `SUBSCRIBERS`
/// subscribers holding `stream(i)`.
async fn latency(
    roostd: &Roostd,
    label: &str,
    stream: fn(usize) -> Value,
    post: fn(usize) -> Value,
) {
    let mut c = roostd.client().await;
    for p in 0..10 {
        c.call(json!({"op": "register", "login": format!("poster{p}"), "bot": true}))
            .await;
    }
    c.call(json!({"op": "register", "login": "poster", "bot": true}))
        .await;
    let mut tasks = Vec::new();
    for i in 0..SUBSCRIBERS {
        let mut sub = roostd.client().await;
        sub.subscribe(json!({"op": "subscribe", "stream": stream(i)}))
            .await;
        tasks.push(tokio::spawn(async move {
            let mut arrivals = Vec::new();
            // Found by text, not parsed: the clients share the cores with roostd.
            let marker = "\"text\":\"bench ";
            while let Ok(Some(line)) =
                tokio::time::timeout(Duration::from_secs(2), sub.raw_line()).await
            {
                let at = Instant::now();
                if let Some(start) = line.find(marker) {
                    let digits = &line[start + marker.len()..];
                    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap();
                    arrivals.push((digits[..end].parse::<usize>().unwrap(), at));
                }
            }
            arrivals
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut sent = Vec::with_capacity(POSTS);
    for n in 0..POSTS {
        sent.push(Instant::now());
        c.ok(post(n)).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut all = Vec::with_capacity(SUBSCRIBERS * POSTS);
    for t in tasks {
        for (n, at) in t.await.unwrap() {
            all.push(at.duration_since(sent[n]));
        }
    }
    all.sort();
    println!(
        "post-to-event latency, {label}: {SUBSCRIBERS} subscribers, {POSTS} posts 10 ms apart, \
         {} deliveries ({:.0} per post): median {}, p99 {}, max {}",
        all.len(),
        all.len() as f64 / POSTS as f64,
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99)),
        micros(*all.last().unwrap())
    );
}

fn matching_post(n: usize) -> Value {
    json!({"op": "post", "as": "poster", "text": format!("bench {n}"), "location": {"lat": 52.5, "lon": 13.4}})
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
        sub.subscribe(json!({"op": "subscribe", "stream": mixed_stream(i)}))
            .await;
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
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            println!(
                "roostd stream benchmarks (release build, private redis-server on a Unix socket)"
            );
            let redis = Redis::start();
            let flags = [
                "--max-connections",
                "20000",
                "--max-subs-per-account",
                "100000",
                "--workers",
                "1",
            ];
            let roostd = Roostd::start(&redis, &flags);
            latency(&roostd, "mixed filters", mixed_stream, mixed_post).await;
            drop(roostd);
            let roostd = Roostd::start(&redis, &flags);
            let label = "every subscriber matching every post";
            latency(&roostd, label, matching_stream, matching_post).await;
            drop(roostd);
            let roostd = Roostd::start(&redis, &flags);
            idle_memory(&roostd).await;
        });
}
