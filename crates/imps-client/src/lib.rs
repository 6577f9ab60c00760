//! # imps-client
//!
//! The client side of IMPS: a real client session over HTTP ([`Client`]: login, negotiation,
//! requests, polling, acknowledgements), the codec conversions behind `imps wbxml
//! decode|encode`, and what the `imps` commands and `imps bench` (and `imps bench idle`) are built on.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod bench;
pub mod bench_idle;
pub mod codec;
pub mod commands;
pub mod groups;
pub mod invites;
pub mod profiles;
pub mod session;

pub use session::{Client, ClientConfig, ServerRequest};
