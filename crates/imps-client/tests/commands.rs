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

#[test]
fn people_commands_work_against_a_real_server() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ts = rt
        .block_on(TestServer::start(&["alice", "bob"]))
        .expect("server");
    let url = ts.url.clone();

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
