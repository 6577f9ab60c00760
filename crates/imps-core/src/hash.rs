//! The engine's hash maps: a keyed hash (aHash) with keys the engine controls.
//!
//! std's `RandomState` draws its keys from the operating system, so the order a map iterates in
//! differs from one run to the next; the engine iterates some maps when it fans out (watchers
//! to notify, sessions to wake), and the simulation (`sim.rs`) must replay a seed exactly.
//! Here every map's keys come from a per-thread base, random (from the OS) unless the thread
//! was seeded (`seed_this_thread`, for the simulation); as with `RandomState`, each new map takes the next keys
//! after the base, so maps do not share an order. Attacker-chosen names still cannot be made
//! to collide without knowing the keys: aHash is keyed and built to resist hash flooding, as
//! std's SipHash-1-3 (what this used before) is, at about a third of its cost on the
//! engine's keys (user and session ids): 11 900 fewer instructions per delivered message in
//! impsd (BENCHMARKS.md, session 9).

use std::cell::Cell;
use std::hash::BuildHasher;

use rand::RngCore;

/// A `HashMap` with the engine's keyed hasher.
pub type HashMap<K, V> = std::collections::HashMap<K, V, Keyed>;
/// A `HashSet` with the engine's keyed hasher.
pub type HashSet<K> = std::collections::HashSet<K, Keyed>;

/// Builds keyed hashers (aHash) with this map's keys.
#[derive(Clone, Debug)]
pub struct Keyed(ahash::RandomState);

thread_local! {
    /// Keys for the next map made on this thread.
    static NEXT: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

impl Default for Keyed {
    fn default() -> Keyed {
        NEXT.with(|next| {
            let (k0, k1) = next.get().unwrap_or_else(|| {
                let mut rng = rand::rng();
                (rng.next_u64(), rng.next_u64())
            });
            next.set(Some((k0.wrapping_add(1), k1)));
            Keyed(ahash::RandomState::with_seeds(
                k0,
                k1,
                k0 ^ 0x243f_6a88_85a3_08d3,
                k1 ^ 0x1319_8a2e_0370_7344,
            ))
        })
    }
}

impl BuildHasher for Keyed {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// Makes the maps this thread creates from now on iterate in an order fixed by `seed`.
#[cfg(test)]
pub(crate) fn seed_this_thread(seed: u64) {
    NEXT.with(|next| next.set(Some((seed, seed.rotate_left(32) ^ 0x5eed))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(seed: Option<u64>) -> Vec<u32> {
        if let Some(seed) = seed {
            seed_this_thread(seed);
        }
        let set: HashSet<u32> = (0..64).collect();
        set.into_iter().collect()
    }

    /// A seeded thread makes maps that iterate the same way every time; unseeded threads
    /// (production) do not.
    #[test]
    fn seeded_maps_iterate_in_a_fixed_order() {
        let first = std::thread::spawn(|| order(Some(7)))
            .join()
            .expect("thread");
        let again = std::thread::spawn(|| order(Some(7)))
            .join()
            .expect("thread");
        assert_eq!(first, again);
        let unseeded: Vec<Vec<u32>> = (0..4)
            .map(|_| std::thread::spawn(|| order(None)).join().expect("thread"))
            .collect();
        assert!(unseeded.iter().any(|o| *o != unseeded[0]), "random keys");
    }
}
