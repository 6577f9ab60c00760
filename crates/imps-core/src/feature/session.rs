//! Session management (csp-reference.md §2): login (2-way and 4-way), logout, keep-alive,
//! capability and service negotiation, GetSPInfo, polling and acknowledgements, expiry.

use std::collections::VecDeque;

use crate::hash::{HashMap, HashSet};

use imps_csp::model::common::{ClientId, CspResult};
use imps_csp::model::session::{
    AcceptedContentType, CapabilityList, CirHttpAddress, ClientCapabilityRequest,
    ClientCapabilityResponse, Disconnect, Functions, GetSpInfoResponse, KeepAliveRequest,
    KeepAliveResponse, LoginRequest, LoginResponse, ServiceRequest, ServiceResponse,
    VersionDiscoveryResponse, VersionList, WvcspFeat,
};
use imps_csp::{
    Address, CspVersion, Primitive, StatusCode, Transaction, TransactionMode, WvCspMessage,
};

use crate::auth;
use crate::engine::{fail, insert_session, status, Cx, Engine, Outcome, Reply};
use crate::feature::{im, presence, IMPLEMENTED};
use crate::media::MediaType;
use crate::state::{About, Agreed, Challenge, DeliveryMethod, Queued, SessionState};
use crate::store::Write;

/// How long an ended session's id is remembered (later requests get its end code).
const ENDED_MEMORY: u64 = 3600;

/// Outstanding 4-way login challenges per user: they are handed out before any password is
/// checked, so the list is bounded. Beyond it, the oldest challenge of the source address that
/// holds the most goes: strangers hammering an account evict their own challenges, never the
/// owner's.
const MAX_CHALLENGES_PER_USER: usize = 64;

/// Outstanding challenges of one user for one source address: a source asking for more
/// replaces its own oldest.
const MAX_CHALLENGES_PER_SOURCE: usize = 4;

/// The longest SessionCookie or ClientID value accepted at login (bytes). Real clients send
/// a few dozen; the cookie travels in every CIR message and is kept with the session.
const MAX_LOGIN_VALUE: usize = 256;

/// Login-Request (§2.1). Runs the slow password check without holding the state lock.
pub(crate) fn login(
    engine: &Engine,
    state: crate::shard::ShardRef<'_>,
    msg: &WvCspMessage,
    req: &LoginRequest,
    t: &Transaction,
    now: u64,
    peer: Option<std::net::IpAddr>,
) -> Outcome {
    let cfg = engine.config();
    let version = msg.version;
    let tid = t.descriptor.transaction_id.clone();
    let respond = |resp: LoginResponse| -> Outcome {
        Outcome {
            response: Some(login_response(version, tid.clone(), resp)),
            ..Default::default()
        }
    };
    let failed = |code: StatusCode| -> LoginResponse {
        LoginResponse {
            client_id: req.client_id.clone(),
            result: CspResult::new(code),
            ..Default::default()
        }
    };
    let Ok(address) = Address::parse_with_domain(&req.user_id, &cfg.default_domain) else {
        return respond(failed(StatusCode::UNKNOWN_USER));
    };
    if address.resource().is_some() {
        return respond(failed(StatusCode::UNKNOWN_USER));
    }
    let user = address.to_string();
    let names_client = req.client_id.as_ref().is_some_and(|c| {
        c.url.as_deref().is_some_and(|u| !u.trim().is_empty())
            || c.msisdn.as_deref().is_some_and(|m| !m.trim().is_empty())
    });
    if cfg.require_client_id && !names_client {
        tracing::info!(user = %user, "login without a ClientID: 422");
        return respond(failed(StatusCode::USERID_CLIENTID_MISMATCH));
    }
    let too_long = |v: &Option<String>| v.as_ref().is_some_and(|v| v.len() > MAX_LOGIN_VALUE);
    if too_long(&req.session_cookie)
        || req
            .client_id
            .as_ref()
            .is_some_and(|c| too_long(&c.url) || too_long(&c.msisdn))
    {
        tracing::info!(user = %user, "login: SessionCookie or ClientID too long: 402");
        return respond(failed(StatusCode::BAD_PARAMETER));
    }
    let cookie_key = req.session_cookie.clone().unwrap_or_default();

    // Read what the check needs, then let go of the lock.
    let (record, challenge) = {
        let mut st = state.lock();
        match engine.ensure_loaded(&mut st, &user, now) {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(user = %user, error = %e, "login: loading the account failed");
                return respond(failed(StatusCode::SERVICE_UNAVAILABLE));
            }
        }
        let Some(u) = st.users.get(&user) else {
            tracing::info!(user = %user, "login: unknown user");
            return respond(failed(StatusCode::UNKNOWN_USER));
        };
        let record = u.record.clone();
        let challenge = st.challenges.get_mut(&user).and_then(|list| {
            let pos = list.iter().position(|(c, _)| *c == cookie_key)?;
            list.remove(pos).map(|(_, c)| c)
        });
        let challenge = challenge.filter(|c| c.expires >= now);
        (record, challenge)
    };

    let authenticated = if let Some(pw) = &req.password {
        auth::verify_password(&record.password_hash, pw)
    } else if let Some(bytes) = &req.digest_bytes {
        match (challenge, &record.digest_secret) {
            (Some(c), Some(secret)) if cfg.digest_login => auth::digest(c.scheme, &c.nonce, secret)
                .is_some_and(|expected| auth::constant_time_eq(expected.trim(), bytes.trim())),
            _ => false,
        }
    } else if !req.digest_schema.is_empty() {
        // First leg of the 4-way login: challenge.
        let scheme = auth::choose_scheme(&req.digest_schema);
        return match scheme {
            Some(scheme) if cfg.digest_login && record.digest_secret.is_some() => {
                let mut st = state.lock();
                let nonce = st.rng.hex(16);
                let list = st.challenges.entry(user.clone()).or_default();
                list.retain(|(c, _)| *c != cookie_key);
                let mine = list.iter().filter(|(_, c)| c.source == peer).count();
                let evict = if mine >= MAX_CHALLENGES_PER_SOURCE {
                    Some(peer)
                } else if list.len() >= MAX_CHALLENGES_PER_USER {
                    // The source holding the most challenges gives up its oldest.
                    let mut counts: HashMap<Option<std::net::IpAddr>, usize> = HashMap::default();
                    for (_, c) in list.iter() {
                        *counts.entry(c.source).or_default() += 1;
                    }
                    counts.into_iter().max_by_key(|(_, n)| *n).map(|(s, _)| s)
                } else {
                    None
                };
                if let Some(source) = evict {
                    if let Some(pos) = list.iter().position(|(_, c)| c.source == source) {
                        list.remove(pos);
                    }
                }
                list.push_back((
                    cookie_key,
                    Challenge {
                        nonce: nonce.clone(),
                        scheme,
                        expires: now + cfg.nonce_lifetime,
                        source: peer,
                    },
                ));
                drop(st);
                let mut resp = failed(StatusCode::UNAUTHORIZED);
                resp.result.description = Some("Please complete authentication challenge".into());
                resp.nonce = Some(nonce);
                resp.digest_schema = Some(scheme.to_owned());
                resp.capability_request = Some(true);
                respond(resp)
            }
            _ => respond(failed(StatusCode::NO_MATCHING_DIGEST_SCHEME)),
        };
    } else {
        false
    };
    if !authenticated {
        tracing::info!(user = %user, "login: invalid password");
        return respond(failed(StatusCode::INVALID_PASSWORD));
    }

    let mut st = state.lock();
    let mut cx = engine.cx(&mut st, now);
    if engine.diverged(cx.st.shard) {
        // As every request on this shard until its failed commit is repaired: the session
        // would start from what the store may not have.
        tracing::warn!(user = %user, "login: shard reloading users after a failed commit: 503");
        let mut o = cx.finish(None);
        o.response = respond(failed(StatusCode::SERVICE_UNAVAILABLE)).response;
        return o;
    }
    let Some(account) = cx.st.users.get(&user) else {
        // Deleted while the password was being checked.
        return respond(failed(StatusCode::UNKNOWN_USER));
    };
    if account.record.disabled {
        // Told only to whoever knows the password: a guesser learns nothing from it.
        tracing::warn!(user = %user, ?peer, "login: the account is disabled: 403");
        let mut resp = failed(StatusCode::FORBIDDEN);
        resp.result.description = Some("This account is disabled".into());
        return respond(resp);
    }
    let keep_alive = req
        .time_to_live
        .unwrap_or(cfg.keep_alive_time)
        .clamp(cfg.min_time_to_live, cfg.max_time_to_live);

    // Session recovery: the same user logging in again with the cookie of a live session.
    if let Some(cookie) = &req.session_cookie {
        let existing = cx.st.users.get(&user).and_then(|u| {
            u.sessions
                .iter()
                .find(|sid| {
                    cx.st
                        .sessions
                        .get(*sid)
                        .is_some_and(|s| s.cookie.as_deref() == Some(cookie))
                })
                .cloned()
        });
        if let Some(sid) = existing {
            if let Some(s) = cx.st.sessions.get_mut(&sid) {
                if s.version == version {
                    s.last_active = now;
                    s.keep_alive = keep_alive;
                    // Requests handed out before the connection was lost go out again.
                    while let Some((_, q, _)) = s.in_flight.pop_back() {
                        s.outbox.push_front(q);
                    }
                    tracing::info!(user = %user, session = %crate::redact(&sid), "login: session recovered");
                    let resp = LoginResponse {
                        client_id: req.client_id.clone(),
                        result: CspResult::new(StatusCode::SUCCESS),
                        session_id: Some(sid),
                        keep_alive_time: Some(keep_alive),
                        capability_request: Some(false),
                        ..Default::default()
                    };
                    drop(cx);
                    return respond(resp);
                }
            }
        }
    }

    // Recovery of a session the server ended: 502, the client starts over with a new cookie.
    if let Some(cookie) = &req.session_cookie {
        if cx
            .st
            .ended_cookies
            .remove(&(user.clone(), cookie.clone()))
            .is_some()
        {
            tracing::info!(user = %user, "login: the session to recover has ended: 502");
            drop(cx);
            return respond(failed(StatusCode::COULD_NOT_RECOVER_SESSION));
        }
    }

    // Too many sessions: the oldest one is replaced (603).
    let sessions = cx.sessions_of(&user);
    if sessions.len() >= cfg.max_sessions_per_user {
        if let Some(oldest) = sessions.first() {
            end_session(&mut cx, oldest, StatusCode::ALREADY_LOGGED_IN);
        }
    }

    let shard = cx.st.shard;
    let sid = crate::route::new_session_id(shard, &mut cx.st.rng);
    let cir_token = crate::route::new_session_id(shard, &mut cx.st.rng);
    let was_online = !sessions.is_empty();
    insert_session(
        cx.st,
        SessionState {
            id: sid.clone(),
            cir_token,
            user: user.clone(),
            version,
            cookie: req.session_cookie.clone(),
            client_id: req.client_id.clone(),
            last_active: now,
            started: now,
            peer,
            keep_alive,
            agreed: Agreed::default(),
            functions: None,
            negotiated_capabilities: false,
            outbox: VecDeque::new(),
            in_flight: VecDeque::new(),
            next_tid: 1,
            replay: VecDeque::new(),
            subscriptions: Default::default(),
            auto_lists: HashSet::default(),
            inbox_queued: false,
            groups: Default::default(),
            searches: Default::default(),
            notifications: Default::default(),
            group_delivery: Default::default(),
            segments: Default::default(),
            next_search: 0,
        },
    );
    save_sessions(&mut cx, &user);
    tracing::info!(user = %user, session = %crate::redact(&sid), ?version, "login");
    presence::session_started(&mut cx, &sid);
    if !was_online {
        presence::online_changed(&mut cx, &user);
    }
    let resp = LoginResponse {
        client_id: req.client_id.clone(),
        result: CspResult::new(StatusCode::SUCCESS),
        session_id: Some(sid),
        keep_alive_time: Some(keep_alive),
        capability_request: Some(true),
        ..Default::default()
    };
    cx.finish(Some(login_response(version, tid, resp)))
}

/// A Login-Response message. Never Poll=T on it: Android then polls Outband, before it knows
/// its session (csp-reference §11.1).
fn login_response(version: CspVersion, tid: Option<String>, resp: LoginResponse) -> WvCspMessage {
    let mut m = WvCspMessage::new(
        version,
        None,
        TransactionMode::Response,
        tid,
        Primitive::from(resp),
    );
    m.set_poll(false);
    m
}

/// Ends a session: it leaves its user and its subscriptions, its id is remembered with
/// `code` for later requests, and its user goes offline if it was the last one.
pub(crate) fn end_session(cx: &mut Cx<'_>, sid: &str, code: StatusCode) {
    let Some(s) = cx.st.sessions.remove(sid) else {
        return;
    };
    cx.st.cir_tokens.remove(&s.cir_token);
    cx.st.searched_ahead.remove(sid);
    let mut last = false;
    if let Some(u) = cx.st.users.get_mut(&s.user) {
        u.sessions.retain(|x| x != sid);
        last = u.sessions.is_empty();
    }
    if last {
        cx.st.idle.push_back((cx.now, s.user.clone()));
    }
    for presentity in s.subscriptions.keys() {
        // The presentity's owner forgets the watcher (a former watcher from now on).
        cx.route(crate::route::Event::Unwatch {
            watcher_sid: sid.to_owned(),
            watcher_user: s.user.clone(),
            presentity: presentity.clone(),
        });
        presence::forget_seen(cx, &s.user, presentity);
    }
    let groups: Vec<String> = s.groups.into_iter().collect();
    im::drop_group_messages(cx, &s.user, &groups);
    crate::feature::group::session_ended(cx, sid, &s.user, s.version, groups);
    if code != StatusCode::SUCCESS {
        cx.st.ended.insert(sid.to_owned(), (code.0, cx.now));
        if let Some(cookie) = &s.cookie {
            cx.st
                .ended_cookies
                .insert((s.user.clone(), cookie.clone()), cx.now);
        }
    }
    cx.wake.remove(sid);
    if code == StatusCode::FORCED_LOGOUT || code == StatusCode::ALREADY_LOGGED_IN {
        // Tell the client through its CIR channel: it polls and gets the Disconnect.
        cx.farewells.push(crate::engine::Wake {
            session_id: sid.to_owned(),
            cookie: s.cookie.clone(),
            version: s.version,
            methods: s.agreed.cir_methods.clone(),
            udp_port: s.agreed.udp_port,
        });
    }
    cx.ended.push(sid.to_owned());
    if s.cookie.is_some() {
        save_sessions(cx, &s.user);
    }
    tracing::info!(user = %s.user, session = %crate::redact(sid), code = code.0, "session ended");
    if last {
        presence::online_changed(cx, &s.user);
    }
}

/// The per-user document listing the SessionCookies of the user's live sessions: after a
/// restart, a login that tries to recover one of them gets 502 (the client starts afresh and
/// subscribes again) instead of a new session that silently lost its subscriptions.
pub(crate) const SESSIONS_DOCUMENT: &str = "sessions";

/// When an ended cookie of the previous run is remembered from: never forgotten while the
/// process runs (the list is as long as the sessions that were live at the restart).
pub(crate) const PREVIOUS_RUN: u64 = u64::MAX - ENDED_MEMORY;

/// Saves the cookies of `user`'s live sessions ([`SESSIONS_DOCUMENT`]).
fn save_sessions(cx: &mut Cx<'_>, user: &str) {
    let cookies: Vec<&str> = cx
        .st
        .users
        .get(user)
        .map(|u| {
            u.sessions
                .iter()
                .filter_map(|sid| cx.st.sessions.get(sid))
                .filter_map(|s| s.cookie.as_deref())
                .collect()
        })
        .unwrap_or_default();
    cx.writes
        .extend(Write::json_document(user, SESSIONS_DOCUMENT, &cookies));
}

/// Logout-Request (§2.6): Disconnect in 1.1, Status in 1.2+.
pub(crate) fn logout(cx: &mut Cx<'_>, sid: &str) -> Reply {
    let v = cx.version_of(sid);
    end_session(cx, sid, StatusCode::SUCCESS);
    if v == CspVersion::V1_1 {
        Primitive::Disconnect(Disconnect {
            result: CspResult::new(StatusCode::SUCCESS),
        })
        .into()
    } else {
        status(StatusCode::SUCCESS).into()
    }
}

/// KeepAlive-Request (§2.4).
pub(crate) fn keep_alive(cx: &mut Cx<'_>, sid: &str, r: KeepAliveRequest) -> Reply {
    let (min, max) = (cx.cfg.min_time_to_live, cx.cfg.max_time_to_live);
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    if let Some(ttl) = r.time_to_live {
        // Clamped, never refused: a real handset's encoder may write garbage integers
        // (csp-reference §11.1); the granted value is in the answer.
        s.keep_alive = ttl.clamp(min, max);
    }
    Primitive::KeepAliveResponse(KeepAliveResponse {
        result: CspResult::new(StatusCode::SUCCESS),
        keep_alive_time: Some(s.keep_alive),
    })
    .into()
}

/// The longest ServerPollMin agreed (s): a garbage integer must not stop a client polling.
const MAX_POLL_MIN: u32 = 3600;

/// ClientCapability-Request (§2.2): the agreed list is what the server will honour.
pub(crate) fn capabilities(cx: &mut Cx<'_>, sid: &str, r: ClientCapabilityRequest) -> Reply {
    let cfg = cx.cfg;
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let v = s.version;
    let req = r.capability_list.unwrap_or_default();
    let delivery = match req.initial_delivery_method.as_deref().map(str::trim) {
        Some("N") => DeliveryMethod::Notify,
        _ => DeliveryMethod::Push,
    };
    let max_len = cfg.max_message_bytes;
    // Integers are hints from encoders that may write garbage (§11.1): clamped to sane
    // ranges. Below 256 bytes no real client was seen (the Razr asks for 512).
    let content_length = req.accepted_content_length.map(|l| l.clamp(256, max_len));
    let mut offered_cir: Vec<&str> = Vec::new();
    if cfg.tcp_cir.is_some() {
        offered_cir.push("STCP");
    }
    if cfg.http_cir_url.is_some() && v >= CspVersion::V1_2 {
        offered_cir.push("SHTTP");
    }
    if cfg.udp_cir {
        offered_cir.push("SUDP");
    }
    let cir: Vec<String> = req
        .supported_cir_method
        .iter()
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| offered_cir.contains(&m.as_str()))
        .collect();
    let bearers: Vec<String> = req
        .supported_bearer
        .iter()
        .filter(|b| matches!(b.trim(), "HTTP" | "HTTPS"))
        .cloned()
        .collect();
    let multi_trans = req.multi_trans.unwrap_or(1).clamp(1, cfg.max_multi_trans);
    let mut agreed = CapabilityList {
        client_type: req.client_type.clone(),
        initial_delivery_method: Some(
            if delivery == DeliveryMethod::Notify {
                "N"
            } else {
                "P"
            }
            .into(),
        ),
        any_content: req.any_content,
        accepted_charset: req.accepted_charset.clone(),
        accepted_content_type: req.accepted_content_type.clone(),
        accepted_transfer_encoding: req.accepted_transfer_encoding.clone(),
        accepted_content_length: if v < CspVersion::V1_3 {
            Some(content_length.unwrap_or(max_len))
        } else {
            None
        },
        supported_bearer: if bearers.is_empty() {
            vec!["HTTP".into()]
        } else {
            bearers
        },
        multi_trans: Some(multi_trans),
        parser_size: req.parser_size,
        supported_cir_method: cir.clone(),
        server_poll_min: Some(
            req.server_poll_min
                .unwrap_or(cfg.server_poll_min)
                .clamp(cfg.server_poll_min, cfg.server_poll_min.max(MAX_POLL_MIN)),
        ),
        default_language: req.default_language.clone(),
        ..Default::default()
    };
    if v >= CspVersion::V1_3 {
        agreed.accepted_pull_length = req.accepted_pull_length.map(|l| l.clamp(256, max_len));
        agreed.accepted_push_length = req.accepted_push_length.map(|l| l.clamp(256, max_len));
        agreed.accepted_text_content_length = req
            .accepted_text_content_length
            .map(|l| l.clamp(256, max_len));
        agreed.multi_trans_per_message = req
            .multi_trans_per_message
            .map(|m| m.clamp(1, cfg.max_multi_trans));
        agreed.plain_text_charset = req.plain_text_charset;
    }
    if cir.iter().any(|m| m == "SUDP") {
        agreed.udp_port = Some(req.udp_port.unwrap_or(3717));
    }
    if cir.iter().any(|m| m == "STCP") {
        if let Some((addr, port)) = &cfg.tcp_cir {
            let host = cx.reached.tcp_cir_host.as_ref().unwrap_or(addr);
            agreed.tcp_address = Some(host.clone());
            agreed.tcp_port = Some(u32::from(*port));
        }
    }
    if cir.iter().any(|m| m == "SHTTP") {
        if let Some(url) = &cfg.http_cir_url {
            let url = cx.reached.http_cir_url.as_ref().unwrap_or(url);
            agreed.cir_http_address = Some(CirHttpAddress {
                url: Some(format!("{url}?token={}", s.cir_token)),
            });
        }
    }
    let push_len = agreed
        .accepted_push_length
        .or(agreed.accepted_text_content_length);
    s.agreed = Agreed {
        delivery,
        any_content: req
            .any_content
            .unwrap_or(req.accepted_content_type.is_empty()),
        content_types: req
            .accepted_content_type
            .iter()
            .filter_map(|t: &AcceptedContentType| MediaType::parse(&t.content_type))
            .collect(),
        content_length: content_length.or(push_len),
        parser_size: agreed.parser_size,
        cir_methods: cir,
        udp_port: agreed.udp_port,
    };
    s.negotiated_capabilities = true;
    let mut resp = ClientCapabilityResponse::new(v, agreed);
    if v == CspVersion::V1_1 {
        resp.client_id = r.client_id.or_else(|| s.client_id.clone());
    }
    queue_inbox_if_needed(cx, sid);
    Primitive::from(resp).into()
}

/// The service tree this server offers in `v` (GETMAP only with a map service configured).
pub(crate) fn offered(v: CspVersion, cfg: &crate::EngineConfig) -> WvcspFeat {
    let mut tree = WvcspFeat::all_for(v);
    tree.retain(|c| IMPLEMENTED.contains(&c) || (c == "GETMAP" && cfg.map_url.is_some()));
    tree
}

/// Service-Request (§2.3).
pub(crate) fn services(cx: &mut Cx<'_>, sid: &str, r: ServiceRequest) -> Reply {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    let v = s.version;
    let offer = offered(v, cx.cfg);
    let agreed = match r.functions.as_ref().and_then(|f| f.wvcsp_feat.as_ref()) {
        None => offer.clone(),
        Some(wanted) => {
            let mut codes: Vec<&str> = Vec::new();
            for (name, feature) in wanted.features() {
                let Some(ours) = offer.feature(name) else {
                    continue;
                };
                if feature.is_whole() {
                    codes.extend(ours.codes());
                } else {
                    codes.extend(feature.codes().filter(|c| ours.contains(c)));
                }
            }
            WvcspFeat::from_codes(codes)
        }
    };
    let mut set: HashSet<String> = agreed.codes().into_iter().map(str::to_owned).collect();
    for (name, f) in agreed.features() {
        if f.codes().next().is_some() {
            set.insert(name.to_owned());
        }
    }
    s.functions = Some(set);
    // What the client named: codes outside the common core of the client token tables go
    // on the wire only to a client that named them (its table has them).
    let named: HashSet<String> = r
        .functions
        .as_ref()
        .and_then(|f| f.wvcsp_feat.as_ref())
        .map(|w| w.codes().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    // The codes Android's parser stops at (`named-only` rows of the token tables: CALI,
    // DALI, GALS in 1.1/1.2) stay agreed but are written only to a client that named them.
    let outside = imps_csp::codec::wbxml_read::tokens(v)
        .core_exceptions()
        .named_only_tags;
    let mut agreed = agreed;
    let mut offer = offer;
    for tree in [&mut agreed, &mut offer] {
        tree.retain(|c| !outside.contains(&c) || named.contains(c));
    }
    let resp = ServiceResponse {
        client_id: if v == CspVersion::V1_1 {
            r.client_id.or_else(|| s.client_id.clone())
        } else {
            None
        },
        functions: Some(Functions::new(agreed)),
        // Android dereferences AllFunctions whatever it asked (csp-reference §11.1).
        all_functions: Some(Functions::new(offer)),
        not_available_functions: None,
    };
    Primitive::from(resp).into()
}

/// GetSPInfo-Response (§2.7).
pub(crate) fn sp_info(cx: &Cx<'_>, client_id: Option<ClientId>) -> Primitive {
    Primitive::GetSpInfoResponse(GetSpInfoResponse {
        client_id,
        name: Some(cx.cfg.sp_name.clone()),
        logo: None,
        description: cx.cfg.sp_description.clone(),
        url: cx.cfg.sp_url.clone(),
    })
}

/// Version discovery (§1.3): the versions implemented.
pub(crate) fn version_discovery() -> Primitive {
    Primitive::VersionDiscoveryResponse(VersionDiscoveryResponse {
        version_list: Some(VersionList::new(&[
            CspVersion::V1_1,
            CspVersion::V1_2,
            CspVersion::V1_3,
        ])),
        ..Default::default()
    })
}

/// Queues the user's undelivered messages into a session that has not had them yet.
pub(crate) fn queue_inbox_if_needed(cx: &mut Cx<'_>, sid: &str) {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    if s.inbox_queued {
        return;
    }
    s.inbox_queued = true;
    let user = s.user.clone();
    crate::feature::invite::queue_pending(cx, sid, &user);
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    let queued: HashSet<String> = s
        .outbox
        .iter()
        .chain(s.in_flight.iter().map(|(_, q, _)| q))
        .filter_map(|q| match &q.about {
            About::Message(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let ids: Vec<String> = cx
        .st
        .users
        .get(&user)
        .map(|u| u.inbox_order.iter().cloned().collect())
        .unwrap_or_default();
    for id in ids {
        if !queued.contains(&id) {
            im::queue_message_to_session(cx, sid, &user, &id);
        }
    }
    im::queue_pending_reports(cx, sid, &user);
}

/// The next request for the client: the oldest queued one, or one whose acknowledgement
/// timed out. It is then in flight until acknowledged.
pub(crate) fn next_for_client(cx: &mut Cx<'_>, sid: &str) -> Option<Transaction> {
    let timeout = cx.cfg.in_flight_timeout;
    let now = cx.now;
    let max = cx.cfg.max_outbox;
    let s = cx.st.sessions.get_mut(sid)?;
    let mut item = if let Some(pos) = s
        .in_flight
        .iter()
        .position(|(_, _, at)| now >= at + timeout)
    {
        let (_, q, _) = s.in_flight.remove(pos)?;
        q
    } else if s.in_flight.len() >= max {
        // Flow control: a client that polls without acknowledging gets nothing new until it
        // does (what is unacknowledged stays bounded, like the outbox).
        return None;
    } else {
        s.outbox.pop_front()?
    };
    let tid = format!("s{}", s.next_tid);
    s.next_tid += 1;
    let primitive = match (&item.primitive, &item.about) {
        (Some(p), _) => (**p).clone(),
        (None, About::Presence(p)) => {
            let built = presence::notification(cx, sid, p);
            item.primitive = Some(Box::new(built.clone()));
            built
        }
        (None, _) => return None,
    };
    if item.about == About::Disconnect {
        // Nothing comes after a Disconnect.
        let code = match &primitive {
            Primitive::Disconnect(d) => d.result.code,
            _ => StatusCode::FORCED_LOGOUT,
        };
        end_session(cx, sid, code);
    } else if let Some(s) = cx.st.sessions.get_mut(sid) {
        s.in_flight.push_back((tid.clone(), item, now));
    }
    Some(Transaction::new(
        TransactionMode::Request,
        Some(tid),
        primitive,
    ))
}

/// A Response-mode transaction from the client: the acknowledgement of a server request
/// (Status, or MessageDelivered for a NewMessage).
pub(crate) fn acknowledge(cx: &mut Cx<'_>, sid: &str, tid: Option<&str>, p: &Primitive) {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return;
    };
    let pos = tid.and_then(|t| s.in_flight.iter().position(|(id, _, _)| id == t));
    let item = pos.and_then(|i| s.in_flight.remove(i));
    let message = match (p, &item) {
        (Primitive::MessageDelivered(d), _) => Some(d.message_id.clone()),
        (_, Some((_, q, _))) => match &q.about {
            About::Message(id)
                if matches!(q.primitive.as_deref(), Some(Primitive::NewMessage(_))) =>
            {
                Some(id.clone())
            }
            _ => None,
        },
        _ => None,
    };
    if item.is_none() {
        tracing::debug!(session = %crate::redact(sid), ?tid, "acknowledgement of nothing in flight");
    }
    if let Some(id) = message {
        let failed = matches!(p, Primitive::Status(st) if !st.result.code.is_success());
        if !failed {
            let _ = im::delivered(cx, sid, &id);
        }
    }
}

/// Ends idle sessions (600), forgets old ended ids and stale challenges.
pub(crate) fn expire(cx: &mut Cx<'_>) {
    let now = cx.now;
    let idle: Vec<String> = cx
        .st
        .sessions
        .values()
        .filter(|s| now > s.last_active + u64::from(s.keep_alive))
        .map(|s| s.id.clone())
        .collect();
    for sid in idle {
        end_session(cx, &sid, StatusCode::SESSION_EXPIRED);
    }
    cx.st.ended.retain(|_, (_, at)| now < *at + ENDED_MEMORY);
    cx.st.ended_cookies.retain(|_, at| now < *at + ENDED_MEMORY);
    cx.st.challenges.retain(|_, list| {
        list.retain(|(_, c)| c.expires >= now);
        !list.is_empty()
    });
}

/// Queues a Disconnect for a session (forced logout) and ends it once handed out.
#[allow(dead_code)]
pub(crate) fn queue_disconnect(cx: &mut Cx<'_>, sid: &str, code: StatusCode) {
    cx.queue(
        sid,
        Queued {
            primitive: Some(Box::new(Primitive::Disconnect(Disconnect {
                result: CspResult::new(code),
            }))),
            about: About::Disconnect,
        },
    );
}
