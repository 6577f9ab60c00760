//! Test token table (a small slice of IMPS CSP plus test-only tokens) and helpers.
#![allow(dead_code, clippy::unwrap_used)]

use imps_wbxml::{Error, Event, Limits, PublicId, Reader, TokenTable, Writer};

/// `(page, code, name)`.
const TAGS: &[(u8, u8, &str)] = &[
    (0, 0x09, "WV-CSP-Message"),
    (0, 0x0A, "ClientID"),
    (0, 0x0B, "Code"),
    (0, 0x0F, "ContentSize"),
    (0, 0x13, "DetailedResult"),
    (0, 0x1A, "MessageCount"),
    (0, 0x21, "Poll"),
    (0, 0x2A, "Result"),
    (0, 0x2D, "Session"),
    (0, 0x2E, "SessionDescriptor"),
    (0, 0x2F, "SessionID"),
    (0, 0x30, "SessionType"),
    (0, 0x32, "Transaction"),
    (0, 0x33, "TransactionContent"),
    (0, 0x34, "TransactionDescriptor"),
    (0, 0x35, "TransactionID"),
    (0, 0x36, "TransactionMode"),
    (0, 0x3F, "Last"),
    (1, 0x0A, "CapabilityList"),
    (1, 0x0C, "ClientCapability-Request"),
    (1, 0x1E, "Login-Response"),
    (3, 0x0B, "InitialDeliveryMethod"),
    (3, 0x0C, "MultiTrans"),
    (3, 0x0D, "ParserSize"),
    (3, 0x0E, "ServerPollMin"),
    (3, 0x0F, "SupportedBearer"),
    (3, 0x10, "SupportedCIRMethod"),
    (5, 0x0F, "ClientType"),
    (0xFF, 0x05, "HighPage"),
];

/// `(page, code, name, value prefix)`.
const ATTR_STARTS: &[(u8, u8, &str, &str)] = &[
    (0, 0x05, "xmlns", "http://www.wireless-village.org/CSP"),
    (
        0,
        0x08,
        "xmlns",
        "http://www.openmobilealliance.org/DTD/WV-CSP",
    ),
    (
        0,
        0x09,
        "xmlns",
        "http://www.openmobilealliance.org/DTD/WV-PA",
    ),
    (
        0,
        0x0A,
        "xmlns",
        "http://www.openmobilealliance.org/DTD/WV-TRC",
    ),
    (
        0,
        0x0B,
        "xmlns",
        "http://www.openmobilealliance.org/DTD/IMPS-CSP",
    ),
    (1, 0x05, "id", ""),
    (1, 0x06, "href", "http://"),
    (1, 0x07, "href", "http://www."),
    (1, 0x7F, "last", ""),
];

/// `(page, code, value)`.
const ATTR_VALUES: &[(u8, u8, &str)] = &[
    (0, 0x85, "yes"),
    (1, 0x85, ".com"),
    (1, 0x86, "example.org"),
    (1, 0xFF, "max"),
];

/// `(n, index, string)`.
const EXT_T: &[(u8, u32, &str)] = &[
    (0, 0x0B, "F"),
    (0, 0x11, "Inband"),
    (0, 0x19, "Outband"),
    (0, 0x1F, "P"),
    (0, 0x20, "Request"),
    (0, 0x42, "HTTP"),
    (0, 0x44, "STCP"),
    (0, 0x6F, "MOBILE_PHONE"),
    (0, 0xA4, "SSMS"),
    (0, 0xA5, "SHTTP"),
    (1, 3, "ext-one"),
    (2, 0x0FFF_FFFF, "ext-two"),
];

/// The test token table.
pub struct TestTable;

pub static TABLE: TestTable = TestTable;

impl TokenTable for TestTable {
    fn tag_name(&self, page: u8, code: u8) -> Option<&'static str> {
        TAGS.iter()
            .find(|t| t.0 == page && t.1 == code)
            .map(|t| t.2)
    }
    fn tag_token(&self, name: &str) -> Option<(u8, u8)> {
        TAGS.iter().find(|t| t.2 == name).map(|t| (t.0, t.1))
    }
    fn attr_start(&self, page: u8, code: u8) -> Option<(&'static str, &'static str)> {
        ATTR_STARTS
            .iter()
            .find(|a| a.0 == page && a.1 == code)
            .map(|a| (a.2, a.3))
    }
    fn attr_start_token(&self, name: &str, value: &str) -> Option<(u8, u8, usize)> {
        ATTR_STARTS
            .iter()
            .filter(|a| a.2 == name && value.starts_with(a.3))
            .max_by_key(|a| a.3.len())
            .map(|a| (a.0, a.1, a.3.len()))
    }
    fn attr_value(&self, page: u8, code: u8) -> Option<&'static str> {
        ATTR_VALUES
            .iter()
            .find(|a| a.0 == page && a.1 == code)
            .map(|a| a.2)
    }
    fn attr_value_token(&self, value: &str) -> Option<(u8, u8)> {
        ATTR_VALUES
            .iter()
            .find(|a| a.2 == value)
            .map(|a| (a.0, a.1))
    }
    fn ext_t(&self, n: u8, index: u32) -> Option<&'static str> {
        EXT_T.iter().find(|e| e.0 == n && e.1 == index).map(|e| e.2)
    }
    fn ext_t_token(&self, value: &str) -> Option<(u8, u32)> {
        EXT_T.iter().find(|e| e.2 == value).map(|e| (e.0, e.1))
    }
}

/// Parses hex like `"03 11 6A 00"` (whitespace ignored) and `"quoted"` ASCII strings.
pub fn hex(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts = s.split('"');
    let mut in_quote = false;
    for part in parts.by_ref() {
        if in_quote {
            out.extend_from_slice(part.as_bytes());
        } else {
            let digits: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(digits.len() % 2, 0, "odd hex: {part}");
            for i in (0..digits.len()).step_by(2) {
                out.push(u8::from_str_radix(&digits[i..i + 2], 16).unwrap());
            }
        }
        in_quote = !in_quote;
    }
    out
}

/// Every event of `input`, or the first error.
pub fn events_with(input: &[u8], limits: Limits) -> Result<Vec<Event<'_>>, Error> {
    let mut r = Reader::new(input, &TABLE, limits)?;
    let mut out = Vec::new();
    let mut guard = 0usize;
    while let Some(ev) = r.next()? {
        out.push(ev);
        guard += 1;
        assert!(guard <= 2 * input.len() + 8, "reader does not progress");
    }
    assert_eq!(r.depth(), 0);
    assert_eq!(r.position(), input.len());
    Ok(out)
}

pub fn events(input: &[u8]) -> Result<Vec<Event<'_>>, Error> {
    events_with(input, Limits::default())
}

/// A readable rendering of the events (checks Start/End balance on the way).
pub fn dump(events: &[Event<'_>]) -> String {
    let mut out = String::new();
    let mut stack = Vec::new();
    for ev in events {
        match ev {
            Event::Start { name, attributes } => {
                out.push('<');
                out.push_str(name);
                for a in attributes {
                    out.push_str(&format!(" {}=\"{}\"", a.name, a.value));
                }
                out.push('>');
                stack.push(name.to_string());
            }
            Event::UnknownStart { page, code, .. } => {
                let name = format!("?{page}:{code:#04x}");
                out.push_str(&format!("<{name}>"));
                stack.push(name);
            }
            Event::End => {
                let name = stack.pop().expect("unbalanced End");
                out.push_str(&format!("</{name}>"));
            }
            Event::Text(t) => out.push_str(t),
            Event::ExtT { n, index } => out.push_str(&format!("[T{n}:{index:#x}]")),
            Event::ExtI { n, value } => out.push_str(&format!("[I{n}:{value}]")),
            Event::Ext { n } => out.push_str(&format!("[E{n}]")),
            Event::Opaque(d) => {
                out.push_str("[O:");
                out.push_str(
                    &d.iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                out.push(']');
            }
            Event::Pi { target, data } => out.push_str(&format!("<?{target} {data}?>")),
        }
    }
    assert!(stack.is_empty(), "unbalanced Start");
    out
}

/// Decodes and renders, panicking on error.
pub fn decode(input: &[u8]) -> String {
    dump(&events(input).unwrap_or_else(|e| panic!("decode failed: {e}")))
}

/// Writes `events` with a new writer.
pub fn replay(
    events: &[Event<'_>],
    version: u8,
    public_id: PublicId,
    charset: u32,
    collapse_empty: bool,
) -> Result<Vec<u8>, Error> {
    let mut w = Writer::new(&TABLE, version, public_id, charset);
    w.set_collapse_empty(collapse_empty);
    for ev in events {
        match ev {
            Event::Start { name, attributes } => {
                let attrs: Vec<(&str, &str)> = attributes
                    .iter()
                    .map(|a| (a.name.as_ref(), a.value.as_ref()))
                    .collect();
                w.start_element(name, &attrs)?;
            }
            Event::UnknownStart { page, code, .. } => {
                return Err(Error::UnknownTag {
                    page: *page,
                    code: *code,
                    offset: 0,
                })
            }
            Event::End => w.end_element()?,
            Event::Text(t) => w.text(t)?,
            Event::ExtT { n, index } => w.ext_t(*n, *index)?,
            Event::ExtI { n, value } => w.ext_i(*n, value)?,
            Event::Ext { n } => w.ext(*n)?,
            Event::Opaque(d) => w.opaque(d)?,
            Event::Pi { target, data } => w.pi(target, data)?,
        }
    }
    w.finish()
}

/// Decodes `input` and re-encodes it with its own header.
pub fn reencode(input: &[u8], collapse_empty: bool) -> Vec<u8> {
    let (h, _) = imps_wbxml::read_header(input).unwrap();
    let evs = events(input).unwrap();
    replay(&evs, h.version, h.public_id, h.charset, collapse_empty).unwrap()
}

/// Small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// wbxml-tables.md §5 vector 6 (ClientCapability-Request, CSP 1.2).
pub fn vector_6() -> Vec<u8> {
    hex(concat!(
        "03 11 6A 00 C9 08 03 31 2E 32 00 01",
        "6D 6E 70 80 11 01 6F 03 \"196FE717.00000000.test1\" 00 01 01",
        "72 74 76 80 20 01 75 03 \"transId2\" 00 01 01",
        "F3 0A 03 31 2E 32 00 01",
        "00 01 4C 4A",
        "00 05 4F 80 6F 01",
        "00 03 4D C3 02 7F FF 01",
        "4C C3 01 01 01  4B 80 1F 01  4E C3 01 02 01",
        "4F 80 42 01",
        "50 80 44 01  50 80 81 25 01  50 80 81 24 01",
        "01 01 01 01 01 01",
    ))
}

/// A document using every global token, in content and in attribute values, with a
/// string table (literal names and STR_T) and both code-page kinds switched.
/// Rendered by [`dump`] as [`EVERY_TOKEN_DUMP`].
pub fn every_token() -> Vec<u8> {
    hex(concat!(
        // header, string table: 0 "pi", 3 "x-el", 8 "abc"
        "03 01 6A 0C \"pi\" 00 \"x-el\" 00 \"abc\" 00",
        // PI before the root
        "43 04 00 03 \"data\" 00 01",
        // root, attributes and content
        "C9",
        "08 03 \"1.2\" 00",
        "00 01 06 85 02 21 83 08 80 0B 81 03 41 \"i\" 00 C3 02 \"op\"",
        "04 03 86",
        "05 00 00 85",
        "01",
        // Session with content bit but empty; Session without content bit
        "6D 01 2D",
        // page 1 Login-Response (empty), back to page 0
        "00 01 1E 00 00",
        // LITERAL_C with ENTITY U+00E9
        "44 03 02 81 69 01",
        // LITERAL_A
        "84 03 00 01 06 03 \"example.org\" 00 01",
        // LITERAL_AC
        "C4 03 04 00 01 03 \"t\" 00 01",
        // LITERAL
        "04 03",
        // STR_I, STR_T, ENTITY U+0020, ENTITY U+1F600
        "03 \"text\" 00 83 08 02 20 02 87 EC 00",
        // EXT_T_0/1/2
        "80 19 81 03 82 FF FF FF 7F",
        // EXT_I_0/1/2
        "40 \"zero\" 00 41 00 42 \"two\" 00",
        // EXT_0/1/2
        "C0 C1 C2",
        // OPAQUE, empty and 3 bytes
        "C3 00 C3 03 00 01 FF",
        // PI inside the root, empty data
        "43 04 00 01",
        // tag page 0xFF
        "00 FF 45 01",
        "01",
    ))
}

/// [`every_token`] as rendered by [`dump`].
pub const EVERY_TOKEN_DUMP: &str = concat!(
    "<?pi data?>",
    "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\" ",
    "href=\"http://.com!abcFext-oneiop\" x-el=\"example.org\" id=\"yes\">",
    "<Session></Session><Session></Session><Login-Response></Login-Response>",
    "<x-el>\u{e9}</x-el><x-el href=\"http://example.org\"></x-el><x-el pi=\"\">t</x-el><x-el></x-el>",
    "textabc \u{1F600}[T0:0x19][T1:0x3][T2:0xfffffff][I0:zero][I1:][I2:two][E0][E1][E2]",
    "[O:][O:00 01 FF]<?pi ?><HighPage></HighPage></WV-CSP-Message>",
);

/// Valid sample documents.
pub fn samples() -> Vec<Vec<u8>> {
    vec![
        hex("03 11 6A 00 C9 08 03 31 2E 32 00 01 01"),
        hex("03 10 6A 00 C9 05 03 31 2E 31 00 01 6D 01 01"),
        hex("03 11 6A 00 49 4B C3 02 01 91 01 4F C3 04 FF FF FF FF 01 5A C3 01 00 01 01"),
        hex("03 11 6A 00 49 6D 00 01 5E 00 00 4A 03 \"Esmertec112233\" 00 01 01 01 01"),
        vector_6(),
        every_token(),
    ]
}
