//! Resource limits of the reader.

/// Limits the [`crate::Reader`] enforces in every state, so that a hostile document cannot
/// make it use unbounded memory or time.
///
/// The reader never allocates based on a declared length before checking it against these
/// limits and against the remaining input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting depth (the root element is depth 1).
    pub max_depth: usize,
    /// Maximum number of elements in the document. The number of attributes in the
    /// document is bounded by the same number (separately counted, reported as
    /// "attributes").
    pub max_elements: usize,
    /// Maximum length in bytes of one string: `STR_I`, `STR_T`, `EXT_I_n`, a literal name,
    /// and a whole attribute value (prefix and all its parts).
    pub max_string_len: usize,
    /// Maximum length in bytes of one `OPAQUE`.
    pub max_opaque_len: usize,
    /// Maximum size in bytes of the whole input.
    pub max_total_size: usize,
    /// Maximum size in bytes of the string table.
    pub max_string_table: usize,
}

impl Default for Limits {
    /// Server defaults: depth 64, 50 000 elements, strings 1 MiB, opaque 4 MiB,
    /// input 8 MiB, string table 1 MiB.
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 50_000,
            max_string_len: 1 << 20,
            max_opaque_len: 4 << 20,
            max_total_size: 8 << 20,
            max_string_table: 1 << 20,
        }
    }
}
