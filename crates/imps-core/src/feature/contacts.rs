//! Contact lists (csp-reference.md §3.3, implementation guidelines §9): GetList, CreateList,
//! DeleteList, ListManage, the default list, the suggested `~pep1.0_*` names.
//!
//! List ids are normalised like every address (lower case, `wv:` and domain added), so the
//! suggested names match whatever case a client uses (`~PEP1.0_privatelist` is
//! `~pep1.0_privatelist`). A bare name (`friends`, `~pep1.0_privatelist`) is a list of the
//! requesting user.

use crate::hash::{HashMap, HashSet};

use imps_csp::model::common::{
    ContactListIdList, CspResult, DetailedResult, NickList, NickName, Property,
};
use imps_csp::model::presence::{
    ContactListProperties, CreateListRequest, CreateListResponse, DeleteListRequest,
    GetListResponse, ListManageRequest, ListManageResponse,
};
use imps_csp::{Address, CspVersion, Primitive, StatusCode};

use crate::engine::{fail, status, Cx, Reply};
use crate::feature::presence;
use crate::store::{ContactListRecord, Write};
use crate::unique::Unique;

/// Normalises a list id for `owner` (a bare name is the owner's list).
pub(crate) fn list_id(cx: &Cx<'_>, owner: &str, id: &str) -> Option<String> {
    let a = Address::parse_with_domain(id, &cx.cfg.default_domain).ok()?;
    if a.resource().is_some() {
        return Some(a.to_string());
    }
    let o = Address::parse_with_domain(owner, &cx.cfg.default_domain).ok()?;
    // `friends` or `wv:friends@domain` without a resource: the owner's list of that name.
    let name = id.trim();
    let name = name
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("wv:"))
        .map_or(name, |_| &name[3..]);
    let name = name
        .split('@')
        .next()
        .unwrap_or(name)
        .trim_start_matches('/');
    Some(o.with_resource(name).to_string())
}

fn properties(rec: &ContactListRecord) -> ContactListProperties {
    let mut property = Vec::new();
    if let Some(n) = &rec.display_name {
        property.push(Property {
            name: "DisplayName".into(),
            value: Some(n.clone()),
        });
    }
    property.push(Property {
        name: "Default".into(),
        value: Some(if rec.default { "T" } else { "F" }.into()),
    });
    ContactListProperties { property }
}

fn nick_list(rec: &ContactListRecord) -> NickList {
    NickList {
        nick_name: rec
            .members
            .iter()
            .map(|(id, name)| NickName {
                name: name.clone(),
                user_id: id.clone(),
            })
            .collect(),
    }
}

/// Applies `DisplayName`/`Default` properties; `Err` on an unknown property or bad value.
fn apply_properties(
    rec: &mut ContactListRecord,
    props: &ContactListProperties,
) -> Result<bool, StatusCode> {
    let mut made_default = false;
    for p in &props.property {
        let value = p.value.clone().unwrap_or_default();
        if p.name.eq_ignore_ascii_case("DisplayName") {
            rec.display_name = Some(value);
        } else if p.name.eq_ignore_ascii_case("Default") {
            match value.trim() {
                "T" => {
                    rec.default = true;
                    made_default = true;
                }
                "F" => rec.default = false,
                _ => return Err(StatusCode::INVALID_CONTACT_LIST_PROPERTY),
            }
        } else {
            return Err(StatusCode::INVALID_CONTACT_LIST_PROPERTY);
        }
    }
    Ok(made_default)
}

/// Makes `id` the only default list of `owner`.
fn set_default(cx: &mut Cx<'_>, owner: &str, id: &str) {
    let Some(u) = cx.st.users.get_mut(owner) else {
        return;
    };
    for (lid, l) in u.lists.iter_mut() {
        if lid != id && l.default {
            l.default = false;
            cx.writes.push(Write::PutList(l.clone()));
        }
    }
}

/// GetList-Request.
pub(crate) fn get_list(cx: &mut Cx<'_>, sid: &str) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let ids: Vec<String> = u.lists.keys().cloned().collect();
    let default = u.lists.values().find(|l| l.default).map(|l| l.id.clone());
    let mut resp = GetListResponse {
        default_contact_list: default,
        ..Default::default()
    };
    if v >= CspVersion::V1_3 {
        resp.contact_list_id_list = Some(ContactListIdList { contact_list: ids });
    } else {
        resp.contact_list = ids;
    }
    Primitive::GetListResponse(resp).into()
}

/// Members to add from a NickList: known users (`known`, as their owners said) go in,
/// unknown ones are reported (531).
fn add_members(
    cx: &Cx<'_>,
    known: &HashSet<String>,
    rec: &mut ContactListRecord,
    nicks: &[NickName],
    plain: &[String],
    unknown: &mut Vec<String>,
) -> Result<(), StatusCode> {
    let wanted = nicks
        .iter()
        .map(|n| (n.user_id.as_str(), n.name.clone()))
        .chain(plain.iter().map(|u| (u.as_str(), None)));
    let mut index: HashMap<String, usize> = rec
        .members
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (m.clone(), i))
        .collect();
    for (raw, name) in wanted {
        let Some(id) = cx.addr(raw).filter(|id| known.contains(id)) else {
            unknown.push(raw.to_owned());
            continue;
        };
        if let Some(&i) = index.get(&id) {
            if name.is_some() {
                rec.members[i].1 = name;
            }
            continue;
        }
        if rec.members.len() >= cx.cfg.max_list_members {
            return Err(StatusCode::MAX_CONTACTS);
        }
        index.insert(id.clone(), rec.members.len());
        rec.members.push((id, name));
    }
    Ok(())
}

fn partial(unknown: Vec<String>) -> CspResult {
    if unknown.is_empty() {
        return CspResult::new(StatusCode::SUCCESS);
    }
    let mut r = CspResult::new(StatusCode::PARTIALLY_SUCCESSFUL);
    r.detailed.push(DetailedResult {
        code: StatusCode::UNKNOWN_USER,
        description: StatusCode::UNKNOWN_USER.description().map(str::to_owned),
        user_id: unknown,
        ..Default::default()
    });
    r
}

/// CreateList-Request: Status (CreateList-Response in 1.3), once the members' owners said
/// which exist.
pub(crate) fn create_list(cx: &mut Cx<'_>, _sid: &str, r: CreateListRequest) -> Reply {
    let names: Vec<String> = r
        .nick_list
        .iter()
        .flat_map(|n| n.nick_name.iter().map(|n| n.user_id.clone()))
        .collect();
    crate::route::ask_exists(cx, &names, crate::route::Then::CreateList(r))
}

pub(crate) fn create_list_now(
    cx: &mut Cx<'_>,
    sid: &str,
    r: CreateListRequest,
    known: &HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(id) = list_id(cx, &user, &r.contact_list) else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    if u.lists.contains_key(&id) {
        return fail(StatusCode::CONTACT_LIST_ALREADY_EXISTS);
    }
    if u.lists.len() >= cx.cfg.max_contact_lists {
        return fail(StatusCode::MAX_CONTACT_LISTS);
    }
    let mut rec = ContactListRecord {
        owner: user.clone(),
        id: id.clone(),
        ..Default::default()
    };
    let mut made_default = false;
    if let Some(p) = &r.contact_list_properties {
        match apply_properties(&mut rec, p) {
            Ok(d) => made_default = d,
            Err(code) => return fail(code),
        }
    }
    let mut unknown = Vec::new();
    if let Some(n) = &r.nick_list {
        if let Err(code) = add_members(cx, known, &mut rec, &n.nick_name, &[], &mut unknown) {
            return fail(code);
        }
    }
    if made_default {
        set_default(cx, &user, &id);
    }
    cx.writes.push(Write::PutList(rec.clone()));
    let props = properties(&rec);
    if let Some(u) = cx.st.users.get_mut(&user) {
        u.lists.insert(id.clone(), rec);
    }
    crate::feature::notify::lists(cx, sid, "CLCR", vec![id.clone()]);
    let result = partial(unknown);
    if v >= CspVersion::V1_3 && result.code == StatusCode::SUCCESS {
        return Primitive::CreateListResponse(CreateListResponse {
            contact_list: id,
            contact_list_properties: Some(props),
        })
        .into();
    }
    Primitive::Status(imps_csp::model::common::Status {
        result,
        client_id: None,
    })
    .into()
}

/// DeleteList-Request.
pub(crate) fn delete_list(cx: &mut Cx<'_>, sid: &str, r: DeleteListRequest) -> Reply {
    let user = cx.user_of(sid);
    let Some(id) = list_id(cx, &user, &r.contact_list) else {
        return fail(StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
    };
    let Some(removed) = cx.st.users.get_mut(&user).and_then(|u| u.lists.remove(&id)) else {
        return fail(StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
    };
    cx.writes.push(Write::DeleteList(user.clone(), id.clone()));
    // Sessions that subscribed through the list (AutoSubscribe) stop watching its members,
    // unless another list they auto-subscribed to still holds them.
    let members: Vec<String> = removed.members.iter().map(|(m, _)| m.clone()).collect();
    presence::list_members_changed(cx, &user, &id, &members, &[]);
    let sessions = cx.sessions_of(&user);
    for sid in sessions {
        if let Some(s) = cx.st.sessions.get_mut(&sid) {
            s.auto_lists.remove(&id);
        }
    }
    crate::feature::notify::lists(cx, sid, "CLD", vec![id]);
    status(StatusCode::SUCCESS).into()
}

/// ListManage-Request: add and remove nicks and change properties in one request, once the
/// owners of the members it adds said which exist.
pub(crate) fn list_manage(cx: &mut Cx<'_>, _sid: &str, r: ListManageRequest) -> Reply {
    let names: Vec<String> = r
        .add_nick_list
        .iter()
        .flat_map(|a| {
            a.nick_name
                .iter()
                .map(|n| n.user_id.clone())
                .chain(a.user_id.iter().cloned())
        })
        .collect();
    crate::route::ask_exists(cx, &names, crate::route::Then::ListManage(r))
}

pub(crate) fn list_manage_now(
    cx: &mut Cx<'_>,
    sid: &str,
    r: ListManageRequest,
    known: &HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(id) = list_id(cx, &user, &r.contact_list) else {
        return fail(StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
    };
    let Some(mut rec) = cx
        .st
        .users
        .get(&user)
        .and_then(|u| u.lists.get(&id))
        .cloned()
    else {
        return fail(StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
    };
    let before: Vec<String> = rec.members.iter().map(|(m, _)| m.clone()).collect();
    let mut unknown = Vec::new();
    if let Some(add) = &r.add_nick_list {
        if let Err(code) = add_members(
            cx,
            known,
            &mut rec,
            &add.nick_name,
            &add.user_id,
            &mut unknown,
        ) {
            return fail(code);
        }
    }
    if let Some(rm) = &r.remove_nick_list {
        let gone: Unique = rm.user_id.iter().filter_map(|u| cx.addr(u)).collect();
        rec.members.retain(|(m, _)| !gone.contains(m));
    }
    let mut made_default = false;
    if let Some(p) = &r.contact_list_properties {
        match apply_properties(&mut rec, p) {
            Ok(d) => made_default = d,
            Err(code) => return fail(code),
        }
    }
    let changed = cx.st.users.get(&user).and_then(|u| u.lists.get(&id)) != Some(&rec);
    if changed {
        if made_default {
            set_default(cx, &user, &id);
        }
        cx.writes.push(Write::PutList(rec.clone()));
        let after: Vec<String> = rec.members.iter().map(|(m, _)| m.clone()).collect();
        if let Some(u) = cx.st.users.get_mut(&user) {
            u.lists.insert(id.clone(), rec.clone());
        }
        presence::list_members_changed(cx, &user, &id, &before, &after);
        crate::feature::notify::lists(cx, sid, "CLC", vec![id.clone()]);
    }
    let receive = r.receive_list.unwrap_or(v == CspVersion::V1_1);
    Primitive::ListManageResponse(ListManageResponse {
        result: partial(unknown),
        nick_list: receive.then(|| nick_list(&rec)),
        contact_list_properties: receive.then(|| properties(&rec)),
    })
    .into()
}

/// The members of one of `owner`'s lists (normalised ids), if the list exists.
pub(crate) fn members(cx: &Cx<'_>, owner: &str, list: &str) -> Option<Vec<String>> {
    let id = list_id(cx, owner, list)?;
    let u = cx.st.users.get(owner)?;
    let l = u.lists.get(&id)?;
    Some(l.members.iter().map(|(m, _)| m.clone()).collect())
}
