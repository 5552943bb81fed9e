//! Who may open another connection: every socket (the JSON-lines socket, the
//! HTTP socket, HTTP on TCP) asks here first, so one neighbour can neither take
//! all the connections nor lock the others out. A peer (a Unix uid, or an
//! address on TCP) holds at most `per_peer` connections; all together at most
//! `total`; and the last `reserve` of those only go to peers that hold almost
//! none, so someone else always gets in. Operators skip the per-peer and
//! reserve rules but count toward the total.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Whom a connection counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    Uid(u32),
    Addr(IpAddr),
}

/// Connections a peer may still open from the reserve.
const RESERVE_PER_PEER: usize = 2;

/// The connection limits and what is open.
#[derive(Debug)]
pub struct Admission {
    total: usize,
    per_peer: usize,
    reserve: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_peer: HashMap<Peer, usize>,
}

/// An admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    peer: Peer,
}

impl Admission {
    pub fn new(total: usize, per_peer: usize, reserve: usize) -> Arc<Admission> {
        Arc::new(Admission {
            total,
            per_peer,
            reserve: reserve.min(total),
            open: Mutex::new(Open::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for one more connection of `peer`, or why there is none.
    pub fn admit(self: &Arc<Self>, peer: Peer, operator: bool) -> Result<Ticket, String> {
        let mut open = self.lock();
        let held = open.per_peer.get(&peer).copied().unwrap_or(0);
        if open.total >= self.total {
            return Err(format!("roostd serves {} connections at most", self.total));
        }
        if !operator {
            if held >= self.per_peer {
                return Err(format!(
                    "at most {} connections per user; close one first",
                    self.per_peer
                ));
            }
            if open.total >= self.total - self.reserve && held >= RESERVE_PER_PEER {
                return Err("roostd is nearly full; the rest is kept for others".into());
            }
        }
        open.total += 1;
        *open.per_peer.entry(peer).or_default() += 1;
        Ok(Ticket {
            admission: self.clone(),
            peer,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.admission.lock();
        open.total -= 1;
        if let Some(held) = open.per_peer.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                open.per_peer.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_peer_can_neither_take_everything_nor_the_reserve() {
        let admission = Admission::new(10, 6, 4);
        let (greedy, other, third) = (Peer::Uid(1000), Peer::Uid(1001), Peer::Uid(1002));
        let mut tickets: Vec<Ticket> = (0..6)
            .map(|_| admission.admit(greedy, false).unwrap())
            .collect();
        assert!(admission.admit(greedy, false).is_err(), "per-peer cap");
        // 6 of 10 open: the last 4 are the reserve; others get in.
        tickets.push(admission.admit(other, false).unwrap());
        tickets.push(admission.admit(other, false).unwrap());
        assert!(
            admission.admit(other, false).is_err(),
            "a peer holding two gets no more of the reserve"
        );
        tickets.push(admission.admit(third, false).unwrap());
        tickets.push(admission.admit(Peer::Uid(0), true).unwrap());
        assert_eq!(admission.open(), 10);
        assert!(
            admission.admit(Peer::Uid(0), true).is_err(),
            "the total binds all"
        );
        tickets.truncate(3);
        assert_eq!(admission.open(), 3);
        assert!(admission.admit(greedy, false).is_ok());
        let addr = Peer::Addr("127.0.0.1".parse().unwrap());
        assert!(admission.admit(addr, false).is_ok());
    }
}
