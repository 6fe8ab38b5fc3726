//! Hub load: N simulated tablets (default 50), each holding a day's work (about 250 members),
//! sync at once over HTTP to one hub on 127.0.0.1. Reports total time, p50/p99 request latency,
//! and the hub's ingest rate against raw batched SQLite inserts into a database opened the same
//! way, measured in the same run (target ratio >= 0.3).
//!
//! `cargo bench -p abha-hub --bench load` (`BENCH_TABLETS`, `BENCH_MEMBERS` to resize).
//! `BENCH_DATABASE=postgres://...` runs the hub on PostgreSQL (an empty database; e.g. on the
//! cluster of `tests/pg/start.sh`), and the baseline is then raw batched inserts into a plain
//! table of that server.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abha_core::demo::{self, DemoRng};
use abha_core::store::{Store, StoreKey};
use abha_core::sync::client::HttpTransport;
use abha_core::sync::protocol::{Hello, HelloReply, Pull, PullReply, Push, PushReply};
use abha_core::sync::session::{Exchange, Transport, TransportError};
use abha_core::sync::{CancelToken, SyncOptions, SyncProgress, sync};
use abha_hub::registry::Role;
use abha_hub::storage::Database;
use abha_hub::{Hub, HubConfig, TlsMode};

/// Times every request.
struct Timed {
    inner: HttpTransport,
    samples: Arc<Mutex<Vec<Duration>>>,
}

impl Timed {
    async fn time<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        let t = Instant::now();
        let r = f.await;
        self.samples.lock().unwrap().push(t.elapsed());
        r
    }
}

impl Transport for Timed {
    async fn hello(&self, h: &Hello) -> Result<Exchange<HelloReply>, TransportError> {
        self.time(self.inner.hello(h)).await
    }
    async fn push(&self, p: &Push) -> Result<Exchange<PushReply>, TransportError> {
        self.time(self.inner.push(p)).await
    }
    async fn pull(&self, p: &Pull) -> Result<Exchange<PullReply>, TransportError> {
        self.time(self.inner.pull(p)).await
    }
}

fn raw_batched(dir: &std::path::Path, rows: usize, per_tx: usize) -> f64 {
    let key = StoreKey::random();
    let c = rusqlite::Connection::open(dir.join("raw.db")).unwrap();
    c.execute_batch(&key.sqlcipher_pragmas()).unwrap();
    c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .unwrap();
    c.execute_batch(
        "PRAGMA synchronous = FULL; CREATE TABLE t (entity BLOB, field TEXT, value TEXT) STRICT;",
    )
    .unwrap();
    let start = Instant::now();
    let mut done = 0;
    while done < rows {
        c.execute_batch("BEGIN").unwrap();
        {
            let mut st = c
                .prepare_cached("INSERT INTO t VALUES (?1, ?2, ?3)")
                .unwrap();
            for _ in 0..per_tx.min(rows - done) {
                st.execute(rusqlite::params![
                    uuid::Uuid::now_v7().as_bytes(),
                    "given_name",
                    "सीता देवी"
                ])
                .unwrap();
                done += 1;
            }
        }
        c.execute_batch("COMMIT").unwrap();
    }
    rows as f64 / start.elapsed().as_secs_f64()
}

/// Raw batched inserts of the same rows into a plain PostgreSQL table (durable commits).
fn raw_batched_pg(url: &str, rows: usize, per_tx: usize) -> f64 {
    let (url, rows) = (url.to_string(), rows);
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(
            "DROP TABLE IF EXISTS raw_t; CREATE TABLE raw_t (entity BYTEA, field TEXT, value TEXT)",
        )
        .unwrap();
        let start = Instant::now();
        let mut done = 0;
        while done < rows {
            let mut tx = c.transaction().unwrap();
            let st = tx.prepare("INSERT INTO raw_t VALUES ($1, $2, $3)").unwrap();
            for _ in 0..per_tx.min(rows - done) {
                let id = uuid::Uuid::now_v7();
                tx.execute(
                    &st,
                    &[&id.as_bytes().as_slice(), &"given_name", &"सीता देवी"],
                )
                .unwrap();
                done += 1;
            }
            tx.commit().unwrap();
        }
        rows as f64 / start.elapsed().as_secs_f64()
    })
    .join()
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tablets: usize = std::env::var("BENCH_TABLETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let members_each: usize = std::env::var("BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let dir = tempfile::tempdir().unwrap();
    let database = std::env::var("BENCH_DATABASE")
        .ok()
        .map(|d| Database::parse(&d).unwrap())
        .unwrap_or_default();
    let hub = Hub::open(HubConfig {
        database: database.clone(),
        data_dir: dir.path().join("hub"),
        tls: TlsMode::Off,
        demo_keys: true,
        rate_burst: 100_000,
        rate_per_sec: 100_000.0,
        ..HubConfig::default()
    })
    .unwrap();
    let storage = hub.storage.clone();
    let villages: Vec<_> = demo::villages()
        .iter()
        .map(|v| v.validate().unwrap())
        .collect();
    // The tablets author the village records too; a SQLite hub holds them already.
    for v in hub
        .store
        .iter()
        .flat_map(|s| villages.iter().map(move |v| (s, v)))
    {
        v.0.put_village(v.1).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hub.serve(listener, async {
        let _ = stop_rx.await;
    }));

    // Each tablet captures its day offline (before the clock starts).
    let sealer = abha_core::seal::AadhaarSealer::new(
        abha_core::seal::SealingKey::from_pem(include_str!(
            "../../fixtures/demo-sealing/public.pem"
        ))
        .unwrap(),
        abha_core::seal::TokenKey::from_bytes([0x5a; 32]),
    );
    let today = time::OffsetDateTime::now_utc().date();
    let mut devices = Vec::new();
    let mut total_members = 0;
    for t in 0..tablets {
        let store = Store::open(dir.path().join(format!("t{t}.db")), &StoreKey::random()).unwrap();
        for v in &villages {
            store.put_village(v).unwrap();
        }
        let village = villages[t % villages.len()].id;
        let (_, token) = storage
            .create_device(Role::Worker, &[village], None, Some(store.replica_id()))
            .unwrap();
        let mut rng = DemoRng::new(t as u64 + 1);
        let mut members = 0;
        let mut n = 0;
        while members < members_each {
            let form = demo::household(&mut rng, village, (t * 10_000 + n) as u64);
            members += form.members.len();
            n += 1;
            let new = form
                .check(today)
                .unwrap()
                .value
                .seal(Some(&sealer), None)
                .unwrap();
            store.create_household(&new).unwrap();
        }
        total_members += members;
        devices.push((Arc::new(store), token));
    }
    let pending_ops: u64 = devices.iter().map(|(s, _)| s.pending().unwrap().ops).sum();

    // Phase 1, ingest: every tablet hands in its day at once (push only). Phase 2, the rest of
    // day-end: every tablet receives its villages' updates from the others (pull only). Both
    // phases run the simulated tablets on this machine too, so phase 2 also measures their work.
    let run_phase = |pull: bool, push_only: bool| {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = devices
            .iter()
            .cloned()
            .map(|(store, token)| {
                let url = url.clone();
                let samples = samples.clone();
                tokio::spawn(async move {
                    let t = Timed {
                        inner: HttpTransport::new(
                            &url,
                            Some(token),
                            None,
                            Duration::from_secs(120),
                        )
                        .unwrap(),
                        samples,
                    };
                    let opts = SyncOptions {
                        pull,
                        ..SyncOptions::default()
                    };
                    let _ = push_only;
                    sync(
                        &store,
                        &url,
                        &t,
                        &opts,
                        &|_: &SyncProgress| {},
                        &CancelToken::new(),
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        (tasks, samples)
    };
    let start = Instant::now();
    let (tasks, samples) = run_phase(false, true);
    let mut pushed = 0;
    for t in tasks {
        pushed += t.await.unwrap().pushed_ops;
    }
    let elapsed = start.elapsed();
    let start2 = Instant::now();
    let (tasks2, samples2) = run_phase(true, false);
    let mut pulled = 0;
    for t in tasks2 {
        pulled += t.await.unwrap().pulled_ops;
    }
    let elapsed2 = start2.elapsed();
    let mut lat2 = samples2.lock().unwrap().clone();
    lat2.sort();
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
    assert_eq!(pushed, pending_ops, "every op ingested exactly once");
    let mut lat = samples.lock().unwrap().clone();
    lat.sort();
    let ingest = pushed as f64 / elapsed.as_secs_f64();
    // Median of three baseline runs (fresh files), right after the measurement.
    let mut raws: Vec<f64> = (0..3)
        .map(|i| {
            let d = dir.path().join(format!("raw{i}"));
            std::fs::create_dir_all(&d).unwrap();
            match &database {
                Database::Sqlite => raw_batched(&d, pushed as usize, 5_000),
                Database::Postgres(url) => raw_batched_pg(url, pushed as usize, 5_000),
            }
        })
        .collect();
    raws.sort_by(|a, b| a.total_cmp(b));
    let raw = raws[1];
    println!(
        "hub load ({}): {tablets} tablets x ~{members_each} members ({total_members} members, {pushed} ops) handed in at once in {:.2} s; \
         {} requests, latency p50 {:.1} ms p99 {:.1} ms; ingest {ingest:.0} ops/s vs raw batched inserts {raw:.0} rows/s: ratio {:.2} (target >= 0.3)",
        database.name(),
        elapsed.as_secs_f64(),
        lat.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        ingest / raw
    );
    println!(
        "day-end pull: every tablet received its villages' updates ({pulled} ops applied on tablets) in {:.2} s; {} requests, latency p50 {:.1} ms p99 {:.1} ms",
        elapsed2.as_secs_f64(),
        lat2.len(),
        percentile(&lat2, 0.5).as_secs_f64() * 1e3,
        percentile(&lat2, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "{{\"bench\":\"hub_load\",\"database\":\"{}\",\"tablets\":{tablets},\"ops\":{pushed},\"seconds\":{:.3},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"ingest_ops_per_s\":{ingest:.0},\"raw_rows_per_s\":{raw:.0}}}",
        database.name(),
        elapsed.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );
}
