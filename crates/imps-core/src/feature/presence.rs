//! Presence (csp-reference.md §3.3, §7): subscriptions, notifications filtered per watcher,
//! GetPresence, UpdatePresence, watcher lists, attribute lists (proactive authorisation) and
//! reactive authorisation (1.1/1.2).
//!
//! What a watcher may see of a presentity: nothing if the presentity blocks the watcher (or
//! uses a grant list without the watcher); else the attribute list for that watcher, else
//! those of the presentity's contact lists holding the watcher, else the default attribute
//! list, else a reactive grant; a presentity that defined no attribute list at all shows
//! everything (`open_presence`, an open community) or only OnlineStatus.

use std::collections::BTreeSet;

use crate::hash::HashSet;

use imps_csp::model::attributes::{FlagAttribute, Presence, PresenceSubList, TextAttribute};
use imps_csp::model::common::{ContactListIdList, CspResult, DetailedResult, Status, User};
use imps_csp::model::group::UserIdList;
use imps_csp::model::presence::{
    CancelAuthRequest, CreateAttributeListRequest, DefaultAttributeList,
    DeleteAttributeListRequest, GetAttributeListRequest, GetAttributeListResponse,
    GetPresenceRequest, GetPresenceResponse, GetReactiveAuthStatusRequest,
    GetReactiveAuthStatusResponse, GetWatcherListRequest, GetWatcherListResponse,
    PresenceAuthRequest, PresenceAuthUser, PresenceNotificationRequest, ReactiveAuthStatus,
    ReactiveAuthStatusList, SubscribePresenceRequest, UnsubscribePresenceRequest,
    UpdatePresenceRequest, Watcher,
};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};

use crate::engine::{fail, status, Cx, Reply};
use crate::feature::{contacts, im};
use crate::state::{About, AttrSet, Queued, Reactive};
use crate::store::{UserDocument, Write};
use crate::unique::Unique;

/// Attribute names a watcher may see; `None` = all.
type Allowed = Option<BTreeSet<String>>;

/// What `watcher` may see of `presentity`.
pub(crate) fn allowed(cx: &Cx<'_>, presentity: &str, watcher: &str) -> Allowed {
    if presentity == watcher {
        return None;
    }
    let Some(p) = cx.st.users.get(presentity) else {
        return Some(BTreeSet::new());
    };
    if im::blocks(p, watcher) {
        return Some(BTreeSet::new());
    }
    let set = |names: &Vec<String>| -> Allowed {
        if names.is_empty() {
            None
        } else {
            Some(names.iter().cloned().collect())
        }
    };
    if let Some(names) = p.auth.users.get(watcher) {
        return set(names);
    }
    let mut from_lists: Option<BTreeSet<String>> = None;
    for (list, names) in &p.auth.lists {
        let holds = p
            .lists
            .get(list)
            .is_some_and(|l| l.members.iter().any(|(m, _)| m == watcher));
        if holds {
            match set(names) {
                None => return None,
                Some(n) => from_lists.get_or_insert_with(BTreeSet::new).extend(n),
            }
        }
    }
    if from_lists.is_some() {
        return from_lists;
    }
    if let Some(names) = &p.auth.default {
        return set(names);
    }
    if let Some(r) = p.auth.reactive.get(watcher) {
        return match r.state.as_str() {
            "GRANTED" => set(&r.attributes),
            _ => Some(BTreeSet::from(["OnlineStatus".to_owned()])),
        };
    }
    if cx.cfg.open_presence {
        None
    } else {
        Some(BTreeSet::from(["OnlineStatus".to_owned()]))
    }
}

/// The presentity's full presence: published attributes plus OnlineStatus and Registration.
fn full(cx: &Cx<'_>, presentity: &str) -> PresenceSubList {
    let Some(u) = cx.st.users.get(presentity) else {
        return PresenceSubList::default();
    };
    let mut p = u.presence.clone();
    p.online_status = Some(FlagAttribute {
        qualifier: Some(true),
        presence_value: Some(!u.sessions.is_empty()),
        client_id: None,
    });
    if u.sessions.is_empty() {
        // Offline: the client's OnlineStatus (invisible or not) says nothing any more.
        p.online_status = Some(FlagAttribute {
            qualifier: Some(true),
            presence_value: Some(false),
            client_id: None,
        });
    }
    p.registration = Some(FlagAttribute {
        qualifier: Some(true),
        presence_value: Some(true),
        client_id: None,
    });
    p
}

/// Whether `user` chose to appear offline: its stored OnlineStatus (what its client
/// published) has Qualifier F.
fn invisible(cx: &Cx<'_>, user: &str) -> bool {
    cx.st.users.get(user).is_some_and(|u| {
        u.presence
            .online_status
            .as_ref()
            .is_some_and(|o| o.qualifier == Some(false))
    })
}

/// What `watcher` sees of `presentity`, narrowed to `wanted` (`None` = all). Never empty:
/// with nothing to show it holds OnlineStatus with Qualifier F (Android needs a sub-list in
/// every Presence). Computed on the presentity's shard.
pub(crate) fn view(
    cx: &Cx<'_>,
    presentity: &str,
    watcher: &str,
    wanted: Option<AttrSet>,
) -> PresenceSubList {
    narrow(allowed_view(cx, presentity, watcher), wanted)
}

/// Everything `watcher` may see of `presentity` (the presentity's shard computes it; the
/// watcher's shard narrows it per session with [`narrow`]).
pub(crate) fn allowed_view(cx: &Cx<'_>, presentity: &str, watcher: &str) -> PresenceSubList {
    let allowed = allowed(cx, presentity, watcher);
    let mut p = full(cx, presentity);
    if watcher != presentity && invisible(cx, presentity) {
        // Invisible (the user published OnlineStatus with Qualifier F, as the Razr does):
        // others see the user offline and not available.
        p.online_status = Some(FlagAttribute {
            qualifier: Some(true),
            presence_value: Some(false),
            client_id: None,
        });
        if let Some(a) = &mut p.user_availability {
            a.presence_value = Some("NOT_AVAILABLE".into());
        }
    }
    p.retain(|name| allowed.as_ref().is_none_or(|a| a.contains(name)));
    p
}

/// A view narrowed to what a subscription wants; never empty (see [`view`]).
pub(crate) fn narrow(mut p: PresenceSubList, wanted: Option<AttrSet>) -> PresenceSubList {
    p.retain(|name| wanted.is_none_or(|w| w.contains(name)));
    if p.is_empty() {
        p.online_status = Some(FlagAttribute {
            qualifier: Some(false),
            presence_value: Some(false),
            client_id: None,
        });
    }
    p
}

fn presence_of(user: &str, sub: PresenceSubList) -> Presence {
    Presence {
        user_id: Some(user.to_owned()),
        presence_sub_list: vec![sub],
        ..Default::default()
    }
}

/// Queues a notification of `presentity`'s presence to one watcher session.
fn notify_session(cx: &mut Cx<'_>, watcher_sid: &str, presentity: &str) {
    let Some(s) = cx.st.sessions.get(watcher_sid) else {
        return;
    };
    if !s.subscriptions.contains_key(presentity) {
        return;
    }
    cx.queue(
        watcher_sid,
        Queued {
            primitive: None,
            about: About::Presence(presentity.to_owned()),
        },
    );
}

/// The PresenceNotification-Request of `presentity` for session `sid`, as of now: what the
/// session subscribed to (everything for the user's own presence) of what the presentity's
/// owner last said the user may see.
pub(crate) fn notification(cx: &Cx<'_>, sid: &str, presentity: &str) -> Primitive {
    let (watcher, wanted) = cx
        .st
        .sessions
        .get(sid)
        .map(|s| {
            (
                s.user.clone(),
                s.subscriptions.get(presentity).copied().flatten(),
            )
        })
        .unwrap_or_default();
    let sub = if watcher == presentity {
        view(cx, presentity, &watcher, wanted)
    } else {
        let seen = cx
            .st
            .users
            .get(&watcher)
            .and_then(|u| u.seen.get(presentity))
            .cloned()
            .unwrap_or_default();
        narrow(seen, wanted)
    };
    Primitive::PresenceNotificationRequest(PresenceNotificationRequest {
        presence: vec![presence_of(presentity, sub)],
    })
}

/// Sends every watcher of `user` that sees any of `changed` (`None` = anything) what it may
/// now see ([`crate::route::Event::Notify`], one per watching user).
pub(crate) fn notify_watchers(cx: &mut Cx<'_>, user: &str, changed: Option<&[&'static str]>) {
    let Some(u) = cx.st.users.get(user) else {
        return;
    };
    let mut by_user: std::collections::BTreeMap<String, Vec<(String, Option<AttrSet>)>> =
        Default::default();
    for (sid, w) in &u.watchers {
        by_user
            .entry(w.user.clone())
            .or_default()
            .push((sid.clone(), w.wanted));
    }
    for (watcher, sessions) in by_user {
        let allowed = allowed(cx, user, &watcher);
        let relevant: Vec<String> = sessions
            .into_iter()
            .filter(|(_, wanted)| {
                changed.is_none_or(|names| {
                    names.iter().any(|n| {
                        allowed.as_ref().is_none_or(|a| a.contains(*n))
                            && wanted.is_none_or(|w| w.contains(n))
                    })
                })
            })
            .map(|(sid, _)| sid)
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let seen = allowed_view(cx, user, &watcher);
        cx.route(crate::route::Event::Notify {
            watcher,
            sessions: relevant,
            presentity: user.to_owned(),
            view: Box::new(seen),
        });
    }
}

/// [`crate::route::Event::Notify`] on the watcher's shard: keeps the view and queues a
/// notification to the sessions named that still watch the presentity.
pub(crate) fn apply_notify(
    cx: &mut Cx<'_>,
    watcher: &str,
    sessions: &[String],
    presentity: &str,
    view: PresenceSubList,
) {
    let Some(u) = cx.st.users.get(watcher) else {
        return;
    };
    // Kept only while a session of the watcher watches the presentity: a view that arrives
    // after the last one unsubscribed (or ended) is dropped, not kept for ever.
    let watched = u.sessions.iter().any(|s| {
        cx.st
            .sessions
            .get(s)
            .is_some_and(|s| s.subscriptions.contains_key(presentity))
    });
    if !watched {
        return;
    }
    if let Some(u) = cx.st.users.get_mut(watcher) {
        u.seen.insert(presentity.to_owned(), view);
    }
    for sid in sessions {
        notify_session(cx, sid, presentity);
    }
}

/// Forgets what `watcher` saw of `presentity` once none of its sessions watches it.
pub(crate) fn forget_seen(cx: &mut Cx<'_>, watcher: &str, presentity: &str) {
    let Some(u) = cx.st.users.get(watcher) else {
        return;
    };
    let still = u.sessions.iter().any(|s| {
        cx.st
            .sessions
            .get(s)
            .is_some_and(|s| s.subscriptions.contains_key(presentity))
    });
    if !still {
        if let Some(u) = cx.st.users.get_mut(watcher) {
            u.seen.remove(presentity);
        }
    }
}

/// A user went online or offline. Going offline ends invisibility: the next login is
/// visible until its client says otherwise.
pub(crate) fn online_changed(cx: &mut Cx<'_>, user: &str) {
    if let Some(u) = cx.st.users.get_mut(user) {
        if u.sessions.is_empty() && u.presence.online_status.take().is_some() {
            if let Some(doc) = presence_document(user, &u.presence) {
                cx.writes.push(Write::PutDocument(doc));
            }
        }
    }
    notify_watchers(cx, user, Some(&["OnlineStatus"]));
}

/// The users a request names, 1.1/1.2 style (`User`/`UserID` children) and 1.3 style
/// (`UserIDList`) together.
fn user_ids(direct: impl IntoIterator<Item = String>, list: Option<UserIdList>) -> Vec<String> {
    direct
        .into_iter()
        .chain(list.into_iter().flat_map(|l| l.user_id))
        .collect()
}

/// The contact lists a request names: `ContactList` children and 1.3 `ContactListIDList`.
fn list_names(direct: Vec<String>, list: Option<ContactListIdList>) -> Vec<String> {
    direct
        .into_iter()
        .chain(list.into_iter().flat_map(|l| l.contact_list))
        .collect()
}

fn result_with(unknown: Vec<String>, unknown_lists: Vec<String>, any_ok: bool) -> CspResult {
    if unknown.is_empty() && unknown_lists.is_empty() {
        return CspResult::new(StatusCode::SUCCESS);
    }
    let mut r = CspResult::new(if any_ok {
        StatusCode::PARTIALLY_SUCCESSFUL
    } else if unknown_lists.is_empty() {
        StatusCode::UNKNOWN_USER
    } else {
        StatusCode::CONTACT_LIST_DOES_NOT_EXIST
    });
    if !unknown.is_empty() {
        r.detailed.push(DetailedResult {
            code: StatusCode::UNKNOWN_USER,
            description: StatusCode::UNKNOWN_USER.description().map(str::to_owned),
            user_id: unknown,
            ..Default::default()
        });
    }
    if !unknown_lists.is_empty() {
        r.detailed.push(DetailedResult {
            code: StatusCode::CONTACT_LIST_DOES_NOT_EXIST,
            description: StatusCode::CONTACT_LIST_DOES_NOT_EXIST
                .description()
                .map(str::to_owned),
            contact_list: unknown_lists,
            ..Default::default()
        });
    }
    r
}

fn status_of(result: CspResult) -> Reply {
    Primitive::Status(Status {
        result,
        client_id: None,
    })
    .into()
}

/// Adds one subscription of session `sid`; the presentity's owner registers the watcher
/// and sends the current view ([`crate::route::Event::Watch`]). `reply` is the request slot
/// that waits for the owner's verdict (none for AutoSubscribe following a list).
pub(crate) fn add_subscription(
    cx: &mut Cx<'_>,
    sid: &str,
    presentity: &str,
    wanted: Option<AttrSet>,
    reply: Option<(crate::route::OpRef, usize)>,
) {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    let watcher = s.user.clone();
    s.subscriptions.insert(presentity.to_owned(), wanted);
    cx.route(crate::route::Event::Watch {
        watcher_sid: sid.to_owned(),
        watcher,
        presentity: presentity.to_owned(),
        wanted,
        reply,
    });
}

/// [`crate::route::Event::Watch`] on the presentity's shard: registers the watcher, asks
/// for reactive authorisation when nothing authorises it, and sends it the current view.
/// `false` for a presentity that does not exist.
pub(crate) fn apply_watch(
    cx: &mut Cx<'_>,
    watcher_sid: &str,
    watcher: &str,
    presentity: &str,
    wanted: Option<AttrSet>,
) -> bool {
    let now = cx.now;
    let Some(p) = cx.st.users.get_mut(presentity) else {
        return false;
    };
    p.watchers.insert(
        watcher_sid.to_owned(),
        crate::state::Watching {
            user: watcher.to_owned(),
            wanted,
        },
    );
    p.watcher_history.insert(watcher.to_owned(), now);
    cx.st.history_dirty.insert(presentity.to_owned());
    maybe_ask_reactive(cx, presentity, watcher);
    let seen = allowed_view(cx, presentity, watcher);
    cx.route(crate::route::Event::Notify {
        watcher: watcher.to_owned(),
        sessions: vec![watcher_sid.to_owned()],
        presentity: presentity.to_owned(),
        view: Box::new(seen),
    });
    true
}

/// Removes one subscription (the watcher is a former watcher from now on).
pub(crate) fn remove_subscription(cx: &mut Cx<'_>, sid: &str, presentity: &str) {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    s.subscriptions.remove(presentity);
    let watcher = s.user.clone();
    cx.route(crate::route::Event::Unwatch {
        watcher_sid: sid.to_owned(),
        watcher_user: watcher.clone(),
        presentity: presentity.to_owned(),
    });
    forget_seen(cx, &watcher, presentity);
}

/// [`crate::route::Event::Unwatch`] on the presentity's shard.
pub(crate) fn apply_unwatch(cx: &mut Cx<'_>, watcher_sid: &str, watcher: &str, presentity: &str) {
    let now = cx.now;
    if let Some(p) = cx.st.users.get_mut(presentity) {
        if p.watchers.remove(watcher_sid).is_some() {
            p.watcher_history.insert(watcher.to_owned(), now);
            cx.st.history_dirty.insert(presentity.to_owned());
        }
    }
}

/// Reactive authorisation (1.1/1.2): a watcher that nothing authorises (no attribute list
/// for it, for a contact list holding it or by default, no decision yet, not blocked) makes
/// the server ask the presentity (PresenceAuth-Request), when the community is not open. The
/// question is recorded as PENDING and asked again at each 1.1/1.2 login of the presentity
/// until answered (the presentity may be offline, or only in 1.3, when it is first asked).
fn maybe_ask_reactive(cx: &mut Cx<'_>, presentity: &str, watcher: &str) {
    if cx.cfg.open_presence || presentity == watcher {
        return;
    }
    let Some(p) = cx.st.users.get(presentity) else {
        return;
    };
    let blocked = im::blocks(p, watcher);
    let in_listed_list = p.auth.lists.keys().any(|list| {
        p.lists
            .get(list)
            .is_some_and(|l| l.members.iter().any(|(m, _)| m == watcher))
    });
    if blocked
        || in_listed_list
        || p.auth.users.contains_key(watcher)
        || p.auth.default.is_some()
        || p.auth.reactive.contains_key(watcher)
    {
        return;
    }
    let sessions = p.sessions.clone();
    if let Some(p) = cx.st.users.get_mut(presentity) {
        p.auth.reactive.insert(
            watcher.to_owned(),
            Reactive {
                state: "PENDING".into(),
                attributes: Vec::new(),
            },
        );
    }
    save_auth(cx, presentity);
    for sid in sessions {
        ask_reactive(cx, &sid, watcher);
    }
}

/// Queues a PresenceAuth-Request about `watcher` to one session of the presentity, if it
/// speaks 1.1/1.2 (1.3 has no reactive authorisation).
fn ask_reactive(cx: &mut Cx<'_>, sid: &str, watcher: &str) {
    let reactive_version = cx
        .st
        .sessions
        .get(sid)
        .is_some_and(|s| s.version < CspVersion::V1_3);
    if !reactive_version {
        return;
    }
    cx.queue(
        sid,
        Queued {
            primitive: Some(Box::new(Primitive::from(PresenceAuthRequest {
                user_id: watcher.to_owned(),
                presence_sub_list: None,
            }))),
            about: About::Other,
        },
    );
}

/// A new session of `user` began: reactive questions still unanswered are asked again.
pub(crate) fn session_started(cx: &mut Cx<'_>, sid: &str) {
    let user = cx.user_of(sid);
    let pending: Vec<String> = cx
        .st
        .users
        .get(&user)
        .map(|u| {
            u.auth
                .reactive
                .iter()
                .filter(|(_, r)| r.state == "PENDING")
                .map(|(w, _)| w.clone())
                .collect()
        })
        .unwrap_or_default();
    for watcher in pending {
        ask_reactive(cx, sid, &watcher);
    }
}

/// The presentities a request names (users, and members of the requester's contact lists,
/// each once, in order), with what it named that is no one: users in the request's own
/// spelling and order, and lists.
#[derive(Default)]
pub(crate) struct Asked {
    /// Per presentity, in the order [`Asked::gather`] returned them: (position in the request,
    /// the name as the request gave it; list members come after every named user).
    named: Vec<(usize, String)>,
    /// Names that are no user (no user id, or its owner said so), by position.
    unknown: Vec<(usize, String)>,
    unknown_lists: Vec<String>,
}

impl Asked {
    /// The presentities `users` and `lists` (of `owner`) name, after `first` (already
    /// normalised presentities, e.g. a session's subscriptions).
    fn gather(
        cx: &Cx<'_>,
        owner: &str,
        first: Vec<String>,
        users: Vec<String>,
        lists: &[String],
    ) -> (Asked, Vec<String>) {
        let mut asked = Asked::default();
        let mut who = Unique::default();
        who.extend(first);
        let mut given = crate::hash::HashMap::default();
        for (index, raw) in users.into_iter().enumerate() {
            match cx.addr(&raw) {
                Some(a) => {
                    given.entry(a.clone()).or_insert((index, raw));
                    who.insert(a);
                }
                None => asked.unknown.push((index, raw)),
            }
        }
        for list in lists {
            match contacts::members(cx, owner, list) {
                Some(m) => who.extend(m),
                None => asked.unknown_lists.push(list.clone()),
            }
        }
        let who = who.into_vec();
        let after_users = usize::MAX / 2;
        asked.named = who
            .iter()
            .enumerate()
            .map(|(i, p)| given.remove(p).unwrap_or((after_users + i, p.clone())))
            .collect();
        (asked, who)
    }

    /// Presentity `index` (of [`Asked::gather`]'s) is no user.
    fn not_a_user(&mut self, index: usize) {
        if let Some(named) = self.named.get(index) {
            self.unknown.push(named.clone());
        }
    }

    /// The unknown users (in request order) and lists, for [`result_with`].
    fn unknown(mut self) -> (Vec<String>, Vec<String>) {
        self.unknown.sort_by_key(|(i, _)| *i);
        (
            self.unknown.into_iter().map(|(_, n)| n).collect(),
            self.unknown_lists,
        )
    }
}

/// SubscribePresence-Request: each presentity's owner registers the session
/// ([`crate::route::Event::Watch`]); the answer (naming the unknown ones) leaves when all have
/// answered.
pub(crate) fn subscribe(cx: &mut Cx<'_>, sid: &str, r: SubscribePresenceRequest) -> Reply {
    let user = cx.user_of(sid);
    let users = user_ids(r.user.into_iter().map(|u| u.user_id), r.user_id_list);
    let lists = list_names(r.contact_list, r.contact_list_id_list);
    let (asked, who) = Asked::gather(cx, &user, Vec::new(), users, &lists);
    let current = cx.st.sessions.get(sid).map_or(0, |s| s.subscriptions.len());
    if current + who.len() > cx.cfg.max_subscriptions {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let Some(op_ref) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let wanted = r.presence_sub_list.as_ref().and_then(AttrSet::of);
    if r.auto_subscribe == Some(true) {
        // Only lists that exist: a client cannot register list ids without end.
        let ids: Vec<String> = lists
            .iter()
            .filter(|l| !asked.unknown_lists.contains(*l))
            .filter_map(|l| contacts::list_id(cx, &user, l))
            .filter(|id| {
                cx.st
                    .users
                    .get(&user)
                    .is_some_and(|u| u.lists.contains_key(id))
            })
            .collect();
        if let Some(s) = cx.st.sessions.get_mut(sid) {
            s.auto_lists.extend(ids);
        }
    }
    let op = WatchOp {
        waiting: who.len(),
        asked,
        any_ok: false,
    };
    for (index, p) in who.into_iter().enumerate() {
        add_subscription(cx, sid, &p, wanted, Some((op_ref, index)));
    }
    Reply::Later(crate::route::Op::Watch(op))
}

/// A Subscribe/UnsubscribePresence waiting for its presentities' owners to say who exists.
pub(crate) struct WatchOp {
    /// Answers not yet in.
    pub waiting: usize,
    asked: Asked,
    /// Whether any presentity exists (or, unsubscribing from everything, none was named).
    any_ok: bool,
}

impl WatchOp {
    /// One owner's answer about presentity `index`.
    pub(crate) fn record(&mut self, index: usize, known: bool) {
        if known {
            self.any_ok = true;
        } else {
            self.asked.not_a_user(index);
        }
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// The answer, once every owner answered.
    pub(crate) fn answer(self) -> Primitive {
        let (unknown, unknown_lists) = self.asked.unknown();
        Primitive::Status(Status {
            result: result_with(unknown, unknown_lists, self.any_ok),
            client_id: None,
        })
    }
}

/// UnsubscribePresence-Request (naming nobody: every subscription of the session).
pub(crate) fn unsubscribe(cx: &mut Cx<'_>, sid: &str, r: UnsubscribePresenceRequest) -> Reply {
    let user = cx.user_of(sid);
    let users = user_ids(r.user.into_iter().map(|u| u.user_id), r.user_id_list);
    let lists = list_names(r.contact_list, r.contact_list_id_list);
    let everyone = users.is_empty() && lists.is_empty();
    let Some(op_ref) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let subscribed: Vec<String> = match (everyone, cx.st.sessions.get(sid)) {
        (true, Some(s)) => s.subscriptions.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let (asked, who) = Asked::gather(cx, &user, subscribed, users, &lists);
    let ids: Vec<String> = lists
        .iter()
        .filter_map(|l| contacts::list_id(cx, &user, l))
        .collect();
    if let Some(s) = cx.st.sessions.get_mut(sid) {
        if everyone {
            s.auto_lists.clear();
        }
        for id in ids {
            s.auto_lists.remove(&id);
        }
    }
    let mut op = WatchOp {
        waiting: 0,
        asked,
        any_ok: everyone,
    };
    for (index, p) in who.into_iter().enumerate() {
        remove_subscription(cx, sid, &p);
        if everyone {
            continue;
        }
        // Whether it is a user at all: its owner says (531 for none).
        op.waiting += 1;
        cx.route(crate::route::Event::Exists {
            op: op_ref,
            index,
            user: p,
        });
    }
    Reply::Later(crate::route::Op::Watch(op))
}

/// A contact list's members changed: sessions that auto-subscribed to it follow. A member
/// that leaves stays watched while another list the session auto-subscribed to holds it.
pub(crate) fn list_members_changed(
    cx: &mut Cx<'_>,
    owner: &str,
    list: &str,
    before: &[String],
    after: &[String],
) {
    let (was, is): (HashSet<&String>, HashSet<&String>) =
        (before.iter().collect(), after.iter().collect());
    let added: Vec<&String> = after.iter().filter(|m| !was.contains(m)).collect();
    let removed: Vec<&String> = before.iter().filter(|m| !is.contains(m)).collect();
    for sid in cx.sessions_of(owner) {
        let Some(s) = cx.st.sessions.get(&sid) else {
            continue;
        };
        if !s.auto_lists.contains(list) {
            continue;
        }
        let still_held: HashSet<String> = match cx.st.users.get(owner) {
            Some(u) if !removed.is_empty() => s
                .auto_lists
                .iter()
                .filter(|l| l.as_str() != list)
                .filter_map(|l| u.lists.get(l))
                .flat_map(|l| l.members.iter().map(|(m, _)| m.clone()))
                .collect(),
            _ => HashSet::default(),
        };
        for m in &added {
            add_subscription(cx, &sid, m, None, None);
        }
        for m in removed.iter().filter(|m| !still_held.contains(m.as_str())) {
            remove_subscription(cx, &sid, m);
        }
    }
}

/// GetPresence-Request: each presentity's owner says what the requester may see of it
/// ([`crate::route::Event::Peek`]); the answer leaves when all have answered.
pub(crate) fn get_presence(cx: &mut Cx<'_>, sid: &str, r: GetPresenceRequest) -> Reply {
    let user = cx.user_of(sid);
    let users = user_ids(r.user.into_iter().map(|u| u.user_id), r.user_id_list);
    let lists = list_names(r.contact_list, r.contact_list_id_list);
    let (asked, who) = Asked::gather(cx, &user, Vec::new(), users, &lists);
    if who.len() > cx.cfg.max_presence_targets {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let Some(op_ref) = cx.op else {
        return fail(StatusCode::INTERNAL_ERROR);
    };
    let wanted = r.presence_sub_list.as_ref().and_then(AttrSet::of);
    let op = PeekOp {
        waiting: who.len(),
        asked,
        results: Vec::new(),
    };
    for (index, presentity) in who.into_iter().enumerate() {
        cx.route(crate::route::Event::Peek {
            op: op_ref,
            index,
            presentity,
            watcher: user.clone(),
            wanted,
        });
    }
    Reply::Later(crate::route::Op::Peek(op))
}

/// A GetPresence waiting for its presentities' owners.
pub(crate) struct PeekOp {
    /// Answers not yet in.
    pub waiting: usize,
    asked: Asked,
    /// The owners' views: (presentity index, presentity, view).
    results: Vec<(usize, String, PresenceSubList)>,
}

impl PeekOp {
    /// One owner's answer.
    pub(crate) fn record(
        &mut self,
        index: usize,
        presentity: String,
        result: Result<PresenceSubList, StatusCode>,
    ) {
        match result {
            Ok(view) => self.results.push((index, presentity, view)),
            Err(_) => self.asked.not_a_user(index),
        }
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// The answer, once every owner answered.
    pub(crate) fn answer(mut self) -> Primitive {
        self.results.sort_by_key(|(i, _, _)| *i);
        let presence: Vec<Presence> = self
            .results
            .into_iter()
            .map(|(_, presentity, view)| presence_of(&presentity, view))
            .collect();
        let (unknown, unknown_lists) = self.asked.unknown();
        if presence.is_empty() && (!unknown.is_empty() || !unknown_lists.is_empty()) {
            return Primitive::Status(Status {
                result: result_with(unknown, unknown_lists, false),
                client_id: None,
            });
        }
        Primitive::GetPresenceResponse(GetPresenceResponse {
            result: Some(result_with(unknown, unknown_lists, true)),
            presence,
        })
    }
}

const AVAILABILITY: [&str; 3] = ["AVAILABLE", "NOT_AVAILABLE", "DISCREET"];

/// The stored presence document of a user.
pub(crate) fn presence_document(user: &str, p: &PresenceSubList) -> Option<UserDocument> {
    let m = WvCspMessage::new(
        CspVersion::V1_3,
        None,
        TransactionMode::Request,
        None,
        Primitive::from(UpdatePresenceRequest {
            presence_sub_list: p.clone(),
        }),
    );
    // WBXML: it carries any text a client could send (XML cannot carry C0 controls).
    let body = imps_csp::encode_wbxml(&m).ok()?;
    Some(UserDocument {
        user: user.to_owned(),
        kind: "presence".into(),
        body,
    })
}

/// UpdatePresence-Request. OnlineStatus and Registration are the server's: a client's
/// Registration is ignored, and its OnlineStatus counts only for its Qualifier — F makes the
/// user invisible (others see it offline, csp-reference §11.2, the Razr), T visible again.
pub(crate) fn update_presence(cx: &mut Cx<'_>, sid: &str, r: UpdatePresenceRequest) -> Reply {
    let user = cx.user_of(sid);
    let mut update = r.presence_sub_list;
    update.registration = None;
    if let Some(o) = &mut update.online_status {
        // Only the choice is kept: the value itself is derived from the sessions.
        *o = FlagAttribute {
            qualifier: Some(o.qualifier != Some(false)),
            presence_value: Some(o.qualifier != Some(false)),
            client_id: None,
        };
    }
    if let Some(TextAttribute {
        presence_value: Some(v),
        ..
    }) = &update.user_availability
    {
        if !AVAILABILITY.contains(&v.trim()) {
            return fail(StatusCode::INVALID_PRESENCE_VALUE);
        }
    }
    let mut changed = update.names();
    if update.online_status.is_some() && !changed.contains(&"UserAvailability") {
        // Invisibility also masks UserAvailability.
        changed.push("UserAvailability");
    }
    if changed.is_empty() {
        return status(StatusCode::SUCCESS).into();
    }
    let Some(u) = cx.st.users.get_mut(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let mut merged = u.presence.clone();
    merged.merge_from(&update);
    // Nothing changes unless it can be stored: a 200 is a promise that survives a restart.
    let Some(doc) = presence_document(&user, &merged) else {
        tracing::error!(user = %user, "a presence update could not be stored: refused");
        return fail(StatusCode::INTERNAL_ERROR);
    };
    if doc.body.len() > cx.cfg.max_presence_bytes {
        tracing::info!(user = %user, bytes = doc.body.len(), "presence too large: 402");
        return fail(StatusCode::BAD_PARAMETER);
    }
    u.presence = merged;
    cx.writes.push(Write::PutDocument(doc));
    notify_watchers(cx, &user, Some(&changed));
    sync_own_sessions(cx, &user, sid);
    status(StatusCode::SUCCESS).into()
}

/// The user's other sessions learn the user's new presence (one user, one presence, however
/// many devices): a PresenceNotification of their own presence.
fn sync_own_sessions(cx: &mut Cx<'_>, user: &str, from: &str) {
    let others: Vec<String> = cx
        .st
        .users
        .get(user)
        .map(|u| u.sessions.iter().filter(|s| *s != from).cloned().collect())
        .unwrap_or_default();
    if others.is_empty() {
        return;
    }
    for sid in others {
        cx.queue(
            &sid,
            Queued {
                primitive: None,
                about: About::Presence(user.to_owned()),
            },
        );
    }
}

/// GetWatcherList-Request: current watchers, and (1.2+) former ones within HistoryPeriod.
pub(crate) fn get_watchers(cx: &mut Cx<'_>, sid: &str, r: GetWatcherListRequest) -> Reply {
    let user = cx.user_of(sid);
    let v = cx.version_of(sid);
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let current: BTreeSet<String> = u.watchers.values().map(|w| w.user.clone()).collect();
    let max = r.max_watcher_list.map_or(usize::MAX, |m| m as usize);
    let mut resp = GetWatcherListResponse {
        history_period: r.history_period,
        ..Default::default()
    };
    if v == CspVersion::V1_1 {
        resp.user = current
            .iter()
            .take(max)
            .map(|w| User {
                user_id: w.clone(),
                ..Default::default()
            })
            .collect();
    } else {
        let since = r
            .history_period
            .map(|h| cx.now.saturating_sub(u64::from(h)));
        let mut watchers: Vec<Watcher> = current
            .iter()
            .map(|w| Watcher {
                user: Some(User {
                    user_id: w.clone(),
                    ..Default::default()
                }),
                watcher_status: Some("CURRENT_SUBSCRIBER".into()),
                ..Default::default()
            })
            .collect();
        if let Some(since) = since {
            for (w, at) in &u.watcher_history {
                if *at >= since && !current.contains(w) {
                    watchers.push(Watcher {
                        user: Some(User {
                            user_id: w.clone(),
                            ..Default::default()
                        }),
                        watcher_status: Some("FORMER_SUBSCRIBER".into()),
                        ..Default::default()
                    });
                }
            }
        }
        watchers.truncate(max);
        if v >= CspVersion::V1_3 {
            resp.watcher_count = Some(watchers.len() as u32);
        }
        resp.watcher = watchers;
    }
    Primitive::GetWatcherListResponse(resp).into()
}

/// The kind of the stored document holding a user's watcher history.
pub(crate) const WATCHERS_DOCUMENT: &str = "watchers";

/// Saves the watcher history of the users whose history changed (JSON: watcher -> when).
pub(crate) fn save_watcher_histories(cx: &mut Cx<'_>) {
    let dirty = std::mem::take(&mut cx.st.history_dirty);
    for user in dirty {
        let Some(u) = cx.st.users.get(&user) else {
            continue;
        };
        cx.writes.extend(Write::json_document(
            &user,
            WATCHERS_DOCUMENT,
            &u.watcher_history,
        ));
    }
}

/// Saves a user's authorisation document.
pub(crate) fn save_auth(cx: &mut Cx<'_>, user: &str) {
    if let Some(u) = cx.st.users.get(user) {
        cx.writes
            .extend(Write::json_document(user, "authorisation", &u.auth));
    }
}

/// CreateAttributeList-Request: these attributes may be seen by these users / list members
/// (or by everyone, DefaultList=T).
pub(crate) fn create_attribute_list(
    cx: &mut Cx<'_>,
    _sid: &str,
    r: CreateAttributeListRequest,
) -> Reply {
    let names: Vec<String> = r
        .user_id
        .iter()
        .cloned()
        .chain(
            r.user_id_list
                .iter()
                .flat_map(|l| l.user_id.iter().cloned()),
        )
        .collect();
    crate::route::ask_exists(cx, &names, crate::route::Then::CreateAttributeList(r))
}

/// [`create_attribute_list`] once the users it names are known.
pub(crate) fn create_attribute_list_now(
    cx: &mut Cx<'_>,
    sid: &str,
    r: CreateAttributeListRequest,
    known: &HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    let names: Vec<String> = r
        .presence_sub_list
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let users = user_ids(r.user_id, r.user_id_list);
    let lists = list_names(r.contact_list, r.contact_list_id_list);
    let mut unknown = Vec::new();
    let mut unknown_lists = Vec::new();
    let users: Vec<String> = users
        .into_iter()
        .filter_map(|u| match cx.addr(&u).filter(|a| known.contains(a)) {
            Some(a) => Some(a),
            None => {
                unknown.push(u);
                None
            }
        })
        .collect();
    let lists: Vec<String> = lists
        .into_iter()
        .filter_map(|l| match contacts::list_id(cx, &user, &l) {
            Some(id) if contacts::members(cx, &user, &id).is_some() => Some(id),
            _ => {
                unknown_lists.push(l);
                None
            }
        })
        .collect();
    let max = cx.cfg.max_attribute_lists;
    let Some(u) = cx.st.users.get_mut(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let new_entries = users
        .iter()
        .filter(|x| !u.auth.users.contains_key(*x))
        .count()
        + lists
            .iter()
            .filter(|x| !u.auth.lists.contains_key(*x))
            .count();
    if u.auth.users.len() + u.auth.lists.len() + new_entries > max {
        return fail(StatusCode::MAX_ATTRIBUTE_LISTS);
    }
    for x in &users {
        u.auth.users.insert(x.clone(), names.clone());
    }
    for x in &lists {
        u.auth.lists.insert(x.clone(), names.clone());
    }
    if r.default_list == Some(true) {
        u.auth.default = Some(names);
    }
    save_auth(cx, &user);
    notify_watchers(cx, &user, None);
    let any_ok = !users.is_empty() || !lists.is_empty() || r.default_list == Some(true);
    status_of(result_with(unknown, unknown_lists, any_ok))
}

/// DeleteAttributeList-Request.
pub(crate) fn delete_attribute_list(
    cx: &mut Cx<'_>,
    sid: &str,
    r: DeleteAttributeListRequest,
) -> Reply {
    let user = cx.user_of(sid);
    let users: Vec<String> = user_ids(r.user_id, r.user_id_list)
        .iter()
        .filter_map(|u| cx.addr(u))
        .collect();
    let lists: Vec<String> = list_names(r.contact_list, r.contact_list_id_list)
        .iter()
        .filter_map(|l| contacts::list_id(cx, &user, l))
        .collect();
    let Some(u) = cx.st.users.get_mut(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    for x in &users {
        u.auth.users.remove(x);
    }
    for x in &lists {
        u.auth.lists.remove(x);
    }
    if r.default_list == Some(true) {
        u.auth.default = None;
    }
    save_auth(cx, &user);
    notify_watchers(cx, &user, None);
    status(StatusCode::SUCCESS).into()
}

/// GetAttributeList-Request.
pub(crate) fn get_attribute_list(cx: &mut Cx<'_>, sid: &str, r: GetAttributeListRequest) -> Reply {
    let user = cx.user_of(sid);
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let want_users: Vec<String> = r
        .user
        .iter()
        .map(|x| x.user_id.clone())
        .chain(r.user_id_list.iter().flat_map(|l| l.user_id.clone()))
        .filter_map(|x| cx.addr(&x))
        .collect();
    let want_lists: Vec<String> = r
        .contact_list
        .iter()
        .chain(
            r.contact_list_id_list
                .iter()
                .flat_map(|l| l.contact_list.iter()),
        )
        .filter_map(|l| contacts::list_id(cx, &user, l))
        .collect();
    let all = want_users.is_empty() && want_lists.is_empty();
    let mut presence = Vec::new();
    for (who, names) in &u.auth.users {
        if all || want_users.contains(who) {
            presence.push(Presence {
                user_id: Some(who.clone()),
                presence_sub_list: vec![PresenceSubList::wanted(names)],
                ..Default::default()
            });
        }
    }
    for (list, names) in &u.auth.lists {
        if all || want_lists.contains(list) {
            presence.push(Presence {
                contact_list: Some(list.clone()),
                presence_sub_list: vec![PresenceSubList::wanted(names)],
                ..Default::default()
            });
        }
    }
    let default_attribute_list = if r.default_list == Some(true) || all {
        u.auth.default.as_ref().map(|names| DefaultAttributeList {
            presence_sub_list: Some(PresenceSubList::wanted(names)),
            ..Default::default()
        })
    } else {
        None
    };
    Primitive::from(GetAttributeListResponse {
        result: CspResult::new(StatusCode::SUCCESS),
        default_attribute_list,
        presence,
    })
    .into()
}

/// PresenceAuth-User (1.1/1.2): the presentity grants or denies a watcher (an existing
/// user: its owner says).
pub(crate) fn auth_user(cx: &mut Cx<'_>, _sid: &str, r: PresenceAuthUser) -> Reply {
    let names = vec![r.user_id.clone()];
    crate::route::ask_exists(cx, &names, crate::route::Then::AuthUser(r))
}

/// [`auth_user`] once the watcher is known.
pub(crate) fn auth_user_now(
    cx: &mut Cx<'_>,
    sid: &str,
    r: PresenceAuthUser,
    known: &HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    let Some(watcher) = cx.addr(&r.user_id).filter(|a| known.contains(a)) else {
        return fail(StatusCode::UNKNOWN_USER);
    };
    let granted = r.acceptance.unwrap_or(false);
    let attributes = r
        .presence_sub_list
        .map(|p| p.names().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(u) = cx.st.users.get_mut(&user) {
        u.auth.reactive.insert(
            watcher,
            Reactive {
                state: if granted { "GRANTED" } else { "DENIED" }.into(),
                attributes,
            },
        );
    }
    save_auth(cx, &user);
    notify_watchers(cx, &user, None);
    status(StatusCode::SUCCESS).into()
}

/// CancelAuth-Request (1.1/1.2): revokes a grant.
pub(crate) fn cancel_auth(cx: &mut Cx<'_>, _sid: &str, r: CancelAuthRequest) -> Reply {
    let names = vec![r.user_id.clone()];
    crate::route::ask_exists(cx, &names, crate::route::Then::CancelAuth(r))
}

/// [`cancel_auth`] once the watcher is known.
pub(crate) fn cancel_auth_now(
    cx: &mut Cx<'_>,
    sid: &str,
    r: CancelAuthRequest,
    known: &HashSet<String>,
) -> Reply {
    let user = cx.user_of(sid);
    // Only existing users: an entry per made-up name would grow without end.
    let Some(watcher) = cx.addr(&r.user_id).filter(|a| known.contains(a)) else {
        return fail(StatusCode::UNKNOWN_USER);
    };
    if let Some(u) = cx.st.users.get_mut(&user) {
        u.auth.reactive.insert(
            watcher,
            Reactive {
                state: "DENIED".into(),
                attributes: Vec::new(),
            },
        );
    }
    save_auth(cx, &user);
    notify_watchers(cx, &user, None);
    status(StatusCode::SUCCESS).into()
}

/// GetReactiveAuthStatus-Request (1.2).
pub(crate) fn reactive_status(
    cx: &mut Cx<'_>,
    sid: &str,
    r: GetReactiveAuthStatusRequest,
) -> Reply {
    let user = cx.user_of(sid);
    let Some(u) = cx.st.users.get(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let wanted: Vec<String> = r.user_id.iter().filter_map(|x| cx.addr(x)).collect();
    let list = u
        .auth
        .reactive
        .iter()
        .filter(|(w, _)| wanted.is_empty() || wanted.contains(w))
        .map(|(w, d)| ReactiveAuthStatus {
            user_id: w.clone(),
            reactive_auth_state: Some(d.state.clone()),
            presence_sub_list: (!d.attributes.is_empty())
                .then(|| PresenceSubList::wanted(&d.attributes)),
        })
        .collect();
    Primitive::GetReactiveAuthStatusResponse(GetReactiveAuthStatusResponse {
        result: Some(CspResult::new(StatusCode::SUCCESS)),
        reactive_auth_status_list: Some(ReactiveAuthStatusList {
            reactive_auth_status: list,
        }),
    })
    .into()
}
