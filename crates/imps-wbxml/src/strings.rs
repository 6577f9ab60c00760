//! String helpers shared by the header parser and the reader.

use crate::Error;

/// `u32` to `usize`, saturating (so that a length that does not fit fails any limit check).
pub(crate) fn usize_of(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Index of the first NUL byte of `bytes`: eight bytes at a time, then byte by byte in the
/// word that holds it.
#[inline]
pub(crate) fn find_nul(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_ne_bytes);
        // Non-zero iff some byte of the word is zero.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            break;
        }
        at += 8;
    }
    bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == 0))
        .map(|i| at + i)
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
    let len = find_nul(tail).ok_or(bad)?;
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

#[cfg(test)]
mod tests {
    use super::find_nul;

    #[test]
    fn finds_the_first_nul_anywhere() {
        for len in 0..40 {
            let plain = vec![0x80u8 | (len as u8); len];
            assert_eq!(find_nul(&plain), None);
            for at in 0..len {
                let mut b = plain.clone();
                b[at] = 0;
                assert_eq!(find_nul(&b), Some(at), "len {len} at {at}");
                if at + 1 < len {
                    b[at + 1] = 0;
                    assert_eq!(find_nul(&b), Some(at), "len {len} at {at}, two NULs");
                }
            }
        }
        assert_eq!(
            find_nul(&[1, 0x81, 0xFF, 0x7F, 0x01, 0x02, 0x80, 0x10, 0]),
            Some(8)
        );
    }
}
