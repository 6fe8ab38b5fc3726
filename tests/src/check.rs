//! After the programs stopped: their stores opened with the keys they keep on disk, checked for
//! soundness, and a device's work compared with what the hub holds.

use std::path::{Path, PathBuf};

use abha_core::store::{HouseholdDetail, Store, StoreKey};

/// Opens the store `db` of a device home or hub data directory `dir` (key in `keys/store.key`).
pub fn open_store(dir: &Path, db: &str) -> Store {
    let key = std::fs::read_to_string(dir.join("keys/store.key")).expect("the store key");
    let key = StoreKey::from_hex(key.trim()).expect("a hex store key");
    Store::open(dir.join(db), &key).unwrap_or_else(|e| panic!("{}/{db}: {e}", dir.display()))
}

/// A hub's store (`DATA/hub.db`).
pub fn hub_store(data: &Path) -> Store {
    open_store(data, "hub.db")
}

/// A device's store (`HOME/field.db`).
pub fn device_store(home: &Path) -> Store {
    open_store(home, "field.db")
}

/// Opens a copy of the hub's store files (database, WAL, key check) in `scratch` and runs the
/// full integrity check there, leaving the original for the hub's own recovery. Returns the
/// copy's store (for further checks) after asserting it is sound.
pub fn hub_store_copy(data: &Path, scratch: &Path) -> Store {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch.join("keys")).expect("scratch dir");
    std::fs::copy(data.join("keys/store.key"), scratch.join("keys/store.key")).expect("key");
    for entry in std::fs::read_dir(data).expect("hub data").flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("hub.db") && !name.ends_with("-shm") {
            let to: PathBuf = scratch.join(&*name);
            std::fs::copy(entry.path(), to).expect("copy the store");
        }
    }
    let store = hub_store(scratch);
    let problems = store.integrity_check().expect("integrity check runs");
    assert!(problems.is_empty(), "hub store damaged: {problems:?}");
    store
}

/// A household without the device-local sealed-Aadhaar flag (the sealed number reaches the hub
/// by its own path), for comparing device and hub.
pub fn unsealed(mut d: HouseholdDetail) -> HouseholdDetail {
    for m in &mut d.members {
        m.aadhaar_sealed = false;
    }
    d
}

/// Asserts that the device store is sound, holds every `acknowledged` household, and that the hub
/// holds exactly the device's own change sets, once each, and the same households. Returns the
/// number of members in the acknowledged households.
pub fn assert_device_on_hub(hub: &Store, device: &Store, acknowledged: &[String]) -> usize {
    assert!(
        device
            .integrity_check()
            .expect("integrity check")
            .is_empty(),
        "device store damaged"
    );
    let mut members = 0;
    for id in acknowledged {
        let hid = id.parse().expect("a household id");
        let on_device = device
            .household(hid)
            .unwrap_or_else(|e| panic!("acknowledged household {id} lost on the device: {e}"));
        let on_hub = hub
            .household(hid)
            .unwrap_or_else(|e| panic!("acknowledged household {id} missing at the hub: {e}"));
        members += on_device.members.len();
        assert_eq!(unsealed(on_hub), unsealed(on_device), "household {id}");
    }
    let own = device
        .changes_from(device.replica_id(), 0, u32::MAX)
        .expect("device change sets");
    let at_hub = hub
        .changes_from(device.replica_id(), 0, u32::MAX)
        .expect("hub change sets");
    assert_eq!(
        own.len(),
        at_hub.len(),
        "the hub holds as many of the device's change sets as the device made"
    );
    assert!(
        own == at_hub,
        "the hub holds exactly the device's change sets, once each"
    );
    members
}

/// Members in all households of `store`.
pub fn member_count(store: &Store) -> usize {
    store
        .list_households(None, u32::MAX, 0)
        .expect("households")
        .iter()
        .map(|h| h.member_count as usize)
        .sum()
}

/// Asserts that `sets`, one origin's change sets in order, follow each other without a gap or a
/// repeat (a hub stores a device's pushes contiguously, each once).
pub fn assert_contiguous(sets: &[abha_core::oplog::ChangeSet]) {
    for pair in sets.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(
            a.first_seq + (a.ops.len() + a.withheld.len()) as u64,
            b.first_seq,
            "change sets of {} not contiguous: a gap or a repeat after seq {}",
            a.origin,
            a.first_seq
        );
    }
}
