//! A hostile (or merely curious) neighbour, and a bystander who measures: the
//! end-to-end hardening tests run it as other Unix users with `setpriv`.
//!
//!     roost-neighbour hold SOCKET N         open N connections, hold them until stdin closes
//!     roost-neighbour flood SOCKET N        send N big timeline reads, never read the answers
//!     roost-neighbour half-http SOCKET N    open N HTTP requests whose headers never end
//!     roost-neighbour replay SOCKET N       N connections that each replay the whole event log
//!     roost-neighbour probe SOCKET N        N `hello`s one after another, with latencies
//!
//! Each prints one JSON line of what it saw.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(socket), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: roost-neighbour hold|flood|half-http|probe SOCKET N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let report = match mode.as_str() {
        "hold" => hold(socket, n),
        "flood" => flood(socket, n),
        "half-http" => half_http(socket, n),
        "probe" => probe(socket, n),
        "replay" => replay(socket, n),
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    };
    println!("{report}");
}

/// Waits until standard input closes (the test says when to let go).
fn wait_for_stdin() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

/// Whether the other end closed `stream` within `wait`, without reading
/// anything from it.
fn closed_within(stream: &UnixStream, wait: Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut fd, 1, wait.as_millis() as libc::c_int) };
    n > 0 && fd.revents & (libc::POLLHUP | libc::POLLRDHUP | libc::POLLERR) != 0
}

/// Opens `n` connections; one that roostd answers at once was refused.
fn hold(socket: &str, n: usize) -> String {
    let mut held = Vec::new();
    let (mut accepted, mut refused, mut failed) = (0, 0, 0);
    for _ in 0..n {
        let Ok(stream) = UnixStream::connect(socket) else {
            failed += 1;
            continue;
        };
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut line = String::new();
        match BufReader::new(&stream).read_line(&mut line) {
            Ok(n) if n > 0 && line.contains("rate_limited") => refused += 1,
            Ok(0) => refused += 1,
            _ => {
                accepted += 1;
                held.push(stream);
            }
        }
    }
    println!(r#"{{"accepted":{accepted},"refused":{refused},"failed":{failed}}}"#);
    let _ = std::io::stdout().flush();
    wait_for_stdin();
    // Are the held ones still open?
    let open = held
        .iter()
        .filter(|s| !closed_within(s, Duration::ZERO))
        .count();
    format!(r#"{{"still_open":{open}}}"#)
}

/// Writes `n` requests for 200 statuses without reading an answer, then waits
/// (up to 60 s) for roostd to give up on it.
fn flood(socket: &str, n: usize) -> String {
    let mut stream = UnixStream::connect(socket).expect("connecting");
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let request = b"{\"op\":\"timeline\",\"kind\":\"profile\",\"login\":\"big\",\"count\":200}\n";
    let mut written = 0;
    for _ in 0..n {
        if stream.write_all(request).is_err() {
            break;
        }
        written += 1;
    }
    let start = Instant::now();
    let closed = closed_within(&stream, Duration::from_secs(60));
    let after = start.elapsed().as_millis();
    format!(r#"{{"written":{written},"closed":{closed},"closed_after_ms":{after}}}"#)
}

/// Opens `n` HTTP requests that never finish their headers; reports how many
/// roostd closed, and how soon.
fn half_http(socket: &str, n: usize) -> String {
    let mut open = Vec::new();
    let mut failed = 0;
    for _ in 0..n {
        match UnixStream::connect(socket) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET /statuses/firehose.json HTTP/1.1\r\nHost: roost\r\n");
                open.push(s);
            }
            Err(_) => failed += 1,
        }
    }
    let start = Instant::now();
    let mut closed = 0;
    for s in &open {
        let left = Duration::from_secs(30).saturating_sub(start.elapsed());
        if closed_within(s, left) {
            closed += 1;
        }
    }
    let after = start.elapsed().as_millis();
    format!(
        r#"{{"opened":{},"failed":{failed},"closed":{closed},"all_closed_after_ms":{after}}}"#,
        open.len()
    )
}

/// `n` connections that each subscribe from the start of the event log with a
/// filter that matches nothing (all cost, no output); reports when all are
/// answered.
fn replay(socket: &str, n: usize) -> String {
    let start = Instant::now();
    let request = b"{\"op\":\"subscribe\",\"stream\":{\"filter\":{\"track\":[\"zzzqqq\"]}},\"since\":\"0-1\"}\n";
    let mut streams = Vec::new();
    for _ in 0..n {
        if let Ok(mut s) = UnixStream::connect(socket) {
            let _ = s.write_all(request);
            streams.push(s);
        }
    }
    let mut answered = 0;
    for s in &streams {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut line = String::new();
        if BufReader::new(s).read_line(&mut line).is_ok() && line.contains("\"ok\":true") {
            answered += 1;
        }
    }
    format!(
        r#"{{"subscribed":{answered},"of":{n},"ms":{}}}"#,
        start.elapsed().as_millis()
    )
}

/// `n` hellos on one connection, one after another; latencies in µs.
fn probe(socket: &str, n: usize) -> String {
    let start = Instant::now();
    let stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) => return format!(r#"{{"answered":0,"error":"{e}"}}"#),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut latencies = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        if writer.write_all(b"{\"op\":\"hello\"}\n").is_err() {
            break;
        }
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(m) if m > 0 && line.contains("\"ok\":true") => {
                latencies.push(t.elapsed().as_micros() as u64)
            }
            _ => break,
        }
    }
    latencies.sort_unstable();
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    };
    format!(
        r#"{{"answered":{},"p50_us":{},"p99_us":{},"max_us":{},"total_ms":{}}}"#,
        latencies.len(),
        at(0.5),
        at(0.99),
        latencies.last().copied().unwrap_or(0),
        start.elapsed().as_millis()
    )
}
