//! What a subscription matches: `home`, `firehose`, `sample` and `filter`
//! (`follow`, `track`, `locations`, combined with OR), by the protocol's rules.
//!
//! `track` follows Twitter: a phrase matches a status containing every one of
//! its space-separated words, in any order; a status's words are runs of
//! letters, digits and `_`, compared without case, so `redis` matches "Redis!"
//! and "#redis", while `#redis` or `@bob` match only that hashtag or mention.
//! Beyond Twitter, a word in a script written without spaces (Chinese,
//! Japanese, Thai, ...) matches wherever it appears in the text.

use std::collections::HashSet;

use roost_shared::{Location, Status};

use crate::store::Happening;
use crate::store::safety::SafetySets;
use crate::store::visibility::{Author, Place, Viewer, visible};
use crate::stream::restrictions::{Facts, Standing};

/// Most logins a `follow` part may name.
pub const MAX_FOLLOW: usize = 5000;
/// Most phrases in a `track` part.
pub const MAX_TRACK: usize = 400;
/// Most boxes in a `locations` part.
pub const MAX_LOCATIONS: usize = 25;
/// Longest `track` phrase, in bytes.
pub const MAX_PHRASE_BYTES: usize = 60;

/// What a subscription's stream matches.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Statuses entering `account`'s home timeline (its own and those of the
    /// users it follows, kept current from the follow events), their deletes,
    /// and follows and unfollows that involve it.
    Home {
        account: u64,
        following: HashSet<u64>,
    },
    Firehose,
    /// A deterministic sample: the same identity always gets the same statuses.
    Sample {
        percent: u8,
        identity: u64,
    },
    Filter(Filter),
    /// The notifications of `account`, with whom it follows (kept current
    /// from the follow events): a notification whose status's author went
    /// private since is for its followers only.
    Notifications {
        account: u64,
        following: HashSet<u64>,
    },
    /// The direct messages of `account`'s conversations.
    Direct {
        account: u64,
    },
}

/// A compiled `filter` stream.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub follow: HashSet<u64>,
    pub track: Vec<Phrase>,
    pub locations: Vec<[f64; 4]>,
}

/// One `track` phrase: every word must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase(Vec<Word>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    /// A word of letters, digits and `_`, lowercased.
    Plain(String),
    Hashtag(String),
    Mention(String),
    /// Text in a script without spaces, lowercased: found anywhere.
    Anywhere(String),
}

/// A subscription's matching state: what its stream matches, and what its
/// account keeps out (blocks both ways, mutes), kept current from the log.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub kind: Kind,
    viewer: Viewer,
    /// The accounts that block the subscriber.
    blocked_by: HashSet<u64>,
}

impl Matcher {
    /// A matcher for `account`'s subscription (`None`: a caller without one),
    /// keeping out what `sets` name.
    pub fn new(kind: Kind, account: Option<u64>, sets: SafetySets) -> Matcher {
        Matcher {
            kind,
            viewer: Viewer {
                account,
                blocking: sets.blocking,
                muting: sets.muting,
            },
            blocked_by: sets.blocked_by,
        }
    }

    /// Whether the happening goes to this subscription: it matches, and the
    /// subscriber may see it (the one visibility decision). Live delivery and
    /// replay both ask this; blocks and mutes of the subscriber's account
    /// update what it keeps out here, and are never delivered themselves.
    /// `facts` is what the restrictions say of its statuses now
    /// ([`Restrictions::facts`]).
    pub fn delivers(&mut self, happening: &Happening, facts: &Facts) -> bool {
        if self.keep_current(happening) || !self.kind.matches(happening) {
            return false;
        }
        // A private account's statuses (by whether it is private now) go
        // to their followers' (and their own) home streams and nowhere else;
        // the home stream's own rule already holds whom the subscriber
        // follows.
        let home = matches!(self.kind, Kind::Home { .. });
        let sees = |s: &roost_shared::Status, now: Standing| {
            let author = Author {
                blocks_viewer: self.blocked_by.contains(&s.uid),
                private: now.private,
                followed: home,
                suspended: now.suspended,
                hidden: now.hidden,
            };
            (home || !now.private) && visible(&self.viewer, s, author, Place::Stream)
        };
        match happening {
            Happening::Status(status) | Happening::Delete(status) => {
                sees(status, facts.status)
                    && status
                        .repost_of
                        .as_deref()
                        .is_none_or(|o| sees(o, facts.original))
            }
            Happening::Notification { notification, .. } => {
                let from = notification.from.id;
                // Its status was visible to the recipient when it was made;
                // moderation or privacy since may have taken it away.
                let following = match &self.kind {
                    Kind::Notifications { following, .. } => Some(following),
                    _ => None,
                };
                let moderated_away = |s: &roost_shared::Status, now: Standing| {
                    self.viewer.account != Some(s.uid)
                        && (now.hidden
                            || now.suspended
                            || (now.private && following.is_none_or(|f| !f.contains(&s.uid))))
                };
                let status = notification.status.as_ref();
                !(self.viewer.blocking.contains(&from)
                    || self.viewer.muting.contains(&from)
                    || self.blocked_by.contains(&from)
                    || status.is_some_and(|s| {
                        moderated_away(s, facts.status)
                            || s.repost_of
                                .as_deref()
                                .is_some_and(|o| moderated_away(o, facts.original))
                    }))
            }
            _ => true,
        }
    }

    /// Applies a block or mute that concerns the subscriber; true for those
    /// (and for any block or mute: they are never delivered).
    fn keep_current(&mut self, happening: &Happening) -> bool {
        let Some(me) = self.viewer.account else {
            return matches!(
                happening,
                Happening::Block { .. } | Happening::Mute { .. } | Happening::Restriction(_)
            );
        };
        let set = |set: &mut HashSet<u64>, id: u64, on: bool| {
            if on {
                set.insert(id);
            } else {
                set.remove(&id);
            }
        };
        match *happening {
            Happening::Block { who, whom, on } => {
                if who == me {
                    set(&mut self.viewer.blocking, whom, on);
                }
                if whom == me {
                    set(&mut self.blocked_by, who, on);
                }
                true
            }
            Happening::Mute { who, whom, on } => {
                if who == me {
                    set(&mut self.viewer.muting, whom, on);
                }
                true
            }
            // The hub keeps moderation for every subscription.
            Happening::Restriction(_) => true,
            _ => false,
        }
    }
}

impl Kind {
    /// Whether the happening belongs on this subscription. Home subscriptions
    /// also follow the caller's follows and unfollows here.
    pub fn matches(&mut self, happening: &Happening) -> bool {
        match self {
            Kind::Home { account, following } => match happening {
                Happening::Status(s) | Happening::Delete(s) => {
                    s.uid == *account || following.contains(&s.uid)
                }
                Happening::Follow { follower, followed } => {
                    if follower.id == *account {
                        following.insert(followed.id);
                    }
                    follower.id == *account || followed.id == *account
                }
                Happening::Unfollow { follower, followed } => {
                    if follower.id == *account {
                        following.remove(&followed.id);
                    }
                    follower.id == *account || followed.id == *account
                }
                Happening::Notification { .. }
                | Happening::Message { .. }
                | Happening::Block { .. }
                | Happening::Mute { .. }
                | Happening::Restriction(_) => false,
            },
            Kind::Direct { account } => matches!(
                happening,
                Happening::Message { participants, .. } if participants.contains(account)
            ),
            Kind::Notifications { account, following } => match happening {
                Happening::Notification { to, .. } => to == account,
                Happening::Follow { follower, followed } if follower.id == *account => {
                    following.insert(followed.id);
                    false
                }
                Happening::Unfollow { follower, followed } if follower.id == *account => {
                    following.remove(&followed.id);
                    false
                }
                _ => false,
            },
            Kind::Firehose => matches!(happening, Happening::Status(_) | Happening::Delete(_)),
            Kind::Sample { percent, identity } => match happening {
                Happening::Status(s) | Happening::Delete(s) => sampled(*identity, s.id, *percent),
                _ => false,
            },
            Kind::Filter(filter) => match happening {
                Happening::Status(s) | Happening::Delete(s) => filter.matches(s),
                _ => false,
            },
        }
    }
}

/// Whether status `sid` is in `identity`'s `percent`% sample.
pub fn sampled(identity: u64, sid: u64, percent: u8) -> bool {
    // SplitMix64 of the pair: well spread, stable across runs and builds.
    let mut z = identity.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ sid;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z % 100 < u64::from(percent)
}

impl Filter {
    pub fn matches(&self, status: &Status) -> bool {
        if self.follow.contains(&status.uid) {
            return true;
        }
        if let Some(Location { lat, lon }) = status.location {
            let inside = |b: &[f64; 4]| b[0] <= lon && lon <= b[2] && b[1] <= lat && lat <= b[3];
            if self.locations.iter().any(inside) {
                return true;
            }
        }
        if self.track.is_empty() {
            return false;
        }
        let text = Text::new(&status.text);
        self.track.iter().any(|p| p.matches(&text))
    }
}

/// A status text taken apart once for matching every phrase.
struct Text {
    lower: String,
    words: HashSet<String>,
    hashtags: HashSet<String>,
    mentions: HashSet<String>,
}

/// Text as matching compares it: compatibility-composed (so `cafe` + U+0301
/// is `café`, and full-width letters are plain), lowercased, with final sigma
/// as sigma and the dot that lowercasing `İ` leaves dropped, so `ΟΔΟΣ`
/// matches `οδος` and `İstanbul` matches `istanbul`.
pub(crate) fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| *c != '\u{0307}')
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Scripts written without spaces between words.
fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x0F00..=0x0FFF // Tibetan
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF // CJK
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F // half-width Katakana
        | 0x20000..=0x3134F)
}

/// The runs of word characters in `text`, each with the character before it.
fn runs(text: &str) -> Vec<(Option<char>, String)> {
    let mut out = Vec::new();
    let mut prev = None;
    let mut current = String::new();
    let mut before = None;
    for c in text.chars() {
        // A script without spaces ends a run of another script and starts its
        // own: "Redis是一个数据库" holds the word "redis".
        let script_changes = prev.is_some_and(|p| is_unspaced(p) != is_unspaced(c));
        if is_word_char(c) && script_changes && !current.is_empty() {
            out.push((before, std::mem::take(&mut current)));
        }
        if is_word_char(c) {
            if current.is_empty() {
                before = prev;
            }
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push((before, std::mem::take(&mut current)));
        }
        prev = Some(c);
    }
    if !current.is_empty() {
        out.push((before, current));
    }
    out
}

/// The hashtags and mentions written in a status text, by the word rules of
/// `track`: `#` or `@` at the start of the text or after a non-word character,
/// then a run of word characters (in a script without spaces, up to the next
/// non-word character). Folded as matching folds text (so lowercased); each
/// once, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub tags: Vec<String>,
    /// As written after `@` (folded): which of them are accounts is the store's
    /// to say.
    pub mentions: Vec<String>,
}

impl Marks {
    pub fn of(text: &str) -> Marks {
        let text = fold(text);
        let mut marks = Marks::default();
        let mut prev: Option<char> = None;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let starts = prev.is_none_or(|p| !is_word_char(p));
            prev = Some(c);
            let list = match c {
                '#' | '＃' if starts => &mut marks.tags,
                '@' | '＠' if starts => &mut marks.mentions,
                _ => continue,
            };
            let mut word = String::new();
            while let Some(&w) = chars.peek().filter(|w| is_word_char(**w)) {
                word.push(w);
                prev = Some(w);
                chars.next();
            }
            if !word.is_empty() && !list.contains(&word) {
                list.push(word);
            }
        }
        marks
    }
}

/// A tag as a client names it (with or without `#`, any case), folded as a
/// status's tags are; `None` if it is not one word.
pub fn tag(text: &str) -> Option<String> {
    let word = text.strip_prefix('#').unwrap_or(text);
    if word.is_empty() || !word.chars().all(is_word_char) {
        return None;
    }
    Marks::of(&format!("#{word}")).tags.pop()
}

impl Text {
    fn new(text: &str) -> Text {
        let text = &fold(text);
        let mut t = Text {
            lower: text.clone(),
            words: HashSet::new(),
            hashtags: HashSet::new(),
            mentions: HashSet::new(),
        };
        for (before, word) in runs(text) {
            match before {
                Some('#' | '＃') => t.hashtags.insert(word.clone()),
                Some('@' | '＠') => t.mentions.insert(word.clone()),
                _ => false,
            };
            t.words.insert(word);
        }
        // What a status lists as its tags and mentions matches too, so
        // `#数据库很好` matches the tag the status carries.
        let marks = Marks::of(text);
        t.hashtags.extend(marks.tags);
        t.mentions.extend(marks.mentions);
        t
    }
}

impl Phrase {
    /// Compiles a phrase; `Err` says why it is not one.
    pub fn parse(phrase: &str) -> Result<Phrase, String> {
        if phrase.is_empty() || phrase.len() > MAX_PHRASE_BYTES {
            return Err(format!(
                "track phrase {phrase:?} must be 1 to {MAX_PHRASE_BYTES} bytes"
            ));
        }
        let mut words = Vec::new();
        let phrase = fold(phrase);
        for raw in phrase.split_whitespace() {
            let (kind, rest): (fn(String) -> Word, &str) = match raw.chars().next() {
                Some('#') => (Word::Hashtag, &raw[1..]),
                Some('@') => (Word::Mention, &raw[1..]),
                _ => (Word::Plain, raw),
            };
            if rest.chars().any(is_unspaced) {
                words.push(Word::Anywhere(rest.to_lowercase()));
                continue;
            }
            let parts = runs(rest);
            match (kind(String::new()), parts.as_slice()) {
                (Word::Plain(_), _) => words.extend(parts.into_iter().map(|(_, w)| Word::Plain(w))),
                (_, [(_, w)]) => words.push(kind(w.clone())),
                _ => return Err(format!("{raw:?} is not a hashtag or mention")),
            }
        }
        if words.is_empty() {
            return Err(format!("track phrase {phrase:?} has no words"));
        }
        Ok(Phrase(words))
    }

    fn matches(&self, text: &Text) -> bool {
        self.0.iter().all(|w| match w {
            Word::Plain(w) => text.words.contains(w),
            Word::Hashtag(w) => text.hashtags.contains(w),
            Word::Mention(w) => text.mentions.contains(w),
            Word::Anywhere(w) => text.lower.contains(w.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(text: &str) -> Status {
        Status {
            id: 1,
            uid: 9,
            login: "x".into(),
            text: text.into(),
            posted: String::new(),
            ..Status::default()
        }
    }

    fn track(phrases: &[&str], text: &str) -> bool {
        let filter = Filter {
            track: phrases.iter().map(|p| Phrase::parse(p).unwrap()).collect(),
            ..Filter::default()
        };
        filter.matches(&status(text))
    }

    #[test]
    fn twitters_own_examples() {
        let phrases = ["twitter api", "twitter streaming"];
        assert!(track(&phrases, "The Twitter API is awesome"));
        assert!(track(&phrases, "The twitter streaming service is fast"));
        assert!(track(&phrases, "Twitter has a streaming API"));
        assert!(!track(&phrases, "I'm new to Twitter"));
        assert!(track(&["twitter"], "TWITTER"));
        assert!(track(&["twitter"], "#twitter"));
        assert!(track(&["twitter"], "@twitter"));
        assert!(track(&["twitter"], "twitter's"));
        assert!(!track(&["twitter"], "twitterapi"));
    }

    #[test]
    fn punctuation_hashtags_and_mentions() {
        assert!(track(&["redis"], "Redis!"));
        assert!(track(&["redis"], "love #redis."));
        assert!(track(&["#redis"], "love #Redis."));
        assert!(!track(&["#redis"], "love redis"));
        assert!(!track(&["#redis"], "love @redis"));
        assert!(track(&["@bob"], "hi @Bob, lunch?"));
        assert!(!track(&["@bob"], "bob is here"));
        assert!(track(&["rust tui"], "a TUI in Rust"));
        assert!(track(&["don't"], "I don't know"));
        assert!(track(&["café"], "Café au lait"));
        // Case pairs that need full folding and normalisation.
        assert!(track(&["οδος"], "ΟΔΟΣ"));
        assert!(track(&["ΟΔΟΣ"], "η οδος"));
        assert!(track(&["istanbul"], "İstanbul'da"));
        assert!(track(&["İstanbul"], "istanbul"));
        assert!(track(&["café"], "cafe\u{301} noir"));
        assert!(track(&["cafe\u{301}"], "Café"));
        assert!(track(&["redis"], "ＲＥＤＩＳ"));
        assert!(Phrase::parse("#").is_err());
        assert!(Phrase::parse("...").is_err());
        assert!(Phrase::parse(&"a".repeat(61)).is_err());
    }

    #[test]
    fn words_in_scripts_without_spaces() {
        assert!(track(&["数据库"], "我喜欢数据库"));
        assert!(track(&["データベース"], "新しいデータベースです"));
        assert!(track(&["ฐานข้อมูล"], "ผมชอบฐานข้อมูลมาก"));
        assert!(!track(&["数据库"], "我喜欢数据"));
        assert!(track(&["redis 数据库"], "Redis是一个数据库"));
    }

    #[test]
    fn tags_and_mentions_are_the_marked_words() {
        let m = Marks::of("#Redis and #rust, #redis again @Bob: @bob_2! a#b x@y #数据库很好 #");
        assert_eq!(m.tags, ["redis", "rust", "数据库很好"]);
        assert_eq!(m.mentions, ["bob", "bob_2"]);
        let m = Marks::of("（＃ＲＥＤＩＳ） @@alice #_under #İstanbul");
        assert_eq!(m.tags, ["redis", "_under", "istanbul"]);
        assert_eq!(m.mentions, ["alice"]);
        // A status's own tag is matched by `track` written the same way.
        assert!(track(&["#数据库很好"], "看 #数据库很好"));
        assert!(track(&["#redis"], "#Redis是一个数据库"));
        assert_eq!(tag("#Redis").as_deref(), Some("redis"));
        assert_eq!(tag("ＲＥＤＩＳ").as_deref(), Some("redis"));
        assert_eq!(tag("two words"), None);
        assert_eq!(tag("#"), None);
    }

    #[test]
    fn follow_and_locations() {
        let filter = Filter {
            follow: [9].into(),
            locations: vec![[-122.75, 36.8, -121.75, 37.8]],
            ..Filter::default()
        };
        assert!(filter.matches(&status("anything")));
        let mut other = status("x");
        other.uid = 10;
        assert!(!filter.matches(&other));
        for (lat, lon, inside) in [
            (37.0, -122.0, true),
            (36.8, -122.75, true),
            (37.8, -121.75, true),
            (36.79, -122.0, false),
            (37.0, -121.74, false),
        ] {
            other.location = Some(Location { lat, lon });
            assert_eq!(filter.matches(&other), inside, "{lat} {lon}");
        }
    }

    #[test]
    fn samples_are_deterministic_and_proportional() {
        let hits = (1..=100_000).filter(|sid| sampled(42, *sid, 10)).count();
        assert!((9_000..11_000).contains(&hits), "{hits}");
        let a: Vec<bool> = (1..1000).map(|sid| sampled(7, sid, 30)).collect();
        let b: Vec<bool> = (1..1000).map(|sid| sampled(7, sid, 30)).collect();
        assert_eq!(a, b);
        let c: Vec<bool> = (1..1000).map(|sid| sampled(8, sid, 30)).collect();
        assert_ne!(a, c, "another identity gets another sample");
        assert!((1..1000).all(|sid| sampled(1, sid, 100)));
    }

    #[test]
    fn fuzz_track_phrases_and_texts() {
        use proptest::prelude::*;
        use roost_tests::fuzz::regex;
        let text = prop_oneof![
            regex("\\PC{0,60}"),
            regex(".{0,60}"),
            regex("[a-zA-Z #@İıΣσς数据库é\u{301}_.!]{0,40}")
        ];
        roost_tests::fuzz::fuzz("track", (text.clone(), text), |(phrase, text)| {
            // Never panics, whatever the phrase and the text.
            let parsed = Phrase::parse(&phrase);
            let status = status(&text);
            if let Ok(p) = &parsed {
                let filter = Filter {
                    track: vec![p.clone()],
                    ..Filter::default()
                };
                let _ = filter.matches(&status);
            }
            // Every word of a text, as a phrase, matches that text.
            for (_, word) in runs(&fold(&text)) {
                if word.len() > MAX_PHRASE_BYTES {
                    continue;
                }
                let phrase = Phrase::parse(&word);
                prop_assert!(phrase.is_ok(), "{:?}", word);
                let filter = Filter {
                    track: vec![phrase.unwrap()],
                    ..Filter::default()
                };
                prop_assert!(filter.matches(&status), "{:?} in {:?}", word, text);
            }
            Ok(())
        });
    }
}
