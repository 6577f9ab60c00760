//! `Reader::next_token` reads the same document as `Reader::next`: the same steps, attributes
//! and errors, on a valid document and on every single-byte corruption of it.

mod common;

use std::borrow::Cow;

use common::{vector_6, TABLE};
use imps_wbxml::{Error, Event, Limits, Reader, Token};

fn by_events(input: &[u8]) -> Result<Vec<Event<'_>>, Error> {
    let mut r = Reader::new(input, &TABLE, Limits::default())?;
    let mut out = Vec::new();
    while let Some(ev) = r.next()? {
        out.push(ev);
    }
    Ok(out)
}

fn by_tokens(input: &[u8]) -> Result<Vec<Event<'_>>, Error> {
    let mut r = Reader::new(input, &TABLE, Limits::default())?;
    let mut out = Vec::new();
    while let Some(token) = r.next_token()? {
        out.push(match token {
            Token::Start { name, .. } => Event::Start {
                name: Cow::Borrowed(name),
                attributes: r.attributes().to_vec(),
            },
            Token::UnknownStart { page, code } => Event::UnknownStart {
                page,
                code,
                attributes: r.attributes().to_vec(),
            },
            Token::End => Event::End,
            Token::Str(s) => Event::Text(Cow::Borrowed(s)),
            Token::Entity(c) => Event::Text(Cow::Owned(c.to_string())),
            Token::ExtT { n, index } => Event::ExtT { n, index },
            Token::ExtI { n, value } => Event::ExtI {
                n,
                value: Cow::Borrowed(value),
            },
            Token::Ext { n } => Event::Ext { n },
            Token::Opaque(b) => Event::Opaque(b),
            Token::Pi => {
                assert_eq!(r.attributes().len(), 1, "a Pi has one target/data pair");
                let a = &r.attributes()[0];
                Event::Pi {
                    target: a.name.clone(),
                    data: a.value.clone(),
                }
            }
        });
    }
    // Sticky end.
    assert_eq!(r.next_token(), Ok(None));
    Ok(out)
}

#[test]
fn tokens_and_events_agree() {
    let doc = vector_6();
    let events = by_events(&doc).expect("valid");
    assert!(events.len() > 4);
    assert_eq!(by_tokens(&doc), Ok(events));
    for i in 0..doc.len() {
        for v in [
            0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x43, 0x80, 0x83, 0xC3, 0xFF,
        ] {
            let mut b = doc.clone();
            b[i] = v;
            assert_eq!(by_tokens(&b), by_events(&b), "byte {i} = {v:#04x}");
        }
    }
}

/// `read_end` reads exactly the `End` tokens `next_token` would return, and nothing else.
#[test]
fn read_end_takes_only_ends() {
    let doc = vector_6();
    let expected = by_tokens(&doc).expect("valid");
    let mut r = Reader::new(&doc, &TABLE, Limits::default()).expect("header");
    let mut seen = Vec::new();
    loop {
        if r.read_end() {
            seen.push(Event::End);
            continue;
        }
        match r.next_token().expect("valid") {
            None => break,
            Some(Token::End) => seen.push(Event::End),
            Some(Token::Start { name, .. }) => seen.push(Event::Start {
                name: Cow::Borrowed(name),
                attributes: r.attributes().to_vec(),
            }),
            Some(other) => seen.push(Event::Text(Cow::Owned(format!("{other:?}")))),
        }
    }
    let shape = |evs: &[Event<'_>]| -> Vec<String> {
        evs.iter()
            .map(|e| match e {
                Event::Start { name, .. } => format!("<{name}>"),
                Event::End => "</>".to_string(),
                _ => "~".to_string(),
            })
            .collect()
    };
    assert_eq!(shape(&seen), shape(&expected));
    assert!(!r.read_end(), "nothing after the document");
}
