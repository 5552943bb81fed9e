//! End-to-end tests: a redis-server of each test's own, the real roostd binary
//! on a temporary socket, and the wire protocol, as scripts use it.

mod backup;
mod bad_input;
mod bench;
mod celebrity;
mod check;
mod cluster;
mod concurrency;
mod conversations;
mod crashes;
mod dist;
mod fanout;
mod http;
mod identity;
mod kills;
mod lifecycle;
mod mastodon;
mod neighbours;
mod privacy;
mod protocol;
mod safety;
mod streams;
mod tui;

use roost_tests::{Client, Redis, Roostd};

/// A fresh Redis, a roostd on it with `flags`, and a client (an operator: the
/// tests run as root or as the daemon's own user).
pub async fn setup(flags: &[&str]) -> (Redis, Roostd, Client) {
    let redis = Redis::start();
    let roostd = Roostd::start(&redis, flags);
    let client = roostd.client().await;
    (redis, roostd, client)
}
