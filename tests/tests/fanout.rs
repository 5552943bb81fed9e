//! Fan-out past the first batch through the durable job queue: equal follow
//! times, delete cleanup, a roostd killed mid-way, and a job taken over from a
//! roostd that never comes back.

use std::time::Duration;

use roost_tests::{Client, Redis, Roostd, eventually, roostd_check};
use serde_json::json;

use crate::setup;

const WAIT: Duration = Duration::from_secs(60);

/// Registers `author` and `n` followers `f0..`, followed in order; returns the logins.
async fn audience(c: &mut Client, author: &str, n: usize) -> Vec<String> {
    c.bot(author).await;
    let fans: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let mut requests = Vec::new();
    for fan in &fans {
        requests.push(json!({"op": "register", "login": fan, "bot": true}));
        requests.push(json!({"op": "follow", "as": fan, "login": author}));
    }
    for r in c.pipeline(&requests).await {
        assert_eq!(r["ok"], true, "{r}");
    }
    fans
}

/// Which of `logins` have `status` on top of their home timeline (pipelined).
async fn holders(c: &mut Client, logins: &[String], status: u64) -> Vec<bool> {
    let requests: Vec<_> = logins
        .iter()
        .map(|login| json!({"op": "timeline", "kind": "home", "as": login, "count": 5}))
        .collect();
    let responses = c.pipeline(&requests).await;
    responses
        .iter()
        .map(|r| {
            let statuses = r["result"]["statuses"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}"));
            statuses.iter().any(|s| s["id"].as_u64() == Some(status))
        })
        .collect()
}

async fn all_hold(c: &mut Client, logins: &[String], status: u64) -> bool {
    holders(c, logins, status).await.iter().all(|h| *h)
}

fn jobs_len(redis: &Redis) -> u64 {
    redis.cli(&["XLEN", "{roost}:jobs"]).trim().parse().unwrap()
}

#[tokio::test]
async fn fanout_past_the_first_batch_reaches_every_follower() {
    let (redis, _roostd, mut c) = setup(&["--fanout-batch", "3"]).await;
    let fans = audience(&mut c, "star", 20).await;
    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "to all"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let first = holders(&mut c, &fans[..3], status).await;
    assert_eq!(
        first, [true; 3],
        "the first batch is written before post answers"
    );
    assert!(
        eventually!(WAIT, all_hold(&mut c, &fans, status).await),
        "deferred fan-out incomplete"
    );
    assert!(eventually!(WAIT, jobs_len(&redis) == 0), "jobs left queued");
}

#[tokio::test]
async fn followers_who_followed_in_the_same_millisecond_all_get_the_status() {
    let (redis, _roostd, mut c) = setup(&["--fanout-batch", "100"]).await;
    let fans = audience(&mut c, "star", 1000).await;
    let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
        .as_u64()
        .unwrap();
    // Every follow at one instant: more followers share a score than fit a page.
    let key = format!("{{roost:u{star}}}:followers");
    let members = redis.cli_lines(&["ZRANGE", &key, "0", "-1"]);
    assert_eq!(members.len(), 1000);
    let mut args = vec!["ZADD".to_owned(), key.clone(), "XX".to_owned()];
    for m in &members {
        args.push("1795729746123".to_owned());
        args.push(m.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(redis.cli(&args).trim(), "0");
    assert_eq!(
        redis
            .cli(&["ZCOUNT", &key, "1795729746123", "1795729746123"])
            .trim(),
        "1000"
    );

    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "same ms"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(
        eventually!(WAIT, all_hold(&mut c, &fans, status).await),
        "some followers missed it"
    );
    assert!(
        eventually!(WAIT, jobs_len(&redis) == 0),
        "the fan-out did not end"
    );
}

#[tokio::test]
async fn delete_cleans_every_home_timeline() {
    let (redis, _roostd, mut c) = setup(&["--fanout-batch", "3"]).await;
    let fans = audience(&mut c, "star", 20).await;
    let keep = c
        .ok(json!({"op": "post", "as": "star", "text": "keep"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let gone = c
        .ok(json!({"op": "post", "as": "star", "text": "gone"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(eventually!(WAIT, all_hold(&mut c, &fans, gone).await));
    c.ok(json!({"op": "delete", "as": "star", "status": gone}))
        .await;
    assert!(
        holders(&mut c, &fans, gone).await.iter().all(|h| !h),
        "a read showed a deleted status"
    );
    assert!(all_hold(&mut c, &fans, keep).await);
    let dangling = || {
        let homes = redis.cli_lines(&["--scan", "--pattern", "*:home"]);
        homes.iter().any(|home| {
            redis
                .cli_lines(&["ZRANGE", home, "0", "-1"])
                .iter()
                .any(|m| m.ends_with(&format!(":{gone}")))
        })
    };
    assert!(
        eventually!(WAIT, !dangling()),
        "a deleted id was left in a home timeline"
    );
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    // Its author entry is a 0 tombstone: nothing can publish it again.
    assert_eq!(
        redis
            .cli(&["HGET", "{roost}:status_author", &gone.to_string()])
            .trim(),
        "0"
    );
}

/// How many home timelines in Redis hold `member`, read from Redis itself so
/// no roostd (and no job it runs) is needed to look.
fn homes_holding(redis: &Redis, member: &str) -> usize {
    let homes = redis.cli_lines(&["--scan", "--pattern", "{roost:u*}:home"]);
    let script = "local n = 0 for i = 1, #KEYS do if redis.call('ZSCORE', KEYS[i], ARGV[1]) then n = n + 1 end end return n";
    let mut args = vec![
        "EVAL".to_owned(),
        script.to_owned(),
        homes.len().to_string(),
    ];
    args.extend(homes);
    args.push(member.to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    redis.cli(&args).trim().parse().unwrap()
}

/// Starts a paced fan-out to 600 followers and SIGKILLs roostd once the
/// deferred passes have started but not finished. Returns the redis, the killed
/// roostd, a client-less view of the followers and the status's member.
async fn kill_midway() -> (Redis, Roostd, Vec<String>, u64, String) {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &["--fanout-batch", "20", "--fanout-pace-ms", "100"]);
    let mut c = roostd.client().await;
    let fans = audience(&mut c, "star", 600).await;
    let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
        .as_u64()
        .unwrap();
    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "survives"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let member = format!("{star}:{status}");
    // The author's own home holds it too: 1 + 20 inline before post answered.
    let started = eventually!(WAIT, homes_holding(&redis, &member) > 21);
    assert!(started, "the deferred fan-out never started");
    roostd.kill9();
    let had = homes_holding(&redis, &member);
    assert!(
        had > 21 && had < 601,
        "killed mid-way: {had} of 601 homes had it"
    );
    (redis, roostd, fans, status, member)
}

#[tokio::test]
async fn a_killed_roostd_finishes_the_fanout_after_restart() {
    let (redis, mut roostd, fans, status, member) = kill_midway().await;
    roostd.restart();
    assert!(
        eventually!(WAIT, homes_holding(&redis, &member) == 601),
        "fan-out lost by the kill"
    );
    let mut c = roostd.client().await;
    assert!(all_hold(&mut c, &fans, status).await);
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
}

#[tokio::test]
async fn another_roostd_takes_over_the_job_of_one_that_never_returns() {
    let (redis, _dead, fans, status, member) = kill_midway().await;
    let other = Roostd::start(
        &redis,
        &["--fanout-batch", "20", "--job-claim-idle-ms", "300"],
    );
    assert!(
        eventually!(WAIT, homes_holding(&redis, &member) == 601),
        "the job was not taken over"
    );
    let mut c = other.client().await;
    assert!(all_hold(&mut c, &fans, status).await);
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
}

#[tokio::test]
async fn a_follower_who_unfollowed_while_the_fanout_ran_does_not_get_the_status() {
    let (redis, _roostd, mut c) = setup(&["--fanout-batch", "2"]).await;
    let fans = audience(&mut c, "star", 6).await;
    let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
        .as_u64()
        .unwrap();
    let gone = c.ok(json!({"op": "user", "login": &fans[4]})).await["id"]
        .as_u64()
        .unwrap();
    // The follower's side of an unfollow done, the followers page already read:
    // what a fan-out pass racing that unfollow sees.
    let following = format!("{{roost:u{gone}}}:following");
    assert_eq!(
        redis.cli(&["ZREM", &following, &star.to_string()]).trim(),
        "1"
    );
    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "not for leavers"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    let held = holders(&mut c, &fans, status).await;
    assert_eq!(held, [true, true, true, true, false, true]);
}

#[tokio::test]
async fn fanout_survives_redis_forgetting_its_scripts() {
    let (redis, _roostd, mut c) = setup(&["--fanout-batch", "2"]).await;
    let fans = audience(&mut c, "star", 7).await;
    c.ok(json!({"op": "post", "as": "star", "text": "warm up"}))
        .await;
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    assert_eq!(redis.cli(&["SCRIPT", "FLUSH"]).trim(), "OK");
    let status = c
        .ok(json!({"op": "post", "as": "star", "text": "after a flush"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(eventually!(WAIT, all_hold(&mut c, &fans, status).await));
}

/// Issue 8, finding 11: a job whose pass keeps failing (a follower's home is
/// broken) neither blocks its worker nor runs forever: other jobs go through
/// meanwhile, and after `--job-attempts` it is parked.
#[tokio::test]
async fn a_job_that_keeps_failing_is_parked_and_blocks_nothing() {
    let (redis, _roostd, mut c) = setup(&[
        "--workers",
        "1",
        "--fanout-batch",
        "2",
        "--job-attempts",
        "3",
        "--job-retry-ms",
        "300",
    ])
    .await;
    let stars = audience(&mut c, "star", 4).await;
    // The last follower's home is not a timeline: the job's second pass fails.
    let broken = c.ok(json!({"op": "user", "login": &stars[3]})).await["id"]
        .as_u64()
        .unwrap();
    redis.cli(&[
        "SET",
        &format!("{{roost:u{broken}}}:home"),
        "not a timeline",
    ]);
    c.ok(json!({"op": "post", "as": "star", "text": "meets a broken home"}))
        .await;
    // Another author's fan-out goes through while that job waits to retry.
    c.bot("other").await;
    let readers: Vec<String> = (0..4).map(|i| format!("g{i}")).collect();
    for reader in &readers {
        c.bot(reader).await;
        c.ok(json!({"op": "follow", "as": reader, "login": "other"}))
            .await;
    }
    let status = c
        .ok(json!({"op": "post", "as": "other", "text": "not held up"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(
        eventually!(
            Duration::from_secs(5),
            all_hold(&mut c, &readers, status).await
        ),
        "a failing job held up the worker"
    );
    let parked = || redis.cli(&["XLEN", "{roost}:parked"]).trim().to_owned();
    assert!(eventually!(WAIT, parked() == "1"), "not parked");
    assert!(eventually!(WAIT, jobs_len(&redis) == 0));
    let entry = redis.cli_lines(&["XRANGE", "{roost}:parked", "-", "+"]);
    assert!(entry.iter().any(|l| l.contains("WRONGTYPE")), "{entry:?}");
    assert!(entry.iter().any(|l| l == "fanout"), "{entry:?}");
}
