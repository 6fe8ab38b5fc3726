//! Support for the end-to-end suites: finding and running the workspace's binaries.
//!
//! The suites drive the real programs (`abha-field` and `abha-hub`) as separate processes on real
//! files, the way support staff and the CI use them: [`hub`] runs a hub process, [`device`] a
//! field device's home, [`check`] opens their stores afterwards and compares them, [`link`]
//! emulates a 2G link between two network namespaces, [`proxy`] injects HTTP faults on
//! loopback and [`load`] hands many tablets' days in to one hub at once.

use std::io::Write as _;
pub mod check;
pub mod device;
pub mod hub;
pub mod link;
pub mod load;
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
    // Each binary is compared with the sources it is built from: core and its own crate, and
    // for the hub the ABDM simulator it links (for `serve --demo`); the field CLI does not.
    let mut sources = vec![root.join("core"), root.join(crate_dir)];
    if name == "abha-hub" {
        sources.push(root.join("sim"));
    }
    let newest = sources.iter().filter_map(|d| newest_source(d)).max();
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
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, stdin)
}

/// A command for the program at `exe`, run inside network namespace `netns` (`ip netns exec`)
/// if given.
pub fn command_in(netns: Option<&str>, exe: &std::path::Path) -> Command {
    match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(exe);
            c
        }
        None => Command::new(exe),
    }
}

/// Removes the ABHA_* variables of the calling environment from `cmd`, so tests are hermetic
/// (variables set on `cmd` itself are kept).
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    for k in [
        "ABHA_FIELD_HOME",
        "ABHA_FIELD_STORE_KEY",
        "ABHA_HUB_DATA",
        "ABHA_HUB_STORE_KEY",
        "ABHA_LOG",
    ] {
        if cmd.get_envs().all(|(name, _)| name != k) {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Runs `cmd` (made hermetic) to the end with optional stdin, capturing its output.
pub fn run_command(mut cmd: Command, stdin: Option<&str>) -> Run {
    hermetic(&mut cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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

/// A tiny deterministic generator (an LCG) for test timings, sizes and packet loss: the same seed
/// gives the same run.
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    /// True with probability `p` (0.0 to 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        (self.below(1 << 30) as f64) < p * f64::from(1u32 << 30)
    }
}

/// An environment variable parsed as `T`, or `default` when unset or unparsable.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The JSON document at the end of `text` (commands that print a QR code or a banner first).
pub fn json_tail(text: &str) -> serde_json::Value {
    let start = text.find("\n{").map(|i| i + 1).unwrap_or(0);
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{e}: {text}"))
}
