//! The gateway side of Scan and Share over real HTTP on 127.0.0.1: the bridge URL, the scan's
//! callback to a stand-in HIP (its JWT verified here with OpenSSL against the published JWKS),
//! and the recording of on-share replies.

mod common;

use std::sync::{Arc, Mutex};

use abha_abdm_sim::{JwtMode, ScanOutcome, ScanRequest};
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Api, abdm_headers, config, send};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use serde_json::{Value, json};

type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A HIP that records each callback and answers 202.
async fn hip() -> (String, Seen) {
    let seen: Seen = Arc::default();
    async fn share(
        State(seen): State<Seen>,
        headers: HeaderMap,
        body: String,
    ) -> axum::http::StatusCode {
        let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
        seen.lock().expect("lock").push((headers, v));
        axum::http::StatusCode::ACCEPTED
    }
    let app = axum::Router::new()
        .route(abha_abdm_sim::SHARE_PATH, axum::routing::post(share))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, seen)
}

/// Verifies a compact RS256 JWS against a JWKS; returns its claims when valid.
fn verify(token: &str, jwks: &Value) -> Option<Value> {
    let (input, sig) = token.rsplit_once('.')?;
    let (head, claims) = input.split_once('.')?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).ok()?).ok()?;
    let jwk = jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == header["kid"])?;
    let bn = |k: &str| BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk[k].as_str()?).ok()?).ok();
    let key = PKey::from_rsa(Rsa::from_public_components(bn("n")?, bn("e")?).ok()?).ok()?;
    let mut v = Verifier::new(MessageDigest::sha256(), &key).ok()?;
    v.update(input.as_bytes()).ok()?;
    v.verify(&URL_SAFE_NO_PAD.decode(sig).ok()?)
        .ok()?
        .then_some(())?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
}

async fn scan(api: &Api, req: &ScanRequest) -> ScanOutcome {
    let r = send(
        api.http
            .post(format!("{}/_sim/share/scan", api.sim.base_url()))
            .json(req),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    serde_json::from_value(r.body).expect("outcome")
}

#[tokio::test]
async fn test_scan_calls_the_bridge_with_a_verifiable_jwt_and_the_observed_body() {
    let api = Api::start(config()).await;
    let (url, seen) = hip().await;
    let bridge = format!("{}/gateway/v3/bridge/url", api.sim.gateway_base());
    let r = send(abdm_headers(api.http.patch(&bridge)).json(&json!({"url": url}))).await;
    assert_eq!(r.status, 401, "the bridge URL needs a session token");
    let r = send(
        abdm_headers(api.http.patch(&bridge))
            .bearer_auth(&api.token)
            .json(&json!({"url": url})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let jwks = send(abdm_headers(
        api.http
            .get(format!("{}/gateway/v3/certs", api.sim.gateway_base())),
    ))
    .await;
    assert_eq!(jwks.status, 200);

    let qr = "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN0110000001&counter-id=OPD1";
    let req = ScanRequest {
        url: qr.into(),
        abha_address: "asha@sbx".into(),
        ..ScanRequest::default()
    };
    let out = scan(&api, &req).await;
    assert_eq!(out.status, 202);
    let (headers, body) = seen.lock().expect("lock").pop().expect("called");
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(h("request-id"), out.request_id);
    assert_eq!(h("x-hip-id"), "IN0110000001");
    assert!(h("timestamp").ends_with('Z'));
    let token = h("authorization")
        .strip_prefix("Bearer ")
        .expect("bearer")
        .to_string();
    let claims = verify(&token, &jwks.body).expect("signed by a published key");
    assert_eq!(claims["iss"], abha_abdm_sim::GATEWAY_ISSUER);
    assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
    assert_eq!(body["intent"], "PROFILE_SHARE");
    assert_eq!(body["metaData"]["context"], "OPD1");
    let p = &body["profile"]["patient"];
    assert_eq!(p["abhaAddress"], "asha@sbx");
    assert!(p["abhaNumber"].is_null() && p["yearOfBirth"].is_string());
    assert!(p["address"]["pincode"].is_string());

    for (mode, valid) in [
        (JwtMode::BadSignature, false),
        (JwtMode::UnknownKid, false),
        (JwtMode::Expired, true),
    ] {
        scan(
            &api,
            &ScanRequest {
                jwt: mode,
                ..req.clone()
            },
        )
        .await;
        let (headers, _) = seen.lock().expect("lock").pop().expect("called");
        let t = headers["authorization"]
            .to_str()
            .expect("ascii")
            .trim_start_matches("Bearer ")
            .to_string();
        assert_eq!(verify(&t, &jwks.body).is_some(), valid, "{mode:?}");
    }
    scan(
        &api,
        &ScanRequest {
            jwt: JwtMode::Missing,
            ..req.clone()
        },
    )
    .await;
    assert!(
        seen.lock()
            .expect("lock")
            .pop()
            .expect("called")
            .0
            .get("authorization")
            .is_none()
    );
}

#[tokio::test]
async fn test_on_share_replies_are_checked_and_recorded() {
    let api = Api::start(config()).await;
    let path = format!("{}/patient-share/v3/on-share", api.sim.gateway_base());
    let good = json!({"acknowledgement": {"abhaAddress": "asha@sbx", "status": "SUCCESS",
        "profile": {"context": "OPD1", "tokenNumber": "1", "expiry": "1799"}},
        "response": {"requestId": "5f2c0e1a-0000-4000-8000-000000000001"}});
    let r = send(abdm_headers(api.http.post(&path)).json(&good)).await;
    assert_eq!(r.status, 401, "needs a session token");
    let r = send(
        abdm_headers(api.http.post(&path))
            .bearer_auth(&api.token)
            .header("X-HIP-ID", "IN0110000001")
            .json(&good),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let both =
        json!({"acknowledgement": {}, "error": {"code": "x"}, "response": {"requestId": "r"}});
    let r = send(
        abdm_headers(api.http.post(&path))
            .bearer_auth(&api.token)
            .json(&both),
    )
    .await;
    assert_eq!(r.status, 400);
    let seen = api.sim.on_shares();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[0].valid, seen[0].hip_id.as_deref()),
        (true, Some("IN0110000001"))
    );
    assert_eq!(seen[0].body, good);
    assert!(!seen[1].valid);
}
