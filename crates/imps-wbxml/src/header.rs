//! The WBXML document header: version, public identifier, charset and string table.

use crate::mb::read_mb_u32;
use crate::strings::{table_str, usize_of};
use crate::Error;

/// WBXML public identifier of the document type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicId {
    /// A well-known public identifier number (the header's `mb_u_int32`; `0x01` = unknown).
    Known(u32),
    /// A public identifier given as a string in the string table.
    Literal(String),
}

/// The WBXML document header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Version byte: major version minus one in the high nibble, minor version in the low
    /// nibble (`0x03` = WBXML 1.3). Only `0x00..=0x03` are accepted.
    pub version: u8,
    /// Document type.
    pub public_id: PublicId,
    /// IANA MIBenum of the character set (106 = UTF-8). WBXML 1.0 headers have no charset
    /// field; for them this is 0 ("unknown", read as UTF-8).
    pub charset: u32,
}

/// A parsed header plus where the string table and the body are.
pub(crate) struct RawHeader<'a> {
    pub header: Header,
    pub strtbl: &'a [u8],
    pub strtbl_offset: usize,
    pub body_offset: usize,
}

/// Parses the header. `max_string_table` and `max_string_len` bound the string table and the
/// literal public id.
pub(crate) fn parse_header(
    input: &[u8],
    max_string_table: usize,
    max_string_len: usize,
) -> Result<RawHeader<'_>, Error> {
    let version = *input.first().ok_or(Error::Truncated {
        offset: 0,
        context: "WBXML version byte",
    })?;
    if version > 0x03 {
        return Err(Error::UnsupportedVersion { version });
    }
    let mut pos = 1;
    let pid = read_mb_u32(input, &mut pos)?;
    let literal_index = if pid == 0 {
        let at = pos;
        Some((read_mb_u32(input, &mut pos)?, at))
    } else {
        None
    };
    // WBXML 1.0 has no charset field.
    let charset = if version == 0 {
        0
    } else {
        read_mb_u32(input, &mut pos)?
    };
    let len_offset = pos;
    let len = usize_of(read_mb_u32(input, &mut pos)?);
    if len > max_string_table {
        return Err(Error::LimitExceeded {
            limit: "string table",
            max: max_string_table,
            offset: len_offset,
        });
    }
    let strtbl_offset = pos;
    let strtbl = input
        .get(pos..)
        .and_then(|rest| rest.get(..len))
        .ok_or(Error::Truncated {
            offset: input.len(),
            context: "string table",
        })?;
    let body_offset = strtbl_offset + len;
    let public_id = match literal_index {
        None => PublicId::Known(pid),
        Some((index, at)) => {
            let s = table_str(strtbl, strtbl_offset, index, at, max_string_len)?;
            PublicId::Literal(s.to_owned())
        }
    };
    Ok(RawHeader {
        header: Header {
            version,
            public_id,
            charset,
        },
        strtbl,
        strtbl_offset,
        body_offset,
    })
}

/// Reads only the header of a WBXML document (to pick a token table before reading the
/// body). Returns the header and the offset of the body (after the string table).
///
/// No [`crate::Limits`] are applied here (nothing is allocated but a literal public id,
/// which is bounded by the input); [`crate::Reader::new`] applies them. The charset is
/// returned as found, not checked.
pub fn read_header(input: &[u8]) -> Result<(Header, usize), Error> {
    let raw = parse_header(input, usize::MAX, usize::MAX)?;
    Ok((raw.header, raw.body_offset))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_public_id() {
        let (h, body) = read_header(&[0x03, 0x11, 0x6A, 0x00, 0xC9]).unwrap();
        assert_eq!(
            h,
            Header {
                version: 3,
                public_id: PublicId::Known(0x11),
                charset: 106
            }
        );
        assert_eq!(body, 4);
    }

    #[test]
    fn multi_byte_fields() {
        let (h, body) = read_header(&[0x02, 0x81, 0x00, 0x81, 0x6A, 0x00]).unwrap();
        assert_eq!(h.public_id, PublicId::Known(0x80));
        assert_eq!(h.charset, 0xEA);
        assert_eq!(body, 6);
    }

    #[test]
    fn literal_public_id() {
        let mut doc = vec![0x03, 0x00, 0x02, 0x6A, 0x06, b'x', 0, b'-', b'/', b'/', 0];
        doc.push(0x45);
        let (h, body) = read_header(&doc).unwrap();
        assert_eq!(h.public_id, PublicId::Literal("-//".into()));
        assert_eq!(body, 11);
    }

    #[test]
    fn literal_public_id_bad_index() {
        let doc = [0x03, 0x00, 0x09, 0x6A, 0x02, b'x', 0];
        assert_eq!(
            read_header(&doc).unwrap_err(),
            Error::BadStringTableIndex {
                index: 9,
                offset: 2
            }
        );
        let doc = [0x03, 0x00, 0x00, 0x6A, 0x02, b'x', b'y'];
        assert!(matches!(
            read_header(&doc),
            Err(Error::BadStringTableIndex { index: 0, .. })
        ));
    }

    #[test]
    fn wbxml_1_0_has_no_charset() {
        let (h, body) = read_header(&[0x00, 0x01, 0x00, 0x45]).unwrap();
        assert_eq!(h.version, 0);
        assert_eq!(h.charset, 0);
        assert_eq!(h.public_id, PublicId::Known(1));
        assert_eq!(body, 3);
    }

    #[test]
    fn rejects_other_versions() {
        for v in [0x04u8, 0x10, 0x13, 0xFF] {
            assert_eq!(
                read_header(&[v, 0x01, 0x6A, 0x00]).unwrap_err(),
                Error::UnsupportedVersion { version: v }
            );
        }
    }

    #[test]
    fn truncated_everywhere() {
        let doc = [0x03, 0x00, 0x81, 0x00, 0x81, 0x6A, 0x81, 0x00];
        for n in 0..doc.len() {
            assert!(read_header(&doc[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn huge_string_table_is_truncation_or_limit() {
        let doc = [0x03, 0x01, 0x6A, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F];
        assert!(matches!(read_header(&doc), Err(Error::Truncated { .. })));
        assert!(matches!(
            parse_header(&doc, 1024, 1024),
            Err(Error::LimitExceeded {
                limit: "string table",
                max: 1024,
                offset: 3
            })
        ));
    }
}
