//! Wire types of the Roost protocol (see `docs/protocol.md`), shared by `roostd`
//! and every client. No I/O runtime, no Redis, no terminal code lives here, so
//! both sides can depend on it.
//!
//! # Layout
//! - [`wire`]: requests, responses, events, error codes, and the objects they carry.
//! - [`eid`]: event ids, an event's ordered position in the event log.
//! - [`time`]: the protocol's RFC 3339 timestamps with milliseconds.
//! - [`validate`]: the protocol's rules for logins, names, texts, locations and
//!   location boxes (one parser for every way a box is written).
//! - [`paths`]: where clients and the daemon look for the socket.

pub mod eid;
pub mod paths;
pub mod time;
pub mod validate;
pub mod wire;

pub use eid::Eid;
pub use wire::*;

/// The protocol version `hello` reports: 2, PROTOCOL-SOCIAL.md whole
/// (version 1 clients accept any number from 1).
pub const PROTOCOL_VERSION: u32 = 2;

/// Longest request line, in bytes, that the daemon reads by default.
pub const MAX_LINE_BYTES: usize = 65_536;
