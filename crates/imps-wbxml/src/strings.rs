//! String helpers shared by the header parser and the reader.

use crate::Error;

/// `u32` to `usize`, saturating (so that a length that does not fit fails any limit check).
pub(crate) fn usize_of(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Validates `bytes` (found at input offset `offset`) as UTF-8.
pub(crate) fn utf8(bytes: &[u8], offset: usize) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
        offset: offset.saturating_add(e.valid_up_to()),
    })
}

/// The NUL-terminated string at `index` in the string table `strtbl` (which starts at input
/// offset `strtbl_offset`). `at` is the offset of the reference, for error reports.
pub(crate) fn table_str(
    strtbl: &[u8],
    strtbl_offset: usize,
    index: u32,
    at: usize,
    max_len: usize,
) -> Result<&str, Error> {
    let bad = Error::BadStringTableIndex { index, offset: at };
    let start = usize_of(index);
    let tail = strtbl.get(start..).ok_or_else(|| bad.clone())?;
    let len = tail.iter().position(|&b| b == 0).ok_or(bad)?;
    if len > max_len {
        return Err(Error::LimitExceeded {
            limit: "string length",
            max: max_len,
            offset: at,
        });
    }
    utf8(
        tail.get(..len).unwrap_or_default(),
        strtbl_offset.saturating_add(start),
    )
}
