//! Live stream benchmarks that print figures (no timed asserts): run with
//!
//!     cargo bench -p roostd --bench streams
//!
//! - post-to-event latency (median, p99) with 1,000 subscribers on one roostd,
//!   each on its own connection, holding mixed filters (firehose, sample, track,
//!   follow, locations) that all match the measured posts;
//! - the same with 100 firehose subscribers with accounts, each blocking 1,000
//!   and muting 1,000 accounts, beside 100 blocking and muting nobody;
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
    let subscribe = |i: usize| json!({"op": "subscribe", "stream": stream(i)});
    latency_of(roostd, label, SUBSCRIBERS, &subscribe, post).await;
}

/// Post-to-event latency over every delivery of `POSTS` posts to
/// `subscribers` subscribers, the i-th subscribed by `subscribe(i)`.
async fn latency_of(
    roostd: &Roostd,
    label: &str,
    subscribers: usize,
    subscribe: &dyn Fn(usize) -> Value,
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
    for i in 0..subscribers {
        let mut sub = roostd.client().await;
        sub.subscribe(subscribe(i)).await;
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
    let mut all = Vec::with_capacity(subscribers * POSTS);
    for t in tasks {
        for (n, at) in t.await.unwrap() {
            all.push(at.duration_since(sent[n]));
        }
    }
    all.sort();
    println!(
        "post-to-event latency, {label}: {subscribers} subscribers, {POSTS} posts 10 ms apart, \
         {} deliveries ({:.0} per post): median {}, p99 {}, max {}",
        all.len(),
        all.len() as f64 / POSTS as f64,
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99)),
        micros(*all.last().unwrap())
    );
}

/// Issue 10: the visibility decision's cost on delivery. `READERS`
/// subscribers with accounts on the firehose, first each blocking 1,000 and
/// muting 1,000 accounts (none of them the poster), then `READERS` others
/// blocking and muting nobody.
async fn latency_with_blocks_and_mutes(roostd: &Roostd) {
    const READERS: usize = 100;
    let mut c = roostd.client().await;
    let mut reqs = Vec::new();
    for n in 0..2000 {
        reqs.push(json!({"op": "register", "login": format!("other{n}"), "bot": true}));
    }
    for r in 0..READERS {
        for who in ["guarded", "open"] {
            reqs.push(json!({"op": "register", "login": format!("{who}{r}"), "bot": true}));
        }
    }
    pipeline_ok(&mut c, &reqs).await;
    let started = Instant::now();
    for r in 0..READERS {
        let acts: Vec<Value> = (0..2000)
            .map(|n| {
                let act = if n < 1000 { "block" } else { "mute" };
                json!({"op": act, "as": format!("guarded{r}"), "login": format!("other{n}")})
            })
            .collect();
        pipeline_ok(&mut c, &acts).await;
    }
    println!(
        "  ({READERS} readers x 1,000 blocks + 1,000 mutes made in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    for who in ["open", "guarded"] {
        let subscribe = move |i: usize| json!({"op": "subscribe", "as": format!("{who}{i}"), "stream": {"firehose": true}});
        let label = if who == "open" {
            "firehose readers with accounts blocking and muting nobody"
        } else {
            "firehose readers with accounts each blocking 1,000 and muting 1,000"
        };
        latency_of(roostd, label, READERS, &subscribe, matching_post).await;
    }
}

async fn pipeline_ok(c: &mut Client, reqs: &[Value]) {
    for chunk in reqs.chunks(1000) {
        for r in c.pipeline(chunk).await {
            assert_eq!(r["ok"], true, "{r}");
        }
    }
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
            latency_with_blocks_and_mutes(&roostd).await;
            drop(roostd);
            let roostd = Roostd::start(&redis, &flags);
            idle_memory(&roostd).await;
        });
}
