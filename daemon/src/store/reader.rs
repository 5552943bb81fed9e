//! A blocking reader: a Redis connection of its own, without a response
//! timeout, for the reads that wait for news (the event log's XREAD BLOCK, the
//! job queue's XREADGROUP BLOCK). A blocking read on the shared multiplexed
//! connection would stall every request behind it.
//!
//! The reader is also the one place that knows how to come back: after a failed
//! read it pauses, reconnects when Redis went away, and recreates the job group
//! when a Redis that lost its data lost the group with it.

use std::time::Duration;

use redis::{AsyncConnectionConfig, Client};
use tokio::sync::watch;

use super::{Conn, RETRY, Store, Target, cluster_connection};
use crate::error::{Error, Result, is_unreachable};

/// A task's own connection for blocking reads.
pub struct BlockingReader {
    pub(super) store: Store,
    pub(super) conn: Conn,
    /// The task, named in the log.
    what: &'static str,
}

/// What a reader did about a failed read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Read again on the same connection.
    Retry,
    /// The connection was replaced: whatever the connection held (a consumer's
    /// place in a read) must be asked for again.
    Reconnected,
    /// Stop was asked for meanwhile.
    Stopped,
}

impl BlockingReader {
    /// Connects, trying every `RETRY` until Redis answers; `None` once `stop`
    /// turns true.
    pub async fn connect(
        store: &Store,
        what: &'static str,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<BlockingReader> {
        let conn = connect_until(store, what, stop).await?;
        Some(BlockingReader {
            store: store.clone(),
            conn,
            what,
        })
    }

    /// After a failed read: logs it, pauses, and brings the connection back
    /// when Redis went away (or the job group when Redis lost it).
    pub async fn recover(&mut self, e: &Error, stop: &mut watch::Receiver<bool>) -> Recovery {
        tracing::warn!(error = %e, "{}: reading failed; retrying", self.what);
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            _ = stop.wait_for(|s| *s) => return Recovery::Stopped,
        }
        match e {
            // This connection will not come back by itself.
            Error::Redis(r) if is_unreachable(r) => {
                match connect_until(&self.store, self.what, stop).await {
                    Some(conn) => {
                        self.conn = conn;
                        Recovery::Reconnected
                    }
                    None => Recovery::Stopped,
                }
            }
            // A Redis that lost its data (no persistence) lost the group too.
            Error::Redis(r) if r.code() == Some("NOGROUP") => {
                let _ = self.store.ensure_job_group().await;
                Recovery::Retry
            }
            _ => Recovery::Retry,
        }
    }
}

/// A blocking connection, tried every `RETRY` until it connects.
async fn connect_until(
    store: &Store,
    what: &str,
    stop: &mut watch::Receiver<bool>,
) -> Option<Conn> {
    loop {
        match blocking_connection(&store.target).await {
            Ok(conn) => return Some(conn),
            Err(e) => tracing::warn!(error = %e, "{what} cannot reach Redis; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            _ = stop.wait_for(|s| *s) => return None,
        }
    }
}

/// A connection of its own with no response timeout.
async fn blocking_connection(target: &Target) -> Result<Conn> {
    match target {
        Target::Single(url) => {
            let config = AsyncConnectionConfig::new()
                .set_response_timeout(None)
                .set_connection_timeout(Some(Duration::from_secs(5)));
            let client = Client::open(url.as_str())?;
            Ok(Conn::Dedicated(
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?,
            ))
        }
        Target::Cluster(_) => Ok(Conn::Cluster(
            cluster_connection(target, Duration::from_secs(86_400)).await?,
        )),
    }
}
