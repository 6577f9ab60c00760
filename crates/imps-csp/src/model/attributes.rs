//! Presence attributes (csp-reference.md §7): the content of `PresenceSubList`, and `Presence`.
//!
//! `PresenceSubList` carries the PA namespace as an `xmlns` attribute on every occurrence, so its
//! [`Element`] impl is written here by hand instead of by [`element!`]. The same type serves two
//! roles: with values (UpdatePresence, PresenceNotification, GetPresence-Response) and as a list of
//! *wanted* attributes, each an empty element (SubscribePresence, GetPresence-Request,
//! CreateAttributeList); an empty element decodes as an attribute whose fields are all `None`.

use crate::codec::{Element, Ev, Sample, Sink, Slot, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::common::ClientId;
use crate::model::session::AcceptedContentType;
use crate::version::CspVersion;

element! {
    /// A presence attribute whose value is a boolean: `OnlineStatus` or `Registration`
    /// `(Qualifier?, PresenceValue?)`; 1.3 `(Qualifier?, PresenceValue?, ClientID?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the `ClientID` naming the client the value belongs
    /// to follows `PresenceValue`; written in 1.3 only (the 1.2 attribute order has no ClientID).
    pub struct FlagAttribute {
        /// `Qualifier`: `T` = the value is valid; `F` = not set, unknown or not authorised.
        qualifier: Option<bool> => "Qualifier",
        /// `PresenceValue`: `T`/`F` (logged in, for OnlineStatus; registered to the service, for
        /// Registration).
        presence_value: Option<bool> => "PresenceValue",
        /// 1.3 `ClientID`: the client (session) this value is about, for per-client presence.
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

impl FlagAttribute {
    /// A valid (`Qualifier` T) attribute with `value`.
    pub fn new(value: bool) -> Self {
        FlagAttribute {
            qualifier: Some(true),
            presence_value: Some(value),
            client_id: None,
        }
    }

    /// The value if the attribute is valid (Qualifier absent or `T`, value present).
    pub fn value(&self) -> Option<bool> {
        if self.qualifier == Some(false) {
            None
        } else {
            self.presence_value
        }
    }
}

element! {
    /// A presence attribute whose value is text: `UserAvailability`, `StatusText`, `StatusMood`,
    /// `Alias`, `PreferredLanguage` `(Qualifier?, PresenceValue?)` (`FreeTextLocation` and `PLMN`,
    /// which may also name a client, are [`ClientTextAttribute`]).
    pub struct TextAttribute {
        /// `Qualifier`: `T` = the value is valid; `F` = not set, unknown or not authorised.
        qualifier: Option<bool> => "Qualifier",
        /// `PresenceValue`: the attribute's value (free text or one of the attribute's enumerated
        /// values, see the field docs of [`PresenceSubList`]).
        presence_value: Option<String> => "PresenceValue",
    }
}

impl TextAttribute {
    /// A valid (`Qualifier` T) attribute with `value`.
    pub fn new(value: impl Into<String>) -> Self {
        TextAttribute {
            qualifier: Some(true),
            presence_value: Some(value.into()),
        }
    }

    /// The value if the attribute is valid (Qualifier absent or `T`, value present).
    pub fn value(&self) -> Option<&str> {
        if self.qualifier == Some(false) {
            None
        } else {
            self.presence_value.as_deref()
        }
    }
}

element! {
    /// A text presence attribute that may name the client it is about: `FreeTextLocation` or
    /// `PLMN` `(Qualifier?, PresenceValue?)`; 1.3 `(Qualifier?, PresenceValue?, ClientID?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the `ClientID` follows `PresenceValue`; written in
    /// 1.3 only (the 1.2 attribute order has no ClientID).
    pub struct ClientTextAttribute {
        /// `Qualifier`: `T` = the value is valid; `F` = not set, unknown or not authorised.
        qualifier: Option<bool> => "Qualifier",
        /// `PresenceValue`: the location as free text (FreeTextLocation) or the mobile network
        /// code (PLMN).
        presence_value: Option<String> => "PresenceValue",
        /// 1.3 `ClientID`: the client (device) this value is about.
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

impl ClientTextAttribute {
    /// A valid (`Qualifier` T) attribute with `value`.
    pub fn new(value: impl Into<String>) -> Self {
        ClientTextAttribute {
            qualifier: Some(true),
            presence_value: Some(value.into()),
            client_id: None,
        }
    }

    /// The value if the attribute is valid (Qualifier absent or `T`, value present).
    pub fn value(&self) -> Option<&str> {
        if self.qualifier == Some(false) {
            None
        } else {
            self.presence_value.as_deref()
        }
    }
}

element! {
    /// `ClientInfo (Qualifier?, ClientType?, DevManufacturer?, ClientProducer?, Model?,
    /// ClientVersion?, Language?)` (1.1/1.2); 1.3 `(Qualifier?, ClientContentLimit?, ClientType?,
    /// DevManufacturer?, ClientProducer?, Model?, ClientVersion?, Language?, ClientIMPriority?,
    /// ApplicationID?, ClientID?)`: the device and client software of the user.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 order and content as there;
    /// `ClientContentLimit` right after `Qualifier`, `ClientIMPriority`, `ApplicationID` and
    /// `ClientID` after `Language`. The 1.3 children are written in 1.3 only.
    pub struct ClientInfo {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// 1.3 `ClientContentLimit`: how much content the client accepts.
        client_content_limit: Option<ClientContentLimit> => "ClientContentLimit" [only V1_3],
        /// `ClientType`: `MOBILE_PHONE`, `COMPUTER`, `PDA`, `CLI` or `OTHER`.
        client_type: Option<String> => "ClientType",
        /// `DevManufacturer`: maker of the device.
        dev_manufacturer: Option<String> => "DevManufacturer",
        /// `ClientProducer`: maker of the client software.
        client_producer: Option<String> => "ClientProducer",
        /// `Model`: device model.
        model: Option<String> => "Model",
        /// `ClientVersion`: version of the client software.
        client_version: Option<String> => "ClientVersion",
        /// `Language`: the client's language (ISO 639 code).
        language: Option<String> => "Language",
        /// 1.3 `ClientIMPriority`: the priority of this client for IM delivery among the user's sessions.
        client_im_priority: Option<u32> => "ClientIMPriority" [only V1_3],
        /// 1.3 `ApplicationID`: the application the information is about.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// 1.3 `ClientID`: the client the information is about (users with several clients).
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

element! {
    /// 1.3 `ClientContentLimit (AcceptedContentType*, AnyContent?, AcceptedTextContentLength?,
    /// AcceptedTransferEncoding*, MaxPullLength?, MaxPushLength?, PlainTextCharset*)`: the content
    /// the client accepts.
    ///
    /// Reconstructed (Baraza cspmessages.def): content and order as there (Baraza notes the
    /// real syntax is "slightly different"). `AcceptedContentType` is the same element as in the
    /// 1.3 capability lists.
    pub struct ClientContentLimit {
        /// `AcceptedContentType*`: MIME types the client renders.
        accepted_content_type: Vec<AcceptedContentType> => "AcceptedContentType",
        /// `AnyContent`: `T` = the client renders any content type.
        any_content: Option<bool> => "AnyContent",
        /// `AcceptedTextContentLength`: largest text content accepted, in bytes.
        accepted_text_content_length: Option<u32> => "AcceptedTextContentLength",
        /// `AcceptedTransferEncoding*`: `BASE64`, `None`.
        accepted_transfer_encoding: Vec<String> => "AcceptedTransferEncoding",
        /// `MaxPullLength`: largest message content the client fetches (GetMessage), in bytes.
        max_pull_length: Option<u32> => "MaxPullLength",
        /// `MaxPushLength`: largest message content pushed to the client (NewMessage), in bytes.
        max_push_length: Option<u32> => "MaxPushLength",
        /// `PlainTextCharset*`: character sets (IANA MIBenum) the client accepts for plain text.
        plain_text_charset: Vec<u32> => "PlainTextCharset",
    }
}

element! {
    /// `TimeZone (Qualifier?, Zone?)`; 1.3 adds `ClientID?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `ClientID` follows `Zone`; written in 1.3
    /// only.
    pub struct TimeZone {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `Zone`: offset from UTC (e.g. `+0200`).
        zone: Option<String> => "Zone",
        /// 1.3 `ClientID`: the client (device) this value is about.
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

element! {
    /// `GeoLocation (Qualifier?, Longitude?, Latitude?, Altitude?, Accuracy?)`; 1.3 adds
    /// `ClientID?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `ClientID` follows `Accuracy`; written in
    /// 1.3 only.
    pub struct GeoLocation {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `Longitude` in degrees.
        longitude: Option<String> => "Longitude",
        /// `Latitude` in degrees.
        latitude: Option<String> => "Latitude",
        /// `Altitude` in metres.
        altitude: Option<String> => "Altitude",
        /// `Accuracy` in metres.
        accuracy: Option<String> => "Accuracy",
        /// 1.3 `ClientID`: the client (device) this location is about.
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

element! {
    /// `Address (Qualifier?, Country?, City?, Street?, Crossing1?, Crossing2?, Building?, NamedArea?,
    /// Accuracy?)`: the user's postal location.
    pub struct Address {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `Country`.
        country: Option<String> => "Country",
        /// `City`.
        city: Option<String> => "City",
        /// `Street`.
        street: Option<String> => "Street",
        /// `Crossing1`: first street of a crossing.
        crossing1: Option<String> => "Crossing1",
        /// `Crossing2`: second street of a crossing.
        crossing2: Option<String> => "Crossing2",
        /// `Building`.
        building: Option<String> => "Building",
        /// `NamedArea`: a named place (park, campus, ...).
        named_area: Option<String> => "NamedArea",
        /// `Accuracy` in metres.
        accuracy: Option<String> => "Accuracy",
    }
}

element! {
    /// `CommCap (Qualifier?, CommC*)`: the user's communication capabilities; 1.3 adds
    /// `ClientID?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `ClientID` follows `CommC*`; written in
    /// 1.3 only.
    pub struct CommCap {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `CommC*`: one per means of communication.
        comm_c: Vec<CommC> => "CommC",
        /// 1.3 `ClientID`: the client (device) these capabilities are about.
        client_id: Option<ClientId> => "ClientID" [only V1_3],
    }
}

element! {
    /// `CommC (Cap, Status?, Contact?, Note?)`: one communication capability.
    pub struct CommC {
        /// `Cap`: `CALL`, `SMS`, `MMS`, `IM`, `EMAIL` (1.1/1.2 also `AUDIO_CALL`, `VIDEO_CALL`,
        /// `VIDEO_STREAM`).
        cap: String => "Cap",
        /// `Status`: `OPEN` or `CLOSED`.
        status: Option<String> => "Status",
        /// `Contact`: the address to use for this capability (phone number, e-mail, ...).
        contact: Option<String> => "Contact",
        /// `Note`: free text.
        note: Option<String> => "Note",
    }
}

element! {
    /// `PreferredContacts (Qualifier?, AddrPref*)`: how the user prefers to be contacted.
    pub struct PreferredContacts {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `AddrPref*`: one per preferred contact address.
        addr_pref: Vec<AddrPref> => "AddrPref",
    }
}

element! {
    /// `AddrPref (PrefC?, Caddr, Cstatus?, Cname?, Cpriority?)`: one preferred contact address.
    pub struct AddrPref {
        /// `PrefC`: the means of communication (same values as `Cap`).
        pref_c: Option<String> => "PrefC",
        /// `Caddr`: the contact address.
        caddr: String => "Caddr",
        /// `Cstatus`: `OPEN` or `CLOSED`.
        cstatus: Option<String> => "Cstatus",
        /// `Cname`: display name of the address.
        cname: Option<String> => "Cname",
        /// `Cpriority`: preference order.
        cpriority: Option<String> => "Cpriority",
    }
}

element! {
    /// `StatusContent (Qualifier?, (DirectContent | ReferredContent)?, ContentType?)`: a status
    /// picture or other content (avatars). The choice is modelled as two optional fields (Baraza
    /// cspmessages.def has the same order).
    pub struct StatusContent {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `DirectContent`: the content inline, as base64 text (in XML and WBXML alike, as Android sends it).
        direct_content: Option<String> => "DirectContent",
        /// `ReferredContent`: a URL of the content (also read from the misspelling `PreferredContent`).
        referred_content: Option<String> => "ReferredContent",
        /// `ContentType`: MIME type of the content.
        content_type: Option<String> => "ContentType",
    }
}

element! {
    /// `ContactInfo (Qualifier?, ContainedvCard?, ReferredvCard?)`: the user's business card.
    pub struct ContactInfo {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `ContainedvCard`: the vCard inline.
        contained_vcard: Option<String> => "ContainedvCard",
        /// `ReferredvCard`: a URL of the vCard (also read from the misspelling `PreferredvCard`).
        referred_vcard: Option<String> => "ReferredvCard",
    }
}

element! {
    /// 1.2+ `InfoLink (Qualifier?, Inf_link*)`: links to further information about the user.
    pub struct InfoLink {
        /// `Qualifier`: `T` = the value is valid.
        qualifier: Option<bool> => "Qualifier",
        /// `Inf_link*`: the links.
        inf_link: Vec<InfLink> => "Inf_link" [since V1_2],
    }
}

element! {
    /// 1.2+ `Inf_link (Link, Text?, ContentType?)`: one information link.
    pub struct InfLink {
        /// `Link`: the URL.
        link: String => "Link" [since V1_2],
        /// `Text`: description of the link.
        text: Option<String> => "Text" [since V1_2],
        /// `ContentType`: MIME type of the linked content.
        content_type: Option<String> => "ContentType",
    }
}

/// Generates `PresenceSubList`: the struct, its `Element` impl (with the PA namespace), `Sample`,
/// and the by-name helpers.
macro_rules! presence_sub_list {
    (
        $(#[$meta:meta])*
        pub struct PresenceSubList {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $fty:ty => $fname:literal $([$($vr:tt)*])?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct PresenceSubList {
            $( $(#[$fmeta])* pub $field: Option<$fty>, )*
        }

        impl PresenceSubList {
            /// Every attribute element name, in the strict child order.
            pub const ATTRIBUTES: &'static [&'static str] = &[$($fname),*];

            /// The attribute names that exist in `version`, in order.
            pub fn attributes_in(version: CspVersion) -> Vec<&'static str> {
                let mut out = Vec::new();
                $(
                    if element!(@range $($($vr)*)?).contains(version) {
                        out.push($fname);
                    }
                )*
                out
            }

            /// The names of the attributes present, in order.
            pub fn names(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $(
                    if self.$field.is_some() {
                        out.push($fname);
                    }
                )*
                out
            }

            /// Whether the attribute `name` (exact element name, or any case) is present.
            pub fn contains(&self, name: &str) -> bool {
                $(
                    if name.eq_ignore_ascii_case($fname) {
                        return self.$field.is_some();
                    }
                )*
                false
            }

            /// Whether no attribute is present (in a request: "all attributes").
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )*
            }

            /// Keeps only the attributes whose name `keep` accepts.
            pub fn retain(&mut self, mut keep: impl FnMut(&'static str) -> bool) {
                $(
                    if self.$field.is_some() && !keep($fname) {
                        self.$field = None;
                    }
                )*
            }

            /// Overwrites each attribute present in `other` with `other`'s value (an update);
            /// attributes absent from `other` are kept.
            pub fn merge_from(&mut self, other: &PresenceSubList) {
                $(
                    if let Some(v) = &other.$field {
                        self.$field = Some(v.clone());
                    }
                )*
            }

            /// The request form: one empty element per known name in `names` (any case; unknown
            /// names are ignored).
            pub fn wanted<N: AsRef<str>>(names: impl IntoIterator<Item = N>) -> Self {
                let mut out = PresenceSubList::default();
                for n in names {
                    let n = n.as_ref();
                    $(
                        if n.eq_ignore_ascii_case($fname) {
                            out.$field = Some(Default::default());
                        }
                    )*
                }
                out
            }
        }

        impl PresenceSubList {
            /// Decodes the attributes into `self` (every field is an `Option`, so the field is the
            /// accumulator: nothing is moved once decoded).
            fn decode_in_place<'a, S: Source<'a>>(&mut self, src: &mut S) -> Result<(), DecodeError> {
                #[allow(non_upper_case_globals)]
                mod ids {
                    $( pub(super) const $field: crate::names::ElementId =
                        crate::names::ElementId::of($fname); )*
                }
                loop {
                    match src.next()? {
                        Ev::Start(name) => match name.id() {
                            $( ids::$field => <$fty as Element>::decode_opt(src, &mut self.$field)
                                .map_err(|e| e.in_element($fname))?, )*
                            _ => src.skip()?,
                        },
                        Ev::End => return Ok(()),
                        Ev::Text(_) | Ev::Opaque(_) => {}
                        Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
                    }
                }
            }
        }

        impl Element for PresenceSubList {
            fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
                let mut out = PresenceSubList::default();
                out.decode_in_place(src)?;
                Ok(out)
            }

            fn decode_push<'a, S: Source<'a>>(src: &mut S, out: &mut Vec<Self>) -> Result<(), DecodeError> {
                out.push(PresenceSubList::default());
                match out.last_mut() {
                    Some(last) => last.decode_in_place(src),
                    None => Err(DecodeError::Malformed("attribute list lost".into())),
                }
            }

            fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
                let version = sink.version();
                sink.start_ns(name, version.pa_namespace())?;
                $(
                    if element!(@range $($($vr)*)?).contains(version) {
                        <Option<$fty> as Slot>::put(&self.$field, $fname, sink)?;
                    }
                )*
                sink.end()
            }
        }

        impl Sample for PresenceSubList {
            fn sample() -> Self {
                PresenceSubList { $( $field: Sample::sample(), )* }
            }
        }
    };
}

presence_sub_list! {
    /// `PresenceSubList` (§7), in the PA namespace of the version: the presence attributes, in the
    /// 1.2 order. With values in updates and notifications; as empty elements naming the wanted
    /// attributes in SubscribePresence, GetPresence and CreateAttributeList requests (there an
    /// empty or absent list means "all attributes"). Unknown attributes (vendor extensions) are
    /// skipped when decoding.
    pub struct PresenceSubList {
        /// `OnlineStatus`: logged in (T/F), maintained by the server from the user's sessions.
        online_status: FlagAttribute => "OnlineStatus",
        /// `Registration`: registered to the service (T/F).
        registration: FlagAttribute => "Registration",
        /// `ClientInfo`: the device and client software.
        client_info: ClientInfo => "ClientInfo",
        /// `TimeZone`.
        time_zone: TimeZone => "TimeZone",
        /// `GeoLocation`: coordinates.
        geo_location: GeoLocation => "GeoLocation",
        /// `Address`: postal location.
        address: Address => "Address",
        /// `FreeTextLocation`: location as free text.
        free_text_location: ClientTextAttribute => "FreeTextLocation",
        /// `PLMN`: the mobile network the user is in.
        plmn: ClientTextAttribute => "PLMN",
        /// `CommCap`: communication capabilities.
        comm_cap: CommCap => "CommCap",
        /// `UserAvailability`: `AVAILABLE`, `NOT_AVAILABLE` (away) or `DISCREET` (do not disturb).
        user_availability: TextAttribute => "UserAvailability",
        /// `PreferredContacts`: preferred contact addresses.
        preferred_contacts: PreferredContacts => "PreferredContacts",
        /// `PreferredLanguage`: free text (language code).
        preferred_language: TextAttribute => "PreferredLanguage",
        /// `StatusText`: free-text status message.
        status_text: TextAttribute => "StatusText",
        /// `StatusMood`: `ANGRY`, `ANXIOUS`, `ASHAMED`, `BORED`, `EXCITED`, `HAPPY`, `IN_LOVE`,
        /// `INVINCIBLE`, `JEALOUS`, `SAD`, `SLEEPY` (or other values).
        status_mood: TextAttribute => "StatusMood",
        /// `Alias`: the nickname the user wants to be shown as.
        alias: TextAttribute => "Alias",
        /// `StatusContent`: status picture / avatar.
        status_content: StatusContent => "StatusContent",
        /// `ContactInfo`: vCard.
        contact_info: ContactInfo => "ContactInfo",
        /// 1.2+ `InfoLink`: information links.
        info_link: InfoLink => "InfoLink" [since V1_2],
    }
}

crate::required_slot!(PresenceSubList);

impl PresenceSubList {
    /// A copy holding only the attributes whose names are in `allowed` (any case): what a watcher
    /// authorised for `allowed` may see.
    pub fn filtered<N: AsRef<str>>(&self, allowed: &[N]) -> PresenceSubList {
        let mut out = self.clone();
        out.retain(|name| {
            allowed
                .iter()
                .any(|a| a.as_ref().eq_ignore_ascii_case(name))
        });
        out
    }

    /// The request form of this list: the same attribute names, as empty elements.
    pub fn as_wanted(&self) -> PresenceSubList {
        PresenceSubList::wanted(self.names())
    }
}

element! {
    /// `Presence ((UserID | ContactList), PresenceSubList*)` (1.1/1.2); 1.3 `(((UserID,
    /// UserNotify?) | (ContactList, ContactListNotify?)), PresenceSubList*)`: the presence of one
    /// user (or the attribute list of a user or contact list, in GetAttributeList-Response). Several
    /// sub-lists may carry per-client values of a user with several sessions.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `UserNotify` / `ContactListNotify` flags
    /// follow the id they qualify; written in 1.3 only.
    pub struct Presence {
        /// `UserID`: whose presence this is.
        user_id: Option<String> => "UserID",
        /// 1.3 `UserNotify`: in an attribute list, `T` = the user is notified of the
        /// authorisation.
        user_notify: Option<bool> => "UserNotify" [only V1_3],
        /// `ContactList`: the list this applies to (attribute lists).
        contact_list: Option<String> => "ContactList",
        /// 1.3 `ContactListNotify`: in an attribute list, `T` = the list's members are notified
        /// of the authorisation.
        contact_list_notify: Option<bool> => "ContactListNotify" [only V1_3],
        /// `PresenceSubList*`: the attributes.
        presence_sub_list: Vec<PresenceSubList> => "PresenceSubList",
    }
}

impl Presence {
    /// The presence of `user_id` with one sub-list.
    pub fn of_user(user_id: impl Into<String>, attributes: PresenceSubList) -> Self {
        Presence {
            user_id: Some(user_id.into()),
            presence_sub_list: vec![attributes],
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_util::*;
    use crate::{CspVersion, Primitive};

    const UPDATE_12: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
<SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-1</SessionID></SessionDescriptor>
<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>5</TransactionID></TransactionDescriptor>
<TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><UpdatePresence-Request>
<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">
 <StatusText><Qualifier>T</Qualifier><PresenceValue>At lunch</PresenceValue></StatusText>
 <UserAvailability><Qualifier>T</Qualifier><PresenceValue>DISCREET</PresenceValue></UserAvailability>
 <ClientInfo><Qualifier>T</Qualifier><ClientType>MOBILE_PHONE</ClientType><ClientProducer>Android</ClientProducer><ClientVersion>1.0</ClientVersion></ClientInfo>
 <CommCap><Qualifier>T</Qualifier><CommC><Cap>IM</Cap><Status>OPEN</Status></CommC><CommC><Cap>SMS</Cap><Status>CLOSED</Status></CommC></CommCap>
 <StatusContent><Qualifier>T</Qualifier><DirectContent>iVBORw0KGgo=</DirectContent><ContentType>image/png</ContentType></StatusContent>
 <OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>
 <ClientTypeDetail xmlns="http://imps.colibria.com/PA-ext-1.2"><Qualifier>T</Qualifier></ClientTypeDetail>
 <InfoLink><Qualifier>T</Qualifier><Inf_link><Link>http://example.com/me</Link><Text>Home page</Text></Inf_link></InfoLink>
</PresenceSubList>
</UpdatePresence-Request></TransactionContent></Transaction></Session></WV-CSP-Message>"#;

    fn sub_list(xml: &str) -> PresenceSubList {
        let msg = crate::decode_xml(xml.as_bytes(), &limits()).expect("decodes");
        match &msg.session.transactions[0].primitive {
            Primitive::UpdatePresenceRequest(p) => p.presence_sub_list.clone(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn decodes_values_and_reorders_on_encode() {
        let msg = crate::decode_xml(UPDATE_12.as_bytes(), &limits()).expect("decodes");
        let Primitive::UpdatePresenceRequest(p) = &msg.session.transactions[0].primitive else {
            panic!("not UpdatePresence")
        };
        let l = &p.presence_sub_list;
        assert_eq!(
            l.online_status.as_ref().and_then(FlagAttribute::value),
            Some(true)
        );
        assert_eq!(
            l.status_text.as_ref().and_then(TextAttribute::value),
            Some("At lunch")
        );
        assert_eq!(
            l.user_availability
                .as_ref()
                .and_then(|a| a.presence_value.as_deref()),
            Some("DISCREET")
        );
        let ci = l.client_info.as_ref().expect("ClientInfo");
        assert_eq!(ci.client_type.as_deref(), Some("MOBILE_PHONE"));
        assert_eq!(ci.client_producer.as_deref(), Some("Android"));
        let cc = &l.comm_cap.as_ref().expect("CommCap").comm_c;
        assert_eq!(cc.len(), 2);
        assert_eq!(
            (cc[1].cap.as_str(), cc[1].status.as_deref()),
            ("SMS", Some("CLOSED"))
        );
        let sc = l.status_content.as_ref().expect("StatusContent");
        assert_eq!(sc.direct_content.as_deref(), Some("iVBORw0KGgo="));
        assert_eq!(sc.content_type.as_deref(), Some("image/png"));
        let il = l.info_link.as_ref().expect("InfoLink");
        assert_eq!(il.inf_link[0].link, "http://example.com/me");
        assert_eq!(
            l.names(),
            [
                "OnlineStatus",
                "ClientInfo",
                "CommCap",
                "UserAvailability",
                "StatusText",
                "StatusContent",
                "InfoLink"
            ]
        );

        let out = crate::encode_xml(&msg).expect("encodes");
        assert!(
            out.contains(
                r#"<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">"#
            ),
            "{out}"
        );
        let pos = |s: &str| {
            out.find(s)
                .unwrap_or_else(|| panic!("{s} missing in {out}"))
        };
        assert!(pos("<OnlineStatus>") < pos("<ClientInfo>"));
        assert!(pos("<ClientInfo>") < pos("<CommCap>"));
        assert!(pos("<CommCap>") < pos("<UserAvailability>"));
        assert!(pos("<UserAvailability>") < pos("<StatusText>"));
        assert!(pos("<StatusText>") < pos("<StatusContent>"));
        assert!(pos("<StatusContent>") < pos("<InfoLink>"));
        assert!(!out.contains("ClientTypeDetail"));
        assert_eq!(
            crate::decode_xml(out.as_bytes(), &limits()).expect("re-decodes"),
            msg
        );

        // 1.1: InfoLink does not exist; the PA namespace is the 1.1 one.
        let mut m11 = msg.clone();
        m11.version = CspVersion::V1_1;
        let out11 = crate::encode_xml(&m11).expect("encodes 1.1");
        assert!(
            out11.contains(r#"<PresenceSubList xmlns="http://www.wireless-village.org/PA1.1">"#),
            "{out11}"
        );
        assert!(!out11.contains("InfoLink"), "{out11}");
    }

    #[test]
    fn client_info_and_client_ids_13() {
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
<SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-1</SessionID></SessionDescriptor>
<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>5</TransactionID></TransactionDescriptor>
<TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3"><UpdatePresence-Request>
<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/IMPS-PA1.3">
 <OnlineStatus><ClientID><URL>http://c/1</URL></ClientID><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>
 <ClientInfo><ClientID><URL>http://c/1</URL></ClientID><ClientIMPriority>3</ClientIMPriority><ClientType>MOBILE_PHONE</ClientType>
  <ClientContentLimit><MaxPushLength>2048</MaxPushLength><AcceptedContentType>text/plain</AcceptedContentType><PlainTextCharset>106</PlainTextCharset><AnyContent>F</AnyContent></ClientContentLimit>
  <Qualifier>T</Qualifier><ApplicationID>com.example.im</ApplicationID></ClientInfo>
 <PLMN><Qualifier>T</Qualifier><PresenceValue>26201</PresenceValue><ClientID><MSISDN>+491</MSISDN></ClientID></PLMN>
 <GeoLocation><ClientID><URL>http://c/1</URL></ClientID><Latitude>52.5</Latitude></GeoLocation>
</PresenceSubList>
</UpdatePresence-Request></TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let l = sub_list(xml);
        let ci = l.client_info.as_ref().expect("ClientInfo");
        assert_eq!(ci.client_im_priority, Some(3));
        assert_eq!(ci.application_id.as_deref(), Some("com.example.im"));
        let limit = ci.client_content_limit.as_ref().expect("limit");
        assert_eq!(limit.max_push_length, Some(2048));
        assert_eq!(limit.plain_text_charset, [106]);
        assert_eq!(limit.accepted_content_type[0].content_type, "text/plain");
        assert_eq!(
            l.online_status
                .as_ref()
                .and_then(|o| o.client_id.as_ref())
                .and_then(|c| c.url.as_deref()),
            Some("http://c/1")
        );
        assert_eq!(
            l.plmn.as_ref().and_then(ClientTextAttribute::value),
            Some("26201")
        );

        let msg = crate::decode_xml(xml.as_bytes(), &limits()).expect("decodes");
        let out = crate::encode_xml(&msg).expect("encodes");
        let pos = |s: &str| {
            out.find(s)
                .unwrap_or_else(|| panic!("{s} missing in {out}"))
        };
        assert!(pos("<PresenceValue>T</PresenceValue><ClientID>") < pos("<ClientInfo>"));
        assert!(
            pos("<ClientInfo><Qualifier>T</Qualifier><ClientContentLimit>") < pos("<ClientType>")
        );
        assert!(pos("<AcceptedContentType>") < pos("<AnyContent>"));
        assert!(pos("<AnyContent>") < pos("<MaxPushLength>"));
        assert!(pos("<MaxPushLength>") < pos("<PlainTextCharset>"));
        assert!(pos("<ClientType>") < pos("<ClientIMPriority>"));
        assert!(pos("<ClientIMPriority>") < pos("<ApplicationID>"));
        assert!(
            pos("<ApplicationID>") < pos("<ClientID><URL>http://c/1</URL></ClientID></ClientInfo>")
        );
        assert!(out.contains("<Latitude>52.5</Latitude><ClientID>"), "{out}");
        assert_eq!(
            crate::decode_xml(out.as_bytes(), &limits()).expect("re-decodes"),
            msg
        );

        // None of the 1.3 children is written in 1.2.
        let mut m12 = msg.clone();
        m12.version = CspVersion::V1_2;
        let out12 = crate::encode_xml(&m12).expect("encodes 1.2");
        for gone in [
            "ClientID",
            "ClientContentLimit",
            "ClientIMPriority",
            "ApplicationID",
        ] {
            assert!(!out12.contains(gone), "{gone} in {out12}");
        }
    }

    #[test]
    fn request_form_helpers() {
        let wanted =
            PresenceSubList::wanted(["OnlineStatus", "clientinfo", "StatusText", "NoSuchAttr"]);
        assert_eq!(wanted.names(), ["OnlineStatus", "ClientInfo", "StatusText"]);
        assert_eq!(wanted.client_info, Some(ClientInfo::default()));
        assert!(!wanted.is_empty());
        assert!(PresenceSubList::default().is_empty());
        assert!(wanted.contains("statustext"));

        let values = PresenceSubList {
            online_status: Some(FlagAttribute::new(true)),
            status_text: Some(TextAttribute::new("hi")),
            alias: Some(TextAttribute::new("Al")),
            ..Default::default()
        };
        let seen = values.filtered(&wanted.names());
        assert_eq!(seen.names(), ["OnlineStatus", "StatusText"]);
        assert_eq!(values.as_wanted().names(), values.names());

        let mut state = values.clone();
        state.merge_from(&PresenceSubList {
            status_text: Some(TextAttribute::new("busy")),
            user_availability: Some(TextAttribute::new("DISCREET")),
            ..Default::default()
        });
        assert_eq!(
            state.status_text.as_ref().and_then(TextAttribute::value),
            Some("busy")
        );
        assert_eq!(state.alias, values.alias);
        assert_eq!(
            state.names(),
            ["OnlineStatus", "UserAvailability", "StatusText", "Alias"]
        );

        let mut r = state.clone();
        r.retain(|n| n != "Alias");
        assert!(r.alias.is_none() && r.status_text.is_some());
        assert!(!PresenceSubList::attributes_in(CspVersion::V1_1).contains(&"InfoLink"));
        assert_eq!(
            PresenceSubList::attributes_in(CspVersion::V1_2).len(),
            PresenceSubList::ATTRIBUTES.len()
        );
    }

    #[test]
    fn empty_elements_decode_as_wanted() {
        let xml = UPDATE_12.replace(
            &UPDATE_12[UPDATE_12.find("<PresenceSubList").expect("start")
                ..UPDATE_12.find("</PresenceSubList>").expect("end")],
            r#"<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"><OnlineStatus/><UserAvailability/><StatusContent/>"#,
        );
        let l = sub_list(&xml);
        assert_eq!(
            l,
            PresenceSubList::wanted(["OnlineStatus", "UserAvailability", "StatusContent"])
        );
        // Misspelt Referred* elements are read too.
        let xml = UPDATE_12.replace(
            "<DirectContent>iVBORw0KGgo=</DirectContent>",
            "<PreferredContent>http://x/a.png</PreferredContent>",
        );
        let l = sub_list(&xml);
        assert_eq!(
            l.status_content.and_then(|s| s.referred_content).as_deref(),
            Some("http://x/a.png")
        );
    }
}
