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
        let user = d.user.as_str();
        match d.kind.as_str() {
            "presence" => {
                if let Some(Primitive::UpdatePresenceRequest(r)) =
                    stored_primitive(&d.body, user, "presence")
                {
                    u.presence = r.presence_sub_list;
                }
            }
            "blocking" => {
                if let Some(b) = stored_json(&d.body, user, "block list") {
                    u.blocking = b;
                }
            }
            "authorisation" => {
                if let Some(a) = stored_json(&d.body, user, "authorisation") {
                    u.auth = a;
                }
            }
            crate::feature::presence::WATCHERS_DOCUMENT => {
                if let Some(h) = stored_json(&d.body, user, "watcher history") {
                    u.watcher_history = h;
                }
            }
            crate::feature::im::REPORTS_DOCUMENT => {
                let docs: Vec<String> =
                    stored_json(&d.body, user, "delivery reports").unwrap_or_default();
                for doc in docs {
                    if let Some(Primitive::DeliveryReportRequest(r)) =
                        stored_primitive(doc.as_bytes(), user, "delivery report")
                    {
                        u.pending_reports.push_back(r);
                    }
                }
            }
            other => tracing::warn!(user, kind = other, "unknown stored document"),
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
                    st.expiries
                        .insert((m.expires_at, m.recipient.clone(), m.message_id.clone()));
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
            tracing::warn!(user, error = %e, "stored {what} unreadable");
            None
        }
    }
}

/// A stored JSON document (logged and `None` when unreadable).
fn stored_json<T: serde::de::DeserializeOwned>(body: &[u8], user: &str, what: &str) -> Option<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(user, error = %e, "stored {what} unreadable");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{UserDocument, UserRecord};

    fn doc(kind: &str, body: &[u8]) -> UserDocument {
        UserDocument {
            user: "wv:alice@localhost".into(),
            kind: kind.into(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn unreadable_documents_are_skipped_and_the_rest_loads() {
        let snapshot = Snapshot {
            users: vec![UserRecord {
                id: "wv:alice@localhost".into(),
                password_hash: "x".into(),
                digest_secret: None,
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
        let st = state_from(snapshot, &EngineConfig::default());
        let u = st.users.get("wv:alice@localhost").expect("alice loaded");
        assert_eq!(
            u.watcher_history.get("wv:bob@localhost"),
            Some(&1_700_000_000)
        );
        assert!(u.pending_reports.is_empty());
        assert_eq!(u.presence, Default::default());
    }
}
