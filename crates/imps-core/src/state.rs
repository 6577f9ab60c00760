//! The engine's in-memory state: users, sessions, their queues and subscriptions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::hash::{HashMap, HashSet};

use imps_csp::model::attributes::PresenceSubList;
use imps_csp::model::common::ClientId;
use imps_csp::model::im::{DeliveryReportRequest, NewMessage};
use imps_csp::{CspVersion, Primitive};
use serde::{Deserialize, Serialize};

use crate::store::{ContactListRecord, MessageRecord, UserRecord};

/// Everything the engine knows, behind one lock.
#[derive(Default)]
pub(crate) struct State {
    pub users: HashMap<String, UserState>,
    pub sessions: HashMap<String, SessionState>,
    /// Sessions that ended recently, with the status code later requests get (600/601/603).
    pub ended: HashMap<String, (u16, u64)>,
    /// Outstanding login challenges by user: (cookie, challenge), oldest first, at most
    /// `MAX_CHALLENGES_PER_USER` (they are handed out before any password check).
    pub challenges: HashMap<String, VecDeque<(String, Challenge)>>,
    /// Users whose watcher history changed since it was last saved (saved on the next tick:
    /// a history time lost in a crash loses no promise, so it need not hold up a request).
    pub history_dirty: HashSet<String>,
    /// (user, SessionCookie) of sessions the server ended (600, 601, 603), with when: a
    /// client logging in with such a cookie believes it recovers a session that is gone and
    /// gets 502, so that it starts afresh (negotiates, subscribes) instead.
    pub ended_cookies: HashMap<(String, String), u64>,
    /// Every inbox message by (expiry time, recipient, MessageID): the once-a-second expiry
    /// looks at the few that are due instead of at every stored message.
    pub expiries: BTreeSet<(u64, String, String)>,
    /// Groups with a Validity by (expiry time, home account, group id): looked at once a
    /// second like the messages; an entry no longer true (the group changed or went) is
    /// skipped.
    pub group_expiries: BTreeSet<(u64, String, String)>,
    /// Live sessions by CIR token.
    pub cir_tokens: HashMap<String, String>,
    /// This shard's index (SessionIDs it hands out start with it).
    pub shard: usize,
    /// Requests parked until other owners answer, by op id.
    pub pending: HashMap<u64, crate::route::PendingRequest>,
    /// The last op id handed out.
    pub next_op: u64,
    /// The last request ticket handed out (a parked request's answer names its ticket).
    pub next_ticket: u64,
    /// Where the shard's commit stream stands.
    pub pos: crate::durable::Position,
    /// Writes made outside a call (loading an account found an unreadable document): the
    /// shard's next batch carries them.
    pub deferred_writes: Vec<crate::store::Write>,
    /// Accounts loaded from the store on demand so far.
    pub loads: u64,
    /// Search results read from the store ahead of their request, without the lock, by
    /// session: (query key, hits). Taken by the request; a newer one replaces an older.
    pub searched_ahead: HashMap<String, (String, Vec<String>)>,
    /// Messages whose delivery was decided recently (refused, or taken into an inbox and since
    /// acknowledged, expired or rejected): a `Deliver` the router repeats (at-least-once)
    /// answers as the first one did instead of delivering the message again.
    pub done: Done,
    /// Names the store recently said no account has: a message or subscription to one of them
    /// does not read the store again (an attacker naming random users costs no reads). Forgotten
    /// when accounts change (`Engine::refresh_user`, `Engine::sync_loaded`).
    pub unknown: Unknown,
    /// Where the shard's SessionIDs, MessageIDs and nonces come from.
    pub rng: Entropy,
    /// The latest time a call on this shard was made at.
    pub clock: u64,
    /// Accounts that may have become idle, with since when, oldest first: loaded from the
    /// store, or their last session ended. The tick unloads those still idle
    /// (`EngineConfig::unload_after`).
    pub idle: VecDeque<(u64, String)>,
    /// Accounts unloaded so far.
    pub unloads: u64,
    /// Changes whenever memory stops agreeing with an account read from the store earlier:
    /// an account left memory (unloaded, deleted, brought back after a failed commit) or
    /// accounts changed in the store. An account read without the shard's lock is installed
    /// only if this did not change while it was read ([`crate::load::install_read`]).
    pub generation: u64,
}

impl State {
    /// Whether the shard knows what the store has of account `id` without reading it: the
    /// account is in memory, or the store recently said there is none.
    pub fn knows(&self, id: &str) -> bool {
        self.users.contains_key(id) || self.unknown.contains(id)
    }
}

/// A shard's random numbers: a CSPRNG (ChaCha) seeded from the operating system, or from a
/// simulation's seed so that a run replays exactly.
pub(crate) struct Entropy(rand::rngs::StdRng);

impl Default for Entropy {
    fn default() -> Entropy {
        use rand::SeedableRng as _;
        Entropy(rand::rngs::StdRng::from_os_rng())
    }
}

impl Entropy {
    /// Seeded: the same numbers every time (simulation only).
    #[cfg(test)]
    pub fn seeded(seed: u64) -> Entropy {
        use rand::SeedableRng as _;
        Entropy(rand::rngs::StdRng::seed_from_u64(seed))
    }

    /// `n` (at most 32) random bytes as lower-case hex.
    pub fn hex(&mut self, n: usize) -> String {
        use rand::RngCore as _;
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = [0u8; 32];
        let bytes = &mut bytes[..n.min(32)];
        self.0.fill_bytes(bytes);
        let mut hex = String::with_capacity(2 * bytes.len());
        for b in bytes.iter() {
            hex.push(char::from(DIGITS[usize::from(b >> 4)]));
            hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        hex
    }
}

/// A bounded set of names without an account, by 64-bit hash, oldest forgotten first.
#[derive(Default)]
pub(crate) struct Unknown {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Unknown {
    /// Most names remembered per shard.
    pub const MAX: usize = 100_000;

    fn key(id: &str) -> u64 {
        hash_key(&id)
    }

    /// Remembers that `id` has no account.
    pub fn insert(&mut self, id: &str) {
        let k = Self::key(id);
        if self.set.insert(k) {
            self.order.push_back(k);
            while self.order.len() > Self::MAX {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    /// Whether `id` is known to have no account.
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(&Self::key(id))
    }

    /// Forgets `id` (an account of that name may exist now).
    pub fn remove(&mut self, id: &str) {
        let k = Self::key(id);
        if self.set.remove(&k) {
            self.order.retain(|o| *o != k);
        }
    }

    /// Forgets everything (accounts changed).
    pub fn clear(&mut self) {
        self.set.clear();
        self.order.clear();
    }
}

/// A 64-bit key of `value`, the same in every run (the bounded memories below keep keys, not
/// the names themselves).
fn hash_key(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Recently decided messages, by a 64-bit hash of (recipient, MessageID), with the status
/// code their delivery was answered (200 for taken), kept for [`Done::WINDOW`] seconds and at
/// most [`Done::MAX`] of them (memory is bounded by the message rate, not by the number of
/// users).
#[derive(Default)]
pub(crate) struct Done {
    answers: HashMap<u64, u16>,
    order: VecDeque<(u64, u64)>,
}

impl Done {
    /// How long a finished message is remembered: far longer than a router redelivers.
    pub const WINDOW: u64 = 600;
    /// Most messages remembered per shard.
    pub const MAX: usize = 200_000;

    fn key(recipient: &str, id: &str) -> u64 {
        hash_key(&(recipient, id))
    }

    /// Remembers that delivering `id` to `recipient` was answered `code` at `now`.
    pub fn insert(&mut self, recipient: &str, id: &str, code: u16, now: u64) {
        while self
            .order
            .front()
            .is_some_and(|(at, _)| at + Self::WINDOW < now || self.order.len() >= Self::MAX)
        {
            if let Some((_, k)) = self.order.pop_front() {
                self.answers.remove(&k);
            }
        }
        let k = Self::key(recipient, id);
        if self.answers.insert(k, code).is_none() {
            self.order.push_back((now, k));
        }
    }

    /// How delivering `id` to `recipient` was answered, if that was decided recently.
    pub fn answer(&self, recipient: &str, id: &str) -> Option<u16> {
        self.answers.get(&Self::key(recipient, id)).copied()
    }
}

/// A login challenge handed out in a 401 Login-Response.
pub(crate) struct Challenge {
    pub nonce: String,
    pub scheme: &'static str,
    pub expires: u64,
    /// The address the first leg came from.
    pub source: Option<std::net::IpAddr>,
}

/// One account and what it owns.
pub(crate) struct UserState {
    pub record: UserRecord,
    /// Published presence attributes (OnlineStatus is derived from `sessions`).
    pub presence: PresenceSubList,
    pub lists: BTreeMap<String, ContactListRecord>,
    pub blocking: Blocking,
    pub auth: Authorisation,
    /// Undelivered messages by MessageID, in acceptance order of `inbox_order`.
    pub inbox: HashMap<String, Stored>,
    pub inbox_order: VecDeque<String>,
    /// Undelivered messages in `inbox` by sender (the per-sender share is checked on every
    /// SendMessage: a count, not a scan of the inbox).
    pub inbox_senders: HashMap<String, usize>,
    pub sessions: Vec<String>,
    /// Who watches this user: watcher session id (on any shard) -> its user and the
    /// attributes it wants.
    pub watchers: HashMap<String, Watching>,
    /// What this user may see of the presentities its sessions watch, as their owners last
    /// sent it (`Notify`): notifications to this user's sessions are built from it.
    pub seen: HashMap<String, PresenceSubList>,
    /// Users that ever watched this user, with when they last did (GetWatcherList history).
    pub watcher_history: BTreeMap<String, u64>,
    /// Delivery reports that came while the user was offline, for its next login.
    pub pending_reports: VecDeque<DeliveryReportRequest>,
    /// Messages the user may still send right now (a token bucket) and when it was filled.
    pub send_tokens: (f64, u64),
    /// The last batch of the shard's commit stream that wrote to this account: it is not
    /// unloaded before that batch settled (read back sooner, it would come without it).
    pub written: u64,
    /// The groups this account is home to (`wv:<user>/<name>@<domain>`), by group id.
    pub groups: BTreeMap<String, crate::group::GroupState>,
    /// The groups the user joins at login (its own property AutoJoin in each; durable).
    pub auto_join: BTreeSet<String>,
    /// The public profile the user published (`PP_*` fields, durable).
    pub profile: crate::feature::profile::Profile,
    /// The user's answers to system messages, oldest first (durable).
    pub system_answers: Vec<crate::feature::system::SystemAnswer>,
    /// Invitations waiting for this user's answer, oldest first (durable).
    pub invitations: Vec<crate::feature::invite::Invitation>,
    /// Server requests that came while the user was offline (answers to its invitations), as
    /// CSP 1.3 WBXML documents, oldest first, for its next session (durable).
    pub notices: Vec<Vec<u8>>,
    /// Invitations this user sent, by InviteID: (invitees, expiry), for CancelInvite.
    pub invites_sent: HashMap<String, (Vec<String>, u64)>,
}

impl UserState {
    /// Puts a message in the inbox (and counts it for its sender).
    pub fn inbox_insert(&mut self, id: String, stored: Stored) {
        *self
            .inbox_senders
            .entry(stored.record.sender.clone())
            .or_default() += 1;
        if let Some(old) = self.inbox.insert(id, stored) {
            self.uncount(&old.record.sender);
        }
    }

    /// Takes a message out of the inbox (and uncounts it).
    pub fn inbox_remove(&mut self, id: &str) -> Option<Stored> {
        let stored = self.inbox.remove(id)?;
        self.uncount(&stored.record.sender);
        Some(stored)
    }

    fn uncount(&mut self, sender: &str) {
        if let Some(n) = self.inbox_senders.get_mut(sender) {
            *n -= 1;
            if *n == 0 {
                self.inbox_senders.remove(sender);
            }
        }
    }

    pub fn new(record: UserRecord) -> Self {
        UserState {
            record,
            presence: PresenceSubList::default(),
            lists: BTreeMap::new(),
            blocking: Blocking::default(),
            auth: Authorisation::default(),
            inbox: HashMap::default(),
            inbox_order: VecDeque::new(),
            inbox_senders: HashMap::default(),
            sessions: Vec::new(),
            watchers: HashMap::default(),
            seen: HashMap::default(),
            watcher_history: BTreeMap::new(),
            pending_reports: VecDeque::new(),
            send_tokens: (f64::MAX, 0),
            written: 0,
            groups: BTreeMap::new(),
            auto_join: BTreeSet::new(),
            invitations: Vec::new(),
            system_answers: Vec::new(),
            profile: Default::default(),
            notices: Vec::new(),
            invites_sent: HashMap::default(),
        }
    }
}

/// One watcher session of a presentity.
#[derive(Clone, Debug)]
pub(crate) struct Watching {
    /// The watcher session's user.
    pub user: String,
    /// The attributes the subscription asked for (`None` = all).
    pub wanted: Option<AttrSet>,
}

/// A set of presence attribute names (bit i = `PresenceSubList::ATTRIBUTES[i]`): what a
/// subscription asks for, in four bytes instead of a whole request sub-list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AttrSet(u32);

impl AttrSet {
    /// The attributes a request sub-list names; `None` (= all) for an empty one.
    pub fn of(p: &PresenceSubList) -> Option<AttrSet> {
        if p.is_empty() {
            return None;
        }
        let mut bits = 0u32;
        for n in p.names() {
            if let Some(i) = PresenceSubList::ATTRIBUTES.iter().position(|a| *a == n) {
                bits |= 1 << i;
            }
        }
        Some(AttrSet(bits))
    }

    /// The set as bits (bit i = `PresenceSubList::ATTRIBUTES[i]`), for the wire.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The set of `bits` (see [`AttrSet::bits`]).
    pub fn from_bits(bits: u32) -> AttrSet {
        AttrSet(bits)
    }

    /// Whether attribute `name` is in the set.
    pub fn contains(self, name: &str) -> bool {
        PresenceSubList::ATTRIBUTES
            .iter()
            .position(|a| a.eq_ignore_ascii_case(name))
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// A message in a recipient's inbox.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub record: MessageRecord,
    pub message: NewMessage,
}

/// Block and grant lists (BlockEntity-Request), by entity id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Blocking {
    pub block_in_use: bool,
    pub grant_in_use: bool,
    pub block: Vec<String>,
    pub grant: Vec<String>,
}

/// Proactive (attribute lists) and reactive presence authorisation granted by a presentity.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Authorisation {
    /// The default attribute list (names of attributes), if any.
    pub default: Option<Vec<String>>,
    /// Per-user attribute lists.
    pub users: BTreeMap<String, Vec<String>>,
    /// Per-contact-list attribute lists.
    pub lists: BTreeMap<String, Vec<String>>,
    /// Reactive authorisation decisions per watcher.
    pub reactive: BTreeMap<String, Reactive>,
}

/// A reactive authorisation decision.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Reactive {
    /// `GRANTED`, `DENIED` or `PENDING`.
    pub state: String,
    /// Attributes granted (empty = all requested).
    pub attributes: Vec<String>,
}

/// How a session receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeliveryMethod {
    Push,
    Notify,
}

/// What capability negotiation agreed.
#[derive(Clone, Debug)]
pub(crate) struct Agreed {
    pub delivery: DeliveryMethod,
    pub any_content: bool,
    /// The AcceptedContentType entries that parsed as media types.
    pub content_types: Vec<crate::media::MediaType>,
    pub content_length: Option<u32>,
    /// The ParserSize the client gave (1.3: larger answers go in segments).
    pub parser_size: Option<u32>,
    pub cir_methods: Vec<String>,
    pub udp_port: Option<u32>,
}

impl Default for Agreed {
    fn default() -> Self {
        Agreed {
            delivery: DeliveryMethod::Push,
            any_content: true,
            content_types: Vec::new(),
            content_length: None,
            parser_size: None,
            cir_methods: Vec::new(),
            udp_port: None,
        }
    }
}

/// What a queued server request is about (for coalescing and acknowledgement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum About {
    /// A message of the user's inbox.
    Message(String),
    /// Presence of one presentity (coalesced: a newer one replaces a queued one).
    Presence(String),
    /// Session end.
    Disconnect,
    Other,
}

/// A server-initiated request waiting for the client.
#[derive(Clone, Debug)]
pub(crate) struct Queued {
    /// The request; `None` for a presence notification, built from the current presence when
    /// it is handed out (a queued notification then costs a few bytes, not kilobytes, and is
    /// never stale).
    pub primitive: Option<Box<Primitive>>,
    pub about: About,
}

/// One logged-in client.
pub(crate) struct SessionState {
    pub id: String,
    /// The token of the session's CIR channels (HTTP CIR URL, TCP HELO): not the SessionID,
    /// so that a side channel is no oracle for session ids.
    pub cir_token: String,
    pub user: String,
    pub version: CspVersion,
    pub cookie: Option<String>,
    pub client_id: Option<ClientId>,
    pub last_active: u64,
    /// When the session logged in (seconds since the epoch).
    pub started: u64,
    /// The address the login came from (what `impsd session list` shows).
    pub peer: Option<std::net::IpAddr>,
    pub keep_alive: u32,
    pub agreed: Agreed,
    /// Agreed function codes; `None` until Service negotiation (then everything is allowed).
    pub functions: Option<HashSet<String>>,
    pub negotiated_capabilities: bool,
    pub outbox: VecDeque<Queued>,
    /// Handed out, not yet acknowledged: (transaction id, request, when handed out).
    pub in_flight: VecDeque<(String, Queued, u64)>,
    pub next_tid: u64,
    /// Recent responses for TransactionID replay: (id, request fingerprint, response as
    /// WBXML).
    pub replay: VecDeque<(String, u64, Vec<u8>)>,
    /// Presence subscriptions: presentity -> wanted attributes (`None` = all).
    pub subscriptions: HashMap<String, Option<AttrSet>>,
    /// Contact lists subscribed with AutoSubscribe.
    pub auto_lists: HashSet<String>,
    /// Whether the inbox was queued into this session yet.
    pub inbox_queued: bool,
    /// The groups the session is joined to (it leaves them when it ends).
    pub groups: BTreeSet<String>,
    /// Delivery methods the session chose for one group's messages (SetDeliveryMethod with
    /// GroupID).
    pub group_delivery: HashMap<String, DeliveryMethod>,
    /// Notification types the session asked for (SubscribeNotification, upper case).
    pub notifications: HashSet<String>,
    /// Answers kept in segments for the client to fetch (1.3).
    pub segments: crate::feature::segment::Kept,
    /// Search result sets kept for paging, by SearchID.
    pub searches: crate::feature::search::ResultSets,
    /// The last SearchID handed out.
    pub next_search: u32,
}

#[cfg(test)]
mod entropy_tests {
    use super::Entropy;

    /// Ids are `2n` lower-case hex digits, different every time, and the same from a seed.
    #[test]
    fn hex_ids() {
        let mut rng = Entropy::default();
        let a = rng.hex(12);
        let b = rng.hex(12);
        assert_eq!(a.len(), 24);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_eq!(Entropy::seeded(9).hex(16), Entropy::seeded(9).hex(16));
        assert_eq!(rng.hex(15).len(), 30);
    }
}
