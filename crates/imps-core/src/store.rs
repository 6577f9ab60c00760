//! What the engine keeps durably, and the trait a storage backend implements.
//!
//! An engine with a store ([`crate::Engine::with_store`]) reads an account, with everything it
//! owns, the first time something needs it ([`Store::load_user`]: a login, a message or a
//! subscription to it, its messages coming due), so start-up reads nothing whatever the size of
//! the database; it submits the [`Write`]s each call causes itself, in each shard's order
//! (group commit in the backend), and the server releases answers once they are durable.
//! [`Store::load`] reads everything at once (tools and tests). A backend implements [`Store`];
//! the SQLite one lives in `imps-store`.

use serde::{Deserialize, Serialize};

/// One account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Normalised user id, `wv:alice@example.com`.
    pub id: String,
    /// Salted slow hash of the password (PHC string, argon2id).
    pub password_hash: String,
    /// The password itself, kept only when digest (4-way) login is enabled: MD5/SHA digest
    /// login needs the secret. `None` when the operator chose hash-only storage.
    pub digest_secret: Option<String>,
    /// Disabled by the operator (`impsd user disable`): the account cannot log in and its
    /// sessions end (601); its contacts, lists and stored messages are kept.
    #[serde(default)]
    pub disabled: bool,
}

/// One contact list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactListRecord {
    /// Owner, normalised user id.
    pub owner: String,
    /// Normalised list id, `wv:alice/friends@example.com`.
    pub id: String,
    /// `DisplayName` property.
    pub display_name: Option<String>,
    /// `Default` property.
    pub default: bool,
    /// Members in insertion order: (normalised user id, nickname).
    pub members: Vec<(String, Option<String>)>,
}

/// A message accepted for one recipient and not yet delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Recipient, normalised user id.
    pub recipient: String,
    /// Server-assigned MessageID.
    pub message_id: String,
    /// The sender (normalised user id), for delivery reports.
    pub sender: String,
    /// Seconds since the epoch when the message was accepted.
    pub accepted_at: u64,
    /// Seconds since the epoch after which the message is discarded.
    pub expires_at: u64,
    /// Whether the sender asked for a delivery report.
    pub delivery_report: bool,
    /// The `NewMessage` as it will be delivered, as a CSP 1.3 XML document.
    pub document: Vec<u8>,
}

/// A per-user document: presence, block/grant lists, authorisations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDocument {
    /// Owner, normalised user id.
    pub user: String,
    /// What the document is (`presence`, `blocking`, `authorisation`).
    pub kind: String,
    /// The document (JSON or CSP XML, by kind).
    pub body: Vec<u8>,
}

/// What a search term describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SearchKind {
    /// A user (its public profile).
    User,
    /// A searchable group.
    Group,
}

/// One searchable value of something an account holds (its published public profile, its
/// searchable groups): what Search-Request looks through, for every account whether loaded or
/// not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchTerm {
    /// A user or a group.
    pub kind: SearchKind,
    /// The user id or group id it describes.
    pub subject: String,
    /// The field: `ID`, a public-profile field (`PP_CITY`, ...), `GROUP_NAME`, `GROUP_TOPIC`,
    /// `OWNER`.
    pub field: String,
    /// The value, in lower case (ages as three digits, so that they compare as text).
    pub value: String,
}

/// How a criterion compares a term's value with its needle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The value contains the needle.
    Contains,
    /// The value is the needle.
    Equals,
    /// The value is at least the needle (as text).
    AtLeast,
    /// The value is at most the needle (as text).
    AtMost,
    /// The value is one of the needle's lines (`a\nb\nc`).
    OneOf,
}

/// One condition of a search: the subject has a term of `field` whose value matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    /// The field.
    pub field: String,
    /// The comparison.
    pub matches: Match,
    /// What is looked for, in lower case.
    pub needle: String,
}

impl Criterion {
    /// Whether `term` (of the criterion's field) satisfies it.
    pub fn accepts(&self, term: &SearchTerm) -> bool {
        term.field == self.field
            && match self.matches {
                Match::Contains => term.value.contains(&self.needle),
                Match::Equals => term.value == self.needle,
                Match::AtLeast => term.value >= self.needle,
                Match::AtMost => term.value <= self.needle,
                Match::OneOf => self.needle.split('\n').any(|n| n == term.value),
            }
    }
}

/// Everything durable, as loaded at start-up.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Accounts.
    pub users: Vec<UserRecord>,
    /// Contact lists.
    pub lists: Vec<ContactListRecord>,
    /// Undelivered messages.
    pub messages: Vec<MessageRecord>,
    /// Per-user documents.
    pub documents: Vec<UserDocument>,
}

/// The field of the [`SearchTerm`] every group has, searchable or not (value empty): no
/// search element looks at it; [`Store::count`] of it is the number of groups.
pub const EVERY_GROUP: &str = "GROUP";

/// One durable change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Create or replace an account.
    PutUser(UserRecord),
    /// Delete an account and everything it owns.
    DeleteUser(String),
    /// Create or replace a contact list.
    PutList(ContactListRecord),
    /// Delete a contact list: (owner, list id).
    DeleteList(String, String),
    /// Store a message for one recipient.
    PutMessage(MessageRecord),
    /// A message was delivered, rejected or expired: (recipient, message id).
    DeleteMessage(String, String),
    /// Create or replace a per-user document.
    PutDocument(UserDocument),
    /// Delete a per-user document: (owner, kind). Deleting one that is not there is no error.
    DeleteDocument(String, String),
    /// Replace every search term an account holds: (account, terms).
    PutSearchTerms(String, Vec<SearchTerm>),
}

impl Write {
    /// A [`Write::PutDocument`] of `value` as JSON, `user`'s document of `kind`; `None` (and an
    /// error logged) if it does not encode.
    pub fn json_document<T: Serialize + ?Sized>(
        user: &str,
        kind: &str,
        value: &T,
    ) -> Option<Write> {
        match serde_json::to_vec(value) {
            Ok(body) => Some(Write::PutDocument(UserDocument {
                user: user.to_owned(),
                kind: kind.to_owned(),
                body,
            })),
            Err(e) => {
                tracing::error!(user, kind, error = %e, "document did not encode: not stored");
                None
            }
        }
    }

    /// Whether losing this write in a crash loses nothing a client was promised: a deleted
    /// (delivered) message that comes back after a crash is delivered again, not lost. The
    /// server answers without waiting for such writes to be durable.
    pub fn answer_before_durable(&self) -> bool {
        matches!(self, Write::DeleteMessage(..))
    }

    /// The account the write belongs to (every durable record has one owner).
    pub fn user(&self) -> &str {
        match self {
            Write::PutUser(u) => &u.id,
            Write::DeleteUser(id) => id,
            Write::PutList(l) => &l.owner,
            Write::DeleteList(owner, _) => owner,
            Write::PutMessage(m) => &m.recipient,
            Write::DeleteMessage(recipient, _) => recipient,
            Write::PutDocument(d) => &d.user,
            Write::DeleteDocument(user, _) => user,
            Write::PutSearchTerms(owner, _) => owner,
        }
    }
}

/// Everything one account owns, as [`Store::load_user`] reads it: the same records [`Store::load`]
/// returns for this account, in the same orders, read at one point in time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserData {
    /// The account.
    pub user: UserRecord,
    /// Its contact lists, in the order they were first stored (a replaced list keeps its
    /// place), as [`Snapshot::lists`] orders one owner's lists.
    pub lists: Vec<ContactListRecord>,
    /// Its undelivered messages, by `accepted_at`, ties in the order they were stored, as
    /// [`Snapshot::messages`] orders them.
    pub messages: Vec<MessageRecord>,
    /// Its documents, by kind.
    pub documents: Vec<UserDocument>,
}

/// Why a storage operation failed, as far as the caller's next step is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// The operation was sound but the database could not do it now: busy or locked by another
    /// writer, an I/O error, a full disk, a lost connection, a full writer queue. Nothing of the
    /// failed operation was applied; the same operation may succeed later.
    Retryable,
    /// The operation itself cannot succeed as it is: a constraint violation (a write for an
    /// account that does not exist), corrupt or undecodable data, a schema or key problem, a
    /// writer that has stopped. Trying the same operation again gives the same error.
    Permanent,
}

/// Error of a storage backend: its [`StoreErrorKind`] and a message for people. Displays as
/// `storage: <message>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("storage: {message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

impl StoreError {
    /// An error of the given kind.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> StoreError {
        StoreError {
            kind,
            message: message.into(),
        }
    }

    /// A [`StoreErrorKind::Retryable`] error.
    pub fn retryable(message: impl Into<String>) -> StoreError {
        StoreError::new(StoreErrorKind::Retryable, message)
    }

    /// A [`StoreErrorKind::Permanent`] error.
    pub fn permanent(message: impl Into<String>) -> StoreError {
        StoreError::new(StoreErrorKind::Permanent, message)
    }

    /// Why it failed.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether the same operation may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        self.kind == StoreErrorKind::Retryable
    }

    /// The message, without the `storage: ` prefix of `Display`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` in front of its message; the kind is kept.
    pub fn context(self, context: impl std::fmt::Display) -> StoreError {
        StoreError {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// What [`Store::health`] reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreHealth {
    /// Commits waiting for the writer.
    pub queued: usize,
    /// At or beyond this many waiting commits the store is backed up (0: no bound).
    pub queue_limit: usize,
    /// Why the store cannot write, if it cannot (its writer stopped, its last commit failed).
    pub failed: Option<String>,
}

impl StoreHealth {
    /// Whether new writes should be refused for now (503).
    pub fn backed_up(&self) -> bool {
        self.queue_limit > 0 && self.queued >= self.queue_limit
    }

    /// Whether the store is fit to serve: not failed, not backed up.
    pub fn ok(&self) -> bool {
        self.failed.is_none() && !self.backed_up()
    }
}

/// A storage backend.
///
/// Every method may be called from several threads at once; none is async (callers run them on
/// blocking threads). What each method promises is stated so that a backend on another database
/// (an embedded file, a PostgreSQL server shared by several nodes) can keep it:
///
/// * reads see only committed writes, and each read method returns one consistent view (one
///   read transaction, or the backend's equivalent);
/// * `commit` returns `Ok` only once the writes are durable as the backend is configured to
///   make them (on disk, or acknowledged by the database server after its own log flush), and
///   applies each batch in order and atomically: all of it or none of it. Backends may put
///   several callers' batches into one transaction (group commit), but a batch that fails must
///   fail alone;
/// * errors say whether trying again may help ([`StoreError::is_retryable`]).
pub trait Store: Send + Sync + 'static {
    /// Loads everything (accounts by id, lists by owner and then in the order they were first
    /// stored, messages by `accepted_at` and then in the order they were stored, documents by
    /// owner and kind), as one consistent view.
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// Loads what one account owns ([`UserData`]), as one consistent view, reading only that
    /// account's records (by key, never by scanning every account's): `Ok(None)` if the account
    /// does not exist.
    fn load_user(&self, id: &str) -> Result<Option<UserData>, StoreError>;
    /// The recipients of undelivered messages that expire at or before `at` (seconds since the
    /// epoch), at most `limit` of them, soonest first: the engine loads these accounts so that
    /// their messages expire (and their senders hear of it) although nobody else needed them.
    /// By an index on the expiry time, never by scanning every message.
    fn due_recipients(&self, at: u64, limit: usize) -> Result<Vec<String>, StoreError>;
    /// Loads only the accounts, by id (for tools; the server never reads every account).
    fn load_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// One account, read now (logins read it so that accounts changed by another writer apply
    /// at once).
    fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;
    /// A counter that changes when another writer (an admin command, another node) changed
    /// accounts: the caller compares it with the value it read before and reloads the accounts
    /// when it differs. It must change after every such change; it may also change for this
    /// store's own commits or for changes that touched no account (a needless reload costs one
    /// read).
    fn data_version(&self) -> Result<u64, StoreError>;
    /// Commits writes durably, as one atomic batch, in order.
    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// The subjects of `kind` that have, for every criterion, a term satisfying it (an AND of
    /// the criteria; none: nothing), in order of their ids, at most `limit` of them: by an
    /// index on the terms (field, value), never by reading accounts.
    fn search(
        &self,
        kind: SearchKind,
        criteria: &[Criterion],
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// How many subjects of `kind` hold a term of `field` (each counted once): by the index on
    /// the terms, never by reading accounts. The engine counts the server's groups so, by
    /// [`EVERY_GROUP`], once at start (the server-wide group limit, 815).
    fn count(&self, kind: SearchKind, field: &str) -> Result<u64, StoreError>;

    /// Commits writes durably and then calls `done` with the result. Backends with a writer
    /// thread call `done` from there, so no caller thread waits; the default commits at once.
    fn commit_then(
        &self,
        writes: Vec<Write>,
        done: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
    ) {
        done(self.commit(writes));
    }

    /// Whether the store can take writes: its writer runs, its last commit did not fail, its
    /// queue is not backed up. Backends without a writer queue are always healthy.
    fn health(&self) -> StoreHealth {
        StoreHealth::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_carry_their_kind_and_display_as_before() {
        let busy = StoreError::retryable("database is locked");
        assert!(busy.is_retryable());
        assert_eq!(busy.kind(), StoreErrorKind::Retryable);
        assert_eq!(busy.message(), "database is locked");
        assert_eq!(busy.to_string(), "storage: database is locked");

        let fk = StoreError::permanent("FOREIGN KEY constraint failed");
        assert!(!fk.is_retryable());
        assert_eq!(fk.kind(), StoreErrorKind::Permanent);
        assert_eq!(fk.to_string(), "storage: FOREIGN KEY constraint failed");

        let wrapped = busy.context("commit");
        assert!(wrapped.is_retryable(), "context keeps the kind");
        assert_eq!(wrapped.to_string(), "storage: commit: database is locked");
        assert_eq!(
            StoreError::new(StoreErrorKind::Permanent, "x"),
            StoreError::permanent("x")
        );
    }
}
