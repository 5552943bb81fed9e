//! What roostd says, and what the app makes of it: the connection's state,
//! loaded timelines and lists, answers to its requests, live events.

use ratatui_textarea::TextArea;
use roost_shared::{Event, FollowEntry, Marker, Status, User};

use super::{App, ConnState, Detail, Effect, ListKind, Mode, Pane, PromptKind, Timeline};

impl App {
    pub(super) fn live(&mut self, me: Option<User>) -> Vec<Effect> {
        self.conn = ConnState::Live;
        self.me = me;
        if self.me.is_none() {
            self.mode = Mode::Prompt {
                kind: PromptKind::Register,
                input: String::new(),
            };
            return Vec::new();
        }
        // The backend resumes the home and stream subscriptions itself.
        vec![Effect::LoadHome]
    }

    pub(super) fn home_loaded(&mut self, statuses: Vec<Status>) -> Vec<Effect> {
        let first = !self.home.loaded;
        let keep = self.home.current().map(|s| s.id);
        self.home.statuses = statuses;
        self.home.loaded = true;
        let at = |id: u64| self.home.statuses.iter().position(|s| s.id == id);
        let target = if first {
            self.marker.and_then(at)
        } else {
            keep.and_then(at)
        };
        self.home.selected = target.unwrap_or(0);
        self.home.new_above = if first {
            self.home.selected
        } else {
            self.home.new_above.min(self.home.selected)
        };
        Vec::new()
    }

    pub(super) fn marker_loaded(&mut self, marker: Marker) -> Vec<Effect> {
        self.marker = marker.home;
        let at = marker
            .home
            .and_then(|id| self.home.statuses.iter().position(|s| s.id == id));
        if let (Some(pos), true) = (at, self.home.loaded) {
            self.home.selected = pos;
            self.home.new_above = pos;
        }
        Vec::new()
    }

    pub(super) fn profile_loaded(&mut self, user: User, statuses: Vec<Status>) -> Vec<Effect> {
        let following = user.relationship.is_some_and(|r| r.following);
        let statuses = Timeline {
            statuses,
            loaded: true,
            ..Timeline::default()
        };
        self.detail = Some(Detail::Profile {
            user,
            statuses,
            following,
        });
        self.pane = Pane::Detail;
        Vec::new()
    }

    pub(super) fn list_loaded(
        &mut self,
        kind: ListKind,
        login: String,
        entries: Vec<FollowEntry>,
    ) -> Vec<Effect> {
        self.detail = Some(Detail::List {
            kind,
            login,
            entries,
            selected: 0,
        });
        self.pane = Pane::Detail;
        Vec::new()
    }

    pub(super) fn home_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Status { status, .. } => {
                self.home.insert(status, self.pane == Pane::Home);
                Vec::new()
            }
            Event::Delete { status, .. } => {
                self.home.remove(status);
                Vec::new()
            }
            Event::Follow {
                follower, followed, ..
            }
            | Event::Unfollow {
                follower, followed, ..
            } => {
                let me = self.me.as_ref().map(|m| m.id);
                if Some(follower.id) == me {
                    self.me = Some(follower);
                    // Whose statuses are home changed: read it again.
                    return vec![Effect::LoadHome];
                }
                if Some(followed.id) == me {
                    self.me = Some(followed);
                }
                Vec::new()
            }
            Event::Gap { .. } | Event::Lagged { .. } => vec![Effect::LoadHome],
            Event::Notification { .. } => Vec::new(),
        }
    }

    pub(super) fn stream_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Status { status, .. } => {
                let added = self
                    .stream
                    .matches
                    .insert(status, self.pane == Pane::Stream);
                self.stream.count += u64::from(added);
            }
            Event::Delete { status, .. } => self.stream.matches.remove(status),
            Event::Lagged { dropped, .. } => self.stream.lagged += dropped,
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn registered(&mut self, user: User) -> Vec<Effect> {
        self.message = Some(format!("Welcome, {}!", user.name));
        self.me = Some(user);
        vec![Effect::LoadHome]
    }

    pub(super) fn posted(&mut self, status: Status) -> Vec<Effect> {
        self.draft = None;
        self.message = Some("Posted.".into());
        self.home.insert(status, self.pane == Pane::Home);
        Vec::new()
    }

    pub(super) fn deleted(&mut self, id: u64) -> Vec<Effect> {
        self.home.remove(id);
        self.stream.matches.remove(id);
        if let Some(Detail::Profile { statuses, .. }) = &mut self.detail {
            statuses.remove(id);
        }
        self.message = Some("Deleted.".into());
        Vec::new()
    }

    pub(super) fn followed(&mut self, user: User, following: bool) -> Vec<Effect> {
        self.message = Some(format!(
            "{} @{}.",
            if following { "Following" } else { "Unfollowed" },
            user.login
        ));
        if let Some(Detail::Profile {
            user: shown,
            following: f,
            ..
        }) = &mut self.detail
            && shown.id == user.id
        {
            *shown = user;
            *f = following;
        }
        vec![Effect::LoadHome]
    }

    /// A failed post brings its draft back into the composer.
    pub(super) fn failed(&mut self, effect: &Effect, message: &str) -> Vec<Effect> {
        if let Some(draft) = self
            .draft
            .take()
            .filter(|_| matches!(effect, Effect::Post(_)))
        {
            let mut area = TextArea::from(draft.lines().map(str::to_owned).collect::<Vec<_>>());
            area.move_cursor(ratatui_textarea::CursorMove::Bottom);
            area.move_cursor(ratatui_textarea::CursorMove::End);
            self.mode = Mode::Compose(Box::new(area));
        }
        self.message = Some(format!("{} failed: {message}", effect.describe()));
        Vec::new()
    }
}
