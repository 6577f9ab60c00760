//! Scenario tests of presence over real HTTP against the real server, in every version and
//! encoding: publishing and fetching, subscriptions and their notifications, OnlineStatus,
//! AutoSubscribe, attribute lists, block lists, watcher lists and reactive authorisation.

use std::time::Duration;

use imps_client::{commands, Client};
use imps_csp::model::attributes::{Presence, PresenceSubList, TextAttribute};
use imps_csp::model::common::{ContactListIdList, NickList, NickName, User};
use imps_csp::model::group::UserIdList;
use imps_csp::model::presence::{
    CancelAuthRequest, CreateAttributeListRequest, CreateListRequest, DeleteAttributeListRequest,
    GetAttributeListRequest, GetPresenceRequest, GetReactiveAuthStatusRequest,
    GetWatcherListRequest, PresenceAuthUser, SubscribePresenceRequest, UnsubscribePresenceRequest,
    UpdatePresenceRequest,
};
use imps_csp::{CspVersion, Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

const WAIT: Duration = Duration::from_secs(15);

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

fn is_ok(p: &Primitive) -> bool {
    matches!(p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS)
}

fn status_code(p: &Primitive) -> StatusCode {
    match p {
        Primitive::Status(s) => s.result.code,
        other => panic!("Status expected, got {other:?}"),
    }
}

/// (User*, UserIDList) as the version wants them.
fn users(v: CspVersion, names: &[&str]) -> (Vec<User>, Option<UserIdList>) {
    if v >= CspVersion::V1_3 {
        (
            Vec::new(),
            Some(UserIdList {
                user_id: names.iter().map(|n| (*n).to_owned()).collect(),
            }),
        )
    } else {
        (names.iter().map(|n| User::new(*n)).collect(), None)
    }
}

/// (ContactList*, ContactListIDList) as the version wants them.
fn lists(v: CspVersion, ids: &[&str]) -> (Vec<String>, Option<ContactListIdList>) {
    let ids: Vec<String> = ids.iter().map(|n| (*n).to_owned()).collect();
    if v >= CspVersion::V1_3 {
        (Vec::new(), Some(ContactListIdList { contact_list: ids }))
    } else {
        (ids, None)
    }
}

async fn update(c: &mut Client, sub: PresenceSubList) {
    let p = c
        .request(Primitive::from(UpdatePresenceRequest {
            presence_sub_list: sub,
        }))
        .await
        .expect("UpdatePresence");
    assert!(is_ok(&p), "{p:?}");
}

fn status_text(t: &str) -> PresenceSubList {
    PresenceSubList {
        status_text: Some(TextAttribute::new(t)),
        ..Default::default()
    }
}

fn availability(a: &str) -> PresenceSubList {
    PresenceSubList {
        user_availability: Some(TextAttribute::new(a)),
        ..Default::default()
    }
}

async fn subscribe_users(
    c: &mut Client,
    names: &[&str],
    wanted: Option<PresenceSubList>,
) -> Primitive {
    let (user, user_id_list) = users(c.version(), names);
    c.request(Primitive::from(SubscribePresenceRequest {
        user,
        user_id_list,
        presence_sub_list: wanted,
        ..Default::default()
    }))
    .await
    .expect("SubscribePresence")
}

async fn get_presence(c: &mut Client, names: &[&str]) -> Primitive {
    let (user, user_id_list) = users(c.version(), names);
    c.request(Primitive::from(GetPresenceRequest {
        user,
        user_id_list,
        ..Default::default()
    }))
    .await
    .expect("GetPresence")
}

/// The single sub-list of `who` in a GetPresence-Response.
async fn presence_of(c: &mut Client, who: &str) -> PresenceSubList {
    let p = get_presence(c, &[who]).await;
    let Primitive::GetPresenceResponse(r) = p else {
        panic!("GetPresence-Response expected, got {p:?}");
    };
    assert_eq!(r.result.as_ref().map(|r| r.code), Some(StatusCode::SUCCESS));
    assert_eq!(r.presence.len(), 1);
    assert_eq!(r.presence[0].user_id.as_deref(), Some(uid(who).as_str()));
    r.presence[0]
        .presence_sub_list
        .first()
        .cloned()
        .expect("a PresenceSubList in every Presence")
}

/// The next presence notification (every Presence carries a sub-list).
async fn notification(c: &mut Client) -> Vec<Presence> {
    let p = c
        .wait_for(WAIT, |p| {
            matches!(p, Primitive::PresenceNotificationRequest(_))
        })
        .await
        .expect("PresenceNotification");
    let Primitive::PresenceNotificationRequest(n) = p else {
        unreachable!()
    };
    assert!(!n.presence.is_empty());
    for pr in &n.presence {
        assert!(
            !pr.presence_sub_list.is_empty(),
            "a PresenceSubList in every Presence: {pr:?}"
        );
    }
    n.presence
}

/// The next notification about `who`: its (first) sub-list.
async fn notification_of(c: &mut Client, who: &str) -> PresenceSubList {
    loop {
        let n = notification(c).await;
        if let Some(p) = n
            .iter()
            .find(|p| p.user_id.as_deref() == Some(uid(who).as_str()))
        {
            return p.presence_sub_list[0].clone();
        }
    }
}

fn online(p: &PresenceSubList) -> Option<bool> {
    p.online_status.as_ref().and_then(|o| o.value())
}

fn text(a: &Option<TextAttribute>) -> Option<&str> {
    a.as_ref().and_then(|a| a.value())
}

/// Nothing may be shown: only OnlineStatus, with Qualifier F.
fn shows_nothing(p: &PresenceSubList) -> bool {
    p.names() == vec!["OnlineStatus"]
        && p.online_status.as_ref().and_then(|o| o.qualifier) == Some(false)
}

#[tokio::test]
async fn update_then_get_in_every_version() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mood = format!("mood {v:?}");
        let mut sub = availability("DISCREET");
        sub.status_text = Some(TextAttribute::new(mood.clone()));
        update(&mut bob, sub).await;
        let p = presence_of(&mut alice, "bob").await;
        assert_eq!(text(&p.user_availability), Some("DISCREET"), "{v:?}");
        assert_eq!(text(&p.status_text), Some(mood.as_str()), "{v:?}");
        assert_eq!(online(&p), Some(true), "{v:?}: server-maintained");
        // Own presence too (Android asks for it after login).
        let own = presence_of(&mut bob, "bob").await;
        assert_eq!(text(&own.status_text), Some(mood.as_str()));
        // A bad value is refused.
        let p = bob
            .request(Primitive::from(UpdatePresenceRequest {
                presence_sub_list: availability("SLEEPING"),
            }))
            .await
            .expect("update");
        assert_eq!(status_code(&p), StatusCode::INVALID_PRESENCE_VALUE, "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn subscription_notifies_at_once_and_on_each_change_filtered() {
    // Fresh accounts per variant: presence is remembered across sessions.
    let names: Vec<String> = (0..Variant::ALL.len())
        .flat_map(|i| [format!("alice{i}"), format!("bob{i}")])
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ts = TestServer::start(&refs).await.expect("server");
    for (i, v) in Variant::ALL.into_iter().enumerate() {
        let (a, b) = (format!("alice{i}"), format!("bob{i}"));
        let mut alice = ts.client(&a, v).await.expect("alice");
        let mut bob = ts.client(&b, v).await.expect("bob");
        update(&mut bob, status_text("before")).await;
        let p = subscribe_users(
            &mut alice,
            &[&b],
            Some(PresenceSubList::wanted(["UserAvailability"])),
        )
        .await;
        assert!(is_ok(&p), "{v:?}: {p:?}");
        // At once: bob has no availability yet, so nothing may be shown.
        let first = notification_of(&mut alice, &b).await;
        assert!(shows_nothing(&first), "{v:?}: {first:?}");
        // A change of an attribute not subscribed to brings nothing.
        update(&mut bob, status_text("after")).await;
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        // A change of a subscribed one does, with only that attribute.
        update(&mut bob, availability("NOT_AVAILABLE")).await;
        let n = notification_of(&mut alice, &b).await;
        assert_eq!(text(&n.user_availability), Some("NOT_AVAILABLE"), "{v:?}");
        assert_eq!(n.names(), vec!["UserAvailability"], "{v:?}: filtered");
        update(&mut bob, availability("AVAILABLE")).await;
        let n = notification_of(&mut alice, &b).await;
        assert_eq!(text(&n.user_availability), Some("AVAILABLE"), "{v:?}");
        // Unsubscribing stops the notifications.
        let (user, user_id_list) = users(v.version, &[&b]);
        let p = alice
            .request(Primitive::UnsubscribePresenceRequest(
                UnsubscribePresenceRequest {
                    user,
                    user_id_list,
                    ..Default::default()
                },
            ))
            .await
            .expect("unsubscribe");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        update(&mut bob, availability("DISCREET")).await;
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn subscription_by_contact_list() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for (i, v) in Variant::ALL.into_iter().enumerate() {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let list = format!("wv:alice/friends{i}@localhost");
        let p = alice
            .request(Primitive::CreateListRequest(CreateListRequest {
                contact_list: list.clone(),
                nick_list: Some(NickList {
                    nick_name: vec![NickName {
                        name: Some("Bob".into()),
                        user_id: uid("bob"),
                    }],
                }),
                contact_list_properties: None,
            }))
            .await
            .expect("CreateList");
        assert!(
            is_ok(&p) || matches!(p, Primitive::CreateListResponse(_)),
            "{v:?}: {p:?}"
        );
        let (contact_list, contact_list_id_list) = lists(v.version, &[&list]);
        let p = alice
            .request(Primitive::from(SubscribePresenceRequest {
                contact_list,
                contact_list_id_list,
                ..Default::default()
            }))
            .await
            .expect("subscribe");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(online(&n), Some(true), "{v:?}");
        update(&mut bob, status_text(&format!("{v:?}"))).await;
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(text(&n.status_text), Some(format!("{v:?}").as_str()));
        // carol is no member: no notification about her.
        let mut carol = ts.client("carol", v).await.expect("carol");
        update(&mut carol, status_text("hi")).await;
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        // An unknown list: 700.
        let (contact_list, contact_list_id_list) = lists(v.version, &["nolist"]);
        let p = alice
            .request(Primitive::from(SubscribePresenceRequest {
                contact_list,
                contact_list_id_list,
                ..Default::default()
            }))
            .await
            .expect("subscribe");
        assert_eq!(status_code(&p), StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn online_status_follows_login_and_last_logout() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(online(&n), Some(false), "{v:?}: bob is offline");
        let mut bob1 = ts.client("bob", v).await.expect("bob");
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(online(&n), Some(true), "{v:?}: login");
        let mut bob2 = ts.client("bob", Variant::V12_WBXML).await.expect("bob 2");
        bob1.logout().await.expect("logout");
        // Still online through the second session.
        let p = presence_of(&mut alice, "bob").await;
        assert_eq!(online(&p), Some(true), "{v:?}");
        bob2.logout().await.expect("logout");
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(online(&n), Some(false), "{v:?}: last logout");
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn auto_subscribe_follows_list_membership() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    let v = Variant::V12_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    let mut carol = ts.client("carol", v).await.expect("carol");
    commands::create_list(&mut alice, "friends", None)
        .await
        .expect("create");
    commands::list_add(&mut alice, "friends", "bob", None)
        .await
        .expect("add bob");
    commands::subscribe_list(&mut alice, "friends", true)
        .await
        .expect("subscribe");
    notification_of(&mut alice, "bob").await;
    // carol joins the list: alice now watches her.
    commands::list_add(&mut alice, "friends", "carol", None)
        .await
        .expect("add carol");
    let n = notification_of(&mut alice, "carol").await;
    assert_eq!(online(&n), Some(true));
    update(&mut carol, status_text("carol here")).await;
    let n = notification_of(&mut alice, "carol").await;
    assert_eq!(text(&n.status_text), Some("carol here"));
    // bob leaves the list: no more about him.
    commands::list_remove(&mut alice, "friends", "wv:bob@localhost")
        .await
        .expect("remove bob");
    update(&mut bob, status_text("bob here")).await;
    assert!(alice.poll().await.expect("poll").is_none());
}

#[tokio::test]
async fn auto_subscription_ends_with_its_list_but_not_while_another_holds_the_member() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    // AutoSubscribe exists in CSP 1.2 only.
    for v in Variant::ALL
        .into_iter()
        .filter(|v| v.version == CspVersion::V1_2)
    {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        for (list, members) in [("friends", &["bob", "carol"][..]), ("work", &["carol"][..])] {
            commands::create_list(&mut alice, list, None)
                .await
                .expect("create");
            for m in members {
                commands::list_add(&mut alice, list, m, None)
                    .await
                    .expect("add");
            }
            commands::subscribe_list(&mut alice, list, true)
                .await
                .expect("subscribe");
        }
        while alice.poll().await.expect("poll").is_some() {}
        // carol leaves "work" but is still on "friends": alice still hears of her.
        commands::list_remove(&mut alice, "work", "wv:carol@localhost")
            .await
            .expect("remove carol");
        update(&mut carol, status_text("still here")).await;
        let n = notification_of(&mut alice, "carol").await;
        assert_eq!(text(&n.status_text), Some("still here"), "{v:?}");
        // "friends" is deleted: alice stops hearing of bob and carol.
        commands::delete_list(&mut alice, "friends")
            .await
            .expect("delete");
        update(&mut bob, status_text("bob here")).await;
        update(&mut carol, status_text("carol here")).await;
        let left = alice.poll().await.expect("poll");
        assert!(left.is_none(), "{v:?}: {left:?}");
        commands::delete_list(&mut alice, "work")
            .await
            .expect("delete work");
        for mut c in [alice, bob, carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn attribute_lists_restrict_what_a_watcher_sees() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let mut carol = ts.client("carol", v).await.expect("carol");
        let mut sub = availability("AVAILABLE");
        sub.status_text = Some(TextAttribute::new("secret plans"));
        update(&mut bob, sub).await;

        // bob: alice may see StatusText; everyone else only UserAvailability.
        let (user_id, user_id_list) = if v.version >= CspVersion::V1_3 {
            (
                Vec::new(),
                Some(UserIdList {
                    user_id: vec![uid("alice")],
                }),
            )
        } else {
            (vec![uid("alice")], None)
        };
        let p = bob
            .request(Primitive::from(CreateAttributeListRequest {
                presence_sub_list: PresenceSubList::wanted(["StatusText", "OnlineStatus"]),
                user_id,
                user_id_list,
                default_list: Some(false),
                ..Default::default()
            }))
            .await
            .expect("CreateAttributeList");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        let p = bob
            .request(Primitive::from(CreateAttributeListRequest {
                presence_sub_list: PresenceSubList::wanted(["UserAvailability"]),
                default_list: Some(true),
                ..Default::default()
            }))
            .await
            .expect("CreateAttributeList default");
        assert!(is_ok(&p), "{v:?}: {p:?}");

        let seen = presence_of(&mut alice, "bob").await;
        assert_eq!(text(&seen.status_text), Some("secret plans"), "{v:?}");
        assert!(seen.user_availability.is_none(), "{v:?}: {seen:?}");
        assert_eq!(online(&seen), Some(true));
        let seen = presence_of(&mut carol, "bob").await;
        assert_eq!(text(&seen.user_availability), Some("AVAILABLE"), "{v:?}");
        assert!(seen.status_text.is_none(), "{v:?}: {seen:?}");

        // A subscribed watcher gets only what it may see.
        assert!(is_ok(&subscribe_users(&mut carol, &["bob"], None).await));
        let n = notification_of(&mut carol, "bob").await;
        assert_eq!(n.names(), vec!["UserAvailability"], "{v:?}");
        update(&mut bob, status_text("more secrets")).await;
        assert!(carol.poll().await.expect("poll").is_none(), "{v:?}");

        // GetAttributeList shows both.
        let p = bob
            .request(Primitive::GetAttributeListRequest(
                GetAttributeListRequest {
                    default_list: Some(true),
                    ..Default::default()
                },
            ))
            .await
            .expect("GetAttributeList");
        let Primitive::GetAttributeListResponse(r) = p else {
            panic!("{v:?}: {p:?}")
        };
        let default = r
            .default_attribute_list
            .and_then(|d| d.presence_sub_list)
            .expect("default list");
        assert_eq!(default.names(), vec!["UserAvailability"]);
        let for_alice = r
            .presence
            .iter()
            .find(|p| p.user_id.as_deref() == Some(uid("alice").as_str()))
            .expect("alice's list");
        assert_eq!(
            for_alice.presence_sub_list[0].names(),
            vec!["OnlineStatus", "StatusText"]
        );

        // Deleting alice's list: she falls back to the default one.
        let (user_id, user_id_list) = if v.version >= CspVersion::V1_3 {
            (
                Vec::new(),
                Some(UserIdList {
                    user_id: vec!["alice".into()],
                }),
            )
        } else {
            (vec!["alice".into()], None)
        };
        let p = bob
            .request(Primitive::DeleteAttributeListRequest(
                DeleteAttributeListRequest {
                    user_id,
                    user_id_list,
                    default_list: Some(false),
                    ..Default::default()
                },
            ))
            .await
            .expect("DeleteAttributeList");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        let seen = presence_of(&mut alice, "bob").await;
        assert_eq!(seen.names(), vec!["UserAvailability"], "{v:?}");
        // And without any list, everything (open community).
        let p = bob
            .request(Primitive::DeleteAttributeListRequest(
                DeleteAttributeListRequest {
                    default_list: Some(true),
                    ..Default::default()
                },
            ))
            .await
            .expect("DeleteAttributeList default");
        assert!(is_ok(&p));
        let seen = presence_of(&mut alice, "bob").await;
        assert_eq!(text(&seen.status_text), Some("more secrets"), "{v:?}");
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn a_block_list_hides_presence() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        update(&mut bob, status_text("visible")).await;
        assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(text(&n.status_text), Some("visible"));
        commands::block(&mut bob, "alice", true)
            .await
            .expect("block");
        let n = notification_of(&mut alice, "bob").await;
        assert!(shows_nothing(&n), "{v:?}: {n:?}");
        let p = presence_of(&mut alice, "bob").await;
        assert!(shows_nothing(&p), "{v:?}: {p:?}");
        update(&mut bob, status_text("hidden")).await;
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        commands::block(&mut bob, "alice", false)
            .await
            .expect("unblock");
        let n = notification_of(&mut alice, "bob").await;
        assert_eq!(text(&n.status_text), Some("hidden"), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn watcher_list_current_and_former() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
        let watchers = |p: Primitive| {
            let Primitive::GetWatcherListResponse(r) = p else {
                panic!("{v:?}: GetWatcherList-Response expected, got {p:?}");
            };
            r
        };
        let r = watchers(
            bob.request(Primitive::GetWatcherListRequest(
                GetWatcherListRequest::default(),
            ))
            .await
            .expect("GetWatcherList"),
        );
        assert_eq!(r.watcher_ids(), vec![uid("alice").as_str()], "{v:?}");
        if v.version >= CspVersion::V1_2 {
            assert_eq!(
                r.watcher[0].watcher_status.as_deref(),
                Some("CURRENT_SUBSCRIBER")
            );
        }
        if v.version >= CspVersion::V1_3 {
            assert_eq!(r.watcher_count, Some(1));
        }
        let (user, user_id_list) = users(v.version, &["bob"]);
        alice
            .request(Primitive::UnsubscribePresenceRequest(
                UnsubscribePresenceRequest {
                    user,
                    user_id_list,
                    ..Default::default()
                },
            ))
            .await
            .expect("unsubscribe");
        let r = watchers(
            bob.request(Primitive::GetWatcherListRequest(
                GetWatcherListRequest::default(),
            ))
            .await
            .expect("GetWatcherList"),
        );
        assert!(r.watcher_ids().is_empty(), "{v:?}: {r:?}");
        if v.version >= CspVersion::V1_2 {
            let r = watchers(
                bob.request(Primitive::GetWatcherListRequest(GetWatcherListRequest {
                    history_period: Some(3600),
                    max_watcher_list: None,
                }))
                .await
                .expect("GetWatcherList"),
            );
            assert_eq!(r.history_period, Some(3600));
            assert_eq!(r.watcher_ids(), vec![uid("alice").as_str()], "{v:?}");
            assert_eq!(
                r.watcher[0].watcher_status.as_deref(),
                Some("FORMER_SUBSCRIBER")
            );
        }
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn reactive_authorisation_in_1_1_and_1_2() {
    let variants = [
        Variant::V11_XML,
        Variant::V11_WBXML,
        Variant::V12_XML,
        Variant::V12_WBXML,
    ];
    // A watcher and a presentity per variant: decisions are remembered.
    let names: Vec<String> = (0..variants.len())
        .flat_map(|i| [format!("watcher{i}"), format!("owner{i}")])
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ts = TestServer::start_with(&refs, |s| {
        s.engine.open_presence = false;
    })
    .await
    .expect("server");
    for (i, v) in variants.into_iter().enumerate() {
        let (w, o) = (format!("watcher{i}"), format!("owner{i}"));
        let mut watcher = ts.client(&w, v).await.expect("watcher");
        let mut owner = ts.client(&o, v).await.expect("owner");
        update(&mut owner, status_text("ask first")).await;
        assert!(is_ok(&subscribe_users(&mut watcher, &[&o], None).await));
        // Until the owner answers the watcher sees only whether the owner is online.
        let n = notification_of(&mut watcher, &o).await;
        assert_eq!(n.names(), vec!["OnlineStatus"], "{v:?}: {n:?}");
        assert_eq!(online(&n), Some(true));
        let p = owner
            .wait_for(WAIT, |p| matches!(p, Primitive::PresenceAuthRequest(_)))
            .await
            .expect("PresenceAuth-Request");
        let Primitive::PresenceAuthRequest(a) = p else {
            unreachable!()
        };
        assert_eq!(a.user_id, uid(&w), "{v:?}");
        let reactive = |p: Primitive| {
            let Primitive::GetReactiveAuthStatusResponse(r) = p else {
                panic!("{v:?}: GetReactiveAuthStatus-Response expected, got {p:?}")
            };
            r.reactive_auth_status_list
                .expect("ReactiveAuthStatusList")
                .reactive_auth_status
        };
        if v.version == CspVersion::V1_2 {
            let list = reactive(
                owner
                    .request(Primitive::GetReactiveAuthStatusRequest(
                        GetReactiveAuthStatusRequest {
                            user_id: vec![w.clone()],
                        },
                    ))
                    .await
                    .expect("GetReactiveAuthStatus"),
            );
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].reactive_auth_state.as_deref(), Some("PENDING"));
        }
        let p = owner
            .request(Primitive::from(PresenceAuthUser {
                user_id: uid(&w),
                acceptance: Some(true),
                presence_sub_list: None,
            }))
            .await
            .expect("PresenceAuth-User");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        let n = notification_of(&mut watcher, &o).await;
        assert_eq!(text(&n.status_text), Some("ask first"), "{v:?}: granted");
        if v.version == CspVersion::V1_2 {
            let list = reactive(
                owner
                    .request(Primitive::GetReactiveAuthStatusRequest(
                        GetReactiveAuthStatusRequest {
                            user_id: vec![uid(&w)],
                        },
                    ))
                    .await
                    .expect("GetReactiveAuthStatus"),
            );
            assert_eq!(list[0].user_id, uid(&w));
            assert_eq!(list[0].reactive_auth_state.as_deref(), Some("GRANTED"));
        }
        // CancelAuth revokes: back to OnlineStatus only.
        let p = owner
            .request(Primitive::CancelAuthRequest(CancelAuthRequest {
                user_id: uid(&w),
            }))
            .await
            .expect("CancelAuth");
        assert!(is_ok(&p), "{v:?}: {p:?}");
        let n = notification_of(&mut watcher, &o).await;
        assert_eq!(n.names(), vec!["OnlineStatus"], "{v:?}: revoked");
        watcher.logout().await.expect("logout");
        owner.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn unknown_users_531_and_partial_201() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = get_presence(&mut alice, &["mallory"]).await;
        assert_eq!(status_code(&p), StatusCode::UNKNOWN_USER, "{v:?}");
        let p = get_presence(&mut alice, &["bob", "mallory"]).await;
        let Primitive::GetPresenceResponse(r) = p else {
            panic!("{v:?}: {p:?}")
        };
        let result = r.result.expect("Result");
        assert_eq!(result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(result.detailed[0].code, StatusCode::UNKNOWN_USER);
        assert_eq!(result.detailed[0].user_id, vec!["mallory".to_owned()]);
        assert_eq!(r.presence.len(), 1);
        assert!(!r.presence[0].presence_sub_list.is_empty());

        let p = subscribe_users(&mut alice, &["mallory"], None).await;
        assert_eq!(status_code(&p), StatusCode::UNKNOWN_USER, "{v:?}");
        let p = subscribe_users(&mut alice, &["bob", "mallory"], None).await;
        let Primitive::Status(s) = p else {
            panic!("{v:?}: {p:?}")
        };
        assert_eq!(s.result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(s.result.detailed[0].user_id, vec!["mallory".to_owned()]);
        notification_of(&mut alice, "bob").await;
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn reactive_authorisation_asks_an_owner_who_logs_in_later() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.open_presence = false;
    })
    .await
    .expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
    let n = notification_of(&mut alice, "bob").await;
    assert_eq!(n.names(), vec!["OnlineStatus"]);
    // bob was offline: he is asked when he comes.
    let mut bob = ts.client("bob", Variant::V11_WBXML).await.expect("bob");
    let p = bob
        .wait_for(WAIT, |p| matches!(p, Primitive::PresenceAuthRequest(_)))
        .await
        .expect("PresenceAuth-Request at login");
    let Primitive::PresenceAuthRequest(a) = p else {
        unreachable!()
    };
    assert_eq!(a.user_id, uid("alice"));
    update(&mut bob, status_text("hello alice")).await;
    let p = bob
        .request(Primitive::from(PresenceAuthUser {
            user_id: "alice".into(),
            acceptance: Some(true),
            presence_sub_list: None,
        }))
        .await
        .expect("PresenceAuth-User");
    assert!(is_ok(&p), "{p:?}");
    let n = loop {
        let n = notification_of(&mut alice, "bob").await;
        if n.status_text.is_some() {
            break n;
        }
    };
    assert_eq!(text(&n.status_text), Some("hello alice"));
}

#[tokio::test]
async fn proactive_authorisation_needs_no_reactive_question() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.open_presence = false;
    })
    .await
    .expect("server");
    let v = Variant::V12_WBXML;
    let mut bob = ts.client("bob", v).await.expect("bob");
    // bob lets the members of his list "friends" see StatusText.
    commands::create_list(&mut bob, "friends", None)
        .await
        .expect("create");
    commands::list_add(&mut bob, "friends", "alice", None)
        .await
        .expect("add");
    let p = bob
        .request(Primitive::from(CreateAttributeListRequest {
            presence_sub_list: PresenceSubList::wanted(["StatusText"]),
            contact_list: vec!["friends".into()],
            default_list: Some(false),
            ..Default::default()
        }))
        .await
        .expect("CreateAttributeList");
    assert!(is_ok(&p), "{p:?}");
    update(&mut bob, status_text("friends only")).await;
    let mut alice = ts.client("alice", v).await.expect("alice");
    assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
    let n = notification_of(&mut alice, "bob").await;
    assert_eq!(text(&n.status_text), Some("friends only"));
    // Nothing to ask: bob gets no PresenceAuth-Request.
    assert!(bob.poll().await.expect("poll").is_none());
}

#[tokio::test]
async fn former_watchers_count_from_when_they_stopped() {
    let mut ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    let v = Variant::V13_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut carol = ts.client("carol", v).await.expect("carol");
    let mut bob = ts.client("bob", v).await.expect("bob");
    assert!(is_ok(&subscribe_users(&mut alice, &["bob"], None).await));
    assert!(is_ok(&subscribe_users(&mut carol, &["bob"], None).await));
    // Watching for a while, then stopping: by unsubscribing, and by logging out.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (user, user_id_list) = users(v.version, &["bob"]);
    let p = alice
        .request(Primitive::UnsubscribePresenceRequest(
            UnsubscribePresenceRequest {
                user,
                user_id_list,
                ..Default::default()
            },
        ))
        .await
        .expect("unsubscribe");
    assert!(is_ok(&p));
    carol.logout().await.expect("logout");
    assert_eq!(
        former_watchers(&mut bob, 3).await,
        vec![uid("alice"), uid("carol")]
    );

    // The history survives a restart of the server.
    ts.restart().await.expect("restart");
    let mut bob = ts.client("bob", v).await.expect("bob again");
    assert_eq!(
        former_watchers(&mut bob, 600).await,
        vec![uid("alice"), uid("carol")]
    );
}

/// The former watchers GetWatcherList names within `period` seconds, sorted.
async fn former_watchers(c: &mut Client, period: u32) -> Vec<String> {
    let p = c
        .request(Primitive::GetWatcherListRequest(GetWatcherListRequest {
            history_period: Some(period),
            max_watcher_list: None,
        }))
        .await
        .expect("GetWatcherList");
    let Primitive::GetWatcherListResponse(r) = p else {
        panic!("{p:?}")
    };
    let mut former: Vec<String> = r
        .watcher
        .iter()
        .filter(|w| w.watcher_status.as_deref() == Some("FORMER_SUBSCRIBER"))
        .filter_map(|w| w.watcher_id().map(str::to_owned))
        .collect();
    former.sort_unstable();
    former
}

#[tokio::test]
async fn own_presence_is_the_same_on_every_session_of_a_user() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let mut phone = ts.client("alice", Variant::V12_WBXML).await.expect("phone");
    let mut desktop = ts.client("alice", Variant::V13_XML).await.expect("desktop");
    imps_client::commands::set_presence(&mut phone, None, Some("on the phone".into()), None)
        .await
        .expect("update");
    // The other session is told ...
    let p = desktop
        .wait_for(std::time::Duration::from_secs(10), |p| {
            matches!(p, imps_csp::Primitive::PresenceNotificationRequest(_))
        })
        .await
        .expect("own presence pushed to the other session");
    assert!(format!("{p:?}").contains("on the phone"));
    // ... and both read the same.
    for c in [&mut phone, &mut desktop] {
        let lines = imps_client::commands::get_presence(c, &["alice".to_owned()])
            .await
            .expect("GetPresence");
        assert!(lines[0].contains("status=on the phone"), "{lines:?}");
        assert!(lines[0].contains("online=yes"), "{lines:?}");
    }
}
