//! Secrets at rest (issue 9): the data directory is 0700, the database and its WAL 0600, the
//! passwords digest login needs are sealed with a key kept in a separate 0600 key file and never
//! stored in clear, a database written before sealing is sealed in place, and a wrong, missing,
//! loose or malformed key file stops the store from opening with a clear message.
#![cfg(unix)]

mod battery;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use imps_core::store::{Store, UserRecord, Write};
use imps_store::SqliteStore;

const PASSWORD: &str = "Tr0ub4dor-unique-9f3c";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The bytes of the database file and of its WAL, as someone who copies the files gets them.
fn database_bytes(data: &Path) -> Vec<u8> {
    let db = data.join(SqliteStore::FILE_NAME);
    let mut bytes = std::fs::read(&db).expect("database file");
    if let Ok(wal) = std::fs::read(with_suffix(&db, "-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn alice_with_secret(secret: &str) -> UserRecord {
    UserRecord {
        digest_secret: Some(secret.to_owned()),
        ..battery::user("alice")
    }
}

#[test]
fn created_files_are_private_and_the_key_file_holds_32_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let store = SqliteStore::open(&data).expect("open");
    store
        .commit(vec![Write::PutUser(alice_with_secret(PASSWORD))])
        .expect("commit");
    let db = data.join(SqliteStore::FILE_NAME);
    let key = data.join(SqliteStore::KEY_FILE_NAME);
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&db), 0o600, "database");
    assert_eq!(mode(&with_suffix(&db, "-wal")), 0o600, "WAL");
    assert_eq!(mode(&with_suffix(&db, "-shm")), 0o600, "shared memory file");
    assert_eq!(mode(&key), 0o600, "key file");
    assert_eq!(
        std::fs::read(&key).expect("key").len(),
        SqliteStore::KEY_LEN
    );
}

#[test]
fn loose_modes_of_an_existing_directory_and_database_are_tightened() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    drop(SqliteStore::open(&data).expect("create"));
    let db = data.join(SqliteStore::FILE_NAME);
    set_mode(&data, 0o755);
    set_mode(&db, 0o644);
    drop(SqliteStore::open(&data).expect("reopen"));
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn digest_secrets_are_never_in_clear_in_the_database_or_its_wal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(tmp.path()).expect("open");
    let alice = alice_with_secret(PASSWORD);
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("commit");
    // While the store is open the row is in the WAL; both files are read.
    assert!(!contains(&database_bytes(tmp.path()), PASSWORD));
    assert_eq!(store.user(&alice.id).expect("user"), Some(alice.clone()));
    drop(store);
    assert!(!contains(&database_bytes(tmp.path()), PASSWORD));
    let store = SqliteStore::open(tmp.path()).expect("reopen");
    assert_eq!(store.load().expect("load").users, vec![alice]);
}

/// The schema impsd wrote before secrets were sealed (schema version 1).
const OLD_SCHEMA: &str = r#"
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
    members      TEXT NOT NULL,
    PRIMARY KEY (owner, id)
) STRICT;
CREATE TABLE messages (
    recipient       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    sender          TEXT NOT NULL,
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
PRAGMA user_version = 1;
"#;

/// Writes a database as the impsd before sealing did: schema 1, WAL mode, the password in clear.
/// Half the accounts are checkpointed into the database file, half are left in the WAL (as a
/// killed server leaves them).
fn write_old_database(data: &Path, accounts: &[(&str, &str)]) {
    std::fs::create_dir_all(data).expect("mkdir");
    let conn = rusqlite::Connection::open(data.join(SqliteStore::FILE_NAME)).expect("open");
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("WAL");
    conn.execute_batch(OLD_SCHEMA).expect("old schema");
    for (i, (id, pw)) in accounts.iter().enumerate() {
        conn.execute(
            "INSERT INTO users (id, password_hash, digest_secret) VALUES (?1, '$argon2id$x', ?2)",
            [id, pw],
        )
        .expect("insert");
        if i == 0 {
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .expect("checkpoint");
        }
    }
    // Leave the WAL behind, as a process that is killed does.
    std::mem::forget(conn);
}

#[test]
fn a_database_written_before_sealing_is_sealed_in_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path();
    let other = "Second-clear-pw-77aa";
    write_old_database(
        data,
        &[
            ("wv:alice@example.com", PASSWORD),
            ("wv:bob@example.com", other),
        ],
    );
    assert!(
        contains(&database_bytes(data), PASSWORD) && contains(&database_bytes(data), other),
        "the old database holds the passwords in clear"
    );

    let store = SqliteStore::open(data).expect("open migrates");
    let users = store.load_users().expect("users");
    let secrets: Vec<_> = users
        .iter()
        .map(|u| (u.id.as_str(), u.digest_secret.as_deref()))
        .collect();
    assert_eq!(
        secrets,
        vec![
            ("wv:alice@example.com", Some(PASSWORD)),
            ("wv:bob@example.com", Some(other))
        ],
        "digest login still gets each password back"
    );
    assert!(
        users.iter().all(|u| !u.disabled),
        "accounts of an old database are enabled"
    );
    let bytes = database_bytes(data);
    assert!(
        !contains(&bytes, PASSWORD),
        "clear password left in the files"
    );
    assert!(!contains(&bytes, other), "clear password left in the files");
    drop(store);

    let raw = rusqlite::Connection::open(data.join(SqliteStore::FILE_NAME)).expect("open");
    let columns: Vec<String> = raw
        .prepare("SELECT name FROM pragma_table_info('users')")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("columns");
    assert!(!columns.iter().any(|c| c == "digest_secret"), "{columns:?}");
    assert!(!contains(&database_bytes(data), PASSWORD));
}

#[test]
fn another_key_file_is_refused_at_open() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(tmp.path()).expect("open");
    store
        .commit(vec![Write::PutUser(alice_with_secret(PASSWORD))])
        .expect("commit");
    drop(store);
    let key = tmp.path().join(SqliteStore::KEY_FILE_NAME);
    std::fs::write(&key, [0x5a; 32]).expect("swap the key");
    let err = SqliteStore::open(tmp.path())
        .err()
        .expect("a store with another key must not open");
    assert!(err.message().contains("is not the key of"), "{err}");
    assert!(err.message().contains(&key.display().to_string()), "{err}");
    assert!(!err.is_retryable(), "a key problem is permanent: {err}");
}

#[test]
fn a_missing_key_file_is_refused_and_not_recreated() {
    let tmp = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(tmp.path()).expect("open"));
    let key = tmp.path().join(SqliteStore::KEY_FILE_NAME);
    std::fs::remove_file(&key).expect("rm");
    let err = SqliteStore::open(tmp.path()).err().expect("no key file");
    assert!(err.message().contains("is missing"), "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert!(!key.exists(), "a new key must not replace the lost one");
}

#[test]
fn a_key_file_others_can_read_or_of_the_wrong_length_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(tmp.path()).expect("open"));
    let key = tmp.path().join(SqliteStore::KEY_FILE_NAME);

    set_mode(&key, 0o640);
    let err = SqliteStore::open(tmp.path()).err().expect("mode 0640");
    assert!(
        err.message().contains("mode 0640") && err.message().contains("chmod 600"),
        "{err}"
    );
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(mode(&key), 0o640, "the key file is not silently changed");

    set_mode(&key, 0o600);
    let mut bytes = std::fs::read(&key).expect("key");
    bytes.push(b'\n');
    std::fs::write(&key, &bytes).expect("write");
    let err = SqliteStore::open(tmp.path()).err().expect("33 bytes");
    assert!(err.message().contains("not 32"), "{err}");

    std::fs::write(&key, &bytes[..16]).expect("write");
    let err = SqliteStore::open(tmp.path()).err().expect("16 bytes");
    assert!(err.message().contains("16 bytes long, not 32"), "{err}");
    assert!(!err.is_retryable(), "{err}");
}

#[test]
fn the_key_file_can_live_outside_the_data_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let key = tmp.path().join("keys/impsd.key");
    std::fs::create_dir(tmp.path().join("keys")).expect("mkdir");
    let store = SqliteStore::open_with_key_file(&data, &key).expect("open");
    let alice = alice_with_secret(PASSWORD);
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("commit");
    drop(store);
    assert_eq!(mode(&key), 0o600);
    assert!(!data.join(SqliteStore::KEY_FILE_NAME).exists());
    let store = SqliteStore::open_with_key_file(&data, &key).expect("reopen");
    assert_eq!(store.user(&alice.id).expect("user"), Some(alice));
    drop(store);
    // Without it, the data directory alone does not open.
    let err = SqliteStore::open(&data).err().expect("key elsewhere");
    assert!(err.message().contains("is missing"), "{err}");
}

#[test]
fn a_sealed_secret_moved_to_another_account_does_not_open() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(tmp.path()).expect("open");
    let bob = battery::user("bob");
    store
        .commit(vec![
            Write::PutUser(alice_with_secret(PASSWORD)),
            Write::PutUser(UserRecord {
                digest_secret: Some("bob's".into()),
                ..bob.clone()
            }),
        ])
        .expect("commit");
    drop(store);
    let raw = rusqlite::Connection::open(tmp.path().join(SqliteStore::FILE_NAME)).expect("open");
    raw.execute(
        "UPDATE users SET digest_sealed = (SELECT digest_sealed FROM users WHERE id = ?1)
         WHERE id = ?2",
        ["wv:alice@example.com", bob.id.as_str()],
    )
    .expect("copy alice's sealed secret onto bob");
    drop(raw);
    let store = SqliteStore::open(tmp.path()).expect("open");
    let err = store.user(&bob.id).expect_err("must not open as bob's");
    assert!(err.message().contains("does not decrypt"), "{err}");
    assert!(!err.is_retryable(), "undecodable data is permanent: {err}");
    let err = store.load_user(&bob.id).expect_err("nor through load_user");
    assert!(err.message().contains("does not decrypt"), "{err}");
    assert!(!err.is_retryable(), "{err}");
}
