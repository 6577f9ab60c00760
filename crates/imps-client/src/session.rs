//! A real client session over HTTP: login (2-way or 4-way digest), capability and service
//! negotiation, requests with TransactionIDs, polling and acknowledging server requests.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use imps_csp::codec::ContentData;
use imps_csp::model::attributes::{Presence, PresenceSubList, TextAttribute};
use imps_csp::model::common::{ClientId, Recipient, Status, User};
use imps_csp::model::im::{MessageDelivered, MessageInfo, NewMessage, SendMessageRequest};
use imps_csp::model::session::{
    CapabilityList, ClientCapabilityRequest, Functions, LoginRequest, LogoutRequest,
    PollingRequest, ServiceRequest, WvcspFeat,
};
use imps_csp::{
    CspVersion, Encoding, Limits, Primitive, StatusCode, Transaction, TransactionMode, WvCspMessage,
};

/// How to talk to the server.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The SAP URL, e.g. `http://127.0.0.1:8080/`.
    pub url: String,
    /// CSP version.
    pub version: CspVersion,
    /// XML or WBXML.
    pub encoding: Encoding,
    /// Digest (4-way) login instead of the password in clear.
    pub digest: bool,
    /// Delivery method asked in capability negotiation (`P` push or `N` notify/get).
    pub delivery: &'static str,
    /// HTTP timeout per request.
    pub timeout: Duration,
    /// CIR methods asked for in capability negotiation (`STCP`, `SHTTP`, ...).
    pub cir: Vec<String>,
    /// An HTTP client (connection pool) to share between many sessions (load tests); each
    /// session has its own when `None`.
    pub http: Option<reqwest::Client>,
    /// A bound on HTTP requests in flight, shared between sessions (load tests).
    pub in_flight: Option<std::sync::Arc<tokio::sync::Semaphore>>,
    /// TimeToLive asked at login, seconds (the server clamps it to its own bounds).
    pub time_to_live: u32,
}

impl ClientConfig {
    /// Defaults: CSP 1.2, XML, password login, push delivery.
    pub fn new(url: impl Into<String>) -> Self {
        ClientConfig {
            url: url.into(),
            version: CspVersion::V1_2,
            encoding: Encoding::Xml,
            digest: false,
            delivery: "P",
            timeout: Duration::from_secs(45),
            cir: Vec::new(),
            http: None,
            in_flight: None,
            time_to_live: 600,
        }
    }
}

/// A server request received by polling, with its TransactionID.
#[derive(Clone, Debug)]
pub struct ServerRequest {
    /// The server's TransactionID.
    pub transaction_id: Option<String>,
    /// The primitive.
    pub primitive: Primitive,
}

/// One logged-in (or not yet logged-in) client.
pub struct Client {
    http: reqwest::Client,
    cfg: ClientConfig,
    /// The SessionID once logged in.
    pub session_id: Option<String>,
    /// The login name as given.
    pub user: String,
    next_tid: u32,
    /// Poll=T was seen on the last response.
    pub poll_hint: bool,
    cookie: String,
    /// Server requests that arrived piggy-backed on responses, not yet handed out.
    pending: Vec<ServerRequest>,
    /// What capability negotiation agreed.
    pub agreed: Option<CapabilityList>,
}

impl Client {
    /// A client for `cfg`.
    pub fn new(cfg: ClientConfig) -> anyhow::Result<Client> {
        let http = match &cfg.http {
            Some(h) => h.clone(),
            None => reqwest::Client::builder()
                .timeout(cfg.timeout)
                .tcp_nodelay(true)
                .build()?,
        };
        Ok(Client {
            http,
            cfg,
            session_id: None,
            user: String::new(),
            next_tid: 0,
            poll_hint: false,
            cookie: format!("cookie{}", std::process::id() ^ rand_u32()),
            pending: Vec::new(),
            agreed: None,
        })
    }

    /// Closes the HTTP connection (a new one is opened by the next request), as a handset
    /// does between requests.
    pub fn close_connection(&mut self) -> anyhow::Result<()> {
        self.http = reqwest::Client::builder()
            .timeout(self.cfg.timeout)
            .tcp_nodelay(true)
            .build()?;
        Ok(())
    }

    /// Whether server requests that came piggy-backed on answers are waiting for
    /// [`Client::poll`].
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The CSP version in use.
    pub fn version(&self) -> CspVersion {
        self.cfg.version
    }

    fn tid(&mut self) -> String {
        self.next_tid = self.next_tid % 999 + 1;
        self.next_tid.to_string()
    }

    /// Posts one message and decodes the answer (`None` for an empty body).
    pub async fn exchange(&mut self, msg: &WvCspMessage) -> anyhow::Result<Option<WvCspMessage>> {
        let body = imps_csp::encode(msg, self.cfg.encoding)?;
        let media = match self.cfg.encoding {
            Encoding::Xml => "application/vnd.wv.csp.xml",
            Encoding::Wbxml => "application/vnd.wv.csp.wbxml",
        };
        let _permit = match &self.cfg.in_flight {
            Some(s) => Some(s.clone().acquire_owned().await?),
            None => None,
        };
        let resp = self
            .http
            .post(&self.cfg.url)
            .header("Content-Type", media)
            .body(body)
            .send()
            .await
            .context("HTTP request")?;
        if !resp.status().is_success() {
            bail!("HTTP {}", resp.status());
        }
        let bytes = resp.bytes().await?;
        if bytes.is_empty() {
            self.poll_hint = false;
            return Ok(None);
        }
        let m = imps_csp::decode(&bytes, &Limits::default())?;
        self.poll_hint = m.poll();
        Ok(Some(m))
    }

    /// Sends a request primitive and returns the answering primitive. Server requests that
    /// come in its place are kept for [`Client::poll`].
    pub async fn request(&mut self, primitive: Primitive) -> anyhow::Result<Primitive> {
        let tid = self.tid();
        let msg = WvCspMessage::new(
            self.cfg.version,
            self.session_id.clone(),
            TransactionMode::Request,
            Some(tid.clone()),
            primitive,
        );
        let answer = self
            .exchange(&msg)
            .await?
            .ok_or_else(|| anyhow!("empty answer to a request"))?;
        let mut out = None;
        for t in answer.session.transactions {
            if t.descriptor.mode == TransactionMode::Response
                && t.descriptor.transaction_id.as_deref() == Some(tid.as_str())
            {
                out = Some(t.primitive);
            } else if t.descriptor.mode == TransactionMode::Request {
                self.pending.push(ServerRequest {
                    transaction_id: t.descriptor.transaction_id,
                    primitive: t.primitive,
                });
            } else if out.is_none() {
                out = Some(t.primitive);
            }
        }
        out.ok_or_else(|| anyhow!("no response transaction"))
    }

    /// Logs in (2-way, or 4-way digest when configured) and returns the SessionID.
    pub async fn login(&mut self, user: &str, password: &str) -> anyhow::Result<String> {
        self.user = user.to_owned();
        let mut req = LoginRequest {
            user_id: user.to_owned(),
            client_id: Some(ClientId {
                url: Some("imps-cli".into()),
                msisdn: None,
            }),
            time_to_live: Some(self.cfg.time_to_live),
            session_cookie: Some(self.cookie.clone()),
            ..Default::default()
        };
        if self.cfg.digest {
            req.digest_schema = vec!["MD5".into(), "SHA".into()];
        } else {
            req.password = Some(password.to_owned());
        }
        let mut resp = self.login_leg(req.clone()).await?;
        if resp.result.code == StatusCode::COULD_NOT_RECOVER_SESSION {
            // The session this cookie named is gone: start afresh with a new cookie.
            self.cookie = format!("cookie{}", std::process::id() ^ rand_u32());
            req.session_cookie = Some(self.cookie.clone());
            resp = self.login_leg(req.clone()).await?;
        }
        if self.cfg.digest
            && (resp.result.code.0 == 401 || resp.nonce.is_some())
            && resp.session_id.is_none()
        {
            let nonce = resp
                .nonce
                .clone()
                .ok_or_else(|| anyhow!("401 without a nonce"))?;
            let scheme = resp.digest_schema.clone().unwrap_or_else(|| "MD5".into());
            let digest = imps_core_digest(&scheme, &nonce, password)
                .ok_or_else(|| anyhow!("server chose unknown digest scheme {scheme}"))?;
            req.digest_schema.clear();
            req.digest_bytes = Some(digest);
            resp = self.login_leg(req).await?;
        }
        if resp.result.code != StatusCode::SUCCESS {
            bail!(
                "login failed: {}",
                describe(&resp.result.code, resp.result.description.as_deref())
            );
        }
        let sid = resp
            .session_id
            .ok_or_else(|| anyhow!("Login-Response without SessionID"))?;
        self.session_id = Some(sid.clone());
        Ok(sid)
    }

    async fn login_leg(
        &mut self,
        req: LoginRequest,
    ) -> anyhow::Result<imps_csp::model::session::LoginResponse> {
        // Android reuses TransactionID 1 for both legs; so do we.
        let msg = WvCspMessage::new(
            self.cfg.version,
            None,
            TransactionMode::Request,
            Some("1".into()),
            Primitive::from(req),
        );
        let answer = self
            .exchange(&msg)
            .await?
            .ok_or_else(|| anyhow!("empty answer to Login-Request"))?;
        match answer
            .session
            .transactions
            .into_iter()
            .next()
            .map(|t| t.primitive)
        {
            Some(Primitive::LoginResponse(r)) => Ok(*r),
            Some(Primitive::Status(s)) => bail!(
                "login failed: {}",
                describe(&s.result.code, s.result.description.as_deref())
            ),
            other => bail!(
                "unexpected answer to Login-Request: {:?}",
                other.as_ref().map(|p| p.name())
            ),
        }
    }

    /// Capability and service negotiation, as a handset does after login.
    pub async fn negotiate(&mut self) -> anyhow::Result<()> {
        let caps = CapabilityList {
            client_type: Some("COMPUTER".into()),
            initial_delivery_method: Some(self.cfg.delivery.into()),
            any_content: Some(true),
            accepted_content_length: (self.cfg.version < CspVersion::V1_3).then_some(65536),
            supported_bearer: vec!["HTTP".into()],
            multi_trans: Some(1),
            parser_size: Some(262144),
            server_poll_min: Some(1),
            supported_cir_method: self.cfg.cir.clone(),
            ..Default::default()
        };
        let p = self
            .request(Primitive::ClientCapabilityRequest(
                ClientCapabilityRequest {
                    capability_list: Some(caps),
                    ..Default::default()
                },
            ))
            .await?;
        expect_ok(&p, "ClientCapability-Response")?;
        if let Primitive::ClientCapabilityResponse(r) = &p {
            self.agreed = r.agreed().cloned();
        }
        let mut tree = WvcspFeat::default();
        for f in ["FundamentalFeat", "PresenceFeat", "IMFeat", "GroupFeat"] {
            if let Some(slot) = tree.feature_slot(f) {
                *slot = Some(Default::default());
            }
        }
        let p = self
            .request(Primitive::ServiceRequest(ServiceRequest {
                functions: Some(Functions::new(tree)),
                all_functions_request: Some(true),
                ..Default::default()
            }))
            .await?;
        expect_ok(&p, "Service-Response")?;
        Ok(())
    }

    /// Keeps a server request that came piggy-backed for the next [`Client::poll`].
    pub fn push_pending(&mut self, r: ServerRequest) {
        self.pending.push(r);
    }

    /// One Polling-Request: the server request it brings, if any (requests that came
    /// piggy-backed earlier first).
    pub async fn poll(&mut self) -> anyhow::Result<Option<ServerRequest>> {
        if !self.pending.is_empty() {
            return Ok(Some(self.pending.remove(0)));
        }
        let msg = WvCspMessage::new(
            self.cfg.version,
            self.session_id.clone(),
            TransactionMode::Request,
            Some(self.tid()),
            Primitive::PollingRequest(PollingRequest {}),
        );
        let Some(answer) = self.exchange(&msg).await? else {
            return Ok(None);
        };
        let mut it = answer.session.transactions.into_iter();
        let Some(first) = it.next() else {
            return Ok(None);
        };
        for t in it {
            self.pending.push(ServerRequest {
                transaction_id: t.descriptor.transaction_id,
                primitive: t.primitive,
            });
        }
        if first.descriptor.mode == TransactionMode::Response {
            if let Primitive::Status(s) = &first.primitive {
                bail!(
                    "poll failed: {}",
                    describe(&s.result.code, s.result.description.as_deref())
                );
            }
            return Ok(None);
        }
        Ok(Some(ServerRequest {
            transaction_id: first.descriptor.transaction_id,
            primitive: first.primitive,
        }))
    }

    /// Acknowledges a server request as Android does: MessageDelivered for a NewMessage,
    /// Status 200 for anything else.
    pub async fn acknowledge(
        &mut self,
        req: &ServerRequest,
    ) -> anyhow::Result<Option<ServerRequest>> {
        let primitive = match &req.primitive {
            Primitive::NewMessage(NewMessage { message_info, .. }) => {
                Primitive::MessageDelivered(MessageDelivered {
                    message_id: message_info.message_id.clone().unwrap_or_default(),
                })
            }
            _ => Primitive::Status(Status::new(StatusCode::SUCCESS)),
        };
        let msg = WvCspMessage::new(
            self.cfg.version,
            self.session_id.clone(),
            TransactionMode::Response,
            req.transaction_id.clone(),
            primitive,
        );
        let answer = self.exchange(&msg).await?;
        Ok(answer.and_then(|m| {
            m.session
                .transactions
                .into_iter()
                .find(|t| t.descriptor.mode == TransactionMode::Request)
                .map(|t| ServerRequest {
                    transaction_id: t.descriptor.transaction_id,
                    primitive: t.primitive,
                })
        }))
    }

    /// Polls until a server request matching `want` arrives (acknowledging every request
    /// received), or `timeout` passes.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        mut want: impl FnMut(&Primitive) -> bool,
    ) -> anyhow::Result<Primitive> {
        let deadline = Instant::now() + timeout;
        let mut next: Option<ServerRequest> = None;
        loop {
            let req = match next.take() {
                Some(r) => Some(r),
                None => self.poll().await?,
            };
            match req {
                Some(r) => {
                    next = self.acknowledge(&r).await?;
                    if want(&r.primitive) {
                        if let Some(n) = next.take() {
                            self.pending.insert(0, n);
                        }
                        return Ok(r.primitive);
                    }
                }
                None => {
                    if Instant::now() >= deadline {
                        bail!("nothing arrived within {timeout:?}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Sends a text message to users; returns the MessageID.
    pub async fn send_text(&mut self, to: &[&str], text: &str) -> anyhow::Result<String> {
        let p = self
            .request(Primitive::SendMessageRequest(SendMessageRequest {
                delivery_report: Some(false),
                message_info: MessageInfo {
                    content_type: Some("text/plain".into()),
                    content_size: Some(text.chars().count() as u32),
                    recipient: Some(Recipient {
                        user: to
                            .iter()
                            .map(|u| User {
                                user_id: (*u).to_owned(),
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                content_data: Some(ContentData::Text(text.to_owned())),
            }))
            .await?;
        match p {
            Primitive::SendMessageResponse(r) if r.result.code == StatusCode::SUCCESS => {
                Ok(r.message_id.unwrap_or_default())
            }
            Primitive::SendMessageResponse(r) => bail!(
                "send: {}",
                describe(&r.result.code, r.result.description.as_deref())
            ),
            other => {
                expect_ok(&other, "SendMessage-Response")?;
                bail!("send: unexpected answer {}", other.name())
            }
        }
    }

    /// The agreed standalone TCP CIR endpoint, if STCP was agreed.
    pub fn tcp_cir(&self) -> Option<(String, u16)> {
        let a = self.agreed.as_ref()?;
        if !a.supported_cir_method.iter().any(|m| m == "STCP") {
            return None;
        }
        Some((a.tcp_address.clone()?, u16::try_from(a.tcp_port?).ok()?))
    }

    /// Opens the standalone TCP CIR channel (`HELO <SessionID>`, then `OK`).
    pub async fn open_tcp_cir(&self) -> anyhow::Result<CirChannel> {
        let (host, port) = self
            .tcp_cir()
            .ok_or_else(|| anyhow!("STCP was not agreed"))?;
        let sid = self
            .session_id
            .clone()
            .ok_or_else(|| anyhow!("not logged in"))?;
        let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        let (r, mut w) = stream.into_split();
        use tokio::io::AsyncWriteExt as _;
        w.write_all(format!("HELO {sid}\r\n").as_bytes()).await?;
        let mut ch = CirChannel {
            reader: tokio::io::BufReader::new(r),
            writer: w,
            line: String::new(),
        };
        let first = ch.read_line().await?;
        if first.trim() != "OK" {
            bail!("CIR server answered {first:?} to HELO");
        }
        Ok(ch)
    }

    /// Logs out.
    pub async fn logout(&mut self) -> anyhow::Result<()> {
        let p = self
            .request(Primitive::LogoutRequest(LogoutRequest {}))
            .await?;
        self.session_id = None;
        match p {
            Primitive::Disconnect(_) => Ok(()),
            other => expect_ok(&other, "Status"),
        }
    }
}

/// An open standalone TCP CIR channel.
pub struct CirChannel {
    reader: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    line: String,
}

impl CirChannel {
    async fn read_line(&mut self) -> anyhow::Result<String> {
        use tokio::io::AsyncBufReadExt as _;
        self.line.clear();
        let n = self.reader.read_line(&mut self.line).await?;
        if n == 0 {
            bail!("CIR channel closed");
        }
        Ok(self.line.clone())
    }

    /// Waits for the next `WVCI` line and returns it (cancel-safe enough for `select!` on a
    /// line boundary: a wake-up is a whole line).
    pub async fn wake(&mut self) -> anyhow::Result<String> {
        loop {
            let l = self.read_line().await?;
            if l.starts_with("WVCI") {
                return Ok(l.trim().to_owned());
            }
        }
    }

    /// Sends `PING`; the server answers `OK` (read by the next [`CirChannel::wake`] call,
    /// which skips it).
    pub async fn ping(&mut self) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt as _;
        self.writer.write_all(b"PING \r\n").await?;
        Ok(())
    }
}

/// A status code and its description, for messages to people.
pub fn describe(code: &StatusCode, description: Option<&str>) -> String {
    match description.or(code.description()) {
        Some(d) => format!("{} {d}", code.0),
        None => code.0.to_string(),
    }
}

/// Fails on a Status (or Result) other than 200.
pub fn expect_ok(p: &Primitive, what: &str) -> anyhow::Result<()> {
    if let Primitive::Status(s) = p {
        if s.result.code != StatusCode::SUCCESS {
            bail!(
                "{what}: {}",
                describe(&s.result.code, s.result.description.as_deref())
            );
        }
    }
    Ok(())
}

/// A one-line, human-readable form of a server request.
pub fn show(p: &Primitive) -> String {
    match p {
        Primitive::NewMessage(m) => {
            let sender = m.message_info.sender.as_ref();
            let text = match &m.content_data {
                Some(ContentData::Text(t)) => t.clone(),
                Some(ContentData::Binary(b)) => format!("<{} bytes>", b.len()),
                None => String::new(),
            };
            if let Some(s) = sender
                .and_then(|s| s.group.as_ref())
                .and_then(|g| g.screen_name.as_ref())
            {
                let private = m
                    .message_info
                    .recipient
                    .as_ref()
                    .and_then(|r| r.group.first())
                    .is_some_and(|g| g.screen_name.is_some());
                let how = if private { " (private)" } else { "" };
                return format!("[{}] {}{how}: {text}", s.group_id, s.sname);
            }
            let from = sender
                .and_then(|s| s.user.as_ref())
                .map_or("?", |u| u.user_id.as_str());
            format!("message from {from}: {text}")
        }
        Primitive::GroupChangeNotice(n) => {
            let mut parts = Vec::new();
            if let Some(j) = &n.joined {
                let mut names: Vec<&str> = j.screen_name.iter().map(|s| s.sname.as_str()).collect();
                if let Some(m) = &j.user_map_list {
                    names.extend(m.mappings().iter().map(|m| m.sname.as_str()));
                }
                parts.push(format!("joined: {}", names.join(", ")));
            }
            if let Some(l) = &n.left {
                let mut names: Vec<&str> = l.screen_name.iter().map(|s| s.sname.as_str()).collect();
                if let Some(u) = &l.user_list {
                    names.extend(u.screen_name.iter().map(|s| s.sname.as_str()));
                    names.extend(u.user.iter().map(|u| u.user_id.as_str()));
                }
                parts.push(format!("left: {}", names.join(", ")));
            }
            if let Some(p) = &n.group_properties {
                let props: Vec<String> = p
                    .properties
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.value.as_deref().unwrap_or("")))
                    .collect();
                parts.push(format!("properties: {}", props.join(" ")));
            }
            format!("[{}] {}", n.group_id, parts.join("; "))
        }
        Primitive::InviteUserRequest(i) => format!(
            "invitation {} from {}{}",
            i.invite_id,
            i.sender
                .as_ref()
                .and_then(|s| s.user.as_ref())
                .map_or("?", |u| u.user_id.as_str()),
            i.invite_note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
        Primitive::InviteResponse(r) => format!(
            "invitation {} {} by {}{}",
            r.invite_id,
            if r.acceptance == Some(true) {
                "accepted"
            } else {
                "rejected"
            },
            r.sender
                .as_ref()
                .and_then(|s| s.user.as_ref())
                .map_or("?", |u| u.user_id.as_str()),
            r.response_note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
        Primitive::CancelInviteUserRequest(r) => format!(
            "invitation {} cancelled by {}",
            r.invite_id,
            r.sender
                .as_ref()
                .and_then(|s| s.user.as_ref())
                .map_or("?", |u| u.user_id.as_str())
        ),
        Primitive::LeaveGroupResponse(l) => format!(
            "[{}] you were made to leave: {}",
            l.group_id.as_deref().unwrap_or("?"),
            l.result
                .as_ref()
                .map(|r| describe(&r.code, r.description.as_deref()))
                .unwrap_or_default()
        ),
        Primitive::PresenceNotificationRequest(n) => n
            .presence
            .iter()
            .map(show_presence)
            .collect::<Vec<_>>()
            .join("\n"),
        Primitive::Disconnect(d) => format!(
            "disconnected: {}",
            describe(&d.result.code, d.result.description.as_deref())
        ),
        other => other.name().to_owned(),
    }
}

/// A one-line form of a Presence.
pub fn show_presence(p: &Presence) -> String {
    let who = p.user_id.as_deref().unwrap_or("?");
    let mut parts = Vec::new();
    for s in &p.presence_sub_list {
        parts.push(show_attributes(s));
    }
    format!("presence of {who}: {}", parts.join("; "))
}

fn show_attributes(s: &PresenceSubList) -> String {
    let mut out = Vec::new();
    if let Some(o) = &s.online_status {
        if o.qualifier == Some(true) {
            out.push(format!(
                "online={}",
                if o.presence_value == Some(true) {
                    "yes"
                } else {
                    "no"
                }
            ));
        }
    }
    let text = |name: &str, a: &Option<TextAttribute>, out: &mut Vec<String>| {
        if let Some(TextAttribute {
            presence_value: Some(v),
            ..
        }) = a
        {
            out.push(format!("{name}={v}"));
        }
    };
    text("availability", &s.user_availability, &mut out);
    text("status", &s.status_text, &mut out);
    text("mood", &s.status_mood, &mut out);
    text("alias", &s.alias, &mut out);
    out.join(" ")
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish() as u32
}

/// The digest a client computes (`imps_core::auth::digest`).
fn imps_core_digest(scheme: &str, nonce: &str, password: &str) -> Option<String> {
    imps_core::auth::digest(scheme, nonce, password)
}

#[allow(dead_code)]
fn _assert_send(_: &Transaction) {}
