//! `impsd user add|del|list|passwd|disable|enable` and `impsd session list|kick`: account and
//! session administration, on the same data directory (and key file) as a running server.
//!
//! Account changes go to the store; a running server notices them within a second, and at once
//! when the command reaches it through its control socket ([`crate::control`]), which also
//! reports the sessions that ended. Sessions live only in the running server: `impsd session`
//! asks it through the control socket.

use anyhow::{bail, Context as _};
use imps_core::auth::hash_password;
use imps_core::store::{Store, UserRecord, Write};
use imps_core::SessionInfo;
use imps_csp::Address;
use imps_store::SqliteStore;

use crate::control::{self, CallError, Reply, Request};
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

fn record(
    id: String,
    password: &str,
    settings: &Settings,
    disabled: bool,
) -> anyhow::Result<UserRecord> {
    if password.is_empty() {
        bail!("the password is empty");
    }
    let password_hash = hash_password(password, settings.hash_cost).map_err(anyhow::Error::msg)?;
    Ok(UserRecord {
        id,
        password_hash,
        digest_secret: settings.engine.digest_login.then(|| password.to_owned()),
        disabled,
    })
}

/// The store, the normalised id of `name` and its account, which must exist (or must not,
/// for `add`).
fn account(
    settings: &Settings,
    name: &str,
    exists: bool,
) -> anyhow::Result<(SqliteStore, String, Option<UserRecord>)> {
    let store = settings.open_store()?;
    let id = account_id(name, settings)?;
    let record = store.user(&id)?;
    match (record.is_some(), exists) {
        (true, false) => bail!("{id} exists"),
        (false, true) => bail!("{id} does not exist"),
        _ => Ok((store, id, record)),
    }
}

/// Adds an account; fails if it exists.
pub fn add(settings: &Settings, name: &str, password: &str) -> anyhow::Result<String> {
    let (store, id, _) = account(settings, name, false)?;
    store.commit(vec![Write::PutUser(record(
        id.clone(),
        password,
        settings,
        false,
    )?)])?;
    Ok(id)
}

/// Deletes an account and everything it owns; fails if it does not exist.
pub fn delete(settings: &Settings, name: &str) -> anyhow::Result<String> {
    let (store, id, _) = account(settings, name, true)?;
    store.commit(vec![Write::DeleteUser(id.clone())])?;
    Ok(id)
}

/// Changes a password (a disabled account stays disabled); fails if the account does not
/// exist.
pub fn passwd(settings: &Settings, name: &str, password: &str) -> anyhow::Result<String> {
    let (store, id, existing) = account(settings, name, true)?;
    let disabled = existing.is_some_and(|u| u.disabled);
    store.commit(vec![Write::PutUser(record(
        id.clone(),
        password,
        settings,
        disabled,
    )?)])?;
    Ok(id)
}

/// Disables (`true`) or enables an account; fails if it does not exist. A disabled account
/// cannot log in (403) and its live sessions end (601); everything it owns is kept.
pub fn set_disabled(settings: &Settings, name: &str, disabled: bool) -> anyhow::Result<String> {
    let (store, id, existing) = account(settings, name, true)?;
    let Some(mut user) = existing else {
        bail!("{id} does not exist");
    };
    user.disabled = disabled;
    store.commit(vec![Write::PutUser(user)])?;
    Ok(id)
}

/// The accounts, sorted by id: (id, disabled).
pub fn list(settings: &Settings) -> anyhow::Result<Vec<(String, bool)>> {
    let store = settings.open_store()?;
    let mut ids: Vec<(String, bool)> = store
        .load_users()?
        .into_iter()
        .map(|u| (u.id, u.disabled))
        .collect();
    ids.sort();
    Ok(ids)
}

/// Tells a running server to read account `id` again now: the sessions it ends (the account
/// was deleted, disabled or given a new password) are returned, by handle. `None` when no
/// server runs on this data directory (one that starts reads the store anyway).
pub fn notify(settings: &Settings, id: &str) -> anyhow::Result<Option<Vec<String>>> {
    let request = Request::Refresh {
        user: id.to_owned(),
    };
    match control::call(&settings.control_socket(), &request) {
        Ok(Reply::Ended { sessions }) => Ok(Some(sessions)),
        Ok(Reply::Error { message }) => bail!("the server: {message}"),
        Ok(other) => bail!("the server answered {other:?}"),
        Err(CallError::NotRunning(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The live sessions of a running server, of `name` only if given.
pub fn sessions(settings: &Settings, name: Option<&str>) -> anyhow::Result<Vec<SessionInfo>> {
    let user = name.map(|n| account_id(n, settings)).transpose()?;
    match control::call(&settings.control_socket(), &Request::Sessions { user })? {
        Reply::Sessions { sessions } => Ok(sessions),
        Reply::Error { message } => bail!("{message}"),
        other => bail!("the server answered {other:?}"),
    }
}

/// Ends (601) every live session of user `target`, or the one session whose id starts with
/// `target`; returns their handles.
pub fn kick(settings: &Settings, target: &str) -> anyhow::Result<Vec<String>> {
    let request = Request::Kick {
        target: target.to_owned(),
    };
    match control::call(&settings.control_socket(), &request)? {
        Reply::Ended { sessions } => Ok(sessions),
        Reply::Error { message } => bail!("{message}"),
        other => bail!("the server answered {other:?}"),
    }
}

/// Sends a system message to `name`'s CSP 1.3 sessions on the running server: how many got
/// it.
pub fn notice(settings: &Settings, name: &str, request: Request) -> anyhow::Result<usize> {
    let _ = account_id(name, settings)?;
    match control::call(&settings.control_socket(), &request)? {
        Reply::Noticed { sessions } => Ok(sessions),
        Reply::Error { message } => bail!("{message}"),
        other => bail!("the server answered {other:?}"),
    }
}

/// `name`'s answers to system messages, from the running server.
pub fn answers(settings: &Settings, name: &str) -> anyhow::Result<Vec<imps_core::SystemAnswer>> {
    let request = Request::Answers {
        user: account_id(name, settings)?,
    };
    match control::call(&settings.control_socket(), &request)? {
        Reply::Answers { answers } => Ok(answers),
        Reply::Error { message } => bail!("{message}"),
        other => bail!("the server answered {other:?}"),
    }
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
    let template = record(String::new(), password, settings, false)?;
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
