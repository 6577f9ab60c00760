//! Notifications (CSP 1.3, implementation-guidelines.md §7): SubscribeNotification-Request and
//! UnsubscribeNotification-Request per session, and Notification-Request to the sessions that
//! asked when an event of their type happens — the general mechanism; today's events keep a
//! user's sessions in step with what another of its sessions changed (contact lists created,
//! changed, deleted; block and grant lists and their use; the public profile; groups made or
//! deleted).

use imps_csp::model::common::ContactListIdList;
use imps_csp::model::v13::{
    NotificationRequest, SubscribeNotificationRequest, UnsubscribeNotificationRequest,
};
use imps_csp::{Primitive, StatusCode};

use crate::engine::{fail, status, Cx, Reply};
use crate::state::{About, Queued};

/// Notification types a session may ask for, at most, and how long one may be.
const MAX_TYPES: usize = 32;
const MAX_TYPE_LEN: usize = 8;

fn types(
    list: Option<&imps_csp::model::v13::NotificationTypeList>,
) -> Result<Vec<String>, StatusCode> {
    let mut out = Vec::new();
    for t in list.iter().flat_map(|l| l.notification_type.iter()) {
        let t = t.trim().to_ascii_uppercase();
        if t.is_empty() || t.len() > MAX_TYPE_LEN || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StatusCode::BAD_PARAMETER);
        }
        out.push(t);
    }
    Ok(out)
}

/// SubscribeNotification-Request: the session is told of these events from now on.
pub(crate) fn subscribe(cx: &mut Cx<'_>, sid: &str, r: SubscribeNotificationRequest) -> Reply {
    let wanted = match types(r.notification_type_list.as_ref()) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => return fail(StatusCode::BAD_PARAMETER),
        Err(code) => return fail(code),
    };
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    for t in wanted {
        if s.notifications.len() >= MAX_TYPES {
            return fail(StatusCode::BAD_PARAMETER);
        }
        s.notifications.insert(t);
    }
    status(StatusCode::SUCCESS).into()
}

/// UnsubscribeNotification-Request: no longer told of these events (none named: of any).
pub(crate) fn unsubscribe(cx: &mut Cx<'_>, sid: &str, r: UnsubscribeNotificationRequest) -> Reply {
    let gone = match types(r.notification_type_list.as_ref()) {
        Ok(t) => t,
        Err(code) => return fail(code),
    };
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    if gone.is_empty() {
        s.notifications.clear();
    } else {
        for t in gone {
            s.notifications.remove(&t);
        }
    }
    status(StatusCode::SUCCESS).into()
}

/// Queues `n` to the sessions of `user` that asked for its type, but `except` (the session
/// that caused the event already knows).
pub(crate) fn tell_user(cx: &mut Cx<'_>, user: &str, except: Option<&str>, n: NotificationRequest) {
    let Some(kind) = n.notification_type.clone() else {
        return;
    };
    let to: Vec<String> = cx
        .sessions_of(user)
        .into_iter()
        .filter(|sid| Some(sid.as_str()) != except)
        .filter(|sid| {
            cx.st
                .sessions
                .get(sid)
                .is_some_and(|s| s.notifications.contains(&kind))
        })
        .collect();
    for sid in to {
        cx.queue(
            &sid,
            Queued {
                primitive: Some(Box::new(Primitive::NotificationRequest(Box::new(
                    n.clone(),
                )))),
                about: About::Other,
            },
        );
    }
}

/// An event about contact lists (`CLCR` created, `CLC` changed, `CLD` deleted).
pub(crate) fn lists(cx: &mut Cx<'_>, sid: &str, kind: &str, ids: Vec<String>) {
    let user = cx.user_of(sid);
    tell_user(
        cx,
        &user,
        Some(sid),
        NotificationRequest {
            notification_type: Some(kind.into()),
            contact_list_id_list: Some(ContactListIdList { contact_list: ids }),
            ..Default::default()
        },
    );
}

/// An event with nothing but its type, or with one flag or group id.
pub(crate) fn simple(cx: &mut Cx<'_>, user: &str, except: Option<&str>, n: NotificationRequest) {
    tell_user(cx, user, except, n);
}
