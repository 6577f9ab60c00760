//! Fundamental features: search, invitations, VerifyID, Extended (§3.2).

use crate::element;

element! {
    /// `Search-Request` (stub: fields to be modelled).
    pub struct SearchRequest {}
}

element! {
    /// `Search-Response` (stub: fields to be modelled).
    pub struct SearchResponse {}
}

element! {
    /// `StopSearch-Request` (stub: fields to be modelled).
    pub struct StopSearchRequest {}
}

element! {
    /// `Invite-Request` (stub: fields to be modelled).
    pub struct InviteRequest {}
}

element! {
    /// `Invite-Response` (stub: fields to be modelled).
    pub struct InviteResponse {}
}

element! {
    /// `InviteUser-Request` (stub: fields to be modelled).
    pub struct InviteUserRequest {}
}

element! {
    /// `InviteUser-Response` (stub: fields to be modelled).
    pub struct InviteUserResponse {}
}

element! {
    /// `CancelInvite-Request` (stub: fields to be modelled).
    pub struct CancelInviteRequest {}
}

element! {
    /// `CancelInviteUser-Request` (stub: fields to be modelled).
    pub struct CancelInviteUserRequest {}
}

element! {
    /// `VerifyID-Request` (stub: fields to be modelled).
    pub struct VerifyIdRequest {}
}

element! {
    /// `Extended-Request` (stub: fields to be modelled).
    pub struct ExtendedRequest {}
}

element! {
    /// `Extended-Response` (stub: fields to be modelled).
    pub struct ExtendedResponse {}
}
