//! The Rust side of the bindings overhead bench: the exact `FieldStore` calls the Kotlin app
//! makes, made directly from Rust, so `android/bench/FfiBench.kt` (the same calls through the
//! generated Kotlin, JNA and the C ABI) has a baseline measured in the same run.
//!
//! Run both with `bash android/jvm-bench.sh` (docs/performance.md, "Kotlin bindings"); alone:
//! `cargo bench -p abha-ffi --bench ffi`. `BENCH_HOUSEHOLDS` (default 1000), `BENCH_N` (samples
//! per read, default 500) and `BENCH_WARMUP` (default 200) resize it; the Kotlin side reads the
//! same variables and builds the same data, so keep the two files in step.
//!
//! One line per operation: `rust <op> median_us=.. p95_us=.. n=..`. Operations: create a
//! household of 5 members each with an Aadhaar number (validated, sealed, one durable commit),
//! list 50 of the stored households, search members by name (20 results), household detail.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use abha_core::validate::checksum::verhoeff_digit;
use abha_ffi::inputs::{VillageInput, WorkerInput};
use abha_ffi::records::{AadhaarEntry, HouseholdInput, MemberInput};
use abha_ffi::store::FieldStore;

const PUBLIC_PEM: &str = include_str!("../../fixtures/demo-sealing/public.pem");
const VILLAGE: u32 = 900_101;
/// Households created before the timed ones (not measured).
const CREATE_WARMUP: usize = 100;
const GIVEN: [&str; 5] = ["सीता", "Ravi", "فاطمہ", "Zoya", "ललिता"];
const FAMILY: [&str; 8] = [
    "Bhat", "Dar", "Mir", "Lone", "Shah", "Wani", "Khan", "Malik",
];
const RELATION: [&str; 5] = ["head", "spouse", "son", "daughter", "daughter"];
const GENDER: [&str; 5] = ["F", "M", "M", "F", "F"];
const BIRTH: [&str; 5] = ["1985-02-01", "1982", "2008-07-15", "2011", "2015-03-30"];
const SEARCH: &str = "Wani";
const SEARCH_LIMIT: u32 = 20;
const LIST_LIMIT: u32 = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Member `m` of household `h`'s Aadhaar number: first digit 2..6, then `h * 5 + m`, then the
/// Verhoeff check digit (unique per member, so no duplicate warnings).
fn aadhaar(h: usize, m: usize) -> String {
    let first11 = format!("{}{:010}", 2 + m, h * 5 + m);
    format!("{first11}{}", verhoeff_digit(&first11).unwrap())
}

fn household(h: usize) -> HouseholdInput {
    HouseholdInput {
        village_code: Some(VILLAGE),
        address: format!("House {h}, Mohalla 3, Khag"),
        pincode: Some("193411".into()),
        lat: Some(34.05),
        lon: Some(74.4),
        members: (0..5)
            .map(|m| MemberInput {
                given_name: GIVEN[m].into(),
                family_name: Some(FAMILY[h % FAMILY.len()].into()),
                gender: GENDER[m].into(),
                birth_date: BIRTH[m].into(),
                relation: RELATION[m].into(),
                mobile: (m == 0).then(|| format!("94190{h:05}")),
                aadhaar: Some(AadhaarEntry::new(aadhaar(h, m))),
                ..Default::default()
            })
            .collect(),
    }
}

fn report(op: &str, mut us: Vec<f64>) {
    us.sort_by(|a, b| a.total_cmp(b));
    let n = us.len();
    let p95 = us[(n * 95 / 100).min(n - 1)];
    println!("rust {op} median_us={:.1} p95_us={p95:.1} n={n}", us[n / 2]);
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64() * 1e6)
}

fn main() {
    let households = env_usize("BENCH_HOUSEHOLDS", 1000).max(CREATE_WARMUP + 1);
    let n = env_usize("BENCH_N", 500).max(1);
    let warmup = env_usize("BENCH_WARMUP", 200);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("field.db").to_str().unwrap().to_owned();
    let store: Arc<FieldStore> = FieldStore::open(path, vec![7; 32]).unwrap();
    store
        .put_village(VillageInput {
            state_code: 1,
            district_code: 2,
            subdistrict_code: 11,
            village_code: VILLAGE,
            name: "Khag".into(),
        })
        .unwrap();
    store
        .add_worker(WorkerInput {
            asha_id: "JK-0042".into(),
            name: "Shazia".into(),
            hpr_id: None,
        })
        .unwrap();
    store
        .configure_sealing(PUBLIC_PEM.into(), Some("09".repeat(32)))
        .unwrap();

    // Create: the first households warm up, the rest are timed; all of them stay stored.
    let mut ids = Vec::with_capacity(households);
    let mut create = Vec::with_capacity(households - CREATE_WARMUP);
    for h in 0..households {
        let form = household(h);
        let (saved, us) = time(|| store.create_household(form).unwrap());
        assert_eq!(saved.member_ids.len(), 5);
        assert!(
            saved.warnings.is_empty(),
            "household {h}: {:?}",
            saved.warnings
        );
        ids.push(saved.id);
        if h >= CREATE_WARMUP {
            create.push(us);
        }
    }
    report("create_household_5", create);

    let list = || store.households(None, LIST_LIMIT, 0).unwrap();
    let search = || store.search_members(SEARCH.into(), SEARCH_LIMIT).unwrap();
    let detail = |i: usize| store.household(ids[i % ids.len()].clone()).unwrap();
    assert_eq!(list().len(), LIST_LIMIT as usize);
    assert_eq!(search().len(), SEARCH_LIMIT as usize);
    assert_eq!(detail(0).members.len(), 5);

    let sample = |f: &dyn Fn(usize) -> usize| {
        for i in 0..warmup {
            std::hint::black_box(f(i));
        }
        (0..n)
            .map(|i| time(|| std::hint::black_box(f(i))).1)
            .collect::<Vec<_>>()
    };
    report("list_households_50", sample(&|_| list().len()));
    report("search_members_20", sample(&|_| search().len()));
    report("household_detail", sample(&|i| detail(i).members.len()));
}
