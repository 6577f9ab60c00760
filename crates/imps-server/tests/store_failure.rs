//! A commit the database refuses (injected with an SQLite trigger on the server's own database
//! file, while it runs) never leaves memory ahead of disk: the sender hears 500, not 200; the
//! recipient never gets the message; the server serves on, and a message sent after the
//! failure is delivered exactly once and kept across a restart while undelivered.

use std::time::Duration;

use imps_csp::Primitive;
use imps_testkit::server::{TestServer, Variant};

const BOB: &str = "wv:bob@localhost";

fn db(ts: &TestServer) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(ts.dir.path().join(imps_store::SqliteStore::FILE_NAME))
        .expect("open the server's database");
    c.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    c
}

/// Texts of the messages `client` receives until nothing more is queued for it.
async fn drain(client: &mut imps_client::Client) -> Vec<String> {
    let mut texts = Vec::new();
    let mut next = client.poll().await.expect("poll");
    while let Some(req) = next {
        if let Primitive::NewMessage(m) = &req.primitive {
            if let Some(imps_csp::codec::ContentData::Text(t)) = &m.content_data {
                texts.push(t.clone());
            }
        }
        next = match client.acknowledge(&req).await.expect("ack") {
            Some(more) => Some(more),
            None => client.poll().await.expect("poll"),
        };
    }
    texts
}

#[tokio::test]
async fn a_refused_commit_is_a_500_and_the_message_is_never_delivered() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let mut bob = ts.client("bob", Variant::V12_WBXML).await.expect("bob");

    db(&ts)
        .execute_batch(&format!(
            "CREATE TRIGGER injected_failure BEFORE INSERT ON messages \
             WHEN NEW.recipient = '{BOB}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        ))
        .expect("install the trigger");
    let refused = alice.send_text(&["bob"], "refused").await;
    let err = refused.expect_err("the store refused the message: no 200");
    assert!(err.to_string().contains("500"), "{err}");

    // Bob's shard reloads him from the store: the refused message is not his.
    assert_eq!(drain(&mut bob).await, Vec::<String>::new());

    db(&ts)
        .execute_batch("DROP TRIGGER injected_failure;")
        .expect("drop the trigger");
    alice.send_text(&["bob"], "kept").await.expect("200 again");
    // A new session logs in and negotiates: the server serves on.
    ts.client("alice", Variant::V13_XML)
        .await
        .expect("alice again");
    assert_eq!(drain(&mut bob).await, ["kept"]);

    // Undelivered messages after the failure are durable as usual.
    alice.send_text(&["bob"], "later").await.expect("200");
    bob.logout().await.expect("logout");
    ts.restart().await.expect("restart");
    let mut bob = ts
        .client("bob", Variant::V12_XML)
        .await
        .expect("bob after restart");
    assert_eq!(drain(&mut bob).await, ["later"]);
}
