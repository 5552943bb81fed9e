//! The durable background workers: deferred fan-out, delete cleanup and home
//! refills, read from the job queue in Redis.
//!
//! Each worker has a stable consumer name (host, socket, index), so after a
//! crash the restarted roostd first finishes the jobs it had taken; jobs of a
//! roostd that never comes back are taken over once idle for
//! `--job-claim-idle-ms`. A worker finishes the pass it is on before shutdown.
//!
//! A pass that fails while Redis answers (a broken key, say) is tried again
//! with a growing pause while other jobs go on, and after `--job-attempts`
//! failures the job is parked in `{ns}:parked`, where `roostd check` reports
//! it. A pass that fails because Redis is away is not counted.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::is_unreachable;
use crate::store::{BlockingReader, QueuedJob, RETRY, Recovery, Store};

/// How long one blocking read of the queue waits before looking around again.
const BLOCK_MS: u64 = 1000;

/// Pending jobs of this worker looked at at once, for one that is due.
const PENDING_PAGE: usize = 50;

/// The longest pause before a failed job is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One worker task.
pub struct FanoutWorker {
    pub store: Store,
    pub consumer: String,
    pub pace: Duration,
    pub claim_idle_ms: u64,
    /// Failures after which a job is parked.
    pub attempts: u32,
    /// The first pause after a failure; it doubles with each.
    pub backoff: Duration,
}

/// Jobs of this worker that failed: how often, and when to try again.
#[derive(Default)]
struct Failures(HashMap<String, (u32, Instant)>);

impl Failures {
    fn due(&self, id: &str, now: Instant) -> bool {
        self.0.get(id).is_none_or(|(_, at)| *at <= now)
    }

    /// When the next failed job is due, if any.
    fn next_due(&self) -> Option<Instant> {
        self.0.values().map(|(_, at)| *at).min()
    }
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
        let mut failures = Failures::default();
        // Jobs this consumer took before a crash come first.
        let mut own_pending = true;
        let mut since_claim = Instant::now();
        while !*stop.borrow() {
            let now = Instant::now();
            let retry_due = failures.next_due().is_some_and(|at| at <= now);
            let claim_due =
                since_claim.elapsed() >= Duration::from_millis(self.claim_idle_ms / 2 + 1);
            let next = if own_pending || retry_due {
                own_pending = false;
                reader
                    .jobs(&self.consumer, true, PENDING_PAGE, 0)
                    .await
                    .map(|jobs| {
                        let due = jobs.into_iter().find(|j| failures.due(&j.id, now));
                        due.into_iter().collect()
                    })
            } else if claim_due {
                since_claim = now;
                self.store
                    .claim_stale_job(&self.consumer, self.claim_idle_ms)
                    .await
                    .map(|j| j.into_iter().collect())
            } else {
                // Wait for news, but not past the next retry.
                let block = failures
                    .next_due()
                    .map(|at| at.saturating_duration_since(now).as_millis() as u64 + 1)
                    .unwrap_or(BLOCK_MS)
                    .min(BLOCK_MS);
                tokio::select! {
                    jobs = reader.jobs(&self.consumer, false, 1, block as usize) => jobs,
                    _ = stop.wait_for(|s| *s) => break,
                }
            };
            match next {
                Ok(jobs) => {
                    for job in jobs {
                        self.work(job, &mut failures).await;
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
    /// A failed pass stays pending and is tried again later (every pass is
    /// idempotent), or parked once it failed `attempts` times.
    async fn work(&self, queued: QueuedJob, failures: &mut Failures) {
        let next = match &queued.job {
            Some(job) => {
                if !self.pace.is_zero() {
                    tokio::time::sleep(self.pace).await;
                }
                match self.store.run_job(job).await {
                    Ok(next) => next,
                    Err(e) => return self.failed(queued, e, failures).await,
                }
            }
            None => {
                tracing::warn!(id = %queued.id, "dropping an unreadable job");
                None
            }
        };
        match self.store.finish_job(&queued.id, next.as_ref()).await {
            Ok(_) => {
                failures.0.remove(&queued.id);
            }
            Err(e) => {
                tracing::warn!(error = %e, id = %queued.id, "acknowledging a job failed; it will run again");
                tokio::time::sleep(RETRY).await;
            }
        }
    }

    async fn failed(&self, queued: QueuedJob, e: crate::error::Error, failures: &mut Failures) {
        let unreachable = matches!(&e, crate::error::Error::Redis(r) if is_unreachable(r));
        let count = failures.0.get(&queued.id).map_or(0, |(n, _)| *n) + u32::from(!unreachable);
        if count >= self.attempts {
            tracing::error!(error = %e, job = ?queued.job, attempts = count, "parking a job that keeps failing");
            match self.store.park_job(&queued, &e.to_string(), count).await {
                Ok(()) => {
                    failures.0.remove(&queued.id);
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "parking the job failed"),
            }
        } else {
            tracing::warn!(error = %e, job = ?queued.job, attempts = count, "job pass failed; it will be tried again");
        }
        let pause = if unreachable {
            RETRY
        } else {
            (self.backoff * 2u32.saturating_pow(count.saturating_sub(1))).min(MAX_BACKOFF)
        };
        failures
            .0
            .insert(queued.id, (count, Instant::now() + pause));
    }
}

/// Finishes posts, follows, unfollows and likes whose roostd died between
/// their steps (see `Store::finish_abandoned_posts`,
/// `Store::finish_abandoned_changes` and `Store::finish_abandoned_acts`): at start, then every half `idle_ms`.
pub async fn finish_abandoned_changes(store: Store, idle_ms: u64, mut stop: watch::Receiver<bool>) {
    let period = Duration::from_millis((idle_ms / 2).max(100));
    loop {
        let now = roost_shared::time::now_millis();
        let finished = [
            (
                "posts",
                store.finish_abandoned_posts(idle_ms as i64, now).await,
            ),
            (
                "follows",
                store.finish_abandoned_changes(idle_ms as i64, now).await,
            ),
            (
                "likes, blocks and messages",
                store.finish_abandoned_acts(idle_ms as i64, now).await,
            ),
        ];
        for (what, result) in finished {
            match result {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "finished {what} left half done by a roostd that died"),
                Err(e) => {
                    tracing::warn!(error = %e, "finishing abandoned {what} failed; will retry")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
