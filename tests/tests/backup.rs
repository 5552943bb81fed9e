//! Backups and moves (issue 12): `roostd export` from a live daemon, `roostd
//! import` into an empty namespace, on one Redis and on a Redis Cluster; the
//! network answers every op the same before and after.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use roost_tests::{Client, Redis, RedisCluster, Roostd, eventually, roostd_bin, roostd_check};
use serde_json::{Value, json};

const USERS: usize = 2000;

/// A small deterministic random sequence (no dependency for one test).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn login(i: usize) -> String {
    format!("u{i}")
}

async fn pipeline_ok(c: &mut Client, requests: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in requests.chunks(1000) {
        for r in c.pipeline(chunk).await {
            assert_eq!(r["ok"], true, "{r}");
            out.push(r["result"].clone());
        }
    }
    out
}

/// Sends `requests` over eight connections at once (each in order); returns
/// the responses in the order of `requests`.
async fn spread(roostd: &Roostd, requests: Vec<Value>) -> Vec<Value> {
    const CONNS: usize = 8;
    let mut tasks = Vec::new();
    for part in 0..CONNS {
        let mine: Vec<Value> = requests.iter().skip(part).step_by(CONNS).cloned().collect();
        let mut c = roostd.client().await;
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for chunk in mine.chunks(500) {
                out.extend(c.pipeline(chunk).await);
            }
            out
        }));
    }
    let mut parts = Vec::new();
    for t in tasks {
        parts.push(t.await.unwrap());
    }
    (0..requests.len())
        .map(|i| parts[i % CONNS][i / CONNS].clone())
        .collect()
}

/// Thousands of users, follows, statuses with mentions and tags, replies,
/// reposts, likes, deletes and read markers, all made through the protocol.
/// Returns the status ids that still exist.
async fn network(roostd: &Roostd, c: &mut Client) -> Vec<u64> {
    let mut dice = Dice(9);
    let users: Vec<Value> = (0..USERS)
        .map(|i| json!({"op": "register", "login": login(i), "bot": true}))
        .collect();
    pipeline_ok(c, &users).await;
    let started = std::time::Instant::now();
    let mut follows = Vec::new();
    for i in 0..USERS {
        let mut whom = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let j = dice.roll(USERS);
            if j != i && whom.insert(j) {
                follows.push(json!({"op": "follow", "as": login(i), "login": login(j)}));
            }
        }
    }
    for r in spread(roostd, follows).await {
        assert_eq!(r["ok"], true, "{r}");
    }
    println!("users and follows in {:?}", started.elapsed());
    let posts: Vec<Value> = (0..1500)
        .map(|n| {
            let (who, whom) = (dice.roll(USERS), dice.roll(USERS));
            json!({"op": "post", "as": login(who),
                   "text": format!("status {n} for @{} about #t{}", login(whom), n % 7)})
        })
        .collect();
    let mut ids: Vec<u64> = pipeline_ok(c, &posts)
        .await
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    println!("posts in {:?}", started.elapsed());
    let mut acts = Vec::new();
    for n in 0..300 {
        let to = ids[dice.roll(ids.len())];
        acts.push(json!({"op": "post", "as": login(dice.roll(USERS)), "text": format!("reply {n} #re"), "reply_to": to}));
    }
    for r in pipeline_ok(c, &acts).await {
        ids.push(r["id"].as_u64().unwrap());
    }
    let mut acts = Vec::new();
    for _ in 0..150 {
        acts.push(json!({"op": "repost", "as": login(dice.roll(USERS)), "status": ids[dice.roll(ids.len())]}));
    }
    for _ in 0..1200 {
        acts.push(json!({"op": "like", "as": login(dice.roll(USERS)), "status": ids[dice.roll(ids.len())]}));
    }
    // Conflicts (a second like or repost) are fine here.
    spread(roostd, acts).await;
    println!("replies, reposts, likes in {:?}", started.elapsed());
    let mut gone = std::collections::HashSet::new();
    for _ in 0..60 {
        let sid = ids[dice.roll(ids.len())];
        if gone.insert(sid) {
            // (A repost is gone already when its original went.)
            let thread = c
                .call(json!({"op": "thread", "as": login(0), "status": sid}))
                .await;
            if let Some(author) = thread["result"]["status"]["login"].as_str() {
                c.call(json!({"op": "delete", "as": author, "status": sid}))
                    .await;
            }
        }
    }
    // Blocks, mutes, private accounts and their requests.
    let mut privacy = Vec::new();
    for i in 0..20 {
        privacy.push(json!({"op": "block", "as": login(i + 1), "login": login(i)}));
        privacy.push(json!({"op": "mute", "as": login(i + 101), "login": login(i + 100)}));
    }
    for i in 300..306 {
        privacy.push(json!({"op": "set_profile", "as": login(i), "private": true}));
        privacy.push(json!({"op": "follow", "as": login(i + 10), "login": login(i)}));
    }
    for i in 400..410 {
        privacy.push(
            json!({"op": "dm", "as": login(i), "to": [login(i + 1)], "text": format!("dm {i}")}),
        );
        privacy.push(json!({"op": "dm", "as": login(i + 1), "to": [login(i), login(i + 2)], "text": "group"}));
    }
    for r in c.pipeline(&privacy).await {
        // A follow of an account followed already is a conflict: fine here.
        assert!(r["ok"] == true || r["error"]["code"] == "conflict", "{r}");
    }
    let markers: Vec<Value> = (0..USERS)
        .step_by(7)
        .map(|i| json!({"op": "marker", "as": login(i), "home": ids[i % ids.len()], "notifications": 2}))
        .collect();
    pipeline_ok(c, &markers).await;
    ids.retain(|id| !gone.contains(id));
    // Moderation: hidden statuses (which the thread probes read) and a
    // suspended account (which every `user` probe shows).
    // Reports: one resolved by a hide, one still open.
    let reports = [
        json!({"op": "report", "as": login(1), "status": ids[0], "reason": "spam"}),
        json!({"op": "report", "as": login(2), "login": login(500), "reason": "a bot"}),
    ];
    pipeline_ok(c, &reports).await;
    let moderation = [
        json!({"op": "moderate", "action": "hide", "status": ids[0], "report": 1, "note": "spam"}),
        json!({"op": "moderate", "action": "hide", "status": ids[17]}),
        json!({"op": "moderate", "action": "suspend", "login": login(500)}),
    ];
    pipeline_ok(c, &moderation).await;
    ids
}

/// The requests whose answers must not change: every user, and for a sample
/// of users and statuses every read op.
fn probes(ids: &[u64]) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..USERS {
        out.push(json!({"op": "user", "login": login(i), "as": login((i + 1) % USERS)}));
    }
    for i in (0..USERS).step_by(23) {
        let me = login(i);
        for kind in ["home", "profile", "mentions", "likes"] {
            out.push(json!({"op": "timeline", "kind": kind, "as": me, "count": 200}));
        }
        out.push(json!({"op": "timeline", "kind": "home", "as": me, "order": "importance"}));
        out.push(json!({"op": "followers", "as": me, "count": 200}));
        out.push(json!({"op": "following", "as": me, "count": 200}));
        out.push(json!({"op": "notifications", "as": me, "count": 200}));
        out.push(json!({"op": "marker", "as": me}));
    }
    for i in 300..306 {
        out.push(json!({"op": "requests", "as": login(i)}));
        out.push(json!({"op": "user", "login": login(i), "as": login(i + 10)}));
    }
    for i in 400..412 {
        out.push(json!({"op": "conversations", "as": login(i)}));
    }
    out.push(json!({"op": "messages", "as": login(400), "conversation": "c:401,402"}));
    for i in (0..20).step_by(3) {
        out.push(json!({"op": "blocks", "as": login(i + 1)}));
        out.push(json!({"op": "mutes", "as": login(i + 101)}));
        out.push(json!({"op": "user", "login": login(i + 100), "as": login(i + 101)}));
    }
    for &sid in ids.iter().step_by(17) {
        out.push(json!({"op": "thread", "as": login(0), "status": sid}));
        out.push(json!({"op": "likes", "as": login(0), "status": sid, "count": 200}));
    }
    for tag in ["t0", "t3", "re"] {
        out.push(
            json!({"op": "timeline", "kind": "tag", "tag": tag, "as": login(0), "count": 200}),
        );
    }
    out.push(json!({"op": "trending", "as": login(0), "hours": 24}));
    out.push(json!({"op": "reports", "state": "all", "count": 200}));
    out.push(json!({"op": "reports", "state": "open", "count": 200}));
    out
}

async fn answers(roostd: &Roostd, probes: &[Value]) -> Vec<Value> {
    let mut c = roostd.client().await;
    let mut out = Vec::new();
    for chunk in probes.chunks(500) {
        out.extend(c.pipeline(chunk).await);
    }
    out
}

fn export(args: &[String]) -> Vec<u8> {
    let out = Command::new(roostd_bin())
        .arg("export")
        .args(args)
        .output()
        .expect("roostd export");
    assert!(
        out.status.success(),
        "roostd export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn import(args: &[String], data: &[u8]) -> (bool, String) {
    let mut child = Command::new(roostd_bin())
        .arg("import")
        .args(args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("roostd import");
    // An import that stops early closes its input: its stderr says why.
    let _ = child.stdin.take().unwrap().write_all(data);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The records of an export, each parsed, sorted: two exports of the same
/// network compare equal whatever order Redis hands fields out in.
/// The export's records, sorted; the moderation log's `as` entries left out
/// (every probe an operator makes `as` someone adds one).
fn records(data: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(data)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| !(r["type"] == "modlog" && r["entry"]["action"] == "as"))
        .map(|r| r.to_string())
        .collect();
    lines.sort();
    lines
}

fn redis_args(redis: &Redis) -> Vec<String> {
    vec!["--redis".into(), redis.url()]
}

#[tokio::test]
async fn an_export_imported_answers_every_op_the_same_on_redis_and_on_a_cluster() {
    let from = Redis::start();
    let roostd = Roostd::start(&from, &[]);
    let mut c = roostd.client().await;
    let started = std::time::Instant::now();
    let ids = network(&roostd, &mut c).await;
    println!("network made in {:?}", started.elapsed());
    // Deletes' cleanup jobs done: the data is settled.
    let settled = eventually!(Duration::from_secs(60), roostd_check(&from, false).0);
    assert!(settled, "{}", roostd_check(&from, false).1);
    println!("settled after {:?}", started.elapsed());
    let probes = probes(&ids);
    let before = answers(&roostd, &probes).await;
    // Only the hidden statuses' thread and likes are not found.
    let failed: Vec<&Value> = before.iter().filter(|r| r["ok"] != true).collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed.iter().all(|r| r["error"]["code"] == "not_found"));

    // Exported from the live daemon, imported into an empty Redis.
    let data = export(&redis_args(&from));
    println!("exported after {:?}", started.elapsed());
    let lines = records(&data);
    // Reports and the moderation log are carried.
    for wanted in [
        "\"type\":\"report\"",
        "\"action\":\"hide\"",
        "\"action\":\"suspend\"",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(wanted)),
            "no {wanted} in the export"
        );
    }
    assert!(lines.len() > USERS * 3, "{} records", lines.len());
    let to = Redis::start();
    let (ok, said) = import(&redis_args(&to), &data);
    assert!(ok, "{said}");
    assert!(said.contains(&format!("imported {USERS} users")), "{said}");
    let (clean, report) = roostd_check(&to, false);
    assert!(clean, "the imported data breaks an invariant: {report}");
    let moved = Roostd::start(&to, &[]);
    let after = answers(&moved, &probes).await;
    for ((probe, b), a) in probes.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{probe} answers differently after the import");
    }
    assert_eq!(
        records(&export(&redis_args(&to))),
        lines,
        "the export of the import"
    );

    // Importing twice is refused: the namespace holds data.
    let (ok, said) = import(&redis_args(&to), &data);
    assert!(!ok && said.contains("empty"), "{said}");
    // New ids continue above the old ones.
    let mut m = moved.client().await;
    let fresh = m
        .ok(json!({"op": "post", "as": login(1), "text": "after the move"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(ids.iter().all(|&id| id < fresh));

    // The same export moves the network to a Redis Cluster.
    let cluster = RedisCluster::start();
    let seeds = vec!["--redis-cluster".to_owned(), cluster.seeds()];
    let (ok, said) = import(&seeds, &data);
    assert!(ok, "{said}");
    let on_cluster = Roostd::start_with(seeds.clone(), Vec::new());
    let after = answers(&on_cluster, &probes).await;
    for ((probe, b), a) in probes.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{probe} answers differently on the cluster");
    }
    assert_eq!(records(&export(&seeds)), lines, "the cluster's export");
}

#[tokio::test]
async fn import_refuses_what_is_not_an_export() {
    let redis = Redis::start();
    for (bad, says) in [
        ("not json\n", "line 1"),
        (
            "{\"type\":\"roost\",\"schema\":99,\"next_user\":0,\"next_status\":0}\n",
            "schema 99",
        ),
        ("{\"type\":\"poke\"}\n", "unknown record type"),
    ] {
        let (ok, said) = import(&redis_args(&redis), bad.as_bytes());
        assert!(!ok && said.contains(says), "{bad}: {said}");
    }
}

/// An account merged into home reads (hybrid fan-out) moves with its
/// followers' merged sets: their homes read the same after the import, and
/// its next post reaches them without copies.
#[tokio::test]
async fn a_merged_celebrity_moves_with_its_followers_homes() {
    let from = Redis::start();
    let flags = ["--celebrity-threshold", "3"];
    let roostd = Roostd::start(&from, &flags);
    let mut c = roostd.client().await;
    c.bot("star").await;
    let fans = ["a", "b", "c"];
    for fan in fans {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
        .as_u64()
        .unwrap();
    let mode_key = format!("{{roost:u{star}}}:counts");
    let merged = eventually!(
        Duration::from_secs(60),
        from.cli(&["HGET", &mode_key, "fanout"]).trim() == "merge"
    );
    assert!(merged, "star was not promoted");
    let post = |text: &'static str| json!({"op": "post", "as": "star", "text": text});
    let s1 = c.ok(post("merged")).await["id"].as_u64().unwrap();
    let mut homes = Vec::new();
    for fan in fans {
        homes.push(c.home_ids(fan, 30).await);
        assert_eq!(homes.last().unwrap()[0], s1);
    }

    let data = export(&redis_args(&from));
    let to = Redis::start();
    let (ok, said) = import(&redis_args(&to), &data);
    assert!(ok, "{said}");
    let (clean, report) = roostd_check(&to, false);
    assert!(clean, "{report}");
    assert_eq!(to.cli(&["HGET", &mode_key, "fanout"]).trim(), "merge");
    let moved = Roostd::start(&to, &flags);
    let mut m = moved.client().await;
    for (fan, home) in fans.iter().zip(&homes) {
        assert_eq!(&m.home_ids(fan, 30).await, home, "{fan} after the move");
    }
    let s2 = m.ok(post("after the move")).await["id"].as_u64().unwrap();
    for fan in fans {
        assert_eq!(m.home_ids(fan, 30).await[..2], [s2, s1]);
    }
    assert_eq!(
        records(&export(&redis_args(&to)))
            .iter()
            .filter(|l| l.contains(&format!("\"merges\":[[{star},")))
            .count(),
        fans.len()
    );
}
