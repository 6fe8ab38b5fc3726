//! The test-only admin side under `/_sim/`: residents, OTP peeking, faults, token expiry and
//! the state snapshot. Each route is a thin wrapper over the same [`World`] method that
//! [`crate::SimHandle`] calls in-process, so HTTP and in-process tests see one behaviour.
//!
//! These routes are not ABDM routes: no header checks, no rate limit, no faults, and their
//! refusals use the simulator's own `SIM-4xx` codes so they cannot be mistaken for ABDM's.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::config::{Fault, Resident};
use crate::reply::ApiError;
use crate::world::{SimState, World};

fn admin_json<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    use serde_json::error::Category;
    let bytes = body.map_err(|_| ApiError::Admin("unreadable body".into()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        // Only the category: serde's message could quote a value (an Aadhaar number).
        let what = match e.classify() {
            Category::Io => "unreadable",
            Category::Syntax => "not JSON",
            Category::Data => "wrong shape",
            Category::Eof => "truncated",
        };
        ApiError::Admin(format!("bad body: {what}"))
    })
}

/// `POST /_sim/residents` `[{aadhaar, name, gender, dob, mobile}]`.
pub(crate) async fn residents(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let list: Vec<Resident> = admin_json(body)?;
    let n = world
        .add_residents(&list)
        .map_err(|e| ApiError::Admin(e.to_string()))?;
    Ok(Json(json!({"added": n})))
}

/// `GET /_sim/otp/{txnId}`.
pub(crate) async fn otp(
    State(world): State<Arc<World>>,
    Path(txn): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let otp = world.otp_for(&txn).ok_or(ApiError::NotFound)?;
    Ok(Json(json!({"otp": otp})))
}

/// `POST /_sim/faults` `{mode, delay_ms, remaining}`.
pub(crate) async fn faults(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Fault>, ApiError> {
    let fault: Fault = admin_json(body)?;
    world.set_fault(fault);
    Ok(Json(fault))
}

/// `POST /_sim/expire-tokens`.
pub(crate) async fn expire_tokens(State(world): State<Arc<World>>) -> Json<Value> {
    let n = world.expire_tokens();
    Json(json!({"expired": n}))
}

/// `GET /_sim/state`.
pub(crate) async fn state(State(world): State<Arc<World>>) -> Json<SimState> {
    Json(world.state())
}

/// Any unknown path.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A known path with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
