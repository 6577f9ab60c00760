//! 1.3 notifications over real HTTP against the real server: a session that asked
//! (SubscribeNotification) is told, with Notification-Request, of what the user's other
//! sessions change — contact lists created, changed, deleted, the block list and its use, the
//! public profile, groups made and deleted; the session that made the change is not; after
//! UnsubscribeNotification nothing comes.

use std::time::Duration;

use imps_client::Client;
use imps_csp::model::common::{NickName, Property};
use imps_csp::model::group::{CreateGroupRequest, DeleteGroupRequest};
use imps_csp::model::im::{AddList, BlockEntityRequest, BlockList};
use imps_csp::model::presence::AddNickList;
use imps_csp::model::presence::{CreateListRequest, DeleteListRequest, ListManageRequest};
use imps_csp::model::v13::{
    NotificationRequest, NotificationTypeList, PublicProfile, SubscribeNotificationRequest,
    UnsubscribeNotificationRequest, UpdatePublicProfileRequest,
};
use imps_csp::{Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

fn ok(p: &Primitive) {
    let code = match p {
        Primitive::Status(s) => s.result.code,
        Primitive::CreateListResponse(_) => StatusCode::SUCCESS,
        Primitive::ListManageResponse(r) => r.result.code,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(code, StatusCode::SUCCESS, "{p:?}");
}

/// What arrives for `c` within a short while: the Notification-Requests.
async fn notices(c: &mut Client) -> Vec<NotificationRequest> {
    let mut out = Vec::new();
    let mut next = None;
    let until = std::time::Instant::now() + Duration::from_millis(600);
    while std::time::Instant::now() < until {
        let r = match next.take() {
            Some(r) => Some(r),
            None => c.poll().await.expect("poll"),
        };
        let Some(r) = r else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if let Primitive::NotificationRequest(n) = &r.primitive {
            out.push((**n).clone());
        }
        next = c.acknowledge(&r).await.expect("ack");
    }
    out
}

fn list(types: &[&str]) -> Option<NotificationTypeList> {
    Some(NotificationTypeList {
        notification_type: types.iter().map(|t| (*t).to_owned()).collect(),
    })
}

#[tokio::test]
async fn other_sessions_are_told_what_one_changed() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let v = Variant::V13_WBXML;
    let mut phone = ts.client("alice", v).await.expect("phone");
    let mut desk = ts.client("alice", Variant::V13_XML).await.expect("desk");
    let p = desk
        .request(Primitive::from(SubscribeNotificationRequest {
            notification_type_list: list(&["CLCR", "clc", "CLD", "BLC", "BLUC", "PPU", "GC", "GD"]),
        }))
        .await
        .expect("subscribe");
    ok(&p);
    let bad = desk
        .request(Primitive::from(SubscribeNotificationRequest {
            notification_type_list: list(&["<oops>"]),
        }))
        .await
        .expect("subscribe");
    assert!(
        matches!(&bad, Primitive::Status(s) if s.result.code == StatusCode::BAD_PARAMETER),
        "{bad:?}"
    );
    // The desk subscribes to the phone's changes (its own answer needs nothing else).
    let _ = notices(&mut desk).await;

    ok(&phone
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "friends".into(),
            ..Default::default()
        }))
        .await
        .expect("create"));
    ok(&phone
        .request(Primitive::from(ListManageRequest {
            contact_list: "friends".into(),
            add_nick_list: Some(AddNickList {
                nick_name: vec![NickName {
                    name: Some("Bob".into()),
                    user_id: "bob".into(),
                }],
                ..Default::default()
            }),
            receive_list: Some(false),
            ..Default::default()
        }))
        .await
        .expect("manage"));
    ok(&phone
        .request(Primitive::DeleteListRequest(DeleteListRequest {
            contact_list: "friends".into(),
        }))
        .await
        .expect("delete"));
    ok(&phone
        .request(Primitive::from(BlockEntityRequest {
            block_list: Some(BlockList {
                add_list: Some(AddList {
                    user_id: vec!["bob".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            block_list_in_use: Some(true),
            ..Default::default()
        }))
        .await
        .expect("block"));
    ok(&phone
        .request(Primitive::from(UpdatePublicProfileRequest {
            clear_public_profile: None,
            public_profile: Some(PublicProfile {
                user_id: None,
                property: vec![Property::new("PP_CITY", "Oslo")],
            }),
        }))
        .await
        .expect("profile"));
    let group = "wv:alice/club@localhost";
    ok(&phone
        .request(Primitive::from(CreateGroupRequest {
            group_id: group.into(),
            ..Default::default()
        }))
        .await
        .expect("group"));
    ok(&phone
        .request(Primitive::from(DeleteGroupRequest {
            group_id: group.into(),
        }))
        .await
        .expect("delete group"));

    let got = notices(&mut desk).await;
    let kinds: Vec<&str> = got
        .iter()
        .filter_map(|n| n.notification_type.as_deref())
        .collect();
    assert_eq!(
        kinds,
        ["CLCR", "CLC", "CLD", "BLC", "BLUC", "PPU", "GC", "GD"],
        "{got:?}"
    );
    let lists = |n: &NotificationRequest| n.contact_list_id_list.clone().map(|l| l.contact_list);
    assert_eq!(
        lists(&got[0]),
        Some(vec!["wv:alice/friends@localhost".to_owned()])
    );
    assert_eq!(got[4].block_list_in_use, Some(true));
    assert_eq!(got[6].group_id.as_deref(), Some(group));
    // The session that made the changes is not told of them.
    assert!(notices(&mut phone).await.is_empty());

    // Unsubscribed from everything: nothing comes.
    ok(&desk
        .request(Primitive::from(UnsubscribeNotificationRequest {
            notification_type_list: None,
        }))
        .await
        .expect("unsubscribe"));
    ok(&phone
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "work".into(),
            ..Default::default()
        }))
        .await
        .expect("create"));
    assert!(notices(&mut desk).await.is_empty());
}

/// Extended-Request (1.2+): no vendor extension is implemented, so each gets 501, and the
/// session goes on.
#[tokio::test]
async fn an_unknown_extension_gets_501() {
    use imps_csp::model::common::AnyElement;
    use imps_csp::model::fundamental::ExtendedRequest;
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in [Variant::V12_WBXML, Variant::V13_XML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = alice
            .request(Primitive::ExtendedRequest(ExtendedRequest {
                text: String::new(),
                children: vec![AnyElement {
                    name: "ExtendedData".into(),
                    text: "op=ping".into(),
                    children: Vec::new(),
                }],
            }))
            .await
            .expect("Extended");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::NOT_IMPLEMENTED),
            "{v:?}: {p:?}"
        );
        alice.logout().await.expect("the session goes on");
    }
}
