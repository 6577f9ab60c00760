//! libwbxml (`xml2wbxml` / `wbxml2xml`, libwbxml 0.11.8 as packaged by Debian) as an independent
//! WBXML codec. See the crate documentation for the behaviours found by experiment.

use std::ffi::OsStr;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::tools::{run_tool, TempDir, Tool};
use crate::tree::Tree;

/// CSP protocol version, as far as these helpers need to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CspVersion {
    V11,
    V12,
    V13,
}

/// DOCTYPE that libwbxml 0.11.8 recognises as CSP 1.1. Public id `-//WIRELESSVILLAGE//DTD CSP 1.1//EN`
/// is NOT accepted (with its system id: "The XML language is unknown"; with an empty system id it is
/// silently encoded as WAP CHANNEL 1.1 with every element a LITERAL).
pub const LIBWBXML_DOCTYPE_CSP11: &str = r#"<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.1//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.XML">"#;
/// DOCTYPE that libwbxml 0.11.8 recognises as CSP 1.2.
pub const LIBWBXML_DOCTYPE_CSP12: &str = r#"<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.DTD">"#;

/// Read a WBXML mb_u_int32 at `*pos`.
fn mb_u_int32(data: &[u8], pos: &mut usize) -> Option<u32> {
    let mut v: u32 = 0;
    for _ in 0..5 {
        let b = *data.get(*pos)?;
        *pos += 1;
        v = v.checked_mul(128)? | u32::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn version_from_public_text(s: &str) -> Option<CspVersion> {
    if s.contains("CSP 1.1") {
        Some(CspVersion::V11)
    } else if s.contains("CSP 1.2") {
        Some(CspVersion::V12)
    } else if s.contains("CSP 1.3") {
        Some(CspVersion::V13)
    } else {
        None
    }
}

/// CSP version of a WBXML document: numeric public id (0x10/0x11/0x12), else a literal public id
/// from the string table, else the body fingerprint `C9 05|08|0B` (root xmlns attribute token).
pub(crate) fn wbxml_csp_version(wbxml: &[u8]) -> Option<CspVersion> {
    let version = *wbxml.first()?;
    let mut pos = 1;
    let public_id = mb_u_int32(wbxml, &mut pos)?;
    let literal_index = if public_id == 0 {
        Some(mb_u_int32(wbxml, &mut pos)? as usize)
    } else {
        None
    };
    if version >= 1 {
        mb_u_int32(wbxml, &mut pos)?; // charset
    }
    let strtbl_len = mb_u_int32(wbxml, &mut pos)? as usize;
    let strtbl = wbxml.get(pos..pos.checked_add(strtbl_len)?)?;
    let body = &wbxml[pos + strtbl_len..];
    let by_id = match public_id {
        0x10 => Some(CspVersion::V11),
        0x11 => Some(CspVersion::V12),
        0x12 => Some(CspVersion::V13),
        _ => None,
    };
    if by_id.is_some() {
        return by_id;
    }
    if let Some(i) = literal_index {
        if let Some(rest) = strtbl.get(i..) {
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            if let Some(v) = version_from_public_text(&String::from_utf8_lossy(&rest[..end])) {
                return Some(v);
            }
        }
    }
    match body {
        [0xC9, 0x05, ..] => Some(CspVersion::V11),
        [0xC9, 0x08, ..] => Some(CspVersion::V12),
        [0xC9, 0x0B, ..] => Some(CspVersion::V13),
        _ => None,
    }
}

/// Decode WBXML with libwbxml's wbxml2xml (temp files in a unique temp dir; clean up), returning the tree.
///
/// The language is forced with `-l`: CSP 1.1 documents (public id 0x10, a literal CSP 1.1 public
/// id, or root attribute token 0x05) with `CSP11`, everything else recognisably CSP with `CSP12`
/// (wbxml2xml 0.11.8 rejects the numeric public id 0x11 with "Unknown Public ID" unless forced).
/// **CSP 1.3 (public id 0x12) is decoded with the 1.2 tables** because libwbxml has none for 1.3:
/// tokens shared with 1.2 decode correctly, 1.3-only tags come out as `<unknown>`, 1.3-only value
/// tokens are silently dropped, and codes that 1.3 reassigned get their 1.2 name (e.g. page 9 0x0B
/// decodes as `ReactiveAuthState`, not `AnswerOptionText`). The 1.3 xmlns attribute token 0x0B is
/// rendered as an attribute named `unknown` (ignored by [`Tree`]).
/// Documents that are not recognisably CSP are passed without `-l`.
///
/// Errors carry wbxml2xml's message and exit status; note wbxml2xml 0.11.8 can crash with SIGSEGV
/// on some inputs (seen: an integer element followed by an unknown tag holding OPAQUE data).
pub fn libwbxml_decode(wbxml: &[u8]) -> Result<Tree, String> {
    let dir = TempDir::new("wbxml2xml")?;
    let input = dir.write("in.wbxml", wbxml)?;
    let output = dir.file("out.xml");
    let mut args: Vec<&OsStr> = Vec::new();
    match wbxml_csp_version(wbxml) {
        Some(CspVersion::V11) => args.extend([OsStr::new("-l"), OsStr::new("CSP11")]),
        Some(CspVersion::V12 | CspVersion::V13) => {
            args.extend([OsStr::new("-l"), OsStr::new("CSP12")])
        }
        None => {}
    }
    // -m 0: compact output (no indentation whitespace). Text trimming is left to libwbxml's
    // default (ignorable whitespace dropped); Tree trims surrounding whitespace anyway.
    args.extend([
        OsStr::new("-m"),
        OsStr::new("0"),
        OsStr::new("-o"),
        output.as_os_str(),
        input.as_os_str(),
    ]);
    let out = run_tool(Tool::Wbxml2Xml, &args, &[], &dir)?;
    if !out.success {
        return Err(format!(
            "wbxml2xml failed ({}): {}",
            out.status,
            out.messages()
        ));
    }
    let xml = dir.read("out.xml")?;
    Tree::parse_xml(&xml)
        .map(restore_zero_seconds)
        .map_err(|e| {
            format!(
                "cannot parse wbxml2xml output: {e}\n{}",
                String::from_utf8_lossy(&xml)
            )
        })
}

/// wbxml2xml renders a packed DateTime whose seconds are 0 without them (`20251104T1015Z`; its
/// own encoder's output comes back the same way): put the seconds back so trees compare by value.
fn restore_zero_seconds(mut t: Tree) -> Tree {
    let is_date = t.name == "DateTime" || t.name == "DeliveryTime";
    let b = t.text.as_bytes();
    if is_date && b.len() == 14 && b[8] == b'T' && b[13] == b'Z' {
        t.text.insert_str(13, "00");
    }
    t.children = t.children.into_iter().map(restore_zero_seconds).collect();
    t
}

/// Version of an XML CSP document, the byte offset of its root element, from the root `xmlns`
/// (or, failing that, a CSP DOCTYPE public id).
fn xml_csp_version(xml: &str) -> Result<(CspVersion, usize), String> {
    let mut reader = Reader::from_str(xml);
    let mut doctype: Option<String> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        match reader
            .read_event()
            .map_err(|e| format!("XML parse error at byte {pos}: {e}"))?
        {
            Event::DocType(t) => doctype = Some(t.to_string()),
            Event::Start(e) | Event::Empty(e) => {
                let mut xmlns: Option<String> = None;
                for attr in e.attributes() {
                    let attr = attr.map_err(|err| format!("bad attribute on root: {err}"))?;
                    if attr.key.as_ref() == "xmlns" {
                        xmlns = Some(
                            attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map_err(|err| format!("bad xmlns value: {err}"))?
                                .into_owned(),
                        );
                    }
                }
                let by_ns = xmlns.as_deref().and_then(|ns| {
                    let ns = ns.trim();
                    if ns.ends_with("CSP1.1") {
                        Some(CspVersion::V11)
                    } else if ns.ends_with("CSP1.2") {
                        Some(CspVersion::V12)
                    } else if ns.ends_with("CSP1.3") {
                        Some(CspVersion::V13)
                    } else {
                        None
                    }
                });
                let v = by_ns
                    .or_else(|| doctype.as_deref().and_then(version_from_public_text))
                    .ok_or_else(|| {
                        format!(
                            "cannot tell the CSP version: root xmlns is {xmlns:?} and DOCTYPE is {doctype:?}"
                        )
                    })?;
                return Ok((v, pos));
            }
            Event::Eof => return Err("document has no root element".to_string()),
            _ => {}
        }
    }
}

/// Encode XML with libwbxml's xml2wbxml, returning the WBXML bytes. (libwbxml needs a DOCTYPE to know the language: if the XML has none, insert the right one, detected from the root xmlns.)
///
/// What is actually done: the prolog (XML declaration, any DOCTYPE, comments) is replaced by
/// `<?xml version="1.0" encoding="UTF-8"?>` and the one DOCTYPE libwbxml 0.11.8 accepts for the
/// version ([`LIBWBXML_DOCTYPE_CSP11`] / [`LIBWBXML_DOCTYPE_CSP12`]); the version comes from the
/// root `xmlns` (`…CSP1.1`, `…WV-CSP1.2`), else from a CSP public id in an existing DOCTYPE.
/// CSP 1.3 is rejected (libwbxml has no 1.3 tables). Without a DOCTYPE xml2wbxml fails with
/// "The XML language is unknown".
///
/// `-n` (no string table) is **not** used: in CSP mode libwbxml never puts content strings in a
/// string table anyway (output with and without `-n` is byte-identical), and both modes fail on
/// unknown element names ("String Table generation disabled: can't encode Literal").
///
/// Shape of the output (differs from Android/Nokia encoders, see crate docs): CSP 1.1 gets public
/// id 0x10, CSP 1.2 gets a *literal* public id (`03 00 00 6A 1B` + string table holding
/// `-//OMA//DTD WV-CSP 1.2//EN`); `xmlns` attributes are dropped (root token 0x49, not 0xC9);
/// integers are OPAQUE with 0 encoded as `C3 00`; DateTime/DeliveryTime with a zone letter stay
/// STR_I (only zone-less `YYYYMMDDThhmmss` becomes OPAQUE).
pub fn libwbxml_encode(xml: &[u8]) -> Result<Vec<u8>, String> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml).map_err(|e| format!("XML is not valid UTF-8: {e}"))?;
    let (version, root_start) = xml_csp_version(text)?;
    let doctype = match version {
        CspVersion::V11 => LIBWBXML_DOCTYPE_CSP11,
        CspVersion::V12 => LIBWBXML_DOCTYPE_CSP12,
        CspVersion::V13 => {
            return Err(
                "libwbxml 0.11.8 has no CSP 1.3 tables; xml2wbxml cannot encode CSP 1.3"
                    .to_string(),
            )
        }
    };
    let mut doc = String::with_capacity(text.len() + 200);
    doc.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    doc.push_str(doctype);
    doc.push('\n');
    doc.push_str(&text[root_start..]);

    let dir = TempDir::new("xml2wbxml")?;
    let input = dir.write("in.xml", doc.as_bytes())?;
    let output = dir.file("out.wbxml");
    let args = [OsStr::new("-o"), output.as_os_str(), input.as_os_str()];
    let out = run_tool(Tool::Xml2Wbxml, &args, &[], &dir)?;
    if !out.success {
        return Err(format!(
            "xml2wbxml failed ({}): {}",
            out.status,
            out.messages()
        ));
    }
    dir.read("out.wbxml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_wbxml_version() {
        assert_eq!(
            wbxml_csp_version(&[3, 0x10, 0x6A, 0, 0x49, 1]),
            Some(CspVersion::V11)
        );
        assert_eq!(
            wbxml_csp_version(&[3, 0x11, 0x6A, 0, 0x49, 1]),
            Some(CspVersion::V12)
        );
        assert_eq!(
            wbxml_csp_version(&[3, 0x12, 0x6A, 0, 0x49, 1]),
            Some(CspVersion::V13)
        );
        let mut lit = vec![3, 0, 0, 0x6A, 27];
        lit.extend_from_slice(b"-//OMA//DTD WV-CSP 1.2//EN\0");
        lit.extend_from_slice(&[0x49, 1]);
        assert_eq!(wbxml_csp_version(&lit), Some(CspVersion::V12));
        assert_eq!(
            wbxml_csp_version(&[3, 1, 0x6A, 0, 0xC9, 0x0B, 3, b'1', b'.', b'3', 0, 1, 1]),
            Some(CspVersion::V13)
        );
        assert_eq!(wbxml_csp_version(&[3, 1, 0x6A, 0, 0x45, 1]), None);
        assert_eq!(wbxml_csp_version(&[3, 0x80]), None);
    }

    #[test]
    fn detects_xml_version() {
        let x = r#"<?xml version="1.0"?>
<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session/></WV-CSP-Message>"#;
        let (v, at) = xml_csp_version(x).expect("version");
        assert_eq!(v, CspVersion::V11);
        assert!(x[at..].starts_with("<WV-CSP-Message"));
        let x = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/WV-CSP1.2"/>"#;
        assert_eq!(xml_csp_version(x).expect("version").0, CspVersion::V12);
        let x = r#"<!DOCTYPE WV-CSP-Message PUBLIC "-//WIRELESSVILLAGE//DTD CSP 1.1//EN" "x"><WV-CSP-Message/>"#;
        assert_eq!(xml_csp_version(x).expect("version").0, CspVersion::V11);
        assert!(xml_csp_version("<WV-CSP-Message/>").is_err());
        assert!(libwbxml_encode(
            br#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"/>"#
        )
        .is_err());
    }
}
