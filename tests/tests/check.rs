//! `roostd check` (issue 8): every broken invariant reported by kind, and
//! repaired with `--repair`, on data a test breaks by hand.

use roost_tests::{Redis, eventually, roostd_check};
use serde_json::json;

use crate::setup;

#[tokio::test]
async fn check_finds_each_broken_invariant_and_repair_fixes_it() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    for login in ["ann", "bob", "cy"] {
        c.bot(login).await;
    }
    for (fan, star) in [("ann", "bob"), ("cy", "bob"), ("bob", "ann")] {
        c.ok(json!({"op": "follow", "as": fan, "login": star}))
            .await;
    }
    let mut sids = Vec::new();
    for author in ["ann", "bob", "bob"] {
        let status = c
            .ok(json!({"op": "post", "as": author, "text": "hello"}))
            .await;
        sids.push(status["id"].as_u64().unwrap());
    }
    c.ok(json!({"op": "delete", "as": "bob", "status": sids[2]}))
        .await;
    let clean = eventually!(
        std::time::Duration::from_secs(10),
        roostd_check(&redis, false).0
    );
    assert!(clean, "{}", roostd_check(&redis, false).1);

    let id = |login: &str| account_id(&redis, login);
    let (ann, bob, cy) = (id("ann"), id("bob"), id("cy"));
    broken(
        &redis,
        &[
            "HSET",
            &format!("{{roost:u{bob}}}:counts"),
            "followers",
            "7",
        ],
    );
    broken(
        &redis,
        &[
            "ZREM",
            &format!("{{roost:u{cy}}}:following"),
            &bob.to_string(),
        ],
    );
    broken(
        &redis,
        &[
            "ZADD",
            &format!("{{roost:u{ann}}}:home"),
            "999",
            &format!("{bob}:999"),
        ],
    );
    broken(&redis, &["HSET", "{roost}:logins", "ghost", "4242"]);
    broken(
        &redis,
        &["HSET", "{roost}:status_author", "888", &ann.to_string()],
    );
    broken(
        &redis,
        &[
            "XADD",
            "{roost}:parked",
            "*",
            "job",
            "1-1",
            "error",
            "x",
            "kind",
            "refill",
            "uid",
            &ann.to_string(),
            "sid",
            "0",
        ],
    );

    let (ok, found) = roostd_check(&redis, false);
    assert!(!ok, "{found}");
    for kind in [
        "count not equal to its set: 2",
        "one-sided follow: 1",
        "timeline id of a missing status: 1",
        "login map entry without its account: 1",
        "status id without its status: 1",
        "parked job: 1",
    ] {
        assert!(found.contains(kind), "{kind:?} missing from:\n{found}");
    }
    let (_, repaired) = roostd_check(&redis, true);
    assert!(repaired.contains("repaired"), "{repaired}");
    let (ok, after) = roostd_check(&redis, false);
    assert!(ok, "findings left after --repair:\n{after}");
    // The data is as the protocol says: bob's counts equal his sets again.
    let bob_user = c.ok(json!({"op": "user", "login": "bob"})).await;
    assert_eq!(bob_user["followers"], 2);
    assert_eq!(bob_user["posts"], 1);
    let home = c.home_ids("ann", 10).await;
    assert_eq!(
        home,
        [sids[1], sids[0]],
        "ann's home: bob's live status and her own"
    );
}

/// The account id of `login`, read straight from Redis.
fn account_id(redis: &Redis, login: &str) -> u64 {
    let id = redis.cli(&["HGET", "{roost}:logins", login]);
    id.trim().parse::<u64>().unwrap()
}

fn broken(redis: &Redis, args: &[&str]) {
    let out = redis.cli(args);
    assert!(!out.contains("ERR"), "{args:?}: {out}");
}

/// Issue 10: check also finds a block without its mirror (or a mirror
/// without its block) and the streams' sets differing from the flags, and
/// repair mends them through the same step (so streams learn it).
#[tokio::test]
async fn check_finds_broken_block_mirrors_and_stream_sets() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    for login in ["ann", "bob", "cy"] {
        c.bot(login).await;
    }
    let spam = c
        .ok(json!({"op": "post", "as": "cy", "text": "spam"}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "block", "as": "ann", "login": "bob"}))
        .await;
    c.ok(json!({"op": "set_profile", "as": "cy", "private": true}))
        .await;
    c.ok(json!({"op": "moderate", "action": "hide", "status": spam}))
        .await;
    assert!(
        roostd_check(&redis, false).0,
        "{}",
        roostd_check(&redis, false).1
    );
    let id = |login: &str| account_id(&redis, login);
    let (ann, bob, cy) = (id("ann"), id("bob"), id("cy"));
    broken(
        &redis,
        &[
            "ZREM",
            &format!("{{roost:u{bob}}}:blocked_by"),
            &ann.to_string(),
        ],
    );
    broken(
        &redis,
        &[
            "ZADD",
            &format!("{{roost:u{ann}}}:blocked_by"),
            "1",
            &cy.to_string(),
        ],
    );
    broken(
        &redis,
        &["SREM", "{roost}:private_accounts", &cy.to_string()],
    );
    broken(
        &redis,
        &["SREM", "{roost}:hidden_statuses", &spam.to_string()],
    );
    broken(
        &redis,
        &["SADD", "{roost}:suspended_accounts", &bob.to_string()],
    );

    let (ok, found) = roostd_check(&redis, false);
    assert!(!ok, "{found}");
    for kind in [
        "block without its mirror: 1",
        "mirror without its block: 1",
        "stream set differs from the flag: 3",
    ] {
        assert!(found.contains(kind), "{kind:?} missing from:\n{found}");
    }
    roostd_check(&redis, true);
    let (ok, after) = roostd_check(&redis, false);
    assert!(ok, "findings left after --repair:\n{after}");
    let members = |set: &str| redis.cli(&["SMEMBERS", &format!("{{roost}}:{set}")]);
    assert!(members("private_accounts").contains(&cy.to_string()));
    assert!(members("hidden_statuses").contains(&spam.to_string()));
    assert!(!members("suspended_accounts").contains(&bob.to_string()));
}
