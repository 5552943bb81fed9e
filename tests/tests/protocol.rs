//! Every op and rule of the protocol, over the socket.

use serde_json::{Value, json};

use crate::setup;

fn ids(statuses: &Value) -> Vec<u64> {
    statuses["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

fn logins(users: &Value) -> Vec<String> {
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["login"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn hello_then_register_as_the_unix_user() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    let hello = c.ok(json!({"op": "hello"})).await;
    assert_eq!(hello["protocol"], 2, "PROTOCOL-SOCIAL.md, whole");
    assert!(
        hello["server"].as_str().unwrap().starts_with("roostd "),
        "{hello}"
    );
    assert_eq!(hello["you"], Value::Null);
    assert_eq!(hello["operator"], true, "the tests run as an operator");
    assert_eq!(
        c.err(json!({"op": "post", "text": "too soon"})).await,
        "not_registered"
    );
    assert_eq!(
        c.err(json!({"op": "timeline", "kind": "home"})).await,
        "not_registered"
    );

    let me = c
        .ok(json!({"op": "register", "name": "The Operator"}))
        .await;
    let unix_name = roost_tests_unix_name();
    assert_eq!(me["login"], json!(unix_name));
    assert_eq!(me["name"], "The Operator");
    assert_eq!(
        (
            me["followers"].as_u64(),
            me["following"].as_u64(),
            me["posts"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    let signup = me["signup"].as_str().unwrap();
    assert!(
        signup.len() == 24 && signup.ends_with('Z') && signup.as_bytes()[19] == b'.',
        "{signup}"
    );
    let hello = c.ok(json!({"op": "hello"})).await;
    assert_eq!(hello["you"], me);
    assert_eq!(
        c.err(json!({"op": "register", "login": "second"})).await,
        "conflict"
    );
}

fn roost_tests_unix_name() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn register_rules_and_ids() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    let alice = c.bot("Alice").await;
    assert_eq!(alice["login"], "Alice", "login kept as typed");
    assert_eq!(alice["name"], "Alice", "name defaults to the login");
    for taken in ["alice", "ALICE", "Alice"] {
        assert_eq!(
            c.err(json!({"op": "register", "login": taken, "bot": true}))
                .await,
            "conflict"
        );
    }
    for bad in ["", "no spaces", "dash-es", "ünïcode", &"x".repeat(33)] {
        assert_eq!(
            c.err(json!({"op": "register", "login": bad, "bot": true}))
                .await,
            "bad_request",
            "{bad:?}"
        );
    }
    assert_eq!(
        c.err(json!({"op": "register", "bot": true})).await,
        "bad_request"
    );
    assert_eq!(
        c.err(json!({"op": "register", "login": "nm", "name": " ", "bot": true}))
            .await,
        "bad_request"
    );
    let bob = c
        .ok(json!({"op": "register", "login": "bob", "name": "Bob 🦀 ボブ", "bot": true}))
        .await;
    assert_eq!(bob["name"], "Bob 🦀 ボブ");
    assert_eq!(
        bob["id"].as_u64().unwrap(),
        alice["id"].as_u64().unwrap() + 1,
        "refusals used up no id"
    );
    assert_eq!(c.ok(json!({"op": "user", "login": "BOB"})).await, bob);
    assert_eq!(
        c.err(json!({"op": "user", "login": "nobody_here"})).await,
        "not_found"
    );
}

#[tokio::test]
async fn ids_are_echoed_unchanged() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for id in [
        json!(7),
        json!("abc"),
        json!({"nested": [1, 2]}),
        json!(1.5),
    ] {
        let r = c.call(json!({"id": id.clone(), "op": "hello"})).await;
        assert_eq!(r["id"], id);
        let r = c.call(json!({"id": id.clone(), "op": "nope"})).await;
        assert_eq!(r["id"], id);
        assert_eq!(r["error"]["code"], "unknown_op");
    }
    let r = c.call(json!({"op": "hello"})).await;
    assert_eq!(r["id"], Value::Null);
    // Pipelined requests come back in order.
    for i in 0..50 {
        c.send(&json!({"id": i, "op": "hello"})).await;
    }
    for i in 0..50 {
        assert_eq!(c.response().await["id"], i);
    }
}

#[tokio::test]
async fn post_and_read_timelines() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let s = c
        .ok(json!({"op": "post", "as": "alice", "text": "hello 数据库 🦀\nline two", "location": {"lat": 52.5, "lon": 13.4}}))
        .await;
    assert_eq!(s["text"], "hello 数据库 🦀\nline two");
    assert_eq!(s["login"], "alice");
    assert_eq!(s["location"], json!({"lat": 52.5, "lon": 13.4}));
    let plain = c
        .ok(json!({"op": "post", "as": "alice", "text": "no location"}))
        .await;
    assert!(
        plain.get("location").is_none(),
        "location only where posted with one: {plain}"
    );
    let mut posted = vec![s["id"].as_u64().unwrap(), plain["id"].as_u64().unwrap()];
    for i in 0..5 {
        let s = c
            .ok(json!({"op": "post", "as": "alice", "text": format!("n{i}")}))
            .await;
        posted.push(s["id"].as_u64().unwrap());
    }
    posted.reverse();
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "alice"}))
        .await;
    assert_eq!(ids(&profile), posted, "newest first");
    assert_eq!(
        profile["statuses"][6], s,
        "a read gives the status as posted"
    );
    let home = c
        .ok(json!({"op": "timeline", "kind": "home", "as": "alice"}))
        .await;
    assert_eq!(ids(&home), posted, "own statuses are in the home timeline");
    let own = c
        .ok(json!({"op": "timeline", "kind": "profile", "as": "alice"}))
        .await;
    assert_eq!(ids(&own), posted, "profile defaults to the caller");
    let page2 = c
        .ok(json!({"op": "timeline", "kind": "home", "as": "alice", "page": 2, "count": 3}))
        .await;
    assert_eq!(ids(&page2), posted[3..6]);
    let past = c
        .ok(json!({"op": "timeline", "kind": "home", "as": "alice", "page": 9, "count": 200}))
        .await;
    assert!(ids(&past).is_empty());
    assert_eq!(
        c.ok(json!({"op": "user", "login": "alice"})).await["posts"],
        7
    );
    assert_eq!(
        c.err(json!({"op": "timeline", "kind": "profile", "login": "ghost"}))
            .await,
        "not_found"
    );
    assert_eq!(
        c.err(json!({"op": "timeline", "kind": "home", "login": "alice"}))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn follow_rules_and_home_timelines() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let mut bobs = Vec::new();
    for i in 0..3 {
        bobs.push(
            c.ok(json!({"op": "post", "as": "bob", "text": format!("bob {i}")}))
                .await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    bobs.reverse();
    assert_eq!(
        c.err(json!({"op": "follow", "as": "alice", "login": "alice"}))
            .await,
        "bad_request"
    );
    assert_eq!(
        c.err(json!({"op": "follow", "as": "alice", "login": "ghost"}))
            .await,
        "not_found"
    );
    assert_eq!(
        c.err(json!({"op": "unfollow", "as": "alice", "login": "bob"}))
            .await,
        "not_found"
    );
    let followed = c
        .ok(json!({"op": "follow", "as": "alice", "login": "BOB"}))
        .await;
    assert_eq!(followed["login"], "bob");
    assert_eq!(followed["followers"], 1, "counts updated in the answer");
    assert_eq!(
        c.err(json!({"op": "follow", "as": "alice", "login": "bob"}))
            .await,
        "conflict"
    );
    assert_eq!(
        c.home_ids("alice", 30).await,
        bobs,
        "follow copies recent statuses"
    );
    assert_eq!(
        c.ok(json!({"op": "user", "login": "alice"})).await["following"],
        1
    );

    let mine = c
        .ok(json!({"op": "post", "as": "alice", "text": "mine"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let new = c
        .ok(json!({"op": "post", "as": "bob", "text": "new"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let carols = c
        .ok(json!({"op": "post", "as": "carol", "text": "not followed"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let home = c.home_ids("alice", 30).await;
    assert_eq!(home[..2], [new, mine]);
    assert!(!home.contains(&carols));

    let unfollowed = c
        .ok(json!({"op": "unfollow", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(unfollowed["followers"], 0);
    assert_eq!(
        c.home_ids("alice", 30).await,
        vec![mine],
        "unfollow removes their statuses"
    );
    let alice = c.ok(json!({"op": "user", "login": "alice"})).await;
    assert_eq!(
        (alice["following"].as_u64(), alice["followers"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn followers_and_following_lists() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("star").await;
    let fans: Vec<String> = (0..5).map(|i| format!("fan{i}")).collect();
    for fan in &fans {
        c.bot(fan).await;
        c.ok(json!({"op": "follow", "as": fan, "login": "star"}))
            .await;
    }
    c.ok(json!({"op": "follow", "as": "star", "login": "fan0"}))
        .await;
    let all = c.ok(json!({"op": "followers", "login": "star"})).await;
    let newest_first: Vec<String> = fans.iter().rev().cloned().collect();
    assert_eq!(logins(&all), newest_first);
    let fan0 = &all["users"][4];
    assert_eq!(fan0["user"]["login"], "fan0");
    assert_eq!(
        (
            fan0["user"]["followers"].as_u64(),
            fan0["user"]["following"].as_u64()
        ),
        (Some(1), Some(1)),
        "full User objects with counts"
    );
    let since: Vec<&str> = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["since"].as_str().unwrap())
        .collect();
    assert!(since.iter().all(|s| s.ends_with('Z')));
    assert!(
        since.windows(2).all(|w| w[0] >= w[1]),
        "newest follow first: {since:?}"
    );
    let page = c
        .ok(json!({"op": "followers", "login": "star", "page": 2, "count": 2}))
        .await;
    assert_eq!(logins(&page), newest_first[2..4]);
    let mine = c.ok(json!({"op": "followers", "as": "star"})).await;
    assert_eq!(logins(&mine), newest_first, "login defaults to the caller");
    let following = c.ok(json!({"op": "following", "login": "fan3"})).await;
    assert_eq!(logins(&following), ["star"]);
    let star_follows = c.ok(json!({"op": "following", "as": "star"})).await;
    assert_eq!(logins(&star_follows), ["fan0"]);
    assert_eq!(
        c.err(json!({"op": "followers", "login": "ghost"})).await,
        "not_found"
    );
    assert_eq!(c.err(json!({"op": "following"})).await, "not_registered");
}

/// Issue 7: `user` tells the caller how they and the user are connected, so a
/// client need not page through its following list to learn one bool.
#[tokio::test]
async fn user_carries_the_callers_relationship() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("ann").await;
    c.bot("bob").await;
    let relationship = |user: &Value| user["relationship"].clone();
    let none = json!({"following": false, "followed_by": false, "requested": false,
                      "blocking": false, "muting": false});
    let bob = c
        .ok(json!({"op": "user", "as": "ann", "login": "bob"}))
        .await;
    assert_eq!(relationship(&bob), none);
    c.ok(json!({"op": "follow", "as": "ann", "login": "bob"}))
        .await;
    let bob = c
        .ok(json!({"op": "user", "as": "ann", "login": "bob"}))
        .await;
    assert_eq!(relationship(&bob)["following"], true);
    assert_eq!(relationship(&bob)["followed_by"], false);
    let ann = c
        .ok(json!({"op": "user", "as": "bob", "login": "ann"}))
        .await;
    assert_eq!(relationship(&ann)["following"], false);
    assert_eq!(relationship(&ann)["followed_by"], true);
    c.ok(json!({"op": "follow", "as": "bob", "login": "ann"}))
        .await;
    c.ok(json!({"op": "unfollow", "as": "ann", "login": "bob"}))
        .await;
    let ann = c
        .ok(json!({"op": "user", "as": "bob", "login": "ann"}))
        .await;
    assert_eq!(relationship(&ann)["following"], true);
    assert_eq!(relationship(&ann)["followed_by"], false);
    // Absent on the caller's own User and for a caller with no account.
    let own = c
        .ok(json!({"op": "user", "as": "ann", "login": "ann"}))
        .await;
    assert!(own.get("relationship").is_none(), "{own}");
    let anonymous = c.ok(json!({"op": "user", "login": "ann"})).await;
    assert!(anonymous.get("relationship").is_none(), "{anonymous}");
    // Events never carry it.
    let sub = c
        .subscribe(json!({"op": "subscribe", "stream": {"home": true}, "as": "ann"}))
        .await;
    c.ok(json!({"op": "follow", "as": "ann", "login": "bob"}))
        .await;
    let event = c.event().await;
    assert_eq!(event["sub"], sub);
    assert!(event["followed"].get("relationship").is_none(), "{event}");
}

/// Issue 8, finding 10: a status that is gone while its cleanup runs keeps its
/// place, so the next page neither skips nor repeats; `before` pages by cursor
/// while new statuses arrive.
#[tokio::test]
async fn pages_neither_skip_nor_repeat_live_statuses() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    let star = c.bot("star").await["id"].as_u64().unwrap();
    let mut posted = Vec::new();
    for i in 0..10 {
        let status = c
            .ok(json!({"op": "post", "as": "star", "text": format!("s{i}")}))
            .await;
        posted.push(status["id"].as_u64().unwrap());
    }
    posted.reverse();
    // Status 3 (newest first) is gone, its ids not yet cleaned up.
    let gone = posted[2];
    let key = format!("{{roost:u{star}}}:s:{gone}");
    assert_eq!(redis.cli(&["DEL", &key]).trim(), "1");
    let live: Vec<u64> = posted.iter().copied().filter(|id| *id != gone).collect();
    let page = |n: u32| json!({"op": "timeline", "kind": "profile", "login": "star", "page": n, "count": 5});
    let first = ids(&c.ok(page(1)).await);
    let second = ids(&c.ok(page(2)).await);
    assert_eq!(
        [first.clone(), second].concat(),
        live,
        "skipped or repeated"
    );
    // By cursor: a status posted between two reads changes nothing below it.
    let newest = c
        .ok(json!({"op": "post", "as": "star", "text": "meanwhile"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let last = *first.last().unwrap();
    let next = ids(&c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "star", "count": 5, "before": last}))
        .await);
    assert_eq!(next, live[4..], "the page after status {last}");
    let top = ids(&c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "star", "count": 2}))
        .await);
    assert_eq!(top, [newest, posted[0]]);
    assert_eq!(
        c.err(json!({"op": "timeline", "kind": "home", "as": "star", "before": "x"}))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn delete_rules() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    c.bot("bob").await;
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    let keep = c
        .ok(json!({"op": "post", "as": "alice", "text": "keep"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let gone = c
        .ok(json!({"op": "post", "as": "alice", "text": "gone"}))
        .await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(c.home_ids("bob", 30).await, [gone, keep]);
    assert_eq!(
        c.err(json!({"op": "delete", "as": "bob", "status": gone}))
            .await,
        "forbidden"
    );
    assert_eq!(
        c.err(json!({"op": "delete", "as": "alice", "status": 999_999}))
            .await,
        "not_found"
    );
    assert_eq!(
        c.ok(json!({"op": "delete", "as": "alice", "status": gone}))
            .await,
        json!({"deleted": gone})
    );
    assert_eq!(
        c.err(json!({"op": "delete", "as": "alice", "status": gone}))
            .await,
        "not_found"
    );
    assert_eq!(
        c.home_ids("bob", 30).await,
        [keep],
        "gone from followers at once"
    );
    assert_eq!(c.home_ids("alice", 30).await, [keep]);
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "alice"}))
        .await;
    assert_eq!(ids(&profile), [keep]);
    assert_eq!(
        c.ok(json!({"op": "user", "login": "alice"})).await["posts"],
        1
    );
}

#[tokio::test]
async fn home_timeline_is_capped() {
    let (redis, _roostd, mut c) = setup(&["--timeline-cap", "5"]).await;
    c.bot("alice").await;
    c.bot("bob").await;
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    let mut posted = Vec::new();
    for i in 0..8 {
        posted.push(
            c.ok(json!({"op": "post", "as": "alice", "text": format!("s{i}")}))
                .await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    posted.reverse();
    assert_eq!(c.home_ids("bob", 200).await, posted[..5]);
    assert_eq!(c.home_ids("alice", 200).await, posted[..5]);
    let bob = c.ok(json!({"op": "user", "login": "bob"})).await["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        redis
            .cli(&["ZCARD", &format!("{{roost:u{bob}}}:home")])
            .trim(),
        "5"
    );
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "alice", "count": 200}))
        .await;
    assert_eq!(ids(&profile), posted, "profiles are not capped");
}

#[tokio::test]
async fn unfollow_refills_the_home_timeline() {
    let (_redis, _roostd, mut c) = setup(&["--timeline-cap", "4"]).await;
    for login in ["reader", "old", "new"] {
        c.bot(login).await;
    }
    let mut olds = Vec::new();
    for i in 0..4 {
        olds.push(
            c.ok(json!({"op": "post", "as": "old", "text": format!("old {i}")}))
                .await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    let mut news = Vec::new();
    for i in 0..4 {
        news.push(
            c.ok(json!({"op": "post", "as": "new", "text": format!("new {i}")}))
                .await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    olds.reverse();
    news.reverse();
    c.ok(json!({"op": "follow", "as": "reader", "login": "old"}))
        .await;
    c.ok(json!({"op": "follow", "as": "reader", "login": "new"}))
        .await;
    assert_eq!(c.home_ids("reader", 30).await, news, "capped to the newest");
    c.ok(json!({"op": "unfollow", "as": "reader", "login": "new"}))
        .await;
    let home = c.home_ids("reader", 30).await;
    assert!(home.iter().all(|id| !news.contains(id)), "{home:?}");
    let refilled = roost_tests::eventually!(
        std::time::Duration::from_secs(10),
        c.home_ids("reader", 30).await == olds
    );
    assert!(
        refilled,
        "home refilled from the remaining followed users: {:?}",
        c.home_ids("reader", 30).await
    );
}

#[tokio::test]
async fn the_home_read_marker_counts_unread_and_survives_reconnects() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("reader").await;
    c.bot("writer").await;
    c.ok(json!({"op": "follow", "as": "reader", "login": "writer"}))
        .await;
    let none = c.ok(json!({"op": "marker", "as": "reader"})).await;
    assert_eq!(
        none,
        json!({"home": null, "unread": 0, "notifications": null, "notifications_unread": 0})
    );
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            c.ok(json!({"op": "post", "as": "writer", "text": format!("s{i}")}))
                .await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    assert_eq!(
        c.ok(json!({"op": "marker", "as": "reader"})).await["unread"],
        5
    );
    let set = c
        .ok(json!({"op": "marker", "as": "reader", "home": ids[2]}))
        .await;
    assert_eq!(
        set,
        json!({"home": ids[2], "unread": 2, "notifications": null, "notifications_unread": 0})
    );
    let mut again = roostd.client().await;
    assert_eq!(again.ok(json!({"op": "marker", "as": "reader"})).await, set);
    assert_eq!(again.err(json!({"op": "marker"})).await, "not_registered");
    assert_eq!(
        again
            .err(json!({"op": "marker", "as": "reader", "home": -1}))
            .await,
        "bad_request"
    );
}

/// Issue 10, profiles: `set_profile` changes the name and bio (each only if
/// given), checked like the contract says.
#[tokio::test]
async fn set_profile_changes_name_and_bio() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("ada").await;
    let me = c
        .ok(json!({"op": "set_profile", "as": "ada", "bio": "engines\nand poems 🦀"}))
        .await;
    assert_eq!(
        (&me["name"], &me["bio"]),
        (&json!("ada"), &json!("engines\nand poems 🦀"))
    );
    let me = c
        .ok(json!({"op": "set_profile", "as": "ada", "name": "Ada L."}))
        .await;
    assert_eq!(
        (&me["name"], &me["bio"]),
        (&json!("Ada L."), &json!("engines\nand poems 🦀"))
    );
    assert_eq!(
        c.ok(json!({"op": "user", "login": "ada"})).await["bio"],
        me["bio"]
    );
    for bad in [
        json!({"bio": "x".repeat(301)}),
        json!({"bio": "bell\u{7}"}),
        json!({"name": "   "}),
        json!({"private": "yes"}),
    ] {
        let mut request = bad.clone();
        request["op"] = json!("set_profile");
        request["as"] = json!("ada");
        assert_eq!(c.err(request).await, "bad_request", "{bad}");
    }
    c.ok(json!({"op": "set_profile", "as": "ada", "bio": ""}))
        .await;
    assert_eq!(c.ok(json!({"op": "user", "login": "ada"})).await["bio"], "");
    let mut anonymous = roostd.client().await;
    assert_eq!(
        anonymous
            .err(json!({"op": "set_profile", "bio": "hi"}))
            .await,
        "not_registered"
    );
}
