//! Event ids: an event's position in the daemon's event log.
//!
//! On the wire an eid is a string of two fixed-width numbers,
//! `0001795733167021-000003` (milliseconds and a sequence), so clients can sort
//! and compare eids as strings. In code it is an ordered pair, so nothing
//! compares or converts strings by hand.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A position in the event log; later events have greater eids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Eid {
    pub ms: u64,
    pub seq: u64,
}

impl Eid {
    /// Before every event.
    pub const ZERO: Eid = Eid { ms: 0, seq: 0 };

    /// Reads `ms-seq`, with or without the wire form's leading zeros; `None`
    /// for anything else.
    pub fn parse(text: &str) -> Option<Eid> {
        let (ms, seq) = text.split_once('-')?;
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<u64>().ok()
        };
        Some(Eid {
            ms: number(ms)?,
            seq: number(seq)?,
        })
    }
}

/// The wire form, fixed widths.
impl fmt::Display for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}-{:06}", self.ms, self.seq)
    }
}

impl FromStr for Eid {
    type Err = String;

    fn from_str(text: &str) -> Result<Eid, String> {
        Eid::parse(text).ok_or_else(|| format!("{text:?} is not an eid"))
    }
}

impl Serialize for Eid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Eid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Eid, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_sorts_like_eids_and_reads_back() {
        let ids = ["0-1", "9-0", "10-0", "1795733167021-2", "1795733167021-10"];
        let eids: Vec<Eid> = ids.iter().map(|i| Eid::parse(i).unwrap()).collect();
        assert!(eids.windows(2).all(|w| w[0] < w[1]));
        let wire: Vec<String> = eids.iter().map(Eid::to_string).collect();
        let mut sorted = wire.clone();
        sorted.sort();
        assert_eq!(sorted, wire, "strings sort as eids do");
        for (eid, text) in eids.iter().zip(&wire) {
            assert_eq!(text.parse::<Eid>().unwrap(), *eid);
            let json = serde_json::to_string(eid).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Eid>(&json).unwrap(), *eid);
        }
        assert_eq!(wire[3], "0001795733167021-000002");
        for bad in ["nonsense", "1-", "-1", "1-2-3", "+1-2", "1 -2", ""] {
            assert_eq!(Eid::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<Eid>("\"yesterday\"").is_err());
    }
}
