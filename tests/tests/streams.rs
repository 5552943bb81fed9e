//! Live streams over the socket: every stream kind and filter part, replay with
//! `since` (after a disconnect and after a restart), `gap`, `lagged` and
//! stalled subscribers, and two roostd on one Redis.

use std::time::Duration;

use roost_tests::{Client, Redis, Roostd, eventually};
use serde_json::{Value, json};

use crate::setup;

const QUIET: Duration = Duration::from_millis(700);

async fn post(c: &mut Client, login: &str, text: &str) -> u64 {
    c.ok(json!({"op": "post", "as": login, "text": text})).await["id"]
        .as_u64()
        .unwrap()
}

async fn post_at(c: &mut Client, login: &str, text: &str, lat: f64, lon: f64) -> u64 {
    let r = c
        .ok(json!({"op": "post", "as": login, "text": text, "location": {"lat": lat, "lon": lon}}))
        .await;
    r["id"].as_u64().unwrap()
}

/// The status ids of the `status` events among `events`.
fn statuses(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e["event"] == "status")
        .map(|e| e["status"]["id"].as_u64().unwrap())
        .collect()
}

/// Subscribes `watcher` to `stream`, runs `act`, and returns the status ids
/// delivered to that subscription.
async fn delivered(roostd: &Roostd, stream: Value, posts: &[(&str, &str)]) -> (Vec<u64>, Vec<u64>) {
    let mut watcher = roostd.client().await;
    let sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": stream}))
        .await;
    let mut c = roostd.client().await;
    let mut ids = Vec::new();
    for (login, text) in posts {
        ids.push(post(&mut c, login, text).await);
    }
    let events = watcher.events_within(QUIET).await;
    assert!(events.iter().all(|e| e["sub"] == sub), "{events:?}");
    (ids, statuses(&events))
}

#[tokio::test]
async fn firehose_gets_every_status_and_delete_in_order() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    c.bot("bob").await;
    let mut watcher = roostd.client().await;
    let sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    let a = post(&mut c, "alice", "one").await;
    let b = post(&mut c, "bob", "two").await;
    c.ok(json!({"op": "delete", "as": "alice", "status": a}))
        .await;
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    let events = watcher.events_within(QUIET).await;
    assert_eq!(events.len(), 3, "statuses and deletes only: {events:?}");
    assert_eq!(events[0]["status"]["text"], "one");
    assert_eq!(events[0]["sub"], sub);
    assert_eq!(events[1]["status"]["id"], b);
    assert_eq!(
        events[2],
        json!({"event": "delete", "sub": sub, "eid": events[2]["eid"], "status": a, "uid": events[0]["status"]["uid"]})
    );
    let eids: Vec<&str> = events.iter().map(|e| e["eid"].as_str().unwrap()).collect();
    assert!(
        eids.windows(2).all(|w| w[0] < w[1]),
        "eids sort in delivery order: {eids:?}"
    );
}

#[tokio::test]
async fn filter_follow_is_by_author_not_mention() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    c.bot("bob").await;
    let (ids, got) = delivered(
        &roostd,
        json!({"filter": {"follow": ["Alice"]}}),
        &[
            ("alice", "from alice"),
            ("bob", "hey @alice"),
            ("alice", "again"),
        ],
    )
    .await;
    assert_eq!(got, [ids[0], ids[2]]);
}

#[tokio::test]
async fn filter_track_follows_twitters_rules() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("a").await;
    let posts = [
        ("a", "The Twitter API is awesome"),
        ("a", "I'm new to Twitter"),
        ("a", "streaming from TWITTER, yes"),
        ("a", "Redis!"),
        ("a", "I love #redis"),
        ("a", "redisson is another thing"),
        ("a", "talking to @bob about lunch"),
        ("a", "bob did it"),
        ("a", "我喜欢数据库"),
        ("a", "数据 only"),
    ];
    let (ids, got) = delivered(
        &roostd,
        json!({"filter": {"track": ["twitter api", "twitter streaming", "redis", "@bob", "数据库"]}}),
        &posts,
    )
    .await;
    assert_eq!(got, [ids[0], ids[2], ids[3], ids[4], ids[6], ids[8]]);

    let (ids, got) = delivered(
        &roostd,
        json!({"filter": {"track": ["#redis"]}}),
        &posts[3..6],
    )
    .await;
    assert_eq!(got, [ids[1]], "a hashtag phrase matches only the hashtag");
}

#[tokio::test]
async fn filter_locations_boxes_are_inclusive_and_parts_combine_with_or() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("a").await;
    c.bot("b").await;
    let mut watcher = roostd.client().await;
    let stream = json!({"filter": {"locations": [[-122.75, 36.8, -121.75, 37.8]], "follow": ["b"], "track": ["lunch"]}});
    let sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": stream}))
        .await;
    let inside = post_at(&mut c, "a", "sf", 37.0, -122.0).await;
    let corner = post_at(&mut c, "a", "corner", 36.8, -122.75).await;
    let edge = post_at(&mut c, "a", "edge", 37.8, -121.75).await;
    post_at(&mut c, "a", "just out", 36.79, -122.0).await;
    post_at(&mut c, "a", "east", 37.0, -121.7).await;
    post(&mut c, "a", "no location").await;
    let by_b = post(&mut c, "b", "anything").await;
    let lunch = post(&mut c, "a", "Lunch?").await;
    let events = watcher.events_within(QUIET).await;
    assert!(events.iter().all(|e| e["sub"] == sub));
    assert_eq!(statuses(&events), [inside, corner, edge, by_b, lunch]);
    assert_eq!(
        events[0]["status"]["location"],
        json!({"lat": 37.0, "lon": -122.0})
    );
}

#[tokio::test]
async fn deletes_reach_the_streams_the_status_matched() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("a").await;
    let mut watcher = roostd.client().await;
    let redis_sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": {"filter": {"track": ["redis"]}}}))
        .await;
    let other_sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": {"filter": {"track": ["postgres"]}}}))
        .await;
    let id = post(&mut c, "a", "redis rocks").await;
    c.ok(json!({"op": "delete", "as": "a", "status": id})).await;
    let events = watcher.events_within(QUIET).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        (events[0]["event"].as_str(), events[0]["sub"].as_u64()),
        (Some("status"), Some(redis_sub))
    );
    assert_eq!(
        (events[1]["event"].as_str(), events[1]["status"].as_u64()),
        (Some("delete"), Some(id))
    );
    assert!(events.iter().all(|e| e["sub"] != other_sub));
}

#[tokio::test]
async fn sample_is_deterministic_per_subscriber_and_proportional() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("a").await;
    c.bot("watcher").await;
    c.bot("other").await;
    let mut first = roostd.client().await;
    let mut second = roostd.client().await;
    let mut third = roostd.client().await;
    let sample =
        |who: &str| json!({"op": "subscribe", "as": who, "stream": {"sample": {"percent": 25}}});
    first.subscribe(sample("watcher")).await;
    second.subscribe(sample("watcher")).await;
    third.subscribe(sample("other")).await;
    let posts: Vec<Value> = (0..400)
        .map(|i| json!({"op": "post", "as": "a", "text": format!("n{i}")}))
        .collect();
    c.pipeline(&posts).await;
    let (a, b, o) = (
        statuses(&first.events_within(QUIET).await),
        statuses(&second.events_within(QUIET).await),
        statuses(&third.events_within(QUIET).await),
    );
    assert_eq!(a, b, "the same identity gets the same sample");
    assert_ne!(a, o, "another identity gets another sample");
    assert!(
        (60..=140).contains(&a.len()),
        "about 25% of 400: {}",
        a.len()
    );
    assert_eq!(
        c.err(json!({"op": "subscribe", "stream": {"sample": {"percent": 0}}}))
            .await,
        "bad_request"
    );
    assert_eq!(
        c.err(json!({"op": "subscribe", "stream": {"sample": {"percent": 101}}}))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn home_stream_follows_the_callers_graph() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["me", "friend", "stranger"] {
        c.bot(login).await;
    }
    let mut watcher = roostd.client().await;
    let sub = watcher
        .subscribe(json!({"op": "subscribe", "as": "me", "stream": {"home": true}}))
        .await;
    let mine = post(&mut c, "me", "mine").await;
    post(&mut c, "friend", "before following").await;
    c.ok(json!({"op": "follow", "as": "me", "login": "friend"}))
        .await;
    let theirs = post(&mut c, "friend", "after following").await;
    post(&mut c, "stranger", "never").await;
    c.ok(json!({"op": "follow", "as": "stranger", "login": "me"}))
        .await;
    c.ok(json!({"op": "delete", "as": "friend", "status": theirs}))
        .await;
    c.ok(json!({"op": "unfollow", "as": "me", "login": "friend"}))
        .await;
    post(&mut c, "friend", "after unfollowing").await;
    let events = watcher.events_within(QUIET).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["status", "follow", "status", "follow", "delete", "unfollow"],
        "{events:?}"
    );
    assert!(events.iter().all(|e| e["sub"] == sub));
    assert_eq!(statuses(&events), [mine, theirs]);
    assert_eq!(events[1]["follower"]["login"], "me");
    assert_eq!(
        events[1]["followed"]["followers"], 1,
        "users as they are after the follow"
    );
    assert_eq!(events[3]["follower"]["login"], "stranger");
    assert_eq!(events[4]["status"], theirs);
    let mut anonymous = roostd.client().await;
    assert_eq!(
        anonymous
            .err(json!({"op": "subscribe", "stream": {"home": true}}))
            .await,
        "not_registered"
    );
}

#[tokio::test]
async fn bad_subscriptions_unsubscribe_and_limits() {
    let (_redis, roostd, mut c) = setup(&[
        "--max-subs-per-connection",
        "3",
        "--max-subs-per-account",
        "4",
    ])
    .await;
    c.bot("a").await;
    for stream in [
        json!({}),
        json!({"home": true, "firehose": true}),
        json!({"firehose": false}),
        json!({"filter": {}}),
        json!({"filter": {"follow": ["ghost"]}}),
        json!({"filter": {"track": [""]}}),
        json!({"filter": {"track": ["x".repeat(61)]}}),
        json!({"filter": {"track": ["..."]}}),
        json!({"filter": {"locations": [[10, 0, 5, 1]]}}),
        json!({"filter": {"locations": [[0, 0, 181, 1]]}}),
        json!({"filter": {"locations": [[0, 0, 1]]}}),
        json!({"filter": {"shape": "circle"}}),
        json!("firehose"),
    ] {
        assert_eq!(
            c.err(json!({"op": "subscribe", "stream": stream.clone()}))
                .await,
            "bad_request",
            "{stream}"
        );
    }
    assert_eq!(
        c.err(json!({"op": "subscribe", "stream": {"firehose": true}, "since": "yesterday"}))
            .await,
        "bad_request"
    );
    let mut subs = Vec::new();
    for _ in 0..3 {
        subs.push(
            c.subscribe(json!({"op": "subscribe", "as": "a", "stream": {"firehose": true}}))
                .await,
        );
    }
    assert_eq!(
        c.err(json!({"op": "subscribe", "as": "a", "stream": {"firehose": true}}))
            .await,
        "rate_limited"
    );
    let mut other = roostd.client().await;
    other
        .subscribe(json!({"op": "subscribe", "as": "a", "stream": {"firehose": true}}))
        .await;
    assert_eq!(
        other
            .err(json!({"op": "subscribe", "as": "a", "stream": {"firehose": true}}))
            .await,
        "rate_limited"
    );

    assert_eq!(
        c.ok(json!({"op": "unsubscribe", "sub": subs[0]})).await,
        json!({"sub": subs[0]})
    );
    assert_eq!(
        c.err(json!({"op": "unsubscribe", "sub": subs[0]})).await,
        "not_found"
    );
    assert_eq!(
        other
            .err(json!({"op": "unsubscribe", "sub": subs[1]}))
            .await,
        "not_found",
        "not its subscription"
    );
    post(&mut other, "a", "after unsubscribe").await;
    let events = c.events_within(QUIET).await;
    let mut subs_seen: Vec<u64> = events.iter().map(|e| e["sub"].as_u64().unwrap()).collect();
    subs_seen.sort();
    assert_eq!(subs_seen, [subs[1], subs[2]], "{events:?}");
    let hello = c.ok(json!({"op": "hello"})).await;
    assert_eq!(hello["subscriptions"], 3);
    drop(c);
    assert!(eventually!(
        Duration::from_secs(5),
        other.ok(json!({"op": "hello"})).await["subscriptions"] == 1
    ));
}

/// Posts `n` statuses and returns their ids.
async fn post_many(c: &mut Client, login: &str, n: usize, text: &str) -> Vec<u64> {
    let requests: Vec<Value> = (0..n)
        .map(|i| json!({"op": "post", "as": login, "text": format!("{text} {i}")}))
        .collect();
    c.pipeline(&requests)
        .await
        .iter()
        .map(|r| r["result"]["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn since_replays_what_was_missed_after_a_disconnect_and_a_restart() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"filter": {"track": ["keep"]}}}))
        .await;
    post(&mut c, "a", "keep 0").await;
    let seen = watcher.event().await;
    let since = seen["eid"].as_str().unwrap().to_owned();
    drop(watcher);

    let missed = [
        post(&mut c, "a", "keep 1").await,
        post(&mut c, "a", "skip").await,
        post(&mut c, "a", "keep 2").await,
    ];
    let mut back = roostd.client().await;
    let sub = back
        .subscribe(
            json!({"op": "subscribe", "stream": {"filter": {"track": ["keep"]}}, "since": since}),
        )
        .await;
    let replayed = back.events_within(QUIET).await;
    assert_eq!(statuses(&replayed), [missed[0], missed[2]]);
    assert!(replayed.iter().all(|e| e["sub"] == sub));
    let live = post(&mut c, "a", "keep 3").await;
    assert_eq!(
        statuses(&back.events_within(QUIET).await),
        [live],
        "then live, without duplicates"
    );
    let last = replayed[1]["eid"].as_str().unwrap().to_owned();
    drop((back, c));

    roostd.terminate();
    roostd.restart();
    let mut c = roostd.client().await;
    let after_restart = post(&mut c, "a", "keep 4").await;
    let mut again = roostd.client().await;
    again
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}, "since": last}))
        .await;
    assert_eq!(
        statuses(&again.events_within(QUIET).await),
        [live, after_restart]
    );
}

#[tokio::test]
async fn replay_and_live_events_neither_repeat_nor_miss_under_load() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("a").await;
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    let first = post(&mut c, "a", "start").await;
    let since = watcher.event().await["eid"].as_str().unwrap().to_owned();
    let mut writer = roostd.client().await;
    let before = post_many(&mut writer, "a", 200, "before").await;
    // Subscribe with since while another client keeps posting.
    let posting = tokio::spawn(async move { post_many(&mut writer, "a", 300, "during").await });
    let mut late = roostd.client().await;
    late.subscribe(json!({"op": "subscribe", "stream": {"firehose": true}, "since": since}))
        .await;
    let during = posting.await.unwrap();
    let got = statuses(&late.events_within(Duration::from_millis(800)).await);
    let expected: Vec<u64> = before.iter().chain(&during).copied().collect();
    assert_eq!(got, expected, "every event after `since` once, in order");
    assert!(!got.contains(&first));
}

#[tokio::test]
async fn a_since_older_than_the_log_gets_gap_first() {
    let (_redis, roostd, mut c) = setup(&["--event-log-len", "1000"]).await;
    c.bot("a").await;
    let mut watcher = roostd.client().await;
    let sub = watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    post(&mut c, "a", "ancient").await;
    let since = watcher.event().await["eid"].as_str().unwrap().to_owned();
    drop(watcher);
    post_many(&mut c, "a", 3000, "filler").await;
    let mut back = roostd.client().await;
    let sub2 = back
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}, "since": since}))
        .await;
    let first = back.event().await;
    assert_eq!(first, json!({"event": "gap", "sub": sub2}), "not {first}");
    assert_ne!(sub, sub2);
    // A recent since has no gap.
    let recent = back.events_within(QUIET).await.last().unwrap()["eid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut fresh = roostd.client().await;
    fresh
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}, "since": recent}))
        .await;
    let id = post(&mut c, "a", "new").await;
    let events = fresh.events_within(QUIET).await;
    assert_eq!(statuses(&events), [id]);
    assert!(events.iter().all(|e| e["event"] != "gap"));
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_lags_and_delays_no_one() {
    let (_redis, roostd, mut c) =
        setup(&["--sub-buffer", "64", "--stall-timeout-ms", "60000"]).await;
    c.bot("a").await;
    let mut slow = roostd.client().await;
    let slow_sub = slow
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    let mut fast = roostd.client().await;
    fast.subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    // The fast subscriber reads all along; the slow one not at all for now.
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < 1500 {
            let e = fast.event().await;
            assert_eq!(
                e["event"], "status",
                "the fast subscriber lost nothing: {e}"
            );
            got.push(e["status"]["id"].as_u64().unwrap());
        }
        got
    });
    // Long statuses, so the slow client's socket buffer fills up too.
    let text = "x".repeat(900);
    let ids = post_many(&mut c, "a", 1500, &text).await;
    assert_eq!(reader.await.unwrap(), ids);
    // Now the slow one reads: what it got, then `lagged` with what it missed.
    let events = slow.events_within(Duration::from_secs(1)).await;
    let lagged: Vec<&Value> = events.iter().filter(|e| e["event"] == "lagged").collect();
    assert!(
        !lagged.is_empty(),
        "no lagged event among {} events",
        events.len()
    );
    let dropped: u64 = lagged.iter().map(|e| e["dropped"].as_u64().unwrap()).sum();
    let delivered = statuses(&events).len() as u64;
    assert_eq!(
        delivered + dropped,
        1500,
        "every event either delivered or counted as dropped"
    );
    assert!(lagged.iter().all(|e| e["sub"] == slow_sub));
    let id = post(&mut c, "a", "after the lag").await;
    assert_eq!(
        statuses(&slow.events_within(QUIET).await),
        [id],
        "the slow subscriber goes on"
    );
}

#[tokio::test]
async fn a_subscriber_that_never_reads_is_disconnected() {
    let (_redis, roostd, mut c) = setup(&["--sub-buffer", "4", "--stall-timeout-ms", "200"]).await;
    c.bot("a").await;
    let mut stuck = roostd.client().await;
    stuck
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    assert_eq!(c.ok(json!({"op": "hello"})).await["subscriptions"], 1);
    let text = "y".repeat(900);
    post_many(&mut c, "a", 800, &text).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    post_many(&mut c, "a", 50, &text).await;
    assert!(
        eventually!(
            Duration::from_secs(5),
            c.ok(json!({"op": "hello"})).await["subscriptions"] == 0
        ),
        "the stalled subscriber was not dropped"
    );
    // Its connection is closed: reading drains what was sent, then ends.
    let mut lines = 0;
    while let Some(_line) = tokio::time::timeout(Duration::from_secs(5), stuck.read_line())
        .await
        .expect("closed in time")
    {
        lines += 1;
    }
    assert!(lines < 850, "{lines}");
}

#[tokio::test]
async fn a_post_through_one_roostd_reaches_subscribers_of_another() {
    let redis = Redis::start();
    let one = Roostd::start(&redis, &[]);
    let two = Roostd::start(&redis, &[]);
    let mut c1 = one.client().await;
    let mut c2 = two.client().await;
    c1.bot("a").await;
    let mut watcher = two.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"filter": {"follow": ["a"]}}}))
        .await;
    let id = post(&mut c1, "a", "through one").await;
    assert_eq!(statuses(&watcher.events_within(QUIET).await), [id]);
    c2.ok(json!({"op": "delete", "as": "a", "status": id}))
        .await;
    let mut w1 = one.client().await;
    w1.subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    let id2 = post(&mut c2, "a", "through two").await;
    assert_eq!(statuses(&w1.events_within(QUIET).await), [id2]);
    let deletes = watcher.events_within(QUIET).await;
    assert_eq!(deletes[0]["event"], "delete");
}
