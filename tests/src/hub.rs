//! A hub process (`abha-hub serve`) on a data directory: started, optionally inside a network
//! namespace, killed with SIGKILL, restarted on the same data; and the hub's other commands.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::{bin, command_in, hermetic, json_tail, run_command};

/// How a hub is served.
#[derive(Debug, Clone)]
pub struct HubSpec {
    /// The data directory (store, keys, certificate).
    pub data: PathBuf,
    /// `--listen` address, e.g. `127.0.0.1:0`.
    pub listen: String,
    /// TLS with the hub's self-signed certificate (tablets pin it); otherwise plain HTTP, which
    /// the hub allows on loopback only.
    pub tls: bool,
    /// Network namespace to run in (`ip netns exec`), if any.
    pub netns: Option<String>,
    /// `--database` (e.g. `postgres://...`); `None`: the hub's embedded SQLite.
    pub database: Option<String>,
}

impl HubSpec {
    /// Plain HTTP on `127.0.0.1:port` (0: any free port), in this namespace.
    pub fn loopback(data: &Path, port: u16) -> Self {
        Self {
            data: data.to_path_buf(),
            listen: format!("127.0.0.1:{port}"),
            tls: false,
            netns: None,
            database: None,
        }
    }

    /// The hub program with `args` after `--data DIR --demo-keys`, in the namespace if any.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command_in(self.netns.as_deref(), &bin("abha-hub"));
        cmd.arg("--data").arg(&self.data).arg("--demo-keys");
        if let Some(db) = &self.database {
            cmd.arg("--database").arg(db);
        }
        cmd.args(args);
        hermetic(&mut cmd);
        cmd
    }

    /// Starts `serve` without waiting for it to listen.
    pub fn spawn(&self) -> HubProcess {
        let mut args = vec!["serve", "--listen", self.listen.as_str()];
        if !self.tls {
            args.push("--plain-http");
        }
        let mut child = self
            .command(&args)
            .env("ABHA_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("abha-hub starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut pin = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(hex) = line.strip_prefix("certificate fingerprint (SHA-256): ") {
                    pin = Some(hex.trim().to_owned());
                }
                if let Some(rest) = line.strip_prefix("serving ") {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send((url, pin.clone()));
                }
            }
        });
        HubProcess {
            child,
            serving: rx,
            url: String::new(),
            pin: None,
        }
    }

    /// Starts `serve` and waits until it listens.
    pub fn start(&self) -> HubProcess {
        let mut hub = self.spawn();
        assert!(
            hub.wait_serving(Duration::from_secs(60)),
            "abha-hub did not start serving on {}",
            self.listen
        );
        hub
    }

    /// A one-time worker enrolment code for `village`.
    pub fn code(&self, village: u32) -> String {
        let r = run_command(
            self.command(&["code", "--village", &village.to_string()]),
            None,
        );
        assert_eq!(r.code, 0, "abha-hub code: {r:?}");
        json_tail(&r.stdout)["code"]
            .as_str()
            .expect("a code")
            .to_owned()
    }
}

/// A running `abha-hub serve`; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct HubProcess {
    child: Child,
    serving: mpsc::Receiver<(String, Option<String>)>,
    /// The URL it serves (once [`HubProcess::wait_serving`] returned true).
    pub url: String,
    /// The certificate fingerprint tablets pin (TLS only).
    pub pin: Option<String>,
}

impl HubProcess {
    /// Waits up to `timeout` for the hub to print that it serves; false if it did not (it exited
    /// or is still starting).
    pub fn wait_serving(&mut self, timeout: Duration) -> bool {
        match self.serving.recv_timeout(timeout) {
            Ok((url, pin)) => {
                self.url = url;
                self.pin = pin;
                true
            }
            Err(_) => false,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILLs the hub and reaps it. Returns false if it had already exited by itself.
    pub fn kill(&mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        let _ = self.child.kill();
        let _ = self.child.wait();
        running
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
