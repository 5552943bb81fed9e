//! One client connection's framing: JSON lines in with a length limit, and one
//! writer task that sends responses and events out in order. Buffers are small
//! so that thousands of idle subscribers cost little memory.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use roost_shared::Event;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use crate::stream::Outgoing;
use crate::stream::hub::Live;

/// Read buffer per connection; longer lines are read in several pieces.
const READ_BUFFER: usize = 1024;

/// What the next read produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// One request line, without its line ending.
    Request(Vec<u8>),
    /// A line longer than the limit: answer `too_large` and close.
    TooLarge,
    /// The client closed the connection.
    Closed,
}

pub struct LineReader {
    reader: BufReader<OwnedReadHalf>,
    max_line: usize,
}

impl LineReader {
    pub fn new(read: OwnedReadHalf, max_line: usize) -> LineReader {
        LineReader {
            reader: BufReader::with_capacity(READ_BUFFER, read),
            max_line,
        }
    }

    /// Reads the next non-blank line, never buffering more than the limit of it.
    pub async fn read_line(&mut self) -> io::Result<Line> {
        loop {
            let mut buf = Vec::new();
            let limit = self.max_line as u64 + 1;
            let n = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut buf)
                .await?;
            if n == 0 {
                return Ok(Line::Closed);
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            } else if buf.len() > self.max_line {
                return Ok(Line::TooLarge);
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Line::Request(buf));
        }
    }
}

/// The subscriptions of one connection, each with the count of events the hub
/// dropped for it since the client last heard.
pub type SubTable = Arc<Mutex<HashMap<u64, Arc<AtomicU64>>>>;

/// Writes everything for one connection, in order, until the queue closes.
/// Live events of a subscription that is replaying are held until its replay
/// ends, then sent without the ones replay already covered; a subscription that
/// lost events gets `lagged` first.
pub async fn write_loop(
    mut write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outgoing>,
    subs: SubTable,
) -> io::Result<()> {
    let mut held: HashMap<u64, Vec<Live>> = HashMap::new();
    // Per subscription, the eid its replay reached: live events up to it were
    // replayed already (the hub may hand them over after the replay ended).
    let mut floors: HashMap<u64, Box<str>> = HashMap::new();
    let mut line = Vec::with_capacity(256);
    while let Some(item) = rx.recv().await {
        match item {
            Outgoing::Response(r) => put(&mut line, &r)?,
            Outgoing::Begin(sub) => {
                held.insert(sub, Vec::new());
            }
            Outgoing::Replayed(e) => put(&mut line, &e)?,
            Outgoing::Live(live) => {
                let replayed = floors
                    .get(&live.sub)
                    .is_some_and(|f| live.event.eid.as_str() <= &**f);
                if let Some(buffer) = held.get_mut(&live.sub) {
                    buffer.push(live);
                } else if replayed {
                    // Already sent by the replay.
                } else if let Some(dropped) = live_sub(&subs, live.sub) {
                    put_lagged(&mut line, live.sub, &dropped)?;
                    live.event.write_line(live.sub, &mut line);
                }
            }
            Outgoing::End { sub, last } => {
                for live in held.remove(&sub).unwrap_or_default() {
                    let newer = last
                        .as_deref()
                        .is_none_or(|last| live.event.eid.as_str() > last);
                    if newer && live_sub(&subs, sub).is_some() {
                        live.event.write_line(sub, &mut line);
                    }
                }
                if let Some(last) = last {
                    floors.insert(sub, last);
                }
            }
        }
        if rx.is_empty() {
            let lagging: Vec<(u64, Arc<AtomicU64>)> = {
                let subs = subs.lock().unwrap_or_else(|p| p.into_inner());
                let lagging = subs.iter().filter(|(_, d)| d.load(Ordering::Relaxed) > 0);
                lagging.map(|(s, d)| (*s, d.clone())).collect()
            };
            for (sub, dropped) in lagging {
                put_lagged(&mut line, sub, &dropped)?;
            }
        }
        if !line.is_empty() && (rx.is_empty() || line.len() > 16 * 1024) {
            write.write_all(&line).await?;
            line.clear();
        }
    }
    if !line.is_empty() {
        write.write_all(&line).await?;
    }
    write.shutdown().await
}

fn live_sub(subs: &SubTable, sub: u64) -> Option<Arc<AtomicU64>> {
    subs.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&sub)
        .cloned()
}

fn put<T: Serialize>(line: &mut Vec<u8>, message: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *line, message).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(())
}

fn put_lagged(line: &mut Vec<u8>, sub: u64, dropped: &AtomicU64) -> io::Result<()> {
    let n = dropped.swap(0, Ordering::Relaxed);
    if n > 0 {
        put(line, &Event::Lagged { sub, dropped: n })?;
    }
    Ok(())
}
