//! Groups (§3.5).
//!
//! Content models are the CSP 1.2 ones (Nokia DTD) with the 1.1 and 1.3 deltas as version
//! ranges. 1.3 structures the reference could not confirm are marked "Reconstructed:" in the
//! item's documentation.

use crate::codec::ContentData;
use crate::element;
use crate::model::common::{CspResult, Property, ScreenName, UserList};
use crate::model::im::{AddList, RemoveList};
use crate::version::CspVersion;

element! {
    /// `CreateGroup-Request (GroupID, GroupProperties, JoinGroup, ScreenName?,
    /// SubscribeNotification)` (C→S); 1.3 adds `OwnProperties?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `OwnProperties` follows
    /// `GroupProperties`; written in 1.3 only.
    pub struct CreateGroupRequest {
        /// `GroupID` chosen by the client (`wv:owner/name@domain`).
        group_id: String => "GroupID",
        /// `GroupProperties`: the new group's properties.
        group_properties: GroupProperties => "GroupProperties",
        /// `OwnProperties` (1.3): the creator's own properties in the group.
        own_properties: Option<OwnProperties> => "OwnProperties" [only V1_3],
        /// `JoinGroup`: join the creator to the group right away.
        join_group: Option<bool> => "JoinGroup",
        /// `ScreenName`: the creator's screen name when joining.
        screen_name: Option<ScreenName> => "ScreenName",
        /// `SubscribeNotification`: send the creator GroupChangeNotice.
        subscribe_notification: Option<bool> => "SubscribeNotification",
    }
}

element! {
    /// `DeleteGroup-Request (GroupID)` (C→S).
    pub struct DeleteGroupRequest {
        /// `GroupID` of the group to delete.
        group_id: String => "GroupID",
    }
}

element! {
    /// `JoinGroup-Request (GroupID, ScreenName?, JoinedRequest, SubscribeNotification,
    /// OwnProperties?)` (C→S).
    pub struct JoinGroupRequest {
        /// `GroupID` of the group to join.
        group_id: String => "GroupID",
        /// `ScreenName`: the nickname to use inside the group.
        screen_name: Option<ScreenName> => "ScreenName",
        /// `JoinedRequest`: return the list of joined users.
        joined_request: Option<bool> => "JoinedRequest",
        /// `SubscribeNotification`: send the joiner GroupChangeNotice.
        subscribe_notification: Option<bool> => "SubscribeNotification",
        /// `OwnProperties`: the joiner's own properties in the group.
        own_properties: Option<OwnProperties> => "OwnProperties",
    }
}

element! {
    /// `JoinGroup-Response`: 1.1 `(UserList?, WelcomeNote?)`; 1.2 `(UserMapList?, WelcomeNote?)`;
    /// 1.3 `(Joined?, ScreenName?, WelcomeNote?)` with `Joined (UserMapList)` (Android note).
    ///
    /// Build it with [`JoinGroupResponse::for_version`] and read the joined users with
    /// [`JoinGroupResponse::joined_users`].
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.1 joined users are a `UserList` of screen
    /// names (Baraza: "UserList used by v1.1"); the 1.3 `ScreenName` (the joiner's own screen
    /// name, which Baraza fills in 1.3 only) follows `Joined`; `WelcomeNote` is last in every
    /// version.
    pub struct JoinGroupResponse {
        /// `Joined` (1.3): the users in the group.
        joined: Option<Joined> => "Joined" [only V1_3],
        /// `ScreenName` (1.3): the screen name the joiner got.
        screen_name: Option<ScreenName> => "ScreenName" [only V1_3],
        /// `UserList` (1.1): the users in the group, by screen name.
        user_list: Option<UserList> => "UserList" [only V1_1],
        /// `UserMapList` (1.2): the users in the group.
        user_map_list: Option<UserMapList> => "UserMapList" [only V1_2],
        /// `WelcomeNote`: the group's welcome message.
        welcome_note: Option<WelcomeNote> => "WelcomeNote",
    }
}

impl JoinGroupResponse {
    /// The response in `version`'s shape. `users` are the joined users (sent when the request
    /// had `JoinedRequest=T`); 1.1 carries them as screen names in `group_id`. `screen_name` is
    /// the joiner's screen name (written in 1.3 only).
    pub fn for_version(
        version: CspVersion,
        group_id: &str,
        users: Option<UserMapList>,
        screen_name: Option<ScreenName>,
        welcome_note: Option<WelcomeNote>,
    ) -> Self {
        let mut out = JoinGroupResponse {
            welcome_note,
            ..Default::default()
        };
        match version {
            CspVersion::V1_1 => {
                out.user_list = users.map(|u| UserList {
                    user: Vec::new(),
                    screen_name: screen_names(&u, group_id),
                });
            }
            CspVersion::V1_2 => out.user_map_list = users,
            CspVersion::V1_3 => {
                out.joined = users.map(|u| Joined::for_version(version, group_id, u));
                out.screen_name = screen_name;
            }
        }
        out
    }

    /// The joined users as a mapping list, wherever the version put them (1.2 `UserMapList`,
    /// 1.3 `Joined/UserMapList`). 1.1 screen names are in `user_list`.
    pub fn joined_users(&self) -> Option<&UserMapList> {
        self.user_map_list
            .as_ref()
            .or_else(|| self.joined.as_ref().and_then(|j| j.user_map_list.as_ref()))
    }
}

/// The screen names (in group `group_id`) of the mappings in `users`.
fn screen_names(users: &UserMapList, group_id: &str) -> Vec<ScreenName> {
    users
        .mappings()
        .iter()
        .map(|m| ScreenName {
            sname: m.sname.clone(),
            group_id: group_id.to_owned(),
        })
        .collect()
}

element! {
    /// `LeaveGroup-Request (GroupID)` (C→S).
    pub struct LeaveGroupRequest {
        /// `GroupID` of the group to leave.
        group_id: String => "GroupID",
    }
}

element! {
    /// `LeaveGroup-Response (GroupID?, Result)`: the answer to LeaveGroup-Request, and sent
    /// unsolicited (S→C) when the user is removed or the group is deleted.
    pub struct LeaveGroupResponse {
        /// `GroupID` of the group left.
        group_id: Option<String> => "GroupID",
        /// `Result`: why the user left (or the outcome of the request).
        result: Option<CspResult> => "Result",
    }
}

element! {
    /// `GetGroupMembers-Request (GroupID)` (C→S).
    pub struct GetGroupMembersRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
    }
}

element! {
    /// `GetGroupMembers-Response (Admin?, Mod?, Users?)`; 1.3 `(Admin?, Mod?, UserList?)` (the
    /// `Users` tag was removed).
    ///
    /// Reconstructed (Baraza cspmessages.def): in 1.3 the ordinary members are a direct
    /// `UserList` child, in `Users`' place.
    pub struct GetGroupMembersResponse {
        /// `Admin`: members with administrator rights.
        admin: Option<Admin> => "Admin",
        /// `Mod`: members with moderator rights.
        moderator: Option<Mod> => "Mod",
        /// `Users` (1.1/1.2): ordinary members.
        users: Option<Users> => "Users" [until V1_2],
        /// `UserList` (1.3): ordinary members.
        user_list: Option<UserList> => "UserList" [only V1_3],
    }
}

element! {
    /// `GetJoinedUsers-Request (GroupID)` (1.2+, C→S).
    pub struct GetJoinedUsersRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
    }
}

element! {
    /// `GetJoinedUsers-Response (AdminMapList | UserMapList)` (1.2+); 1.3 adds
    /// `JoinedBlocked?`: the users currently joined, by screen name. The choice is modelled as two
    /// optional fields.
    ///
    /// Reconstructed (Baraza cspmessages.def): the 1.3 `JoinedBlocked` follows the map list;
    /// written in 1.3 only.
    pub struct GetJoinedUsersResponse {
        /// `AdminMapList`: joined users split by privilege level (for admins).
        admin_map_list: Option<AdminMapList> => "AdminMapList",
        /// `UserMapList`: joined users (for ordinary members).
        user_map_list: Option<UserMapList> => "UserMapList",
        /// `JoinedBlocked` (1.3): joined users the requester blocks.
        joined_blocked: Option<JoinedBlocked> => "JoinedBlocked" [only V1_3],
    }
}

element! {
    /// `AddGroupMembers-Request (GroupID, UserList)`; 1.3 `UserIDList` instead of `UserList`
    /// (Android FIXME) (C→S).
    pub struct AddGroupMembersRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `UserList` (1.1/1.2): the users to make members.
        user_list: Option<UserList> => "UserList" [until V1_2],
        /// `UserIDList` (1.3): the users to make members.
        user_id_list: Option<UserIdList> => "UserIDList" [only V1_3],
    }
}

element! {
    /// `RemoveGroupMembers-Request (GroupID, UserList)`; 1.3 `UserIDList` instead of `UserList`
    /// (Android FIXME) (C→S).
    pub struct RemoveGroupMembersRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `UserList` (1.1/1.2): the members to remove.
        user_list: Option<UserList> => "UserList" [until V1_2],
        /// `UserIDList` (1.3): the members to remove.
        user_id_list: Option<UserIdList> => "UserIDList" [only V1_3],
    }
}

element! {
    /// `UserIDList (UserID*)` (1.3): a plain list of user ids (group membership, presence,
    /// GetMap).
    ///
    /// Reconstructed (Baraza cspmessages.def): content as there (Nokia's 1.3 adapter agrees).
    pub struct UserIdList {
        /// `UserID*`: the users.
        user_id: Vec<String> => "UserID",
    }
}

element! {
    /// `MemberAccess-Request (GroupID, Admin?, Mod?, Users?)` (C→S): change members' privilege
    /// levels.
    ///
    /// Reconstructed (Baraza cspmessages.def): in 1.3 (no `Users` tag) ordinary members are a
    /// direct `UserList`, in `Users`' place.
    pub struct MemberAccessRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `Admin`: users to make administrators.
        admin: Option<Admin> => "Admin",
        /// `Mod`: users to make moderators.
        moderator: Option<Mod> => "Mod",
        /// `Users` (1.1/1.2): users to make ordinary members.
        users: Option<Users> => "Users" [until V1_2],
        /// `UserList` (1.3): users to make ordinary members.
        user_list: Option<UserList> => "UserList" [only V1_3],
    }
}

element! {
    /// `GetGroupProps-Request (GroupID)` (C→S).
    pub struct GetGroupPropsRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
    }
}

element! {
    /// `GetGroupProps-Response (GroupProperties, OwnProperties)`.
    pub struct GetGroupPropsResponse {
        /// `GroupProperties`: the group's properties.
        group_properties: Option<GroupProperties> => "GroupProperties",
        /// `OwnProperties`: the requester's own properties in the group.
        own_properties: Option<OwnProperties> => "OwnProperties",
    }
}

element! {
    /// `SetGroupProps-Request (GroupID, GroupProperties?, OwnProperties?)` (C→S).
    pub struct SetGroupPropsRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `GroupProperties`: group properties to change (owner/admin only).
        group_properties: Option<GroupProperties> => "GroupProperties",
        /// `OwnProperties`: the requester's own properties to change.
        own_properties: Option<OwnProperties> => "OwnProperties",
    }
}

element! {
    /// `RejectList-Request (GroupID, AddList?, RemoveList?)` (C→S): ban / unban users.
    pub struct RejectListRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `AddList`: users to ban.
        add_list: Option<AddList> => "AddList",
        /// `RemoveList`: users to unban.
        remove_list: Option<RemoveList> => "RemoveList",
    }
}

element! {
    /// `RejectList-Response (UserList?)`: the banned users.
    pub struct RejectListResponse {
        /// `UserList`: the banned users.
        user_list: Option<UserList> => "UserList",
    }
}

element! {
    /// `SubscribeGroupNotice-Request (GroupID, SubscribeType)` (C→S).
    pub struct SubscribeGroupNoticeRequest {
        /// `GroupID` of the group.
        group_id: String => "GroupID",
        /// `SubscribeType`: `G` get the current state, `S` subscribe, `U` unsubscribe.
        subscribe_type: String => "SubscribeType",
    }
}

element! {
    /// `SubscribeGroupNotice-Response (Value)`.
    pub struct SubscribeGroupNoticeResponse {
        /// `Value`: `T`/`F`, whether the user is subscribed (answer to `G`).
        value: Option<bool> => "Value",
    }
}

element! {
    /// `GroupChangeNotice (GroupID, Joined?, Left?, GroupProperties?, OwnProperties?)` (S→C);
    /// 1.3 adds `JoinedBlocked?`, `LeftBlocked?`.
    ///
    /// Reconstructed (Baraza cspmessages.def): `JoinedBlocked` / `LeftBlocked` follow `Left`, as
    /// there.
    pub struct GroupChangeNotice {
        /// `GroupID` of the group that changed.
        group_id: String => "GroupID",
        /// `Joined`: users who joined.
        joined: Option<Joined> => "Joined",
        /// `Left`: users who left.
        left: Option<Left> => "Left",
        /// `JoinedBlocked` (1.3): joined users the recipient blocks.
        joined_blocked: Option<JoinedBlocked> => "JoinedBlocked" [only V1_3],
        /// `LeftBlocked` (1.3): users the recipient blocks who left.
        left_blocked: Option<LeftBlocked> => "LeftBlocked" [only V1_3],
        /// `GroupProperties`: the changed group properties.
        group_properties: Option<GroupProperties> => "GroupProperties",
        /// `OwnProperties`: the recipient's changed own properties.
        own_properties: Option<OwnProperties> => "OwnProperties",
    }
}

element! {
    /// `Joined`: 1.1 `(ScreenName+)`; 1.2 and 1.3 `(UserMapList)`.
    pub struct Joined {
        /// `ScreenName+` (1.1): the users, by screen name.
        screen_name: Vec<ScreenName> => "ScreenName" [only V1_1],
        /// `UserMapList` (1.2+): the users, by screen name (and user id if the group shows ids).
        user_map_list: Option<UserMapList> => "UserMapList" [since V1_2],
    }
}

impl Joined {
    /// `users` in `version`'s shape (1.1: screen names in `group_id`).
    pub fn for_version(version: CspVersion, group_id: &str, users: UserMapList) -> Self {
        if version == CspVersion::V1_1 {
            Joined {
                screen_name: screen_names(&users, group_id),
                user_map_list: None,
            }
        } else {
            Joined {
                screen_name: Vec::new(),
                user_map_list: Some(users),
            }
        }
    }
}

element! {
    /// `Left`: 1.1 `(ScreenName+)`; 1.2 and 1.3 `(UserList)`.
    pub struct Left {
        /// `ScreenName+` (1.1): the users, by screen name.
        screen_name: Vec<ScreenName> => "ScreenName" [only V1_1],
        /// `UserList` (1.2+): the users.
        user_list: Option<UserList> => "UserList" [since V1_2],
    }
}

impl Left {
    /// `users` in `version`'s shape (1.1 keeps only their screen names).
    pub fn for_version(version: CspVersion, users: UserList) -> Self {
        if version == CspVersion::V1_1 {
            Left {
                screen_name: users.screen_name,
                user_list: None,
            }
        } else {
            Left {
                screen_name: Vec::new(),
                user_list: Some(users),
            }
        }
    }
}

element! {
    /// `JoinedBlocked` (1.3): joined users the recipient has blocked.
    ///
    /// Reconstructed (Baraza cspmessages.def): `(UserList)`, as there.
    pub struct JoinedBlocked {
        /// `UserList`: the users.
        user_list: Option<UserList> => "UserList",
    }
}

element! {
    /// `LeftBlocked` (1.3): users the recipient has blocked who left.
    ///
    /// Reconstructed (Baraza cspmessages.def): `(UserList)`, as there.
    pub struct LeftBlocked {
        /// `UserList`: the users.
        user_list: Option<UserList> => "UserList",
    }
}

element! {
    /// `Admin (UserList)`: users with administrator rights.
    pub struct Admin {
        /// `UserList`: the users.
        user_list: UserList => "UserList",
    }
}

element! {
    /// `Mod (UserList)`: users with moderator rights.
    pub struct Mod {
        /// `UserList`: the users.
        user_list: UserList => "UserList",
    }
}

element! {
    /// `Users (UserList)` (1.1/1.2): ordinary members.
    pub struct Users {
        /// `UserList`: the users.
        user_list: UserList => "UserList",
    }
}

element! {
    /// `GroupProperties (Property+, WelcomeNote?)`. Property names: `Name`, `Type`
    /// (`Public`/`Private`), `Accesstype` (`Open`/`Restricted`), `Topic`, `PrivateMessaging`,
    /// `Searchable`, `ActiveUsers` (read-only), `MaxActiveUsers`, `AutoJoin`, `AutoDelete`,
    /// `Validity`, `ShowID`, `RequireInvitation`, `History`, `DisplayName`.
    pub struct GroupProperties {
        /// `Property+`: name/value pairs.
        properties: Vec<Property> => "Property",
        /// `WelcomeNote`: message shown to joining users.
        welcome_note: Option<WelcomeNote> => "WelcomeNote",
    }
}

impl GroupProperties {
    /// The value of property `name` (names compare case-insensitively: `Accesstype` =
    /// `AccessType`).
    pub fn get(&self, name: &str) -> Option<&str> {
        prop_get(&self.properties, name)
    }

    /// Sets property `name` to `value`, replacing an existing one of the same name (any case).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        prop_set(&mut self.properties, name.into(), value.into());
    }
}

element! {
    /// `OwnProperties (Property+)`: the user's own properties in a group (`IsMember`,
    /// `PrivilegeLevel` = `Admin`/`Mod`/`User`, ...).
    pub struct OwnProperties {
        /// `Property+`: name/value pairs.
        properties: Vec<Property> => "Property",
    }
}

impl OwnProperties {
    /// The value of property `name` (names compare case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        prop_get(&self.properties, name)
    }

    /// Sets property `name` to `value`, replacing an existing one of the same name (any case).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        prop_set(&mut self.properties, name.into(), value.into());
    }
}

fn prop_get<'a>(props: &'a [Property], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name.trim().eq_ignore_ascii_case(name.trim()))
        .and_then(|p| p.value.as_deref())
}

fn prop_set(props: &mut Vec<Property>, name: String, value: String) {
    match props
        .iter_mut()
        .find(|p| p.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        Some(p) => p.value = Some(value),
        None => props.push(Property {
            name,
            value: Some(value),
        }),
    }
}

element! {
    /// `WelcomeNote (ContentType, ContentEncoding?, ContentData)`.
    pub struct WelcomeNote {
        /// `ContentType`: MIME type of the note (normally `text/plain`).
        content_type: Option<String> => "ContentType",
        /// `ContentEncoding`: `None` or `BASE64`.
        content_encoding: Option<String> => "ContentEncoding",
        /// `ContentData`: the note itself.
        content_data: ContentData => "ContentData",
    }
}

impl WelcomeNote {
    /// A plain-text note.
    pub fn text(text: impl Into<String>) -> Self {
        WelcomeNote {
            content_type: Some("text/plain".into()),
            content_encoding: None,
            content_data: ContentData::Text(text.into()),
        }
    }
}

element! {
    /// `UserMapList (UserMapping?)` (1.2+): joined users by screen name.
    pub struct UserMapList {
        /// `UserMapping`: the entries.
        user_mapping: Option<UserMapping> => "UserMapping",
    }
}

impl UserMapList {
    /// A list of these mappings (no `UserMapping` when empty).
    pub fn from_mappings(mappings: Vec<Mapping>) -> Self {
        UserMapList {
            user_mapping: (!mappings.is_empty()).then_some(UserMapping { mapping: mappings }),
        }
    }

    /// The entries.
    pub fn mappings(&self) -> &[Mapping] {
        self.user_mapping
            .as_ref()
            .map_or(&[], |m| m.mapping.as_slice())
    }
}

element! {
    /// `AdminMapList (AdminMapping?, ModMapping?, UserMapping?)` (1.2+): joined users by
    /// privilege level.
    pub struct AdminMapList {
        /// `AdminMapping`: joined administrators.
        admin_mapping: Option<AdminMapping> => "AdminMapping",
        /// `ModMapping`: joined moderators.
        mod_mapping: Option<ModMapping> => "ModMapping",
        /// `UserMapping`: joined ordinary users.
        user_mapping: Option<UserMapping> => "UserMapping",
    }
}

element! {
    /// `AdminMapping (Mapping+)` (1.2+).
    pub struct AdminMapping {
        /// `Mapping+`: screen name (and user id) of each administrator.
        mapping: Vec<Mapping> => "Mapping",
    }
}

element! {
    /// `ModMapping (Mapping+)` (1.2+).
    pub struct ModMapping {
        /// `Mapping+`: screen name (and user id) of each moderator.
        mapping: Vec<Mapping> => "Mapping",
    }
}

element! {
    /// `UserMapping (Mapping+)` (1.2+).
    pub struct UserMapping {
        /// `Mapping+`: screen name (and user id) of each user.
        mapping: Vec<Mapping> => "Mapping",
    }
}

element! {
    /// `Mapping (SName, UserID?)` (1.2+): a joined user's screen name; the user id only when
    /// the group shows ids (property `ShowID`).
    pub struct Mapping {
        /// `SName`: the screen name.
        sname: String => "SName",
        /// `UserID`: the user behind it.
        user_id: Option<String> => "UserID",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_util::*;
    use crate::{Primitive, TransactionMode, WvCspMessage};

    fn wrap(version: CspVersion, p: Primitive) -> WvCspMessage {
        WvCspMessage::new(
            version,
            Some("s".into()),
            TransactionMode::Response,
            Some("5".into()),
            p,
        )
    }

    #[test]
    fn create_group_request_12() {
        let xml = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>11</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
   <CreateGroup-Request>
    <SubscribeNotification>T</SubscribeNotification>
    <GroupID>wv:alice/chat@example.com</GroupID>
    <GroupProperties>
     <Property><Name>Name</Name><Value>Chat</Value></Property>
     <Property><Name>Accesstype</Name><Value>Open</Value></Property>
     <WelcomeNote><ContentType>text/plain</ContentType><ContentData>Welcome!</ContentData></WelcomeNote>
    </GroupProperties>
    <JoinGroup>T</JoinGroup>
    <ScreenName><SName>alice</SName><GroupID>wv:alice/chat@example.com</GroupID></ScreenName>
   </CreateGroup-Request>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml);
        let Primitive::CreateGroupRequest(req) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(req.group_id, "wv:alice/chat@example.com");
        assert_eq!(
            (req.join_group, req.subscribe_notification),
            (Some(true), Some(true))
        );
        assert_eq!(req.group_properties.get("AccessType"), Some("Open"));
        assert_eq!(req.group_properties.get("name"), Some("Chat"));
        assert_eq!(req.group_properties.get("Topic"), None);
        let note = req
            .group_properties
            .welcome_note
            .as_ref()
            .expect("welcome note");
        assert_eq!(note.content_data, ContentData::Text("Welcome!".into()));
        assert_eq!(
            req.screen_name.as_ref().map(|s| s.sname.as_str()),
            Some("alice")
        );

        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "GroupID",
                "GroupProperties",
                "Property",
                "WelcomeNote",
                "JoinGroup",
                "ScreenName",
                "SubscribeNotification",
            ],
        );
        assert_eq!(decode(&out), msg);
    }

    #[test]
    fn property_get_set_case_insensitive() {
        let mut props = GroupProperties::default();
        props.set("Accesstype", "Open");
        props.set("AccessType", "Restricted");
        assert_eq!(props.properties.len(), 1);
        assert_eq!(props.properties[0].name, "Accesstype");
        assert_eq!(props.get("ACCESSTYPE"), Some("Restricted"));
        let mut own = OwnProperties::default();
        own.set("PrivilegeLevel", "Admin");
        assert_eq!(own.get("privilegelevel"), Some("Admin"));
    }

    #[test]
    fn join_group_response_per_version() {
        let users = UserMapList::from_mappings(vec![
            Mapping {
                sname: "alice".into(),
                user_id: Some("wv:alice@example.com".into()),
            },
            Mapping {
                sname: "bob".into(),
                user_id: None,
            },
        ]);
        let gid = "wv:alice/chat@example.com";
        let note = Some(WelcomeNote::text("hi"));

        let me = Some(ScreenName {
            sname: "carol".into(),
            group_id: gid.into(),
        });

        let r11 = JoinGroupResponse::for_version(
            CspVersion::V1_1,
            gid,
            Some(users.clone()),
            me.clone(),
            note.clone(),
        );
        let msg11 = wrap(CspVersion::V1_1, r11.into());
        let out = crate::encode_xml(&msg11).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "JoinGroup-Response",
                "UserList",
                "ScreenName",
                "SName>alice",
                "ScreenName",
                "SName>bob",
                "WelcomeNote",
            ],
        );
        assert!(
            !out.contains("UserMapList") && !out.contains("<Joined") && !out.contains("carol"),
            "{out}"
        );
        assert_eq!(decode(&out), msg11);

        let r12 = JoinGroupResponse::for_version(
            CspVersion::V1_2,
            gid,
            Some(users.clone()),
            me.clone(),
            note.clone(),
        );
        let msg12 = wrap(CspVersion::V1_2, r12.into());
        let out = crate::encode_xml(&msg12).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "JoinGroup-Response",
                "UserMapList",
                "UserMapping",
                "Mapping",
                "SName>alice",
                "UserID",
                "WelcomeNote",
            ],
        );
        assert!(!out.contains("<Joined") && !out.contains("carol"), "{out}");
        assert_eq!(decode(&out), msg12);

        let r13 =
            JoinGroupResponse::for_version(CspVersion::V1_3, gid, Some(users.clone()), me, note);
        let msg13 = wrap(CspVersion::V1_3, r13.into());
        let out = crate::encode_xml(&msg13).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "JoinGroup-Response",
                "Joined",
                "UserMapList",
                "Mapping",
                "ScreenName",
                "SName>carol",
                "WelcomeNote",
            ],
        );
        let back = decode(&out);
        assert_eq!(back, msg13);
        let Primitive::JoinGroupResponse(resp) = primitive(&back) else {
            panic!()
        };
        assert_eq!(resp.joined_users().map(|u| u.mappings().len()), Some(2));
    }

    #[test]
    fn group_change_notice_11_and_13() {
        let xml11 = r#"<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>s1</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">
   <GroupChangeNotice><GroupID>wv:g@example.com</GroupID>
    <Left><ScreenName><SName>bob</SName><GroupID>wv:g@example.com</GroupID></ScreenName></Left>
    <Joined><ScreenName><SName>carol</SName><GroupID>wv:g@example.com</GroupID></ScreenName></Joined>
   </GroupChangeNotice>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml11);
        let Primitive::GroupChangeNotice(n) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        assert_eq!(
            n.joined.as_ref().map(|j| j.screen_name[0].sname.as_str()),
            Some("carol")
        );
        assert_eq!(
            n.left.as_ref().map(|l| l.screen_name[0].sname.as_str()),
            Some("bob")
        );
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(
            &out,
            &[
                "GroupChangeNotice",
                "GroupID",
                "Joined",
                "SName>carol",
                "Left",
                "SName>bob",
            ],
        );

        let xml13 = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>
  <SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>
  <Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>s2</TransactionID></TransactionDescriptor>
  <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3">
   <GroupChangeNotice><GroupID>wv:g@example.com</GroupID>
    <Joined><UserMapList><UserMapping><Mapping><SName>carol</SName><UserID>wv:carol@example.com</UserID></Mapping></UserMapping></UserMapList></Joined>
    <LeftBlocked><UserList><User><UserID>wv:spam@example.com</UserID></User></UserList></LeftBlocked>
    <GroupProperties><Property><Name>Topic</Name><Value>news</Value></Property></GroupProperties>
   </GroupChangeNotice>
  </TransactionContent></Transaction></Session></WV-CSP-Message>"#;
        let msg = decode(xml13);
        let Primitive::GroupChangeNotice(n) = primitive(&msg) else {
            panic!("{:?}", primitive(&msg))
        };
        let joined = n
            .joined
            .as_ref()
            .and_then(|j| j.user_map_list.as_ref())
            .expect("joined users");
        assert_eq!(
            joined.mappings()[0].user_id.as_deref(),
            Some("wv:carol@example.com")
        );
        assert!(n.left_blocked.is_some());
        assert_eq!(
            n.group_properties.as_ref().and_then(|p| p.get("topic")),
            Some("news")
        );
        let out = crate::encode_xml(&msg).expect("encodes");
        assert_tag_order(
            &out,
            &["GroupID", "Joined", "LeftBlocked", "GroupProperties"],
        );
        assert_eq!(decode(&out), msg);
    }

    #[test]
    fn group_members_user_list_vs_user_id_list() {
        let mut req = RemoveGroupMembersRequest {
            group_id: "wv:g@example.com".into(),
            user_list: Some(UserList {
                user: vec![crate::model::User::new("wv:bob@example.com")],
                screen_name: Vec::new(),
            }),
            user_id_list: Some(UserIdList {
                user_id: vec!["wv:bob@example.com".into()],
            }),
        };
        let out12 =
            crate::encode_xml(&wrap(CspVersion::V1_2, req.clone().into())).expect("encodes");
        assert!(
            out12.contains("<UserList>") && !out12.contains("UserIDList"),
            "{out12}"
        );
        let out13 =
            crate::encode_xml(&wrap(CspVersion::V1_3, req.clone().into())).expect("encodes");
        assert!(
            out13.contains("<UserIDList>") && !out13.contains("<UserList>"),
            "{out13}"
        );
        req.user_list = None;
        let back = decode(&out13);
        assert_eq!(primitive(&back), &Primitive::RemoveGroupMembersRequest(req));

        let resp = GetGroupMembersResponse {
            admin: Some(Admin {
                user_list: UserList {
                    user: vec![crate::model::User::new("wv:a@x")],
                    screen_name: Vec::new(),
                },
            }),
            users: Some(Users::default()),
            user_list: Some(UserList::default()),
            ..Default::default()
        };
        let out12 =
            crate::encode_xml(&wrap(CspVersion::V1_2, resp.clone().into())).expect("encodes");
        assert_tag_order(&out12, &["Admin", "UserList", "Users"]);
        let out13 = crate::encode_xml(&wrap(CspVersion::V1_3, resp.into())).expect("encodes");
        assert!(!out13.contains("<Users"), "{out13}");
    }
}
