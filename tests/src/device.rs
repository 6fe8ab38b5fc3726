//! A field device: an `abha-field` home driven command by command, optionally inside a network
//! namespace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Run, bin, command_in, hermetic, run_command};

/// A field device's home.
#[derive(Debug, Clone)]
pub struct Device {
    /// The home directory.
    pub home: PathBuf,
    /// Network namespace its commands run in (`ip netns exec`), if any.
    pub netns: Option<String>,
}

/// The village every suite's devices work in.
pub const VILLAGE: u32 = 900_101;

impl Device {
    /// A device whose home is `home` (created by [`Device::setup`]).
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
            netns: None,
        }
    }

    /// The same device with its commands run in network namespace `ns`.
    pub fn in_netns(mut self, ns: &str) -> Self {
        self.netns = Some(ns.to_owned());
        self
    }

    /// `abha-field --home HOME --json ARGS`, logging off, stdout piped, stderr discarded.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command_in(self.netns.as_deref(), &bin("abha-field"));
        cmd.arg("--home")
            .arg(&self.home)
            .arg("--json")
            .args(args)
            .env("ABHA_LOG", "off");
        hermetic(&mut cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    }

    /// Runs a command to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args), None)
    }

    /// Runs a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "abha-field {args:?}: {r:?}");
        r
    }

    /// `init`, the village [`VILLAGE`] and enrolment with `code` at `hub` (pinning `pin`).
    pub fn setup(&self, code: &str, hub: &str, pin: Option<&str>) {
        self.ok(&["init"]);
        let village = village_add_args(VILLAGE);
        self.ok(&village.iter().map(String::as_str).collect::<Vec<_>>());
        let mut enrol = vec!["enroll-device", code, "--hub", hub];
        if let Some(pin) = pin {
            enrol.extend(["--pin", pin]);
        }
        self.ok(&enrol);
    }

    /// `demo-capture` of `count` households: the ids it acknowledged (all of them).
    pub fn capture(&self, count: u32, seed: u64) -> Vec<String> {
        let r = self.ok(&capture_args(count, seed).each_ref().map(String::as_str));
        let ids = acknowledged(&r.stdout);
        assert_eq!(ids.len(), count as usize, "{r:?}");
        ids
    }

    /// `sync` with `extra` arguments; the JSON result if it succeeded.
    pub fn sync(&self, extra: &[&str]) -> Option<serde_json::Value> {
        let mut args = vec!["sync"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        (r.code == 0).then(|| r.json())
    }

    /// Syncs (up to `tries` sessions) until nothing is pending; panics if work stays pending.
    pub fn sync_until_clean(&self, extra: &[&str], tries: u32) -> serde_json::Value {
        for _ in 0..tries {
            if let Some(v) = self.sync(extra) {
                if v["pending"]["changes"] == 0 {
                    return v;
                }
            }
        }
        panic!(
            "{} still has work pending after {tries} syncs: {:?}",
            self.home.display(),
            self.ok(&["status"]).stdout
        );
    }

    /// Ids of the households on the device.
    pub fn household_ids(&self) -> Vec<String> {
        self.ok(&["household", "list", "--limit", "1000000"]).json()["households"]
            .as_array()
            .expect("a household list")
            .iter()
            .map(|h| h["id"].as_str().expect("an id").to_owned())
            .collect()
    }
}

/// The arguments of `village add` for the LGD village code `village` (state 1, district 2,
/// sub-district 11, named Khag).
pub fn village_add_args(village: u32) -> Vec<String> {
    let mut args: Vec<String> = [
        "village",
        "add",
        "--state",
        "1",
        "--district",
        "2",
        "--subdistrict",
        "11",
        "--name",
        "Khag",
        "--village",
    ]
    .map(String::from)
    .into();
    args.push(village.to_string());
    args
}

/// The arguments of a `demo-capture` of `count` households in [`VILLAGE`] with `seed`.
pub fn capture_args(count: u32, seed: u64) -> [String; 7] {
    [
        "demo-capture".into(),
        "--village".into(),
        VILLAGE.to_string(),
        "--count".into(),
        count.to_string(),
        "--seed".into(),
        seed.to_string(),
    ]
}

/// The household ids a `demo-capture` printed, each after its commit returned.
pub fn acknowledged(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["household_id"].as_str().map(str::to_owned))
        .collect()
}

/// A command started in the background; SIGKILLed and reaped if still running when dropped
/// (a failing test leaves no process behind).
#[derive(Debug)]
pub struct Background(pub std::process::Child);

impl Background {
    /// Starts `cmd`.
    pub fn spawn(mut cmd: Command) -> Self {
        Self(cmd.spawn().expect("the program starts"))
    }

    /// Exit code if it has ended (-1 for a signal).
    pub fn try_code(&mut self) -> Option<i32> {
        self.0
            .try_wait()
            .ok()
            .flatten()
            .map(|s| s.code().unwrap_or(-1))
    }

    /// Waits for the end: exit code (-1 for a signal) and standard output.
    pub fn finish(mut self) -> (i32, String) {
        use std::io::Read as _;
        let mut out = String::new();
        if let Some(mut so) = self.0.stdout.take() {
            let _ = so.read_to_string(&mut out);
        }
        let code = self.0.wait().map(|s| s.code().unwrap_or(-1)).unwrap_or(-1);
        (code, out)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}
