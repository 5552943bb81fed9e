//! The only module that names a Redis command or builds a key: users, statuses,
//! timelines, the follow graph and the durable job queue, after the
//! social-network chapter of "Redis in Action".
//!
//! - [`keys`]: every key and the timeline member format.
//! - [`scripts`]: the Lua scripts that make multi-key steps atomic.
//! - `users`, `statuses`, `graph`, `jobs`: the operations on each part.

pub mod keys;
pub mod scripts;

mod events;
mod graph;
mod jobs;
mod statuses;
mod users;

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Value};

pub use events::{Happening, LogEvent, eid_of, stream_id_of};
pub use jobs::{Job, JobKind, QueuedJob};
pub use keys::{Entry, Keys};
use statuses::status_from;
pub use users::Owner;

use crate::error::{Error, Result};

/// Pause before trying an unreachable Redis again.
pub const RETRY: Duration = Duration::from_millis(500);

/// How long a normal command may take before the request fails as `unavailable`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Tunables of the data layer, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Newest statuses kept per home timeline.
    pub timeline_cap: u32,
    /// Followers written per fan-out pass.
    pub fanout_batch: u32,
    /// Events the log keeps at least.
    pub event_log_len: usize,
}

/// A handle on the data in Redis; cheap to clone (one shared multiplexed connection).
#[derive(Clone)]
pub struct Store {
    client: Client,
    conn: ConnectionManager,
    keys: Keys,
    limits: Limits,
}

impl Store {
    /// Connects to Redis at `url` (`redis://` or `redis+unix://`).
    pub async fn connect(url: &str, namespace: &str, limits: Limits) -> Result<Store> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(3);
        let conn = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Store {
            client,
            conn,
            keys: Keys::new(namespace),
            limits,
        })
    }

    /// A connection of its own with no response timeout, for blocking reads
    /// (which would stall every request on the shared connection).
    pub async fn blocking_connection(&self) -> Result<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_response_timeout(None)
            .set_connection_timeout(Some(Duration::from_secs(5)));
        Ok(self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?)
    }

    /// A blocking connection, tried every `RETRY` until it connects; `None`
    /// once `stop` turns true. `what` names the task in the log.
    pub async fn blocking_connection_until(
        &self,
        what: &str,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Option<MultiplexedConnection> {
        loop {
            match self.blocking_connection().await {
                Ok(conn) => return Some(conn),
                Err(e) => tracing::warn!(error = %e, "{what} cannot reach Redis; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY) => {}
                _ = stop.wait_for(|s| *s) => return None,
            }
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Round trip to Redis, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }
}

// Decoding of replies. Redis answers scripts with nested arrays; these turn them
// into what the callers need, or an `Internal` error naming what was unexpected.

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
