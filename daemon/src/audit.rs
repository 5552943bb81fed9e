//! The audit of operators acting `as` someone: every such request is an entry
//! of the moderation log (PROTOCOL-SOCIAL.md). One task per roostd writes them
//! in batches, so an operator's script of many `as` requests costs the log
//! one round trip per batch instead of several per request; the requests
//! wait only when the queue (bounded) is full.

use tokio::sync::mpsc;

use crate::ops::moderation::operator_name;
use crate::store::Store;
use crate::store::moderation::NewEntry;

/// Entries waiting to be written at most; past it, requests wait.
const QUEUE: usize = 4_096;
/// Entries written in one round trip at most.
const BATCH: usize = 1_000;

/// One operator request made `as` an account.
#[derive(Debug)]
struct ActedAs {
    /// The operator's Unix uid.
    uid: u32,
    login: String,
    op: &'static str,
    at: i64,
}

/// Where requests made `as` someone are recorded.
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<ActedAs>,
}

impl Audit {
    /// The queue, and its writer on `store` (running until every sender is
    /// gone).
    pub fn start(store: Store) -> Audit {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, rx));
        Audit { tx }
    }

    /// Records that operator `uid` made request `op` as `login`, at `at`.
    pub async fn acted_as(&self, uid: u32, login: &str, op: &'static str, at: i64) {
        let entry = ActedAs {
            uid,
            login: login.to_owned(),
            op,
            at,
        };
        if self.tx.send(entry).await.is_err() {
            tracing::warn!("the audit writer is gone: an operator's `as` was not logged");
        }
    }
}

async fn write(store: Store, mut rx: mpsc::Receiver<ActedAs>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        // Each operator's name once per batch (it changes when they register).
        let mut names: Vec<(u32, String)> = Vec::new();
        for entry in &batch {
            if names.iter().any(|(uid, _)| *uid == entry.uid) {
                continue;
            }
            match operator_name(&store, entry.uid).await {
                Ok(name) => names.push((entry.uid, name)),
                Err(e) => tracing::warn!(error = %e, "naming an operator for the audit failed"),
            }
        }
        let entries: Vec<NewEntry<'_>> = batch
            .iter()
            .filter_map(|e| {
                let by = names.iter().find(|(uid, _)| *uid == e.uid)?;
                Some(NewEntry {
                    action: "as",
                    by: &by.1,
                    status: None,
                    login: Some(&e.login),
                    report: None,
                    note: e.op,
                    at: e.at,
                })
            })
            .collect();
        if let Err(e) = store.log_moderation(&entries).await {
            tracing::warn!(error = %e, entries = entries.len(), "logging operators' `as` failed");
        }
        batch.clear();
    }
}
