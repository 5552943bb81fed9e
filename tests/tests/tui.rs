//! The `roost` app against a real roostd: its subcommands as scripts run them,
//! and the interactive app in a real terminal (tmux), driven by keys and read
//! back with `capture-pane`.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use roost_tests::{Redis, Roostd, eventually, roost_bin};
use serde_json::{Value, json};

use crate::setup;

fn roost(roostd: &Roostd, args: &[&str]) -> Output {
    Command::new(roost_bin())
        .args(args)
        .env("ROOST_SOCKET", &roostd.socket)
        .output()
        .expect("running roost")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "roost failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn subcommands_for_scripts() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let alices = c
        .ok(json!({"op": "post", "as": "alice", "text": "from alice"}))
        .await["id"]
        .as_u64()
        .unwrap();

    let not_yet = roost(&roostd, &["post", "too early"]);
    assert_eq!(not_yet.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_yet.stderr).starts_with("roost: not_registered: "));

    let me: Value = serde_json::from_str(&stdout(&roost(
        &roostd,
        &["--json", "register", "--name", "Script"],
    )))
    .unwrap();
    assert_eq!(me["name"], "Script");
    assert!(stdout(&roost(&roostd, &["post", "hello from a script"])).starts_with("posted #"));
    let placed = stdout(&roost(
        &roostd,
        &[
            "--json",
            "post",
            "--location",
            "52.52,-13.4",
            "from a place",
        ],
    ));
    let placed: Value = serde_json::from_str(&placed).unwrap();
    assert_eq!(placed["location"], json!({"lat": 52.52, "lon": -13.4}));
    assert_eq!(
        roost(&roostd, &["post", "--location", "91,0", "nowhere"])
            .status
            .code(),
        Some(2)
    );
    let mut child = Command::new(roost_bin())
        .args(["--json", "post", "-"])
        .env("ROOST_SOCKET", &roostd.socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("from stdin\nsecond line 数据库\n".as_bytes())
        .unwrap();
    let piped: Value = serde_json::from_str(&stdout(&child.wait_with_output().unwrap())).unwrap();
    assert_eq!(piped["text"], "from stdin\nsecond line 数据库");

    assert_eq!(
        stdout(&roost(&roostd, &["follow", "alice"])).trim(),
        "following @alice"
    );
    let follow_again = roost(&roostd, &["follow", "alice"]);
    assert_eq!(follow_again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&follow_again.stderr).starts_with("roost: conflict: "));

    let human = stdout(&roost(&roostd, &["timeline"]));
    assert!(
        human.contains("@alice")
            && human.contains("  from alice")
            && human.contains("  second line 数据库"),
        "{human}"
    );
    let lines = stdout(&roost(&roostd, &["--json", "timeline", "--count", "2"]));
    let statuses: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0]["id"], piped["id"]);
    let profile = stdout(&roost(
        &roostd,
        &["--json", "timeline", "--profile", "alice"],
    ));
    assert_eq!(
        serde_json::from_str::<Value>(profile.trim()).unwrap()["id"],
        alices
    );

    let user = stdout(&roost(&roostd, &["user", "alice"]));
    assert!(
        user.contains("@alice") && user.contains("1 followers"),
        "{user}"
    );
    let followers = stdout(&roost(&roostd, &["--json", "followers", "alice"]));
    assert_eq!(
        serde_json::from_str::<Value>(followers.trim()).unwrap()["user"]["login"],
        me["login"]
    );
    assert!(stdout(&roost(&roostd, &["following"])).contains("@alice"));

    let id = piped["id"].as_u64().unwrap().to_string();
    assert_eq!(
        stdout(&roost(&roostd, &["delete", &id])).trim(),
        format!("deleted #{id}")
    );
    let forbidden = roost(&roostd, &["delete", &alices.to_string()]);
    assert!(String::from_utf8_lossy(&forbidden.stderr).starts_with("roost: forbidden: "));
    assert_eq!(
        stdout(&roost(&roostd, &["unfollow", "alice"])).trim(),
        "unfollowed @alice"
    );
    let missing = roost(&roostd, &["user", "ghost"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("roost: not_found: "));
}

/// Issue 9: every conversation op as a subcommand, human and `--json`.
#[tokio::test]
async fn conversation_subcommands_for_scripts() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let json_of = |args: &[&str]| -> Value {
        let mut full = vec!["--json"];
        full.extend(args);
        serde_json::from_str(
            stdout(&roost(&roostd, &full))
                .lines()
                .next()
                .unwrap_or("null"),
        )
        .unwrap()
    };
    let me = json_of(&["register", "--name", "Scripter"]);
    let me = me["login"].as_str().unwrap().to_owned();
    let question = c
        .ok(json!({"op": "post", "as": "alice", "text": format!("#redis or #rust, @{me}?")}))
        .await["id"]
        .as_u64()
        .unwrap();
    let q = question.to_string();

    let reply = json_of(&["reply", &q, "both"]);
    assert_eq!(reply["reply_to"], question);
    assert_eq!(reply["reply_to_login"], "alice");
    assert!(stdout(&roost(&roostd, &["reply", &q, "again"])).starts_with("replied #"));
    assert_eq!(
        json_of(&["like", &q]),
        json!({"status": question, "likes": 1})
    );
    assert_eq!(
        roost(&roostd, &["like", &q]).status.code(),
        Some(1),
        "liking twice is conflict"
    );
    let likes = json_of(&["likes", &q]);
    assert_eq!(likes["user"]["login"], me);
    let repost = json_of(&["repost", &q]);
    assert_eq!(repost["repost_of"]["id"], question);
    let thread = json_of(&["thread", &q]);
    assert_eq!(thread["replies"].as_array().unwrap().len(), 2);
    let human = stdout(&roost(&roostd, &["thread", &q]));
    assert!(
        human.contains("── 2 replies") && human.contains("(↩ to @alice)"),
        "{human}"
    );
    let mentions = json_of(&["timeline", "--mentions"]);
    assert_eq!(mentions["id"], question);
    let liked = json_of(&["timeline", "--likes"]);
    assert_eq!(liked["id"], question);
    let liked_by = json_of(&["timeline", "--likes", &me]);
    assert_eq!(liked_by["id"], question);
    let tagged = json_of(&["timeline", "--tag", "#Rust"]);
    assert_eq!(tagged["id"], question);
    let ranked = json_of(&["timeline", "--importance"]);
    assert!(ranked["id"].is_u64());
    let trending = stdout(&roost(&roostd, &["trending", "--hours", "24"]));
    assert!(trending.contains("#redis · 1 statuses"), "{trending}");
    let notifications = stdout(&roost(&roostd, &["notifications", "--read"]));
    assert!(
        notifications.contains("@alice mentioned you") && notifications.contains("1 unread"),
        "{notifications}"
    );
    assert!(stdout(&roost(&roostd, &["notifications"])).contains("0 unread"));
    assert_eq!(
        stdout(&roost(&roostd, &["mute", "alice"])).trim(),
        "muted @alice"
    );
    assert!(stdout(&roost(&roostd, &["mutes"])).contains("@alice"));
    assert_eq!(
        stdout(&roost(&roostd, &["unmute", "alice"])).trim(),
        "unmuted @alice"
    );
    let blocked = json_of(&["block", "alice"]);
    assert_eq!(blocked["relationship"]["blocking"], true);
    assert!(stdout(&roost(&roostd, &["blocks"])).contains("@alice"));
    assert_eq!(
        stdout(&roost(&roostd, &["unblock", "alice"])).trim(),
        "unblocked @alice"
    );
    let private = json_of(&["profile", "--private"]);
    assert_eq!(private["private"], true);
    c.ok(json!({"op": "follow", "as": "alice", "login": me}))
        .await;
    assert!(stdout(&roost(&roostd, &["requests"])).contains("@alice"));
    assert_eq!(
        stdout(&roost(&roostd, &["approve", "alice"])).trim(),
        "@alice follows you now"
    );
    let public = json_of(&["profile", "--public"]);
    assert_eq!(public["private"], false);
    let sent = json_of(&["dm", "alice", "between us"]);
    assert_eq!(sent["text"], "between us");
    let conversation = sent["conversation"].as_str().unwrap().to_owned();
    assert!(stdout(&roost(&roostd, &["conversations"])).contains("with @alice · 0 unread"));
    assert!(stdout(&roost(&roostd, &["messages", &conversation])).contains("  between us"));
    let filed = json_of(&["report", &q, "off topic"]);
    assert!(filed["report"].is_u64(), "{filed}");
    let open = json_of(&["mod", "reports"]);
    assert_eq!(open["reason"], "off topic");
    let done = json_of(&["mod", "act", "dismiss", &filed["report"].to_string()]);
    assert_eq!(done, json!({"action": "dismiss", "done": true}));
    assert_eq!(json_of(&["mod", "log"])["action"], "dismiss");
    let profile = json_of(&["profile", "--bio", "writes scripts"]);
    assert_eq!(profile["bio"], "writes scripts");
    assert!(stdout(&roost(&roostd, &["user", &me])).contains("  writes scripts"));
    assert!(stdout(&roost(&roostd, &["unlike", &q])).contains("unliked"));
    assert!(stdout(&roost(&roostd, &["unrepost", &q])).contains("unreposted"));
    assert_eq!(
        roost(&roostd, &["unrepost", &q]).status.code(),
        Some(1),
        "nothing left to unrepost"
    );
}

#[tokio::test]
async fn stream_subcommand_prints_matches_as_they_happen() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let mut child = Command::new(roost_bin())
        .args(["--json", "stream", "--track", "zebra,giraffe neck"])
        .env("ROOST_SOCKET", &roostd.socket)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the stream is subscribed before posting.
    let start = Instant::now();
    while c.ok(json!({"op": "hello"})).await["subscriptions"] != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "roost stream never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.ok(json!({"op": "post", "as": "alice", "text": "a zebra!"}))
        .await;
    c.ok(json!({"op": "post", "as": "alice", "text": "nothing"}))
        .await;
    c.ok(json!({"op": "post", "as": "alice", "text": "the giraffe's long neck"}))
        .await;
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut reader = std::io::BufReader::new(&mut out);
        while lines.len() < 2 {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut reader, &mut line).unwrap() == 0 {
                break;
            }
            lines.push(line);
        }
        lines
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.is_finished() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let lines = reader.join().unwrap();
    let texts: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["status"]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("a zebra!"), json!("the giraffe's long neck")]);
}

/// A tmux server of the test's own, running roost (or another terminal
/// program) in one pane.
pub struct Tmux {
    name: String,
}

impl Tmux {
    fn start(roostd: &Roostd, cols: u16, rows: u16) -> Tmux {
        let command = format!(
            "env ROOST_SOCKET={} TERM=xterm-256color {}",
            roostd.socket.display(),
            roost_bin().display()
        );
        Tmux::run(&command, cols, rows)
    }

    /// Runs `command` (a shell command line) in a fresh terminal of `cols` x `rows`.
    pub fn run(command: &str, cols: u16, rows: u16) -> Tmux {
        // One tmux server per terminal of this process's tests.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("roost-test-{}-{n}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "-L",
                &name,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
                command,
            ])
            .status()
            .expect("tmux must be installed for the terminal tests (apt-get install tmux)");
        assert!(ok.success());
        Tmux { name }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.name, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.name, "send-keys"];
        args.extend(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    fn text(&self, text: &str) {
        assert!(
            Command::new("tmux")
                .args(["-L", &self.name, "send-keys", "-l", text])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Waits until the screen shows every one of `wanted`; returns the screen.
    pub async fn wait(&self, wanted: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if wanted.iter().all(|w| screen.contains(w)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {wanted:?}:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.name, "has-session"])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn the_app_in_a_real_terminal() {
    let redis = Redis::start();
    let mut roostd = Roostd::start(&redis, &[]);
    let mut c = roostd.client().await;
    c.bot("alice").await;
    c.ok(json!({"op": "post", "as": "alice", "text": "an older status of alice"}))
        .await;

    let tmux = Tmux::start(&roostd, 100, 30);
    tmux.wait(&["Your display name"]).await;
    tmux.text("Terminal Tester");
    tmux.keys(&["Enter"]);
    tmux.wait(&["● live", "Home is empty"]).await;

    // Compose and send.
    tmux.keys(&["c"]);
    tmux.wait(&["New status"]).await;
    tmux.text("hello from a real terminal 数据库");
    tmux.keys(&["C-s"]);
    tmux.wait(&["Posted.", "hello from a real terminal 数据库"])
        .await;

    // Open a profile by login and follow it.
    tmux.keys(&["@"]);
    tmux.text("alice");
    tmux.keys(&["Enter"]);
    tmux.wait(&["@alice · f to follow", "an older status of alice"])
        .await;
    tmux.keys(&["f"]);
    tmux.wait(&["Following @alice", "1 followers"]).await;
    tmux.keys(&["q"]);
    tmux.wait(&["an older status of alice", "hello from a real terminal"])
        .await;

    // A status posted by another client appears live.
    c.ok(json!({"op": "post", "as": "alice", "text": "live from another client"}))
        .await;
    tmux.wait(&["live from another client"]).await;

    // The stream pane.
    tmux.keys(&["e"]);
    tmux.text("track: zebra");
    tmux.keys(&["Enter"]);
    tmux.wait(&["Filter: track: zebra", "0 matches"]).await;
    c.ok(json!({"op": "post", "as": "alice", "text": "a zebra crossing"}))
        .await;
    let stream = tmux
        .wait(&["a zebra crossing", "1 matches", "Stream (1)"])
        .await;

    // roostd goes away and comes back: the app says so and misses nothing.
    roostd.kill9();
    tmux.wait(&["reconnecting"]).await;
    roostd.restart();
    let mut c = roostd.client().await;
    c.ok(json!({"op": "post", "as": "alice", "text": "zebra posted during the outage"}))
        .await;
    tmux.wait(&["● live", "zebra posted during the outage", "2 matches"])
        .await;
    tmux.keys(&["Tab"]);
    let home = tmux
        .wait(&["zebra posted during the outage", "live from another client"])
        .await;

    // Help, then quit.
    tmux.keys(&["?"]);
    tmux.wait(&["Keys (", "compose a status"]).await;
    tmux.keys(&["x"]);
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!tmux.alive(), "roost did not quit on q");
    println!("stream pane:\n{stream}\nhome timeline:\n{home}");
}

/// Issue 9: a conversation in the app: reply from a thread, like, and a
/// notification arriving live with its badge.
#[tokio::test]
async fn the_app_replies_likes_and_is_notified_live() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("alice").await;
    let question = c
        .ok(json!({"op": "post", "as": "alice", "text": "what do you think of #redis?"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let tmux = Tmux::start(&roostd, 100, 30);
    tmux.wait(&["Your display name"]).await;
    tmux.text("Talker");
    tmux.keys(&["Enter"]);
    tmux.wait(&["Welcome, Talker!"]).await;
    let me = c.ok(json!({"op": "hello"})).await["you"]["login"]
        .as_str()
        .expect("the app registered the Unix user")
        .to_owned();
    c.ok(json!({"op": "follow", "as": me, "login": "alice"}))
        .await;
    tmux.wait(&["what do you think of #redis?"]).await;

    // Open the thread, reply from it: the parent is quoted above the box.
    tmux.keys(&["g", "t"]);
    tmux.wait(&["Thread · 1 statuses"]).await;
    tmux.keys(&["R"]);
    tmux.wait(&["Reply to @alice", "│ what do you think of #redis?"])
        .await;
    tmux.text("fast and simple");
    tmux.keys(&["C-s"]);
    tmux.wait(&[
        "Replied to @alice.",
        "Thread · 2 statuses",
        "↩ to @alice",
        "@alice fast and simple",
    ])
    .await;
    let thread = c
        .ok(json!({"op": "thread", "as": "alice", "status": question}))
        .await;
    assert_eq!(thread["replies"][0]["text"], "@alice fast and simple");
    assert_eq!(thread["status"]["replies"], 1);

    // Like the question (still selected in the thread).
    tmux.keys(&["s"]);
    tmux.wait(&["Liked.", "♥ 1"]).await;
    let thread = c
        .ok(json!({"op": "thread", "as": me, "status": question}))
        .await;
    assert_eq!(
        (&thread["status"]["likes"], &thread["status"]["liked"]),
        (&json!(1), &json!(true))
    );

    // Alice mentions us: the badge shows it live, the pane lists it.
    c.ok(json!({"op": "post", "as": "alice", "text": format!("thanks @{me}!")}))
        .await;
    tmux.wait(&["Notifications (1)"]).await;
    tmux.keys(&["N"]);
    let pane = tmux
        .wait(&["@alice mentioned you", &format!("thanks @{me}!")])
        .await;
    // Seen at the top: read, in roostd too.
    let read = eventually!(
        Duration::from_secs(10),
        c.ok(json!({"op": "marker", "as": me})).await["notifications_unread"] == 0
    );
    assert!(read, "the notifications marker was not set");
    tmux.wait(&["Notifications "]).await;
    println!("notifications pane:\n{pane}");
}

/// Issue 10 in the app: settings make the account private, a follow request
/// is approved from the Requests list, a direct message arrives live and is
/// answered, a profile is reported, and the operator suspends it from the
/// moderation pane.
#[tokio::test]
async fn the_app_approves_a_request_chats_live_and_moderates() {
    let (_redis, roostd, mut c) = setup(&[]).await;
    c.bot("bob").await;
    let tmux = Tmux::start(&roostd, 110, 30);
    tmux.wait(&["Your display name"]).await;
    tmux.text("Quiet Person");
    tmux.keys(&["Enter"]);
    tmux.wait(&["Welcome, Quiet Person!"]).await;
    let me = c.ok(json!({"op": "hello"})).await["you"]["login"]
        .as_str()
        .expect("the app registered the Unix user")
        .to_owned();

    // Settings: a bio, and private.
    tmux.keys(&["E"]);
    tmux.wait(&["Your profile", "[ ] private"]).await;
    tmux.keys(&["Tab"]);
    tmux.text("tends the build box");
    tmux.keys(&["Tab", "Space"]);
    tmux.wait(&["[x] private"]).await;
    tmux.keys(&["Enter"]);
    tmux.wait(&["Profile saved (private)."]).await;
    let user = c.ok(json!({"op": "user", "login": me})).await;
    assert_eq!(
        (&user["private"], &user["bio"]),
        (&json!(true), &json!("tends the build box"))
    );

    // Bob asks to follow; the request is approved from the list.
    let asked = c
        .ok(json!({"op": "follow", "as": "bob", "login": me}))
        .await;
    assert_eq!(asked["relationship"]["requested"], true);
    tmux.keys(&["Q"]);
    tmux.wait(&["Asking to follow you", "@bob"]).await;
    tmux.keys(&["y"]);
    tmux.wait(&["nobody yet"]).await;
    let followers = c.ok(json!({"op": "followers", "login": me})).await;
    assert_eq!(followers["users"][0]["user"]["login"], "bob");
    tmux.keys(&["q"]);

    // A direct message arrives live: the badge, the list, the chat.
    c.ok(json!({"op": "dm", "as": "bob", "to": [me], "text": "psst, lunch at noon?"}))
        .await;
    tmux.wait(&["Messages (1)"]).await;
    tmux.keys(&["D"]);
    tmux.wait(&["@bob (1 unread)", "@bob: psst, lunch at noon?"])
        .await;
    tmux.keys(&["Enter"]);
    tmux.wait(&["With @bob", "psst, lunch at noon?"]).await;
    let read = eventually!(
        Duration::from_secs(10),
        c.ok(json!({"op": "conversations", "as": me})).await["conversations"][0]["unread"] == 0
    );
    assert!(read, "opening the chat did not read it");
    // Another arrives while the chat is open, then an answer goes back.
    c.ok(json!({"op": "dm", "as": "bob", "to": [me], "text": "the usual place"}))
        .await;
    tmux.wait(&["the usual place"]).await;
    tmux.keys(&["c"]);
    tmux.wait(&["Message to @bob"]).await;
    tmux.text("yes, see you there");
    tmux.keys(&["C-s"]);
    let chat = tmux.wait(&["Sent.", "yes, see you there"]).await;
    let conversation = c.ok(json!({"op": "conversations", "as": "bob"})).await["conversations"][0]
        ["conversation"]
        .clone();
    let messages = c
        .ok(json!({"op": "messages", "as": "bob", "conversation": conversation}))
        .await;
    assert_eq!(messages["messages"][0]["text"], "yes, see you there");
    assert_eq!(messages["messages"][0]["from"], me);
    tmux.keys(&["Escape", "Escape"]);

    // Report bob's profile; as an operator, suspend him from the pane.
    tmux.keys(&["@"]);
    tmux.text("bob");
    tmux.keys(&["Enter"]);
    tmux.wait(&["@bob · f to follow"]).await;
    tmux.keys(&["!"]);
    tmux.wait(&["Why report this?"]).await;
    tmux.text("sends spam by DM");
    tmux.keys(&["Enter"]);
    tmux.wait(&["Reported (#"]).await;
    tmux.keys(&["O"]);
    tmux.wait(&["Reports (1 open)", "reports an account", "sends spam by DM"])
        .await;
    tmux.keys(&["Z"]);
    tmux.wait(&["suspend @bob? (y/n)"]).await;
    tmux.keys(&["y"]);
    let pane = tmux.wait(&["Done: suspend.", "Reports (0 open)"]).await;
    assert_eq!(
        c.ok(json!({"op": "user", "login": "bob"})).await["suspended"],
        true
    );
    tmux.keys(&["v"]);
    tmux.wait(&["Audit log", " suspend @bob"]).await;
    println!("chat:\n{chat}\nmoderation:\n{pane}");
}

#[tokio::test]
async fn roost_starts_a_daemon_when_none_answers() {
    let home = tempfile::tempdir().unwrap();
    let run = home.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let env = |cmd: &mut Command| {
        cmd.env_remove("ROOST_SOCKET")
            .env_remove("ROOST_REDIS_URL")
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_DATA_HOME", home.path().join("data"));
    };
    let mut register = Command::new(roost_bin());
    register.args(["--json", "register", "--name", "Auto"]);
    env(&mut register);
    let me: Value = serde_json::from_str(&stdout(&register.output().unwrap())).unwrap();
    assert_eq!(me["name"], "Auto");
    let socket = run.join("roost/roostd.sock");
    assert!(socket.exists(), "roostd listens on the per-user socket");
    assert!(
        run.join("roost/redis.sock").exists(),
        "with its private redis-server"
    );
    // A second call finds the running daemon.
    let mut post = Command::new(roost_bin());
    post.args(["post", "started by roost"]);
    env(&mut post);
    assert!(stdout(&post.output().unwrap()).starts_with("posted #"));
    // Stop the daemon it started (it stops its redis-server).
    let pids = Command::new("pgrep")
        .args(["-f", &format!("roostd --socket {}", socket.display())])
        .output()
        .unwrap();
    let pid: i32 = String::from_utf8_lossy(&pids.stdout)
        .trim()
        .parse()
        .expect("the started roostd");
    // SAFETY: signalling the daemon this test caused to start.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while socket.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!socket.exists(), "the daemon stopped cleanly");
}

/// Issue 12: `roost doctor` says in words what works and what does not.
#[tokio::test]
async fn doctor_says_what_answers_and_what_does_not() {
    let (redis, roostd, _c) = setup(&["--redis-timeout-ms", "500"]).await;
    let out = roost(&roostd, &["doctor"]);
    let text = stdout(&out);
    assert!(text.contains("answers, protocol 2"), "{text}");
    assert!(text.contains("its Redis answers"), "{text}");
    assert!(text.contains("you have no account yet"), "{text}");
    assert!(text.contains("ok  clocks agree"), "{text}");
    redis.pause(true);
    let out = roost(&roostd, &["doctor"]);
    redis.pause(false);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("its Redis does not answer"), "{text}");
    let out = Command::new(roost_bin())
        .arg("doctor")
        .env("ROOST_SOCKET", roostd.socket.with_file_name("nothing.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no such socket"));
}
