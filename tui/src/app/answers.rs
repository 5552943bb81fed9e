//! What roostd says, and what the app makes of it: the connection's state,
//! loaded timelines and lists, answers to its requests, live events.

use ratatui_textarea::TextArea;
use roost_shared::{
    Event, FollowEntry, Marker, NotificationKind, Notifications, Status, Thread, User,
};

use super::{App, ConnState, Detail, Effect, ListKind, Mode, Pane, PromptKind, Source, Timeline};

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
        // The backend resumes the home, notifications and stream
        // subscriptions itself.
        vec![self.load_home(), Effect::LoadNotifications]
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
        self.notifications.marker = marker.notifications;
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
                let effects = self.thread_grew(&status);
                // The home stream brings every repost of a followed account;
                // the home timeline holds one original or repost of each.
                let shown = |original: u64| {
                    self.home.statuses.iter().any(|s| {
                        s.id == original || s.repost_of.as_ref().is_some_and(|o| o.id == original)
                    })
                };
                if status.repost_of.as_ref().is_some_and(|o| shown(o.id)) {
                    return effects;
                }
                self.home.insert(status, self.pane == Pane::Home);
                effects
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
                    return vec![self.load_home()];
                }
                if Some(followed.id) == me {
                    self.me = Some(followed);
                }
                Vec::new()
            }
            Event::Gap { .. } | Event::Lagged { .. } => vec![self.load_home()],
            Event::Notification { .. } | Event::Message { .. } => Vec::new(),
        }
    }

    /// A new status that replies inside the open thread: read the thread
    /// again, so it stays live.
    fn thread_grew(&self, status: &Status) -> Vec<Effect> {
        match (&self.detail, status.reply_to) {
            (
                Some(Detail::Thread {
                    focus, statuses, ..
                }),
                Some(parent),
            ) if statuses.statuses.iter().any(|s| s.id == parent) => {
                vec![Effect::LoadThread(*focus)]
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn notification_event(&mut self, event: Event) -> Vec<Effect> {
        let Event::Notification { notification, .. } = event else {
            return match event {
                Event::Gap { .. } | Event::Lagged { .. } => vec![Effect::LoadNotifications],
                _ => Vec::new(),
            };
        };
        let n = *notification;
        if self.notifications.list.iter().any(|m| m.id == n.id) {
            return Vec::new();
        }
        if matches!(n.kind, NotificationKind::Mention | NotificationKind::Reply) {
            let what = match n.kind {
                NotificationKind::Reply => "replied",
                _ => "mentioned you",
            };
            let text = n.status.as_ref().map(|s| s.text.as_str()).unwrap_or("");
            let line: String = text.chars().take(80).collect();
            self.alerts
                .push(format!("@{} {what}: {line}", n.from.login));
        }
        let effects = n
            .status
            .as_ref()
            .map(|s| self.thread_grew(s))
            .unwrap_or_default();
        let list = &mut self.notifications;
        let pos = list
            .list
            .iter()
            .position(|m| m.id < n.id)
            .unwrap_or(list.list.len());
        list.list.insert(pos, n);
        // Scrolled down, the selection stays on its notification; at the
        // top, the newest is selected.
        if pos <= list.selected && list.selected > 0 {
            list.selected += 1;
        }
        if self.pane == Pane::Notifications && list.selected == 0 {
            return [effects, self.mark_notifications_read()].concat();
        }
        effects
    }

    pub(super) fn notifications_loaded(&mut self, list: Notifications) -> Vec<Effect> {
        let keep = self.notifications.current().map(|n| n.id);
        self.notifications.list = list.notifications;
        self.notifications.loaded = true;
        self.notifications.selected = keep
            .and_then(|id| self.notifications.list.iter().position(|n| n.id == id))
            .unwrap_or(0);
        if self.pane == Pane::Notifications && self.notifications.selected == 0 {
            return self.mark_notifications_read();
        }
        Vec::new()
    }

    pub(super) fn thread_loaded(&mut self, thread: Thread) -> Vec<Effect> {
        let focus = thread.status.id;
        let keep = match &self.detail {
            Some(Detail::Thread {
                focus: shown,
                statuses,
                ..
            }) if *shown == focus => statuses.current().map(|s| s.id),
            _ => None,
        };
        let mut depth_of = std::collections::HashMap::from([(focus, 0usize)]);
        let mut depths = vec![0; thread.ancestors.len() + 1];
        for reply in &thread.replies {
            // A reply to a deleted reply sits one below the one shown before it.
            let parent = reply.reply_to.and_then(|p| depth_of.get(&p).copied());
            let depth = parent.map_or_else(|| depths.last().copied().unwrap_or(0), |d| d + 1);
            depth_of.insert(reply.id, depth);
            depths.push(depth);
        }
        let at = thread.ancestors.len();
        let mut statuses: Vec<Status> = thread.ancestors;
        statuses.push(thread.status);
        statuses.extend(thread.replies);
        let selected = keep
            .and_then(|id| statuses.iter().position(|s| s.id == id))
            .unwrap_or(at);
        self.detail = Some(Detail::Thread {
            focus,
            statuses: Timeline {
                statuses,
                selected,
                new_above: 0,
                loaded: true,
            },
            depths,
        });
        self.pane = Pane::Detail;
        Vec::new()
    }

    pub(super) fn statuses_loaded(&mut self, source: Source, statuses: Vec<Status>) -> Vec<Effect> {
        self.detail = Some(Detail::Statuses {
            source,
            statuses: Timeline {
                statuses,
                loaded: true,
                ..Timeline::default()
            },
        });
        self.pane = Pane::Detail;
        Vec::new()
    }

    /// Brings every shown copy of status `id` (and reposts of it) up to date.
    fn update_status(&mut self, id: u64, change: impl Fn(&mut Status)) {
        let apply = |s: &mut Status| {
            if s.id == id {
                change(s);
            }
            if let Some(original) = s.repost_of.as_deref_mut()
                && original.id == id
            {
                change(original);
                s.liked = original.liked;
                s.likes = original.likes;
                s.reposted = original.reposted;
                s.reposts = original.reposts;
            }
        };
        for timeline in self.timelines_mut() {
            timeline.statuses.iter_mut().for_each(apply);
        }
        for n in &mut self.notifications.list {
            if let Some(s) = n.status.as_mut() {
                apply(s);
            }
        }
    }

    pub(super) fn liked(&mut self, id: u64, liked: bool, likes: u64) -> Vec<Effect> {
        self.update_status(id, |s| {
            s.liked = liked;
            s.likes = likes;
        });
        self.message = Some(if liked { "Liked." } else { "Unliked." }.into());
        Vec::new()
    }

    /// A block, mute or their undoing: the profile shows the relationship
    /// now, and home drops or regains the user's statuses.
    pub(super) fn related(&mut self, user: User) -> Vec<Effect> {
        let r = user.relationship.unwrap_or_default();
        self.message = Some(format!(
            "@{}: {}{}",
            user.login,
            if r.blocking { "blocked" } else { "not blocked" },
            if r.muting { ", muted" } else { "" }
        ));
        if let Some(Detail::Profile {
            user: shown,
            following,
            ..
        }) = &mut self.detail
            && shown.id == user.id
        {
            *following = r.following;
            *shown = user;
        }
        vec![self.load_home()]
    }

    pub(super) fn reposted(&mut self, id: u64, reposted: bool) -> Vec<Effect> {
        self.update_status(id, |s| {
            if s.reposted != reposted {
                s.reposted = reposted;
                s.reposts = if reposted {
                    s.reposts + 1
                } else {
                    s.reposts.saturating_sub(1)
                };
            }
        });
        self.message = Some(
            if reposted {
                "Reposted."
            } else {
                "Repost taken back."
            }
            .into(),
        );
        Vec::new()
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
        vec![self.load_home(), Effect::LoadNotifications]
    }

    pub(super) fn posted(&mut self, status: Status) -> Vec<Effect> {
        self.draft = None;
        let replied = self.reply_to.take();
        self.message = Some(match &replied {
            Some(parent) => format!("Replied to @{}.", parent.login),
            None => "Posted.".into(),
        });
        if let Some(parent) = replied {
            self.update_status(parent.id, |s| s.replies += 1);
        }
        let effects = self.thread_grew(&status);
        self.home.insert(status, self.pane == Pane::Home);
        effects
    }

    pub(super) fn deleted(&mut self, id: u64) -> Vec<Effect> {
        self.home.remove(id);
        self.stream.matches.remove(id);
        self.message = Some("Deleted.".into());
        match &mut self.detail {
            Some(Detail::Profile { statuses, .. } | Detail::Statuses { statuses, .. }) => {
                statuses.remove(id)
            }
            // Its replies stay in the thread, below it: read it again.
            Some(Detail::Thread { focus, .. }) => return vec![Effect::LoadThread(*focus)],
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn followed(&mut self, user: User, following: bool) -> Vec<Effect> {
        // Following a private account asks it; the answer says so.
        let requested = user.relationship.is_some_and(|r| r.requested);
        let following = following && !requested;
        self.message = Some(if requested {
            format!(
                "Asked @{} (a private account) to let you follow.",
                user.login
            )
        } else {
            format!(
                "{} @{}.",
                if following { "Following" } else { "Unfollowed" },
                user.login
            )
        });
        if let Some(Detail::Profile {
            user: shown,
            following: f,
            ..
        }) = &mut self.detail
            && shown.id == user.id
        {
            let mut user = user;
            let mut r = user.relationship.or(shown.relationship).unwrap_or_default();
            r.following = following;
            r.requested = requested;
            user.relationship = Some(r);
            *shown = user;
            *f = following;
        }
        vec![self.load_home()]
    }

    /// A failed post brings its draft back into the composer.
    pub(super) fn failed(&mut self, effect: &Effect, message: &str) -> Vec<Effect> {
        if let Some(draft) = self
            .draft
            .take()
            .filter(|_| matches!(effect, Effect::Post { .. } | Effect::Dm { .. }))
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
