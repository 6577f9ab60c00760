//! Nokia S60 (csp-reference §11 and §11.2): CSP 1.1 and 1.2 over WBXML with its own version
//! tables, ClientID `WV:IMPEC01$00001@NOK.S60`, TimeToLive 86400, the 4-way MD5 login, a
//! Service-Request naming the attribute-list codes, standalone TCP CIR (`HELO`, `PING`, `OK`,
//! `WVCI`), Logout answered with Disconnect (1.1) or Status (1.2).

use std::time::Duration;

use imps_csp::CspVersion;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::{TestServer, Variant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::expect;

const CLIENT: &str = "<ClientID><URL>WV:IMPEC01$00001@NOK.S60</URL></ClientID>";

async fn nokia_session(v: CspVersion) {
    let what = format!("{v:?}");
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut bob = ts.client("bob", Variant::V11_XML).await.expect("bob");
    let mut s60 = Phone::new(&ts.url, v, Wire::Wbxml);

    let login = |extra: &str| {
        format!(
            "<Login-Request><UserID>wv:alice@localhost</UserID>{CLIENT}{extra}\
             <TimeToLive>86400</TimeToLive><SessionCookie>wv:nokia.1234</SessionCookie></Login-Request>"
        )
    };
    let a = s60
        .request("IMApp01#1@NOK", &login("<DigestSchema>MD5</DigestSchema>"))
        .await
        .expect(&what);
    assert_eq!(a.text("Code"), Some("401"), "{what}: {:?}", a.tree);
    assert_eq!(
        a.text("DigestSchema"),
        Some("MD5"),
        "{what}: the scheme it offered"
    );
    let nonce = a.text("Nonce").expect("Nonce").to_owned();
    let digest = imps_core::auth::digest("MD5", &nonce, "alice-pw").expect("digest");
    let a = s60
        .request(
            "IMApp01#2@NOK",
            &login(&format!("<DigestBytes>{digest}</DigestBytes>")),
        )
        .await
        .expect(&what);
    expect(&a, "Login-Response", "200", &what);
    let ttl: u32 = a
        .text("KeepAliveTime")
        .and_then(|k| k.parse().ok())
        .expect("KeepAliveTime");
    assert!(ttl <= 7200, "{what}: TimeToLive 86400 clamped: {ttl}");

    let a = s60
        .request(
            "IMApp01#3@NOK",
            &format!(
                "<ClientCapability-Request>{}<CapabilityList><ClientType>MOBILE_PHONE</ClientType>\
                 <InitialDeliveryMethod>P</InitialDeliveryMethod><AcceptedContentType>text/plain</AcceptedContentType>\
                 <AcceptedContentLength>32768</AcceptedContentLength><SupportedBearer>HTTP</SupportedBearer>\
                 <MultiTrans>1</MultiTrans><ParserSize>32767</ParserSize>\
                 <SupportedCIRMethod>STCP</SupportedCIRMethod><SupportedCIRMethod>WAPSMS</SupportedCIRMethod>\
                 </CapabilityList></ClientCapability-Request>",
                if v == CspVersion::V1_1 { CLIENT } else { "" }
            ),
        )
        .await
        .expect(&what);
    assert_eq!(a.primitive(), Some("ClientCapability-Response"), "{what}");
    assert_eq!(a.text("SupportedCIRMethod"), Some("STCP"), "{what}");
    let port: u16 = a
        .text("TCPPort")
        .and_then(|p| p.parse().ok())
        .expect("TCPPort");
    let host = a.text("TCPAddress").expect("TCPAddress").to_owned();

    // It names the attribute-list codes: they come back (its tables have them).
    let a = s60
        .request(
            "IMApp01#4@NOK",
            &format!(
                "<Service-Request>{}<Functions><WVCSPFeat><PresenceFeat><AttListFunc><CALI/><DALI/><GALS/></AttListFunc>\
                 </PresenceFeat><IMFeat/></WVCSPFeat></Functions><AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>",
                if v == CspVersion::V1_1 { CLIENT } else { "" }
            ),
        )
        .await
        .expect(&what);
    assert_eq!(a.primitive(), Some("Service-Response"), "{what}");
    let functions = a.find("Functions").expect("agreed Functions");
    for code in ["CALI", "DALI", "GALS"] {
        assert!(
            imps_testkit::phone::find(functions, code).is_some(),
            "{what}: {code} named, so agreed and sent"
        );
    }

    // TCP CIR: HELO, OK; PING, OK; WVCI <version> <cookie> when a message waits.
    let sid = s60.session_id.clone().expect("session");
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .expect("connect");
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    w.write_all(format!("HELO {sid}\r\n").as_bytes())
        .await
        .expect("HELO");
    r.read_line(&mut line).await.expect("OK");
    assert_eq!(line.trim(), "OK", "{what}");
    w.write_all(b"PING\r\n").await.expect("PING");
    line.clear();
    r.read_line(&mut line).await.expect("OK");
    assert_eq!(line.trim(), "OK", "{what}: PING is answered");
    bob.send_text(&["alice"], "moi").await.expect("send");
    line.clear();
    tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line))
        .await
        .expect("a wake-up")
        .expect("read");
    let version = if v == CspVersion::V1_1 { "1.1" } else { "1.2" };
    assert_eq!(
        line.trim(),
        format!("WVCI {version} wv:nokia.1234"),
        "{what}"
    );
    let a = s60.poll("IMApp01#5@NOK").await.expect(&what);
    assert_eq!(a.primitive(), Some("NewMessage"), "{what}: {:?}", a.tree);
    assert_eq!(a.text("ContentData"), Some("moi"));
    let stid = a.transaction_id().expect("tid").to_owned();
    let mid = a.text("MessageID").expect("MessageID").to_owned();
    s60.respond(
        &stid,
        &format!(
            "<MessageDelivered>{}<MessageID>{mid}</MessageID></MessageDelivered>",
            if v == CspVersion::V1_1 { CLIENT } else { "" }
        ),
    )
    .await
    .expect(&what);

    let a = s60
        .request("IMApp01#6@NOK", "<Logout-Request/>")
        .await
        .expect(&what);
    if v == CspVersion::V1_1 {
        expect(&a, "Disconnect", "200", &what);
    } else {
        expect(&a, "Status", "200", &what);
    }
    bob.logout().await.expect("logout");
}

#[tokio::test]
async fn nokia_s60_1_1_wbxml() {
    nokia_session(CspVersion::V1_1).await;
}

#[tokio::test]
async fn nokia_s60_1_2_wbxml() {
    nokia_session(CspVersion::V1_2).await;
}
