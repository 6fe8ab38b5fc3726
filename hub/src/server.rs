//! The hub's HTTP API (axum), served over rustls.
//!
//! | route | who | body |
//! |---|---|---|
//! | `GET /v1/health` | anyone | JSON |
//! | `POST /v1/devices/enrol` | anyone with a one-time code | JSON |
//! | `POST /v1/sync/{hello,push,pull,sealed}` | worker devices, hubs | `application/x-abha-sync` |
//! | `POST /v1/admin/codes` | organiser, admin | JSON |
//! | `GET /v1/admin/devices` | organiser, supervisor, admin | JSON |
//! | `POST /v1/admin/devices/{id}/revoke` | organiser, admin | JSON |
//! | `POST /v1/admin/upstream/sync` | admin | JSON |
//! | `/v1/review/*`, `/v1/export/*` | organiser, supervisor, admin ([`crate::web::api`]) | JSON, CSV, FHIR |
//! | `/dash/*` | dashboard users ([`crate::web`]) | HTML |
//! | `/api/v3/hip/patient/share`, `/v1/share/*` | the ABDM gateway, tablets ([`crate::share`]) | JSON |
//! | `GET /v1/abdm/enrollments/{id}/card.{svg,png}` | organiser, supervisor, admin ([`crate::card`]) | SVG, PNG |
//!
//! Every refusal is a 4xx with a JSON body `{code, message}`: malformed, oversized,
//! unauthenticated, forbidden, rate-limited. A 5xx means the hub itself failed. Store work runs
//! on the blocking pool so slow disks do not stall other tablets. Logs name device ids and codes,
//! never data.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use abha_core::ids::VillageId;
use abha_core::store::{Store, StoreError};
use abha_core::sync::protocol::{
    self, CONTENT_TYPE, EnrolReply, EnrolRequest, ErrorBody, Hello, Pull, Push, codes,
};
use abha_core::sync::serve::{self, ServeError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::config::HubConfig;
use crate::registry::{Device, RegistryError, Role};
use crate::storage::HubStorage;
use crate::upstream::Upstream;

/// Shared state of the server.
#[derive(Debug)]
pub struct AppState {
    /// Records and registry (SQLite or PostgreSQL).
    pub storage: Arc<dyn HubStorage>,
    /// The SQLite store, for the duties only it supports (`None` on PostgreSQL).
    pub sqlite: Option<Arc<Store>>,
    /// Configuration.
    pub config: HubConfig,
    /// Aadhaar token key handed to enrolled devices (hex).
    pub token_key_hex: String,
    /// Sealing public key handed to enrolled devices.
    pub sealing_public_pem: String,
    /// Upstream replication, if configured.
    pub upstream: Option<Arc<Upstream>>,
    /// Fingerprint of the served certificate (hex), for enrolment QR codes.
    pub pin_hex: Option<String>,
    /// Wakes the ABDM bridge when sealed numbers arrive.
    pub bridge_wake: Arc<tokio::sync::Notify>,
    /// The ABDM bridge, when ABDM is configured.
    pub bridge: Option<Arc<crate::bridge::Bridge>>,
    /// Aadhaar OTP sessions in progress at the camp.
    pub otp_sessions: crate::camp::Sessions,
    /// Scan and Share, when ABDM and `share.hip_id` are configured.
    pub share: Option<Arc<crate::share::Share>>,
    /// The household slip signing key; its public half goes to enrolled devices.
    pub slip_key: Option<abha_core::qr::SlipSigningKey>,
    limiter: Mutex<HashMap<String, Bucket>>,
}

impl AppState {
    /// New state.
    pub fn new(
        storage: Arc<dyn HubStorage>,
        sqlite: Option<Arc<Store>>,
        config: HubConfig,
        token_key_hex: String,
        sealing_public_pem: String,
        upstream: Option<Arc<Upstream>>,
        pin_hex: Option<String>,
    ) -> Self {
        Self {
            storage,
            sqlite,
            config,
            token_key_hex,
            sealing_public_pem,
            upstream,
            pin_hex,
            bridge_wake: Arc::new(tokio::sync::Notify::new()),
            bridge: None,
            otp_sessions: crate::camp::Sessions::default(),
            share: None,
            slip_key: None,
            limiter: Mutex::new(HashMap::new()),
        }
    }
}

impl AppState {
    /// The SQLite store, or `unavailable.backend` on a PostgreSQL hub.
    pub fn store(&self) -> Result<&Arc<Store>, ApiError> {
        self.sqlite.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "unavailable.backend",
                "not available on a PostgreSQL hub",
            )
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A refusal or failure, rendered as `{code, message}` JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }
    /// The machine code.
    pub fn code(&self) -> &str {
        &self.code
    }
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::UNAUTHENTICATED,
            "missing, unknown or revoked token",
        )
    }
    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            "this role may not do this",
        )
    }
    /// The store could not take the request in time (overload): transient, so 503 with
    /// `Retry-After`, which tablets treat as "try again" without counting a failure.
    pub(crate) fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store.busy",
            "the hub is busy; try again shortly",
        )
    }
    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!(error = %what, "hub failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub failed; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status == StatusCode::SERVICE_UNAVAILABLE
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        }
        resp
    }
}

impl From<ServeError> for ApiError {
    fn from(e: ServeError) -> Self {
        if e.code == StoreError::Busy.code() {
            return Self::busy();
        }
        if !e.client {
            return Self::internal(e);
        }
        let status = match e.code {
            codes::FORBIDDEN | codes::NOT_AUTHOR => StatusCode::FORBIDDEN,
            codes::GAP | codes::CLASH => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, e.code, e.message)
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::BadCode => {
                Self::new(StatusCode::BAD_REQUEST, "enrol.bad_code", e.to_string())
            }
            RegistryError::ReplicaTaken => {
                Self::new(StatusCode::CONFLICT, "enrol.replica_taken", e.to_string())
            }
            RegistryError::NoDevice => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            RegistryError::Store(StoreError::Busy) => Self::busy(),
            RegistryError::Store(s) => Self::internal(s),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(status, codes::TOO_LARGE, "request body too large")
        } else {
            Self::new(
                StatusCode::BAD_REQUEST,
                codes::BAD_BODY,
                "request body could not be read",
            )
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

impl AppState {
    /// Refuses a caller over its rate (token bucket per key).
    pub(crate) fn rate_limit(&self, key: &str) -> Result<(), ApiError> {
        let mut map = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let burst = f64::from(self.config.rate_burst);
        let b = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.config.rate_per_sec)
            .min(burst);
        b.at = now;
        if b.tokens < 1.0 {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                "too many requests; slow down",
            ));
        }
        b.tokens -= 1.0;
        if map.len() > 10_000 {
            map.retain(|_, b| now.duration_since(b.at).as_secs() < 600);
        }
        Ok(())
    }

    /// Authenticates the bearer token of a request.
    pub(crate) async fn auth(self: &Arc<Self>, headers: &HeaderMap) -> Result<Device, ApiError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() < 200)
            .ok_or_else(ApiError::unauthenticated)?
            .to_owned();
        let state = self.clone();
        let device = blocking(move || {
            state
                .storage
                .authenticate(&token)?
                .ok_or_else(ApiError::unauthenticated)
        })
        .await?;
        self.rate_limit(&device.id)?;
        Ok(device)
    }
}

fn sync_body(bytes: Result<Bytes, BytesRejection>, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct != CONTENT_TYPE {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::BAD_BODY,
            format!("expected {CONTENT_TYPE}"),
        ));
    }
    Ok(bytes?)
}

fn binary(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

async fn hello(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut device = st.auth(&headers).await?;
    if !device.role.syncs() {
        return Err(ApiError::forbidden());
    }
    let body = sync_body(body, &headers)?;
    let st2 = st.clone();
    blocking(move || {
        let h: Hello = serve::decode_request(&body)?;
        // A device whose store was recreated (damaged file moved aside) brings a new replica id.
        st2.storage.bind_replica(&mut device, h.replica)?;
        let reply = serve::hello(&*st2.storage, &device.peer(), &h)?;
        let skew = h.sent_at_ms as i64 - reply.hub_time_ms as i64;
        st2.storage
            .record_hello(&device.id, &h.app_version, &h.pending, skew)?;
        tracing::info!(device = %device.id, pending = h.pending.changes, "sync hello");
        Ok(binary(protocol::encode(&reply)))
    })
    .await
}

async fn push(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.syncs() {
        return Err(ApiError::forbidden());
    }
    let body = sync_body(body, &headers)?;
    let st2 = st.clone();
    blocking(move || {
        let p: Push = serve::decode_request(&body)?;
        let reply = serve::push(&*st2.storage, &device.peer(), &p)?;
        tracing::info!(device = %device.id, applied = reply.applied, duplicates = reply.duplicates, "sync push");
        Ok(binary(protocol::encode(&reply)))
    })
    .await
}

async fn pull(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.syncs() {
        return Err(ApiError::forbidden());
    }
    let body = sync_body(body, &headers)?;
    let st2 = st.clone();
    blocking(move || {
        let p: Pull = serve::decode_request(&body)?;
        let reply = serve::pull(&*st2.storage, &device.peer(), &p)?;
        tracing::info!(device = %device.id, sets = reply.sets.len(), more = reply.more, "sync pull");
        Ok(binary(protocol::encode(&reply)))
    })
    .await
}

async fn sealed(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.syncs() {
        return Err(ApiError::forbidden());
    }
    let body = sync_body(body, &headers)?;
    let st2 = st.clone();
    blocking(move || {
        let m: protocol::HandSealed = serve::decode_request(&body)?;
        let reply = serve::hand_sealed(&*st2.storage, &device.peer(), &m)?;
        let held = reply.verdicts.iter().filter(|v| v.settles()).count();
        tracing::info!(device = %device.id, items = m.items.len(), held, "sealed numbers handed in");
        st2.bridge_wake.notify_one();
        Ok(binary(protocol::encode(&reply)))
    })
    .await
}

pub(crate) fn json_body<T: for<'de> Deserialize<'de>>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::BAD_BODY,
            format!("invalid JSON at line {}, column {}", e.line(), e.column()),
        )
    })
}

async fn enrol(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrolReply>, ApiError> {
    // Codes are short: limit guessing per address.
    st.rate_limit(&format!("enrol:{}", addr.ip()))?;
    let req: EnrolRequest = json_body(body)?;
    let st2 = st.clone();
    blocking(move || {
        let label = req
            .label
            .as_deref()
            .map(|l| l.chars().take(64).collect::<String>());
        let (device, token) = st2
            .storage
            .enrol(&req.code, req.replica, label.as_deref())?;
        Ok(Json(EnrolReply {
            device_id: device.id,
            token,
            role: device.role.code().to_owned(),
            hub_replica: st2.storage.replica_id(),
            villages: device.villages.into_iter().collect(),
            token_key: st2.token_key_hex.clone(),
            sealing_key_pem: st2.sealing_public_pem.clone(),
            slip_key: st2.slip_key.as_ref().map(|k| k.public().to_hex()),
        }))
    })
    .await
}

/// `POST /v1/admin/codes` request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// Role of the device to enrol.
    pub role: String,
    /// LGD village codes it may see.
    #[serde(default)]
    pub villages: Vec<u32>,
    /// Label.
    #[serde(default)]
    pub label: Option<String>,
    /// Validity in hours (default 24, at most 168).
    #[serde(default)]
    pub ttl_hours: Option<u32>,
    /// Camp the device works at.
    #[serde(default)]
    pub camp: Option<String>,
}

/// `POST /v1/admin/codes` reply.
#[derive(Debug, Serialize, Deserialize)]
pub struct CodeReply {
    /// The one-time code.
    pub code: String,
    /// Expiry (Unix ms).
    pub expires_at: i64,
    /// What the enrolment QR code carries.
    pub qr_payload: String,
}

/// The JSON an enrolment QR code carries: hub address, certificate pin, one-time code.
pub fn qr_payload(config: &HubConfig, pin: Option<&str>, code: &str) -> String {
    serde_json::json!({
        "v": 1,
        "hub": config.public_url,
        "pin": pin,
        "code": code,
    })
    .to_string()
}

async fn create_code(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CodeReply>, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.manages() {
        return Err(ApiError::forbidden());
    }
    let req: CodeRequest = json_body(body)?;
    let role = Role::parse(&req.role)
        .filter(|r| *r != Role::Admin || device.role == Role::Admin)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "enrol.bad_role",
                "unknown or forbidden role",
            )
        })?;
    let villages: Vec<VillageId> = req
        .villages
        .iter()
        .map(|v| VillageId::from_lgd(*v))
        .collect();
    let ttl = i64::from(req.ttl_hours.unwrap_or(24).clamp(1, 168)) * 3_600_000;
    let st2 = st.clone();
    blocking(move || {
        let (code, expires_at) = st2.storage.create_code_for(
            role,
            &villages,
            req.label.as_deref(),
            ttl,
            req.camp.as_deref(),
        )?;
        tracing::info!(by = %device.id, role = role.code(), "enrolment code created");
        Ok(Json(CodeReply {
            qr_payload: qr_payload(&st2.config, st2.pin_hex.as_deref(), &code),
            code,
            expires_at,
        }))
    })
    .await
}

async fn list_devices(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::registry::DeviceSummary>>, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.reviews() {
        return Err(ApiError::forbidden());
    }
    let st2 = st.clone();
    blocking(move || Ok(Json(st2.storage.list_devices()?))).await
}

async fn revoke(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.manages() {
        return Err(ApiError::forbidden());
    }
    let st2 = st.clone();
    blocking(move || {
        st2.storage.revoke(&id)?;
        Ok(Json(serde_json::json!({"ok": true})))
    })
    .await
}

async fn upstream_sync(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let device = st.auth(&headers).await?;
    if device.role != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let up = st.upstream.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "upstream.none",
            "no upstream hub is configured",
        )
    })?;
    match up.sync_now().await {
        Ok(r) => Ok(Json(serde_json::json!({"ok": true, "report": r}))),
        Err(code) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            &code,
            "upstream sync failed",
        )),
    }
}

async fn health(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "ok": true,
        "hub_replica": st.storage.replica_id().to_string(),
        "time_ms": st.storage.now_ms(),
        "database": st.storage.backend(),
        "protocol": [protocol::MIN_PROTOCOL_VERSION, protocol::PROTOCOL_VERSION],
    }))
}

async fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "unavailable.backend",
        "not available on a PostgreSQL hub",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed here",
    )
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_body_bytes;
    let router = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/devices/enrol", post(enrol))
        .route("/v1/sync/hello", post(hello))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", post(pull))
        .route("/v1/sync/sealed", post(sealed))
        .route("/v1/admin/codes", post(create_code))
        .route("/v1/admin/devices", get(list_devices))
        .route("/v1/admin/devices/{id}/revoke", post(revoke))
        .route("/v1/admin/upstream/sync", post(upstream_sync));
    // The camp relay and the dashboard read the SQLite store (see `storage`).
    let router = if state.sqlite.is_some() {
        router
            .merge(crate::camp::routes())
            .merge(crate::share::routes())
            .merge(crate::card::http::routes())
            .merge(crate::web::routes())
    } else {
        router
            .route("/dash", get(unavailable))
            .route("/dash/{*rest}", get(unavailable).post(unavailable))
            .route("/v1/review/{*rest}", get(unavailable).post(unavailable))
            .route("/v1/export/{*rest}", get(unavailable))
            .route("/v1/abdm/{*rest}", get(unavailable).post(unavailable))
            .route("/v1/share/{*rest}", get(unavailable).post(unavailable))
            .route("/api/v3/hip/{*rest}", post(unavailable))
    };
    router
        .fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_store_is_503_with_retry_after_not_a_failure() {
        for e in [
            ApiError::from(ServeError::from(StoreError::Busy)),
            ApiError::from(RegistryError::Store(StoreError::Busy)),
        ] {
            let resp = e.into_response();
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(resp.headers()[header::RETRY_AFTER], "2");
        }
        let other = ApiError::from(ServeError::from(StoreError::DiskFull)).into_response();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
