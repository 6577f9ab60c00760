//! The one error type of the reader and the writer.

/// What went wrong while reading or writing a WBXML document.
///
/// Reader errors carry the byte offset (from the start of the input) where the problem
/// was found. Writer errors describe the misuse.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input ended in the middle of something.
    #[error("WBXML input truncated at byte {offset}: expected {context}")]
    Truncated {
        /// Offset where more input was needed (usually the input length).
        offset: usize,
        /// What was being read.
        context: &'static str,
    },
    /// A configured limit was exceeded.
    #[error("WBXML {limit} limit exceeded at byte {offset} (maximum {max})")]
    LimitExceeded {
        /// Which limit: "depth", "elements", "attributes", "string length", "opaque length",
        /// "total size" or "string table".
        limit: &'static str,
        /// The configured maximum.
        max: usize,
        /// Offset of the token that exceeded it.
        offset: usize,
    },
    /// A tag token that the token table does not know.
    #[error("unknown WBXML tag token {code:#04x} on tag code page {page} at byte {offset}")]
    UnknownTag {
        /// Tag code page in effect.
        page: u8,
        /// The 6-bit tag code (flag bits removed).
        code: u8,
        /// Offset of the token.
        offset: usize,
    },
    /// An attribute-start or attribute-value token that the token table does not know.
    #[error(
        "unknown WBXML attribute token {code:#04x} on attribute code page {page} at byte {offset}"
    )]
    UnknownAttribute {
        /// Attribute code page in effect.
        page: u8,
        /// The token.
        code: u8,
        /// Offset of the token.
        offset: usize,
    },
    /// An `EXT_T_n` token inside an attribute value whose string the table does not know
    /// (attribute values are text, so the reader must resolve it there).
    #[error("unknown EXT_T_{n} index {index} in an attribute value at byte {offset}")]
    UnknownExtension {
        /// Which `EXT_T_n`.
        n: u8,
        /// The index.
        index: u32,
        /// Offset of the token.
        offset: usize,
    },
    /// A string is not valid UTF-8.
    #[error("invalid UTF-8 in a WBXML string at byte {offset}")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A string-table reference outside the table or to a string without a NUL terminator.
    #[error("bad WBXML string table index {index} at byte {offset}")]
    BadStringTableIndex {
        /// The index.
        index: u32,
        /// Offset of the index.
        offset: usize,
    },
    /// A token that is not allowed where it was found.
    #[error("unexpected WBXML token {token:#04x} at byte {offset} ({context})")]
    UnexpectedToken {
        /// The token.
        token: u8,
        /// Offset of the token.
        offset: usize,
        /// Where it was found / why it is wrong.
        context: &'static str,
    },
    /// An `mb_u_int32` longer than 5 bytes or larger than `u32::MAX`.
    #[error("WBXML multi-byte integer at byte {offset} overflows 32 bits")]
    IntegerOverflow {
        /// Offset of the integer's first byte.
        offset: usize,
    },
    /// An `ENTITY` whose code point is not a Unicode scalar value.
    #[error("WBXML entity U+{code_point:X} at byte {offset} is not a Unicode character")]
    InvalidEntity {
        /// The code point.
        code_point: u32,
        /// Offset of the token (reader) or of the output position (writer).
        offset: usize,
    },
    /// A charset other than UTF-8 (106), US-ASCII (3) or unknown (0).
    #[error(
        "unsupported WBXML charset (IANA MIBenum {charset}); only UTF-8 and US-ASCII are supported"
    )]
    UnsupportedCharset {
        /// The MIBenum.
        charset: u32,
    },
    /// A WBXML version byte other than 0x00..=0x03 (WBXML 1.0 to 1.3).
    #[error("unsupported WBXML version byte {version:#04x}; only 1.0 to 1.3 are supported")]
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
    /// Bytes after the end of the root element that are not processing instructions.
    #[error("trailing data after the WBXML root element at byte {offset}")]
    TrailingData {
        /// Offset of the first trailing byte.
        offset: usize,
    },
    /// Writer misuse: elements not balanced, content outside the root, a second root.
    #[error("unbalanced WBXML writer use: {context}")]
    Unbalanced {
        /// What was wrong.
        context: &'static str,
    },
    /// Writer: a string that WBXML must NUL-terminate contains a NUL character.
    #[error("WBXML {context} contains a NUL character")]
    NulInString {
        /// Which string.
        context: &'static str,
    },
    /// Writer: an extension number other than 0, 1 or 2.
    #[error("WBXML extension number {n} is not 0, 1 or 2")]
    BadExtension {
        /// The number given.
        n: u8,
    },
    /// Writer: the token table returned a token outside its allowed range.
    #[error("token table returned an invalid {context}")]
    BadTableEntry {
        /// Which lookup.
        context: &'static str,
    },
    /// Writer: a length or index does not fit an `mb_u_int32`.
    #[error("WBXML {context} does not fit in 32 bits")]
    TooLarge {
        /// What was too large.
        context: &'static str,
    },
}
