//! The Android 2.2 IMPS engine's session, step by step as csp-reference.md §11.1 saw it on the
//! wire, against the real server: CSP 1.2, WBXML, digest login reusing TransactionID 1,
//! Android's capability list, the four empty features with AllFunctionsRequest, then GetPresence
//! of itself, UpdatePresence with ClientInfo, GetBlockedList, GetList, ListManage per list,
//! SubscribePresence per list with AutoSubscribe; a message pushed as NewMessage and
//! acknowledged with MessageDelivered in Response mode.

use std::time::Duration;

use imps_client::Client;
use imps_csp::model::attributes::{ClientInfo, PresenceSubList};
use imps_csp::model::common::{ClientId, NickList, NickName, User};
use imps_csp::model::im::{GetBlockedListRequest, MessageDelivered};
use imps_csp::model::presence::{
    CreateListRequest, GetListRequest, GetPresenceRequest, ListManageRequest,
    SubscribePresenceRequest, UpdatePresenceRequest,
};
use imps_csp::model::session::{
    CapabilityList, ClientCapabilityRequest, Functions, LoginRequest, ServiceRequest, WvcspFeat,
};
use imps_csp::{CspVersion, Primitive, StatusCode, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

fn code_of(p: &Primitive) -> Option<StatusCode> {
    match p {
        Primitive::Status(s) => Some(s.result.code),
        Primitive::ListManageResponse(r) => Some(r.result.code),
        _ => None,
    }
}

#[tokio::test]
async fn the_android_engine_session() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let v = Variant::V12_WBXML;
    let mut android = Client::new(ts.config(v)).expect("client");

    // Login: as typed (no wv:, no domain), MD5 and SHA, TimeToLive 7205, no password.
    let login = |digest_bytes: Option<String>| {
        WvCspMessage::new(
            CspVersion::V1_2,
            None,
            TransactionMode::Request,
            Some("1".into()),
            Primitive::from(LoginRequest {
                user_id: "alice".into(),
                client_id: Some(ClientId {
                    url: Some("http://www.google.com/android".into()),
                    msisdn: None,
                }),
                digest_schema: if digest_bytes.is_some() {
                    Vec::new()
                } else {
                    vec!["MD5".into(), "SHA".into()]
                },
                digest_bytes,
                time_to_live: Some(7205),
                session_cookie: Some("android-cookie".into()),
                ..Default::default()
            }),
        )
    };
    let first = android
        .exchange(&login(None))
        .await
        .expect("leg 1")
        .expect("answer");
    assert!(!first.poll());
    let Primitive::LoginResponse(r) = &first.session.transactions[0].primitive else {
        panic!("{first:?}");
    };
    assert_eq!(r.result.code.0, 401);
    let nonce = r.nonce.clone().expect("nonce");
    let scheme = r.digest_schema.clone().expect("scheme");
    let digest = imps_core::auth::digest(&scheme, &nonce, "alice-pw").expect("digest");
    let second = android
        .exchange(&login(Some(digest)))
        .await
        .expect("leg 2")
        .expect("answer");
    assert!(!second.poll(), "no Poll=T on Login-Response");
    let Primitive::LoginResponse(r) = &second.session.transactions[0].primitive else {
        panic!("{second:?}");
    };
    assert_eq!(r.result.code, StatusCode::SUCCESS, "exactly 200");
    android.session_id = r.session_id.clone();
    let keep_alive = r.keep_alive_time.expect("KeepAliveTime");
    assert!((60..=7205).contains(&keep_alive));

    // Capabilities in Android's order and values.
    let p = android
        .request(Primitive::ClientCapabilityRequest(
            ClientCapabilityRequest {
                capability_list: Some(CapabilityList {
                    client_type: Some("MOBILE_PHONE".into()),
                    accepted_content_length: Some(262144),
                    parser_size: Some(262144),
                    multi_trans: Some(1),
                    initial_delivery_method: Some("P".into()),
                    server_poll_min: Some(30),
                    supported_bearer: vec!["HTTP".into()],
                    supported_cir_method: vec!["STCP".into(), "SSMS".into(), "SHTTP".into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("capabilities");
    let Primitive::ClientCapabilityResponse(caps) = p else {
        panic!("{p:?}")
    };
    let agreed = caps.agreed().expect("AgreedCapabilityList");
    // Standalone TCP CIR is on by default (Android's first choice), announced at the address
    // the client reached; SHTTP with its URL as well.
    assert_eq!(
        agreed.supported_cir_method,
        vec!["STCP".to_owned(), "SHTTP".to_owned()]
    );
    let cir_port = ts
        .running
        .as_ref()
        .and_then(|r| r.cir_tcp_addr)
        .expect("TCP CIR listens by default")
        .port();
    assert_eq!(agreed.tcp_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(agreed.tcp_port, Some(u32::from(cir_port)));
    assert!(agreed
        .cir_http_address
        .as_ref()
        .and_then(|c| c.url.as_ref())
        .is_some());

    let mut tree = WvcspFeat::default();
    for f in ["FundamentalFeat", "PresenceFeat", "IMFeat", "GroupFeat"] {
        *tree.feature_slot(f).expect("slot") = Some(Default::default());
    }
    let p = android
        .request(Primitive::ServiceRequest(ServiceRequest {
            functions: Some(Functions::new(tree)),
            all_functions_request: Some(true),
            ..Default::default()
        }))
        .await
        .expect("service");
    let Primitive::ServiceResponse(s) = p else {
        panic!("{p:?}")
    };
    assert!(s.all_functions.and_then(|f| f.wvcsp_feat).is_some());

    // Own presence, then ClientInfo.
    let p = android
        .request(Primitive::from(GetPresenceRequest {
            user: vec![User {
                user_id: "wv:alice@localhost".into(),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .await
        .expect("GetPresence");
    let Primitive::GetPresenceResponse(g) = p else {
        panic!("{p:?}")
    };
    assert!(
        !g.presence[0].presence_sub_list.is_empty(),
        "Presence/PresenceSubList is dereferenced"
    );
    let p = android
        .request(Primitive::from(UpdatePresenceRequest {
            presence_sub_list: PresenceSubList {
                client_info: Some(ClientInfo {
                    qualifier: Some(true),
                    client_type: Some("MOBILE_PHONE".into()),
                    client_producer: Some("Google".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        }))
        .await
        .expect("UpdatePresence");
    assert_eq!(code_of(&p), Some(StatusCode::SUCCESS));
    let p = android
        .request(Primitive::GetBlockedListRequest(GetBlockedListRequest {}))
        .await
        .expect("GetBlockedList");
    assert!(matches!(p, Primitive::GetBlockedListResponse(_)));

    // A list (made here the way a PEP client makes one), GetList, ListManage, subscribe.
    let p = android
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: "wv:alice/~pep1.0_privatelist@localhost".into(),
            nick_list: Some(NickList {
                nick_name: vec![NickName {
                    name: Some("Bob".into()),
                    user_id: "wv:bob@localhost".into(),
                }],
            }),
            contact_list_properties: None,
        }))
        .await
        .expect("CreateList");
    assert_eq!(code_of(&p), Some(StatusCode::SUCCESS));
    let p = android
        .request(Primitive::GetListRequest(GetListRequest {}))
        .await
        .expect("GetList");
    let Primitive::GetListResponse(l) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        l.contact_list,
        vec!["wv:alice/~pep1.0_privatelist@localhost".to_owned()]
    );
    for list in &l.contact_list {
        let p = android
            .request(Primitive::ListManageRequest(ListManageRequest {
                contact_list: list.clone(),
                receive_list: Some(true),
                ..Default::default()
            }))
            .await
            .expect("ListManage");
        let Primitive::ListManageResponse(m) = p else {
            panic!("{p:?}")
        };
        assert_eq!(m.result.code, StatusCode::SUCCESS);
        assert!(
            m.contact_list_properties.is_some(),
            "display name and default flag"
        );
        assert_eq!(m.nick_list.expect("NickList").nick_name.len(), 1);
        let p = android
            .request(Primitive::from(SubscribePresenceRequest {
                contact_list: vec![list.clone()],
                auto_subscribe: Some(true),
                ..Default::default()
            }))
            .await
            .expect("SubscribePresence");
        assert_eq!(
            code_of(&p),
            Some(StatusCode::SUCCESS),
            "AutoSubscribe supported (no 760)"
        );
    }
    // Bob's presence arrives, with a PresenceSubList in every Presence.
    let p = android
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::PresenceNotificationRequest(_))
        })
        .await
        .expect("presence");
    let Primitive::PresenceNotificationRequest(n) = p else {
        unreachable!()
    };
    assert!(n.presence.iter().all(|p| !p.presence_sub_list.is_empty()));

    // A message: pushed as NewMessage even though nothing asked for notify/get.
    let mut bob = ts.client("bob", Variant::V13_XML).await.expect("bob");
    bob.send_text(&["wv:alice@localhost"], "hello android")
        .await
        .expect("send");
    // (The answer to an acknowledgement may carry the next queued request.)
    let mut next = None;
    let req = loop {
        let r = match next.take() {
            Some(r) => Some(r),
            None => android.poll().await.expect("poll"),
        };
        match r {
            Some(r) if matches!(r.primitive, Primitive::NewMessage(_)) => break r,
            Some(other) => next = android.acknowledge(&other).await.expect("ack"),
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let Primitive::NewMessage(m) = &req.primitive else {
        unreachable!()
    };
    assert_eq!(
        m.message_info.content_encoding, None,
        "text inline, never base64"
    );
    // MessageDelivered in Response mode with the NewMessage's TransactionID; no Status.
    let ack = WvCspMessage::new(
        CspVersion::V1_2,
        android.session_id.clone(),
        TransactionMode::Response,
        req.transaction_id.clone(),
        Primitive::MessageDelivered(MessageDelivered {
            message_id: m.message_info.message_id.clone().expect("MessageID"),
        }),
    );
    let answer = android.exchange(&ack).await.expect("ack");
    assert!(answer.is_none(), "an acknowledgement gets an empty body");
    assert!(
        android.poll().await.expect("poll").is_none(),
        "delivered once"
    );
}
