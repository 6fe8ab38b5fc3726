//! The ABHA cards to print (`/dash/cards`): enrolments ABDM created or linked in the caller's
//! area, newest first, each linking to its card as SVG (print from the browser) or PNG.
//!
//! Why a page: at a camp the print desk is not the tablet that enrolled the person, and NHA asks
//! that an assisted enrollee leaves with a card. The list shows the household's printed code,
//! the village and times only, never a name or number; the card is drawn when its link is
//! opened (`/v1/abdm/enrollments/{id}/card.svg|png`, audited as `card.print`), and a row says
//! whether that already happened, so a queue at the desk can be worked down.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

use super::area;
use super::pages::{layout, page, page_caller, when};
use crate::card::list::printable;
use crate::server::{ApiError, AppState, blocking};

/// Rows shown at most.
const LIMIT: u32 = 200;

/// `?show=unprinted|all`.
#[derive(Debug, Default, Deserialize)]
pub struct CardsParams {
    /// `unprinted` (default) or `all`.
    pub show: Option<String>,
}

async fn cards_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<CardsParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !c.operates() {
        return ApiError::forbidden().into_response();
    }
    let all = match q.as_ref().ok().and_then(|q| q.show.as_deref()) {
        None | Some("unprinted") => false,
        Some("all") => true,
        Some(_) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "show is unprinted or all",
            )
            .into_response();
        }
    };
    let result = async {
        let a = area(&st, &c).await?;
        let (st2, ids) = (st.clone(), a.json_ids());
        let rows = blocking(move || {
            printable(st2.store()?, &ids, !all, LIMIT).map_err(ApiError::internal)
        })
        .await?;
        Ok::<_, ApiError>((a, rows))
    }
    .await;
    let (a, rows) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        p.muted {
            "People whose ABHA was created or linked, newest first. Open a card and print it (Ctrl+P); "
            "every card opened is recorded in the audit log."
        }
        p {
            @if all { a href="/dash/cards" { "Show only cards not printed yet" } }
            @else { a href="/dash/cards?show=all" { "Show all, printed too" } }
        }
        @if rows.is_empty() { p #no-cards { "No cards to print." } }
        @else {
            table #cards {
                thead { tr { th { "Household" } th { "Village" } th { "Requested" } th { "ABHA" } th { "Printed" } th { "Card" } } }
                tbody { @for r in &rows {
                    tr data-enrollment=(r.enrollment) data-printed=(r.printed) {
                        td { code { (r.household_code.clone().unwrap_or_default()) } }
                        td { (r.village.and_then(|v| a.village(&v)).map(|v| v.name.clone()).unwrap_or_default()) }
                        td { (when(r.captured_at)) }
                        td { (r.state) }
                        td { @if r.printed { "yes" } @else { "not yet" } }
                        td {
                            a href=(format!("/v1/abdm/enrollments/{}/card.svg", r.enrollment)) target="_blank" { "SVG" }
                            " · "
                            a href=(format!("/v1/abdm/enrollments/{}/card.png", r.enrollment)) target="_blank" { "PNG" }
                        }
                    }
                } }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(&c, "/dash/cards", "ABHA cards to print", body),
    )
}

/// Card list routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new().route("/dash/cards", get(cards_page))
}
