//! Media types compared as media types (RFC 2045 §5.1): type and subtype case-insensitive,
//! parameters understood, not whole strings. A handset that accepted
//! `text/plain; charset=utf-8` takes a `text/plain` message, and gets it in the charset it
//! asked for.

use base64::Engine as _;

/// A parsed media type: `type/subtype` in lower case, and the `charset` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower case (`*/*` and `text/*` are patterns).
    pub essence: String,
    /// The `charset` parameter, lower case, quotes removed.
    pub charset: Option<String>,
}

impl MediaType {
    /// Parses `type/subtype *(; name=value)`. `None` when there is no `type/subtype`.
    pub fn parse(s: &str) -> Option<MediaType> {
        let mut parts = s.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        let (ty, sub) = essence.split_once('/')?;
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
        };
        if !token(ty) || !token(sub) {
            return None;
        }
        let charset = parts.find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
                .filter(|v| !v.is_empty())
        });
        Some(MediaType { essence, charset })
    }

    /// Whether this accepted type (possibly a pattern) takes content of type `offered`.
    /// Parameters do not refuse: a charset the recipient asked for is what it gets
    /// ([`deliver`]).
    pub fn accepts(&self, offered: &MediaType) -> bool {
        if self.essence == "*/*" || self.essence == offered.essence {
            return true;
        }
        match self.essence.strip_suffix("/*") {
            Some(ty) => offered
                .essence
                .split_once('/')
                .is_some_and(|(t, _)| t == ty),
            None => false,
        }
    }
}

/// How a text message goes to one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The ContentType to write.
    pub content_type: String,
    /// The content: inline text, or Base64 when `base64`.
    pub content: String,
    /// Whether `content` is Base64 (ContentEncoding BASE64).
    pub base64: bool,
}

/// Characters XML 1.0 cannot carry (C0 controls other than tab, CR, LF).
fn xml_safe(t: &str) -> bool {
    !t.chars()
        .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\r' | '\n'))
}

/// How a message of `content_type` goes to a session that accepted `accepted`. `content` is
/// the message's text (inline, or Base64 when `base64`) or its bytes. `None`: as it is.
///
/// * Text travels inline: Android's engine ignores ContentEncoding and shows ContentData as
///   is (csp-reference §11.1), so Base64 text is decoded (through its charset) and written
///   as characters, unless it is not text XML can carry.
/// * A session that asked for a charset (`text/plain; charset=...`) gets it named; Base64
///   content that stays Base64 is re-encoded into it.
pub fn deliver(
    content_type: &str,
    base64: bool,
    content: Option<Content<'_>>,
    accepted: &[MediaType],
) -> Option<Delivery> {
    let offered = MediaType::parse(content_type)?;
    if !offered.essence.starts_with("text/") {
        return None;
    }
    let wanted = accepted
        .iter()
        .filter(|a| a.accepts(&offered))
        .find_map(|a| a.charset.clone());
    let from = offered.charset.as_deref().unwrap_or("utf-8");
    let bytes = match content? {
        Content::Text(t) if base64 => base64::engine::general_purpose::STANDARD
            .decode(t.trim())
            .ok()?,
        Content::Text(t) => {
            // Inline text is characters already: only the label can change.
            let w = wanted.filter(|w| offered.charset.as_deref() != Some(w.as_str()))?;
            encoding_rs::Encoding::for_label(w.as_bytes())?;
            return Some(Delivery {
                content_type: format!("{}; charset={w}", offered.essence),
                content: t.to_owned(),
                base64: false,
            });
        }
        Content::Bytes(b) => b.to_vec(),
    };
    let from_enc = encoding_rs::Encoding::for_label(from.as_bytes())?;
    let (text, _, malformed) = from_enc.decode(&bytes);
    if !malformed && xml_safe(&text) {
        return Some(Delivery {
            content_type: match &wanted {
                Some(w) => format!("{}; charset={w}", offered.essence),
                None => offered.essence.clone(),
            },
            content: text.into_owned(),
            base64: false,
        });
    }
    // Not text XML can carry: stays Base64, in the charset asked for if any.
    let w = wanted.filter(|w| w != from)?;
    let to_enc = encoding_rs::Encoding::for_label(w.as_bytes())?;
    let (out, _, _) = to_enc.encode(&text);
    Some(Delivery {
        content_type: format!("{}; charset={w}", offered.essence),
        content: base64::engine::general_purpose::STANDARD.encode(out),
        base64: true,
    })
}

/// A message's content as stored.
#[derive(Clone, Copy, Debug)]
pub enum Content<'a> {
    /// Text (inline, or Base64 text).
    Text(&'a str),
    /// OPAQUE bytes.
    Bytes(&'a [u8]),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mt(s: &str) -> MediaType {
        MediaType::parse(s).expect("media type")
    }

    #[test]
    fn parameters_and_case_do_not_make_another_type() {
        let accepted = mt("Text/Plain; Charset=\"UTF-8\"");
        assert_eq!(accepted.essence, "text/plain");
        assert_eq!(accepted.charset.as_deref(), Some("utf-8"));
        assert!(accepted.accepts(&mt("text/plain")));
        assert!(accepted.accepts(&mt("TEXT/PLAIN;charset=iso-8859-1")));
        assert!(!accepted.accepts(&mt("text/html")));
        assert!(mt("text/*").accepts(&mt("text/x-vCard")));
        assert!(mt("*/*").accepts(&mt("image/png")));
        assert!(!mt("image/*").accepts(&mt("text/plain")));
        assert_eq!(MediaType::parse("plain"), None);
        assert_eq!(MediaType::parse("text/"), None);
    }

    #[test]
    fn the_recipient_gets_its_charset() {
        let acc = [mt("text/plain; charset=iso-8859-1")];
        let d = deliver("text/plain", false, Some(Content::Text("héllo")), &acc).expect("relabel");
        assert_eq!(d.content_type, "text/plain; charset=iso-8859-1");
        assert_eq!((d.content.as_str(), d.base64), ("héllo", false));
        assert_eq!(
            deliver(
                "text/plain; charset=utf-8",
                false,
                Some(Content::Text("x")),
                &[mt("text/plain")]
            ),
            None,
            "no charset asked for: as sent"
        );
        let d = deliver(
            "text/plain",
            false,
            Some(Content::Text("x")),
            &[mt("text/*; charset=UTF-8")],
        )
        .expect("labelled with the charset asked for");
        assert_eq!(d.content_type, "text/plain; charset=utf-8");
    }

    #[test]
    fn base64_text_goes_inline() {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        // Latin-1 bytes in Base64, to a client that named no charset: characters inline.
        let latin1 = b64(b"h\xe9llo");
        let d = deliver(
            "text/plain; charset=ISO-8859-1",
            true,
            Some(Content::Text(&latin1)),
            &[],
        )
        .expect("inline");
        assert_eq!((d.content.as_str(), d.base64), ("héllo", false));
        assert_eq!(d.content_type, "text/plain");
        // OPAQUE bytes (WBXML) the same.
        let d = deliver(
            "text/plain",
            true,
            Some(Content::Bytes("ok ✓".as_bytes())),
            &[],
        )
        .expect("inline");
        assert_eq!(d.content, "ok ✓");
        // Text XML cannot carry stays Base64, re-encoded into the charset asked for.
        let ctl = b64("a\u{1}é".as_bytes());
        let acc = [mt("text/plain; charset=iso-8859-1")];
        let d = deliver("text/plain", true, Some(Content::Text(&ctl)), &acc).expect("re-encoded");
        assert!(d.base64);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&d.content)
            .expect("base64");
        assert_eq!(raw, b"a\x01\xe9");
        // Not text: as sent.
        assert_eq!(
            deliver("image/png", true, Some(Content::Text("AAAA")), &acc),
            None
        );
    }
}
