//! An impsd in the test process, on a free port and a temporary data directory, with named
//! accounts and named clients: scenario tests stay short.
//!
//! ```no_run
//! # async fn t() -> anyhow::Result<()> {
//! use imps_testkit::server::{TestServer, Variant};
//! let ts = TestServer::start(&["alice", "bob"]).await?;
//! let mut alice = ts.client("alice", Variant::V12_XML).await?;
//! let mut bob = ts.client("bob", Variant::V13_WBXML).await?;
//! alice.send_text(&["bob"], "hi").await?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;

use imps_client::{Client, ClientConfig};
use imps_core::auth::{hash_password, HashCost};
use imps_core::store::{Store, UserRecord, Write};
use imps_csp::{CspVersion, Encoding};
use imps_server::{Running, Settings};
use imps_store::SqliteStore;

/// The cheapest argon2 parameters, for tests.
pub const TEST_HASH: HashCost = HashCost {
    memory_kib: 64,
    iterations: 1,
};

/// Every test account's password is its name followed by this.
pub const PASSWORD_SUFFIX: &str = "-pw";

/// A CSP version and encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The version.
    pub version: CspVersion,
    /// The encoding.
    pub encoding: Encoding,
}

impl Variant {
    /// CSP 1.1, XML.
    pub const V11_XML: Variant = Variant::new(CspVersion::V1_1, Encoding::Xml);
    /// CSP 1.1, WBXML.
    pub const V11_WBXML: Variant = Variant::new(CspVersion::V1_1, Encoding::Wbxml);
    /// CSP 1.2, XML.
    pub const V12_XML: Variant = Variant::new(CspVersion::V1_2, Encoding::Xml);
    /// CSP 1.2, WBXML.
    pub const V12_WBXML: Variant = Variant::new(CspVersion::V1_2, Encoding::Wbxml);
    /// CSP 1.3, XML.
    pub const V13_XML: Variant = Variant::new(CspVersion::V1_3, Encoding::Xml);
    /// CSP 1.3, WBXML.
    pub const V13_WBXML: Variant = Variant::new(CspVersion::V1_3, Encoding::Wbxml);
    /// All six.
    pub const ALL: [Variant; 6] = [
        Variant::V11_XML,
        Variant::V11_WBXML,
        Variant::V12_XML,
        Variant::V12_WBXML,
        Variant::V13_XML,
        Variant::V13_WBXML,
    ];

    /// A variant.
    pub const fn new(version: CspVersion, encoding: Encoding) -> Variant {
        Variant { version, encoding }
    }
}

/// A running server for one test.
pub struct TestServer {
    /// The CSP URL (`http://127.0.0.1:PORT/`).
    pub url: String,
    /// The running server.
    pub running: Option<Running>,
    /// The data directory (deleted when the server is dropped).
    pub dir: tempfile::TempDir,
}

/// Writes accounts straight into the store of `dir`.
pub fn add_users(dir: &Path, names: &[&str], digest: bool) -> anyhow::Result<()> {
    let store = SqliteStore::open(dir)?;
    let mut writes = Vec::new();
    for n in names {
        let password = format!("{n}{PASSWORD_SUFFIX}");
        writes.push(Write::PutUser(UserRecord {
            id: format!("wv:{n}@localhost"),
            password_hash: hash_password(&password, TEST_HASH).map_err(anyhow::Error::msg)?,
            digest_secret: digest.then_some(password),
            disabled: false,
        }));
    }
    store.commit(writes)?;
    Ok(())
}

impl TestServer {
    /// Settings for a test server on `dir`: a free port, cheap hashing.
    pub fn settings(dir: &Path) -> Settings {
        let mut s = Settings {
            http: "127.0.0.1:0".parse().expect("literal address"),
            data: dir.to_owned(),
            hash_cost: TEST_HASH,
            // Scenario tests log in many times from 127.0.0.1: it counts as a trusted proxy
            // for the login throttle. Throttling tests guess from 127.0.0.2.
            login_limits: imps_server::throttle::LoginLimits {
                trusted: vec!["127.0.0.1".parse().expect("literal address")],
                ..Default::default()
            },
            ..Settings::default()
        };
        // Scenario tests send bursts from one user; the quota tests set their own limits.
        s.engine.messages_burst = 10_000.0;
        // Users spread over 3 shards, so that every scenario crosses shards (what one user
        // does to another travels as a routed event); IMPS_TEST_SHARDS=N chooses another N.
        s.engine.shards = std::env::var("IMPS_TEST_SHARDS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(3)
            .clamp(1, 256);
        s.engine.max_inbox_per_sender = s.engine.max_inbox;
        s
    }

    /// Starts a server with accounts `names` (password: name + [`PASSWORD_SUFFIX`]).
    pub async fn start(names: &[&str]) -> anyhow::Result<TestServer> {
        Self::start_with(names, |_| {}).await
    }

    /// Starts a server with accounts `names`, after `tweak` changed the settings.
    pub async fn start_with(
        names: &[&str],
        tweak: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<TestServer> {
        let dir = tempfile::tempdir()?;
        add_users(dir.path(), names, true)?;
        let mut s = Self::settings(dir.path());
        tweak(&mut s);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path())?);
        let running = imps_server::start_with_store(s, store).await?;
        Ok(TestServer {
            url: format!("http://{}/", running.http_addr),
            running: Some(running),
            dir,
        })
    }

    /// The engine of the running server.
    pub fn engine(&self) -> &imps_core::Engine {
        &self.running.as_ref().expect("server running").app.engine
    }

    /// A client configuration for `variant`.
    pub fn config(&self, variant: Variant) -> ClientConfig {
        let mut c = ClientConfig::new(self.url.clone());
        c.version = variant.version;
        c.encoding = variant.encoding;
        c.timeout = std::time::Duration::from_secs(20);
        c
    }

    /// A logged-in, negotiated client of account `name`.
    pub async fn client(&self, name: &str, variant: Variant) -> anyhow::Result<Client> {
        let mut c = Client::new(self.config(variant))?;
        c.login(name, &format!("{name}{PASSWORD_SUFFIX}")).await?;
        c.negotiate().await?;
        Ok(c)
    }

    /// Stops the running server (if any) and starts a new one on the same data directory
    /// (accounts, lists and stored messages survive), after `tweak` changed the settings.
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Settings)) -> anyhow::Result<()> {
        self.stop().await;
        let mut s = Self::settings(self.dir.path());
        tweak(&mut s);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(self.dir.path())?);
        let running = imps_server::start_with_store(s, store).await?;
        self.url = format!("http://{}/", running.http_addr);
        self.running = Some(running);
        Ok(())
    }

    /// Stops the running server (if any) and starts a new one on the same data directory.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.restart_with(|_| {}).await
    }

    /// Stops the server gracefully.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}
