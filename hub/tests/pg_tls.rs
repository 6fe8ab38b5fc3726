//! A state hub reaches PostgreSQL over verified TLS (`hub/src/storage/pg/tls.rs`), against the
//! tests' real cluster, which `tests/pg/start.sh` starts with a certificate for localhost and
//! 127.0.0.1 from a throwaway CA (`ABHA_TEST_PG_CA`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use abha_hub::storage::{Database, open_postgres};
use common::{RunningHub, Tablet, V1};

/// A fresh database's URL and the cluster's CA file, or `None` (printed) without them.
fn tls_database() -> Option<(String, String)> {
    let url = common::pg::fresh_database()?;
    let Ok(ca) = std::env::var("ABHA_TEST_PG_CA") else {
        assert!(
            std::env::var("ABHA_REQUIRE_PG").as_deref() != Ok("1"),
            "ABHA_REQUIRE_PG=1 but ABHA_TEST_PG_CA is not set: tests/pg/start.sh needs openssl"
        );
        eprintln!("SKIPPED: ABHA_TEST_PG_CA is not set (tests/pg/start.sh found no openssl)");
        return None;
    };
    Some((url, ca))
}

/// Runs `sql` (one text column per row) on database `db` of the test cluster, plainly, off any
/// tokio thread (the synchronous client starts its own runtime).
fn admin_query(db: &str, sql: String) -> Vec<String> {
    let admin = std::env::var("ABHA_TEST_PG_URL").unwrap();
    let base = admin.rsplit_once('/').unwrap().0.to_string();
    let url = format!("{base}/{db}?sslmode=disable");
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query(&sql, &[])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    })
    .join()
    .unwrap()
}

fn db_name(url: &str) -> String {
    url.rsplit_once('/').unwrap().1.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_hub_over_verified_tls_syncs_tablets_and_every_connection_is_encrypted() {
    let Some((url, ca)) = tls_database() else {
        return;
    };
    let db = db_name(&url);
    // The name checked is the certificate's DNS name, not only its IP address.
    let url = url.replace("127.0.0.1", "localhost");
    let tls_url = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start_with(dir.path(), false, None, move |c| {
        c.database = Database::Postgres(tls_url);
    })
    .await;
    assert_eq!(hub.storage.backend(), "postgres");

    let a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    let b = Tablet::enrol(dir.path(), "b", &hub, &[V1]).await;
    let h = a.household(V1, &["Sunita", "Kavya"]);
    let sent = a.sync().await;
    assert!(sent.pushed_ops > 0, "{sent:?}");
    b.sync().await;
    assert_eq!(b.store.household(h).unwrap().members.len(), 2);

    // Every connection the hub holds to its database is TLS 1.2 or 1.3.
    let conns = admin_query(
        "postgres",
        format!(
            "SELECT s.ssl::text || ' ' || COALESCE(s.version, '-') FROM pg_stat_ssl s
             JOIN pg_stat_activity a USING (pid) WHERE a.datname = '{db}'"
        ),
    );
    assert!(!conns.is_empty(), "the hub holds no connection");
    for c in &conns {
        assert!(c == "true TLSv1.3" || c == "true TLSv1.2", "{c}: {conns:?}");
    }
    let schema = admin_query(&db, "SELECT (COUNT(*) > 0)::text FROM hub_schema".into());
    assert_eq!(schema, ["true"], "the hub did not migrate its database");
    hub.stop().await;
}

#[test]
fn test_an_untrusted_or_misnamed_certificate_is_refused_at_once_and_nothing_is_written() {
    let Some((url, ca)) = tls_database() else {
        return;
    };
    let db = db_name(&url);
    // The cluster trusts every local user; the password is here to prove it is never repeated.
    let url = url.replace("abha@", "abha:s3cretpw@");
    let port = url.split(':').nth(3).unwrap().split('/').next().unwrap();
    for (what, bad) in [
        (
            "no root named: Mozilla's roots do not hold the test CA",
            format!("{url}?sslmode=require"),
        ),
        (
            "the CA is trusted but the name is not the certificate's",
            format!(
                "postgres://abha:s3cretpw@db.wrong.example:{port}/{db}\
                 ?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"
            ),
        ),
    ] {
        let started = Instant::now();
        let err = open_postgres(&bad, "test-key").err().unwrap().to_string();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: took {:?}, not at once",
            started.elapsed()
        );
        assert!(
            err.contains("certificate") && err.contains("sslrootcert"),
            "{what}: {err}"
        );
        assert!(
            !err.contains("s3cretpw"),
            "{what}: the password leaked: {err}"
        );
    }
    let tables = admin_query(
        &db,
        "SELECT COUNT(*)::text FROM pg_tables WHERE schemaname = 'public'".into(),
    );
    assert_eq!(tables, ["0"], "a refused connection created tables");
}
