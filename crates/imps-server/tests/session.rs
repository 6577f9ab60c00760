//! Scenario tests of session management over real HTTP against the real server, in every
//! version and encoding.

use std::time::Duration;

use imps_client::{Client, ClientConfig};
use imps_csp::model::common::ClientId;
use imps_csp::model::session::{LoginRequest, LoginResponse};
use imps_csp::{Primitive, StatusCode, TransactionMode, WvCspMessage};
use imps_testkit::server::{TestServer, Variant};

async fn raw_login(c: &mut Client, req: LoginRequest, v: Variant) -> LoginResponse {
    let msg = WvCspMessage::new(
        v.version,
        None,
        TransactionMode::Request,
        Some("1".into()),
        Primitive::from(req),
    );
    let answer = c
        .exchange(&msg)
        .await
        .expect("exchange")
        .expect("an answer");
    assert!(!answer.poll(), "never Poll=T on a Login-Response");
    match answer
        .session
        .transactions
        .into_iter()
        .next()
        .map(|t| t.primitive)
    {
        Some(Primitive::LoginResponse(r)) => *r,
        other => panic!("expected Login-Response, got {other:?}"),
    }
}

#[tokio::test]
async fn password_and_digest_logins_in_every_variant() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        for digest in [false, true] {
            let mut cfg = ts.config(v);
            cfg.digest = digest;
            let mut c = Client::new(cfg).expect("client");
            let sid = c
                .login("alice", "alice-pw")
                .await
                .unwrap_or_else(|e| panic!("{v:?} digest={digest}: {e}"));
            assert_eq!(sid.len(), 32, "128-bit session id in hex");
            c.negotiate().await.expect("negotiate");
            c.logout().await.expect("logout");
        }
    }
}

#[tokio::test]
async fn login_errors_carry_the_reference_codes() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let v = Variant::V12_XML;
    let mut c = Client::new(ts.config(v)).expect("client");
    let base = LoginRequest {
        user_id: "alice".into(),
        client_id: Some(ClientId {
            url: Some("test".into()),
            msisdn: None,
        }),
        session_cookie: Some("c1".into()),
        ..Default::default()
    };
    // Wrong password: 409.
    let r = raw_login(
        &mut c,
        LoginRequest {
            password: Some("nope".into()),
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::INVALID_PASSWORD);
    assert_eq!(r.session_id, None);
    // Unknown user: 531.
    let r = raw_login(
        &mut c,
        LoginRequest {
            user_id: "mallory".into(),
            password: Some("x".into()),
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::UNKNOWN_USER);
    // No common digest scheme: 543.
    let r = raw_login(
        &mut c,
        LoginRequest {
            digest_schema: vec!["MD4".into()],
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::NO_MATCHING_DIGEST_SCHEME);
    // Challenge, then a wrong digest: 409; the challenge is used up.
    let r = raw_login(
        &mut c,
        LoginRequest {
            digest_schema: vec!["MD5".into(), "SHA".into()],
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::UNAUTHORIZED);
    assert!(r.nonce.is_some() && r.digest_schema.is_some());
    assert_eq!(r.capability_request, Some(true));
    let r = raw_login(
        &mut c,
        LoginRequest {
            digest_bytes: Some("AAAA".into()),
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::INVALID_PASSWORD);
    // The Android flow: the second leg reuses TransactionID 1 and gets a session, not the
    // stored challenge.
    let r = raw_login(
        &mut c,
        LoginRequest {
            digest_schema: vec!["MD5".into()],
            ..base.clone()
        },
        v,
    )
    .await;
    let nonce = r.nonce.expect("nonce");
    assert_eq!(r.digest_schema.as_deref(), Some("MD5"));
    let digest = imps_core::auth::digest("MD5", &nonce, "alice-pw").expect("md5");
    let r = raw_login(
        &mut c,
        LoginRequest {
            digest_bytes: Some(digest),
            ..base.clone()
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::SUCCESS);
    assert!(r.session_id.is_some());
    assert!(r.keep_alive_time.is_some());
}

#[tokio::test]
async fn login_values_and_challenges_are_bounded() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let v = Variant::V12_XML;
    let mut c = Client::new(ts.config(v)).expect("client");
    let leg = |cookie: &str| LoginRequest {
        user_id: "alice".into(),
        session_cookie: Some(cookie.into()),
        ..Default::default()
    };
    // An oversized SessionCookie or ClientID is refused before anything is kept: 402.
    let r = raw_login(
        &mut c,
        LoginRequest {
            password: Some("alice-pw".into()),
            ..leg(&"c".repeat(100_000))
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::BAD_PARAMETER);
    let r = raw_login(
        &mut c,
        LoginRequest {
            password: Some("alice-pw".into()),
            client_id: Some(ClientId {
                url: Some("u".repeat(10_000)),
                msisdn: None,
            }),
            ..leg("ok")
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::BAD_PARAMETER);
    // First legs (no password checked yet) with many cookies: only the newest challenges
    // are kept, so the first one no longer completes while the last one does.
    let first_leg = |cookie: &str| LoginRequest {
        digest_schema: vec!["MD5".into()],
        ..leg(cookie)
    };
    let mut nonces = Vec::new();
    for i in 0..20 {
        let r = raw_login(&mut c, first_leg(&format!("flood-{i}")), v).await;
        assert_eq!(r.result.code, StatusCode::UNAUTHORIZED);
        nonces.push(r.nonce.expect("nonce"));
    }
    let second_leg = |i: usize| LoginRequest {
        digest_bytes: imps_core::auth::digest("MD5", &nonces[i], "alice-pw"),
        ..leg(&format!("flood-{i}"))
    };
    let r = raw_login(&mut c, second_leg(0), v).await;
    assert_eq!(
        r.result.code,
        StatusCode::INVALID_PASSWORD,
        "evicted challenge"
    );
    let r = raw_login(&mut c, second_leg(19), v).await;
    assert_eq!(r.result.code, StatusCode::SUCCESS, "newest challenge");
}

#[tokio::test]
async fn session_recovery_with_the_same_cookie_keeps_the_session() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let v = Variant::V12_WBXML;
    let mut c = Client::new(ts.config(v)).expect("client");
    let req = LoginRequest {
        user_id: "wv:alice@localhost".into(),
        password: Some("alice-pw".into()),
        session_cookie: Some("cookie-42".into()),
        ..Default::default()
    };
    let first = raw_login(&mut c, req.clone(), v).await;
    let second = raw_login(&mut c, req.clone(), v).await;
    assert_eq!(
        first.session_id, second.session_id,
        "same cookie: recovered"
    );
    let other = raw_login(
        &mut c,
        LoginRequest {
            session_cookie: Some("new".into()),
            ..req
        },
        v,
    )
    .await;
    assert_ne!(
        other.session_id, first.session_id,
        "new cookie: new session"
    );
}

#[tokio::test]
async fn recovering_a_session_the_server_ended_gets_502_then_a_fresh_login_works() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = Client::new(ts.config(v)).expect("client");
        let login = |cookie: &str| LoginRequest {
            user_id: "wv:alice@localhost".into(),
            password: Some("alice-pw".into()),
            session_cookie: Some(format!("{v:?}-{cookie}")),
            ..Default::default()
        };
        let first = raw_login(&mut c, login("lost-network"), v).await;
        assert_eq!(first.result.code, StatusCode::SUCCESS);
        // Four more logins: the first session is replaced (603) by the server.
        let mut others = Vec::new();
        for i in 0..4 {
            let r = raw_login(&mut c, login(&format!("other-{i}")), v).await;
            assert_eq!(r.result.code, StatusCode::SUCCESS, "{v:?}");
            others.push(r.session_id.expect("sid"));
        }
        // The handset comes back with its old cookie: that session is gone.
        let again = raw_login(&mut c, login("lost-network"), v).await;
        assert_eq!(
            again.result.code,
            StatusCode::COULD_NOT_RECOVER_SESSION,
            "{v:?}"
        );
        assert!(again.session_id.is_none());
        // A fresh cookie (what the handset does next) logs in.
        let fresh = raw_login(&mut c, login("fresh"), v).await;
        assert_eq!(fresh.result.code, StatusCode::SUCCESS, "{v:?}");
        assert_eq!(
            fresh.capability_request,
            Some(true),
            "a new session negotiates"
        );
        // Our own client does the same by itself: its session is replaced, it logs in again.
        let mut cli = Client::new(ts.config(v)).expect("client");
        cli.login("alice", "alice-pw").await.expect("login");
        for i in 0..4 {
            let r = raw_login(&mut c, login(&format!("more-{i}")), v).await;
            others.push(r.session_id.expect("sid"));
        }
        let replaced = cli.session_id.clone();
        cli.login("alice", "alice-pw")
            .await
            .expect("login again after 502");
        assert_ne!(cli.session_id, replaced);
        cli.logout().await.expect("logout");
        for sid in others.into_iter().chain(fresh.session_id) {
            let mut s = Client::new(ts.config(v)).expect("client");
            s.session_id = Some(sid);
            let _ = s.logout().await;
        }
    }
}

#[tokio::test]
async fn unknown_session_gets_604_and_logout_ends_the_session() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    for v in Variant::ALL {
        let mut c = ts.client("alice", v).await.expect("client");
        let sid = c.session_id.clone().expect("sid");
        c.logout().await.expect("logout");
        c.session_id = Some(sid);
        let err = c.poll().await.expect_err("poll after logout");
        assert!(err.to_string().contains("604"), "{v:?}: {err}");
        c.session_id = Some("no-such-session".into());
        let err = c.poll().await.expect_err("poll on an unknown session");
        assert!(err.to_string().contains("604"), "{v:?}: {err}");
    }
}

#[tokio::test]
async fn keep_alive_grants_and_refuses() {
    use imps_csp::model::session::KeepAliveRequest;
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let mut c = ts.client("alice", Variant::V13_XML).await.expect("client");
    let p = c
        .request(Primitive::KeepAliveRequest(KeepAliveRequest {
            time_to_live: Some(300),
        }))
        .await
        .expect("keepalive");
    match p {
        Primitive::KeepAliveResponse(r) => {
            assert_eq!(r.result.code, StatusCode::SUCCESS);
            assert_eq!(r.keep_alive_time, Some(300));
        }
        other => panic!("{other:?}"),
    }
    let p = c
        .request(Primitive::KeepAliveRequest(KeepAliveRequest {
            time_to_live: Some(10_000_000),
        }))
        .await
        .expect("keepalive");
    // Clamped to the maximum, not refused: a handset's encoder may write garbage integers.
    match p {
        Primitive::KeepAliveResponse(r) => {
            assert_eq!(r.result.code, StatusCode::SUCCESS);
            assert_eq!(r.keep_alive_time, Some(7200));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn idle_sessions_expire_with_600() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.engine.min_time_to_live = 1;
    })
    .await
    .expect("server");
    let mut cfg: ClientConfig = ts.config(Variant::V12_XML);
    cfg.timeout = Duration::from_secs(10);
    let mut c = Client::new(cfg).expect("client");
    let msg = WvCspMessage::new(
        imps_csp::CspVersion::V1_2,
        None,
        TransactionMode::Request,
        Some("1".into()),
        Primitive::from(LoginRequest {
            user_id: "alice".into(),
            password: Some("alice-pw".into()),
            time_to_live: Some(1),
            ..Default::default()
        }),
    );
    let answer = c.exchange(&msg).await.expect("login").expect("answer");
    let sid = match &answer.session.transactions[0].primitive {
        Primitive::LoginResponse(r) => r.session_id.clone().expect("sid"),
        other => panic!("{other:?}"),
    };
    c.session_id = Some(sid);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // A poll learns it from a Disconnect with 600; any other request gets Status 600.
    let r = c.poll().await.expect("poll").expect("a Disconnect");
    match r.primitive {
        Primitive::Disconnect(d) => assert_eq!(d.result.code, StatusCode::SESSION_EXPIRED),
        other => panic!("{other:?}"),
    }
    let p = c
        .request(Primitive::GetListRequest(Default::default()))
        .await
        .expect("answer");
    match p {
        Primitive::Status(s) => assert_eq!(s.result.code, StatusCode::SESSION_EXPIRED),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_fifth_login_replaces_the_oldest_session_with_603() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.cir_tcp = imps_server::CirTcp::At("127.0.0.1:0".parse().expect("addr"));
    })
    .await
    .expect("server");
    let mut cfg = ts.config(Variant::V12_XML);
    cfg.cir = vec!["STCP".into()];
    let mut oldest = Client::new(cfg).expect("client");
    oldest.login("alice", "alice-pw").await.expect("login");
    oldest.negotiate().await.expect("negotiate");
    let mut cir = oldest.open_tcp_cir().await.expect("CIR");
    let mut others = Vec::new();
    for v in [Variant::V11_XML, Variant::V12_WBXML, Variant::V13_XML] {
        others.push(ts.client("alice", v).await.expect("login"));
    }
    oldest.poll().await.expect("still alive with four sessions");
    others.push(
        ts.client("alice", Variant::V13_WBXML)
            .await
            .expect("fifth login"),
    );
    // The replaced session is woken through its CIR channel ...
    let line = tokio::time::timeout(Duration::from_secs(10), cir.wake())
        .await
        .expect("woken")
        .expect("WVCI");
    assert!(line.starts_with("WVCI 1.2 "), "{line}");
    // ... and its poll gets Disconnect 603.
    let r = oldest.poll().await.expect("poll").expect("Disconnect");
    match r.primitive {
        Primitive::Disconnect(d) => assert_eq!(d.result.code, StatusCode::ALREADY_LOGGED_IN),
        other => panic!("{other:?}"),
    }
    for mut c in others {
        c.poll().await.expect("the other four live on");
    }
}

#[tokio::test]
async fn impsd_stops_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_impsd"))
        .arg("--data")
        .arg(dir.path())
        .arg("--http")
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("impsd");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    assert!(
        line.starts_with("impsd listening on http://127.0.0.1:"),
        "{line}"
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("exits");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}

#[tokio::test]
async fn a_login_without_client_id_gets_422_when_the_operator_requires_one() {
    let ts = TestServer::start_with(&["alice"], |s| s.engine.require_client_id = true)
        .await
        .expect("server");
    let v = Variant::V13_XML;
    let mut c = Client::new(ts.config(v)).expect("client");
    let req = LoginRequest {
        user_id: "alice".into(),
        password: Some("alice-pw".into()),
        ..Default::default()
    };
    let r = raw_login(&mut c, req.clone(), v).await;
    assert_eq!(r.result.code, StatusCode::USERID_CLIENTID_MISMATCH);
    let r = raw_login(
        &mut c,
        LoginRequest {
            client_id: Some(ClientId {
                url: None,
                msisdn: Some("+358401234567".into()),
            }),
            ..req
        },
        v,
    )
    .await;
    assert_eq!(r.result.code, StatusCode::SUCCESS);
}
