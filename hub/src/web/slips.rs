//! The printable household slips of a village (`/dash/slips`) and one slip as an SVG file
//! (`/dash/slips/{household id}`), for dashboard users and reviewing devices.
//!
//! Why a page: slips are printed at the camp before the workers go out, a village at a time, on
//! whatever printer the camp laptop has; a page of 50 mm slips with cut lines prints from any
//! browser without software. Each slip is signed by this hub ([`crate::slip`]); tablets enrolled
//! here verify it offline. The caller's area applies as on every page: a village or a household
//! outside it is refused (403 / 404), and slips show the village's name only, never a person's.

use std::net::SocketAddr;
use std::sync::Arc;

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::qr::SlipSigningKey;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

use super::pages::{layout, page, page_caller};
use super::{area, narrow};
use crate::server::{ApiError, AppState, blocking};
use crate::slip::{self, SlipPrintError};

/// Slips per page: three A4 sheets of 50 mm slips.
const PER_PAGE: u32 = 48;

/// `?village=LGD&offset=N`.
#[derive(Debug, Default, Deserialize)]
pub struct SlipsParams {
    /// LGD village code.
    pub village: Option<u32>,
    /// First household (in capture order).
    pub offset: Option<u32>,
}

impl From<SlipPrintError> for ApiError {
    fn from(e: SlipPrintError) -> Self {
        match e {
            SlipPrintError::NotFound | SlipPrintError::BadHousehold => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such household in your area",
            ),
            SlipPrintError::Ambiguous => ApiError::new(
                StatusCode::CONFLICT,
                "slip.ambiguous_code",
                "several households share this code",
            ),
            SlipPrintError::Qr => ApiError::internal("slip QR encoding"),
            SlipPrintError::Store(s) => ApiError::internal(s),
        }
    }
}

fn key(st: &AppState) -> Result<SlipSigningKey, ApiError> {
    st.slip_key.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unavailable.slips",
            "this hub has no slip key",
        )
    })
}

async fn slips_page(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<SlipsParams>, QueryRejection>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(Query(q)) = q else {
        let e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "the query is malformed",
        );
        return e.into_response();
    };
    let result = async {
        let a = area(&st, &c).await?;
        let Some(lgd) = q.village else {
            return Ok((a, None));
        };
        let one = narrow(&a, Some(lgd))?;
        let key = key(&st)?;
        let (st2, offset) = (st.clone(), q.offset.unwrap_or(0));
        let village = VillageId::from_lgd(lgd);
        let name = one.village(&village).map(|v| v.name.clone());
        let (slips, more) = blocking(move || {
            let (households, more) = slip::village_page(st2.store()?, village, offset, PER_PAGE)?;
            let slips = households.iter().map(|h| slip::slip_of(&key, h));
            Ok((slips.collect::<Result<Vec<_>, _>>()?, more))
        })
        .await?;
        tracing::info!(village = lgd, slips = slips.len(), "household slips shown");
        Ok::<_, ApiError>((a, Some((lgd, name, offset, slips, more))))
    }
    .await;
    let (a, shown) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        form.filters method="get" action="/dash/slips" {
            label { "Village"
                select name="village" {
                    @for v in a.villages() {
                        option value=(v.lgd.village)
                            selected[shown.as_ref().is_some_and(|s| s.0 == v.lgd.village)] { (v.name) " (" (v.lgd.village) ")" }
                    }
                }
            }
            button type="submit" { "Show slips" }
        }
        @if let Some((lgd, name, offset, slips, more)) = &shown {
            p.muted {
                "Households " (offset + 1) "–" (*offset as usize + slips.len()) " of "
                (name.clone().unwrap_or_default()) " in the order they were captured. Print this page (Ctrl+P), cut along the lines and leave each slip with its family. "
                "The QR code is signed by this hub: a tablet enrolled here opens the household, or says it is not on the tablet yet."
            }
            @if slips.is_empty() { p #no-slips { "No households captured in this village yet." } }
            div.slips #slips {
                @for s in slips {
                    figure.slip data-household=(s.household_id) data-payload=(s.payload) { (s.svg(name.as_deref())) }
                }
            }
            @if *more {
                p.noprint { a #next href=(format!("/dash/slips?village={lgd}&offset={}", offset + PER_PAGE)) { "Next households" } }
            }
        }
    };
    page(
        StatusCode::OK,
        layout(&c, "/dash/slips", "Household slips", body),
    )
}

async fn slip_svg(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = match page_caller(&st, &headers, &addr).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let result = async {
        let id: HouseholdId = id.parse().map_err(|_| SlipPrintError::BadHousehold)?;
        let a = area(&st, &c).await?;
        let key = key(&st)?;
        let st2 = st.clone();
        blocking(move || {
            let h = st2
                .store()?
                .household_summary(id)
                .map_err(SlipPrintError::from)?;
            let h = h.ok_or(SlipPrintError::NotFound)?;
            let village = h.village_id.and_then(|v| a.village(&v).cloned());
            let village = village.ok_or(SlipPrintError::NotFound)?;
            Ok(slip::slip_of(&key, &h)?.svg_document(Some(&village.name)))
        })
        .await
    }
    .await;
    match result {
        Ok(svg) => {
            let mut r = (StatusCode::OK, svg).into_response();
            let h = r.headers_mut();
            let v = HeaderValue::from_static;
            h.insert(header::CONTENT_TYPE, v("image/svg+xml; charset=utf-8"));
            h.insert(header::CONTENT_SECURITY_POLICY, v("default-src 'none'"));
            h.insert(header::X_CONTENT_TYPE_OPTIONS, v("nosniff"));
            h.insert(header::CACHE_CONTROL, v("no-store"));
            r
        }
        Err(e) => e.into_response(),
    }
}

/// Slip routes.
pub fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new()
        .route("/dash/slips", get(slips_page))
        .route("/dash/slips/{household}", get(slip_svg))
}
