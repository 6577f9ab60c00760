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
    /// ([`deliver_as`]).
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

/// The charset of `content_type` (UTF-8 when none is named: CSP documents carry text as
/// UTF-8).
fn charset_of(m: &MediaType) -> &str {
    m.charset.as_deref().unwrap_or("utf-8")
}

/// How a message of `content_type` goes to a session that accepted `accepted`: the
/// recipient's charset when it asked for one and the content is text we can convert.
/// Returns the new ContentType, and the content re-encoded when it travels as Base64 bytes
/// (inline text is characters in the document and needs only the label).
pub fn deliver_as(
    content_type: &str,
    base64: bool,
    content: Option<&str>,
    accepted: &[MediaType],
) -> Option<(String, Option<String>)> {
    let offered = MediaType::parse(content_type)?;
    if !offered.essence.starts_with("text/") {
        return None;
    }
    let wanted = accepted
        .iter()
        .filter(|a| a.accepts(&offered))
        .find_map(|a| a.charset.clone())?;
    if offered.charset.as_deref() == Some(wanted.as_str()) {
        return None;
    }
    let from = charset_of(&offered);
    let to_enc = encoding_rs::Encoding::for_label(wanted.as_bytes())?;
    let label = format!("{}; charset={}", offered.essence, wanted);
    if !base64 || wanted == from {
        return Some((label, None));
    }
    let from_enc = encoding_rs::Encoding::for_label(from.as_bytes())?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content?.trim())
        .ok()?;
    let (text, _, _) = from_enc.decode(&bytes);
    let (out, _, _) = to_enc.encode(&text);
    Some((
        label,
        Some(base64::engine::general_purpose::STANDARD.encode(out)),
    ))
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
        let (ct, body) = deliver_as("text/plain", false, Some("héllo"), &acc).expect("relabel");
        assert_eq!(ct, "text/plain; charset=iso-8859-1");
        assert_eq!(
            body, None,
            "inline text is characters: only the label changes"
        );
        let utf8 = base64::engine::general_purpose::STANDARD.encode("héllo".as_bytes());
        let (_, body) = deliver_as("text/plain", true, Some(&utf8), &acc).expect("transcode");
        let latin1 = base64::engine::general_purpose::STANDARD
            .decode(body.expect("re-encoded"))
            .expect("base64");
        assert_eq!(latin1, b"h\xe9llo");
        assert_eq!(
            deliver_as(
                "text/plain; charset=utf-8",
                false,
                None,
                &[mt("text/plain")]
            ),
            None
        );
    }
}
