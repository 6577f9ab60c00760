//! The commit streams and accounts loaded on demand, against a store double: order, waiting,
//! failed commits, names without an account.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use imps_csp::codec::ContentData;
use imps_csp::model::attributes::{PresenceSubList, TextAttribute};
use imps_csp::model::common::{Recipient, Status, User};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::model::presence::UpdatePresenceRequest;
use imps_csp::model::session::{LoginRequest, PollingRequest};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};

use crate::loadgen::{accounts, user};
use crate::memstore::MemStore;
use crate::store::{Store, Write};
use crate::{Durable, Engine, EngineConfig, Outcome};

pub(crate) const NOW: u64 = 1_800_000_000;

pub(crate) struct Rig {
    pub(crate) engine: Engine,
    pub(crate) store: Arc<MemStore>,
    n: std::sync::atomic::AtomicU64,
}

impl Rig {
    /// Every account loaded at start (the engine's own snapshot).
    pub(crate) fn new(users: usize, shards: usize) -> Rig {
        Rig::build(users, shards, true, |_| {})
    }

    /// No account in memory at start: each is read when first needed (as impsd runs).
    /// Sessions live for a day without a request.
    pub(crate) fn lazy(users: usize, shards: usize) -> Rig {
        Rig::build(users, shards, false, |c| {
            c.keep_alive_time = 86_400;
            c.max_time_to_live = 86_400;
        })
    }

    fn build(
        users: usize,
        shards: usize,
        preload: bool,
        tweak: impl FnOnce(&mut EngineConfig),
    ) -> Rig {
        let store = MemStore::with_users(accounts(users));
        let mut cfg = EngineConfig {
            shards,
            messages_burst: 1e12,
            messages_per_second: 1e12,
            ..EngineConfig::default()
        };
        tweak(&mut cfg);
        let snapshot = if preload {
            store.load().expect("load")
        } else {
            Default::default()
        };
        let engine = Engine::new(cfg, snapshot)
            .with_store(store.clone())
            .expect("the store counts its groups");
        Rig {
            engine,
            store,
            n: Default::default(),
        }
    }

    /// Whether account `u` is in memory.
    pub(crate) fn loaded(&self, u: usize) -> bool {
        let id = user(u);
        self.engine.owner(&id).lock().users.contains_key(&id)
    }

    fn logout(&self, sid: &str) {
        self.request(
            Some(sid),
            TransactionMode::Request,
            None,
            Primitive::LogoutRequest(imps_csp::model::session::LogoutRequest {}),
        );
    }

    pub(crate) fn request(
        &self,
        sid: Option<&str>,
        mode: TransactionMode,
        tid: Option<String>,
        p: Primitive,
    ) -> Outcome {
        let (msg, n) = self.message(sid, mode, tid, p);
        self.engine.handle(msg, NOW, n)
    }

    /// A request message, and a fingerprint for it.
    pub(crate) fn message(
        &self,
        sid: Option<&str>,
        mode: TransactionMode,
        tid: Option<String>,
        p: Primitive,
    ) -> (WvCspMessage, u64) {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tid = tid.or_else(|| Some(format!("t{n}")));
        let msg = WvCspMessage::new(CspVersion::V1_2, sid.map(str::to_owned), mode, tid, p);
        (msg, n)
    }

    /// Runs `f` on a thread of its own with the store's next account read parked, and
    /// returns once that read has started (its result taken, not yet returned): the read
    /// returns when the sender sends.
    fn with_next_read_parked<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Rig) -> T + Send + 'static,
    ) -> (std::thread::JoinHandle<T>, std::sync::mpsc::Sender<()>) {
        let loads = || self.store.loads.load(std::sync::atomic::Ordering::Relaxed);
        let before = loads();
        let release = self.store.park_next_load();
        let rig = Arc::clone(self);
        let thread = std::thread::spawn(move || f(&rig));
        while loads() == before {
            std::thread::yield_now();
        }
        (thread, release)
    }

    /// Handles a request as impsd does: the accounts it needs read first, no lock held.
    fn request_as_server(&self, sid: Option<&str>, p: Primitive) -> Outcome {
        let (msg, n) = self.message(sid, TransactionMode::Request, None, p);
        self.engine
            .load_accounts(&self.engine.loads_needed(&msg), NOW);
        self.engine.handle(msg, NOW, n)
    }

    pub(crate) fn login(&self, u: usize) -> String {
        let o = self.request(
            None,
            TransactionMode::Request,
            None,
            Primitive::from(LoginRequest {
                user_id: user(u),
                password: Some("pw".into()),
                ..Default::default()
            }),
        );
        assert!(ready(o.durable.clone()).is_ok());
        match o
            .response
            .map(|m| m.session.transactions[0].primitive.clone())
        {
            Some(Primitive::LoginResponse(r)) => r.session_id.expect("session id"),
            other => panic!("login: {other:?}"),
        }
    }

    pub(crate) fn send(&self, sid: &str, to: usize, text: &str) -> Outcome {
        self.request(
            Some(sid),
            TransactionMode::Request,
            None,
            send_request(to, text),
        )
    }

    /// Polls, acknowledges (an acknowledgement's answer may bring the next request), and
    /// returns the texts of the messages that came (at most 20 requests).
    pub(crate) fn receive(&self, sid: &str) -> Vec<String> {
        self.receive_at_most(sid, 20)
    }

    /// [`Rig::receive`] until nothing more comes.
    pub(crate) fn receive_all(&self, sid: &str) -> Vec<String> {
        self.receive_at_most(sid, usize::MAX)
    }

    fn receive_at_most(&self, sid: &str, requests: usize) -> Vec<String> {
        let mut texts = Vec::new();
        let mut next = None;
        for _ in 0..requests {
            let o = match next.take() {
                Some(o) => o,
                None => self.request(
                    Some(sid),
                    TransactionMode::Request,
                    None,
                    Primitive::PollingRequest(PollingRequest {}),
                ),
            };
            let Some(t) = o
                .response
                .and_then(|m| m.session.transactions.into_iter().next())
            else {
                break;
            };
            if t.descriptor.mode != TransactionMode::Request {
                break;
            }
            if let Primitive::NewMessage(nm) = &t.primitive {
                if let Some(ContentData::Text(text)) = &nm.content_data {
                    texts.push(text.clone());
                }
            }
            next = Some(self.request(
                Some(sid),
                TransactionMode::Response,
                t.descriptor.transaction_id.clone(),
                Primitive::Status(Status::new(StatusCode::SUCCESS)),
            ));
        }
        texts
    }
}

/// A SendMessage-Request of `text` to user `to`.
pub(crate) fn send_request(to: usize, text: &str) -> Primitive {
    Primitive::SendMessageRequest(SendMessageRequest {
        message_info: MessageInfo {
            content_type: Some("text/plain".into()),
            recipient: Some(Recipient {
                user: vec![User {
                    user_id: user(to),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
        content_data: Some(ContentData::Text(text.into())),
        ..Default::default()
    })
}

/// The result of `d` if it is ready without waiting; panics if it would wait.
pub(crate) fn ready(d: Durable) -> Result<(), crate::store::StoreError> {
    match poll_once(d) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("the outcome waits for a commit"),
    }
}

fn poll_once(d: Durable) -> Poll<Result<(), crate::store::StoreError>> {
    let mut f = pin!(d.wait());
    f.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

pub(crate) fn response_code(o: &Outcome) -> Option<u16> {
    o.response
        .as_ref()
        .and_then(|m| match &m.session.transactions[0].primitive {
            Primitive::SendMessageResponse(r) => Some(r.result.code.0),
            Primitive::Status(s) => Some(s.result.code.0),
            Primitive::LoginResponse(r) => Some(r.result.code.0),
            _ => None,
        })
}

#[test]
fn the_engine_submits_writes_itself_and_the_answer_waits_for_them() {
    let rig = Rig::new(2, 2);
    let alice = rig.login(0);
    let bob = rig.login(1);
    rig.store.hold(true);
    let o = rig.send(&alice, 1, "held");
    assert_eq!(response_code(&o), Some(200));
    assert!(
        o.writes.is_empty(),
        "the engine submitted the writes itself"
    );
    assert!(
        matches!(poll_once(o.durable.clone()), Poll::Pending),
        "the 200 must wait until the message is durable"
    );
    // A read on the recipient's shard that could show the message waits for it too.
    let poll = rig.request(
        Some(&bob),
        TransactionMode::Request,
        None,
        Primitive::PollingRequest(PollingRequest {}),
    );
    assert!(matches!(poll_once(poll.durable.clone()), Poll::Pending));
    rig.store.release();
    assert!(ready(o.durable).is_ok());
    assert!(ready(poll.durable).is_ok());
    assert_eq!(rig.store.messages_of(&user(1)).len(), 1);
}

#[test]
fn a_failed_commit_fails_the_sender_and_memory_goes_back_to_the_store() {
    let rig = Rig::new(2, 2);
    let alice = rig.login(0);
    let bob = rig.login(1);
    let bob_id = user(1);
    rig.store.fail_when(Some(Box::new(
        move |w| matches!(w, Write::PutMessage(m) if m.recipient == bob_id),
    )));
    let lost = rig.send(&alice, 1, "lost");
    assert!(
        ready(lost.durable).is_err(),
        "the sender must not get 200 for a message the store refused"
    );
    rig.store.fail_when(None);
    // Bob's shard reloads him before it serves again: the refused message is not delivered.
    assert_eq!(rig.receive(&bob), Vec::<String>::new());
    let kept = rig.send(&alice, 1, "kept");
    assert!(ready(kept.durable).is_ok());
    assert_eq!(rig.receive(&bob), ["kept"]);
    assert!(rig.store.messages_of(&user(1)).is_empty(), "acknowledged");
}

#[test]
fn a_shard_with_commits_in_flight_after_a_failure_answers_503_then_serves_again() {
    let rig = Rig::new(2, 1);
    let alice = rig.login(0);
    let bob = rig.login(1);
    rig.store.hold(true);
    let first = rig.send(&alice, 1, "one");
    rig.store.hold(false);
    rig.store
        .fail_when(Some(Box::new(|w| matches!(w, Write::PutMessage(_)))));
    // The second batch fails at once while the first is still in flight: the shard cannot
    // reload yet (the store does not have the first yet), so it serves nobody.
    let second = rig.send(&alice, 1, "two");
    let busy = rig.request(
        Some(&bob),
        TransactionMode::Request,
        None,
        Primitive::PollingRequest(PollingRequest {}),
    );
    assert_eq!(response_code(&busy), Some(503));
    // A login on that shard is refused too (it would see what the store may not have).
    let login = rig.request(
        None,
        TransactionMode::Request,
        None,
        Primitive::from(LoginRequest {
            user_id: user(1),
            password: Some("pw".into()),
            ..Default::default()
        }),
    );
    assert_eq!(response_code(&login), Some(503));
    rig.store.fail_when(None);
    rig.store.release();
    assert!(ready(first.durable).is_ok());
    assert!(ready(second.durable.clone()).is_err());
    assert_eq!(rig.receive(&bob), ["one"]);
}

#[test]
fn concurrent_updates_leave_the_store_where_memory_is() {
    let rig = Arc::new(Rig::new(1, 2));
    let a = rig.login(0);
    let b = rig.login(0);
    let threads: Vec<_> = [a, b]
        .into_iter()
        .enumerate()
        .map(|(k, sid)| {
            let rig = Arc::clone(&rig);
            std::thread::spawn(move || {
                for i in 0..300 {
                    let p = PresenceSubList {
                        status_text: Some(TextAttribute::new(format!("{k}-{i}"))),
                        ..Default::default()
                    };
                    let o = rig.request(
                        Some(&sid),
                        TransactionMode::Request,
                        None,
                        Primitive::from(UpdatePresenceRequest {
                            presence_sub_list: p,
                        }),
                    );
                    assert!(ready(o.durable).is_ok());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let stored = rig
        .store
        .document(&user(0), "presence")
        .expect("stored presence");
    let stored = match imps_csp::decode(&stored, &imps_csp::Limits::default())
        .map(|m| m.session.transactions[0].primitive.clone())
    {
        Ok(Primitive::UpdatePresenceRequest(r)) => r.presence_sub_list.status_text,
        other => panic!("stored presence: {other:?}"),
    };
    let st = rig.engine.owner(&user(0)).lock();
    let memory = st.users[&user(0)].presence.status_text.clone();
    assert!(memory.is_some());
    assert_eq!(stored, memory, "the store is where memory is");
}

#[test]
fn a_name_without_an_account_is_read_once_until_accounts_change() {
    let rig = Rig::new(2, 2);
    let alice = rig.login(0);
    let ghost = "wv:ghost@localhost";
    let loads = || rig.store.loads.load(std::sync::atomic::Ordering::Relaxed);
    let to_ghost = |text: &str| {
        let req = SendMessageRequest {
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    user: vec![User {
                        user_id: ghost.into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(text.into())),
            ..Default::default()
        };
        let o = rig.request(
            Some(&alice),
            TransactionMode::Request,
            None,
            Primitive::SendMessageRequest(req),
        );
        response_code(&o)
    };
    assert_eq!(to_ghost("one"), Some(531));
    let after_first = loads();
    for i in 0..20 {
        assert_eq!(to_ghost(&format!("again {i}")), Some(531));
    }
    assert_eq!(
        loads(),
        after_first,
        "no store read for a name known to have no account"
    );
    // The account is created (`impsd user add` tells the running server): it is found.
    let mut record = accounts(1).remove(0);
    record.id = ghost.into();
    rig.store
        .commit(vec![Write::PutUser(record.clone())])
        .expect("add the account");
    rig.engine.refresh_user(ghost, Some(record), NOW);
    assert_eq!(to_ghost("now you exist"), Some(200));
}

/// An account nothing needs any more (its last session ended, or it was only loaded to take a
/// message) leaves memory after `unload_after`; what it owns stays in the store and comes back
/// when it is next needed.
#[test]
fn idle_accounts_leave_memory_and_come_back_when_needed() {
    let rig = Rig::lazy(3, 2);
    let after = rig.engine.config().unload_after;
    assert!(after > 0);
    let alice = rig.login(0);
    assert_eq!(
        response_code(&rig.send(&alice, 1, "while you were out")),
        Some(200)
    );
    rig.logout(&alice);
    assert!(rig.loaded(0) && rig.loaded(1));

    let _ = rig.engine.tick(NOW + after - 1);
    assert!(rig.loaded(0) && rig.loaded(1), "not idle long enough");
    let _ = rig.engine.tick(NOW + after);
    assert!(!rig.loaded(0) && !rig.loaded(1), "both unloaded");
    assert_eq!(rig.engine.loaded_users().0, 0);

    // bob comes back: read again, with the message that waited in the store.
    let bob = rig.login(1);
    assert!(rig.loaded(1));
    assert_eq!(rig.receive(&bob), vec!["while you were out".to_owned()]);
}

/// An account someone watches, or with a live session, stays in memory however long.
#[test]
fn watched_and_online_accounts_stay() {
    let rig = Rig::lazy(3, 2);
    let after = rig.engine.config().unload_after;
    let carol = rig.login(2);
    let subscribe = rig.request(
        Some(&carol),
        TransactionMode::Request,
        None,
        Primitive::from(imps_csp::model::presence::SubscribePresenceRequest {
            user: vec![User {
                user_id: user(0),
                ..Default::default()
            }],
            ..Default::default()
        }),
    );
    assert_eq!(response_code(&subscribe), Some(200));
    assert!(rig.loaded(0), "alice loaded for carol's subscription");
    for t in [after, 3 * after, 10 * after] {
        let _ = rig.engine.tick(NOW + t);
        assert!(rig.loaded(0), "alice is watched");
        assert!(rig.loaded(2), "carol is online");
    }
    rig.logout(&carol);
    let _ = rig.engine.tick(NOW + 10 * after);
    let _ = rig.engine.tick(NOW + 21 * after);
    assert!(
        !rig.loaded(0) && !rig.loaded(2),
        "nobody needs either any more"
    );
}

/// No account leaves memory while a write of it is on its way to the store (read back before
/// the write lands, it would come back without it); the others of its shard still do, so a
/// busy shard, always with a batch in flight, unloads too.
#[test]
fn no_account_leaves_memory_while_a_write_is_in_flight() {
    let rig = Rig::lazy(3, 1);
    let after = rig.engine.config().unload_after;
    let alice = rig.login(0);
    rig.logout(&alice);
    let carol = rig.login(2);
    rig.store.hold(true);
    let sent = rig.send(&carol, 1, "on its way");
    assert!(rig.loaded(0) && rig.loaded(1));
    let _ = rig.engine.tick(NOW + 2 * after);
    assert!(rig.loaded(1), "bob's message is not in the store yet");
    assert!(!rig.loaded(0), "alice has nothing in flight");
    rig.store.release();
    rig.store.hold(false);
    assert!(ready(sent.durable).is_ok());
    // Looked at again a full delay after it was found busy.
    let _ = rig.engine.tick(NOW + 3 * after);
    assert!(!rig.loaded(1), "idle, and its message stored");
    assert!(rig.loaded(2), "carol is online");
    let bob = rig.login(1);
    assert_eq!(rig.receive(&bob), vec!["on its way".to_owned()]);
}

/// With unloading off, nothing is queued for it: logins and logouts leave no trace behind.
#[test]
fn with_unloading_off_nothing_accumulates() {
    let rig = Rig::build(2, 1, false, |c| c.unload_after = 0);
    for _ in 0..50 {
        let alice = rig.login(0);
        rig.logout(&alice);
        let _ = rig.engine.tick(NOW);
    }
    assert_eq!(rig.engine.shard(0).lock().idle.len(), 0);
    assert!(rig.loaded(0), "kept until restart");
}

/// A message to an account not in memory reads it from the store without holding its shard:
/// while that read is slow, the other users of the shard are served.
#[test]
fn a_slow_account_read_holds_up_only_the_request_that_needs_it() {
    let rig = Arc::new(Rig::lazy(3, 1));
    let alice = rig.login(0);
    let carol = rig.login(2);
    let loads = || rig.store.loads.load(std::sync::atomic::Ordering::Relaxed);
    let before = loads();
    let (sender, release) = {
        let alice = alice.clone();
        rig.with_next_read_parked(move |rig| {
            let o = rig.request_as_server(Some(&alice), send_request(1, "to bob"));
            (response_code(&o), ready(o.durable))
        })
    };
    // bob's account is being read (and waits): carol, on the same shard, is served meanwhile.
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let rig = rig.clone();
        std::thread::spawn(move || {
            let _ = tx.send(response_code(&rig.send(&carol, 0, "meanwhile")));
        });
    }
    let served = rx.recv_timeout(std::time::Duration::from_secs(20));
    release.send(()).expect("release the read");
    assert_eq!(
        served,
        Ok(Some(200)),
        "carol was served while bob's account was read"
    );
    let (code, durable) = sender.join().expect("sender");
    assert_eq!(code, Some(200));
    assert!(durable.is_ok());
    assert_eq!(loads(), before + 1, "bob's account read once");
    let bob = rig.login(1);
    assert_eq!(rig.receive(&bob), vec!["to bob".to_owned()]);
    assert_eq!(rig.receive(&alice), vec!["meanwhile".to_owned()]);
}

/// An account read from the store while memory changed (here: the account was deleted) is
/// not installed: it would bring back what the store no longer has.
#[test]
fn an_account_read_before_it_changed_is_not_installed() {
    let rig = Arc::new(Rig::lazy(3, 1));
    let alice = rig.login(0);
    let (reader, release) =
        rig.with_next_read_parked(|rig| rig.engine.load_accounts(&[user(1)], NOW));
    // bob's account was read; before the read returns, `impsd user del` removes it.
    rig.store
        .commit(vec![Write::DeleteUser(user(1))])
        .expect("delete");
    let _ = rig.engine.refresh_user(&user(1), None, NOW);
    release.send(()).expect("release the read");
    reader.join().expect("reader");
    assert!(!rig.loaded(1), "the deleted account was not installed");
    assert_eq!(
        response_code(&rig.send(&alice, 1, "anyone?")),
        Some(531),
        "a message to the deleted account is refused"
    );
}

/// A search reads the store ahead of its request, without the shard's lock
/// (`Engine::search_ahead`, as impsd calls it on the blocking pool): the request then takes
/// the hits read ahead instead of reading the store under the lock.
#[test]
fn a_search_reads_the_store_ahead_of_its_request() {
    use crate::store::{SearchKind, SearchTerm};
    use imps_csp::model::fundamental::{SearchPairList, SearchRequest};
    let rig = Rig::lazy(3, 1);
    let alice = rig.login(0);
    rig.store
        .commit(vec![Write::PutSearchTerms(
            user(1),
            vec![SearchTerm {
                kind: SearchKind::User,
                subject: user(1),
                field: "PP_CITY".into(),
                value: "oslo".into(),
            }],
        )])
        .expect("terms");
    let searches = || {
        rig.store
            .searches
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let search = Primitive::from(SearchRequest {
        search_pair_list: vec![SearchPairList::new("USER_CITY", "OSL")],
        ..Default::default()
    });
    let (msg, n) = rig.message(Some(&alice), TransactionMode::Request, None, search);
    assert!(rig.engine.searches_store(&msg));
    rig.engine.search_ahead(&msg);
    assert_eq!(searches(), 1);
    let o = rig.engine.handle(msg, NOW, n);
    assert_eq!(searches(), 1, "the request took the hits read ahead");
    let hits = match o
        .response
        .map(|m| m.session.transactions[0].primitive.clone())
    {
        Some(Primitive::SearchResponse(r)) => r
            .search_result
            .and_then(|r| r.user_list)
            .map(|l| l.user.into_iter().map(|u| u.user_id).collect::<Vec<_>>()),
        other => panic!("Search-Response expected: {other:?}"),
    };
    assert_eq!(hits, Some(vec![user(1)]));
    // Without the read ahead, the request reads the store itself.
    let again = Primitive::from(SearchRequest {
        search_pair_list: vec![SearchPairList::new("USER_CITY", "oslo")],
        ..Default::default()
    });
    let o = rig.request(Some(&alice), TransactionMode::Request, None, again);
    assert!(o.response.is_some());
    assert_eq!(searches(), 2);
}

/// A shard that reloads a user after a failed commit keeps the group messages waiting for the
/// user's joined sessions (a first load drops them: no session is joined then).
#[test]
fn a_reload_after_a_failed_commit_keeps_group_messages_for_joined_sessions() {
    use imps_csp::model::common::Group;
    use imps_csp::model::group::{CreateGroupRequest, JoinGroupRequest};
    let rig = Rig::new(2, 2);
    let alice = rig.login(0);
    let bob = rig.login(1);
    let group = user(0).replacen('@', "/g@", 1);
    let ask = |sid: &str, p: Primitive| rig.request(Some(sid), TransactionMode::Request, None, p);
    let created = ask(
        &alice,
        Primitive::from(CreateGroupRequest {
            group_id: group.clone(),
            join_group: Some(true),
            ..Default::default()
        }),
    );
    assert_eq!(response_code(&created), Some(200));
    let joined = ask(
        &bob,
        Primitive::from(JoinGroupRequest {
            group_id: group.clone(),
            ..Default::default()
        }),
    );
    assert!(
        matches!(
            joined
                .response
                .as_ref()
                .map(|m| &m.session.transactions[0].primitive),
            Some(Primitive::JoinGroupResponse(_))
        ),
        "{:?}",
        joined.response
    );
    let said = ask(
        &alice,
        Primitive::SendMessageRequest(SendMessageRequest {
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    group: vec![Group {
                        group_id: Some(group.clone()),
                        screen_name: None,
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text("to the group".into())),
            ..Default::default()
        }),
    );
    assert!(ready(said.durable).is_ok());
    assert_eq!(rig.store.messages_of(&user(1)).len(), 1);
    let bob_id = user(1);
    rig.store.fail_when(Some(Box::new(
        move |w| matches!(w, Write::PutMessage(m) if m.recipient == bob_id),
    )));
    assert!(ready(rig.send(&alice, 1, "lost").durable).is_err());
    rig.store.fail_when(None);
    // Bob's shard reloads him before it serves again; his session is still joined.
    assert_eq!(rig.receive(&bob), ["to the group"]);
}

/// The shard's set of group expiry times holds one entry per group with a Validity: changing
/// a Validity again and again, or creating and deleting groups with one, does not grow it.
#[test]
fn group_expiry_times_do_not_pile_up() {
    use imps_csp::model::group::{
        CreateGroupRequest, DeleteGroupRequest, GroupProperties, SetGroupPropsRequest,
    };
    let rig = Rig::new(1, 1);
    let alice = rig.login(0);
    let ask = |p: Primitive| {
        let o = rig.request(Some(&alice), TransactionMode::Request, None, p);
        assert_eq!(response_code(&o), Some(200), "{:?}", o.response);
    };
    let validity = |secs: u32| {
        let mut p = GroupProperties::default();
        p.set("Validity", secs.to_string());
        p
    };
    let kept = user(0).replacen('@', "/kept@", 1);
    ask(Primitive::from(CreateGroupRequest {
        group_id: kept.clone(),
        group_properties: validity(1000),
        ..Default::default()
    }));
    for n in 0..50u32 {
        ask(Primitive::from(SetGroupPropsRequest {
            group_id: kept.clone(),
            group_properties: Some(validity(2000 + n)),
            own_properties: None,
        }));
        let brief = user(0).replacen('@', "/brief@", 1);
        ask(Primitive::from(CreateGroupRequest {
            group_id: brief.clone(),
            group_properties: validity(5000 + n),
            ..Default::default()
        }));
        ask(Primitive::from(DeleteGroupRequest { group_id: brief }));
    }
    let st = rig.engine.owner(&user(0)).lock();
    assert_eq!(st.group_expiries.len(), 1, "{:?}", st.group_expiries);
}

/// The one document that held all of an account's groups before each had its own is split
/// when the account is first loaded (the store double has no schema migration): each group
/// gets its own document and the old one goes, so a group deleted later stays deleted.
#[test]
fn the_old_groups_document_is_split_when_read() {
    use imps_csp::model::group::{DeleteGroupRequest, GetGroupPropsRequest};
    let rig = Rig::lazy(1, 1);
    let home = user(0);
    let (chess, go) = (
        home.replacen('@', "/chess@", 1),
        home.replacen('@', "/go@", 1),
    );
    let old = serde_json::to_vec(&[
        crate::group::GroupState::new(&chess, "chess", &home, NOW).rec,
        crate::group::GroupState::new(&go, "go", &home, NOW).rec,
    ])
    .expect("encodes");
    rig.store
        .commit(vec![Write::PutDocument(crate::store::UserDocument {
            user: home.clone(),
            kind: crate::group::GROUPS_DOCUMENT.into(),
            body: old,
        })])
        .expect("commit");
    let sid = rig.login(0);
    let props = rig.request(
        Some(&sid),
        TransactionMode::Request,
        None,
        Primitive::from(GetGroupPropsRequest {
            group_id: go.clone(),
        }),
    );
    assert!(
        matches!(
            props
                .response
                .as_ref()
                .map(|m| &m.session.transactions[0].primitive),
            Some(Primitive::GetGroupPropsResponse(_))
        ),
        "{:?}",
        props.response
    );
    let deleted = rig.request(
        Some(&sid),
        TransactionMode::Request,
        None,
        Primitive::from(DeleteGroupRequest {
            group_id: chess.clone(),
        }),
    );
    assert_eq!(response_code(&deleted), Some(200));
    assert!(ready(deleted.durable).is_ok());
    assert_eq!(
        rig.store.document(&home, crate::group::GROUPS_DOCUMENT),
        None,
        "the old document went"
    );
    assert!(rig
        .store
        .document(&home, &crate::group::document_kind(&go))
        .is_some());
    assert_eq!(
        rig.store
            .document(&home, &crate::group::document_kind(&chess)),
        None,
        "the deleted group is not stored"
    );
}
