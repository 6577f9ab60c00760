//! Known facts about the generated CSP token tables (wbxml-tables.md, including the
//! section 5 test vectors). The generated module is compiled here by path so this test
//! does not depend on the state of `imps-csp`'s `lib.rs`.

#[allow(dead_code)]
#[path = "../../crates/imps-csp/src/tokens.rs"]
mod tokens;

use imps_wbxml::TokenTable;
use tokens::{Content, CspTokens, TOKENS_11, TOKENS_12, TOKENS_13};

const WV: &str = "http://www.wireless-village.org/";
const OMA: &str = "http://www.openmobilealliance.org/DTD/";

fn all() -> [(&'static str, &'static dyn CspTokens); 3] {
    [
        ("1.1", &TOKENS_11),
        ("1.2", &TOKENS_12),
        ("1.3", &TOKENS_13),
    ]
}

#[test]
fn common_to_all_versions() {
    for (v, t) in all() {
        // Test vectors 2/3/7: WV-CSP-Message C9, Session 6D, SessionDescriptor 6E, SessionType 70.
        assert_eq!(t.tag_token("WV-CSP-Message"), Some((0x00, 0x09)), "{v}");
        assert_eq!(t.tag_name(0x00, 0x2D), Some("Session"), "{v}");
        assert_eq!(t.tag_name(0x00, 0x2E), Some("SessionDescriptor"), "{v}");
        assert_eq!(t.tag_token("SessionType"), Some((0x00, 0x30)), "{v}");
        assert_eq!(t.tag_token("TransactionContent"), Some((0x00, 0x33)), "{v}");
        // Test vector 5: Login-Response is page 1 0x1E.
        assert_eq!(t.tag_name(0x01, 0x1E), Some("Login-Response"), "{v}");
        assert_eq!(t.tag_token("Login-Response"), Some((0x01, 0x1E)), "{v}");
        // The 1.1 Poll stays page 0 0x21; test vector 7 `61 80 0B 01`.
        assert_eq!(t.tag_token("Poll"), Some((0x00, 0x21)), "{v}");
        assert_eq!(t.ext_t(0, 0x0B), Some("F"), "{v}");
        assert_eq!(t.ext_t_token("T"), Some((0, 0x2C)), "{v}");
        // Test vector 3: 0x80 0x19 = Outband.
        assert_eq!(t.ext_t(0, 0x19), Some("Outband"), "{v}");
        assert_eq!(t.ext_t_token("Inband"), Some((0, 0x11)), "{v}");
        // Duplicated strings encode with the first index.
        assert_eq!(t.ext_t_token("SMS"), Some((0, 0x43)), "{v}");
        assert_eq!(t.ext_t(0, 0x75), Some("SMS"), "{v}");
        assert_eq!(t.ext_t_token("IM"), Some((0, 0x12)), "{v}");
        assert_eq!(t.ext_t(0, 0x3D), Some("GROUP_ID"), "{v}");
        assert_eq!(t.ext_t_token("History"), None, "{v}");
        assert_eq!(t.ext_t(1, 0x19), None, "{v}");
        assert_eq!(t.ext_t(0, 0x92), None, "{v}");
        // Primary spellings only.
        assert_eq!(t.tag_token("Auto-Subscribe"), None, "{v}");
        assert_eq!(t.tag_token("PreferredContent"), None, "{v}");
        assert_eq!(t.tag_token("Extended-Data"), None, "{v}");
        assert_eq!(t.tag_token("WV-CSP-NSDiscovery-Request"), None, "{v}");
        assert_eq!(t.tag_token("session"), None, "{v}");
        assert_eq!(t.tag_name(0x0C, 0x05), None, "{v}");
        // Test vector 4: Code, ContentSize, MessageCount are integers.
        assert_eq!(t.content("Code"), Content::Integer, "{v}");
        assert_eq!(t.content("ContentSize"), Content::Integer, "{v}");
        assert_eq!(t.content("MessageCount"), Content::Integer, "{v}");
        assert_eq!(t.content("ParserSize"), Content::Integer, "{v}");
        assert_eq!(t.content("DateTime"), Content::DateTime, "{v}");
        assert_eq!(t.content("DeliveryTime"), Content::DateTime, "{v}");
        assert_eq!(t.content("TCPAddress"), Content::Text, "{v}");
        assert_eq!(t.content("SessionID"), Content::Text, "{v}");
        // Attribute starts.
        assert_eq!(
            t.attr_start(0, 0x05),
            Some(("xmlns", "http://www.wireless-village.org/CSP")),
            "{v}"
        );
        let wv_csp = format!("{WV}CSP1.1");
        assert_eq!(
            t.attr_start_token("xmlns", &wv_csp),
            Some((0, 0x05, wv_csp.len() - 3)),
            "{v}"
        );
        assert_eq!(
            t.attr_start_token("xmlns", &format!("{WV}PA1.1")),
            Some((0, 0x06, WV.len() + 2)),
            "{v}"
        );
        assert_eq!(t.attr_start_token("xml:lang", &wv_csp), None, "{v}");
        assert_eq!(t.attr_start_token("xmlns", "urn:other"), None, "{v}");
        assert_eq!(t.attr_start(1, 0x05), None, "{v}");
        assert_eq!(t.attr_value(0, 0x85), None, "{v}");
    }
}

#[test]
fn csp_1_1() {
    let t = &TOKENS_11;
    assert_eq!(t.tag_token("CIR"), None);
    assert_eq!(t.tag_name(0x09, 0x05), None);
    assert_eq!(t.tag_name(0x08, 0x05), None);
    assert_eq!(t.tag_name(0x03, 0x14), None);
    assert_eq!(t.tag_token("CIRURL"), None);
    assert_eq!(t.tag_name(0x06, 0x06), Some("BlockUser-Request"));
    assert_eq!(t.tag_token("BlockUser-Request"), Some((0x06, 0x06)));
    assert_eq!(t.tag_token("BlockEntity-Request"), None);
    assert_eq!(t.tag_name(0x00, 0x18), Some("InUse"));
    assert_eq!(t.tag_name(0x02, 0x0E), Some("DALI"));
    assert_eq!(t.tag_name(0x01, 0x36), None);
    assert_eq!(t.tag_name(0x05, 0x36), None);
    assert_eq!(t.tag_token("ContentType"), Some((0x00, 0x10)));
    assert_eq!(t.ext_t(0, 0x68), Some("IM"));
    assert_eq!(t.ext_t(0, 0x5E), Some("AUDIO_CALL"));
    assert_eq!(t.ext_t(0, 0x31), None);
    assert_eq!(t.ext_t(0, 0x50), None);
    assert_eq!(t.ext_t(0, 0x78), None);
    assert_eq!(t.ext_t_token("SHTTP"), None);
    assert_eq!(t.ext_t_token("AP"), None);
    assert_eq!(t.attr_start(0, 0x08), None);
    assert_eq!(
        t.attr_start_token("xmlns", &format!("{OMA}WV-CSP1.2")),
        None
    );
    assert_eq!(t.content("AcceptedContentLength"), Content::Integer);
    assert_eq!(t.content("SearchFindings"), Content::Text);
    assert_eq!(t.content("HistoryPeriod"), Content::Text);
}

#[test]
fn csp_1_2() {
    let t = &TOKENS_12;
    // Test vector 1: `C9 08 03 "1.2" 00 01`.
    let ns = format!("{OMA}WV-CSP1.2");
    assert_eq!(
        t.attr_start_token("xmlns", &ns),
        Some((0, 0x08, ns.len() - 3))
    );
    assert_eq!(
        t.attr_start_token("xmlns", &format!("{OMA}WV-TRC1.2")),
        Some((0, 0x0A, OMA.len() + 6))
    );
    assert_eq!(t.attr_start(0, 0x0B), None);
    assert_eq!(t.tag_name(0x09, 0x05), Some("CIR"));
    assert_eq!(t.tag_name(0x03, 0x14), Some("CIRURL"));
    assert_eq!(t.tag_token("CIRHTTPAddress"), None);
    assert_eq!(t.tag_name(0x06, 0x06), Some("BlockEntity-Request"));
    assert_eq!(t.tag_token("BlockUser-Request"), None);
    assert_eq!(t.tag_name(0x09, 0x0B), Some("ReactiveAuthState"));
    assert_eq!(t.tag_token("AutoSubscribe"), Some((0x04, 0x1E)));
    assert_eq!(t.tag_token("ExtendedData"), Some((0x01, 0x3B)));
    assert_eq!(t.tag_name(0x00, 0x18), Some("InUse"));
    assert_eq!(t.tag_name(0x02, 0x0E), Some("DALI"));
    // Page 5 0x36 ContentType decodes; ContentType encodes as page 0 0x10.
    assert_eq!(t.tag_name(0x05, 0x36), Some("ContentType"));
    assert_eq!(t.tag_token("ContentType"), Some((0x00, 0x10)));
    // Test vector 6 (ClientCapability-Request 1.2).
    assert_eq!(t.tag_token("ClientCapability-Request"), Some((0x01, 0x0C)));
    assert_eq!(t.tag_token("CapabilityList"), Some((0x01, 0x0A)));
    assert_eq!(t.tag_token("ClientType"), Some((0x05, 0x0F)));
    assert_eq!(t.tag_token("ParserSize"), Some((0x03, 0x0D)));
    assert_eq!(t.tag_token("SupportedCIRMethod"), Some((0x03, 0x10)));
    assert_eq!(t.ext_t_token("MOBILE_PHONE"), Some((0, 0x6F)));
    assert_eq!(t.ext_t_token("HTTP"), Some((0, 0x42)));
    assert_eq!(t.ext_t_token("STCP"), Some((0, 0x44)));
    // Read in 1.2 (Android sends them) but written inline: libwbxml has no such tokens.
    assert_eq!(t.ext_t(0, 0xA5), Some("SHTTP"));
    assert_eq!(t.ext_t(0, 0xA4), Some("SSMS"));
    assert_eq!(t.ext_t_token("SHTTP"), None);
    assert_eq!(t.ext_t_token("SSMS"), None);
    assert_eq!(t.ext_t_token("P"), Some((0, 0x1F)));
    assert_eq!(t.ext_t_token("Request"), Some((0, 0x20)));
    assert_eq!(t.ext_t(0, 0x68), None);
    assert_eq!(t.ext_t_token("AP"), None);
    assert_eq!(t.ext_t(0, 0x35), Some("GRANTED"));
    assert_eq!(t.ext_t(0, 0x50), Some("GROUP_USER_ID_AUTOJOIN"));
    assert_eq!(t.ext_t(0, 0x38), None);
    assert_eq!(t.ext_t(0, 0x69), Some("IM_OFFLINE"));
    assert_eq!(t.content("HistoryPeriod"), Content::Integer);
    assert_eq!(t.content("AcceptedContentLength"), Content::Integer);
    assert_eq!(t.content("SearchFindings"), Content::Text);
}

#[test]
fn csp_1_3() {
    let t = &TOKENS_13;
    // Test vector 7: `C9 0B 03 "1.3" 00 01`.
    let ns = format!("{OMA}IMPS-CSP1.3");
    assert_eq!(
        t.attr_start_token("xmlns", &ns),
        Some((0, 0x0B, ns.len() - 3))
    );
    assert_eq!(
        t.attr_start(0, 0x0D),
        Some(("xmlns", "http://www.openmobilealliance.org/DTD/IMPS-TRC"))
    );
    assert_eq!(t.attr_start(0, 0x0E), None);
    assert_eq!(t.tag_name(0x03, 0x14), Some("CIRHTTPAddress"));
    assert_eq!(t.tag_token("CIRURL"), None);
    assert_eq!(t.tag_name(0x09, 0x05), Some("CIR"));
    assert_eq!(t.tag_name(0x09, 0x0B), Some("AnswerOptionText"));
    assert_eq!(t.tag_token("ReactiveAuthState"), None);
    assert_eq!(t.tag_name(0x06, 0x06), Some("BlockEntity-Request"));
    // Tags 1.3 dropped but Android's 1.3 table keeps decode (never encode) in 1.3.
    assert_eq!(t.tag_name(0x00, 0x18), Some("InUse"));
    assert_eq!(t.tag_name(0x03, 0x06), Some("AcceptedContentLength"));
    assert_eq!(t.tag_token("InUse"), None);
    assert_eq!(t.tag_token("AcceptedContentLength"), None);
    assert_eq!(t.tag_token("DALI"), None);
    assert_eq!(t.tag_token("AutoSubscribe"), None);
    assert_eq!(t.tag_token("CreateList-Response"), Some((0x04, 0x21)));
    assert_eq!(t.tag_token("UserIDList"), Some((0x09, 0x3F)));
    assert_eq!(t.tag_token("AnswerOptionsText"), Some((0x0B, 0x08)));
    assert_eq!(t.tag_token("SegmentContent"), Some((0x0A, 0x18)));
    assert_eq!(t.tag_name(0x05, 0x36), Some("ContentType"));
    assert_eq!(t.ext_t(0, 0x68), Some("AP"));
    assert_eq!(t.ext_t_token("AP"), Some((0, 0x68)));
    assert_eq!(t.ext_t(0, 0x5E), None);
    assert_eq!(t.ext_t(0, 0x77), None);
    assert_eq!(t.ext_t(0, 0xA5), Some("SHTTP"));
    assert_eq!(t.ext_t(0, 0xC0), Some("R"));
    assert_eq!(t.ext_t(0, 0xC1), None);
    assert_eq!(t.ext_t_token("CURRENT_SUBSCRIBER"), Some((0, 0xBD)));
    assert_eq!(t.content("SearchFindings"), Content::Integer);
    assert_eq!(t.content("PairID"), Content::Integer);
    assert_eq!(t.content("PlainTextCharset"), Content::Integer);
    // Single-source integers stay text; removed elements are untyped.
    assert_eq!(t.content("SearchID"), Content::Text);
    assert_eq!(t.content("WatcherCount"), Content::Text);
    assert_eq!(t.content("AcceptedContentLength"), Content::Text);
}

/// Tags the 1.3 tables dropped that 1.3 still decodes (decode-only rows of `tokens.tsv`).
const DROPPED_IN_13: [&str; 13] = [
    "InUse",
    "AttListFunc",
    "CAAUT",
    "REACT",
    "AcceptedCharset",
    "AcceptedContentLength",
    "CancelAuth-Request",
    "PresenceAuth-Request",
    "PresenceAuth-User",
    "AutoSubscribe",
    "GetReactiveAuthStatus-Request",
    "GetReactiveAuthStatus-Response",
    "Users",
];

/// Every decodable token encodes back to itself (bar the decode-only aliases, the tags 1.3
/// dropped, and the tokens outside the common core, which are written as LITERAL tags or
/// inline strings).
#[test]
fn tables_round_trip() {
    for (v, t) in all() {
        let core = t.core_exceptions();
        let mut tags = 0;
        for page in 0..=0x0F_u8 {
            for code in 0..=0x3F_u8 {
                if let Some(name) = t.tag_name(page, code) {
                    tags += 1;
                    if core.literal_tags.contains(&name)
                        || (v == "1.3" && DROPPED_IN_13.contains(&name))
                    {
                        assert_eq!(t.tag_token(name), None, "{v} tag {name}");
                        continue;
                    }
                    let back = t.tag_token(name).map(|(p, c)| t.tag_name(p, c));
                    assert_eq!(back, Some(Some(name)), "{v} tag {name}");
                    if (page, code) != (0x05, 0x36) {
                        assert_eq!(t.tag_token(name), Some((page, code)), "{v} tag {name}");
                    }
                }
            }
        }
        let mut values = 0;
        for index in 0..0x200 {
            if let Some(value) = t.ext_t(0, index) {
                values += 1;
                let Some((n, i)) = t.ext_t_token(value) else {
                    // Decode-only values (SSMS/SHTTP in 1.2) and those outside the common
                    // core have no encoding token.
                    assert!(
                        (v == "1.2" && matches!(value, "SSMS" | "SHTTP"))
                            || core.inline_values.contains(&value),
                        "{v} value {value}"
                    );
                    continue;
                };
                assert_eq!((n, t.ext_t(0, i)), (0, Some(value)), "{v} value {value}");
                assert!(i <= index, "{v} value {value}");
            }
        }
        let expected = match v {
            "1.1" => (303, 97),
            "1.2" => (352, 106),
            // 430 1.3 tags and the 13 it dropped but still decodes.
            _ => (443, 187),
        };
        assert_eq!((tags, values), expected, "{v} token counts");
    }
}

/// The per-page name tables say what `tag_name` says, and the element indices name the same
/// element.
#[test]
fn page_tables_agree_with_tag_name() {
    for (v, t) in all() {
        for page in 0..=255u8 {
            let names = t.tag_names(page);
            for code in 0..64u8 {
                let expected = t.tag_name(page, code);
                let from_table = names.and_then(|n| n[usize::from(code)]);
                assert_eq!(
                    from_table, expected,
                    "{v} page {page:#04x} code {code:#04x}"
                );
                let index = t
                    .tag_indices()
                    .get(usize::from(page))
                    .map(|p| p[usize::from(code)])
                    .filter(|&i| i != tokens::NO_ELEMENT);
                assert_eq!(
                    index.map(|i| tokens::ELEMENT_NAMES[usize::from(i)]),
                    expected,
                    "{v} page {page:#04x} code {code:#04x}"
                );
            }
        }
    }
    for (i, n) in tokens::ELEMENT_NAMES.iter().enumerate() {
        assert_eq!(tokens::element_index(n.as_bytes()), Some(i as u16), "{n}");
    }
}

/// The common core: what 1.1 and 1.2 write as LITERAL tags or inline strings although their
/// tables have tokens (Android's table lacks those tokens or reads other names there), and
/// the service-tree codes still written as tokens.
#[test]
fn common_core_exceptions() {
    for (v, t) in all() {
        let core = t.core_exceptions();
        match v {
            "1.1" => assert_eq!(core.literal_tags, ["Capability"]),
            "1.2" => assert_eq!(
                core.literal_tags,
                [
                    "Capability",
                    "ReactiveAuthState",
                    "ReactiveAuthStatus",
                    "ReactiveAuthStatusList"
                ]
            ),
            _ => assert!(core.literal_tags.is_empty()),
        }
        if v == "1.3" {
            assert!(core.inline_values.is_empty() && core.named_only_tags.is_empty());
            continue;
        }
        assert_eq!(
            core.inline_values,
            [
                "AUDIO_CALL",
                "IM_OFFLINE",
                "IM_ONLINE",
                "VIDEO_CALL",
                "VIDEO_STREAM"
            ],
            "{v}"
        );
        assert_eq!(core.named_only_tags, ["CALI", "DALI", "GALS"], "{v}");
        // They still decode.
        assert_eq!(t.tag_name(0x01, 0x09), Some("Capability"), "{v}");
        assert_eq!(t.ext_t(0, 0x5E), Some("AUDIO_CALL"), "{v}");
        assert_eq!(t.ext_t_token("AUDIO_CALL"), None, "{v}");
        assert_eq!(t.ext_t_token("VIDEO_STREAM"), None, "{v}");
        assert_eq!(t.tag_token("Capability"), None, "{v}");
        assert_eq!(t.tag_token("CALI"), Some((0x02, 0x0A)), "{v}");
    }
    assert_eq!(TOKENS_12.tag_name(0x09, 0x0B), Some("ReactiveAuthState"));
    assert_eq!(TOKENS_12.tag_token("ReactiveAuthState"), None);
    // IM keeps its common token 0x12; 0x68 (AP in 1.3) is never written.
    assert_eq!(TOKENS_11.ext_t_token("IM"), Some((0, 0x12)));
}

/// Every element written with a token is read back as that element, in every version (the
/// writer looks tokens up by element index, not by a scan of names).
#[test]
fn every_written_token_reads_back_as_its_element() {
    for (v, t) in all() {
        let mut written = 0;
        for name in tokens::ELEMENT_NAMES {
            if let Some((page, code)) = t.tag_token(name) {
                assert_eq!(t.tag_name(page, code), Some(name), "{v}: {name}");
                written += 1;
            }
        }
        assert!(written > 200, "{v}: only {written} elements have tokens");
    }
    assert_eq!(TOKENS_13.tag_token("No-Such-Element"), None);
    assert_eq!(TOKENS_13.tag_token(""), None);
}
