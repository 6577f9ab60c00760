//! VerifyID (csp-reference.md §3.2, 1.2+): which of the identifiers a client names exist.
//! Users are asked of their owners ([`Event::Exists`]), groups and screen names of the
//! groups' owners ([`Event::GroupExists`]); contact lists (the requester's own) and domains
//! are checked at once.

use std::collections::HashSet as StdHashSet;

use imps_csp::model::common::{CspResult, DetailedResult, ScreenName, Status};
use imps_csp::model::fundamental::{IdList, VerifyIdRequest};
use imps_csp::{Address, Primitive, StatusCode};

use crate::engine::{fail, Cx, Reply};
use crate::route::{CheckOp, Event, Op, Then};

/// Most identifiers one VerifyID-Request may name (402 beyond).
const MAX_IDS: usize = 256;

/// The key a user's existence is known under.
fn user_key(id: &str) -> String {
    id.to_owned()
}

/// The key a group's existence is known under.
pub(crate) fn group_key(group: &str) -> String {
    format!("group\u{0}{group}")
}

/// The key a screen name's is known under.
pub(crate) fn sname_key(group: &str, sname: &str) -> String {
    format!("sname\u{0}{group}\u{0}{}", sname.to_lowercase())
}

/// VerifyID-Request: the checks go to the owners; answered when all have answered.
pub(crate) fn verify_id(cx: &mut Cx<'_>, _sid: &str, r: VerifyIdRequest) -> Reply {
    let ids = r.id_list.unwrap_or_default();
    let total = ids.user_id.len()
        + ids.contact_list.len()
        + ids.group_id.len()
        + ids.screen_name.len()
        + ids.domain.len();
    if total == 0 || total > MAX_IDS {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let mut check = CheckOp::new(Then::VerifyId(Box::new(ids.clone())));
    let mut asked: StdHashSet<String> = StdHashSet::new();
    let mut index = 0;
    for u in &ids.user_id {
        if let Some(a) = cx.addr(u) {
            if asked.insert(user_key(&a)) {
                check.waiting += 1;
                cx.route(Event::Exists { op, index, user: a });
                index += 1;
            }
        }
    }
    let groups = ids.group_id.iter().map(|g| (g.as_str(), None)).chain(
        ids.screen_name
            .iter()
            .map(|s| (s.group_id.as_str(), Some(s.sname.as_str()))),
    );
    for (g, sname) in groups {
        let Some((group, home)) = crate::feature::group::locate(cx, g) else {
            continue;
        };
        let key = match sname {
            Some(s) => sname_key(&group, s),
            None => group_key(&group),
        };
        if asked.insert(key) {
            check.waiting += 1;
            cx.route(Event::GroupExists {
                op,
                index,
                group,
                home,
                sname: sname.map(str::to_owned),
            });
            index += 1;
        }
    }
    Reply::Later(Op::Check(Box::new(check)))
}

/// The answer, once the owners said what exists: 200, or 201 with a DetailedResult per kind
/// of identifier that does not (531 users, 700 contact lists, 800 groups, 808 screen names
/// nobody is joined under, 516 domains this server does not serve).
pub(crate) fn verify_now(
    cx: &mut Cx<'_>,
    sid: &str,
    ids: IdList,
    known: &crate::hash::HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    let mut bad_users = Vec::new();
    for u in &ids.user_id {
        if !cx.addr(u).is_some_and(|a| known.contains(&user_key(&a))) {
            bad_users.push(u.clone());
        }
    }
    let mut bad_lists = Vec::new();
    for l in &ids.contact_list {
        if crate::feature::contacts::members(cx, &user, l).is_none() {
            bad_lists.push(l.clone());
        }
    }
    let mut bad_groups = Vec::new();
    for g in &ids.group_id {
        let ok = crate::feature::group::locate(cx, g)
            .is_some_and(|(id, _)| known.contains(&group_key(&id)));
        if !ok {
            bad_groups.push(g.clone());
        }
    }
    let mut bad_snames: Vec<ScreenName> = Vec::new();
    for s in &ids.screen_name {
        let ok = crate::feature::group::locate(cx, &s.group_id)
            .is_some_and(|(id, _)| known.contains(&sname_key(&id, &s.sname)));
        if !ok {
            bad_snames.push(s.clone());
        }
    }
    let own_domain = Address::parse_with_domain(&user, &cx.cfg.default_domain)
        .map(|a| a.domain().to_owned())
        .unwrap_or_default();
    let bad_domains: Vec<String> = ids
        .domain
        .iter()
        .filter(|d| {
            let d = d.trim().to_lowercase();
            d != cx.cfg.default_domain.to_lowercase() && d != own_domain
        })
        .cloned()
        .collect();
    let mut detailed = Vec::new();
    let entry = |code: StatusCode| DetailedResult {
        code,
        description: code.description().map(str::to_owned),
        ..Default::default()
    };
    if !bad_users.is_empty() {
        detailed.push(DetailedResult {
            user_id: bad_users,
            ..entry(StatusCode::UNKNOWN_USER)
        });
    }
    if !bad_lists.is_empty() {
        detailed.push(DetailedResult {
            contact_list: bad_lists,
            ..entry(StatusCode::CONTACT_LIST_DOES_NOT_EXIST)
        });
    }
    if !bad_groups.is_empty() {
        detailed.push(DetailedResult {
            group_id: bad_groups,
            ..entry(StatusCode::GROUP_DOES_NOT_EXIST)
        });
    }
    if !bad_snames.is_empty() {
        detailed.push(DetailedResult {
            screen_name: bad_snames,
            ..entry(StatusCode::NOT_JOINED)
        });
    }
    if !bad_domains.is_empty() {
        detailed.push(DetailedResult {
            domain: bad_domains,
            ..entry(StatusCode::DOMAIN_NOT_SUPPORTED)
        });
    }
    let mut result = CspResult::new(if detailed.is_empty() {
        StatusCode::SUCCESS
    } else {
        StatusCode::PARTIALLY_SUCCESSFUL
    });
    result.detailed = detailed;
    Reply::Prim(Primitive::Status(Status {
        result,
        client_id: None,
    }))
}
