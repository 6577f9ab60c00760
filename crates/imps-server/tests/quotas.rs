//! Quotas on what a logged-in user can grow: messages per second, one sender's share of a
//! recipient's inbox, fan-out bytes per SendMessage, presentities per GetPresence, the size of
//! a stored presence, reactive-authorisation entries (existing users only) and AutoSubscribe
//! lists (existing lists only). Each refusal is a CSP status a client understands.

use std::time::Duration;

use imps_csp::codec::ContentData;
use imps_csp::model::attributes::{PresenceSubList, TextAttribute};
use imps_csp::model::common::User;
use imps_csp::model::common::{NickList, NickName, Recipient};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::model::presence::{
    CancelAuthRequest, CreateListRequest, GetPresenceRequest, SubscribePresenceRequest,
    UpdatePresenceRequest,
};
use imps_csp::{Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

fn code(p: &Primitive) -> StatusCode {
    match p {
        Primitive::Status(s) => s.result.code,
        Primitive::SendMessageResponse(r) => r.result.code,
        Primitive::GetPresenceResponse(_) => StatusCode::SUCCESS,
        other => panic!("unexpected {other:?}"),
    }
}

fn message(to: &[&str], text: &str) -> Primitive {
    Primitive::SendMessageRequest(SendMessageRequest {
        delivery_report: Some(false),
        message_info: MessageInfo {
            content_type: Some("text/plain".into()),
            recipient: Some(Recipient {
                user: to.iter().map(|u| User::new(*u)).collect(),
                ..Default::default()
            }),
            ..Default::default()
        },
        content_data: Some(ContentData::Text(text.into())),
    })
}

#[tokio::test]
async fn messages_per_second_per_user_are_bounded() {
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.messages_burst = 3.0;
        s.engine.messages_per_second = 0.0;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let mut carol = ts.client("carol", Variant::V12_XML).await.expect("carol");
    let mut codes = Vec::new();
    for i in 0..5 {
        codes.push(
            code(
                &alice
                    .request(message(&["bob"], &format!("m{i}")))
                    .await
                    .expect("send"),
            )
            .0,
        );
    }
    assert_eq!(codes, [200, 200, 200, 503, 503]);
    assert_eq!(
        code(&carol.request(message(&["bob"], "hi")).await.expect("send")),
        StatusCode::SUCCESS,
        "another sender is not slowed"
    );
}

#[tokio::test]
async fn one_sender_cannot_fill_a_victims_inbox() {
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.max_inbox_per_sender = 2;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
    let mut codes = Vec::new();
    for i in 0..3 {
        codes.push(
            code(
                &alice
                    .request(message(&["bob"], &format!("m{i}")))
                    .await
                    .expect("send"),
            )
            .0,
        );
    }
    assert_eq!(codes, [200, 200, 507], "bob is offline: alice's share is 2");
    let mut carol = ts.client("carol", Variant::V12_XML).await.expect("carol");
    assert_eq!(
        code(
            &carol
                .request(message(&["bob"], "me too"))
                .await
                .expect("send")
        ),
        StatusCode::SUCCESS,
        "others still reach bob"
    );
}

#[tokio::test]
async fn fan_out_and_presence_targets_are_bounded() {
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.max_fanout_bytes = 1000;
        s.engine.max_presence_targets = 2;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V13_XML).await.expect("alice");
    let text = "x".repeat(600);
    assert_eq!(
        code(
            &alice
                .request(message(&["bob", "carol"], &text))
                .await
                .expect("send")
        ),
        StatusCode::BAD_PARAMETER,
        "600 bytes to two recipients is over 1000"
    );
    assert_eq!(
        code(&alice.request(message(&["bob"], &text)).await.expect("send")),
        StatusCode::SUCCESS
    );
    let ask = |who: &[&str]| {
        Primitive::from(GetPresenceRequest {
            user_id_list: Some(imps_csp::model::group::UserIdList {
                user_id: who.iter().map(|u| format!("wv:{u}@localhost")).collect(),
            }),
            ..Default::default()
        })
    };
    assert_eq!(
        code(
            &alice
                .request(ask(&["alice", "bob", "carol"]))
                .await
                .expect("get")
        ),
        StatusCode::BAD_PARAMETER
    );
    assert_eq!(
        code(&alice.request(ask(&["bob", "carol"])).await.expect("get")),
        StatusCode::SUCCESS
    );
}

#[tokio::test]
async fn a_stored_presence_has_a_size_limit() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.engine.max_presence_bytes = 2048;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let status = |text: String| {
        Primitive::from(UpdatePresenceRequest {
            presence_sub_list: PresenceSubList {
                status_text: Some(TextAttribute {
                    qualifier: Some(true),
                    presence_value: Some(text),
                }),
                ..Default::default()
            },
        })
    };
    assert_eq!(
        code(
            &alice
                .request(status("x".repeat(5000)))
                .await
                .expect("update")
        ),
        StatusCode::BAD_PARAMETER
    );
    assert_eq!(
        code(
            &alice
                .request(status("at lunch".into()))
                .await
                .expect("update")
        ),
        StatusCode::SUCCESS
    );
}

#[tokio::test]
async fn authorisations_and_auto_subscriptions_name_what_exists() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let p = alice
        .request(Primitive::CancelAuthRequest(CancelAuthRequest {
            user_id: "wv:nobody-at-all@localhost".into(),
        }))
        .await
        .expect("cancel");
    assert_eq!(
        code(&p),
        StatusCode::UNKNOWN_USER,
        "no entry for a made-up user"
    );
    // AutoSubscribe to a list that does not exist registers nothing: creating it later
    // subscribes nobody.
    let p = alice
        .request(Primitive::from(SubscribePresenceRequest {
            contact_list: vec!["later".into()],
            auto_subscribe: Some(true),
            ..Default::default()
        }))
        .await
        .expect("subscribe");
    assert_ne!(code(&p), StatusCode::SUCCESS, "the list does not exist");
    let p = alice
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "later".into(),
            nick_list: Some(NickList {
                nick_name: vec![NickName {
                    user_id: "wv:bob@localhost".into(),
                    name: None,
                }],
            }),
            ..Default::default()
        }))
        .await
        .expect("create");
    assert_eq!(code(&p), StatusCode::SUCCESS);
    let got = alice
        .wait_for(Duration::from_secs(2), |p| {
            matches!(p, Primitive::PresenceNotificationRequest(_))
        })
        .await;
    assert!(
        got.is_err(),
        "no subscription came of the missing list: {got:?}"
    );
}

/// Invitations and searches take from the same bucket as messages: a flood of either gets 503
/// once the burst is spent, and nobody else is slowed.
#[tokio::test]
async fn invitations_and_searches_are_bounded_like_messages() {
    use imps_csp::model::fundamental::{InviteRequest, SearchPairList, SearchRequest};
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.messages_burst = 2.0;
        s.engine.messages_per_second = 0.0;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let mut codes = Vec::new();
    for i in 0..3 {
        let p = alice
            .request(Primitive::from(InviteRequest {
                invite_id: format!("i{i}"),
                invite_type: Some("IM".into()),
                recipient: Recipient {
                    user: vec![User::new("bob")],
                    ..Default::default()
                },
                ..Default::default()
            }))
            .await
            .expect("invite");
        codes.push(code(&p).0);
    }
    assert_eq!(codes, [200, 200, 503]);
    let mut carol = ts.client("carol", Variant::V12_XML).await.expect("carol");
    let search = || {
        Primitive::from(SearchRequest {
            search_pair_list: vec![SearchPairList::new("USER_ID", "alice")],
            ..Default::default()
        })
    };
    let mut codes = Vec::new();
    for _ in 0..3 {
        let p = carol.request(search()).await.expect("search");
        codes.push(match p {
            Primitive::SearchResponse(_) => 200,
            other => code(&other).0,
        });
    }
    assert_eq!(codes, [200, 200, 503]);
}

/// Joining a group (which notifies every subscribed member) takes from the message bucket: a
/// join-and-leave loop gets 503 once the burst is spent.
#[tokio::test]
async fn group_joins_are_bounded_like_messages() {
    use imps_csp::model::group::{CreateGroupRequest, JoinGroupRequest, LeaveGroupRequest};
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.messages_burst = 3.0;
        s.engine.messages_per_second = 0.0;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let group = "wv:alice/busy@localhost";
    let p = alice
        .request(Primitive::from(CreateGroupRequest {
            group_id: group.into(),
            ..Default::default()
        }))
        .await
        .expect("create");
    assert_eq!(code(&p), StatusCode::SUCCESS);
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let mut codes = Vec::new();
    for _ in 0..4 {
        let p = bob
            .request(Primitive::from(JoinGroupRequest {
                group_id: group.into(),
                subscribe_notification: Some(false),
                ..Default::default()
            }))
            .await
            .expect("join");
        codes.push(match p {
            Primitive::JoinGroupResponse(_) => 200,
            other => code(&other).0,
        });
        let _ = bob
            .request(Primitive::from(LeaveGroupRequest {
                group_id: group.into(),
            }))
            .await
            .expect("leave");
    }
    assert_eq!(codes, [200, 200, 200, 503]);
}
