//! The privacy matrix (issue 10): every path that returns or delivers a
//! status, for each kind of status that is not for everyone, as seen by each
//! kind of viewer, on the socket and over HTTP. The expected answer comes from
//! the rules of PROTOCOL-SOCIAL.md written out once here ([`expected`]); the
//! test prints the whole table and fails on any cell that differs.
//!
//! Cases (one author each, one status each, mentioning every viewer):
//! - `public`: nothing special (the control: shows that each path can see);
//! - `private`: a private account, which approved `follower`;
//! - `went_private`: an account that went private after it posted (keeping
//!   `follower`);
//! - `blocks`: an author who blocked the `blocked` viewer;
//! - `blocked`: an author blocked by the `blocker` viewer;
//! - `muted`: an author `follower` mutes;
//! - `hidden`: a status an operator hid after it was posted;
//! - `suspended`: an account suspended after it posted.
//!
//! Viewers: the author, `follower` (follows every author, approved by the
//! private one), `stranger`, the other side of a block (`blocked` for the
//! `blocks` case, `blocker` for `blocked`; for the other cases they are two
//! more strangers), and an operator without an account.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures_util::future::join_all;
use roost_tests::{Client, Redis, Roostd, eventually};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Case {
    Public,
    Private,
    WentPrivate,
    Blocks,
    Blocked,
    Muted,
    Hidden,
    Suspended,
}

const CASES: [Case; 8] = [
    Case::Public,
    Case::Private,
    Case::WentPrivate,
    Case::Blocks,
    Case::Blocked,
    Case::Muted,
    Case::Hidden,
    Case::Suspended,
];

impl Case {
    fn author(self) -> &'static str {
        match self {
            Case::Public => "pub_a",
            Case::Private => "priv_a",
            Case::WentPrivate => "went_a",
            Case::Blocks => "blocks_a",
            Case::Blocked => "blocked_a",
            Case::Muted => "muted_a",
            Case::Hidden => "hidden_a",
            Case::Suspended => "susp_a",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Viewer {
    Author,
    Follower,
    Stranger,
    /// `blocked` (blocked by the `blocks` author).
    BlockedOne,
    /// `blocker` (who blocked the `blocked` author).
    BlockerOne,
    Operator,
}

const VIEWERS: [Viewer; 6] = [
    Viewer::Author,
    Viewer::Follower,
    Viewer::Stranger,
    Viewer::BlockedOne,
    Viewer::BlockerOne,
    Viewer::Operator,
];

impl Viewer {
    /// The login reading, `None` for the operator without an account.
    fn login(self, case: Case) -> Option<&'static str> {
        match self {
            Viewer::Author => Some(case.author()),
            Viewer::Follower => Some("follower"),
            Viewer::Stranger => Some("stranger"),
            Viewer::BlockedOne => Some("blocked"),
            Viewer::BlockerOne => Some("blocker"),
            Viewer::Operator => None,
        }
    }
}

/// Where a status can be returned or delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Path {
    Home,
    HomeImportance,
    Profile,
    Tag,
    Mentions,
    LikesTimeline,
    Thread,
    LikesOp,
    ReplyAncestor,
    Repost,
    Notifications,
    StreamHome,
    StreamFirehose,
    StreamTrack,
    StreamFollow,
    StreamNotifications,
    ReplayHome,
    ReplayFirehose,
    ReplayTrack,
    ReplayNotifications,
    HttpFirehose,
    HttpTrack,
    HttpFollow,
}

const PATHS: [Path; 23] = [
    Path::Home,
    Path::HomeImportance,
    Path::Profile,
    Path::Tag,
    Path::Mentions,
    Path::LikesTimeline,
    Path::Thread,
    Path::LikesOp,
    Path::ReplyAncestor,
    Path::Repost,
    Path::Notifications,
    Path::StreamHome,
    Path::StreamFirehose,
    Path::StreamTrack,
    Path::StreamFollow,
    Path::StreamNotifications,
    Path::ReplayHome,
    Path::ReplayFirehose,
    Path::ReplayTrack,
    Path::ReplayNotifications,
    Path::HttpFirehose,
    Path::HttpTrack,
    Path::HttpFollow,
];

impl Path {
    /// Needs an account (the operator without one is `not_registered`: the
    /// version 2 ops and the caller's own timelines and streams).
    fn needs_account(self) -> bool {
        matches!(
            self,
            Path::Home
                | Path::HomeImportance
                | Path::Mentions
                | Path::Thread
                | Path::LikesOp
                | Path::ReplyAncestor
                | Path::Notifications
                | Path::StreamHome
                | Path::StreamNotifications
                | Path::ReplayHome
                | Path::ReplayNotifications
        )
    }

    /// A mute hides the muted account here.
    fn hides_muted(self) -> bool {
        !matches!(
            self,
            Path::Profile
                | Path::LikesTimeline
                | Path::Thread
                | Path::LikesOp
                | Path::ReplyAncestor
                | Path::Repost
        )
    }

    /// A public stream: never a private account's statuses.
    fn public_stream(self) -> bool {
        matches!(
            self,
            Path::StreamFirehose
                | Path::StreamTrack
                | Path::StreamFollow
                | Path::ReplayFirehose
                | Path::ReplayTrack
                | Path::HttpFirehose
                | Path::HttpTrack
                | Path::HttpFollow
        )
    }

    /// Live delivery happens when the status is posted: before it is hidden,
    /// its author suspended or gone private, so those cases are checked on
    /// replay.
    fn live(self) -> bool {
        matches!(
            self,
            Path::StreamHome
                | Path::StreamFirehose
                | Path::StreamTrack
                | Path::StreamFollow
                | Path::StreamNotifications
                | Path::HttpFirehose
                | Path::HttpTrack
                | Path::HttpFollow
        )
    }
}

/// What a cell should say: `None` where the path does not apply.
fn expected(case: Case, viewer: Viewer, path: Path) -> Option<bool> {
    if viewer == Viewer::Operator && path.needs_account() {
        return None;
    }
    if path.live() && matches!(case, Case::Hidden | Case::Suspended | Case::WentPrivate) {
        return None;
    }
    let author = viewer == Viewer::Author;
    // Where the viewer's own relation to the author decides, before privacy.
    let reaches = match path {
        Path::Home | Path::HomeImportance | Path::StreamHome | Path::ReplayHome => {
            author || viewer == Viewer::Follower
        }
        // The author does not mention themselves (but is notified of
        // `follower`'s like of the status).
        Path::Mentions => !author,
        // A private account's statuses cannot be reposted.
        Path::Repost => case != Case::Private,
        _ => true,
    };
    if !reaches {
        return Some(false);
    }
    if path.public_stream() && matches!(case, Case::Private | Case::WentPrivate) {
        return Some(false);
    }
    if author {
        return Some(true);
    }
    Some(match case {
        Case::Public => true,
        Case::Private | Case::WentPrivate => viewer == Viewer::Follower,
        Case::Blocks => viewer != Viewer::BlockedOne,
        Case::Blocked => viewer != Viewer::BlockerOne,
        Case::Muted => !(viewer == Viewer::Follower && path.hides_muted()),
        Case::Hidden | Case::Suspended => false,
    })
}

type Table = BTreeMap<(Path, Case, Viewer), Option<bool>>;

/// The status ids of a list of statuses, reposts by their original's.
fn status_ids(list: &Value) -> HashSet<u64> {
    list.as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| [s["id"].as_u64(), s["repost_of"]["id"].as_u64()])
        .flatten()
        .collect()
}

/// The status ids in the events of `sub`.
fn event_ids(events: &[Value], sub: u64) -> HashSet<u64> {
    events
        .iter()
        .filter(|e| e["sub"] == sub)
        .flat_map(|e| {
            [
                e["status"]["id"].as_u64(),
                e["notification"]["status"]["id"].as_u64(),
            ]
        })
        .flatten()
        .collect()
}

fn with_as(request: Value, login: Option<&str>) -> Value {
    let mut request = request;
    if let Some(login) = login {
        request["as"] = json!(login);
    }
    request
}

/// The streams one viewer subscribes to, on its own connection.
struct Streams {
    client: Client,
    subs: HashMap<Path, u64>,
}

impl Streams {
    async fn open(roostd: &Roostd, login: Option<&str>, paths: &[(Path, Value)]) -> Streams {
        let mut client = roostd.client().await;
        let mut subs = HashMap::new();
        for (path, request) in paths {
            if login.is_none() && path.needs_account() {
                continue;
            }
            let sub = client.subscribe(with_as(request.clone(), login)).await;
            subs.insert(*path, sub);
        }
        Streams { client, subs }
    }

    async fn seen(&mut self) -> HashMap<Path, HashSet<u64>> {
        let events = self.client.events_within(Duration::from_millis(800)).await;
        self.subs
            .iter()
            .map(|(path, sub)| (*path, event_ids(&events, *sub)))
            .collect()
    }
}

/// Reads an HTTP stream for a while; the status ids it carried.
async fn http_ids(mut response: reqwest::Response) -> HashSet<u64> {
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await {
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&buf)
        .split("\r\n")
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| v["id"].as_u64())
        .collect()
}

#[tokio::test]
async fn no_path_shows_a_status_to_anyone_the_rules_keep_it_from() {
    let redis = Redis::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let roostd = Roostd::start(&redis, &["--http", &addr, "--http-keepalive-ms", "60000"]);
    let mut c = roostd.client().await;
    let viewers = ["follower", "stranger", "blocked", "blocker", "reposter"];
    for login in CASES.iter().map(|c| c.author()).chain(viewers) {
        c.bot(login).await;
    }

    // The relations, before anything is posted.
    c.ok(json!({"op": "set_profile", "as": "priv_a", "private": true}))
        .await;
    for case in CASES {
        c.ok(json!({"op": "follow", "as": "follower", "login": case.author()}))
            .await;
        c.ok(json!({"op": "follow", "as": "reposter", "login": case.author()}))
            .await;
    }
    c.ok(json!({"op": "approve", "as": "priv_a", "login": "follower"}))
        .await;
    c.ok(json!({"op": "approve", "as": "priv_a", "login": "reposter"}))
        .await;
    c.ok(json!({"op": "follow", "as": "blocked", "login": "blocks_a"}))
        .await;
    c.ok(json!({"op": "block", "as": "blocks_a", "login": "blocked"}))
        .await;
    c.ok(json!({"op": "follow", "as": "blocker", "login": "blocked_a"}))
        .await;
    c.ok(json!({"op": "block", "as": "blocker", "login": "blocked_a"}))
        .await;
    c.ok(json!({"op": "mute", "as": "follower", "login": "muted_a"}))
        .await;

    // Where replays start: just before the statuses.
    let mut marker = roostd.client().await;
    marker
        .subscribe(json!({"op": "subscribe", "stream": {"firehose": true}}))
        .await;
    c.ok(json!({"op": "post", "as": "reposter", "text": "before"}))
        .await;
    let since = marker.event().await["eid"].clone();

    // Live streams, every viewer of every case, opened before the posts.
    let follow: Vec<&str> = CASES.iter().map(|c| c.author()).collect();
    let stream_paths = |since: Option<&Value>| {
        let sub = |stream: Value| {
            let mut request = json!({"op": "subscribe", "stream": stream});
            if let Some(since) = since {
                request["since"] = since.clone();
            }
            request
        };
        let live = since.is_none();
        let pick = |live_path: Path, replay_path: Path| if live { live_path } else { replay_path };
        let mut paths = vec![
            (
                pick(Path::StreamHome, Path::ReplayHome),
                sub(json!({"home": true})),
            ),
            (
                pick(Path::StreamFirehose, Path::ReplayFirehose),
                sub(json!({"firehose": true})),
            ),
            (
                pick(Path::StreamTrack, Path::ReplayTrack),
                sub(json!({"filter": {"track": ["matrix"]}})),
            ),
            (
                pick(Path::StreamNotifications, Path::ReplayNotifications),
                sub(json!({"notifications": true})),
            ),
        ];
        if live {
            paths.push((
                Path::StreamFollow,
                sub(json!({"filter": {"follow": follow.clone()}})),
            ));
        }
        paths
    };
    let everyone: Vec<Option<&str>> = [
        Viewer::Follower,
        Viewer::Stranger,
        Viewer::BlockedOne,
        Viewer::BlockerOne,
        Viewer::Operator,
    ]
    .iter()
    .map(|v| v.login(Case::Public))
    .chain(CASES.iter().map(|c| Some(c.author())))
    .collect();
    let mut live = Vec::new();
    for login in &everyone {
        live.push((
            *login,
            Streams::open(&roostd, *login, &stream_paths(None)).await,
        ));
    }
    // The same over HTTP on TCP, with each account's token, and as the
    // operator (no account) over the HTTP Unix socket.
    let http = reqwest::Client::new();
    let unix_http = reqwest::Client::builder()
        .unix_socket(roostd.http_socket())
        .build()
        .unwrap();
    let follow_logins = follow.join(",");
    let http_paths = [
        (Path::HttpFirehose, "statuses/firehose.json".to_owned()),
        (
            Path::HttpTrack,
            "statuses/filter.json?track=matrix".to_owned(),
        ),
        (
            Path::HttpFollow,
            format!("statuses/filter.json?follow={follow_logins}"),
        ),
    ];
    let mut http_streams = Vec::new();
    for login in &everyone {
        // One token each: a new one replaces the old (and ends its streams).
        let token = match login {
            Some(login) => c.ok(json!({"op": "token", "as": login})).await["token"]
                .as_str()
                .unwrap()
                .to_owned(),
            None => String::new(),
        };
        for (path, url) in &http_paths {
            let response = match login {
                Some(_) => http
                    .get(format!("http://{addr}/{url}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap(),
                None => unix_http
                    .get(format!("http://roost/{url}"))
                    .send()
                    .await
                    .unwrap(),
            };
            assert_eq!(response.status(), 200, "{login:?} {url}");
            http_streams.push((*login, *path, response));
        }
    }
    // Five streams a viewer, the operator's three, the marker's firehose.
    let opened = 5 * everyone.len() - 2 + 1 + http_paths.len() * everyone.len();
    let open_now =
        async |c: &mut Client| c.ok(json!({"op": "hello"})).await["subscriptions"].as_u64();
    assert!(
        eventually!(
            Duration::from_secs(10),
            open_now(&mut c).await == Some(opened as u64)
        ),
        "{:?} open, {opened} expected",
        open_now(&mut c).await
    );

    // One status per case, mentioning every viewer; liked by `follower`,
    // reposted (where the rules let it) and replied to by `reposter`, which
    // the private account approved too.
    let mut status = HashMap::new();
    let mut reply = HashMap::new();
    for case in CASES {
        let text = format!("matrix #mx {case:?} @follower @stranger @blocked @blocker @reposter");
        let id = c
            .ok(json!({"op": "post", "as": case.author(), "text": text}))
            .await["id"]
            .as_u64()
            .unwrap();
        status.insert(case, id);
        c.ok(json!({"op": "like", "as": "follower", "status": id}))
            .await;
        let repost = c
            .call(json!({"op": "repost", "as": "reposter", "status": id}))
            .await;
        if case == Case::Private {
            assert_eq!(repost["error"]["code"], "forbidden", "{repost}");
        } else {
            assert_eq!(repost["ok"], true, "{repost}");
        }
        let answer = c
            .ok(json!({"op": "post", "as": "reposter", "text": "a reply", "reply_to": id}))
            .await;
        reply.insert(case, answer["id"].as_u64().unwrap());
    }
    // Privacy and moderation after the fact.
    c.ok(json!({"op": "set_profile", "as": "went_a", "private": true}))
        .await;
    c.ok(json!({"op": "moderate", "action": "hide", "status": status[&Case::Hidden]}))
        .await;
    c.ok(json!({"op": "moderate", "action": "suspend", "login": "susp_a"}))
        .await;

    // Collect what each viewer got live.
    let mut got: HashMap<(Option<&str>, Path), HashSet<u64>> = HashMap::new();
    let seen = join_all(
        live.iter_mut()
            .map(|(login, streams)| async move { (*login, streams.seen().await) }),
    )
    .await;
    for (login, paths) in seen {
        for (path, ids) in paths {
            got.insert((login, path), ids);
        }
    }
    let reads = http_streams
        .into_iter()
        .map(|(login, path, response)| async move { (login, path, http_ids(response).await) });
    for (login, path, ids) in join_all(reads).await {
        got.insert((login, path), ids);
    }
    // Replays from before the posts, now that moderation is done.
    let mut replays = Vec::new();
    for login in &everyone {
        replays.push((
            *login,
            Streams::open(&roostd, *login, &stream_paths(Some(&since))).await,
        ));
    }
    let seen = join_all(
        replays
            .iter_mut()
            .map(|(login, streams)| async move { (*login, streams.seen().await) }),
    )
    .await;
    for (login, paths) in seen {
        for (path, ids) in paths {
            got.insert((login, path), ids);
        }
    }

    // Every cell.
    let mut table = Table::new();
    let mut wrong = Vec::new();
    for case in CASES {
        let sid = status[&case];
        for viewer in VIEWERS {
            let login = viewer.login(case);
            for path in PATHS {
                let want = expected(case, viewer, path);
                let seen = see(&mut c, path, case, login, sid, reply[&case], &got).await;
                if want.is_some() && seen != want {
                    wrong.push(format!(
                        "{path:?} {case:?} viewer {viewer:?}: expected {want:?}, got {seen:?}"
                    ));
                }
                table.insert((path, case, viewer), seen);
            }
        }
    }
    print_table(&table);
    assert!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Whether `login` (`None`: the operator) finds status `sid` on `path`;
/// `None` where the op refuses the caller (no account).
async fn see(
    c: &mut Client,
    path: Path,
    case: Case,
    login: Option<&str>,
    sid: u64,
    reply: u64,
    got: &HashMap<(Option<&str>, Path), HashSet<u64>>,
) -> Option<bool> {
    let timeline = |kind: &str, extra: Value| {
        let mut request = json!({"op": "timeline", "kind": kind, "count": 200});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        with_as(request, login)
    };
    let request = match path {
        Path::Home => timeline("home", json!({})),
        Path::HomeImportance => timeline("home", json!({"order": "importance"})),
        Path::Profile => timeline("profile", json!({"login": case.author()})),
        Path::Tag => timeline("tag", json!({"tag": "mx"})),
        Path::Mentions => timeline("mentions", json!({})),
        Path::LikesTimeline => timeline("likes", json!({"login": "follower"})),
        Path::Repost => timeline("profile", json!({"login": "reposter"})),
        Path::Thread => with_as(json!({"op": "thread", "status": sid}), login),
        Path::LikesOp => with_as(json!({"op": "likes", "status": sid}), login),
        Path::ReplyAncestor => with_as(json!({"op": "thread", "status": reply}), login),
        Path::Notifications => with_as(json!({"op": "notifications", "count": 200}), login),
        _ => return got.get(&(login, path)).map(|ids| ids.contains(&sid)),
    };
    let answer = c.call(request).await;
    if answer["ok"] != true {
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        return match code {
            "not_registered" => None,
            "not_found" if matches!(path, Path::Thread | Path::LikesOp) => Some(false),
            _ => panic!("{path:?} as {login:?}: {answer}"),
        };
    }
    let r = &answer["result"];
    Some(match path {
        Path::Thread | Path::LikesOp => true,
        Path::ReplyAncestor => status_ids(&r["ancestors"]).contains(&sid),
        Path::Repost => r["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["repost_of"]["id"] == sid),
        Path::Notifications => r["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["status"]["id"] == sid),
        _ => status_ids(&r["statuses"]).contains(&sid),
    })
}

/// The table, a block per path: cases down, viewers across; `seen`, `-` (not
/// shown), `n/a` (the op refuses the caller), or in brackets what a live
/// stream delivered before the status was hidden or its author suspended.
fn print_table(table: &Table) {
    for path in PATHS {
        println!("{path:?}");
        println!(
            "  {:<10} {}",
            "",
            VIEWERS
                .iter()
                .map(|v| format!("{:<11}", format!("{v:?}")))
                .collect::<String>()
        );
        for case in CASES {
            let row: String = VIEWERS
                .iter()
                .map(|v| {
                    let seen = table.get(&(path, case, *v)).copied().flatten();
                    let cell = match (expected(case, *v, path), seen) {
                        (_, None) => "n/a",
                        // Delivered live before the moderation: not judged.
                        (None, Some(true)) => "(seen)",
                        (None, Some(false)) => "(-)",
                        (Some(_), Some(true)) => "seen",
                        (Some(_), Some(false)) => "-",
                    };
                    format!("{cell:<11}")
                })
                .collect();
            println!("  {:<10} {row}", format!("{case:?}"));
        }
    }
}
