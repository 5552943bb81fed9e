//! Conversations (issue 9, the "Conversations" part of PROTOCOL-SOCIAL.md):
//! replies and threads, reposts, likes, mentions and tags, notifications,
//! trending and the importance order, over the socket.

use std::time::Duration;

use roost_tests::{Client, eventually, roostd_check};
use serde_json::{Value, json};

use crate::setup;

const WAIT: Duration = Duration::from_secs(20);

fn ids(list: &Value, key: &str) -> Vec<u64> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

async fn post(c: &mut Client, login: &str, text: &str) -> u64 {
    c.ok(json!({"op": "post", "as": login, "text": text})).await["id"]
        .as_u64()
        .unwrap()
}

async fn reply(c: &mut Client, login: &str, to: u64, text: &str) -> u64 {
    c.ok(json!({"op": "post", "as": login, "text": text, "reply_to": to}))
        .await["id"]
        .as_u64()
        .unwrap()
}

async fn timeline(c: &mut Client, login: &str, request: Value) -> Vec<u64> {
    let mut request = request;
    request["op"] = json!("timeline");
    request["as"] = json!(login);
    ids(&c.ok(request).await, "statuses")
}

/// The notifications of `login` as (kind, from, status id or 0), newest first.
async fn notifications(c: &mut Client, login: &str) -> Vec<(String, String, u64)> {
    let list = c
        .ok(json!({"op": "notifications", "as": login, "count": 200}))
        .await;
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["from"]["login"].as_str().unwrap().to_owned(),
                n["status"]["id"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn kinds(list: &[(String, String, u64)]) -> Vec<&str> {
    list.iter().map(|(k, _, _)| k.as_str()).collect()
}

async fn status(c: &mut Client, login: &str, sid: u64) -> Value {
    c.ok(json!({"op": "thread", "as": login, "status": sid}))
        .await["status"]
        .clone()
}

#[tokio::test]
async fn replies_make_threads_and_deleting_one_keeps_its_replies() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let root = post(&mut c, "alice", "what is the best key-value store?").await;
    let r1 = reply(&mut c, "bob", root, "@alice redis, of course").await;
    let r2 = reply(&mut c, "carol", r1, "agreed").await;
    let r3 = reply(&mut c, "carol", root, "a second answer").await;
    let r4 = reply(&mut c, "alice", r3, "thanks").await;

    let r1_status = status(&mut c, "carol", r1).await;
    assert_eq!(r1_status["reply_to"], root);
    assert_eq!(r1_status["reply_to_login"], "alice");
    assert_eq!(r1_status["mentions"], json!(["alice"]));
    assert_eq!(r1_status["replies"], 1);
    let thread = c
        .ok(json!({"op": "thread", "as": "bob", "status": root}))
        .await;
    assert_eq!(thread["ancestors"], json!([]));
    assert_eq!(thread["status"]["replies"], 2, "direct replies only");
    assert_eq!(
        ids(&thread, "replies"),
        [r1, r2, r3, r4],
        "depth first, oldest first"
    );
    let thread = c
        .ok(json!({"op": "thread", "as": "bob", "status": r2}))
        .await;
    assert_eq!(ids(&thread, "ancestors"), [root, r1], "root first");
    assert_eq!(thread["replies"], json!([]));
    let capped = c
        .ok(json!({"op": "thread", "as": "bob", "status": root, "count": 2}))
        .await;
    assert_eq!(ids(&capped, "replies"), [r1, r2]);
    for bad in [0, 1001] {
        assert_eq!(
            c.err(json!({"op": "thread", "as": "bob", "status": root, "count": bad}))
                .await,
            "bad_request"
        );
    }
    assert_eq!(
        c.err(json!({"op": "post", "as": "bob", "text": "x", "reply_to": 9999}))
            .await,
        "not_found"
    );
    assert_eq!(
        c.err(json!({"op": "thread", "as": "bob", "status": 9999}))
            .await,
        "not_found"
    );
    // The reply notifies its parent's author once, though it mentions them too;
    // replying to oneself notifies no one.
    assert_eq!(
        notifications(&mut c, "alice").await,
        [
            ("reply".to_owned(), "carol".to_owned(), r3),
            ("reply".to_owned(), "bob".to_owned(), r1),
        ]
    );
    assert_eq!(
        notifications(&mut c, "carol").await,
        [("reply".to_owned(), "alice".to_owned(), r4)]
    );
    let own = reply(&mut c, "alice", root, "replying to myself").await;
    assert_eq!(
        notifications(&mut c, "alice").await.len(),
        2,
        "a reply to oneself notifies no one"
    );
    c.ok(json!({"op": "delete", "as": "alice", "status": own}))
        .await;

    // Deleting a reply: its parent's count drops, its notification goes, and
    // its own replies keep their place.
    c.ok(json!({"op": "delete", "as": "bob", "status": r1}))
        .await;
    let thread = c
        .ok(json!({"op": "thread", "as": "carol", "status": root}))
        .await;
    assert_eq!(thread["status"]["replies"], 1);
    assert_eq!(ids(&thread, "replies"), [r2, r3, r4]);
    let thread = c
        .ok(json!({"op": "thread", "as": "carol", "status": r2}))
        .await;
    assert_eq!(
        ids(&thread, "ancestors"),
        [root],
        "a deleted ancestor is left out"
    );
    assert_eq!(
        notifications(&mut c, "alice").await,
        [("reply".to_owned(), "carol".to_owned(), r3)]
    );
    // A reply to a deleted status is refused.
    assert_eq!(
        c.err(json!({"op": "post", "as": "carol", "text": "x", "reply_to": r1}))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn mentions_and_tags_are_parsed_once_and_found_by_timeline() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("Alice").await;
    c.bot("Bob").await;
    let sid = post(
        &mut c,
        "alice",
        "hi @bob and @nobody, @BOB again; #Redis #redis, #Rust and a#b @alice",
    )
    .await;
    let s = status(&mut c, "bob", sid).await;
    assert_eq!(
        s["mentions"],
        json!(["Bob", "Alice"]),
        "canonical logins, in order, once"
    );
    assert_eq!(s["tags"], json!(["redis", "rust"]));
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "mentions"})).await,
        [sid]
    );
    assert_eq!(
        timeline(&mut c, "alice", json!({"kind": "mentions"})).await,
        [sid],
        "a self-mention is still a mention"
    );
    for tag in ["redis", "#REDIS", "Redis"] {
        assert_eq!(
            timeline(&mut c, "bob", json!({"kind": "tag", "tag": tag})).await,
            [sid],
            "{tag}"
        );
    }
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "tag", "tag": "b"})).await,
        Vec::<u64>::new(),
        "a # after a word character is no tag"
    );
    for bad in [
        json!({"kind": "tag"}),
        json!({"kind": "tag", "tag": "two words"}),
        json!({"kind": "tag", "tag": ""}),
        json!({"kind": "mentions", "login": "bob"}),
        json!({"kind": "home", "tag": "redis"}),
        json!({"kind": "profile", "order": "importance"}),
    ] {
        let mut request = bad.clone();
        request["op"] = json!("timeline");
        request["as"] = json!("bob");
        assert_eq!(c.err(request).await, "bad_request", "{bad}");
    }
    // A mention notifies the mentioned, never the author.
    assert_eq!(
        notifications(&mut c, "bob").await,
        [("mention".to_owned(), "Alice".to_owned(), sid)]
    );
    assert_eq!(notifications(&mut c, "alice").await, []);

    c.ok(json!({"op": "delete", "as": "alice", "status": sid}))
        .await;
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "mentions"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "tag", "tag": "rust"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(notifications(&mut c, "bob").await, []);
}

#[tokio::test]
async fn likes_count_their_set_and_notify_the_author() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let sid = post(&mut c, "alice", "like me").await;
    let other = post(&mut c, "carol", "me too").await;
    assert_eq!(
        c.ok(json!({"op": "like", "as": "bob", "status": sid}))
            .await,
        json!({"status": sid, "likes": 1})
    );
    assert_eq!(
        c.err(json!({"op": "like", "as": "bob", "status": sid}))
            .await,
        "conflict"
    );
    c.ok(json!({"op": "like", "as": "carol", "status": sid}))
        .await;
    c.ok(json!({"op": "like", "as": "alice", "status": sid}))
        .await;
    c.ok(json!({"op": "like", "as": "bob", "status": other}))
        .await;
    assert_eq!(
        c.err(json!({"op": "like", "as": "bob", "status": 9999}))
            .await,
        "not_found"
    );
    let s = status(&mut c, "bob", sid).await;
    assert_eq!(
        (s["likes"].clone(), s["liked"].clone()),
        (json!(3), json!(true))
    );
    let likers = c
        .ok(json!({"op": "likes", "as": "bob", "status": sid}))
        .await;
    let who: Vec<&str> = likers["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["login"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["alice", "carol", "bob"], "newest like first");
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "likes"})).await,
        [other, sid],
        "newest like first"
    );
    assert_eq!(
        timeline(&mut c, "alice", json!({"kind": "likes", "login": "bob"})).await,
        [other, sid]
    );
    assert_eq!(
        kinds(&notifications(&mut c, "alice").await),
        ["like", "like"],
        "none for liking one's own status"
    );

    assert_eq!(
        c.ok(json!({"op": "unlike", "as": "bob", "status": sid}))
            .await,
        json!({"status": sid, "likes": 2})
    );
    assert_eq!(
        c.err(json!({"op": "unlike", "as": "bob", "status": sid}))
            .await,
        "not_found"
    );
    assert_eq!(
        notifications(&mut c, "alice").await,
        [("like".to_owned(), "carol".to_owned(), sid)],
        "unliking takes its notification back"
    );
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "likes"})).await,
        [other]
    );
    // Deleting the status takes its likes, their notifications and the
    // likers' lists with it.
    c.ok(json!({"op": "delete", "as": "alice", "status": sid}))
        .await;
    assert_eq!(notifications(&mut c, "alice").await, []);
    assert_eq!(
        timeline(&mut c, "carol", json!({"kind": "likes"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        c.err(json!({"op": "likes", "as": "bob", "status": sid}))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn reposts_enter_homes_once_and_go_with_their_original() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol", "dave", "erin"] {
        c.bot(login).await;
    }
    for (who, whom) in [
        ("bob", "alice"),
        ("bob", "carol"),
        ("dave", "carol"),
        ("dave", "erin"),
    ] {
        c.ok(json!({"op": "follow", "as": who, "login": whom}))
            .await;
    }
    let original = post(&mut c, "alice", "worth passing on #redis").await;
    let by_carol = c
        .ok(json!({"op": "repost", "as": "carol", "status": original}))
        .await;
    assert_eq!(by_carol["repost_of"]["id"], original);
    assert_eq!(
        by_carol["text"], "worth passing on #redis",
        "a repost shows its original's text"
    );
    assert_eq!(by_carol["tags"], json!(["redis"]));
    assert_eq!(by_carol["reposted"], true);
    let carol_repost = by_carol["id"].as_u64().unwrap();
    assert_eq!(
        c.err(json!({"op": "repost", "as": "carol", "status": original}))
            .await,
        "conflict"
    );
    assert_eq!(
        c.err(json!({"op": "repost", "as": "carol", "status": carol_repost}))
            .await,
        "conflict",
        "reposting a repost reposts its original"
    );
    let erin_repost = c
        .ok(json!({"op": "repost", "as": "erin", "status": carol_repost}))
        .await["id"]
        .as_u64()
        .unwrap();
    // Bob's home holds the original: no repost enters it. Dave's holds one
    // repost of it, not two.
    assert_eq!(c.home_ids("bob", 30).await, [original]);
    assert_eq!(c.home_ids("dave", 30).await, [carol_repost]);
    // The same rule when a follow copies statuses home.
    c.ok(json!({"op": "follow", "as": "bob", "login": "erin"}))
        .await;
    assert_eq!(c.home_ids("bob", 30).await, [original]);
    let shown = c.home("dave", 30).await;
    assert_eq!(shown[0]["repost_of"]["reposts"], 2);
    assert_eq!(shown[0]["reposts"], 2);
    assert_eq!(
        timeline(&mut c, "carol", json!({"kind": "profile"})).await,
        [carol_repost]
    );
    assert_eq!(
        c.ok(json!({"op": "user", "login": "carol"})).await["posts"],
        1,
        "posts counts reposts"
    );
    assert_eq!(
        timeline(&mut c, "bob", json!({"kind": "tag", "tag": "redis"})).await,
        [original],
        "reposts stay out of tag timelines"
    );
    let trending = c.ok(json!({"op": "trending", "as": "bob"})).await;
    assert_eq!(trending["tags"], json!([{"tag": "redis", "statuses": 1}]));
    assert_eq!(
        notifications(&mut c, "alice").await,
        [
            ("repost".to_owned(), "erin".to_owned(), erin_repost),
            ("repost".to_owned(), "carol".to_owned(), carol_repost),
            ("follow".to_owned(), "bob".to_owned(), 0),
        ]
    );
    // Own status: allowed, and no notification.
    c.ok(json!({"op": "repost", "as": "alice", "status": original}))
        .await;
    assert_eq!(notifications(&mut c, "alice").await.len(), 3);

    assert_eq!(
        c.ok(json!({"op": "unrepost", "as": "carol", "status": original}))
            .await,
        json!({"unreposted": original})
    );
    assert_eq!(
        c.err(json!({"op": "unrepost", "as": "carol", "status": original}))
            .await,
        "not_found"
    );
    assert_eq!(status(&mut c, "bob", original).await["reposts"], 2);
    assert!(
        eventually!(WAIT, !c.home_ids("dave", 30).await.contains(&carol_repost)),
        "an unrepost leaves followers' homes"
    );
    assert_eq!(notifications(&mut c, "alice").await.len(), 2);

    // Deleting the original deletes its reposts; deleting a repost leaves
    // the original.
    let other = post(&mut c, "alice", "another").await;
    let kept = c
        .ok(json!({"op": "repost", "as": "carol", "status": other}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "delete", "as": "carol", "status": kept}))
        .await;
    assert_eq!(status(&mut c, "bob", other).await["reposts"], 0);
    c.ok(json!({"op": "delete", "as": "alice", "status": original}))
        .await;
    assert!(
        eventually!(
            WAIT,
            c.ok(json!({"op": "user", "login": "erin"})).await["posts"] == 0
        ),
        "erin's repost went with its original"
    );
    assert!(eventually!(WAIT, c.home_ids("dave", 30).await.is_empty()));
    assert_eq!(kinds(&notifications(&mut c, "alice").await), ["follow"]);
    assert_eq!(
        c.err(json!({"op": "repost", "as": "dave", "status": original}))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn notifications_stream_live_resume_and_keep_a_marker() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob"] {
        c.bot(login).await;
    }
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "as": "alice", "stream": {"notifications": true}}))
        .await;
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    let follow = watcher.event().await;
    assert_eq!(follow["event"], "notification");
    assert_eq!(follow["notification"]["kind"], "follow");
    assert_eq!(follow["notification"]["from"]["login"], "bob");
    assert!(follow["notification"].get("status").is_none());
    let sid = post(&mut c, "alice", "hello").await;
    c.ok(json!({"op": "like", "as": "bob", "status": sid}))
        .await;
    let reply_id = reply(&mut c, "bob", sid, "hi @alice").await;
    post(&mut c, "bob", "not about alice").await;
    let like = watcher.event().await;
    assert_eq!(like["notification"]["kind"], "like");
    assert_eq!(like["notification"]["status"]["id"], sid);
    let replied = watcher.event().await;
    assert_eq!(replied["notification"]["kind"], "reply");
    assert_eq!(replied["notification"]["status"]["id"], reply_id);
    assert!(
        watcher
            .events_within(Duration::from_millis(300))
            .await
            .is_empty(),
        "one notification for a reply that also mentions"
    );

    // Resume after the follow: the like and the reply again, nothing else.
    let mut resumed = roostd.client().await;
    resumed
        .subscribe(
            json!({"op": "subscribe", "as": "alice", "since": follow["eid"],
                          "stream": {"notifications": true}}),
        )
        .await;
    let again: Vec<Value> = vec![resumed.event().await, resumed.event().await];
    assert_eq!(
        again
            .iter()
            .map(|e| e["notification"]["id"].clone())
            .collect::<Vec<_>>(),
        [
            like["notification"]["id"].clone(),
            replied["notification"]["id"].clone()
        ]
    );
    // Bob's own stream has nothing of alice's.
    let mut bobs = roostd.client().await;
    bobs.subscribe(json!({"op": "subscribe", "as": "bob", "stream": {"notifications": true}}))
        .await;
    c.ok(json!({"op": "like", "as": "bob", "status": reply_id}))
        .await;
    assert!(
        bobs.events_within(Duration::from_millis(300))
            .await
            .is_empty()
    );

    // Unread counts and the marker.
    let list = c.ok(json!({"op": "notifications", "as": "alice"})).await;
    assert_eq!(list["unread"], 3);
    let newest = &list["notifications"][0];
    let oldest = &list["notifications"][2];
    let marker = c
        .ok(json!({"op": "marker", "as": "alice", "notifications": oldest["id"]}))
        .await;
    assert_eq!(marker["notifications"], oldest["id"]);
    assert_eq!(marker["notifications_unread"], 2);
    c.ok(json!({"op": "marker", "as": "alice", "notifications": newest["id"]}))
        .await;
    assert_eq!(
        c.ok(json!({"op": "notifications", "as": "alice"})).await["unread"],
        0
    );
    // Unfollowing takes the follow notification back; the unread count counts
    // what is there.
    c.ok(json!({"op": "unfollow", "as": "bob", "login": "alice"}))
        .await;
    assert_eq!(
        kinds(&notifications(&mut c, "alice").await),
        ["reply", "like"]
    );
    let mut anonymous = roostd.client().await;
    assert_eq!(
        anonymous
            .err(json!({"op": "subscribe", "stream": {"notifications": true}}))
            .await,
        "not_registered"
    );
    assert_eq!(
        anonymous.err(json!({"op": "notifications"})).await,
        "not_registered"
    );
}

#[tokio::test]
async fn trending_counts_tags_per_status_over_the_window() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    post(&mut c, "alice", "#redis #redis #REDIS counts once").await;
    post(&mut c, "alice", "#redis and #rust").await;
    let gone = post(&mut c, "alice", "#rust #tui").await;
    post(&mut c, "alice", "#zig").await;
    let trending = c.ok(json!({"op": "trending", "as": "alice"})).await;
    assert_eq!(
        trending["tags"],
        json!([
            {"tag": "redis", "statuses": 2},
            {"tag": "rust", "statuses": 2},
            {"tag": "tui", "statuses": 1},
            {"tag": "zig", "statuses": 1},
        ]),
        "most first, ties by tag"
    );
    c.ok(json!({"op": "delete", "as": "alice", "status": gone}))
        .await;
    let trending = c
        .ok(json!({"op": "trending", "as": "alice", "hours": 24}))
        .await;
    assert_eq!(
        trending["tags"],
        json!([
            {"tag": "redis", "statuses": 2},
            {"tag": "rust", "statuses": 1},
            {"tag": "zig", "statuses": 1},
        ])
    );
    for bad in [0, 25] {
        assert_eq!(
            c.err(json!({"op": "trending", "as": "alice", "hours": bad}))
                .await,
            "bad_request"
        );
    }
}

#[tokio::test]
async fn home_by_importance_ranks_votes_above_age() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    c.ok(json!({"op": "follow", "as": "alice", "login": "bob"}))
        .await;
    let liked = post(&mut c, "bob", "popular").await;
    let replied = post(&mut c, "bob", "discussed").await;
    let plain = post(&mut c, "bob", "newest, ignored").await;
    c.ok(json!({"op": "like", "as": "carol", "status": liked}))
        .await;
    reply(&mut c, "carol", replied, "a reply").await;
    c.ok(json!({"op": "like", "as": "alice", "status": replied}))
        .await;
    let ranked = timeline(
        &mut c,
        "alice",
        json!({"kind": "home", "order": "importance"}),
    )
    .await;
    assert_eq!(ranked, [replied, liked, plain]);
    let second = timeline(
        &mut c,
        "alice",
        json!({"kind": "home", "order": "importance", "count": 2, "page": 2}),
    )
    .await;
    assert_eq!(second, [plain]);
    assert_eq!(
        timeline(&mut c, "alice", json!({"kind": "home"})).await,
        [plain, replied, liked],
        "newest first stays the default"
    );
}

#[tokio::test]
async fn counts_equal_their_sets_under_concurrent_likes_replies_and_deletes() {
    let (redis, roostd, mut c) = setup(&[]).await;
    c.bot("star").await;
    let sid = post(&mut c, "star", "everyone at once").await;
    let fans: Vec<String> = (0..24).map(|i| format!("fan{i}")).collect();
    for fan in &fans {
        c.bot(fan).await;
    }
    let mut tasks = Vec::new();
    for (i, fan) in fans.iter().enumerate() {
        let mut client = roostd.client().await;
        let fan = fan.clone();
        tasks.push(tokio::spawn(async move {
            // Likes and unlikes race, twice over; replies come and go.
            for round in 0..2 {
                client
                    .call(json!({"op": "like", "as": fan, "status": sid}))
                    .await;
                client
                    .call(json!({"op": "like", "as": fan, "status": sid}))
                    .await;
                if (i + round) % 3 == 0 {
                    client
                        .call(json!({"op": "unlike", "as": fan, "status": sid}))
                        .await;
                }
            }
            client
                .ok(json!({"op": "repost", "as": fan, "status": sid}))
                .await;
            if i % 4 == 0 {
                client
                    .ok(json!({"op": "unrepost", "as": fan, "status": sid}))
                    .await;
            }
            let r = client
                .ok(json!({"op": "post", "as": fan, "text": "re", "reply_to": sid}))
                .await["id"]
                .as_u64()
                .unwrap();
            if i % 2 == 0 {
                client
                    .ok(json!({"op": "delete", "as": fan, "status": r}))
                    .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = status(&mut c, "star", sid).await;
    let likers = c
        .ok(json!({"op": "likes", "as": "star", "status": sid, "count": 200}))
        .await;
    assert_eq!(
        s["likes"],
        likers["users"].as_array().unwrap().len(),
        "likes equals the likes list"
    );
    let expected_likes = (0..24).filter(|i| (i + 1) % 3 != 0).count();
    assert_eq!(s["likes"], expected_likes);
    let thread = c
        .ok(json!({"op": "thread", "as": "star", "status": sid}))
        .await;
    assert_eq!(s["replies"], 12);
    assert_eq!(s["reposts"], 18, "24 reposts, 6 taken back");
    assert_eq!(thread["replies"].as_array().unwrap().len(), 12);
    let likes = notifications(&mut c, "star")
        .await
        .into_iter()
        .filter(|(k, _, _)| k == "like")
        .count();
    assert_eq!(
        likes, expected_likes,
        "one like notification per like that stands"
    );
    let (clean, report) = roostd_check(&redis, false);
    assert!(clean, "{report}");
}

#[tokio::test]
async fn an_account_keeps_its_newest_thousand_notifications() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("target").await;
    c.bot("spammer").await;
    let posts: Vec<Value> = (0..1010)
        .map(|i| json!({"op": "post", "as": "spammer", "text": format!("@target {i}")}))
        .collect();
    for r in c.pipeline(&posts).await {
        assert_eq!(r["ok"], true, "{r}");
    }
    let marker = c.ok(json!({"op": "marker", "as": "target"})).await;
    assert_eq!(marker["notifications_unread"], 1000);
    let last = c
        .ok(json!({"op": "notifications", "as": "target", "page": 5, "count": 200}))
        .await;
    let oldest = last["notifications"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        oldest["status"]["text"], "@target 10",
        "the oldest ten went"
    );
    let beyond = c
        .ok(json!({"op": "notifications", "as": "target", "page": 6, "count": 200}))
        .await;
    assert_eq!(beyond["notifications"], json!([]));
}
