//! Injected faults: unavailable, error500, slow and timeout, with `remaining`, and the
//! "exactly one ABHA after an outage" property tests rely on.

mod common;

use std::time::{Duration, Instant};

use abha_abdm_sim::{Fault, FaultMode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn test_unavailable_counts_down_and_spares_sessions() {
    let api = Api::start(config()).await;
    let r = api
        .admin_post("/faults", json!({"mode": "unavailable", "remaining": 2}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["mode"], "unavailable");
    // Session calls are affected only by timeout, and do not use up the fault.
    let _ = api.session().await;
    for _ in 0..2 {
        let r = api.get(LGD).await;
        assert_eq!(r.status, 503);
        assert_eq!(
            r.body,
            json!({"code": "ABDM-1206", "message": "Aadhaar gateway unavailable"})
        );
    }
    assert_eq!(api.get(LGD).await.status, 200, "fault used up");
}

#[tokio::test]
async fn test_error500_has_an_empty_body_until_cleared() {
    let api = Api::start(config()).await;
    api.sim.set_fault(Fault::new(FaultMode::Error500));
    for _ in 0..3 {
        let r = api.get(LGD).await;
        assert_eq!(r.status, 500);
        assert!(r.text.is_empty(), "{}", r.text);
    }
    let r = api.admin_post("/faults", json!({"mode": "none"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(api.get(LGD).await.status, 200);
    let r = api.admin_post("/faults", json!({"mode": "sideways"})).await;
    assert_code(r.status, &r.body, 400, "SIM-400");
}

#[tokio::test]
async fn test_slow_delays_then_answers() {
    let api = Api::start(config()).await;
    api.sim.set_fault(
        Fault::new(FaultMode::Slow)
            .with_delay_ms(300)
            .with_remaining(1),
    );
    let start = Instant::now();
    let r = api.get(LGD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    let start = Instant::now();
    assert_eq!(api.get(LGD).await.status, 200);
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "fault used up"
    );
}

#[tokio::test]
async fn test_timeout_drops_the_connection_for_sessions_and_abha_calls() {
    let api = Api::start(config()).await;
    let r = api
        .admin_post(
            "/faults",
            json!({"mode": "timeout", "delay_ms": 200, "remaining": 2}),
        )
        .await;
    assert_eq!(r.status, 200);
    let cfg = api.sim.config().clone();
    let start = Instant::now();
    let lost = api
        .session_request(&cfg.client_id, &cfg.client_secret)
        .send()
        .await;
    assert!(lost.is_err(), "no response: {lost:?}");
    assert!(start.elapsed() >= Duration::from_millis(200));
    let start = Instant::now();
    let lost = api.abha(reqwest::Method::GET, LGD).send().await;
    assert!(lost.is_err(), "no response: {lost:?}");
    assert!(start.elapsed() >= Duration::from_millis(200));
    // Used up; the server is still healthy.
    assert_eq!(api.get(LGD).await.status, 200);
    let _ = api.session().await;
    // The lost session was never issued.
    assert_eq!(api.state().await["sessions_issued"], 2);
}

#[tokio::test]
async fn test_exactly_one_abha_after_an_outage() {
    let api = Api::start(config()).await;
    api.sim
        .set_fault(Fault::new(FaultMode::Unavailable).with_remaining(3));
    let mut statuses = Vec::new();
    let number = loop {
        let r = api
            .demo(api.demo_body(ASHA.0, ASHA.1, ASHA.2, "31-01-1990", Some(ASHA.4)))
            .await;
        statuses.push(r.status);
        if r.status == 200 {
            break r.body["ABHAProfile"]["ABHANumber"].clone();
        }
        assert!(statuses.len() < 10, "{statuses:?}");
    };
    assert_eq!(statuses, [503, 503, 503, 200]);
    let state = api.sim.state();
    assert_eq!(state.creations, 1);
    assert_eq!(state.abhas.len(), 1);
    assert_eq!(state.abhas[0].abha_number, number.as_str().expect("number"));
    assert_eq!(state.abhas[0].created_times, 1);
}
