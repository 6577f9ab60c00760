//! `imps bench` as an operator runs it, against a real server: the closed loop keeps at most one
//! message in flight per user, and every message it counts was delivered.

use std::process::Command;

use imps_testkit::server::TestServer;

/// A figure of the report, by its label (`  delivered:      72235 (3608 /s ...`).
fn figure(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closed_loop_keeps_one_message_in_flight_per_user() {
    let ts = TestServer::start(&[]).await.expect("server");
    let settings = TestServer::settings(ts.dir.path());
    imps_server::admin::bulk_add(&settings, "bench", 20, "bench").expect("accounts");
    let url = ts.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_imps"))
            .args(["--server", &url, "--wbxml", "bench"])
            .args(["--users", "20", "--seconds", "3", "--closed-loop"])
            .args(["--login-concurrency", "4"])
            .output()
            .expect("imps bench")
    })
    .await
    .expect("join");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("closed loop"), "{report}");
    let sent = figure(&report, "messages sent:");
    let delivered = figure(&report, "delivered:");
    assert_eq!(figure(&report, "errors:"), 0, "{report}");
    assert!(delivered > 20, "the loop went round: {report}");
    // One message in flight per user at most: whatever was sent and not delivered is what
    // was in flight when the run stopped.
    assert!(sent >= delivered && sent - delivered <= 20, "{report}");
}
