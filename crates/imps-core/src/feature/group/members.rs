//! Members, privilege levels and bans: AddGroupMembers, RemoveGroupMembers, MemberAccess,
//! RejectList, and making a user's sessions leave.

use super::*;

/// The users a request names (user ids normalised; screen names of joined users resolved);
/// 402 for a name that is no address, 808 for a screen name nobody joined under.
pub(super) fn named_users(
    cx: &Cx<'_>,
    g: &GroupState,
    (list, ids): (Option<&UserList>, Option<&UserIdList>),
) -> Result<Vec<String>, StatusCode> {
    let mut out: Vec<String> = Vec::new();
    let given = list
        .into_iter()
        .flat_map(|l| l.user.iter().map(|u| u.user_id.as_str()))
        .chain(
            ids.into_iter()
                .flat_map(|l| l.user_id.iter().map(String::as_str)),
        );
    for id in given {
        let a = cx.addr(id).ok_or(StatusCode::BAD_PARAMETER)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    for s in list.into_iter().flat_map(|l| l.screen_name.iter()) {
        let (_, j) = g.by_sname(&s.sname).ok_or(StatusCode::NOT_JOINED)?;
        if !out.contains(&j.user) {
            out.push(j.user.clone());
        }
    }
    Ok(out)
}

/// AddGroupMembers / RemoveGroupMembers: administrators and moderators; an administrator
/// only by an administrator, the home account never. A member removed from a restricted
/// group is made to leave it.
pub(super) fn change_members(
    cx: &mut Cx<'_>,
    (home, group): (&str, &str),
    from: &Requester,
    named: (Option<&UserList>, Option<&UserIdList>),
    add: bool,
) -> Done {
    let max = cx.cfg.max_group_members;
    let Some(g) = cx.st.users.get(home).and_then(|u| u.groups.get(group)) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !g.at_least(&from.user, Access::Mod) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let users = match named_users(cx, g, named) {
        Ok(u) if !u.is_empty() => u,
        Ok(_) => return Done::code(StatusCode::BAD_PARAMETER),
        Err(code) => return Done::code(code),
    };
    let admin = g.at_least(&from.user, Access::Admin);
    if !add
        && users
            .iter()
            .any(|u| u == home || (!admin && g.at_least(u, Access::Admin)))
    {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let restricted = g.restricted();
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let mut changed = Vec::new();
    if add {
        let new = users
            .iter()
            .filter(|u| !g.rec.members.contains_key(*u))
            .count();
        if g.rec.members.len() + new > max {
            return Done::code(StatusCode::BAD_PARAMETER);
        }
        for u in &users {
            if !g.rec.members.contains_key(u) {
                g.rec.members.insert(u.clone(), Access::User);
                changed.push(u.clone());
            }
        }
    } else {
        for u in &users {
            if g.rec.members.remove(u).is_some() {
                changed.push(u.clone());
            }
        }
    }
    save(cx, home, group);
    if !add && restricted {
        for u in &users {
            kick(cx, (home, group), u, StatusCode::NOT_GROUP_MEMBER);
        }
    } else {
        tell_own(cx, (home, group), &changed);
    }
    Done::code(StatusCode::SUCCESS)
}

/// Tells the joined sessions of `users` that asked for notices what their own properties in
/// the group are now (GroupChangeNotice with OwnProperties: membership and privilege changed).
pub(super) fn tell_own(cx: &mut Cx<'_>, (home, group): (&str, &str), users: &[String]) {
    let Some(g) = cx.st.users.get(home).and_then(|u| u.groups.get(group)) else {
        return;
    };
    let notices: Vec<(String, CspVersion, OwnProperties)> = g
        .joined
        .iter()
        .filter(|(_, j)| j.notify && users.contains(&j.user))
        .map(|(sid, j)| (sid.clone(), j.version, own_properties(g, &j.user, Some(j))))
        .collect();
    for (sid, version, own) in notices {
        let notice = GroupChangeNotice {
            group_id: group.to_owned(),
            own_properties: Some(own),
            ..Default::default()
        };
        tell(cx, sid, version, Primitive::from(notice), None);
    }
}

/// MemberAccess: an administrator sets members' privilege levels (the users named become
/// members); the home account stays an administrator.
pub(super) fn member_access(
    cx: &mut Cx<'_>,
    (home, group): (&str, &str),
    from: &Requester,
    r: imps_csp::model::group::MemberAccessRequest,
) -> Done {
    let max = cx.cfg.max_group_members;
    let Some(g) = cx.st.users.get(home).and_then(|u| u.groups.get(group)) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let users_list = r
        .users
        .as_ref()
        .map(|u| &u.user_list)
        .or(r.user_list.as_ref());
    let mut levels: Vec<(String, Access)> = Vec::new();
    for (list, level) in [
        (r.admin.as_ref().map(|a| &a.user_list), Access::Admin),
        (r.moderator.as_ref().map(|m| &m.user_list), Access::Mod),
        (users_list, Access::User),
    ] {
        match named_users(cx, g, (list, None)) {
            Ok(users) => levels.extend(users.into_iter().map(|u| (u, level))),
            Err(code) => return Done::code(code),
        }
    }
    if levels.iter().any(|(u, l)| u == home && *l != Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let new = levels
        .iter()
        .filter(|(u, _)| !g.rec.members.contains_key(u))
        .count();
    if g.rec.members.len() + new > max {
        return Done::code(StatusCode::BAD_PARAMETER);
    }
    let mut changed = Vec::new();
    for (u, l) in levels {
        if g.rec.members.insert(u.clone(), l) != Some(l) {
            changed.push(u);
        }
    }
    save(cx, home, group);
    tell_own(cx, (home, group), &changed);
    Done::code(StatusCode::SUCCESS)
}

/// RejectList: administrators and moderators ban and unban users (a banned user's sessions
/// are made to leave, 809), and every requester may see who is banned.
pub(super) fn reject_list(
    cx: &mut Cx<'_>,
    (home, group): (&str, &str),
    from: &Requester,
    r: imps_csp::model::group::RejectListRequest,
) -> Done {
    let max = cx.cfg.max_group_members;
    let Some(g) = cx.st.users.get(home).and_then(|u| u.groups.get(group)) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let changes = r.add_list.is_some() || r.remove_list.is_some();
    if changes && !g.at_least(&from.user, Access::Mod) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let as_list = |ids: &[String], snames: &[ScreenName]| UserList {
        user: ids.iter().map(User::new).collect(),
        screen_name: snames.to_vec(),
    };
    let add = r
        .add_list
        .as_ref()
        .map(|a| as_list(&a.user_id, &a.screen_name));
    let remove = r
        .remove_list
        .as_ref()
        .map(|a| as_list(&a.user_id, &a.screen_name));
    let (add, remove) = match (
        named_users(cx, g, (add.as_ref(), None)),
        named_users(cx, g, (remove.as_ref(), None)),
    ) {
        (Ok(a), Ok(r)) => (a, r),
        (Err(c), _) | (_, Err(c)) => return Done::code(c),
    };
    let admin = g.at_least(&from.user, Access::Admin);
    if add
        .iter()
        .any(|u| u == home || u == &from.user || (!admin && g.at_least(u, Access::Admin)))
    {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if g.rec.rejected.len() + add.len() > max {
        return Done::code(StatusCode::BAD_PARAMETER);
    }
    for u in &remove {
        g.rec.rejected.remove(u);
    }
    for u in &add {
        g.rec.rejected.insert(u.clone());
    }
    let banned = UserList {
        user: g.rec.rejected.iter().map(User::new).collect(),
        screen_name: Vec::new(),
    };
    if changes {
        save(cx, home, group);
    }
    for u in &add {
        kick(cx, (home, group), u, StatusCode::REJECTED_FROM_GROUP);
    }
    Done::prim(Primitive::from(RejectListResponse {
        user_list: Some(banned),
    }))
}

/// Makes every session of `user` joined to the group leave it, telling it why (an
/// unsolicited LeaveGroup-Response with `code`) and the others who left.
pub(super) fn kick(cx: &mut Cx<'_>, (home, group): (&str, &str), user: &str, code: StatusCode) {
    let Some(g) = get(cx, home, group) else {
        return;
    };
    let sids: Vec<(String, CspVersion)> = g
        .joined
        .iter()
        .filter(|(_, j)| j.user == user)
        .map(|(sid, j)| (sid.clone(), j.version))
        .collect();
    for (sid, version) in sids {
        leave(cx, home, group, &sid);
        let p = Primitive::from(LeaveGroupResponse {
            group_id: Some(group.to_owned()),
            result: Some(CspResult::new(code)),
        });
        tell(cx, sid, version, p, Some(group));
        tracing::info!(group = %group, user = %user, code = code.0, "made to leave the group");
    }
}
