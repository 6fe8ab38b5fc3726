#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::abdm::hip::{OnShare, TokenProfile};

/// The body abdm.md §4 shows as observed in the sandbox.
fn observed() -> Value {
    json!({"intent":"PROFILE_SHARE",
     "metaData":{"hipId":"IN0110000001","context":"OPD1","hprId":null,"latitude":"12.97","longitude":"77.71"},
     "profile":{"patient":{"abhaNumber":null,"abhaAddress":"asha.devi@sbx","name":"Asha Kumari Devi","gender":"F",
        "dayOfBirth":"6","monthOfBirth":"6","yearOfBirth":"2000",
        "address":{"line":"Ward 4, Mohalla 3","district":"ANANTNAG","state":"JAMMU AND KASHMIR","pincode":"192101"},
        "phoneNumber":"9876543210"}}})
}

#[test]
fn test_observed_body_reads_with_its_variations() {
    let r = read_share(&observed()).unwrap();
    assert_eq!(r.intent.as_deref(), Some(INTENT));
    assert_eq!(r.hip_id.as_deref(), Some("IN0110000001"));
    assert_eq!(r.counter.as_deref(), Some("OPD1"));
    let p = &r.patient;
    assert_eq!(p.abha_address, "asha.devi@sbx");
    assert_eq!(p.abha_number, None, "a null abhaNumber is absent");
    assert_eq!(
        (p.day_of_birth, p.month_of_birth, p.year_of_birth),
        (Some(6), Some(6), Some(2000))
    );
    assert_eq!(p.address.pincode.as_deref(), Some("192101"));
    assert_eq!(p.address.district.as_deref(), Some("ANANTNAG"));
}

#[test]
fn test_prefill_of_observed_profile() {
    let f = prefill_from_json(&observed()).unwrap();
    let m = &f.member;
    assert_eq!(m.given_name, "Asha");
    assert_eq!(m.middle_name.as_deref(), Some("Kumari"));
    assert_eq!(m.family_name.as_deref(), Some("Devi"));
    assert_eq!(m.gender, "F");
    assert_eq!(m.birth_date, "2000-06-06");
    assert_eq!(m.mobile.as_deref(), Some("9876543210"));
    assert_eq!(m.abha_address.as_deref(), Some("asha.devi@sbx"));
    assert_eq!(m.abha_number, None);
    assert_eq!(m.relation, "", "the worker chooses the relation");
    assert!(m.aadhaar.is_none());
    assert_eq!(f.household.address, "Ward 4, Mohalla 3");
    assert_eq!(f.household.pincode.as_deref(), Some("192101"));
    assert_eq!(f.household.village_id, None);
    assert_eq!(f.state.as_deref(), Some("JAMMU AND KASHMIR"));
    // The same from the patient object alone, and from `{patient}`.
    let patient = observed()["profile"]["patient"].clone();
    assert_eq!(prefill_from_json(&patient).unwrap(), f);
    assert_eq!(
        prefill_from_json(&json!({ "patient": patient })).unwrap(),
        f
    );
}

#[test]
fn test_prefill_is_a_form_core_accepts() {
    let mut f = prefill_from_json(&observed()).unwrap();
    f.member.relation = "head".into();
    let form = crate::model::HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(crate::ids::VillageId::from_lgd(900_101)),
            ..f.household.clone()
        },
        members: vec![f.member.clone()],
    };
    let today = time::macros::date!(2026 - 11 - 01);
    assert!(form.check(today).is_ok(), "a complete prefill validates");
}

#[test]
fn test_key_spelling_and_type_variations() {
    let v = json!({"ABHA_address":" ravi@sbx ","healthIdNumber":"91123456789012","firstName":"Ravi",
        "lastName":"Kumar","gender":"male","dayOfBirth":31,"monthOfBirth":"02","yearOfBirth":1990,
        "address":{"line":"Lane 2","pinCode":192101},"identifiers":[{"type":"MOBILE","value":"+91 98765 43210"}]});
    let f = prefill_from_json(&v).unwrap();
    assert_eq!(f.member.abha_address.as_deref(), Some("ravi@sbx"));
    assert_eq!(f.member.abha_number.as_deref(), Some("91-1234-5678-9012"));
    assert_eq!(
        (
            f.member.given_name.as_str(),
            f.member.family_name.as_deref()
        ),
        ("Ravi", Some("Kumar"))
    );
    assert_eq!(f.member.gender, "M");
    // 31 February is not a date: only the year is kept.
    assert_eq!(f.member.birth_date, "1990");
    assert_eq!(f.member.mobile.as_deref(), Some("9876543210"));
    assert_eq!(f.household.pincode.as_deref(), Some("192101"));
}

#[test]
fn test_unusable_parts_are_left_empty_not_refused() {
    let v = json!({"abhaAddress":"x@sbx","name":"  ","gender":"unknown","yearOfBirth":"19x0",
        "phoneNumber":"******1234","address":"flat string address"});
    let f = prefill_from_json(&v).unwrap();
    assert_eq!(f.member.given_name, "");
    assert_eq!(f.member.gender, "");
    assert_eq!(f.member.birth_date, "");
    assert_eq!(f.member.mobile, None);
    assert_eq!(f.household.address, "flat string address");
    let one = prefill_from_json(&json!({"abhaAddress":"x@sbx","name":"Zoya"})).unwrap();
    assert_eq!(
        (
            one.member.given_name.as_str(),
            one.member.family_name.as_deref()
        ),
        ("Zoya", None)
    );
}

#[test]
fn test_missing_or_bad_address_names_the_field_not_the_value() {
    let e = read_share(&json!({"profile":{"patient":{"name":"Asha"}}})).unwrap_err();
    assert_eq!(e.field(), "profile.patient.abhaAddress");
    assert_eq!(e.code(), "share.missing");
    let e = read_share(&json!({"profile":{"patient":{"abhaAddress":"a b@sbx"}}})).unwrap_err();
    assert_eq!(e.code(), "share.invalid");
    assert!(!e.to_string().contains("a b"));
    assert_eq!(
        read_share(&json!({"intent":"PROFILE_SHARE"}))
            .unwrap_err()
            .field(),
        "profile"
    );
    assert_eq!(read_share(&json!([1, 2])).unwrap_err().field(), "body");
    assert!(prefill_from_json(&json!("text")).is_err());
}

#[test]
fn test_counter_ids_and_urls() {
    assert_eq!(counter_id(" OPD1 "), Ok("OPD1"));
    assert!(counter_id("A").is_ok());
    assert!(counter_id("ABCDEFGHIJ0123456789").is_ok());
    assert_eq!(
        counter_id("ABCDEFGHIJ0123456789X"),
        Err(ShareError::Invalid {
            field: "counter-id"
        })
    );
    assert!(counter_id("OPD-1").is_err());
    assert!(counter_id("ओपीडी").is_err());
    assert_eq!(
        counter_id(""),
        Err(ShareError::Missing {
            field: "counter-id"
        })
    );
    assert_eq!(
        counter_url(
            "https://phrsbx.abdm.gov.in/share-profile",
            "IN0110000001",
            "OPD1"
        )
        .unwrap(),
        "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN0110000001&counter-id=OPD1"
    );
    assert!(counter_url("not a url", "IN0110000001", "OPD1").is_err());
    assert!(counter_url("https://x/share-profile", "IN0110000001", "a b").is_err());
}

#[test]
fn test_on_share_wire_shapes() {
    let ok = OnShare::success(
        "rid",
        "asha@sbx",
        TokenProfile {
            context: "OPD1".into(),
            token_number: "7".into(),
            expiry: "1799".into(),
        },
    );
    assert_eq!(
        serde_json::to_value(&ok).unwrap(),
        json!({"acknowledgement":{"abhaAddress":"asha@sbx","status":"SUCCESS",
            "profile":{"context":"OPD1","tokenNumber":"7","expiry":"1799"}},
            "response":{"requestId":"rid"}})
    );
    assert!(!format!("{ok:?}").contains("asha"));
    let bad = OnShare::failure("rid", "share.counter_unknown", "unknown counter");
    assert_eq!(
        serde_json::to_value(&bad).unwrap(),
        json!({"error":{"code":"share.counter_unknown","message":"unknown counter"},
            "response":{"requestId":"rid"}})
    );
}

#[test]
fn test_debug_shows_no_personal_data() {
    let r = read_share(&observed()).unwrap();
    let f = r.patient.prefill();
    for text in [
        format!("{r:?}"),
        format!("{:?}", r.patient),
        format!("{f:?}"),
    ] {
        for pii in ["Asha", "asha.devi", "9876543210", "2000", "Ward", "192101"] {
            assert!(!text.contains(pii), "{pii} in {text}");
        }
    }
}

/// JSON of any shape, with keys the reader looks for so deep paths get exercised.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("abhaAddress".to_string()),
        Just("abhaNumber".to_string()),
        Just("name".to_string()),
        Just("gender".to_string()),
        Just("dayOfBirth".to_string()),
        Just("monthOfBirth".to_string()),
        Just("yearOfBirth".to_string()),
        Just("address".to_string()),
        Just("pincode".to_string()),
        Just("phoneNumber".to_string()),
        Just("identifiers".to_string()),
        Just("type".to_string()),
        Just("value".to_string()),
        Just("profile".to_string()),
        Just("patient".to_string()),
        Just("metaData".to_string()),
        Just("context".to_string()),
        "[a-zA-Z_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,30}".prop_map(Value::from),
        "[0-9 +-]{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn prop_arbitrary_json_never_panics(v in any_json()) {
        let _ = read_share(&v);
        if let Ok(f) = prefill_from_json(&v) {
            // Whatever was read is a draft the validator can judge without panicking.
            let form = crate::model::HouseholdForm {
                household: f.household.clone(),
                members: vec![f.member.clone()],
            };
            let _ = form.check(time::macros::date!(2026 - 11 - 01));
            prop_assert!(f.member.abha_address.is_some());
            prop_assert!(f.member.birth_date.is_empty() || f.member.birth_date.len() == 4 || f.member.birth_date.len() == 10);
            prop_assert!(f.member.mobile.as_ref().is_none_or(|m| m.len() == 10));
        }
    }

    #[test]
    fn prop_birth_parts_as_strings_or_numbers_agree(d in 0u32..40, m in 0u32..14, y in 1890u32..2030) {
        let a = prefill_from_json(&json!({"abhaAddress":"p@sbx","dayOfBirth":d,"monthOfBirth":m,"yearOfBirth":y})).unwrap();
        let b = prefill_from_json(&json!({"abhaAddress":"p@sbx","dayOfBirth":d.to_string(),"monthOfBirth":m.to_string(),"yearOfBirth":y.to_string()})).unwrap();
        prop_assert_eq!(&a.member.birth_date, &b.member.birth_date);
        prop_assert!(a.member.birth_date.starts_with(&y.to_string()));
    }
}
