//! Commit streams: each shard's writes reach the store in the order the shard made them, and
//! nothing a request produced is released before the writes it follows are durable.
//!
//! A shard submits its writes to the store while it still holds its own state (one numbered
//! batch per engine call), so two calls on one shard can never reach the store in the other
//! order. Each [`Outcome`](crate::Outcome) carries a [`Durable`]: for every shard the call
//! touched, the number of the last batch on it that made a promise (everything but
//! acknowledged deliveries). The server awaits it before it answers or wakes anyone, so a
//! response never shows state the store does not have yet.
//!
//! A batch that fails leaves memory ahead of the store. Its users are marked *diverged*; the
//! shard answers 503 until every batch it submitted has settled, then reloads those users
//! from the store ([`Store::load_user`]) and serves again. Every request whose wait covers a
//! failed batch fails (the server answers 500): it may have seen the change that was lost.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::store::{Store, StoreError, Write};

/// How far a shard's stream has settled, as waiters see it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Progress {
    /// Every batch up to this number has settled (durable or failed).
    pub settled: u64,
    /// Batches that failed (the most recent [`MAX_FAILED_KEPT`]).
    pub failed: BTreeSet<u64>,
}

/// Failed batch numbers remembered for waiters (a store that fails every batch must not
/// grow memory without bound; a waiter that old has long been answered).
const MAX_FAILED_KEPT: usize = 65_536;

/// What settled out of order (a batch refused at once while older ones were still queued).
#[derive(Default)]
struct Settling {
    ahead: BTreeSet<u64>,
}

/// One shard's commit stream.
pub(crate) struct Stream {
    progress: watch::Sender<Progress>,
    settling: Mutex<Settling>,
    /// Users whose memory may be ahead of the store (a batch of theirs failed).
    diverged: Mutex<BTreeSet<String>>,
    /// Whether `diverged` is non-empty: read on every call, without the lock.
    any_diverged: AtomicBool,
}

impl Stream {
    fn new() -> Arc<Stream> {
        Arc::new(Stream {
            progress: watch::channel(Progress::default()).0,
            settling: Mutex::new(Settling::default()),
            diverged: Mutex::new(BTreeSet::new()),
            any_diverged: AtomicBool::new(false),
        })
    }

    /// Records batch `seq`'s result (called by the store, from any thread, never with a shard
    /// locked by this thread's caller waiting on it).
    fn settle(&self, seq: u64, result: Result<(), StoreError>, users: BTreeSet<String>) {
        let failed = result.is_err();
        if let Err(e) = result {
            tracing::error!(error = %e, batch = seq, users = users.len(), "commit failed: the shard reloads these users from the store before it serves again");
            self.mark(users);
        }
        let mut settling = self.settling.lock();
        settling.ahead.insert(seq);
        self.progress.send_modify(|p| {
            if failed {
                p.failed.insert(seq);
                while p.failed.len() > MAX_FAILED_KEPT {
                    p.failed.pop_first();
                }
            }
            while settling.ahead.remove(&(p.settled + 1)) {
                p.settled += 1;
            }
        });
    }

    /// Adds users to reload.
    fn mark(&self, users: BTreeSet<String>) {
        let mut diverged = self.diverged.lock();
        diverged.extend(users);
        self.any_diverged
            .store(!diverged.is_empty(), Ordering::Release);
    }

    fn settled(&self) -> u64 {
        self.progress.borrow().settled
    }
}

/// The commit streams of an engine's shards, and the store they write to.
pub(crate) struct Commits {
    store: Arc<dyn Store>,
    streams: Vec<Arc<Stream>>,
}

/// Where a shard's stream stands, kept in the shard's state (under its lock).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Position {
    /// The last batch submitted.
    pub submitted: u64,
    /// The last batch that made a promise (not only acknowledged deliveries).
    pub promised: u64,
    /// `submitted` when the shard last reloaded diverged users: failures up to it are repaired.
    pub repaired: u64,
}

impl Commits {
    pub(crate) fn new(store: Arc<dyn Store>, shards: usize) -> Commits {
        Commits {
            store,
            streams: (0..shards).map(|_| Stream::new()).collect(),
        }
    }

    /// Submits a shard's writes as its next batch (the caller holds the shard's state, so
    /// batches reach the store in the shard's order).
    pub(crate) fn submit(&self, shard: usize, pos: &mut Position, writes: Vec<Write>) {
        pos.submitted += 1;
        let seq = pos.submitted;
        if !writes.iter().all(Write::answer_before_durable) {
            pos.promised = seq;
        }
        let users: BTreeSet<String> = writes.iter().map(|w| w.user().to_owned()).collect();
        let stream = Arc::clone(&self.streams[shard]);
        self.store
            .commit_then(writes, Box::new(move |r| stream.settle(seq, r, users)));
    }

    /// What an outcome of `shard` at `pos` waits for before it is released.
    pub(crate) fn wait_for(&self, shard: usize, pos: &Position) -> Durable {
        {
            let p = self.streams[shard].progress.borrow();
            if p.settled >= pos.promised && !failed_between(&p.failed, pos.repaired, pos.promised) {
                // Nothing in flight that this call could have seen (the common case of a read).
                return Durable::default();
            }
        }
        Durable {
            waits: vec![Wait {
                shard,
                rx: self.streams[shard].progress.subscribe(),
                seq: pos.promised,
                floor: pos.repaired,
            }],
        }
    }

    /// The shard's batches up to this one have settled (contiguously).
    pub(crate) fn settled(&self, shard: usize) -> u64 {
        self.streams[shard].settled()
    }

    /// Whether the shard has users to reload before it may serve.
    pub(crate) fn diverged(&self, shard: usize) -> bool {
        self.streams[shard].any_diverged.load(Ordering::Acquire)
    }

    /// The users to reload, once every batch the shard submitted has settled (the store then
    /// has everything the shard will ever get to it); `None` while batches are in flight.
    pub(crate) fn take_diverged(&self, shard: usize, pos: &Position) -> Option<BTreeSet<String>> {
        let stream = &self.streams[shard];
        if stream.settled() < pos.submitted {
            return None;
        }
        let mut diverged = stream.diverged.lock();
        stream.any_diverged.store(false, Ordering::Release);
        Some(std::mem::take(&mut *diverged))
    }

    /// Puts back users whose reload failed.
    pub(crate) fn still_diverged(&self, shard: usize, users: BTreeSet<String>) {
        self.streams[shard].mark(users);
    }

    /// The store.
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// One shard's part of a [`Durable`].
#[derive(Clone, Debug)]
struct Wait {
    shard: usize,
    rx: watch::Receiver<Progress>,
    /// The batch to wait for.
    seq: u64,
    /// Failures at or below this were repaired before the call.
    floor: u64,
}

/// The writes an outcome depends on: await [`Durable::wait`] before releasing the response or
/// the wake-ups.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    waits: Vec<Wait>,
}

impl Durable {
    /// Adds `other`'s waits (the later batch of each shard wins).
    pub(crate) fn merge(&mut self, other: Durable) {
        for w in other.waits {
            match self.waits.iter_mut().find(|m| m.shard == w.shard) {
                Some(m) => {
                    m.seq = m.seq.max(w.seq);
                    m.floor = m.floor.min(w.floor);
                }
                None => self.waits.push(w),
            }
        }
    }

    /// Whether there is nothing to wait for.
    pub fn is_empty(&self) -> bool {
        self.waits.is_empty()
    }

    /// Without waiting: `None` while a batch waited for is in flight, else what
    /// [`Durable::wait`] would resolve to.
    pub fn settled_now(&self) -> Option<Result<(), StoreError>> {
        for w in &self.waits {
            let p = w.rx.borrow();
            if p.settled < w.seq {
                return None;
            }
            if failed_between(&p.failed, w.floor, w.seq) {
                return Some(Err(StoreError::permanent(
                    "a write this answer depends on failed",
                )));
            }
        }
        Some(Ok(()))
    }

    /// Resolves when every batch waited for has settled: `Err` if one of them (or one before
    /// it on its shard, since the shard last repaired) failed.
    pub async fn wait(self) -> Result<(), StoreError> {
        for mut w in self.waits {
            let seq = w.seq;
            let floor = w.floor;
            let progress =
                w.rx.wait_for(|p| p.settled >= seq)
                    .await
                    .map_err(|_| StoreError::permanent("the engine stopped before the commit"))?;
            if failed_between(&progress.failed, floor, seq) {
                return Err(StoreError::permanent(
                    "a write this answer depends on failed",
                ));
            }
        }
        Ok(())
    }
}

/// Whether a batch in `(floor, seq]` failed.
fn failed_between(failed: &BTreeSet<u64>, floor: u64, seq: u64) -> bool {
    floor < seq && failed.range(floor + 1..=seq).next().is_some()
}
