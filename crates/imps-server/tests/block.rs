//! Scenario tests of block and grant lists over real HTTP against the real server, in every
//! version and encoding: GetBlockedList, BlockEntity (1.1/1.2 `InUse` inside the lists, 1.3
//! `BlockListInUse` / `GrantListInUse`), and what they do to message delivery.

use std::time::Duration;

use imps_client::Client;
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Recipient, User};
use imps_csp::model::im::{
    AddList, BlockEntityRequest, BlockList, EntityList, GetBlockedListRequest,
    GetBlockedListResponse, GrantList, MessageInfo, RemoveList, SendMessageRequest,
};
use imps_csp::{CspVersion, Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

const WAIT: Duration = Duration::from_secs(15);

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

fn v13(c: &Client) -> bool {
    c.version() >= CspVersion::V1_3
}

async fn blocked_list(c: &mut Client) -> GetBlockedListResponse {
    let p = c
        .request(Primitive::GetBlockedListRequest(GetBlockedListRequest {}))
        .await
        .expect("GetBlockedList");
    let Primitive::GetBlockedListResponse(r) = p else {
        panic!("GetBlockedList-Response expected, got {p:?}");
    };
    *r
}

/// (block in use, blocked ids, grant in use, granted ids), checking each flag sits where the
/// version wants it.
fn summary(r: &GetBlockedListResponse, v13: bool) -> (bool, Vec<String>, bool, Vec<String>) {
    let block = r.block_list.clone().unwrap_or_default();
    let grant = r.grant_list.clone().unwrap_or_default();
    let (block_in_use, grant_in_use) = if v13 {
        assert!(
            block.in_use.is_none() && grant.in_use.is_none(),
            "no InUse in 1.3"
        );
        (
            r.block_list_in_use.expect("BlockListInUse"),
            r.grant_list_in_use.expect("GrantListInUse"),
        )
    } else {
        assert!(r.block_list_in_use.is_none() && r.grant_list_in_use.is_none());
        (
            block.in_use.expect("BlockList/InUse"),
            grant.in_use.expect("GrantList/InUse"),
        )
    };
    let ids = |e: Option<EntityList>| e.map(|e| e.user_id).unwrap_or_default();
    (
        block_in_use,
        ids(block.entity_list),
        grant_in_use,
        ids(grant.entity_list),
    )
}

/// A BlockEntity-Request in the version's shape.
fn block_entity(
    v13: bool,
    block: Option<(Option<bool>, &[&str], &[&str])>,
    grant: Option<(Option<bool>, &[&str], &[&str])>,
) -> Primitive {
    let add = |ids: &[&str]| {
        (!ids.is_empty()).then(|| AddList {
            user_id: ids.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        })
    };
    let remove = |ids: &[&str]| {
        (!ids.is_empty()).then(|| RemoveList {
            user_id: ids.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        })
    };
    let mut req = BlockEntityRequest::default();
    if let Some((in_use, a, r)) = block {
        req.block_list = Some(BlockList {
            in_use: if v13 { None } else { in_use },
            add_list: add(a),
            remove_list: remove(r),
            ..Default::default()
        });
        if v13 {
            req.block_list_in_use = in_use;
        }
    }
    if let Some((in_use, a, r)) = grant {
        req.grant_list = Some(GrantList {
            in_use: if v13 { None } else { in_use },
            add_list: add(a),
            remove_list: remove(r),
            ..Default::default()
        });
        if v13 {
            req.grant_list_in_use = in_use;
        }
    }
    Primitive::from(req)
}

async fn apply(c: &mut Client, p: Primitive) {
    let answer = c.request(p).await.expect("BlockEntity");
    assert!(
        matches!(&answer, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{answer:?}"
    );
}

/// The code a SendMessage of `from` to `to` gets.
async fn send_code(from: &mut Client, to: &str, text: &str) -> StatusCode {
    let p = from
        .request(Primitive::SendMessageRequest(SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    user: vec![User::new(to)],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(text.into())),
        }))
        .await
        .expect("SendMessage");
    match p {
        Primitive::SendMessageResponse(r) => r.result.code,
        Primitive::Status(s) => s.result.code,
        other => panic!("unexpected answer {other:?}"),
    }
}

async fn receive_text(c: &mut Client) -> String {
    match c
        .wait_for(WAIT, |p| matches!(p, Primitive::NewMessage(_)))
        .await
        .expect("NewMessage")
    {
        Primitive::NewMessage(m) => match m.content_data {
            Some(ContentData::Text(t)) => t,
            other => panic!("{other:?}"),
        },
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn block_list_in_every_variant() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        let new = v13(&alice);
        let (b_on, blocked, g_on, granted) = summary(&blocked_list(&mut alice).await, new);
        assert!(
            !b_on && blocked.is_empty() && !g_on && granted.is_empty(),
            "{v:?}"
        );

        apply(
            &mut alice,
            block_entity(new, Some((Some(true), &["bob"], &[])), None),
        )
        .await;
        let (b_on, blocked, _, _) = summary(&blocked_list(&mut alice).await, new);
        assert!(b_on, "{v:?}");
        assert_eq!(blocked, vec![uid("bob")], "{v:?}");

        // bob is blocked: 532; carol still gets through.
        assert_eq!(
            send_code(&mut bob, "alice", "let me in").await,
            StatusCode::RECIPIENT_BLOCKED_SENDER,
            "{v:?}"
        );
        assert_eq!(
            send_code(&mut carol, "alice", "hi").await,
            StatusCode::SUCCESS
        );
        assert_eq!(receive_text(&mut alice).await, "hi");

        // A list not in use blocks nobody.
        apply(
            &mut alice,
            block_entity(new, Some((Some(false), &[], &[])), None),
        )
        .await;
        let (b_on, blocked, _, _) = summary(&blocked_list(&mut alice).await, new);
        assert!(!b_on && blocked == vec![uid("bob")], "{v:?}");
        assert_eq!(
            send_code(&mut bob, "alice", "one").await,
            StatusCode::SUCCESS
        );
        assert_eq!(receive_text(&mut alice).await, "one");

        // Back in use, then bob unblocked: delivery restored.
        apply(
            &mut alice,
            block_entity(new, Some((Some(true), &[], &[])), None),
        )
        .await;
        assert_eq!(
            send_code(&mut bob, "alice", "two").await,
            StatusCode::RECIPIENT_BLOCKED_SENDER
        );
        apply(
            &mut alice,
            block_entity(new, Some((None, &[], &["wv:bob@localhost"])), None),
        )
        .await;
        let (b_on, blocked, _, _) = summary(&blocked_list(&mut alice).await, new);
        assert!(b_on && blocked.is_empty(), "{v:?}");
        assert_eq!(
            send_code(&mut bob, "alice", "three").await,
            StatusCode::SUCCESS
        );
        assert_eq!(receive_text(&mut alice).await, "three", "{v:?}");

        // Reset for the next variant.
        apply(
            &mut alice,
            block_entity(new, Some((Some(false), &[], &[])), None),
        )
        .await;
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn grant_list_in_use_lets_only_granted_users_through() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        let new = v13(&alice);
        apply(
            &mut alice,
            block_entity(new, None, Some((Some(true), &["carol"], &[]))),
        )
        .await;
        let (_, _, g_on, granted) = summary(&blocked_list(&mut alice).await, new);
        assert!(g_on, "{v:?}");
        assert_eq!(granted, vec![uid("carol")]);
        assert_eq!(
            send_code(&mut bob, "alice", "no").await,
            StatusCode::RECIPIENT_BLOCKED_SENDER,
            "{v:?}"
        );
        assert_eq!(
            send_code(&mut carol, "alice", "yes").await,
            StatusCode::SUCCESS
        );
        assert_eq!(receive_text(&mut alice).await, "yes");
        // Granting bob too lets him through.
        apply(
            &mut alice,
            block_entity(new, None, Some((None, &["bob"], &[]))),
        )
        .await;
        assert_eq!(
            send_code(&mut bob, "alice", "now").await,
            StatusCode::SUCCESS
        );
        assert_eq!(receive_text(&mut alice).await, "now", "{v:?}");
        // Turning the grant list off and emptying it for the next variant.
        apply(
            &mut alice,
            block_entity(new, None, Some((Some(false), &[], &["bob", "carol"]))),
        )
        .await;
        let (_, _, g_on, granted) = summary(&blocked_list(&mut alice).await, new);
        assert!(!g_on && granted.is_empty(), "{v:?}");
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn block_list_survives_a_restart() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V11_WBXML).await.expect("alice");
    apply(
        &mut alice,
        block_entity(false, Some((Some(true), &["bob"], &[])), None),
    )
    .await;
    ts.restart().await.expect("restart");
    let mut alice = ts.client("alice", Variant::V13_XML).await.expect("alice");
    let (b_on, blocked, _, _) = summary(&blocked_list(&mut alice).await, true);
    assert!(b_on);
    assert_eq!(blocked, vec![uid("bob")]);
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    assert_eq!(
        send_code(&mut bob, "alice", "still blocked").await,
        StatusCode::RECIPIENT_BLOCKED_SENDER
    );
}

#[tokio::test]
async fn blocking_a_contact_list_blocks_its_members_in_1_3() {
    use imps_csp::model::common::{NickList, NickName};
    use imps_csp::model::presence::CreateListRequest;
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    let v = Variant::V13_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let mut carol = ts.client("carol", v).await.expect("carol");
    let p = alice
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "pests".into(),
            nick_list: Some(NickList {
                nick_name: vec![NickName {
                    name: None,
                    user_id: uid("bob"),
                }],
            }),
            contact_list_properties: None,
        }))
        .await
        .expect("CreateList");
    assert!(matches!(p, Primitive::CreateListResponse(_)), "{p:?}");
    apply(
        &mut alice,
        Primitive::from(BlockEntityRequest {
            block_list: Some(BlockList {
                add_list: Some(AddList {
                    contact_list: vec!["pests".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            block_list_in_use: Some(true),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(
        send_code(&mut bob, "alice", "let me in").await,
        StatusCode::RECIPIENT_BLOCKED_SENDER
    );
    assert_eq!(
        send_code(&mut carol, "alice", "hi").await,
        StatusCode::SUCCESS
    );
    let r = blocked_list(&mut alice).await;
    let listed = r
        .block_list
        .and_then(|b| b.entity_list)
        .expect("EntityList");
    assert_eq!(
        listed.contact_list,
        vec!["wv:alice/pests@localhost".to_owned()]
    );
    assert!(listed.user_id.is_empty());
}

#[tokio::test]
async fn block_and_grant_lists_are_bounded_and_hold_each_entry_once() {
    let ts = TestServer::start_with(&["alice", "bob", "carol", "dave"], |s| {
        s.engine.max_block_entries = 2;
    })
    .await
    .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let v13 = v13(&alice);
        // The same user named twice (and in two spellings) is one entry.
        apply(
            &mut alice,
            block_entity(
                v13,
                Some((Some(true), &["bob", "wv:BOB@localhost"], &[])),
                None,
            ),
        )
        .await;
        let (_, blocked, _, _) = summary(&blocked_list(&mut alice).await, v13);
        assert_eq!(blocked, vec![uid("bob")], "{v:?}");
        // Beyond the bound: 754, and nothing changes.
        for grant in [false, true] {
            let who: &[&str] = &["carol", "dave", "bob"];
            let p = if grant {
                block_entity(v13, None, Some((Some(false), who, &[])))
            } else {
                block_entity(v13, Some((Some(true), who, &[])), None)
            };
            let answer = alice.request(p).await.expect("BlockEntity");
            assert!(
                matches!(&answer, Primitive::Status(s) if s.result.code == StatusCode::MAX_CONTACTS),
                "{v:?} grant={grant}: {answer:?}"
            );
        }
        let (_, blocked, _, granted) = summary(&blocked_list(&mut alice).await, v13);
        assert_eq!(blocked, vec![uid("bob")], "{v:?}");
        assert!(granted.is_empty(), "{v:?}");
        apply(
            &mut alice,
            block_entity(v13, Some((Some(false), &[], &["bob"])), None),
        )
        .await;
        alice.logout().await.expect("logout");
    }
}
