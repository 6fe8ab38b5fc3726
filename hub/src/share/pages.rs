//! Scan and Share pages of the dashboard: the printable counter QR codes and the token board.
//!
//! The board faces the public queue, so it shows numbers only: per counter the token being
//! served (handled last), the tokens still waiting, and how many were issued today. No names,
//! no ABHA addresses, nothing a person in the queue could read about another. It reloads itself
//! with `<meta http-equiv="refresh">` because the dashboard runs no script (its CSP forbids
//! it). Both pages need a dashboard sign-in like every other page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, html};
use serde::Deserialize;

use super::{ShareError, counter_svg, tokens};
use crate::server::{AppState, blocking};
use crate::web::pages::{layout, page, page_caller, urlencode};

/// Seconds between reloads of the token board.
pub const BOARD_REFRESH_SECS: u32 = 10;

/// `?counter=` of the counters page (one more counter to print).
#[derive(Debug, Default, Deserialize)]
pub struct CounterParams {
    counter: Option<String>,
}

async fn counters(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<CounterParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let extra = q
        .ok()
        .and_then(|Query(q)| q.counter)
        .filter(|s| !s.trim().is_empty());
    let body = match &st.share {
        None => html! {
            p.msg.error data-testid="not-configured" {
                "Scan and Share is not configured: set share.hip_id (the camp's HFR facility id) in abdm.json."
            }
        },
        Some(share) => {
            let mut list: Vec<String> = share.config.counters.clone();
            let mut error = None;
            let open = share.config.counters.is_empty();
            if let Some(x) = extra {
                match abha_core::abdm::share::counter_id(&x) {
                    Ok(id) if list.iter().any(|c| c == id) => {}
                    Ok(id) if open => list.push(id.to_string()),
                    Ok(_) => {
                        error = Some("That counter is not in share.counters: add it there first.")
                    }
                    Err(_) => error = Some("Counter ids are 1 to 20 letters or digits."),
                }
            }
            html! {
                p.muted.noprint {
                    "Print a code for each counter. A person scans it with the ABHA app; their profile reaches this hub and they get a token number. Facility (HIP) id: "
                    code { (share.hip_id) } ". "
                    @if open { "Any counter id is accepted (share.counters is empty)." }
                    @else { "Only the counters listed in share.counters are accepted." }
                    " " a href="/dash/tokens" { "Open the token board" }
                }
                @if let Some(e) = error { p.msg.error role="alert" data-testid="error" { (e) } }
                form.filters.noprint method="get" action="/dash/counters" {
                    label { "Counter id" input name="counter" maxlength="20" pattern="[A-Za-z0-9]{1,20}" placeholder="OPD3"; }
                    button type="submit" { "Show its code" }
                }
                div.counters {
                    @for id in &list {
                        figure.counter data-counter=(id) {
                            img src=(format!("/dash/counters/{}/qr.svg", urlencode(id))) alt=(format!("QR code of counter {id}")) width="320" height="320";
                            figcaption { strong { "Counter " (id) } br; "Scan with the ABHA app to share your profile and get a token." }
                        }
                    }
                }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(&c, "/dash/counters", "Scan & Share counters", body),
    )
}

async fn counter_qr(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(counter): Path<String>,
) -> Response {
    if let Err(r) = page_caller(&st, &headers, &addr).await {
        return r;
    }
    let Some(share) = &st.share else {
        return ShareError::Refused {
            status: StatusCode::NOT_FOUND,
            code: "share.not_configured",
            field: None,
            message: "Scan and Share is not configured on this hub",
        }
        .into_response();
    };
    match counter_svg(&share.config, &counter) {
        Ok((_, svg)) => {
            let mut r = svg.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn board(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = page_caller(&st, &headers, &addr).await {
        return r;
    }
    let (counters, digits) = st
        .share
        .as_ref()
        .map(|s| (s.config.counters.clone(), s.config.token_digits))
        .unwrap_or_default();
    let st2 = st.clone();
    let rows = match blocking(move || {
        tokens::board(st2.store()?, crate::review::now_ms(), &counters, digits)
            .map_err(crate::server::ApiError::internal)
    })
    .await
    {
        Ok(rows) => rows,
        Err(e) => return e.into_response(),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="refresh" content=(BOARD_REFRESH_SECS);
                title { "Tokens · ABHA Field hub" }
                link rel="stylesheet" href="/dash/assets/app.css";
            }
            body.board {
                h1 { "Token numbers" }
                @if rows.is_empty() { p.board-empty { "No tokens yet today. Scan a counter's code with the ABHA app." } }
                div.board-grid {
                    @for r in &rows {
                        section.board-counter data-counter=(r.counter) {
                            h2 { "Counter " (r.counter) }
                            p.board-now { span.board-label { "Now" } span.board-token data-testid="serving" { (r.serving.clone().unwrap_or_else(|| "—".into())) } }
                            p.board-next {
                                span.board-label { "Next" }
                                @if r.waiting.is_empty() { span.board-wait { "—" } }
                                @for t in &r.waiting { span.board-wait { (t) } }
                            }
                            p.board-issued { (r.issued) " issued today" }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, markup)
}

/// Page routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/dash/counters", get(counters))
        .route("/dash/counters/{counter}/qr.svg", get(counter_qr))
        .route("/dash/tokens", get(board))
}
