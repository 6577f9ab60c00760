//! Elements shared by many primitives: results, identities, recipients, properties
//! (csp-reference.md §1.6, §3.4, §3.5, §6).

use crate::codec::{Element, Ev, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::status::StatusCode;

element! {
    /// `Result (Code, Description?, DetailedResult*)` (§1.6).
    pub struct CspResult {
        /// `Code`.
        code: StatusCode => "Code",
        /// `Description`.
        description: Option<String> => "Description",
        /// `DetailedResult*`: one per distinct failure (with 201/900).
        detailed: Vec<DetailedResult> => "DetailedResult",
    }
}

impl CspResult {
    /// A result with `code` and its standard description.
    pub fn new(code: StatusCode) -> Self {
        CspResult {
            code,
            description: code.description().map(str::to_owned),
            detailed: Vec::new(),
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
    /// `User (UserID, ClientID?)`.
    pub struct User {
        /// `UserID`, e.g. `wv:alice@example.com`.
        user_id: String => "UserID",
        /// `ClientID`: one client of the user.
        client_id: Option<ClientId> => "ClientID",
    }
}

impl User {
    /// A user by id.
    pub fn new(user_id: impl Into<String>) -> Self {
        User {
            user_id: user_id.into(),
            client_id: None,
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
