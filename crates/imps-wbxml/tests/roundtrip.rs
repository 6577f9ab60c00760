//! Writer -> reader round trips for every token kind, and reader coverage of every token
//! in both tag and attribute state.
#![allow(clippy::unwrap_used)]

mod common;

use std::borrow::Cow;

use common::{decode, dump, events, every_token, hex, Rng, EVERY_TOKEN_DUMP, TABLE};
use imps_wbxml::{read_header, Attribute, Error, Event, Limits, PublicId, Reader, Writer};

fn writer() -> Writer<'static, common::TestTable> {
    Writer::new(&TABLE, 3, PublicId::Known(0x11), 106)
}

#[test]
fn reader_every_token() {
    let doc = every_token();
    assert_eq!(decode(&doc), EVERY_TOKEN_DUMP);
}

#[test]
fn reader_zero_copy() {
    let doc = every_token();
    let evs = events(&doc).unwrap();
    let mut texts = 0;
    for ev in &evs {
        match ev {
            Event::Start { name, .. } => assert!(matches!(name, Cow::Borrowed(_))),
            Event::Text(t) if t.as_ref() == "text" || t.as_ref() == "abc" => {
                assert!(matches!(t, Cow::Borrowed(_)));
                texts += 1;
            }
            _ => {}
        }
    }
    assert_eq!(texts, 2);
    // A single-piece attribute value is borrowed too.
    let doc = hex("03 01 6A 02 \"a\" 00 C9 04 00 03 \"v\" 00 01 01");
    let mut r = Reader::new(&doc[..], &TABLE, Limits::default()).unwrap();
    let Some(Event::Start { attributes, .. }) = r.next().unwrap() else {
        panic!()
    };
    assert!(matches!(attributes[0].value, Cow::Borrowed("v")));
}

#[test]
fn writer_every_token_round_trip() {
    let mut w = writer();
    w.pi("target", "before").unwrap();
    w.start_element(
        "WV-CSP-Message",
        &[
            ("xmlns", "http://www.openmobilealliance.org/DTD/WV-CSP1.2"),
            ("href", "http://www.example.org"),
            ("href", "http://.com"),
            ("unknown-attr", "yes"),
            ("other-attr", "free text"),
            ("id", ""),
            ("id", "yes"),
        ],
    )
    .unwrap();
    w.start_element("Session", &[]).unwrap();
    w.end_element().unwrap();
    w.start_element("Login-Response", &[]).unwrap();
    w.start_element("CapabilityList", &[]).unwrap();
    w.text("on page 1").unwrap();
    w.end_element().unwrap();
    w.end_element().unwrap();
    w.start_element("ClientID", &[]).unwrap();
    w.text("back on 0").unwrap();
    w.text("").unwrap();
    w.end_element().unwrap();
    w.start_element("HighPage", &[]).unwrap();
    w.end_element().unwrap();
    w.start_element("lit", &[]).unwrap();
    w.end_element().unwrap();
    w.start_element("lit", &[("a", "1")]).unwrap();
    w.end_element().unwrap();
    w.start_element("lit", &[("a", "2")]).unwrap();
    w.text("c").unwrap();
    w.end_element().unwrap();
    w.start_element("lit", &[]).unwrap();
    w.text_str_t("shared").unwrap();
    w.text_str_t("shared").unwrap();
    w.entity(0xE9).unwrap();
    w.entity(0x1F600).unwrap();
    w.end_element().unwrap();
    w.start_element("Code", &[]).unwrap();
    w.ext_t(0, 0x19).unwrap();
    w.ext_t(1, 0x80).unwrap();
    w.ext_t(2, u32::MAX).unwrap();
    w.ext_i(0, "zero").unwrap();
    w.ext_i(1, "").unwrap();
    w.ext_i(2, "two").unwrap();
    w.ext(0).unwrap();
    w.ext(1).unwrap();
    w.ext(2).unwrap();
    w.opaque(&[]).unwrap();
    w.opaque(&[0u8; 300]).unwrap();
    w.pi("xmlns", "http://www.wireless-village.org/CSP1.1")
        .unwrap();
    w.end_element().unwrap();
    w.end_element().unwrap();
    w.pi("target", "after").unwrap();
    let doc = w.finish().unwrap();

    let (h, _) = read_header(&doc).unwrap();
    assert_eq!(h.public_id, PublicId::Known(0x11));
    let evs = events(&doc).unwrap();
    let zeros = format!("[O:{}]", vec!["00"; 300].join(" "));
    assert_eq!(
        dump(&evs),
        format!(
            "<?target before?>\
             <WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\" \
             href=\"http://www.example.org\" href=\"http://.com\" unknown-attr=\"yes\" \
             other-attr=\"free text\" id=\"\" id=\"yes\">\
             <Session></Session><Login-Response><CapabilityList>on page 1</CapabilityList>\
             </Login-Response><ClientID>back on 0</ClientID><HighPage></HighPage>\
             <lit></lit><lit a=\"1\"></lit><lit a=\"2\">c</lit>\
             <lit>sharedshared\u{e9}\u{1F600}</lit>\
             <Code>[T0:0x19][T1:0x80][T2:0xffffffff][I0:zero][I1:][I2:two][E0][E1][E2][O:]{zeros}\
             <?xmlns http://www.wireless-village.org/CSP1.1?></Code>\
             </WV-CSP-Message><?target after?>"
        )
    );
    // Same events written again give the same bytes, except STR_T and ENTITY which the
    // reader turns into text.
    let evs: Vec<Event<'_>> = evs;
    let again = common::replay(&evs, 3, PublicId::Known(0x11), 106, true).unwrap();
    assert_eq!(decode(&again), dump(&evs));
}

#[test]
fn writer_token_choices() {
    // Attribute prefix and exact value tokens, page switches, LITERAL attribute.
    let mut w = writer();
    w.start_element(
        "WV-CSP-Message",
        &[
            ("href", "http://www.example.org"),
            ("href", "http://x.com"),
            ("xmlns", "http://www.wireless-village.org/CSP1.1"),
            ("a", "yes"),
            ("a", "no"),
            ("id", ""),
        ],
    )
    .unwrap();
    w.end_element().unwrap();
    assert_eq!(
        w.finish().unwrap(),
        hex(concat!(
            "03 11 6A 02 \"a\" 00 89",
            "00 01 07 86",            // href: "http://www." + "example.org"
            "06 03 \"x.com\" 00",     // href: "http://" + STR_I
            "00 00 05 03 \"1.1\" 00", // xmlns on page 0
            "04 00 85",               // LITERAL a = token "yes" (page 0)
            "04 00 03 \"no\" 00",     // LITERAL a (shared) = STR_I
            "00 01 05",               // id = ""
            "01",
        ))
    );
}

#[test]
fn tag_page_persists_across_end_and_is_independent_of_attr_page() {
    let mut w = writer();
    w.start_element("Session", &[]).unwrap();
    w.start_element("Login-Response", &[]).unwrap();
    w.end_element().unwrap();
    w.start_element("CapabilityList", &[("id", "x")]).unwrap();
    w.end_element().unwrap();
    w.end_element().unwrap();
    let doc = w.finish().unwrap();
    assert_eq!(
        doc,
        hex("03 11 6A 00 6D 00 01 1E 8A 00 01 05 03 \"x\" 00 01 01")
    );
    assert_eq!(
        decode(&doc),
        "<Session><Login-Response></Login-Response><CapabilityList id=\"x\"></CapabilityList></Session>"
    );
    // The attribute page persists too, across attribute lists.
    let doc = hex("03 11 6A 00 C9 00 01 05 01 CB 05 01 01 01");
    assert_eq!(
        decode(&doc),
        "<WV-CSP-Message id=\"\"><Code id=\"\"></Code></WV-CSP-Message>"
    );
}

#[test]
fn literal_public_id_and_string_table() {
    let mut w = Writer::new(
        &TABLE,
        3,
        PublicId::Literal("-//OMA//DTD WV-CSP 1.2//EN".into()),
        106,
    );
    w.start_element("x-unknown", &[]).unwrap();
    w.text_str_t("x-unknown").unwrap();
    w.end_element().unwrap();
    let doc = w.finish().unwrap();
    assert_eq!(
        doc,
        hex("03 00 0A 6A 25 \"x-unknown\" 00 \"-//OMA//DTD WV-CSP 1.2//EN\" 00 44 00 83 00 01")
    );
    let (h, body) = read_header(&doc).unwrap();
    assert_eq!(
        h.public_id,
        PublicId::Literal("-//OMA//DTD WV-CSP 1.2//EN".into())
    );
    assert_eq!(body, 5 + 0x25);
    assert_eq!(decode(&doc), "<x-unknown>x-unknown</x-unknown>");
}

#[test]
fn wbxml_1_0_round_trip() {
    let mut w = Writer::new(&TABLE, 0, PublicId::Known(1), 0);
    w.start_element("x", &[]).unwrap();
    w.text("t").unwrap();
    w.end_element().unwrap();
    let doc = w.finish().unwrap();
    assert_eq!(doc, hex("00 01 02 \"x\" 00 44 00 03 \"t\" 00 01"));
    let r = Reader::new(&doc[..], &TABLE, Limits::default()).unwrap();
    assert_eq!(r.header().version, 0);
    assert_eq!(r.header().charset, 0);
    assert_eq!(decode(&doc), "<x>t</x>");
}

#[test]
fn with_buffer_reuses_and_clears() {
    let buf = Vec::with_capacity(4096);
    let ptr = buf.as_ptr();
    let mut w = Writer::with_buffer(&TABLE, 3, PublicId::Known(0x11), 106, buf);
    w.start_element("Poll", &[]).unwrap();
    w.ext_t(0, 0x0B).unwrap();
    w.end_element().unwrap();
    let mut doc = w.finish().unwrap();
    assert_eq!(doc, hex("03 11 6A 00 61 80 0B 01"));
    assert_eq!(doc.as_ptr(), ptr);
    doc.push(0xEE);
    let w = {
        let mut w = Writer::with_buffer(&TABLE, 3, PublicId::Known(0x12), 106, doc);
        w.start_element("Poll", &[]).unwrap();
        w.end_element().unwrap();
        w
    };
    assert_eq!(w.finish().unwrap(), hex("03 12 6A 00 21"));
}

#[test]
fn pis_around_the_root() {
    let doc = hex("03 01 6A 02 \"p\" 00 43 04 00 01 43 04 00 01 49 01 43 04 00 03 \"d\" 00 01 43 00 01 07 86 01");
    assert_eq!(
        decode(&doc),
        "<?p ?><?p ?><WV-CSP-Message></WV-CSP-Message><?p d?><?href http://www.example.org?>"
    );
}

#[test]
fn attribute_values_from_every_token() {
    let doc = every_token();
    let mut r = Reader::new(&doc[..], &TABLE, Limits::default()).unwrap();
    assert!(matches!(r.next().unwrap(), Some(Event::Pi { .. })));
    let Some(Event::Start { name, attributes }) = r.next().unwrap() else {
        panic!("no root")
    };
    assert_eq!(name, "WV-CSP-Message");
    assert_eq!(
        attributes,
        vec![
            Attribute {
                name: "xmlns".into(),
                value: "http://www.openmobilealliance.org/DTD/WV-CSP1.2".into()
            },
            Attribute {
                name: "href".into(),
                value: "http://.com!abcFext-oneiop".into()
            },
            Attribute {
                name: "x-el".into(),
                value: "example.org".into()
            },
            Attribute {
                name: "id".into(),
                value: "yes".into()
            },
        ]
    );
    assert_eq!(r.depth(), 1);
}

#[test]
fn writer_errors() {
    let mut w = writer();
    assert_eq!(
        w.text("x"),
        Err(Error::Unbalanced {
            context: "text outside an element"
        })
    );
    assert!(matches!(w.end_element(), Err(Error::Unbalanced { .. })));
    assert!(matches!(w.opaque(b"x"), Err(Error::Unbalanced { .. })));
    w.start_element("Session", &[]).unwrap();
    assert_eq!(w.text("a\0b"), Err(Error::NulInString { context: "text" }));
    assert!(matches!(w.ext_t(3, 0), Err(Error::BadExtension { n: 3 })));
    assert!(matches!(w.ext_i(7, ""), Err(Error::BadExtension { n: 7 })));
    assert!(matches!(w.ext(3), Err(Error::BadExtension { n: 3 })));
    assert!(matches!(w.entity(0xD800), Err(Error::InvalidEntity { .. })));
    assert!(matches!(
        w.entity(0x11_0000),
        Err(Error::InvalidEntity { .. })
    ));
    // A failing start_element leaves nothing behind (no page switch, no literal).
    assert_eq!(
        w.start_element("Login-Response", &[("id", "ok"), ("new-attr", "bad\0")]),
        Err(Error::NulInString {
            context: "attribute value"
        })
    );
    assert!(matches!(
        w.start_element("a\0b", &[]),
        Err(Error::NulInString { .. })
    ));
    assert!(matches!(w.pi("p", "\0"), Err(Error::NulInString { .. })));
    assert_eq!(w.depth(), 1);
    w.end_element().unwrap();
    assert!(matches!(
        w.start_element("Session", &[]),
        Err(Error::Unbalanced { .. })
    ));
    assert_eq!(w.finish().unwrap(), hex("03 11 6A 00 2D"));

    let mut w = writer();
    w.start_element("Session", &[]).unwrap();
    assert!(matches!(w.finish(), Err(Error::Unbalanced { .. })));
    assert!(matches!(writer().finish(), Err(Error::Unbalanced { .. })));

    let mut w = Writer::new(&TABLE, 4, PublicId::Known(1), 106);
    w.start_element("Session", &[]).unwrap();
    w.end_element().unwrap();
    assert_eq!(w.finish(), Err(Error::UnsupportedVersion { version: 4 }));
    let mut w = Writer::new(&TABLE, 3, PublicId::Known(1), 4);
    w.start_element("Session", &[]).unwrap();
    w.end_element().unwrap();
    assert_eq!(w.finish(), Err(Error::UnsupportedCharset { charset: 4 }));
    let mut w = Writer::new(&TABLE, 3, PublicId::Literal("a\0".into()), 106);
    w.start_element("Session", &[]).unwrap();
    w.end_element().unwrap();
    assert!(matches!(w.finish(), Err(Error::NulInString { .. })));
}

/// Random documents built with the writer decode to what was written.
#[test]
fn random_writer_documents_round_trip() {
    const NAMES: &[&str] = &[
        "Session",
        "Login-Response",
        "ClientType",
        "HighPage",
        "lit-a",
        "lit-b",
    ];
    const ATTRS: &[(&str, &str)] = &[
        ("id", "1"),
        ("href", "http://www.example.org"),
        ("xmlns", "http://www.openmobilealliance.org/DTD/WV-CSP1.3"),
        ("other", "yes"),
        ("other", ""),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let mut w = writer();
        let mut expect = String::new();
        let mut stack: Vec<&str> = Vec::new();
        let mut open_root = false;
        let mut steps = 0;
        loop {
            steps += 1;
            let choice = rng.below(10);
            if !open_root || (choice < 3 && stack.len() < 20) {
                let name = NAMES[rng.below(NAMES.len())];
                let n_attrs = rng.below(3);
                let attrs: Vec<(&str, &str)> = (0..n_attrs)
                    .map(|_| ATTRS[rng.below(ATTRS.len())])
                    .collect();
                w.start_element(name, &attrs).unwrap();
                expect.push('<');
                expect.push_str(name);
                for (n, v) in &attrs {
                    expect.push_str(&format!(" {n}=\"{v}\""));
                }
                expect.push('>');
                stack.push(name);
                open_root = true;
            } else if choice < 6 || steps > 60 {
                let name = stack.pop().unwrap();
                w.end_element().unwrap();
                expect.push_str(&format!("</{name}>"));
                if stack.is_empty() {
                    break;
                }
            } else if choice == 6 {
                let s = ["", "a", "h\u{e9}llo", "x y"][rng.below(4)];
                w.text(s).unwrap();
                expect.push_str(s);
            } else if choice == 7 {
                let idx = rng.next_u64() as u32 >> rng.below(32);
                w.ext_t(0, idx).unwrap();
                expect.push_str(&format!("[T0:{idx:#x}]"));
            } else if choice == 8 {
                let len = rng.below(200);
                let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                w.opaque(&data).unwrap();
                expect.push_str("[O:");
                expect.push_str(
                    &data
                        .iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                expect.push(']');
            } else {
                w.text_str_t("tbl").unwrap();
                expect.push_str("tbl");
            }
        }
        let doc = w.finish().unwrap();
        assert_eq!(decode(&doc), expect);
    }
}
