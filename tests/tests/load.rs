//! The load rig as a test: N tablets (`LOAD_TABLETS`, default 50) each hand in a day's work
//! (`LOAD_HOUSEHOLDS`, default 25 households) at once to one hub process, on its embedded SQLite
//! and on PostgreSQL, then receive their villages' updates. Asserts that no sync failed and that
//! every store converged exactly (see `abha_e2e::load`); prints throughput, p50/p99 latency and
//! the hub's memory.
//!
//! The PostgreSQL half needs `ABHA_TEST_PG_URL` (`tests/run-all.sh` and `.ci/run` start a
//! private cluster); without it that half is skipped with a printed reason, unless
//! `ABHA_REQUIRE_PG=1`. 500 tablets: `LOAD_TABLETS=500 cargo test --release -p abha-e2e --test
//! load -- --nocapture` (the bench script does this).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use abha_e2e::env_or;
use abha_e2e::load::{LoadReport, LoadSpec, run};

fn spec(database: Option<String>) -> LoadSpec {
    LoadSpec {
        tablets: env_or("LOAD_TABLETS", 50),
        households: env_or("LOAD_HOUSEHOLDS", 25),
        database,
    }
}

fn print(backend: &str, spec: &LoadSpec, r: &LoadReport) {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    eprintln!(
        "load ({backend}): {} tablets, {} households, {} members; hand-in {} ops in {:.2} s \
         ({:.0} ops/s, {} requests, p50 {:.1} ms, p99 {:.1} ms); pull {} ops in {:.2} s \
         ({} requests, p50 {:.1} ms, p99 {:.1} ms); hub memory {} MiB idle, {} MiB peak; {} retried {:?}",
        spec.tablets,
        r.households,
        r.members,
        r.hand_in.ops,
        r.hand_in.elapsed.as_secs_f64(),
        r.hand_in.ops_per_sec(),
        r.hand_in.requests,
        ms(r.hand_in.p50),
        ms(r.hand_in.p99),
        r.pull.ops,
        r.pull.elapsed.as_secs_f64(),
        r.pull.requests,
        ms(r.pull.p50),
        ms(r.pull.p99),
        r.hub_idle_kib / 1024,
        r.hub_peak_kib / 1024,
        r.retried,
        r.retried_by,
    );
    // One line a script can collect.
    println!(
        "{{\"bench\":\"load_rig\",\"database\":\"{backend}\",\"tablets\":{},\"ops\":{},\"seconds\":{:.3},\"ops_per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"pull_ops\":{},\"pull_seconds\":{:.3},\"hub_idle_kib\":{},\"hub_peak_kib\":{}}}",
        spec.tablets,
        r.hand_in.ops,
        r.hand_in.elapsed.as_secs_f64(),
        r.hand_in.ops_per_sec(),
        ms(r.hand_in.p50),
        ms(r.hand_in.p99),
        r.pull.ops,
        r.pull.elapsed.as_secs_f64(),
        r.hub_idle_kib,
        r.hub_peak_kib,
    );
}

fn check(spec: &LoadSpec, r: &LoadReport) {
    assert_eq!(r.households, spec.tablets * spec.households);
    assert_eq!(
        r.retried, 0,
        "no request failed under load: {:?}",
        r.retried_by
    );
    // Every request but the hellos moved something, and the hub was measured.
    assert!(r.hand_in.requests >= spec.tablets * 2, "{r:?}");
    assert!(r.pull.ops > 0 || spec.tablets <= 1, "{r:?}");
    assert!(
        r.hub_peak_kib >= r.hub_idle_kib && r.hub_idle_kib > 0,
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tablets_hand_in_at_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(None);
    let r = run(dir.path(), &spec).await;
    print("sqlite", &spec, &r);
    check(&spec, &r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tablets_hand_in_at_once_postgres() {
    let Some(url) = fresh_database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(Some(url));
    let r = run(dir.path(), &spec).await;
    print("postgres", &spec, &r);
    check(&spec, &r);
}

/// A new, empty database on the test cluster, or `None` (printed) when none is configured.
fn fresh_database() -> Option<String> {
    let Ok(admin) = std::env::var("ABHA_TEST_PG_URL") else {
        assert!(
            std::env::var("ABHA_REQUIRE_PG").as_deref() != Ok("1"),
            "ABHA_REQUIRE_PG=1 but ABHA_TEST_PG_URL is not set: run tests/pg/start.sh"
        );
        eprintln!("SKIPPED (PostgreSQL): ABHA_TEST_PG_URL is not set");
        return None;
    };
    let name = format!("abha_load_{}", std::process::id());
    let (url, db) = (admin.clone(), name.clone());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
            .unwrap();
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    })
    .join()
    .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}
