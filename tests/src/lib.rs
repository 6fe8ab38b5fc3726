//! Support for the end-to-end suites: finding and running the workspace's binaries.
//!
//! The suites drive the real programs (`abha-field`, and later `abha-hub`) as separate processes
//! on real files, the way support staff and the CI use them.

use std::io::Write as _;
pub mod proxy;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The path of a workspace binary for suites outside the binary's own crate. Inside a crate, use
/// `env!("CARGO_BIN_EXE_<name>")`, which cargo keeps fresh.
///
/// Refuses a binary older than the sources it is built from (core and its own crate), so a
/// suite never tests yesterday's code; `cargo test --workspace` builds every binary first.
pub fn bin(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries one level up.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let crate_dir = match name {
        "abha-field" => "field",
        "abha-hub" => "hub",
        other => other,
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // The hub links the ABDM simulator (for `serve --demo`).
    let newest = [root.join("core"), root.join(crate_dir), root.join("sim")]
        .iter()
        .filter_map(|d| newest_source(d))
        .max();
    match (built, newest) {
        (Some(b), Some(n)) if b >= n => path,
        (Some(_), _) => panic!("{name} is older than its sources: run `cargo build --bins` first"),
        (None, _) => panic!("{name} is not built: run `cargo build --bins` first"),
    }
}

fn newest_source(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let t = if p.is_dir() {
            if p.ends_with("target") || p.ends_with("tests") || p.ends_with("benches") {
                continue;
            }
            newest_source(&p)
        } else if p
            .extension()
            .is_some_and(|e| e == "rs" || e == "sql" || e == "toml" || e == "pem")
        {
            entry.metadata().and_then(|m| m.modified()).ok()
        } else {
            None
        };
        newest = newest.max(t);
    }
    newest
}

/// The result of one CLI run.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Runs the program at `exe` with `args`, optional stdin and extra environment. The ABHA_*
/// variables of the calling environment are removed so tests are hermetic.
pub fn run(exe: &std::path::Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_remove("ABHA_FIELD_HOME")
        .env_remove("ABHA_FIELD_STORE_KEY")
        .env_remove("ABHA_HUB_DATA")
        .env_remove("ABHA_HUB_STORE_KEY")
        .env_remove("ABHA_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the program starts");
    if let Some(mut si) = child.stdin.take() {
        if let Some(input) = stdin {
            si.write_all(input.as_bytes()).expect("stdin written");
        }
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("the program finishes");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
