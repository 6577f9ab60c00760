//! Public profiles (CSP 1.3, csp-reference.md §3.2): UpdatePublicProfile-Request sets or clears
//! one's own, GetPublicProfile-Request reads other users' through their owners
//! ([`Event::Profile`] / [`Event::Profiled`]). A profile is the `PP_*` fields a user chose to
//! publish; it is kept durably with the account (document `profile`).

use std::collections::BTreeMap;

use imps_csp::model::common::{Property, Status};
use imps_csp::model::v13::{
    GetPublicProfileRequest, GetPublicProfileResponse, PublicProfile, UpdatePublicProfileRequest,
};
use imps_csp::{Primitive, StatusCode};

use crate::engine::{fail, Cx, Reply};
use crate::feature::failures::Failures;
use crate::route::{Event, Op};
use crate::store::Write;
use crate::unique::Unique;

/// The kind of the document holding a user's public profile (JSON, field → value).
pub(crate) const PROFILE_DOCUMENT: &str = "profile";

/// Longest value of a profile field, in bytes.
const MAX_VALUE: usize = 256;

/// A user's public profile: `PP_*` field → value.
pub(crate) type Profile = BTreeMap<String, String>;

/// UpdatePublicProfile-Request: ClearPublicProfile=T drops the stored profile, then the fields
/// given are stored (merged; an empty value removes a field). 402 for a field that is not one
/// of the reference's `PP_*` fields, a value longer than 256 bytes, or a PP_AGE that is no
/// number.
pub(crate) fn update(cx: &mut Cx<'_>, sid: &str, r: UpdatePublicProfileRequest) -> Reply {
    let user = cx.user_of(sid);
    let mut changes: Vec<(String, String)> = Vec::new();
    for Property { name, value } in r.public_profile.iter().flat_map(|p| p.property.iter()) {
        let Some(field) = PublicProfile::FIELDS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name.trim()))
        else {
            return fail(StatusCode::BAD_PARAMETER);
        };
        let value = value.as_deref().unwrap_or("").trim().to_owned();
        if value.len() > MAX_VALUE
            || (*field == "PP_AGE" && !value.is_empty() && value.parse::<u8>().is_err())
        {
            return fail(StatusCode::BAD_PARAMETER);
        }
        changes.push(((*field).to_owned(), value));
    }
    let Some(u) = cx.st.users.get_mut(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    if r.clear_public_profile == Some(true) {
        u.profile.clear();
    }
    for (k, v) in changes {
        if v.is_empty() {
            u.profile.remove(&k);
        } else {
            u.profile.insert(k, v);
        }
    }
    cx.writes
        .extend(Write::json_document(&user, PROFILE_DOCUMENT, &u.profile));
    crate::feature::search::save_terms(cx, &user);
    crate::feature::notify::simple(
        cx,
        &user,
        Some(sid),
        imps_csp::model::v13::NotificationRequest {
            notification_type: Some("PPU".into()),
            ..Default::default()
        },
    );
    Reply::Prim(Primitive::Status(Status::new(StatusCode::SUCCESS)))
}

/// A GetPublicProfile-Request waiting for the users' owners.
pub(crate) struct ProfileOp {
    /// Answers not yet in.
    pub waiting: usize,
    /// (position, user, profile or why not).
    results: Vec<(usize, String, Result<Profile, StatusCode>)>,
}

impl ProfileOp {
    /// One owner's answer.
    pub(crate) fn record(
        &mut self,
        index: usize,
        user: String,
        result: Result<Profile, StatusCode>,
    ) {
        self.results.push((index, user, result));
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// GetPublicProfile-Response: the profiles found, in the order asked; 201 with the users
    /// that have none to show (531 no such user, 532 blocked).
    pub(crate) fn answer(mut self) -> Primitive {
        self.results.sort_by_key(|(i, _, _)| *i);
        let mut profiles = Vec::new();
        let mut failures = Failures::default();
        for (_, user, result) in self.results {
            match result {
                Ok(p) => profiles.push(PublicProfile {
                    user_id: Some(user),
                    property: p.into_iter().map(|(k, v)| Property::new(k, v)).collect(),
                }),
                Err(code) => failures.add(code, user),
            }
        }
        let result = failures.result(!profiles.is_empty());
        Primitive::from(GetPublicProfileResponse {
            result: Some(result),
            public_profile: profiles,
        })
    }
}

/// GetPublicProfile-Request: each user's owner answers with the profile (no UserID: one's own).
pub(crate) fn get(cx: &mut Cx<'_>, sid: &str, r: GetPublicProfileRequest) -> Reply {
    let me = cx.user_of(sid);
    let mut users = Unique::default();
    for u in &r.user_id {
        match cx.addr(u) {
            Some(a) => {
                users.insert(a);
            }
            None => return fail(StatusCode::UNKNOWN_USER),
        }
    }
    if users.is_empty() {
        users.insert(me.clone());
    }
    if users.len() > cx.cfg.max_presence_targets {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let mut pending = ProfileOp {
        waiting: 0,
        results: Vec::new(),
    };
    for (index, user) in users.into_vec().into_iter().enumerate() {
        pending.waiting += 1;
        cx.route(Event::Profile {
            op,
            index,
            user,
            asker: me.clone(),
        });
    }
    Reply::Later(Op::Profile(pending))
}

/// [`Event::Profile`] on the user's owner: its profile, unless it blocks the asker.
pub(crate) fn read(cx: &Cx<'_>, user: &str, asker: &str) -> Result<Profile, StatusCode> {
    let u = cx.st.users.get(user).ok_or(StatusCode::UNKNOWN_USER)?;
    if user != asker && crate::feature::im::blocks(u, asker) {
        return Err(StatusCode::RECIPIENT_BLOCKED_SENDER);
    }
    Ok(u.profile.clone())
}
