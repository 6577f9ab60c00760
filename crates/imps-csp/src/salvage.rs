//! What can be read of a request that did not decode: its version, SessionID and
//! TransactionID, so that the error answer can echo them.
//!
//! A real engine matches answers to requests by TransactionID only: an error Status that does
//! not echo it matches no pending transaction, and the client waits forever (csp-reference
//! §11.1, "An error without a TransactionID hangs it"). The server answers an undecodable
//! request with whatever [`salvage`] could read before the document went wrong.

use crate::codec::wbxml_read::WbxmlSource;
use crate::codec::xml_read::XmlSource;
use crate::codec::{Ev, Source};
use crate::names::ElementId;
use crate::version::CspVersion;
use crate::{sniff, Encoding, Limits};

/// What could be read of the envelope of a document that may not decode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Salvaged {
    /// The version the document names (public id or namespace), when that much was readable.
    pub version: Option<CspVersion>,
    /// The first `SessionID` met before the document went wrong.
    pub session_id: Option<String>,
    /// The first `TransactionID` met before the document went wrong.
    pub transaction_id: Option<String>,
}

/// Longest identifier echoed (longer values are not identifiers a client could match).
const MAX_ID: usize = 256;

const TRANSACTION_ID: ElementId = ElementId::of("TransactionID");
const SESSION_ID: ElementId = ElementId::of("SessionID");
/// Where the envelope ends: nothing after it is looked at.
const TRANSACTION_CONTENT: ElementId = ElementId::of("TransactionContent");

/// Reads `input` as far as it goes and returns the envelope identifiers met on the way. Never
/// fails: what could not be read is `None`. Bounded by `limits` like a decode.
pub fn salvage(input: &[u8], limits: Limits) -> Salvaged {
    match sniff(input) {
        Some(Encoding::Wbxml) => match WbxmlSource::new(input, limits) {
            Ok(src) => walk(src),
            Err(_) => wbxml_any_version(input, limits),
        },
        Some(Encoding::Xml) => match XmlSource::new(input, limits) {
            Ok(src) => walk(src),
            Err(_) => xml_any_version(input),
        },
        None => Salvaged::default(),
    }
}

/// A WBXML document of no version we know (a wrong public id): the envelope tokens are the
/// same in every CSP version, so the 1.3 table reads them.
fn wbxml_any_version(input: &[u8], limits: Limits) -> Salvaged {
    let table: &dyn crate::tokens::CspTokens = &crate::tokens::TOKENS_13;
    let Ok(mut reader) = imps_wbxml::Reader::new(input, table, limits) else {
        return Salvaged::default();
    };
    let mut out = Salvaged::default();
    let mut inside: Option<bool> = None; // Some(true) = in TransactionID, Some(false) = SessionID
    for _ in 0..4096 {
        match reader.next() {
            Ok(Some(imps_wbxml::Event::Start { name, .. })) => {
                inside = match &*name {
                    "TransactionID" => Some(true),
                    "SessionID" => Some(false),
                    "TransactionContent" => break,
                    _ => None,
                };
            }
            Ok(Some(imps_wbxml::Event::Text(t))) => {
                let t = t.trim();
                let slot = match inside {
                    Some(true) => &mut out.transaction_id,
                    Some(false) => &mut out.session_id,
                    None => continue,
                };
                if slot.is_none() && !t.is_empty() && t.len() <= MAX_ID {
                    *slot = Some(t.to_owned());
                }
            }
            Ok(Some(_)) => inside = None,
            Ok(None) | Err(_) => break,
        }
    }
    out
}

/// An XML document of no version we know (another namespace, none): element local names.
fn xml_any_version(input: &[u8]) -> Salvaged {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut out = Salvaged::default();
    let mut inside: Option<bool> = None;
    for _ in 0..4096 {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let local = e.local_name();
                let local: &str = local.as_ref();
                inside = match local {
                    "TransactionID" => Some(true),
                    "SessionID" => Some(false),
                    "TransactionContent" => break,
                    _ => None,
                };
            }
            Ok(Event::Text(t)) => {
                let slot = match inside {
                    Some(true) => &mut out.transaction_id,
                    Some(false) => &mut out.session_id,
                    None => continue,
                };
                let text: &str = &t;
                let text = text.trim();
                if slot.is_none() && !text.is_empty() && text.len() <= MAX_ID {
                    *slot = Some(text.to_owned());
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => inside = None,
        }
    }
    out
}

fn walk<'a, S: Source<'a>>(mut src: S) -> Salvaged {
    let mut out = Salvaged {
        version: Some(src.version()),
        ..Salvaged::default()
    };
    // Every event costs a step: a document is bounded by `limits` already, this bounds the
    // work spent on a broken one further.
    for _ in 0..4096 {
        let name = match src.next() {
            Ok(Ev::Start(name)) => name.id(),
            Ok(Ev::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        let slot = match name {
            TRANSACTION_ID => &mut out.transaction_id,
            SESSION_ID => &mut out.session_id,
            TRANSACTION_CONTENT => break,
            _ => continue,
        };
        match src.text("") {
            Ok(t) => {
                let t = t.trim();
                if slot.is_none() && !t.is_empty() && t.len() <= MAX_ID {
                    *slot = Some(t.to_owned());
                }
            }
            Err(_) => break,
        }
        if out.transaction_id.is_some() && out.session_id.is_some() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_before_a_broken_body_are_read() {
        let doc = br#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>42</TransactionID></TransactionDescriptor><TransactionContent><Login-Request><UserID>a</Open>"#;
        let s = salvage(doc, Limits::default());
        assert_eq!(s.version, Some(CspVersion::V1_2));
        assert_eq!(s.transaction_id.as_deref(), Some("42"));
        assert_eq!(s.session_id.as_deref(), Some("s-1"));
    }

    #[test]
    fn ids_of_an_unknown_version_are_read() {
        let doc = br#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.9"><Session><SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>7</TransactionID></TransactionDescriptor><TransactionContent><Login-Request/></TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let s = salvage(doc, Limits::default());
        assert_eq!(s.version, None);
        assert_eq!(s.transaction_id.as_deref(), Some("7"));
    }

    #[test]
    fn nothing_readable_is_nothing() {
        assert_eq!(
            salvage(b"\x7fgarbage", Limits::default()),
            Salvaged::default()
        );
        let s = salvage(b"<WV-CSP-Message><Session>", Limits::default());
        assert_eq!(s.transaction_id, None);
    }
}
