//! Storage backends for the IMPS engine: [`SqliteStore`], the embedded SQLite implementation of
//! [`imps_core::store::Store`] used by a single-node impsd.
//!
//! What it does:
//!
//! - keeps accounts, contact lists, undelivered messages and per-user documents in one SQLite
//!   file, `<dir>/impsd.sqlite3`, in WAL mode with `synchronous=FULL`: a commit that returned
//!   `Ok` survives a crash of the process (kill -9) and, as far as SQLite and the disk honour
//!   fsync, a power loss;
//! - batches concurrent [`Store::commit`] calls (group commit): one writer thread turns every
//!   batch queued while it was busy into one transaction and one fsync, then wakes the callers;
//! - migrates the schema on open (`PRAGMA user_version`) and refuses a database written by a
//!   newer impsd;
//! - keeps the passwords that digest login needs sealed (XChaCha20-Poly1305) with a key kept in
//!   a separate file, `<dir>/secret.key` by default, never in clear in the database; the data
//!   directory is made mode 0700 and the database, its key file and its WAL 0600;
//! - lets another process (the `impsd user ...` admin commands) write the same file while the
//!   server runs; the server notices through [`Store::data_version`], which is SQLite's
//!   `PRAGMA data_version` of the write connection;
//! - reads one account and everything it owns ([`Store::load_user`]) with lookups by primary key
//!   only, in one read transaction;
//! - says of every error whether it is worth retrying ([`StoreError::is_retryable`]), from
//!   SQLite's result code: busy, locked, I/O errors, a full disk and a full writer queue are
//!   retryable; constraints, corruption, undecodable rows, schema and key problems and a stopped
//!   writer are not.
//!
//! What it does not do: it is not on a request's read path (today the engine loads everything at
//! start and keeps it in memory), it has no async API (call it from a blocking thread), and it
//! does not know what the documents it stores mean. The PostgreSQL backend for clusters is not
//! here yet.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

use imps_core::store::{Snapshot, Store, StoreError, StoreHealth, UserData, UserRecord, Write};

use crate::error::sqlite_err;

mod error;
mod schema;
mod secret;
mod sql;
mod writer;

#[doc(hidden)]
pub use writer::Pause as WriterPause;

/// How long a connection waits for another process's write lock before it gives up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite [`Store`].
///
/// Two connections: the writer thread's (all writes, and [`Store::data_version`]) and a read
/// connection ([`Store::load`], [`Store::load_user`], [`Store::load_users`],
/// [`SqliteStore::user`]); reads take turns on it. Dropping the
/// store flushes what is queued and stops the writer thread.
pub struct SqliteStore {
    path: PathBuf,
    sealer: Arc<secret::Sealer>,
    reader: Mutex<Connection>,
    writer: writer::Writer,
}

impl SqliteStore {
    /// The database file's name inside the data directory.
    pub const FILE_NAME: &'static str = "impsd.sqlite3";

    /// The key file's name inside the data directory (unless it is kept elsewhere).
    pub const KEY_FILE_NAME: &'static str = "secret.key";

    /// Length of the key in the key file, bytes.
    pub const KEY_LEN: usize = secret::KEY_LEN;

    /// [`SqliteStore::open_with_key_file`] with the key file in the data directory,
    /// `<dir>/secret.key`.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with_key_file(dir, &dir.join(Self::KEY_FILE_NAME))
    }

    /// Opens (creating it and `dir` if needed) `<dir>/impsd.sqlite3`, migrates its schema and
    /// starts the writer thread. Digest secrets are sealed with the key in `key_file`, which is
    /// created (32 random bytes, mode 0600) if neither it nor the database's key check exists.
    ///
    /// `dir` is created with mode 0700 and the database with 0600; an existing directory or
    /// database file that lets group or others in is restricted to those modes, with a warning.
    ///
    /// Fails if the directory or file cannot be created or opened, if WAL mode cannot be
    /// enabled, if the database's schema is newer than this build knows, or if the key file is
    /// missing (while the database has secrets sealed with it), readable by others, of the wrong
    /// length, or not the key the database's secrets were sealed with.
    pub fn open_with_key_file(dir: &Path, key_file: &Path) -> Result<SqliteStore, StoreError> {
        secret::prepare_dir(dir)?;
        let path = dir.join(Self::FILE_NAME);
        secret::prepare_db_files(&path)?;

        let mut write = connect(&path)?;
        let mode: String = write
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sqlite_err("enable WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::permanent(format!(
                "{}: journal mode is {mode}, WAL could not be enabled",
                path.display()
            )));
        }
        // A key may be created only for a database that has no secrets sealed with another.
        let had_key_check = schema::key_check(&write)?.is_some();
        let sealer = Arc::new(secret::load_or_create_key(key_file, !had_key_check, &path)?);
        schema::migrate(&mut write, &sealer)?;
        match schema::key_check(&write)? {
            Some(check) if sealer.matches(&check) => {}
            Some(_) => {
                return Err(StoreError::permanent(format!(
                    "the key file {} is not the key of {}: its digest secrets were sealed with \
                     another key. Restore the key file saved with this database (or point \
                     [server] key_file, --key-file, at it); impsd will not start with a key \
                     that cannot open them",
                    key_file.display(),
                    path.display()
                )))
            }
            None => {
                return Err(StoreError::permanent(format!(
                    "{} has no key check (damaged database?)",
                    path.display()
                )))
            }
        }

        let read = connect(&path)?;
        read.pragma_update(None, "query_only", true)
            .map_err(sqlite_err("make the read connection read-only"))?;

        tracing::debug!(path = %path.display(), "opened the SQLite store");
        Ok(SqliteStore {
            path,
            reader: Mutex::new(read),
            writer: writer::Writer::start(write, Arc::clone(&sealer))?,
            sealer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads one account (for the admin commands).
    pub fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        sql::user(&self.reader(), id, &self.sealer).map_err(sqlite_err("read user"))
    }

    /// How many transactions the writer thread has committed since the store was opened. With
    /// concurrent callers it is lower than the number of non-empty [`Store::commit`] calls: that
    /// is group commit at work.
    pub fn transactions_committed(&self) -> u64 {
        self.writer.transactions()
    }

    /// How many [`Store::commit`] calls are queued and not yet taken up by the writer thread.
    pub fn pending_commits(&self) -> usize {
        self.writer.pending()
    }

    /// Test hook: the writer finishes the group it is applying, then takes no new one until the
    /// guard is dropped. Commits queue up meanwhile and then go into one transaction.
    #[doc(hidden)]
    pub fn pause_writer(&self) -> WriterPause<'_> {
        self.writer.pause()
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let mut conn = self.reader();
        // One read transaction: a consistent snapshot even while someone writes.
        let tx = conn.transaction().map_err(sqlite_err("begin load"))?;
        let snapshot = sql::load(&tx, &self.sealer).map_err(sqlite_err("load"))?;
        tx.commit().map_err(sqlite_err("end load"))?;
        Ok(snapshot)
    }

    /// Four lookups by primary key (users, then the owner's lists, messages and documents) in
    /// one read transaction on the read connection.
    fn load_user(&self, id: &str) -> Result<Option<UserData>, StoreError> {
        let mut conn = self.reader();
        let tx = conn.transaction().map_err(sqlite_err("begin load user"))?;
        let data = sql::load_user(&tx, id, &self.sealer)
            .map_err(sqlite_err(&format!("load user {id}")))?;
        tx.commit().map_err(sqlite_err("end load user"))?;
        Ok(data)
    }

    /// One range scan of the `messages_by_expiry` index.
    fn due_recipients(&self, at: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        sql::due_recipients(&self.reader(), at, limit).map_err(sqlite_err("find due messages"))
    }

    fn search(
        &self,
        kind: imps_core::store::SearchKind,
        criteria: &[imps_core::store::Criterion],
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        sql::search(&self.reader(), kind, criteria, limit).map_err(sqlite_err("search"))
    }

    fn count(&self, kind: imps_core::store::SearchKind, field: &str) -> Result<u64, StoreError> {
        sql::count(&self.reader(), kind, field).map_err(sqlite_err("count"))
    }

    fn load_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        sql::load_users(&self.reader(), &self.sealer).map_err(sqlite_err("load users"))
    }

    fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        SqliteStore::user(self, id)
    }

    /// `PRAGMA data_version` of the write connection: it changes when another connection (the
    /// admin command in another process, or a second `SqliteStore` on the same file) commits,
    /// and not when this store commits. Waits for a group commit in progress.
    fn data_version(&self) -> Result<u64, StoreError> {
        self.writer
            .with_connection(|conn| conn.pragma_query_value(None, "data_version", |row| row.get(0)))
            .map_err(sqlite_err("read data_version"))
    }

    /// Blocks until `writes` are durable, as one atomic batch that may share its transaction
    /// with other callers' batches. A batch that fails (for example a list, message or document
    /// for an account that does not exist) fails alone; an empty batch returns at once.
    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        self.writer.commit(writes)
    }

    /// Queues the batch for the writer thread, which calls `done` once it is durable: no
    /// thread waits in between.
    fn commit_then(
        &self,
        writes: Vec<Write>,
        done: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
    ) {
        if writes.is_empty() {
            done(Ok(()));
            return;
        }
        self.writer.submit(writes, done);
    }

    fn health(&self) -> StoreHealth {
        let (queued, stopped, failed) = self.writer.health();
        StoreHealth {
            queued,
            // Requests are refused (503) at half the queue's hard bound: the rest is room for
            // acknowledgements and background work already accepted.
            queue_limit: writer::MAX_QUEUED_BATCHES / 2,
            failed: if stopped {
                Some("the store writer stopped".into())
            } else {
                failed
            },
        }
    }
}

/// Opens a connection with the settings both connections share.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(sqlite_err(&format!("open {}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sqlite_err("set busy_timeout"))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite_err("set synchronous=FULL"))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sqlite_err("enable foreign keys"))?;
    let foreign_keys: bool = conn
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .map_err(sqlite_err("check foreign keys"))?;
    if !foreign_keys {
        return Err(StoreError::permanent(
            "this SQLite does not enforce foreign keys",
        ));
    }
    Ok(conn)
}
