//! One client connection's framing: JSON lines in with a length limit, JSON
//! lines out. Responses are flushed when no further request is already waiting,
//! so a client that pipelines many requests gets them back in few writes.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

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

pub struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    max_line: usize,
}

impl Connection {
    pub fn new(stream: UnixStream, max_line: usize) -> Connection {
        let (read, write) = stream.into_split();
        Connection {
            reader: BufReader::new(read),
            writer: BufWriter::new(write),
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

    /// Writes one message as a JSON line; flushes unless another request is
    /// already buffered (it will be answered right after).
    pub async fn write<T: Serialize>(&mut self, message: &T) -> io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
        line.push(b'\n');
        self.writer.write_all(&line).await?;
        if self.reader.buffer().is_empty() {
            self.writer.flush().await?;
        }
        Ok(())
    }

    /// Flushes whatever is written.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.writer.flush().await
    }
}
