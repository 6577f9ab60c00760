//! A shard's lock and mailbox: work for a shard is run by whoever holds it (flat combining).
//!
//! A request or a routed event for a shard whose lock is free runs at once on the caller's
//! thread, as a plain lock would (no hand-over, no wake-up). When another thread holds the
//! shard, an async caller does not wait for the lock: it leaves the work in the shard's
//! mailbox and awaits the result, and its thread goes on with other connections; whoever
//! holds the shard runs the mailbox before it lets go ([`ShardGuard`]'s drop), then looks
//! again after unlocking, so work left by a caller that found the shard busy is never
//! stranded. Work from one mailbox runs in the order it was left.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};

use imps_csp::WvCspMessage;
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::oneshot;

use crate::engine::{Engine, Outcome, Reached};
use crate::route::{Event, ShardId};
use crate::state::State;

/// One shard: its state, and the work other threads left for it.
pub(crate) struct Shard {
    state: Mutex<State>,
    mailbox: Mutex<VecDeque<Job>>,
}

/// What a request's run on its shard gives: its outcome and the ticket its answer names.
pub(crate) type Begun = (Outcome, Option<u64>);

/// Work left for a shard by a caller that found it busy.
pub(crate) enum Job {
    /// A request on its session's shard (`Engine::begin_on`).
    Begin {
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
        done: oneshot::Sender<Begun>,
    },
    /// A routed event on its owner (`Engine::apply_on`).
    Apply {
        event: Event,
        now: u64,
        done: oneshot::Sender<Outcome>,
    },
}

impl Shard {
    pub(crate) fn new(state: State) -> Shard {
        Shard {
            state: Mutex::new(state),
            mailbox: Mutex::new(VecDeque::new()),
        }
    }
}

/// A shard of an engine, to lock.
#[derive(Clone, Copy)]
pub(crate) struct ShardRef<'a> {
    pub engine: &'a Engine,
    pub index: ShardId,
}

impl<'a> ShardRef<'a> {
    fn cell(&self) -> &'a Shard {
        &self.engine.shards[self.index]
    }

    /// Locks the shard, waiting for it (for threads that may block: the login pool, ticks,
    /// tests). The guard runs the shard's mailbox before it lets go.
    pub(crate) fn lock(self) -> ShardGuard<'a> {
        ShardGuard {
            at: self,
            guard: Some(self.cell().state.lock()),
        }
    }

    /// The shard, if no other thread holds it.
    pub(crate) fn try_lock(self) -> Option<ShardGuard<'a>> {
        let guard = self.cell().state.try_lock()?;
        Some(ShardGuard {
            at: self,
            guard: Some(guard),
        })
    }

    /// Runs a request on the shard at once if no other thread holds it (after the work
    /// already waiting in its mailbox); else leaves it in the mailbox for the holder and
    /// returns where its result will come.
    pub(crate) fn begin_now(
        self,
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
    ) -> Result<Begun, oneshot::Receiver<Begun>> {
        if let Some(mut g) = self.try_lock() {
            g.run_mailbox();
            return Ok(self.engine.begin_on(&mut g, msg, now, fingerprint, reached));
        }
        let (done, result) = oneshot::channel();
        self.post(Job::Begin {
            msg,
            now,
            fingerprint,
            reached,
            done,
        });
        Err(result)
    }

    /// Applies a routed event on its owner, as [`ShardRef::begin_now`] runs a request.
    pub(crate) fn apply_now(
        self,
        event: Event,
        now: u64,
    ) -> Result<Outcome, oneshot::Receiver<Outcome>> {
        if let Some(mut g) = self.try_lock() {
            g.run_mailbox();
            return Ok(self.engine.apply_on(&mut g, event, now));
        }
        let (done, result) = oneshot::channel();
        self.post(Job::Apply { event, now, done });
        Err(result)
    }

    /// Leaves `job` in the mailbox, then runs the mailbox if the shard is free (else its
    /// holder does, before or just after it lets go).
    fn post(self, job: Job) {
        self.cell().mailbox.lock().push_back(job);
        drop(self.try_lock());
    }
}

/// A locked shard. Dropping it runs the work left in the shard's mailbox first.
pub(crate) struct ShardGuard<'a> {
    at: ShardRef<'a>,
    guard: Option<MutexGuard<'a, State>>,
}

impl Deref for ShardGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        // Some until drop.
        self.guard.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for ShardGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        self.guard.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl ShardGuard<'_> {
    /// Runs the work waiting in the shard's mailbox, oldest first.
    fn run_mailbox(&mut self) {
        let cell = self.at.cell();
        let engine = self.at.engine;
        let Some(st) = self.guard.as_deref_mut() else {
            return;
        };
        loop {
            let job = cell.mailbox.lock().pop_front();
            let Some(job) = job else { break };
            run(engine, st, job);
        }
    }
}

impl Drop for ShardGuard<'_> {
    fn drop(&mut self) {
        let cell = self.at.cell();
        loop {
            self.run_mailbox();
            let Some(st) = self.guard.take() else {
                return;
            };
            #[cfg(test)]
            if let Some(hook) = BEFORE_UNLOCK.with(|h| h.borrow_mut().take()) {
                hook();
            }
            drop(st);
            // Work left after the last look and before the unlock was left by a caller
            // whose try_lock failed: take the shard again for it unless someone else has.
            if cell.mailbox.lock().is_empty() {
                return;
            }
            self.guard = cell.state.try_lock();
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Runs once on this thread between a guard's last look at the mailbox and its unlock
    /// (tests place work in that gap).
    pub(crate) static BEFORE_UNLOCK: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
        std::cell::RefCell::new(None);
}

/// Runs one job on the locked shard and hands its result to whoever awaits it (a caller
/// that went away meanwhile loses nothing it could still use: its connection is gone).
fn run(engine: &Engine, st: &mut State, job: Job) {
    match job {
        Job::Begin {
            msg,
            now,
            fingerprint,
            reached,
            done,
        } => {
            let _ = done.send(engine.begin_on(st, msg, now, fingerprint, reached));
        }
        Job::Apply { event, now, done } => {
            let _ = done.send(engine.apply_on(st, event, now));
        }
    }
}
