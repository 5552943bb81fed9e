//! The Mastodon-compatible client API (issue 13): login with a one-time code,
//! the shapes clients read, paging, errors, and the protocol's visibility
//! rules holding here too; over TCP with reqwest as the client.

use roost_tests::{Client, Redis, Roostd, free_port};
use serde_json::{Value, json};

/// A Redis, a roostd serving HTTP on a free loopback port, an operator
/// client, and the API's base URL.
async fn server() -> (Redis, Roostd, Client, String) {
    let redis = Redis::start();
    let addr = format!("127.0.0.1:{}", free_port());
    let roostd = Roostd::start(&redis, &["--http", &addr]);
    let c = roostd.client().await;
    (redis, roostd, c, format!("http://{addr}"))
}

/// Logs `login` in through the password grant with a fresh login code; its
/// access token.
async fn log_in(c: &mut Client, base: &str, login: &str) -> String {
    let code = c.ok(json!({"op": "login_code", "as": login})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", login),
            ("password", &code),
            ("client_id", "x"),
            ("client_secret", "y"),
            ("scope", "read write follow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_owned()
}

/// An authenticated API client.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// `login`'s API client, logged in with a fresh login code.
    async fn log_in(c: &mut Client, base: &str, login: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: log_in(c, base, login).await,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value, Option<String>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if !form.is_empty() {
            request = request.form(form);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (status, body, link)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body, _) = self.send(reqwest::Method::GET, path, &[]).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body, _) = self.send(reqwest::Method::POST, path, form).await;
        assert_eq!(status, 200, "POST {path}: {body}");
        body
    }
}

fn ids(statuses: &Value) -> Vec<String> {
    statuses
        .as_array()
        .unwrap_or_else(|| panic!("{statuses}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_login_code_logs_a_client_in_once_and_the_instance_answers() {
    let (_redis, _roostd, mut c, base) = server().await;
    c.bot("alice").await;
    let http = reqwest::Client::new();
    // The instance, as clients probe it, without a token.
    let instance: Value = http
        .get(format!("{base}/api/v1/instance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        instance["version"].as_str().unwrap().contains("Roost"),
        "{instance}"
    );
    assert_eq!(instance["stats"]["user_count"], 1);
    assert_eq!(
        instance["configuration"]["statuses"]["max_characters"],
        1000
    );
    let v2: Value = http
        .get(format!("{base}/api/v2/instance"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v2["title"], "Roost");
    let links: Value = http
        .get(format!("{base}/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let href = links["links"][0]["href"].as_str().unwrap();
    let nodeinfo: Value = http.get(href).send().await.unwrap().json().await.unwrap();
    assert_eq!(nodeinfo["software"]["name"], "roost");
    // An app: credentials handed out (nothing stored).
    let app: Value = http
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "toot"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["name"], "toot");
    assert!(
        app["client_id"].as_str().is_some_and(|s| s.len() >= 32),
        "{app}"
    );

    // A code works once, for its own account only.
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await;
    let code = code["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14, "xxxx-xxxx-xxxx: {code}");
    c.bot("bob").await;
    let grant = |user: &'static str, password: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/oauth/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", &password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = grant("bob", code.clone()).await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // Tried with the wrong name, the code is used up.
    let again = grant("alice", code.clone()).await;
    assert_eq!(again.status(), 400);
    let token = log_in(&mut c, &base, "alice").await;
    let api = Api {
        http: http.clone(),
        base: base.clone(),
        token: token.clone(),
    };
    let me = api.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["acct"], "alice");
    assert!(me["id"].is_string(), "ids are strings: {me}");
    // A new code replaces the last one; an unused old one no longer works.
    let old = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let _new = c.ok(json!({"op": "login_code", "as": "alice"})).await;
    assert_eq!(grant("alice", old).await.status(), 400);
    // No token, a wrong one, a revoked one: 401 with Mastodon's error.
    let bare: reqwest::Response = http
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    assert!(bare.json::<Value>().await.unwrap()["error"].is_string());
    http.post(format!("{base}/oauth/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body, _) = api
        .send(
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            &[],
        )
        .await;
    assert_eq!(status, 401, "{body}");
    // Unknown endpoints: Mastodon's JSON 404.
    let api = Api {
        http,
        base,
        token: log_in(&mut c, &api.base, "alice").await,
    };
    let (status, body, _) = api
        .send(reqwest::Method::GET, "/api/v1/scheduled_statuses", &[])
        .await;
    assert_eq!((status, body), (404, json!({"error": "Record not found"})));
    let (status, body, _) = api
        .send(reqwest::Method::PUT, "/api/v1/statuses", &[])
        .await;
    assert_eq!(status, 405);
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn the_authorization_code_grant_goes_through_the_authorize_page() {
    let (_redis, _roostd, mut c, base) = server().await;
    c.bot("alice").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{base}/oauth/authorize?response_type=code&client_id=x&redirect_uri=http://app.example/cb&state=s1"))
        .send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("roost login-code") && page.contains("<form"),
        "{page}"
    );
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = http
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("code", code.as_str()),
            ("redirect_uri", "http://app.example/cb"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 302);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://app.example/cb?code=") && location.ends_with("&state=s1"),
        "{location}"
    );
    let given = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", given),
            ("redirect_uri", "http://app.example/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api = Api {
        http,
        base,
        token: token["access_token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        api.get("/api/v1/accounts/verify_credentials").await["username"],
        "alice"
    );
}

#[tokio::test]
async fn statuses_timelines_acts_and_notifications_in_mastodon_shapes() {
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let alice = Api::log_in(&mut c, &base, "alice").await;
    let bob = Api::log_in(&mut c, &base, "bob").await;

    // Follow by account id, found by lookup.
    let found = alice.get("/api/v1/accounts/lookup?acct=bob").await;
    let bob_id = found["id"].as_str().unwrap().to_owned();
    let rel = alice
        .post(&format!("/api/v1/accounts/{bob_id}/follow"), &[])
        .await;
    assert_eq!(rel["following"], true);
    let rels = alice
        .get(&format!("/api/v1/accounts/relationships?id[]={bob_id}"))
        .await;
    assert_eq!(rels[0]["following"], true);

    // Bob posts (content is HTML, escaped, marked up); alice reads her home.
    let posted = bob
        .post("/api/v1/statuses", &[("status", "hello @alice <3 #Roost")])
        .await;
    assert_eq!(
        posted["content"],
        "<p>hello <span class=\"h-card\"><a href=\"".to_owned()
            + &base
            + "/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> &lt;3 <a href=\""
            + &base
            + "/tags/roost\" class=\"mention hashtag\" rel=\"tag\">#<span>Roost</span></a></p>"
    );
    assert_eq!(posted["account"]["username"], "bob");
    assert_eq!(posted["visibility"], "public");
    assert_eq!(posted["mentions"][0]["username"], "alice");
    assert_eq!(posted["tags"][0]["name"], "roost");
    let first = posted["id"].as_str().unwrap().to_owned();
    let mut all = vec![first.clone()];
    for i in 0..4 {
        let s = bob
            .post("/api/v1/statuses", &[("status", &format!("number {i}"))])
            .await;
        all.insert(0, s["id"].as_str().unwrap().to_owned());
    }
    // Paging: limit, max_id, since_id, min_id, and the Link header.
    let (status, page, link) = alice
        .send(reqwest::Method::GET, "/api/v1/timelines/home?limit=2", &[])
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), all[..2]);
    let link = link.expect("a Link header");
    assert!(
        link.contains(&format!("max_id={}>; rel=\"next\"", all[1])),
        "{link}"
    );
    assert!(
        link.contains(&format!("min_id={}>; rel=\"prev\"", all[0])),
        "{link}"
    );
    let older = alice
        .get(&format!("/api/v1/timelines/home?limit=2&max_id={}", all[1]))
        .await;
    assert_eq!(ids(&older), all[2..4]);
    let newer = alice
        .get(&format!("/api/v1/timelines/home?since_id={}", all[2]))
        .await;
    assert_eq!(ids(&newer), all[..2]);
    let just_newer = alice
        .get(&format!("/api/v1/timelines/home?min_id={}&limit=1", all[3]))
        .await;
    assert_eq!(ids(&just_newer), all[2..3]);
    let tagged = alice.get("/api/v1/timelines/tag/ROOST").await;
    assert_eq!(ids(&tagged), std::slice::from_ref(&first));
    let profile = alice
        .get(&format!("/api/v1/accounts/{bob_id}/statuses?limit=40"))
        .await;
    assert_eq!(ids(&profile), all);

    // Reply, favourite, reblog, context, and their notifications for bob.
    let reply = alice
        .post(
            "/api/v1/statuses",
            &[("status", "@bob hi back"), ("in_reply_to_id", &first)],
        )
        .await;
    assert_eq!(reply["in_reply_to_id"], first.as_str());
    assert_eq!(reply["in_reply_to_account_id"], bob_id.as_str());
    let liked = alice
        .post(&format!("/api/v1/statuses/{first}/favourite"), &[])
        .await;
    assert_eq!(
        (
            liked["favourited"].clone(),
            liked["favourites_count"].clone()
        ),
        (json!(true), json!(1))
    );
    let again = alice
        .post(&format!("/api/v1/statuses/{first}/favourite"), &[])
        .await;
    assert_eq!(
        again["favourites_count"], 1,
        "favouriting twice is no error and counts once"
    );
    let reblog = alice
        .post(&format!("/api/v1/statuses/{first}/reblog"), &[])
        .await;
    assert_eq!(reblog["reblog"]["id"], first.as_str());
    assert_eq!(reblog["reblog"]["reblogged"], true);
    let context = alice
        .get(&format!(
            "/api/v1/statuses/{}/context",
            reply["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ids(&context["ancestors"]), std::slice::from_ref(&first));
    // A profile without replies, and without reposts.
    let alices = alice.get("/api/v1/accounts/verify_credentials").await;
    let alice_id = alices["id"].as_str().unwrap();
    let profile = alice
        .get(&format!("/api/v1/accounts/{alice_id}/statuses"))
        .await;
    assert_eq!(
        profile.as_array().unwrap().len(),
        2,
        "the reply and the reblog"
    );
    let plain = alice
        .get(&format!(
            "/api/v1/accounts/{alice_id}/statuses?exclude_replies=true"
        ))
        .await;
    assert!(plain[0]["reblog"].is_object() && plain.as_array().unwrap().len() == 1);
    let plain = alice
        .get(&format!(
            "/api/v1/accounts/{alice_id}/statuses?exclude_replies=true&exclude_reblogs=true"
        ))
        .await;
    assert_eq!(plain, json!([]));
    let got = bob.get(&format!("/api/v1/statuses/{first}")).await;
    assert_eq!(
        (got["replies_count"].clone(), got["reblogs_count"].clone()),
        (json!(1), json!(1))
    );
    let kinds: Vec<String> = bob
        .get("/api/v1/notifications")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["reblog", "favourite", "mention", "follow"]);
    let only: Vec<String> = bob
        .get("/api/v1/notifications?types[]=favourite&types[]=follow")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(only, ["favourite", "follow"]);
    let newest = &bob.get("/api/v1/notifications?limit=1").await[0];
    let by_id = bob
        .get(&format!(
            "/api/v1/notifications/{}",
            newest["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(&by_id, newest);
    let without = bob
        .get("/api/v1/notifications?exclude_types[]=mention")
        .await;
    assert_eq!(without.as_array().unwrap().len(), 3);
    alice
        .post(&format!("/api/v1/statuses/{first}/unreblog"), &[])
        .await;
    let unliked = alice
        .post(&format!("/api/v1/statuses/{first}/unfavourite"), &[])
        .await;
    assert_eq!(
        (
            unliked["favourited"].clone(),
            unliked["reblogs_count"].clone()
        ),
        (json!(false), json!(0))
    );

    // Errors: someone else's status is not yours to delete; bad input is 422.
    let (status, body, _) = alice
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{first}"),
            &[],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body, _) = alice
        .send(reqwest::Method::POST, "/api/v1/statuses", &[("status", "")])
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].is_string());
    let (status, _, _) = alice
        .send(reqwest::Method::GET, "/api/v1/statuses/999999", &[])
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = alice
        .send(reqwest::Method::GET, "/api/v1/statuses/abc", &[])
        .await;
    assert_eq!(status, 404);
    let deleted = bob
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{}", all[0]),
            &[],
        )
        .await;
    assert_eq!(deleted.0, 200);
    assert_eq!(deleted.1["id"], all[0].as_str());
    let (status, _, _) = alice
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/statuses/{}", all[0]),
            &[],
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_visibility_rules_hold_through_the_api() {
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob", "mallory"] {
        c.bot(login).await;
    }
    let alice = Api::log_in(&mut c, &base, "alice").await;
    let mallory = Api::log_in(&mut c, &base, "mallory").await;
    // Alice goes private (locked) through update_credentials, and blocks mallory.
    let (status, me, _) = alice
        .send(
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            &[("locked", "true"), ("note", "a <b>bio</b>")],
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["locked"], true);
    assert_eq!(me["note"], "<p>a &lt;b&gt;bio&lt;/b&gt;</p>");
    c.ok(json!({"op": "follow", "as": "bob", "login": "alice"}))
        .await;
    c.ok(json!({"op": "approve", "as": "alice", "login": "bob"}))
        .await;
    // A public account cannot post narrower than public: refused, not widened.
    let (status, body, _) = mallory
        .send(
            reqwest::Method::POST,
            "/api/v1/statuses",
            &[("status", "followers only?"), ("visibility", "private")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _, _) = mallory
        .send(
            reqwest::Method::POST,
            "/api/v1/statuses",
            &[("status", "unlisted?"), ("visibility", "unlisted")],
        )
        .await;
    assert_eq!(status, 422);
    let secret = alice
        .post(
            "/api/v1/statuses",
            &[("status", "for followers"), ("visibility", "private")],
        )
        .await;
    assert_eq!(secret["visibility"], "private");
    let id = secret["id"].as_str().unwrap();
    // A stranger does not see it, by id, profile or tag; a follower does.
    let (status, _, _) = mallory
        .send(reqwest::Method::GET, &format!("/api/v1/statuses/{id}"), &[])
        .await;
    assert_eq!(status, 404);
    let alice_id = me["id"].as_str().unwrap();
    assert_eq!(
        mallory
            .get(&format!("/api/v1/accounts/{alice_id}/statuses"))
            .await,
        json!([])
    );
    let bob = Api::log_in(&mut c, &base, "bob").await;
    assert_eq!(
        ids(&bob.get("/api/v1/timelines/home").await),
        [id.to_owned()]
    );
    // Reblogging someone else's private status is refused.
    let (status, _, _) = bob
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/statuses/{id}/reblog"),
            &[],
        )
        .await;
    assert_eq!(status, 403);
    // A follow request through the API leaves mallory `requested`.
    let rel = mallory
        .post(&format!("/api/v1/accounts/{alice_id}/follow"), &[])
        .await;
    assert_eq!(
        (rel["following"].clone(), rel["requested"].clone()),
        (json!(false), json!(true))
    );
    // Blocks hold both ways through the API too.
    let loud = mallory
        .post("/api/v1/statuses", &[("status", "mallory speaks")])
        .await;
    let loud = loud["id"].as_str().unwrap();
    c.ok(json!({"op": "block", "as": "bob", "login": "mallory"}))
        .await;
    let (status, _, _) = bob
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/statuses/{loud}"),
            &[],
        )
        .await;
    assert_eq!(status, 404, "the blocker does not see the blocked");
    let public = bob.get("/api/v1/timelines/public").await;
    assert!(!ids(&public).contains(&loud.to_owned()));
    let bobs = bob
        .post("/api/v1/statuses", &[("status", "bob, public")])
        .await;
    let bobs = bobs["id"].as_str().unwrap();
    let (status, _, _) = mallory
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/statuses/{bobs}"),
            &[],
        )
        .await;
    assert_eq!(status, 404, "nor the blocked the blocker");
    // A direct message goes to the mentioned account only, never a timeline.
    let dm = alice
        .post(
            "/api/v1/statuses",
            &[("status", "@bob psst"), ("visibility", "direct")],
        )
        .await;
    assert_eq!(dm["visibility"], "direct");
    assert_eq!(
        ids(&bob.get("/api/v1/timelines/home").await),
        [bobs.to_owned(), id.to_owned()]
    );
    let conversations = c.ok(json!({"op": "conversations", "as": "bob"})).await;
    assert_eq!(
        conversations["conversations"][0]["last"]["text"],
        "@bob psst"
    );
}

/// The clients the suite runs, pinned (README, "Other clients"): the toot
/// CLI and TUI, and Mastodon.py, the Python library many bots are written with.
const CLIENTS: [&str; 2] = ["toot==0.52.1", "Mastodon.py==2.3.3"];

/// A virtual environment under the target directory with the clients,
/// made (from PyPI) the first time a test needs it; its `bin` directory.
fn clients_bin() -> std::path::PathBuf {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let venv = roost_tests::target_binary("clients-venv");
        let pinned = venv.join(CLIENTS.join(","));
        if !pinned.exists() {
            let made = std::process::Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv)
                .status()
                .expect("python3 runs");
            assert!(
                made.success(),
                "python3 -m venv failed (Debian: apt-get install python3-venv)"
            );
            let installed = std::process::Command::new(venv.join("bin").join("pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(CLIENTS)
                .status()
                .expect("pip runs");
            assert!(
                installed.success(),
                "pip install {CLIENTS:?} failed (is PyPI reachable?)"
            );
            std::fs::write(&pinned, "").unwrap();
        }
        venv.join("bin")
    })
    .clone()
}

fn toot_bin() -> std::path::PathBuf {
    clients_bin().join("toot")
}

/// Runs toot with its configuration under `home`; its output (stdout and
/// stderr), after asserting it succeeded.
fn toot(home: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(toot_bin())
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("toot runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "toot {args:?} failed: {text}");
    text
}

#[tokio::test]
async fn the_toot_client_logs_in_with_a_code_and_reads_posts_follows_and_deletes() {
    let (_redis, _roostd, mut c, base) = server().await;
    let home = tempfile::tempdir().unwrap();
    c.bot("alice").await;
    c.bot("bob").await;
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let said = toot(
        home.path(),
        &["login_cli", "-i", &base, "-e", "alice", "-p", &code],
    );
    assert!(said.contains("Successfully logged in"), "{said}");
    assert!(toot(home.path(), &["whoami"]).contains("@alice"));

    let said = toot(home.path(), &["post", "hello from toot #tooted"]);
    assert!(said.contains("Toot posted"), "{said}");
    let mine = c
        .ok(json!({"op": "timeline", "kind": "profile", "login": "alice"}))
        .await;
    assert_eq!(mine["statuses"][0]["text"], "hello from toot #tooted");
    assert_eq!(mine["statuses"][0]["tags"], json!(["tooted"]));
    let own = mine["statuses"][0]["id"].as_u64().unwrap();

    // Bob mentions alice and likes her status: toot shows both.
    let bobs = c
        .ok(json!({"op": "post", "as": "bob", "text": "hi @alice, welcome"}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "like", "as": "bob", "status": own}))
        .await;
    let notes = toot(home.path(), &["notifications"]);
    assert!(
        notes.contains("mentioned you") && notes.contains("favourited"),
        "{notes}"
    );
    assert!(notes.contains("hi @alice, welcome"), "{notes}");

    let said = toot(home.path(), &["follow", "bob"]);
    assert!(said.contains("now following bob"), "{said}");
    let bob = c
        .ok(json!({"op": "user", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(bob["relationship"]["following"], true);
    let timeline = toot(home.path(), &["timeline"]);
    assert!(
        timeline.contains("hi @alice, welcome") && timeline.contains("hello from toot"),
        "{timeline}"
    );

    let said = toot(
        home.path(),
        &["post", "-r", &bobs.to_string(), "thanks bob"],
    );
    assert!(said.contains("Toot posted"), "{said}");
    let thread = toot(home.path(), &["thread", &bobs.to_string()]);
    assert!(
        thread.contains("thanks bob") && thread.contains("hi @alice, welcome"),
        "{thread}"
    );
    let replies = c
        .ok(json!({"op": "thread", "as": "bob", "status": bobs}))
        .await;
    assert_eq!(replies["replies"][0]["text"], "thanks bob");

    // Likes and reposts from toot land in roostd.
    let said = toot(home.path(), &["favourite", &bobs.to_string()]);
    assert!(said.contains("favourited"), "{said}");
    let said = toot(home.path(), &["reblog", &bobs.to_string()]);
    assert!(said.contains("reblogged"), "{said}");
    let liked = c
        .ok(json!({"op": "thread", "as": "bob", "status": bobs}))
        .await;
    assert_eq!(
        (
            liked["status"]["likes"].clone(),
            liked["status"]["reposts"].clone()
        ),
        (json!(1), json!(1))
    );

    let said = toot(home.path(), &["delete", &own.to_string()]);
    assert!(said.contains("deleted"), "{said}");
    assert_eq!(
        c.err(json!({"op": "thread", "as": "bob", "status": own}))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn toot_tui_shows_the_home_timeline() {
    let (_redis, _roostd, mut c, base) = server().await;
    let home = tempfile::tempdir().unwrap();
    c.bot("alice").await;
    c.ok(json!({"op": "post", "as": "alice", "text": "seen in toot's own terminal app"}))
        .await;
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    toot(
        home.path(),
        &["login_cli", "-i", &base, "-e", "alice", "-p", &code],
    );
    let command = format!(
        "env HOME={home} XDG_CONFIG_HOME={home}/.config TERM=xterm-256color {toot} tui",
        home = home.path().display(),
        toot = toot_bin().display()
    );
    let tmux = crate::tui::Tmux::run(&command, 120, 30);
    // toot 0.52 first says its TUI is deprecated, until told to go on.
    tmux.wait(&["press Enter to continue"]).await;
    tmux.keys(&["Enter"]);
    let screen = tmux
        .wait(&["alice", "seen in toot's own terminal app"])
        .await;
    assert!(screen.contains("toot"), "{screen}");
}

#[tokio::test]
async fn lists_blocks_requests_markers_conversations_trends_and_reports() {
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let http = reqwest::Client::new();
    let alice = Api::log_in(&mut c, &base, "alice").await;
    let bob = Api::log_in(&mut c, &base, "bob").await;
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let bob_id = id_of(&alice.get("/api/v1/accounts/lookup?acct=bob").await);
    let carol_id = id_of(&alice.get("/api/v1/accounts/lookup?acct=@carol").await);
    let alice_id = id_of(&alice.get("/api/v1/accounts/verify_credentials").await);

    // Followers and following, with a Link to the next page when full.
    alice
        .post(&format!("/api/v1/accounts/{bob_id}/follow"), &[])
        .await;
    alice
        .post(&format!("/api/v1/accounts/{carol_id}/follow"), &[])
        .await;
    let (status, page, link) = alice
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/accounts/{alice_id}/following?limit=1"),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert!(link.unwrap().contains("page=2"));
    let both = alice
        .get(&format!("/api/v1/accounts/{alice_id}/following"))
        .await;
    assert_eq!(both.as_array().unwrap().len(), 2);
    let fans = alice
        .get(&format!("/api/v1/accounts/{bob_id}/followers"))
        .await;
    assert_eq!(fans[0]["username"], "alice");
    let carol_by_id = alice.get(&format!("/api/v1/accounts/{carol_id}")).await;
    assert_eq!(carol_by_id["followers_count"], 1);
    let rel = alice
        .post(&format!("/api/v1/accounts/{carol_id}/unfollow"), &[])
        .await;
    assert_eq!(rel["following"], false);
    let v1 = alice.get("/api/v1/accounts/search?q=@bob").await;
    assert_eq!(v1[0]["id"], bob_id.as_str());
    // Search finds a whole login, and a hashtag.
    let found = alice
        .get("/api/v2/search?q=carol&type=accounts&resolve=true")
        .await;
    assert_eq!(found["accounts"][0]["acct"], "carol");
    let tag = alice.get("/api/v2/search?q=%23Rust").await;
    assert_eq!(tag["hashtags"][0]["name"], "rust");

    // Block and mute; the lists show them; a block ends the follow.
    let rel = alice
        .post(&format!("/api/v1/accounts/{carol_id}/block"), &[])
        .await;
    assert_eq!(
        (rel["blocking"].clone(), rel["following"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(alice.get("/api/v1/blocks").await[0]["username"], "carol");
    let rel = alice
        .post(&format!("/api/v1/accounts/{bob_id}/mute"), &[])
        .await;
    assert_eq!(rel["muting"], true);
    assert_eq!(alice.get("/api/v1/mutes").await[0]["username"], "bob");
    alice
        .post(&format!("/api/v1/accounts/{bob_id}/unmute"), &[])
        .await;
    alice
        .post(&format!("/api/v1/accounts/{carol_id}/unblock"), &[])
        .await;
    assert_eq!(alice.get("/api/v1/blocks").await, json!([]));

    // Follow requests of a locked account: listed, authorized, rejected.
    c.ok(json!({"op": "set_profile", "as": "bob", "private": true}))
        .await;
    let carol = Api::log_in(&mut c, &base, "carol").await;
    let asked = carol
        .post(&format!("/api/v1/accounts/{bob_id}/follow"), &[])
        .await;
    assert_eq!(asked["requested"], true);
    let waiting = bob.get("/api/v1/follow_requests").await;
    assert_eq!(waiting[0]["username"], "carol");
    let rel = bob
        .post(
            &format!("/api/v1/follow_requests/{carol_id}/authorize"),
            &[],
        )
        .await;
    assert_eq!(rel["followed_by"], true);
    assert_eq!(bob.get("/api/v1/follow_requests").await, json!([]));

    // favourited_by lists the likers.
    let s = bob
        .post("/api/v1/statuses", &[("status", "a #Rust post")])
        .await;
    let sid = id_of(&s);
    alice
        .post(&format!("/api/v1/statuses/{sid}/favourite"), &[])
        .await;
    let likers = bob
        .get(&format!("/api/v1/statuses/{sid}/favourited_by"))
        .await;
    assert_eq!(likers[0]["username"], "alice");
    assert_eq!(
        ids(&alice.get("/api/v1/favourites").await),
        std::slice::from_ref(&sid)
    );
    // (bob is private: only he may repost his status.)
    bob.post(&format!("/api/v1/statuses/{sid}/reblog"), &[])
        .await;
    let reposters = alice
        .get(&format!("/api/v1/statuses/{sid}/reblogged_by"))
        .await;
    assert_eq!(reposters[0]["username"], "bob");
    // Pins, filters, lists, emojis: Roost has none, and says so with empty lists.
    let pinned = bob
        .get(&format!("/api/v1/accounts/{bob_id}/statuses?pinned=true"))
        .await;
    assert_eq!(pinned, json!([]));
    for path in ["/api/v1/custom_emojis", "/api/v1/filters", "/api/v1/lists"] {
        assert_eq!(bob.get(path).await, json!([]), "{path}");
    }
    assert_eq!(
        bob.get("/api/v1/preferences").await["posting:default:visibility"],
        "private"
    );

    // Markers: the same read positions the roost app keeps.
    let (status, set, _) = alice
        .send(
            reqwest::Method::POST,
            "/api/v1/markers",
            &[("home[last_read_id]", &sid)],
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["home"]["last_read_id"], sid.as_str());
    let marker = c.ok(json!({"op": "marker", "as": "alice"})).await;
    assert_eq!(marker["home"].to_string(), sid);
    // As JSON, the way Mastodon.py sends it, and with Mastodon.py's trailing slash.
    let set: Value = http
        .post(format!("{base}/api/v1/markers/"))
        .bearer_auth(&carol.token)
        .json(&json!({"notifications": {"last_read_id": "1"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["notifications"]["last_read_id"], "1", "{set}");
    let read = alice.get("/api/v1/markers?timeline[]=home").await;
    assert_eq!(read["home"]["last_read_id"], sid.as_str());
    assert!(read.get("notifications").is_none());

    // Conversations: a direct status, then the list.
    alice
        .post(
            "/api/v1/statuses",
            &[("status", "@carol just us"), ("visibility", "direct")],
        )
        .await;
    let talks = carol.get("/api/v1/conversations").await;
    assert_eq!(talks[0]["accounts"][0]["username"], "alice");
    assert_eq!(talks[0]["unread"], true);
    assert_eq!(talks[0]["last_status"]["content"], "<p>@carol just us</p>");

    // Trending tags (public statuses only).
    let trends = alice.get("/api/v1/trends/tags").await;
    assert!(
        trends.as_array().unwrap().is_empty(),
        "bob is private: {trends}"
    );
    carol
        .post("/api/v1/statuses", &[("status", "public #Roost talk")])
        .await;
    let trends = alice.get("/api/v1/trends/tags").await;
    assert_eq!(trends[0]["name"], "roost");
    assert_eq!(trends[0]["history"][0]["uses"], "1");

    // A report reaches the operators.
    let (status, filed, _) = alice
        .send(
            reqwest::Method::POST,
            "/api/v1/reports",
            &[("account_id", &carol_id), ("comment", "spam")],
        )
        .await;
    assert_eq!(status, 200, "{filed}");
    assert_eq!(filed["target_account"]["username"], "carol");
    let reports = c.ok(json!({"op": "reports"})).await;
    assert_eq!(reports["reports"][0]["reason"], "spam");
    assert_eq!(reports["reports"][0]["user"]["login"], "carol");
}

/// Reads server-sent events from `response` until `want` events (comments
/// and keep-alives skipped): each as (event name, data parsed as JSON).
async fn sse_events(response: &mut reqwest::Response, want: usize) -> Vec<(String, Value)> {
    let mut buf = String::new();
    let mut events = Vec::new();
    while events.len() < want {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), response.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream still open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let mut name = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(d).unwrap());
                }
            }
            if let (Some(name), Some(data)) = (name, data) {
                events.push((name, data));
            }
        }
    }
    events
}

#[tokio::test]
async fn streaming_as_server_sent_events_with_mastodon_event_names() {
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob", "carol"] {
        c.bot(login).await;
    }
    let http = reqwest::Client::new();
    let token = log_in(&mut c, &base, "alice").await;
    assert_eq!(
        http.get(format!("{base}/api/v1/streaming/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "OK"
    );
    c.ok(json!({"op": "follow", "as": "alice", "login": "bob"}))
        .await;
    let mine = c
        .ok(json!({"op": "post", "as": "alice", "text": "mine"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let open = |path: &str| http.get(format!("{base}{path}")).bearer_auth(&token).send();
    let mut user = open("/api/v1/streaming/user").await.unwrap();
    assert_eq!(user.status(), 200);
    assert_eq!(user.headers()["content-type"], "text/event-stream");
    // The token may come in the query too (as browsers' EventSource sends it).
    let mut public = http
        .get(format!(
            "{base}/api/v1/streaming/public?access_token={token}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    let mut tagged = open("/api/v1/streaming/hashtag?tag=Rust").await.unwrap();
    let mut direct = open("/api/v1/streaming/direct").await.unwrap();
    let mut noted = open("/api/v1/streaming/user/notification").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let bobs = c
        .ok(json!({"op": "post", "as": "bob", "text": "from bob #rust"}))
        .await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "like", "as": "bob", "status": mine}))
        .await;
    c.ok(json!({"op": "post", "as": "carol", "text": "carol, not followed"}))
        .await;
    c.ok(json!({"op": "delete", "as": "bob", "status": bobs}))
        .await;
    c.ok(json!({"op": "dm", "as": "bob", "to": ["alice"], "text": "psst"}))
        .await;

    let events = sse_events(&mut user, 4).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["update", "notification", "delete", "conversation"],
        "{events:?}"
    );
    let talk = &events[3].1;
    assert_eq!(talk["accounts"][0]["username"], "bob");
    assert_eq!(talk["unread"], true);
    assert_eq!(talk["last_status"]["content"], "<p>psst</p>");
    assert_eq!(talk["last_status"]["account"]["username"], "bob");
    assert_eq!(events[0].1["id"], bobs.to_string());
    assert_eq!(events[0].1["account"]["username"], "bob");
    assert_eq!(events[0].1["tags"][0]["name"], "rust");
    assert_eq!(events[1].1["type"], "favourite");
    assert_eq!(events[1].1["status"]["id"], mine.to_string());
    // As Mastodon sends it: the bare id.
    assert_eq!(events[2].1.to_string(), bobs.to_string());
    let events = sse_events(&mut public, 3).await;
    let texts: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "update")
        .map(|(_, d)| &d["text"])
        .collect();
    assert_eq!(
        texts,
        [&json!("from bob #rust"), &json!("carol, not followed")]
    );
    let events = sse_events(&mut tagged, 1).await;
    assert_eq!(events[0].1["text"], "from bob #rust");
    let events = sse_events(&mut direct, 1).await;
    assert_eq!(events[0].0, "conversation");
    let events = sse_events(&mut noted, 1).await;
    assert_eq!(
        (events[0].0.as_str(), &events[0].1["type"]),
        ("notification", &json!("favourite"))
    );

    // Revoking the token ends its streams.
    http.post(format!("{base}/oauth/revoke"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match user.chunk().await {
                Ok(Some(_)) => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its revoked token");
}

#[tokio::test]
async fn the_public_timeline_is_what_the_firehose_carries() {
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob", "shy", "loud"] {
        c.bot(login).await;
    }
    c.ok(json!({"op": "set_profile", "as": "shy", "private": true}))
        .await;
    let post = |login: &str, text: &str| json!({"op": "post", "as": login, "text": text});
    let mut public = Vec::new();
    for (login, text) in [
        ("bob", "one"),
        ("shy", "secret"),
        ("loud", "noise"),
        ("bob", "two"),
    ] {
        let id = c.ok(post(login, text)).await["id"]
            .as_u64()
            .unwrap()
            .to_string();
        if login != "shy" {
            public.insert(0, id);
        }
    }
    let hidden = c.ok(post("bob", "to be hidden")).await["id"]
        .as_u64()
        .unwrap();
    c.ok(json!({"op": "moderate", "action": "hide", "status": hidden}))
        .await;
    let http = reqwest::Client::new();
    // Anyone may read it: public statuses only, none hidden.
    let anonymous: Value = http
        .get(format!("{base}/api/v1/timelines/public"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&anonymous), public);
    // Even its author does not find a private account's status there.
    let shy = Api::log_in(&mut c, &base, "shy").await;
    assert_eq!(ids(&shy.get("/api/v1/timelines/public").await), public);
    // A mute keeps the muted account out; paging by max_id and limit.
    let alice = Api::log_in(&mut c, &base, "alice").await;
    c.ok(json!({"op": "mute", "as": "alice", "login": "loud"}))
        .await;
    let without_loud: Vec<String> = public
        .iter()
        .filter(|id| **id != public[1])
        .cloned()
        .collect();
    assert_eq!(
        ids(&alice.get("/api/v1/timelines/public").await),
        without_loud
    );
    let older = alice
        .get(&format!(
            "/api/v1/timelines/public?max_id={}&limit=1",
            public[0]
        ))
        .await;
    assert_eq!(ids(&older), without_loud[1..2]);
}

#[tokio::test]
async fn streaming_over_a_websocket_with_subscribe_messages() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (_redis, _roostd, mut c, base) = server().await;
    for login in ["alice", "bob"] {
        c.bot(login).await;
    }
    let token = log_in(&mut c, &base, "alice").await;
    c.ok(json!({"op": "follow", "as": "alice", "login": "bob"}))
        .await;
    let url = format!(
        "{}/api/v1/streaming?stream=user&access_token={token}",
        base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the WebSocket opens");
    // A second stream asked for by message.
    ws.send(Message::Text(
        json!({"type": "subscribe", "stream": "hashtag", "tag": "rust"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let id = c
        .ok(json!({"op": "post", "as": "bob", "text": "websockets #rust"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(text.as_str()).unwrap();
        got.push(event);
    }
    got.sort_by_key(|e| e["stream"][0].as_str().unwrap().to_owned());
    assert_eq!(got[0]["stream"], json!(["hashtag", "rust"]));
    assert_eq!(got[1]["stream"], json!(["user"]));
    for event in &got {
        assert_eq!(event["event"], "update");
        let payload: Value = serde_json::from_str(event["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["id"], id.to_string());
        assert_eq!(payload["account"]["username"], "bob");
    }
    // Unsubscribed from the hashtag, only the user stream carries the next.
    ws.send(Message::Text(
        json!({"type": "unsubscribe", "stream": "hashtag"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    c.ok(json!({"op": "post", "as": "bob", "text": "more #rust"}))
        .await;
    c.ok(json!({"op": "delete", "as": "bob", "status": id}))
        .await;
    let mut names = Vec::new();
    while names.len() < 2 {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(text.as_str()).unwrap();
        names.push((
            event["stream"][0].as_str().unwrap().to_owned(),
            event["event"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        names,
        [
            ("user".to_owned(), "update".to_owned()),
            ("user".to_owned(), "delete".to_owned())
        ]
    );
    // Not a WebSocket request: Mastodon's JSON error, not a text page.
    let plain = reqwest::get(format!("{base}/api/v1/streaming?stream=user"))
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    assert!(plain.json::<Value>().await.unwrap()["error"].is_string());
    // Without a valid token there is no WebSocket.
    let refused = tokio_tungstenite::connect_async(format!(
        "{}/api/v1/streaming?stream=user&access_token=nope",
        base.replace("http://", "ws://")
    ))
    .await;
    assert!(refused.is_err());
}

/// `toot login`: the browser flow. The test is the person at the browser: it
/// opens the login URL toot prints, types the login code into the page, and
/// pastes the authorization code the page shows back into toot.
#[tokio::test]
async fn toot_login_goes_through_the_authorize_page() {
    use std::io::{BufRead, Write};
    let (_redis, _roostd, mut c, base) = server().await;
    let home = tempfile::tempdir().unwrap();
    c.bot("alice").await;
    let mut login = std::process::Command::new(toot_bin())
        .args(["login", "-i", &base])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("BROWSER", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("toot runs");
    let mut out = std::io::BufReader::new(login.stdout.take().unwrap());
    let mut url = String::new();
    let mut said = String::new();
    while url.is_empty() {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "toot ended: {said}");
        said.push_str(&line);
        if line.starts_with("http") && line.contains("/oauth/authorize") {
            url = line.trim().to_owned();
        }
    }
    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("roost login-code"), "{page}");
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let redirect = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .expect("the login URL names its redirect_uri");
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = http
        .post(format!("{base}/oauth/authorize/"))
        .form(&[("code", code.as_str()), ("redirect_uri", redirect.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let authorization = shown
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap_or_else(|| panic!("no code shown: {shown}"))
        .to_owned();
    let mut stdin = login.stdin.take().unwrap();
    writeln!(stdin, "n\n{authorization}").unwrap();
    drop(stdin);
    let status = login.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(
        status.success() && rest.contains("Successfully logged in"),
        "{said}{rest}"
    );
    assert!(toot(home.path(), &["whoami"]).contains("@alice"));
}

/// Mastodon.py, as a bot would use it: an app, the password grant with a
/// login code, then posts, timelines, acts and lists through its own entity
/// parsing (which checks every field's type).
#[tokio::test]
async fn mastodon_py_drives_the_api() {
    let (_redis, _roostd, mut c, base) = server().await;
    c.bot("alice").await;
    c.bot("bob").await;
    c.ok(json!({"op": "post", "as": "bob", "text": "hello from bob"}))
        .await;
    let code = c.ok(json!({"op": "login_code", "as": "alice"})).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let script = r#"
import sys
from mastodon import Mastodon
base, code = sys.argv[1], sys.argv[2]
cid, secret = Mastodon.create_app("bot", api_base_url=base)
m = Mastodon(client_id=cid, client_secret=secret, api_base_url=base)
token = m.log_in("alice", code, scopes=["read", "write", "follow"])
m = Mastodon(access_token=token, api_base_url=base)
assert m.me()["username"] == "alice"
assert "Roost" in m.instance()["version"]
s = m.status_post("hello from Mastodon.py #bots")
assert [t["name"] for t in s["tags"]] == ["bots"]
bob = m.account_lookup("bob")
m.account_follow(bob["id"])
assert m.account_relationships([bob["id"]])[0]["following"]
home = [x["content"] for x in m.timeline_home(limit=5)]
assert home[0].startswith("<p>hello from Mastodon.py"), home
assert len(home) == 2, home
assert [x["id"] for x in m.timeline_hashtag("bots")] == [s["id"]]
bobs = m.account_statuses(bob["id"])[0]
assert m.status_favourite(bobs["id"])["favourited"]
assert m.status_reblog(bobs["id"])["reblog"]["id"] == bobs["id"]
reply = m.status_post("@bob hi", in_reply_to_id=bobs["id"])
assert [x["id"] for x in m.status_context(reply["id"])["ancestors"]] == [bobs["id"]]
m.markers_set(["home"], [s["id"]])
assert m.markers_get(["home"])["home"]["last_read_id"] == str(s["id"])
assert m.search_v2("bob")["accounts"][0]["id"] == bob["id"]
assert [a["id"] for a in m.account_following(m.me()["id"])] == [bob["id"]]
assert m.stream_healthy()
m.status_delete(s["id"])
print("all good")
"#;
    let out = std::process::Command::new(clients_bin().join("python"))
        .args(["-c", script, &base, &code])
        .output()
        .expect("python runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.contains("all good"), "{said}");
    // What it did is in roostd.
    let bob = c
        .ok(json!({"op": "user", "as": "alice", "login": "bob"}))
        .await;
    assert_eq!(bob["relationship"]["following"], true);
    let marker = c.ok(json!({"op": "marker", "as": "alice"})).await;
    assert!(marker["home"].is_u64(), "{marker}");
}
