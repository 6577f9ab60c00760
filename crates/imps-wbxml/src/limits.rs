//! Resource limits of the reader.

/// Decoded bytes allowed per input byte by [`Limits::default`] and [`Limits::for_body`].
pub const DECODED_BYTES_PER_INPUT_BYTE: usize = 16;

/// The decoded-bytes budget of a document is never smaller than this (unless
/// [`Limits::max_decoded_bytes`] is): a tiny document made of table tokens may legitimately
/// expand more than [`DECODED_BYTES_PER_INPUT_BYTE`] times.
pub const MIN_DECODED_BUDGET: usize = 64 << 10;

/// The absolute cap on decoded bytes per document of [`Limits::default`] and
/// [`Limits::for_body`].
pub const MAX_DECODED_BYTES: usize = 16 << 20;

/// Limits the [`crate::Reader`] enforces in every state, so that a hostile document cannot
/// make it use unbounded memory or time.
///
/// The reader never allocates based on a declared length before checking it against these
/// limits and against the remaining input.
///
/// Adding a field is an API change for code that builds `Limits` with a struct literal: build
/// it from [`Limits::default`] or [`Limits::for_body`] with `..` instead.
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
    /// Absolute cap on the decoded bytes of one document: the total length of every string
    /// and `OPAQUE` a decoder hands out (text, string-table references, entities, extension
    /// strings, literal names, attribute values with their prefixes), counted each time it is
    /// handed out. The budget of one document is [`Limits::decoded_budget`] of its size.
    /// Reported as the "decoded bytes" limit.
    pub max_decoded_bytes: usize,
    /// Decoded bytes allowed per input byte (see [`Limits::decoded_budget`]).
    pub decoded_bytes_per_input_byte: usize,
}

impl Default for Limits {
    /// Server defaults: depth 64, 50 000 elements, strings 1 MiB, opaque 4 MiB,
    /// input 8 MiB, string table 1 MiB, decoded bytes 16 per input byte (at least 64 KiB)
    /// and at most 16 MiB.
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 50_000,
            max_string_len: 1 << 20,
            max_opaque_len: 4 << 20,
            max_total_size: 8 << 20,
            max_string_table: 1 << 20,
            max_decoded_bytes: MAX_DECODED_BYTES,
            decoded_bytes_per_input_byte: DECODED_BYTES_PER_INPUT_BYTE,
        }
    }
}

impl Limits {
    /// Limits for documents of at most `max_body_bytes` bytes, every one derived from that
    /// size and never above [`Limits::default`]:
    ///
    /// * input, string table, one `OPAQUE`: `max_body_bytes` (defaults 8 MiB, 1 MiB, 4 MiB
    ///   at most);
    /// * elements (and attributes): `max_body_bytes` (each takes at least one byte), at most
    ///   50 000;
    /// * decoded bytes: `16 × max_body_bytes`, at least 64 KiB, at most 16 MiB; per document
    ///   [`Limits::decoded_budget`] of its actual size;
    /// * one string: 1 MiB, at most the decoded budget;
    /// * depth: 64.
    pub fn for_body(max_body_bytes: usize) -> Limits {
        let d = Limits::default();
        let n = max_body_bytes;
        let max_decoded_bytes = n
            .saturating_mul(DECODED_BYTES_PER_INPUT_BYTE)
            .clamp(MIN_DECODED_BUDGET, MAX_DECODED_BYTES);
        Limits {
            max_depth: d.max_depth,
            max_elements: d.max_elements.min(n),
            max_string_len: d.max_string_len.min(max_decoded_bytes),
            max_opaque_len: d.max_opaque_len.min(n),
            max_total_size: d.max_total_size.min(n),
            max_string_table: d.max_string_table.min(n),
            max_decoded_bytes,
            decoded_bytes_per_input_byte: DECODED_BYTES_PER_INPUT_BYTE,
        }
    }

    /// The decoded-bytes budget of one document of `input_len` bytes:
    /// `decoded_bytes_per_input_byte × input_len`, at least [`MIN_DECODED_BUDGET`], and never
    /// above `max_decoded_bytes`.
    pub fn decoded_budget(&self, input_len: usize) -> usize {
        input_len
            .saturating_mul(self.decoded_bytes_per_input_byte)
            .max(MIN_DECODED_BUDGET)
            .min(self.max_decoded_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_follow_the_input_and_are_capped() {
        let l = Limits::default();
        assert_eq!(l.decoded_budget(0), 64 << 10);
        assert_eq!(l.decoded_budget(100 << 10), 1600 << 10);
        assert_eq!(l.decoded_budget(usize::MAX), 16 << 20);
        let server = Limits::for_body(256 << 10);
        assert_eq!(server.max_total_size, 256 << 10);
        assert_eq!(server.max_decoded_bytes, 4 << 20);
        assert_eq!(server.decoded_budget(1000), 64 << 10);
        assert_eq!(server.decoded_budget(256 << 10), 4 << 20);
        let tiny = Limits::for_body(100);
        assert_eq!(tiny.max_elements, 100);
        assert_eq!(tiny.max_decoded_bytes, 64 << 10);
        let huge = Limits::for_body(1 << 40);
        assert_eq!(huge.max_decoded_bytes, 16 << 20);
        assert_eq!(huge.max_total_size, Limits::default().max_total_size);
    }
}
