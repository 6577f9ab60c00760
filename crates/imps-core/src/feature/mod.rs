//! The features, one module per CSP feature tree (csp-reference.md §5): each handles its
//! primitives. Features talk through the engine context, not through each other's state.

pub(crate) mod contacts;
pub(crate) mod failures;
pub(crate) mod group;
pub(crate) mod im;
pub(crate) mod invite;
pub(crate) mod map;
pub(crate) mod notify;
pub(crate) mod presence;
pub(crate) mod profile;
pub(crate) mod search;
pub(crate) mod segment;
pub(crate) mod session;
pub(crate) mod system;
pub(crate) mod verify;

use imps_csp::{CspVersion, Primitive, StatusCode};

use crate::engine::{fail, Cx, Reply};

/// Function codes the server implements (offered in Service negotiation). Codes of features
/// that are not implemented yet (the 1.3 extras) are not offered, and their primitives are answered 501 (or 506 when not agreed).
pub(crate) const IMPLEMENTED: &[&str] = &[
    "GETSPI", "GCLI", "CCLI", "DCLI", "MCLS", "GETWL", "REACT", "CAAUT", "GETAUT", "GETPR",
    "UPDPR", "CALI", "DALI", "GALS", "MDELIV", "FWMSG", "SETD", "GETLM", "GETM", "REJCM", "NOTIF",
    "NEWM", "GLBLU", "BLENT", "CREAG", "DELGR", "GETGP", "SETGP", "SUBGCN", "GRCHN", "GETJU",
    "GETGM", "ADDGM", "RMVGM", "MBRAC", "REJEC", "INVIT", "CAINV", "VRID", "SRCH", "STSRC",
    "EXCON", "SGMNT",
];

/// The function code a request primitive needs (§5), or the feature it belongs to for
/// primitives without a code of their own.
fn needs(p: &Primitive, v: CspVersion) -> Option<Need> {
    use Need::{Code, Feature};
    Some(match p {
        Primitive::GetSpInfoRequest(_) => Code("GETSPI"),
        Primitive::SearchRequest(_) => Code("SRCH"),
        Primitive::StopSearchRequest(_) => Code("STSRC"),
        Primitive::InviteRequest(_) | Primitive::InviteUserResponse(_) => Code("INVIT"),
        Primitive::CancelInviteRequest(_) => Code("CAINV"),
        Primitive::VerifyIdRequest(_) => Code("VRID"),
        Primitive::GetListRequest(_) => Code("GCLI"),
        Primitive::CreateListRequest(_) => Code("CCLI"),
        Primitive::DeleteListRequest(_) => Code("DCLI"),
        Primitive::ListManageRequest(_) => Code("MCLS"),
        Primitive::GetWatcherListRequest(_) => Code("GETWL"),
        Primitive::PresenceAuthUser(_) => Code("REACT"),
        Primitive::CancelAuthRequest(_) => Code("CAAUT"),
        Primitive::GetReactiveAuthStatusRequest(_) => Code("GETAUT"),
        Primitive::GetPresenceRequest(_) => Code("GETPR"),
        Primitive::UpdatePresenceRequest(_) => Code("UPDPR"),
        Primitive::CreateAttributeListRequest(_) if v < CspVersion::V1_3 => Code("CALI"),
        Primitive::DeleteAttributeListRequest(_) if v < CspVersion::V1_3 => Code("DALI"),
        Primitive::GetAttributeListRequest(_) if v < CspVersion::V1_3 => Code("GALS"),
        Primitive::SubscribePresenceRequest(_) | Primitive::UnsubscribePresenceRequest(_) => {
            Feature("PresenceFeat")
        }
        Primitive::SendMessageRequest(_) => Feature("IMFeat"),
        Primitive::ForwardMessageRequest(_) => Code("FWMSG"),
        Primitive::SetDeliveryMethodRequest(_) => Code("SETD"),
        Primitive::GetMessageListRequest(_) => Code("GETLM"),
        Primitive::GetMessageRequest(_) => Code("GETM"),
        Primitive::RejectMessageRequest(_) => Code("REJCM"),
        Primitive::GetBlockedListRequest(_) => Code("GLBLU"),
        Primitive::BlockEntityRequest(_) => Code("BLENT"),
        Primitive::CreateGroupRequest(_) => Code("CREAG"),
        Primitive::DeleteGroupRequest(_) => Code("DELGR"),
        Primitive::GetGroupPropsRequest(_) => Code("GETGP"),
        Primitive::SetGroupPropsRequest(_) => Code("SETGP"),
        Primitive::SubscribeGroupNoticeRequest(_) => Code("SUBGCN"),
        Primitive::GetJoinedUsersRequest(_) => Code("GETJU"),
        Primitive::GetGroupMembersRequest(_) => Code("GETGM"),
        Primitive::AddGroupMembersRequest(_) => Code("ADDGM"),
        Primitive::RemoveGroupMembersRequest(_) => Code("RMVGM"),
        Primitive::MemberAccessRequest(_) => Code("MBRAC"),
        Primitive::RejectListRequest(_) => Code("REJEC"),
        Primitive::JoinGroupRequest(_) | Primitive::LeaveGroupRequest(_) => Feature("GroupFeat"),
        Primitive::GetMapRequest(_) => Code("GETMAP"),
        Primitive::GetSegmentRequest(_) | Primitive::DropSegmentRequest(_) => Code("SGMNT"),
        Primitive::ExtendConversationRequest(_) => Code("EXCON"),
        _ => return None,
    })
}

enum Need {
    Code(&'static str),
    Feature(&'static str),
}

/// 506 when the session negotiated services and the primitive's function was not agreed.
pub(crate) fn check_agreed(cx: &Cx<'_>, sid: &str, p: &Primitive) -> Result<(), StatusCode> {
    let Some(s) = cx.st.sessions.get(sid) else {
        return Err(StatusCode::INVALID_SESSION);
    };
    let Some(agreed) = &s.functions else {
        return Ok(());
    };
    match needs(p, s.version) {
        None => Ok(()),
        Some(Need::Code(c)) if agreed.contains(c) => Ok(()),
        Some(Need::Feature(f)) if agreed.contains(f) => Ok(()),
        Some(_) => Err(StatusCode::SERVICE_NOT_AGREED),
    }
}

/// Handles one request primitive of a live session.
pub(crate) fn handle(cx: &mut Cx<'_>, sid: &str, p: Primitive) -> Reply {
    match p {
        Primitive::LogoutRequest(_) => session::logout(cx, sid),
        Primitive::KeepAliveRequest(r) => session::keep_alive(cx, sid, r),
        Primitive::ClientCapabilityRequest(r) => session::capabilities(cx, sid, r),
        Primitive::ServiceRequest(r) => session::services(cx, sid, r),
        Primitive::GetSpInfoRequest(r) => session::sp_info(cx, r.client_id).into(),
        Primitive::VersionDiscoveryRequest(_) => session::version_discovery().into(),
        Primitive::GetListRequest(_) => contacts::get_list(cx, sid),
        Primitive::CreateListRequest(r) => contacts::create_list(cx, sid, r),
        Primitive::DeleteListRequest(r) => contacts::delete_list(cx, sid, r),
        Primitive::ListManageRequest(r) => contacts::list_manage(cx, sid, r),
        Primitive::SubscribePresenceRequest(r) => presence::subscribe(cx, sid, *r),
        Primitive::UnsubscribePresenceRequest(r) => presence::unsubscribe(cx, sid, r),
        Primitive::GetPresenceRequest(r) => presence::get_presence(cx, sid, *r),
        Primitive::UpdatePresenceRequest(r) => presence::update_presence(cx, sid, *r),
        Primitive::GetWatcherListRequest(r) => presence::get_watchers(cx, sid, r),
        Primitive::CreateAttributeListRequest(r) => presence::create_attribute_list(cx, sid, *r),
        Primitive::DeleteAttributeListRequest(r) => presence::delete_attribute_list(cx, sid, r),
        Primitive::GetAttributeListRequest(r) => presence::get_attribute_list(cx, sid, r),
        Primitive::PresenceAuthUser(r) => presence::auth_user(cx, sid, *r),
        Primitive::CancelAuthRequest(r) => presence::cancel_auth(cx, sid, r),
        Primitive::GetReactiveAuthStatusRequest(r) => presence::reactive_status(cx, sid, r),
        Primitive::SendMessageRequest(r) => im::send(cx, sid, r),
        Primitive::SetDeliveryMethodRequest(r) => im::set_delivery_method(cx, sid, r),
        Primitive::GetMessageRequest(r) => im::get_message(cx, sid, r),
        Primitive::MessageDelivered(r) => im::delivered(cx, sid, &r.message_id),
        Primitive::GetMessageListRequest(r) => im::get_message_list(cx, sid, r),
        Primitive::RejectMessageRequest(r) => im::reject(cx, sid, r),
        Primitive::ForwardMessageRequest(r) => im::forward(cx, sid, r),
        Primitive::GetBlockedListRequest(_) => im::get_blocked(cx, sid),
        Primitive::BlockEntityRequest(r) => im::block_entity(cx, sid, *r),
        Primitive::InviteRequest(r) => invite::invite(cx, sid, *r),
        Primitive::InviteUserResponse(r) => invite::answer(cx, sid, r),
        Primitive::CancelInviteRequest(r) => invite::cancel(cx, sid, *r),
        Primitive::VerifyIdRequest(r) => verify::verify_id(cx, sid, r),
        Primitive::GetPublicProfileRequest(r) => profile::get(cx, sid, r),
        Primitive::SearchRequest(r) => search::search(cx, sid, r),
        Primitive::ExtendConversationRequest(r) => group::extend(cx, sid, r),
        Primitive::SubscribeNotificationRequest(r) => notify::subscribe(cx, sid, r),
        Primitive::SystemMessageUser(r) => system::answer(cx, sid, r),
        Primitive::GetMapRequest(r) => map::get_map(cx, sid, *r),
        Primitive::GetSegmentRequest(r) => segment::get(cx, sid, r),
        Primitive::DropSegmentRequest(r) => segment::drop(cx, sid, r),
        Primitive::UnsubscribeNotificationRequest(r) => notify::unsubscribe(cx, sid, r),
        Primitive::StopSearchRequest(r) => search::stop(cx, sid, r),
        Primitive::UpdatePublicProfileRequest(r) => profile::update(cx, sid, r),
        p @ (Primitive::CreateGroupRequest(_)
        | Primitive::DeleteGroupRequest(_)
        | Primitive::JoinGroupRequest(_)
        | Primitive::LeaveGroupRequest(_)
        | Primitive::GetGroupPropsRequest(_)
        | Primitive::SetGroupPropsRequest(_)
        | Primitive::GetJoinedUsersRequest(_)
        | Primitive::GetGroupMembersRequest(_)
        | Primitive::SubscribeGroupNoticeRequest(_)
        | Primitive::AddGroupMembersRequest(_)
        | Primitive::RemoveGroupMembersRequest(_)
        | Primitive::MemberAccessRequest(_)
        | Primitive::RejectListRequest(_)) => group::request(cx, sid, p),
        Primitive::Status(_) => Reply::Nothing,
        Primitive::LoginRequest(_) => fail(StatusCode::BAD_REQUEST),
        Primitive::Unknown(name) => {
            tracing::info!(session = %crate::redact(sid), primitive = %name, "unknown primitive");
            fail(StatusCode::NOT_IMPLEMENTED)
        }
        other => {
            tracing::debug!(session = %crate::redact(sid), primitive = other.name(), "not implemented");
            fail(StatusCode::NOT_IMPLEMENTED)
        }
    }
}
