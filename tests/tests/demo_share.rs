//! `abha-hub serve --demo` (the README's first command) plays Scan and Share end to end: its
//! simulated ABDM gateway, told the hub's callback URL and trusting the hub's self-signed
//! certificate, "scans" a counter code the hub printed, calls the hub over HTTPS, and records
//! the hub's on-share reply with a queue token; a rescan by the same person gets the same token.
//! Real processes and real HTTP(S) on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use abha_core::sync::client::HttpTransport;
use abha_e2e::{bin, hermetic};
use serde_json::{Value, json};

/// Kills the hub when the test ends, passing or not.
struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn test_demo_hub_answers_a_simulated_scan_with_a_token() {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(bin("abha-hub"));
    cmd.arg("--data").arg(data.path());
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0"]);
    hermetic(&mut cmd).env("ABHA_LOG", "warn");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _hub = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut sim, mut counter) = (None, None);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("ABDM simulator (demo only) at ") {
                sim = Some(url.trim().to_owned());
            }
            if let Some(i) = line.find("\"url\":\"") {
                let rest = &line[i + 7..];
                counter = rest.split('"').next().map(str::to_owned);
            }
            if line.starts_with("serving ") {
                let _ = tx.send((sim.clone(), counter.clone()));
            }
        }
    });
    let (sim, counter) = rx
        .recv_timeout(Duration::from_secs(180))
        .expect("the demo hub serves");
    let sim = sim.expect("the demo names its simulator");
    let counter = counter.expect("the demo prints a counter code to scan");
    assert!(counter.contains("hip-id=IN0110000001") && counter.contains("counter-id=OPD1"));

    let gateway = HttpTransport::new(&sim, None, None, Duration::from_secs(30)).unwrap();
    let scan = json!({"url": counter, "abha_address": "demo.person@sbx"});
    let first: Value = gateway.json("/_sim/share/scan", &scan).await.unwrap();
    assert_eq!(
        first["status"], 202,
        "the hub accepted the callback: {first}"
    );
    let token = |id: &str| {
        let gateway = gateway.clone();
        let id = id.to_owned();
        async move {
            let start = Instant::now();
            loop {
                let all: Vec<Value> = gateway.get_json("/_sim/share/on-share").await.unwrap();
                if let Some(r) = all
                    .iter()
                    .find(|r| r["body"]["response"]["requestId"] == id.as_str())
                {
                    assert_eq!(r["valid"], true, "{r}");
                    assert_eq!(r["body"]["acknowledgement"]["status"], "SUCCESS");
                    return r["body"]["acknowledgement"]["profile"]["tokenNumber"].clone();
                }
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "no on-share reply"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let t1 = token(first["request_id"].as_str().unwrap()).await;
    assert_eq!(t1, "1");
    let again: Value = gateway.json("/_sim/share/scan", &scan).await.unwrap();
    assert_eq!(
        token(again["request_id"].as_str().unwrap()).await,
        t1,
        "a rescan within the validity keeps the token"
    );
}
