//! Hybrid fan-out: an account with `--celebrity-threshold` followers is merged
//! into its followers' home reads instead of copied into each home, and goes
//! back to copies below half of it. Every home reads the same through every
//! step: paging, the cap, deletes, reposts, mutes, markers, `roostd check`.

use std::time::Duration;

use roost_tests::{Client, Redis, RedisCluster, Roostd, eventually, roostd_check, roostd_check_on};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

/// An account's fan-out mode as stored (`copy` when absent).
fn mode(cli: &dyn Fn(&[&str]) -> String, uid: u64) -> String {
    let mode = cli(&["HGET", &format!("{{roost:u{uid}}}:counts"), "fanout"]);
    match mode.trim() {
        "" => "copy".to_owned(),
        m => m.to_owned(),
    }
}

/// Whether `status` of `author` was copied into `uid`'s home set itself.
fn copied(cli: &dyn Fn(&[&str]) -> String, uid: u64, author: u64, status: u64) -> bool {
    let key = format!("{{roost:u{uid}}}:home");
    !cli(&["ZSCORE", &key, &format!("{author}:{status}")])
        .trim()
        .is_empty()
}

/// No background job (cleanup of deletes, refills, mode changes) is queued.
fn jobs_done(cli: &dyn Fn(&[&str]) -> String) -> bool {
    cli(&["XLEN", "{roost}:jobs"]).trim() == "0"
}

async fn id_of(c: &mut Client, login: &str) -> u64 {
    c.ok(json!({"op": "user", "login": login})).await["id"]
        .as_u64()
        .unwrap()
}

async fn post(c: &mut Client, login: &str, text: &str) -> u64 {
    c.ok(json!({"op": "post", "as": login, "text": text})).await["id"]
        .as_u64()
        .unwrap()
}

fn ids(statuses: &Value) -> Vec<u64> {
    statuses["statuses"]
        .as_array()
        .unwrap_or_else(|| panic!("{statuses}"))
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_celebrity_is_merged_into_home_reads_and_back_with_every_home_whole() {
    let redis = Redis::start();
    // Each pass of a promotion or demotion pauses before its last step, so
    // the test reads the homes in the middle of both.
    let roostd = Roostd::start_with(
        vec![
            "--redis".into(),
            redis.url(),
            "--celebrity-threshold".into(),
            "6".into(),
        ],
        vec![("ROOST_PAUSE_AT".into(), "fanout_mode.pass:4000".into())],
    );
    let cli = |args: &[&str]| redis.cli(args);
    let mut c = roostd.client().await;
    c.bot("star").await;
    c.bot("pal").await;
    let star = id_of(&mut c, "star").await;
    let fans: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
    let mut fan_ids = Vec::new();
    for fan in &fans {
        c.bot(fan).await;
        fan_ids.push(id_of(&mut c, fan).await);
    }
    for fan in &fans[..5] {
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    let s1 = post(&mut c, "star", "one").await;
    assert!(
        copied(&cli, fan_ids[0], star, s1),
        "below the threshold, copies"
    );

    // The sixth follower: the promotion starts; mid-way (the pause), posts are
    // still copied and every home also merges star: each status shows once.
    c.ok(json!({"op": "follow", "as": fans[5], "login": "star"}))
        .await;
    assert!(
        eventually!(WAIT, mode(&cli, star) == "promoting"),
        "no promotion began"
    );
    let s2 = post(&mut c, "star", "two").await;
    for (fan, &fid) in fans[..6].iter().zip(&fan_ids) {
        assert!(copied(&cli, fid, star, s2), "promoting still copies");
        assert_eq!(c.home_ids(fan, 30).await, [s2, s1], "{fan} mid-promotion");
    }
    assert!(eventually!(WAIT, mode(&cli, star) == "merge"));

    // Merged: a post is in every home as soon as `post` answers, copied nowhere.
    let s3 = post(&mut c, "star", "three").await;
    for (fan, &fid) in fans[..6].iter().zip(&fan_ids) {
        assert!(!copied(&cli, fid, star, s3), "merged posts are not copied");
        assert_eq!(c.home_ids(fan, 30).await, [s3, s2, s1], "{fan}");
    }
    // A new follower merges at once, without copies.
    c.ok(json!({"op": "follow", "as": fans[6], "login": "star"}))
        .await;
    assert_eq!(c.home_ids(&fans[6], 30).await, [s3, s2, s1]);
    assert!(!copied(&cli, fan_ids[6], star, s1));
    // Paging over the merged home: by page, before an id, the count.
    let page = |page: u32, before: Option<u64>| {
        let mut r = json!({"op": "timeline", "kind": "home", "as": "f0", "count": 2, "page": page});
        if let Some(before) = before {
            r["before"] = json!(before);
        }
        r
    };
    assert_eq!(ids(&c.ok(page(1, None)).await), [s3, s2]);
    assert_eq!(ids(&c.ok(page(2, None)).await), [s1]);
    assert_eq!(ids(&c.ok(page(1, Some(s3))).await), [s2, s1]);
    // The marker counts merged statuses too.
    let marker = c.ok(json!({"op": "marker", "as": "f0"})).await;
    assert_eq!(marker["unread"], 3, "{marker}");
    let marker = c.ok(json!({"op": "marker", "as": "f0", "home": s1})).await;
    assert_eq!(marker["unread"], 2, "{marker}");

    // The repost rule: f0 follows pal and holds pal's status; star's repost
    // of it is not shown to f0 again, but reaches f1, who doesn't follow pal.
    c.ok(json!({"op": "follow", "as": "f0", "login": "pal"}))
        .await;
    let p1 = post(&mut c, "pal", "pal's").await;
    let r1 = c
        .ok(json!({"op": "repost", "as": "star", "status": p1}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(c.home_ids("f0", 30).await, [p1, s3, s2, s1]);
    assert_eq!(c.home_ids("f1", 30).await, [r1, s3, s2, s1]);
    // Deletes leave every merged home at once; mutes hide a merged account.
    c.ok(json!({"op": "delete", "as": "star", "status": r1}))
        .await;
    c.ok(json!({"op": "delete", "as": "star", "status": s3}))
        .await;
    assert_eq!(c.home_ids("f1", 30).await, [s2, s1]);
    c.ok(json!({"op": "mute", "as": "f2", "login": "star"}))
        .await;
    assert_eq!(c.home_ids("f2", 30).await, Vec::<u64>::new());
    c.ok(json!({"op": "unmute", "as": "f2", "login": "star"}))
        .await;
    // The importance order ranks the merged home.
    let ranked = c
        .ok(json!({"op": "timeline", "kind": "home", "as": "f1", "order": "importance"}))
        .await;
    assert_eq!(ids(&ranked), [s2, s1]);
    assert!(eventually!(WAIT, jobs_done(&cli)), "jobs left queued");
    // A refill after an unfollow copies what the home does not merge only:
    // a merged status stays out of the home set, and shows.
    let s3b = post(&mut c, "star", "three and a half").await;
    c.ok(json!({"op": "unfollow", "as": "f0", "login": "pal"}))
        .await;
    assert!(eventually!(WAIT, jobs_done(&cli)), "the refill ran");
    assert!(
        !copied(&cli, fan_ids[0], star, s3b),
        "the refill copied a merged status"
    );
    assert_eq!(c.home_ids("f0", 30).await, [s3b, s2, s1]);
    c.ok(json!({"op": "delete", "as": "star", "status": s3b}))
        .await;
    c.ok(json!({"op": "follow", "as": "f0", "login": "pal"}))
        .await;
    assert!(eventually!(WAIT, jobs_done(&cli)), "jobs left queued");
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");

    // Below half the threshold (3 followers of 7 leave, 4 = 2 more): the
    // demotion copies star's statuses home before each home stops merging.
    for fan in &fans[2..] {
        c.ok(json!({"op": "unfollow", "as": fan, "login": "star"}))
            .await;
    }
    assert!(
        eventually!(WAIT, mode(&cli, star) == "demoting"),
        "no demotion began"
    );
    let s4 = post(&mut c, "star", "four").await;
    // (f0 follows pal too.)
    assert_eq!(c.home_ids("f0", 30).await, [s4, p1, s2, s1]);
    assert_eq!(c.home_ids("f1", 30).await, [s4, s2, s1]);
    assert!(eventually!(WAIT, mode(&cli, star) == "copy"));
    let s5 = post(&mut c, "star", "five").await;
    for (fan, &fid) in fans[..2].iter().zip(&fan_ids) {
        for s in [s5, s4, s2, s1] {
            assert!(copied(&cli, fid, star, s), "{fan} has a copy of {s}");
        }
        let merged = cli(&["ZCARD", &format!("{{roost:u{fid}}}:merged")]);
        assert_eq!(merged.trim(), "0", "{fan} merges nobody");
    }
    assert_eq!(c.home_ids("f1", 30).await, [s5, s4, s2, s1]);
    assert_eq!(c.home_ids("f0", 30).await, [s5, s4, p1, s2, s1]);
    // Those who left see none of it.
    assert!(c.home_ids("f6", 30).await.is_empty());
    assert!(eventually!(WAIT, jobs_done(&cli)), "jobs left queued");
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
}

/// Followers come and go across the threshold in both directions while
/// star posts and the mode changes run in the background: after every
/// step, every follower's home holds each of star's statuses exactly once,
/// and everyone else's none. (The fan-out batch covers every follower, so a
/// copied post is in every home when `post` answers too.)
async fn crossings(c: &mut Client, cli: &dyn Fn(&[&str]) -> String) {
    c.bot("star").await;
    let star = id_of(c, "star").await;
    let fans: Vec<String> = (0..6).map(|i| format!("x{i}")).collect();
    for fan in &fans {
        c.bot(fan).await;
    }
    let mut following = vec![false; fans.len()];
    let mut posted: Vec<u64> = Vec::new();
    let mut modes = std::collections::BTreeSet::new();
    // Up to all six (promoted at 4), down to one (demoted below 2), twice.
    let plan: Vec<usize> = [0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1]
        .into_iter()
        .cycle()
        .take(22)
        .collect();
    for (step, &fan) in plan.iter().enumerate() {
        let op = if following[fan] { "unfollow" } else { "follow" };
        c.ok(json!({"op": op, "as": fans[fan], "login": "star"}))
            .await;
        following[fan] = !following[fan];
        posted.insert(0, post(c, "star", &format!("step {step}")).await);
        modes.insert(mode(cli, star));
        let requests: Vec<Value> = fans
            .iter()
            .map(|f| json!({"op": "timeline", "kind": "home", "as": f, "count": 200}))
            .collect();
        for ((fan, follows), home) in fans.iter().zip(&following).zip(c.pipeline(&requests).await) {
            let home = ids(&home["result"]);
            let expected = if *follows { posted.clone() } else { Vec::new() };
            assert_eq!(home, expected, "step {step}: {fan} (following: {follows})");
        }
    }
    assert!(
        modes.contains("merge") && modes.contains("copy"),
        "the plan crossed both ways: {modes:?}"
    );
}

#[tokio::test]
async fn crossing_the_threshold_both_ways_never_loses_or_doubles_a_status() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--celebrity-threshold", "4"]);
    let mut c = roostd.client().await;
    let cli = |args: &[&str]| redis.cli(args);
    crossings(&mut c, &cli).await;
    assert!(eventually!(WAIT, jobs_done(&cli)), "jobs left queued");
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
}

#[tokio::test]
async fn crossing_the_threshold_on_a_cluster() {
    let cluster = RedisCluster::start();
    let roostd = Roostd::start_on_cluster(&cluster, &["--celebrity-threshold", "4"]);
    let mut c = roostd.client().await;
    crossings(&mut c, &|args| cluster.cli(args)).await;
    assert!(
        eventually!(WAIT, jobs_done(&|args| cluster.cli(args))),
        "jobs left queued"
    );
    let (clean, report) = roostd_check_on(&["--redis-cluster".into(), cluster.seeds()], false);
    assert!(clean, "{report}");
}

/// `roostd check` finds a follower of a merged account whose home does not
/// merge it (that home misses the account's posts), and `--repair` mends it.
#[tokio::test]
async fn check_finds_and_mends_a_home_that_stopped_merging_a_celebrity() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--celebrity-threshold", "2"]);
    let cli = |args: &[&str]| redis.cli(args);
    let mut c = roostd.client().await;
    c.bot("star").await;
    let star = id_of(&mut c, "star").await;
    for fan in ["f0", "f1"] {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    assert!(eventually!(WAIT, mode(&cli, star) == "merge"));
    let s1 = post(&mut c, "star", "merged").await;
    let f0 = id_of(&mut c, "f0").await;
    cli(&[
        "ZREM",
        &format!("{{roost:u{f0}}}:merged"),
        &star.to_string(),
    ]);
    assert!(
        c.home_ids("f0", 30).await.is_empty(),
        "f0 no longer merges star"
    );
    let (clean, report) = roostd_check(&redis, false);
    assert!(!clean, "{report}");
    assert!(
        report.contains("merged account missing from a follower's merged set: 1"),
        "{report}"
    );
    let (_, report) = roostd_check(&redis, true);
    assert!(report.contains("merged account missing"), "{report}");
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
    assert_eq!(c.home_ids("f0", 30).await, [s1]);
}
