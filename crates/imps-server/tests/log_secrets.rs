//! Logs never carry a SessionID, a CIR token or a password in full: whoever reads the logs
//! must not be able to take over a session. Runs alone in its binary (it installs a global
//! log subscriber that captures everything the in-process server logs).

use std::io::Write;
use std::sync::{Arc, Mutex};

use imps_client::Client;
use imps_csp::{CspVersion, Primitive, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_do_not_carry_session_ids_tokens_or_passwords() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
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
        .expect("CIR URL");
    let token = url.split("token=").nth(1).expect("token").to_owned();
    // Things that log the session: a request in another version, an unknown primitive's
    // neighbour, logout.
    let other = WvCspMessage::new(
        CspVersion::V1_3,
        Some(sid.clone()),
        TransactionMode::Request,
        Some("9".into()),
        Primitive::GetListRequest(Default::default()),
    );
    let _ = bob.exchange(&other).await.expect("answered");
    let _ = reqwest::get(url.clone()).await.expect("CIR GET");
    let mut alice = ts.client("alice", Variant::V11_WBXML).await.expect("alice");
    let _ = alice.login("alice", "wrong-password-xyz").await;
    bob.logout().await.expect("logout");
    let text = String::from_utf8_lossy(&logs.0.lock().expect("logs")).to_string();
    assert!(text.contains("session ended"), "the capture works: {text}");
    assert!(
        text.contains("login failed for wv:alice@localhost from 127.0.0.1"),
        "a failed login is logged with user and address for fail2ban:\n{text}"
    );
    assert!(!text.contains(&sid), "a SessionID in the logs:\n{text}");
    assert!(!text.contains(&token), "a CIR token in the logs");
    assert!(!text.contains("bob-pw"), "a password in the logs");
    assert!(
        !text.contains("wrong-password-xyz"),
        "a password in the logs"
    );
}
