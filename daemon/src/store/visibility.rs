//! Who may see a status: the ONE decision every path that returns or delivers
//! a status asks (timelines of every kind, `thread`, `likes`, notifications,
//! reposts' originals, the streams on the socket and over HTTP, live and
//! replayed), so the privacy rules of PROTOCOL-SOCIAL.md land here and nowhere
//! else.
//!
//! Today's rules: a private account's statuses are for its author and its
//! approved followers only (and never in a stream but their home); blocking
//! works both ways (neither account sees the other's statuses anywhere); and
//! muting hides the muted account's statuses, and reposts of them, from the
//! muter's home, tag and mentions timelines, notifications and streams, and
//! nothing else.

use std::collections::HashSet;

use roost_shared::Status;

/// Who looks, with what they keep out.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// `None` for a caller without an account.
    pub account: Option<u64>,
    /// The accounts the viewer blocks.
    pub blocking: HashSet<u64>,
    /// The accounts the viewer mutes.
    pub muting: HashSet<u64>,
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer::default()
    }
}

/// Where a status is shown: a mute hides statuses in some places only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Home,
    Tag,
    Mentions,
    Notifications,
    Stream,
    /// The public timeline (the Mastodon API's): what the firehose carries,
    /// so never a private account's status, not even for its author.
    Public,
    /// Profiles, threads, likes lists, single statuses.
    Elsewhere,
}

impl Place {
    fn hides_muted(self) -> bool {
        !matches!(self, Place::Elsewhere)
    }
}

/// What the viewer's decision needs of a status's author, read with the
/// status (in the author's slot); a stream keeps it in memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct Author {
    /// The author blocks the viewer.
    pub blocks_viewer: bool,
    /// The author's account is private.
    pub private: bool,
    /// The viewer is an approved follower of the author.
    pub followed: bool,
    /// The author's account is suspended.
    pub suspended: bool,
    /// The status is hidden now (a stream's event carries the status as it
    /// was posted; moderation may have hidden it since).
    pub hidden: bool,
}

/// Whether `viewer` may see `status` in `place`. A repost's original is
/// decided on its own, with its own author.
pub fn visible(viewer: &Viewer, status: &Status, author: Author, place: Place) -> bool {
    if place == Place::Public && author.private {
        return false;
    }
    if viewer.account == Some(status.uid) {
        return true;
    }
    // Hidden statuses and a suspended account's are for their author only.
    if status.hidden || author.hidden || author.suspended {
        return false;
    }
    if author.blocks_viewer || viewer.blocking.contains(&status.uid) {
        return false;
    }
    if author.private && !author.followed {
        return false;
    }
    !(place.hides_muted() && viewer.muting.contains(&status.uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_blocks_and_mutes_decide_in_one_place() {
        let status = Status {
            id: 1,
            uid: 7,
            ..Status::default()
        };
        let me = |blocking: &[u64], muting: &[u64]| Viewer {
            account: Some(1),
            blocking: blocking.iter().copied().collect(),
            muting: muting.iter().copied().collect(),
        };
        let open = Author::default();
        let blocks = Author {
            blocks_viewer: true,
            ..open
        };
        for place in [Place::Home, Place::Stream, Place::Elsewhere] {
            assert!(visible(&me(&[], &[]), &status, open, place));
            assert!(
                !visible(&me(&[7], &[]), &status, open, place),
                "I block them"
            );
            assert!(
                !visible(&me(&[], &[]), &status, blocks, place),
                "they block me"
            );
        }
        assert!(!visible(&me(&[], &[7]), &status, open, Place::Home));
        assert!(!visible(
            &me(&[], &[7]),
            &status,
            open,
            Place::Notifications
        ));
        assert!(
            visible(&me(&[], &[7]), &status, open, Place::Elsewhere),
            "a profile still shows them"
        );
        let own = Viewer {
            account: Some(7),
            ..Viewer::anonymous()
        };
        assert!(
            visible(&own, &status, blocks, Place::Home),
            "one's own status"
        );
        assert!(visible(&Viewer::anonymous(), &status, open, Place::Stream));
        let private = Author {
            private: true,
            ..open
        };
        let approved = Author {
            followed: true,
            ..private
        };
        assert!(!visible(&me(&[], &[]), &status, private, Place::Elsewhere));
        assert!(!visible(
            &Viewer::anonymous(),
            &status,
            private,
            Place::Elsewhere
        ));
        assert!(visible(&me(&[], &[]), &status, approved, Place::Home));
        assert!(
            visible(&own, &status, private, Place::Elsewhere),
            "the author"
        );
        for viewer in [&own, &me(&[], &[])] {
            assert!(
                !visible(viewer, &status, approved, Place::Public),
                "the public timeline is public statuses only"
            );
        }
        assert!(visible(&me(&[], &[]), &status, open, Place::Public));
        assert!(!visible(&me(&[], &[7]), &status, open, Place::Public));
    }
}
