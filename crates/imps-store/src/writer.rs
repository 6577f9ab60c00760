//! Group commit: one writer thread owns the write connection and turns every batch queued while
//! it was busy into one SQLite transaction (one fsync).
//!
//! A batch whose writes a crash may lose without breaking a promise (a delivered message's
//! deletion: [`Write::answer_before_durable`]) does not wake the writer: it waits, at most
//! [`UNPROMISED_DELAY`], for the next batch that does, and shares its transaction. A group made
//! only of such batches commits without an fsync of its own: the next synchronous commit's
//! fsync of the write-ahead log covers it, and a crash before then loses only deletions that
//! happen again (the message is delivered once more). Both cut the transactions and fsyncs per
//! delivered message (BENCHMARKS.md).
//!
//! Each batch runs inside its own SAVEPOINT, so a batch that fails (a constraint, say) is rolled
//! back alone and only its caller gets the error; the other batches of the group still commit.
//! If the transaction as a whole fails (BEGIN, COMMIT, an I/O error), every caller of the group
//! gets the error and nothing of the group is applied.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use imps_core::store::{StoreError, Write};

use crate::error::{io_err, sqlite_err};
use crate::secret::Sealer;
use crate::sql;

/// The writer thread and the queue it serves.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    /// The write connection. The writer thread holds the lock while it applies a group;
    /// [`Writer::with_connection`] borrows it in between.
    conn: Arc<Mutex<Connection>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a batch is queued, the writer is unpaused, or shutdown is requested.
    work: Condvar,
    /// Transactions the writer committed.
    transactions: AtomicU64,
    /// How long a batch that promises nothing may wait ([`UNPROMISED_DELAY`]).
    unpromised_delay: Duration,
}

#[derive(Default)]
struct State {
    queue: Vec<Batch>,
    /// Number of live [`Pause`] guards; the writer takes no new group while non-zero.
    paused: usize,
    /// Set by `Drop for Writer`: flush the queue, then exit.
    shutdown: bool,
    /// Set when the writer thread has exited (normally or by panic): nothing will serve the
    /// queue any more.
    stopped: bool,
    /// The last group commit's error, cleared by the next one that succeeds.
    failed: Option<String>,
    /// When the oldest batch in `queue` was queued.
    oldest: Option<Instant>,
    /// Whether `queue` holds a batch with a write a caller waits to be durable.
    promised: bool,
}

impl State {
    /// Whether the writer should take the queue now, or else how long it may still wait.
    fn due(&self, now: Instant, delay: Duration) -> Result<(), Option<Duration>> {
        if self.paused > 0 {
            return Err(None);
        }
        match self.oldest {
            None => Err(None),
            Some(_) if self.promised => Ok(()),
            Some(oldest) => match (oldest + delay).checked_duration_since(now) {
                Some(left) if !left.is_zero() => Err(Some(left)),
                _ => Ok(()),
            },
        }
    }
}

/// Longest a batch that promises nothing waits for one that does before it is committed alone.
pub(crate) const UNPROMISED_DELAY: Duration = Duration::from_millis(100);

/// Most batches waiting for the writer: beyond, a commit fails at once (the server answers
/// 503) instead of the queue growing without bound.
pub(crate) const MAX_QUEUED_BATCHES: usize = 20_000;

/// One `commit` call waiting for its writes to be durable.
struct Batch {
    writes: Vec<Write>,
    reply: Reply,
}

/// Where a batch's result goes: called once, from the writer thread.
pub(crate) type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(conn: Connection, sealer: Arc<Sealer>) -> Result<Writer, StoreError> {
        Self::start_with_delay(conn, sealer, UNPROMISED_DELAY)
    }

    /// [`Writer::start`], with batches that promise nothing waiting at most `unpromised_delay`.
    fn start_with_delay(
        conn: Connection,
        sealer: Arc<Sealer>,
        unpromised_delay: Duration,
    ) -> Result<Writer, StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            transactions: AtomicU64::new(0),
            unpromised_delay,
        });
        let conn = Arc::new(Mutex::new(conn));
        let thread = std::thread::Builder::new()
            .name("imps-store-writer".into())
            .spawn({
                let shared = Arc::clone(&shared);
                let conn = Arc::clone(&conn);
                move || run(&shared, &conn, &sealer)
            })
            .map_err(io_err("start the writer thread".into()))?;
        Ok(Writer {
            shared,
            conn,
            thread: Some(thread),
        })
    }

    /// Queues `writes` and blocks until they are durable or failed.
    pub(crate) fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let (reply, done) = mpsc::sync_channel::<Result<(), StoreError>>(1);
        self.submit(
            writes,
            Box::new(move |r| {
                let _ = reply.send(r);
            }),
        );
        done.recv().unwrap_or_else(|_| {
            Err(StoreError::permanent(
                "the writer thread stopped before committing",
            ))
        })
    }

    /// Queues `writes`; `reply` gets the result once they are durable or failed (at once, with
    /// an error, if the writer has stopped).
    pub(crate) fn submit(&self, writes: Vec<Write>, reply: Reply) {
        {
            let mut state = lock(&self.shared.state);
            if state.stopped {
                drop(state);
                reply(Err(StoreError::permanent("the writer thread has stopped")));
                return;
            }
            if state.queue.len() >= MAX_QUEUED_BATCHES {
                drop(state);
                reply(Err(StoreError::retryable("the store writer is backed up")));
                return;
            }
            let promises = !writes.iter().all(Write::answer_before_durable);
            let wake = promises && !state.promised || state.oldest.is_none();
            state.promised |= promises;
            state.oldest.get_or_insert_with(Instant::now);
            state.queue.push(Batch { writes, reply });
            if !wake {
                // The writer is busy, or already waiting for this queue's deadline.
                return;
            }
        }
        self.shared.work.notify_one();
    }

    /// Runs `f` on the write connection, between two groups.
    pub(crate) fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&lock(&self.conn))
    }

    /// Transactions committed so far.
    pub(crate) fn transactions(&self) -> u64 {
        self.shared.transactions.load(Ordering::Relaxed)
    }

    /// Batches queued and not yet taken by the writer.
    pub(crate) fn pending(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// (batches queued, the writer stopped, the last group commit's error).
    pub(crate) fn health(&self) -> (usize, bool, Option<String>) {
        let s = lock(&self.shared.state);
        (s.queue.len(), s.stopped, s.failed.clone())
    }

    /// Holds the writer: it finishes the group it is applying, then takes no new one until the
    /// guard is dropped.
    pub(crate) fn pause(&self) -> Pause<'_> {
        lock(&self.shared.state).paused += 1;
        Pause {
            shared: &self.shared,
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the store writer thread panicked");
            }
        }
    }
}

/// Keeps the writer from taking a new group while it lives (`SqliteStore::pause_writer`).
pub struct Pause<'a> {
    shared: &'a Shared,
}

impl Drop for Pause<'_> {
    fn drop(&mut self) {
        lock(&self.shared.state).paused -= 1;
        self.shared.work.notify_one();
    }
}

/// The writer thread.
fn run(shared: &Shared, conn: &Mutex<Connection>, sealer: &Sealer) {
    // However this thread ends, waiters must not hang: mark the queue dead and drop its batches
    // (their callers then get an error).
    let _stopped = OnExit(shared);
    loop {
        let (group, promised) = {
            let mut state = lock(&shared.state);
            loop {
                let wait = match state.due(Instant::now(), shared.unpromised_delay) {
                    Ok(()) => break,
                    Err(_) if state.shutdown => break,
                    Err(wait) => wait,
                };
                state = match wait {
                    None => shared
                        .work
                        .wait(state)
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    Some(wait) => {
                        shared
                            .work
                            .wait_timeout(state, wait)
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .0
                    }
                };
            }
            if state.queue.is_empty() {
                return; // shutdown, nothing left to flush
            }
            state.oldest = None;
            (
                std::mem::take(&mut state.queue),
                std::mem::take(&mut state.promised),
            )
        };
        let (results, restored) = {
            let conn = lock(conn);
            let results = commit_group(&conn, &group, sealer, promised);
            let restored = promised
                || execute(
                    &conn,
                    "PRAGMA synchronous = FULL",
                    "restore synchronous=FULL",
                )
                .inspect_err(|e| {
                    // Every later commit would skip its fsync: stop serving instead.
                    tracing::error!("the store writer stops: {e}");
                })
                .is_ok();
            (results, restored)
        };
        match results {
            Ok(per_batch) => {
                shared.transactions.fetch_add(1, Ordering::Relaxed);
                lock(&shared.state).failed = None;
                for (batch, result) in group.into_iter().zip(per_batch) {
                    // The caller cannot be gone (it blocks in `commit`); ignore it if it were.
                    (batch.reply)(result);
                }
            }
            Err(e) => {
                tracing::error!(
                    batches = group.len(),
                    retryable = e.is_retryable(),
                    "group commit failed: {}",
                    e.message()
                );
                lock(&shared.state).failed = Some(e.message().to_owned());
                for batch in group {
                    (batch.reply)(Err(e.clone()));
                }
            }
        }
        if !restored {
            return;
        }
    }
}

struct OnExit<'a>(&'a Shared);

impl Drop for OnExit<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.stopped = true;
        for batch in std::mem::take(&mut state.queue) {
            (batch.reply)(Err(StoreError::permanent("the writer thread stopped")));
        }
    }
}

/// Applies a group in one transaction. `Err`: the whole group failed and nothing of it was
/// applied. `Ok`: the transaction committed; one result per batch (a failed batch was rolled
/// back to its savepoint). Errors keep their kind (a busy database is retryable, a constraint
/// is not); every waiter of a failed group gets a copy of the group's error.
///
/// `sync`: whether the commit waits for the write-ahead log to reach the disk (`synchronous`
/// FULL); without, the next synchronous commit's fsync covers this one.
fn commit_group(
    conn: &Connection,
    group: &[Batch],
    sealer: &Sealer,
    sync: bool,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    if !sync {
        execute(
            conn,
            "PRAGMA synchronous = NORMAL",
            "skip the fsync of this commit",
        )?;
    }
    // First without savepoints (each costs a statement journal copying every page its batch
    // touches): nearly every group applies whole. If a batch is refused, the group is rolled
    // back and applied again with one savepoint per batch, so that only that batch fails.
    execute(conn, "BEGIN IMMEDIATE", "begin transaction")?;
    let whole = group
        .iter()
        .try_for_each(|batch| apply_batch(conn, &batch.writes, sealer));
    let outcome = match whole {
        Ok(()) => execute(conn, "COMMIT", "commit").map(|()| vec![Ok(()); group.len()]),
        Err(e) => {
            tracing::debug!("a batch was refused, applying the group batch by batch: {e}");
            rollback(conn);
            execute(conn, "BEGIN IMMEDIATE", "begin transaction")
                .and_then(|()| apply_group(conn, group, sealer))
                .and_then(|results| {
                    execute(conn, "COMMIT", "commit")?;
                    Ok(results)
                })
        }
    };
    outcome.inspect_err(|_| rollback(conn))
}

/// Rolls back the open transaction, if an error did not already.
fn rollback(conn: &Connection) {
    // An error may already have rolled the transaction back (SQLITE_FULL, I/O errors).
    if !conn.is_autocommit() {
        if let Err(rollback) = conn.execute_batch("ROLLBACK") {
            tracing::error!("rollback after a failed group commit: {rollback}");
        }
    }
}

fn apply_group(
    conn: &Connection,
    group: &[Batch],
    sealer: &Sealer,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut results = Vec::with_capacity(group.len());
    for batch in group {
        execute(conn, "SAVEPOINT batch", "savepoint")?;
        match apply_batch(conn, &batch.writes, sealer) {
            Ok(()) => {
                execute(conn, "RELEASE batch", "release savepoint")?;
                results.push(Ok(()));
            }
            Err(e) => {
                if conn.is_autocommit() {
                    // SQLite rolled back the whole transaction: the group is lost.
                    return Err(e);
                }
                let message = e.message();
                conn.execute_batch("ROLLBACK TO batch; RELEASE batch")
                    .map_err(sqlite_err(&format!(
                        "{message}; then rollback to savepoint"
                    )))?;
                tracing::warn!(
                    retryable = e.is_retryable(),
                    "a batch was rejected: {message}"
                );
                results.push(Err(e));
            }
        }
    }
    Ok(results)
}

/// Runs one statement without results, prepared once per connection.
fn execute(conn: &Connection, sql: &str, what: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]).map(drop))
        .map_err(sqlite_err(what))
}

fn apply_batch(conn: &Connection, writes: &[Write], sealer: &Sealer) -> Result<(), StoreError> {
    for write in writes {
        sql::apply(conn, write, sealer).map_err(sqlite_err(&sql::describe(write)))?;
    }
    Ok(())
}

/// Locks, ignoring poisoning: no code panics halfway through changing what these locks guard.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use imps_core::store::{ContactListRecord, UserRecord};

    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&[9; crate::secret::KEY_LEN])
    }

    /// A migrated database in `dir`, on a connection that waits at most 20 ms for a lock.
    fn database(dir: &std::path::Path) -> Connection {
        let mut conn = Connection::open(dir.join("db")).expect("open");
        conn.pragma_update(None, "foreign_keys", true)
            .expect("foreign keys");
        crate::schema::migrate(&mut conn, &sealer()).expect("schema");
        conn.busy_timeout(Duration::from_millis(20))
            .expect("busy_timeout");
        conn
    }

    /// A batch whose result goes into `out`.
    fn batch(writes: Vec<Write>, out: &Arc<Mutex<Vec<Result<(), StoreError>>>>) -> Batch {
        let out = Arc::clone(out);
        Batch {
            writes,
            reply: Box::new(move |r| lock(&out).push(r)),
        }
    }

    fn alice() -> UserRecord {
        UserRecord {
            id: "wv:alice@example.com".into(),
            password_hash: "h".into(),
            ..UserRecord::default()
        }
    }

    /// Another connection holds the write lock: the whole group fails, retryably, and nothing
    /// of it is applied; once the lock is gone the same group commits.
    #[test]
    fn a_group_that_finds_the_database_busy_fails_retryably() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = database(dir.path());
        let out = Arc::default();
        let group = vec![batch(vec![Write::PutUser(alice())], &out)];

        let holder = Connection::open(dir.path().join("db")).expect("open");
        holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let err = commit_group(&conn, &group, &sealer(), true).expect_err("busy");
        assert!(err.is_retryable(), "{err}");
        assert!(err.message().starts_with("begin transaction: "), "{err}");
        holder.execute_batch("ROLLBACK").expect("unlock");

        let results = commit_group(&conn, &group, &sealer(), true).expect("the same group, later");
        assert_eq!(results, vec![Ok(())]);
    }

    /// A batch that breaks a constraint fails alone, permanently, naming the write.
    #[test]
    fn a_batch_for_a_missing_account_fails_permanently() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = database(dir.path());
        let out = Arc::default();
        let ghost_list = ContactListRecord {
            owner: "wv:ghost@example.com".into(),
            id: "wv:ghost/friends@example.com".into(),
            ..ContactListRecord::default()
        };
        let group = vec![
            batch(vec![Write::PutUser(alice())], &out),
            batch(vec![Write::PutList(ghost_list)], &out),
        ];
        let results = commit_group(&conn, &group, &sealer(), true).expect("the group commits");
        assert_eq!(results[0], Ok(()));
        let accounts: i64 = conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .expect("count");
        assert_eq!(accounts, 1, "the other batch of the group is committed");
        let err = results[1].clone().expect_err("no such account");
        assert!(!err.is_retryable(), "{err}");
        assert!(
            err.message()
                .starts_with("PutList wv:ghost@example.com wv:ghost/friends@example.com: "),
            "{err}"
        );
    }

    /// Runs `f` on another thread; fails the test if it has not returned within a minute (a
    /// hang, not a measurement).
    fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || drop(tx.send(f())));
        rx.recv_timeout(Duration::from_secs(60))
            .expect("still waiting after a minute")
    }

    /// A writer whose batches that promise nothing wait at most `delay`, on a database with
    /// alice's account.
    fn writer_with_alice(dir: &std::path::Path, delay: Duration) -> Writer {
        let writer =
            Writer::start_with_delay(database(dir), Arc::new(sealer()), delay).expect("writer");
        writer
            .commit(vec![Write::PutUser(alice())])
            .expect("account");
        writer
    }

    fn delete() -> Write {
        Write::DeleteMessage("wv:alice@example.com".into(), "m1".into())
    }

    /// Deleting a delivered message promises nothing: the writer does not commit it on its
    /// own but with the next batch that does promise, in one transaction, at once.
    #[test]
    fn deletions_wait_for_the_next_promised_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hour = Duration::from_secs(3600);
        let writer = Arc::new(writer_with_alice(dir.path(), hour));
        let before = writer.transactions();
        let out: Arc<Mutex<Vec<Result<(), StoreError>>>> = Arc::default();
        let sink = Arc::clone(&out);
        writer.submit(vec![delete()], Box::new(move |r| lock(&sink).push(r)));
        assert_eq!(writer.pending(), 1, "the deletion waits");
        let w = Arc::clone(&writer);
        finishes(move || w.commit(vec![Write::PutUser(alice())])).expect("promised");
        assert_eq!(*lock(&out), vec![Ok(())], "the deletion went with it");
        assert_eq!(writer.transactions(), before + 1, "in one transaction");
    }

    /// With no promise coming, a deletion is committed alone once it has waited the delay,
    /// without an fsync of its own; later commits are synchronous again.
    #[test]
    fn a_lone_deletion_commits_after_the_delay_without_fsync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let delay = Duration::from_millis(50);
        let writer = writer_with_alice(dir.path(), delay);
        let before = writer.transactions();
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        writer.submit(vec![delete()], Box::new(move |r| drop(tx.send(r))));
        let result = rx.recv_timeout(Duration::from_secs(60)).expect("committed");
        assert_eq!(result, Ok(()));
        assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
        assert_eq!(writer.transactions(), before + 1);
        let sync: i64 = writer.with_connection(|c| {
            c.pragma_query_value(None, "synchronous", |row| row.get(0))
                .expect("pragma")
        });
        assert_eq!(sync, 2, "FULL again after the commit without fsync");
    }

    /// A writer asked to stop commits what waits, deletions included, before it exits.
    #[test]
    fn a_stopping_writer_flushes_waiting_deletions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hour = Duration::from_secs(3600);
        let writer = writer_with_alice(dir.path(), hour);
        let out: Arc<Mutex<Vec<Result<(), StoreError>>>> = Arc::default();
        let sink = Arc::clone(&out);
        writer.submit(vec![delete()], Box::new(move |r| lock(&sink).push(r)));
        finishes(move || drop(writer));
        assert_eq!(*lock(&out), vec![Ok(())]);
    }

    /// A stopped writer refuses at once, permanently: nothing will ever serve its queue.
    #[test]
    fn a_stopped_writer_fails_commits_permanently() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writer = Writer::start(database(dir.path()), Arc::new(sealer())).expect("writer");
        writer.commit(vec![Write::PutUser(alice())]).expect("runs");
        lock(&writer.shared.state).stopped = true;
        let err = writer
            .commit(vec![Write::PutUser(alice())])
            .expect_err("stopped");
        assert!(!err.is_retryable(), "{err}");
    }
}
