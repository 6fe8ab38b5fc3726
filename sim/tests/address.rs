//! ABHA address suggestions, creation, the taken refusal, address search and the LGD masters.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn valid_handle(h: &str) -> bool {
    let n = h.chars().count();
    (8..=18).contains(&n)
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
        && h.matches('.').count() <= 1
        && h.matches('_').count() <= 1
        && !h.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '_')
        && !h.ends_with(['.', '_'])
}

async fn suggestions(api: &Api, txn: &str) -> Vec<String> {
    let r = send(
        api.abha(Method::GET, SUGGESTION)
            .header("TRANSACTION_ID", txn),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["txnId"], txn);
    r.body["abhaAddressList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[tokio::test]
async fn test_suggestions_create_and_taken() {
    let api = Api::start(config()).await;
    let (txn, enrolled) = api.enrol_asha_by_otp().await;
    let number = enrolled["ABHAProfile"]["ABHANumber"].clone();
    let list = suggestions(&api, &txn).await;
    assert!(list.len() >= 3, "{list:?}");
    assert!(list.iter().all(|h| valid_handle(h)), "{list:?}");
    let mut unique = list.clone();
    unique.dedup();
    assert_eq!(unique.len(), list.len());

    let chosen = list[0].clone();
    let r = api
        .post(
            ABHA_ADDRESS,
            json!({"txnId": txn, "abhaAddress": chosen, "preferred": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"txnId": txn, "healthIdNumber": number, "preferredAbhaAddress": chosen})
    );
    let again = suggestions(&api, &txn).await;
    assert!(!again.contains(&chosen) && again.len() >= 3, "{again:?}");

    // Taken, also when another person asks for it (and with the suffix).
    let (ravi_txn, _) = {
        let r = api
            .demo(api.demo_body(RAVI.0, RAVI.1, RAVI.2, "1985", None))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (r.body["txnId"].as_str().expect("txn").to_string(), r.body)
    };
    for (t, addr) in [(&txn, chosen.clone()), (&ravi_txn, format!("{chosen}@sbx"))] {
        let r = api
            .post(
                ABHA_ADDRESS,
                json!({"txnId": t, "abhaAddress": addr, "preferred": 1}),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(
            r.body,
            json!({"code": "ABDM-1101", "message": "This ABHA Address already exists"})
        );
    }
    let r = api
        .post(
            ABHA_ADDRESS,
            json!({"txnId": ravi_txn, "abhaAddress": "ab", "preferred": 1}),
        )
        .await;
    assert_field(r.status, &r.body, "abhaAddress", "Invalid ABHA Address");

    // The profile lists the preferred address first on the next enrolment.
    let (_, later) = api.enrol_asha_by_otp().await;
    assert_eq!(
        later["ABHAProfile"]["phrAddress"][0],
        format!("{chosen}@sbx")
    );
}

#[tokio::test]
async fn test_suggestion_and_create_need_an_enrolled_transaction() {
    let api = Api::start(config()).await;
    let r = send(
        api.abha(Method::GET, SUGGESTION)
            .header("TRANSACTION_ID", "nope"),
    )
    .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
    let r = api.get(SUGGESTION).await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
    let txn = api.request_aadhaar_otp(ASHA.0).await;
    let r = api
        .post(
            ABHA_ADDRESS,
            json!({"txnId": txn, "abhaAddress": "asha_devi90", "preferred": 1}),
        )
        .await;
    assert_field(r.status, &r.body, "txnId", "Invalid Transaction Id");
}

#[tokio::test]
async fn test_search_by_address_and_number() {
    let api = Api::start(config()).await;
    let (txn, enrolled) = api.enrol_asha_by_otp().await;
    let number = enrolled["ABHAProfile"]["ABHANumber"]
        .as_str()
        .expect("n")
        .to_string();
    let digits = number.replace('-', "");
    let r = api
        .post(
            ABHA_ADDRESS,
            json!({"txnId": txn, "abhaAddress": "asha.devi1990", "preferred": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for query in ["asha.devi1990", "asha.devi1990@sbx", "Asha.Devi1990@sbx"] {
        let r = api.post(SEARCH, json!({"abhaAddress": query})).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        assert_eq!(
            r.body,
            json!({"healthIdNumber": number, "abhaAddress": "asha.devi1990@sbx",
                "authMethods": ["AADHAAR_OTP", "MOBILE_OTP"], "blockedAuthMethods": [],
                "status": "ACTIVE", "fullName": ASHA.1, "mobile": "******3210"})
        );
    }
    for query in [digits.clone(), format!("{digits}@sbx")] {
        let r = api.post(SEARCH, json!({"abhaAddress": query})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["healthIdNumber"], number);
    }
    for query in ["nobody_here", "asha.devi1990@abdm", ""] {
        let r = api.post(SEARCH, json!({"abhaAddress": query})).await;
        assert_eq!(r.status, 404, "{query}");
        assert_eq!(
            r.body,
            json!({"code": "ABDM-1114", "message": "ABHA address not found"})
        );
    }
}

#[tokio::test]
async fn test_lgd_states() {
    let api = Api::start(config()).await;
    let r = api.get(LGD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let states = r.body.as_array().expect("array");
    assert!(!states.is_empty());
    let first = &states[0];
    assert_eq!(first["code"], "1");
    assert_eq!(first["name"], "JAMMU AND KASHMIR");
    let check = |v: &Value| v["code"].is_string() && v["name"].is_string();
    for s in states {
        assert!(check(s), "{s}");
        for d in s["districts"].as_array().expect("districts") {
            assert!(check(d), "{d}");
            assert!(
                d["subdistricts"]
                    .as_array()
                    .expect("subdistricts")
                    .iter()
                    .all(check)
            );
        }
    }
}
