//! Incident controls (issue 9.7), driven as an operator drives them: the real `impsd` binary
//! against a running server's data directory. `impsd session list|kick` reach the server
//! through its control socket; `impsd user disable|enable` change the store and tell the
//! server at once. A kicked or disabled session hears 601 through its CIR channel and on its
//! next request; a disabled account cannot log in until it is enabled again.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use imps_client::Client;
use imps_core::store::{Store, Write};
use imps_csp::Primitive;
use imps_testkit::server::{TestServer, Variant};

const IMPSD: &str = env!("CARGO_BIN_EXE_impsd");

/// Runs the `impsd` binary (without blocking the test's runtime, which serves the server).
async fn impsd(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(IMPSD)
            .arg("--data")
            .arg(dir)
            .args(args)
            .output()
            .expect("run impsd")
    })
    .await
    .expect("join")
}

/// Runs `impsd`, which must succeed; its standard output.
async fn ok(dir: &Path, args: &[&str]) -> String {
    let out = impsd(dir, args).await;
    assert!(
        out.status.success(),
        "impsd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `impsd`, which must fail; its standard error.
async fn fails(dir: &Path, args: &[&str]) -> String {
    let out = impsd(dir, args).await;
    assert!(
        !out.status.success(),
        "impsd {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn server() -> TestServer {
    TestServer::start_with(&["alice", "bob", "carol"], |s| {
        s.cir_tcp = imps_server::CirTcp::At("127.0.0.1:0".parse().expect("addr"));
    })
    .await
    .expect("server")
}

/// A logged-in client with a standalone TCP CIR channel.
async fn with_cir(
    ts: &TestServer,
    name: &str,
    v: Variant,
) -> (Client, imps_client::session::CirChannel) {
    let mut cfg = ts.config(v);
    cfg.cir = vec!["STCP".into()];
    let mut c = Client::new(cfg).expect("client");
    c.login(name, &format!("{name}-pw")).await.expect("login");
    c.negotiate().await.expect("negotiate");
    let ch = c.open_tcp_cir().await.expect("HELO accepted");
    (c, ch)
}

/// The client's next request is answered 601, and a poll gets the Disconnect 601.
async fn hears_601(c: &mut Client) {
    let p = c.poll().await.expect("poll answered");
    match p.map(|r| r.primitive) {
        Some(Primitive::Disconnect(d)) => assert_eq!(d.result.code.0, 601, "{d:?}"),
        other => panic!("a poll after the kick: {other:?}"),
    }
    match c
        .request(Primitive::GetListRequest(Default::default()))
        .await
        .expect("answer")
    {
        Primitive::Status(s) => assert_eq!(s.result.code.0, 601, "{s:?}"),
        other => panic!("the session still works: {other:?}"),
    }
}

/// A wake-up arrives on the CIR channel within 10 s.
async fn woken(ch: &mut imps_client::session::CirChannel) {
    let line = tokio::time::timeout(Duration::from_secs(10), ch.wake())
        .await
        .expect("a CIR wake-up within 10 s")
        .expect("WVCI line");
    assert!(line.starts_with("WVCI "), "{line}");
}

#[tokio::test]
async fn session_list_shows_live_sessions_and_kick_ends_them() {
    let ts = server().await;
    let dir = ts.dir.path().to_owned();
    let (mut bob, mut bob_cir) = with_cir(&ts, "bob", Variant::V11_WBXML).await;
    let (mut alice, mut alice_cir) = with_cir(&ts, "alice", Variant::V13_XML).await;
    let mut carol = ts.client("carol", Variant::V12_XML).await.expect("carol");

    let listed = ok(&dir, &["session", "list"]).await;
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{listed}");
    for (row, user, version, cir) in [
        (rows[0], "wv:alice@localhost", "1.3", "tcp"),
        (rows[1], "wv:bob@localhost", "1.1", "tcp"),
        (rows[2], "wv:carol@localhost", "1.2", "-"),
    ] {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1], user, "{listed}");
        assert_eq!(cols[2], version, "{listed}");
        assert_eq!(cols[3], "127.0.0.1", "{listed}");
        // cols[4..6]: when it logged in (date, time); cols[6]: idle.
        assert_eq!(cols[7], cir, "the CIR channel: {listed}");
        assert_eq!(
            cols[0].len(),
            12,
            "a handle, not the whole SessionID: {listed}"
        );
    }
    for c in [&alice, &bob, &carol] {
        let sid = c.session_id.clone().expect("logged in");
        assert!(
            !listed.contains(&sid),
            "a whole SessionID is shown: {listed}"
        );
        assert!(listed.contains(&sid[..12]), "{listed}");
    }
    let only_bob = ok(&dir, &["session", "list", "bob"]).await;
    assert_eq!(only_bob.lines().count(), 2, "{only_bob}");
    assert!(only_bob.contains("wv:bob@localhost"), "{only_bob}");

    // Every session of a user.
    let out = ok(&dir, &["session", "kick", "bob"]).await;
    assert!(out.starts_with("ended 1 session(s)"), "{out}");
    woken(&mut bob_cir).await;
    hears_601(&mut bob).await;

    // One session, by the six characters a log line shows (with its ellipsis).
    let sid = alice.session_id.clone().expect("logged in");
    let out = ok(&dir, &["session", "kick", &format!("{}…", &sid[..6])]).await;
    assert!(out.contains(&sid[..12]), "{out}");
    woken(&mut alice_cir).await;
    hears_601(&mut alice).await;

    // Nobody else was touched.
    let p = carol
        .request(Primitive::GetListRequest(Default::default()))
        .await
        .expect("answer");
    assert!(
        matches!(p, Primitive::GetListResponse(_)),
        "carol was kicked too: {p:?}"
    );
    let left = ok(&dir, &["session", "list"]).await;
    assert_eq!(left.lines().count(), 2, "{left}");
    // A kicked client may log in again (to keep it out: `user disable`).
    bob.login("bob", "bob-pw").await.expect("login again");
}

#[tokio::test]
async fn kick_refuses_what_names_nobody_or_too_many() {
    let ts = server().await;
    let dir = ts.dir.path().to_owned();
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    for target in ["carol", "nosuchuser", "abc", "0000000000000000"] {
        let err = fails(&dir, &["session", "kick", target]).await;
        assert!(err.contains("no live session"), "{target}: {err}");
    }
    // A prefix shorter than six characters is not taken as a session id.
    let sid = alice.session_id.clone().expect("logged in");
    let err = fails(&dir, &["session", "kick", &sid[..5]]).await;
    assert!(err.contains("no live session"), "{err}");
    let p = alice
        .request(Primitive::GetListRequest(Default::default()))
        .await
        .expect("answer");
    assert!(matches!(p, Primitive::GetListResponse(_)), "{p:?}");
}

#[tokio::test]
async fn a_disabled_account_is_logged_out_and_kept_out_until_enabled() {
    let ts = server().await;
    let dir = ts.dir.path().to_owned();
    let (mut alice, mut alice_cir) = with_cir(&ts, "alice", Variant::V12_WBXML).await;
    let mut bob = ts.client("bob", Variant::V12_XML).await.expect("bob");

    let out = ok(&dir, &["user", "disable", "alice"]).await;
    assert!(out.contains("disabled wv:alice@localhost"), "{out}");
    assert!(out.contains("ended 1 live session(s)"), "{out}");
    woken(&mut alice_cir).await;
    hears_601(&mut alice).await;
    assert!(ok(&dir, &["user", "list"])
        .await
        .contains("wv:alice@localhost (disabled)\n"));

    // The right password gets 403 with a reason; a wrong one learns nothing new (409).
    let mut again = Client::new(ts.config(Variant::V12_XML)).expect("client");
    let e = again
        .login("alice", "alice-pw")
        .await
        .expect_err("disabled");
    assert!(e.to_string().contains("403"), "{e}");
    assert!(e.to_string().contains("disabled"), "{e}");
    let e = again
        .login("alice", "wrong")
        .await
        .expect_err("wrong password");
    assert!(e.to_string().contains("409"), "{e}");

    // Messages to a disabled account are kept; a new password does not enable it.
    bob.send_text(&["alice"], "while you were out")
        .await
        .expect("accepted for alice");
    ok(
        &dir,
        &["user", "passwd", "alice", "--password", "alice-pw2"],
    )
    .await;
    let e = again
        .login("alice", "alice-pw2")
        .await
        .expect_err("still disabled");
    assert!(e.to_string().contains("403"), "{e}");

    let out = ok(&dir, &["user", "enable", "alice"]).await;
    assert!(out.contains("enabled wv:alice@localhost"), "{out}");
    assert!(ok(&dir, &["user", "list"])
        .await
        .contains("wv:alice@localhost\n"));
    again
        .login("alice", "alice-pw2")
        .await
        .expect("enabled again");
    again.negotiate().await.expect("negotiate");
    let got = again
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::NewMessage(_))
        })
        .await
        .expect("the kept message");
    assert!(format!("{got:?}").contains("while you were out"), "{got:?}");
}

#[tokio::test]
async fn disabling_through_the_store_alone_ends_sessions_too() {
    // Another process that only writes the store (no control socket): the server notices
    // within its one-second reload.
    let ts = server().await;
    let mut alice = ts.client("alice", Variant::V12_XML).await.expect("alice");
    let store = imps_store::SqliteStore::open(ts.dir.path()).expect("second store");
    let mut record = store
        .user("wv:alice@localhost")
        .expect("read")
        .expect("alice");
    record.disabled = true;
    store.commit(vec![Write::PutUser(record)]).expect("commit");
    let mut ended = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if ts.engine().sessions(Some("wv:alice@localhost")).is_empty() {
            ended = true;
            break;
        }
    }
    assert!(ended, "the disabled account's session still lives");
    hears_601(&mut alice).await;
}

#[tokio::test]
async fn session_commands_need_a_running_server_and_one_server_per_directory() {
    let dir = tempfile::tempdir().expect("dir");
    imps_testkit::server::add_users(dir.path(), &["alice"], false).expect("users");
    let err = fails(dir.path(), &["session", "list"]).await;
    assert!(err.contains("not running"), "{err}");
    // Account changes work without a server.
    ok(dir.path(), &["user", "disable", "alice"]).await;

    let ts = TestServer::start_with(&["alice"], |_| {})
        .await
        .expect("server");
    let socket = ts.dir.path().join("control.sock");
    let mode = std::fs::metadata(&socket)
        .expect("control socket")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600,
        "only impsd's account may use the control socket"
    );
    // A second server on the same data directory refuses to start (before touching it).
    let out = Command::new(IMPSD)
        .arg("--data")
        .arg(ts.dir.path())
        .args(["--http", "127.0.0.1:0", "serve"])
        .output()
        .expect("second impsd");
    assert!(!out.status.success(), "a second server started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another impsd is running"), "{err}");
    assert!(
        socket.exists(),
        "the second server removed the first one's socket"
    );
    assert_eq!(
        ok(ts.dir.path(), &["session", "list"])
            .await
            .lines()
            .count(),
        1
    );
}

#[tokio::test]
async fn a_server_killed_with_sigkill_leaves_no_lock_behind() {
    let dir = tempfile::tempdir().expect("dir");
    imps_testkit::server::add_users(dir.path(), &["alice"], false).expect("users");
    let start = || {
        std::process::Command::new(IMPSD)
            .arg("--data")
            .arg(dir.path())
            .args(["--http", "127.0.0.1:0", "serve"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("impsd")
    };
    let first_line = |child: &mut std::process::Child| {
        use std::io::BufRead as _;
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("read");
        line
    };
    let mut first = start();
    assert!(first_line(&mut first).contains("listening"));
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    assert!(dir.path().join("control.sock").exists(), "a stale socket");
    let mut second = start();
    let line = first_line(&mut second);
    assert!(
        line.contains("listening"),
        "restart after kill -9: {line:?}"
    );
    let listed = ok(dir.path(), &["session", "list"]).await;
    assert_eq!(listed.lines().count(), 1, "{listed}");
    second.kill().expect("SIGKILL");
    let _ = second.wait();
}

#[test]
fn a_control_request_that_is_not_json_gets_an_error_not_a_crash() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let ts = server().await;
        let socket = ts.dir.path().join("control.sock");
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Write as _};
            let mut s = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
            s.write_all(b"{\"op\":\"drop_tables\"}\n").expect("write");
            let mut answer = String::new();
            s.read_to_string(&mut answer).expect("read");
            answer
        })
        .await
        .expect("join");
        assert!(answer.contains("\"result\":\"error\""), "{answer}");
        let mut alice = ts.client("alice", Variant::V12_XML).await.expect("served");
        alice.logout().await.expect("logout");
    });
}

/// `impsd notice send|answers`: the operator's system message reaches the user's CSP 1.3
/// sessions (woken through CIR), the user's SystemMessage-User answer is kept, and the
/// operator reads it back.
#[tokio::test]
async fn a_system_message_is_sent_and_its_answer_kept() {
    use imps_csp::model::v13::{
        SystemMessageResponse, SystemMessageResponseList, SystemMessageUser,
    };
    let ts = server().await;
    let dir = ts.dir.path().to_owned();
    let (mut alice, mut alice_cir) = with_cir(&ts, "alice", Variant::V13_WBXML).await;
    let _bob = ts.client("bob", Variant::V12_XML).await.expect("bob");
    let out = ok(
        &dir,
        &[
            "notice",
            "send",
            "alice",
            "Accept the new terms?",
            "--id",
            "tou-2",
            "--option",
            "1:Yes",
            "--option",
            "2:No",
            "--requires-response",
        ],
    )
    .await;
    assert_eq!(out.trim(), "sent to 1 session(s)");
    // No system messages before 1.3.
    let out = ok(&dir, &["notice", "send", "bob", "hello", "--id", "n1"]).await;
    assert_eq!(out.trim(), "sent to 0 session(s)");
    assert!(
        fails(&dir, &["notice", "send", "ghost", "hello", "--id", "n2"])
            .await
            .contains("does not exist")
    );

    let woken = tokio::time::timeout(std::time::Duration::from_secs(10), alice_cir.wake()).await;
    assert!(matches!(woken, Ok(Ok(_))), "woken through CIR: {woken:?}");
    let p = alice
        .wait_for(std::time::Duration::from_secs(10), |p| {
            matches!(p, Primitive::SystemMessageRequest(_))
        })
        .await
        .expect("SystemMessage-Request");
    let Primitive::SystemMessageRequest(r) = p else {
        unreachable!()
    };
    let m = &r.system_message_list.system_message[0];
    assert_eq!(m.system_message_id, "tou-2");
    assert_eq!(
        m.system_message_text.as_deref(),
        Some("Accept the new terms?")
    );
    assert_eq!(m.requires_response, Some(true));
    let options: Vec<(u32, Option<String>)> = m
        .answer_options
        .iter()
        .flat_map(|o| {
            o.answer_option
                .iter()
                .map(|a| (a.answer_option_id, a.answer_option_text.clone()))
        })
        .collect();
    assert_eq!(
        options,
        vec![(1, Some("Yes".into())), (2, Some("No".into()))]
    );

    let p = alice
        .request(Primitive::from(SystemMessageUser {
            system_message_response_list: Some(SystemMessageResponseList {
                system_message_response: vec![SystemMessageResponse {
                    system_message_id: "tou-2".into(),
                    chosen_option_id: Some(1),
                    verification_key: None,
                }],
            }),
        }))
        .await
        .expect("answer");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code.is_success()),
        "{p:?}"
    );
    let out = ok(&dir, &["notice", "answers", "alice"]).await;
    assert!(out.trim().ends_with("tou-2 1"), "{out}");
}
