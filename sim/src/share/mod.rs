//! The gateway side of Scan and Share (abdm.md §4): the JWKS a HIP verifies callbacks with, the
//! bridge URL a client registers, the on-share replies HIPs post, and (admin, tests only) a way
//! to "scan" a counter QR code as a person's PHR app would.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/hiecm/gateway/v3/certs` | the JWKS |
//! | `PATCH /api/hiecm/gateway/v3/bridge/url` | `{url}`: where callbacks go (bearer token) |
//! | `POST /api/hiecm/patient-share/v3/on-share` | a HIP's reply, recorded (bearer token) |
//! | `POST /_sim/share/scan` | scan a counter QR URL for an ABHA address ([`scan`]) |
//! | `GET /_sim/share/on-share` | every on-share received, oldest first |
//! | `POST /_sim/share/rotate-key` | a new signing key (the old ones stay published) |
//!
//! The gateway routes pass the common header checks of [`crate::guard`] first; the on-share body
//! must carry `response.requestId` and exactly one of `acknowledgement` and `error`, as the
//! sources show it. Replies are kept whole (they hold an ABHA address, which is test data here).

pub mod jwt;
pub(crate) mod scan;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::CryptoError;
use crate::reply::{ApiError, parse};
use crate::world::World;
use jwt::{Keys, SigningKey};

/// One on-share reply a HIP posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnShareRecord {
    /// The `REQUEST-ID` header of the on-share call itself.
    pub request_id: String,
    /// Its `X-HIP-ID` header.
    pub hip_id: Option<String>,
    /// The body as posted.
    pub body: Value,
    /// Whether the body had the documented shape (it was answered 400 if not).
    pub valid: bool,
}

/// What the gateway side keeps.
#[derive(Debug)]
pub(crate) struct ShareState {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    keys: Keys,
    bridge_url: Option<String>,
    /// A client that also trusts the HIP's own certificate (a camp hub's self-signed one).
    hip_client: Option<reqwest::Client>,
    on_shares: Vec<OnShareRecord>,
}

impl ShareState {
    pub(crate) fn new(keys: Keys, bridge_url: Option<String>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                keys,
                bridge_url,
                hip_client: None,
                on_shares: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn bridge_url(&self) -> Option<String> {
        self.lock().bridge_url.clone()
    }

    pub(crate) fn set_bridge_url(&self, url: Option<String>) {
        self.lock().bridge_url = url;
    }

    pub(crate) fn hip_client(&self) -> Option<reqwest::Client> {
        self.lock().hip_client.clone()
    }

    pub(crate) fn set_hip_client(&self, client: reqwest::Client) {
        self.lock().hip_client = Some(client);
    }

    pub(crate) fn on_shares(&self) -> Vec<OnShareRecord> {
        self.lock().on_shares.clone()
    }

    pub(crate) fn rotate(&self, key: SigningKey) -> String {
        let kid = key.kid().to_string();
        self.lock().keys.rotate(key);
        kid
    }

    pub(crate) fn with_keys<R>(&self, f: impl FnOnce(&Keys) -> R) -> R {
        f(&self.lock().keys)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The bearer token is one the session endpoint issued and is still live.
fn bearer_live(world: &World, headers: &HeaderMap) -> bool {
    header(headers, "authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|t| world.token_live(t))
}

/// `GET /api/hiecm/gateway/v3/certs`.
pub(crate) async fn certs(State(world): State<Arc<World>>) -> Json<Value> {
    Json(world.share.with_keys(Keys::jwks))
}

#[derive(Deserialize)]
struct BridgeUrl {
    url: String,
}

/// `PATCH /api/hiecm/gateway/v3/bridge/url` `{url}`: last writer wins, nothing reads it back
/// (abdm.md §4's gotcha, kept).
pub(crate) async fn bridge_url(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    if !bearer_live(&world, &headers) {
        return Err(ApiError::Jwt);
    }
    let req: BridgeUrl = parse(body)?;
    let url = req.url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::BadRequest);
    }
    world.share.set_bridge_url(Some(url));
    Ok(StatusCode::ACCEPTED)
}

fn on_share_valid(body: &Value) -> bool {
    let answers = body
        .pointer("/response/requestId")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let ack = body.get("acknowledgement").is_some_and(Value::is_object);
    let err = body.get("error").is_some_and(Value::is_object);
    answers && (ack != err)
}

/// `POST /api/hiecm/patient-share/v3/on-share`.
pub(crate) async fn on_share(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if header(&headers, "x-cm-id") != Some(world.config.cm_id.as_str()) {
        return Err(ApiError::CmId);
    }
    if !bearer_live(&world, &headers) {
        return Err(ApiError::Jwt);
    }
    let body: Value = parse(body)?;
    let valid = on_share_valid(&body);
    world.share.lock().on_shares.push(OnShareRecord {
        request_id: header(&headers, "request-id").unwrap_or_default().into(),
        hip_id: header(&headers, "x-hip-id").map(str::to_string),
        body,
        valid,
    });
    if !valid {
        return Err(ApiError::BadRequest);
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /_sim/share/on-share`.
pub(crate) async fn on_shares(State(world): State<Arc<World>>) -> Json<Vec<OnShareRecord>> {
    Json(world.share.on_shares())
}

/// `POST /_sim/share/rotate-key`.
pub(crate) async fn rotate_key(State(world): State<Arc<World>>) -> Result<Json<Value>, ApiError> {
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e: CryptoError| ApiError::Admin(e.to_string()))?;
    Ok(Json(json!({"kid": world.share.rotate(key)})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_on_share_shape() {
        let ok = json!({"acknowledgement": {"status": "SUCCESS"}, "response": {"requestId": "r"}});
        assert!(on_share_valid(&ok));
        let err = json!({"error": {"code": "x"}, "response": {"requestId": "r"}});
        assert!(on_share_valid(&err));
        let both = json!({"error": {}, "acknowledgement": {}, "response": {"requestId": "r"}});
        assert!(!on_share_valid(&both));
        assert!(!on_share_valid(&json!({"acknowledgement": {}})));
    }
}
