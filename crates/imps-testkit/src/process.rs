//! The real `impsd` binary as a child process: started on a free port, its first line read for
//! the address it listens on.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The URL (`http://ADDR/`) in impsd's first line (`impsd listening on http://ADDR ...`).
pub fn listening_url(line: &str) -> Option<String> {
    line.split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .map(|a| format!("http://{a}/"))
}

/// Starts the impsd binary `bin` with `args` (stdout read, stderr discarded) and waits until it
/// says where it listens: the child and that URL.
///
/// # Panics
/// If it does not start or does not print an address.
pub fn start_impsd<I, S>(bin: &str, args: I) -> (Child, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("impsd starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = listening_url(&line).unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, url)
}
