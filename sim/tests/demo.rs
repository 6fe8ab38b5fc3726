//! Enrolment by demographic authentication: match and repeat, mismatch, the benefit header,
//! six ABHA numbers per mobile and `accept_unknown`.

mod common;

use abha_abdm_sim::{Resident, SimConfig};
use common::*;
use reqwest::Method;
use serde_json::json;

#[test]
fn test_verhoeff_helper() {
    assert_eq!(with_verhoeff("23412341234"), "234123412346");
}

#[tokio::test]
async fn test_demo_match_creates_then_returns_the_same_abha() {
    let api = Api::start(config()).await;
    let r = api
        .demo(api.demo_body(ASHA.0, "  asha   DEVI ", "f", "31-01-1990", Some(ASHA.4)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["isNew"], true);
    let p = &r.body["ABHAProfile"];
    let number = p["ABHANumber"].as_str().expect("number").to_string();
    let digits = number.replace('-', "");
    assert!(luhn(&digits) && digits.len() == 14, "{number}");
    assert_eq!(p["phrAddress"], json!([format!("{digits}@sbx")]));
    assert_eq!(p["stateCode"], "10");
    assert_eq!(p["districtCode"], "215");
    assert_eq!(p["mobile"], ASHA.4);
    assert_eq!(p["firstName"], "Asha");
    assert!(r.body["txnId"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(!r.text.contains(ASHA.0));

    let r = api
        .demo(api.demo_body(ASHA.0, ASHA.1, ASHA.2, "31-01-1990", Some(ASHA.4)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["isNew"], false);
    assert_eq!(r.body["ABHAProfile"]["ABHANumber"], number);
    let state = api.state().await;
    assert_eq!(state["creations"], 1);
    assert_eq!(
        state["abhas"],
        json!([{"abha_number": number, "created_times": 2}])
    );
}

#[tokio::test]
async fn test_demo_mismatch_is_422() {
    let api = Api::start(config()).await;
    let his = json!({"code": "HIS-422",
        "message": "Unable to process the current request due to incorrect data entered.",
        "details": [{"message": "INVALID_DEMOGRAPHIC_DETAILS", "code": "HIS-2018"}]});
    for (name, gender, dob) in [
        (ASHA.1, "M", "31-01-1990"),
        (ASHA.1, "F", "30-01-1990"),
        ("Asha Kumari", "F", "31-01-1990"),
        (ASHA.1, "F", "1990"),
    ] {
        let r = api
            .demo(api.demo_body(ASHA.0, name, gender, dob, None))
            .await;
        assert_eq!(r.status, 422, "{name} {gender} {dob}: {}", r.text);
        assert_eq!(r.body, his);
    }
    // RAVI has only a year of birth: a bare year matches, a full date does not.
    let r = api
        .demo(api.demo_body(RAVI.0, RAVI.1, RAVI.2, "01-01-1985", None))
        .await;
    assert_eq!(r.status, 422);
    let r = api
        .demo(api.demo_body(RAVI.0, RAVI.1, RAVI.2, "1985", None))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ABHAProfile"]["dob"], "1985");
    assert_eq!(r.body["ABHAProfile"]["middleName"], "Kumar");
    // Unknown resident (well-formed, but accept_unknown is off).
    let r = api
        .demo(api.demo_body(&with_verhoeff("77776666555"), "Nobody", "F", "1990", None))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(api.state().await["creations"], 1);
}

#[tokio::test]
async fn test_missing_or_unknown_benefit_name_is_abdm_1094() {
    let api = Api::start(config()).await;
    let body = api.demo_body(ASHA.0, ASHA.1, ASHA.2, "31-01-1990", None);
    let expected =
        json!({"code": "ABDM-1094", "message": "Feature restricted or invalid benefit name"});
    let r = send(api.abha(Method::POST, BY_AADHAAR).json(&body)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, expected);
    let r = send(
        api.abha(Method::POST, BY_AADHAAR)
            .header("BENEFIT-NAME", "SOMETHING_ELSE")
            .json(&body),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, expected);
    let r = send(
        api.abha(Method::POST, BY_AADHAAR)
            .header("BENEFIT_NAME", "ABHA_FIELD")
            .json(&body),
    )
    .await;
    assert_eq!(r.status, 400, "the configured spelling only");
    assert_eq!(api.state().await["creations"], 0);
}

#[tokio::test]
async fn test_six_abhas_per_mobile() {
    let api = Api::start(config()).await;
    let family = "9811122233";
    let people: Vec<Resident> = (0..7)
        .map(|i| {
            let aadhaar = format!("60000000000{i}");
            let name = format!("Member {}", ["A", "B", "C", "D", "E", "F", "G"][i]);
            Resident::new(&aadhaar, &name, "M", "2000-05-01", Some(family))
        })
        .collect();
    api.sim.add_residents(&people).expect("family");
    for r in &people[..6] {
        let reply = api
            .demo(api.demo_body(&r.aadhaar, &r.name, "M", "01-05-2000", Some(family)))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["isNew"], true);
    }
    let last = &people[6];
    let r = api
        .demo(api.demo_body(&last.aadhaar, &last.name, "M", "01-05-2000", Some(family)))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"error": {"code": "ABDM-1124", "message": "Mobile number is already linked to 6 ABHA numbers"}})
    );
    // An existing ABHA is still returned.
    let first = &people[0];
    let r = api
        .demo(api.demo_body(&first.aadhaar, &first.name, "M", "01-05-2000", Some(family)))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["isNew"], false);
    assert_eq!(api.state().await["creations"], 6);
}

#[tokio::test]
async fn test_accept_unknown_registers_well_formed_aadhaar() {
    let api = Api::start(SimConfig {
        accept_unknown: true,
        ..config()
    })
    .await;
    let fresh = with_verhoeff("99991111222");
    let r = api
        .demo(api.demo_body(&fresh, "New Person", "O", "15-08-1975", Some("9700000001")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["isNew"], true);
    assert_eq!(r.body["ABHAProfile"]["gender"], "O");
    assert_eq!(r.body["ABHAProfile"]["dob"], "15-08-1975");
    assert_eq!(r.body["ABHAProfile"]["mobile"], "9700000001");
    let r = api
        .demo(api.demo_body(&fresh, "New Person", "O", "15-08-1975", None))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["isNew"], false, "registered by the first call");
    let r = api
        .demo(api.demo_body(&fresh, "Someone Else", "O", "15-08-1975", None))
        .await;
    assert_eq!(
        r.status, 422,
        "now a resident with those details: {}",
        r.text
    );
    // Not Verhoeff-valid: still unknown.
    let mut bad = with_verhoeff("99991111333");
    let last = (bad.pop().and_then(|c| c.to_digit(10)).expect("digit") + 1) % 10;
    bad.push(char::from_digit(last, 10).expect("digit"));
    let r = api
        .demo(api.demo_body(&bad, "X Y", "M", "1990", None))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(api.state().await["creations"], 1);
}

#[tokio::test]
async fn test_demo_field_formats() {
    let api = Api::start(config()).await;
    let r = api
        .demo(api.demo_body(ASHA.0, ASHA.1, ASHA.2, "1990-01-31", None))
        .await;
    assert_field(r.status, &r.body, "dateOfBirth", "Invalid Date Of Birth");
    let r = api
        .demo(api.demo_body(ASHA.0, ASHA.1, "X", "31-01-1990", None))
        .await;
    assert_field(r.status, &r.body, "gender", "Invalid Gender");
    let r = api
        .demo(api.demo_body(ASHA.0, " ", "F", "31-01-1990", None))
        .await;
    assert_field(r.status, &r.body, "name", "Invalid Name");
    let r = api
        .demo(api.demo_body(ASHA.0, ASHA.1, "F", "31-01-1990", Some("555")))
        .await;
    assert_field(r.status, &r.body, "mobile", "Invalid Mobile Number");
    let r = api
        .demo(api.demo_body("1234", ASHA.1, "F", "31-01-1990", None))
        .await;
    assert_field(r.status, &r.body, "aadhaarNumber", "Invalid Aadhaar Number");
}
