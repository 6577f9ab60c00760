//! A group's life: created, joined, left, changed, deleted, and the notices that go with it.

use super::*;

pub(super) fn create(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    r: imps_csp::model::group::CreateGroupRequest,
) -> Done {
    let max = cx.cfg.max_groups_per_user;
    let Some(u) = cx.st.users.get(home) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if u.groups.contains_key(group) {
        return Done::code(StatusCode::GROUP_ALREADY_EXISTS);
    }
    if u.groups.len() >= max {
        return Done::code(StatusCode::MAX_GROUPS_USER);
    }
    let (props, welcome) = match crate::group::checked(&r.group_properties) {
        Ok(x) => x,
        Err(code) => return Done::code(code),
    };
    let name = group
        .strip_prefix("wv:")
        .and_then(|g| g.split_once('/'))
        .and_then(|(_, rest)| rest.split('@').next())
        .unwrap_or(group)
        .to_owned();
    let mut g = GroupState::new(group, &name, &from.user, cx.now);
    g.apply(props, welcome, cx.now);
    if !g.findable() {
        return Done::code(StatusCode::SEARCHABLE_GROUP_NEEDS_NAME);
    }
    if !cx.groups.reserve(cx.cfg.max_groups) {
        tracing::warn!(group = %group, max = cx.cfg.max_groups, "server's group limit reached: 815");
        return Done::code(StatusCode::MAX_GROUPS_SERVER);
    }
    if let Some(u) = cx.st.users.get_mut(home) {
        u.groups.insert(group.to_owned(), g);
    }
    save(cx, home, group);
    tracing::info!(group = %group, owner = %home, "group created");
    // The home account's other sessions that asked are told.
    crate::feature::notify::simple(
        cx,
        home,
        Some(&from.sid),
        imps_csp::model::v13::NotificationRequest {
            notification_type: Some("GC".into()),
            group_id: Some(group.to_owned()),
            ..Default::default()
        },
    );
    if r.join_group == Some(true) {
        let sname = r.screen_name.map(|s| s.sname);
        let notify = r.subscribe_notification == Some(true);
        if let Err(code) = join(cx, home, group, from, sname, notify) {
            return Done::code(code);
        }
        return Done {
            answer: GroupResult::Answer(Box::new(status(StatusCode::SUCCESS))),
            joined: Some(true),
        };
    }
    Done::code(StatusCode::SUCCESS)
}

/// Joins session `from.sid` under `sname` (or a screen name made from its user id); returns
/// the screen name. Joined sessions that asked for notices are told.
pub(super) fn join(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    sname: Option<String>,
    notify: bool,
) -> Result<String, StatusCode> {
    let cap = cx.cfg.max_joined_per_group;
    let Some(g) = get(cx, home, group) else {
        return Err(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if g.rec.rejected.contains(&from.user) {
        return Err(StatusCode::REJECTED_FROM_GROUP);
    }
    if g.restricted() && g.access(&from.user).is_none() {
        return Err(StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP);
    }
    if g.flag("RequireInvitation") && g.access(&from.user).is_none() {
        // Only with a valid invitation from one of the group: a member, or a user joined to
        // it now (anyone may send a GR invitation; only these count).
        let counts = |inviter: &String| {
            g.access(inviter).is_some() || g.joined.values().any(|j| j.user == *inviter)
        };
        if !from.invited_by.iter().any(counts) {
            return Err(StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP);
        }
    }
    if g.joined.contains_key(&from.sid) {
        return Err(StatusCode::ALREADY_JOINED);
    }
    if g.joined.len() >= g.max_joined(cap) {
        return Err(StatusCode::MAX_JOINED_USERS);
    }
    let sname = match sname.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > 64 => return Err(StatusCode::BAD_PARAMETER),
        Some(s) if g.by_sname(&s).is_some() => return Err(StatusCode::SCREEN_NAME_IN_USE),
        Some(s) => s,
        None => {
            // The user part of the id, made unique with a number if needed.
            let base = from
                .user
                .strip_prefix("wv:")
                .unwrap_or(&from.user)
                .split('@')
                .next()
                .unwrap_or("user")
                .to_owned();
            let mut name = base.clone();
            let mut n = 2;
            while g.by_sname(&name).is_some() {
                name = format!("{base}{n}");
                n += 1;
            }
            name
        }
    };
    g.joined.insert(
        from.sid.clone(),
        Joiner {
            user: from.user.clone(),
            sname: sname.clone(),
            version: from.version,
            notify,
            no_private: false,
        },
    );
    let show = g.flag("ShowID");
    let joined = Mapping {
        sname: sname.clone(),
        user_id: show.then(|| from.user.clone()),
    };
    let notices: Vec<(String, CspVersion)> = watchers(g, &from.sid);
    for (sid, version) in notices {
        let notice = GroupChangeNotice {
            group_id: group.to_owned(),
            joined: Some(Joined::for_version(
                version,
                group,
                UserMapList::from_mappings(vec![joined.clone()]),
            )),
            ..Default::default()
        };
        tell_about(cx, sid, version, Primitive::from(notice), &from.user);
    }
    tracing::debug!(group = %group, user = %from.user, "joined");
    Ok(sname)
}

/// The joined sessions that asked for notices, but `except`.
pub(super) fn watchers(g: &GroupState, except: &str) -> Vec<(String, CspVersion)> {
    g.joined
        .iter()
        .filter(|(sid, j)| j.notify && sid.as_str() != except)
        .map(|(sid, j)| (sid.clone(), j.version))
        .collect()
}

/// Queues `p` for session `sid` (on its shard).
pub(super) fn tell(
    cx: &mut Cx<'_>,
    sid: String,
    version: CspVersion,
    p: Primitive,
    left: Option<&str>,
) {
    cx.route(Event::ToSession {
        sid,
        version,
        primitive: Box::new(p),
        left: left.map(str::to_owned),
        about: None,
    });
}

/// Queues a GroupChangeNotice about `user` (who joined or left) for session `sid`: its shard
/// shows the user as blocked (1.3) if the session's user blocks it.
pub(super) fn tell_about(
    cx: &mut Cx<'_>,
    sid: String,
    version: CspVersion,
    p: Primitive,
    user: &str,
) {
    cx.route(Event::ToSession {
        sid,
        version,
        primitive: Box::new(p),
        left: None,
        about: Some(user.to_owned()),
    });
}

/// Deletes the groups whose Validity ran out (the once-a-second tick): their joined sessions
/// get an unsolicited LeaveGroup-Response (800 "Group expired"), the home account's sessions
/// that asked a GD notification.
pub(crate) fn expire(cx: &mut Cx<'_>) {
    let now = cx.now;
    while let Some((at, home, group)) = cx.st.group_expiries.first().cloned() {
        if at > now {
            break;
        }
        cx.st.group_expiries.pop_first();
        // Still true? (The group may have gone, changed its Validity, or been unloaded.)
        if get(cx, &home, &group).is_none_or(|g| g.rec.expires != Some(at)) {
            continue;
        }
        remove_group(cx, (&home, &group), "Group expired", None);
        save(cx, &home, &group);
        tracing::info!(group = %group, "group's Validity ran out: deleted");
        crate::feature::notify::simple(
            cx,
            &home,
            None,
            imps_csp::model::v13::NotificationRequest {
                notification_type: Some("GD".into()),
                group_id: Some(group.clone()),
                ..Default::default()
            },
        );
    }
}

/// Removes `group` from its home account's memory (the caller saves, unless the account
/// went too): its place in the server's count and its entry in the shard's expiry set go with
/// it, and its joined sessions but `except` are told it is gone (`why`).
pub(crate) fn remove_group(
    cx: &mut Cx<'_>,
    (home, group): (&str, &str),
    why: &str,
    except: Option<&str>,
) {
    let Some(g) = cx
        .st
        .users
        .get_mut(home)
        .and_then(|u| u.groups.remove(group))
    else {
        return;
    };
    cx.groups.release(1);
    if let Some(at) = g.rec.expires {
        cx.st
            .group_expiries
            .remove(&(at, home.to_owned(), group.to_owned()));
    }
    let joined = g
        .joined
        .into_iter()
        .filter(|(sid, _)| Some(sid.as_str()) != except)
        .map(|(sid, j)| (sid, j.version))
        .collect();
    gone(cx, group, joined, why);
}

/// The sessions `joined` to `group` are told it is gone: an unsolicited LeaveGroup-Response
/// (800, with `why` as its description), and their shards forget they joined it.
pub(crate) fn gone(cx: &mut Cx<'_>, group: &str, joined: Vec<(String, CspVersion)>, why: &str) {
    for (sid, version) in joined {
        let mut result = CspResult::new(StatusCode::GROUP_DOES_NOT_EXIST);
        result.description = Some(why.into());
        let p = Primitive::from(LeaveGroupResponse {
            group_id: Some(group.to_owned()),
            result: Some(result),
        });
        tell(cx, sid, version, p, Some(group));
    }
}

/// Session `sid` leaves the group (LeaveGroup, or its session ended); those who asked are
/// told, and a group with AutoDelete goes when its last user left.
pub(super) fn leave(cx: &mut Cx<'_>, home: &str, group: &str, sid: &str) {
    let Some(g) = get(cx, home, group) else {
        return;
    };
    let Some(j) = g.joined.remove(sid) else {
        return;
    };
    let notices = watchers(g, sid);
    let auto_delete = g.joined.is_empty() && g.flag("AutoDelete");
    for (to, version) in notices {
        let users = UserList {
            screen_name: vec![ScreenName {
                sname: j.sname.clone(),
                group_id: group.to_owned(),
            }],
            ..Default::default()
        };
        let notice = GroupChangeNotice {
            group_id: group.to_owned(),
            left: Some(Left::for_version(version, users)),
            ..Default::default()
        };
        tell_about(cx, to, version, Primitive::from(notice), &j.user);
    }
    if auto_delete {
        remove_group(cx, (home, group), "Group deleted", None);
        save(cx, home, group);
        tracing::info!(group = %group, "last user left: group deleted (AutoDelete)");
    }
}

pub(super) fn delete(cx: &mut Cx<'_>, home: &str, group: &str, from: &Requester) -> Done {
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let was_joined = g.joined.contains_key(&from.sid);
    remove_group(cx, (home, group), "Group deleted", Some(&from.sid));
    save(cx, home, group);
    tracing::info!(group = %group, by = %from.user, "group deleted");
    // The home account's other sessions that asked are told.
    crate::feature::notify::simple(
        cx,
        home,
        Some(&from.sid),
        imps_csp::model::v13::NotificationRequest {
            notification_type: Some("GD".into()),
            group_id: Some(group.to_owned()),
            ..Default::default()
        },
    );
    Done {
        answer: GroupResult::Answer(Box::new(status(StatusCode::SUCCESS))),
        joined: was_joined.then_some(false),
    }
}

pub(super) fn set_props(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    r: imps_csp::model::group::SetGroupPropsRequest,
) -> Done {
    let now = cx.now;
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    // Own properties: AutoJoin and PrivateMessaging are the ones a user sets (IsMember and
    // PrivilegeLevel are the group's to say, and ignored when sent back). AutoJoin is kept by
    // the user's own shard, which applies it once this answer says the request holds;
    // PrivateMessaging belongs to the joined session.
    let (auto_join, private) = match (own_flag(&r, "AutoJoin"), own_flag(&r, "PrivateMessaging")) {
        (Ok(a), Ok(p)) => (a, p),
        (Err(code), _) | (_, Err(code)) => return Done::code(code),
    };
    if auto_join == Some(true) {
        // Only a user who may join the group marks it to join at login.
        if g.rec.rejected.contains(&from.user) {
            return Done::code(StatusCode::REJECTED_FROM_GROUP);
        }
        if g.restricted() && g.access(&from.user).is_none() {
            return Done::code(StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP);
        }
    }
    if private.is_some() && !g.joined.contains_key(&from.sid) {
        return Done::code(StatusCode::NOT_JOINED);
    }
    let set_private = |g: &mut GroupState| {
        if let (Some(on), Some(j)) = (private, g.joined.get_mut(&from.sid)) {
            j.no_private = !on;
        }
    };
    let Some(props) = r.group_properties else {
        set_private(g);
        return Done::code(StatusCode::SUCCESS);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let (changes, welcome) = match crate::group::checked(&props) {
        Ok(x) => x,
        Err(code) => return Done::code(code),
    };
    let before = g.rec.clone();
    g.apply(changes, welcome, now);
    if !g.findable() {
        g.rec = before;
        return Done::code(StatusCode::SEARCHABLE_GROUP_NEEDS_NAME);
    }
    set_private(g);
    let shown = g.properties();
    let notices = watchers(g, &from.sid);
    if let Some(old) = before.expires.filter(|&at| g.rec.expires != Some(at)) {
        // The old time goes from the shard's expiry set (save puts the new one in): a client
        // changing Validity again and again does not grow it.
        cx.st
            .group_expiries
            .remove(&(old, home.to_owned(), group.to_owned()));
    }
    save(cx, home, group);
    for (sid, version) in notices {
        let notice = GroupChangeNotice {
            group_id: group.to_owned(),
            group_properties: Some(shown.clone()),
            ..Default::default()
        };
        tell(cx, sid, version, Primitive::from(notice), None);
    }
    Done::code(StatusCode::SUCCESS)
}
