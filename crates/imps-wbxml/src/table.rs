//! The token table a document type (such as IMPS CSP 1.2) hands to the reader and writer.

/// Tokens of one WBXML document type (one language version).
///
/// Tag tokens are the 6-bit codes `0x05..=0x3F` (without the content/attribute flag bits)
/// on a tag code page. Attribute-start tokens are `0x05..=0x7F`, attribute-value tokens
/// `0x80..=0xFF`, both on an attribute code page. `EXT_T_n` tokens carry an index into a
/// table of whole strings that the document type defines (IMPS uses `EXT_T_0` for its
/// value tokens). Every method has a default that knows nothing, so a table implements
/// only what its language uses.
pub trait TokenTable {
    /// Name of the tag `code` on tag code page `page`.
    fn tag_name(&self, page: u8, code: u8) -> Option<&'static str>;

    /// Code page and code of the tag `name`.
    fn tag_token(&self, name: &str) -> Option<(u8, u8)>;

    /// Every tag name of code page `page`, by 6-bit code: what [`TokenTable::tag_name`]
    /// returns, as a table the reader looks names up in (it asks once per page switch instead
    /// of calling `tag_name` per element). `None` (the default): the reader calls `tag_name`.
    fn tag_names(&self, _page: u8) -> Option<&'static [Option<&'static str>; 64]> {
        None
    }

    /// Attribute-start token `code` on attribute page `page`: the attribute name and the
    /// value prefix the token stands for (possibly empty).
    fn attr_start(&self, _page: u8, _code: u8) -> Option<(&'static str, &'static str)> {
        None
    }

    /// The attribute-start token that best encodes attribute `name` with value `value`:
    /// `(page, code, prefix_len)` where `prefix_len` bytes of `value` are covered by the token.
    /// The longest prefix wins.
    fn attr_start_token(&self, _name: &str, _value: &str) -> Option<(u8, u8, usize)> {
        None
    }

    /// Attribute-value token `code` (`0x80..=0xFF`) on attribute page `page`.
    fn attr_value(&self, _page: u8, _code: u8) -> Option<&'static str> {
        None
    }

    /// The attribute-value token that encodes `value` exactly: `(page, code)`.
    fn attr_value_token(&self, _value: &str) -> Option<(u8, u8)> {
        None
    }

    /// The string that `EXT_T_n index` (`n` = 0, 1 or 2) stands for.
    fn ext_t(&self, _n: u8, _index: u32) -> Option<&'static str> {
        None
    }

    /// The `EXT_T_n` token `(n, index)` that stands for the whole string `value`.
    fn ext_t_token(&self, _value: &str) -> Option<(u8, u32)> {
        None
    }
}
