//! Scan and Share's callback end to end over real HTTP on 127.0.0.1: the ABDM simulator plays
//! the gateway (it signs the callback's JWT, publishes its keys and records the on-share
//! replies) and the hub issues tokens: numbers, rescans, expiry, refused tokens, envelope and
//! content errors, key rotation, an unconfigured or PostgreSQL hub, and logs without the profile.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use abha_abdm_sim::{JwtMode, ScanRequest, Sim, SimConfig};
use abha_hub::registry::Role;
use common::abdm::abdm_config;
use common::share::*;
use common::{RunningHub, Tablet, V1};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn test_scan_gets_a_token_through_on_share_and_a_rescan_the_same() {
    let c = camp().await;
    let out = scan(&c.sim, at("OPD1", "asha.devi@sbx")).await;
    assert_eq!(out.status, 202);
    let body = on_share_for(&c.sim, &out.request_id).await;
    let ack = &body["acknowledgement"];
    assert_eq!(ack["status"], "SUCCESS");
    assert_eq!(ack["abhaAddress"], "asha.devi@sbx");
    assert_eq!(ack["profile"]["context"], "OPD1");
    assert_eq!(ack["profile"]["tokenNumber"], "1");
    let expiry: u64 = ack["profile"]["expiry"].as_str().unwrap().parse().unwrap();
    assert!((1790..=1800).contains(&expiry), "seconds left: {expiry}");
    assert!(body.get("error").is_none());

    assert_eq!(
        token_of(&c, at("OPD1", "asha.devi@sbx")).await,
        "1",
        "a rescan"
    );
    assert_eq!(
        token_of(&c, at("OPD1", "ravi@sbx")).await,
        "2",
        "another address"
    );
    assert_eq!(
        token_of(&c, at("OPD2", "asha.devi@sbx")).await,
        "1",
        "another counter"
    );
    assert_eq!(
        token_of(&c, at("OPD1", "ASHA.DEVI@sbx")).await,
        "1",
        "case of the address"
    );
}

#[tokio::test]
async fn test_after_expiry_a_rescan_gets_a_new_token() {
    let c = camp_with(share_config(Duration::from_millis(800))).await;
    assert_eq!(token_of(&c, at("OPD1", "asha@sbx")).await, "1");
    assert_eq!(token_of(&c, at("OPD1", "asha@sbx")).await, "1");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(token_of(&c, at("OPD1", "asha@sbx")).await, "2");
    assert_eq!(token_of(&c, at("OPD1", "ravi@sbx")).await, "3");
}

#[tokio::test]
async fn test_invalid_or_absent_jwt_is_refused_and_no_on_share_is_sent() {
    let c = camp().await;
    for mode in [
        JwtMode::BadSignature,
        JwtMode::UnknownKid,
        JwtMode::Expired,
        JwtMode::Garbage,
        JwtMode::Missing,
    ] {
        let out = scan(
            &c.sim,
            ScanRequest {
                jwt: mode,
                ..at("OPD1", "asha@sbx")
            },
        )
        .await;
        assert_eq!(out.status, 401, "{mode:?}");
        assert_eq!(out.reply["code"], "share.unauthenticated", "{mode:?}");
        assert_eq!(out.reply["field"], "Authorization");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        on_shares(&c.sim).await.is_empty(),
        "no on-share for a refused token"
    );
    let rows: i64 = c
        .hub
        .store()
        .read(|db| Ok(db.query_row("SELECT COUNT(*) FROM hub_shares", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(rows, 0, "no token issued");
    // A valid token after all that still works.
    assert_eq!(token_of(&c, at("OPD1", "asha@sbx")).await, "1");
}

#[tokio::test]
async fn test_a_rotated_gateway_key_is_fetched_on_its_unknown_kid() {
    let c = camp().await;
    assert_eq!(token_of(&c, at("OPD1", "a@sbx")).await, "1");
    let r = http()
        .post(format!("{}/_sim/share/rotate-key", c.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::sleep(abha_hub::share::jwt::REFETCH_MIN + Duration::from_millis(100)).await;
    assert_eq!(token_of(&c, at("OPD1", "b@sbx")).await, "2");
}

#[tokio::test]
async fn test_envelope_problems_are_structured_400s_without_on_share() {
    let c = camp().await;
    let other_hip = scan(
        &c.sim,
        ScanRequest {
            hip_id_header: Some("IN9999999999".into()),
            ..at("OPD1", "asha@sbx")
        },
    )
    .await;
    assert_eq!(other_hip.status, 400);
    assert_eq!(other_hip.reply["code"], "share.hip_mismatch");
    assert_eq!(other_hip.reply["field"], "X-HIP-ID");
    let not_json = scan(
        &c.sim,
        ScanRequest {
            raw_body: Some("{\"intent\": PROFILE".into()),
            ..at("OPD1", "asha@sbx")
        },
    )
    .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.reply["code"], "share.bad_body");
    assert_eq!(not_json.reply["field"], "body");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(on_shares(&c.sim).await.is_empty());
}

#[tokio::test]
async fn test_bad_content_gets_an_error_on_share() {
    let c = camp().await;
    let cases: Vec<(ScanRequest, &str)> = vec![
        (at("LAB9", "asha@sbx"), "share.counter_unknown"),
        (
            ScanRequest {
                url: format!("{BASE}?hip-id={HIP}"),
                ..at("OPD1", "asha@sbx")
            },
            "share.counter_missing",
        ),
        (
            ScanRequest {
                patient: Some(json!({"abhaAddress": null})),
                ..at("OPD1", "asha@sbx")
            },
            "share.missing",
        ),
        (
            ScanRequest {
                body: Some(json!([1, 2, 3])),
                ..at("OPD1", "asha@sbx")
            },
            "share.invalid",
        ),
        (
            ScanRequest {
                body: Some(json!({"intent": "CONSENT", "metaData": {"context": "OPD1"},
                    "profile": {"patient": {"abhaAddress": "asha@sbx"}}})),
                ..at("OPD1", "asha@sbx")
            },
            "share.intent_unsupported",
        ),
    ];
    for (req, code) in cases {
        let out = scan(&c.sim, req).await;
        assert_eq!(out.status, 202, "{code}: content is answered by on-share");
        let body = on_share_for(&c.sim, &out.request_id).await;
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body.get("acknowledgement").is_none());
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("asha"),
            "no value in the message: {message}"
        );
    }
    // None of them took a number: the first good scan is token 1.
    assert_eq!(token_of(&c, at("OPD1", "asha@sbx")).await, "1");
}

#[tokio::test]
async fn test_hub_without_share_config_or_on_postgres_refuses_cleanly() {
    let sim = Sim::start(SimConfig {
        key_bits: 1024,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let abdm = abdm_config(&sim);
    let hub = RunningHub::start_with(dir.path(), false, None, move |c| c.abdm = Some(abdm)).await;
    sim.set_bridge_url(&hub.url);
    let out = scan(&sim, at("OPD1", "asha@sbx")).await;
    assert_eq!(
        (out.status, out.reply["code"].as_str()),
        (503, Some("share.not_configured"))
    );
    let (s, v) = get(&hub, &hub.token(Role::Worker), "/v1/share/profiles").await;
    assert_eq!(
        (s, v["configured"].as_bool()),
        (StatusCode::OK, Some(false))
    );

    let Some(url) = common::pg::fresh_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pg = RunningHub::start_with(dir.path(), false, None, move |c| {
        c.database = abha_hub::storage::Database::Postgres(url);
    })
    .await;
    let r = http()
        .post(format!("{}/api/v3/hip/patient/share", pg.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    let (s, v) = get(&pg, &pg.token(Role::Worker), "/v1/share/profiles").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_IMPLEMENTED, Some("unavailable.backend"))
    );
}

/// A `Write` into a shared buffer, for the tracing subscriber.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Only this test installs the global subscriber; no other test depends on logs.
#[tokio::test]
async fn test_no_shared_personal_data_in_logs_at_trace() {
    let buf = LogBuffer::default();
    let writer = buf.clone();
    let installed = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init();
    assert!(installed.is_ok(), "the only subscriber of this binary");
    let c = camp().await;
    let person = json!({"name": "Parveena Akhter", "phoneNumber": "9822233344",
        "yearOfBirth": "1968", "abhaNumber": "91-7731-0562-8804",
        "address": {"line": "Gulshan Mohalla", "pincode": "190011"}});
    let good = ScanRequest {
        patient: Some(person.clone()),
        ..at("OPD1", "parveena.akhter@sbx")
    };
    token_of(&c, good.clone()).await;
    token_of(&c, good.clone()).await;
    let unknown = scan(
        &c.sim,
        ScanRequest {
            url: qr("LAB9"),
            ..good.clone()
        },
    )
    .await;
    on_share_for(&c.sim, &unknown.request_id).await;
    let refused = scan(
        &c.sim,
        ScanRequest {
            jwt: JwtMode::BadSignature,
            ..good.clone()
        },
    )
    .await;
    assert_eq!(refused.status, 401);
    let dir = tempfile::tempdir().unwrap();
    let tablet = Tablet::enrol(dir.path(), "t1", &c.hub, &[V1]).await;
    let (_, v) = get(&c.hub, &tablet.token, "/v1/share/profiles").await;
    let id = v["profiles"][0]["id"].as_str().unwrap().to_string();
    post(
        &c.hub,
        &tablet.token,
        &format!("/v1/share/profiles/{id}/dismiss"),
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned();
    assert!(logs.contains("token issued"), "the logs were captured");
    for pii in [
        "Parveena",
        "Akhter",
        "parveena",
        "9822233344",
        "1968",
        "7731",
        "Gulshan",
        "190011",
    ] {
        assert!(!contains_token(&logs, pii), "{pii} in the logs");
    }
}

/// Whether `needle` occurs in `hay` as a whole token: short numbers (a birth year, last four
/// digits) also occur by chance inside the hex of request ids and uuids, which is not a leak.
fn contains_token(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}
