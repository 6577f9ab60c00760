//! Session and access primitives (csp-reference.md §2, §3.1): login, logout, keep-alive,
//! polling, service and capability negotiation, GetSPInfo, version discovery, and the service
//! tree (§5) that `Functions` / `AllFunctions` carry.

use std::borrow::Cow;

use crate::codec::{ContentData, Element, Ev, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::common::{ClientId, CspResult, IntText};
use crate::model::v13::SystemMessageResponseList;
use crate::version::{CspVersion, VersionRange};

// ---------------------------------------------------------------------------------------------
// Login, logout, keep-alive, polling (§2.1, §2.4–§2.6)
// ---------------------------------------------------------------------------------------------

element! {
    /// `Login-Request (UserID, ClientID, Password?, DigestBytes?, DigestSchema*, TimeToLive?,
    /// SessionCookie)` (§2.1; 1.1 allows at most one `DigestSchema`); 1.3 `Login-Request (UserID,
    /// ClientID, ApplicationID?, Password?, DigestBytes?, DigestSchema*, SessionID?, TimeToLive?,
    /// SessionCookie, SystemMessageResponseList?, Functions?, CapabilityList?)`.
    ///
    /// First request of the 4-way flow: no `Password`, one or more `DigestSchema`; second
    /// request: `DigestBytes`. The 2-way flow sends `Password` in clear.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 children `ApplicationID`, `SessionID`,
    /// `SystemMessageResponseList`, `Functions` and `CapabilityList` at Baraza's positions (1.3
    /// can answer system messages and negotiate services and capabilities inside the login).
    pub struct LoginRequest {
        /// `UserID` exactly as the user typed it (`wv:alice@example.com`, `alice@example.com` or
        /// just `alice`): normalise before use.
        user_id: String => "UserID",
        /// `ClientID`: the client application instance (mandatory in the model; lenient here).
        client_id: Option<ClientId> => "ClientID",
        /// 1.3 `ApplicationID`: the application (on the client) logging in.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// `Password` in clear (2-way login).
        password: Option<String> => "Password",
        /// `DigestBytes`: `base64(H(nonce ‖ password))` (4-way login), held as the base64 text
        /// the client sent (Android and Nokia send text, also in WBXML); compare it as text with
        /// the digest the server computes.
        digest_bytes: Option<String> => "DigestBytes",
        /// `DigestSchema*`: digest algorithms the client offers (`MD5`, `SHA`; `PWD` = plain).
        /// At most one in 1.1.
        digest_schema: Vec<String> => "DigestSchema",
        /// 1.3 `SessionID`: a session the client wants to resume.
        session_id: Option<String> => "SessionID" [only V1_3],
        /// `TimeToLive`: the idle timeout the client asks for, in seconds.
        time_to_live: Option<u32> => "TimeToLive",
        /// `SessionCookie`: client-chosen string the server must put in every CIR message.
        session_cookie: Option<String> => "SessionCookie",
        /// 1.3 `SystemMessageResponseList`: answers to system messages a previous
        /// Login-Response carried (terms of use, verification).
        system_message_response_list: Option<SystemMessageResponseList> => "SystemMessageResponseList" [only V1_3],
        /// 1.3 `Functions`: the services the client wants (as in Service-Request).
        functions: Option<Functions> => "Functions" [only V1_3],
        /// 1.3 `CapabilityList`: the client's capabilities (as in ClientCapability-Request).
        capability_list: Option<CapabilityList> => "CapabilityList" [only V1_3],
    }
}

element! {
    /// `Login-Response (ClientID, Result, Nonce?, DigestSchema?, SessionID?, KeepAliveTime?,
    /// CapabilityRequest?)` (§2.1), plus the 1.2+ `OtherServer`; 1.3 `Login-Response (UserID?,
    /// ClientID, Password?, Result, Nonce?, DigestSchema?, SessionID?, KeepAliveTime?,
    /// CapabilityRequest?, Functions?, AgreedCapabilityList?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 children `UserID` and `Password` (an
    /// auto-registered user's credentials), `Functions` and `AgreedCapabilityList` (services and
    /// capabilities negotiated inside the login) at Baraza's positions. `OtherServer` (1.2+,
    /// `(URL?, MSISDN?)` per Baraza's VersionDiscovery-Response) is not in Baraza's
    /// Login-Response; it is kept last as a redirect hint (the server the client should use).
    pub struct LoginResponse {
        /// 1.3 `UserID`: the user id assigned by auto-registration.
        user_id: Option<String> => "UserID" [only V1_3],
        /// `ClientID` echoed from the request.
        client_id: Option<ClientId> => "ClientID",
        /// 1.3 `Password`: the password assigned by auto-registration.
        password: Option<String> => "Password" [only V1_3],
        /// `Result`: 200 logged in, 401 complete the digest challenge, 409/531/543/603/…
        result: CspResult => "Result",
        /// `Nonce` for the digest challenge (with 401).
        nonce: Option<String> => "Nonce",
        /// `DigestSchema` the server chose for the challenge (`MD5` or `SHA`).
        digest_schema: Option<String> => "DigestSchema",
        /// `SessionID` of the new session (on success).
        session_id: Option<String> => "SessionID",
        /// `KeepAliveTime`: the granted idle timeout in seconds (≤ the requested TimeToLive).
        keep_alive_time: Option<u32> => "KeepAliveTime",
        /// `CapabilityRequest`: `T` if the client must run ClientCapability negotiation.
        capability_request: Option<bool> => "CapabilityRequest",
        /// 1.3 `Functions`: the agreed services (as in Service-Response).
        functions: Option<Functions> => "Functions" [only V1_3],
        /// 1.3 `AgreedCapabilityList`: the agreed capabilities.
        agreed_capability_list: Option<AgreedCapabilityList> => "AgreedCapabilityList" [only V1_3],
        /// 1.2+ `OtherServer`: another server the client should log in to (redirect hint).
        other_server: Option<OtherServer> => "OtherServer" [since V1_2],
    }
}

element! {
    /// `Logout-Request` (empty). Answered by `Disconnect` in 1.1 and `Status` in 1.2+ (§2.6).
    pub struct LogoutRequest {}
}

element! {
    /// `Disconnect (Result)`: the session is over (1.1 logout answer, or server-initiated with
    /// 600/601/603) (§2.6).
    pub struct Disconnect {
        /// `Result`: why the session ended.
        result: CspResult => "Result",
    }
}

element! {
    /// `KeepAlive-Request (TimeToLive?)` (§2.4).
    pub struct KeepAliveRequest {
        /// `TimeToLive`: a new idle timeout the client asks for, in seconds.
        time_to_live: Option<u32> => "TimeToLive",
    }
}

element! {
    /// `KeepAlive-Response (Result, KeepAliveTime?)` (§2.4).
    pub struct KeepAliveResponse {
        /// `Result`: 200, or 605 if the new TimeToLive is not accepted.
        result: CspResult => "Result",
        /// `KeepAliveTime`: the granted idle timeout in seconds.
        keep_alive_time: Option<u32> => "KeepAliveTime",
    }
}

element! {
    /// `Polling-Request` (empty): "send me your oldest queued request" (§2.5).
    pub struct PollingRequest {}
}

// ---------------------------------------------------------------------------------------------
// Service negotiation (§2.3) and the service tree (§5)
// ---------------------------------------------------------------------------------------------

element! {
    /// `Service-Request (ClientID, Functions?, AllFunctionsRequest)` (1.1) /
    /// `Service-Request (Functions, AllFunctionsRequest)` (1.2+) (§2.3).
    pub struct ServiceRequest {
        /// 1.1 `ClientID`: the client application instance.
        client_id: Option<ClientId> => "ClientID" [only V1_1],
        /// `Functions`: the functions the client wants (an empty feature = all of it).
        functions: Option<Functions> => "Functions",
        /// `AllFunctionsRequest`: `T` = also return everything the server offers.
        all_functions_request: Option<bool> => "AllFunctionsRequest",
    }
}

element! {
    /// `Service-Response (ClientID?, Functions?, AllFunctions?)` (ClientID in 1.1 only) (§2.3),
    /// plus the tokenless `NotAvailableFunctions` that PTS knows (written as a LITERAL in WBXML).
    pub struct ServiceResponse {
        /// 1.1 `ClientID` echoed from the request.
        client_id: Option<ClientId> => "ClientID" [only V1_1],
        /// `Functions`: the agreed subset of the requested functions.
        functions: Option<Functions> => "Functions",
        /// `AllFunctions`: everything the server offers (when `AllFunctionsRequest` was `T`).
        all_functions: Option<Functions> => "AllFunctions",
        /// `NotAvailableFunctions` (lenient extra, PTS code `NF`): requested functions the server
        /// does not offer. Leave `None` unless the client is known to understand it.
        not_available_functions: Option<Functions> => "NotAvailableFunctions",
    }
}

element! {
    /// `Functions (WVCSPFeat)`; also the content of `AllFunctions` and `NotAvailableFunctions`.
    pub struct Functions {
        /// `WVCSPFeat`: the service tree.
        wvcsp_feat: Option<WvcspFeat> => "WVCSPFeat",
    }
}

impl Functions {
    /// A `Functions` element holding `tree`.
    pub fn new(tree: WvcspFeat) -> Self {
        Functions {
            wvcsp_feat: Some(tree),
        }
    }
}

/// One function code of the service tree (§5): where it sits and which versions have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionCode {
    /// The code (element name), e.g. `SRCH`.
    pub code: &'static str,
    /// The feature element it belongs to, e.g. `FundamentalFeat`.
    pub feature: &'static str,
    /// Its parent `*Func` element, e.g. `SearchFunc`; `None` for the 1.2 whole-feature markers
    /// `MF` / `MP` / `MM` / `MG`, which sit directly in the feature.
    pub func: Option<&'static str>,
    /// The versions whose token tables have the code.
    pub versions: VersionRange,
}

const V11_13: VersionRange = VersionRange::ALL;
const V11_12: VersionRange = VersionRange {
    since: CspVersion::V1_1,
    until: CspVersion::V1_2,
};
const V12_13: VersionRange = VersionRange {
    since: CspVersion::V1_2,
    until: CspVersion::V1_3,
};
const V13: VersionRange = VersionRange {
    since: CspVersion::V1_3,
    until: CspVersion::V1_3,
};

macro_rules! codes {
    (@func -) => { None };
    (@func $f:literal) => { Some($f) };
    ($( $code:literal => $feat:literal / $func:tt [$vr:ident] ),* $(,)?) => {
        &[ $( FunctionCode { code: $code, feature: $feat, func: codes!(@func $func), versions: $vr }, )* ]
    };
}

/// Every function code of §5 in canonical order (feature, then `*Func`, then code), with its
/// parent and versions.
///
/// Reconstructed (Baraza cspmessages.def): the 1.3 codes, whose parents the reference does not
/// give, are placed as there: `GETMAP`, `SGMNT` after `GETSPI` in `ServiceFunc`; `ADVSR`
/// between `SRCH` and `STSRC` in `SearchFunc`; `OFFNOTIF` last in `IMReceiveFunc`; `EXCON` in
/// `GroupUseFunc`, after `GETJU` (which stays in `GroupUseFunc` per the reference's \[S\] 1.2
/// tree; Baraza puts it in `GroupAuthFunc`). `VerifyIDFunc` (1.2+) follows `InviteFunc`.
/// `DALI` is taken as 1.1–1.2 (Android's 1.3 table drops it).
pub const FUNCTION_CODES: &[FunctionCode] = codes![
    "MF" => "FundamentalFeat" / - [V12_13],
    "GETSPI" => "FundamentalFeat" / "ServiceFunc" [V11_13],
    "GETMAP" => "FundamentalFeat" / "ServiceFunc" [V13],
    "SGMNT" => "FundamentalFeat" / "ServiceFunc" [V13],
    "SRCH" => "FundamentalFeat" / "SearchFunc" [V11_13],
    "ADVSR" => "FundamentalFeat" / "SearchFunc" [V13],
    "STSRC" => "FundamentalFeat" / "SearchFunc" [V11_13],
    "INVIT" => "FundamentalFeat" / "InviteFunc" [V11_13],
    "CAINV" => "FundamentalFeat" / "InviteFunc" [V11_13],
    "VRID" => "FundamentalFeat" / "VerifyIDFunc" [V12_13],
    "MP" => "PresenceFeat" / - [V12_13],
    "GCLI" => "PresenceFeat" / "ContListFunc" [V11_13],
    "CCLI" => "PresenceFeat" / "ContListFunc" [V11_13],
    "DCLI" => "PresenceFeat" / "ContListFunc" [V11_13],
    "MCLS" => "PresenceFeat" / "ContListFunc" [V11_13],
    "GETWL" => "PresenceFeat" / "PresenceAuthFunc" [V11_13],
    "REACT" => "PresenceFeat" / "PresenceAuthFunc" [V11_12],
    "CAAUT" => "PresenceFeat" / "PresenceAuthFunc" [V11_12],
    "GETAUT" => "PresenceFeat" / "PresenceAuthFunc" [V12_13],
    "GETPR" => "PresenceFeat" / "PresenceDeliverFunc" [V11_13],
    "UPDPR" => "PresenceFeat" / "PresenceDeliverFunc" [V11_13],
    "CALI" => "PresenceFeat" / "AttListFunc" [V11_12],
    "DALI" => "PresenceFeat" / "AttListFunc" [V11_12],
    "GALS" => "PresenceFeat" / "AttListFunc" [V11_12],
    "MM" => "IMFeat" / - [V12_13],
    "MDELIV" => "IMFeat" / "IMSendFunc" [V11_13],
    "FWMSG" => "IMFeat" / "IMSendFunc" [V11_13],
    "SETD" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "GETLM" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "GETM" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "REJCM" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "NOTIF" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "NEWM" => "IMFeat" / "IMReceiveFunc" [V11_13],
    "OFFNOTIF" => "IMFeat" / "IMReceiveFunc" [V13],
    "GLBLU" => "IMFeat" / "IMAuthFunc" [V11_13],
    "BLENT" => "IMFeat" / "IMAuthFunc" [V11_13],
    "MG" => "GroupFeat" / - [V12_13],
    "CREAG" => "GroupFeat" / "GroupMgmtFunc" [V11_13],
    "DELGR" => "GroupFeat" / "GroupMgmtFunc" [V11_13],
    "GETGP" => "GroupFeat" / "GroupMgmtFunc" [V11_13],
    "SETGP" => "GroupFeat" / "GroupMgmtFunc" [V11_13],
    "SUBGCN" => "GroupFeat" / "GroupUseFunc" [V11_13],
    "GRCHN" => "GroupFeat" / "GroupUseFunc" [V11_13],
    "GETJU" => "GroupFeat" / "GroupUseFunc" [V12_13],
    "EXCON" => "GroupFeat" / "GroupUseFunc" [V13],
    "GETGM" => "GroupFeat" / "GroupAuthFunc" [V11_13],
    "ADDGM" => "GroupFeat" / "GroupAuthFunc" [V11_13],
    "RMVGM" => "GroupFeat" / "GroupAuthFunc" [V11_13],
    "MBRAC" => "GroupFeat" / "GroupAuthFunc" [V11_13],
    "REJEC" => "GroupFeat" / "GroupAuthFunc" [V11_13],
];

/// Every `*Func` element with its versions (`AttListFunc` is gone in 1.3, `VerifyIDFunc` is
/// new in 1.2).
pub const FUNCTION_GROUPS: &[(&str, VersionRange)] = &[
    ("ServiceFunc", V11_13),
    ("SearchFunc", V11_13),
    ("InviteFunc", V11_13),
    ("VerifyIDFunc", V12_13),
    ("ContListFunc", V11_13),
    ("PresenceAuthFunc", V11_13),
    ("PresenceDeliverFunc", V11_13),
    ("AttListFunc", V11_12),
    ("IMSendFunc", V11_13),
    ("IMReceiveFunc", V11_13),
    ("IMAuthFunc", V11_13),
    ("GroupMgmtFunc", V11_13),
    ("GroupUseFunc", V11_13),
    ("GroupAuthFunc", V11_13),
];

/// The four feature elements of `WVCSPFeat`, in order.
pub const FEATURES: [&str; 4] = ["FundamentalFeat", "PresenceFeat", "IMFeat", "GroupFeat"];

/// The table entry of function code `code` (exact, case-sensitive name).
pub fn function_code(code: &str) -> Option<&'static FunctionCode> {
    FUNCTION_CODES.iter().find(|f| f.code == code)
}

/// The static spelling of a known code or `*Func` name.
fn known_name(name: &str) -> Option<&'static str> {
    function_code(name).map(|f| f.code).or_else(|| {
        FUNCTION_GROUPS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, _)| *n)
    })
}

/// The versions a known code or `*Func` name exists in (`None` for unknown names).
fn name_versions(name: &str) -> Option<VersionRange> {
    function_code(name).map(|f| f.versions).or_else(|| {
        FUNCTION_GROUPS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    })
}

/// Borrows the static spelling of a known name; keeps unknown names as owned strings.
fn intern(name: &str) -> Cow<'static, str> {
    match known_name(name) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(name.to_owned()),
    }
}

/// Opens an element whose name is held as a string: by token for known names.
fn start_named<K: Sink>(name: &str, sink: &mut K) -> Result<(), EncodeError> {
    match known_name(name) {
        Some(s) => sink.start(s),
        None => sink.start_dyn(name),
    }
}

/// One `*Func` element of a feature (e.g. `SearchFunc`) and the function codes in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionGroup {
    /// The `*Func` element name (static for known names, owned for unknown ones).
    pub func: Cow<'static, str>,
    /// The function codes (empty elements) inside, in the order received / to write.
    pub codes: Vec<Cow<'static, str>>,
}

impl FunctionGroup {
    /// A group `func` holding `codes`.
    pub fn new(func: &str, codes: &[&str]) -> Self {
        FunctionGroup {
            func: intern(func),
            codes: codes.iter().map(|c| intern(c)).collect(),
        }
    }
}

/// One feature of the service tree (`FundamentalFeat`, `PresenceFeat`, `IMFeat`, `GroupFeat`):
/// `(MF | (ServiceFunc?, SearchFunc?, …))`.
///
/// Decoded generically by element name so that any code under any `*Func` round-trips: a
/// child whose name ends in `Func` is a [`FunctionGroup`]; any other child (the 1.2 markers
/// `MF`/`MP`/`MM`/`MG`, or a code a sloppy client put directly in the feature) goes to
/// [`Feature::markers`]. An empty feature (`<PresenceFeat/>`) means "the whole feature" in a
/// request. Encoding writes exactly what the value holds: filter per version first
/// ([`WvcspFeat::retain_version`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feature {
    /// Empty elements directly inside the feature: the 1.2 whole-feature markers (and any
    /// misplaced code), in order.
    pub markers: Vec<Cow<'static, str>>,
    /// The `*Func` elements, in order.
    pub groups: Vec<FunctionGroup>,
}

impl Feature {
    /// Whether the feature holds nothing (in a request: "everything under this feature").
    pub fn is_empty(&self) -> bool {
        self.markers.is_empty() && self.groups.iter().all(|g| g.codes.is_empty())
    }

    /// Whether the feature stands for the whole feature: empty, or holding a 1.2 marker
    /// (`MF`/`MP`/`MM`/`MG`).
    pub fn is_whole(&self) -> bool {
        self.is_empty()
            || self
                .markers
                .iter()
                .any(|m| matches!(&**m, "MF" | "MP" | "MM" | "MG"))
    }

    /// Whether function code (or marker) `code` is in the feature, under any parent.
    pub fn contains(&self, code: &str) -> bool {
        self.markers.iter().any(|m| m == code)
            || self
                .groups
                .iter()
                .any(|g| g.codes.iter().any(|c| c == code))
    }

    /// Every code and marker in the feature, in order (markers first).
    pub fn codes(&self) -> impl Iterator<Item = &str> + '_ {
        self.markers.iter().map(|m| &**m).chain(
            self.groups
                .iter()
                .flat_map(|g| g.codes.iter().map(|c| &**c)),
        )
    }

    /// Adds `code` under `func` (the group is created at the end if missing), unless present.
    pub fn insert(&mut self, func: Option<&str>, code: &str) {
        match func {
            None => {
                if !self.markers.iter().any(|m| m == code) {
                    self.markers.push(intern(code));
                }
            }
            Some(func) => {
                let i = match self.groups.iter().position(|g| g.func == func) {
                    Some(i) => i,
                    None => {
                        self.groups.push(FunctionGroup {
                            func: intern(func),
                            codes: Vec::new(),
                        });
                        self.groups.len() - 1
                    }
                };
                let group = &mut self.groups[i];
                if !group.codes.iter().any(|c| c == code) {
                    group.codes.push(intern(code));
                }
            }
        }
    }

    /// Keeps the markers and codes for which `keep(code)` holds; drops `*Func` groups left
    /// empty.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.markers.retain(|m| keep(m));
        for g in &mut self.groups {
            g.codes.retain(|c| keep(c));
        }
        self.groups.retain(|g| !g.codes.is_empty());
    }
}

impl Element for Feature {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let mut feature = Feature::default();
        loop {
            match src.next()? {
                Ev::Start(name) if name.ends_with("Func") => {
                    let mut group = FunctionGroup {
                        func: intern(&name),
                        codes: Vec::new(),
                    };
                    loop {
                        match src.next()? {
                            Ev::Start(code) => {
                                group.codes.push(intern(&code));
                                src.skip()?;
                            }
                            Ev::End => break,
                            Ev::Text(_) | Ev::Opaque(_) => {}
                            Ev::Eof => {
                                return Err(DecodeError::Malformed(
                                    "unexpected end of document".into(),
                                ))
                            }
                        }
                    }
                    feature.groups.push(group);
                }
                Ev::Start(name) => {
                    feature.markers.push(intern(&name));
                    src.skip()?;
                }
                Ev::End => return Ok(feature),
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        for m in &self.markers {
            start_named(m, sink)?;
            sink.end()?;
        }
        for g in &self.groups {
            start_named(&g.func, sink)?;
            for c in &g.codes {
                start_named(c, sink)?;
                sink.end()?;
            }
            sink.end()?;
        }
        sink.end()
    }
}

impl Sample for Feature {
    /// A fundamental feature with search and invitations (codes of every version).
    fn sample() -> Self {
        Feature {
            markers: Vec::new(),
            groups: vec![
                FunctionGroup::new("SearchFunc", &["SRCH", "STSRC"]),
                FunctionGroup::new("InviteFunc", &["INVIT", "CAINV"]),
            ],
        }
    }
}

crate::required_slot!(Feature);

/// `WVCSPFeat (FundamentalFeat?, PresenceFeat?, IMFeat?, GroupFeat?)`: the service tree (§5).
///
/// Ask it whether a function is in the tree ([`WvcspFeat::contains`]), list its codes
/// ([`WvcspFeat::codes`]), build one from codes ([`WvcspFeat::from_codes`]) and filter it for
/// a version ([`WvcspFeat::retain_version`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WvcspFeat {
    /// `FundamentalFeat`: service info, search, invitations, VerifyID.
    pub fundamental: Option<Feature>,
    /// `PresenceFeat`: contact lists, presence authorisation and delivery, attribute lists.
    pub presence: Option<Feature>,
    /// `IMFeat`: sending, receiving and blocking messages.
    pub im: Option<Feature>,
    /// `GroupFeat`: group management, use and authorisation.
    pub group: Option<Feature>,
}

impl WvcspFeat {
    /// The feature element called `name` (`FundamentalFeat`, …).
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        match name {
            "FundamentalFeat" => self.fundamental.as_ref(),
            "PresenceFeat" => self.presence.as_ref(),
            "IMFeat" => self.im.as_ref(),
            "GroupFeat" => self.group.as_ref(),
            _ => None,
        }
    }

    /// The slot of the feature element called `name` (`None` for an unknown name).
    pub fn feature_slot(&mut self, name: &str) -> Option<&mut Option<Feature>> {
        match name {
            "FundamentalFeat" => Some(&mut self.fundamental),
            "PresenceFeat" => Some(&mut self.presence),
            "IMFeat" => Some(&mut self.im),
            "GroupFeat" => Some(&mut self.group),
            _ => None,
        }
    }

    /// The four features with their element names, in order (absent ones skipped).
    pub fn features(&self) -> impl Iterator<Item = (&'static str, &Feature)> + '_ {
        FEATURES
            .into_iter()
            .zip([&self.fundamental, &self.presence, &self.im, &self.group])
            .filter_map(|(n, f)| f.as_ref().map(|f| (n, f)))
    }

    /// Whether function code `code` is anywhere in the tree (under any `*Func` of any feature).
    /// Says nothing about empty ("whole") features: see [`Feature::is_whole`].
    pub fn contains(&self, code: &str) -> bool {
        self.features().any(|(_, f)| f.contains(code))
    }

    /// Every code and marker in the tree, in order.
    pub fn codes(&self) -> Vec<&str> {
        self.features().flat_map(|(_, f)| f.codes()).collect()
    }

    /// A tree holding `codes`, each placed under its parent feature and `*Func` per §5
    /// ([`FUNCTION_CODES`]), in canonical order whatever the input order. Markers go directly
    /// in their feature; unknown codes are left out.
    pub fn from_codes<'s>(codes: impl IntoIterator<Item = &'s str>) -> Self {
        let wanted: Vec<&str> = codes.into_iter().collect();
        let mut tree = WvcspFeat::default();
        for f in FUNCTION_CODES.iter().filter(|f| wanted.contains(&f.code)) {
            if let Some(slot) = tree.feature_slot(f.feature) {
                slot.get_or_insert_with(Feature::default)
                    .insert(f.func, f.code);
            }
        }
        tree
    }

    /// Every function code of `version` (no markers), in canonical order.
    pub fn all_for(version: CspVersion) -> Self {
        Self::from_codes(
            FUNCTION_CODES
                .iter()
                .filter(|f| f.func.is_some() && f.versions.contains(version))
                .map(|f| f.code),
        )
    }

    /// Keeps the codes for which `keep(code)` holds. A feature that held codes and is left
    /// with none is removed (an empty feature would mean "everything"); a feature that was
    /// empty to begin with is kept.
    pub fn retain(&mut self, keep: impl FnMut(&str) -> bool) {
        self.retain_with(|_| true, keep);
    }

    /// Drops what `version` does not have: codes, markers and `*Func` elements absent from
    /// its token tables, and unknown names. A feature emptied this way is removed. Call before
    /// encoding for a client.
    pub fn retain_version(&mut self, version: CspVersion) {
        let exists = |name: &str| name_versions(name).is_some_and(|v| v.contains(version));
        self.retain_with(exists, exists);
    }

    fn retain_with(
        &mut self,
        mut keep_group: impl FnMut(&str) -> bool,
        mut keep_code: impl FnMut(&str) -> bool,
    ) {
        for slot in [
            &mut self.fundamental,
            &mut self.presence,
            &mut self.im,
            &mut self.group,
        ] {
            if let Some(f) = slot {
                if f.is_empty() {
                    continue;
                }
                f.groups.retain(|g| keep_group(&g.func));
                f.retain(&mut keep_code);
                if f.is_empty() {
                    *slot = None;
                }
            }
        }
    }
}

impl Element for WvcspFeat {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let mut tree = WvcspFeat::default();
        loop {
            match src.next()? {
                Ev::Start(name) => match tree.feature_slot(&name) {
                    Some(slot) => {
                        let f = Feature::decode(src)?;
                        if slot.is_none() {
                            *slot = Some(f);
                        }
                    }
                    None => src.skip()?,
                },
                Ev::End => return Ok(tree),
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        for (n, f) in self.features() {
            f.encode(n, sink)?;
        }
        sink.end()
    }
}

impl Sample for WvcspFeat {
    /// A realistic 1.1-compatible tree: part of every feature.
    fn sample() -> Self {
        WvcspFeat {
            fundamental: Some(Feature {
                markers: Vec::new(),
                groups: vec![
                    FunctionGroup::new("ServiceFunc", &["GETSPI"]),
                    FunctionGroup::new("SearchFunc", &["SRCH", "STSRC"]),
                    FunctionGroup::new("InviteFunc", &["INVIT", "CAINV"]),
                ],
            }),
            presence: Some(Feature {
                markers: Vec::new(),
                groups: vec![
                    FunctionGroup::new("ContListFunc", &["GCLI", "CCLI", "DCLI", "MCLS"]),
                    FunctionGroup::new("PresenceAuthFunc", &["GETWL"]),
                    FunctionGroup::new("PresenceDeliverFunc", &["GETPR", "UPDPR"]),
                ],
            }),
            im: Some(Feature {
                markers: Vec::new(),
                groups: vec![
                    FunctionGroup::new("IMSendFunc", &["MDELIV", "FWMSG"]),
                    FunctionGroup::new(
                        "IMReceiveFunc",
                        &["SETD", "GETLM", "GETM", "REJCM", "NOTIF", "NEWM"],
                    ),
                    FunctionGroup::new("IMAuthFunc", &["GLBLU", "BLENT"]),
                ],
            }),
            group: Some(Feature {
                markers: Vec::new(),
                groups: vec![
                    FunctionGroup::new("GroupMgmtFunc", &["CREAG", "DELGR", "GETGP", "SETGP"]),
                    FunctionGroup::new("GroupUseFunc", &["SUBGCN", "GRCHN"]),
                    FunctionGroup::new(
                        "GroupAuthFunc",
                        &["GETGM", "ADDGM", "RMVGM", "MBRAC", "REJEC"],
                    ),
                ],
            }),
        }
    }
}

crate::required_slot!(WvcspFeat);

// ---------------------------------------------------------------------------------------------
// Client capability negotiation (§2.2)
// ---------------------------------------------------------------------------------------------

element! {
    /// `ClientCapability-Request (ClientID, CapabilityList?)` (1.1) /
    /// `ClientCapability-Request (CapabilityList)` (1.2+) (§2.2).
    pub struct ClientCapabilityRequest {
        /// 1.1 `ClientID`: the client application instance.
        client_id: Option<ClientId> => "ClientID" [only V1_1],
        /// `CapabilityList`: what the client proposes.
        capability_list: Option<CapabilityList> => "CapabilityList",
    }
}

element! {
    /// `ClientCapability-Response (ClientID?, CapabilityList)` (1.1) /
    /// `ClientCapability-Response (AgreedCapabilityList)` (1.2+) (§2.2).
    ///
    /// Build it with [`ClientCapabilityResponse::new`] to put the list in the version's element.
    pub struct ClientCapabilityResponse {
        /// 1.1 `CapabilityList`: the agreed capabilities. Written **first**: Android's engine
        /// takes the agreed list as the first child of the response (csp-reference §11.1), so
        /// a `ClientID` before it would leave the client with no agreed capabilities.
        capability_list: Option<CapabilityList> => "CapabilityList" [only V1_1],
        /// 1.1 `ClientID` echoed from the request (after the list, see above).
        client_id: Option<ClientId> => "ClientID" [only V1_1],
        /// 1.2+ `AgreedCapabilityList`: the agreed capabilities.
        agreed_capability_list: Option<AgreedCapabilityList> => "AgreedCapabilityList" [since V1_2],
    }
}

impl ClientCapabilityResponse {
    /// A response carrying `agreed` in the element `version` uses (`CapabilityList` in 1.1,
    /// `AgreedCapabilityList` in 1.2+).
    pub fn new(version: CspVersion, agreed: CapabilityList) -> Self {
        if version == CspVersion::V1_1 {
            ClientCapabilityResponse {
                capability_list: Some(agreed),
                ..Default::default()
            }
        } else {
            ClientCapabilityResponse {
                agreed_capability_list: Some(agreed),
                ..Default::default()
            }
        }
    }

    /// The agreed list, whichever element carried it (`AgreedCapabilityList` first).
    pub fn agreed(&self) -> Option<&CapabilityList> {
        self.agreed_capability_list
            .as_ref()
            .or(self.capability_list.as_ref())
    }
}

element! {
    /// `CapabilityList` / `AgreedCapabilityList`: client capabilities (§2.2), in the 1.2 order
    /// `ClientType, InitialDeliveryMethod, ((AnyContent, AcceptedCharset*) | AcceptedContentType*),
    /// AcceptedTransferEncoding*, AcceptedContentLength, SupportedBearer*, MultiTrans, ParserSize,
    /// SupportedCIRMethod*, UDPPort?, ServerPollMin?, DefaultLanguage?`, with the server→client
    /// items and the 1.3 additions merged in. Every child is optional here (clients send subsets,
    /// in any order).
    ///
    /// `TCPAddress`/`TCPPort` follow `UDPPort`: that is the 1.1 `CapabilityList` order, and in
    /// 1.2 they directly follow `SupportedCIRMethod*` as in Nokia's `AgreedCapabilityList
    /// (SupportedBearer*, SupportedCIRMethod*, TCPAddress?, TCPPort?, ServerPollMin?, CIRURL?)`,
    /// which has no `UDPPort`. `CIRHTTPAddress` (1.2 `CIRURL`) follows `ServerPollMin` as there.
    ///
    /// Reconstructed: the 1.3 order is unknown (Baraza orders the list roughly alphabetically,
    /// not followed: the 1.2 order is kept and the 1.3 items merged in). The `Accepted*Length`
    /// family replaces `AcceptedContentLength` in place; `MultiTransPerMessage` follows
    /// `MultiTrans`; `UDPAddress` precedes `UDPPort` (Baraza's `(UDPAddress, UDPPort)` pair);
    /// `CIRSMSAddress` follows `CIRHTTPAddress`; the other 1.3-only capabilities
    /// (`PlainTextCharset`, `SessionPriority`, `UserSessionLimit`, `SupportedOfflineBearer*`,
    /// `OfflineETEMHandling`, `OnlineETEMHandling`, `ContentPolicy`, `ContentPolicyLimit`) come
    /// last in page-3 token order. `UDPAddress`, `CIRSMSAddress`, `ContentPolicy` and the ETEM
    /// handling values are taken as text. Baraza puts `AcceptedRichContentLength`,
    /// `ContentPolicy` and `ContentPolicyLimit` only inside the 1.3 [`AcceptedContentType`]
    /// structure; the list-level fields are kept for lenient decoding (leave them `None` when
    /// building a list).
    pub struct CapabilityList {
        /// `ClientType`: `MOBILE_PHONE`, `COMPUTER`, `PDA`, `CLI` or `OTHER`.
        client_type: Option<String> => "ClientType",
        /// `InitialDeliveryMethod`: `P` = push (NewMessage), `N` = notify/get.
        initial_delivery_method: Option<String> => "InitialDeliveryMethod",
        /// `AnyContent`: `T` = the client renders any content type.
        any_content: Option<bool> => "AnyContent",
        /// 1.1–1.2 `AcceptedCharset*`: character sets the client accepts (IANA MIBenum numbers
        /// as text, e.g. `106` = UTF-8; libwbxml sends them as OPAQUE integers).
        accepted_charset: Vec<IntText> => "AcceptedCharset" [until V1_2],
        /// `AcceptedContentType*`: MIME types the client renders (e.g. `text/plain`); in 1.3
        /// each with its own limits.
        accepted_content_type: Vec<AcceptedContentType> => "AcceptedContentType",
        /// `AcceptedTransferEncoding*`: `BASE64`, `None`.
        accepted_transfer_encoding: Vec<String> => "AcceptedTransferEncoding",
        /// 1.1–1.2 `AcceptedContentLength`: largest message content in bytes.
        accepted_content_length: Option<u32> => "AcceptedContentLength" [until V1_2],
        /// 1.3 `AcceptedPullLength`: largest content fetched with GetMessage, in bytes.
        accepted_pull_length: Option<u32> => "AcceptedPullLength" [only V1_3],
        /// 1.3 `AcceptedPushLength`: largest content pushed with NewMessage, in bytes.
        accepted_push_length: Option<u32> => "AcceptedPushLength" [only V1_3],
        /// 1.3 `AcceptedRichContentLength`: largest rich (non-text) content, in bytes.
        accepted_rich_content_length: Option<u32> => "AcceptedRichContentLength" [only V1_3],
        /// 1.3 `AcceptedTextContentLength`: largest text content, in bytes.
        accepted_text_content_length: Option<u32> => "AcceptedTextContentLength" [only V1_3],
        /// `SupportedBearer*`: `HTTP`, `HTTPS`, `WSP`, `SMS`.
        supported_bearer: Vec<String> => "SupportedBearer",
        /// `MultiTrans`: most open transactions in each direction.
        multi_trans: Option<u32> => "MultiTrans",
        /// 1.3 `MultiTransPerMessage`: most `Transaction` elements per message.
        multi_trans_per_message: Option<u32> => "MultiTransPerMessage" [only V1_3],
        /// `ParserSize`: largest primitive the client can parse, in bytes.
        parser_size: Option<u32> => "ParserSize",
        /// `SupportedCIRMethod*`: `WAPSMS`, `WAPUDP`, `SUDP`, `STCP`, and 1.2+ `SSMS`, `SHTTP`.
        supported_cir_method: Vec<String> => "SupportedCIRMethod",
        /// 1.3 `UDPAddress`: the address the client listens on for UDP CIR.
        udp_address: Option<String> => "UDPAddress" [only V1_3],
        /// `UDPPort`: the port the client listens on for UDP CIR.
        udp_port: Option<u32> => "UDPPort",
        /// `TCPAddress` (server → client): where to open the standalone TCP CIR connection.
        tcp_address: Option<String> => "TCPAddress",
        /// `TCPPort` (server → client): the TCP CIR port (always send it with TCPAddress).
        tcp_port: Option<u32> => "TCPPort",
        /// `ServerPollMin`: minimum seconds between Polling-Requests.
        server_poll_min: Option<u32> => "ServerPollMin",
        /// `CIRHTTPAddress` (1.2 spelling `CIRURL`; server → client): the standalone-HTTP CIR
        /// poll URL.
        cir_http_address: Option<CirHttpAddress> => "CIRHTTPAddress" [since V1_2],
        /// 1.3 `CIRSMSAddress` (server → client): the SMS CIR address.
        cir_sms_address: Option<String> => "CIRSMSAddress" [only V1_3],
        /// `DefaultLanguage`: ISO 639 language code.
        default_language: Option<String> => "DefaultLanguage",
        /// 1.3 `PlainTextCharset`: MIBenum of the charset for plain text.
        plain_text_charset: Option<u32> => "PlainTextCharset" [only V1_3],
        /// 1.3 `SessionPriority`: priority of this session among the user's sessions.
        session_priority: Option<u32> => "SessionPriority" [only V1_3],
        /// 1.3 `UserSessionLimit`: most concurrent sessions of the user.
        user_session_limit: Option<u32> => "UserSessionLimit" [only V1_3],
        /// 1.3 `SupportedOfflineBearer*`: bearers usable while the client is offline.
        supported_offline_bearer: Vec<String> => "SupportedOfflineBearer" [only V1_3],
        /// 1.3 `OfflineETEMHandling`: end-to-end extension handling while offline.
        offline_etem_handling: Option<String> => "OfflineETEMHandling" [only V1_3],
        /// 1.3 `OnlineETEMHandling`: end-to-end extension handling while online.
        online_etem_handling: Option<String> => "OnlineETEMHandling" [only V1_3],
        /// 1.3 `ContentPolicy`: the content policy the client applies.
        content_policy: Option<String> => "ContentPolicy" [only V1_3],
        /// 1.3 `ContentPolicyLimit`: the limit that goes with ContentPolicy.
        content_policy_limit: Option<u32> => "ContentPolicyLimit" [only V1_3],
    }
}

/// `AgreedCapabilityList` (1.2+): the same content as [`CapabilityList`], under another name.
pub type AgreedCapabilityList = CapabilityList;

element! {
    /// `CIRHTTPAddress (URL)` (1.2 `CIRURL (URL)`): the standalone-HTTP CIR channel.
    pub struct CirHttpAddress {
        /// `URL` the client polls (GET) for CIR.
        url: Option<String> => "URL",
    }
}

// ---------------------------------------------------------------------------------------------
// GetSPInfo (§2.7) and version discovery (§1.3)
// ---------------------------------------------------------------------------------------------

element! {
    /// `GetSPInfo-Request (ClientID?)` (§2.7).
    pub struct GetSpInfoRequest {
        /// `ClientID`: the client application instance.
        client_id: Option<ClientId> => "ClientID",
    }
}

element! {
    /// `GetSPInfo-Response (ClientID?, Name, Logo?, Description?, URL?)`: operator branding
    /// (§2.7).
    pub struct GetSpInfoResponse {
        /// `ClientID` echoed from the request.
        client_id: Option<ClientId> => "ClientID",
        /// `Name` of the service provider (mandatory in the model; lenient here).
        name: Option<String> => "Name",
        /// `Logo` of the service provider.
        logo: Option<Logo> => "Logo",
        /// `Description` of the service.
        description: Option<String> => "Description",
        /// `URL` of the service provider's web page.
        url: Option<String> => "URL",
    }
}

element! {
    /// `Logo (ContentType, ContentSize?, ContentEncoding, ContentData)`.
    pub struct Logo {
        /// `ContentType`: MIME type of the image (e.g. `image/png`).
        content_type: Option<String> => "ContentType",
        /// `ContentSize`: size of the content in bytes.
        content_size: Option<u32> => "ContentSize",
        /// `ContentEncoding`: `BASE64` or `None`.
        content_encoding: Option<String> => "ContentEncoding",
        /// `ContentData`: the image.
        content_data: ContentData => "ContentData",
    }
}

element! {
    /// `OtherServer (URL?, MSISDN?)` (1.2+): another server, by address.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct OtherServer {
        /// `URL` of the other server.
        url: Option<String> => "URL",
        /// `MSISDN` of the other server (SMS binding).
        msisdn: Option<String> => "MSISDN",
    }
}

element! {
    /// `WV-CSP-VersionDiscovery-Request (VersionList?, ExtendedData*)` (1.2+, §1.3).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; the `VersionList` holds the
    /// namespaces of the versions the client speaks.
    pub struct VersionDiscoveryRequest {
        /// `VersionList`: the versions the client speaks.
        version_list: Option<VersionList> => "VersionList",
        /// `ExtendedData*`: vendor data (text).
        extended_data: Vec<String> => "ExtendedData",
    }
}

element! {
    /// `WV-CSP-VersionDiscovery-Response (VersionList?, OtherServer*, ExtendedData*)` (1.2+,
    /// §1.3).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; the `VersionList` holds the
    /// namespaces of the versions the server implements, `OtherServer` servers that speak other
    /// versions.
    pub struct VersionDiscoveryResponse {
        /// `VersionList`: the versions the server implements.
        version_list: Option<VersionList> => "VersionList",
        /// `OtherServer*`: other servers the client may use.
        other_server: Vec<OtherServer> => "OtherServer",
        /// `ExtendedData*`: vendor data (text).
        extended_data: Vec<String> => "ExtendedData",
    }
}

element! {
    /// `VersionList (SessionNSName*, TransactionNSName*, PresenceAttributeNSName*)`: CSP
    /// versions, named by their namespace URIs (CSP, TRC and PA namespaces, grouped by kind).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct VersionList {
        /// `SessionNSName*`: CSP (session) namespace URIs, e.g.
        /// `http://www.openmobilealliance.org/DTD/WV-CSP1.2`.
        session_ns_name: Vec<String> => "SessionNSName",
        /// `TransactionNSName*`: TRC (transaction content) namespace URIs.
        transaction_ns_name: Vec<String> => "TransactionNSName",
        /// `PresenceAttributeNSName*`: PA (presence attribute) namespace URIs.
        presence_attribute_ns_name: Vec<String> => "PresenceAttributeNSName",
    }
}

impl VersionList {
    /// A list naming `versions` (their CSP, TRC and PA namespaces, in the order given).
    pub fn new(versions: &[CspVersion]) -> Self {
        VersionList {
            session_ns_name: versions
                .iter()
                .map(|v| v.csp_namespace().to_owned())
                .collect(),
            transaction_ns_name: versions
                .iter()
                .map(|v| v.trc_namespace().to_owned())
                .collect(),
            presence_attribute_ns_name: versions
                .iter()
                .map(|v| v.pa_namespace().to_owned())
                .collect(),
        }
    }

    /// The versions this crate knows among the `SessionNSName`s, in list order.
    pub fn known(&self) -> impl Iterator<Item = CspVersion> + '_ {
        self.session_ns_name
            .iter()
            .filter_map(|ns| CspVersion::from_namespace(ns))
    }
}

/// `AcceptedContentType`: a MIME type the client renders. In 1.1/1.2 the element's text
/// (`<AcceptedContentType>text/plain</AcceptedContentType>`); in 1.3 `AcceptedContentType
/// (ContentType, AcceptedRichContentLength?, ContentPolicy?, ContentPolicyLimit?)`.
///
/// Reconstructed (Baraza cspmessages.def): the 1.3 structure as there. Both forms decode in
/// every version (text content → `content_type`, child elements → the structure); encoding
/// writes the structure in 1.3 and the text (the limits dropped) in 1.1/1.2.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AcceptedContentType {
    /// `ContentType` / the text: the MIME type, e.g. `text/plain`.
    pub content_type: String,
    /// 1.3 `AcceptedRichContentLength`: largest content of this type, in bytes.
    pub accepted_rich_content_length: Option<u32>,
    /// 1.3 `ContentPolicy`: the content policy applied to this type.
    pub content_policy: Option<String>,
    /// 1.3 `ContentPolicyLimit`: the limit that goes with `ContentPolicy`.
    pub content_policy_limit: Option<u32>,
}

impl AcceptedContentType {
    /// A content type without limits.
    pub fn new(content_type: impl Into<String>) -> Self {
        AcceptedContentType {
            content_type: content_type.into(),
            ..Default::default()
        }
    }
}

impl From<&str> for AcceptedContentType {
    fn from(content_type: &str) -> Self {
        AcceptedContentType::new(content_type)
    }
}

impl Element for AcceptedContentType {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let mut out = AcceptedContentType::default();
        let mut text = String::new();
        let mut structured: Option<String> = None;
        loop {
            match src.next()? {
                Ev::Text(t) => text.push_str(&t),
                Ev::Opaque(b) => text.push_str(&String::from_utf8_lossy(b)),
                Ev::Start(name) => match &*name {
                    "ContentType" => {
                        let v = String::decode(src).map_err(|e| e.in_element("ContentType"))?;
                        structured.get_or_insert(v);
                    }
                    "AcceptedRichContentLength" => {
                        let v = u32::decode(src)
                            .map_err(|e| e.in_element("AcceptedRichContentLength"))?;
                        out.accepted_rich_content_length.get_or_insert(v);
                    }
                    "ContentPolicy" => {
                        let v = String::decode(src).map_err(|e| e.in_element("ContentPolicy"))?;
                        out.content_policy.get_or_insert(v);
                    }
                    "ContentPolicyLimit" => {
                        let v = u32::decode(src).map_err(|e| e.in_element("ContentPolicyLimit"))?;
                        out.content_policy_limit.get_or_insert(v);
                    }
                    _ => src.skip()?,
                },
                Ev::End => {
                    out.content_type = match structured {
                        Some(v) => v,
                        None => text.trim().to_owned(),
                    };
                    return Ok(out);
                }
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        if sink.version() == CspVersion::V1_3 {
            self.content_type.encode("ContentType", sink)?;
            if let Some(v) = self.accepted_rich_content_length {
                v.encode("AcceptedRichContentLength", sink)?;
            }
            if let Some(v) = &self.content_policy {
                v.encode("ContentPolicy", sink)?;
            }
            if let Some(v) = self.content_policy_limit {
                v.encode("ContentPolicyLimit", sink)?;
            }
        } else if !self.content_type.is_empty() {
            sink.text(&self.content_type)?;
        }
        sink.end()
    }
}

impl Sample for AcceptedContentType {
    fn sample() -> Self {
        AcceptedContentType {
            content_type: "text/plain".into(),
            accepted_rich_content_length: Some(262_144),
            content_policy: Some("T".into()),
            content_policy_limit: Some(1_048_576),
        }
    }
}

crate::required_slot!(AcceptedContentType);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_util::*;
    use crate::{Primitive, WvCspMessage};

    const LOGIN_12: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
      <SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>
      <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>
      <TransactionID>1</TransactionID></TransactionDescriptor>
      <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
        <Login-Request>
          <SessionCookie>wv:cookie-4711</SessionCookie>
          <UserID>alice</UserID>
          <ClientID><URL>WV:IMPS-Android</URL></ClientID>
          <TimeToLive>7205</TimeToLive>
          <DigestSchema>MD5</DigestSchema>
          <DigestSchema>SHA</DigestSchema>
        </Login-Request>
      </TransactionContent></Transaction></Session></WV-CSP-Message>"#;

    #[test]
    fn login_request_decodes_and_encodes_in_order() {
        let mut msg = decode(LOGIN_12);
        let Primitive::LoginRequest(req) = primitive(&msg) else {
            panic!("not a login")
        };
        assert_eq!(req.user_id, "alice");
        assert_eq!(
            req.client_id.as_ref().and_then(|c| c.url.as_deref()),
            Some("WV:IMPS-Android")
        );
        assert_eq!(req.digest_schema, ["MD5", "SHA"]);
        assert_eq!(req.time_to_live, Some(7205));
        assert_eq!(req.session_cookie.as_deref(), Some("wv:cookie-4711"));
        assert_eq!(req.password, None);

        // Second request of the 4-way flow: digest bytes as base64 text.
        if let Primitive::LoginRequest(req) = &mut msg.session.transactions[0].primitive {
            req.digest_bytes = Some("3q2+7w==".into());
        }
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<UserID>alice",
                "<ClientID>",
                "<DigestBytes>3q2+7w==",
                "<DigestSchema>MD5",
                "<DigestSchema>SHA",
                "<TimeToLive>7205",
                "<SessionCookie>",
            ],
        );
        assert_eq!(decode(&xml), msg);
    }

    #[test]
    fn login_1_3_negotiates_inside_the_login() {
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
          <SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>
          <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>
          <TransactionID>1</TransactionID></TransactionDescriptor>
          <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
            <Login-Request>
              <CapabilityList><ClientType>MOBILE_PHONE</ClientType>
                <AcceptedContentType>text/plain</AcceptedContentType>
                <AcceptedContentType><ContentType>image/jpeg</ContentType><AcceptedRichContentLength>65536</AcceptedRichContentLength></AcceptedContentType>
              </CapabilityList>
              <Functions><WVCSPFeat><IMFeat/></WVCSPFeat></Functions>
              <SessionCookie>c-1</SessionCookie>
              <UserID>alice</UserID>
              <ApplicationID>com.example.im</ApplicationID>
              <ClientID><URL>WV:IMPS-Test</URL></ClientID>
              <Password>secret</Password>
              <SystemMessageResponseList><SystemMessageResponse><SystemMessageID>tou-1</SystemMessageID>
                <ChosenOptionID>1</ChosenOptionID></SystemMessageResponse></SystemMessageResponseList>
            </Login-Request>
          </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::LoginRequest(req) = primitive(&msg) else {
            panic!("not a login")
        };
        assert_eq!(req.application_id.as_deref(), Some("com.example.im"));
        let caps = req.capability_list.as_ref().expect("caps");
        assert_eq!(
            caps.accepted_content_type,
            [
                AcceptedContentType::new("text/plain"),
                AcceptedContentType {
                    content_type: "image/jpeg".into(),
                    accepted_rich_content_length: Some(65536),
                    ..Default::default()
                }
            ]
        );
        assert!(req
            .functions
            .as_ref()
            .and_then(|f| f.wvcsp_feat.as_ref())
            .is_some_and(|t| t.im.is_some()));
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &out,
            &[
                "<UserID>alice",
                "<ClientID>",
                "<ApplicationID>",
                "<Password>",
                "<SessionCookie>",
                "<SystemMessageResponseList>",
                "<Functions>",
                "<CapabilityList>",
                "<AcceptedContentType><ContentType>text/plain</ContentType></AcceptedContentType>",
                "<AcceptedContentType><ContentType>image/jpeg</ContentType><AcceptedRichContentLength>65536",
            ],
        );
        assert_eq!(decode(&out), msg);

        // The same request written as 1.2: none of the 1.3 children, plain-text content types.
        let mut v12 = msg.clone();
        v12.version = CspVersion::V1_2;
        let out = crate::encode_xml(&v12).expect("encodes");
        for absent in [
            "ApplicationID",
            "SystemMessageResponseList",
            "Functions",
            "CapabilityList",
        ] {
            assert!(!out.contains(absent), "{absent} in {out}");
        }

        // Auto-registration answer.
        let resp = LoginResponse {
            user_id: Some("wv:u123@example.com".into()),
            password: Some("p4ss".into()),
            result: CspResult::new(crate::StatusCode(200)),
            session_id: Some("s-1".into()),
            agreed_capability_list: Some(CapabilityList {
                accepted_content_type: vec!["text/plain".into()],
                ..Default::default()
            }),
            other_server: Some(OtherServer {
                url: Some("http://other.example.com/".into()),
                msisdn: None,
            }),
            ..Default::default()
        };
        for v in CspVersion::ALL {
            let m = WvCspMessage::new(
                v,
                None,
                crate::TransactionMode::Response,
                Some("1".into()),
                resp.clone().into(),
            );
            let out = crate::encode_xml(&m).expect("encodes");
            if v == CspVersion::V1_3 {
                assert_order(
                    &out,
                    &[
                        "<UserID>wv:u123",
                        "<Password>p4ss",
                        "<Result>",
                        "<SessionID>s-1",
                        "<AgreedCapabilityList><AcceptedContentType><ContentType>text/plain",
                        "<OtherServer><URL>",
                    ],
                );
            } else {
                assert!(
                    !out.contains("<UserID>") && !out.contains("<Password>"),
                    "{out}"
                );
                assert_eq!(
                    out.contains("<OtherServer>"),
                    v == CspVersion::V1_2,
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn accepted_content_type_text_and_structure() {
        let caps = CapabilityList {
            accepted_content_type: vec![AcceptedContentType::sample()],
            udp_address: Some("198.51.100.23".into()),
            udp_port: Some(3717),
            ..Default::default()
        };
        let req = ClientCapabilityRequest {
            client_id: None,
            capability_list: Some(caps),
        };
        for v in CspVersion::ALL {
            let m = WvCspMessage::new(
                v,
                Some("s".into()),
                crate::TransactionMode::Request,
                Some("2".into()),
                req.clone().into(),
            );
            let out = crate::encode_xml(&m).expect("encodes");
            if v == CspVersion::V1_3 {
                assert_order(
                    &out,
                    &[
                        "<AcceptedContentType><ContentType>text/plain</ContentType>",
                        "<AcceptedRichContentLength>262144",
                        "<ContentPolicy>T",
                        "<ContentPolicyLimit>1048576",
                        "</AcceptedContentType>",
                        "<UDPAddress>198.51.100.23",
                        "<UDPPort>3717",
                    ],
                );
            } else {
                assert!(
                    out.contains("<AcceptedContentType>text/plain</AcceptedContentType>"),
                    "{out}"
                );
                assert!(
                    !out.contains("UDPAddress") && !out.contains("ContentPolicy"),
                    "{out}"
                );
            }
            let wbxml = crate::encode_wbxml(&m).expect("wbxml");
            let back = crate::decode_wbxml(&wbxml, &limits()).expect("decodes");
            assert_eq!(back, decode(&out), "{v:?}");
        }
    }

    #[test]
    fn service_tree_round_trips_any_code_and_answers_queries() {
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
          <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor>
          <Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode>
          <TransactionID>3</TransactionID></TransactionDescriptor>
          <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
            <Service-Response>
              <Functions><WVCSPFeat><FundamentalFeat><MF/></FundamentalFeat><PresenceFeat/>
                <IMFeat><IMReceiveFunc><NEWM/><OFFNOTIF/></IMReceiveFunc><IMSendFunc><GETMAP/></IMSendFunc></IMFeat>
              </WVCSPFeat></Functions>
              <AllFunctions><WVCSPFeat>
                <FundamentalFeat><SearchFunc><SRCH/><STSRC/><ADVSR/></SearchFunc><VerifyIDFunc><VRID/></VerifyIDFunc></FundamentalFeat>
                <GroupFeat><GroupUseFunc><GETJU/><XVENDOR/></GroupUseFunc></GroupFeat>
              </WVCSPFeat></AllFunctions>
              <NotAvailableFunctions><WVCSPFeat><IMFeat><IMAuthFunc><BLENT/></IMAuthFunc></IMFeat></WVCSPFeat></NotAvailableFunctions>
            </Service-Response>
          </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::ServiceResponse(resp) = primitive(&msg) else {
            panic!("not a Service-Response")
        };
        let agreed = resp
            .functions
            .as_ref()
            .and_then(|f| f.wvcsp_feat.as_ref())
            .expect("Functions");
        assert!(agreed.fundamental.as_ref().is_some_and(Feature::is_whole));
        assert!(agreed.presence.as_ref().is_some_and(Feature::is_empty));
        assert!(
            agreed.contains("NEWM") && agreed.contains("OFFNOTIF") && agreed.contains("GETMAP")
        );
        assert!(!agreed.contains("SRCH"));
        assert_eq!(agreed.codes(), ["MF", "NEWM", "OFFNOTIF", "GETMAP"]);
        let all = resp
            .all_functions
            .as_ref()
            .and_then(|f| f.wvcsp_feat.as_ref())
            .expect("AllFunctions");
        assert!(all.contains("ADVSR") && all.contains("XVENDOR") && all.contains("VRID"));
        let na = resp
            .not_available_functions
            .as_ref()
            .and_then(|f| f.wvcsp_feat.as_ref())
            .expect("NA");
        assert_eq!(na.codes(), ["BLENT"]);

        // Exactly what the tree holds goes out again, in the order held.
        let out = crate::encode_xml(&msg).expect("encodes");
        assert!(out.contains("<IMFeat><IMReceiveFunc><NEWM/><OFFNOTIF/></IMReceiveFunc><IMSendFunc><GETMAP/></IMSendFunc></IMFeat>"), "{out}");
        assert!(
            out.contains("<GroupUseFunc><GETJU/><XVENDOR/></GroupUseFunc>"),
            "{out}"
        );
        assert_order(
            &out,
            &["<Functions>", "<AllFunctions>", "<NotAvailableFunctions>"],
        );
        assert_eq!(decode(&out), msg);
    }

    #[test]
    fn service_tree_from_codes_and_version_filter() {
        let mut tree = WvcspFeat::from_codes([
            "NEWM", "SRCH", "GETAUT", "VRID", "GETSPI", "REACT", "CALI", "ADVSR", "NOPE", "STSRC",
            "EXCON",
        ]);
        assert_eq!(
            tree.codes(),
            [
                "GETSPI", "SRCH", "ADVSR", "STSRC", "VRID", "REACT", "GETAUT", "CALI", "NEWM",
                "EXCON"
            ]
        );
        let f = tree.fundamental.as_ref().expect("fundamental");
        assert_eq!(
            f.groups.iter().map(|g| &*g.func).collect::<Vec<_>>(),
            ["ServiceFunc", "SearchFunc", "VerifyIDFunc"]
        );
        assert_eq!(
            tree.group.as_ref().map(|g| &*g.groups[0].func),
            Some("GroupUseFunc")
        );

        let mut v11 = tree.clone();
        v11.retain_version(CspVersion::V1_1);
        assert_eq!(
            v11.codes(),
            ["GETSPI", "SRCH", "STSRC", "REACT", "CALI", "NEWM"]
        );
        assert!(v11.group.is_none());
        tree.retain_version(CspVersion::V1_3);
        assert_eq!(
            tree.codes(),
            ["GETSPI", "SRCH", "ADVSR", "STSRC", "VRID", "GETAUT", "NEWM", "EXCON"]
        );
        assert!(tree.presence.as_ref().is_some_and(|p| p.groups.len() == 1));

        let all = WvcspFeat::all_for(CspVersion::V1_2);
        assert!(
            all.contains("GETJU")
                && all.contains("DALI")
                && !all.contains("MF")
                && !all.contains("SGMNT")
        );

        // A feature emptied by filtering disappears instead of meaning "everything".
        let mut t = WvcspFeat::from_codes(["SGMNT", "NEWM"]);
        t.presence = Some(Feature::default());
        t.retain_version(CspVersion::V1_2);
        assert!(t.fundamental.is_none());
        assert!(t.presence.is_some());
        assert_eq!(t.codes(), ["NEWM"]);
    }

    #[test]
    fn capability_negotiation_1_1_and_1_2() {
        // Android's 1.2 request (its own child order), then the agreed list in 1.2 and 1.1.
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
          <SessionDescriptor><SessionType>Inband</SessionType><SessionID>196FE717.00000000.test1</SessionID></SessionDescriptor>
          <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>
          <TransactionID>transId2</TransactionID></TransactionDescriptor>
          <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
            <ClientCapability-Request><CapabilityList>
              <ClientType>MOBILE_PHONE</ClientType><AcceptedContentLength>262144</AcceptedContentLength>
              <ParserSize>32767</ParserSize><MultiTrans>1</MultiTrans><InitialDeliveryMethod>P</InitialDeliveryMethod>
              <ServerPollMin>2</ServerPollMin><SupportedBearer>HTTP</SupportedBearer>
              <SupportedCIRMethod>STCP</SupportedCIRMethod><SupportedCIRMethod>SHTTP</SupportedCIRMethod>
              <SupportedCIRMethod>SSMS</SupportedCIRMethod>
            </CapabilityList></ClientCapability-Request>
          </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::ClientCapabilityRequest(req) = primitive(&msg) else {
            panic!("not a capability request")
        };
        let caps = req.capability_list.as_ref().expect("CapabilityList");
        assert_eq!(caps.client_type.as_deref(), Some("MOBILE_PHONE"));
        assert_eq!(caps.parser_size, Some(32767));
        assert_eq!(caps.accepted_content_length, Some(262_144));
        assert_eq!(caps.supported_cir_method, ["STCP", "SHTTP", "SSMS"]);
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &out,
            &[
                "<ClientType>",
                "<InitialDeliveryMethod>",
                "<AcceptedContentLength>",
                "<SupportedBearer>",
                "<MultiTrans>",
                "<ParserSize>",
                "<SupportedCIRMethod>STCP",
                "<ServerPollMin>",
            ],
        );

        let agreed = CapabilityList {
            supported_bearer: vec!["HTTP".into()],
            supported_cir_method: vec!["STCP".into(), "SHTTP".into()],
            tcp_address: Some("192.0.2.7".into()),
            tcp_port: Some(3717),
            server_poll_min: Some(30),
            cir_http_address: Some(CirHttpAddress {
                url: Some("http://cir.example.com/c?s=1".into()),
            }),
            accepted_pull_length: Some(1000),
            ..Default::default()
        };
        for (version, list_tag, cir_tag) in [
            (CspVersion::V1_2, "<AgreedCapabilityList>", "<CIRURL><URL>"),
            (
                CspVersion::V1_3,
                "<AgreedCapabilityList>",
                "<CIRHTTPAddress><URL>",
            ),
        ] {
            let resp = WvCspMessage::new(
                version,
                Some("s".into()),
                crate::TransactionMode::Response,
                Some("transId2".into()),
                ClientCapabilityResponse::new(version, agreed.clone()).into(),
            );
            let out = crate::encode_xml(&resp).expect("encodes");
            assert_order(
                &out,
                &[
                    list_tag,
                    "<SupportedBearer>",
                    "<SupportedCIRMethod>STCP",
                    "<TCPAddress>",
                    "<TCPPort>3717",
                    "<ServerPollMin>",
                    cir_tag,
                ],
            );
            assert_eq!(
                out.contains("<AcceptedPullLength>"),
                version == CspVersion::V1_3,
                "{out}"
            );
            let back = decode(&out);
            let Primitive::ClientCapabilityResponse(r) = primitive(&back) else {
                panic!("not a response")
            };
            assert_eq!(
                r.agreed().and_then(|a| a.cir_http_address.as_ref()),
                agreed.cir_http_address.as_ref()
            );
        }
        let v11 = ClientCapabilityResponse::new(CspVersion::V1_1, agreed.clone());
        let resp = WvCspMessage::new(
            CspVersion::V1_1,
            Some("s".into()),
            crate::TransactionMode::Response,
            Some("2".into()),
            v11.into(),
        );
        let out = crate::encode_xml(&resp).expect("encodes");
        assert!(
            out.contains("<CapabilityList>") && !out.contains("Agreed") && !out.contains("<CIR"),
            "{out}"
        );
        assert_order(
            &out,
            &[
                "<SupportedCIRMethod>SHTTP",
                "<TCPAddress>",
                "<TCPPort>",
                "<ServerPollMin>",
            ],
        );
    }

    #[test]
    fn sp_info_keepalive_and_version_list() {
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
          <SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>
          <Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode>
          <TransactionID>9</TransactionID></TransactionDescriptor>
          <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
            <WV-CSP-VersionDiscovery-Response><OtherServer><URL>http://imps13.example.com/</URL></OtherServer><VersionList>
              <TransactionNSName>http://www.openmobilealliance.org/DTD/WV-TRC1.2</TransactionNSName>
              <SessionNSName>http://www.openmobilealliance.org/DTD/WV-CSP1.2</SessionNSName>
              <SessionNSName>http://www.wireless-village.org/CSP1.1</SessionNSName>
            </VersionList></WV-CSP-VersionDiscovery-Response>
          </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::VersionDiscoveryResponse(r) = primitive(&msg) else {
            panic!("not discovery")
        };
        let list = r.version_list.as_ref().expect("VersionList");
        assert_eq!(
            list.known().collect::<Vec<_>>(),
            [CspVersion::V1_2, CspVersion::V1_1]
        );
        assert_eq!(
            r.other_server[0].url.as_deref(),
            Some("http://imps13.example.com/")
        );
        assert_order(
            &crate::encode_xml(&msg).expect("encodes"),
            &[
                "<VersionList><SessionNSName>http://www.openmobilealliance.org/DTD/WV-CSP1.2",
                "<SessionNSName>http://www.wireless-village.org/CSP1.1",
                "<TransactionNSName>",
                "</VersionList><OtherServer><URL>",
            ],
        );
        let built = VersionList::new(&[CspVersion::V1_3]);
        assert_eq!(built.session_ns_name, [CspVersion::V1_3.csp_namespace()]);
        assert_eq!(
            built.presence_attribute_ns_name,
            [CspVersion::V1_3.pa_namespace()]
        );
        assert_eq!(built.known().collect::<Vec<_>>(), [CspVersion::V1_3]);

        let resp = GetSpInfoResponse {
            name: Some("Example IM".into()),
            logo: Some(Logo {
                content_type: Some("image/png".into()),
                content_size: Some(3),
                content_encoding: Some("BASE64".into()),
                content_data: ContentData::Text("AAEC".into()),
            }),
            url: Some("http://example.com/".into()),
            ..Default::default()
        };
        let m = WvCspMessage::new(
            CspVersion::V1_1,
            None,
            crate::TransactionMode::Response,
            Some("1".into()),
            resp.into(),
        );
        let out = crate::encode_xml(&m).expect("encodes");
        assert_order(
            &out,
            &[
                "<Name>",
                "<Logo><ContentType>",
                "<ContentSize>3",
                "<ContentEncoding>",
                "<ContentData>AAEC",
                "</Logo>",
                "<URL>",
            ],
        );
        assert_eq!(decode(&out), m);

        let ka = KeepAliveResponse {
            result: CspResult::new(crate::StatusCode(200)),
            keep_alive_time: Some(600),
        };
        let m = WvCspMessage::new(
            CspVersion::V1_3,
            Some("s".into()),
            crate::TransactionMode::Response,
            Some("4".into()),
            ka.into(),
        );
        let out = crate::encode_xml(&m).expect("encodes");
        assert_order(
            &out,
            &[
                "<KeepAlive-Response><Result><Code>200</Code>",
                "<KeepAliveTime>600</KeepAliveTime>",
            ],
        );
    }
}
