//! ABDM bridge throughput: how many queued demographic-auth requests per second the bridge turns
//! into ABHA numbers against the ABDM simulator with realistic latency, and whether it keeps to
//! a configured ABDM rate limit.
//!
//! Why: on a camp day-end a hub hands in hundreds of requests at once and ABDM is slow (about
//! 150 ms a call) and rate-limited, so the bridge's worth is how close it comes to the ideal
//! `concurrency / latency` without ever being refused. The requests are put straight into a hub
//! store (no tablets), then a [`Bridge`] is driven with `run_once` until every job is final.
//!
//! Scenarios: (1) latency `BRIDGE_LATENCY_MS` (150), no rate limit, concurrency 1, 4, 8: jobs/s,
//! ratio to the ideal, and the bridge's overhead per job over a raw HTTP round trip to the
//! simulator's certificate endpoint at the same latency, measured in the same run; (2) client
//! rate limit 5/s against a simulator enforcing 5/s, concurrency 8, latency 50 ms: jobs/s must
//! stay within 5 * 1.1 over the whole run (start-up burst included, so keep 50 or more
//! `BRIDGE_RATE_JOBS`) and the simulator must refuse nothing (429 `ABDM-1022`). Every request
//! must create exactly one ABHA (`creations == N`). Figures are printed before a check fails.
//!
//! `cargo bench -p abha-hub --bench bridge` (`BRIDGE_JOBS` = 200 jobs per scenario,
//! `BRIDGE_RATE_JOBS` = 50 for the rate-limit scenario, `BRIDGE_LATENCY_MS` to resize;
//! `BRIDGE_SIM_LIMIT` = 5 is the limit the simulator enforces, a one-second fixed window).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use abha_abdm_sim::{Sim, SimConfig, SimHandle};
use abha_core::abdm::{AbdmClient, AbdmConfig, AbdmPaths};
use abha_core::ids::{EnrollmentId, VillageId, WorkerId};
use abha_core::model::{
    ConsentDraft, ConsentMethod, GivenBy, HouseholdDraft, HouseholdForm, MemberDraft,
    NewEnrollment, Route,
};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::Store;
use abha_hub::bridge::{Bridge, BridgeConfig, Opener};
use abha_hub::{Hub, HubConfig, TlsMode};
use tokio::sync::Notify;
use zeroize::Zeroizing;

const DEMO_PUBLIC: &str = include_str!("../../fixtures/demo-sealing/public.pem");
/// States of a request ABDM has not answered yet (as the bridge's job table counts them).
const OPEN: &str = "('captured', 'queued', 'received', 'submitting', 'retry_later')";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Puts one household with one member (sealed Aadhaar), a consent and a demo-auth request into
/// the hub's store, as if a tablet had handed it in. `i` makes the Aadhaar number and mobile
/// unique (the simulator allows 6 ABHAs per mobile).
fn queue(store: &Store, sealer: &AadhaarSealer, village: VillageId, i: u64) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(village),
            address: format!("Ward {}", i % 20),
            ..Default::default()
        },
        members: vec![MemberDraft {
            given_name: "Asha".into(),
            family_name: Some("Devi".into()),
            gender: "F".into(),
            birth_date: "1990-01-31".into(),
            relation: "head".into(),
            mobile: Some(format!("9{:09}", i)),
            aadhaar: Some(Zeroizing::new(abha_core::demo::aadhaar(i))),
            ..Default::default()
        }],
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form
        .check(today)
        .unwrap()
        .value
        .seal(Some(sealer), None)
        .unwrap();
    let member = new.members[0].id;
    store.create_household(&new).unwrap();
    let consent = ConsentDraft {
        member_id: member,
        version: "1.4".into(),
        language: "hi".into(),
        given_by: GivenBy::Beneficiary,
        guardian_name: None,
        method: ConsentMethod::Thumbprint,
        operator_id: WorkerId::new(),
        text_shown: "consent text v1.4".into(),
    }
    .validate()
    .unwrap();
    let e = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: member,
        route: Route::DemoAuth,
        consent_id: store.record_consent(&consent).unwrap(),
        attempt_of: None,
    };
    store.request_enrollment(&e, None).unwrap();
}

/// (requests ABDM has not answered, requests created) over the whole store.
fn counts(store: &Store) -> (i64, i64) {
    store
        .read(|c| {
            Ok(c.query_row(
                &format!(
                    "SELECT COALESCE(SUM(state IN {OPEN}), 0), COALESCE(SUM(state = 'created'), 0)
                       FROM enrollments WHERE deleted = 0"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap()
}

fn sim_config(latency_ms: u64, rate_limit_per_sec: u32) -> SimConfig {
    SimConfig {
        latency_ms,
        rate_limit_per_sec,
        accept_unknown: true,
        ..SimConfig::default()
    }
}

fn abdm_config(sim: &SimHandle, rate_limit_per_sec: f64) -> AbdmConfig {
    AbdmConfig {
        gateway_base: sim.gateway_base(),
        abha_base: sim.abha_base(),
        client_id: SimConfig::default().client_id,
        client_secret: SimConfig::default().client_secret,
        benefit_name: Some("ABHA_FIELD".into()),
        rate_limit_per_sec,
        retry_base: Duration::from_millis(20),
        ..AbdmConfig::default()
    }
}

/// Mean time of a raw round trip to the simulator's certificate endpoint (an ABHA call, so it
/// carries the same added latency), with a valid token: what one call costs without the bridge.
async fn raw_round_trip(latency_ms: u64, rounds: u32) -> Duration {
    let sim = Sim::start(sim_config(latency_ms, 0)).await.unwrap();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(abha_core::sync::client::tls_config(None).unwrap())
        .build()
        .unwrap();
    let paths = AbdmPaths::default();
    let headed = |r: reqwest::RequestBuilder| {
        r.header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
            .header(
                "TIMESTAMP",
                abha_core::abdm::client::timestamp(time::OffsetDateTime::now_utc()),
            )
            .header("X-CM-ID", "sbx")
    };
    let cfg = SimConfig::default();
    let session: serde_json::Value = headed(http.post(format!("{}{}", sim.gateway_base(), paths.sessions)))
        .json(&serde_json::json!({"clientId": cfg.client_id, "clientSecret": cfg.client_secret, "grantType": "client_credentials"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", session["accessToken"].as_str().unwrap());
    let url = format!("{}{}", sim.abha_base(), paths.certificate);
    let mut total = Duration::ZERO;
    for i in 0..=rounds {
        let t = Instant::now();
        let resp = headed(http.get(&url))
            .header("Authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.bytes().await.unwrap();
        if i > 0 {
            total += t.elapsed(); // the first opens the connection
        }
    }
    total / rounds
}

struct Run {
    secs: f64,
    jobs_per_s: f64,
    requests: u64,
    rate_limited: u64,
    retries: u64,
}

/// Queues `n` fresh requests, then drives a new bridge until every job is final.
async fn run(
    hub: &Hub,
    next: &mut u64,
    n: u64,
    concurrency: usize,
    latency_ms: u64,
    client_rate: f64,
    sim_rate: u32,
) -> Run {
    let sim = Sim::start(sim_config(latency_ms, sim_rate)).await.unwrap();
    let store = hub.store.clone().expect("SQLite hub");
    let sealer = AadhaarSealer::new(
        SealingKey::parse(DEMO_PUBLIC).unwrap(),
        TokenKey::from_bytes([0x5a; 32]),
    );
    let village = VillageId::from_lgd(abha_core::demo::villages()[0].lgd.village);
    let (open, created_before) = counts(&store);
    assert_eq!(open, 0, "an earlier scenario left work");
    for _ in 0..n {
        queue(&store, &sealer, village, *next);
        *next += 1;
    }
    let bridge = Arc::new(Bridge::new(
        store.clone(),
        AbdmClient::new(abdm_config(&sim, client_rate)).unwrap(),
        Opener::from_pem(&hub.keys.sealing_private_pem).unwrap(),
        BridgeConfig {
            concurrency,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(500),
            poll_every: Duration::from_millis(10),
            systemic_pause: Duration::from_millis(200),
            lgd_every: Duration::from_secs(3600),
        },
        Arc::new(Notify::new()),
    ));
    let start = Instant::now();
    loop {
        let ran = bridge.run_once().await.unwrap();
        if counts(&store).0 == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "bridge stuck");
        if ran == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let st = sim.state();
    let created = counts(&store).1 - created_before;
    assert_eq!(created, n as i64, "every request ends created");
    assert_eq!(st.creations, n, "exactly one ABHA per request");
    Run {
        secs,
        jobs_per_s: n as f64 / secs,
        requests: st.requests,
        rate_limited: st.rate_limited,
        retries: bridge.stats().retries,
    }
}

fn main() {
    let n: u64 = env_or("BRIDGE_JOBS", 200);
    let n_rate: u64 = env_or("BRIDGE_RATE_JOBS", 50);
    let latency_ms: u64 = env_or("BRIDGE_LATENCY_MS", 150);
    let sim_limit: u32 = env_or("BRIDGE_SIM_LIMIT", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open(HubConfig {
            data_dir: dir.path().join("hub"),
            tls: TlsMode::Off,
            demo_keys: true,
            ..HubConfig::default()
        })
        .unwrap();
        for v in abha_core::demo::villages() {
            hub.sqlite().unwrap().put_village(&v.validate().unwrap()).unwrap();
        }
        let mut next = 1;

        let rtt = raw_round_trip(latency_ms, 20).await;
        let rtt_ms = rtt.as_secs_f64() * 1e3;
        println!(
            "baseline: raw round trip to the simulator's certificate endpoint at {latency_ms} ms latency: {rtt_ms:.1} ms ({:.1} ms over the latency)",
            rtt_ms - latency_ms as f64
        );
        let mut summary = Vec::new();
        for c in [1usize, 4, 8] {
            let r = run(&hub, &mut next, n, c, latency_ms, 0.0, 0).await;
            let ideal = c as f64 * 1e3 / latency_ms as f64;
            // Time one job holds one of the `c` slots, less a raw call's.
            let per_job_ms = r.secs * 1e3 * c as f64 / n as f64;
            println!(
                "bridge c={c}: {n} jobs in {:.2} s = {:.2} jobs/s; ideal c/latency {ideal:.2} jobs/s: ratio {:.2}; vs c/raw round trip {:.2}; slot time per job {per_job_ms:.1} ms = overhead {:.1} ms over a raw round trip; {} ABDM calls ({:.3}/job), {} retries",
                r.secs,
                r.jobs_per_s,
                r.jobs_per_s / ideal,
                r.jobs_per_s / (c as f64 * 1e3 / rtt_ms),
                per_job_ms - rtt_ms,
                r.requests,
                r.requests as f64 / n as f64,
                r.retries
            );
            summary.push(format!(
                "\"c{c}_jobs_per_s\":{:.2},\"c{c}_ratio\":{:.3}",
                r.jobs_per_s,
                r.jobs_per_s / ideal
            ));
        }

        let limit = 5.0;
        let r = run(&hub, &mut next, n_rate, 8, 50, limit, sim_limit).await;
        let extra = r.requests.saturating_sub(n_rate + 2);
        println!(
            "rate limit: client {limit}/s, simulator enforcing {sim_limit}/s, c=8, 50 ms latency: {n_rate} jobs in {:.2} s = {:.2} jobs/s (bound {:.2}); {} ABDM calls ({extra} beyond one per job + session + certificate), {} refused with 429, {} bridge retries",
            r.secs,
            r.jobs_per_s,
            limit * 1.1,
            r.requests,
            r.rate_limited,
            r.retries
        );
        println!(
            "{{\"bench\":\"abdm_bridge\",\"jobs\":{n},\"latency_ms\":{latency_ms},\"raw_rtt_ms\":{rtt_ms:.2},{},\"rate_limit\":{limit},\"sim_limit\":{sim_limit},\"rate_jobs_per_s\":{:.2},\"rate_limited\":{}}}",
            summary.join(","),
            r.jobs_per_s,
            r.rate_limited
        );
        // Checked after the figures are printed, so a failing run still reports them.
        assert!(
            r.jobs_per_s <= limit * 1.1,
            "rate limit exceeded: {:.2} jobs/s",
            r.jobs_per_s
        );
        assert_eq!(
            r.rate_limited, 0,
            "ABDM refused calls: the client did not space them"
        );
    });
}
