//! Where `imps` takes its password from, as a user runs it: `--password-file`, `IMPS_PASSWORD`,
//! `--password` (still works), and without any of them and no terminal, an error saying how to
//! give one. The logins are 4-way digest logins against a server with sealed digest secrets.

use std::process::{Command, Output, Stdio};

use imps_testkit::server::{TestServer, PASSWORD_SUFFIX};

/// `imps --server URL --user alice --digest ARGS login`, with no terminal and `env`.
fn imps_login(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imps"));
    cmd.args(["--server", url, "--user", "alice", "--digest"])
        .args(args)
        .arg("login")
        .env_remove("IMPS_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run imps")
}

fn logged_in(out: &Output) -> bool {
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("logged in as alice")
}

#[test]
fn imps_reads_the_password_from_a_file_the_environment_or_the_command_line() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt.block_on(TestServer::start(&["alice"])).expect("server");
    let url = server.url.clone();
    let right = format!("alice{PASSWORD_SUFFIX}");
    let file = server.dir.path().join("alice.pw");
    std::fs::write(&file, format!("{right}\n")).expect("password file");
    let file = file.to_str().expect("utf-8").to_owned();

    let outs = {
        [
            imps_login(&url, &["--password-file", &file], &[]),
            imps_login(&url, &[], &[("IMPS_PASSWORD", &right)]),
            imps_login(&url, &["--password", &right], &[]),
            // The file comes before the environment.
            imps_login(
                &url,
                &["--password-file", &file],
                &[("IMPS_PASSWORD", "wrong")],
            ),
            imps_login(&url, &[], &[("IMPS_PASSWORD", "wrong")]),
            imps_login(&url, &[], &[]),
        ]
    };
    for (what, out) in [
        "--password-file",
        "IMPS_PASSWORD",
        "--password",
        "file first",
    ]
    .iter()
    .zip(&outs)
    {
        assert!(
            logged_in(out),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wrong = &outs[4];
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("login failed"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let none = &outs[5];
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("--password-file") && err.contains("IMPS_PASSWORD"),
        "{err}"
    );
}
