//! Benchmarks that print figures (no timed asserts): run with
//!
//!     cargo bench -p roostd --bench throughput
//!
//! Against a private redis-server on a Unix socket and the release roostd:
//! - fan-out of one status to 100,000 followers, until every home holds it;
//! - a 30-status home timeline read over the socket, median and p99, and by
//!   64 clients at once (reads per second);
//! - a home page merging 20 big accounts at read time beside one all copied;
//! - a post by an account past `--celebrity-threshold`: readable in every
//!   follower's home when `post` answers;
//! - registering a user, and following a user with 1,000 statuses;
//! - the same machine's limits, measured in the same run: Redis's own rate of
//!   new-key ZADDs, and the same home page read straight from Redis.
//!
//! `ROOST_BENCH_FOLLOWERS` changes the follower count (default 100,000).

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use roost_tests::measure::{micros, percentile};
use roost_tests::{Client, Redis, RedisCluster, Roostd};
use serde_json::{Value, json};

const READS: usize = 10_000;

/// Busy CPU seconds so far (user + system), from the text of `INFO cpu`.
fn busy_seconds(info: &str) -> f64 {
    info.lines()
        .filter(|l| l.starts_with("used_cpu_sys:") || l.starts_with("used_cpu_user:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum()
}

async fn pipeline_ok(c: &mut Client, requests: &[Value]) {
    for r in c.pipeline(requests).await {
        assert_eq!(r["ok"], true, "{r}");
    }
}

/// Registers `n` followers of `author` over `conns` connections at once.
async fn seed_followers(roostd: &Roostd, author: &str, n: usize, conns: usize) {
    let mut tasks = Vec::new();
    for part in 0..conns {
        let mut c = roostd.client().await;
        let author = author.to_owned();
        tasks.push(tokio::spawn(async move {
            let ids: Vec<usize> = (part..n).step_by(conns).collect();
            for chunk in ids.chunks(2_000) {
                let mut reqs = Vec::with_capacity(chunk.len() * 2);
                for i in chunk {
                    reqs.push(json!({"op": "register", "login": format!("f{i}"), "bot": true}));
                    reqs.push(json!({"op": "follow", "as": format!("f{i}"), "login": author}));
                }
                pipeline_ok(&mut c, &reqs).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Fan-out to `followers` through `roostd`; `cpu` reads the Redis servers'
/// busy seconds so far; `label` names the setup.
async fn fanout(cpu: &dyn Fn() -> f64, roostd: &Roostd, followers: usize, label: &str) {
    let mut c = roostd.client().await;
    c.bot("star").await;
    let started = Instant::now();
    seed_followers(roostd, "star", followers, 4).await;
    let seeded = started.elapsed();
    println!(
        "seeded {followers} followers (register + follow) in {:.1} s: {:.0} requests/s",
        seeded.as_secs_f64(),
        (followers * 2) as f64 / seeded.as_secs_f64()
    );
    let last = format!("f{}", followers - 1);
    let mut watcher = roostd.client().await;
    for round in 1..=3 {
        let cpu_before = cpu();
        let start = Instant::now();
        let status = c
            .ok(json!({"op": "post", "as": "star", "text": format!("to everyone #{round}")}))
            .await;
        let answered = start.elapsed();
        let id = status["id"].as_u64().unwrap();
        // Fan-out pages followers oldest first: the newest follower is reached last.
        loop {
            if watcher.home_ids(&last, 1).await.first() == Some(&id) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let done = start.elapsed();
        let cpu = cpu() - cpu_before;
        // Every home, checked after the clock stopped.
        let mut missing = 0;
        for chunk in (0..followers).collect::<Vec<_>>().chunks(5_000) {
            let reqs: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"op": "timeline", "kind": "home", "as": format!("f{i}"), "count": 1}))
                .collect();
            for r in c.pipeline(&reqs).await {
                if r["result"]["statuses"][0]["id"].as_u64() != Some(id) {
                    missing += 1;
                }
            }
        }
        println!(
            "fan-out #{round} to {followers} followers ({label}): post answered in {}, every home \
             timeline held it after {:.3} s (Redis busy {:.2} s of it); {missing} homes missing it",
            micros(answered),
            done.as_secs_f64(),
            cpu
        );
    }
}

async fn home_reads(redis: &Redis, roostd: &Roostd) {
    let mut c = roostd.client().await;
    c.bot("reader").await;
    let mut reqs = Vec::new();
    for a in 0..50 {
        reqs.push(json!({"op": "register", "login": format!("author{a}"), "bot": true}));
        for s in 0..20 {
            reqs.push(json!({"op": "post", "as": format!("author{a}"), "text": format!("status {s} of author {a}, with some words to read")}));
        }
        reqs.push(json!({"op": "follow", "as": "reader", "login": format!("author{a}")}));
    }
    pipeline_ok(&mut c, &reqs).await;
    let read = json!({"op": "timeline", "kind": "home", "as": "reader", "count": 30});
    let times = sequential_reads(&mut c, &read, READS).await;
    println!(
        "home timeline page of 30 over the socket, {READS} sequential reads: median {}, p99 {}, max {}",
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99)),
        micros(*times.last().unwrap())
    );

    concurrent_reads(roostd, &read).await;

    // The floor: the same page as one pipeline straight from Redis.
    let reader = c.ok(json!({"op": "user", "login": "reader"})).await["id"]
        .as_u64()
        .unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let home = format!("{{roost:u{reader}}}:home");
    let mut raw = Vec::with_capacity(READS);
    for _ in 0..READS {
        let start = Instant::now();
        let members: Vec<String> = conn.zrevrange(&home, 0, 29).await.unwrap();
        let mut pipe = redis::pipe();
        for m in &members {
            let (uid, sid) = m.split_once(':').unwrap();
            pipe.hgetall(format!("{{roost:u{uid}}}:s:{sid}"));
        }
        let _: Vec<std::collections::HashMap<String, String>> =
            pipe.query_async(&mut conn).await.unwrap();
        raw.push(start.elapsed());
    }
    raw.sort();
    println!(
        "  same page straight from Redis (ZREVRANGE, then 30 HGETALL pipelined): median {}, p99 {}",
        micros(percentile(&raw, 0.5)),
        micros(percentile(&raw, 0.99))
    );
}

/// `n` reads of a 30-status page one after another (after 500 to warm up),
/// sorted.
async fn sequential_reads(c: &mut Client, read: &Value, n: usize) -> Vec<Duration> {
    for _ in 0..500 {
        c.ok(read.clone()).await;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let result = c.ok(read.clone()).await;
        times.push(start.elapsed());
        assert_eq!(result["statuses"].as_array().unwrap().len(), 30);
    }
    times.sort();
    times
}

/// A home that merges 20 big accounts at read time beside one that merges
/// none, the same size: each follows 50 accounts with 20 statuses each; 20
/// of the first's have the threshold's followers (so are merged), the
/// second's 20 twins of them have one.
async fn merged_home_reads(roostd: &Roostd, redis: &Redis, namespace: &str, threshold: usize) {
    let mut c = roostd.client().await;
    let mut reqs = Vec::new();
    for reader in ["plain", "merging"] {
        reqs.push(json!({"op": "register", "login": reader, "bot": true}));
    }
    for extra in 0..threshold {
        reqs.push(json!({"op": "register", "login": format!("extra{extra}"), "bot": true}));
    }
    let author = |kind: &str, a: usize| format!("{kind}{a}");
    for a in 0..50 {
        let kinds: &[&str] = if a < 20 { &["big", "twin"] } else { &["small"] };
        for kind in kinds {
            let login = author(kind, a);
            reqs.push(json!({"op": "register", "login": login, "bot": true}));
            for s in 0..20 {
                reqs.push(json!({"op": "post", "as": login, "text": format!("status {s} of {login}, with some words to read")}));
            }
        }
        let (merging, plain) = match a < 20 {
            true => (author("big", a), author("twin", a)),
            false => (author("small", a), author("small", a)),
        };
        reqs.push(json!({"op": "follow", "as": "merging", "login": merging}));
        reqs.push(json!({"op": "follow", "as": "plain", "login": plain}));
        if a < 20 {
            for extra in 0..threshold - 1 {
                reqs.push(json!({"op": "follow", "as": format!("extra{extra}"), "login": merging}));
            }
        }
    }
    pipeline_ok(&mut c, &reqs).await;
    // The promotions done: the merging home reads 20 profiles.
    for a in 0..20 {
        let id = c.ok(json!({"op": "user", "login": author("big", a)})).await["id"]
            .as_u64()
            .unwrap();
        let mode_key = format!("{{{namespace}:u{id}}}:counts");
        while redis.cli(&["HGET", &mode_key, "fanout"]).trim() != "merge" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let mut results = Vec::new();
    for reader in ["plain", "merging"] {
        let read = json!({"op": "timeline", "kind": "home", "as": reader, "count": 30});
        results.push(sequential_reads(&mut c, &read, READS / 2).await);
    }
    let (plain, merging) = (&results[0], &results[1]);
    let ratio = percentile(merging, 0.5).as_secs_f64() / percentile(plain, 0.5).as_secs_f64();
    println!(
        "home page of 30 merging 20 big accounts at read time, {} sequential reads: median {}, p99 {} \
         ({ratio:.2}x the median of the same page all copied: median {}, p99 {})",
        READS / 2,
        micros(percentile(merging, 0.5)),
        micros(percentile(merging, 0.99)),
        micros(percentile(plain, 0.5)),
        micros(percentile(plain, 0.99)),
    );
}

/// A post by an account past the threshold: `post` answers, and every
/// follower's home already has it (no copies), checked for each.
async fn celebrity_post(roostd: &Roostd, redis: &Redis, followers: usize) {
    let mut c = roostd.client().await;
    // One more follow, through this roostd (whose threshold is the
    // default): star crosses it and is promoted.
    c.bot("latecomer").await;
    c.ok(json!({"op": "follow", "as": "latecomer", "login": "star"}))
        .await;
    let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
        .as_u64()
        .unwrap();
    let started = Instant::now();
    let mode_key = format!("{{roost:u{star}}}:counts");
    while redis.cli(&["HGET", &mode_key, "fanout"]).trim() != "merge" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "celebrity: star ({} followers) promoted to merged reads in {:.2} s",
        followers + 1,
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for round in 0..200 {
        let start = Instant::now();
        let id = c
            .ok(json!({"op": "post", "as": "star", "text": format!("merged #{round}")}))
            .await["id"]
            .as_u64()
            .unwrap();
        times.push(start.elapsed());
        if round == 0 {
            let mut missing = 0;
            for chunk in (0..followers).collect::<Vec<_>>().chunks(5_000) {
                let reqs: Vec<Value> = chunk
                    .iter()
                    .map(|i| json!({"op": "timeline", "kind": "home", "as": format!("f{i}"), "count": 1}))
                    .collect();
                for r in c.pipeline(&reqs).await {
                    if r["result"]["statuses"][0]["id"].as_u64() != Some(id) {
                        missing += 1;
                    }
                }
            }
            println!(
                "  every home read right after `post` answered: {missing} of {followers} missing it"
            );
        }
    }
    times.sort();
    println!(
        "  post by an account with {} followers, readable in every home when it answers: median {}, p99 {}",
        followers + 1,
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
}

/// Home page reads by 64 clients at once, each on its own connection reading
/// one page after another for 5 s: reads per second, and each read's latency.
async fn concurrent_reads(roostd: &Roostd, read: &Value) {
    const CLIENTS: usize = 64;
    let until = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let mut c = roostd.client().await;
        let read = read.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < until {
                let start = Instant::now();
                c.ok(read.clone()).await;
                times.push(start.elapsed());
            }
            times
        }));
    }
    let started = Instant::now();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    println!(
        "  {CLIENTS} clients reading at once for 5 s: {:.0} reads/s, each read median {}, p99 {}",
        times.len() as f64 / elapsed,
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
}

async fn small_ops(roostd: &Roostd) {
    let mut c = roostd.client().await;
    let mut times = Vec::new();
    for i in 0..2_000 {
        let start = Instant::now();
        c.bot(&format!("new{i}")).await;
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "register a user: median {}, p99 {}",
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );

    c.bot("prolific").await;
    let posts: Vec<Value> = (0..1000)
        .map(|i| json!({"op": "post", "as": "prolific", "text": format!("post {i}")}))
        .collect();
    pipeline_ok(&mut c, &posts).await;
    let mut times = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        c.ok(json!({"op": "follow", "as": format!("new{i}"), "login": "prolific"}))
            .await;
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "follow a user with 1,000 statuses (copies them home): median {}, p99 {}",
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
}

/// Redis's own rate of new-key ZADDs on this machine, pipelined 1,000 deep.
fn redis_limit(redis: &Redis) {
    let out = std::process::Command::new("redis-benchmark")
        .arg("-s")
        .arg(&redis.socket)
        .args(["-n", "1000000", "-P", "1000", "-r", "100000000", "-q"])
        .args(["ZADD", "bench:__rand_int__", "1", "m"])
        .output();
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.rsplit('\r').next().unwrap_or("").trim();
            println!("machine limit, redis-benchmark ZADD to new keys, pipeline 1000: {line}");
        }
        Err(e) => println!("machine limit: redis-benchmark unavailable ({e})"),
    }
    redis.cli(&["FLUSHALL"]);
}

fn main() {
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("ROOSTD_BIN", env!("CARGO_BIN_EXE_roostd")) };
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(run());
}

async fn run() {
    let followers: usize = std::env::var("ROOST_BENCH_FOLLOWERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    println!("roostd benchmarks (release build, private redis-server on a Unix socket)");

    let redis = Redis::start();
    redis_limit(&redis);
    // Copies everywhere (no celebrity threshold), to measure fan-out on write.
    let copying = ["--celebrity-threshold", "0"];
    let roostd = Roostd::start(&redis, &copying);
    home_reads(&redis, &roostd).await;
    small_ops(&roostd).await;
    let merging = Roostd::start(
        &redis,
        &["--namespace", "merging", "--celebrity-threshold", "100"],
    );
    merged_home_reads(&merging, &redis, "merging", 100).await;
    drop(merging);
    fanout(
        &|| busy_seconds(&redis.cli(&["INFO", "cpu"])),
        &roostd,
        followers,
        "one Redis",
    )
    .await;
    drop(roostd);
    // The same star past the default threshold.
    let roostd = Roostd::start(&redis, &[]);
    celebrity_post(&roostd, &redis, followers).await;
    drop(roostd);
    drop(redis);

    let cluster = RedisCluster::start();
    let roostd = Roostd::start_with(
        vec![
            "--redis-cluster".into(),
            cluster.seeds(),
            "--celebrity-threshold".into(),
            "0".into(),
        ],
        Vec::new(),
    );
    let cpu = || {
        cluster
            .ports
            .iter()
            .map(|&p| busy_seconds(&cluster.cli_on(p, &["INFO", "cpu"])))
            .sum()
    };
    fanout(&cpu, &roostd, followers, "3-master Redis Cluster").await;
}
