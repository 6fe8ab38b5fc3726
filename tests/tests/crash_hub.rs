//! Crash safety of the hub: while field devices capture households and sync with it, the hub
//! process is SIGKILLed at random moments (during start-up, between requests, in the middle of
//! storing a push) and restarted on the same data directory and port, again and again
//! (`CRASH_HUB_KILLS`, default 100; `CRASH_HUB_DEVICES`, default 2; `CRASH_HUB_SEED`).
//!
//! After every kill a copy of the hub's store opens and passes SQLite's integrity check, holds
//! every household a device's completed sync had handed in (a sync acknowledged by the hub is
//! durable), and each device's change sets follow each other without a gap or a repeat. At the
//! end, after a clean sync, the hub holds exactly each device's change sets, once each, and
//! exactly the households and members captured.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abha_core::ids::ReplicaId;
use abha_e2e::device::{Device, VILLAGE};
use abha_e2e::hub::HubSpec;
use abha_e2e::{Lcg, check, env_or};

/// What a device thread has done.
#[derive(Debug, Default)]
struct Progress {
    /// Households captured (acknowledged by the device's own store).
    captured: Vec<String>,
    /// How many of them a sync that completed with nothing pending handed to the hub.
    handed_in: usize,
    /// Syncs that completed, and that failed (the hub died under them).
    synced: u32,
    failed: u32,
    /// A sync is running now.
    syncing: bool,
}

/// Captures a few households and syncs in small batches, over and over, until `stop`.
fn work(device: &Device, progress: &Mutex<Progress>, stop: &AtomicBool, seed: u64) {
    let mut rng = Lcg(seed);
    let mut round = 0u64;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let ids = device.capture(1 + rng.below(4) as u32, seed * 100_000 + round);
        progress.lock().unwrap().captured.extend(ids);
        let batch = (10 + rng.below(60)).to_string();
        progress.lock().unwrap().syncing = true;
        let done = device.sync(&["--max-ops", &batch]);
        let mut p = progress.lock().unwrap();
        p.syncing = false;
        match done {
            Some(v) if v["pending"]["changes"] == 0 => {
                p.synced += 1;
                p.handed_in = p.captured.len();
            }
            Some(_) => p.synced += 1,
            None => p.failed += 1,
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn test_sigkill_of_the_hub_during_syncs_loses_nothing_acknowledged_and_duplicates_nothing() {
    let kills: u32 = env_or("CRASH_HUB_KILLS", 100);
    let devices_n: usize = env_or("CRASH_HUB_DEVICES", 2);
    let seed: u64 = env_or("CRASH_HUB_SEED", 0x4b1d);
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let scratch = dir.path().join("hub-copy");
    // The same port after every restart, as a camp hub keeps its address: a device's retry
    // reaches the restarted hub.
    let spec = HubSpec::loopback(&data, free_port());
    let mut hub = spec.start();
    let devices: Vec<Device> = (0..devices_n)
        .map(|i| {
            let d = Device::new(&dir.path().join(format!("tablet{i}")));
            d.setup(&spec.code(VILLAGE), &hub.url, None);
            d
        })
        .collect();
    let replicas: Vec<ReplicaId> = devices
        .iter()
        .map(|d| check::device_store(&d.home).replica_id())
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let progress: Vec<Arc<Mutex<Progress>>> = devices.iter().map(|_| Arc::default()).collect();
    let workers: Vec<_> = devices
        .iter()
        .zip(&progress)
        .enumerate()
        .map(|(i, (d, p))| {
            let (d, p, stop) = (d.clone(), p.clone(), stop.clone());
            std::thread::spawn(move || work(&d, &p, &stop, seed + 1 + i as u64))
        })
        .collect();

    let started = Instant::now();
    let (mut at_startup, mut during_sync, mut checked_sets) = (0u32, 0u32, 0usize);
    for k in 0..kills {
        if k > 0 {
            hub = spec.spawn();
            if rng.below(8) == 0 {
                // Killed while starting (opening the store, recovering the WAL, migrating).
                at_startup += 1;
                std::thread::sleep(Duration::from_millis(rng.below(150)));
            } else {
                assert!(
                    hub.wait_serving(Duration::from_secs(30)),
                    "the hub did not come back after kill {k}"
                );
                std::thread::sleep(Duration::from_millis(rng.below(600)));
            }
        } else {
            std::thread::sleep(Duration::from_millis(rng.below(600)));
        }
        if progress.iter().any(|p| p.lock().unwrap().syncing) {
            during_sync += 1;
        }
        assert!(hub.kill(), "the hub exited by itself before kill {}", k + 1);

        // Read what the devices know only now: every sync they saw complete was answered by a
        // hub that is dead now, so its effect must be on disk.
        let handed_in: Vec<Vec<String>> = progress
            .iter()
            .map(|p| {
                let p = p.lock().unwrap();
                p.captured[..p.handed_in].to_vec()
            })
            .collect();
        let store = check::hub_store_copy(&data, &scratch);
        let at_hub: HashSet<String> = store
            .list_households(None, u32::MAX, 0)
            .unwrap()
            .into_iter()
            .map(|h| h.id.to_string())
            .collect();
        for (i, ids) in handed_in.iter().enumerate() {
            for id in ids {
                assert!(
                    at_hub.contains(id),
                    "kill {}: household {id} of device {i}, acknowledged by the hub, is lost",
                    k + 1
                );
            }
        }
        for r in &replicas {
            let sets = store.changes_from(*r, 0, u32::MAX).unwrap();
            check::assert_contiguous(&sets);
            checked_sets = checked_sets.max(sets.len());
        }
        drop(store);
    }
    let elapsed = started.elapsed();

    // A clean hub; the devices finish their round and stop; each syncs until nothing is pending.
    let mut hub = spec.start();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    for d in &devices {
        d.sync_until_clean(&[], 5);
    }
    hub.kill();
    let summary: Vec<String> = progress
        .iter()
        .map(|p| {
            let p = p.lock().unwrap();
            format!(
                "{} households, {} syncs completed, {} failed",
                p.captured.len(),
                p.synced,
                p.failed
            )
        })
        .collect();
    eprintln!(
        "{kills} hub kills ({at_startup} during start-up, {during_sync} during a device's sync) in {:.1} s ({:.0} ms each); devices: {}; \
         up to {checked_sets} change sets of a device checked after each kill",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / f64::from(kills.max(1)),
        summary.join("; ")
    );

    assert!(
        during_sync >= kills / 2,
        "only {during_sync} of {kills} kills hit a sync: the devices were idle"
    );
    let hub_store = check::hub_store(&data);
    assert!(hub_store.integrity_check().unwrap().is_empty());
    let (mut households, mut members) = (0, 0);
    for (d, p) in devices.iter().zip(&progress) {
        let captured = p.lock().unwrap().captured.clone();
        assert!(!captured.is_empty(), "a device captured nothing");
        let device_store = check::device_store(&d.home);
        members += check::assert_device_on_hub(&hub_store, &device_store, &captured);
        households += captured.len();
    }
    assert_eq!(
        hub_store.list_households(None, u32::MAX, 0).unwrap().len(),
        households,
        "each household once at the hub"
    );
    assert_eq!(
        check::member_count(&hub_store),
        members,
        "each member once at the hub"
    );
}
