//! A fresh PostgreSQL database per test, on the cluster `tests/pg/start.sh` runs.
//!
//! `ABHA_TEST_PG_URL` names the cluster (`tests/run-all.sh` and `.ci/run` start it and set it).
//! Without it the PostgreSQL half of a test is skipped with a printed reason, unless
//! `ABHA_REQUIRE_PG=1` (CI), where a missing database is a failure.

use abha_hub::storage::Database;

/// A new, empty database's URL, or `None` (printed) when no cluster is configured.
pub fn fresh_database() -> Option<String> {
    let Ok(admin) = std::env::var("ABHA_TEST_PG_URL") else {
        assert!(
            std::env::var("ABHA_REQUIRE_PG").as_deref() != Ok("1"),
            "ABHA_REQUIRE_PG=1 but ABHA_TEST_PG_URL is not set: run tests/pg/start.sh"
        );
        eprintln!(
            "SKIPPED (PostgreSQL half): ABHA_TEST_PG_URL is not set; \
             eval \"$(bash tests/pg/start.sh)\" to run it"
        );
        return None;
    };
    let name = format!("abha_t_{}", uuid::Uuid::now_v7().simple());
    // The synchronous client runs its own runtime: keep it off the test's.
    let url = admin.clone();
    let db = name.clone();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    })
    .join()
    .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// SQLite, and PostgreSQL when a cluster is configured.
pub fn backends() -> Vec<Database> {
    let mut out = vec![Database::Sqlite];
    out.extend(fresh_database().map(Database::Postgres));
    out
}
