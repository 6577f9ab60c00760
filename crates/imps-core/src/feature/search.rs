//! Search and StopSearch (csp-reference.md §3.2): users by their published public profile (and
//! id), searchable groups by id, name, topic and owner, with paging (SearchLimit, SearchIndex,
//! SearchFindings, CompletionFlag), result sets kept per session for a while, and 424, 425,
//! 536, 537.
//!
//! What is searchable lives in the store as [`SearchTerm`]s each account holds
//! ([`terms_of`], written with every change of its public profile or groups), so a search
//! finds accounts whether or not any shard has them in memory. A user is found only once it
//! published a public profile (UpdatePublicProfile: publishing is opting in); a group only
//! with `Searchable=T`.

use std::collections::BTreeMap;

use imps_csp::model::common::{IntText, User, UserList};
use imps_csp::model::fundamental::{
    GroupList, SearchRequest, SearchResponse, SearchResult, StopSearchRequest,
};
use imps_csp::{Primitive, StatusCode};

use crate::engine::{fail, status, Cx, Reply};
use crate::state::UserState;
use crate::store::{Criterion, Match, SearchKind, SearchTerm, Write};

/// The field of a group's terms naming a user who joins it at login (own property AutoJoin).
const AUTOJOIN: &str = "AUTOJOIN";
/// The field of a group's term saying when its Validity runs out ([`expires_value`]).
pub(crate) const EXPIRES: &str = "EXPIRES";

/// A time as an [`EXPIRES`] term holds it: 20 digits, so that text order is time order.
pub(crate) fn expires_value(at: u64) -> String {
    format!("{at:020}")
}

/// Result sets kept per session (the oldest goes first).
const MAX_SETS: usize = 4;
/// Hits a result page holds when the client asks for none (or more than this).
const PAGE: u32 = 50;
/// Most criteria one search may give (402 beyond: each is a query of the store's index).
const MAX_PAIRS: usize = 16;
/// Shortest text a "contains" criterion may look for (537 below: it would match nearly all).
const MIN_NEEDLE: usize = 2;

/// A result set kept for paging.
#[derive(Clone, Debug)]
pub(crate) struct ResultSet {
    /// Users or groups.
    pub kind: SearchKind,
    /// The ids found, in order.
    pub hits: Vec<String>,
    /// When it was made (kept `search_lifetime` seconds).
    pub made: u64,
    /// Its lifetime ran out: the hits are gone; a follow-up gets 535 (for another lifetime,
    /// then 424 like any unknown SearchID).
    pub timed_out: bool,
}

/// The search terms account `id` holds: its public profile if it published one (`ID` and each
/// `PP_*` field), its groups that are searchable (`ID`, `GROUP_NAME`, `GROUP_TOPIC`,
/// `OWNER`), and one [`crate::store::EVERY_GROUP`] term per group. Values in lower case; ages
/// as three digits.
pub(crate) fn terms_of(id: &str, u: &UserState) -> Vec<SearchTerm> {
    let mut out = Vec::new();
    let term = |kind, subject: &str, field: &str, value: &str| SearchTerm {
        kind,
        subject: subject.to_owned(),
        field: field.to_owned(),
        value: value.to_lowercase(),
    };
    if !u.profile.is_empty() {
        out.push(term(SearchKind::User, id, "ID", id));
        for (field, value) in &u.profile {
            let value = match field.as_str() {
                "PP_AGE" => format!("{:03}", value.parse::<u32>().unwrap_or(0).min(999)),
                _ => value.clone(),
            };
            out.push(term(SearchKind::User, id, field, &value));
        }
    }
    // The groups the account joins at login (own property AutoJoin): its terms, about those
    // groups (a search intersects by subject, whoever holds the terms).
    for gid in &u.auto_join {
        out.push(term(SearchKind::Group, gid, AUTOJOIN, id));
    }
    for (gid, g) in &u.groups {
        // Every group is counted (the server-wide limit), and found by who joins it at login
        // (GROUP_USER_ID_AUTOJOIN: by that user only, unless it is searchable); otherwise
        // only searchable ones are found.
        out.push(term(SearchKind::Group, gid, crate::store::EVERY_GROUP, ""));
        if let Some(at) = g.rec.expires {
            // For the server to find the groups that ran out in accounts nobody loaded.
            out.push(term(SearchKind::Group, gid, EXPIRES, &expires_value(at)));
        }
        if !g.flag("Searchable") {
            continue;
        }
        out.push(term(SearchKind::Group, gid, "ID", gid));
        out.push(term(SearchKind::Group, gid, "OWNER", id));
        for (prop, field) in [("Name", "GROUP_NAME"), ("Topic", "GROUP_TOPIC")] {
            if let Some(v) = g.prop(prop).filter(|v| !v.is_empty()) {
                out.push(term(SearchKind::Group, gid, field, v));
            }
        }
    }
    out
}

/// The write that makes account `id`'s search terms what its state says now.
pub(crate) fn save_terms(cx: &mut Cx<'_>, id: &str) {
    if let Some(u) = cx.st.users.get(id) {
        let terms = terms_of(id, u);
        cx.writes.push(Write::PutSearchTerms(id.to_owned(), terms));
    }
}

/// What a search element asks: the kind of subject, and the criteria (none: no data this
/// server holds can match it, so nothing is found). `me` is the searching user.
fn criterion(
    domain: &str,
    me: &str,
    element: &str,
    text: &str,
) -> Result<(SearchKind, Vec<Criterion>), StatusCode> {
    if element
        .trim()
        .eq_ignore_ascii_case("GROUP_USER_ID_AUTOJOIN")
    {
        let who = imps_csp::Address::parse_with_domain(text, domain)
            .map_err(|_| StatusCode::BAD_PARAMETER)?
            .to_string();
        let mut out = vec![Criterion {
            field: AUTOJOIN.into(),
            matches: Match::Equals,
            needle: who.to_lowercase(),
        }];
        if !who.eq_ignore_ascii_case(me) {
            // Another user's: only the searchable groups (they alone hold an `ID` term).
            out.push(Criterion {
                field: "ID".into(),
                matches: Match::Contains,
                needle: String::new(),
            });
        }
        return Ok((SearchKind::Group, out));
    }
    let (kind, c) = one_criterion(domain, element, text)?;
    Ok((kind, c.into_iter().collect()))
}

/// [`criterion`] for the elements that ask one thing of one field.
fn one_criterion(
    domain: &str,
    element: &str,
    text: &str,
) -> Result<(SearchKind, Option<Criterion>), StatusCode> {
    use Match::{AtLeast, AtMost, Contains, Equals};
    let needle = text.trim().to_lowercase();
    let c = |field: &str, matches: Match, needle: String| Criterion {
        field: field.to_owned(),
        matches,
        needle,
    };
    let age = |m| {
        needle
            .parse::<u32>()
            .map(|n| c("PP_AGE", m, format!("{:03}", n.min(999))))
            .map_err(|_| StatusCode::BAD_PARAMETER)
    };
    let user = |field: &str| Ok((SearchKind::User, Some(c(field, Contains, needle.clone()))));
    let element = element.trim().to_ascii_uppercase();
    match element.as_str() {
        "USER_ID" => user("ID"),
        "USER_FRIENDLY_NAME" | "USER_ALIAS" | "USER_FIRST_NAME" | "USER_LAST_NAME" => {
            user("PP_FRIENDLY_NAME")
        }
        "USER_CITY" => user("PP_CITY"),
        "USER_COUNTRY" => user("PP_COUNTRY"),
        "USER_GENDER" => Ok((
            SearchKind::User,
            Some(c("PP_GENDER", Equals, needle.clone())),
        )),
        "USER_INTENTION" => user("PP_INTENTION"),
        "USER_INTERESTS_HOBBIES" => user("PP_INTERESTS"),
        "USER_MARITAL_STATUS" => Ok((
            SearchKind::User,
            Some(c("PP_MARITAL_STATUS", Equals, needle.clone())),
        )),
        "USER_AGE_MIN" => Ok((SearchKind::User, Some(age(AtLeast)?))),
        "USER_AGE_MAX" => Ok((SearchKind::User, Some(age(AtMost)?))),
        // Nothing a public profile holds.
        "USER_EMAIL_ADDRESS" | "USER_MOBILE_NUMBER" | "USER_ONLINE_STATUS" => {
            Ok((SearchKind::User, None))
        }
        "GROUP_ID" => Ok((SearchKind::Group, Some(c("ID", Contains, needle.clone())))),
        "GROUP_NAME" => Ok((
            SearchKind::Group,
            Some(c("GROUP_NAME", Contains, needle.clone())),
        )),
        "GROUP_TOPIC" => Ok((
            SearchKind::Group,
            Some(c("GROUP_TOPIC", Contains, needle.clone())),
        )),
        "GROUP_USER_ID_OWNER" => {
            let owner = imps_csp::Address::parse_with_domain(text, domain)
                .map_err(|_| StatusCode::BAD_PARAMETER)?
                .to_string();
            Ok((SearchKind::Group, Some(c("OWNER", Equals, owner))))
        }
        _ => Err(StatusCode::BAD_PARAMETER),
    }
}

/// Search-Request: a first call runs the query and keeps the result set; a follow-up
/// (SearchID, SearchIndex) pages through it.
pub(crate) fn search(cx: &mut Cx<'_>, sid: &str, r: SearchRequest) -> Reply {
    let now = cx.now;
    let lifetime = cx.cfg.search_lifetime;
    let limit = r.search_limit.filter(|&n| n > 0).unwrap_or(PAGE).min(PAGE) as usize;
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    for set in s.searches.values_mut() {
        if set.made + lifetime <= now && !set.timed_out {
            set.timed_out = true;
            set.hits = Vec::new();
        }
    }
    s.searches
        .retain(|_, set| set.made.saturating_add(lifetime.saturating_mul(2)) > now);
    if let Some(id) = &r.search_id {
        let Some(key) = id.as_u32() else {
            return fail(StatusCode::INVALID_SEARCH_ID);
        };
        let Some(set) = s.searches.get(&key) else {
            return fail(StatusCode::INVALID_SEARCH_ID);
        };
        if set.timed_out {
            return fail(StatusCode::SEARCH_TIMED_OUT);
        }
        let index = r.search_index.unwrap_or(0) as usize;
        if index > set.hits.len() {
            return fail(StatusCode::INVALID_SEARCH_INDEX);
        }
        return page(key, set, index, limit).into();
    }
    let me = cx.user_of(sid);
    let q = match Query::of(&cx.cfg.default_domain, &me, &r) {
        Ok(q) => q,
        Err(code) => return fail(code),
    };
    let max = cx.cfg.max_search_hits;
    // Each new search reads the store: the sending bucket limits how often.
    let user = cx.user_of(sid);
    if !crate::feature::im::take_send_token(cx, &user) {
        tracing::warn!(user = %user, "searching too fast: 503");
        return fail(StatusCode::SERVICE_UNAVAILABLE);
    }
    if let Some(user) = q.joined_by.clone() {
        // The user's own shard knows the groups its sessions joined.
        let Some(op) = cx.op else {
            return fail(StatusCode::INTERNAL_ERROR);
        };
        cx.route(crate::route::Event::JoinedOf { op, index: 0, user });
        return Reply::Later(crate::route::Op::Search(Box::new(SearchOp {
            waiting: 1,
            query: q,
            limit,
            joined: Vec::new(),
        })));
    }
    // Read ahead of the request, without the shard's lock (`Engine::search_ahead`), or now.
    let ahead = cx
        .st
        .searched_ahead
        .remove(sid)
        .filter(|(key, _)| *key == q.key())
        .map(|(_, hits)| hits);
    let hits = match ahead {
        Some(h) => h,
        None if q.impossible => Vec::new(),
        None => match run(cx, q.kind, &q.criteria, max + 1) {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                return fail(StatusCode::SERVICE_UNAVAILABLE);
            }
        },
    };
    keep(cx, sid, q.kind, hits, limit)
}

/// A search for the groups a user is joined to, waiting for that user's shard.
pub(crate) struct SearchOp {
    /// 1 until the user's shard answered.
    pub waiting: usize,
    query: Query,
    limit: usize,
    joined: Vec<String>,
}

impl SearchOp {
    /// The groups the user's sessions are joined to.
    pub(crate) fn record(&mut self, groups: Vec<String>) {
        self.joined = groups;
        self.waiting = 0;
    }

    /// The answer: the searchable groups among those, that meet the other criteria too.
    pub(crate) fn answer(mut self, cx: &mut Cx<'_>, sid: &str) -> Reply {
        if self.joined.is_empty() || self.query.impossible {
            return keep(cx, sid, SearchKind::Group, Vec::new(), self.limit);
        }
        self.query.criteria.push(Criterion {
            field: "ID".into(),
            matches: Match::OneOf,
            needle: self.joined.join("\n"),
        });
        let max = cx.cfg.max_search_hits;
        match run(cx, SearchKind::Group, &self.query.criteria, max + 1) {
            Ok(hits) => keep(cx, sid, SearchKind::Group, hits, self.limit),
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                fail(StatusCode::SERVICE_UNAVAILABLE)
            }
        }
    }
}

/// The groups `user`'s sessions are joined to (on its shard), for [`SearchOp`].
pub(crate) fn joined_of(cx: &Cx<'_>, user: &str) -> Vec<String> {
    let mut out: Vec<String> = cx
        .sessions_of(user)
        .iter()
        .filter_map(|sid| cx.st.sessions.get(sid))
        .flat_map(|s| s.groups.iter().cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Keeps `hits` as a new result set of session `sid` and answers its first page (536 beyond
/// `max_search_hits`).
fn keep(cx: &mut Cx<'_>, sid: &str, kind: SearchKind, hits: Vec<String>, limit: usize) -> Reply {
    let now = cx.now;
    let max = cx.cfg.max_search_hits;
    if hits.len() > max {
        return fail(StatusCode::TOO_MANY_HITS);
    }
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    s.next_search += 1;
    let key = s.next_search;
    while s.searches.len() >= MAX_SETS {
        if let Some(oldest) = s.searches.keys().next().copied() {
            s.searches.remove(&oldest);
        }
    }
    let set = ResultSet {
        kind,
        hits,
        made: now,
        timed_out: false,
    };
    let answer = page(key, &set, 0, limit);
    s.searches.insert(key, set);
    answer.into()
}

/// A first Search-Request's query: users or groups, the criteria (all must hold), and whether
/// one of them asks for what nothing here holds (then nothing is found).
pub(crate) struct Query {
    pub kind: SearchKind,
    pub criteria: Vec<Criterion>,
    pub impossible: bool,
    /// GROUP_USER_ID_JOINED: the groups this user's sessions are joined to (asked of its
    /// shard) is one more criterion.
    pub joined_by: Option<String>,
}

impl Query {
    /// The query of a first Search-Request (402: no pair, an unknown element, users and groups
    /// mixed; 537: a text too short to narrow anything).
    pub(crate) fn of(domain: &str, me: &str, r: &SearchRequest) -> Result<Query, StatusCode> {
        let mut kind = None;
        let mut criteria = Vec::new();
        let mut impossible = false;
        let mut joined_by = None;
        if r.search_pair_list.len() > MAX_PAIRS {
            return Err(StatusCode::BAD_PARAMETER);
        }
        for pair in &r.search_pair_list {
            if pair
                .search_element
                .trim()
                .eq_ignore_ascii_case("GROUP_USER_ID_JOINED")
            {
                let who = imps_csp::Address::parse_with_domain(&pair.search_string, domain)
                    .map_err(|_| StatusCode::BAD_PARAMETER)?;
                if kind == Some(SearchKind::User) {
                    return Err(StatusCode::BAD_PARAMETER);
                }
                kind = Some(SearchKind::Group);
                joined_by = Some(who.to_string());
                continue;
            }
            let autojoin = pair
                .search_element
                .trim()
                .eq_ignore_ascii_case("GROUP_USER_ID_AUTOJOIN");
            let (k, found) = criterion(domain, me, &pair.search_element, &pair.search_string)?;
            if kind.is_some_and(|prev| prev != k) {
                // Users and groups in one search: no subject is both.
                return Err(StatusCode::BAD_PARAMETER);
            }
            kind = Some(k);
            if found.is_empty() {
                impossible = true;
            }
            for c in found {
                if !autojoin
                    && c.matches == Match::Contains
                    && c.needle.chars().count() < MIN_NEEDLE
                {
                    return Err(StatusCode::SEARCH_TOO_BROAD);
                }
                criteria.push(c);
            }
        }
        let kind = kind.ok_or(StatusCode::BAD_PARAMETER)?;
        Ok(Query {
            kind,
            criteria,
            impossible,
            joined_by,
        })
    }

    /// Identifies the query (a result read ahead is used only for the same one).
    pub(crate) fn key(&self) -> String {
        format!("{:?} {:?}", self.kind, self.criteria)
    }
}

/// The subjects matching `criteria`: from the store (every account), or, for an engine that
/// holds every account in memory, from this shard's accounts.
fn run(
    cx: &Cx<'_>,
    kind: SearchKind,
    criteria: &[Criterion],
    limit: usize,
) -> Result<Vec<String>, crate::store::StoreError> {
    if let Some(commits) = cx.commits {
        return commits.store().search(kind, criteria, limit);
    }
    let mut found = std::collections::BTreeSet::new();
    for (id, u) in &cx.st.users {
        let terms = terms_of(id, u);
        for t in terms.iter().filter(|t| t.kind == kind) {
            if criteria
                .iter()
                .all(|c| terms.iter().any(|o| o.subject == t.subject && c.accepts(o)))
            {
                found.insert(t.subject.clone());
            }
        }
    }
    Ok(found.into_iter().take(limit).collect())
}

/// Search-Response with hits `index..index + limit` of `set`.
fn page(key: u32, set: &ResultSet, index: usize, limit: usize) -> Primitive {
    let end = (index + limit).min(set.hits.len());
    let hits = &set.hits[index..end];
    let result = match set.kind {
        SearchKind::User => SearchResult {
            user_list: Some(UserList {
                user: hits.iter().map(User::new).collect(),
                screen_name: Vec::new(),
            }),
            group_list: None,
        },
        SearchKind::Group => SearchResult {
            user_list: None,
            group_list: Some(GroupList {
                group_id: hits.to_vec(),
            }),
        },
    };
    Primitive::from(SearchResponse {
        search_id: Some(IntText(key.to_string())),
        search_findings: Some(u32::try_from(set.hits.len()).unwrap_or(u32::MAX)),
        completion_flag: Some(end >= set.hits.len()),
        search_index: Some(u32::try_from(end).unwrap_or(u32::MAX)),
        search_result: (!hits.is_empty()).then_some(result),
    })
}

/// StopSearch-Request: the result set goes (424 if there is none).
pub(crate) fn stop(cx: &mut Cx<'_>, sid: &str, r: StopSearchRequest) -> Reply {
    let Some(s) = cx.st.sessions.get_mut(sid) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    match r.search_id.as_u32().and_then(|k| s.searches.remove(&k)) {
        Some(_) => status(StatusCode::SUCCESS).into(),
        None => fail(StatusCode::INVALID_SEARCH_ID),
    }
}

/// Keeps the type of a session's result sets in one place.
pub(crate) type ResultSets = BTreeMap<u32, ResultSet>;
