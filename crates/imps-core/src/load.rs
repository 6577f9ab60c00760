//! Building the in-memory state from what the store loaded.

use imps_csp::{Limits, Primitive};

use crate::config::EngineConfig;
use crate::state::{State, Stored, UserState};
use crate::store::Snapshot;

/// The state for `snapshot`. Records that do not decode are logged and skipped.
pub(crate) fn state_from(snapshot: Snapshot, _cfg: &EngineConfig) -> State {
    let mut st = State::default();
    for u in snapshot.users {
        st.users.insert(u.id.clone(), UserState::new(u));
    }
    for l in snapshot.lists {
        if let Some(u) = st.users.get_mut(&l.owner) {
            u.lists.insert(l.id.clone(), l);
        }
    }
    for d in snapshot.documents {
        let Some(u) = st.users.get_mut(&d.user) else {
            continue;
        };
        match d.kind.as_str() {
            "presence" => match imps_csp::decode(&d.body, &Limits::default()) {
                Ok(m) => {
                    if let Some(Primitive::UpdatePresenceRequest(r)) = m
                        .session
                        .transactions
                        .into_iter()
                        .next()
                        .map(|t| t.primitive)
                    {
                        u.presence = r.presence_sub_list;
                    }
                }
                Err(e) => tracing::warn!(user = %d.user, error = %e, "stored presence unreadable"),
            },
            "blocking" => match serde_json::from_slice(&d.body) {
                Ok(b) => u.blocking = b,
                Err(e) => {
                    tracing::warn!(user = %d.user, error = %e, "stored block list unreadable")
                }
            },
            "authorisation" => match serde_json::from_slice(&d.body) {
                Ok(a) => u.auth = a,
                Err(e) => {
                    tracing::warn!(user = %d.user, error = %e, "stored authorisation unreadable")
                }
            },
            crate::feature::presence::WATCHERS_DOCUMENT => match serde_json::from_slice(&d.body) {
                Ok(h) => u.watcher_history = h,
                Err(e) => {
                    tracing::warn!(user = %d.user, error = %e, "stored watcher history unreadable")
                }
            },
            crate::feature::im::REPORTS_DOCUMENT => {
                match serde_json::from_slice::<Vec<String>>(&d.body) {
                    Ok(docs) => {
                        for doc in docs {
                            match imps_csp::decode(doc.as_bytes(), &Limits::default()) {
                                Ok(m) => {
                                    if let Some(Primitive::DeliveryReportRequest(r)) = m
                                        .session
                                        .transactions
                                        .into_iter()
                                        .next()
                                        .map(|t| t.primitive)
                                    {
                                        u.pending_reports.push_back(r);
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(user = %d.user, error = %e, "stored delivery report unreadable")
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(user = %d.user, error = %e, "stored delivery reports unreadable")
                    }
                }
            }
            other => tracing::warn!(user = %d.user, kind = other, "unknown stored document"),
        }
    }
    for m in snapshot.messages {
        let Some(u) = st.users.get_mut(&m.recipient) else {
            continue;
        };
        match imps_csp::decode(&m.document, &Limits::default()) {
            Ok(doc) => {
                if let Some(Primitive::NewMessage(message)) = doc
                    .session
                    .transactions
                    .into_iter()
                    .next()
                    .map(|t| t.primitive)
                {
                    u.inbox_order.push_back(m.message_id.clone());
                    u.inbox
                        .insert(m.message_id.clone(), Stored { record: m, message });
                }
            }
            Err(e) => {
                tracing::warn!(message = %m.message_id, error = %e, "stored message unreadable")
            }
        }
    }
    st
}
