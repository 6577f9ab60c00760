//! How much memory and time the engine needs for many logged-in sessions (issue 10, point 8):
//! N users each log in, create a contact list of the next 20 users and subscribe to the
//! presence of the next 5, spread over one shard per core, driven by one thread per core. No
//! sockets, codec or store.
//!
//! `cargo bench -p imps-core --bench sessions [-- USERS]` (default 100 000)

use std::sync::Arc;
use std::time::Instant;

use imps_core::loadgen::{engine_with_users, user};
use imps_core::{Engine, EngineConfig};
use imps_csp::model::common::{NickList, NickName, User};
use imps_csp::model::presence::{CreateListRequest, SubscribePresenceRequest};
use imps_csp::model::session::LoginRequest;
use imps_csp::{CspVersion, Primitive, TransactionMode, WvCspMessage};

const NOW: u64 = 1_800_000_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Test account `i`, wrapping around after `n`.
fn nth(i: usize, n: usize) -> String {
    user(i % n)
}

fn call(engine: &Engine, sid: Option<&str>, p: Primitive) -> Primitive {
    let m = WvCspMessage::new(
        CspVersion::V1_2,
        sid.map(str::to_owned),
        TransactionMode::Request,
        Some("t".into()),
        p,
    );
    engine
        .handle(m, NOW, 0)
        .response
        .and_then(|m| m.session.transactions.into_iter().next())
        .map(|t| t.primitive)
        .expect("an answer")
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let before = rss_kib();
    let cfg = EngineConfig {
        shards: cores,
        max_subscriptions: 10,
        ..EngineConfig::default()
    };
    let engine = Arc::new(engine_with_users(n, cfg));
    let accounts = rss_kib();
    let start = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|t| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                for i in (t..n).step_by(cores) {
                    let sid = match call(
                        &engine,
                        None,
                        Primitive::from(LoginRequest {
                            user_id: nth(i, n),
                            password: Some("pw".into()),
                            ..Default::default()
                        }),
                    ) {
                        Primitive::LoginResponse(r) => r.session_id.expect("session"),
                        other => panic!("login: {other:?}"),
                    };
                    let contacts = NickList {
                        nick_name: (1..=20)
                            .map(|k| NickName {
                                name: None,
                                user_id: nth(i + k, n),
                            })
                            .collect(),
                    };
                    call(
                        &engine,
                        Some(&sid),
                        Primitive::CreateListRequest(CreateListRequest {
                            contact_list: format!("wv:u{i}/friends@localhost"),
                            nick_list: Some(contacts),
                            contact_list_properties: None,
                        }),
                    );
                    call(
                        &engine,
                        Some(&sid),
                        Primitive::from(SubscribePresenceRequest {
                            user: (1..=5)
                                .map(|k| User {
                                    user_id: nth(i + k, n),
                                    ..Default::default()
                                })
                                .collect(),
                            ..Default::default()
                        }),
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let took = start.elapsed();
    let after = rss_kib();
    assert_eq!(engine.session_count(), n);
    println!(
        "{n} sessions on {cores} shards, each with a 20-contact list and 5 subscriptions: \
         created in {:.1} s ({:.0}/s); RSS {} MiB for the accounts, {} MiB with the sessions: \
         {:.2} KiB per session (accounts: {:.2} KiB each)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        accounts.saturating_sub(before) / 1024,
        after.saturating_sub(before) / 1024,
        after.saturating_sub(accounts) as f64 / n as f64,
        accounts.saturating_sub(before) as f64 / n as f64,
    );
}
