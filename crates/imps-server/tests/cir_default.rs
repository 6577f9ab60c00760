//! A CIR channel real handsets can use, with no configuration (csp-reference §11.1: without an
//! agreed CIR method a 1.1 handset hears of a message only at its next slow poll): `impsd`
//! offers standalone TCP CIR by default, at the address each client reached.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use imps_client::{Client, ClientConfig};
use imps_csp::{CspVersion, Encoding};
use imps_testkit::server::TestServer;

const IMPSD: &str = env!("CARGO_BIN_EXE_impsd");

/// Kills the child when the test ends, however it ends.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn impsd_with_no_configuration_wakes_a_1_1_handset_through_tcp_cir() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (user, pw) in [("alice", "a"), ("bob", "b")] {
        let out = Command::new(IMPSD)
            .arg("--data")
            .arg(dir.path())
            .args(["user", "add", user, "--password", pw])
            .output()
            .expect("impsd user add");
        assert!(out.status.success());
    }
    let mut child = Kill(
        Command::new(IMPSD)
            .arg("--data")
            .arg(dir.path())
            .args(["--http", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("impsd starts"),
    );
    let mut out = BufReader::new(child.0.stdout.take().expect("stdout"));
    let (mut http, mut cir) = (String::new(), String::new());
    out.read_line(&mut http).expect("first line");
    out.read_line(&mut cir).expect("second line");
    let url = imps_testkit::process::listening_url(&http)
        .unwrap_or_else(|| panic!("no HTTP address in {http:?}"));
    let cir_port: u16 = cir
        .strip_prefix("impsd standalone TCP CIR on 127.0.0.1:")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("impsd says where TCP CIR listens: {cir:?}"));

    let mut cfg = ClientConfig::new(url.clone());
    cfg.version = CspVersion::V1_1;
    cfg.encoding = Encoding::Wbxml;
    cfg.cir = vec!["STCP".into()];
    let mut bob = Client::new(cfg).expect("client");
    bob.login("bob", "b").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    assert_eq!(
        bob.tcp_cir(),
        Some(("127.0.0.1".to_owned(), cir_port)),
        "STCP agreed, announced where impsd listens"
    );
    let mut ch = bob.open_tcp_cir().await.expect("HELO answered OK");
    let mut alice = Client::new(ClientConfig::new(url)).expect("client");
    alice.login("alice", "a").await.expect("login");
    alice.negotiate().await.expect("negotiate");
    alice.send_text(&["bob"], "wake up").await.expect("send");
    let line = tokio::time::timeout(Duration::from_secs(10), ch.wake())
        .await
        .expect("woken at once, not at the next poll")
        .expect("WVCI");
    assert!(line.starts_with("WVCI 1.1 "), "{line}");
}

#[tokio::test]
async fn listening_on_every_address_announces_the_address_the_client_reached() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.http = "0.0.0.0:0".parse().expect("address");
    })
    .await
    .expect("server");
    let port = ts
        .running
        .as_ref()
        .map(|r| r.http_addr.port())
        .expect("running");
    let cir_port = ts
        .running
        .as_ref()
        .and_then(|r| r.cir_tcp_addr)
        .expect("TCP CIR on by default")
        .port();
    // 127.0.0.2 is this machine too (the loopback range), and not 0.0.0.0.
    let mut cfg = ClientConfig::new(format!("http://127.0.0.2:{port}/"));
    cfg.version = CspVersion::V1_2;
    cfg.cir = vec!["STCP".into(), "SHTTP".into()];
    let mut alice = Client::new(cfg).expect("client");
    alice.login("alice", "alice-pw").await.expect("login");
    alice.negotiate().await.expect("negotiate");
    assert_eq!(alice.tcp_cir(), Some(("127.0.0.2".to_owned(), cir_port)));
    let url = alice
        .agreed
        .as_ref()
        .and_then(|a| a.cir_http_address.as_ref())
        .and_then(|c| c.url.clone())
        .expect("CIR URL");
    assert!(
        url.starts_with(&format!("http://127.0.0.2:{port}/cir?token=")),
        "{url}"
    );
    alice
        .open_tcp_cir()
        .await
        .expect("the announced address answers HELO");
}
