//! # imps-core
//!
//! The IMPS engine, without I/O: sessions, presence, contact lists, instant messaging.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod store;
