//! What every stream decides by besides the subscriber's own lists: the
//! hidden statuses, the suspended accounts and the private accounts as they
//! stand now, loaded when the log's reader starts and kept current from the
//! log's restriction events. So a status hidden after it was posted, or
//! posted before its account went private, is not replayed to anyone it is
//! not for now, on any roostd.

use std::collections::HashSet;
use std::sync::RwLock;

use roost_shared::Status;

use crate::store::{Happening, Restriction};

#[derive(Debug, Default)]
pub struct Restrictions {
    hidden: RwLock<HashSet<u64>>,
    suspended: RwLock<HashSet<u64>>,
    private: RwLock<HashSet<u64>>,
}

impl Restrictions {
    /// Starts over from what Redis holds.
    pub fn reset(&self, hidden: Vec<u64>, suspended: Vec<u64>, private: Vec<u64>) {
        *write(&self.hidden) = hidden.into_iter().collect();
        *write(&self.suspended) = suspended.into_iter().collect();
        *write(&self.private) = private.into_iter().collect();
    }

    /// Applies a restriction event (anything else is left alone).
    pub fn apply(&self, happening: &Happening) {
        let Happening::Restriction(change) = happening else {
            return;
        };
        let (set, id, on) = match *change {
            Restriction::Hidden { status, on } => (&self.hidden, status, on),
            Restriction::Suspended { account, on } => (&self.suspended, account, on),
            Restriction::Private { account, on } => (&self.private, account, on),
        };
        let mut set = write(set);
        if on {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    /// What the restrictions say now of a happening's status (the status,
    /// a notification's status) and of the original it reposts: read once
    /// per event, for all the subscribers it is offered to.
    pub fn facts(&self, happening: &Happening) -> Facts {
        let status = match happening {
            Happening::Status(s) | Happening::Delete(s) => Some(s),
            Happening::Notification { notification, .. } => notification.status.as_ref(),
            _ => None,
        };
        let Some(status) = status else {
            return Facts::default();
        };
        let (hidden, suspended, private) = (
            read(&self.hidden),
            read(&self.suspended),
            read(&self.private),
        );
        let standing = |s: &Status| Standing {
            hidden: s.hidden || hidden.contains(&s.id),
            suspended: suspended.contains(&s.uid),
            private: private.contains(&s.uid),
        };
        Facts {
            status: standing(status),
            original: status
                .repost_of
                .as_deref()
                .map(standing)
                .unwrap_or_default(),
        }
    }
}

/// One status as the restrictions stand now: hidden (whatever it said when
/// posted), its author suspended, its author private (its statuses carry
/// the flag as it was when they were posted).
#[derive(Debug, Clone, Copy, Default)]
pub struct Standing {
    pub hidden: bool,
    pub suspended: bool,
    pub private: bool,
}

/// The standing of a happening's status and of the original it reposts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    pub status: Standing,
    pub original: Standing,
}

fn read(lock: &RwLock<HashSet<u64>>) -> std::sync::RwLockReadGuard<'_, HashSet<u64>> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(lock: &RwLock<HashSet<u64>>) -> std::sync::RwLockWriteGuard<'_, HashSet<u64>> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
