//! Ownership and routed effects (ARCHITECTURE.md, "The engine as shards").
//!
//! Every user is owned by one shard ([`shard_of`]); a handler reads and writes only what its
//! shard owns, and whatever it does to another owner is an [`Event`] sent to that owner, which
//! applies it ([`apply`]). A request whose answer depends on other owners is parked as a
//! [`PendingRequest`]; their replies fill its slots and the answer leaves with the last one.
//!
//! Routed: message delivery and delivery reports, GetPresence, subscriptions and presence
//! notifications, the existence checks of contact-list members and authorisations, and every
//! group request (groups are owned like users: by the shard of their home account).

use imps_csp::model::attributes::PresenceSubList;
use imps_csp::model::im::DeliveryReportRequest;
use imps_csp::{CspVersion, Primitive, StatusCode, Transaction};

use crate::hash::HashSet;

pub(crate) mod wire;

use imps_csp::model::presence::{
    CancelAuthRequest, CreateAttributeListRequest, CreateListRequest, ListManageRequest,
    PresenceAuthUser,
};

use crate::engine::{Cx, Reply};
use crate::feature::{contacts, group, im, invite, presence};
use crate::state::{AttrSet, Stored};

/// A shard's index.
pub(crate) type ShardId = usize;

/// The shard that owns `user` (a normalised user id) among `shards`: FNV-1a of the id, so
/// that the placement is the same on every node and every run.
pub(crate) fn shard_of(user: &str, shards: usize) -> ShardId {
    if shards <= 1 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % shards as u64) as ShardId
}

/// The shard a SessionID (or CIR token) names: its first two hex digits.
pub(crate) fn shard_of_session(sid: &str, shards: usize) -> Option<ShardId> {
    let tag = sid.get(..2)?;
    let n = usize::from_str_radix(tag, 16).ok()?;
    (n < shards.max(1)).then_some(n)
}

/// A new SessionID (or CIR token) for a session owned by `shard`: 32 hex digits, its tag
/// then 120 random bits (as long as before shards, which real clients have stored).
pub(crate) fn new_session_id(shard: ShardId, rng: &mut crate::state::Entropy) -> String {
    format!("{:02x}{}", shard & 0xff, rng.hex(15))
}

/// Where a reply goes: a slot of a parked request on its shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpRef {
    pub shard: ShardId,
    pub op: u64,
    pub slot: usize,
}

/// An effect on another owner.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// A message copy for its recipient (`stored.record.recipient`), MessageID assigned by the
    /// sender's shard (idempotent by it). The owner answers [`Event::Delivered`].
    Deliver {
        op: OpRef,
        /// The recipient's position in the request (the answer names the first copy's id).
        index: usize,
        stored: Box<Stored>,
        content_type: String,
        len: usize,
    },
    /// The recipient owner's verdict on one copy: its MessageID, or why it was refused.
    Delivered {
        op: OpRef,
        index: usize,
        recipient: String,
        result: Result<String, StatusCode>,
    },
    /// A delivery report for the sender of a message (its owner queues it, or keeps it
    /// durably while the sender is offline).
    Report {
        sender: String,
        report: Box<DeliveryReportRequest>,
    },
    /// GetPresence of one presentity for `watcher`: the owner answers [`Event::Seen`] with
    /// what the watcher may see of it (narrowed to `wanted`), or 531.
    Peek {
        op: OpRef,
        index: usize,
        presentity: String,
        watcher: String,
        wanted: Option<AttrSet>,
    },
    /// `watcher_sid` (of `watcher`) subscribes to `presentity`: its owner registers it and
    /// sends [`Event::Notify`]; `reply` names the request slot waiting for [`Event::Known`].
    Watch {
        watcher_sid: String,
        watcher: String,
        presentity: String,
        wanted: Option<AttrSet>,
        reply: Option<(OpRef, usize)>,
    },
    /// `watcher_sid` no longer watches `presentity` (unsubscribed, or the session ended).
    Unwatch {
        watcher_sid: String,
        watcher_user: String,
        presentity: String,
    },
    /// What `watcher` may now see of `presentity`, for the watcher's shard to keep; the
    /// `sessions` named are notified.
    Notify {
        watcher: String,
        sessions: Vec<String>,
        presentity: String,
        view: Box<PresenceSubList>,
    },
    /// Whether a group (or a screen name joined to it) exists, for a request slot: the group
    /// owner answers [`Event::Known`] (keyed as `verify::group_key` / `verify::sname_key`).
    GroupExists {
        op: OpRef,
        index: usize,
        group: String,
        home: String,
        sname: Option<String>,
    },
    /// Whether `user` exists, for a request slot.
    Exists {
        op: OpRef,
        index: usize,
        user: String,
    },
    /// The owner's answer to [`Event::Exists`], or to a [`Event::Watch`] a request waits for.
    Known {
        op: OpRef,
        index: usize,
        user: String,
        known: bool,
    },
    /// `watcher_sid` subscribed to a presentity that does not exist: the watcher's shard drops
    /// the subscription (before [`Event::Known`] answers the request, if one waits).
    Dropped {
        watcher_sid: String,
        presentity: String,
    },
    /// The presentity owner's answer to [`Event::Peek`].
    Seen {
        op: OpRef,
        index: usize,
        presentity: String,
        result: Result<Box<PresenceSubList>, StatusCode>,
    },
    /// A group request (or a session's departure) for the group's owner, the shard of its
    /// home account; `reply` names the request slot waiting for [`Event::GroupDone`].
    Group {
        reply: Option<OpRef>,
        index: usize,
        group: String,
        home: String,
        from: group::Requester,
        call: group::GroupCall,
    },
    /// The group owner's answer; `joined` says whether the session is now joined to the group
    /// (its shard keeps the list, to leave the groups when the session ends).
    GroupDone {
        op: OpRef,
        index: usize,
        sid: String,
        version: CspVersion,
        group: String,
        joined: Option<bool>,
        result: group::GroupResult,
    },
    /// An invitation for `to` (its owner keeps it and hands it to its sessions); answered by
    /// [`Event::Invited`].
    Invite {
        op: OpRef,
        index: usize,
        to: String,
        invitation: Box<invite::Invitation>,
    },
    /// The invitee owner's verdict on an [`Event::Invite`].
    Invited {
        op: OpRef,
        index: usize,
        to: String,
        result: Result<(), StatusCode>,
    },
    /// The inviter cancels an invitation `to` still holds.
    CancelInvite {
        to: String,
        inviter: String,
        invite_id: String,
        notice: Box<Primitive>,
    },
    /// The groups `user`'s sessions are joined to, for a search: its shard answers
    /// [`Event::JoinedList`].
    JoinedOf {
        op: OpRef,
        index: usize,
        user: String,
    },
    /// The answer to [`Event::JoinedOf`].
    JoinedList {
        op: OpRef,
        index: usize,
        groups: Vec<String>,
    },
    /// GetPublicProfile of `user` for `asker`: the owner answers [`Event::Profiled`].
    Profile {
        op: OpRef,
        index: usize,
        user: String,
        asker: String,
    },
    /// The owner's answer to [`Event::Profile`].
    Profiled {
        op: OpRef,
        index: usize,
        user: String,
        result: Result<crate::feature::profile::Profile, StatusCode>,
    },
    /// A server request for every live session of `user` (an Invite-Response).
    ToUser {
        user: String,
        primitive: Box<Primitive>,
    },
    /// A server request for one session (GroupChangeNotice, an unsolicited LeaveGroup-Response:
    /// `left` names the group the session no longer is in).
    ToSession {
        sid: String,
        version: CspVersion,
        primitive: Box<Primitive>,
        left: Option<String>,
        /// The user a GroupChangeNotice's Joined or Left is about (never shown to the client):
        /// its shard moves it to JoinedBlocked / LeftBlocked (1.3) if the session's user
        /// blocks that user.
        about: Option<String>,
    },
}

impl Event {
    /// What to send instead when the writes of the call that made this event failed (a
    /// router sends an owner's events only after that owner's commit settles): a delivery
    /// the recipient's owner could not make durable is refused with 500, so that the sender
    /// is never told a message was accepted that a crash could lose. Every other event goes
    /// as it is: none promises anything durable, replies must still reach the requests that
    /// wait for them, and the failing owner reloads the accounts it touched (re-notifying
    /// their watchers) before it serves again.
    pub(crate) fn on_failure(mut self) -> Event {
        let lost = StatusCode::INTERNAL_ERROR;
        match &mut self {
            Event::Delivered { result, .. } if result.is_ok() => *result = Err(lost),
            // The invitee's owner could not keep the invitation durably: refused.
            Event::Invited { result, .. } if result.is_ok() => *result = Err(lost),
            // The owner promised a change it could not make durable (a group created, its
            // properties set): 500. Whether the session is joined stays as the owner has it
            // (joining writes nothing durable).
            Event::GroupDone { result, .. }
                if !matches!(result, group::GroupResult::Fanout { .. }) =>
            {
                *result = group::GroupResult::Answer(Box::new(crate::engine::status(lost)));
            }
            _ => {}
        }
        self
    }
}

/// The shard an event is for.
pub(crate) fn owner_of(event: &Event, shards: usize) -> ShardId {
    match event {
        Event::Deliver { stored, .. } => shard_of(&stored.record.recipient, shards),
        Event::Delivered { op, .. } => op.shard,
        Event::Report { sender, .. } => shard_of(sender, shards),
        Event::Peek { presentity, .. }
        | Event::Watch { presentity, .. }
        | Event::Unwatch { presentity, .. } => shard_of(presentity, shards),
        Event::Notify { watcher, .. } => shard_of(watcher, shards),
        Event::Exists { user, .. } => shard_of(user, shards),
        Event::GroupExists { home, .. } => shard_of(home, shards),
        Event::Known { op, .. } => op.shard,
        Event::Dropped { watcher_sid, .. } => shard_of_session(watcher_sid, shards).unwrap_or(0),
        Event::Seen { op, .. } => op.shard,
        Event::Group { home, .. } => shard_of(home, shards),
        Event::Invite { to, .. } | Event::CancelInvite { to, .. } => shard_of(to, shards),
        Event::Invited { op, .. } | Event::Profiled { op, .. } | Event::JoinedList { op, .. } => {
            op.shard
        }
        Event::JoinedOf { user, .. } => shard_of(user, shards),
        Event::Profile { user, .. } => shard_of(user, shards),
        Event::ToUser { user, .. } => shard_of(user, shards),
        Event::GroupDone { op, .. } => op.shard,
        Event::ToSession { sid, .. } => shard_of_session(sid, shards).unwrap_or(0),
    }
}

/// The account an event concerns on its owner (replies concern a parked request instead).
fn subject(event: &Event) -> Option<&str> {
    match event {
        Event::Deliver { stored, .. } => Some(&stored.record.recipient),
        Event::Report { sender, .. } => Some(sender),
        Event::Peek { presentity, .. }
        | Event::Watch { presentity, .. }
        | Event::Unwatch { presentity, .. } => Some(presentity),
        Event::Notify { watcher, .. } => Some(watcher),
        Event::Exists { user, .. } => Some(user),
        Event::GroupExists { home, .. } => Some(home),
        Event::Group { home, .. } => Some(home),
        Event::Invite { to, .. } | Event::CancelInvite { to, .. } => Some(to),
        Event::ToUser { user, .. } => Some(user),
        Event::Invited { .. }
        | Event::Profiled { .. }
        | Event::JoinedOf { .. }
        | Event::JoinedList { .. } => None,
        Event::Profile { user, .. } => Some(user),
        Event::Delivered { .. }
        | Event::Known { .. }
        | Event::Seen { .. }
        | Event::Dropped { .. }
        | Event::GroupDone { .. }
        | Event::ToSession { .. } => None,
    }
}

/// Applies an event on the shard that owns what it concerns (loading that account first if
/// it is not in memory yet).
pub(crate) fn apply(cx: &mut Cx<'_>, event: Event) {
    if let Some(user) = subject(&event) {
        if let Err(e) = crate::load::ensure(cx.st, cx.commits, user) {
            tracing::error!(user = %user, error = %e, "loading an account from the store failed");
            if let Event::Deliver {
                op, index, stored, ..
            } = event
            {
                // Not "unknown user": the sender may try again.
                cx.route(Event::Delivered {
                    op,
                    index,
                    recipient: stored.record.recipient,
                    result: Err(StatusCode::SERVICE_UNAVAILABLE),
                });
                return;
            }
            if let Event::Invite { op, index, to, .. } = event {
                cx.route(Event::Invited {
                    op,
                    index,
                    to,
                    result: Err(StatusCode::SERVICE_UNAVAILABLE),
                });
                return;
            }
            if let Event::Group {
                reply: Some(op),
                index,
                group,
                from,
                ..
            } = event
            {
                cx.route(Event::GroupDone {
                    op,
                    index,
                    sid: from.sid,
                    version: from.version,
                    group,
                    joined: None,
                    result: group::GroupResult::Answer(Box::new(crate::engine::status(
                        StatusCode::SERVICE_UNAVAILABLE,
                    ))),
                });
                return;
            }
        }
    }
    match event {
        Event::Deliver {
            op,
            index,
            stored,
            content_type,
            len,
        } => {
            let recipient = stored.record.recipient.clone();
            let result = im::deliver(cx, *stored, &content_type, len);
            cx.route(Event::Delivered {
                op,
                index,
                recipient,
                result,
            });
        }
        Event::Delivered {
            op,
            index,
            recipient,
            result,
        } => reply(cx, op, index, |waiting| {
            if let Op::Send(send) = waiting {
                send.record(index, recipient, result);
            }
        }),
        Event::Report { sender, report } => im::apply_report(cx, &sender, *report),
        Event::Peek {
            op,
            index,
            presentity,
            watcher,
            wanted,
        } => {
            let result = if cx.st.users.contains_key(&presentity) {
                Ok(Box::new(presence::view(cx, &presentity, &watcher, wanted)))
            } else {
                Err(StatusCode::UNKNOWN_USER)
            };
            cx.route(Event::Seen {
                op,
                index,
                presentity,
                result,
            });
        }
        Event::Seen {
            op,
            index,
            presentity,
            result,
        } => reply(cx, op, index, |waiting| match waiting {
            Op::Peek(peek) => peek.record(index, presentity, result.map(|b| *b)),
            Op::Map(map) => map.record(result.map(|b| *b)),
            _ => {}
        }),
        Event::Watch {
            watcher_sid,
            watcher,
            presentity,
            wanted,
            reply,
        } => {
            let known = presence::apply_watch(cx, &watcher_sid, &watcher, &presentity, wanted);
            if !known {
                cx.route(Event::Dropped {
                    watcher_sid,
                    presentity: presentity.clone(),
                });
            }
            if let Some((op, index)) = reply {
                cx.route(Event::Known {
                    op,
                    index,
                    user: presentity,
                    known,
                });
            }
        }
        Event::Unwatch {
            watcher_sid,
            watcher_user,
            presentity,
        } => presence::apply_unwatch(cx, &watcher_sid, &watcher_user, &presentity),
        Event::Notify {
            watcher,
            sessions,
            presentity,
            view,
        } => presence::apply_notify(cx, &watcher, &sessions, &presentity, *view),
        Event::GroupExists {
            op,
            index,
            group,
            home,
            sname,
        } => {
            let g = cx.st.users.get(&home).and_then(|u| u.groups.get(&group));
            let (known, key) = match &sname {
                Some(s) => (
                    g.is_some_and(|g| g.by_sname(s).is_some()),
                    crate::feature::verify::sname_key(&group, s),
                ),
                None => (g.is_some(), crate::feature::verify::group_key(&group)),
            };
            cx.route(Event::Known {
                op,
                index,
                user: key,
                known,
            });
        }
        Event::Exists { op, index, user } => {
            let known = cx.st.users.contains_key(&user);
            cx.route(Event::Known {
                op,
                index,
                user,
                known,
            });
        }
        Event::Known {
            op,
            index,
            user,
            known,
        } => reply(cx, op, index, |waiting| match waiting {
            Op::Watch(w) => w.record(index, known),
            Op::Check(c) => c.record(user, known),
            _ => {}
        }),
        Event::Dropped {
            watcher_sid,
            presentity,
        } => {
            // No such presentity: the subscription goes (and with it nothing was seen).
            if let Some(s) = cx.st.sessions.get_mut(&watcher_sid) {
                s.subscriptions.remove(&presentity);
            }
        }
        Event::Group {
            reply,
            index,
            group,
            home,
            from,
            call,
        } => group::apply(cx, reply, index, group, home, from, call),
        Event::GroupDone {
            op,
            index,
            sid,
            version,
            group,
            joined,
            result,
        } => group::done(cx, op, index, &sid, &group, joined, (version, result)),
        Event::ToSession {
            sid,
            primitive,
            left,
            about,
            ..
        } => group::to_session(cx, &sid, *primitive, left.as_deref(), about.as_deref()),
        Event::Invite {
            op,
            index,
            to,
            invitation,
        } => {
            let result = invite::apply_invite(cx, &to, *invitation);
            cx.route(Event::Invited {
                op,
                index,
                to,
                result,
            });
        }
        Event::Invited {
            op,
            index,
            to,
            result,
        } => reply(cx, op, index, |waiting| {
            invite::invited(waiting, to, result)
        }),
        Event::CancelInvite {
            to,
            inviter,
            invite_id,
            notice,
        } => invite::apply_cancel(cx, &to, &inviter, &invite_id, *notice),
        Event::ToUser { user, primitive } => invite::apply_to_user(cx, &user, *primitive),
        Event::JoinedOf { op, index, user } => {
            let groups = crate::feature::search::joined_of(cx, &user);
            cx.route(Event::JoinedList { op, index, groups });
        }
        Event::JoinedList { op, index, groups } => reply(cx, op, index, |waiting| {
            if let Op::Search(s) = waiting {
                s.record(groups);
            }
        }),
        Event::Profile {
            op,
            index,
            user,
            asker,
        } => {
            let result = crate::feature::profile::read(cx, &user, &asker);
            cx.route(Event::Profiled {
                op,
                index,
                user,
                result,
            });
        }
        Event::Profiled {
            op,
            index,
            user,
            result,
        } => reply(cx, op, index, |waiting| {
            if let Op::Profile(p) = waiting {
                p.record(index, user, result);
            }
        }),
    }
}

/// Reply `index` for a parked request's slot: `record` takes it in; the slot is answered when
/// it waits for nothing more. A reply that comes again (at-least-once delivery) or after the
/// request was answered changes nothing.
pub(crate) fn reply(cx: &mut Cx<'_>, op: OpRef, index: usize, record: impl FnOnce(&mut Op)) {
    let done = match cx.st.pending.get_mut(&op.op) {
        Some(p) if p.replied.contains(&(op.slot, index)) => false,
        Some(p) => match p.slots.get_mut(op.slot) {
            Some(Slot::Waiting { op: waiting, .. }) => {
                p.replied.insert((op.slot, index));
                record(waiting);
                waiting.waiting() == 0
            }
            _ => false,
        },
        None => false,
    };
    if done {
        finish_slot(cx, op);
    }
}

/// What a parked transaction waits for.
pub(crate) enum Op {
    /// SendMessage / ForwardMessage: the recipients' owners.
    Send(im::SendOp),
    /// GetPresence: the presentities' owners.
    Peek(presence::PeekOp),
    /// Subscribe/UnsubscribePresence: whether the presentities exist.
    Watch(presence::WatchOp),
    /// Requests naming users that must exist: whether they do.
    Check(Box<CheckOp>),
    /// Group requests: the group's owner.
    Group(group::GroupOp),
    /// Invite-Request: the invitees' owners.
    Invite(invite::InviteOp),
    /// GetPublicProfile: the users' owners.
    Profile(crate::feature::profile::ProfileOp),
    /// GetMap of a user: its owner's view of the user's location.
    Map(crate::feature::map::MapOp),
    /// Search for the groups a user is joined to: that user's shard.
    Search(Box<crate::feature::search::SearchOp>),
}

impl Op {
    /// Replies still expected.
    pub(crate) fn waiting(&self) -> usize {
        match self {
            Op::Send(s) => s.pending(),
            Op::Peek(p) => p.waiting,
            Op::Watch(w) => w.waiting,
            Op::Check(c) => c.waiting,
            Op::Group(g) => g.waiting,
            Op::Invite(i) => i.waiting,
            Op::Profile(p) => p.waiting,
            Op::Map(m) => m.waiting,
            Op::Search(s) => s.waiting,
        }
    }

    /// The answer, once nothing is expected (on the shard of `sid`, the requesting session).
    pub(crate) fn answer(self, cx: &mut Cx<'_>, sid: &str) -> Option<Primitive> {
        match self {
            Op::Send(s) => s.answer(),
            Op::Peek(p) => Some(p.answer()),
            Op::Watch(w) => Some(w.answer()),
            Op::Check(c) => c.answer(cx, sid).into_primitive(),
            Op::Group(g) => g.answer(),
            Op::Invite(i) => Some(i.answer()),
            Op::Profile(p) => Some(p.answer()),
            Op::Map(m) => Some(m.answer()),
            Op::Search(s) => s.answer(cx, sid).into_primitive(),
        }
    }
}

/// A request naming users that must exist (contact-list members, attribute-list and
/// reactive-authorisation entries), waiting for their owners to say which do.
pub(crate) struct CheckOp {
    /// Answers not yet in.
    pub waiting: usize,
    /// The users that exist.
    known: HashSet<String>,
    then: Then,
}

/// What to do once the users are known.
pub(crate) enum Then {
    CreateList(CreateListRequest),
    ListManage(ListManageRequest),
    CreateAttributeList(CreateAttributeListRequest),
    AuthUser(PresenceAuthUser),
    CancelAuth(CancelAuthRequest),
    VerifyId(Box<imps_csp::model::fundamental::IdList>),
}

impl CheckOp {
    /// A check with nothing asked yet (the caller counts what it asks in `waiting`).
    pub(crate) fn new(then: Then) -> CheckOp {
        CheckOp {
            waiting: 0,
            known: HashSet::default(),
            then,
        }
    }

    /// One owner's answer.
    pub(crate) fn record(&mut self, user: String, known: bool) {
        if known {
            self.known.insert(user);
        }
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// The request, carried out now that the users are known.
    pub(crate) fn answer(self, cx: &mut Cx<'_>, sid: &str) -> Reply {
        let known = &self.known;
        match self.then {
            Then::CreateList(r) => contacts::create_list_now(cx, sid, r, known),
            Then::ListManage(r) => contacts::list_manage_now(cx, sid, r, known),
            Then::CreateAttributeList(r) => presence::create_attribute_list_now(cx, sid, r, known),
            Then::AuthUser(r) => presence::auth_user_now(cx, sid, r, known),
            Then::CancelAuth(r) => presence::cancel_auth_now(cx, sid, r, known),
            Then::VerifyId(ids) => crate::feature::verify::verify_now(cx, sid, *ids, known),
        }
    }
}

/// Asks the owners of `names` (as a request gave them) whether they exist
/// ([`Event::Exists`]); `then` runs when all have answered.
pub(crate) fn ask_exists(cx: &mut Cx<'_>, names: &[String], then: Then) -> Reply {
    let Some(op_ref) = cx.op else {
        return crate::engine::fail(StatusCode::INTERNAL_ERROR);
    };
    let ids: crate::unique::Unique = names.iter().filter_map(|n| cx.addr(n)).collect();
    let mut op = CheckOp {
        waiting: 0,
        known: HashSet::default(),
        then,
    };
    for (index, user) in ids.into_vec().into_iter().enumerate() {
        op.waiting += 1;
        cx.route(Event::Exists {
            op: op_ref,
            index,
            user,
        });
    }
    Reply::Later(Op::Check(Box::new(op)))
}

/// A request message parked until other owners answered.
pub(crate) struct PendingRequest {
    /// Whom the answer goes to (the caller waiting for it).
    pub ticket: u64,
    pub sid: String,
    pub version: CspVersion,
    pub fingerprint: u64,
    pub replayable: bool,
    pub polled: bool,
    pub slots: Vec<Slot>,
    /// Replies taken in, by (slot, index): a second copy of one is ignored.
    pub replied: HashSet<(usize, usize)>,
}

/// One transaction of a parked request. Slots live for the few steps a request is parked;
/// boxing the answered ones would cost an allocation per transaction on the common path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Slot {
    /// Answered (or needing no answer).
    Done(Option<Transaction>),
    /// Waiting for other owners.
    Waiting { tid: Option<String>, op: Op },
}

impl Slot {
    pub(crate) fn waiting(&self) -> bool {
        matches!(self, Slot::Waiting { .. })
    }
}

/// A slot's last reply came in: it becomes its answer, and the request is answered when it
/// was the last slot waiting.
fn finish_slot(cx: &mut Cx<'_>, op: OpRef) {
    let taken = cx.st.pending.get_mut(&op.op).and_then(|p| {
        let slot = p.slots.get_mut(op.slot)?;
        match std::mem::replace(slot, Slot::Done(None)) {
            Slot::Waiting { tid, op: waiting } => Some((p.sid.clone(), tid, waiting)),
            other => {
                *slot = other;
                None
            }
        }
    });
    let Some((sid, tid, waiting)) = taken else {
        return;
    };
    let reply = waiting.answer(cx, &sid);
    let Some(p) = cx.st.pending.get_mut(&op.op) else {
        return;
    };
    if let Some(slot) = p.slots.get_mut(op.slot) {
        *slot = Slot::Done(
            reply.map(|p| Transaction::new(imps_csp::TransactionMode::Response, tid, p)),
        );
    }
    if p.slots.iter().any(Slot::waiting) {
        return;
    }
    if let Some(p) = cx.st.pending.remove(&op.op) {
        let out = p
            .slots
            .into_iter()
            .filter_map(|s| match s {
                Slot::Done(t) => t,
                Slot::Waiting { .. } => None,
            })
            .collect();
        let response = crate::engine::finalize(
            cx,
            &p.sid,
            p.version,
            (p.fingerprint, p.ticket),
            p.replayable,
            p.polled,
            out,
        );
        cx.responses.push((p.ticket, response));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_stable_and_spreads_users() {
        assert_eq!(shard_of("wv:alice@localhost", 1), 0);
        let a = shard_of("wv:alice@localhost", 4);
        assert_eq!(
            a,
            shard_of("wv:alice@localhost", 4),
            "same user, same shard"
        );
        let mut counts = [0usize; 4];
        for i in 0..4000 {
            counts[shard_of(&format!("wv:user{i}@localhost"), 4)] += 1;
        }
        assert!(counts.iter().all(|&n| n > 800), "{counts:?}");
    }

    #[test]
    fn a_session_id_names_its_shard() {
        let sid = new_session_id(3, &mut crate::state::Entropy::default());
        assert_eq!(sid.len(), 32);
        assert_eq!(shard_of_session(&sid, 4), Some(3));
        assert_eq!(shard_of_session(&sid, 2), None, "no such shard");
        assert_eq!(shard_of_session("zz", 4), None);
        assert_eq!(shard_of_session("", 4), None);
    }
}
