//! A group's owner: requests about a group, applied on the shard of its home account.

use super::*;

/// What the owner's handling of one call produced.
pub(super) struct Done {
    pub(super) answer: GroupResult,
    pub(super) joined: Option<bool>,
}

impl Done {
    pub(super) fn code(code: StatusCode) -> Done {
        Done {
            answer: GroupResult::Answer(Box::new(status(code))),
            joined: None,
        }
    }

    pub(super) fn prim(p: Primitive) -> Done {
        Done {
            answer: GroupResult::Answer(Box::new(p)),
            joined: None,
        }
    }
}

/// [`Event::Group`] on the group's owner.
pub(crate) fn apply(
    cx: &mut Cx<'_>,
    reply: Option<OpRef>,
    index: usize,
    group: String,
    home: String,
    from: Requester,
    call: GroupCall,
) {
    let p = match call {
        GroupCall::Gone => {
            leave(cx, &home, &group, &from.sid);
            return;
        }
        GroupCall::Request(p) => *p,
    };
    let out = if !cx.st.users.contains_key(&home) {
        Done::code(StatusCode::GROUP_DOES_NOT_EXIST)
    } else {
        match p {
            Primitive::CreateGroupRequest(r) => create(cx, &home, &group, &from, r),
            Primitive::ExtendConversationRequest(r) => {
                extend_here(cx, (&home, &group), &from, (reply, index), r)
            }
            Primitive::SendMessageRequest(r) => {
                fan_out(cx, &home, &group, &from, (reply, index), r)
            }
            p => match cx
                .st
                .users
                .get(&home)
                .is_some_and(|u| u.groups.contains_key(&group))
            {
                false => Done::code(StatusCode::GROUP_DOES_NOT_EXIST),
                true => on_group(cx, &home, &group, &from, p),
            },
        }
    };
    if let Some(op) = reply {
        cx.route(Event::GroupDone {
            op,
            index,
            sid: from.sid,
            version: from.version,
            group,
            joined: out.joined,
            result: out.answer,
        });
    }
}

/// The group (known to exist: the caller checked).
pub(super) fn get<'c>(cx: &'c mut Cx<'_>, home: &str, group: &str) -> Option<&'c mut GroupState> {
    cx.st.users.get_mut(home)?.groups.get_mut(group)
}

/// Saves `group` of `home` as it is now (its own document: a change costs what that group
/// holds, not all of the account's groups), or deletes it when it is gone.
pub(super) fn save(cx: &mut Cx<'_>, home: &str, group: &str) {
    let Some(u) = cx.st.users.get(home) else {
        return;
    };
    let kind = crate::group::document_kind(group);
    match u.groups.get(group) {
        Some(g) => {
            if let Some(at) = g.rec.expires {
                cx.st
                    .group_expiries
                    .insert((at, home.to_owned(), group.to_owned()));
            }
            if let Some(body) = crate::group::encode(&g.rec) {
                cx.writes.push(Write::PutDocument(UserDocument {
                    user: home.to_owned(),
                    kind,
                    body,
                }));
            }
        }
        None => cx.writes.push(Write::DeleteDocument(home.to_owned(), kind)),
    }
    // What of the groups is searchable follows (Searchable, Name, Topic, a group deleted).
    crate::feature::search::save_terms(cx, home);
}

/// Requests about an existing group.
pub(super) fn on_group(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    p: Primitive,
) -> Done {
    match p {
        Primitive::DeleteGroupRequest(_) => delete(cx, home, group, from),
        Primitive::JoinGroupRequest(r) => {
            let sname = r.screen_name.map(|s| s.sname);
            let notify = r.subscribe_notification == Some(true);
            match join(cx, home, group, from, sname, notify) {
                Err(code) => Done::code(code),
                Ok(sname) => {
                    let Some(g) = get(cx, home, group) else {
                        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
                    };
                    let users = (r.joined_request == Some(true))
                        .then(|| UserMapList::from_mappings(mappings(g, from, |_| true)));
                    let resp = JoinGroupResponse::for_version(
                        from.version,
                        group,
                        users,
                        Some(ScreenName {
                            sname,
                            group_id: group.to_owned(),
                        }),
                        g.welcome_note(),
                    );
                    Done {
                        answer: GroupResult::Answer(Box::new(Primitive::from(resp))),
                        joined: Some(true),
                    }
                }
            }
        }
        Primitive::LeaveGroupRequest(_) => {
            let joined = get(cx, home, group).is_some_and(|g| g.joined.contains_key(&from.sid));
            if !joined {
                return Done::code(StatusCode::NOT_JOINED);
            }
            leave(cx, home, group, &from.sid);
            Done {
                answer: GroupResult::Answer(Box::new(Primitive::from(LeaveGroupResponse {
                    group_id: Some(group.to_owned()),
                    result: Some(CspResult::new(StatusCode::SUCCESS)),
                }))),
                joined: Some(false),
            }
        }
        Primitive::GetGroupPropsRequest(_) => {
            let Some(g) = get(cx, home, group) else {
                return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
            };
            if g.restricted() && g.access(&from.user).is_none() {
                return Done::code(StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP);
            }
            Done::prim(Primitive::from(GetGroupPropsResponse {
                group_properties: Some(g.properties()),
                own_properties: Some(own_properties(g, &from.user, g.joined.get(&from.sid))),
            }))
        }
        Primitive::SetGroupPropsRequest(r) => set_props(cx, home, group, from, r),
        Primitive::GetJoinedUsersRequest(_) => {
            let Some(g) = get(cx, home, group) else {
                return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
            };
            let admin = g.at_least(&from.user, Access::Admin);
            if !g.joined.contains_key(&from.sid) && !admin {
                return Done::code(StatusCode::NOT_JOINED);
            }
            let resp = if admin {
                let level =
                    |l: Access| mappings(g, from, |u| g.access(u).unwrap_or(Access::User) == l);
                let (a, m, u) = (
                    level(Access::Admin),
                    level(Access::Mod),
                    level(Access::User),
                );
                GetJoinedUsersResponse {
                    admin_map_list: Some(AdminMapList {
                        admin_mapping: (!a.is_empty()).then_some(AdminMapping { mapping: a }),
                        mod_mapping: (!m.is_empty()).then_some(ModMapping { mapping: m }),
                        user_mapping: (!u.is_empty()).then_some(UserMapping { mapping: u }),
                    }),
                    ..Default::default()
                }
            } else {
                GetJoinedUsersResponse {
                    user_map_list: Some(UserMapList::from_mappings(mappings(g, from, |_| true))),
                    ..Default::default()
                }
            };
            // Whom each screen name is, for the requester's shard only (1.3 JoinedBlocked).
            let about = g
                .joined
                .values()
                .map(|j| (j.sname.clone(), j.user.clone()))
                .collect();
            Done {
                answer: GroupResult::Joined {
                    answer: Box::new(Primitive::from(resp)),
                    about,
                },
                joined: None,
            }
        }
        Primitive::GetGroupMembersRequest(_) => {
            let Some(g) = get(cx, home, group) else {
                return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
            };
            if !g.at_least(&from.user, Access::Mod) {
                return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
            }
            let list = |l: Access| UserList {
                user: g
                    .rec
                    .members
                    .iter()
                    .filter(|(_, a)| **a == l)
                    .map(|(u, _)| User::new(u))
                    .collect(),
                screen_name: Vec::new(),
            };
            let (admins, mods, users) =
                (list(Access::Admin), list(Access::Mod), list(Access::User));
            let mut resp = GetGroupMembersResponse {
                admin: (!admins.user.is_empty()).then_some(Admin { user_list: admins }),
                moderator: (!mods.user.is_empty()).then_some(Mod { user_list: mods }),
                ..Default::default()
            };
            if !users.user.is_empty() {
                if from.version >= CspVersion::V1_3 {
                    resp.user_list = Some(users);
                } else {
                    resp.users = Some(Users { user_list: users });
                }
            }
            Done::prim(Primitive::from(resp))
        }
        Primitive::SubscribeGroupNoticeRequest(r) => {
            let Some(g) = get(cx, home, group) else {
                return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
            };
            let Some(j) = g.joined.get_mut(&from.sid) else {
                return Done::code(StatusCode::NOT_JOINED);
            };
            match r.subscribe_type.trim() {
                t if t.eq_ignore_ascii_case("G") => {
                    Done::prim(Primitive::from(SubscribeGroupNoticeResponse {
                        value: Some(j.notify),
                    }))
                }
                t if t.eq_ignore_ascii_case("S") => {
                    j.notify = true;
                    Done::code(StatusCode::SUCCESS)
                }
                t if t.eq_ignore_ascii_case("U") => {
                    j.notify = false;
                    Done::code(StatusCode::SUCCESS)
                }
                _ => Done::code(StatusCode::BAD_PARAMETER),
            }
        }
        Primitive::AddGroupMembersRequest(r) => {
            let named = (r.user_list.as_ref(), r.user_id_list.as_ref());
            change_members(cx, (home, group), from, named, true)
        }
        Primitive::RemoveGroupMembersRequest(r) => {
            let named = (r.user_list.as_ref(), r.user_id_list.as_ref());
            change_members(cx, (home, group), from, named, false)
        }
        Primitive::MemberAccessRequest(r) => member_access(cx, (home, group), from, r),
        Primitive::RejectListRequest(r) => reject_list(cx, (home, group), from, r),
        other => {
            tracing::debug!(primitive = other.name(), "group primitive not implemented");
            Done::code(StatusCode::NOT_IMPLEMENTED)
        }
    }
}

/// `user`'s own properties in the group (`joined`: its joined session, if the request came
/// from one). AutoJoin is the user's own shard's to fill in (it keeps it: [`auto_join`]).
pub(super) fn own_properties(g: &GroupState, user: &str, joined: Option<&Joiner>) -> OwnProperties {
    let mut own = OwnProperties::default();
    let access = g.access(user);
    own.set("IsMember", if access.is_some() { "T" } else { "F" });
    own.set("PrivilegeLevel", access.unwrap_or(Access::User).name());
    let private = !joined.is_some_and(|j| j.no_private);
    own.set("PrivateMessaging", if private { "T" } else { "F" });
    own
}

/// The joined sessions' screen names (and user ids where the group shows them, or to an
/// administrator), for those whose user passes `keep`, one per screen name.
pub(super) fn mappings(
    g: &GroupState,
    from: &Requester,
    keep: impl Fn(&str) -> bool,
) -> Vec<Mapping> {
    let ids = g.flag("ShowID") || g.at_least(&from.user, Access::Admin);
    g.joined
        .values()
        .filter(|j| keep(&j.user))
        .map(|j| Mapping {
            sname: j.sname.clone(),
            user_id: ids.then(|| j.user.clone()),
        })
        .collect()
}
