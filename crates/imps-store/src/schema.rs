//! The schema and its migrations.
//!
//! The database's `PRAGMA user_version` is the number of migrations applied. Opening a database
//! applies the missing ones in order, in one transaction; a database with a higher version than
//! [`MIGRATIONS`] knows was written by a newer impsd and is refused.

use rusqlite::{Connection, TransactionBehavior};

use imps_core::store::StoreError;

use crate::store_err;

/// Migration `i` takes the schema from version `i` to version `i + 1`. Append only: a migration
/// that has shipped is never edited.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema. Everything a user owns references `users` with ON DELETE CASCADE,
    // so deleting an account deletes its lists, its undelivered messages and its documents, and
    // nothing can be stored for an account that does not exist. Tables are rowid tables on
    // purpose: `rowid` is the insertion order used to load lists and messages deterministically.
    r#"
CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT NOT NULL,
    digest_secret TEXT
) STRICT;

CREATE TABLE contact_lists (
    owner        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    display_name TEXT,
    is_default   INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    -- JSON array of [member user id, nickname or null], in insertion order.
    members      TEXT NOT NULL,
    PRIMARY KEY (owner, id)
) STRICT;

CREATE TABLE messages (
    recipient       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    sender          TEXT NOT NULL,
    -- Seconds since the epoch; values above i64::MAX are stored as i64::MAX.
    accepted_at     INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    delivery_report INTEGER NOT NULL CHECK (delivery_report IN (0, 1)),
    document        BLOB NOT NULL,
    PRIMARY KEY (recipient, message_id)
) STRICT;

CREATE TABLE documents (
    user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (user, kind)
) STRICT;
"#,
];

/// Brings the schema of `conn`'s database up to date.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len();
    // The common case, an up-to-date database, takes no write lock.
    if schema_version(conn)? == known {
        return Ok(());
    }
    // Another process may be migrating at the same time: take the write lock, then look again.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(store_err("begin migration"))?;
    let version = schema_version(&tx)?;
    if version > known {
        return Err(StoreError(format!(
            "database schema version {version} is newer than this impsd knows ({known}); \
             refusing to open it"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)
            .map_err(store_err(&format!("migration to schema version {}", i + 1)))?;
    }
    let known_i64 = i64::try_from(known).map_err(store_err("schema version"))?;
    tx.pragma_update(None, "user_version", known_i64)
        .map_err(store_err("set schema version"))?;
    tx.commit().map_err(store_err("commit migration"))?;
    tracing::info!(from = version, to = known, "migrated the database schema");
    Ok(())
}

/// `PRAGMA user_version`, the number of migrations applied.
pub(crate) fn schema_version(conn: &Connection) -> Result<usize, StoreError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(store_err("read schema version"))?;
    usize::try_from(version)
        .map_err(|_| StoreError(format!("database schema version {version} is invalid")))
}
