//! Users owned by different shards (issue 10): what one does to the other travels as a routed
//! event, and the users see what they would see on one shard. Instant messaging is routed
//! today (delivery, refusals, delivery reports); presence and contact lists follow.

use std::time::Duration;

use imps_client::Client;
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Recipient, User};
use imps_csp::model::im::{
    AddList, BlockEntityRequest, BlockList, MessageInfo, SendMessageRequest,
};
use imps_csp::Primitive;
use imps_testkit::server::{TestServer, Variant};

const NAMES: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

async fn server() -> TestServer {
    TestServer::start_with(&NAMES, |s| s.engine.shards = 2)
        .await
        .expect("server")
}

/// Two logged-in users whose sessions are owned by different shards (a SessionID starts
/// with its shard's tag).
async fn on_two_shards(ts: &TestServer) -> (Client, Client) {
    let mut first: Option<(Client, String)> = None;
    for name in NAMES {
        let c = ts.client(name, Variant::V12_XML).await.expect("login");
        let tag = c.session_id.clone().expect("session")[..2].to_owned();
        match &first {
            None => first = Some((c, tag)),
            Some((_, t)) if *t != tag => {
                let (a, _) = first.take().expect("first");
                return (a, c);
            }
            Some(_) => {}
        }
    }
    panic!("all users landed on one shard");
}

fn user_of(c: &Client) -> String {
    format!("wv:{}@localhost", c.user)
}

/// A text SendMessage-Request to `to`, asking for a delivery report if `report`.
fn text(to: &[&str], body: &str, report: bool) -> SendMessageRequest {
    SendMessageRequest {
        delivery_report: Some(report),
        message_info: MessageInfo {
            content_type: Some("text/plain".into()),
            recipient: Some(Recipient {
                user: to
                    .iter()
                    .map(|u| User {
                        user_id: (*u).to_owned(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        },
        content_data: Some(ContentData::Text(body.to_owned())),
    }
}

#[tokio::test]
async fn a_message_to_another_shard_is_delivered_and_reported() {
    let ts = server().await;
    let (mut a, mut b) = on_two_shards(&ts).await;
    let (ua, ub) = (user_of(&a), user_of(&b));
    assert_ne!(
        a.session_id.as_deref().map(|s| &s[..2]),
        b.session_id.as_deref().map(|s| &s[..2])
    );
    let p = a
        .request(Primitive::SendMessageRequest(text(
            &[&ub],
            "across shards",
            true,
        )))
        .await
        .expect("answer");
    let Primitive::SendMessageResponse(r) = p else {
        panic!("not accepted: {p:?}");
    };
    assert_eq!(r.result.code.0, 200, "{r:?}");
    let got = b
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::NewMessage(_))
        })
        .await
        .expect("delivered");
    assert!(format!("{got:?}").contains("across shards"), "{got:?}");
    let report = a
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::DeliveryReportRequest(_))
        })
        .await
        .expect("the delivery report crosses back");
    assert!(format!("{report:?}").contains(&ub), "{report:?}");
    let _ = ua;
}

#[tokio::test]
async fn refusals_of_another_shard_reach_the_sender() {
    let ts = server().await;
    let (mut a, mut b) = on_two_shards(&ts).await;
    let ua = user_of(&a);
    let ub = user_of(&b);
    // b blocks a: a's message gets 532 from b's shard.
    let p = b
        .request(Primitive::from(BlockEntityRequest {
            block_list: Some(BlockList {
                in_use: Some(true),
                add_list: Some(AddList {
                    user_id: vec![ua.clone()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .await
        .expect("block");
    assert!(format!("{p:?}").contains("200"), "{p:?}");
    let p = a
        .request(Primitive::SendMessageRequest(text(
            &[&ub, "wv:nobody@localhost"],
            "blocked",
            false,
        )))
        .await
        .expect("answer");
    let Primitive::Status(s) = p else {
        panic!("accepted although blocked: {p:?}");
    };
    let codes: Vec<u16> = s.result.detailed.iter().map(|d| d.code.0).collect();
    assert!(codes.contains(&532), "{s:?}");
    assert!(codes.contains(&531), "{s:?}");
}

#[tokio::test]
async fn a_message_answered_200_across_shards_survives_a_restart() {
    let mut ts = server().await;
    let (mut a, b) = on_two_shards(&ts).await;
    let ub = user_of(&b);
    let name_b = ub
        .trim_start_matches("wv:")
        .split('@')
        .next()
        .expect("name")
        .to_owned();
    drop(b);
    a.send_text(&[&ub], "kept").await.expect("200");
    ts.restart_with(|s| s.engine.shards = 2)
        .await
        .expect("restart");
    let mut b = ts.client(&name_b, Variant::V12_XML).await.expect("login");
    let got = b
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::NewMessage(_))
        })
        .await
        .expect("the stored message");
    assert!(format!("{got:?}").contains("kept"), "{got:?}");
}

#[tokio::test]
async fn get_presence_asks_the_presentitys_shard() {
    let ts = server().await;
    let (mut a, mut b) = on_two_shards(&ts).await;
    let (ua, ub) = (user_of(&a), user_of(&b));
    let p = b
        .request(Primitive::from(
            imps_csp::model::presence::UpdatePresenceRequest {
                presence_sub_list: imps_csp::model::attributes::PresenceSubList {
                    user_availability: Some(imps_csp::model::attributes::TextAttribute {
                        qualifier: Some(true),
                        presence_value: Some("DISCREET".into()),
                    }),
                    ..Default::default()
                },
            },
        ))
        .await
        .expect("update");
    assert!(format!("{p:?}").contains("200"), "{p:?}");
    let p = a
        .request(Primitive::from(
            imps_csp::model::presence::GetPresenceRequest {
                user: vec![
                    User {
                        user_id: ub.clone(),
                        ..Default::default()
                    },
                    User {
                        user_id: "nobody".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
        ))
        .await
        .expect("answer");
    let Primitive::GetPresenceResponse(r) = p else {
        panic!("{p:?}");
    };
    let text = format!("{r:?}");
    assert!(text.contains(&ub), "{text}");
    assert!(
        text.contains("DISCREET"),
        "b's presence, from b's shard: {text}"
    );
    let result = r.result.expect("result");
    assert_eq!(result.code.0, 201, "{result:?}");
    assert_eq!(result.detailed[0].user_id, vec!["nobody".to_owned()]);
    let _ = ua;
}
