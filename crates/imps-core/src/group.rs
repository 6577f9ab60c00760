//! Groups as their owner's shard keeps them (csp-reference.md §3.5).
//!
//! A group `wv:alice/chess@example.com` lives with its home account `wv:alice@example.com`:
//! on that account's shard, loaded with it and stored as one of its documents
//! ([`document_kind`]), so that a group is owned exactly like a user and every node agrees
//! where it is. What is durable is the [`GroupRecord`] (properties, welcome note, members and
//! their privilege levels, the reject list); who is joined right now ([`Joiner`]) lives in
//! memory only, like sessions.

use std::collections::{BTreeMap, BTreeSet};

use imps_csp::codec::ContentData;
use imps_csp::model::common::Property;
use imps_csp::model::group::{GroupProperties, WelcomeNote};
use imps_csp::{CspVersion, StatusCode};
use serde::{Deserialize, Serialize};

/// The kind of the one document that held all of an account's groups before each had its
/// own (read when found; the SQLite store's migration 7 splits it).
pub(crate) const GROUPS_DOCUMENT: &str = "groups";

/// The kind of a group's document, before its id ([`document_kind`]): each group of an account
/// is its own document (JSON), so that a change to one group writes that group only.
pub(crate) const GROUP_DOCUMENT_PREFIX: &str = "group:";

/// A member's privilege level in a group (`PrivilegeLevel`), lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Access {
    /// An ordinary member.
    User,
    /// A moderator.
    Mod,
    /// An administrator (the home account always is one).
    Admin,
}

impl Access {
    /// The `PrivilegeLevel` value.
    pub fn name(self) -> &'static str {
        match self {
            Access::User => "User",
            Access::Mod => "Mod",
            Access::Admin => "Admin",
        }
    }
}

/// What is durable of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupRecord {
    /// Normalised group id.
    pub id: String,
    /// When it was created (seconds since the epoch).
    pub created: u64,
    /// Properties by canonical name ([`PROPERTIES`]), values as given (checked).
    pub props: BTreeMap<String, String>,
    /// The welcome note: (content type, text).
    pub welcome: Option<(String, String)>,
    /// Members (AddGroupMembers, the creator) with their privilege levels.
    pub members: BTreeMap<String, Access>,
    /// Users banned from the group (RejectList).
    pub rejected: BTreeSet<String>,
    /// When the group's Validity runs out (seconds since the epoch): the server deletes it
    /// then. Counted from when Validity was last set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

/// A session joined to a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Joiner {
    /// The session's user.
    pub user: String,
    /// Its screen name in the group (unique in the group, compared ignoring case).
    pub sname: String,
    /// Its CSP version (notices are built in it).
    pub version: CspVersion,
    /// Whether it gets GroupChangeNotice.
    pub notify: bool,
    /// It set its own property PrivateMessaging to F: private messages to it are refused
    /// (813) while it is joined.
    pub no_private: bool,
}

/// A group in its owner's memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct GroupState {
    /// The durable part.
    pub rec: GroupRecord,
    /// Joined sessions by SessionID.
    pub joined: BTreeMap<String, Joiner>,
}

/// How a property's value is checked.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Bool,
    Count,
    OneOf(&'static [&'static str]),
}

/// One group property of the reference.
struct Def {
    name: &'static str,
    kind: Kind,
    /// Whether a client may set it (ActiveUsers is the server's).
    writable: bool,
}

/// Every group property of the reference, with its canonical spelling (`Accesstype` as
/// Android and Nokia spell it; any case is accepted).
const PROPERTIES: &[Def] = &[
    Def {
        name: "Name",
        kind: Kind::Text,
        writable: true,
    },
    Def {
        name: "Type",
        kind: Kind::OneOf(&["Public", "Private"]),
        writable: true,
    },
    Def {
        name: "Accesstype",
        kind: Kind::OneOf(&["Open", "Restricted"]),
        writable: true,
    },
    Def {
        name: "Topic",
        kind: Kind::Text,
        writable: true,
    },
    Def {
        name: "PrivateMessaging",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "Searchable",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "ActiveUsers",
        kind: Kind::Count,
        writable: false,
    },
    Def {
        name: "MaxActiveUsers",
        kind: Kind::Count,
        writable: true,
    },
    Def {
        name: "AutoJoin",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "AutoDelete",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "Validity",
        kind: Kind::Count,
        writable: true,
    },
    Def {
        name: "ShowID",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "RequireInvitation",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "History",
        kind: Kind::Bool,
        writable: true,
    },
    Def {
        name: "DisplayName",
        kind: Kind::Text,
        writable: true,
    },
];

/// Property changes: (canonical name, value).
pub(crate) type Changes = Vec<(&'static str, String)>;
/// A welcome note: (content type, text).
pub(crate) type Welcome = (String, String);

/// Longest property value or welcome note kept, in bytes.
const MAX_VALUE: usize = 1024;

/// The properties a client gave, checked: (canonical name, value) pairs to apply, and the
/// welcome note. 806 for a value of the wrong form, an unknown or read-only property, or a
/// binary welcome note.
pub(crate) fn checked(props: &GroupProperties) -> Result<(Changes, Option<Welcome>), StatusCode> {
    let mut out = Vec::new();
    for Property { name, value } in &props.properties {
        let Some(def) = PROPERTIES
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name.trim()))
        else {
            tracing::debug!(property = %name, "unsupported group property: 806");
            return Err(StatusCode::INVALID_GROUP_PROPERTIES);
        };
        if !def.writable {
            return Err(StatusCode::INVALID_GROUP_PROPERTIES);
        }
        let value = value.as_deref().unwrap_or("").trim();
        let value = match def.kind {
            Kind::Text if value.len() <= MAX_VALUE => value.to_owned(),
            Kind::Bool => match value {
                v if v.eq_ignore_ascii_case("T") => "T".into(),
                v if v.eq_ignore_ascii_case("F") => "F".into(),
                _ => return Err(StatusCode::INVALID_GROUP_PROPERTIES),
            },
            Kind::Count if value.parse::<u32>().is_ok() => value.to_owned(),
            Kind::OneOf(allowed) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
                Some(a) => (*a).to_owned(),
                None => return Err(StatusCode::INVALID_GROUP_PROPERTIES),
            },
            _ => return Err(StatusCode::INVALID_GROUP_PROPERTIES),
        };
        if def.name == "History" && value == "T" {
            // The server keeps no group history: the reference's own answer for that.
            return Err(StatusCode::HISTORY_NOT_SUPPORTED);
        }
        out.push((def.name, value));
    }
    let welcome = match &props.welcome_note {
        None => None,
        Some(WelcomeNote {
            content_type,
            content_data: ContentData::Text(t),
            ..
        }) if t.len() <= MAX_VALUE => Some((
            content_type.clone().unwrap_or_else(|| "text/plain".into()),
            t.clone(),
        )),
        Some(_) => return Err(StatusCode::INVALID_GROUP_PROPERTIES),
    };
    Ok((out, welcome))
}

impl GroupState {
    /// A new group: its defaults (Name = the group's resource, Open, Public, no private
    /// messages, not searchable, ids hidden), then the creator's properties.
    pub fn new(id: &str, name: &str, creator: &str, now: u64) -> GroupState {
        let mut rec = GroupRecord {
            id: id.to_owned(),
            created: now,
            ..Default::default()
        };
        for (k, v) in [
            ("Name", name),
            ("Type", "Public"),
            ("Accesstype", "Open"),
            ("PrivateMessaging", "F"),
            ("Searchable", "F"),
            ("AutoDelete", "F"),
            ("ShowID", "F"),
        ] {
            rec.props.insert(k.to_owned(), v.to_owned());
        }
        rec.members.insert(creator.to_owned(), Access::Admin);
        GroupState {
            rec,
            joined: BTreeMap::new(),
        }
    }

    /// A property's value.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.rec.props.get(name).map(String::as_str)
    }

    /// Whether a boolean property is `T`.
    pub fn flag(&self, name: &str) -> bool {
        self.prop(name) == Some("T")
    }

    /// Whether a searchable group can be found: it has a name or a topic (822 otherwise).
    pub fn findable(&self) -> bool {
        let has = |p: &str| self.prop(p).is_some_and(|v| !v.trim().is_empty());
        !self.flag("Searchable") || has("Name") || has("Topic")
    }

    /// Whether only members may join (`Accesstype=Restricted`).
    pub fn restricted(&self) -> bool {
        self.prop("Accesstype") == Some("Restricted")
    }

    /// `user`'s privilege level (`None`: not a member).
    pub fn access(&self, user: &str) -> Option<Access> {
        self.rec.members.get(user).copied()
    }

    /// Whether `user` is at least `level` in the group.
    pub fn at_least(&self, user: &str, level: Access) -> bool {
        self.access(user).is_some_and(|a| a >= level)
    }

    /// The properties as the protocol shows them (ActiveUsers counted now).
    pub fn properties(&self) -> GroupProperties {
        let mut p = GroupProperties::default();
        for (k, v) in &self.rec.props {
            p.properties.push(Property::new(k.clone(), v.clone()));
        }
        p.properties
            .push(Property::new("ActiveUsers", self.joined.len().to_string()));
        p.welcome_note = self.welcome_note();
        p
    }

    /// The welcome note, if the group has one.
    pub fn welcome_note(&self) -> Option<WelcomeNote> {
        self.rec.welcome.as_ref().map(|(ct, text)| WelcomeNote {
            content_type: Some(ct.clone()),
            content_encoding: None,
            content_data: ContentData::Text(text.clone()),
        })
    }

    /// Applies checked properties at time `now`: a Validity given (seconds, 0 for none) sets
    /// when the group runs out, counted from now.
    pub fn apply(
        &mut self,
        props: Vec<(&'static str, String)>,
        welcome: Option<(String, String)>,
        now: u64,
    ) {
        for (k, v) in props {
            if k == "Validity" {
                let secs = v.trim().parse::<u64>().unwrap_or(0);
                self.rec.expires = (secs > 0).then(|| now.saturating_add(secs));
            }
            self.rec.props.insert(k.to_owned(), v);
        }
        if welcome.is_some() {
            self.rec.welcome = welcome;
        }
    }

    /// The session joined under screen name `sname` (ignoring case), if any.
    pub fn by_sname(&self, sname: &str) -> Option<(&String, &Joiner)> {
        self.joined
            .iter()
            .find(|(_, j)| j.sname.eq_ignore_ascii_case(sname))
    }

    /// The most sessions that may be joined at once.
    pub fn max_joined(&self, cap: usize) -> usize {
        self.prop("MaxActiveUsers")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .map_or(cap, |n| n.min(cap))
    }
}

/// The account a group lives with: its id without the resource (`wv:alice/chess@d` →
/// `wv:alice@d`). `None` for an id without a user part or without a resource (no group).
pub(crate) fn home_of(group: &imps_csp::Address) -> Option<String> {
    group.resource()?;
    if group.user_part().is_empty() {
        return None;
    }
    Some(group.owner().to_string())
}

/// The kind of the document holding group `id` with its home account.
pub(crate) fn document_kind(id: &str) -> String {
    format!("{GROUP_DOCUMENT_PREFIX}{id}")
}

/// A group as stored (its own document).
pub(crate) fn encode(rec: &GroupRecord) -> Option<Vec<u8>> {
    serde_json::to_vec(rec).ok()
}

/// A group from its stored form.
pub(crate) fn decode(body: &[u8]) -> Option<GroupState> {
    let rec: GroupRecord = serde_json::from_slice(body).ok()?;
    Some(GroupState {
        rec,
        joined: BTreeMap::new(),
    })
}

/// The groups of an account from the one document that held them all before each group had
/// its own ([`GROUPS_DOCUMENT`]; the SQLite store splits it when it opens).
pub(crate) fn decode_all(body: &[u8]) -> Option<BTreeMap<String, GroupState>> {
    let recs: Vec<GroupRecord> = serde_json::from_slice(body).ok()?;
    Some(
        recs.into_iter()
            .map(|rec| {
                (
                    rec.id.clone(),
                    GroupState {
                        rec,
                        joined: BTreeMap::new(),
                    },
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_checked_and_spelt_canonically() {
        let mut p = GroupProperties::default();
        p.set("accesstype", "restricted");
        p.set("PRIVATEMESSAGING", "t");
        p.set("Topic", "chess");
        let (props, welcome) = checked(&p).expect("valid");
        assert_eq!(
            props,
            vec![
                ("Accesstype", "Restricted".to_owned()),
                ("PrivateMessaging", "T".to_owned()),
                ("Topic", "chess".to_owned())
            ]
        );
        assert!(welcome.is_none());
        for (k, v) in [
            ("Accesstype", "Closed"),
            ("PrivateMessaging", "yes"),
            ("MaxActiveUsers", "-1"),
            ("ActiveUsers", "3"),
            ("NoSuchProperty", "x"),
        ] {
            let mut p = GroupProperties::default();
            p.set(k, v);
            assert_eq!(
                checked(&p).err(),
                Some(StatusCode::INVALID_GROUP_PROPERTIES),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn stored_form_round_trips_without_the_joined() {
        let mut g = GroupState::new("wv:alice/chess@x", "chess", "wv:alice@x", 7);
        g.rec.welcome = Some(("text/plain".into(), "hi".into()));
        g.rec.rejected.insert("wv:mallory@x".into());
        g.joined.insert(
            "s1".into(),
            Joiner {
                user: "wv:alice@x".into(),
                sname: "al".into(),
                version: CspVersion::V1_2,
                notify: true,
                no_private: false,
            },
        );
        let back = decode(&encode(&g.rec).expect("encodes")).expect("decodes");
        assert_eq!(back.rec, g.rec);
        assert!(back.joined.is_empty());
        // The one document of all an account's groups, as stored before each had its own.
        let old = serde_json::to_vec(&[&g.rec]).expect("encodes");
        let all = decode_all(&old).expect("decodes");
        assert_eq!(all[&g.rec.id].rec, g.rec);
    }

    #[test]
    fn a_group_lives_with_the_account_its_id_names() {
        let a = |s: &str| imps_csp::Address::parse_with_domain(s, "x").expect("address");
        assert_eq!(
            home_of(&a("wv:alice/chess@x")).as_deref(),
            Some("wv:alice@x")
        );
        assert_eq!(home_of(&a("wv:alice@x")), None, "a user, not a group");
        assert_eq!(home_of(&a("wv:/lobby@x")), None, "no home account");
    }
}
