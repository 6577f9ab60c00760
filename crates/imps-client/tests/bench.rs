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

/// `imps [before] bench --users 20 --seconds 3 --login-concurrency 4 [after]` against a fresh
/// server with 20 bench accounts: its report (the run must succeed).
async fn run_bench(before: &[&str], after: &[&str]) -> String {
    let ts = TestServer::start(&[]).await.expect("server");
    let settings = TestServer::settings(ts.dir.path());
    imps_server::admin::bulk_add(&settings, "bench", 20, "bench").expect("accounts");
    let url = ts.url.clone();
    let before: Vec<String> = before.iter().map(|a| (*a).to_owned()).collect();
    let after: Vec<String> = after.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_imps"))
            .args(["--server", &url])
            .args(&before)
            .arg("bench")
            .args([
                "--users",
                "20",
                "--seconds",
                "3",
                "--login-concurrency",
                "4",
            ])
            .args(&after)
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
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closed_loop_keeps_one_message_in_flight_per_user() {
    let report = run_bench(&["--wbxml"], &["--closed-loop"]).await;
    assert!(report.contains("closed loop"), "{report}");
    let sent = figure(&report, "messages sent:");
    let delivered = figure(&report, "delivered:");
    assert_eq!(figure(&report, "errors:"), 0, "{report}");
    assert!(delivered > 20, "the loop went round: {report}");
    // One message in flight per user at most: whatever was sent and not delivered is what
    // was in flight when the run stopped.
    assert!(sent >= delivered && sent - delivered <= 20, "{report}");
}

/// The group scenario: groups of 5 joined users, each message fanned out to the other four;
/// every copy counted was delivered, and each message makes at most four.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_scenario_fans_each_message_out_to_the_group() {
    let report = run_bench(&[], &["--rate", "40", "--group-size", "5"]).await;
    assert!(
        report.contains("groups:         4 of 5 joined users"),
        "{report}"
    );
    assert_eq!(figure(&report, "errors:"), 0, "{report}");
    let sent = figure(&report, "messages sent:");
    let delivered = figure(&report, "delivered:");
    assert!(sent >= 40, "{report}");
    // Four copies of each message (a few of the last may still have been on their way).
    assert!(
        delivered <= 4 * sent && delivered + 4 * 20 >= 4 * sent,
        "{report}"
    );
}

/// `imps bench idle` at a small scale: the server holds every connection the report counts,
/// HTTP keep-alive and TCP CIR, from two bound source addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_bench_leaves_its_connections_open_on_the_server() {
    use std::io::BufRead as _;
    use std::process::Stdio;

    let ts = TestServer::start(&[]).await.expect("server");
    let settings = TestServer::settings(ts.dir.path());
    imps_server::admin::bulk_add(&settings, "bench", 50, "bench").expect("accounts");
    let mut child = Command::new(env!("CARGO_BIN_EXE_imps"))
        .args(["--server", &ts.url, "bench", "idle"])
        .args(["--http-conns", "50", "--cir-conns", "50"])
        .args(["--sources", "127.0.0.2-127.0.0.3", "--idle-seconds", "1"])
        .args(["--login-concurrency", "4", "--hold"])
        .args(["--server-pid", &std::process::id().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("imps bench idle");
    let stdout = child.stdout.take().expect("piped");
    // The report, up to the line that says the connections are held.
    let report = tokio::task::spawn_blocking(move || {
        let mut report = String::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("report line");
            report.push_str(&line);
            report.push('\n');
            if line.contains("holding") {
                break;
            }
        }
        report
    })
    .await
    .expect("join");
    let app = &ts.running.as_ref().expect("running").app;
    let cir_held = app.cir.tcp_connections();
    // The pooled connections of the logins close once the tool dropped its client.
    let mut http_held = app.http_conns.open();
    for _ in 0..100 {
        if http_held == 50 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        http_held = app.http_conns.open();
    }
    // Read before the tool goes: its connections close when it is killed.
    let cir_counted = app.cir_conns.open();
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(report.contains("holding 100 connections"), "{report}");
    assert_eq!(figure(&report, "HTTP opened:"), 50, "{report}");
    assert_eq!(figure(&report, "CIR opened:"), 50, "{report}");
    assert_eq!(figure(&report, "HTTP open:"), 50, "{report}");
    assert_eq!(figure(&report, "CIR open:"), 50, "{report}");
    assert!(report.contains("server VmRSS:"), "{report}");
    assert_eq!(cir_held, 50, "the server's TCP CIR channels: {report}");
    assert_eq!(http_held, 50, "the server's HTTP connections: {report}");
    assert_eq!(cir_counted, 50, "{report}");
}

/// Two `imps bench` processes on disjoint account ranges (`--first`) load one server together:
/// each delivers its messages without errors, and between them they drove every account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_share_the_load_on_disjoint_accounts() {
    let ts = TestServer::start(&[]).await.expect("server");
    let settings = TestServer::settings(ts.dir.path());
    imps_server::admin::bulk_add(&settings, "bench", 20, "bench").expect("accounts");
    let run = |first: &'static str| {
        let url = ts.url.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_imps"))
                .args(["--server", &url, "bench"])
                .args(["--users", "10", "--first", first, "--seconds", "3"])
                .args(["--closed-loop", "--login-concurrency", "4"])
                .output()
                .expect("imps bench")
        })
    };
    let (a, b) = (run("0"), run("10"));
    // While they run, the server has sessions of all 20 accounts (each process its own ten).
    let mut most = 0;
    for _ in 0..100 {
        let users: std::collections::HashSet<String> = ts
            .engine()
            .sessions(None)
            .into_iter()
            .map(|s| s.user)
            .collect();
        most = most.max(users.len());
        if most == 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(most, 20, "accounts with a session at once");
    for out in [a.await.expect("join"), b.await.expect("join")] {
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(figure(&report, "errors:"), 0, "{report}");
        // The loop went round several times for each user of the range (a process driving
        // accounts of the other range would wait for answers from users nobody drives).
        assert!(figure(&report, "messages sent:") >= 30, "{report}");
        assert!(figure(&report, "delivered:") >= 30, "{report}");
    }
    assert_eq!(ts.engine().loaded_users().0, 20);
}
