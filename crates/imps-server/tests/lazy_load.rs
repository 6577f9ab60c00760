//! Accounts are read from the store when first needed, not at start-up: a server over a big
//! database starts at once, and what a user owns is there when they (or a message to them)
//! first need it.

use imps_client::Client;
use imps_csp::Primitive;
use imps_testkit::server::{TestServer, Variant};

/// `c` is handed a NewMessage (within 10 s) and it says `text`.
async fn receives(c: &mut Client, text: &str) {
    let p = c
        .wait_for(std::time::Duration::from_secs(10), |p| {
            matches!(p, Primitive::NewMessage(_))
        })
        .await
        .expect("the message that waited in the store is delivered");
    let Primitive::NewMessage(m) = p else {
        unreachable!()
    };
    assert_eq!(
        m.content_data,
        Some(imps_csp::codec::ContentData::Text(text.into()))
    );
}

#[tokio::test]
async fn start_up_reads_no_account_and_each_is_loaded_when_first_needed() {
    let mut ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    assert_eq!(ts.engine().loaded_users().0, 0, "start-up read no account");

    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    assert_eq!(
        ts.engine().loaded_users().0,
        1,
        "alice's login loaded alice"
    );
    alice
        .send_text(&["bob"], "while you slept")
        .await
        .expect("200");
    assert_eq!(
        ts.engine().loaded_users().0,
        2,
        "the message to bob loaded bob, and nobody else"
    );
    alice.logout().await.expect("logout");

    ts.restart().await.expect("restart");
    assert_eq!(ts.engine().loaded_users().0, 0);
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    receives(&mut bob, "while you slept").await;
    // A message to an account nobody loaded yet still finds it; one to nobody does not.
    bob.send_text(&["carol"], "hi").await.expect("carol exists");
    let err = bob
        .send_text(&["nobody"], "hi")
        .await
        .expect_err("no such user");
    assert!(err.to_string().contains("531"), "{err}");
}

/// Accounts nothing needs any more leave the running server's memory (`[engine]
/// unload_after`), and come back, with what waited for them, when next needed.
#[tokio::test]
async fn idle_accounts_leave_memory_and_come_back() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| s.engine.unload_after = 1)
        .await
        .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    alice
        .send_text(&["bob"], "kept for you")
        .await
        .expect("200");
    alice.logout().await.expect("logout");
    assert_eq!(ts.engine().loaded_users().0, 2);

    // The once-a-second tick unloads both (waited for, not timed: a minute is a hang).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ts.engine().loaded_users().0 > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "still loaded: {:?}",
            ts.engine().loaded_users()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    receives(&mut bob, "kept for you").await;
}
