//! The schema and its migrations.
//!
//! The database's `PRAGMA user_version` is the number of migrations applied. Opening a database
//! applies the missing ones in order, in one transaction; a database with a higher version than
//! [`MIGRATIONS`] knows was written by a newer impsd and is refused.

use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};

use imps_core::store::StoreError;

use crate::error::sqlite_err;
use crate::secret::Sealer;

/// One schema migration.
pub(crate) enum Migration {
    /// Plain SQL.
    Sql(&'static str),
    /// Version 2: digest secrets sealed with the key file ([`seal_digest_secrets`]).
    SealDigestSecrets,
}

/// Migration `i` takes the schema from version `i` to version `i + 1`. Append only: a migration
/// that has shipped is never edited.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::Sql(
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
    ),
    // 2: digest secrets sealed (issue 9): `users.digest_secret` (the password in clear) becomes
    // `users.digest_sealed` (XChaCha20-Poly1305 under the key file), and `meta` holds the key
    // check.
    Migration::SealDigestSecrets,
    // 3: accounts the operator disabled (`impsd user disable`, issue 9).
    Migration::Sql(
        "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 \
         CHECK (disabled IN (0, 1));",
    ),
    // 4: accounts are loaded when first needed (issue 10): the messages due to expire are found
    // by their expiry time, for accounts nobody has loaded.
    Migration::Sql("CREATE INDEX messages_by_expiry ON messages (expires_at);"),
    // 5: search (issue 11): what each account makes searchable (its published public profile,
    // its searchable groups), one row per (subject, field), values in lower case.
    Migration::Sql(
        r#"
CREATE TABLE search_terms (
    owner   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    INTEGER NOT NULL CHECK (kind IN (0, 1)),
    subject TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL
) STRICT;
CREATE INDEX search_terms_by_value ON search_terms (kind, field, value);
CREATE INDEX search_terms_by_owner ON search_terms (owner);
"#,
    ),
    // 6: the server-wide group limit (issue 11): every group, searchable or not, holds a term
    // of field `GROUP` (`imps_core::store::EVERY_GROUP`), counted at start. The groups stored
    // before it are given theirs from the `groups` documents (a JSON array of records with an
    // `id`, as the engine writes them).
    Migration::Sql(
        r#"
INSERT INTO search_terms (owner, kind, subject, field, value)
SELECT d.user, 1, json_extract(g.value, '$.id'), 'GROUP', ''
FROM documents d, json_each(CAST(d.body AS TEXT)) g
WHERE d.kind = 'groups' AND json_valid(CAST(d.body AS TEXT))
  AND json_type(CAST(d.body AS TEXT)) = 'array'
  AND json_extract(g.value, '$.id') IS NOT NULL;
"#,
    ),
    // 7: each group is its own document (`group:<id>`, one record), so that a change to one
    // group writes that group only; the `groups` documents (an array of records) are split.
    // One that is not a JSON array is left as it is (the engine quarantines what it cannot
    // read).
    Migration::Sql(
        r#"
INSERT OR REPLACE INTO documents (user, kind, body)
SELECT d.user, 'group:' || json_extract(g.value, '$.id'), CAST(g.value AS BLOB)
FROM documents d, json_each(CAST(d.body AS TEXT)) g
WHERE d.kind = 'groups' AND json_valid(CAST(d.body AS TEXT))
  AND json_type(CAST(d.body AS TEXT)) = 'array'
  AND json_extract(g.value, '$.id') IS NOT NULL;
DELETE FROM documents
WHERE kind = 'groups' AND json_valid(CAST(body AS TEXT))
  AND json_type(CAST(body AS TEXT)) = 'array';
"#,
    ),
];

/// Migration 2: seals every clear digest secret into the new `digest_sealed` column, drops the
/// clear column and stores the key check. The caller runs it with `secure_delete` on, so the
/// clear text is overwritten in the database's pages, not merely unlinked.
fn seal_digest_secrets(conn: &Connection, sealer: &Sealer) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE meta (
             name  TEXT NOT NULL PRIMARY KEY,
             value BLOB NOT NULL
         ) STRICT;
         ALTER TABLE users ADD COLUMN digest_sealed BLOB;",
    )
    .map_err(sqlite_err("add the sealed digest column"))?;
    let clear: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare("SELECT id, digest_secret FROM users WHERE digest_secret IS NOT NULL")
            .map_err(sqlite_err("read clear digest secrets"))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(sqlite_err("read clear digest secrets"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sqlite_err("read clear digest secrets"))?
    };
    for (id, secret) in &clear {
        conn.execute(
            "UPDATE users SET digest_sealed = ?2, digest_secret = NULL WHERE id = ?1",
            params![id, sealer.seal(id, secret)],
        )
        .map_err(sqlite_err("seal a digest secret"))?;
    }
    conn.execute_batch("ALTER TABLE users DROP COLUMN digest_secret;")
        .map_err(sqlite_err("drop the clear digest column"))?;
    conn.execute(
        "INSERT INTO meta (name, value) VALUES ('key_check', ?1)",
        params![sealer.key_check()],
    )
    .map_err(sqlite_err("store the key check"))?;
    if !clear.is_empty() {
        tracing::info!(accounts = clear.len(), "sealed the clear digest secrets");
    }
    Ok(())
}

/// The key check stored in the database, if it has one (schema version 2 and later).
pub(crate) fn key_check(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite_err("look for the key check"))?;
    if !has_meta {
        return Ok(None);
    }
    conn.query_row(
        "SELECT value FROM meta WHERE name = 'key_check'",
        [],
        |row| row.get(0),
    )
    .optional()
    .map_err(sqlite_err("read the key check"))
}

/// Brings the schema of `conn`'s database up to date.
pub(crate) fn migrate(conn: &mut Connection, sealer: &Sealer) -> Result<(), StoreError> {
    let known = MIGRATIONS.len();
    // The common case, an up-to-date database, takes no write lock.
    if schema_version(conn)? == known {
        return Ok(());
    }
    // Removed rows are overwritten, not merely unlinked: migration 2 removes clear passwords.
    conn.pragma_update(None, "secure_delete", true)
        .map_err(sqlite_err("enable secure_delete"))?;
    let result = migrate_locked(conn, sealer, known);
    conn.pragma_update(None, "secure_delete", false)
        .map_err(sqlite_err("disable secure_delete"))?;
    result
}

fn migrate_locked(conn: &mut Connection, sealer: &Sealer, known: usize) -> Result<(), StoreError> {
    // Another process may be migrating at the same time: take the write lock, then look again.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_err("begin migration"))?;
    let version = schema_version(&tx)?;
    if version > known {
        return Err(StoreError::permanent(format!(
            "database schema version {version} is newer than this impsd knows ({known}); \
             refusing to open it"
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql).map_err(sqlite_err(&format!(
                "migration to schema version {}",
                i + 1
            )))?,
            Migration::SealDigestSecrets => seal_digest_secrets(&tx, sealer)?,
        }
    }
    let known_i64 = i64::try_from(known)
        .map_err(|e| StoreError::permanent(format!("schema version {known}: {e}")))?;
    tx.pragma_update(None, "user_version", known_i64)
        .map_err(sqlite_err("set schema version"))?;
    tx.commit().map_err(sqlite_err("commit migration"))?;
    tracing::info!(from = version, to = known, "migrated the database schema");
    if version > 0 && version < 2 {
        // The clear digest secrets were overwritten in the WAL's copies of their pages; copy
        // those into the database file and empty the WAL, so the clear text is gone from both.
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(sqlite_err("checkpoint after sealing the digest secrets"))?;
        if busy != 0 {
            tracing::warn!(
                "another process is reading the database: the clear digest secrets stay in its \
                 file until the next checkpoint"
            );
        }
    }
    Ok(())
}

/// `PRAGMA user_version`, the number of migrations applied.
pub(crate) fn schema_version(conn: &Connection) -> Result<usize, StoreError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite_err("read schema version"))?;
    usize::try_from(version)
        .map_err(|_| StoreError::permanent(format!("database schema version {version} is invalid")))
}
