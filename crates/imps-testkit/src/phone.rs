//! A scripted handset for replay tests: it posts CSP documents written as XML, in the shape a
//! real phone sends them, over real HTTP, encoded the way that phone's engine encodes them, and
//! reads the answers the way that phone parses them.
//!
//! ```no_run
//! # async fn t() -> anyhow::Result<()> {
//! use imps_csp::CspVersion;
//! use imps_testkit::phone::{Phone, Wire};
//! let mut razr = Phone::new("http://127.0.0.1:8080/", CspVersion::V1_1, Wire::Xml);
//! let a = razr
//!     .request("1", "<Login-Request><UserID>alice</UserID><Password>pw</Password></Login-Request>")
//!     .await?;
//! assert_eq!(a.code(), Some("200"));
//! # Ok(()) }
//! ```

use std::fmt::Write as _;

use anyhow::{anyhow, Context as _};
use imps_csp::CspVersion;

use crate::Tree;

/// How a phone's engine writes requests and reads answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// XML (`application/vnd.wv.csp.xml`).
    Xml,
    /// WBXML written with the session version's own token table (Nokia's engine, libwbxml).
    Wbxml,
    /// WBXML as Android's engine writes it: its 1.3-based table in every version, and its
    /// parser stops at any token that table lacks ([`crate::android`]).
    Android,
}

/// An answer: the raw body and its element tree (`None` for an empty body).
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP body.
    pub raw: Vec<u8>,
    /// The document, as the phone's parser read it.
    pub tree: Option<Tree>,
}

impl Answer {
    /// The first element called `name` (depth first).
    pub fn find(&self, name: &str) -> Option<&Tree> {
        self.tree.as_ref().and_then(|t| find(t, name))
    }

    /// Every element called `name` (depth first).
    pub fn find_all(&self, name: &str) -> Vec<&Tree> {
        let mut out = Vec::new();
        if let Some(t) = &self.tree {
            find_all(t, name, &mut out);
        }
        out
    }

    /// The text of the first element called `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.find(name).map(|t| t.text.as_str())
    }

    /// The first status code (`Code` of the first `Result`/`Status`).
    pub fn code(&self) -> Option<&str> {
        self.text("Code")
    }

    /// The primitive (the first child of the first `TransactionContent`).
    pub fn primitive(&self) -> Option<&str> {
        self.find("TransactionContent")
            .and_then(|t| t.children.first())
            .map(|t| t.name.as_str())
    }

    /// The answer's TransactionID.
    pub fn transaction_id(&self) -> Option<&str> {
        self.text("TransactionID")
    }
}

/// The first element called `name` in `t` (depth first, `t` included).
pub fn find<'t>(t: &'t Tree, name: &str) -> Option<&'t Tree> {
    if t.name == name {
        return Some(t);
    }
    t.children.iter().find_map(|c| find(c, name))
}

fn find_all<'t>(t: &'t Tree, name: &str, out: &mut Vec<&'t Tree>) {
    if t.name == name {
        out.push(t);
    }
    for c in &t.children {
        find_all(c, name, out);
    }
}

/// A scripted handset.
pub struct Phone {
    http: reqwest::Client,
    url: String,
    /// The CSP version it speaks.
    pub version: CspVersion,
    /// How it encodes.
    pub wire: Wire,
    /// The session, once logged in (put in every request's SessionDescriptor).
    pub session_id: Option<String>,
    /// Extra HTTP headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// [`Wire::Android`]: write every integer as these bytes (its buggy native encoder).
    pub garbage_integers: Option<Vec<u8>>,
}

/// The namespaces of `version`: (CSP, TRC).
fn namespaces(version: CspVersion) -> (&'static str, &'static str) {
    match version {
        CspVersion::V1_1 => (
            "http://www.wireless-village.org/CSP1.1",
            "http://www.wireless-village.org/TRC1.1",
        ),
        CspVersion::V1_2 => (
            "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
            "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
        ),
        CspVersion::V1_3 => (
            "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
            "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
        ),
    }
}

impl Phone {
    /// A handset talking to `url`.
    pub fn new(url: &str, version: CspVersion, wire: Wire) -> Phone {
        Phone {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            version,
            wire,
            session_id: None,
            headers: Vec::new(),
            garbage_integers: None,
        }
    }

    /// A handset whose connections come from `local` (another address of this machine,
    /// e.g. 127.0.0.2: a second source for the server's per-address limits).
    pub fn from_address(
        url: &str,
        version: CspVersion,
        wire: Wire,
        local: std::net::IpAddr,
    ) -> Phone {
        let mut p = Phone::new(url, version, wire);
        if let Ok(c) = reqwest::Client::builder().local_address(local).build() {
            p.http = c;
        }
        p
    }

    /// The whole document around one transaction: `content` is the primitive element as XML.
    pub fn document(&self, mode: &str, tid: Option<&str>, content: &str) -> String {
        let (csp, trc) = namespaces(self.version);
        let mut d = String::new();
        let _ = write!(
            d,
            "<WV-CSP-Message xmlns=\"{csp}\"><Session><SessionDescriptor>"
        );
        match &self.session_id {
            Some(s) => {
                let _ = write!(
                    d,
                    "<SessionType>Inband</SessionType><SessionID>{s}</SessionID>"
                );
            }
            None => d.push_str("<SessionType>Outband</SessionType>"),
        }
        let _ = write!(
            d,
            "</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>{mode}</TransactionMode>"
        );
        if let Some(t) = tid {
            let _ = write!(d, "<TransactionID>{t}</TransactionID>");
        }
        let _ = write!(
            d,
            "</TransactionDescriptor><TransactionContent xmlns=\"{trc}\">{content}</TransactionContent></Transaction></Session></WV-CSP-Message>"
        );
        d
    }

    /// Sends a request transaction and returns the answer.
    pub async fn request(&mut self, tid: &str, content: &str) -> anyhow::Result<Answer> {
        let doc = self.document("Request", Some(tid), content);
        self.post_xml(&doc).await
    }

    /// Answers a server request (acknowledgement) and returns what the server sent back.
    pub async fn respond(&mut self, tid: &str, content: &str) -> anyhow::Result<Answer> {
        let doc = self.document("Response", Some(tid), content);
        self.post_xml(&doc).await
    }

    /// Polls (Polling-Request).
    pub async fn poll(&mut self, tid: &str) -> anyhow::Result<Answer> {
        self.request(tid, "<Polling-Request/>").await
    }

    /// Encodes a whole XML document the way this phone does.
    pub fn encode(&self, xml: &str) -> anyhow::Result<Vec<u8>> {
        match self.wire {
            Wire::Xml => Ok(xml.as_bytes().to_vec()),
            Wire::Wbxml => {
                let m = imps_csp::decode_xml(xml.as_bytes(), &imps_csp::Limits::default())
                    .map_err(|e| anyhow!("test document does not decode: {e}\n{xml}"))?;
                imps_csp::encode_wbxml(&m).map_err(|e| anyhow!("{e}"))
            }
            Wire::Android => {
                let ints = match &self.garbage_integers {
                    Some(g) => crate::android::Integers::Garbage(g.clone()),
                    None => crate::android::Integers::Correct,
                };
                crate::android::encode_like_android_with(xml, self.version, &ints)
                    .map_err(|e| anyhow!(e))
            }
        }
    }

    /// Reads an answer body the way this phone does.
    pub fn parse(&self, body: &[u8]) -> anyhow::Result<Option<Tree>> {
        if body.is_empty() {
            return Ok(None);
        }
        match self.wire {
            Wire::Xml => Tree::parse_xml(body).map(Some).map_err(|e| anyhow!(e)),
            Wire::Wbxml => {
                let m = imps_csp::decode_wbxml(body, &imps_csp::Limits::default())
                    .map_err(|e| anyhow!("answer does not decode: {e}"))?;
                let xml = imps_csp::encode_xml(&m).map_err(|e| anyhow!("{e}"))?;
                Tree::parse_xml(xml.as_bytes())
                    .map(Some)
                    .map_err(|e| anyhow!(e))
            }
            Wire::Android => crate::android::decode_like_android(body)
                .map(Some)
                .map_err(|e| anyhow!("{e:?}")),
        }
    }

    /// Posts a whole XML document (encoded as this phone does) and reads the answer.
    pub async fn post_xml(&mut self, xml: &str) -> anyhow::Result<Answer> {
        let body = self.encode(xml)?;
        self.post_raw(body).await
    }

    /// Posts bytes as they are and reads the answer as this phone does.
    pub async fn post_raw(&mut self, body: Vec<u8>) -> anyhow::Result<Answer> {
        let media = match self.wire {
            Wire::Xml => "application/vnd.wv.csp.xml",
            Wire::Wbxml | Wire::Android => "application/vnd.wv.csp.wbxml",
        };
        let mut req = self
            .http
            .post(&self.url)
            .header("Content-Type", media)
            .body(body);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.context("HTTP request")?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(anyhow!("HTTP {}", resp.status()));
        }
        let raw = resp.bytes().await.context("HTTP body")?.to_vec();
        let tree = self
            .parse(&raw)
            .with_context(|| format!("the phone cannot parse the answer ({} bytes)", raw.len()))?;
        if let Some(sid) = tree
            .as_ref()
            .and_then(|t| find(t, "Login-Response"))
            .and_then(|l| find(l, "SessionID"))
        {
            self.session_id = Some(sid.text.clone());
        }
        Ok(Answer { raw, tree })
    }
}
