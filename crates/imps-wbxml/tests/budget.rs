//! The budget of decoded bytes: a small document cannot make the reader hand out text far
//! larger than itself, whichever token it uses to do so.
#![allow(clippy::unwrap_used)]

mod common;

use common::TABLE;
use imps_wbxml::{write_mb_u32, Error, Event, Limits, Reader, Token, TokenTable};

/// A WBXML 1.3 UTF-8 document of public id "unknown" with string table `strtbl` and `body`.
fn doc(strtbl: &[u8], body: &[u8]) -> Vec<u8> {
    let mut d = vec![0x03, 0x01, 0x6A];
    write_mb_u32(&mut d, u32::try_from(strtbl.len()).unwrap());
    d.extend_from_slice(strtbl);
    d.extend_from_slice(body);
    d
}

/// A string table holding one string of `len` bytes at index 0.
fn long_string(len: usize) -> Vec<u8> {
    let mut t = vec![b'a'; len];
    t.push(0);
    t
}

/// Reads `input` to the end or the first error; returns the bytes of text, attribute values
/// and names handed out on the way, and the outcome.
fn read(input: &[u8], limits: Limits, keep_attributes: bool) -> (usize, Result<(), Error>) {
    let mut r = match Reader::new(input, &TABLE, limits) {
        Ok(r) => r,
        Err(e) => return (0, Err(e)),
    };
    r.set_keep_attributes(keep_attributes);
    let mut seen = 0usize;
    loop {
        match r.next() {
            Ok(None) => return (seen, Ok(())),
            Ok(Some(Event::Start { name, attributes })) => {
                // Names from the table are not decoded text; LITERAL names are.
                if TABLE.tag_token(&name).is_none() {
                    seen += name.len();
                }
                seen += attributes
                    .iter()
                    .map(|a| a.value.len() + a.name.len())
                    .sum::<usize>();
            }
            Ok(Some(Event::Text(t))) => seen += t.len(),
            Ok(Some(Event::ExtI { value, .. })) => seen += value.len(),
            Ok(Some(Event::Opaque(b))) => seen += b.len(),
            Ok(Some(_)) => {}
            Err(e) => {
                // Sticky.
                assert_eq!(r.next(), Err(e.clone()));
                return (seen, Err(e));
            }
        }
    }
}

fn assert_over_budget(result: Result<(), Error>, budget: usize) {
    match result {
        Err(Error::LimitExceeded {
            limit: "decoded bytes",
            max,
            ..
        }) => assert_eq!(max, budget),
        other => panic!("expected the decoded-bytes limit, got {other:?}"),
    }
}

#[test]
fn string_table_reference_bomb_is_refused_within_the_budget() {
    // One 1000-byte table string referenced 20 000 times: 40 KB of input, 20 MB of text.
    let mut body = vec![0x49];
    for _ in 0..20_000 {
        body.extend_from_slice(&[0x83, 0x00]);
    }
    body.push(0x01);
    let d = doc(&long_string(1000), &body);
    let limits = Limits::default();
    let budget = limits.decoded_budget(d.len());
    assert_eq!(budget, 16 * d.len());
    let (seen, result) = read(&d, limits, true);
    assert_over_budget(result, budget);
    assert!(seen <= budget, "{seen} bytes handed out, budget {budget}");
}

#[test]
fn repeated_string_table_references_in_attribute_values_are_refused() {
    // 40 attributes, each 500 references to a 1000-byte string (500 KB, under the 1 MiB
    // string limit): 40 KB of input, 20 MB of attribute values.
    let mut attribute = vec![0x05];
    attribute.extend([0x83, 0x00].repeat(500));
    let mut body = vec![0xC9];
    body.extend(attribute.repeat(40));
    body.extend_from_slice(&[0x01, 0x01]);
    let d = doc(&long_string(1000), &body);
    let limits = Limits::default();
    let budget = limits.decoded_budget(d.len());
    for keep in [true, false] {
        let (seen, result) = read(&d, limits, keep);
        assert_over_budget(result, budget);
        assert!(seen <= budget);
    }
}

#[test]
fn literal_name_bomb_is_refused() {
    // 20 000 empty elements named by LITERAL after a 1000-byte table string.
    let mut body = vec![0x49];
    for _ in 0..20_000 {
        body.extend_from_slice(&[0x04, 0x00]);
    }
    body.push(0x01);
    let d = doc(&long_string(1000), &body);
    let limits = Limits::default();
    let (seen, result) = read(&d, limits, true);
    assert_over_budget(result, limits.decoded_budget(d.len()));
    assert!(seen <= limits.decoded_budget(d.len()));
}

/// The body of a root element holding `content` `times` times.
fn repeated(content: &[u8], times: usize) -> Vec<u8> {
    let mut body = vec![0x49];
    for _ in 0..times {
        body.extend_from_slice(content);
    }
    body.push(0x01);
    body
}

#[test]
fn every_string_token_counts_against_the_cap() {
    let mut ext_i = vec![0x40];
    ext_i.extend_from_slice(&[b'x'; 100]);
    ext_i.push(0);
    let mut str_i = vec![0x03];
    str_i.extend_from_slice(&[b'x'; 100]);
    str_i.push(0);
    let mut opaque = vec![0xC3, 100];
    opaque.extend_from_slice(&[b'x'; 100]);
    // U+10FFFF: four bytes of text each.
    let entity = [0x02, 0xC3, 0xFF, 0x7F];
    let cases: [(&str, Vec<u8>, usize); 4] = [
        ("EXT_I", ext_i, 100),
        ("STR_I", str_i, 100),
        ("OPAQUE", opaque, 100),
        ("ENTITY", entity.to_vec(), 4),
    ];
    for (what, content, each) in cases {
        let d = doc(&[], &repeated(&content, 50));
        // Exactly enough: fine.
        let enough = Limits {
            max_decoded_bytes: 50 * each,
            ..Limits::default()
        };
        let (seen, result) = read(&d, enough, true);
        assert_eq!(result, Ok(()), "{what}");
        assert_eq!(seen, 50 * each, "{what}");
        // One byte less: refused.
        let short = Limits {
            max_decoded_bytes: 50 * each - 1,
            ..Limits::default()
        };
        let (seen, result) = read(&d, short, true);
        assert_over_budget(result, 50 * each - 1);
        assert_eq!(seen, 49 * each, "{what}");
    }
}

#[test]
fn attribute_prefixes_and_value_tokens_count() {
    // xmlns="http://www.wireless-village.org/CSP" (35-byte prefix) + "yes" (value token).
    let body = [0xC9, 0x05, 0x85, 0x01, 0x01];
    let d = doc(&[], &body);
    let value = "http://www.wireless-village.org/CSPyes".len();
    let enough = Limits {
        max_decoded_bytes: value,
        ..Limits::default()
    };
    assert_eq!(read(&d, enough, true).1, Ok(()));
    let short = Limits {
        max_decoded_bytes: value - 1,
        ..Limits::default()
    };
    assert_over_budget(read(&d, short, true).1, value - 1);
    assert_over_budget(read(&d, short, false).1, value - 1);
}

#[test]
fn a_consumer_charges_what_it_expands() {
    // EXT_T_0 0x6F ("MOBILE_PHONE") 10 000 times in content: the reader hands the token on
    // unresolved and the consumer counts the text it makes of it.
    let d = doc(&[], &repeated(&[0x80, 0x6F], 10_000));
    let limits = Limits {
        max_decoded_bytes: 50_000,
        ..Limits::default()
    };
    let budget = limits.decoded_budget(d.len());
    let mut r = Reader::new(&d, &TABLE, limits).unwrap();
    let mut made = 0usize;
    let err = loop {
        match r.next_token() {
            Ok(Some(Token::ExtT { n, index })) => {
                let s = TABLE.ext_t(n, index).unwrap();
                if let Err(e) = r.charge_decoded(s.len()) {
                    break e;
                }
                made += s.len();
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the expansion went through: {made} bytes"),
            Err(e) => break e,
        }
    };
    assert_over_budget(Err(err.clone()), budget);
    assert!(made <= budget);
    assert_eq!(r.decoded_bytes(), made + "MOBILE_PHONE".len());
    // The error is the reader's from now on.
    assert_eq!(r.next_token(), Err(err));
}
