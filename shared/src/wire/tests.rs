//! Every request, response and event through JSON and back.

use super::*;
use serde_json::json;

fn user(id: u64) -> User {
    User {
        id,
        login: format!("u{id}"),
        name: "Ünïcode 名前 🦀".into(),
        followers: 1,
        following: 2,
        posts: 3,
        signup: "2026-11-26T21:49:06.123Z".into(),
        bio: "line one\nline two".into(),
        private: id == 43,
        suspended: false,
        relationship: id.is_multiple_of(2).then_some(Relationship {
            following: true,
            followed_by: false,
            requested: false,
            blocking: false,
            muting: true,
        }),
    }
}

fn status() -> Status {
    Status {
        id: 7,
        uid: 42,
        login: "alice".into(),
        text: "hello\n数据库 \"quoted\"".into(),
        posted: "2026-11-26T21:50:00.001Z".into(),
        location: Some(Location {
            lat: 52.5,
            lon: 13.4,
        }),
        ..Status::default()
    }
}

fn reply() -> Status {
    Status {
        id: 8,
        reply_to: Some(7),
        reply_to_login: Some("alice".into()),
        mentions: vec!["alice".into()],
        tags: vec!["redis".into(), "数据库".into()],
        replies: 1,
        reposts: 2,
        likes: 3,
        liked: true,
        reposted: false,
        ..status()
    }
}

fn round_trip<T>(value: &T)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).unwrap();
    assert!(!text.contains('\n'), "one line: {text}");
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value, "{text}");
}

#[test]
fn every_request_round_trips() {
    let page = |login: Option<&str>| (login.map(str::to_owned), Some(2), Some(50));
    let (login, p, c) = page(Some("bob"));
    let requests = vec![
        Request::Hello,
        Request::Register {
            login: Some("bob".into()),
            name: Some("Bob".into()),
            bot: true,
        },
        Request::Register {
            login: None,
            name: None,
            bot: false,
        },
        Request::User {
            login: "bob".into(),
        },
        Request::Post {
            text: "hi".into(),
            location: Some(Location {
                lat: -1.5,
                lon: 2.0,
            }),
            reply_to: None,
        },
        Request::Post {
            text: "hi".into(),
            location: None,
            reply_to: Some(4),
        },
        Request::Repost { status: 1 },
        Request::Unrepost { status: 1 },
        Request::Like { status: 1 },
        Request::Unlike { status: 1 },
        Request::Likes {
            status: 1,
            page: p,
            count: c,
        },
        Request::Thread {
            status: 1,
            count: Some(1000),
        },
        Request::Trending { hours: Some(24) },
        Request::Block {
            login: "bob".into(),
        },
        Request::Unblock {
            login: "bob".into(),
        },
        Request::Blocks { page: p, count: c },
        Request::Mute {
            login: "bob".into(),
        },
        Request::Unmute {
            login: "bob".into(),
        },
        Request::Mutes { page: p, count: c },
        Request::Requests { page: p, count: c },
        Request::Report {
            status: Some(3),
            login: None,
            reason: "spam".into(),
        },
        Request::Reports {
            state: Some("all".into()),
            page: p,
            count: c,
        },
        Request::Moderate {
            action: "hide".into(),
            status: Some(3),
            login: None,
            report: Some(1),
            note: Some("spam".into()),
        },
        Request::ModerationLog { page: p, count: c },
        Request::Dm {
            to: vec!["bob".into(), "carol".into()],
            text: "hi".into(),
        },
        Request::Conversations { page: p, count: c },
        Request::Messages {
            conversation: "c:1,2".into(),
            page: p,
            count: c,
        },
        Request::Read {
            conversation: "c:1,2".into(),
            message: 3,
        },
        Request::Subscribe {
            stream: Stream::Direct,
            since: None,
        },
        Request::Approve {
            login: "bob".into(),
        },
        Request::Deny {
            login: "bob".into(),
        },
        Request::SetProfile {
            name: Some("Ada".into()),
            bio: Some("".into()),
            private: Some(true),
        },
        Request::Notifications { page: p, count: c },
        Request::Delete { status: 9 },
        Request::Timeline {
            kind: TimelineKind::Home,
            login: None,
            page: p,
            count: c,
            before: None,
            tag: None,
            order: Some(Order::Importance),
        },
        Request::Timeline {
            kind: TimelineKind::Profile,
            login: login.clone(),
            page: None,
            count: None,
            before: Some(77),
            tag: None,
            order: None,
        },
        Request::Timeline {
            kind: TimelineKind::Tag,
            login: None,
            page: None,
            count: None,
            before: None,
            tag: Some("#Redis".into()),
            order: Some(Order::Newest),
        },
        Request::Follow {
            login: "bob".into(),
        },
        Request::Unfollow {
            login: "bob".into(),
        },
        Request::Followers {
            login: login.clone(),
            page: p,
            count: c,
        },
        Request::Following {
            login: None,
            page: None,
            count: None,
        },
        Request::Subscribe {
            stream: Stream::Home,
            since: Some(Eid { ms: 1, seq: 0 }),
        },
        Request::Subscribe {
            stream: Stream::Firehose,
            since: None,
        },
        Request::Subscribe {
            stream: Stream::Sample(Sample { percent: 10 }),
            since: None,
        },
        Request::Subscribe {
            stream: Stream::Filter(Filter {
                follow: vec!["alice".into()],
                track: vec!["twitter api".into(), "数据库".into()],
                locations: vec![[-122.75, 36.8, -121.75, 37.8]],
            }),
            since: None,
        },
        Request::Unsubscribe { sub: 3 },
        Request::Token,
        Request::LoginCode,
        Request::Subscribe {
            stream: Stream::Notifications,
            since: None,
        },
        Request::Marker {
            home: Some(12),
            notifications: Some(3),
        },
        Request::Marker {
            home: None,
            notifications: None,
        },
    ];
    for request in requests {
        round_trip(&request);
        round_trip(&RequestLine {
            id: json!(1),
            as_login: Some("bob".into()),
            request,
        });
    }
    assert_eq!(Request::OPS.len(), 41);
}

#[test]
fn requests_read_as_the_protocol_writes_them() {
    let line: RequestLine =
        serde_json::from_str(r#"{"id":"x","op":"timeline","kind":"home","count":5}"#).unwrap();
    assert_eq!(line.id, json!("x"));
    assert_eq!(
        line.request,
        Request::Timeline {
            kind: TimelineKind::Home,
            login: None,
            page: None,
            count: Some(5),
            before: None,
            tag: None,
            order: None,
        }
    );
    let sub: Request =
        serde_json::from_str(r#"{"op":"subscribe","stream":{"sample":{"percent":5}}}"#).unwrap();
    assert_eq!(
        sub,
        Request::Subscribe {
            stream: Stream::Sample(Sample { percent: 5 }),
            since: None
        }
    );
    for bad in [
        r#"{"home":false}"#,
        r#"{"home":true,"firehose":true}"#,
        r#"{"notifications":false}"#,
        "{}",
    ] {
        assert!(serde_json::from_str::<Stream>(bad).is_err(), "{bad}");
    }
}

#[test]
fn every_response_and_result_round_trips() {
    round_trip(&Response::success(json!(1), json!({"deleted": 7})));
    round_trip(&Response::success(Value::Null, json!([])));
    for code in [
        ErrorCode::BadRequest,
        ErrorCode::UnknownOp,
        ErrorCode::TooLarge,
        ErrorCode::NotRegistered,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ] {
        let r = Response::failure(json!({"n": 1}), code, "why");
        round_trip(&r);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(&format!("\"{}\"", code.as_str())), "{text}");
    }
    round_trip(&Hello {
        protocol: 1,
        server: "roostd 0.1.0".into(),
        you: Some(user(1)),
        operator: false,
        subscriptions: None,
        time: Some("2026-11-26T21:50:00.001Z".into()),
        redis_time: None,
    });
    round_trip(&Hello {
        protocol: 1,
        server: "roostd".into(),
        you: None,
        operator: true,
        subscriptions: Some(3),
        time: None,
        redis_time: None,
    });
    round_trip(&user(42));
    round_trip(&user(43));
    round_trip(&status());
    round_trip(&Status {
        location: None,
        ..status()
    });
    round_trip(&Deleted { deleted: 7 });
    round_trip(&Statuses {
        statuses: vec![status()],
    });
    round_trip(&Users {
        users: vec![FollowEntry {
            user: user(2),
            since: "x".into(),
        }],
    });
    round_trip(&Subscribed { sub: 1 });
    round_trip(&Marker {
        home: Some(5),
        unread: 2,
        notifications: Some(4),
        notifications_unread: 1,
    });
    round_trip(&Marker {
        home: None,
        unread: 0,
        notifications: None,
        notifications_unread: 0,
    });
    round_trip(&reply());
    round_trip(&Status {
        repost_of: Some(Box::new(reply())),
        ..status()
    });
    round_trip(&Liked {
        status: 1,
        likes: 2,
    });
    round_trip(&Unreposted { unreposted: 1 });
    round_trip(&Thread {
        ancestors: vec![status()],
        status: reply(),
        replies: vec![],
    });
    round_trip(&Trending {
        tags: vec![TagCount {
            tag: "redis".into(),
            statuses: 3,
        }],
    });
    for kind in NotificationKind::ALL {
        assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        let status = !matches!(kind, NotificationKind::Follow | NotificationKind::Request);
        round_trip(&Notifications {
            notifications: vec![Notification {
                id: 9,
                kind,
                from: user(1),
                status: status.then(reply),
                at: "2026-11-26T21:50:00.001Z".into(),
            }],
            unread: 1,
        });
    }
    // A version 1 status (no conversation fields) still reads.
    let old: Status = serde_json::from_str(
        r#"{"id":1,"uid":2,"login":"a","text":"t","posted":"2026-11-26T21:50:00.001Z"}"#,
    )
    .unwrap();
    assert_eq!(old.likes, 0);
    assert!(old.tags.is_empty());
    round_trip(&Token {
        token: "secret".into(),
    });
}

#[test]
fn every_event_round_trips_and_is_told_from_responses() {
    let events = vec![
        Event::Status {
            sub: 1,
            eid: Eid { ms: 1, seq: 0 },
            status: status(),
        },
        Event::Delete {
            sub: 1,
            eid: Eid { ms: 1, seq: 1 },
            status: 7,
            uid: 42,
        },
        Event::Follow {
            sub: 2,
            eid: Eid { ms: 2, seq: 0 },
            follower: user(1),
            followed: user(2),
        },
        Event::Unfollow {
            sub: 2,
            eid: Eid { ms: 2, seq: 1 },
            follower: user(1),
            followed: user(2),
        },
        Event::Notification {
            sub: 4,
            eid: Eid { ms: 3, seq: 0 },
            notification: Box::new(Notification {
                id: 1,
                kind: NotificationKind::Follow,
                from: user(1),
                status: None,
                at: "2026-11-26T21:50:00.001Z".into(),
            }),
        },
        Event::Message {
            sub: 5,
            eid: Eid { ms: 4, seq: 0 },
            message: Message {
                id: 3,
                conversation: "c:1,4,9".into(),
                from: "alice".into(),
                text: "psst".into(),
                sent: "2026-11-26T21:50:00.001Z".into(),
            },
        },
        Event::Lagged {
            sub: 3,
            dropped: 10,
        },
        Event::Gap { sub: 3 },
    ];
    for event in events {
        assert!(event.sub() > 0);
        assert_eq!(
            event.eid().is_some(),
            !matches!(event, Event::Lagged { .. } | Event::Gap { .. })
        );
        round_trip(&event);
        round_trip(&Incoming::Event(event));
    }
    round_trip(&Incoming::Response(Response::success(
        json!(1),
        json!({"sub": 1}),
    )));
    let text = r#"{"id":1,"ok":false,"error":{"code":"conflict","message":"taken"}}"#;
    let Incoming::Response(r) = serde_json::from_str(text).unwrap() else {
        panic!("a response read as an event")
    };
    assert_eq!(r.into_result().unwrap_err().code, ErrorCode::Conflict);
}
