//! Identity from peer credentials: a client run as another Unix user (with
//! `setpriv`) is not an operator, cannot act `as` others or register bots, and
//! cannot delete what is not theirs.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use roost_tests::{Redis, Roostd, wire_bin};
use serde_json::{Value, json};

const NOBODY: u32 = 65534;

/// Runs the requests through `roost-wire` as uid/gid 65534 and returns the answers.
fn as_nobody(socket: &std::path::Path, requests: &[Value]) -> Vec<Value> {
    let mut child = roost_tests::as_user(NOBODY, &wire_bin())
        .arg(socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("setpriv (util-linux) must be installed");
    let mut input = String::new();
    for r in requests {
        input.push_str(&r.to_string());
        input.push('\n');
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "roost-wire as nobody failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("ok")
}

#[tokio::test]
async fn another_unix_user_is_not_an_operator() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--socket-mode", "0666"]);
    roostd.open_to_others();
    let mut op = roostd.client().await;
    op.bot("alice").await;
    let alices = op
        .ok(json!({"op": "post", "as": "alice", "text": "mine"}))
        .await["id"]
        .as_u64()
        .unwrap();

    let answers = as_nobody(
        &roostd.socket,
        &[
            json!({"op": "hello"}),
            json!({"op": "post", "text": "before register"}),
            json!({"op": "timeline", "kind": "home"}),
            json!({"op": "register", "login": "mallory", "bot": true}),
            json!({"op": "register", "name": "Nobody"}),
            json!({"op": "hello"}),
            json!({"op": "register", "login": "again"}),
            json!({"op": "post", "as": "alice", "text": "impersonating"}),
            json!({"op": "timeline", "kind": "home", "as": "alice"}),
            json!({"op": "follow", "as": "alice", "login": "nobody"}),
            json!({"op": "delete", "status": alices}),
            json!({"op": "post", "text": "my own"}),
            json!({"op": "post", "as": "nobody", "text": "as myself is fine"}),
            json!({"op": "user", "login": "alice"}),
        ],
    );
    assert_eq!(answers.len(), 14, "{answers:?}");
    assert_eq!(answers[0]["result"]["operator"], false);
    assert_eq!(answers[0]["result"]["you"], Value::Null);
    assert_eq!(code(&answers[1]), "not_registered");
    assert_eq!(code(&answers[2]), "not_registered");
    assert_eq!(code(&answers[3]), "forbidden");
    assert_eq!(code(&answers[4]), "ok");
    assert_eq!(
        answers[4]["result"]["login"], "nobody",
        "login defaults to the Unix user name"
    );
    assert_eq!(answers[4]["result"]["name"], "Nobody");
    assert_eq!(answers[5]["result"]["you"]["login"], "nobody");
    assert_eq!(code(&answers[6]), "conflict", "one account per uid");
    assert_eq!(code(&answers[7]), "forbidden");
    assert_eq!(code(&answers[8]), "forbidden");
    assert_eq!(code(&answers[9]), "forbidden");
    assert_eq!(code(&answers[10]), "forbidden");
    assert_eq!(code(&answers[11]), "ok");
    assert_eq!(code(&answers[12]), "ok");
    assert_eq!(
        answers[13]["result"]["posts"], 1,
        "alice's status is still there"
    );

    let profile = op
        .ok(json!({"op": "timeline", "kind": "profile", "login": "alice"}))
        .await;
    assert_eq!(profile["statuses"][0]["text"], "mine");
    let nobody = op.ok(json!({"op": "user", "login": "nobody"})).await;
    assert_eq!(nobody["posts"], 2);
    let alice = op.ok(json!({"op": "user", "login": "alice"})).await;
    assert_eq!(alice["following"], 0, "the forbidden follow did nothing");
    // The bot was not created.
    assert_eq!(
        op.err(json!({"op": "user", "login": "mallory"})).await,
        "not_found"
    );
}

#[tokio::test]
async fn a_private_socket_refuses_other_users() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &[]);
    roostd.open_to_others();
    let mode = std::fs::metadata(&roostd.socket)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let out = roost_tests::as_user(NOBODY, &wire_bin())
        .arg(&roostd.socket)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "another user connected to a 0600 socket"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ermission denied"),
        "{out:?}"
    );
}

/// `roost-wire` running as another Unix user, answering one request at a time.
struct WireAs {
    child: std::process::Child,
    answers: std::io::BufReader<std::process::ChildStdout>,
}

impl WireAs {
    fn start(uid: u32, socket: &std::path::Path) -> WireAs {
        let mut child = roost_tests::as_user(uid, &wire_bin())
            .arg(socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("setpriv (util-linux) must be installed");
        let answers = std::io::BufReader::new(child.stdout.take().unwrap());
        WireAs { child, answers }
    }

    fn call(&mut self, request: Value) -> Value {
        use std::io::BufRead;
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.answers.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }
}

impl Drop for WireAs {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Issue 8, finding 5: after Redis loses its data, a connection that knew its
/// account never acts for whoever registers next, and ids are not reused.
#[tokio::test]
async fn an_old_connection_never_acts_for_the_next_owner_of_its_id() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--socket-mode", "0666"]);
    roostd.open_to_others();
    let mut mallory = WireAs::start(NOBODY, &roostd.socket);
    let old = mallory.call(json!({"op": "register", "login": "mallory"}));
    let old_id = old["result"]["id"].as_u64().expect("registered");
    assert_eq!(
        code(&mallory.call(json!({"op": "post", "text": "hi"}))),
        "ok"
    );
    redis.cli(&["FLUSHALL"]);
    let mut victim = WireAs::start(65533, &roostd.socket);
    let new = victim.call(json!({"op": "register", "login": "victim"}));
    let new_id = new["result"]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{new}"));
    assert!(new_id > old_id, "id {old_id} handed out again");
    let posted = victim.call(json!({"op": "post", "text": "mine alone"}));
    let sid = posted["result"]["id"].as_u64().unwrap();
    let deleted = mallory.call(json!({"op": "delete", "status": sid}));
    assert_ne!(
        code(&deleted),
        "ok",
        "the old connection deleted the victim's status"
    );
    let mut op = roostd.client().await;
    let profile = op
        .ok(json!({"op": "timeline", "kind": "profile", "login": "victim"}))
        .await;
    assert_eq!(profile["statuses"][0]["id"], sid);
    // Once the daemon has seen the new epoch, the old connection has no account.
    let unregistered = roost_tests::eventually!(
        std::time::Duration::from_secs(5),
        mallory.call(json!({"op": "hello"}))["result"]["you"].is_null()
    );
    assert!(unregistered);
}

/// Issue 12: a socket for one group only (`--socket-group`, mode 0660): its
/// members connect, other users can't; and roostd refuses a socket directory
/// that other users can write to.
#[tokio::test]
async fn a_group_only_socket_and_no_world_writable_socket_directory() {
    use std::os::unix::fs::MetadataExt;
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--socket-group", "nogroup"]);
    roostd.open_to_others();
    let meta = std::fs::metadata(&roostd.socket).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o660);
    assert_eq!(meta.gid(), 65534, "the socket belongs to nogroup");
    let mut member = WireAs::start(NOBODY, &roostd.socket);
    assert_eq!(code(&member.call(json!({"op": "hello"}))), "ok");
    let stranger = roost_tests::as_user(65533, &wire_bin())
        .arg(&roostd.socket)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!stranger.status.success(), "a non-member connected");

    let open = tempfile::tempdir().unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = Roostd::prepare(
        vec![
            "--redis".into(),
            redis.url(),
            "--http-socket".into(),
            open.path().join("roostd-http.sock").display().to_string(),
        ],
        Vec::new(),
    );
    let (status, stderr) = refused.run_once();
    assert!(!status.success());
    assert!(stderr.contains("can be written by other users"), "{stderr}");
}

/// Issue 10, rate limits: a neighbour posting, liking or following in a loop
/// is `rate_limited` past the limit, with `retry_after`; a request refused or
/// failed counts nothing; operators are exempt.
#[tokio::test]
async fn rate_limits_stop_a_neighbour_acting_in_a_loop() {
    let redis = Redis::start();
    let roostd = Roostd::start(
        &redis,
        &[
            "--socket-mode",
            "0666",
            "--limit-posts",
            "3",
            "--limit-likes",
            "2",
            "--limit-follows",
            "2",
        ],
    );
    roostd.open_to_others();
    let mut op = roostd.client().await;
    let mut sids = Vec::new();
    for login in ["alice", "bob", "carol"] {
        op.bot(login).await;
        sids.push(
            op.ok(json!({"op": "post", "as": login, "text": "hi"}))
                .await["id"]
                .clone(),
        );
    }
    // The operator is exempt, `as` someone or not.
    for i in 0..6 {
        op.ok(json!({"op": "post", "as": "alice", "text": format!("op {i}")}))
            .await;
    }
    let post = |n: u32| json!({"op": "post", "text": format!("spam {n}")});
    let answers = as_nobody(
        &roostd.socket,
        &[
            json!({"op": "register", "login": "neighbour"}),
            post(1),
            json!({"op": "post", "text": ""}),
            post(2),
            post(3),
            post(4),
            json!({"op": "like", "status": sids[0]}),
            json!({"op": "like", "status": sids[0]}),
            json!({"op": "like", "status": 9999}),
            json!({"op": "like", "status": sids[1]}),
            json!({"op": "like", "status": sids[2]}),
            json!({"op": "follow", "login": "alice"}),
            json!({"op": "follow", "login": "alice"}),
            json!({"op": "follow", "login": "bob"}),
            json!({"op": "follow", "login": "carol"}),
        ],
    );
    let codes: Vec<&str> = answers.iter().map(code).collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "bad_request",
            "ok",
            "ok",
            "rate_limited",
            "ok",
            "conflict",
            "not_found",
            "ok",
            "rate_limited",
            "ok",
            "conflict",
            "ok",
            "rate_limited",
        ]
    );
    for refused in [&answers[5], &answers[10], &answers[14]] {
        let wait = refused["error"]["retry_after"].as_u64().unwrap();
        assert!((1..=60).contains(&wait), "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("per minute")
        );
    }
    let neighbour = op.ok(json!({"op": "user", "login": "neighbour"})).await;
    assert_eq!(neighbour["posts"], 3, "the refused post changed nothing");
    assert_eq!(neighbour["following"], 2);
}

/// Issue 10: moderation is for operators only.
#[tokio::test]
async fn only_operators_moderate() {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, &["--socket-mode", "0666"]);
    roostd.open_to_others();
    let answers = as_nobody(
        &roostd.socket,
        &[
            json!({"op": "reports"}),
            json!({"op": "moderate", "action": "suspend", "login": "x"}),
            json!({"op": "moderation_log"}),
        ],
    );
    let codes: Vec<&str> = answers.iter().map(code).collect();
    assert_eq!(codes, ["forbidden", "forbidden", "forbidden"]);
}

/// Issue 11: `--replica-ack` on a Redis without replicas: a write fails with
/// `unavailable` once the wait is over (what it wrote stays), reads answer.
#[tokio::test]
async fn replica_ack_without_replicas_says_unavailable_and_keeps_the_write() {
    let (_redis, _roostd, mut c) =
        crate::setup(&["--replica-ack", "1", "--replica-ack-timeout-ms", "50"]).await;
    let r = c
        .call(json!({"op": "register", "login": "solo", "bot": true}))
        .await;
    assert_eq!(r["error"]["code"], "unavailable", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0 of 1 replicas"),
        "{r}"
    );
    let user = c.ok(json!({"op": "user", "login": "solo"})).await;
    assert_eq!(user["login"], "solo", "the account was written");
    let r = c
        .call(json!({"op": "post", "as": "solo", "text": "still written"}))
        .await;
    assert_eq!(r["error"]["code"], "unavailable");
    let profile = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "solo"}))
        .await;
    assert_eq!(profile["statuses"][0]["text"], "still written");
}
