//! The HTTP streaming API: over the HTTP Unix socket (identity from peer
//! credentials) and over TCP with bearer tokens, with reqwest as the client;
//! chunked framing, keep-alives, `delimited=length`, errors, and cleanup when a
//! client goes away.

use std::io::{Read, Write};
use std::time::Duration;

use roost_tests::{Client, Redis, Roostd, eventually, free_port};
use serde_json::{Value, json};

fn unix_client(roostd: &Roostd) -> reqwest::Client {
    reqwest::Client::builder()
        .unix_socket(roostd.http_socket())
        .build()
        .unwrap()
}

/// Reads from a streaming response until `want` complete `\r\n` lines
/// (keep-alive blank lines included) have arrived.
async fn lines(response: &mut reqwest::Response, want: usize) -> Vec<String> {
    let mut buf = Vec::new();
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        let done: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
        if done.len() > want {
            return done[..want].to_vec();
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("a chunk within 10 s")
            .expect("reading the stream")
            .expect("the stream ended early");
        buf.extend_from_slice(&chunk);
    }
}

async fn subscriptions(c: &mut Client) -> u64 {
    c.ok(json!({"op": "hello"})).await["subscriptions"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn filter_over_the_unix_socket_streams_statuses_and_deletes() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--http-keepalive-ms", "60000"]);
    let mut c = roostd.client().await;
    c.bot("alice").await;
    c.bot("bob").await;
    let http = unix_client(&roostd);
    let mut response = http
        .get("http://roost/statuses/filter.json?track=twitter%20api,redis&follow=bob")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 1
    ));
    let api = c
        .ok(json!({"op": "post", "as": "alice", "text": "The Twitter API is awesome"}))
        .await;
    c.ok(json!({"op": "post", "as": "alice", "text": "I'm new to Twitter"}))
        .await;
    let bobs = c
        .ok(json!({"op": "post", "as": "bob", "text": "anything"}))
        .await;
    c.ok(json!({"op": "delete", "as": "alice", "status": api["id"]}))
        .await;
    let got = lines(&mut response, 3).await;
    assert_eq!(serde_json::from_str::<Value>(&got[0]).unwrap(), api);
    assert_eq!(serde_json::from_str::<Value>(&got[1]).unwrap(), bobs);
    let delete: Value = serde_json::from_str(&got[2]).unwrap();
    assert_eq!(
        delete,
        json!({"delete": {"status": api["id"], "uid": api["uid"]}})
    );
}

#[tokio::test]
async fn post_with_a_form_body_sample_and_firehose() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    let http = unix_client(&roostd);
    let mut filter = http
        .post("http://roost/statuses/filter.json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("track=lunch&locations=-122.75,36.8,-121.75,37.8")
        .send()
        .await
        .unwrap();
    assert_eq!(filter.status(), 200);
    let mut all = http
        .get("http://roost/statuses/sample.json?percent=100")
        .send()
        .await
        .unwrap();
    let mut fire = http
        .get("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 3
    ));
    let sf = c.ok(json!({"op": "post", "as": "a", "text": "here", "location": {"lat": 37.0, "lon": -122.0}})).await;
    let lunch = c
        .ok(json!({"op": "post", "as": "a", "text": "lunch?"}))
        .await;
    let got = lines(&mut filter, 2).await;
    assert_eq!(serde_json::from_str::<Value>(&got[0]).unwrap(), sf);
    assert_eq!(serde_json::from_str::<Value>(&got[1]).unwrap(), lunch);
    assert_eq!(lines(&mut all, 2).await.len(), 2);
    assert_eq!(lines(&mut fire, 2).await.len(), 2);
}

#[tokio::test]
async fn keep_alives_and_length_delimited_messages() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--http-keepalive-ms", "150"]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    let http = unix_client(&roostd);
    let mut quiet = http
        .get("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    let blank = lines(&mut quiet, 2).await;
    assert_eq!(blank, ["", ""], "blank-line keep-alives on a quiet stream");

    let mut delimited = http
        .get("http://roost/statuses/firehose.json?delimited=length")
        .send()
        .await
        .unwrap();
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 2
    ));
    let status = c
        .ok(json!({"op": "post", "as": "a", "text": "length-prefixed ✓"}))
        .await;
    // Skip keep-alives, then: the length line, then exactly that many bytes.
    let mut buf = Vec::new();
    let message = loop {
        while buf.starts_with(b"\r\n") {
            buf.drain(..2);
        }
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            let len: usize = std::str::from_utf8(&buf[..end]).unwrap().parse().unwrap();
            if buf.len() >= end + 2 + len {
                break buf[end + 2..end + 2 + len].to_vec();
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), delimited.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.extend_from_slice(&chunk);
    };
    assert!(
        message.ends_with(b"\r\n"),
        "the length counts the message's own line ending"
    );
    assert_eq!(serde_json::from_slice::<Value>(&message).unwrap(), status);
}

#[test]
fn the_wire_is_http_1_1_chunked() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--http-keepalive-ms", "100"]);
    let mut s = std::os::unix::net::UnixStream::connect(roostd.http_socket()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /statuses/firehose.json HTTP/1.1\r\nHost: roost\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n2\r\n\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.to_lowercase()
            .contains("transfer-encoding: chunked\r\n"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_parameters_unknown_paths_and_methods() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    let http = unix_client(&roostd);
    for (path, status) in [
        ("/statuses/filter.json", 400),
        ("/statuses/filter.json?track=", 400),
        ("/statuses/filter.json?locations=1,2,3", 400),
        ("/statuses/filter.json?locations=a,b,c,d", 400),
        ("/statuses/filter.json?locations=10,0,5,1", 400),
        ("/statuses/filter.json?follow=ghost", 400),
        ("/statuses/filter.json?track=...", 400),
        ("/statuses/sample.json?percent=0", 400),
        ("/statuses/sample.json?percent=many", 400),
        ("/statuses/firehose.json?delimited=bytes", 400),
        ("/statuses/nothing.json", 404),
        ("/", 404),
    ] {
        let response = http
            .get(format!("http://roost{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }
    let wrong = http
        .delete("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(subscriptions(&mut c).await, 0, "no stream was left open");
}

#[tokio::test]
async fn tcp_needs_a_current_token() {
    let redis = Redis::start();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let roostd = Roostd::start(&redis, &["--http", &addr]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    assert_eq!(c.err(json!({"op": "token"})).await, "not_registered");
    let token = c.ok(json!({"op": "token", "as": "a"})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(token.len() >= 32);
    let url = format!("http://{addr}/statuses/filter.json?track=hello");
    let http = reqwest::Client::new();

    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = http
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let mut ok = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 1
    ));
    let status = c
        .ok(json!({"op": "post", "as": "a", "text": "hello over tcp"}))
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&lines(&mut ok, 1).await[0]).unwrap(),
        status
    );

    let newer = c.ok(json!({"op": "token", "as": "a"})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(newer, token);
    let replaced = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(replaced.status(), 401, "a new token replaces the old");
    let fresh = http.get(&url).bearer_auth(&newer).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
    let stored = redis.cli(&["HGETALL", "{roost}:tokens"]);
    assert!(!stored.contains(&newer), "tokens are stored hashed");
    // Issue 8, finding 12: the stream opened with the old token ends too.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = ok.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "a stream outlived its replaced token");
}

#[tokio::test]
async fn a_client_that_goes_away_is_cleaned_up_at_once() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--http-keepalive-ms", "60000"]);
    let mut c = roostd.client().await;
    c.bot("a").await;
    let redis_clients = || redis.cli_lines(&["CLIENT", "LIST"]).len();
    let before = redis_clients();
    let http = unix_client(&roostd);
    let mut streams = Vec::new();
    for _ in 0..5 {
        streams.push(
            http.get("http://roost/statuses/firehose.json")
                .send()
                .await
                .unwrap(),
        );
    }
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 5
    ));
    assert_eq!(redis_clients(), before, "streams open no Redis connections");
    drop(streams);
    drop(http);
    // No event is sent meanwhile: the disconnect itself must be noticed.
    assert!(
        eventually!(Duration::from_secs(2), subscriptions(&mut c).await == 0),
        "streams of a gone client still subscribed"
    );
    assert_eq!(redis_clients(), before);
    // The socket protocol's subscriptions go with their connection too.
    let mut watcher = roostd.client().await;
    watcher
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    assert_eq!(subscriptions(&mut c).await, 1);
    drop(watcher);
    assert!(eventually!(
        Duration::from_secs(2),
        subscriptions(&mut c).await == 0
    ));
}

/// Issue 10 on the HTTP API: the same visibility decision as the socket: a
/// private account's statuses never reach an HTTP stream, and a block keeps
/// each side's statuses from the other's.
#[tokio::test]
async fn http_streams_keep_private_and_blocked_statuses_out() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    // The test's own Unix user, whom the HTTP socket knows by its peer credentials.
    c.ok(json!({"op": "register", "login": "me"})).await;
    for login in ["priv", "blocker", "open"] {
        c.bot(login).await;
    }
    c.ok(json!({"op": "set_profile", "as": "priv", "private": true}))
        .await;
    c.ok(json!({"op": "follow", "as": "me", "login": "priv"}))
        .await;
    c.ok(json!({"op": "approve", "as": "priv", "login": "me"}))
        .await;
    c.ok(json!({"op": "block", "as": "blocker", "login": "me"}))
        .await;
    let http = unix_client(&roostd);
    let mut fire = http
        .get("http://roost/statuses/firehose.json")
        .send()
        .await
        .unwrap();
    assert!(eventually!(
        Duration::from_secs(5),
        subscriptions(&mut c).await == 1
    ));
    c.ok(json!({"op": "post", "as": "priv", "text": "for my followers"}))
        .await;
    c.ok(json!({"op": "post", "as": "blocker", "text": "not for me"}))
        .await;
    let open = c
        .ok(json!({"op": "post", "as": "open", "text": "for everyone"}))
        .await;
    let got = lines(&mut fire, 1).await;
    assert_eq!(
        serde_json::from_str::<Value>(&got[0]).unwrap(),
        open,
        "the first line is the public status: the private and the blocker's never came"
    );
}
