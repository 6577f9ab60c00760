//! CIR channels (csp-reference.md §8.2): standalone TCP (`STCP`). A client connects to the
//! announced TCPAddress:TCPPort and says `HELO <SessionID>`; the server answers `OK`, answers
//! each `PING` with `OK`, and writes `WVCI <version> <cookie>` whenever the session has queued
//! requests. Standalone HTTP (`SHTTP`) is the `GET /cir` endpoint of the HTTP listener.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use imps_core::Wake;
use imps_csp::CspVersion;
use parking_lot::Mutex;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::App;

/// Longest line a CIR client may send.
const MAX_LINE: usize = 256;

/// The live CIR connections, by session.
#[derive(Default)]
pub struct CirHub {
    tcp: Mutex<HashMap<String, mpsc::Sender<String>>>,
    /// Sessions whose TCP CIR connection was open once and is now gone: their next answers
    /// say `CIR=F` so that the client rebuilds the channel.
    broken: Mutex<std::collections::HashSet<String>>,
}

fn version_text(v: CspVersion) -> &'static str {
    match v {
        CspVersion::V1_1 => "1.1",
        CspVersion::V1_2 => "1.2",
        CspVersion::V1_3 => "1.3",
    }
}

impl CirHub {
    /// Wakes sessions through their channels.
    pub fn wake(&self, wakes: &[Wake]) {
        let tcp = self.tcp.lock();
        for w in wakes {
            if let Some(tx) = tcp.get(&w.session_id) {
                let line = format!(
                    "WVCI {} {}\r\n",
                    version_text(w.version),
                    w.cookie.as_deref().unwrap_or("")
                );
                // A full queue already holds a wake-up: one is enough.
                let _ = tx.try_send(line);
            }
        }
    }

    /// Forgets ended sessions (their connections close).
    pub fn ended(&self, sessions: &[String]) {
        let mut tcp = self.tcp.lock();
        let mut broken = self.broken.lock();
        for s in sessions {
            tcp.remove(s);
            broken.remove(s);
        }
    }

    /// Whether the session's TCP CIR channel broke (it was open and is gone).
    pub fn is_broken(&self, session: &str) -> bool {
        self.broken.lock().contains(session)
    }

    /// The session's channel, as `impsd session list` shows it: `tcp` (connected), `broken`
    /// (it was, and is gone), `None` (none open).
    pub fn state(&self, session: &str) -> Option<&'static str> {
        if self.tcp.lock().contains_key(session) {
            Some("tcp")
        } else if self.is_broken(session) {
            Some("broken")
        } else {
            None
        }
    }

    /// Number of live TCP CIR connections.
    pub fn tcp_connections(&self) -> usize {
        self.tcp.lock().len()
    }
}

/// Accepts STCP connections until `stopped`.
pub async fn serve_tcp(listener: TcpListener, app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "CIR accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let admitted = match app.cir_conns.admit(peer.ip()) {
            Ok(a) => a,
            Err(why) => {
                tracing::warn!(%peer, ?why, "TCP CIR connection refused: too many open");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            let _admitted = admitted;
            if let Err(e) = connection(stream, app, stopped).await {
                tracing::debug!(%peer, error = %e, "CIR connection ended");
            }
        });
    }
}

async fn read_line(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    buf.clear();
    let n = (&mut *r)
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if n > MAX_LINE {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(Some(String::from_utf8_lossy(buf).trim().to_owned()))
}

use tokio::io::AsyncReadExt as _;

async fn connection(
    stream: TcpStream,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    // CIR lines are short: a small buffer keeps an idle connection cheap.
    let mut r = BufReader::with_capacity(512, r);
    let mut buf = Vec::new();
    // HELO within the deadline.
    let first = tokio::time::timeout(app.settings.cir_helo_timeout, read_line(&mut r, &mut buf))
        .await
        .map_err(|_| std::io::Error::other("no HELO"))??;
    let Some(named) = first
        .as_deref()
        .and_then(|l| l.strip_prefix("HELO "))
        .map(|s| s.trim().to_owned())
    else {
        return Err(std::io::Error::other("expected HELO"));
    };
    // Real handsets name their SessionID; the session's CIR token works too.
    let Some(sid) = app.engine.cir_session(&named) else {
        // Unknown session: close.
        return Err(std::io::Error::other("HELO for an unknown session"));
    };
    let (tx, mut rx) = mpsc::channel::<String>(4);
    let ours = tx.clone();
    app.cir.tcp.lock().insert(sid.clone(), tx);
    app.cir.broken.lock().remove(&sid);
    w.write_all(b"OK\r\n").await?;
    // Requests queued before the connection: wake at once.
    if app.engine.has_pending(&sid) == Some(true) {
        if let Some((cookie, v)) = app.engine.session_cir_info(&sid) {
            let line = format!(
                "WVCI {} {}\r\n",
                version_text(v),
                cookie.unwrap_or_default()
            );
            w.write_all(line.as_bytes()).await?;
        }
    }
    let idle = app.settings.cir_idle_timeout;
    let silent = tokio::time::sleep(idle);
    tokio::pin!(silent);
    let result = loop {
        tokio::select! {
            _ = stopped.changed() => break Ok(()),
            _ = &mut silent => break Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no PING within the idle timeout",
            )),
            line = rx.recv() => match line {
                Some(line) => {
                    if let Err(e) = w.write_all(line.as_bytes()).await {
                        break Err(e);
                    }
                }
                None => break Ok(()), // session ended or replaced by a newer connection
            },
            line = read_line(&mut r, &mut buf) => match line {
                Ok(Some(l)) if l.starts_with("PING") => {
                    silent.as_mut().reset(tokio::time::Instant::now() + idle);
                    if let Err(e) = w.write_all(b"OK\r\n").await {
                        break Err(e);
                    }
                }
                Ok(Some(_)) => silent.as_mut().reset(tokio::time::Instant::now() + idle),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            },
        }
    };
    // Unregister only if this connection is still the registered one.
    // Unregister, unless a newer connection of the session took the place; a live session
    // whose channel is gone is marked broken (CIR=F).
    let mut tcp = app.cir.tcp.lock();
    let still_ours = tcp.get(&sid).is_some_and(|t| t.same_channel(&ours));
    if still_ours {
        tcp.remove(&sid);
    }
    drop(tcp);
    if still_ours && app.engine.session_cir_info(&sid).is_some() {
        app.cir.broken.lock().insert(sid.clone());
    }
    result
}
