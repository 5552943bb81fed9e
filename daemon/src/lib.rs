//! roostd: the Roost social network daemon. It owns all the data in Redis and
//! serves the JSON-lines protocol (`docs/protocol.md`) on a Unix socket, knowing
//! each caller from the socket's peer credentials.
//!
//! # Layout
//! - [`config`]: the command-line flags.
//! - [`server`]: binds the socket, accepts connections, shuts down cleanly.
//! - [`connection`]: one connection's JSON-line framing with the length limit.
//! - [`ops`]: parses a request, checks identity and calls the store.
//! - [`identity`]: peer credentials, operators, Unix user names.
//! - [`store`]: the only code that talks to Redis: keys, Lua scripts, users,
//!   statuses, timelines, the follow graph and the job queue.
//! - [`fanout`]: the durable workers for deferred fan-out, delete cleanup and refills.
//! - [`redis_server`]: the private redis-server started when none is configured.
//! - [`error`]: the error type, one protocol error code per variant.

pub mod config;
pub mod connection;
pub mod error;
pub mod fanout;
pub mod identity;
pub mod ops;
pub mod redis_server;
pub mod server;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

pub use config::Config;

use crate::fanout::FanoutWorker;
use crate::redis_server::PrivateRedis;
use crate::store::{Limits, Store};

/// The one way into the daemon's shared state; cheap to clone.
#[derive(Clone)]
pub struct Daemon(Arc<State>);

struct State {
    store: Store,
    config: Config,
}

impl Daemon {
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }
}

/// Runs roostd until `shutdown` completes: binds the socket, starts a private
/// redis-server if no Redis is configured, serves clients and job workers, then
/// stops accepting, finishes requests and job passes in flight, and stops the
/// private redis-server. Queued jobs stay in Redis for the next start.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let socket = config.socket_path();
    let listener = server::bind(&socket, config.socket_mode)?;
    let private = match &config.redis {
        Some(_) => None,
        None => Some(
            PrivateRedis::start(
                &roost_shared::paths::runtime_dir(),
                &roost_shared::paths::data_dir(),
            )
            .await?,
        ),
    };
    let url = match (&config.redis, &private) {
        (Some(url), _) => url.clone(),
        (None, Some(private)) => private.url(),
        (None, None) => unreachable!("a private redis-server is started when no URL is given"),
    };
    let result = serve(config, &socket, &listener, &url, shutdown).await;
    drop(listener);
    if let Some(private) = private {
        private.stop().await;
    }
    result
}

async fn serve(
    config: Config,
    socket: &std::path::Path,
    listener: &server::Listener,
    url: &str,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let limits = Limits {
        timeline_cap: config.timeline_cap,
        fanout_batch: config.fanout_batch,
    };
    let store = Store::connect(url, &config.namespace, limits)
        .await
        .with_context(|| format!("connecting to Redis at {url}"))?;
    store
        .ping()
        .await
        .with_context(|| format!("Redis at {url} does not answer"))?;
    store
        .ensure_job_group()
        .await
        .context("creating the job queue")?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = tokio::task::JoinSet::new();
    for index in 0..config.workers {
        let worker = FanoutWorker {
            store: store.clone(),
            consumer: FanoutWorker::consumer_name(socket, index),
            pace: Duration::from_millis(config.fanout_pace_ms),
            claim_idle_ms: config.job_claim_idle_ms,
        };
        workers.spawn(worker.run(stop_rx.clone()));
    }
    let daemon = Daemon(Arc::new(State { store, config }));
    tracing::info!(socket = %socket.display(), "roostd ready");
    server::serve(daemon, listener, shutdown).await;
    let _ = stop_tx.send(true);
    while workers.join_next().await.is_some() {}
    tracing::info!("roostd stopped");
    Ok(())
}
