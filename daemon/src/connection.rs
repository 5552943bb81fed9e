//! One client connection's framing: JSON lines in with a length limit, and one
//! writer task that sends responses and subscription events out in order.
//! Buffers are small so that thousands of idle subscribers cost little memory.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use roost_shared::Response;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::stream::Feed;
use crate::stream::subscription::{Merge, put};

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

/// What a connection's writer sends, in order. Kept small: a queue of them is
/// allocated per connection.
#[derive(Debug)]
pub enum Outgoing {
    /// A response, encoded, that holds `permits` of the connection's byte budget
    /// until it is handed to the socket.
    Line { bytes: Vec<u8>, permits: u32 },
    /// A small response outside the budget (a subscription's answer).
    Response(Box<Response>),
    /// A subscription's message, put in order by the writer's [`Merge`].
    Feed(Feed),
}

impl From<Feed> for Outgoing {
    fn from(feed: Feed) -> Outgoing {
        Outgoing::Feed(feed)
    }
}

/// Writes everything for one connection, in order, until the queue closes,
/// batching what is ready into one write. A write the client does not take
/// within `stall` ends the connection (and `closer` tells its reader).
pub async fn write_loop(
    mut write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outgoing>,
    budget: Arc<Semaphore>,
    stall: Duration,
    closer: Arc<Notify>,
) -> io::Result<()> {
    let mut merge = Merge::default();
    let mut line = Vec::with_capacity(256);
    let mut send = async |line: &mut Vec<u8>| -> io::Result<()> {
        let written = tokio::time::timeout(stall, write.write_all(line)).await;
        line.clear();
        match written {
            Ok(result) => result,
            Err(_) => {
                closer.notify_one();
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client stopped reading",
                ))
            }
        }
    };
    while let Some(item) = rx.recv().await {
        match item {
            Outgoing::Line { bytes, permits } => {
                line.extend_from_slice(&bytes);
                budget.add_permits(permits as usize);
            }
            Outgoing::Response(r) => put(&mut line, &r)?,
            Outgoing::Feed(feed) => merge.feed(feed, &mut line)?,
        }
        if rx.is_empty() {
            merge.report_lag(&mut line)?;
        }
        if !line.is_empty() && (rx.is_empty() || line.len() > 16 * 1024) {
            send(&mut line).await?;
        }
    }
    if !line.is_empty() {
        send(&mut line).await?;
    }
    write.shutdown().await
}
