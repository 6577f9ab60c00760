//! # imps-server
//!
//! `impsd`: the engine ([`imps_core::Engine`]) behind HTTP(S), on a storage backend
//! ([`imps_store::SqliteStore`] by default), with the background work (session expiry,
//! message expiry, noticing accounts changed by `impsd user ...`) and graceful shutdown.
//!
//! CIR channels (TCP, UDP, SMS, WAP push) are not here yet: wake-ups are counted and the
//! standalone HTTP CIR endpoint answers from the engine's queues.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod admin;
pub mod cir;
pub mod config;
pub mod conns;
pub mod control;
pub mod http;
mod listen;
pub mod pool;
pub mod throttle;

use std::net::SocketAddr;

use anyhow::Context as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use imps_core::store::{Store, StoreError, Write};
use imps_core::{Engine, Wake};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use config::{CirTcp, Settings};

/// What every request handler shares.
pub struct App {
    /// The engine.
    pub engine: Arc<Engine>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The settings.
    pub settings: Settings,
    /// Wake-ups requested so far (CIR channels are not implemented yet).
    pub wakes: AtomicU64,
    /// Threads for logins (password hashing).
    pub logins: pool::LoginPool,
    /// CIR connections.
    pub cir: cir::CirHub,
    /// Open HTTP(S) connections, under their caps.
    pub http_conns: Arc<conns::Tracker>,
    /// Open standalone TCP CIR connections, under their caps.
    pub cir_conns: Arc<conns::Tracker>,
    /// Login attempts and failures per address and account.
    pub logins_throttle: throttle::LoginThrottle,
    /// Whether the TCPAddress announced is the address each client reached (TCP CIR listens
    /// on every address and the operator announced none).
    pub tcp_cir_per_request: bool,
}

impl App {
    /// Waits until what `outcome` depends on is durable: the writes the engine submitted in
    /// its shards' order (and any it returned, committed here). `Err` if one failed: the
    /// response and wake-ups must not be released then.
    pub async fn settle(&self, outcome: &mut imps_core::Outcome) -> Result<(), StoreError> {
        let writes = std::mem::take(&mut outcome.writes);
        self.commit(writes).await?;
        std::mem::take(&mut outcome.durable).wait().await
    }

    /// Commits writes durably (group commit in the store), off the async threads.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.iter().all(Write::answer_before_durable) {
            // Acknowledged deliveries: a crash before they land redelivers, loses nothing.
            self.store.commit_then(
                writes,
                Box::new(|r| {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "commit of deliveries failed");
                    }
                }),
            );
            return Ok(());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.store.commit_then(
            writes,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.await
            .map_err(|_| StoreError::permanent("the store dropped a commit"))?
    }

    /// Hands wake-ups to the CIR channels and closes those of ended sessions.
    pub fn wake(&self, wakes: Vec<Wake>, ended: Vec<String>) {
        self.wakes.fetch_add(wakes.len() as u64, Ordering::Relaxed);
        if !wakes.is_empty() {
            self.cir.wake(&wakes);
        }
        if !ended.is_empty() {
            self.cir.ended(&ended);
        }
    }
}

/// A running server.
pub struct Running {
    /// Where HTTP is served.
    pub http_addr: SocketAddr,
    /// Where HTTPS is served, if configured.
    pub https_addr: Option<SocketAddr>,
    /// Where standalone TCP CIR is served, if configured.
    pub cir_tcp_addr: Option<SocketAddr>,
    /// The shared state (tests look at the engine).
    pub app: Arc<App>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Running {
    /// Stops accepting, lets requests in progress finish (up to 10 s), stops the background
    /// work.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        // Last background round: what waits for a tick (watcher history) is saved.
        let mut outcome = self.app.engine.tick(http::now());
        if let Err(e) = self.app.settle(&mut outcome).await {
            tracing::error!(error = %e, "final commit failed");
        }
        tracing::info!("impsd stopped");
    }

    /// Runs until `signal` completes (see [`shutdown_signal`]), then shuts down gracefully.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called (before the future is
/// polled), so call it before announcing that the server is up.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}

/// Opens the store in `settings.data`, loads it and starts serving.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    let store = settings.open_store()?;
    start_with_store(settings, Arc::new(store)).await
}

/// Starts serving on `store`.
pub async fn start_with_store(
    settings: Settings,
    store: Arc<dyn Store>,
) -> anyhow::Result<Running> {
    if let Some(n) = conns::raise_nofile_limit() {
        tracing::info!(
            open_files = n,
            http_connections = settings.http_conns.max_total,
            cir_connections = settings.cir_conns.max_total,
            "connection caps"
        );
        let wanted = settings.http_conns.max_total + settings.cir_conns.max_total + 64;
        if (n as usize) < wanted {
            tracing::warn!(
                open_files = n,
                wanted,
                "the open-file limit is below the connection caps: connections beyond it fail to be accepted"
            );
        }
    }
    settings.validate()?;
    // First: a second server on the same data directory stops here.
    let control_path = settings.control_socket();
    let control = control::bind(&control_path)?;
    // Accounts are read when first needed (a login, a message to them): start-up reads the
    // schema and counts the groups (by an index), whatever the size of the database.
    tracing::info!("store opened: accounts load when first needed");
    let mut settings = settings;
    let http = listen::bind(settings.http)?;
    let http_addr = http.local_addr()?;
    let mut tcp_cir_per_request = false;
    let tcp_cir = match settings.cir_tcp.address(settings.http) {
        Some(addr) => {
            let l = listen::bind(addr).context(
                "standalone TCP CIR (on by default): set [cir] tcp to another address, or \"off\"",
            )?;
            tcp_cir_per_request = settings.cir_tcp_announce.is_none() && addr.ip().is_unspecified();
            let bound = l.local_addr()?;
            let announce = settings
                .cir_tcp_announce
                .clone()
                .unwrap_or_else(|| (bound.ip().to_string(), bound.port()));
            settings.engine.tcp_cir = Some(announce);
            Some(l)
        }
        None => None,
    };
    if settings.cir_http {
        settings.engine.http_cir_url = Some(
            settings
                .cir_http_url
                .clone()
                .unwrap_or_else(|| format!("http://{http_addr}/cir")),
        );
    }
    let engine = Arc::new(
        Engine::new(settings.engine.clone(), Default::default())
            .with_store(store.clone())
            .map_err(|e| anyhow::anyhow!("counting the groups in the store: {e}"))?,
    );
    tracing::info!(
        groups = engine.group_count(),
        max_groups = settings.engine.max_groups,
        "groups counted"
    );
    let app = Arc::new(App {
        engine,
        store,
        settings: settings.clone(),
        wakes: AtomicU64::new(0),
        cir: cir::CirHub::default(),
        http_conns: conns::Tracker::new(settings.http_conns.clone()),
        cir_conns: conns::Tracker::new(settings.cir_conns.clone()),
        tcp_cir_per_request,
        logins_throttle: throttle::LoginThrottle::new(settings.login_limits.clone()),
        logins: pool::LoginPool::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            settings.max_queued_logins,
        )?,
    });
    let quarantine = app.engine.take_startup_writes();
    if !quarantine.is_empty() {
        app.commit(quarantine)
            .await
            .map_err(|e| anyhow::anyhow!("keeping unreadable stored documents aside: {e}"))?;
    }
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();

    tasks.spawn(listen::serve(http, None, app.clone(), stopped.clone()));
    let mut cir_tcp_addr = None;
    if let Some(l) = tcp_cir {
        cir_tcp_addr = Some(l.local_addr()?);
        tasks.spawn(cir::serve_tcp(l, app.clone(), stopped.clone()));
    }
    let mut https_addr = None;
    if let Some((addr, cert, key)) = &settings.https {
        let tls = listen::tls_acceptor(cert, key)?;
        let l = listen::bind(*addr)?;
        https_addr = Some(l.local_addr()?);
        tasks.spawn(listen::serve(l, Some(tls), app.clone(), stopped.clone()));
    }
    if let Some(l) = control {
        tasks.spawn(control::serve(
            l,
            control_path,
            app.clone(),
            stopped.clone(),
        ));
    }
    tasks.spawn(background(app.clone(), stopped));
    Ok(Running {
        http_addr,
        https_addr,
        cir_tcp_addr,
        app,
        stop,
        tasks,
    })
}

/// Once a second: expiry, and accounts changed by another process.
async fn background(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut version = app.store.data_version().ok();
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = every.tick() => {}
        }
        // Accounts nobody loaded whose stored messages are due to expire: loaded, so that this
        // tick expires them and tells their senders.
        let engine = app.engine.clone();
        match tokio::task::spawn_blocking(move || engine.load_due(http::now(), 1000)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!(accounts = n, "loaded for message or group expiry"),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "finding messages and groups due to expire failed")
            }
            Err(e) => {
                tracing::error!(error = %e, "finding messages and groups due to expire failed")
            }
        }
        // On a blocking thread: a tick locks every shard in turn, waiting for each.
        let engine = app.engine.clone();
        let mut outcome = match tokio::task::spawn_blocking(move || engine.tick(http::now())).await
        {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "the periodic work failed");
                continue;
            }
        };
        if let Err(e) = app.settle(&mut outcome).await {
            tracing::error!(error = %e, "commit of expiry failed");
        }
        app.wake(outcome.wakes, outcome.ended);
        let store = app.store.clone();
        let current = tokio::task::spawn_blocking(move || store.data_version())
            .await
            .ok()
            .and_then(Result::ok);
        if current.is_some() && current != version {
            version = current;
            // Only the accounts in memory can be out of date: the others are read when
            // first needed.
            let store = app.store.clone();
            let ids = app.engine.loaded_ids();
            let read = tokio::task::spawn_blocking(move || {
                ids.into_iter()
                    .map(|id| store.user(&id).map(|r| (id, r)))
                    .collect::<Result<Vec<_>, _>>()
            });
            match read.await {
                Ok(Ok(records)) => {
                    tracing::info!(
                        accounts = records.len(),
                        "accounts changed: accounts in memory re-read"
                    );
                    let mut o = app.engine.sync_loaded(records, http::now());
                    if let Err(e) = app.settle(&mut o).await {
                        tracing::error!(error = %e, "commit after re-reading accounts failed");
                    }
                    app.wake(o.wakes, o.ended);
                }
                Ok(Err(e)) => tracing::error!(error = %e, "re-reading accounts failed"),
                Err(e) => tracing::error!(error = %e, "re-reading accounts failed"),
            }
        }
    }
}

/// `impsd user ...` writes go through the same store type; re-exported for the binary.
pub use imps_store::SqliteStore as DefaultStore;
