//! Shards run by whoever holds them: a request or a routed effect for a shard another thread
//! holds is left in its mailbox, the caller does not wait for the lock, and the holder runs it
//! before it lets go (`shard.rs`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use imps_csp::TransactionMode;

use crate::durable_tests::{ready, response_code, send_request, Rig, NOW};
use crate::loadgen::{shard_of, user};
use crate::{Handled, Outcome, Reached};

/// Runs `f` on this thread; fails if it is not done within 30 s (work stranded in a mailbox).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "work left in a shard's mailbox was never run"
        );
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// The first user (of `users`) whose account shard `shard` owns (of 2).
fn on_shard(shard: usize, users: usize) -> usize {
    (0..users)
        .find(|&u| shard_of(&user(u), 2) == shard)
        .expect("a user on each shard")
}

/// Sends as impsd does: at once while the shards are free, else finished later.
fn send_nowait(rig: &Rig, sid: &str, to: usize, text: &str) -> Handled {
    let (msg, n) = rig.message(
        Some(sid),
        TransactionMode::Request,
        None,
        send_request(to, text),
    );
    rig.engine.handle_nowait(msg, NOW, n, Reached::default())
}

/// Two users logged in on a 2-shard engine: alice on shard 0, bob on shard 1, with their
/// sessions.
struct Pair {
    rig: Rig,
    alice: usize,
    bob: usize,
    sa: String,
    sb: String,
}

impl Pair {
    fn logged_in() -> Pair {
        let rig = Rig::new(8, 2);
        let (alice, bob) = (on_shard(0, 8), on_shard(1, 8));
        let sa = rig.login(alice);
        let sb = rig.login(bob);
        Pair {
            rig,
            alice,
            bob,
            sa,
            sb,
        }
    }
}

/// What a call that met a held shard returned: it must not have run.
fn pending(h: Handled, what: &str) -> crate::Pending {
    match h {
        Handled::Pending(p) => p,
        Handled::Done(_) => panic!("{what} ran although its shard was held"),
    }
}

fn finish(rig: &Rig, h: Handled) -> Outcome {
    match h {
        Handled::Done(o) => o,
        Handled::Pending(p) => block_on(p.finish(&rig.engine)).expect("the work ran"),
    }
}

#[test]
fn a_request_on_a_busy_shard_is_left_to_its_holder() {
    let Pair {
        rig, alice, sa, sb, ..
    } = Pair::logged_in();
    let held = rig.engine.shard(1).lock();
    // bob's session is on shard 1, which another thread holds: the call returns at once.
    let h = send_nowait(&rig, &sb, alice, "from bob");
    let p = pending(h, "the request");
    // The holder runs it as it lets go.
    drop(held);
    let o = block_on(p.finish(&rig.engine)).expect("the work ran");
    assert_eq!(response_code(&o), Some(200));
    assert!(ready(o.durable).is_ok());
    assert_eq!(rig.receive(&sa), vec!["from bob".to_owned()]);
}

#[test]
fn a_delivery_to_a_busy_shard_is_left_to_its_holder() {
    let Pair {
        rig, alice, sa, sb, ..
    } = Pair::logged_in();
    let held = rig.engine.shard(0).lock();
    // bob's request runs on shard 1; the copy for alice waits for shard 0's holder, and
    // bob's answer waits for alice's owner to take it.
    let h = send_nowait(&rig, &sb, alice, "one");
    let p = pending(h, "the delivery");
    let h2 = send_nowait(&rig, &sb, alice, "two");
    assert!(matches!(h2, Handled::Pending(_)));
    drop(held);
    for h in [Handled::Pending(p), h2] {
        let o = finish(&rig, h);
        assert_eq!(response_code(&o), Some(200));
        assert!(ready(o.durable).is_ok());
    }
    // Left in the mailbox in order, taken in order.
    assert_eq!(rig.receive(&sa), vec!["one".to_owned(), "two".to_owned()]);
}

/// Threads sending across two shards while another thread keeps taking the shards' locks
/// (as ticks and admin commands do): every message is answered 200 and arrives exactly once,
/// and no work is stranded in a mailbox.
#[test]
fn under_contention_every_message_is_answered_and_arrives_once() {
    const USERS: usize = 8;
    const EACH: usize = 200;
    let rig = Arc::new(Rig::new(USERS, 2));
    let sids: Vec<String> = (0..USERS).map(|u| rig.login(u)).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let locker = {
        let rig = rig.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let g = rig.engine.shard(i % 2).lock();
                std::thread::sleep(Duration::from_micros(50));
                drop(g);
                i += 1;
            }
        })
    };
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let rig = rig.clone();
            let sids = sids.clone();
            std::thread::spawn(move || {
                let mut pending = 0;
                for k in 0..EACH {
                    let from = (t * 2 + k) % USERS;
                    let to = (from + 1 + k % (USERS - 1)) % USERS;
                    let h = send_nowait(&rig, &sids[from], to, &format!("{t}:{k}"));
                    if matches!(h, Handled::Pending(_)) {
                        pending += 1;
                    }
                    let o = finish(&rig, h);
                    assert_eq!(response_code(&o), Some(200), "message {t}:{k}");
                }
                pending
            })
        })
        .collect();
    let pending: usize = senders.into_iter().map(|h| h.join().expect("sender")).sum();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    locker.join().expect("locker");
    assert!(
        pending > 0,
        "no request met a busy shard: the test proves nothing"
    );
    let mut got: Vec<String> = Vec::new();
    for sid in &sids {
        got.extend(rig.receive_all(sid));
    }
    got.sort();
    let mut sent: Vec<String> = (0..4)
        .flat_map(|t| (0..EACH).map(move |k| format!("{t}:{k}")))
        .collect();
    sent.sort();
    assert_eq!(got, sent, "every message arrived exactly once");
}

/// Work left in the gap between a holder's last look at the mailbox and its unlock (the
/// caller found the shard still held) is run all the same: the holder looks again after
/// unlocking.
#[test]
fn work_left_just_before_the_holder_lets_go_is_not_stranded() {
    let Pair {
        rig, alice, sa, sb, ..
    } = Pair::logged_in();
    let rig = Arc::new(rig);
    let left = Arc::new(parking_lot::Mutex::new(None));
    let held = rig.engine.shard(1).lock();
    {
        let rig = rig.clone();
        let left = left.clone();
        crate::shard::BEFORE_UNLOCK.with(|h| {
            *h.borrow_mut() = Some(Box::new(move || {
                let h = std::thread::spawn(move || send_nowait(&rig, &sb, alice, "in the gap"))
                    .join()
                    .expect("sender");
                *left.lock() = Some(h);
            }));
        });
    }
    drop(held);
    let h = left.lock().take().expect("the hook ran");
    assert!(
        matches!(h, Handled::Pending(_)),
        "the shard was still held when the work was left"
    );
    let o = finish(&rig, h);
    assert_eq!(response_code(&o), Some(200));
    assert_eq!(rig.receive(&sa), vec!["in the gap".to_owned()]);
}

/// A SendMessage answer is encoded once, for the replay cache, and the engine hands those
/// bytes on for a WBXML client: they are exactly what encoding the answer gives, whether the
/// answer was parked for another shard or not, and however the request was driven.
#[test]
fn the_answer_encoded_for_replay_is_the_answer() {
    let Pair {
        rig,
        alice,
        bob,
        sa,
        sb,
    } = Pair::logged_in();
    let other = (0..8)
        .find(|&u| u != alice && shard_of(&user(u), 2) == 0)
        .expect("a second user on shard 0");
    for (to, text) in [(bob, "across"), (other, "within")] {
        let o = rig.send(&sa, to, text);
        let m = o.response.as_ref().expect("an answer");
        assert_eq!(response_code(&o), Some(200));
        assert_eq!(
            o.response_wbxml.as_deref(),
            Some(imps_csp::encode_wbxml(m).expect("encodes").as_slice()),
            "{text}"
        );
    }
    let held = rig.engine.shard(0).lock();
    let h = send_nowait(&rig, &sb, alice, "parked");
    drop(held);
    let o = finish(&rig, h);
    let m = o.response.as_ref().expect("an answer");
    assert_eq!(
        o.response_wbxml.as_deref(),
        Some(imps_csp::encode_wbxml(m).expect("encodes").as_slice())
    );
    // A poll is not kept for replay: nothing encoded ahead.
    let (msg, n) = rig.message(
        Some(&sa),
        TransactionMode::Request,
        None,
        imps_csp::Primitive::PollingRequest(imps_csp::model::session::PollingRequest {}),
    );
    let o = rig.engine.handle(msg, NOW, n);
    assert!(o.response.is_some());
    assert!(o.response_wbxml.is_none());
}
