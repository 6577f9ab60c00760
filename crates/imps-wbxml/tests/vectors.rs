//! The IMPS test vectors of wbxml-tables.md §5: decode, and re-encode byte for byte.
#![allow(clippy::unwrap_used)]

mod common;

use common::{decode, hex, reencode, vector_6};
use imps_wbxml::{read_header, Header, PublicId};

const CSP12: &str = "xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"";

#[test]
fn vector_1_empty_message() {
    let doc = hex("03 11 6A 00 C9 08 03 31 2E 32 00 01 01");
    assert_eq!(
        read_header(&doc).unwrap(),
        (
            Header {
                version: 3,
                public_id: PublicId::Known(0x11),
                charset: 106
            },
            4
        )
    );
    assert_eq!(
        decode(&doc),
        format!("<WV-CSP-Message {CSP12}></WV-CSP-Message>")
    );
    // Android sets the content bit on empty elements; the writer can do the same.
    assert_eq!(reencode(&doc, false), doc);
    // By default an empty element is written without content bit and END.
    assert_eq!(
        reencode(&doc, true),
        hex("03 11 6A 00 89 08 03 31 2E 32 00 01")
    );
    assert_eq!(decode(&reencode(&doc, true)), decode(&doc));
}

#[test]
fn vector_2_csp_1_1_empty_session() {
    let doc = hex("03 10 6A 00 C9 05 03 31 2E 31 00 01 6D 01 01");
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.1\"><Session></Session></WV-CSP-Message>"
    );
    assert_eq!(reencode(&doc, false), doc);
    assert_eq!(
        reencode(&doc, true),
        hex("03 10 6A 00 C9 05 03 31 2E 31 00 01 2D 01")
    );
}

#[test]
fn vector_3_value_token() {
    let doc = hex("03 11 6A 00 C9 08 03 31 2E 32 00 01 6D 6E 70 80 19 01 01 01 01");
    assert_eq!(
        decode(&doc),
        format!(
            "<WV-CSP-Message {CSP12}><Session><SessionDescriptor><SessionType>[T0:0x19]\
             </SessionType></SessionDescriptor></Session></WV-CSP-Message>"
        )
    );
    assert_eq!(reencode(&doc, true), doc);
    assert_eq!(reencode(&doc, false), doc);
}

#[test]
fn vector_4_integers_as_opaque() {
    let doc = hex("03 11 6A 00 49 4B C3 02 01 91 01 4F C3 04 FF FF FF FF 01 5A C3 01 00 01 01");
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message><Code>[O:01 91]</Code><ContentSize>[O:FF FF FF FF]</ContentSize>\
         <MessageCount>[O:00]</MessageCount></WV-CSP-Message>"
    );
    assert_eq!(reencode(&doc, true), doc);
    // libwbxml's zero-length OPAQUE is accepted too.
    let doc = hex("03 11 6A 00 49 5A C3 00 01 01");
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message><MessageCount>[O:]</MessageCount></WV-CSP-Message>"
    );
    assert_eq!(reencode(&doc, true), doc);
}

#[test]
fn vector_5_switch_page() {
    let doc = hex("03 11 6A 00 49 6D 00 01 5E 00 00 4A 03 \"Esmertec112233\" 00 01 01 01 01");
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message><Session><Login-Response><ClientID>Esmertec112233</ClientID>\
         </Login-Response></Session></WV-CSP-Message>"
    );
    assert_eq!(reencode(&doc, true), doc);
}

#[test]
fn vector_6_client_capability() {
    let doc = vector_6();
    assert_eq!(
        decode(&doc),
        format!(
            "<WV-CSP-Message {CSP12}>\
             <Session><SessionDescriptor><SessionType>[T0:0x11]</SessionType>\
             <SessionID>196FE717.00000000.test1</SessionID></SessionDescriptor>\
             <Transaction><TransactionDescriptor><TransactionMode>[T0:0x20]</TransactionMode>\
             <TransactionID>transId2</TransactionID></TransactionDescriptor>\
             <TransactionContent xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\">\
             <ClientCapability-Request><CapabilityList>\
             <ClientType>[T0:0x6f]</ClientType>\
             <ParserSize>[O:7F FF]</ParserSize>\
             <MultiTrans>[O:01]</MultiTrans>\
             <InitialDeliveryMethod>[T0:0x1f]</InitialDeliveryMethod>\
             <ServerPollMin>[O:02]</ServerPollMin>\
             <SupportedBearer>[T0:0x42]</SupportedBearer>\
             <SupportedCIRMethod>[T0:0x44]</SupportedCIRMethod>\
             <SupportedCIRMethod>[T0:0xa5]</SupportedCIRMethod>\
             <SupportedCIRMethod>[T0:0xa4]</SupportedCIRMethod>\
             </CapabilityList></ClientCapability-Request></TransactionContent>\
             </Transaction></Session></WV-CSP-Message>"
        )
    );
    assert_eq!(reencode(&doc, true), doc);
}

#[test]
fn vector_7_status_1_3() {
    let doc = hex(concat!(
        "03 12 6A 00 C9 0B 03 31 2E 33 00 01 6D 6E 70 80 11 01 6F 03 \"sid\" 00 01 01",
        "61 80 0B 01 01",
        "72 73 6A 4B C3 01 C9 01 53 4B C3 02 02 13 01 01 01 01 01 01",
    ));
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/IMPS-CSP1.3\">\
         <Session><SessionDescriptor><SessionType>[T0:0x11]</SessionType>\
         <SessionID>sid</SessionID></SessionDescriptor><Poll>[T0:0xb]</Poll></Session>\
         <Transaction><TransactionContent><Result><Code>[O:C9]</Code>\
         <DetailedResult><Code>[O:02 13]</Code></DetailedResult></Result>\
         </TransactionContent></Transaction></WV-CSP-Message>"
    );
    assert_eq!(reencode(&doc, true), doc);
}
