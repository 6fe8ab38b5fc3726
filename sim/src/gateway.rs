//! The gateway session (client credentials, with ABDM's lock-out after repeated failures) and
//! the public-key certificate.
//!
//! The lock-out is modelled because it was observed in the sandbox (abdm.md 2.2): a client that
//! loops on credential retries locks itself out for minutes, and the hub must not do that. The
//! simulator has one client, so one failure counter.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::reply::{ApiError, parse};
use crate::world::{World, random_token, secs};

/// The only encryption scheme the certificate advertises.
pub(crate) const ALGORITHM: &str = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
}

/// `POST /api/hiecm/gateway/v3/sessions`.
pub(crate) async fn sessions(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: SessionRequest = parse(body)?;
    if req.grant_type.as_deref() != Some("client_credentials") {
        return Err(ApiError::BadRequest);
    }
    let cfg = &world.config;
    let right = req.client_id.as_deref() == Some(cfg.client_id.as_str())
        && req.client_secret.as_deref() == Some(cfg.client_secret.as_str());
    let access = jwt(&random_token(), &cfg.client_id, cfg.token_ttl_secs);
    world.with(|w| {
        if let Some(at) = w.locked_at {
            if at.elapsed() < secs(cfg.lock_secs) {
                return Err(ApiError::Credentials);
            }
            w.locked_at = None;
            w.failures = 0;
        }
        if !right {
            w.failures = w.failures.saturating_add(1);
            if cfg.lock_after_failures > 0 && w.failures >= cfg.lock_after_failures {
                w.locked_at = Some(Instant::now());
            }
            return Err(ApiError::Credentials);
        }
        w.failures = 0;
        w.issue_token(&access, secs(cfg.token_ttl_secs));
        Ok(())
    })?;
    let refresh_expires = 1800u64;
    Ok(Json(json!({
        "accessToken": access,
        "expiresIn": cfg.token_ttl_secs,
        "refreshExpiresIn": refresh_expires,
        "refreshToken": jwt(&random_token(), &cfg.client_id, refresh_expires),
        "tokenType": "bearer",
    })))
}

/// A JWT-shaped token: real header and claims, a random "signature" carrying `id`.
fn jwt(id: &str, client_id: &str, ttl: u64) -> String {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let exp = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX / 2));
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({"sub": client_id, "clientId": client_id, "iat": now, "exp": exp,
        "iss": "abdm-sim", "typ": "Bearer"});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        id
    )
}

/// `GET /abha/api/v3/profile/public/certificate`.
pub(crate) async fn certificate(State(world): State<Arc<World>>) -> Json<Value> {
    Json(json!({
        "publicKey": world.key.public_b64(),
        "encryptionAlgorithm": ALGORITHM,
    }))
}
