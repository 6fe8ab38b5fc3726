//! Enrollment commit throughput against raw durable SQLite inserts, measured in one run.
//!
//! `cargo bench -p abha-core --bench enroll` (set `BENCH_ROUNDS`, `BENCH_N` to change the size).
//!
//! Baseline: one-row transactions (`INSERT` of a ~300-byte row + `COMMIT`) into a database opened
//! exactly like the store: SQLCipher with a raw 32-byte key, WAL, `synchronous=FULL`.
//! Subject: one enrollment = a household with 5 members, each with a sealed Aadhaar number, from
//! raw form drafts through whole-form validation, RSA-OAEP sealing, and `create_household` (ops,
//! read tables, outbox row, one durable commit).
//! Rounds alternate between the two so machine noise hits both alike; medians are reported.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use abha_core::ids::VillageId;
use abha_core::model::{HouseholdDraft, HouseholdForm, MemberDraft};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::{Store, StoreKey};
use abha_core::validate::checksum::verhoeff_digit;

const PUBLIC_PEM: &str = include_str!("../../fixtures/demo-sealing/public.pem");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn raw_conn(path: &std::path::Path, key: &StoreKey) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&key.sqlcipher_pragmas()).unwrap();
    c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .unwrap();
    c.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS t (id BLOB PRIMARY KEY, payload TEXT NOT NULL) STRICT;",
    )
    .unwrap();
    c
}

fn raw_round(c: &rusqlite::Connection, n: usize) -> f64 {
    let payload = "x".repeat(280);
    let mut st = c
        .prepare("INSERT INTO t (id, payload) VALUES (?1, ?2)")
        .unwrap();
    let start = Instant::now();
    for _ in 0..n {
        c.execute_batch("BEGIN").unwrap();
        st.execute(rusqlite::params![uuid::Uuid::now_v7().as_bytes(), payload])
            .unwrap();
        c.execute_batch("COMMIT").unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn forms(n: usize, village: VillageId, seed: usize) -> Vec<HouseholdForm> {
    let names = ["सीता", "فاطمہ", "Ravi", "ललिता", "Zoya"];
    (0..n)
        .map(|h| HouseholdForm {
            household: HouseholdDraft {
                village_id: Some(village),
                address: format!("House {h}, Mohalla 3, Khag"),
                pincode: Some("193411".into()),
                lat: Some(34.05),
                lon: Some(74.4),
            },
            members: (0..5)
                .map(|m| {
                    let first11 = format!("{}{:010}", 2 + m, seed * 100_000 + h * 5 + m);
                    MemberDraft {
                        given_name: names[m].into(),
                        family_name: Some("Bhat".into()),
                        gender: if m == 2 { "M".into() } else { "F".into() },
                        birth_date: "1985-02-01".into(),
                        relation: if m == 0 {
                            "head".into()
                        } else {
                            "daughter".into()
                        },
                        mobile: Some("9419012345".into()),
                        aadhaar: Some(
                            format!("{first11}{}", verhoeff_digit(&first11).unwrap()).into(),
                        ),
                        ..Default::default()
                    }
                })
                .collect(),
        })
        .collect()
}

fn enroll_round(store: &Store, sealer: &AadhaarSealer, forms: Vec<HouseholdForm>) -> f64 {
    let today = time::OffsetDateTime::now_utc().date();
    let n = forms.len();
    let start = Instant::now();
    for f in forms {
        let valid = f.check(today).unwrap().value;
        let new = valid.seal(Some(sealer), None).unwrap();
        store.create_household(&new).unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Time split of one enrollment: validation, sealing, commit (microseconds per household).
fn breakdown(store: &Store, sealer: &AadhaarSealer, forms: Vec<HouseholdForm>) -> [f64; 3] {
    let today = time::OffsetDateTime::now_utc().date();
    let n = forms.len() as f64;
    let t0 = Instant::now();
    let valid: Vec<_> = forms
        .into_iter()
        .map(|f| f.check(today).unwrap().value)
        .collect();
    let t1 = Instant::now();
    let sealed: Vec<_> = valid
        .into_iter()
        .map(|v| v.seal(Some(sealer), None).unwrap())
        .collect();
    let t2 = Instant::now();
    for s in &sealed {
        store.create_household(s).unwrap();
    }
    let t3 = Instant::now();
    [t1 - t0, t2 - t1, t3 - t2].map(|d| d.as_secs_f64() * 1e6 / n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 5);
    let n = env_usize("BENCH_N", 400);
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let raw = raw_conn(&dir.path().join("raw.db"), &key);
    let store = Store::open(dir.path().join("field.db"), &key).unwrap();
    let village = abha_core::demo::villages()[0].validate().unwrap();
    store.put_village(&village).unwrap();
    let sealer = AadhaarSealer::new(
        SealingKey::from_pem(PUBLIC_PEM).unwrap(),
        TokenKey::from_bytes([9; 32]),
    );
    // Warm up both paths.
    raw_round(&raw, 50);
    enroll_round(&store, &sealer, forms(20, village.id, 0));
    let (mut raw_rates, mut enroll_rates) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        raw_rates.push(raw_round(&raw, n));
        enroll_rates.push(enroll_round(
            &store,
            &sealer,
            forms(n / 4, village.id, r + 1),
        ));
    }
    let raw_rate = median(raw_rates);
    let enroll_rate = median(enroll_rates);
    let ratio = enroll_rate / raw_rate;
    println!(
        "enrollment commit: {enroll_rate:.0} households/s (5 members, validated, sealed, durable) \
         vs raw durable single-row inserts {raw_rate:.0} rows/s: ratio {ratio:.2} (target >= 0.5)"
    );
    if std::env::var("BENCH_EXP").is_ok() {
        for k in [0usize, 1, 5] {
            let fs: Vec<_> = forms(200, village.id, 77 + k)
                .into_iter()
                .map(|mut f| {
                    f.members.truncate(k);
                    for m in &mut f.members {
                        m.aadhaar = None;
                    }
                    f
                })
                .collect();
            let today = time::OffsetDateTime::now_utc().date();
            let sealed: Vec<_> = fs
                .into_iter()
                .map(|f| f.check(today).unwrap().value.seal(None, None).unwrap())
                .collect();
            let t = Instant::now();
            for s in &sealed {
                store.create_household(s).unwrap();
            }
            println!(
                "{k} members, no aadhaar: {:.0} us/commit",
                t.elapsed().as_secs_f64() * 1e6 / 200.0
            );
        }
        let frames = || {
            store
                .read(|c| {
                    Ok(c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?)
                })
                .unwrap()
        };
        for _ in 0..3 {
            let f0 = frames();
            let today = time::OffsetDateTime::now_utc().date();
            let batch: Vec<_> = forms(20, village.id, 999)
                .into_iter()
                .map(|f| {
                    f.check(today)
                        .unwrap()
                        .value
                        .seal(Some(&sealer), None)
                        .unwrap()
                })
                .collect();
            for s in &batch {
                store.create_household(s).unwrap();
            }
            let f1 = frames();
            println!(
                "WAL frames per enrollment: {:.1} ({f0} -> {f1})",
                (f1 - f0) as f64 / 20.0
            );
        }
        let t = Instant::now();
        for _ in 0..200 {
            store.put_village(&village).unwrap();
        }
        println!(
            "village put (5 ops): {:.0} us",
            t.elapsed().as_secs_f64() * 1e6 / 200.0
        );
    }
    let [v, s, c] = breakdown(&store, &sealer, forms(n / 4, village.id, rounds + 1));
    println!(
        "per household: validation {v:.0} us, sealing 5 Aadhaar numbers {s:.0} us, commit {c:.0} us; \
         raw insert {:.0} us",
        1e6 / raw_rate
    );
    println!(
        "{{\"bench\":\"enroll_commit\",\"enrollments_per_s\":{enroll_rate:.1},\"raw_rows_per_s\":{raw_rate:.1},\"ratio\":{ratio:.3},\"rounds\":{rounds}}}"
    );
}
