//! The streaming writer.

use crate::mb::write_mb_u32;
use crate::tokens::*;
use crate::{Error, PublicId, TokenTable};

/// An open element: where its tag byte is and where its content starts.
#[derive(Clone, Copy, Debug)]
struct Open {
    tag_pos: usize,
    content_start: usize,
}

/// State to roll back to when a call fails half-way.
#[derive(Clone, Copy)]
struct Mark {
    body: usize,
    strtbl: usize,
    strings: usize,
    tag_page: u8,
    attr_page: u8,
}

/// Writes one WBXML document, driven by a [`TokenTable`].
///
/// Names, attribute prefixes and attribute values the table knows are written as tokens;
/// unknown names go out as `LITERAL*` references into the string table. Code pages are
/// switched only when they change. When a call returns an error, the document is left as
/// it was before the call.
pub struct Writer<'t, T: TokenTable + ?Sized> {
    table: &'t T,
    version: u8,
    public_id: PublicId,
    charset: u32,
    /// Header as written for an empty string table, then the body.
    out: Vec<u8>,
    header_len: usize,
    strtbl: Vec<u8>,
    /// `(offset, len)` of every string in `strtbl`, to reuse them.
    strings: Vec<(usize, usize)>,
    tag_page: u8,
    attr_page: u8,
    open: Vec<Open>,
    root_done: bool,
    collapse_empty: bool,
}

impl<'t, T: TokenTable + ?Sized> Writer<'t, T> {
    /// A writer for a document of WBXML `version` (`0x03` = 1.3; `0x00` = 1.0 has no
    /// charset field), `public_id` and `charset` (IANA MIBenum: 106 = UTF-8, 3 = US-ASCII,
    /// 0 = unknown; text is always written as UTF-8). An unsupported version or charset is
    /// reported by [`Writer::finish`].
    pub fn new(table: &'t T, version: u8, public_id: PublicId, charset: u32) -> Self {
        Self::with_buffer(table, version, public_id, charset, Vec::new())
    }

    /// Like [`Writer::new`] but writing into `buf` (cleared first), to reuse its
    /// allocation on a hot path.
    pub fn with_buffer(
        table: &'t T,
        version: u8,
        public_id: PublicId,
        charset: u32,
        buf: Vec<u8>,
    ) -> Self {
        let mut w = Writer {
            table,
            version,
            public_id,
            charset,
            out: buf,
            header_len: 0,
            strtbl: Vec::new(),
            strings: Vec::new(),
            tag_page: 0,
            attr_page: 0,
            open: Vec::new(),
            root_done: false,
            collapse_empty: true,
        };
        w.out.clear();
        if let PublicId::Known(id) = w.public_id {
            write_header(&mut w.out, w.version, id, None, w.charset, 0);
        }
        w.header_len = w.out.len();
        w
    }

    /// Whether an element with nothing written between its start and its end is written
    /// without content (content bit 0x40 clear, no `END`): `true`, the default, gives the
    /// shortest encoding. With `false` every element gets the content bit and an `END`, as
    /// some encoders (e.g. Android's IMPS encoder) do.
    pub fn set_collapse_empty(&mut self, collapse: bool) {
        self.collapse_empty = collapse;
    }

    /// Number of open elements.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Starts an element with `attributes` (name, value).
    ///
    /// A name the table does not know goes out as `LITERAL` via the string table;
    /// `SWITCH_PAGE` is emitted only when the tag page changes. The content bit is cleared
    /// again (and no `END` written) if [`Writer::end_element`] follows immediately, unless
    /// [`Writer::set_collapse_empty`] turned that off. Each attribute is encoded with the
    /// longest attribute-start prefix the table offers ([`TokenTable::attr_start_token`]),
    /// the rest of the value as an attribute-value token if one matches exactly, otherwise
    /// as `STR_I`; an unknown attribute name goes out as `LITERAL`.
    pub fn start_element(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<(), Error> {
        if self.root_done {
            return Err(Error::Unbalanced {
                context: "a second root element",
            });
        }
        let mark = self.mark();
        let r = self.start_inner(name, attributes);
        if r.is_err() {
            self.reset(mark);
        }
        r
    }

    fn start_inner(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<(), Error> {
        let attr_bit = if attributes.is_empty() { 0 } else { TAG_ATTRS };
        let tag_pos;
        match self.table.tag_token(name) {
            Some((page, code)) => {
                if !(0x05..=0x3F).contains(&code) {
                    return Err(Error::BadTableEntry {
                        context: "tag code",
                    });
                }
                if page != self.tag_page {
                    self.out.extend_from_slice(&[SWITCH_PAGE, page]);
                    self.tag_page = page;
                }
                tag_pos = self.out.len();
                self.out.push(code | TAG_CONTENT | attr_bit);
            }
            None => {
                let index = self.intern(name, "element name")?;
                tag_pos = self.out.len();
                self.out.push(LITERAL_C | attr_bit);
                write_mb_u32(&mut self.out, index);
            }
        }
        if !attributes.is_empty() {
            for (n, v) in attributes {
                self.attribute(n, v)?;
            }
            self.out.push(END);
        }
        self.open.push(Open {
            tag_pos,
            content_start: self.out.len(),
        });
        Ok(())
    }

    /// One attribute (start token or LITERAL, then value tokens).
    fn attribute(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let rest = match self.table.attr_start_token(name, value) {
            Some((page, code, prefix_len)) => {
                if !is_attr_start(code) {
                    return Err(Error::BadTableEntry {
                        context: "attribute-start code",
                    });
                }
                let rest = value.get(prefix_len..).ok_or(Error::BadTableEntry {
                    context: "attribute prefix length",
                })?;
                self.attr_switch(page);
                self.out.push(code);
                rest
            }
            None => {
                let index = self.intern(name, "attribute name")?;
                self.out.push(LITERAL);
                write_mb_u32(&mut self.out, index);
                value
            }
        };
        self.attr_value(rest)
    }

    /// The (rest of an) attribute value: an exact attribute-value token or `STR_I`.
    fn attr_value(&mut self, value: &str) -> Result<(), Error> {
        if value.is_empty() {
            return Ok(());
        }
        match self.table.attr_value_token(value) {
            Some((page, code)) => {
                if !is_attr_value(code) {
                    return Err(Error::BadTableEntry {
                        context: "attribute-value code",
                    });
                }
                self.attr_switch(page);
                self.out.push(code);
                Ok(())
            }
            None => self.str_i(STR_I, value, "attribute value"),
        }
    }

    fn attr_switch(&mut self, page: u8) {
        if page != self.attr_page {
            self.out.extend_from_slice(&[SWITCH_PAGE, page]);
            self.attr_page = page;
        }
    }

    /// Ends the innermost open element.
    pub fn end_element(&mut self) -> Result<(), Error> {
        let open = self.open.pop().ok_or(Error::Unbalanced {
            context: "end_element without an open element",
        })?;
        if self.collapse_empty && self.out.len() == open.content_start {
            if let Some(b) = self.out.get_mut(open.tag_pos) {
                *b &= !TAG_CONTENT;
            }
        } else {
            self.out.push(END);
        }
        if self.open.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }

    /// Text as `STR_I` (it must not contain NUL).
    pub fn text(&mut self, s: &str) -> Result<(), Error> {
        self.in_element("text outside an element")?;
        self.str_i(STR_I, s, "text")
    }

    /// Text as `STR_T`: the string goes into the string table (once; repeated strings
    /// share the entry) and the body holds a reference to it.
    pub fn text_str_t(&mut self, s: &str) -> Result<(), Error> {
        self.in_element("text outside an element")?;
        let index = self.intern(s, "text")?;
        self.out.push(STR_T);
        write_mb_u32(&mut self.out, index);
        Ok(())
    }

    /// `EXT_T_n` (`n` = 0, 1, 2) with `index`.
    pub fn ext_t(&mut self, n: u8, index: u32) -> Result<(), Error> {
        self.in_element("EXT_T outside an element")?;
        let n = check_ext(n)?;
        self.out.push(EXT_T_0 + n);
        write_mb_u32(&mut self.out, index);
        Ok(())
    }

    /// `EXT_I_n` (`n` = 0, 1, 2) with an inline string (no NUL).
    pub fn ext_i(&mut self, n: u8, s: &str) -> Result<(), Error> {
        self.in_element("EXT_I outside an element")?;
        let n = check_ext(n)?;
        self.str_i(EXT_I_0 + n, s, "EXT_I string")
    }

    /// `EXT_n` (`n` = 0, 1, 2).
    pub fn ext(&mut self, n: u8) -> Result<(), Error> {
        self.in_element("EXT outside an element")?;
        let n = check_ext(n)?;
        self.out.push(EXT_0 + n);
        Ok(())
    }

    /// `OPAQUE` data.
    pub fn opaque(&mut self, data: &[u8]) -> Result<(), Error> {
        self.in_element("OPAQUE outside an element")?;
        let len = u32::try_from(data.len()).map_err(|_| Error::TooLarge {
            context: "OPAQUE length",
        })?;
        self.out.push(OPAQUE);
        write_mb_u32(&mut self.out, len);
        self.out.extend_from_slice(data);
        Ok(())
    }

    /// `ENTITY`: the character `code_point` (must be a Unicode scalar value).
    pub fn entity(&mut self, code_point: u32) -> Result<(), Error> {
        self.in_element("ENTITY outside an element")?;
        if char::from_u32(code_point).is_none() {
            return Err(Error::InvalidEntity {
                code_point,
                offset: self.out.len(),
            });
        }
        self.out.push(ENTITY);
        write_mb_u32(&mut self.out, code_point);
        Ok(())
    }

    /// A processing instruction (allowed before, inside and after the root element):
    /// `target` and `data` are encoded like an attribute name and value.
    pub fn pi(&mut self, target: &str, data: &str) -> Result<(), Error> {
        let mark = self.mark();
        self.out.push(PI);
        let r = self.attribute(target, data);
        if r.is_err() {
            self.reset(mark);
            return r;
        }
        self.out.push(END);
        Ok(())
    }

    /// The document: header (with the string table, when literals, `STR_T` text or a
    /// literal public id need one) and body. Errors if elements are still open, there is
    /// no root element, or the version or charset is unsupported.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        if self.version > 0x03 {
            return Err(Error::UnsupportedVersion {
                version: self.version,
            });
        }
        if !matches!(self.charset, 0 | 3 | 106) {
            return Err(Error::UnsupportedCharset {
                charset: self.charset,
            });
        }
        if !self.open.is_empty() {
            return Err(Error::Unbalanced {
                context: "elements still open at finish",
            });
        }
        if !self.root_done {
            return Err(Error::Unbalanced {
                context: "no root element",
            });
        }
        let public_id = std::mem::replace(&mut self.public_id, PublicId::Known(1));
        let literal = match &public_id {
            PublicId::Known(_) => None,
            PublicId::Literal(s) => Some(self.intern(s, "public id")?),
        };
        if self.strtbl.is_empty() && literal.is_none() {
            return Ok(self.out);
        }
        let strtbl_len = u32::try_from(self.strtbl.len()).map_err(|_| Error::TooLarge {
            context: "string table",
        })?;
        let pid = match public_id {
            PublicId::Known(id) => id,
            PublicId::Literal(_) => 0,
        };
        let mut head = Vec::with_capacity(16 + self.strtbl.len());
        write_header(
            &mut head,
            self.version,
            pid,
            literal,
            self.charset,
            strtbl_len,
        );
        head.extend_from_slice(&self.strtbl);
        let header_len = self.header_len.min(self.out.len());
        self.out.splice(..header_len, head);
        Ok(self.out)
    }

    fn in_element(&self, context: &'static str) -> Result<(), Error> {
        if self.open.is_empty() {
            Err(Error::Unbalanced { context })
        } else {
            Ok(())
        }
    }

    /// `token` followed by `s` and NUL.
    fn str_i(&mut self, token: u8, s: &str, context: &'static str) -> Result<(), Error> {
        if s.as_bytes().contains(&0) {
            return Err(Error::NulInString { context });
        }
        self.out.push(token);
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
        Ok(())
    }

    /// Index of `s` in the string table, adding it if needed.
    fn intern(&mut self, s: &str, context: &'static str) -> Result<u32, Error> {
        let bytes = s.as_bytes();
        if bytes.contains(&0) {
            return Err(Error::NulInString { context });
        }
        let existing = self.strings.iter().find(|&&(off, len)| {
            len == bytes.len() && self.strtbl.get(off..off + len) == Some(bytes)
        });
        let offset = match existing {
            Some(&(off, _)) => off,
            None => {
                let off = self.strtbl.len();
                self.strtbl.extend_from_slice(bytes);
                self.strtbl.push(0);
                self.strings.push((off, bytes.len()));
                off
            }
        };
        u32::try_from(offset).map_err(|_| Error::TooLarge {
            context: "string table offset",
        })
    }

    fn mark(&self) -> Mark {
        Mark {
            body: self.out.len(),
            strtbl: self.strtbl.len(),
            strings: self.strings.len(),
            tag_page: self.tag_page,
            attr_page: self.attr_page,
        }
    }

    fn reset(&mut self, m: Mark) {
        self.out.truncate(m.body);
        self.strtbl.truncate(m.strtbl);
        self.strings.truncate(m.strings);
        self.tag_page = m.tag_page;
        self.attr_page = m.attr_page;
    }
}

/// Header bytes; `literal` = string-table index of a literal public id.
fn write_header(
    out: &mut Vec<u8>,
    version: u8,
    pid: u32,
    literal: Option<u32>,
    charset: u32,
    strtbl_len: u32,
) {
    out.push(version);
    match literal {
        Some(index) => {
            out.push(0);
            write_mb_u32(out, index);
        }
        None => write_mb_u32(out, pid),
    }
    if version != 0 {
        write_mb_u32(out, charset);
    }
    write_mb_u32(out, strtbl_len);
}

fn check_ext(n: u8) -> Result<u8, Error> {
    if n <= 2 {
        Ok(n)
    } else {
        Err(Error::BadExtension { n })
    }
}

fn is_attr_start(code: u8) -> bool {
    (0x05..=0x7F).contains(&code) && !(EXT_I_0..=LITERAL_C).contains(&code)
}

fn is_attr_value(code: u8) -> bool {
    code >= 0x85 && !(EXT_0..=LITERAL_AC).contains(&code)
}
