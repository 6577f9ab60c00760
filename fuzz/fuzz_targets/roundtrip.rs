//! Bytes -> `decode` (XML or WBXML, sniffed). Whatever decodes must encode to XML and to WBXML
//! (or be refused with an `EncodeError`, e.g. for characters XML cannot carry), each encoding
//! must decode again, and re-encoding that must reproduce the encoding byte for byte.
//!
//! Encodings are compared rather than models: binary content is OPAQUE in WBXML but base64
//! text in XML, so `decode(encode_xml(m))` legitimately differs from `m`.
//!
//! The memory of the whole round trip (three decodes and four encodings at most, the first
//! message kept throughout) stays within `common::bound` for three decodes.
#![no_main]

mod common;

use imps_csp::{decode, encode, Encoding};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let base = common::start();
    round_trip(data, &limits);
    common::check(base, data.len(), 3, "round trip");
});

fn round_trip(data: &[u8], limits: &imps_csp::Limits) {
    let Ok(msg) = decode(data, limits) else {
        return;
    };
    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        let Ok(first) = encode(&msg, encoding) else {
            continue;
        };
        let again = decode(&first, limits).unwrap_or_else(|e| {
            panic!(
                "{encoding:?} encoding does not decode: {e}\nmessage: {msg:#?}\nencoding: {}",
                show(&first)
            )
        });
        assert_eq!(again.version, msg.version, "{encoding:?}: version changed");
        let second = encode(&again, encoding).unwrap_or_else(|e| {
            panic!(
                "{encoding:?} re-encoding fails: {e}\ndecoded: {again:#?}\nencoding: {}",
                show(&first)
            )
        });
        assert!(
            first == second,
            "{encoding:?} not idempotent\nfirst:  {}\nsecond: {}\nmessage: {msg:#?}\nre-decoded: {again:#?}",
            show(&first),
            show(&second)
        );
    }
}

fn show(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.first().is_none_or(|&b| b > 3) => s.to_owned(),
        _ => format!("{bytes:02x?}"),
    }
}
