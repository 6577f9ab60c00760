//! Listening sockets: a backlog of 1024, TCP_NODELAY, HTTP/1.1 keep-alive, optional TLS
//! (rustls), graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use crate::App;

/// Binds a listener with a backlog of 1024.
pub fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket
        .bind(addr)
        .with_context(|| format!("binding {addr}"))?;
    Ok(socket.listen(1024)?)
}

/// A TLS acceptor from PEM files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("reading {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("reading {}", key.display()))?,
    ))?
    .context("no private key in the key file")?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until `stopped`, then waits (up to 10 s) for open ones.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let admitted = match app.http_conns.admit(peer.ip()) {
            Ok(a) => a,
            Err(why) => {
                // Closed at once: a flood from one address never starves the others.
                tracing::warn!(%peer, ?why, "HTTP connection refused: too many open");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn_info = crate::http::Conn {
            peer,
            local: stream.local_addr().ok(),
            tls: tls.is_some(),
        };
        let activity = crate::conns::Activity::new();
        let timeouts = app.settings.http_timeouts;
        let svc = {
            let app = app.clone();
            let activity = activity.clone();
            service_fn(move |req| {
                let app = app.clone();
                let activity = activity.clone();
                async move {
                    let _busy = activity.begin();
                    crate::http::serve(app, req, conn_info).await
                }
            })
        };
        let builder = hyper::server::conn::http1::Builder::new();
        match &tls {
            None => {
                let io = crate::conns::TimedIo::new(stream, activity, timeouts);
                let conn = builder.serve_connection(TokioIo::new(io), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(admitted);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _admitted = admitted;
                    match tokio::time::timeout(timeouts.head, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => {
                            let io = crate::conns::TimedIo::new(s, activity, timeouts);
                            let conn = builder.serve_connection(TokioIo::new(io), svc);
                            let _ = watcher.watch(conn).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; closing");
        }
    }
}
