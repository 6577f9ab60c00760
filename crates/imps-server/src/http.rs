//! The HTTP binding (csp-reference.md §8.1): one CSP message per POST to `/` or `/imps`,
//! answered with one message (or an empty body) in the same encoding and media type spelling.
//! Also the standalone HTTP CIR endpoint (`GET /cir?token=TOKEN`: 200 when requests are queued,
//! 204 otherwise) and `GET /health`.

use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode as HttpStatus};
use imps_core::{Engine, Outcome, Reached};
use imps_csp::model::common::Status;
use imps_csp::{
    CspVersion, Encoding, Limits, Primitive, StatusCode, TransactionMode, WvCspMessage,
};

use crate::App;

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn plain(status: HttpStatus, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// The connection a request came on.
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    /// The client's address.
    pub peer: SocketAddr,
    /// The server's address the client reached.
    pub local: Option<SocketAddr>,
    /// Whether the connection is HTTPS.
    pub tls: bool,
}

/// Routes one HTTP request.
pub async fn serve(
    app: Arc<App>,
    req: Request<Incoming>,
    conn: Conn,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    Ok(match (req.method(), path.as_str()) {
        (&Method::POST, "/" | "/imps") => csp(app, req, conn).await,
        (_, "/" | "/imps") => plain(HttpStatus::METHOD_NOT_ALLOWED, "POST a CSP message\n"),
        (&Method::GET, "/cir") => http_cir(&app, req.uri().query().unwrap_or("")),
        (&Method::GET, "/health") => health(&app),
        _ => plain(HttpStatus::NOT_FOUND, "not found\n"),
    })
}

/// `GET /health`: 200 `ok` while the store takes writes; 503 with the reason when its writer
/// failed or is backed up (a load balancer takes the node out).
fn health(app: &App) -> Response<Full<Bytes>> {
    let h = app.store.health();
    if h.ok() {
        return plain(HttpStatus::OK, "ok\n");
    }
    let why = match &h.failed {
        Some(e) => format!("unhealthy: store: {e}\n"),
        None => format!(
            "unhealthy: store backed up ({} commits waiting)\n",
            h.queued
        ),
    };
    let mut r = Response::new(Full::new(Bytes::from(why)));
    *r.status_mut() = HttpStatus::SERVICE_UNAVAILABLE;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// Standalone HTTP CIR: 200 when the session with this CIR token has queued requests, 204
/// otherwise — also for a token no session has, so that the endpoint is no oracle for
/// tokens (and it never takes a SessionID).
fn http_cir(app: &App, query: &str) -> Response<Full<Bytes>> {
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap_or("");
    match app.engine.has_pending_cir(token) {
        Some(true) => plain(HttpStatus::OK, "WVCI\n"),
        Some(false) | None => plain(HttpStatus::NO_CONTENT, ""),
    }
}

/// The version a document that did not decode claims to be in (for the error answer): the
/// WBXML public id or the root namespace; 1.1 framing when nothing tells.
fn guess_version(body: &[u8]) -> CspVersion {
    if imps_csp::sniff(body) == Some(Encoding::Wbxml) {
        return match body.get(1) {
            Some(0x11) => CspVersion::V1_2,
            Some(0x12) => CspVersion::V1_3,
            _ => CspVersion::V1_1,
        };
    }
    let head = &body[..body.len().min(1024)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"IMPS-CSP1.3") {
        CspVersion::V1_3
    } else if has(b"CSP1.2") {
        CspVersion::V1_2
    } else {
        CspVersion::V1_1
    }
}

fn reply(
    msg: Option<&WvCspMessage>,
    encoding: Encoding,
    media: HeaderValue,
) -> Response<Full<Bytes>> {
    let Some(msg) = msg else {
        let mut r = Response::new(Full::new(Bytes::new()));
        r.headers_mut().insert(CONTENT_TYPE, media);
        return r;
    };
    match imps_csp::encode_for_client(msg, encoding) {
        Ok(body) => body_response(body, media),
        Err(e) => {
            tracing::error!(error = %e, "response did not encode");
            plain(HttpStatus::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// An HTTP 200 carrying an encoded CSP message.
fn body_response(body: Vec<u8>, media: HeaderValue) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(CONTENT_TYPE, media);
    r
}

fn status_message(
    version: CspVersion,
    sid: Option<String>,
    tid: Option<String>,
    code: StatusCode,
) -> WvCspMessage {
    let mut m = WvCspMessage::new(
        version,
        sid,
        TransactionMode::Response,
        tid,
        Primitive::Status(Status::new(code)),
    );
    m.set_poll(false);
    m
}

/// The host part of a `Host` header value (`name`, `name:port`, `[v6]:port`).
fn host_of(value: &str) -> Option<&str> {
    let value = value.trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        rest.split_once(']').map(|(h, _)| h)?
    } else {
        value.rsplit_once(':').map_or(value, |(h, _)| h)
    };
    (!host.is_empty() && host.len() <= 255).then_some(host)
}

/// Where the request reached the server, for the CIR addresses announced to its session
/// (only where the operator configured none).
fn reached(app: &App, host: Option<&HeaderValue>, conn: Conn) -> Reached {
    let host_header = host
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.bytes().all(|b| b.is_ascii_graphic()));
    // The local IP, without an IPv4-mapped IPv6 wrapper.
    let local_ip = conn.local.map(|a| match a.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    });
    let mut r = Reached {
        peer: Some(conn.peer.ip()),
        ..Reached::default()
    };
    if app.tcp_cir_per_request {
        // TCPAddress: the Host header when it is an IP literal, else the address the
        // connection reached (a name in Host may not resolve on a handset).
        let literal = host_header
            .and_then(host_of)
            .filter(|h| h.parse::<IpAddr>().is_ok());
        r.tcp_cir_host = literal
            .map(str::to_owned)
            .or_else(|| local_ip.map(|ip| ip.to_string()));
    }
    if app.settings.cir_http && app.settings.cir_http_url.is_none() {
        let scheme = if conn.tls { "https" } else { "http" };
        let authority = host_header
            .map(str::to_owned)
            .or_else(|| conn.local.map(|a| a.to_string()));
        r.http_cir_url = authority.map(|a| format!("{scheme}://{a}/cir"));
    }
    r
}

async fn csp(app: Arc<App>, req: Request<Incoming>, conn: Conn) -> Response<Full<Bytes>> {
    let peer = conn.peer;
    let host = req.headers().get(hyper::header::HOST).cloned();
    let max = app.settings.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        tracing::warn!(%peer, declared, "request body too large");
        return plain(HttpStatus::PAYLOAD_TOO_LARGE, "request body too large\n");
    }
    let wbxml_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s.contains("wbxml"));
    let given_type = req.headers().get(CONTENT_TYPE).cloned();
    let collect = Limited::new(req.into_body(), max).collect();
    let body = match tokio::time::timeout(app.settings.body_timeout, collect).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) => {
            tracing::warn!(%peer, error = %e, "request body unreadable or too large");
            return plain(HttpStatus::PAYLOAD_TOO_LARGE, "request body too large\n");
        }
        Err(_) => {
            tracing::warn!(%peer, "request body too slow: 408");
            let mut r = plain(HttpStatus::REQUEST_TIMEOUT, "request body too slow\n");
            r.headers_mut()
                .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    let encoding = imps_csp::sniff(&body).unwrap_or(if wbxml_type {
        Encoding::Wbxml
    } else {
        Encoding::Xml
    });
    let media = media_type(given_type, encoding);
    // Every decode limit follows the body limit: in particular the budget of decoded bytes
    // (16 per body byte, at most 16 MiB), so that a small body cannot make the server build
    // text far larger than itself before any session check.
    let limits = Limits::for_body(max);
    let msg = match imps_csp::decode(&body, &limits) {
        Ok(m) => m,
        Err(e) => {
            let code = e.status_code();
            // Echo what could be read: an error without the TransactionID hangs a real
            // client (csp-reference §11.1).
            let got = imps_csp::salvage(&body, limits);
            tracing::warn!(%peer, error = %e, code = code.0, tid = ?got.transaction_id, "undecodable request");
            let version = got.version.unwrap_or_else(|| guess_version(&body));
            let m = status_message(version, got.session_id, got.transaction_id, code);
            return reply(Some(&m), encoding, media);
        }
    };
    let version = msg.version;
    let sid = msg.session.descriptor.session_id.clone();
    let tid = msg
        .session
        .transactions
        .first()
        .and_then(|t| t.descriptor.transaction_id.clone());
    if app.store.health().backed_up() {
        // Back-pressure: nothing is done that could not be made durable in time.
        tracing::warn!(%peer, "store backed up: 503");
        let m = status_message(version, sid, tid, StatusCode::SERVICE_UNAVAILABLE);
        return reply(Some(&m), encoding, media);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    let fingerprint = hasher.finish();
    let now = now();
    // The CIR addresses announced are built only for capability negotiation, not for every
    // request.
    let negotiates = msg
        .session
        .transactions
        .iter()
        .any(|t| matches!(t.primitive, Primitive::ClientCapabilityRequest(_)));
    let reached = if negotiates {
        reached(&app, host.as_ref(), conn)
    } else {
        Reached {
            peer: Some(peer.ip()),
            ..Reached::default()
        }
    };
    let login_of = if Engine::is_slow(&msg) {
        app.engine.login_user(&msg)
    } else {
        None
    };
    if let Some(user) = &login_of {
        // Before any password work: attempts per address, failures per account and address.
        if let Err(why) = app.logins_throttle.check(peer.ip(), user) {
            tracing::warn!(%peer, user = %user, ?why, "login throttled: 503");
            let mut m = status_message(version, sid, tid, StatusCode::SERVICE_UNAVAILABLE);
            if let Some(t) = m.session.transactions.first_mut() {
                if let Primitive::Status(st) = &mut t.primitive {
                    st.result.description = Some("Too many login attempts: try again later".into());
                }
            }
            return reply(Some(&m), encoding, media);
        }
    }
    let outcome = if Engine::is_slow(&msg) {
        let engine = app.engine.clone();
        let store = app.store.clone();
        let work = move || {
            // The account as the store has it now: `impsd user add|del|passwd` apply at once.
            // One not in memory is read whole, without its shard's lock held meanwhile; one
            // in memory (or known to be absent) is brought up to date from its record, and
            // sessions that ends (the account was disabled, or its password changed) hear of it.
            let needed = engine.loads_needed(&msg);
            let mut refreshed = imps_core::Outcome::default();
            if let Some(id) = engine.login_user(&msg).filter(|id| !needed.contains(id)) {
                match store.user(&id) {
                    Ok(record) => refreshed = engine.refresh_user(&id, record, now),
                    Err(e) => tracing::error!(error = %e, "reading an account failed"),
                }
            }
            engine.load_accounts(&needed, now);
            engine
                .handle_reached(msg, now, fingerprint, reached)
                .after(refreshed)
        };
        match app.logins.run(work).await {
            Ok(o) => o,
            Err(crate::pool::PoolError::Busy) => {
                tracing::warn!(%peer, "too many logins waiting: 503");
                let m = status_message(version, sid, tid, StatusCode::SERVICE_UNAVAILABLE);
                return reply(Some(&m), encoding, media);
            }
            Err(crate::pool::PoolError::Stopped) => {
                tracing::error!("login task failed");
                let m = status_message(version, sid, tid, StatusCode::INTERNAL_ERROR);
                return reply(Some(&m), encoding, media);
            }
        }
    } else {
        // Accounts the request needs that are not in memory are read first, off the
        // executor's threads and without holding their shard: a slow read then delays only
        // this request.
        let needed = app.engine.loads_needed(&msg);
        if !needed.is_empty() {
            let engine = app.engine.clone();
            if let Err(e) =
                tokio::task::spawn_blocking(move || engine.load_accounts(&needed, now)).await
            {
                tracing::error!(error = %e, "reading accounts failed");
            }
        }
        // A search reads the store the same way, before it runs.
        let msg = if app.engine.searches_store(&msg) {
            let engine = app.engine.clone();
            match tokio::task::spawn_blocking(move || {
                engine.search_ahead(&msg);
                msg
            })
            .await
            {
                Ok(msg) => msg,
                Err(e) => {
                    tracing::error!(error = %e, "searching failed");
                    let m = status_message(version, sid, tid, StatusCode::INTERNAL_ERROR);
                    return reply(Some(&m), encoding, media);
                }
            }
        } else {
            msg
        };
        // Run at once while its shards are free; a shard another thread holds gets the
        // work in its mailbox, and the rest runs in a task of its own (it must run to its
        // end even if this connection goes away).
        match app.engine.handle_nowait(msg, now, fingerprint, reached) {
            imps_core::Handled::Done(o) => o,
            imps_core::Handled::Pending(p) => {
                let engine = app.engine.clone();
                match tokio::spawn(async move { p.finish(&engine).await }).await {
                    Ok(Some(o)) => o,
                    Ok(None) | Err(_) => {
                        tracing::error!("a request's work on a shard was dropped");
                        let m = status_message(version, sid, tid, StatusCode::INTERNAL_ERROR);
                        return reply(Some(&m), encoding, media);
                    }
                }
            }
        }
    };
    if let Some(user) = &login_of {
        let code = outcome.response.as_ref().and_then(|m| {
            m.session
                .transactions
                .first()
                .and_then(|t| match &t.primitive {
                    Primitive::LoginResponse(r) => Some(r.result.code),
                    _ => None,
                })
        });
        if let Some(code) = code.filter(|c| LOGIN_FAILURES.contains(c)) {
            // One line per failure, in a form fail2ban reads (docs/security.md).
            tracing::warn!(
                "login failed for {user} from {} (status {})",
                peer.ip(),
                code.0
            );
            app.logins_throttle.failed(peer.ip(), user);
        }
    }
    // The engine applied every routed event before it returned, and submitted the writes.
    let mut outcome = outcome;
    if let Err(e) = app.settle(&mut outcome).await {
        tracing::error!(error = %e, "commit failed");
        let m = status_message(version, sid, tid, StatusCode::INTERNAL_ERROR);
        return reply(Some(&m), encoding, media);
    }
    let Outcome {
        response,
        response_wbxml,
        wakes,
        ended,
        ..
    } = outcome;
    app.wake(wakes, ended);
    let mut response = response;
    let mut encoded = response_wbxml.filter(|_| encoding == Encoding::Wbxml);
    if let Some(m) = &mut response {
        // CIR=F (1.2+): the session's TCP CIR channel is gone; the client rebuilds it.
        if m.version >= CspVersion::V1_2 {
            if let Some(s) = &m.session.descriptor.session_id {
                if app.cir.is_broken(s) {
                    m.session.cir = Some(false);
                    encoded = None;
                }
            }
        }
    }
    let Some(m) = response.as_ref() else {
        return reply(None, encoding, media);
    };
    // Encoded once already (for the replay cache): the same bytes.
    let body = match encoded {
        Some(b) => b,
        None => match imps_csp::encode_for_client(m, encoding) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "response did not encode");
                return plain(HttpStatus::INTERNAL_SERVER_ERROR, "internal error\n");
            }
        },
    };
    // 1.3: an answer larger than the client's ParserSize goes in segments (GetSegment).
    // (Only answers above the smallest ParserSize honoured ask the session's shard.)
    let mut body = body;
    if m.version >= CspVersion::V1_3 && body.len() > imps_core::Engine::SEGMENT_FLOOR {
        if let Some(sid) = m.session.descriptor.session_id.as_deref() {
            match app.engine.segment(sid, m, body, now) {
                Ok(first) => return reply(Some(&first), encoding, media),
                Err(whole) => body = whole,
            }
        }
    }
    body_response(body, media)
}

/// Login answers that mean a wrong guess: invalid password (409), unknown user (531), a
/// digest that does not match (409) or a missing challenge (409).
const LOGIN_FAILURES: [StatusCode; 2] = [StatusCode::INVALID_PASSWORD, StatusCode::UNKNOWN_USER];

/// The media type of the answer: the client's own spelling when it sent a CSP or XML type.
fn media_type(given: Option<HeaderValue>, encoding: Encoding) -> HeaderValue {
    given
        .filter(|v| {
            v.to_str()
                .is_ok_and(|s| s.contains("vnd.wv.csp") || s.contains("xml"))
        })
        .unwrap_or_else(|| {
            HeaderValue::from_static(match encoding {
                Encoding::Xml => "application/vnd.wv.csp.xml",
                Encoding::Wbxml => "application/vnd.wv.csp.wbxml",
            })
        })
}
