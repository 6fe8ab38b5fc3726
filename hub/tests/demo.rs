//! The README's first command: the hub seeds a demo camp into its encrypted store.
#![allow(clippy::unwrap_used)]

fn hub(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let data = data.to_string_lossy();
    let mut all = vec!["--data", data.as_ref()];
    all.extend_from_slice(args);
    let r = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &all, None, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    r.json()
}

#[test]
fn test_demo_camp_is_seeded_once_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = hub(dir.path(), &["demo", "--households", "60"]);
    assert_eq!(first["villages"], 5);
    assert_eq!(first["households"], 60);
    let members = first["members"].as_u64().unwrap();
    assert!(members >= 60, "{first}");
    // Running it again does not duplicate anything.
    let again = hub(dir.path(), &["demo", "--households", "60"]);
    assert_eq!(again["households"], 60);
    assert_eq!(again["members"].as_u64().unwrap(), members);
    let status = hub(dir.path(), &["status"]);
    assert_eq!(status["households"], 60);
    // The store is encrypted: demo names are not in the file.
    let bytes = std::fs::read(dir.path().join("hub.db")).unwrap();
    for name in ["Shazia", "Rukhsana", "Mohalla"] {
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()));
    }
}
