//! Instant messaging (csp-reference.md §3.4): SendMessage to users and contact lists, push
//! (NewMessage) and notify/get (MessageNotification, GetMessage) delivery, the durable inbox
//! with Validity expiry, delivery reports, GetMessageList, RejectMessage, ForwardMessage,
//! SetDeliveryMethod, block and grant lists.
//!
//! The server fills Sender, MessageID and DateTime; the client's Sender is ignored. A message
//! is in its recipient's inbox (and in the store) until the recipient acknowledges it
//! (MessageDelivered, or Status 200 to the NewMessage), rejects it, or it expires.

use imps_csp::codec::{ContentData, DateTime};
use imps_csp::model::common::{CspResult, Recipient, Sender, Status};
use imps_csp::model::im::{
    AddList, BlockEntityRequest, BlockList, DeliveryReportRequest, EntityList,
    ForwardMessageRequest, ForwardMessageResponse, GetBlockedListResponse, GetMessageListRequest,
    GetMessageListResponse, GetMessageRequest, GetMessageResponse, GrantList, MessageInfo,
    MessageInfoList, MessageNotification, NewMessage, RejectMessageRequest, RemoveList,
    SendMessageRequest, SendMessageResponse, SetDeliveryMethodRequest,
};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};

use crate::engine::{fail, status, Cx, Reply};
use crate::feature::failures::Failures;
use crate::feature::{contacts, presence};
use crate::media::MediaType;
use crate::state::{About, DeliveryMethod, Queued, Stored, UserState};
use crate::store::{MessageRecord, Write};
use crate::unique::Unique;

/// Content size in bytes.
pub(crate) fn content_len(c: Option<&ContentData>) -> usize {
    match c {
        Some(ContentData::Text(t)) => t.len(),
        Some(ContentData::Binary(b)) => b.len(),
        None => 0,
    }
}

/// Whether `recipient` blocks messages and presence from `sender`. A block or grant list
/// may name the recipient's own contact lists (1.3 `ContactList`): their members count.
pub(crate) fn blocks(recipient: &UserState, sender: &str) -> bool {
    let b = &recipient.blocking;
    blocks_only(recipient, sender) || (b.grant_in_use && !listed(recipient, &b.grant, sender))
}

/// Whether `user`'s block list (in use) names `other` (the grant list aside): what 1.3's
/// JoinedBlocked / LeftBlocked show.
pub(crate) fn blocks_only(user: &UserState, other: &str) -> bool {
    user.blocking.block_in_use && listed(user, &user.blocking.block, other)
}

/// Whether `ids` (user ids, or `owner`'s contact lists) name `who`.
fn listed(owner: &UserState, ids: &[String], who: &str) -> bool {
    ids.iter().any(|x| {
        x == who
            || owner
                .lists
                .get(x)
                .is_some_and(|l| l.members.iter().any(|(m, _)| m == who))
    })
}

/// The content type of a message (`text/plain` when the client gave none).
pub(crate) fn content_type(info: &MessageInfo) -> String {
    info.content_type
        .as_deref()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "text/plain".into())
}

/// Why `recipient`'s live sessions cannot take this content, if they cannot.
fn content_refused(cx: &Cx<'_>, recipient: &str, ctype: &str, len: usize) -> bool {
    let Some(u) = cx.st.users.get(recipient) else {
        return false;
    };
    // A type that does not parse is compared by what it names before any parameter.
    let offered = MediaType::parse(ctype).unwrap_or_else(|| MediaType {
        essence: ctype
            .split(';')
            .next()
            .unwrap_or(ctype)
            .trim()
            .to_ascii_lowercase(),
        charset: None,
    });
    u.sessions
        .iter()
        .filter_map(|s| cx.st.sessions.get(s))
        .any(|s| {
            if !s.negotiated_capabilities {
                return false;
            }
            let type_ok = s.agreed.any_content
                || s.agreed.content_types.is_empty()
                || s.agreed.content_types.iter().any(|t| t.accepts(&offered));
            // A 1.3 session that may take segments is not refused a long message: it is
            // notified of it and fetches it in segments.
            let len_ok = s.agreed.content_length.is_none_or(|l| len <= l as usize)
                || crate::feature::segment::may_segment(s);
            !(type_ok && len_ok)
        })
}

/// A copy of a message for `recipient`, as the sender's shard builds it: MessageID, Sender,
/// DateTime and Validity filled, stored form encoded. `None` when it cannot be stored.
fn copy_for(
    cx: &mut Cx<'_>,
    sender: &str,
    recipient: &str,
    info: &MessageInfo,
    content: Option<&ContentData>,
    delivery_report: bool,
) -> Option<Stored> {
    let addressing = Addressing {
        sender: Sender::user(sender),
        recipient: Recipient::user(recipient),
        message_id: cx.st.rng.hex(12),
    };
    copy_addressed(
        cx,
        sender,
        recipient,
        info,
        content,
        delivery_report,
        addressing,
    )
}

/// How a copy shows its sender and recipient, and its MessageID.
pub(crate) struct Addressing {
    /// The `Sender` the recipient sees (a user, or a screen name in a group).
    pub sender: Sender,
    /// The `Recipient` it sees (the user, or the group).
    pub recipient: Recipient,
    /// The MessageID.
    pub message_id: String,
}

/// [`copy_for`] with the addressing given (group messages show screen names).
pub(crate) fn copy_addressed(
    cx: &mut Cx<'_>,
    sender: &str,
    recipient: &str,
    info: &MessageInfo,
    content: Option<&ContentData>,
    delivery_report: bool,
    addressing: Addressing,
) -> Option<Stored> {
    let now = cx.now;
    let validity = info
        .validity
        .unwrap_or(cx.cfg.default_validity)
        .min(cx.cfg.max_validity);
    let Addressing {
        sender: shown_sender,
        recipient: shown_recipient,
        message_id,
    } = addressing;
    let message = NewMessage {
        message_info: MessageInfo {
            message_id: Some(message_id.clone()),
            content_type: Some(content_type(info)),
            content_encoding: info.content_encoding.clone(),
            // The client's count (Android counts UTF-16 units, never more than the UTF-8
            // bytes); a larger one is a garbage integer (§11.1): the byte length then.
            content_size: Some({
                let bytes: u32 = content_len(content).try_into().unwrap_or(u32::MAX);
                info.content_size.filter(|&n| n <= bytes).unwrap_or(bytes)
            }),
            content_name: info.content_name.clone(),
            recipient: Some(shown_recipient),
            sender: Some(shown_sender),
            date_time: Some(DateTime::from_unix(now)),
            font: info.font.clone(),
            validity: Some(validity),
            ..Default::default()
        },
        content_data: content.cloned(),
    };
    let doc = WvCspMessage::new(
        CspVersion::V1_3,
        None,
        TransactionMode::Request,
        None,
        Primitive::NewMessage(message.clone()),
    );
    // Stored as WBXML (it carries any text a client could send; XML cannot carry C0
    // controls). A message that cannot be stored is refused, never answered 200 and lost.
    let document = match imps_csp::encode_wbxml(&doc) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "a message could not be stored: refused");
            return None;
        }
    };
    let record = MessageRecord {
        recipient: recipient.to_owned(),
        message_id,
        sender: sender.to_owned(),
        accepted_at: now,
        expires_at: now + u64::from(validity),
        delivery_report,
        document,
    };
    Some(Stored { record, message })
}

/// [`crate::route::Event::Deliver`] on the recipient's shard: the recipient's checks (it
/// exists, it does not block the sender, its inbox has room, its sessions take the content),
/// then inbox, store and queues. Idempotent by MessageID: a copy delivered again is not
/// stored twice.
pub(crate) fn deliver(
    cx: &mut Cx<'_>,
    stored: Stored,
    ctype: &str,
    len: usize,
) -> Result<String, StatusCode> {
    let (recipient, id) = (
        stored.record.recipient.clone(),
        stored.record.message_id.clone(),
    );
    if let Some(code) = cx.st.done.answer(&recipient, &id) {
        // The same Deliver again (the router delivers at least once): answered as before.
        return match code {
            200 => Ok(id),
            c => Err(StatusCode(c)),
        };
    }
    let result = take_in(cx, stored, ctype, len);
    if let Err(code) = &result {
        cx.st.done.insert(&recipient, &id, code.0, cx.now);
    }
    result
}

/// [`deliver`] for a message not seen before.
fn take_in(cx: &mut Cx<'_>, stored: Stored, ctype: &str, len: usize) -> Result<String, StatusCode> {
    let recipient = stored.record.recipient.clone();
    let sender = stored.record.sender.clone();
    let message_id = stored.record.message_id.clone();
    let Some(u) = cx.st.users.get(&recipient) else {
        return Err(StatusCode::UNKNOWN_USER);
    };
    if u.inbox.contains_key(&message_id) {
        // The same Deliver again, while the message waits in the inbox.
        return Ok(message_id);
    }
    if blocks(u, &sender) {
        return Err(StatusCode::RECIPIENT_BLOCKED_SENDER);
    }
    if u.inbox.len() >= cx.cfg.max_inbox
        || u.inbox_senders.get(&sender).copied().unwrap_or(0) >= cx.cfg.max_inbox_per_sender
    {
        return Err(StatusCode::MESSAGE_QUEUE_FULL);
    }
    if content_refused(cx, &recipient, ctype, len) {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    if let Some(g) = group_of(&stored.message) {
        // A group's messages are for the recipient's sessions joined to it: none (all left
        // or ended while the copy was on its way) and the copy is for nobody.
        if !u.sessions.iter().any(|sid| joined(cx, sid, g)) {
            return Err(StatusCode::NOT_JOINED);
        }
    }
    cx.writes.push(Write::PutMessage(stored.record.clone()));
    let expiry = (
        stored.record.expires_at,
        recipient.clone(),
        message_id.clone(),
    );
    let sessions = match cx.st.users.get_mut(&recipient) {
        Some(u) => {
            cx.st.expiries.insert(expiry);
            u.inbox_insert(message_id.clone(), stored);
            u.inbox_order.push_back(message_id.clone());
            u.sessions.clone()
        }
        None => Vec::new(),
    };
    for sid in sessions {
        queue_message_to_session(cx, &sid, &recipient, &message_id);
    }
    Ok(message_id)
}

/// The group a message went to, when it went to one: its Recipient names the group, or a
/// screen name in it (a private message).
pub(crate) fn group_of(message: &NewMessage) -> Option<&str> {
    let g = message.message_info.recipient.as_ref()?.group.first()?;
    g.group_id
        .as_deref()
        .or_else(|| g.screen_name.as_ref().map(|s| s.group_id.as_str()))
}

/// Whether session `sid` is joined to `group` (and so takes its messages).
fn joined(cx: &Cx<'_>, sid: &str, group: &str) -> bool {
    cx.st
        .sessions
        .get(sid)
        .is_some_and(|s| s.groups.contains(group))
}

/// After a session of `user` left `groups` (or ended): the messages of those groups waiting
/// for the user that none of its sessions is joined to any more are dropped, durably. A
/// group's messages are for its joined sessions; a later session, or one that did not join,
/// never gets them.
pub(crate) fn drop_group_messages(cx: &mut Cx<'_>, user: &str, groups: &[String]) {
    let Some(u) = cx.st.users.get(user) else {
        return;
    };
    let stale: Vec<String> = u
        .inbox_order
        .iter()
        .filter(|id| {
            u.inbox
                .get(id.as_str())
                .and_then(|m| group_of(&m.message))
                .is_some_and(|g| {
                    groups.iter().any(|x| x == g)
                        && !u.sessions.iter().any(|sid| joined(cx, sid, g))
                })
        })
        .cloned()
        .collect();
    for id in stale {
        tracing::debug!(user = %user, message = %id, "group message for no joined session: dropped");
        take(cx, user, &id);
    }
}

/// A SendMessage (or ForwardMessage) waiting for its recipients' owners.
pub(crate) struct SendOp {
    /// Copies to recipients named directly, and groups, not yet answered.
    pub waiting: usize,
    /// Copies of group messages the groups' owners sent, and those answered so far (a copy's
    /// answer may come before its group's).
    group_copies: (usize, usize),
    /// MessageIDs of the group messages sent.
    group_ids: Vec<String>,
    /// The groups the message went to, by position (a copy's index tells its group).
    groups: Vec<String>,
    /// Failures known on the sender's side (contact lists, groups, copies not stored).
    failures: Failures,
    /// The owners' answers: (position among the recipients, recipient, result).
    results: Vec<(usize, String, Result<String, StatusCode>)>,
    /// Answer as a ForwardMessage of this version.
    forward: Option<CspVersion>,
    /// Recipients named directly, as the request spelt them (an unknown one is reported so).
    given: crate::hash::HashMap<String, String>,
}

impl SendOp {
    /// One owner's answer.
    pub(crate) fn record(
        &mut self,
        index: usize,
        recipient: String,
        result: Result<String, StatusCode>,
    ) {
        if index >= crate::feature::group::GROUP_COPY {
            // A copy of a group message: who got it stays with the group (screen names hide
            // user ids), and so does who refused it. A copy that could not be stored is
            // reported for its group: the sender must not take it for delivered.
            self.group_copies.1 += 1;
            if let Err(code) = result {
                tracing::debug!(recipient = %recipient, code = code.0, "group message copy refused");
                let unstored =
                    code == StatusCode::INTERNAL_ERROR || code == StatusCode::SERVICE_UNAVAILABLE;
                let position =
                    (index - crate::feature::group::GROUP_COPY) / crate::feature::group::GROUP_SPAN;
                if let (true, Some(g)) = (unstored, self.groups.get(position)) {
                    self.failures.add_group(code, g.clone());
                }
            }
            return;
        }
        self.results.push((index, recipient, result));
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// A group's owner sent `copies` copies of the message to `group` (or refused it).
    pub(crate) fn fanned_out(
        &mut self,
        group: &str,
        copies: usize,
        message_id: String,
        refused: Option<StatusCode>,
    ) {
        self.waiting = self.waiting.saturating_sub(1);
        match refused {
            Some(code) => self.failures.add_group(code, group.to_owned()),
            None => {
                self.group_copies.0 += copies;
                self.group_ids.push(message_id);
            }
        }
    }

    /// Answers still expected.
    pub(crate) fn pending(&self) -> usize {
        self.waiting + self.group_copies.0.saturating_sub(self.group_copies.1)
    }

    /// The answer, once every owner answered.
    pub(crate) fn answer(mut self) -> Option<Primitive> {
        self.results.sort_by_key(|(i, _, _)| *i);
        let mut accepted = Vec::new();
        let group_ids = std::mem::take(&mut self.group_ids);
        for (_, recipient, result) in self.results {
            match result {
                Ok(id) => accepted.push(id),
                Err(code) if code == StatusCode::UNKNOWN_USER => {
                    let named = self.given.remove(&recipient).unwrap_or(recipient);
                    self.failures.add(code, named)
                }
                Err(code) => self.failures.add(code, recipient),
            }
        }
        accepted.extend(group_ids);
        let reply = if accepted.is_empty() {
            Primitive::Status(Status {
                result: self.failures.result(false),
                client_id: None,
            })
        } else {
            // One MessageID is returned; with several recipients it is the first copy's.
            Primitive::SendMessageResponse(SendMessageResponse {
                result: self.failures.result(true),
                message_id: accepted.into_iter().next(),
            })
        };
        Some(match (self.forward, reply) {
            (None, reply) => reply,
            (Some(v), Primitive::SendMessageResponse(resp)) => {
                if v >= CspVersion::V1_3 && resp.result.code == StatusCode::SUCCESS {
                    Primitive::ForwardMessageResponse(ForwardMessageResponse {
                        message_id: resp.message_id,
                    })
                } else {
                    Primitive::Status(Status {
                        result: resp.result,
                        client_id: None,
                    })
                }
            }
            (Some(_), other) => other,
        })
    }
}

/// Queues one inbox message to one session of its recipient, by the session's delivery
/// method.
pub(crate) fn queue_message_to_session(cx: &mut Cx<'_>, sid: &str, user: &str, id: &str) {
    let Some(stored) = cx.st.users.get(user).and_then(|u| u.inbox.get(id)) else {
        return;
    };
    // A group's messages go to the sessions joined to it, by the method the session chose
    // for that group, if it did.
    let group = group_of(&stored.message);
    if group.is_some_and(|g| !joined(cx, sid, g)) {
        return;
    }
    let len = content_len(stored.message.content_data.as_ref());
    let method = cx.st.sessions.get(sid).map_or(DeliveryMethod::Push, |s| {
        let too_long = s.agreed.content_length.is_some_and(|l| len > l as usize);
        if too_long && crate::feature::segment::may_segment(s) {
            // Longer than a 1.3 session takes pushed: notified, and fetched with GetMessage
            // in segments. (Older sessions get it whole, as before: it reached them only
            // because they were offline when it was sent.)
            return DeliveryMethod::Notify;
        }
        group
            .and_then(|g| s.group_delivery.get(g).copied())
            .unwrap_or(s.agreed.delivery)
    });
    let message = cx.st.sessions.get(sid).map_or_else(
        || stored.message.clone(),
        |s| for_session(&s.agreed, &stored.message),
    );
    let primitive = match method {
        DeliveryMethod::Push => Primitive::NewMessage(message),
        DeliveryMethod::Notify => Primitive::MessageNotification(MessageNotification {
            message_info: message.message_info,
        }),
    };
    cx.queue(
        sid,
        Queued {
            primitive: Some(Box::new(primitive)),
            about: About::Message(id.to_owned()),
        },
    );
}

/// SendMessage-Request: a copy per recipient goes to the recipient's owner
/// ([`crate::route::Event::Deliver`]); the answer leaves when every owner answered.
pub(crate) fn send(cx: &mut Cx<'_>, sid: &str, r: SendMessageRequest) -> Reply {
    send_as(cx, sid, r, None)
}

fn send_as(
    cx: &mut Cx<'_>,
    sid: &str,
    r: SendMessageRequest,
    forward: Option<CspVersion>,
) -> Reply {
    let sender = cx.user_of(sid);
    let info = r.message_info;
    let len = content_len(r.content_data.as_ref());
    if len > cx.cfg.max_message_bytes as usize {
        return fail(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    if !take_send_token(cx, &sender) {
        tracing::warn!(user = %sender, "sending too fast: 503");
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    }
    let ctype = content_type(&info);
    let recipient = info.recipient.clone().unwrap_or_default();
    let mut failures = Failures::default();
    let mut targets = Unique::default();
    let mut given = crate::hash::HashMap::default();
    for u in &recipient.user {
        match cx.addr(&u.user_id) {
            Some(a) => {
                given.entry(a.clone()).or_insert_with(|| u.user_id.clone());
                targets.insert(a);
            }
            None => failures.add(StatusCode::UNKNOWN_USER, u.user_id.clone()),
        }
    }
    for l in &recipient.contact_list {
        match contacts::members(cx, &sender, l) {
            Some(members) => targets.extend(members),
            None => failures.add(StatusCode::CONTACT_LIST_DOES_NOT_EXIST, l.clone()),
        }
    }
    if targets.is_empty() && failures.is_empty() && recipient.group.is_empty() {
        return fail(StatusCode::BAD_PARAMETER);
    }
    if targets.len() > cx.cfg.max_recipients
        || len.saturating_mul(targets.len()) > cx.cfg.max_fanout_bytes
    {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let report = r.delivery_report == Some(true);
    let mut op = SendOp {
        waiting: 0,
        group_copies: (0, 0),
        group_ids: Vec::new(),
        groups: Vec::new(),
        failures,
        results: Vec::new(),
        forward,
        given,
    };
    let Some(op_ref) = cx.op else {
        // Only requests in a session send messages, and they always have a slot.
        return fail(StatusCode::INTERNAL_ERROR);
    };
    for (index, t) in targets.into_vec().into_iter().enumerate() {
        match copy_for(cx, &sender, &t, &info, r.content_data.as_ref(), report) {
            Some(stored) => {
                op.waiting += 1;
                cx.route(crate::route::Event::Deliver {
                    op: op_ref,
                    index,
                    stored: Box::new(stored),
                    content_type: ctype.clone(),
                    len,
                });
            }
            None => op.results.push((index, t, Err(StatusCode::INTERNAL_ERROR))),
        }
    }
    let groups = recipient.group.iter().take(cx.cfg.max_recipients);
    for (i, g) in groups.enumerate() {
        let index = crate::feature::group::GROUP_COPY + i * crate::feature::group::GROUP_SPAN;
        let message = (&info, r.content_data.as_ref());
        match crate::feature::group::send_to(cx, sid, (op_ref, index), g, message) {
            Ok(id) => {
                op.waiting += 1;
                op.groups.push(id);
            }
            Err((code, id)) => {
                op.failures.add_group(code, id);
                op.groups.push(String::new());
            }
        }
    }
    Reply::Later(crate::route::Op::Send(op))
}

/// Takes one of `user`'s send tokens (a bucket of `messages_burst`, refilled at
/// `messages_per_second`); false when there is none.
pub(crate) fn take_send_token(cx: &mut Cx<'_>, user: &str) -> bool {
    let (burst, rate, now) = (cx.cfg.messages_burst, cx.cfg.messages_per_second, cx.now);
    let Some(u) = cx.st.users.get_mut(user) else {
        return false;
    };
    let (tokens, at) = u.send_tokens;
    let level = (tokens.min(burst) + now.saturating_sub(at) as f64 * rate).min(burst);
    if level < 1.0 {
        u.send_tokens = (level, now);
        return false;
    }
    u.send_tokens = (level - 1.0, now);
    true
}

/// Removes a message from its recipient's inbox and every queue; returns it.
fn take(cx: &mut Cx<'_>, user: &str, id: &str) -> Option<Stored> {
    let u = cx.st.users.get_mut(user)?;
    let stored = u.inbox_remove(id)?;
    u.inbox_order.retain(|x| x != id);
    cx.st
        .expiries
        .remove(&(stored.record.expires_at, user.to_owned(), id.to_owned()));
    let sessions = u.sessions.clone();
    for sid in sessions {
        if let Some(s) = cx.st.sessions.get_mut(&sid) {
            let is_it = |a: &About| matches!(a, About::Message(m) if m == id);
            s.outbox.retain(|q| !is_it(&q.about));
            s.in_flight.retain(|(_, q, _)| !is_it(&q.about));
        }
    }
    cx.writes
        .push(Write::DeleteMessage(user.to_owned(), id.to_owned()));
    cx.st.done.insert(user, id, 200, cx.now);
    Some(stored)
}

/// Sends a DeliveryReport-Request to the sender of `stored` (through the sender's owner), if
/// it asked for one.
fn report(cx: &mut Cx<'_>, stored: &Stored, code: StatusCode) {
    if !stored.record.delivery_report {
        return;
    }
    let report = DeliveryReportRequest {
        result: CspResult::new(code),
        delivery_time: Some(DateTime::from_unix(cx.now)),
        message_info: stored.message.message_info.clone(),
    };
    cx.route(crate::route::Event::Report {
        sender: stored.record.sender.clone(),
        report: Box::new(report),
    });
}

/// [`crate::route::Event::Report`] on the sender's shard: queued to its sessions, or kept
/// durably for its next login.
pub(crate) fn apply_report(cx: &mut Cx<'_>, sender: &str, report: DeliveryReportRequest) {
    let Some(u) = cx.st.users.get_mut(sender) else {
        return;
    };
    if u.sessions.is_empty() {
        // The sender is offline: the report waits, durably, for its next login.
        if u.pending_reports.len() >= MAX_PENDING_REPORTS {
            u.pending_reports.pop_front();
        }
        u.pending_reports.push_back(report);
        cx.reports_changed.insert(sender.to_owned());
        return;
    }
    cx.queue_user(
        sender,
        Queued {
            primitive: Some(Box::new(Primitive::from(report))),
            about: About::Other,
        },
    );
}

/// Delivery reports kept for an offline sender, at most (the oldest go first).
const MAX_PENDING_REPORTS: usize = 256;

/// The kind of the stored document holding a user's pending delivery reports.
pub(crate) const REPORTS_DOCUMENT: &str = "reports";

/// Saves `user`'s pending delivery reports: a JSON array of CSP 1.3 XML documents, one
/// DeliveryReport-Request each.
pub(crate) fn save_pending_reports(cx: &mut Cx<'_>, user: &str) {
    let Some(u) = cx.st.users.get(user) else {
        return;
    };
    let docs: Vec<String> = u
        .pending_reports
        .iter()
        .filter_map(|r| {
            let m = WvCspMessage::new(
                CspVersion::V1_3,
                None,
                TransactionMode::Request,
                None,
                Primitive::from(r.clone()),
            );
            imps_csp::encode_xml(&m).ok()
        })
        .collect();
    cx.writes
        .extend(Write::json_document(user, REPORTS_DOCUMENT, &docs));
}

/// Hands the delivery reports that waited for `user` to session `sid`.
pub(crate) fn queue_pending_reports(cx: &mut Cx<'_>, sid: &str, user: &str) {
    let Some(u) = cx.st.users.get_mut(user) else {
        return;
    };
    if u.pending_reports.is_empty() {
        return;
    }
    let reports = std::mem::take(&mut u.pending_reports);
    cx.reports_changed.insert(user.to_owned());
    for r in reports {
        cx.queue(
            sid,
            Queued {
                primitive: Some(Box::new(Primitive::from(r))),
                about: About::Other,
            },
        );
    }
}

/// MessageDelivered (request or acknowledgement): the message leaves the inbox.
pub(crate) fn delivered(cx: &mut Cx<'_>, sid: &str, id: &str) -> Reply {
    let user = cx.user_of(sid);
    match take(cx, &user, id.trim()) {
        Some(stored) => {
            report(cx, &stored, StatusCode::SUCCESS);
            status(StatusCode::SUCCESS).into()
        }
        None => fail(StatusCode::INVALID_MESSAGE_ID),
    }
}

/// SetDeliveryMethod-Request.
pub(crate) fn set_delivery_method(
    cx: &mut Cx<'_>,
    sid: &str,
    r: SetDeliveryMethodRequest,
) -> Reply {
    let method = match r.delivery_method.trim() {
        "P" => DeliveryMethod::Push,
        "N" => DeliveryMethod::Notify,
        _ => return fail(StatusCode::BAD_PARAMETER),
    };
    let max = cx.cfg.max_message_bytes;
    let group = match &r.group_id {
        None => None,
        Some(g) => match crate::feature::group::locate(cx, g) {
            Some((id, _)) => Some(id),
            None => return fail(StatusCode::GROUP_DOES_NOT_EXIST),
        },
    };
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    if let Some(g) = group {
        // For the messages of one group the session is joined to (808 otherwise); kept while
        // it stays joined.
        if !s.groups.contains(&g) {
            return fail(StatusCode::NOT_JOINED);
        }
        s.group_delivery.insert(g, method);
        return status(StatusCode::SUCCESS).into();
    }
    s.agreed.delivery = method;
    if let Some(l) = r.accepted_content_length {
        s.agreed.content_length = Some(l.clamp(256.min(max), max));
    }
    status(StatusCode::SUCCESS).into()
}

/// GetMessage-Request (notify/get): the message stays until MessageDelivered.
pub(crate) fn get_message(cx: &mut Cx<'_>, sid: &str, r: GetMessageRequest) -> Reply {
    let user = cx.user_of(sid);
    let Some(stored) = cx
        .st
        .users
        .get(&user)
        .and_then(|u| u.inbox.get(r.message_id.trim()))
    else {
        return fail(StatusCode::INVALID_MESSAGE_ID);
    };
    let message = match cx.st.sessions.get(sid) {
        Some(s) => for_session(&s.agreed, &stored.message),
        None => stored.message.clone(),
    };
    Primitive::GetMessageResponse(GetMessageResponse {
        message_info: message.message_info,
        content_data: message.content_data,
    })
    .into()
}

/// The message as a session that negotiated `agreed` gets it: text inline, in the charset
/// the session asked for (`AcceptedContentType text/plain; charset=...`), see
/// [`crate::media::deliver`].
fn for_session(agreed: &crate::state::Agreed, message: &NewMessage) -> NewMessage {
    use crate::media::Content;
    let info = &message.message_info;
    let base64 = info
        .content_encoding
        .as_deref()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("BASE64"));
    let content = match &message.content_data {
        Some(ContentData::Text(t)) => Some(Content::Text(t)),
        Some(ContentData::Binary(b)) => Some(Content::Bytes(b)),
        None => None,
    };
    let ctype = info.content_type.as_deref().unwrap_or("text/plain");
    let mut m = message.clone();
    if let Some(d) = crate::media::deliver(ctype, base64, content, &agreed.content_types) {
        m.message_info.content_type = Some(d.content_type);
        m.message_info.content_encoding = d.base64.then(|| "BASE64".to_owned());
        m.content_data = Some(ContentData::Text(d.content));
    }
    m
}

/// GetMessageList-Request: the undelivered messages, oldest first.
pub(crate) fn get_message_list(cx: &mut Cx<'_>, sid: &str, r: GetMessageListRequest) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    // With a GroupID: that group's messages, for a session joined to it; without: the
    // user's own messages (a group's are for its joined sessions only).
    let group = match r.group_id.as_deref() {
        None => None,
        Some(g) => match crate::feature::group::locate(cx, g) {
            Some((id, _)) if joined(cx, sid, &id) => Some(id),
            Some(_) => return fail(StatusCode::NOT_JOINED),
            None => return fail(StatusCode::GROUP_DOES_NOT_EXIST),
        },
    };
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let max = r.message_count.map_or(usize::MAX, |c| c as usize);
    let listed: Vec<&Stored> = u
        .inbox_order
        .iter()
        .filter_map(|id| u.inbox.get(id))
        .filter(|m| group_of(&m.message) == group.as_deref())
        .collect();
    let total = listed.len() as u32;
    let infos: Vec<MessageInfo> = listed
        .into_iter()
        .take(max)
        .map(|s| s.message.message_info.clone())
        .collect();
    let resp = if v >= CspVersion::V1_3 {
        GetMessageListResponse {
            message_info_list: Some(MessageInfoList {
                message_info: infos,
            }),
            message_total_count: Some(total),
            ..Default::default()
        }
    } else {
        GetMessageListResponse {
            message_info: infos,
            ..Default::default()
        }
    };
    Primitive::GetMessageListResponse(resp).into()
}

/// RejectMessage-Request: the messages are discarded; senders that asked get 538.
pub(crate) fn reject(cx: &mut Cx<'_>, sid: &str, r: RejectMessageRequest) -> Reply {
    let user = cx.user_of(sid);
    let mut failures = Failures::default();
    let mut any = false;
    for id in &r.message_id {
        match take(cx, &user, id.trim()) {
            Some(stored) => {
                any = true;
                report(cx, &stored, StatusCode::MESSAGE_REJECTED);
            }
            None => failures.add(StatusCode::INVALID_MESSAGE_ID, id.clone()),
        }
    }
    let mut result = failures.result(any);
    // The identifiers of failed ids are message ids, not user ids.
    for d in &mut result.detailed {
        d.message_id = std::mem::take(&mut d.user_id);
    }
    Primitive::Status(Status {
        result,
        client_id: None,
    })
    .into()
}

/// ForwardMessage-Request: a copy of an inbox message goes to new recipients, sent by the
/// forwarding user (the server never lets a client speak for someone else).
pub(crate) fn forward(cx: &mut Cx<'_>, sid: &str, r: ForwardMessageRequest) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(stored) = cx
        .st
        .users
        .get(&user)
        .and_then(|u| u.inbox.get(r.message_id.trim()))
        .cloned()
    else {
        return fail(StatusCode::INVALID_MESSAGE_ID);
    };
    let mut info = stored.message.message_info.clone();
    info.recipient = Some(r.recipient);
    send_as(
        cx,
        sid,
        SendMessageRequest {
            delivery_report: Some(false),
            message_info: info,
            content_data: stored.message.content_data.clone(),
        },
        Some(v),
    )
}

/// An EntityList of stored ids: contact-list ids (they have a resource part) as
/// `ContactList`, the rest as `UserID`. Stored ids are normalised: they carry their domain,
/// so the default domain given to the parser is never used.
fn entities(ids: &[String]) -> EntityList {
    let (lists, users): (Vec<String>, Vec<String>) = ids.iter().cloned().partition(|id| {
        imps_csp::Address::parse_with_domain(id, "localhost").is_ok_and(|a| a.resource().is_some())
    });
    EntityList {
        user_id: users,
        contact_list: lists,
        ..Default::default()
    }
}

/// GetBlockedList-Request.
pub(crate) fn get_blocked(cx: &mut Cx<'_>, sid: &str) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let b = &u.blocking;
    let v13 = v >= CspVersion::V1_3;
    Primitive::from(GetBlockedListResponse {
        block_list: Some(BlockList {
            in_use: (!v13).then_some(b.block_in_use),
            entity_list: Some(entities(&b.block)),
            ..Default::default()
        }),
        block_list_in_use: v13.then_some(b.block_in_use),
        grant_list: Some(GrantList {
            in_use: (!v13).then_some(b.grant_in_use),
            entity_list: Some(entities(&b.grant)),
            ..Default::default()
        }),
        grant_list_in_use: v13.then_some(b.grant_in_use),
    })
    .into()
}

/// The stored ids of the entities named: users (and groups) as addresses, contact lists as
/// the owner's list ids.
fn entity_ids(
    cx: &Cx<'_>,
    owner: &str,
    users: &[String],
    groups: &[String],
    lists: &[String],
) -> Vec<String> {
    let norm = |raw: &String| cx.addr(raw).unwrap_or_else(|| raw.trim().to_owned());
    users
        .iter()
        .chain(groups)
        .map(norm)
        .chain(
            lists
                .iter()
                .map(|l| contacts::list_id(cx, owner, l).unwrap_or_else(|| l.trim().to_owned())),
        )
        .collect()
}

/// Applies an entity list, add list and remove list to one id list.
fn apply_list(
    list: &mut Vec<String>,
    entity: Option<Vec<String>>,
    add: Option<Vec<String>>,
    remove: Option<Vec<String>>,
) {
    let mut kept: Unique = match entity {
        Some(e) => e.into_iter().collect(),
        None => std::mem::take(list).into_iter().collect(),
    };
    kept.extend(add.unwrap_or_default());
    let gone: Unique = remove.unwrap_or_default().into_iter().collect();
    *list = kept.into_vec();
    list.retain(|x| !gone.contains(x));
}

/// BlockEntity-Request (1.1 BlockUser-Request).
pub(crate) fn block_entity(cx: &mut Cx<'_>, sid: &str, r: BlockEntityRequest) -> Reply {
    let user = cx.user_of(sid);
    let Some(mut b) = cx.st.users.get(&user).map(|u| u.blocking.clone()) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let entity = |e: &EntityList| entity_ids(cx, &user, &e.user_id, &e.group_id, &e.contact_list);
    let add = |a: &AddList| entity_ids(cx, &user, &a.user_id, &a.group_id, &a.contact_list);
    let remove = |a: &RemoveList| entity_ids(cx, &user, &a.user_id, &a.group_id, &a.contact_list);
    if let Some(bl) = &r.block_list {
        if let Some(x) = bl.in_use {
            b.block_in_use = x;
        }
        apply_list(
            &mut b.block,
            bl.entity_list.as_ref().map(entity),
            bl.add_list.as_ref().map(add),
            bl.remove_list.as_ref().map(remove),
        );
    }
    if let Some(gl) = &r.grant_list {
        if let Some(x) = gl.in_use {
            b.grant_in_use = x;
        }
        apply_list(
            &mut b.grant,
            gl.entity_list.as_ref().map(entity),
            gl.add_list.as_ref().map(add),
            gl.remove_list.as_ref().map(remove),
        );
    }
    if let Some(x) = r.block_list_in_use {
        b.block_in_use = x;
    }
    if let Some(x) = r.grant_list_in_use {
        b.grant_in_use = x;
    }
    let max = cx.cfg.max_block_entries;
    if b.block.len() > max || b.grant.len() > max {
        // Nothing is changed (the reference has no code of its own: the contact one).
        return fail(StatusCode::MAX_CONTACTS);
    }
    cx.writes
        .extend(Write::json_document(&user, "blocking", &b));
    let before = cx.st.users.get(&user).map(|u| u.blocking.clone());
    if let Some(u) = cx.st.users.get_mut(&user) {
        u.blocking = b.clone();
    }
    presence::notify_watchers(cx, &user, None);
    // The user's other sessions that asked are told what changed (1.3 notifications).
    if let Some(old) = before {
        use imps_csp::model::v13::NotificationRequest;
        let n = |kind: &str| NotificationRequest {
            notification_type: Some(kind.into()),
            ..Default::default()
        };
        if old.block != b.block {
            crate::feature::notify::simple(cx, &user, Some(sid), n("BLC"));
        }
        if old.block_in_use != b.block_in_use {
            let mut m = n("BLUC");
            m.block_list_in_use = Some(b.block_in_use);
            crate::feature::notify::simple(cx, &user, Some(sid), m);
        }
        if old.grant != b.grant {
            crate::feature::notify::simple(cx, &user, Some(sid), n("GLC"));
        }
        if old.grant_in_use != b.grant_in_use {
            let mut m = n("GLUC");
            m.grant_list_in_use = Some(b.grant_in_use);
            crate::feature::notify::simple(cx, &user, Some(sid), m);
        }
    }
    status(StatusCode::SUCCESS).into()
}

/// Discards expired messages (senders that asked get 542).
pub(crate) fn expire_messages(cx: &mut Cx<'_>) {
    while let Some(first) = cx.st.expiries.first() {
        if first.0 > cx.now {
            break;
        }
        let Some((_, user, id)) = cx.st.expiries.pop_first() else {
            break;
        };
        if let Some(stored) = take(cx, &user, &id) {
            tracing::info!(recipient = %user, message = %id, "message expired");
            report(cx, &stored, StatusCode::MESSAGE_EXPIRED);
        }
    }
}

#[cfg(test)]
mod group_copy_tests {
    use super::*;
    use crate::feature::group::GROUP_COPY;

    fn op() -> SendOp {
        SendOp {
            waiting: 1,
            group_copies: (0, 0),
            group_ids: Vec::new(),
            groups: vec!["wv:a/g@x".into()],
            failures: Failures::default(),
            results: Vec::new(),
            forward: None,
            given: Default::default(),
        }
    }

    /// A copy a recipient refused stays with the group (screen names hide who); a copy its
    /// owner could not store is reported for the group, so the sender never takes it for
    /// delivered (what a cluster router sends when a recipient's commit failed).
    #[test]
    fn a_group_copy_that_could_not_be_stored_is_reported_for_its_group() {
        let mut refused = op();
        refused.fanned_out("wv:a/g@x", 2, "m1".into(), None);
        refused.record(GROUP_COPY + 1, "wv:b@x".into(), Ok("m1".into()));
        refused.record(
            GROUP_COPY + 2,
            "wv:c@x".into(),
            Err(StatusCode::RECIPIENT_BLOCKED_SENDER),
        );
        assert_eq!(refused.pending(), 0);
        match refused.answer() {
            Some(Primitive::SendMessageResponse(r)) => {
                assert_eq!(r.result.code, StatusCode::SUCCESS);
                assert_eq!(r.message_id.as_deref(), Some("m1"));
            }
            other => panic!("{other:?}"),
        }

        let mut lost = op();
        // The copies' answers may come before the owner's count.
        lost.record(GROUP_COPY + 1, "wv:b@x".into(), Ok("m1".into()));
        lost.record(
            GROUP_COPY + 2,
            "wv:c@x".into(),
            Err(StatusCode::INTERNAL_ERROR),
        );
        assert_eq!(
            lost.pending(),
            1,
            "the group has not announced its copies yet"
        );
        lost.fanned_out("wv:a/g@x", 2, "m1".into(), None);
        assert_eq!(lost.pending(), 0);
        match lost.answer() {
            Some(Primitive::SendMessageResponse(r)) => {
                assert_eq!(r.result.code, StatusCode::PARTIALLY_SUCCESSFUL);
                assert_eq!(r.result.detailed[0].code, StatusCode::INTERNAL_ERROR);
                assert_eq!(r.result.detailed[0].group_id, vec!["wv:a/g@x".to_owned()]);
            }
            other => panic!("{other:?}"),
        }
    }
}
