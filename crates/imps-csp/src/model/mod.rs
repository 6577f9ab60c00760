//! Typed model of every CSP primitive and the elements they are made of. Field order is the
//! strict child order of the version's content model; version ranges say where a child exists.

pub mod attributes;
pub mod common;
pub mod fundamental;
pub mod group;
pub mod im;
pub mod presence;
pub mod session;
#[cfg(test)]
mod test_util;
pub mod v13;

pub use attributes::*;
pub use common::*;
pub use fundamental::*;
pub use group::*;
pub use im::*;
pub use presence::*;
pub use session::*;
pub use v13::*;
