//! What the engine keeps durably, and the trait a storage backend implements.
//!
//! The engine never reads the store on a request path: everything durable is loaded into memory
//! once ([`Store::load`]) and the engine hands back the [`Write`]s each request caused; the
//! server commits them (group commit) before it answers. A backend implements [`Store`]; the
//! SQLite one lives in `imps-store`.

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
}

impl Write {
    /// Whether losing this write in a crash loses nothing a client was promised: a deleted
    /// (delivered) message that comes back after a crash is delivered again, not lost. The
    /// server answers without waiting for such writes to be durable.
    pub fn answer_before_durable(&self) -> bool {
        matches!(self, Write::DeleteMessage(..))
    }
}

/// Error of a storage backend.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

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
/// `commit` must make the writes durable (on disk, fsync'ed or in the WAL) before it returns
/// `Ok`; it applies them in order and atomically. Backends batch concurrent commits (group
/// commit).
pub trait Store: Send + Sync + 'static {
    /// Loads everything.
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// Loads only the accounts (to notice accounts changed by `impsd user ...` while running).
    fn load_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// One account, read now (logins read it so that accounts changed by another process
    /// apply at once).
    fn user(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;
    /// A counter that changes whenever another process changed the data (for reloads).
    fn data_version(&self) -> Result<u64, StoreError>;
    /// Commits writes durably, as one atomic batch.
    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;

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
