//! CSP protocol versions and what identifies them on the wire (csp-reference.md §1.2).

use std::fmt;

/// A CSP version this crate speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CspVersion {
    /// Wireless Village CSP 1.1.
    V1_1,
    /// OMA IMPS CSP 1.2.
    V1_2,
    /// OMA IMPS CSP 1.3.
    V1_3,
}

impl CspVersion {
    /// Every version, oldest first.
    pub const ALL: [CspVersion; 3] = [CspVersion::V1_1, CspVersion::V1_2, CspVersion::V1_3];

    /// The version as written in CIR messages and version lists: `1.1`, `1.2`, `1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            CspVersion::V1_1 => "1.1",
            CspVersion::V1_2 => "1.2",
            CspVersion::V1_3 => "1.3",
        }
    }

    /// Parses `1.1`, `1.2` or `1.3`.
    pub fn from_number(s: &str) -> Option<Self> {
        match s.trim() {
            "1.1" => Some(CspVersion::V1_1),
            "1.2" => Some(CspVersion::V1_2),
            "1.3" => Some(CspVersion::V1_3),
            _ => None,
        }
    }

    /// Namespace of `WV-CSP-Message`.
    pub fn csp_namespace(self) -> &'static str {
        match self {
            CspVersion::V1_1 => "http://www.wireless-village.org/CSP1.1",
            CspVersion::V1_2 => "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
            CspVersion::V1_3 => "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
        }
    }

    /// Namespace of `TransactionContent`.
    pub fn trc_namespace(self) -> &'static str {
        match self {
            CspVersion::V1_1 => "http://www.wireless-village.org/TRC1.1",
            CspVersion::V1_2 => "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
            CspVersion::V1_3 => "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
        }
    }

    /// Namespace of `PresenceSubList`.
    pub fn pa_namespace(self) -> &'static str {
        match self {
            CspVersion::V1_1 => "http://www.wireless-village.org/PA1.1",
            CspVersion::V1_2 => "http://www.openmobilealliance.org/DTD/WV-PA1.2",
            CspVersion::V1_3 => "http://www.openmobilealliance.org/DTD/IMPS-PA1.3",
        }
    }

    /// The version a namespace URI (CSP, TRC or PA, any known spelling) belongs to.
    ///
    /// Lenient: Nokia's `http://www.openmobilealliance.org/WV-CSP1.2` (no `/DTD`) and
    /// trailing slashes are accepted.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        let ns = ns.trim().trim_end_matches('/');
        let known = ns.starts_with("http://www.wireless-village.org/")
            || ns.starts_with("http://www.openmobilealliance.org/");
        if !known {
            return None;
        }
        if ns.ends_with("1.1") {
            Some(CspVersion::V1_1)
        } else if ns.ends_with("1.2") {
            Some(CspVersion::V1_2)
        } else if ns.ends_with("1.3") {
            Some(CspVersion::V1_3)
        } else {
            None
        }
    }

    /// WBXML public identifier (0x10, 0x11, 0x12).
    pub fn wbxml_public_id(self) -> u32 {
        match self {
            CspVersion::V1_1 => 0x10,
            CspVersion::V1_2 => 0x11,
            CspVersion::V1_3 => 0x12,
        }
    }

    /// The version a numeric WBXML public id stands for.
    pub fn from_wbxml_public_id(id: u32) -> Option<Self> {
        match id {
            0x10 => Some(CspVersion::V1_1),
            0x11 => Some(CspVersion::V1_2),
            0x12 => Some(CspVersion::V1_3),
            _ => None,
        }
    }

    /// DOCTYPE public identifier (the same string a literal WBXML public id carries).
    pub fn public_identifier(self) -> &'static str {
        match self {
            CspVersion::V1_1 => "-//WIRELESSVILLAGE//DTD CSP 1.1//EN",
            CspVersion::V1_2 => "-//OMA//DTD WV-CSP 1.2//EN",
            CspVersion::V1_3 => "-//OMA//DTD IMPS-CSP 1.3//EN",
        }
    }

    /// The version a literal public identifier names (every spelling real tools use).
    pub fn from_public_identifier(s: &str) -> Option<Self> {
        let s = s.trim();
        match s {
            "-//WIRELESSVILLAGE//DTD CSP 1.1//EN"
            | "-//OMA//DTD WV-CSP 1.1//EN"
            | "-//IMPS/DTD Imps v1.1/EN" => Some(CspVersion::V1_1),
            "-//OMA//DTD WV-CSP 1.2//EN" | "-//IMPS/DTD Imps v1.2/EN" => Some(CspVersion::V1_2),
            "-//OMA//DTD IMPS-CSP 1.3//EN" | "-//OMA//DTD WV-CSP 1.3//EN" => Some(CspVersion::V1_3),
            _ => None,
        }
    }
}

impl fmt::Display for CspVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of consecutive versions (`since..=until`), used to say where an element exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionRange {
    /// First version that has it.
    pub since: CspVersion,
    /// Last version that has it.
    pub until: CspVersion,
}

impl VersionRange {
    /// Every version.
    pub const ALL: VersionRange = VersionRange {
        since: CspVersion::V1_1,
        until: CspVersion::V1_3,
    };

    /// Whether `v` is in the range.
    pub fn contains(self, v: CspVersion) -> bool {
        self.since <= v && v <= self.until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_identify_their_version() {
        for v in CspVersion::ALL {
            assert_eq!(CspVersion::from_namespace(v.csp_namespace()), Some(v));
            assert_eq!(CspVersion::from_namespace(v.trc_namespace()), Some(v));
            assert_eq!(CspVersion::from_namespace(v.pa_namespace()), Some(v));
            assert_eq!(
                CspVersion::from_wbxml_public_id(v.wbxml_public_id()),
                Some(v)
            );
            assert_eq!(
                CspVersion::from_public_identifier(v.public_identifier()),
                Some(v)
            );
        }
        assert_eq!(
            CspVersion::from_namespace("http://www.openmobilealliance.org/WV-CSP1.2"),
            Some(CspVersion::V1_2)
        );
        assert_eq!(
            CspVersion::from_namespace("http://example.com/CSP1.2"),
            None
        );
        assert_eq!(
            CspVersion::from_namespace("http://www.openmobilealliance.org/DTD/WV-CSP1.4"),
            None
        );
    }
}
