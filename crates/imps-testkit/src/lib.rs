//! Test support for the IMPS CSP server: normalised element trees ([`Tree`]) and two independent
//! WBXML implementations run as external tools — libwbxml 0.11.8 (`xml2wbxml`/`wbxml2xml`,
//! Debian `libwbxml2-utils`) and Wireshark 4.0's WBXML dissector (`tshark`, Debian `tshark`) —
//! and, in-process, a codec that behaves like Android's IMPS engine ([`android`]).
//!
//! Guard every interop test with [`require`]:
//!
//! ```no_run
//! use imps_testkit::{require, tshark_decode, Tool, Tree};
//! # let wbxml: Vec<u8> = Vec::new();
//! # let expected_xml = b"<a/>";
//! if !require(Tool::Tshark) {
//!     return; // prints a loud SKIPPED line; IMPS_REQUIRE_ALL=1 turns it into a panic
//! }
//! let got = tshark_decode(&wbxml).unwrap();
//! let want = Tree::parse_xml(expected_xml).unwrap();
//! assert!(want.diff(&got).is_none(), "{}", want.diff(&got).unwrap());
//! ```
//!
//! # libwbxml 0.11.8 behaviour (found by experiment)
//!
//! **Language / version detection**
//! * `xml2wbxml` needs a DOCTYPE; without one: "The XML language is unknown". Accepted:
//!   `PUBLIC "-//OMA//DTD WV-CSP 1.1//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.XML"` and
//!   `PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.DTD"`
//!   (the system id may also be `""`, or a `SYSTEM` id alone works). The 1.1 public id from the
//!   spec, `-//WIRELESSVILLAGE//DTD CSP 1.1//EN`, is NOT known: with the `CSP1.1.dtd` system id
//!   it fails; with an empty system id it is silently encoded as WAP **CHANNEL 1.1** (public id
//!   0x08, every element a LITERAL) — a nasty trap. The root `xmlns` is not used for detection.
//! * No CSP 1.3 support at all (only `CSP11`/`CSP12` languages).
//! * `wbxml2xml` knows numeric public id 0x10 (1.1) but rejects 0x11 (1.2) and 0x12 (1.3) with
//!   "Unknown Public ID" unless the language is forced with `-l CSP12` ([`libwbxml_decode`] does
//!   that). Its own CSP 1.2 output carries a *literal* public id, which it decodes fine.
//! * The CSP11 and CSP12 tables are effectively the same superset: 1.2-only tags and value tokens
//!   (page 9, `GRANTED`, VersionDiscovery…) decode in a 1.1 document too.
//!
//! **Encoder output shape (`xml2wbxml`)**
//! * 1.1: `03 10 6A 00` header. 1.2: `03 00 00 6A 1B` + string table `-//OMA//DTD WV-CSP 1.2//EN\0`
//!   (literal public id; neither Android nor tshark recognise that — tshark falls back only via
//!   the HTTP media type).
//! * `xmlns` attributes are **dropped** (root is `0x49`, TransactionContent `0x73`, no attribute
//!   tokens), so the body fingerprint is absent too.
//! * Integers (OPAQUE, big-endian minimal): Code, ContentSize, MessageCount, Validity,
//!   KeepAliveTime, SearchFindings, SearchID, SearchIndex, SearchLimit, TimeToLive,
//!   **AcceptedCharset**, AcceptedContentLength, MultiTrans, ParserSize, ServerPollMin, TCPPort,
//!   UDPPort, HistoryPeriod, MaxWatcherList. The text is read with `atol` (or `strtol` base 16 for
//!   `0x…`): `UTF-8` in AcceptedCharset becomes 0, `abc` becomes 0 — data loss, not an error.
//!   Zero is encoded as the zero-length `C3 00`.
//! * DateTime / DeliveryTime: only a zone-less `YYYYMMDDThhmmss` becomes the 6-byte OPAQUE (zone
//!   byte 0); anything with a zone letter (`20010925T165859Z`, the normal CSP form) or otherwise
//!   long enough (`2001-09-25T16:58:59+01:00`, even `abcdefghTijklmnZ`) is sent **STR_I verbatim**;
//!   short text (`2001`, `bogus`) fails with "Bad Wireless-Village Date and Time Format".
//!   Round trip is therefore not the identity for zone-less values: `20010925T165859` comes back
//!   as `20010925T165859Z`.
//! * Value tokens: an exact whole-text match in **any** element becomes EXT_T_0 (`Inband` ->
//!   `80 11`, `T` in a UserID -> `80 2C`); partial prefixes (`http://`) are never used; the 1.2
//!   tokens (`GRANTED` 0x35, `ShowID` 0x37…) are used in 1.1 documents too (tshark's 1.1 table
//!   does not know them); `SMS` -> 0x43, `IM` -> 0x12; `SHTTP`/`SSMS` have no token in libwbxml
//!   and stay STR_I.
//! * Leading/trailing whitespace of text is stripped (without `-k`); CDATA sections are encoded as
//!   **OPAQUE** (`<![CDATA[a<b]]>` -> `C3 03 'a<b'`).
//! * Unknown element names fail ("String Table generation disabled: can't encode Literal") with
//!   or without `-n`; `-n` otherwise produces byte-identical output, so it is not used.
//!
//! **Decoder rendering (`wbxml2xml`)**
//! * Emits `xmlns="…"` from the attribute tokens (0x05/0x08 prefixes + STR_I); the 1.3 token 0x0B
//!   becomes an attribute named `unknown`.
//! * OPAQUE integers -> decimal (unsigned 32-bit: `FF FF FF FF` -> 4294967295; `C3 00` -> 0;
//!   longer than 4 bytes -> garbage, e.g. 5 bytes `01 00 00 00 01` -> `1`), in the elements of the
//!   integer list above (all versions). STR_I integers pass through.
//! * OPAQUE DateTime -> `20010925T165859Z`; a zone byte of 0 is rendered as `Z`; zone `A` as `A`;
//!   an OPAQUE DateTime that is not 6 bytes is a hard error.
//! * OPAQUE in other elements is copied raw into the XML (`ContentData` `01 02 03` -> control
//!   characters in the text; `41 42 43` -> `ABC`).
//! * EXT_T_0: known index -> its string; **unknown index is silently dropped** (element becomes
//!   empty; e.g. 0x38 in 1.2, 0xA4/0xA5 SSMS/SHTTP everywhere). Mixed `80 0E` + STR_I ->
//!   `http://example.com`. ENTITY -> character; STR_T and LITERAL tags are resolved.
//! * Unknown tags (1.3-only codes, page 3 0x1B, page 5 0x3B–0x3E, page 9 0x10+…) are rendered as
//!   `<unknown>`; libwbxml spellings: `Auto-Subscribe`, `Extended-Data`, `PreferredContent`,
//!   `PreferredvCard`, `ReactiveAuthState` (page 9 0x0B), page 5 0x36 is unknown (no
//!   `ContentType` there).
//! * Crashes with SIGSEGV on some inputs (seen: `MultiTrans` OPAQUE followed by an unknown tag
//!   holding OPAQUE on page 3).
//!
//! # tshark 4.0 WBXML dissector behaviour (found by experiment)
//! * Language from the numeric public id (0x10/0x11/0x12 = CSP 1.1/1.2/1.3, all known); literal
//!   public ids are never matched. Only with a media type (`application/vnd.wv.csp.wbxml` via HTTP)
//!   does it fall back to the body fingerprint and then to CSP 1.2. Otherwise tags render as
//!   `Tag_0x09`. [`tshark_decode`] always wraps the bytes in an HTTP POST for that reason.
//! * Integers are typed per version (by tag code, so even an unknown tag gets typed):
//!   1.1/1.2 — Code, ContentSize, MessageCount, Validity, KeepAliveTime, TimeToLive,
//!   AcceptedContentLength, MultiTrans, ParserSize, ServerPollMin, TCPPort, UDPPort (+
//!   HistoryPeriod, MaxWatcherList in 1.2); **not** SearchFindings/SearchID/SearchIndex/SearchLimit
//!   or AcceptedCharset (shown as "(N bytes of unparsed opaque data)") although libwbxml encodes
//!   all of those as OPAQUE. 1.3 adds the Search* integers (incl. SearchID), PlainTextCharset,
//!   SegmentCount, ClientIMPriority, MaxPullLength…, but not AnswerOptionID or WatcherCount.
//! * Integers print as signed 32-bit (`FF FF FF FF` -> -1); `C3 00` is an error
//!   ("invalid binary WV-CSP Integer value (0 bytes…)"), so libwbxml's zero encoding does not
//!   survive tshark. DateTime prints as `2001-09-25T16:58:59Z`; wrong OPAQUE length is an error text.
//! * EXT_T_0 prints `Common Value: 'Inband'`; unknown index prints
//!   `<Unknown WV-CSP 1.2 Common Value token 0x38>` (version-specific tables: 0x35 GRANTED is
//!   unknown in 1.1, 0x5E AUDIO_CALL is unknown in 1.3, SHTTP 0xA5 known from 1.2).
//! * STR_I display escapes newline/tab as `\n`/`\t` but not backslash (irreversible), and the
//!   per-token label is truncated at 240 characters (`[truncated]`); the raw token bytes in PDML
//!   are exact, which is what [`tshark_decode`] uses.
//! * No CSP 1.1 code page 9 at all ("Requested token code page not defined"); unknown tags print
//!   "(Requested token not defined for this content type)". Names differing from the spec tables:
//!   `WV-CSP-NSDiscovery-Request/Response` (page A 0x05/0x06, 1.2 and 1.3), `Auto-Subscribe`;
//!   page 5 0x36 is `ContentType` in 1.2; page 9 0x0B is `ReactiveAuthState` in 1.2 and
//!   `AnswerOptionText` in 1.3.
//! * A truncated document is not flagged as malformed; the token list just stops (detected here
//!   as an error: elements left open).

pub mod android;
mod libwbxml;
pub mod phone;
pub mod process;
pub mod server;
mod tools;
mod tree;
mod tshark;

pub use libwbxml::{
    libwbxml_decode, libwbxml_encode, LIBWBXML_DOCTYPE_CSP11, LIBWBXML_DOCTYPE_CSP12,
};
pub use tools::{is_available, require, Tool};
pub use tree::Tree;
pub use tshark::tshark_decode;
