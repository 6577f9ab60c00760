//! Fundamental features: search, invitations, VerifyID, Extended (§3.2).

use crate::codec::{Element, Ev, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::attributes::PresenceSubList;
use crate::model::common::{
    AnyElement, Group, IntText, Recipient, ScreenName, Sender, UrlList, User, UserList,
};
use crate::version::CspVersion;

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

element! {
    /// `Search-Request (SearchPairList*, SearchLimit?, SearchID?, SearchIndex?)` (§3.2); 1.3
    /// adds `AdvancedCriteria?` after the pairs.
    ///
    /// The first request carries the criteria (AND of the pairs, or the 1.3 expression in
    /// `AdvancedCriteria`) and `SearchLimit`; follow-up requests carry only `SearchID` and
    /// `SearchIndex`.
    ///
    /// Reconstructed (Baraza cspmessages.def): `AdvancedCriteria` follows `SearchPairList*`.
    pub struct SearchRequest {
        /// `SearchPairList*`: the criteria (all must match unless `AdvancedCriteria` combines
        /// them otherwise).
        search_pair_list: Vec<SearchPairList> => "SearchPairList",
        /// 1.3 `AdvancedCriteria`: a boolean expression over the pairs' `PairID`s, e.g.
        /// `1 AND (2 OR 3)` (function code ADVSR).
        advanced_criteria: Option<String> => "AdvancedCriteria" [only V1_3],
        /// `SearchLimit`: most results to return per response.
        search_limit: Option<u32> => "SearchLimit",
        /// `SearchID`: the running search a follow-up request continues (text; libwbxml sends
        /// an OPAQUE integer).
        search_id: Option<IntText> => "SearchID",
        /// `SearchIndex`: index of the first result wanted in a follow-up request.
        search_index: Option<u32> => "SearchIndex",
    }
}

/// `SearchPairList (SearchElement, SearchString)`: one search criterion; 1.3 adds `PairID?`
/// (its number in `AdvancedCriteria`).
///
/// Reconstructed (Baraza cspmessages.def): in 1.3 `PairID` follows `SearchString`. The 1.3
/// token table also has a `SearchPair` element (page 0x0A 0x17), which Baraza says is tagless
/// in practice: a `SearchPair` wrapper inside the list is accepted when decoding (its children
/// are read as the list's own; the first occurrence of each wins) and never written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPairList {
    /// `SearchElement`: what to match: `USER_ID`, `USER_FIRST_NAME`, `USER_LAST_NAME`,
    /// `USER_EMAIL_ADDRESS`, `USER_ALIAS`, `USER_ONLINE_STATUS`, `USER_MOBILE_NUMBER`,
    /// `GROUP_ID`, `GROUP_NAME`, `GROUP_TOPIC`, `GROUP_USER_ID_JOINED`,
    /// `GROUP_USER_ID_OWNER`, 1.2+ `GROUP_USER_ID_AUTOJOIN`, 1.3 `USER_CITY`,
    /// `USER_COUNTRY`, `USER_FRIENDLY_NAME`, `USER_GENDER`, `USER_INTENTION`,
    /// `USER_INTERESTS_HOBBIES`, `USER_MARITAL_STATUS`, `USER_AGE_MIN`, `USER_AGE_MAX`.
    pub search_element: String,
    /// `SearchString`: the value to match.
    pub search_string: String,
    /// 1.3 `PairID`: the number `AdvancedCriteria` refers to this pair by.
    pub pair_id: Option<u32>,
}

impl SearchPairList {
    /// A criterion without a pair id.
    pub fn new(search_element: impl Into<String>, search_string: impl Into<String>) -> Self {
        SearchPairList {
            search_element: search_element.into(),
            search_string: search_string.into(),
            pair_id: None,
        }
    }

    /// Reads children until the end of the current element; `SearchPair` wrappers are
    /// descended into.
    fn read_children<'a, S: Source<'a>>(
        &mut self,
        seen: &mut [bool; 3],
        src: &mut S,
    ) -> Result<(), DecodeError> {
        loop {
            match src.next()? {
                Ev::Start(name) => match &*name {
                    "SearchElement" => {
                        let v = String::decode(src).map_err(|e| e.in_element("SearchElement"))?;
                        if !seen[0] {
                            self.search_element = v;
                            seen[0] = true;
                        }
                    }
                    "SearchString" => {
                        let v = String::decode(src).map_err(|e| e.in_element("SearchString"))?;
                        if !seen[1] {
                            self.search_string = v;
                            seen[1] = true;
                        }
                    }
                    "PairID" => {
                        let v = u32::decode(src).map_err(|e| e.in_element("PairID"))?;
                        if !seen[2] {
                            self.pair_id = Some(v);
                            seen[2] = true;
                        }
                    }
                    "SearchPair" => self
                        .read_children(seen, src)
                        .map_err(|e| e.in_element("SearchPair"))?,
                    _ => src.skip()?,
                },
                Ev::End => return Ok(()),
                Ev::Text(_) | Ev::Opaque(_) => {}
                Ev::Eof => return Err(DecodeError::Malformed("unexpected end of document".into())),
            }
        }
    }
}

impl Element for SearchPairList {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let mut out = SearchPairList::default();
        let mut seen = [false; 3];
        out.read_children(&mut seen, src)?;
        if !seen[0] {
            return Err(DecodeError::MissingElement {
                parent: "SearchPairList",
                name: "SearchElement",
            });
        }
        if !seen[1] {
            return Err(DecodeError::MissingElement {
                parent: "SearchPairList",
                name: "SearchString",
            });
        }
        Ok(out)
    }

    fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
        sink.start(name)?;
        self.search_element.encode("SearchElement", sink)?;
        self.search_string.encode("SearchString", sink)?;
        if sink.version() == CspVersion::V1_3 {
            if let Some(id) = self.pair_id {
                id.encode("PairID", sink)?;
            }
        }
        sink.end()
    }
}

impl Sample for SearchPairList {
    fn sample() -> Self {
        SearchPairList {
            search_element: "USER_FIRST_NAME".into(),
            search_string: "Grüße <&>".into(),
            pair_id: Some(1),
        }
    }
}

crate::required_slot!(SearchPairList);

element! {
    /// `Search-Response (SearchID?, SearchFindings, CompletionFlag, SearchIndex, SearchResult?)`
    /// (§3.2; Baraza has the same in every version). Errors travel as `Status`.
    pub struct SearchResponse {
        /// `SearchID`: id of the result set, for follow-up requests (text; libwbxml sends an
        /// OPAQUE integer).
        search_id: Option<IntText> => "SearchID",
        /// `SearchFindings`: total number of results.
        search_findings: Option<u32> => "SearchFindings",
        /// `CompletionFlag`: `T` when no more results follow.
        completion_flag: Option<bool> => "CompletionFlag",
        /// `SearchIndex`: index of the next result to ask for.
        search_index: Option<u32> => "SearchIndex",
        /// `SearchResult`: the results of this page.
        search_result: Option<SearchResult> => "SearchResult",
    }
}

element! {
    /// `SearchResult (UserList?, GroupList?)`.
    pub struct SearchResult {
        /// `UserList`: users found.
        user_list: Option<UserList> => "UserList",
        /// `GroupList`: groups found.
        group_list: Option<GroupList> => "GroupList",
    }
}

element! {
    /// `GroupList (GroupID+)`: a list of group ids (defined here: `common` has none).
    pub struct GroupList {
        /// `GroupID*`: the groups.
        group_id: Vec<String> => "GroupID",
    }
}

element! {
    /// `StopSearch-Request (SearchID)`: discard a result set.
    pub struct StopSearchRequest {
        /// `SearchID` of the result set to discard.
        search_id: IntText => "SearchID",
    }
}

// ---------------------------------------------------------------------------------------------
// Invitations
// ---------------------------------------------------------------------------------------------

element! {
    /// `Invite-Request (InviteID, InviteType, Recipient, GroupID?, PresenceSubList?, URLList?,
    /// InviteNote?, ScreenName?, Validity?)` (C→S, §3.2); 1.3 `Invite-Request (InviteID,
    /// InviteType, Sender, Recipient, ApplicationID?, GroupID?, PresenceSubList?, URLList?,
    /// InviteNote?, Validity?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Sender` and `ApplicationID` at Baraza's
    /// positions. Baraza also lists `ScreenName` (the union of all versions); it stays 1.1/1.2
    /// only, as Android's code notes that 1.3 drops it.
    pub struct InviteRequest {
        /// `InviteID`: client-chosen id of the invitation.
        invite_id: String => "InviteID",
        /// `InviteType`: `GR` group, `IM` instant messaging, `PR` presence, `SC` shared content
        /// (plus the `US` user / `GM` group membership tokens; 1.3 `EC` extended conversation).
        invite_type: Option<String> => "InviteType",
        /// 1.3 `Sender`: the inviter.
        sender: Option<Sender> => "Sender" [only V1_3],
        /// `Recipient`: who is invited.
        recipient: Recipient => "Recipient",
        /// 1.3 `ApplicationID`: the application the invitation is for.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// `GroupID`: the group of a group invitation.
        group_id: Option<String> => "GroupID",
        /// `PresenceSubList`: the presence attributes offered in a presence invitation.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList",
        /// `URLList`: shared-content URLs.
        url_list: Option<UrlList> => "URLList",
        /// `InviteNote`: free text for the invitee.
        invite_note: Option<String> => "InviteNote",
        /// 1.1–1.2 `ScreenName`: the inviter's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName" [until V1_2],
        /// `Validity`: seconds the invitation stays valid.
        validity: Option<u32> => "Validity",
    }
}

element! {
    /// `InviteUser-Request (InviteID, InviteType, Sender, GroupID?, PresenceSubList?, URLList?,
    /// InviteNote?, Validity?)` (S→C, §3.2): the invitation forwarded to one invitee; 1.3
    /// `InviteUser-Request (InviteID, InviteType, Sender, Recipient?, ApplicationID?, GroupID?,
    /// PresenceSubList?, URLList?, InviteNote?, ScreenName?, Validity?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Recipient`, `ApplicationID` and
    /// `ScreenName` (the inviter's screen name in the group) at Baraza's positions.
    pub struct InviteUserRequest {
        /// `InviteID` of the invitation.
        invite_id: String => "InviteID",
        /// `InviteType`: `GR`, `IM`, `PR`, `SC` (see [`InviteRequest::invite_type`]).
        invite_type: Option<String> => "InviteType",
        /// `Sender`: the inviter.
        sender: Option<Sender> => "Sender",
        /// 1.3 `Recipient`: who was invited.
        recipient: Option<Recipient> => "Recipient" [only V1_3],
        /// 1.3 `ApplicationID`: the application the invitation is for.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// `GroupID`: the group of a group invitation.
        group_id: Option<String> => "GroupID",
        /// `PresenceSubList`: the presence attributes offered.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList",
        /// `URLList`: shared-content URLs.
        url_list: Option<UrlList> => "URLList",
        /// `InviteNote`: free text from the inviter.
        invite_note: Option<String> => "InviteNote",
        /// 1.3 `ScreenName`: the inviter's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName" [only V1_3],
        /// `Validity`: seconds the invitation stays valid.
        validity: Option<u32> => "Validity",
    }
}

element! {
    /// `InviteUser-Response (InviteID, Acceptance, Sender, ResponseNote?, ScreenName?)` (C→S,
    /// §3.2; 1.1 has no `Sender`, per Nokia's 1.1 model): the invitee's answer; 1.3 adds
    /// `Recipient?` after `Sender`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Recipient` at Baraza's position.
    ///
    /// Lenient: Android puts the original inviter as a bare `User` (or `Group`) instead of a
    /// `Sender`; those land in [`InviteUserResponse::user`] / [`InviteUserResponse::group`]
    /// (use [`InviteUserResponse::inviter`]). A server never sets them.
    pub struct InviteUserResponse {
        /// `InviteID` of the invitation answered.
        invite_id: String => "InviteID",
        /// `Acceptance`: `T` accepted, `F` rejected.
        acceptance: Option<bool> => "Acceptance",
        /// 1.2+ `Sender`: the original inviter.
        sender: Option<Sender> => "Sender" [since V1_2],
        /// 1.3 `Recipient`: who was invited.
        recipient: Option<Recipient> => "Recipient" [only V1_3],
        /// `ResponseNote`: free text for the inviter.
        response_note: Option<String> => "ResponseNote",
        /// `ScreenName`: the invitee's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName",
        /// Lenient extra: a bare `User` naming the inviter (Android).
        user: Option<User> => "User",
        /// Lenient extra: a bare `Group` naming the inviter.
        group: Option<Group> => "Group",
    }
}

impl InviteUserResponse {
    /// The original inviter: `Sender`, or the bare `User`/`Group` Android sends instead.
    pub fn inviter(&self) -> Option<Sender> {
        if let Some(s) = &self.sender {
            return Some(s.clone());
        }
        match (&self.user, &self.group) {
            (None, None) => None,
            (user, group) => Some(Sender {
                user: user.clone(),
                group: group.clone(),
            }),
        }
    }
}

element! {
    /// `Invite-Response (InviteID, Acceptance, Sender, ResponseNote?)` (S→C, §3.2): the
    /// invitee's answer forwarded to the inviter; 1.3 `Invite-Response (InviteID, Acceptance,
    /// Sender, Recipient?, InviteNote?, ResponseNote?, ScreenName?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Recipient`, `InviteNote` and
    /// `ScreenName` at Baraza's positions. Baraza marks `ResponseNote` "v1.1 and v1.2 use
    /// this"; it is kept in 1.3 too so the invitee's note is not lost.
    pub struct InviteResponse {
        /// `InviteID` of the invitation answered.
        invite_id: String => "InviteID",
        /// `Acceptance`: `T` accepted, `F` rejected.
        acceptance: Option<bool> => "Acceptance",
        /// `Sender`: the invitee who answered.
        sender: Option<Sender> => "Sender",
        /// 1.3 `Recipient`: the inviter the answer goes to.
        recipient: Option<Recipient> => "Recipient" [only V1_3],
        /// 1.3 `InviteNote`: the note of the original invitation.
        invite_note: Option<String> => "InviteNote" [only V1_3],
        /// `ResponseNote`: free text from the invitee.
        response_note: Option<String> => "ResponseNote",
        /// 1.3 `ScreenName`: the invitee's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName" [only V1_3],
    }
}

element! {
    /// `CancelInvite-Request (InviteID, Recipient?, InviteNote?, URLList?, ScreenName?)` (C→S,
    /// §3.2; `Recipient` is mandatory in 1.1); 1.3 `CancelInvite-Request (InviteID, Sender?,
    /// Recipient?, InviteNote?, ApplicationID?, GroupID?, PresenceSubList?, URLList?,
    /// ScreenName?)`. Unknown id → 423.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Sender`, `ApplicationID`, `GroupID`
    /// and `PresenceSubList` at Baraza's positions.
    pub struct CancelInviteRequest {
        /// `InviteID` of the invitation to cancel.
        invite_id: String => "InviteID",
        /// 1.3 `Sender`: the inviter.
        sender: Option<Sender> => "Sender" [only V1_3],
        /// `Recipient`: the invitees whose invitation is cancelled.
        recipient: Option<Recipient> => "Recipient",
        /// `InviteNote`: free text for the invitees.
        invite_note: Option<String> => "InviteNote",
        /// 1.3 `ApplicationID`: the application the invitation was for.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// 1.3 `GroupID`: the group of a group invitation.
        group_id: Option<String> => "GroupID" [only V1_3],
        /// 1.3 `PresenceSubList`: the presence attributes the invitation offered.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList" [only V1_3],
        /// `URLList`: shared-content URLs.
        url_list: Option<UrlList> => "URLList",
        /// `ScreenName`: the inviter's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName",
    }
}

element! {
    /// `CancelInviteUser-Request (InviteID, Sender, InviteNote?, URLList?)` (S→C, §3.2): the
    /// cancellation forwarded to one invitee; 1.3 `CancelInviteUser-Request (InviteID, Sender,
    /// Recipient?, InviteNote?, ApplicationID?, GroupID?, PresenceSubList?, URLList?,
    /// ScreenName?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Recipient`, `ApplicationID`,
    /// `GroupID`, `PresenceSubList` and `ScreenName` at Baraza's positions.
    pub struct CancelInviteUserRequest {
        /// `InviteID` of the cancelled invitation.
        invite_id: String => "InviteID",
        /// `Sender`: the inviter.
        sender: Option<Sender> => "Sender",
        /// 1.3 `Recipient`: the invitees.
        recipient: Option<Recipient> => "Recipient" [only V1_3],
        /// `InviteNote`: free text from the inviter.
        invite_note: Option<String> => "InviteNote",
        /// 1.3 `ApplicationID`: the application the invitation was for.
        application_id: Option<String> => "ApplicationID" [only V1_3],
        /// 1.3 `GroupID`: the group of a group invitation.
        group_id: Option<String> => "GroupID" [only V1_3],
        /// 1.3 `PresenceSubList`: the presence attributes the invitation offered.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList" [only V1_3],
        /// `URLList`: shared-content URLs.
        url_list: Option<UrlList> => "URLList",
        /// 1.3 `ScreenName`: the inviter's screen name in the group.
        screen_name: Option<ScreenName> => "ScreenName" [only V1_3],
    }
}

// ---------------------------------------------------------------------------------------------
// VerifyID, Extended
// ---------------------------------------------------------------------------------------------

element! {
    /// `VerifyID-Request (IDList)` (1.2+): answered by Status 200, or 201 with a
    /// `DetailedResult` listing the invalid identifiers.
    pub struct VerifyIdRequest {
        /// `IDList`: the identifiers to verify.
        id_list: Option<IdList> => "IDList",
    }
}

element! {
    /// `IDList (UserID*, ContactList*, GroupID*, ScreenName*, Domain*)` (1.2+).
    pub struct IdList {
        /// `UserID*`: user ids to verify.
        user_id: Vec<String> => "UserID",
        /// `ContactList*`: contact-list ids to verify.
        contact_list: Vec<String> => "ContactList",
        /// `GroupID*`: group ids to verify.
        group_id: Vec<String> => "GroupID",
        /// `ScreenName*`: screen names to verify.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// `Domain*`: domains to verify.
        domain: Vec<String> => "Domain",
    }
}

macro_rules! opaque_primitive {
    ($(#[$meta:meta])* $ty:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $ty {
            /// Character data directly inside the element (trimmed).
            pub text: String,
            /// Child elements (typically `ExtendedData`), kept verbatim.
            pub children: Vec<AnyElement>,
        }

        impl $ty {
            /// The text of every `ExtendedData` child, in order.
            pub fn extended_data(&self) -> impl Iterator<Item = &str> + '_ {
                self.children.iter().filter(|c| c.name == "ExtendedData").map(|c| c.text.as_str())
            }
        }

        impl Element for $ty {
            fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
                let el = AnyElement::decode_named(stringify!($ty), src)?;
                Ok($ty { text: el.text.trim().to_owned(), children: el.children })
            }

            fn encode<K: Sink>(&self, name: &'static str, sink: &mut K) -> Result<(), EncodeError> {
                sink.start(name)?;
                if !self.text.trim().is_empty() {
                    sink.text(&self.text)?;
                }
                for c in &self.children {
                    c.encode_self(sink)?;
                }
                sink.end()
            }
        }

        impl Sample for $ty {
            fn sample() -> Self {
                $ty {
                    text: String::new(),
                    children: vec![AnyElement {
                        name: "ExtendedData".into(),
                        text: "vendor-payload".into(),
                        children: Vec::new(),
                    }],
                }
            }
        }

        crate::required_slot!($ty);
    };
}

opaque_primitive! {
    /// `Extended-Request` (1.2+): vendor extension, opaque (`#PCDATA` and/or `ExtendedData`
    /// children). Answer 501 if unsupported.
    ExtendedRequest
}

opaque_primitive! {
    /// `Extended-Response` (1.2+): vendor extension answer, opaque (`#PCDATA` and/or
    /// `ExtendedData` children).
    ExtendedResponse
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_util::*;
    use crate::{CspVersion, Primitive, TransactionMode, WvCspMessage};

    fn wrap(version: CspVersion, mode: &str, body: &str) -> String {
        format!(
            r#"<WV-CSP-Message xmlns="{}"><Session>
              <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-8f2c</SessionID></SessionDescriptor>
              <Transaction><TransactionDescriptor><TransactionMode>{mode}</TransactionMode>
              <TransactionID>17</TransactionID></TransactionDescriptor>
              <TransactionContent xmlns="{}">{body}</TransactionContent></Transaction></Session></WV-CSP-Message>"#,
            version.csp_namespace(),
            version.trc_namespace()
        )
    }

    #[test]
    fn search_request_and_response() {
        let xml = wrap(
            CspVersion::V1_2,
            "Request",
            "<Search-Request><SearchLimit>10</SearchLimit>
               <SearchPairList><SearchString>Alice</SearchString><SearchElement>USER_FIRST_NAME</SearchElement></SearchPairList>
               <SearchPairList><SearchElement>USER_EMAIL_ADDRESS</SearchElement><SearchString>alice@example.com</SearchString></SearchPairList>
             </Search-Request>",
        );
        let msg = decode(&xml);
        let Primitive::SearchRequest(req) = primitive(&msg) else {
            panic!("not a search")
        };
        assert_eq!(req.search_limit, Some(10));
        assert_eq!(req.search_pair_list.len(), 2);
        assert_eq!(req.search_pair_list[0].search_element, "USER_FIRST_NAME");
        assert_eq!(req.search_pair_list[1].search_string, "alice@example.com");
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &out,
            &[
                "<SearchPairList><SearchElement>USER_FIRST_NAME</SearchElement><SearchString>Alice",
                "<SearchPairList>",
                "<SearchLimit>10",
            ],
        );

        let resp = SearchResponse {
            search_id: Some("srch-1".into()),
            search_findings: Some(12),
            completion_flag: Some(false),
            search_index: Some(10),
            search_result: Some(SearchResult {
                user_list: Some(UserList {
                    user: vec![User::new("wv:alice@example.com")],
                    screen_name: Vec::new(),
                }),
                group_list: Some(GroupList {
                    group_id: vec!["wv:alice/chess@example.com".into()],
                }),
            }),
        };
        for v in [CspVersion::V1_2, CspVersion::V1_3] {
            let m = WvCspMessage::new(
                v,
                Some("s".into()),
                TransactionMode::Response,
                Some("17".into()),
                resp.clone().into(),
            );
            let out = crate::encode_xml(&m).expect("encodes");
            assert_order(
                &out,
                &[
                    "<SearchID>srch-1",
                    "<SearchFindings>12",
                    "<CompletionFlag>F",
                    "<SearchIndex>10",
                    "<SearchResult><UserList>",
                    "<GroupList><GroupID>",
                ],
            );
            let back = decode(&out);
            let Primitive::SearchResponse(r) = primitive(&back) else {
                panic!("not a response")
            };
            assert_eq!(r.search_result, resp.search_result);
        }
    }

    #[test]
    fn invite_request_per_version() {
        // Android's 1.2 group invitation.
        let xml = wrap(
            CspVersion::V1_2,
            "Request",
            "<Invite-Request><InviteID>inv1</InviteID><InviteType>GR</InviteType>
               <Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient>
               <GroupID>wv:alice/chess@example.com</GroupID>
               <ScreenName><SName>alice</SName><GroupID>wv:alice/chess@example.com</GroupID></ScreenName>
             </Invite-Request>",
        );
        let msg = decode(&xml);
        let Primitive::InviteRequest(req) = primitive(&msg) else {
            panic!("not an invite")
        };
        assert_eq!(req.invite_id, "inv1");
        assert_eq!(req.invite_type.as_deref(), Some("GR"));
        assert_eq!(req.recipient.user[0].user_id, "wv:bob@example.com");
        assert_eq!(
            req.screen_name.as_ref().map(|s| s.sname.as_str()),
            Some("alice")
        );

        let mut req = (**req).clone();
        req.sender = Some(Sender {
            user: Some(User::new("wv:alice@example.com")),
            group: None,
        });
        req.validity = Some(600);
        for v in CspVersion::ALL {
            let m = WvCspMessage::new(
                v,
                Some("s".into()),
                TransactionMode::Request,
                Some("5".into()),
                req.clone().into(),
            );
            let out = crate::encode_xml(&m).expect("encodes");
            assert_eq!(out.contains("<Sender>"), v == CspVersion::V1_3, "{out}");
            assert_eq!(out.contains("<ScreenName>"), v != CspVersion::V1_3, "{out}");
            if v == CspVersion::V1_3 {
                assert_order(
                    &out,
                    &[
                        "<InviteID>",
                        "<InviteType>",
                        "<Sender>",
                        "<Recipient>",
                        "<GroupID>",
                        "<Validity>600",
                    ],
                );
            } else {
                assert_order(
                    &out,
                    &[
                        "<InviteID>",
                        "<InviteType>",
                        "<Recipient>",
                        "<GroupID>",
                        "<ScreenName>",
                        "<Validity>600",
                    ],
                );
            }
        }
    }

    #[test]
    fn invite_user_response_from_android() {
        // Android answers with a Request-mode InviteUser-Response naming the inviter as a bare User.
        let xml = wrap(
            CspVersion::V1_2,
            "Request",
            "<InviteUser-Response><InviteID>inv1</InviteID><Acceptance>T</Acceptance>
               <User><UserID>wv:alice@example.com</UserID></User></InviteUser-Response>",
        );
        let msg = decode(&xml);
        let Primitive::InviteUserResponse(r) = primitive(&msg) else {
            panic!("not an InviteUser-Response")
        };
        assert_eq!(r.acceptance, Some(true));
        assert_eq!(r.sender, None);
        let inviter = r.inviter().expect("inviter");
        assert_eq!(
            inviter.user.map(|u| u.user_id).as_deref(),
            Some("wv:alice@example.com")
        );

        let fwd = InviteResponse {
            invite_id: "inv1".into(),
            acceptance: Some(true),
            sender: Some(Sender {
                user: Some(User::new("wv:bob@example.com")),
                group: None,
            }),
            response_note: Some("gladly".into()),
            ..Default::default()
        };
        let m = WvCspMessage::new(
            CspVersion::V1_2,
            Some("s".into()),
            TransactionMode::Request,
            Some("s-1".into()),
            fwd.into(),
        );
        let out = crate::encode_xml(&m).expect("encodes");
        assert_order(
            &out,
            &[
                "<Invite-Response><InviteID>inv1",
                "<Acceptance>T",
                "<Sender><User><UserID>wv:bob",
                "<ResponseNote>gladly",
            ],
        );
    }

    #[test]
    fn verify_id_and_extended() {
        let xml = wrap(
            CspVersion::V1_2,
            "Request",
            "<VerifyID-Request><IDList><Domain>example.com</Domain><UserID>wv:bob@example.com</UserID>
               <GroupID>wv:alice/chess@example.com</GroupID><ContactList>wv:bob/friends@example.com</ContactList></IDList></VerifyID-Request>",
        );
        let msg = decode(&xml);
        let Primitive::VerifyIdRequest(r) = primitive(&msg) else {
            panic!("not VerifyID")
        };
        let ids = r.id_list.as_ref().expect("IDList");
        assert_eq!(ids.user_id, ["wv:bob@example.com"]);
        assert_eq!(ids.domain, ["example.com"]);
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &out,
            &["<IDList><UserID>", "<ContactList>", "<GroupID>", "<Domain>"],
        );

        let xml = wrap(
            CspVersion::V1_2,
            "Request",
            "<Extended-Request><ExtendedData>op=ping</ExtendedData><Vendor a=\"1\"><X>y</X></Vendor></Extended-Request>",
        );
        let msg = decode(&xml);
        let Primitive::ExtendedRequest(r) = primitive(&msg) else {
            panic!("not Extended")
        };
        assert_eq!(r.extended_data().collect::<Vec<_>>(), ["op=ping"]);
        assert_eq!(r.children[1].name, "Vendor");
        assert_eq!(r.children[1].children[0].text, "y");
        let out = crate::encode_xml(&msg).expect("encodes");
        assert!(out.contains("<Extended-Request><ExtendedData>op=ping</ExtendedData><Vendor><X>y</X></Vendor></Extended-Request>"), "{out}");

        let xml = wrap(
            CspVersion::V1_2,
            "Response",
            "<Extended-Response>raw vendor text</Extended-Response>",
        );
        let msg = decode(&xml);
        let Primitive::ExtendedResponse(r) = primitive(&msg) else {
            panic!("not Extended-Response")
        };
        assert_eq!(r.text, "raw vendor text");
        assert_eq!(decode(&crate::encode_xml(&msg).expect("encodes")), msg);
    }

    #[test]
    fn advanced_criteria_round_trips() {
        let xml = wrap(
            CspVersion::V1_3,
            "Request",
            "<Search-Request><SearchLimit>5</SearchLimit><AdvancedCriteria>1 AND (2 OR 3)</AdvancedCriteria>
               <SearchPairList><PairID>1</PairID><SearchElement>USER_CITY</SearchElement><SearchString>Basel</SearchString></SearchPairList>
               <SearchPairList><SearchPair><SearchElement>USER_AGE_MIN</SearchElement><SearchString>18</SearchString><PairID>2</PairID></SearchPair></SearchPairList>
               <SearchPairList><SearchElement>USER_GENDER</SearchElement><SearchString>F</SearchString><PairID>3</PairID></SearchPairList>
             </Search-Request>",
        );
        let msg = decode(&xml);
        let Primitive::SearchRequest(r) = primitive(&msg) else {
            panic!("not a search")
        };
        assert_eq!(r.advanced_criteria.as_deref(), Some("1 AND (2 OR 3)"));
        assert_eq!(r.search_pair_list.len(), 3);
        assert_eq!(r.search_pair_list[0].pair_id, Some(1));
        // The SearchPair wrapper is read through.
        assert_eq!(
            r.search_pair_list[1],
            SearchPairList {
                search_element: "USER_AGE_MIN".into(),
                search_string: "18".into(),
                pair_id: Some(2),
            }
        );
        let out = crate::encode_xml(&msg).expect("encodes");
        assert!(!out.contains("<SearchPair>"), "{out}");
        assert_order(
            &out,
            &[
                "<SearchPairList><SearchElement>USER_CITY</SearchElement><SearchString>Basel</SearchString><PairID>1</PairID></SearchPairList>",
                "<SearchPairList><SearchElement>USER_AGE_MIN",
                "<SearchPairList>",
                "<AdvancedCriteria>1 AND (2 OR 3)</AdvancedCriteria>",
                "<SearchLimit>5",
            ],
        );
        assert_eq!(decode(&out), msg);

        // Below 1.3 neither PairID nor AdvancedCriteria is written.
        let mut v12 = msg.clone();
        v12.version = CspVersion::V1_2;
        let out = crate::encode_xml(&v12).expect("encodes");
        assert!(
            !out.contains("PairID") && !out.contains("AdvancedCriteria"),
            "{out}"
        );

        // A pair without SearchString is refused.
        let bad = wrap(
            CspVersion::V1_3,
            "Request",
            "<Search-Request><SearchPairList><SearchElement>USER_ID</SearchElement></SearchPairList></Search-Request>",
        );
        assert!(crate::decode_xml(bad.as_bytes(), &limits()).is_err());
    }

    #[test]
    fn invitations_1_3_children() {
        let xml = wrap(
            CspVersion::V1_3,
            "Request",
            "<CancelInviteUser-Request><URLList><URL>http://example.com/x</URL></URLList>
               <GroupID>wv:alice/chess@example.com</GroupID><InviteID>inv1</InviteID>
               <Sender><User><UserID>wv:alice@example.com</UserID></User></Sender>
               <ApplicationID>com.example.chess</ApplicationID>
               <Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient>
             </CancelInviteUser-Request>",
        );
        let msg = decode(&xml);
        let Primitive::CancelInviteUserRequest(r) = primitive(&msg) else {
            panic!("not CancelInviteUser")
        };
        assert_eq!(r.application_id.as_deref(), Some("com.example.chess"));
        assert_eq!(
            r.recipient.as_ref().map(|r| r.user[0].user_id.as_str()),
            Some("wv:bob@example.com")
        );
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &out,
            &[
                "<InviteID>",
                "<Sender>",
                "<Recipient>",
                "<ApplicationID>",
                "<GroupID>",
                "<URLList>",
            ],
        );
        let mut v12 = msg.clone();
        v12.version = CspVersion::V1_2;
        let out = crate::encode_xml(&v12).expect("encodes");
        assert!(
            !out.contains("<Recipient>")
                && !out.contains("<ApplicationID>")
                && !out.contains("<GroupID>"),
            "{out}"
        );

        let fwd = InviteResponse {
            invite_id: "inv1".into(),
            acceptance: Some(false),
            sender: Some(Sender {
                user: Some(User::new("wv:bob@example.com")),
                group: None,
            }),
            recipient: Some(Recipient {
                user: vec![User::new("wv:alice@example.com")],
                ..Default::default()
            }),
            invite_note: Some("chess?".into()),
            response_note: Some("not now".into()),
            screen_name: None,
        };
        let m = WvCspMessage::new(
            CspVersion::V1_3,
            Some("s".into()),
            TransactionMode::Request,
            Some("s-2".into()),
            fwd.into(),
        );
        assert_order(
            &crate::encode_xml(&m).expect("encodes"),
            &[
                "<Acceptance>F",
                "<Sender>",
                "<Recipient>",
                "<InviteNote>chess?",
                "<ResponseNote>not now",
            ],
        );
    }
}
