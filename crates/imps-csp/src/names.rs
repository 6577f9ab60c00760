//! Element-name spellings: the canonical names model code uses, the alternatives real clients
//! and tools send (wbxml-tables.md §6), and the per-version spellings of renamed elements.

use crate::version::CspVersion;

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
}
