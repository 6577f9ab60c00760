//! Generic WBXML 1.3 reader and writer, driven by a token table.
//!
//! WBXML (WAP Binary XML, versions 1.0 to 1.3) encodes an XML document as a byte stream of
//! tokens. This crate knows the WBXML framing and its global tokens (`SWITCH_PAGE`, `END`,
//! `ENTITY`, `STR_I`, `STR_T`, `LITERAL*`, `EXT_I_n`, `EXT_T_n`, `EXT_n`, `PI`, `OPAQUE`)
//! and nothing of any particular language: the element names, attribute tokens and
//! extension strings come from a [`TokenTable`] the caller passes in (for example the
//! OMA IMPS / Wireless Village CSP tables).
//!
//! * [`Reader`] is a zero-copy pull parser producing [`Event`]s. It enforces [`Limits`]
//!   on depth, element count, string, opaque, string-table and input size and on the
//!   total of decoded bytes, never panics
//!   on any input and reports every error with its byte offset.
//! * [`Writer`] produces a document from element / text / opaque / extension calls,
//!   choosing tokens from the table and falling back to `LITERAL` for unknown names.
//! * [`read_header`] peeks at the header (to choose a table by public id);
//!   [`read_mb_u32`] / [`write_mb_u32`] handle WBXML's variable-length integers.
//!
//! ```
//! use imps_wbxml::{Event, Limits, PublicId, Reader, TokenTable, Writer};
//!
//! struct Tiny;
//! impl TokenTable for Tiny {
//!     fn tag_name(&self, page: u8, code: u8) -> Option<&'static str> {
//!         match (page, code) {
//!             (0, 0x09) => Some("WV-CSP-Message"),
//!             (0, 0x21) => Some("Poll"),
//!             _ => None,
//!         }
//!     }
//!     fn tag_token(&self, name: &str) -> Option<(u8, u8)> {
//!         match name {
//!             "WV-CSP-Message" => Some((0, 0x09)),
//!             "Poll" => Some((0, 0x21)),
//!             _ => None,
//!         }
//!     }
//! }
//!
//! let mut w = Writer::new(&Tiny, 0x03, PublicId::Known(0x11), 106);
//! w.start_element("WV-CSP-Message", &[])?;
//! w.start_element("Poll", &[])?;
//! w.text("F")?;
//! w.end_element()?;
//! w.end_element()?;
//! let doc = w.finish()?;
//! assert_eq!(doc, [0x03, 0x11, 0x6A, 0x00, 0x49, 0x61, 0x03, b'F', 0x00, 0x01, 0x01]);
//!
//! let mut r = Reader::new(&doc, &Tiny, Limits::default())?;
//! assert_eq!(r.header().public_id, PublicId::Known(0x11));
//! let mut names = Vec::new();
//! while let Some(ev) = r.next()? {
//!     match ev {
//!         Event::Start { name, .. } => names.push(name.into_owned()),
//!         Event::Text(t) => assert_eq!(t, "F"),
//!         _ => {}
//!     }
//! }
//! assert_eq!(names, ["WV-CSP-Message", "Poll"]);
//! # Ok::<(), imps_wbxml::Error>(())
//! ```
//!
//! What it does not do: it does not interpret extension tokens (`EXT_T_n` is handed to
//! the consumer unresolved in element content), does not decode typed content (integers,
//! dates in `OPAQUE`), does not validate against a DTD, does not build a tree, and supports
//! only UTF-8 (and its subset US-ASCII) as the document charset.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod event;
mod header;
mod limits;
mod mb;
mod reader;
mod strings;
mod table;
mod tokens;
mod writer;

pub use error::Error;
pub use event::{Attribute, Event, Token};
pub use header::{read_header, Header, PublicId};
pub use limits::{Limits, DECODED_BYTES_PER_INPUT_BYTE, MAX_DECODED_BYTES, MIN_DECODED_BUDGET};
pub use mb::{read_mb_u32, write_mb_u32};
pub use reader::Reader;
pub use table::TokenTable;
pub use writer::Writer;
