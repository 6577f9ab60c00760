//! Motorola Razr V3 (csp-reference §11.2): CSP 1.1 XML, password in clear, SessionCookie
//! `MAGIC4_SESSION_COOKIE`, a ClientID URL that changes on every request, a small
//! capability list with WAPSMS CIR, invisibility by `OnlineStatus` Qualifier F, a
//! BlockEntity-Request with an empty RemoveList and an unused GrantList, KeepAlive with
//! TimeToLive 10.

use imps_csp::CspVersion;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::{TestServer, Variant};

use crate::common::{expect, next_message, online, presence_of};

/// The Razr's ClientID: random text, new on every request.
fn client_id(n: u32) -> String {
    format!(
        "<ClientID><URL>{:08x}{n}</URL></ClientID>",
        n.wrapping_mul(2_654_435_761)
    )
}

#[tokio::test]
async fn the_razr_session() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let mut razr = Phone::new(&ts.url, CspVersion::V1_1, Wire::Xml);

    let a = razr
        .request(
            "1",
            &format!(
                "<Login-Request><UserID>alice</UserID>{}<Password>alice-pw</Password>\
                 <TimeToLive>1800</TimeToLive><SessionCookie>MAGIC4_SESSION_COOKIE</SessionCookie>\
                 </Login-Request>",
                client_id(1)
            ),
        )
        .await
        .expect("login");
    expect(&a, "Login-Response", "200", "login");
    assert!(razr.session_id.is_some(), "a SessionID");

    let a = razr
        .request(
            "2",
            &format!(
                "<ClientCapability-Request>{}<CapabilityList>\
                 <ClientType>MOBILE_PHONE</ClientType><InitialDeliveryMethod>P</InitialDeliveryMethod>\
                 <AcceptedContentType>text/plain</AcceptedContentType>\
                 <AcceptedTransferEncoding>BASE64</AcceptedTransferEncoding>\
                 <AcceptedContentLength>512</AcceptedContentLength>\
                 <SupportedBearer>HTTP</SupportedBearer><MultiTrans>1</MultiTrans>\
                 <ParserSize>16384</ParserSize><SupportedCIRMethod>WAPSMS</SupportedCIRMethod>\
                 <ServerPollMin>20</ServerPollMin></CapabilityList></ClientCapability-Request>",
                client_id(2)
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
    let resp = a.find("ClientCapability-Response").expect("response");
    assert_eq!(
        resp.children.first().map(|c| c.name.as_str()),
        Some("CapabilityList"),
        "a 1.1 engine reads the agreed list as the first child"
    );
    assert_eq!(a.text("AcceptedContentLength"), Some("512"));
    assert_eq!(a.text("MultiTrans"), Some("1"));

    let a = razr
        .request(
            "3",
            &format!(
                "<Service-Request>{}<Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/><IMFeat/></WVCSPFeat></Functions>\
                 <AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>",
                client_id(3)
            ),
        )
        .await
        .expect("services: the ClientID changed and the session goes on");
    assert_eq!(a.primitive(), Some("Service-Response"), "{:?}", a.tree);

    // Bob watches alice; alice goes invisible: bob sees her offline.
    bob.request(imps_csp::Primitive::from(
        imps_csp::model::presence::SubscribePresenceRequest {
            user: vec![imps_csp::model::common::User {
                user_id: "wv:alice@localhost".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    ))
    .await
    .expect("subscribe");
    let seen = presence_of(&mut bob, "alice").await;
    assert_eq!(online(&seen), Some(true), "alice is online: {seen:?}");
    let a = razr
        .request(
            "4",
            "<UpdatePresence-Request><PresenceSubList xmlns=\"http://www.wireless-village.org/PA1.1\">\
             <OnlineStatus><Qualifier>F</Qualifier></OnlineStatus>\
             <UserAvailability><Qualifier>T</Qualifier><PresenceValue>AVAILABLE</PresenceValue></UserAvailability>\
             </PresenceSubList></UpdatePresence-Request>",
        )
        .await
        .expect("invisible");
    expect(&a, "Status", "200", "invisible");
    let seen = presence_of(&mut bob, "alice").await;
    assert_eq!(
        online(&seen),
        Some(false),
        "invisible = offline to others: {seen:?}"
    );
    assert_eq!(
        seen.user_availability
            .as_ref()
            .and_then(|u| u.presence_value.as_deref()),
        Some("NOT_AVAILABLE"),
        "and not available"
    );

    // Block list as the Razr sends it: nothing to remove, a grant list not in use.
    let a = razr
        .request(
            "5",
            "<BlockEntity-Request><BlockList><InUse>T</InUse><RemoveList/></BlockList>\
             <GrantList><InUse>F</InUse></GrantList></BlockEntity-Request>",
        )
        .await
        .expect("block entity");
    expect(&a, "Status", "200", "block entity");
    // Bob still reaches alice (nobody blocked, the grant list is not in use).
    bob.send_text(&["alice"], "still there?")
        .await
        .expect("send");
    let mut tid = 100;
    let got = next_message(&mut razr, &mut tid, "razr").await;
    assert_eq!(got.text("ContentData"), Some("still there?"));
    let tid = got
        .transaction_id()
        .expect("server TransactionID")
        .to_owned();
    let ack = format!(
        "<MessageDelivered>{}<MessageID>{}</MessageID></MessageDelivered>",
        client_id(6),
        got.text("MessageID").expect("MessageID")
    );
    razr.respond(&tid, &ack).await.expect("ack");

    let a = razr
        .request(
            "7",
            "<KeepAlive-Request><TimeToLive>10</TimeToLive></KeepAlive-Request>",
        )
        .await
        .expect("keep alive");
    expect(&a, "KeepAlive-Response", "200", "keep alive");
    let granted: u32 = a
        .text("KeepAliveTime")
        .and_then(|t| t.parse().ok())
        .expect("KeepAliveTime");
    assert!(
        granted >= 60,
        "TimeToLive 10 is clamped up, not refused: {granted}"
    );

    // A request the server cannot read still gets its TransactionID back.
    let broken = razr
        .document("Request", Some("8"), "<Logout-Request>")
        .replace("</TransactionContent>", "");
    let a = razr
        .post_xml(&broken)
        .await
        .expect("answer to a broken request");
    assert_eq!(a.transaction_id(), Some("8"), "{:?}", a.tree);
    assert_eq!(a.code(), Some("400"));

    let a = razr
        .request("9", "<Logout-Request/>")
        .await
        .expect("logout");
    expect(&a, "Disconnect", "200", "logout (1.1: Disconnect)");
}

#[tokio::test]
async fn client_id_binding_is_the_operators_choice() {
    let ts = TestServer::start_with(&["alice"], |s| s.engine.bind_client_id = true)
        .await
        .expect("server");
    let mut razr = Phone::new(&ts.url, CspVersion::V1_1, Wire::Xml);
    let a = razr
        .request(
            "1",
            &format!(
                "<Login-Request><UserID>alice</UserID>{}<Password>alice-pw</Password></Login-Request>",
                client_id(1)
            ),
        )
        .await
        .expect("login");
    expect(&a, "Login-Response", "200", "login");
    let service = |n| {
        format!(
            "<Service-Request>{}<Functions><WVCSPFeat><IMFeat/></WVCSPFeat></Functions>\
             <AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>",
            client_id(n)
        )
    };
    let a = razr.request("2", &service(1)).await.expect("same ClientID");
    assert_eq!(a.primitive(), Some("Service-Response"));
    let a = razr
        .request("3", &service(2))
        .await
        .expect("another ClientID");
    expect(
        &a,
        "Status",
        "604",
        "bound: another ClientID is not this session",
    );
    assert_eq!(a.transaction_id(), Some("3"));
}
