//! Helpers shared by the model's unit tests.

use crate::{Limits, Primitive, WvCspMessage};

/// The limits the unit tests decode with.
pub fn limits() -> Limits {
    Limits::default()
}

/// Decodes an XML document that must be valid.
pub fn decode(xml: &str) -> WvCspMessage {
    crate::decode_xml(xml.as_bytes(), &limits()).expect("decodes")
}

/// The first transaction's primitive.
pub fn primitive(msg: &WvCspMessage) -> &Primitive {
    &msg.session.transactions[0].primitive
}

/// Asserts that every needle occurs in `hay`, in the given order.
pub fn assert_order(hay: &str, needles: &[&str]) {
    let mut at = 0;
    for n in needles {
        let pos = hay[at..]
            .find(n)
            .unwrap_or_else(|| panic!("{n} missing or out of order in {hay}"));
        at += pos + n.len();
    }
}

/// Asserts that elements `names` are opened in `xml` in the given order.
pub fn assert_tag_order(xml: &str, names: &[&str]) {
    let tags: Vec<String> = names.iter().map(|n| format!("<{n}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    assert_order(xml, &tags);
}
