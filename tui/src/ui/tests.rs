//! Screens drawn on ratatui's `TestBackend`, at many sizes.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use roost_shared::{Event, Location};

use super::*;
use crate::app::{App, ConnState, Detail, ListKind, Mode, Msg, Pane, PromptKind, Timeline};
use crate::keys::KeyMap;
use crate::text::width;
use roost_shared::Status;

fn screen(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| render(app, Theme { color: false }, f))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    // A wide character's second cell is not part of the text.
    (0..h)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < w {
                let symbol = buffer[(x, y)].symbol();
                line.push_str(symbol);
                x += width(symbol).max(1) as u16;
            }
            line.trim_end().to_owned()
        })
        .collect()
}

fn status(id: u64, login: &str, text: &str) -> Status {
    Status {
        id,
        uid: id + 100,
        login: login.into(),
        text: text.into(),
        posted: "2026-11-26T21:50:00.001Z".into(),
        ..Status::default()
    }
}

fn app() -> App {
    let mut app = App::new(KeyMap::default());
    app.now_ms = roost_shared::time::parse_millis("2026-11-26T21:52:01.000Z").unwrap();
    let me = roost_shared::User {
        id: 1,
        login: "ada".into(),
        name: "Ada".into(),
        followers: 0,
        following: 1,
        posts: 0,
        signup: "2026-11-26T21:49:06.123Z".into(),
        bio: String::new(),
        private: false,
        suspended: false,
        relationship: None,
    };
    app.update(Msg::Live { me: Some(me) });
    app.update(Msg::Home(vec![
        status(3, "wei", "我喜欢数据库 and 🦀 crabs"),
        status(
            2,
            "evil",
            "clear\u{1b}[2J screen \u{202E}reversed\u{2028}next",
        ),
        status(1, "bob", "e\u{301}tude: combining marks"),
    ]));
    app
}

#[test]
fn home_timeline_with_cjk_emoji_and_hostile_text() {
    let lines = screen(&app(), 60, 16);
    assert!(
        lines[0].contains("Home (3)") && lines[0].contains("Stream (0)"),
        "{lines:#?}"
    );
    assert_eq!(lines[1], "▌@wei · 2m  #3");
    assert_eq!(lines[2], "▌ 我喜欢数据库 and 🦀 crabs");
    assert_eq!(lines[4], " @evil · 2m");
    assert_eq!(lines[5], "  clear\u{FFFD}[2J screen reversed");
    assert_eq!(lines[6], "  next");
    assert!(lines.iter().any(|l| l.contains("e\u{301}tude")));
    assert!(
        lines[15].starts_with(" @ada  ● live · 3 unread"),
        "{}",
        lines[15]
    );
}

#[test]
fn small_and_large_terminals() {
    let mut app = app();
    for i in 10..60 {
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid { ms: i, seq: 0 },
            status: status(i, "many", &"long words ".repeat(30)),
        }));
    }
    let small = screen(&app, 40, 12);
    assert!(small.iter().all(|l| width(l) <= 40));
    assert!(small[11].contains("@ada"));
    let large = screen(&app, 300, 100);
    assert!(large[99].contains("live"));
    assert!(large.iter().filter(|l| l.contains("@many")).count() > 20);
    // Scrolled down, new statuses show a marker.
    app.update(Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('j'),
    )));
    app.update(Msg::HomeEvent(Event::Status {
        sub: 1,
        eid: roost_shared::Eid::ZERO,
        status: status(99, "late", "hi"),
    }));
    assert!(screen(&app, 60, 16)[1].contains("↑ 1 new"));
}

#[test]
fn stream_pane_compose_help_and_reconnecting() {
    let mut app = app();
    app.stream.filter = "track: 数据库".into();
    app.stream.active = true;
    app.pane = Pane::Stream;
    let mut located = status(7, "geo", "库 nearby");
    located.location = Some(Location {
        lat: 52.5,
        lon: 13.4,
    });
    app.update(Msg::StreamEvent(Event::Status {
        sub: 2,
        eid: roost_shared::Eid { ms: 1, seq: 0 },
        status: located,
    }));
    let lines = screen(&app, 60, 12);
    assert_eq!(lines[1], " Filter: track: 数据库");
    assert_eq!(lines[2], " 1 matches · live");
    assert!(lines[3].contains("@geo · 2m · 52.50,13.40"));
    assert!(lines[0].contains("Stream (1)"));

    app.update(Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('c'),
    )));
    app.update(Msg::Paste("draft 🦀".into()));
    let lines = screen(&app, 60, 16);
    assert!(
        lines.iter().any(|l| l.contains("New status · 7/1000")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains("draft 🦀")));

    app.mode = Mode::Help { scroll: 0 };
    let lines = screen(&app, 130, 30);
    for b in &app.keys.table {
        assert!(
            lines.iter().any(|l| l.contains(b.help)),
            "help lacks {}",
            b.help
        );
    }

    app.mode = Mode::Normal;
    app.conn = ConnState::Reconnecting {
        attempt: 1,
        at_ms: app.now_ms + 3000,
    };
    assert!(screen(&app, 60, 12)[11].contains("reconnecting in 3s"));
}

#[test]
fn tiny_terminals_never_panic() {
    let mut app = app();
    let mode = |n: usize| match n {
        0 => Mode::Normal,
        1 => Mode::Help { scroll: 3 },
        2 => Mode::Prompt {
            kind: PromptKind::Filter,
            input: "数据库 ".repeat(20),
        },
        3 => Mode::Confirm {
            question: "Delete? (y/n)".into(),
            then: vec![],
            quit: false,
            back_to: None,
        },
        _ => Mode::Compose(Box::default()),
    };
    let user = app.me.clone().unwrap();
    let statuses = Timeline {
        statuses: app.home.statuses.clone(),
        loaded: true,
        ..Timeline::default()
    };
    let profile = Detail::Profile {
        user: user.clone(),
        statuses,
        following: true,
    };
    let entry = roost_shared::FollowEntry {
        user,
        since: "2026-11-26T21:50:00.001Z".into(),
    };
    let list = Detail::List {
        kind: ListKind::Followers,
        login: "ada".into(),
        entries: vec![entry],
        selected: 0,
    };
    for n in 0..5 {
        app.mode = mode(n);
        for (pane, detail) in [
            (Pane::Home, None),
            (Pane::Stream, None),
            (Pane::Detail, Some(profile.clone())),
            (Pane::Detail, Some(list.clone())),
        ] {
            app.detail = detail;
            app.pane = pane;
            for (w, h) in [(1, 1), (2, 2), (5, 3), (10, 4), (20, 6), (40, 12)] {
                screen(&app, w, h);
            }
        }
    }
}

#[test]
fn conversations_on_screen_reposts_replies_counts_notifications_threads() {
    let mut app = app();
    let mut original = status(20, "carol", "see #redis with @ada");
    original.likes = 3;
    original.liked = true;
    original.replies = 1;
    let mut repost = status(21, "bob", "see #redis with @ada");
    repost.repost_of = Some(Box::new(original.clone()));
    let mut reply = status(22, "wei", "a reply");
    reply.reply_to = Some(20);
    reply.reply_to_login = Some("carol".into());
    for s in [repost, reply.clone()] {
        app.update(Msg::HomeEvent(Event::Status {
            sub: 1,
            eid: roost_shared::Eid::ZERO,
            status: s,
        }));
    }
    app.update(Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('g'),
    )));
    let lines = screen(&app, 60, 20);
    assert_eq!(lines[1], "▌@wei · 2m · ↩ to @carol  #22", "{lines:#?}");
    assert_eq!(lines[4], " ↻ @bob reposted", "{lines:#?}");
    assert_eq!(lines[5], " @carol · 2m");
    assert_eq!(lines[6], "  see #redis with @ada");
    assert_eq!(lines[7], "  ↩ 1  ↻ 0  ♥ 3");

    // The notifications pane, with its badge.
    app.update(Msg::Notifications(roost_shared::Notifications {
        notifications: vec![roost_shared::Notification {
            id: 4,
            kind: roost_shared::NotificationKind::Reply,
            from: roost_shared::User {
                login: "wei".into(),
                ..app.me.clone().unwrap()
            },
            status: Some(reply),
            at: "2026-11-26T21:50:00.001Z".into(),
        }],
        unread: 1,
    }));
    let lines = screen(&app, 60, 20);
    assert!(lines[0].contains("Notifications (1)"), "{}", lines[0]);
    app.pane = Pane::Notifications;
    let lines = screen(&app, 60, 20);
    assert_eq!(lines[1], "▌• ↩ @wei replied to you · 2m  #22", "{lines:#?}");
    assert_eq!(lines[2], "▌    a reply");

    // A thread, indented by depth.
    let mut child = status(23, "ada", "deeper");
    child.reply_to = Some(22);
    let mut reply = status(22, "wei", "a reply");
    reply.reply_to = Some(20);
    app.update(Msg::Thread(roost_shared::Thread {
        ancestors: vec![],
        status: original,
        replies: vec![reply, child],
    }));
    let lines = screen(&app, 60, 20);
    assert!(lines[0].contains("Thread"), "{}", lines[0]);
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
    assert!(at("▌@carol").is_some(), "{lines:#?}");
    assert!(at("   @wei").is_some(), "{lines:#?}");
    assert!(at("     @ada").is_some(), "{lines:#?}");
}

#[test]
fn messages_settings_and_moderation_on_screen() {
    let mut app = app();
    let message = |id: u64, from: &str, text: &str| roost_shared::Message {
        id,
        conversation: "c:1,2,3".into(),
        from: from.into(),
        text: text.into(),
        sent: "2026-11-26T21:51:00.001Z".into(),
    };
    let mut bob = app.me.clone().unwrap();
    bob.login = "bob".into();
    let mut cy = bob.clone();
    cy.login = "cy".into();
    app.update(Msg::Conversations(vec![roost_shared::ConversationEntry {
        conversation: "c:1,2,3".into(),
        with: vec![bob, cy],
        last: message(2, "bob", "lunch at noon?"),
        unread: 2,
    }]));
    app.pane = Pane::Messages;
    let lines = screen(&app, 80, 12);
    assert!(lines[0].contains("Messages (2)"), "{lines:#?}");
    assert!(lines[1].contains("@bob, @cy (2 unread)"), "{lines:#?}");
    assert!(lines[2].contains("@bob: lunch at noon?"), "{lines:#?}");
    app.update(Msg::Chat {
        conversation: "c:1,2,3".into(),
        messages: vec![
            message(2, "bob", "lunch at noon?"),
            message(1, "ada", "hi all"),
        ],
    });
    let lines = screen(&app, 80, 12);
    assert!(lines[1].contains("With @bob, @cy"), "{lines:#?}");
    let hi = lines.iter().position(|l| l.contains("hi all")).unwrap();
    let lunch = lines
        .iter()
        .position(|l| l.contains("lunch at noon?"))
        .unwrap();
    assert!(hi < lunch, "the newest at the bottom: {lines:#?}");

    app.mode = Mode::Settings(crate::app::Settings {
        field: crate::app::Field::Bio,
        name: "Ada".into(),
        bio: "counts things".into(),
        private: true,
    });
    let text = screen(&app, 80, 20).join("\n");
    assert!(text.contains("Your profile"), "{text}");
    assert!(text.contains("counts things▏"), "{text}");
    assert!(text.contains("[x] private"), "{text}");
    assert!(text.contains("13/300"), "{text}");

    app.mode = Mode::Normal;
    let mut reported = status(9, "eve", "buy now");
    reported.hidden = true;
    let who = app.me.clone().unwrap();
    app.update(Msg::Moderation {
        reports: vec![roost_shared::ReportEntry {
            id: 4,
            by: who.clone(),
            status: Some(reported),
            user: who,
            reason: "spam".into(),
            at: "2026-11-26T21:51:00.001Z".into(),
            state: "open".into(),
            resolution: None,
        }],
        log: Vec::new(),
    });
    let text = screen(&app, 100, 12).join("\n");
    assert!(text.contains("Reports (1 open)"), "{text}");
    assert!(text.contains("#4 [open] @ada reports a status"), "{text}");
    assert!(
        text.contains("“spam” · status 9 (hidden) by @eve: buy now"),
        "{text}"
    );
    // Narrow: the panes not shown go by their initial.
    let lines = screen(&app, 50, 5);
    assert!(lines[0].contains("Moderation"), "{lines:#?}");
    assert!(lines[0].contains(" H (3) "), "{lines:#?}");
    assert!(lines[0].contains(" M "), "{lines:#?}");
}
