//! The checks ABDM's API gateway applies before any handler runs, as one global middleware:
//! added latency, the rate limit, `REQUEST-ID`, `TIMESTAMP`, `X-CM-ID`, the bearer token and
//! injected faults. Admin routes (`/_sim/`) skip all of it.
//!
//! Doing this in one place, in a fixed order, means no ABDM route can forget a check and every
//! refusal has the same precedence: rate limit, then headers in the order of the table in
//! `docs/abdm-simulator.md`, then faults (an outage is something behind the gateway, so a call
//! with bad headers is refused before it can notice one).
//!
//! The `timeout` fault holds the request for `delay_ms` and then closes the connection without
//! a response: the server loop gives every connection a [`ConnKill`] switch, and pulling it
//! drops hyper's connection future, which closes the socket.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::config::FaultMode;
use crate::reply::{ApiError, parse_header_timestamp};
use crate::world::World;

/// Prefix of the gateway (HIE-CM) routes.
pub(crate) const GATEWAY: &str = "/api/hiecm";
/// Prefix of the ABHA service routes.
pub(crate) const ABHA: &str = "/abha/api";
/// The session route.
pub(crate) const SESSIONS: &str = "/api/hiecm/gateway/v3/sessions";
/// The certificate route.
pub(crate) const CERTIFICATE: &str = "/abha/api/v3/profile/public/certificate";

/// Closes the connection a request came on, without a response.
#[derive(Clone, Debug)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Gateway,
    Abha,
    Other,
}

fn classify(path: &str) -> Class {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under(GATEWAY) {
        Class::Gateway
    } else if under(ABHA) {
        Class::Abha
    } else {
        Class::Other
    }
}

/// The middleware: checks ABDM calls, logs method, path and status of every call.
pub(crate) async fn guard(State(world): State<Arc<World>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let class = classify(&path);
    let response = if class == Class::Other {
        next.run(req).await
    } else {
        world.count_request();
        match checked(&world, class, &path, req, next).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    };
    tracing::info!(%method, %path, status = response.status().as_u16(), "abdm-sim");
    response
}

async fn checked(
    world: &World,
    class: Class,
    path: &str,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let cfg = &world.config;
    if class == Class::Abha {
        if cfg.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(cfg.latency_ms)).await;
        }
        if !world.admit() {
            return Err(ApiError::RateLimited);
        }
    }
    check_headers(world, class, path, req.headers())?;
    let session_call = path == SESSIONS;
    if let Some(fault) = world.take_fault(session_call) {
        match fault.mode {
            FaultMode::None => {}
            FaultMode::Unavailable => return Err(ApiError::Unavailable),
            FaultMode::Error500 => return Err(ApiError::Internal),
            FaultMode::Slow => tokio::time::sleep(fault.delay()).await,
            FaultMode::Timeout => {
                let kill = req.extensions().get::<ConnKill>().cloned();
                tokio::time::sleep(fault.delay()).await;
                tracing::info!(method = %req.method(), %path, "abdm-sim: dropping connection");
                if let Some(ConnKill(k)) = kill {
                    k.notify_one();
                    // The connection future (and with it this one) is dropped now.
                    std::future::pending::<()>().await;
                }
                return Err(ApiError::Internal);
            }
        }
    }
    Ok(next.run(req).await)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_headers(
    world: &World,
    class: Class,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let cfg = &world.config;
    let id = header(headers, "request-id")
        .filter(|s| s.len() == 36)
        .and_then(|s| Uuid::try_parse(s).ok())
        .ok_or(ApiError::RequestId)?;
    if !world.first_use(id) {
        return Err(ApiError::DuplicateRequestId);
    }
    let ts = header(headers, "timestamp")
        .and_then(parse_header_timestamp)
        .ok_or(ApiError::Timestamp)?;
    let skew = (OffsetDateTime::now_utc() - ts).unsigned_abs();
    if skew > Duration::from_secs(cfg.max_skew_secs) {
        return Err(ApiError::Skew);
    }
    if (path == SESSIONS || path == CERTIFICATE)
        && header(headers, "x-cm-id") != Some(cfg.cm_id.as_str())
    {
        return Err(ApiError::CmId);
    }
    if class == Class::Abha {
        let live = header(headers, "authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| world.token_live(t));
        if !live {
            return Err(ApiError::Jwt);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_classify_prefixes() {
        assert_eq!(classify(SESSIONS), Class::Gateway);
        assert_eq!(classify(CERTIFICATE), Class::Abha);
        assert_eq!(classify("/abha/api"), Class::Abha);
        assert_eq!(classify("/abha/apix/v3"), Class::Other);
        assert_eq!(classify("/_sim/state"), Class::Other);
        assert_eq!(classify("/"), Class::Other);
    }
}
