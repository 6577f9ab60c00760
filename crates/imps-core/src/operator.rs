//! What the operator does to a running engine: accounts changed by `impsd user ...` (added,
//! deleted, new password, disabled), and live sessions listed and ended (`impsd session
//! list|kick`).

use imps_csp::StatusCode;
use serde::{Deserialize, Serialize};

use crate::engine::{Cx, Engine, Outcome};
use crate::feature;
use crate::state::UserState;
use crate::store::UserRecord;

/// One live session as the operator sees it (`impsd session list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The SessionID. Shown to the operator only as a prefix ([`SessionInfo::handle`]).
    pub id: String,
    /// The user, normalised.
    pub user: String,
    /// The CSP version the session speaks (`1.1`, `1.2`, `1.3`).
    pub version: String,
    /// The ClientID the login named (its URL, or its MSISDN), if any.
    pub client_id: Option<String>,
    /// The address the login came from.
    pub peer: Option<std::net::IpAddr>,
    /// When it logged in (seconds since the epoch).
    pub started: u64,
    /// Its last request (seconds since the epoch).
    pub last_active: u64,
    /// Its CIR channel as the server sees it (`tcp`: connected; `broken`: was connected and is
    /// gone; `None`: none open). Filled by the server, which holds the channels.
    #[serde(default)]
    pub cir: Option<String>,
}

/// How many characters of a SessionID `impsd session list` shows: enough to tell sessions
/// apart, not the whole bearer secret (which would end up pasted into tickets).
pub const HANDLE_LEN: usize = 12;

/// The shortest SessionID prefix `impsd session kick` takes (what logs show, see
/// [`crate::redact`]).
pub const MIN_PREFIX: usize = 6;

impl SessionInfo {
    /// The session's handle: the first [`HANDLE_LEN`] characters of its SessionID.
    pub fn handle(&self) -> &str {
        self.id.get(..HANDLE_LEN).unwrap_or(&self.id)
    }
}

/// Whom `impsd session kick` named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KickTarget {
    /// Every session of this user.
    User(String),
    /// This one session.
    Session(String),
}

/// Why a kick names nobody.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KickError {
    /// No live session and no user with live sessions matches.
    #[error("no live session of that user and no live session with that id")]
    NoMatch,
    /// The prefix names more than one session.
    #[error("{0} live sessions start with that prefix: give more of the session id")]
    Ambiguous(usize),
    /// The argument is both a user with live sessions and a session id prefix.
    #[error(
        "that names both a user with live sessions and a session: give more of the session id"
    )]
    UserOrSession,
}

impl Engine {
    /// The live sessions, of `user` only if given (normalised id), by user then login time.
    pub fn sessions(&self, user: Option<&str>) -> Vec<SessionInfo> {
        let mut out: Vec<SessionInfo> = Vec::new();
        for shard in self.all_shards() {
            let st = shard.lock();
            out.extend(
                st.sessions
                    .values()
                    .filter(|s| user.is_none_or(|u| s.user == u))
                    .map(|s| SessionInfo {
                        id: s.id.clone(),
                        user: s.user.clone(),
                        version: s.version.as_str().to_owned(),
                        client_id: s
                            .client_id
                            .as_ref()
                            .and_then(|c| c.url.clone().or_else(|| c.msisdn.clone())),
                        peer: s.peer,
                        started: s.started,
                        last_active: s.last_active,
                        cir: None,
                    }),
            );
        }
        out.sort_by(|a, b| (&a.user, a.started, &a.id).cmp(&(&b.user, b.started, &b.id)));
        out
    }

    /// Sends a system message (a notice, a question with answer options) to every CSP 1.3
    /// session of `user` (normalised): how many got it, and the outcome to act on (wake-ups).
    /// `None` when there is no such account.
    pub fn system_message(
        &self,
        user: &str,
        msg: imps_csp::model::v13::SystemMessage,
        now: u64,
    ) -> Option<(usize, Outcome)> {
        let mut st = self.owner(user).lock();
        if !self.ensure_loaded(&mut st, user, now).unwrap_or(false) {
            return None;
        }
        let mut cx = self.cx(&mut st, now);
        let n = crate::feature::system::send(&mut cx, user, msg);
        Some((n, cx.finish(None)))
    }

    /// `user`'s answers to system messages, oldest first (`None`: no such account).
    pub fn system_answers(&self, user: &str, now: u64) -> Option<Vec<crate::SystemAnswer>> {
        let mut st = self.owner(user).lock();
        if !self.ensure_loaded(&mut st, user, now).unwrap_or(false) {
            return None;
        }
        st.users.get(user).map(|u| u.system_answers.clone())
    }

    /// Resolves what `impsd session kick ARG` names: a SessionID or a prefix of one (at least
    /// [`MIN_PREFIX`] characters; a trailing `…` as logs print it is ignored), or a user
    /// (`user` is ARG normalised as a user id, if it is one) with live sessions.
    pub fn kick_target(&self, arg: &str, user: Option<&str>) -> Result<KickTarget, KickError> {
        let user_live = user.filter(|u| {
            self.owner(u)
                .lock()
                .users
                .get(*u)
                .is_some_and(|u| !u.sessions.is_empty())
        });
        let ids: Vec<String> = self
            .all_shards()
            .flat_map(|s| s.lock().sessions.keys().cloned().collect::<Vec<_>>())
            .collect();
        resolve(arg, ids.iter().map(String::as_str), user_live)
    }

    /// Ends the sessions `target` names with 601 (forced logout): each client hears it by CIR
    /// and on its next request. The outcome's `ended` lists them.
    pub fn kick(&self, target: &KickTarget, now: u64) -> Outcome {
        let shard = match target {
            KickTarget::User(u) => Some(self.owner(u)),
            KickTarget::Session(sid) => self.session_shard(sid),
        };
        let Some(shard) = shard else {
            return Outcome::default();
        };
        let outcome = {
            let mut st = shard.lock();
            let mut cx = self.cx(&mut st, now);
            let sessions = match target {
                KickTarget::User(u) => cx.sessions_of(u),
                KickTarget::Session(sid) => vec![sid.clone()],
            };
            for sid in &sessions {
                if cx.st.sessions.contains_key(sid) {
                    tracing::warn!(session = %crate::redact(sid), "session ended by the operator (601)");
                }
                feature::session::end_session(&mut cx, sid, StatusCode::FORCED_LOGOUT);
            }
            cx.finish(None)
        };
        self.drive(outcome, now, None)
    }

    /// The ids of the accounts in memory (what [`Engine::sync_loaded`] brings up to date).
    pub fn loaded_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for shard in self.all_shards() {
            ids.extend(shard.lock().users.keys().cloned());
        }
        ids
    }

    /// Brings the accounts in memory up to date with `records`, each as the store has it now
    /// (`None`: deleted), after another process (`impsd user ...`) changed accounts: changed
    /// passwords apply to the next login, and the sessions of deleted, disabled and
    /// re-passworded accounts end (601). Accounts not in memory need nothing: they are read
    /// when first needed.
    pub fn sync_loaded(&self, records: Vec<(String, Option<UserRecord>)>, now: u64) -> Outcome {
        let n = self.shards.len();
        let mut per_shard: Vec<Vec<(String, Option<UserRecord>)>> =
            (0..n).map(|_| Vec::new()).collect();
        for (id, r) in records {
            per_shard[crate::route::shard_of(&id, n)].push((id, r));
        }
        let mut outcome = Outcome::default();
        for (shard, records) in self.all_shards().zip(per_shard) {
            let mut st = shard.lock();
            // Accounts changed: a name that had none may have one now.
            st.unknown.clear();
            st.generation += 1;
            if records.is_empty() {
                continue;
            }
            let mut cx = self.cx(&mut st, now);
            for (id, r) in records {
                match r {
                    Some(r) if cx.st.users.contains_key(&id) => set_record(&mut cx, r),
                    Some(_) => {}
                    None => remove_user(&mut cx, &id),
                }
            }
            outcome = cx.finish(None).after(outcome);
        }
        self.drive(outcome, now, None)
    }

    /// Brings one account up to date with the store (logins call this with what the store
    /// says right now): added, changed (sessions end if the password changed or the account
    /// was disabled), or (`None`) deleted with its sessions ended (601).
    pub fn refresh_user(&self, id: &str, record: Option<UserRecord>, now: u64) -> Outcome {
        let outcome = {
            let mut st = self.owner(id).lock();
            let mut cx = self.cx(&mut st, now);
            // An account read before this one may be older than what the store says now.
            cx.st.generation += 1;
            if record.is_some() {
                cx.st.unknown.remove(id);
            }
            match record {
                // Not in memory: it is loaded, whole, when first needed.
                Some(r) if !cx.st.users.contains_key(&r.id) && cx.commits.is_some() => {}
                Some(r) => set_record(&mut cx, r),
                None => remove_user(&mut cx, id),
            }
            cx.finish(None)
        };
        self.drive(outcome, now, None)
    }
}

/// [`Engine::kick_target`] over the live session ids and the user (if it has live sessions).
fn resolve<'a>(
    arg: &str,
    ids: impl Iterator<Item = &'a str>,
    user_live: Option<&str>,
) -> Result<KickTarget, KickError> {
    let prefix = arg.trim().trim_end_matches('…');
    let by_id: Vec<&str> = if prefix.len() >= MIN_PREFIX {
        ids.filter(|id| id.starts_with(prefix)).collect()
    } else {
        Vec::new()
    };
    match (by_id.as_slice(), user_live) {
        ([], None) => Err(KickError::NoMatch),
        ([], Some(u)) => Ok(KickTarget::User(u.to_owned())),
        ([id], None) => Ok(KickTarget::Session((*id).to_owned())),
        ([_], Some(_)) => Err(KickError::UserOrSession),
        (many, _) => Err(KickError::Ambiguous(many.len())),
    }
}

/// Puts an account record in place. The user's live sessions end (601) when its password
/// changed (`impsd user passwd`: a stolen session does not outlive it) or it was disabled.
fn set_record(cx: &mut Cx<'_>, r: UserRecord) {
    let why = match cx.st.users.get_mut(&r.id) {
        Some(u) => {
            let why = if r.disabled && !u.record.disabled {
                Some("account disabled")
            } else if u.record.password_hash != r.password_hash {
                Some("password changed")
            } else {
                None
            };
            let id = r.id.clone();
            u.record = r;
            why.map(|why| (id, why))
        }
        None => {
            cx.st.users.insert(r.id.clone(), UserState::new(r));
            None
        }
    };
    if let Some((user, why)) = why {
        end_sessions_of(cx, &user, why);
    }
}

/// Ends the sessions of a deleted account and forgets it.
pub(crate) fn remove_user(cx: &mut Cx<'_>, user: &str) {
    if !cx.st.users.contains_key(user) {
        return;
    }
    end_sessions_of(cx, user, "account deleted");
    // Its groups went with it (the store deleted them with the account): the sessions
    // joined to them are told.
    let groups: Vec<String> = cx
        .st
        .users
        .get(user)
        .map(|u| u.groups.keys().cloned().collect())
        .unwrap_or_default();
    for gid in groups {
        crate::feature::group::remove_group(cx, (user, &gid), "Group deleted", None);
    }
    cx.st.users.remove(user);
    cx.st.generation += 1;
}

/// Ends every live session of `user` with 601 (forced logout): the client hears it by CIR
/// and on its next request.
fn end_sessions_of(cx: &mut Cx<'_>, user: &str, why: &str) {
    let sessions = cx.sessions_of(user);
    if !sessions.is_empty() {
        tracing::warn!(
            user,
            sessions = sessions.len(),
            "{why}: sessions ended (601)"
        );
    }
    for sid in sessions {
        feature::session::end_session(cx, &sid, StatusCode::FORCED_LOGOUT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 3] = [
        "abcdef0123456789abcdef0123456789",
        "abcdef9999999999abcdef0123456789",
        "0123456789abcdef0123456789abcdef",
    ];

    fn kick(arg: &str, user: Option<&str>) -> Result<KickTarget, KickError> {
        resolve(arg, IDS.iter().copied(), user)
    }

    #[test]
    fn a_session_is_named_by_a_unique_prefix_of_six_or_more() {
        assert_eq!(kick("012345", None), Ok(KickTarget::Session(IDS[2].into())));
        assert_eq!(
            kick("012345…", None),
            Ok(KickTarget::Session(IDS[2].into()))
        );
        assert_eq!(kick(IDS[0], None), Ok(KickTarget::Session(IDS[0].into())));
        assert_eq!(
            kick("abcdef0", None),
            Ok(KickTarget::Session(IDS[0].into()))
        );
        assert_eq!(kick("abcdef", None), Err(KickError::Ambiguous(2)));
        assert_eq!(kick("01234", None), Err(KickError::NoMatch), "too short");
        assert_eq!(kick("fedcba", None), Err(KickError::NoMatch));
    }

    #[test]
    fn a_user_with_live_sessions_is_named_by_name_unless_it_is_also_a_session() {
        let alice = Some("wv:alice@localhost");
        assert_eq!(
            kick("alice", alice),
            Ok(KickTarget::User("wv:alice@localhost".into()))
        );
        assert_eq!(kick("012345", alice), Err(KickError::UserOrSession));
    }
}
