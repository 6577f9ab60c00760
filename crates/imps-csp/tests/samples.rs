//! Round trips of every primitive in every version it exists in, fully populated (every
//! optional child present, two of every list): XML -> model -> XML, WBXML -> model -> WBXML,
//! and XML <-> WBXML.

use imps_csp::codec::Sample;
use imps_csp::{
    decode_wbxml, decode_xml, encode_wbxml, encode_xml, CspVersion, Limits, Primitive,
    TransactionMode, WvCspMessage,
};

fn messages() -> Vec<(CspVersion, WvCspMessage)> {
    let mut out = Vec::new();
    for p in Primitive::samples() {
        for v in CspVersion::ALL {
            if !p.exists_in(v) {
                continue;
            }
            let mut msg = WvCspMessage::new(
                v,
                Some("s-8f2c".into()),
                TransactionMode::Request,
                Some("17".into()),
                p.clone(),
            );
            msg.session.transactions[0].ext_block = Vec::sample();
            msg.set_poll(true);
            if v >= CspVersion::V1_2 {
                msg.session.cir = Some(false);
            }
            out.push((v, msg));
        }
    }
    out
}

#[test]
fn every_primitive_is_sampled_in_every_version() {
    let msgs = messages();
    for (name, range) in Primitive::CATALOGUE {
        for v in CspVersion::ALL {
            let found = msgs
                .iter()
                .any(|(mv, m)| *mv == v && m.session.transactions[0].primitive.name() == *name);
            assert_eq!(found, range.contains(v), "{name} in {v}");
        }
    }
    assert!(msgs.len() > 250, "{} samples", msgs.len());
}

fn names(t: &imps_testkit::Tree, out: &mut Vec<String>) {
    out.push(t.name.clone());
    for c in &t.children {
        names(c, out);
    }
}

/// No element leaks into a version that does not have it: everything written has a tag token in
/// the version's table (the only exceptions are elements no table has, sent as LITERAL). An
/// element outside the common core has a token of the version but is written as a LITERAL tag:
/// it still counts as existing, and it is the only kind of token the writer leaves out.
#[test]
fn every_written_element_exists_in_its_version() {
    use imps_csp::codec::wbxml_read::tokens;
    const LITERAL_ONLY: [&str; 2] = ["APIClient", "NotAvailableFunctions"];
    for (v, msg) in messages() {
        let table = tokens(v);
        let decodable: std::collections::BTreeSet<&str> = (0..=0x0B_u8)
            .flat_map(|page| (0x05..=0x3F_u8).filter_map(move |code| table.tag_name(page, code)))
            .collect();
        let xml = encode_xml(&msg).expect("encodes");
        let tree = imps_testkit::Tree::parse_xml(xml.as_bytes()).expect("well-formed");
        let mut all = Vec::new();
        names(&tree, &mut all);
        for name in all {
            let literal_out = table
                .core_exceptions()
                .literal_tags
                .contains(&name.as_str());
            assert!(
                LITERAL_ONLY.contains(&name.as_str())
                    || table.tag_token(&name).is_some()
                    || (literal_out && decodable.contains(name.as_str())),
                "{}: <{name}> does not exist in CSP {v}",
                msg.session.transactions[0].primitive.name()
            );
        }
    }
}

#[test]
fn xml_round_trip_is_stable() {
    let limits = Limits::default();
    for (v, msg) in messages() {
        let xml = encode_xml(&msg).unwrap_or_else(|e| panic!("{v} encode: {e}"));
        let back =
            decode_xml(xml.as_bytes(), &limits).unwrap_or_else(|e| panic!("{v} decode {xml}: {e}"));
        assert_eq!(back.version, v);
        let again = encode_xml(&back).expect("re-encode");
        assert_eq!(again, xml, "XML -> model -> XML changed the document");
        assert_eq!(decode_xml(again.as_bytes(), &limits).expect("decode"), back);
    }
}

#[test]
fn wbxml_round_trip_is_stable() {
    let limits = Limits::default();
    for (v, msg) in messages() {
        let name = msg.session.transactions[0].primitive.name().to_owned();
        let wbxml = encode_wbxml(&msg).unwrap_or_else(|e| panic!("{v} {name} encode: {e}"));
        assert_eq!(wbxml[0], 0x03, "WBXML 1.3");
        assert_eq!(u32::from(wbxml[1]), v.wbxml_public_id());
        let back =
            decode_wbxml(&wbxml, &limits).unwrap_or_else(|e| panic!("{v} {name} decode: {e}"));
        assert_eq!(back.version, v);
        let again = encode_wbxml(&back).expect("re-encode");
        assert_eq!(
            again, wbxml,
            "{v} {name}: WBXML -> model -> WBXML changed the document"
        );
    }
}

#[test]
fn xml_and_wbxml_carry_the_same_document() {
    let limits = Limits::default();
    for (v, msg) in messages() {
        let name = msg.session.transactions[0].primitive.name().to_owned();
        let xml = encode_xml(&msg).expect("xml");
        let wbxml = encode_wbxml(&msg).expect("wbxml");
        let from_xml = decode_xml(xml.as_bytes(), &limits).expect("decode xml");
        let from_wbxml = decode_wbxml(&wbxml, &limits).expect("decode wbxml");
        // Binary content is OPAQUE in WBXML and base64 text in XML: compare the XML renderings.
        assert_eq!(
            encode_xml(&from_wbxml).expect("xml"),
            xml,
            "{v} {name}: WBXML -> XML"
        );
        assert_eq!(
            encode_wbxml(&from_xml).expect("wbxml"),
            wbxml,
            "{v} {name}: XML -> WBXML"
        );
    }
}
