//! Blocks and mutes (issue 10, the "Privacy and safety" part of
//! PROTOCOL-SOCIAL.md): what each side sees afterwards, on every read path and
//! stream, through the one visibility decision.

use std::time::Duration;

use roost_tests::Client;
use serde_json::{Value, json};

use crate::setup;

async fn post(c: &mut Client, login: &str, text: &str) -> u64 {
    c.ok(json!({"op": "post", "as": login, "text": text})).await["id"]
        .as_u64()
        .unwrap()
}

async fn ids(c: &mut Client, login: &str, request: Value) -> Vec<u64> {
    let mut request = request;
    request["op"] = json!("timeline");
    request["as"] = json!(login);
    c.ok(request).await["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

async fn notified_by(c: &mut Client, login: &str) -> Vec<String> {
    c.ok(json!({"op": "notifications", "as": login, "count": 200}))
        .await["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["from"]["login"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_block_hides_both_sides_everywhere_and_purges_follows() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    for (who, whom) in [
        ("bob", "alice"),
        ("alice", "bob"),
        ("bob", "carol"),
        ("alice", "carol"),
    ] {
        c.ok(json!({"op": "follow", "as": who, "login": whom}))
            .await;
    }
    let a1 = post(&mut c, "alice", "#redis hi @bob").await;
    let b1 = post(&mut c, "bob", "@alice #redis too").await;
    let c1 = c
        .ok(json!({"op": "repost", "as": "carol", "status": a1}))
        .await["id"]
        .as_u64()
        .unwrap();
    let mut alice_stream = roostd.client().await;
    alice_stream
        .subscribe(json!({"op": "subscribe", "as": "alice", "stream": {"firehose": true}}))
        .await;
    let mut bob_stream = roostd.client().await;
    bob_stream
        .subscribe(json!({"op": "subscribe", "as": "bob", "stream": {"firehose": true}}))
        .await;

    let blocked = c
        .ok(json!({"op": "block", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(blocked["relationship"]["blocking"], true);
    assert_eq!(blocked["relationship"]["following"], false);
    assert_eq!(
        blocked["relationship"]["followed_by"], false,
        "follows go both ways"
    );
    assert_eq!(blocked["following"], 1, "bob now follows only carol");
    assert_eq!(
        c.err(json!({"op": "block", "as": "alice", "login": "bob"}))
            .await,
        "conflict"
    );

    // Bob sees nothing of alice's: not in home (a repost included), profile,
    // tag, mentions; her status is not_found to every op naming it.
    assert!(
        !ids(&mut c, "bob", json!({"kind": "home"}))
            .await
            .contains(&a1)
    );
    assert!(
        !ids(&mut c, "bob", json!({"kind": "home"}))
            .await
            .contains(&c1)
    );
    assert_eq!(
        ids(&mut c, "bob", json!({"kind": "profile", "login": "alice"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&mut c, "bob", json!({"kind": "tag", "tag": "redis"})).await,
        [b1]
    );
    assert_eq!(
        ids(&mut c, "bob", json!({"kind": "mentions"})).await,
        Vec::<u64>::new()
    );
    for op in [
        json!({"op": "thread", "status": a1}),
        json!({"op": "like", "status": a1}),
        json!({"op": "repost", "status": a1}),
        json!({"op": "likes", "status": a1}),
        json!({"op": "post", "text": "x", "reply_to": a1}),
    ] {
        let mut op = op;
        op["as"] = json!("bob");
        assert_eq!(c.err(op.clone()).await, "not_found", "{op}");
    }
    assert_eq!(
        c.err(json!({"op": "follow", "as": "bob", "login": "alice"}))
            .await,
        "forbidden"
    );
    // And alice sees nothing of bob's.
    assert_eq!(
        ids(&mut c, "alice", json!({"kind": "tag", "tag": "redis"})).await,
        [a1]
    );
    assert_eq!(
        ids(&mut c, "alice", json!({"kind": "mentions"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&mut c, "alice", json!({"kind": "profile", "login": "bob"})).await,
        Vec::<u64>::new()
    );
    assert!(
        !notified_by(&mut c, "alice")
            .await
            .contains(&"bob".to_owned())
    );
    // A mention of the blocker by the blocked notifies no one.
    let mention = post(&mut c, "bob", "@alice @carol are you there").await;
    assert!(
        !notified_by(&mut c, "alice")
            .await
            .contains(&"bob".to_owned())
    );
    assert!(
        notified_by(&mut c, "carol")
            .await
            .contains(&"bob".to_owned())
    );

    // Streams: neither gets the other's statuses; others' still come.
    let c2 = post(&mut c, "carol", "carol speaks").await;
    let a2 = post(&mut c, "alice", "alice speaks").await;
    let got = |events: Vec<Value>| -> Vec<u64> {
        events
            .iter()
            .filter(|e| e["event"] == "status")
            .map(|e| e["status"]["id"].as_u64().unwrap())
            .collect()
    };
    let alice_saw = got(alice_stream.events_within(Duration::from_millis(500)).await);
    assert!(
        alice_saw.contains(&c2) && alice_saw.contains(&a2),
        "{alice_saw:?}"
    );
    let bob_saw = got(bob_stream.events_within(Duration::from_millis(500)).await);
    assert!(
        bob_saw.contains(&c2) && !bob_saw.contains(&a2),
        "{bob_saw:?}"
    );
    assert!(
        !alice_saw.contains(&mention),
        "bob's mention reached alice's stream: {alice_saw:?}"
    );

    // Lists, unblock, and what stays.
    let blocks = c.ok(json!({"op": "blocks", "as": "alice"})).await;
    assert_eq!(blocks["users"][0]["user"]["login"], "bob");
    c.ok(json!({"op": "unblock", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(
        c.err(json!({"op": "unblock", "as": "alice", "login": "bob"}))
            .await,
        "not_found"
    );
    assert_eq!(
        ids(&mut c, "bob", json!({"kind": "profile", "login": "alice"})).await,
        [a2, a1]
    );
    let bob = c
        .ok(json!({"op": "user", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(
        bob["relationship"]["following"], false,
        "unblocking restores no follow"
    );
    assert_eq!(
        c.err(json!({"op": "block", "as": "alice", "login": "alice"}))
            .await,
        "bad_request"
    );
}

#[tokio::test]
async fn a_mute_hides_from_home_tag_mentions_notifications_and_streams_only() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["carol", "bob"] {
        c.bot(login).await;
    }
    c.ok(json!({"op": "follow", "as": "carol", "login": "bob"}))
        .await;
    let before = post(&mut c, "bob", "@carol before the mute").await;
    let mine = post(&mut c, "carol", "carol's own").await;
    c.ok(json!({"op": "like", "as": "bob", "status": mine}))
        .await;
    assert_eq!(notified_by(&mut c, "carol").await, ["bob", "bob"]);

    let mut stream = roostd.client().await;
    stream
        .subscribe(json!({"op": "subscribe", "as": "carol", "stream": {"home": true}}))
        .await;
    let muted = c
        .ok(json!({"op": "mute", "as": "carol", "login": "bob"}))
        .await;
    assert_eq!(muted["relationship"]["muting"], true);
    assert_eq!(
        muted["relationship"]["following"], true,
        "a mute changes no follow"
    );
    let during = post(&mut c, "bob", "@carol #quiet during the mute").await;
    c.ok(json!({"op": "unlike", "as": "bob", "status": mine}))
        .await;
    c.ok(json!({"op": "like", "as": "bob", "status": mine}))
        .await;

    assert_eq!(ids(&mut c, "carol", json!({"kind": "home"})).await, [mine]);
    assert_eq!(
        ids(&mut c, "carol", json!({"kind": "mentions"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&mut c, "carol", json!({"kind": "tag", "tag": "quiet"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        notified_by(&mut c, "carol").await,
        Vec::<String>::new(),
        "hidden while muted"
    );
    // Elsewhere nothing changes.
    assert_eq!(
        ids(&mut c, "carol", json!({"kind": "profile", "login": "bob"})).await,
        [during, before]
    );
    c.ok(json!({"op": "thread", "as": "carol", "status": during}))
        .await;
    let events = stream.events_within(Duration::from_millis(500)).await;
    assert!(
        !events.iter().any(|e| e["status"]["id"] == during),
        "a muted status reached the home stream: {events:?}"
    );
    // The muted account cannot tell.
    let carol = c
        .ok(json!({"op": "user", "as": "bob", "login": "carol"}))
        .await;
    assert_eq!(carol["relationship"]["muting"], false);
    assert_eq!(
        c.ok(json!({"op": "mutes", "as": "carol"})).await["users"][0]["user"]["login"],
        "bob"
    );

    c.ok(json!({"op": "unmute", "as": "carol", "login": "bob"}))
        .await;
    assert_eq!(
        ids(&mut c, "carol", json!({"kind": "home"})).await,
        [during, mine, before],
        "statuses posted during the mute are home again"
    );
    // Notifications from before the mute show again; those caused during it never.
    let kinds: Vec<String> =
        c.ok(json!({"op": "notifications", "as": "carol"})).await["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(
        kinds,
        ["mention"],
        "the mention from before shows again; the like and mention during the mute stay unsent"
    );
}

#[tokio::test]
async fn a_private_account_is_read_by_approved_followers_only() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["priv", "fan", "stranger"] {
        c.bot(login).await;
    }
    let before = post(&mut c, "priv", "#secret before going private").await;
    let me = c
        .ok(json!({"op": "set_profile", "as": "priv", "private": true}))
        .await;
    assert_eq!(me["private"], true);
    let mut firehose = roostd.client().await;
    firehose
        .subscribe(json!({"op": "subscribe", "as": "stranger", "stream": {"firehose": true}}))
        .await;

    // Following a private account asks; the account approves or denies.
    let asked = c
        .ok(json!({"op": "follow", "as": "fan", "login": "priv"}))
        .await;
    assert_eq!(asked["relationship"]["requested"], true);
    assert_eq!(asked["relationship"]["following"], false);
    assert_eq!(
        c.err(json!({"op": "follow", "as": "fan", "login": "priv"}))
            .await,
        "conflict",
        "asking again while pending"
    );
    c.ok(json!({"op": "follow", "as": "stranger", "login": "priv"}))
        .await;
    let requests = c.ok(json!({"op": "requests", "as": "priv"})).await;
    assert_eq!(requests["users"].as_array().unwrap().len(), 2);
    let kinds: Vec<Value> =
        c.ok(json!({"op": "notifications", "as": "priv"})).await["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].clone())
            .collect();
    assert_eq!(kinds, [json!("request"), json!("request")]);
    let approved = c
        .ok(json!({"op": "approve", "as": "priv", "login": "fan"}))
        .await;
    assert_eq!(approved["login"], "fan");
    assert_eq!(
        c.ok(json!({"op": "deny", "as": "priv", "login": "stranger"}))
            .await,
        json!({"denied": "stranger"})
    );
    assert_eq!(
        c.err(json!({"op": "deny", "as": "priv", "login": "stranger"}))
            .await,
        "not_found"
    );

    let during = post(&mut c, "priv", "#secret for followers @stranger").await;
    // The approved follower reads it everywhere; the stranger nowhere.
    assert_eq!(
        ids(&mut c, "fan", json!({"kind": "home"})).await,
        [during, before]
    );
    assert_eq!(
        ids(&mut c, "fan", json!({"kind": "tag", "tag": "secret"})).await,
        [during, before]
    );
    assert_eq!(
        ids(
            &mut c,
            "stranger",
            json!({"kind": "profile", "login": "priv"})
        )
        .await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&mut c, "stranger", json!({"kind": "tag", "tag": "secret"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&mut c, "stranger", json!({"kind": "mentions"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        c.err(json!({"op": "thread", "as": "stranger", "status": during}))
            .await,
        "not_found"
    );
    assert!(
        notified_by(&mut c, "stranger").await.is_empty(),
        "a mention the stranger cannot see notifies no one"
    );
    assert_eq!(
        c.err(json!({"op": "repost", "as": "fan", "status": during}))
            .await,
        "forbidden"
    );
    let trending = c
        .ok(json!({"op": "trending", "as": "fan", "hours": 24}))
        .await;
    assert_eq!(
        trending["tags"],
        json!([]),
        "a private account's statuses are not in trending, those posted while public included"
    );
    let events = firehose.events_within(Duration::from_millis(400)).await;
    assert!(
        !events.iter().any(|e| e["status"]["id"] == during),
        "a private status in the firehose: {events:?}"
    );
    let stranger = c
        .ok(json!({"op": "user", "as": "stranger", "login": "priv"}))
        .await;
    assert_eq!(stranger["relationship"]["requested"], false);

    // Withdrawing a request is an unfollow; going public turns requests into follows.
    c.ok(json!({"op": "follow", "as": "stranger", "login": "priv"}))
        .await;
    c.ok(json!({"op": "unfollow", "as": "stranger", "login": "priv"}))
        .await;
    c.ok(json!({"op": "follow", "as": "stranger", "login": "priv"}))
        .await;
    c.ok(json!({"op": "set_profile", "as": "priv", "private": false}))
        .await;
    let now = c
        .ok(json!({"op": "user", "as": "stranger", "login": "priv"}))
        .await;
    assert_eq!(now["relationship"]["following"], true);
    assert_eq!(now["private"], false);
    assert_eq!(
        ids(
            &mut c,
            "stranger",
            json!({"kind": "profile", "login": "priv"})
        )
        .await,
        [during, before],
        "past statuses are visible once public"
    );
}

#[tokio::test]
async fn direct_messages_reach_their_participants_only() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol", "eve"] {
        c.bot(login).await;
    }
    let mut bobs = roostd.client().await;
    bobs.subscribe(json!({"op": "subscribe", "as": "bob", "stream": {"direct": true}}))
        .await;
    let mut eves = roostd.client().await;
    eves.subscribe(json!({"op": "subscribe", "as": "eve", "stream": {"firehose": true}}))
        .await;
    eves.subscribe(json!({"op": "subscribe", "as": "eve", "stream": {"direct": true}}))
        .await;

    let first = c
        .ok(json!({"op": "dm", "as": "alice", "to": ["bob", "alice", "bob"], "text": "psst"}))
        .await;
    let pair = first["conversation"].as_str().unwrap().to_owned();
    assert_eq!(first["from"], "alice");
    let again = c
        .ok(json!({"op": "dm", "as": "bob", "to": ["alice"], "text": "yes?"}))
        .await;
    assert_eq!(
        again["conversation"], pair,
        "the same people, the same conversation"
    );
    let group = c
        .ok(json!({"op": "dm", "as": "carol", "to": ["alice", "bob"], "text": "all of us"}))
        .await;
    assert_ne!(group["conversation"], pair);

    // Bob's direct stream: his conversations, his own messages included.
    let got: Vec<Value> = vec![bobs.event().await, bobs.event().await, bobs.event().await];
    let texts: Vec<&str> = got
        .iter()
        .map(|e| e["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["psst", "yes?", "all of us"]);
    // Eve sees none of it, on any stream.
    assert!(
        eves.events_within(Duration::from_millis(400))
            .await
            .is_empty()
    );
    // Resumable: after the first, the other two again.
    let mut resumed = roostd.client().await;
    resumed
        .subscribe(
            json!({"op": "subscribe", "as": "bob", "since": got[0]["eid"],
                          "stream": {"direct": true}}),
        )
        .await;
    assert_eq!(resumed.event().await["message"]["text"], "yes?");
    assert_eq!(resumed.event().await["message"]["text"], "all of us");

    // Conversations, unread, messages, read.
    let list = c.ok(json!({"op": "conversations", "as": "alice"})).await;
    let convs = list["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    assert_eq!(
        convs[0]["conversation"], group["conversation"],
        "latest first"
    );
    assert_eq!(convs[0]["unread"], 1);
    assert_eq!(
        convs[1]["unread"], 1,
        "bob's reply; alice's own message is read"
    );
    let logins: Vec<&str> = convs[0]["with"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins.len(), 2);
    assert!(logins.contains(&"bob") && logins.contains(&"carol"));
    let messages = c
        .ok(json!({"op": "messages", "as": "alice", "conversation": pair}))
        .await;
    let ids: Vec<u64> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1], "newest first");
    assert_eq!(
        c.ok(json!({"op": "read", "as": "alice", "conversation": pair, "message": 2}))
            .await,
        json!({"conversation": pair, "unread": 0})
    );
    for (who, op) in [
        ("eve", json!({"op": "messages", "conversation": pair})),
        (
            "eve",
            json!({"op": "read", "conversation": pair, "message": 1}),
        ),
        (
            "alice",
            json!({"op": "read", "conversation": pair, "message": 9}),
        ),
        ("alice", json!({"op": "dm", "to": ["nobody"], "text": "x"})),
    ] {
        let mut op = op;
        op["as"] = json!(who);
        assert_eq!(c.err(op.clone()).await, "not_found", "{op}");
    }
    for op in [
        json!({"op": "dm", "to": [], "text": "x"}),
        json!({"op": "dm", "to": ["alice"], "text": "x"}),
        json!({"op": "dm", "to": ["bob"], "text": ""}),
    ] {
        let mut op = op;
        op["as"] = json!("alice");
        assert_eq!(c.err(op.clone()).await, "bad_request", "{op}");
    }
    // Never in a timeline or a notification.
    for kind in ["home", "profile", "mentions"] {
        let t = c
            .ok(json!({"op": "timeline", "kind": kind, "as": "bob"}))
            .await;
        assert_eq!(t["statuses"], json!([]), "{kind}");
    }
    assert_eq!(
        c.ok(json!({"op": "notifications", "as": "bob"})).await["notifications"],
        json!([])
    );
    // A block stands between: the whole message is refused, either way.
    c.ok(json!({"op": "block", "as": "carol", "login": "eve"}))
        .await;
    for (who, to) in [
        ("eve", json!(["alice", "carol"])),
        ("carol", json!(["eve"])),
    ] {
        assert_eq!(
            c.err(json!({"op": "dm", "as": who, "to": to, "text": "hi"}))
                .await,
            "forbidden"
        );
    }
    let mut anonymous = roostd.client().await;
    assert_eq!(
        anonymous
            .err(json!({"op": "subscribe", "stream": {"direct": true}}))
            .await,
        "not_registered"
    );
}

#[tokio::test]
async fn reports_and_moderation_hide_suspend_and_are_logged() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob"] {
        c.bot(login).await;
    }
    let spam = post(&mut c, "bob", "buy now").await;
    let other = post(&mut c, "bob", "an ordinary status").await;
    let first = c
        .ok(json!({"op": "report", "as": "alice", "status": spam, "reason": "spam"}))
        .await["report"]
        .as_u64()
        .unwrap();
    let second = c
        .ok(json!({"op": "report", "as": "alice", "login": "bob", "reason": "a spammer"}))
        .await["report"]
        .as_u64()
        .unwrap();
    for bad in [
        json!({"status": spam, "login": "bob", "reason": "x"}),
        json!({"reason": "x"}),
        json!({"status": spam, "reason": ""}),
        json!({"status": spam, "reason": "x".repeat(501)}),
    ] {
        let mut op = bad.clone();
        op["op"] = json!("report");
        op["as"] = json!("alice");
        assert_eq!(c.err(op).await, "bad_request", "{bad}");
    }
    let open = c.ok(json!({"op": "reports"})).await["reports"].clone();
    assert_eq!(open.as_array().unwrap().len(), 2);
    assert_eq!(open[1]["by"]["login"], "alice");
    assert_eq!(open[1]["status"]["id"], spam);
    assert_eq!(open[1]["user"]["login"], "bob");
    assert_eq!(open[0]["status"], Value::Null);
    assert_eq!(open[0]["state"], "open");

    // Hide: only its author sees it, marked.
    c.ok(
        json!({"op": "moderate", "action": "hide", "status": spam, "report": first,
                "note": "spam"}),
    )
    .await;
    assert_eq!(
        c.err(json!({"op": "thread", "as": "alice", "status": spam}))
            .await,
        "not_found"
    );
    let own = c
        .ok(json!({"op": "thread", "as": "bob", "status": spam}))
        .await;
    assert_eq!(own["status"]["hidden"], true);
    let resolved = c.ok(json!({"op": "reports", "state": "resolved"})).await["reports"].clone();
    assert_eq!(resolved[0]["id"], first);
    assert_eq!(resolved[0]["resolution"]["action"], "hide");
    assert_eq!(resolved[0]["resolution"]["note"], "spam");

    // Suspend: the account reads, its statuses are hidden, most acts refused.
    c.ok(json!({"op": "moderate", "action": "suspend", "login": "bob", "report": second}))
        .await;
    let bob = c.ok(json!({"op": "user", "login": "bob"})).await;
    assert_eq!(bob["suspended"], true);
    assert_eq!(
        ids(&mut c, "alice", json!({"kind": "profile", "login": "bob"})).await,
        Vec::<u64>::new()
    );
    for op in [
        json!({"op": "post", "text": "still here"}),
        json!({"op": "like", "status": other}),
        json!({"op": "follow", "login": "alice"}),
        json!({"op": "dm", "to": ["alice"], "text": "hi"}),
        json!({"op": "report", "login": "alice", "reason": "revenge"}),
        json!({"op": "set_profile", "bio": "innocent"}),
    ] {
        let mut op = op;
        op["as"] = json!("bob");
        assert_eq!(c.err(op.clone()).await, "forbidden", "{op}");
    }
    ids(&mut c, "bob", json!({"kind": "home"})).await;
    c.ok(json!({"op": "moderate", "action": "unsuspend", "login": "bob"}))
        .await;
    assert_eq!(
        ids(&mut c, "alice", json!({"kind": "profile", "login": "bob"})).await,
        [other],
        "reinstated; the hidden one stays hidden"
    );
    for bad in [
        json!({"op": "moderate", "action": "dismiss"}),
        json!({"op": "moderate", "action": "ban", "login": "bob"}),
        json!({"op": "moderate", "action": "hide"}),
        json!({"op": "reports", "state": "closed"}),
    ] {
        assert_eq!(c.err(bad.clone()).await, "bad_request", "{bad}");
    }
    let log = c.ok(json!({"op": "moderation_log", "count": 200})).await["entries"].clone();
    let entries = log.as_array().unwrap();
    let moderated: Vec<&Value> = entries.iter().filter(|e| e["action"] != "as").collect();
    let actions: Vec<&str> = moderated
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unsuspend", "suspend", "hide"]);
    assert_eq!(moderated[2]["status"], spam);
    assert_eq!(moderated[2]["report"], first);
    assert!(!moderated[2]["by"].as_str().unwrap().is_empty());
    // Every request the operator made `as` someone else is an entry too.
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "as" && e["login"] == "alice" && e["note"] == "report"),
        "{log}"
    );
}

/// A `moderate` request: `action` on what `what` names.
fn moderate(action: &str, what: Value) -> Value {
    let mut op = json!({"op": "moderate", "action": action});
    op.as_object_mut()
        .unwrap()
        .extend(what.as_object().unwrap().clone());
    op
}

/// The trending count of `tag` in the last hour, as `alice` reads it.
async fn trend(c: &mut Client, tag: &str) -> u64 {
    let tags = c
        .ok(json!({"op": "trending", "as": "alice", "hours": 1}))
        .await["tags"]
        .clone();
    tags.as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == tag)
        .map_or(0, |t| t["statuses"].as_u64().unwrap())
}

#[tokio::test]
async fn hidden_suspended_and_private_statuses_leave_trending_and_come_back() {
    let (_redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let spam = post(&mut c, "bob", "#deal one").await;
    post(&mut c, "bob", "#deal two").await;
    post(&mut c, "carol", "#deal three").await;
    assert_eq!(trend(&mut c, "deal").await, 3);

    c.ok(moderate("hide", json!({"status": spam}))).await;
    assert_eq!(trend(&mut c, "deal").await, 2, "hidden");
    c.ok(moderate("hide", json!({"status": spam}))).await;
    assert_eq!(trend(&mut c, "deal").await, 2, "hiding twice counts once");
    c.ok(moderate("suspend", json!({"login": "bob"}))).await;
    assert_eq!(trend(&mut c, "deal").await, 1, "bob suspended");
    c.ok(moderate("unhide", json!({"status": spam}))).await;
    assert_eq!(trend(&mut c, "deal").await, 1, "still suspended");
    c.ok(moderate("unsuspend", json!({"login": "bob"}))).await;
    assert_eq!(trend(&mut c, "deal").await, 3, "both back");

    c.ok(json!({"op": "set_profile", "as": "carol", "private": true}))
        .await;
    assert_eq!(trend(&mut c, "deal").await, 2, "carol went private");
    post(&mut c, "carol", "#deal four, private").await;
    assert_eq!(trend(&mut c, "deal").await, 2);
    c.ok(json!({"op": "set_profile", "as": "carol", "private": false}))
        .await;
    assert_eq!(
        trend(&mut c, "deal").await,
        3,
        "public again: the earlier status counts, the one posted private does not"
    );

    // A hidden status deleted is taken off once, not twice.
    c.ok(moderate("hide", json!({"status": spam}))).await;
    c.ok(json!({"op": "delete", "as": "bob", "status": spam}))
        .await;
    assert_eq!(trend(&mut c, "deal").await, 2);
    assert_eq!(
        c.err(moderate("unhide", json!({"status": spam}))).await,
        "not_found"
    );
    assert_eq!(trend(&mut c, "deal").await, 2);
}

/// A hidden reply, and a suspended account's replies, are not counted in
/// their parent's `replies` (PROTOCOL-SOCIAL.md: hidden ones not counted);
/// undoing counts them again, and the counts stay equal to their sets.
#[tokio::test]
async fn hidden_and_suspended_replies_leave_their_parents_counts() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let question = post(&mut c, "alice", "a question").await;
    let reply =
        |who: &str| json!({"op": "post", "as": who, "text": "an answer", "reply_to": question});
    let bobs = c.ok(reply("bob")).await["id"].as_u64().unwrap();
    c.ok(reply("carol")).await;
    let replies = async |c: &mut Client| {
        let request = json!({"op": "thread", "as": "alice", "status": question});
        c.ok(request).await["status"]["replies"].as_u64().unwrap()
    };
    assert_eq!(replies(&mut c).await, 2);
    c.ok(moderate("hide", json!({"status": bobs}))).await;
    assert_eq!(replies(&mut c).await, 1, "hidden");
    c.ok(moderate("suspend", json!({"login": "bob"}))).await;
    c.ok(moderate("unhide", json!({"status": bobs}))).await;
    assert_eq!(replies(&mut c).await, 1, "unhidden, but bob is suspended");
    c.ok(moderate("hide", json!({"status": bobs}))).await;
    c.ok(moderate("unsuspend", json!({"login": "bob"}))).await;
    assert_eq!(
        replies(&mut c).await,
        1,
        "reinstated, but the reply is hidden"
    );
    c.ok(moderate("unhide", json!({"status": bobs}))).await;
    assert_eq!(replies(&mut c).await, 2, "both undone");
    c.ok(moderate("suspend", json!({"login": "carol"}))).await;
    assert_eq!(replies(&mut c).await, 1, "carol suspended");
    let (clean, report) = roost_tests::roostd_check(&redis, false);
    assert!(clean, "{report}");
}
