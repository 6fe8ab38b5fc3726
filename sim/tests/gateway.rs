//! Gateway session, certificate, credential lock-out, token expiry and the two ways to start
//! the simulator.

mod common;

use std::time::Duration;

use abha_abdm_sim::{ENCRYPTION_ALGORITHM, Sim, SimConfig};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn test_session_and_certificate() {
    let api = Api::start(config()).await;
    let cfg = api.sim.config().clone();
    let r = send(api.session_request(&cfg.client_id, &cfg.client_secret)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["expiresIn"], 1200);
    assert_eq!(r.body["refreshExpiresIn"], 1800);
    assert_eq!(r.body["tokenType"], "bearer");
    assert!(
        r.body["refreshToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let token = r.body["accessToken"].as_str().expect("token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT-shaped: {token}");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    assert_eq!(claims["sub"], cfg.client_id);

    let r = api.get(CERTIFICATE).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["encryptionAlgorithm"],
        "RSA/ECB/OAEPWithSHA-1AndMGF1Padding"
    );
    assert_eq!(ENCRYPTION_ALGORITHM, "RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
    let key = r.body["publicKey"].as_str().expect("publicKey");
    assert!(
        !key.contains("BEGIN") && !key.contains('\n'),
        "no PEM armour"
    );
    let der = STANDARD.decode(key).expect("base64 DER");
    assert_eq!(der, api.sim.public_key_der());
    let pkey = openssl::pkey::PKey::public_key_from_der(&der).expect("SPKI");
    assert_eq!(pkey.bits(), 1024);
    assert!(api.sim.private_key_pem().contains("PRIVATE KEY"));

    let wrong_cm = id_and_time(api.abha_bare(Method::GET, CERTIFICATE))
        .bearer_auth(&api.token)
        .header("X-CM-ID", "abdm");
    let r = send(wrong_cm).await;
    assert_code(r.status, &r.body, 400, "ABDM-1017");
    assert_eq!(r.body["message"], "Invalid X-CM-ID");
    let no_cm = id_and_time(api.abha_bare(Method::GET, CERTIFICATE)).bearer_auth(&api.token);
    let r = send(no_cm).await;
    assert_code(r.status, &r.body, 400, "ABDM-1017");

    let url = format!("{}{CERTIFICATE}", api.sim.abha_base());
    let r = send(abdm_headers(api.http.get(url))).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"code": "900901", "message": "Invalid Credentials", "description": "Invalid JWT token"})
    );
    // The fixture's session plus this test's.
    assert_eq!(api.state().await["sessions_issued"], 2);
}

#[tokio::test]
async fn test_session_refusals() {
    let api = Api::start(config()).await;
    let r = send(api.session_request("someone", "else")).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error": {"code": "ABDM-1001", "message": "Invalid user credentials"}})
    );
    let url = api.session_url();
    let r = send(abdm_headers(api.http.post(&url)).body("{not json")).await;
    assert_code(r.status, &r.body, 400, "ABDM-1000");
    let body = json!({"clientId": "a", "clientSecret": "b"});
    let r = send(abdm_headers(api.http.post(&url)).json(&body)).await;
    assert_code(r.status, &r.body, 400, "ABDM-1000");
    let good = json!({"clientId": "a", "clientSecret": "b", "grantType": "client_credentials"});
    let r = send(id_and_time(api.http.post(&url)).json(&good)).await;
    assert_code(r.status, &r.body, 400, "ABDM-1017");
}

#[tokio::test]
async fn test_lockout_after_eight_consecutive_failures() {
    let api = Api::start(SimConfig {
        lock_secs: 1,
        ..config()
    })
    .await;
    let cfg = api.sim.config().clone();
    for _ in 0..7 {
        let r = send(api.session_request(&cfg.client_id, "wrong")).await;
        assert_eq!(r.status, 401);
    }
    // Seven failures do not lock, and a success resets the count.
    assert_eq!(
        send(api.session_request(&cfg.client_id, &cfg.client_secret))
            .await
            .status,
        200
    );
    for _ in 0..8 {
        let r = send(api.session_request(&cfg.client_id, "wrong")).await;
        assert_eq!(r.status, 401);
    }
    let r = send(api.session_request(&cfg.client_id, &cfg.client_secret)).await;
    assert_eq!(r.status, 401, "locked even with the right secret");
    assert_eq!(r.body["error"]["code"], "ABDM-1001");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = send(api.session_request(&cfg.client_id, &cfg.client_secret)).await;
    assert_eq!(r.status, 200, "lock lifted after lock_secs: {}", r.text);
}

#[tokio::test]
async fn test_expire_tokens_gives_401() {
    let mut api = Api::start(config()).await;
    assert_eq!(api.get(LGD).await.status, 200);
    let r = api.admin_post("/expire-tokens", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["expired"], 1);
    let r = api.get(LGD).await;
    assert_code(r.status, &r.body, 401, "900901");
    api.token = api.session().await;
    assert_eq!(api.get(LGD).await.status, 200);
    assert_eq!(api.sim.expire_tokens(), 1);
    assert_eq!(api.get(LGD).await.status, 401);
}

#[tokio::test]
async fn test_token_expires_after_ttl() {
    let api = Api::start(SimConfig {
        token_ttl_secs: 1,
        ..config()
    })
    .await;
    assert_eq!(api.get(LGD).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get(LGD).await.status, 401);
}

#[test]
fn test_start_blocking_serves_sync_callers_and_stops_on_drop() {
    let sim = Sim::start_blocking(config()).expect("starts");
    sim.add_residents(&[resident(ASHA)]).expect("resident");
    assert!(
        sim.add_residents(&[resident(("1", "x", "F", "1990", "9876543210"))])
            .is_err()
    );
    let base = sim.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(sim.gateway_base(), format!("{base}/api/hiecm"));
    assert_eq!(sim.abha_base(), format!("{base}/abha/api"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{base}/_sim/state");
    let status = rt.block_on(async { send(http().get(&url)).await.status });
    assert_eq!(status, 200);
    assert_eq!(sim.state().requests, 0, "admin calls are not ABDM calls");
    drop(sim);
    let gone = rt.block_on(async { http().get(&url).send().await });
    assert!(gone.is_err(), "server stopped with its handle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_start_blocking_inside_a_runtime() {
    let sim = tokio::task::spawn_blocking(|| Sim::start_blocking(config()))
        .await
        .expect("join")
        .expect("starts");
    let r = send(http().get(format!("{}/_sim/state", sim.base_url()))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sessions_issued"], 0);
    tokio::task::spawn_blocking(move || sim.shutdown())
        .await
        .expect("join");
}
