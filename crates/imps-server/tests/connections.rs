//! Connections that cannot be held hostage: silent and half-sent HTTP connections are closed
//! after the head deadline, idle keep-alive connections after the idle deadline, slow bodies
//! get 408, one address cannot hold more than its share of connections, TCP CIR connections
//! must say HELO in time and keep talking; and a client from another address is served
//! throughout.

use std::net::SocketAddr;
use std::time::Duration;

use imps_testkit::server::{TestServer, Variant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection from 127.0.0.2 (another address than the well-behaved clients' 127.0.0.1).
async fn from_other_address(to: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().expect("socket");
    s.bind("127.0.0.2:0".parse().expect("address"))
        .expect("bind 127.0.0.2");
    s.connect(to).await.expect("connect")
}

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {} // an answer (e.g. 408); wait for the close
        }
    }
}

fn http_addr(ts: &TestServer) -> SocketAddr {
    ts.running.as_ref().expect("running").http_addr
}

/// A well-behaved client logs in and exchanges a message while the attack goes on.
async fn others_are_served(ts: &TestServer) {
    let mut alice = ts
        .client("alice", Variant::V12_XML)
        .await
        .expect("alice served");
    let mut bob = ts
        .client("bob", Variant::V12_WBXML)
        .await
        .expect("bob served");
    alice.send_text(&["bob"], "still here").await.expect("send");
    let p = bob
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, imps_csp::Primitive::NewMessage(_))
        })
        .await
        .expect("delivered");
    assert!(matches!(p, imps_csp::Primitive::NewMessage(_)));
}

#[tokio::test]
async fn silent_and_half_sent_connections_are_closed_while_others_are_served() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.http_timeouts.head = Duration::from_secs(2);
        s.http_timeouts.idle = Duration::from_secs(60);
    })
    .await
    .expect("server");
    let addr = http_addr(&ts);
    let mut silent = Vec::new();
    for _ in 0..150 {
        silent.push(from_other_address(addr).await);
    }
    let mut half = Vec::new();
    for _ in 0..150 {
        let mut s = from_other_address(addr).await;
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.wv.csp.xml\r\n")
            .await
            .expect("part of a head");
        half.push(s);
    }
    others_are_served(&ts).await;
    for (i, s) in silent.iter_mut().chain(half.iter_mut()).enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(30)).await,
            "connection {i} still open long after the 2 s head deadline"
        );
    }
    others_are_served(&ts).await;
}

#[tokio::test]
async fn idle_keep_alive_outlives_the_head_deadline_then_closes() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.http_timeouts.head = Duration::from_secs(1);
        s.http_timeouts.idle = Duration::from_secs(4);
    })
    .await
    .expect("server");
    let mut s = TcpStream::connect(http_addr(&ts)).await.expect("connect");
    let get = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut buf = [0u8; 512];
    s.write_all(get).await.expect("request");
    let n = s.read(&mut buf).await.expect("answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Idle longer than the head deadline, shorter than the idle one: still usable (a
    // handset polling every few seconds keeps its connection).
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.write_all(get).await.expect("second request");
    let n = s.read(&mut buf).await.expect("second answer");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "kept alive across 2 s of idleness"
    );
    assert!(
        closed_within(&mut s, Duration::from_secs(30)).await,
        "an idle connection is closed after the idle deadline"
    );
}

#[tokio::test]
async fn a_body_that_stops_coming_gets_408() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.body_timeout = Duration::from_secs(1);
    })
    .await
    .expect("server");
    let mut s = TcpStream::connect(http_addr(&ts)).await.expect("connect");
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.wv.csp.xml\r\nContent-Length: 500\r\n\r\n<WV-CSP-Message",
    )
    .await
    .expect("head and a little body");
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.http_conns.max_per_ip = 40;
        s.cir_conns.max_per_ip = 40;
    })
    .await
    .expect("server");
    let addr = http_addr(&ts);
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(from_other_address(addr).await);
    }
    // Beyond its share, a connection from that address is closed at once.
    let mut extra = from_other_address(addr).await;
    assert!(
        closed_within(&mut extra, Duration::from_secs(10)).await,
        "the 41st connection from one address is refused"
    );
    others_are_served(&ts).await;
    // Freed when they close.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = from_other_address(addr).await;
    again
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    let mut buf = [0u8; 256];
    let n = again.read(&mut buf).await.expect("answer");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "room again once they closed"
    );

    // The same share on the TCP CIR listener.
    let cir = ts
        .running
        .as_ref()
        .and_then(|r| r.cir_tcp_addr)
        .expect("TCP CIR");
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(from_other_address(cir).await);
    }
    let mut extra = from_other_address(cir).await;
    assert!(closed_within(&mut extra, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn tcp_cir_connections_must_helo_in_time_and_keep_talking() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.cir_helo_timeout = Duration::from_secs(1);
        s.cir_idle_timeout = Duration::from_secs(3);
    })
    .await
    .expect("server");
    let cir = ts
        .running
        .as_ref()
        .and_then(|r| r.cir_tcp_addr)
        .expect("TCP CIR");
    let mut silent: Vec<TcpStream> = Vec::new();
    for _ in 0..100 {
        silent.push(from_other_address(cir).await);
    }
    for s in &mut silent {
        assert!(
            closed_within(s, Duration::from_secs(30)).await,
            "no HELO: closed"
        );
    }
    // A session's channel that PINGs stays; one that goes silent is closed.
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let sid = alice.session_id.clone().expect("session");
    let mut ch = TcpStream::connect(cir).await.expect("connect");
    ch.write_all(format!("HELO {sid}\r\n").as_bytes())
        .await
        .expect("HELO");
    let mut buf = [0u8; 64];
    let n = ch.read(&mut buf).await.expect("OK");
    assert!(buf[..n].starts_with(b"OK"));
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        ch.write_all(b"PING \r\n").await.expect("PING");
        let n = ch.read(&mut buf).await.expect("OK");
        assert!(
            buf[..n].starts_with(b"OK"),
            "alive while it PINGs (6 s > the 3 s idle deadline)"
        );
    }
    assert!(
        closed_within(&mut ch, Duration::from_secs(30)).await,
        "closed once it stops talking"
    );
    alice.logout().await.expect("logout");
}
