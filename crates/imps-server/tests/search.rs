//! Search and StopSearch over real HTTP against the real server: users by their published
//! public profile, searchable groups by topic, owner, joined and auto-joining users, paging
//! with SearchLimit / SearchIndex / CompletionFlag, result sets per session (424, 425, 535 when
//! one timed out), 536 and 537, and accounts found from the store whether or not the server
//! has them in memory (after a restart).

use imps_client::Client;
use imps_csp::model::common::{IntText, Property, ScreenName};
use imps_csp::model::fundamental::{
    SearchPairList, SearchRequest, SearchResponse, StopSearchRequest,
};
use imps_csp::model::group::{CreateGroupRequest, GroupProperties};
use imps_csp::model::v13::{PublicProfile, UpdatePublicProfileRequest};
use imps_csp::{Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

async fn publish(c: &mut Client, fields: &[(&str, &str)]) {
    let p = c
        .request(Primitive::from(UpdatePublicProfileRequest {
            clear_public_profile: Some(true),
            public_profile: Some(PublicProfile {
                user_id: None,
                property: fields.iter().map(|(k, v)| Property::new(*k, *v)).collect(),
            }),
        }))
        .await
        .expect("UpdatePublicProfile");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
}

async fn group(c: &mut Client, id: &str, props: &[(&str, &str)]) {
    let mut gp = GroupProperties::default();
    for (k, v) in props {
        gp.set(*k, *v);
    }
    let p = c
        .request(Primitive::from(CreateGroupRequest {
            group_id: id.into(),
            group_properties: gp,
            join_group: Some(false),
            screen_name: None::<ScreenName>,
            ..Default::default()
        }))
        .await
        .expect("CreateGroup");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
}

enum Found {
    Page(SearchResponse),
    Refused(StatusCode),
}

async fn search(c: &mut Client, pairs: &[(&str, &str)], limit: Option<u32>) -> Found {
    ask(
        c,
        SearchRequest {
            search_pair_list: pairs
                .iter()
                .map(|(e, s)| SearchPairList::new(*e, *s))
                .collect(),
            search_limit: limit,
            ..Default::default()
        },
    )
    .await
}

async fn ask(c: &mut Client, r: SearchRequest) -> Found {
    match c.request(Primitive::from(r)).await.expect("Search") {
        Primitive::SearchResponse(r) => Found::Page(r),
        Primitive::Status(s) => Found::Refused(s.result.code),
        other => panic!("Search-Response expected: {other:?}"),
    }
}

fn page(f: Found) -> SearchResponse {
    match f {
        Found::Page(p) => p,
        Found::Refused(c) => panic!("refused: {c:?}"),
    }
}

fn refused(f: Found) -> StatusCode {
    match f {
        Found::Page(p) => panic!("found: {p:?}"),
        Found::Refused(c) => c,
    }
}

fn users(p: &SearchResponse) -> Vec<String> {
    p.search_result
        .as_ref()
        .and_then(|r| r.user_list.as_ref())
        .map(|l| l.user.iter().map(|u| u.user_id.clone()).collect())
        .unwrap_or_default()
}

fn groups(p: &SearchResponse) -> Vec<String> {
    p.search_result
        .as_ref()
        .and_then(|r| r.group_list.as_ref())
        .map(|l| l.group_id.clone())
        .unwrap_or_default()
}

const ALICE: &str = "wv:alice@localhost";
const BOB: &str = "wv:bob@localhost";

#[tokio::test]
async fn users_and_groups_are_found_and_paged() {
    let mut ts = TestServer::start(&["alice", "bob", "carol", "dave"])
        .await
        .expect("server");
    {
        let v13 = Variant::V13_WBXML;
        let mut alice = ts.client("alice", v13).await.expect("alice");
        publish(
            &mut alice,
            &[
                ("PP_FRIENDLY_NAME", "Alice Smith"),
                ("PP_CITY", "Helsinki"),
                ("PP_AGE", "31"),
            ],
        )
        .await;
        group(
            &mut alice,
            "wv:alice/chess@localhost",
            &[("Searchable", "T"), ("Topic", "Chess club")],
        )
        .await;
        let mut bob = ts.client("bob", v13).await.expect("bob");
        publish(
            &mut bob,
            &[
                ("PP_FRIENDLY_NAME", "Bob Jones"),
                ("PP_CITY", "Helsingborg"),
                ("PP_AGE", "45"),
            ],
        )
        .await;
        group(
            &mut bob,
            "wv:bob/secret@localhost",
            &[("Searchable", "F"), ("Topic", "chess too")],
        )
        .await;
    }
    // After a restart nothing is in memory: the store finds them.
    ts.restart().await.expect("restart");
    for v in Variant::ALL {
        let ctx = format!("{v:?}");
        let mut dave = ts.client("dave", v).await.expect("dave");
        let p = page(search(&mut dave, &[("USER_CITY", "HELSIN")], None).await);
        assert_eq!(users(&p), vec![ALICE, BOB], "{ctx}");
        assert_eq!(
            (p.search_findings, p.completion_flag, p.search_index),
            (Some(2), Some(true), Some(2)),
            "{ctx}"
        );

        // One at a time.
        let first = page(search(&mut dave, &[("USER_CITY", "helsin")], Some(1)).await);
        assert_eq!(users(&first), vec![ALICE]);
        assert_eq!(
            (
                first.search_findings,
                first.completion_flag,
                first.search_index
            ),
            (Some(2), Some(false), Some(1)),
            "{ctx}"
        );
        let id = first.search_id.clone().expect("SearchID");
        let next = |index: u32, id: IntText| SearchRequest {
            search_id: Some(id),
            search_index: Some(index),
            search_limit: Some(1),
            ..Default::default()
        };
        let second = page(ask(&mut dave, next(1, id.clone())).await);
        assert_eq!(users(&second), vec![BOB], "{ctx}");
        assert_eq!(second.completion_flag, Some(true));
        assert_eq!(
            refused(ask(&mut dave, next(5, id.clone())).await),
            StatusCode::INVALID_SEARCH_INDEX,
            "{ctx}"
        );
        assert_eq!(
            refused(ask(&mut dave, next(0, IntText("999".into()))).await),
            StatusCode::INVALID_SEARCH_ID
        );
        let stop = dave
            .request(Primitive::from(StopSearchRequest {
                search_id: id.clone(),
            }))
            .await
            .expect("StopSearch");
        assert!(
            matches!(&stop, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
            "{stop:?}"
        );
        assert_eq!(
            refused(ask(&mut dave, next(1, id)).await),
            StatusCode::INVALID_SEARCH_ID,
            "{ctx}"
        );

        // A name as 1.1/1.2 clients ask for it; every criterion must hold; ages.
        let p = page(search(&mut dave, &[("USER_FIRST_NAME", "alice")], None).await);
        assert_eq!(users(&p), vec![ALICE], "{ctx}");
        let p = page(
            search(
                &mut dave,
                &[("USER_CITY", "hel"), ("USER_FRIENDLY_NAME", "jones")],
                None,
            )
            .await,
        );
        assert_eq!(users(&p), vec![BOB], "{ctx}");
        let p = page(search(&mut dave, &[("USER_AGE_MIN", "40")], None).await);
        assert_eq!(users(&p), vec![BOB], "{ctx}");
        // carol published nothing: not found, not even by her id.
        let p = page(search(&mut dave, &[("USER_ID", "carol")], None).await);
        assert_eq!((users(&p), p.search_findings), (vec![], Some(0)), "{ctx}");

        // Groups: only searchable ones.
        let p = page(search(&mut dave, &[("GROUP_TOPIC", "chess")], None).await);
        assert_eq!(groups(&p), vec!["wv:alice/chess@localhost"], "{ctx}");
        let p = page(search(&mut dave, &[("GROUP_USER_ID_OWNER", "alice")], None).await);
        assert_eq!(groups(&p), vec!["wv:alice/chess@localhost"], "{ctx}");

        // Refusals.
        assert_eq!(
            refused(search(&mut dave, &[("USER_CITY", "h")], None).await),
            StatusCode::SEARCH_TOO_BROAD,
            "{ctx}"
        );
        let many = vec![("USER_CITY", "hel"); 17];
        assert_eq!(
            refused(search(&mut dave, &many, None).await),
            StatusCode::BAD_PARAMETER,
            "{ctx}: more criteria than one search may give"
        );
        assert_eq!(
            refused(search(&mut dave, &[("SHOE_SIZE", "38")], None).await),
            StatusCode::BAD_PARAMETER
        );
        assert_eq!(
            refused(
                search(
                    &mut dave,
                    &[("USER_CITY", "hel"), ("GROUP_TOPIC", "chess")],
                    None
                )
                .await
            ),
            StatusCode::BAD_PARAMETER
        );
        dave.logout().await.expect("logout");
    }

    // More hits than the server keeps: 536, the client narrows.
    ts.restart_with(|s| s.engine.max_search_hits = 1)
        .await
        .expect("restart");
    let mut dave = ts.client("dave", Variant::V12_XML).await.expect("dave");
    assert_eq!(
        refused(search(&mut dave, &[("USER_CITY", "hel")], None).await),
        StatusCode::TOO_MANY_HITS
    );
    let p = page(search(&mut dave, &[("USER_CITY", "helsinki")], None).await);
    assert_eq!(users(&p), vec![ALICE]);
}

/// A searchable group needs a name or a topic to be found by (822), at creation and later.
#[tokio::test]
async fn a_searchable_group_needs_a_name_or_a_topic() {
    use imps_csp::model::group::SetGroupPropsRequest;
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V13_XML).await.expect("alice");
    let mut gp = GroupProperties::default();
    gp.set("Searchable", "T");
    gp.set("Name", "");
    let p = alice
        .request(Primitive::from(CreateGroupRequest {
            group_id: "wv:alice/anon@localhost".into(),
            group_properties: gp,
            ..Default::default()
        }))
        .await
        .expect("CreateGroup");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SEARCHABLE_GROUP_NEEDS_NAME),
        "{p:?}"
    );
    group(
        &mut alice,
        "wv:alice/named@localhost",
        &[("Searchable", "T")],
    )
    .await;
    let mut clear = GroupProperties::default();
    clear.set("Name", "");
    let p = alice
        .request(Primitive::from(SetGroupPropsRequest {
            group_id: "wv:alice/named@localhost".into(),
            group_properties: Some(clear),
            own_properties: None,
        }))
        .await
        .expect("SetGroupProps");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SEARCHABLE_GROUP_NEEDS_NAME),
        "{p:?}"
    );
    let p = page(search(&mut alice, &[("GROUP_NAME", "named")], None).await);
    assert_eq!(
        groups(&p),
        vec!["wv:alice/named@localhost"],
        "the name was kept"
    );
}

/// GROUP_USER_ID_JOINED: the searchable groups a user's sessions are joined to right now (its
/// own shard knows them), with any other group criteria.
#[tokio::test]
async fn groups_are_found_by_who_is_joined() {
    use imps_csp::model::group::{JoinGroupRequest, LeaveGroupRequest};
    let ts = TestServer::start(&["alice", "bob", "dave"])
        .await
        .expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    group(
        &mut alice,
        "wv:alice/chess@localhost",
        &[("Searchable", "T"), ("Topic", "chess")],
    )
    .await;
    group(
        &mut alice,
        "wv:alice/secret@localhost",
        &[("Searchable", "F")],
    )
    .await;
    let mut bob = ts.client("bob", v).await.expect("bob");
    for g in ["wv:alice/chess@localhost", "wv:alice/secret@localhost"] {
        let p = bob
            .request(Primitive::from(JoinGroupRequest {
                group_id: g.into(),
                ..Default::default()
            }))
            .await
            .expect("join");
        assert!(matches!(p, Primitive::JoinGroupResponse(_)), "{p:?}");
    }
    let mut dave = ts.client("dave", Variant::V13_WBXML).await.expect("dave");
    let p = page(search(&mut dave, &[("GROUP_USER_ID_JOINED", "bob")], None).await);
    assert_eq!(
        groups(&p),
        vec!["wv:alice/chess@localhost"],
        "only the searchable one"
    );
    let p = page(
        search(
            &mut dave,
            &[("GROUP_USER_ID_JOINED", "bob"), ("GROUP_TOPIC", "go")],
            None,
        )
        .await,
    );
    assert_eq!(groups(&p), Vec::<String>::new());
    let p = page(search(&mut dave, &[("GROUP_USER_ID_JOINED", "alice")], None).await);
    assert_eq!(
        groups(&p),
        Vec::<String>::new(),
        "alice made them but joined none"
    );
    let p = bob
        .request(Primitive::from(LeaveGroupRequest {
            group_id: "wv:alice/chess@localhost".into(),
        }))
        .await
        .expect("leave");
    assert!(matches!(p, Primitive::LeaveGroupResponse(_)));
    let p = page(search(&mut dave, &[("GROUP_USER_ID_JOINED", "bob")], None).await);
    assert_eq!(groups(&p), Vec::<String>::new(), "no longer joined");
}

/// Sets (or clears) the requester's own property AutoJoin in `group`.
async fn auto_join(c: &mut Client, group: &str, on: bool) -> StatusCode {
    use imps_csp::model::group::{OwnProperties, SetGroupPropsRequest};
    let mut own = OwnProperties::default();
    own.set("AutoJoin", if on { "T" } else { "F" });
    match c
        .request(Primitive::from(SetGroupPropsRequest {
            group_id: group.into(),
            group_properties: None,
            own_properties: Some(own),
        }))
        .await
        .expect("SetGroupProps")
    {
        Primitive::Status(s) => s.result.code,
        other => panic!("Status expected: {other:?}"),
    }
}

/// The own property AutoJoin a user set in a group: shown in its GetGroupProps, and the groups
/// a user joins at login are found by GROUP_USER_ID_AUTOJOIN (all of them by the user itself,
/// the searchable ones by others), also after a restart; only a user who may join may set it.
#[tokio::test]
async fn groups_are_found_by_who_joins_them_at_login() {
    use imps_csp::model::group::GetGroupPropsRequest;
    for v in [Variant::V12_WBXML, Variant::V13_XML] {
        let mut ts = TestServer::start(&["alice", "bob", "dave"])
            .await
            .expect("server");
        let mut alice = ts.client("alice", v).await.expect("alice");
        let (open, hidden, closed) = (
            "wv:alice/lobby@localhost",
            "wv:alice/hidden@localhost",
            "wv:alice/closed@localhost",
        );
        group(&mut alice, open, &[("Searchable", "T"), ("Name", "Lobby")]).await;
        group(&mut alice, hidden, &[]).await;
        group(&mut alice, closed, &[("Accesstype", "Restricted")]).await;
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert_eq!(auto_join(&mut bob, open, true).await, StatusCode::SUCCESS);
        assert_eq!(auto_join(&mut bob, hidden, true).await, StatusCode::SUCCESS);
        assert_eq!(
            auto_join(&mut bob, closed, true).await,
            StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP,
            "not a member of the restricted group"
        );
        match bob
            .request(Primitive::from(GetGroupPropsRequest {
                group_id: open.into(),
            }))
            .await
            .expect("GetGroupProps")
        {
            Primitive::GetGroupPropsResponse(r) => assert_eq!(
                r.own_properties.as_ref().and_then(|o| o.get("AutoJoin")),
                Some("T"),
                "{r:?}"
            ),
            other => panic!("{other:?}"),
        }
        let p = page(search(&mut bob, &[("GROUP_USER_ID_AUTOJOIN", "bob")], None).await);
        assert_eq!(
            groups(&p),
            vec![hidden, open],
            "{v:?}: bob finds all of his"
        );
        let mut dave = ts.client("dave", v).await.expect("dave");
        let p = page(search(&mut dave, &[("GROUP_USER_ID_AUTOJOIN", BOB)], None).await);
        assert_eq!(groups(&p), vec![open], "others find the searchable ones");
        let p = page(
            search(
                &mut dave,
                &[("GROUP_USER_ID_AUTOJOIN", "bob"), ("GROUP_NAME", "other")],
                None,
            )
            .await,
        );
        assert_eq!(groups(&p), Vec::<String>::new(), "with the other criteria");
        assert_eq!(auto_join(&mut bob, open, false).await, StatusCode::SUCCESS);
        drop((alice, bob, dave));
        ts.restart().await.expect("restart");
        let mut bob = ts.client("bob", v).await.expect("bob again");
        let p = page(search(&mut bob, &[("GROUP_USER_ID_AUTOJOIN", "bob")], None).await);
        assert_eq!(
            groups(&p),
            vec![hidden],
            "kept durably; the cleared one is gone"
        );
    }
}

/// A result set lives `search_lifetime` seconds: a follow-up after that gets 535 (search timed
/// out), and after another lifetime 424 (the SearchID is forgotten).
#[tokio::test]
async fn a_result_set_times_out() {
    let short = |s: &mut imps_server::Settings| s.engine.search_lifetime = 2;
    let ts = TestServer::start_with(&["alice", "bob", "dave"], short)
        .await
        .expect("server");
    for who in ["alice", "bob"] {
        let mut c = ts.client(who, Variant::V13_XML).await.expect("client");
        publish(&mut c, &[("PP_CITY", "Turku")]).await;
    }
    let mut dave = ts.client("dave", Variant::V13_WBXML).await.expect("dave");
    let first = page(search(&mut dave, &[("USER_CITY", "turku")], Some(1)).await);
    assert_eq!(first.completion_flag, Some(false));
    let next = SearchRequest {
        search_id: first.search_id.clone(),
        search_index: Some(1),
        search_limit: Some(1),
        ..Default::default()
    };
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        refused(ask(&mut dave, next.clone()).await),
        StatusCode::SEARCH_TIMED_OUT
    );
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        refused(ask(&mut dave, next).await),
        StatusCode::INVALID_SEARCH_ID
    );
}
