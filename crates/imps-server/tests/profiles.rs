//! Public profiles (CSP 1.3) over real HTTP against the real server, XML and WBXML:
//! UpdatePublicProfile (set, merge, clear; 402 for what is no profile field), GetPublicProfile
//! of users on other shards (201 + 531 for unknown users, 532 when the user blocks the asker),
//! and the profile kept across a restart.

use imps_client::Client;
use imps_csp::model::common::Property;
use imps_csp::model::v13::{
    GetPublicProfileRequest, GetPublicProfileResponse, PublicProfile, UpdatePublicProfileRequest,
};
use imps_csp::{Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

async fn update(c: &mut Client, clear: bool, fields: &[(&str, &str)]) -> StatusCode {
    let p = c
        .request(Primitive::from(UpdatePublicProfileRequest {
            clear_public_profile: clear.then_some(true),
            public_profile: (!fields.is_empty()).then(|| PublicProfile {
                user_id: None,
                property: fields.iter().map(|(k, v)| Property::new(*k, *v)).collect(),
            }),
        }))
        .await
        .expect("UpdatePublicProfile");
    match p {
        Primitive::Status(s) => s.result.code,
        other => panic!("Status expected: {other:?}"),
    }
}

async fn get(c: &mut Client, users: &[&str]) -> GetPublicProfileResponse {
    let p = c
        .request(Primitive::from(GetPublicProfileRequest {
            user_id: users.iter().map(|u| (*u).to_owned()).collect(),
        }))
        .await
        .expect("GetPublicProfile");
    match p {
        Primitive::GetPublicProfileResponse(r) => r,
        other => panic!("GetPublicProfile-Response expected: {other:?}"),
    }
}

fn fields(p: &PublicProfile) -> Vec<(String, String)> {
    p.property
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn public_profiles_are_published_read_and_kept() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in [Variant::V13_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert_eq!(
            update(
                &mut alice,
                true,
                &[("PP_CITY", "Helsinki"), ("pp_friendly_name", "Alice")]
            )
            .await,
            StatusCode::SUCCESS
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "31")]).await,
            StatusCode::SUCCESS,
            "merged"
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_SHOE_SIZE", "38")]).await,
            StatusCode::BAD_PARAMETER
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "old")]).await,
            StatusCode::BAD_PARAMETER
        );

        let r = get(&mut bob, &["alice", "ghost"]).await;
        let result = r.result.expect("Result");
        assert_eq!(result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(result.detailed[0].code, StatusCode::UNKNOWN_USER);
        assert_eq!(result.detailed[0].user_id, vec!["wv:ghost@localhost"]);
        assert_eq!(r.public_profile.len(), 1);
        assert_eq!(
            r.public_profile[0].user_id.as_deref(),
            Some("wv:alice@localhost")
        );
        assert_eq!(
            fields(&r.public_profile[0]),
            vec![
                ("PP_AGE".to_owned(), "31".to_owned()),
                ("PP_CITY".to_owned(), "Helsinki".to_owned()),
                ("PP_FRIENDLY_NAME".to_owned(), "Alice".to_owned())
            ],
            "{v:?}"
        );
        // One's own, without naming anyone.
        let own = get(&mut alice, &[]).await;
        assert_eq!(
            own.public_profile[0].user_id.as_deref(),
            Some("wv:alice@localhost")
        );
        // A field removed by an empty value.
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "")]).await,
            StatusCode::SUCCESS
        );
        let r = get(&mut bob, &["alice"]).await;
        assert_eq!(r.public_profile[0].property.len(), 2, "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }

    // Kept across a restart; a user who blocks the asker shows it nothing (532).
    ts.restart().await.expect("restart");
    let v = Variant::V13_WBXML;
    let mut bob = ts.client("bob", v).await.expect("bob");
    let r = get(&mut bob, &["alice"]).await;
    assert_eq!(r.result.map(|r| r.code), Some(StatusCode::SUCCESS));
    assert_eq!(fields(&r.public_profile[0]).len(), 2);
    let mut alice = ts.client("alice", v).await.expect("alice");
    let p = alice
        .request(Primitive::from(imps_csp::model::im::BlockEntityRequest {
            block_list: Some(imps_csp::model::im::BlockList {
                add_list: Some(imps_csp::model::im::AddList {
                    user_id: vec!["wv:bob@localhost".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            block_list_in_use: Some(true),
            ..Default::default()
        }))
        .await
        .expect("block");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
    let r = get(&mut bob, &["alice"]).await;
    assert_eq!(
        r.result.map(|r| r.code),
        Some(StatusCode::RECIPIENT_BLOCKED_SENDER)
    );
    assert!(r.public_profile.is_empty());
    // Cleared: nothing left to show.
    assert_eq!(update(&mut alice, true, &[]).await, StatusCode::SUCCESS);
    let r = get(&mut alice, &[]).await;
    assert!(r.public_profile[0].property.is_empty());
}

/// GetMap (1.3): the URL of the operator's map service for a user's location (as the asker
/// may see it) or for a location given; 404 without one; not offered (506) when no map
/// service is configured.
#[tokio::test]
async fn get_map_points_at_the_operators_map_service() {
    use imps_csp::model::attributes::{Address, GeoLocation, PresenceSubList};
    use imps_csp::model::presence::UpdatePresenceRequest;
    use imps_csp::model::v13::GetMapRequest;
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.map_url = Some("https://maps.example/?lat={lat}&lon={lon}&q={query}".into());
    })
    .await
    .expect("server");
    let v = Variant::V13_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let map = |p: Primitive| match p {
        Primitive::GetMapResponse(r) => Ok(r.url.expect("URL")),
        Primitive::Status(s) => Err(s.result.code),
        other => panic!("GetMap-Response expected: {other:?}"),
    };
    // Nothing known yet.
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: Some("alice".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(map(p), Err(StatusCode::NOT_FOUND));
    let p = alice
        .request(Primitive::from(UpdatePresenceRequest {
            presence_sub_list: PresenceSubList {
                geo_location: Some(GeoLocation {
                    qualifier: Some(true),
                    latitude: Some("60.17".into()),
                    longitude: Some("24.94".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        }))
        .await
        .expect("UpdatePresence");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: Some("alice".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(
        map(p),
        Ok("https://maps.example/?lat=60.17&lon=24.94&q=".to_owned())
    );
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: None,
            presence_sub_list: Some(PresenceSubList {
                address: Some(Address {
                    city: Some("Helsinki".into()),
                    street: Some("Mannerheimintie 1".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }))
        .await
        .expect("GetMap");
    assert_eq!(
        map(p),
        Ok("https://maps.example/?lat=&lon=&q=Mannerheimintie%201%2C%20Helsinki".to_owned())
    );

    // Without a map service: not offered.
    let plain = TestServer::start(&["carol"]).await.expect("server");
    let mut carol = plain.client("carol", v).await.expect("carol");
    let p = carol
        .request(Primitive::from(GetMapRequest {
            user_id: Some("carol".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(map(p), Err(StatusCode::SERVICE_NOT_AGREED));
}

/// Segmentation (1.3): an answer larger than the ParserSize the client negotiated comes as its
/// first segment (SegmentInfo in the TransactionDescriptor); the client fetches the rest with
/// GetSegment-Request and decodes the joined bytes as the answer; DropSegment forgets one.
#[tokio::test]
async fn a_large_answer_comes_in_segments() {
    use imps_csp::model::session::{Functions, ServiceRequest, WvcspFeat};
    use imps_csp::model::v13::{DropSegmentRequest, GetSegmentRequest, SegmentId};
    use imps_csp::{Encoding, TransactionMode, WvCspMessage};
    let ts = TestServer::start(&["alice", "bob", "carol"])
        .await
        .expect("server");
    let long = "x".repeat(250);
    let fields: Vec<(&str, &str)> = PublicProfile::FIELDS
        .iter()
        .filter(|f| **f != "PP_AGE")
        .map(|f| (*f, long.as_str()))
        .collect();
    for who in ["alice", "carol"] {
        let mut c = ts.client(who, Variant::V13_XML).await.expect("client");
        assert_eq!(update(&mut c, true, &fields).await, StatusCode::SUCCESS);
    }

    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        let mut bob = small_parser(&ts, "bob", encoding).await;
        let mut tree = WvcspFeat::default();
        *tree.feature_slot("FundamentalFeat").expect("slot") = Some(Default::default());
        bob.request(Primitive::ServiceRequest(ServiceRequest {
            functions: Some(Functions::new(tree)),
            all_functions_request: Some(true),
            ..Default::default()
        }))
        .await
        .expect("services");

        // The whole answer, as it would have been: more than 2048 bytes.
        let m = WvCspMessage::new(
            imps_csp::CspVersion::V1_3,
            bob.session_id.clone(),
            TransactionMode::Request,
            Some("big".into()),
            Primitive::from(GetPublicProfileRequest {
                user_id: vec!["alice".into(), "carol".into()],
            }),
        );
        let first = bob
            .exchange(&m)
            .await
            .expect("exchange")
            .expect("an answer");
        // (`joined_segments` checks the SegmentInfo: two segments at least, SegmentID "big".)
        let segment = |n: u32| SegmentId {
            transaction_id: Some("big".into()),
            segment_reference: Some(n),
        };
        let answer = joined_segments(&mut bob, &first).await;
        let Primitive::GetPublicProfileResponse(r) = &answer.session.transactions[0].primitive
        else {
            panic!("{answer:?}");
        };
        assert_eq!(r.public_profile.len(), 2, "{encoding:?}");
        assert_eq!(r.public_profile[1].property.len(), 8, "{encoding:?}");
        // Fetched to the end: forgotten.
        let p = bob
            .request(Primitive::from(GetSegmentRequest {
                segment_id: Some(segment(1)),
            }))
            .await
            .expect("GetSegment");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::BAD_PARAMETER),
            "{p:?}"
        );

        // Asked again, then dropped after the first segment.
        let first = bob
            .exchange(&m)
            .await
            .expect("exchange")
            .expect("an answer");
        assert!(first.session.transactions[0]
            .descriptor
            .segment_info
            .is_some());
        let p = bob
            .request(Primitive::from(DropSegmentRequest {
                segment_id: Some(segment(1)),
            }))
            .await
            .expect("DropSegment");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
            "{p:?}"
        );
        let p = bob
            .request(Primitive::from(GetSegmentRequest {
                segment_id: Some(segment(2)),
            }))
            .await
            .expect("GetSegment");
        assert!(
            matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::BAD_PARAMETER),
            "{p:?}"
        );
    }
}

/// The bytes of one GetSegment-Response (base64 text in XML, opaque in WBXML).
fn segment_bytes(p: &Primitive) -> Vec<u8> {
    use imps_csp::codec::ContentData;
    match p {
        Primitive::GetSegmentResponse(r) => match &r.segment_content {
            Some(ContentData::Binary(b)) => b.clone(),
            Some(ContentData::Text(t)) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(t.trim())
                    .expect("base64 segment")
            }
            None => Vec::new(),
        },
        other => panic!("GetSegment-Response expected: {other:?}"),
    }
}

/// The answer `first` began in segments (its SegmentInfo says how many), fetched to the end
/// with GetSegment-Request and decoded.
async fn joined_segments(c: &mut Client, first: &imps_csp::WvCspMessage) -> imps_csp::WvCspMessage {
    use imps_csp::model::v13::{GetSegmentRequest, SegmentId};
    let t = &first.session.transactions[0];
    let info = t.descriptor.segment_info.clone().expect("SegmentInfo");
    let count = info.segment_count.expect("SegmentCount");
    assert!(count >= 2, "{count} segments");
    let tid = t.descriptor.transaction_id.clone().expect("TransactionID");
    assert_eq!(
        info.segment_id
            .as_ref()
            .and_then(|i| i.transaction_id.as_deref()),
        Some(tid.as_str())
    );
    let mut whole = segment_bytes(&t.primitive);
    for n in 2..=count {
        let p = c
            .request(Primitive::from(GetSegmentRequest {
                segment_id: Some(SegmentId {
                    transaction_id: Some(tid.clone()),
                    segment_reference: Some(n),
                }),
            }))
            .await
            .expect("GetSegment");
        whole.extend(segment_bytes(&p));
    }
    imps_csp::decode(&whole, &imps_csp::Limits::default()).expect("the joined segments decode")
}

/// A message longer than a 1.3 client takes pushed (AcceptedPushLength) is not refused (415,
/// as before 1.3): the client is notified of it and its GetMessage-Response comes in segments
/// (the answer carries more content than the client accepts in one piece).
#[tokio::test]
async fn a_message_too_long_to_push_is_notified_and_fetched_in_segments() {
    use imps_csp::codec::ContentData;
    use imps_csp::model::im::GetMessageRequest;
    use imps_csp::model::session::{CapabilityList, ClientCapabilityRequest};
    use imps_csp::{TransactionMode, WvCspMessage};
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for encoding in [imps_csp::Encoding::Xml, imps_csp::Encoding::Wbxml] {
        let mut cfg = ts.config(Variant::new(imps_csp::CspVersion::V1_3, encoding));
        cfg.cir = Vec::new();
        let mut bob = Client::new(cfg).expect("client");
        bob.login("bob", "bob-pw").await.expect("login");
        let p = bob
            .request(Primitive::ClientCapabilityRequest(
                ClientCapabilityRequest {
                    capability_list: Some(CapabilityList {
                        parser_size: Some(65536),
                        accepted_push_length: Some(1024),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .expect("capabilities");
        assert!(matches!(p, Primitive::ClientCapabilityResponse(_)), "{p:?}");
        let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
        let text = "z".repeat(5000);
        alice
            .send_text(&["bob"], &text)
            .await
            .expect("accepted for bob");
        let p = bob
            .wait_for(std::time::Duration::from_secs(10), |p| {
                matches!(
                    p,
                    Primitive::MessageNotification(_) | Primitive::NewMessage(_)
                )
            })
            .await
            .expect("delivery");
        let Primitive::MessageNotification(n) = p else {
            panic!("{encoding:?}: notified, not pushed: {p:?}");
        };
        let id = n.message_info.message_id.expect("MessageID");
        let m = WvCspMessage::new(
            imps_csp::CspVersion::V1_3,
            bob.session_id.clone(),
            TransactionMode::Request,
            Some("pull".into()),
            Primitive::from(GetMessageRequest { message_id: id }),
        );
        let first = bob
            .exchange(&m)
            .await
            .expect("exchange")
            .expect("an answer");
        let answer = joined_segments(&mut bob, &first).await;
        let Primitive::GetMessageResponse(r) = &answer.session.transactions[0].primitive else {
            panic!("{answer:?}");
        };
        assert_eq!(
            r.content_data,
            Some(ContentData::Text(text)),
            "{encoding:?}"
        );
    }
}

/// A server request handed out in a poll is never segmented (the client acknowledges it by its
/// own TransactionID): a large NewMessage reaches a client with a small ParserSize whole.
#[tokio::test]
async fn a_large_message_in_a_poll_is_not_segmented() {
    use imps_csp::codec::ContentData;
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let mut bob = small_parser(&ts, "bob", imps_csp::Encoding::Wbxml).await;
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let text = "y".repeat(4000);
    alice.send_text(&["bob"], &text).await.expect("send");
    let p = bob
        .wait_for(std::time::Duration::from_secs(10), |p| {
            matches!(p, Primitive::NewMessage(_))
        })
        .await
        .expect("NewMessage");
    let Primitive::NewMessage(m) = p else {
        unreachable!()
    };
    assert_eq!(m.content_data, Some(ContentData::Text(text)));
}

/// A 1.3 client of `name` (polling, no CIR) that negotiated a ParserSize of 2048 bytes.
async fn small_parser(ts: &TestServer, name: &str, encoding: imps_csp::Encoding) -> Client {
    use imps_csp::model::session::{CapabilityList, ClientCapabilityRequest};
    let mut cfg = ts.config(Variant::new(imps_csp::CspVersion::V1_3, encoding));
    cfg.cir = Vec::new();
    let mut c = Client::new(cfg).expect("client");
    c.login(name, &format!("{name}-pw")).await.expect("login");
    let p = c
        .request(Primitive::ClientCapabilityRequest(
            ClientCapabilityRequest {
                capability_list: Some(CapabilityList {
                    parser_size: Some(2048),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("capabilities");
    assert!(matches!(p, Primitive::ClientCapabilityResponse(_)), "{p:?}");
    c
}
