//! The load rig: N tablets (default 50, up to 500 and more) each hold a day's work and hand it
//! in at once to one real hub process (`abha-hub serve`, on SQLite or PostgreSQL), then receive
//! their villages' updates; then every store is compared with what was captured.
//!
//! Why a separate process: the hub's own memory under load is one of the figures, and a hub that
//! shares an address space with 500 simulated tablets could not be measured. The tablets are
//! real [`Store`]s (SQLCipher files) driven by core's sync engine over HTTP on 127.0.0.1, as the
//! app drives them; they enrol with one-time codes like any tablet.
//!
//! What "exact convergence" means here: every household captured anywhere is on the hub once
//! (an observer tablet assigned every village pulls them all), every tablet holds exactly the
//! households of its village, each identical (household and members) to its author's copy, and
//! no tablet has work left unacknowledged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abha_core::demo::{self, DemoRng};
use abha_core::ids::{HouseholdId, VillageId};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::{HouseholdDetail, Store, StoreKey};
use abha_core::sync::client::HttpTransport;
use abha_core::sync::protocol::{
    EnrolReply, EnrolRequest, Hello, HelloReply, Pull, PullReply, Push, PushReply,
};
use abha_core::sync::session::{Exchange, Transport, TransportError};
use abha_core::sync::{CancelToken, SyncOptions, SyncProgress, sync};

use crate::hub::{HubProcess, HubSpec};
use crate::{json_tail, run_command};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Simulated tablets.
    pub tablets: usize,
    /// Households each tablet captures (a day's work is about 25).
    pub households: usize,
    /// `--database` for the hub (`None`: its embedded SQLite).
    pub database: Option<String>,
}

/// Latencies of one phase.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Requests made.
    pub requests: usize,
    /// Median request latency.
    pub p50: Duration,
    /// 99th percentile request latency.
    pub p99: Duration,
    /// Ops moved (pushed to the hub, or applied on tablets).
    pub ops: u64,
}

impl Phase {
    /// Ops per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// What a run measured. The run panics instead of returning when anything diverged.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Households captured in all.
    pub households: usize,
    /// Members captured in all.
    pub members: usize,
    /// Every tablet hands in its day at once (push only).
    pub hand_in: Phase,
    /// Every tablet then receives its villages' updates (pull only).
    pub pull: Phase,
    /// Hub resident memory once it served its first request, before the load (KiB).
    pub hub_idle_kib: u64,
    /// Hub peak resident memory over the run (KiB).
    pub hub_peak_kib: u64,
    /// Requests that failed transiently and were retried by the sync engine.
    pub retried: u64,
    /// The retried requests by kind (`503`, `429`, `network`, `bad_reply`).
    pub retried_by: BTreeMap<String, u64>,
}

/// Times every request and counts transient failures.
struct Timed {
    inner: HttpTransport,
    samples: Arc<Mutex<Vec<Duration>>>,
    failures: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Timed {
    async fn time<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        let t = Instant::now();
        let r = f.await;
        if let Err(e) = &r {
            let kind = match e {
                TransportError::Unavailable { status } | TransportError::Refused { status, .. } => {
                    status.to_string()
                }
                TransportError::Network(_) => "network".into(),
                TransportError::BadReply => "bad_reply".into(),
            };
            if let Ok(mut f) = self.failures.lock() {
                *f.entry(kind).or_default() += 1;
            }
        }
        if let Ok(mut s) = self.samples.lock() {
            s.push(t.elapsed());
        }
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

/// One simulated tablet.
struct Tablet {
    store: Arc<Store>,
    token: String,
    village: VillageId,
    made: Vec<HouseholdId>,
}

/// A hub's resident memory (`VmRSS`, or `VmHWM` for the peak) in KiB, from /proc.
pub fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn transport(url: &str, token: Option<String>) -> HttpTransport {
    HttpTransport::new(url, token, None, Duration::from_secs(300)).expect("a loopback transport")
}

/// Enrols `store` as a worker for `villages` with a fresh code; retries while the hub's
/// per-address enrolment limit pushes back (every simulated tablet shares 127.0.0.1).
async fn enrol(url: &str, admin: &HttpTransport, villages: &[u32], store: &Store) -> EnrolReply {
    let code: serde_json::Value = admin
        .json(
            "/v1/admin/codes",
            &serde_json::json!({"role": "worker", "villages": villages}),
        )
        .await
        .expect("an enrolment code");
    let code = code["code"].as_str().expect("code").to_owned();
    let anon = transport(url, None);
    let req = EnrolRequest {
        code,
        replica: store.replica_id(),
        app_version: abha_core::VERSION.to_owned(),
        label: None,
    };
    loop {
        match anon.json("/v1/devices/enrol", &req).await {
            Ok(r) => return r,
            Err(TransportError::Unavailable { .. }) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("enrolment refused: {e}"),
        }
    }
}

/// An administrator token, created before the hub serves.
fn admin_token(spec: &HubSpec) -> String {
    let r = run_command(spec.command(&["token", "--role", "admin"]), None);
    assert_eq!(r.code, 0, "abha-hub token: {r:?}");
    json_tail(&r.stdout)["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// Runs `sync` on every tablet at once; returns the phase's figures and each report's ops.
async fn phase(
    url: &str,
    tablets: &[(Arc<Store>, String)],
    pull: bool,
) -> (Phase, BTreeMap<String, u64>) {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(BTreeMap::new()));
    let start = Instant::now();
    let tasks: Vec<_> = tablets
        .iter()
        .cloned()
        .map(|(store, token)| {
            let t = Timed {
                inner: transport(url, Some(token)),
                samples: samples.clone(),
                failures: failures.clone(),
            };
            let url = url.to_owned();
            tokio::spawn(async move {
                let opts = SyncOptions {
                    pull,
                    ..SyncOptions::default()
                };
                sync(
                    &store,
                    &url,
                    &t,
                    &opts,
                    &|_: &SyncProgress| {},
                    &CancelToken::new(),
                )
                .await
            })
        })
        .collect();
    let mut ops = 0;
    for t in tasks {
        let report = t.await.expect("a sync task").expect("sync succeeds");
        ops += if pull {
            report.pulled_ops
        } else {
            report.pushed_ops
        };
    }
    let elapsed = start.elapsed();
    let mut lat = samples.lock().map(|s| s.clone()).unwrap_or_default();
    lat.sort();
    let figures = Phase {
        elapsed,
        requests: lat.len(),
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
        ops,
    };
    let failed = failures.lock().map(|f| f.clone()).unwrap_or_default();
    (figures, failed)
}

/// Samples the hub's resident memory every 20 ms until `stop` is set; returns the peak seen.
fn sample_memory(
    pid: u32,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(proc_kib(pid, "VmRSS").unwrap_or(0));
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    })
}

/// Runs the rig in `dir` (the hub's data directory and every tablet's store go there).
pub async fn run(dir: &Path, spec: &LoadSpec) -> LoadReport {
    let hub_spec = HubSpec {
        database: spec.database.clone(),
        ..HubSpec::loopback(&dir.join("hub"), 0)
    };
    let admin = admin_token(&hub_spec);
    let mut hub: HubProcess = hub_spec.start();
    let url = hub.url.clone();
    let admin = transport(&url, Some(admin));
    let villages: Vec<_> = demo::villages()
        .iter()
        .map(|v| v.validate().expect("demo villages are valid"))
        .collect();
    let today = time::OffsetDateTime::now_utc().date();

    // Each tablet enrols, then captures its day offline (before the clock starts).
    let mut tablets = Vec::new();
    let mut members = 0;
    for t in 0..spec.tablets {
        let store = Store::open(dir.join(format!("t{t}.db")), &StoreKey::random()).expect("store");
        let v = &villages[t % villages.len()];
        let reply = enrol(&url, &admin, &[v.lgd.village], &store).await;
        let sealer = AadhaarSealer::new(
            SealingKey::from_pem(&reply.sealing_key_pem).expect("the hub's sealing key"),
            TokenKey::from_hex(&reply.token_key).expect("the deployment token key"),
        );
        for v in &villages {
            store.put_village(v).expect("village");
        }
        let mut rng = DemoRng::new(t as u64 + 1);
        let mut made = Vec::new();
        for n in 0..spec.households {
            let form = demo::household(&mut rng, v.id, (t * 10_000 + n) as u64);
            members += form.members.len();
            let new = form
                .check(today)
                .expect("demo households are valid")
                .value
                .seal(Some(&sealer), None)
                .expect("sealed");
            made.push(store.create_household(&new).expect("stored"));
        }
        tablets.push(Tablet {
            store: Arc::new(store),
            token: reply.token,
            village: v.id,
            made,
        });
    }
    let pending: u64 = tablets
        .iter()
        .map(|t| t.store.pending().expect("pending").ops)
        .sum();
    let pairs: Vec<_> = tablets
        .iter()
        .map(|t| (t.store.clone(), t.token.clone()))
        .collect();

    let hub_idle_kib = proc_kib(hub.pid(), "VmRSS").unwrap_or(0);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = sample_memory(hub.pid(), stop.clone());
    let (hand_in, f1) = phase(&url, &pairs, false).await;
    assert_eq!(hand_in.ops, pending, "every op handed in exactly once");
    let (pull, f2) = phase(&url, &pairs, true).await;
    let hwm = proc_kib(hub.pid(), "VmHWM").unwrap_or(0);
    stop.store(true, Ordering::Relaxed);
    let sampled = sampler.join().unwrap_or(0);

    check_convergence(&url, &admin, &villages, &tablets, dir).await;
    hub.kill();
    LoadReport {
        households: tablets.iter().map(|t| t.made.len()).sum(),
        members,
        hand_in,
        pull,
        hub_idle_kib,
        hub_peak_kib: hwm.max(sampled),
        retried: f1.values().chain(f2.values()).sum(),
        retried_by: {
            let mut all = f1;
            for (k, n) in f2 {
                *all.entry(k).or_default() += n;
            }
            all
        },
    }
}

/// Panics unless every store agrees with what was captured (see the module docs).
async fn check_convergence(
    url: &str,
    admin: &HttpTransport,
    villages: &[abha_core::model::Village],
    tablets: &[Tablet],
    dir: &Path,
) {
    let mut by_village: BTreeMap<VillageId, BTreeMap<HouseholdId, usize>> = BTreeMap::new();
    for (i, t) in tablets.iter().enumerate() {
        assert_eq!(
            t.store.pending().expect("pending").changes,
            0,
            "tablet {i} has unsynced work"
        );
        for h in &t.made {
            let author = by_village.entry(t.village).or_default().insert(*h, i);
            assert!(author.is_none(), "household authored twice");
        }
    }
    // Everything replicated, so everything but whether this device still holds a sealed
    // Aadhaar number (sealed numbers go to the hub alone, never to other tablets).
    let detail = |s: &Store, h: HouseholdId| {
        let mut d = s.household(h).expect("household readable");
        d.members.iter_mut().for_each(|m| m.aadhaar_sealed = false);
        d
    };
    for (i, t) in tablets.iter().enumerate() {
        let expected = &by_village[&t.village];
        let held: BTreeSet<HouseholdId> = t
            .store
            .list_households(Some(t.village), u32::MAX, 0)
            .expect("list")
            .into_iter()
            .map(|s| s.id)
            .collect();
        let want: BTreeSet<HouseholdId> = expected.keys().copied().collect();
        assert_eq!(
            held, want,
            "tablet {i} holds exactly its village's households"
        );
        let others = t
            .store
            .list_households(None, u32::MAX, 0)
            .expect("list")
            .len();
        assert_eq!(
            others,
            want.len(),
            "tablet {i} holds no other village's households"
        );
        for (h, author) in expected {
            if *author != i {
                same(
                    &detail(&t.store, *h),
                    &detail(&tablets[*author].store, *h),
                    &format!("tablet {i}'s copy of a household"),
                );
            }
        }
    }
    // The hub: an observer assigned every village pulls everything it holds.
    let observer = Store::open(dir.join("observer.db"), &StoreKey::random()).expect("store");
    let all: Vec<u32> = villages.iter().map(|v| v.lgd.village).collect();
    let reply = enrol(url, admin, &all, &observer).await;
    let t = transport(url, Some(reply.token));
    sync(
        &observer,
        url,
        &t,
        &SyncOptions::default(),
        &|_: &SyncProgress| {},
        &CancelToken::new(),
    )
    .await
    .expect("the observer syncs");
    let total: usize = by_village.values().map(BTreeMap::len).sum();
    let held = observer.list_households(None, u32::MAX, 0).expect("list");
    assert_eq!(held.len(), total, "the hub holds every household once");
    for s in held {
        let author = by_village
            .get(&s.village_id.expect("a household has a village"))
            .and_then(|m| m.get(&s.id))
            .expect("the hub holds only captured households");
        same(
            &detail(&observer, s.id),
            &detail(&tablets[*author].store, s.id),
            "the hub's copy of a household",
        );
    }
}

/// Panics unless `a` equals `b`, naming the differing fields (not their values: they are
/// names and numbers).
fn same(a: &HouseholdDetail, b: &HouseholdDetail, what: &str) {
    if a == b {
        return;
    }
    let (a, b) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let mut diff = Vec::new();
    differing("", &a, &b, &mut diff);
    panic!("{what} differs from its author's in {diff:?}");
}

fn differing(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()).collect::<BTreeSet<_>>() {
                let (u, v) = (&x.get(k), &y.get(k));
                match (u, v) {
                    (Some(u), Some(v)) => differing(&format!("{path}.{k}"), u, v, out),
                    _ => out.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                differing(&format!("{path}[{i}]"), u, v, out);
            }
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}
