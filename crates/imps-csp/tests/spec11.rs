//! The constructs of the CSP 1.1 specification's example documents (as libwbxml's test suite
//! carries them, `test/tools/wv/wv-*.xml`, all 49 read), in our own small documents
//! (`tests/corpus/spec11/`): an XML declaration and a DOCTYPE with a system id, comments
//! between elements, blank lines and tabs, text with surrounding line breaks, `Poll` in a 1.1
//! TransactionDescriptor, hexadecimal identifiers (`0x…`, which libwbxml encodes as an integer
//! in `SearchID`), empty presence attributes, lists and primitives (`<GetList-Request />`,
//! `<NickList />`), every DateTime form the examples use, and the 1.1 primitives they show
//! (contact and attribute lists and group creation included). Each document decodes from XML,
//! and from the WBXML libwbxml's `xml2wbxml` makes of it, to the same model.

use std::path::Path;

use imps_csp::codec::{ContentData, DateTime};
use imps_csp::model::{IntText, MessageInfo};
use imps_csp::{decode_wbxml, decode_xml, encode_xml, CspVersion, Limits, Primitive, WvCspMessage};
use imps_testkit::{libwbxml_encode, require, Tool};

fn docs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/spec11");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), std::fs::read(&p).expect("read"))
        })
        .collect();
    out.sort();
    assert!(out.len() >= 20, "only {} documents", out.len());
    out
}

fn doc(name: &str) -> Vec<u8> {
    docs()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn xml(bytes: &[u8], name: &str) -> WvCspMessage {
    decode_xml(bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `msg` as our XML, with hexadecimal SearchIDs written in decimal (libwbxml encodes
/// `0x00BC614E` as the integer 12345678, which decodes as `12345678`) and whitespace around
/// text removed (libwbxml trims text; we keep text as sent, see docs/conformance.md).
fn comparable(msg: &WvCspMessage) -> String {
    let xml = encode_xml(msg).expect("encodes").replace(
        "<SearchID>0x00BC614E</SearchID>",
        "<SearchID>12345678</SearchID>",
    );
    let mut out = String::with_capacity(xml.len());
    for (i, piece) in xml.split('<').enumerate() {
        if i > 0 {
            out.push('<');
        }
        match piece.split_once('>') {
            Some((tag, text)) => {
                out.push_str(tag);
                out.push('>');
                out.push_str(text.trim());
            }
            None => out.push_str(piece.trim()),
        }
    }
    out
}

#[test]
fn every_document_decodes_from_xml() {
    for (name, bytes) in docs() {
        let msg = xml(&bytes, &name);
        assert_eq!(msg.version, CspVersion::V1_1, "{name}");
        let primitive = &msg.session.transactions[0].primitive;
        assert!(
            !matches!(primitive, Primitive::Unknown(_)),
            "{name}: {primitive:?}"
        );
    }
}

#[test]
fn every_document_decodes_from_libwbxml_wbxml_to_the_same_model() {
    if !require(Tool::Xml2Wbxml) {
        return;
    }
    for (name, bytes) in docs() {
        let want = xml(&bytes, &name);
        let wbxml = libwbxml_encode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = decode_wbxml(&wbxml, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}: {wbxml:02X?}"));
        assert_eq!(comparable(&got), comparable(&want), "{name}");
    }
}

fn message_info(msg: &WvCspMessage) -> &MessageInfo {
    match &msg.session.transactions[0].primitive {
        Primitive::MessageNotification(n) => &n.message_info,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_example_datetimes_are_one_instant() {
    let instant = DateTime::utc(2001, 9, 25, 13, 40, 13);
    for (name, want) in [
        ("message-notification-datetime-basic.xml", instant),
        (
            "message-notification-datetime-no-seconds.xml",
            DateTime::utc(2001, 9, 25, 13, 40, 0),
        ),
        ("message-notification-datetime-offset.xml", instant),
        (
            "message-notification-datetime-local.xml",
            DateTime { zone: 0, ..instant },
        ),
    ] {
        let bytes = doc(name);
        let msg = xml(&bytes, name);
        assert_eq!(message_info(&msg).date_time, Some(want), "{name} (XML)");
        assert_eq!(message_info(&msg).message_id.as_deref(), Some("0x0000beef"));
        if require(Tool::Xml2Wbxml) {
            let wbxml = libwbxml_encode(&bytes).expect("encodes");
            let msg = decode_wbxml(&wbxml, &Limits::default()).expect("decodes");
            assert_eq!(message_info(&msg).date_time, Some(want), "{name} (WBXML)");
        }
    }
}

#[test]
fn hexadecimal_search_ids_are_the_integer() {
    let bytes = doc("search-request-hex-id.xml");
    let id = |msg: &WvCspMessage| -> IntText {
        match &msg.session.transactions[0].primitive {
            Primitive::SearchRequest(r) => r.search_id.clone().expect("SearchID"),
            other => panic!("{other:?}"),
        }
    };
    let from_xml = id(&xml(&bytes, "search"));
    assert_eq!(from_xml, "0x00BC614E");
    assert_eq!(from_xml.as_u32(), Some(12_345_678));
    if require(Tool::Xml2Wbxml) {
        let wbxml = libwbxml_encode(&bytes).expect("encodes");
        // libwbxml: SearchID is an integer, OPAQUE 00 BC 61 4E (leading zero byte dropped).
        assert!(
            wbxml
                .windows(5)
                .any(|w| w == [0xC3, 0x03, 0xBC, 0x61, 0x4E]),
            "{wbxml:02X?}"
        );
        let msg = decode_wbxml(&wbxml, &Limits::default()).expect("decodes");
        assert_eq!(id(&msg), "12345678");
        assert_eq!(id(&msg).as_u32(), Some(12_345_678));
    }
}

/// The decoded model of `name`, from XML and (when libwbxml is installed) from its WBXML.
fn both(name: &str) -> Vec<WvCspMessage> {
    let bytes = doc(name);
    let mut out = vec![xml(&bytes, name)];
    if require(Tool::Xml2Wbxml) {
        let wbxml = libwbxml_encode(&bytes).expect("encodes");
        out.push(decode_wbxml(&wbxml, &Limits::default()).expect("decodes"));
    }
    out
}

#[test]
fn group_properties_written_as_value_tokens_keep_every_property() {
    // libwbxml writes most property names and values (Name, Restricted, Searchable, T, ...) as
    // value tokens, `Accesstype` (so spelt in the examples) as a string.
    for msg in both("create-group-request-properties-welcome.xml") {
        let Primitive::CreateGroupRequest(req) = &msg.session.transactions[0].primitive else {
            panic!("{msg:?}")
        };
        let props = &req.group_properties;
        let pairs: Vec<(&str, Option<&str>)> = props
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Name", Some("Chess club")),
                ("Accesstype", Some("Restricted")),
                ("PrivateMessaging", Some("F")),
                ("Searchable", Some("T")),
                ("Topic", Some("Openings")),
                ("MaxActiveUsers", Some("12")),
            ]
        );
        assert_eq!(props.get("AccessType"), Some("Restricted"));
        let note = props.welcome_note.as_ref().expect("WelcomeNote");
        assert_eq!(note.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            note.content_data,
            ContentData::Text("It's your move".into())
        );
        assert_eq!(req.join_group, Some(true));
        assert_eq!(req.subscribe_notification, Some(true));
    }
}

#[test]
fn an_empty_nick_list_is_an_empty_list() {
    for msg in both("list-manage-response-empty-nick-list.xml") {
        let Primitive::ListManageResponse(res) = &msg.session.transactions[0].primitive else {
            panic!("{msg:?}")
        };
        assert_eq!(res.result.code.0, 200);
        assert!(res
            .nick_list
            .as_ref()
            .expect("NickList")
            .nick_name
            .is_empty());
        assert!(res.contact_list_properties.is_none());
    }
}
