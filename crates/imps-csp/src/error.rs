//! Errors of the CSP codecs, by cause. Each maps to the CSP status code a server answers with.

use crate::status::StatusCode;

/// Why a document could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The document is not well-formed (XML syntax, WBXML structure, truncation).
    #[error("malformed document: {0}")]
    Malformed(String),
    /// A decoder limit was exceeded.
    #[error("limit exceeded: {limit} (max {max})")]
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: usize,
    },
    /// The document carries a DTD (internal subset) or an entity we refuse to expand.
    #[error("DTDs and entity declarations are not accepted")]
    Dtd,
    /// An entity reference other than the five predefined ones and character references.
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    /// The version could not be recognised or is not one we speak.
    #[error("unsupported CSP version: {0}")]
    UnsupportedVersion(String),
    /// The root element is not a CSP message.
    #[error("unexpected root element <{0}>")]
    UnexpectedRoot(String),
    /// A mandatory element is missing.
    #[error("<{parent}> lacks mandatory <{name}>")]
    MissingElement {
        /// The element that should have contained it.
        parent: &'static str,
        /// The missing element.
        name: &'static str,
    },
    /// An element holds a value of the wrong form.
    #[error("bad value in <{element}>: {detail}")]
    BadValue {
        /// The element.
        element: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A WBXML value token that the version does not define. No longer produced by the
    /// decoders: an unknown value token resolves through the CSP 1.3 table or is skipped with
    /// a warning (docs/conformance.md). Kept so code matching on it still compiles.
    #[error("unknown WBXML value token EXT_T_{n} {index:#x}")]
    UnknownValueToken {
        /// EXT_T_n.
        n: u8,
        /// Index.
        index: u32,
    },
}

impl DecodeError {
    /// The CSP status code a server answers this error with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            DecodeError::UnsupportedVersion(_) => StatusCode::VERSION_NOT_SUPPORTED,
            DecodeError::BadValue { .. } | DecodeError::UnknownValueToken { .. } => {
                StatusCode::BAD_PARAMETER
            }
            // Malformed, over a limit, DTD/entity, wrong root, missing element.
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Names the element a leaf error happened in, if it does not say yet.
    #[doc(hidden)]
    pub fn in_element(self, name: &'static str) -> Self {
        match self {
            DecodeError::BadValue {
                element: "",
                detail,
            } => DecodeError::BadValue {
                element: name,
                detail,
            },
            other => other,
        }
    }

    pub(crate) fn bad(element: &'static str, detail: impl Into<String>) -> Self {
        DecodeError::BadValue {
            element,
            detail: detail.into(),
        }
    }
}

impl From<imps_wbxml::Error> for DecodeError {
    // Out of line: keeps the decoders' hot paths small.
    #[cold]
    #[inline(never)]
    fn from(e: imps_wbxml::Error) -> Self {
        match e {
            imps_wbxml::Error::LimitExceeded { limit, max, .. } => {
                DecodeError::LimitExceeded { limit, max }
            }
            other => DecodeError::Malformed(other.to_string()),
        }
    }
}

/// Why a model could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// Text holds a character the encoding cannot carry (e.g. a control character in XML 1.0, NUL in WBXML).
    #[error("<{element}> holds a character that cannot be encoded: U+{code:04X}")]
    InvalidChar {
        /// The element.
        element: String,
        /// The character.
        code: u32,
    },
    /// The WBXML writer failed.
    #[error("WBXML: {0}")]
    Wbxml(String),
    /// The model breaks a rule the encoding needs (e.g. an empty Transaction list).
    #[error("cannot encode: {0}")]
    Invalid(String),
}

impl From<imps_wbxml::Error> for EncodeError {
    fn from(e: imps_wbxml::Error) -> Self {
        EncodeError::Wbxml(e.to_string())
    }
}
