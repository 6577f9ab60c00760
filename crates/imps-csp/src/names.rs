//! Element-name spellings: the canonical names model code uses, the alternatives real clients
//! and tools send (wbxml-tables.md §6), and the per-version spellings of renamed elements.

use crate::tokens::{element_index, ELEMENT_NAMES};
use crate::version::CspVersion;

/// The identity of an element name: the index of its canonical spelling in
/// [`crate::tokens::ELEMENT_NAMES`], or [`ElementId::UNKNOWN`] for names no CSP version has.
///
/// Both sources report it with every start tag ([`crate::codec::Name`]), so decoders dispatch
/// on integers instead of comparing strings. Build the id of a model name at compile time with
/// [`ElementId::of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId(u16);

/// Index of `name` in `ELEMENT_NAMES` (binary search, usable in constants).
const fn index_of(name: &str) -> Option<u16> {
    let name = name.as_bytes();
    let mut lo = 0usize;
    let mut hi = ELEMENT_NAMES.len();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let probe = ELEMENT_NAMES[mid].as_bytes();
        // Byte-wise comparison (ELEMENT_NAMES is sorted by bytes).
        let mut i = 0;
        let ord = loop {
            if i == probe.len() || i == name.len() {
                break if probe.len() < name.len() {
                    -1
                } else if probe.len() > name.len() {
                    1
                } else {
                    0
                };
            }
            if probe[i] != name[i] {
                break if probe[i] < name[i] { -1 } else { 1 };
            }
            i += 1;
        };
        if ord == 0 {
            return Some(mid as u16);
        } else if ord < 0 {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    None
}

/// `index_of` for names that must exist.
const fn must_index(name: &str) -> u16 {
    match index_of(name) {
        Some(i) => i,
        None => panic!("not a CSP element name"),
    }
}

/// Renamed elements that have a token of their own: the old spelling's index and the
/// canonical one's.
const CIRURL: u16 = must_index("CIRURL");
const CIRHTTPADDRESS: u16 = must_index("CIRHTTPAddress");
const BLOCKUSER_REQUEST: u16 = must_index("BlockUser-Request");
const BLOCKENTITY_REQUEST: u16 = must_index("BlockEntity-Request");

impl ElementId {
    /// A name that no CSP version defines (vendor extensions, misspellings).
    pub const UNKNOWN: ElementId = ElementId(u16::MAX);

    /// The id of element `name`, at compile time (`const`): a canonical name or an old
    /// spelling with a token of its own (mapped to the canonical name). Fails to compile for
    /// any other name.
    pub const fn of(name: &str) -> ElementId {
        ElementId::from_index(must_index(name))
    }

    /// The id of `name` as received: exact canonical names, every alternative spelling
    /// ([`canonical`]), anything else [`ElementId::UNKNOWN`].
    #[inline]
    pub fn lookup(name: &str) -> ElementId {
        match element_index(name.as_bytes()) {
            Some(i) => ElementId::from_index(i),
            None => match canonical(name).and_then(|c| element_index(c.as_bytes())) {
                Some(i) => ElementId::from_index(i),
                None => ElementId::UNKNOWN,
            },
        }
    }

    /// The id of the element whose spelling is `ELEMENT_NAMES[index]` (renames undone).
    #[inline]
    pub const fn from_index(index: u16) -> ElementId {
        ElementId(match index {
            CIRURL => CIRHTTPADDRESS,
            BLOCKUSER_REQUEST => BLOCKENTITY_REQUEST,
            i => i,
        })
    }

    /// The id whose index is `index`, as it is (no renames undone).
    #[inline]
    pub(crate) const fn from_raw(index: u16) -> ElementId {
        ElementId(index)
    }

    /// The canonical name, `None` for [`ElementId::UNKNOWN`].
    #[inline]
    pub fn name(self) -> Option<&'static str> {
        ELEMENT_NAMES.get(usize::from(self.0)).copied()
    }

    /// Whether the name is one of a CSP version.
    #[inline]
    pub fn is_known(self) -> bool {
        self != ElementId::UNKNOWN
    }
}

/// Maps an element name as received to its canonical spelling.
///
/// The canonical name of a renamed element is its newest name: `BlockEntity-Request` (1.1
/// `BlockUser-Request`), `CIRHTTPAddress` (1.2 `CIRURL`). Version-specific renames are undone
/// by [`wire_name`] when writing.
#[inline]
pub fn canonical(name: &str) -> Option<&'static str> {
    // Fast reject: every alternative spelling starts with one of these bytes.
    match name.as_bytes().first() {
        Some(b'A' | b'P' | b'E' | b'W' | b'C' | b'B') => {}
        _ => return None,
    }
    Some(match name {
        "Auto-Subscribe" => "AutoSubscribe",
        "PreferredContent" => "ReferredContent",
        "PreferredvCard" => "ReferredvCard",
        "Extended-Data" => "ExtendedData",
        "WV-CSP-NSDiscovery-Request" => "WV-CSP-VersionDiscovery-Request",
        "WV-CSP-NSDiscovery-Response" => "WV-CSP-VersionDiscovery-Response",
        "CIRURL" => "CIRHTTPAddress",
        "BlockUser-Request" => "BlockEntity-Request",
        _ => return None,
    })
}

/// The spelling of canonical element `name` in `version`.
#[inline]
pub fn wire_name(name: &'static str, version: CspVersion) -> &'static str {
    match (name, version) {
        ("CIRHTTPAddress", CspVersion::V1_1 | CspVersion::V1_2) => "CIRURL",
        ("BlockEntity-Request", CspVersion::V1_1) => "BlockUser-Request",
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_round_trip() {
        assert_eq!(wire_name("CIRHTTPAddress", CspVersion::V1_2), "CIRURL");
        assert_eq!(
            wire_name("CIRHTTPAddress", CspVersion::V1_3),
            "CIRHTTPAddress"
        );
        assert_eq!(canonical("CIRURL"), Some("CIRHTTPAddress"));
        assert_eq!(
            wire_name("BlockEntity-Request", CspVersion::V1_1),
            "BlockUser-Request"
        );
        assert_eq!(canonical("BlockUser-Request"), Some("BlockEntity-Request"));
        assert_eq!(canonical("Auto-Subscribe"), Some("AutoSubscribe"));
        assert_eq!(canonical("UserID"), None);
    }

    #[test]
    fn ids_are_canonical() {
        for n in ELEMENT_NAMES {
            let id = ElementId::lookup(n);
            assert!(id.is_known(), "{n}");
            assert_eq!(id.name(), Some(canonical(n).unwrap_or(n)), "{n}");
            assert_eq!(
                element_index(n.as_bytes()).map(ElementId::from_index),
                Some(id)
            );
        }
        assert_eq!(ElementId::lookup("CIRURL"), ElementId::of("CIRHTTPAddress"));
        assert_eq!(
            ElementId::lookup("Auto-Subscribe"),
            ElementId::of("AutoSubscribe")
        );
        assert_eq!(
            ElementId::lookup("Auto-Subscribe").name(),
            Some("AutoSubscribe")
        );
        assert_eq!(ElementId::lookup("NoSuchThing"), ElementId::UNKNOWN);
        assert_eq!(ElementId::lookup(""), ElementId::UNKNOWN);
        assert_eq!(ElementId::UNKNOWN.name(), None);
        // Near misses of the dispatch key (same length, first, middle and last byte).
        assert_eq!(ElementId::lookup("UsxrID"), ElementId::UNKNOWN);
    }
}
