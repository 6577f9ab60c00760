//! What the reader produces.

use std::borrow::Cow;

/// One attribute of an element (or the target and data of a processing instruction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Attribute name: from the table's attribute-start token, or (`LITERAL`) from the
    /// string table.
    pub name: Cow<'a, str>,
    /// The value: the prefix the attribute-start token stands for, followed by every
    /// `STR_I`, `STR_T`, `ENTITY`, attribute-value token, `EXT_I_n`, `EXT_T_n` (resolved with
    /// [`crate::TokenTable::ext_t`]) and UTF-8 `OPAQUE` after it, concatenated. Borrowed
    /// when it is a single piece.
    pub value: Cow<'a, str>,
}

/// One step of a WBXML document, as read by [`crate::Reader::next`].
///
/// `Start` and `End` are always balanced: an element without content (content bit 0x40
/// clear) yields `Start` immediately followed by `End`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// Start of an element. `name` is from the table or (`LITERAL*`) from the string table.
    Start {
        /// Element name.
        name: Cow<'a, str>,
        /// Attributes in document order (empty without the 0x80 bit).
        attributes: Vec<Attribute<'a>>,
    },
    /// Start of an element whose tag token the table does not know. Only produced when the
    /// reader was told to report unknown tags ([`crate::Reader::set_report_unknown_tags`]);
    /// otherwise such a token is [`crate::Error::UnknownTag`]. Balanced by an `End` like any
    /// `Start`; the consumer usually skips the element with its content.
    UnknownStart {
        /// Tag code page in effect.
        page: u8,
        /// The 6-bit tag code (flag bits removed).
        code: u8,
        /// Attributes in document order (empty without the 0x80 bit).
        attributes: Vec<Attribute<'a>>,
    },
    /// Character data: `STR_I`, `STR_T`, or an `ENTITY` converted to its character.
    Text(Cow<'a, str>),
    /// `EXT_T_n` (`n` = 0, 1, 2) with its index, unresolved: the consumer resolves it with
    /// the table ([`crate::TokenTable::ext_t`]), as its meaning is language-specific.
    ExtT {
        /// Which extension (0, 1 or 2).
        n: u8,
        /// The `mb_u_int32` index.
        index: u32,
    },
    /// `EXT_I_n` (`n` = 0, 1, 2) with its inline string.
    ExtI {
        /// Which extension (0, 1 or 2).
        n: u8,
        /// The string.
        value: Cow<'a, str>,
    },
    /// `EXT_n` (`n` = 0, 1, 2): a single-byte extension token.
    Ext {
        /// Which extension (0, 1 or 2).
        n: u8,
    },
    /// `OPAQUE` data, borrowed from the input.
    Opaque(&'a [u8]),
    /// Processing instruction: target (attribute-start name) and data (prefix and value).
    /// Consumers may ignore it.
    Pi {
        /// PI target.
        target: Cow<'a, str>,
        /// PI data.
        data: Cow<'a, str>,
    },
    /// End of the innermost open element.
    End,
}

/// One token of a WBXML document, as read by [`crate::Reader::next_token`]: the same steps as
/// [`Event`], borrowed and small (`Copy`, no allocation). Attributes of a `Start` and the target
/// and data of a `Pi` are not in the token: they are in [`crate::Reader::attributes`] until the
/// next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// Start of an element.
    Start {
        /// Tag code page in effect (meaningless for a `LITERAL` name).
        page: u8,
        /// The 6-bit tag code (flag bits removed); `0x04` (`LITERAL`) for a name from the
        /// string table.
        code: u8,
        /// Element name: from the table or (`LITERAL*`) from the string table.
        name: &'a str,
    },
    /// Start of an element whose tag token the table does not know (only when the reader
    /// reports unknown tags, see [`crate::Reader::set_report_unknown_tags`]).
    UnknownStart {
        /// Tag code page in effect.
        page: u8,
        /// The 6-bit tag code (flag bits removed).
        code: u8,
    },
    /// End of the innermost open element.
    End,
    /// Character data: `STR_I` or `STR_T`.
    Str(&'a str),
    /// `ENTITY`: one character.
    Entity(char),
    /// `EXT_T_n` (`n` = 0, 1, 2) with its index, unresolved.
    ExtT {
        /// Which extension (0, 1 or 2).
        n: u8,
        /// The `mb_u_int32` index.
        index: u32,
    },
    /// `EXT_I_n` (`n` = 0, 1, 2) with its inline string.
    ExtI {
        /// Which extension (0, 1 or 2).
        n: u8,
        /// The string.
        value: &'a str,
    },
    /// `EXT_n` (`n` = 0, 1, 2): a single-byte extension token.
    Ext {
        /// Which extension (0, 1 or 2).
        n: u8,
    },
    /// `OPAQUE` data, borrowed from the input.
    Opaque(&'a [u8]),
    /// Processing instruction: [`crate::Reader::attributes`] holds one entry, its target
    /// (name) and data (value).
    Pi,
}
