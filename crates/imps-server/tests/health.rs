//! Health and back-pressure: `/health` says when the store cannot take writes, requests are
//! refused with 503 (not queued without bound) while the store is backed up, and settings that
//! would panic or silently stop delivery are refused at start with a clear message.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use imps_core::store::{Snapshot, Store, StoreError, StoreHealth, UserData, UserRecord, Write};
use imps_csp::StatusCode;
use imps_store::SqliteStore;
use imps_testkit::server::{add_users, TestServer, Variant};

/// A real SQLite store whose health the test sets.
struct Flaky {
    inner: SqliteStore,
    failed: AtomicBool,
    backed_up: AtomicBool,
}

impl Store for Flaky {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.inner.load()
    }
    fn load_user(&self, id: &str) -> Result<Option<UserData>, StoreError> {
        self.inner.load_user(id)
    }
    fn load_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.inner.load_users()
    }
    fn due_recipients(&self, at: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        self.inner.due_recipients(at, limit)
    }
    fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        self.inner.user(id)
    }
    fn data_version(&self) -> Result<u64, StoreError> {
        self.inner.data_version()
    }
    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.commit(writes)
    }
    fn search(
        &self,
        kind: imps_core::store::SearchKind,
        criteria: &[imps_core::store::Criterion],
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.search(kind, criteria, limit)
    }
    fn count(&self, kind: imps_core::store::SearchKind, field: &str) -> Result<u64, StoreError> {
        self.inner.count(kind, field)
    }
    fn health(&self) -> StoreHealth {
        StoreHealth {
            queued: if self.backed_up.load(Ordering::Relaxed) {
                10
            } else {
                0
            },
            queue_limit: 10,
            failed: self
                .failed
                .load(Ordering::Relaxed)
                .then(|| "disk I/O error".to_owned()),
        }
    }
}

#[tokio::test]
async fn health_reports_the_store_and_requests_get_503_while_it_is_backed_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    add_users(dir.path(), &["alice", "bob"], true).expect("users");
    let store = Arc::new(Flaky {
        inner: SqliteStore::open(dir.path()).expect("store"),
        failed: AtomicBool::new(false),
        backed_up: AtomicBool::new(false),
    });
    let running = imps_server::start_with_store(TestServer::settings(dir.path()), store.clone())
        .await
        .expect("server");
    let url = format!("http://{}/", running.http_addr);
    let health = || {
        let url = format!("{url}health");
        async move {
            let r = reqwest::get(url).await.expect("GET /health");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    assert_eq!(health().await.0, 200);
    let ts = TestServer {
        url: url.clone(),
        running: Some(running),
        dir,
    };
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");

    store.failed.store(true, Ordering::Relaxed);
    let (code, text) = health().await;
    assert_eq!(code, 503, "a failed store writer is unhealthy");
    assert!(text.contains("disk I/O error"), "{text}");
    store.failed.store(false, Ordering::Relaxed);

    store.backed_up.store(true, Ordering::Relaxed);
    let (code, text) = health().await;
    assert_eq!(code, 503);
    assert!(text.contains("backed up"), "{text}");
    let err = alice
        .send_text(&["bob"], "while the disk is slow")
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains(&StatusCode::SERVICE_UNAVAILABLE.0.to_string()),
        "503: {err}"
    );
    store.backed_up.store(false, Ordering::Relaxed);
    assert_eq!(health().await.0, 200);
    alice
        .send_text(&["bob"], "better now")
        .await
        .expect("served again");
}

#[test]
fn settings_that_would_stop_delivery_are_refused_at_start() {
    for (toml, key) in [
        ("[limits]\nmax_outbox = 0\n", "max_outbox"),
        ("[limits]\nmax_multi_trans = 0\n", "max_multi_trans"),
        (
            "[cir]\ntcp = \"off\"\ntcp_announce = \"im.example.com:3717\"\n",
            "tcp_announce",
        ),
        ("[cir]\ntcp_announce = \"0.0.0.0:3717\"\n", "tcp_announce"),
        ("[cir]\ntcp_announce = \"127.0.0.1:3717\"\n", "tcp_announce"),
        (
            "[cir]\nhttp_url = \"http://localhost:8080/cir\"\n",
            "http_url",
        ),
        (
            "[cir]\nhttp = false\nhttp_url = \"http://im.example.com/cir\"\n",
            "http_url",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("impsd.toml");
        std::fs::write(&conf, toml).expect("config");
        let out = Command::new(env!("CARGO_BIN_EXE_impsd"))
            .arg("--data")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(&conf)
            .args(["--http", "127.0.0.1:0"])
            .output()
            .expect("impsd runs");
        assert!(!out.status.success(), "{toml}: refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{toml}: the message names {key}: {err}");
    }
}
