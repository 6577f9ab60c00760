//! Where `imps` takes the password to log in with from, first found wins:
//! `--password PW` (for old scripts: it shows in `ps` and in shell history), `--password-file
//! FILE`, the environment variable `IMPS_PASSWORD`, else a prompt on the terminal.
//!
//! `impsd user add|passwd` has the same rules (with `IMPSD_PASSWORD`) in its own copy.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// The environment variable read when no flag gives the password.
pub const ENV: &str = "IMPS_PASSWORD";

/// The password flags of a command.
#[derive(clap::Args, Debug)]
pub struct PasswordArgs {
    /// The password itself. Avoid it: other users see it in the process list and it stays in
    /// shell history; prefer --password-file, IMPS_PASSWORD or the prompt.
    #[arg(
        long,
        global = true,
        value_name = "PW",
        conflicts_with = "password_file"
    )]
    pub password: Option<String>,
    /// Read the password from FILE (its content; one trailing newline is dropped).
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

impl PasswordArgs {
    /// The password: from the flag, the file, `IMPS_PASSWORD`, or the prompt (asked once).
    pub fn read(self, prompt: &str) -> anyhow::Result<String> {
        if let Some(pw) = self.password {
            return Ok(pw);
        }
        if let Some(file) = &self.password_file {
            return from_file(file);
        }
        if let Some(pw) = std::env::var_os(ENV) {
            return pw
                .into_string()
                .map_err(|_| anyhow::anyhow!("{ENV} is not valid UTF-8"));
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "no password: give --password-file FILE or set {ENV} (or run on a terminal to be \
                 asked)"
            );
        }
        rpassword::prompt_password(format!("{prompt}: "))
            .context("reading the password from the terminal")
    }
}

/// A password file's content without its trailing line ending.
fn from_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the password file {}", path.display()))?;
    let pw = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    Ok(pw.to_owned())
}
