//! Across both programs: the Aadhaar numbers captured on a field device and the ones in the hub's
//! demo camp appear in no file either program writes, and in none of their output, even with
//! TRACE logging.
#![allow(clippy::unwrap_used)]

use abha_core::demo;
use abha_e2e::device::village_add_args;
use abha_e2e::{bin, run};

fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(std::fs::read(&p).unwrap());
        }
    }
    out
}

#[test]
fn test_aadhaar_digits_absent_from_device_and_hub_files_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("device");
    let data = dir.path().join("hub");
    let (home_s, data_s) = (home.to_string_lossy(), data.to_string_lossy());
    let field = bin("abha-field");
    let hub = bin("abha-hub");
    let trace = [("ABHA_LOG", "trace")];
    let mut outputs = Vec::new();
    let r = run(&field, &["--home", &home_s, "--json", "init"], None, &trace);
    assert_eq!(r.code, 0, "{r:?}");
    outputs.push(r);
    let village = village_add_args(900_101);
    let mut args = vec!["--home", home_s.as_ref(), "--json"];
    args.extend(village.iter().map(String::as_str));
    outputs.push(run(&field, &args, None, &trace));
    let numbers: Vec<String> = (0..40).map(demo::aadhaar).collect();
    let members: Vec<serde_json::Value> = numbers[..6]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            serde_json::json!({"given_name": "Zoya", "gender": "F", "birth_date": "1990",
                "relation": if i == 0 { "head" } else { "sister" }, "aadhaar": a})
        })
        .collect();
    let form = serde_json::json!({"village": 900101, "address": "Mohalla 3", "members": members});
    let r = run(
        &field,
        &[
            "--home",
            &home_s,
            "--json",
            "household",
            "add",
            "--from",
            "-",
        ],
        Some(&form.to_string()),
        &trace,
    );
    assert_eq!(r.code, 0, "{r:?}");
    outputs.push(r);
    let r = run(
        &hub,
        &["--data", &data_s, "demo", "--households", "40"],
        None,
        &trace,
    );
    assert_eq!(r.code, 0, "{r:?}");
    outputs.push(r);
    let mut all_files = files(&home);
    all_files.extend(files(&data));
    // The hub's demo camp uses demo::aadhaar(n * 10 + i): collect those too.
    let mut demo_numbers: Vec<String> = (0..400).map(demo::aadhaar).collect();
    demo_numbers.extend(numbers);
    for n in &demo_numbers {
        for f in &all_files {
            assert!(
                !f.windows(12).any(|w| w == n.as_bytes()),
                "Aadhaar digits in a file"
            );
        }
        for o in &outputs {
            assert!(!o.stdout.contains(n.as_str()) && !o.stderr.contains(n.as_str()));
        }
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.stderr.contains("TRACE") || o.stderr.contains("DEBUG"))
    );
}
