//! CIR wake-ups: standalone TCP (`HELO`/`OK`/`PING`/`WVCI <version> <cookie>`) and standalone
//! HTTP (`GET` on the agreed URL: 200 when requests are queued, 204 when not).

use std::time::Duration;

use imps_client::Client;
use imps_csp::{CspVersion, Primitive, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn server() -> TestServer {
    TestServer::start_with(&["alice", "bob"], |s| {
        s.cir_tcp = imps_server::CirTcp::At("127.0.0.1:0".parse().expect("addr"));
    })
    .await
    .expect("server")
}

#[tokio::test]
async fn tcp_cir_wakes_the_client_with_its_cookie() {
    let ts = server().await;
    for v in [Variant::V11_WBXML, Variant::V12_XML, Variant::V13_WBXML] {
        let mut cfg = ts.config(v);
        cfg.cir = vec!["STCP".into(), "SHTTP".into()];
        let mut bob = Client::new(cfg).expect("client");
        bob.login("bob", "bob-pw").await.expect("login");
        bob.negotiate().await.expect("negotiate");
        let agreed = bob.agreed.clone().expect("agreed capabilities");
        assert!(
            agreed.supported_cir_method.contains(&"STCP".to_owned()),
            "{v:?}"
        );
        assert!(agreed.tcp_port.is_some(), "TCPPort always sent with STCP");
        let mut ch = bob.open_tcp_cir().await.expect("HELO accepted");
        let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
        alice.send_text(&["bob"], "wake up").await.expect("send");
        let line = tokio::time::timeout(Duration::from_secs(10), ch.wake())
            .await
            .expect("a wake-up within 10 s")
            .expect("WVCI line");
        let version = match v.version {
            CspVersion::V1_1 => "1.1",
            CspVersion::V1_2 => "1.2",
            CspVersion::V1_3 => "1.3",
        };
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert_eq!(parts[0], "WVCI");
        assert_eq!(parts[1], version);
        assert!(parts[2].starts_with("cookie"), "the session cookie: {line}");
        let p = bob.poll().await.expect("poll").expect("the message");
        assert!(matches!(p.primitive, Primitive::NewMessage(_)));
        ch.ping().await.expect("ping");
        bob.logout().await.expect("logout");
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn tcp_cir_refuses_unknown_sessions_and_answers_ping() {
    let ts = server().await;
    let addr = ts
        .running
        .as_ref()
        .and_then(|r| r.cir_tcp_addr)
        .expect("STCP listening");
    // Unknown session: the connection is closed.
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"HELO nosuchsession\r\n").await.expect("write");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let n = r.read_line(&mut line).await.expect("read");
    assert_eq!(n, 0, "closed without OK, got {line:?}");
    // A real session: OK, and OK to PING.
    let mut cfg = ts.config(Variant::V12_XML);
    cfg.cir = vec!["STCP".into()];
    let mut bob = Client::new(cfg).expect("client");
    let sid = bob.login("bob", "bob-pw").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("HELO {sid}\r\nPING \r\n").as_bytes())
        .await
        .expect("write");
    let mut r = BufReader::new(s);
    for _ in 0..2 {
        line.clear();
        r.read_line(&mut line).await.expect("read");
        assert_eq!(line, "OK\r\n");
    }
}

#[tokio::test]
async fn http_cir_answers_200_when_something_is_queued() {
    let ts = server().await;
    let mut cfg = ts.config(Variant::V13_XML);
    cfg.cir = vec!["SHTTP".into()];
    let mut bob = Client::new(cfg).expect("client");
    bob.login("bob", "bob-pw").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    let url = bob
        .agreed
        .as_ref()
        .and_then(|a| a.cir_http_address.as_ref())
        .and_then(|c| c.url.clone())
        .expect("CIRHTTPAddress/URL");
    let get = |u: String| async move { reqwest::get(u).await.expect("GET").status().as_u16() };
    assert_eq!(get(url.clone()).await, 204);
    let mut alice = ts.client("alice", Variant::V11_XML).await.expect("alice");
    alice.send_text(&["bob"], "hi").await.expect("send");
    assert_eq!(get(url.clone()).await, 200);
    let p = bob.poll().await.expect("poll").expect("message");
    assert!(matches!(p.primitive, Primitive::NewMessage(_)));
    assert_eq!(get(url).await, 204, "nothing queued any more");
}

/// The side channels are no oracle for session ids: the HTTP CIR URL carries a token of its
/// own, never the SessionID, and answers a SessionID or an unknown token like an idle session.
#[tokio::test]
async fn http_cir_is_no_oracle_for_session_ids() {
    let ts = server().await;
    let mut cfg = ts.config(Variant::V12_XML);
    cfg.cir = vec!["SHTTP".into()];
    let mut bob = Client::new(cfg).expect("client");
    bob.login("bob", "bob-pw").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    let sid = bob.session_id.clone().expect("session");
    let url = bob
        .agreed
        .as_ref()
        .and_then(|a| a.cir_http_address.as_ref())
        .and_then(|c| c.url.clone())
        .expect("CIRURL");
    assert!(
        !url.contains(&sid),
        "the CIR URL does not carry the SessionID: {url}"
    );
    let base = url.split('?').next().expect("base").to_owned();
    let get = |u: String| async move { reqwest::get(u).await.expect("GET").status().as_u16() };
    let mut alice = ts.client("alice", Variant::V11_XML).await.expect("alice");
    alice.send_text(&["bob"], "hi").await.expect("send");
    assert_eq!(get(url.clone()).await, 200, "the token says: poll now");
    assert_eq!(
        get(format!("{base}?token={sid}")).await,
        204,
        "a SessionID is no token"
    );
    assert_eq!(
        get(format!("{base}?session={sid}")).await,
        204,
        "nor a session parameter"
    );
    assert_eq!(
        get(format!("{base}?token=00112233445566778899aabbccddeeff")).await,
        204,
        "an unknown token looks like an idle session"
    );
}

#[tokio::test]
async fn a_lost_tcp_cir_channel_is_reported_with_cir_f() {
    let ts = server().await;
    let mut cfg = ts.config(Variant::V12_WBXML);
    cfg.cir = vec!["STCP".into()];
    let mut bob = Client::new(cfg).expect("client");
    bob.login("bob", "bob-pw").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    let ch = bob.open_tcp_cir().await.expect("HELO accepted");
    let ask = |sid: Option<String>| {
        WvCspMessage::new(
            CspVersion::V1_2,
            sid,
            TransactionMode::Request,
            Some("77".into()),
            Primitive::GetListRequest(Default::default()),
        )
    };
    let answer = bob
        .exchange(&ask(bob.session_id.clone()))
        .await
        .expect("GetList")
        .expect("answer");
    assert_eq!(answer.session.cir, None, "channel up: no CIR flag");
    drop(ch);
    let mut flagged = false;
    for _ in 0..50 {
        let answer = bob
            .exchange(&ask(bob.session_id.clone()))
            .await
            .expect("GetList")
            .expect("answer");
        if answer.session.cir == Some(false) {
            flagged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(flagged, "CIR=F once the TCP channel is gone");
    let _ch = bob.open_tcp_cir().await.expect("reconnect");
    let answer = bob
        .exchange(&ask(bob.session_id.clone()))
        .await
        .expect("GetList")
        .expect("answer");
    assert_eq!(answer.session.cir, None, "rebuilt: no flag");
}
