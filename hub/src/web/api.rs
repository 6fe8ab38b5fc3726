//! The review API (JSON; CSV and FHIR for exports): what the dashboard shows, for scripts,
//! state portals and tests. Bearer tokens of organiser, supervisor or administrator devices, or
//! a dashboard session (then state-changing calls carry the `X-CSRF-Token` header).
//!
//! | route | who |
//! |---|---|
//! | `GET /v1/review/day-end?date=&camp=&format=csv` | organiser, supervisor |
//! | `GET /v1/review/pending?village=&worker=` | organiser, supervisor |
//! | `POST /v1/review/enrollments/{id}/retry` | organiser, supervisor |
//! | `POST /v1/review/enrollments/{id}/send-back` `{note}` | supervisor |
//! | `POST /v1/review/enrollments/{id}/dismiss` `{reason, note}` | supervisor |
//! | `GET /v1/review/duplicates` | organiser, supervisor |
//! | `POST /v1/review/duplicates/merge` `{keep, merge}` | supervisor |
//! | `POST /v1/review/duplicates/distinct` `{a, b}` | supervisor |
//! | `GET /v1/review/coverage` | organiser, supervisor |
//! | `POST /v1/review/targets` (CSV body) | organiser, supervisor |
//! | `GET /v1/review/audit` | organiser, supervisor |
//! | `GET /v1/review/reviews/{id}` (decisions about a record) | organiser, supervisor |
//! | `GET /v1/export/fhir?village=` | organiser, supervisor |
//! | `GET /v1/export/csv?village=` | organiser, supervisor |

use std::net::SocketAddr;
use std::sync::Arc;

use abha_core::ids::{EnrollmentId, MemberId};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Caller, Refusal, area, caller, check_csrf, narrow};
use crate::review::{self, Area, coverage, dayend, duplicates, pending};
use crate::server::{ApiError, AppState, blocking, json_body};

fn api_refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::SignIn => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "missing, unknown or revoked token",
        ),
        Refusal::Api(e) => e,
    }
}

async fn who(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    addr: &SocketAddr,
) -> Result<(Caller, Area), ApiError> {
    let c = caller(st, headers, addr).await.map_err(api_refusal)?;
    let a = area(st, &c).await?;
    Ok((c, a))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "the query string is malformed",
        )
    })
}

/// A date parameter (`YYYY-MM-DD`), default today in IST.
pub fn parse_date(s: Option<&str>) -> Result<time::Date, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(abha_core::capture::today_ist()),
        Some(s) => time::Date::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "date.format",
                "date must be YYYY-MM-DD",
            )
        }),
    }
}

fn parse_id<T>(s: &str, f: impl Fn(uuid::Uuid) -> T) -> Result<T, ApiError> {
    uuid::Uuid::parse_str(s.trim())
        .map(f)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "id.format", "malformed id"))
}

fn need(ok: bool) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// `?date=&camp=&format=`.
#[derive(Debug, Deserialize)]
pub struct DayEndQuery {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Camp.
    pub camp: Option<String>,
    /// `csv` for CSV.
    pub format: Option<String>,
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn day_end(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<DayEndQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (_, area) = who(&st, &headers, &addr).await?;
    let q = query(q)?;
    let date = parse_date(q.date.as_deref())?;
    let st2 = st.clone();
    let camp = q.camp.clone().filter(|c| !c.is_empty());
    let d =
        blocking(move || Ok(dayend::day_end(st2.store()?, &area, date, camp.as_deref())?)).await?;
    if q.format.as_deref() == Some("csv") {
        return Ok(csv_response(
            &format!("day-end-{}.csv", d.date),
            dayend::to_csv(&d),
        ));
    }
    Ok(Json(d).into_response())
}

/// `?village=&worker=`.
#[derive(Debug, Deserialize)]
pub struct PendingQuery {
    /// LGD village code.
    pub village: Option<u32>,
    /// Worker name or device id.
    pub worker: Option<String>,
}

async fn pending_list(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PendingQuery>, QueryRejection>,
) -> Result<Json<pending::Pending>, ApiError> {
    let (_, area) = who(&st, &headers, &addr).await?;
    let q = query(q)?;
    let area = narrow(&area, q.village)?;
    let filter = pending::Filter {
        village: None,
        worker: q.worker.filter(|w| !w.is_empty()),
    };
    let st2 = st.clone();
    Ok(Json(
        blocking(move || Ok(pending::pending(st2.store()?, &area, &filter)?)).await?,
    ))
}

/// Body of send-back and dismiss.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Note for the worker.
    #[serde(default)]
    pub note: Option<String>,
    /// Dismiss reason code.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A request action the API and the pages share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    /// Retry now.
    Retry,
    /// Send back with a note.
    SendBack,
    /// Dismiss with a reason.
    Dismiss,
}

/// Runs a request action for `caller` (role checked here).
pub async fn act(
    st: &Arc<AppState>,
    caller: &Caller,
    area: Area,
    id: EnrollmentId,
    action: RequestAction,
    body: DecisionBody,
) -> Result<serde_json::Value, ApiError> {
    match action {
        RequestAction::Retry => need(caller.operates())?,
        _ => need(caller.decides())?,
    }
    let st2 = st.clone();
    let actor = caller.actor.clone();
    let out = blocking(move || {
        let s = st2.store()?;
        Ok(match action {
            RequestAction::Retry => {
                pending::retry(s, &area, id, &actor)?;
                serde_json::json!({"ok": true})
            }
            RequestAction::SendBack => {
                let r = pending::send_back(s, &area, id, body.note.as_deref(), &actor)?;
                serde_json::json!({"ok": true, "review_id": r.to_string()})
            }
            RequestAction::Dismiss => {
                let r = pending::dismiss(
                    s,
                    &area,
                    id,
                    body.reason.as_deref().unwrap_or(""),
                    body.note.as_deref(),
                    &actor,
                )?;
                serde_json::json!({"ok": true, "review_id": r.to_string()})
            }
        })
    })
    .await?;
    if action == RequestAction::Retry {
        st.bridge_wake.notify_one();
    }
    tracing::info!(actor = %caller.actor.name, enrollment = %id, ?action, "review action");
    Ok(out)
}

async fn enrollment_action(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((id, verb)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (c, area) = who(&st, &headers, &addr).await?;
    check_csrf(&c, &headers, None)?;
    let action = match verb.as_str() {
        "retry" => RequestAction::Retry,
        "send-back" => RequestAction::SendBack,
        "dismiss" => RequestAction::Dismiss,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such action",
            ));
        }
    };
    let id = parse_id(&id, EnrollmentId::from_uuid)?;
    let bytes = body?;
    let body: DecisionBody = if bytes.trim_ascii().is_empty() || bytes.trim_ascii() == b"null" {
        DecisionBody::default()
    } else {
        json_body(Ok(bytes))?
    };
    Ok(Json(act(&st, &c, area, id, action, body).await?))
}

async fn duplicate_list(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Vec<duplicates::Pair>>, ApiError> {
    let (_, area) = who(&st, &headers, &addr).await?;
    let st2 = st.clone();
    Ok(Json(
        blocking(move || Ok(duplicates::suspected(st2.store()?, &area)?)).await?,
    ))
}

/// Body of merge (`keep`, `merge`) and distinct (`a`, `b`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairBody {
    /// Merge: the member kept.
    #[serde(default)]
    pub keep: Option<String>,
    /// Merge: the member merged away.
    #[serde(default)]
    pub merge: Option<String>,
    /// Distinct: one member.
    #[serde(default)]
    pub a: Option<String>,
    /// Distinct: the other.
    #[serde(default)]
    pub b: Option<String>,
}

fn member_field(v: Option<&str>, field: &'static str) -> Result<MemberId, ApiError> {
    let v = v.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "field.missing",
            format!("field {field}"),
        )
    })?;
    parse_id(v, MemberId::from_uuid)
}

/// Merges or marks distinct for `caller`.
pub async fn decide_pair(
    st: &Arc<AppState>,
    caller: &Caller,
    area: Area,
    merge: bool,
    body: PairBody,
) -> Result<serde_json::Value, ApiError> {
    need(caller.decides())?;
    let actor = caller.actor.clone();
    let st2 = st.clone();
    let (x, y) = if merge {
        (
            member_field(body.keep.as_deref(), "keep")?,
            member_field(body.merge.as_deref(), "merge")?,
        )
    } else {
        (
            member_field(body.a.as_deref(), "a")?,
            member_field(body.b.as_deref(), "b")?,
        )
    };
    let id = blocking(move || {
        Ok(if merge {
            duplicates::merge(st2.store()?, &area, x, y, &actor)?
        } else {
            duplicates::distinct(st2.store()?, &area, x, y, &actor)?
        })
    })
    .await?;
    Ok(serde_json::json!({"ok": true, "review_id": id.to_string()}))
}

async fn pair_action(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(verb): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (c, area) = who(&st, &headers, &addr).await?;
    check_csrf(&c, &headers, None)?;
    let merge = match verb.as_str() {
        "merge" => true,
        "distinct" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such action",
            ));
        }
    };
    let body: PairBody = json_body(body)?;
    Ok(Json(decide_pair(&st, &c, area, merge, body).await?))
}

async fn coverage_get(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<coverage::Coverage>, ApiError> {
    let (_, area) = who(&st, &headers, &addr).await?;
    let st2 = st.clone();
    Ok(Json(
        blocking(move || Ok(coverage::coverage(st2.store()?, &area)?)).await?,
    ))
}

/// Imports targets for `caller`, recording it in the audit log.
pub async fn import_targets(
    st: &Arc<AppState>,
    caller: &Caller,
    area: Area,
    text: String,
) -> Result<coverage::TargetImport, ApiError> {
    need(caller.operates())?;
    let st2 = st.clone();
    let actor = caller.actor.clone();
    blocking(move || {
        let r = coverage::import_targets(st2.store()?, &area, &text, &actor.name)?;
        crate::audit::append(
            st2.store()?,
            &actor,
            "targets.import",
            None,
            &serde_json::to_value(&r).unwrap_or_default(),
        )
        .map_err(ApiError::internal)?;
        Ok(r)
    })
    .await
}

async fn targets_post(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (c, area) = who(&st, &headers, &addr).await?;
    check_csrf(&c, &headers, None)?;
    let text = String::from_utf8(body?.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "csv.encoding", "CSV must be UTF-8"))?;
    let r = import_targets(&st, &c, area, text).await?;
    let status = if r.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(r)).into_response())
}

async fn audit_get(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::audit::Entry>>, ApiError> {
    let (c, _) = who(&st, &headers, &addr).await?;
    // Only administrators and state-wide users read everyone's entries.
    let mine = (c.reach != review::Reach::All).then(|| c.actor.name.clone());
    let st2 = st.clone();
    Ok(Json(
        blocking(move || {
            crate::audit::list(st2.store()?, mine.as_deref(), 500).map_err(ApiError::internal)
        })
        .await?,
    ))
}

async fn reviews_get(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (_, area) = who(&st, &headers, &addr).await?;
    let id = parse_id(&id, |u| u)?;
    let st2 = st.clone();
    blocking(move || {
        let s = st2.store()?;
        let reviews = s.reviews_of(&id).map_err(ApiError::internal)?;
        // Shown only if the record's member lies in the caller's area.
        let member = reviews.iter().find_map(|r| r.member_id);
        if let Some(m) = member
            && !review::member_in_area(s, &area, m)?
        {
            return Err(review::ReviewError::NotFound.into());
        }
        Ok(Json(serde_json::json!({"reviews": reviews})))
    })
    .await
}

/// `?village=`.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// LGD village code.
    pub village: Option<u32>,
    /// Only members with an ABHA.
    #[serde(default)]
    pub only_with_abha: bool,
}

async fn export(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (c, area) = who(&st, &headers, &addr).await?;
    let q = query(q)?;
    let area = narrow(&area, q.village)?;
    export_response(&st, &c, area, &kind, q.village, q.only_with_abha).await
}

/// An export of `area` as `fhir` or `csv`, recorded in the audit log.
pub async fn export_response(
    st: &Arc<AppState>,
    caller: &Caller,
    area: Area,
    kind: &str,
    village: Option<u32>,
    only_with_abha: bool,
) -> Result<Response, ApiError> {
    let kind = match kind {
        "fhir" | "csv" => kind.to_owned(),
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such export",
            ));
        }
    };
    if kind == "csv" && village.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "field.missing",
            "field village: the CSV export is per village",
        ));
    }
    let st2 = st.clone();
    let actor = caller.actor.clone();
    let config = st.config.fhir.clone();
    blocking(move || {
        let ids: Vec<abha_core::ids::VillageId> = area.villages().map(|v| v.id).collect();
        let mut rows =
            crate::export::members(st2.store()?, Some(&ids)).map_err(ApiError::internal)?;
        if only_with_abha {
            rows.retain(|r| r.abha_number.is_some() || r.abha_address.is_some());
        }
        crate::audit::append(
            st2.store()?,
            &actor,
            &format!("export.{kind}"),
            village.map(|v| v.to_string()).as_deref(),
            &serde_json::json!({"records": rows.len()}),
        )
        .map_err(ApiError::internal)?;
        if kind == "csv" {
            let body = crate::export::csv::village_csv(&rows).map_err(ApiError::internal)?;
            Ok(csv_response(
                &format!("village-{}.csv", village.unwrap_or(0)),
                body,
            ))
        } else {
            let bundle =
                crate::export::fhir::bundle(&rows, &config, time::OffsetDateTime::now_utc());
            Ok((
                [(header::CONTENT_TYPE, "application/fhir+json")],
                serde_json::to_vec(&bundle).unwrap_or_default(),
            )
                .into_response())
        }
    })
    .await
}

/// The API routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/v1/review/day-end", get(day_end))
        .route("/v1/review/pending", get(pending_list))
        .route(
            "/v1/review/enrollments/{id}/{action}",
            post(enrollment_action),
        )
        .route("/v1/review/duplicates", get(duplicate_list))
        .route("/v1/review/duplicates/{action}", post(pair_action))
        .route("/v1/review/coverage", get(coverage_get))
        .route("/v1/review/targets", post(targets_post))
        .route("/v1/review/audit", get(audit_get))
        .route("/v1/review/reviews/{id}", get(reviews_get))
        .route("/v1/export/{kind}", get(export))
}
