//! # imps-client
//!
//! The client side of IMPS: for now the codec conversions behind `imps wbxml decode|encode`.
//! The session client (login, negotiation, polling, CIR), the people-facing commands and the
//! load generator come with the server.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod codec;
