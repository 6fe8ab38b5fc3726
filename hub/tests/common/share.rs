//! Scan and Share helpers for `share.rs` and `share_tablet.rs`: a camp hub with Scan and Share
//! pointed at the ABDM simulator (which plays the gateway and calls the hub back), scans through
//! the simulator's admin endpoint, and the on-share replies it recorded. All real HTTP.

use std::time::Duration;

use abha_abdm_sim::{GATEWAY_ISSUER, ScanOutcome, ScanRequest, Sim, SimConfig, SimHandle};
use abha_core::abdm::ShareConfig;
use abha_core::abdm::share::counter_url;
use reqwest::StatusCode;
use serde_json::Value;

use super::RunningHub;
use super::abdm::{abdm_config, quick_bridge};

pub const HIP: &str = "IN0110000001";
pub const BASE: &str = "https://phrsbx.abdm.gov.in/share-profile";

pub fn share_config(validity: Duration) -> ShareConfig {
    ShareConfig {
        hip_id: Some(HIP.into()),
        counters: vec!["OPD1".into(), "OPD2".into()],
        token_validity: validity,
        jwt_issuer: Some(GATEWAY_ISSUER.into()),
        ..ShareConfig::default()
    }
}

pub struct Camp {
    pub _dir: tempfile::TempDir,
    pub sim: SimHandle,
    pub hub: RunningHub,
}

pub async fn camp_with(share: ShareConfig) -> Camp {
    let sim = Sim::start(SimConfig {
        key_bits: 1024,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut abdm = abdm_config(&sim);
    abdm.share = share;
    let hub = RunningHub::start_with(dir.path(), false, None, move |c| {
        c.abdm = Some(abdm);
        c.bridge = quick_bridge();
    })
    .await;
    sim.set_bridge_url(&hub.url);
    Camp {
        _dir: dir,
        sim,
        hub,
    }
}

pub async fn camp() -> Camp {
    camp_with(share_config(Duration::from_secs(1800))).await
}

pub fn qr(counter: &str) -> String {
    counter_url(BASE, HIP, counter).unwrap()
}

pub fn http() -> reqwest::Client {
    super::http_client()
}

/// A scan through the simulator's admin endpoint (real HTTP).
pub async fn scan(sim: &SimHandle, req: ScanRequest) -> ScanOutcome {
    let r = http()
        .post(format!("{}/_sim/share/scan", sim.base_url()))
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the simulator scanned");
    r.json().await.unwrap()
}

pub fn at(counter: &str, address: &str) -> ScanRequest {
    ScanRequest {
        url: qr(counter),
        abha_address: address.into(),
        ..ScanRequest::default()
    }
}

pub async fn on_shares(sim: &SimHandle) -> Vec<Value> {
    let r = http()
        .get(format!("{}/_sim/share/on-share", sim.base_url()))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

/// The on-share answering `request_id`, as the simulator recorded it.
pub async fn on_share_for(sim: &SimHandle, request_id: &str) -> Value {
    for _ in 0..400 {
        let found = on_shares(sim)
            .await
            .into_iter()
            .find(|r| r["body"]["response"]["requestId"] == request_id);
        if let Some(r) = found {
            assert_eq!(r["valid"], true, "the documented shape: {r}");
            assert_eq!(r["hip_id"], HIP);
            return r["body"].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no on-share for {request_id}");
}

/// Scans and returns the token the on-share carried.
pub async fn token_of(camp: &Camp, req: ScanRequest) -> String {
    let out = scan(&camp.sim, req).await;
    assert_eq!(out.status, 202, "{:?}", out.reply);
    let body = on_share_for(&camp.sim, &out.request_id).await;
    body["acknowledgement"]["profile"]["tokenNumber"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn get(hub: &RunningHub, token: &str, path: &str) -> (StatusCode, Value) {
    let r = http()
        .get(format!("{}{path}", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

pub async fn post(
    hub: &RunningHub,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = http().post(format!("{}{path}", hub.url)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}
