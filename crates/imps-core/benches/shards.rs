//! The engine without sockets, codecs or a store (issue 10, point 3): how much messaging work
//! it does per second with its users spread over 1 or more shards, driven by several threads.
//!
//! `cargo bench -p imps-core --bench shards [-- USERS SECONDS ROUNDS [local]]`
//!
//! One thread per shard, as a shard's own thread: it sends for its shard's users, each a
//! SendMessage to a user of any shard, and its shard's users poll (which hands out the
//! NewMessage) and acknowledge — the three requests one delivered message costs. Writes are
//! discarded (no store). Printed: the messages delivered per second for 1 and 2 shards, run
//! alternately, and the median ratio.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use imps_core::loadgen::engine_with_users;
use imps_core::{Engine, EngineConfig, Outcome, Routed};
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Recipient, Status, User};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::model::session::{LoginRequest, PollingRequest};
use imps_csp::{CspVersion, Primitive, TransactionMode, WvCspMessage};

// The allocator impsd runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: u64 = 1_800_000_000;

fn engine(users: usize, shards: usize) -> Engine {
    let cfg = EngineConfig {
        shards,
        messages_burst: 1e12,
        messages_per_second: 1e12,
        max_sessions_per_user: 1,
        ..EngineConfig::default()
    };
    engine_with_users(users, cfg)
}

fn request(sid: Option<&str>, tid: &str, p: Primitive) -> WvCspMessage {
    WvCspMessage::new(
        CspVersion::V1_2,
        sid.map(str::to_owned),
        TransactionMode::Request,
        Some(tid.into()),
        p,
    )
}

fn login(engine: &Engine, i: usize) -> String {
    let o = engine.handle(
        request(
            None,
            "l",
            Primitive::from(LoginRequest {
                user_id: format!("u{i}"),
                password: Some("pw".into()),
                ..Default::default()
            }),
        ),
        NOW,
        0,
    );
    match o
        .response
        .map(|m| m.session.transactions[0].primitive.clone())
    {
        Some(Primitive::LoginResponse(r)) => r.session_id.expect("session"),
        other => panic!("login: {other:?}"),
    }
}

/// A shard's own thread: its engine calls, the effects it routes to other shards' threads,
/// and the effects it has to apply itself.
struct ShardThread {
    engine: Arc<Engine>,
    me: usize,
    shards: usize,
    txs: Vec<std::sync::mpsc::Sender<Vec<Work>>>,
    /// What waits to be handed to each other shard's thread (sent in batches, as a router
    /// batches what it sends to one peer).
    out: Vec<Vec<Work>>,
    local: std::collections::VecDeque<Routed>,
}

/// What one shard's thread hands another: an effect to apply, or a user of its to poll.
enum Work {
    Event(Routed),
    Poll(usize),
}

impl ShardThread {
    /// Hands the outcome's effects to their owners (applying its own ones at once), as the
    /// in-process router does.
    fn route(&mut self, mut o: Outcome) -> Outcome {
        for r in o.take_routed() {
            let to = r.owner(self.shards);
            if to == self.me {
                self.local.push_back(r);
            } else {
                self.out[to].push(Work::Event(r));
            }
        }
        while let Some(r) = self.local.pop_front() {
            let mut later = self.engine.apply_routed(r, NOW);
            for r in later.take_routed() {
                let to = r.owner(self.shards);
                if to == self.me {
                    self.local.push_back(r);
                } else {
                    self.out[to].push(Work::Event(r));
                }
            }
        }
        o
    }

    /// Sends what waits for other shards' threads.
    fn flush(&mut self) {
        for (to, work) in self.out.iter_mut().enumerate() {
            if !work.is_empty() {
                let _ = self.txs[to].send(std::mem::take(work));
            }
        }
    }

    fn call(&mut self, msg: WvCspMessage, n: u64) -> Outcome {
        let (o, _) = self.engine.submit(msg, NOW, n);
        self.route(o)
    }

    fn send(&mut self, sid: &str, to: usize, n: u64) {
        let msg = SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    user: vec![User {
                        user_id: format!("wv:u{to}@localhost"),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(format!("message {n}"))),
        };
        // Answered when the recipient's shard has taken it (its thread routes the answer back).
        self.call(
            request(
                Some(sid),
                &format!("t{n}"),
                Primitive::SendMessageRequest(msg),
            ),
            n,
        );
    }

    /// Polls `sid` and acknowledges what came; how many messages it took in.
    fn poll_and_ack(&mut self, sid: &str, n: u64) -> u64 {
        let mut got = 0;
        loop {
            let o = self.call(
                request(
                    Some(sid),
                    &format!("p{n}"),
                    Primitive::PollingRequest(PollingRequest {}),
                ),
                n,
            );
            let Some(m) = o.response else {
                return got;
            };
            let Some(t) = m.session.transactions.first() else {
                return got;
            };
            if !matches!(t.primitive, Primitive::NewMessage(_)) {
                return got;
            }
            got += 1;
            let ack = WvCspMessage::new(
                CspVersion::V1_2,
                Some(sid.to_owned()),
                TransactionMode::Response,
                t.descriptor.transaction_id.clone(),
                Primitive::Status(Status::new(imps_csp::StatusCode::SUCCESS)),
            );
            self.call(ack, n);
            if !m.poll() {
                return got;
            }
        }
    }
}

/// One thread per shard, as a shard's own thread: thread `t` sends for the users shard `t`
/// owns, each message to a user of any shard (spread evenly: with 2 shards half the messages
/// cross), applies the effects routed to its shard (a message delivery, its answer) and polls
/// for its own users only; effects and recipients of another shard go to that shard's thread
/// through a channel (the in-process router). No thread ever takes another shard's lock.
fn run(users: usize, shards: usize, seconds: u64, local: bool) -> f64 {
    let engine = Arc::new(engine(users, shards));
    let sids: Arc<Vec<String>> = Arc::new((0..users).map(|i| login(&engine, i)).collect());
    let owner: Arc<Vec<usize>> = Arc::new(
        (0..users)
            .map(|i| imps_core::loadgen::shard_of(&imps_core::loadgen::user(i), shards))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicU64::new(0));
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..shards)
        .map(|_| std::sync::mpsc::channel::<Vec<Work>>())
        .unzip();
    let start = Instant::now();
    let handles: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(t, rx)| {
            let (sids, owner, stop, delivered) =
                (sids.clone(), owner.clone(), stop.clone(), delivered.clone());
            let mut me = ShardThread {
                engine: engine.clone(),
                me: t,
                shards,
                txs: txs.clone(),
                out: (0..shards).map(|_| Vec::new()).collect(),
                local: Default::default(),
            };
            std::thread::spawn(move || {
                // A shard's thread stays on its core, as impsd's shards are one per core.
                if let Some(core) = core_affinity::get_core_ids().and_then(|c| c.get(t).copied()) {
                    core_affinity::set_for_current(core);
                }
                let mine: Vec<usize> = (0..users).filter(|&i| owner[i] == t).collect();
                let mut n = 0u64;
                let mut got = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for (k, &from) in mine.iter().enumerate() {
                        n += 1;
                        // A recipient of any shard, the same sequence on every run.
                        let to = if local {
                            // Variant: every message to a user of the sender's own shard.
                            mine[(k + 1 + n as usize * 7919) % mine.len()]
                        } else {
                            (from + 1 + (n as usize * 7919) % (users - 1)) % users
                        };
                        me.send(&sids[from], to, n);
                        if owner[to] == t {
                            got += me.poll_and_ack(&sids[to], n);
                        } else {
                            me.out[owner[to]].push(Work::Poll(to));
                        }
                        if k % 16 != 15 {
                            continue;
                        }
                        me.flush();
                        while let Ok(batch) = rx.try_recv() {
                            for w in batch {
                                match w {
                                    Work::Event(r) => {
                                        me.local.push_back(r);
                                        me.route(Outcome::default());
                                    }
                                    Work::Poll(r) => got += me.poll_and_ack(&sids[r], n),
                                }
                            }
                        }
                    }
                }
                delivered.fetch_add(got, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("thread");
    }
    delivered.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let users: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    // `local`: no message crosses shards (how the shards scale without the router's cost).
    let local = args.get(3).is_some_and(|a| a == "local");
    // 1 and 2 shards alternately, so that both see the same machine (this one is shared:
    // what other guests do moves a single run by a third); the median of the pairs' ratios.
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let one = run(users, 1, seconds, local);
        let two = run(users, 2, seconds, local);
        ratios.push(two / one);
        println!(
            "round {round}: 1 shard {one:.0}/s, 2 shards {two:.0}/s messages delivered ({:.2}x)",
            two / one
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "users={users}, {rounds} rounds of {seconds} s{}: median 2 shards / 1 shard = {:.2}x",
        if local {
            ", messages within a shard"
        } else {
            ""
        },
        ratios[ratios.len() / 2]
    );
}
