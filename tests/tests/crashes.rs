//! Crash safety (issue 8): roostd is aborted at each step of a multi-step
//! write (named crash points, `ROOST_CRASH_AT`, as a kill -9 there would stop
//! it) while another roostd on the same Redis goes on; the write is finished
//! exactly once or leaves no trace: nothing lost, nothing invented.

use std::time::Duration;

use roost_tests::{Client, Redis, Roostd, eventually, roostd_check};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);
const FLAGS: [&str; 4] = ["--fanout-batch", "5", "--job-claim-idle-ms", "300"];

/// A Redis, a healthy roostd with a client, and `star` with 12 followers: more
/// than two fan-out batches.
async fn world() -> (Redis, Roostd, Client, Vec<String>) {
    let redis = Redis::start();
    let healthy = Roostd::start(&redis, &FLAGS);
    let mut c = healthy.client().await;
    c.bot("star").await;
    let fans: Vec<String> = (0..12).map(|i| format!("f{i}")).collect();
    for fan in &fans {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    (redis, healthy, c, fans)
}

/// A second roostd on the same Redis that aborts at `point`.
fn crashing(redis: &Redis, point: &str) -> Roostd {
    let mut args = vec!["--redis".to_owned(), redis.url()];
    args.extend(FLAGS.iter().map(|s| s.to_string()));
    Roostd::start_with(args, vec![("ROOST_CRASH_AT".into(), point.into())])
}

/// `roostd check` finds nothing (once cleanup jobs have run).
async fn consistent(redis: &Redis) {
    let clean = eventually!(WAIT, roostd_check(redis, false).0);
    assert!(clean, "{}", roostd_check(redis, false).1);
}

/// Star's profile holds nothing, and status `sid` cannot be deleted (again).
async fn gone_for_good(c: &mut Client, sid: u64) {
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "star"}))
        .await;
    assert_eq!(profile["statuses"], json!([]));
    assert_eq!(
        c.err(json!({"op": "delete", "as": "star", "status": sid}))
            .await,
        "not_found"
    );
}

/// Sends `request` to a roostd that must die on it.
async fn dies_on(roostd: &Roostd, request: serde_json::Value) {
    let mut c = roostd.client().await;
    c.send(&request).await;
    assert_eq!(c.read_line().await, None, "roostd answered {request}");
}

/// Sends `request`, which queues background work `roostd` must die in
/// (before or after answering), and waits until it has.
async fn dies_after(roostd: &Roostd, c: &mut Client, request: serde_json::Value, what: &str) {
    c.send(&request).await;
    let _ = c.read_line().await;
    let pid = roostd.pid();
    assert!(
        eventually!(WAIT, !roost_tests::pid_alive(pid)),
        "roostd did not crash in {what}"
    );
}

/// How many of `logins` have status `sid` in their home timeline.
async fn holders(c: &mut Client, logins: &[String], sid: u64) -> usize {
    let mut n = 0;
    for login in logins {
        n += c
            .home(login, 50)
            .await
            .iter()
            .filter(|s| s["id"].as_u64() == Some(sid))
            .count();
    }
    n
}

/// How many events of `kind` for status `sid` the event log holds.
fn logged(redis: &Redis, kind: &str, sid: u64) -> usize {
    let lines = redis.cli_lines(&["XRANGE", "{roost}:events", "-", "+"]);
    let sid = sid.to_string();
    lines
        .windows(4)
        .filter(|w| w[0] == "kind" && w[1] == kind && w[2] == "id" && w[3] == sid)
        .count()
}

fn pending(redis: &Redis) -> u64 {
    let n = redis.cli(&["ZCARD", "{roost}:pending_posts"]);
    n.trim().parse().unwrap()
}

fn last_status_id(redis: &Redis) -> u64 {
    redis
        .cli(&["GET", "{roost}:next_status"])
        .trim()
        .parse()
        .unwrap()
}

async fn posts_of_star(c: &mut Client) -> u64 {
    c.ok(json!({"op": "user", "login": "star"})).await["posts"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_post_interrupted_after_it_was_written_is_finished_exactly_once() {
    for point in ["post.written", "post.first_page", "post.published"] {
        let (redis, _healthy, mut c, fans) = world().await;
        let doomed = crashing(&redis, point);
        dies_on(
            &doomed,
            json!({"op": "post", "as": "star", "text": "mid-crash"}),
        )
        .await;
        let sid = last_status_id(&redis);
        assert!(
            eventually!(WAIT, holders(&mut c, &fans, sid).await == fans.len()),
            "{point}: a follower never got the status"
        );
        assert!(eventually!(WAIT, pending(&redis) == 0), "{point}");
        assert_eq!(logged(&redis, "status", sid), 1, "{point}: logged once");
        assert_eq!(posts_of_star(&mut c).await, 1, "{point}");
        // Not a ghost: its author can delete it, and it leaves every home.
        c.ok(json!({"op": "delete", "as": "star", "status": sid}))
            .await;
        assert!(
            eventually!(WAIT, holders(&mut c, &fans, sid).await == 0),
            "{point}: the delete did not reach every home"
        );
        assert_eq!(posts_of_star(&mut c).await, 0, "{point}");
        // A late finisher can't bring a deleted status back.
        assert_eq!(logged(&redis, "status", sid), 1, "{point}");
        consistent(&redis).await;
    }
}

#[tokio::test]
async fn a_post_interrupted_before_it_was_written_leaves_no_trace() {
    let (redis, _healthy, mut c, fans) = world().await;
    let doomed = crashing(&redis, "post.allocated");
    dies_on(
        &doomed,
        json!({"op": "post", "as": "star", "text": "never"}),
    )
    .await;
    let sid = last_status_id(&redis);
    assert!(eventually!(WAIT, pending(&redis) == 0));
    assert_eq!(logged(&redis, "status", sid), 0, "no event for it");
    assert_eq!(holders(&mut c, &fans, sid).await, 0);
    assert_eq!(posts_of_star(&mut c).await, 0);
    gone_for_good(&mut c, sid).await;
    consistent(&redis).await;
}

#[tokio::test]
async fn a_delete_interrupted_after_its_claim_is_finished() {
    let (redis, _healthy, mut c, fans) = world().await;
    let sid = c
        .ok(json!({"op": "post", "as": "star", "text": "soon gone"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert!(eventually!(
        WAIT,
        holders(&mut c, &fans, sid).await == fans.len()
    ));
    let doomed = crashing(&redis, "delete.claimed");
    dies_on(
        &doomed,
        json!({"op": "delete", "as": "star", "status": sid}),
    )
    .await;
    assert!(
        eventually!(WAIT, holders(&mut c, &fans, sid).await == 0),
        "the cleanup was lost"
    );
    assert!(eventually!(WAIT, posts_of_star(&mut c).await == 0));
    assert_eq!(logged(&redis, "delete", sid), 1);
    gone_for_good(&mut c, sid).await;
    consistent(&redis).await;
}

#[tokio::test]
async fn a_follow_interrupted_after_its_event_is_logged_once() {
    let (redis, _healthy, mut c, _fans) = world().await;
    c.bot("late").await;
    let doomed = crashing(&redis, "follow.logged");
    dies_on(
        &doomed,
        json!({"op": "follow", "as": "late", "login": "star"}),
    )
    .await;
    // Another roostd finishes the change (its outbox entry), without logging
    // the event a second time.
    let finished = eventually!(WAIT, {
        let star = c.ok(json!({"op": "user", "login": "star"})).await;
        let outbox = redis.cli(&["HLEN", &format!("{{roost:u{}}}:outbox", star["id"])]);
        outbox.trim() == "0"
    });
    assert!(finished, "the follow's outbox entry was never finished");
    let lines = redis.cli_lines(&["XRANGE", "{roost}:events", "-", "+"]);
    let follows = lines
        .windows(2)
        .filter(|w| w[0] == "kind" && w[1] == "follow")
        .count();
    // star's 12 followers, and late once.
    assert_eq!(follows, 13, "a follow event was logged twice or lost");
    let late = c.ok(json!({"op": "user", "login": "late"})).await;
    assert_eq!(late["following"], 1);
    consistent(&redis).await;
}

/// How many notification events the log holds.
fn notification_events(redis: &Redis) -> usize {
    redis
        .cli_lines(&["XRANGE", "{roost}:events", "-", "+"])
        .windows(2)
        .filter(|w| w[0] == "kind" && w[1] == "notification")
        .count()
}

fn pending_acts(redis: &Redis) -> u64 {
    let n = redis.cli(&["ZCARD", "{roost}:pending_acts"]);
    n.trim().parse().unwrap()
}

/// The kinds of `login`'s notifications, newest first.
async fn notification_kinds(c: &mut Client, login: &str) -> Vec<String> {
    let list = c
        .ok(json!({"op": "notifications", "as": login, "count": 200}))
        .await;
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_reply_interrupted_anywhere_links_and_notifies_exactly_once() {
    for point in ["post.written", "post.first_page", "post.linked"] {
        let (redis, _healthy, mut c, fans) = world().await;
        let parent = c
            .ok(json!({"op": "post", "as": "star", "text": "ask me"}))
            .await["id"]
            .as_u64()
            .unwrap();
        let before = notification_events(&redis);
        let doomed = crashing(&redis, point);
        dies_on(
            &doomed,
            json!({"op": "post", "as": "f0", "text": "@f1 look", "reply_to": parent}),
        )
        .await;
        assert!(eventually!(WAIT, pending(&redis) == 0), "{point}");
        let thread = c
            .ok(json!({"op": "thread", "as": "star", "status": parent}))
            .await;
        assert_eq!(thread["status"]["replies"], 1, "{point}");
        assert_eq!(thread["replies"].as_array().unwrap().len(), 1, "{point}");
        let star = notification_kinds(&mut c, "star").await;
        assert_eq!(star[0], "reply", "{point}");
        assert_eq!(star.iter().filter(|k| *k == "reply").count(), 1, "{point}");
        assert_eq!(
            notification_kinds(&mut c, &fans[1]).await,
            ["mention"],
            "{point}"
        );
        assert_eq!(
            notification_events(&redis) - before,
            2,
            "{point}: each notification logged once"
        );
        consistent(&redis).await;
    }
}

#[tokio::test]
async fn a_like_interrupted_before_its_step_leaves_no_trace_and_after_it_is_finished() {
    for (point, liked) in [("like.hinted", false), ("like.liked", true)] {
        let (redis, _healthy, mut c, _fans) = world().await;
        let sid = c
            .ok(json!({"op": "post", "as": "star", "text": "like me"}))
            .await["id"]
            .as_u64()
            .unwrap();
        let before = notification_events(&redis);
        let doomed = crashing(&redis, point);
        dies_on(&doomed, json!({"op": "like", "as": "f0", "status": sid})).await;
        assert!(eventually!(WAIT, pending_acts(&redis) == 0), "{point}");
        let n = u64::from(liked);
        let thread = c
            .ok(json!({"op": "thread", "as": "f0", "status": sid}))
            .await;
        assert_eq!(thread["status"]["likes"], n, "{point}");
        assert_eq!(thread["status"]["liked"], liked, "{point}");
        let likes = c
            .ok(json!({"op": "timeline", "kind": "likes", "as": "f0"}))
            .await;
        assert_eq!(
            likes["statuses"].as_array().unwrap().len() as u64,
            n,
            "{point}"
        );
        assert_eq!(
            notification_kinds(&mut c, "star").await.len() as u64 - 12,
            n,
            "{point}: star has its 12 follow notifications and the like's"
        );
        assert_eq!(notification_events(&redis) - before, n as usize, "{point}");
        consistent(&redis).await;
    }
}

#[tokio::test]
async fn a_repost_interrupted_is_taken_back_or_finished() {
    for (point, stands) in [("repost.claimed", false), ("post.written", true)] {
        let (redis, _healthy, mut c, _fans) = world().await;
        c.bot("reader").await;
        c.ok(json!({"op": "follow", "as": "reader", "login": "f0"}))
            .await;
        let sid = c
            .ok(json!({"op": "post", "as": "star", "text": "pass it on"}))
            .await["id"]
            .as_u64()
            .unwrap();
        let doomed = crashing(&redis, point);
        dies_on(&doomed, json!({"op": "repost", "as": "f0", "status": sid})).await;
        assert!(eventually!(WAIT, pending(&redis) == 0), "{point}");
        let n = u64::from(stands);
        let thread = c
            .ok(json!({"op": "thread", "as": "f0", "status": sid}))
            .await;
        assert_eq!(thread["status"]["reposts"], n, "{point}");
        assert_eq!(thread["status"]["reposted"], stands, "{point}");
        let f0 = c.ok(json!({"op": "user", "login": "f0"})).await;
        assert_eq!(f0["posts"], n, "{point}");
        let home = c.home_ids("reader", 10).await;
        assert_eq!(home.len() as u64, n, "{point}: {home:?}");
        let reposts = notification_kinds(&mut c, "star")
            .await
            .iter()
            .filter(|k| *k == "repost")
            .count() as u64;
        assert_eq!(reposts, n, "{point}");
        // Either way, a repost can be made (again) or is there to take back.
        if stands {
            c.ok(json!({"op": "unrepost", "as": "f0", "status": sid}))
                .await;
        } else {
            c.ok(json!({"op": "repost", "as": "f0", "status": sid}))
                .await;
        }
        consistent(&redis).await;
    }
}

#[tokio::test]
async fn a_delete_interrupted_in_its_cascade_is_finished() {
    let (redis, _healthy, mut c, fans) = world().await;
    let parent = c
        .ok(json!({"op": "post", "as": "star", "text": "root"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let sid = c
        .ok(json!({"op": "post", "as": "f0", "text": "@f1 #crash", "reply_to": parent}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "like", "as": "f2", "status": sid})).await;
    let doomed = crashing(&redis, "delete.unlinked");
    dies_on(&doomed, json!({"op": "delete", "as": "f0", "status": sid})).await;
    let done = eventually!(WAIT, {
        let thread = c
            .ok(json!({"op": "thread", "as": "star", "status": parent}))
            .await;
        thread["status"]["replies"] == 0
    });
    assert!(done, "the parent still counts the deleted reply");
    assert!(eventually!(
        WAIT,
        c.ok(json!({"op": "notifications", "as": "f0"})).await["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "like")
    ));
    assert_eq!(
        notification_kinds(&mut c, &fans[1]).await,
        Vec::<String>::new()
    );
    let tag = c
        .ok(json!({"op": "timeline", "kind": "tag", "tag": "crash", "as": "f1"}))
        .await;
    assert_eq!(tag["statuses"], json!([]));
    consistent(&redis).await;
}

#[tokio::test]
async fn a_direct_message_interrupted_after_it_was_stored_is_delivered_once() {
    let (redis, _healthy, mut c, _fans) = world().await;
    let before = redis
        .cli_lines(&["XRANGE", "{roost}:events", "-", "+"])
        .windows(2)
        .filter(|w| w[0] == "kind" && w[1] == "message")
        .count();
    let doomed = crashing(&redis, "dm.sent");
    dies_on(
        &doomed,
        json!({"op": "dm", "as": "f0", "to": ["f1"], "text": "still there?"}),
    )
    .await;
    assert!(eventually!(WAIT, pending_acts(&redis) == 0));
    let list = c.ok(json!({"op": "conversations", "as": "f1"})).await;
    assert_eq!(list["conversations"][0]["last"]["text"], "still there?");
    assert_eq!(list["conversations"][0]["unread"], 1);
    let sender = c.ok(json!({"op": "conversations", "as": "f0"})).await;
    assert_eq!(
        sender["conversations"][0]["unread"], 0,
        "the sender read their own"
    );
    let logged = redis
        .cli_lines(&["XRANGE", "{roost}:events", "-", "+"])
        .windows(2)
        .filter(|w| w[0] == "kind" && w[1] == "message")
        .count();
    assert_eq!(logged - before, 1, "its event logged once");
    consistent(&redis).await;
}

#[tokio::test]
async fn a_mute_interrupted_before_its_event_still_reaches_the_streams() {
    let (redis, healthy, mut c, _fans) = world().await;
    let mut watcher = healthy.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "as": "f0", "stream": {"firehose": true}}))
        .await;
    let doomed = crashing(&redis, "mute.recorded");
    dies_on(&doomed, json!({"op": "mute", "as": "f0", "login": "star"})).await;
    assert!(eventually!(WAIT, pending_acts(&redis) == 0));
    // The healthy roostd learnt the mute from its event: f0's stream,
    // subscribed before it, leaves star out now.
    c.ok(json!({"op": "post", "as": "star", "text": "muted, unseen"}))
        .await;
    let seen = c
        .ok(json!({"op": "post", "as": "f1", "text": "not muted, seen"}))
        .await["id"]
        .clone();
    let event = watcher.event().await;
    assert_eq!(event["status"]["id"], seen, "{event}");
    assert_eq!(
        c.err(json!({"op": "mute", "as": "f0", "login": "star"}))
            .await,
        "conflict",
        "the mute stands"
    );
    consistent(&redis).await;
}

/// A promotion to merged home reads (and the demotion back) interrupted by a
/// crash, after its first step or after a page of followers, is finished by
/// the next roostd: every home whole throughout, the mode where it belongs.
#[tokio::test]
async fn a_fanout_mode_change_interrupted_is_finished_by_the_next_roostd() {
    for point in ["fanout_mode.started", "fanout_mode.walked"] {
        let redis = Redis::start();
        let flags = [&FLAGS[..], &["--celebrity-threshold", "12"]].concat();
        let start = |crash_at: Option<&str>| {
            let mut args = vec!["--redis".to_owned(), redis.url()];
            args.extend(flags.iter().map(|s| s.to_string()));
            let env = crash_at.map(|p| ("ROOST_CRASH_AT".to_owned(), p.to_owned()));
            Roostd::start_with(args, env.into_iter().collect())
        };
        // Alone on the Redis, so its worker takes the change and dies in it.
        let doomed = start(Some(point));
        let mut c = doomed.client().await;
        c.bot("star").await;
        let fans: Vec<String> = (0..12).map(|i| format!("f{i}")).collect();
        for fan in &fans {
            c.bot(fan).await;
        }
        let first = c
            .ok(json!({"op": "post", "as": "star", "text": "before"}))
            .await["id"]
            .as_u64()
            .unwrap();
        for fan in &fans[..11] {
            c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
                .await;
        }
        // The twelfth queues the promotion.
        let twelfth = json!({"op": "follow", "as": fans[11], "login": "star"});
        dies_after(&doomed, &mut c, twelfth, &format!("{point}: the promotion")).await;
        let healthy = start(None);
        let mut c = healthy.client().await;
        let star = c.ok(json!({"op": "user", "login": "star"})).await["id"]
            .as_u64()
            .unwrap();
        let mode = || {
            redis
                .cli(&["HGET", &format!("{{roost:u{star}}}:counts"), "fanout"])
                .trim()
                .to_owned()
        };
        assert!(eventually!(WAIT, mode() == "merge"), "{point}: {}", mode());
        let second = c
            .ok(json!({"op": "post", "as": "star", "text": "merged"}))
            .await["id"]
            .as_u64()
            .unwrap();
        for fan in &fans {
            assert_eq!(c.home_ids(fan, 10).await, [second, first], "{point}: {fan}");
        }
        consistent(&redis).await;
        drop(c);
        drop(healthy);

        // Back below half: the demotion dies in its walk, and is finished.
        let doomed = start(Some("fanout_mode.walked"));
        let mut c = doomed.client().await;
        for fan in &fans[6..] {
            c.ok(json!({"op": "unfollow", "as": fan, "login": "star"}))
                .await;
        }
        // Five left, below half the threshold: the demotion is queued.
        let sixth = json!({"op": "unfollow", "as": fans[5], "login": "star"});
        dies_after(&doomed, &mut c, sixth, "the demotion").await;
        let healthy = start(None);
        let mut c = healthy.client().await;
        assert!(eventually!(WAIT, mode().is_empty()), "{}", mode());
        for fan in &fans[..5] {
            assert_eq!(
                c.home_ids(fan, 10).await,
                [second, first],
                "{fan} after the demotion"
            );
        }
        for fan in &fans[5..] {
            assert!(c.home_ids(fan, 10).await.is_empty(), "{fan} left");
        }
        consistent(&redis).await;
    }
}
