//! Conversation benchmarks that print figures (no timed asserts): run with
//!
//!     cargo bench -p roostd --bench conversations
//!
//! Against a private redis-server on a Unix socket and the release roostd:
//! - `thread` of a conversation of 1,000 replies (100 direct replies, each
//!   with a chain of 9 below it), all 1,000 returned, median and p99;
//! - a 30-status home page where every status has replies, reposts and likes,
//!   some liked by the reader (so each status carries counts and flags), median
//!   and p99, beside the same page read with no counts (a fresh reader whose
//!   statuses nobody touched);
//! - a home page read by an account blocking 1,000 and muting 1,000 others,
//!   beside one blocking and muting nobody (the visibility decision's cost).

use std::time::Instant;

use roost_tests::measure::{micros, percentile};
use roost_tests::{Client, Redis, Roostd};
use serde_json::{Value, json};

async fn pipeline_ok(c: &mut Client, requests: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in requests.chunks(2000) {
        for r in c.pipeline(chunk).await {
            assert_eq!(r["ok"], true, "{r}");
            out.push(r["result"].clone());
        }
    }
    out
}

async fn timed(
    c: &mut Client,
    request: &Value,
    n: usize,
    check: impl Fn(&Value),
) -> (String, String) {
    for _ in 0..n / 10 {
        c.ok(request.clone()).await;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let result = c.ok(request.clone()).await;
        times.push(start.elapsed());
        check(&result);
    }
    times.sort();
    (
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99)),
    )
}

async fn thread_read(roostd: &Roostd) {
    let mut c = roostd.client().await;
    for i in 0..20 {
        c.bot(&format!("talker{i}")).await;
    }
    let root = c
        .ok(json!({"op": "post", "as": "talker0", "text": "a question for everyone"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let direct: Vec<Value> = (0..100)
        .map(|i| json!({"op": "post", "as": format!("talker{}", i % 20), "text": format!("answer {i}"), "reply_to": root}))
        .collect();
    let mut level: Vec<u64> = pipeline_ok(&mut c, &direct)
        .await
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    for depth in 0..9 {
        let next: Vec<Value> = level
            .iter()
            .enumerate()
            .map(|(i, to)| json!({"op": "post", "as": format!("talker{}", (i + depth) % 20), "text": format!("and then {depth}"), "reply_to": to}))
            .collect();
        level = pipeline_ok(&mut c, &next)
            .await
            .iter()
            .map(|s| s["id"].as_u64().unwrap())
            .collect();
    }
    let read = json!({"op": "thread", "as": "talker1", "status": root, "count": 1000});
    let (median, p99) = timed(&mut c, &read, 200, |r| {
        assert_eq!(r["replies"].as_array().unwrap().len(), 1000);
    })
    .await;
    println!(
        "thread of 1,000 replies (depth 10), all returned, 200 sequential reads: median {median}, p99 {p99}"
    );
}

async fn home_with_counts(roostd: &Roostd) {
    let mut c = roostd.client().await;
    c.bot("reader").await;
    c.bot("plain").await;
    let mut reqs = Vec::new();
    for a in 0..50 {
        reqs.push(json!({"op": "register", "login": format!("writer{a}"), "bot": true}));
        reqs.push(json!({"op": "follow", "as": "reader", "login": format!("writer{a}")}));
        reqs.push(json!({"op": "follow", "as": "plain", "login": format!("writer{a}")}));
    }
    pipeline_ok(&mut c, &reqs).await;
    let posts: Vec<Value> = (0..1000)
        .map(|s| json!({"op": "post", "as": format!("writer{}", s % 50), "text": format!("status {s} with some words to read")}))
        .collect();
    let ids: Vec<u64> = pipeline_ok(&mut c, &posts)
        .await
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    // Fans whom neither reader follows like, reply and repost, so the homes
    // hold the same 1,000 statuses.
    let fans: Vec<Value> = (0..20)
        .map(|f| json!({"op": "register", "login": format!("fan{f}"), "bot": true}))
        .collect();
    pipeline_ok(&mut c, &fans).await;
    let mut acts = Vec::new();
    for (i, id) in ids.iter().enumerate().rev().take(60) {
        for f in 0..3 {
            let who = format!("fan{}", (i + f) % 20);
            acts.push(json!({"op": "like", "as": who, "status": id}));
            acts.push(json!({"op": "post", "as": who, "text": "a reply", "reply_to": id}));
        }
        acts.push(json!({"op": "repost", "as": format!("fan{}", (i + 7) % 20), "status": id}));
        if i % 2 == 0 {
            acts.push(json!({"op": "like", "as": "reader", "status": id}));
        }
    }
    pipeline_ok(&mut c, &acts).await;
    // The reader's page: counts everywhere, some liked; "plain" reads a page of
    // the same writers' oldest statuses, which nobody touched.
    let read = json!({"op": "timeline", "kind": "home", "as": "reader", "count": 30});
    let (median, p99) = timed(&mut c, &read, 10_000, |r| {
        assert_eq!(r["statuses"].as_array().unwrap().len(), 30);
    })
    .await;
    let sample = c.ok(read.clone()).await;
    let counted = sample["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["likes"].as_u64() > Some(0) || s["replies"].as_u64() > Some(0))
        .count();
    println!(
        "home page of 30 with counts and flags ({counted} of 30 statuses liked or replied to), 10,000 sequential reads: median {median}, p99 {p99}"
    );
    let oldest = ids[100];
    let read =
        json!({"op": "timeline", "kind": "home", "as": "plain", "count": 30, "before": oldest});
    let (median, p99) = timed(&mut c, &read, 10_000, |r| {
        assert_eq!(r["statuses"].as_array().unwrap().len(), 30);
    })
    .await;
    println!("  the same with no counts (statuses nobody touched): median {median}, p99 {p99}");
}

/// Issue 10: the cost of the visibility decision: a home page read by an
/// account that blocks 1,000 accounts and mutes 1,000 others, beside the same
/// page read by one that blocks and mutes nobody.
async fn home_with_blocks_and_mutes(roostd: &Roostd) {
    let mut c = roostd.client().await;
    let mut reqs = Vec::new();
    for who in ["guarded", "open"] {
        reqs.push(json!({"op": "register", "login": who, "bot": true}));
    }
    for a in 0..20 {
        reqs.push(json!({"op": "register", "login": format!("poster{a}"), "bot": true}));
        for who in ["guarded", "open"] {
            reqs.push(json!({"op": "follow", "as": who, "login": format!("poster{a}")}));
        }
    }
    for n in 0..2000 {
        reqs.push(json!({"op": "register", "login": format!("other{n}"), "bot": true}));
        let act = if n < 1000 { "block" } else { "mute" };
        reqs.push(json!({"op": act, "as": "guarded", "login": format!("other{n}")}));
    }
    for s in 0..200 {
        reqs.push(
            json!({"op": "post", "as": format!("poster{}", s % 20), "text": format!("status {s}")}),
        );
    }
    pipeline_ok(&mut c, &reqs).await;
    for who in ["open", "guarded"] {
        let read = json!({"op": "timeline", "kind": "home", "as": who, "count": 30});
        let (median, p99) = timed(&mut c, &read, 5_000, |r| {
            assert_eq!(r["statuses"].as_array().unwrap().len(), 30);
        })
        .await;
        let label = if who == "open" {
            "home page of 30, reader blocking and muting nobody"
        } else {
            "home page of 30, reader blocking 1,000 and muting 1,000"
        };
        println!("{label}, 5,000 sequential reads: median {median}, p99 {p99}");
    }
}

fn main() {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("ROOSTD_BIN", env!("CARGO_BIN_EXE_roostd")) };
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(run());
}

async fn run() {
    println!("conversation benchmarks (release build, private redis-server on a Unix socket)");
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    thread_read(&roostd).await;
    home_with_counts(&roostd).await;
    home_with_blocks_and_mutes(&roostd).await;
}
