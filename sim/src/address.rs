//! ABHA addresses after enrolment (suggestions, creating the chosen one), the address search
//! the hub uses to check whether an ABHA exists, and the LGD masters.
//!
//! Addresses are kept as lower-case handles without the `@sbx` suffix, and every ABHA number's
//! 14 digits are its default address, so "taken" and "found" are one lookup (abdm.md 1.1-1.2).
//! The LGD list is a small fixture for the client's parser, not a copy of the real masters.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ids::{self, Birth};
use crate::registry::full_address;
use crate::reply::{ApiError, parse};
use crate::world::{Inner, World, secs};

/// The transaction's ABHA index, if the transaction is live and enrolled.
fn enrolled(w: &mut Inner, txn: &str, ttl: u64) -> Result<usize, ApiError> {
    w.live_txn(txn, secs(ttl))
        .and_then(|t| t.abha)
        .ok_or_else(ApiError::txn)
}

/// `GET /abha/api/v3/enrollment/enrol/suggestion` with `TRANSACTION_ID`.
pub(crate) async fn suggestion(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let txn = headers
        .get("transaction_id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(ApiError::txn)?
        .to_string();
    let cfg = &world.config;
    world.with(|w| {
        let index = enrolled(w, &txn, cfg.txn_ttl_secs)?;
        let abha = w.abhas.get(index).ok_or(ApiError::Internal)?;
        let r = w.residents.get(&abha.aadhaar).ok_or(ApiError::Internal)?;
        let birth = Birth::from_iso(&r.dob).unwrap_or(Birth::Year(2000));
        let list = ids::suggestions(&r.name, birth, |h| w.addresses.contains_key(h));
        Ok(Json(json!({"txnId": txn, "abhaAddressList": list})))
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddressRequest {
    txn_id: Option<String>,
    abha_address: Option<String>,
    preferred: Option<Value>,
}

/// `POST /abha/api/v3/enrollment/enrol/abha-address`.
pub(crate) async fn create(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: AddressRequest = parse(body)?;
    let cfg = &world.config;
    let txn = req.txn_id.unwrap_or_default().trim().to_string();
    let handle = ids::handle(req.abha_address.as_deref().unwrap_or_default(), &cfg.cm_id);
    let preferred = match req.preferred {
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.trim() == "1",
        _ => false,
    };
    world.with(|w| {
        let index = enrolled(w, &txn, cfg.txn_ttl_secs)?;
        if !ids::is_valid_handle(&handle) {
            return Err(ApiError::Field {
                field: "abhaAddress",
                message: "Invalid ABHA Address",
            });
        }
        if w.addresses.contains_key(&handle) {
            return Err(ApiError::AddressTaken);
        }
        w.addresses.insert(handle.clone(), index);
        let abha = w.abhas.get_mut(index).ok_or(ApiError::Internal)?;
        abha.addresses.push(handle.clone());
        if preferred {
            abha.preferred = handle;
        }
        Ok(Json(json!({
            "txnId": txn,
            "healthIdNumber": abha.number,
            "preferredAbhaAddress": abha.preferred,
        })))
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    abha_address: Option<String>,
}

/// `POST /abha/api/v3/phr/web/login/abha/search`.
pub(crate) async fn search(
    State(world): State<Arc<World>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: SearchRequest = parse(body)?;
    let cfg = &world.config;
    let handle = ids::handle(req.abha_address.as_deref().unwrap_or_default(), &cfg.cm_id);
    world.with(|w| {
        let index = *w.addresses.get(&handle).ok_or(ApiError::AddressNotFound)?;
        let abha = w.abhas.get(index).ok_or(ApiError::Internal)?;
        let name = w
            .residents
            .get(&abha.aadhaar)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        Ok(Json(json!({
            "healthIdNumber": abha.number,
            "abhaAddress": full_address(&handle, cfg),
            "authMethods": ["AADHAAR_OTP", "MOBILE_OTP"],
            "blockedAuthMethods": [],
            "status": "ACTIVE",
            "fullName": name,
            "mobile": abha.mobile.as_deref().map(ids::mask_mobile),
        })))
    })
}

/// `GET /abha/api/v3/lgd/states`: a small fixture in the shape the client parses.
pub(crate) async fn lgd_states() -> Json<Value> {
    let sub = |code: &str, name: &str| json!({"code": code, "name": name});
    Json(json!([
        {"code": "1", "name": "JAMMU AND KASHMIR", "districts": [
            {"code": "1", "name": "ANANTNAG", "subdistricts": [
                sub("1", "ANANTNAG"), sub("2", "BIJBEHARA")]},
            {"code": "2", "name": "BUDGAM", "subdistricts": [sub("3", "BUDGAM")]},
        ]},
        {"code": "10", "name": "BIHAR", "districts": [
            {"code": "215", "name": "PATNA", "subdistricts": [
                sub("1001", "PATNA RURAL"), sub("1002", "DANAPUR")]},
        ]},
        {"code": "27", "name": "MAHARASHTRA", "districts": [
            {"code": "490", "name": "PUNE", "subdistricts": [sub("4001", "HAVELI")]},
            {"code": "491", "name": "NASHIK", "subdistricts": []},
        ]},
    ]))
}
