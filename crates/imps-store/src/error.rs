//! What a SQLite failure means for the caller: [`sqlite_error_kind`] is the one place that decides
//! whether an error of SQLite (or of rusqlite around it) is worth retrying.

use rusqlite::ErrorCode;

use imps_core::store::{StoreError, StoreErrorKind};

/// Whether trying the same operation again later may succeed.
///
/// Retryable: the database could not do a sound operation now. Another connection holds the
/// lock (`SQLITE_BUSY`, after the busy timeout, and `SQLITE_LOCKED`), the operating system
/// failed (`SQLITE_IOERR`, `SQLITE_FULL`: the disk filled up, `SQLITE_NOMEM`, `SQLITE_CANTOPEN`:
/// a file — the database, its WAL, a temporary file — could not be opened, typically out of
/// file descriptors), the WAL lock protocol lost a race (`SQLITE_PROTOCOL`), the statement was
/// interrupted or aborted from outside (`SQLITE_INTERRUPT`, `SQLITE_ABORT`), or another
/// connection is recovering the WAL (`SQLITE_READONLY_RECOVERY`).
///
/// Permanent: the operation or the data is wrong, and the same operation fails the same way. A
/// constraint (a write for an account that does not exist), a corrupt file or one that is not a
/// database, a schema that changed under a statement, a value too big or of the wrong type,
/// a read-only database, denied permissions, misuse of the API, and every error rusqlite raises
/// itself (a row that does not decode, a parameter that does not convert). Codes this build
/// does not know are permanent too: retrying what is not understood could retry for ever.
pub(crate) fn sqlite_error_kind(e: &rusqlite::Error) -> StoreErrorKind {
    let rusqlite::Error::SqliteFailure(e, _) = e else {
        return StoreErrorKind::Permanent;
    };
    match e.code {
        ErrorCode::DatabaseBusy
        | ErrorCode::DatabaseLocked
        | ErrorCode::SystemIoFailure
        | ErrorCode::DiskFull
        | ErrorCode::OutOfMemory
        | ErrorCode::CannotOpen
        | ErrorCode::FileLockingProtocolFailed
        | ErrorCode::OperationInterrupted
        | ErrorCode::OperationAborted => StoreErrorKind::Retryable,
        ErrorCode::ReadOnly if e.extended_code == rusqlite::ffi::SQLITE_READONLY_RECOVERY => {
            StoreErrorKind::Retryable
        }
        ErrorCode::ConstraintViolation
        | ErrorCode::DatabaseCorrupt
        | ErrorCode::NotADatabase
        | ErrorCode::SchemaChanged
        | ErrorCode::TooBig
        | ErrorCode::TypeMismatch
        | ErrorCode::ReadOnly
        | ErrorCode::PermissionDenied
        | ErrorCode::AuthorizationForStatementDenied
        | ErrorCode::NoLargeFileSupport
        | ErrorCode::ApiMisuse
        | ErrorCode::ParameterOutOfRange
        | ErrorCode::InternalMalfunction
        | ErrorCode::NotFound
        | ErrorCode::Unknown => StoreErrorKind::Permanent,
        _ => StoreErrorKind::Permanent,
    }
}

/// Whether an I/O error outside SQLite (the data directory, the key file) may go away by itself:
/// a missing file, denied permissions or invalid contents do not; interruptions, a full disk
/// and the like may.
pub(crate) fn io_error_kind(e: &std::io::Error) -> StoreErrorKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound
        | K::PermissionDenied
        | K::AlreadyExists
        | K::InvalidInput
        | K::InvalidData
        | K::ReadOnlyFilesystem
        | K::IsADirectory
        | K::NotADirectory
        | K::Unsupported => StoreErrorKind::Permanent,
        _ => StoreErrorKind::Retryable,
    }
}

/// Maps a rusqlite error to a [`StoreError`] of its kind, saying what was being done.
pub(crate) fn sqlite_err(doing: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::new(sqlite_error_kind(&e), format!("{doing}: {e}"))
}

/// Maps an I/O error to a [`StoreError`] of its kind, saying what was being done.
pub(crate) fn io_err(doing: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::new(io_error_kind(&e), format!("{doing}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rusqlite::{ffi, Connection};

    use super::*;

    fn kind_of<T>(r: rusqlite::Result<T>) -> StoreErrorKind {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => sqlite_error_kind(&e),
        }
    }

    fn code(extended: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(extended), None)
    }

    /// A second connection holding a write transaction: BEGIN IMMEDIATE gives up after the busy
    /// timeout with SQLITE_BUSY.
    #[test]
    fn busy_is_retryable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let holder = Connection::open(&path).expect("open");
        holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let waiter = Connection::open(&path).expect("open");
        waiter
            .busy_timeout(Duration::from_millis(20))
            .expect("busy_timeout");
        let err = waiter.execute_batch("BEGIN IMMEDIATE").expect_err("busy");
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy),
            "{err}"
        );
        assert_eq!(sqlite_error_kind(&err), StoreErrorKind::Retryable);
        let wrapped = sqlite_err("commit")(err);
        assert!(wrapped.is_retryable());
        assert!(wrapped.message().starts_with("commit: "), "{wrapped}");
    }

    /// Dropping a table that a statement of the same connection is still reading: SQLITE_LOCKED.
    #[test]
    fn locked_is_retryable() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
            .expect("table");
        let mut stmt = conn.prepare("SELECT x FROM t").expect("prepare");
        let mut rows = stmt.query([]).expect("query");
        rows.next().expect("step").expect("a row");
        let err = conn.execute_batch("DROP TABLE t").expect_err("locked");
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::DatabaseLocked),
            "{err}"
        );
        assert_eq!(sqlite_error_kind(&err), StoreErrorKind::Retryable);
    }

    /// I/O failures cannot be provoked portably; the codes SQLite returns for them are mapped.
    #[test]
    fn io_full_disk_and_open_failures_are_retryable() {
        for c in [
            ffi::SQLITE_IOERR,
            ffi::SQLITE_IOERR_WRITE,
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_FULL,
            ffi::SQLITE_NOMEM,
            ffi::SQLITE_CANTOPEN,
            ffi::SQLITE_PROTOCOL,
            ffi::SQLITE_INTERRUPT,
            ffi::SQLITE_ABORT,
            ffi::SQLITE_BUSY_SNAPSHOT,
            ffi::SQLITE_READONLY_RECOVERY,
        ] {
            assert_eq!(
                sqlite_error_kind(&code(c)),
                StoreErrorKind::Retryable,
                "{}",
                code(c)
            );
        }
    }

    /// A row for a parent that does not exist, a duplicate key, a NOT NULL: permanent.
    #[test]
    fn constraint_violations_are_permanent() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE users (id TEXT PRIMARY KEY);
             CREATE TABLE lists (owner TEXT NOT NULL REFERENCES users (id), id TEXT);
             INSERT INTO users VALUES ('alice');",
        )
        .expect("schema");
        for sql in [
            "INSERT INTO lists VALUES ('ghost', 'friends')",
            "INSERT INTO users VALUES ('alice')",
            "INSERT INTO lists VALUES (NULL, 'x')",
        ] {
            let err = conn.execute_batch(sql).expect_err(sql);
            assert_eq!(
                err.sqlite_error_code(),
                Some(ErrorCode::ConstraintViolation),
                "{err}"
            );
            assert_eq!(sqlite_error_kind(&err), StoreErrorKind::Permanent, "{sql}");
        }
    }

    /// A file that is not a database.
    #[test]
    fn not_a_database_is_permanent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        std::fs::write(&path, vec![0x5a; 8192]).expect("garbage");
        let conn = Connection::open(&path).expect("open is lazy");
        let err = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .expect_err("not a database");
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::NotADatabase),
            "{err}"
        );
        assert_eq!(sqlite_error_kind(&err), StoreErrorKind::Permanent);
    }

    /// Corruption, schema and key problems and misuse, by their codes.
    #[test]
    fn corruption_schema_and_misuse_are_permanent() {
        for c in [
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_NOTADB,
            ffi::SQLITE_SCHEMA,
            ffi::SQLITE_TOOBIG,
            ffi::SQLITE_MISMATCH,
            ffi::SQLITE_READONLY,
            ffi::SQLITE_PERM,
            ffi::SQLITE_AUTH,
            ffi::SQLITE_MISUSE,
            ffi::SQLITE_RANGE,
            ffi::SQLITE_INTERNAL,
            ffi::SQLITE_ERROR,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
        ] {
            assert_eq!(
                sqlite_error_kind(&code(c)),
                StoreErrorKind::Permanent,
                "{}",
                code(c)
            );
        }
        // A syntax error (SQLITE_ERROR from SQLite itself).
        let conn = Connection::open_in_memory().expect("open");
        assert_eq!(
            kind_of(conn.execute_batch("SELEC 1")),
            StoreErrorKind::Permanent
        );
    }

    /// Errors rusqlite raises itself: a value that does not decode into the Rust type.
    #[test]
    fn undecodable_rows_are_permanent() {
        let conn = Connection::open_in_memory().expect("open");
        assert_eq!(
            kind_of(conn.query_row("SELECT 'not a number'", [], |r| r.get::<_, i64>(0))),
            StoreErrorKind::Permanent
        );
        assert_eq!(
            kind_of(conn.query_row("SELECT 1 WHERE 0", [], |r| r.get::<_, i64>(0))),
            StoreErrorKind::Permanent
        );
        let bad_json = rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            "members are not JSON".into(),
        );
        assert_eq!(sqlite_error_kind(&bad_json), StoreErrorKind::Permanent);
    }

    #[test]
    fn io_errors_by_kind() {
        use std::io::{Error, ErrorKind};
        for k in [
            ErrorKind::NotFound,
            ErrorKind::PermissionDenied,
            ErrorKind::InvalidData,
        ] {
            assert_eq!(
                io_error_kind(&Error::from(k)),
                StoreErrorKind::Permanent,
                "{k}"
            );
        }
        for k in [
            ErrorKind::Interrupted,
            ErrorKind::StorageFull,
            ErrorKind::TimedOut,
        ] {
            assert_eq!(
                io_error_kind(&Error::from(k)),
                StoreErrorKind::Retryable,
                "{k}"
            );
        }
        let e = io_err("write /x".into())(Error::from(ErrorKind::StorageFull));
        assert!(e.is_retryable());
        assert!(e.message().starts_with("write /x: "), "{e}");
    }
}
