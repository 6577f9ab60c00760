//! Groups (csp-reference.md §3.5): CreateGroup, DeleteGroup, Get/SetGroupProps, JoinGroup,
//! LeaveGroup (and the unsolicited LeaveGroup-Response), GetJoinedUsers, GetGroupMembers,
//! SubscribeGroupNotice and GroupChangeNotice, and messages to a group or to one screen name
//! in it.
//!
//! A group request runs in two places: the requesting session's shard sends it to the
//! group's owner (the shard of its home account, [`crate::group::home_of`]) as
//! [`Event::Group`]; the owner answers with [`Event::GroupDone`], and notifies joined sessions
//! with [`Event::ToSession`]. A message to a group is fanned out by the owner: a copy per
//! joined user goes to that user's owner ([`Event::Deliver`]), whose answers go straight to
//! the sender's parked SendMessage.

use imps_csp::codec::ContentData;
use imps_csp::model::common::{CspResult, Group};
use imps_csp::model::common::{Recipient, ScreenName, Sender, User, UserList};
use imps_csp::model::group::{
    Admin, AdminMapList, AdminMapping, GetGroupMembersResponse, GetGroupPropsResponse,
    GetJoinedUsersResponse, GroupChangeNotice, JoinGroupResponse, Joined, LeaveGroupResponse, Left,
    Mapping, Mod, ModMapping, OwnProperties, RejectListResponse, SubscribeGroupNoticeResponse,
    UserIdList, UserMapList, UserMapping, Users,
};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::{Address, CspVersion, Primitive, StatusCode};

use crate::engine::{fail, status, Cx, Reply};
use crate::group::{Access, GroupState, Joiner};
use crate::route::{Event, Op, OpRef};
use crate::state::{About, Queued};
use crate::store::{UserDocument, Write};

/// Who sent a group request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requester {
    /// Its session.
    pub sid: String,
    /// The session's user.
    pub user: String,
    /// The session's CSP version (the answer is built in it).
    pub version: CspVersion,
}

/// What a group's owner is asked to do.
#[derive(Clone, Debug)]
pub(crate) enum GroupCall {
    /// A request primitive about the group (a SendMessage-Request: a message to it).
    Request(Box<Primitive>),
    /// The session ended: it leaves the group (no answer).
    Gone,
}

/// The owner's answer to a [`GroupCall`].
#[derive(Clone, Debug)]
pub(crate) enum GroupResult {
    /// The primitive to answer the request with.
    Answer(Box<Primitive>),
    /// A message to the group went out as `copies` copies (their owners answer the sender's
    /// request themselves), all with MessageID `message_id`; or it was refused.
    Fanout {
        /// Copies sent to recipients' owners.
        copies: usize,
        /// The MessageID the copies carry.
        message_id: String,
        /// Why nothing was sent, if nothing was.
        refused: Option<StatusCode>,
    },
}

/// Index of the first copy of a group message in its SendMessage's replies (the recipients
/// named directly come first); each group of one request gets [`GROUP_SPAN`] indices.
pub(crate) const GROUP_COPY: usize = 1 << 40;
/// Indices of one group's copies.
pub(crate) const GROUP_SPAN: usize = 1 << 24;

/// A group request waiting for the group's owner.
pub(crate) struct GroupOp {
    /// 1 until the owner answered.
    pub waiting: usize,
    answer: Option<Box<Primitive>>,
}

impl GroupOp {
    /// The owner's answer.
    pub(crate) fn record(&mut self, p: Primitive) {
        self.answer = Some(Box::new(p));
        self.waiting = 0;
    }

    /// The answer to send.
    pub(crate) fn answer(self) -> Option<Primitive> {
        self.answer.map(|p| *p)
    }
}

/// The GroupID a group request names.
fn group_id_of(p: &Primitive) -> Option<&str> {
    Some(match p {
        Primitive::CreateGroupRequest(r) => &r.group_id,
        Primitive::DeleteGroupRequest(r) => &r.group_id,
        Primitive::JoinGroupRequest(r) => &r.group_id,
        Primitive::LeaveGroupRequest(r) => &r.group_id,
        Primitive::GetGroupPropsRequest(r) => &r.group_id,
        Primitive::SetGroupPropsRequest(r) => &r.group_id,
        Primitive::GetJoinedUsersRequest(r) => &r.group_id,
        Primitive::GetGroupMembersRequest(r) => &r.group_id,
        Primitive::SubscribeGroupNoticeRequest(r) => &r.group_id,
        Primitive::AddGroupMembersRequest(r) => &r.group_id,
        Primitive::RemoveGroupMembersRequest(r) => &r.group_id,
        Primitive::MemberAccessRequest(r) => &r.group_id,
        Primitive::RejectListRequest(r) => &r.group_id,
        _ => return None,
    })
}

/// A group id as given, normalised, with its home account.
pub(crate) fn locate(cx: &Cx<'_>, given: &str) -> Option<(String, String)> {
    let a = Address::parse_with_domain(given, &cx.cfg.default_domain).ok()?;
    let home = crate::group::home_of(&a)?;
    Some((a.to_string(), home))
}

/// A group request of a session: sent to the group's owner, answered when it replies.
pub(crate) fn request(cx: &mut Cx<'_>, sid: &str, p: Primitive) -> Reply {
    let create = matches!(p, Primitive::CreateGroupRequest(_));
    let Some(given) = group_id_of(&p) else {
        return fail(StatusCode::BAD_REQUEST);
    };
    let Some((group, home)) = locate(cx, given) else {
        return fail(if create {
            StatusCode::BAD_PARAMETER
        } else {
            StatusCode::GROUP_DOES_NOT_EXIST
        });
    };
    let user = cx.user_of(sid);
    if create && home != user {
        // A user creates groups under its own address only (`wv:alice/<name>@domain`).
        return fail(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let joins = match &p {
        Primitive::JoinGroupRequest(_) => true,
        Primitive::CreateGroupRequest(r) => r.join_group == Some(true),
        _ => false,
    };
    if joins {
        let joined = cx.st.sessions.get(sid).map_or(0, |s| s.groups.len());
        if joined >= cx.cfg.max_joined_groups && !session_in(cx, sid, &group) {
            return fail(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    cx.route(Event::Group {
        reply: Some(op),
        index: 0,
        group,
        home,
        from: requester(cx, sid),
        call: GroupCall::Request(Box::new(p)),
    });
    Reply::Later(Op::Group(GroupOp {
        waiting: 1,
        answer: None,
    }))
}

fn session_in(cx: &Cx<'_>, sid: &str, group: &str) -> bool {
    cx.st
        .sessions
        .get(sid)
        .is_some_and(|s| s.groups.contains(group))
}

/// The requester of a call from session `sid`.
pub(crate) fn requester(cx: &Cx<'_>, sid: &str) -> Requester {
    Requester {
        sid: sid.to_owned(),
        user: cx.user_of(sid),
        version: cx.version_of(sid),
    }
}

/// A message to group `g` of a SendMessage-Request: sent to the group's owner, which fans it
/// out. `Err` with the code to report when the group cannot be named.
pub(crate) fn send_to(
    cx: &mut Cx<'_>,
    sid: &str,
    (op, index): (OpRef, usize),
    g: &Group,
    (info, content): (&MessageInfo, Option<&ContentData>),
) -> Result<(), (StatusCode, String)> {
    let given = g
        .group_id
        .clone()
        .or_else(|| g.screen_name.as_ref().map(|s| s.group_id.clone()))
        .unwrap_or_default();
    let Some((group, home)) = locate(cx, &given) else {
        return Err((StatusCode::GROUP_DOES_NOT_EXIST, given));
    };
    // The owner sees only this group among the recipients.
    let mut one = SendMessageRequest {
        delivery_report: Some(false),
        message_info: info.clone(),
        content_data: content.cloned(),
    };
    one.message_info.recipient = Some(Recipient {
        group: vec![g.clone()],
        ..Default::default()
    });
    cx.route(Event::Group {
        reply: Some(op),
        index,
        group,
        home,
        from: requester(cx, sid),
        call: GroupCall::Request(Box::new(Primitive::SendMessageRequest(one))),
    });
    Ok(())
}

/// A session ended: it leaves every group it joined.
pub(crate) fn session_ended(
    cx: &mut Cx<'_>,
    sid: &str,
    user: &str,
    version: CspVersion,
    groups: Vec<String>,
) {
    for group in groups {
        let Some((group, home)) = locate(cx, &group) else {
            continue;
        };
        cx.route(Event::Group {
            reply: None,
            index: 0,
            group,
            home,
            from: Requester {
                sid: sid.to_owned(),
                user: user.to_owned(),
                version,
            },
            call: GroupCall::Gone,
        });
    }
}

/// [`Event::GroupDone`] on the requester's shard: the session's joined groups follow, and the
/// parked request takes the answer.
pub(crate) fn done(
    cx: &mut Cx<'_>,
    op: OpRef,
    index: usize,
    sid: &str,
    group: &str,
    joined: Option<bool>,
    (version, result): (CspVersion, GroupResult),
) {
    match (joined, cx.st.sessions.get_mut(sid)) {
        (Some(true), Some(s)) => {
            s.groups.insert(group.to_owned());
        }
        (Some(false), Some(s)) => {
            s.groups.remove(group);
        }
        (Some(true), None) => {
            // The session ended while its join was on the way: it leaves at once (it would
            // otherwise stay joined with nobody to leave for it).
            session_ended(cx, sid, "", version, vec![group.to_owned()]);
        }
        _ => {}
    }
    crate::route::reply(cx, op, index, |waiting| match (waiting, result) {
        (Op::Group(g), GroupResult::Answer(p)) => g.record(*p),
        (
            Op::Send(s),
            GroupResult::Fanout {
                copies,
                message_id,
                refused,
            },
        ) => s.fanned_out(group, copies, message_id, refused),
        (Op::Send(s), GroupResult::Answer(p)) => {
            let code = match *p {
                Primitive::Status(st) => st.result.code,
                _ => StatusCode::INTERNAL_ERROR,
            };
            s.fanned_out(group, 0, String::new(), Some(code));
        }
        _ => {}
    });
}

/// [`Event::ToSession`] on the session's shard: a server request queued for it (a group it
/// was made to leave is no longer among its groups).
pub(crate) fn to_session(cx: &mut Cx<'_>, sid: &str, primitive: Primitive, left: Option<&str>) {
    if let (Some(g), Some(s)) = (left, cx.st.sessions.get_mut(sid)) {
        s.groups.remove(g);
    }
    cx.queue(
        sid,
        Queued {
            primitive: Some(Box::new(primitive)),
            about: About::Other,
        },
    );
}

/// What the owner's handling of one call produced.
struct Done {
    answer: GroupResult,
    joined: Option<bool>,
}

impl Done {
    fn code(code: StatusCode) -> Done {
        Done {
            answer: GroupResult::Answer(Box::new(status(code))),
            joined: None,
        }
    }

    fn prim(p: Primitive) -> Done {
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
fn get<'c>(cx: &'c mut Cx<'_>, home: &str, group: &str) -> Option<&'c mut GroupState> {
    cx.st.users.get_mut(home)?.groups.get_mut(group)
}

/// Saves the groups of `home`.
fn save(cx: &mut Cx<'_>, home: &str) {
    let Some(u) = cx.st.users.get(home) else {
        return;
    };
    if let Some(body) = crate::group::encode(&u.groups) {
        cx.writes.push(Write::PutDocument(UserDocument {
            user: home.to_owned(),
            kind: crate::group::GROUPS_DOCUMENT.into(),
            body,
        }));
    }
}

fn create(
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
    g.apply(props, welcome);
    if let Some(u) = cx.st.users.get_mut(home) {
        u.groups.insert(group.to_owned(), g);
    }
    save(cx, home);
    tracing::info!(group = %group, owner = %home, "group created");
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

/// Requests about an existing group.
fn on_group(cx: &mut Cx<'_>, home: &str, group: &str, from: &Requester, p: Primitive) -> Done {
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
                own_properties: Some(own_properties(g, &from.user)),
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
            Done::prim(Primitive::from(resp))
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

/// The users a request names (user ids normalised; screen names of joined users resolved);
/// 402 for a name that is no address, 808 for a screen name nobody joined under.
fn named_users(
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
fn change_members(
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
    if add {
        let new = users
            .iter()
            .filter(|u| !g.rec.members.contains_key(*u))
            .count();
        if g.rec.members.len() + new > max {
            return Done::code(StatusCode::BAD_PARAMETER);
        }
        for u in &users {
            g.rec.members.entry(u.clone()).or_insert(Access::User);
        }
    } else {
        for u in &users {
            g.rec.members.remove(u);
        }
    }
    save(cx, home);
    if !add && restricted {
        for u in &users {
            kick(cx, (home, group), u, StatusCode::NOT_GROUP_MEMBER);
        }
    }
    Done::code(StatusCode::SUCCESS)
}

/// MemberAccess: an administrator sets members' privilege levels (the users named become
/// members); the home account stays an administrator.
fn member_access(
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
    for (u, l) in levels {
        g.rec.members.insert(u, l);
    }
    save(cx, home);
    Done::code(StatusCode::SUCCESS)
}

/// RejectList: administrators and moderators ban and unban users (a banned user's sessions
/// are made to leave, 809), and every requester may see who is banned.
fn reject_list(
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
        save(cx, home);
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
fn kick(cx: &mut Cx<'_>, (home, group): (&str, &str), user: &str, code: StatusCode) {
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

/// The requester's own properties in the group.
fn own_properties(g: &GroupState, user: &str) -> OwnProperties {
    let mut own = OwnProperties::default();
    let access = g.access(user);
    own.set("IsMember", if access.is_some() { "T" } else { "F" });
    own.set("PrivilegeLevel", access.unwrap_or(Access::User).name());
    own
}

/// The joined sessions' screen names (and user ids where the group shows them, or to an
/// administrator), for those whose user passes `keep`, one per screen name.
fn mappings(g: &GroupState, from: &Requester, keep: impl Fn(&str) -> bool) -> Vec<Mapping> {
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

/// Joins session `from.sid` under `sname` (or a screen name made from its user id); returns
/// the screen name. Joined sessions that asked for notices are told.
fn join(
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
        tell(cx, sid, version, Primitive::from(notice), None);
    }
    tracing::debug!(group = %group, user = %from.user, "joined");
    Ok(sname)
}

/// The joined sessions that asked for notices, but `except`.
fn watchers(g: &GroupState, except: &str) -> Vec<(String, CspVersion)> {
    g.joined
        .iter()
        .filter(|(sid, j)| j.notify && sid.as_str() != except)
        .map(|(sid, j)| (sid.clone(), j.version))
        .collect()
}

/// Queues `p` for session `sid` (on its shard).
fn tell(cx: &mut Cx<'_>, sid: String, version: CspVersion, p: Primitive, left: Option<&str>) {
    cx.route(Event::ToSession {
        sid,
        version,
        primitive: Box::new(p),
        left: left.map(str::to_owned),
    });
}

/// Session `sid` leaves the group (LeaveGroup, or its session ended); those who asked are
/// told, and a group with AutoDelete goes when its last user left.
fn leave(cx: &mut Cx<'_>, home: &str, group: &str, sid: &str) {
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
        tell(cx, to, version, Primitive::from(notice), None);
    }
    if auto_delete {
        if let Some(u) = cx.st.users.get_mut(home) {
            u.groups.remove(group);
        }
        save(cx, home);
        tracing::info!(group = %group, "last user left: group deleted (AutoDelete)");
    }
}

fn delete(cx: &mut Cx<'_>, home: &str, group: &str, from: &Requester) -> Done {
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let joined: Vec<(String, CspVersion)> = g
        .joined
        .iter()
        .filter(|(sid, _)| **sid != from.sid)
        .map(|(sid, j)| (sid.clone(), j.version))
        .collect();
    let was_joined = g.joined.contains_key(&from.sid);
    if let Some(u) = cx.st.users.get_mut(home) {
        u.groups.remove(group);
    }
    save(cx, home);
    for (sid, version) in joined {
        // Unsolicited: the group is gone.
        let mut result = CspResult::new(StatusCode::GROUP_DOES_NOT_EXIST);
        result.description = Some("Group deleted".into());
        let p = Primitive::from(LeaveGroupResponse {
            group_id: Some(group.to_owned()),
            result: Some(result),
        });
        tell(cx, sid, version, p, Some(group));
    }
    tracing::info!(group = %group, by = %from.user, "group deleted");
    Done {
        answer: GroupResult::Answer(Box::new(status(StatusCode::SUCCESS))),
        joined: was_joined.then_some(false),
    }
}

fn set_props(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    r: imps_csp::model::group::SetGroupPropsRequest,
) -> Done {
    let Some(g) = get(cx, home, group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let Some(props) = r.group_properties else {
        // Own properties only: the server keeps none a client may set (IsMember and
        // PrivilegeLevel are the group's).
        return Done::code(StatusCode::SUCCESS);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let (changes, welcome) = match crate::group::checked(&props) {
        Ok(x) => x,
        Err(code) => return Done::code(code),
    };
    g.apply(changes, welcome);
    let shown = g.properties();
    let notices = watchers(g, &from.sid);
    save(cx, home);
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

/// A message to the group, or to one screen name in it (private): a copy for each joined
/// user but the sender, shown as from the sender's screen name.
fn fan_out(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    (reply, index): (Option<OpRef>, usize),
    r: SendMessageRequest,
) -> Done {
    let refuse = |code: StatusCode| Done {
        answer: GroupResult::Fanout {
            copies: 0,
            message_id: String::new(),
            refused: Some(code),
        },
        joined: None,
    };
    let Some(g) = get(cx, home, group) else {
        return refuse(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let Some(me) = g.joined.get(&from.sid) else {
        return refuse(StatusCode::NOT_JOINED);
    };
    let target = r
        .message_info
        .recipient
        .as_ref()
        .and_then(|rc| rc.group.first())
        .and_then(|gr| gr.screen_name.as_ref())
        .map(|s| s.sname.clone());
    let private = target.is_some();
    if private && !g.flag("PrivateMessaging") {
        return refuse(StatusCode::PRIVATE_MESSAGING_DISABLED_GROUP);
    }
    let mut users: Vec<String> = Vec::new();
    match &target {
        Some(t) => match g.by_sname(t) {
            Some((_, j)) => users.push(j.user.clone()),
            None => return refuse(StatusCode::UNKNOWN_USER),
        },
        None => {
            for j in g.joined.values() {
                if j.user != from.user && !users.contains(&j.user) {
                    users.push(j.user.clone());
                }
            }
        }
    }
    let sender = Sender {
        user: None,
        group: Some(Group {
            group_id: None,
            screen_name: Some(ScreenName {
                sname: me.sname.clone(),
                group_id: group.to_owned(),
            }),
        }),
    };
    let recipient = Recipient {
        group: vec![match &target {
            Some(t) => Group {
                group_id: None,
                screen_name: Some(ScreenName {
                    sname: t.clone(),
                    group_id: group.to_owned(),
                }),
            },
            None => Group {
                group_id: Some(group.to_owned()),
                screen_name: None,
            },
        }],
        ..Default::default()
    };
    let Some(reply) = reply else {
        return refuse(StatusCode::INTERNAL_ERROR);
    };
    let len = crate::feature::im::content_len(r.content_data.as_ref());
    if len.saturating_mul(users.len()) > cx.cfg.max_fanout_bytes || users.len() >= GROUP_SPAN {
        return refuse(StatusCode::BAD_PARAMETER);
    }
    let message_id = cx.st.rng.hex(12);
    let mut copies = 0;
    for (i, user) in users.into_iter().enumerate() {
        let addressing = crate::feature::im::Addressing {
            sender: sender.clone(),
            recipient: recipient.clone(),
            message_id: message_id.clone(),
        };
        let Some(stored) = crate::feature::im::copy_addressed(
            cx,
            &from.user,
            &user,
            &r.message_info,
            r.content_data.as_ref(),
            false,
            addressing,
        ) else {
            continue;
        };
        copies += 1;
        cx.route(Event::Deliver {
            op: reply,
            index: index + i + 1,
            content_type: crate::feature::im::content_type(&r.message_info),
            len,
            stored: Box::new(stored),
        });
    }
    Done {
        answer: GroupResult::Fanout {
            copies,
            message_id,
            refused: None,
        },
        joined: None,
    }
}
