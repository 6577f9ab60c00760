//! What real clients send that a strict parser would refuse: children in any order, namespace
//! prefixes and variant namespaces, alternative spellings, unknown elements, vendor ExtBlocks,
//! missing TransactionID, Poll in the "wrong" place. Each decodes to the model a server needs,
//! and encoding gives the strict form back.

use imps_csp::model::{SubscribePresenceRequest, UpdatePresenceRequest};
use imps_csp::{decode_xml, encode_xml, CspVersion, Limits, Primitive};

fn decode(xml: &str) -> imps_csp::WvCspMessage {
    decode_xml(xml.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

fn wrap(ns: &str, trc: &str, body: &str) -> String {
    format!(
        r#"<WV-CSP-Message xmlns="{ns}"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>5</TransactionID></TransactionDescriptor><TransactionContent xmlns="{trc}">{body}</TransactionContent></Transaction></Session></WV-CSP-Message>"#
    )
}

const NS12: &str = "http://www.openmobilealliance.org/DTD/WV-CSP1.2";
const TRC12: &str = "http://www.openmobilealliance.org/DTD/WV-TRC1.2";

#[test]
fn children_in_any_order_are_accepted_and_written_in_order() {
    // Android's ClientCapability order differs from the DTD's.
    let body = "<ClientCapability-Request><CapabilityList><SupportedCIRMethod>STCP</SupportedCIRMethod>\
        <ParserSize>262144</ParserSize><ClientType>MOBILE_PHONE</ClientType><InitialDeliveryMethod>P</InitialDeliveryMethod>\
        <MultiTrans>1</MultiTrans></CapabilityList></ClientCapability-Request>";
    let msg = decode(&wrap(NS12, TRC12, body));
    let Primitive::ClientCapabilityRequest(req) = &msg.session.transactions[0].primitive else {
        panic!()
    };
    let caps = req.capability_list.as_ref().expect("list");
    assert_eq!(caps.parser_size, Some(262_144));
    assert_eq!(caps.client_type.as_deref(), Some("MOBILE_PHONE"));
    let out = encode_xml(&msg).expect("encodes");
    let pos = |s: &str| {
        out.find(s)
            .unwrap_or_else(|| panic!("{s} missing in {out}"))
    };
    assert!(pos("<ClientType>") < pos("<InitialDeliveryMethod>"));
    assert!(pos("<InitialDeliveryMethod>") < pos("<MultiTrans>"));
    assert!(pos("<ParserSize>") < pos("<SupportedCIRMethod>"));
}

#[test]
fn prefixed_and_variant_namespaces_are_accepted() {
    let prefixed = wrap(NS12, TRC12, "<Polling-Request/>")
        .replace("<WV-CSP-Message xmlns=", "<csp:WV-CSP-Message xmlns:csp=")
        .replace("</WV-CSP-Message>", "</csp:WV-CSP-Message>");
    assert_eq!(decode(&prefixed).version, CspVersion::V1_2);
    // Nokia's constant without /DTD.
    let nokia = wrap(
        "http://www.openmobilealliance.org/WV-CSP1.2",
        TRC12,
        "<Polling-Request/>",
    );
    assert_eq!(decode(&nokia).version, CspVersion::V1_2);
    // A TRC namespace of another version inside is ignored: the root decides.
    let mixed = wrap(
        NS12,
        "http://www.wireless-village.org/TRC1.1",
        "<Polling-Request/>",
    );
    assert_eq!(decode(&mixed).version, CspVersion::V1_2);
}

#[test]
fn alternative_spellings_map_to_one_model() {
    let body = "<SubscribePresence-Request><User><UserID>wv:bob@example.com</UserID></User>\
        <Auto-Subscribe>T</Auto-Subscribe></SubscribePresence-Request>";
    let msg = decode(&wrap(NS12, TRC12, body));
    let Primitive::SubscribePresenceRequest(r) = &msg.session.transactions[0].primitive else {
        panic!()
    };
    let SubscribePresenceRequest { auto_subscribe, .. } = &**r;
    assert_eq!(*auto_subscribe, Some(true));
    assert!(encode_xml(&msg)
        .expect("encodes")
        .contains("<AutoSubscribe>T</AutoSubscribe>"));

    let body = "<UpdatePresence-Request><PresenceSubList xmlns=\"http://www.openmobilealliance.org/DTD/WV-PA1.2\">\
        <StatusContent><Qualifier>T</Qualifier><PreferredContent>http://x/avatar.png</PreferredContent></StatusContent>\
        </PresenceSubList></UpdatePresence-Request>";
    let msg = decode(&wrap(NS12, TRC12, body));
    let Primitive::UpdatePresenceRequest(r) = &msg.session.transactions[0].primitive else {
        panic!()
    };
    let UpdatePresenceRequest { presence_sub_list } = &**r;
    let content = presence_sub_list
        .status_content
        .as_ref()
        .expect("StatusContent");
    assert_eq!(
        content.referred_content.as_deref(),
        Some("http://x/avatar.png")
    );
}

#[test]
fn unknown_elements_and_extblocks_are_tolerated() {
    let body = "<SendMessage-Request><DeliveryReport>F</DeliveryReport><VendorThing><Deep>1</Deep></VendorThing>\
        <MessageInfo><ContentType>text/plain</ContentType><ContentSize>2</ContentSize><Recipient><User>\
        <UserID>wv:bob@example.com</UserID></User></Recipient></MessageInfo><ContentData>hi</ContentData>\
        </SendMessage-Request>";
    let xml = wrap(NS12, TRC12, body).replace(
        "</Transaction>",
        "<ExtBlock><APIClient>nokia-s60</APIClient></ExtBlock></Transaction>",
    );
    let msg = decode(&xml);
    let t = &msg.session.transactions[0];
    assert!(matches!(t.primitive, Primitive::SendMessageRequest(_)));
    assert_eq!(t.ext_block.len(), 1);
    assert_eq!(t.ext_block[0].children[0].name, "APIClient");
    let out = encode_xml(&msg).expect("encodes");
    assert!(!out.contains("VendorThing"), "unknown elements are dropped");
    assert!(out.contains("<ExtBlock><APIClient>nokia-s60</APIClient></ExtBlock>"));
}

#[test]
fn android_polling_without_transaction_id_and_poll_in_either_place() {
    let xml =
        wrap(NS12, TRC12, "<Polling-Request/>").replace("<TransactionID>5</TransactionID>", "");
    let msg = decode(&xml);
    assert_eq!(msg.session.transactions[0].descriptor.transaction_id, None);

    // 1.1 message with Poll in Session (1.2 style) and 1.2 message with Poll in the descriptor.
    let v11 = wrap(
        "http://www.wireless-village.org/CSP1.1",
        "http://www.wireless-village.org/TRC1.1",
        "<Polling-Request/>",
    )
    .replace("</Transaction>", "</Transaction><Poll>T</Poll>");
    assert!(decode(&v11).poll());
    let v12 = wrap(NS12, TRC12, "<Polling-Request/>")
        .replace("</TransactionID>", "</TransactionID><Poll>T</Poll>");
    let mut msg = decode(&v12);
    assert!(msg.poll());
    msg.set_poll(true);
    let out = encode_xml(&msg).expect("encodes");
    assert!(
        out.contains("</Transaction><Poll>T</Poll></Session>"),
        "{out}"
    );
}

#[test]
fn whitespace_and_comments_between_elements_are_ignored() {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- from a handset -->\n{}\n",
        wrap(
            NS12,
            TRC12,
            "\n  <KeepAlive-Request>\n    <TimeToLive> 600 </TimeToLive>\n  </KeepAlive-Request>\n"
        )
    );
    let msg = decode(&xml);
    let Primitive::KeepAliveRequest(k) = &msg.session.transactions[0].primitive else {
        panic!()
    };
    assert_eq!(k.time_to_live, Some(600));
}

#[test]
fn repeated_singletons_keep_the_first_and_mandatory_children_are_checked() {
    // Decoding works in place, field by field: a second occurrence must not overwrite the
    // first (required, optional and nested struct fields alike), and lists keep every entry.
    let body = "<Login-Request><UserID>first</UserID><UserID>second</UserID>\
        <ClientID><URL>http://a</URL></ClientID><ClientID><URL>http://b</URL></ClientID>\
        <TimeToLive>60</TimeToLive><TimeToLive>90</TimeToLive>\
        <DigestSchema>MD5</DigestSchema><DigestSchema>SHA</DigestSchema>\
        <SessionCookie>c</SessionCookie></Login-Request>";
    let msg = decode(&wrap(NS12, TRC12, body));
    let Primitive::LoginRequest(req) = &msg.session.transactions[0].primitive else {
        panic!()
    };
    assert_eq!(req.user_id, "first");
    let client = req.client_id.as_ref().expect("ClientID");
    assert_eq!(client.url.as_deref(), Some("http://a"));
    assert_eq!(req.time_to_live, Some(60));
    assert_eq!(req.digest_schema, ["MD5", "SHA"]);
    // A second TransactionContent is read and dropped; the first primitive stays.
    let two = wrap(NS12, TRC12, "<Polling-Request/>").replace(
        "</TransactionContent>",
        "</TransactionContent><TransactionContent><Logout-Request/></TransactionContent>",
    );
    let msg = decode(&two);
    assert!(matches!(
        msg.session.transactions[0].primitive,
        Primitive::PollingRequest(_)
    ));
    // A mandatory child missing: a typed error naming it.
    let no_user = wrap(
        NS12,
        TRC12,
        "<Login-Request><SessionCookie>c</SessionCookie></Login-Request>",
    );
    assert!(matches!(
        decode_xml(no_user.as_bytes(), &Limits::default()),
        Err(imps_csp::DecodeError::MissingElement { name: "UserID", .. })
    ));
}
