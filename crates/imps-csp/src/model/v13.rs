//! CSP 1.3 additions: public profile, system messages, notifications, GetMap, segmentation,
//! extended conversations (csp-reference.md §3.2, implementation-guidelines.md §1, §2, §4, §7,
//! §10, §16, §17).
//!
//! Every primitive here exists in 1.3 only (the primitive catalogue carries the version range),
//! and every element they are made of is a 1.3 element or an element common to all versions, so
//! no field needs a version range of its own.
//!
//! No content model of these primitives was available (the OMA 1.3 documents were not): the
//! element *names* are certain (1.3 WBXML token tables), their *nesting* is reconstructed from
//! the names, the Implementation Guidelines and the MediaTek 1.3 client's data structures. Each
//! guess is stated in a "Reconstructed:" line on the struct it concerns. Decoding accepts any
//! order and skips unknown children, so a guess that is too narrow loses a child, never a message.
//!
//! Placement of the 1.3 elements the guidelines name for auto-registration, MSISDN verification
//! and terms of use: `VerificationMechanism`, `TryAgainTimeout` (and a verification `URL`) in
//! [`SystemMessage`]; `VerificationKey` in [`SystemMessageResponse`]. `ApplicationID` and
//! `MinimumAge` are not placed here (see [`SystemMessage`]).

use crate::codec::{ContentData, Empty};
use crate::element;
use crate::model::common::{ClientId, CspResult, Property, ScreenName};
use crate::model::group::UserIdList;

// ---------------------------------------------------------------------------------------------
// Public profile (GetPublicProfile / UpdatePublicProfile)
// ---------------------------------------------------------------------------------------------

element! {
    /// `PublicProfile (FriendlyName?, Property*)`: the part of a user's data anyone may read
    /// (shown in search results and by "view profile").
    ///
    /// Reconstructed: the profile fields `PP_AGE`, `PP_CITY`, `PP_COUNTRY`, `PP_FRIENDLY_NAME`,
    /// `PP_FREE_TEXT`, `PP_GENDER`, `PP_INTENTION`, `PP_INTERESTS`, `PP_MARITAL_STATUS` are 1.3
    /// *value* tokens, not elements, so they must travel as element text; the one generic
    /// name/value carrier of CSP whose name is itself a value token is `Property (Name, Value?)`
    /// (group and contact-list property names such as `AccessType`, `Topic`, `DisplayName` are
    /// value tokens in the same table), so the profile is a list of `Property` with
    /// `Name` = a `PP_*` identifier, plus the 1.3 element `FriendlyName` (the display name) first.
    /// The search-pair form (`SearchElement`/`SearchString`) was rejected: those names are the
    /// `USER_*` search keys, a different token family.
    pub struct PublicProfile {
        /// `FriendlyName`: the name the user wants to be shown under.
        friendly_name: Option<String> => "FriendlyName",
        /// `Property*`: profile fields, `Name` one of `PP_AGE`, `PP_CITY`, `PP_COUNTRY`,
        /// `PP_FRIENDLY_NAME`, `PP_FREE_TEXT`, `PP_GENDER`, `PP_INTENTION`, `PP_INTERESTS`,
        /// `PP_MARITAL_STATUS` (other names are kept as sent), `Value` the field's text.
        property: Vec<Property> => "Property",
    }
}

impl PublicProfile {
    /// The profile field names of CSP 1.3 (value tokens 0xAF–0xB7).
    pub const FIELDS: [&'static str; 9] = [
        "PP_AGE",
        "PP_CITY",
        "PP_COUNTRY",
        "PP_FRIENDLY_NAME",
        "PP_FREE_TEXT",
        "PP_GENDER",
        "PP_INTENTION",
        "PP_INTERESTS",
        "PP_MARITAL_STATUS",
    ];

    /// The value of profile field `name` (e.g. `PP_CITY`), matched case-insensitively.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.property
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| p.value.as_deref())
    }
}

element! {
    /// `GetPublicProfile-Request (UserID?)` (C→S): read a user's public profile.
    ///
    /// Reconstructed: one optional `UserID`; absent means the requester's own profile.
    pub struct GetPublicProfileRequest {
        /// `UserID` of the user whose profile is wanted (absent: one's own).
        user_id: Option<String> => "UserID",
    }
}

element! {
    /// `GetPublicProfile-Response (Result?, PublicProfile?)` (S→C).
    ///
    /// Reconstructed: `Result` then the profile (absent when the user has none or on error).
    pub struct GetPublicProfileResponse {
        /// `Result`: outcome of the request (531 unknown user, ...).
        result: Option<CspResult> => "Result",
        /// `PublicProfile`: the requested profile.
        public_profile: Option<PublicProfile> => "PublicProfile",
    }
}

element! {
    /// `UpdatePublicProfile-Request (PublicProfile?, ClearPublicProfile?)` (C→S): set or clear
    /// one's own public profile; answered with `Status`.
    ///
    /// Reconstructed: the new fields (merged into the stored profile) or the `ClearPublicProfile`
    /// marker (drop the whole profile); with both, clear first, then apply the fields.
    /// `ClearPublicProfile` is taken as an empty marker element: its presence means "clear",
    /// any content (e.g. `T`) is ignored.
    pub struct UpdatePublicProfileRequest {
        /// `PublicProfile`: the fields to store.
        public_profile: Option<PublicProfile> => "PublicProfile",
        /// `ClearPublicProfile`: present = delete the stored profile.
        clear_public_profile: Option<Empty> => "ClearPublicProfile",
    }
}

// ---------------------------------------------------------------------------------------------
// System messages (terms of use, MSISDN verification, operator notices)
// ---------------------------------------------------------------------------------------------

element! {
    /// `AnswerOption (AnswerOptionID, AnswerOptionText)`: one choice offered with a system
    /// message (e.g. `1` = "Accept", `2` = "Decline").
    pub struct AnswerOption {
        /// `AnswerOptionID`: the number the client echoes as `ChosenOptionID`.
        answer_option_id: u32 => "AnswerOptionID",
        /// `AnswerOptionText`: the label shown on the choice (page 9 0x0B, which is
        /// `ReactiveAuthState` in 1.2).
        answer_option_text: Option<String> => "AnswerOptionText",
    }
}

element! {
    /// `AnswerOptions (AnswerOptionsText?, AnswerOption*)`: the choices of a system message.
    ///
    /// Reconstructed: the 1.3 element `AnswerOptionsText` (page 0x0B) is taken as the prompt
    /// shown above the choices ("Do you accept?"), before them. MediaTek's client allows up to
    /// 10 options.
    pub struct AnswerOptions {
        /// `AnswerOptionsText`: the question the options answer.
        answer_options_text: Option<String> => "AnswerOptionsText",
        /// `AnswerOption*`: the choices, in display order.
        answer_option: Vec<AnswerOption> => "AnswerOption",
    }
}

element! {
    /// `SystemMessage (SystemMessageID, SystemMessageText, AnswerOptions?, RequiresResponse?,
    /// TryAgainTimeout?, VerificationMechanism?, URL?)`: one operator notice, terms-of-use text
    /// or verification challenge (csp-reference.md §3.2; implementation-guidelines.md §2, §4).
    ///
    /// Reconstructed: the first four children follow the reference; the guidelines list
    /// `TryAgainTimeout`, `VerificationMechanism` among the system-message elements and
    /// MediaTek's system message carries "an optional verification block", so they are placed
    /// here, after the reference's children: `VerificationMechanism` as text (MediaTek's type 0
    /// = "enter the key sent to you by SMS", type 1 = "open this URL"; value strings unknown),
    /// `TryAgainTimeout` as the seconds after which the client may present the message again /
    /// retry the verification, and the common element `URL` as the link of the "open this URL"
    /// mechanism (or of the full terms of use).
    ///
    /// Not placed: `ApplicationID` (page 9 0x1E) has no system-message role in the guidelines;
    /// they tie it to client addressing, i.e. most plausibly `ClientID (URL?, MSISDN?,
    /// ApplicationID?)` in common.rs. `MinimumAge` is a 1.3 *value* token (0xBB), not an element:
    /// it can only be element text, most plausibly a group `Property` name (minimum age to join)
    /// next to the `USER_AGE_MIN`/`USER_AGE_MAX` search keys.
    pub struct SystemMessage {
        /// `SystemMessageID`: server-chosen id, echoed in the client's `SystemMessageResponse`.
        system_message_id: String => "SystemMessageID",
        /// `SystemMessageText`: the text shown to the user (the terms, the notice, the prompt).
        system_message_text: String => "SystemMessageText",
        /// `AnswerOptions`: the choices offered (absent: information only).
        answer_options: Option<AnswerOptions> => "AnswerOptions",
        /// `RequiresResponse`: `T` = the client must answer with `SystemMessage-User` (terms of
        /// use, verification); `F`/absent = informational.
        requires_response: Option<bool> => "RequiresResponse",
        /// `TryAgainTimeout`: seconds before the client may retry / show the message again.
        try_again_timeout: Option<u32> => "TryAgainTimeout",
        /// `VerificationMechanism`: how the user proves the MSISDN (key by SMS, or URL to open).
        verification_mechanism: Option<String> => "VerificationMechanism",
        /// `URL`: link for the URL verification mechanism or the full text of the terms.
        url: Option<String> => "URL",
    }
}

element! {
    /// `SystemMessageList (SystemMessage*)`.
    pub struct SystemMessageList {
        /// `SystemMessage*`: the messages, in display order.
        system_message: Vec<SystemMessage> => "SystemMessage",
    }
}

element! {
    /// `SystemMessage-Request (SystemMessageList)` (S→C): operator notices, terms of use,
    /// verification challenges; the client acknowledges with `Status`, then answers the messages
    /// that require it with `SystemMessage-User`.
    pub struct SystemMessageRequest {
        /// `SystemMessageList`: the messages.
        system_message_list: SystemMessageList => "SystemMessageList",
    }
}

element! {
    /// `SystemMessageResponse (SystemMessageID, ChosenOptionID?, InText?, VerificationKey?)`:
    /// the user's answer to one system message.
    ///
    /// Reconstructed: `InText` (page 9 0x24) is the free-text answer, `VerificationKey` the key
    /// the user typed for the "enter the key" verification mechanism (MediaTek's reply struct is
    /// `{chosen_option, verification_key}` with the message id echoed).
    pub struct SystemMessageResponse {
        /// `SystemMessageID` of the message answered.
        system_message_id: String => "SystemMessageID",
        /// `ChosenOptionID`: the `AnswerOptionID` the user picked.
        chosen_option_id: Option<u32> => "ChosenOptionID",
        /// `InText`: free text typed by the user.
        in_text: Option<String> => "InText",
        /// `VerificationKey`: the one-time key sent out of band (MSISDN verification).
        verification_key: Option<String> => "VerificationKey",
    }
}

element! {
    /// `SystemMessageResponseList (SystemMessageResponse*)`.
    pub struct SystemMessageResponseList {
        /// `SystemMessageResponse*`: one answer per system message answered.
        system_message_response: Vec<SystemMessageResponse> => "SystemMessageResponse",
    }
}

element! {
    /// `SystemMessage-User (SystemMessageResponseList)` (C→S): the user's answers to system
    /// messages; answered with `Status`.
    pub struct SystemMessageUser {
        /// `SystemMessageResponseList`: the answers (optional only for lenient decoding).
        system_message_response_list: Option<SystemMessageResponseList> => "SystemMessageResponseList",
    }
}

// ---------------------------------------------------------------------------------------------
// Notification subscription (multi-session synchronisation, implementation-guidelines.md §7)
// ---------------------------------------------------------------------------------------------

element! {
    /// `NotificationTypeList (NotificationType*)`: the event types subscribed or unsubscribed.
    pub struct NotificationTypeList {
        /// `NotificationType*`: 1.3 event codes (meanings inferred, implementation-guidelines.md
        /// §7): `ATCL` added to another user's contact list, `AC` authorisation changed,
        /// `ANC`/`AND`/`ANU` authorisation needed (contact list / default list / user), `BLC`
        /// block list changed, `BLUC` block-list use changed, `CLCR`/`CLC`/`CLD` contact list
        /// created/changed/deleted, `GLC` grant list changed, `GLUC` grant-list use changed,
        /// `GC`/`GD` group created/deleted, `GMAU`/`GMU`/`GMG`/`GMR` group member access
        /// updated / member updated / membership granted / revoked, `IA`/`IC`/`IR` invitation
        /// accepted/cancelled/rejected, `OEU` OnlineETEMHandling updated, `PPU` public profile
        /// updated, `SPA` session priority adjusted, `EC`, `EG`, `C`, `R` (unknown).
        notification_type: Vec<String> => "NotificationType",
    }
}

element! {
    /// `SubscribeNotification-Request (NotificationTypeList)` (C→S): ask to be told of these
    /// events (typically changes made by one's other sessions); answered with `Status`.
    pub struct SubscribeNotificationRequest {
        /// `NotificationTypeList`: the events wanted.
        notification_type_list: Option<NotificationTypeList> => "NotificationTypeList",
    }
}

element! {
    /// `UnsubscribeNotification-Request (NotificationTypeList)` (C→S): stop these
    /// notifications; answered with `Status`.
    ///
    /// Reconstructed: an absent list is taken to mean "all".
    pub struct UnsubscribeNotificationRequest {
        /// `NotificationTypeList`: the events no longer wanted.
        notification_type_list: Option<NotificationTypeList> => "NotificationTypeList",
    }
}

element! {
    /// `Notification-Request (NotificationType?, UserID*, ContactList*, GroupID*, ScreenName*,
    /// InviteID?, ClientID?)` (S→C): one event of a subscribed type; the client answers `Status`.
    ///
    /// Reconstructed: the event code, then the identifiers the event concerns, in the order of
    /// `DetailedResult` (the CSP element that already lists "affected identifiers"): the user
    /// who added us / changed a profile / needs authorisation (`UserID`), the contact lists
    /// created/changed/deleted (`ContactList`), the groups (`GroupID`), the members
    /// (`ScreenName`), the invitation (`InviteID`, for `IA`/`IC`/`IR`) and the session that
    /// caused a multi-session event (`ClientID`, for `SPA`/`OEU`). The list flags
    /// `ContactListNotify`, `UserNotify`, `DefaultNotify`, `AuthorizeAndGrant` were left out:
    /// they read as options of contact-list requests (CreateList / ListManage: "tell the added
    /// users", "authorise and grant them"), not as event data.
    pub struct NotificationRequest {
        /// `NotificationType`: the event code (see [`NotificationTypeList`] for the values).
        notification_type: Option<String> => "NotificationType",
        /// `UserID*`: users the event concerns.
        user_id: Vec<String> => "UserID",
        /// `ContactList*`: contact lists the event concerns.
        contact_list: Vec<String> => "ContactList",
        /// `GroupID*`: groups the event concerns.
        group_id: Vec<String> => "GroupID",
        /// `ScreenName*`: group members the event concerns.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// `InviteID`: the invitation accepted, cancelled or rejected.
        invite_id: Option<String> => "InviteID",
        /// `ClientID`: the client (session) whose action caused the event.
        client_id: Option<ClientId> => "ClientID",
    }
}

// ---------------------------------------------------------------------------------------------
// GetMap (phonebook mapping, implementation-guidelines.md §17)
// ---------------------------------------------------------------------------------------------

element! {
    /// `UserIDPair (UnrecognizedUserID?, UserID?, ValidUserID?)`: one identifier the client
    /// asked about and what it maps to.
    ///
    /// Reconstructed: the pair is (identifier as sent, valid IMPS user ID): the identifier as
    /// sent is `UnrecognizedUserID` (e.g. `wv:+358401234567` or a bare MSISDN the server does not
    /// know as a user) or, leniently, `UserID`; `ValidUserID` is the user it maps to, absent
    /// when it maps to nobody (an "SMS user").
    pub struct UserIdPair {
        /// `UnrecognizedUserID`: the identifier as the client sent it.
        unrecognized_user_id: Option<String> => "UnrecognizedUserID",
        /// `UserID`: the identifier as sent (alternative spelling of the first half of the pair).
        user_id: Option<String> => "UserID",
        /// `ValidUserID`: the IMPS user ID it belongs to (absent: no such user).
        valid_user_id: Option<String> => "ValidUserID",
    }
}

element! {
    /// `Map (UserIDPair*)`: the result of a GetMap request.
    pub struct UserIdMap {
        /// `UserIDPair*`: one per identifier asked about.
        user_id_pair: Vec<UserIdPair> => "UserIDPair",
    }
}

element! {
    /// `GetMap-Request (UserIDList?)` (C→S): map phonebook identifiers (MSISDN-style IDs,
    /// aliases) to IMPS user IDs.
    ///
    /// Reconstructed: the identifiers travel in the 1.3 `UserIDList (UserID*)`.
    pub struct GetMapRequest {
        /// `UserIDList`: the identifiers to map.
        user_id_list: Option<UserIdList> => "UserIDList",
    }
}

element! {
    /// `GetMap-Response (Result?, Map?)` (S→C).
    ///
    /// Reconstructed: `Result` (201 + `DetailedResult` 531 may list unknown identifiers), then
    /// the pairs.
    pub struct GetMapResponse {
        /// `Result`: outcome.
        result: Option<CspResult> => "Result",
        /// `Map`: identifier → user ID pairs.
        map: Option<UserIdMap> => "Map",
    }
}

// ---------------------------------------------------------------------------------------------
// Segmentation (implementation-guidelines.md §10)
// ---------------------------------------------------------------------------------------------

element! {
    /// `SegmentInfo (SegmentID, SegmentCount?, SegmentReference?)`: identifies a primitive the
    /// server split because it exceeds the client's limits, and one segment of it.
    ///
    /// Reconstructed: `SegmentID` (text) names the segmented content, `SegmentCount` is the
    /// number of segments, `SegmentReference` the 1-based index of one segment (the one asked
    /// for in GetSegment-Request, the one carried in GetSegment-Response).
    pub struct SegmentInfo {
        /// `SegmentID`: server-chosen id of the segmented content.
        segment_id: String => "SegmentID",
        /// `SegmentCount`: total number of segments.
        segment_count: Option<u32> => "SegmentCount",
        /// `SegmentReference`: index of one segment (1-based).
        segment_reference: Option<u32> => "SegmentReference",
    }
}

element! {
    /// `GetSegment-Request (MessageID?, SegmentInfo?)` (C→S): fetch one segment.
    ///
    /// Reconstructed: the segmented message by `MessageID` (when the content is a message) and
    /// the segment by `SegmentInfo` (`SegmentID` + `SegmentReference`).
    pub struct GetSegmentRequest {
        /// `MessageID`: the segmented message, when the content is an IM.
        message_id: Option<String> => "MessageID",
        /// `SegmentInfo`: which segment.
        segment_info: Option<SegmentInfo> => "SegmentInfo",
    }
}

element! {
    /// `GetSegment-Response (Result?, SegmentInfo?, SegmentContent?)` (S→C): one segment.
    ///
    /// Reconstructed: `SegmentContent` holds the segment's bytes as text (XML) or OPAQUE (WBXML).
    pub struct GetSegmentResponse {
        /// `Result`: outcome (e.g. 426 unknown id).
        result: Option<CspResult> => "Result",
        /// `SegmentInfo`: which segment this is.
        segment_info: Option<SegmentInfo> => "SegmentInfo",
        /// `SegmentContent`: the segment's data.
        segment_content: Option<ContentData> => "SegmentContent",
    }
}

element! {
    /// `DropSegment-Request (MessageID?, SegmentInfo?)` (C→S): the client does not want the
    /// remaining segments; the server discards them and answers `Status`.
    ///
    /// Reconstructed: identified like GetSegment-Request (`SegmentInfo/SegmentID`, or
    /// `MessageID`).
    pub struct DropSegmentRequest {
        /// `MessageID`: the segmented message, when the content is an IM.
        message_id: Option<String> => "MessageID",
        /// `SegmentInfo`: the segmented content to drop.
        segment_info: Option<SegmentInfo> => "SegmentInfo",
    }
}

// ---------------------------------------------------------------------------------------------
// Extended conversations (implementation-guidelines.md §16)
// ---------------------------------------------------------------------------------------------

element! {
    /// `ExtendConversation-Request (ExtendConversationID?, ExtendConversationUser*, UserIDList?)`
    /// (C→S): turn a 1:1 chat into a multi-party conversation, or add users to one.
    ///
    /// Reconstructed: `ExtendConversationID` names an already extended conversation (absent on
    /// the first extension: the server assigns it in the response); each
    /// `ExtendConversationUser` is taken as the user ID (text) of one party to bring in (the 1:1
    /// peer and the invitees); `UserIDList` is accepted as an alternative carrier of the same.
    /// The server invites the new parties (InviteUser-Request, InviteType `EC` per MediaTek's
    /// "invite EC" indication).
    pub struct ExtendConversationRequest {
        /// `ExtendConversationID`: the conversation to extend further.
        extend_conversation_id: Option<String> => "ExtendConversationID",
        /// `ExtendConversationUser*`: user IDs of the parties to bring in.
        extend_conversation_user: Vec<String> => "ExtendConversationUser",
        /// `UserIDList`: the same, as a list.
        user_id_list: Option<UserIdList> => "UserIDList",
    }
}

element! {
    /// `ExtendConversation-Response (Result?, ExtendConversationID?)` (S→C).
    ///
    /// Reconstructed: the id of the multi-party conversation (used as the group address of the
    /// following messages).
    pub struct ExtendConversationResponse {
        /// `Result`: outcome (201 + `DetailedResult` for users that could not be added).
        result: Option<CspResult> => "Result",
        /// `ExtendConversationID`: the conversation's id.
        extend_conversation_id: Option<String> => "ExtendConversationID",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{TransactionMode, WvCspMessage};
    use crate::primitive::Primitive;
    use crate::status::StatusCode;
    use crate::version::CspVersion;

    fn limits() -> crate::Limits {
        crate::Limits {
            max_depth: 64,
            max_elements: 10_000,
            max_string_len: 1 << 20,
            max_opaque_len: 1 << 20,
            max_total_size: 1 << 22,
            max_string_table: 1 << 20,
        }
    }

    fn wrap(mode: &str, body: &str) -> String {
        format!(
            r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3">
 <Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-8f2c</SessionID></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor><TransactionMode>{mode}</TransactionMode><TransactionID>17</TransactionID></TransactionDescriptor>
   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
    {body}
   </TransactionContent>
  </Transaction>
  <Poll>F</Poll>
 </Session>
</WV-CSP-Message>"#
        )
    }

    fn decode(doc: &str) -> WvCspMessage {
        crate::decode_xml(doc.as_bytes(), &limits()).expect("decodes")
    }

    /// Asserts that `needles` occur in `hay` in this order.
    fn assert_order(hay: &str, needles: &[&str]) {
        let mut at = 0;
        for n in needles {
            let pos = hay[at..]
                .find(n)
                .unwrap_or_else(|| panic!("{n} missing or out of order in {hay}"));
            at += pos + n.len();
        }
    }

    #[test]
    fn system_message_terms_of_use_round_trip() {
        let doc = wrap(
            "Request",
            r#"<SystemMessage-Request>
     <SystemMessageList>
      <SystemMessage>
       <RequiresResponse>T</RequiresResponse>
       <SystemMessageText>Accept the terms of use?</SystemMessageText>
       <SystemMessageID>tou-2025-1</SystemMessageID>
       <AnswerOptions>
        <AnswerOption><AnswerOptionText>Accept</AnswerOptionText><AnswerOptionID>1</AnswerOptionID></AnswerOption>
        <AnswerOption><AnswerOptionID>2</AnswerOptionID><AnswerOptionText>Decline</AnswerOptionText></AnswerOption>
        <AnswerOptionsText>Your choice</AnswerOptionsText>
       </AnswerOptions>
       <TryAgainTimeout>3600</TryAgainTimeout>
      </SystemMessage>
      <SystemMessage>
       <SystemMessageID>verify-1</SystemMessageID>
       <SystemMessageText>Enter the key we sent by SMS</SystemMessageText>
       <VerificationMechanism>0</VerificationMechanism>
       <RequiresResponse>T</RequiresResponse>
      </SystemMessage>
     </SystemMessageList>
    </SystemMessage-Request>"#,
        );
        let msg = decode(&doc);
        let Primitive::SystemMessageRequest(p) = &msg.session.transactions[0].primitive else {
            panic!(
                "wrong primitive: {:?}",
                msg.session.transactions[0].primitive
            )
        };
        let list = &p.system_message_list.system_message;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].system_message_id, "tou-2025-1");
        assert_eq!(list[0].requires_response, Some(true));
        assert_eq!(list[0].try_again_timeout, Some(3600));
        let opts = list[0].answer_options.as_ref().expect("options");
        assert_eq!(opts.answer_options_text.as_deref(), Some("Your choice"));
        assert_eq!(opts.answer_option.len(), 2);
        assert_eq!(opts.answer_option[0].answer_option_id, 1);
        assert_eq!(
            opts.answer_option[1].answer_option_text.as_deref(),
            Some("Decline")
        );
        assert_eq!(list[1].verification_mechanism.as_deref(), Some("0"));
        assert_eq!(list[1].answer_options, None);

        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<SystemMessage-Request>",
                "<SystemMessageList>",
                "<SystemMessage>",
                "<SystemMessageID>tou-2025-1</SystemMessageID>",
                "<SystemMessageText>",
                "<AnswerOptions>",
                "<AnswerOptionsText>Your choice</AnswerOptionsText>",
                "<AnswerOption>",
                "<AnswerOptionID>1</AnswerOptionID>",
                "<AnswerOptionText>Accept</AnswerOptionText>",
                "<AnswerOptionID>2</AnswerOptionID>",
                "</AnswerOptions>",
                "<RequiresResponse>T</RequiresResponse>",
                "<TryAgainTimeout>3600</TryAgainTimeout>",
                "<SystemMessageID>verify-1</SystemMessageID>",
                "<RequiresResponse>T</RequiresResponse>",
                "<VerificationMechanism>0</VerificationMechanism>",
            ],
        );
        assert_eq!(decode(&xml), msg);
    }

    #[test]
    fn system_message_user_answer() {
        let doc = wrap(
            "Request",
            r#"<SystemMessage-User>
     <SystemMessageResponseList>
      <SystemMessageResponse><ChosenOptionID>1</ChosenOptionID><SystemMessageID>tou-2025-1</SystemMessageID></SystemMessageResponse>
      <SystemMessageResponse>
       <VerificationKey>493817</VerificationKey><SystemMessageID>verify-1</SystemMessageID><InText>ok</InText>
      </SystemMessageResponse>
     </SystemMessageResponseList>
    </SystemMessage-User>"#,
        );
        let msg = decode(&doc);
        let Primitive::SystemMessageUser(p) = &msg.session.transactions[0].primitive else {
            panic!("wrong primitive")
        };
        let answers = &p
            .system_message_response_list
            .as_ref()
            .expect("list")
            .system_message_response;
        assert_eq!(answers[0].system_message_id, "tou-2025-1");
        assert_eq!(answers[0].chosen_option_id, Some(1));
        assert_eq!(answers[1].verification_key.as_deref(), Some("493817"));
        assert_eq!(answers[1].in_text.as_deref(), Some("ok"));
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<SystemMessageResponse>",
                "<SystemMessageID>verify-1</SystemMessageID>",
                "<InText>ok</InText>",
                "<VerificationKey>493817</VerificationKey>",
            ],
        );
    }

    #[test]
    fn public_profile_get_and_update() {
        let doc = wrap(
            "Response",
            r#"<GetPublicProfile-Response>
     <PublicProfile>
      <Property><Name>PP_CITY</Name><Value>Helsinki</Value></Property>
      <FriendlyName>Alice</FriendlyName>
      <Property><Name>PP_AGE</Name><Value>31</Value></Property>
     </PublicProfile>
     <Result><Code>200</Code></Result>
    </GetPublicProfile-Response>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetPublicProfileResponse(p) = &msg.session.transactions[0].primitive else {
            panic!("wrong primitive")
        };
        assert_eq!(p.result.as_ref().map(|r| r.code), Some(StatusCode(200)));
        let profile = p.public_profile.as_ref().expect("profile");
        assert_eq!(profile.friendly_name.as_deref(), Some("Alice"));
        assert_eq!(profile.field("pp_city"), Some("Helsinki"));
        assert_eq!(profile.field("PP_AGE"), Some("31"));
        assert_eq!(profile.field("PP_GENDER"), None);
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Result>",
                "<PublicProfile>",
                "<FriendlyName>Alice",
                "<Name>PP_CITY",
                "<Name>PP_AGE",
            ],
        );

        let doc = wrap(
            "Request",
            "<UpdatePublicProfile-Request><ClearPublicProfile/></UpdatePublicProfile-Request>",
        );
        let msg = decode(&doc);
        let Primitive::UpdatePublicProfileRequest(p) = &msg.session.transactions[0].primitive
        else {
            panic!("wrong primitive")
        };
        assert_eq!(p.clear_public_profile, Some(Empty));
        assert_eq!(p.public_profile, None);

        let doc = wrap("Request", "<GetPublicProfile-Request><UserID>wv:bob@example.com</UserID></GetPublicProfile-Request>");
        let Primitive::GetPublicProfileRequest(p) =
            decode(&doc).session.transactions[0].primitive.clone()
        else {
            panic!("wrong primitive")
        };
        assert_eq!(p.user_id.as_deref(), Some("wv:bob@example.com"));
    }

    #[test]
    fn notifications_getmap_segments_extend() {
        let doc = wrap(
            "Request",
            r#"<SubscribeNotification-Request><NotificationTypeList>
     <NotificationType>CLC</NotificationType><NotificationType>BLC</NotificationType><NotificationType>PPU</NotificationType>
    </NotificationTypeList></SubscribeNotification-Request>"#,
        );
        let Primitive::SubscribeNotificationRequest(p) =
            decode(&doc).session.transactions[0].primitive.clone()
        else {
            panic!("wrong primitive")
        };
        assert_eq!(
            p.notification_type_list.expect("list").notification_type,
            ["CLC", "BLC", "PPU"]
        );

        // Server-built notification: encode, then decode back.
        let n = NotificationRequest {
            notification_type: Some("ATCL".into()),
            user_id: vec!["wv:carol@example.com".into()],
            contact_list: vec!["wv:carol/friends@example.com".into()],
            ..Default::default()
        };
        let msg = WvCspMessage::new(
            CspVersion::V1_3,
            Some("s-8f2c".into()),
            TransactionMode::Request,
            Some("s1".into()),
            n.clone().into(),
        );
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Notification-Request>",
                "<NotificationType>ATCL",
                "<UserID>",
                "<ContactList>",
            ],
        );
        assert_eq!(
            decode(&xml).session.transactions[0].primitive,
            Primitive::NotificationRequest(n)
        );

        let doc = wrap(
            "Response",
            r#"<GetMap-Response><Map>
     <UserIDPair><ValidUserID>wv:dave@example.com</ValidUserID><UnrecognizedUserID>wv:+358401234567</UnrecognizedUserID></UserIDPair>
     <UserIDPair><UnrecognizedUserID>wv:+358409999999</UnrecognizedUserID></UserIDPair>
    </Map><Result><Code>200</Code></Result></GetMap-Response>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetMapResponse(p) = &msg.session.transactions[0].primitive else {
            panic!("wrong primitive")
        };
        let pairs = &p.map.as_ref().expect("map").user_id_pair;
        assert_eq!(
            pairs[0].unrecognized_user_id.as_deref(),
            Some("wv:+358401234567")
        );
        assert_eq!(
            pairs[0].valid_user_id.as_deref(),
            Some("wv:dave@example.com")
        );
        assert_eq!(pairs[1].valid_user_id, None);
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Result>",
                "<Map>",
                "<UnrecognizedUserID>wv:+358401234567",
                "<ValidUserID>",
            ],
        );

        let doc = wrap(
            "Request",
            r#"<GetMap-Request><UserIDList><UserID>wv:+358401234567</UserID><UserID>wv:+358409999999</UserID></UserIDList></GetMap-Request>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetMapRequest(p) = &msg.session.transactions[0].primitive else {
            panic!("wrong primitive")
        };
        assert_eq!(p.user_id_list.as_ref().expect("list").user_id.len(), 2);
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<GetMap-Request>",
                "<UserIDList>",
                "<UserID>wv:+358401234567",
                "<UserID>wv:+358409999999",
            ],
        );

        let doc = wrap(
            "Response",
            r#"<GetSegment-Response><SegmentContent>part two</SegmentContent>
     <SegmentInfo><SegmentReference>2</SegmentReference><SegmentID>seg-9</SegmentID><SegmentCount>3</SegmentCount></SegmentInfo>
     <Result><Code>200</Code></Result></GetSegment-Response>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetSegmentResponse(p) = &msg.session.transactions[0].primitive else {
            panic!("wrong primitive")
        };
        let info = p.segment_info.as_ref().expect("info");
        assert_eq!(
            (
                info.segment_id.as_str(),
                info.segment_count,
                info.segment_reference
            ),
            ("seg-9", Some(3), Some(2))
        );
        assert_eq!(
            p.segment_content,
            Some(ContentData::Text("part two".into()))
        );
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Result>",
                "<SegmentInfo>",
                "<SegmentID>seg-9",
                "<SegmentCount>3",
                "<SegmentReference>2",
                "<SegmentContent>",
            ],
        );

        let doc = wrap(
            "Request",
            r#"<ExtendConversation-Request>
     <ExtendConversationUser>wv:bob@example.com</ExtendConversationUser>
     <ExtendConversationUser>wv:carol@example.com</ExtendConversationUser>
    </ExtendConversation-Request>"#,
        );
        let Primitive::ExtendConversationRequest(p) =
            decode(&doc).session.transactions[0].primitive.clone()
        else {
            panic!("wrong primitive")
        };
        assert_eq!(
            p.extend_conversation_user,
            ["wv:bob@example.com", "wv:carol@example.com"]
        );
        assert_eq!(p.extend_conversation_id, None);
    }

    #[test]
    fn samples_round_trip_xml_and_wbxml() {
        use crate::codec::Sample;
        let prims: Vec<Primitive> = vec![
            GetPublicProfileRequest::sample().into(),
            GetPublicProfileResponse::sample().into(),
            UpdatePublicProfileRequest::sample().into(),
            SystemMessageRequest::sample().into(),
            SystemMessageUser::sample().into(),
            SubscribeNotificationRequest::sample().into(),
            UnsubscribeNotificationRequest::sample().into(),
            NotificationRequest::sample().into(),
            GetMapRequest::sample().into(),
            GetMapResponse::sample().into(),
            GetSegmentRequest::sample().into(),
            GetSegmentResponse::sample().into(),
            DropSegmentRequest::sample().into(),
            ExtendConversationRequest::sample().into(),
            ExtendConversationResponse::sample().into(),
        ];
        for p in prims {
            let msg = WvCspMessage::new(
                CspVersion::V1_3,
                Some("s".into()),
                TransactionMode::Request,
                Some("1".into()),
                p,
            );
            let xml = crate::encode_xml(&msg).expect("xml encodes");
            assert_eq!(decode(&xml), msg, "XML round trip of {xml}");
            let wbxml = crate::encode_wbxml(&msg).expect("wbxml encodes");
            let back = crate::decode_wbxml(&wbxml, &limits()).expect("wbxml decodes");
            assert_eq!(
                back,
                msg,
                "WBXML round trip of {}",
                msg.session.transactions[0].primitive.name()
            );
        }
    }

    #[test]
    fn primitives_absent_below_1_3() {
        let p: Primitive = SystemMessageUser::default().into();
        assert!(p.exists_in(CspVersion::V1_3));
        assert!(!p.exists_in(CspVersion::V1_2));
    }
}
