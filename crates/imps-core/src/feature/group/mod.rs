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

mod conversation;
mod fanout;
mod lifecycle;
mod members;
mod owner;

pub(crate) use conversation::extend;
use conversation::*;
use fanout::*;
use lifecycle::*;
pub(crate) use lifecycle::{expire, gone, remove_group};
use members::*;
pub(crate) use owner::apply;
use owner::*;

/// Who sent a group request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requester {
    /// Its session.
    pub sid: String,
    /// The session's user.
    pub user: String,
    /// The session's CSP version (the answer is built in it).
    pub version: CspVersion,
    /// For a JoinGroup: who invited the user to the group (valid invitations it holds,
    /// answered or not), for a group with RequireInvitation.
    pub invited_by: Vec<String>,
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
    /// A GetJoinedUsers-Response, with who each screen name is (never shown to the client: the
    /// requester's shard moves those its user blocks to JoinedBlocked, 1.3).
    Joined {
        /// The answer.
        answer: Box<Primitive>,
        /// (screen name, user id) of each joined session.
        about: Vec<(String, String)>,
    },
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
    /// A SetGroupProps setting the requester's own AutoJoin: applied on the requester's
    /// shard (which keeps it) when the owner says the request holds.
    auto_join: Option<bool>,
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

/// The most groups a user marks to join at login (own property AutoJoin; 402 beyond).
const MAX_AUTO_JOIN: usize = 64;

/// The kind of the document holding the groups a user joins at login.
pub(crate) const AUTO_JOIN_DOCUMENT: &str = "autojoin";

/// The own property `name` (T/F) a SetGroupProps sets, if any (`Err`: another value, 806).
pub(super) fn own_flag(
    r: &imps_csp::model::group::SetGroupPropsRequest,
    name: &str,
) -> Result<Option<bool>, StatusCode> {
    match r.own_properties.as_ref().and_then(|o| o.get(name)) {
        None => Ok(None),
        Some(v) if v.trim().eq_ignore_ascii_case("T") => Ok(Some(true)),
        Some(v) if v.trim().eq_ignore_ascii_case("F") => Ok(Some(false)),
        Some(_) => Err(StatusCode::INVALID_GROUP_PROPERTIES),
    }
}

/// Marks (or unmarks) `group` as one `user` joins at login, durably (its search terms
/// follow: GROUP_USER_ID_AUTOJOIN).
fn set_auto_join(cx: &mut Cx<'_>, user: &str, group: &str, on: bool) {
    let Some(u) = cx.st.users.get_mut(user) else {
        return;
    };
    let changed = if on {
        u.auto_join.insert(group.to_owned())
    } else {
        u.auto_join.remove(group)
    };
    if !changed {
        return;
    }
    cx.writes
        .extend(Write::json_document(user, AUTO_JOIN_DOCUMENT, &u.auto_join));
    crate::feature::search::save_terms(cx, user);
}

/// Fills in the own property AutoJoin (which the user's shard keeps) in an answer or notice
/// about `group` for `user`.
fn fill_auto_join(cx: &Cx<'_>, user: &str, group: &str, p: &mut Primitive) {
    let own = match p {
        Primitive::GetGroupPropsResponse(r) => r.own_properties.as_mut(),
        Primitive::GroupChangeNotice(n) => n.own_properties.as_mut(),
        _ => None,
    };
    if let Some(own) = own {
        let on = cx
            .st
            .users
            .get(user)
            .is_some_and(|u| u.auto_join.contains(group));
        own.set("AutoJoin", if on { "T" } else { "F" });
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
    // What makes notices to every joined member (joining, changing properties) takes from the
    // user's message bucket: a join-and-leave loop cannot flood a group.
    let notifies = joins || matches!(p, Primitive::SetGroupPropsRequest(_));
    if notifies && !crate::feature::im::take_send_token(cx, &user) {
        tracing::warn!(user = %user, "group changes too fast: 503");
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    }
    if joins {
        let joined = cx.st.sessions.get(sid).map_or(0, |s| s.groups.len());
        if joined >= cx.cfg.max_joined_groups && !session_in(cx, sid, &group) {
            return fail(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let invited_by = if joins {
        crate::feature::invite::inviters_to(cx, &user, &group)
    } else {
        Vec::new()
    };
    let auto_join = match &p {
        Primitive::SetGroupPropsRequest(r) => match own_flag(r, "AutoJoin") {
            Ok(a) => a,
            Err(code) => return fail(code),
        },
        _ => None,
    };
    if auto_join == Some(true) {
        let full =
            cx.st.users.get(&user).is_some_and(|u| {
                u.auto_join.len() >= MAX_AUTO_JOIN && !u.auto_join.contains(&group)
            });
        if full {
            return fail(StatusCode::BAD_PARAMETER);
        }
    }
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let mut from = requester(cx, sid);
    from.invited_by = invited_by;
    cx.route(Event::Group {
        reply: Some(op),
        index: 0,
        group,
        home,
        from,
        call: GroupCall::Request(Box::new(p)),
    });
    Reply::Later(Op::Group(GroupOp {
        waiting: 1,
        answer: None,
        auto_join,
    }))
}

/// Sends request `p` of session `sid` to the owner of `group` (home account `home`); the
/// request is answered when the owner replies.
pub(crate) fn ask_owner(
    cx: &mut Cx<'_>,
    sid: &str,
    (group, home): (String, String),
    p: Primitive,
) -> Reply {
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
        auto_join: None,
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
        invited_by: Vec::new(),
    }
}

/// A message to group `g` of a SendMessage-Request: sent to the group's owner, which fans it
/// out; the group's id. `Err` with the code to report when the group cannot be named.
pub(crate) fn send_to(
    cx: &mut Cx<'_>,
    sid: &str,
    (op, index): (OpRef, usize),
    g: &Group,
    (info, content): (&MessageInfo, Option<&ContentData>),
) -> Result<String, (StatusCode, String)> {
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
        group: group.clone(),
        home,
        from: requester(cx, sid),
        call: GroupCall::Request(Box::new(Primitive::SendMessageRequest(one))),
    });
    Ok(group)
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
                invited_by: Vec::new(),
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
        (Some(false), Some(_)) => left(cx, sid, group),
        (Some(true), None) => {
            // The session ended while its join was on the way: it leaves at once (it would
            // otherwise stay joined with nobody to leave for it).
            session_ended(cx, sid, "", version, vec![group.to_owned()]);
        }
        _ => {}
    }
    let me = cx.user_of(sid);
    let result = match result {
        GroupResult::Answer(mut p) => {
            fill_auto_join(cx, &me, group, &mut p);
            GroupResult::Answer(p)
        }
        GroupResult::Joined { answer, about } => {
            let mut p = *answer;
            if version >= CspVersion::V1_3 {
                if let Primitive::GetJoinedUsersResponse(r) = &mut p {
                    let me = cx.user_of(sid);
                    if let Some(u) = cx.st.users.get(&me) {
                        let blocked: Vec<String> = about
                            .iter()
                            .filter(|(_, user)| crate::feature::im::blocks_only(u, user))
                            .map(|(sname, _)| sname.clone())
                            .collect();
                        move_blocked(r, group, &blocked);
                    }
                }
            }
            GroupResult::Answer(Box::new(p))
        }
        other => other,
    };
    let mut applied = None;
    crate::route::reply(cx, op, index, |waiting| match (waiting, result) {
        (Op::Group(g), GroupResult::Answer(p)) => {
            if matches!(&*p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS) {
                applied = g.auto_join;
            }
            g.record(*p)
        }
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
    if let Some(on) = applied {
        set_auto_join(cx, &me, group, on);
    }
}

/// Session `sid` is no longer joined to `group` (it left, or was made to): its shard forgets
/// the group and its delivery method, and the group's messages waiting for the user go if
/// no other session of it is joined.
fn left(cx: &mut Cx<'_>, sid: &str, group: &str) {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    s.groups.remove(group);
    s.group_delivery.remove(group);
    let user = s.user.clone();
    crate::feature::im::drop_group_messages(cx, &user, &[group.to_owned()]);
}

/// [`Event::ToSession`] on the session's shard: a server request queued for it (a group it
/// was made to leave is no longer among its groups).
pub(crate) fn to_session(
    cx: &mut Cx<'_>,
    sid: &str,
    mut primitive: Primitive,
    left_group: Option<&str>,
    about: Option<&str>,
) {
    if let Some(g) = left_group {
        left(cx, sid, g);
    }
    // 1.3: a user the session's user blocks is shown in JoinedBlocked / LeftBlocked.
    if let (Some(user), Primitive::GroupChangeNotice(n)) = (about, &mut primitive) {
        let me = cx.user_of(sid);
        let v13 = cx.version_of(sid) >= CspVersion::V1_3;
        let blocked = cx
            .st
            .users
            .get(&me)
            .is_some_and(|u| crate::feature::im::blocks_only(u, user));
        if v13 && blocked {
            block_notice(n);
        }
    }
    if let Primitive::GroupChangeNotice(n) = &primitive {
        let (me, group) = (cx.user_of(sid), n.group_id.clone());
        fill_auto_join(cx, &me, &group, &mut primitive);
    }
    cx.queue(
        sid,
        Queued {
            primitive: Some(Box::new(primitive)),
            about: About::Other,
        },
    );
}

/// Moves a GroupChangeNotice's Joined / Left users into JoinedBlocked / LeftBlocked, by
/// screen name.
fn block_notice(n: &mut imps_csp::model::group::GroupChangeNotice) {
    use imps_csp::model::group::{JoinedBlocked, LeftBlocked};
    if let Some(j) = n.joined.take() {
        let group = n.group_id.clone();
        let names = j
            .user_map_list
            .iter()
            .flat_map(|m| m.mappings().iter())
            .map(|m| ScreenName {
                sname: m.sname.clone(),
                group_id: group.clone(),
            })
            .chain(j.screen_name)
            .collect();
        n.joined_blocked = Some(JoinedBlocked {
            user_list: Some(UserList {
                user: Vec::new(),
                screen_name: names,
            }),
        });
    }
    if let Some(l) = n.left.take() {
        let mut users = l.user_list.unwrap_or_default();
        users.screen_name.extend(l.screen_name);
        n.left_blocked = Some(LeftBlocked {
            user_list: Some(users),
        });
    }
}

/// Moves the mappings of `blocked` screen names out of a GetJoinedUsers-Response into its 1.3
/// JoinedBlocked.
fn move_blocked(
    r: &mut imps_csp::model::group::GetJoinedUsersResponse,
    group: &str,
    blocked: &[String],
) {
    if blocked.is_empty() {
        return;
    }
    let is_blocked = |m: &Mapping| blocked.iter().any(|b| b == &m.sname);
    let mut out: Vec<ScreenName> = Vec::new();
    let mut take = |list: &mut Vec<Mapping>| {
        for m in list.iter().filter(|m| is_blocked(m)) {
            out.push(ScreenName {
                sname: m.sname.clone(),
                group_id: group.to_owned(),
            });
        }
        list.retain(|m| !is_blocked(m));
    };
    if let Some(u) = r
        .user_map_list
        .as_mut()
        .and_then(|l| l.user_mapping.as_mut())
    {
        take(&mut u.mapping);
    }
    if let Some(a) = r.admin_map_list.as_mut() {
        if let Some(x) = a.admin_mapping.as_mut() {
            take(&mut x.mapping);
        }
        if let Some(x) = a.mod_mapping.as_mut() {
            take(&mut x.mapping);
        }
        if let Some(x) = a.user_mapping.as_mut() {
            take(&mut x.mapping);
        }
    }
    r.joined_blocked = Some(imps_csp::model::group::JoinedBlocked {
        user_list: Some(UserList {
            user: Vec::new(),
            screen_name: out,
        }),
    });
}
