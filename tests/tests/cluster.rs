//! Several roostd sharing a Redis Cluster: every multi-key step stays in one
//! slot, batches spanning slots are routed per node, and events reach the
//! subscribers of every roostd.

use std::time::Duration;

use roost_tests::{Client, RedisCluster, Roostd, eventually, roostd_check_on};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

async fn home_has(c: &mut Client, login: &str, id: u64) -> bool {
    c.home_ids(login, 10).await.contains(&id)
}

#[tokio::test]
async fn the_network_runs_on_a_redis_cluster_shared_by_two_roostd() {
    let cluster = RedisCluster::start();
    let one = Roostd::start_on_cluster(&cluster, &["--fanout-batch", "3"]);
    let two = Roostd::start_on_cluster(&cluster, &["--fanout-batch", "3"]);
    let (mut a, mut b) = (one.client().await, two.client().await);

    // Registration races through either daemon: one account.
    let mut racers = Vec::new();
    for i in 0..10 {
        let roostd = if i % 2 == 0 { &one } else { &two };
        let mut c = roostd.client().await;
        racers.push(tokio::spawn(async move {
            c.call(json!({"op": "register", "login": "star", "bot": true}))
                .await
        }));
    }
    let mut wins = 0;
    for r in racers {
        wins += usize::from(r.await.unwrap()["ok"] == true);
    }
    assert_eq!(wins, 1);

    let fans: Vec<String> = (0..20).map(|i| format!("fan{i}")).collect();
    for fan in &fans {
        a.bot(fan).await;
        b.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    let star = a.ok(json!({"op": "user", "login": "star"})).await;
    assert_eq!(star["followers"], 20);
    let list = b
        .ok(json!({"op": "followers", "login": "star", "count": 200}))
        .await;
    assert_eq!(list["users"].as_array().unwrap().len(), 20);

    let mut watcher = two.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"filter": {"follow": ["star"]}}}))
        .await;
    let id = a
        .ok(json!({"op": "post", "as": "star", "text": "over the cluster"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        watcher.event().await["status"]["id"],
        id,
        "a post through one roostd reaches the other's subscriber"
    );
    for fan in &fans {
        assert!(
            eventually!(WAIT, home_has(&mut b, fan, id).await),
            "{fan} never got the status"
        );
    }
    let read = b
        .ok(json!({"op": "timeline", "kind": "profile", "login": "star"}))
        .await;
    assert_eq!(read["statuses"][0]["text"], "over the cluster");

    // A reply (through the other roostd), a repost (which fans out under
    // the home rule) and a like, each across slots; then the thread, counts
    // and notifications read back.
    let reply = b
        .ok(json!({"op": "post", "as": "fan1", "text": "@fan2 #cluster yes", "reply_to": id}))
        .await["id"]
        .as_u64()
        .unwrap();
    let repost = a
        .ok(json!({"op": "repost", "as": "fan2", "status": id}))
        .await["id"]
        .as_u64()
        .unwrap();
    b.ok(json!({"op": "follow", "as": "fan3", "login": "fan2"}))
        .await;
    a.ok(json!({"op": "like", "as": "fan3", "status": id}))
        .await;
    let thread = b
        .ok(json!({"op": "thread", "as": "fan3", "status": id}))
        .await;
    assert_eq!(thread["replies"][0]["id"], reply);
    let counts = &thread["status"];
    assert_eq!(
        (
            &counts["replies"],
            &counts["reposts"],
            &counts["likes"],
            &counts["liked"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(true))
    );
    assert!(
        !home_has(&mut a, "fan3", repost).await,
        "fan3's home holds the original already"
    );
    let kinds: Vec<String> = a
        .ok(json!({"op": "notifications", "as": "star", "count": 100}))
        .await["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds[..3], ["like", "repost", "reply"]);
    let tagged = b
        .ok(json!({"op": "timeline", "kind": "tag", "tag": "cluster", "as": "fan3"}))
        .await;
    assert_eq!(tagged["statuses"][0]["id"], reply);
    let trending = a.ok(json!({"op": "trending", "as": "fan3"})).await;
    assert_eq!(trending["tags"], json!([{"tag": "cluster", "statuses": 1}]));

    // Unfollow (with its refill job) and delete (with its cleanup job).
    b.ok(json!({"op": "unfollow", "as": "fan0", "login": "star"}))
        .await;
    assert!(!home_has(&mut a, "fan0", id).await);
    a.ok(json!({"op": "delete", "as": "star", "status": id}))
        .await;
    assert_eq!(watcher.event().await["event"], "delete");
    for fan in &fans {
        assert!(
            !home_has(&mut a, fan, id).await,
            "{fan} still shows a deleted status"
        );
    }
    let star = b.ok(json!({"op": "user", "login": "star"})).await;
    assert_eq!(
        (star["followers"].as_u64(), star["posts"].as_u64()),
        (Some(19), Some(0))
    );
    assert!(
        eventually!(
            WAIT,
            b.ok(json!({"op": "user", "login": "fan2"})).await["posts"] == 0
        ),
        "the repost went with its original"
    );

    // The data is spread over the three masters.
    for &port in &cluster.ports {
        let keys: u64 = cluster.cli_on(port, &["DBSIZE"]).trim().parse().unwrap();
        assert!(keys > 0, "node {port} holds no keys");
    }
    let marker = a.ok(json!({"op": "marker", "as": "fan1", "home": 1})).await;
    assert_eq!(marker["home"], 1);
}

/// What a load task did: requests answered ok, and the others by error code
/// (`conflict` and `not_found` are the load's own: following twice, liking
/// twice; `internal` and `unavailable` are the failover's).
#[derive(Debug, Default, Clone)]
struct Done {
    ok: usize,
    failed: std::collections::BTreeMap<String, usize>,
}

/// Posts, follows, unfollows and likes by `users` as fast as one connection
/// goes, until `stop`.
fn load(
    roostd: &Roostd,
    part: usize,
    users: usize,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Done> {
    let socket = roostd.socket.clone();
    tokio::spawn(async move {
        let mut c = Client::connect(&socket).await;
        let mut done = Done::default();
        let mut posted: Vec<u64> = Vec::new();
        let mut n = part * 1_000_000;
        while !*stop.borrow() {
            n += 1;
            let me = format!("u{}", n % users);
            let other = format!("u{}", (n / 7) % users);
            let request = match n % 4 {
                0 | 1 => json!({"op": "post", "as": me, "text": format!("load {n}")}),
                2 if n.is_multiple_of(3) => json!({"op": "unfollow", "as": me, "login": other}),
                2 => json!({"op": "follow", "as": me, "login": other}),
                _ => match posted.get(n % posted.len().max(1)) {
                    Some(&sid) => json!({"op": "like", "as": me, "status": sid}),
                    None => continue,
                },
            };
            let r = c.call(request).await;
            if r["ok"] == true {
                done.ok += 1;
                if let Some(id) = r["result"]["id"].as_u64().filter(|_| n % 4 < 2) {
                    posted.push(id);
                }
            } else {
                let code = r["error"]["code"].as_str().unwrap_or("?").to_owned();
                *done.failed.entry(code).or_default() += 1;
            }
        }
        done
    })
}

/// Issue 11: a master of the cluster fails over while posts, follows and likes
/// run. A graceful failover (`CLUSTER FAILOVER` on its replica, which loses
/// nothing) is ridden through with every count still equal to its set; a
/// master killed outright is ridden through too, and what the lost
/// replication window leaves behind `roostd check --repair` mends.
#[tokio::test]
async fn a_master_fails_over_under_load_and_the_counts_hold() {
    let mut cluster = RedisCluster::start_with_replicas(1);
    let roostd = Roostd::start_on_cluster(&cluster, &[]);
    let mut c = roostd.client().await;
    const USERS: usize = 30;
    for i in 0..USERS {
        c.bot(&format!("u{i}")).await;
    }
    let target = vec!["--redis-cluster".to_owned(), cluster.seeds()];
    let settled = |target: &[String]| roostd_check_on(target, false);

    for round in ["graceful", "kill"] {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = (0..3)
            .map(|p| load(&roostd, p, USERS, rx.clone()))
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let master = cluster.masters()[0];
        let replica = cluster
            .replica_of(master)
            .expect("every master has a replica");
        if round == "graceful" {
            assert!(
                cluster
                    .cli_on(replica, &["CLUSTER", "FAILOVER"])
                    .contains("OK")
            );
        } else {
            cluster.kill_node(master);
        }
        let promoted = eventually!(
            WAIT,
            cluster.masters().contains(&replica) && cluster.healthy()
        );
        assert!(promoted, "{round}: the replica never took over");
        // The load goes on through the new master for a while.
        let before = c.ok(json!({"op": "user", "login": "u1"})).await["posts"].clone();
        tokio::time::sleep(Duration::from_millis(2000)).await;
        tx.send(true).unwrap();
        let mut done = Done::default();
        for t in tasks {
            let d = t.await.unwrap();
            done.ok += d.ok;
            for (code, n) in d.failed {
                *done.failed.entry(code).or_default() += n;
            }
        }
        let after = c.ok(json!({"op": "user", "login": "u1"})).await["posts"].clone();
        println!("{round} failover: {done:?}; u1 posts {before} -> {after}");
        assert!(done.ok > 20, "{round}: {done:?}");
        assert_ne!(
            before, after,
            "{round}: posting did not go on after the failover"
        );
        // Fan-out and cleanup jobs finish; then every count equals its set.
        let clean = eventually!(Duration::from_secs(60), settled(&target).0);
        if round == "graceful" {
            assert!(clean, "{}", settled(&target).1);
        } else if !clean {
            // Writes the killed master acknowledged but had not passed on
            // to its replica are gone: check says what, --repair mends it.
            println!("after the kill: {}", settled(&target).1);
            let (repaired, text) = roostd_check_on(&target, true);
            println!("repair: {repaired} {text}");
            assert!(settled(&target).0, "{}", settled(&target).1);
        }
    }
}

/// Issue 11: with `--replica-ack 1` a write is answered only once a replica
/// has it, so a master killed right after loses none of the posts it
/// acknowledged.
#[tokio::test]
async fn with_replica_ack_a_killed_master_loses_no_acknowledged_post() {
    let mut cluster = RedisCluster::start_with_replicas(1);
    let roostd = Roostd::start_on_cluster(&cluster, &["--replica-ack", "1"]);
    let mut c = roostd.client().await;
    for i in 0..10 {
        c.bot(&format!("u{i}")).await;
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let socket = roostd.socket.clone();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let poster = {
        let acked = acked.clone();
        tokio::spawn(async move {
            let mut c = Client::connect(&socket).await;
            let mut n = 0;
            while !*rx.borrow() {
                n += 1;
                let r = c
                    .call(json!({"op": "post", "as": format!("u{}", n % 10), "text": format!("acked {n}")}))
                    .await;
                if let Some(id) = r["result"]["id"].as_u64() {
                    acked.lock().unwrap().push(id);
                }
            }
        })
    };
    // Posts acknowledged before the kill, whatever the machine's speed.
    let posting = eventually!(WAIT, acked.lock().unwrap().len() >= 20);
    assert!(posting, "posts were not acknowledged");
    let master = cluster.masters()[0];
    let replica = cluster.replica_of(master).expect("a replica");
    cluster.kill_node(master);
    let promoted = eventually!(
        WAIT,
        cluster.masters().contains(&replica) && cluster.healthy()
    );
    assert!(promoted, "the replica never took over");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    tx.send(true).unwrap();
    poster.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    let mut lost = Vec::new();
    for &id in &acked {
        let r = c
            .call(json!({"op": "thread", "as": "u0", "status": id}))
            .await;
        if r["ok"] != true {
            lost.push(id);
        }
    }
    println!(
        "{} posts acknowledged across the kill, {} lost",
        acked.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
}

/// The step to layout 3 on a cluster (accounts in every slot), with data that
/// has nothing to fill and with a private account: roostd upgrades and starts.
#[tokio::test]
async fn the_layout_upgrades_on_a_cluster() {
    let cluster = RedisCluster::start();
    let mut roostd = Roostd::start_on_cluster(&cluster, &[]);
    let mut c = roostd.client().await;
    for i in 0..20 {
        c.bot(&format!("u{i}")).await;
    }
    for private in [false, true] {
        if private {
            c.ok(json!({"op": "set_profile", "as": "u7", "private": true}))
                .await;
        }
        drop(c);
        roostd.terminate();
        cluster.cli(&["DEL", "{roost}:private_accounts"]);
        cluster.cli(&["SET", "{roost}:schema", "2"]);
        roostd.restart();
        c = roostd.client().await;
        assert_eq!(cluster.cli(&["GET", "{roost}:schema"]).trim(), "3");
        let members = cluster.cli(&["SMEMBERS", "{roost}:private_accounts"]);
        assert_eq!(!members.trim().is_empty(), private, "{members}");
        c.ok(json!({"op": "user", "login": "u7"})).await;
    }
}
