//! CSP 1.3 additions: public profile, system messages, notifications, GetMap, segmentation,
//! extended conversations (csp-reference.md §3.2, implementation-guidelines.md §1, §2, §4, §7,
//! §10, §16, §17).
//!
//! Every primitive here exists in 1.3 only (the primitive catalogue carries the version range),
//! and every element they are made of is a 1.3 element or an element common to all versions, so
//! no field needs a version range of its own.
//!
//! The reference names these elements but gives no content models (\[I\]). The structures follow
//! the open-source Baraza IMPS server's message definitions (`baraza/cspmessages.def`, written
//! from the OMA 1.3 DTD); each struct says so in a "Reconstructed (Baraza cspmessages.def):"
//! line. Decoding accepts any order and skips unknown children, so a structure that is too
//! narrow loses a child, never a message.

use crate::codec::ContentData;
use crate::element;
use crate::model::attributes::PresenceSubList;
use crate::model::common::{
    ClientId, ContactListIdList, CspResult, Property, ScreenName, UserList,
};
use crate::model::group::{UserIdList, WelcomeNote};

// ---------------------------------------------------------------------------------------------
// Public profile (GetPublicProfile / UpdatePublicProfile)
// ---------------------------------------------------------------------------------------------

element! {
    /// `PublicProfile (UserID?, Property*)`: the part of a user's data anyone may read (shown in
    /// search results and by "view profile").
    ///
    /// Reconstructed (Baraza cspmessages.def): `UserID` names whose profile it is (in a
    /// response; absent in UpdatePublicProfile-Request), then the fields as `Property (Name,
    /// Value?)` with `Name` one of the 1.3 `PP_*` value tokens.
    pub struct PublicProfile {
        /// `UserID`: whose profile this is.
        user_id: Option<String> => "UserID",
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
    /// `GetPublicProfile-Request (UserID*)` (C→S): read users' public profiles.
    ///
    /// Reconstructed (Baraza cspmessages.def): a list of `UserID`; an empty list is taken to
    /// mean the requester's own profile.
    pub struct GetPublicProfileRequest {
        /// `UserID*`: the users whose profiles are wanted.
        user_id: Vec<String> => "UserID",
    }
}

element! {
    /// `GetPublicProfile-Response (Result?, PublicProfile*)` (S→C).
    ///
    /// Reconstructed (Baraza cspmessages.def): `Result`, then one profile per user found.
    pub struct GetPublicProfileResponse {
        /// `Result`: outcome of the request (201 + DetailedResult 531 for unknown users, ...).
        result: Option<CspResult> => "Result",
        /// `PublicProfile*`: the requested profiles.
        public_profile: Vec<PublicProfile> => "PublicProfile",
    }
}

element! {
    /// `UpdatePublicProfile-Request (ClearPublicProfile?, PublicProfile?)` (C→S): set or clear
    /// one's own public profile; answered with `Status`.
    ///
    /// Reconstructed (Baraza cspmessages.def): `ClearPublicProfile` is a boolean (`T` = drop
    /// the stored profile first), then the fields to store (merged into the stored profile).
    pub struct UpdatePublicProfileRequest {
        /// `ClearPublicProfile`: `T` = delete the stored profile (before applying any fields).
        clear_public_profile: Option<bool> => "ClearPublicProfile",
        /// `PublicProfile`: the fields to store.
        public_profile: Option<PublicProfile> => "PublicProfile",
    }
}

// ---------------------------------------------------------------------------------------------
// System messages (terms of use, MSISDN verification, operator notices)
// ---------------------------------------------------------------------------------------------

element! {
    /// `AnswerOption (AnswerOptionID, AnswerOptionText?)`: one choice offered with a system
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
    /// Reconstructed (Baraza cspmessages.def): Baraza has `AnswerOptions (AnswerOption*)`; the
    /// 1.3 token table also has `AnswerOptionsText` (page 0x0B 0x08), taken as the prompt
    /// shown above the choices and placed first.
    pub struct AnswerOptions {
        /// `AnswerOptionsText`: the question the options answer.
        answer_options_text: Option<String> => "AnswerOptionsText",
        /// `AnswerOption*`: the choices, in display order.
        answer_option: Vec<AnswerOption> => "AnswerOption",
    }
}

element! {
    /// `VerificationMechanism (InText | URL)`: how the user proves a claim (e.g. an MSISDN):
    /// type the key sent to them (`InText` carries the instruction) or open a URL.
    ///
    /// Reconstructed (Baraza cspmessages.def): a choice of `InText` and `URL`, modelled as two
    /// optional fields (set one).
    pub struct VerificationMechanism {
        /// `InText`: the user types a key received out of band (text: the instruction).
        in_text: Option<String> => "InText",
        /// `URL`: the user opens this URL to verify.
        url: Option<String> => "URL",
    }
}

element! {
    /// `SystemMessage (SystemMessageID, RequiresResponse?, SystemMessageText?, AnswerOptions?,
    /// VerificationMechanism?)`: one operator notice, terms-of-use text or verification
    /// challenge.
    ///
    /// Reconstructed (Baraza cspmessages.def): order and content as there. (The reference's
    /// guess `(SystemMessageID, SystemMessageText, AnswerOptions?, RequiresResponse?)` was
    /// not followed.) `TryAgainTimeout` belongs to [`CspResult`], not here.
    pub struct SystemMessage {
        /// `SystemMessageID`: server-chosen id, echoed in the client's `SystemMessageResponse`.
        system_message_id: String => "SystemMessageID",
        /// `RequiresResponse`: `T` = the client must answer with `SystemMessage-User` (terms of
        /// use, verification); `F`/absent = informational.
        requires_response: Option<bool> => "RequiresResponse",
        /// `SystemMessageText`: the text shown to the user (the terms, the notice, the prompt).
        system_message_text: Option<String> => "SystemMessageText",
        /// `AnswerOptions`: the choices offered (absent: information only).
        answer_options: Option<AnswerOptions> => "AnswerOptions",
        /// `VerificationMechanism`: how the user verifies (key typed in, or URL to open).
        verification_mechanism: Option<VerificationMechanism> => "VerificationMechanism",
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
    /// `SystemMessageResponse (SystemMessageID, ChosenOptionID?, VerificationKey?)`: the user's
    /// answer to one system message.
    ///
    /// Reconstructed (Baraza cspmessages.def): order and content as there.
    pub struct SystemMessageResponse {
        /// `SystemMessageID` of the message answered.
        system_message_id: String => "SystemMessageID",
        /// `ChosenOptionID`: the `AnswerOptionID` the user picked.
        chosen_option_id: Option<u32> => "ChosenOptionID",
        /// `VerificationKey`: the key the user typed (InText verification mechanism).
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
    /// messages; answered with `Status`. (1.3 Login-Request can carry the same list.)
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
    /// `Notification-Request (NotificationType, (BlockListInUse | GrantListInUse | GroupID |
    /// ContactListIDList | InviteID | OnlineETEMHandling | (PresenceSubList?, UserIDList?,
    /// ContactListIDList?, DefaultList?) | SessionPriority | UserList | UserIDPair))` (S→C): one
    /// event of a subscribed type; the client answers `Status`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the event code, then one payload chosen by the
    /// event type. The choice is modelled as optional fields in Baraza's order (set the one(s)
    /// the event needs); the presence-list group contributes `PresenceSubList`, `UserIDList` and
    /// `DefaultList` (its `ContactListIDList` is the same field as the standalone one).
    pub struct NotificationRequest {
        /// `NotificationType`: the event code (see [`NotificationTypeList`] for the values).
        notification_type: Option<String> => "NotificationType",
        /// `BlockListInUse`: the new block-list use flag (`BLUC`).
        block_list_in_use: Option<bool> => "BlockListInUse",
        /// `GrantListInUse`: the new grant-list use flag (`GLUC`).
        grant_list_in_use: Option<bool> => "GrantListInUse",
        /// `GroupID`: the group the event concerns (`GC`, `GD`, `GM*`).
        group_id: Option<String> => "GroupID",
        /// `ContactListIDList`: the contact lists the event concerns (`CLCR`, `CLC`, `CLD`,
        /// `ANC`).
        contact_list_id_list: Option<ContactListIdList> => "ContactListIDList",
        /// `InviteID`: the invitation accepted, cancelled or rejected (`IA`, `IC`, `IR`).
        invite_id: Option<String> => "InviteID",
        /// `OnlineETEMHandling`: the new value (`OEU`).
        online_etem_handling: Option<String> => "OnlineETEMHandling",
        /// `PresenceSubList`: the presence attributes an authorisation event concerns.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList",
        /// `UserIDList`: the users an authorisation event concerns.
        user_id_list: Option<UserIdList> => "UserIDList",
        /// `DefaultList`: `T` = the event concerns the default attribute list (`AND`).
        default_list: Option<bool> => "DefaultList",
        /// `SessionPriority`: the new session priority (`SPA`).
        session_priority: Option<u32> => "SessionPriority",
        /// `UserList`: the users the event concerns (e.g. who added us, `ATCL`).
        user_list: Option<UserList> => "UserList",
        /// `UserIDPair`: an identifier and the user it now maps to.
        user_id_pair: Option<UserIdPair> => "UserIDPair",
    }
}

element! {
    /// `UserIDPair (UnrecognizedUserID?, ValidUserID?)`: an identifier the server did not
    /// recognise and the valid user ID it stands for.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; used as a Notification-Request
    /// payload.
    pub struct UserIdPair {
        /// `UnrecognizedUserID`: the identifier as the client used it.
        unrecognized_user_id: Option<String> => "UnrecognizedUserID",
        /// `ValidUserID`: the IMPS user ID it belongs to (absent: no such user).
        valid_user_id: Option<String> => "ValidUserID",
    }
}

// ---------------------------------------------------------------------------------------------
// GetMap (a map image of a user's location, GETMAP)
// ---------------------------------------------------------------------------------------------

element! {
    /// `Map (ContentType?, ContentEncoding?, ContentData?)`: a map image (e.g. of a user's
    /// location).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there (like `Logo`).
    pub struct Map {
        /// `ContentType`: MIME type of the image (e.g. `image/png`).
        content_type: Option<String> => "ContentType",
        /// `ContentEncoding`: `BASE64` or `None`.
        content_encoding: Option<String> => "ContentEncoding",
        /// `ContentData`: the image.
        content_data: Option<ContentData> => "ContentData",
    }
}

element! {
    /// `GetMap-Request (UserID | PresenceSubList)` (C→S): ask for a map showing a user's
    /// location, or the location given as presence attributes.
    ///
    /// Reconstructed (Baraza cspmessages.def): the choice is modelled as two optional fields
    /// (set one). Not an identifier-mapping request.
    pub struct GetMapRequest {
        /// `UserID`: the user whose location is wanted.
        user_id: Option<String> => "UserID",
        /// `PresenceSubList`: a location (`GeoLocation`, `Address`, ...) to draw.
        presence_sub_list: Option<PresenceSubList> => "PresenceSubList",
    }
}

element! {
    /// `GetMap-Response (Map | URL)` (S→C): the map image itself, or where to fetch it.
    ///
    /// Reconstructed (Baraza cspmessages.def): the choice is modelled as two optional fields
    /// (set one). Errors travel as `Status`.
    pub struct GetMapResponse {
        /// `Map`: the image.
        map: Option<Map> => "Map",
        /// `URL`: where the image can be fetched.
        url: Option<String> => "URL",
    }
}

// ---------------------------------------------------------------------------------------------
// Segmentation (implementation-guidelines.md §10)
// ---------------------------------------------------------------------------------------------

element! {
    /// `SegmentID (TransactionID, SegmentReference)`: names one segment of a segmented
    /// primitive: the transaction whose content was split, and the segment's number.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; both children optional here
    /// (lenient).
    pub struct SegmentId {
        /// `TransactionID` of the transaction whose content was segmented.
        transaction_id: Option<String> => "TransactionID",
        /// `SegmentReference`: the segment's number (1-based).
        segment_reference: Option<u32> => "SegmentReference",
    }
}

element! {
    /// `SegmentInfo (SegmentCount?, SegmentID?)`: in a `TransactionDescriptor`, says that the
    /// transaction's content is one segment of a larger primitive.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct SegmentInfo {
        /// `SegmentCount`: total number of segments.
        segment_count: Option<u32> => "SegmentCount",
        /// `SegmentID`: which segment this is.
        segment_id: Option<SegmentId> => "SegmentID",
    }
}

element! {
    /// `GetSegment-Request (SegmentID)` (C→S): fetch one segment.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct GetSegmentRequest {
        /// `SegmentID`: the segment wanted.
        segment_id: Option<SegmentId> => "SegmentID",
    }
}

element! {
    /// `GetSegment-Response (SegmentContent?)` (S→C): one segment.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; `SegmentContent` holds the
    /// segment's bytes as text (XML, base64) or OPAQUE (WBXML). Errors travel as `Status`.
    pub struct GetSegmentResponse {
        /// `SegmentContent`: the segment's data.
        segment_content: Option<ContentData> => "SegmentContent",
    }
}

element! {
    /// `DropSegment-Request (SegmentID)` (C→S): the client does not want the remaining
    /// segments; the server discards them and answers `Status`.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct DropSegmentRequest {
        /// `SegmentID`: the segmented content to drop.
        segment_id: Option<SegmentId> => "SegmentID",
    }
}

// ---------------------------------------------------------------------------------------------
// Extended conversations (implementation-guidelines.md §16)
// ---------------------------------------------------------------------------------------------

element! {
    /// `ExtendConversationUser (UserID, ClientID?)`: the peer of the 1:1 conversation being
    /// extended.
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct ExtendConversationUser {
        /// `UserID` of the peer.
        user_id: String => "UserID",
        /// `ClientID`: the peer's client.
        client_id: Option<ClientId> => "ClientID",
    }
}

element! {
    /// `ExtendConversation-Request (ExtendConversationID?, UserIDList?, ExtendConversationUser?,
    /// SubscribeNotification?, WelcomeNote?, ScreenName?)` (C→S): turn a 1:1 chat into a
    /// multi-party conversation (an ad-hoc group), or add users to one.
    ///
    /// Reconstructed (Baraza cspmessages.def): order and content as there.
    pub struct ExtendConversationRequest {
        /// `ExtendConversationID`: the client's id of the conversation.
        extend_conversation_id: Option<String> => "ExtendConversationID",
        /// `UserIDList`: the users to bring in.
        user_id_list: Option<UserIdList> => "UserIDList",
        /// `ExtendConversationUser`: the current 1:1 peer.
        extend_conversation_user: Option<ExtendConversationUser> => "ExtendConversationUser",
        /// `SubscribeNotification`: `T` = send GroupChangeNotice for the new group.
        subscribe_notification: Option<bool> => "SubscribeNotification",
        /// `WelcomeNote`: the note shown to users joining.
        welcome_note: Option<WelcomeNote> => "WelcomeNote",
        /// `ScreenName`: the requester's screen name in the new group.
        screen_name: Option<ScreenName> => "ScreenName",
    }
}

element! {
    /// `ExtendConversation-Response (ExtendConversationID?, GroupID?, ResponseNote?, Result?)`
    /// (S→C).
    ///
    /// Reconstructed (Baraza cspmessages.def): order and content as there (`Result` last).
    pub struct ExtendConversationResponse {
        /// `ExtendConversationID`: the conversation's id, echoed.
        extend_conversation_id: Option<String> => "ExtendConversationID",
        /// `GroupID`: the ad-hoc group now carrying the conversation.
        group_id: Option<String> => "GroupID",
        /// `ResponseNote`: free text.
        response_note: Option<String> => "ResponseNote",
        /// `Result`: outcome (201 + `DetailedResult` for users that could not be added).
        result: Option<CspResult> => "Result",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{TransactionMode, WvCspMessage};
    use crate::model::test_util::*;
    use crate::primitive::Primitive;
    use crate::status::StatusCode;
    use crate::version::CspVersion;

    fn wrap_with(descriptor_extra: &str, mode: &str, body: &str) -> String {
        format!(
            r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3">
 <Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-8f2c</SessionID></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor><TransactionMode>{mode}</TransactionMode><TransactionID>17</TransactionID>{descriptor_extra}</TransactionDescriptor>
   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
    {body}
   </TransactionContent>
  </Transaction>
  <Poll>F</Poll>
 </Session>
</WV-CSP-Message>"#
        )
    }

    fn wrap(mode: &str, body: &str) -> String {
        wrap_with("", mode, body)
    }

    #[test]
    fn system_message_terms_of_use_round_trip() {
        let doc = wrap(
            "Request",
            r#"<SystemMessage-Request>
     <SystemMessageList>
      <SystemMessage>
       <SystemMessageText>Accept the terms of use?</SystemMessageText>
       <RequiresResponse>T</RequiresResponse>
       <SystemMessageID>tou-2025-1</SystemMessageID>
       <AnswerOptions>
        <AnswerOption><AnswerOptionText>Accept</AnswerOptionText><AnswerOptionID>1</AnswerOptionID></AnswerOption>
        <AnswerOption><AnswerOptionID>2</AnswerOptionID><AnswerOptionText>Decline</AnswerOptionText></AnswerOption>
        <AnswerOptionsText>Your choice</AnswerOptionsText>
       </AnswerOptions>
      </SystemMessage>
      <SystemMessage>
       <SystemMessageID>verify-1</SystemMessageID>
       <VerificationMechanism><InText>Enter the key we sent by SMS</InText></VerificationMechanism>
       <RequiresResponse>T</RequiresResponse>
      </SystemMessage>
     </SystemMessageList>
    </SystemMessage-Request>"#,
        );
        let msg = decode(&doc);
        let Primitive::SystemMessageRequest(p) = primitive(&msg) else {
            panic!("wrong primitive: {:?}", primitive(&msg))
        };
        let list = &p.system_message_list.system_message;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].system_message_id, "tou-2025-1");
        assert_eq!(list[0].requires_response, Some(true));
        let opts = list[0].answer_options.as_ref().expect("options");
        assert_eq!(opts.answer_options_text.as_deref(), Some("Your choice"));
        assert_eq!(opts.answer_option.len(), 2);
        assert_eq!(opts.answer_option[0].answer_option_id, 1);
        assert_eq!(
            opts.answer_option[1].answer_option_text.as_deref(),
            Some("Decline")
        );
        let vm = list[1].verification_mechanism.as_ref().expect("mechanism");
        assert_eq!(vm.in_text.as_deref(), Some("Enter the key we sent by SMS"));
        assert_eq!(vm.url, None);
        assert_eq!(list[1].system_message_text, None);

        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<SystemMessage-Request>",
                "<SystemMessageList>",
                "<SystemMessage>",
                "<SystemMessageID>tou-2025-1</SystemMessageID>",
                "<RequiresResponse>T</RequiresResponse>",
                "<SystemMessageText>",
                "<AnswerOptions>",
                "<AnswerOptionsText>Your choice</AnswerOptionsText>",
                "<AnswerOption>",
                "<AnswerOptionID>1</AnswerOptionID>",
                "<AnswerOptionText>Accept</AnswerOptionText>",
                "<AnswerOptionID>2</AnswerOptionID>",
                "</AnswerOptions>",
                "<SystemMessageID>verify-1</SystemMessageID>",
                "<RequiresResponse>T</RequiresResponse>",
                "<VerificationMechanism><InText>",
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
       <VerificationKey>493817</VerificationKey><SystemMessageID>verify-1</SystemMessageID>
      </SystemMessageResponse>
     </SystemMessageResponseList>
    </SystemMessage-User>"#,
        );
        let msg = decode(&doc);
        let Primitive::SystemMessageUser(p) = primitive(&msg) else {
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
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<SystemMessageID>tou-2025-1</SystemMessageID>",
                "<ChosenOptionID>1",
                "<SystemMessageID>verify-1</SystemMessageID>",
                "<VerificationKey>493817</VerificationKey>",
            ],
        );
    }

    #[test]
    fn result_carries_system_messages_and_try_again_timeout_in_1_3_only() {
        let doc = wrap(
            "Response",
            r#"<Status><Result><Code>503</Code><TryAgainTimeout>120</TryAgainTimeout>
     <SystemMessageList><SystemMessage><SystemMessageID>m1</SystemMessageID>
      <SystemMessageText>Maintenance</SystemMessageText></SystemMessage></SystemMessageList>
    </Result></Status>"#,
        );
        let msg = decode(&doc);
        let Primitive::Status(s) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        assert_eq!(s.result.try_again_timeout, Some(120));
        let list = s.result.system_message_list.as_ref().expect("list");
        assert_eq!(list.system_message[0].system_message_id, "m1");
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Code>503",
                "<SystemMessageList>",
                "<TryAgainTimeout>120</TryAgainTimeout>",
                "</Result>",
            ],
        );
        let mut v12 = msg.clone();
        v12.version = CspVersion::V1_2;
        let xml = crate::encode_xml(&v12).expect("encodes");
        assert!(
            !xml.contains("TryAgainTimeout") && !xml.contains("SystemMessageList"),
            "{xml}"
        );
    }

    #[test]
    fn public_profile_get_and_update() {
        let doc = wrap(
            "Response",
            r#"<GetPublicProfile-Response>
     <PublicProfile>
      <Property><Name>PP_CITY</Name><Value>Helsinki</Value></Property>
      <UserID>wv:alice@example.com</UserID>
      <Property><Name>PP_AGE</Name><Value>31</Value></Property>
     </PublicProfile>
     <Result><Code>200</Code></Result>
     <PublicProfile><UserID>wv:bob@example.com</UserID></PublicProfile>
    </GetPublicProfile-Response>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetPublicProfileResponse(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        assert_eq!(p.result.as_ref().map(|r| r.code), Some(StatusCode(200)));
        assert_eq!(p.public_profile.len(), 2);
        let profile = &p.public_profile[0];
        assert_eq!(profile.user_id.as_deref(), Some("wv:alice@example.com"));
        assert_eq!(profile.field("pp_city"), Some("Helsinki"));
        assert_eq!(profile.field("PP_AGE"), Some("31"));
        assert_eq!(profile.field("PP_GENDER"), None);
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<Result>",
                "<PublicProfile><UserID>wv:alice",
                "<Name>PP_CITY",
                "<Name>PP_AGE",
                "<PublicProfile><UserID>wv:bob",
            ],
        );

        let doc = wrap(
            "Request",
            "<UpdatePublicProfile-Request><PublicProfile><Property><Name>PP_CITY</Name><Value>Oulu</Value></Property></PublicProfile>
             <ClearPublicProfile>T</ClearPublicProfile></UpdatePublicProfile-Request>",
        );
        let msg = decode(&doc);
        let Primitive::UpdatePublicProfileRequest(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        assert_eq!(p.clear_public_profile, Some(true));
        assert_eq!(
            p.public_profile.as_ref().and_then(|p| p.field("PP_CITY")),
            Some("Oulu")
        );
        assert_order(
            &crate::encode_xml(&msg).expect("encodes"),
            &["<ClearPublicProfile>T", "<PublicProfile>"],
        );

        let doc = wrap("Request", "<GetPublicProfile-Request><UserID>wv:bob@example.com</UserID><UserID>wv:carol@example.com</UserID></GetPublicProfile-Request>");
        let Primitive::GetPublicProfileRequest(p) = primitive(&decode(&doc)).clone() else {
            panic!("wrong primitive")
        };
        assert_eq!(p.user_id, ["wv:bob@example.com", "wv:carol@example.com"]);
    }

    #[test]
    fn notifications_and_getmap() {
        let doc = wrap(
            "Request",
            r#"<SubscribeNotification-Request><NotificationTypeList>
     <NotificationType>CLC</NotificationType><NotificationType>BLC</NotificationType><NotificationType>PPU</NotificationType>
    </NotificationTypeList></SubscribeNotification-Request>"#,
        );
        let Primitive::SubscribeNotificationRequest(p) = primitive(&decode(&doc)).clone() else {
            panic!("wrong primitive")
        };
        assert_eq!(
            p.notification_type_list.expect("list").notification_type,
            ["CLC", "BLC", "PPU"]
        );

        // Server-built notification: encode, then decode back.
        let n = NotificationRequest {
            notification_type: Some("CLC".into()),
            contact_list_id_list: Some(ContactListIdList {
                contact_list: vec!["wv:carol/friends@example.com".into()],
            }),
            user_list: Some(UserList {
                user: vec![crate::model::common::User::new("wv:carol@example.com")],
                screen_name: Vec::new(),
            }),
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
                "<NotificationType>CLC",
                "<ContactListIDList><ContactList>wv:carol/friends",
                "<UserList><User><UserID>wv:carol",
            ],
        );
        assert_eq!(*primitive(&decode(&xml)), Primitive::from(n));

        let doc = wrap(
            "Request",
            "<Notification-Request><UserIDPair><ValidUserID>wv:dave@example.com</ValidUserID>
               <UnrecognizedUserID>wv:+358401234567</UnrecognizedUserID></UserIDPair>
               <NotificationType>C</NotificationType></Notification-Request>",
        );
        let msg = decode(&doc);
        let Primitive::NotificationRequest(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        let pair = p.user_id_pair.as_ref().expect("pair");
        assert_eq!(
            pair.unrecognized_user_id.as_deref(),
            Some("wv:+358401234567")
        );
        assert_eq!(pair.valid_user_id.as_deref(), Some("wv:dave@example.com"));
        assert_order(
            &crate::encode_xml(&msg).expect("encodes"),
            &[
                "<NotificationType>C",
                "<UnrecognizedUserID>",
                "<ValidUserID>",
            ],
        );

        let doc = wrap(
            "Response",
            r#"<GetMap-Response><Map><ContentData>iVBORw0K</ContentData>
     <ContentType>image/png</ContentType><ContentEncoding>BASE64</ContentEncoding></Map></GetMap-Response>"#,
        );
        let msg = decode(&doc);
        let Primitive::GetMapResponse(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        let map = p.map.as_ref().expect("map");
        assert_eq!(map.content_type.as_deref(), Some("image/png"));
        assert_eq!(map.content_data, Some(ContentData::Text("iVBORw0K".into())));
        assert_order(
            &crate::encode_xml(&msg).expect("encodes"),
            &[
                "<Map><ContentType>image/png",
                "<ContentEncoding>BASE64",
                "<ContentData>iVBORw0K",
            ],
        );

        let doc = wrap(
            "Request",
            "<GetMap-Request><UserID>wv:ivan@example.ru</UserID></GetMap-Request>",
        );
        let Primitive::GetMapRequest(p) = primitive(&decode(&doc)).clone() else {
            panic!("wrong primitive")
        };
        assert_eq!(p.user_id.as_deref(), Some("wv:ivan@example.ru"));
    }

    #[test]
    fn segments_in_descriptor_and_primitives() {
        let doc = wrap_with(
            "<SegmentInfo><SegmentID><SegmentReference>1</SegmentReference><TransactionID>17</TransactionID></SegmentID>
              <SegmentCount>3</SegmentCount></SegmentInfo>",
            "Response",
            "<GetSegment-Response><SegmentContent>PE5ld01lc3NhZ2U+</SegmentContent></GetSegment-Response>",
        );
        let msg = decode(&doc);
        let info = msg.session.transactions[0]
            .descriptor
            .segment_info
            .as_ref()
            .expect("SegmentInfo");
        assert_eq!(info.segment_count, Some(3));
        let id = info.segment_id.as_ref().expect("SegmentID");
        assert_eq!(
            (id.transaction_id.as_deref(), id.segment_reference),
            (Some("17"), Some(1))
        );
        let Primitive::GetSegmentResponse(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        assert_eq!(
            p.segment_content,
            Some(ContentData::Text("PE5ld01lc3NhZ2U+".into()))
        );
        let xml = crate::encode_xml(&msg).expect("encodes");
        assert_order(
            &xml,
            &[
                "<TransactionID>17</TransactionID>",
                "<SegmentInfo><SegmentCount>3</SegmentCount>",
                "<SegmentID><TransactionID>17</TransactionID><SegmentReference>1",
                "</TransactionDescriptor>",
                "<SegmentContent>",
            ],
        );
        assert_eq!(decode(&xml), msg);
        // Not written below 1.3.
        let mut v12 = msg.clone();
        v12.version = CspVersion::V1_2;
        v12.session.transactions[0].primitive = Primitive::PollingRequest(Default::default());
        assert!(!crate::encode_xml(&v12)
            .expect("encodes")
            .contains("SegmentInfo"));

        for body in [
            "<GetSegment-Request><SegmentID><TransactionID>17</TransactionID><SegmentReference>2</SegmentReference></SegmentID></GetSegment-Request>",
            "<DropSegment-Request><SegmentID><TransactionID>17</TransactionID><SegmentReference>2</SegmentReference></SegmentID></DropSegment-Request>",
        ] {
            let msg = decode(&wrap("Request", body));
            let id = match primitive(&msg) {
                Primitive::GetSegmentRequest(p) => p.segment_id.clone(),
                Primitive::DropSegmentRequest(p) => p.segment_id.clone(),
                other => panic!("wrong primitive {other:?}"),
            };
            assert_eq!(
                id,
                Some(SegmentId {
                    transaction_id: Some("17".into()),
                    segment_reference: Some(2)
                })
            );
            assert!(crate::encode_xml(&msg).expect("encodes").contains(body));
        }
    }

    #[test]
    fn extend_conversation() {
        let doc = wrap(
            "Request",
            r#"<ExtendConversation-Request>
     <ExtendConversationUser><UserID>wv:bob@example.com</UserID></ExtendConversationUser>
     <UserIDList><UserID>wv:carol@example.com</UserID></UserIDList>
     <ExtendConversationID>c-1</ExtendConversationID>
     <SubscribeNotification>T</SubscribeNotification>
    </ExtendConversation-Request>"#,
        );
        let msg = decode(&doc);
        let Primitive::ExtendConversationRequest(p) = primitive(&msg) else {
            panic!("wrong primitive")
        };
        assert_eq!(
            p.extend_conversation_user
                .as_ref()
                .map(|u| u.user_id.as_str()),
            Some("wv:bob@example.com")
        );
        assert_eq!(
            p.user_id_list.as_ref().map(|l| l.user_id.clone()),
            Some(vec!["wv:carol@example.com".to_owned()])
        );
        assert_eq!(p.subscribe_notification, Some(true));
        assert_order(
            &crate::encode_xml(&msg).expect("encodes"),
            &[
                "<ExtendConversationID>c-1",
                "<UserIDList>",
                "<ExtendConversationUser>",
                "<SubscribeNotification>T",
            ],
        );

        let resp = ExtendConversationResponse {
            extend_conversation_id: Some("c-1".into()),
            group_id: Some("wv:alice/c-1@example.com".into()),
            response_note: None,
            result: Some(CspResult::new(StatusCode(200))),
        };
        let m = WvCspMessage::new(
            CspVersion::V1_3,
            Some("s".into()),
            TransactionMode::Response,
            Some("17".into()),
            resp.into(),
        );
        assert_order(
            &crate::encode_xml(&m).expect("encodes"),
            &["<ExtendConversationID>c-1", "<GroupID>", "<Result>"],
        );
    }

    #[test]
    fn primitives_absent_below_1_3() {
        let p: Primitive = SystemMessageUser::default().into();
        assert!(p.exists_in(CspVersion::V1_3));
        assert!(!p.exists_in(CspVersion::V1_2));
    }
}
