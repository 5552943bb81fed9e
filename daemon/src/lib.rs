//! roostd: the Roost social network daemon. It owns all the data in Redis and
//! serves the JSON-lines protocol (`docs/protocol.md`) on a Unix socket, knowing
//! each caller from the socket's peer credentials.
//!
//! # Layout
//! This file is the map and the wiring ([`run`]); every module below imports
//! only modules further down the list, never this file.
//! - [`server`]: binds the socket, accepts connections, serves each one.
//! - [`ops`]: parses a request and dispatches it to its op, grouped like the
//!   store (accounts, statuses, graph, streams).
//! - [`session`]: the caller of a connection, and per request who acts.
//! - [`connection`]: one connection's JSON-line framing and its writer.
//! - [`http`]: the chunked HTTP streaming API on a Unix socket and TCP.
//! - [`daemon`]: the handle on the shared state (store, hub, flags).
//! - [`fanout`]: the durable workers for deferred fan-out, delete cleanup and refills.
//! - [`stream`]: filters, the hub of subscriptions, a subscription's life with
//!   replay, and the event log's reader.
//! - [`store`]: the only code that talks to Redis: keys, Lua scripts, users,
//!   statuses, timelines, the follow graph, the event log and the job queue.
//! - [`admission`]: connection limits per user and in all, with a reserve.
//! - [`identity`]: peer credentials, operators, Unix user names, bearer tokens.
//! - [`redis_server`]: the private redis-server started when none is configured.
//! - [`lockfile`]: exclusive lock files, never through a symlink.
//! - [`config`]: the command-line flags.
//! - [`error`]: the error type, one protocol error code per variant.
//! - [`failpoint`]: named crash points for the crash-safety tests.

pub mod admission;
pub mod audit;
pub mod config;
pub mod connection;
pub mod daemon;
pub mod error;
pub mod failpoint;
pub mod fanout;
pub mod http;
pub mod identity;
pub mod lockfile;
pub mod ops;
pub mod redis_server;
pub mod server;
pub mod session;
pub mod store;
pub mod stream;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

pub use config::Config;

use crate::daemon::Daemon;
use crate::fanout::FanoutWorker;
use crate::store::{Limits, Store, Target};
use crate::stream::Hub;

/// How often roostd checks whether Redis lost its data (see `store::epoch`).
const EPOCH_PERIOD: Duration = Duration::from_millis(250);

/// Runs roostd until `shutdown` completes: binds the socket, starts a private
/// redis-server if no Redis is configured, serves clients and job workers, then
/// stops accepting, finishes requests and job passes in flight, and stops the
/// private redis-server. Queued jobs stay in Redis for the next start.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let socket = config.socket_path();
    let access = socket_access(&config)?;
    let (listener, guard) = server::bind(&socket, access)?;
    let (http_listener, http_guard) = server::bind(&config.http_socket_path(), access)?;
    let tcp = match config.http {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding HTTP on {addr}"))?,
        ),
        None => None,
    };
    let (stop_redis, redis_stopped) = watch::channel(false);
    let (target, supervisor) = redis_target(&config, redis_stopped).await?;
    let listeners = Listeners {
        socket: &socket,
        main: &listener,
        http: http_listener,
        tcp,
    };
    let result = serve(config, listeners, target, shutdown).await;
    drop((listener, guard, http_guard));
    let _ = stop_redis.send(true);
    if let Some(supervisor) = supervisor {
        let _ = supervisor.await;
    }
    result
}

/// Who may connect: `--socket-mode`, or the group of `--socket-group` (0660).
fn socket_access(config: &Config) -> anyhow::Result<server::Access> {
    let Some(name) = &config.socket_group else {
        if config.socket_mode == 0o660 {
            anyhow::bail!("--socket-mode 0660 needs --socket-group");
        }
        return Ok(server::Access {
            mode: config.socket_mode,
            gid: None,
        });
    };
    let gid = identity::group_id(name).with_context(|| format!("no group {name:?}"))?;
    Ok(server::Access {
        mode: 0o660,
        gid: Some(gid),
    })
}

/// Where the data is: `--redis-cluster`, `--redis`, or else the user's
/// private redis-server (started, or joined), with the task that keeps it.
async fn redis_target(
    config: &Config,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(Target, Option<tokio::task::JoinHandle<()>>)> {
    if !config.redis_cluster.is_empty() {
        let seeds = config.redis_cluster.iter().map(|s| {
            if s.contains("://") {
                s.clone()
            } else {
                format!("redis://{s}")
            }
        });
        return Ok((Target::Cluster(seeds.collect()), None));
    }
    if let Some(url) = &config.redis {
        return Ok((Target::Single(url.clone()), None));
    }
    let (url, supervisor) = redis_server::run(
        roost_shared::paths::runtime_dir(),
        roost_shared::paths::data_dir(),
        stop,
    )
    .await?;
    Ok((Target::Single(url), Some(supervisor)))
}

/// Brings the data's layout to this roostd's, or refuses to go on.
async fn upgrade_schema(store: &Store) -> anyhow::Result<()> {
    use crate::store::schema::Schema;
    match store
        .upgrade_schema()
        .await
        .context("reading the data's layout version")?
    {
        Schema::Upgraded { from } => tracing::info!(
            from,
            to = crate::store::schema::SCHEMA,
            "upgraded the data's layout"
        ),
        Schema::TooNew { found } => anyhow::bail!(
            "the data in Redis is laid out as schema version {found}, and this roostd knows \
             only up to version {}: run a newer roostd",
            crate::store::schema::SCHEMA
        ),
        Schema::Fresh | Schema::Current => {}
    }
    Ok(())
}

/// `roostd check`: reads the data, prints every broken invariant by kind
/// (and with `repair` fixes them); returns how many were found.
pub async fn check(config: Config, repair: bool) -> anyhow::Result<usize> {
    let (stop, stopped) = watch::channel(false);
    let (target, supervisor) = redis_target(&config, stopped).await?;
    let store = Store::connect(target, &config.namespace, limits(&config))
        .await
        .context("connecting to Redis")?;
    upgrade_schema(&store).await?;
    let report = store.check(repair).await.context("checking the data")?;
    println!("{report}");
    if repair && report.total() > 0 {
        println!("repaired");
    }
    let _ = stop.send(true);
    if let Some(supervisor) = supervisor {
        let _ = supervisor.await;
    }
    Ok(report.total())
}

/// `roostd export` (to standard output) and `roostd import` (from standard
/// input), on the data the daemon's own flags name.
pub async fn backup(config: Config, export: bool) -> anyhow::Result<String> {
    let (stop, stopped) = watch::channel(false);
    let (target, supervisor) = redis_target(&config, stopped).await?;
    let store = Store::connect(target, &config.namespace, limits(&config))
        .await
        .context("connecting to Redis")?;
    let result = if export {
        match upgrade_schema(&store).await {
            Ok(()) => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                store
                    .export(&mut out, roost_shared::time::now_millis())
                    .await
                    .map(|users| format!("exported {users} users"))
                    .context("exporting")
            }
            Err(e) => Err(e),
        }
    } else {
        let input = std::io::stdin().lock();
        store
            .import(input)
            .await
            .map(|done| {
                format!(
                    "imported {} users, {} statuses, {} follows, {} likes",
                    done.users, done.statuses, done.follows, done.likes
                )
            })
            .context("importing")
    };
    let _ = stop.send(true);
    if let Some(supervisor) = supervisor {
        let _ = supervisor.await;
    }
    result
}

fn limits(config: &Config) -> Limits {
    Limits {
        timeline_cap: config.timeline_cap,
        fanout_batch: config.fanout_batch,
        celebrity_threshold: config.celebrity_threshold,
        event_log_len: config.event_log_len as usize,
        redis_timeout: Duration::from_millis(config.redis_timeout_ms),
    }
}

struct Listeners<'a> {
    socket: &'a std::path::Path,
    main: &'a tokio::net::UnixListener,
    http: tokio::net::UnixListener,
    tcp: Option<tokio::net::TcpListener>,
}

async fn serve(
    config: Config,
    listeners: Listeners<'_>,
    target: Target,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let url = match &target {
        Target::Single(url) => url.clone(),
        Target::Cluster(seeds) => format!("the cluster at {}", seeds.join(",")),
    };
    let store = Store::connect(target, &config.namespace, limits(&config))
        .await
        .with_context(|| format!("connecting to Redis at {url}"))?;
    store
        .ping()
        .await
        .with_context(|| format!("Redis at {url} does not answer"))?;
    upgrade_schema(&store).await?;
    store
        .ensure_job_group()
        .await
        .context("creating the job queue")?;
    store
        .refresh_epoch()
        .await
        .context("reading the data epoch")?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..config.workers {
        let worker = FanoutWorker {
            store: store.clone(),
            consumer: FanoutWorker::consumer_name(listeners.socket, index),
            pace: Duration::from_millis(config.fanout_pace_ms),
            claim_idle_ms: config.job_claim_idle_ms,
            attempts: config.job_attempts,
            backoff: Duration::from_millis(config.job_retry_ms),
        };
        tasks.spawn(worker.run(stop_rx.clone()));
    }
    tasks.spawn(fanout::finish_abandoned_changes(
        store.clone(),
        config.job_claim_idle_ms,
        stop_rx.clone(),
    ));
    tasks.spawn(store.clone().watch_epoch(EPOCH_PERIOD, stop_rx.clone()));
    let hub = Arc::new(Hub::new(Duration::from_millis(config.stall_timeout_ms)));
    tasks.spawn(stream::reader::read_log(
        store.clone(),
        hub.clone(),
        stop_rx.clone(),
    ));
    let daemon = Daemon::new(store, config, hub);
    tasks.spawn(http::serve_unix(
        daemon.clone(),
        listeners.http,
        stop_rx.clone(),
    ));
    if let Some(tcp) = listeners.tcp {
        tasks.spawn(http::serve_tcp(daemon.clone(), tcp, stop_rx.clone()));
    }
    tracing::info!(socket = %listeners.socket.display(), "roostd ready");
    // At shutdown every part stops together: the sockets stop accepting, HTTP
    // streams end, workers finish the pass they are on.
    let stop = &stop_tx;
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    server::serve(daemon, listeners.main, shutdown).await;
    while tasks.join_next().await.is_some() {}
    tracing::info!("roostd stopped");
    Ok(())
}
