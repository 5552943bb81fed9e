//! Bad input gets its error code, the connection stays usable (but for
//! `too_large`, which closes it), and nothing stored changes.

use roost_tests::{Client, Redis};
use serde_json::json;

use crate::setup;

/// Everything in this test's Redis, readable, to compare before and after.
fn snapshot(redis: &Redis) -> Vec<String> {
    let mut keys = redis.cli_lines(&["KEYS", "*"]);
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let kind = redis.cli(&["TYPE", &key]).trim().to_owned();
        let value = match kind.as_str() {
            "hash" => {
                let fields = redis.cli_lines(&["HGETALL", &key]);
                let mut pairs: Vec<String> = fields.chunks(2).map(|p| p.join("=")).collect();
                pairs.sort();
                pairs.join(",")
            }
            "zset" => redis
                .cli_lines(&["ZRANGE", &key, "0", "-1", "WITHSCORES"])
                .join(","),
            "string" => redis.cli(&["GET", &key]),
            "stream" => redis.cli(&["XLEN", &key]),
            other => other.to_owned(),
        };
        out.push(format!("{key} {value}"));
    }
    out
}

async fn still_usable(c: &mut Client) {
    assert_eq!(
        c.ok(json!({"op": "user", "login": "alice"})).await["login"],
        "alice"
    );
}

#[tokio::test]
async fn bad_requests_get_their_codes_and_change_nothing() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    c.bot("bob").await;
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    let status = c
        .ok(json!({"op": "post", "as": "alice", "text": "precious"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let before = snapshot(&redis);

    let long_text = "x".repeat(1001);
    let cases: Vec<(&str, String)> = vec![
        ("bad_request", "this is not json".into()),
        ("bad_request", "{\"op\": \"hello\"".into()),
        ("bad_request", "[1, 2, 3]".into()),
        ("bad_request", "42".into()),
        ("bad_request", "\"hello\"".into()),
        ("bad_request", "null".into()),
        ("bad_request", "{}".into()),
        ("bad_request", r#"{"op": 5}"#.into()),
        ("bad_request", r#"{"op": null}"#.into()),
        ("unknown_op", r#"{"op": "frobnicate"}"#.into()),
        ("unknown_op", r#"{"op": "HELLO"}"#.into()),
        ("bad_request", r#"{"op": "post", "as": "alice"}"#.into()),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": 5}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": ["a"]}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": ""}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "   \n\t "}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "bell \u0007 and escape \u001b[2J"}"#.into(),
        ),
        (
            "bad_request",
            format!(r#"{{"op": "post", "as": "alice", "text": "{long_text}"}}"#),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "x", "location": {"lat": 91, "lon": 0}}"#
                .into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "x", "location": {"lat": 0, "lon": -180.5}}"#
                .into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "x", "location": "Berlin"}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": "alice", "text": "x", "location": {"lat": 1}}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "post", "as": 5, "text": "x"}"#.into(),
        ),
        ("bad_request", r#"{"op": "user"}"#.into()),
        ("bad_request", r#"{"op": "user", "login": null}"#.into()),
        (
            "bad_request",
            r#"{"op": "delete", "as": "alice", "status": "1"}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "delete", "as": "alice", "status": -1}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "delete", "as": "alice", "status": 18446744073709551616}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "delete", "as": "alice", "status": 1e400}"#.into(),
        ),
        ("bad_request", r#"{"op": "timeline"}"#.into()),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "sideways", "as": "alice"}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "page": 0}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "page": -1}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "page": 99999999999999999999999}"#
                .into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "count": 0}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "count": 201}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "count": 1.5}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "timeline", "kind": "home", "as": "alice", "count": "10"}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "followers", "login": "alice", "page": -5}"#.into(),
        ),
        ("bad_request", r#"{"op": "follow", "as": "bob"}"#.into()),
        (
            "bad_request",
            r#"{"op": "follow", "as": "bob", "login": 3}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "register", "login": "bad login!", "bot": true}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "register", "login": "ok_login", "bot": "yes"}"#.into(),
        ),
        (
            "bad_request",
            r#"{"op": "register", "login": "ok_login", "name": "tab\tname", "bot": true}"#.into(),
        ),
        (
            "not_found",
            r#"{"op": "follow", "as": "nobody_at_all", "login": "alice"}"#.into(),
        ),
    ];
    for (code, line) in &cases {
        c.send_raw(format!("{line}\n").as_bytes()).await.unwrap();
        let r = c.response().await;
        assert_eq!(r["ok"], false, "{line}: {r}");
        assert_eq!(r["error"]["code"], *code, "{line}: {r}");
        assert!(
            !r["error"]["message"].as_str().unwrap().is_empty(),
            "{line}: {r}"
        );
        still_usable(&mut c).await;
    }
    // Raw bytes: invalid UTF-8, a raw control character inside a JSON string.
    for raw in [
        &b"{\"op\":\"post\",\"as\":\"alice\",\"text\":\"\xff\xfe\"}\n"[..],
        b"{\"op\":\"post\",\"as\":\"alice\",\"text\":\"a\x01b\"}\n",
        b"\xc3\x28\n",
    ] {
        c.send_raw(raw).await.unwrap();
        let r = c.response().await;
        assert_eq!(r["error"]["code"], "bad_request", "{raw:?}: {r}");
        still_usable(&mut c).await;
    }
    // Blank lines are not requests; the next request still gets its answer.
    c.send_raw(b"\n\r\n   \n").await.unwrap();
    still_usable(&mut c).await;

    assert_eq!(snapshot(&redis), before, "bad input changed stored data");
    assert_eq!(c.home_ids("bob", 30).await, [status]);
}

#[tokio::test]
async fn a_line_at_the_limit_is_served_and_a_longer_one_closes() {
    let (redis, _roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let before = snapshot(&redis);

    let head = br#"{"op":"user","login":"alice"}"#;
    let mut line = head.to_vec();
    line.resize(65_536, b' ');
    line.push(b'\n');
    c.send_raw(&line).await.unwrap();
    assert_eq!(
        c.response().await["ok"],
        true,
        "65,536 bytes is within the limit"
    );

    let mut huge = br#"{"op":"post","as":"alice","text":""#.to_vec();
    huge.resize(1 << 20, b'a');
    huge.extend_from_slice(b"\"}\n");
    // The daemon may close before it has read everything; that is fine.
    let _ = c.send_raw(&huge).await;
    let r = c
        .read_line()
        .await
        .expect("a too_large answer before the close");
    assert_eq!(r["error"]["code"], "too_large", "{r}");
    assert_eq!(
        c.read_line().await,
        None,
        "the connection is closed after too_large"
    );

    assert_eq!(snapshot(&redis), before);
    let mut fresh = _roostd.client().await;
    still_usable(&mut fresh).await;
}
