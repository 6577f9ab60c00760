//! Start-up time against a big database (issue 10, point 5): `IMPS_STARTUP_ACCOUNTS` accounts
//! (default 1 000 000), each with one stored message, written straight into a fresh SQLite
//! store; then the real `impsd` is started on it and timed until it prints where it listens,
//! and one account's first login (which loads that account, its message included) is timed.
//! For comparison, what start-up did before accounts were loaded on demand is timed too:
//! reading everything (`Store::load`) and building the engine's state from it.
//!
//! `cargo bench -p imps-server --bench startup` (the database is built in a temporary
//! directory, about 1 GB at the default size).

use std::time::Instant;

use imps_core::store::{MessageRecord, Store, UserRecord, Write};
use imps_csp::model::im::{MessageInfo, NewMessage};
use imps_csp::{CspVersion, Primitive, TransactionMode, WvCspMessage};
use imps_store::SqliteStore;

fn main() {
    let n: usize = std::env::var("IMPS_STARTUP_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    fill(dir.path(), n);
    println!(
        "filled {n} accounts and {n} messages in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let store = SqliteStore::open(dir.path()).expect("open");
    let snapshot = store.load().expect("load");
    println!(
        "Store::load of everything (start-up before issue 10): {:.2} s ({} accounts, {} messages)",
        t.elapsed().as_secs_f64(),
        snapshot.users.len(),
        snapshot.messages.len()
    );
    let engine = imps_core::Engine::new(imps_core::EngineConfig::default(), snapshot);
    println!(
        "... and building the engine's state from it (start-up before issue 10, in all): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop(engine);
    drop(store);

    let t = Instant::now();
    let (mut child, url) = imps_testkit::process::start_impsd(
        env!("CARGO_BIN_EXE_impsd"),
        [
            "--data".as_ref(),
            dir.path().as_os_str(),
            "--http".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
    );
    println!(
        "impsd listening after {:.3} s on {url}",
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let t = Instant::now();
        let mut c = imps_client::Client::new(imps_client::ClientConfig::new(url)).expect("client");
        c.login(&format!("u{}", n / 2), "pw").await.expect("login");
        c.negotiate().await.expect("negotiate");
        let got = c
            .wait_for(std::time::Duration::from_secs(30), |p| {
                matches!(p, Primitive::NewMessage(_))
            })
            .await;
        println!(
            "first login, negotiation and the stored message of one account: {:.3} s ({})",
            t.elapsed().as_secs_f64(),
            if got.is_ok() {
                "delivered"
            } else {
                "NOT delivered"
            }
        );
    });
    let _ = child.kill();
    let _ = child.wait();
}

/// `n` accounts `wv:u<i>@localhost` (password `pw`, hashed once) and one message for each.
fn fill(dir: &std::path::Path, n: usize) {
    let store = SqliteStore::open(dir).expect("open");
    let hash =
        imps_core::auth::hash_password("pw", imps_core::auth::HashCost::default()).expect("hash");
    let doc = |to: &str, id: &str| {
        let m = WvCspMessage::new(
            CspVersion::V1_3,
            None,
            TransactionMode::Request,
            None,
            Primitive::NewMessage(NewMessage {
                message_info: MessageInfo {
                    message_id: Some(id.to_owned()),
                    content_type: Some("text/plain".into()),
                    ..Default::default()
                },
                content_data: Some(imps_csp::codec::ContentData::Text(format!("hello {to}"))),
            }),
        );
        imps_csp::encode_wbxml(&m).expect("encode")
    };
    let mut writes = Vec::with_capacity(20_000);
    for i in 0..n {
        let id = format!("wv:u{i}@localhost");
        let mid = format!("m{i}");
        writes.push(Write::PutUser(UserRecord {
            id: id.clone(),
            password_hash: hash.clone(),
            digest_secret: None,
            disabled: false,
        }));
        writes.push(Write::PutMessage(MessageRecord {
            document: doc(&id, &mid),
            recipient: id,
            message_id: mid,
            sender: "wv:u0@localhost".into(),
            accepted_at: 1_900_000_000,
            expires_at: 4_000_000_000,
            delivery_report: false,
        }));
        if writes.len() >= 20_000 {
            store.commit(std::mem::take(&mut writes)).expect("commit");
        }
    }
    store.commit(writes).expect("commit");
}
