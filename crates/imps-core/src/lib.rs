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
mod durable;
#[cfg(test)]
mod durable_tests;
mod engine;
mod feature;
mod group;
pub mod hash;
mod load;
#[doc(hidden)]
pub mod loadgen;
#[cfg(test)]
mod mailbox_tests;
pub mod media;
#[cfg(test)]
mod memstore;
pub mod operator;
mod repair;
mod route;
mod shard;
#[cfg(test)]
mod sim;
mod state;
pub mod store;
mod unique;

pub use config::EngineConfig;
pub use durable::Durable;
pub use engine::{Engine, Handled, Outcome, Pending, Reached, Routed, Wake};
pub use feature::system::SystemAnswer;
pub use operator::{KickError, KickTarget, SessionInfo};

/// A secret identifier (SessionID, CIR token, nonce) as logs show it: its first six
/// characters. Logs never carry one in full (who reads the logs must not be able to take
/// over a session).
pub fn redact(id: &str) -> Redacted<'_> {
    Redacted(id)
}

/// See [`redact`].
pub struct Redacted<'a>(&'a str);

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.0.chars().take(6).collect();
        if head.len() < self.0.len() {
            write!(f, "{head}…")
        } else {
            write!(f, "{head}")
        }
    }
}
