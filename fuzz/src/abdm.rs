//! `abdm_response`: the hub's readers of what ABDM answers.
//!
//! Why: ABDM's bodies come in at least five error shapes (abdm.md §2.10), its success replies
//! differ between sources, and the hub's bridge reads them unattended for every queued
//! enrolment; a panic there stalls the bridge, and message text leaking into an error puts
//! UIDAI details in the job table and logs. The harness feeds one body to
//! - [`parse_failure`] (with the status and call kind from the header) and [`read_error_body`]:
//!   stable reason codes, the classification is consistent with the status, and no message
//!   text survives (only ABDM's code and field names may);
//! - [`read_enrolled`] and [`read_lgd`] on the body as JSON (the enrolment and LGD replies);
//! - [`SealingKey::parse`] on the body and on a `publicKey` it carries (the certificate reply);
//! - [`demo_birth`], which formats a stored birth date for the demo-auth body.
//!
//! Input layout, text so seeds are easy to write by hand: a first line `STATUS` or `STATUSs`
//! (`s`: the credentials call, whose 401 means bad credentials), then the body. A first line that
//! is not a status makes the whole input the body of a 400.

use abha_core::abdm::api::{demo_birth, read_enrolled, read_lgd};
use abha_core::abdm::error::{parse_failure, read_error_body};
use abha_core::abdm::{AbdmError, RefusalKind};
use abha_core::seal::SealingKey;
use serde_json::Value;

/// Every reason code [`AbdmError::reason_code`] may give: they are stored and translated.
const REASONS: [&str; 24] = [
    "abdm.credentials",
    "abdm.unavailable",
    "abdm.rate_limited",
    "abdm.timeout",
    "abdm.network",
    "abdm.bad_reply",
    "abdm.encryption",
    "abdm.config",
    "abdm.demographic_mismatch",
    "abdm.otp_invalid",
    "abdm.otp_attempts_exceeded",
    "abdm.otp_expired",
    "abdm.transaction_invalid",
    "abdm.mobile_limit",
    "abdm.address_taken",
    "abdm.feature_restricted",
    "abdm.clock_rejected",
    "abdm.request_id",
    "abdm.invalid_value",
    "abdm.deactivated",
    "abdm.quota_reached",
    "abdm.not_found",
    "abdm.unauthorized",
    "abdm.refused",
];

/// A seed input: `status` (with `s` for the credentials call) and `body`.
pub fn input(status: u16, session_call: bool, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{status}{}\n", if session_call { "s" } else { "" }).into_bytes();
    out.extend(body);
    out
}

fn header(data: &[u8]) -> (u16, bool, &[u8]) {
    let Some(nl) = data.iter().position(|&b| b == b'\n') else {
        return (400, false, data);
    };
    let line = &data[..nl];
    let (digits, session) = match line.strip_suffix(b"s") {
        Some(d) => (d, true),
        None => (line, false),
    };
    match std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u16>().ok())
    {
        Some(status) => (status, session, &data[nl + 1..]),
        None => (400, false, data),
    }
}

/// The harness: see the module docs.
pub fn run(data: &[u8]) {
    let (status, session_call, body) = header(data);
    failure(status, session_call, body);
    let json = serde_json::from_slice::<Value>(body).ok();
    if let Some(v) = &json {
        replies(v);
    }
    let text = String::from_utf8_lossy(body);
    keys(&text, json.as_ref());
    for format in ["dd-mm-yyyy", "dd/mm/yyyy", "yyyy-mm-dd", text.as_ref()] {
        let _ = demo_birth(&text, format);
    }
}

/// The failure classification and its privacy rule.
fn failure(status: u16, session_call: bool, body: &[u8]) {
    let read = read_error_body(body);
    let e = parse_failure(status, body, session_call);
    // Pure: the same answer twice.
    assert_eq!(parse_failure(status, body, session_call), e);
    let reason = e.reason_code();
    assert!(
        REASONS.contains(&reason.as_str()),
        "unknown reason code {reason}"
    );
    // Every failure but a rate limit carries a code: ABDM's, or http.<status>.
    let code = match e.abdm_code() {
        Some(c) => c.to_owned(),
        None => {
            assert_eq!(e, AbdmError::RateLimited, "{e:?} has no code");
            assert!(status == 429 || read.code.as_deref() == Some("ABDM-1022"));
            return;
        }
    };
    assert!(!code.is_empty());
    match &read.code {
        Some(c) => {
            assert_eq!(c, &code);
            assert_eq!(c.trim(), c, "codes are trimmed");
            assert!(!c.ends_with(':'));
        }
        None => assert_eq!(code, format!("http.{status}")),
    }
    match &e {
        AbdmError::RateLimited => {}
        AbdmError::Unavailable { status: s, .. } => {
            assert_eq!(*s, status);
            assert!(e.is_transient());
        }
        AbdmError::Credentials { .. } => {
            assert!(
                session_call,
                "only the credentials call reports bad credentials"
            );
            assert!(!e.is_transient());
        }
        AbdmError::Refused {
            kind,
            status: s,
            fields,
            ..
        } => {
            assert_eq!(*s, status);
            assert!(
                status < 500 && status != 429,
                "a {status} was refused, not unavailable"
            );
            assert!(!e.is_transient());
            assert_eq!(fields, &read.fields);
            if status == 401 && !session_call {
                assert_eq!(*kind, RefusalKind::Unauthorized);
            }
        }
        other => panic!("parse_failure made {other:?}"),
    }
    // Only the code and field names may reach the error: no digits from the rest of the body
    // (messages carry masked mobiles and UIDAI details).
    let mut shown = format!("{e} {e:?} {reason}");
    let mut allowed: Vec<&str> = read.fields.iter().map(String::as_str).collect();
    allowed.push(&code);
    allowed.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for a in allowed {
        let debug = format!("{a:?}");
        let escaped = &debug[1..debug.len() - 1];
        for form in [escaped, a] {
            if !form.is_empty() {
                shown = shown.replace(form, "\u{1}");
            }
        }
    }
    let body_text = String::from_utf8_lossy(body);
    if let Some(d) = crate::leaked_digits(&body_text, &shown, 6) {
        panic!("ABDM message digits {d} reached the error: {shown}");
    }
}

/// The success replies the bridge reads leniently.
fn replies(v: &Value) {
    if let Ok(e) = read_enrolled(v) {
        assert!(
            !e.abha_number.is_empty(),
            "an enrolment reply without an ABHA number was read"
        );
        // Enrolled's Debug is safe to log: no number, address or token.
        assert_eq!(
            format!("{e:?}"),
            format!(
                "Enrolled {{ is_new: {}, mobile_linked: {}, .. }}",
                e.is_new, e.mobile_linked
            )
        );
        assert!(e.user_token.as_ref().is_none_or(|t| !t.is_empty()));
    } else {
        assert!(
            v.get("ABHAProfile")
                .unwrap_or(v)
                .get("ABHANumber")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty),
            "an enrolment reply with an ABHA number was refused"
        );
    }
    if let Some(states) = read_lgd(v) {
        assert!(v.is_array());
        assert_eq!(states.len(), v.as_array().map_or(0, Vec::len));
    }
}

/// ABDM's public key, as the certificate reply carries it (`publicKey`), or as bare text.
fn keys(text: &str, json: Option<&Value>) {
    if let Ok(k) = SealingKey::parse(text) {
        assert_eq!(k.id().len(), 16);
    }
    if let Some(pk) = json
        .and_then(|v| v.get("publicKey"))
        .and_then(Value::as_str)
        && let Ok(k) = SealingKey::parse(pk)
    {
        assert_eq!(k.id().len(), 16);
    }
}
