//! Every refusal the simulator gives, with the status and body shape ABDM uses for it
//! (abdm.md 2.10), plus the two timestamp formats on the wire.
//!
//! ABDM mixes at least five body shapes; clients must cope with all of them, so the simulator
//! reproduces each one deliberately rather than normalising them. Keeping the table in one
//! place makes it easy to compare with `docs/abdm-simulator.md`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime};

/// `ABDM-1100`'s message.
pub(crate) const OTP_LIMIT_MESSAGE: &str = "You have requested multiple OTPs Or Exceeded maximum number of attempts for OTP match in this transaction";

/// A refusal, turned into ABDM's status and body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// `REQUEST-ID` missing or not a UUID.
    #[error("invalid request id")]
    RequestId,
    /// `REQUEST-ID` seen before.
    #[error("duplicate request id")]
    DuplicateRequestId,
    /// `TIMESTAMP` malformed.
    #[error("invalid timestamp")]
    Timestamp,
    /// `TIMESTAMP` too far from the simulator clock.
    #[error("timestamp out of range")]
    Skew,
    /// `X-CM-ID` missing or wrong.
    #[error("invalid X-CM-ID")]
    CmId,
    /// No live bearer token.
    #[error("invalid JWT token")]
    Jwt,
    /// Rate limit exceeded.
    #[error("too many requests")]
    RateLimited,
    /// Body is not the expected JSON.
    #[error("bad request")]
    BadRequest,
    /// Wrong or locked client credentials.
    #[error("invalid user credentials")]
    Credentials,
    /// A field-keyed 400 such as `{"otpValue":"Invalid OTP Value"}`.
    #[error("invalid field {field}")]
    Field {
        /// The JSON key.
        field: &'static str,
        /// Its message.
        message: &'static str,
    },
    /// Too many OTP attempts or resends.
    #[error("OTP attempt or resend limit reached")]
    OtpLimit,
    /// OTP past its lifetime.
    #[error("OTP expired")]
    OtpExpired,
    /// Demographic details do not match the resident.
    #[error("demographic mismatch")]
    Demographic,
    /// Benefit header missing or unknown.
    #[error("invalid benefit name")]
    Benefit,
    /// The mobile already has the maximum number of ABHAs.
    #[error("mobile linked to too many ABHAs")]
    MobileLimit,
    /// ABHA address taken.
    #[error("ABHA address exists")]
    AddressTaken,
    /// ABHA address unknown.
    #[error("ABHA address not found")]
    AddressNotFound,
    /// Injected outage.
    #[error("gateway unavailable")]
    Unavailable,
    /// Injected 500.
    #[error("internal error")]
    Internal,
    /// Bad admin input (simulator's own shape).
    #[error("bad admin request: {0}")]
    Admin(String),
    /// No such route or object (simulator's own shape).
    #[error("not found")]
    NotFound,
    /// Route exists, method does not (simulator's own shape).
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// The field-keyed `Invalid Transaction Id`.
    pub(crate) fn txn() -> Self {
        Self::Field {
            field: "txnId",
            message: "Invalid Transaction Id",
        }
    }

    /// The field-keyed `Invalid OTP Value`.
    pub(crate) fn otp() -> Self {
        Self::Field {
            field: "otpValue",
            message: "Invalid OTP Value",
        }
    }

    /// The field-keyed `Invalid LoginId`.
    pub(crate) fn login_id() -> Self {
        Self::Field {
            field: "loginId",
            message: "Invalid LoginId",
        }
    }

    /// The field-keyed `Invalid Mobile Number`.
    pub(crate) fn mobile() -> Self {
        Self::Field {
            field: "mobile",
            message: "Invalid Mobile Number",
        }
    }

    fn parts(&self) -> (StatusCode, Option<Value>) {
        let coded = |code: &str, message: &str| Some(json!({"code": code, "message": message}));
        match self {
            Self::RequestId => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-2404", "Invalid request id"),
            ),
            Self::DuplicateRequestId => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1064", "Duplicate request id"),
            ),
            Self::Timestamp => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1016", "Invalid timestamp"),
            ),
            Self::Skew => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-2402", "Timestamp out of range"),
            ),
            Self::CmId => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1017", "Invalid X-CM-ID"),
            ),
            Self::Jwt => (
                StatusCode::UNAUTHORIZED,
                Some(json!({"code": "900901", "message": "Invalid Credentials",
                    "description": "Invalid JWT token"})),
            ),
            Self::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                coded("ABDM-1022", "Too many requests"),
            ),
            Self::BadRequest => (StatusCode::BAD_REQUEST, coded("ABDM-1000", "Bad request")),
            Self::Credentials => (
                StatusCode::UNAUTHORIZED,
                Some(
                    json!({"error": {"code": "ABDM-1001", "message": "Invalid user credentials"}}),
                ),
            ),
            Self::Field { field, message } => {
                let mut body = serde_json::Map::new();
                body.insert((*field).to_string(), json!(message));
                let now = field_timestamp(OffsetDateTime::now_utc());
                body.insert("timestamp".into(), json!(now));
                (StatusCode::BAD_REQUEST, Some(Value::Object(body)))
            }
            Self::OtpLimit => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1100", OTP_LIMIT_MESSAGE),
            ),
            Self::OtpExpired => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1003", "OTP expired, please try again"),
            ),
            Self::Demographic => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(json!({"code": "HIS-422",
                    "message": "Unable to process the current request due to incorrect data entered.",
                    "details": [{"message": "INVALID_DEMOGRAPHIC_DETAILS", "code": "HIS-2018"}]})),
            ),
            Self::Benefit => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1094", "Feature restricted or invalid benefit name"),
            ),
            Self::MobileLimit => (
                StatusCode::BAD_REQUEST,
                Some(json!({"error": {"code": "ABDM-1124",
                    "message": "Mobile number is already linked to 6 ABHA numbers"}})),
            ),
            Self::AddressTaken => (
                StatusCode::BAD_REQUEST,
                coded("ABDM-1101", "This ABHA Address already exists"),
            ),
            Self::AddressNotFound => (
                StatusCode::NOT_FOUND,
                coded("ABDM-1114", "ABHA address not found"),
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                coded("ABDM-1206", "Aadhaar gateway unavailable"),
            ),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, None),
            Self::Admin(m) => (StatusCode::BAD_REQUEST, coded("SIM-400", m)),
            Self::NotFound => (StatusCode::NOT_FOUND, coded("SIM-404", "Not found")),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                coded("SIM-405", "Method not allowed"),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.parts() {
            (status, Some(body)) => (status, Json(body)).into_response(),
            (status, None) => status.into_response(),
        }
    }
}

/// Reads a JSON body; anything unreadable or of the wrong shape is `ABDM-1000`.
pub(crate) fn parse<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|_| ApiError::BadRequest)?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::BadRequest)
}

const HEADER_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Parses a `TIMESTAMP` header: exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
pub(crate) fn parse_header_timestamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    PrimitiveDateTime::parse(s, HEADER_FORMAT)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Formats a `TIMESTAMP` header value (what a correct client sends, and the simulated gateway
/// sends on its callbacks).
pub(crate) fn header_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(HEADER_FORMAT).unwrap_or_default()
}

/// The `timestamp` of field-keyed bodies: `dd-mm-yyyy HH:mm:ss`, Indian Standard Time.
pub(crate) fn field_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(offset!(+5:30));
    t.format(format_description!(
        "[day]-[month]-[year] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_header_timestamp_is_strict() {
        let t = parse_header_timestamp("2022-10-06T15:10:00.587Z").expect("valid");
        assert_eq!(header_timestamp(t), "2022-10-06T15:10:00.587Z");
        for bad in [
            "2022-10-06T15:10:00Z",
            "2022-10-06T15:10:00.58Z",
            "2022-10-06T15:10:00.5870Z",
            "2022-10-06T15:10:00.587+05:30",
            "2022-10-06 15:10:00.587Z",
            "2022-13-06T15:10:00.587Z",
            "2022-02-30T15:10:00.587Z",
            "",
            "२०२२-10-06T15:10:00.587Z",
        ] {
            assert!(parse_header_timestamp(bad).is_none(), "{bad}");
        }
        let now = OffsetDateTime::now_utc();
        assert!(parse_header_timestamp(&header_timestamp(now)).is_some());
    }

    #[test]
    fn test_field_keyed_body_shape() {
        let ts = field_timestamp(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(ts, "01-01-1970 05:30:00");
        let (status, body) = ApiError::otp().parts();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body = body.expect("has body");
        assert_eq!(body["otpValue"], "Invalid OTP Value");
        assert!(body["timestamp"].as_str().is_some_and(|s| s.len() == 19));
        assert_eq!(
            ApiError::Internal.parts(),
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        );
    }
}
