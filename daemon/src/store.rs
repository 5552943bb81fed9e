//! The only module that names a Redis command or builds a key: users, statuses,
//! timelines, the follow graph and the durable job queue, after the
//! social-network chapter of "Redis in Action".
//!
//! - [`keys`]: every key and the timeline member format.
//! - [`scripts`]: the Lua scripts that make multi-key steps atomic.
//! - [`reader`]: a task's own connection for blocking reads, reconnecting.
//! - [`check`]: `roostd check`, every invariant verified (and repaired).
//! - [`backup`]: `roostd export` and `roostd import`, the network as JSON lines.
//! - [`schema`]: the layout's version; upgrades at start, refuses newer.
//! - [`rates`]: rate limits per account over a sliding minute.
//! - [`safety`]: blocks and mutes; `privacy`: private accounts and follow requests.
//! - [`visibility`]: the one decision whether a viewer may see a status.
//! - `celebrity`: hybrid fan-out, accounts with many followers merged into
//!   home reads instead of copied.
//! - `users`, `statuses`, `conversations` (likes, threads, notifications,
//!   trending), `graph`, `jobs`, `events`: the operations on each part.

pub mod keys;
pub mod reader;
pub mod scripts;

pub mod backup;
pub(crate) mod celebrity;
pub mod check;
pub(crate) mod conversations;
pub mod direct;
mod epoch;
mod events;
mod graph;
mod jobs;
pub mod moderation;
mod privacy;
pub mod rates;
pub mod safety;
pub mod schema;
mod statuses;
mod users;
pub mod visibility;

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Client, Value};

pub use events::{Happening, LogEntry, Restriction};
pub use jobs::{Job, JobKind, QueuedJob};
pub use keys::{Entry, Keys};
pub use reader::{BlockingReader, Recovery};
use statuses::status_from;
pub use statuses::{Draft, Page, Record, Timeline};
pub use users::Owner;

use crate::error::{Error, Result};

/// Pause before trying an unreachable Redis again.
pub const RETRY: Duration = Duration::from_millis(500);

/// Tunables of the data layer, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Newest statuses kept per home timeline.
    pub timeline_cap: u32,
    /// Followers written per fan-out pass.
    pub fanout_batch: u32,
    /// Followers from which posts are merged at read time instead of copied
    /// (0: never; see `store::celebrity`).
    pub celebrity_threshold: u64,
    /// Events the log keeps at least.
    pub event_log_len: usize,
    /// How long a command may take before the request fails as `unavailable`.
    pub redis_timeout: Duration,
}

/// Where the data lives: one Redis, or a Redis Cluster given by seed nodes.
#[derive(Debug, Clone)]
pub enum Target {
    Single(String),
    Cluster(Vec<String>),
}

/// A connection to either kind of Redis; cheap to clone.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    /// A dedicated connection of its own (blocking reads).
    Dedicated(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl redis::aio::ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Dedicated(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Dedicated(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Dedicated(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Commands in flight at once when a batch spans cluster slots.
const CLUSTER_IN_FLIGHT: usize = 100;

/// One call of a script in [`Store::invoke_many`]: its keys and arguments.
struct ScriptCall {
    keys: Vec<String>,
    args: Vec<String>,
}

/// A handle on the data in Redis; cheap to clone (one shared multiplexed connection).
#[derive(Clone)]
pub struct Store {
    target: Target,
    conn: Conn,
    keys: Keys,
    limits: Limits,
    shared: std::sync::Arc<Shared>,
}

/// What every clone of a store knows about the data's life (see `epoch`).
#[derive(Debug, Default)]
struct Shared {
    epoch: std::sync::atomic::AtomicU64,
    highest_account: std::sync::atomic::AtomicU64,
    /// Logins (lowercased) to account ids, with the epoch they were read in:
    /// a login never changes hands within one life of the data.
    logins: std::sync::Mutex<std::collections::HashMap<String, (u64, u64)>>,
}

/// Logins [`Shared::logins`] remembers at most (then it starts over).
const LOGINS_CACHED: usize = 65_536;

impl Store {
    /// Connects to one Redis (`redis://` or `redis+unix://`) or a cluster.
    pub async fn connect(target: Target, namespace: &str, limits: Limits) -> Result<Store> {
        let conn = match &target {
            Target::Single(url) => {
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(limits.redis_timeout))
                    .set_connection_timeout(Some(limits.redis_timeout))
                    .set_number_of_retries(3);
                Conn::Single(
                    ConnectionManager::new_with_config(Client::open(url.as_str())?, config).await?,
                )
            }
            Target::Cluster(_) => {
                Conn::Cluster(cluster_connection(&target, limits.redis_timeout).await?)
            }
        };
        Ok(Store {
            target,
            conn,
            keys: Keys::new(namespace),
            limits,
            shared: Default::default(),
        })
    }

    /// Whether the data is on a Redis Cluster.
    fn clustered(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// Runs commands that may touch many slots: one pipeline on a single Redis,
    /// a bounded number in flight on a cluster (whose client refuses pipelines
    /// across slots). Results come back in order.
    async fn query_many<T: redis::FromRedisValue>(&self, cmds: Vec<redis::Cmd>) -> Result<Vec<T>> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        if !self.clustered() {
            let mut pipe = redis::pipe();
            for cmd in cmds {
                pipe.add_command(cmd);
            }
            return Ok(pipe.query_async(&mut self.conn()).await?);
        }
        use futures_util::StreamExt;
        let results: Vec<redis::RedisResult<T>> = futures_util::stream::iter(cmds)
            .map(|cmd| {
                let mut conn = self.conn();
                async move { cmd.query_async::<T>(&mut conn).await }
            })
            .buffered(CLUSTER_IN_FLIGHT)
            .collect()
            .await;
        Ok(results
            .into_iter()
            .collect::<redis::RedisResult<Vec<T>>>()?)
    }

    /// Calls one script many times, each call with its own keys (one slot
    /// per call, many slots in all): EVALSHA in one pipeline on a single Redis
    /// (loading the script when Redis answers NOSCRIPT, then once more), a
    /// bounded number in flight on a cluster (each loaded on its node as
    /// needed). Results come back in order.
    async fn invoke_many<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        calls: Vec<ScriptCall>,
    ) -> Result<Vec<T>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        if self.clustered() {
            use futures_util::StreamExt;
            let results: Vec<redis::RedisResult<T>> = futures_util::stream::iter(calls)
                .map(|call| {
                    let mut conn = self.conn();
                    let mut invocation = script.prepare_invoke();
                    for key in call.keys {
                        invocation.key(key);
                    }
                    for arg in call.args {
                        invocation.arg(arg);
                    }
                    async move { invocation.invoke_async::<T>(&mut conn).await }
                })
                .buffered(CLUSTER_IN_FLIGHT)
                .collect()
                .await;
            return Ok(results
                .into_iter()
                .collect::<redis::RedisResult<Vec<T>>>()?);
        }
        let mut pipe = redis::pipe();
        for call in &calls {
            pipe.cmd("EVALSHA")
                .arg(script.get_hash())
                .arg(call.keys.len())
                .arg(&call.keys)
                .arg(&call.args);
        }
        match pipe.query_async(&mut self.conn()).await {
            // Redis lost its script cache (a restart): load the script, again.
            Err(e) if e.code() == Some("NOSCRIPT") => {
                script.load_async(&mut self.conn()).await?;
                Ok(pipe.query_async(&mut self.conn()).await?)
            }
            other => Ok(other?),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    fn conn(&self) -> Conn {
        self.conn.clone()
    }

    /// Redis's clock, in ms since the epoch (`TIME`).
    pub async fn redis_time(&self) -> Result<i64> {
        let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut self.conn()).await?;
        Ok(secs * 1000 + micros / 1000)
    }

    /// Round trip to Redis, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }
}

/// A cluster connection through the seed nodes, with this response timeout.
async fn cluster_connection(
    target: &Target,
    response_timeout: Duration,
) -> Result<ClusterConnection> {
    let Target::Cluster(seeds) = target else {
        return Err(Error::Internal("not a cluster".into()));
    };
    let client = ClusterClientBuilder::new(seeds.clone())
        .connection_timeout(Duration::from_secs(5))
        .response_timeout(response_timeout)
        .build()?;
    Ok(client.get_async_connection().await?)
}

// Decoding of replies. Redis answers scripts with nested arrays; these turn them
// into what the callers need, or an `Internal` error naming what was unexpected.

/// A reply as the type it should be, or `internal`.
pub(crate) fn decode<T: redis::FromRedisValue>(value: Value) -> Result<T> {
    redis::from_redis_value(value).map_err(|e| Error::Internal(format!("unexpected reply: {e}")))
}

fn unexpected(what: &str, value: &Value) -> Error {
    Error::Internal(format!("unexpected reply for {what}: {value:?}"))
}

fn as_int(value: &Value, what: &str) -> Result<i64> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected(what, value)),
        Value::SimpleString(s) => s.parse().map_err(|_| unexpected(what, value)),
        _ => Err(unexpected(what, value)),
    }
}

fn as_string(value: &Value, what: &str) -> Result<String> {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).map_err(|_| unexpected(what, value)),
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(n) => Ok(n.to_string()),
        _ => Err(unexpected(what, value)),
    }
}

fn as_array<'a>(value: &'a Value, what: &str) -> Result<&'a [Value]> {
    match value {
        Value::Array(items) | Value::Set(items) => Ok(items),
        _ => Err(unexpected(what, value)),
    }
}

/// A `[member, score, member, score, ...]` reply as (member, score) pairs.
fn scored_pairs(value: &Value, what: &str) -> Result<Vec<(String, f64)>> {
    let items = as_array(value, what)?;
    items
        .chunks(2)
        .map(|pair| match pair {
            [m, s] => {
                let score = match s {
                    Value::Double(d) => *d,
                    other => as_string(other, what)?
                        .parse()
                        .map_err(|_| unexpected(what, other))?,
                };
                Ok((as_string(m, what)?, score))
            }
            _ => Err(unexpected(what, value)),
        })
        .collect()
}

/// The fields of a hash read with HGETALL.
type Fields = HashMap<String, String>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or("")
}

fn int_field(fields: &Fields, name: &str) -> u64 {
    field(fields, name).parse().unwrap_or(0)
}
