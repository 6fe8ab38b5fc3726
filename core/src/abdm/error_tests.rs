//! Every error body shape of abdm.md §2.10, and a property: no body ever panics the parser or
//! leaks message text into the error.

use proptest::prelude::*;

use super::*;

fn refused(status: u16, body: &str) -> (RefusalKind, String, Vec<String>) {
    match parse_failure(status, body.as_bytes(), false) {
        AbdmError::Refused {
            kind, code, fields, ..
        } => (kind, code, fields),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn test_nested_error_shape() {
    let (k, c, _) = refused(
        400,
        r#"{"error":{"code":"ABDM-1124","message":"Mobile already linked to 6 ABHA"}}"#,
    );
    assert_eq!((k, c.as_str()), (RefusalKind::MobileLimit, "ABDM-1124"));
}

#[test]
fn test_flat_code_shape_with_trailing_colon() {
    let (k, c, _) = refused(
        400,
        r#"{"code":"ABDM-1100: ","message":"You have requested multiple OTPs","timestamp":"2024-10-25 15:02:34"}"#,
    );
    assert_eq!(c, "ABDM-1100");
    assert_eq!(k, RefusalKind::OtpAttemptsExceeded);
}

#[test]
fn test_his_details_code_wins() {
    let (k, c, _) = refused(
        422,
        r#"{"code":"HIS-422","message":"Unable to process","details":[{"message":"Ensure correct Aadhaar Information is entered.","code":"HIS-2018"}]}"#,
    );
    assert_eq!(
        (k, c.as_str()),
        (RefusalKind::DemographicMismatch, "HIS-2018")
    );
}

#[test]
fn test_field_keyed_shape() {
    let (k, _, f) = refused(
        400,
        r#"{"otpValue":"Invalid OTP Value","timestamp":"24-11-2022 20:38:44"}"#,
    );
    assert_eq!(k, RefusalKind::OtpInvalid);
    assert_eq!(f, vec!["otpValue".to_string()]);
    let (k, _, f) = refused(400, r#"{"loginId":"Invalid LoginId"}"#);
    assert_eq!((k, f), (RefusalKind::InvalidValue, vec!["loginId".into()]));
    let (k, _, _) = refused(400, r#"{"txnId":"Invalid Transaction Id"}"#);
    assert_eq!(k, RefusalKind::TransactionInvalid);
}

#[test]
fn test_array_shape() {
    let (_, c, _) = refused(
        400,
        r#"[{"code":"ABDM-9999: ","message":"Invalid Login Hint"}]"#,
    );
    assert_eq!(c, "ABDM-9999");
}

#[test]
fn test_gateway_and_empty_shapes() {
    let e = parse_failure(
        401,
        br#"{"code":"900901","message":"Invalid Credentials","description":"Invalid JWT token"}"#,
        false,
    );
    assert_eq!(e.abdm_code(), Some("900901"));
    let e = parse_failure(400, b"", false);
    assert_eq!(e.abdm_code(), Some("http.400"));
    let e = parse_failure(401, b"", true);
    assert!(matches!(e, AbdmError::Credentials { .. }));
}

#[test]
fn test_transient_classes() {
    assert_eq!(parse_failure(429, b"", false), AbdmError::RateLimited);
    assert_eq!(
        parse_failure(400, br#"{"code":"ABDM-1022","message":"Too many"}"#, false),
        AbdmError::RateLimited
    );
    let e = parse_failure(
        503,
        br#"{"code":"ABDM-1206","message":"Aadhaar gateway unavailable"}"#,
        false,
    );
    assert!(e.is_transient());
    assert!(parse_failure(500, b"", false).is_ambiguous());
    let e = parse_failure(
        400,
        br#"{"error":{"code":"ABDM-1019","message":"x"}}"#,
        false,
    );
    assert!(e.is_transient());
    assert!(!parse_failure(400, br#"{"code":"ABDM-1101"}"#, false).is_transient());
}

#[test]
fn test_reason_codes_are_stable() {
    assert_eq!(
        parse_failure(400, br#"{"code":"ABDM-1101"}"#, false).reason_code(),
        "abdm.address_taken"
    );
    assert_eq!(AbdmError::Timeout.reason_code(), "abdm.timeout");
}

proptest! {
    #[test]
    fn prop_no_message_text_survives(status in 400u16..600, msg in "[0-9]{12}", key in "x[a-z]{2,7}") {
        // A body whose message carries a 12-digit number: the error must not show it.
        let body = format!(r#"{{"code":"ABDM-1204","message":"UIDAI {msg}","{key}":"v {msg}"}}"#);
        let e = parse_failure(status, body.as_bytes(), false);
        let shown = format!("{e} {e:?} {}", e.reason_code());
        prop_assert!(!shown.contains(&msg));
    }

    #[test]
    fn prop_arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), status in 100u16..600) {
        let _ = parse_failure(status, &body, status % 2 == 0);
    }
}
