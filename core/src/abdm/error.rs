//! One error type for every way ABDM says no.
//!
//! ABDM answers failures in at least five body shapes (abdm.md §2.10): `{"error":{code,message}}`,
//! `{code,message,timestamp}`, HIS-style `{code,message,details:[{code,message}]}`, field-keyed
//! 400s (`{"otpValue":"Invalid OTP Value"}`), a top-level array, API-gateway `{code,message,
//! description}`, and empty bodies. [`parse_failure`] reads them all into an [`AbdmError`] whose
//! [`AbdmError::reason_code`] is a stable machine string supervisors and apps translate.
//!
//! ABDM's message texts are never kept: they can carry masked mobiles or UIDAI details, and the
//! codes already say what happened. Only codes and field names survive, so nothing personal
//! reaches logs or the sync log through an error.

use serde_json::Value;

/// What kind of refusal ABDM gave; drives the enrolment state a job moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// Name, date of birth or gender do not match Aadhaar (`HIS-2018`, 422,
    /// `INVALID_DEMOGRAPHIC_DETAILS`). The worker corrects and resubmits.
    DemographicMismatch,
    /// The OTP was wrong.
    OtpInvalid,
    /// Too many OTP attempts or resends in this transaction (`ABDM-1100`): start a new one.
    OtpAttemptsExceeded,
    /// The OTP or transaction expired.
    OtpExpired,
    /// The transaction id is unknown or expired.
    TransactionInvalid,
    /// The mobile is already linked to 6 ABHA numbers (`ABDM-1124`; `ABDM-1135` for email).
    MobileLimit,
    /// The chosen ABHA address is taken (`ABDM-1101`).
    AddressTaken,
    /// Feature restricted or benefit name invalid (`ABDM-1094`): a configuration problem.
    FeatureRestricted,
    /// The request's timestamp was malformed or the clock drifted (`ABDM-1016`, `ABDM-2402`).
    ClockRejected,
    /// The request id was repeated or malformed (`ABDM-1064`, `ABDM-2404`).
    RequestId,
    /// An encrypted or typed value was refused (`loginId`, `aadhaarNumber`, `mobile`...).
    InvalidValue,
    /// The account is deactivated (`ABDM-1134`, `ABDM-1407`).
    Deactivated,
    /// The client's creation quota is used up (`ABDM-1227`).
    QuotaReached,
    /// Not found (404, `ABDM-1114`).
    NotFound,
    /// The access or user token was refused (401, `900901`, `ABDM-2401`).
    Unauthorized,
    /// Anything else.
    Other,
}

impl RefusalKind {
    /// Stable code of the kind.
    pub fn code(self) -> &'static str {
        match self {
            Self::DemographicMismatch => "abdm.demographic_mismatch",
            Self::OtpInvalid => "abdm.otp_invalid",
            Self::OtpAttemptsExceeded => "abdm.otp_attempts_exceeded",
            Self::OtpExpired => "abdm.otp_expired",
            Self::TransactionInvalid => "abdm.transaction_invalid",
            Self::MobileLimit => "abdm.mobile_limit",
            Self::AddressTaken => "abdm.address_taken",
            Self::FeatureRestricted => "abdm.feature_restricted",
            Self::ClockRejected => "abdm.clock_rejected",
            Self::RequestId => "abdm.request_id",
            Self::InvalidValue => "abdm.invalid_value",
            Self::Deactivated => "abdm.deactivated",
            Self::QuotaReached => "abdm.quota_reached",
            Self::NotFound => "abdm.not_found",
            Self::Unauthorized => "abdm.unauthorized",
            Self::Other => "abdm.refused",
        }
    }
}

/// A call to ABDM failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbdmError {
    /// ABDM refused the client id or secret. Never retried automatically: the sandbox locks
    /// clients that keep trying.
    #[error("ABDM refused the client credentials ({code})")]
    Credentials {
        /// ABDM's code, or `http.401`.
        code: String,
    },
    /// Credentials failed recently; no session call is made until the pause ends.
    #[error("ABDM credential calls are paused after a refusal")]
    CredentialsPaused,
    /// ABDM or a service behind it is unavailable (5xx, `ABDM-1019`/`1206`/`1220`). Transient.
    #[error("ABDM unavailable (status {status}, {code})")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// ABDM's code, or `http.<status>`.
        code: String,
    },
    /// ABDM rate-limited us (429, `ABDM-1022`). Transient.
    #[error("ABDM rate limit reached")]
    RateLimited,
    /// No answer in time. Transient, but the call may have taken effect.
    #[error("ABDM did not answer in time")]
    Timeout,
    /// The connection failed. Transient.
    #[error("network error talking to ABDM: {0}")]
    Network(String),
    /// ABDM refused the request; retrying it unchanged will not help.
    #[error("ABDM refused the request ({}, {code})", kind.code())]
    Refused {
        /// What kind of refusal.
        kind: RefusalKind,
        /// HTTP status.
        status: u16,
        /// ABDM's code (trimmed), or `http.<status>`.
        code: String,
        /// Names of the fields a field-keyed 400 complained about.
        fields: Vec<String>,
    },
    /// A success reply lacked what it must carry.
    #[error("unexpected reply from ABDM (status {status})")]
    BadReply {
        /// HTTP status.
        status: u16,
    },
    /// ABDM's public key could not be used (bad key, unknown algorithm).
    #[error("ABDM encryption key unusable: {0}")]
    Encryption(&'static str),
    /// The client is misconfigured.
    #[error("ABDM client configuration: {0}")]
    Config(String),
}

impl AbdmError {
    /// Whether the same call may succeed later unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::RateLimited | Self::Timeout | Self::Network(_)
        )
    }

    /// Whether the call may have reached ABDM and taken effect (so an outcome is unknown).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Unavailable { status: 500.., .. }
        )
    }

    /// Stable machine code for job records, the apps and supervisors.
    pub fn reason_code(&self) -> String {
        match self {
            Self::Credentials { .. } | Self::CredentialsPaused => "abdm.credentials".into(),
            Self::Unavailable { .. } => "abdm.unavailable".into(),
            Self::RateLimited => "abdm.rate_limited".into(),
            Self::Timeout => "abdm.timeout".into(),
            Self::Network(_) => "abdm.network".into(),
            Self::Refused { kind, .. } => kind.code().into(),
            Self::BadReply { .. } => "abdm.bad_reply".into(),
            Self::Encryption(_) => "abdm.encryption".into(),
            Self::Config(_) => "abdm.config".into(),
        }
    }

    /// ABDM's own code, when it gave one.
    pub fn abdm_code(&self) -> Option<&str> {
        match self {
            Self::Credentials { code }
            | Self::Unavailable { code, .. }
            | Self::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The code, and the fields of a field-keyed body, read from any ABDM error shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// Trimmed code (`ABDM-1100`, `HIS-2018`, `900901`), the most specific one given.
    pub code: Option<String>,
    /// Upper-cased marker words found in messages that carry meaning (`INVALID_DEMOGRAPHIC_DETAILS`,
    /// `EXPIRED`); the rest of the text is dropped.
    pub markers: Vec<&'static str>,
    /// Field names of a field-keyed body.
    pub fields: Vec<String>,
}

const MARKERS: [&str; 3] = [
    "INVALID_DEMOGRAPHIC_DETAILS",
    "EXPIRED",
    "INVALID USER CREDENTIALS",
];
const META_KEYS: [&str; 6] = [
    "timestamp",
    "code",
    "message",
    "details",
    "description",
    "error",
];

fn trim_code(c: &str) -> Option<String> {
    let t = c
        .trim()
        .trim_end_matches(|ch: char| ch == ':' || ch.is_whitespace());
    (!t.is_empty()).then(|| t.to_string())
}

fn code_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => trim_code(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn scan_markers(v: &Value, out: &mut Vec<&'static str>) {
    match v {
        Value::String(s) => {
            let up = s.to_uppercase();
            for m in MARKERS {
                if up.contains(m) && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| scan_markers(x, out)),
        Value::Object(o) => o.values().for_each(|x| scan_markers(x, out)),
        _ => {}
    }
}

/// Reads an error body of any shape. Unparseable or empty bodies give an empty [`ErrorBody`].
pub fn read_error_body(body: &[u8]) -> ErrorBody {
    let mut out = ErrorBody::default();
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return out;
    };
    scan_markers(&v, &mut out.markers);
    let obj = match &v {
        Value::Array(a) => a.first().and_then(Value::as_object),
        Value::Object(o) => Some(o),
        _ => None,
    };
    let Some(obj) = obj else { return out };
    let inner = obj.get("error").and_then(Value::as_object).unwrap_or(obj);
    // HIS errors put the meaningful code in details[0].code.
    let detail = inner
        .get("details")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|d| d.get("code"))
        .and_then(code_of);
    out.code = detail.or_else(|| inner.get("code").and_then(code_of));
    out.fields = obj
        .iter()
        .filter(|(k, v)| !META_KEYS.contains(&k.as_str()) && v.is_string())
        .map(|(k, _)| k.clone())
        .collect();
    out
}

fn kind_of(status: u16, body: &ErrorBody) -> RefusalKind {
    use RefusalKind as K;
    let code = body.code.as_deref().unwrap_or("");
    let has = |m: &str| body.markers.contains(&m);
    match code {
        "HIS-2018" => return K::DemographicMismatch,
        "ABDM-1100" => return K::OtpAttemptsExceeded,
        "ABDM-1003" => return K::OtpExpired,
        "ABDM-1124" | "ABDM-1135" => return K::MobileLimit,
        "ABDM-1101" => return K::AddressTaken,
        "ABDM-1094" => return K::FeatureRestricted,
        "ABDM-1016" | "ABDM-2402" => return K::ClockRejected,
        "ABDM-1064" | "ABDM-2404" => return K::RequestId,
        "ABDM-1134" | "ABDM-1407" => return K::Deactivated,
        "ABDM-1227" => return K::QuotaReached,
        "ABDM-1114" => return K::NotFound,
        _ => {}
    }
    if has("INVALID_DEMOGRAPHIC_DETAILS") || status == 422 {
        return K::DemographicMismatch;
    }
    let field = |f: &str| body.fields.iter().any(|x| x == f);
    if field("otpValue") {
        return if has("EXPIRED") {
            K::OtpExpired
        } else {
            K::OtpInvalid
        };
    }
    if field("txnId") {
        return K::TransactionInvalid;
    }
    if !body.fields.is_empty() {
        return K::InvalidValue;
    }
    if status == 404 {
        return K::NotFound;
    }
    K::Other
}

/// Turns a failed HTTP answer into an error. `session_call` marks the credentials call, whose
/// 401 means bad credentials rather than an expired token.
pub fn parse_failure(status: u16, body: &[u8], session_call: bool) -> AbdmError {
    let b = read_error_body(body);
    let code = b.code.clone().unwrap_or_else(|| format!("http.{status}"));
    let unavailable = matches!(code.as_str(), "ABDM-1019" | "ABDM-1206" | "ABDM-1220");
    if status == 429 || code == "ABDM-1022" {
        return AbdmError::RateLimited;
    }
    if status >= 500 || unavailable {
        return AbdmError::Unavailable { status, code };
    }
    if session_call && (status == 401 || status == 403 || b.markers.contains(&MARKERS[2])) {
        return AbdmError::Credentials { code };
    }
    AbdmError::Refused {
        kind: if status == 401 || code == "900901" || code == "ABDM-2401" {
            RefusalKind::Unauthorized
        } else {
            kind_of(status, &b)
        },
        status,
        code,
        fields: b.fields,
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
