//! Replays of real handsets' sessions (csp-reference.md §11): each step is a request in the
//! shape that phone was seen to send, encoded as its engine encodes, over real HTTP against the
//! real server; each assertion is what a user of that phone needs from the answer.

mod android;
mod colibria;
mod common;
mod nokia;
mod razr;
