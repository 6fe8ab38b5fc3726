//! Dashboard pages: layout, sign-in, the camp day-end, the audit log and exports. The review
//! pages (pending, duplicates, coverage) are in [`super::review_pages`].
//!
//! Pages are plain HTML forms (no script), so they work on any browser a camp laptop has, print
//! cleanly, and are easy to drive from a test. Every POST ends in a redirect (303) back to the
//! page with a message code, so a reload never repeats an action.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::{
    Caller, LOGIN_COOKIE, Refusal, SESSION_COOKIE, area, caller, check_csrf, client, cookie,
    same_token, secure, set_cookie,
};
use crate::review::dayend::{self, DayEnd};
use crate::server::{ApiError, AppState, blocking};
use crate::users::{self, LoginRefusal};

/// The stylesheet, compiled in.
pub const CSS: &str = include_str!("app.css");

/// Headers every page gets: no script may run, no framing, no caching of personal data.
pub fn page(status: StatusCode, body: Markup) -> Response {
    let mut r = (status, body.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Navigation entries.
const NAV: [(&str, &str); 9] = [
    ("/dash/day-end", "Day-end"),
    ("/dash/pending", "Pending"),
    ("/dash/duplicates", "Duplicates"),
    ("/dash/coverage", "Coverage"),
    ("/dash/exports", "Exports"),
    ("/dash/slips", "Slips"),
    ("/dash/cards", "ABHA cards"),
    ("/dash/audit", "Audit log"),
    ("/dash/counters", "Scan & Share"),
];

/// Messages shown after an action (by code, so they can be localised).
pub fn message(code: &str) -> &'static str {
    match code {
        "retried" => "The request will be tried again now.",
        "sent_back" => "Sent back to the worker; the note reaches the tablet at its next sync.",
        "dismissed" => "Dismissed.",
        "merged" => "Merged: the duplicate record is removed on every tablet at its next sync.",
        "distinct" => "Marked as different people.",
        "targets" => "Targets imported.",
        "review.note_required" => "Write a note for the worker.",
        "review.note_too_long" => "The note is too long (500 characters at most).",
        "review.note_invalid" => "The note has characters that cannot be sent.",
        "review.bad_reason" => "Choose a reason.",
        "review.not_retryable" => "This request cannot be retried: ABDM has answered it.",
        "review.no_bridge" => {
            "This hub does not talk to ABDM; the request waits for the upstream hub."
        }
        "review.waiting_for_device" => {
            "The Aadhaar number has not reached the hub yet: sync the tablet."
        }
        "review.already_done" => "The ABHA was already created.",
        "review.in_flight" => "The record being merged has a request at ABDM right now; try later.",
        "review.two_abha_numbers" => {
            "Both records have different ABHA numbers: they cannot be merged here."
        }
        "review.same_member" => "Choose two different records.",
        "forbidden" => "Your role may not do this.",
        "not_found" => "That record is not in your area.",
        "csrf.missing" => "The form expired; reload the page and try again.",
        _ => "Something went wrong; try again.",
    }
}

/// `?done=` / `?error=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    /// Success code.
    pub done: Option<String>,
    /// Error code.
    pub error: Option<String>,
}

/// The flash message of a page's query parameters.
pub fn flash_of(p: &FlashParams) -> Markup {
    flash(&p.flash())
}

fn flash(f: &Flash) -> Markup {
    html! {
        @if let Some(d) = &f.done { p.msg role="status" data-testid="done" data-code=(d) { (message(d)) } }
        @if let Some(e) = &f.error { p.msg.error role="alert" data-testid="error" data-code=(e) { (message(e)) } }
    }
}

/// The page frame.
pub fn layout(caller: &Caller, here: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ABHA Field hub" }
                link rel="stylesheet" href="/dash/assets/app.css";
            }
            body {
                header.top {
                    strong { "ABHA Field hub" }
                    nav {
                        @for (href, label) in NAV {
                            a href=(href) class=[(href == here).then_some("here")] { (label) }
                        }
                    }
                    div.who {
                        span data-testid="who" { (caller.display) " · " (caller.role.code()) }
                        form.inline method="post" action="/dash/logout" {
                            input type="hidden" name="csrf" value=(caller.csrf.clone().unwrap_or_default());
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// A hidden CSRF field for forms.
pub fn csrf_field(caller: &Caller) -> Markup {
    html! { input type="hidden" name="csrf" value=(caller.csrf.clone().unwrap_or_default()); }
}

/// Formats Unix ms as IST `YYYY-MM-DD HH:MM`.
pub fn when(ms: Option<i64>) -> String {
    ms.and_then(|m| time::OffsetDateTime::from_unix_timestamp(m / 1000).ok())
        .map(|t| {
            let t = t.to_offset(dayend::ist());
            format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
        })
        .unwrap_or_else(|| "—".into())
}

/// Formats a duration in ms as `3 d 4 h`, `5 h 10 min` or `12 min`.
pub fn age(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return "—".into() };
    let min = ms / 60_000;
    match min {
        m if m >= 1440 => format!("{} d {} h", m / 1440, (m % 1440) / 60),
        m if m >= 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{m} min"),
    }
}

/// Redirect after POST.
pub fn back(to: &str, key: &str, code: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}{key}={code}")).into_response()
}

/// Turns an API error of a page action into a redirect with its code.
pub fn back_error(to: &str, e: &ApiError) -> Response {
    back(to, "error", e.code())
}

/// The caller of a page, or a redirect to sign in.
pub async fn page_caller(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    addr: &SocketAddr,
) -> Result<Caller, Response> {
    match caller(st, headers, addr).await {
        Ok(c) => Ok(c),
        Err(Refusal::SignIn) => Err(Redirect::to("/dash/login").into_response()),
        Err(Refusal::Api(e)) => Err(e.into_response()),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

fn login_page(token: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign in · ABHA Field hub" }
                link rel="stylesheet" href="/dash/assets/app.css";
            }
            body {
                form.login #login method="post" action="/dash/login" {
                    h1 { "ABHA Field hub" }
                    p.muted { "Camp organisers and supervisors sign in here." }
                    @if let Some(e) = error { p.msg.error role="alert" data-testid="error" { (e) } }
                    input type="hidden" name="csrf" value=(token);
                    label { "User name" input name="username" autocomplete="username" required autofocus; }
                    label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                    button #sign-in type="submit" { "Sign in" }
                }
            }
        }
    }
}

fn login_response(st: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let bytes: [u8; 24] = rand::random();
    let token = hex::encode(bytes);
    let mut r = page(status, login_page(&token, error));
    if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_COOKIE, &token, secure(st), 3600)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_get(State(st): State<Arc<AppState>>) -> Response {
    login_response(&st, StatusCode::OK, None)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login_post(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_response(&st, StatusCode::BAD_REQUEST, Some("Fill in both fields."));
    };
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf.missing",
            "the sign-in form expired; reload it",
        )
        .into_response();
    }
    if let Err(e) = st.rate_limit(&format!("login:{}", addr.ip())) {
        return e.into_response();
    }
    let who = client(&addr, &headers);
    let st2 = st.clone();
    let result = blocking(move || {
        let r = users::verify(st2.store()?, &form.username, &form.password)
            .map_err(ApiError::internal)?;
        let actor = crate::audit::Actor {
            name: form
                .username
                .trim()
                .to_ascii_lowercase()
                .chars()
                .take(32)
                .collect(),
            role: r.as_ref().map(|u| u.role.code()).unwrap_or("-").to_owned(),
            client: who.clone(),
        };
        match r {
            Ok(user) => {
                let token =
                    users::start_session(st2.store()?, &user, &who).map_err(ApiError::internal)?;
                crate::audit::append(
                    st2.store()?,
                    &actor,
                    "login",
                    Some(&user.id),
                    &serde_json::json!({}),
                )
                .map_err(ApiError::internal)?;
                Ok(Ok(token))
            }
            Err(why) => {
                let code = if why == LoginRefusal::Locked {
                    "login.locked"
                } else {
                    "login.wrong"
                };
                crate::audit::append(
                    st2.store()?,
                    &actor,
                    "login.refused",
                    None,
                    &serde_json::json!({"code": code}),
                )
                .map_err(ApiError::internal)?;
                Ok(Err(why))
            }
        }
    })
    .await;
    match result {
        Ok(Ok(token)) => {
            let mut r = Redirect::to("/dash/day-end").into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                SESSION_COOKIE,
                &token,
                secure(&st),
                users::ABSOLUTE_MS / 1000,
            )) {
                h.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_COOKIE, "", secure(&st), 0)) {
                h.append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(Err(LoginRefusal::Locked)) => login_response(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many wrong passwords: wait a few minutes."),
        ),
        Ok(Err(LoginRefusal::Wrong)) => login_response(
            &st,
            StatusCode::UNAUTHORIZED,
            Some("Wrong user name or password."),
        ),
        Err(e) => e.into_response(),
    }
}

/// A form carrying only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The token.
    #[serde(default)]
    pub csrf: Option<String>,
}

async fn logout(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let token = form.ok().and_then(|Form(f)| f.csrf);
    if let Err(e) = check_csrf(&c, &headers, token.as_deref()) {
        return e.into_response();
    }
    if let Some(t) = cookie(&headers, SESSION_COOKIE) {
        let st2 = st.clone();
        let actor = c.actor.clone();
        let _ = blocking(move || {
            users::end_session(st2.store()?, &t).map_err(ApiError::internal)?;
            crate::audit::append(st2.store()?, &actor, "logout", None, &serde_json::json!({}))
                .map_err(ApiError::internal)
        })
        .await;
    }
    let mut r = Redirect::to("/dash/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", secure(&st), 0)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `?date=&camp=`.
#[derive(Debug, Default, Deserialize)]
pub struct DayEndParams {
    date: Option<String>,
    camp: Option<String>,
    #[serde(flatten)]
    flash: FlashParams,
}

/// Flash codes as query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct FlashParams {
    done: Option<String>,
    error: Option<String>,
}

impl FlashParams {
    /// As a [`Flash`].
    pub fn flash(&self) -> Flash {
        Flash {
            done: self.done.clone(),
            error: self.error.clone(),
        }
    }
}

fn day_end_table(d: &DayEnd) -> Markup {
    let num = |n: u64| html! { td.n { (n) } };
    html! {
        table #day-end data-testid="day-end" {
            thead { tr {
                th { "Device" } th { "Camp" } th { "Worker" }
                th.n { "Households" } th.n { "Members" } th.n { "ABHA requests" }
                th.n { "Created" } th.n { "Pending" } th.n { "Needs correction" } th.n { "Failed" }
                th.n { "Duplicates" } th.n { "Synced changes" } th { "Last sync" }
                th.n { "Unsynced on device" } th { "Oldest unsynced" }
            } }
            tbody {
                @for r in &d.rows {
                    tr.row data-device=(r.device_id) {
                        td { (r.device_label.clone().unwrap_or_else(|| if r.device_id.is_empty() { "(another hub)".into() } else { r.device_id.clone() })) }
                        td { (r.camp.clone().unwrap_or_default()) }
                        td { (r.worker.clone().unwrap_or_default()) }
                        (num(r.households)) (num(r.members)) (num(r.requests)) (num(r.abha_created))
                        (num(r.abha_pending)) (num(r.needs_correction)) (num(r.failed)) (num(r.duplicates_flagged))
                        (num(r.synced_changes))
                        td { (when(r.last_sync_at)) }
                        (num(r.pending_changes))
                        td { (age(r.pending_oldest_ms)) }
                    }
                }
            }
            tfoot { tr #totals data-testid="totals" {
                td colspan="3" { "Total" }
                (num(d.totals.households)) (num(d.totals.members)) (num(d.totals.requests))
                (num(d.totals.abha_created)) (num(d.totals.abha_pending)) (num(d.totals.needs_correction))
                (num(d.totals.failed)) (num(d.totals.duplicates_flagged)) (num(d.totals.synced_changes))
                td { (when(d.totals.last_sync_at)) }
                (num(d.totals.pending_changes))
                td { (age(d.totals.pending_oldest_ms)) }
            } }
        }
    }
}

async fn day_end(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<DayEndParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let date = match super::api::parse_date(q.date.as_deref()) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let camp = q.camp.clone().filter(|c| !c.is_empty());
    let result = async {
        let area = area(&st, &c).await?;
        let st2 = st.clone();
        let camp2 = camp.clone();
        blocking(move || {
            Ok(dayend::day_end(
                st2.store()?,
                &area,
                date,
                camp2.as_deref(),
            )?)
        })
        .await
    }
    .await;
    let d = match result {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let csv = format!(
        "/v1/review/day-end?date={}&format=csv{}",
        d.date,
        camp.as_ref()
            .map(|c| format!("&camp={}", urlencode(c)))
            .unwrap_or_default()
    );
    let body = html! {
        (flash(&q.flash.flash()))
        form.filters method="get" action="/dash/day-end" {
            label { "Date" input type="date" name="date" value=(d.date); }
            label { "Camp" input name="camp" value=(camp.clone().unwrap_or_default()) placeholder="all"; }
            button type="submit" { "Show" }
            a.noprint #csv href=(csv) { "Download CSV" }
        }
        p.muted { "Captured on " (d.date) " (India Standard Time). ABHA columns count the requests made that day by their state now. Print this page for the camp file (Ctrl+P)." }
        (day_end_table(&d))
    };
    page(
        StatusCode::OK,
        layout(
            &c,
            "/dash/day-end",
            &format!("Camp day-end {}", d.date),
            body,
        ),
    )
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn audit_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mine = (c.reach != crate::review::Reach::All).then(|| c.actor.name.clone());
    let st2 = st.clone();
    let entries = match blocking(move || {
        crate::audit::list(st2.store()?, mine.as_deref(), 500).map_err(ApiError::internal)
    })
    .await
    {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        p.muted { "Every sign-in and every action, newest first. The log cannot be edited." }
        table #audit data-testid="audit" {
            thead { tr { th { "When" } th { "Who" } th { "Role" } th { "Action" } th { "Record" } th { "Detail" } th { "From" } } }
            tbody {
                @for e in &entries {
                    tr data-action=(e.action) {
                        td { (when(Some(e.at))) } td { (e.actor) } td { (e.role) } td { (e.action) }
                        td { code { (e.subject.clone().unwrap_or_default()) } }
                        td { code { (e.detail.as_ref().map(|d| d.to_string()).unwrap_or_default()) } }
                        td.muted { (e.client.clone().unwrap_or_default()) }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, layout(&c, "/dash/audit", "Audit log", body))
}

async fn exports_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let a = match area(&st, &c).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        p { "FHIR R4 bundles of Patient resources (ABHA number and address identifiers) for state portals, and CSV per village for HMIS import. No Aadhaar data is ever exported." }
        p { a #fhir-all href="/v1/export/fhir" { "FHIR bundle of all your villages" } }
        table #exports {
            thead { tr { th { "Village" } th { "LGD code" } th { "FHIR" } th { "CSV" } } }
            tbody {
                @for v in a.villages() {
                    tr {
                        td { (v.name) } td { (v.lgd.village) }
                        td { a href=(format!("/v1/export/fhir?village={}", v.lgd.village)) { "FHIR" } }
                        td { a href=(format!("/v1/export/csv?village={}", v.lgd.village)) { "CSV" } }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, layout(&c, "/dash/exports", "Exports", body))
}

async fn root() -> Redirect {
    Redirect::to("/dash/day-end")
}

/// Page routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/dash", get(root))
        .route("/dash/", get(root))
        .route("/dash/assets/app.css", get(css))
        .route("/dash/login", get(login_get).post(login_post))
        .route("/dash/logout", post(logout))
        .route("/dash/day-end", get(day_end))
        .route("/dash/audit", get(audit_page))
        .route("/dash/exports", get(exports_page))
        .merge(super::review_pages::routes())
}
