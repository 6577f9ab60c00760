//! Building the in-memory state from what the store loaded.

use imps_csp::{Limits, Primitive};

use crate::config::EngineConfig;
use crate::hash::HashMap;
use crate::state::{State, Stored, UserState};

use crate::store::{Snapshot, UserData, UserDocument, Write};

/// What loading found unreadable: the writes that keep a copy of each unreadable document
/// aside (so that no later write of the same kind destroys the only copy), and how many
/// records did not decode.
#[derive(Debug, Default)]
pub(crate) struct Quarantine {
    pub writes: Vec<Write>,
    pub count: usize,
}

/// The state for `snapshot`. Records that do not decode are counted, logged loudly, and
/// unreadable documents are copied aside under `quarantined:<kind>` (see [`Quarantine`]).
pub(crate) fn state_from(snapshot: Snapshot, _cfg: &EngineConfig) -> (State, Quarantine) {
    let mut st = State::default();
    let mut q = Quarantine::default();
    let mut order = Vec::with_capacity(snapshot.users.len());
    let mut by_user: HashMap<String, UserData> =
        HashMap::with_capacity_and_hasher(snapshot.users.len(), Default::default());
    for u in snapshot.users {
        order.push(u.id.clone());
        by_user.insert(
            u.id.clone(),
            UserData {
                user: u,
                ..UserData::default()
            },
        );
    }
    for l in snapshot.lists {
        if let Some(d) = by_user.get_mut(&l.owner) {
            d.lists.push(l);
        }
    }
    for doc in snapshot.documents {
        if let Some(d) = by_user.get_mut(&doc.user) {
            d.documents.push(doc);
        }
    }
    for m in snapshot.messages {
        if let Some(d) = by_user.get_mut(&m.recipient) {
            d.messages.push(m);
        }
    }
    for id in order {
        if let Some(data) = by_user.remove(&id) {
            install(&mut st, data, true, &mut q);
        }
    }
    if q.count > 0 {
        tracing::error!(
            unreadable = q.count,
            "stored records did not decode; copies of the documents are kept under `{QUARANTINED}<kind>`"
        );
    }
    (st, q)
}

/// Puts one account, as the store has it, into `st` (replacing what `st` had of it; the
/// caller keeps what is not durable). At start-up or the account's first load this run
/// (`startup`: it has no live session), the cookies of the previous run's sessions are
/// remembered as ended and its group messages are dropped (they were for joined sessions).
pub(crate) fn install(st: &mut State, data: UserData, startup: bool, q: &mut Quarantine) {
    let UserData {
        user,
        lists,
        messages,
        documents,
    } = data;
    let id = user.id.clone();
    let mut u = UserState::new(user);
    for l in lists {
        u.lists.insert(l.id.clone(), l);
    }
    for d in documents {
        let user = d.user.as_str();
        let read = match d.kind.as_str() {
            "presence" => match stored_primitive(&d.body, user, "presence") {
                Some(Primitive::UpdatePresenceRequest(r)) => {
                    u.presence = r.presence_sub_list;
                    true
                }
                _ => false,
            },
            "blocking" => stored_json(&d.body, user, "block list")
                .map(|b| u.blocking = b)
                .is_some(),
            "authorisation" => stored_json(&d.body, user, "authorisation")
                .map(|a| u.auth = a)
                .is_some(),
            crate::feature::presence::WATCHERS_DOCUMENT => {
                stored_json(&d.body, user, "watcher history")
                    .map(|h| u.watcher_history = h)
                    .is_some()
            }
            crate::feature::im::REPORTS_DOCUMENT => {
                match stored_json::<Vec<String>>(&d.body, user, "delivery reports") {
                    Some(docs) => {
                        let mut all = true;
                        for doc in docs {
                            match stored_primitive(doc.as_bytes(), user, "delivery report") {
                                Some(Primitive::DeliveryReportRequest(r)) => {
                                    u.pending_reports.push_back(*r)
                                }
                                _ => all = false,
                            }
                        }
                        all
                    }
                    None => false,
                }
            }
            crate::feature::session::SESSIONS_DOCUMENT => {
                match stored_json::<Vec<String>>(&d.body, user, "session cookies") {
                    Some(cookies) => {
                        // Sessions of the previous run: a login that tries to recover one gets
                        // 502 and starts afresh (it would otherwise silently lose its
                        // subscriptions).
                        if startup {
                            for c in cookies {
                                st.ended_cookies.insert(
                                    (d.user.clone(), c),
                                    crate::feature::session::PREVIOUS_RUN,
                                );
                            }
                        }
                        true
                    }
                    None => false,
                }
            }
            crate::feature::system::ANSWERS_DOCUMENT => {
                stored_json(&d.body, user, "system message answers")
                    .map(|a| u.system_answers = a)
                    .is_some()
            }
            crate::feature::profile::PROFILE_DOCUMENT => {
                stored_json(&d.body, user, "public profile")
                    .map(|p| u.profile = p)
                    .is_some()
            }
            crate::feature::invite::NOTICES_DOCUMENT => stored_json(&d.body, user, "notices")
                .map(|n| u.notices = n)
                .is_some(),
            crate::feature::invite::INVITATIONS_DOCUMENT => {
                stored_json(&d.body, user, "invitations")
                    .map(|i| u.invitations = i)
                    .is_some()
            }
            crate::feature::group::AUTO_JOIN_DOCUMENT => {
                stored_json(&d.body, user, "auto-join groups")
                    .map(|g| u.auto_join = g)
                    .is_some()
            }
            crate::group::GROUPS_DOCUMENT => match crate::group::decode_all(&d.body) {
                Some(g) => {
                    // Groups stored before each had its own document (a group saved since
                    // has its own, which wins): each is given its own now, and the old
                    // document goes, so that a group deleted later stays deleted.
                    for (id, group) in g {
                        if u.groups.contains_key(&id) {
                            continue;
                        }
                        if let Some(body) = crate::group::encode(&group.rec) {
                            q.writes.push(Write::PutDocument(UserDocument {
                                user: user.to_owned(),
                                kind: crate::group::document_kind(&id),
                                body,
                            }));
                        }
                        u.groups.insert(id, group);
                    }
                    q.writes
                        .push(Write::DeleteDocument(user.to_owned(), d.kind.clone()));
                    true
                }
                None => {
                    tracing::error!(user, "stored groups did not decode");
                    false
                }
            },
            k if k.starts_with(crate::group::GROUP_DOCUMENT_PREFIX) => {
                match crate::group::decode(&d.body) {
                    Some(g) => {
                        u.groups.insert(g.rec.id.clone(), g);
                        true
                    }
                    None => {
                        tracing::error!(user, kind = k, "a stored group did not decode");
                        false
                    }
                }
            }
            k if k.starts_with(QUARANTINED) => true,
            other => {
                tracing::warn!(user, kind = other, "unknown stored document kind");
                true
            }
        };
        if !read {
            q.count += 1;
            q.writes.push(Write::PutDocument(UserDocument {
                user: d.user.clone(),
                kind: format!("{QUARANTINED}{}", d.kind),
                body: d.body.clone(),
            }));
        }
    }
    for m in messages {
        match imps_csp::decode(&m.document, &Limits::default()) {
            Ok(doc) => {
                if let Some(Primitive::NewMessage(message)) = doc
                    .session
                    .transactions
                    .into_iter()
                    .next()
                    .map(|t| t.primitive)
                {
                    if startup && crate::feature::im::group_of(&message).is_some() {
                        // A group's message waits only for sessions joined to the group, and
                        // no session of this account is live yet (none survives a restart).
                        q.writes.push(Write::DeleteMessage(
                            m.recipient.clone(),
                            m.message_id.clone(),
                        ));
                        continue;
                    }
                    u.inbox_order.push_back(m.message_id.clone());
                    st.expiries
                        .insert((m.expires_at, m.recipient.clone(), m.message_id.clone()));
                    u.inbox_insert(m.message_id.clone(), Stored { record: m, message });
                }
            }
            Err(e) => {
                // Left in the store untouched (nothing writes over an undelivered message).
                q.count += 1;
                tracing::error!(message = %m.message_id, error = %e, "stored message unreadable: left in the store, not delivered")
            }
        }
    }
    for g in u.groups.values() {
        if let Some(at) = g.rec.expires {
            // Due already: the next tick deletes it.
            st.group_expiries.insert((at, id.clone(), g.rec.id.clone()));
        }
    }
    st.users.insert(id, u);
}

/// Makes sure account `id` is in the shard's memory: an engine with a store
/// ([`crate::Engine::with_store`]) loads an account the first time something needs it (a
/// login, a message to it, a subscription to it), with [`crate::store::Store::load_user`].
/// `Ok(false)`: no such account. Copies of unreadable documents found on the way are written
/// with the shard's next batch.
pub(crate) fn ensure(
    st: &mut State,
    commits: Option<&crate::durable::Commits>,
    id: &str,
) -> Result<bool, crate::store::StoreError> {
    if st.users.contains_key(id) {
        return Ok(true);
    }
    let Some(commits) = commits else {
        // Everything was loaded at start.
        return Ok(false);
    };
    if st.unknown.contains(id) {
        return Ok(false);
    }
    let data = commits.store().load_user(id)?;
    Ok(install_read(st, id, data))
}

/// Installs account `id` as the store returned it (`None`: no such account), unless memory
/// has it already. Returns whether the account exists.
fn install_read(st: &mut State, id: &str, data: Option<UserData>) -> bool {
    if st.users.contains_key(id) {
        return true;
    }
    let Some(data) = data else {
        st.unknown.insert(id);
        return false;
    };
    let mut q = Quarantine::default();
    install(st, data, true, &mut q);
    if q.count > 0 {
        tracing::error!(
            user = id,
            unreadable = q.count,
            "stored records did not decode; copies of the documents are kept under `{QUARANTINED}<kind>`"
        );
    }
    st.deferred_writes.extend(q.writes);
    st.loads += 1;
    st.idle.push_back((st.clock, id.to_owned()));
    true
}

/// Reads the accounts among `ids` that their shards do not hold yet, without holding any
/// shard's lock while the store reads (a slow read then delays only the request that needs
/// it, not every user of the shard), and installs each under its shard's lock unless memory
/// changed meanwhile (`State::generation`: the account was loaded, unloaded or changed by
/// someone else; the request then loads it under the lock as before). Blocks on the store:
/// call it off the async executor's threads. Errors are left for the request to meet.
/// Returns how many accounts it installed.
pub(crate) fn prefetch(
    engine: &crate::Engine,
    commits: &crate::durable::Commits,
    ids: &[String],
    now: u64,
) -> usize {
    let mut loaded = 0;
    for id in ids {
        let shard = engine.owner(id);
        let generation = {
            let st = shard.lock();
            if st.knows(id) {
                continue;
            }
            st.generation
        };
        let Ok(data) = commits.store().load_user(id) else {
            continue;
        };
        let mut st = shard.lock();
        if st.generation == generation && !st.users.contains_key(id.as_str()) {
            st.clock = st.clock.max(now);
            loaded += usize::from(install_read(&mut st, id, data));
        }
    }
    loaded
}

/// Prefix of the kind of a quarantined copy of an unreadable document.
pub(crate) const QUARANTINED: &str = "quarantined:";

/// The first primitive of a stored CSP document (logged and `None` when unreadable).
fn stored_primitive(body: &[u8], user: &str, what: &str) -> Option<Primitive> {
    match imps_csp::decode(body, &Limits::default()) {
        Ok(m) => m
            .session
            .transactions
            .into_iter()
            .next()
            .map(|t| t.primitive),
        Err(e) => {
            tracing::error!(user, error = %e, "stored {what} unreadable");
            None
        }
    }
}

/// A stored JSON document (logged and `None` when unreadable).
fn stored_json<T: serde::de::DeserializeOwned>(body: &[u8], user: &str, what: &str) -> Option<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::error!(user, error = %e, "stored {what} unreadable");
            None
        }
    }
}

/// Drops from memory the accounts idle for `cx.cfg.unload_after` seconds: no session, nobody
/// watching them, nothing of theirs waiting to be saved. What they own is in the store (every
/// change was submitted when made, and none is still on its way: `UserState::written`), so
/// the next login, message or due expiry reads them again ([`ensure`]). Accounts still needed
/// are looked at again later. With unloading off (or no store) the queue is not kept.
pub(crate) fn unload_idle(cx: &mut crate::engine::Cx<'_>) {
    let after = cx.cfg.unload_after;
    let Some(commits) = cx.commits.filter(|_| after > 0) else {
        // Nothing is unloaded: nothing is kept to look at.
        cx.st.idle.clear();
        return;
    };
    if !cx.st.deferred_writes.is_empty() {
        return; // the next tick looks again, once they went with a batch
    }
    let settled = commits.settled(cx.st.shard);
    let now = cx.now;
    let mut again = Vec::new();
    while let Some((since, _)) = cx.st.idle.front() {
        if since.saturating_add(after) > now {
            break;
        }
        let Some((_, id)) = cx.st.idle.pop_front() else {
            break;
        };
        let Some(u) = cx.st.users.get(&id) else {
            continue; // unloaded already, or deleted
        };
        if !u.sessions.is_empty() {
            continue; // looked at again when its last session ends
        }
        // Watched, history unsaved, or a write of it still on its way to the store (read
        // back before it lands, the account would come without it): later.
        let joined = u.groups.values().any(|g| !g.joined.is_empty());
        if !u.watchers.is_empty()
            || joined
            || cx.st.history_dirty.contains(&id)
            || u.written > settled
        {
            again.push((now, id));
            continue;
        }
        unload(cx.st, &id);
    }
    cx.st.idle.extend(again);
}

/// Forgets account `id` (and the expiry entries of its inbox) from memory.
fn unload(st: &mut State, id: &str) {
    let Some(u) = st.users.remove(id) else {
        return;
    };
    for (message_id, stored) in &u.inbox {
        st.expiries
            .remove(&(stored.record.expires_at, id.to_owned(), message_id.clone()));
    }
    st.unloads += 1;
    st.generation += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserRecord;

    fn doc(kind: &str, body: &[u8]) -> UserDocument {
        UserDocument {
            user: "wv:alice@localhost".into(),
            kind: kind.into(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn unreadable_documents_are_quarantined_and_the_rest_loads() {
        let snapshot = Snapshot {
            users: vec![UserRecord {
                id: "wv:alice@localhost".into(),
                password_hash: "x".into(),
                digest_secret: None,
                disabled: false,
            }],
            documents: vec![
                doc("presence", b"<not csp"),
                doc("blocking", b"{broken json"),
                doc("watchers", br#"{"wv:bob@localhost": 1700000000}"#),
                doc("reports", br#"["<garbage", 7]"#),
                doc("no-such-kind", b"whatever"),
            ],
            ..Default::default()
        };
        let (st, q) = state_from(snapshot, &EngineConfig::default());
        assert_eq!(q.count, 3, "presence, blocking and reports did not decode");
        let kinds: Vec<String> = q
            .writes
            .iter()
            .filter_map(|w| match w {
                Write::PutDocument(d) => Some(d.kind.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "quarantined:presence",
                "quarantined:blocking",
                "quarantined:reports"
            ]
        );
        let u = st.users.get("wv:alice@localhost").expect("alice loaded");
        assert_eq!(
            u.watcher_history.get("wv:bob@localhost"),
            Some(&1_700_000_000)
        );
        assert!(u.pending_reports.is_empty());
        assert_eq!(u.presence, Default::default());
    }
}
