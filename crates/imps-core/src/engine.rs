//! The engine: one request message in, one response message (and durable writes, wake-ups)
//! out. No sockets, no SQL, no clock: time comes in as `now` (seconds since the epoch).

use crate::hash::HashSet;

use imps_csp::model::common::Status;
use imps_csp::{
    Address, CspVersion, Primitive, SessionType, StatusCode, Transaction, TransactionMode,
    WvCspMessage,
};
use parking_lot::Mutex;
use std::collections::VecDeque;

use crate::config::EngineConfig;
use crate::durable::{Commits, Durable};
use crate::route::{self, Event, OpRef, PendingRequest, ShardId, Slot};
use crate::shard::{Shard, ShardRef};
use crate::state::{About, Queued, SessionState, State};
use crate::store::{Snapshot, Store, Write};
use crate::{feature, load};

/// A request to wake a session through its CIR channel (the session has queued requests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wake {
    /// The session to wake.
    pub session_id: String,
    /// Its SessionCookie (the CIR payload is `WVCI <version> <cookie>`).
    pub cookie: Option<String>,
    /// Its CSP version.
    pub version: CspVersion,
    /// The CIR methods agreed for it (`STCP`, `SUDP`, `SHTTP`, ...), in preference order.
    pub methods: Vec<String>,
    /// UDP port for SUDP.
    pub udp_port: Option<u32>,
}

/// Where a request reached the server: the addresses its session is told for CIR channels
/// when the operator configured none (csp-reference §11.1: a client needs a channel it can
/// reach, and the listen address may be `0.0.0.0`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Host announced as `TCPAddress` for standalone TCP CIR.
    pub tcp_cir_host: Option<String>,
    /// URL announced for standalone HTTP CIR (without the `?token=` query).
    pub http_cir_url: Option<String>,
    /// The client's address (login challenges are kept per source address).
    pub peer: Option<std::net::IpAddr>,
}

/// What handling one request (or one tick) produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The response message; `None` = an empty HTTP 200 body.
    pub response: Option<WvCspMessage>,
    /// Durable writes to commit before the response is sent (an engine without a store;
    /// one [`Engine::with_store`] submitted them itself, in its shards' order).
    pub writes: Vec<Write>,
    /// The submitted writes this outcome depends on: await [`Durable::wait`] before the
    /// response or the wake-ups are released.
    pub durable: Durable,
    /// Sessions to wake through CIR.
    pub wakes: Vec<Wake>,
    /// Sessions that ended (their CIR channels are to be closed).
    pub ended: Vec<String>,
    /// Effects on other owners, not yet applied (the engine applies them before it returns).
    pub(crate) events: Vec<Event>,
    /// Answers of parked requests that completed: (ticket, answer).
    pub(crate) responses: Vec<(u64, Option<WvCspMessage>)>,
    /// The response already encoded as WBXML (it was, for the replay cache): what
    /// `imps_csp::encode_wbxml(response)` gives, for a server to send as it is to a WBXML
    /// client, unless it changes the response first.
    pub response_wbxml: Option<Vec<u8>>,
    /// WBXML encodings of answers, by ticket (see `response_wbxml`).
    pub(crate) encoded: Vec<(u64, Vec<u8>)>,
}

/// An effect on another owner in transit between shards (see [`Engine::submit`]).
#[doc(hidden)]
pub struct Routed(Event);

impl Routed {
    /// The shard (of `shards`) that applies it.
    pub fn owner(&self, shards: usize) -> usize {
        route::owner_of(&self.0, shards)
    }

    /// What to route instead when the outcome that carried this effect failed to become
    /// durable ([`Outcome::durable`]): a router forwards an owner's effects after that wait,
    /// and this form when it fails (a delivery becomes a 500 refusal; see ARCHITECTURE.md).
    pub fn on_failure(self) -> Routed {
        Routed(self.0.on_failure())
    }
}

impl Outcome {
    /// Takes the effects on other owners the engine left to the caller to route
    /// ([`Engine::submit`], [`Engine::apply_routed`]).
    #[doc(hidden)]
    pub fn take_routed(&mut self) -> Vec<Routed> {
        std::mem::take(&mut self.events)
            .into_iter()
            .map(Routed)
            .collect()
    }

    /// Puts `earlier`'s writes, wake-ups and ended sessions ahead of this outcome's (for an
    /// engine call made before this one whose outcome is to be acted on with it).
    pub fn after(mut self, earlier: Outcome) -> Outcome {
        let mut writes = earlier.writes;
        writes.append(&mut self.writes);
        self.writes = writes;
        let mut wakes = earlier.wakes;
        wakes.append(&mut self.wakes);
        self.wakes = wakes;
        let mut ended = earlier.ended;
        ended.append(&mut self.ended);
        self.ended = ended;
        let mut events = earlier.events;
        events.append(&mut self.events);
        self.events = events;
        self.responses.extend(earlier.responses);
        self.encoded.extend(earlier.encoded);
        self.durable.merge(earlier.durable);
        self
    }

    /// Makes the answer of the request with ticket `t` the response (a parked request's
    /// answer arrives among `responses`), with its WBXML encoding if it has one.
    fn take_answer(&mut self, t: u64) {
        if let Some(pos) = self.responses.iter().position(|(k, _)| *k == t) {
            self.response = self.responses.swap_remove(pos).1;
        }
        if let Some(pos) = self.encoded.iter().position(|(k, _)| *k == t) {
            self.response_wbxml = Some(self.encoded.swap_remove(pos).1);
        }
    }

    /// Appends what `later` produced (its response is not taken).
    fn absorb(&mut self, later: Outcome) {
        self.writes.extend(later.writes);
        self.wakes.extend(later.wakes);
        self.ended.extend(later.ended);
        self.events.extend(later.events);
        self.responses.extend(later.responses);
        self.encoded.extend(later.encoded);
        self.durable.merge(later.durable);
    }
}

/// The IMPS engine. Cheap to share (`Arc<Engine>`); every method takes `&self`.
pub struct Engine {
    pub(crate) cfg: EngineConfig,
    /// The shards, each owning the users [`route::shard_of`] places on it.
    pub(crate) shards: Vec<Shard>,
    /// Writes loading produced (quarantined copies of unreadable documents), taken once.
    startup_writes: Mutex<Vec<Write>>,
    /// The shards' commit streams, once a store is attached ([`Engine::with_store`]).
    commits: Option<Commits>,
    /// How many groups exist, on every shard (the server-wide limit, 815).
    pub(crate) groups: GroupCount,
    /// When [`Engine::load_due`] next asks the store for groups whose Validity ran out.
    next_group_scan: std::sync::atomic::AtomicU64,
}

/// How often (seconds) the store is asked for groups of unloaded accounts whose Validity ran
/// out (groups in memory go within a second).
const GROUP_SCAN_EVERY: u64 = 5;

/// The number of groups on the server, shared by the shards of one engine: the one count a
/// server-wide limit needs. Counted from the store at start ([`Engine::with_store`]); a group
/// is reserved before it is created, so two shards creating at once cannot both pass the
/// limit.
#[derive(Debug, Default)]
pub(crate) struct GroupCount(std::sync::atomic::AtomicU64);

impl GroupCount {
    /// Takes a place for one more group: false when `max` exist already.
    pub fn reserve(&self, max: u64) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.0
            .fetch_update(SeqCst, SeqCst, |n| (n < max).then_some(n + 1))
            .is_ok()
    }

    /// `n` groups went (deleted, or their account was).
    pub fn release(&self, n: usize) {
        use std::sync::atomic::Ordering::SeqCst;
        let _ = self
            .0
            .fetch_update(SeqCst, SeqCst, |c| Some(c.saturating_sub(n as u64)));
    }

    /// `n` groups more (or fewer) than were counted: an account reloaded after a failed commit.
    pub fn adjust(&self, before: usize, after: usize) {
        use std::sync::atomic::Ordering::SeqCst;
        if after > before {
            self.0.fetch_add((after - before) as u64, SeqCst);
        } else {
            self.release(before - after);
        }
    }

    /// How many there are.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn set(&self, n: u64) {
        self.0.store(n, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Context of one engine call: the state under the lock and what the call produced.
pub(crate) struct Cx<'a> {
    pub st: &'a mut State,
    pub cfg: &'a EngineConfig,
    pub now: u64,
    pub writes: Vec<Write>,
    pub wake: HashSet<String>,
    pub ended: Vec<String>,
    /// Wake-ups of sessions that ended by force (they poll and learn it).
    pub farewells: Vec<Wake>,
    /// Users whose pending delivery reports changed: saved once, when the call finishes.
    pub reports_changed: HashSet<String>,
    /// Where the request reached the server.
    pub reached: Reached,
    /// The slot of the request transaction being handled (replies of other owners name it).
    pub op: Option<OpRef>,
    /// The ticket of the request being handled.
    pub ticket: u64,
    /// Effects on other owners.
    pub events: Vec<Event>,
    /// Answers of parked requests that completed.
    pub responses: Vec<(u64, Option<WvCspMessage>)>,
    /// WBXML encodings of answers made for the replay cache, by ticket.
    pub encoded: Vec<(u64, Vec<u8>)>,
    /// Where the writes go when a store is attached (else they are returned).
    pub commits: Option<&'a Commits>,
    /// The server's groups (the server-wide limit).
    pub groups: &'a GroupCount,
}

/// A handler's answer to one request transaction.
// Returned once per request and consumed at once, never stored: boxing buys nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Reply {
    /// Answer with this primitive.
    Prim(Primitive),
    /// Answer with nothing (acknowledgements).
    Nothing,
    /// An answer that waits for other owners.
    Later(route::Op),
}

impl Reply {
    /// The primitive answered, if any (a reply still waiting answers nothing).
    pub(crate) fn into_primitive(self) -> Option<Primitive> {
        match self {
            Reply::Prim(p) => Some(p),
            Reply::Nothing | Reply::Later(_) => None,
        }
    }
}

impl From<Primitive> for Reply {
    fn from(p: Primitive) -> Self {
        Reply::Prim(p)
    }
}

/// A Status primitive with `code`.
pub(crate) fn status(code: StatusCode) -> Primitive {
    Primitive::Status(Status::new(code))
}

/// Shorthand for a failed request.
pub(crate) fn fail(code: StatusCode) -> Reply {
    Reply::Prim(status(code))
}

impl Engine {
    /// An engine holding `snapshot` (what the store loaded).
    pub fn new(cfg: EngineConfig, snapshot: Snapshot) -> Engine {
        let n = cfg.shards.max(1);
        let mut parts: Vec<Snapshot> = (0..n).map(|_| Snapshot::default()).collect();
        let owner = |user: &str| route::shard_of(user, n);
        for u in snapshot.users {
            parts[owner(&u.id)].users.push(u);
        }
        for l in snapshot.lists {
            parts[owner(&l.owner)].lists.push(l);
        }
        for m in snapshot.messages {
            parts[owner(&m.recipient)].messages.push(m);
        }
        for d in snapshot.documents {
            parts[owner(&d.user)].documents.push(d);
        }
        let mut shards = Vec::with_capacity(n);
        let mut writes = Vec::new();
        let mut counted = 0;
        for (i, part) in parts.into_iter().enumerate() {
            let (mut state, quarantine) = load::state_from(part, &cfg);
            state.shard = i;
            counted += state
                .users
                .values()
                .map(|u| u.groups.len() as u64)
                .sum::<u64>();
            writes.extend(quarantine.writes);
            shards.push(Shard::new(state));
        }
        Engine {
            cfg,
            shards,
            startup_writes: Mutex::new(writes),
            commits: None,
            groups: GroupCount(counted.into()),
            next_group_scan: Default::default(),
        }
    }

    /// Makes each shard's random ids (SessionIDs, MessageIDs, nonces) follow `seed`: the
    /// simulation replays a run exactly.
    #[cfg(test)]
    pub(crate) fn seed_for_simulation(&self, seed: u64) {
        for (i, shard) in self.all_shards().enumerate() {
            shard.lock().rng = crate::state::Entropy::seeded(seed ^ ((i as u64) << 48));
        }
    }

    /// This engine, submitting its writes to `store` itself: each shard's batches reach the
    /// store in the order the shard made them, and each outcome's [`Outcome::durable`] says
    /// what it waits for. A failed batch makes its shard reload the users it touched from the
    /// store before it serves again (`durable.rs`).
    ///
    /// The server's groups are counted in the store (its accounts are loaded only when needed):
    /// an error there is returned.
    pub fn with_store(
        mut self,
        store: std::sync::Arc<dyn Store>,
    ) -> Result<Engine, crate::store::StoreError> {
        let groups = store.count(crate::store::SearchKind::Group, crate::store::EVERY_GROUP)?;
        self.groups.set(groups);
        self.commits = Some(Commits::new(store, self.shards.len()));
        Ok(self)
    }

    /// How many groups the server has (what the server-wide limit, `max_groups`, counts).
    pub fn group_count(&self) -> u64 {
        self.groups.get()
    }

    /// A call context on a shard's state (locked by the caller). A shard with users to reload
    /// after a failed commit reloads them first.
    pub(crate) fn cx<'a>(&'a self, st: &'a mut State, now: u64) -> Cx<'a> {
        st.clock = st.clock.max(now);
        let mut cx = Cx::new(st, &self.cfg, &self.groups, now);
        cx.commits = self.commits.as_ref();
        if let Some(commits) = &self.commits {
            if commits.diverged(cx.st.shard) {
                recover(&mut cx, commits);
            }
        }
        // An expired message is never handed out, even between two ticks (an account loaded
        // now may hold some that expired while nobody needed it).
        if cx.st.expiries.first().is_some_and(|e| e.0 <= now) {
            feature::im::expire_messages(&mut cx);
        }
        cx
    }

    /// Makes sure account `id` (normalised) is in its shard's memory (see [`load::ensure`]).
    pub(crate) fn ensure_loaded(
        &self,
        st: &mut State,
        id: &str,
        now: u64,
    ) -> Result<bool, crate::store::StoreError> {
        st.clock = st.clock.max(now);
        load::ensure(st, self.commits.as_ref(), id)
    }

    /// Whether the shard still has users to reload (it answers 503 until it has).
    pub(crate) fn diverged(&self, shard: usize) -> bool {
        self.commits.as_ref().is_some_and(|c| c.diverged(shard))
    }

    /// Shard `index`, to lock.
    pub(crate) fn shard(&self, index: ShardId) -> ShardRef<'_> {
        ShardRef {
            engine: self,
            index,
        }
    }

    /// Every shard, to lock one at a time.
    pub(crate) fn all_shards(&self) -> impl Iterator<Item = ShardRef<'_>> {
        (0..self.shards.len()).map(|i| self.shard(i))
    }

    /// The shard that owns `user` (normalised).
    pub(crate) fn owner(&self, user: &str) -> ShardRef<'_> {
        self.shard(route::shard_of(user, self.shards.len()))
    }

    /// The shard that owns a session (by its SessionID or CIR token).
    pub(crate) fn session_shard(&self, sid: &str) -> Option<ShardRef<'_>> {
        route::shard_of_session(sid, self.shards.len()).map(|i| self.shard(i))
    }

    /// Applies the events `outcome` carries, and those they cause, on their owners (one shard
    /// at a time, never two locks at once); everything they produce joins `outcome`. A parked
    /// request's answer becomes the response when its ticket is `ticket`.
    pub(crate) fn drive(&self, mut outcome: Outcome, now: u64, ticket: Option<u64>) -> Outcome {
        let mut queue: std::collections::VecDeque<Event> =
            std::mem::take(&mut outcome.events).into();
        while let Some(event) = queue.pop_front() {
            let mut later = self.apply_event(event, now);
            queue.extend(std::mem::take(&mut later.events));
            outcome.absorb(later);
        }
        if let Some(t) = ticket {
            outcome.take_answer(t);
        }
        outcome
    }

    /// Applies one event on its owner; what it produces (new events included) is returned.
    pub(crate) fn apply_event(&self, event: Event, now: u64) -> Outcome {
        let to = route::owner_of(&event, self.shards.len());
        let mut st = self.shard(to).lock();
        self.apply_on(&mut st, event, now)
    }

    /// Applies one event on its owner's state, locked by the caller.
    pub(crate) fn apply_on(&self, st: &mut State, event: Event, now: u64) -> Outcome {
        let mut cx = self.cx(st, now);
        route::apply(&mut cx, event);
        cx.finish(None)
    }

    /// What loading the store produced that must be written back (quarantined copies of
    /// unreadable documents). Empty after the first call.
    pub fn take_startup_writes(&self) -> Vec<Write> {
        std::mem::take(&mut *self.startup_writes.lock())
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Number of live sessions.
    pub fn session_count(&self) -> usize {
        self.all_shards().map(|s| s.lock().sessions.len()).sum()
    }

    /// Whether the account exists (loading it if the engine loads accounts on demand).
    pub fn has_user(&self, user_id: &str) -> bool {
        let Some(key) = self.normalise(user_id) else {
            return false;
        };
        let mut st = self.owner(&key).lock();
        let now = st.clock;
        self.ensure_loaded(&mut st, &key, now).unwrap_or(false)
    }

    /// Accounts in memory, and how many were loaded on demand.
    pub fn loaded_users(&self) -> (usize, u64) {
        self.all_shards().fold((0, 0), |(n, l), s| {
            let st = s.lock();
            (n + st.users.len(), l + st.loads)
        })
    }

    /// The normalised form of a user id, with the default domain.
    pub fn normalise(&self, user_id: &str) -> Option<String> {
        Address::parse_with_domain(user_id, &self.cfg.default_domain)
            .ok()
            .map(|a| a.to_string())
    }

    /// Whether a live session has requests waiting (standalone HTTP CIR answers 200 then).
    pub fn has_pending(&self, session_id: &str) -> Option<bool> {
        let st = self.session_shard(session_id)?.lock();
        st.sessions.get(session_id).map(|s| !s.outbox.is_empty())
    }

    /// The live session a CIR channel names: by its CIR token, or by its SessionID (what
    /// real handsets send in a TCP `HELO`).
    pub fn cir_session(&self, token_or_id: &str) -> Option<String> {
        let st = self.session_shard(token_or_id)?.lock();
        st.cir_tokens.get(token_or_id).cloned().or_else(|| {
            st.sessions
                .contains_key(token_or_id)
                .then(|| token_or_id.to_owned())
        })
    }

    /// Whether the session with CIR token `token` has requests waiting; `None` for no live
    /// session (standalone HTTP CIR, which never accepts a SessionID).
    pub fn has_pending_cir(&self, token: &str) -> Option<bool> {
        let st = self.session_shard(token)?.lock();
        let sid = st.cir_tokens.get(token)?;
        st.sessions.get(sid).map(|s| !s.outbox.is_empty())
    }

    /// A live session's (cookie, version), for CIR channels.
    pub fn session_cir_info(&self, session_id: &str) -> Option<(Option<String>, CspVersion)> {
        let st = self.session_shard(session_id)?.lock();
        st.sessions
            .get(session_id)
            .map(|s| (s.cookie.clone(), s.version))
    }

    /// The normalised user id a Login-Request in `msg` logs in, if any.
    pub fn login_user(&self, msg: &WvCspMessage) -> Option<String> {
        msg.session
            .transactions
            .iter()
            .find_map(|t| match &t.primitive {
                Primitive::LoginRequest(r) => {
                    Address::parse_with_domain(&r.user_id, &self.cfg.default_domain)
                        .ok()
                        .filter(|a| a.resource().is_none())
                        .map(|a| a.to_string())
                }
                _ => None,
            })
    }

    /// The accounts a request will need that no shard holds yet (recipients of a message,
    /// presentities, the account logging in), at most `MAX_PREFETCH` (64): cheap and never
    /// waiting for a lock, for the server to decide whether to read them first with
    /// [`Engine::load_accounts`]. Empty for an
    /// engine that holds every account.
    pub fn loads_needed(&self, msg: &WvCspMessage) -> Vec<String> {
        if self.commits.is_none() {
            return Vec::new();
        }
        let mut named: Vec<&str> = Vec::new();
        for t in &msg.session.transactions {
            match &t.primitive {
                Primitive::SendMessageRequest(r) => {
                    if let Some(to) = &r.message_info.recipient {
                        named.extend(to.user.iter().map(|u| u.user_id.as_str()));
                    }
                }
                Primitive::SubscribePresenceRequest(r) => {
                    presentities(&mut named, &r.user, r.user_id_list.as_ref());
                }
                Primitive::GetPresenceRequest(r) => {
                    presentities(&mut named, &r.user, r.user_id_list.as_ref());
                }
                _ => {}
            }
        }
        let mut out: Vec<String> = self.login_user(msg).into_iter().collect();
        for n in named {
            if out.len() >= MAX_PREFETCH {
                break;
            }
            let Some(id) = self.normalise(n) else {
                continue;
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        // Never waits for a shard another thread holds (this runs on the executor's
        // threads): an account of a busy shard is taken as loaded, and read under the lock
        // if it was not.
        out.retain(|id| self.owner(id).try_lock().is_some_and(|st| !st.knows(id)));
        out
    }

    /// Reads accounts from the store into their shards without holding a shard's lock while
    /// the store reads, so that a slow read delays only the request that needs the account
    /// (an account loaded under the lock would hold up every user of its shard). Blocks on
    /// the store: call it off the async executor's threads. What fails here is met again,
    /// and answered, by the request itself.
    pub fn load_accounts(&self, ids: &[String], now: u64) {
        if let Some(commits) = &self.commits {
            load::prefetch(self, commits, ids, now);
        }
    }

    /// No answer this size or smaller is ever segmented: a server need not ask
    /// [`Engine::segment`] about it.
    pub const SEGMENT_FLOOR: usize = feature::segment::MIN_PARSER_SIZE;

    /// The encoded answer `m` to session `sid`: if it is larger than a 1.3 client's ParserSize
    /// (and the session may use segmentation), it is kept in segments and the message to send
    /// instead is returned (the first segment); else the bytes come back, to send as they are.
    pub fn segment(
        &self,
        sid: &str,
        m: &WvCspMessage,
        encoded: Vec<u8>,
        now: u64,
    ) -> Result<WvCspMessage, Vec<u8>> {
        let Some(shard) = self.session_shard(sid) else {
            return Err(encoded);
        };
        let mut st = shard.lock();
        let mut cx = self.cx(&mut st, now);
        feature::segment::split(&mut cx, sid, m, encoded)
    }

    /// Whether `msg` starts a search this engine answers from the store: the server then runs
    /// [`Engine::search_ahead`] off the executor's threads first, so that the store's search
    /// does not hold the shard.
    pub fn searches_store(&self, msg: &WvCspMessage) -> bool {
        self.commits.is_some()
            && msg.session.transactions.iter().any(
                |t| matches!(&t.primitive, Primitive::SearchRequest(r) if r.search_id.is_none()),
            )
    }

    /// Runs the first search `msg` starts against the store, without any shard's lock, and
    /// leaves the hits with the session for the request to take. Blocks on the store: call it
    /// off the async executor's threads. What fails here is met again, and answered, by the
    /// request itself.
    pub fn search_ahead(&self, msg: &WvCspMessage) {
        let Some(commits) = &self.commits else {
            return;
        };
        let Some(sid) = msg.session.descriptor.session_id.as_deref() else {
            return;
        };
        let Some(r) = msg
            .session
            .transactions
            .iter()
            .find_map(|t| match &t.primitive {
                Primitive::SearchRequest(r) if r.search_id.is_none() => Some(r),
                _ => None,
            })
        else {
            return;
        };
        let Some(me) = self
            .session_shard(sid)
            .and_then(|shard| shard.lock().sessions.get(sid).map(|s| s.user.clone()))
        else {
            return;
        };
        let Ok(q) = feature::search::Query::of(&self.cfg.default_domain, &me, r) else {
            return;
        };
        if q.impossible || q.joined_by.is_some() {
            return;
        }
        let Ok(hits) = commits
            .store()
            .search(q.kind, &q.criteria, self.cfg.max_search_hits + 1)
        else {
            return;
        };
        if let Some(shard) = self.session_shard(sid) {
            let mut st = shard.lock();
            if st.sessions.contains_key(sid) {
                st.searched_ahead.insert(sid.to_owned(), (q.key(), hits));
            }
        }
    }

    /// Loads the accounts the store says have messages due to expire (an engine that loads
    /// accounts on demand): the next [`Engine::tick`] expires them and reports to their
    /// senders. At most `limit` accounts per call; returns how many were loaded.
    pub fn load_due(&self, now: u64, limit: usize) -> Result<usize, crate::store::StoreError> {
        let Some(commits) = &self.commits else {
            return Ok(0);
        };
        let mut due = commits.store().due_recipients(now, limit)?;
        // And, every few seconds, the homes of groups whose Validity ran out.
        let scan = &self.next_group_scan;
        let next = scan.load(std::sync::atomic::Ordering::Relaxed);
        if now < next
            || scan
                .compare_exchange(
                    next,
                    now + GROUP_SCAN_EVERY,
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_err()
        {
            return Ok(load::prefetch(self, commits, &due, now));
        }
        let groups = commits.store().search(
            crate::store::SearchKind::Group,
            &[crate::store::Criterion {
                field: feature::search::EXPIRES.into(),
                matches: crate::store::Match::AtMost,
                needle: feature::search::expires_value(now),
            }],
            limit,
        )?;
        for g in groups {
            let home = imps_csp::Address::parse_with_domain(&g, &self.cfg.default_domain)
                .ok()
                .and_then(|a| crate::group::home_of(&a));
            if let Some(home) = home.filter(|h| !due.contains(h)) {
                due.push(home);
            }
        }
        Ok(load::prefetch(self, commits, &due, now))
    }

    /// Periodic work: expires idle sessions, expired messages, stale challenges, and hands
    /// out again requests whose acknowledgement timed out.
    pub fn tick(&self, now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        for shard in 0..self.shards.len() {
            outcome.absorb(self.tick_shard(shard, now));
        }
        self.drive(outcome, now, None)
    }

    /// The periodic work of one shard, its routed effects not applied (they are in the
    /// outcome, for a router to carry: [`Engine::tick`] drives them at once).
    pub(crate) fn tick_shard(&self, shard: usize, now: u64) -> Outcome {
        let mut st = self.shard(shard).lock();
        let mut cx = self.cx(&mut st, now);
        feature::session::expire(&mut cx);
        feature::im::expire_messages(&mut cx);
        feature::group::expire(&mut cx);
        feature::presence::save_watcher_histories(&mut cx);
        load::unload_idle(&mut cx);
        cx.finish(None)
    }

    /// Handles one request message. `fingerprint` identifies the request body (a hash of
    /// the bytes): a transaction that repeats an id with the same fingerprint is a retry and
    /// gets the stored response.
    ///
    /// Login-Request checks a slow password hash: call this off the async executor's threads
    /// when [`Engine::is_slow`] says so.
    pub fn handle(&self, msg: WvCspMessage, now: u64, fingerprint: u64) -> Outcome {
        self.handle_reached(msg, now, fingerprint, Reached::default())
    }

    /// [`Engine::handle`] for a request that reached the server at `reached` (the CIR
    /// addresses announced to the session, unless the operator configured them).
    pub fn handle_reached(
        &self,
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
    ) -> Outcome {
        let (outcome, ticket) = self.begin(msg, now, fingerprint, reached);
        self.drive(outcome, now, ticket)
    }

    /// The in-process router's side of the engine, for a driver that runs each shard on its own
    /// thread: handles `msg` on the shard that owns its session without applying the effects
    /// it routes ([`Outcome::take_routed`] gives them, to hand to their owners' threads and
    /// [`Engine::apply_routed`] there), and the ticket its answer will name if it was parked.
    #[doc(hidden)]
    pub fn submit(&self, msg: WvCspMessage, now: u64, fingerprint: u64) -> (Outcome, Option<u64>) {
        self.begin(msg, now, fingerprint, Reached::default())
    }

    /// Applies a routed effect on its owner (see [`Engine::submit`]); what it produces,
    /// further routed effects included, is returned.
    #[doc(hidden)]
    pub fn apply_routed(&self, routed: Routed, now: u64) -> Outcome {
        self.apply_event(routed.0, now)
    }

    /// Handles a request on its shard without applying the events it routes: the outcome
    /// carries them, and the ticket its answer will name if it was parked.
    pub(crate) fn begin(
        &self,
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
    ) -> (Outcome, Option<u64>) {
        if let Some(t) = msg.session.transactions.first() {
            if let Primitive::LoginRequest(req) = &t.primitive {
                let shard = match self.login_user(&msg) {
                    Some(user) => self.owner(&user),
                    None => self.shard(0),
                };
                let o = feature::session::login(self, shard, &msg, req, t, now, reached.peer);
                return (o, None);
            }
        }
        let mut st = self.request_shard(&msg).lock();
        self.begin_on(&mut st, msg, now, fingerprint, reached)
    }

    /// The shard a (non-login) request runs on: its session's; outband requests (and unknown
    /// ids) run on any.
    fn request_shard(&self, msg: &WvCspMessage) -> ShardRef<'_> {
        msg.session
            .descriptor
            .session_id
            .as_deref()
            .and_then(|s| self.session_shard(s))
            .unwrap_or_else(|| self.shard(0))
    }

    /// [`Engine::begin`] of a non-login request on its shard's state, locked by the caller.
    pub(crate) fn begin_on(
        &self,
        st: &mut State,
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
    ) -> (Outcome, Option<u64>) {
        // Per shard (no counter shared by the shards' threads): the shard's index in the
        // low byte, its own count above.
        st.next_ticket += 1;
        let ticket = (st.next_ticket << 8) | (st.shard as u64 & 0xff);
        let mut cx = self.cx(st, now);
        if self.diverged(cx.st.shard) {
            tracing::warn!("shard reloading users after a failed commit: 503");
            let m = error_reply(
                &msg,
                msg.session.descriptor.session_id.clone(),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            return (cx.finish(Some(m)), None);
        }
        cx.reached = reached;
        cx.ticket = ticket;
        let response = dispatch(&mut cx, msg, fingerprint);
        (cx.finish(response), Some(ticket))
    }

    /// [`Engine::handle_reached`] without blocking on a shard another thread holds: runs
    /// the request and its routed effects at once while their shards are free; the first
    /// time one is busy, the work is left in its mailbox (its holder runs it) and the rest
    /// is returned as a [`Pending`] to await, which must then run to its end (spawn it: its
    /// effects on other owners are applied as it goes). Login-Requests (slow) are for
    /// [`Engine::handle_reached`] on a blocking thread.
    pub fn handle_nowait(
        &self,
        msg: WvCspMessage,
        now: u64,
        fingerprint: u64,
        reached: Reached,
    ) -> Handled {
        if Engine::is_slow(&msg) {
            return Handled::Done(self.handle_reached(msg, now, fingerprint, reached));
        }
        let mut p = Pending {
            now,
            outcome: Outcome::default(),
            queue: VecDeque::new(),
            ticket: None,
            waiting: None,
        };
        match self
            .request_shard(&msg)
            .begin_now(msg, now, fingerprint, reached)
        {
            Ok((o, ticket)) => p.started(o, ticket),
            Err(rx) => {
                p.waiting = Some(Waiting::Begin(rx));
                return Handled::Pending(p);
            }
        }
        p.run_now(self)
    }

    /// Whether handling `msg` runs a slow password hash (a Login-Request).
    pub fn is_slow(msg: &WvCspMessage) -> bool {
        msg.session
            .transactions
            .iter()
            .any(|t| matches!(t.primitive, Primitive::LoginRequest(_)))
    }
}

impl<'a> Cx<'a> {
    pub fn new(st: &'a mut State, cfg: &'a EngineConfig, groups: &'a GroupCount, now: u64) -> Self {
        Cx {
            st,
            cfg,
            groups,
            now,
            writes: Vec::new(),
            wake: HashSet::default(),
            ended: Vec::new(),
            farewells: Vec::new(),
            reports_changed: HashSet::default(),
            reached: Reached::default(),
            op: None,
            ticket: 0,
            events: Vec::new(),
            responses: Vec::new(),
            encoded: Vec::new(),
            commits: None,
        }
    }

    /// Sends an effect to the owner of what it concerns (this shard included: applied after
    /// the current call, in order).
    pub fn route(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Collects what the call produced.
    pub fn finish(mut self, response: Option<WvCspMessage>) -> Outcome {
        for user in std::mem::take(&mut self.reports_changed) {
            feature::im::save_pending_reports(&mut self, &user);
        }
        let mut wakes = Vec::new();
        for sid in &self.wake {
            if let Some(s) = self.st.sessions.get(sid) {
                wakes.push(Wake {
                    session_id: sid.clone(),
                    cookie: s.cookie.clone(),
                    version: s.version,
                    methods: s.agreed.cir_methods.clone(),
                    udp_port: s.agreed.udp_port,
                });
            }
        }
        wakes.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        wakes.extend(self.farewells);
        if !self.st.deferred_writes.is_empty() {
            let mut writes = std::mem::take(&mut self.st.deferred_writes);
            writes.append(&mut self.writes);
            self.writes = writes;
        }
        let (writes, durable) = match self.commits {
            Some(commits) => {
                let shard = self.st.shard;
                if !self.writes.is_empty() {
                    // Each account written remembers the batch: it stays in memory until that
                    // batch settled (`load::unload_idle`).
                    let seq = self.st.pos.submitted + 1;
                    for w in &self.writes {
                        if let Some(u) = self.st.users.get_mut(w.user()) {
                            u.written = seq;
                        }
                    }
                    commits.submit(shard, &mut self.st.pos, self.writes);
                }
                (Vec::new(), commits.wait_for(shard, &self.st.pos))
            }
            None => (self.writes, Durable::default()),
        };
        Outcome {
            response,
            writes,
            durable,
            wakes,
            ended: self.ended,
            events: self.events,
            responses: self.responses,
            encoded: self.encoded,
            response_wbxml: None,
        }
    }

    /// Normalises an address with the default domain.
    pub fn addr(&self, s: &str) -> Option<String> {
        Address::parse_with_domain(s, &self.cfg.default_domain)
            .ok()
            .map(|a| a.to_string())
    }

    /// Queues a server request for a session and marks it for wake-up. A presence
    /// notification replaces one about the same presentity that is still queued.
    pub fn queue(&mut self, sid: &str, item: Queued) {
        let max = self.cfg.max_outbox;
        let Some(s) = self.st.sessions.get_mut(sid) else {
            return;
        };
        if let About::Presence(p) = &item.about {
            if let Some(old) = s
                .outbox
                .iter_mut()
                .find(|q| matches!(&q.about, About::Presence(o) if o == p))
            {
                *old = item;
                self.wake.insert(sid.to_owned());
                return;
            }
        }
        if s.outbox.len() >= max {
            // Presence is recomputed on demand and messages stay in the durable inbox (queued
            // again at the next login): drop the oldest such entry to make room.
            if let Some(pos) = s
                .outbox
                .iter()
                .position(|q| matches!(q.about, About::Presence(_) | About::Message(_)))
            {
                s.outbox.remove(pos);
                s.inbox_queued = false;
            } else {
                return;
            }
        }
        s.outbox.push_back(item);
        self.wake.insert(sid.to_owned());
    }

    /// The ids of `user`'s live sessions (a copy: callers change sessions while they go).
    pub fn sessions_of(&self, user: &str) -> Vec<String> {
        self.st
            .users
            .get(user)
            .map(|u| u.sessions.clone())
            .unwrap_or_default()
    }

    /// Queues a server request for every session of `user`.
    pub fn queue_user(&mut self, user: &str, item: Queued) {
        let sessions = self.sessions_of(user);
        for sid in sessions {
            self.queue(&sid, item.clone());
        }
    }

    /// The session's user.
    pub fn user_of(&self, sid: &str) -> String {
        self.st
            .sessions
            .get(sid)
            .map(|s| s.user.clone())
            .unwrap_or_default()
    }

    /// The session's version.
    pub fn version_of(&self, sid: &str) -> CspVersion {
        self.st
            .sessions
            .get(sid)
            .map(|s| s.version)
            .unwrap_or(CspVersion::V1_2)
    }
}

/// Handles an in-session (or pre-login) message other than Login.
fn dispatch(cx: &mut Cx<'_>, msg: WvCspMessage, fingerprint: u64) -> Option<WvCspMessage> {
    let version = msg.version;
    let descriptor = msg.session.descriptor.clone();
    let sid = match (&descriptor.session_type, &descriptor.session_id) {
        (SessionType::Inband, Some(id)) | (SessionType::Outband, Some(id)) => Some(id.clone()),
        _ => None,
    };
    let Some(sid) = sid else {
        return outband(cx, msg);
    };
    if !cx.st.sessions.contains_key(&sid) {
        let ended = cx.st.ended.get(&sid).map(|(c, _)| StatusCode(*c));
        let polled = msg
            .session
            .transactions
            .iter()
            .any(|t| matches!(t.primitive, Primitive::PollingRequest(_)));
        if let (Some(code), true) = (ended, polled) {
            // The session was ended by the server: a poll learns it from a Disconnect.
            let mut m = WvCspMessage::new(
                version,
                Some(sid),
                TransactionMode::Request,
                Some("s0".into()),
                Primitive::Disconnect(imps_csp::model::session::Disconnect {
                    result: imps_csp::model::common::CspResult::new(code),
                }),
            );
            m.set_poll(false);
            return Some(m);
        }
        let code = ended.unwrap_or(StatusCode::INVALID_SESSION);
        return Some(error_reply(&msg, Some(sid), code));
    }
    if let Some(s) = cx.st.sessions.get_mut(&sid) {
        s.last_active = cx.now;
    }
    let session_version = cx.version_of(&sid);
    if version != session_version {
        tracing::info!(session = %crate::redact(&sid), ?version, ?session_version, "request in another version than the login");
        return Some(error_reply(
            &msg,
            Some(sid),
            StatusCode::VERSION_NOT_SUPPORTED,
        ));
    }
    let max_trans = cx.cfg.max_multi_trans as usize;
    if msg.session.transactions.len() > max_trans {
        return Some(error_reply(&msg, Some(sid), StatusCode::BAD_REQUEST));
    }
    // Stored messages are queued at the session's first request, in the delivery method it
    // agreed: a ClientCapability-Request (InitialDeliveryMethod) queues them itself once
    // handled.
    let negotiating = msg
        .session
        .transactions
        .iter()
        .any(|t| matches!(t.primitive, Primitive::ClientCapabilityRequest(_)));
    if !negotiating {
        feature::session::queue_inbox_if_needed(cx, &sid);
    }

    let mut slots: Vec<Slot> = Vec::new();
    let mut polled = false;
    // Only answers to requests that change something are kept for replay: a retried query
    // is simply answered again (and the big negotiation answers cost no memory per session).
    let mut replayable = false;
    cx.st.next_op += 1;
    let op = cx.st.next_op;
    let done = |t: Transaction| Slot::Done(Some(t));
    for t in msg.session.transactions {
        let tid = t.descriptor.transaction_id.clone();
        if t.descriptor.mode == TransactionMode::Response {
            feature::session::acknowledge(cx, &sid, tid.as_deref(), &t.primitive);
            if let Primitive::InviteUserResponse(r) = t.primitive {
                // The invitee's answer sent as the response to the InviteUser-Request
                // transaction (Android sends it as a request of its own, also understood).
                let _ = feature::invite::answer(cx, &sid, r);
            }
            continue;
        }
        if matches!(t.primitive, Primitive::PollingRequest(_)) {
            polled = true;
            if let Some(tx) = feature::session::next_for_client(cx, &sid) {
                slots.push(done(tx));
            }
            continue;
        }
        // TransactionID replay: the same id and body again is a retry.
        if let Some(id) = &tid {
            if let Some(stored) = cx.st.sessions.get(&sid).and_then(|s| {
                s.replay
                    .iter()
                    .find(|(rid, fp, _)| rid == id && *fp == fingerprint)
                    .and_then(|(_, _, bytes)| {
                        imps_csp::decode_wbxml(bytes, &imps_csp::Limits::default()).ok()
                    })
            }) {
                tracing::debug!(session = %crate::redact(&sid), tid = %id, "replayed transaction: stored response");
                let mut m = stored;
                let pending = pending(cx, &sid);
                m.set_poll(pending);
                return Some(m);
            }
        }
        if changes_state(&t.primitive) {
            replayable = true;
        }
        if cx.cfg.bind_client_id && !same_client(cx, &sid, &t.primitive) {
            tracing::warn!(session = %crate::redact(&sid), "request names another ClientID than the login: 604");
            slots.push(done(Transaction::new(
                TransactionMode::Response,
                tid,
                status(StatusCode::INVALID_SESSION),
            )));
            continue;
        }
        cx.op = Some(OpRef {
            shard: cx.st.shard,
            op,
            slot: slots.len(),
        });
        let reply = match feature::check_agreed(cx, &sid, &t.primitive) {
            Err(code) => fail(code),
            Ok(()) => feature::handle(cx, &sid, t.primitive),
        };
        cx.op = None;
        match reply {
            Reply::Prim(p) => slots.push(done(Transaction::new(TransactionMode::Response, tid, p))),
            Reply::Nothing => {}
            Reply::Later(op) if op.waiting() == 0 => slots.push(Slot::Done(
                op.answer(cx, &sid)
                    .map(|p| Transaction::new(TransactionMode::Response, tid, p)),
            )),
            Reply::Later(op) => slots.push(Slot::Waiting { tid, op }),
        }
    }
    if slots.iter().any(Slot::waiting) {
        // Answered when the other owners have answered (route::apply).
        cx.st.pending.insert(
            op,
            PendingRequest {
                ticket: cx.ticket,
                sid,
                version,
                fingerprint,
                replayable,
                polled,
                slots,
                replied: Default::default(),
            },
        );
        return None;
    }
    let out = slots
        .into_iter()
        .filter_map(|s| match s {
            Slot::Done(t) => t,
            Slot::Waiting { .. } => None,
        })
        .collect();
    let ticket = cx.ticket;
    finalize(
        cx,
        &sid,
        version,
        (fingerprint, ticket),
        replayable,
        polled,
        out,
    )
}

/// What [`Engine::handle_nowait`] did.
pub enum Handled {
    /// Everything ran: the outcome, as [`Engine::handle_reached`] returns it.
    Done(Outcome),
    /// A shard was busy: the rest runs when it is awaited ([`Pending::finish`]).
    Pending(Pending),
}

/// A request whose run met a busy shard: its work waits in that shard's mailbox. Await
/// [`Pending::finish`] to the end (in a task of its own: the effects on other owners are
/// applied as it goes, and a request half applied would leave a parked answer behind).
pub struct Pending {
    now: u64,
    outcome: Outcome,
    queue: VecDeque<Event>,
    ticket: Option<u64>,
    waiting: Option<Waiting>,
}

enum Waiting {
    Begin(tokio::sync::oneshot::Receiver<crate::shard::Begun>),
    Apply(tokio::sync::oneshot::Receiver<Outcome>),
}

impl Pending {
    fn started(&mut self, mut o: Outcome, ticket: Option<u64>) {
        self.queue.extend(std::mem::take(&mut o.events));
        self.outcome = o;
        self.ticket = ticket;
    }

    fn absorb(&mut self, mut later: Outcome) {
        self.queue.extend(std::mem::take(&mut later.events));
        self.outcome.absorb(later);
    }

    /// Applies the queued events while their owners are free.
    fn run_now(mut self, engine: &Engine) -> Handled {
        while let Some(event) = self.queue.pop_front() {
            let to = route::owner_of(&event, engine.shards.len());
            match engine.shard(to).apply_now(event, self.now) {
                Ok(o) => self.absorb(o),
                Err(rx) => {
                    self.waiting = Some(Waiting::Apply(rx));
                    return Handled::Pending(self);
                }
            }
        }
        if let Some(t) = self.ticket {
            self.outcome.take_answer(t);
        }
        Handled::Done(self.outcome)
    }

    /// Runs the rest: `None` if a shard's work was dropped unrun (the engine is going away).
    pub async fn finish(mut self, engine: &Engine) -> Option<Outcome> {
        loop {
            match self.waiting.take() {
                Some(Waiting::Begin(rx)) => {
                    let (o, ticket) = rx.await.ok()?;
                    self.started(o, ticket);
                }
                Some(Waiting::Apply(rx)) => {
                    let o = rx.await.ok()?;
                    self.absorb(o);
                }
                None => {}
            }
            match self.run_now(engine) {
                Handled::Done(o) => return Some(o),
                Handled::Pending(p) => self = p,
            }
        }
    }
}

/// The users a presence request names (`User` up to 1.2, `UserIDList` in 1.3).
fn presentities<'m>(
    named: &mut Vec<&'m str>,
    users: &'m [imps_csp::model::common::User],
    list: Option<&'m imps_csp::model::group::UserIdList>,
) {
    named.extend(users.iter().map(|u| u.user_id.as_str()));
    named.extend(
        list.iter()
            .flat_map(|l| l.user_id.iter().map(String::as_str)),
    );
}

/// At most this many accounts are read ahead of one request ([`Engine::loads_needed`]); a
/// request naming more loads the rest on its shard as it meets them.
pub(crate) const MAX_PREFETCH: usize = 64;

/// The response message of a request whose transactions are all answered: the next queued
/// server request when there is nothing else to say, Poll, and the replay cache.
pub(crate) fn finalize(
    cx: &mut Cx<'_>,
    sid: &str,
    version: CspVersion,
    (fingerprint, ticket): (u64, u64),
    replayable: bool,
    polled: bool,
    mut out: Vec<Transaction>,
) -> Option<WvCspMessage> {
    if !cx.st.sessions.contains_key(sid) {
        // Logged out (or replaced) during this message.
        return build(version, Some(sid.to_owned()), out, false);
    }
    if out.is_empty() && !polled {
        // Only acknowledgements: hand out the next queued request, if any.
        if let Some(tx) = feature::session::next_for_client(cx, sid) {
            out.push(tx);
        }
    }
    let poll = pending(cx, sid);
    let response = build(version, Some(sid.to_owned()), out, poll);
    if let (Some(m), Some(s), true) = (&response, cx.st.sessions.get_mut(sid), replayable) {
        if m.session.transactions.len() == 1 {
            let t = &m.session.transactions[0];
            if t.descriptor.mode == TransactionMode::Response {
                if let Some(id) = &t.descriptor.transaction_id {
                    // Kept as WBXML: a decoded message is kilobytes, its WBXML ~100 bytes.
                    if let Ok(bytes) = imps_csp::encode_wbxml(m) {
                        // The same bytes answer a WBXML client (no second encoding).
                        cx.encoded.push((ticket, bytes.clone()));
                        s.replay.push_back((id.clone(), fingerprint, bytes));
                    }
                    while s.replay.len() > cx.cfg.replay_cache {
                        s.replay.pop_front();
                    }
                }
            }
        }
    }
    response
}

/// Whether the ClientID a request names (if any) is the one its session logged in with.
fn same_client(cx: &Cx<'_>, sid: &str, p: &Primitive) -> bool {
    let named = match p {
        Primitive::ClientCapabilityRequest(r) => r.client_id.as_ref(),
        Primitive::ServiceRequest(r) => r.client_id.as_ref(),
        Primitive::GetSpInfoRequest(r) => r.client_id.as_ref(),
        Primitive::Status(r) => r.client_id.as_ref(),
        _ => None,
    };
    let Some(named) = named else {
        return true;
    };
    cx.st
        .sessions
        .get(sid)
        .is_none_or(|s| s.client_id.as_ref().is_none_or(|c| c == named))
}

/// Whether a request changes state (its retry must not act twice).
fn changes_state(p: &Primitive) -> bool {
    !matches!(
        p,
        Primitive::PollingRequest(_)
            | Primitive::KeepAliveRequest(_)
            | Primitive::ClientCapabilityRequest(_)
            | Primitive::ServiceRequest(_)
            | Primitive::GetSpInfoRequest(_)
            | Primitive::VersionDiscoveryRequest(_)
            | Primitive::GetListRequest(_)
            | Primitive::GetPresenceRequest(_)
            | Primitive::GetWatcherListRequest(_)
            | Primitive::GetAttributeListRequest(_)
            | Primitive::GetReactiveAuthStatusRequest(_)
            | Primitive::GetMessageRequest(_)
            | Primitive::GetMessageListRequest(_)
            | Primitive::GetBlockedListRequest(_)
    )
}

/// Whether the session has requests not yet handed out.
pub(crate) fn pending(cx: &Cx<'_>, sid: &str) -> bool {
    cx.st.sessions.get(sid).is_some_and(|s| {
        !s.outbox.is_empty()
            || s.in_flight
                .iter()
                .any(|(_, _, at)| cx.now >= at + cx.cfg.in_flight_timeout)
    })
}

/// A response message of `transactions` (`None` when there are none: empty body).
fn build(
    version: CspVersion,
    sid: Option<String>,
    transactions: Vec<Transaction>,
    poll: bool,
) -> Option<WvCspMessage> {
    let mut it = transactions.into_iter();
    let first = it.next()?;
    let mut m = WvCspMessage::new(
        version,
        sid,
        first.descriptor.mode,
        first.descriptor.transaction_id.clone(),
        first.primitive,
    );
    m.session.transactions[0].descriptor = first.descriptor;
    m.session.transactions.extend(it);
    m.set_poll(poll);
    Some(m)
}

/// A Status error answering the first transaction of `msg`.
pub(crate) fn error_reply(
    msg: &WvCspMessage,
    sid: Option<String>,
    code: StatusCode,
) -> WvCspMessage {
    let tid = msg
        .session
        .transactions
        .first()
        .and_then(|t| t.descriptor.transaction_id.clone());
    let mut m = WvCspMessage::new(
        msg.version,
        sid,
        TransactionMode::Response,
        tid,
        status(code),
    );
    m.set_poll(false);
    m
}

/// Requests outside a session: GetSPInfo and version discovery are answered; Polling gets
/// 604 with no side effect (Android polls before it knows its session if Login-Response said
/// Poll=T, which we never do); anything else needs a session (604).
fn outband(cx: &mut Cx<'_>, msg: WvCspMessage) -> Option<WvCspMessage> {
    let version = msg.version;
    let t = msg.session.transactions.first()?;
    let tid = t.descriptor.transaction_id.clone();
    let p = match &t.primitive {
        Primitive::GetSpInfoRequest(r) => feature::session::sp_info(cx, r.client_id.clone()),
        Primitive::VersionDiscoveryRequest(_) => feature::session::version_discovery(),
        _ if t.descriptor.mode == TransactionMode::Response => return None,
        _ => status(StatusCode::INVALID_SESSION),
    };
    let mut m = WvCspMessage::new(version, None, TransactionMode::Response, tid, p);
    m.set_poll(false);
    Some(m)
}

/// Adds a new session to the state (login).
pub(crate) fn insert_session(st: &mut State, s: SessionState) {
    if let Some(u) = st.users.get_mut(&s.user) {
        u.sessions.push(s.id.clone());
    }
    st.cir_tokens.insert(s.cir_token.clone(), s.id.clone());
    st.sessions.insert(s.id.clone(), s);
}

/// Reloads the users of a shard whose commit failed, once every batch the shard submitted has
/// settled (see [`crate::durable`]). Until then, and while a reload fails, the shard answers
/// requests 503 and tries again on its next call (the once-a-second tick is one).
fn recover(cx: &mut Cx<'_>, commits: &Commits) {
    let shard = cx.st.shard;
    let Some(users) = commits.take_diverged(shard, &cx.st.pos) else {
        tracing::warn!(
            shard,
            "commits still in flight after a failure: the shard reloads once they settle"
        );
        return;
    };
    let mut failed = std::collections::BTreeSet::new();
    for user in users {
        match commits.store().load_user(&user) {
            Ok(data) => {
                tracing::warn!(user = %user, "reloaded from the store after a failed commit");
                crate::repair::reload_user(cx, &user, data);
            }
            Err(e) => {
                tracing::error!(user = %user, error = %e, "reloading after a failed commit failed");
                failed.insert(user);
            }
        }
    }
    if failed.is_empty() {
        cx.st.pos.repaired = cx.st.pos.submitted;
    } else {
        commits.still_diverged(shard, failed);
    }
}
