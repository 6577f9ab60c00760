//! The primitive catalogue: one enum variant per CSP primitive, with its element name and the
//! versions it exists in (csp-reference.md §2-§3, wbxml-tables.md §2).

use crate::codec::{Element, Name, Sample, Sink, Source};
use crate::error::{DecodeError, EncodeError};
use crate::model::*;
use crate::names::ElementId;
use crate::version::{CspVersion, VersionRange};

/// A primitive's payload type: boxed for the rare, large ones (a few with a whole presence
/// sub-list are 1.5–2 KB inline), so that every `Primitive` moved around is small.
macro_rules! payload {
    (Box $t:ident) => { Box<$t> };
    ($t:ident) => { $t };
}

macro_rules! primitives {
    ($( $variant:ident $(($wrap:ident))? => $name:literal [$($vr:tt)*] ),* $(,)?) => {
        /// One CSP primitive: the content of a `TransactionContent`.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[allow(clippy::large_enum_variant)]
        pub enum Primitive {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant(payload!($($wrap)? $variant)),
            )*
            /// A primitive this crate does not know, by element name (its content is skipped).
            Unknown(String),
        }

        impl Primitive {
            /// Every primitive's element name and versions.
            pub const CATALOGUE: &'static [(&'static str, VersionRange)] = &[
                $( ($name, $crate::element!(@range $($vr)*)), )*
            ];

            /// The element name.
            pub fn name(&self) -> &str {
                match self {
                    $( Primitive::$variant(_) => $name, )*
                    Primitive::Unknown(n) => n,
                }
            }

            /// The versions the primitive exists in (none for unknown ones).
            pub fn versions(&self) -> Option<VersionRange> {
                match self {
                    $( Primitive::$variant(_) => Some($crate::element!(@range $($vr)*)), )*
                    Primitive::Unknown(_) => None,
                }
            }

            /// Whether the primitive exists in `version`.
            pub fn exists_in(&self, version: CspVersion) -> bool {
                self.versions().is_some_and(|r| r.contains(version))
            }

            /// Decodes the primitive whose start element `name` was just read.
            pub fn decode_named<'a, S: Source<'a>>(name: &str, src: &mut S) -> Result<Self, DecodeError> {
                Self::decode_element(Name::new(name), src)
            }

            /// Decodes the primitive whose start element (as the source reported it) was just read.
            pub fn decode_element<'a, S: Source<'a>>(name: Name<'_>, src: &mut S) -> Result<Self, DecodeError> {
                let mut out = Primitive::default();
                Self::decode_into(name, src, &mut out)?;
                Ok(out)
            }

            /// [`Primitive::decode_element`] into `out` (which it sets on success): a primitive is
            /// large, and decoding in place saves copies.
            pub(crate) fn decode_into<'a, S: Source<'a>>(
                name: Name<'_>,
                src: &mut S,
                out: &mut Self,
            ) -> Result<(), DecodeError> {
                #[allow(non_upper_case_globals)]
                mod ids {
                    use super::ElementId;
                    $( pub(super) const $variant: ElementId = ElementId::of($name); )*
                }
                match name.id() {
                    $( ids::$variant => {
                        // In place: the default value, then its content.
                        *out = Primitive::$variant(Default::default());
                        if let Primitive::$variant(p) = out {
                            p.decode_in(src).map_err(|e| e.in_element($name))?;
                        }
                    } )*
                    _ => {
                        src.skip()?;
                        *out = Primitive::Unknown(name.chars().take(64).collect());
                    }
                }
                Ok(())
            }

            /// Writes the primitive element.
            pub fn encode<K: Sink>(&self, sink: &mut K) -> Result<(), EncodeError> {
                match self {
                    $( Primitive::$variant(p) => p.encode($name, sink), )*
                    Primitive::Unknown(n) => Err(EncodeError::Invalid(format!("unknown primitive {n}"))),
                }
            }

            /// A fully populated sample of every primitive (for exhaustive tests).
            #[doc(hidden)]
            pub fn samples() -> Vec<Primitive> {
                vec![ $( Primitive::$variant(<$variant as Sample>::sample().into()), )* ]
            }
        }

        $(
            impl From<$variant> for Primitive {
                fn from(p: $variant) -> Self {
                    #[allow(clippy::useless_conversion)]
                    Primitive::$variant(p.into())
                }
            }
        )*
    };
}

primitives! {
    Status => "Status" [ALL],
    LoginRequest (Box) => "Login-Request" [ALL],
    LoginResponse (Box) => "Login-Response" [ALL],
    LogoutRequest => "Logout-Request" [ALL],
    Disconnect => "Disconnect" [ALL],
    KeepAliveRequest => "KeepAlive-Request" [ALL],
    KeepAliveResponse => "KeepAlive-Response" [ALL],
    PollingRequest => "Polling-Request" [ALL],
    ServiceRequest => "Service-Request" [ALL],
    ServiceResponse (Box) => "Service-Response" [ALL],
    ClientCapabilityRequest => "ClientCapability-Request" [ALL],
    ClientCapabilityResponse (Box) => "ClientCapability-Response" [ALL],
    GetSpInfoRequest => "GetSPInfo-Request" [ALL],
    GetSpInfoResponse => "GetSPInfo-Response" [ALL],
    VersionDiscoveryRequest => "WV-CSP-VersionDiscovery-Request" [since V1_2],
    VersionDiscoveryResponse => "WV-CSP-VersionDiscovery-Response" [since V1_2],
    SearchRequest => "Search-Request" [ALL],
    SearchResponse => "Search-Response" [ALL],
    StopSearchRequest => "StopSearch-Request" [ALL],
    InviteRequest (Box) => "Invite-Request" [ALL],
    InviteResponse => "Invite-Response" [ALL],
    InviteUserRequest (Box) => "InviteUser-Request" [ALL],
    InviteUserResponse => "InviteUser-Response" [ALL],
    CancelInviteRequest (Box) => "CancelInvite-Request" [ALL],
    CancelInviteUserRequest (Box) => "CancelInviteUser-Request" [ALL],
    VerifyIdRequest => "VerifyID-Request" [since V1_2],
    ExtendedRequest => "Extended-Request" [since V1_2],
    ExtendedResponse => "Extended-Response" [since V1_2],
    GetListRequest => "GetList-Request" [ALL],
    GetListResponse => "GetList-Response" [ALL],
    CreateListRequest => "CreateList-Request" [ALL],
    CreateListResponse => "CreateList-Response" [only V1_3],
    DeleteListRequest => "DeleteList-Request" [ALL],
    ListManageRequest => "ListManage-Request" [ALL],
    ListManageResponse => "ListManage-Response" [ALL],
    SubscribePresenceRequest (Box) => "SubscribePresence-Request" [ALL],
    UnsubscribePresenceRequest => "UnsubscribePresence-Request" [ALL],
    PresenceNotificationRequest => "PresenceNotification-Request" [ALL],
    GetPresenceRequest (Box) => "GetPresence-Request" [ALL],
    GetPresenceResponse => "GetPresence-Response" [ALL],
    UpdatePresenceRequest (Box) => "UpdatePresence-Request" [ALL],
    GetWatcherListRequest => "GetWatcherList-Request" [ALL],
    GetWatcherListResponse => "GetWatcherList-Response" [ALL],
    PresenceAuthRequest (Box) => "PresenceAuth-Request" [until V1_2],
    PresenceAuthUser (Box) => "PresenceAuth-User" [until V1_2],
    CancelAuthRequest => "CancelAuth-Request" [until V1_2],
    GetReactiveAuthStatusRequest => "GetReactiveAuthStatus-Request" [only V1_2],
    GetReactiveAuthStatusResponse => "GetReactiveAuthStatus-Response" [only V1_2],
    CreateAttributeListRequest (Box) => "CreateAttributeList-Request" [ALL],
    DeleteAttributeListRequest => "DeleteAttributeList-Request" [ALL],
    GetAttributeListRequest => "GetAttributeList-Request" [ALL],
    GetAttributeListResponse (Box) => "GetAttributeList-Response" [ALL],
    SendMessageRequest => "SendMessage-Request" [ALL],
    SendMessageResponse => "SendMessage-Response" [ALL],
    NewMessage => "NewMessage" [ALL],
    MessageNotification => "MessageNotification" [ALL],
    GetMessageRequest => "GetMessage-Request" [ALL],
    GetMessageResponse => "GetMessage-Response" [ALL],
    MessageDelivered => "MessageDelivered" [ALL],
    GetMessageListRequest => "GetMessageList-Request" [ALL],
    GetMessageListResponse => "GetMessageList-Response" [ALL],
    RejectMessageRequest => "RejectMessage-Request" [ALL],
    ForwardMessageRequest => "ForwardMessage-Request" [ALL],
    ForwardMessageResponse => "ForwardMessage-Response" [only V1_3],
    SetDeliveryMethodRequest => "SetDeliveryMethod-Request" [ALL],
    DeliveryReportRequest (Box) => "DeliveryReport-Request" [ALL],
    GetBlockedListRequest => "GetBlockedList-Request" [ALL],
    GetBlockedListResponse (Box) => "GetBlockedList-Response" [ALL],
    BlockEntityRequest (Box) => "BlockEntity-Request" [ALL],
    CreateGroupRequest => "CreateGroup-Request" [ALL],
    DeleteGroupRequest => "DeleteGroup-Request" [ALL],
    JoinGroupRequest => "JoinGroup-Request" [ALL],
    JoinGroupResponse => "JoinGroup-Response" [ALL],
    LeaveGroupRequest => "LeaveGroup-Request" [ALL],
    LeaveGroupResponse => "LeaveGroup-Response" [ALL],
    GetGroupMembersRequest => "GetGroupMembers-Request" [ALL],
    GetGroupMembersResponse => "GetGroupMembers-Response" [ALL],
    GetJoinedUsersRequest => "GetJoinedUsers-Request" [since V1_2],
    GetJoinedUsersResponse => "GetJoinedUsers-Response" [since V1_2],
    AddGroupMembersRequest => "AddGroupMembers-Request" [ALL],
    RemoveGroupMembersRequest => "RemoveGroupMembers-Request" [ALL],
    MemberAccessRequest => "MemberAccess-Request" [ALL],
    GetGroupPropsRequest => "GetGroupProps-Request" [ALL],
    GetGroupPropsResponse => "GetGroupProps-Response" [ALL],
    SetGroupPropsRequest => "SetGroupProps-Request" [ALL],
    RejectListRequest => "RejectList-Request" [ALL],
    RejectListResponse => "RejectList-Response" [ALL],
    SubscribeGroupNoticeRequest => "SubscribeGroupNotice-Request" [ALL],
    SubscribeGroupNoticeResponse => "SubscribeGroupNotice-Response" [ALL],
    GroupChangeNotice => "GroupChangeNotice" [ALL],
    GetPublicProfileRequest => "GetPublicProfile-Request" [only V1_3],
    GetPublicProfileResponse => "GetPublicProfile-Response" [only V1_3],
    UpdatePublicProfileRequest => "UpdatePublicProfile-Request" [only V1_3],
    SystemMessageRequest => "SystemMessage-Request" [only V1_3],
    SystemMessageUser => "SystemMessage-User" [only V1_3],
    SubscribeNotificationRequest => "SubscribeNotification-Request" [only V1_3],
    UnsubscribeNotificationRequest => "UnsubscribeNotification-Request" [only V1_3],
    NotificationRequest (Box) => "Notification-Request" [only V1_3],
    GetMapRequest (Box) => "GetMap-Request" [only V1_3],
    GetMapResponse => "GetMap-Response" [only V1_3],
    GetSegmentRequest => "GetSegment-Request" [only V1_3],
    GetSegmentResponse => "GetSegment-Response" [only V1_3],
    DropSegmentRequest => "DropSegment-Request" [only V1_3],
    ExtendConversationRequest => "ExtendConversation-Request" [only V1_3],
    ExtendConversationResponse => "ExtendConversation-Response" [only V1_3],
}

impl Default for Primitive {
    fn default() -> Self {
        Primitive::PollingRequest(PollingRequest::default())
    }
}
