//! Secrets at rest, as an operator meets them with the real `impsd` binary: the files it creates
//! are private, `impsd user add|passwd` take passwords from a file, the environment or a
//! prompt, the database never holds a password in clear (WAL included), digest (4-way) login
//! works across a restart and on a database written before sealing, and a wrong key file stops
//! impsd at start with a message saying so.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use imps_client::{Client, ClientConfig};

const IMPSD: &str = env!("CARGO_BIN_EXE_impsd");
const FILE_PW: &str = "from-a-file-5d2e91";
const ENV_PW: &str = "from-the-env-0c7b44";

/// Runs `impsd --data DIR ARGS` with no terminal, no inherited IMPSD_PASSWORD, and `env`.
fn impsd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(IMPSD);
    cmd.arg("--data")
        .arg(dir)
        .args(args)
        .env_remove("IMPSD_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run impsd")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts impsd on a free port and returns it with its URL.
fn start(dir: &Path) -> (Child, String) {
    imps_testkit::process::start_impsd(
        IMPSD,
        [
            "--data".as_ref(),
            dir.as_os_str(),
            "--http".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
    )
}

fn stop(mut server: Child) {
    server.kill().expect("kill");
    let _ = server.wait();
}

/// A 4-way digest login: the server must recover the password to check it.
async fn digest_login(url: &str, user: &str, password: &str) -> anyhow::Result<String> {
    let mut cfg = ClientConfig::new(url.to_owned());
    cfg.digest = true;
    Client::new(cfg)?.login(user, password).await
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The database file and its WAL, as whoever copies the data directory gets them.
fn database_bytes(data: &Path) -> Vec<u8> {
    let db = data.join("impsd.sqlite3");
    let mut bytes = std::fs::read(&db).expect("database");
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

#[tokio::test]
async fn passwords_from_a_file_or_the_environment_are_sealed_and_digest_login_survives_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let pw_file = tmp.path().join("alice.pw");
    std::fs::write(&pw_file, format!("{FILE_PW}\n")).expect("password file");

    ok(&impsd(
        &data,
        &[
            "user",
            "add",
            "alice",
            "--password-file",
            pw_file.to_str().expect("utf-8"),
        ],
        &[("IMPSD_PASSWORD", "the file wins")],
    ));
    ok(&impsd(
        &data,
        &["user", "add", "bob"],
        &[("IMPSD_PASSWORD", ENV_PW)],
    ));

    let db = data.join("impsd.sqlite3");
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&db), 0o600, "database");
    assert_eq!(mode(&data.join("secret.key")), 0o600, "key file");
    assert_eq!(
        std::fs::read(data.join("secret.key")).expect("key").len(),
        32
    );
    let bytes = database_bytes(&data);
    assert!(!contains(&bytes, FILE_PW), "clear password in the database");
    assert!(!contains(&bytes, ENV_PW), "clear password in the database");

    let (server, url) = start(&data);
    assert_eq!(mode(&with_suffix(&db, "-wal")), 0o600, "WAL");
    assert_eq!(mode(&with_suffix(&db, "-shm")), 0o600, "shared memory file");
    digest_login(&url, "alice", FILE_PW)
        .await
        .expect("alice: password from the file");
    digest_login(&url, "bob", ENV_PW)
        .await
        .expect("bob: password from IMPSD_PASSWORD");
    let wrong = digest_login(&url, "bob", FILE_PW).await.expect_err("wrong");
    assert!(wrong.to_string().contains("login failed"), "{wrong}");
    stop(server);

    // `user passwd` reads the new password the same way, and a restart keeps it.
    std::fs::write(&pw_file, "changed-7a1f\r\n").expect("password file");
    ok(&impsd(
        &data,
        &[
            "user",
            "passwd",
            "bob",
            "--password-file",
            pw_file.to_str().expect("utf-8"),
        ],
        &[("IMPSD_PASSWORD", "the file wins")],
    ));
    let (server, url) = start(&data);
    digest_login(&url, "alice", FILE_PW)
        .await
        .expect("alice after a restart");
    digest_login(&url, "bob", "changed-7a1f")
        .await
        .expect("bob's new password after a restart");
    stop(server);
    assert!(!contains(&database_bytes(&data), "changed-7a1f"));
}

#[test]
fn without_a_terminal_or_another_source_user_add_says_how_to_give_the_password() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = impsd(tmp.path(), &["user", "add", "carol"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--password-file") && err.contains("IMPSD_PASSWORD"),
        "{err}"
    );
    // The command line still works, for scripts.
    ok(&impsd(
        tmp.path(),
        &["user", "add", "carol", "--password", "c"],
        &[],
    ));
}

#[test]
fn impsd_refuses_to_start_with_another_key_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(&impsd(
        tmp.path(),
        &["user", "add", "alice"],
        &[("IMPSD_PASSWORD", ENV_PW)],
    ));
    let key = tmp.path().join("secret.key");
    std::fs::write(&key, [0x42; 32]).expect("swap the key file");
    let out = Command::new(IMPSD)
        .arg("--data")
        .arg(tmp.path())
        .args(["--http", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("impsd exits");
    assert!(!out.status.success(), "impsd started with another key");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not the key of"), "{err}");
    assert!(err.contains("secret.key"), "{err}");
    assert!(out.stdout.is_empty(), "it announced that it listens");
}

#[test]
fn a_key_file_kept_elsewhere_is_used_by_serve_and_admin_alike() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let key = tmp.path().join("impsd.key");
    let key_arg = key.to_str().expect("utf-8");
    ok(&impsd(
        &data,
        &["--key-file", key_arg, "user", "add", "alice"],
        &[("IMPSD_PASSWORD", ENV_PW)],
    ));
    assert_eq!(mode(&key), 0o600);
    assert!(!data.join("secret.key").exists());
    let out = impsd(&data, &["--key-file", key_arg, "user", "list"], &[]);
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "wv:alice@localhost\n");
    let out = impsd(&data, &["user", "list"], &[]);
    assert!(!out.status.success(), "opened without its key file");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A database written by impsd before passwords were sealed: schema 1, the password in clear.
fn write_old_database(data: &Path, id: &str, password: &str) {
    std::fs::create_dir_all(data).expect("mkdir");
    let conn = rusqlite::Connection::open(data.join("impsd.sqlite3")).expect("open");
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("WAL");
    conn.execute_batch(
        "CREATE TABLE users (
             id            TEXT NOT NULL PRIMARY KEY,
             password_hash TEXT NOT NULL,
             digest_secret TEXT
         ) STRICT;
         CREATE TABLE contact_lists (
             owner TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
             id TEXT NOT NULL, display_name TEXT,
             is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
             members TEXT NOT NULL, PRIMARY KEY (owner, id)
         ) STRICT;
         CREATE TABLE messages (
             recipient TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
             message_id TEXT NOT NULL, sender TEXT NOT NULL,
             accepted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
             delivery_report INTEGER NOT NULL CHECK (delivery_report IN (0, 1)),
             document BLOB NOT NULL, PRIMARY KEY (recipient, message_id)
         ) STRICT;
         CREATE TABLE documents (
             user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
             kind TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (user, kind)
         ) STRICT;
         PRAGMA user_version = 1;",
    )
    .expect("old schema");
    let hash = imps_core::auth::hash_password(password, imps_core::auth::HashCost::default())
        .expect("hash");
    conn.execute(
        "INSERT INTO users (id, password_hash, digest_secret) VALUES (?1, ?2, ?3)",
        [id, hash.as_str(), password],
    )
    .expect("insert");
}

#[tokio::test]
async fn a_database_from_before_sealing_is_sealed_at_start_and_digest_login_still_works() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let old_pw = "old-clear-password-3e8d";
    write_old_database(&data, "wv:dave@localhost", old_pw);
    assert!(contains(&database_bytes(&data), old_pw));

    let (server, url) = start(&data);
    digest_login(&url, "dave", old_pw)
        .await
        .expect("digest login on the migrated account");
    assert!(
        !contains(&database_bytes(&data), old_pw),
        "the clear password is still in the database files"
    );
    stop(server);

    let raw = rusqlite::Connection::open(data.join("impsd.sqlite3")).expect("open");
    let columns: Vec<String> = raw
        .prepare("SELECT name FROM pragma_table_info('users')")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("columns");
    assert!(!columns.iter().any(|c| c == "digest_secret"), "{columns:?}");
    let sealed: Vec<u8> = raw
        .query_row(
            "SELECT digest_sealed FROM users WHERE id = 'wv:dave@localhost'",
            [],
            |r| r.get(0),
        )
        .expect("sealed");
    assert!(!contains(&sealed, old_pw));
    assert_eq!(mode(&data.join("secret.key")), 0o600);
}
