//! Tests for `abha_core::qr`: reading ABHA QR codes into a member pre-fill.
//!
//! Why this file exists: the payloads come from cards printed over years and from the ABHA app,
//! in two documented shapes and several undocumented ones (abdm.md section 3), and the camera
//! also sees things that are not ABHA codes at all. These tests pin every sample payload of
//! abdm.md section 3 verbatim, each variant and leniency, the refusals, that no error or `Debug`
//! output repeats a scanned value, and (as properties) that no input panics, parsing is
//! deterministic and independent of key order, and pre-filling never overwrites what the worker
//! typed.
#![allow(clippy::unwrap_used)]

use abha_core::model::MemberDraft;
use abha_core::qr::{
    AbhaQrVariant, MAX_QR_BYTES, QrError, ScannedAbha, codes, parse_abha_qr, parse_abha_qr_bytes,
};
use abha_core::validate::{BirthDate, Gender, ValidationError};
use proptest::prelude::*;
use serde_json::{Value, json};

/// abdm.md section 3, "Printed ABHA card QR", verbatim (line break and indent included).
const CARD: &str = r#"{"hidn":"15-3638-0684-6247","hid":"kiranma@abdm","name":"…","gender":"M","statelgd":"29","distlgd":"-",
   "dob":"xx/9/19xx","state name":"Karnataka","district_name":"Bengaluru","mobile":"984x1x2x6x",
   "address":"C/O father name # door no, as from the KYC document"}"#;

/// abdm.md section 3, "QR shown in the ABHA / PHR app", verbatim.
const APP: &str = r#"{"hidn":"42-7175-8604-4553","phr":"kiranma@sbx","name":"…","gender":"M","statelgd":"4","distlgd":"44",
   "dob":"xx-9-19xx","address":"As declared by the user"}"#;

/// abdm.md section 3, Simple.org's fixture values (`dob`, `statelgd`, `distlgd`, an `@ndhm`
/// `hid`), with that fixture's ABHA number and address from abdm.md 1.1 and 1.2.
const SIMPLE: &str = r#"{"hidn":"28-3222-2283-6682","hid":"mogithduraisamy@ndhm","name":"Mogith Duraisamy","gender":"M","statelgd":"34","distlgd":"600","dob":"25/6/2012","address":"Puducherry"}"#;

fn parse(s: &str) -> ScannedAbha {
    parse_abha_qr(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn warnings(s: &ScannedAbha) -> Vec<(String, String)> {
    let w = s.warnings.iter();
    w.map(|i| (i.field.clone(), i.code.clone())).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(f, c)| ((*f).into(), (*c).into())).collect()
}

#[test]
fn test_card_sample() {
    let s = parse(CARD);
    assert_eq!(s.variant, AbhaQrVariant::Card);
    let number = s.abha_number.as_ref().unwrap();
    assert_eq!(number.as_str(), "15-3638-0684-6247");
    assert_eq!(s.abha_address.as_ref().unwrap().to_string(), "kiranma@abdm");
    assert!(!s.has_legacy_address());
    assert_eq!(s.gender, Some(Gender::Male));
    assert_eq!(
        (s.state.lgd_code, s.state.name.as_deref()),
        (Some(29), Some("Karnataka"))
    );
    assert_eq!(
        (s.district.lgd_code, s.district.name.as_deref()),
        (None, Some("Bengaluru"))
    );
    assert_eq!(
        s.address.as_deref(),
        Some("C/O father name # door no, as from the KYC document")
    );
    // The sample's masked values and its "…" name are unusable: warnings, fields left empty.
    assert!(s.name.is_none() && s.birth_date.is_none() && s.mobile.is_none());
    let expected = [
        ("name", "name.chars"),
        ("birth_date", "qr.masked"),
        ("mobile", "qr.masked"),
    ];
    assert_eq!(warnings(&s), pairs(&expected));
}

#[test]
fn test_app_sample() {
    let s = parse(APP);
    assert_eq!(s.variant, AbhaQrVariant::App);
    assert_eq!(
        s.abha_number.as_ref().unwrap().as_str(),
        "42-7175-8604-4553"
    );
    assert_eq!(s.abha_address.as_ref().unwrap().to_string(), "kiranma@sbx");
    assert_eq!((s.state.lgd_code, s.district.lgd_code), (Some(4), Some(44)));
    assert_eq!(
        (s.state.name.as_ref(), s.district.name.as_ref()),
        (None, None)
    );
    assert_eq!(s.address.as_deref(), Some("As declared by the user"));
    assert_eq!(
        warnings(&s),
        pairs(&[("name", "name.chars"), ("birth_date", "qr.masked")])
    );
}

#[test]
fn test_simple_org_fixture_legacy_ndhm_kept() {
    let s = parse(SIMPLE);
    assert_eq!(
        s.abha_address.as_ref().unwrap().to_string(),
        "mogithduraisamy@ndhm"
    );
    assert!(s.has_legacy_address());
    assert_eq!(s.birth_date, BirthDate::parse_canonical("2012-06-25"));
    assert_eq!(
        (s.state.lgd_code, s.district.lgd_code),
        (Some(34), Some(600))
    );
    assert_eq!(s.name.as_deref(), Some("Mogith Duraisamy"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn test_names_where_codes_are_expected() {
    let s = parse(r#"{"hidn":"28-3222-2283-6682","statelgd":"PUDUCHERRY","distlgd":"Puducherry"}"#);
    assert_eq!(s.variant, AbhaQrVariant::Minimal);
    assert_eq!(
        (s.state.lgd_code, s.state.name.as_deref()),
        (None, Some("PUDUCHERRY"))
    );
    assert_eq!(s.district.name.as_deref(), Some("Puducherry"));
    // And the other way round: a code under the name key.
    let s = parse(r#"{"hidn":"28-3222-2283-6682","state name":"1","district_name":"UDHAMPUR"}"#);
    assert_eq!(
        (s.state.lgd_code, s.district.name.as_deref()),
        (Some(1), Some("UDHAMPUR"))
    );
    let s = parse(r#"{"hidn":"28-3222-2283-6682","statelgd":"100","distlgd":"$$"}"#);
    let expected = [("state", "lgd.state"), ("district", "text.chars")];
    assert_eq!(warnings(&s), pairs(&expected));
}

#[test]
fn test_only_hidn_and_bare_text() {
    for input in [
        r#"{"hidn":"91-6285-4575-5116"}"#,
        r#"{"hidn":91628545755116}"#,
        "\u{FEFF}  {\"HIDN\" : \"9162 8545 7551 16\", \"photo\": \"...\"}\r\n",
    ] {
        let s = parse(input);
        assert_eq!(s.variant, AbhaQrVariant::Minimal, "{input}");
        assert_eq!(s.abha_number.unwrap().as_str(), "91-6285-4575-5116");
        assert_eq!(s.abha_address, None);
    }
    let s = parse(" 91-6285-4575-5116\n");
    assert_eq!(s.variant, AbhaQrVariant::PlainText);
    assert_eq!(s.abha_number.unwrap().as_str(), "91-6285-4575-5116");
    let s = parse("mogithduraisamy@NDHM");
    assert_eq!(s.abha_address.unwrap().to_string(), "mogithduraisamy@ndhm");
    // A bad check digit is only a warning, as when typed (abdm.md 1.1).
    let s = parse("12-3456-7890-1234");
    assert_eq!(
        warnings(&s),
        pairs(&[("abha_number", "abha_number.checksum")])
    );
}

#[test]
fn test_lenient_keys_types_and_dates() {
    let s = parse(
        r#"{"ABHANumber":"91-6285-4575-5116","preferredAbhaAddress":"91628545755116@sbx",
            "firstName":"Sita","lastName":"Devi","gender":"female","yearOfBirth":1990,
            "monthOfBirth":"5","dayOfBirth":"7","stateCode":1,"districtCode":5,
            "stateName":"JAMMU AND KASHMIR","mobile":9876543210,"unknown":{"x":[1,2]}}"#,
    );
    assert_eq!(s.variant, AbhaQrVariant::Minimal);
    assert_eq!(s.name.as_deref(), Some("Sita Devi"));
    assert_eq!(s.gender, Some(Gender::Female));
    assert_eq!(s.birth_date, BirthDate::parse_canonical("1990-05-07"));
    assert_eq!(s.mobile.unwrap().as_str(), "9876543210");
    assert_eq!((s.state.lgd_code, s.district.lgd_code), (Some(1), Some(5)));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    for (dob, expected) in [
        ("5/9/1990", "1990-09-05"),
        ("05-09-1990", "1990-09-05"),
        ("5.9.1990", "1990-09-05"),
        ("1990-09-05", "1990-09-05"),
        ("1990", "1990"),
    ] {
        let s = parse(&json!({"hidn": "91-6285-4575-5116", "dob": dob}).to_string());
        assert_eq!(s.birth_date, BirthDate::parse_canonical(expected), "{dob}");
    }
    for (dob, code) in [("31/2/1990", "dob.invalid"), ("5/9/90", "dob.format")] {
        let s = parse(&json!({"hidn": "91-6285-4575-5116", "dob": dob}).to_string());
        assert_eq!(warnings(&s), pairs(&[("birth_date", code)]), "{dob}");
    }
}

#[test]
fn test_field_problems_are_warnings() {
    let s = parse(
        r#"{"hidn":"91-6285-4575-5116","hid":"sita.devi@abdm","abhaAddress":"other.one@abdm",
            "gender":["M"],"mobile":"12345","name":null,"dob":"NA","distlgd":1.5}"#,
    );
    assert_eq!(
        s.abha_address.as_ref().unwrap().to_string(),
        "sita.devi@abdm"
    );
    let expected = [
        ("abha_address", "qr.conflict"),
        ("gender", "qr.field_type"),
        ("mobile", "mobile.length"),
        ("district", "qr.field_type"),
    ];
    assert_eq!(warnings(&s), pairs(&expected));
    // An unusable number with a usable address: the address carries the scan.
    let s = parse(r#"{"hidn":"91-xxxx-xxxx-5116","hid":"91628545755116@abdm"}"#);
    assert_eq!(s.abha_number, None);
    assert_eq!(warnings(&s), pairs(&[("abha_number", "qr.masked")]));
    // The default address is the number (abdm.md 1.1).
    let s = parse(r#"{"hid":"91628545755116@abdm"}"#);
    assert_eq!(s.abha_number.unwrap().as_str(), "91-6285-4575-5116");
}

#[test]
fn test_refusals() {
    let too_big = format!("{{\"hidn\":\"{}\"}}", " ".repeat(MAX_QR_BYTES));
    for (input, code) in [
        ("", "qr.empty"),
        (" \u{FEFF}\n", "qr.empty"),
        (too_big.as_str(), "qr.too_large"),
        ("{\"hidn\":\"91-6285-4575-5116\"", "qr.malformed"),
        ("{hidn: 91628545755116}", "qr.malformed"),
        ("[\"91-6285-4575-5116\"]", "qr.not_abha"),
        (
            "{\"name\":\"Sita\",\"mobile\":\"9876543210\"}",
            "qr.not_abha",
        ),
        ("sita@gmail.com", "qr.not_abha"),
        ("https://example.org/x", "qr.not_abha"),
        ("234123412346", "qr.not_abha"),
        ("hello world", "qr.not_abha"),
        (
            "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN2810014366&counter-id=12",
            "qr.facility",
        ),
        (
            "<?xml version=\"1.0\"?><PrintLetterBarcodeData uid=\"x\"/>",
            "qr.aadhaar",
        ),
        (
            "{\"hidn\":\"91-6285\",\"hid\":\"1@x y\"}",
            "qr.no_identifier",
        ),
        ("{\"hidn\":null}", "qr.no_identifier"),
    ] {
        let err = parse_abha_qr(input).unwrap_err();
        assert_eq!(err.code(), code, "{input:?}");
        assert_eq!(err.field(), "qr");
    }
    let long_number = "7".repeat(2000);
    assert_eq!(parse_abha_qr(&long_number), Err(QrError::Aadhaar));
    let err = parse_abha_qr("{\"hidn\":\"91-6285\",\"hid\":\"ra@abdm\"}").unwrap_err();
    let v = ValidationError::from(err);
    assert_eq!(
        v.to_string(),
        "invalid fields: qr:qr.no_identifier, abha_number:abha_number.length, \
         abha_address:abha_address.length"
    );
    assert_eq!(
        parse_abha_qr_bytes(b"{\"hidn\":\"91-6285-4575-5116\",\"name\":\"Jos\xe9\"}")
            .unwrap()
            .name
            .as_deref(),
        Some("José")
    );
    assert!(codes::ALL.contains(&"qr.no_identifier"));
}

#[test]
fn test_bytes_limit_counts_scanned_bytes() {
    // 2100 ISO-8859-1 bytes of `é` become 4200 bytes of UTF-8: still one accepted scan.
    let mut raw = br#"{"hidn":"91-6285-4575-5116","photo":""#.to_vec();
    raw.extend(std::iter::repeat_n(0xE9, 2100));
    raw.extend(br#""}"#);
    assert!(raw.len() <= MAX_QR_BYTES);
    assert!(parse_abha_qr_bytes(&raw).unwrap().abha_number.is_some());
    raw.resize(MAX_QR_BYTES + 1, b' ');
    assert_eq!(
        parse_abha_qr_bytes(&raw),
        Err(QrError::TooLarge { max: MAX_QR_BYTES })
    );
}

#[test]
fn test_no_scanned_value_in_errors_or_debug() {
    let inputs = [
        r#"{"hidn":"98765-43210-123","name":"Sunita Kumari"}"#,
        r#"{"hidn":"98765xxxx43210","hid":"9sunitakumari@abdm","mobile":"9876543210"}"#,
        "98765 43210 12",
    ];
    for input in inputs {
        let err = parse_abha_qr(input).unwrap_err();
        let v = err.to_validation_error();
        for text in [
            format!("{err:?}"),
            err.to_string(),
            format!("{v:?}"),
            v.to_string(),
        ] {
            for secret in ["98765", "43210", "Sunita", "sunita"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
    let s = parse(r#"{"hidn":"91-6285-4575-5116","name":"Sunita Kumari","mobile":"9876543210"}"#);
    let debug = format!("{s:?}");
    for secret in ["6285", "Sunita", "98765"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn test_prefill_fills_blanks_only() {
    let s = parse(SIMPLE);
    let draft = s.to_member_draft();
    assert_eq!(draft.given_name, "Mogith Duraisamy");
    assert_eq!(draft.gender, "M");
    assert_eq!(draft.birth_date, "2012-06-25");
    assert_eq!(draft.abha_number.as_deref(), Some("28-3222-2283-6682"));
    assert_eq!(draft.abha_address.as_deref(), Some("mogithduraisamy@ndhm"));
    assert!(draft.relation.is_empty() && draft.aadhaar.is_none());

    // The worker typed the name in Tamil, another gender and the year only.
    let mut draft = MemberDraft {
        given_name: "மொகித்".into(),
        gender: "F".into(),
        birth_date: "2012".into(),
        abha_number: Some("28322222836682".into()),
        mobile: Some(" ".into()),
        ..MemberDraft::default()
    };
    let report = s.prefill(&mut draft);
    assert_eq!(draft.given_name, "மொகித்");
    assert_eq!(draft.gender, "F");
    assert_eq!(draft.birth_date, "2012");
    assert_eq!(draft.name_latin.as_deref(), Some("Mogith Duraisamy"));
    assert_eq!(report.filled, ["abha_address", "name_latin"]);
    let differs: Vec<_> = report
        .differs
        .iter()
        .map(|i| (i.field.as_str(), i.code.as_str()))
        .collect();
    assert_eq!(differs, [("gender", "qr.differs")]);
    assert_eq!(
        draft.mobile.as_deref(),
        Some(" "),
        "no scanned mobile: untouched"
    );

    // Split names fill the parts.
    let s = parse(
        r#"{"hidn":"91-6285-4575-5116","firstName":"Sita","middleName":"Rani","lastName":"Devi"}"#,
    );
    let draft = s.to_member_draft();
    let parts = (
        draft.given_name.as_str(),
        draft.middle_name.as_deref(),
        draft.family_name.as_deref(),
    );
    assert_eq!(parts, ("Sita", Some("Rani"), Some("Devi")));
}

// ---------- properties ----------

/// Key spellings the generated objects use: documented, variant, unknown and empty.
const KEY_SPELLINGS: &str = "hidn|HIDN|hid|phr|abhaAddress|abha_number|name|firstName|lastName|\
    gender|dob|yearOfBirth|monthOfBirth|dayOfBirth|statelgd|distlgd|state name|district_name|\
    stateName|mobile|address|photo|";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9xX -/.]{0,20}".prop_map(Value::from),
        "[a-zA-Z0-9._@]{0,24}".prop_map(Value::from),
        prop::sample::select(
            "91-6285-4575-5116 kiranma@abdm mogith@ndhm - M 25/6/2012 …"
                .split(' ')
                .collect::<Vec<_>>()
        )
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::btree_map(
        prop::sample::select(KEY_SPELLINGS.split('|').collect::<Vec<_>>()),
        json_value(),
        0..10,
    )
    .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The object as JSON text, keys in the given order.
fn render(entries: &[(String, Value)]) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn check_outcome(input: &str, out: &Result<ScannedAbha, QrError>) {
    match out {
        Ok(s) => assert!(
            s.abha_number.is_some() || s.abha_address.is_some(),
            "{input}"
        ),
        Err(e) => assert!(codes::ALL.contains(&e.code())),
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(input in prop_oneof![any::<String>(), "[{}\":, 0-9a-z@x/-]{0,64}"]) {
        let out = parse_abha_qr(&input);
        check_outcome(&input, &out);
        prop_assert_eq!(&out, &parse_abha_qr(&input));
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..256)) {
        let out = parse_abha_qr_bytes(&input);
        prop_assert_eq!(&out, &parse_abha_qr_bytes(&input));
    }

    #[test]
    fn objects_of_known_keys_never_panic(entries in json_object()) {
        let text = render(&entries);
        let out = parse_abha_qr(&text);
        check_outcome(&text, &out);
        prop_assert_eq!(&out, &parse_abha_qr(&text));
        let reversed: Vec<_> = entries.iter().rev().cloned().collect();
        prop_assert_eq!(&out, &parse_abha_qr(&render(&reversed)), "key order matters");
        if let Err(e) = &out {
            let shown = format!("{e:?} {e} {}", e.to_validation_error());
            for (_, v) in &entries {
                if let Some(s) = v.as_str().filter(|s| s.len() >= 5 && s.bytes().all(|b| b.is_ascii_digit())) {
                    prop_assert!(!shown.contains(s), "{}", shown);
                }
            }
        }
    }

    #[test]
    fn prefill_never_overwrites_typed_fields(
        entries in json_object(),
        typed in prop::collection::vec(prop::option::of("[ a-zA-Z0-9-]{0,12}"), 8),
    ) {
        let Ok(scan) = parse_abha_qr(&render(&entries)) else { return Ok(()) };
        let t = |i: usize| typed.get(i).cloned().flatten();
        let mut draft = MemberDraft {
            given_name: t(0).unwrap_or_default(),
            middle_name: t(1),
            family_name: t(2),
            name_latin: t(3),
            gender: t(4).unwrap_or_default(),
            birth_date: t(5).unwrap_or_default(),
            mobile: t(6),
            abha_number: t(7),
            ..MemberDraft::default()
        };
        let before = draft.clone();
        let report = scan.prefill(&mut draft);
        let fields: [(&str, Option<&str>, Option<&str>); 8] = [
            ("given_name", Some(before.given_name.as_str()), Some(draft.given_name.as_str())),
            ("middle_name", before.middle_name.as_deref(), draft.middle_name.as_deref()),
            ("family_name", before.family_name.as_deref(), draft.family_name.as_deref()),
            ("name_latin", before.name_latin.as_deref(), draft.name_latin.as_deref()),
            ("gender", Some(before.gender.as_str()), Some(draft.gender.as_str())),
            ("birth_date", Some(before.birth_date.as_str()), Some(draft.birth_date.as_str())),
            ("mobile", before.mobile.as_deref(), draft.mobile.as_deref()),
            ("abha_number", before.abha_number.as_deref(), draft.abha_number.as_deref()),
        ];
        for (field, old, new) in fields {
            let was_blank = old.is_none_or(|s| s.trim().is_empty());
            if !was_blank {
                prop_assert_eq!(old, new, "{} overwritten", field);
            }
            prop_assert_eq!(report.filled.contains(&field), was_blank && old != new, "{}", field);
        }
    }
}
