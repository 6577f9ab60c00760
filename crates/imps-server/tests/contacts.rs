//! Scenario tests of contact lists over real HTTP against the real server, in every version
//! and encoding: GetList, CreateList, DeleteList, ListManage (Android's all-in-one form), the
//! default list, the suggested `~pep1.0_*` names, limits, and persistence across a restart.

use imps_client::Client;
use imps_csp::model::common::{NickList, NickName, Property};
use imps_csp::model::presence::{
    AddNickList, ContactListProperties, CreateListRequest, DeleteListRequest, GetListRequest,
    GetListResponse, ListManageRequest, ListManageResponse, RemoveNickList,
};
use imps_csp::{CspVersion, Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

fn nick(name: &str, user: &str) -> NickName {
    NickName {
        name: Some(name.into()),
        user_id: user.into(),
    }
}

fn props(display: Option<&str>, default: Option<bool>) -> ContactListProperties {
    let mut property = Vec::new();
    if let Some(d) = display {
        property.push(Property::new("DisplayName", d));
    }
    if let Some(d) = default {
        property.push(Property::new("Default", if d { "T" } else { "F" }));
    }
    ContactListProperties { property }
}

fn code(p: &Primitive) -> StatusCode {
    match p {
        Primitive::Status(s) => s.result.code,
        Primitive::CreateListResponse(_) => StatusCode::SUCCESS,
        Primitive::ListManageResponse(r) => r.result.code,
        other => panic!("unexpected answer {other:?}"),
    }
}

async fn get_list(c: &mut Client) -> GetListResponse {
    let p = c
        .request(Primitive::GetListRequest(GetListRequest {}))
        .await
        .expect("GetList");
    let Primitive::GetListResponse(r) = p else {
        panic!("GetList-Response expected, got {p:?}");
    };
    if c.version() >= CspVersion::V1_3 {
        assert!(r.contact_list.is_empty(), "1.3 uses ContactListIDList");
    } else {
        assert!(r.contact_list_id_list.is_none());
    }
    r
}

async fn create(
    c: &mut Client,
    id: &str,
    members: &[NickName],
    properties: Option<ContactListProperties>,
) -> Primitive {
    c.request(Primitive::CreateListRequest(CreateListRequest {
        contact_list: id.into(),
        nick_list: (!members.is_empty()).then(|| NickList {
            nick_name: members.to_vec(),
        }),
        contact_list_properties: properties,
    }))
    .await
    .expect("CreateList")
}

async fn manage(c: &mut Client, req: ListManageRequest) -> Primitive {
    c.request(Primitive::ListManageRequest(req))
        .await
        .expect("ListManage")
}

async fn receive_list(c: &mut Client, id: &str) -> ListManageResponse {
    let p = manage(
        c,
        ListManageRequest {
            contact_list: id.into(),
            receive_list: Some(true),
            ..Default::default()
        },
    )
    .await;
    let Primitive::ListManageResponse(r) = p else {
        panic!("ListManage-Response expected, got {p:?}");
    };
    assert_eq!(r.result.code, StatusCode::SUCCESS);
    r
}

fn members(r: &ListManageResponse) -> Vec<(String, Option<String>)> {
    r.nick_list
        .as_ref()
        .expect("NickList")
        .nick_name
        .iter()
        .map(|n| (n.user_id.clone(), n.name.clone()))
        .collect()
}

#[tokio::test]
async fn list_life_cycle_in_every_variant() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let r = get_list(&mut alice).await;
        assert!(r.contact_lists().is_empty(), "{v:?}");
        assert_eq!(r.default_contact_list, None);

        let id = "wv:alice/friends@localhost";
        let p = create(
            &mut alice,
            id,
            &[nick("Bob", &uid("bob"))],
            Some(props(Some("Friends"), Some(true))),
        )
        .await;
        if v.version >= CspVersion::V1_3 {
            let Primitive::CreateListResponse(r) = &p else {
                panic!("{v:?}: CreateList-Response expected, got {p:?}");
            };
            assert_eq!(r.contact_list, id);
            let pr = r.contact_list_properties.as_ref().expect("properties");
            assert_eq!(pr.get("DisplayName"), Some("Friends"));
        } else {
            assert_eq!(code(&p), StatusCode::SUCCESS, "{v:?}: {p:?}");
        }
        let p = create(&mut alice, id, &[], None).await;
        assert_eq!(code(&p), StatusCode::CONTACT_LIST_ALREADY_EXISTS, "{v:?}");

        let r = get_list(&mut alice).await;
        assert_eq!(r.contact_lists(), vec![id], "{v:?}");
        assert_eq!(r.default_contact_list.as_deref(), Some(id), "{v:?}");

        // Android's ListManage: add, remove and change properties in one request.
        let p = manage(
            &mut alice,
            ListManageRequest {
                contact_list: id.into(),
                add_nick_list: Some(AddNickList {
                    nick_name: vec![nick("Carol", "carol")],
                    ..Default::default()
                }),
                remove_nick_list: Some(RemoveNickList {
                    user_id: vec![uid("bob")],
                }),
                contact_list_properties: Some(props(Some("Best friends"), None)),
                receive_list: (v.version >= CspVersion::V1_2).then_some(true),
                ..Default::default()
            },
        )
        .await;
        let Primitive::ListManageResponse(r) = p else {
            panic!("{v:?}: ListManage-Response expected, got {p:?}");
        };
        assert_eq!(r.result.code, StatusCode::SUCCESS, "{v:?}");
        assert_eq!(members(&r), vec![(uid("carol"), Some("Carol".into()))]);
        let pr = r.contact_list_properties.expect("ContactListProperties");
        assert_eq!(pr.get("DisplayName"), Some("Best friends"), "{v:?}");
        assert_eq!(pr.get("Default"), Some("T"), "{v:?}");

        // Renaming a nick keeps the member.
        let p = manage(
            &mut alice,
            ListManageRequest {
                contact_list: id.into(),
                add_nick_list: Some(AddNickList {
                    nick_name: vec![nick("Caz", "wv:CAROL@localhost")],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(code(&p), StatusCode::SUCCESS);
        let r = receive_list(&mut alice, id).await;
        assert_eq!(members(&r), vec![(uid("carol"), Some("Caz".into()))]);

        // An unknown contact: partial success naming it.
        let p = manage(
            &mut alice,
            ListManageRequest {
                contact_list: id.into(),
                add_nick_list: Some(AddNickList {
                    nick_name: vec![nick("M", "mallory"), nick("Bob", "bob")],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        let Primitive::ListManageResponse(r) = p else {
            panic!("{p:?}")
        };
        assert_eq!(r.result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(r.result.detailed[0].code, StatusCode::UNKNOWN_USER);
        assert_eq!(r.result.detailed[0].user_id, vec!["mallory".to_owned()]);

        let p = alice
            .request(Primitive::DeleteListRequest(DeleteListRequest {
                contact_list: id.into(),
            }))
            .await
            .expect("DeleteList");
        assert_eq!(code(&p), StatusCode::SUCCESS, "{v:?}");
        let p = alice
            .request(Primitive::DeleteListRequest(DeleteListRequest {
                contact_list: id.into(),
            }))
            .await
            .expect("DeleteList");
        assert_eq!(code(&p), StatusCode::CONTACT_LIST_DOES_NOT_EXIST, "{v:?}");
        let p = manage(
            &mut alice,
            ListManageRequest {
                contact_list: id.into(),
                receive_list: Some(true),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(code(&p), StatusCode::CONTACT_LIST_DOES_NOT_EXIST, "{v:?}");
        let r = get_list(&mut alice).await;
        assert!(r.contact_lists().is_empty(), "{v:?}");
        assert_eq!(r.default_contact_list, None);
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn only_one_default_list() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
    let a = "wv:alice/a@localhost";
    let b = "wv:alice/b@localhost";
    create(&mut alice, a, &[], Some(props(None, Some(true)))).await;
    create(&mut alice, b, &[], None).await;
    assert_eq!(
        get_list(&mut alice).await.default_contact_list.as_deref(),
        Some(a)
    );
    let p = manage(
        &mut alice,
        ListManageRequest {
            contact_list: b.into(),
            contact_list_properties: Some(props(None, Some(true))),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(code(&p), StatusCode::SUCCESS);
    assert_eq!(
        get_list(&mut alice).await.default_contact_list.as_deref(),
        Some(b)
    );
    let r = receive_list(&mut alice, a).await;
    assert_eq!(
        r.contact_list_properties
            .expect("properties")
            .get("Default"),
        Some("F")
    );
}

#[tokio::test]
async fn suggested_list_names_match_case_insensitively() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = create(
            &mut alice,
            "~pep1.0_privatelist",
            &[nick("Bob", "bob")],
            None,
        )
        .await;
        assert_eq!(code(&p), StatusCode::SUCCESS, "{v:?}: {p:?}");
        for spelling in [
            "~PEP1.0_privatelist",
            "wv:alice/~PEP1.0_PrivateList@localhost",
            "WV:Alice/~pep1.0_privatelist@LOCALHOST",
        ] {
            let r = receive_list(&mut alice, spelling).await;
            assert_eq!(
                members(&r),
                vec![(uid("bob"), Some("Bob".into()))],
                "{spelling}"
            );
        }
        let p = create(&mut alice, "~PEP1.0_PRIVATELIST", &[], None).await;
        assert_eq!(code(&p), StatusCode::CONTACT_LIST_ALREADY_EXISTS, "{v:?}");
        let r = get_list(&mut alice).await;
        assert_eq!(
            r.contact_lists(),
            vec!["wv:alice/~pep1.0_privatelist@localhost"],
            "{v:?}: one list"
        );
        let p = alice
            .request(Primitive::DeleteListRequest(DeleteListRequest {
                contact_list: "~Pep1.0_PrivateList".into(),
            }))
            .await
            .expect("DeleteList");
        assert_eq!(code(&p), StatusCode::SUCCESS, "{v:?}");
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn limits_753_and_754() {
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.max_contact_lists = 2;
        s.engine.max_list_members = 1;
    })
    .await
    .expect("server");
    for v in [Variant::V11_XML, Variant::V12_WBXML, Variant::V13_XML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        assert_eq!(
            code(&create(&mut alice, "one", &[], None).await),
            StatusCode::SUCCESS
        );
        assert_eq!(
            code(&create(&mut alice, "two", &[], None).await),
            StatusCode::SUCCESS
        );
        let p = create(&mut alice, "three", &[], None).await;
        assert_eq!(code(&p), StatusCode::MAX_CONTACT_LISTS, "{v:?}");
        let p = manage(
            &mut alice,
            ListManageRequest {
                contact_list: "one".into(),
                add_nick_list: Some(AddNickList {
                    nick_name: vec![nick("Bob", "bob"), nick("Carol", "carol")],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(code(&p), StatusCode::MAX_CONTACTS, "{v:?}: {p:?}");
        let p = create(&mut alice, "two", &[], None).await;
        assert_eq!(code(&p), StatusCode::CONTACT_LIST_ALREADY_EXISTS);
        for l in ["one", "two"] {
            let p = alice
                .request(Primitive::DeleteListRequest(DeleteListRequest {
                    contact_list: l.into(),
                }))
                .await
                .expect("DeleteList");
            assert_eq!(code(&p), StatusCode::SUCCESS);
        }
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn lists_survive_a_restart() {
    let mut ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    let v = Variant::V13_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    create(
        &mut alice,
        "friends",
        &[nick("Bob", "bob"), nick("Carol", "carol")],
        Some(props(Some("My friends"), Some(true))),
    )
    .await;
    create(&mut alice, "~pep1.0_blocklist", &[], None).await;
    ts.restart().await.expect("restart");
    for v in [Variant::V11_WBXML, Variant::V12_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice after restart");
        let r = get_list(&mut alice).await;
        let mut ids = r.contact_lists();
        ids.sort_unstable();
        assert_eq!(
            ids,
            vec![
                "wv:alice/friends@localhost",
                "wv:alice/~pep1.0_blocklist@localhost"
            ],
            "{v:?}"
        );
        assert_eq!(
            r.default_contact_list.as_deref(),
            Some("wv:alice/friends@localhost")
        );
        let r = receive_list(&mut alice, "friends").await;
        assert_eq!(
            members(&r),
            vec![
                (uid("bob"), Some("Bob".into())),
                (uid("carol"), Some("Carol".into()))
            ]
        );
        let pr = r.contact_list_properties.expect("properties");
        assert_eq!(pr.get("DisplayName"), Some("My friends"));
        assert_eq!(pr.get("Default"), Some("T"));
        alice.logout().await.expect("logout");
    }
}
