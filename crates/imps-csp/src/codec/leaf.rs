//! Leaf element types: text, booleans, integers, DateTime, binary content, empty markers.

use std::fmt;

use super::{read_raw, read_text, Element, Raw, Sink, Source};
use crate::error::{DecodeError, EncodeError};
use crate::status::StatusCode;

impl Element for String {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        Ok(read_text(src, "")?.into_owned())
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        if !self.is_empty() {
            sink.text(self)?;
        }
        sink.end()
    }
}

/// CSP boolean: `T` / `F` (lenient: any case, surrounding whitespace, `true`/`false`; an empty
/// element, as some handsets send for an unset flag, reads as `F`).
impl Element for bool {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let t = read_text(src, "")?;
        match t.trim() {
            "T" | "t" | "true" | "TRUE" | "True" => Ok(true),
            "F" | "f" | "false" | "FALSE" | "False" | "" => Ok(false),
            other => Err(DecodeError::bad("", format!("not a boolean: {other:?}"))),
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.text(if *self { "T" } else { "F" })?;
        sink.end()
    }
}

/// Decodes an integer: OPAQUE big-endian (0 to 4 bytes; empty = 0) or decimal text.
pub(crate) fn decode_u32<'a, S: Source<'a>>(src: &mut S) -> Result<u32, DecodeError> {
    match read_raw(src, "")? {
        Raw::Opaque(b) => {
            if b.len() > 4 {
                return Err(DecodeError::bad(
                    "",
                    format!("integer of {} bytes", b.len()),
                ));
            }
            Ok(b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
        }
        Raw::Text(t) => {
            let t = t.trim();
            t.parse::<u32>()
                .map_err(|_| DecodeError::bad("", format!("not an integer: {t:?}")))
        }
    }
}

impl Element for u32 {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        decode_u32(src)
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.integer(*self)?;
        sink.end()
    }
}

impl Element for StatusCode {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let v = decode_u32(src)?;
        u16::try_from(v)
            .map(StatusCode)
            .map_err(|_| DecodeError::bad("", format!("status code out of range: {v}")))
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.integer(u32::from(self.0))?;
        sink.end()
    }
}

/// An element that is present or absent and has no content (function codes, attribute names
/// in presence requests, `ClearPublicProfile`, ...). Any content is ignored when decoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Empty;

impl Element for Empty {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        read_raw(src, "")?;
        Ok(Empty)
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.end()
    }
}

/// Binary data: OPAQUE in WBXML; base64 text in XML. Text content decodes as base64 too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binary(pub Vec<u8>);

impl Element for Binary {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        use base64::Engine;
        match read_raw(src, "")? {
            Raw::Opaque(b) => Ok(Binary(b.into_owned())),
            Raw::Text(t) => {
                let cleaned: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(cleaned.as_bytes())
                    .map(Binary)
                    .map_err(|e| DecodeError::bad("", format!("bad base64: {e}")))
            }
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.binary(&self.0)?;
        sink.end()
    }
}

/// `ContentData`: text as sent (XML, WBXML STR_I), or raw bytes (WBXML OPAQUE).
///
/// XML carries binary content as base64 text with `ContentEncoding` = `BASE64`; this type
/// does not interpret `ContentEncoding` (the message layer does), so XML always decodes to
/// [`ContentData::Text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentData {
    /// Character content.
    Text(String),
    /// OPAQUE bytes (WBXML); written as base64 in XML.
    Binary(Vec<u8>),
}

impl Default for ContentData {
    fn default() -> Self {
        ContentData::Text(String::new())
    }
}

impl Element for ContentData {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        match read_raw(src, "")? {
            Raw::Opaque(b) => Ok(ContentData::Binary(b.into_owned())),
            Raw::Text(t) => Ok(ContentData::Text(t.into_owned())),
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        match self {
            ContentData::Text(t) if !t.is_empty() => sink.text(t)?,
            ContentData::Text(_) => {}
            ContentData::Binary(b) => sink.binary(b)?,
        }
        sink.end()
    }
}

/// CSP DateTime: `YYYYMMDDThhmmss` plus a time-zone designator (`Z` for UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Year (0..=4095 in WBXML).
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59 (60 tolerated for leap seconds).
    pub second: u8,
    /// Time-zone designator, an ASCII letter (`b'Z'` = UTC); 0 when absent (local time).
    pub zone: u8,
}

impl DateTime {
    /// A UTC DateTime from its fields (no validation; use [`DateTime::is_valid`]).
    pub fn utc(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Self {
        DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            zone: b'Z',
        }
    }

    /// Whether every field is in range.
    pub fn is_valid(&self) -> bool {
        self.year <= 4095
            && (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60
            && (self.zone == 0 || self.zone.is_ascii_alphabetic())
    }

    /// The UTC DateTime of `secs` seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: u64) -> Self {
        let days = secs / 86_400;
        let rem = secs % 86_400;
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = if m <= 2 { y + 1 } else { y };
        DateTime::utc(
            y.clamp(0, 4095) as u16,
            m as u8,
            d as u8,
            (rem / 3600) as u8,
            (rem % 3600 / 60) as u8,
            (rem % 60) as u8,
        )
    }

    /// Seconds since 1970-01-01T00:00:00 (the zone designator is not applied).
    pub fn to_unix(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Parses the basic form `YYYYMMDDThhmmss[Z]` and, leniently, the extended form
    /// `YYYY-MM-DDThh:mm:ss[Z]` (with optional fractional seconds, ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (body, zone) = match s.as_bytes().last() {
            Some(&c) if c.is_ascii_alphabetic() && s.len() > 15 => (&s[..s.len() - 1], c),
            _ => (s, 0),
        };
        // The first 14 digits (YYYYMMDDhhmmss), without allocating; later ones (fractions
        // of a second) are ignored.
        let mut digits = [0u8; 14];
        let mut count = 0usize;
        let mut has_t = false;
        for b in body.bytes() {
            match b {
                b'0'..=b'9' => {
                    if let Some(d) = digits.get_mut(count) {
                        *d = b - b'0';
                    }
                    count += 1;
                }
                b'T' | b't' => has_t = true,
                b'-' | b':' | b'.' => {}
                _ => return None,
            }
        }
        if count < 14 || !has_t {
            return None;
        }
        let n = |a: usize, b: usize| {
            digits
                .get(a..b)
                .map(|ds| ds.iter().fold(0u16, |acc, &d| acc * 10 + u16::from(d)))
        };
        let dt = DateTime {
            year: n(0, 4)?,
            month: n(4, 6)? as u8,
            day: n(6, 8)? as u8,
            hour: n(8, 10)? as u8,
            minute: n(10, 12)? as u8,
            second: n(12, 14)? as u8,
            zone,
        };
        dt.is_valid().then_some(dt)
    }

    /// The 6-byte WBXML packed form (wbxml-tables.md §4.2).
    pub fn to_packed(&self) -> [u8; 6] {
        let y = u32::from(self.year) & 0xFFF;
        let mo = u32::from(self.month) & 0xF;
        let d = u32::from(self.day) & 0x1F;
        let h = u32::from(self.hour) & 0x1F;
        let mi = u32::from(self.minute) & 0x3F;
        let s = u32::from(self.second) & 0x3F;
        [
            (y >> 6) as u8,
            (((y & 0x3F) << 2) | (mo >> 2)) as u8,
            (((mo & 0x3) << 6) | (d << 1) | (h >> 4)) as u8,
            (((h & 0xF) << 4) | (mi >> 2)) as u8,
            (((mi & 0x3) << 6) | s) as u8,
            if self.zone == 0 { b'Z' } else { self.zone },
        ]
    }

    /// Decodes the 6-byte packed form (a missing zone byte, 5 bytes, is taken as UTC).
    pub fn from_packed(b: &[u8]) -> Option<Self> {
        if b.len() != 6 && b.len() != 5 {
            return None;
        }
        let y = (u16::from(b[0] & 0x3F) << 6) | u16::from(b[1] >> 2);
        let mo = ((b[1] & 0x3) << 2) | (b[2] >> 6);
        let d = (b[2] >> 1) & 0x1F;
        let h = ((b[2] & 0x1) << 4) | (b[3] >> 4);
        let mi = ((b[3] & 0xF) << 2) | (b[4] >> 6);
        let s = b[4] & 0x3F;
        let zone = b.get(5).copied().unwrap_or(b'Z');
        let dt = DateTime {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            zone,
        };
        dt.is_valid().then_some(dt)
    }
}

impl fmt::Display for DateTime {
    /// The basic form real handsets parse: `YYYYMMDDThhmmssZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}T{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.zone != 0 {
            write!(f, "{}", char::from(self.zone))?;
        }
        Ok(())
    }
}

impl Element for DateTime {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        match read_raw(src, "")? {
            Raw::Opaque(b) => DateTime::from_packed(&b).ok_or_else(|| {
                DecodeError::bad("", format!("bad packed DateTime of {} bytes", b.len()))
            }),
            Raw::Text(t) => DateTime::parse(&t)
                .ok_or_else(|| DecodeError::bad("", format!("bad DateTime {t:?}"))),
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.datetime(self)?;
        sink.end()
    }
}

impl super::Sample for String {
    fn sample() -> Self {
        "wv:sample@example.com".to_owned()
    }
}
impl super::Sample for bool {
    fn sample() -> Self {
        true
    }
}
impl super::Sample for u32 {
    fn sample() -> Self {
        300
    }
}
impl super::Sample for StatusCode {
    fn sample() -> Self {
        StatusCode(531)
    }
}
impl super::Sample for Empty {
    fn sample() -> Self {
        Empty
    }
}
impl super::Sample for Binary {
    fn sample() -> Self {
        Binary(vec![0, 1, 2, 0xFF, b'<'])
    }
}
impl super::Sample for ContentData {
    fn sample() -> Self {
        ContentData::Text("Grüße <&> 😀".to_owned())
    }
}
impl super::Sample for DateTime {
    fn sample() -> Self {
        DateTime::utc(2025, 11, 4, 10, 15, 59)
    }
}

crate::required_slot!(
    String,
    bool,
    u32,
    StatusCode,
    Empty,
    Binary,
    ContentData,
    DateTime
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_packed_matches_android_vector() {
        let dt = DateTime::parse("20010925T165859Z").expect("parses");
        assert_eq!(dt.to_packed(), [0x1F, 0x46, 0x73, 0x0E, 0xBB, 0x5A]);
        assert_eq!(
            DateTime::from_packed(&[0x1F, 0x46, 0x73, 0x0E, 0xBB, 0x5A]),
            Some(dt)
        );
        assert_eq!(dt.to_string(), "20010925T165859Z");
    }

    #[test]
    fn datetime_forms() {
        let a = DateTime::parse("2025-11-04T10:15:00Z").expect("extended form");
        assert_eq!(a.to_string(), "20251104T101500Z");
        assert_eq!(DateTime::parse("20251104T101500").map(|d| d.zone), Some(0));
        assert_eq!(DateTime::parse("20251304T101500Z"), None);
        assert_eq!(DateTime::parse("yesterday"), None);
        assert_eq!(DateTime::parse("2025110410150Z"), None);
        // Fractions of a second are ignored; anything but digits and separators is refused.
        assert_eq!(DateTime::parse("2025-11-04T10:15:00.123Z"), Some(a));
        assert_eq!(
            DateTime::parse("20251104T101500.5"),
            DateTime::parse("20251104T101500")
        );
        assert_eq!(DateTime::parse("20251104 101500Z"), None);
        assert_eq!(DateTime::parse("2025११04T101500Z"), None);
        assert_eq!(DateTime::parse("20251104101500Z"), None);
    }

    #[test]
    fn valid_datetime_survives_its_text_form() {
        // Fuzz finding (roundtrip): a packed DateTime with zone byte `^` was accepted, but its
        // text form `20251104T101500^` did not parse, so the XML encoding did not decode.
        let packed = [0x1F, 0xA6, 0xC8, 0xA3, 0xC0, b'^'];
        assert_eq!(DateTime::from_packed(&packed), None);
        let utc = DateTime::from_packed(&[0x1F, 0xA6, 0xC8, 0xA3, 0xC0, b'Z']).expect("UTC");
        assert_eq!(utc.to_string(), "20251104T101500Z");
        for zone in 0..=u8::MAX {
            let dt = DateTime { zone, ..utc };
            if dt.is_valid() {
                assert_eq!(
                    DateTime::parse(&dt.to_string()),
                    Some(dt),
                    "zone {zone:#04x}"
                );
            }
        }
    }

    #[test]
    fn unix_round_trip() {
        for secs in [0u64, 951_782_400, 1_762_251_300, 4_102_444_799] {
            let dt = DateTime::from_unix(secs);
            assert_eq!(dt.to_unix(), secs as i64, "{dt}");
        }
        assert_eq!(
            DateTime::from_unix(1_762_251_300).to_string(),
            "20251104T101500Z"
        );
    }
}
