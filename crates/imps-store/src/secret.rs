//! Secrets at rest: the key file, the sealing of digest secrets, and the file modes of the data
//! directory.
//!
//! Digest (4-way) login needs each password back, so it cannot be kept as a hash alone. It is
//! kept *sealed*: XChaCha20-Poly1305 under a 32-byte key that lives in its own file (mode 0600,
//! `<data>/secret.key` unless configured elsewhere), never in the database. A sealed value is
//! `0x01 ‖ 24-byte random nonce ‖ ciphertext ‖ 16-byte tag`, with the account id as associated
//! data, so a value copied onto another account's row does not open.
//!
//! The database also keeps a *key check* (a known text sealed with the key), so a key file that
//! is not the database's own is refused when the store opens instead of failing logins later.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

use imps_core::store::StoreError;

use crate::error::io_err;

/// Length of the key in the key file, bytes.
pub const KEY_LEN: usize = 32;
/// Format byte of a sealed value.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Associated data prefix: binds a sealed value to what it is.
const AAD_DIGEST: &[u8] = b"impsd digest secret\0";
/// Associated data of the key check.
const AAD_KEY_CHECK: &[u8] = b"impsd key check\0";
/// What the key check seals.
const KEY_CHECK_TEXT: &[u8] = b"impsd: this database's key";

/// Seals and opens digest secrets with the key from the key file.
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// Seals `secret`, the digest secret of account `id`, with a fresh random nonce.
    pub(crate) fn seal(&self, id: &str, secret: &str) -> Vec<u8> {
        self.seal_with(&digest_aad(id), secret.as_bytes())
    }

    /// Opens what [`Sealer::seal`] sealed for account `id`. `None`: the value does not open
    /// with this key for this account (another key, another account's value, or damage).
    pub(crate) fn open(&self, id: &str, sealed: &[u8]) -> Option<String> {
        let clear = self.open_with(&digest_aad(id), sealed)?;
        String::from_utf8(clear).ok()
    }

    /// A new key check for the database.
    pub(crate) fn key_check(&self) -> Vec<u8> {
        self.seal_with(AAD_KEY_CHECK, KEY_CHECK_TEXT)
    }

    /// Whether `check` (from the database) was made with this key.
    pub(crate) fn matches(&self, check: &[u8]) -> bool {
        self.open_with(AAD_KEY_CHECK, check).as_deref() == Some(KEY_CHECK_TEXT)
    }

    fn seal_with(&self, aad: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + msg.len() + TAG_LEN);
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        // Encryption into a Vec cannot fail for inputs below the cipher's 256 GiB limit.
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
            .unwrap_or_default();
        out.extend_from_slice(&ct);
        out
    }

    fn open_with(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT_V1 || rest.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
    }
}

fn digest_aad(id: &str) -> Vec<u8> {
    let mut aad = AAD_DIGEST.to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// Reads the key file at `path`, or creates it (32 random bytes, mode 0600) when it does not
/// exist and `may_create` is true. Refuses a key file that others may read, that is not a
/// regular file, or whose length is not [`KEY_LEN`].
pub(crate) fn load_or_create_key(
    path: &Path,
    may_create: bool,
    db: &Path,
) -> Result<Sealer, StoreError> {
    match read_key(path) {
        Ok(key) => Ok(Sealer::new(&key)),
        Err(KeyError::Missing) if may_create => create_key(path),
        Err(KeyError::Missing) => Err(StoreError::permanent(format!(
            "the key file {} is missing, and the digest secrets in {} are encrypted with it: \
             restore it from the backup it was saved with (the key file and the database are \
             backed up together), or point [server] key_file (--key-file) at it",
            path.display(),
            db.display()
        ))),
        Err(KeyError::Other(e)) => Err(e),
    }
}

enum KeyError {
    Missing,
    Other(StoreError),
}

fn read_key(path: &Path) -> Result<[u8; KEY_LEN], KeyError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(KeyError::Missing),
        Err(e) => {
            return Err(KeyError::Other(io_err(format!(
                "open the key file {}",
                path.display()
            ))(e)))
        }
    };
    let meta = file
        .metadata()
        .map_err(io_err(format!("read the key file {}", path.display())))
        .map_err(KeyError::Other)?;
    if !meta.is_file() {
        return Err(KeyError::Other(StoreError::permanent(format!(
            "the key file {} is not a regular file",
            path.display()
        ))));
    }
    check_private(path, &meta).map_err(KeyError::Other)?;
    let mut bytes = Vec::with_capacity(KEY_LEN + 1);
    // One byte more than a key: enough to tell that the file is too long.
    (&mut file)
        .take(KEY_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(format!("read the key file {}", path.display())))
        .map_err(KeyError::Other)?;
    let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        KeyError::Other(StoreError::permanent(format!(
            "the key file {} is {}{} bytes long, not {KEY_LEN}: it is not an impsd key file \
             (or it is damaged)",
            path.display(),
            if bytes.len() > KEY_LEN { "over " } else { "" },
            bytes.len().min(KEY_LEN)
        )))
    })?;
    bytes.fill(0);
    Ok(key)
}

/// Refuses a key file whose mode lets anyone but its owner in.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::permanent(format!(
            "the key file {} has mode {mode:04o}: others could read the key. It must be \
             readable by its owner only: chmod 600 {}",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), StoreError> {
    Ok(())
}

/// Creates the key file atomically: the key is written to a temporary file (mode 0600) which
/// is then hard-linked to `path`, so a process opening the store at the same time sees either
/// no key file or a whole one. If another process won the race, its key is used.
fn create_key(path: &Path) -> Result<Sealer, StoreError> {
    let mut key = [0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    let tmp = temp_path(path);
    let result =
        write_new_private(&tmp, &key).and_then(|()| match std::fs::hard_link(&tmp, path) {
            Ok(()) => {
                sync_parent(path);
                tracing::info!(path = %path.display(), "created the key file");
                Ok(Some(Sealer::new(&key)))
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(io_err(format!("create the key file {}", path.display()))(e)),
        });
    let _ = std::fs::remove_file(&tmp);
    key.fill(0);
    match result? {
        Some(sealer) => Ok(sealer),
        None => read_key(path)
            .map(|k| Sealer::new(&k))
            .map_err(|e| match e {
                // Another process removed it between our link and our read: a race, not a
                // property of the key file.
                KeyError::Missing => StoreError::retryable(format!(
                    "the key file {} vanished while it was being created",
                    path.display()
                )),
                KeyError::Other(e) => e,
            }),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to a new file readable by its owner only, and fsyncs it.
pub(crate) fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let doing = || format!("write {}", path.display());
    let mut f = options.open(path).map_err(io_err(doing()))?;
    f.write_all(bytes).map_err(io_err(doing()))?;
    f.sync_all().map_err(io_err(doing()))
}

/// Best effort: makes a new directory entry durable.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

/// Creates the data directory with mode 0700, or tightens an existing one that lets group or
/// others in (with a warning).
pub(crate) fn prepare_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(io_err(format!("create {}", dir.display())))?;
    tighten(dir, 0o700)
}

/// Creates the database file with mode 0600 if it does not exist (SQLite gives its `-wal` and
/// `-shm` files the database's mode), and tightens the database, `-wal` and `-shm` files if
/// they let group or others in.
pub(crate) fn prepare_db_files(db: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(db)
        .map_err(io_err(format!("create {}", db.display())))?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            tighten(&path, 0o600)?;
        }
    }
    Ok(())
}

/// Removes group and other bits from `path`'s mode, with a warning, if any are set.
#[cfg(unix)]
fn tighten(path: &Path, to: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(io_err(format!("stat {}", path.display())))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(to)).map_err(io_err(
            format!(
                "{} has mode {mode:04o} and could not be restricted to {to:04o}",
                path.display()
            ),
        ))?;
        tracing::warn!(
            path = %path.display(),
            "mode was {mode:04o}, which lets others read impsd's data: changed to {to:04o}"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _to: u32) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_account_and_key() {
        let a = Sealer::new(&[7; KEY_LEN]);
        let b = Sealer::new(&[8; KEY_LEN]);
        let sealed = a.seal("wv:alice@localhost", "s3cret");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            a.open("wv:alice@localhost", &sealed).as_deref(),
            Some("s3cret")
        );
        assert_eq!(a.open("wv:bob@localhost", &sealed), None);
        assert_eq!(b.open("wv:alice@localhost", &sealed), None);
        assert_ne!(
            sealed,
            a.seal("wv:alice@localhost", "s3cret"),
            "fresh nonce"
        );
        assert_eq!(a.open("wv:alice@localhost", &sealed[..10]), None);
        assert_eq!(a.open("wv:alice@localhost", b""), None);
        assert!(a.matches(&a.key_check()));
        assert!(!b.matches(&a.key_check()));
    }
}
