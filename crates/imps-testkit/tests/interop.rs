//! Interop tests against the external WBXML tools. Each test skips (loudly) when its tool is
//! missing, unless IMPS_REQUIRE_ALL=1.

use imps_testkit::{libwbxml_decode, libwbxml_encode, require, tshark_decode, Tool, Tree};

/// Hex with optional spaces, plus `'text'` chunks copied as bytes.
fn bytes(spec: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts = spec.split('\'');
    let mut quoted = false;
    for part in parts.by_ref() {
        if quoted {
            out.extend_from_slice(part.as_bytes());
        } else {
            let hex: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            let pairs = hex.as_bytes().chunks_exact(2);
            assert!(pairs.remainder().is_empty(), "odd hex in {part:?}");
            for pair in pairs {
                let pair = std::str::from_utf8(pair).expect("ascii");
                out.push(u8::from_str_radix(pair, 16).expect("hex"));
            }
        }
        quoted = !quoted;
    }
    out
}

fn tree(xml: &str) -> Tree {
    Tree::parse_xml(xml.as_bytes()).expect("expected XML parses")
}

#[track_caller]
fn assert_tree(expected: &Tree, got: Result<Tree, String>) {
    let got = got.unwrap_or_else(|e| panic!("decode failed: {e}"));
    if let Some(d) = expected.diff(&got) {
        panic!(
            "{d}\n--- expected\n{}--- got\n{}",
            expected.to_xml(),
            got.to_xml()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Documents

/// wbxml-tables.md §5 item 7, completed: CSP 1.3 Status 201 with Poll F. Checked byte by byte:
/// header 1.3/0x12/UTF-8/no strtbl; C9 = WV-CSP-Message (attrs+content), attr 0x0B IMPS-CSP +
/// '1.3'; 6D Session, 6E SessionDescriptor, 70 SessionType = EXT 0x11 Inband, 6F SessionID;
/// 72 Transaction, 74 TransactionDescriptor, 76 TransactionMode = EXT 0x21 Response, 75
/// TransactionID; F3 TransactionContent attr 0x0D IMPS-TRC + '1.3'; 71 Status, 6A Result,
/// 4B Code = OPAQUE 0xC9 (201); five ENDs; 61 Poll = EXT 0x0B (F); END Session, END message.
const STATUS_13_WBXML: &str =
    "03 12 6A 00 C9 0B 03 '1.3' 00 01 6D 6E 70 80 11 01 6F 03 'sid' 00 01 01 \
     72 74 76 80 21 01 75 03 '1' 00 01 01 F3 0D 03 '1.3' 00 01 71 6A 4B C3 01 C9 01 01 01 01 01 \
     61 80 0B 01 01 01";

const STATUS_13_XML: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3">
 <Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>sid</SessionID></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>1</TransactionID></TransactionDescriptor>
   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
    <Status><Result><Code>201</Code></Result></Status>
   </TransactionContent>
  </Transaction>
  <Poll>F</Poll>
 </Session>
</WV-CSP-Message>"#;

/// 1.3 Status 201 with two DetailedResults (531: two users, 532: one user); Code 531 is
/// `4B C3 02 02 13 01` as in wbxml-tables.md §5 item 7.
const STATUS_13_DETAILED_WBXML: &str =
    "03 12 6A 00 C9 0B 03 '1.3' 00 01 6D 6E 70 80 11 01 6F 03 'sid' 00 01 01 \
     72 74 76 80 21 01 75 03 '7' 00 01 01 F3 0D 03 '1.3' 00 01 71 6A 4B C3 01 C9 01 \
     53 4B C3 02 02 13 01 7A 03 'alice' 00 01 7A 03 'bob' 00 01 01 \
     53 4B C3 02 02 14 01 7A 03 'carol' 00 01 01 \
     01 01 01 01 61 80 2C 01 01 01";

const STATUS_13_DETAILED_XML: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>sid</SessionID></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>7</TransactionID></TransactionDescriptor>
   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3"><Status><Result>
     <Code>201</Code>
     <DetailedResult><Code>531</Code><UserID>alice</UserID><UserID>bob</UserID></DetailedResult>
     <DetailedResult><Code>532</Code><UserID>carol</UserID></DetailedResult>
   </Result></Status></TransactionContent>
  </Transaction>
  <Poll>T</Poll>
</Session></WV-CSP-Message>"#;

/// wbxml-tables.md §5 item 6 (Android ClientCapability-Request 1.2), complete.
const CAPREQ_12_WBXML: &str = "03 11 6A 00 C9 08 03 '1.2' 00 01 \
     6D 6E 70 80 11 01 6F 03 '196FE717.00000000.test1' 00 01 01 \
     72 74 76 80 20 01 75 03 'transId2' 00 01 01 \
     F3 0A 03 '1.2' 00 01 \
     00 01 4C 4A \
     00 05 4F 80 6F 01 \
     00 03 4D C3 02 7F FF 01 \
     4C C3 01 01 01 4B 80 1F 01 4E C3 01 02 01 \
     4F 80 42 01 \
     50 80 44 01 50 80 81 25 01 50 80 81 24 01 \
     01 01 01 01 01 01";

const CAPREQ_12_XML: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">
<Session>
 <SessionDescriptor><SessionType>Inband</SessionType><SessionID>196FE717.00000000.test1</SessionID></SessionDescriptor>
 <Transaction>
  <TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>transId2</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
   <ClientCapability-Request>
    <CapabilityList>
     <ClientType>MOBILE_PHONE</ClientType>
     <ParserSize>32767</ParserSize>
     <MultiTrans>1</MultiTrans>
     <InitialDeliveryMethod>P</InitialDeliveryMethod>
     <ServerPollMin>2</ServerPollMin>
     <SupportedBearer>HTTP</SupportedBearer>
     <SupportedCIRMethod>STCP</SupportedCIRMethod>
     <SupportedCIRMethod>SHTTP</SupportedCIRMethod>
     <SupportedCIRMethod>SSMS</SupportedCIRMethod>
    </CapabilityList>
   </ClientCapability-Request>
  </TransactionContent>
 </Transaction>
</Session>
</WV-CSP-Message>"#;

/// CSP 1.1 Login-Request (Poll inside TransactionDescriptor, integer TimeToLive).
const LOGIN_11_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1">
 <Session>
  <SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor>
    <TransactionMode>Request</TransactionMode>
    <TransactionID>IMApp01#12345@NOK5110</TransactionID>
    <Poll>F</Poll>
   </TransactionDescriptor>
   <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">
    <Login-Request>
     <UserID>wv:alice@example.com</UserID>
     <ClientID><URL>http://www.example.com/client</URL></ClientID>
     <Password>s3cr&amp;t &lt;pw&gt;</Password>
     <TimeToLive>86400</TimeToLive>
     <SessionCookie>wv:cookie-1</SessionCookie>
    </Login-Request>
   </TransactionContent>
  </Transaction>
 </Session>
</WV-CSP-Message>"#;

/// CSP 1.1 Status with DetailedResult, big integers in ContentSize/MessageCount.
const STATUS_11_XML: &str = r#"<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session>
 <SessionDescriptor><SessionType>Inband</SessionType><SessionID>im.user.com#48815@server.com</SessionID></SessionDescriptor>
 <Transaction>
  <TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>42</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1"><Status><Result>
   <Code>201</Code><Description>Partially successful — déjà vu 漢字</Description>
   <DetailedResult><Code>531</Code><UserID>wv:bob</UserID><UserID>wv:carol</UserID></DetailedResult>
  </Result></Status></TransactionContent>
 </Transaction>
</Session></WV-CSP-Message>"#;

/// CSP 1.2 SendMessage-Request with DateTime, ContentSize, value tokens and 1.2 Poll/CIR.
const SENDMSG_12_XML: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">
<Session>
 <SessionDescriptor><SessionType>Inband</SessionType><SessionID>196FE717.00000000.test1</SessionID></SessionDescriptor>
 <Transaction>
  <TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>3</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
   <SendMessage-Request>
    <DeliveryReport>T</DeliveryReport>
    <MessageInfo>
     <ContentType>text/plain</ContentType>
     <ContentSize>4294967295</ContentSize>
     <Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient>
     <Sender><User><UserID>wv:alice@example.com</UserID></User></Sender>
     <DateTime>20010925T165859Z</DateTime>
     <Validity>3600</Validity>
    </MessageInfo>
    <ContentData>Hello &lt;Bob&gt; &amp; friends!</ContentData>
   </SendMessage-Request>
  </TransactionContent>
 </Transaction>
 <Poll>T</Poll>
 <CIR>F</CIR>
</Session>
</WV-CSP-Message>"#;

/// CSP 1.2 GetPresence-Response with a PresenceSubList (PA namespace) and presence values.
const PRESENCE_12_XML: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">
<Session>
 <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor>
 <Transaction>
  <TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>9</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
   <GetPresence-Response>
    <Result><Code>200</Code></Result>
    <Presence>
     <UserID>wv:bob@example.com</UserID>
     <PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">
      <OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>
      <UserAvailability><Qualifier>T</Qualifier><PresenceValue>AVAILABLE</PresenceValue></UserAvailability>
      <StatusText><Qualifier>T</Qualifier><PresenceValue>At lunch</PresenceValue></StatusText>
      <ClientInfo><Qualifier>T</Qualifier><ClientType>MOBILE_PHONE</ClientType></ClientInfo>
     </PresenceSubList>
    </Presence>
   </GetPresence-Response>
  </TransactionContent>
 </Transaction>
</Session>
</WV-CSP-Message>"#;

// ---------------------------------------------------------------------------------------------
// libwbxml

#[test]
fn libwbxml_round_trips_csp11_and_csp12() {
    if !(require(Tool::Xml2Wbxml) && require(Tool::Wbxml2Xml)) {
        return;
    }
    for (name, xml) in [
        ("LOGIN_11", LOGIN_11_XML),
        ("STATUS_11", STATUS_11_XML),
        ("SENDMSG_12", SENDMSG_12_XML),
        ("PRESENCE_12", PRESENCE_12_XML),
    ] {
        let wbxml = libwbxml_encode(xml.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: libwbxml_encode failed: {e}"));
        let got = libwbxml_decode(&wbxml);
        let expected = tree(xml);
        let got = got.unwrap_or_else(|e| panic!("{name}: libwbxml_decode failed: {e}"));
        assert!(
            expected.diff(&got).is_none(),
            "{name}: {}\n{}",
            expected.diff(&got).unwrap_or_default(),
            got.to_xml()
        );
    }
}

#[test]
fn libwbxml_encoder_output_shape() {
    if !require(Tool::Xml2Wbxml) {
        return;
    }
    // 1.1: numeric public id 0x10, xmlns dropped (root 0x49 = WV-CSP-Message with content only).
    let w11 = libwbxml_encode(STATUS_11_XML.as_bytes()).expect("encode 1.1");
    assert_eq!(&w11[..5], &[0x03, 0x10, 0x6A, 0x00, 0x49]);
    // 1.2: literal public id (index 0 into a 27-byte string table).
    let w12 = libwbxml_encode(SENDMSG_12_XML.as_bytes()).expect("encode 1.2");
    let mut head = vec![0x03, 0x00, 0x00, 0x6A, 0x1B];
    head.extend_from_slice(b"-//OMA//DTD WV-CSP 1.2//EN\0");
    head.push(0x49);
    assert_eq!(&w12[..head.len()], &head[..]);
    // Integers are minimal OPAQUE; zero is the zero-length C3 00; DateTime stays STR_I.
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(find(
        &w12,
        &[0x4F, 0xC3, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
    )); // ContentSize
    assert!(find(&w12, b"\x51\x0320010925T165859Z\x00\x01")); // DateTime as STR_I
    let zero = libwbxml_encode(
        br#"<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session><MessageCount>0</MessageCount></Session></WV-CSP-Message>"#,
    )
    .expect("encode zero");
    assert!(find(&zero, &[0x5A, 0xC3, 0x00, 0x01]), "{zero:02X?}");
}

#[test]
fn libwbxml_encode_replaces_unusable_doctype_and_rejects_13() {
    if !require(Tool::Xml2Wbxml) {
        return;
    }
    // The spec's 1.1 public id is unknown to libwbxml; it must be replaced, not passed on.
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE WV-CSP-Message PUBLIC \"-//WIRELESSVILLAGE//DTD CSP 1.1//EN\" \"http://www.wireless-village.org/DTD/CSP1.1.dtd\">\n{}",
        &LOGIN_11_XML[LOGIN_11_XML.find("<WV-CSP-Message").expect("root")..]
    );
    let w = libwbxml_encode(xml.as_bytes()).expect("encode");
    assert_eq!(&w[..2], &[0x03, 0x10]);
    assert!(libwbxml_encode(STATUS_13_XML.as_bytes()).is_err());
}

#[test]
fn libwbxml_decodes_android_12_vector() {
    if !require(Tool::Wbxml2Xml) {
        return;
    }
    // libwbxml has no value tokens for SHTTP (0xA5) / SSMS (0xA4): they are silently dropped.
    let expected = tree(
        &CAPREQ_12_XML
            .replace(">SHTTP<", "><")
            .replace(">SSMS<", "><"),
    );
    assert_tree(&expected, libwbxml_decode(&bytes(CAPREQ_12_WBXML)));
}

#[test]
fn libwbxml_decodes_13_status_through_12_tables() {
    if !require(Tool::Wbxml2Xml) {
        return;
    }
    assert_tree(
        &tree(STATUS_13_XML),
        libwbxml_decode(&bytes(STATUS_13_WBXML)),
    );
    assert_tree(
        &tree(STATUS_13_DETAILED_XML),
        libwbxml_decode(&bytes(STATUS_13_DETAILED_WBXML)),
    );
}

#[test]
fn libwbxml_decode_renderings() {
    if !require(Tool::Wbxml2Xml) {
        return;
    }
    let doc = |body: &str| bytes(&format!("03 10 6A 00 C9 05 03 '1.1' 00 01 6D {body} 01 01"));
    let session = |xml: &str| {
        tree(&format!(
            "<WV-CSP-Message><Session>{xml}</Session></WV-CSP-Message>"
        ))
    };
    // OPAQUE DateTime; zone byte 0 is rendered as Z.
    assert_tree(
        &session("<DateTime>20010925T165859Z</DateTime><DateTime>20010925T165859Z</DateTime>"),
        libwbxml_decode(&doc(
            "51 C3 06 1F 46 73 0E BB 5A 01 51 C3 06 1F 46 73 0E BB 00 01",
        )),
    );
    // Integers: unsigned, zero-length = 0.
    assert_tree(
        &session(
            "<ContentSize>4294967295</ContentSize><MessageCount>0</MessageCount><Code>201</Code>",
        ),
        libwbxml_decode(&doc(
            "4F C3 04 FF FF FF FF 01 5A C3 00 01 4B 03 '201' 00 01",
        )),
    );
    // Unknown value token index: dropped. Mixed EXT_T + STR_I: concatenated.
    assert_tree(
        &session("<Name/><URL>http://example.com</URL>"),
        libwbxml_decode(&doc("5E 80 81 7F 01 77 80 0E 03 'example.com' 00 01")),
    );
}

// ---------------------------------------------------------------------------------------------
// tshark

#[test]
fn tshark_decodes_13_status() {
    if !require(Tool::Tshark) {
        return;
    }
    assert_tree(&tree(STATUS_13_XML), tshark_decode(&bytes(STATUS_13_WBXML)));
    assert_tree(
        &tree(STATUS_13_DETAILED_XML),
        tshark_decode(&bytes(STATUS_13_DETAILED_WBXML)),
    );
}

#[test]
fn tshark_decodes_android_12_vector() {
    if !require(Tool::Tshark) {
        return;
    }
    assert_tree(&tree(CAPREQ_12_XML), tshark_decode(&bytes(CAPREQ_12_WBXML)));
}

#[test]
fn tshark_renderings() {
    if !require(Tool::Tshark) {
        return;
    }
    let doc = |pid: &str, attr: &str, ver: &str, body: &str| {
        bytes(&format!(
            "03 {pid} 6A 06 'Hello' 00 C9 {attr} 03 '{ver}' 00 01 6D {body} 01 01"
        ))
    };
    let session = |xml: &str| {
        tree(&format!(
            "<WV-CSP-Message><Session>{xml}</Session></WV-CSP-Message>"
        ))
    };
    let body = "51 C3 06 1F 46 73 0E BB 5A 01 \
                4F C3 04 FF FF FF FF 01 \
                5A C3 00 01 \
                4D C3 03 01 02 03 01 \
                5D 83 02 01 \
                5E 02 81 9C 50 01 \
                5E 03 'a' 0A 'b' 09 '\\n' 00 01 \
                77 80 0E 03 'example.com' 00 01 \
                5E 80 38 01 \
                00 01 65 C3 01 07 01 00 00";
    let common = "<DateTime>20010925T165859Z</DateTime>\
                  <ContentSize>4294967295</ContentSize>\
                  <MessageCount>&lt;Error: invalid binary WV-CSP Integer value (0 bytes of opaque data)&gt;</MessageCount>\
                  <ContentData>[opaque:010203]</ContentData>\
                  <MSISDN>llo</MSISDN>\
                  <Name>\u{4e50}</Name>\
                  <Name>a\nb\t\\n</Name>\
                  <URL>http://example.com</URL>";
    // 1.2: 0x38 unknown, SearchFindings not typed as integer.
    assert_tree(
        &session(&format!(
            "{common}<Name>&lt;Unknown WV-CSP 1.2 Common Value token 0x38&gt;</Name><SearchFindings>[opaque:07]</SearchFindings>"
        )),
        tshark_decode(&doc("11", "08", "1.2", body)),
    );
    // 1.3: 0x38 = RequireInvitation, SearchFindings is an integer.
    assert_tree(
        &session(&format!(
            "{common}<Name>RequireInvitation</Name><SearchFindings>7</SearchFindings>"
        )),
        tshark_decode(&doc("12", "0B", "1.3", body)),
    );
    // Unknown tag (CSP 1.1 has no code page 9 in tshark): named by page and token.
    let got =
        tshark_decode(&doc("10", "05", "1.1", "00 09 65 03 'x' 00 01 00 00")).expect("decode");
    assert_eq!(
        got.children[0].children,
        vec![Tree::leaf("UNKNOWN-TAG(page 0x09, token 0x25)", "x")]
    );
    // Truncated document: tshark just stops; reported as an error.
    let truncated = bytes(STATUS_13_WBXML);
    assert!(tshark_decode(&truncated[..40]).is_err());
}

#[test]
fn tshark_understands_libwbxml_output() {
    if !(require(Tool::Xml2Wbxml) && require(Tool::Tshark)) {
        return;
    }
    // 1.1 (numeric public id) and 1.2 (literal public id, no xmlns: tshark falls back to CSP 1.2
    // through the HTTP media type).
    for xml in [LOGIN_11_XML, STATUS_11_XML, PRESENCE_12_XML] {
        let wbxml = libwbxml_encode(xml.as_bytes()).expect("encode");
        assert_tree(&tree(xml), tshark_decode(&wbxml));
    }
}

// ---------------------------------------------------------------------------------------------
// CSP 1.3 identifiers are strings (docs/conformance.md, "Which elements are integers")

/// A 1.3 message whose MessageID, InviteID and SearchID are all digits.
fn digit_ids_13(body: &str) -> String {
    format!(
        r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>sid</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>35</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">{body}</TransactionContent></Transaction></Session></WV-CSP-Message>"#
    )
}

const DIGIT_ID_BODIES: [(&str, &str); 3] = [
    (
        "MessageID",
        "<ForwardMessage-Response><MessageID>1234567</MessageID></ForwardMessage-Response>",
    ),
    (
        "InviteID",
        "<InviteUser-Response><InviteID>1234567</InviteID><Acceptance>T</Acceptance></InviteUser-Response>",
    ),
    (
        "SearchID",
        "<StopSearch-Request><SearchID>1234567</SearchID></StopSearch-Request>",
    ),
];

#[test]
fn digit_ids_are_strings_in_13_wbxml() {
    use imps_csp::{decode_wbxml, decode_xml, encode_wbxml, Limits};
    for (name, body) in DIGIT_ID_BODIES {
        let xml = digit_ids_13(body);
        let msg = decode_xml(xml.as_bytes(), &Limits::default()).expect("decodes");
        let wbxml = encode_wbxml(&msg).expect("encodes");
        // STR_I "1234567", not OPAQUE 0x12D687.
        assert!(
            wbxml.windows(9).any(|w| w == b"\x031234567\x00"),
            "{name}: {wbxml:02X?}"
        );
        assert_eq!(
            decode_wbxml(&wbxml, &Limits::default()).expect("decodes"),
            msg,
            "{name}"
        );
        if require(Tool::Tshark) {
            assert_tree(&tree(&xml), tshark_decode(&wbxml));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime in every accepted form (docs/conformance.md, "DateTime")

/// Every text form we accept, with the instant it names (2001-09-25 13:40:13 UTC, or 13:40:00
/// for the forms without seconds). Forms without a designator are taken as UTC instants.
const DATETIME_FORMS: [(&str, u8); 16] = [
    ("20010925T134013Z", 13),
    ("20010925T1340Z", 0),
    ("20010925T134013", 13),
    ("20010925T1340", 0),
    ("2001-09-25T13:40:13Z", 13),
    ("2001-09-25T13:40Z", 0),
    ("2001-09-25T13:40:13", 13),
    ("2001-09-25T13:40:13.250Z", 13),
    ("2001-09-25T14:40:13+01:00", 13),
    ("2001-09-25T14:40:13+0100", 13),
    ("2001-09-25T14:40:13+01", 13),
    ("2001-09-25T08:40:13-05:00", 13),
    ("20010925T144013+0100", 13),
    ("20010925T084013-05:00", 13),
    ("20010925T1440+01", 0),
    ("2001-09-26T00:10:13+10:30", 13),
];

/// A SendMessage-Request of `version` whose MessageInfo carries `DateTime` `text`.
fn datetime_doc(version: imps_csp::CspVersion, text: &str) -> String {
    let (ns, trc, poll) = match version {
        imps_csp::CspVersion::V1_1 => (
            "http://www.wireless-village.org/CSP1.1",
            "http://www.wireless-village.org/TRC1.1",
            "",
        ),
        imps_csp::CspVersion::V1_2 => (
            "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
            "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
            "<Poll>F</Poll>",
        ),
        imps_csp::CspVersion::V1_3 => (
            "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
            "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
            "<Poll>F</Poll>",
        ),
    };
    format!(
        r#"<WV-CSP-Message xmlns="{ns}"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>sid</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>9</TransactionID></TransactionDescriptor><TransactionContent xmlns="{trc}"><SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain</ContentType><ContentSize>2</ContentSize><Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient><Sender><User><UserID>wv:alice@example.com</UserID></User></Sender><DateTime>{text}</DateTime></MessageInfo><ContentData>hi</ContentData></SendMessage-Request></TransactionContent></Transaction>{poll}</Session></WV-CSP-Message>"#
    )
}

/// Seconds since 1970 of 2001-09-25T13:40:`second`Z.
fn instant(second: u8) -> i64 {
    imps_csp::codec::DateTime::utc(2001, 9, 25, 13, 40, second).to_unix()
}

/// The instant of the message's DateTime.
fn message_instant(msg: &imps_csp::WvCspMessage) -> Option<i64> {
    match &msg.session.transactions[0].primitive {
        imps_csp::Primitive::SendMessageRequest(r) => r.message_info.date_time.map(|d| d.to_unix()),
        other => panic!("{other:?}"),
    }
}

/// The text of the first element called `name`, depth first.
fn find_text<'t>(t: &'t Tree, name: &str) -> Option<&'t str> {
    if t.name == name {
        return Some(&t.text);
    }
    t.children.iter().find_map(|c| find_text(c, name))
}

#[test]
fn libwbxml_encoded_datetimes_decode_to_the_same_instant() {
    use imps_csp::{decode_wbxml, decode_xml, CspVersion, Limits};
    if !require(Tool::Xml2Wbxml) {
        return;
    }
    for version in [CspVersion::V1_1, CspVersion::V1_2] {
        for (text, second) in DATETIME_FORMS {
            let xml = datetime_doc(version, text);
            let from_xml = decode_xml(xml.as_bytes(), &Limits::default())
                .unwrap_or_else(|e| panic!("{version} {text}: {e}"));
            assert_eq!(
                message_instant(&from_xml),
                Some(instant(second)),
                "{version} {text}"
            );
            let wbxml = libwbxml_encode(xml.as_bytes())
                .unwrap_or_else(|e| panic!("{version} {text}: xml2wbxml: {e}"));
            let msg = decode_wbxml(&wbxml, &Limits::default())
                .unwrap_or_else(|e| panic!("{version} {text}: {e}: {wbxml:02X?}"));
            assert_eq!(
                message_instant(&msg),
                Some(instant(second)),
                "{version} {text} through libwbxml: {wbxml:02X?}"
            );
        }
    }
}

#[test]
fn tshark_reads_our_datetimes_as_the_same_instant() {
    use imps_csp::codec::DateTime;
    use imps_csp::{decode_xml, encode_wbxml, CspVersion, Limits};
    if !require(Tool::Tshark) {
        return;
    }
    for version in CspVersion::ALL {
        for (text, second) in DATETIME_FORMS {
            let xml = datetime_doc(version, text);
            let msg = decode_xml(xml.as_bytes(), &Limits::default())
                .unwrap_or_else(|e| panic!("{version} {text}: {e}"));
            let wbxml = encode_wbxml(&msg).expect("encodes");
            let tree = tshark_decode(&wbxml).unwrap_or_else(|e| panic!("{version} {text}: {e}"));
            let shown = find_text(&tree, "DateTime").unwrap_or_else(|| panic!("{tree:?}"));
            let parsed = DateTime::parse(shown).unwrap_or_else(|| panic!("tshark shows {shown:?}"));
            assert_eq!(
                parsed.to_unix(),
                instant(second),
                "{version} {text}: tshark {shown}"
            );
        }
    }
}
