//! The message envelope (csp-reference.md §1.1): `WV-CSP-Message`, `Session`, `Transaction`,
//! with `Poll` in `TransactionDescriptor` (1.1) or `Session` (1.2+) and `CIR`/`ExtBlock` from 1.2.

use crate::codec::{read_text, Element, Ev, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::common::ExtBlock;
use crate::names::ElementId;
use crate::primitive::Primitive;
use crate::version::CspVersion;

/// `SessionType`: `Inband` (in a session) or `Outband` (no session yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionType {
    /// In a session: `SessionID` present.
    Inband,
    /// Outside a session (Login-Request, pre-login requests).
    #[default]
    Outband,
}

/// `TransactionMode`: `Request` or `Response` (exactly these spellings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransactionMode {
    /// A request primitive.
    #[default]
    Request,
    /// A response primitive (or a client acknowledgement).
    Response,
}

impl Element for SessionType {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        match read_text(src, "")?.trim() {
            "Inband" => Ok(SessionType::Inband),
            "Outband" => Ok(SessionType::Outband),
            other => Err(DecodeError::bad(
                "",
                format!("unknown SessionType {other:?}"),
            )),
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.text(match self {
            SessionType::Inband => "Inband",
            SessionType::Outband => "Outband",
        })?;
        sink.end()
    }
}

impl Element for TransactionMode {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        match read_text(src, "")?.trim() {
            "Request" => Ok(TransactionMode::Request),
            "Response" => Ok(TransactionMode::Response),
            other => Err(DecodeError::bad(
                "",
                format!("unknown TransactionMode {other:?}"),
            )),
        }
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        sink.text(match self {
            TransactionMode::Request => "Request",
            TransactionMode::Response => "Response",
        })?;
        sink.end()
    }
}

impl Sample for SessionType {
    fn sample() -> Self {
        SessionType::Inband
    }
}
impl Sample for TransactionMode {
    fn sample() -> Self {
        TransactionMode::Request
    }
}
crate::required_slot!(SessionType, TransactionMode);

element! {
    /// `SessionDescriptor (SessionType, SessionID?)`.
    pub struct SessionDescriptor {
        /// `SessionType`.
        session_type: SessionType => "SessionType",
        /// `SessionID` (Inband only).
        session_id: Option<String> => "SessionID",
    }
}

element! {
    /// `TransactionDescriptor (TransactionMode, TransactionID?, SegmentInfo?, Poll?)` — `Poll`
    /// here is 1.1 only, `SegmentInfo` 1.3 only.
    ///
    /// Reconstructed (Baraza cspmessages.def): `SegmentInfo` sits between `TransactionID` and
    /// `Poll`.
    pub struct TransactionDescriptor {
        /// `TransactionMode`.
        mode: TransactionMode => "TransactionMode",
        /// `TransactionID`. Optional: Android's Polling-Request has none.
        transaction_id: Option<String> => "TransactionID",
        /// 1.3 `SegmentInfo`: this transaction's content is the first segment of a larger
        /// primitive; the rest is fetched with GetSegment-Request.
        segment_info: Option<crate::model::v13::SegmentInfo> => "SegmentInfo" [only V1_3],
        /// 1.1 `Poll`.
        poll: Option<bool> => "Poll" [only V1_1],
    }
}

/// `Transaction (TransactionDescriptor, TransactionContent, ExtBlock*)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    /// `TransactionDescriptor`.
    pub descriptor: TransactionDescriptor,
    /// The one primitive inside `TransactionContent`.
    pub primitive: Primitive,
    /// `ExtBlock*` (1.2+): vendor extensions, kept but not interpreted.
    pub ext_block: Vec<ExtBlock>,
}

impl Transaction {
    /// A transaction carrying `primitive`.
    pub fn new(
        mode: TransactionMode,
        transaction_id: Option<String>,
        primitive: Primitive,
    ) -> Self {
        Transaction {
            descriptor: TransactionDescriptor {
                mode,
                transaction_id,
                segment_info: None,
                poll: None,
            },
            primitive,
            ext_block: Vec::new(),
        }
    }
}

impl Element for Transaction {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let mut out = Vec::with_capacity(1);
        Self::decode_push(src, &mut out)?;
        out.pop().ok_or(DecodeError::MissingElement {
            parent: "Session",
            name: "Transaction",
        })
    }

    /// Decodes in place, in the vector (a transaction is kilobytes: every move is a copy).
    fn decode_push<'a, S: Source<'a>>(src: &mut S, out: &mut Vec<Self>) -> Result<(), DecodeError> {
        out.push(Transaction::default());
        let Some(t) = out.last_mut() else {
            return Err(DecodeError::Malformed("transaction lost".into()));
        };
        let mut descriptor = None;
        let mut primitive = false;
        loop {
            match src.next()? {
                Ev::Start(name) => match name.id() {
                    TRANSACTION_DESCRIPTOR => {
                        let d = TransactionDescriptor::decode(src)
                            .map_err(|e| e.in_element("TransactionDescriptor"))?;
                        descriptor.get_or_insert(d);
                    }
                    TRANSACTION_CONTENT => decode_content(src, &mut t.primitive, &mut primitive)?,
                    EXT_BLOCK => t.ext_block.push(ExtBlock::decode(src)?),
                    _ => src.skip()?,
                },
                Ev::End => break,
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
        t.descriptor = descriptor.ok_or(DecodeError::MissingElement {
            parent: "Transaction",
            name: "TransactionDescriptor",
        })?;
        if !primitive {
            return Err(DecodeError::MissingElement {
                parent: "Transaction",
                name: "TransactionContent",
            });
        }
        Ok(())
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        let v = sink.version();
        sink.start(name)?;
        self.descriptor.encode("TransactionDescriptor", sink)?;
        sink.start_ns("TransactionContent", v.trc_namespace())?;
        self.primitive.encode(sink)?;
        sink.end()?;
        if v >= CspVersion::V1_2 {
            for b in &self.ext_block {
                b.encode("ExtBlock", sink)?;
            }
        }
        sink.end()
    }
}

const TRANSACTION_DESCRIPTOR: ElementId = ElementId::of("TransactionDescriptor");
const TRANSACTION_CONTENT: ElementId = ElementId::of("TransactionContent");
const EXT_BLOCK: ElementId = ElementId::of("ExtBlock");
const WV_CSP_MESSAGE: ElementId = ElementId::of("WV-CSP-Message");
const SESSION: ElementId = ElementId::of("Session");

/// `TransactionContent`: exactly one primitive element (further ones are skipped), decoded into
/// `out` unless a previous `TransactionContent` filled it (`filled`; then decoded and dropped).
///
/// Writes in place: a `Primitive` is kilobytes, and every move of one is a copy.
fn decode_content<'a, S: Source<'a>>(
    src: &mut S,
    out: &mut Primitive,
    filled: &mut bool,
) -> Result<(), DecodeError> {
    let mut found = false;
    loop {
        match src.next()? {
            Ev::Start(name) => {
                if found {
                    src.skip()?;
                } else if !*filled {
                    Primitive::decode_into(name, src, out)?;
                    found = true;
                    *filled = true;
                } else {
                    Primitive::decode_element(name, src)?;
                    found = true;
                }
            }
            Ev::End => break,
            Ev::Text(_) | Ev::Opaque(_) => {}
            Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
        }
    }
    if found {
        Ok(())
    } else {
        Err(DecodeError::MissingElement {
            parent: "TransactionContent",
            name: "primitive",
        })
    }
}

impl Sample for Transaction {
    fn sample() -> Self {
        Transaction {
            descriptor: TransactionDescriptor::sample(),
            primitive: Primitive::default(),
            ext_block: Vec::sample(),
        }
    }
}
crate::required_slot!(Transaction);

element! {
    /// `Session (SessionDescriptor, Transaction+, Poll?, CIR?)` — `Poll`/`CIR` here from 1.2.
    pub struct Session {
        /// `SessionDescriptor`.
        descriptor: SessionDescriptor => "SessionDescriptor",
        /// `Transaction+`.
        transactions: Vec<Transaction> => "Transaction",
        /// 1.2+ `Poll`: the server has queued requests for the client.
        poll: Option<bool> => "Poll" [since V1_2],
        /// 1.2+ `CIR`: `F` = the client's CIR channel is considered broken.
        cir: Option<bool> => "CIR" [since V1_2],
    }
}

/// `WV-CSP-Message (Session)`: one CSP document, in one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WvCspMessage {
    /// The version the document is written in.
    pub version: CspVersion,
    /// `Session`.
    pub session: Session,
}

impl WvCspMessage {
    /// A message of one transaction.
    pub fn new(
        version: CspVersion,
        session_id: Option<String>,
        mode: TransactionMode,
        transaction_id: Option<String>,
        primitive: Primitive,
    ) -> Self {
        let session_type = if session_id.is_some() {
            SessionType::Inband
        } else {
            SessionType::Outband
        };
        WvCspMessage {
            version,
            session: Session {
                descriptor: SessionDescriptor {
                    session_type,
                    session_id,
                },
                transactions: vec![Transaction::new(mode, transaction_id, primitive)],
                poll: None,
                cir: None,
            },
        }
    }

    /// Whether the message says `Poll=T`, wherever the version (or a lenient sender) put it.
    pub fn poll(&self) -> bool {
        self.session.poll == Some(true)
            || self
                .session
                .transactions
                .iter()
                .any(|t| t.descriptor.poll == Some(true))
    }

    /// Sets `Poll` where this message's version keeps it.
    pub fn set_poll(&mut self, poll: bool) {
        if self.version == CspVersion::V1_1 {
            self.session.poll = None;
            for t in &mut self.session.transactions {
                t.descriptor.poll = Some(poll);
            }
        } else {
            self.session.poll = Some(poll);
            for t in &mut self.session.transactions {
                t.descriptor.poll = None;
            }
        }
    }

    /// Decodes the root element (its start already read by the source).
    pub(crate) fn decode_root<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let version = src.version();
        match src.next()? {
            Ev::Start(name) if name.id() == WV_CSP_MESSAGE => {}
            Ev::Start(name) => {
                return Err(DecodeError::UnexpectedRoot(name.chars().take(64).collect()))
            }
            _ => return Err(DecodeError::Malformed("no root element".into())),
        }
        let mut session = None;
        loop {
            match src.next()? {
                Ev::Start(name) if name.id() == SESSION => {
                    let s = Session::decode(src)?;
                    session.get_or_insert(s);
                }
                Ev::Start(_) => src.skip()?,
                Ev::End => break,
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
        match src.next()? {
            Ev::Eof => {}
            _ => {
                return Err(DecodeError::Malformed(
                    "content after the root element".into(),
                ))
            }
        }
        let session = session.ok_or(DecodeError::MissingElement {
            parent: "WV-CSP-Message",
            name: "Session",
        })?;
        if session.transactions.is_empty() {
            return Err(DecodeError::MissingElement {
                parent: "Session",
                name: "Transaction",
            });
        }
        Ok(WvCspMessage { version, session })
    }

    /// Writes the whole document into `sink` (whose version must be this message's).
    pub(crate) fn encode_root<K: Sink>(&self, sink: &mut K) -> Result<(), EncodeError> {
        if self.session.transactions.is_empty() {
            return Err(EncodeError::Invalid(
                "a Session needs at least one Transaction".into(),
            ));
        }
        sink.start_ns("WV-CSP-Message", self.version.csp_namespace())?;
        self.session.encode("Session", sink)?;
        sink.end()
    }
}
