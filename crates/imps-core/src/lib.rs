//! # imps-core
//!
//! The IMPS engine, without I/O: sessions, presence, contact lists, instant messaging
//! (csp-reference.md §2–§3). A request message goes in with the current time; a response
//! message, the durable writes it caused and the sessions to wake come out ([`Outcome`]).
//!
//! What it does not do: sockets, HTTP, SQL, clocks, CIR channels. The server crate does those;
//! the storage backends implement [`store::Store`].
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
mod engine;
mod feature;
mod load;
pub mod media;
mod state;
pub mod store;
mod unique;

pub use config::EngineConfig;
pub use engine::{Engine, Outcome, Reached, Wake};
