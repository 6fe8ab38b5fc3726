//! Crash safety: a field device capturing households and syncing with a real hub process is
//! SIGKILLed at random moments, again and again (60 times by default; `CRASH_KILLS` to change,
//! `CRASH_SEED` to vary). After a final sync, every household the device acknowledged (printed
//! after its commit returned) is on the device and on the hub, the hub holds each change set once,
//! and the device store is sound.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use abha_core::store::{Store, StoreKey};
use abha_e2e::{bin, run};

struct HubProcess {
    child: Child,
    url: String,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hub(data: &Path) -> HubProcess {
    let mut child = Command::new(bin("abha-hub"))
        .args([
            "--data",
            &data.to_string_lossy(),
            "--demo-keys",
            "serve",
            "--plain-http",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("ABHA_HUB_STORE_KEY")
        .env("ABHA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("serving ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("hub started");
    HubProcess { child, url }
}

fn json_tail(text: &str) -> serde_json::Value {
    let start = text.find("\n{").map(|i| i + 1).unwrap_or(0);
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A tiny deterministic generator for kill timings.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn field_cmd(home: &str, args: &[&str]) -> Command {
    let mut c = Command::new(bin("abha-field"));
    c.args(["--home", home, "--json"])
        .args(args)
        .env_remove("ABHA_FIELD_STORE_KEY")
        .env("ABHA_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    c
}

#[test]
fn test_sigkill_during_capture_and_sync_loses_nothing_acknowledged_and_duplicates_nothing() {
    let kills: u32 = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut rng = Lcg(std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let hub = start_hub(&data);
    let code_out = run(
        &bin("abha-hub"),
        &[
            "--data",
            &data.to_string_lossy(),
            "code",
            "--village",
            "900101",
        ],
        None,
        &[],
    );
    assert_eq!(code_out.code, 0, "{code_out:?}");
    let code = json_tail(&code_out.stdout)["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = dir.path().join("tablet").to_string_lossy().into_owned();
    let field = bin("abha-field");
    let ok = |args: &[&str]| {
        let mut all = vec!["--home", home.as_str(), "--json"];
        all.extend_from_slice(args);
        let r = run(&field, &all, None, &[]);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        r
    };
    ok(&["init"]);
    ok(&[
        "village",
        "add",
        "--state",
        "1",
        "--district",
        "2",
        "--subdistrict",
        "11",
        "--village",
        "900101",
        "--name",
        "Khag",
    ]);
    ok(&["enroll-device", &code, "--hub", &hub.url]);

    let mut acknowledged: Vec<String> = Vec::new();
    let (mut killed, mut finished) = (0u32, 0u32);
    let started = Instant::now();
    let mut i = 0u32;
    while killed < kills {
        i += 1;
        assert!(
            i < kills * 4,
            "could not kill often enough: {killed} kills in {i} runs"
        );
        let seed = (i + 1).to_string();
        let count = (5 + rng.below(25)).to_string();
        let mut cmd = if rng.below(2) == 0 {
            field_cmd(
                &home,
                &[
                    "demo-capture",
                    "--village",
                    "900101",
                    "--count",
                    &count,
                    "--seed",
                    &seed,
                ],
            )
        } else {
            field_cmd(&home, &["sync", "--max-ops", "20"])
        };
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(80)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        } else {
            finished += 1;
        }
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        for line in out.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(id) = v["household_id"].as_str() {
                    acknowledged.push(id.to_owned());
                }
            }
        }
    }
    eprintln!(
        "{killed} kills, {finished} runs finished, {} households acknowledged, {:?}",
        acknowledged.len(),
        started.elapsed()
    );

    // Recover: sync until the device has nothing pending.
    for _ in 0..5 {
        let r = run(&field, &["--home", &home, "--json", "sync"], None, &[]);
        if r.code == 0 && r.json()["pending"]["changes"] == 0 {
            break;
        }
    }
    let list = ok(&["household", "list", "--limit", "100000"]).json();
    let device_ids: Vec<String> = list["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &acknowledged {
        assert!(
            device_ids.contains(id),
            "acknowledged household {id} lost on the device"
        );
    }
    let status = ok(&["status"]).json();
    assert_eq!(status["pending"]["changes"], 0, "{status}");
    drop(hub);

    // The hub's store: every acknowledged household, each change set exactly once.
    let key = std::fs::read_to_string(data.join("keys/store.key")).unwrap();
    let hub_store = Store::open(data.join("hub.db"), &StoreKey::from_hex(&key).unwrap()).unwrap();
    let device_key = std::fs::read_to_string(Path::new(&home).join("keys/store.key")).unwrap();
    let device = Store::open(
        Path::new(&home).join("field.db"),
        &StoreKey::from_hex(&device_key).unwrap(),
    )
    .unwrap();
    assert!(device.integrity_check().unwrap().is_empty());
    let hub_households = hub_store.list_households(None, u32::MAX, 0).unwrap();
    assert_eq!(
        hub_households.len(),
        device_ids.len(),
        "same households on hub and device, none twice"
    );
    // The sealed Aadhaar stays on the device (it reaches the hub by its own path), so it is left
    // out of the comparison; everything else must be equal.
    let unsealed = |mut d: abha_core::store::HouseholdDetail| {
        for m in &mut d.members {
            m.aadhaar_sealed = false;
        }
        d
    };
    for id in &acknowledged {
        let id = id.parse().unwrap();
        assert_eq!(
            unsealed(hub_store.household(id).unwrap()),
            unsealed(device.household(id).unwrap())
        );
    }
    let own = device
        .changes_from(device.replica_id(), 0, u32::MAX)
        .unwrap();
    let at_hub = hub_store
        .changes_from(device.replica_id(), 0, u32::MAX)
        .unwrap();
    assert_eq!(
        own, at_hub,
        "the hub holds exactly the device's change sets, once each"
    );
}
