//! Scenario tests of instant messaging over real HTTP against the real server, in every
//! version and encoding: push and notify/get delivery, the durable inbox, delivery reports,
//! message lists, reject and forward, errors, and the acknowledgement rules Android needs.

use std::time::Duration;

use imps_client::{Client, ClientConfig};
use imps_csp::codec::ContentData;
use imps_csp::model::common::{NickList, NickName};
use imps_csp::model::common::{Recipient, Sender, User};
use imps_csp::model::im::{
    DeliveryReportRequest, ForwardMessageRequest, GetMessageListRequest, GetMessageRequest,
    MessageDelivered, MessageInfo, NewMessage, RejectMessageRequest, SendMessageRequest,
    SetDeliveryMethodRequest,
};
use imps_csp::model::presence::CreateListRequest;
use imps_csp::model::session::{CapabilityList, ClientCapabilityRequest};
use imps_csp::{CspVersion, Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

const WAIT: Duration = Duration::from_secs(15);

fn uid(name: &str) -> String {
    format!("wv:{name}@localhost")
}

fn text_message(to: &[&str], lists: &[&str], text: &str, report: bool) -> SendMessageRequest {
    SendMessageRequest {
        delivery_report: Some(report),
        message_info: MessageInfo {
            content_type: Some("text/plain".into()),
            content_size: Some(text.chars().count() as u32),
            recipient: Some(Recipient {
                user: to.iter().map(|u| User::new(*u)).collect(),
                contact_list: lists.iter().map(|l| (*l).to_owned()).collect(),
                ..Default::default()
            }),
            ..Default::default()
        },
        content_data: Some(ContentData::Text(text.to_owned())),
    }
}

async fn send(c: &mut Client, req: SendMessageRequest) -> Primitive {
    c.request(Primitive::SendMessageRequest(req))
        .await
        .expect("SendMessage")
}

/// The code of a SendMessage answer (SendMessage-Response or Status).
fn code_of(p: &Primitive) -> StatusCode {
    match p {
        Primitive::SendMessageResponse(r) => r.result.code,
        Primitive::Status(s) => s.result.code,
        other => panic!("unexpected answer {other:?}"),
    }
}

fn text_of(m: &NewMessage) -> &str {
    match &m.content_data {
        Some(ContentData::Text(t)) => t,
        other => panic!("text content expected, got {other:?}"),
    }
}

fn sender_of(info: &MessageInfo) -> &str {
    info.sender
        .as_ref()
        .and_then(|s| s.user.as_ref())
        .map(|u| u.user_id.as_str())
        .expect("Sender/User")
}

async fn receive(c: &mut Client) -> NewMessage {
    match c
        .wait_for(WAIT, |p| matches!(p, Primitive::NewMessage(_)))
        .await
        .expect("a NewMessage")
    {
        Primitive::NewMessage(m) => m,
        _ => unreachable!(),
    }
}

/// The next DeliveryReport-Request that reaches `c`.
async fn delivery_report(c: &mut Client) -> DeliveryReportRequest {
    match c
        .wait_for(WAIT, |p| matches!(p, Primitive::DeliveryReportRequest(_)))
        .await
        .expect("a DeliveryReport-Request")
    {
        Primitive::DeliveryReportRequest(d) => *d,
        _ => unreachable!(),
    }
}

/// A logged-in client of `name` that asked for notify/get delivery.
async fn notify_client(ts: &TestServer, name: &str, v: Variant) -> Client {
    let mut cfg: ClientConfig = ts.config(v);
    cfg.delivery = "N";
    let mut c = Client::new(cfg).expect("client");
    c.login(name, &format!("{name}-pw")).await.expect("login");
    c.negotiate().await.expect("negotiate");
    c
}

async fn message_list(c: &mut Client) -> Vec<MessageInfo> {
    let p = c
        .request(Primitive::GetMessageListRequest(
            GetMessageListRequest::default(),
        ))
        .await
        .expect("GetMessageList");
    let Primitive::GetMessageListResponse(r) = p else {
        panic!("GetMessageList-Response expected, got {p:?}");
    };
    if c.version() >= CspVersion::V1_3 {
        assert!(r.message_info.is_empty());
        let list = r.message_info_list.clone().expect("1.3 MessageInfoList");
        assert_eq!(
            r.message_total_count,
            Some(list.message_info.len() as u32),
            "1.3 MessageTotalCount"
        );
    } else {
        assert!(r.message_info_list.is_none() && r.message_total_count.is_none());
    }
    r.entries().cloned().collect()
}

#[tokio::test]
async fn every_variant_sends_to_and_receives_from_another() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let all = Variant::ALL;
    for (i, va) in all.iter().enumerate() {
        // Each variant talks with the next one (1.3 WBXML with 1.1 XML), both ways.
        let vb = all[(i + 1) % all.len()];
        let mut alice = ts.client("alice", *va).await.expect("alice");
        let mut bob = ts.client("bob", vb).await.expect("bob");

        let text = format!("hello from {va:?} <&> ünïcödé");
        let mut req = text_message(&["bob"], &[], &text, false);
        // A forged Sender is ignored: the server says who sent it.
        req.message_info.sender = Some(Sender {
            user: Some(User::new("wv:mallory@localhost")),
            group: None,
        });
        let p = send(&mut alice, req).await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{va:?}: SendMessage-Response expected, got {p:?}");
        };
        assert_eq!(r.result.code, StatusCode::SUCCESS, "{va:?}");
        let id = r.message_id.expect("MessageID");

        let m = receive(&mut bob).await;
        assert_eq!(text_of(&m), text, "{va:?} -> {vb:?}");
        assert_eq!(sender_of(&m.message_info), uid("alice"), "{va:?} -> {vb:?}");
        assert_eq!(m.message_info.message_id.as_deref(), Some(id.as_str()));
        assert!(m.message_info.date_time.is_some(), "server fills DateTime");
        assert_eq!(m.message_info.content_type.as_deref(), Some("text/plain"));

        let reply = format!("reply from {vb:?}");
        bob.send_text(&["wv:alice@localhost"], &reply)
            .await
            .expect("reply");
        let m = receive(&mut alice).await;
        assert_eq!(text_of(&m), reply, "{vb:?} -> {va:?}");
        assert_eq!(sender_of(&m.message_info), uid("bob"));

        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn offline_messages_are_delivered_at_the_next_login() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        alice.send_text(&["bob"], "one").await.expect("send one");
        alice.send_text(&["bob"], "two").await.expect("send two");
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert_eq!(text_of(&receive(&mut bob).await), "one", "{v:?}");
        assert_eq!(text_of(&receive(&mut bob).await), "two", "{v:?}");
        bob.logout().await.expect("logout");
        // Delivered (acknowledged) messages are gone for good.
        let mut bob = ts.client("bob", v).await.expect("bob again");
        assert!(message_list(&mut bob).await.is_empty(), "{v:?}");
        assert!(bob.poll().await.expect("poll").is_none(), "{v:?}");
        bob.logout().await.expect("logout");
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn notify_then_get_then_delivered() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = notify_client(&ts, "bob", v).await;
        let id = alice.send_text(&["bob"], "fetch me").await.expect("send");
        let p = bob
            .wait_for(WAIT, |p| matches!(p, Primitive::MessageNotification(_)))
            .await
            .expect("MessageNotification");
        let Primitive::MessageNotification(n) = p else {
            unreachable!()
        };
        assert_eq!(n.message_info.message_id.as_deref(), Some(id.as_str()));
        assert_eq!(sender_of(&n.message_info), uid("alice"));

        // Fetching does not remove it: it can be fetched again.
        for _ in 0..2 {
            let p = bob
                .request(Primitive::GetMessageRequest(GetMessageRequest {
                    message_id: id.clone(),
                }))
                .await
                .expect("GetMessage");
            let Primitive::GetMessageResponse(r) = p else {
                panic!("{v:?}: GetMessage-Response expected, got {p:?}");
            };
            assert_eq!(r.content_data, Some(ContentData::Text("fetch me".into())));
            assert_eq!(sender_of(&r.message_info), uid("alice"));
        }
        let p = bob
            .request(Primitive::MessageDelivered(MessageDelivered {
                message_id: id.clone(),
            }))
            .await
            .expect("MessageDelivered");
        assert!(matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
        let p = bob
            .request(Primitive::GetMessageRequest(GetMessageRequest {
                message_id: id.clone(),
            }))
            .await
            .expect("GetMessage");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::INVALID_MESSAGE_ID),
            "{v:?}: delivered message gone: {p:?}"
        );
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn get_message_list_lists_undelivered_messages() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = notify_client(&ts, "bob", v).await;
        let a = alice.send_text(&["bob"], "a").await.expect("send");
        let b = alice.send_text(&["bob"], "b").await.expect("send");
        let list = message_list(&mut bob).await;
        let ids: Vec<&str> = list
            .iter()
            .filter_map(|i| i.message_id.as_deref())
            .collect();
        assert_eq!(ids, vec![a.as_str(), b.as_str()], "{v:?}: oldest first");
        assert!(list.iter().all(|i| sender_of(i) == uid("alice")));
        // MessageCount bounds the entries, not the total.
        let p = bob
            .request(Primitive::GetMessageListRequest(GetMessageListRequest {
                group_id: None,
                message_count: Some(1),
            }))
            .await
            .expect("GetMessageList");
        let Primitive::GetMessageListResponse(r) = p else {
            panic!("{v:?}: {p:?}")
        };
        assert_eq!(r.entries().count(), 1, "{v:?}");
        if v.version >= CspVersion::V1_3 {
            assert_eq!(r.message_total_count, Some(2), "{v:?}");
        }
        // Clean up for the next variant.
        let p = bob
            .request(Primitive::RejectMessageRequest(RejectMessageRequest {
                message_id: vec![a, b],
            }))
            .await
            .expect("reject");
        assert!(matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
        assert!(message_list(&mut bob).await.is_empty());
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn rejected_message_is_gone_and_the_sender_hears_538() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in [Variant::V11_WBXML, Variant::V12_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = notify_client(&ts, "bob", v).await;
        let p = send(&mut alice, text_message(&["bob"], &[], "unwanted", true)).await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{p:?}")
        };
        let id = r.message_id.expect("MessageID");
        let p = bob
            .request(Primitive::RejectMessageRequest(RejectMessageRequest {
                message_id: vec![id.clone(), "no-such-id".into()],
            }))
            .await
            .expect("reject");
        let Primitive::Status(s) = p else {
            panic!("{p:?}")
        };
        assert_eq!(s.result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(s.result.detailed[0].code, StatusCode::INVALID_MESSAGE_ID);
        let d = delivery_report(&mut alice).await;
        assert_eq!(d.result.code, StatusCode::MESSAGE_REJECTED, "{v:?}");
        assert_eq!(d.message_info.message_id.as_deref(), Some(id.as_str()));
        assert!(message_list(&mut bob).await.is_empty());
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn forward_message_sends_a_copy_from_the_forwarder() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = notify_client(&ts, "bob", v).await;
        let mut carol = ts.client("carol", v).await.expect("carol");
        let id = alice.send_text(&["bob"], "pass it on").await.expect("send");
        let p = bob
            .request(Primitive::ForwardMessageRequest(ForwardMessageRequest {
                message_id: id.clone(),
                sender: None,
                recipient: Recipient {
                    user: vec![User::new("carol")],
                    ..Default::default()
                },
            }))
            .await
            .expect("forward");
        if v.version >= CspVersion::V1_3 {
            let Primitive::ForwardMessageResponse(r) = p else {
                panic!("{v:?}: ForwardMessage-Response expected, got {p:?}");
            };
            assert!(r.message_id.is_some());
        } else {
            assert!(
                matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
                "{v:?}: {p:?}"
            );
        }
        let m = receive(&mut carol).await;
        assert_eq!(text_of(&m), "pass it on", "{v:?}");
        assert_eq!(sender_of(&m.message_info), uid("bob"), "{v:?}");
        let p = bob
            .request(Primitive::ForwardMessageRequest(ForwardMessageRequest {
                message_id: "no-such-id".into(),
                sender: None,
                recipient: Recipient {
                    user: vec![User::new("carol")],
                    ..Default::default()
                },
            }))
            .await
            .expect("forward");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::INVALID_MESSAGE_ID)
        );
        bob.request(Primitive::RejectMessageRequest(RejectMessageRequest {
            message_id: vec![id],
        }))
        .await
        .expect("cleanup");
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn delivery_report_reaches_a_sender_that_asked() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let p = send(&mut alice, text_message(&["bob"], &[], "report it", true)).await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{p:?}")
        };
        let id = r.message_id.expect("MessageID");
        receive(&mut bob).await;
        let d = delivery_report(&mut alice).await;
        assert_eq!(d.result.code, StatusCode::SUCCESS, "{v:?}");
        assert_eq!(d.message_info.message_id.as_deref(), Some(id.as_str()));
        assert!(d.delivery_time.is_some());
        // Without DeliveryReport=T nothing comes back.
        alice.send_text(&["bob"], "no report").await.expect("send");
        receive(&mut bob).await;
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn delivery_report_waits_for_an_offline_sender_across_a_restart() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = send(
            &mut alice,
            text_message(&["bob"], &[], "tell me later", true),
        )
        .await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{p:?}")
        };
        let id = r.message_id.expect("MessageID");
        alice.logout().await.expect("logout");
        // bob reads it while alice is away; then the server restarts.
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert_eq!(text_of(&receive(&mut bob).await), "tell me later");
        bob.logout().await.expect("logout");
        ts.restart().await.expect("restart");
        let mut alice = ts.client("alice", v).await.expect("alice again");
        let d = delivery_report(&mut alice).await;
        assert_eq!(d.result.code, StatusCode::SUCCESS, "{v:?}");
        assert_eq!(d.message_info.message_id.as_deref(), Some(id.as_str()));
        // Handed out once: the next login has nothing waiting.
        alice.logout().await.expect("logout");
        let mut alice = ts.client("alice", v).await.expect("alice third");
        assert!(alice.poll().await.expect("poll").is_none(), "{v:?}");
        alice.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn set_delivery_method_switches_between_push_and_notify() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        let set = |m: &str| {
            Primitive::SetDeliveryMethodRequest(SetDeliveryMethodRequest {
                delivery_method: m.into(),
                ..Default::default()
            })
        };
        let p = bob.request(set("N")).await.expect("SetDeliveryMethod");
        assert!(matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
        let id = alice.send_text(&["bob"], "notify me").await.expect("send");
        let p = bob
            .wait_for(WAIT, |p| {
                matches!(
                    p,
                    Primitive::MessageNotification(_) | Primitive::NewMessage(_)
                )
            })
            .await
            .expect("message");
        assert!(
            matches!(&p, Primitive::MessageNotification(n) if n.message_info.message_id.as_deref() == Some(id.as_str())),
            "{v:?}: {p:?}"
        );
        bob.request(Primitive::MessageDelivered(MessageDelivered {
            message_id: id,
        }))
        .await
        .expect("delivered");
        let p = bob.request(set("P")).await.expect("SetDeliveryMethod");
        assert!(matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
        alice.send_text(&["bob"], "push me").await.expect("send");
        let p = bob
            .wait_for(WAIT, |p| {
                matches!(
                    p,
                    Primitive::MessageNotification(_) | Primitive::NewMessage(_)
                )
            })
            .await
            .expect("message");
        assert!(
            matches!(&p, Primitive::NewMessage(m) if text_of(m) == "push me"),
            "{v:?}: {p:?}"
        );
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn unknown_recipient_531_and_partial_success_201() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let p = send(&mut alice, text_message(&["mallory"], &[], "x", false)).await;
        assert_eq!(code_of(&p), StatusCode::UNKNOWN_USER, "{v:?}: {p:?}");

        let p = send(
            &mut alice,
            text_message(&["bob", "mallory"], &[], "y", false),
        )
        .await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{v:?}: {p:?}")
        };
        assert_eq!(r.result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert!(r.message_id.is_some());
        assert_eq!(r.result.detailed.len(), 1);
        assert_eq!(r.result.detailed[0].code, StatusCode::UNKNOWN_USER);
        assert_eq!(r.result.detailed[0].user_id, vec!["mallory".to_owned()]);
        alice.logout().await.expect("logout");
    }
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    assert_eq!(text_of(&receive(&mut bob).await), "y");
}

/// Before 1.3, content above the length a recipient's session accepts is refused for that
/// recipient (415); a 1.3 session that may take segments is notified of it instead.
#[tokio::test]
async fn content_above_the_recipients_accepted_length_is_415() {
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    for v in Variant::ALL {
        // bob accepts at most 300 bytes (the server takes no less than 256 from a client).
        let mut bob = Client::new(ts.config(v)).expect("client");
        bob.login("bob", "bob-pw").await.expect("login");
        let mut caps = CapabilityList {
            initial_delivery_method: Some("P".into()),
            any_content: Some(true),
            ..Default::default()
        };
        if v.version >= CspVersion::V1_3 {
            caps.accepted_push_length = Some(300);
        } else {
            caps.accepted_content_length = Some(300);
        }
        let p = bob
            .request(Primitive::ClientCapabilityRequest(
                ClientCapabilityRequest {
                    capability_list: Some(caps),
                    ..Default::default()
                },
            ))
            .await
            .expect("capabilities");
        assert!(matches!(p, Primitive::ClientCapabilityResponse(_)));
        let mut carol = ts.client("carol", v).await.expect("carol");
        let mut alice = ts.client("alice", v).await.expect("alice");
        let big = "x".repeat(600);
        let p = send(&mut alice, text_message(&["bob"], &[], &big, false)).await;
        if v.version >= CspVersion::V1_3 {
            // A 1.3 session may take segments: notified, not refused (fetched with
            // GetMessage, in segments when too long: profiles.rs).
            assert_eq!(code_of(&p), StatusCode::SUCCESS, "{v:?}: {p:?}");
            let n = bob
                .wait_for(std::time::Duration::from_secs(10), |p| {
                    matches!(
                        p,
                        Primitive::MessageNotification(_) | Primitive::NewMessage(_)
                    )
                })
                .await
                .expect("delivery");
            assert!(
                matches!(n, Primitive::MessageNotification(_)),
                "{v:?}: notified, not pushed: {n:?}"
            );
            for c in [&mut alice, &mut bob, &mut carol] {
                c.logout().await.expect("logout");
            }
            continue;
        }
        assert_eq!(
            code_of(&p),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{v:?}: {p:?}"
        );
        let p = send(
            &mut alice,
            text_message(&["bob", "carol"], &[], &big, false),
        )
        .await;
        let Primitive::SendMessageResponse(r) = p else {
            panic!("{v:?}: {p:?}")
        };
        assert_eq!(r.result.code, StatusCode::PARTIALLY_SUCCESSFUL);
        assert_eq!(
            r.result.detailed[0].code,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(r.result.detailed[0].user_id, vec![uid("bob")]);
        assert_eq!(text_of(&receive(&mut carol).await), big);
        // Small content still gets through.
        alice.send_text(&["bob"], "small").await.expect("small");
        assert_eq!(text_of(&receive(&mut bob).await), "small", "{v:?}");
        for c in [&mut alice, &mut bob, &mut carol] {
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn a_message_to_a_contact_list_reaches_its_members() {
    let ts = TestServer::start(&["alice", "bob", "carol", "dave"])
        .await
        .expect("server");
    let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
    let p = alice
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "wv:alice/friends@localhost".into(),
            nick_list: Some(NickList {
                nick_name: ["bob", "carol"]
                    .iter()
                    .map(|n| NickName {
                        name: Some(n.to_uppercase()),
                        user_id: uid(n),
                    })
                    .collect(),
            }),
            contact_list_properties: None,
        }))
        .await
        .expect("CreateList");
    assert!(matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS));
    let mut bob = ts.client("bob", Variant::V11_XML).await.expect("bob");
    let mut carol = ts.client("carol", Variant::V13_XML).await.expect("carol");
    let mut dave = ts.client("dave", Variant::V12_XML).await.expect("dave");
    let p = send(
        &mut alice,
        text_message(&[], &["wv:alice/friends@localhost"], "to my friends", false),
    )
    .await;
    assert_eq!(code_of(&p), StatusCode::SUCCESS, "{p:?}");
    assert_eq!(text_of(&receive(&mut bob).await), "to my friends");
    assert_eq!(text_of(&receive(&mut carol).await), "to my friends");
    assert!(dave.poll().await.expect("poll").is_none(), "not a member");
    let p = send(&mut alice, text_message(&[], &["enemies"], "x", false)).await;
    assert_eq!(code_of(&p), StatusCode::CONTACT_LIST_DOES_NOT_EXIST);
}

#[tokio::test]
async fn acknowledged_new_message_is_not_delivered_again() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        alice.send_text(&["bob"], "once").await.expect("send");
        let req = bob.poll().await.expect("poll").expect("the NewMessage");
        assert!(matches!(req.primitive, Primitive::NewMessage(_)));
        // MessageDelivered in Response mode with the NewMessage's TransactionID (Android).
        bob.acknowledge(&req).await.expect("ack");
        assert!(bob.poll().await.expect("poll").is_none(), "{v:?}");
        bob.logout().await.expect("logout");
        let mut bob = ts.client("bob", v).await.expect("bob again");
        assert!(bob.poll().await.expect("poll").is_none(), "{v:?}");
        assert!(message_list(&mut bob).await.is_empty(), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn the_next_poll_overtakes_the_acknowledgement() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        alice.send_text(&["bob"], "first").await.expect("send");
        alice.send_text(&["bob"], "second").await.expect("send");
        let first = bob.poll().await.expect("poll").expect("first");
        // Android polls again before it acknowledges: the first message is in flight and
        // must not come again; the second one may.
        let second = bob.poll().await.expect("poll").expect("second");
        let third = bob.poll().await.expect("poll");
        assert!(third.is_none(), "{v:?}: {third:?}");
        let texts: Vec<&str> = [&first, &second]
            .iter()
            .map(|r| match &r.primitive {
                Primitive::NewMessage(m) => text_of(m),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, vec!["first", "second"], "{v:?}: no duplicates");
        // The late acknowledgements are still accepted.
        assert!(bob.acknowledge(&first).await.expect("ack").is_none());
        assert!(bob.acknowledge(&second).await.expect("ack").is_none());
        assert!(bob.poll().await.expect("poll").is_none());
        assert!(message_list(&mut bob).await.is_empty(), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn a_client_that_never_acknowledges_holds_at_most_the_outbox_and_loses_nothing() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.max_outbox = 3;
    })
    .await
    .expect("server");
    let v = Variant::V12_WBXML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", v).await.expect("bob");
    for i in 0..8 {
        alice
            .send_text(&["bob"], &format!("m{i}"))
            .await
            .expect("send");
    }
    // Polling without acknowledging: only as many requests as the outbox holds come out.
    let mut unacked = Vec::new();
    while let Some(r) = bob.poll().await.expect("poll") {
        unacked.push(r);
        assert!(
            unacked.len() <= 3,
            "more unacknowledged than the outbox holds"
        );
    }
    assert_eq!(unacked.len(), 3);
    // Acknowledged, the rest follows; every message arrives once.
    let mut texts = Vec::new();
    while !unacked.is_empty() {
        let mut next = Vec::new();
        for r in unacked.drain(..) {
            if let Primitive::NewMessage(m) = &r.primitive {
                texts.push(text_of(m).to_owned());
            }
            if let Some(more) = bob.acknowledge(&r).await.expect("ack") {
                next.push(more);
            }
        }
        while let Some(r) = bob.poll().await.expect("poll") {
            next.push(r);
        }
        unacked = next;
    }
    texts.sort();
    let want: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, want);
}

#[tokio::test]
async fn a_stored_message_still_expires_after_a_restart() {
    let mut ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.max_validity = 2;
    })
    .await
    .expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let p = send(&mut alice, text_message(&["bob"], &[], "gone soon", true)).await;
    assert_eq!(code_of(&p), StatusCode::SUCCESS);
    ts.restart_with(|s| s.engine.max_validity = 2)
        .await
        .expect("restart");
    let mut alice = ts.client("alice", v).await.expect("alice again");
    let d = delivery_report(&mut alice).await;
    assert_eq!(d.result.code, StatusCode::MESSAGE_EXPIRED);
    let mut bob = ts.client("bob", v).await.expect("bob");
    assert!(bob.poll().await.expect("poll").is_none());
}

#[tokio::test]
async fn expired_messages_are_dropped_and_reported() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.max_validity = 1;
    })
    .await
    .expect("server");
    let v = Variant::V12_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let p = send(&mut alice, text_message(&["bob"], &[], "soon gone", true)).await;
    assert_eq!(code_of(&p), StatusCode::SUCCESS);
    let d = delivery_report(&mut alice).await;
    assert_eq!(d.result.code, StatusCode::MESSAGE_EXPIRED);
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    assert!(bob.poll().await.expect("poll").is_none());
    assert!(message_list(&mut bob).await.is_empty());
}

#[tokio::test]
async fn stored_messages_follow_the_delivery_method_negotiated_at_login() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let id = alice.send_text(&["bob"], "while away").await.expect("send");
        // bob logs in asking for notify/get: the stored message is announced, not pushed.
        let mut bob = notify_client(&ts, "bob", v).await;
        let p = bob
            .wait_for(WAIT, |p| {
                matches!(
                    p,
                    Primitive::MessageNotification(_) | Primitive::NewMessage(_)
                )
            })
            .await
            .expect("message");
        assert!(
            matches!(&p, Primitive::MessageNotification(n) if n.message_info.message_id.as_deref() == Some(id.as_str())),
            "{v:?}: {p:?}"
        );
        bob.request(Primitive::MessageDelivered(MessageDelivered {
            message_id: id,
        }))
        .await
        .expect("delivered");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

#[tokio::test]
async fn poll_flag_and_a_status_acknowledgement() {
    use imps_csp::model::common::Status;
    use imps_csp::model::presence::GetListRequest;
    use imps_csp::{TransactionMode, WvCspMessage};
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        alice.send_text(&["bob"], "status ack").await.expect("send");
        // Any answer to bob now says Poll=T.
        bob.request(Primitive::GetListRequest(GetListRequest {}))
            .await
            .expect("GetList");
        assert!(bob.poll_hint, "{v:?}: Poll=T with a message waiting");
        let req = bob.poll().await.expect("poll").expect("NewMessage");
        assert!(matches!(req.primitive, Primitive::NewMessage(_)));
        // Acknowledged with Status 200 instead of MessageDelivered: delivered too.
        let ack = WvCspMessage::new(
            v.version,
            bob.session_id.clone(),
            TransactionMode::Response,
            req.transaction_id.clone(),
            Primitive::Status(Status::new(StatusCode::SUCCESS)),
        );
        assert!(bob.exchange(&ack).await.expect("ack").is_none(), "{v:?}");
        assert!(!bob.poll_hint);
        assert!(message_list(&mut bob).await.is_empty(), "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

/// Android's engine shows ContentData as it is, whatever ContentEncoding says (csp-reference
/// §11.1): Base64 text from a handset that writes it (the Razr accepts BASE64) reaches every
/// recipient as characters, decoded through its charset.
#[tokio::test]
async fn base64_text_is_delivered_inline() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in [Variant::V11_XML, Variant::V12_WBXML, Variant::V13_XML] {
        let mut alice = ts.client("alice", Variant::V11_XML).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        // "grüße" in ISO-8859-1, Base64.
        let mut req = text_message(&["bob"], &[], "Z3L832U=", false);
        req.message_info.content_type = Some("text/plain; charset=ISO-8859-1".into());
        req.message_info.content_encoding = Some("BASE64".into());
        assert_eq!(code_of(&send(&mut alice, req).await), StatusCode::SUCCESS);
        let m = receive(&mut bob).await;
        assert_eq!(text_of(&m), "grüße", "{v:?}");
        assert_ne!(
            m.message_info.content_encoding.as_deref(),
            Some("BASE64"),
            "{v:?}: text travels inline"
        );
        assert_eq!(m.message_info.content_type.as_deref(), Some("text/plain"));
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}

/// A message answered 200 is stored whatever text it carries: WBXML may carry characters XML
/// cannot (C0 controls); such a message was stored as an empty document and lost at the next
/// restart. Now it is stored as WBXML and survives.
#[tokio::test]
async fn text_xml_cannot_carry_survives_a_restart() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let text = "bell\u{7} and tab\t";
    {
        let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
        let p = send(&mut alice, text_message(&["bob"], &[], text, false)).await;
        assert_eq!(code_of(&p), StatusCode::SUCCESS);
        alice.logout().await.expect("logout");
    }
    ts.restart().await.expect("restart");
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let m = receive(&mut bob).await;
    assert_eq!(text_of(&m), text, "delivered after the restart, as sent");
}

/// A WBXML sender's C0 control character cannot block an XML recipient: the answer that
/// carries it is written with U+FFFD instead of failing (it failed with HTTP 500 on every poll,
/// the message stuck at the head of the queue).
#[tokio::test]
async fn control_characters_do_not_block_an_xml_recipient() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut alice = ts.client("alice", Variant::V12_WBXML).await.expect("alice");
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let p = send(
        &mut alice,
        text_message(&["bob"], &[], "ring\u{7}ring", false),
    )
    .await;
    assert_eq!(code_of(&p), StatusCode::SUCCESS);
    let m = receive(&mut bob).await;
    assert_eq!(text_of(&m), "ring\u{FFFD}ring");
    alice.send_text(&["bob"], "next").await.expect("send");
    assert_eq!(
        text_of(&receive(&mut bob).await),
        "next",
        "the queue moves on"
    );
}
