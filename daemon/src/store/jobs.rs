//! The durable job queue: a Redis Stream read through the consumer group
//! `workers`. A job stays pending until the worker that did it acknowledges it,
//! so a job of a roostd killed mid-way is done after its restart (it reads its
//! own pending jobs first) or taken over by another roostd once idle long enough.
//! A long job runs as a chain of passes: each pass acknowledges itself and
//! queues the next in one step.

use std::collections::HashMap;

use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use redis::{AsyncCommands, Value};

use super::reader::BlockingReader;
use super::scripts::{ACK_AND_CONTINUE, PARK_JOB};
use super::{Store, as_string};
use crate::error::Result;

/// The consumer group all roostd workers share.
pub const GROUP: &str = "workers";

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Add a status to the followers' home timelines.
    Fanout,
    /// Remove a deleted status from the followers' home timelines.
    Delete,
    /// Refill a home timeline after an unfollow.
    Refill,
    /// Turn an account with many followers to merged reads (`uid`; see `store::celebrity`).
    Promote,
    /// Turn it back to copies.
    Demote,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Fanout => "fanout",
            JobKind::Delete => "delete",
            JobKind::Refill => "refill",
            JobKind::Promote => "promote",
            JobKind::Demote => "demote",
        }
    }
}

/// Where a pass over a sorted set starts: exclusive of the last (score, member)
/// seen, so a page never repeats, however many members share a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Start,
    After { score: String, member: String },
}

impl Cursor {
    /// The cursor after the last entry of a page.
    pub fn after(page: &[(String, f64)]) -> Cursor {
        match page.last() {
            Some((member, score)) => Cursor::After {
                score: score.to_string(),
                member: member.clone(),
            },
            None => Cursor::Start,
        }
    }
}

/// One job: for fan-out and delete, the author and the status; for refill, the
/// user whose home to refill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub kind: JobKind,
    pub uid: u64,
    pub sid: u64,
    pub cursor: Cursor,
}

/// A job as read from the queue, with the id to acknowledge it by.
#[derive(Debug, Clone)]
pub struct QueuedJob {
    pub id: String,
    /// `None` when the entry could not be read as a job (it is acknowledged and dropped).
    pub job: Option<Job>,
}

impl Job {
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("kind", self.kind.as_str().to_owned()),
            ("uid", self.uid.to_string()),
            ("sid", self.sid.to_string()),
        ];
        if let Cursor::After { score, member } = &self.cursor {
            f.push(("cs", score.clone()));
            f.push(("cm", member.clone()));
        }
        f
    }

    fn from_fields(map: &HashMap<String, Value>) -> Option<Job> {
        let get = |name: &str| map.get(name).and_then(|v| as_string(v, name).ok());
        let kind = match get("kind")?.as_str() {
            "fanout" => JobKind::Fanout,
            "delete" => JobKind::Delete,
            "refill" => JobKind::Refill,
            "promote" => JobKind::Promote,
            "demote" => JobKind::Demote,
            _ => return None,
        };
        let cursor = match (get("cs"), get("cm")) {
            (Some(score), Some(member)) => Cursor::After { score, member },
            _ => Cursor::Start,
        };
        Some(Job {
            kind,
            uid: get("uid")?.parse().ok()?,
            sid: get("sid")?.parse().ok()?,
            cursor,
        })
    }
}

fn queued(entry: &StreamId) -> QueuedJob {
    QueuedJob {
        id: entry.id.clone(),
        job: Job::from_fields(&entry.map),
    }
}

impl Store {
    /// Creates the stream and its consumer group if they don't exist yet.
    pub async fn ensure_job_group(&self) -> Result<()> {
        let created: redis::RedisResult<()> = self
            .conn()
            .xgroup_create_mkstream(self.keys().jobs(), GROUP, "0")
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Queues a job durably.
    pub async fn enqueue(&self, job: &Job) -> Result<()> {
        let _: String = self
            .conn()
            .xadd(self.keys().jobs(), "*", &job.fields())
            .await?;
        Ok(())
    }

    /// Takes over one job that another consumer left unacknowledged for `min_idle_ms`.
    pub async fn claim_stale_job(
        &self,
        consumer: &str,
        min_idle_ms: u64,
    ) -> Result<Option<QueuedJob>> {
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(self.keys().jobs())
            .arg(GROUP)
            .arg(consumer)
            .arg(min_idle_ms)
            .arg("0-0")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.conn())
            .await?;
        Ok(reply.claimed.first().map(queued))
    }

    /// Acknowledges a job and queues its next pass, atomically; false if another
    /// worker had already acknowledged it (then no next pass is queued).
    pub async fn finish_job(&self, id: &str, next: Option<&Job>) -> Result<bool> {
        let mut call = ACK_AND_CONTINUE.prepare_invoke();
        call.key(self.keys().jobs()).arg(GROUP).arg(id);
        for (name, value) in next.map(Job::fields).unwrap_or_default() {
            call.arg(name).arg(value);
        }
        let acked: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(acked == 1)
    }

    /// Moves a job that keeps failing out of the queue into `{ns}:parked`, with
    /// the last error and the number of attempts, in one step.
    pub async fn park_job(&self, queued: &QueuedJob, error: &str, attempts: u32) -> Result<()> {
        let mut call = PARK_JOB.prepare_invoke();
        call.key(self.keys().jobs())
            .key(self.keys().parked())
            .arg(GROUP)
            .arg(&queued.id)
            .arg("error")
            .arg(error)
            .arg("attempts")
            .arg(attempts);
        for (name, value) in queued.job.as_ref().map(Job::fields).unwrap_or_default() {
            call.arg(name).arg(value);
        }
        let _: i64 = call.invoke_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Puts every parked job back in the queue (`roostd check --repair`).
    pub async fn requeue_parked(&self) -> Result<u64> {
        let k = self.keys();
        let parked: redis::streams::StreamRangeReply = self.conn().xrange_all(k.parked()).await?;
        let mut requeued = 0;
        for entry in &parked.ids {
            if let Some(job) = Job::from_fields(&entry.map) {
                self.enqueue(&job).await?;
                requeued += 1;
            }
            let _: i64 = self.conn().xdel(k.parked(), &[&entry.id]).await?;
        }
        Ok(requeued)
    }

    /// Parked jobs, for `roostd check`.
    pub async fn parked_jobs(&self) -> Result<u64> {
        Ok(self.conn().xlen(self.keys().parked()).await?)
    }

    /// Does one pass of a job; returns its next pass, if any.
    pub async fn run_job(&self, job: &Job) -> Result<Option<Job>> {
        match job.kind {
            JobKind::Fanout | JobKind::Delete => self.follower_pass(job).await,
            JobKind::Refill => self.refill_pass(job).await,
            JobKind::Promote | JobKind::Demote => self.fanout_mode_pass(job).await,
        }
    }
}

impl BlockingReader {
    /// Reads up to `count` jobs for `consumer`: with `pending`, the ones it was
    /// given before and has not acknowledged (after a restart, or failed); else
    /// new ones, blocking up to `block_ms`.
    pub async fn jobs(
        &mut self,
        consumer: &str,
        pending: bool,
        count: usize,
        block_ms: usize,
    ) -> Result<Vec<QueuedJob>> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(count);
        if !pending {
            cmd.arg("BLOCK").arg(block_ms);
        }
        cmd.arg("STREAMS")
            .arg(self.store.keys().jobs())
            .arg(if pending { "0" } else { ">" });
        let reply: Option<StreamReadReply> = cmd.query_async(&mut self.conn).await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .map(|entry| queued(&entry))
            .collect())
    }
}
