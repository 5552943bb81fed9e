//! roost: the terminal app of Roost, and its subcommands for scripts.
//!
//! # Layout
//! - [`client`]: finding or starting roostd, and a request/event connection.
//! - [`app`]: the state, `Msg` in, `Effect`s out: `update` is the only place it changes.
//! - [`ui`]: drawing the state with ratatui; `render` only reads.
//! - [`keys`]: the key table behind both the app and its help overlay, remappable.
//! - [`text`]: sanitizing, wrapping by display width, relative times.
//! - [`run`]: the terminal and the event loop.
//! - [`backend`]: the connection task: effects in, messages out, reconnecting.
//! - [`cli`]: the subcommands for scripts.
//! - [`doctor`]: `roost doctor`, what is wrong in words.

pub mod app;
pub mod backend;
pub mod cli;
pub mod client;
pub mod doctor;
pub mod keys;
pub mod run;
pub mod text;
pub mod ui;
