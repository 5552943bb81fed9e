//! The benchmark scenarios, shared by `roost-bench` (one table of every
//! figure beside this machine's limits measured in the same run) and the
//! `cargo bench -p roostd` targets. They print figures; nothing is asserted
//! on time.
//!
//! Everything runs against a redis-server and a roostd of the run's own
//! (release builds; the subscribers' and readers' client tasks share the
//! machine's cores with them, so the latencies include their wake-ups).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::measure::{micros, percentile, rss_kib};
use crate::{Client, Redis, RedisCluster, Roostd};

/// How big each scenario is.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Followers of the account whose post fans out.
    pub followers: usize,
    /// Sequential home reads measured.
    pub reads: usize,
    /// How long the concurrent readers read.
    pub concurrent_for: Duration,
    /// Live subscribers in the stream latency scenarios.
    pub subscribers: usize,
    /// Posts whose deliveries are timed.
    pub posts: usize,
    /// Followers from which an account is merged (the default threshold's
    /// scenario uses the roostd default; this one is for the 20-big-accounts home).
    pub big: usize,
}

impl Sizes {
    /// The sizes the figures in the README are measured with.
    pub fn full(followers: usize) -> Sizes {
        Sizes {
            followers,
            reads: 10_000,
            concurrent_for: Duration::from_secs(5),
            subscribers: 1_000,
            posts: 200,
            big: 100,
        }
    }

    /// A run of a few seconds that goes through every scenario (the suite's
    /// check that the benchmark works).
    pub fn quick() -> Sizes {
        Sizes {
            followers: 200,
            reads: 200,
            concurrent_for: Duration::from_millis(500),
            subscribers: 20,
            posts: 10,
            big: 4,
        }
    }
}

/// One line of the table: a figure beside the limit it is compared with.
pub struct Row {
    pub what: String,
    pub figure: String,
    pub limit: String,
    pub ratio: String,
    pub goal: String,
    /// Whether the goal is met, where there is one.
    pub met: Option<bool>,
}

/// The figures of a run.
#[derive(Default)]
pub struct Table(pub Vec<Row>);

impl Table {
    fn row(&mut self, what: impl Into<String>, figure: impl Into<String>) -> &mut Row {
        self.0.push(Row {
            what: what.into(),
            figure: figure.into(),
            limit: String::new(),
            ratio: String::new(),
            goal: String::new(),
            met: None,
        });
        self.0.last_mut().expect("just pushed")
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| what | figure | limit, same run | ratio | goal | met |\n|---|---|---|---|---|---|\n",
        );
        for r in &self.0 {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {met} |\n",
                r.what, r.figure, r.limit, r.ratio, r.goal
            ));
        }
        out
    }
}

impl Row {
    fn limit(&mut self, limit: impl Into<String>) -> &mut Row {
        self.limit = limit.into();
        self
    }

    fn ratio(&mut self, ratio: impl Into<String>) -> &mut Row {
        self.ratio = ratio.into();
        self
    }

    fn goal(&mut self, goal: impl Into<String>, met: bool) -> &mut Row {
        self.goal = goal.into();
        self.met = Some(met);
        self
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Busy CPU seconds so far (user + system), from the text of `INFO cpu`.
fn busy_seconds(info: &str) -> f64 {
    info.lines()
        .filter(|l| l.starts_with("used_cpu_sys:") || l.starts_with("used_cpu_user:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum()
}

pub async fn pipeline_ok(c: &mut Client, requests: &[Value]) {
    for chunk in requests.chunks(1000) {
        for r in c.pipeline(chunk).await {
            assert_eq!(r["ok"], true, "{r}");
        }
    }
}

/// Redis's own rate of new-key ZADDs on this machine, pipelined 1,000 deep
/// (requests per second), on a Redis of the run's own (it is flushed after).
pub fn redis_zadd_limit(redis: &Redis, requests: usize) -> Option<f64> {
    let out = std::process::Command::new("redis-benchmark")
        .arg("-s")
        .arg(&redis.socket)
        .args([
            "-n",
            &requests.to_string(),
            "-P",
            "1000",
            "-r",
            "100000000",
            "-q",
        ])
        .args(["ZADD", "bench:__rand_int__", "1", "m"])
        .output();
    redis.cli(&["FLUSHALL"]);
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            println!("machine limit: redis-benchmark unavailable ({e})");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.rsplit('\r').next().unwrap_or("").trim().to_owned();
    println!("machine limit, redis-benchmark ZADD to new keys, pipeline 1000: {line}");
    // "ZADD ...: 541711.81 requests per second, p50=..."
    line.split(": ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Registers `n` followers `f0..` of `author` over `conns` connections at
/// once; requests (register + follow) per second.
pub async fn seed_followers(roostd: &Roostd, author: &str, n: usize, conns: usize) -> f64 {
    let started = Instant::now();
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
    let seeded = started.elapsed();
    let rate = (n * 2) as f64 / seeded.as_secs_f64();
    println!(
        "seeded {n} followers (register + follow, pipelined over {conns} connections) in {:.1} s: {rate:.0} requests/s",
        seeded.as_secs_f64()
    );
    rate
}

/// How many of `f0..f{followers}` do not have `id` on top of their home.
async fn homes_missing(c: &mut Client, followers: usize, id: u64) -> usize {
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
    missing
}

/// Three posts by `star` (followed by `f0..`) copied into every home:
/// the fastest time until every home held one, with the homes missing it
/// after. `cpu` reads the Redis servers' busy seconds so far.
async fn fanout(cpu: &dyn Fn() -> f64, roostd: &Roostd, followers: usize, label: &str) -> Duration {
    let mut c = roostd.client().await;
    let last = format!("f{}", followers - 1);
    let mut watcher = roostd.client().await;
    let mut best = Duration::MAX;
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
        best = best.min(done);
        let cpu = cpu() - cpu_before;
        // Every home, checked after the clock stopped.
        let missing = homes_missing(&mut c, followers, id).await;
        println!(
            "fan-out #{round} to {followers} followers ({label}): post answered in {}, every home \
             timeline held it after {:.3} s (Redis busy {:.2} s of it); {missing} homes missing it",
            micros(answered),
            done.as_secs_f64(),
            cpu
        );
    }
    best
}

/// A post by `star`, once past the celebrity threshold of `roostd`: the promotion's time, then `post`'s latency, every home read
/// right after the first one answered. (post median, p99, homes missing it)
async fn celebrity_post(
    roostd: &Roostd,
    redis: &Redis,
    followers: usize,
    posts: usize,
) -> (Duration, Duration, usize) {
    let mut c = roostd.client().await;
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
    let mut missing = 0;
    for round in 0..posts {
        let start = Instant::now();
        let id = c
            .ok(json!({"op": "post", "as": "star", "text": format!("merged #{round}")}))
            .await["id"]
            .as_u64()
            .unwrap();
        times.push(start.elapsed());
        if round == 0 {
            missing = homes_missing(&mut c, followers, id).await;
        }
    }
    times.sort();
    println!(
        "  post by an account with {} followers: median {}, p99 {}; every home read right after \
         the first answered: {missing} of {followers} missing it",
        followers + 1,
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
    (percentile(&times, 0.5), percentile(&times, 0.99), missing)
}

/// `n` reads of a 30-status page one after another (after up to 500 to warm
/// up), sorted.
pub async fn sequential_reads(c: &mut Client, read: &Value, n: usize) -> Vec<Duration> {
    for _ in 0..n.min(500) {
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

/// One Redis command as RESP bytes.
fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend(format!("${}\r\n{a}\r\n", a.len()).into_bytes());
    }
    out
}

/// The length of the one RESP reply at the start of `buf`, if it is all there.
fn resp_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&buf[1..line_end]).ok()?;
    let after = line_end + 2;
    match buf.first()? {
        b'+' | b'-' | b':' => Some(after),
        b'$' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let end = after + n as usize + 2;
            (buf.len() >= end).then_some(end)
        }
        b'*' => {
            let n: i64 = head.parse().ok()?;
            let mut at = after;
            for _ in 0..n.max(0) {
                at += resp_len(&buf[at..])?;
            }
            Some(at)
        }
        _ => None,
    }
}

/// Sends `request` (pre-encoded) and reads back `replies` whole replies;
/// returns their bytes.
async fn resp_round_trip(
    s: &mut tokio::net::UnixStream,
    request: &[u8],
    replies: usize,
) -> Vec<u8> {
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let mut at = 0;
        let mut whole = 0;
        while whole < replies {
            match resp_len(&buf[at..]) {
                Some(n) => {
                    at += n;
                    whole += 1;
                }
                None => break,
            }
        }
        if whole == replies {
            return buf;
        }
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "redis closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The floor of a home page read: the same two round trips straight to
/// Redis as raw bytes (the page's ids, then its 30 status hashes pipelined),
/// pre-encoded, reading back exactly the replies' bytes, no decoding.
async fn raw_page_reads(socket: &Path, home_key: &str, n: usize) -> Vec<Duration> {
    let mut s = tokio::net::UnixStream::connect(socket).await.unwrap();
    let first = resp(&["ZREVRANGE", home_key, "0", "29"]);
    let ids = resp_round_trip(&mut s, &first, 1).await;
    // The members, read once to build the second request.
    let text = String::from_utf8_lossy(&ids);
    let members: Vec<&str> = text
        .split("\r\n")
        .filter(|l| l.contains(':') && !l.starts_with('$') && !l.starts_with('*'))
        .collect();
    let mut second = Vec::new();
    for m in &members {
        let (uid, sid) = m.split_once(':').unwrap();
        second.extend(resp(&["HGETALL", &format!("{{roost:u{uid}}}:s:{sid}")]));
    }
    let second_len = resp_round_trip(&mut s, &second, members.len()).await.len();
    let (first_len, mut buf) = (ids.len(), vec![0u8; ids.len().max(second_len)]);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        s.write_all(&first).await.unwrap();
        s.read_exact(&mut buf[..first_len]).await.unwrap();
        s.write_all(&second).await.unwrap();
        s.read_exact(&mut buf[..second_len]).await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    times
}

/// The home page scenarios: sequential reads, beside the raw-bytes floor;
/// 64 readers at once. (median, p99, floor median, reads per second)
async fn home_reads(
    redis: &Redis,
    roostd: &Roostd,
    sizes: Sizes,
) -> (Duration, Duration, Duration, f64) {
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
    let times = sequential_reads(&mut c, &read, sizes.reads).await;
    println!(
        "home timeline page of 30 over the socket, {} sequential reads: median {}, p99 {}, max {}",
        sizes.reads,
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99)),
        micros(*times.last().unwrap())
    );
    let rate = concurrent_reads(roostd, &read, sizes.concurrent_for).await;
    let reader = c.ok(json!({"op": "user", "login": "reader"})).await["id"]
        .as_u64()
        .unwrap();
    let floor = raw_page_reads(
        &redis.socket,
        &format!("{{roost:u{reader}}}:home"),
        sizes.reads,
    )
    .await;
    println!(
        "  the floor, the same page's two round trips straight to Redis as raw bytes: median {}, p99 {}",
        micros(percentile(&floor, 0.5)),
        micros(percentile(&floor, 0.99))
    );
    (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&floor, 0.5),
        rate,
    )
}

/// Home page reads by 64 clients at once, each on its own connection reading
/// one page after another: reads per second.
async fn concurrent_reads(roostd: &Roostd, read: &Value, period: Duration) -> f64 {
    const CLIENTS: usize = 64;
    let until = Instant::now() + period;
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
    let rate = times.len() as f64 / elapsed;
    println!(
        "  {CLIENTS} clients reading at once for {:.1} s: {rate:.0} reads/s, each read median {}, p99 {}",
        period.as_secs_f64(),
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
    rate
}

/// A home that merges 20 big accounts at read time beside one that merges
/// none, the same size: each follows 50 accounts with 20 statuses each; 20
/// of the first's have `roostd`'s threshold of followers (`big`: so are
/// merged), the second's 20 twins of them have one. (merging median, plain median)
async fn merged_home_reads(
    roostd: &Roostd,
    redis: &Redis,
    namespace: &str,
    sizes: Sizes,
) -> (Duration, Duration) {
    let threshold = sizes.big;
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
        results.push(sequential_reads(&mut c, &read, sizes.reads / 2).await);
    }
    let (plain, merging) = (&results[0], &results[1]);
    println!(
        "home page of 30 merging 20 big accounts at read time, {} sequential reads: median {}, p99 {} \
         (the same page all copied: median {}, p99 {})",
        sizes.reads / 2,
        micros(percentile(merging, 0.5)),
        micros(percentile(merging, 0.99)),
        micros(percentile(plain, 0.5)),
        micros(percentile(plain, 0.99)),
    );
    (percentile(merging, 0.5), percentile(plain, 0.5))
}

/// Registering users one by one, and following a user with 1,000 statuses.
async fn small_ops(roostd: &Roostd) {
    let mut c = roostd.client().await;
    let mut times = Vec::new();
    for i in 0..200 {
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

/// The throughput scenarios: fan-out (copied, on one Redis and a cluster),
/// a celebrity's post, home reads (sequential, concurrent, merging),
/// register + follow; each with its row in `table`.
pub async fn throughput(sizes: Sizes, table: &mut Table) {
    let redis = Redis::start();
    let zadd = redis_zadd_limit(&redis, (sizes.followers * 10).max(10_000));
    // Copies everywhere (no celebrity threshold) to measure fan-out on write.
    let copying = ["--celebrity-threshold", "0"];
    let roostd = Roostd::start(&redis, &copying);
    let (median, p99, floor, rate) = home_reads(&redis, &roostd, sizes).await;
    let ratio = median.as_secs_f64() / floor.as_secs_f64();
    table
        .row(
            "home page of 30 over the socket, sequential",
            format!("median {}, p99 {}", micros(median), micros(p99)),
        )
        .limit(format!(
            "raw-bytes page read straight from Redis: median {}",
            micros(floor)
        ))
        .ratio(format!("{ratio:.1}x"))
        .goal("median ≤ 2x the floor", ratio <= 2.0);
    table
        .row(
            "home page reads, 64 clients at once",
            format!("{rate:.0} reads/s"),
        )
        .goal("≥ 20,000 reads/s", rate >= 20_000.0);
    small_ops(&roostd).await;
    let threshold = sizes.big.to_string();
    let merging = Roostd::start(
        &redis,
        &[
            "--namespace",
            "merging",
            "--celebrity-threshold",
            &threshold,
        ],
    );
    let (merged, plain) = merged_home_reads(&merging, &redis, "merging", sizes).await;
    drop(merging);
    let ratio = merged.as_secs_f64() / plain.as_secs_f64();
    table
        .row(
            "home page of 30 merging 20 big accounts at read time",
            format!("median {}", micros(merged)),
        )
        .limit(format!(
            "the same page all copied: median {}",
            micros(plain)
        ))
        .ratio(format!("{ratio:.2}x"))
        .goal("≤ 1.5x", ratio <= 1.5);

    let mut c = roostd.client().await;
    c.bot("star").await;
    let seeding = seed_followers(&roostd, "star", sizes.followers, 4).await;
    table
        .row(
            "register + follow, pipelined over 4 connections",
            format!("{seeding:.0} requests/s"),
        )
        .goal("≥ 30,000/s", seeding >= 30_000.0);
    let cpu = || busy_seconds(&redis.cli(&["INFO", "cpu"]));
    let best = fanout(&cpu, &roostd, sizes.followers, "one Redis").await;
    let homes_per_s = sizes.followers as f64 / best.as_secs_f64();
    let row = table.row(
        format!(
            "fan-out of one status to {} followers (copied), one Redis",
            sizes.followers
        ),
        format!(
            "{:.3} s until every home held it ({homes_per_s:.0} homes/s)",
            best.as_secs_f64()
        ),
    );
    if let Some(zadd) = zadd {
        let share = homes_per_s / zadd;
        row.limit(format!(
            "redis-benchmark ZADD to new keys, pipeline 1000: {zadd:.0}/s"
        ))
        .ratio(format!("{:.0}%", share * 100.0))
        .goal("≥ 50% of the ZADD rate", share >= 0.5);
    }
    drop(roostd);
    // The same star past the celebrity threshold (the default's, or below
    // it for a small run).
    let threshold = sizes.followers.min(10_000).to_string();
    let roostd = Roostd::start(&redis, &["--celebrity-threshold", &threshold]);
    let posts = 200.min(sizes.reads);
    let (median, p99, missing) = celebrity_post(&roostd, &redis, sizes.followers, posts).await;
    table
        .row(
            format!(
                "post by an account with {} followers (past `--celebrity-threshold {threshold}`)",
                sizes.followers + 1
            ),
            format!(
                "post answers in median {}, p99 {}; {missing} homes missing it right after",
                micros(median),
                micros(p99)
            ),
        )
        .goal("in every home when `post` answers", missing == 0);
    drop(roostd);
    drop(redis);

    let cluster = RedisCluster::start();
    let roostd = Roostd::start_on_cluster(&cluster, &["--celebrity-threshold", "0"]);
    roostd.client().await.bot("star").await;
    seed_followers(&roostd, "star", sizes.followers, 4).await;
    let cpu = || {
        cluster
            .ports
            .iter()
            .map(|&p| busy_seconds(&cluster.cli_on(p, &["INFO", "cpu"])))
            .sum()
    };
    let best = fanout(&cpu, &roostd, sizes.followers, "3-master Redis Cluster").await;
    table.row(
        format!(
            "fan-out to {} followers (copied), 3-master Redis Cluster",
            sizes.followers
        ),
        format!("{:.3} s", best.as_secs_f64()),
    );
}

/// The i-th of a mix of streams, every one matching a post by `poster` with
/// the word "bench" at 52.5, 13.4 (the worst case: every post goes to all).
pub fn matching_stream(i: usize) -> Value {
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
pub fn mixed_stream(i: usize) -> Value {
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
pub fn mixed_post(n: usize) -> Value {
    json!({
        "op": "post",
        "as": format!("poster{}", n % 10),
        "text": format!("bench {n} about topic{}", n % 20),
        "location": {"lat": 10.0, "lon": (n % 36) as f64 * 10.0 - 175.0},
    })
}

/// The n-th post every matching stream matches.
pub fn matching_post(n: usize) -> Value {
    json!({"op": "post", "as": "poster", "text": format!("bench {n}"), "location": {"lat": 52.5, "lon": 13.4}})
}

/// Post-to-event latency over every delivery of `posts` posts (10 ms apart)
/// to `subscribers` subscribers, the i-th subscribed by `subscribe(i)`;
/// every latency, sorted.
pub async fn latency_of(
    roostd: &Roostd,
    label: &str,
    subscribers: usize,
    posts: usize,
    subscribe: &dyn Fn(usize) -> Value,
    post: fn(usize) -> Value,
) -> Vec<Duration> {
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
    let mut sent = Vec::with_capacity(posts);
    for n in 0..posts {
        sent.push(Instant::now());
        c.ok(post(n)).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut all = Vec::with_capacity(subscribers * posts);
    for t in tasks {
        for (n, at) in t.await.unwrap() {
            all.push(at.duration_since(sent[n]));
        }
    }
    all.sort();
    println!(
        "post-to-event latency, {label}: {subscribers} subscribers, {posts} posts 10 ms apart, \
         {} deliveries ({:.0} per post): median {}, p99 {}, max {}",
        all.len(),
        all.len() as f64 / posts as f64,
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99)),
        micros(*all.last().unwrap())
    );
    all
}

/// The flags of a roostd that holds many subscribers.
pub const STREAM_FLAGS: [&str; 6] = [
    "--max-connections",
    "20000",
    "--max-subs-per-account",
    "100000",
    "--workers",
    "1",
];

/// The stream scenarios of the table: post-to-event latency with every
/// subscriber matching every post, and with mixed filters.
pub async fn streams(sizes: Sizes, table: &mut Table) {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &STREAM_FLAGS);
    let subscribe = |i: usize| json!({"op": "subscribe", "stream": mixed_stream(i)});
    let mixed = latency_of(
        &roostd,
        "mixed filters",
        sizes.subscribers,
        sizes.posts,
        &subscribe,
        mixed_post,
    )
    .await;
    drop(roostd);
    let roostd = Roostd::start(&redis, &STREAM_FLAGS);
    let subscribe = |i: usize| json!({"op": "subscribe", "stream": matching_stream(i)});
    let all = latency_of(
        &roostd,
        "every subscriber matching every post",
        sizes.subscribers,
        sizes.posts,
        &subscribe,
        matching_post,
    )
    .await;
    let p99 = percentile(&all, 0.99);
    table
        .row(
            format!(
                "post-to-event, {} subscribers all matching",
                sizes.subscribers
            ),
            format!("median {}, p99 {}", ms(percentile(&all, 0.5)), ms(p99)),
        )
        .goal("p99 < 5 ms", p99 < Duration::from_millis(5));
    table.row(
        format!(
            "post-to-event, {} subscribers, mixed filters",
            sizes.subscribers
        ),
        format!(
            "median {}, p99 {}",
            ms(percentile(&mixed, 0.5)),
            ms(percentile(&mixed, 0.99))
        ),
    );
}

/// roostd's resident memory per idle subscriber (one connection each), in KB.
pub async fn idle_memory(roostd: &Roostd, idle: usize) -> f64 {
    let pid = roostd.pid();
    let mut c = roostd.client().await;
    c.ok(json!({"op": "hello"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    let mut subscribers: Vec<Client> = Vec::with_capacity(idle);
    for i in 0..idle {
        let mut sub = roostd.client().await;
        sub.subscribe(json!({"op": "subscribe", "stream": mixed_stream(i)}))
            .await;
        subscribers.push(sub);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let hello = c.ok(json!({"op": "hello"})).await;
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / idle as f64 / 1000.0;
    println!(
        "roostd resident memory: {before} KiB before, {after} KiB with {} idle subscribers \
         (one connection each): {per:.1} KB per subscriber",
        hello["subscriptions"],
    );
    per
}
