//! WBXML and values exactly as real handset encoders write them (issue "Real handsets,
//! unchanged"): Android's encoder uses the CSP 1.3 token tables in every version, sends tags the
//! 1.3 tables dropped, and its native integer encoder writes garbage. None of that may fail a
//! request. Each document is our own encoding of a small message with the bytes a handset
//! would send spliced in.

use imps_csp::model::CapabilityList;
use imps_csp::tokens::TOKENS_11;
use imps_csp::{decode_wbxml, decode_xml, encode_wbxml, CspVersion, Limits, Primitive};
use imps_wbxml::TokenTable;

const NS: [(&str, &str); 3] = [
    (
        "http://www.wireless-village.org/CSP1.1",
        "http://www.wireless-village.org/TRC1.1",
    ),
    (
        "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
        "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
    ),
    (
        "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
        "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
    ),
];

fn wrap(version: CspVersion, body: &str) -> String {
    let (ns, trc) = match version {
        CspVersion::V1_1 => NS[0],
        CspVersion::V1_2 => NS[1],
        CspVersion::V1_3 => NS[2],
    };
    format!(
        r#"<WV-CSP-Message xmlns="{ns}"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>5</TransactionID></TransactionDescriptor><TransactionContent xmlns="{trc}">{body}</TransactionContent></Transaction></Session></WV-CSP-Message>"#
    )
}

/// Our WBXML of a ClientCapability-Request with `caps` as its CapabilityList content.
fn capability_wbxml(version: CspVersion, caps: &str) -> Vec<u8> {
    let xml = wrap(
        version,
        &format!("<ClientCapability-Request><CapabilityList>{caps}</CapabilityList></ClientCapability-Request>"),
    );
    let msg = decode_xml(xml.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    encode_wbxml(&msg).expect("encodes")
}

/// `doc` with the only occurrence of `from` replaced by `to`.
fn splice(doc: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let hits: Vec<usize> = doc
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "{from:02X?} in {doc:02X?}");
    let at = hits[0];
    [&doc[..at], to, &doc[at + from.len()..]].concat()
}

fn capabilities(doc: &[u8]) -> CapabilityList {
    let msg = decode_wbxml(doc, &Limits::default()).unwrap_or_else(|e| panic!("{e}: {doc:02X?}"));
    match msg
        .session
        .transactions
        .into_iter()
        .next()
        .map(|t| t.primitive)
    {
        Some(Primitive::ClientCapabilityRequest(r)) => r.capability_list.expect("list"),
        other => panic!("{other:?}"),
    }
}

/// STR_I of `s`.
fn str_i(s: &str) -> Vec<u8> {
    [&[0x03][..], s.as_bytes(), &[0x00]].concat()
}

#[test]
fn value_tokens_of_the_13_table_resolve_in_11_and_12() {
    for version in [CspVersion::V1_1, CspVersion::V1_2] {
        let doc = capability_wbxml(
            version,
            "<SupportedCIRMethod>SSMS</SupportedCIRMethod><SupportedCIRMethod>SHTTP</SupportedCIRMethod>",
        );
        // Android writes EXT_T_0 0xA4 / 0xA5 (its 1.3 table) whatever the version.
        let doc = splice(&doc, &str_i("SSMS"), &[0x80, 0x81, 0x24]);
        let doc = splice(&doc, &str_i("SHTTP"), &[0x80, 0x81, 0x25]);
        assert_eq!(
            capabilities(&doc).supported_cir_method,
            ["SSMS", "SHTTP"],
            "{version}"
        );
    }
}

#[test]
fn a_value_token_no_table_has_is_skipped() {
    let doc = capability_wbxml(
        CspVersion::V1_1,
        "<ClientType>MOBILE_PHONE</ClientType><SupportedCIRMethod>STCP</SupportedCIRMethod>",
    );
    // ClientType's value token becomes EXT_T_0 0x7F70, which no CSP table defines.
    let (_, index) = TOKENS_11
        .ext_t_token("MOBILE_PHONE")
        .expect("a value token");
    let index = u8::try_from(index).expect("one byte");
    let doc = splice(&doc, &[0x80, index], &[0x80, 0x81, 0xFE, 0x70]);
    let caps = capabilities(&doc);
    assert_eq!(caps.client_type.as_deref(), Some(""));
    assert_eq!(caps.supported_cir_method, ["STCP"]);
}

#[test]
fn tags_the_13_tables_dropped_decode_in_13() {
    // ParserSize (page 3 0x0D) becomes AcceptedContentLength (page 3 0x06), as Android sends
    // it in a 1.3 ClientCapability-Request: the model keeps it for the server to read.
    let doc = capability_wbxml(
        CspVersion::V1_3,
        "<MultiTrans>1</MultiTrans><ParserSize>262144</ParserSize>",
    );
    let doc = splice(
        &doc,
        &[0x4D, 0xC3, 0x03, 0x04, 0x00, 0x00],
        &[0x46, 0xC3, 0x03, 0x04, 0x00, 0x00],
    );
    let caps = capabilities(&doc);
    assert_eq!(caps.accepted_content_length, Some(262_144));
    assert_eq!(caps.parser_size, None);
    assert_eq!(caps.multi_trans, Some(1));
    // ... and it is never written back in 1.3.
    let msg = decode_wbxml(&doc, &Limits::default()).expect("decodes");
    let out = encode_wbxml(&msg).expect("encodes");
    assert!(!out.windows(2).any(|w| w == [0x46, 0xC3]), "{out:02X?}");
}

#[test]
fn every_dropped_13_tag_has_its_element() {
    use imps_csp::tokens::{TOKENS_12, TOKENS_13};
    for (page, code, name) in [
        (0x00, 0x18, "InUse"),
        (0x07, 0x1F, "Users"),
        (0x02, 0x06, "AttListFunc"),
        (0x02, 0x08, "CAAUT"),
        (0x02, 0x30, "REACT"),
        (0x03, 0x05, "AcceptedCharset"),
        (0x03, 0x06, "AcceptedContentLength"),
        (0x04, 0x05, "CancelAuth-Request"),
        (0x04, 0x19, "PresenceAuth-Request"),
        (0x04, 0x1A, "PresenceAuth-User"),
        (0x04, 0x1E, "AutoSubscribe"),
        (0x04, 0x1F, "GetReactiveAuthStatus-Request"),
        (0x04, 0x20, "GetReactiveAuthStatus-Response"),
    ] {
        assert_eq!(TOKENS_12.tag_name(page, code), Some(name));
        assert_eq!(TOKENS_13.tag_name(page, code), Some(name), "decodes in 1.3");
        assert_eq!(
            TOKENS_13.tag_token(name),
            None,
            "{name} is never written in 1.3"
        );
    }
}

#[test]
fn a_tag_no_table_has_is_skipped_with_its_content() {
    for version in [CspVersion::V1_1, CspVersion::V1_2, CspVersion::V1_3] {
        let doc = capability_wbxml(
            version,
            "<MultiTrans>1</MultiTrans><ParserSize>262144</ParserSize><UDPPort>3717</UDPPort>",
        );
        // ParserSize becomes page 3 token 0x3E (no table has it), holding text, OPAQUE, a
        // nested unknown element, a known element and a LITERAL element.
        let unknown = [
            &[0x7E, 0xC3, 0x03, 0x04, 0x00, 0x00][..],
            &str_i("x"),
            &[0x7D, 0x01, 0x4C, 0xC3, 0x01, 0x09, 0x01, 0x44, 0x00, 0x01],
        ]
        .concat();
        let doc = splice(&doc, &[0x4D, 0xC3, 0x03, 0x04, 0x00, 0x00], &unknown);
        // A string table holding the LITERAL name "Vendor" (the header's length byte was 0).
        assert_eq!(doc[3], 0x00, "no string table");
        let doc = [&doc[..3], &[0x07], b"Vendor\0", &doc[4..]].concat();
        let caps = capabilities(&doc);
        assert_eq!(caps.parser_size, None, "{version}");
        assert_eq!(
            caps.multi_trans,
            Some(1),
            "{version}: before the unknown element"
        );
        assert_eq!(
            caps.udp_port,
            Some(3717),
            "{version}: after the unknown element"
        );
    }
}

#[test]
fn garbage_integers_are_clamped_never_refused() {
    let doc = capability_wbxml(
        CspVersion::V1_2,
        "<AcceptedContentLength>256</AcceptedContentLength><MultiTrans>1</MultiTrans><ParserSize>262144</ParserSize>",
    );
    // An 8-byte OPAQUE (Android's uninitialised integer) saturates.
    let wide = splice(
        &doc,
        &[0x46, 0xC3, 0x02, 0x01, 0x00],
        &[
            0x46, 0xC3, 0x08, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04,
        ],
    );
    assert_eq!(capabilities(&wide).accepted_content_length, Some(u32::MAX));
    // Leading zero bytes are not significant.
    let padded = splice(
        &doc,
        &[0x46, 0xC3, 0x02, 0x01, 0x00],
        &[0x46, 0xC3, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00],
    );
    assert_eq!(capabilities(&padded).accepted_content_length, Some(256));
    // Text: too big saturates, not a number leaves the optional field absent.
    for (text, want) in [
        ("99999999999999999999", Some(u32::MAX)),
        ("4294967296", Some(u32::MAX)),
        (" +300 ", Some(300)),
        ("ABC", None),
        ("-1", None),
        ("", None),
    ] {
        let doc = splice(
            &doc,
            &[0x46, 0xC3, 0x02, 0x01, 0x00],
            &[&[0x46][..], &str_i(text)].concat(),
        );
        let caps = capabilities(&doc);
        assert_eq!(caps.accepted_content_length, want, "{text:?}");
        assert_eq!(caps.parser_size, Some(262_144), "{text:?}");
    }
}

#[test]
fn garbage_integers_in_xml_are_not_refused() {
    let xml = wrap(
        CspVersion::V1_1,
        "<ClientCapability-Request><CapabilityList><AcceptedContentLength>lots</AcceptedContentLength>\
         <ParserSize>12345678901234</ParserSize><MultiTrans>2</MultiTrans></CapabilityList></ClientCapability-Request>",
    );
    let msg = decode_xml(xml.as_bytes(), &Limits::default()).expect("decodes");
    let Some(Primitive::ClientCapabilityRequest(r)) = msg
        .session
        .transactions
        .into_iter()
        .next()
        .map(|t| t.primitive)
    else {
        panic!()
    };
    let caps = r.capability_list.expect("list");
    assert_eq!(caps.accepted_content_length, None);
    assert_eq!(caps.parser_size, Some(u32::MAX));
    assert_eq!(caps.multi_trans, Some(2));
}

#[test]
fn dropped_13_primitives_decode_in_13() {
    // Our 1.3 GetList-Request (page 4 0x10, empty), with the tag byte changed to page 4 0x1F
    // (GetReactiveAuthStatus-Request) and 0x05 (CancelAuth-Request), as Android's 1.3 table
    // writes them.
    let xml = wrap(CspVersion::V1_3, "<GetList-Request/>");
    let msg = decode_xml(xml.as_bytes(), &Limits::default()).expect("decodes");
    let doc = encode_wbxml(&msg).expect("encodes");
    let status = splice(&doc, &[0x00, 0x04, 0x10], &[0x00, 0x04, 0x1F]);
    let msg = decode_wbxml(&status, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        msg.session.transactions[0].primitive.name(),
        "GetReactiveAuthStatus-Request"
    );
    // CancelAuth-Request is recognised (its mandatory UserID is what is missing here), not
    // skipped as an unknown tag.
    let cancel = splice(&doc, &[0x00, 0x04, 0x10], &[0x00, 0x04, 0x05]);
    let e = decode_wbxml(&cancel, &Limits::default()).expect_err("no UserID");
    assert!(
        matches!(
            e,
            imps_csp::DecodeError::MissingElement { name: "UserID", .. }
        ),
        "{e}"
    );
}
