//! Engine settings: every bound and default the engine applies.

/// Engine settings. `Default` gives the values documented in `docs/configuration.md`.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Shards the users are spread over, 1 to 256: each owns its users, and what a request
    /// does to another shard's user travels as a routed event (ARCHITECTURE.md).
    pub shards: usize,
    /// Domain given to addresses that have none (`alice` -> `wv:alice@<domain>`).
    pub default_domain: String,
    /// KeepAliveTime granted when the client asks for none (seconds).
    pub keep_alive_time: u32,
    /// Smallest TimeToLive accepted (seconds); a smaller request is raised to it.
    pub min_time_to_live: u32,
    /// Largest TimeToLive accepted (seconds); a larger request is lowered to it. A KeepAlive
    /// asking for more than this is answered 605.
    pub max_time_to_live: u32,
    /// ServerPollMin stated in capability negotiation (seconds).
    pub server_poll_min: u32,
    /// Most live sessions one user may have; a further login replaces the oldest (603).
    pub max_sessions_per_user: usize,
    /// Whether 4-way (MD5/SHA digest) login is offered. Needs the password kept recoverably.
    pub digest_login: bool,
    /// Whether a Login-Request must name its client (`ClientID` with a URL or MSISDN); one
    /// without gets 422 (UserID and ClientID do not match).
    pub require_client_id: bool,
    /// Whether a session is bound to the ClientID of its login: a later request naming
    /// another ClientID gets 604. Off by default: the Motorola Razr sends a new random
    /// ClientID URL with every request (csp-reference §11.2).
    pub bind_client_id: bool,
    /// Lifetime of a login nonce (seconds).
    pub nonce_lifetime: u64,
    /// Most contact lists per user (753 beyond).
    pub max_contact_lists: usize,
    /// Most members per contact list (754 beyond).
    pub max_list_members: usize,
    /// Most attribute lists (per-user and per-list authorisations) per user (755 beyond).
    pub max_attribute_lists: usize,
    /// Most entries in a user's block list, and in its grant list (754 beyond).
    pub max_block_entries: usize,
    /// Most queued server requests per session (older presence notifications are coalesced;
    /// messages stay in the durable inbox and are queued again later).
    pub max_outbox: usize,
    /// Most undelivered messages kept per recipient (507 beyond).
    pub max_inbox: usize,
    /// Validity given to messages that state none (seconds).
    pub default_validity: u32,
    /// Largest validity accepted (seconds).
    pub max_validity: u32,
    /// Largest message content accepted (bytes).
    pub max_message_bytes: u32,
    /// Most recipients of one SendMessage (after expanding contact lists).
    pub max_recipients: usize,
    /// Most presence subscriptions per session.
    pub max_subscriptions: usize,
    /// Most groups one user may own (CreateGroup beyond: 814).
    pub max_groups_per_user: usize,
    /// Most groups on the server, all users together (CreateGroup beyond: 815).
    pub max_groups: u64,
    /// Most sessions joined to one group at once (JoinGroup beyond: 817); a group's
    /// MaxActiveUsers may only lower it.
    pub max_joined_per_group: usize,
    /// Most groups one session may be joined to at once (JoinGroup beyond: 503).
    pub max_joined_groups: usize,
    /// Most members of one group, and most users on its reject list (402 beyond).
    pub max_group_members: usize,
    /// Most hits a search may find (536 beyond: the client narrows its criteria).
    pub max_search_hits: usize,
    /// Seconds a search result set is kept for paging (424 after).
    pub search_lifetime: u64,
    /// The map service GetMap answers with (`{lat}`, `{lon}`, `{query}` filled in); `None`:
    /// GetMap is not offered.
    pub map_url: Option<String>,
    /// Most transactions accepted in one message (MultiTrans offered).
    pub max_multi_trans: u32,
    /// Responses kept per session for TransactionID replay.
    pub replay_cache: usize,
    /// Seconds after which a server request handed out in a poll and not acknowledged is
    /// handed out again.
    pub in_flight_timeout: u64,
    /// Presence attributes a watcher sees when the presentity defined no attribute list at all:
    /// `true` = all attributes (open community), `false` = OnlineStatus only.
    pub open_presence: bool,
    /// GetSPInfo `Name`.
    pub sp_name: String,
    /// GetSPInfo `Description`.
    pub sp_description: Option<String>,
    /// GetSPInfo `URL`.
    pub sp_url: Option<String>,
    /// Largest stored presence of a user (the encoded document, bytes): an update beyond gets
    /// 402 and changes nothing.
    pub max_presence_bytes: usize,
    /// Most presentities one GetPresence-Request may name (lists expanded): 402 beyond.
    pub max_presence_targets: usize,
    /// Most bytes one SendMessage may fan out (content × recipients): 402 beyond.
    pub max_fanout_bytes: usize,
    /// Messages a user may send at once…
    pub messages_burst: f64,
    /// …and per second after that (SendMessage/ForwardMessage beyond: 503).
    pub messages_per_second: f64,
    /// Undelivered messages one sender may have in one recipient's inbox: 507 for that
    /// recipient beyond (one sender cannot fill a victim's inbox for everyone).
    pub max_inbox_per_sender: usize,
    /// Standalone TCP CIR endpoint announced in capability negotiation (address, port).
    pub tcp_cir: Option<(String, u16)>,
    /// Standalone HTTP CIR URL announced in capability negotiation.
    pub http_cir_url: Option<String>,
    /// Whether standalone UDP CIR is offered.
    pub udp_cir: bool,
    /// Seconds an account loaded from the store stays in memory once nothing needs it (no
    /// session, nobody watching it); then it is dropped from memory and read again when next
    /// needed. 0 keeps every loaded account until restart.
    pub unload_after: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            shards: 1,
            unload_after: 600,
            default_domain: "localhost".into(),
            keep_alive_time: 600,
            min_time_to_live: 60,
            max_time_to_live: 7200,
            server_poll_min: 30,
            max_sessions_per_user: 4,
            digest_login: true,
            require_client_id: false,
            bind_client_id: false,
            nonce_lifetime: 120,
            max_contact_lists: 32,
            max_list_members: 1000,
            max_attribute_lists: 64,
            max_block_entries: 1000,
            max_outbox: 1000,
            max_inbox: 1000,
            default_validity: 7 * 24 * 3600,
            max_validity: 30 * 24 * 3600,
            max_message_bytes: 64 * 1024,
            max_recipients: 100,
            max_subscriptions: 2000,
            max_groups_per_user: 32,
            max_groups: 1_000_000,
            max_joined_per_group: 2000,
            max_joined_groups: 64,
            max_group_members: 5000,
            max_search_hits: 500,
            search_lifetime: 600,
            map_url: None,
            max_multi_trans: 8,
            replay_cache: 8,
            in_flight_timeout: 60,
            open_presence: true,
            sp_name: "impsd".into(),
            sp_description: Some("An OMA IMPS server".into()),
            sp_url: None,
            max_presence_bytes: 16 * 1024,
            max_presence_targets: 1000,
            max_fanout_bytes: 1 << 20,
            messages_burst: 20.0,
            messages_per_second: 5.0,
            max_inbox_per_sender: 100,
            tcp_cir: None,
            http_cir_url: None,
            udp_cir: false,
        }
    }
}
