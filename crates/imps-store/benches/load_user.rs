//! `Store::load_user` on a large database: 1 000 000 accounts and 1 000 000 undelivered messages
//! (plus a presence document per account and a 20-member contact list for every tenth one).
//!
//! The database is built through `SqliteStore::commit` on the first run (a few minutes) and kept
//! for the next ones, in `$IMPS_LOAD_USER_DB` or else `target/tmp/load-user-1m/` (never in the
//! repository). Then criterion times:
//!
//! - `load_user/busy_account`: one account that owns 3 lists of 50 members, 11 messages (the 10
//!   sent to it on purpose and one of the random ones) and 3 documents, read again and again
//!   (its pages stay in SQLite's cache);
//! - `load_user/random_account`: a different account each time, picked at random among the
//!   million (about one message, one document, a list one time in ten): pages come from the
//!   operating system's cache, not SQLite's;
//! - `user/random_account`: the account record alone (what a login reads today), for scale.
//!
//! Run: `cargo bench -p imps-store --bench load_user`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use imps_core::store::{ContactListRecord, MessageRecord, Store, UserDocument, UserRecord, Write};
use imps_store::SqliteStore;

const ACCOUNTS: u64 = 1_000_000;
const MESSAGES: u64 = 1_000_000;
/// The account `busy_account` reads.
const BUSY: u64 = 500_000;
/// Messages of the million that go to the busy account.
const BUSY_MESSAGES: u64 = 10;
/// Writes per commit while building.
const CHUNK: usize = 10_000;

fn id(n: u64) -> String {
    format!("wv:user{n:07}@example.com")
}

/// A deterministic spread of `n` over `0..ACCOUNTS` (splitmix64).
fn spread(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % ACCOUNTS
}

fn account(n: u64) -> UserRecord {
    UserRecord {
        id: id(n),
        // The length of a real argon2id PHC string.
        password_hash: format!(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0{n:07}$\
             aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
        ),
        // Digest login on for one account in ten (sealed in the database, opened on read).
        digest_secret: n.is_multiple_of(10).then(|| format!("secret{n}")),
        disabled: false,
    }
}

fn list(owner: u64, name: &str, members: u64) -> ContactListRecord {
    ContactListRecord {
        owner: id(owner),
        id: format!("wv:user{owner:07}/{name}@example.com"),
        display_name: Some(name.to_owned()),
        default: name == "friends",
        members: (1..=members)
            .map(|k| (id(spread(owner * 100 + k)), Some(format!("friend {k}"))))
            .collect(),
    }
}

fn message(n: u64, to: u64) -> MessageRecord {
    let text = "A text message of a usual length, written on a phone keypad, about 160 characters \
                long as an SMS would be, and stored as the NewMessage to deliver.";
    MessageRecord {
        recipient: id(to),
        message_id: format!("m{n:08}"),
        sender: id(spread(n + 7)),
        accepted_at: 1_780_000_000 + n,
        expires_at: 1_780_000_000 + n + 7 * 86_400,
        delivery_report: n.is_multiple_of(3),
        document: format!(
            "<NewMessage><MessageInfo><MessageID>m{n:08}</MessageID></MessageInfo>\
             <ContentData>{text}</ContentData></NewMessage>"
        )
        .into_bytes(),
    }
}

fn document(owner: u64, kind: &str) -> UserDocument {
    UserDocument {
        user: id(owner),
        kind: kind.to_owned(),
        body: format!("{{\"{kind}\":\"{owner}\",\"status\":\"available\",\"note\":\"at work\"}}")
            .into_bytes(),
    }
}

fn commit_chunked(store: &SqliteStore, writes: impl Iterator<Item = Write>, what: &str) {
    let started = Instant::now();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut total = 0usize;
    for w in writes {
        chunk.push(w);
        if chunk.len() == CHUNK {
            total += chunk.len();
            store.commit(std::mem::take(&mut chunk)).expect("commit");
        }
    }
    total += chunk.len();
    store.commit(chunk).expect("commit");
    eprintln!("  {total} {what} in {:.1?}", started.elapsed());
}

/// Builds the database in `dir` unless a complete one is there.
fn build(dir: &Path) {
    let done = dir.join("complete");
    if done.exists() {
        return;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove an incomplete database");
    }
    eprintln!("building {} (once)", dir.display());
    let store = SqliteStore::open(dir).expect("open");
    commit_chunked(
        &store,
        (0..ACCOUNTS).map(|n| Write::PutUser(account(n))),
        "accounts",
    );
    commit_chunked(
        &store,
        (0..ACCOUNTS).flat_map(|n| {
            let mut w = vec![Write::PutDocument(document(n, "presence"))];
            if n % 10 == 5 && n != BUSY {
                w.push(Write::PutList(list(n, "friends", 20)));
            }
            w
        }),
        "documents and lists",
    );
    commit_chunked(
        &store,
        (0..MESSAGES).map(|n| {
            // Every 100 000th message goes to the busy account, the rest anywhere.
            let to = if n % (MESSAGES / BUSY_MESSAGES) == 0 {
                BUSY
            } else {
                spread(n)
            };
            Write::PutMessage(message(n, to))
        }),
        "messages",
    );
    store
        .commit(vec![
            Write::PutList(list(BUSY, "friends", 50)),
            Write::PutList(list(BUSY, "family", 50)),
            Write::PutList(list(BUSY, "work", 50)),
            Write::PutDocument(document(BUSY, "blocking")),
            Write::PutDocument(document(BUSY, "authorisation")),
        ])
        .expect("the busy account");
    drop(store);
    std::fs::write(&done, b"").expect("mark complete");
}

fn database_dir() -> PathBuf {
    std::env::var_os("IMPS_LOAD_USER_DB").map_or_else(
        || Path::new(env!("CARGO_TARGET_TMPDIR")).join("load-user-1m"),
        PathBuf::from,
    )
}

fn bench(c: &mut Criterion) {
    let dir = database_dir();
    build(&dir);
    let store = SqliteStore::open(&dir).expect("open");
    let size = std::fs::metadata(store.path()).map_or(0, |m| m.len());
    eprintln!(
        "database {}: {} MiB",
        store.path().display(),
        size / (1024 * 1024)
    );

    let busy = store
        .load_user(&id(BUSY))
        .expect("load_user")
        .expect("the busy account");
    eprintln!(
        "{}: {} lists, {} messages, {} documents",
        busy.user.id,
        busy.lists.len(),
        busy.messages.len(),
        busy.documents.len()
    );
    assert!(
        busy.lists.len() == 3
            && busy.messages.len() >= BUSY_MESSAGES as usize
            && busy.documents.len() == 3,
        "the busy account's records"
    );

    let mut g = c.benchmark_group("load_user");
    g.bench_function("busy_account", |b| {
        let busy = id(BUSY);
        b.iter(|| black_box(store.load_user(black_box(&busy)).expect("load_user")));
    });
    let mut n = 0u64;
    g.bench_function("random_account", |b| {
        b.iter_batched(
            || {
                n += 1;
                id(spread(n ^ 0x5555))
            },
            |who| black_box(store.load_user(&who).expect("load_user")),
            criterion::BatchSize::SmallInput,
        );
    });
    g.finish();

    let mut g = c.benchmark_group("user");
    let mut n = 0u64;
    g.bench_function("random_account", |b| {
        b.iter_batched(
            || {
                n += 1;
                id(spread(n ^ 0xaaaa))
            },
            |who| black_box(store.user(&who).expect("user")),
            criterion::BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
