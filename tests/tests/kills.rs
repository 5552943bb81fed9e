//! Kill loops (issue 8): roostd SIGKILLed at random moments, again and again,
//! during a post to many followers, a delete from many homes, and a home
//! refill; restarted each time. Afterwards every timeline holds exactly what
//! the protocol says and `roostd check` finds nothing.
//!
//! The suite runs a short seeded version. The long one:
//!
//! ```text
//! ROOST_KILLS=10 ROOST_KILL_FOLLOWERS=20000 ROOST_KILL_SEED=$RANDOM \
//!     cargo test --release -p roost-tests --test e2e kills -- --nocapture --test-threads 1
//! ```

use std::time::Duration;

use roost_tests::{Client, Redis, Roostd, eventually, roostd_check};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(120);
const FLAGS: [&str; 4] = ["--fanout-batch", "200", "--job-claim-idle-ms", "500"];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small seeded random source (xorshift), so a failing run can be repeated.
struct Dice(u64);

impl Dice {
    fn new() -> Dice {
        let seed = env_or("ROOST_KILL_SEED", 7);
        eprintln!("kill loop seed {seed} (ROOST_KILL_SEED)");
        Dice(seed.max(1))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Kills roostd `kills` times at random moments (up to `window_ms` after each
/// start), restarting it each time.
async fn kill_loop(roostd: &mut Roostd, dice: &mut Dice, kills: u64, window_ms: u64) {
    for round in 0..kills {
        let wait = dice.below(window_ms);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        roostd.kill9();
        eprintln!("kill {} of {kills} after {wait} ms", round + 1);
        roostd.restart();
    }
}

/// Sends `request` on a connection of its own and kills roostd at random
/// moments meanwhile; returns a client of the roostd running after.
async fn interrupted(roostd: &mut Roostd, dice: &mut Dice, kills: u64, request: &Value) -> Client {
    let mut sender = roostd.client().await;
    sender.send(request).await;
    kill_loop(roostd, dice, kills, 150).await;
    drop(sender);
    roostd.client().await
}

/// Asks again for a change a kill may have cut off before its first step:
/// it is done now, or was done already (`not_found`).
async fn ask_again(c: &mut Client, request: &Value) {
    let again = c.call(request.clone()).await;
    assert!(
        again["ok"] == true || again["error"]["code"] == "not_found",
        "{again}"
    );
}

/// `star` and `n` followers `f0..`, registered and following in pipelines.
async fn audience(c: &mut Client, n: u64) -> Vec<String> {
    c.bot("star").await;
    let fans: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    for chunk in fans.chunks(1000) {
        let mut requests = Vec::new();
        for fan in chunk {
            requests.push(json!({"op": "register", "login": fan, "bot": true}));
            requests.push(json!({"op": "follow", "as": fan, "login": "star"}));
        }
        for r in c.pipeline(&requests).await {
            assert_eq!(r["ok"], true, "{r}");
        }
    }
    fans
}

/// How many of `logins` have `sid` in their home timeline.
async fn holders(c: &mut Client, logins: &[String], sid: u64) -> usize {
    let mut n = 0;
    for chunk in logins.chunks(1000) {
        let requests: Vec<Value> = chunk
            .iter()
            .map(|l| json!({"op": "timeline", "kind": "home", "as": l, "count": 5}))
            .collect();
        for r in c.pipeline(&requests).await {
            let statuses = r["result"]["statuses"].as_array().expect("statuses");
            n += statuses
                .iter()
                .filter(|s| s["id"].as_u64() == Some(sid))
                .count();
        }
    }
    n
}

fn quiet(redis: &Redis) -> bool {
    let jobs = redis.cli(&["XLEN", "{roost}:jobs"]);
    let pending = redis.cli(&["ZCARD", "{roost}:pending_posts"]);
    jobs.trim() == "0" && pending.trim() == "0"
}

async fn settled(redis: &Redis) {
    assert!(
        eventually!(WAIT, quiet(redis)),
        "jobs or posts left unfinished"
    );
    let clean = eventually!(WAIT, roostd_check(redis, false).0);
    assert!(clean, "{}", roostd_check(redis, false).1);
}

/// The kills to make, the dice, a Redis, a roostd and a client, and `star`
/// with `ROOST_KILL_FOLLOWERS` followers.
async fn star_with_followers() -> (u64, Dice, Redis, Roostd, Client, Vec<String>) {
    let (kills, followers) = (
        env_or("ROOST_KILLS", 3),
        env_or("ROOST_KILL_FOLLOWERS", 1000),
    );
    let dice = Dice::new();
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &FLAGS);
    let mut c = roostd.client().await;
    let fans = audience(&mut c, followers).await;
    (kills, dice, redis, roostd, c, fans)
}

#[tokio::test]
async fn killed_again_and_again_during_a_big_post() {
    let (kills, mut dice, redis, mut roostd, _, fans) = star_with_followers().await;
    // The post itself may be cut off: then it is finished exactly once, or
    // leaves no trace.
    let post = json!({"op": "post", "as": "star", "text": "through the storm"});
    let mut c = interrupted(&mut roostd, &mut dice, kills, &post).await;
    settled(&redis).await;
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "star"}))
        .await;
    let statuses = profile["statuses"].as_array().unwrap();
    let sid = redis
        .cli(&["GET", "{roost}:next_status"])
        .trim()
        .parse()
        .unwrap();
    let expected = if statuses.is_empty() { 0 } else { fans.len() };
    assert!(statuses.len() <= 1, "{profile}");
    assert_eq!(holders(&mut c, &fans, sid).await, expected);
    eprintln!("post: {} of {} homes hold it", expected, fans.len());
}

#[tokio::test]
async fn killed_again_and_again_during_a_big_delete() {
    let (kills, mut dice, redis, mut roostd, mut c, fans) = star_with_followers().await;
    let sid = c
        .ok(json!({"op": "post", "as": "star", "text": "soon gone"}))
        .await["id"]
        .as_u64()
        .unwrap();
    settled(&redis).await;
    assert_eq!(holders(&mut c, &fans, sid).await, fans.len());
    let delete = json!({"op": "delete", "as": "star", "status": sid});
    let mut c = interrupted(&mut roostd, &mut dice, kills, &delete).await;
    ask_again(&mut c, &delete).await;
    settled(&redis).await;
    assert_eq!(holders(&mut c, &fans, sid).await, 0, "a home kept it");
    let star = c.ok(json!({"op": "user", "login": "star"})).await;
    assert_eq!(star["posts"], 0);
}

#[tokio::test]
async fn killed_again_and_again_during_a_refill() {
    let kills = env_or("ROOST_KILLS", 3);
    let stars = (env_or("ROOST_KILL_FOLLOWERS", 1000) / 10).max(60) as usize;
    let mut dice = Dice::new();
    let redis = Redis::start();
    let mut flags = FLAGS.to_vec();
    flags.extend(["--timeline-cap", "50"]);
    let mut roostd = Roostd::start(&redis, &flags);
    let mut c = roostd.client().await;
    c.bot("reader").await;
    let logins: Vec<String> = (0..stars).map(|i| format!("s{i:05}")).collect();
    for chunk in logins.chunks(500) {
        let mut requests = Vec::new();
        for login in chunk {
            requests.push(json!({"op": "register", "login": login, "bot": true}));
            requests.push(json!({"op": "post", "as": login, "text": "from a star"}));
            requests.push(json!({"op": "follow", "as": "reader", "login": login}));
        }
        for r in c.pipeline(&requests).await {
            assert_eq!(r["ok"], true, "{r}");
        }
    }
    // The newest star goes: the refill brings in the next older one.
    let gone = logins[stars - 1].clone();
    let unfollow = json!({"op": "unfollow", "as": "reader", "login": gone});
    let mut c = interrupted(&mut roostd, &mut dice, kills, &unfollow).await;
    ask_again(&mut c, &unfollow).await;
    settled(&redis).await;
    // Home: the 50 newest statuses of the stars still followed.
    let mut home: Vec<String> = Vec::new();
    let mut before: Option<u64> = None;
    loop {
        let page = c
            .ok(json!({"op": "timeline", "kind": "home", "as": "reader", "count": 200, "before": before}))
            .await;
        let statuses = page["statuses"].as_array().unwrap().clone();
        let Some(last) = statuses.last() else { break };
        before = last["id"].as_u64();
        home.extend(
            statuses
                .iter()
                .map(|s| s["login"].as_str().unwrap().to_owned()),
        );
    }
    home.sort();
    let mut expected: Vec<String> = logins[stars - 51..stars - 1].to_vec();
    expected.sort();
    assert_eq!(home, expected, "the refilled home");
}
