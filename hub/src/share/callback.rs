//! `POST /api/v3/hip/patient/share`: the gateway tells the camp (a HIP) that a person scanned one
//! of its counter QR codes and shares their profile (abdm.md §4).
//!
//! The exchange is asynchronous, as the gateway's protocol is: the hub checks the caller and the
//! envelope, answers 202 at once, then issues the token and posts the reply to the gateway's
//! on-share path, answering the share's `REQUEST-ID`. What is refused synchronously, and how:
//!
//! | problem | answer | on-share |
//! |---|---|---|
//! | Scan and Share not configured | 503 `share.not_configured` | none |
//! | `Authorization` absent or not a valid gateway JWT | 401 `share.unauthenticated` | none |
//! | the gateway's keys cannot be fetched | 503 `share.keys_unavailable` | none |
//! | `REQUEST-ID`, `TIMESTAMP` or `X-HIP-ID` absent or wrong | 400 with the header as `field` | none |
//! | body not JSON | 400 `share.bad_body` | none |
//!
//! Everything about the content (intent, `metaData.hipId`, the counter, the patient) is answered
//! with 202 and an on-share `error{code,message}`, so the person's app shows the refusal. Logs
//! carry the request id, the counter and codes: never the ABHA address or the profile.

use std::net::SocketAddr;
use std::sync::Arc;

use abha_core::abdm::ExpiryUnit;
use abha_core::abdm::hip::{OnShare, TokenProfile};
use abha_core::abdm::share::{INTENT, ShareRequest, counter_id, read_share};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::tokens::{self, Issue};
use super::{Share, ShareError};
use crate::server::AppState;

fn refused(
    status: StatusCode,
    code: &'static str,
    field: &'static str,
    message: &'static str,
) -> ShareError {
    ShareError::Refused {
        status,
        code,
        field: Some(field),
        message,
    }
}

fn header_of<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, ShareError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            refused(
                StatusCode::BAD_REQUEST,
                "share.header_missing",
                name,
                "a required header is missing",
            )
        })
}

/// `TIMESTAMP`: RFC 3339 (`2022-10-06T15:10:00.587Z`, or with an offset), or the same without
/// an offset read as UTC; lenient because senders differ (abdm.md §2.3).
pub(crate) fn parse_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let f = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        time::PrimitiveDateTime::parse(s, f)
            .ok()
            .map(time::PrimitiveDateTime::assume_utc)
    })
}

/// The handler.
pub(crate) async fn share(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ShareError> {
    let share = st.share.clone().ok_or(ShareError::Refused {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "share.not_configured",
        field: None,
        message: "Scan and Share is not configured on this hub",
    })?;
    st.rate_limit(&format!("share:{}", addr.ip()))
        .map_err(ShareError::Api)?;
    let unauthenticated = || {
        refused(
            StatusCode::UNAUTHORIZED,
            "share.unauthenticated",
            "Authorization",
            "the gateway's token is missing or not valid",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() < 16 * 1024)
        .ok_or_else(unauthenticated)?;
    if let Err(e) = share.keys.verify(token).await {
        tracing::warn!(error = %e, "profile share refused: gateway token");
        return Err(match e {
            super::jwt::JwtError::KeysUnavailable => ShareError::Refused {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "share.keys_unavailable",
                field: None,
                message: "the gateway's signing keys cannot be fetched; try again",
            },
            super::jwt::JwtError::Invalid { .. } => unauthenticated(),
        });
    }
    let request_id = header_of(&headers, "REQUEST-ID")?;
    let request_id = uuid::Uuid::try_parse(request_id)
        .map_err(|_| {
            refused(
                StatusCode::BAD_REQUEST,
                "share.header_invalid",
                "REQUEST-ID",
                "REQUEST-ID must be a UUID",
            )
        })?
        .to_string();
    let ts = parse_timestamp(header_of(&headers, "TIMESTAMP")?).ok_or_else(|| {
        refused(
            StatusCode::BAD_REQUEST,
            "share.header_invalid",
            "TIMESTAMP",
            "TIMESTAMP must be ISO-8601 UTC",
        )
    })?;
    if (time::OffsetDateTime::now_utc() - ts).unsigned_abs() > share.config.max_skew {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "share.timestamp_skew",
            "TIMESTAMP",
            "TIMESTAMP is too far from the hub's clock",
        ));
    }
    if !header_of(&headers, "X-HIP-ID")?.eq_ignore_ascii_case(&share.hip_id) {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "share.hip_mismatch",
            "X-HIP-ID",
            "this hub is not that HIP",
        ));
    }
    let bytes = body.map_err(|e| ShareError::Api(e.into()))?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
        refused(
            StatusCode::BAD_REQUEST,
            "share.bad_body",
            "body",
            "the body is not JSON",
        )
    })?;
    tracing::info!(request_id = %request_id, "profile share accepted for processing");
    tokio::spawn(share.process(request_id, body));
    Ok(StatusCode::ACCEPTED.into_response())
}

/// A refusal sent back through on-share.
struct Refusal {
    code: &'static str,
    message: String,
}

fn refusal(code: &'static str, message: &str) -> Refusal {
    Refusal {
        code,
        message: message.to_string(),
    }
}

impl Share {
    /// The counter of a share, checked: present, well-formed, one of the camp's (if listed).
    fn counter_of(&self, req: &ShareRequest) -> Result<String, Refusal> {
        let given = req.counter.as_deref().unwrap_or_default();
        let counter = counter_id(given).map_err(|e| match e {
            abha_core::abdm::share::ShareError::Missing { .. } => refusal(
                "share.counter_missing",
                "metaData.context (the counter id) is missing",
            ),
            _ => refusal(
                "share.counter_invalid",
                "metaData.context is not a counter id",
            ),
        })?;
        if !self.config.counters.is_empty() && !self.config.counters.iter().any(|c| c == counter) {
            return Err(refusal(
                "share.counter_unknown",
                "this facility has no such counter",
            ));
        }
        Ok(counter.to_string())
    }

    /// Reads and checks a share, and issues its token.
    /// Returns the reply and the row of the token.
    async fn issue(
        self: &Arc<Self>,
        request_id: &str,
        body: &Value,
    ) -> Result<(OnShare, String), Refusal> {
        let req = read_share(body).map_err(|e| Refusal {
            code: e.code(),
            message: e.to_string(),
        })?;
        if req
            .intent
            .as_deref()
            .is_some_and(|i| !i.eq_ignore_ascii_case(INTENT))
        {
            return Err(refusal(
                "share.intent_unsupported",
                "only PROFILE_SHARE is served",
            ));
        }
        if req
            .hip_id
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case(&self.hip_id))
        {
            return Err(refusal(
                "share.hip_mismatch",
                "metaData.hipId is not this facility",
            ));
        }
        let counter = self.counter_of(&req)?;
        let now = crate::review::now_ms();
        let (me, rid, c, patient) = (
            self.clone(),
            request_id.to_string(),
            counter.clone(),
            req.patient.clone(),
        );
        let issued = tokio::task::spawn_blocking(move || {
            let what = Issue {
                now_ms: now,
                counter: &c,
                request_id: &rid,
                validity_ms: i64::try_from(me.config.token_validity.as_millis())
                    .unwrap_or(i64::MAX / 4),
                keep_days: me.config.keep_days,
            };
            tokens::issue(&me.store, what, &patient)
        })
        .await
        .map_err(|_| {
            refusal(
                "share.failed",
                "the facility could not issue a token; scan again",
            )
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "token issue failed");
            refusal(
                "share.failed",
                "the facility could not issue a token; scan again",
            )
        })?;
        let left_ms = (issued.expires_at - now).max(0);
        let expiry = match self.config.expiry_unit {
            ExpiryUnit::Seconds => left_ms / 1000,
            ExpiryUnit::Minutes => (left_ms + 59_999) / 60_000,
        };
        let token = tokens::format_token(issued.number, self.config.token_digits);
        tracing::info!(request_id, counter = %counter, token = %token, again = issued.again, "token issued");
        let reply = OnShare::success(
            request_id,
            &req.patient.abha_address,
            TokenProfile {
                context: counter,
                token_number: token,
                expiry: expiry.to_string(),
            },
        );
        Ok((reply, issued.id))
    }

    /// Issues the token (or finds the refusal) and posts the on-share reply.
    pub(crate) async fn process(self: Arc<Self>, request_id: String, body: Value) {
        let (reply, row) = match self.issue(&request_id, &body).await {
            Ok((reply, row)) => (reply, Some(row)),
            Err(r) => {
                tracing::info!(request_id = %request_id, code = r.code, "profile share refused");
                (OnShare::failure(&request_id, r.code, &r.message), None)
            }
        };
        let outcome = match self.client.on_share(&self.hip_id, &reply).await {
            Ok(()) => "sent".to_string(),
            Err(e) => {
                tracing::warn!(request_id = %request_id, reason = %e.reason_code(), "on-share failed");
                e.reason_code()
            }
        };
        if let Some(id) = row {
            let store = self.store.clone();
            let _ =
                tokio::task::spawn_blocking(move || tokens::record_reply(&store, &id, &outcome))
                    .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_timestamps_are_read_leniently() {
        for s in [
            "2022-10-06T15:10:00.587Z",
            "2022-10-06T20:40:00.587+05:30",
            "2022-10-06T15:10:00Z",
            "2022-10-06T15:10:00.587",
        ] {
            let t = parse_timestamp(s).map(|t| t.unix_timestamp());
            assert_eq!(t, Some(1_665_069_000), "{s}");
        }
        assert!(parse_timestamp("06-10-2022 15:10:00").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
