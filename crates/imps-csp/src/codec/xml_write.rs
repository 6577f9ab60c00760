//! XML [`Sink`]: strict output in the version's namespaces, no DOCTYPE, no XML declaration.

use base64::Engine;

use super::{DateTime, Sink};
use crate::error::EncodeError;
use crate::names;
use crate::version::CspVersion;

/// Writes one CSP XML document.
pub struct XmlSink {
    out: String,
    version: CspVersion,
    stack: Vec<std::borrow::Cow<'static, str>>,
    open_tag: bool,
    lossy: bool,
}

impl XmlSink {
    /// A sink for `version`, writing into `buf` (cleared first; reuse it to avoid allocations).
    pub fn new(version: CspVersion, mut buf: String) -> Self {
        buf.clear();
        XmlSink {
            out: buf,
            version,
            stack: Vec::with_capacity(16),
            open_tag: false,
            lossy: false,
        }
    }

    /// A sink that writes U+FFFD for a character XML cannot carry (C0 controls, U+FFFE,
    /// U+FFFF) instead of failing: for answers to clients, which must go out whatever text
    /// another client sent over WBXML (where those characters are allowed).
    pub fn lossy(version: CspVersion, buf: String) -> Self {
        XmlSink {
            lossy: true,
            ..XmlSink::new(version, buf)
        }
    }

    /// The document written.
    pub fn finish(self) -> Result<String, EncodeError> {
        if !self.stack.is_empty() {
            return Err(EncodeError::Invalid(format!(
                "{} element(s) left open",
                self.stack.len()
            )));
        }
        Ok(self.out)
    }

    fn close_open_tag(&mut self) {
        if self.open_tag {
            self.out.push('>');
            self.open_tag = false;
        }
    }

    fn open(&mut self, name: std::borrow::Cow<'static, str>) {
        self.close_open_tag();
        self.out.push('<');
        self.out.push_str(&name);
        self.stack.push(name);
        self.open_tag = true;
    }

    fn escape(&mut self, text: &str) -> Result<(), EncodeError> {
        let mut last = 0;
        for (i, c) in text.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\r' => "&#13;",
                '\t' | '\n' => continue,
                c if ((c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}') && self.lossy => {
                    "\u{FFFD}"
                }
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                    return Err(EncodeError::InvalidChar {
                        element: self.stack.last().map(|s| s.to_string()).unwrap_or_default(),
                        code: c as u32,
                    })
                }
                _ => continue,
            };
            self.out.push_str(&text[last..i]);
            self.out.push_str(rep);
            last = i + c.len_utf8();
        }
        self.out.push_str(&text[last..]);
        Ok(())
    }
}

impl Sink for XmlSink {
    fn version(&self) -> CspVersion {
        self.version
    }

    fn start(&mut self, name: &'static str) -> Result<(), EncodeError> {
        self.open(names::wire_name(name, self.version).into());
        Ok(())
    }

    fn start_dyn(&mut self, name: &str) -> Result<(), EncodeError> {
        let valid = name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_alphanumeric() || c == '_' || (i > 0 && matches!(c, '-' | '.')));
        if !valid || name.is_empty() {
            return Err(EncodeError::Invalid(format!("bad element name {name:?}")));
        }
        self.open(name.to_owned().into());
        Ok(())
    }

    fn start_ns(&mut self, name: &'static str, namespace: &'static str) -> Result<(), EncodeError> {
        self.open(names::wire_name(name, self.version).into());
        self.out.push_str(" xmlns=\"");
        self.out.push_str(namespace);
        self.out.push('"');
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), EncodeError> {
        self.close_open_tag();
        self.escape(text)
    }

    fn integer(&mut self, value: u32) -> Result<(), EncodeError> {
        self.close_open_tag();
        use std::fmt::Write;
        write!(self.out, "{value}").map_err(|e| EncodeError::Invalid(e.to_string()))
    }

    fn datetime(&mut self, value: &DateTime) -> Result<(), EncodeError> {
        self.close_open_tag();
        use std::fmt::Write;
        write!(self.out, "{value}").map_err(|e| EncodeError::Invalid(e.to_string()))
    }

    fn binary(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        self.close_open_tag();
        base64::engine::general_purpose::STANDARD.encode_string(data, &mut self.out);
        Ok(())
    }

    fn end(&mut self) -> Result<(), EncodeError> {
        let name = self
            .stack
            .pop()
            .ok_or_else(|| EncodeError::Invalid("end without start".into()))?;
        if self.open_tag {
            self.out.push_str("/>");
            self.open_tag = false;
        } else {
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
        }
        Ok(())
    }
}
