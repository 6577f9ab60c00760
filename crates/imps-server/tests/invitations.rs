//! Scenario tests of invitations over real HTTP against the real server, in every version and
//! encoding: Invite-Request, InviteUser-Request to the invitee (now, or at its next login, also
//! after a restart), InviteUser-Response (as a request, as Android sends it, or as the response
//! to the InviteUser-Request), Invite-Response to the inviter, CancelInvite-Request and
//! CancelInviteUser-Request, and the refusals (423, 531, 532, 201).

use std::time::Duration;

use imps_client::Client;
use imps_csp::model::common::{Recipient, Sender, User};
use imps_csp::model::fundamental::{CancelInviteRequest, InviteRequest, InviteUserResponse};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

const WAIT: Duration = Duration::from_secs(15);

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

fn code(p: &Primitive) -> (StatusCode, Vec<String>) {
    match p {
        Primitive::Status(s) => (
            s.result.code,
            s.result
                .detailed
                .iter()
                .flat_map(|d| d.user_id.clone())
                .collect(),
        ),
        other => panic!("Status expected: {other:?}"),
    }
}

async fn invite(c: &mut Client, id: &str, to: &[&str], note: &str) -> (StatusCode, Vec<String>) {
    let p = c
        .request(Primitive::from(InviteRequest {
            invite_id: id.into(),
            invite_type: Some("IM".into()),
            recipient: Recipient {
                user: to.iter().map(|u| User::new(*u)).collect(),
                ..Default::default()
            },
            invite_note: Some(note.into()),
            validity: Some(600),
            ..Default::default()
        }))
        .await
        .expect("Invite");
    code(&p)
}

fn answer_of(v: CspVersion, id: &str, inviter: &str, yes: bool) -> InviteUserResponse {
    InviteUserResponse {
        invite_id: id.into(),
        acceptance: Some(yes),
        // 1.1 has no Sender: the server finds the invitation by its id.
        sender: (v >= CspVersion::V1_2).then(|| Sender {
            user: Some(User::new(uid(inviter))),
            group: None,
        }),
        response_note: Some(if yes { "gladly" } else { "no thanks" }.into()),
        ..Default::default()
    }
}

async fn answer(c: &mut Client, id: &str, inviter: &str, yes: bool) -> StatusCode {
    let v = c.version();
    let p = c
        .request(Primitive::from(answer_of(v, id, inviter, yes)))
        .await
        .expect("InviteUser-Response");
    code(&p).0
}

async fn next(c: &mut Client, want: fn(&Primitive) -> bool) -> Primitive {
    c.wait_for(WAIT, want).await.expect("server request")
}

#[tokio::test]
async fn invitations_in_every_variant() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for (i, v) in Variant::ALL.into_iter().enumerate() {
        let ctx = format!("{v:?}");
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let id = format!("inv{i}");

        // bob is invited; the invitation names alice, carries the note and what is left of
        // its validity.
        assert_eq!(
            invite(&mut alice, &id, &["bob"], "chat?").await,
            (StatusCode::SUCCESS, vec![]),
            "{ctx}"
        );
        let p = next(&mut bob, |p| matches!(p, Primitive::InviteUserRequest(_))).await;
        let Primitive::InviteUserRequest(r) = p else {
            unreachable!()
        };
        assert_eq!(r.invite_id, id);
        assert_eq!(r.invite_type.as_deref(), Some("IM"));
        assert_eq!(r.invite_note.as_deref(), Some("chat?"));
        let from = r
            .sender
            .as_ref()
            .and_then(|s| s.user.as_ref())
            .map(|u| u.user_id.clone());
        assert_eq!(from, Some(uid("alice")), "{ctx}");
        assert!(
            r.validity.is_some_and(|s| s <= 600 && s > 500),
            "{ctx}: {:?}",
            r.validity
        );
        if v.version >= CspVersion::V1_3 {
            let to = r
                .recipient
                .as_ref()
                .and_then(|rc| rc.user.first())
                .map(|u| u.user_id.clone());
            assert_eq!(to, Some(uid("bob")), "1.3 names the invitee");
        }

        // bob accepts; alice hears it, with his note.
        assert_eq!(
            answer(&mut bob, &id, "alice", true).await,
            StatusCode::SUCCESS,
            "{ctx}"
        );
        let p = next(&mut alice, |p| matches!(p, Primitive::InviteResponse(_))).await;
        let Primitive::InviteResponse(r) = p else {
            unreachable!()
        };
        assert_eq!(
            (r.invite_id.as_str(), r.acceptance),
            (id.as_str(), Some(true)),
            "{ctx}"
        );
        assert_eq!(r.response_note.as_deref(), Some("gladly"));
        let by = r.sender.and_then(|s| s.user).map(|u| u.user_id);
        assert_eq!(by, Some(uid("bob")), "{ctx}");
        // Answered once only.
        assert_eq!(
            answer(&mut bob, &id, "alice", false).await,
            StatusCode::INVALID_INVITATION_ID,
            "{ctx}"
        );

        // Nobody by that name: 531; one of two unknown: 201 naming it.
        assert_eq!(
            invite(&mut alice, "x", &["ghost"], "?").await.0,
            StatusCode::UNKNOWN_USER,
            "{ctx}"
        );
        let (c, who) = invite(&mut alice, &format!("{id}b"), &["bob", "ghost"], "?").await;
        assert_eq!(
            (c, who),
            (StatusCode::PARTIALLY_SUCCESSFUL, vec![uid("ghost")]),
            "{ctx}"
        );
        let _ = next(&mut bob, |p| matches!(p, Primitive::InviteUserRequest(_))).await;

        // Cancelled: bob is told, and can no longer answer it.
        let cancel = Primitive::from(CancelInviteRequest {
            invite_id: format!("{id}b"),
            invite_note: Some("never mind".into()),
            ..Default::default()
        });
        assert_eq!(
            code(&alice.request(cancel.clone()).await.expect("cancel")).0,
            StatusCode::SUCCESS
        );
        let p = next(&mut bob, |p| {
            matches!(p, Primitive::CancelInviteUserRequest(_))
        })
        .await;
        let Primitive::CancelInviteUserRequest(r) = p else {
            unreachable!()
        };
        assert_eq!(r.invite_id, format!("{id}b"));
        assert_eq!(
            r.sender.and_then(|s| s.user).map(|u| u.user_id),
            Some(uid("alice")),
            "{ctx}"
        );
        assert_eq!(
            answer(&mut bob, &format!("{id}b"), "alice", true).await,
            StatusCode::INVALID_INVITATION_ID
        );
        // An InviteID alice never sent (or cancelled already): 423.
        assert_eq!(
            code(&alice.request(cancel).await.expect("cancel")).0,
            StatusCode::INVALID_INVITATION_ID,
            "{ctx}"
        );
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn an_offline_invitee_gets_the_invitation_at_login_even_after_a_restart() {
    let mut ts = TestServer::start(&["alice", "carol"])
        .await
        .expect("server");
    let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
    assert_eq!(
        invite(&mut alice, "later", &["carol"], "when you are back")
            .await
            .0,
        StatusCode::SUCCESS
    );
    drop(alice);
    ts.restart().await.expect("restart");
    let mut carol = ts.client("carol", Variant::V13_XML).await.expect("carol");
    let p = next(&mut carol, |p| matches!(p, Primitive::InviteUserRequest(_))).await;
    let Primitive::InviteUserRequest(r) = p else {
        unreachable!()
    };
    assert_eq!(
        (r.invite_id.as_str(), r.invite_note.as_deref()),
        ("later", Some("when you are back"))
    );

    // Answered in Response mode, to the InviteUser-Request's transaction: understood too.
    let mut alice = ts
        .client("alice", Variant::V12_WBXML)
        .await
        .expect("alice again");
    let m = WvCspMessage::new(
        CspVersion::V1_3,
        carol.session_id.clone(),
        TransactionMode::Response,
        Some("s9".into()),
        Primitive::from(answer_of(CspVersion::V1_3, "later", "alice", false)),
    );
    carol.exchange(&m).await.expect("answer");
    let p = next(&mut alice, |p| matches!(p, Primitive::InviteResponse(_))).await;
    let Primitive::InviteResponse(r) = p else {
        unreachable!()
    };
    assert_eq!((r.invite_id.as_str(), r.acceptance), ("later", Some(false)));
}

#[tokio::test]
async fn a_user_who_blocks_the_inviter_is_not_invited() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let v = Variant::V12_XML;
    let mut bob = ts.client("bob", v).await.expect("bob");
    let p = bob
        .request(Primitive::from(imps_csp::model::im::BlockEntityRequest {
            block_list: Some(imps_csp::model::im::BlockList {
                in_use: Some(true),
                add_list: Some(imps_csp::model::im::AddList {
                    user_id: vec![uid("alice")],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .await
        .expect("block");
    assert_eq!(code(&p).0, StatusCode::SUCCESS);
    let mut alice = ts.client("alice", v).await.expect("alice");
    assert_eq!(
        invite(&mut alice, "i", &["bob"], "hi").await.0,
        StatusCode::RECIPIENT_BLOCKED_SENDER
    );
}

/// VerifyID (1.2+): which of the identifiers named exist, each kind reported with its code.
#[tokio::test]
async fn verify_id_names_what_does_not_exist() {
    use imps_csp::model::common::ScreenName;
    use imps_csp::model::fundamental::{IdList, VerifyIdRequest};
    use imps_csp::model::group::{CreateGroupRequest, GroupProperties};
    use imps_csp::model::presence::CreateListRequest;
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for (i, v) in [
        Variant::V12_XML,
        Variant::V12_WBXML,
        Variant::V13_XML,
        Variant::V13_WBXML,
    ]
    .into_iter()
    .enumerate()
    {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = alice
            .request(Primitive::CreateListRequest(CreateListRequest {
                contact_list: "friends".into(),
                ..Default::default()
            }))
            .await
            .expect("CreateList");
        assert!(
            matches!(p, Primitive::Status(_) | Primitive::CreateListResponse(_)),
            "{p:?}"
        );
        let group = &format!("wv:alice/club{i}@localhost");
        let p = alice
            .request(Primitive::from(CreateGroupRequest {
                group_id: group.into(),
                group_properties: GroupProperties::default(),
                join_group: Some(true),
                screen_name: Some(ScreenName {
                    sname: "Al".into(),
                    group_id: group.into(),
                }),
                ..Default::default()
            }))
            .await
            .expect("CreateGroup");
        assert_eq!(code(&p).0, StatusCode::SUCCESS, "{p:?}");
        let sn = |s: &str| ScreenName {
            sname: s.into(),
            group_id: group.into(),
        };
        let verify = |ids: IdList| Primitive::from(VerifyIdRequest { id_list: Some(ids) });
        let all_good = IdList {
            user_id: vec!["bob".into()],
            contact_list: vec!["friends".into()],
            group_id: vec![group.into()],
            screen_name: vec![sn("al")],
            domain: vec!["localhost".into()],
        };
        let p = alice.request(verify(all_good)).await.expect("VerifyID");
        assert_eq!(code(&p).0, StatusCode::SUCCESS, "{v:?}: {p:?}");
        let mixed = IdList {
            user_id: vec!["bob".into(), "ghost".into()],
            contact_list: vec!["friends".into(), "nolist".into()],
            group_id: vec![group.into(), "wv:alice/none@localhost".into()],
            screen_name: vec![sn("Al"), sn("Zed")],
            domain: vec!["localhost".into(), "elsewhere.org".into()],
        };
        let p = alice.request(verify(mixed)).await.expect("VerifyID");
        let Primitive::Status(s) = p else {
            panic!("Status expected: {p:?}")
        };
        assert_eq!(s.result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        let of = |c: StatusCode| {
            s.result
                .detailed
                .iter()
                .find(|d| d.code == c)
                .cloned()
                .unwrap_or_else(|| panic!("{v:?}: no {c:?} in {s:?}"))
        };
        assert_eq!(of(StatusCode::UNKNOWN_USER).user_id, vec!["ghost"]);
        assert_eq!(
            of(StatusCode::CONTACT_LIST_DOES_NOT_EXIST).contact_list,
            vec!["nolist"]
        );
        assert_eq!(
            of(StatusCode::GROUP_DOES_NOT_EXIST).group_id,
            vec!["wv:alice/none@localhost"]
        );
        assert_eq!(of(StatusCode::NOT_JOINED).screen_name, vec![sn("Zed")]);
        assert_eq!(
            of(StatusCode::DOMAIN_NOT_SUPPORTED).domain,
            vec!["elsewhere.org"]
        );
        alice.logout().await.expect("logout");
    }
}

/// Every invitee keeps a copy of an invitation: one larger than a message may be, or whose
/// copies together are larger than a message's fan-out may be, is refused (402) and nobody is
/// invited.
#[tokio::test]
async fn an_oversized_invitation_is_refused() {
    let ts = TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.engine.max_message_bytes = 2048;
        s.engine.max_fanout_bytes = 3000;
    })
    .await
    .expect("server");
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let big = "n".repeat(3000);
    assert_eq!(
        invite(&mut alice, "big", &["bob"], &big).await.0,
        StatusCode::BAD_PARAMETER
    );
    let mid = "n".repeat(1500);
    assert_eq!(
        invite(&mut alice, "wide", &["bob", "carol"], &mid).await.0,
        StatusCode::BAD_PARAMETER,
        "two copies are more than the fan-out allows"
    );
    assert_eq!(
        invite(&mut alice, "ok", &["bob"], &mid).await.0,
        StatusCode::SUCCESS
    );
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let p = next(&mut bob, |p| matches!(p, Primitive::InviteUserRequest(_))).await;
    let Primitive::InviteUserRequest(r) = p else {
        unreachable!()
    };
    assert_eq!(r.invite_id, "ok", "only the one that fits");
}

/// A group invitation (InviteType GR).
async fn invite_to_group(c: &mut Client, id: &str, to: &str, group: &str) -> StatusCode {
    let p = c
        .request(Primitive::from(InviteRequest {
            invite_id: id.into(),
            invite_type: Some("GR".into()),
            group_id: Some(group.into()),
            recipient: Recipient {
                user: vec![User::new(to)],
                ..Default::default()
            },
            validity: Some(600),
            ..Default::default()
        }))
        .await
        .expect("Invite");
    code(&p).0
}

async fn join(c: &mut Client, group: &str, sname: &str) -> StatusCode {
    use imps_csp::model::common::ScreenName;
    use imps_csp::model::group::JoinGroupRequest;
    let p = c
        .request(Primitive::from(JoinGroupRequest {
            group_id: group.into(),
            screen_name: Some(ScreenName {
                sname: sname.into(),
                group_id: group.into(),
            }),
            ..Default::default()
        }))
        .await
        .expect("JoinGroup");
    match p {
        Primitive::JoinGroupResponse(_) => StatusCode::SUCCESS,
        Primitive::Status(s) => s.result.code,
        other => panic!("{other:?}"),
    }
}

/// RequireInvitation=T: a user who is not a member joins only with a valid group invitation
/// (answered or not) from a member or a user joined to the group; an invitation from anyone
/// else, none, or one cancelled does not let it in (810). An accepted invitation is kept for
/// the join (not handed out, nor answerable, again), also after a restart.
#[tokio::test]
async fn a_group_that_requires_an_invitation() {
    use imps_csp::model::common::ScreenName;
    use imps_csp::model::group::{CreateGroupRequest, GroupProperties};
    let mut ts = TestServer::start(&["alice", "bob", "carol", "dave"])
        .await
        .expect("server");
    let v = Variant::V12_WBXML;
    let group = "wv:alice/vip@localhost";
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut props = GroupProperties::default();
    props.set("RequireInvitation", "T");
    let p = alice
        .request(Primitive::from(CreateGroupRequest {
            group_id: group.into(),
            group_properties: props,
            join_group: Some(true),
            screen_name: Some(ScreenName {
                sname: "Host".into(),
                group_id: group.into(),
            }),
            ..Default::default()
        }))
        .await
        .expect("CreateGroup");
    assert_eq!(code(&p).0, StatusCode::SUCCESS);
    let mut bob = ts.client("bob", v).await.expect("bob");
    let mut carol = ts.client("carol", v).await.expect("carol");
    assert_eq!(
        join(&mut bob, group, "Bob").await,
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP,
        "no invitation"
    );
    assert_eq!(
        invite_to_group(&mut carol, "c1", "bob", group).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        join(&mut bob, group, "Bob").await,
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP,
        "carol is nobody in the group"
    );
    assert_eq!(
        invite_to_group(&mut alice, "a1", "bob", group).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        join(&mut bob, group, "Bob").await,
        StatusCode::SUCCESS,
        "invited by the group's owner"
    );

    // Accepted first, then joined.
    let mut dave = ts.client("dave", v).await.expect("dave");
    assert_eq!(
        invite_to_group(&mut bob, "b1", "dave", group).await,
        StatusCode::SUCCESS,
        "bob is joined: his invitation counts"
    );
    next(&mut dave, |p| matches!(p, Primitive::InviteUserRequest(_))).await;
    assert_eq!(
        answer(&mut dave, "b1", "bob", true).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        answer(&mut dave, "b1", "bob", true).await,
        StatusCode::INVALID_INVITATION_ID,
        "answered once"
    );
    assert_eq!(join(&mut dave, group, "Dave").await, StatusCode::SUCCESS);

    // A cancelled invitation lets nobody in.
    assert_eq!(
        invite_to_group(&mut alice, "a2", "carol", group).await,
        StatusCode::SUCCESS
    );
    let cancelled = alice
        .request(Primitive::from(CancelInviteRequest {
            invite_id: "a2".into(),
            ..Default::default()
        }))
        .await
        .expect("CancelInvite");
    assert_eq!(code(&cancelled).0, StatusCode::SUCCESS);
    assert_eq!(
        join(&mut carol, group, "Carol").await,
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP
    );

    // An accepted one is kept durably.
    assert_eq!(
        invite_to_group(&mut alice, "a3", "carol", group).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        answer(&mut carol, "a3", "alice", true).await,
        StatusCode::SUCCESS
    );
    drop((alice, bob, carol, dave));
    ts.restart().await.expect("restart");
    let mut carol = ts.client("carol", v).await.expect("carol again");
    assert_eq!(
        join(&mut carol, group, "Carol").await,
        StatusCode::SUCCESS,
        "invited by the group's owner, accepted before the restart"
    );
}
