//! WBXML [`Source`]: the generic WBXML reader with the version's CSP token table.

use std::borrow::Cow;

use imps_wbxml::{Event, PublicId, Reader, Token, TokenTable};

use super::{read_raw_rest, read_text_rest, Ev, Name, Raw, Source};
use crate::error::DecodeError;
use crate::names::ElementId;
use crate::tokens::{CspTokens, TagIndices, NO_ELEMENT, TOKENS_11, TOKENS_12, TOKENS_13};
use crate::version::CspVersion;
use crate::Limits;

/// The token table of `version`.
pub fn tokens(version: CspVersion) -> &'static dyn CspTokens {
    match version {
        CspVersion::V1_1 => &TOKENS_11,
        CspVersion::V1_2 => &TOKENS_12,
        CspVersion::V1_3 => &TOKENS_13,
    }
}

/// Decodes one CSP WBXML document.
pub struct WbxmlSource<'a> {
    reader: Reader<'a, dyn CspTokens>,
    tokens: &'static dyn CspTokens,
    /// Element indices of the version's tags.
    indices: &'static TagIndices,
    version: CspVersion,
    in_name: bool,
}

/// `Name` (1.3 gives a value token two meanings, one of them inside `Name`).
const NAME: ElementId = ElementId::of("Name");

impl<'a> WbxmlSource<'a> {
    /// Reads the header and detects the version: from the public id, or (public id unknown)
    /// from the root element's `xmlns` attribute token.
    pub fn new(input: &'a [u8], limits: Limits) -> Result<Self, DecodeError> {
        if input.len() > limits.max_total_size {
            return Err(DecodeError::LimitExceeded {
                limit: "total size",
                max: limits.max_total_size,
            });
        }
        let (header, _) = imps_wbxml::read_header(input)?;
        let version = match &header.public_id {
            PublicId::Known(id) => match CspVersion::from_wbxml_public_id(*id) {
                Some(v) => Some(v),
                None if *id <= 1 => None,
                None => {
                    return Err(DecodeError::UnsupportedVersion(format!(
                        "WBXML public id {id:#x}"
                    )))
                }
            },
            PublicId::Literal(s) => match CspVersion::from_public_identifier(s) {
                Some(v) => Some(v),
                None => return Err(DecodeError::UnsupportedVersion(format!("public id {s:?}"))),
            },
        };
        let version = match version {
            Some(v) => v,
            None => sniff_root_namespace(input, limits)?,
        };
        let tokens = tokens(version);
        let mut reader = Reader::new(input, tokens, limits)?;
        // Only the root's xmlns matters, and the version is already known.
        reader.set_keep_attributes(false);
        // Real encoders use larger tables than the version's (Android writes its CSP 1.3
        // table in every version): an unknown tag is skipped with its content.
        reader.set_report_unknown_tags(true);
        Ok(WbxmlSource {
            reader,
            tokens,
            indices: tokens.tag_indices(),
            version,
            in_name: false,
        })
    }
}

/// Version from the root's xmlns attribute (public id "unknown"). The root's attributes are
/// assembled here (the main reader skips them), within the document's budget of decoded bytes
/// like everything else.
fn sniff_root_namespace(input: &[u8], limits: Limits) -> Result<CspVersion, DecodeError> {
    let mut reader = Reader::new(input, &TOKENS_13 as &dyn CspTokens, limits)?;
    match reader.next()? {
        Some(Event::Start { attributes, .. }) => attributes
            .iter()
            .filter(|a| a.name == "xmlns")
            .find_map(|a| CspVersion::from_namespace(&a.value))
            .ok_or_else(|| {
                DecodeError::UnsupportedVersion("no public id and no CSP namespace".into())
            }),
        _ => Err(DecodeError::Malformed("no root element".into())),
    }
}

impl<'a> Source<'a> for WbxmlSource<'a> {
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
        if self.reader.read_end() {
            self.in_name = false;
            return Ok(first);
        }
        match self.next()? {
            Ev::End => Ok(first),
            other => read_text_rest(self, element, Some(first), other),
        }
    }

    fn raw(&mut self, element: &'static str) -> Result<Raw<'a>, DecodeError> {
        // One call for the usual one-piece (or empty) leaf.
        let first = self.event()?;
        if !matches!(first, Ev::Text(_) | Ev::Opaque(_)) {
            return read_raw_rest(self, element, Some(first), None);
        }
        if self.reader.read_end() {
            self.in_name = false;
            return Ok(match first {
                Ev::Opaque(b) => Raw::Opaque(Cow::Borrowed(b)),
                Ev::Text(t) => Raw::Text(t),
                // Not reached: `first` is text or OPAQUE.
                _ => Raw::Text(Cow::Borrowed("")),
            });
        }
        let second = self.next()?;
        match (first, second) {
            (Ev::Text(t), Ev::End) => Ok(Raw::Text(t)),
            (Ev::Opaque(b), Ev::End) => Ok(Raw::Opaque(Cow::Borrowed(b))),
            (first, second) => read_raw_rest(self, element, Some(first), Some(second)),
        }
    }
}

impl<'a> WbxmlSource<'a> {
    /// The next event (the body of [`Source::next`], inlined where a fast path needs it).
    #[inline(always)]
    fn event(&mut self) -> Result<Ev<'a>, DecodeError> {
        loop {
            let token = match self.reader.next_token()? {
                None => return Ok(Ev::Eof),
                Some(t) => t,
            };
            return Ok(match token {
                Token::Start { page, code, name } => {
                    let index = self
                        .indices
                        .get(usize::from(page))
                        .and_then(|p| p.get(usize::from(code)))
                        .copied()
                        .unwrap_or(NO_ELEMENT);
                    let name = if index == NO_ELEMENT {
                        // LITERAL names (and, defensively, anything the table lacks).
                        Name::new(name)
                    } else {
                        // The table's name is the canonical one unless the element was renamed.
                        Name::with_index(index, name)
                    };
                    self.in_name = name.id() == NAME;
                    Ev::Start(name)
                }
                Token::UnknownStart { page, code } => {
                    tracing::warn!(
                        version = %self.version,
                        page,
                        code,
                        offset = self.reader.position(),
                        "unknown WBXML tag token skipped with its content"
                    );
                    self.skip_unknown()?;
                    continue;
                }
                Token::End => {
                    self.in_name = false;
                    Ev::End
                }
                Token::Str(t) => Ev::Text(Cow::Borrowed(t)),
                Token::Opaque(b) => Ev::Opaque(b),
                Token::ExtT { n, index } => {
                    // 1.3 gives index 0x3D two meanings; a group property Name means "History".
                    let text = if self.version == CspVersion::V1_3
                        && n == 0
                        && index == 0x3D
                        && self.in_name
                    {
                        "History"
                    } else {
                        match self.value_token(n, index) {
                            Some(s) => s,
                            None => continue,
                        }
                    };
                    // The reader hands value tokens on unresolved: their text counts here.
                    self.reader.charge_decoded(text.len())?;
                    Ev::Text(Cow::Borrowed(text))
                }
                Token::ExtI { value, .. } => Ev::Text(Cow::Borrowed(value)),
                Token::Entity(c) => Ev::Text(Cow::Owned(c.to_string())),
                Token::Ext { .. } | Token::Pi => continue,
            });
        }
    }

    /// The text of value token `EXT_T_n index`: the version's table, else the CSP 1.3 table
    /// (Android's encoder writes 1.3 indexes in every version). `None`, with a warning, for
    /// an index no table has: the token is skipped (it contributes no text).
    fn value_token(&self, n: u8, index: u32) -> Option<&'static str> {
        if let Some(s) = self.tokens.ext_t(n, index) {
            return Some(s);
        }
        if let Some(s) = TOKENS_13.ext_t(n, index) {
            tracing::debug!(
                version = %self.version,
                index,
                value = s,
                "value token resolved through the CSP 1.3 table"
            );
            return Some(s);
        }
        tracing::warn!(
            version = %self.version,
            n,
            index,
            offset = self.reader.position(),
            "unknown WBXML value token skipped"
        );
        None
    }

    /// Skips the content of an unknown element whose start was just read, through its end
    /// (nested unknown elements included). The reader's limits apply as everywhere.
    fn skip_unknown(&mut self) -> Result<(), DecodeError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.reader.next_token()? {
                None => return Err(DecodeError::Malformed("unexpected end of document".into())),
                Some(Token::Start { .. } | Token::UnknownStart { .. }) => depth += 1,
                Some(Token::End) => depth -= 1,
                Some(_) => {}
            }
        }
        Ok(())
    }
}
