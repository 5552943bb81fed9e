//! Every Redis key roostd uses, built in one place.
//!
//! Keys are laid out for Redis Cluster: each atomic step (one Lua script) touches
//! keys of one hash slot, chosen by the `{...}` hash tag.
//!
//! | key | type | slot | contents |
//! |---|---|---|---|
//! | `{ns}:logins` | hash | global | lowercased login → user id |
//! | `{ns}:uids` | hash | global | Unix uid → user id (bots have none) |
//! | `{ns}:next_user` | string | global | last user id issued |
//! | `{ns}:epoch` | string | global | random id of this life of the data (gone when Redis loses it) |
//! | `{ns}:next_report`, `{ns}:report:<id>`, `{ns}:reports:<all/open/resolved>` | string, hash, zset | global | reports: counter, each report, ids by time |
//! | `{ns}:next_modlog`, `{ns}:modlog` | string, list | global | the moderation log (JSON entries, newest first, 100,000 kept) |
//! | `{ns}:schema` | string | global | the layout's version (see `store::schema`) |
//! | `{ns}:user:<id>` | hash | global | id, login, name, signup (ms), unix_uid |
//! | `{ns}:next_status` | string | global | last status id issued |
//! | `{ns}:status_author` | hash | global | status id → author's user id, once published; 0 once deleted |
//! | `{ns}:pending_posts` | zset | global | `<author>:<sid>` of posts not yet published, score ms |
//! | `{ns}:jobs` | stream | global | durable background jobs (consumer group `workers`) |
//! | `{ns}:logged_changes` | zset | global | `<followed>:<follower>:<generation>` of follows logged in the last day |
//! | `{ns}:refills` | set | global | users whose home refill is queued and not started |
//! | `{ns}:mode_changes` | set | global | accounts whose fan-out mode change (promote, demote) is queued and not started |
//! | `{ns}:parked` | stream | global | jobs that kept failing: the job, its last error, attempts |
//! | `{ns}:events` | stream | global | the event log: posts, deletes, follows, unfollows |
//! | `{ns}:tokens` | hash | global | SHA-256 of a bearer token → user id |
//! | `{ns}:token_of_user` | hash | global | user id → SHA-256 of their token |
//! | `{ns}:login_codes` | hash | global | SHA-256 of a one-time login code → `<user id>:<expiry ms>` (one per user) |
//! | `{ns}:login_code_of_user` | hash | global | user id → SHA-256 of their current login code |
//! | `{ns}:oauth_tokens` | hash | global | SHA-256 of a Mastodon API access token → user id |
//! | `{ns}:oauth_tokens_of:<id>` | zset | global | a user's access tokens (SHA-256), score issue ms; the newest `MAX_APP_TOKENS` kept |
//! | `{ns:u<id>}:counts` | hash | user | followers, following, posts; `fanout`: `promoting`, `merge` or `demoting` (absent: copy) |
//! | `{ns:u<id>}:s:<sid>` | hash | user | one status: id, uid, login, text, posted (ms), lat, lon |
//! | `{ns:u<id>}:profile` | zset | user | the user's statuses: member `<uid>:<sid>`, score sid |
//! | `{ns:u<id>}:home` | zset | user | home timeline, same members, newest `--timeline-cap` |
//! | `{ns:u<id>}:followers` | zset | user | follower ids, score follow time (ms) |
//! | `{ns:u<id>}:following` | zset | user | followed ids, score follow time (ms) |
//! | `{ns:u<id>}:merged` | zset | user | followed accounts whose statuses home reads merge in instead of copies (see `store::celebrity`); a member no longer followed is ignored |
//! | `{ns:u<id>}:edge_gen` | hash | user | follower id → generation of the last follow/unfollow |
//! | `{ns:u<id>}:seen_gen` | hash | user | followed id → generation last applied to this side |
//! | `{ns:u<id>}:markers` | hash | user | `home` → newest status id read there |
//! | `{ns:u<id>}:outbox` | hash | user | follower:generation → change:ms, until its event is logged |
//! | `{ns}:outboxes` | set | global | users whose outbox may hold entries |
//! | `{ns}:hidden_statuses` | set | global | ids of hidden statuses, for the streams |
//! | `{ns}:suspended_accounts` | set | global | ids of suspended accounts, for the streams |
//! | `{ns}:private_accounts` | set | global | ids of private accounts, for the streams |
//! | `{ns}:trend_out:<minute>` | hash | global | sid → why it is off that minute's `trend` (1 hidden, 2 suspended, 4 private) |
//! | `{ns}:pending_acts` | zset | global | marks of acts whose last steps may not be done yet (`like:<liker>:<author>:<sid>`, `block:<who>:<whom>`, `mute:<who>:<whom>`, `dm:...`), score ms |
//! | `{ns}:pending_reposts` | hash | global | repost id → `<uid>:<sid>` of its original, while the repost is pending |
//! | `{ns}:trend:<minute>` | zset | global | tag → public statuses posted in that minute carrying it (25 h) |
//! | `{ns:u<id>}:replies:<sid>` | zset | user | live direct replies of status `sid` (`replies` counts them): member `<uid>:<sid>`, score sid |
//! | `{ns:u<id>}:children:<sid>` | zset | user | every direct reply of status `sid`, deleted ones kept so threads lead through them |
//! | `{ns:u<id>}:reposts:<sid>` | zset | user | who reposted status `sid`: reposter id, score the repost's id |
//! | `{ns:u<id>}:repost_originals` | hash | user | the user's reposts: `<uid>:<sid>` → its original's `<uid>:<sid>` |
//! | `{ns:u<id>}:home_originals` | hash | user | original `<uid>:<sid>` → the repost standing for it in the home timeline |
//! | `{ns:u<id>}:likes:<sid>` | zset | user | who likes status `sid`: liker id, score like time (ms) |
//! | `{ns:u<id>}:parents` | hash | user | status id → `<uid>:<sid>` of the status it replies to (kept after a delete) |
//! | `{ns:u<id>}:liked` | zset | user | statuses the user liked: member `<uid>:<sid>`, score like time; a hint checked against `likes:<sid>` |
//! | `{ns:u<id>}:rate:<kind>` | zset | user | the account's acts of a kind in the last minute (rate limits), score ms |
//! | `{ns:u<id>}:blocking` | zset | user | accounts the user blocks, score ms |
//! | `{ns:u<id>}:blocked_by` | zset | user | accounts that block the user (a mirror, for streams), score ms |
//! | `{ns:u<id>}:requests` | zset | user | who asks to follow this private account, score ms |
//! | `{ns:u<id>}:muting` | zset | user | accounts the user mutes, score ms |
//! | `{ns:c:<ids>}:seq`, `{ns:c:<ids>}:messages` | string, zset | conversation | a conversation's last message id; its messages (JSON), score id |
//! | `{ns:u<id>}:dm_conversations` | zset | user | the user's conversations, score last activity (ms) |
//! | `{ns:u<id>}:dm_read` | hash | user | conversation → the newest message id read |
//! | `{ns:u<id>}:mentions` | zset | user | statuses mentioning the user: member `<uid>:<sid>`, score sid |
//! | `{ns:u<id>}:notifications` | zset | user | member `<kind>:<from>:<uid>:<sid>` (`0:0` without a status), score the notification id |
//! | `{ns:u<id>}:notified_at` | hash | user | notification member → time (ms) |
//! | `{ns:t:<tag>}:statuses` | zset | tag | statuses carrying the tag: member `<uid>:<sid>`, score sid |
//!
//! A status lives in its author's slot, so posting and deleting change the
//! status, the profile, the author's home and the `posts` counter in one step;
//! so do its likes and replies sets and their counters (`likes`, `replies` in
//! the status hash), so a count always equals its set. A notification lives in
//! its recipient's slot, so a like, its counter and its notification are one
//! step (the liked status's author is the recipient).
//! Timelines are scored by status id: ids are handed out in post order, so
//! statuses posted in the same millisecond still keep a strict order.

/// Builds the keys of one namespace.
#[derive(Debug, Clone)]
pub struct Keys {
    ns: String,
}

impl Keys {
    pub fn new(namespace: &str) -> Self {
        Keys {
            ns: namespace.to_owned(),
        }
    }

    fn global(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.ns)
    }

    fn of_user(&self, uid: u64, name: &str) -> String {
        format!("{{{}:u{uid}}}:{name}", self.ns)
    }

    pub fn logins(&self) -> String {
        self.global("logins")
    }

    pub fn uids(&self) -> String {
        self.global("uids")
    }

    pub fn next_user(&self) -> String {
        self.global("next_user")
    }

    /// One account's recent acts of one kind (`posts`, `follows`, `likes`),
    /// for rate limits: member a token, score its time (ms); expires itself.
    pub fn rate(&self, uid: u64, kind: &str) -> String {
        self.of_user(uid, &format!("rate:{kind}"))
    }

    pub fn next_report(&self) -> String {
        self.global("next_report")
    }

    /// Report ids by time: `all`, `open` or `resolved`.
    pub fn reports(&self, state: &str) -> String {
        self.global(&format!("reports:{state}"))
    }

    /// Prefix of the report hashes; the report script appends the id.
    pub fn report_prefix(&self) -> String {
        self.global("report:")
    }

    pub fn report(&self, id: u64) -> String {
        format!("{}{id}", self.report_prefix())
    }

    pub fn next_modlog(&self) -> String {
        self.global("next_modlog")
    }

    /// The moderation log: JSON entries, newest first.
    pub fn modlog(&self) -> String {
        self.global("modlog")
    }

    /// The layout's version (see `store::schema`).
    pub fn schema(&self) -> String {
        self.global("schema")
    }

    /// The data's epoch (see `store::epoch`).
    pub fn epoch(&self) -> String {
        self.global("epoch")
    }

    /// Prefix of the user hashes; the register script appends the new id.
    pub fn user_prefix(&self) -> String {
        self.global("user:")
    }

    pub fn user(&self, uid: u64) -> String {
        format!("{}{uid}", self.user_prefix())
    }

    pub fn next_status(&self) -> String {
        self.global("next_status")
    }

    pub fn status_author(&self) -> String {
        self.global("status_author")
    }

    /// Posts written or being written whose event and fan-out job are not
    /// queued yet: `<author>:<sid>` → allocation time (ms).
    pub fn pending_posts(&self) -> String {
        self.global("pending_posts")
    }

    pub fn jobs(&self) -> String {
        self.global("jobs")
    }

    pub fn events(&self) -> String {
        self.global("events")
    }

    /// Follow changes logged lately, so none is logged twice.
    pub fn logged_changes(&self) -> String {
        self.global("logged_changes")
    }

    /// Users whose home refill is queued and has not started.
    pub fn refills(&self) -> String {
        self.global("refills")
    }

    /// Accounts whose fan-out mode change is queued and not started.
    pub fn mode_changes(&self) -> String {
        self.global("mode_changes")
    }

    /// Jobs that kept failing, for `roostd check`.
    pub fn parked(&self) -> String {
        self.global("parked")
    }

    /// SHA-256 (hex) of a bearer token → user id.
    pub fn tokens(&self) -> String {
        self.global("tokens")
    }

    /// User id → SHA-256 (hex) of that user's current token.
    pub fn token_of_user(&self) -> String {
        self.global("token_of_user")
    }

    /// SHA-256 of a one-time login code → `<user id>:<expiry ms>`.
    pub fn login_codes(&self) -> String {
        self.global("login_codes")
    }

    /// User id → SHA-256 of their current login code.
    pub fn login_code_of_user(&self) -> String {
        self.global("login_code_of_user")
    }

    /// SHA-256 of an access token of the Mastodon API → user id.
    pub fn oauth_tokens(&self) -> String {
        self.global("oauth_tokens")
    }

    /// One user's access tokens (their SHA-256), score issue time (ms).
    pub fn oauth_tokens_of(&self, uid: u64) -> String {
        self.global(&format!("oauth_tokens_of:{uid}"))
    }

    pub fn counts(&self, uid: u64) -> String {
        self.of_user(uid, "counts")
    }

    pub fn status(&self, uid: u64, sid: u64) -> String {
        self.of_user(uid, &format!("s:{sid}"))
    }

    pub fn profile(&self, uid: u64) -> String {
        self.of_user(uid, "profile")
    }

    pub fn home(&self, uid: u64) -> String {
        self.of_user(uid, "home")
    }

    pub fn followers(&self, uid: u64) -> String {
        self.of_user(uid, "followers")
    }

    pub fn following(&self, uid: u64) -> String {
        self.of_user(uid, "following")
    }

    /// Followed accounts merged into this home at read time.
    pub fn merged(&self, uid: u64) -> String {
        self.of_user(uid, "merged")
    }

    pub fn edge_gen(&self, uid: u64) -> String {
        self.of_user(uid, "edge_gen")
    }

    pub fn seen_gen(&self, uid: u64) -> String {
        self.of_user(uid, "seen_gen")
    }

    /// Changes of this user's followers whose event is not logged yet:
    /// `<follower>:<generation>` → `<follow|unfollow>:<ms>`.
    pub fn outbox(&self, uid: u64) -> String {
        self.of_user(uid, "outbox")
    }

    /// Users whose outbox may hold entries.
    pub fn outboxes(&self) -> String {
        self.global("outboxes")
    }

    /// Read positions: `home` → the newest status id read there,
    /// `notifications` → the newest notification id read.
    pub fn markers(&self, uid: u64) -> String {
        self.of_user(uid, "markers")
    }

    /// Likes whose notification event may not be logged yet.
    pub fn pending_acts(&self) -> String {
        self.global("pending_acts")
    }

    /// Tag counts of the statuses posted in one minute (Unix minutes).
    pub fn trend(&self, minute: i64) -> String {
        self.global(&format!("trend:{minute}"))
    }

    /// Every hidden status's id, for the streams (the status hash carries
    /// the flag the reads decide by).
    pub fn hidden_statuses(&self) -> String {
        self.global("hidden_statuses")
    }

    /// Every suspended account's id, for the streams (the account's counts
    /// hash carries the flag the reads decide by).
    pub fn suspended_accounts(&self) -> String {
        self.global("suspended_accounts")
    }

    /// Every private account's id, for the streams (the account's counts
    /// hash carries the flag the reads decide by).
    pub fn private_accounts(&self) -> String {
        self.global("private_accounts")
    }

    /// Statuses of one minute taken off `trend` (hidden, author suspended or
    /// gone private): status id to the reasons, bits of `Withdrawn`.
    pub fn trend_out(&self, minute: i64) -> String {
        self.global(&format!("trend_out:{minute}"))
    }

    pub fn replies(&self, uid: u64, sid: u64) -> String {
        self.of_user(uid, &format!("replies:{sid}"))
    }

    /// Every reply of a status, for threads (see the table).
    pub fn children(&self, uid: u64, sid: u64) -> String {
        self.of_user(uid, &format!("children:{sid}"))
    }

    pub fn reposts(&self, uid: u64, sid: u64) -> String {
        self.of_user(uid, &format!("reposts:{sid}"))
    }

    /// The user's own reposts and their originals.
    pub fn repost_originals(&self, uid: u64) -> String {
        self.of_user(uid, "repost_originals")
    }

    /// Which repost stands for an original in this home timeline.
    pub fn home_originals(&self, uid: u64) -> String {
        self.of_user(uid, "home_originals")
    }

    /// Originals of reposts not published yet.
    pub fn pending_reposts(&self) -> String {
        self.global("pending_reposts")
    }

    pub fn likes(&self, uid: u64, sid: u64) -> String {
        self.of_user(uid, &format!("likes:{sid}"))
    }

    pub fn parents(&self, uid: u64) -> String {
        self.of_user(uid, "parents")
    }

    pub fn liked(&self, uid: u64) -> String {
        self.of_user(uid, "liked")
    }

    pub fn blocking(&self, uid: u64) -> String {
        self.of_user(uid, "blocking")
    }

    pub fn blocked_by(&self, uid: u64) -> String {
        self.of_user(uid, "blocked_by")
    }

    /// A conversation's message counter, in the conversation's own slot.
    pub fn dm_seq(&self, conversation: &str) -> String {
        format!("{{{}:{conversation}}}:seq", self.ns)
    }

    pub fn dm_messages(&self, conversation: &str) -> String {
        format!("{{{}:{conversation}}}:messages", self.ns)
    }

    pub fn dm_conversations(&self, uid: u64) -> String {
        self.of_user(uid, "dm_conversations")
    }

    pub fn dm_read(&self, uid: u64) -> String {
        self.of_user(uid, "dm_read")
    }

    pub fn requests(&self, uid: u64) -> String {
        self.of_user(uid, "requests")
    }

    pub fn muting(&self, uid: u64) -> String {
        self.of_user(uid, "muting")
    }

    pub fn mentions(&self, uid: u64) -> String {
        self.of_user(uid, "mentions")
    }

    pub fn notifications(&self, uid: u64) -> String {
        self.of_user(uid, "notifications")
    }

    pub fn notified_at(&self, uid: u64) -> String {
        self.of_user(uid, "notified_at")
    }

    /// The statuses carrying `tag` (folded, without `#`), in the tag's own slot.
    pub fn tag(&self, tag: &str) -> String {
        format!("{{{}:t:{tag}}}:statuses", self.ns)
    }
}

/// A timeline member: the author's id and the status id, so a reader finds the
/// status hash (which lives in the author's slot) without another lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    pub uid: u64,
    pub sid: u64,
}

impl Entry {
    pub fn member(self) -> String {
        format!("{}:{}", self.uid, self.sid)
    }

    pub fn parse(member: &str) -> Option<Entry> {
        let (uid, sid) = member.split_once(':')?;
        Some(Entry {
            uid: uid.parse().ok()?,
            sid: sid.parse().ok()?,
        })
    }

    /// The prefix shared by every member of one author, used to drop an
    /// unfollowed author's statuses from a home timeline.
    pub fn author_prefix(uid: u64) -> String {
        format!("{uid}:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cluster hash slot of a key (CRC16 of the hash tag, mod 16384), so tests can
    /// check that every script's keys share one slot.
    fn slot(key: &str) -> u16 {
        let bytes = key.as_bytes();
        let tagged = match key.find('{') {
            Some(open) => match key[open + 1..].find('}') {
                Some(len) if len > 0 => &bytes[open + 1..open + 1 + len],
                _ => bytes,
            },
            None => bytes,
        };
        let mut crc: u16 = 0;
        for &b in tagged {
            crc ^= u16::from(b) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc % 16384
    }

    #[test]
    fn slots_follow_redis() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(slot("123456789"), 12739);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{bar}{zap}"), slot("bar"));
        assert_ne!(
            slot("foo{}{bar}"),
            slot("bar"),
            "an empty first tag hashes the whole key"
        );
        assert_eq!(slot("foo"), 12182);
    }

    #[test]
    fn per_user_keys_share_a_slot_and_global_keys_share_another() {
        let k = Keys::new("roost");
        let user = [
            k.counts(42),
            k.status(42, 7),
            k.profile(42),
            k.home(42),
            k.followers(42),
            k.following(42),
            k.edge_gen(42),
            k.seen_gen(42),
            k.markers(42),
            k.outbox(42),
            k.replies(42, 7),
            k.children(42, 7),
            k.reposts(42, 7),
            k.home_originals(42),
            k.repost_originals(42),
            k.likes(42, 7),
            k.parents(42),
            k.liked(42),
            k.mentions(42),
            k.blocking(42),
            k.blocked_by(42),
            k.muting(42),
            k.requests(42),
            k.notifications(42),
            k.notified_at(42),
        ];
        assert!(
            user.iter().all(|key| slot(key) == slot(&k.counts(42))),
            "{user:?}"
        );
        let global = [
            k.logins(),
            k.uids(),
            k.next_user(),
            k.epoch(),
            k.schema(),
            k.user(42),
            k.next_status(),
            k.status_author(),
            k.pending_posts(),
            k.jobs(),
            k.parked(),
            k.refills(),
            k.logged_changes(),
            k.events(),
            k.pending_acts(),
            k.pending_reposts(),
            k.trend(29_000_000),
            k.trend_out(29_000_000),
            k.hidden_statuses(),
            k.suspended_accounts(),
            k.private_accounts(),
        ];
        assert!(
            global.iter().all(|key| slot(key) == slot(&k.logins())),
            "{global:?}"
        );
        assert_ne!(slot(&k.home(42)), slot(&k.home(43)));
        assert_ne!(slot(&k.tag("redis")), slot(&k.tag("rust")));
    }

    #[test]
    fn entries_round_trip() {
        let e = Entry { uid: 42, sid: 7 };
        assert_eq!(Entry::parse(&e.member()), Some(e));
        assert!(e.member().starts_with(&Entry::author_prefix(42)));
        assert_eq!(Entry::parse("x:1"), None);
    }
}
