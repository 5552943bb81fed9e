//! `update` driven without a terminal or a daemon.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use roost_shared::{Event, FollowEntry, Status, Stream, User};

use crate::app::Source;

use super::*;

pub fn user(id: u64, login: &str) -> User {
    User {
        id,
        login: login.into(),
        name: login.to_uppercase(),
        followers: 0,
        following: 0,
        posts: 0,
        signup: "2026-11-26T21:49:06.123Z".into(),
        bio: String::new(),
        private: false,
        suspended: false,
        relationship: None,
    }
}

pub fn status(id: u64, uid: u64, login: &str, text: &str) -> Status {
    Status {
        id,
        uid,
        login: login.into(),
        text: text.into(),
        posted: "2026-11-26T21:50:00.001Z".into(),
        ..Status::default()
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(c));
    }
}

/// A registered app with a home timeline of `n` statuses (newest first).
pub fn loaded(n: u64) -> App {
    let mut app = App::new(KeyMap::default());
    app.update(Msg::Live {
        me: Some(user(1, "me")),
    });
    let statuses = (1..=n)
        .rev()
        .map(|i| status(i, 2, "friend", &format!("status {i}")))
        .collect();
    app.update(Msg::Home(statuses));
    app
}

#[test]
fn first_run_asks_for_a_name_and_registers() {
    let mut app = App::new(KeyMap::default());
    assert_eq!(app.update(Msg::Live { me: None }), []);
    assert!(matches!(
        app.mode,
        Mode::Prompt {
            kind: PromptKind::Register,
            ..
        }
    ));
    app.update(code(KeyCode::Enter));
    assert!(
        matches!(
            app.mode,
            Mode::Prompt {
                kind: PromptKind::Register,
                ..
            }
        ),
        "a blank name is refused"
    );
    typed(&mut app, "Ada L");
    app.update(code(KeyCode::Backspace));
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(effects, [Effect::Register("Ada ".trim().to_owned())]);
    assert_eq!(
        app.update(Msg::Registered(user(1, "ada"))),
        [Effect::LoadHome, Effect::LoadNotifications]
    );
    assert_eq!(app.me.as_ref().unwrap().login, "ada");
}

#[test]
fn moving_and_marking_read() {
    let mut app = loaded(5);
    assert_eq!(app.unread(), 5);
    app.update(key('j'));
    app.update(key('j'));
    assert_eq!(app.home.selected, 2);
    app.update(key('G'));
    assert_eq!(app.home.selected, 4);
    app.update(key('k'));
    assert_eq!(app.home.selected, 3);
    assert_eq!(app.update(key('g')), [Effect::SetMarker(5)]);
    assert_eq!(app.unread(), 0);
    assert_eq!(app.update(key('g')), [], "already read");
    app.update(Msg::ScrollDown);
    assert_eq!(app.home.selected, 1);
}

#[test]
fn new_statuses_keep_the_reader_in_place_and_are_counted() {
    let mut app = loaded(3);
    app.update(key('j'));
    let reading = app.home.current().unwrap().id;
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid { ms: 1, seq: 0 },
        status: status(10, 2, "friend", "new"),
    }));
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid { ms: 2, seq: 0 },
        status: status(11, 2, "friend", "newer"),
    }));
    assert_eq!(app.home.current().unwrap().id, reading);
    assert_eq!(app.home.new_above, 2);
    assert_eq!(app.home.statuses[0].id, 11);
    app.update(Msg::HomeEvent(Event::Delete {
        sub: 1,
        eid: roost_shared::Eid { ms: 3, seq: 0 },
        status: 10,
        uid: 2,
    }));
    assert_eq!(app.home.current().unwrap().id, reading);
    assert_eq!(app.home.new_above, 1);
    assert_eq!(
        app.update(Msg::HomeEvent(Event::Gap { sub: 1 })),
        [Effect::LoadHome]
    );
}

#[test]
fn compose_send_cancel_and_failure_keeps_the_draft() {
    let mut app = loaded(1);
    app.update(key('c'));
    assert!(matches!(app.mode, Mode::Compose(_)));
    typed(&mut app, "hello 数据库");
    assert_eq!(
        app.update(ctrl('s')),
        [Effect::Post {
            text: "hello 数据库".into(),
            reply_to: None
        }]
    );
    assert!(matches!(app.mode, Mode::Normal));
    app.update(Msg::Failed {
        effect: Effect::Post {
            text: "hello 数据库".into(),
            reply_to: None,
        },
        message: "unavailable".into(),
    });
    let Mode::Compose(area) = &app.mode else {
        panic!("the draft comes back")
    };
    assert_eq!(area.lines().join("\n"), "hello 数据库");
    // Esc on a draft asks; no keeps it, yes drops it.
    app.update(code(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    app.update(key('n'));
    assert!(matches!(app.mode, Mode::Compose(_)));
    app.update(code(KeyCode::Esc));
    app.update(key('y'));
    assert!(matches!(app.mode, Mode::Normal));
    // Too long: not sent.
    app.update(key('c'));
    app.update(Msg::Paste("x".repeat(1001)));
    assert_eq!(app.update(ctrl('s')), []);
    assert!(app.message.as_deref().unwrap().contains("1000"));
    // Quitting with a draft asks first.
    app.update(ctrl('c'));
    assert!(!app.quit);
    app.update(key('y'));
    assert!(app.quit);
}

#[test]
fn delete_only_own_statuses_after_confirmation() {
    let mut app = loaded(2);
    app.update(key('d'));
    assert!(matches!(app.mode, Mode::Normal), "not mine");
    app.update(Msg::Posted(status(9, 1, "me", "mine")));
    app.update(key('g'));
    app.update(key('d'));
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    assert_eq!(app.update(key('y')), [Effect::Delete(9)]);
    app.update(Msg::Deleted(9));
    assert!(app.home.statuses.iter().all(|s| s.id != 9));
}

#[test]
fn profiles_lists_follow_and_unfollow() {
    let mut app = loaded(2);
    assert_eq!(app.update(key('a')), [Effect::LoadProfile("friend".into())]);
    let mut friend = user(2, "friend");
    friend.relationship = Some(roost_shared::Relationship::default());
    app.update(Msg::Profile {
        user: friend,
        statuses: vec![status(2, 2, "friend", "x")],
    });
    assert_eq!(app.pane, Pane::Detail);
    assert_eq!(app.update(key('f')), [Effect::Follow("friend".into())]);
    let mut friend = user(2, "friend");
    friend.followers = 1;
    app.update(Msg::Followed {
        user: friend,
        following: true,
    });
    app.update(key('f'));
    assert!(
        matches!(app.mode, Mode::Confirm { .. }),
        "unfollow asks first"
    );
    assert_eq!(app.update(key('y')), [Effect::Unfollow("friend".into())]);
    assert_eq!(
        app.update(key('F')),
        [Effect::LoadList(ListKind::Followers, "friend".into())]
    );
    let entry = FollowEntry {
        user: user(3, "fan"),
        since: "2026-11-26T21:50:00.001Z".into(),
    };
    app.update(Msg::List {
        kind: ListKind::Followers,
        login: "friend".into(),
        entries: vec![entry],
    });
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadProfile("fan".into())]
    );
    app.update(key('q'));
    assert_eq!(app.pane, Pane::Home);
    assert!(!app.quit);
    app.update(key('@'));
    typed(&mut app, "@bob");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadProfile("bob".into())]
    );
    app.update(key('q'));
    assert!(app.quit);
}

/// Issue 7: whether the caller follows a profile comes with the profile.
#[test]
fn a_profile_knows_from_its_relationship_whether_you_follow_it() {
    let mut app = loaded(1);
    let mut friend = user(2, "friend");
    friend.relationship = Some(roost_shared::Relationship {
        following: true,
        ..Default::default()
    });
    app.update(Msg::Profile {
        user: friend,
        statuses: Vec::new(),
    });
    assert_eq!(app.update(key('f')), [], "unfollow asks first");
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    assert_eq!(app.update(key('y')), [Effect::Unfollow("friend".into())]);
}

#[test]
fn the_stream_pane_filters_and_counts() {
    let mut app = loaded(0);
    app.update(key('e'));
    typed(
        &mut app,
        "track: redis, rust tui; follow: @alice bob; loc: -122.75,36.8,-121.75,37.8",
    );
    let effects = app.update(code(KeyCode::Enter));
    let [Effect::Subscribe(Stream::Filter(f))] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(f.track, ["redis", "rust tui"]);
    assert_eq!(f.follow, ["alice", "bob"]);
    assert_eq!(f.locations, [[-122.75, 36.8, -121.75, 37.8]]);
    assert_eq!(app.pane, Pane::Stream);
    for id in 1..=3 {
        app.update(Msg::StreamEvent(Event::Status {
            sub: 2,
            eid: roost_shared::Eid { ms: id, seq: 0 },
            status: status(id, 5, "x", "redis"),
        }));
    }
    assert_eq!(app.stream.count, 3);
    assert_eq!(app.stream.matches.statuses[0].id, 3);
    app.update(Msg::StreamEvent(Event::Lagged { sub: 2, dropped: 4 }));
    assert_eq!(app.stream.lagged, 4);
    assert_eq!(parse_filter("firehose"), Ok(Stream::Firehose));
    assert_eq!(
        parse_filter("sample 10%"),
        Ok(Stream::Sample(roost_shared::Sample { percent: 10 }))
    );
    assert!(parse_filter("loc: 1,2,3").is_err());
    assert!(parse_filter("").is_err());
    app.update(key('e'));
    app.update(code(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn connection_states_and_help() {
    let mut app = loaded(1);
    app.update(Msg::Reconnecting {
        attempt: 2,
        at_ms: 5000,
    });
    assert_eq!(
        app.conn,
        ConnState::Reconnecting {
            attempt: 2,
            at_ms: 5000
        }
    );
    assert_eq!(
        app.update(Msg::Live {
            me: Some(user(1, "me"))
        }),
        [Effect::LoadHome, Effect::LoadNotifications]
    );
    assert_eq!(app.conn, ConnState::Live);
    app.update(key('?'));
    assert!(matches!(app.mode, Mode::Help { scroll: 0 }));
    app.update(key('j'));
    assert!(
        matches!(app.mode, Mode::Help { scroll: 1 }),
        "j scrolls help"
    );
    app.update(key('x'));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.update(code(KeyCode::Tab)), [Effect::LoadNotifications]);
    assert_eq!(app.pane, Pane::Notifications);
    assert_eq!(app.update(code(KeyCode::Tab)), [Effect::LoadConversations]);
    assert_eq!(app.pane, Pane::Messages);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.pane, Pane::Stream);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.pane, Pane::Home);
}

#[test]
fn paging_lists_refresh_and_panes() {
    let mut app = loaded(30);
    app.update(Msg::Resize { height: 16 });
    assert_eq!(app.page, 4);
    app.update(code(KeyCode::PageDown));
    assert_eq!(app.home.selected, 4);
    app.update(ctrl('d'));
    assert_eq!(app.home.selected, 8);
    app.update(code(KeyCode::PageUp));
    assert_eq!(app.home.selected, 4);
    app.update(code(KeyCode::End));
    assert_eq!(app.home.selected, 29);
    app.update(Msg::ScrollUp);
    assert_eq!(app.home.selected, 28);
    assert_eq!(app.update(key('r')), [Effect::LoadHome]);
    assert_eq!(
        app.update(key('W')),
        [Effect::LoadList(ListKind::Following, "me".into())]
    );
    let entries = (0..3)
        .map(|i| FollowEntry {
            user: user(10 + i, &format!("u{i}")),
            since: String::new(),
        })
        .collect();
    app.update(Msg::List {
        kind: ListKind::Following,
        login: "me".into(),
        entries,
    });
    app.update(key('j'));
    app.update(key('j'));
    app.update(key('j'));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadProfile("u2".into())]
    );
    assert_eq!(
        app.update(key('r')),
        [Effect::LoadList(ListKind::Following, "me".into())]
    );
    app.update(code(KeyCode::Tab));
    assert_eq!(app.pane, Pane::Home);
    for _ in 0..4 {
        app.update(code(KeyCode::Tab));
    }
    assert_eq!(app.pane, Pane::Detail, "Tab reaches the open list");
    app.update(key('h'));
    assert_eq!(app.pane, Pane::Home);
    assert!(app.detail.is_none());
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Esc));
    assert_eq!(app.pane, Pane::Home, "Esc goes back from the stream");
    assert!(!app.quit);
}

fn notification(id: u64, kind: roost_shared::NotificationKind, status: Option<Status>) -> Msg {
    Msg::NotificationEvent(Event::Notification {
        sub: 3,
        eid: roost_shared::Eid { ms: id, seq: 0 },
        notification: Box::new(roost_shared::Notification {
            id,
            kind,
            from: user(2, "friend"),
            status,
            at: "2026-11-26T21:50:00.001Z".into(),
        }),
    })
}

#[test]
fn reply_quotes_the_parent_and_posts_with_reply_to() {
    let mut app = loaded(3);
    app.update(key('R'));
    assert_eq!(app.reply_to.as_ref().map(|s| s.id), Some(3));
    let Mode::Compose(area) = &app.mode else {
        panic!("R opens the composer")
    };
    assert_eq!(
        area.lines(),
        ["@friend "],
        "the reply starts with a mention"
    );
    typed(&mut app, "agreed");
    assert_eq!(
        app.update(ctrl('s')),
        [Effect::Post {
            text: "@friend agreed".into(),
            reply_to: Some(3)
        }]
    );
    let mut reply = status(4, 1, "me", "@friend agreed");
    reply.reply_to = Some(3);
    app.update(Msg::Posted(reply));
    assert_eq!(app.reply_to, None);
    assert_eq!(app.message.as_deref(), Some("Replied to @friend."));
    let parent = app.home.statuses.iter().find(|s| s.id == 3).unwrap();
    assert_eq!(parent.replies, 1);
    // A plain compose afterwards is no reply.
    app.update(key('c'));
    assert_eq!(app.reply_to, None);
}

#[test]
fn like_and_repost_toggle_and_act_on_a_reposts_original() {
    let mut app = loaded(2);
    let original = status(7, 3, "carol", "worth it");
    let mut repost = status(9, 2, "friend", "worth it");
    repost.repost_of = Some(Box::new(original));
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid { ms: 9, seq: 0 },
        status: repost,
    }));
    app.update(key('g'));
    // Another repost of the same original stays out of home.
    let mut again = status(10, 4, "dave", "worth it");
    again.repost_of = app.home.current().unwrap().repost_of.clone();
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid { ms: 10, seq: 0 },
        status: again,
    }));
    assert_eq!(
        app.home.statuses.len(),
        3,
        "one repost of an original in home"
    );
    assert_eq!(
        app.update(key('s')),
        [Effect::Like(7)],
        "acts on the original"
    );
    app.update(Msg::Liked {
        id: 7,
        liked: true,
        likes: 1,
    });
    let shown = app.home.current().unwrap();
    assert!(shown.liked && shown.likes == 1);
    assert_eq!(app.update(key('s')), [Effect::Unlike(7)]);
    assert_eq!(app.update(key('b')), [Effect::Repost(7)]);
    app.update(Msg::Reposted {
        id: 7,
        reposted: true,
    });
    assert_eq!(app.home.current().unwrap().reposts, 1);
    assert_eq!(app.update(key('b')), [Effect::Unrepost(7)]);
    assert_eq!(app.update(key('t')), [Effect::LoadThread(7)]);
}

#[test]
fn threads_indent_by_depth_and_stay_live() {
    let mut app = loaded(1);
    let reply = |id: u64, to: u64| {
        let mut s = status(id, 2, "friend", "re");
        s.reply_to = Some(to);
        s
    };
    app.update(Msg::Thread(roost_shared::Thread {
        ancestors: vec![status(1, 2, "friend", "root")],
        status: reply(2, 1),
        replies: vec![reply(3, 2), reply(4, 3), reply(5, 2), reply(6, 99)],
    }));
    let Some(Detail::Thread {
        focus,
        statuses,
        depths,
    }) = &app.detail
    else {
        panic!("a thread opens")
    };
    assert_eq!(*focus, 2);
    assert_eq!(
        statuses.current().map(|s| s.id),
        Some(2),
        "the focus is selected"
    );
    assert_eq!(depths, &[0, 0, 1, 2, 1, 1]);
    assert_eq!(app.pane, Pane::Detail);
    // A reply to one of its statuses arriving reads it again.
    assert_eq!(
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid { ms: 10, seq: 0 },
            status: reply(10, 4),
        })),
        [Effect::LoadThread(2)]
    );
}

#[test]
fn notifications_arrive_live_with_a_badge_an_alert_and_a_marker() {
    use roost_shared::NotificationKind::{Like, Mention};
    let mut app = loaded(1);
    app.update(Msg::Notifications(roost_shared::Notifications {
        notifications: vec![],
        unread: 0,
    }));
    app.update(notification(1, Like, Some(status(1, 1, "me", "mine"))));
    app.update(notification(
        2,
        Mention,
        Some(status(5, 2, "friend", "hi @me")),
    ));
    assert_eq!(app.notifications.unread(), 2);
    assert_eq!(
        app.alerts,
        ["@friend mentioned you: hi @me"],
        "only mentions and replies alert"
    );
    assert_eq!(app.notifications.list[0].id, 2, "newest first");
    // Seeing them at the top marks them read in roostd.
    assert_eq!(app.update(key('N')), [Effect::SetNotificationsMarker(2)]);
    assert_eq!(app.notifications.unread(), 0);
    assert_eq!(app.update(code(KeyCode::Enter)), [Effect::LoadThread(5)]);
    app.update(key('j'));
    assert_eq!(app.update(key('a')), [Effect::LoadProfile("friend".into())]);
    // Scrolled down on the pane, a new one waits unread above the selection.
    assert_eq!(
        app.update(notification(3, Like, Some(status(1, 1, "me", "mine")))),
        []
    );
    assert_eq!(
        app.notifications.selected, 2,
        "the selection stays on its notification"
    );
    assert_eq!(app.notifications.unread(), 1);
    app.update(key('g'));
    assert_eq!(app.notifications.unread(), 0, "the top marks it read");
}

#[test]
fn tags_mentions_likes_trending_and_importance() {
    let mut app = loaded(1);
    let mut tagged = status(2, 2, "friend", "#Redis rocks");
    tagged.tags = vec!["redis".into()];
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid { ms: 2, seq: 0 },
        status: tagged,
    }));
    app.update(key('g'));
    app.update(key('#'));
    assert!(matches!(&app.mode, Mode::Prompt { kind: PromptKind::Tag, input } if input == "redis"));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadStatuses(Source::Tag("redis".into()))]
    );
    assert_eq!(
        app.update(key('m')),
        [Effect::LoadStatuses(Source::Mentions)]
    );
    assert_eq!(
        app.update(key('L')),
        [Effect::LoadStatuses(Source::Likes("me".into()))]
    );
    assert_eq!(app.update(key('T')), [Effect::LoadTrending]);
    app.update(Msg::Trending(vec![roost_shared::TagCount {
        tag: "redis".into(),
        statuses: 2,
    }]));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadStatuses(Source::Tag("redis".into()))]
    );
    assert_eq!(app.update(key('i')), [Effect::LoadHomeRanked]);
    assert_eq!(
        app.update(key('r')),
        [Effect::LoadHomeRanked],
        "refresh keeps the order"
    );
    assert_eq!(app.update(key('i')), [Effect::LoadHome]);
}

#[test]
fn a_profile_blocks_mutes_and_asks_a_private_account() {
    let mut app = loaded(1);
    let mut them = user(5, "priv");
    them.private = true;
    them.relationship = Some(roost_shared::Relationship::default());
    app.update(Msg::Profile {
        user: them.clone(),
        statuses: vec![],
    });
    assert_eq!(app.update(key('f')), [Effect::Follow("priv".into())]);
    let mut asked = them.clone();
    asked.relationship = Some(roost_shared::Relationship {
        requested: true,
        ..Default::default()
    });
    app.update(Msg::Followed {
        user: asked,
        following: true,
    });
    assert_eq!(
        app.message.as_deref(),
        Some("Asked @priv (a private account) to let you follow.")
    );
    let Some(Detail::Profile { following, .. }) = &app.detail else {
        panic!("the profile stays open")
    };
    assert!(!following, "asking is not following");
    // f again withdraws the request, after a yes.
    app.update(key('f'));
    assert_eq!(app.update(key('y')), [Effect::Unfollow("priv".into())]);
    // Blocking asks first; muting does not.
    app.update(key('B'));
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    assert_eq!(
        app.update(key('y')),
        [Effect::Safety(SafetyAct::Block, "priv".into())]
    );
    let mut blocked = them.clone();
    blocked.relationship = Some(roost_shared::Relationship {
        blocking: true,
        ..Default::default()
    });
    app.update(Msg::Related(blocked));
    assert_eq!(
        app.update(key('B')),
        [Effect::Safety(SafetyAct::Unblock, "priv".into())]
    );
    assert_eq!(
        app.update(key('M')),
        [Effect::Safety(SafetyAct::Mute, "priv".into())]
    );
}

#[test]
fn follow_requests_are_approved_and_denied_from_their_list() {
    let mut app = loaded(1);
    assert_eq!(
        app.update(key('Q')),
        [Effect::LoadList(ListKind::Requests, "me".into())]
    );
    let asking = |login: &str| FollowEntry {
        user: user(7, login),
        since: "2026-11-26T21:50:00.001Z".into(),
    };
    app.update(Msg::List {
        kind: ListKind::Requests,
        login: "me".into(),
        entries: vec![asking("ann"), asking("ben")],
    });
    assert_eq!(app.update(key('y')), [Effect::Answer("ann".into(), true)]);
    app.update(key('j'));
    assert_eq!(app.update(key('x')), [Effect::Answer("ben".into(), false)]);
    // Elsewhere y and x do nothing but say where to go.
    app.update(key('h'));
    assert_eq!(app.update(key('y')), []);
    assert!(app.message.as_deref().unwrap().contains("(Q)"));
}

fn dm(id: u64, conversation: &str, from: &str, text: &str) -> roost_shared::Message {
    roost_shared::Message {
        id,
        conversation: conversation.into(),
        from: from.into(),
        text: text.into(),
        sent: "2026-11-26T21:50:00.001Z".into(),
    }
}

#[test]
fn direct_messages_are_written_read_and_arrive_live() {
    let mut app = loaded(1);
    // D opens the pane, which loads once.
    assert_eq!(app.update(key('D')), [Effect::LoadConversations]);
    assert_eq!(app.pane, Pane::Messages);
    let entry = roost_shared::ConversationEntry {
        conversation: "c:1,2".into(),
        with: vec![user(2, "friend")],
        last: dm(1, "c:1,2", "friend", "hi"),
        unread: 1,
    };
    app.update(Msg::Conversations(vec![entry]));
    assert_eq!(app.messages.unread(), 1);
    // Enter opens the chat, which reads it.
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::LoadChat("c:1,2".into())]
    );
    let read = app.update(Msg::Chat {
        conversation: "c:1,2".into(),
        messages: vec![dm(1, "c:1,2", "friend", "hi")],
    });
    assert_eq!(
        read,
        [Effect::Read {
            conversation: "c:1,2".into(),
            message: 1
        }]
    );
    assert_eq!(app.messages.unread(), 0);
    // c writes to the chat's people.
    app.update(key('c'));
    typed(&mut app, "hello back");
    assert_eq!(
        app.update(ctrl('s')),
        [Effect::Dm {
            to: vec!["friend".into()],
            text: "hello back".into()
        }]
    );
    app.update(Msg::Sent(dm(2, "c:1,2", "me", "hello back")));
    // The stream brings your own message too: not shown twice.
    app.update(Msg::DirectEvent(Event::Message {
        sub: 3,
        eid: roost_shared::Eid::ZERO,
        message: dm(2, "c:1,2", "me", "hello back"),
    }));
    let chat = app.messages.chat.as_ref().unwrap();
    assert_eq!(chat.messages.len(), 2);
    // A message arriving in the open chat is read at once.
    let effects = app.update(Msg::DirectEvent(Event::Message {
        sub: 3,
        eid: roost_shared::Eid::ZERO,
        message: dm(3, "c:1,2", "friend", "great"),
    }));
    assert_eq!(
        effects,
        [Effect::Read {
            conversation: "c:1,2".into(),
            message: 3
        }]
    );
    assert_eq!(app.messages.unread(), 0);
    assert!(
        app.alerts
            .iter()
            .any(|a| a.contains("@friend wrote to you"))
    );
    // Elsewhere, it counts as unread; a new conversation reloads the list.
    app.update(code(KeyCode::Esc));
    assert!(app.messages.chat.is_none());
    app.update(code(KeyCode::Esc));
    assert_eq!(app.pane, Pane::Home);
    app.update(Msg::DirectEvent(Event::Message {
        sub: 3,
        eid: roost_shared::Eid::ZERO,
        message: dm(4, "c:1,2", "friend", "still there?"),
    }));
    assert_eq!(app.messages.unread(), 1);
    let effects = app.update(Msg::DirectEvent(Event::Message {
        sub: 3,
        eid: roost_shared::Eid::ZERO,
        message: dm(1, "c:1,2,3", "other", "group hello"),
    }));
    assert_eq!(effects, [Effect::LoadConversations]);
    // A new message to logins typed at a prompt.
    app.update(key('D'));
    app.update(key('c'));
    assert!(matches!(
        app.mode,
        Mode::Prompt {
            kind: PromptKind::DmTo,
            ..
        }
    ));
    typed(&mut app, "@alice, bob");
    app.update(code(KeyCode::Enter));
    typed(&mut app, "hi both");
    assert_eq!(
        app.update(ctrl('s')),
        [Effect::Dm {
            to: vec!["alice".into(), "bob".into()],
            text: "hi both".into()
        }]
    );
    // A refused message comes back to the composer.
    app.update(Msg::Failed {
        effect: Effect::Dm {
            to: vec!["alice".into(), "bob".into()],
            text: "hi both".into(),
        },
        message: "forbidden: alice blocks you".into(),
    });
    assert!(matches!(app.mode, Mode::Compose(_)));
    assert!(app.message.as_deref().unwrap().contains("blocks you"));
}

#[test]
fn settings_edit_name_bio_and_privacy() {
    let mut app = loaded(1);
    app.update(key('E'));
    assert!(matches!(app.mode, Mode::Settings(_)));
    for _ in 0..2 {
        app.update(code(KeyCode::Backspace));
    }
    typed(&mut app, "Me too");
    app.update(code(KeyCode::Tab));
    typed(&mut app, "likes redis");
    app.update(code(KeyCode::Tab));
    app.update(key(' '));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::SetProfile {
            name: "Me too".into(),
            bio: "likes redis".into(),
            private: true
        }]
    );
    assert!(matches!(app.mode, Mode::Normal));
    let mut saved = user(1, "me");
    saved.private = true;
    app.update(Msg::ProfileSaved(saved));
    assert!(app.me.as_ref().unwrap().private);
    // Esc leaves everything as it was.
    app.update(key('E'));
    typed(&mut app, "zzz");
    assert_eq!(app.update(code(KeyCode::Esc)), []);
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn reports_ask_a_reason_and_operators_moderate_them() {
    let mut app = loaded(2);
    // A status: the selected one.
    app.update(key('!'));
    assert_eq!(app.update(code(KeyCode::Enter)), [], "a reason is needed");
    typed(&mut app, "spam");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::Report {
            status: Some(2),
            login: None,
            reason: "spam".into()
        }]
    );
    // An account: from its profile.
    app.update(Msg::Profile {
        user: user(2, "friend"),
        statuses: Vec::new(),
    });
    app.update(key('!'));
    typed(&mut app, "a spammer");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        [Effect::Report {
            status: None,
            login: Some("friend".into()),
            reason: "a spammer".into()
        }]
    );
    // The moderation pane.
    assert_eq!(app.update(key('O')), [Effect::LoadModeration]);
    let report = |id: u64, status: Option<Status>| roost_shared::ReportEntry {
        id,
        by: user(1, "me"),
        status,
        user: user(2, "friend"),
        reason: "spam".into(),
        at: "2026-11-26T21:50:00.001Z".into(),
        state: "open".into(),
        resolution: None,
    };
    app.update(Msg::Moderation {
        reports: vec![
            report(2, None),
            report(1, Some(status(2, 2, "friend", "buy"))),
        ],
        log: Vec::new(),
    });
    assert!(matches!(app.detail, Some(Detail::Moderation { .. })));
    app.update(key('H'));
    assert!(
        app.message.as_deref().unwrap().contains("names an account"),
        "{:?}",
        app.message
    );
    app.update(key('j'));
    app.update(key('H'));
    assert_eq!(
        app.update(key('y')),
        [Effect::Moderate {
            action: "hide".into(),
            status: Some(2),
            login: None,
            report: Some(1)
        }]
    );
    app.update(key('Z'));
    assert_eq!(
        app.update(key('y')),
        [Effect::Moderate {
            action: "suspend".into(),
            status: None,
            login: Some("friend".into()),
            report: Some(1)
        }]
    );
    app.update(key('X'));
    assert_eq!(
        app.update(key('y')),
        [Effect::Moderate {
            action: "dismiss".into(),
            status: None,
            login: None,
            report: Some(1)
        }]
    );
    assert_eq!(
        app.update(Msg::Moderated("dismiss".into())),
        [Effect::LoadModeration]
    );
    app.update(key('v'));
    assert!(matches!(
        app.detail,
        Some(Detail::Moderation {
            view: ModerationView::Log,
            ..
        })
    ));
}
