//! Races: concurrent registration of one login, and counters that always equal
//! the sets they count under concurrent follows, unfollows, posts and deletes.

use std::collections::{BTreeMap, BTreeSet};

use roost_tests::{Client, Roostd};
use serde_json::{Value, json};

use crate::setup;

#[tokio::test]
async fn fifty_racing_registrations_make_one_account() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    let first = c.bot("before").await["id"].as_u64().unwrap();
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(roostd.client().await);
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                client
                    .call(json!({"op": "register", "login": "Racer", "bot": true}))
                    .await
            })
        })
        .collect();
    let mut wins = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r["ok"] == true {
            wins.push(r["result"].clone());
        } else {
            assert_eq!(r["error"]["code"], "conflict", "{r}");
            conflicts += 1;
        }
    }
    assert_eq!((wins.len(), conflicts), (1, 49));
    assert_eq!(wins[0]["id"].as_u64().unwrap(), first + 1);
    let after = c.bot("after").await["id"].as_u64().unwrap();
    assert_eq!(after, first + 2, "no id was used up by the 49 refusals");
}

/// Checks every user's counters against the real sets, and that both sides of
/// every follow edge agree.
async fn assert_consistent(c: &mut Client, logins: &[String]) {
    let mut followers_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut following_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for login in logins {
        let user = c.ok(json!({"op": "user", "login": login})).await;
        let list = |r: Value| -> BTreeSet<String> {
            r["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["user"]["login"].as_str().unwrap().to_owned())
                .collect()
        };
        let followers = list(
            c.ok(json!({"op": "followers", "login": login, "count": 200}))
                .await,
        );
        let following = list(
            c.ok(json!({"op": "following", "login": login, "count": 200}))
                .await,
        );
        let profile = c
            .ok(json!({"op": "timeline", "kind": "profile", "login": login, "count": 200}))
            .await;
        assert_eq!(
            user["followers"].as_u64().unwrap() as usize,
            followers.len(),
            "{login} followers"
        );
        assert_eq!(
            user["following"].as_u64().unwrap() as usize,
            following.len(),
            "{login} following"
        );
        assert_eq!(
            user["posts"].as_u64().unwrap() as usize,
            profile["statuses"].as_array().unwrap().len(),
            "{login} posts"
        );
        followers_of.insert(login.clone(), followers);
        following_of.insert(login.clone(), following);
    }
    for (login, following) in &following_of {
        for followed in following {
            assert!(
                followers_of[followed].contains(login),
                "{login} follows {followed} but is not among its followers"
            );
        }
    }
    for (login, followers) in &followers_of {
        for follower in followers {
            assert!(
                following_of[follower].contains(login),
                "{follower} is a follower of {login} but does not follow it"
            );
        }
    }
}

async fn churn(roostd: &Roostd, logins: &[String], tasks: usize, rounds: usize) {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let mut c = roostd.client().await;
        let logins = logins.to_vec();
        handles.push(tokio::spawn(async move {
            let mut own: Vec<u64> = Vec::new();
            for r in 0..rounds {
                // A fixed pseudo-random walk per task: every task touches every pair.
                let me = &logins[(t + r) % logins.len()];
                let them = &logins[(t * 7 + r * 3 + 1) % logins.len()];
                let request = match (t + r) % 5 {
                    0 | 1 => json!({"op": "follow", "as": me, "login": them}),
                    2 | 3 => json!({"op": "unfollow", "as": me, "login": them}),
                    _ if r % 2 == 0 || own.is_empty() => json!({"op": "post", "as": me, "text": format!("t{t} r{r}")}),
                    _ => json!({"op": "delete", "as": &logins[t % logins.len()], "status": own.remove(0)}),
                };
                let response = c.call(request.clone()).await;
                if response["ok"] == true && request["op"] == "post" && me == &logins[t % logins.len()] {
                    own.push(response["result"]["id"].as_u64().unwrap());
                }
                if response["ok"] == false {
                    let code = response["error"]["code"].as_str().unwrap();
                    assert!(["conflict", "not_found", "bad_request", "forbidden"].contains(&code), "{request}: {response}");
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test]
async fn counters_equal_sets_under_concurrent_changes() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    let logins: Vec<String> = (0..8).map(|i| format!("u{i}")).collect();
    for login in &logins {
        c.bot(login).await;
    }
    churn(&roostd, &logins, 8, 150).await;
    assert_consistent(&mut c, &logins).await;
}

#[tokio::test]
async fn one_pair_followed_and_unfollowed_at_once_ends_agreeing() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    let logins = vec!["a".to_owned(), "b".to_owned()];
    for login in &logins {
        c.bot(login).await;
    }
    let mut handles = Vec::new();
    for t in 0..8 {
        let mut client = roostd.client().await;
        handles.push(tokio::spawn(async move {
            for r in 0..60 {
                let op = if (t + r) % 2 == 0 {
                    "follow"
                } else {
                    "unfollow"
                };
                let response = client
                    .call(json!({"op": op, "as": "a", "login": "b"}))
                    .await;
                if response["ok"] == false {
                    let code = response["error"]["code"].as_str().unwrap();
                    assert!(code == "conflict" || code == "not_found", "{response}");
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_consistent(&mut c, &logins).await;
}

#[tokio::test]
async fn a_follow_half_done_by_a_crash_is_completed_by_the_next_try() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    let a = c.bot("a").await["id"].as_u64().unwrap();
    let b = c.bot("b").await["id"].as_u64().unwrap();
    c.ok(json!({"op": "follow", "as": "a", "login": "b"})).await;
    // Undo the follower's side, as if roostd died between the two steps.
    let tag = format!("{{roost:u{a}}}");
    redis.cli(&["ZREM", &format!("{tag}:following"), &b.to_string()]);
    redis.cli(&["HINCRBY", &format!("{tag}:counts"), "following", "-1"]);
    redis.cli(&["HDEL", &format!("{tag}:seen_gen"), &b.to_string()]);
    assert_eq!(
        c.ok(json!({"op": "user", "login": "a"})).await["following"],
        0
    );

    assert_eq!(
        c.err(json!({"op": "follow", "as": "a", "login": "b"}))
            .await,
        "conflict"
    );
    let logins = ["a".to_owned(), "b".to_owned()];
    assert_consistent(&mut c, &logins).await;
    assert_eq!(
        c.ok(json!({"op": "user", "login": "a"})).await["following"],
        1
    );
    c.ok(json!({"op": "unfollow", "as": "a", "login": "b"}))
        .await;
    assert_consistent(&mut c, &logins).await;
}

#[tokio::test]
async fn a_follow_abandoned_between_its_steps_is_finished_and_its_event_logged() {
    let (redis, roostd, mut c) = setup(&["--job-claim-idle-ms", "300"]).await;
    let a = c.bot("a").await["id"].as_u64().unwrap();
    let b = c.bot("b").await["id"].as_u64().unwrap();
    c.bot("c").await;
    let bs = c.ok(json!({"op": "post", "as": "b", "text": "by b"})).await["id"]
        .as_u64()
        .unwrap();
    // A normal follow leaves no outbox entry behind.
    c.ok(json!({"op": "follow", "as": "c", "login": "b"})).await;
    let outbox = format!("{{roost:u{b}}}:outbox");
    assert_eq!(redis.cli(&["HLEN", &outbox]).trim(), "0");
    assert_eq!(
        redis
            .cli(&["SISMEMBER", "{roost}:outboxes", &b.to_string()])
            .trim(),
        "0"
    );

    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "as": "a", "stream": {"home": true}}))
        .await;
    // The followed side of "a follows b", as a roostd killed right after it
    // would leave it: the follower side, the event and the cleanup never came.
    let tag = format!("{{roost:u{b}}}");
    let old = (roost_shared::time::now_millis() - 60_000).to_string();
    redis.cli(&["ZADD", &format!("{tag}:followers"), &old, &a.to_string()]);
    redis.cli(&["HINCRBY", &format!("{tag}:counts"), "followers", "1"]);
    let generation = redis.cli(&["HINCRBY", &format!("{tag}:edge_gen"), &a.to_string(), "1"]);
    let field = format!("{a}:{}", generation.trim());
    redis.cli(&["HSET", &outbox, &field, &format!("follow:{old}")]);
    redis.cli(&["SADD", "{roost}:outboxes", &b.to_string()]);

    let event = watcher.event().await;
    assert_eq!(event["event"], "follow", "{event}");
    assert_eq!(
        (
            event["follower"]["login"].as_str(),
            event["followed"]["login"].as_str()
        ),
        (Some("a"), Some("b"))
    );
    assert_eq!(event["follower"]["following"], 1);
    let logins = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
    assert_consistent(&mut c, &logins).await;
    assert!(
        c.home_ids("a", 30).await.contains(&bs),
        "b's statuses copied to a's home"
    );
    assert_eq!(redis.cli(&["HLEN", &outbox]).trim(), "0");
    assert_eq!(
        redis
            .cli(&["SISMEMBER", "{roost}:outboxes", &b.to_string()])
            .trim(),
        "0"
    );
}

/// Issue 8, finding 6: an unfollow that lands while the refill of an earlier
/// unfollow runs stays undone (the refill read `following` before it).
#[tokio::test]
async fn an_unfollow_during_a_refill_stays_undone() {
    let redis = roost_tests::Redis::start();
    let roostd = Roostd::start_with(
        vec!["--redis".into(), redis.url()],
        vec![("ROOST_PAUSE_AT".into(), "refill.sources:1500".into())],
    );
    let mut c = roostd.client().await;
    for login in ["reader", "a", "b", "c"] {
        c.bot(login).await;
    }
    let mut of_b = Vec::new();
    for author in ["a", "b", "c"] {
        for i in 0..3 {
            let status = c
                .ok(json!({"op": "post", "as": author, "text": format!("{author} {i}")}))
                .await;
            if author == "b" {
                of_b.push(status["id"].as_u64().unwrap());
            }
        }
        c.ok(json!({"op": "follow", "as": "reader", "login": author}))
            .await;
    }
    // The refill of this unfollow reads whom reader follows (a, b), then waits...
    c.ok(json!({"op": "unfollow", "as": "reader", "login": "c"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // ...while reader unfollows b.
    c.ok(json!({"op": "unfollow", "as": "reader", "login": "b"}))
        .await;
    let drained = roost_tests::eventually!(
        std::time::Duration::from_secs(20),
        redis.cli(&["XLEN", "{roost}:jobs"]).trim() == "0"
    );
    assert!(drained, "the refills did not finish");
    let home = c.home_ids("reader", 50).await;
    assert!(
        home.iter().all(|id| !of_b.contains(id)),
        "b's statuses came back after the unfollow: {home:?} holds some of {of_b:?}"
    );
    assert_eq!(home.len(), 3, "a's statuses: {home:?}");
}

/// Issue 8, finding 8: a storm of unfollows queues one refill per user at a
/// time (the queued one reads the follows as they are when it starts), not one
/// per unfollow ahead of everyone's fan-out.
#[tokio::test]
async fn an_unfollow_storm_queues_one_refill() {
    let redis = roost_tests::Redis::start();
    let roostd = Roostd::start_with(
        vec![
            "--redis".into(),
            redis.url(),
            "--workers".into(),
            "1".into(),
        ],
        vec![("ROOST_PAUSE_AT".into(), "refill.sources:2000".into())],
    );
    let mut c = roostd.client().await;
    for login in ["reader", "x", "y"] {
        c.bot(login).await;
    }
    let kept = c
        .ok(json!({"op": "post", "as": "x", "text": "stays"}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "post", "as": "y", "text": "goes"})).await;
    for star in ["x", "y"] {
        c.ok(json!({"op": "follow", "as": "reader", "login": star}))
            .await;
    }
    c.ok(json!({"op": "unfollow", "as": "reader", "login": "y"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut storm = Vec::new();
    for _ in 0..20 {
        storm.push(json!({"op": "follow", "as": "reader", "login": "y"}));
        storm.push(json!({"op": "unfollow", "as": "reader", "login": "y"}));
    }
    for r in c.pipeline(&storm).await {
        assert_eq!(r["ok"], true, "{r}");
    }
    let queued: u64 = redis.cli(&["XLEN", "{roost}:jobs"]).trim().parse().unwrap();
    assert!(queued <= 2, "{queued} jobs queued by one user's unfollows");
    let drained = roost_tests::eventually!(
        std::time::Duration::from_secs(20),
        redis.cli(&["XLEN", "{roost}:jobs"]).trim() == "0"
    );
    assert!(drained);
    assert_eq!(c.home_ids("reader", 10).await, [kept]);
}
