//! Black-box tests of `abha-field`: the real binary on real encrypted SQLite files.
#![allow(clippy::unwrap_used)]

use abha_core::validate::checksum::verhoeff_digit;
use abha_e2e::Run;

fn field(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    abha_e2e::run(env!("CARGO_BIN_EXE_abha-field").as_ref(), args, stdin, env)
}
use serde_json::Value;

struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn new() -> Self {
        let d = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let r = d.run(&["init"], None);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(r.json()["sealing_key"], "demo");
        let r = d.run(
            &[
                "village",
                "add",
                "--state",
                "1",
                "--district",
                "2",
                "--subdistrict",
                "12",
                "--village",
                "3456",
                "--name",
                "Khag",
            ],
            None,
        );
        assert_eq!(r.code, 0, "{r:?}");
        d
    }

    fn home(&self) -> String {
        self.dir.path().join("home").to_string_lossy().into_owned()
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_env(args, stdin, &[])
    }

    fn run_env(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        let home = self.home();
        let mut all = vec!["--home", home.as_str(), "--json"];
        all.extend_from_slice(args);
        field(&all, stdin, env)
    }
}

fn aadhaar(first11: &str) -> String {
    format!("{first11}{}", verhoeff_digit(first11).unwrap())
}

fn form(aadhaars: &[String]) -> String {
    let members: Vec<Value> = aadhaars
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let given = ["सीता", "فاطمہ", "Ravi", "ललिता", "Zoya"][i % 5];
            let gender = ["F", "F", "M", "F", "F"][i % 5];
            let born = ["1985-02-01", "2010", "2012-07-30", "1960", "2001-12-12"][i % 5];
            serde_json::json!({
                "given_name": given,
                "family_name": "Bhat",
                "gender": gender,
                "birth_date": born,
                "relation": if i == 0 { "head" } else { "daughter" },
                "mobile": "9419012345",
                "aadhaar": a,
            })
        })
        .collect();
    serde_json::json!({
        "village": 3456,
        "address": "Mohalla 3, Khag",
        "pincode": "193411",
        "lat": 34.05, "lon": 74.4,
        "members": members,
    })
    .to_string()
}

#[test]
fn test_household_with_members_is_created_listed_and_shown() {
    let d = Device::new();
    let nums: Vec<String> = (0..3)
        .map(|i| aadhaar(&format!("5{:010}", 1_234_567 + i)))
        .collect();
    let r = d.run(&["household", "add", "--from", "-"], Some(&form(&nums)));
    assert_eq!(r.code, 0, "{r:?}");
    let created = r.json();
    assert_eq!(created["ok"], true);
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(created["member_ids"].as_array().unwrap().len(), 3);

    let list = d.run(&["household", "list"], None).json();
    let hs = list["households"].as_array().unwrap();
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0]["code"], code.as_str());
    assert_eq!(hs[0]["member_count"], 3);
    assert_eq!(hs[0]["head_name"], "सीता");

    // By printed code, typed sloppily: lower case, no hyphen.
    let typed = code.replace('-', "").to_lowercase();
    let show = d.run(&["household", "show", &typed], None);
    assert_eq!(show.code, 0, "{show:?}");
    let show = show.json();
    let members = show["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert!(
        members
            .iter()
            .any(|m| m["given_name"] == "فاطمہ" && m["birth_date"] == "2010")
    );
    for (m, n) in members.iter().zip(&nums) {
        assert_eq!(m["aadhaar_masked"], format!("XXXX XXXX {}", &n[8..]));
        assert_eq!(m["aadhaar_sealed"], true);
    }

    // Add one more member by flags, Aadhaar on stdin.
    let r = d.run(
        &[
            "member",
            "add",
            "--household",
            &code,
            "--given-name",
            "Imran",
            "--gender",
            "M",
            "--birth-date",
            "1999",
            "--relation",
            "son_in_law",
            "--aadhaar-stdin",
        ],
        Some(&format!("{}\n", aadhaar("62345678901"))),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let status = d.run(&["status"], None).json();
    assert_eq!(
        status["pending"]["changes"], 3,
        "village + household + member"
    );
    let search = d.run(&["member", "search", "Imr"], None).json();
    assert_eq!(search["members"].as_array().unwrap().len(), 1);
}

#[test]
fn test_invalid_aadhaar_gives_checksum_code_in_json() {
    let r = field(
        &["validate", "aadhaar", "234123412345", "--json"],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "validate exits 0 for invalid values");
    let v = r.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["normalized"], Value::Null);
    assert_eq!(v["errors"][0]["field"], "aadhaar");
    assert_eq!(v["errors"][0]["code"], "aadhaar.checksum");
    assert!(!r.stdout.contains("234123412345"));

    // And inside a household form.
    let d = Device::new();
    let mut bad = aadhaar("23412341234").into_bytes();
    bad[11] = b'0' + (bad[11] - b'0' + 3) % 10;
    let bad = String::from_utf8(bad).unwrap();
    let r = d.run(
        &["household", "add", "--from", "-"],
        Some(&form(std::slice::from_ref(&bad))),
    );
    assert_eq!(r.code, 3, "{r:?}");
    let e = r.json();
    assert_eq!(e["ok"], false);
    let errors = e["error"]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|i| i["field"] == "members[0].aadhaar" && i["code"] == "aadhaar.checksum")
    );
    assert!(!r.stdout.contains(&bad) && !r.stderr.contains(&bad));
    assert_eq!(
        d.run(&["household", "list"], None).json()["households"],
        serde_json::json!([])
    );
}

#[test]
fn test_validate_every_kind() {
    let cases = [
        ("aadhaar", "2341 2341 2346", true, "XXXX XXXX 2346"),
        ("vid", "9123 4567 8901 2345", true, "XXXX XXXX XXXX 2345"),
        ("abha-number", "91628545755116", true, "91-6285-4575-5116"),
        ("abha-address", "kiran_ma22@abdm", true, "kiran_ma22@abdm"),
        ("abha-address", "ab@sbx", false, ""),
        ("mobile", "+91 94190 12345", true, "9419012345"),
        ("mobile", "5419012345", false, ""),
        ("pincode", "191201", true, "191201"),
        ("pincode", "091201", false, ""),
        ("hfr", "in2810014366", true, "IN2810014366"),
        ("hpr", "71-4254-8577-4364", true, "71425485774364"),
        ("hpr", "7142", false, ""),
    ];
    for (kind, value, ok, normalized) in cases {
        let r = field(&["validate", kind, value, "--json"], None, &[]);
        assert_eq!(r.code, 0, "{kind} {value}: {r:?}");
        let v = r.json();
        assert_eq!(v["ok"], ok, "{kind} {value}: {v}");
        if ok {
            assert_eq!(v["normalized"], normalized, "{kind} {value}");
        } else {
            assert!(!v["errors"].as_array().unwrap().is_empty());
        }
    }
    let r = field(&["validate", "passport", "X", "--json"], None, &[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json()["error"]["code"], "validate.unknown_kind");
}

#[test]
fn test_form_errors_are_structured_and_complete() {
    let d = Device::new();
    let bad = serde_json::json!({
        "village": 999,
        "address": "",
        "pincode": "12",
        "members": [
            {"given_name": "Sita1", "gender": "X", "birth_date": "2999-01-01", "relation": "head",
             "mobile": "12345"},
        ]
    });
    let r = d.run(&["household", "add", "--from", "-"], Some(&bad.to_string()));
    assert_eq!(r.code, 3, "{r:?}");
    let e = r.json();
    let got: Vec<(String, String)> = e["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["field"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (f, c) in [
        ("household.village_id", "village.unknown"),
        ("household.address", "text.required"),
        ("household.pincode", "pincode.format"),
        ("members[0].given_name", "name.chars"),
        ("members[0].gender", "gender.invalid"),
        ("members[0].birth_date", "dob.future"),
    ] {
        assert!(
            got.iter().any(|(gf, gc)| gf == f && gc == c),
            "missing {f}:{c} in {got:?}"
        );
    }
    assert!(got.iter().any(|(f, _)| f == "members[0].mobile"));
    // Malformed JSON: a clear error, not a panic.
    let r = d.run(
        &["household", "add", "--from", "-"],
        Some("{\"village\": 3456, \"members\": [1"),
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.json()["error"]["code"], "input.json");
    let r = d.run(
        &["household", "add", "--from", "-"],
        Some("{\"villag\": 3456}"),
    );
    assert_eq!(r.code, 3, "{r:?}");
    let r = d.run(&["household", "show", "not-a-code!"], None);
    assert_ne!(r.code, 0);
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn test_wrong_key_is_refused_and_data_survives() {
    let d = Device::new();
    let r = d.run(
        &["household", "add", "--from", "-"],
        Some(&form(&[aadhaar("34567890123")])),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let wrong = "ab".repeat(32);
    let r = d.run_env(
        &["household", "list"],
        None,
        &[("ABHA_FIELD_STORE_KEY", &wrong)],
    );
    assert_eq!(r.code, 5, "{r:?}");
    assert_eq!(r.json()["error"]["code"], "store.wrong_key");
    let r = d.run(&["household", "list"], None);
    assert_eq!(r.json()["households"].as_array().unwrap().len(), 1);
    // A second init must not replace the keys of an existing home.
    let r = d.run(&["init"], None);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "home.exists");
    assert_eq!(
        d.run(&["household", "list"], None).json()["households"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn test_aadhaar_digits_never_printed_even_at_trace_logging() {
    let d = Device::new();
    let nums: Vec<String> = (0..5)
        .map(|i| aadhaar(&format!("7{:010}", 99_000 + i * 37)))
        .collect();
    let trace = [("ABHA_LOG", "trace")];
    let mut outputs = vec![d.run_env(
        &["household", "add", "--from", "-"],
        Some(&form(&nums)),
        &trace,
    )];
    let code = outputs[0].json()["code"].as_str().unwrap().to_owned();
    for args in [
        vec!["household", "list"],
        vec!["household", "show", code.as_str()],
        vec!["status"],
        vec!["member", "search", "Bhat"],
    ] {
        outputs.push(d.run_env(&args, None, &trace));
    }
    assert!(
        outputs.iter().any(|o| o.stderr.contains("store opened")),
        "trace logs captured"
    );
    for o in &outputs {
        assert_eq!(o.code, 0, "{o:?}");
        for n in &nums {
            assert!(!o.stdout.contains(n.as_str()), "Aadhaar on stdout");
            assert!(!o.stderr.contains(n.as_str()), "Aadhaar in logs");
        }
    }
    // The files on disk are encrypted and hold no digits either.
    for entry in walk(d.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for n in &nums {
            assert!(
                !bytes.windows(12).any(|w| w == n.as_bytes()),
                "Aadhaar digits in {}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
