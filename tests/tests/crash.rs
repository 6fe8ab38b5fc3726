//! Crash safety: a field device capturing households and syncing with a real hub process is
//! SIGKILLed at random moments, again and again (100 times by default; `CRASH_KILLS` to change,
//! `CRASH_SEED` to vary). After a final sync, every household the device acknowledged (printed
//! after its commit returned) is on the device and on the hub, the hub holds each change set once,
//! and the device store is sound.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::time::{Duration, Instant};

use abha_e2e::device::{Device, acknowledged, capture_args};
use abha_e2e::hub::HubSpec;
use abha_e2e::{Lcg, check, env_or};

#[test]
fn test_sigkill_during_capture_and_sync_loses_nothing_acknowledged_and_duplicates_nothing() {
    let kills: u32 = env_or("CRASH_KILLS", 100);
    let mut rng = Lcg(env_or("CRASH_SEED", 0x5eed));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let spec = HubSpec::loopback(&data, 0);
    let hub = spec.start();
    let device = Device::new(&dir.path().join("tablet"));
    device.setup(&spec.code(900_101), &hub.url, None);

    let mut acked: Vec<String> = Vec::new();
    let (mut killed, mut finished) = (0u32, 0u32);
    let started = Instant::now();
    let mut i = 0u32;
    while killed < kills {
        i += 1;
        assert!(
            i < kills * 4,
            "could not kill often enough: {killed} kills in {i} runs"
        );
        let count = 5 + rng.below(25) as u32;
        let capture = capture_args(count, u64::from(i) + 1);
        let mut cmd = if rng.below(2) == 0 {
            device.command(&capture.each_ref().map(String::as_str))
        } else {
            device.command(&["sync", "--max-ops", "20"])
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
        acked.extend(acknowledged(&out));
    }
    eprintln!(
        "{killed} kills, {finished} runs finished, {} households acknowledged, {:?}",
        acked.len(),
        started.elapsed()
    );

    // Recover: sync until the device has nothing pending.
    device.sync_until_clean(&[], 5);
    let device_ids = device.household_ids();
    for id in &acked {
        assert!(
            device_ids.contains(id),
            "acknowledged household {id} lost on the device"
        );
    }
    drop(hub);

    // The hub's store: every acknowledged household, each change set exactly once.
    let hub_store = check::hub_store(&data);
    let device_store = check::device_store(&device.home);
    check::assert_device_on_hub(&hub_store, &device_store, &acked);
    assert_eq!(
        hub_store.list_households(None, u32::MAX, 0).unwrap().len(),
        device_ids.len(),
        "same households on hub and device, none twice"
    );
}
