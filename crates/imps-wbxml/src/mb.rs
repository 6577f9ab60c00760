//! `mb_u_int32`: the WBXML variable-length unsigned integer (7 bits per byte, big-endian,
//! high bit set on every byte but the last, at most 5 bytes).

use crate::Error;

/// Appends `v` as an `mb_u_int32` (1 to 5 bytes, minimal length).
pub fn write_mb_u32(out: &mut Vec<u8>, v: u32) {
    let mut buf = [0u8; 5];
    let mut start = buf.len();
    let mut rest = v;
    let mut last = true;
    for slot in buf.iter_mut().rev() {
        let flag = if last { 0 } else { 0x80 };
        *slot = flag | (rest & 0x7F) as u8;
        start -= 1;
        last = false;
        rest >>= 7;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(start..).unwrap_or(&buf));
}

/// Reads an `mb_u_int32` at `*pos`, advancing `*pos` past it on success.
///
/// Errors: [`Error::Truncated`] if the input ends inside it, [`Error::IntegerOverflow`] if it
/// has more than 5 bytes or its value exceeds `u32::MAX`. `*pos` is unchanged on error.
pub fn read_mb_u32(input: &[u8], pos: &mut usize) -> Result<u32, Error> {
    let start = *pos;
    let rest = input.get(start..).unwrap_or_default();
    let mut v: u32 = 0;
    for (i, &b) in rest.iter().take(5).enumerate() {
        if v >> 25 != 0 {
            return Err(Error::IntegerOverflow { offset: start });
        }
        v = (v << 7) | u32::from(b & 0x7F);
        if b & 0x80 == 0 {
            *pos = start + i + 1;
            return Ok(v);
        }
    }
    if rest.len() >= 5 {
        Err(Error::IntegerOverflow { offset: start })
    } else {
        Err(Error::Truncated {
            offset: input.len().max(start),
            context: "multi-byte integer",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: u32) -> Vec<u8> {
        let mut out = Vec::new();
        write_mb_u32(&mut out, v);
        out
    }

    #[test]
    fn encodes_minimal() {
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(0x7F), [0x7F]);
        assert_eq!(enc(0x80), [0x81, 0x00]);
        assert_eq!(enc(0xA5), [0x81, 0x25]);
        assert_eq!(enc(0x3FFF), [0xFF, 0x7F]);
        assert_eq!(enc(0x4000), [0x81, 0x80, 0x00]);
        assert_eq!(enc(u32::MAX), [0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
    }

    #[test]
    fn round_trips() {
        let mut x: u32 = 1;
        for v in [
            0,
            1,
            127,
            128,
            255,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            268_435_455,
            268_435_456,
            u32::MAX,
        ]
        .into_iter()
        .chain((0..200).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            x
        })) {
            let bytes = enc(v);
            let mut pos = 0;
            assert_eq!(read_mb_u32(&bytes, &mut pos), Ok(v));
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn reads_at_offset_and_accepts_non_minimal() {
        let bytes = [0xFF, 0x80, 0x80, 0x05, 0x01];
        let mut pos = 1;
        assert_eq!(read_mb_u32(&bytes, &mut pos), Ok(5));
        assert_eq!(pos, 4);
    }

    #[test]
    fn rejects_overflow_and_too_long() {
        let mut pos = 0;
        assert_eq!(
            read_mb_u32(&[0x90, 0x80, 0x80, 0x80, 0x00], &mut pos),
            Err(Error::IntegerOverflow { offset: 0 })
        );
        assert_eq!(
            read_mb_u32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], &mut pos),
            Err(Error::IntegerOverflow { offset: 0 })
        );
        assert_eq!(
            read_mb_u32(&[0xFF; 64], &mut pos),
            Err(Error::IntegerOverflow { offset: 0 })
        );
        assert_eq!(pos, 0);
    }

    #[test]
    fn rejects_truncation() {
        let mut pos = 0;
        assert!(matches!(
            read_mb_u32(&[], &mut pos),
            Err(Error::Truncated { offset: 0, .. })
        ));
        assert!(matches!(
            read_mb_u32(&[0x81, 0x80], &mut pos),
            Err(Error::Truncated { offset: 2, .. })
        ));
        let mut pos = 7;
        assert!(matches!(
            read_mb_u32(&[0x01], &mut pos),
            Err(Error::Truncated { offset: 7, .. })
        ));
    }
}
