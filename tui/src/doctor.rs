//! `roost doctor`: what is wrong, in words. Which sockets `roost` tries and
//! why each fails, whether a daemon answers there and what it says, whether
//! its Redis answers, and the permissions of the directories Roost keeps its
//! socket and data in. It starts nothing.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use roost_shared::{ErrorCode, Hello, Request, paths};

use crate::client::Client;

/// One finding: fine or not, in words.
struct Check {
    ok: bool,
    text: String,
}

/// Runs every check and prints one line each; true when a daemon answers and
/// its Redis does too.
pub async fn run() -> bool {
    let mut checks = Vec::new();
    let mut served = false;
    for (what, socket) in candidates() {
        match try_socket(&socket).await {
            Ok(found) => {
                checks.push(Check {
                    ok: true,
                    text: format!("{what} {}: {}", socket.display(), found.hello),
                });
                served |= found.redis.ok;
                checks.push(found.redis);
                checks.extend(found.clocks);
                break;
            }
            Err(why) => checks.push(Check {
                ok: false,
                text: format!("{what} {}: {why}", socket.display()),
            }),
        }
    }
    for (what, dir) in [
        ("runtime directory", paths::runtime_dir()),
        ("data directory", paths::data_dir()),
    ] {
        checks.push(directory(what, &dir));
    }
    for check in &checks {
        println!("{} {}", if check.ok { "ok " } else { "!! " }, check.text);
    }
    if !served && std::env::var_os(paths::SOCKET_ENV).is_none_or(|s| s.is_empty()) {
        let socket = paths::user_socket();
        println!(
            "no daemon serves you: `roost` would start one at {}",
            socket.display()
        );
    }
    served
}

/// The sockets `roost` tries, in its order.
fn candidates() -> Vec<(&'static str, PathBuf)> {
    if let Some(socket) = std::env::var_os(paths::SOCKET_ENV).filter(|s| !s.is_empty()) {
        return vec![("ROOST_SOCKET", PathBuf::from(socket))];
    }
    vec![
        ("your socket", paths::user_socket()),
        ("the host's socket", PathBuf::from(paths::SYSTEM_SOCKET)),
    ]
}

struct Found {
    hello: String,
    redis: Check,
    clocks: Option<Check>,
}

async fn try_socket(socket: &Path) -> Result<Found, String> {
    let meta = std::fs::metadata(socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such socket".to_owned(),
        _ => format!("cannot look at it: {e}"),
    })?;
    let mode = meta.permissions().mode() & 0o777;
    let (client, _events) = tokio::time::timeout(Duration::from_secs(2), Client::connect(socket))
        .await
        .map_err(|_| "no answer to connecting within 2 s".to_owned())?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => format!(
                "permission denied (mode {mode:o}, owner uid {}): ask the admin for access",
                meta.uid()
            ),
            std::io::ErrorKind::ConnectionRefused => {
                "nothing listens: a stale socket of a daemon that stopped".to_owned()
            }
            _ => e.to_string(),
        })?;
    let asked = roost_shared::time::now_millis();
    let hello = tokio::time::timeout(Duration::from_secs(5), client.call_as(Request::Hello))
        .await
        .map_err(|_| "connected, but no answer to hello within 5 s".to_owned())?;
    let answered = roost_shared::time::now_millis();
    let hello: Hello = match hello {
        Ok(hello) => hello,
        // roostd answered; what it needs did not.
        Err(e) if e.code == ErrorCode::Unavailable => {
            return Ok(Found {
                hello: "roostd answers".to_owned(),
                redis: Check {
                    ok: false,
                    text: format!("its Redis does not answer: {e}"),
                },
                clocks: None,
            });
        }
        Err(e) => return Err(format!("hello failed: {e}")),
    };
    let you = match &hello.you {
        Some(me) => format!("you are @{}", me.login),
        None => "you have no account yet (`roost register`)".to_owned(),
    };
    let hello_text = format!(
        "{} answers, protocol {}; {you}{}",
        hello.server,
        hello.protocol,
        if hello.operator {
            "; you are an operator"
        } else {
            ""
        }
    );
    // A read that needs Redis: an unknown login is `not_found` when Redis answers.
    let probe = Request::User {
        login: "doctor_probe_no_such_login".into(),
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), client.call(probe)).await;
    let (ok, text) = match answer {
        Ok(Err(e)) if e.code == ErrorCode::NotFound => (true, "its Redis answers".to_owned()),
        Ok(Ok(_)) => (true, "its Redis answers".to_owned()),
        Ok(Err(e)) => (false, format!("its Redis does not answer: {e}")),
        Err(_) => (false, "its Redis did not answer within 5 s".to_owned()),
    };
    Ok(Found {
        hello: hello_text,
        redis: Check { ok, text },
        clocks: clocks(&hello, (asked + answered) / 2),
    })
}

/// Clock skew past which times go out of order: a second.
const SKEW_MS: i64 = 1000;

/// Whether this machine, roostd and its Redis agree on the time: statuses
/// take roostd's time, and several roostd on one Redis order by it.
fn clocks(hello: &Hello, local: i64) -> Option<Check> {
    let parse = |t: &Option<String>| t.as_deref().and_then(roost_shared::time::parse_millis);
    let daemon = parse(&hello.time)?;
    let daemon_skew = daemon - local;
    let redis_skew = parse(&hello.redis_time).map(|r| r - daemon);
    let say = |ms: i64| {
        let dir = if ms >= 0 { "ahead of" } else { "behind" };
        format!("{:.1} s {dir}", ms.abs() as f64 / 1000.0)
    };
    let mut problems = Vec::new();
    if daemon_skew.abs() > SKEW_MS {
        problems.push(format!(
            "roostd's clock is {} this machine's",
            say(daemon_skew)
        ));
    }
    if let Some(skew) = redis_skew.filter(|s| s.abs() > SKEW_MS) {
        problems.push(format!("its Redis's clock is {} roostd's", say(skew)));
    }
    Some(if problems.is_empty() {
        Check {
            ok: true,
            text: format!(
                "clocks agree: roostd within {} ms of this machine, its Redis within {} ms of roostd",
                daemon_skew.abs(),
                redis_skew.map_or("?".into(), |s| s.abs().to_string())
            ),
        }
    } else {
        Check {
            ok: false,
            text: format!(
                "clock skew: {} (post times go out of order; run NTP)",
                problems.join("; ")
            ),
        }
    })
}

/// A directory of Roost's: there, yours, and nobody else's to write (or read,
/// for the data).
fn directory(what: &str, dir: &Path) -> Check {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Check {
            ok: true,
            text: format!("{what} {}: not made yet", dir.display()),
        };
    };
    let mode = meta.permissions().mode() & 0o777;
    // /proc/self belongs to the process's own (effective) user.
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let mut problems = Vec::new();
    if me.is_some_and(|me| meta.uid() != me) {
        problems.push(format!("belongs to uid {}, not you", meta.uid()));
    }
    if mode & 0o022 != 0 {
        problems.push("others can write to it".to_owned());
    }
    if what == "data directory" && mode & 0o044 != 0 {
        problems.push("others can read your data (chmod 700 it)".to_owned());
    }
    Check {
        ok: problems.is_empty(),
        text: format!(
            "{what} {} (mode {mode:o}){}",
            dir.display(),
            if problems.is_empty() {
                String::new()
            } else {
                format!(": {}", problems.join("; "))
            }
        ),
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    fn hello(time: i64, redis: i64) -> Hello {
        Hello {
            protocol: 1,
            server: "roostd".into(),
            you: None,
            operator: false,
            subscriptions: None,
            time: Some(roost_shared::time::format_millis(time)),
            redis_time: Some(roost_shared::time::format_millis(redis)),
        }
    }

    #[test]
    fn clock_skew_is_told_in_words() {
        let now = 1_795_735_439_470;
        let fine = clocks(&hello(now + 20, now + 30), now).unwrap();
        assert!(fine.ok, "{}", fine.text);
        assert!(fine.text.contains("within 20 ms") && fine.text.contains("within 10 ms"));
        let redis_ahead = clocks(&hello(now, now + 4_000), now).unwrap();
        assert!(!redis_ahead.ok);
        assert!(
            redis_ahead
                .text
                .contains("its Redis's clock is 4.0 s ahead of roostd's")
        );
        let daemon_behind = clocks(&hello(now - 90_000, now - 90_000), now).unwrap();
        assert!(
            daemon_behind
                .text
                .contains("roostd's clock is 90.0 s behind this machine's")
        );
        let mut old = hello(now, now);
        old.time = None;
        assert!(
            clocks(&old, now).is_none(),
            "an older roostd does not tell its time"
        );
    }
}
