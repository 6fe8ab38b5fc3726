//! The card over HTTP, for the camp organiser's browser and for scripts:
//!
//! | route | who |
//! |---|---|
//! | `GET /v1/abdm/enrollments/{id}/card.svg` | organiser, supervisor, admin (session or token) |
//! | `GET /v1/abdm/enrollments/{id}/card.png` | the same |
//!
//! `{id}` is the ABHA request (enrollment) id. The caller is established as for the dashboard
//! ([`crate::web::caller`]: a dashboard session cookie, or a bearer token of an organiser,
//! supervisor or administrator device), and sees only cards of members in its area; any other
//! record is `404 not_found`, a request without an ABHA is `409 card.not_created`. A card holds
//! personal data, so the response says `Cache-Control: no-store`, carries an opaque file name,
//! and is recorded in the audit log (`card.print`) before it is sent.

use std::net::SocketAddr;
use std::sync::Arc;

use abha_core::ids::EnrollmentId;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{CardError, Format};
use crate::audit::Actor;
use crate::server::{ApiError, AppState, blocking};
use crate::web::{Refusal, area, caller};

impl From<CardError> for ApiError {
    fn from(e: CardError) -> Self {
        let status = match &e {
            CardError::NotFound => StatusCode::NOT_FOUND,
            CardError::NotCreated => StatusCode::CONFLICT,
            CardError::FontMissing { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CardError::Render(_) | CardError::Store(_) | CardError::Io(_) => {
                return ApiError::internal(e);
            }
        };
        let message = match &e {
            CardError::NotFound => "no such record in your area".to_owned(),
            other => other.to_string(),
        };
        ApiError::new(status, e.code(), message)
    }
}

/// The routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/v1/abdm/enrollments/{id}/card.svg", get(svg))
        .route("/v1/abdm/enrollments/{id}/card.png", get(png))
}

async fn svg(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    card(st, addr, headers, id, Format::Svg).await
}

async fn png(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    card(st, addr, headers, id, Format::Png).await
}

/// Records a card handed out (who, which request, which form; never what it shows).
pub fn audit(
    store: &abha_core::store::Store,
    actor: &Actor,
    card: &super::Card,
    format: Format,
) -> Result<(), CardError> {
    crate::audit::append(
        store,
        actor,
        "card.print",
        Some(&card.enrollment.to_string()),
        &serde_json::json!({"member": card.member.to_string(), "format": format.code()}),
    )?;
    Ok(())
}

async fn card(
    st: Arc<AppState>,
    addr: SocketAddr,
    headers: HeaderMap,
    id: String,
    format: Format,
) -> Result<Response, ApiError> {
    let c = caller(&st, &headers, &addr).await.map_err(|r| match r {
        Refusal::SignIn => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in, or send an organiser's or supervisor's token",
        ),
        Refusal::Api(e) => e,
    })?;
    if !c.operates() {
        return Err(ApiError::forbidden());
    }
    let id = uuid::Uuid::parse_str(id.trim())
        .map(EnrollmentId::from_uuid)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "id.format", "malformed id"))?;
    let area = area(&st, &c).await?;
    let st2 = st.clone();
    let actor = c.actor.clone();
    let body = blocking(move || {
        let store = st2.store()?;
        let card = super::for_enrollment(store, id)?;
        if !card.village.is_some_and(|v| area.contains(&v)) {
            return Err(CardError::NotFound.into());
        }
        let body = super::render(&card, format, &st2.config.data_dir)?;
        audit(store, &actor, &card, format)?;
        Ok(body)
    })
    .await?;
    tracing::info!(actor = %c.actor.name, enrollment = %id, format = format.code(), "ABHA card");
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The SVG is ours and has no script; say so to the browser anyway.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    let name = format!("inline; filename=\"abha-card-{id}.{}\"", format.code());
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
