//! `roost-bench`: every benchmark scenario of Roost in one run, printed as
//! one table beside this machine's limits measured in the same run (Redis's
//! own ZADD rate, a home page read straight from Redis as raw bytes) with the
//! ratio and the goal.
//!
//!     cargo build --release --workspace && target/release/roost-bench
//!
//! It starts its own redis-server (and a 3-master Redis Cluster) and the
//! `roostd` built beside it (or `ROOSTD_BIN`); nothing else is touched.

use clap::Parser;
use roost_tests::bench::{Sizes, Table, streams, throughput};

#[derive(Parser)]
#[command(about = "Roost's benchmarks, printed as one table")]
struct Args {
    /// Followers of the account whose post fans out
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    followers: usize,

    /// A run of seconds through every scenario with tiny sizes (its figures
    /// mean nothing; it shows the benchmark works)
    #[arg(long)]
    quick: bool,
}

/// What the figures were measured on.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kib: u64 = m.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    let redis = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cores} cores, {memory}; {redis}")
}

fn main() {
    let args = Args::parse();
    let sizes = match args.quick {
        true => Sizes::quick(),
        false => Sizes::full(args.followers),
    };
    println!("roost-bench on {}", machine());
    let mut table = Table::default();
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            throughput(sizes, &mut table).await;
            streams(sizes, &mut table).await;
        });
    println!("\n{}", table.markdown());
}
