//! Byte-exact vectors from real implementations (wbxml-tables.md §5, Android's libwbxml tests).

use imps_csp::model::{CspResult, DetailedResult, Status};
use imps_csp::{
    decode_wbxml, encode_wbxml, CspVersion, Limits, Primitive, SessionType, StatusCode,
    TransactionMode, WvCspMessage,
};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn str_i(s: &str) -> Vec<u8> {
    let mut v = vec![0x03];
    v.extend_from_slice(s.as_bytes());
    v.push(0);
    v
}

/// Android's 1.2 ClientCapability-Request (vector 6), assembled byte by byte.
fn android_capability_request() -> Vec<u8> {
    let mut b = vec![
        0x03, 0x11, 0x6A, 0x00, 0xC9, 0x08, 0x03, b'1', b'.', b'2', 0x00, 0x01,
    ];
    b.extend([0x6D, 0x6E, 0x70, 0x80, 0x11, 0x01, 0x6F]);
    b.extend(str_i("196FE717.00000000.test1"));
    b.extend([0x01, 0x01]);
    b.extend([0x72, 0x74, 0x76, 0x80, 0x20, 0x01, 0x75]);
    b.extend(str_i("transId2"));
    b.extend([0x01, 0x01]);
    b.extend([0xF3, 0x0A, 0x03, b'1', b'.', b'2', 0x00, 0x01]);
    b.extend([0x00, 0x01, 0x4C, 0x4A]);
    b.extend([0x00, 0x05, 0x4F, 0x80, 0x6F, 0x01]);
    b.extend([0x00, 0x03, 0x4D, 0xC3, 0x02, 0x7F, 0xFF, 0x01]);
    b.extend([
        0x4C, 0xC3, 0x01, 0x01, 0x01, 0x4B, 0x80, 0x1F, 0x01, 0x4E, 0xC3, 0x01, 0x02, 0x01,
    ]);
    b.extend([0x4F, 0x80, 0x42, 0x01]);
    b.extend([
        0x50, 0x80, 0x44, 0x01, 0x50, 0x80, 0x81, 0x25, 0x01, 0x50, 0x80, 0x81, 0x24, 0x01,
    ]);
    b.extend([0x01, 0x01, 0x01, 0x01, 0x01, 0x01]);
    b
}

#[test]
fn android_client_capability_request_decodes() {
    let msg = decode_wbxml(&android_capability_request(), &Limits::default()).expect("decodes");
    assert_eq!(msg.version, CspVersion::V1_2);
    assert_eq!(msg.session.descriptor.session_type, SessionType::Inband);
    assert_eq!(
        msg.session.descriptor.session_id.as_deref(),
        Some("196FE717.00000000.test1")
    );
    let t = &msg.session.transactions[0];
    assert_eq!(t.descriptor.mode, TransactionMode::Request);
    assert_eq!(t.descriptor.transaction_id.as_deref(), Some("transId2"));
    let Primitive::ClientCapabilityRequest(req) = &t.primitive else {
        panic!("not a ClientCapability-Request: {:?}", t.primitive)
    };
    let caps = req.capability_list.as_ref().expect("CapabilityList");
    assert_eq!(caps.client_type.as_deref(), Some("MOBILE_PHONE"));
    assert_eq!(caps.parser_size, Some(32767));
    assert_eq!(caps.multi_trans, Some(1));
    assert_eq!(caps.initial_delivery_method.as_deref(), Some("P"));
    assert_eq!(caps.server_poll_min, Some(2));
    assert_eq!(caps.supported_bearer, ["HTTP"]);
    assert_eq!(caps.supported_cir_method, ["STCP", "SHTTP", "SSMS"]);
}

fn status_13() -> WvCspMessage {
    let mut result = CspResult::new(StatusCode::PARTIALLY_SUCCESSFUL);
    result.description = None;
    result.detailed = vec![
        DetailedResult {
            code: StatusCode::UNKNOWN_USER,
            user_id: vec!["wv:a@x".into(), "wv:b@x".into()],
            ..Default::default()
        },
        DetailedResult {
            code: StatusCode::RECIPIENT_BLOCKED_SENDER,
            user_id: vec!["wv:c@x".into(), "wv:d@x".into()],
            ..Default::default()
        },
    ];
    let status = Status {
        result,
        ..Default::default()
    };
    let mut msg = WvCspMessage::new(
        CspVersion::V1_3,
        Some("sid".into()),
        TransactionMode::Response,
        Some("1".into()),
        Primitive::Status(status),
    );
    msg.set_poll(false);
    msg
}

#[test]
fn status_1_3_with_detailed_results_matches_android_bytes() {
    let b = encode_wbxml(&status_13()).expect("encodes");
    // Header, root with the 1.3 xmlns attribute token, Session, SessionDescriptor, Inband.
    assert!(b.starts_with(&[
        0x03, 0x12, 0x6A, 0x00, 0xC9, 0x0B, 0x03, 0x31, 0x2E, 0x33, 0x00, 0x01, 0x6D, 0x6E, 0x70,
        0x80, 0x11, 0x01, 0x6F, 0x03
    ]));
    assert!(
        contains(&b, &[0x4B, 0xC3, 0x01, 0xC9, 0x01]),
        "Code 201 as OPAQUE"
    );
    assert!(
        contains(&b, &[0x4B, 0xC3, 0x02, 0x02, 0x13, 0x01]),
        "Code 531 as OPAQUE"
    );
    assert!(
        contains(&b, &[0xF3, 0x0D, 0x03, b'1', b'.', b'3', 0x00, 0x01]),
        "TransactionContent xmlns IMPS-TRC1.3"
    );
    // Poll=F is the last child of Session, as a value token.
    assert!(
        b.ends_with(&[0x61, 0x80, 0x0B, 0x01, 0x01, 0x01]),
        "{b:02X?}"
    );
    assert_eq!(
        decode_wbxml(&b, &Limits::default()).expect("decodes"),
        status_13()
    );
}

#[test]
fn integers_are_minimal_big_endian_opaque() {
    use imps_csp::model::{MessageInfo, NewMessage};
    let mut status = status_13();
    status.session.transactions[0].primitive =
        Primitive::Status(Status::new(StatusCode::UNAUTHORIZED));
    let b = encode_wbxml(&status).expect("encodes");
    assert!(
        contains(&b, &[0x4B, 0xC3, 0x02, 0x01, 0x91, 0x01]),
        "Code 401: {b:02X?}"
    );

    let info = MessageInfo {
        content_size: Some(u32::MAX),
        ..Default::default()
    };
    let msg = WvCspMessage::new(
        CspVersion::V1_2,
        Some("s".into()),
        TransactionMode::Request,
        Some("2".into()),
        Primitive::NewMessage(NewMessage {
            message_info: info,
            ..Default::default()
        }),
    );
    let b = encode_wbxml(&msg).expect("encodes");
    assert!(
        contains(&b, &[0x4F, 0xC3, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        "ContentSize: {b:02X?}"
    );
}

#[test]
fn outband_session_descriptor_matches_android_bytes() {
    // Vector 3: `<Session><SessionDescriptor><SessionType>Outband</SessionType>…` in 1.2.
    let msg = WvCspMessage::new(
        CspVersion::V1_2,
        None,
        TransactionMode::Request,
        Some("1".into()),
        Primitive::PollingRequest(Default::default()),
    );
    let b = encode_wbxml(&msg).expect("encodes");
    assert!(b.starts_with(&[
        0x03, 0x11, 0x6A, 0x00, 0xC9, 0x08, 0x03, 0x31, 0x2E, 0x32, 0x00, 0x01, 0x6D, 0x6E, 0x70,
        0x80, 0x19, 0x01, 0x01
    ]));
}

#[test]
fn datetime_is_packed_opaque() {
    use imps_csp::codec::DateTime;
    use imps_csp::model::{MessageInfo, NewMessage};
    let info = MessageInfo {
        date_time: DateTime::parse("20010925T165859Z"),
        ..Default::default()
    };
    let msg = WvCspMessage::new(
        CspVersion::V1_3,
        Some("s".into()),
        TransactionMode::Request,
        Some("2".into()),
        Primitive::NewMessage(NewMessage {
            message_info: info,
            ..Default::default()
        }),
    );
    let b = encode_wbxml(&msg).expect("encodes");
    assert!(
        contains(
            &b,
            &[0x51, 0xC3, 0x06, 0x1F, 0x46, 0x73, 0x0E, 0xBB, 0x5A, 0x01]
        ),
        "{b:02X?}"
    );
}

#[test]
fn shttp_is_inline_text_before_1_3_and_a_value_token_in_1_3() {
    use imps_csp::model::{CapabilityList, ClientCapabilityRequest};
    let caps = CapabilityList {
        supported_cir_method: vec!["SHTTP".into()],
        ..Default::default()
    };
    for (v, expected) in [
        (
            CspVersion::V1_2,
            &[0x03, b'S', b'H', b'T', b'T', b'P', 0x00][..],
        ),
        (CspVersion::V1_3, &[0x80, 0x81, 0x25][..]),
    ] {
        let req = ClientCapabilityRequest {
            capability_list: Some(caps.clone()),
            ..Default::default()
        };
        let msg = WvCspMessage::new(
            v,
            Some("s".into()),
            TransactionMode::Request,
            Some("1".into()),
            req.into(),
        );
        let b = encode_wbxml(&msg).expect("encodes");
        assert!(contains(&b, expected), "{v}: {b:02X?}");
        assert_eq!(decode_wbxml(&b, &Limits::default()).expect("decodes"), msg);
    }
}
