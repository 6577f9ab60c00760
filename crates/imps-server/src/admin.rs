//! `impsd user add|del|list|passwd`: account administration, on the same data directory (and key
//! file) as a running server (which notices the change within a second).

use anyhow::{bail, Context as _};
use imps_core::auth::hash_password;
use imps_core::store::{Store, UserRecord, Write};
use imps_csp::Address;
use imps_store::SqliteStore;

use crate::Settings;

/// Normalises an account name (`alice`, `alice@domain`, `wv:alice@domain`).
pub fn account_id(name: &str, settings: &Settings) -> anyhow::Result<String> {
    let a = Address::parse_with_domain(name, &settings.engine.default_domain)
        .with_context(|| format!("{name:?} is not a user name"))?;
    if a.resource().is_some() {
        bail!("{name:?} names a list or group, not a user");
    }
    Ok(a.to_string())
}

fn record(id: String, password: &str, settings: &Settings) -> anyhow::Result<UserRecord> {
    if password.is_empty() {
        bail!("the password is empty");
    }
    let password_hash = hash_password(password, settings.hash_cost).map_err(anyhow::Error::msg)?;
    Ok(UserRecord {
        id,
        password_hash,
        digest_secret: settings.engine.digest_login.then(|| password.to_owned()),
    })
}

/// The store and the normalised id of `name`, which must exist (or must not, for `add`).
fn account(settings: &Settings, name: &str, exists: bool) -> anyhow::Result<(SqliteStore, String)> {
    let store = settings.open_store()?;
    let id = account_id(name, settings)?;
    match (store.user(&id)?.is_some(), exists) {
        (true, false) => bail!("{id} exists"),
        (false, true) => bail!("{id} does not exist"),
        _ => Ok((store, id)),
    }
}

/// Adds an account; fails if it exists.
pub fn add(settings: &Settings, name: &str, password: &str) -> anyhow::Result<String> {
    let (store, id) = account(settings, name, false)?;
    store.commit(vec![Write::PutUser(record(
        id.clone(),
        password,
        settings,
    )?)])?;
    Ok(id)
}

/// Deletes an account and everything it owns; fails if it does not exist.
pub fn delete(settings: &Settings, name: &str) -> anyhow::Result<String> {
    let (store, id) = account(settings, name, true)?;
    store.commit(vec![Write::DeleteUser(id.clone())])?;
    Ok(id)
}

/// Changes a password; fails if the account does not exist.
pub fn passwd(settings: &Settings, name: &str, password: &str) -> anyhow::Result<String> {
    let (store, id) = account(settings, name, true)?;
    store.commit(vec![Write::PutUser(record(
        id.clone(),
        password,
        settings,
    )?)])?;
    Ok(id)
}

/// The account ids, sorted.
pub fn list(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let store = settings.open_store()?;
    let mut ids: Vec<String> = store.load_users()?.into_iter().map(|u| u.id).collect();
    ids.sort();
    Ok(ids)
}

/// Adds accounts `<prefix>0` … `<prefix>count-1` with one password (for load tests): one
/// hash is computed and shared by all of them. Existing accounts are left alone.
pub fn bulk_add(
    settings: &Settings,
    prefix: &str,
    count: usize,
    password: &str,
) -> anyhow::Result<usize> {
    let store = settings.open_store()?;
    let template = record(String::new(), password, settings)?;
    let existing: std::collections::HashSet<String> =
        store.load_users()?.into_iter().map(|u| u.id).collect();
    let mut writes = Vec::new();
    for i in 0..count {
        let id = account_id(&format!("{prefix}{i}"), settings)?;
        if !existing.contains(&id) {
            writes.push(Write::PutUser(UserRecord {
                id,
                ..template.clone()
            }));
        }
    }
    let added = writes.len();
    for chunk in writes.chunks(1000) {
        store.commit(chunk.to_vec())?;
    }
    Ok(added)
}
