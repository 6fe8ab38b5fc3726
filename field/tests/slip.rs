//! `abha-field scan-slip` end to end: the real binary on real encrypted stores, enrolled at a
//! real hub served on 127.0.0.1 in this process (plain HTTP on loopback).
//!
//! Why this file exists: the slip key must survive the whole path a device takes (enrolment
//! reply → encrypted settings → offline verification), and the CLI's answers are what support
//! staff and scripts read. Device A captures a household and syncs; the hub signs its slip;
//! device B, enrolled at the same hub, says "not known yet" until it syncs and then opens the
//! household; a forged slip, an unenrolled device and a typo each get their code.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::{HouseholdCode, LgdCodes, VillageDraft};
use abha_core::qr::{SlipSigningKey, sign_slip};
use abha_e2e::Run;
use abha_hub::registry::Role;
use abha_hub::storage::HubStorage;
use abha_hub::{Hub, HubConfig, TlsMode};
use serde_json::Value;

const VILLAGE: u32 = 3456;

struct RunningHub {
    url: String,
    slip_key: SlipSigningKey,
    storage: Arc<dyn HubStorage>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Serves the hub; dropped last, after the stop signal.
    _rt: tokio::runtime::Runtime,
}

impl RunningHub {
    fn start(dir: &std::path::Path) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = Hub::open(HubConfig {
            data_dir: dir.to_path_buf(),
            tls: TlsMode::Off,
            demo_keys: true,
            ..HubConfig::default()
        })
        .unwrap();
        let village = VillageDraft {
            lgd: LgdCodes {
                state: 1,
                district: 2,
                subdistrict: 12,
                village: VILLAGE,
            },
            name: "Khag".into(),
        };
        let store = hub.sqlite().unwrap();
        store.put_village(&village.validate().unwrap()).unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (slip_key, storage) = (hub.keys.slip.clone(), hub.storage.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        rt.spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            hub.serve(listener, stop).await.unwrap();
        });
        Self {
            url,
            slip_key,
            storage,
            stop: Some(tx),
            _rt: rt,
        }
    }

    fn code(&self) -> String {
        let villages = [VillageId::from_lgd(VILLAGE)];
        let code = self
            .storage
            .create_code_for(Role::Worker, &villages, None, 3_600_000, None);
        code.unwrap().0
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn new() -> Self {
        let d = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        d.ok(&["init"]);
        let village = VILLAGE.to_string();
        let args = [
            "village",
            "add",
            "--state",
            "1",
            "--district",
            "2",
            "--subdistrict",
            "12",
            "--village",
            &village,
            "--name",
            "Khag",
        ];
        d.ok(&args);
        d
    }

    fn run(&self, args: &[&str]) -> Run {
        let home = self.dir.path().join("home").to_string_lossy().into_owned();
        let mut all = vec!["--home", home.as_str(), "--json"];
        all.extend_from_slice(args);
        abha_e2e::run(env!("CARGO_BIN_EXE_abha-field").as_ref(), &all, None, &[])
    }

    fn ok(&self, args: &[&str]) -> Value {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        r.json()
    }

    fn enrol(&self, hub: &RunningHub) -> Value {
        self.ok(&["enroll-device", &hub.code(), "--hub", &hub.url])
    }
}

#[test]
fn test_scan_slip_before_and_after_sync() {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(hub_dir.path());
    let (a, b) = (Device::new(), Device::new());
    let enrolled = a.enrol(&hub);
    let key_id = hub.slip_key.public().key_id().to_string();
    assert_eq!(enrolled["slip_key_id"], key_id.as_str());
    b.enrol(&hub);
    let added = a.ok(&[
        "household",
        "add",
        "--village",
        "3456",
        "--address",
        "Ward 4",
    ]);
    let id: HouseholdId = added["household_id"].as_str().unwrap().parse().unwrap();
    let code = added["code"].as_str().unwrap().to_owned();
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    // A captures a second household and syncs; the hub signs its slip; B has not synced since.
    let later = a.ok(&[
        "household",
        "add",
        "--village",
        "3456",
        "--address",
        "Ward 5",
    ]);
    let later_id: HouseholdId = later["household_id"].as_str().unwrap().parse().unwrap();
    a.ok(&["sync"]);
    let slip = sign_slip(later_id, &HouseholdCode::from_id(&later_id), &hub.slip_key);
    let scan = b.ok(&["scan-slip", &slip]);
    assert_eq!(scan["status"], "not_known_yet", "{scan}");
    assert_eq!(scan["verified"], true);
    assert_eq!(scan["household_id"], later_id.to_string());
    assert_eq!(scan["key_id"], key_id.as_str());
    assert!(scan["members"].is_null());
    b.ok(&["sync"]);
    let scan = b.ok(&["scan-slip", &slip]);
    assert_eq!(scan["status"], "known", "{scan}");
    assert_eq!(scan["household"]["id"], later_id.to_string());
    assert_eq!(scan["households"].as_array().unwrap().len(), 1);

    // The first household, by the slip and by the code printed under it.
    let first = sign_slip(id, &HouseholdCode::from_id(&id), &hub.slip_key);
    assert_eq!(
        b.ok(&["scan-slip", &first])["household"]["id"],
        id.to_string()
    );
    let typed = b.ok(&["scan-slip", &code.to_lowercase()]);
    assert_eq!(
        (typed["status"].as_str(), typed["verified"].as_bool()),
        (Some("known"), Some(false))
    );

    // Refusals: another hub's slip, an altered one, a typo, and a device never enrolled.
    let forged = sign_slip(
        id,
        &HouseholdCode::from_id(&id),
        &SlipSigningKey::from_seed([7; 32]),
    );
    let refused = |d: &Device, input: &str, code: &str| {
        let r = d.run(&["scan-slip", input]);
        assert_eq!(r.code, 3, "{r:?}");
        let err = &r.json()["error"];
        assert_eq!(err["code"], code, "{r:?}");
        assert!(!r.stdout.contains(input), "the scan is not repeated: {r:?}");
    };
    refused(&b, &forged, "slip.unknown_key");
    let at = first.len() - 10;
    let swap = if &first[at..=at] == "A" { "B" } else { "A" };
    refused(
        &b,
        &format!("{}{swap}{}", &first[..at], &first[at + 1..]),
        "slip.bad_signature",
    );
    refused(&b, "ABHF9:whatever", "slip.version");
    let typo = b.run(&["scan-slip", "K3M9-QXD"]);
    assert_eq!(typo.code, 3, "{typo:?}");
    assert_eq!(
        typo.json()["error"]["errors"][0]["code"],
        "household_code.format"
    );
    let stranger = Device::new();
    refused(&stranger, &first, "slip.no_keys");
}
