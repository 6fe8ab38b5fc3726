//! The supervisors' dashboard and its JSON API, served by the hub itself.
//!
//! It must work on a camp LAN with no internet: pages are rendered on the server (maud, which
//! escapes every value), the one stylesheet is compiled into the binary, charts are inline SVG,
//! and there is no script at all. Two doors, one set of rules:
//!
//! * **Browsers** sign in as dashboard users ([`crate::users`]) and carry a session cookie
//!   (`HttpOnly`, `SameSite=Strict`, `Secure` over TLS). Every form carries the session's CSRF
//!   token, and a POST without it (or from another origin) is refused with 403.
//! * **API clients** present a bearer token of an organiser, supervisor or administrator device
//!   ([`crate::registry`]); a worker's token is refused. Bearer requests need no CSRF token:
//!   browsers never attach them by themselves.
//!
//! Both resolve to a [`Caller`] with an [`Area`]; pages and API call the same [`crate::review`]
//! functions with it, so a supervisor of one district sees nothing of another either way.

pub mod api;
pub mod cards;
pub mod pages;
pub mod review_pages;
pub mod slips;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::audit::Actor;
use crate::registry::Role;
use crate::review::{Area, Reach, ReviewError};
use crate::server::{ApiError, AppState, blocking};
use crate::users;

/// The session cookie.
pub const SESSION_COOKIE: &str = "abha_session";
/// The pre-login CSRF cookie (double submit).
pub const LOGIN_COOKIE: &str = "abha_login";
/// The header API clients with a session send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who is asking, and what they may see.
#[derive(Debug, Clone)]
pub struct Caller {
    /// For the audit log.
    pub actor: Actor,
    /// Role.
    pub role: Role,
    /// Districts or villages.
    pub reach: Reach,
    /// The session's CSRF token (browsers only).
    pub csrf: Option<String>,
    /// Shown in the page header.
    pub display: String,
}

impl Caller {
    /// May take supervisor decisions (send back, dismiss, merge, distinct).
    pub fn decides(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
    /// May retry and import targets (organisers run the camp).
    pub fn operates(&self) -> bool {
        matches!(self.role, Role::Organiser | Role::Supervisor | Role::Admin)
    }
}

/// Reads one cookie from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() < 200)
}

/// `Set-Cookie` value for `name`.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age_s: i64) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Address and browser of a request, for the audit log (no more than 200 characters).
pub fn client(addr: &SocketAddr, headers: &HeaderMap) -> String {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let mut s = format!("{} {}", addr.ip(), ua);
    s.truncate(s.char_indices().nth(200).map_or(s.len(), |(i, _)| i));
    s
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a caller could not be established.
#[derive(Debug)]
pub enum Refusal {
    /// No credentials: a page redirects to the sign-in form, the API answers 401.
    SignIn,
    /// An API error.
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/dash/login").into_response(),
            Self::Api(e) => e.into_response(),
        }
    }
}

/// The caller of a request: a bearer token of a reviewing device, or a dashboard session.
pub async fn caller(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    addr: &SocketAddr,
) -> Result<Caller, Refusal> {
    if headers.contains_key(header::AUTHORIZATION) {
        let device = st.auth(headers).await?;
        if !device.role.reviews() {
            return Err(ApiError::forbidden().into());
        }
        let reach = if device.villages.is_empty() {
            Reach::All
        } else {
            Reach::Villages(device.villages.clone())
        };
        return Ok(Caller {
            actor: Actor {
                name: format!("device:{}", device.id),
                role: device.role.code().to_owned(),
                client: format!("{} device:{}", addr.ip(), device.id),
            },
            role: device.role,
            reach,
            csrf: None,
            display: format!("device {}", &device.id[..8.min(device.id.len())]),
        });
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(Refusal::SignIn);
    };
    let st2 = st.clone();
    let session =
        blocking(move || users::session(st2.store()?, &token).map_err(ApiError::internal))
            .await?
            .ok_or(Refusal::SignIn)?;
    let u = session.user;
    Ok(Caller {
        actor: Actor {
            name: u.username.clone(),
            role: u.role.code().to_owned(),
            client: client(addr, headers),
        },
        role: u.role,
        reach: u.reach(),
        csrf: Some(session.csrf),
        display: u.display_name.clone().unwrap_or(u.username.clone()),
    })
}

/// Refuses a state-changing request of a browser session without the session's CSRF token
/// (form field or header), or sent from another origin.
pub fn check_csrf(
    caller: &Caller,
    headers: &HeaderMap,
    form_token: Option<&str>,
) -> Result<(), ApiError> {
    let Some(expected) = &caller.csrf else {
        return Ok(()); // bearer token
    };
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin != "null" && origin_host != host {
            return Err(csrf_refused());
        }
    }
    let given = form_token.map(str::to_owned).or_else(|| {
        headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match given {
        Some(g) if same_token(&g, expected) => Ok(()),
        _ => Err(csrf_refused()),
    }
}

fn csrf_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf.missing",
        "the form token is missing or wrong; reload the page",
    )
}

/// Resolves the caller's area (blocking pool).
pub async fn area(st: &Arc<AppState>, caller: &Caller) -> Result<Area, ApiError> {
    let st2 = st.clone();
    let reach = caller.reach.clone();
    blocking(move || Area::resolve(st2.store()?, &reach).map_err(ApiError::from)).await
}

/// Runs `read` on the store with the caller's whole area (both on the blocking pool).
pub async fn read_area<T: Send + 'static>(
    st: &Arc<AppState>,
    caller: &Caller,
    read: impl FnOnce(&abha_core::store::Store, &Area) -> Result<T, crate::review::ReviewError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let a = area(st, caller).await?;
    let st2 = st.clone();
    blocking(move || Ok(read(st2.store()?, &a)?)).await
}

/// The caller's area narrowed to one village; a village outside it is refused (403).
pub fn narrow(area: &Area, village: Option<u32>) -> Result<Area, ApiError> {
    match village {
        None => Ok(area.clone()),
        Some(code) => {
            let id = abha_core::ids::VillageId::from_lgd(code);
            if area.contains(&id) {
                Ok(area.only(Some(id)))
            } else {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden.scope",
                    "that village is outside your area",
                ))
            }
        }
    }
}

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such record in your area",
            ),
            ReviewError::Refused { code, field } => {
                let status = if code.starts_with("review.note")
                    || code == "review.bad_reason"
                    || code == "review.same_member"
                {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::CONFLICT
                };
                ApiError::new(
                    status,
                    code,
                    field
                        .map(|f| format!("field {f}"))
                        .unwrap_or_else(|| code.to_owned()),
                )
            }
            ReviewError::Store(s) => ApiError::internal(s),
        }
    }
}

/// Whether the hub serves over TLS (cookies get `Secure`).
pub fn secure(st: &AppState) -> bool {
    st.pin_hex.is_some()
}

/// The routes of the dashboard and its API.
pub fn routes() -> axum::Router<Arc<AppState>> {
    pages::routes()
        .merge(api::routes())
        .merge(slips::routes())
        .merge(cards::routes())
}
