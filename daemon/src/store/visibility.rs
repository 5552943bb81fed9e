//! Who may see a status: the ONE decision every path that returns or delivers
//! a status asks (timelines of every kind, `thread`, `likes`, notifications,
//! the streams on the socket and over HTTP), so the privacy rules of protocol
//! version 2 (private accounts, blocks, mutes, moderation) land here and
//! nowhere else.
//!
//! Today every account is public and nothing is hidden: a status that exists
//! is visible to every viewer, registered or not.

use roost_shared::Status;

/// Whether `viewer` (an account, or `None` for a caller without one) may see
/// the status.
pub fn visible(viewer: Option<u64>, status: &Status) -> bool {
    let _ = viewer;
    status.id > 0
}
