//! What the engine's benchmarks and its simulation share: an engine holding `n` accounts
//! `wv:u0@localhost` … `wv:u<n-1>@localhost`, all with the password `pw` hashed at a cost
//! fit for tests (a real login checks it, cheaply).

use crate::auth::{hash_password, HashCost};
use crate::store::{Snapshot, UserRecord};
use crate::{Engine, EngineConfig};

/// The shard of `n` that owns `user` (normalised), as the engine places it.
pub fn shard_of(user: &str, n: usize) -> usize {
    crate::route::shard_of(user, n)
}

/// The id of test account `i`.
pub fn user(i: usize) -> String {
    format!("wv:u{i}@localhost")
}

/// An engine with `n` test accounts and `cfg`.
///
/// # Panics
/// If the password cannot be hashed (never, at these parameters).
pub fn engine_with_users(n: usize, cfg: EngineConfig) -> Engine {
    let snapshot = Snapshot {
        users: accounts(n),
        ..Default::default()
    };
    Engine::new(cfg, snapshot)
}

/// Test accounts `0..n`, password `pw`.
///
/// # Panics
/// If the password cannot be hashed (never, at these parameters).
pub fn accounts(n: usize) -> Vec<UserRecord> {
    let cheap = HashCost {
        memory_kib: 8,
        iterations: 1,
    };
    let hash = hash_password("pw", cheap).expect("hashing the test password");
    (0..n)
        .map(|i| UserRecord {
            id: user(i),
            password_hash: hash.clone(),
            digest_secret: None,
            disabled: false,
        })
        .collect()
}
