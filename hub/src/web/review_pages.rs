//! Review pages: pending and quarantined work with its actions, suspected duplicates with merge
//! and distinct, and coverage against targets with the funnel and target import.

use std::net::SocketAddr;
use std::sync::Arc;

use abha_core::ids::EnrollmentId;
use abha_core::store::decisions::DISMISS_REASONS;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::api::{self, DecisionBody, PairBody, RequestAction};
use super::pages::{
    FlashParams, age, back, back_error, csrf_field, layout, page, page_caller, when,
};
use super::{Caller, area, check_csrf, narrow, read_area};
use crate::review::{Area, coverage, duplicates, pending, svg};
use crate::server::{ApiError, AppState, blocking};

/// Plain-English labels of pending groups (the codes are the API's).
pub fn group_label(code: &str) -> String {
    let (head, reason) = code.split_once(':').unwrap_or((code, ""));
    let head = match head {
        "needs_correction" => "ABDM asks for a correction",
        "rejected" => "Refused",
        "retry_later" => "ABDM unavailable, will retry",
        "waiting_for_aadhaar" => "Waiting for the sealed Aadhaar number from the tablet",
        "queued" => "Queued for ABDM",
        "submitting" => "Being sent to ABDM",
        "awaiting_camp_otp" => "Waiting for Aadhaar OTP at the camp",
        "no_bridge" => "Waiting for the upstream hub (this hub does not talk to ABDM)",
        other => other,
    };
    if reason.is_empty() {
        head.to_owned()
    } else {
        format!("{head} ({reason})")
    }
}

/// `?village=&worker=`.
#[derive(Debug, Default, Deserialize)]
pub struct PendingParams {
    village: Option<String>,
    worker: Option<String>,
    #[serde(flatten)]
    flash: FlashParams,
}

fn item_actions(c: &Caller, it: &pending::PendingRequest, back_to: &str) -> Markup {
    let base = format!("/dash/pending/{}", it.enrollment_id);
    html! {
        @if c.operates() && !it.quarantined {
            form.inline.retry method="post" action=(format!("{base}/retry")) {
                (csrf_field(c))
                input type="hidden" name="back" value=(back_to);
                button type="submit" data-testid="retry" { "Retry now" }
            }
        }
        @if c.decides() {
            form.inline.send-back method="post" action=(format!("{base}/send-back")) {
                (csrf_field(c))
                input type="hidden" name="back" value=(back_to);
                textarea name="note" rows="1" maxlength="500" placeholder="Note for the worker" required {}
                button.secondary type="submit" { "Send back" }
            }
            form.inline.dismiss method="post" action=(format!("{base}/dismiss")) {
                (csrf_field(c))
                input type="hidden" name="back" value=(back_to);
                select name="reason" required {
                    option value="" { "Reason…" }
                    @for r in DISMISS_REASONS { option value=(r) { (r.replace('_', " ")) } }
                }
                button.danger type="submit" { "Dismiss" }
            }
        }
    }
}

async fn pending_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PendingParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let village = q
        .village
        .as_deref()
        .and_then(|v| v.trim().parse::<u32>().ok());
    let worker = q.worker.clone().filter(|w| !w.trim().is_empty());
    let result = async {
        let full = area(&st, &c).await?;
        let a = narrow(&full, village)?;
        let st2 = st.clone();
        let filter = pending::Filter {
            village: None,
            worker: worker.clone(),
        };
        let p = blocking(move || Ok(pending::pending(st2.store()?, &a, &filter)?)).await?;
        Ok::<_, ApiError>((full, p))
    }
    .await;
    let (full, p) = match result {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let back_to = format!(
        "/dash/pending?village={}&worker={}",
        village.map(|v| v.to_string()).unwrap_or_default(),
        super::pages::urlencode(worker.as_deref().unwrap_or(""))
    );
    let body = html! {
        (super::pages::flash_of(&q.flash))
        form.filters method="get" action="/dash/pending" {
            label { "Village" select name="village" {
                option value="" { "All villages" }
                @for v in full.villages() {
                    option value=(v.lgd.village) selected[village == Some(v.lgd.village)] { (v.name) " (" (v.lgd.village) ")" }
                }
            } }
            label { "Worker or device" input name="worker" value=(worker.clone().unwrap_or_default()); }
            button type="submit" { "Filter" }
        }
        h2 { "Not yet at the hub" }
        @if p.devices.is_empty() {
            p.muted #no-backlog { "No device reported unsynced work at its last sync." }
        } @else {
            table #backlog {
                thead { tr { th { "Device" } th { "Camp" } th.n { "Unsynced changes" } th { "Oldest" } th { "Last seen" } } }
                tbody { @for d in &p.devices {
                    tr data-device=(d.device_id) {
                        td { (d.label.clone().unwrap_or_else(|| d.device_id.clone())) }
                        td { (d.camp.clone().unwrap_or_default()) }
                        td.n { (d.changes) } td { (age(d.oldest_ms)) } td { (when(d.last_seen_at)) }
                    }
                } }
            }
        }
        h2 { "At the hub, not yet through ABDM" }
        @if p.groups.is_empty() { p.muted #no-pending { "Nothing is waiting." } }
        @for g in &p.groups {
            section.group data-reason=(g.reason) data-testid="group" {
                h2 { (group_label(&g.reason)) " · " (g.items.len())
                    @if g.quarantined { " " span.tag.q { "needs a person" } } }
                table {
                    thead { tr { th { "Household" } th { "Village" } th { "Worker / device" } th { "Route" }
                        th { "State" } th { "Captured" } th { "On device" } th { "Waiting" } th.n { "Tries" } th { "Note sent" } th { "Action" } } }
                    tbody { @for it in &g.items {
                        tr.item data-enrollment=(it.enrollment_id) data-state=(it.state) {
                            td { code { (it.household_code.clone().unwrap_or_default()) } }
                            td { (it.village) }
                            td { (it.worker.clone().unwrap_or_default()) br; span.muted { (it.device_label.clone().or(it.device_id.clone()).unwrap_or_default()) } }
                            td { (it.route.replace('_', " ")) }
                            td { span.tag.q[it.quarantined] { (it.state.replace('_', " ")) } }
                            td { (when(it.captured_at)) }
                            td { (age(it.on_device_ms)) }
                            td { (age(it.age_ms)) }
                            td.n { (it.attempts) }
                            td { (it.note.clone().unwrap_or_default()) }
                            td { (item_actions(&c, it, &back_to)) }
                        }
                    } }
                }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(&c, "/dash/pending", "Pending and quarantined work", body),
    )
}

/// Fields of the pending actions' forms.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    keep: Option<String>,
    #[serde(default)]
    merge: Option<String>,
    #[serde(default)]
    a: Option<String>,
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    csv: Option<String>,
}

/// Only local paths of the dashboard are followed after an action.
fn safe_back(b: Option<&str>, default: &str) -> String {
    match b {
        Some(b) if b.starts_with("/dash/") && !b.starts_with("//") && !b.contains('\\') => {
            b.to_owned()
        }
        _ => default.to_owned(),
    }
}

async fn form_caller(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    addr: &SocketAddr,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<(Caller, Area, ActionForm), Response> {
    let c = page_caller(st, headers, addr).await?;
    let f = form.map(|Form(f)| f).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the form could not be read",
        )
        .into_response()
    })?;
    check_csrf(&c, headers, f.csrf.as_deref()).map_err(IntoResponse::into_response)?;
    let a = area(st, &c).await.map_err(IntoResponse::into_response)?;
    Ok((c, a, f))
}

async fn pending_action(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((id, verb)): Path<(String, String)>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let (c, a, f) = match form_caller(&st, &headers, &addr, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let to = safe_back(f.back.as_deref(), "/dash/pending");
    let (action, done) = match verb.as_str() {
        "retry" => (RequestAction::Retry, "retried"),
        "send-back" => (RequestAction::SendBack, "sent_back"),
        "dismiss" => (RequestAction::Dismiss, "dismissed"),
        _ => {
            return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action")
                .into_response();
        }
    };
    let Ok(id) = uuid::Uuid::parse_str(&id).map(EnrollmentId::from_uuid) else {
        return back(&to, "error", "not_found");
    };
    let body = DecisionBody {
        note: f.note,
        reason: f.reason,
    };
    match api::act(&st, &c, a, id, action, body).await {
        Ok(_) => back(&to, "done", done),
        Err(e) if e.status().is_client_error() => back_error(&to, &e),
        Err(e) => e.into_response(),
    }
}

fn suspect(s: &duplicates::Suspect, side: &str) -> Markup {
    html! {
        div.suspect data-member=(s.member_id) data-side=(side) {
            strong { (s.name) } @if let Some(l) = &s.name_latin { " · " (l) }
            dl {
                dt { "Born" } dd { (s.birth.clone().unwrap_or_default()) " · " (s.gender.clone().unwrap_or_default()) }
                dt { "Household" } dd { code { (s.household_code.clone().unwrap_or_default()) } " · " (s.village) }
                dt { "Mobile" } dd { @if let Some(m) = &s.mobile_last4 { "…" (m) } }
                dt { "ABHA" } dd { (s.abha_number.clone().unwrap_or_else(|| "—".into())) }
                dt { "Captured" } dd { (when(s.created_at)) }
            }
        }
    }
}

async fn duplicates_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<FlashParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let result = read_area(&st, &c, duplicates::suspected).await;
    let pairs = match result {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        (super::pages::flash_of(&q))
        p.muted { "People recorded twice: the same Aadhaar token, or a similar name (in any script) with a matching birth date or year and the same mobile or household. Decisions reach every tablet of the village at its next sync." }
        @if pairs.is_empty() { p #no-duplicates { "No suspected duplicates." } }
        @for p in &pairs {
            div.pair data-testid="pair" data-a=(p.a.member_id) data-b=(p.b.member_id) {
                (suspect(&p.a, "a")) (suspect(&p.b, "b"))
                div.actions {
                    span.muted { "Why: " (p.reasons.join(", ")) " · score " (format!("{:.2}", p.score)) }
                    @if c.decides() {
                        br;
                        form.inline.merge method="post" action="/dash/duplicates/merge" {
                            (csrf_field(&c))
                            input type="hidden" name="keep" value=(p.a.member_id);
                            input type="hidden" name="merge" value=(p.b.member_id);
                            button type="submit" data-testid="merge-keep-a" { "Same person: keep the first" }
                        }
                        form.inline.merge method="post" action="/dash/duplicates/merge" {
                            (csrf_field(&c))
                            input type="hidden" name="keep" value=(p.b.member_id);
                            input type="hidden" name="merge" value=(p.a.member_id);
                            button.secondary type="submit" data-testid="merge-keep-b" { "Same person: keep the second" }
                        }
                        form.inline.distinct method="post" action="/dash/duplicates/distinct" {
                            (csrf_field(&c))
                            input type="hidden" name="a" value=(p.a.member_id);
                            input type="hidden" name="b" value=(p.b.member_id);
                            button.secondary type="submit" data-testid="distinct" { "Different people" }
                        }
                    }
                }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(
            &c,
            "/dash/duplicates",
            &format!("Suspected duplicates · {}", pairs.len()),
            body,
        ),
    )
}

async fn duplicates_action(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(verb): Path<String>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let (c, a, f) = match form_caller(&st, &headers, &addr, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let to = "/dash/duplicates";
    let merge = match verb.as_str() {
        "merge" => true,
        "distinct" => false,
        _ => {
            return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action")
                .into_response();
        }
    };
    let body = PairBody {
        keep: f.keep,
        merge: f.merge,
        a: f.a,
        b: f.b,
    };
    match api::decide_pair(&st, &c, a, merge, body).await {
        Ok(_) => back(to, "done", if merge { "merged" } else { "distinct" }),
        Err(e) if e.status().is_client_error() => back_error(to, &e),
        Err(e) => e.into_response(),
    }
}

async fn coverage_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<FlashParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let result = read_area(&st, &c, coverage::coverage).await;
    let cov = match result {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        (super::pages::flash_of(&q))
        (coverage_body(&cov))
        div.chart #coverage-chart { (PreEscaped(svg::coverage_chart(&cov))) }
        h2 { "Enrolment funnel" }
        div.chart #funnel-chart { (PreEscaped(svg::funnel_chart(&cov.funnel))) }
        @if c.operates() {
            h2 { "Import targets" }
            form #targets method="post" action="/dash/coverage/targets" {
                (csrf_field(&c))
                p.muted { "Paste CSV with the columns village_code and target (LGD village codes of your area). Nothing is imported if any line is wrong." }
                textarea name="csv" rows="6" cols="60" required placeholder="village_code,target" {}
                br;
                button type="submit" { "Import" }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(&c, "/dash/coverage", "Coverage against targets", body),
    )
}

async fn targets_action(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let (c, a, f) = match form_caller(&st, &headers, &addr, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match api::import_targets(&st, &c, a, f.csv.unwrap_or_default()).await {
        Ok(r) if r.errors.is_empty() => back("/dash/coverage", "done", "targets"),
        Ok(r) => {
            let body = html! {
                p.msg.error role="alert" data-testid="error" { "Nothing was imported. Fix these lines and try again:" }
                table #import-errors { thead { tr { th { "Line" } th { "Field" } th { "Problem" } } }
                    tbody { @for e in &r.errors { tr { td { (e.line) } td { (e.field) } td { code { (e.code) } } } } } }
                p { a href="/dash/coverage" { "Back to coverage" } }
            };
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                layout(&c, "/dash/coverage", "Targets not imported", body),
            )
        }
        Err(e) if e.status().is_client_error() => back_error("/dash/coverage", &e),
        Err(e) => e.into_response(),
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

fn coverage_body(c: &coverage::Coverage) -> Markup {
    html! {
        p.muted { "People with an ABHA against the target population of each village (targets are imported from CSV). A member counts once she has an ABHA number or address, created here or linked." }
        table #coverage data-testid="coverage" {
            thead { tr { th { "District" } th { "Village" } th.n { "LGD" } th.n { "Target" } th.n { "Households" }
                th.n { "Members" } th.n { "With ABHA" } th.n { "Coverage" } } }
            tbody { @for v in &c.villages {
                tr data-village=(v.village_code) {
                    td { (v.district_name) } td { (v.name) } td.n { (v.village_code) }
                    td.n { (v.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())) }
                    td.n { (v.households) } td.n { (v.members) } td.n { (v.with_abha) } td.n { (pct(v.percent)) }
                }
            } }
            tfoot {
                @for d in &c.districts {
                    tr.district data-district=(d.district_code) {
                        td colspan="3" { (d.district_name) " (district total)" }
                        td.n { (d.totals.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())) }
                        td.n { (d.totals.households) } td.n { (d.totals.members) } td.n { (d.totals.with_abha) } td.n { (pct(d.totals.percent)) }
                    }
                }
                tr #coverage-total {
                    td colspan="3" { "All villages" }
                    td.n { (c.total.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())) }
                    td.n { (c.total.households) } td.n { (c.total.members) } td.n { (c.total.with_abha) } td.n { (pct(c.total.percent)) }
                }
            }
        }
    }
}

/// Review page routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/dash/pending", get(pending_page))
        .route("/dash/pending/{id}/{action}", post(pending_action))
        .route("/dash/duplicates", get(duplicates_page))
        .route("/dash/duplicates/{action}", post(duplicates_action))
        .route("/dash/coverage", get(coverage_page))
        .route("/dash/coverage/targets", post(targets_action))
}
