//! The tablets' side of Scan and Share: fetch the profiles people shared at the counters, and
//! mark each one handled once it became (or did not become) a member.
//!
//! Why the tablet fetches instead of the hub replicating a record: a shared profile is not yet
//! anyone's capture. The worker checks it with the person, picks the household and relation,
//! and saves an ordinary member form on the tablet (pre-filled by
//! `abha_core::abdm::share`), which then syncs like every edit, with its author, its merge rules
//! and its duplicate warnings. The hub keeps only the queue (ADR 0009).
//!
//! | route | body | reply |
//! |---|---|---|
//! | `GET /v1/share/profiles?status=pending\|accepted\|dismissed\|all&limit=N` | | `{configured, profiles:[...]}` |
//! | `POST /v1/share/profiles/{id}/accept` | optional `{member_id}` | `{id, status}` |
//! | `POST /v1/share/profiles/{id}/dismiss` | | `{id, status}` |
//!
//! Any worker, organiser, supervisor or administrator token of this hub may read and handle
//! them (the camp's hub serves the camp); another hub's token may not. Handling is idempotent;
//! handling a profile the other way after it was handled is 409 `share.already_handled`.
//! Every handling is in the audit log, by device id and share id only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::tokens::{self, Handling, TokenError};
use crate::registry::{Device, Role};
use crate::server::{ApiError, AppState, blocking};

/// `?status=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<u32>,
}

fn bad(code: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

async fn caller(st: &Arc<AppState>, headers: &HeaderMap) -> Result<Device, ApiError> {
    let device = st.auth(headers).await?;
    match device.role {
        Role::Worker | Role::Organiser | Role::Supervisor | Role::Admin => Ok(device),
        Role::Hub => Err(ApiError::forbidden()),
    }
}

/// `GET /v1/share/profiles`.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller(&st, &headers).await?;
    let Query(q) = q.map_err(|_| bad("share.bad_query", "status and limit are the parameters"))?;
    let status = match q.status.as_deref().unwrap_or("pending") {
        "all" => None,
        s @ ("pending" | "accepted" | "dismissed") => Some(s.to_string()),
        _ => {
            return Err(bad(
                "share.bad_status",
                "status is pending, accepted, dismissed or all",
            ));
        }
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let digits = st.share.as_ref().map_or(0, |s| s.config.token_digits);
    let st2 = st.clone();
    let profiles = blocking(move || {
        tokens::list(st2.store()?, status.as_deref(), limit, digits).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(json!({
        "configured": st.share.is_some(),
        "profiles": profiles,
    })))
}

/// `{member_id}` of an accept.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandleBody {
    #[serde(default)]
    member_id: Option<String>,
}

/// `POST /v1/share/profiles/{id}/{accept|dismiss}`.
pub(crate) async fn handle(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let device = caller(&st, &headers).await?;
    let how = match action.as_str() {
        "accept" => Handling::Accept,
        "dismiss" => Handling::Dismiss,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such route",
            ));
        }
    };
    let id = uuid::Uuid::try_parse(&id)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such shared profile"))?
        .to_string();
    let bytes = body?;
    let req: HandleBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        HandleBody::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|_| {
            bad(
                "share.bad_body",
                "the body is {\"member_id\": \"<uuid>\"} or empty",
            )
        })?
    };
    let member = match req.member_id.as_deref().map(uuid::Uuid::try_parse) {
        None => None,
        Some(Ok(u)) => Some(u.to_string()),
        Some(Err(_)) => return Err(bad("share.member_id", "member_id must be a UUID")),
    };
    let actor = crate::audit::Actor {
        name: format!("device:{}", device.id),
        role: device.role.code().to_owned(),
        client: format!("{} device:{}", addr.ip(), device.id),
    };
    let st2 = st.clone();
    let id2 = id.clone();
    let status = blocking(move || {
        let store = st2.store()?;
        let r = tokens::handle(
            store,
            &id2,
            how,
            &device.id,
            member.as_deref(),
            crate::review::now_ms(),
        );
        match r {
            Ok(status) => {
                crate::audit::append(
                    store,
                    &actor,
                    &format!("share.{}", how.status()),
                    Some(&id2),
                    &json!({"member": member.is_some()}),
                )
                .map_err(ApiError::internal)?;
                Ok(status)
            }
            Err(TokenError::NotFound) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such shared profile",
            )),
            Err(TokenError::AlreadyHandled(_)) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "share.already_handled",
                "the shared profile was already handled the other way",
            )),
            Err(TokenError::Store(e)) => Err(ApiError::internal(e)),
        }
    })
    .await?;
    Ok(Json(json!({"id": id, "status": status})))
}
