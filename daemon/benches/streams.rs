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

use std::time::Instant;

use roost_tests::bench::{
    STREAM_FLAGS, Sizes, Table, idle_memory, latency_of, matching_post, pipeline_ok, streams,
};
use roost_tests::{Redis, Roostd};
use serde_json::{Value, json};

const IDLE: usize = 10_000;

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
        latency_of(roostd, label, READERS, 200, &subscribe, matching_post).await;
    }
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
            let mut table = Table::default();
            streams(Sizes::full(0), &mut table).await;
            let redis = Redis::start();
            let roostd = Roostd::start(&redis, &STREAM_FLAGS);
            latency_with_blocks_and_mutes(&roostd).await;
            drop(roostd);
            let roostd = Roostd::start(&redis, &STREAM_FLAGS);
            idle_memory(&roostd, IDLE).await;
            println!("\n{}", table.markdown());
        });
}
