//! External tool discovery, skip/fail policy, temp directories and process running.

use std::fs::File;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which external tool; `require(tool)` decides skip vs fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// libwbxml's `xml2wbxml` (Debian package `libwbxml2-utils`).
    Xml2Wbxml,
    /// libwbxml's `wbxml2xml` (Debian package `libwbxml2-utils`).
    Wbxml2Xml,
    /// Wireshark's `tshark` (Debian package `tshark`).
    Tshark,
}

impl Tool {
    /// The executable name looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Xml2Wbxml => "xml2wbxml",
            Tool::Wbxml2Xml => "wbxml2xml",
            Tool::Tshark => "tshark",
        }
    }

    /// The Debian package that provides the tool.
    pub fn package(self) -> &'static str {
        match self {
            Tool::Xml2Wbxml | Tool::Wbxml2Xml => "libwbxml2-utils",
            Tool::Tshark => "tshark",
        }
    }

    fn index(self) -> usize {
        match self {
            Tool::Xml2Wbxml => 0,
            Tool::Wbxml2Xml => 1,
            Tool::Tshark => 2,
        }
    }

    /// Arguments for a harmless probe run (exit status is irrelevant, only "could it start").
    fn probe_args(self) -> &'static [&'static str] {
        match self {
            // Both libwbxml tools print usage and exit non-zero without arguments.
            Tool::Xml2Wbxml | Tool::Wbxml2Xml => &[],
            Tool::Tshark => &["-v"],
        }
    }
}

static AVAILABLE: [OnceLock<bool>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
static WARNED: [AtomicBool; 3] = [
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
];

/// Whether the tool's executable can be started (cached per process).
pub fn is_available(tool: Tool) -> bool {
    *AVAILABLE[tool.index()].get_or_init(|| {
        match Command::new(tool.program())
            .args(tool.probe_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => true,
            Err(e) => e.kind() != ErrorKind::NotFound && e.kind() != ErrorKind::PermissionDenied,
        }
    })
}

/// Returns true if the tool is available. If not: when env IMPS_REQUIRE_ALL=1, panics with a clear message ("IMPS_REQUIRE_ALL=1 but `tshark` is not installed: apt-get install tshark"); otherwise prints a loud "SKIPPED: ... not installed" line to stderr (eprintln, once per tool per process is enough) and returns false so the caller returns early.
pub fn require(tool: Tool) -> bool {
    if is_available(tool) {
        return true;
    }
    if std::env::var("IMPS_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!(
            "IMPS_REQUIRE_ALL=1 but `{}` is not installed: apt-get install {}",
            tool.program(),
            tool.package()
        );
    }
    if !WARNED[tool.index()].swap(true, Ordering::Relaxed) {
        // Written to the stderr handle directly rather than with eprintln!: the test harness
        // captures eprintln! output of passing tests, which would hide the warning.
        let _ = writeln!(
            std::io::stderr(),
            "**** SKIPPED: `{}` not installed (apt-get install {}); interop tests using it are skipped. Set IMPS_REQUIRE_ALL=1 to make this a failure. ****",
            tool.program(),
            tool.package()
        );
    }
    false
}

/// A uniquely named temporary directory, removed (with its contents) on drop.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(tag: &str) -> Result<TempDir, String> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        let pid = std::process::id();
        for _ in 0..1000 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("imps-testkit-{tag}-{pid}-{n}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("cannot create temp dir {}: {e}", path.display())),
            }
        }
        Err(format!(
            "cannot create a unique temp dir under {}",
            base.display()
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub(crate) fn write(&self, name: &str, data: &[u8]) -> Result<PathBuf, String> {
        let p = self.file(name);
        std::fs::write(&p, data).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        Ok(p)
    }

    pub(crate) fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        let p = self.file(name);
        std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Result of running a tool: whether it exited successfully, its status text and its output.
pub(crate) struct RunOutput {
    pub(crate) success: bool,
    pub(crate) status: String,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl RunOutput {
    /// stdout and stderr joined, trimmed, for error messages.
    pub(crate) fn messages(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.stdout).trim().to_string();
        let e = String::from_utf8_lossy(&self.stderr);
        let e = e.trim();
        if !e.is_empty() {
            if !s.is_empty() {
                s.push_str(" | ");
            }
            s.push_str(e);
        }
        s
    }
}

/// How long a single tool run may take before it is killed.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// Run `tool` with `args` (and extra environment) inside `dir`, capturing stdout/stderr in files
/// there (no pipe deadlocks), killing it after [`TOOL_TIMEOUT`].
pub(crate) fn run_tool(
    tool: Tool,
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &std::ffi::OsStr)],
    dir: &TempDir,
) -> Result<RunOutput, String> {
    let out_path = dir.file(".stdout");
    let err_path = dir.file(".stderr");
    let out = File::create(&out_path)
        .map_err(|e| format!("cannot create {}: {e}", out_path.display()))?;
    let err = File::create(&err_path)
        .map_err(|e| format!("cannot create {}: {e}", err_path.display()))?;
    let mut cmd = Command::new(tool.program());
    cmd.args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            format!(
                "`{}` is not installed: apt-get install {}",
                tool.program(),
                tool.package()
            )
        } else {
            format!("cannot start `{}`: {e}", tool.program())
        }
    })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if start.elapsed() > TOOL_TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{}` did not finish within {}s and was killed",
                        tool.program(),
                        TOOL_TIMEOUT.as_secs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("waiting for `{}` failed: {e}", tool.program())),
        }
    };
    Ok(RunOutput {
        success: status.success(),
        status: status.to_string(),
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dirs_are_unique_and_removed() {
        let a = TempDir::new("unit").expect("temp dir");
        let b = TempDir::new("unit").expect("temp dir");
        assert_ne!(a.path(), b.path());
        let f = a.write("x.bin", b"abc").expect("write");
        assert_eq!(a.read("x.bin").expect("read"), b"abc");
        let pa = a.path().to_path_buf();
        drop(a);
        assert!(!pa.exists() && !f.exists());
        assert!(b.path().is_dir());
    }

    #[test]
    fn missing_tool_reports_package() {
        let dir = TempDir::new("unit").expect("temp dir");
        let r = run_tool(Tool::Tshark, &[std::ffi::OsStr::new("-v")], &[], &dir);
        if is_available(Tool::Tshark) {
            let out = r.expect("tshark -v runs");
            assert!(out.success, "{}", out.messages());
        } else {
            assert!(r
                .err()
                .unwrap_or_default()
                .contains("apt-get install tshark"));
        }
    }
}
