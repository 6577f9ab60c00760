//! Scenario tests of groups over real HTTP against the real server (three shards, so that a
//! group and its users are mostly owned by different shards), in every version and
//! encoding: CreateGroup, JoinGroup (1.1 `UserList`, 1.2 `UserMapList`, 1.3
//! `Joined/UserMapList`), GroupChangeNotice, messages to the group and to one screen name,
//! GetJoinedUsers, Get/SetGroupProps, SubscribeGroupNotice, GetGroupMembers, LeaveGroup,
//! DeleteGroup and the unsolicited LeaveGroup-Response, AddGroupMembers, RemoveGroupMembers,
//! MemberAccess and RejectList, with the 8xx refusals; groups
//! survive a restart; a session that ends leaves its groups.

use std::time::Duration;

use imps_client::Client;
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Group, Recipient, ScreenName, User, UserList};
use imps_csp::model::group::{
    AddGroupMembersRequest, CreateGroupRequest, DeleteGroupRequest, GetGroupMembersRequest,
    GetGroupPropsRequest, GetJoinedUsersRequest, GroupChangeNotice, GroupProperties,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, MemberAccessRequest, Mod,
    RejectListRequest, RemoveGroupMembersRequest, SetGroupPropsRequest,
    SubscribeGroupNoticeRequest, UserIdList, WelcomeNote,
};
use imps_csp::model::im::{AddList, MessageInfo, NewMessage, RemoveList, SendMessageRequest};
use imps_csp::{CspVersion, Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

const WAIT: Duration = Duration::from_secs(15);

fn gid(owner: &str, name: &str) -> String {
    format!("wv:{owner}/{name}@localhost")
}

/// The status code an answer carries (Status, or the Result of a response that has one).
fn code(p: &Primitive) -> StatusCode {
    match p {
        Primitive::Status(s) => s.result.code,
        Primitive::SendMessageResponse(r) => r.result.code,
        Primitive::LeaveGroupResponse(r) => {
            r.result.as_ref().map_or(StatusCode::SUCCESS, |r| r.code)
        }
        _ => StatusCode::SUCCESS,
    }
}

async fn ask(c: &mut Client, p: Primitive) -> Primitive {
    c.request(p).await.expect("an answer")
}

fn screen(group: &str, sname: &str) -> ScreenName {
    ScreenName {
        sname: sname.into(),
        group_id: group.into(),
    }
}

async fn create(
    c: &mut Client,
    group: &str,
    join_as: Option<&str>,
    props: &[(&str, &str)],
) -> StatusCode {
    let mut p = GroupProperties::default();
    for (k, v) in props {
        p.set(*k, *v);
    }
    p.welcome_note = Some(WelcomeNote::text("Welcome to the chat"));
    let req = CreateGroupRequest {
        group_id: group.into(),
        group_properties: p,
        own_properties: None,
        join_group: Some(join_as.is_some()),
        screen_name: join_as.map(|s| screen(group, s)),
        subscribe_notification: Some(join_as.is_some()),
    };
    code(&ask(c, Primitive::from(req)).await)
}

/// LeaveGroup-Request: its code.
async fn leave_group(c: &mut Client, group: &str) -> StatusCode {
    let p = Primitive::from(LeaveGroupRequest {
        group_id: group.into(),
    });
    code(&ask(c, p).await)
}

/// DeleteGroup-Request: its code.
async fn delete_group(c: &mut Client, group: &str) -> StatusCode {
    let p = Primitive::from(DeleteGroupRequest {
        group_id: group.into(),
    });
    code(&ask(c, p).await)
}

async fn join(c: &mut Client, group: &str, sname: Option<&str>) -> Primitive {
    ask(
        c,
        Primitive::from(JoinGroupRequest {
            group_id: group.into(),
            screen_name: sname.map(|s| screen(group, s)),
            joined_request: Some(true),
            subscribe_notification: Some(true),
            own_properties: None,
        }),
    )
    .await
}

/// The screen names a JoinGroup-Response lists, wherever its version puts them.
fn joined_names(r: &JoinGroupResponse, v: CspVersion) -> Vec<String> {
    let mut names: Vec<String> = if v == CspVersion::V1_1 {
        assert!(
            r.user_map_list.is_none() && r.joined.is_none(),
            "1.1 shape: {r:?}"
        );
        r.user_list
            .as_ref()
            .expect("1.1 UserList")
            .screen_name
            .iter()
            .map(|s| s.sname.clone())
            .collect()
    } else {
        if v == CspVersion::V1_2 {
            assert!(
                r.user_map_list.is_some() && r.joined.is_none(),
                "1.2 shape: {r:?}"
            );
        } else {
            assert!(
                r.user_map_list.is_none() && r.joined.is_some(),
                "1.3 shape: {r:?}"
            );
        }
        r.joined_users()
            .expect("joined users")
            .mappings()
            .iter()
            .map(|m| m.sname.clone())
            .collect()
    };
    names.sort();
    names
}

async fn say(c: &mut Client, group: &str, to: Option<&str>, text: &str) -> Primitive {
    let g = match to {
        None => Group {
            group_id: Some(group.into()),
            screen_name: None,
        },
        Some(s) => Group {
            group_id: None,
            screen_name: Some(screen(group, s)),
        },
    };
    ask(
        c,
        Primitive::SendMessageRequest(SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    group: vec![g],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(text.into())),
        }),
    )
    .await
}

async fn next_message(c: &mut Client) -> NewMessage {
    match c
        .wait_for(WAIT, |p| matches!(p, Primitive::NewMessage(_)))
        .await
        .expect("NewMessage")
    {
        Primitive::NewMessage(m) => m,
        _ => unreachable!(),
    }
}

async fn next_notice(c: &mut Client) -> GroupChangeNotice {
    match c
        .wait_for(WAIT, |p| matches!(p, Primitive::GroupChangeNotice(_)))
        .await
        .expect("GroupChangeNotice")
    {
        Primitive::GroupChangeNotice(n) => n,
        _ => unreachable!(),
    }
}

fn text(m: &NewMessage) -> &str {
    match &m.content_data {
        Some(ContentData::Text(t)) => t,
        other => panic!("{other:?}"),
    }
}

/// The screen name a group message shows as its sender, and the group it names.
fn shown_sender(m: &NewMessage) -> (String, String) {
    let s = m
        .message_info
        .sender
        .as_ref()
        .and_then(|s| s.group.as_ref())
        .and_then(|g| g.screen_name.as_ref())
        .expect("Sender/Group/ScreenName");
    assert!(
        m.message_info
            .sender
            .as_ref()
            .is_some_and(|s| s.user.is_none()),
        "a group message hides the sender's user id"
    );
    (s.sname.clone(), s.group_id.clone())
}

#[tokio::test]
async fn a_group_chat_in_every_variant() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for (i, v) in Variant::ALL.into_iter().enumerate() {
        let ctx = format!("{v:?}");
        let group = gid("alice", &format!("chat{i}"));
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");

        // alice creates the group and joins it at once.
        let props = [
            ("Name", "Chat"),
            ("Topic", "weather"),
            ("PrivateMessaging", "T"),
        ];
        assert_eq!(
            create(&mut alice, &group, Some("Al"), &props).await,
            StatusCode::SUCCESS,
            "{ctx}"
        );
        assert_eq!(
            create(&mut alice, &group, None, &[]).await,
            StatusCode::GROUP_ALREADY_EXISTS,
            "{ctx}"
        );
        // Only under one's own address.
        assert_eq!(
            create(&mut bob, &gid("alice", "mine"), None, &[]).await,
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES,
            "{ctx}"
        );
        assert_eq!(
            create(
                &mut bob,
                &gid("bob", "x"),
                None,
                &[("Accesstype", "Closed")]
            )
            .await,
            StatusCode::INVALID_GROUP_PROPERTIES,
            "{ctx}"
        );

        // bob joins: he gets the joined users and the welcome note; alice is told.
        let Primitive::JoinGroupResponse(r) = join(&mut bob, &group, Some("Bobby")).await else {
            panic!("JoinGroup-Response expected ({ctx})");
        };
        assert_eq!(joined_names(&r, v.version), vec!["Al", "Bobby"], "{ctx}");
        let note = r.welcome_note.as_ref().expect("WelcomeNote");
        assert_eq!(
            note.content_data,
            ContentData::Text("Welcome to the chat".into())
        );
        let n = next_notice(&mut alice).await;
        assert_eq!(n.group_id, group);
        let names: Vec<String> = match v.version {
            CspVersion::V1_1 => n
                .joined
                .expect("Joined")
                .screen_name
                .into_iter()
                .map(|s| s.sname)
                .collect(),
            _ => n
                .joined
                .and_then(|j| j.user_map_list)
                .expect("Joined/UserMapList")
                .mappings()
                .iter()
                .map(|m| m.sname.clone())
                .collect(),
        };
        assert_eq!(names, vec!["Bobby"], "{ctx}");

        // The same session again, or a screen name in use: 807, 811.
        assert_eq!(
            code(&join(&mut bob, &group, Some("B2")).await),
            StatusCode::ALREADY_JOINED,
            "{ctx}"
        );
        assert_eq!(
            code(&join(&mut carol, &group, Some("al")).await),
            StatusCode::SCREEN_NAME_IN_USE,
            "{ctx}"
        );
        // Not joined: carol cannot speak in the group.
        assert_eq!(
            code(&say(&mut carol, &group, None, "hello?").await),
            StatusCode::NOT_JOINED,
            "{ctx}"
        );

        // bob speaks: alice gets it from his screen name, in the group.
        let answer = say(&mut bob, &group, None, "hi all").await;
        assert_eq!(code(&answer), StatusCode::SUCCESS, "{ctx}: {answer:?}");
        let m = next_message(&mut alice).await;
        assert_eq!(text(&m), "hi all");
        assert_eq!(
            shown_sender(&m),
            ("Bobby".to_owned(), group.clone()),
            "{ctx}"
        );
        let to = m.message_info.recipient.as_ref().expect("Recipient");
        assert_eq!(
            to.group.first().and_then(|g| g.group_id.clone()),
            Some(group.clone())
        );

        // A private message to one screen name.
        assert_eq!(
            code(&say(&mut alice, &group, Some("bobby"), "psst").await),
            StatusCode::SUCCESS
        );
        let m = next_message(&mut bob).await;
        assert_eq!(text(&m), "psst");
        assert_eq!(shown_sender(&m).0, "Al", "{ctx}");
        assert_eq!(
            code(&say(&mut alice, &group, Some("nobody"), "?").await),
            StatusCode::UNKNOWN_USER,
            "{ctx}"
        );

        // Joined users (1.2+): bob sees both screen names, without user ids (ShowID=F).
        if v.version >= CspVersion::V1_2 {
            let p = ask(
                &mut bob,
                Primitive::from(GetJoinedUsersRequest {
                    group_id: group.clone(),
                }),
            )
            .await;
            let Primitive::GetJoinedUsersResponse(r) = p else {
                panic!("GetJoinedUsers-Response expected ({ctx}): {p:?}");
            };
            let list = r.user_map_list.expect("UserMapList");
            let mut names: Vec<(String, Option<String>)> = list
                .mappings()
                .iter()
                .map(|m| (m.sname.clone(), m.user_id.clone()))
                .collect();
            names.sort();
            assert_eq!(
                names,
                vec![("Al".to_owned(), None), ("Bobby".to_owned(), None)],
                "{ctx}"
            );
            assert_eq!(
                code(
                    &ask(
                        &mut carol,
                        Primitive::from(GetJoinedUsersRequest {
                            group_id: group.clone()
                        })
                    )
                    .await
                ),
                StatusCode::NOT_JOINED,
                "{ctx}"
            );
        }

        // Properties: everyone reads them; only an administrator changes them.
        let p = ask(
            &mut bob,
            Primitive::from(GetGroupPropsRequest {
                group_id: group.clone(),
            }),
        )
        .await;
        let Primitive::GetGroupPropsResponse(r) = p else {
            panic!("GetGroupProps-Response expected ({ctx}): {p:?}");
        };
        let gp = r.group_properties.expect("GroupProperties");
        assert_eq!(gp.get("Topic"), Some("weather"), "{ctx}");
        assert_eq!(gp.get("Name"), Some("Chat"));
        assert_eq!(gp.get("ActiveUsers"), Some("2"));
        assert_eq!(gp.get("Accesstype"), Some("Open"));
        let own = r.own_properties.expect("OwnProperties");
        assert_eq!(
            (own.get("IsMember"), own.get("PrivilegeLevel")),
            (Some("F"), Some("User"))
        );
        let mut change = GroupProperties::default();
        change.set("Topic", "chess");
        let set = |props: GroupProperties| {
            Primitive::from(SetGroupPropsRequest {
                group_id: group.clone(),
                group_properties: Some(props),
                own_properties: None,
            })
        };
        assert_eq!(
            code(&ask(&mut bob, set(change.clone())).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            code(&ask(&mut alice, set(change)).await),
            StatusCode::SUCCESS,
            "{ctx}"
        );
        let n = next_notice(&mut bob).await;
        assert_eq!(
            n.group_properties.as_ref().and_then(|p| p.get("Topic")),
            Some("chess"),
            "{ctx}"
        );

        // Members: the administrator sees them; an ordinary user may not.
        let members = Primitive::from(GetGroupMembersRequest {
            group_id: group.clone(),
        });
        assert_eq!(
            code(&ask(&mut bob, members.clone()).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        let p = ask(&mut alice, members).await;
        let Primitive::GetGroupMembersResponse(r) = p else {
            panic!("GetGroupMembers-Response expected ({ctx}): {p:?}");
        };
        let admins = r.admin.expect("Admin").user_list.user;
        assert_eq!(
            admins
                .iter()
                .map(|u| u.user_id.as_str())
                .collect::<Vec<_>>(),
            vec!["wv:alice@localhost"]
        );

        // Notices: bob asks, turns them off, asks again.
        let sub = |t: &str| {
            Primitive::from(SubscribeGroupNoticeRequest {
                group_id: group.clone(),
                subscribe_type: t.into(),
            })
        };
        let got = |p: Primitive| match p {
            Primitive::SubscribeGroupNoticeResponse(r) => r.value,
            other => panic!("SubscribeGroupNotice-Response expected: {other:?}"),
        };
        assert_eq!(got(ask(&mut bob, sub("G")).await), Some(true), "{ctx}");
        assert_eq!(code(&ask(&mut bob, sub("U")).await), StatusCode::SUCCESS);
        assert_eq!(got(ask(&mut bob, sub("G")).await), Some(false), "{ctx}");

        // bob leaves (and cannot twice); alice is told, by screen name.
        let leave = Primitive::from(LeaveGroupRequest {
            group_id: group.clone(),
        });
        let p = ask(&mut bob, leave.clone()).await;
        assert!(
            matches!(&p, Primitive::LeaveGroupResponse(r) if r.group_id.as_deref() == Some(group.as_str())),
            "{ctx}: {p:?}"
        );
        assert_eq!(code(&p), StatusCode::SUCCESS);
        assert_eq!(
            code(&ask(&mut bob, leave).await),
            StatusCode::NOT_JOINED,
            "{ctx}"
        );
        let n = next_notice(&mut alice).await;
        let left = n.left.expect("Left");
        let names: Vec<String> = match v.version {
            CspVersion::V1_1 => left.screen_name.into_iter().map(|s| s.sname).collect(),
            _ => left
                .user_list
                .expect("Left/UserList")
                .screen_name
                .into_iter()
                .map(|s| s.sname)
                .collect(),
        };
        assert_eq!(names, vec!["Bobby"], "{ctx}");

        // carol joins; alice deletes the group: carol is told it is gone.
        assert!(
            matches!(
                join(&mut carol, &group, None).await,
                Primitive::JoinGroupResponse(_)
            ),
            "{ctx}"
        );
        let delete = Primitive::from(DeleteGroupRequest {
            group_id: group.clone(),
        });
        assert_eq!(
            code(&ask(&mut carol, delete.clone()).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            code(&ask(&mut alice, delete.clone()).await),
            StatusCode::SUCCESS,
            "{ctx}"
        );
        let p = carol
            .wait_for(WAIT, |p| matches!(p, Primitive::LeaveGroupResponse(_)))
            .await
            .expect("unsolicited LeaveGroup-Response");
        let Primitive::LeaveGroupResponse(r) = p else {
            unreachable!()
        };
        assert_eq!(r.group_id.as_deref(), Some(group.as_str()));
        assert_eq!(
            r.result.map(|r| r.code),
            Some(StatusCode::GROUP_DOES_NOT_EXIST),
            "{ctx}"
        );
        assert_eq!(
            code(&join(&mut carol, &group, None).await),
            StatusCode::GROUP_DOES_NOT_EXIST
        );
        assert_eq!(
            code(&ask(&mut alice, delete).await),
            StatusCode::GROUP_DOES_NOT_EXIST
        );
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn groups_survive_a_restart_and_sessions_that_end_leave_them() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let group = gid("alice", "club");
    let v = Variant::V12_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    assert_eq!(
        create(
            &mut alice,
            &group,
            Some("Al"),
            &[("Topic", "durable"), ("Accesstype", "Restricted")]
        )
        .await,
        StatusCode::SUCCESS
    );
    // Restricted: bob is no member.
    let mut bob = ts.client("bob", v).await.expect("bob");
    assert_eq!(
        code(&join(&mut bob, &group, None).await),
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP
    );
    assert_eq!(
        code(
            &ask(
                &mut bob,
                Primitive::from(GetGroupPropsRequest {
                    group_id: group.clone()
                })
            )
            .await
        ),
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP
    );
    drop((alice, bob));

    ts.restart().await.expect("restart");
    let mut alice = ts.client("alice", v).await.expect("alice again");
    let p = ask(
        &mut alice,
        Primitive::from(GetGroupPropsRequest {
            group_id: group.clone(),
        }),
    )
    .await;
    let Primitive::GetGroupPropsResponse(r) = p else {
        panic!("GetGroupProps-Response expected: {p:?}");
    };
    let gp = r.group_properties.expect("GroupProperties");
    assert_eq!(
        (gp.get("Topic"), gp.get("Accesstype")),
        (Some("durable"), Some("Restricted"))
    );
    assert_eq!(
        gp.get("ActiveUsers"),
        Some("0"),
        "who was joined is not kept"
    );
    assert_eq!(
        r.own_properties
            .and_then(|o| o.get("PrivilegeLevel").map(str::to_owned))
            .as_deref(),
        Some("Admin")
    );
    assert_eq!(
        create(&mut alice, &group, None, &[]).await,
        StatusCode::GROUP_ALREADY_EXISTS
    );

    // An open group: bob joins, then his session ends; alice sees him leave.
    let mut open = GroupProperties::default();
    open.set("Accesstype", "Open");
    let p = ask(
        &mut alice,
        Primitive::from(SetGroupPropsRequest {
            group_id: group.clone(),
            group_properties: Some(open),
            own_properties: None,
        }),
    )
    .await;
    assert_eq!(code(&p), StatusCode::SUCCESS);
    assert!(matches!(
        join(&mut alice, &group, Some("Al")).await,
        Primitive::JoinGroupResponse(_)
    ));
    let mut bob = ts.client("bob", v).await.expect("bob again");
    assert!(matches!(
        join(&mut bob, &group, Some("B")).await,
        Primitive::JoinGroupResponse(_)
    ));
    let _ = next_notice(&mut alice).await;
    bob.logout().await.expect("logout");
    let n = next_notice(&mut alice).await;
    let left = n.left.and_then(|l| l.user_list).expect("Left/UserList");
    assert_eq!(
        left.screen_name
            .iter()
            .map(|s| s.sname.as_str())
            .collect::<Vec<_>>(),
        vec!["B"]
    );
    let p = ask(
        &mut alice,
        Primitive::from(GetJoinedUsersRequest {
            group_id: group.clone(),
        }),
    )
    .await;
    let Primitive::GetJoinedUsersResponse(r) = p else {
        panic!("GetJoinedUsers-Response expected: {p:?}");
    };
    // alice administers the group: she gets the joined users by privilege level, with ids.
    let admins = r
        .admin_map_list
        .and_then(|a| a.admin_mapping)
        .expect("AdminMapping");
    assert_eq!(admins.mapping.len(), 1);
    assert_eq!(
        admins.mapping[0].user_id.as_deref(),
        Some("wv:alice@localhost")
    );
}

#[tokio::test]
async fn an_auto_delete_group_goes_with_its_last_user() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let group = gid("alice", "adhoc");
    let mut alice = ts.client("alice", Variant::V13_XML).await.expect("alice");
    assert_eq!(
        create(&mut alice, &group, Some("A"), &[("AutoDelete", "T")]).await,
        StatusCode::SUCCESS
    );
    assert_eq!(leave_group(&mut alice, &group).await, StatusCode::SUCCESS);
    assert_eq!(
        code(
            &ask(
                &mut alice,
                Primitive::from(GetGroupPropsRequest {
                    group_id: group.clone()
                })
            )
            .await
        ),
        StatusCode::GROUP_DOES_NOT_EXIST
    );
}

/// The users of a GetGroupMembers-Response at each level: (admins, moderators, users),
/// checking ordinary members sit where the version wants them.
fn member_levels(p: Primitive, v: CspVersion) -> (Vec<String>, Vec<String>, Vec<String>) {
    let Primitive::GetGroupMembersResponse(r) = p else {
        panic!("GetGroupMembers-Response expected: {p:?}");
    };
    let ids = |l: Option<UserList>| {
        let mut v: Vec<String> = l
            .map(|l| l.user.into_iter().map(|u| u.user_id).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let users = if v >= CspVersion::V1_3 {
        assert!(r.users.is_none(), "no Users wrapper in 1.3");
        r.user_list
    } else {
        assert!(r.user_list.is_none(), "Users wrapper before 1.3");
        r.users.map(|u| u.user_list)
    };
    (
        ids(r.admin.map(|a| a.user_list)),
        ids(r.moderator.map(|m| m.user_list)),
        ids(users),
    )
}

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

/// AddGroupMembers / RemoveGroupMembers name users in a `UserList` up to 1.2, a `UserIDList`
/// in 1.3.
fn members_request(v: CspVersion, group: &str, users: &[&str], add: bool) -> Primitive {
    let (list, ids) = if v >= CspVersion::V1_3 {
        (
            None,
            Some(UserIdList {
                user_id: users.iter().map(|u| uid(u)).collect(),
            }),
        )
    } else {
        (
            Some(UserList {
                user: users.iter().map(|u| User::new(uid(u))).collect(),
                screen_name: Vec::new(),
            }),
            None,
        )
    };
    if add {
        Primitive::from(AddGroupMembersRequest {
            group_id: group.into(),
            user_list: list,
            user_id_list: ids,
        })
    } else {
        Primitive::from(RemoveGroupMembersRequest {
            group_id: group.into(),
            user_list: list,
            user_id_list: ids,
        })
    }
}

fn reject(group: &str, add: &[&str], remove: &[&str]) -> Primitive {
    Primitive::from(RejectListRequest {
        group_id: group.into(),
        add_list: (!add.is_empty()).then(|| AddList {
            user_id: add.iter().map(|u| uid(u)).collect(),
            ..Default::default()
        }),
        remove_list: (!remove.is_empty()).then(|| RemoveList {
            user_id: remove.iter().map(|u| uid(u)).collect(),
            ..Default::default()
        }),
    })
}

fn banned(p: Primitive) -> Vec<String> {
    match p {
        Primitive::RejectListResponse(r) => r
            .user_list
            .map(|l| l.user.into_iter().map(|u| u.user_id).collect())
            .unwrap_or_default(),
        other => panic!("RejectList-Response expected: {other:?}"),
    }
}

async fn made_to_leave(c: &mut Client) -> StatusCode {
    let p = c
        .wait_for(WAIT, |p| matches!(p, Primitive::LeaveGroupResponse(_)))
        .await
        .expect("unsolicited LeaveGroup-Response");
    code(&p)
}

#[tokio::test]
async fn members_privileges_and_bans() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for (i, v) in Variant::ALL.into_iter().enumerate() {
        let ctx = format!("{v:?}");
        let group = gid("alice", &format!("staff{i}"));
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        let ver = v.version;
        assert_eq!(
            create(
                &mut alice,
                &group,
                Some("boss"),
                &[("Accesstype", "Restricted")]
            )
            .await,
            StatusCode::SUCCESS
        );

        // Restricted: members only; only administrators and moderators add members.
        assert_eq!(
            code(&join(&mut bob, &group, None).await),
            StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP,
            "{ctx}"
        );
        assert_eq!(
            code(&ask(&mut bob, members_request(ver, &group, &["bob"], true)).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            code(
                &ask(
                    &mut alice,
                    members_request(ver, &group, &["bob", "carol"], true)
                )
                .await
            ),
            StatusCode::SUCCESS,
            "{ctx}"
        );
        assert!(
            matches!(
                join(&mut bob, &group, None).await,
                Primitive::JoinGroupResponse(_)
            ),
            "{ctx}"
        );
        assert!(
            matches!(
                join(&mut carol, &group, None).await,
                Primitive::JoinGroupResponse(_)
            ),
            "{ctx}"
        );
        let members = Primitive::from(GetGroupMembersRequest {
            group_id: group.clone(),
        });
        let (admins, mods, users) = member_levels(ask(&mut alice, members.clone()).await, ver);
        assert_eq!(
            (admins, mods, users),
            (vec![uid("alice")], vec![], vec![uid("bob"), uid("carol")]),
            "{ctx}"
        );

        // bob becomes a moderator.
        let access = MemberAccessRequest {
            group_id: group.clone(),
            moderator: Some(Mod {
                user_list: UserList {
                    user: vec![User::new(uid("bob"))],
                    screen_name: Vec::new(),
                },
            }),
            ..Default::default()
        };
        assert_eq!(
            code(&ask(&mut bob, Primitive::from(access.clone())).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            code(&ask(&mut alice, Primitive::from(access)).await),
            StatusCode::SUCCESS,
            "{ctx}"
        );
        // bob's joined session hears of its new level (GroupChangeNotice/OwnProperties).
        let p = bob
            .wait_for(
                WAIT,
                |p| matches!(p, Primitive::GroupChangeNotice(n) if n.own_properties.is_some()),
            )
            .await
            .expect("own properties notice");
        let Primitive::GroupChangeNotice(n) = p else {
            unreachable!()
        };
        let own = n.own_properties.expect("OwnProperties");
        assert_eq!(
            (own.get("PrivilegeLevel"), own.get("IsMember")),
            (Some("Mod"), Some("T")),
            "{ctx}"
        );
        let (_, mods, users) = member_levels(ask(&mut bob, members.clone()).await, ver);
        assert_eq!(
            (mods, users),
            (vec![uid("bob")], vec![uid("carol")]),
            "{ctx}"
        );

        // The moderator bans carol: she is made to leave and cannot come back.
        assert_eq!(
            banned(ask(&mut bob, reject(&group, &["carol"], &[])).await),
            vec![uid("carol")],
            "{ctx}"
        );
        assert_eq!(
            made_to_leave(&mut carol).await,
            StatusCode::REJECTED_FROM_GROUP,
            "{ctx}"
        );
        assert_eq!(
            code(&join(&mut carol, &group, None).await),
            StatusCode::REJECTED_FROM_GROUP,
            "{ctx}"
        );
        // Nobody bans or removes the group's home account.
        assert_eq!(
            code(&ask(&mut bob, reject(&group, &["alice"], &[])).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            code(&ask(&mut bob, members_request(ver, &group, &["alice"], false)).await),
            StatusCode::INSUFFICIENT_GROUP_PRIVILEGES
        );
        assert_eq!(
            banned(ask(&mut alice, reject(&group, &[], &["carol"])).await),
            Vec::<String>::new(),
            "{ctx}"
        );

        // Removed from a restricted group: made to leave (810).
        assert_eq!(
            code(&ask(&mut alice, members_request(ver, &group, &["bob"], false)).await),
            StatusCode::SUCCESS,
            "{ctx}"
        );
        assert_eq!(
            made_to_leave(&mut bob).await,
            StatusCode::NOT_GROUP_MEMBER,
            "{ctx}"
        );
        assert_eq!(
            code(&join(&mut bob, &group, None).await),
            StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP,
            "{ctx}"
        );
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn group_requests_need_the_group_feature_agreed() {
    use imps_csp::model::session::{Functions, ServiceRequest, WvcspFeat};
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in [Variant::V11_XML, Variant::V12_WBXML, Variant::V13_XML] {
        let mut alice = imps_client::Client::new(ts.config(v)).expect("client");
        alice.login("alice", "alice-pw").await.expect("login");
        // Only instant messaging agreed.
        let mut tree = WvcspFeat::default();
        *tree.feature_slot("IMFeat").expect("slot") = Some(Default::default());
        let p = ask(
            &mut alice,
            Primitive::ServiceRequest(ServiceRequest {
                functions: Some(Functions::new(tree)),
                all_functions_request: Some(true),
                ..Default::default()
            }),
        )
        .await;
        let Primitive::ServiceResponse(s) = p else {
            panic!("Service-Response expected: {p:?}");
        };
        // The server offers the group functions it implements.
        let offered = s
            .all_functions
            .and_then(|f| f.wvcsp_feat)
            .expect("AllFunctions");
        let codes = offered.codes();
        for c in [
            "CREAG", "DELGR", "GETGP", "SETGP", "GETGM", "ADDGM", "RMVGM", "MBRAC", "REJEC",
        ] {
            assert!(codes.contains(&c), "{v:?}: {c} offered");
        }
        let group = gid("alice", "x");
        assert_eq!(
            create(&mut alice, &group, None, &[]).await,
            StatusCode::SERVICE_NOT_AGREED,
            "{v:?}"
        );
        assert_eq!(
            code(&join(&mut alice, &group, None).await),
            StatusCode::SERVICE_NOT_AGREED,
            "{v:?}"
        );
        alice.logout().await.expect("logout");
    }
}

/// ExtendConversation (1.3): a 1:1 chat becomes an ad-hoc group the peer and the users brought
/// in are invited to (InviteType EC); they join it and talk; outsiders cannot; it goes with
/// its last user.
#[tokio::test]
async fn a_conversation_is_extended_into_a_group() {
    use imps_csp::model::v13::{ExtendConversationRequest, ExtendConversationUser};
    let ts = TestServer::start(&["alice", "bob", "carol", "eve"])
        .await
        .expect("server");
    let v = Variant::V13_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let mut carol = ts.client("carol", v).await.expect("carol");
    let mut eve = ts.client("eve", v).await.expect("eve");
    let p = ask(
        &mut alice,
        Primitive::from(ExtendConversationRequest {
            extend_conversation_id: Some("Chat-1".into()),
            user_id_list: Some(UserIdList {
                user_id: vec![uid("carol")],
            }),
            extend_conversation_user: Some(ExtendConversationUser {
                user_id: uid("bob"),
                client_id: None,
            }),
            subscribe_notification: Some(true),
            welcome_note: None,
            screen_name: Some(ScreenName {
                sname: "Al".into(),
                group_id: String::new(),
            }),
        }),
    )
    .await;
    let Primitive::ExtendConversationResponse(r) = p else {
        panic!("ExtendConversation-Response expected: {p:?}");
    };
    let group = r.group_id.clone().expect("GroupID");
    assert_eq!(group, "wv:alice/ec-chat-1@localhost");
    assert_eq!(r.extend_conversation_id.as_deref(), Some("Chat-1"));
    assert_eq!(r.result.map(|r| r.code), Some(StatusCode::SUCCESS));

    // bob and carol are invited to it, and join.
    for c in [&mut bob, &mut carol] {
        let p = c
            .wait_for(WAIT, |p| matches!(p, Primitive::InviteUserRequest(_)))
            .await
            .expect("InviteUser-Request");
        let Primitive::InviteUserRequest(i) = p else {
            unreachable!()
        };
        assert_eq!(i.invite_type.as_deref(), Some("EC"));
        assert_eq!(i.group_id.as_deref(), Some(group.as_str()));
        assert_eq!(i.screen_name.map(|s| s.sname).as_deref(), Some("Al"));
        assert!(matches!(
            join(c, &group, None).await,
            Primitive::JoinGroupResponse(_)
        ));
    }
    // An outsider cannot (the conversation's group is restricted to those brought in).
    assert_eq!(
        code(&join(&mut eve, &group, None).await),
        StatusCode::UNAUTHORIZED_GROUP_MEMBERSHIP
    );
    assert_eq!(
        code(&say(&mut bob, &group, None, "three of us").await),
        StatusCode::SUCCESS
    );
    for c in [&mut alice, &mut carol] {
        let m = next_message(c).await;
        assert_eq!(text(&m), "three of us");
    }
    // Everybody leaves: the conversation's group goes.
    for c in [&mut alice, &mut bob, &mut carol] {
        c.logout().await.expect("logout");
    }
    let p = ask(
        &mut eve,
        Primitive::from(GetGroupPropsRequest {
            group_id: group.clone(),
        }),
    )
    .await;
    assert_eq!(code(&p), StatusCode::GROUP_DOES_NOT_EXIST);
}

/// SetDeliveryMethod with a GroupID: that group's messages come as MessageNotification
/// (notify/get) while other messages are still pushed; only for a group the session joined.
#[tokio::test]
async fn a_group_can_be_delivered_notify_get() {
    use imps_csp::model::im::SetDeliveryMethodRequest;
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let group = gid("alice", "quiet");
    assert_eq!(
        create(&mut alice, &group, Some("A"), &[]).await,
        StatusCode::SUCCESS
    );
    let set = |g: &str| {
        Primitive::from(SetDeliveryMethodRequest {
            delivery_method: "N".into(),
            accepted_content_length: None,
            group_id: Some(g.to_owned()),
            ..Default::default()
        })
    };
    assert_eq!(
        code(&ask(&mut bob, set(&group)).await),
        StatusCode::NOT_JOINED
    );
    assert!(matches!(
        join(&mut bob, &group, Some("B")).await,
        Primitive::JoinGroupResponse(_)
    ));
    assert_eq!(code(&ask(&mut bob, set(&group)).await), StatusCode::SUCCESS);
    assert_eq!(
        code(&ask(&mut bob, set("wv:/nogroup@localhost")).await),
        StatusCode::GROUP_DOES_NOT_EXIST
    );
    assert_eq!(
        code(&say(&mut alice, &group, None, "in the group").await),
        StatusCode::SUCCESS
    );
    let p = next_delivery(&mut bob).await;
    assert!(
        matches!(p, Primitive::MessageNotification(_)),
        "the group's message is notified: {p:?}"
    );
    alice.send_text(&["bob"], "direct").await.expect("send");
    let p = next_delivery(&mut bob).await;
    assert!(
        matches!(p, Primitive::NewMessage(_)),
        "other messages are still pushed: {p:?}"
    );
}

/// The next message delivered to `c`, pushed or notified.
async fn next_delivery(c: &mut Client) -> Primitive {
    c.wait_for(WAIT, |p| {
        matches!(
            p,
            Primitive::MessageNotification(_) | Primitive::NewMessage(_)
        )
    })
    .await
    .expect("delivery")
}

/// 1.3 GroupChangeNotice: a user the recipient blocks is shown in JoinedBlocked / LeftBlocked
/// (by screen name); others in Joined / Left; before 1.3 everybody in Joined / Left.
#[tokio::test]
async fn blocked_users_are_shown_apart_in_1_3_notices() {
    use imps_csp::model::im::{AddList, BlockEntityRequest, BlockList};
    let ts = TestServer::start(&["alice", "bob", "carol", "dave"])
        .await
        .expect("server");
    let group = gid("alice", "mixed");
    let mut alice = ts.client("alice", Variant::V13_WBXML).await.expect("alice");
    let mut dave = ts.client("dave", Variant::V12_XML).await.expect("dave");
    assert_eq!(
        create(&mut alice, &group, Some("A"), &[]).await,
        StatusCode::SUCCESS
    );
    assert!(matches!(
        join(&mut dave, &group, Some("D")).await,
        Primitive::JoinGroupResponse(_)
    ));
    let _ = next_notice(&mut alice).await;
    // alice and dave block bob.
    for c in [&mut alice, &mut dave] {
        let p = ask(
            c,
            Primitive::from(BlockEntityRequest {
                block_list: Some(BlockList {
                    in_use: (c.version() < CspVersion::V1_3).then_some(true),
                    add_list: Some(AddList {
                        user_id: vec![uid("bob")],
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                block_list_in_use: (c.version() >= CspVersion::V1_3).then_some(true),
                ..Default::default()
            }),
        )
        .await;
        assert_eq!(code(&p), StatusCode::SUCCESS);
    }
    let mut bob = ts.client("bob", Variant::V13_XML).await.expect("bob");
    assert!(matches!(
        join(&mut bob, &group, Some("Bobby")).await,
        Primitive::JoinGroupResponse(_)
    ));
    let n = next_notice(&mut alice).await;
    assert!(n.joined.is_none(), "{n:?}");
    let shown = n.joined_blocked.and_then(|b| b.user_list).map(|l| {
        l.screen_name
            .into_iter()
            .map(|s| s.sname)
            .collect::<Vec<_>>()
    });
    assert_eq!(shown, Some(vec!["Bobby".to_owned()]));
    // 1.2 has no JoinedBlocked: dave sees bob join as anyone else.
    let n = next_notice(&mut dave).await;
    assert!(n.joined.is_some() && n.joined_blocked.is_none(), "{n:?}");
    // carol is not blocked.
    let mut carol = ts.client("carol", Variant::V13_XML).await.expect("carol");
    assert!(matches!(
        join(&mut carol, &group, Some("C")).await,
        Primitive::JoinGroupResponse(_)
    ));
    let n = next_notice(&mut alice).await;
    assert!(n.joined.is_some() && n.joined_blocked.is_none(), "{n:?}");
    // GetJoinedUsers: in 1.3 bob is in JoinedBlocked, not among the mappings; in 1.2 he is.
    let p = ask(
        &mut alice,
        Primitive::from(GetJoinedUsersRequest {
            group_id: group.clone(),
        }),
    )
    .await;
    let Primitive::GetJoinedUsersResponse(r) = p else {
        panic!("GetJoinedUsers-Response expected: {p:?}");
    };
    let a = r.admin_map_list.clone().expect("AdminMapList");
    let listed: Vec<String> = a
        .admin_mapping
        .iter()
        .flat_map(|m| m.mapping.iter())
        .chain(a.user_mapping.iter().flat_map(|m| m.mapping.iter()))
        .map(|m| m.sname.clone())
        .collect();
    assert!(
        !listed.contains(&"Bobby".to_owned()) && listed.contains(&"C".to_owned()),
        "{listed:?}"
    );
    let hidden = r.joined_blocked.and_then(|b| b.user_list).map(|l| {
        l.screen_name
            .into_iter()
            .map(|s| s.sname)
            .collect::<Vec<_>>()
    });
    assert_eq!(hidden, Some(vec!["Bobby".to_owned()]));
    let p = ask(
        &mut dave,
        Primitive::from(GetJoinedUsersRequest {
            group_id: group.clone(),
        }),
    )
    .await;
    let Primitive::GetJoinedUsersResponse(r) = p else {
        panic!("GetJoinedUsers-Response expected: {p:?}");
    };
    let names: Vec<String> = r
        .user_map_list
        .expect("UserMapList")
        .mappings()
        .iter()
        .map(|m| m.sname.clone())
        .collect();
    assert!(names.contains(&"Bobby".to_owned()), "1.2: {names:?}");
    // bob leaves: LeftBlocked.
    assert_eq!(leave_group(&mut bob, &group).await, StatusCode::SUCCESS);
    let n = next_notice(&mut alice).await;
    assert!(n.left.is_none(), "{n:?}");
    let gone = n.left_blocked.and_then(|b| b.user_list).map(|l| {
        l.screen_name
            .into_iter()
            .map(|s| s.sname)
            .collect::<Vec<_>>()
    });
    assert_eq!(gone, Some(vec!["Bobby".to_owned()]));
}

/// The MessageIDs GetMessageList answers (1.2 shape), or its refusal.
async fn listed(c: &mut Client, group: Option<&str>) -> Result<Vec<String>, StatusCode> {
    use imps_csp::model::im::GetMessageListRequest;
    match ask(
        c,
        Primitive::from(GetMessageListRequest {
            group_id: group.map(str::to_owned),
            message_count: None,
        }),
    )
    .await
    {
        Primitive::GetMessageListResponse(r) => Ok(r
            .message_info
            .iter()
            .filter_map(|i| i.message_id.clone())
            .collect()),
        other => Err(code(&other)),
    }
}

/// Joining is per session: a user's session that did not join a group gets none of its
/// messages, and a group's message waiting for a session that leaves (or ends) is dropped, not
/// handed to the user's next session. GetMessageList lists a group's waiting messages only
/// with its GroupID, to a joined session.
#[tokio::test]
async fn group_messages_reach_only_the_joined_sessions() {
    use imps_csp::model::im::SetDeliveryMethodRequest;
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut joined = ts.client("bob", v).await.expect("bob's first session");
    let mut other = ts.client("bob", v).await.expect("bob's second session");
    let group = gid("alice", "persession");
    assert_eq!(
        create(&mut alice, &group, Some("A"), &[]).await,
        StatusCode::SUCCESS
    );
    assert!(matches!(
        join(&mut joined, &group, Some("B")).await,
        Primitive::JoinGroupResponse(_)
    ));
    assert_eq!(
        code(&say(&mut alice, &group, None, "to the joined").await),
        StatusCode::SUCCESS
    );
    alice.send_text(&["bob"], "direct 1").await.expect("send");
    assert_eq!(
        text(&next_message(&mut other).await),
        "direct 1",
        "the session that did not join gets no group message"
    );
    // (A user's message goes to whichever of its sessions takes it first: here `other`.)
    assert_eq!(text(&next_message(&mut joined).await), "to the joined");

    // Notified and left waiting: listed with the GroupID only, to the joined session.
    let notify = Primitive::from(SetDeliveryMethodRequest {
        delivery_method: "N".into(),
        group_id: Some(group.clone()),
        ..Default::default()
    });
    assert_eq!(code(&ask(&mut joined, notify).await), StatusCode::SUCCESS);
    assert_eq!(
        code(&say(&mut alice, &group, None, "waiting").await),
        StatusCode::SUCCESS
    );
    let id = match joined
        .wait_for(WAIT, |p| matches!(p, Primitive::MessageNotification(_)))
        .await
        .expect("notified")
    {
        Primitive::MessageNotification(n) => n.message_info.message_id.expect("MessageID"),
        _ => unreachable!(),
    };
    assert_eq!(
        listed(&mut joined, Some(&group)).await,
        Ok(vec![id.clone()])
    );
    assert_eq!(listed(&mut joined, None).await, Ok(vec![]));
    assert_eq!(
        listed(&mut other, Some(&group)).await,
        Err(StatusCode::NOT_JOINED)
    );
    assert_eq!(listed(&mut other, None).await, Ok(vec![]));

    // The joined session leaves: the waiting message goes with it, also from the store.
    assert_eq!(leave_group(&mut joined, &group).await, StatusCode::SUCCESS);
    assert_eq!(
        listed(&mut joined, Some(&group)).await,
        Err(StatusCode::NOT_JOINED)
    );
    // A copy on its way to a user none of whose sessions is joined is not kept either.
    assert_eq!(
        code(&say(&mut alice, &group, None, "to nobody").await),
        StatusCode::SUCCESS
    );
    drop((joined, other));
    ts.restart().await.expect("restart");
    let mut alice = ts.client("alice", v).await.expect("alice again");
    let mut later = ts.client("bob", v).await.expect("bob later");
    alice.send_text(&["bob"], "direct 2").await.expect("send");
    assert_eq!(
        text(&next_message(&mut later).await),
        "direct 2",
        "no group message reaches a later session"
    );
    assert_eq!(listed(&mut later, None).await, Ok(vec![]));
}

/// `[limits] max_groups` bounds the groups of all users together (815), counts every way a
/// group goes (DeleteGroup, AutoDelete), and holds after a restart (counted from the store).
#[tokio::test]
async fn the_server_wide_group_limit_holds_across_users_and_restarts() {
    let two = |s: &mut imps_server::Settings| s.engine.max_groups = 2;
    let mut ts = TestServer::start_with(&["alice", "bob", "carol"], two)
        .await
        .expect("server");
    let v = Variant::V12_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let mut carol = ts.client("carol", v).await.expect("carol");
    assert_eq!(
        create(&mut alice, &gid("alice", "one"), None, &[]).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        create(
            &mut bob,
            &gid("bob", "brief"),
            Some("B"),
            &[("AutoDelete", "T")]
        )
        .await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        create(&mut carol, &gid("carol", "three"), None, &[]).await,
        StatusCode::MAX_GROUPS_SERVER,
        "two groups exist, whoever owns them"
    );
    // The auto-deleted group gives its place back.
    assert_eq!(
        leave_group(&mut bob, &gid("bob", "brief")).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        create(&mut carol, &gid("carol", "three"), None, &[]).await,
        StatusCode::SUCCESS
    );
    drop((alice, bob, carol));

    // Counted again from the store.
    ts.restart_with(two).await.expect("restart");
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    assert_eq!(
        create(&mut bob, &gid("bob", "again"), None, &[]).await,
        StatusCode::MAX_GROUPS_SERVER,
        "the groups of accounts not loaded yet count too"
    );
    assert_eq!(
        delete_group(&mut alice, &gid("alice", "one")).await,
        StatusCode::SUCCESS
    );
    assert_eq!(
        create(&mut bob, &gid("bob", "again"), None, &[]).await,
        StatusCode::SUCCESS
    );
}

/// A group's Validity (seconds) runs out: the server deletes the group, tells its joined
/// sessions (unsolicited LeaveGroup-Response 800 "Group expired"), and gives its place back;
/// a group of an account nobody has loaded (after a restart) goes too, and is no longer found.
#[tokio::test]
async fn a_group_goes_when_its_validity_runs_out() {
    use imps_csp::model::fundamental::{SearchPairList, SearchRequest};
    let one = |s: &mut imps_server::Settings| s.engine.max_groups = 1;
    let mut ts = TestServer::start_with(&["alice", "bob"], one)
        .await
        .expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let brief = gid("alice", "brief");
    assert_eq!(
        create(&mut alice, &brief, Some("A"), &[("Validity", "2")]).await,
        StatusCode::SUCCESS
    );
    assert!(matches!(
        join(&mut bob, &brief, Some("B")).await,
        Primitive::JoinGroupResponse(_)
    ));
    assert_eq!(
        create(&mut bob, &gid("bob", "other"), None, &[]).await,
        StatusCode::MAX_GROUPS_SERVER
    );
    let p = bob
        .wait_for(WAIT, |p| matches!(p, Primitive::LeaveGroupResponse(_)))
        .await
        .expect("told the group is gone");
    let Primitive::LeaveGroupResponse(r) = p else {
        unreachable!()
    };
    assert_eq!(r.group_id.as_deref(), Some(brief.as_str()));
    let result = r.result.expect("Result");
    assert_eq!(result.code, StatusCode::GROUP_DOES_NOT_EXIST);
    assert_eq!(result.description.as_deref(), Some("Group expired"));
    assert_eq!(
        code(&say(&mut bob, &brief, None, "anyone?").await),
        StatusCode::GROUP_DOES_NOT_EXIST
    );
    assert_eq!(
        create(&mut bob, &gid("bob", "other"), None, &[]).await,
        StatusCode::SUCCESS,
        "its place is free"
    );
    // A group of an account not in memory when it runs out.
    let lasting = gid("bob", "other");
    assert_eq!(delete_group(&mut bob, &lasting).await, StatusCode::SUCCESS);
    let found = gid("alice", "found");
    assert_eq!(
        create(
            &mut alice,
            &found,
            None,
            &[("Validity", "6"), ("Searchable", "T"), ("Name", "Findable")]
        )
        .await,
        StatusCode::SUCCESS
    );
    drop((alice, bob));
    ts.restart_with(one).await.expect("restart");
    let mut bob = ts.client("bob", v).await.expect("bob again");
    let search = Primitive::from(SearchRequest {
        search_pair_list: vec![SearchPairList::new("GROUP_NAME", "findable")],
        ..Default::default()
    });
    let hits = |p: &Primitive| match p {
        Primitive::SearchResponse(r) => r.search_findings.unwrap_or(0),
        other => panic!("{other:?}"),
    };
    assert_eq!(hits(&ask(&mut bob, search.clone()).await), 1);
    // (The store is asked for groups that ran out every few seconds.)
    let deadline = std::time::Instant::now() + 2 * WAIT;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if hits(&ask(&mut bob, search.clone()).await) == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the expired group is still found"
        );
    }
    assert_eq!(
        create(&mut bob, &gid("bob", "next"), None, &[]).await,
        StatusCode::SUCCESS,
        "its place is free"
    );
}

/// The server keeps no group history: History=T is refused with 821 (and nothing changes),
/// History=F is taken.
#[tokio::test]
async fn group_history_is_refused_with_821() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in [Variant::V13_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let group = gid("alice", &format!("h{}", v.encoding as u8));
        assert_eq!(
            create(&mut alice, &group, None, &[("History", "T")]).await,
            StatusCode::HISTORY_NOT_SUPPORTED,
            "{v:?}"
        );
        assert_eq!(
            create(&mut alice, &group, None, &[("History", "F")]).await,
            StatusCode::SUCCESS,
            "{v:?}"
        );
        let mut props = GroupProperties::default();
        props.set("History", "T");
        props.set("Topic", "changed");
        let p = ask(
            &mut alice,
            Primitive::from(SetGroupPropsRequest {
                group_id: group.clone(),
                group_properties: Some(props),
                own_properties: None,
            }),
        )
        .await;
        assert_eq!(code(&p), StatusCode::HISTORY_NOT_SUPPORTED, "{v:?}");
        match ask(
            &mut alice,
            Primitive::from(GetGroupPropsRequest {
                group_id: group.clone(),
            }),
        )
        .await
        {
            Primitive::GetGroupPropsResponse(r) => {
                let gp = r.group_properties.expect("GroupProperties");
                assert_eq!(gp.get("History"), Some("F"), "{v:?}");
                assert_ne!(gp.get("Topic"), Some("changed"), "{v:?}: nothing changed");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// `impsd user del` of a group's home account while the server runs: its groups go with it,
/// the sessions joined to them are told (LeaveGroup-Response 800) and their places are free.
#[tokio::test]
async fn deleting_an_account_tells_who_is_joined_to_its_groups() {
    let one = |s: &mut imps_server::Settings| s.engine.max_groups = 1;
    let ts = TestServer::start_with(&["alice", "bob"], one)
        .await
        .expect("server");
    let v = Variant::V12_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let group = gid("alice", "club");
    assert_eq!(
        create(&mut alice, &group, Some("A"), &[]).await,
        StatusCode::SUCCESS
    );
    assert!(matches!(
        join(&mut bob, &group, Some("B")).await,
        Primitive::JoinGroupResponse(_)
    ));
    // Off the test's runtime, which also runs the server (its control socket answers).
    let data = ts.dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_impsd"))
            .arg("--data")
            .arg(data)
            .args(["user", "del", "alice"])
            .output()
    })
    .await
    .expect("joined")
    .expect("impsd user del");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = bob
        .wait_for(WAIT, |p| matches!(p, Primitive::LeaveGroupResponse(_)))
        .await
        .expect("told the group is gone");
    let Primitive::LeaveGroupResponse(r) = p else {
        unreachable!()
    };
    assert_eq!(r.group_id.as_deref(), Some(group.as_str()));
    assert_eq!(
        r.result.map(|r| r.code),
        Some(StatusCode::GROUP_DOES_NOT_EXIST)
    );
    assert_eq!(
        create(&mut bob, &gid("bob", "mine"), None, &[]).await,
        StatusCode::SUCCESS,
        "the deleted group's place is free"
    );
}

/// The code a SendMessage-Response gives for the group: its own Result, or the DetailedResult
/// naming the group.
fn group_send_code(p: &Primitive) -> StatusCode {
    match p {
        Primitive::SendMessageResponse(r) => {
            r.result.detailed.first().map_or(r.result.code, |d| d.code)
        }
        other => code(other),
    }
}

/// Private messages in a group: refused with 812 when the group's PrivateMessaging is not T,
/// with 813 to a user who set its own PrivateMessaging to F (shown in its OwnProperties), and
/// delivered otherwise.
#[tokio::test]
async fn private_messages_follow_the_group_and_the_user() {
    use imps_csp::model::group::OwnProperties;
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in [Variant::V12_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        let (closed, open) = (gid("alice", "noprivate"), gid("alice", "private"));
        let _ = create(&mut alice, &closed, None, &[]).await;
        let _ = create(&mut alice, &open, None, &[("PrivateMessaging", "T")]).await;
        for g in [&closed, &open] {
            assert!(matches!(
                join(&mut bob, g, Some("B")).await,
                Primitive::JoinGroupResponse(_)
            ));
            assert!(matches!(
                join(&mut carol, g, Some("C")).await,
                Primitive::JoinGroupResponse(_)
            ));
        }
        assert_eq!(
            group_send_code(&say(&mut carol, &closed, Some("B"), "psst").await),
            StatusCode::PRIVATE_MESSAGING_DISABLED_GROUP,
            "{v:?}"
        );
        let own = |on: &str| {
            let mut o = OwnProperties::default();
            o.set("PrivateMessaging", on);
            Primitive::from(SetGroupPropsRequest {
                group_id: open.clone(),
                group_properties: None,
                own_properties: Some(o),
            })
        };
        assert_eq!(
            code(&ask(&mut alice, own("F")).await),
            StatusCode::NOT_JOINED,
            "it belongs to a joined session"
        );
        assert_eq!(code(&ask(&mut bob, own("F")).await), StatusCode::SUCCESS);
        assert_eq!(
            group_send_code(&say(&mut carol, &open, Some("B"), "psst").await),
            StatusCode::PRIVATE_MESSAGING_DISABLED_USER,
            "{v:?}"
        );
        match ask(
            &mut bob,
            Primitive::from(GetGroupPropsRequest {
                group_id: open.clone(),
            }),
        )
        .await
        {
            Primitive::GetGroupPropsResponse(r) => assert_eq!(
                r.own_properties
                    .as_ref()
                    .and_then(|o| o.get("PrivateMessaging")),
                Some("F")
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(code(&ask(&mut bob, own("T")).await), StatusCode::SUCCESS);
        assert_eq!(
            group_send_code(&say(&mut carol, &open, Some("B"), "psst").await),
            StatusCode::SUCCESS,
            "{v:?}"
        );
        assert_eq!(text(&next_message(&mut bob).await), "psst");
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}
