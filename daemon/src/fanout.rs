//! The durable background workers: deferred fan-out, delete cleanup and home
//! refills, read from the job queue in Redis.
//!
//! Each worker has a stable consumer name (host, socket, index), so after a
//! crash the restarted roostd first finishes the jobs it had taken; jobs of a
//! roostd that never comes back are taken over once idle for
//! `--job-claim-idle-ms`. A worker finishes the pass it is on before shutdown.

use std::time::Duration;

use tokio::sync::watch;

use crate::store::{BlockingReader, QueuedJob, RETRY, Recovery, Store};

/// How long one blocking read of the queue waits before looking around again.
const BLOCK_MS: usize = 1000;

/// One worker task.
pub struct FanoutWorker {
    pub store: Store,
    pub consumer: String,
    pub pace: Duration,
    pub claim_idle_ms: u64,
}

impl FanoutWorker {
    /// The consumer name of worker `index` of the roostd serving `socket` on this host.
    pub fn consumer_name(socket: &std::path::Path, index: u16) -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".into());
        // FNV-1a: stable across runs and builds, unlike the std hasher.
        let hash = socket
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
            });
        format!("{host}:{hash:016x}:{index}")
    }

    /// Works through jobs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let Some(mut reader) = BlockingReader::connect(&self.store, "job worker", &mut stop).await
        else {
            return;
        };
        // Jobs this consumer took before a crash come first.
        let mut own_pending = true;
        let mut since_claim = tokio::time::Instant::now();
        while !*stop.borrow() {
            let claim_due =
                since_claim.elapsed() >= Duration::from_millis(self.claim_idle_ms / 2 + 1);
            let next = if own_pending {
                reader.jobs(&self.consumer, true, 0).await
            } else if claim_due {
                since_claim = tokio::time::Instant::now();
                self.store
                    .claim_stale_job(&self.consumer, self.claim_idle_ms)
                    .await
                    .map(|j| j.into_iter().collect())
            } else {
                tokio::select! {
                    jobs = reader.jobs(&self.consumer, false, BLOCK_MS) => jobs,
                    _ = stop.wait_for(|s| *s) => break,
                }
            };
            match next {
                Ok(jobs) if jobs.is_empty() => own_pending = false,
                Ok(jobs) => {
                    for job in jobs {
                        // A failed pass stays pending: read our pending jobs again.
                        own_pending |= !self.work(job).await;
                    }
                }
                Err(e) => match reader.recover(&e, &mut stop).await {
                    Recovery::Stopped => return,
                    Recovery::Reconnected => own_pending = true,
                    Recovery::Retry => {}
                },
            }
        }
    }

    /// Does one pass of a job and acknowledges it together with its next pass.
    /// A failed pass stays pending and is retried (every pass is idempotent);
    /// returns false then.
    async fn work(&self, queued: QueuedJob) -> bool {
        let next = match &queued.job {
            Some(job) => {
                if !self.pace.is_zero() {
                    tokio::time::sleep(self.pace).await;
                }
                match self.store.run_job(job).await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::warn!(error = %e, ?job, "job pass failed; it stays queued");
                        tokio::time::sleep(RETRY).await;
                        return false;
                    }
                }
            }
            None => {
                tracing::warn!(id = %queued.id, "dropping an unreadable job");
                None
            }
        };
        if let Err(e) = self.store.finish_job(&queued.id, next.as_ref()).await {
            tracing::warn!(error = %e, id = %queued.id, "acknowledging a job failed; it will run again");
            return false;
        }
        true
    }
}

/// Finishes posts, follows and unfollows whose roostd died between their
/// steps (see `Store::finish_abandoned_posts` and
/// `Store::finish_abandoned_changes`): at start, then every half `idle_ms`.
pub async fn finish_abandoned_changes(store: Store, idle_ms: u64, mut stop: watch::Receiver<bool>) {
    let period = Duration::from_millis((idle_ms / 2).max(100));
    loop {
        let now = roost_shared::time::now_millis();
        match store.finish_abandoned_posts(idle_ms as i64, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "published posts left half done by a roostd that died"),
            Err(e) => tracing::warn!(error = %e, "finishing abandoned posts failed; will retry"),
        }
        match store.finish_abandoned_changes(idle_ms as i64, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "finished follows left half done by a roostd that died"),
            Err(e) => tracing::warn!(error = %e, "finishing abandoned follows failed; will retry"),
        }
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
