//! Capability and service negotiation, GetSPInfo, polling, Poll flags, logout answers and
//! several transactions per message, over real HTTP.

use imps_csp::model::common::{Recipient, User};
use imps_csp::model::im::{MessageInfo, SendMessageRequest};
use imps_csp::model::presence::GetListRequest;
use imps_csp::model::session::{
    CapabilityList, ClientCapabilityRequest, Functions, GetSpInfoRequest, LogoutRequest,
    PollingRequest, ServiceRequest, WvcspFeat,
};
use imps_csp::{CspVersion, Primitive, StatusCode, Transaction, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

#[tokio::test]
async fn capabilities_are_what_the_server_honours() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = imps_client::Client::new(ts.config(v)).expect("client");
        c.login("alice", "alice-pw").await.expect("login");
        let p = c
            .request(Primitive::ClientCapabilityRequest(
                ClientCapabilityRequest {
                    capability_list: Some(CapabilityList {
                        client_type: Some("MOBILE_PHONE".into()),
                        initial_delivery_method: Some("P".into()),
                        accepted_content_length: (v.version < CspVersion::V1_3)
                            .then_some(10_000_000),
                        multi_trans: Some(50),
                        parser_size: Some(262144),
                        server_poll_min: Some(5),
                        supported_bearer: vec!["HTTP".into(), "WSP".into()],
                        supported_cir_method: vec!["STCP".into(), "SHTTP".into()],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .expect("capabilities");
        let Primitive::ClientCapabilityResponse(r) = p else {
            panic!("{v:?}: {p:?}");
        };
        let agreed = r.agreed().expect("agreed list (Android dereferences it)");
        assert_eq!(agreed.client_type.as_deref(), Some("MOBILE_PHONE"));
        assert_eq!(agreed.initial_delivery_method.as_deref(), Some("P"));
        assert_eq!(
            agreed.multi_trans,
            Some(8),
            "capped to what the server accepts"
        );
        assert_eq!(
            agreed.server_poll_min,
            Some(30),
            "never below the server's minimum"
        );
        assert_eq!(
            agreed.supported_bearer,
            vec!["HTTP".to_owned()],
            "WSP not served"
        );
        let want: Vec<String> = if v.version == CspVersion::V1_1 {
            vec!["STCP".to_owned()] // SHTTP does not exist in 1.1
        } else {
            vec!["STCP".to_owned(), "SHTTP".to_owned()]
        };
        assert_eq!(
            agreed.supported_cir_method, want,
            "{v:?}: standalone TCP and HTTP CIR are both on by default"
        );
        assert_eq!(agreed.tcp_address.as_deref(), Some("127.0.0.1"), "{v:?}");
        assert!(
            agreed.tcp_port.is_some(),
            "{v:?}: TCPPort always with TCPAddress"
        );
        if v.version >= CspVersion::V1_2 {
            assert!(agreed
                .cir_http_address
                .as_ref()
                .and_then(|c| c.url.as_ref())
                .is_some());
        }
        if v.version < CspVersion::V1_3 {
            assert_eq!(
                agreed.accepted_content_length,
                Some(65536),
                "capped to max_message_bytes"
            );
        }
    }
}

#[tokio::test]
async fn services_agreed_and_506_for_the_rest() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = imps_client::Client::new(ts.config(v)).expect("client");
        c.login("alice", "alice-pw").await.expect("login");
        // Ask only for the IM feature.
        let mut want = WvcspFeat::default();
        *want.feature_slot("IMFeat").expect("slot") = Some(Default::default());
        let p = c
            .request(Primitive::ServiceRequest(ServiceRequest {
                functions: Some(Functions::new(want)),
                all_functions_request: Some(false),
                ..Default::default()
            }))
            .await
            .expect("service");
        let Primitive::ServiceResponse(r) = p else {
            panic!("{p:?}")
        };
        let agreed = r.functions.and_then(|f| f.wvcsp_feat).expect("agreed tree");
        assert!(agreed.contains("NEWM") && agreed.contains("BLENT"));
        assert!(!agreed.contains("GCLI"), "presence was not asked for");
        let all = r
            .all_functions
            .and_then(|f| f.wvcsp_feat)
            .expect("AllFunctions always sent");
        assert!(all.contains("GCLI") && all.contains("GETPR"));
        // A presence primitive is now 506; an IM one works.
        let p = c
            .request(Primitive::GetListRequest(GetListRequest {}))
            .await
            .expect("GetList");
        match p {
            Primitive::Status(s) => {
                assert_eq!(s.result.code, StatusCode::SERVICE_NOT_AGREED, "{v:?}")
            }
            other => panic!("{v:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn get_sp_info_works_before_login() {
    let ts = TestServer::start(&[]).await.expect("server");
    for v in Variant::ALL {
        let mut c = imps_client::Client::new(ts.config(v)).expect("client");
        let p = c
            .request(Primitive::GetSpInfoRequest(GetSpInfoRequest::default()))
            .await
            .expect("GetSPInfo");
        let Primitive::GetSpInfoResponse(r) = p else {
            panic!("{p:?}")
        };
        assert_eq!(r.name.as_deref(), Some("impsd"));
    }
}

#[tokio::test]
async fn polling_with_nothing_queued_is_an_empty_body_and_outband_polling_is_refused() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = ts.client("alice", v).await.expect("client");
        let m = WvCspMessage::new(
            v.version,
            c.session_id.clone(),
            TransactionMode::Request,
            None, // Android sends Polling-Request without a TransactionID
            Primitive::PollingRequest(PollingRequest {}),
        );
        assert!(
            c.exchange(&m).await.expect("poll").is_none(),
            "{v:?}: empty body"
        );
        // Android polls Outband when a Login-Response says Poll=T: an error, no effect.
        let m = WvCspMessage::new(
            v.version,
            None,
            TransactionMode::Request,
            None,
            Primitive::PollingRequest(PollingRequest {}),
        );
        let answer = c.exchange(&m).await.expect("poll").expect("an answer");
        match &answer.session.transactions[0].primitive {
            Primitive::Status(s) => assert_eq!(s.result.code, StatusCode::INVALID_SESSION),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn logout_is_answered_with_disconnect_in_1_1_and_status_later() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = ts.client("alice", v).await.expect("client");
        let p = c
            .request(Primitive::LogoutRequest(LogoutRequest {}))
            .await
            .expect("logout");
        match (v.version, p) {
            (CspVersion::V1_1, Primitive::Disconnect(d)) => {
                assert_eq!(d.result.code, StatusCode::SUCCESS)
            }
            (CspVersion::V1_2 | CspVersion::V1_3, Primitive::Status(s)) => {
                assert_eq!(s.result.code, StatusCode::SUCCESS)
            }
            (v, other) => panic!("{v:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn poll_flag_announces_queued_requests_and_several_transactions_are_answered() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in Variant::ALL {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        alice.send_text(&["bob"], "ping").await.expect("send");
        // Any answer to bob now says Poll=T.
        let _ = bob
            .request(Primitive::GetListRequest(GetListRequest {}))
            .await
            .expect("GetList");
        assert!(bob.poll_hint, "{v:?}: Poll=T with a queued NewMessage");
        let p = bob
            .wait_for(std::time::Duration::from_secs(10), |p| {
                matches!(p, Primitive::NewMessage(_))
            })
            .await
            .expect("message");
        assert!(matches!(p, Primitive::NewMessage(_)));
        // Two transactions in one message: two answers, by TransactionID.
        let send = |tid: &str, text: &str| {
            Transaction::new(
                TransactionMode::Request,
                Some(tid.into()),
                Primitive::SendMessageRequest(SendMessageRequest {
                    delivery_report: Some(false),
                    message_info: MessageInfo {
                        content_type: Some("text/plain".into()),
                        recipient: Some(Recipient {
                            user: vec![User {
                                user_id: "bob".into(),
                                ..Default::default()
                            }],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    content_data: Some(imps_csp::codec::ContentData::Text(text.into())),
                }),
            )
        };
        let mut m = WvCspMessage::new(
            v.version,
            alice.session_id.clone(),
            TransactionMode::Request,
            Some("a1".into()),
            Primitive::GetListRequest(GetListRequest {}),
        );
        m.session.transactions = vec![send("a1", "one"), send("a2", "two")];
        let answer = alice.exchange(&m).await.expect("multi").expect("answer");
        let ids: Vec<_> = answer
            .session
            .transactions
            .iter()
            .map(|t| t.descriptor.transaction_id.clone().unwrap_or_default())
            .collect();
        assert_eq!(ids, vec!["a1".to_owned(), "a2".to_owned()], "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }
}
