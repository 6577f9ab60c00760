//! Colibria's PC client for Movistar (csp-reference §11.2): CSP 1.2 XML, `Expect:
//! 100-continue` on every POST, vendor elements and foreign namespaces inside standard
//! primitives, `~pep1.0_*` lists, SubscribePresence with AutoSubscribe, STCP CIR, and a text
//! type accepted with a charset parameter.

use std::time::Duration;

use imps_csp::CspVersion;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::{TestServer, Variant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{expect, next_message};

const VENDOR: &str = "<ColibriaExtensions xmlns=\"http://www.colibria.com/IMPS/extensions\">\
    <ClientTypeDetail xmlns=\"urn:colibria:client\">PC-CLIENT</ClientTypeDetail>\
    <Feature><Name>emoticons</Name></Feature></ColibriaExtensions>";

/// One POST the way a client that sends `Expect: 100-continue` does it: the headers, wait
/// for `100 Continue`, then the body. Returns the final response's body.
async fn post_expecting_continue(url: &str, body: &[u8]) -> Vec<u8> {
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.wv.csp.xml\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("headers");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("the server answers the headers alone")
        .expect("read");
    let interim = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        interim.starts_with("HTTP/1.1 100"),
        "100 Continue before the body: {interim:?}"
    );
    s.write_all(body).await.expect("body");
    let mut resp = Vec::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("final response")
            .expect("read");
        resp.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&resp).to_string();
        if let Some((h, b)) = text.split_once("\r\n\r\n") {
            let len: usize = h
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            assert!(h.starts_with("HTTP/1.1 200"), "{h}");
            if b.len() >= len {
                return b.as_bytes()[..len].to_vec();
            }
        }
        if n == 0 {
            panic!("connection closed: {text}");
        }
    }
}

#[tokio::test]
async fn the_colibria_session() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let mut pc = Phone::new(&ts.url, CspVersion::V1_2, Wire::Xml);
    pc.headers.push(("Expect".into(), "100-continue".into()));

    // The first request, byte by byte as that client sends it: headers, 100, body.
    let doc = pc.document(
        "Request",
        Some("1"),
        &format!(
            "<Login-Request><UserID>alice</UserID><ClientID><URL>WV:InstantMessenger-1.0.2309.16485@COLIBRIA.PC-CLIENT</URL></ClientID>\
             <Password>alice-pw</Password><TimeToLive>3600</TimeToLive>{VENDOR}\
             <SessionCookie>colibria-1</SessionCookie></Login-Request>"
        ),
    );
    let body = post_expecting_continue(&ts.url, doc.as_bytes()).await;
    let a = imps_testkit::phone::Answer {
        tree: pc.parse(&body).expect("an answer"),
        raw: body,
    };
    expect(
        &a,
        "Login-Response",
        "200",
        "login with a vendor element inside",
    );
    pc.session_id = a.text("SessionID").map(str::to_owned);
    assert!(pc.session_id.is_some());

    let a = pc
        .request(
            "2",
            &format!(
                "<ClientCapability-Request><CapabilityList><ClientType>COMPUTER</ClientType>\
                 <ClientTypeDetail xmlns=\"urn:colibria:client\">PC-CLIENT</ClientTypeDetail>\
                 <InitialDeliveryMethod>P</InitialDeliveryMethod>\
                 <AcceptedContentType>text/plain; charset=utf-8</AcceptedContentType>\
                 <AcceptedContentLength>65536</AcceptedContentLength><SupportedBearer>HTTP</SupportedBearer>\
                 <MultiTrans>1</MultiTrans><ParserSize>65536</ParserSize>\
                 <SupportedCIRMethod>STCP</SupportedCIRMethod></CapabilityList>{VENDOR}</ClientCapability-Request>"
            ),
        )
        .await
        .expect("capabilities");
    assert_eq!(
        a.primitive(),
        Some("ClientCapability-Response"),
        "{:?}",
        a.tree
    );
    assert_eq!(a.text("SupportedCIRMethod"), Some("STCP"));
    let a = pc
        .request(
            "3",
            "<Service-Request><Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/><IMFeat/>\
             </WVCSPFeat></Functions><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
        )
        .await
        .expect("services");
    assert_eq!(a.primitive(), Some("Service-Response"));

    // Its two lists, mixed case as it writes them, and the subscription to the first.
    for (tid, list, nick) in [
        ("4", "~pep1.0_subscriptions", "<NickList><NickName><Name>Bob</Name><UserID>wv:bob@localhost</UserID></NickName></NickList>"),
        ("5", "~PEP1.0_privatelist", ""),
    ] {
        let a = pc
            .request(
                tid,
                &format!(
                    "<CreateList-Request><ContactList>wv:alice/{list}@localhost</ContactList>{nick}\
                     <ContactListProperties><Property><Name>DisplayName</Name><Value>{list}</Value></Property>\
                     </ContactListProperties>{VENDOR}</CreateList-Request>"
                ),
            )
            .await
            .expect("create list");
        expect(&a, "Status", "200", list);
    }
    let a = pc.request("6", "<GetList-Request/>").await.expect("lists");
    let ids: Vec<&str> = a
        .find_all("ContactList")
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert!(
        ids.contains(&"wv:alice/~pep1.0_subscriptions@localhost"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"wv:alice/~pep1.0_privatelist@localhost"),
        "{ids:?}"
    );
    let a = pc
        .request(
            "7",
            "<SubscribePresence-Request><ContactList>wv:alice/~PEP1.0_subscriptions@localhost</ContactList>\
             <AutoSubscribe>T</AutoSubscribe></SubscribePresence-Request>",
        )
        .await
        .expect("subscribe");
    expect(&a, "Status", "200", "subscribe with AutoSubscribe");

    // A text/plain message reaches it (it accepted text/plain with a charset parameter),
    // labelled with the charset it asked for.
    bob.send_text(&["alice"], "hola")
        .await
        .expect("bob sends: not refused with 415");
    let mut tid = 100;
    let m = next_message(&mut pc, &mut tid, "colibria").await;
    assert_eq!(m.text("ContentData"), Some("hola"));
    assert_eq!(m.text("ContentType"), Some("text/plain; charset=utf-8"));

    let a = pc
        .request("200", "<Logout-Request/>")
        .await
        .expect("logout");
    expect(&a, "Status", "200", "logout (1.2: Status)");
}
