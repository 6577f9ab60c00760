//! WBXML [`Sink`]: the generic WBXML writer with the version's CSP token table. Integers and
//! DateTimes go out as OPAQUE where the version types the element so; whole strings that have
//! a value token go out as `EXT_T_0`.

use imps_wbxml::{PublicId, Writer};

use super::wbxml_read::tokens;
use super::{DateTime, Sink};
use crate::error::EncodeError;
use crate::names;
use crate::tokens::{Content, CspTokens};
use crate::version::CspVersion;

/// Writes one CSP WBXML document.
pub struct WbxmlSink {
    writer: Writer<'static, dyn CspTokens>,
    tokens: &'static dyn CspTokens,
    version: CspVersion,
    stack: Vec<&'static str>,
}

impl WbxmlSink {
    /// A sink for `version` writing into `buf` (cleared first).
    pub fn new(version: CspVersion, buf: Vec<u8>) -> Self {
        let tokens = tokens(version);
        let writer = Writer::with_buffer(
            tokens,
            0x03,
            PublicId::Known(version.wbxml_public_id()),
            106,
            buf,
        );
        WbxmlSink {
            writer,
            tokens,
            version,
            stack: Vec::with_capacity(16),
        }
    }

    /// The document written.
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        Ok(self.writer.finish()?)
    }

    fn content(&self) -> Content {
        match self.stack.last() {
            Some(name) => self.tokens.content(name),
            None => Content::Text,
        }
    }
}

impl Sink for WbxmlSink {
    fn version(&self) -> CspVersion {
        self.version
    }

    fn start(&mut self, name: &'static str) -> Result<(), EncodeError> {
        let wire = names::wire_name(name, self.version);
        self.writer.start_element(wire, &[])?;
        self.stack.push(wire);
        Ok(())
    }

    fn start_ns(&mut self, name: &'static str, namespace: &'static str) -> Result<(), EncodeError> {
        let wire = names::wire_name(name, self.version);
        self.writer.start_element(wire, &[("xmlns", namespace)])?;
        self.stack.push(wire);
        Ok(())
    }

    fn start_dyn(&mut self, name: &str) -> Result<(), EncodeError> {
        self.writer.start_element(name, &[])?;
        self.stack.push("");
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), EncodeError> {
        if text.is_empty() {
            return Ok(());
        }
        if let Some((n, index)) = self.tokens.ext_t_token(text) {
            return Ok(self.writer.ext_t(n, index)?);
        }
        if text.contains('\0') {
            return Err(EncodeError::InvalidChar {
                element: self.stack.last().copied().unwrap_or("").to_owned(),
                code: 0,
            });
        }
        Ok(self.writer.text(text)?)
    }

    fn integer(&mut self, value: u32) -> Result<(), EncodeError> {
        if self.content() == Content::Integer {
            let bytes = value.to_be_bytes();
            let skip = bytes.iter().take(3).take_while(|&&b| b == 0).count();
            Ok(self.writer.opaque(&bytes[skip..])?)
        } else {
            Ok(self.writer.text(&value.to_string())?)
        }
    }

    fn datetime(&mut self, value: &DateTime) -> Result<(), EncodeError> {
        if self.content() == Content::DateTime {
            Ok(self.writer.opaque(&value.to_packed())?)
        } else {
            Ok(self.writer.text(&value.to_string())?)
        }
    }

    fn binary(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        Ok(self.writer.opaque(data)?)
    }

    fn end(&mut self) -> Result<(), EncodeError> {
        self.stack.pop();
        Ok(self.writer.end_element()?)
    }
}
