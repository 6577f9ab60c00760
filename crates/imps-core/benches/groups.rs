//! What a message to a large group costs the engine (issue 11): no sockets, codecs or store.
//!
//! `cargo bench -p imps-core --bench groups [-- MEMBERS ROUNDS SHARDS]` (defaults 1000, 30, 2)
//!
//! MEMBERS users join one group (without change notices); in each round one of them says
//! something in it — the group's owner fans it out as a copy per member, each delivered to its
//! owner's inbox — and then every member polls (which hands out the NewMessage) and
//! acknowledges it. Printed: the time to accept one group message (fan-out and every copy
//! delivered, until the sender's answer), the time for the members to take their copies, and
//! copies delivered per second overall (medians over the rounds).

use std::time::Instant;

use imps_core::loadgen::engine_with_users;
use imps_core::{Engine, EngineConfig};
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Group, Recipient, Status};
use imps_csp::model::group::{CreateGroupRequest, JoinGroupRequest};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::model::session::{LoginRequest, PollingRequest};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};

// The allocator impsd runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: u64 = 1_800_000_000;
const GROUP: &str = "wv:u0/big@localhost";

fn msg(sid: Option<&str>, mode: TransactionMode, tid: &str, p: Primitive) -> WvCspMessage {
    WvCspMessage::new(
        CspVersion::V1_2,
        sid.map(str::to_owned),
        mode,
        Some(tid.into()),
        p,
    )
}

fn first(o: imps_core::Outcome) -> Option<(Option<String>, Primitive)> {
    o.response.and_then(|m| {
        m.session
            .transactions
            .into_iter()
            .next()
            .map(|t| (t.descriptor.transaction_id, t.primitive))
    })
}

fn login(engine: &Engine, i: usize) -> String {
    let p = Primitive::from(LoginRequest {
        user_id: format!("u{i}"),
        password: Some("pw".into()),
        ..Default::default()
    });
    match first(engine.handle(msg(None, TransactionMode::Request, "l", p), NOW, 0)) {
        Some((_, Primitive::LoginResponse(r))) => r.session_id.expect("session"),
        other => panic!("login: {other:?}"),
    }
}

fn ok(engine: &Engine, sid: &str, tid: &str, p: Primitive) -> Primitive {
    let (_, answer) =
        first(engine.handle(msg(Some(sid), TransactionMode::Request, tid, p), NOW, 0))
            .expect("an answer");
    answer
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (members, rounds, shards) = (num(0, 1000), num(1, 30), num(2, 2));
    let cfg = EngineConfig {
        shards,
        messages_burst: 1e12,
        messages_per_second: 1e12,
        max_joined_per_group: members + 1,
        max_fanout_bytes: usize::MAX,
        ..EngineConfig::default()
    };
    let engine = engine_with_users(members, cfg);
    let sids: Vec<String> = (0..members).map(|i| login(&engine, i)).collect();
    let created = ok(
        &engine,
        &sids[0],
        "c",
        Primitive::from(CreateGroupRequest {
            group_id: GROUP.into(),
            join_group: Some(true),
            ..Default::default()
        }),
    );
    assert!(matches!(created, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
    for sid in &sids[1..] {
        let joined = ok(
            &engine,
            sid,
            "j",
            Primitive::from(JoinGroupRequest {
                group_id: GROUP.into(),
                subscribe_notification: Some(false),
                ..Default::default()
            }),
        );
        assert!(
            matches!(joined, Primitive::JoinGroupResponse(_)),
            "{joined:?}"
        );
    }
    let (mut accept, mut take, mut rate) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let sender = &sids[round % members];
        let say = Primitive::SendMessageRequest(SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    group: vec![Group {
                        group_id: Some(GROUP.into()),
                        screen_name: None,
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(format!("round {round}"))),
        });
        let t0 = Instant::now();
        let answer = ok(&engine, sender, &format!("s{round}"), say);
        let t1 = Instant::now();
        assert!(
            matches!(answer, Primitive::SendMessageResponse(_)),
            "{answer:?}"
        );
        let mut copies = 0usize;
        for sid in &sids {
            let polled = first(engine.handle(
                msg(
                    Some(sid),
                    TransactionMode::Request,
                    "p",
                    Primitive::PollingRequest(PollingRequest {}),
                ),
                NOW,
                0,
            ));
            if let Some((tid, Primitive::NewMessage(_))) = polled {
                copies += 1;
                let ack = Primitive::Status(Status::new(StatusCode::SUCCESS));
                let _ = engine.handle(
                    msg(
                        Some(sid),
                        TransactionMode::Response,
                        &tid.unwrap_or_default(),
                        ack,
                    ),
                    NOW,
                    0,
                );
            }
        }
        let t2 = Instant::now();
        assert_eq!(copies, members - 1, "every other member got the message");
        accept.push((t1 - t0).as_secs_f64() * 1e3);
        take.push((t2 - t1).as_secs_f64() * 1e3);
        rate.push(copies as f64 / (t2 - t0).as_secs_f64());
    }
    println!(
        "group of {members} joined members, {shards} shards, {rounds} rounds (medians):\n  \
         accepting one group message (fan-out, {} copies delivered): {:.2} ms\n  \
         members polling and acknowledging their copies: {:.2} ms\n  \
         copies delivered end to end: {:.0} per second",
        members - 1,
        median(accept),
        median(take),
        median(rate)
    );
}
