//! Events as bytes, for a router that crosses processes (NATS, issue 10 point 2): every
//! [`Event`] has a serde form ([`WireEvent`]) in which the CSP values it carries (a message, a
//! delivery report, a presence view) travel as CSP 1.3 WBXML documents, the form the store
//! keeps them in. On one node events never take this form; the test below holds every event
//! kind to a lossless round trip.

// Its production user is the cluster router (a later issue); until then the simulation sends
// every event through it.
#![cfg_attr(not(test), allow(dead_code))]

use imps_csp::model::attributes::PresenceSubList;
use imps_csp::model::presence::UpdatePresenceRequest;
use imps_csp::{CspVersion, Limits, Primitive, StatusCode, TransactionMode, WvCspMessage};
use serde::{Deserialize, Serialize};

use super::{Event, OpRef};
use crate::state::{AttrSet, Stored};
use crate::store::MessageRecord;

/// A slot of a parked request, as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireOp {
    shard: usize,
    op: u64,
    slot: usize,
}

impl From<OpRef> for WireOp {
    fn from(o: OpRef) -> Self {
        WireOp {
            shard: o.shard,
            op: o.op,
            slot: o.slot,
        }
    }
}

impl From<WireOp> for OpRef {
    fn from(o: WireOp) -> Self {
        OpRef {
            shard: o.shard,
            op: o.op,
            slot: o.slot,
        }
    }
}

/// The serde form of an [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum WireEvent {
    Deliver {
        op: WireOp,
        index: usize,
        /// The message as stored: its `document` is the NewMessage in WBXML.
        record: MessageRecord,
        content_type: String,
        len: usize,
    },
    Delivered {
        op: WireOp,
        index: usize,
        recipient: String,
        result: Result<String, u16>,
    },
    Report {
        sender: String,
        /// The DeliveryReport-Request in WBXML.
        report: Vec<u8>,
    },
    Peek {
        op: WireOp,
        index: usize,
        presentity: String,
        watcher: String,
        wanted: Option<u32>,
    },
    Seen {
        op: WireOp,
        index: usize,
        presentity: String,
        /// The view as an UpdatePresence-Request in WBXML, or the status code.
        result: Result<Vec<u8>, u16>,
    },
    Watch {
        watcher_sid: String,
        watcher: String,
        presentity: String,
        wanted: Option<u32>,
        reply: Option<(WireOp, usize)>,
    },
    Unwatch {
        watcher_sid: String,
        watcher_user: String,
        presentity: String,
    },
    Notify {
        watcher: String,
        sessions: Vec<String>,
        presentity: String,
        view: Vec<u8>,
    },
    Exists {
        op: WireOp,
        index: usize,
        user: String,
    },
    GroupExists {
        op: WireOp,
        index: usize,
        group: String,
        home: String,
        sname: Option<String>,
    },
    Known {
        op: WireOp,
        index: usize,
        user: String,
        known: bool,
    },
    Dropped {
        watcher_sid: String,
        presentity: String,
    },
    Group {
        reply: Option<WireOp>,
        index: usize,
        group: String,
        home: String,
        sid: String,
        user: String,
        /// The requester's CSP version, `1.1` … `1.3`.
        version: String,
        /// The request in the requester's version, as WBXML; `None`: the session ended.
        request: Option<Vec<u8>>,
        /// Who invited the requester to the group (a JoinGroup to a group that requires an
        /// invitation).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        invited_by: Vec<String>,
    },
    GroupDone {
        op: WireOp,
        index: usize,
        sid: String,
        version: String,
        group: String,
        joined: Option<bool>,
        result: WireGroupResult,
    },
    ToSession {
        sid: String,
        version: String,
        /// The server request in the session's version, as WBXML.
        primitive: Vec<u8>,
        left: Option<String>,
        about: Option<String>,
    },
    Invite {
        op: WireOp,
        index: usize,
        to: String,
        invitation: crate::feature::invite::Invitation,
    },
    Invited {
        op: WireOp,
        index: usize,
        to: String,
        result: Result<(), u16>,
    },
    CancelInvite {
        to: String,
        inviter: String,
        invite_id: String,
        /// The CancelInviteUser-Request, CSP 1.3 WBXML.
        notice: Vec<u8>,
    },
    ToUser {
        user: String,
        /// The server request, CSP 1.3 WBXML.
        primitive: Vec<u8>,
    },
    Profile {
        op: WireOp,
        index: usize,
        user: String,
        asker: String,
    },
    JoinedOf {
        op: WireOp,
        index: usize,
        user: String,
    },
    JoinedList {
        op: WireOp,
        index: usize,
        groups: Vec<String>,
    },
    Profiled {
        op: WireOp,
        index: usize,
        user: String,
        result: Result<crate::feature::profile::Profile, u16>,
    },
}

/// The serde form of a group owner's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(crate) enum WireGroupResult {
    /// The answer in the requester's version, as WBXML.
    Answer { primitive: Vec<u8> },
    /// A GetJoinedUsers answer with who each screen name is.
    Joined {
        primitive: Vec<u8>,
        about: Vec<(String, String)>,
    },
    Fanout {
        copies: usize,
        message_id: String,
        refused: Option<u16>,
    },
}

/// Why bytes are no event.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    /// A CSP value could not be encoded.
    #[error("encode: {0}")]
    Encode(String),
    /// A CSP value in the bytes does not decode.
    #[error("decode: {0}")]
    Decode(String),
}

fn document(p: Primitive) -> Result<Vec<u8>, WireError> {
    let m = WvCspMessage::new(CspVersion::V1_3, None, TransactionMode::Request, None, p);
    imps_csp::encode_wbxml(&m).map_err(|e| WireError::Encode(e.to_string()))
}

fn document_in(version: CspVersion, p: Primitive) -> Result<Vec<u8>, WireError> {
    let m = WvCspMessage::new(version, None, TransactionMode::Request, None, p);
    imps_csp::encode_wbxml(&m).map_err(|e| WireError::Encode(e.to_string()))
}

fn version_of(s: &str) -> Result<CspVersion, WireError> {
    CspVersion::from_number(s).ok_or_else(|| WireError::Decode(format!("no version {s}")))
}

fn group_result_to(
    version: CspVersion,
    r: &crate::feature::group::GroupResult,
) -> Result<WireGroupResult, WireError> {
    use crate::feature::group::GroupResult;
    Ok(match r {
        GroupResult::Answer(p) => WireGroupResult::Answer {
            primitive: document_in(version, (**p).clone())?,
        },
        GroupResult::Joined { answer, about } => WireGroupResult::Joined {
            primitive: document_in(version, (**answer).clone())?,
            about: about.clone(),
        },
        GroupResult::Fanout {
            copies,
            message_id,
            refused,
        } => WireGroupResult::Fanout {
            copies: *copies,
            message_id: message_id.clone(),
            refused: refused.map(|c| c.0),
        },
    })
}

fn group_result_from(r: WireGroupResult) -> Result<crate::feature::group::GroupResult, WireError> {
    use crate::feature::group::GroupResult;
    Ok(match r {
        WireGroupResult::Answer { primitive: p } => GroupResult::Answer(Box::new(primitive(&p)?)),
        WireGroupResult::Joined {
            primitive: p,
            about,
        } => GroupResult::Joined {
            answer: Box::new(primitive(&p)?),
            about,
        },
        WireGroupResult::Fanout {
            copies,
            message_id,
            refused,
        } => GroupResult::Fanout {
            copies,
            message_id,
            refused: refused.map(StatusCode),
        },
    })
}

fn primitive(bytes: &[u8]) -> Result<Primitive, WireError> {
    let m = imps_csp::decode_wbxml(bytes, &Limits::default())
        .map_err(|e| WireError::Decode(e.to_string()))?;
    m.session
        .transactions
        .into_iter()
        .next()
        .map(|t| t.primitive)
        .ok_or_else(|| WireError::Decode("an empty document".into()))
}

fn view_bytes(v: &PresenceSubList) -> Result<Vec<u8>, WireError> {
    document(Primitive::from(UpdatePresenceRequest {
        presence_sub_list: v.clone(),
    }))
}

fn view_of(bytes: &[u8]) -> Result<PresenceSubList, WireError> {
    match primitive(bytes)? {
        Primitive::UpdatePresenceRequest(r) => Ok(r.presence_sub_list),
        other => Err(WireError::Decode(format!("{} is no view", other.name()))),
    }
}

/// An event in its serde form.
pub(crate) fn to_wire(e: &Event) -> Result<WireEvent, WireError> {
    Ok(match e {
        Event::Deliver {
            op,
            index,
            stored,
            content_type,
            len,
        } => WireEvent::Deliver {
            op: (*op).into(),
            index: *index,
            record: stored.record.clone(),
            content_type: content_type.clone(),
            len: *len,
        },
        Event::Delivered {
            op,
            index,
            recipient,
            result,
        } => WireEvent::Delivered {
            op: (*op).into(),
            index: *index,
            recipient: recipient.clone(),
            result: result.clone().map_err(|c| c.0),
        },
        Event::Report { sender, report } => WireEvent::Report {
            sender: sender.clone(),
            report: document(Primitive::from((**report).clone()))?,
        },
        Event::Peek {
            op,
            index,
            presentity,
            watcher,
            wanted,
        } => WireEvent::Peek {
            op: (*op).into(),
            index: *index,
            presentity: presentity.clone(),
            watcher: watcher.clone(),
            wanted: wanted.map(AttrSet::bits),
        },
        Event::Seen {
            op,
            index,
            presentity,
            result,
        } => WireEvent::Seen {
            op: (*op).into(),
            index: *index,
            presentity: presentity.clone(),
            result: match result {
                Ok(v) => Ok(view_bytes(v)?),
                Err(c) => Err(c.0),
            },
        },
        Event::Watch {
            watcher_sid,
            watcher,
            presentity,
            wanted,
            reply,
        } => WireEvent::Watch {
            watcher_sid: watcher_sid.clone(),
            watcher: watcher.clone(),
            presentity: presentity.clone(),
            wanted: wanted.map(AttrSet::bits),
            reply: reply.map(|(o, i)| (o.into(), i)),
        },
        Event::Unwatch {
            watcher_sid,
            watcher_user,
            presentity,
        } => WireEvent::Unwatch {
            watcher_sid: watcher_sid.clone(),
            watcher_user: watcher_user.clone(),
            presentity: presentity.clone(),
        },
        Event::Notify {
            watcher,
            sessions,
            presentity,
            view,
        } => WireEvent::Notify {
            watcher: watcher.clone(),
            sessions: sessions.clone(),
            presentity: presentity.clone(),
            view: view_bytes(view)?,
        },
        Event::Exists { op, index, user } => WireEvent::Exists {
            op: (*op).into(),
            index: *index,
            user: user.clone(),
        },
        Event::GroupExists {
            op,
            index,
            group,
            home,
            sname,
        } => WireEvent::GroupExists {
            op: (*op).into(),
            index: *index,
            group: group.clone(),
            home: home.clone(),
            sname: sname.clone(),
        },
        Event::Known {
            op,
            index,
            user,
            known,
        } => WireEvent::Known {
            op: (*op).into(),
            index: *index,
            user: user.clone(),
            known: *known,
        },
        Event::Dropped {
            watcher_sid,
            presentity,
        } => WireEvent::Dropped {
            watcher_sid: watcher_sid.clone(),
            presentity: presentity.clone(),
        },
        Event::Group {
            reply,
            index,
            group,
            home,
            from,
            call,
        } => WireEvent::Group {
            reply: reply.map(Into::into),
            index: *index,
            group: group.clone(),
            home: home.clone(),
            sid: from.sid.clone(),
            user: from.user.clone(),
            version: from.version.as_str().to_owned(),
            invited_by: from.invited_by.clone(),
            request: match call {
                crate::feature::group::GroupCall::Request(p) => {
                    Some(document_in(from.version, (**p).clone())?)
                }
                crate::feature::group::GroupCall::Gone => None,
            },
        },
        Event::GroupDone {
            op,
            index,
            sid,
            version,
            group,
            joined,
            result,
        } => WireEvent::GroupDone {
            op: (*op).into(),
            index: *index,
            sid: sid.clone(),
            version: version.as_str().to_owned(),
            group: group.clone(),
            joined: *joined,
            result: group_result_to(*version, result)?,
        },
        Event::Invite {
            op,
            index,
            to,
            invitation,
        } => WireEvent::Invite {
            op: (*op).into(),
            index: *index,
            to: to.clone(),
            invitation: (**invitation).clone(),
        },
        Event::Invited {
            op,
            index,
            to,
            result,
        } => WireEvent::Invited {
            op: (*op).into(),
            index: *index,
            to: to.clone(),
            result: result.map_err(|c| c.0),
        },
        Event::CancelInvite {
            to,
            inviter,
            invite_id,
            notice,
        } => WireEvent::CancelInvite {
            to: to.clone(),
            inviter: inviter.clone(),
            invite_id: invite_id.clone(),
            notice: document((**notice).clone())?,
        },
        Event::JoinedOf { op, index, user } => WireEvent::JoinedOf {
            op: (*op).into(),
            index: *index,
            user: user.clone(),
        },
        Event::JoinedList { op, index, groups } => WireEvent::JoinedList {
            op: (*op).into(),
            index: *index,
            groups: groups.clone(),
        },
        Event::Profile {
            op,
            index,
            user,
            asker,
        } => WireEvent::Profile {
            op: (*op).into(),
            index: *index,
            user: user.clone(),
            asker: asker.clone(),
        },
        Event::Profiled {
            op,
            index,
            user,
            result,
        } => WireEvent::Profiled {
            op: (*op).into(),
            index: *index,
            user: user.clone(),
            result: result.clone().map_err(|c| c.0),
        },
        Event::ToUser { user, primitive } => WireEvent::ToUser {
            user: user.clone(),
            primitive: document((**primitive).clone())?,
        },
        Event::ToSession {
            sid,
            version,
            primitive,
            left,
            about,
        } => WireEvent::ToSession {
            sid: sid.clone(),
            version: version.as_str().to_owned(),
            primitive: document_in(*version, (**primitive).clone())?,
            left: left.clone(),
            about: about.clone(),
        },
    })
}

/// The event a serde form stands for.
pub(crate) fn from_wire(w: WireEvent) -> Result<Event, WireError> {
    Ok(match w {
        WireEvent::Deliver {
            op,
            index,
            record,
            content_type,
            len,
        } => {
            let message = match primitive(&record.document)? {
                Primitive::NewMessage(m) => m,
                other => return Err(WireError::Decode(format!("{} is no message", other.name()))),
            };
            Event::Deliver {
                op: op.into(),
                index,
                stored: Box::new(Stored { record, message }),
                content_type,
                len,
            }
        }
        WireEvent::Delivered {
            op,
            index,
            recipient,
            result,
        } => Event::Delivered {
            op: op.into(),
            index,
            recipient,
            result: result.map_err(StatusCode),
        },
        WireEvent::Report { sender, report } => match primitive(&report)? {
            Primitive::DeliveryReportRequest(r) => Event::Report {
                sender,
                report: Box::new(*r),
            },
            other => return Err(WireError::Decode(format!("{} is no report", other.name()))),
        },
        WireEvent::Peek {
            op,
            index,
            presentity,
            watcher,
            wanted,
        } => Event::Peek {
            op: op.into(),
            index,
            presentity,
            watcher,
            wanted: wanted.map(AttrSet::from_bits),
        },
        WireEvent::Seen {
            op,
            index,
            presentity,
            result,
        } => Event::Seen {
            op: op.into(),
            index,
            presentity,
            result: match result {
                Ok(b) => Ok(Box::new(view_of(&b)?)),
                Err(c) => Err(StatusCode(c)),
            },
        },
        WireEvent::Watch {
            watcher_sid,
            watcher,
            presentity,
            wanted,
            reply,
        } => Event::Watch {
            watcher_sid,
            watcher,
            presentity,
            wanted: wanted.map(AttrSet::from_bits),
            reply: reply.map(|(o, i)| (o.into(), i)),
        },
        WireEvent::Unwatch {
            watcher_sid,
            watcher_user,
            presentity,
        } => Event::Unwatch {
            watcher_sid,
            watcher_user,
            presentity,
        },
        WireEvent::Notify {
            watcher,
            sessions,
            presentity,
            view,
        } => Event::Notify {
            watcher,
            sessions,
            presentity,
            view: Box::new(view_of(&view)?),
        },
        WireEvent::Exists { op, index, user } => Event::Exists {
            op: op.into(),
            index,
            user,
        },
        WireEvent::GroupExists {
            op,
            index,
            group,
            home,
            sname,
        } => Event::GroupExists {
            op: op.into(),
            index,
            group,
            home,
            sname,
        },
        WireEvent::Known {
            op,
            index,
            user,
            known,
        } => Event::Known {
            op: op.into(),
            index,
            user,
            known,
        },
        WireEvent::Dropped {
            watcher_sid,
            presentity,
        } => Event::Dropped {
            watcher_sid,
            presentity,
        },
        WireEvent::Group {
            reply,
            index,
            group,
            home,
            sid,
            user,
            version,
            request,
            invited_by,
        } => Event::Group {
            reply: reply.map(Into::into),
            index,
            group,
            home,
            from: crate::feature::group::Requester {
                sid,
                user,
                version: version_of(&version)?,
                invited_by,
            },
            call: match request {
                Some(b) => crate::feature::group::GroupCall::Request(Box::new(primitive(&b)?)),
                None => crate::feature::group::GroupCall::Gone,
            },
        },
        WireEvent::GroupDone {
            op,
            index,
            sid,
            version,
            group,
            joined,
            result,
        } => Event::GroupDone {
            op: op.into(),
            index,
            sid,
            version: version_of(&version)?,
            group,
            joined,
            result: group_result_from(result)?,
        },
        WireEvent::Invite {
            op,
            index,
            to,
            invitation,
        } => Event::Invite {
            op: op.into(),
            index,
            to,
            invitation: Box::new(invitation),
        },
        WireEvent::Invited {
            op,
            index,
            to,
            result,
        } => Event::Invited {
            op: op.into(),
            index,
            to,
            result: result.map_err(StatusCode),
        },
        WireEvent::CancelInvite {
            to,
            inviter,
            invite_id,
            notice,
        } => Event::CancelInvite {
            to,
            inviter,
            invite_id,
            notice: Box::new(primitive(&notice)?),
        },
        WireEvent::JoinedOf { op, index, user } => Event::JoinedOf {
            op: op.into(),
            index,
            user,
        },
        WireEvent::JoinedList { op, index, groups } => Event::JoinedList {
            op: op.into(),
            index,
            groups,
        },
        WireEvent::Profile {
            op,
            index,
            user,
            asker,
        } => Event::Profile {
            op: op.into(),
            index,
            user,
            asker,
        },
        WireEvent::Profiled {
            op,
            index,
            user,
            result,
        } => Event::Profiled {
            op: op.into(),
            index,
            user,
            result: result.map_err(StatusCode),
        },
        WireEvent::ToUser { user, primitive: p } => Event::ToUser {
            user,
            primitive: Box::new(primitive(&p)?),
        },
        WireEvent::ToSession {
            sid,
            version,
            primitive: p,
            left,
            about,
        } => Event::ToSession {
            sid,
            version: version_of(&version)?,
            primitive: Box::new(primitive(&p)?),
            left,
            about,
        },
    })
}

/// Every event of a seeded simulation run crosses the wire (serde JSON here) and comes back
/// the same.
#[cfg(test)]
pub(crate) fn round_trip(e: &Event) -> Result<(), String> {
    let w = to_wire(e).map_err(|x| x.to_string())?;
    let json = serde_json::to_vec(&w).map_err(|x| x.to_string())?;
    let back: WireEvent = serde_json::from_slice(&json).map_err(|x| x.to_string())?;
    let again = from_wire(back).map_err(|x| x.to_string())?;
    let w2 = to_wire(&again).map_err(|x| x.to_string())?;
    if w != w2 {
        return Err(format!("changed on the wire: {w:?} became {w2:?}"));
    }
    if format!("{e:?}") != format!("{again:?}") {
        return Err(format!("changed on the wire: {e:?} became {again:?}"));
    }
    Ok(())
}
