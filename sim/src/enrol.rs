//! Enrolment by Aadhaar OTP: `request/otp` (send and resend, Aadhaar and communication mobile),
//! `enrol/byAadhaar` with an OTP, and `auth/byAbdm` (verifying the communication mobile).
//!
//! The limits are per transaction, as ABDM's are (abdm.md 2.10, `ABDM-1100`): a few wrong OTPs
//! or resends and the transaction is dead, so the hub has to start a new one rather than retry.
//! An OTP is consumed by a successful verification; a bad ciphertext is refused as an invalid
//! value and does not use up an attempt.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::SimConfig;
use crate::crypto::CryptoError;
use crate::demo::{self, DemoAuth};
use crate::ids;
use crate::registry::{self, DEFAULT_DISTRICT, DEFAULT_STATE};
use crate::reply::{ApiError, parse};
use crate::world::{Inner, OtpTarget, World, secs, send_otp};

const ENROL: &str = "abha-enrol";
const MOBILE_VERIFY: &str = "mobile-verify";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtpRequest {
    txn_id: Option<String>,
    scope: Option<Vec<String>>,
    login_hint: Option<String>,
    login_id: Option<String>,
    otp_system: Option<String>,
}

/// `authData` of `enrol/byAadhaar` and `auth/byAbdm`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthData {
    auth_methods: Option<Vec<String>>,
    otp: Option<OtpAuth>,
    #[serde(rename = "demo_auth")]
    demo_auth: Option<DemoAuth>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtpAuth {
    txn_id: Option<String>,
    otp_value: Option<String>,
    mobile: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnrolRequest {
    auth_data: Option<AuthData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AbdmAuthRequest {
    scope: Option<Vec<String>>,
    auth_data: Option<AuthData>,
}

fn field(field: &'static str, message: &'static str) -> ApiError {
    ApiError::Field { field, message }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn scope_is(scope: Option<&[String]>, want: &[&str]) -> bool {
    scope.is_some_and(|s| s.len() == want.len() && s.iter().zip(want).all(|(a, b)| a == b))
}

/// `POST /abha/api/v3/enrollment/request/otp`.
pub(crate) async fn request_otp(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: OtpRequest = parse(body)?;
    let hint = req.login_hint.as_deref();
    let system = req.otp_system.as_deref();
    let scope = req.scope.as_deref();
    let (mobile, want_system, want_scope) = match hint {
        Some("aadhaar") => (false, "aadhaar", &[ENROL][..]),
        Some("mobile") => (true, "abdm", &[ENROL, MOBILE_VERIFY][..]),
        _ => return Err(field("loginHint", "Invalid Login Hint")),
    };
    if system != Some(want_system) {
        return Err(field("otpSystem", "Invalid OTP System"));
    }
    if !scope_is(scope, want_scope) {
        return Err(field("scope", "Invalid Scope"));
    }
    let login = non_empty(req.login_id).ok_or_else(ApiError::login_id)?;
    let plain = world.decrypt(&login).map_err(|_| ApiError::login_id())?;
    let txn = non_empty(req.txn_id);
    let reply = if mobile {
        mobile_otp(&world, txn, plain)?
    } else {
        aadhaar_otp(&world, txn, plain)?
    };
    Ok(Json(reply))
}

fn resend_allowed(resends: &mut u32, cfg: &SimConfig) -> Result<(), ApiError> {
    if *resends >= cfg.max_resends {
        return Err(ApiError::OtpLimit);
    }
    *resends += 1;
    Ok(())
}

fn aadhaar_otp(world: &World, txn: Option<String>, aadhaar: String) -> Result<Value, ApiError> {
    if !ids::is_digits(&aadhaar, 12) {
        return Err(ApiError::login_id());
    }
    let cfg = &world.config;
    let ttl = secs(cfg.txn_ttl_secs);
    world.with(|w| {
        let mobile = w
            .residents
            .get(&aadhaar)
            .ok_or_else(ApiError::login_id)?
            .mobile
            .clone();
        let id = match txn {
            None => w.new_txn(&aadhaar, ttl),
            Some(id) => {
                let t = w.live_txn(&id, ttl).ok_or_else(ApiError::txn)?;
                if t.aadhaar != aadhaar {
                    return Err(ApiError::login_id());
                }
                if t.abha.is_some() {
                    return Err(ApiError::txn());
                }
                resend_allowed(&mut t.resends, cfg)?;
                id
            }
        };
        let t = w.txns.get_mut(&id).ok_or(ApiError::Internal)?;
        send_otp(t, OtpTarget::Aadhaar);
        let to = mobile.map(|m| ids::mask_mobile(&m)).unwrap_or_default();
        Ok(json!({
            "txnId": id,
            "message": format!("OTP sent to Aadhaar registered mobile number ending with {to}"),
        }))
    })
}

fn mobile_otp(world: &World, txn: Option<String>, mobile: String) -> Result<Value, ApiError> {
    let id = txn.ok_or_else(ApiError::txn)?;
    if !ids::is_mobile(&mobile) {
        return Err(ApiError::login_id());
    }
    let cfg = &world.config;
    world.with(|w| {
        let t = w
            .live_txn(&id, secs(cfg.txn_ttl_secs))
            .filter(|t| t.abha.is_some())
            .ok_or_else(ApiError::txn)?;
        let resend = t
            .otp
            .as_ref()
            .is_some_and(|o| matches!(o.target, OtpTarget::Mobile(_)));
        if resend {
            resend_allowed(&mut t.resends, cfg)?;
        } else {
            t.resends = 0;
        }
        let to = ids::mask_mobile(&mobile);
        send_otp(t, OtpTarget::Mobile(mobile));
        Ok(json!({"txnId": id, "message": format!("OTP sent to mobile number ending with {to}")}))
    })
}

/// Checks `value` against the transaction's outstanding OTP for `mobile_target` (the Aadhaar
/// OTP when `false`), counting a wrong value. Returns the OTP's target.
fn verify_otp(
    w: &mut Inner,
    cfg: &SimConfig,
    txn_id: &str,
    mobile_target: bool,
    value: Result<String, CryptoError>,
) -> Result<OtpTarget, ApiError> {
    let t = w
        .live_txn(txn_id, secs(cfg.txn_ttl_secs))
        .ok_or_else(ApiError::txn)?;
    if t.wrong >= cfg.max_otp_attempts {
        return Err(ApiError::OtpLimit);
    }
    let otp = t
        .otp
        .as_ref()
        .filter(|o| matches!(o.target, OtpTarget::Mobile(_)) == mobile_target)
        .ok_or_else(ApiError::txn)?;
    if otp.sent.elapsed() >= secs(cfg.otp_ttl_secs) {
        return Err(ApiError::OtpExpired);
    }
    let value = value.map_err(|_| ApiError::otp())?;
    if value.trim() != otp.value {
        t.wrong += 1;
        return Err(ApiError::otp());
    }
    Ok(otp.target.clone())
}

/// `POST /abha/api/v3/enrollment/enrol/byAadhaar` (OTP or demo auth).
pub(crate) async fn by_aadhaar(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: EnrolRequest = parse(body)?;
    let auth = req.auth_data.ok_or(ApiError::BadRequest)?;
    let methods = auth.auth_methods.as_deref();
    if scope_is(methods, &["otp"]) {
        let otp = auth.otp.ok_or(ApiError::BadRequest)?;
        by_otp(&world, otp).map(Json)
    } else if scope_is(methods, &["demo_auth"]) {
        let d = auth.demo_auth.ok_or(ApiError::BadRequest)?;
        demo::enrol(&world, &headers, d).map(Json)
    } else {
        Err(field("authMethods", "Invalid Auth Methods"))
    }
}

fn by_otp(world: &World, otp: OtpAuth) -> Result<Value, ApiError> {
    let txn_id = non_empty(otp.txn_id).ok_or_else(ApiError::txn)?;
    let mobile = non_empty(otp.mobile);
    if mobile.as_deref().is_some_and(|m| !ids::is_mobile(m)) {
        return Err(ApiError::mobile());
    }
    let value = match non_empty(otp.otp_value) {
        Some(v) => world.decrypt(&v),
        None => Err(CryptoError::Base64),
    };
    let cfg = &world.config;
    world.with(|w| {
        verify_otp(w, cfg, &txn_id, false, value)?;
        let aadhaar = w
            .txns
            .get(&txn_id)
            .ok_or(ApiError::Internal)?
            .aadhaar
            .clone();
        let codes = (DEFAULT_STATE.to_string(), DEFAULT_DISTRICT.to_string());
        let e = registry::enrol(w, cfg, &aadhaar, mobile.as_deref(), codes)?;
        if let Some(t) = w.txns.get_mut(&txn_id) {
            t.otp = None;
            t.abha = Some(e.index);
        }
        registry::enrolled_reply(w, cfg, &txn_id, &e)
    })
}

/// `POST /abha/api/v3/enrollment/auth/byAbdm`: verifies the communication mobile's OTP and
/// links that mobile to the transaction's ABHA.
pub(crate) async fn by_abdm(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: AbdmAuthRequest = parse(body)?;
    if !scope_is(req.scope.as_deref(), &[ENROL, MOBILE_VERIFY]) {
        return Err(field("scope", "Invalid Scope"));
    }
    let auth = req.auth_data.ok_or(ApiError::BadRequest)?;
    if !scope_is(auth.auth_methods.as_deref(), &["otp"]) {
        return Err(field("authMethods", "Invalid Auth Methods"));
    }
    let otp = auth.otp.ok_or(ApiError::BadRequest)?;
    let txn_id = non_empty(otp.txn_id).ok_or_else(ApiError::txn)?;
    let value = match non_empty(otp.otp_value) {
        Some(v) => world.decrypt(&v),
        None => Err(CryptoError::Base64),
    };
    let cfg = &world.config;
    world
        .with(|w| {
            let OtpTarget::Mobile(mobile) = verify_otp(w, cfg, &txn_id, true, value)? else {
                return Err(ApiError::txn());
            };
            let index = w
                .txns
                .get(&txn_id)
                .and_then(|t| t.abha)
                .ok_or_else(ApiError::txn)?;
            let linked = w.abhas.get(index).and_then(|a| a.mobile.clone());
            if linked.as_deref() != Some(mobile.as_str()) {
                if w.linked_to(&mobile) >= cfg.max_abhas_per_mobile {
                    return Err(ApiError::MobileLimit);
                }
                if let Some(a) = w.abhas.get_mut(index) {
                    a.mobile = Some(mobile);
                }
            }
            if let Some(t) = w.txns.get_mut(&txn_id) {
                t.otp = None;
            }
            let number = w.abhas.get(index).map(|a| a.number.clone());
            Ok(json!({
                "txnId": txn_id,
                "authResult": "success",
                "message": "Mobile Number linked successfully.",
                "accounts": [{"ABHANumber": number}],
            }))
        })
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_scope_matching_is_exact() {
        let s = vec![ENROL.to_string(), MOBILE_VERIFY.to_string()];
        assert!(scope_is(Some(&s), &[ENROL, MOBILE_VERIFY]));
        assert!(!scope_is(Some(&s), &[ENROL]));
        assert!(!scope_is(None, &[ENROL]));
        assert_eq!(non_empty(Some("  ".into())), None);
    }

    #[test]
    fn test_request_bodies_parse_leniently() {
        let v: AuthData = serde_json::from_str(
            r#"{"authMethods":["otp"],"otp":{"timeStamp":"x","txnId":"t","otpValue":"v","mobile":null},"extra":1}"#,
        )
        .expect("parses");
        assert!(
            v.otp
                .is_some_and(|o| o.mobile.is_none() && o.txn_id.as_deref() == Some("t"))
        );
        assert!(serde_json::from_str::<OtpRequest>(r#"{"scope":"abha-enrol"}"#).is_err());
    }
}
