//! `wv:` addresses (csp-reference.md §6): `wv:` + user + optional `/resource` + optional `@domain`.
//!
//! Users are `wv:alice@example.com`, contact lists `wv:alice/friends@example.com` (resource = list
//! name), groups `wv:bob/chess@example.com`. Addresses compare case-insensitively, and a client may
//! leave out `wv:` and the domain (Android sends the login name exactly as typed), so the server
//! normalises every form of one user to one [`Address`] with [`Address::parse_with_domain`].
//!
//! Parsing is liberal (any printable character but the separators, `%`-escapes kept as they
//! are); the normalised output is lower-case and always carries `wv:` and the domain.

use std::fmt;

/// Why a string is not a `wv:` address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing but the scheme (or nothing at all).
    #[error("empty address")]
    Empty,
    /// A character no address may hold (control characters, spaces, a second `@` or `/`).
    #[error("invalid character {0:?} in address")]
    InvalidChar(char),
    /// A user part of `+` followed by something other than digits (MSISDN-style users are `+` digits).
    #[error("a user part starting with '+' must be digits")]
    BadMsisdnUser,
    /// Longer than [`Address::MAX_LEN`].
    #[error("address longer than {} bytes", Address::MAX_LEN)]
    TooLong,
}

/// A normalised `wv:` address: lower-case parts, the domain always present.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    user: String,
    resource: Option<String>,
    domain: String,
}

impl Address {
    /// The longest address accepted, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Parses an address, giving it `default_domain` when it has none. Accepts `wv:user@domain`,
    /// `user@domain`, `user`, `wv:user/resource@domain`, `wv:/resource@domain`, in any case.
    pub fn parse_with_domain(s: &str, default_domain: &str) -> Result<Address, AddressError> {
        let s = s.trim();
        if s.len() > Self::MAX_LEN {
            return Err(AddressError::TooLong);
        }
        let body = match s.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("wv:") => &s[3..],
            _ => s,
        };
        if body.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some(c) = body.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(AddressError::InvalidChar(c));
        }
        let (local, domain) = match body.rsplit_once('@') {
            Some((l, d)) => (l, d),
            None => (body, default_domain),
        };
        if local.contains('@') {
            return Err(AddressError::InvalidChar('@'));
        }
        let (user, resource) = match local.split_once('/') {
            Some((u, r)) => (u, Some(r)),
            None => (local, None),
        };
        if resource.is_some_and(|r| r.contains('/')) {
            return Err(AddressError::InvalidChar('/'));
        }
        if domain.contains('/') {
            return Err(AddressError::InvalidChar('/'));
        }
        if let Some(digits) = user.strip_prefix('+') {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AddressError::BadMsisdnUser);
            }
        }
        if user.is_empty() && resource.is_none_or(str::is_empty) {
            return Err(AddressError::Empty);
        }
        if domain.is_empty() {
            return Err(AddressError::Empty);
        }
        Ok(Address {
            user: user.to_lowercase(),
            resource: resource.filter(|r| !r.is_empty()).map(str::to_lowercase),
            domain: domain.to_lowercase(),
        })
    }

    /// A user address `wv:user@domain`.
    pub fn user(user: &str, domain: &str) -> Result<Address, AddressError> {
        Self::parse_with_domain(user, domain).map(|a| Address {
            resource: None,
            ..a
        })
    }

    /// The user part (may be empty for `wv:/resource@domain`).
    pub fn user_part(&self) -> &str {
        &self.user
    }

    /// The resource (contact-list or group name), if any.
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The address of the owning user (`wv:alice@x` for `wv:alice/friends@x`).
    pub fn owner(&self) -> Address {
        Address {
            user: self.user.clone(),
            resource: None,
            domain: self.domain.clone(),
        }
    }

    /// The address of `resource` owned by this address's user (`wv:alice/friends@x`).
    pub fn with_resource(&self, resource: &str) -> Address {
        Address {
            resource: Some(resource.to_lowercase()),
            ..self.owner()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wv:{}", self.user)?;
        if let Some(r) = &self.resource {
            write!(f, "/{r}")?;
        }
        write!(f, "@{}", self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Address, AddressError> {
        Address::parse_with_domain(s, "example.com")
    }

    #[test]
    fn every_form_of_one_user_is_the_same_address() {
        let canonical = p("wv:alice@example.com").expect("valid");
        for form in [
            "alice",
            "Alice",
            "alice@example.com",
            "WV:ALICE@EXAMPLE.COM",
            " wv:alice@Example.com ",
        ] {
            assert_eq!(p(form).expect(form), canonical, "{form}");
        }
        assert_eq!(canonical.to_string(), "wv:alice@example.com");
        assert_ne!(p("alice@other.org").expect("valid"), canonical);
    }

    #[test]
    fn resources_name_lists_and_groups() {
        let list = p("wv:Alice/Friends@example.com").expect("valid");
        assert_eq!(list.to_string(), "wv:alice/friends@example.com");
        assert_eq!(list.resource(), Some("friends"));
        assert_eq!(list.owner().to_string(), "wv:alice@example.com");
        assert_eq!(
            list.owner().with_resource("Chess").to_string(),
            "wv:alice/chess@example.com"
        );
        assert_eq!(
            p("wv:/lobby@example.com").expect("valid").to_string(),
            "wv:/lobby@example.com"
        );
        assert_eq!(p("alice/").expect("empty resource").resource(), None);
    }

    #[test]
    fn msisdn_users_and_bad_input() {
        assert_eq!(
            p("+358401234567").expect("msisdn").to_string(),
            "wv:+358401234567@example.com"
        );
        assert_eq!(p("+35840x"), Err(AddressError::BadMsisdnUser));
        assert_eq!(p(""), Err(AddressError::Empty));
        assert_eq!(p("wv:"), Err(AddressError::Empty));
        assert_eq!(p("wv:@example.com"), Err(AddressError::Empty));
        assert_eq!(p("alice@"), Err(AddressError::Empty));
        assert_eq!(p("al ice"), Err(AddressError::InvalidChar(' ')));
        assert_eq!(p("a\u{0}b"), Err(AddressError::InvalidChar('\u{0}')));
        assert_eq!(p("a@b@c"), Err(AddressError::InvalidChar('@')));
        assert_eq!(p("a/b/c@d"), Err(AddressError::InvalidChar('/')));
        assert_eq!(p(&"x".repeat(300)), Err(AddressError::TooLong));
        assert_eq!(
            Address::user("wv:bob/list@x.org", "y")
                .expect("valid")
                .to_string(),
            "wv:bob@x.org"
        );
    }
}
