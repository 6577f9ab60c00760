//! The pull reader.

use std::borrow::Cow;

use crate::header::{parse_header, Header};
use crate::mb::read_mb_u32;
use crate::strings::{find_nul, table_str, usize_of, utf8};
use crate::tokens::*;
use crate::{Attribute, Error, Event, Limits, Token, TokenTable};

/// Where the reader is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the root element (PIs and SWITCH_PAGE allowed).
    Prolog,
    /// Inside the root element.
    Body,
    /// After the root element (only PIs allowed).
    Epilog,
    /// End of document reached.
    Done,
}

/// A pull reader of one WBXML document, driven by a [`TokenTable`].
///
/// Call [`Reader::next`] until it returns `Ok(None)`. Text, names and opaque data are
/// borrowed from the input or the table wherever possible. After an error every further
/// call returns the same error.
pub struct Reader<'a, T: TokenTable + ?Sized> {
    input: &'a [u8],
    pos: usize,
    table: &'a T,
    limits: Limits,
    header: Header,
    strtbl: &'a [u8],
    strtbl_offset: usize,
    tag_page: u8,
    /// The table's names of `tag_page`, when it has them as a table.
    page_names: Option<&'static [Option<&'static str>; 64]>,
    attr_page: u8,
    depth: usize,
    elements: usize,
    attributes: usize,
    pending_end: bool,
    keep_attributes: bool,
    report_unknown_tags: bool,
    state: State,
    /// Bytes of strings and `OPAQUE` handed out so far (see [`Limits::max_decoded_bytes`]).
    decoded: usize,
    /// This document's budget of decoded bytes.
    decoded_budget: usize,
    error: Option<Error>,
    /// Attributes of the last `Start` (or the target and data of the last `Pi`).
    attrs: Vec<Attribute<'a>>,
}

impl<'a, T: TokenTable + ?Sized> Reader<'a, T> {
    /// Parses the header (version, public id, charset, string table) and prepares to read
    /// the body. Checks `limits.max_total_size` before anything else; rejects charsets
    /// other than UTF-8 (106), US-ASCII (3, read as UTF-8) and unknown (0, read as UTF-8).
    pub fn new(input: &'a [u8], table: &'a T, limits: Limits) -> Result<Self, Error> {
        if input.len() > limits.max_total_size {
            return Err(Error::LimitExceeded {
                limit: "total size",
                max: limits.max_total_size,
                offset: limits.max_total_size,
            });
        }
        let raw = parse_header(input, limits.max_string_table, limits.max_string_len)?;
        match raw.header.charset {
            0 | 3 | 106 => {}
            charset => return Err(Error::UnsupportedCharset { charset }),
        }
        let decoded_budget = limits.decoded_budget(input.len());
        let mut decoded = 0;
        if let crate::PublicId::Literal(id) = &raw.header.public_id {
            decoded = id.len();
            if decoded > decoded_budget {
                return Err(Error::LimitExceeded {
                    limit: "decoded bytes",
                    max: decoded_budget,
                    offset: raw.strtbl_offset,
                });
            }
        }
        Ok(Reader {
            input,
            pos: raw.body_offset,
            table,
            limits,
            header: raw.header,
            strtbl: raw.strtbl,
            strtbl_offset: raw.strtbl_offset,
            tag_page: 0,
            page_names: table.tag_names(0),
            attr_page: 0,
            depth: 0,
            elements: 0,
            attributes: 0,
            pending_end: false,
            keep_attributes: true,
            report_unknown_tags: false,
            state: State::Prolog,
            decoded,
            decoded_budget,
            error: None,
            attrs: Vec::new(),
        })
    }

    /// The document header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of currently open elements (including one without content whose `End` has
    /// not been returned yet).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Byte offset of the next unread byte (for error reports).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes of strings and `OPAQUE` handed out so far, counted against this document's
    /// budget ([`Limits::decoded_budget`] of the input size).
    pub fn decoded_bytes(&self) -> usize {
        self.decoded
    }

    /// Counts `len` bytes that the consumer produced from a token the reader hands on
    /// unresolved (the text of an `EXT_T_n` in element content, say) against the document's
    /// budget of decoded bytes. Beyond the budget: [`Error::LimitExceeded`] ("decoded bytes"),
    /// which becomes the reader's sticky error like any other.
    pub fn charge_decoded(&mut self, len: usize) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let r = self.charge(len, self.pos);
        if let Err(e) = &r {
            self.error = Some(e.clone());
        }
        r
    }

    /// Counts `len` decoded bytes produced by the token at `offset`.
    #[inline(always)]
    fn charge(&mut self, len: usize, offset: usize) -> Result<(), Error> {
        self.decoded = self.decoded.saturating_add(len);
        if self.decoded > self.decoded_budget {
            return Err(self.over_budget(offset));
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn over_budget(&self, offset: usize) -> Error {
        Error::LimitExceeded {
            limit: "decoded bytes",
            max: self.decoded_budget,
            offset,
        }
    }

    /// Whether `Start` events carry their attributes (the default). A consumer that ignores
    /// attributes turns this off to save the work of assembling their values; the attribute
    /// lists are still read and checked (tokens, limits, UTF-8) exactly as before, and `Start`
    /// events then carry an empty list. Processing instructions always carry theirs.
    pub fn set_keep_attributes(&mut self, keep: bool) {
        self.keep_attributes = keep;
    }

    /// Whether a tag token the table does not know is reported as [`Token::UnknownStart`] /
    /// [`Event::UnknownStart`] (with its attributes and content read as usual, and counted
    /// against every limit) instead of failing with [`Error::UnknownTag`] (the default).
    /// A consumer reading documents from encoders with larger tables than its own turns
    /// this on and skips such elements.
    pub fn set_report_unknown_tags(&mut self, report: bool) {
        self.report_unknown_tags = report;
    }

    /// The next event; `Ok(None)` at the end of the document (after the root element's
    /// `End` and any trailing processing instructions). Any other data after the root
    /// element is [`Error::TrailingData`].
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        let Some(token) = self.next_token()? else {
            return Ok(None);
        };
        Ok(Some(match token {
            Token::Start { name, .. } => Event::Start {
                name: Cow::Borrowed(name),
                attributes: std::mem::take(&mut self.attrs),
            },
            Token::UnknownStart { page, code } => Event::UnknownStart {
                page,
                code,
                attributes: std::mem::take(&mut self.attrs),
            },
            Token::End => Event::End,
            Token::Str(s) => Event::Text(Cow::Borrowed(s)),
            Token::Entity(c) => Event::Text(Cow::Owned(c.to_string())),
            Token::ExtT { n, index } => Event::ExtT { n, index },
            Token::ExtI { n, value } => Event::ExtI {
                n,
                value: Cow::Borrowed(value),
            },
            Token::Ext { n } => Event::Ext { n },
            Token::Opaque(data) => Event::Opaque(data),
            Token::Pi => {
                // `next_token` returns `Pi` only with exactly one target/data pair.
                let Attribute { name, value } = self.attrs.pop().unwrap_or(Attribute {
                    name: Cow::Borrowed(""),
                    value: Cow::Borrowed(""),
                });
                Event::Pi {
                    target: name,
                    data: value,
                }
            }
        }))
    }

    /// The next token; `Ok(None)` at the end of the document. The same document, limits and
    /// errors as [`Reader::next`] (which is built on it), without building an [`Event`]:
    /// the cheaper way for a consumer that maps tokens onto its own events.
    #[inline(always)]
    pub fn next_token(&mut self) -> Result<Option<Token<'a>>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.attrs.is_empty() {
            self.attrs.clear();
        }
        let r = self.step();
        if let Err(e) = &r {
            self.error = Some(e.clone());
        }
        r
    }

    /// If the next token is an `End`, reads it (as [`Reader::next_token`] would) and returns
    /// `true`; otherwise reads nothing and returns `false`. A cheap check for consumers that
    /// expect an element to end (after its text, say).
    #[inline]
    pub fn read_end(&mut self) -> bool {
        if self.error.is_some() || !self.attrs.is_empty() {
            return false;
        }
        if self.pending_end {
            self.pending_end = false;
            self.close();
            return true;
        }
        if self.state == State::Body && self.input.get(self.pos) == Some(&END) {
            self.pos += 1;
            self.close();
            return true;
        }
        false
    }

    /// The attributes of the `Start` token just returned by [`Reader::next_token`] (empty
    /// when attributes are not kept, see [`Reader::set_keep_attributes`]), or the target
    /// (name) and data (value) of the `Pi` token just returned. Empty after any other token.
    pub fn attributes(&self) -> &[Attribute<'a>] {
        &self.attrs
    }

    #[inline(always)]
    fn step(&mut self) -> Result<Option<Token<'a>>, Error> {
        if self.pending_end {
            self.pending_end = false;
            return Ok(Some(self.close()));
        }
        loop {
            let offset = self.pos;
            match self.state {
                State::Body => {
                    let tok = self.byte("element content or END")?;
                    let token = match tok {
                        SWITCH_PAGE => {
                            let page = self.byte("SWITCH_PAGE code page")?;
                            self.switch_tag_page(page);
                            continue;
                        }
                        END => self.close(),
                        STR_I => {
                            let s = self.inline_str("STR_I string")?;
                            self.charge(s.len(), offset)?;
                            Token::Str(s)
                        }
                        EXT_T_0..=EXT_T_2 => Token::ExtT {
                            n: tok - EXT_T_0,
                            index: self.mb()?,
                        },
                        OPAQUE => {
                            let data = self.opaque()?;
                            self.charge(data.len(), offset)?;
                            Token::Opaque(data)
                        }
                        ENTITY | EXT_I_0..=EXT_I_2 | PI | STR_T | EXT_0..=EXT_2 => {
                            self.rare_content(tok, offset)?
                        }
                        // Tags, including LITERAL, LITERAL_C, LITERAL_A, LITERAL_AC.
                        t => self.element(t, offset)?,
                    };
                    return Ok(Some(token));
                }
                State::Done => return Ok(None),
                State::Epilog => {
                    let Some(&tok) = self.input.get(offset) else {
                        self.state = State::Done;
                        return Ok(None);
                    };
                    if tok != PI {
                        return Err(Error::TrailingData { offset });
                    }
                    self.pos += 1;
                    return self.pi().map(Some);
                }
                State::Prolog => {
                    let tok = self.byte("root element")?;
                    match tok {
                        SWITCH_PAGE => {
                            let page = self.byte("SWITCH_PAGE code page")?;
                            self.switch_tag_page(page);
                        }
                        PI => return self.pi().map(Some),
                        t if t & 0x3F >= LITERAL => {
                            self.state = State::Body;
                            return self.element(t, offset).map(Some);
                        }
                        t => {
                            return Err(Error::UnexpectedToken {
                                token: t,
                                offset,
                                context: "before the root element",
                            })
                        }
                    }
                }
            }
        }
    }

    /// The content tokens documents seldom use, out of line (keeps `step` small).
    #[inline(never)]
    fn rare_content(&mut self, tok: u8, offset: usize) -> Result<Token<'a>, Error> {
        Ok(match tok {
            ENTITY => {
                let c = self.entity(offset)?;
                self.charge(c.len_utf8(), offset)?;
                Token::Entity(c)
            }
            EXT_I_0..=EXT_I_2 => {
                let value = self.inline_str("EXT_I string")?;
                self.charge(value.len(), offset)?;
                Token::ExtI {
                    n: tok - EXT_I_0,
                    value,
                }
            }
            PI => self.pi()?,
            STR_T => {
                let s = self.str_t()?;
                self.charge(s.len(), offset)?;
                Token::Str(s)
            }
            EXT_0..=EXT_2 => Token::Ext { n: tok - EXT_0 },
            token => {
                return Err(Error::UnexpectedToken {
                    token,
                    offset,
                    context: "element content",
                })
            }
        })
    }

    fn switch_tag_page(&mut self, page: u8) {
        self.tag_page = page;
        self.page_names = self.table.tag_names(page);
    }

    /// Closes the innermost element.
    #[inline]
    fn close(&mut self) -> Token<'a> {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.state = State::Epilog;
        }
        Token::End
    }

    #[inline]
    fn byte(&mut self, context: &'static str) -> Result<u8, Error> {
        let b = *self.input.get(self.pos).ok_or(Error::Truncated {
            offset: self.pos,
            context,
        })?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn mb(&mut self) -> Result<u32, Error> {
        read_mb_u32(self.input, &mut self.pos)
    }

    /// A NUL-terminated inline string, at most `max_string_len` bytes.
    fn inline_str(&mut self, context: &'static str) -> Result<&'a str, Error> {
        let start = self.pos;
        let input: &'a [u8] = self.input;
        let rest = input.get(start..).unwrap_or_default();
        let max = self.limits.max_string_len;
        let window = rest.get(..max.saturating_add(1)).unwrap_or(rest);
        match find_nul(window) {
            Some(len) => {
                self.pos = start + len + 1;
                utf8(window.get(..len).unwrap_or_default(), start)
            }
            None if rest.len() > max => Err(Error::LimitExceeded {
                limit: "string length",
                max,
                offset: start,
            }),
            None => Err(Error::Truncated {
                offset: input.len(),
                context,
            }),
        }
    }

    /// `STR_T` (the token already read): a string-table reference.
    fn str_t(&mut self) -> Result<&'a str, Error> {
        let at = self.pos;
        let index = self.mb()?;
        self.table_str(index, at)
    }

    fn table_str(&self, index: u32, at: usize) -> Result<&'a str, Error> {
        let strtbl: &'a [u8] = self.strtbl;
        table_str(
            strtbl,
            self.strtbl_offset,
            index,
            at,
            self.limits.max_string_len,
        )
    }

    /// `ENTITY` (the token already read at `offset`) as text.
    fn entity(&mut self, offset: usize) -> Result<char, Error> {
        let code_point = self.mb()?;
        char::from_u32(code_point).ok_or(Error::InvalidEntity { code_point, offset })
    }

    /// `OPAQUE` (the token already read): length and data.
    fn opaque(&mut self) -> Result<&'a [u8], Error> {
        let at = self.pos;
        let len = usize_of(self.mb()?);
        if len > self.limits.max_opaque_len {
            return Err(Error::LimitExceeded {
                limit: "opaque length",
                max: self.limits.max_opaque_len,
                offset: at,
            });
        }
        let input: &'a [u8] = self.input;
        let data = input
            .get(self.pos..)
            .and_then(|rest| rest.get(..len))
            .ok_or(Error::Truncated {
                offset: input.len(),
                context: "OPAQUE data",
            })?;
        self.pos += len;
        Ok(data)
    }

    /// An element whose tag token `tok` was read at `offset`.
    #[inline(always)]
    fn element(&mut self, tok: u8, offset: usize) -> Result<Token<'a>, Error> {
        if self.elements >= self.limits.max_elements {
            return Err(Error::LimitExceeded {
                limit: "elements",
                max: self.limits.max_elements,
                offset,
            });
        }
        let depth = self.depth + 1;
        if depth > self.limits.max_depth {
            return Err(Error::LimitExceeded {
                limit: "depth",
                max: self.limits.max_depth,
                offset,
            });
        }
        let code = tok & 0x3F;
        let page = self.tag_page;
        let name = if code == LITERAL {
            let at = self.pos;
            let index = self.mb()?;
            let name = self.table_str(index, at)?;
            self.charge(name.len(), offset)?;
            Some(name)
        } else {
            let name = match self.page_names {
                Some(names) => names.get(usize::from(code)).copied().flatten(),
                None => self.table.tag_name(page, code),
            };
            if name.is_none() && !self.report_unknown_tags {
                return Err(Error::UnknownTag { page, code, offset });
            }
            name
        };
        if tok & TAG_ATTRS != 0 {
            self.attribute_list(false)?;
        }
        self.elements += 1;
        self.depth = depth;
        if tok & TAG_CONTENT == 0 {
            self.pending_end = true;
        }
        Ok(match name {
            Some(name) => Token::Start { page, code, name },
            None => Token::UnknownStart { page, code },
        })
    }

    /// `PI` (the token already read): one attribute-like target/data pair, then `END`.
    fn pi(&mut self) -> Result<Token<'a>, Error> {
        let offset = self.pos.saturating_sub(1);
        self.attribute_list(true)?;
        match self.attrs.len() {
            1 => Ok(Token::Pi),
            _ => Err(Error::UnexpectedToken {
                token: PI,
                offset,
                context: "processing instruction without a target",
            }),
        }
    }

    /// An attribute list up to and including its `END`, into `self.attrs` (when kept). With
    /// `pi`, at most one attribute (a processing instruction's target and data), always kept.
    fn attribute_list(&mut self, pi: bool) -> Result<(), Error> {
        let keep = pi || self.keep_attributes;
        self.attrs.clear();
        let mut current: Option<Attribute<'a>> = None;
        // Length of the current value when values are not kept.
        let mut value_len = 0usize;
        loop {
            let offset = self.pos;
            let tok = self.byte("attribute or END")?;
            let piece: Cow<'a, str> = match tok {
                SWITCH_PAGE => {
                    self.attr_page = self.byte("SWITCH_PAGE code page")?;
                    continue;
                }
                END => break,
                ENTITY => Cow::Owned(self.entity(offset)?.to_string()),
                STR_I => Cow::Borrowed(self.inline_str("STR_I string")?),
                EXT_I_0..=EXT_I_2 => Cow::Borrowed(self.inline_str("EXT_I string")?),
                STR_T => Cow::Borrowed(self.str_t()?),
                EXT_T_0..=EXT_T_2 => {
                    let n = tok - EXT_T_0;
                    let index = self.mb()?;
                    Cow::Borrowed(self.table.ext_t(n, index).ok_or(Error::UnknownExtension {
                        n,
                        index,
                        offset,
                    })?)
                }
                OPAQUE => {
                    let data = self.opaque()?;
                    Cow::Borrowed(utf8(data, self.pos - data.len())?)
                }
                PI | LITERAL_C | LITERAL_A | LITERAL_AC => {
                    return Err(Error::UnexpectedToken {
                        token: tok,
                        offset,
                        context: "not allowed in an attribute list",
                    })
                }
                EXT_0..=EXT_2 => {
                    return Err(Error::UnexpectedToken {
                        token: tok,
                        offset,
                        context: "EXT_n has no text form in an attribute value",
                    })
                }
                LITERAL | 0x05..=0x7F => {
                    let (name, prefix) = if tok == LITERAL {
                        let at = self.pos;
                        let index = self.mb()?;
                        let name = self.table_str(index, at)?;
                        self.charge(name.len(), offset)?;
                        (name, "")
                    } else {
                        let page = self.attr_page;
                        self.table
                            .attr_start(page, tok)
                            .ok_or(Error::UnknownAttribute {
                                page,
                                code: tok,
                                offset,
                            })?
                    };
                    if pi && current.is_some() {
                        return Err(Error::UnexpectedToken {
                            token: tok,
                            offset,
                            context: "second attribute in a processing instruction",
                        });
                    }
                    if self.attributes >= self.limits.max_elements {
                        return Err(Error::LimitExceeded {
                            limit: "attributes",
                            max: self.limits.max_elements,
                            offset,
                        });
                    }
                    self.attributes += 1;
                    if prefix.len() > self.limits.max_string_len {
                        return Err(Error::LimitExceeded {
                            limit: "string length",
                            max: self.limits.max_string_len,
                            offset,
                        });
                    }
                    self.charge(prefix.len(), offset)?;
                    if keep {
                        self.attrs.extend(current.take());
                    }
                    value_len = prefix.len();
                    current = Some(Attribute {
                        name: Cow::Borrowed(name),
                        value: Cow::Borrowed(prefix),
                    });
                    continue;
                }
                _ => {
                    let page = self.attr_page;
                    Cow::Borrowed(self.table.attr_value(page, tok).ok_or(
                        Error::UnknownAttribute {
                            page,
                            code: tok,
                            offset,
                        },
                    )?)
                }
            };
            if current.is_none() {
                return Err(Error::UnexpectedToken {
                    token: tok,
                    offset,
                    context: "attribute value before any attribute name",
                });
            }
            self.charge(piece.len(), offset)?;
            let Some(attr) = current.as_mut() else {
                continue;
            };
            if keep {
                self.append(&mut attr.value, piece, offset)?;
            } else {
                value_len = value_len.saturating_add(piece.len());
                if value_len > self.limits.max_string_len {
                    return Err(Error::LimitExceeded {
                        limit: "string length",
                        max: self.limits.max_string_len,
                        offset,
                    });
                }
            }
        }
        if keep {
            self.attrs.extend(current);
        }
        Ok(())
    }

    /// Appends `piece` to an attribute value, enforcing `max_string_len`.
    fn append(
        &self,
        value: &mut Cow<'a, str>,
        piece: Cow<'a, str>,
        offset: usize,
    ) -> Result<(), Error> {
        let max = self.limits.max_string_len;
        if value.len().saturating_add(piece.len()) > max {
            return Err(Error::LimitExceeded {
                limit: "string length",
                max,
                offset,
            });
        }
        if value.is_empty() {
            *value = piece;
        } else if !piece.is_empty() {
            value.to_mut().push_str(&piece);
        }
        Ok(())
    }
}
