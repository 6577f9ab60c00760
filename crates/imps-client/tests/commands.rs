//! The `imps` commands people use, run as the real binary against a real server (in-process
//! impsd on a free port): login, send, listen, presence, lists, block, in several versions and
//! encodings.

use std::process::{Command, Output};

use imps_testkit::server::TestServer;

fn imps(url: &str, user: &str, extra: &[&str], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imps"))
        .args([
            "--server",
            url,
            "--user",
            user,
            "--password",
            &format!("{user}-pw"),
        ])
        .args(extra)
        .args(args)
        .output()
        .expect("imps runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "imps failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A server with accounts `names` (and the runtime it runs on, kept for as long as it is used),
/// and its URL.
fn server(names: &[&str]) -> (tokio::runtime::Runtime, TestServer, String) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ts = rt.block_on(TestServer::start(names)).expect("server");
    let url = ts.url.clone();
    (rt, ts, url)
}

#[test]
fn people_commands_work_against_a_real_server() {
    let (_rt, ts, url) = server(&["alice", "bob"]);

    let out = ok(&imps(
        &url,
        "alice",
        &["--csp", "1.1", "--wbxml"],
        &["login"],
    ));
    assert!(out.starts_with("logged in as alice: session "), "{out}");

    let out = ok(&imps(
        &url,
        "alice",
        &["--digest"],
        &["send", "bob", "hello bob"],
    ));
    assert!(out.starts_with("sent "), "{out}");
    let out = ok(&imps(
        &url,
        "bob",
        &["--csp", "1.3", "--wbxml"],
        &["listen", "--count", "1", "--seconds", "20"],
    ));
    assert_eq!(out.trim(), "message from wv:alice@localhost: hello bob");

    ok(&imps(
        &url,
        "alice",
        &[],
        &[
            "presence",
            "set",
            "--availability",
            "AVAILABLE",
            "--status",
            "at lunch",
        ],
    ));
    let out = ok(&imps(
        &url,
        "bob",
        &["--csp", "1.3"],
        &["presence", "get", "alice"],
    ));
    assert!(out.contains("presence of wv:alice@localhost:"), "{out}");
    assert!(
        out.contains("availability=AVAILABLE") && out.contains("status=at lunch"),
        "{out}"
    );

    ok(&imps(
        &url,
        "alice",
        &[],
        &["lists", "create", "friends", "--display", "Friends"],
    ));
    ok(&imps(
        &url,
        "alice",
        &["--wbxml"],
        &["lists", "add", "friends", "bob", "--nick", "Bobby"],
    ));
    let out = ok(&imps(&url, "alice", &["--csp", "1.3"], &["lists"]));
    assert!(out.contains("wv:alice/friends@localhost"), "{out}");
    assert!(out.contains("  wv:bob@localhost (Bobby)"), "{out}");

    ok(&imps(&url, "bob", &[], &["block", "alice"]));
    let out = ok(&imps(&url, "bob", &["--csp", "1.1"], &["blocked"]));
    assert!(
        out.contains("block list on") && out.contains("  wv:alice@localhost"),
        "{out}"
    );
    let refused = imps(&url, "alice", &[], &["send", "bob", "still there?"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("532"),
        "{refused:?}"
    );
    ok(&imps(&url, "bob", &[], &["unblock", "alice"]));
    ok(&imps(&url, "alice", &[], &["send", "bob", "again"]));

    let bad = Command::new(env!("CARGO_BIN_EXE_imps"))
        .args([
            "--server",
            &url,
            "--user",
            "alice",
            "--password",
            "wrong",
            "login",
        ])
        .output()
        .expect("imps runs");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("409"),
        "{bad:?}"
    );
    drop(ts);
}

/// `imps group ...` as bob in the background, its first line (the join) read before going on.
fn join_in_background(url: &str, user: &str, args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_imps"))
        .args([
            "--server",
            url,
            "--user",
            user,
            "--password",
            &format!("{user}-pw"),
        ])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("imps runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("first line");
    // The rest is read when the child ends.
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut reader, &mut s);
        s
    });
    let _ = rest.thread().id();
    BACKGROUND.with(|b| b.borrow_mut().push(rest));
    (child, first)
}

thread_local! {
    static BACKGROUND: std::cell::RefCell<Vec<std::thread::JoinHandle<String>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Waits for the background child and returns the rest of its output.
fn finish(mut child: std::process::Child) -> String {
    let status = child.wait().expect("waits");
    let out = BACKGROUND
        .with(|b| b.borrow_mut().remove(0))
        .join()
        .expect("reader");
    assert!(status.success(), "background imps failed: {out}");
    out
}

#[test]
fn group_commands_work_against_a_real_server() {
    let (_rt, ts, url) = server(&["alice", "bob", "carol"]);
    // As the server shows it, and as the client wrote it.
    let g = "wv:alice/chat@localhost";
    let typed = "wv:alice/chat";

    let out = ok(&imps(
        &url,
        "alice",
        &["--csp", "1.3"],
        &[
            "group",
            "create",
            "chat",
            "--topic",
            "weather",
            "--welcome",
            "hi there",
        ],
    ));
    assert_eq!(out.trim(), "created wv:alice/chat");

    // bob joins and listens; carol says something (joining and leaving around it).
    let (bob, first) = join_in_background(
        &url,
        "bob",
        &[
            "--wbxml",
            "group",
            "join",
            "alice/chat",
            "--name",
            "bob",
            "--count",
            "3",
            "--seconds",
            "20",
        ],
    );
    assert_eq!(first.trim(), format!("joined {typed}: bob"));
    let out = ok(&imps(
        &url,
        "carol",
        &["--csp", "1.1"],
        &["group", "say", "alice/chat", "hello", "--name", "cc"],
    ));
    assert_eq!(out.trim(), format!("said in {typed}"));
    let rest = finish(bob);
    assert!(rest.contains("welcome: hi there"), "{rest}");
    assert!(rest.contains(&format!("[{g}] joined: cc")), "{rest}");
    assert!(rest.contains(&format!("[{g}] cc: hello")), "{rest}");
    assert!(rest.contains(&format!("[{g}] left: cc")), "{rest}");
    assert!(
        rest.trim_end().ends_with(&format!("left {typed}")),
        "{rest}"
    );

    // Properties and members.
    let out = ok(&imps(
        &url,
        "alice",
        &[],
        &["group", "props", "chat", "--set", "Topic=chess"],
    ));
    assert!(
        out.contains("Topic=chess") && out.contains("own PrivilegeLevel=Admin"),
        "{out}"
    );
    let out = ok(&imps(
        &url,
        "alice",
        &["--csp", "1.3", "--wbxml"],
        &["group", "members", "chat", "--add", "bob"],
    ));
    assert_eq!(
        out.trim(),
        "admin wv:alice@localhost\nuser wv:bob@localhost"
    );
    let refused = imps(
        &url,
        "bob",
        &[],
        &["group", "props", "alice/chat", "--set", "Topic=mine"],
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("816"),
        "{refused:?}"
    );
    // A member sets its own properties (no administrator needed).
    let out = ok(&imps(
        &url,
        "bob",
        &[],
        &["group", "props", "alice/chat", "--own", "AutoJoin=T"],
    ));
    assert!(out.contains("own AutoJoin=T"), "{out}");
    let out = ok(&imps(
        &url,
        "bob",
        &[],
        &["search", "GROUP_USER_ID_AUTOJOIN=bob"],
    ));
    assert!(out.contains("wv:alice/chat@localhost"), "{out}");

    // Talking in a chat: lines read are said; /leave leaves.
    let (bob, first) = join_in_background(
        &url,
        "bob",
        &[
            "group",
            "join",
            "alice/chat",
            "--count",
            "2",
            "--seconds",
            "20",
        ],
    );
    assert!(first.starts_with(&format!("joined {typed}: ")), "{first}");
    let mut alice = Command::new(env!("CARGO_BIN_EXE_imps"))
        .args([
            "--server",
            &url,
            "--user",
            "alice",
            "--password",
            "alice-pw",
            "group",
            "chat",
            "chat",
            "--name",
            "al",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("imps runs");
    {
        use std::io::Write as _;
        let mut stdin = alice.stdin.take().expect("stdin");
        stdin
            .write_all(b"hi bob\n/to bob just you\n/leave\n")
            .expect("typed");
    }
    let said = alice.wait_with_output().expect("chat ends");
    assert!(said.status.success(), "{said:?}");
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(said.contains(&format!("left {typed}")), "{said}");
    assert!(
        said.contains("not said: ") && said.contains("812"),
        "{said}"
    );
    let rest = finish(bob);
    assert!(rest.contains(&format!("[{g}] al: hi bob")), "{rest}");
    assert!(
        !rest.contains("just you"),
        "no private messaging in this group: {rest}"
    );

    // Kick (ban) and delete.
    let out = ok(&imps(&url, "alice", &[], &["group", "kick", "chat", "bob"]));
    assert_eq!(out.trim(), format!("banned bob from {typed}"));
    let refused = imps(
        &url,
        "bob",
        &[],
        &["group", "say", "alice/chat", "let me in"],
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("809"),
        "{refused:?}"
    );
    ok(&imps(
        &url,
        "alice",
        &[],
        &["group", "unban", "chat", "bob"],
    ));
    ok(&imps(
        &url,
        "bob",
        &[],
        &["group", "say", "alice/chat", "back"],
    ));
    let out = ok(&imps(
        &url,
        "alice",
        &["--csp", "1.1", "--wbxml"],
        &["group", "delete", "chat"],
    ));
    assert_eq!(out.trim(), format!("deleted {typed}"));
    let refused = imps(&url, "bob", &[], &["group", "props", "alice/chat"]);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("800"),
        "{refused:?}"
    );
    drop(ts);
}

#[test]
fn invitation_commands_work_against_a_real_server() {
    let (_rt, ts, url) = server(&["alice", "bob"]);
    let out = ok(&imps(
        &url,
        "alice",
        &["--csp", "1.3"],
        &["invite", "send", "i1", "bob", "--note", "coffee?"],
    ));
    assert_eq!(out.trim(), "invited bob (i1)");
    let out = ok(&imps(&url, "bob", &["--wbxml"], &["invite", "list"]));
    assert!(
        out.starts_with("i1 from wv:alice@localhost (IM): coffee? ["),
        "{out}"
    );
    let out = ok(&imps(
        &url,
        "bob",
        &["--csp", "1.1"],
        &[
            "invite", "accept", "i1", "--from", "alice", "--note", "sure",
        ],
    ));
    assert_eq!(out.trim(), "accepted i1");
    // alice was offline: the answer waits for her next session.
    let out = ok(&imps(
        &url,
        "alice",
        &[],
        &["listen", "--count", "1", "--seconds", "10"],
    ));
    assert_eq!(
        out.trim(),
        "invitation i1 accepted by wv:bob@localhost: sure"
    );
    // Answered: gone from the list, and not to be answered twice.
    let out = ok(&imps(&url, "bob", &[], &["invite", "list"]));
    assert_eq!(out.trim(), "", "{out}");
    let again = imps(
        &url,
        "bob",
        &[],
        &["invite", "reject", "i1", "--from", "alice"],
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("423"),
        "{again:?}"
    );

    // A cancelled invitation is no longer waiting.
    ok(&imps(&url, "alice", &[], &["invite", "send", "i2", "bob"]));
    let out = ok(&imps(&url, "alice", &[], &["invite", "cancel", "i2"]));
    assert_eq!(out.trim(), "cancelled i2");
    let out = ok(&imps(&url, "bob", &[], &["invite", "list"]));
    assert_eq!(out.trim(), "", "{out}");
    drop(ts);
}

#[test]
fn profile_and_search_commands_work_against_a_real_server() {
    let (_rt, ts, url) = server(&["alice", "bob"]);
    let v13 = ["--csp", "1.3"];
    let out = ok(&imps(
        &url,
        "alice",
        &v13,
        &[
            "profile",
            "set",
            "PP_CITY=Helsinki",
            "PP_FRIENDLY_NAME=Alice",
        ],
    ));
    assert_eq!(out.trim(), "profile updated");
    let out = ok(&imps(
        &url,
        "bob",
        &["--csp", "1.3", "--wbxml"],
        &["profile", "get", "alice"],
    ));
    assert_eq!(
        out.trim(),
        "wv:alice@localhost\n  PP_CITY=Helsinki\n  PP_FRIENDLY_NAME=Alice"
    );
    let bad = imps(&url, "alice", &v13, &["profile", "set", "PP_SHOE=38"]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("402"),
        "{bad:?}"
    );
    let out = ok(&imps(&url, "bob", &[], &["search", "USER_CITY=helsin"]));
    assert_eq!(out.trim(), "wv:alice@localhost\n1 found");
    let out = ok(&imps(
        &url,
        "bob",
        &["--csp", "1.1"],
        &["search", "user_city=oslo"],
    ));
    assert_eq!(out.trim(), "0 found");
    drop(ts);
}
