//! A store double for the engine's tests and simulation: everything in memory, batches applied
//! atomically, failures injected by a predicate, and commits that can be held back and
//! released later (as a writer thread would).

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::store::{
    ContactListRecord, MessageRecord, Snapshot, Store, StoreError, UserData, UserDocument,
    UserRecord, Write,
};

type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type FailWhen = Box<dyn Fn(&Write) -> bool + Send + Sync>;

#[derive(Default)]
struct Data {
    users: BTreeMap<String, UserRecord>,
    /// Lists in the order they were first stored.
    lists: Vec<ContactListRecord>,
    /// Messages in the order they were stored.
    messages: Vec<MessageRecord>,
    documents: BTreeMap<(String, String), Vec<u8>>,
    /// Search terms by the account that holds them.
    terms: BTreeMap<String, Vec<crate::store::SearchTerm>>,
}

/// The store double.
#[derive(Default)]
pub(crate) struct MemStore {
    data: Mutex<Data>,
    /// A batch with a write this matches fails whole.
    fail: Mutex<Option<FailWhen>>,
    /// Whether commits wait for [`MemStore::release`].
    hold: Mutex<bool>,
    held: Mutex<Vec<(Vec<Write>, Done)>>,
    /// `load_user` calls so far.
    pub loads: std::sync::atomic::AtomicUsize,
    /// `search` calls so far.
    pub searches: std::sync::atomic::AtomicUsize,
    /// When set, the next `load_user` reads, then waits for this before it returns (a slow
    /// read whose result is already taken).
    park_next_load: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl MemStore {
    /// A store holding `users`.
    pub(crate) fn with_users(users: Vec<UserRecord>) -> Arc<MemStore> {
        let s = MemStore::default();
        for u in users {
            s.data.lock().users.insert(u.id.clone(), u);
        }
        Arc::new(s)
    }

    /// Makes every later batch with a write `when` matches fail (`None`: none fails).
    pub(crate) fn fail_when(&self, when: Option<FailWhen>) {
        *self.fail.lock() = when;
    }

    /// Whether commits are held until [`MemStore::release`].
    pub(crate) fn hold(&self, on: bool) {
        *self.hold.lock() = on;
    }

    /// Makes the next `load_user` read, then wait until the returned sender sends (or is
    /// dropped) before it returns what it read.
    pub(crate) fn park_next_load(&self) -> std::sync::mpsc::Sender<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        *self.park_next_load.lock() = Some(rx);
        tx
    }

    /// Commits the held batches, oldest first.
    pub(crate) fn release(&self) {
        let held = std::mem::take(&mut *self.held.lock());
        for (writes, done) in held {
            done(self.apply(writes));
        }
    }

    /// The undelivered messages of `user`, by MessageID.
    pub(crate) fn messages_of(&self, user: &str) -> Vec<MessageRecord> {
        self.data
            .lock()
            .messages
            .iter()
            .filter(|m| m.recipient == user)
            .cloned()
            .collect()
    }

    /// A stored document.
    pub(crate) fn document(&self, user: &str, kind: &str) -> Option<Vec<u8>> {
        self.data
            .lock()
            .documents
            .get(&(user.to_owned(), kind.to_owned()))
            .cloned()
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if let Some(fail) = &*self.fail.lock() {
            if writes.iter().any(fail) {
                return Err(StoreError::permanent("injected failure"));
            }
        }
        let mut d = self.data.lock();
        for w in writes {
            match w {
                Write::PutUser(u) => {
                    d.users.insert(u.id.clone(), u);
                }
                Write::DeleteUser(id) => {
                    d.users.remove(&id);
                    d.lists.retain(|l| l.owner != id);
                    d.messages.retain(|m| m.recipient != id);
                    d.documents.retain(|(u, _), _| *u != id);
                    d.terms.remove(&id);
                }
                Write::PutList(l) => match d.lists.iter_mut().find(|o| o.id == l.id) {
                    Some(o) => *o = l,
                    None => d.lists.push(l),
                },
                Write::DeleteList(owner, id) => {
                    d.lists.retain(|l| !(l.owner == owner && l.id == id));
                }
                Write::PutMessage(m) => {
                    d.messages
                        .retain(|o| !(o.recipient == m.recipient && o.message_id == m.message_id));
                    d.messages.push(m);
                }
                Write::DeleteMessage(r, id) => {
                    d.messages
                        .retain(|o| !(o.recipient == r && o.message_id == id));
                }
                Write::PutDocument(doc) => {
                    d.documents.insert((doc.user, doc.kind), doc.body);
                }
                Write::DeleteDocument(user, kind) => {
                    d.documents.remove(&(user, kind));
                }
                Write::PutSearchTerms(owner, terms) => {
                    d.terms.insert(owner, terms);
                }
            }
        }
        Ok(())
    }
}

impl Store for MemStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let d = self.data.lock();
        let mut messages = d.messages.clone();
        messages.sort_by_key(|m| m.accepted_at);
        Ok(Snapshot {
            users: d.users.values().cloned().collect(),
            lists: d.lists.clone(),
            messages,
            documents: d
                .documents
                .iter()
                .map(|((user, kind), body)| UserDocument {
                    user: user.clone(),
                    kind: kind.clone(),
                    body: body.clone(),
                })
                .collect(),
        })
    }

    fn load_user(&self, id: &str) -> Result<Option<UserData>, StoreError> {
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let all = self.load()?;
        if let Some(parked) = self.park_next_load.lock().take() {
            let _ = parked.recv();
        }
        let Some(user) = all.users.into_iter().find(|u| u.id == id) else {
            return Ok(None);
        };
        Ok(Some(UserData {
            user,
            lists: all.lists.into_iter().filter(|l| l.owner == id).collect(),
            messages: all
                .messages
                .into_iter()
                .filter(|m| m.recipient == id)
                .collect(),
            documents: all.documents.into_iter().filter(|d| d.user == id).collect(),
        }))
    }

    fn due_recipients(&self, at: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        let d = self.data.lock();
        let mut due: Vec<(u64, String)> = d
            .messages
            .iter()
            .filter(|m| m.expires_at <= at)
            .map(|m| (m.expires_at, m.recipient.clone()))
            .collect();
        due.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, r) in due {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    fn count(&self, kind: crate::store::SearchKind, field: &str) -> Result<u64, StoreError> {
        let d = self.data.lock();
        let subjects: std::collections::BTreeSet<&str> = d
            .terms
            .values()
            .flatten()
            .filter(|t| t.kind == kind && t.field == field)
            .map(|t| t.subject.as_str())
            .collect();
        Ok(subjects.len() as u64)
    }

    fn search(
        &self,
        kind: crate::store::SearchKind,
        criteria: &[crate::store::Criterion],
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.searches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if criteria.is_empty() {
            return Ok(Vec::new());
        }
        let d = self.data.lock();
        let mut found = std::collections::BTreeSet::new();
        let terms: Vec<&crate::store::SearchTerm> = d
            .terms
            .values()
            .flatten()
            .filter(|t| t.kind == kind)
            .collect();
        for t in &terms {
            let subject = &t.subject;
            let all = criteria
                .iter()
                .all(|c| terms.iter().any(|o| o.subject == *subject && c.accepts(o)));
            if all {
                found.insert(subject.clone());
            }
        }
        Ok(found.into_iter().take(limit).collect())
    }

    fn load_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        Ok(self.data.lock().users.values().cloned().collect())
    }

    fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.data.lock().users.get(id).cloned())
    }

    fn data_version(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.apply(writes)
    }

    fn commit_then(&self, writes: Vec<Write>, done: Done) {
        if *self.hold.lock() {
            self.held.lock().push((writes, done));
            return;
        }
        done(self.apply(writes));
    }
}
