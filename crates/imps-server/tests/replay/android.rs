//! Android's IMPS engine (csp-reference §11.1), in CSP 1.1, 1.2 and 1.3, in XML and in WBXML
//! as its encoder writes it (the 1.3-based table in every version, `SSMS`/`SHTTP` as 1.3 value
//! tokens, `AcceptedContentLength` in 1.3, garbage integers) and read back by a parser that
//! stops at any token its table lacks.

use std::time::Duration;

use imps_csp::CspVersion;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::{TestServer, Variant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::{expect, next_message};

/// The user list element of a request in `v` (1.3 names users in `UserIDList`).
fn users(v: CspVersion, ids: &[&str]) -> String {
    let inner: String = ids
        .iter()
        .map(|u| format!("<UserID>{u}</UserID>"))
        .collect();
    if v == CspVersion::V1_3 {
        format!("<UserIDList>{inner}</UserIDList>")
    } else {
        ids.iter()
            .map(|u| format!("<User><UserID>{u}</UserID></User>"))
            .collect()
    }
}

async fn android_session(v: CspVersion, wire: Wire) {
    let what = format!("{v:?} {wire:?}");
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    // Alice's contact list, made beforehand (Android only reads lists).
    {
        let mut a = ts.client("alice", Variant::V12_XML).await.expect("alice");
        a.request(imps_csp::Primitive::CreateListRequest(
            imps_csp::model::presence::CreateListRequest {
                contact_list: "friends".into(),
                nick_list: Some(imps_csp::model::common::NickList {
                    nick_name: vec![imps_csp::model::common::NickName {
                        user_id: "wv:bob@localhost".into(),
                        name: Some("Bob".into()),
                    }],
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("create list");
        a.logout().await.expect("logout");
    }
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let mut android = Phone::new(&ts.url, v, wire);
    if wire == Wire::Android {
        // Its native encoder's integers: garbage of any length.
        android.garbage_integers = Some(vec![0xDE, 0xAD, 0xBE, 0xEF, 0x01]);
    }

    // Login, 4-way: as typed, MD5 and SHA, TimeToLive 7205; the second leg reuses id 1.
    let login = |digest: Option<&str>| {
        format!(
            "<Login-Request><UserID>alice</UserID><ClientID><URL>http://www.google.com/android</URL></ClientID>{}\
             <TimeToLive>7205</TimeToLive><SessionCookie>android-1</SessionCookie></Login-Request>",
            match digest {
                None => "<DigestSchema>MD5</DigestSchema><DigestSchema>SHA</DigestSchema>".to_owned(),
                Some(d) => format!("<DigestBytes>{d}</DigestBytes>"),
            }
        )
    };
    let a = android.request("1", &login(None)).await.expect(&what);
    assert_eq!(a.transaction_id(), Some("1"), "{what}");
    let nonce = a
        .text("Nonce")
        .unwrap_or_else(|| panic!("{what}: Nonce in {:?}", a.tree))
        .to_owned();
    let scheme = a.text("DigestSchema").unwrap_or("MD5").to_owned();
    let digest = imps_core::auth::digest(&scheme, &nonce, "alice-pw").expect("digest");
    let a = android
        .request("1", &login(Some(&digest)))
        .await
        .expect(&what);
    expect(&a, "Login-Response", "200", &what);
    assert_ne!(
        a.text("Poll"),
        Some("T"),
        "{what}: no Poll=T on Login-Response"
    );
    assert!(android.session_id.is_some(), "{what}");
    android.garbage_integers = None;

    // Capabilities in Android's order and values, integers garbled over WBXML.
    if wire == Wire::Android {
        android.garbage_integers = Some(vec![0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
    }
    let caps = "<ClientType>MOBILE_PHONE</ClientType>\
        <AcceptedContentLength>262144</AcceptedContentLength><ParserSize>262144</ParserSize>\
        <MultiTrans>1</MultiTrans><InitialDeliveryMethod>P</InitialDeliveryMethod>\
        <ServerPollMin>30</ServerPollMin><SupportedBearer>HTTP</SupportedBearer>\
        <SupportedCIRMethod>STCP</SupportedCIRMethod><SupportedCIRMethod>SSMS</SupportedCIRMethod>";
    let shttp = if v >= CspVersion::V1_2 || wire == Wire::Android {
        // Its encoder sends SHTTP in every version (a 1.3 value token in 1.1).
        "<SupportedCIRMethod>SHTTP</SupportedCIRMethod>"
    } else {
        ""
    };
    let a = android
        .request(
            "2",
            &format!(
                "<ClientCapability-Request><CapabilityList>{caps}{shttp}</CapabilityList></ClientCapability-Request>"
            ),
        )
        .await
        .expect(&what);
    android.garbage_integers = None;
    assert_eq!(
        a.primitive(),
        Some("ClientCapability-Response"),
        "{what}: {:?}",
        a.tree
    );
    let first = a
        .find("ClientCapability-Response")
        .and_then(|r| r.children.first())
        .map(|c| c.name.clone());
    let list = if v == CspVersion::V1_1 {
        "CapabilityList"
    } else {
        "AgreedCapabilityList"
    };
    assert_eq!(
        first.as_deref(),
        Some(list),
        "{what}: the agreed list is the first child"
    );
    let methods: Vec<&str> = a
        .find_all("SupportedCIRMethod")
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        methods.first(),
        Some(&"STCP"),
        "{what}: its first choice, on by default"
    );
    let port: u16 = a
        .text("TCPPort")
        .and_then(|p| p.parse().ok())
        .expect("TCPPort with STCP");
    assert_eq!(a.text("TCPAddress"), Some("127.0.0.1"), "{what}");
    let multi: u32 = a
        .text("MultiTrans")
        .and_then(|m| m.parse().ok())
        .expect("MultiTrans");
    assert!((1..=8).contains(&multi), "{what}: garbage clamped: {multi}");

    // Services: the four features, empty, AllFunctionsRequest.
    let a = android
        .request(
            "3",
            "<Service-Request><Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/><IMFeat/><GroupFeat/>\
             </WVCSPFeat></Functions><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
        )
        .await
        .expect(&what);
    assert_eq!(a.primitive(), Some("Service-Response"), "{what}");
    assert!(
        a.find("AllFunctions").is_some(),
        "{what}: AllFunctions is dereferenced"
    );

    // Its own presence, its ClientInfo, its block list, its lists.
    let a = android
        .request(
            "4",
            &format!(
                "<GetPresence-Request>{}</GetPresence-Request>",
                users(v, &["wv:alice@localhost"])
            ),
        )
        .await
        .expect(&what);
    assert_eq!(a.primitive(), Some("GetPresence-Response"), "{what}");
    assert!(
        a.find("PresenceSubList").is_some(),
        "{what}: Presence/PresenceSubList"
    );
    let a = android
        .request(
            "5",
            "<UpdatePresence-Request><PresenceSubList><ClientInfo><Qualifier>T</Qualifier>\
             <ClientType>MOBILE_PHONE</ClientType><DevManufacturer>Google</DevManufacturer>\
             </ClientInfo></PresenceSubList></UpdatePresence-Request>",
        )
        .await
        .expect(&what);
    expect(&a, "Status", "200", &what);
    let a = android
        .request("6", "<GetBlockedList-Request/>")
        .await
        .expect(&what);
    assert!(a.primitive().is_some(), "{what}: GetBlockedList answered");
    let a = android
        .request("7", "<GetList-Request/>")
        .await
        .expect(&what);
    assert_eq!(a.primitive(), Some("GetList-Response"), "{what}");
    let list_id = a.text("ContactList").expect("alice's list").to_owned();
    let a = android
        .request(
            "8",
            &format!("<ListManage-Request><ContactList>{list_id}</ContactList><ReceiveList>T</ReceiveList></ListManage-Request>"),
        )
        .await
        .expect(&what);
    expect(&a, "ListManage-Response", "200", &what);
    assert!(a.find("NickName").is_some(), "{what}: the members");
    assert!(
        a.find("ContactListProperties").is_some(),
        "{what}: display name and default flag"
    );
    let lists = if v == CspVersion::V1_3 {
        format!("<ContactListIDList><ContactList>{list_id}</ContactList></ContactListIDList>")
    } else {
        format!("<ContactList>{list_id}</ContactList>")
    };
    let auto = if v == CspVersion::V1_2 {
        "<AutoSubscribe>T</AutoSubscribe>"
    } else {
        ""
    };
    let a = android
        .request(
            "9",
            &format!("<SubscribePresence-Request>{lists}{auto}</SubscribePresence-Request>"),
        )
        .await
        .expect(&what);
    expect(&a, "Status", "200", &what);

    // Standalone TCP CIR: HELO, OK, and a WVCI line when bob writes.
    let sid = android.session_id.clone().expect("session");
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("CIR connect");
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(format!("HELO {sid}\r\n").as_bytes())
        .await
        .expect("HELO");
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line))
        .await
        .expect("OK within 30 s")
        .expect("read");
    assert!(line.starts_with("OK"), "{what}: {line:?}");

    // A message from bob: the CIR line wakes it, it polls (acknowledging bob's presence
    // with Status as Android does) until the NewMessage.
    bob.send_text(&["wv:alice@localhost"], "hello android")
        .await
        .expect("send");
    let mut l = String::new();
    tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut l))
        .await
        .expect("a wake-up")
        .expect("read");
    assert!(
        l.starts_with("WVCI"),
        "{what}: woken through TCP CIR: {l:?}"
    );
    let mut tid = 10;
    let m = next_message(&mut android, &mut tid, &what).await;
    assert_eq!(m.text("ContentData"), Some("hello android"), "{what}");
    let dt = m.text("DateTime").expect("DateTime");
    assert!(
        dt.len() == 16 && dt.ends_with('Z') && dt.as_bytes()[8] == b'T',
        "{what}: the basic form it parses: {dt}"
    );
    let stid = m.transaction_id().expect("server TransactionID").to_owned();
    let mid = m.text("MessageID").expect("MessageID").to_owned();
    android
        .respond(
            &stid,
            &format!("<MessageDelivered><MessageID>{mid}</MessageID></MessageDelivered>"),
        )
        .await
        .expect(&what);

    // An error still names the transaction.
    let broken = android
        .document("Request", Some("99"), "<GetList-Request/>")
        .replace("</Session>", "");
    let raw = match wire {
        Wire::Xml => broken.into_bytes(),
        _ => {
            let mut b = android
                .encode(&android.document("Request", Some("99"), "<GetList-Request/>"))
                .expect("encode");
            b.truncate(b.len() - 3);
            b
        }
    };
    let a = android.post_raw(raw).await.expect(&what);
    assert_eq!(a.transaction_id(), Some("99"), "{what}: {:?}", a.tree);
    assert_eq!(a.primitive(), Some("Status"), "{what}");

    let a = android
        .request("100", "<Logout-Request/>")
        .await
        .expect(&what);
    assert_eq!(a.code(), Some("200"), "{what}");
    bob.logout().await.expect("logout");
}

#[tokio::test]
async fn android_1_1_xml() {
    android_session(CspVersion::V1_1, Wire::Xml).await;
}

#[tokio::test]
async fn android_1_2_xml() {
    android_session(CspVersion::V1_2, Wire::Xml).await;
}

#[tokio::test]
async fn android_1_3_xml() {
    android_session(CspVersion::V1_3, Wire::Xml).await;
}

#[tokio::test]
async fn android_1_1_wbxml() {
    android_session(CspVersion::V1_1, Wire::Android).await;
}

#[tokio::test]
async fn android_1_2_wbxml() {
    android_session(CspVersion::V1_2, Wire::Android).await;
}

#[tokio::test]
async fn android_1_3_wbxml() {
    android_session(CspVersion::V1_3, Wire::Android).await;
}
