//! Bringing users whose commit failed back to what the store has (see [`crate::durable`]).

use imps_csp::StatusCode;

use crate::engine::Cx;
use crate::load::{install, Quarantine};
use crate::state::About;
use crate::store::UserData;

/// Replaces what `cx`'s shard holds of `id` as durable state (account, lists, inbox,
/// documents) by `data`, as the store has it now (`None`: the account is gone). What is not
/// durable (live sessions, their subscriptions and views) is kept; deliveries queued for
/// messages the store does not have are withdrawn, and watchers are told the presence the
/// store has.
pub(crate) fn reload_user(cx: &mut Cx<'_>, id: &str, data: Option<UserData>) {
    let Some(data) = data else {
        if cx.st.users.contains_key(id) {
            crate::operator::remove_user(cx, id);
        }
        return;
    };
    let old = cx.st.users.remove(id);
    cx.st.generation += 1;
    cx.st.expiries.retain(|(_, recipient, _)| recipient != id);
    let mut q = Quarantine::default();
    install(cx.st, data, false, &mut q);
    cx.writes.extend(q.writes);
    let before = old.as_ref().map_or(0, |u| u.groups.len());
    let after = cx.st.users.get(id).map_or(0, |u| u.groups.len());
    // A group whose creation (or deletion) did not reach the store is not (or still) counted.
    cx.groups.adjust(before, after);
    let Some(u) = cx.st.users.get_mut(id) else {
        return;
    };
    if let Some(old) = old {
        u.sessions = old.sessions;
        u.watchers = old.watchers;
        u.seen = old.seen;
        u.send_tokens = old.send_tokens;
        u.invites_sent = old.invites_sent;
        // Who is joined is not durable: it stays with the groups that are still there; the
        // sessions joined to a group the store does not have (its creation failed) are told
        // it is gone (found by the simulation: they stayed joined to nothing).
        let mut vanished = Vec::new();
        for (gid, g) in old.groups {
            match u.groups.get_mut(&gid) {
                Some(now) => now.joined = g.joined,
                None => vanished.push((gid, g.joined)),
            }
        }
        for (gid, joined) in vanished {
            let joined = joined
                .into_iter()
                .map(|(sid, j)| (sid, j.version))
                .collect();
            crate::feature::group::gone(cx, &gid, joined, "Group deleted");
        }
        let Some(u) = cx.st.users.get_mut(id) else {
            return;
        };
        // Messages taken in whose write failed: their senders were refused (500), so a
        // repeated delivery of one is refused again rather than taken this time.
        let lost: Vec<String> = old
            .inbox
            .into_keys()
            .filter(|m| !u.inbox.contains_key(m))
            .collect();
        for m in lost {
            cx.st
                .done
                .insert(id, &m, StatusCode::INTERNAL_ERROR.0, cx.now);
        }
    }
    let Some(u) = cx.st.users.get(id) else {
        return;
    };
    let sessions = u.sessions.clone();
    let st = &mut *cx.st;
    let (users, live) = (&st.users, &mut st.sessions);
    let inbox = users.get(id).map(|u| &u.inbox);
    let known = |about: &About| match about {
        About::Message(m) => inbox.is_some_and(|i| i.contains_key(m)),
        _ => true,
    };
    for sid in &sessions {
        if let Some(s) = live.get_mut(sid) {
            let before = s.outbox.len() + s.in_flight.len();
            s.outbox.retain(|q| known(&q.about));
            s.in_flight.retain(|(_, q, _)| known(&q.about));
            let withdrawn = before - s.outbox.len() - s.in_flight.len();
            if withdrawn > 0 {
                tracing::warn!(session = %crate::redact(sid), withdrawn, "queued deliveries of messages the store does not have were withdrawn");
            }
        }
    }
    // A group's messages the store still has for groups none of the sessions is joined to any
    // more (their drop was in the batch that failed) go again.
    let groups: Vec<String> = cx
        .st
        .users
        .get(id)
        .map(|u| {
            u.inbox
                .values()
                .filter_map(|m| crate::feature::im::group_of(&m.message).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    crate::feature::im::drop_group_messages(cx, id, &groups);
    crate::feature::presence::notify_watchers(cx, id, None);
}
