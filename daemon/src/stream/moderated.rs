//! What moderation keeps out of every stream: the hidden statuses and the
//! suspended accounts as they stand now, loaded when the log's reader starts
//! and kept current from the log's moderation events, so a status hidden after
//! it was posted is not replayed to anyone but its author, on any roostd.

use std::collections::HashSet;
use std::sync::RwLock;

use roost_shared::Status;

use crate::store::{Happening, Moderation};

#[derive(Debug, Default)]
pub struct Moderated {
    hidden: RwLock<HashSet<u64>>,
    suspended: RwLock<HashSet<u64>>,
}

impl Moderated {
    /// Starts over from what Redis holds.
    pub fn reset(&self, hidden: Vec<u64>, suspended: Vec<u64>) {
        *write(&self.hidden) = hidden.into_iter().collect();
        *write(&self.suspended) = suspended.into_iter().collect();
    }

    /// Applies a moderation event (anything else is left alone).
    pub fn apply(&self, happening: &Happening) {
        let Happening::Moderation(change) = happening else {
            return;
        };
        let (set, id, on) = match *change {
            Moderation::Hidden { status, on } => (&self.hidden, status, on),
            Moderation::Suspended { account, on } => (&self.suspended, account, on),
        };
        let mut set = write(set);
        if on {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    /// Whether the status is hidden now (whatever it said when posted).
    pub fn hidden(&self, status: &Status) -> bool {
        status.hidden || read(&self.hidden).contains(&status.id)
    }

    pub fn suspended(&self, account: u64) -> bool {
        read(&self.suspended).contains(&account)
    }
}

fn read(lock: &RwLock<HashSet<u64>>) -> std::sync::RwLockReadGuard<'_, HashSet<u64>> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(lock: &RwLock<HashSet<u64>>) -> std::sync::RwLockWriteGuard<'_, HashSet<u64>> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
