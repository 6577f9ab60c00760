//! The store battery: what every [`Store`] backend must do, written against `&dyn Store` so the
//! PostgreSQL backend can run it too. Every function expects a fresh, empty store.

#![allow(dead_code)] // each backend's test file uses what applies to it

use imps_core::store::{
    ContactListRecord, MessageRecord, Snapshot, Store, UserData, UserDocument, UserRecord, Write,
};

/// An account.
pub fn user(name: &str) -> UserRecord {
    UserRecord {
        id: format!("wv:{name}@example.com"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${name}"),
        digest_secret: None,
        disabled: false,
    }
}

/// A contact list of `owner`.
pub fn list(owner: &UserRecord, name: &str, members: &[&str]) -> ContactListRecord {
    ContactListRecord {
        owner: owner.id.clone(),
        id: format!("{}/{name}", owner.id),
        display_name: Some(name.to_uppercase()),
        default: false,
        members: members
            .iter()
            .map(|m| (format!("wv:{m}@example.com"), Some(format!("nick {m}"))))
            .collect(),
    }
}

/// A message to `recipient`.
pub fn message(recipient: &UserRecord, id: &str, accepted_at: u64) -> MessageRecord {
    MessageRecord {
        recipient: recipient.id.clone(),
        message_id: id.to_owned(),
        sender: "wv:sender@example.com".into(),
        accepted_at,
        expires_at: accepted_at + 86_400,
        delivery_report: true,
        document: format!("<NewMessage><MessageID>{id}</MessageID></NewMessage>").into_bytes(),
    }
}

/// A document of `user`.
pub fn document(user: &UserRecord, kind: &str, body: &[u8]) -> UserDocument {
    UserDocument {
        user: user.id.clone(),
        kind: kind.to_owned(),
        body: body.to_vec(),
    }
}

fn commit(store: &dyn Store, writes: Vec<Write>) {
    store.commit(writes).expect("commit");
}

/// Every kind of write shows in `load()`, field for field; deletes remove exactly their row.
pub fn every_write_round_trips(store: &dyn Store) {
    let alice = UserRecord {
        digest_secret: Some("s3cret ünïcode".into()),
        ..user("alice")
    };
    let bob = user("bob");
    let mut friends = list(&alice, "friends", &["bob", "carol"]);
    friends.default = true;
    friends.members.push(("wv:dave@example.com".into(), None));
    let empty = ContactListRecord {
        owner: alice.id.clone(),
        id: format!("{}/empty", alice.id),
        ..ContactListRecord::default()
    };
    let m1 = message(&bob, "m1", 1_700_000_000);
    let m2 = MessageRecord {
        delivery_report: false,
        expires_at: u64::MAX,
        accepted_at: 0,
        document: vec![0, 159, 255, 0, b'x'],
        ..message(&bob, "m2", 0)
    };
    let presence = document(&alice, "presence", b"{\"status\":\"available\"}");
    let binary = document(&bob, "blocking", &[0, 1, 2, 254, 255]);
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob.clone()),
            Write::PutList(friends.clone()),
            Write::PutList(empty.clone()),
            Write::PutMessage(m1.clone()),
            Write::PutMessage(m2.clone()),
            Write::PutDocument(presence.clone()),
            Write::PutDocument(binary.clone()),
        ],
    );

    let snap = store.load().expect("load");
    assert_eq!(snap.users, vec![alice.clone(), bob.clone()]);
    assert_eq!(snap.lists, vec![friends.clone(), empty.clone()]);
    assert_eq!(
        snap.messages,
        vec![m2.clone(), m1.clone()],
        "ordered by accepted_at"
    );
    assert_eq!(snap.documents, vec![presence.clone(), binary.clone()]);
    assert_eq!(
        store.load_users().expect("load users"),
        vec![alice.clone(), bob.clone()]
    );

    commit(
        store,
        vec![
            Write::DeleteList(alice.id.clone(), empty.id.clone()),
            Write::DeleteMessage(bob.id.clone(), "m2".into()),
        ],
    );
    let snap = store.load().expect("load");
    assert_eq!(snap.lists, vec![friends]);
    assert_eq!(snap.messages, vec![m1]);
    assert_eq!(snap.users.len(), 2);
    assert_eq!(snap.documents.len(), 2);
}

/// Deleting an account deletes its lists, the messages to it and its documents, and nothing
/// of anyone else's (including messages it sent and lists it is a member of).
pub fn delete_user_cascades(store: &dyn Store) {
    let alice = user("alice");
    let bob = user("bob");
    let from_alice = MessageRecord {
        sender: alice.id.clone(),
        ..message(&bob, "from-alice", 2)
    };
    let bobs_list = list(&bob, "friends", &["alice"]);
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob.clone()),
            Write::PutList(list(&alice, "friends", &["bob"])),
            Write::PutList(list(&alice, "work", &[])),
            Write::PutList(bobs_list.clone()),
            Write::PutMessage(message(&alice, "to-alice-1", 1)),
            Write::PutMessage(message(&alice, "to-alice-2", 3)),
            Write::PutMessage(from_alice.clone()),
            Write::PutDocument(document(&alice, "presence", b"{}")),
            Write::PutDocument(document(&alice, "blocking", b"{}")),
            Write::PutDocument(document(&bob, "presence", b"{}")),
        ],
    );
    commit(store, vec![Write::DeleteUser(alice.id.clone())]);

    let snap = store.load().expect("load");
    assert_eq!(snap.users, vec![bob.clone()]);
    assert_eq!(snap.lists, vec![bobs_list]);
    assert_eq!(snap.messages, vec![from_alice]);
    assert_eq!(snap.documents, vec![document(&bob, "presence", b"{}")]);

    // A re-created account starts empty: nothing of the deleted one resurfaces.
    commit(store, vec![Write::PutUser(alice.clone())]);
    let snap = store.load().expect("load");
    assert!(snap.lists.iter().all(|l| l.owner != alice.id));
    assert!(snap.messages.iter().all(|m| m.recipient != alice.id));
    assert!(snap.documents.iter().all(|d| d.user != alice.id));
}

/// PutUser, PutList, PutDocument and PutMessage replace the record with the same key, and
/// replacing an account keeps what it owns.
pub fn puts_replace(store: &dyn Store) {
    let alice = user("alice");
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutList(list(&alice, "friends", &["bob", "carol"])),
            Write::PutList(list(&alice, "work", &["erin"])),
            Write::PutDocument(document(&alice, "presence", b"old")),
            Write::PutMessage(message(&alice, "m1", 10)),
            Write::PutMessage(message(&alice, "m2", 10)),
        ],
    );

    let new_alice = UserRecord {
        password_hash: "$argon2id$new".into(),
        digest_secret: Some("pw".into()),
        ..alice.clone()
    };
    let mut friends = list(&alice, "friends", &["dave"]);
    friends.display_name = None;
    friends.default = true;
    let m1 = MessageRecord {
        delivery_report: false,
        document: b"replaced".to_vec(),
        ..message(&alice, "m1", 10)
    };
    commit(
        store,
        vec![
            Write::PutUser(new_alice.clone()),
            Write::PutList(friends.clone()),
            Write::PutDocument(document(&alice, "presence", b"new")),
            Write::PutMessage(m1.clone()),
        ],
    );

    let snap = store.load().expect("load");
    assert_eq!(snap.users, vec![new_alice.clone()]);
    // A replaced list keeps its place.
    assert_eq!(snap.lists, vec![friends, list(&alice, "work", &["erin"])]);
    assert_eq!(snap.documents, vec![document(&alice, "presence", b"new")]);
    assert_eq!(snap.messages, vec![m1, message(&alice, "m2", 10)]);

    // And back: a password reset clears the digest secret.
    commit(store, vec![Write::PutUser(alice.clone())]);
    assert_eq!(store.load_users().expect("load users"), vec![alice]);
}

/// Writes of one batch apply in order.
pub fn writes_apply_in_order(store: &dyn Store) {
    let alice = user("alice");
    let bob = user("bob");
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutMessage(message(&alice, "m1", 1)),
            Write::DeleteUser(alice.id.clone()),
            Write::PutUser(bob.clone()),
            Write::DeleteUser(bob.id.clone()),
            Write::PutUser(bob.clone()),
            Write::PutDocument(document(&bob, "presence", b"1")),
            Write::PutDocument(document(&bob, "presence", b"2")),
        ],
    );
    let snap = store.load().expect("load");
    assert_eq!(snap.users, vec![bob.clone()]);
    assert!(snap.messages.is_empty());
    assert_eq!(snap.documents, vec![document(&bob, "presence", b"2")]);
}

/// Deleting what is not there is not an error; an empty commit is a no-op.
pub fn deletes_are_idempotent(store: &dyn Store) {
    commit(store, vec![]);
    let alice = user("alice");
    commit(
        store,
        vec![
            Write::DeleteUser("wv:nobody@example.com".into()),
            Write::DeleteList(alice.id.clone(), "wv:alice/none@example.com".into()),
            Write::DeleteMessage(alice.id.clone(), "none".into()),
        ],
    );
    commit(store, vec![Write::PutUser(alice.clone())]);
    commit(
        store,
        vec![
            Write::DeleteMessage(alice.id.clone(), "none".into()),
            Write::DeleteDocument(alice.id.clone(), "none".into()),
        ],
    );
    let snap = store.load().expect("load");
    assert_eq!(snap.users, vec![alice.clone()]);
    assert!(snap.lists.is_empty() && snap.messages.is_empty() && snap.documents.is_empty());
    // A document deleted goes, and only that one.
    commit(
        store,
        vec![
            Write::PutDocument(document(&alice, "one", b"1")),
            Write::PutDocument(document(&alice, "two", b"2")),
            Write::DeleteDocument(alice.id.clone(), "one".into()),
        ],
    );
    let kinds: Vec<String> = store
        .load_user(&alice.id)
        .expect("load_user")
        .expect("alice")
        .documents
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, vec!["two"]);
}

/// Messages load by accepted_at, ties in the order they were stored.
pub fn messages_load_in_acceptance_order(store: &dyn Store) {
    let alice = user("alice");
    let bob = user("bob");
    commit(
        store,
        vec![Write::PutUser(alice.clone()), Write::PutUser(bob.clone())],
    );
    let order = [
        (&bob, "z", 5),
        (&alice, "y", 5),
        (&bob, "a", 1),
        (&alice, "x", 9),
        (&alice, "b", 5),
    ];
    for (to, id, at) in order {
        commit(store, vec![Write::PutMessage(message(to, id, at))]);
    }
    let ids: Vec<String> = store
        .load()
        .expect("load")
        .messages
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids, ["a", "z", "y", "b", "x"]);
}

/// `threads` threads each commit `per_thread` batches at once (a message each, every tenth batch
/// with a second write); all of them land. Returns the number of commit calls.
pub fn concurrent_commits(store: &dyn Store, threads: usize, per_thread: usize) -> usize {
    let users: Vec<UserRecord> = (0..threads).map(|t| user(&format!("u{t}"))).collect();
    commit(store, users.iter().cloned().map(Write::PutUser).collect());
    std::thread::scope(|s| {
        for (t, to) in users.iter().enumerate() {
            s.spawn(move || {
                for i in 0..per_thread {
                    let mut writes = vec![Write::PutMessage(message(to, &format!("{t}-{i}"), 1))];
                    if i % 10 == 0 {
                        writes.push(Write::PutDocument(document(to, "presence", &[i as u8])));
                    }
                    store.commit(writes).expect("concurrent commit");
                }
            });
        }
    });
    let snap = store.load().expect("load");
    assert_eq!(snap.messages.len(), threads * per_thread);
    for (t, to) in users.iter().enumerate() {
        let mine: Vec<&str> = snap
            .messages
            .iter()
            .filter(|m| m.recipient == to.id)
            .map(|m| m.message_id.as_str())
            .collect();
        let expected: Vec<String> = (0..per_thread).map(|i| format!("{t}-{i}")).collect();
        assert_eq!(mine, expected, "thread {t}'s messages, in commit order");
    }
    assert_eq!(snap.documents.len(), threads);
    threads * per_thread
}

/// What `load()` holds for account `id`, as `load_user` must return it.
fn owned_by(snap: &Snapshot, id: &str) -> Option<UserData> {
    Some(UserData {
        user: snap.users.iter().find(|u| u.id == id)?.clone(),
        lists: snap
            .lists
            .iter()
            .filter(|l| l.owner == id)
            .cloned()
            .collect(),
        messages: snap
            .messages
            .iter()
            .filter(|m| m.recipient == id)
            .cloned()
            .collect(),
        documents: snap
            .documents
            .iter()
            .filter(|d| d.user == id)
            .cloned()
            .collect(),
    })
}

/// `load_user` returns the account with its lists (insertion order, a replaced list keeping its
/// place), its undelivered messages (acceptance order, ties in the order stored) and its
/// documents (by kind), field for field; an account that owns nothing comes back empty.
pub fn load_user_round_trips(store: &dyn Store) {
    let alice = UserRecord {
        digest_secret: Some("s3cret ünïcode".into()),
        disabled: true,
        ..user("alice")
    };
    let bob = user("bob");
    let mut work = list(&alice, "work", &["erin"]);
    let friends = list(&alice, "friends", &["bob", "carol"]);
    let m_late = message(&alice, "late", 30);
    let m_tie_1 = MessageRecord {
        document: vec![0, 159, 255],
        delivery_report: false,
        ..message(&alice, "tie-z", 20)
    };
    let m_tie_2 = MessageRecord {
        expires_at: u64::MAX,
        ..message(&alice, "tie-a", 20)
    };
    let m_early = message(&alice, "early", 10);
    let presence = document(&alice, "presence", b"{\"status\":\"away\"}");
    let blocking = document(&alice, "blocking", &[0, 1, 254, 255]);
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob.clone()),
            Write::PutList(work.clone()),
            Write::PutList(friends.clone()),
            Write::PutMessage(m_late.clone()),
            Write::PutMessage(m_tie_1.clone()),
            Write::PutMessage(m_tie_2.clone()),
            Write::PutMessage(m_early.clone()),
            Write::PutDocument(presence.clone()),
            Write::PutDocument(blocking.clone()),
        ],
    );
    // Replaced later: keeps its place before `friends`.
    work.members.push(("wv:frank@example.com".into(), None));
    work.default = true;
    commit(store, vec![Write::PutList(work.clone())]);

    let got = store.load_user(&alice.id).expect("load_user");
    let expected = UserData {
        user: alice.clone(),
        lists: vec![work, friends],
        messages: vec![m_early, m_tie_1, m_tie_2, m_late],
        documents: vec![blocking, presence],
    };
    assert_eq!(got.as_ref(), Some(&expected));
    let snap = store.load().expect("load");
    assert_eq!(got, owned_by(&snap, &alice.id), "as load() has it");

    assert_eq!(
        store.load_user(&bob.id).expect("load_user"),
        Some(UserData {
            user: bob,
            ..UserData::default()
        }),
        "an account that owns nothing"
    );
}

/// `load_user` returns one account's records and nothing of anyone else's: not the lists,
/// messages or documents of accounts whose ids share a prefix or a suffix with it, not the
/// messages it sent, not the lists it is a member of.
pub fn load_user_sees_only_its_own(store: &dyn Store) {
    let names = ["al", "alice", "alice2", "xalice", "bob"];
    let users: Vec<UserRecord> = names.iter().map(|n| user(n)).collect();
    let mut writes: Vec<Write> = users.iter().cloned().map(Write::PutUser).collect();
    for (i, u) in users.iter().enumerate() {
        let next = names[(i + 1) % names.len()];
        writes.push(Write::PutList(list(u, "friends", &[next])));
        writes.push(Write::PutList(list(u, &format!("only-{}", names[i]), &[])));
        for (j, to) in users.iter().enumerate() {
            // Every account sends every other one a message, all with the same ids.
            if i != j {
                writes.push(Write::PutMessage(MessageRecord {
                    sender: u.id.clone(),
                    ..message(to, &format!("from-{}", names[i]), (i * 10 + j) as u64)
                }));
            }
        }
        writes.push(Write::PutDocument(document(
            u,
            "presence",
            names[i].as_bytes(),
        )));
    }
    commit(store, writes);

    let snap = store.load().expect("load");
    for (name, u) in names.iter().zip(&users) {
        let got = store
            .load_user(&u.id)
            .expect("load_user")
            .expect("the account exists");
        assert_eq!(Some(&got), owned_by(&snap, &u.id).as_ref(), "{}", u.id);
        assert_eq!(got.user, *u);
        assert_eq!(got.lists.len(), 2, "{}", u.id);
        assert!(got.lists.iter().all(|l| l.owner == u.id));
        assert_eq!(got.messages.len(), names.len() - 1, "{}", u.id);
        assert!(got
            .messages
            .iter()
            .all(|m| m.recipient == u.id && m.sender != u.id));
        assert_eq!(
            got.documents,
            vec![document(u, "presence", name.as_bytes())]
        );
    }
    // Ids are compared exactly: no prefix, pattern or case folding.
    for id in [
        "wv:al",
        "wv:ALICE@example.com",
        "wv:%@example.com",
        "wv:_l@example.com",
        "",
    ] {
        assert_eq!(store.load_user(id).expect("load_user"), None, "{id:?}");
    }
}

/// `load_user` of an account that never existed, or that was deleted, is `None`; a re-created
/// account comes back without anything of the deleted one.
pub fn load_user_of_a_missing_or_deleted_account_is_none(store: &dyn Store) {
    let alice = user("alice");
    assert_eq!(store.load_user(&alice.id).expect("load_user"), None);
    commit(
        store,
        vec![
            Write::PutUser(alice.clone()),
            Write::PutList(list(&alice, "friends", &["bob"])),
            Write::PutMessage(message(&alice, "m1", 1)),
            Write::PutDocument(document(&alice, "presence", b"{}")),
        ],
    );
    assert!(store.load_user(&alice.id).expect("load_user").is_some());
    commit(store, vec![Write::DeleteUser(alice.id.clone())]);
    assert_eq!(store.load_user(&alice.id).expect("load_user"), None);

    commit(store, vec![Write::PutUser(alice.clone())]);
    assert_eq!(
        store.load_user(&alice.id).expect("load_user"),
        Some(UserData {
            user: alice,
            ..UserData::default()
        })
    );
}

/// `due_recipients` names the recipients of messages expiring at or before a time, each once,
/// soonest first, at most `limit`; delivered (deleted) messages no longer count.
pub fn due_recipients_finds_what_expires(store: &dyn Store) {
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    let mut writes = vec![
        Write::PutUser(alice.clone()),
        Write::PutUser(bob.clone()),
        Write::PutUser(carol.clone()),
    ];
    let at = |r: &UserRecord, id: &str, expires: u64| {
        let mut m = message(r, id, 1_000);
        m.expires_at = expires;
        Write::PutMessage(m)
    };
    writes.push(at(&alice, "a1", 3_000));
    writes.push(at(&alice, "a2", 2_500));
    writes.push(at(&bob, "b1", 2_000));
    writes.push(at(&carol, "c1", 9_000));
    commit(store, writes);
    assert_eq!(
        store.due_recipients(2_999, 10).expect("due"),
        vec![bob.id.clone(), alice.id.clone()],
        "soonest first, each once"
    );
    assert_eq!(
        store.due_recipients(1_999, 10).expect("due"),
        Vec::<String>::new()
    );
    assert_eq!(
        store.due_recipients(10_000, 1).expect("due"),
        vec![bob.id.clone()]
    );
    commit(
        store,
        vec![Write::DeleteMessage(bob.id.clone(), "b1".into())],
    );
    assert_eq!(
        store.due_recipients(10_000, 10).expect("due"),
        vec![alice.id.clone(), carol.id.clone()]
    );
}

fn term(
    kind: imps_core::store::SearchKind,
    subject: &str,
    field: &str,
    value: &str,
) -> imps_core::store::SearchTerm {
    imps_core::store::SearchTerm {
        kind,
        subject: subject.into(),
        field: field.into(),
        value: value.into(),
    }
}

fn crit(
    field: &str,
    matches: imps_core::store::Match,
    needle: &str,
) -> imps_core::store::Criterion {
    imps_core::store::Criterion {
        field: field.into(),
        matches,
        needle: needle.into(),
    }
}

/// Search: every criterion must hold (AND), each by contains / equals / at least / at most;
/// ordered by id, limited; LIKE wildcards in a needle are plain characters; terms of an
/// account are replaced whole and go with the account.
pub fn search_finds_by_every_criterion(store: &dyn Store) {
    use imps_core::store::{Match, SearchKind::*};
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    store
        .commit(vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob.clone()),
            Write::PutUser(carol.clone()),
            Write::PutSearchTerms(
                alice.id.clone(),
                vec![
                    term(User, &alice.id, "ID", &alice.id),
                    term(User, &alice.id, "PP_CITY", "helsinki"),
                    term(User, &alice.id, "PP_AGE", "031"),
                    term(
                        Group,
                        "wv:alice/chess@example.com",
                        "GROUP_TOPIC",
                        "chess 50% off",
                    ),
                    term(Group, "wv:alice/chess@example.com", "OWNER", &alice.id),
                ],
            ),
            Write::PutSearchTerms(
                bob.id.clone(),
                vec![
                    term(User, &bob.id, "ID", &bob.id),
                    term(User, &bob.id, "PP_CITY", "helsingborg"),
                    term(User, &bob.id, "PP_AGE", "045"),
                ],
            ),
            Write::PutSearchTerms(
                carol.id.clone(),
                vec![term(
                    Group,
                    "wv:carol/go@example.com",
                    "GROUP_TOPIC",
                    "go 5000 games",
                )],
            ),
        ])
        .expect("commit");
    let s = |kind, c: &[imps_core::store::Criterion], limit| {
        store.search(kind, c, limit).expect("search")
    };
    assert_eq!(
        s(User, &[crit("PP_CITY", Match::Contains, "helsin")], 10),
        vec![alice.id.clone(), bob.id.clone()]
    );
    assert_eq!(
        s(User, &[crit("PP_CITY", Match::Contains, "helsin")], 1),
        vec![alice.id.clone()],
        "limited"
    );
    assert_eq!(
        s(
            User,
            &[
                crit("PP_CITY", Match::Contains, "helsin"),
                crit("PP_AGE", Match::AtLeast, "040")
            ],
            10
        ),
        vec![bob.id.clone()],
        "every criterion"
    );
    assert_eq!(
        s(User, &[crit("PP_AGE", Match::AtMost, "040")], 10),
        vec![alice.id.clone()]
    );
    assert_eq!(
        s(User, &[crit("PP_CITY", Match::Equals, "helsinki")], 10),
        vec![alice.id.clone()]
    );
    let one_of = format!("{}\n{}\nwv:nobody@example.com", alice.id, bob.id);
    assert_eq!(
        s(
            User,
            &[
                crit("ID", Match::OneOf, &one_of),
                crit("PP_AGE", Match::AtLeast, "040")
            ],
            10
        ),
        vec![bob.id.clone()],
        "one of a list"
    );
    assert_eq!(
        s(User, &[crit("ID", Match::Contains, "carol")], 10),
        Vec::<String>::new(),
        "carol published nothing"
    );
    assert_eq!(
        s(User, &[], 10),
        Vec::<String>::new(),
        "no criterion: nothing"
    );
    // Groups apart from users; a `%` is a character, not a wildcard.
    assert_eq!(
        s(Group, &[crit("GROUP_TOPIC", Match::Contains, "50%")], 10),
        vec!["wv:alice/chess@example.com"]
    );
    assert_eq!(
        s(Group, &[crit("GROUP_TOPIC", Match::Contains, "5_")], 10),
        Vec::<String>::new()
    );
    assert_eq!(
        s(Group, &[crit("PP_CITY", Match::Contains, "hel")], 10),
        Vec::<String>::new()
    );
    // Replaced whole; gone with the account.
    store
        .commit(vec![Write::PutSearchTerms(
            alice.id.clone(),
            vec![term(User, &alice.id, "PP_CITY", "oslo")],
        )])
        .expect("commit");
    assert_eq!(
        s(User, &[crit("PP_CITY", Match::Contains, "helsin")], 10),
        vec![bob.id.clone()]
    );
    assert_eq!(
        s(Group, &[crit("OWNER", Match::Equals, &alice.id)], 10),
        Vec::<String>::new()
    );
    store
        .commit(vec![Write::DeleteUser(bob.id.clone())])
        .expect("commit");
    assert_eq!(
        s(User, &[crit("PP_CITY", Match::Contains, "hel")], 10),
        Vec::<String>::new()
    );
}

/// `count` counts each subject of a kind holding a term of a field once (how the server counts
/// its groups), follows replaced terms and goes with a deleted account.
pub fn count_counts_subjects_with_a_field(store: &dyn Store) {
    use imps_core::store::{SearchKind::*, EVERY_GROUP};
    let (alice, bob) = (user("alice"), user("bob"));
    let g = |owner: &UserRecord, name: &str| owner.id.replacen('@', &format!("/{name}@"), 1);
    store
        .commit(vec![
            Write::PutUser(alice.clone()),
            Write::PutUser(bob.clone()),
            Write::PutSearchTerms(
                alice.id.clone(),
                vec![
                    term(Group, &g(&alice, "a"), EVERY_GROUP, ""),
                    term(Group, &g(&alice, "a"), "ID", &g(&alice, "a")),
                    term(Group, &g(&alice, "b"), EVERY_GROUP, ""),
                    term(User, &alice.id, "ID", &alice.id),
                ],
            ),
            Write::PutSearchTerms(
                bob.id.clone(),
                vec![term(Group, &g(&bob, "c"), EVERY_GROUP, "")],
            ),
        ])
        .expect("commit");
    let count = |kind, field: &str| store.count(kind, field).expect("count");
    assert_eq!(count(Group, EVERY_GROUP), 3);
    assert_eq!(count(Group, "ID"), 1);
    assert_eq!(count(User, EVERY_GROUP), 0, "users apart from groups");
    store
        .commit(vec![Write::PutSearchTerms(
            alice.id.clone(),
            vec![term(Group, &g(&alice, "a"), EVERY_GROUP, "")],
        )])
        .expect("commit");
    assert_eq!(count(Group, EVERY_GROUP), 2, "replaced whole");
    store
        .commit(vec![Write::DeleteUser(bob.id.clone())])
        .expect("commit");
    assert_eq!(count(Group, EVERY_GROUP), 1, "gone with the account");
}
