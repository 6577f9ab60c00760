//! Invitations (csp-reference.md §3.2): Invite-Request, InviteUser-Request to each invitee,
//! InviteUser-Response, Invite-Response back to the inviter, CancelInvite-Request and
//! CancelInviteUser-Request, with Validity and 423.
//!
//! The inviter's shard sends each invitee's owner an [`Event::Invite`]; the owner checks the
//! invitee (531, 532), keeps the invitation with the account (durably, until answered,
//! cancelled or expired) and hands it to every session of the invitee, now or at its next
//! login. The invitee's answer goes back to the inviter's sessions ([`Event::ToUser`]).

use imps_csp::model::common::{Recipient, Sender, Status};
use imps_csp::model::fundamental::{
    CancelInviteRequest, CancelInviteUserRequest, InviteRequest, InviteResponse, InviteUserRequest,
    InviteUserResponse,
};
use imps_csp::{CspVersion, Limits, Primitive, StatusCode, TransactionMode, WvCspMessage};
use serde::{Deserialize, Serialize};

use crate::engine::{fail, Cx, Reply};
use crate::feature::failures::Failures;
use crate::route::{Event, Op};
use crate::state::{About, Queued};
use crate::store::Write;
use crate::unique::Unique;

/// The kind of the document holding a user's pending invitations.
pub(crate) const INVITATIONS_DOCUMENT: &str = "invitations";

/// Pending invitations kept per invitee, at most (the oldest go first).
const MAX_PENDING: usize = 64;

/// An invitation waiting for its invitee's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Invitation {
    /// The inviter's InviteID.
    pub invite_id: String,
    /// The inviter (normalised user id).
    pub inviter: String,
    /// When it stops being valid (seconds since the epoch).
    pub expires: u64,
    /// The InviteUser-Request as a CSP 1.3 WBXML document (Validity set when handed out).
    pub request: Vec<u8>,
    /// The group of a group invitation (InviteType GR), normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Accepted by the invitee (a group invitation is kept until it expires, so that the
    /// invitee may join a group that requires one): not handed out, nor answered, again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
}

impl Invitation {
    /// The InviteUser-Request to hand out to `invitee` at `now` (1.3 Recipient: the invitee;
    /// Validity: the seconds left).
    pub(crate) fn request_at(&self, invitee: &str, now: u64) -> Option<Primitive> {
        let m = imps_csp::decode_wbxml(&self.request, &Limits::default()).ok()?;
        match m.session.transactions.into_iter().next()?.primitive {
            Primitive::InviteUserRequest(mut r) => {
                r.recipient = Some(Recipient::user(invitee));
                r.validity =
                    Some(u32::try_from(self.expires.saturating_sub(now)).unwrap_or(u32::MAX));
                Some(Primitive::InviteUserRequest(r))
            }
            _ => None,
        }
    }
}

/// `p` as the CSP 1.3 WBXML document an invitation is kept in.
pub(crate) fn document(p: Primitive) -> Option<Vec<u8>> {
    let m = WvCspMessage::new(CspVersion::V1_3, None, TransactionMode::Request, None, p);
    imps_csp::encode_wbxml(&m).ok()
}

/// Who invited `user` to `group` with an invitation still valid (answered or not): what its
/// JoinGroup shows the group's owner.
pub(crate) fn inviters_to(cx: &Cx<'_>, user: &str, group: &str) -> Vec<String> {
    let now = cx.now;
    let mut out: Vec<String> = cx
        .st
        .users
        .get(user)
        .map(|u| {
            u.invitations
                .iter()
                .filter(|i| i.expires > now && i.group.as_deref() == Some(group))
                .map(|i| i.inviter.clone())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// An Invite-Request waiting for its invitees' owners.
pub(crate) struct InviteOp {
    /// Answers not yet in.
    pub waiting: usize,
    /// Refusals, by the invitee as named.
    failures: Failures,
    /// Invitees that got the invitation.
    invited: usize,
}

impl InviteOp {
    /// One owner's answer.
    pub(crate) fn record(&mut self, to: String, result: Result<(), StatusCode>) {
        self.waiting = self.waiting.saturating_sub(1);
        match result {
            Ok(()) => self.invited += 1,
            Err(code) => self.failures.add(code, to),
        }
    }

    /// Status 200, 201 with the refused invitees, or the one code when nobody was invited.
    pub(crate) fn answer(self) -> Primitive {
        Primitive::Status(Status {
            result: self.failures.result(self.invited > 0),
            client_id: None,
        })
    }
}

/// Invite-Request: an InviteUser-Request for each invitee (users, and members of the
/// inviter's contact lists named), through their owners.
pub(crate) fn invite(cx: &mut Cx<'_>, sid: &str, r: InviteRequest) -> Reply {
    let inviter = cx.user_of(sid);
    if r.invite_id.trim().is_empty() || r.invite_id.len() > 128 {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let mut to = Unique::default();
    let mut failures = Failures::default();
    for u in &r.recipient.user {
        match cx.addr(&u.user_id) {
            Some(a) if a != inviter => {
                to.insert(a);
            }
            Some(_) => {}
            None => failures.add(StatusCode::UNKNOWN_USER, u.user_id.clone()),
        }
    }
    for l in &r.recipient.contact_list {
        match crate::feature::contacts::members(cx, &inviter, l) {
            Some(m) => to.extend(m.into_iter().filter(|u| *u != inviter)),
            None => failures.add(StatusCode::CONTACT_LIST_DOES_NOT_EXIST, l.clone()),
        }
    }
    if to.is_empty() && failures.is_empty() {
        return fail(StatusCode::BAD_PARAMETER);
    }
    if to.len() > cx.cfg.max_recipients {
        return fail(StatusCode::BAD_PARAMETER);
    }
    // Invitations reach people as messages do: the same bucket limits how fast.
    if !crate::feature::im::take_send_token(cx, &inviter) {
        tracing::warn!(user = %inviter, "inviting too fast: 503");
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    }
    let Some(op) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let validity = r
        .validity
        .unwrap_or(cx.cfg.default_validity)
        .min(cx.cfg.max_validity);
    let expires = cx.now + u64::from(validity);
    let invitees = to.into_vec();
    let mut pending = InviteOp {
        waiting: 0,
        failures,
        invited: 0,
    };
    // One document for every invitee: it names the invitee only when handed out.
    let request = InviteUserRequest {
        invite_id: r.invite_id.clone(),
        invite_type: r.invite_type.clone(),
        sender: Some(Sender::user(inviter.clone())),
        recipient: None,
        application_id: r.application_id.clone(),
        group_id: r.group_id.clone(),
        presence_sub_list: r.presence_sub_list.clone(),
        url_list: r.url_list.clone(),
        invite_note: r.invite_note.clone(),
        screen_name: r.screen_name.clone(),
        validity: Some(validity),
    };
    let Some(bytes) = document(Primitive::from(request)) else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let group = r
        .invite_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("GR"))
        .then_some(r.group_id.as_deref())
        .flatten()
        .and_then(|g| crate::feature::group::locate(cx, g))
        .map(|(id, _)| id);
    // Each invitee keeps a copy: bounded like a message's content and fan-out.
    if bytes.len() > cx.cfg.max_message_bytes as usize
        || bytes.len().saturating_mul(invitees.len()) > cx.cfg.max_fanout_bytes
    {
        return fail(StatusCode::BAD_PARAMETER);
    }
    for (index, user) in invitees.iter().enumerate() {
        pending.waiting += 1;
        cx.route(Event::Invite {
            op,
            index,
            invitation: Box::new(Invitation {
                invite_id: r.invite_id.clone(),
                inviter: inviter.clone(),
                expires,
                request: bytes.clone(),
                group: group.clone(),
                accepted: false,
            }),
            to: user.clone(),
        });
    }
    if let Some(u) = cx.st.users.get_mut(&inviter) {
        u.invites_sent
            .insert(r.invite_id.clone(), (invitees, expires));
        let now = cx.now;
        u.invites_sent.retain(|_, (_, e)| *e > now);
    }
    Reply::Later(Op::Invite(pending))
}

/// [`Event::Invite`] on the invitee's owner: kept (durably) and handed to its sessions.
pub(crate) fn apply_invite(
    cx: &mut Cx<'_>,
    to: &str,
    invitation: Invitation,
) -> Result<(), StatusCode> {
    let Some(u) = cx.st.users.get_mut(to) else {
        return Err(StatusCode::UNKNOWN_USER);
    };
    if crate::feature::im::blocks(u, &invitation.inviter) {
        return Err(StatusCode::RECIPIENT_BLOCKED_SENDER);
    }
    let now = cx.now;
    u.invitations.retain(|i| {
        i.expires > now && !(i.invite_id == invitation.invite_id && i.inviter == invitation.inviter)
    });
    if u.invitations.len() >= MAX_PENDING {
        u.invitations.remove(0);
    }
    u.invitations.push(invitation.clone());
    let sessions = u.sessions.clone();
    save(cx, to);
    if let Some(p) = invitation.request_at(to, now) {
        for sid in sessions {
            cx.queue(
                &sid,
                Queued {
                    primitive: Some(Box::new(p.clone())),
                    about: About::Other,
                },
            );
        }
    }
    Ok(())
}

fn save_notices(cx: &mut Cx<'_>, user: &str) {
    let Some(u) = cx.st.users.get(user) else {
        return;
    };
    cx.writes
        .extend(Write::json_document(user, NOTICES_DOCUMENT, &u.notices));
}

/// Queues `user`'s pending invitations, and what came while it was offline, into a session
/// that has not had them (its first request). The offline notices go to this session only.
pub(crate) fn queue_pending(cx: &mut Cx<'_>, sid: &str, user: &str) {
    let notices = cx
        .st
        .users
        .get_mut(user)
        .map(|u| std::mem::take(&mut u.notices))
        .unwrap_or_default();
    if !notices.is_empty() {
        save_notices(cx, user);
        for doc in notices {
            let p = imps_csp::decode_wbxml(&doc, &Limits::default())
                .ok()
                .and_then(|m| m.session.transactions.into_iter().next())
                .map(|t| t.primitive);
            if let Some(p) = p {
                cx.queue(
                    sid,
                    Queued {
                        primitive: Some(Box::new(p)),
                        about: About::Other,
                    },
                );
            }
        }
    }
    let now = cx.now;
    let pending: Vec<Primitive> = cx
        .st
        .users
        .get(user)
        .map(|u| {
            u.invitations
                .iter()
                .filter(|i| i.expires > now && !i.accepted)
                .filter_map(|i| i.request_at(user, now))
                .collect()
        })
        .unwrap_or_default();
    for p in pending {
        cx.queue(
            sid,
            Queued {
                primitive: Some(Box::new(p)),
                about: About::Other,
            },
        );
    }
}

fn save(cx: &mut Cx<'_>, user: &str) {
    let Some(u) = cx.st.users.get(user) else {
        return;
    };
    cx.writes.extend(Write::json_document(
        user,
        INVITATIONS_DOCUMENT,
        &u.invitations,
    ));
}

/// InviteUser-Response: the invitee answers; the invitation goes, and the inviter's sessions
/// get an Invite-Response. 423 for an invitation the invitee does not have (never sent,
/// answered, cancelled or expired).
pub(crate) fn answer(cx: &mut Cx<'_>, sid: &str, r: InviteUserResponse) -> Reply {
    let invitee = cx.user_of(sid);
    let named = r
        .inviter()
        .and_then(|s| s.user)
        .and_then(|u| cx.addr(&u.user_id));
    let now = cx.now;
    let Some(u) = cx.st.users.get_mut(&invitee) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let pos = u.invitations.iter().position(|i| {
        i.invite_id == r.invite_id
            && i.expires > now
            && !i.accepted
            && named.as_ref().is_none_or(|n| *n == i.inviter)
    });
    let Some(pos) = pos else {
        return fail(StatusCode::INVALID_INVITATION_ID);
    };
    let accepted = r.acceptance.unwrap_or(false);
    let invitation = if accepted && u.invitations[pos].group.is_some() {
        // Kept, answered, until it expires: it lets the invitee join a group that requires
        // an invitation.
        u.invitations[pos].accepted = true;
        u.invitations[pos].clone()
    } else {
        u.invitations.remove(pos)
    };
    save(cx, &invitee);
    let response = InviteResponse {
        invite_id: r.invite_id,
        acceptance: Some(accepted),
        sender: Some(Sender::user(invitee.clone())),
        recipient: Some(Recipient::user(invitation.inviter.clone())),
        invite_note: None,
        response_note: r.response_note,
        screen_name: r.screen_name,
    };
    cx.route(Event::ToUser {
        user: invitation.inviter,
        primitive: Box::new(Primitive::from(response)),
    });
    Reply::Prim(Primitive::Status(Status::new(StatusCode::SUCCESS)))
}

/// CancelInvite-Request: the invitees (those named, else all the invitation went to) lose the
/// invitation and, if they still had it, get a CancelInviteUser-Request. 423 for an InviteID
/// the inviter did not send (or that expired).
pub(crate) fn cancel(cx: &mut Cx<'_>, sid: &str, r: CancelInviteRequest) -> Reply {
    let inviter = cx.user_of(sid);
    let now = cx.now;
    let sent = cx
        .st
        .users
        .get(&inviter)
        .and_then(|u| u.invites_sent.get(&r.invite_id))
        .filter(|(_, e)| *e > now)
        .map(|(to, _)| to.clone());
    let Some(sent) = sent else {
        return fail(StatusCode::INVALID_INVITATION_ID);
    };
    let named: Vec<String> = r
        .recipient
        .iter()
        .flat_map(|rc| rc.user.iter())
        .filter_map(|u| cx.addr(&u.user_id))
        .collect();
    let to: Vec<String> = if named.is_empty() {
        sent
    } else {
        sent.into_iter().filter(|u| named.contains(u)).collect()
    };
    for user in to {
        let notice = CancelInviteUserRequest {
            invite_id: r.invite_id.clone(),
            sender: Some(Sender::user(inviter.clone())),
            recipient: Some(Recipient::user(user.clone())),
            invite_note: r.invite_note.clone(),
            url_list: r.url_list.clone(),
            screen_name: r.screen_name.clone(),
            ..Default::default()
        };
        cx.route(Event::CancelInvite {
            to: user,
            inviter: inviter.clone(),
            invite_id: r.invite_id.clone(),
            notice: Box::new(Primitive::from(notice)),
        });
    }
    if named.is_empty() {
        if let Some(u) = cx.st.users.get_mut(&inviter) {
            u.invites_sent.remove(&r.invite_id);
        }
    }
    Reply::Prim(Primitive::Status(Status::new(StatusCode::SUCCESS)))
}

/// [`Event::CancelInvite`] on the invitee's owner.
pub(crate) fn apply_cancel(
    cx: &mut Cx<'_>,
    to: &str,
    inviter: &str,
    invite_id: &str,
    notice: Primitive,
) {
    let Some(u) = cx.st.users.get_mut(to) else {
        return;
    };
    let it = |i: &Invitation| i.invite_id == invite_id && i.inviter == inviter;
    let waiting = u.invitations.iter().any(|i| it(i) && !i.accepted);
    let before = u.invitations.len();
    // An accepted group invitation goes too (it no longer lets the invitee join), silently.
    u.invitations.retain(|i| !it(i));
    if u.invitations.len() != before {
        save(cx, to);
    }
    if !waiting {
        return; // answered, expired or never there: nothing to tell
    }
    cx.queue_user(
        to,
        Queued {
            primitive: Some(Box::new(notice)),
            about: About::Other,
        },
    );
}

/// The kind of the document holding what came for a user while it was offline.
pub(crate) const NOTICES_DOCUMENT: &str = "notices";

/// Notices kept for an offline user, at most (the oldest go first).
const MAX_NOTICES: usize = 64;

/// [`Event::ToUser`]: a server request for every live session of `user` (an Invite-Response);
/// kept durably for its next session while it is offline.
pub(crate) fn apply_to_user(cx: &mut Cx<'_>, user: &str, primitive: Primitive) {
    let Some(u) = cx.st.users.get_mut(user) else {
        return;
    };
    if u.sessions.is_empty() {
        let Some(doc) = document(primitive) else {
            return;
        };
        if u.notices.len() >= MAX_NOTICES {
            u.notices.remove(0);
        }
        u.notices.push(doc);
        save_notices(cx, user);
        return;
    }
    cx.queue_user(
        user,
        Queued {
            primitive: Some(Box::new(primitive)),
            about: About::Other,
        },
    );
}

/// The answer slot of an [`Event::Invite`].
pub(crate) fn invited(op: &mut Op, to: String, result: Result<(), StatusCode>) {
    if let Op::Invite(i) = op {
        i.record(to, result);
    }
}
