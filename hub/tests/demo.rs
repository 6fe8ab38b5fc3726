//! The demo camp: seeded once from three simulated tablets through the real sync protocol, one
//! tablet still holding unsynced work; the hub's store is encrypted.
#![allow(clippy::unwrap_used)]

fn hub(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let data = data.to_string_lossy();
    let mut all = vec!["--data", data.as_ref(), "--demo-keys"];
    all.extend_from_slice(args);
    let r = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &all, None, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let start = r.stdout.find(['{', '[']).unwrap();
    serde_json::from_str(&r.stdout[start..]).unwrap()
}

#[test]
fn test_demo_camp_is_seeded_once_from_tablets_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = hub(dir.path(), &["demo", "--households", "60"]);
    assert_eq!(first["villages"], 5);
    assert_eq!(first["devices"], 3);
    // 20 households per tablet; the last tablet kept its last 4 unsynced.
    assert_eq!(first["households"], 56, "{first}");
    let members = first["members"].as_u64().unwrap();
    assert!(members >= 56, "{first}");
    let devices = hub(dir.path(), &["devices"]);
    let pending: Vec<u64> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["pending"]["changes"].as_u64().unwrap())
        .collect();
    assert_eq!(
        pending.iter().filter(|p| **p > 0).count(),
        1,
        "one tablet holds unsynced work: {devices}"
    );
    // Running it again does not duplicate anything.
    let again = hub(dir.path(), &["demo", "--households", "60"]);
    assert_eq!(again["households"], 56);
    assert_eq!(again["members"].as_u64().unwrap(), members);
    let status = hub(dir.path(), &["status"]);
    assert_eq!(status["households"], 56);
    // The store is encrypted: demo names are not in the file.
    let bytes = std::fs::read(dir.path().join("hub.db")).unwrap();
    for name in ["Shazia", "Rukhsana", "Mohalla"] {
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()));
    }
}
