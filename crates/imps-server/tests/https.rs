//! HTTPS with rustls when a certificate is configured: the same CSP over TLS.

use imps_csp::model::session::GetSpInfoRequest;
use imps_csp::{Limits, Primitive, TransactionMode, WvCspMessage};
use imps_testkit::server::TestServer;

#[tokio::test]
async fn csp_over_https() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let ts = TestServer::start_with(&["alice"], |s| {
        s.https = Some((
            "127.0.0.1:0".parse().expect("addr"),
            cert_path.clone(),
            key_path.clone(),
        ));
    })
    .await
    .expect("server");
    let addr = ts
        .running
        .as_ref()
        .and_then(|r| r.https_addr)
        .expect("https listening");
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem"),
        )
        .build()
        .expect("client");
    let m = WvCspMessage::new(
        imps_csp::CspVersion::V1_2,
        None,
        TransactionMode::Request,
        Some("1".into()),
        Primitive::GetSpInfoRequest(GetSpInfoRequest::default()),
    );
    let body = imps_csp::encode_wbxml(&m).expect("wbxml");
    let r = client
        .post(format!("https://localhost:{}/imps", addr.port()))
        .header("Content-Type", "application/vnd.wv.csp.wbxml")
        .body(body)
        .send()
        .await
        .expect("TLS request");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.wv.csp.wbxml"),
        "answered in the client's media type"
    );
    let answer =
        imps_csp::decode(&r.bytes().await.expect("body"), &Limits::default()).expect("csp");
    assert!(matches!(
        answer.session.transactions[0].primitive,
        Primitive::GetSpInfoResponse(_)
    ));
    // Plain HTTP on the other port still works.
    let plain = reqwest::Client::new()
        .get(format!("{}health", ts.url))
        .send()
        .await
        .expect("http");
    assert_eq!(plain.status().as_u16(), 200);
}
