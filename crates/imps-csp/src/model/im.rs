//! Instant messaging and block/grant lists (§3.4).
//!
//! Content models are the CSP 1.2 ones (Nokia DTD) with the 1.1 and 1.3 deltas as version
//! ranges. 1.3 placements the reference could not confirm are marked "Reconstructed:" in the
//! item's documentation.

use crate::codec::{ContentData, DateTime, Element, Sample, Sink, Source};
use crate::element;
use crate::error::{DecodeError, EncodeError};
use crate::model::common::{AnyElement, CspResult, Recipient, ScreenName, Sender};

element! {
    /// `MessageInfo (MessageID?, MessageURI?, ContentType?, ContentEncoding?, ContentSize,
    /// Recipient, Sender, DateTime?, Validity?)` [S 1.2]; every child is optional here because
    /// clients omit the "mandatory" ones (the server fills MessageID, Sender and DateTime itself).
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 children `ContentName` (after
    /// `ContentSize`), `Font` (after `DateTime`) and `ExtBlockETEM*` (last, any number) are placed
    /// as there.
    pub struct MessageInfo {
        /// `MessageID`: server-assigned identifier of the message.
        message_id: Option<String> => "MessageID",
        /// `MessageURI`: where the content can be fetched when it is not carried inline.
        message_uri: Option<String> => "MessageURI",
        /// `ContentType`: MIME type of the content (default `text/plain`; always send it).
        content_type: Option<String> => "ContentType",
        /// `ContentEncoding`: `None` (default) or `BASE64`.
        content_encoding: Option<String> => "ContentEncoding",
        /// `ContentSize`: content length as the sender counted it (Android: UTF-16 units; never
        /// reject on a mismatch).
        content_size: Option<u32> => "ContentSize",
        /// `ContentName` (1.3): file name of the content (file sharing).
        content_name: Option<String> => "ContentName" [only V1_3],
        /// `Recipient`: users, groups / screen names and contact lists the message goes to.
        recipient: Option<Recipient> => "Recipient",
        /// `Sender`: who sent it (the server overwrites whatever the client claims).
        sender: Option<Sender> => "Sender",
        /// `DateTime`: when the server accepted the message.
        date_time: Option<DateTime> => "DateTime",
        /// `Font` (1.3): text styling of a plain-text message.
        font: Option<Font> => "Font" [only V1_3],
        /// `Validity`: seconds the message may be stored for delivery.
        validity: Option<u32> => "Validity",
        /// `ExtBlockETEM*` (1.3): ETEM extension data, relayed untouched.
        ext_block_etem: Vec<ExtBlockEtem> => "ExtBlockETEM" [only V1_3],
    }
}

impl MessageInfo {
    /// The content type, or `text/plain` when absent (the CSP default).
    pub fn content_type_or_default(&self) -> &str {
        self.content_type.as_deref().unwrap_or("text/plain")
    }

    /// Whether the content is declared as base64 (`ContentEncoding` = `BASE64`, any case).
    pub fn is_base64(&self) -> bool {
        self.content_encoding
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("BASE64"))
    }
}

element! {
    /// `Font (Size?, Style*, Color?)` (1.3): message text styling (page 9 0x10–0x13).
    ///
    /// Reconstructed (Baraza cspmessages.def): `MessageInfo/Font (Size?, Style*, Color?)` as
    /// there (the MediaTek client's per-message font record agrees).
    pub struct Font {
        /// `Size`: `Tiny`, `Small`, `Medium`, `Big` or `Huge`.
        size: Option<String> => "Size",
        /// `Style`: any of `Bold`, `Italic`, `Underline`.
        style: Vec<String> => "Style",
        /// `Color`: one of the 16 HTML colour names (`Black`, `Silver`, `Gray`, `White`, `Maroon`,
        /// `Red`, `Purple`, `Fuchsia`, `Green`, `Lime`, `Olive`, `Yellow`, `Navy`, `Blue`, `Teal`,
        /// `Aqua`).
        color: Option<String> => "Color",
    }
}

/// `ExtBlockETEM` (1.3): extension data whose structure is not known; kept as its text and
/// child elements so a server can relay it untouched.
///
/// Reconstructed (Baraza cspmessages.def): text content there (with an `xmlns` attribute);
/// kept here as free content (text and/or elements), like `ExtBlock`, so nothing is lost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtBlockEtem {
    /// Character data directly inside the element.
    pub text: String,
    /// Child elements.
    pub children: Vec<AnyElement>,
}

impl Element for ExtBlockEtem {
    fn decode<'a, S: Source<'a>>(src: &mut S) -> Result<Self, DecodeError> {
        let el = AnyElement::decode_named("ExtBlockETEM", src)?;
        Ok(ExtBlockEtem {
            text: el.text,
            children: el.children,
        })
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

impl Sample for ExtBlockEtem {
    fn sample() -> Self {
        ExtBlockEtem {
            text: "etem".into(),
            children: Vec::new(),
        }
    }
}

crate::required_slot!(ExtBlockEtem);

element! {
    /// `SendMessage-Request (DeliveryReport, MessageInfo, ContentData?)` (C→S).
    pub struct SendMessageRequest {
        /// `DeliveryReport`: whether the sender wants a DeliveryReport-Request back (optional
        /// in 1.1; treat absent as false).
        delivery_report: Option<bool> => "DeliveryReport",
        /// `MessageInfo`: recipients, content type and size.
        message_info: MessageInfo => "MessageInfo",
        /// `ContentData`: the message content.
        content_data: Option<ContentData> => "ContentData",
    }
}

element! {
    /// `SendMessage-Response (Result, MessageID?)`.
    pub struct SendMessageResponse {
        /// `Result` of the send (201 + DetailedResult for per-recipient failures).
        result: CspResult => "Result",
        /// `MessageID` the server assigned.
        message_id: Option<String> => "MessageID",
    }
}

element! {
    /// `NewMessage (MessageInfo, ContentData?)` (S→C): push delivery. The client answers with
    /// `MessageDelivered` (Android, in Response mode) or `Status`.
    pub struct NewMessage {
        /// `MessageInfo` of the delivered message.
        message_info: MessageInfo => "MessageInfo",
        /// `ContentData`: the message content.
        content_data: Option<ContentData> => "ContentData",
    }
}

element! {
    /// `MessageNotification (MessageInfo)` (S→C): notify/get delivery, without the content.
    pub struct MessageNotification {
        /// `MessageInfo` of the waiting message.
        message_info: MessageInfo => "MessageInfo",
    }
}

element! {
    /// `GetMessage-Request (MessageID)` (C→S).
    pub struct GetMessageRequest {
        /// `MessageID` of the stored message to fetch.
        message_id: String => "MessageID",
    }
}

element! {
    /// `GetMessage-Response (MessageInfo, ContentData?)`.
    pub struct GetMessageResponse {
        /// `MessageInfo` of the fetched message.
        message_info: MessageInfo => "MessageInfo",
        /// `ContentData`: the message content.
        content_data: Option<ContentData> => "ContentData",
    }
}

element! {
    /// `MessageDelivered (MessageID)`: the recipient confirms delivery.
    pub struct MessageDelivered {
        /// `MessageID` of the delivered message.
        message_id: String => "MessageID",
    }
}

element! {
    /// `GetMessageList-Request (GroupID?, MessageCount?)` (C→S).
    pub struct GetMessageListRequest {
        /// `GroupID`: list the group's stored messages (history) instead of the user's.
        group_id: Option<String> => "GroupID",
        /// `MessageCount`: at most this many entries.
        message_count: Option<u32> => "MessageCount",
    }
}

element! {
    /// `GetMessageList-Response (MessageInfo*)` (1.1/1.2); 1.3 `(MessageInfoList?,
    /// MessageTotalCount?)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 form (`MessageInfoList` wrapping the
    /// entries, then `MessageTotalCount`) as there.
    pub struct GetMessageListResponse {
        /// `MessageInfo*` (1.1/1.2): the stored undelivered messages.
        message_info: Vec<MessageInfo> => "MessageInfo" [until V1_2],
        /// `MessageInfoList` (1.3): the stored undelivered messages.
        message_info_list: Option<MessageInfoList> => "MessageInfoList" [only V1_3],
        /// `MessageTotalCount` (1.3): how many messages are stored in total.
        message_total_count: Option<u32> => "MessageTotalCount" [only V1_3],
    }
}

impl GetMessageListResponse {
    /// The response in `version`'s shape: the entries directly (1.1/1.2) or inside
    /// `MessageInfoList` with `MessageTotalCount` (1.3).
    pub fn for_version(version: crate::CspVersion, entries: Vec<MessageInfo>, total: u32) -> Self {
        if version >= crate::CspVersion::V1_3 {
            GetMessageListResponse {
                message_info: Vec::new(),
                message_info_list: Some(MessageInfoList {
                    message_info: entries,
                }),
                message_total_count: Some(total),
            }
        } else {
            GetMessageListResponse {
                message_info: entries,
                ..Default::default()
            }
        }
    }

    /// All entries, wherever the version put them.
    pub fn entries(&self) -> impl Iterator<Item = &MessageInfo> {
        self.message_info.iter().chain(
            self.message_info_list
                .iter()
                .flat_map(|l| l.message_info.iter()),
        )
    }
}

element! {
    /// `MessageInfoList (MessageInfo*)` (1.3).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there.
    pub struct MessageInfoList {
        /// `MessageInfo*`: one per stored message.
        message_info: Vec<MessageInfo> => "MessageInfo",
    }
}

element! {
    /// `RejectMessage-Request (MessageID+)` (C→S): discard stored messages.
    pub struct RejectMessageRequest {
        /// `MessageID+`: the messages to discard.
        message_id: Vec<String> => "MessageID",
    }
}

element! {
    /// `ForwardMessage-Request (MessageID, Recipient)` (1.1/1.2); 1.3 `(MessageID, Sender?,
    /// Recipient)` (C→S): forward a stored message.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `Sender` sits between `MessageID` and
    /// `Recipient`; written in 1.3 only (the reference gives `MessageID, Recipient`).
    pub struct ForwardMessageRequest {
        /// `MessageID` of the stored message.
        message_id: String => "MessageID",
        /// 1.3 `Sender`: who forwards it (the server overwrites whatever the client claims).
        sender: Option<Sender> => "Sender" [only V1_3],
        /// `Recipient`: where to forward it.
        recipient: Recipient => "Recipient",
    }
}

element! {
    /// 1.3 `ForwardMessage-Response (MessageID?)` (page 6 0x21): the answer to a successful
    /// forward (errors are answered with `Status`).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there; no `Result`.
    pub struct ForwardMessageResponse {
        /// `MessageID` of the forwarded copy.
        message_id: Option<String> => "MessageID",
    }
}

element! {
    /// `SetDeliveryMethod-Request (DeliveryMethod, AcceptedContentLength?, GroupID?)` (1.1/1.2);
    /// 1.3 `(DeliveryMethod, GroupID?, GroupContentLimit?)` (C→S).
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `GroupContentLimit` follows `GroupID`;
    /// `AcceptedContentLength` (removed from the 1.3 token table) is written in 1.1/1.2 only.
    pub struct SetDeliveryMethodRequest {
        /// `DeliveryMethod`: `P` push (NewMessage) or `N` notify/get (MessageNotification).
        delivery_method: String => "DeliveryMethod",
        /// `AcceptedContentLength` (1.1/1.2): largest content to push, in bytes.
        accepted_content_length: Option<u32> => "AcceptedContentLength" [until V1_2],
        /// `GroupID`: the method applies to this group's messages only.
        group_id: Option<String> => "GroupID",
        /// `GroupContentLimit` (1.3): largest group message content to deliver, in bytes.
        group_content_limit: Option<u32> => "GroupContentLimit" [only V1_3],
    }
}

element! {
    /// `DeliveryReport-Request (Result, DeliveryTime?, MessageInfo)` (S→C): tells the original
    /// sender what became of the message.
    pub struct DeliveryReportRequest {
        /// `Result`: 200 delivered, or why not (e.g. 538 rejected).
        result: CspResult => "Result",
        /// `DeliveryTime`: when it was delivered.
        delivery_time: Option<DateTime> => "DeliveryTime",
        /// `MessageInfo` of the message reported on.
        message_info: MessageInfo => "MessageInfo",
    }
}

element! {
    /// `GetBlockedList-Request` (empty, C→S).
    pub struct GetBlockedListRequest {}
}

element! {
    /// `GetBlockedList-Response (BlockList?, GrantList?)` (1.1/1.2); 1.3 `(BlockList?,
    /// BlockListInUse?, GrantList?, GrantListInUse?)` (`InUse` inside the lists is gone).
    ///
    /// Reconstructed (Baraza cspmessages.def): each 1.3 flag follows its list.
    pub struct GetBlockedListResponse {
        /// `BlockList`: entities the user blocks.
        block_list: Option<BlockList> => "BlockList",
        /// `BlockListInUse` (1.3): the block list is active.
        block_list_in_use: Option<bool> => "BlockListInUse" [only V1_3],
        /// `GrantList`: entities the user grants access to.
        grant_list: Option<GrantList> => "GrantList",
        /// `GrantListInUse` (1.3): the grant list is active.
        grant_list_in_use: Option<bool> => "GrantListInUse" [only V1_3],
    }
}

element! {
    /// `BlockEntity-Request (BlockList?, GrantList?)` (C→S; 1.1 wire name `BlockUser-Request`,
    /// mapped by the codec); 1.3 `(BlockList?, BlockListInUse?, GrantList?, GrantListInUse?)`
    /// (the 1.3 flags are direct children, as Android sends them).
    ///
    /// Reconstructed (Baraza cspmessages.def): each 1.3 flag follows its list (Android's
    /// flags-first order is accepted when decoding).
    pub struct BlockEntityRequest {
        /// `BlockList`: changes to the block list.
        block_list: Option<BlockList> => "BlockList",
        /// `BlockListInUse` (1.3): switch the block list on or off.
        block_list_in_use: Option<bool> => "BlockListInUse" [only V1_3],
        /// `GrantList`: changes to the grant list.
        grant_list: Option<GrantList> => "GrantList",
        /// `GrantListInUse` (1.3): switch the grant list on or off.
        grant_list_in_use: Option<bool> => "GrantListInUse" [only V1_3],
    }
}

impl BlockEntityRequest {
    /// Whether the block list is to be in use: the 1.3 flag, else the 1.1/1.2 `InUse`.
    pub fn block_in_use(&self) -> Option<bool> {
        self.block_list_in_use
            .or_else(|| self.block_list.as_ref().and_then(|l| l.in_use))
    }

    /// Whether the grant list is to be in use: the 1.3 flag, else the 1.1/1.2 `InUse`.
    pub fn grant_in_use(&self) -> Option<bool> {
        self.grant_list_in_use
            .or_else(|| self.grant_list.as_ref().and_then(|l| l.in_use))
    }
}

element! {
    /// `BlockList (InUse?, (EntityList | (AddList?, RemoveList?))?)`: the whole list
    /// (`EntityList`, in responses) or changes to it (`AddList` / `RemoveList`, in requests).
    pub struct BlockList {
        /// `InUse` (1.1/1.2): the list is active (1.3 uses `BlockListInUse` instead).
        in_use: Option<bool> => "InUse" [until V1_2],
        /// `EntityList`: the complete list.
        entity_list: Option<EntityList> => "EntityList",
        /// `AddList`: entities to add.
        add_list: Option<AddList> => "AddList",
        /// `RemoveList`: entities to remove.
        remove_list: Option<RemoveList> => "RemoveList",
    }
}

element! {
    /// `GrantList (InUse?, (EntityList | (AddList?, RemoveList?))?)`: same shape as
    /// [`BlockList`], for the entities allowed to reach the user.
    pub struct GrantList {
        /// `InUse` (1.1/1.2): the list is active (1.3 uses `GrantListInUse` instead).
        in_use: Option<bool> => "InUse" [until V1_2],
        /// `EntityList`: the complete list.
        entity_list: Option<EntityList> => "EntityList",
        /// `AddList`: entities to add.
        add_list: Option<AddList> => "AddList",
        /// `RemoveList`: entities to remove.
        remove_list: Option<RemoveList> => "RemoveList",
    }
}

element! {
    /// `EntityList (UserID*, ScreenName*, GroupID*)`.
    ///
    /// Reconstructed (Baraza cspmessages.def): 1.3 also has `ContactList*` and
    /// `ApplicationID*` after `GroupID*`; they are written in 1.3 only.
    pub struct EntityList {
        /// `UserID*`: users.
        user_id: Vec<String> => "UserID",
        /// `ScreenName*`: users by screen name inside a group.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// `GroupID*`: groups.
        group_id: Vec<String> => "GroupID",
        /// `ContactList*` (1.3): every member of these contact lists.
        contact_list: Vec<String> => "ContactList" [only V1_3],
        /// `ApplicationID*` (1.3): applications.
        application_id: Vec<String> => "ApplicationID" [only V1_3],
    }
}

element! {
    /// `AddList (UserID*, ScreenName*, GroupID*)`: entities to add (block/grant lists, group
    /// reject lists).
    ///
    /// Reconstructed (Baraza cspmessages.def): 1.3 also has `ContactList*` and
    /// `ApplicationID*` after `GroupID*`; they are written in 1.3 only.
    pub struct AddList {
        /// `UserID*`: users.
        user_id: Vec<String> => "UserID",
        /// `ScreenName*`: users by screen name inside a group.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// `GroupID*`: groups.
        group_id: Vec<String> => "GroupID",
        /// `ContactList*` (1.3): every member of these contact lists.
        contact_list: Vec<String> => "ContactList" [only V1_3],
        /// `ApplicationID*` (1.3): applications.
        application_id: Vec<String> => "ApplicationID" [only V1_3],
    }
}

element! {
    /// `RemoveList (UserID*, ScreenName*, GroupID*)`: entities to remove (block/grant lists,
    /// group reject lists).
    ///
    /// Reconstructed (Baraza cspmessages.def): 1.3 also has `ContactList*` and
    /// `ApplicationID*` after `GroupID*`; they are written in 1.3 only.
    pub struct RemoveList {
        /// `UserID*`: users.
        user_id: Vec<String> => "UserID",
        /// `ScreenName*`: users by screen name inside a group.
        screen_name: Vec<ScreenName> => "ScreenName",
        /// `GroupID*`: groups.
        group_id: Vec<String> => "GroupID",
        /// `ContactList*` (1.3): every member of these contact lists.
        contact_list: Vec<String> => "ContactList" [only V1_3],
        /// `ApplicationID*` (1.3): applications.
        application_id: Vec<String> => "ApplicationID" [only V1_3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_util::*;
    use crate::{CspVersion, Primitive, WvCspMessage};

    const SEND_12: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">
 <Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s-1</SessionID></SessionDescriptor>
  <Transaction>
   <TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>7</TransactionID></TransactionDescriptor>
   <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
    <SendMessage-Request>
     <MessageInfo>
      <Recipient><User><UserID>wv:bob@example.com</UserID></User>
       <Group><ScreenName><SName>al</SName><GroupID>wv:alice/chat@example.com</GroupID></ScreenName></Group></Recipient>
      <ContentType>text/plain</ContentType>
      <Sender><User><UserID>wv:alice@example.com</UserID></User></Sender>
      <ContentSize>5</ContentSize>
      <DateTime>20251104T101500Z</DateTime>
     </MessageInfo>
     <ContentData>Hi &amp; bye</ContentData>
     <DeliveryReport>T</DeliveryReport>
    </SendMessage-Request>
   </TransactionContent>
  </Transaction>
 </Session>
</WV-CSP-Message>"#;

    #[test]
    fn send_message_request_decodes_and_reencodes_in_order() {
        let msg = decode(SEND_12);
        assert_eq!(msg.version, CspVersion::V1_2);
        let Primitive::SendMessageRequest(req) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(req.delivery_report, Some(true));
        assert_eq!(req.content_data, Some(ContentData::Text("Hi & bye".into())));
        let info = &req.message_info;
        assert_eq!(info.content_type_or_default(), "text/plain");
        assert_eq!(info.content_size, Some(5));
        assert!(!info.is_base64());
        assert_eq!(
            info.date_time.map(|d| d.to_string()).as_deref(),
            Some("20251104T101500Z")
        );
        let rcpt = info.recipient.as_ref().expect("recipient");
        assert_eq!(rcpt.user[0].user_id, "wv:bob@example.com");
        assert_eq!(
            rcpt.group[0].screen_name.as_ref().map(|s| s.sname.as_str()),
            Some("al")
        );
        let sender = info
            .sender
            .as_ref()
            .and_then(|s| s.user.as_ref())
            .expect("sender user");
        assert_eq!(sender.user_id, "wv:alice@example.com");

        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(&out, &["DeliveryReport", "MessageInfo", "ContentData"]);
        assert_tag_order(
            &out,
            &[
                "ContentType",
                "ContentSize",
                "Recipient",
                "Sender",
                "DateTime",
            ],
        );
        assert_eq!(decode(&out), msg);
    }

    #[test]
    fn message_info_13_children_only_in_13() {
        let info = MessageInfo {
            message_id: Some("m1".into()),
            content_type: Some("text/plain".into()),
            content_size: Some(2),
            content_name: Some("a.txt".into()),
            date_time: Some(DateTime::utc(2025, 1, 2, 3, 4, 5)),
            font: Some(Font {
                size: Some("Big".into()),
                style: vec!["Bold".into(), "Italic".into()],
                color: Some("Red".into()),
            }),
            validity: Some(60),
            ext_block_etem: vec![ExtBlockEtem {
                text: "x".into(),
                children: Vec::new(),
            }],
            ..Default::default()
        };
        let nm = NewMessage {
            message_info: info,
            content_data: Some(ContentData::Text("hi".into())),
        };
        for v in CspVersion::ALL {
            let msg = WvCspMessage::new(
                v,
                Some("s".into()),
                crate::TransactionMode::Request,
                Some("1".into()),
                Primitive::NewMessage(nm.clone()),
            );
            let out = crate::encode_xml(&msg).expect("encodes");
            if v == CspVersion::V1_3 {
                assert_tag_order(
                    &out,
                    &[
                        "MessageID",
                        "ContentType",
                        "ContentSize",
                        "ContentName",
                        "DateTime",
                        "Font",
                        "Validity",
                        "ExtBlockETEM",
                    ],
                );
                assert_tag_order(
                    &out,
                    &["Font", "Size", "Style>Bold", "Style>Italic", "Color"],
                );
                assert_eq!(decode(&out), msg);
            } else {
                assert!(
                    !out.contains("ContentName") && !out.contains("Font") && !out.contains("ETEM"),
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn block_entity_11_and_13() {
        let xml11 = r#"<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>3</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">
   <BlockUser-Request><BlockList><InUse>T</InUse><AddList><UserID>wv:spam@example.com</UserID></AddList></BlockList></BlockUser-Request>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml11);
        let Primitive::BlockEntityRequest(req) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(req.block_in_use(), Some(true));
        let add = req
            .block_list
            .as_ref()
            .and_then(|b| b.add_list.as_ref())
            .expect("add list");
        assert_eq!(add.user_id, ["wv:spam@example.com"]);
        let out = crate::encode_xml(&msg).expect("encodes");
        assert!(out.contains("<BlockUser-Request>"), "{out}");
        assert_tag_order(&out, &["BlockList", "InUse", "AddList", "UserID"]);

        // Android's 1.3 form: the flags are direct children, no InUse.
        let xml13 = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>4</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
   <BlockEntity-Request><BlockListInUse>T</BlockListInUse><GrantListInUse>F</GrantListInUse>
    <BlockList><RemoveList><UserID>wv:bob@example.com</UserID></RemoveList></BlockList></BlockEntity-Request>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let mut msg = decode(xml13);
        let Primitive::BlockEntityRequest(req) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(
            (req.block_in_use(), req.grant_in_use()),
            (Some(true), Some(false))
        );
        assert_eq!(
            req.block_list
                .as_ref()
                .and_then(|b| b.remove_list.as_ref())
                .map(|r| r.user_id.len()),
            Some(1)
        );
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "BlockEntity-Request",
                "BlockList>",
                "RemoveList",
                "BlockListInUse",
                "GrantListInUse",
            ],
        );
        // InUse is not written in 1.3 even when set.
        if let Primitive::BlockEntityRequest(req) = &mut msg.session.transactions[0].primitive {
            req.block_list.as_mut().expect("block list").in_use = Some(true);
        }
        assert!(!crate::encode_xml(&msg)
            .expect("encodes")
            .contains("<InUse>"));
    }

    #[test]
    fn get_message_list_response_shapes() {
        let entries = vec![MessageInfo {
            message_id: Some("m1".into()),
            ..Default::default()
        }];
        let r12 = GetMessageListResponse::for_version(CspVersion::V1_2, entries.clone(), 1);
        let r13 = GetMessageListResponse::for_version(CspVersion::V1_3, entries, 1);
        assert_eq!(r12.entries().count(), 1);
        assert_eq!(r13.entries().count(), 1);
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode><TransactionID>9</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
   <GetMessageList-Response><MessageTotalCount>4</MessageTotalCount><MessageInfoList>
    <MessageInfo><MessageID>a</MessageID></MessageInfo><MessageInfo><MessageID>b</MessageID></MessageInfo>
   </MessageInfoList></GetMessageList-Response>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::GetMessageListResponse(resp) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(resp.message_total_count, Some(4));
        let ids: Vec<_> = resp
            .entries()
            .filter_map(|m| m.message_id.as_deref())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(
            &out,
            &["MessageInfoList", "MessageInfo", "MessageTotalCount"],
        );
    }
}
