//! Aadhaar OTP enrolment at a camp, relayed for tablets (`/v1/abdm/otp/*`, JSON).
//!
//! | route | step |
//! |---|---|
//! | `POST /v1/abdm/otp/start` | open the tablet's sealed Aadhaar, ask ABDM for the OTP |
//! | `POST /v1/abdm/otp/resend` | the same transaction, again (ABDM limits resends) |
//! | `POST /v1/abdm/otp/verify` | the OTP and communication mobile: creates or returns the ABHA |
//! | `POST /v1/abdm/otp/mobile/verify` | the OTP sent to a mobile that differs from Aadhaar's |
//! | `POST /v1/abdm/otp/suggestions` | ABHA address suggestions |
//! | `POST /v1/abdm/otp/address` | create the chosen address |
//! | `GET /v1/admin/abdm/jobs` | (supervisors) the bridge's jobs, reasons and counters |
//!
//! A session belongs to the device that started it and lives in memory for 30 minutes: it holds
//! the ABDM transaction id and the *sealed* number (opened only for the call that needs it).
//! What ABDM answers comes back as a [`CampState`] with HTTP 200: an expired OTP or a used-up
//! attempt limit is a state the worker sees, not an error. 4xx are kept for requests that are
//! wrong (unknown session, missing OTP); 503 when this hub has no ABDM connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abha_core::abdm::{AbdmError, RefusalKind};
use abha_core::ids::EnrollmentId;
use abha_core::sync::camp::{CampReply, CampState, OtpStart, OtpStep};
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::bridge::Bridge;
use crate::registry::Role;
use crate::server::{ApiError, AppState, json_body};

const SESSION_TTL: Duration = Duration::from_secs(30 * 60);

#[derive(Debug)]
struct Session {
    device: String,
    enrollment: EnrollmentId,
    txn: String,
    sealed: Vec<u8>,
    started: Instant,
}

/// OTP sessions in progress.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/abdm/otp/start", post(start))
        .route("/v1/abdm/otp/resend", post(resend))
        .route("/v1/abdm/otp/verify", post(verify))
        .route("/v1/abdm/otp/mobile/verify", post(verify_mobile))
        .route("/v1/abdm/otp/suggestions", post(suggestions))
        .route("/v1/abdm/otp/address", post(address))
        .route("/v1/admin/abdm/jobs", axum::routing::get(jobs))
}

/// The bridge's jobs and counters, for supervisors (`GET /v1/admin/abdm/jobs`).
async fn jobs(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let device = st.auth(&headers).await?;
    if !device.role.reviews() {
        return Err(ApiError::forbidden());
    }
    let st2 = st.clone();
    let rows = crate::server::blocking(move || {
        crate::bridge::jobs::list(st2.store()?, 1000).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(serde_json::json!({
        "configured": st.bridge.is_some(),
        "stats": st.bridge.as_ref().map(|b| b.stats()),
        "jobs": rows,
    })))
}

async fn worker(
    st: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<(String, Arc<Bridge>), ApiError> {
    let device = st.auth(headers).await?;
    if device.role != Role::Worker {
        return Err(ApiError::forbidden());
    }
    let bridge = st.bridge.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "abdm.not_configured",
            "this hub has no ABDM connection",
        )
    })?;
    Ok((device.id, bridge))
}

fn reply(state: CampState, session: &str) -> CampReply {
    CampReply {
        state,
        session: session.to_string(),
        sent_to: None,
        abha_number: None,
        abha_address: None,
        suggestions: vec![],
        reason_code: None,
    }
}

/// What an ABDM failure means to the worker. `consumes` marks calls that spend the OTP: a
/// failure that may have reached ABDM is then "outcome unknown", never "try again".
fn failed(e: &AbdmError, session: &str, consumes: bool) -> CampReply {
    let state = match e {
        AbdmError::Refused { kind, .. } => match kind {
            RefusalKind::OtpInvalid => CampState::OtpInvalid,
            RefusalKind::OtpExpired | RefusalKind::TransactionInvalid => CampState::OtpExpired,
            RefusalKind::OtpAttemptsExceeded => CampState::AttemptsExceeded,
            RefusalKind::AddressTaken => CampState::AddressTaken,
            _ => CampState::Rejected,
        },
        e if consumes && e.is_ambiguous() => CampState::OutcomeUnknown,
        _ => CampState::Unavailable,
    };
    tracing::info!(reason = %e.reason_code(), state = ?state, "camp OTP step refused");
    CampReply {
        reason_code: Some(e.reason_code()),
        ..reply(state, session)
    }
}

fn bad(code: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// What a step needs of its session.
struct SessionView {
    txn: String,
    enrollment: EnrollmentId,
    sealed: Vec<u8>,
}

/// The common start of every step: a worker device of a hub with ABDM, the step's body, and the
/// device's own live session.
async fn step_of(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Arc<Bridge>, OtpStep, SessionView), ApiError> {
    let (device, bridge) = worker(st, headers).await?;
    let step: OtpStep = json_body(body)?;
    let mut map = st.otp_sessions.lock();
    map.retain(|_, s| s.started.elapsed() < SESSION_TTL);
    match map.get(&step.session) {
        Some(s) if s.device == device => {
            let view = SessionView {
                txn: s.txn.clone(),
                enrollment: s.enrollment,
                sealed: s.sealed.clone(),
            };
            drop(map);
            Ok((bridge, step, view))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "otp.session_unknown",
            "no such OTP session for this device (it may have expired): start again",
        )),
    }
}

fn open(bridge: &Bridge, sealed: &[u8]) -> Result<Zeroizing<String>, ApiError> {
    bridge.open_sealed(sealed).ok_or_else(|| {
        bad(
            "otp.sealed_unreadable",
            "the sealed number does not open with this hub's key",
        )
    })
}

async fn start(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (device, bridge) = worker(&st, &headers).await?;
    let req: OtpStart = json_body(body)?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(req.sealed_aadhaar.trim())
        .map_err(|_| bad("otp.sealed_unreadable", "sealed_aadhaar is not base64"))?;
    let aadhaar = open(&bridge, &sealed)?;
    let id = uuid::Uuid::now_v7().to_string();
    match bridge.client().request_aadhaar_otp(&aadhaar, None).await {
        Ok(sent) => {
            st.otp_sessions.lock().insert(
                id.clone(),
                Session {
                    device,
                    enrollment: req.enrollment,
                    txn: sent.txn_id,
                    sealed,
                    started: Instant::now(),
                },
            );
            tracing::info!(enrollment = %req.enrollment, "camp OTP sent");
            Ok(Json(CampReply {
                sent_to: sent.sent_to,
                ..reply(CampState::OtpSent, &id)
            }))
        }
        Err(e) => Ok(Json(failed(&e, "", false))),
    }
}

async fn resend(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (bridge, step, SessionView { txn, sealed, .. }) = step_of(&st, &headers, body).await?;
    let aadhaar = open(&bridge, &sealed)?;
    Ok(Json(
        match bridge
            .client()
            .request_aadhaar_otp(&aadhaar, Some(&txn))
            .await
        {
            Ok(sent) => CampReply {
                sent_to: sent.sent_to,
                ..reply(CampState::OtpSent, &step.session)
            },
            Err(e) => {
                let mut r = failed(&e, &step.session, false);
                if r.state == CampState::AttemptsExceeded {
                    r.state = CampState::ResendLimit;
                }
                r
            }
        },
    ))
}

fn otp_of(step: &OtpStep) -> Result<Zeroizing<String>, ApiError> {
    let otp = step.otp.as_deref().map(str::trim).unwrap_or_default();
    if otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("otp.format", "the OTP is 6 digits"));
    }
    Ok(Zeroizing::new(otp.to_string()))
}

async fn verify(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (
        bridge,
        step,
        SessionView {
            txn, enrollment, ..
        },
    ) = step_of(&st, &headers, body).await?;
    let otp = otp_of(&step)?;
    let client = bridge.client();
    let e = match client
        .enrol_with_otp(&txn, &otp, step.mobile.as_deref())
        .await
    {
        Ok(e) => e,
        Err(e) => return Ok(Json(failed(&e, &step.session, true))),
    };
    let mut r = CampReply {
        abha_number: Some(e.abha_number.clone()),
        abha_address: e.abha_address.clone(),
        ..reply(
            if e.is_new {
                CampState::Created
            } else {
                CampState::Linked
            },
            &step.session,
        )
    };
    tracing::info!(%enrollment, is_new = e.is_new, "camp OTP verified");
    if let (false, Some(mobile)) = (e.mobile_linked, step.mobile.as_deref()) {
        // The mobile given is not Aadhaar's: verify it before it becomes the communication mobile.
        match client.request_mobile_otp(&txn, mobile).await {
            Ok(sent) => {
                r.state = CampState::MobileOtpSent;
                r.sent_to = sent.sent_to;
            }
            Err(err) => r.reason_code = Some(err.reason_code()),
        }
    }
    Ok(Json(r))
}

async fn verify_mobile(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (bridge, step, SessionView { txn, .. }) = step_of(&st, &headers, body).await?;
    let otp = otp_of(&step)?;
    Ok(Json(
        match bridge.client().verify_mobile_otp(&txn, &otp).await {
            Ok(true) => reply(CampState::MobileVerified, &step.session),
            Ok(false) => reply(CampState::OtpInvalid, &step.session),
            Err(e) => failed(&e, &step.session, false),
        },
    ))
}

async fn suggestions(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (bridge, step, SessionView { txn, .. }) = step_of(&st, &headers, body).await?;
    Ok(Json(
        match bridge.client().address_suggestions(&txn).await {
            Ok(list) => CampReply {
                suggestions: list,
                ..reply(CampState::Suggestions, &step.session)
            },
            Err(e) => failed(&e, &step.session, false),
        },
    ))
}

async fn address(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CampReply>, ApiError> {
    let (bridge, step, SessionView { txn, .. }) = step_of(&st, &headers, body).await?;
    let chosen = step.address.as_deref().map(str::trim).unwrap_or_default();
    let handle = chosen.split('@').next().unwrap_or_default();
    let mut issues = abha_core::validate::Issues::new();
    let valid = abha_core::validate::abha_address(
        &mut issues,
        "address",
        handle,
        abha_core::validate::AddressPolicy::Create,
    );
    if valid.is_none() {
        return Err(bad(
            "otp.address_format",
            "the ABHA address does not follow the ABHA rules",
        ));
    }
    let client = bridge.client();
    Ok(Json(match client.create_address(&txn, handle).await {
        Ok(made) => {
            let full = if made.contains('@') {
                made
            } else {
                format!("{made}{}", client.config().address_suffix)
            };
            CampReply {
                abha_address: Some(full),
                ..reply(CampState::AddressCreated, &step.session)
            }
        }
        Err(e) => failed(&e, &step.session, false),
    }))
}
