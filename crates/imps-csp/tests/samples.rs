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

/// Android's table plus the version's `named-only` tags (the service-tree codes the server
/// sends only to a client that named them, which Android never does).
struct AndroidPlusNamedOnly(CspVersion);

impl imps_wbxml::TokenTable for AndroidPlusNamedOnly {
    fn tag_name(&self, page: u8, code: u8) -> Option<&'static str> {
        let ours = imps_csp::codec::wbxml_read::tokens(self.0);
        android_table().tag_name(page, code).or_else(|| {
            ours.tag_name(page, code)
                .filter(|n| ours.core_exceptions().named_only_tags.contains(n))
        })
    }
    fn tag_token(&self, name: &str) -> Option<(u8, u8)> {
        android_table().tag_token(name)
    }
    fn attr_start(&self, page: u8, code: u8) -> Option<(&'static str, &'static str)> {
        android_table().attr_start(page, code)
    }
    fn ext_t(&self, n: u8, index: u32) -> Option<&'static str> {
        android_table().ext_t(n, index)
    }
}

use imps_testkit::android::{android_table, decode_like_android, decode_strict};

/// Android's engine parses every version with its one table (CSP 1.3 plus 13 kept 1.2 tags)
/// and stops at the first token it lacks. Every primitive we write, in every version, reads
/// there without an unknown tag or value token (the `named-only` service codes aside, which
/// the server sends only to clients that named them) and gives the element tree our own
/// decoder gives. Android spells two renamed elements the 1.3 way: page 3 0x14 is
/// `CIRHTTPAddress` (our 1.2 `CIRURL`) and page 6 0x06 `BlockEntity-Request` (our 1.1
/// `BlockUser-Request`); its engine looks for those names.
#[test]
fn android_reads_every_primitive_in_every_version() {
    fn android_spelling(t: &mut imps_testkit::Tree, v: CspVersion) {
        match t.name.as_str() {
            "CIRHTTPAddress" if v == CspVersion::V1_2 => t.name = "CIRURL".into(),
            "BlockEntity-Request" if v == CspVersion::V1_1 => t.name = "BlockUser-Request".into(),
            _ => {}
        }
        for c in &mut t.children {
            android_spelling(c, v);
        }
    }
    let limits = Limits::default();
    for (v, msg) in messages() {
        let name = msg.session.transactions[0].primitive.name().to_owned();
        let wbxml = encode_wbxml(&msg).expect("encodes");
        let mut android = match decode_like_android(&wbxml) {
            Ok(tree) => tree,
            Err(imps_testkit::android::AndroidDecodeError::UnknownTag { page, code }) => {
                let ours = imps_csp::codec::wbxml_read::tokens(v);
                let tag = ours.tag_name(page, code).unwrap_or("?");
                assert!(
                    ours.core_exceptions().named_only_tags.contains(&tag),
                    "{v} {name}: Android stops at page {page:#04X} code {code:#04X} ({tag})"
                );
                decode_strict(&wbxml, &AndroidPlusNamedOnly(v))
                    .unwrap_or_else(|e| panic!("{v} {name}: Android cannot read it: {e}"))
            }
            Err(e) => panic!("{v} {name}: Android cannot read it: {e}"),
        };
        android_spelling(&mut android, v);
        let back = decode_wbxml(&wbxml, &limits).expect("we read it");
        let xml = encode_xml(&back).expect("xml");
        let ours = imps_testkit::Tree::parse_xml(xml.as_bytes()).expect("tree");
        if let Some(d) = ours.diff(&android) {
            panic!("{v} {name}: Android reads another tree: {d}");
        }
    }
}

/// The elements and values outside the common core really travel as LITERAL tags and inline
/// strings in 1.1/1.2, and are read back by our decoder.
#[test]
fn outside_the_core_goes_literal_or_inline() {
    let limits = Limits::default();
    let samples: Vec<_> = messages()
        .into_iter()
        .filter(|(v, m)| {
            *v == CspVersion::V1_2
                && m.session.transactions[0].primitive.name() == "GetReactiveAuthStatus-Response"
        })
        .collect();
    assert_eq!(samples.len(), 1);
    let (_, msg) = &samples[0];
    let wbxml = encode_wbxml(msg).expect("encodes");
    let has = |needle: &[u8]| wbxml.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"ReactiveAuthStatus\0"), "string table entry");
    assert!(
        !has(&[0x00, 0x09, 0x4C]) && !has(&[0x00, 0x09, 0x0C]),
        "no page 9 0x0C token"
    );
    let back = decode_wbxml(&wbxml, &limits).expect("decodes");
    let from_xml = decode_xml(encode_xml(msg).expect("xml").as_bytes(), &limits).expect("xml");
    assert_eq!(back, from_xml);

    // Values: inline strings in 1.1/1.2, tokens where Android has them (and in 1.3).
    use imps_csp::codec::{wbxml_write::WbxmlSink, Sink};
    let write = |v: CspVersion, element: &'static str, text: &str| {
        let mut sink = WbxmlSink::new(v, Vec::new());
        sink.start(element).expect("start");
        sink.text(text).expect("text");
        sink.end().expect("end");
        sink.finish().expect("finish")
    };
    for v in [CspVersion::V1_1, CspVersion::V1_2] {
        for value in [
            "AUDIO_CALL",
            "IM_OFFLINE",
            "IM_ONLINE",
            "VIDEO_CALL",
            "VIDEO_STREAM",
        ] {
            let mut want = vec![
                0x03,
                v.wbxml_public_id() as u8,
                0x6A,
                0x00,
                0x00,
                0x05,
                0x6F,
            ];
            want.push(0x03);
            want.extend_from_slice(value.as_bytes());
            want.extend_from_slice(&[0x00, 0x01]);
            assert_eq!(write(v, "Cap", value), want, "{v} {value}");
        }
        // Capability (page 1 0x09 in 1.1/1.2) is a LITERAL tag.
        let bytes = write(v, "Capability", "x");
        assert_eq!(
            &bytes[..5],
            &[0x03, v.wbxml_public_id() as u8, 0x6A, 0x0B, b'C']
        );
        assert_eq!(bytes[15], 0x44, "{v}: LITERAL with content");
    }
    assert_eq!(
        write(CspVersion::V1_2, "Cap", "SMS"),
        [0x03, 0x11, 0x6A, 0x00, 0x00, 0x05, 0x6F, 0x80, 0x43, 0x01]
    );
}
