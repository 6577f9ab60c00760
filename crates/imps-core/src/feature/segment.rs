//! Segmentation (CSP 1.3, SGMNT; implementation-guidelines.md §10): an answer larger than the
//! ParserSize a 1.3 client negotiated is not sent whole. The server keeps the encoded answer in
//! segments and sends the first as a GetSegment-Response whose TransactionDescriptor carries
//! SegmentInfo (SegmentCount, SegmentID = the TransactionID and SegmentReference 1); the client
//! fetches the others with GetSegment-Request (SegmentReference 2 … SegmentCount), joins the
//! bytes and decodes them as the answer, or gives up with DropSegment-Request.

use std::collections::VecDeque;

use imps_csp::codec::ContentData;
use imps_csp::model::v13::{
    DropSegmentRequest, GetSegmentRequest, GetSegmentResponse, SegmentId, SegmentInfo,
};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};

use crate::engine::{fail, status, Cx, Reply};
use crate::state::SessionState;

/// Segmented answers kept per session (the oldest goes first), and for how long.
const MAX_KEPT: usize = 4;
const LIFETIME: u64 = 600;
/// Room left in a segment for the envelope around its content (XML namespaces included).
const ENVELOPE: usize = 1024;
/// The smallest ParserSize honoured (a smaller one would need absurdly many segments).
pub const MIN_PARSER_SIZE: usize = 2048;

/// One answer kept in segments.
#[derive(Clone, Debug)]
pub(crate) struct Segmented {
    /// The TransactionID of the answer.
    pub tid: String,
    /// Its encoded bytes, in segments.
    pub parts: Vec<Vec<u8>>,
    /// When it was kept.
    pub made: u64,
}

/// The segmented answers of a session.
pub(crate) type Kept = VecDeque<Segmented>;

/// Whether answers to session `s` may go in segments: a 1.3 session that did not leave SGMNT
/// out of its agreed functions.
pub(crate) fn may_segment(s: &SessionState) -> bool {
    s.version >= CspVersion::V1_3 && s.functions.as_ref().is_none_or(|f| f.contains("SGMNT"))
}

/// The size above which an answer to session `sid` goes in segments, for a session that may
/// use segmentation: its negotiated ParserSize; for an answer carrying a message
/// (GetMessage-Response) also the content length it accepts (AcceptedContentLength, 1.3
/// AcceptedPushLength / AcceptedTextContentLength), whichever is smaller.
pub(crate) fn limit(cx: &Cx<'_>, sid: &str, carries_message: bool) -> Option<usize> {
    let s = cx.st.sessions.get(sid)?;
    if !may_segment(s) {
        return None;
    }
    let content = s.agreed.content_length.filter(|_| carries_message);
    [s.agreed.parser_size, content]
        .into_iter()
        .flatten()
        .min()
        .map(|p| (p as usize).max(MIN_PARSER_SIZE))
}

/// Keeps `encoded` (the answer `m`) in segments if it is too large for the session: the
/// message to send instead, the first segment; else the bytes back, to send as they are.
pub(crate) fn split(
    cx: &mut Cx<'_>,
    sid: &str,
    m: &WvCspMessage,
    encoded: Vec<u8>,
) -> Result<WvCspMessage, Vec<u8>> {
    let Some(first) = m.session.transactions.first() else {
        return Err(encoded);
    };
    let carries_message = matches!(first.primitive, Primitive::GetMessageResponse(_));
    let Some(limit) = limit(cx, sid, carries_message) else {
        return Err(encoded);
    };
    let Some(tid) = first.descriptor.transaction_id.clone() else {
        return Err(encoded);
    };
    if encoded.len() <= limit
        // A segment is never segmented again.
        || matches!(first.primitive, Primitive::GetSegmentResponse(_))
        // Only answers: a server request handed out in a poll keeps its own transaction
        // (the client acknowledges it by its id).
        || first.descriptor.mode != TransactionMode::Response
    {
        return Err(encoded);
    }
    // Binary content travels as base64 in XML (4/3 larger): leave room for it.
    let chunk = ((limit - ENVELOPE.min(limit / 2)) * 3 / 4).max(256);
    let parts: Vec<Vec<u8>> = encoded.chunks(chunk).map(<[u8]>::to_vec).collect();
    let (Ok(count), Some(first)) = (u32::try_from(parts.len()), parts.first().cloned()) else {
        return Err(encoded);
    };
    let now = cx.now;
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return Err(encoded);
    };
    s.segments
        .retain(|k| k.made + LIFETIME > now && k.tid != tid);
    while s.segments.len() >= MAX_KEPT {
        s.segments.pop_front();
    }
    s.segments.push_back(Segmented {
        tid: tid.clone(),
        parts,
        made: now,
    });
    let mut out = WvCspMessage::new(
        m.version,
        Some(sid.to_owned()),
        TransactionMode::Response,
        Some(tid.clone()),
        Primitive::from(GetSegmentResponse {
            segment_content: Some(ContentData::Binary(first)),
        }),
    );
    out.session.transactions[0].descriptor.segment_info = Some(SegmentInfo {
        segment_count: Some(count),
        segment_id: Some(SegmentId {
            transaction_id: Some(tid),
            segment_reference: Some(1),
        }),
    });
    out.session.poll = m.session.poll;
    tracing::debug!(session = %crate::redact(sid), segments = count, "answer kept in segments");
    Ok(out)
}

/// GetSegment-Request: one segment of a kept answer (402 for one the session does not have).
pub(crate) fn get(cx: &mut Cx<'_>, sid: &str, r: GetSegmentRequest) -> Reply {
    let now = cx.now;
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    s.segments.retain(|k| k.made + LIFETIME > now);
    let Some(id) = r.segment_id else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let (Some(tid), Some(n)) = (id.transaction_id, id.segment_reference) else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let Some(pos) = s.segments.iter().position(|k| k.tid == tid) else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let Some(part) = (n as usize)
        .checked_sub(1)
        .and_then(|i| s.segments[pos].parts.get(i))
    else {
        return fail(StatusCode::BAD_PARAMETER);
    };
    let content = part.clone();
    if n as usize == s.segments[pos].parts.len() {
        // The last one: nothing left to fetch.
        s.segments.remove(pos);
    }
    Primitive::from(GetSegmentResponse {
        segment_content: Some(ContentData::Binary(content)),
    })
    .into()
}

/// DropSegment-Request: the kept answer goes (402 if there is none).
pub(crate) fn drop(cx: &mut Cx<'_>, sid: &str, r: DropSegmentRequest) -> Reply {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let tid = r.segment_id.and_then(|i| i.transaction_id);
    let before = s.segments.len();
    s.segments.retain(|k| Some(&k.tid) != tid.as_ref());
    if s.segments.len() == before {
        return fail(StatusCode::BAD_PARAMETER);
    }
    status(StatusCode::SUCCESS).into()
}
