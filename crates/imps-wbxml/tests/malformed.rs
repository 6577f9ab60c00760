//! Hostile and broken input: always an error with an offset, never a panic.
#![allow(clippy::unwrap_used)]

mod common;

use common::{events, events_with, hex, samples, TABLE};
use imps_wbxml::{Error, Event, Limits, Reader};

fn err(doc: &[u8]) -> Error {
    match events(doc) {
        Ok(evs) => panic!("expected an error, got {evs:?}"),
        Err(e) => e,
    }
}

fn err_with(doc: &[u8], limits: Limits) -> Error {
    match events_with(doc, limits) {
        Ok(evs) => panic!("expected an error, got {evs:?}"),
        Err(e) => e,
    }
}

#[test]
fn truncated_at_every_offset() {
    for doc in samples() {
        events(&doc).unwrap();
        for n in 0..doc.len() {
            let e = err(&doc[..n]);
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn depth_bomb() {
    let mut doc = hex("03 01 6A 00");
    doc.extend(std::iter::repeat_n(0x6D, 100_000));
    assert_eq!(
        err(&doc),
        Error::LimitExceeded {
            limit: "depth",
            max: 64,
            offset: 4 + 64
        }
    );
    // Exactly the maximum depth is fine.
    let mut doc = hex("03 01 6A 00");
    doc.extend(std::iter::repeat_n(0x6D, 63));
    doc.push(0x2D);
    doc.extend(std::iter::repeat_n(0x01, 63));
    assert_eq!(events(&doc).unwrap().len(), 128);
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let doc = hex("03 01 6A 00 6D 6D 6D 2D 01 01 01");
    let e = err_with(&doc, limits);
    assert_eq!(
        e,
        Error::LimitExceeded {
            limit: "depth",
            max: 3,
            offset: 7
        }
    );
    assert_eq!(
        e.to_string(),
        "WBXML depth limit exceeded at byte 7 (maximum 3)"
    );
}

#[test]
fn element_count_bomb() {
    let mut doc = hex("03 01 6A 00 6D");
    doc.extend(std::iter::repeat_n(0x2D, 60_000));
    doc.push(0x01);
    assert_eq!(
        err(&doc),
        Error::LimitExceeded {
            limit: "elements",
            max: 50_000,
            offset: 5 + 49_999
        }
    );
    let limits = Limits {
        max_elements: 60_001,
        ..Limits::default()
    };
    assert_eq!(events_with(&doc, limits).unwrap().len(), 120_002);
}

#[test]
fn attribute_count_bomb() {
    // One element with a huge number of empty attributes.
    let mut doc = hex("03 01 6A 00 C9 00 01");
    doc.extend(std::iter::repeat_n(0x05, 100_000));
    doc.extend([0x01, 0x01]);
    assert!(matches!(
        err(&doc),
        Error::LimitExceeded {
            limit: "attributes",
            max: 50_000,
            ..
        }
    ));
}

#[test]
fn huge_declared_lengths() {
    // OPAQUE of u32::MAX bytes.
    let doc = hex("03 01 6A 00 6D C3 8F FF FF FF 7F 01");
    assert_eq!(
        err(&doc),
        Error::LimitExceeded {
            limit: "opaque length",
            max: 4 << 20,
            offset: 6
        }
    );
    // Within the limit but beyond the input.
    let doc = hex("03 01 6A 00 6D C3 81 00 01 02 01");
    assert!(matches!(err(&doc), Error::Truncated { offset: 11, .. }));
    // String table of u32::MAX bytes.
    let doc = hex("03 01 6A 8F FF FF FF 7F 2D");
    assert_eq!(
        err(&doc),
        Error::LimitExceeded {
            limit: "string table",
            max: 1 << 20,
            offset: 3
        }
    );
    let doc = hex("03 01 6A 81 00 \"abc\" 00");
    assert!(matches!(err(&doc), Error::Truncated { .. }));
    // STR_I longer than the limit (no NUL within max_string_len + 1 bytes).
    let limits = Limits {
        max_string_len: 10,
        ..Limits::default()
    };
    let doc = hex("03 01 6A 00 6D 03 \"0123456789A\" 00 01");
    assert_eq!(
        err_with(&doc, limits),
        Error::LimitExceeded {
            limit: "string length",
            max: 10,
            offset: 6
        }
    );
    let doc = hex("03 01 6A 00 6D 03 \"0123456789\" 00 01");
    events_with(&doc, limits).unwrap();
    // Attribute value growing past the limit piece by piece.
    let doc = hex("03 01 6A 00 C9 00 01 05 03 \"012345\" 00 03 \"6789A\" 00 01 01");
    assert!(matches!(
        err_with(&doc, limits),
        Error::LimitExceeded {
            limit: "string length",
            ..
        }
    ));
    // STR_T and literal names obey the string limit too.
    let doc = hex("03 01 6A 0C \"0123456789A\" 00 6D 83 00 01");
    assert!(matches!(
        err_with(&doc, limits),
        Error::LimitExceeded {
            limit: "string length",
            ..
        }
    ));
    let doc = hex("03 01 6A 0C \"0123456789A\" 00 04 00");
    assert!(matches!(
        err_with(&doc, limits),
        Error::LimitExceeded {
            limit: "string length",
            ..
        }
    ));
}

#[test]
fn total_size_checked_first() {
    let limits = Limits {
        max_total_size: 8,
        ..Limits::default()
    };
    let doc = hex("FF FF FF FF FF FF FF FF FF");
    let e = Reader::new(&doc[..], &TABLE, limits).err().unwrap();
    assert_eq!(
        e,
        Error::LimitExceeded {
            limit: "total size",
            max: 8,
            offset: 8
        }
    );
    Reader::new(&hex("03 01 6A 00 2D")[..], &TABLE, limits).unwrap();
}

#[test]
fn overlong_multi_byte_integers() {
    for doc in [
        "03 80 80 80 80 80 01 6A 00 2D",
        "03 01 80 80 80 80 80 6A 00 2D",
        "03 01 6A 80 80 80 80 80 00 2D",
        "03 01 6A 00 6D C3 80 80 80 80 80 00 01",
        "03 01 6A 00 6D 80 80 80 80 80 80 01 01",
        "03 01 6A 00 6D 83 FF FF FF FF FF FF 01 01",
        "03 01 6A 00 6D 02 80 80 80 80 80 20 01",
        "03 01 6A 00 04 90 80 80 80 00",
    ] {
        let doc = hex(doc);
        assert!(
            matches!(err(&doc), Error::IntegerOverflow { .. }),
            "{doc:02X?}"
        );
    }
}

#[test]
fn unknown_tokens() {
    assert_eq!(
        err(&hex("03 01 6A 00 6D 3E 01")),
        Error::UnknownTag {
            page: 0,
            code: 0x3E,
            offset: 5
        }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 00 02 45")),
        Error::UnknownTag {
            page: 2,
            code: 0x05,
            offset: 6
        }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 C9 06 01 01")),
        Error::UnknownAttribute {
            page: 0,
            code: 0x06,
            offset: 5
        }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 C9 05 86 01 01")),
        Error::UnknownAttribute {
            page: 0,
            code: 0x86,
            offset: 6
        }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 C9 05 80 7F 01 01")),
        Error::UnknownExtension {
            n: 0,
            index: 0x7F,
            offset: 6
        }
    );
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        err(&hex("03 01 6A 00 6D 03 61 FF 00 01")),
        Error::InvalidUtf8 { offset: 7 }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 6D 41 C3 28 00 01")),
        Error::InvalidUtf8 { offset: 6 }
    );
    // In the string table (STR_T and LITERAL): offset inside the table.
    assert_eq!(
        err(&hex("03 01 6A 03 62 FE 00 6D 83 00 01")),
        Error::InvalidUtf8 { offset: 5 }
    );
    assert_eq!(
        err(&hex("03 01 6A 03 62 FE 00 04 00")),
        Error::InvalidUtf8 { offset: 5 }
    );
    // Attribute value from OPAQUE.
    assert!(matches!(
        err(&hex("03 01 6A 00 C9 05 C3 01 FF 01 01")),
        Error::InvalidUtf8 { offset: 8 }
    ));
    // Surrogate encoded in UTF-8.
    assert!(matches!(
        err(&hex("03 01 6A 00 6D 03 ED A0 80 00 01")),
        Error::InvalidUtf8 { .. }
    ));
}

#[test]
fn bad_string_table_references() {
    // Index past the table.
    assert_eq!(
        err(&hex("03 01 6A 02 61 00 6D 83 02 01")),
        Error::BadStringTableIndex {
            index: 2,
            offset: 8
        }
    );
    assert!(matches!(
        err(&hex("03 01 6A 02 61 00 6D 83 8F FF FF FF 7F 01")),
        Error::BadStringTableIndex { .. }
    ));
    // Not NUL-terminated inside the table (the body's bytes do not count).
    assert_eq!(
        err(&hex("03 01 6A 02 61 62 6D 83 00 01")),
        Error::BadStringTableIndex {
            index: 0,
            offset: 8
        }
    );
    // Literal element and attribute names.
    assert!(matches!(
        err(&hex("03 01 6A 00 04 00")),
        Error::BadStringTableIndex { index: 0, .. }
    ));
    assert!(matches!(
        err(&hex("03 01 6A 00 C9 04 05 01 01")),
        Error::BadStringTableIndex { index: 5, .. }
    ));
    // An index into the middle of a string is allowed (suffix sharing).
    assert_eq!(
        common::decode(&hex("03 01 6A 04 61 62 63 00 6D 83 01 01")),
        "<Session>bc</Session>"
    );
}

#[test]
fn trailing_data() {
    assert_eq!(
        err(&hex("03 01 6A 00 2D 00")),
        Error::TrailingData { offset: 5 }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 6D 01 2D")),
        Error::TrailingData { offset: 6 }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 6D 01 01")),
        Error::TrailingData { offset: 6 }
    );
    assert_eq!(
        err(&hex("03 01 6A 00 2D 43 05 01 03")),
        Error::TrailingData { offset: 8 }
    );
}

#[test]
fn unexpected_tokens() {
    for (doc, token, offset) in [
        ("03 01 6A 00", None, 4),
        ("03 01 6A 00 01", Some(0x01), 4),
        ("03 01 6A 00 03 61 00", Some(0x03), 4),
        ("03 01 6A 00 83 00", Some(0x83), 4),
        ("03 01 6A 00 C3 00", Some(0xC3), 4),
        ("03 01 6A 00 80 00", Some(0x80), 4),
        // PI without target
        ("03 01 6A 00 43 01 2D", Some(0x43), 4),
        // PI with two attributes
        ("03 01 6A 00 43 05 05 01 2D", Some(0x05), 6),
        // value before any attribute name
        ("03 01 6A 00 C9 03 61 00 01 01", Some(0x03), 5),
        // EXT_n, PI, LITERAL_C/A/AC in an attribute list
        ("03 01 6A 00 C9 05 C0 01 01", Some(0xC0), 6),
        ("03 01 6A 00 C9 05 43 01 01", Some(0x43), 6),
        ("03 01 6A 00 C9 44 00 01 01", Some(0x44), 5),
        ("03 01 6A 00 C9 84 00 01 01", Some(0x84), 5),
        ("03 01 6A 00 C9 C4 00 01 01", Some(0xC4), 5),
    ] {
        let e = err(&hex(doc));
        match (token, &e) {
            (None, Error::Truncated { offset: o, .. }) => assert_eq!(*o, offset, "{doc}"),
            (
                Some(t),
                Error::UnexpectedToken {
                    token, offset: o, ..
                },
            ) => assert_eq!((*token, *o), (t, offset), "{doc}"),
            _ => panic!("{doc}: {e:?}"),
        }
    }
}

#[test]
fn invalid_entities() {
    assert_eq!(
        err(&hex("03 01 6A 00 6D 02 83 B0 00 01")),
        Error::InvalidEntity {
            code_point: 0xD800,
            offset: 5
        }
    );
    assert!(matches!(
        err(&hex("03 01 6A 00 6D 02 C4 80 00 01")),
        Error::InvalidEntity {
            code_point: 0x11_0000,
            ..
        }
    ));
}

#[test]
fn header_errors() {
    assert_eq!(
        Reader::new(&hex("03 01 04 00 2D")[..], &TABLE, Limits::default()).err(),
        Some(Error::UnsupportedCharset { charset: 4 })
    );
    assert_eq!(
        Reader::new(&hex("04 01 6A 00 2D")[..], &TABLE, Limits::default()).err(),
        Some(Error::UnsupportedVersion { version: 4 })
    );
    for charset in ["00", "03", "6A"] {
        let doc = hex(&format!("03 01 {charset} 00 2D"));
        assert_eq!(events(&doc).unwrap().len(), 2);
    }
}

/// A reader told to report unknown tags returns them as `UnknownStart` (content and `End`
/// as usual) instead of failing, and still counts them against every limit.
#[test]
fn unknown_tags_reported_on_request() {
    // Root 0x2D with content; unknown 0x3E with content "x"; known 0x2D empty.
    let doc = hex("03 01 6A 00 6D 7E 03 78 00 01 2D 01");
    assert!(matches!(err(&doc), Error::UnknownTag { code: 0x3E, .. }));
    let read = |limits: Limits| -> Result<Vec<Event<'_>>, Error> {
        let mut r = Reader::new(&doc[..], &TABLE, limits)?;
        r.set_report_unknown_tags(true);
        let mut out = Vec::new();
        while let Some(ev) = r.next()? {
            out.push(ev);
        }
        Ok(out)
    };
    let evs = read(Limits::default()).unwrap();
    assert_eq!(evs.len(), 7, "{evs:?}");
    assert_eq!(
        evs[1],
        Event::UnknownStart {
            page: 0,
            code: 0x3E,
            attributes: Vec::new()
        }
    );
    assert_eq!(evs[2], Event::Text("x".into()));
    assert_eq!(evs[3], Event::End);
    // The unknown element is the second of three: a limit of two elements stops at the third,
    // a depth limit of one at the unknown element itself.
    let two = Limits {
        max_elements: 2,
        ..Limits::default()
    };
    assert!(matches!(
        read(two),
        Err(Error::LimitExceeded {
            limit: "elements",
            offset: 10,
            ..
        })
    ));
    let flat = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    assert!(matches!(
        read(flat),
        Err(Error::LimitExceeded {
            limit: "depth",
            offset: 5,
            ..
        })
    ));
}

#[test]
fn errors_are_sticky() {
    let doc = hex("03 01 6A 00 6D 3E 01");
    let mut r = Reader::new(&doc[..], &TABLE, Limits::default()).unwrap();
    assert!(matches!(r.next(), Ok(Some(Event::Start { .. }))));
    let e = r.next().unwrap_err();
    assert_eq!(r.next().unwrap_err(), e);
    assert_eq!(r.next().unwrap_err(), e);
}

#[test]
fn end_of_document_is_repeatable() {
    let doc = hex("03 01 6A 00 2D");
    let mut r = Reader::new(&doc[..], &TABLE, Limits::default()).unwrap();
    assert!(matches!(r.next(), Ok(Some(Event::Start { .. }))));
    assert_eq!(r.depth(), 1);
    assert_eq!(r.next(), Ok(Some(Event::End)));
    assert_eq!(r.depth(), 0);
    assert_eq!(r.next(), Ok(None));
    assert_eq!(r.next(), Ok(None));
}

#[test]
fn error_messages_name_the_problem_and_offset() {
    let e = err(&hex("03 01 6A 00 6D 3E 01"));
    assert_eq!(
        e.to_string(),
        "unknown WBXML tag token 0x3e on tag code page 0 at byte 5"
    );
    let e = err(&hex("03 01 6A 00 6D 03 61"));
    assert_eq!(
        e.to_string(),
        "WBXML input truncated at byte 7: expected STR_I string"
    );
    let e = err(&hex("03 01 6A 00 2D 00"));
    assert_eq!(
        e.to_string(),
        "trailing data after the WBXML root element at byte 5"
    );
}
