//! The daemon handle: the one way into roostd's shared state (the store, the
//! hub of live subscriptions, the connection limits, the flags), cheap to clone
//! into every task.

use std::sync::Arc;

use crate::admission::Admission;
use crate::audit::Audit;
use crate::config::Config;
use crate::store::Store;
use crate::stream::{Hub, ReplayGate};

/// Replays from the event log that run at once (one per owner at most).
const REPLAY_SLOTS: usize = 2;

/// Shared state of one roostd; clones share it.
#[derive(Clone)]
pub struct Daemon(Arc<State>);

struct State {
    store: Store,
    config: Config,
    hub: Arc<Hub>,
    admission: Arc<Admission>,
    replays: ReplayGate,
    audit: Audit,
}

impl Daemon {
    pub fn new(store: Store, config: Config, hub: Arc<Hub>) -> Daemon {
        let admission = Admission::new(
            config.max_connections as usize,
            config.max_connections_per_uid as usize,
            config.connection_reserve as usize,
        );
        let audit = Audit::start(store.clone());
        Daemon(Arc::new(State {
            audit,
            store,
            config,
            hub,
            admission,
            replays: ReplayGate::new(REPLAY_SLOTS),
        }))
    }

    /// Replays from the event log, a few at a time.
    pub fn replays(&self) -> &ReplayGate {
        &self.0.replays
    }

    /// Who may open another connection, on every socket.
    pub fn admission(&self) -> &Arc<Admission> {
        &self.0.admission
    }

    /// Where operators' requests made `as` someone are logged.
    pub fn audit(&self) -> &Audit {
        &self.0.audit
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.0.hub
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }
}
