//! Subcommands for scripts: one request (or a stream) each, human output by
//! default and JSON lines with `--json`; exit code 0 on success, 1 with the
//! protocol error on standard error otherwise.

use std::io::{Read, Write};

use clap::{Parser, Subcommand};
use roost_shared::{
    Filter, FollowEntry, Liked, LoginCode, Notification, NotificationKind, Notifications, Order,
    Request, Sample, Status, Statuses, Stream, Thread, TimelineKind, Trending, User, Users,
};
use serde_json::Value;

use crate::client::{Client, Failure};
use crate::text::{relative, sanitize};

/// roost: a terminal social network for the people (and scripts) of a Unix host.
/// With no subcommand, runs the interactive app.
#[derive(Debug, Parser)]
#[command(name = "roost", version, about, long_about = None)]
pub struct Cli {
    /// Print results as JSON lines (the protocol's objects)
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Register your Unix login (once)
    Register {
        /// Display name [default: your login]
        #[arg(long)]
        name: Option<String>,
    },
    /// Post a status; `-` reads it from standard input
    Post {
        /// The status, or `-` to read it from standard input
        text: String,
        /// Where from, as LAT,LON (for location-filtered streams)
        #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true, value_parser = parse_location)]
        location: Option<roost_shared::Location>,
    },
    /// Reply to a status; `-` reads the reply from standard input
    Reply {
        /// The status replied to
        id: u64,
        /// The reply, or `-` to read it from standard input
        text: String,
    },
    /// Pass a status on to your followers
    Repost {
        /// The status id
        id: u64,
    },
    /// Take back your repost of a status
    Unrepost {
        /// The original status's id
        id: u64,
    },
    /// Like a status
    Like {
        /// The status id
        id: u64,
    },
    /// Take back a like
    Unlike {
        /// The status id
        id: u64,
    },
    /// Who liked a status
    Likes {
        /// The status id
        id: u64,
    },
    /// A status with the statuses it replies to and its replies
    Thread {
        /// The status id
        id: u64,
        /// The most replies shown, 1 to 1000
        #[arg(long, default_value_t = 200)]
        count: u32,
    },
    /// The tags most used lately
    Trending {
        /// Over the last HOURS hours, 1 to 24
        #[arg(long, default_value_t = 1)]
        hours: u32,
    },
    /// What others did that concerns you: mentions, replies, reposts, likes, follows
    Notifications {
        /// Notifications per page, 1 to 200
        #[arg(long, default_value_t = 30)]
        count: u32,
        /// Page number, from 1
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Mark them all read
        #[arg(long)]
        read: bool,
    },
    /// Delete one of your statuses
    Delete {
        /// The status id
        id: u64,
    },
    /// Your home timeline, a user's profile, your mentions, someone's likes or a tag
    Timeline {
        /// A user's own statuses instead of your home timeline
        #[arg(long, value_name = "LOGIN", conflicts_with_all = ["mentions", "likes", "tag"])]
        profile: Option<String>,
        /// The statuses that mention you
        #[arg(long, conflicts_with_all = ["likes", "tag", "importance"])]
        mentions: bool,
        /// The statuses LOGIN liked (an empty LOGIN: you)
        #[arg(long, value_name = "LOGIN", num_args = 0..=1, default_missing_value = "",
              conflicts_with_all = ["tag", "importance"])]
        likes: Option<String>,
        /// The statuses carrying a hashtag (with or without #)
        #[arg(long, conflicts_with = "importance")]
        tag: Option<String>,
        /// Your home timeline by importance (likes, reposts and replies) instead of newest first
        #[arg(long, conflicts_with = "profile")]
        importance: bool,
        /// Statuses per page, 1 to 200
        #[arg(long, default_value_t = 30)]
        count: u32,
        /// Page number, from 1
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Only statuses older than this status id (a cursor for paging)
        #[arg(long, value_name = "ID")]
        before: Option<u64>,
    },
    /// Follow a user: their statuses come into your home timeline
    Follow {
        /// Whom to follow
        login: String,
    },
    /// Stop following a user: their statuses leave your home timeline
    Unfollow {
        /// Whom to stop following
        login: String,
    },
    /// Who follows LOGIN (default: you)
    Followers {
        /// Whose followers [default: you]
        login: Option<String>,
    },
    /// Whom LOGIN follows (default: you)
    Following {
        /// Whose follows [default: you]
        login: Option<String>,
    },
    /// Change your display name, bio, or whether your account is private
    Profile {
        /// Your display name
        #[arg(long)]
        name: Option<String>,
        /// A few words about you, up to 300 characters ("" clears it)
        #[arg(long)]
        bio: Option<String>,
        /// Only followers you approve read your statuses
        #[arg(long, conflicts_with = "public")]
        private: bool,
        /// Everyone reads your statuses (pending requests become follows)
        #[arg(long)]
        public: bool,
    },
    /// Block a user: follows go both ways and neither of you sees the other
    Block {
        /// Whom to block
        login: String,
    },
    /// Unblock a user
    Unblock {
        /// Whom to unblock
        login: String,
    },
    /// Mute a user: their statuses leave your home, tags, mentions and notifications
    Mute {
        /// Whom to mute
        login: String,
    },
    /// Unmute a user
    Unmute {
        /// Whom to unmute
        login: String,
    },
    /// A one-time code (valid 10 minutes) to log a Mastodon client in as you,
    /// e.g. `toot login_cli -i http://127.0.0.1:PORT -e LOGIN -p CODE`
    LoginCode,
    /// Whom you block
    Blocks,
    /// Whom you mute
    Mutes,
    /// Who asks to follow your private account
    Requests,
    /// Send a direct message to one or more users; `-` reads it from standard input
    Dm {
        /// Recipients, comma-separated (a group conversation with several)
        #[arg(required = true, num_args = 1, value_delimiter = ',')]
        to: Vec<String>,
        /// The message, or `-` to read it from standard input
        text: String,
    },
    /// Your direct-message conversations, latest first, with unread counts
    Conversations,
    /// Report a status (by id) or an account (by login) to the operators
    Report {
        /// The status id, or the login
        what: String,
        /// Why, up to 500 characters
        reason: String,
    },
    /// Operators: reports and moderation
    Mod {
        #[command(subcommand)]
        command: ModCommand,
    },
    /// The messages of one conversation, newest first (marks them read)
    Messages {
        /// The conversation's id (as `conversations` prints it)
        conversation: String,
    },
    /// Let a user who asked follow you
    Approve {
        /// Who asked
        login: String,
    },
    /// Refuse a user who asked to follow you
    Deny {
        /// Who asked
        login: String,
    },
    /// One user
    User {
        /// Whom to show
        login: String,
    },
    /// Watch a live stream until interrupted
    Stream {
        /// Phrases to track (comma = OR, space = AND)
        #[arg(long, value_delimiter = ',')]
        track: Vec<String>,
        /// Logins whose statuses to follow
        #[arg(long, value_delimiter = ',')]
        follow: Vec<String>,
        /// Boxes as west,south,east,north[,west,south,east,north...]
        #[arg(long, allow_hyphen_values = true)]
        locations: Vec<String>,
        /// A deterministic sample of this percent of all statuses
        #[arg(long, conflicts_with_all = ["track", "follow", "locations", "firehose", "home"])]
        sample: Option<u8>,
        /// Every status
        #[arg(long, conflicts_with_all = ["track", "follow", "locations", "home"])]
        firehose: bool,
        /// Your home timeline, live
        #[arg(long, conflicts_with_all = ["track", "follow", "locations"])]
        home: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the roost(1) manual page (roff)
    Man,
    /// Say what is wrong: which sockets were tried and why they failed,
    /// whether roostd and its Redis answer, directory permissions
    Doctor,
}

/// What an operator does with `roost mod`.
#[derive(Debug, Subcommand)]
pub enum ModCommand {
    /// The reports: open ones, or --all
    Reports {
        /// Resolved ones too
        #[arg(long)]
        all: bool,
    },
    /// Hide, unhide a status; suspend, unsuspend an account; dismiss a report
    Act {
        /// hide, unhide, suspend, unsuspend or dismiss
        action: String,
        /// The status id (hide, unhide), the login (suspend, unsuspend), or
        /// the report id (dismiss)
        target: String,
        /// The report this resolves
        #[arg(long)]
        report: Option<u64>,
        /// A note for the log
        #[arg(long)]
        note: Option<String>,
    },
    /// The moderation log, newest first
    Log,
}

impl Sub {
    /// Whether the subcommand works without roostd (it only prints).
    pub fn offline(&self) -> bool {
        matches!(self, Sub::Completions { .. } | Sub::Man | Sub::Doctor)
    }
}

/// The whole command line, with the key table and the config file for the
/// manual page.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().after_long_help(crate::keys::manual())
}

/// Prints what an offline subcommand makes (made whole first: a closed pipe
/// is an error to report, not a panic).
pub fn print_offline(sub: &Sub) -> std::io::Result<()> {
    let mut text = Vec::new();
    match sub {
        Sub::Completions { shell } => {
            clap_complete::generate(*shell, &mut command(), "roost", &mut text)
        }
        Sub::Man => clap_mangen::Man::new(command()).render(&mut text)?,
        _ => {}
    }
    std::io::stdout().write_all(&text)
}

fn parse_location(text: &str) -> Result<roost_shared::Location, String> {
    let (lat, lon) = text.split_once(',').ok_or("give the location as LAT,LON")?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("latitude {lat:?} is not a number"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| format!("longitude {lon:?} is not a number"))?;
    roost_shared::validate::location(lat, lon)?;
    Ok(roost_shared::Location { lat, lon })
}

fn failure(message: impl Into<String>) -> Failure {
    Failure {
        code: roost_shared::ErrorCode::BadRequest,
        message: message.into(),
    }
}

/// Runs one subcommand; returns the process exit code.
pub async fn run(
    client: Client,
    events: tokio::sync::mpsc::UnboundedReceiver<roost_shared::Event>,
    json: bool,
    sub: Sub,
) -> i32 {
    match execute(client, events, json, sub).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("roost: {}: {}", e.code, e.message);
            1
        }
    }
}

/// Prints an answer as JSON, or the sentence saying what was done.
fn said(json: bool, value: &impl serde::Serialize, sentence: String) {
    if json {
        print_json(value)
    } else {
        println!("{sentence}")
    }
}

fn print_json(value: &impl serde::Serialize) {
    let line = serde_json::to_string(value).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn print_status(status: &Status) {
    let now = roost_shared::time::now_millis();
    if let Some(original) = &status.repost_of {
        println!(
            "↻ @{} reposted · {} · #{}",
            status.login,
            relative(&status.posted, now),
            status.id
        );
        return print_status(original);
    }
    println!(
        "@{} · {} · #{}",
        status.login,
        relative(&status.posted, now),
        status.id
    );
    for line in sanitize(&status.text, true).lines() {
        println!("  {line}");
    }
    print_status_context(status);
}

/// A status text given on the command line, or `-` for standard input.
fn text_argument(text: String) -> Result<String, Failure> {
    if text != "-" {
        return Ok(text);
    }
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|e| failure(format!("reading standard input: {e}")))?;
    Ok(buf.trim_end_matches('\n').to_owned())
}

/// What a status line says before the text: a repost's reposter, a reply's
/// parent, and the counts with the caller's own like and repost.
fn print_status_context(status: &Status) {
    let mut context = Vec::new();
    if let Some(to) = &status.reply_to_login {
        context.push(format!("↩ to @{to}"));
    }
    if status.replies + status.reposts + status.likes > 0 || status.liked || status.reposted {
        let mark = |own: bool| if own { "*" } else { "" };
        context.push(format!(
            "{} replies · {}{} reposts · {}{} likes",
            status.replies,
            status.reposts,
            mark(status.reposted),
            status.likes,
            mark(status.liked)
        ));
    }
    if !context.is_empty() {
        println!("  ({})", context.join(" · "));
    }
}

fn print_notification(n: &Notification) {
    let who = format!("@{}", n.from.login);
    let what = match n.kind {
        NotificationKind::Mention => "mentioned you",
        NotificationKind::Reply => "replied to you",
        NotificationKind::Repost => "reposted you",
        NotificationKind::Like => "liked your status",
        NotificationKind::Follow => "followed you",
        NotificationKind::Request => "asks to follow you",
    };
    println!(
        "[{}] {who} {what} · {}",
        n.id,
        n.at.get(..16).unwrap_or(&n.at)
    );
    if let Some(status) = &n.status {
        print_status(status);
    }
}

fn print_message(m: &roost_shared::Message) {
    println!(
        "[{} #{}] @{} · {}",
        m.conversation,
        m.id,
        m.from,
        m.sent.get(..16).unwrap_or(&m.sent)
    );
    for line in sanitize(&m.text, true).lines() {
        println!("  {line}");
    }
}

fn print_user(user: &User) {
    println!(
        "{} @{} · {} posts · {} followers · {} following · since {}",
        sanitize(&user.name, false),
        user.login,
        user.posts,
        user.followers,
        user.following,
        user.signup.get(..10).unwrap_or(&user.signup)
    );
    for line in sanitize(&user.bio, true).lines() {
        println!("  {line}");
    }
}

fn print_entries(entries: &[FollowEntry], json: bool) {
    for e in entries {
        if json {
            print_json(e);
        } else {
            println!(
                "@{} · {} · since {}",
                e.user.login,
                sanitize(&e.user.name, false),
                e.since.get(..10).unwrap_or(&e.since)
            );
        }
    }
}

async fn execute(
    client: Client,
    mut events: tokio::sync::mpsc::UnboundedReceiver<roost_shared::Event>,
    json: bool,
    sub: Sub,
) -> Result<(), Failure> {
    match sub {
        Sub::Completions { .. } | Sub::Man | Sub::Doctor => {
            print_offline(&sub).map_err(|e| failure(e.to_string()))?;
        }
        Sub::Register { name } => {
            let user: User = client
                .call_as(Request::Register {
                    login: None,
                    name,
                    bot: false,
                })
                .await?;
            if json {
                print_json(&user)
            } else {
                print_user(&user)
            }
        }
        Sub::Post { text, location } => {
            let status: Status = client
                .call_as(Request::Post {
                    text: text_argument(text)?,
                    location,
                    reply_to: None,
                })
                .await?;
            if json {
                print_json(&status)
            } else {
                println!("posted #{}", status.id)
            }
        }
        Sub::Reply { id, text } => {
            let status: Status = client
                .call_as(Request::Post {
                    text: text_argument(text)?,
                    location: None,
                    reply_to: Some(id),
                })
                .await?;
            if json {
                print_json(&status)
            } else {
                println!("replied #{} to #{id}", status.id)
            }
        }
        Sub::Repost { id } => {
            let status: Status = client.call_as(Request::Repost { status: id }).await?;
            if json {
                print_json(&status)
            } else {
                println!("reposted #{id} as #{}", status.id)
            }
        }
        Sub::Unrepost { id } => {
            let result: Value = client.call(Request::Unrepost { status: id }).await?;
            if json {
                print_json(&result)
            } else {
                println!("unreposted #{id}")
            }
        }
        Sub::Like { id } => {
            let liked: Liked = client.call_as(Request::Like { status: id }).await?;
            if json {
                print_json(&liked)
            } else {
                println!("liked #{id} ({} likes)", liked.likes)
            }
        }
        Sub::Unlike { id } => {
            let liked: Liked = client.call_as(Request::Unlike { status: id }).await?;
            if json {
                print_json(&liked)
            } else {
                println!("unliked #{id} ({} likes)", liked.likes)
            }
        }
        Sub::Likes { id } => {
            let users: Users = client
                .call_as(Request::Likes {
                    status: id,
                    page: None,
                    count: Some(200),
                })
                .await?;
            print_entries(&users.users, json);
        }
        Sub::Thread { id, count } => {
            let thread: Thread = client
                .call_as(Request::Thread {
                    status: id,
                    count: Some(count),
                })
                .await?;
            if json {
                print_json(&thread);
            } else {
                for s in thread.ancestors.iter().chain([&thread.status]) {
                    print_status(s);
                }
                println!("── {} replies", thread.replies.len());
                for s in &thread.replies {
                    print_status(s);
                }
            }
        }
        Sub::Trending { hours } => {
            let trending: Trending = client
                .call_as(Request::Trending { hours: Some(hours) })
                .await?;
            for t in &trending.tags {
                if json {
                    print_json(t)
                } else {
                    println!("#{} · {} statuses", t.tag, t.statuses)
                }
            }
        }
        Sub::Notifications { count, page, read } => {
            let list: Notifications = client
                .call_as(Request::Notifications {
                    page: Some(page),
                    count: Some(count),
                })
                .await?;
            for n in &list.notifications {
                if json {
                    print_json(n)
                } else {
                    print_notification(n)
                }
            }
            if !json {
                println!("{} unread", list.unread);
            }
            if read && let Some(newest) = list.notifications.first() {
                let _: Value = client
                    .call(Request::Marker {
                        home: None,
                        notifications: Some(newest.id),
                    })
                    .await?;
            }
        }
        Sub::Delete { id } => {
            let result: Value = client.call(Request::Delete { status: id }).await?;
            if json {
                print_json(&result)
            } else {
                println!("deleted #{id}")
            }
        }
        Sub::Timeline {
            profile,
            mentions,
            likes,
            tag,
            importance,
            count,
            page,
            before,
        } => {
            let (kind, login) = match (profile, likes) {
                (Some(login), _) => (TimelineKind::Profile, Some(login)),
                (None, Some(login)) => (TimelineKind::Likes, Some(login).filter(|l| !l.is_empty())),
                (None, None) if mentions => (TimelineKind::Mentions, None),
                (None, None) if tag.is_some() => (TimelineKind::Tag, None),
                (None, None) => (TimelineKind::Home, None),
            };
            let request = Request::Timeline {
                kind,
                login,
                page: Some(page),
                count: Some(count),
                before,
                tag,
                order: importance.then_some(Order::Importance),
            };
            let statuses: Statuses = client.call_as(request).await?;
            for s in &statuses.statuses {
                if json { print_json(s) } else { print_status(s) }
            }
        }
        Sub::Follow { login } | Sub::Unfollow { login } if login.is_empty() => {
            return Err(failure("a login is needed"));
        }
        Sub::Follow { login } => {
            let user: User = client.call_as(Request::Follow { login }).await?;
            let requested = user.relationship.is_some_and(|r| r.requested);
            if json {
                print_json(&user)
            } else if requested {
                println!(
                    "asked @{} (a private account) to let you follow",
                    user.login
                )
            } else {
                println!("following @{}", user.login)
            }
        }
        Sub::Unfollow { login } => {
            let user: User = client.call_as(Request::Unfollow { login }).await?;
            if json {
                print_json(&user)
            } else {
                println!("unfollowed @{}", user.login)
            }
        }
        Sub::Followers { login } => {
            let users: Users = client
                .call_as(Request::Followers {
                    login,
                    page: None,
                    count: Some(200),
                })
                .await?;
            print_entries(&users.users, json);
        }
        Sub::Following { login } => {
            let users: Users = client
                .call_as(Request::Following {
                    login,
                    page: None,
                    count: Some(200),
                })
                .await?;
            print_entries(&users.users, json);
        }
        Sub::Profile {
            name,
            bio,
            private,
            public,
        } => {
            let private = (private || public).then_some(private);
            let user: User = client
                .call_as(Request::SetProfile { name, bio, private })
                .await?;
            if json {
                print_json(&user)
            } else {
                print_user(&user)
            }
        }
        Sub::Block { login } => {
            let user: User = client.call_as(Request::Block { login }).await?;
            said(json, &user, format!("blocked @{}", user.login));
        }
        Sub::Unblock { login } => {
            let user: User = client.call_as(Request::Unblock { login }).await?;
            said(json, &user, format!("unblocked @{}", user.login));
        }
        Sub::Mute { login } => {
            let user: User = client.call_as(Request::Mute { login }).await?;
            said(json, &user, format!("muted @{}", user.login));
        }
        Sub::Unmute { login } => {
            let user: User = client.call_as(Request::Unmute { login }).await?;
            said(json, &user, format!("unmuted @{}", user.login));
        }
        Sub::Approve { login } => {
            let user: User = client.call_as(Request::Approve { login }).await?;
            said(json, &user, format!("@{} follows you now", user.login));
        }
        Sub::Deny { login } => {
            let result: Value = client
                .call(Request::Deny {
                    login: login.clone(),
                })
                .await?;
            said(json, &result, format!("denied @{login}"));
        }
        Sub::Dm { to, text } => {
            let message: roost_shared::Message = client
                .call_as(Request::Dm {
                    to,
                    text: text_argument(text)?,
                })
                .await?;
            said(
                json,
                &message,
                format!("sent #{} in {}", message.id, message.conversation),
            );
        }
        Sub::Report { what, reason } => {
            let (status, login) = match what.parse::<u64>() {
                Ok(id) => (Some(id), None),
                Err(_) => (None, Some(what.trim_start_matches('@').to_owned())),
            };
            let result: Value = client
                .call(Request::Report {
                    status,
                    login,
                    reason,
                })
                .await?;
            said(
                json,
                &result,
                format!("reported (report #{})", result["report"]),
            );
        }
        Sub::Mod { command } => {
            let request = match command {
                ModCommand::Reports { all } => Request::Reports {
                    state: Some(if all { "all" } else { "open" }.into()),
                    page: None,
                    count: Some(200),
                },
                ModCommand::Log => Request::ModerationLog {
                    page: None,
                    count: Some(200),
                },
                ModCommand::Act {
                    action,
                    target,
                    report,
                    note,
                } => {
                    let (status, login, report) = match action.as_str() {
                        "hide" | "unhide" => (
                            Some(
                                target
                                    .parse()
                                    .map_err(|_| failure("a status id is a number"))?,
                            ),
                            None,
                            report,
                        ),
                        "dismiss" => (
                            None,
                            None,
                            Some(
                                target
                                    .parse()
                                    .map_err(|_| failure("a report id is a number"))?,
                            ),
                        ),
                        _ => (None, Some(target), report),
                    };
                    Request::Moderate {
                        action,
                        status,
                        login,
                        report,
                        note,
                    }
                }
            };
            let result: Value = client.call(request).await?;
            if json {
                let list = result
                    .get("reports")
                    .or_else(|| result.get("entries"))
                    .and_then(Value::as_array);
                match list {
                    Some(items) => items.iter().for_each(print_json),
                    None => print_json(&result),
                }
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&result).unwrap_or_default()
                );
            }
        }
        Sub::Conversations => {
            let list: roost_shared::Conversations = client
                .call_as(Request::Conversations {
                    page: None,
                    count: Some(200),
                })
                .await?;
            for c in &list.conversations {
                if json {
                    print_json(c);
                    continue;
                }
                let with: Vec<String> = c.with.iter().map(|u| format!("@{}", u.login)).collect();
                println!(
                    "{} with {} · {} unread",
                    c.conversation,
                    with.join(", "),
                    c.unread
                );
                print_message(&c.last);
            }
        }
        Sub::Messages { conversation } => {
            let list: roost_shared::Messages = client
                .call_as(Request::Messages {
                    conversation: conversation.clone(),
                    page: None,
                    count: Some(200),
                })
                .await?;
            for m in &list.messages {
                if json {
                    print_json(m)
                } else {
                    print_message(m)
                }
            }
            if let Some(newest) = list.messages.first() {
                let _: Value = client
                    .call(Request::Read {
                        conversation,
                        message: newest.id,
                    })
                    .await?;
            }
        }
        Sub::LoginCode => {
            let code: LoginCode = client.call_as(Request::LoginCode).await?;
            if json {
                print_json(&code)
            } else {
                println!("{}", code.code);
                eprintln!(
                    "A one-time login code for a Mastodon client (toot, tut, ...), valid until {}:\n\
                     use it as the password with your login as the user name, or type it on the\n\
                     server's /oauth/authorize page. roostd serves the API on its HTTP socket and\n\
                     on --http ADDR.",
                    code.expires
                );
            }
        }
        Sub::Blocks | Sub::Mutes | Sub::Requests => {
            let request = match sub {
                Sub::Blocks => Request::Blocks {
                    page: None,
                    count: Some(200),
                },
                Sub::Mutes => Request::Mutes {
                    page: None,
                    count: Some(200),
                },
                _ => Request::Requests {
                    page: None,
                    count: Some(200),
                },
            };
            let users: Users = client.call_as(request).await?;
            print_entries(&users.users, json);
        }
        Sub::User { login } => {
            let user: User = client.call_as(Request::User { login }).await?;
            if json {
                print_json(&user)
            } else {
                print_user(&user)
            }
        }
        Sub::Stream {
            track,
            follow,
            locations,
            sample,
            firehose,
            home,
        } => {
            let stream = if home {
                Stream::Home
            } else if firehose {
                Stream::Firehose
            } else if let Some(percent) = sample {
                Stream::Sample(Sample { percent })
            } else {
                let locations = roost_shared::validate::location_boxes(&locations.join(","))
                    .map_err(failure)?;
                Stream::Filter(Filter {
                    follow,
                    track,
                    locations,
                })
            };
            client
                .call(Request::Subscribe {
                    stream,
                    since: None,
                })
                .await?;
            while let Some(event) = events.recv().await {
                if json {
                    print_json(&event);
                    continue;
                }
                match event {
                    roost_shared::Event::Status { status, .. } => print_status(&status),
                    roost_shared::Event::Delete { status, .. } => println!("deleted #{status}"),
                    roost_shared::Event::Follow {
                        follower, followed, ..
                    } => println!("@{} followed @{}", follower.login, followed.login),
                    roost_shared::Event::Unfollow {
                        follower, followed, ..
                    } => println!("@{} unfollowed @{}", follower.login, followed.login),
                    roost_shared::Event::Lagged { dropped, .. } => {
                        println!("(missed {dropped} events: reading too slowly)")
                    }
                    roost_shared::Event::Gap { .. } => println!("(gap: re-read your timeline)"),
                    roost_shared::Event::Notification { notification, .. } => {
                        print_notification(&notification)
                    }
                    roost_shared::Event::Message { message, .. } => print_message(&message),
                }
                let _ = std::io::stdout().flush();
            }
            return Err(Failure {
                code: roost_shared::ErrorCode::Unavailable,
                message: "roostd closed the stream".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_and_subcommand_has_help() {
        roost_tests::assert_all_helped(&command(), "roost");
    }

    #[test]
    fn completions_and_the_manual_name_every_subcommand_and_key() {
        let mut man = Vec::new();
        clap_mangen::Man::new(command()).render(&mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        for name in [
            "follow",
            "timeline",
            "stream",
            "completions",
            "page_down",
            "config.toml",
        ] {
            assert!(man.contains(name), "{name} missing from roost(1)");
        }
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "roost", &mut script);
            let script = String::from_utf8(script).unwrap();
            assert!(
                script.contains("unfollow") && script.contains("before"),
                "{shell}"
            );
        }
    }
}
