//! Several roostd sharing a Redis Cluster: every multi-key step stays in one
//! slot, batches spanning slots are routed per node, and events reach the
//! subscribers of every roostd.

use std::time::Duration;

use roost_tests::{Client, RedisCluster, Roostd, eventually};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn roostd_on(cluster: &RedisCluster, extra: &[&str]) -> Roostd {
    let mut args = vec!["--redis-cluster".to_owned(), cluster.seeds()];
    args.extend(extra.iter().map(|s| s.to_string()));
    Roostd::start_with(args, Vec::new())
}

async fn home_has(c: &mut Client, login: &str, id: u64) -> bool {
    c.home_ids(login, 10).await.contains(&id)
}

#[tokio::test]
async fn the_network_runs_on_a_redis_cluster_shared_by_two_roostd() {
    let cluster = RedisCluster::start();
    let one = roostd_on(&cluster, &["--fanout-batch", "3"]);
    let two = roostd_on(&cluster, &["--fanout-batch", "3"]);
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
