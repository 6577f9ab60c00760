//! # imps-csp
//!
//! The OMA IMPS Client-Server Protocol (CSP) 1.1, 1.2 and 1.3, sans I/O: a typed model of every
//! primitive ([`Primitive`], [`model`]), the message envelope ([`WvCspMessage`]), status codes
//! ([`StatusCode`]), and XML and WBXML codecs that decode straight from parser events into the
//! typed model.
//!
//! What it does not do: sockets, HTTP, sessions, storage — those live in the server crates.
//!
//! Decoding is lenient as real handsets need (children in any order, unknown elements and
//! `ExtBlock` content tolerated, alternative spellings accepted, version from the WBXML public id
//! or the root namespace); encoding is strict (the version's namespaces, element names and child
//! order). No DTD is accepted and no entity is expanded; every decoder state is bounded by
//! [`Limits`].
//!
//! ```
//! use imps_csp::{decode, encode, Encoding, Limits, Primitive, CspVersion};
//! let xml = br#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
//!   <SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>
//!   <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>
//!   <TransactionID>1</TransactionID></TransactionDescriptor>
//!   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><Polling-Request/>
//!   </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
//! let msg = decode(xml, &Limits::default()).unwrap();
//! assert_eq!(msg.version, CspVersion::V1_2);
//! assert!(matches!(msg.session.transactions[0].primitive, Primitive::PollingRequest(_)));
//! let wbxml = encode(&msg, Encoding::Wbxml).unwrap();
//! assert_eq!(decode(&wbxml, &Limits::default()).unwrap(), msg);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod address;
pub mod codec;
pub mod envelope;
pub mod error;
pub mod model;
pub mod names;
pub mod primitive;
pub mod salvage;
pub mod status;
pub mod tokens;
pub mod version;

pub use address::{Address, AddressError};
pub use envelope::{
    Session, SessionDescriptor, SessionType, Transaction, TransactionDescriptor, TransactionMode,
    WvCspMessage,
};
pub use error::{DecodeError, EncodeError};
pub use imps_wbxml::Limits;
pub use primitive::Primitive;
pub use salvage::{salvage, Salvaged};
pub use status::StatusCode;
pub use version::{CspVersion, VersionRange};

use codec::{
    wbxml_read::WbxmlSource, wbxml_write::WbxmlSink, xml_read::XmlSource, xml_write::XmlSink,
};

/// The two document encodings of CSP over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// XML text.
    Xml,
    /// WBXML binary.
    Wbxml,
}

/// Tells XML from WBXML by the first byte: `<`, a BOM or whitespace means XML; a WBXML version
/// byte (0x00–0x03) means WBXML.
pub fn sniff(input: &[u8]) -> Option<Encoding> {
    match input.first()? {
        0x00..=0x03 => Some(Encoding::Wbxml),
        b'<' | 0xEF | b' ' | b'\t' | b'\r' | b'\n' => Some(Encoding::Xml),
        _ => None,
    }
}

/// Decodes one CSP document, XML or WBXML (sniffed).
pub fn decode(input: &[u8], limits: &Limits) -> Result<WvCspMessage, DecodeError> {
    match sniff(input) {
        Some(Encoding::Xml) => decode_xml(input, limits),
        Some(Encoding::Wbxml) => decode_wbxml(input, limits),
        None => Err(DecodeError::Malformed("neither XML nor WBXML".into())),
    }
}

/// Decodes one CSP XML document.
pub fn decode_xml(input: &[u8], limits: &Limits) -> Result<WvCspMessage, DecodeError> {
    let mut src = XmlSource::new(input, *limits)?;
    WvCspMessage::decode_root(&mut src)
}

/// Decodes one CSP WBXML document.
pub fn decode_wbxml(input: &[u8], limits: &Limits) -> Result<WvCspMessage, DecodeError> {
    let mut src = WbxmlSource::new(input, *limits)?;
    WvCspMessage::decode_root(&mut src)
}

/// Encodes a message in its version, as XML or WBXML.
pub fn encode(msg: &WvCspMessage, encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
    match encoding {
        Encoding::Xml => encode_xml(msg).map(String::into_bytes),
        Encoding::Wbxml => encode_wbxml(msg),
    }
}

/// Encodes a message for a client: as [`encode`], except that XML writes U+FFFD for a
/// character XML cannot carry instead of failing (text another client sent over WBXML may
/// hold C0 controls; an answer that cannot be written would block the recipient's queue).
pub fn encode_for_client(msg: &WvCspMessage, encoding: Encoding) -> Result<Vec<u8>, EncodeError> {
    match encoding {
        Encoding::Xml => {
            let mut sink = XmlSink::lossy(msg.version, String::new());
            msg.encode_root(&mut sink)?;
            sink.finish().map(String::into_bytes)
        }
        Encoding::Wbxml => encode_wbxml(msg),
    }
}

/// Encodes a message as XML.
pub fn encode_xml(msg: &WvCspMessage) -> Result<String, EncodeError> {
    encode_xml_into(msg, String::new())
}

/// Encodes a message as XML into a reused buffer.
pub fn encode_xml_into(msg: &WvCspMessage, buf: String) -> Result<String, EncodeError> {
    let mut sink = XmlSink::new(msg.version, buf);
    msg.encode_root(&mut sink)?;
    sink.finish()
}

/// Encodes a message as WBXML.
pub fn encode_wbxml(msg: &WvCspMessage) -> Result<Vec<u8>, EncodeError> {
    encode_wbxml_into(msg, Vec::new())
}

/// Encodes a message as WBXML into a reused buffer.
pub fn encode_wbxml_into(msg: &WvCspMessage, buf: Vec<u8>) -> Result<Vec<u8>, EncodeError> {
    let mut sink = WbxmlSink::new(msg.version, buf);
    msg.encode_root(&mut sink)?;
    sink.finish()
}
