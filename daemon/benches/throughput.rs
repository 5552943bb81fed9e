//! Benchmarks that print figures (no timed asserts): run with
//!
//!     cargo bench -p roostd --bench throughput
//!
//! Against a private redis-server on a Unix socket and the release roostd
//! (the scenarios are `roost_tests::bench::throughput`, which `roost-bench`
//! runs too):
//! - fan-out of one status to 100,000 followers, until every home holds it,
//!   on one Redis and on a 3-master cluster;
//! - a post by an account past `--celebrity-threshold`: readable in every
//!   follower's home when `post` answers;
//! - a 30-status home timeline read over the socket, median and p99, beside
//!   the same page read straight from Redis as raw bytes; by 64 clients at
//!   once (reads per second); merging 20 big accounts beside all copied;
//! - registering a user, following a user with 1,000 statuses, and
//!   register + follow pipelined;
//! - Redis's own rate of new-key ZADDs, measured in the same run.
//!
//! `ROOST_BENCH_FOLLOWERS` changes the follower count (default 100,000).

use roost_tests::bench::{Sizes, Table, throughput};

fn main() {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("ROOSTD_BIN", env!("CARGO_BIN_EXE_roostd")) };
    let followers: usize = std::env::var("ROOST_BENCH_FOLLOWERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    println!("roostd benchmarks (release build, private redis-server on a Unix socket)");
    let mut table = Table::default();
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(throughput(Sizes::full(followers), &mut table));
    println!("\n{}", table.markdown());
}
