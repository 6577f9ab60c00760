//! The budget of decoded bytes, through the CSP decoders: every amplification path of a small
//! document (string-table references in text and in attribute values, the root-namespace
//! sniff of an unknown public id, value tokens, EXT_I, OPAQUE, XML text) ends in the
//! "decoded bytes" limit error, which a server answers with Status 400; and no real document
//! comes near the budget.

use std::path::Path;

use imps_csp::tokens::TOKENS_13;
use imps_csp::{
    decode, decode_wbxml, decode_xml, encode_wbxml, CspVersion, DecodeError, Limits, StatusCode,
};
use imps_wbxml::{write_mb_u32, TokenTable};

/// A CSP 1.3 Poll-like request (a Polling-Request) whose TransactionID is `MARK`.
const POLL: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>MARK</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3"><Polling-Request/></TransactionContent></Transaction></Session></WV-CSP-Message>"#;

/// The WBXML encoding of [`POLL`] with `table` as its string table and the TransactionID's
/// `STR_I "MARK"` replaced by `text` (raw WBXML content tokens).
fn poll_wbxml(table: &[u8], text: &[u8]) -> Vec<u8> {
    let msg = decode_xml(POLL.as_bytes(), &Limits::default()).expect("valid");
    let plain = encode_wbxml(&msg).expect("encodes");
    // Header: version, public id, charset, string table length 0.
    assert_eq!(&plain[..4], &[0x03, 0x12, 0x6A, 0x00]);
    let mark = b"\x03MARK\x00";
    let at = plain
        .windows(mark.len())
        .position(|w| w == mark)
        .expect("the TransactionID is inline");
    let mut out = plain[..3].to_vec();
    write_mb_u32(&mut out, u32::try_from(table.len()).expect("small"));
    out.extend_from_slice(table);
    out.extend_from_slice(&plain[4..at]);
    out.extend_from_slice(text);
    out.extend_from_slice(&plain[at + mark.len()..]);
    out
}

/// A string table holding one string of `len` bytes at index 0.
fn long_string(len: usize) -> Vec<u8> {
    let mut t = vec![b'a'; len];
    t.push(0);
    t
}

fn assert_over_budget<T>(result: Result<T, DecodeError>) {
    match result {
        Err(
            e @ DecodeError::LimitExceeded {
                limit: "decoded bytes",
                ..
            },
        ) => assert_eq!(e.status_code(), StatusCode::BAD_REQUEST),
        Err(e) => panic!("expected the decoded-bytes limit, got {e}"),
        Ok(_) => panic!("expected the decoded-bytes limit, the document decoded"),
    }
}

/// The limits of a server whose `max_body_bytes` is the default 256 KiB.
fn server() -> Limits {
    Limits::for_body(256 << 10)
}

#[test]
fn the_marked_document_decodes() {
    let d = poll_wbxml(&long_string(10), b"\x83\x00");
    let m = decode(&d, &server()).expect("decodes");
    assert_eq!(
        m.session.transactions[0]
            .descriptor
            .transaction_id
            .as_deref(),
        Some("aaaaaaaaaa")
    );
}

#[test]
fn string_table_reference_bomb_in_text_is_refused() {
    // 40 KB: a 1000-byte table string referenced 20 000 times as one TransactionID (20 MB).
    let d = poll_wbxml(&long_string(1000), &[0x83, 0x00].repeat(20_000));
    assert!(d.len() < 42_000);
    assert_over_budget(decode(&d, &server()));
    assert_over_budget(decode(&d, &Limits::default()));
}

#[test]
fn repeated_string_table_references_in_root_attributes_are_refused() {
    // The root's start `C9 05 <value> 01`: 40 more xmlns attributes after the first, each
    // 500 references to a 1000-byte table string (20 MB of attribute values in 40 KB).
    let mut attribute = vec![0x05];
    attribute.extend([0x83, 0x00].repeat(500));
    let bomb = attribute.repeat(40);
    let plain = poll_wbxml(&long_string(1000), b"\x03MARK\x00");
    let end_of_attrs = plain
        .iter()
        .position(|&b| b == 0xC9)
        .and_then(|root| {
            plain[root..]
                .iter()
                .position(|&b| b == 0x01)
                .map(|i| root + i)
        })
        .expect("the root has attributes");
    let mut d = plain[..end_of_attrs].to_vec();
    d.extend_from_slice(&bomb);
    d.extend_from_slice(&plain[end_of_attrs..]);
    // Known public id: the attributes are read but not kept.
    assert_over_budget(decode(&d, &server()));
    // Public id "unknown" (0x01): the version is sniffed from the root's attributes, which
    // are assembled there.
    let mut unknown = d.clone();
    unknown[1] = 0x01;
    assert_over_budget(decode(&unknown, &server()));
    assert_over_budget(decode(&unknown, &Limits::default()));
}

#[test]
fn value_tokens_count() {
    // "application/vnd.wap.mms-message" (33 bytes) as a two-byte EXT_T_0 token.
    let (n, index) = TOKENS_13
        .ext_t_token("application/vnd.wap.mms-message")
        .expect("a 1.3 value token");
    assert_eq!(n, 0);
    let token = [0x80, u8::try_from(index).expect("one byte")];
    let d = poll_wbxml(&[], &token.repeat(1000));
    let tight = Limits {
        max_decoded_bytes: 20_000,
        ..server()
    };
    assert_over_budget(decode(&d, &tight));
    assert!(decode(&d, &server()).is_ok(), "33 000 bytes from 2 KB");
}

#[test]
fn ext_i_and_opaque_count() {
    let mut ext_i = vec![0x40];
    ext_i.extend_from_slice(&[b'x'; 1000]);
    ext_i.push(0);
    let mut opaque = vec![0xC3, 0x87, 0x68];
    opaque.extend_from_slice(&[b'x'; 1000]);
    let tight = Limits {
        max_decoded_bytes: 20_000,
        ..server()
    };
    for content in [ext_i, opaque] {
        let d = poll_wbxml(&[], &content.repeat(50));
        assert_over_budget(decode(&d, &tight));
        assert!(decode(&d, &server()).is_ok());
    }
}

#[test]
fn xml_text_and_references_count() {
    let text = "x".repeat(30_000);
    let refs = "&#x10FFFF;".repeat(6_000);
    let cdata = format!("<![CDATA[{text}]]>");
    let tight = Limits {
        max_decoded_bytes: 20_000,
        ..server()
    };
    for content in [text.as_str(), refs.as_str(), cdata.as_str()] {
        let doc = POLL.replace("MARK", content);
        assert_over_budget(decode(doc.as_bytes(), &tight));
        assert!(decode(doc.as_bytes(), &server()).is_ok());
    }
}

#[test]
fn every_corpus_document_decodes_within_the_budget_of_its_own_size() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n = 0;
    for v in CspVersion::ALL {
        let mut files: Vec<_> = std::fs::read_dir(root.join(v.as_str()))
            .expect("corpus")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        files.sort();
        for f in files {
            let xml = std::fs::read(&f).expect("read");
            // The tightest limits a server could have for this document: its own size.
            let msg = decode_xml(&xml, &Limits::for_body(xml.len()))
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let wbxml = encode_wbxml(&msg).expect("encodes");
            let again = decode_wbxml(&wbxml, &Limits::for_body(wbxml.len()))
                .unwrap_or_else(|e| panic!("{} (WBXML): {e}", f.display()));
            assert_eq!(again.version, msg.version);
            n += 1;
        }
    }
    assert!(n >= 60, "only {n} documents");
}
