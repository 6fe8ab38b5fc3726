//! Only OAEP with SHA-1 digest and SHA-1 MGF1 decrypts; everything else is refused as an
//! invalid value (never as an encryption error) and counted as `bad_padding`.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn test_oaep_sha1_accepted_other_paddings_refused() {
    let api = Api::start(config()).await;
    let der = api.sim.public_key_der();
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body(ASHA.0, ""))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.body["txnId"]
            .as_str()
            .is_some_and(|t| uuid::Uuid::parse_str(t).is_ok())
    );
    assert_eq!(
        r.body["message"],
        "OTP sent to Aadhaar registered mobile number ending with ******3210"
    );
    assert!(!r.text.contains(ASHA.0), "never echoes the Aadhaar number");

    let wrong = [
        encrypt(&der, ASHA.0, Scheme::Pkcs1v15),
        encrypt(&der, ASHA.0, Scheme::OaepSha256),
        encrypt(&der, ASHA.0, Scheme::OaepSha256Mgf1Sha1),
        "not base64 at all!".to_string(),
    ];
    for login in &wrong {
        let body = json!({"txnId": "", "scope": ["abha-enrol"], "loginHint": "aadhaar",
            "loginId": login, "otpSystem": "aadhaar"});
        let r = api.post(REQUEST_OTP, body).await;
        assert_field(r.status, &r.body, "loginId", "Invalid LoginId");
        assert!(!r.text.to_lowercase().contains("encrypt"), "{}", r.text);
    }
    assert_eq!(api.state().await["bad_padding"], 4);

    // An unknown Aadhaar gets the same refusal, but it is not a padding problem.
    let r = api
        .post(REQUEST_OTP, api.aadhaar_otp_body("999999999999", ""))
        .await;
    assert_field(r.status, &r.body, "loginId", "Invalid LoginId");
    assert_eq!(api.state().await["bad_padding"], 4);
}

#[tokio::test]
async fn test_badly_padded_otp_is_an_invalid_value_not_an_attempt() {
    let api = Api::start(config()).await;
    let der = api.sim.public_key_der();
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let otp = api.otp(&txn).await;
    for _ in 0..4 {
        let mut body = api.otp_enrol_body(&txn, &otp, None);
        body["authData"]["otp"]["otpValue"] = json!(encrypt(&der, &otp, Scheme::Pkcs1v15));
        let r = api.post(BY_AADHAAR, body).await;
        assert_field(r.status, &r.body, "otpValue", "Invalid OTP Value");
    }
    assert_eq!(api.state().await["bad_padding"], 4);
    let r = api
        .post(BY_AADHAAR, api.otp_enrol_body(&txn, &otp, None))
        .await;
    assert_eq!(
        r.status, 200,
        "padding failures did not use up the attempts: {}",
        r.text
    );
}

#[tokio::test]
async fn test_badly_padded_aadhaar_in_demo_auth() {
    let api = Api::start(config()).await;
    let der = api.sim.public_key_der();
    let mut body = api.demo_body(ASHA.0, ASHA.1, ASHA.2, "31-01-1990", None);
    body["authData"]["demo_auth"]["aadhaarNumber"] =
        json!(encrypt(&der, ASHA.0, Scheme::OaepSha256));
    let r = api.demo(body).await;
    assert_field(r.status, &r.body, "aadhaarNumber", "Invalid Aadhaar Number");
    assert_eq!(api.state().await["bad_padding"], 1);
    assert_eq!(api.state().await["creations"], 0);
}
