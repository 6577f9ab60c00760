//! `Reader::set_keep_attributes(false)` changes nothing but the attribute lists: the same events
//! otherwise, and the same errors, on valid documents and on every single-byte corruption.

mod common;

use common::{vector_6, TABLE};
use imps_wbxml::{Error, Event, Limits, Reader};

fn run(input: &[u8], keep: bool) -> Result<Vec<String>, Error> {
    let mut r = Reader::new(input, &TABLE, Limits::default())?;
    r.set_keep_attributes(keep);
    let mut out = Vec::new();
    while let Some(ev) = r.next()? {
        out.push(match ev {
            Event::Start { name, attributes } if !keep => {
                assert!(
                    attributes.is_empty(),
                    "attributes kept although switched off"
                );
                format!("Start {name}")
            }
            Event::Start { name, .. } => format!("Start {name}"),
            other => format!("{other:?}"),
        });
    }
    Ok(out)
}

#[test]
fn skipping_attributes_changes_only_the_attribute_lists() {
    let doc = vector_6();
    let mut with = Reader::new(&doc, &TABLE, Limits::default()).expect("header");
    let mut saw_attribute = false;
    while let Some(ev) = with.next().expect("valid") {
        if let Event::Start { attributes, .. } = ev {
            saw_attribute |= !attributes.is_empty();
        }
    }
    assert!(saw_attribute, "the vector has xmlns attributes");
    assert_eq!(run(&doc, false), run(&doc, true));

    for i in 0..doc.len() {
        for v in [0x00u8, 0x01, 0x03, 0x04, 0x05, 0x80, 0x83, 0xC3, 0xFF] {
            let mut b = doc.clone();
            b[i] = v;
            assert_eq!(run(&b, false), run(&b, true), "byte {i} = {v:#04x}");
        }
    }
}
