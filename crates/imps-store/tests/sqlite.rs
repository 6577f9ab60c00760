//! The store battery against [`SqliteStore`], and what is particular to SQLite: group commit,
//! data_version across processes, schema versions, durability across kill -9.

mod battery;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use imps_core::store::{Store, StoreErrorKind, UserRecord, Write};
use imps_store::SqliteStore;

use battery::{document, list, message, user};

fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    (dir, store)
}

/// Waits until `n` commits are queued behind a paused writer.
fn wait_pending(store: &SqliteStore, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.pending_commits() < n {
        assert!(Instant::now() < deadline, "commits never queued up");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(store.pending_commits(), n);
}

#[test]
fn every_write_round_trips() {
    battery::every_write_round_trips(&fresh().1);
}

#[test]
fn delete_user_cascades() {
    battery::delete_user_cascades(&fresh().1);
}

#[test]
fn puts_replace() {
    battery::puts_replace(&fresh().1);
}

#[test]
fn writes_apply_in_order() {
    battery::writes_apply_in_order(&fresh().1);
}

#[test]
fn deletes_are_idempotent() {
    battery::deletes_are_idempotent(&fresh().1);
}

#[test]
fn messages_load_in_acceptance_order() {
    battery::messages_load_in_acceptance_order(&fresh().1);
}

#[test]
fn load_user_round_trips() {
    battery::load_user_round_trips(&fresh().1);
}

#[test]
fn load_user_sees_only_its_own() {
    battery::load_user_sees_only_its_own(&fresh().1);
}

#[test]
fn load_user_of_a_missing_or_deleted_account_is_none() {
    battery::load_user_of_a_missing_or_deleted_account_is_none(&fresh().1);
}

#[test]
fn due_recipients_finds_what_expires() {
    battery::due_recipients_finds_what_expires(&fresh().1);
}

#[test]
fn concurrent_commits_all_land() {
    let (_dir, store) = fresh();
    let before = store.transactions_committed();
    let calls = battery::concurrent_commits(&store, 16, 200);
    let transactions = store.transactions_committed() - before;
    println!("{calls} concurrent commit calls used {transactions} SQLite transactions");
    assert!(transactions <= calls as u64);
}

#[test]
fn group_commit_batches_queued_commits_into_one_transaction() {
    let (_dir, store) = fresh();
    let users: Vec<_> = (0..16).map(|i| user(&format!("u{i}"))).collect();
    store
        .commit(users.iter().cloned().map(Write::PutUser).collect())
        .expect("users");
    let before = store.transactions_committed();
    std::thread::scope(|s| {
        let pause = store.pause_writer();
        let handles: Vec<_> = users
            .iter()
            .map(|u| {
                let store = &store;
                s.spawn(move || store.commit(vec![Write::PutMessage(message(u, "m", 1))]))
            })
            .collect();
        wait_pending(&store, users.len());
        drop(pause);
        for h in handles {
            h.join().expect("thread").expect("commit");
        }
    });
    assert_eq!(store.transactions_committed() - before, 1);
    assert_eq!(store.load().expect("load").messages.len(), users.len());
}

#[test]
fn a_failing_batch_fails_alone_and_atomically() {
    let (_dir, store) = fresh();
    let alice = user("alice");
    let ghost = user("ghost"); // never created
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("user");
    let before = store.transactions_committed();
    let (good, bad) = std::thread::scope(|s| {
        let pause = store.pause_writer();
        let store = &store;
        let good1 = {
            let alice = alice.clone();
            s.spawn(move || store.commit(vec![Write::PutMessage(message(&alice, "m1", 1))]))
        };
        wait_pending(store, 1);
        let bad = {
            let (alice, ghost) = (alice.clone(), ghost.clone());
            s.spawn(move || {
                store.commit(vec![
                    Write::PutMessage(message(&alice, "lost", 1)),
                    Write::PutList(list(&ghost, "friends", &[])),
                ])
            })
        };
        wait_pending(store, 2);
        let good2 = {
            let alice = alice.clone();
            s.spawn(move || {
                store.commit(vec![Write::PutDocument(document(
                    &alice, "presence", b"{}",
                ))])
            })
        };
        wait_pending(store, 3);
        drop(pause);
        let good = [good1, good2].map(|h| h.join().expect("thread"));
        (good, bad.join().expect("thread"))
    });
    for g in good {
        g.expect("the other batches of the group commit");
    }
    let err = bad.expect_err("a list for an account that does not exist");
    assert!(
        err.message().contains("PutList wv:ghost@example.com"),
        "{err}"
    );
    assert!(
        !err.is_retryable(),
        "a constraint violation is permanent: {err}"
    );
    assert_eq!(store.transactions_committed() - before, 1);

    let snap = store.load().expect("load");
    let ids: Vec<_> = snap
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["m1"],
        "the failed batch's first write was rolled back"
    );
    assert!(snap.lists.is_empty());
    assert_eq!(snap.documents.len(), 1);
}

/// A write for an account that does not exist is refused with a permanent error (retrying it
/// cannot help) that names the write, and stores nothing.
#[test]
fn nothing_is_stored_for_a_missing_account() {
    let (_dir, store) = fresh();
    let ghost = user("ghost");
    for (w, names) in [
        (
            Write::PutList(list(&ghost, "l", &[])),
            "PutList wv:ghost@example.com",
        ),
        (
            Write::PutMessage(message(&ghost, "m", 1)),
            "PutMessage wv:ghost@example.com m",
        ),
        (
            Write::PutDocument(document(&ghost, "presence", b"")),
            "PutDocument wv:ghost@example.com presence",
        ),
    ] {
        let err = store.commit(vec![w]).expect_err("foreign key");
        assert!(!err.is_retryable(), "{err}");
        assert_eq!(err.kind(), StoreErrorKind::Permanent);
        assert!(err.message().starts_with(names), "{err}");
        assert!(
            err.message().contains("FOREIGN KEY constraint failed"),
            "{err}"
        );
    }
    let snap = store.load().expect("load");
    assert!(snap.lists.is_empty() && snap.messages.is_empty() && snap.documents.is_empty());
}

#[test]
fn data_version_changes_for_other_connections_only() {
    let (dir, store) = fresh();
    let v0 = store.data_version().expect("data_version");
    store
        .commit(vec![Write::PutUser(user("alice"))])
        .expect("own commit");
    assert_eq!(
        store.data_version().expect("data_version"),
        v0,
        "own commit"
    );

    let admin = SqliteStore::open(dir.path()).expect("second store");
    let admin_v0 = admin.data_version().expect("data_version");
    admin
        .commit(vec![Write::PutUser(user("bob"))])
        .expect("admin commit");
    let v1 = store.data_version().expect("data_version");
    assert_ne!(v1, v0, "a commit from another connection");
    assert_eq!(admin.data_version().expect("data_version"), admin_v0);
    assert_eq!(store.load_users().expect("users").len(), 2);
    assert_eq!(
        store.user("wv:bob@example.com").expect("user"),
        Some(user("bob"))
    );

    // Reads and empty commits are not changes.
    admin.load().expect("load");
    admin.commit(vec![]).expect("empty");
    assert_eq!(store.data_version().expect("data_version"), v1);
}

#[test]
fn user_reads_one_account() {
    let (_dir, store) = fresh();
    let alice = user("alice");
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("user");
    assert_eq!(store.user(&alice.id).expect("user"), Some(alice));
    assert_eq!(store.user("wv:nobody@example.com").expect("user"), None);
}

#[test]
fn disabling_an_account_round_trips_and_keeps_what_it_owns() {
    let (_dir, store) = fresh();
    let alice = user("alice");
    let bob = user("bob");
    let list = list(&alice, "friends", &["bob"]);
    store
        .commit(vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob),
            Write::PutList(list.clone()),
        ])
        .expect("commit");
    assert!(
        !store
            .user(&alice.id)
            .expect("read")
            .expect("alice")
            .disabled
    );
    let disabled = UserRecord {
        disabled: true,
        ..alice.clone()
    };
    store
        .commit(vec![Write::PutUser(disabled.clone())])
        .expect("disable");
    assert_eq!(store.user(&alice.id).expect("read"), Some(disabled));
    let snapshot = store.load().expect("load");
    assert_eq!(snapshot.lists, vec![list], "disabling keeps the lists");
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("enable");
    assert_eq!(store.user(&alice.id).expect("read"), Some(alice));
}

#[test]
fn reopen_preserves_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("nested/data");
    let written = {
        let store = SqliteStore::open(&data).expect("open creates the directories");
        assert_eq!(store.path(), data.join(SqliteStore::FILE_NAME));
        battery::every_write_round_trips(&store);
        store.load().expect("load")
    };
    let store = SqliteStore::open(&data).expect("reopen");
    let read = store.load().expect("load");
    assert_eq!(read.users, written.users);
    assert_eq!(read.lists, written.lists);
    assert_eq!(read.messages, written.messages);
    assert_eq!(read.documents, written.documents);
}

#[test]
fn database_settings() {
    let (dir, store) = fresh();
    let raw = rusqlite::Connection::open(dir.path().join(SqliteStore::FILE_NAME)).expect("open");
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 7, "schema 7: a document per group");
    let tables: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'search_terms_by_value'",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert_eq!(tables, 1, "search terms are found by an index");
    drop(store);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(dir.path()).expect("create"));
    let raw = rusqlite::Connection::open(dir.path().join(SqliteStore::FILE_NAME)).expect("open");
    raw.pragma_update(None, "user_version", 99)
        .expect("user_version");
    drop(raw);
    let err = SqliteStore::open(dir.path())
        .err()
        .expect("a database from a newer impsd");
    assert!(err.message().contains("newer"), "{err}");
    assert!(!err.is_retryable(), "{err}");
}

#[test]
fn an_older_schema_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An empty file is schema version 0.
    std::fs::write(dir.path().join(SqliteStore::FILE_NAME), b"").expect("empty database");
    let store = SqliteStore::open(dir.path()).expect("migrate");
    store
        .commit(vec![Write::PutUser(user("alice"))])
        .expect("commit");
    assert_eq!(store.load_users().expect("users").len(), 1);
}

const CRASH_DIR: &str = "IMPS_STORE_CRASH_DIR";

/// The child of `commits_survive_kill_9`: commits messages one by one, printing each one's id
/// once `commit` has returned, until it is killed. Does nothing when run as an ordinary test.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR) else {
        return;
    };
    let store = SqliteStore::open(Path::new(&dir)).expect("open");
    let alice = user("alice");
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("user");
    for i in 0.. {
        let big = vec![i as u8; 4096]; // enough to push the WAL through checkpoints
        store
            .commit(vec![
                Write::PutMessage(message(&alice, &format!("m{i}"), i)),
                Write::PutDocument(document(&alice, "presence", &big)),
            ])
            .expect("commit");
        println!("committed m{i}");
    }
}

#[test]
fn commits_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read the child");
        // libtest's "test crash_child ... " has no newline: the first id shares its line.
        if let Some((_, id)) = line.split_once("committed ") {
            acked.push(id.to_owned());
            if acked.len() == 200 {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    child.wait().expect("reap");
    assert_eq!(acked.len(), 200, "the child stopped early");

    let store = SqliteStore::open(dir.path()).expect("reopen after the crash");
    let stored: Vec<String> = store
        .load()
        .expect("load")
        .messages
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    // Everything acknowledged is there; the child may have committed more before it died.
    assert!(
        stored.len() >= acked.len(),
        "{} < {}",
        stored.len(),
        acked.len()
    );
    assert_eq!(stored[..acked.len()], acked[..]);
}

/// The writer's queue is bounded: while the writer cannot keep up, health says "backed up"
/// (the server answers 503) and beyond the hard bound a commit fails at once instead of the
/// queue growing without end; once the writer catches up, everything queued is durable.
#[test]
fn a_backed_up_writer_says_so_and_its_queue_is_bounded() {
    let (_dir, store) = fresh();
    let alice = user("alice");
    store
        .commit(vec![Write::PutUser(alice.clone())])
        .expect("user");
    assert!(store.health().ok());
    let hard = store.health().queue_limit * 2;
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let _pause = store.pause_writer();
        for i in 0..=hard {
            let tx = tx.clone();
            store.commit_then(
                vec![Write::PutDocument(document(&alice, &format!("k{i}"), b"x"))],
                Box::new(move |r| {
                    let _ = tx.send((i, r.map_err(|e| e.is_retryable())));
                }),
            );
        }
        let h = store.health();
        assert!(h.backed_up(), "{h:?}");
        assert!(!h.ok());
        // The one beyond the bound failed at once, retryably: the same write can succeed once
        // the writer has caught up.
        let (i, result) = rx.recv_timeout(Duration::from_secs(5)).expect("an answer");
        assert_eq!((i, result), (hard, Err(true)), "refused beyond {hard}");
    }
    let done: Vec<(usize, Result<(), bool>)> = (0..hard)
        .map(|_| rx.recv_timeout(Duration::from_secs(60)).expect("committed"))
        .collect();
    assert!(done.iter().all(|(_, r)| r.is_ok()));
    assert!(store.health().ok(), "caught up");
}

#[test]
fn search_finds_by_every_criterion() {
    battery::search_finds_by_every_criterion(&fresh().1);
}

#[test]
fn count_counts_subjects_with_a_field() {
    battery::count_counts_subjects_with_a_field(&fresh().1);
}

/// A database of schema 5 (before groups were counted): migration 6 gives every stored group
/// its counting term, from the `groups` documents, and leaves unreadable ones alone.
#[test]
fn groups_stored_before_schema_6_are_counted() {
    use imps_core::store::{SearchKind, EVERY_GROUP};
    let dir = tempfile::tempdir().expect("tempdir");
    let (alice, bob) = (user("alice"), user("bob"));
    {
        let store = SqliteStore::open(dir.path()).expect("create");
        store
            .commit(vec![
                Write::PutUser(alice.clone()),
                Write::PutUser(bob.clone()),
                Write::PutDocument(document(
                    &alice,
                    "groups",
                    br#"[{"id":"wv:alice/a@example.com","props":{}},{"id":"wv:alice/b@example.com"}]"#,
                )),
                Write::PutDocument(document(&bob, "groups", b"not json")),
            ])
            .expect("commit");
    }
    // Back to what schema 5 had: no counting terms, user_version 5.
    let raw = rusqlite::Connection::open(dir.path().join(SqliteStore::FILE_NAME)).expect("open");
    raw.execute_batch("DELETE FROM search_terms; PRAGMA user_version = 5;")
        .expect("downgrade");
    drop(raw);
    let store = SqliteStore::open(dir.path()).expect("migrate");
    assert_eq!(
        store.count(SearchKind::Group, EVERY_GROUP).expect("count"),
        2
    );
    // Migration 7 gave each group its own document; the unreadable one is left as it was.
    let kinds = |who: &str| -> Vec<String> {
        store
            .load_user(who)
            .expect("load_user")
            .expect("account")
            .documents
            .into_iter()
            .map(|d| d.kind)
            .collect()
    };
    assert_eq!(
        kinds(&alice.id),
        vec![
            "group:wv:alice/a@example.com".to_owned(),
            "group:wv:alice/b@example.com".to_owned()
        ]
    );
    assert_eq!(kinds(&bob.id), vec!["groups".to_owned()]);
    let one = store
        .load_user(&alice.id)
        .expect("load_user")
        .expect("alice")
        .documents
        .remove(0)
        .body;
    let rec: serde_json::Value = serde_json::from_slice(&one).expect("one record");
    assert_eq!(rec["id"], "wv:alice/a@example.com");
}
