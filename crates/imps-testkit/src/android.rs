//! A WBXML codec that behaves like Android's IMPS engine (Esmertec, 2008), for tests.
//!
//! Android parses and writes CSP WBXML with **one** table in every CSP version: its
//! `csp13_data.h`, the CSP 1.3 table plus thirteen 1.2 tags it kept (`InUse`, `Users`,
//! `AttListFunc`, `CAAUT`, `REACT`, `AcceptedCharset`, `AcceptedContentLength`,
//! `CancelAuth-Request`, `PresenceAuth-Request`, `PresenceAuth-User`, `AutoSubscribe`,
//! `GetReactiveAuthStatus-Request`, `GetReactiveAuthStatus-Response`). Its parser stops at the
//! first tag token the table lacks; its value tokens are the 1.3 ones (so `SSMS`/`SHTTP` are
//! 0xA4/0xA5 even in 1.1, and 0x5E `AUDIO_CALL`, 0x69/0x6A `IM_OFFLINE`/`IM_ONLINE`, 0x76/0x77
//! `VIDEO_CALL`/`VIDEO_STREAM` are unknown). See `docs/conformance.md` ("WBXML common core").
//!
//! * [`android_table`]: that table, as an [`imps_wbxml::TokenTable`].
//! * [`encode_like_android`] / [`encode_message_like_android`]: write a 1.1/1.2/1.3 document the
//!   way Android does (the version's public id, Android's tokens, every element with an `END`,
//!   integers as OPAQUE; optionally garbage integers, as its buggy native writer sends).
//! * [`decode_like_android`]: a strict parser with Android's table whatever the public id says,
//!   failing on any tag or value token Android does not know; it returns a [`Tree`].
//!
//! ```
//! use imps_csp::CspVersion;
//! use imps_testkit::android::{decode_like_android, encode_like_android};
//!
//! let xml = "<WV-CSP-Message><Session><SessionDescriptor><SessionType>Outband</SessionType>\
//!            </SessionDescriptor></Session></WV-CSP-Message>";
//! let bytes = encode_like_android(xml, CspVersion::V1_1).unwrap();
//! assert_eq!(&bytes[..4], &[0x03, 0x10, 0x6A, 0x00]);
//! let tree = decode_like_android(&bytes).unwrap();
//! assert_eq!(tree.find("SessionType").unwrap().text, "Outband");
//! ```

use std::fmt;

use base64::Engine as _;
use imps_csp::codec::DateTime;
use imps_csp::tokens::{Content, CspTokens, TOKENS_11, TOKENS_12, TOKENS_13};
use imps_csp::{encode_xml, CspVersion, WvCspMessage};
use imps_wbxml::{Event, Limits, PublicId, Reader, TokenTable, Writer};
use quick_xml::events::Event as XmlEvent;

use crate::tree::{predefined_entity, trim_xml_ws};
use crate::Tree;

/// The 1.2 tags Android's `csp13_data.h` kept beside the 1.3 table: (page, code, name).
pub const KEPT_1_2_TAGS: [(u8, u8, &str); 13] = [
    (0x00, 0x18, "InUse"),
    (0x02, 0x06, "AttListFunc"),
    (0x02, 0x08, "CAAUT"),
    (0x02, 0x30, "REACT"),
    (0x03, 0x05, "AcceptedCharset"),
    (0x03, 0x06, "AcceptedContentLength"),
    (0x04, 0x05, "CancelAuth-Request"),
    (0x04, 0x19, "PresenceAuth-Request"),
    (0x04, 0x1A, "PresenceAuth-User"),
    (0x04, 0x1E, "AutoSubscribe"),
    (0x04, 0x1F, "GetReactiveAuthStatus-Request"),
    (0x04, 0x20, "GetReactiveAuthStatus-Response"),
    (0x07, 0x1F, "Users"),
];

/// The one token our 1.3 table decodes that Android's lacks: the 1.2+ presence-attribute
/// `ContentType` alias on page 5 (only Wireshark has it; we never write it).
const NOT_IN_ANDROID: (u8, u8) = (0x05, 0x36);

/// Android's WBXML token table: our CSP 1.3 table plus [`KEPT_1_2_TAGS`] (without the page 5
/// 0x36 `ContentType` alias, which Android lacks). Tag and value lookups work both ways.
#[derive(Clone, Copy, Debug, Default)]
pub struct AndroidTable;

/// Android's table (see [`AndroidTable`]).
pub fn android_table() -> &'static AndroidTable {
    static TABLE: AndroidTable = AndroidTable;
    &TABLE
}

impl TokenTable for AndroidTable {
    fn tag_name(&self, page: u8, code: u8) -> Option<&'static str> {
        if (page, code) == NOT_IN_ANDROID {
            return None;
        }
        TOKENS_13.tag_name(page, code).or_else(|| {
            KEPT_1_2_TAGS
                .iter()
                .find(|&&(p, c, _)| (p, c) == (page, code))
                .map(|&(_, _, n)| n)
        })
    }

    fn tag_token(&self, name: &str) -> Option<(u8, u8)> {
        TOKENS_13.tag_token(name).or_else(|| {
            KEPT_1_2_TAGS
                .iter()
                .find(|&&(_, _, n)| n == name)
                .map(|&(p, c, _)| (p, c))
        })
    }

    fn attr_start(&self, page: u8, code: u8) -> Option<(&'static str, &'static str)> {
        TOKENS_13.attr_start(page, code)
    }

    fn attr_start_token(&self, name: &str, value: &str) -> Option<(u8, u8, usize)> {
        TOKENS_13.attr_start_token(name, value)
    }

    fn ext_t(&self, n: u8, index: u32) -> Option<&'static str> {
        TOKENS_13.ext_t(n, index)
    }

    fn ext_t_token(&self, value: &str) -> Option<(u8, u32)> {
        TOKENS_13.ext_t_token(value)
    }
}

/// How [`encode_like_android_with`] writes integers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Integers {
    /// OPAQUE, big-endian, minimal length, at least one byte (0 is `C3 01 00`), as
    /// Android's Java serializer does.
    #[default]
    Correct,
    /// Every integer's OPAQUE holds these bytes instead (e.g. 5 bytes, or `DE AD BE EF`):
    /// the integer parser of Android's native encoder never stores the value it parsed.
    Garbage(Vec<u8>),
}

/// Whether Android writes `name`'s text as an integer: the 1.3 integer elements and the kept
/// 1.2 tags that were integers in 1.2 (`AcceptedContentLength`).
fn android_integer(name: &str) -> bool {
    TOKENS_13.content(name) == Content::Integer
        || (KEPT_1_2_TAGS.iter().any(|&(_, _, n)| n == name)
            && TOKENS_12.content(name) == Content::Integer)
}

/// [`encode_like_android_with`] with correct integers.
pub fn encode_like_android(xml: &str, version: CspVersion) -> Result<Vec<u8>, String> {
    encode_like_android_with(xml, version, &Integers::Correct)
}

/// Encodes `message` as XML with our codec, then as WBXML the way Android would
/// ([`encode_like_android`]) in the message's version.
pub fn encode_message_like_android(message: &WvCspMessage) -> Result<Vec<u8>, String> {
    let xml = encode_xml(message).map_err(|e| e.to_string())?;
    encode_like_android(&xml, message.version)
}

/// Writes the XML document `xml` as a CSP `version` WBXML document the way Android does:
/// header `03 <public id> 6A` (1.1 = 0x10, 1.2 = 0x11, 1.3 = 0x12), every tag, attribute and
/// value token from [`android_table`] whatever the version, names it lacks as LITERAL, every
/// element with the content bit and an `END`, whole text with a value token as `EXT_T_0`,
/// integers (see the `android_integer`-typed elements) as OPAQUE written as `integers` says,
/// other text as `STR_I` (trimmed; whitespace-only text dropped).
pub fn encode_like_android_with(
    xml: &str,
    version: CspVersion,
    integers: &Integers,
) -> Result<Vec<u8>, String> {
    let table = android_table();
    let mut w = Writer::new(table, 0x03, PublicId::Known(version.wbxml_public_id()), 106);
    w.set_collapse_empty(false);
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let err = |e: &dyn fmt::Display| e.to_string();
    loop {
        let ev = reader.read_event().map_err(|e| err(&e))?;
        match ev {
            XmlEvent::Start(ref s) | XmlEvent::Empty(ref s) => {
                flush_text(&mut w, &mut text, stack.last(), integers)?;
                let name = local(s.name().into_inner())?;
                let mut attrs = Vec::new();
                for a in s.attributes() {
                    let a = a.map_err(|e| err(&e))?;
                    let key = local(a.key.into_inner())?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| err(&e))?
                        .into_owned();
                    attrs.push((key, value));
                }
                let pairs: Vec<(&str, &str)> = attrs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                w.start_element(&name, &pairs).map_err(|e| err(&e))?;
                if matches!(ev, XmlEvent::Empty(_)) {
                    w.end_element().map_err(|e| err(&e))?;
                } else {
                    stack.push(name);
                }
            }
            XmlEvent::Text(t) => text.push_str(&t.xml10_content()),
            XmlEvent::CData(c) => text.push_str(&c.into_inner()),
            XmlEvent::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| err(&e))?
                } else {
                    predefined_entity(&r)
                };
                text.push(ch.ok_or_else(|| format!("unknown reference &{};", &*r))?);
            }
            XmlEvent::End(_) => {
                flush_text(&mut w, &mut text, stack.last(), integers)?;
                stack.pop();
                w.end_element().map_err(|e| err(&e))?;
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    w.finish().map_err(|e| err(&e))
}

fn local(qname: &str) -> Result<String, String> {
    Ok(qname.rsplit(':').next().unwrap_or(qname).to_owned())
}

/// Writes the text gathered for the innermost element.
fn flush_text(
    w: &mut Writer<'static, AndroidTable>,
    text: &mut String,
    element: Option<&String>,
    integers: &Integers,
) -> Result<(), String> {
    let t = trim_xml_ws(text).to_owned();
    text.clear();
    if t.is_empty() {
        return Ok(());
    }
    let err = |e: imps_wbxml::Error| e.to_string();
    let name = element.map_or("", String::as_str);
    if android_integer(name) {
        if let Ok(n) = t.parse::<u32>() {
            return match integers {
                Integers::Correct => {
                    let bytes = n.to_be_bytes();
                    let skip = bytes.iter().take(3).take_while(|&&b| b == 0).count();
                    w.opaque(&bytes[skip..]).map_err(err)
                }
                Integers::Garbage(bytes) => w.opaque(bytes).map_err(err),
            };
        }
    }
    match android_table().ext_t_token(&t) {
        Some((n, index)) => w.ext_t(n, index).map_err(err),
        None => w.text(&t).map_err(err),
    }
}

/// Why [`decode_like_android`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AndroidDecodeError {
    /// A tag token Android's table lacks: its parser stops there.
    UnknownTag {
        /// Tag code page in effect.
        page: u8,
        /// The 6-bit tag code.
        code: u8,
    },
    /// An `EXT_T_0` index Android's value table lacks.
    UnknownValue {
        /// The index.
        index: u32,
    },
    /// Anything else the WBXML reader refused.
    Wbxml(String),
}

impl fmt::Display for AndroidDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AndroidDecodeError::UnknownTag { page, code } => {
                write!(f, "unknown tag page {page:#04X} code {code:#04X}")
            }
            AndroidDecodeError::UnknownValue { index } => {
                write!(f, "unknown value token EXT_T_0 {index:#04X}")
            }
            AndroidDecodeError::Wbxml(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AndroidDecodeError {}

fn wbxml_error(e: imps_wbxml::Error) -> AndroidDecodeError {
    match e {
        imps_wbxml::Error::UnknownTag { page, code, .. } => {
            AndroidDecodeError::UnknownTag { page, code }
        }
        imps_wbxml::Error::UnknownExtension { index, .. } => {
            AndroidDecodeError::UnknownValue { index }
        }
        e => AndroidDecodeError::Wbxml(e.to_string()),
    }
}

/// Parses `bytes` strictly with [`android_table`], whatever the document's public id says,
/// and returns its element tree ([`Tree`]: names as Android's table spells them, text trimmed).
/// A tag or `EXT_T_0` value token Android lacks is an error. Content renders as our XML codec
/// writes it, so the tree compares with ours: OPAQUE in an element that is an integer in some
/// CSP version as decimal, in a DateTime element as `YYYYMMDDThhmmssZ`, elsewhere as Base64.
pub fn decode_like_android(bytes: &[u8]) -> Result<Tree, AndroidDecodeError> {
    decode_strict(bytes, android_table())
}

/// [`decode_like_android`] with another table: strict (an unknown tag or value token is an
/// error), the same rendering. For tests that need Android's table plus a few tokens.
pub fn decode_strict(bytes: &[u8], table: &dyn TokenTable) -> Result<Tree, AndroidDecodeError> {
    let mut reader = Reader::new(bytes, table, Limits::default()).map_err(wbxml_error)?;
    let mut stack: Vec<Tree> = Vec::new();
    let mut root = None;
    while let Some(ev) = reader.next().map_err(wbxml_error)? {
        match ev {
            Event::Start { name, .. } => stack.push(Tree::leaf(&name, "")),
            Event::End => {
                let mut done = stack
                    .pop()
                    .ok_or_else(|| AndroidDecodeError::Wbxml("unbalanced END".into()))?;
                done.text = trim_xml_ws(&done.text).to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t),
            Event::ExtI { value, .. } => push_text(&mut stack, &value),
            Event::ExtT { n, index } => {
                let value = table
                    .ext_t(n, index)
                    .ok_or(AndroidDecodeError::UnknownValue { index })?;
                push_text(&mut stack, value);
            }
            Event::Opaque(data) => {
                let name = stack.last().map_or("", |t| t.name.as_str());
                let text = render_opaque(name, data);
                push_text(&mut stack, &text);
            }
            // Not reported unless asked for; Android's parser stops there either way.
            Event::UnknownStart { page, code, .. } => {
                return Err(AndroidDecodeError::UnknownTag { page, code })
            }
            Event::Ext { .. } | Event::Pi { .. } => {}
        }
    }
    root.ok_or_else(|| AndroidDecodeError::Wbxml("no root element".into()))
}

fn push_text(stack: &mut [Tree], text: &str) {
    if let Some(t) = stack.last_mut() {
        t.text.push_str(text);
    }
}

/// OPAQUE content as our XML codec would write the element's value.
fn render_opaque(element: &str, data: &[u8]) -> String {
    let tables: [&dyn CspTokens; 3] = [&TOKENS_11, &TOKENS_12, &TOKENS_13];
    let typed = |c: Content| tables.iter().any(|t| t.content(element) == c);
    if typed(Content::Integer) && data.len() <= 4 {
        let n = data.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b));
        return n.to_string();
    }
    if typed(Content::DateTime) {
        if let Some(dt) = DateTime::from_packed(data) {
            return dt.to_string();
        }
    }
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPABILITY_11: &str = "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.1\">\
        <Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID>\
        </SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request\
        </TransactionMode><TransactionID>2</TransactionID></TransactionDescriptor>\
        <TransactionContent xmlns=\"http://www.wireless-village.org/TRC1.1\">\
        <ClientCapability-Request><ClientID><URL>x</URL></ClientID><CapabilityList>\
        <AcceptedContentLength>262144</AcceptedContentLength>\
        <SupportedCIRMethod>SSMS</SupportedCIRMethod><SupportedCIRMethod>SHTTP\
        </SupportedCIRMethod></CapabilityList></ClientCapability-Request></TransactionContent>\
        </Transaction></Session></WV-CSP-Message>";

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn table_is_1_3_plus_the_kept_1_2_tags() {
        let t = android_table();
        assert_eq!(t.tag_token("AcceptedContentLength"), Some((0x03, 0x06)));
        assert_eq!(t.tag_name(0x03, 0x06), Some("AcceptedContentLength"));
        assert_eq!(t.tag_name(0x04, 0x1E), Some("AutoSubscribe"));
        assert_eq!(t.tag_name(0x09, 0x0B), Some("AnswerOptionText"));
        assert_eq!(t.tag_name(0x03, 0x14), Some("CIRHTTPAddress"));
        for (page, code) in [(0x01, 0x09), (0x02, 0x0A), (0x02, 0x0E), (0x02, 0x13)] {
            assert_eq!(t.tag_name(page, code), None, "{page:#x} {code:#x}");
        }
        assert_eq!(t.tag_name(0x09, 0x0C), None);
        assert_eq!(t.tag_name(0x05, 0x36), None);
        assert_eq!(t.tag_token("CALI"), None);
        assert_eq!(t.ext_t_token("SSMS"), Some((0, 0xA4)));
        assert_eq!(t.ext_t(0, 0x68), Some("AP"));
        for index in [0x5E, 0x69, 0x6A, 0x76, 0x77, 0x92] {
            assert_eq!(t.ext_t(0, index), None, "{index:#x}");
        }
        assert_eq!(t.ext_t_token("AUDIO_CALL"), None);
    }

    #[test]
    fn encodes_a_1_1_capability_request_with_1_3_tokens() {
        let bytes = encode_like_android(CAPABILITY_11, CspVersion::V1_1).expect("encodes");
        assert_eq!(&bytes[..4], &[0x03, 0x10, 0x6A, 0x00]);
        // SupportedCIRMethod (page 3 0x10, content) with SSMS = EXT_T_0 0xA4 (mb 81 24), then
        // SHTTP = 0xA5 (81 25), each closed with END.
        assert!(contains(
            &bytes,
            &[0x50, 0x80, 0x81, 0x24, 0x01, 0x50, 0x80, 0x81, 0x25, 0x01]
        ));
        // AcceptedContentLength = page 3 0x06 with OPAQUE 262144 = 04 00 00.
        assert!(contains(
            &bytes,
            &[0x46, 0xC3, 0x03, 0x04, 0x00, 0x00, 0x01]
        ));
        // xmlns as attribute-start token 0x05 + "1.1".
        assert!(contains(
            &bytes,
            &[0xC9, 0x05, 0x03, b'1', b'.', b'1', 0x00, 0x01]
        ));
        let tree = decode_like_android(&bytes).expect("Android reads its own output");
        assert_eq!(
            tree.find("AcceptedContentLength").map(|t| t.text.as_str()),
            Some("262144")
        );
        let methods: Vec<&str> = tree
            .find("CapabilityList")
            .expect("list")
            .children
            .iter()
            .filter(|c| c.name == "SupportedCIRMethod")
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(methods, ["SSMS", "SHTTP"]);
    }

    #[test]
    fn uses_the_version_public_id_and_1_3_tokens_in_1_3() {
        let xml =
            "<WV-CSP-Message><CapabilityList><AcceptedContentLength>0</AcceptedContentLength>\
                   </CapabilityList></WV-CSP-Message>";
        for (v, id) in [
            (CspVersion::V1_1, 0x10),
            (CspVersion::V1_2, 0x11),
            (CspVersion::V1_3, 0x12),
        ] {
            let bytes = encode_like_android(xml, v).expect("encodes");
            assert_eq!(bytes[1], id, "{v}");
            // Android writes 0 as C3 01 00, and AcceptedContentLength as page 3 0x06 in 1.3 too.
            assert!(
                contains(&bytes, &[0x03, 0x46, 0xC3, 0x01, 0x00, 0x01]),
                "{v}"
            );
        }
    }

    #[test]
    fn garbage_integers_replace_the_opaque() {
        let xml = "<WV-CSP-Message><ContentSize>5</ContentSize></WV-CSP-Message>";
        let five = [0xDE, 0xAD, 0xBE, 0xEF, 0x01];
        let bytes =
            encode_like_android_with(xml, CspVersion::V1_2, &Integers::Garbage(five.to_vec()))
                .expect("encodes");
        assert!(contains(
            &bytes,
            &[0x4F, 0xC3, 0x05, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x01]
        ));
        let bytes = encode_like_android(xml, CspVersion::V1_2).expect("encodes");
        assert!(contains(&bytes, &[0x4F, 0xC3, 0x01, 0x05, 0x01]));
    }

    #[test]
    fn names_android_lacks_go_out_literal() {
        let xml = "<WV-CSP-Message><CALI/></WV-CSP-Message>";
        let bytes = encode_like_android(xml, CspVersion::V1_2).expect("encodes");
        // String table "CALI\0"; LITERAL (no content after collapse is off: LITERAL_C + END).
        assert_eq!(&bytes[..5], &[0x03, 0x11, 0x6A, 0x05, b'C']);
        let tree = decode_like_android(&bytes).expect("LITERAL tags are read");
        assert!(tree.find("CALI").is_some());
    }

    #[test]
    fn strict_decoder_stops_on_tokens_android_lacks() {
        // WV-CSP-Message, SWITCH_PAGE 2, CALI (0x0A) without content, END.
        let cali = [0x03, 0x11, 0x6A, 0x00, 0x49, 0x00, 0x02, 0x0A, 0x01];
        assert_eq!(
            decode_like_android(&cali),
            Err(AndroidDecodeError::UnknownTag {
                page: 0x02,
                code: 0x0A
            })
        );
        // 1.2 ReactiveAuthStatus page 9 0x0C.
        let ras = [0x03, 0x11, 0x6A, 0x00, 0x49, 0x00, 0x09, 0x0C, 0x01];
        assert!(matches!(
            decode_like_android(&ras),
            Err(AndroidDecodeError::UnknownTag {
                page: 9,
                code: 0x0C
            })
        ));
        // Value token 0x5E AUDIO_CALL inside Cap (page 5 0x2F).
        let audio = [
            0x03, 0x10, 0x6A, 0x00, 0x49, 0x00, 0x05, 0x6F, 0x80, 0x5E, 0x01, 0x01,
        ];
        assert_eq!(
            decode_like_android(&audio),
            Err(AndroidDecodeError::UnknownValue { index: 0x5E })
        );
        // The same public id does not matter: a 1.3 token in a 1.1 document is read.
        let ssms = [
            0x03, 0x10, 0x6A, 0x00, 0x49, 0x00, 0x03, 0x50, 0x80, 0x81, 0x24, 0x01, 0x01,
        ];
        let tree = decode_like_android(&ssms).expect("reads");
        assert_eq!(
            tree.find("SupportedCIRMethod").map(|t| t.text.as_str()),
            Some("SSMS")
        );
    }
}
