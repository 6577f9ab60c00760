//! Bad input never wins: garbage, oversized and deeply nested bodies, unknown sessions, wrong
//! versions, replayed TransactionIDs and floods each get the right CSP status (or HTTP error
//! where CSP cannot be spoken), and the server goes on serving everyone else.

use imps_csp::model::common::{Recipient, User};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::{Limits, Primitive, StatusCode, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

async fn post(url: &str, body: Vec<u8>, media: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .post(url)
        .header("Content-Type", media)
        .body(body)
        .send()
        .await
        .expect("HTTP");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

/// The status code of a CSP answer (Status or a Result-carrying response).
fn code(body: &[u8]) -> (imps_csp::CspVersion, StatusCode) {
    let m = imps_csp::decode(body, &Limits::default()).expect("the answer is CSP");
    let p = &m.session.transactions[0].primitive;
    let c = match p {
        Primitive::Status(s) => s.result.code,
        other => panic!("expected Status, got {}", other.name()),
    };
    (m.version, c)
}

const XML: &str = "application/vnd.wv.csp.xml";

#[tokio::test]
async fn garbage_gets_a_csp_400_and_the_server_still_serves() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for body in [
        b"hello".to_vec(),
        br#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>"#
            .to_vec(),
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><WV-CSP-Message/>".to_vec(),
        vec![0x03, 0x11, 0x6A, 0x00, 0xFF, 0xFF, 0xFF],
        vec![0x03],
        Vec::new(),
    ] {
        let (status, answer) = post(&ts.url, body.clone(), XML).await;
        assert_eq!(status, 200, "CSP errors travel inside HTTP 200");
        let (_, c) = code(&answer);
        assert_eq!(
            c,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(&body)
        );
    }
    let mut a = ts
        .client("alice", Variant::V12_XML)
        .await
        .expect("alice still logs in");
    a.send_text(&["bob"], "still here")
        .await
        .expect("and sends");
}

#[tokio::test]
async fn oversized_bodies_get_http_413() {
    let ts = TestServer::start_with(&[], |s| s.max_body_bytes = 4096)
        .await
        .expect("server");
    let big = vec![b'<'; 5000];
    let (status, _) = post(&ts.url, big, XML).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn deep_nesting_is_refused_with_400() {
    let ts = TestServer::start(&[]).await.expect("server");
    let mut doc = String::from(
        r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>"#,
    );
    for _ in 0..10_000 {
        doc.push_str("<a>");
    }
    let (status, answer) = post(&ts.url, doc.into_bytes(), XML).await;
    assert_eq!(status, 200);
    let (v, c) = code(&answer);
    assert_eq!(
        v,
        imps_csp::CspVersion::V1_2,
        "answered in the client's version"
    );
    assert_eq!(c, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_version_gets_505() {
    let ts = TestServer::start(&[]).await.expect("server");
    let doc = r#"<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.0"><Session><SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>1</TransactionID></TransactionDescriptor><TransactionContent><Polling-Request/></TransactionContent></Transaction></Session></WV-CSP-Message>"#;
    let (status, answer) = post(&ts.url, doc.as_bytes().to_vec(), XML).await;
    assert_eq!(status, 200);
    assert_eq!(code(&answer).1, StatusCode::VERSION_NOT_SUPPORTED);
}

#[tokio::test]
async fn a_request_in_another_version_than_the_session_gets_505() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let a = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let m = WvCspMessage::new(
        imps_csp::CspVersion::V1_3,
        a.session_id.clone(),
        TransactionMode::Request,
        Some("7".into()),
        Primitive::PollingRequest(Default::default()),
    );
    let (_, answer) = post(
        &ts.url,
        imps_csp::encode_xml(&m).expect("xml").into_bytes(),
        XML,
    )
    .await;
    assert_eq!(code(&answer).1, StatusCode::VERSION_NOT_SUPPORTED);
}

#[tokio::test]
async fn unknown_session_and_unknown_primitive() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let m = WvCspMessage::new(
            v.version,
            Some("forged".into()),
            TransactionMode::Request,
            Some("3".into()),
            Primitive::PollingRequest(Default::default()),
        );
        let body = imps_csp::encode(&m, v.encoding).expect("encode");
        let (status, answer) = post(&ts.url, body, XML).await;
        assert_eq!(status, 200);
        assert_eq!(code(&answer).1, StatusCode::INVALID_SESSION, "{v:?}");
    }
    let a = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let sid = a.session_id.clone().expect("sid");
    let doc = format!(
        r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>{sid}</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>9</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><Frobnicate-Request/></TransactionContent></Transaction></Session></WV-CSP-Message>"#
    );
    let (_, answer) = post(&ts.url, doc.into_bytes(), XML).await;
    assert_eq!(code(&answer).1, StatusCode::NOT_IMPLEMENTED);
}

fn send(sid: &str, tid: &str, to: &str, text: &str) -> Vec<u8> {
    let m = WvCspMessage::new(
        imps_csp::CspVersion::V1_2,
        Some(sid.to_owned()),
        TransactionMode::Request,
        Some(tid.to_owned()),
        Primitive::SendMessageRequest(SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    user: vec![User {
                        user_id: to.to_owned(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(imps_csp::codec::ContentData::Text(text.to_owned())),
        }),
    );
    imps_csp::encode_xml(&m).expect("xml").into_bytes()
}

#[tokio::test]
async fn a_replayed_transaction_gets_the_stored_answer_and_has_no_second_effect() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let a = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let sid = a.session_id.clone().expect("sid");
    let body = send(&sid, "42", "bob", "once");
    let (_, first) = post(&ts.url, body.clone(), XML).await;
    let (_, again) = post(&ts.url, body, XML).await;
    let id = |b: &[u8]| match imps_csp::decode(b, &Limits::default())
        .expect("csp")
        .session
        .transactions
        .remove(0)
        .primitive
    {
        Primitive::SendMessageResponse(r) => r.message_id.expect("MessageID"),
        other => panic!("{other:?}"),
    };
    assert_eq!(id(&first), id(&again), "the retry gets the stored response");
    // The same id with another body is a new request (Android wraps its ids after 999).
    let (_, other) = post(&ts.url, send(&sid, "42", "bob", "twice"), XML).await;
    assert_ne!(id(&other), id(&first));
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let mut texts = Vec::new();
    for _ in 0..2 {
        if let Primitive::NewMessage(m) = bob
            .wait_for(std::time::Duration::from_secs(10), |p| {
                matches!(p, Primitive::NewMessage(_))
            })
            .await
            .expect("message")
        {
            texts.push(format!("{:?}", m.content_data));
        }
    }
    texts.sort();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].contains("once") && texts[1].contains("twice"));
    assert!(
        bob.poll().await.expect("poll").is_none(),
        "no third message"
    );
}

#[tokio::test]
async fn a_login_flood_gets_503_beyond_the_queue_and_others_go_on() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| s.max_queued_logins = 4)
        .await
        .expect("server");
    // An account with the production hash cost: each check takes a while.
    {
        use imps_core::store::{Store, UserRecord, Write};
        let store = imps_store::SqliteStore::open(ts.dir.path()).expect("store");
        let hash = imps_core::auth::hash_password("pw", imps_core::auth::HashCost::default())
            .expect("hash");
        store
            .commit(vec![Write::PutUser(UserRecord {
                id: "wv:slow@localhost".into(),
                password_hash: hash,
                digest_secret: None,
                disabled: false,
            })])
            .expect("commit");
    }
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let cfg = ts.config(Variant::V12_XML);
        tasks.push(tokio::spawn(async move {
            let mut c = imps_client::Client::new(cfg).expect("client");
            match c.login("slow", "wrong").await {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.to_string(),
            }
        }));
    }
    // Meanwhile others are served.
    alice
        .send_text(&["bob"], "during the flood")
        .await
        .expect("send");
    let mut busy = 0;
    for t in tasks {
        let r = t.await.expect("task");
        if r.contains("503") {
            busy += 1;
        } else {
            assert!(
                r.contains("409"),
                "a wrong password is 409 when checked: {r}"
            );
        }
    }
    assert!(
        busy > 0,
        "some logins were refused with 503 beyond the queue"
    );
}
