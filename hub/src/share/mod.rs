//! Scan and Share at the camp (abdm.md §4, ADR 0009). The camp is a facility (HIP) with an HFR
//! id; each counter has a printed QR code. A person scans it with their ABHA (PHR) app, ABDM's
//! gateway calls the hub with their profile, the hub issues a queue token and replies through
//! the gateway, and a worker's tablet fetches the profile to pre-fill a member form.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /api/v3/hip/patient/share` | the gateway (RS256 JWT) | a share: 202, then on-share ([`callback`]) |
//! | `GET /v1/share/profiles` | worker, organiser, supervisor, admin tokens | shared profiles ([`api`]) |
//! | `POST /v1/share/profiles/{id}/accept`, `/dismiss` | the same | mark one handled (idempotent) |
//! | `GET /dash/counters`, `/dash/counters/{id}/qr.svg` | dashboard users | printable counter QR codes ([`pages`]) |
//! | `GET /dash/tokens` | dashboard users | the queue's token board: numbers only, refreshes itself |
//!
//! Tokens and profiles live in the hub's own table ([`tokens`]); the gateway's JWT is checked
//! against its published keys ([`jwt`]). Everything needs the SQLite store and an ABDM
//! connection with `share.hip_id`; a PostgreSQL hub answers these routes `unavailable.backend`.

pub mod api;
mod callback;
pub mod jwt;
pub mod pages;
pub mod tokens;

use std::sync::Arc;

use abha_core::abdm::{AbdmClient, ShareConfig};
use abha_core::store::{Store, StoreError};
use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::server::{ApiError, AppState};

/// Largest share callback accepted (the observed body is under 1 KB).
const MAX_SHARE_BODY: usize = 64 * 1024;

/// Scan and Share errors.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The configuration is unusable.
    #[error("Scan and Share configuration: {0}")]
    Config(String),
    /// A request refused, rendered as `{code, field, message}`.
    #[error("{message} ({code})")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Machine code (`share.header_invalid`).
        code: &'static str,
        /// The header or field at fault.
        field: Option<&'static str>,
        /// A fixed message (never a value from the request).
        message: &'static str,
    },
    /// A refusal of the hub's common kind (rate limit, unreadable body).
    #[error("{}", .0.code())]
    Api(ApiError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for ShareError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused {
                status,
                code,
                field,
                message,
            } => (
                status,
                Json(serde_json::json!({"code": code, "field": field, "message": message})),
            )
                .into_response(),
            Self::Api(e) => e.into_response(),
            Self::Config(_) | Self::Store(_) => ApiError::internal(&self).into_response(),
        }
    }
}

/// The camp's Scan and Share service.
#[derive(Debug)]
pub struct Share {
    /// Configuration (`share` of `abdm.json`).
    pub config: ShareConfig,
    /// The HIP id, checked.
    pub hip_id: String,
    pub(crate) client: AbdmClient,
    pub(crate) keys: jwt::GatewayKeys,
    pub(crate) store: Arc<Store>,
}

/// Checks a configured HIP id: the HFR shape (`IN` + 10 letters or digits) is expected, but the
/// sandbox links other ids to a client, so any short id of letters, digits, `-`, `_`, `.` loads
/// (with a warning).
pub fn check_hip_id(id: &str) -> Result<String, ShareError> {
    let id = id.trim();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > 64 || !id.chars().all(plain) {
        return Err(ShareError::Config(
            "share.hip_id must be the facility's HFR id".into(),
        ));
    }
    let mut issues = abha_core::validate::Issues::new();
    match abha_core::validate::hfr_id(&mut issues, "share.hip_id", id) {
        Some(hfr) => Ok(hfr.as_str().to_string()),
        None => {
            tracing::warn!("share.hip_id is not shaped like an HFR id (IN + 10 characters)");
            Ok(id.to_string())
        }
    }
}

/// The counter QR code of `counter`: its URL and an SVG to print.
pub fn counter_svg(config: &ShareConfig, counter: &str) -> Result<(String, String), ShareError> {
    let hip = config
        .hip_id
        .as_deref()
        .ok_or_else(|| ShareError::Config("share.hip_id is not set".into()))
        .and_then(check_hip_id)?;
    let url =
        abha_core::abdm::share::counter_url(&config.share_base, &hip, counter).map_err(|e| {
            ShareError::Refused {
                status: StatusCode::BAD_REQUEST,
                code: e.code(),
                field: Some(e.field()),
                message: "counter ids are 1 to 20 letters or digits",
            }
        })?;
    if !config.counters.is_empty() && !config.counters.iter().any(|c| c == counter.trim()) {
        // A code the callback would refuse must not be printed.
        return Err(ShareError::Refused {
            status: StatusCode::NOT_FOUND,
            code: "share.counter_unknown",
            field: Some("counter-id"),
            message: "not one of share.counters",
        });
    }
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ShareError::Config(e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    Ok((url, svg))
}

impl Share {
    /// The service for `config`, or `None` when `share.hip_id` is not set.
    pub fn new(
        store: Arc<Store>,
        client: AbdmClient,
        config: &ShareConfig,
    ) -> Result<Option<Self>, ShareError> {
        let Some(hip) = config.hip_id.as_deref() else {
            return Ok(None);
        };
        let hip_id = check_hip_id(hip)?;
        abha_core::abdm::share::counter_url(&config.share_base, &hip_id, "A")
            .map_err(|_| ShareError::Config("share.share_base must be a URL".into()))?;
        for c in &config.counters {
            abha_core::abdm::share::counter_id(c).map_err(|_| {
                ShareError::Config("share.counters must be 1 to 20 letters or digits each".into())
            })?;
        }
        Ok(Some(Self {
            keys: jwt::GatewayKeys::new(client.clone(), config),
            config: config.clone(),
            hip_id,
            client,
            store,
        }))
    }
}

/// The routes (SQLite hubs).
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route(
            "/api/v3/hip/patient/share",
            post(callback::share).layer(DefaultBodyLimit::max(MAX_SHARE_BODY)),
        )
        .route("/v1/share/profiles", get(api::list))
        .route("/v1/share/profiles/{id}/{action}", post(api::handle))
        .merge(pages::routes())
}
