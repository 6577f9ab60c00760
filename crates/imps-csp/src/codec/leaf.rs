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

/// Decodes an integer as real encoders write it: OPAQUE big-endian (empty = 0) or decimal
/// text. Values beyond `u32` saturate to `u32::MAX` (an OPAQUE longer than 4 significant
/// bytes, a decimal text too big); `Ok(None)` (with a warning) for content that is no number
/// at all (an empty text, letters, a sign; OPAQUE or text mixed with elements is still an
/// error). Android's native encoder sometimes writes garbage for integers: never refuse one.
pub(crate) fn decode_u32<'a, S: Source<'a>>(src: &mut S) -> Result<Option<u32>, DecodeError> {
    let value = match read_raw(src, "")? {
        Raw::Opaque(b) => Some(opaque_u32(&b)),
        Raw::Text(t) => text_u32(&t),
    };
    Ok(value)
}

/// A big-endian OPAQUE integer, saturating at `u32::MAX`.
fn opaque_u32(b: &[u8]) -> u32 {
    let significant = b.iter().position(|&x| x != 0).map_or(&b[..0], |i| &b[i..]);
    if significant.len() > 4 {
        tracing::warn!(bytes = b.len(), "integer OPAQUE beyond 32 bits saturated");
        return u32::MAX;
    }
    significant
        .iter()
        .fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
}

/// A decimal integer text (surrounding whitespace and a leading `+` allowed), saturating at
/// `u32::MAX`; `None` for anything else.
fn text_u32(t: &str) -> Option<u32> {
    let t = t.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        tracing::warn!(text = %t, "integer element that is not a number ignored");
        return None;
    }
    Some(digits.parse::<u32>().unwrap_or_else(|_| {
        tracing::warn!(text = %t, "integer beyond 32 bits saturated");
        u32::MAX
    }))
}

/// Integers: see `decode_u32`. A required integer that is not a number reads as 0; an
/// optional one stays absent; in a list it is left out.
impl Element for u32 {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        Ok(decode_u32(src)?.unwrap_or(0))
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.integer(*self)?;
        sink.end()
    }
    fn decode_opt<'a, S: Source<'a>>(
        src: &mut S,
        field: &mut Option<Self>,
    ) -> Result<(), DecodeError> {
        let v = decode_u32(src)?;
        if field.is_none() {
            *field = v;
        }
        Ok(())
    }
    fn decode_push<'a, S: Source<'a>>(src: &mut S, out: &mut Vec<Self>) -> Result<(), DecodeError> {
        out.extend(decode_u32(src)?);
        Ok(())
    }
}

/// Status codes are integers too (Android's encoder types `Code` as one): a value beyond
/// `u16` saturates to 65535 and a code that is not a number reads as 0, both codes no
/// specification defines (never a success).
impl Element for StatusCode {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let v = decode_u32(src)?.unwrap_or(0);
        Ok(StatusCode(u16::try_from(v).unwrap_or(u16::MAX)))
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

/// Seconds from 1970 to 0000-01-01T00:00:00Z, the earliest instant a DateTime holds.
const MIN_UNIX: i64 = -62_167_219_200;
/// Seconds from 1970 to 4095-12-31T23:59:59Z, the latest instant WBXML's 12-bit year holds.
const MAX_UNIX: i64 = 67_090_118_399;

/// A byte cursor for [`DateTime::parse`].
struct Cursor<'s> {
    b: &'s [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<u16> {
        let ds = self.b.get(self.at..self.at + n)?;
        if !ds.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(
            ds.iter()
                .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0')),
        )
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
        DateTime::from_unix_signed(i64::try_from(secs).unwrap_or(i64::MAX).min(MAX_UNIX))
    }

    /// [`DateTime::from_unix`] for any instant from year 0 to 4095 (clamped outside).
    fn from_unix_signed(secs: i64) -> Self {
        let secs = secs.clamp(MIN_UNIX, MAX_UNIX);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468;
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

    /// Parses a DateTime as real documents carry it, normalised to UTC:
    ///
    /// * the date in the basic (`YYYYMMDD`) or extended (`YYYY-MM-DD`) form, then `T`;
    /// * the time as `hhmmss`, `hhmm`, `hh:mm:ss` or `hh:mm`, seconds optionally followed by a
    ///   fraction (`.` or `,` and digits; ignored);
    /// * then nothing (no designator: the time is kept as given, zone 0), a zone letter (`Z`
    ///   = UTC, kept as given), or a UTC offset `±hh:mm`, `±hhmm` or `±hh`, which is applied:
    ///   the result is the same instant in UTC with zone `Z`.
    ///
    /// `None` for anything else, or for fields out of range.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.trim().as_bytes();
        let mut p = Cursor { b, at: 0 };
        let year = p.digits(4)?;
        let extended = p.eat(b'-');
        let month = p.digits(2)?;
        if extended && !p.eat(b'-') {
            return None;
        }
        let day = p.digits(2)?;
        if !(p.eat(b'T') || p.eat(b't')) {
            return None;
        }
        let hour = p.digits(2)?;
        let colon = p.eat(b':');
        let minute = p.digits(2)?;
        let second = match p.peek() {
            Some(c) if c.is_ascii_digit() && !colon => p.digits(2)?,
            Some(b':') if colon => {
                p.eat(b':');
                p.digits(2)?
            }
            _ => 0,
        };
        if p.eat(b'.') || p.eat(b',') {
            // A fraction of a second: at least one digit, ignored.
            p.digits(1)?;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
        }
        let mut dt = DateTime {
            year,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
            hour: u8::try_from(hour).ok()?,
            minute: u8::try_from(minute).ok()?,
            second: u8::try_from(second).ok()?,
            zone: 0,
        };
        match p.peek() {
            None => {}
            Some(c @ (b'+' | b'-')) => {
                p.at += 1;
                let oh = p.digits(2)?;
                // `±hh:mm`, `±hhmm` or `±hh`.
                let om = if p.eat(b':') || p.peek().is_some() {
                    p.digits(2)?
                } else {
                    0
                };
                if oh > 23 || om > 59 || !dt.is_valid() {
                    return None;
                }
                let offset = i64::from(oh) * 3600 + i64::from(om) * 60;
                let offset = if c == b'-' { -offset } else { offset };
                dt = dt.shifted(-offset)?;
            }
            Some(c) if c.is_ascii_alphabetic() => {
                p.at += 1;
                dt.zone = c;
            }
            Some(_) => return None,
        }
        if p.at != b.len() {
            return None;
        }
        dt.is_valid().then_some(dt)
    }

    /// The same wall-clock fields moved by `secs` seconds, in UTC (`Z`); a leap second (60)
    /// is kept as such. `None` when the result leaves the years WBXML can carry.
    fn shifted(&self, secs: i64) -> Option<Self> {
        let base = DateTime { second: 0, ..*self }.to_unix() + secs;
        if !(MIN_UNIX..=MAX_UNIX).contains(&base) {
            return None;
        }
        let mut dt = DateTime::from_unix_signed(base);
        dt.second = self.second;
        Some(dt)
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

/// Reads a DateTime: packed OPAQUE (5 or 6 bytes), text in any form [`DateTime::parse`]
/// accepts, or such text inside OPAQUE. `None`, with a warning, for anything else.
fn decode_datetime<'a, S: Source<'a>>(src: &mut S) -> Result<Option<DateTime>, DecodeError> {
    let dt = match read_raw(src, "")? {
        Raw::Opaque(b) => DateTime::from_packed(&b)
            .or_else(|| std::str::from_utf8(&b).ok().and_then(DateTime::parse)),
        Raw::Text(t) => DateTime::parse(&t),
    };
    if dt.is_none() {
        tracing::warn!("DateTime that cannot be read ignored");
    }
    Ok(dt)
}

/// DateTime elements: see `decode_datetime`. An optional DateTime that cannot be read is
/// left absent and one in a list is left out; a required one (no CSP element has one) is a
/// bad parameter, as no value can stand in for it.
impl Element for DateTime {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        decode_datetime(src)?.ok_or_else(|| DecodeError::bad("", "bad DateTime"))
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.datetime(self)?;
        sink.end()
    }
    fn decode_opt<'a, S: Source<'a>>(
        src: &mut S,
        field: &mut Option<Self>,
    ) -> Result<(), DecodeError> {
        let v = decode_datetime(src)?;
        if field.is_none() {
            *field = v;
        }
        Ok(())
    }
    fn decode_push<'a, S: Source<'a>>(src: &mut S, out: &mut Vec<Self>) -> Result<(), DecodeError> {
        out.extend(decode_datetime(src)?);
        Ok(())
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

    /// Every form real documents carry, as the same instant in UTC.
    #[test]
    fn datetime_real_forms() {
        let utc = DateTime::utc(2001, 9, 25, 13, 40, 13);
        let no_secs = DateTime::utc(2001, 9, 25, 13, 40, 0);
        for (text, want) in [
            ("20010925T134013Z", utc),
            ("20010925T1340Z", no_secs),
            ("2001-09-25T13:40:13Z", utc),
            ("2001-09-25T13:40Z", no_secs),
            ("2001-09-25T13:40:13.250Z", utc),
            ("20010925T134013,5Z", utc),
            ("2001-09-25T14:40:13+01:00", utc),
            ("2001-09-25T14:40:13+0100", utc),
            ("2001-09-25T14:40:13+01", utc),
            ("2001-09-25T08:40:13-05:00", utc),
            ("20010925T144013+0100", utc),
            ("20010925T0840-0500", no_secs),
            ("20010926T0010+1030", DateTime::utc(2001, 9, 25, 13, 40, 0)),
            (" 20010925T134013Z\n", utc),
        ] {
            assert_eq!(DateTime::parse(text), Some(want), "{text}");
        }
        // Without a designator the fields are kept as given (zone 0).
        assert_eq!(
            DateTime::parse("20010925T1340"),
            Some(DateTime { zone: 0, ..no_secs })
        );
        assert_eq!(
            DateTime::parse("2001-09-25T13:40:13"),
            Some(DateTime { zone: 0, ..utc })
        );
        // Offsets cross day, month and year boundaries.
        assert_eq!(
            DateTime::parse("2001-01-01T00:30:00+01:00"),
            Some(DateTime::utc(2000, 12, 31, 23, 30, 0))
        );
        assert_eq!(
            DateTime::parse("20001231T2330-0100"),
            Some(DateTime::utc(2001, 1, 1, 0, 30, 0))
        );
        for bad in [
            "2001-09-25T13:40:13+25:00",
            "2001-09-25T13:40:13+01:60",
            "2001-09-25T13:40:13+1",
            "2001-09-25T13:40:13+01:0",
            "2001-0925T134013Z",
            "20010925T13:4013Z",
            "20010925T134013.Z",
            "20010925T13Z",
            "20010925T134013ZZ",
            "20010925T134013Z+01",
            "0000-01-01T00:00:00+01:00",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn datetime_range_constants() {
        assert_eq!(DateTime::utc(0, 1, 1, 0, 0, 0).to_unix(), MIN_UNIX);
        assert_eq!(DateTime::utc(4095, 12, 31, 23, 59, 59).to_unix(), MAX_UNIX);
        assert_eq!(
            DateTime::from_unix(u64::MAX),
            DateTime::utc(4095, 12, 31, 23, 59, 59)
        );
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
