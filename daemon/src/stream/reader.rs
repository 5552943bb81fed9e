//! The event log's one reader per roostd: from the newest entry at start, it
//! hands every entry to the hub, and comes back by itself when Redis does.

use std::sync::Arc;

use tokio::sync::watch;

use super::hub::Hub;
use crate::store::{BlockingReader, Recovery, Store};

/// How long one blocking read of the log waits before looking around again.
const BLOCK_MS: usize = 1000;

/// Reads the log into the hub until `stop`.
pub async fn read_log(store: Store, hub: Arc<Hub>, mut stop: watch::Receiver<bool>) {
    let Some(mut reader) = BlockingReader::connect(&store, "event reader", &mut stop).await else {
        return;
    };
    // Restrictions read after the position the reader starts from: a change
    // in between is in the log too, and applying it again changes nothing.
    let mut after = loop {
        let start = async {
            let eid = store.last_eid().await?;
            let (hidden, suspended, private) = store.restrictions().await?;
            hub.restrictions.reset(hidden, suspended, private);
            Ok::<_, crate::error::Error>(eid)
        };
        match start.await {
            Ok(eid) => break eid,
            Err(e) => {
                if reader.recover(&e, &mut stop).await == Recovery::Stopped {
                    return;
                }
            }
        }
    };
    loop {
        let read = tokio::select! {
            read = reader.events(after, BLOCK_MS) => read,
            _ = stop.wait_for(|s| *s) => return,
        };
        match read {
            Ok((entries, next)) => {
                for entry in &entries {
                    hub.dispatch(entry);
                }
                after = next;
            }
            Err(e) => {
                if reader.recover(&e, &mut stop).await == Recovery::Stopped {
                    return;
                }
            }
        }
    }
}
