//! Rows to records and records to rows.

use rusqlite::{params, Connection, OptionalExtension, Row};

use imps_core::store::{
    ContactListRecord, Criterion, Match, MessageRecord, SearchKind, Snapshot, UserData,
    UserDocument, UserRecord, Write,
};

use crate::secret::Sealer;

/// Applies one write, sealing digest secrets. The caller owns the transaction.
pub(crate) fn apply(conn: &Connection, write: &Write, sealer: &Sealer) -> rusqlite::Result<()> {
    match write {
        Write::PutUser(user) => {
            // An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, and the
            // deletion would cascade to everything the user owns.
            conn.prepare_cached(
                "INSERT INTO users (id, password_hash, digest_sealed, disabled)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET
                     password_hash = excluded.password_hash,
                     digest_sealed = excluded.digest_sealed,
                     disabled = excluded.disabled",
            )?
            .execute(params![
                user.id,
                user.password_hash,
                user.digest_secret
                    .as_deref()
                    .map(|secret| sealer.seal(&user.id, secret)),
                user.disabled,
            ])?;
        }
        Write::DeleteUser(id) => {
            // Lists, messages and documents go with it (ON DELETE CASCADE).
            conn.prepare_cached("DELETE FROM users WHERE id = ?1")?
                .execute(params![id])?;
        }
        Write::PutList(list) => {
            let members = serde_json::to_string(&list.members)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            conn.prepare_cached(
                "INSERT INTO contact_lists (owner, id, display_name, is_default, members)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (owner, id) DO UPDATE SET
                     display_name = excluded.display_name,
                     is_default = excluded.is_default,
                     members = excluded.members",
            )?
            .execute(params![
                list.owner,
                list.id,
                list.display_name,
                list.default,
                members
            ])?;
        }
        Write::DeleteList(owner, id) => {
            conn.prepare_cached("DELETE FROM contact_lists WHERE owner = ?1 AND id = ?2")?
                .execute(params![owner, id])?;
        }
        Write::PutMessage(m) => {
            conn.prepare_cached(
                "INSERT INTO messages (recipient, message_id, sender, accepted_at, expires_at,
                                       delivery_report, document)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (recipient, message_id) DO UPDATE SET
                     sender = excluded.sender,
                     accepted_at = excluded.accepted_at,
                     expires_at = excluded.expires_at,
                     delivery_report = excluded.delivery_report,
                     document = excluded.document",
            )?
            .execute(params![
                m.recipient,
                m.message_id,
                m.sender,
                time_to_sql(m.accepted_at),
                time_to_sql(m.expires_at),
                m.delivery_report,
                m.document,
            ])?;
        }
        Write::DeleteMessage(recipient, message_id) => {
            conn.prepare_cached("DELETE FROM messages WHERE recipient = ?1 AND message_id = ?2")?
                .execute(params![recipient, message_id])?;
        }
        Write::PutDocument(doc) => {
            conn.prepare_cached(
                "INSERT INTO documents (user, kind, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user, kind) DO UPDATE SET body = excluded.body",
            )?
            .execute(params![doc.user, doc.kind, doc.body])?;
        }
        Write::DeleteDocument(user, kind) => {
            conn.prepare_cached("DELETE FROM documents WHERE user = ?1 AND kind = ?2")?
                .execute(params![user, kind])?;
        }
        Write::PutSearchTerms(owner, terms) => {
            conn.prepare_cached("DELETE FROM search_terms WHERE owner = ?1")?
                .execute(params![owner])?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO search_terms (owner, kind, subject, field, value)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for t in terms {
                insert.execute(params![
                    owner,
                    kind_code(t.kind),
                    t.subject,
                    t.field,
                    t.value
                ])?;
            }
        }
    }
    Ok(())
}

fn kind_code(k: SearchKind) -> i64 {
    match k {
        SearchKind::User => 0,
        SearchKind::Group => 1,
    }
}

/// The subjects matching every criterion ([`imps_core::store::Store::search`]).
pub(crate) fn search(
    conn: &Connection,
    kind: SearchKind,
    criteria: &[Criterion],
    limit: usize,
) -> rusqlite::Result<Vec<String>> {
    if criteria.is_empty() {
        return Ok(Vec::new());
    }
    // One SELECT per criterion, intersected; each uses the (kind, field, value) index.
    let mut sql = String::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    for (i, c) in criteria.iter().enumerate() {
        if i > 0 {
            sql.push_str(" INTERSECT ");
        }
        if c.matches == Match::OneOf {
            // `value IN (?, ?, …)`: one parameter per line of the needle.
            let n = args.len();
            args.push(kind_code(kind).into());
            args.push(c.field.clone().into());
            let values: Vec<&str> = c.needle.split('\n').collect();
            let marks: Vec<String> = (0..values.len())
                .map(|i| format!("?{}", n + 3 + i))
                .collect();
            for v in values {
                args.push(v.to_owned().into());
            }
            sql.push_str(&format!(
                "SELECT subject FROM search_terms WHERE kind = ?{} AND field = ?{} AND value IN ({})",
                n + 1,
                n + 2,
                marks.join(", ")
            ));
            continue;
        }
        let (op, needle) = match c.matches {
            Match::Contains => ("LIKE", format!("%{}%", like_escape(&c.needle))),
            Match::Equals | Match::OneOf => ("=", c.needle.clone()),
            Match::AtLeast => (">=", c.needle.clone()),
            Match::AtMost => ("<=", c.needle.clone()),
        };
        let escape = if c.matches == Match::Contains {
            " ESCAPE '\\'"
        } else {
            ""
        };
        let n = args.len();
        sql.push_str(&format!(
            "SELECT subject FROM search_terms WHERE kind = ?{} AND field = ?{} AND value {op} ?{}{escape}",
            n + 1,
            n + 2,
            n + 3
        ));
        args.push(kind_code(kind).into());
        args.push(c.field.clone().into());
        args.push(needle.into());
    }
    sql.push_str(&format!(" ORDER BY subject LIMIT ?{}", args.len() + 1));
    args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    // Cached: the same shapes of query come again (the server's own scan for groups that
    // ran out, every few seconds; users' searches with the same elements).
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |row| row.get(0))?;
    rows.collect()
}

/// How many subjects of `kind` hold a term of `field` ([`imps_core::store::Store::count`]),
/// by the (kind, field, value) index.
pub(crate) fn count(conn: &Connection, kind: SearchKind, field: &str) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(DISTINCT subject) FROM search_terms WHERE kind = ?1 AND field = ?2",
    )?
    .query_row(params![kind_code(kind), field], |row| row.get::<_, i64>(0))
    .map(|n| u64::try_from(n).unwrap_or(0))
}

/// `s` with LIKE's wildcards (and the escape character) escaped.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A short name of a write for error messages: its kind and key, never its contents.
pub(crate) fn describe(write: &Write) -> String {
    match write {
        Write::PutUser(u) => format!("PutUser {}", u.id),
        Write::DeleteUser(id) => format!("DeleteUser {id}"),
        Write::PutList(l) => format!("PutList {} {}", l.owner, l.id),
        Write::DeleteList(owner, id) => format!("DeleteList {owner} {id}"),
        Write::PutMessage(m) => format!("PutMessage {} {}", m.recipient, m.message_id),
        Write::DeleteMessage(r, id) => format!("DeleteMessage {r} {id}"),
        Write::PutDocument(d) => format!("PutDocument {} {}", d.user, d.kind),
        Write::DeleteDocument(user, kind) => format!("DeleteDocument {user} {kind}"),
        Write::PutSearchTerms(owner, t) => format!("PutSearchTerms {owner} ({} terms)", t.len()),
    }
}

/// Reads everything. The caller runs this in one read transaction, so the snapshot is consistent.
pub(crate) fn load(conn: &Connection, sealer: &Sealer) -> rusqlite::Result<Snapshot> {
    Ok(Snapshot {
        users: load_users(conn, sealer)?,
        lists: collect(
            conn,
            "SELECT owner, id, display_name, is_default, members FROM contact_lists
             ORDER BY owner, rowid",
            list_from_row,
        )?,
        messages: collect(
            conn,
            "SELECT recipient, message_id, sender, accepted_at, expires_at, delivery_report,
                    document
             FROM messages ORDER BY accepted_at, rowid",
            message_from_row,
        )?,
        documents: collect(
            conn,
            "SELECT user, kind, body FROM documents ORDER BY user, kind",
            document_from_row,
        )?,
    })
}

/// One account. Every query of [`load_user`] looks its rows up by key (the primary keys start with
/// the owner column), never by scanning a table; a unit test checks the query plans.
const USER_SQL: &str = "SELECT id, password_hash, digest_sealed, disabled FROM users WHERE id = ?1";
/// One owner's lists, in the order of `load` (insertion order: `rowid`).
const USER_LISTS_SQL: &str = "SELECT owner, id, display_name, is_default, members
     FROM contact_lists WHERE owner = ?1 ORDER BY rowid";
/// One recipient's messages, in the order of `load`.
const USER_MESSAGES_SQL: &str =
    "SELECT recipient, message_id, sender, accepted_at, expires_at, delivery_report, document
     FROM messages WHERE recipient = ?1 ORDER BY accepted_at, rowid";
/// One owner's documents, by kind.
const USER_DOCUMENTS_SQL: &str =
    "SELECT user, kind, body FROM documents WHERE user = ?1 ORDER BY kind";

/// Reads everything one account owns, or `None` if it does not exist. The caller runs this in
/// one read transaction, so the result is consistent.
pub(crate) fn load_user(
    conn: &Connection,
    id: &str,
    sealer: &Sealer,
) -> rusqlite::Result<Option<UserData>> {
    let Some(user) = user(conn, id, sealer)? else {
        return Ok(None);
    };
    Ok(Some(UserData {
        user,
        lists: collect_by(conn, USER_LISTS_SQL, id, list_from_row)?,
        messages: collect_by(conn, USER_MESSAGES_SQL, id, message_from_row)?,
        documents: collect_by(conn, USER_DOCUMENTS_SQL, id, document_from_row)?,
    }))
}

/// Reads every account, ordered by id, opening the digest secrets.
pub(crate) fn load_users(conn: &Connection, sealer: &Sealer) -> rusqlite::Result<Vec<UserRecord>> {
    collect(
        conn,
        "SELECT id, password_hash, digest_sealed, disabled FROM users ORDER BY id",
        |row| user_from_row(row, sealer),
    )
}

/// Reads one account, opening its digest secret.
pub(crate) fn user(
    conn: &Connection,
    id: &str,
    sealer: &Sealer,
) -> rusqlite::Result<Option<UserRecord>> {
    conn.prepare_cached(USER_SQL)?
        .query_row(params![id], |row| user_from_row(row, sealer))
        .optional()
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], f)?;
    rows.collect()
}

/// Like [`collect`], for a cached statement with one parameter, the owner's id.
fn collect_by<T>(
    conn: &Connection,
    sql: &str,
    key: &str,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![key], f)?;
    rows.collect()
}

/// An account row. A digest secret that does not open with the key is an error, not a
/// missing secret: the key file is not the database's (the store checks it when it opens) or
/// the row is damaged, and logins must not fail silently because of it.
fn user_from_row(row: &Row<'_>, sealer: &Sealer) -> rusqlite::Result<UserRecord> {
    let id: String = row.get(0)?;
    let sealed: Option<Vec<u8>> = row.get(2)?;
    let digest_secret = match sealed {
        None => None,
        Some(sealed) => Some(sealer.open(&id, &sealed).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Blob,
                format!(
                    "the digest secret of {id} does not decrypt with the key file \
                     (another key, or a damaged row)"
                )
                .into(),
            )
        })?),
    };
    Ok(UserRecord {
        id,
        password_hash: row.get(1)?,
        digest_secret,
        disabled: row.get(3)?,
    })
}

fn list_from_row(row: &Row<'_>) -> rusqlite::Result<ContactListRecord> {
    let members: String = row.get(4)?;
    let members = serde_json::from_str(&members).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(ContactListRecord {
        owner: row.get(0)?,
        id: row.get(1)?,
        display_name: row.get(2)?,
        default: row.get(3)?,
        members,
    })
}

fn document_from_row(row: &Row<'_>) -> rusqlite::Result<UserDocument> {
    Ok(UserDocument {
        user: row.get(0)?,
        kind: row.get(1)?,
        body: row.get(2)?,
    })
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        recipient: row.get(0)?,
        message_id: row.get(1)?,
        sender: row.get(2)?,
        accepted_at: time_from_sql(row.get(3)?),
        expires_at: time_from_sql(row.get(4)?),
        delivery_report: row.get(5)?,
        document: row.get(6)?,
    })
}

/// SQLite integers are `i64`. Times past `i64::MAX` seconds (only ever `u64::MAX`, "never",
/// in practice) saturate to `i64::MAX`, so they still sort last in SQL.
fn time_to_sql(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// The inverse of [`time_to_sql`]: `i64::MAX` reads back as `u64::MAX`, so "never" round-trips.
/// Negative values (never written by impsd) read as 0.
fn time_from_sql(t: i64) -> u64 {
    if t == i64::MAX {
        u64::MAX
    } else {
        u64::try_from(t).unwrap_or(0)
    }
}

/// Recipients of messages that expire at or before `at`, at most `limit`, soonest first.
pub(crate) fn due_recipients(
    conn: &Connection,
    at: u64,
    limit: usize,
) -> rusqlite::Result<Vec<String>> {
    let at = i64::try_from(at).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT recipient FROM messages WHERE expires_at <= ?1 \
         GROUP BY recipient ORDER BY MIN(expires_at) LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![at, limit], |r| r.get::<_, String>(0))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for `sql` (one parameter, an owner): the `detail` column of EXPLAIN
    /// QUERY PLAN.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt
            .query_map(params!["wv:u1@example.com"], |row| row.get::<_, String>(3))
            .expect("plan");
        rows.collect::<Result<_, _>>().expect("plan rows")
    }

    fn assert_by_key(conn: &Connection, when: &str) {
        for sql in [
            USER_SQL,
            USER_LISTS_SQL,
            USER_MESSAGES_SQL,
            USER_DOCUMENTS_SQL,
        ] {
            let plan = plan(conn, sql);
            assert!(
                plan.iter().any(|step| step.starts_with("SEARCH "))
                    && !plan.iter().any(|step| step.starts_with("SCAN ")),
                "{when}: {sql}\nis planned as {plan:?}, not as a lookup by key"
            );
        }
    }

    /// `load_user` looks rows up through the primary keys (which start with the owner), on an
    /// empty database and on one whose statistics (ANALYZE) say how the rows are spread.
    #[test]
    fn load_user_reads_by_key_not_by_scanning() {
        let mut conn = Connection::open_in_memory().expect("open");
        let sealer = Sealer::new(&[7; crate::secret::KEY_LEN]);
        crate::schema::migrate(&mut conn, &sealer).expect("schema");
        assert_by_key(&conn, "empty");

        let tx = conn.transaction().expect("begin");
        for u in 0..300 {
            let id = format!("wv:u{u}@example.com");
            let mut writes = vec![Write::PutUser(UserRecord {
                id: id.clone(),
                password_hash: "h".into(),
                ..UserRecord::default()
            })];
            for i in 0..3 {
                writes.push(Write::PutList(ContactListRecord {
                    owner: id.clone(),
                    id: format!("{id}/l{i}"),
                    ..ContactListRecord::default()
                }));
                writes.push(Write::PutMessage(MessageRecord {
                    recipient: id.clone(),
                    message_id: format!("m{i}"),
                    sender: "wv:s@example.com".into(),
                    accepted_at: i,
                    expires_at: 100,
                    delivery_report: false,
                    document: vec![1; 64],
                }));
                writes.push(Write::PutDocument(UserDocument {
                    user: id.clone(),
                    kind: format!("k{i}"),
                    body: vec![2; 16],
                }));
            }
            for w in &writes {
                apply(&tx, w, &sealer).expect("apply");
            }
        }
        tx.execute_batch("ANALYZE").expect("analyze");
        tx.commit().expect("commit");
        assert_by_key(&conn, "analyzed");
    }

    #[test]
    fn times_saturate_and_round_trip() {
        for t in [0, 1, 1_700_000_000, i64::MAX as u64 - 1, u64::MAX] {
            assert_eq!(time_from_sql(time_to_sql(t)), t);
        }
        assert_eq!(time_to_sql(u64::MAX - 5), i64::MAX);
        assert_eq!(time_from_sql(-3), 0);
    }
}
