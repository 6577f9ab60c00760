//! Restarts keep their promises: a login that tries to recover a session of the previous run
//! gets 502 (the client starts afresh and subscribes again), not a silent new session that
//! lost its subscriptions; stored documents that do not decode are kept aside and counted,
//! never silently dropped.

use std::sync::Arc;

use imps_core::store::{Store, UserDocument, Write};
use imps_csp::CspVersion;
use imps_store::SqliteStore;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::TestServer;

fn login(cookie: &str) -> String {
    format!(
        "<Login-Request><UserID>alice</UserID><Password>alice-pw</Password>\
         <SessionCookie>{cookie}</SessionCookie></Login-Request>"
    )
}

#[tokio::test]
async fn recovering_a_session_of_the_previous_run_gets_502() {
    let mut ts = TestServer::start(&["alice"]).await.expect("server");
    let mut phone = Phone::new(&ts.url, CspVersion::V1_2, Wire::Xml);
    let a = phone
        .request("1", &login("phone-cookie-1"))
        .await
        .expect("login");
    assert_eq!(a.code(), Some("200"));
    let a = phone
        .request("2", &login("phone-cookie-1"))
        .await
        .expect("recover");
    assert_eq!(a.code(), Some("200"), "a live session is recovered");

    ts.restart().await.expect("restart");
    let mut phone = Phone::new(&ts.url, CspVersion::V1_2, Wire::Xml);
    let a = phone
        .request("3", &login("phone-cookie-1"))
        .await
        .expect("login");
    assert_eq!(
        a.code(),
        Some("502"),
        "the session to recover did not survive the restart: {:?}",
        a.tree
    );
    let a = phone
        .request("4", &login("phone-cookie-2"))
        .await
        .expect("afresh");
    assert_eq!(a.code(), Some("200"), "a new cookie starts a new session");
    // A client with one fixed cookie (the Razr's MAGIC4_SESSION_COOKIE) gets in at its
    // second try.
    let a = phone
        .request("5", &login("phone-cookie-1"))
        .await
        .expect("again");
    assert_eq!(a.code(), Some("200"));
}

#[tokio::test]
async fn unreadable_stored_documents_are_kept_aside() {
    let mut ts = TestServer::start(&["alice"]).await.expect("server");
    ts.stop().await;
    let broken = b"<not a CSP document".to_vec();
    {
        let store = SqliteStore::open(ts.dir.path()).expect("store");
        store
            .commit(vec![Write::PutDocument(UserDocument {
                user: "wv:alice@localhost".into(),
                kind: "presence".into(),
                body: broken.clone(),
            })])
            .expect("write a broken document");
    }
    ts.restart().await.expect("starts anyway");
    // Alice's presence is written anew; the unreadable original is still there, aside.
    let mut alice = ts
        .client("alice", imps_testkit::server::Variant::V12_XML)
        .await
        .expect("alice");
    alice.logout().await.expect("logout");
    ts.stop().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(ts.dir.path()).expect("store"));
    let snapshot = store.load().expect("load");
    let aside = snapshot
        .documents
        .iter()
        .find(|d| d.kind == "quarantined:presence")
        .expect("a quarantined copy");
    assert_eq!(aside.body, broken, "kept byte for byte");
}
