//! `POST /_sim/share/scan`: what happens when a person's PHR app scans a counter QR code. The
//! simulator reads `hip-id` and `counter-id` from the QR URL, builds the profile-share body
//! abdm.md §4 shows as observed (birth parts as strings, `pincode` in lower case, `abhaNumber`
//! null when there is none), signs a gateway JWT and calls the registered bridge URL's
//! `/api/v3/hip/patient/share`, as the gateway would.
//!
//! The profile is the simulator's own record of that ABHA address when it created it (name,
//! gender, birth, mobile of the resident), else a fixed test person; `patient` in the request
//! overrides any field. For tests of the HIP's refusals, `jwt` breaks the token (see
//! [`JwtMode`]), `body` replaces the whole body, `raw_body` sends text that is not JSON and
//! `hip_id_header` sends another `X-HIP-ID`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::jwt::{JwtMode, SigningKey};
use crate::reply::{ApiError, header_timestamp};
use crate::world::World;

/// Path of the HIP callback under the bridge URL.
pub const SHARE_PATH: &str = "/api/v3/hip/patient/share";

/// A scan to simulate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanRequest {
    /// The counter QR code's URL (`...share-profile?hip-id=..&counter-id=..`).
    pub url: String,
    /// The ABHA address of the person scanning.
    pub abha_address: String,
    /// Patient fields (camelCase, as on the wire) that replace the simulator's.
    #[serde(default)]
    pub patient: Option<Value>,
    /// How the callback is authenticated.
    #[serde(default)]
    pub jwt: JwtMode,
    /// A whole body to send instead of the one built.
    #[serde(default)]
    pub body: Option<Value>,
    /// Text sent verbatim as the body (not JSON).
    #[serde(default)]
    pub raw_body: Option<String>,
    /// Another `X-HIP-ID` than the QR code's.
    #[serde(default)]
    pub hip_id_header: Option<String>,
}

/// What the HIP answered the callback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanOutcome {
    /// The callback's `REQUEST-ID` (the on-share must answer it).
    pub request_id: String,
    /// The HIP's HTTP status.
    pub status: u16,
    /// Its body: JSON, or the text, or null when empty.
    pub reply: Value,
}

fn http() -> Result<&'static reqwest::Client, ApiError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| client_trusting(None))
        .as_ref()
        .map_err(|e| ApiError::Admin(format!("HTTP client: {e}")))
}

/// The gateway's HTTP client: the Web PKI roots, and `extra_pem` (certificates in PEM) if given,
/// so a camp hub serving with its own self-signed certificate can be reached in a demo.
pub(crate) fn client_trusting(extra_pem: Option<&str>) -> Result<reqwest::Client, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("certificate PEM: {e}"))?;
            roots.add(cert).map_err(|e| format!("certificate: {e}"))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())
}

/// `hip-id` and `counter-id` of a counter QR URL.
fn read_qr(url: &str) -> Result<(String, Option<String>), ApiError> {
    let u = url::Url::parse(url.trim()).map_err(|_| ApiError::Admin("url is not a URL".into()))?;
    let param = |k: &str| {
        u.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    let hip = param("hip-id").ok_or_else(|| ApiError::Admin("url has no hip-id".into()))?;
    Ok((hip, param("counter-id")))
}

/// The profile-share body for `address` at `hip`/`counter`.
fn body(world: &World, req: &ScanRequest, hip: &str, counter: Option<&str>) -> Value {
    let mut patient = world.share_profile(&req.abha_address).unwrap_or_else(|| {
        json!({"abhaNumber": null, "name": "Test Person", "gender": "F",
            "dayOfBirth": "31", "monthOfBirth": "1", "yearOfBirth": "1990",
            "phoneNumber": "9000000001"})
    });
    patient["abhaAddress"] = json!(req.abha_address);
    patient["address"] = json!({"line": "Ward 4, Mohalla 3", "district": "ANANTNAG",
        "state": "JAMMU AND KASHMIR", "pincode": "192101"});
    if let (Some(obj), Some(Value::Object(over))) = (patient.as_object_mut(), &req.patient) {
        for (k, v) in over {
            obj.insert(k.clone(), v.clone());
        }
    }
    json!({"intent": "PROFILE_SHARE",
        "metaData": {"hipId": hip, "context": counter, "hprId": null,
            "latitude": "34.08", "longitude": "74.80"},
        "profile": {"patient": patient}})
}

/// `POST /_sim/share/scan`.
pub(crate) async fn scan(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ScanOutcome>, ApiError> {
    let bytes = body.map_err(|_| ApiError::Admin("unreadable body".into()))?;
    let req: ScanRequest = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::Admin("bad body: expected {url, abha_address, ...}".into()))?;
    Ok(Json(run(&world, &req).await?))
}

/// Performs a scan (the admin route and [`crate::SimHandle::scan`]).
pub(crate) async fn run(world: &World, req: &ScanRequest) -> Result<ScanOutcome, ApiError> {
    let bridge = world
        .share
        .bridge_url()
        .ok_or_else(|| ApiError::Admin("no bridge URL is registered".into()))?;
    let (hip, counter) = read_qr(&req.url)?;
    let stranger = match req.jwt {
        JwtMode::BadSignature | JwtMode::UnknownKid => Some(
            tokio::task::spawn_blocking(SigningKey::generate)
                .await
                .map_err(|_| ApiError::Internal)?
                .map_err(|e| ApiError::Admin(e.to_string()))?,
        ),
        _ => None,
    };
    let token = world
        .share
        .with_keys(|k| {
            k.token(
                req.jwt,
                &world.config.client_id,
                world.config.gateway_jwt_ttl_secs,
                stranger.as_ref(),
            )
        })
        .map_err(|e| ApiError::Admin(e.to_string()))?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let client = match world.share.hip_client() {
        Some(c) => c,
        None => http()?.clone(),
    };
    let mut call = client
        .post(format!("{bridge}{SHARE_PATH}"))
        .header("REQUEST-ID", &request_id)
        .header("TIMESTAMP", header_timestamp(OffsetDateTime::now_utc()))
        .header("X-HIP-ID", req.hip_id_header.as_deref().unwrap_or(&hip))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        call = call.header("Authorization", format!("Bearer {t}"));
    }
    let payload = match (&req.raw_body, &req.body) {
        (Some(raw), _) => raw.clone(),
        (None, Some(b)) => b.to_string(),
        (None, None) => body(world, req, &hip, counter.as_deref()).to_string(),
    };
    let resp = call
        .body(payload)
        .send()
        .await
        .map_err(|e| ApiError::Admin(format!("the HIP did not answer: {}", e.without_url())))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let reply = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text.chars().take(500).collect()))
    };
    tracing::info!(status, "abdm-sim: profile share delivered");
    Ok(ScanOutcome {
        request_id,
        status,
        reply,
    })
}
