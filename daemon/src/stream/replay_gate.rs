//! The gate replays go through: a replay can read and parse the whole event
//! log, so they run one at a time per owner and a few at a time in all, and
//! one neighbour's replays cost at most one replay's worth of work at a time.

use std::collections::HashMap;
use std::sync::Arc;

/// Replays from the event log, one at a time per owner and `slots` in all.
#[derive(Debug)]
pub struct ReplayGate {
    slots: Arc<tokio::sync::Semaphore>,
    owners: std::sync::Mutex<HashMap<u64, Arc<tokio::sync::Semaphore>>>,
}

/// A replay's places in the gate; dropping it lets the next one in.
pub struct ReplayTurn<'a> {
    gate: &'a ReplayGate,
    owner: u64,
    _own: tokio::sync::OwnedSemaphorePermit,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl ReplayGate {
    pub fn new(slots: usize) -> ReplayGate {
        ReplayGate {
            slots: Arc::new(tokio::sync::Semaphore::new(slots.max(1))),
            owners: Default::default(),
        }
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<tokio::sync::Semaphore>>> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn enter(&self, owner: u64) -> ReplayTurn<'_> {
        let own = {
            let mut owners = self.owners();
            // Owners no replay holds or waits for (one left by a cancelled wait).
            owners.retain(|_, s| Arc::strong_count(s) > 1);
            owners
                .entry(owner)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(1)))
                .clone()
        };
        let own = own.acquire_owned().await.expect("never closed");
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        ReplayTurn {
            gate: self,
            owner,
            _own: own,
            _slot: slot,
        }
    }
}

impl Drop for ReplayTurn<'_> {
    fn drop(&mut self) {
        // An owner is forgotten once only the map holds it (this turn's permit
        // still holds its own owner's).
        let mine = self.owner;
        self.gate
            .owners()
            .retain(|o, s| Arc::strong_count(s) > if *o == mine { 2 } else { 1 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replays_go_one_at_a_time_per_owner_and_a_few_in_all() {
        let gate = ReplayGate::new(2);
        let first = gate.enter(1).await;
        let wait = std::time::Duration::from_millis(50);
        let same_owner = tokio::time::timeout(wait, gate.enter(1)).await;
        assert!(same_owner.is_err(), "a second replay of one owner waits");
        let other = gate.enter(2).await;
        let third = tokio::time::timeout(wait, gate.enter(3)).await;
        assert!(third.is_err(), "no more than two at once");
        drop(first);
        let again = tokio::time::timeout(wait, gate.enter(1)).await;
        assert!(again.is_ok(), "owner 1 goes once its replay ended");
        drop((other, again));
        assert!(gate.owners().is_empty(), "finished owners are forgotten");
    }
}
