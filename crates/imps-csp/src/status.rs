//! CSP status codes (csp-reference.md §4). A newtype, so unknown codes survive a round trip.

/// A CSP `Result/Code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 100: Continue.
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// 101: Queued.
    pub const QUEUED: StatusCode = StatusCode(101);
    /// 102: Started.
    pub const STARTED: StatusCode = StatusCode(102);
    /// 200: Successfully completed.
    pub const SUCCESS: StatusCode = StatusCode(200);
    /// 201: Partially successful.
    pub const PARTIALLY_SUCCESSFUL: StatusCode = StatusCode(201);
    /// 202: Accepted.
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// 400: Bad request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401: Unauthorized.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 402: Bad parameter.
    pub const BAD_PARAMETER: StatusCode = StatusCode(402);
    /// 403: Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404: Not found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405: Service not supported.
    pub const SERVICE_NOT_SUPPORTED: StatusCode = StatusCode(405);
    /// 406: Request timeout.
    pub const REQUEST_TIMEOUT_NOKIA: StatusCode = StatusCode(406);
    /// 408: Request timeout.
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 409: Invalid password.
    pub const INVALID_PASSWORD: StatusCode = StatusCode(409);
    /// 410: Unable to deliver.
    pub const UNABLE_TO_DELIVER: StatusCode = StatusCode(410);
    /// 415: Unsupported media type.
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 420: Invalid transaction.
    pub const INVALID_TRANSACTION: StatusCode = StatusCode(420);
    /// 422: UserID and ClientID do not match.
    pub const USERID_CLIENTID_MISMATCH: StatusCode = StatusCode(422);
    /// 423: Invalid invitation ID.
    pub const INVALID_INVITATION_ID: StatusCode = StatusCode(423);
    /// 424: Invalid search ID.
    pub const INVALID_SEARCH_ID: StatusCode = StatusCode(424);
    /// 425: Invalid search index.
    pub const INVALID_SEARCH_INDEX: StatusCode = StatusCode(425);
    /// 426: Invalid message ID.
    pub const INVALID_MESSAGE_ID: StatusCode = StatusCode(426);
    /// 431: Unauthorized group membership.
    pub const UNAUTHORIZED_GROUP_MEMBERSHIP: StatusCode = StatusCode(431);
    /// 432: Response too large.
    pub const RESPONSE_TOO_LARGE: StatusCode = StatusCode(432);
    /// 500: Internal server or network error.
    pub const INTERNAL_ERROR: StatusCode = StatusCode(500);
    /// 501: Not implemented.
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 502: Could not recover session.
    pub const COULD_NOT_RECOVER_SESSION: StatusCode = StatusCode(502);
    /// 503: Service unavailable.
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 504: Timeout.
    pub const TIMEOUT: StatusCode = StatusCode(504);
    /// 505: Version not supported.
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);
    /// 506: Service not agreed.
    pub const SERVICE_NOT_AGREED: StatusCode = StatusCode(506);
    /// 507: Message queue full.
    pub const MESSAGE_QUEUE_FULL: StatusCode = StatusCode(507);
    /// 516: Domain not supported.
    pub const DOMAIN_NOT_SUPPORTED: StatusCode = StatusCode(516);
    /// 521: Unresponded presence request.
    pub const UNRESPONDED_PRESENCE_REQUEST: StatusCode = StatusCode(521);
    /// 522: Unresponded group request.
    pub const UNRESPONDED_GROUP_REQUEST: StatusCode = StatusCode(522);
    /// 531: Unknown user.
    pub const UNKNOWN_USER: StatusCode = StatusCode(531);
    /// 532: Recipient blocked the sender.
    pub const RECIPIENT_BLOCKED_SENDER: StatusCode = StatusCode(532);
    /// 533: Recipient not logged in.
    pub const RECIPIENT_NOT_LOGGED_IN: StatusCode = StatusCode(533);
    /// 534: Recipient unauthorized.
    pub const RECIPIENT_UNAUTHORIZED: StatusCode = StatusCode(534);
    /// 535: Search timed out.
    pub const SEARCH_TIMED_OUT: StatusCode = StatusCode(535);
    /// 536: Too many hits.
    pub const TOO_MANY_HITS: StatusCode = StatusCode(536);
    /// 537: Search criteria too broad.
    pub const SEARCH_TOO_BROAD: StatusCode = StatusCode(537);
    /// 538: Message rejected.
    pub const MESSAGE_REJECTED: StatusCode = StatusCode(538);
    /// 540: Header encoding not supported.
    pub const HEADER_ENCODING_NOT_SUPPORTED: StatusCode = StatusCode(540);
    /// 541: Message forwarded.
    pub const MESSAGE_FORWARDED: StatusCode = StatusCode(541);
    /// 542: Message expired.
    pub const MESSAGE_EXPIRED: StatusCode = StatusCode(542);
    /// 543: No matching digest scheme supported.
    pub const NO_MATCHING_DIGEST_SCHEME: StatusCode = StatusCode(543);
    /// 600: Session expired.
    pub const SESSION_EXPIRED: StatusCode = StatusCode(600);
    /// 601: Forced logout.
    pub const FORCED_LOGOUT: StatusCode = StatusCode(601);
    /// 603: Already logged in.
    pub const ALREADY_LOGGED_IN: StatusCode = StatusCode(603);
    /// 604: Invalid session / not logged in.
    pub const INVALID_SESSION: StatusCode = StatusCode(604);
    /// 605: New value not accepted.
    pub const NEW_VALUE_NOT_ACCEPTED: StatusCode = StatusCode(605);
    /// 616: Insufficient rights.
    pub const INSUFFICIENT_RIGHTS: StatusCode = StatusCode(616);
    /// 700: Contact list does not exist.
    pub const CONTACT_LIST_DOES_NOT_EXIST: StatusCode = StatusCode(700);
    /// 701: Contact list already exists.
    pub const CONTACT_LIST_ALREADY_EXISTS: StatusCode = StatusCode(701);
    /// 702: Invalid or unsupported user properties.
    pub const INVALID_USER_PROPERTIES: StatusCode = StatusCode(702);
    /// 750: Invalid or unsupported presence attribute.
    pub const INVALID_PRESENCE_ATTRIBUTE: StatusCode = StatusCode(750);
    /// 751: Invalid or unsupported presence value.
    pub const INVALID_PRESENCE_VALUE: StatusCode = StatusCode(751);
    /// 752: Invalid or unsupported contact list property.
    pub const INVALID_CONTACT_LIST_PROPERTY: StatusCode = StatusCode(752);
    /// 753: The maximum number of contact lists has been reached.
    pub const MAX_CONTACT_LISTS: StatusCode = StatusCode(753);
    /// 754: The maximum number of contacts has been reached.
    pub const MAX_CONTACTS: StatusCode = StatusCode(754);
    /// 755: The maximum number of attribute lists has been reached.
    pub const MAX_ATTRIBUTE_LISTS: StatusCode = StatusCode(755);
    /// 760: Automatic subscription/unsubscription is not supported.
    pub const AUTO_SUBSCRIPTION_NOT_SUPPORTED: StatusCode = StatusCode(760);
    /// 800: Group does not exist.
    pub const GROUP_DOES_NOT_EXIST: StatusCode = StatusCode(800);
    /// 801: Group already exists.
    pub const GROUP_ALREADY_EXISTS: StatusCode = StatusCode(801);
    /// 802: Group is open.
    pub const GROUP_IS_OPEN: StatusCode = StatusCode(802);
    /// 803: Group is restricted.
    pub const GROUP_IS_RESTRICTED: StatusCode = StatusCode(803);
    /// 804: Group is public.
    pub const GROUP_IS_PUBLIC: StatusCode = StatusCode(804);
    /// 805: Group is private.
    pub const GROUP_IS_PRIVATE: StatusCode = StatusCode(805);
    /// 806: Invalid or unsupported group properties.
    pub const INVALID_GROUP_PROPERTIES: StatusCode = StatusCode(806);
    /// 807: Group is already joined.
    pub const ALREADY_JOINED: StatusCode = StatusCode(807);
    /// 808: Group is not joined.
    pub const NOT_JOINED: StatusCode = StatusCode(808);
    /// 809: Rejected from the group.
    pub const REJECTED_FROM_GROUP: StatusCode = StatusCode(809);
    /// 810: Not a group member.
    pub const NOT_GROUP_MEMBER: StatusCode = StatusCode(810);
    /// 811: Screen name already in use.
    pub const SCREEN_NAME_IN_USE: StatusCode = StatusCode(811);
    /// 812: Private messaging is disabled for the group.
    pub const PRIVATE_MESSAGING_DISABLED_GROUP: StatusCode = StatusCode(812);
    /// 813: Private messaging is disabled for the user.
    pub const PRIVATE_MESSAGING_DISABLED_USER: StatusCode = StatusCode(813);
    /// 814: The maximum number of groups has been reached for the user.
    pub const MAX_GROUPS_USER: StatusCode = StatusCode(814);
    /// 815: The maximum number of groups has been reached for the server.
    pub const MAX_GROUPS_SERVER: StatusCode = StatusCode(815);
    /// 816: Insufficient group privileges.
    pub const INSUFFICIENT_GROUP_PRIVILEGES: StatusCode = StatusCode(816);
    /// 817: The maximum number of joined users has been reached.
    pub const MAX_JOINED_USERS: StatusCode = StatusCode(817);
    /// 821: History is not supported.
    pub const HISTORY_NOT_SUPPORTED: StatusCode = StatusCode(821);
    /// 822: A searchable group needs a name or topic.
    pub const SEARCHABLE_GROUP_NEEDS_NAME: StatusCode = StatusCode(822);
    /// 900: Multiple errors.
    pub const MULTIPLE_ERRORS: StatusCode = StatusCode(900);
    /// 901: General address error.
    pub const GENERAL_ADDRESS_ERROR: StatusCode = StatusCode(901);
    /// 902: Not enough credit.
    pub const NOT_ENOUGH_CREDIT: StatusCode = StatusCode(902);
    /// 903: Operation requires a higher class of service.
    pub const HIGHER_CLASS_OF_SERVICE: StatusCode = StatusCode(903);
    /// 920: MSISDN error.
    pub const MSISDN_ERROR: StatusCode = StatusCode(920);

    /// The standard description of the code, if it is one we know.
    pub fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            100 => "Continue",
            101 => "Queued",
            102 => "Started",
            200 => "Successfully completed",
            201 => "Partially successful",
            202 => "Accepted",
            400 => "Bad request",
            401 => "Unauthorized",
            402 => "Bad parameter",
            403 => "Forbidden",
            404 => "Not found",
            405 => "Service not supported",
            406 => "Request timeout",
            408 => "Request timeout",
            409 => "Invalid password",
            410 => "Unable to deliver",
            415 => "Unsupported media type",
            420 => "Invalid transaction",
            422 => "UserID and ClientID do not match",
            423 => "Invalid invitation ID",
            424 => "Invalid search ID",
            425 => "Invalid search index",
            426 => "Invalid message ID",
            431 => "Unauthorized group membership",
            432 => "Response too large",
            500 => "Internal server or network error",
            501 => "Not implemented",
            502 => "Could not recover session",
            503 => "Service unavailable",
            504 => "Timeout",
            505 => "Version not supported",
            506 => "Service not agreed",
            507 => "Message queue full",
            516 => "Domain not supported",
            521 => "Unresponded presence request",
            522 => "Unresponded group request",
            531 => "Unknown user",
            532 => "Recipient blocked the sender",
            533 => "Recipient not logged in",
            534 => "Recipient unauthorized",
            535 => "Search timed out",
            536 => "Too many hits",
            537 => "Search criteria too broad",
            538 => "Message rejected",
            540 => "Header encoding not supported",
            541 => "Message forwarded",
            542 => "Message expired",
            543 => "No matching digest scheme supported",
            600 => "Session expired",
            601 => "Forced logout",
            603 => "Already logged in",
            604 => "Invalid session / not logged in",
            605 => "New value not accepted",
            616 => "Insufficient rights",
            700 => "Contact list does not exist",
            701 => "Contact list already exists",
            702 => "Invalid or unsupported user properties",
            750 => "Invalid or unsupported presence attribute",
            751 => "Invalid or unsupported presence value",
            752 => "Invalid or unsupported contact list property",
            753 => "The maximum number of contact lists has been reached",
            754 => "The maximum number of contacts has been reached",
            755 => "The maximum number of attribute lists has been reached",
            760 => "Automatic subscription/unsubscription is not supported",
            800 => "Group does not exist",
            801 => "Group already exists",
            802 => "Group is open",
            803 => "Group is restricted",
            804 => "Group is public",
            805 => "Group is private",
            806 => "Invalid or unsupported group properties",
            807 => "Group is already joined",
            808 => "Group is not joined",
            809 => "Rejected from the group",
            810 => "Not a group member",
            811 => "Screen name already in use",
            812 => "Private messaging is disabled for the group",
            813 => "Private messaging is disabled for the user",
            814 => "The maximum number of groups has been reached for the user",
            815 => "The maximum number of groups has been reached for the server",
            816 => "Insufficient group privileges",
            817 => "The maximum number of joined users has been reached",
            821 => "History is not supported",
            822 => "A searchable group needs a name or topic",
            900 => "Multiple errors",
            901 => "General address error",
            902 => "Not enough credit",
            903 => "Operation requires a higher class of service",
            920 => "MSISDN error",
            _ => return None,
        })
    }

    /// 2xx: the request succeeded, wholly or in part.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.description() {
            Some(d) => write!(f, "{} {}", self.0, d),
            None => write!(f, "{}", self.0),
        }
    }
}
