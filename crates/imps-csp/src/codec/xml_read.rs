//! XML [`Source`]: quick-xml events mapped onto canonical element names, with limits.
//!
//! Lenient as real clients need: namespace prefixes ignored, alternative spellings mapped, a
//! DOCTYPE without internal subset tolerated (it names the version). Refused: an internal DTD
//! subset, any entity other than the five predefined ones and character references.
//!
//! Text (character data, CDATA, resolved references) and the root's namespace values count
//! against the document's budget of decoded bytes ([`Limits::decoded_budget`]) as in WBXML.
//! XML has no expanding construct left (no entity declarations), so a document decodes to at
//! most its own size; the budget keeps that true whatever the parser becomes.

use std::borrow::Cow;

use quick_xml::events::Event;

use super::{read_text_rest, Ev, Name, Raw, Source};
use crate::error::DecodeError;
use crate::names::ElementId;
use crate::version::CspVersion;
use crate::Limits;

/// Decodes one CSP XML document.
pub struct XmlSource<'a> {
    input: &'a str,
    reader: quick_xml::Reader<&'a [u8]>,
    version: CspVersion,
    root: Option<Name<'a>>,
    pending_end: bool,
    depth: usize,
    elements: usize,
    done: bool,
    limits: Limits,
    /// Bytes of text handed out so far (and of the root's namespace values).
    decoded: usize,
    /// This document's budget of decoded bytes ([`Limits::decoded_budget`]).
    decoded_budget: usize,
}

impl<'a> XmlSource<'a> {
    /// Reads the prolog and the root element's start, and detects the version from the root's
    /// `xmlns` (or the DOCTYPE public identifier).
    pub fn new(input: &'a [u8], limits: Limits) -> Result<Self, DecodeError> {
        if input.len() > limits.max_total_size {
            return Err(DecodeError::LimitExceeded {
                limit: "total size",
                max: limits.max_total_size,
            });
        }
        let input = std::str::from_utf8(input)
            .map_err(|e| DecodeError::Malformed(format!("invalid UTF-8: {e}")))?;
        let input_body = input.strip_prefix('\u{feff}').unwrap_or(input);
        let decoded_budget = limits.decoded_budget(input.len());
        let mut decoded = 0usize;
        let mut reader = quick_xml::Reader::from_str(input_body);
        let cfg = reader.config_mut();
        cfg.trim_text(false);
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
        let mut doctype_version = None;
        loop {
            let ev = reader.read_event().map_err(xml_err)?;
            match ev {
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Text(t) if t.chars().all(|c| c.is_ascii_whitespace()) => {}
                Event::DocType(d) => {
                    let d: &str = &d;
                    if d.contains('[') || d.contains("<!ENTITY") {
                        return Err(DecodeError::Dtd);
                    }
                    doctype_version = d
                        .split('"')
                        .chain(d.split('\''))
                        .find_map(CspVersion::from_public_identifier);
                }
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let is_empty = matches!(ev, Event::Empty(_));
                    let mut version = None;
                    for attr in e.attributes() {
                        let attr = attr.map_err(|err| {
                            DecodeError::Malformed(format!("bad attribute: {err}"))
                        })?;
                        let key = attr.key.as_ref();
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            // Normalisation only changes values with references or
                            // whitespace other than spaces.
                            let plain = !attr
                                .value
                                .bytes()
                                .any(|b| matches!(b, b'&' | b'\t' | b'\r' | b'\n'));
                            let value = if plain {
                                attr.value.clone()
                            } else {
                                attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map_err(xml_err)?
                            };
                            decoded = charge(decoded, value.len(), decoded_budget)?;
                            if let Some(v) = CspVersion::from_namespace(&value) {
                                version = Some(v);
                            } else if key == "xmlns" {
                                return Err(DecodeError::UnsupportedVersion(value.into_owned()));
                            }
                        }
                    }
                    let version = version.or(doctype_version).ok_or_else(|| {
                        DecodeError::UnsupportedVersion("no CSP namespace".into())
                    })?;
                    let name = borrowed_name(input_body, e)?;
                    return Ok(XmlSource {
                        input: input_body,
                        reader,
                        version,
                        root: Some(name),
                        pending_end: is_empty,
                        depth: 1,
                        elements: 1,
                        done: false,
                        limits,
                        decoded,
                        decoded_budget,
                    });
                }
                Event::Eof => return Err(DecodeError::Malformed("no root element".into())),
                Event::GeneralRef(_) | Event::Text(_) | Event::CData(_) => {
                    return Err(DecodeError::Malformed(
                        "content before the root element".into(),
                    ))
                }
                Event::End(_) => {
                    return Err(DecodeError::Malformed(
                        "end tag before the root element".into(),
                    ))
                }
            }
        }
    }

    /// Text whose characters were already checked, within the string-length limit and the
    /// document's budget of decoded bytes.
    fn text_checked(&mut self, t: Cow<'a, str>) -> Result<Ev<'a>, DecodeError> {
        if t.len() > self.limits.max_string_len {
            return Err(DecodeError::LimitExceeded {
                limit: "string length",
                max: self.limits.max_string_len,
            });
        }
        self.decoded = charge(self.decoded, t.len(), self.decoded_budget)?;
        Ok(Ev::Text(t))
    }
}

/// `decoded + len`, or the "decoded bytes" limit error beyond `budget`.
#[inline(always)]
fn charge(decoded: usize, len: usize, budget: usize) -> Result<usize, DecodeError> {
    let total = decoded.saturating_add(len);
    if total > budget {
        return Err(DecodeError::LimitExceeded {
            limit: "decoded bytes",
            max: budget,
        });
    }
    Ok(total)
}

/// The local name of a start tag: canonical spelling and id when known, else borrowed from the
/// input.
fn borrowed_name<'a>(
    input: &'a str,
    e: &quick_xml::events::BytesStart<'_>,
) -> Result<Name<'a>, DecodeError> {
    let qname = e.name();
    let full: &str = qname.as_ref();
    // Most names have no prefix: try the whole name before looking for one.
    if let Some(i) = crate::tokens::element_index(full.as_bytes()) {
        return Ok(Name::known(ElementId::from_index(i)));
    }
    // Local name: after the prefix, if any (a byte scan: names are short).
    let local_bytes = match full.bytes().position(|b| b == b':') {
        Some(i) => full.get(i + 1..).unwrap_or(full),
        None => full,
    };
    if local_bytes.len() != full.len() {
        if let Some(i) = crate::tokens::element_index(local_bytes.as_bytes()) {
            return Ok(Name::known(ElementId::from_index(i)));
        }
    }
    // The tag's text borrows from the input: find it there to return the input's lifetime.
    let base = input.as_ptr() as usize;
    let ptr = local_bytes.as_ptr() as usize;
    if ptr >= base {
        let off = ptr - base;
        // Same address and length inside the input: the very same bytes.
        if let Some(s) = input.get(off..off + local_bytes.len()) {
            return Ok(Name::new(s));
        }
    }
    Err(DecodeError::Malformed(
        "element name not found in the input".into(),
    ))
}

/// XML 1.0 allows no C0 control character other than tab, CR and LF, literally or by reference.
fn check_chars(t: &str) -> Result<(), DecodeError> {
    scan_text(t.as_bytes()).map(|_| ()).map_err(control_char)
}

#[cold]
fn control_char(b: u8) -> DecodeError {
    DecodeError::Malformed(format!("control character U+{b:04X} in text"))
}

/// Checks text for C0 control characters other than tab, LF and CR: `Ok(has_cr)`, or the first
/// forbidden byte. Eight bytes at a time; only words holding a byte below 0x20 are looked at
/// byte by byte.
#[inline]
fn scan_text(t: &[u8]) -> Result<bool, u8> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut has_cr = false;
    let mut classify = |b: u8| -> Result<(), u8> {
        if b < 0x20 {
            match b {
                b'\r' => has_cr = true,
                b'\t' | b'\n' => {}
                _ => return Err(b),
            }
        }
        Ok(())
    };
    let mut chunks = t.chunks_exact(8);
    for chunk in &mut chunks {
        let word = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_ne_bytes);
        // Non-zero iff some byte is below 0x20 (exact for this test; see "haszero" tricks).
        if word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0 {
            for &b in chunk {
                classify(b)?;
            }
        }
    }
    for &b in chunks.remainder() {
        classify(b)?;
    }
    Ok(has_cr)
}

fn xml_err(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Malformed(e.to_string())
}

impl<'a> Source<'a> for XmlSource<'a> {
    fn version(&self) -> CspVersion {
        self.version
    }

    fn next(&mut self) -> Result<Ev<'a>, DecodeError> {
        self.event()
    }

    fn text(&mut self, element: &'static str) -> Result<Cow<'a, str>, DecodeError> {
        // One call for the usual text-then-end (or empty) leaf instead of two.
        let first = match self.event()? {
            Ev::End => return Ok(Cow::Borrowed("")),
            Ev::Text(t) => t,
            other => return read_text_rest(self, element, None, other),
        };
        match self.event()? {
            Ev::End => Ok(first),
            other => read_text_rest(self, element, Some(first), other),
        }
    }

    fn raw(&mut self, element: &'static str) -> Result<Raw<'a>, DecodeError> {
        // No OPAQUE in XML: the content is always text.
        self.text(element).map(Raw::Text)
    }
}

impl<'a> XmlSource<'a> {
    /// The next event (the body of [`Source::next`], inlined where a fast path needs it).
    #[inline(always)]
    fn event(&mut self) -> Result<Ev<'a>, DecodeError> {
        if let Some(root) = self.root.take() {
            return Ok(Ev::Start(root));
        }
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            if self.depth == 0 {
                self.done = true;
            }
            return Ok(Ev::End);
        }
        if self.done {
            // After the root: only whitespace, comments and PIs may follow.
            loop {
                match self.reader.read_event().map_err(xml_err)? {
                    Event::Eof => return Ok(Ev::Eof),
                    Event::Comment(_) | Event::PI(_) => {}
                    Event::Text(t) if t.chars().all(|c| c.is_ascii_whitespace()) => {}
                    _ => {
                        return Err(DecodeError::Malformed(
                            "content after the root element".into(),
                        ))
                    }
                }
            }
        }
        loop {
            let ev = self.reader.read_event().map_err(xml_err)?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    self.elements += 1;
                    if self.elements > self.limits.max_elements {
                        return Err(DecodeError::LimitExceeded {
                            limit: "elements",
                            max: self.limits.max_elements,
                        });
                    }
                    self.depth += 1;
                    if self.depth > self.limits.max_depth {
                        return Err(DecodeError::LimitExceeded {
                            limit: "depth",
                            max: self.limits.max_depth,
                        });
                    }
                    if matches!(ev, Event::Empty(_)) {
                        self.pending_end = true;
                    }
                    return Ok(Ev::Start(borrowed_name(self.input, e)?));
                }
                Event::End(_) => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.done = true;
                    }
                    return Ok(Ev::End);
                }
                Event::Text(t) => {
                    // One pass: refuse control characters, and normalise line ends only when
                    // there is a CR to normalise.
                    let has_cr = match scan_text(t.as_bytes()) {
                        Ok(has_cr) => has_cr,
                        Err(b) => return Err(control_char(b)),
                    };
                    let text = if has_cr {
                        t.xml10_content()
                    } else {
                        t.into_inner()
                    };
                    return self.text_checked(text);
                }
                Event::CData(c) => {
                    let text = c.into_inner();
                    check_chars(&text)?;
                    return self.text_checked(text);
                }
                Event::GeneralRef(r) => {
                    let ch = match r.resolve_char_ref().map_err(xml_err)? {
                        Some(c) => c,
                        None => match &*r {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            other => {
                                return Err(DecodeError::UnknownEntity(
                                    other.chars().take(64).collect(),
                                ));
                            }
                        },
                    };
                    let mut buf = [0u8; 4];
                    let s = ch.encode_utf8(&mut buf);
                    check_chars(s)?;
                    return self.text_checked(Cow::Owned(s.to_owned()));
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::DocType(_) => return Err(DecodeError::Dtd),
                Event::Eof => {
                    return Err(DecodeError::Malformed("unexpected end of document".into()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scan_text;

    #[test]
    fn text_scan_finds_every_control_character_at_every_position() {
        for len in 0..20 {
            let plain = vec![b'a'; len];
            assert_eq!(scan_text(&plain), Ok(false));
            for at in 0..len {
                for b in 0u8..0x20 {
                    let mut t = plain.clone();
                    t[at] = b;
                    let expected = match b {
                        b'\r' => Ok(true),
                        b'\t' | b'\n' => Ok(false),
                        _ => Err(b),
                    };
                    assert_eq!(scan_text(&t), expected, "len {len} at {at} byte {b:#04x}");
                }
            }
        }
        // Bytes at and above 0x20, including UTF-8 continuation bytes, pass.
        let all: Vec<u8> = (0x20u8..=0xFF).collect();
        assert_eq!(scan_text(&all), Ok(false));
        assert_eq!(scan_text("Grüße\r\n😀".as_bytes()), Ok(true));
    }
}
