//! Enrolment by Aadhaar OTP end to end: request, wrong OTP, success, the attempt and resend
//! limits, expiry, and verifying a communication mobile.

mod common;

use std::time::Duration;

use abha_abdm_sim::SimConfig;
use common::*;
use serde_json::json;

const LIMIT: &str = "You have requested multiple OTPs Or Exceeded maximum number of attempts for OTP match in this transaction";

fn assert_abha_number(n: &str) -> String {
    let groups: Vec<&str> = n.split('-').collect();
    assert_eq!(
        groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
        [2, 4, 4, 4],
        "{n}"
    );
    let digits = n.replace('-', "");
    assert!(
        digits.starts_with("91") && digits.chars().all(|c| c.is_ascii_digit()),
        "{n}"
    );
    assert!(luhn(&digits), "Luhn-valid: {n}");
    digits
}

#[tokio::test]
async fn test_otp_enrolment_end_to_end() {
    let api = Api::start(config()).await;
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    assert!(
        otp.len() == 6 && otp.chars().all(|c| c.is_ascii_digit()),
        "{otp}"
    );
    assert_eq!(api.sim.otp_for(&txn).as_deref(), Some(otp.as_str()));
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, wrong, Some(ASHA.4)))
        .await;
    assert_field(r.status, &r.body, "otpValue", "Invalid OTP Value");

    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, Some(ASHA.4)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["txnId"], txn);
    assert_eq!(b["isNew"], true);
    assert!(b["message"].as_str().is_some_and(|m| !m.contains(ASHA.0)));
    assert!(b["tokens"]["token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(b["tokens"]["expiresIn"], 1800);
    assert!(b["tokens"]["refreshToken"].is_string());
    assert!(b["tokens"]["refreshExpiresIn"].is_number());
    let p = &b["ABHAProfile"];
    let number = p["ABHANumber"].as_str().expect("ABHANumber").to_string();
    let digits = assert_abha_number(&number);
    assert_eq!(p["phrAddress"], json!([format!("{digits}@sbx")]));
    assert_eq!(p["firstName"], "Asha");
    assert_eq!(p["middleName"], "");
    assert_eq!(p["lastName"], "Devi");
    assert_eq!(p["dob"], "31-01-1990");
    assert_eq!(p["gender"], "F");
    assert_eq!(p["mobile"], ASHA.4);
    assert_eq!(p["abhaStatus"], "ACTIVE");
    assert_eq!(p["abhatype"], "STANDARD");
    assert!(p["stateCode"].is_string() && p["districtCode"].is_string());
    assert!(!r.text.contains(ASHA.0));

    // The OTP is used up.
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, Some(ASHA.4)))
        .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");

    // A new transaction for the same resident returns the same ABHA.
    let (_, again) = api.enrol_asha_by_otp().await;
    assert_eq!(again["isNew"], false);
    assert_eq!(again["ABHAProfile"]["ABHANumber"], number);
    let state = api.state().await;
    assert_eq!(state["creations"], 1);
    assert_eq!(
        state["abhas"],
        json!([{"abha_number": number, "created_times": 2}])
    );
}

#[tokio::test]
async fn test_attempts_exceeded_is_abdm_1100() {
    let api = Api::start(config()).await;
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let r = api
            .post(BY_AADHAAR, api.otp_enrol_body(&txn, wrong, None))
            .await;
        assert_field(r.status, &r.body, "otpValue", "Invalid OTP Value");
    }
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, None))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"code": "ABDM-1100", "message": LIMIT}));
    assert_eq!(api.state().await["creations"], 0);
}

#[tokio::test]
async fn test_resend_limit() {
    let api = Api::start(config()).await;
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    for _ in 0..2 {
        let r = api
            .post(REQUEST_OTP, api.aadhaar_otp_body(ASHA.0, &txn))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["txnId"], txn, "a resend keeps the transaction");
    }
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body(ASHA.0, &txn))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!({"code": "ABDM-1100", "message": LIMIT}));
    // The last OTP sent still works.
    let otp = api.otp(&txn).await;
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, None))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A resend for a transaction nobody started.
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body(ASHA.0, "no-such-txn"))
        .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
}

#[tokio::test]
async fn test_otp_and_transaction_expiry() {
    let api = Api::start(SimConfig {
        otp_ttl_secs: 1,
        ..config()
    })
    .await;
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, None))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"code": "ABDM-1003", "message": "OTP expired, please try again"})
    );

    let api = Api::start(SimConfig {
        txn_ttl_secs: 1,
        ..config()
    })
    .await;
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, None))
        .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
}

#[tokio::test]
async fn test_unknown_aadhaar_txn_and_bad_fields() {
    let api = Api::start(config()).await;
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body("999988887777", ""))
        .await;
    assert_field(r.status, &r.body, "loginId", "Invalid LoginId");
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body("12345", ""))
        .await;
    assert_field(r.status, &r.body, "loginId", "Invalid LoginId");
    let r = api
        .post(
            BY_AADHAAR,
            api.otp_enrol_body("0b1e8f9e-0000-4000-8000-000000000000", "123456", None),
        )
        .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, Some("12345")))
        .await;
    assert_field(r.status, &r.body, "mobile", "Invalid Mobile Number");
    let mut body = api.aadhaar_otp_body(ASHA.0, "");
    body["loginHint"] = json!("abha-number");
    let r = api.post(REQUEST_OTP, body).await;
    assert_field(r.status, &r.body, "loginHint", "Invalid Login Hint");
    let mut body = api.otp_enrol_body(&txn, &otp, None);
    body["authData"]["authMethods"] = json!(["bio"]);
    let r = api.post(BY_AADHAAR, body).await;
    assert_field(r.status, &r.body, "authMethods", "Invalid Auth Methods");
}

#[tokio::test]
async fn test_communication_mobile_verification() {
    let api = Api::start(config()).await;
    let other = "9000011111";
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, Some(other)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.body["ABHAProfile"]["mobile"].is_null(),
        "differs from Aadhaar's: {}",
        r.text
    );
    let number = r.body["ABHAProfile"]["ABHANumber"].clone();

    let body = json!({"txnId": txn, "scope": ["abha-enrol", "mobile-verify"],
        "loginHint": "mobile", "loginId": api.enc(other), "otpSystem": "abdm"});
    let r = api.post(REQUEST_OTP, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["txnId"], txn);
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("******1111")),
        "{}",
        r.text
    );
    let motp = api.otp(&txn).await;
    let verify = |value: &str| {
        json!({"scope": ["abha-enrol", "mobile-verify"], "authData": {"authMethods": ["otp"],
            "otp": {"timeStamp": "2026-01-01 10:00:00", "txnId": txn, "otpValue": api.enc(value)}}})
    };
    let wrong = if motp == "000000" { "111111" } else { "000000" };
    let r = api.post(BY_ABDM, verify(wrong)).await;
    assert_field(r.status, &r.body, "otpValue", "Invalid OTP Value");
    let r = api.post(BY_ABDM, verify(&motp)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"txnId": txn, "authResult": "success", "message": "Mobile Number linked successfully.",
            "accounts": [{"ABHANumber": number}]})
    );
    let digits = number.as_str().expect("number").replace('-', "");
    let r = api.post(SEARCH, json!({"abhaAddress": digits})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["mobile"], "******1111");
    // Verifying needs an outstanding mobile OTP.
    let r = api.post(BY_ABDM, verify(&motp)).await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
}
