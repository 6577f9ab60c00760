//! Elements shared by many primitives: results, identities, recipients, properties
//! (csp-reference.md §1.6, §3.4, §3.5, §6).

use crate::codec::{read_raw, Element, Ev, Raw, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::v13::SystemMessageList;
use crate::status::StatusCode;

element! {
    /// `Result (Code, Description?, DetailedResult*)` (§1.6); 1.3 adds `SystemMessageList?,
    /// TryAgainTimeout?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the two 1.3 children follow `DetailedResult*`,
    /// in this order.
    pub struct CspResult {
        /// `Code`: the status code.
        code: StatusCode => "Code",
        /// `Description`: human-readable text for the code.
        description: Option<String> => "Description",
        /// `DetailedResult*`: one per distinct failure (with 201/900).
        detailed: Vec<DetailedResult> => "DetailedResult",
        /// 1.3 `SystemMessageList`: system messages (terms of use, verification) the user must
        /// see, e.g. with a failed Login-Response.
        system_message_list: Option<SystemMessageList> => "SystemMessageList" [only V1_3],
        /// 1.3 `TryAgainTimeout`: seconds after which the client may retry (with 503 and the
        /// like).
        try_again_timeout: Option<u32> => "TryAgainTimeout" [only V1_3],
    }
}

impl CspResult {
    /// A result with `code` and its standard description.
    pub fn new(code: StatusCode) -> Self {
        CspResult {
            code,
            description: code.description().map(str::to_owned),
            ..Default::default()
        }
    }
}

element! {
    /// `DetailedResult (Code, Description?, UserID*, GroupID*, ScreenName*, MessageID*, ContactList*, Domain*)`
    /// (MessageID, ContactList and Domain since 1.2).
    pub struct DetailedResult {
        /// `Code`.
        code: StatusCode => "Code",
        /// `Description`.
        description: Option<String> => "Description",
        /// Affected users.
        user_id: Vec<String> => "UserID",
        /// Affected groups.
        group_id: Vec<String> => "GroupID",
        /// Affected screen names.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// Affected messages.
        message_id: Vec<String> => "MessageID" [since V1_2],
        /// Affected contact lists.
        contact_list: Vec<String> => "ContactList" [since V1_2],
        /// Affected domains.
        domain: Vec<String> => "Domain" [since V1_2],
    }
}

element! {
    /// `Status (Result, ClientID?)`: the generic answer (§1.5).
    pub struct Status {
        /// `Result`.
        result: CspResult => "Result",
        /// `ClientID`.
        client_id: Option<ClientId> => "ClientID",
    }
}

impl Status {
    /// A Status with `code`.
    pub fn new(code: StatusCode) -> Self {
        Status {
            result: CspResult::new(code),
            client_id: None,
        }
    }
}

element! {
    /// `ClientID (URL?, MSISDN?)`: one client application instance (§6).
    pub struct ClientId {
        /// `URL`.
        url: Option<String> => "URL",
        /// `MSISDN`.
        msisdn: Option<String> => "MSISDN",
    }
}

element! {
    /// `User (UserID, ClientID?)` (1.1/1.2); 1.3 `User (UserID, FriendlyName?, (ApplicationID |
    /// ClientID)?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `FriendlyName` follows `UserID`;
    /// `ApplicationID` and `ClientID` are alternatives there, modelled as two optional fields
    /// (`ApplicationID` first).
    pub struct User {
        /// `UserID`, e.g. `wv:alice@example.com`.
        user_id: String => "UserID",
        /// 1.3 `FriendlyName`: the name the user is shown under.
        friendly_name: Option<String> => "FriendlyName" [only V1_3],
        /// 1.3 `ApplicationID`: one application of the user (instead of a ClientID).
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// `ClientID`: one client of the user.
        client_id: Option<ClientId> => "ClientID",
    }
}

impl User {
    /// A user by id.
    pub fn new(user_id: impl Into<String>) -> Self {
        User {
            user_id: user_id.into(),
            ..Default::default()
        }
    }
}

impl Sender {
    /// A sender that is one user, by id.
    pub fn user(user_id: impl Into<String>) -> Self {
        Sender {
            user: Some(User::new(user_id)),
            group: None,
        }
    }
}

impl Recipient {
    /// A recipient that is one user, by id.
    pub fn user(user_id: impl Into<String>) -> Self {
        Recipient {
            user: vec![User::new(user_id)],
            ..Default::default()
        }
    }
}

element! {
    /// `ScreenName (SName, GroupID)`: a nickname inside a group.
    pub struct ScreenName {
        /// `SName`.
        sname: String => "SName",
        /// `GroupID`.
        group_id: String => "GroupID",
    }
}

element! {
    /// `Group (GroupID | ScreenName)`.
    pub struct Group {
        /// `GroupID`.
        group_id: Option<String> => "GroupID",
        /// `ScreenName`.
        screen_name: Option<ScreenName> => "ScreenName",
    }
}

element! {
    /// `Recipient (User*, Group*, ContactList*)` (§3.4).
    pub struct Recipient {
        /// Users.
        user: Vec<User> => "User",
        /// Groups (or screen names inside groups).
        group: Vec<Group> => "Group",
        /// Contact lists.
        contact_list: Vec<String> => "ContactList",
    }
}

element! {
    /// `Sender (User | Group)`.
    pub struct Sender {
        /// `User`.
        user: Option<User> => "User",
        /// `Group`.
        group: Option<Group> => "Group",
    }
}

element! {
    /// `UserList (User*, ScreenName*)`.
    pub struct UserList {
        /// Users.
        user: Vec<User> => "User",
        /// Screen names.
        screen_name: Vec<ScreenName> => "ScreenName",
    }
}

element! {
    /// `Property (Name, Value?)`: a contact-list or group property.
    pub struct Property {
        /// `Name`.
        name: String => "Name",
        /// `Value`.
        value: Option<String> => "Value",
    }
}

impl Property {
    /// A property with a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Property {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

element! {
    /// `NickName (Name, UserID)`: a contact's display name in a list.
    pub struct NickName {
        /// `Name`.
        name: Option<String> => "Name",
        /// `UserID`.
        user_id: String => "UserID",
    }
}

element! {
    /// `NickList (NickName*)`.
    pub struct NickList {
        /// Entries.
        nick_name: Vec<NickName> => "NickName",
    }
}

element! {
    /// `ContactListIDList (ContactList*)`: a list of contact-list ids (1.3 Notification-Request,
    /// presence primitives).
    pub struct ContactListIdList {
        /// The contact-list ids.
        contact_list: Vec<String> => "ContactList",
    }
}

element! {
    /// `URLList (URL*)`.
    pub struct UrlList {
        /// URLs.
        url: Vec<String> => "URL",
    }
}

/// An element kept as a generic tree: vendor extensions (`ExtBlock` content, `Extended-Request`)
/// and anything a lenient decoder must carry without understanding it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnyElement {
    /// Element name.
    pub name: String,
    /// Concatenated character data directly inside the element.
    pub text: String,
    /// Child elements.
    pub children: Vec<AnyElement>,
}

impl AnyElement {
    /// Decodes the content of an element whose start (named `name`) was just read.
    pub fn decode_named<'a, S: Source<'a>>(name: &str, src: &mut S) -> Result<Self, DecodeError> {
        let mut el = AnyElement {
            name: name.to_owned(),
            ..Default::default()
        };
        loop {
            match src.next()? {
                Ev::Start(n) => el.children.push(AnyElement::decode_named(&n, src)?),
                Ev::Text(t) => el.text.push_str(&t),
                Ev::Opaque(b) => el.text.push_str(&String::from_utf8_lossy(b)),
                Ev::End => return Ok(el),
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }

    /// Writes the element under its own name.
    pub fn encode_self<K: Sink>(&self, sink: &mut K) -> Result<(), EncodeError> {
        sink.start_dyn(&self.name)?;
        if !self.text.trim().is_empty() {
            sink.text(&self.text)?;
        }
        for c in &self.children {
            c.encode_self(sink)?;
        }
        sink.end()
    }
}

/// `ExtBlock`: vendor extension content, kept as generic children (1.2+).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtBlock {
    /// The child elements.
    pub children: Vec<AnyElement>,
}

impl Element for ExtBlock {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        Ok(ExtBlock {
            children: AnyElement::decode_named("ExtBlock", src)?.children,
        })
    }
    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        for c in &self.children {
            c.encode_self(sink)?;
        }
        sink.end()
    }
}

impl Sample for ExtBlock {
    fn sample() -> Self {
        ExtBlock {
            children: vec![AnyElement {
                name: "APIClient".into(),
                text: "impsd-test".into(),
                children: Vec::new(),
            }],
        }
    }
}

crate::required_slot!(ExtBlock);

/// Text content that some encoders send as an OPAQUE integer: `SearchID` and `AcceptedCharset`
/// are text in the token tables (`SearchID` is an integer in Wireshark's 1.3 table only), but
/// libwbxml 1.1/1.2 and Baraza type them as integers.
///
/// Decoding: text as it is (trimmed); OPAQUE of at most 4 bytes as a big-endian integer, held
/// as its decimal text; longer OPAQUE as UTF-8 text. Encoding: always text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IntText(pub String);

impl IntText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an integer, when the text is a decimal number or a hexadecimal one with
    /// a `0x` prefix (the CSP 1.1 specification's examples write identifiers such as
    /// `<SearchID>0x23829381</SearchID>`, which libwbxml encodes as the integer 595760001).
    pub fn as_u32(&self) -> Option<u32> {
        let t = self.0.trim();
        match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => t.parse().ok(),
        }
    }
}

impl From<&str> for IntText {
    fn from(s: &str) -> Self {
        IntText(s.to_owned())
    }
}

impl From<String> for IntText {
    fn from(s: String) -> Self {
        IntText(s)
    }
}

impl PartialEq<str> for IntText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for IntText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Element for IntText {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        Ok(IntText(match read_raw(src, "")? {
            Raw::Text(t) => t.trim().to_owned(),
            Raw::Opaque(b) if b.len() <= 4 => b
                .iter()
                .fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
                .to_string(),
            Raw::Opaque(b) => std::str::from_utf8(&b)
                .map_err(|_| DecodeError::bad("", "OPAQUE text is not UTF-8"))?
                .trim()
                .to_owned(),
        }))
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        self.0.encode(name, sink)
    }
}

impl Sample for IntText {
    fn sample() -> Self {
        IntText("106".into())
    }
}

crate::required_slot!(IntText);
