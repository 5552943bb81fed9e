//! The daemon handle: the one way into roostd's shared state (the store, the
//! hub of live subscriptions, the flags), cheap to clone into every task.

use std::sync::Arc;

use crate::config::Config;
use crate::store::Store;
use crate::stream::Hub;

/// Shared state of one roostd; clones share it.
#[derive(Clone)]
pub struct Daemon(Arc<State>);

struct State {
    store: Store,
    config: Config,
    hub: Arc<Hub>,
}

impl Daemon {
    pub fn new(store: Store, config: Config, hub: Arc<Hub>) -> Daemon {
        Daemon(Arc::new(State { store, config, hub }))
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
