//! tshark's WBXML dissector as an independent WBXML decoder.
//!
//! Method: the WBXML bytes become the body of a synthetic HTTP POST
//! (`Content-Type: application/vnd.wv.csp.wbxml`) in a one-record pcap with link type 147
//! (DLT_USER0); tshark is told by a `user_dlts` UAT entry to hand DLT_USER0 payloads to its HTTP
//! dissector, which passes the body to the WBXML dissector through the media-type table. The
//! dissection is read back as PDML (`-T pdml`) and the WBXML token fields are replayed into a
//! [`Tree`]. Going through HTTP (rather than handing DLT_USER0 straight to `wbxml`) matters only
//! when the public id is not one of the numeric CSP ids: tshark never matches *literal* public
//! ids, but with a CSP media type it falls back to the body fingerprint (`C9 05|08|0B 03 '1.x'`)
//! and, failing that, to CSP 1.2 tables. Without the media type such documents (e.g. libwbxml's
//! CSP 1.2 output) come out as `Tag_0x09` etc.

use std::ffi::OsStr;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::tools::{run_tool, TempDir, Tool};
use crate::tree::{trim_xml_ws, Tree};

/// Largest WBXML document accepted (one pcap record must stay below Wireshark's 256 KiB limit).
const MAX_WBXML: usize = 200_000;

/// One `<field>` of the WBXML protocol subtree in tshark's PDML output.
#[derive(Debug, Default)]
struct Field {
    name: String,
    show: String,
    showname: String,
    value: String,
}

fn pcap_with_http_post(wbxml: &[u8]) -> Vec<u8> {
    let mut payload = format!(
        "POST /imps HTTP/1.1\r\nHost: imps.test\r\nContent-Type: application/vnd.wv.csp.wbxml\r\nContent-Length: {}\r\n\r\n",
        wbxml.len()
    )
    .into_bytes();
    payload.extend_from_slice(wbxml);
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(payload.len() + 40);
    // pcap global header (little endian): magic, version 2.4, thiszone, sigfigs, snaplen, linktype.
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&147u32.to_le_bytes()); // DLT_USER0
                                                  // Record header: ts_sec, ts_usec, incl_len, orig_len.
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

fn attr_value(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for attr in e.attributes().with_checks(false) {
        let attr = attr.map_err(|err| format!("bad PDML attribute: {err}"))?;
        if attr.key.as_ref() == key {
            let v = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("bad PDML attribute value: {err}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The `wbxml.*` fields of the (first) `wbxml` proto in the PDML, in document order;
/// `None` if tshark produced no WBXML dissection at all.
fn wbxml_fields(pdml: &str) -> Result<Option<Vec<Field>>, String> {
    let mut reader = Reader::from_str(pdml);
    let mut depth = 0usize;
    let mut wbxml_depth: Option<usize> = None;
    let mut found = false;
    let mut fields = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("cannot parse tshark PDML: {e}"))?;
        let (e, is_start) = match ev {
            Event::Start(e) => {
                depth += 1;
                (e, true)
            }
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                if wbxml_depth == Some(depth) {
                    wbxml_depth = None;
                }
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "proto" if !found => {
                found = attr_value(&e, "name")?.as_deref() == Some("wbxml");
                if found && is_start {
                    wbxml_depth = Some(depth);
                }
            }
            "field" if wbxml_depth.is_some() => {
                let name = attr_value(&e, "name")?.unwrap_or_default();
                if name.starts_with("wbxml.") {
                    fields.push(Field {
                        name,
                        show: attr_value(&e, "show")?.unwrap_or_default(),
                        showname: attr_value(&e, "showname")?.unwrap_or_default(),
                        value: attr_value(&e, "value")?.unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(found.then_some(fields))
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let chunks = s.as_bytes().chunks_exact(2);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn mb_u_int32(data: &[u8], pos: &mut usize) -> Option<usize> {
    let mut v: usize = 0;
    for _ in 0..5 {
        let b = *data.get(*pos)?;
        *pos += 1;
        v = (v << 7) | usize::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The rendering column of a token line ("Level | State | Codepage | Token | Rendering").
fn rendering(showname: &str) -> &str {
    showname.splitn(5, '|').nth(4).map(str::trim).unwrap_or("")
}

/// Plain text for an OPAQUE token (see the crate docs for the mapping).
fn opaque_text(f: &Field) -> String {
    let payload = hex_decode(&f.value).and_then(|raw| {
        let mut pos = 1; // skip the 0xC3 token
        let len = mb_u_int32(&raw, &mut pos)?;
        raw.get(pos..pos + len).map(<[u8]>::to_vec)
    });
    let hex = payload.as_deref().map(hex_encode).unwrap_or_default();
    if f.showname.trim_start().starts_with("[truncated]") {
        return format!("[tshark label truncated; opaque:{hex}]");
    }
    let r = rendering(&f.showname);
    if let Some(n) = r.strip_prefix("WV-CSP Integer: ") {
        return match n.trim().parse::<i64>() {
            // tshark prints the 32-bit value as signed: 0xFFFFFFFF shows as -1.
            Ok(v) if v < 0 => (v + (1i64 << 32)).to_string(),
            Ok(v) => v.to_string(),
            Err(_) => r.to_string(),
        };
    }
    if let Some(dt) = r.strip_prefix("WV-CSP DateTime: ") {
        // "2001-09-25T16:58:59Z" -> "20010925T165859Z"
        return dt
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
    }
    if r.starts_with('(') && r.ends_with("bytes of unparsed opaque data)") {
        return format!("[opaque:{hex}]");
    }
    r.to_string()
}

/// Plain text for an EXT_T token: "Common Value: 'X'" -> X; anything else verbatim.
fn ext_t_text(show: &str) -> String {
    show.strip_prefix("Common Value: '")
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(show)
        .to_string()
}

struct Builder {
    stack: Vec<Tree>,
    roots: Vec<Tree>,
    in_attrs: bool,
    close_after_attrs: bool,
    tag_page: u8,
    strtbl: Vec<(usize, Vec<u8>)>,
    pending_offset: Option<usize>,
}

impl Builder {
    fn open(&mut self, name: String, token: u8) {
        self.stack.push(Tree::leaf(&name, ""));
        let content = token & 0x40 != 0;
        if token & 0x80 != 0 {
            self.in_attrs = true;
            self.close_after_attrs = !content;
        } else if !content {
            self.close();
        }
    }

    fn close(&mut self) {
        if let Some(mut t) = self.stack.pop() {
            t.text = trim_xml_ws(&t.text).to_string();
            match self.stack.last_mut() {
                Some(p) => p.children.push(t),
                None => self.roots.push(t),
            }
        }
    }

    fn text(&mut self, s: &str) -> Result<(), String> {
        match self.stack.last_mut() {
            Some(t) => {
                t.text.push_str(s);
                Ok(())
            }
            None => Err(format!(
                "tshark shows content outside the root element: {s:?}"
            )),
        }
    }

    fn string_table(&self, index: usize) -> Option<String> {
        let (off, bytes) = self
            .strtbl
            .iter()
            .find(|(off, b)| *off <= index && index < off + b.len())?;
        let rest = &bytes[index - off..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    fn token(&self, f: &Field) -> u8 {
        hex_decode(&f.value)
            .and_then(|v| v.first().copied())
            .unwrap_or(0)
    }

    fn field(&mut self, f: &Field) -> Result<(), String> {
        match f.name.as_str() {
            "wbxml.string_table_item_offset" => self.pending_offset = f.show.parse().ok(),
            "wbxml.string_table_item_string" => {
                if let (Some(off), Some(bytes)) = (self.pending_offset.take(), hex_decode(&f.value))
                {
                    self.strtbl.push((off, bytes));
                }
            }
            // In an attribute list SWITCH_PAGE switches the attribute page: ignored below.
            "wbxml.switch_page" if !self.in_attrs => {
                if let Some(p) = hex_decode(&f.value).and_then(|v| v.get(1).copied()) {
                    self.tag_page = p;
                }
            }
            "wbxml.known_tag" => {
                let token = self.token(f);
                let name = if f.show.starts_with('(') || f.show.starts_with("Tag_0x") {
                    format!(
                        "UNKNOWN-TAG(page 0x{:02X}, token 0x{:02X})",
                        self.tag_page,
                        token & 0x3F
                    )
                } else {
                    f.show.clone()
                };
                self.open(name, token);
            }
            "wbxml.literal" | "wbxml.literal_c" | "wbxml.literal_a" | "wbxml.literal_ac" => {
                let token = self.token(f);
                self.open(f.show.clone(), token);
            }
            "wbxml.end_attribute_list" => {
                self.in_attrs = false;
                if self.close_after_attrs {
                    self.close_after_attrs = false;
                    self.close();
                }
            }
            "wbxml.end_known_tag" | "wbxml.end_literal_tag" => {
                if self.stack.is_empty() {
                    return Err("tshark shows an END without an open element".to_string());
                }
                self.close();
            }
            "wbxml.invalid_token"
            | "wbxml.reserved_2"
            | "wbxml.oversized_uintvar"
            | "wbxml.too_much_recursion"
            | "wbxml.content_type.not_supported"
            | "wbxml.content_type.disabled"
            | "wbxml.data_not_shown" => {
                return Err(format!("tshark: {} ({})", f.showname, f.name));
            }
            _ if self.in_attrs => {}
            "wbxml.str_i" => {
                let s = match hex_decode(&f.value) {
                    Some(raw) if raw.len() >= 2 => {
                        String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned()
                    }
                    _ => f.show.clone(),
                };
                self.text(&s)?;
            }
            "wbxml.str_t" => {
                let s = hex_decode(&f.value)
                    .and_then(|raw| {
                        let mut pos = 1;
                        mb_u_int32(&raw, &mut pos)
                    })
                    .and_then(|i| self.string_table(i))
                    .unwrap_or_else(|| f.show.clone());
                self.text(&s)?;
            }
            "wbxml.ext_t" => self.text(&ext_t_text(&f.show))?,
            "wbxml.opaque_data" => self.text(&opaque_text(f))?,
            "wbxml.entity" => {
                let s = f
                    .show
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .unwrap_or_else(|| format!("&#{};", f.show));
                self.text(&s)?;
            }
            "wbxml.ext_i" | "wbxml.extension_token" => self.text(&f.show)?,
            _ => {}
        }
        Ok(())
    }
}

fn fields_to_tree(fields: &[Field]) -> Result<Tree, String> {
    let mut b = Builder {
        stack: Vec::new(),
        roots: Vec::new(),
        in_attrs: false,
        close_after_attrs: false,
        tag_page: 0,
        strtbl: Vec::new(),
        pending_offset: None,
    };
    for f in fields {
        b.field(f)?;
    }
    if let Some(open) = b.stack.last() {
        return Err(format!(
            "tshark's rendering ends inside <{}> (truncated or malformed WBXML)",
            open.name
        ));
    }
    if b.roots.len() > 1 {
        return Err(format!("tshark shows {} top-level elements", b.roots.len()));
    }
    b.roots
        .pop()
        .ok_or_else(|| "tshark shows no elements".to_string())
}

/// Decode WBXML with tshark's WBXML dissector and return the element tree (with text values as tshark renders them).
///
/// Text values are mapped back to the plain XML value where tshark's rendering allows it:
///
/// * STR_I: the exact bytes of the token (from PDML `value`, UTF-8, lossy), not tshark's display
///   string (which writes newline/tab as `\n`/`\t` but leaves a literal backslash unescaped, so it
///   cannot be reversed). STR_T: resolved against the string table bytes.
/// * EXT_T_0 `Common Value: 'Inband'` -> `Inband`. Unknown indexes keep tshark's text, e.g.
///   `<Unknown WV-CSP 1.2 Common Value token 0x38>`.
/// * OPAQUE integers `WV-CSP Integer: 201` -> `201`; tshark prints 4-byte values as *signed*
///   (0xFFFFFFFF as -1), which is undone here (-1 -> `4294967295`).
/// * OPAQUE DateTime `WV-CSP DateTime: 2001-09-25T16:58:59Z` -> `20010925T165859Z` (zone byte 0
///   renders without a zone letter: `20010925T165859`).
/// * Not mappable, returned verbatim (deterministic): `<Error: invalid binary WV-CSP Integer value
///   (0 bytes of opaque data)>` for the zero-length integer `C3 00` (which libwbxml emits for 0),
///   the same for integers longer than 4 bytes, `<Error: invalid binary WV-CSP DateTime value
///   (N bytes of opaque data)>` for DateTime OPAQUE that is not 6 bytes.
/// * OPAQUE in an element tshark does not type -> `[opaque:<lowercase hex>]`. This includes binary
///   `ContentData`, and in CSP 1.1/1.2 the Search* integers (SearchFindings, SearchID,
///   SearchIndex, SearchLimit) and AcceptedCharset, which tshark types only in 1.3 / never.
/// * ENTITY -> the character.
/// * Unknown tags (`(Requested token not defined for this content type)`) are named
///   `UNKNOWN-TAG(page 0xPP, token 0xTT)`; literal tags keep their string-table name.
///
/// Errors: tshark missing/failing, no WBXML dissection, tshark reporting invalid tokens, or a
/// rendering that ends with open elements (tshark does not flag truncated WBXML as malformed; it
/// just stops). Attributes (xmlns) are ignored like everywhere in [`Tree`].
pub fn tshark_decode(wbxml: &[u8]) -> Result<Tree, String> {
    if wbxml.len() > MAX_WBXML {
        return Err(format!(
            "WBXML document too large for tshark_decode ({} > {MAX_WBXML} bytes)",
            wbxml.len()
        ));
    }
    let dir = TempDir::new("tshark")?;
    let pcap = dir.write("in.pcap", &pcap_with_http_post(wbxml))?;
    let args = [
        OsStr::new("-n"),
        OsStr::new("-r"),
        pcap.as_os_str(),
        OsStr::new("-o"),
        OsStr::new(r#"uat:user_dlts:"User 0 (DLT=147)","http","0","","0","""#),
        OsStr::new("-o"),
        OsStr::new("wbxml.skip_wbxml_token_mapping:FALSE"),
        OsStr::new("-o"),
        OsStr::new("wbxml.disable_wbxml_token_parsing:FALSE"),
        OsStr::new("-T"),
        OsStr::new("pdml"),
    ];
    // A private, empty configuration directory: no user preferences or profiles leak in.
    let envs = [("WIRESHARK_CONFIG_DIR", dir.path().as_os_str())];
    let out = run_tool(Tool::Tshark, &args, &envs, &dir)?;
    if !out.success {
        return Err(format!(
            "tshark failed ({}): {}",
            out.status,
            out.messages()
        ));
    }
    let pdml = String::from_utf8_lossy(&out.stdout);
    let fields = wbxml_fields(&pdml)?.ok_or_else(|| {
        format!(
            "tshark produced no WBXML dissection; stderr: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    fields_to_tree(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, show: &str, showname: &str, value: &str) -> Field {
        Field {
            name: name.into(),
            show: show.into(),
            showname: showname.into(),
            value: value.into(),
        }
    }

    #[test]
    fn opaque_renderings() {
        let f = |showname: &str, value: &str| {
            opaque_text(&field("wbxml.opaque_data", "", showname, value))
        };
        let line = "   15 | Tag   | T   0    | OPAQUE (Opaque data)            |          ";
        assert_eq!(f(&format!("{line}WV-CSP Integer: 201"), "c301c9"), "201");
        assert_eq!(
            f(&format!("{line}WV-CSP Integer: -1"), "c304ffffffff"),
            "4294967295"
        );
        assert_eq!(
            f(
                &format!("{line}WV-CSP DateTime: 2001-09-25T16:58:59Z"),
                "c3061f46730ebb5a"
            ),
            "20010925T165859Z"
        );
        assert_eq!(
            f(
                &format!("{line}(3 bytes of unparsed opaque data)"),
                "c303010203"
            ),
            "[opaque:010203]"
        );
        assert_eq!(
            f(
                &format!(
                    "{line}<Error: invalid binary WV-CSP Integer value (0 bytes of opaque data)>"
                ),
                "c300"
            ),
            "<Error: invalid binary WV-CSP Integer value (0 bytes of opaque data)>"
        );
        assert_eq!(
            f(
                " [truncated]    15 | Tag | T 0 | OPAQUE | WV-CSP Inte",
                "c301c9"
            ),
            "[tshark label truncated; opaque:c9]"
        );
    }

    #[test]
    fn ext_renderings() {
        assert_eq!(ext_t_text("Common Value: 'Inband'"), "Inband");
        assert_eq!(
            ext_t_text("Common Value: '<Unknown WV-CSP 1.2 Common Value token 0x38>'"),
            "<Unknown WV-CSP 1.2 Common Value token 0x38>"
        );
        assert_eq!(
            ext_t_text("(Extension Token, integer value: 17)"),
            "(Extension Token, integer value: 17)"
        );
    }

    #[test]
    fn replays_tokens() {
        let fields = vec![
            field("wbxml.string_table_item_offset", "0", "", ""),
            field(
                "wbxml.string_table_item_string",
                "Hello",
                "",
                "48656c6c6f00",
            ),
            field("wbxml.known_tag", "WV-CSP-Message", "", "c9"),
            field("wbxml.known_attrstart", "xmlns='x'", "", "08"),
            field("wbxml.str_i", "1.2", "", "03312e3200"),
            field("wbxml.end_attribute_list", "", "", ""),
            field("wbxml.switch_page", "9", "", "0009"),
            field(
                "wbxml.known_tag",
                "(Requested token not defined for this content type)",
                "",
                "65",
            ),
            field("wbxml.str_i", "a\\tb", "", "036109620a00"),
            field("wbxml.end_known_tag", "", "", "01"),
            field("wbxml.known_tag", "UserID", "", "3a"),
            field("wbxml.literal_c", "llo", "", "44"),
            field("wbxml.str_t", "llo", "", "8302"),
            field("wbxml.entity", "20048", "", "02819c50"),
            field("wbxml.end_literal_tag", "llo", "", "01"),
            field("wbxml.end_known_tag", "", "", "01"),
        ];
        let t = fields_to_tree(&fields).expect("tree");
        let expected = Tree::node(
            "WV-CSP-Message",
            vec![
                Tree::leaf("UNKNOWN-TAG(page 0x09, token 0x25)", "a\tb"),
                Tree::leaf("UserID", ""),
                Tree::leaf("llo", "llo乐"),
            ],
        );
        assert_eq!(t, expected, "{}", expected.diff(&t).unwrap_or_default());

        let unclosed = &fields[..8];
        assert!(fields_to_tree(unclosed).is_err());
    }
}
