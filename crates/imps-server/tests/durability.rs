//! Nothing lost: messages the server answered with 200 survive `kill -9` of the impsd process
//! and a restart, and are delivered at the recipient's next login.

use std::process::{Child, Command};
use std::time::Duration;

use imps_client::{Client, ClientConfig};
use imps_csp::Primitive;

const IMPSD: &str = env!("CARGO_BIN_EXE_impsd");

fn admin(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new(IMPSD)
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("impsd user ...");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts impsd on a free port and returns it with its URL.
fn start(dir: &std::path::Path) -> (Child, String) {
    // One user sends a burst of messages here: above the default per-user rate and inbox share.
    let conf = dir.join("durability.toml");
    std::fs::write(
        &conf,
        "[limits]\nmessages_burst = 1000\nmax_inbox_per_sender = 1000\n",
    )
    .expect("config");
    imps_testkit::process::start_impsd(
        IMPSD,
        [
            "--config".as_ref(),
            conf.as_os_str(),
            "--data".as_ref(),
            dir.as_os_str(),
            "--http".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
    )
}

#[tokio::test]
async fn messages_answered_200_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    admin(dir.path(), &["user", "add", "alice", "--password", "a"]);
    admin(dir.path(), &["user", "add", "bob", "--password", "b"]);

    let (mut server, url) = start(dir.path());
    let mut alice = Client::new(ClientConfig::new(url.clone())).expect("client");
    alice.login("alice", "a").await.expect("login");
    alice.negotiate().await.expect("negotiate");
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            alice
                .send_text(&["bob"], &format!("message {i}"))
                .await
                .expect("200"),
        );
    }
    // Sent concurrently too (three more sessions of alice; four are allowed): group commit
    // must not lose a batch either.
    let mut tasks = Vec::new();
    for k in 0..3 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Client::new(ClientConfig::new(url)).expect("client");
            c.login("alice", "a").await.expect("login");
            let mut ids = Vec::new();
            for i in 0..20 {
                let text = format!("message {}", 40 + k * 20 + i);
                ids.push(c.send_text(&["bob"], &text).await.expect("200"));
            }
            ids
        }));
    }
    for t in tasks {
        ids.extend(t.await.expect("task"));
    }
    // kill -9: no shutdown, no flush.
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");

    let (mut server, url) = start(dir.path());
    let mut bob = Client::new(ClientConfig::new(url)).expect("client");
    bob.login("bob", "b").await.expect("login");
    bob.negotiate().await.expect("negotiate");
    let mut got = std::collections::BTreeSet::new();
    while got.len() < 100 {
        let p = bob
            .wait_for(Duration::from_secs(20), |p| {
                matches!(p, Primitive::NewMessage(_))
            })
            .await
            .unwrap_or_else(|e| panic!("after {} messages: {e}", got.len()));
        if let Primitive::NewMessage(m) = p {
            got.insert(m.message_info.message_id.expect("MessageID"));
        }
    }
    let sent: std::collections::BTreeSet<String> = ids.into_iter().collect();
    assert_eq!(
        got, sent,
        "every message answered 200 arrives after the crash"
    );
    server.kill().expect("SIGKILL");
    let _ = server.wait();
}

#[tokio::test]
async fn user_added_while_running_can_log_in_at_once_and_deleted_user_cannot() {
    let dir = tempfile::tempdir().expect("tempdir");
    admin(dir.path(), &["user", "add", "alice", "--password", "a"]);
    let (mut server, url) = start(dir.path());
    admin(
        dir.path(),
        &["user", "add", "carol@localhost", "--password", "c"],
    );
    let mut carol = Client::new(ClientConfig::new(url.clone())).expect("client");
    carol
        .login("wv:carol@localhost", "c")
        .await
        .expect("new account logs in at once");
    admin(dir.path(), &["user", "passwd", "carol", "--password", "c2"]);
    admin(dir.path(), &["user", "del", "alice"]);
    // The server notices within its one-second reload.
    let mut ok = false;
    for _ in 0..50 {
        let mut a = Client::new(ClientConfig::new(url.clone())).expect("client");
        if let Err(e) = a.login("alice", "a").await {
            assert!(e.to_string().contains("531"), "{e}");
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "deleted account still logs in");
    let mut c = Client::new(ClientConfig::new(url.clone())).expect("client");
    c.login("carol", "c2").await.expect("new password");
    // The session carol had before `user passwd` ended with it (601): a stolen session does
    // not outlive a password change.
    let p = carol
        .request(imps_csp::Primitive::GetListRequest(Default::default()))
        .await
        .expect("answer");
    match p {
        imps_csp::Primitive::Status(s) => assert_eq!(s.result.code.0, 601, "{s:?}"),
        other => panic!("the old session still works after passwd: {other:?}"),
    }
    let listed = Command::new(IMPSD)
        .arg("--data")
        .arg(dir.path())
        .args(["user", "list"])
        .output()
        .expect("list");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "wv:carol@localhost\n"
    );
    server.kill().expect("SIGKILL");
    let _ = server.wait();
}
