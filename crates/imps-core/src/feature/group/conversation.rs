//! ExtendConversation (1.3, EXCON; implementation-guidelines.md §16): a 1:1 conversation
//! becomes an ad-hoc group. The requester's own group `wv:<user>/ec-<id>@<domain>` (restricted,
//! AutoDelete) is made or grown on its shard, the requester joins it, and the peer and the
//! users brought in become members and get an InviteUser-Request of type `EC` naming it.

use super::*;

use imps_csp::model::fundamental::InviteUserRequest;
use imps_csp::model::v13::{ExtendConversationRequest, ExtendConversationResponse};

/// ExtendConversation-Request, on the requester's shard: sent to the conversation group's
/// owner (the requester's own account), answered when it replies.
pub(crate) fn extend(cx: &mut Cx<'_>, sid: &str, r: ExtendConversationRequest) -> Reply {
    let user = cx.user_of(sid);
    let Ok(me) = Address::parse_with_domain(&user, &cx.cfg.default_domain) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    // The client's id, kept to letters, digits and dashes, names the group: the same id
    // again grows the same conversation.
    let name: String = r
        .extend_conversation_id
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    let name = if name.is_empty() {
        cx.st.rng.hex(6)
    } else {
        name
    };
    let group = me.with_resource(&format!("ec-{name}")).to_string();
    ask_owner(cx, sid, (group, user), Primitive::from(r))
}

/// On the owner: make or grow the conversation group, join the requester, invite the others.
pub(super) fn extend_here(
    cx: &mut Cx<'_>,
    (home, group): (&str, &str),
    from: &Requester,
    (reply, index): (Option<OpRef>, usize),
    r: ExtendConversationRequest,
) -> Done {
    let mut invitees: Vec<String> = Vec::new();
    let named = r
        .extend_conversation_user
        .iter()
        .map(|u| u.user_id.as_str())
        .chain(
            r.user_id_list
                .iter()
                .flat_map(|l| l.user_id.iter().map(String::as_str)),
        );
    for n in named {
        let Some(a) = cx.addr(n) else {
            return Done::code(StatusCode::BAD_PARAMETER);
        };
        if a != from.user && !invitees.contains(&a) {
            invitees.push(a);
        }
    }
    if invitees.is_empty() || invitees.len() > cx.cfg.max_recipients {
        return Done::code(StatusCode::BAD_PARAMETER);
    }
    let (max_groups, max_members) = (cx.cfg.max_groups_per_user, cx.cfg.max_group_members);
    let (now, counted, server_max) = (cx.now, cx.groups, cx.cfg.max_groups);
    let Some(u) = cx.st.users.get_mut(home) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !u.groups.contains_key(group) {
        if u.groups.len() >= max_groups {
            return Done::code(StatusCode::MAX_GROUPS_USER);
        }
        if !counted.reserve(server_max) {
            return Done::code(StatusCode::MAX_GROUPS_SERVER);
        }
        let mut g = GroupState::new(group, "Conversation", &from.user, now);
        g.rec.props.insert("AutoDelete".into(), "T".into());
        g.rec.props.insert("Accesstype".into(), "Restricted".into());
        if let Some(imps_csp::model::group::WelcomeNote {
            content_data: ContentData::Text(t),
            content_type,
            ..
        }) = &r.welcome_note
        {
            let ct = content_type.clone().unwrap_or_else(|| "text/plain".into());
            g.rec.welcome = Some((ct, t.chars().take(1024).collect()));
        }
        u.groups.insert(group.to_owned(), g);
    }
    let Some(g) = u.groups.get_mut(group) else {
        return Done::code(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    if !g.at_least(&from.user, Access::Admin) {
        return Done::code(StatusCode::INSUFFICIENT_GROUP_PRIVILEGES);
    }
    let new = invitees
        .iter()
        .filter(|i| !g.rec.members.contains_key(*i))
        .count();
    if g.rec.members.len() + new > max_members {
        return Done::code(StatusCode::BAD_PARAMETER);
    }
    for i in &invitees {
        g.rec.members.entry(i.clone()).or_insert(Access::User);
    }
    let already = g.joined.contains_key(&from.sid);
    save(cx, home, group);
    if !already {
        let sname = r.screen_name.as_ref().map(|s| s.sname.clone());
        let notify = r.subscribe_notification == Some(true);
        if let Err(code) = join(cx, home, group, from, sname, notify) {
            return Done::code(code);
        }
    }
    let sname = get(cx, home, group)
        .and_then(|g| g.joined.get(&from.sid).map(|j| j.sname.clone()))
        .unwrap_or_default();
    let validity = cx.cfg.default_validity.min(cx.cfg.max_validity);
    let expires = cx.now + u64::from(validity);
    let reply = reply.unwrap_or(OpRef {
        shard: cx.st.shard,
        op: 0,
        slot: 0,
    });
    // One document for every invitee (it names the invitee when handed out).
    let request = InviteUserRequest {
        invite_id: group.to_owned(),
        invite_type: Some("EC".into()),
        sender: Some(Sender::user(from.user.clone())),
        group_id: Some(group.to_owned()),
        screen_name: Some(ScreenName {
            sname,
            group_id: group.to_owned(),
        }),
        validity: Some(validity),
        ..Default::default()
    };
    let Some(bytes) = crate::feature::invite::document(Primitive::from(request)) else {
        return Done::code(StatusCode::INTERNAL_ERROR);
    };
    for (i, to) in invitees.iter().enumerate() {
        // Whether each invitee exists or blocks the requester is its owner's to say; the
        // answer does not wait for it (an unknown user is simply never invited).
        cx.route(Event::Invite {
            op: reply,
            index: index + 1 + i,
            to: to.clone(),
            invitation: Box::new(crate::feature::invite::Invitation {
                invite_id: group.to_owned(),
                inviter: from.user.clone(),
                expires,
                request: bytes.clone(),
                // The invitees are made members: the group needs no invitation to join.
                group: None,
                accepted: false,
            }),
        });
    }
    if let Some(u) = cx.st.users.get_mut(home) {
        u.invites_sent.insert(group.to_owned(), (invitees, expires));
    }
    Done {
        answer: GroupResult::Answer(Box::new(Primitive::from(ExtendConversationResponse {
            extend_conversation_id: r.extend_conversation_id,
            group_id: Some(group.to_owned()),
            response_note: None,
            result: Some(CspResult::new(StatusCode::SUCCESS)),
        }))),
        joined: Some(true),
    }
}
