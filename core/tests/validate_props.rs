//! Property tests for `abha_core::validate`.
//!
//! Why this file exists: the validators face whatever a tablet keyboard, a QR scanner or a
//! paste can produce, in a dozen scripts. Example-based unit tests (next to each validator)
//! pin the rules; these properties check the guarantees that must hold for every input:
//! the Verhoeff check catches every single-digit typo and adjacent swap, normalisation is
//! idempotent, nothing panics, a validator returns `Some` exactly when it reported no error,
//! and no issue or error output ever repeats an Aadhaar number.
//!
//! Case count: proptest's default (256), overridable with the `PROPTEST_CASES` env variable.
#![allow(clippy::unwrap_used)]

use abha_core::validate::{self, AddressPolicy, Issues, Kind, checksum, codes, validate_single};
use proptest::prelude::*;
use time::Date;

// ---------- strategies ----------

/// A valid Aadhaar number: first digit 2-9, ten more digits, then the Verhoeff digit.
fn valid_aadhaar() -> impl Strategy<Value = String> {
    (2u8..=9, prop::collection::vec(0u8..=9, 10)).prop_map(|(first, rest)| {
        let mut s: String = std::iter::once(first)
            .chain(rest)
            .map(|d| char::from(b'0' + d))
            .collect();
        let check = checksum::verhoeff_digit(&s).unwrap();
        s.push(char::from(b'0' + check));
        s
    })
}

/// `n` random ASCII digits.
fn digits(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..=9, n)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// `digits` with a random separator ("", " ", "-", "  ", " - ") in every gap.
fn with_separators(digits: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    digits
        .prop_flat_map(|d| {
            let gaps = d.chars().count().saturating_sub(1);
            let sep = prop::sample::select(vec!["", "", "", " ", "-", "  ", " - "]);
            (Just(d), prop::collection::vec(sep, gaps))
        })
        .prop_map(|(d, seps)| {
            let mut out = String::new();
            for (i, c) in d.chars().enumerate() {
                if i > 0 {
                    out.push_str(seps.get(i - 1).copied().unwrap_or(""));
                }
                out.push(c);
            }
            out
        })
}

/// Characters a name field might really receive: several scripts, their marks and digits,
/// joiners, odd whitespace, punctuation, emoji and markup.
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        4 => prop::char::range('\u{0900}', '\u{097F}'), // Devanagari, incl. matras, virama, digits
        3 => prop::char::range('\u{0600}', '\u{06FF}'), // Arabic / Urdu / Kashmiri
        1 => prop::char::range('\u{0750}', '\u{077F}'), // Arabic Supplement
        1 => prop::char::range('\u{0980}', '\u{09FF}'), // Bengali
        1 => prop::char::range('\u{0300}', '\u{036F}'), // Latin combining diacritics
        1 => prop::char::range('\u{00C0}', '\u{024F}'), // Latin-1 / Extended
        1 => prop::char::range('\u{1F300}', '\u{1F6FF}'), // emoji
        3 => prop::sample::select(vec![
            ' ', ' ', '.', '\'', '\u{2019}', '-', '\u{200C}', '\u{200D}', '\t', '\n',
            '\u{00A0}', '\u{2000}', '\u{3000}', '\u{200B}', '\u{FE0F}', '<', '>', '/', '0', '9',
            '_', '@', '+',
        ]),
    ]
}

fn name_like() -> impl Strategy<Value = String> {
    prop::collection::vec(name_char(), 0..40).prop_map(String::from_iter)
}

/// Strings of mixed characters from the ranges above plus digits and separators.
fn mixed() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        name_like(),
        "[0-9 +@._-]{0,24}",
        "[0-9a-zA-Z@._-]{0,24}",
    ]
}

fn any_date() -> impl Strategy<Value = Date> {
    (Date::MIN.to_julian_day()..=Date::MAX.to_julian_day())
        .prop_map(|j| Date::from_julian_day(j).unwrap())
}

// ---------- helpers ----------

/// Each string validator, rendering its result as the string it would be re-validated from.
type Render = fn(&mut Issues, &str) -> Option<String>;

fn string_validators() -> Vec<(&'static str, Render)> {
    vec![
        ("person_name", |i, s| validate::person_name(i, "f", s)),
        ("latin_name", |i, s| validate::latin_name(i, "f", s)),
        ("abha_number", |i, s| {
            validate::abha_number(i, "f", s).map(String::from)
        }),
        ("mobile", |i, s| {
            validate::mobile(i, "f", s).map(String::from)
        }),
        ("address_create", |i, s| {
            validate::abha_address(i, "f", s, AddressPolicy::Create).map(|a| a.to_string())
        }),
        ("address_read", |i, s| {
            validate::abha_address(i, "f", s, AddressPolicy::Read).map(|a| a.to_string())
        }),
        ("hfr_id", |i, s| {
            validate::hfr_id(i, "f", s).map(String::from)
        }),
        ("hpr_id", |i, s| {
            validate::hpr_id(i, "f", s).map(String::from)
        }),
        ("pincode", |i, s| {
            validate::pincode(i, "f", s).map(String::from)
        }),
        ("aadhaar", |i, s| {
            validate::aadhaar(i, "f", s).map(|z| z.as_str().to_owned())
        }),
        ("vid", |i, s| {
            validate::vid(i, "f", s).map(|z| z.as_str().to_owned())
        }),
        ("gender", |i, s| {
            validate::gender(i, "f", s).map(|g| g.to_string())
        }),
    ]
}

/// Validating `input`, then validating the result, gives the result back unchanged; and each
/// call returns `Some` exactly when it reported no error.
fn check_idempotent(name: &str, f: Render, input: &str) -> Result<(), TestCaseError> {
    let mut issues = Issues::new();
    let first = f(&mut issues, input);
    let Some(n) = first else {
        // `latin_name` is optional: blank input is None without an error.
        let blank_latin = name == "latin_name" && !issues.has_errors();
        prop_assert!(
            issues.has_errors() || blank_latin,
            "{name}: None without error"
        );
        return Ok(());
    };
    prop_assert!(
        !issues.has_errors(),
        "{name}: Some with errors {:?}",
        issues.errors
    );
    let mut again = Issues::new();
    let second = f(&mut again, &n);
    prop_assert_eq!(
        second.as_deref(),
        Some(n.as_str()),
        "{} not idempotent",
        name
    );
    prop_assert!(!again.has_errors());
    Ok(())
}

fn error_codes(issues: &Issues) -> Vec<&str> {
    issues.errors.iter().map(|i| i.code.as_str()).collect()
}

fn aadhaar_codes(input: &str) -> Vec<String> {
    let mut issues = Issues::new();
    validate::aadhaar(&mut issues, "aadhaar", input);
    error_codes(&issues).into_iter().map(String::from).collect()
}

// ---------- properties ----------

proptest! {
    #[test]
    fn verhoeff_catches_every_substitution_and_adjacent_swap(n in valid_aadhaar()) {
        prop_assert!(checksum::verhoeff_check(&n));
        prop_assert!(aadhaar_codes(&n).is_empty());
        let d: Vec<u8> = n.bytes().collect();
        for pos in 0..d.len() {
            for sub in b'0'..=b'9' {
                if sub == d[pos] {
                    continue;
                }
                let mut m = d.clone();
                m[pos] = sub;
                let m = String::from_utf8(m).unwrap();
                prop_assert!(!checksum::verhoeff_check(&m), "substitution missed: pos {}", pos);
                let expected = if pos == 0 && sub <= b'1' {
                    codes::AADHAAR_FIRST_DIGIT
                } else {
                    codes::AADHAAR_CHECKSUM
                };
                prop_assert_eq!(aadhaar_codes(&m), [expected]);
            }
        }
        for pos in 0..d.len() - 1 {
            if d[pos] == d[pos + 1] {
                continue;
            }
            let mut m = d.clone();
            m.swap(pos, pos + 1);
            let m = String::from_utf8(m).unwrap();
            prop_assert!(!checksum::verhoeff_check(&m), "transposition missed: pos {}", pos);
            let expected = if m.starts_with(['0', '1']) {
                codes::AADHAAR_FIRST_DIGIT
            } else {
                codes::AADHAAR_CHECKSUM
            };
            prop_assert_eq!(aadhaar_codes(&m), [expected]);
        }
    }

    #[test]
    fn normalisation_idempotent_on_arbitrary_strings(s in mixed()) {
        for (name, f) in string_validators() {
            check_idempotent(name, f, &s)?;
        }
    }

    #[test]
    fn names_normalise_idempotently(s in name_like()) {
        check_idempotent("person_name", |i, s| validate::person_name(i, "f", s), &s)?;
        check_idempotent("latin_name", |i, s| validate::latin_name(i, "f", s), &s)?;
    }

    #[test]
    fn valid_looking_numbers_normalise(
        abha in with_separators(digits(14)),
        hpr in with_separators(digits(14)),
        mobile_prefix in prop::sample::select(vec!["", "+91", "+91 ", "+91-", "91", "91 ", "0"]),
        mobile_first in prop::sample::select(vec!['6', '7', '8', '9']),
        mobile_rest in with_separators(digits(9)),
        hfr in "[iI][nN][a-zA-Z0-9]{10}",
        pad in prop::sample::select(vec!["", " ", "\t", "\n "]),
    ) {
        let bare = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();

        let mut issues = Issues::new();
        let n = validate::abha_number(&mut issues, "f", &format!("{pad}{abha}{pad}")).unwrap();
        prop_assert_eq!(n.digits(), bare(&abha));
        prop_assert_eq!(n.as_str().len(), 17);
        prop_assert!(!issues.has_errors());
        check_idempotent("abha_number", |i, s| validate::abha_number(i, "f", s).map(String::from), &abha)?;

        let h = validate::hpr_id(&mut issues, "f", &hpr).unwrap();
        prop_assert_eq!(h.as_str(), bare(&hpr));
        check_idempotent("hpr_id", |i, s| validate::hpr_id(i, "f", s).map(String::from), &hpr)?;

        let mobile = format!("{mobile_prefix}{mobile_first}{mobile_rest}");
        let m = validate::mobile(&mut issues, "f", &mobile).unwrap();
        prop_assert_eq!(m.as_str(), format!("{mobile_first}{}", bare(&mobile_rest)));
        check_idempotent("mobile", |i, s| validate::mobile(i, "f", s).map(String::from), &mobile)?;

        let f = validate::hfr_id(&mut issues, "f", &format!("{pad}{hfr}")).unwrap();
        prop_assert_eq!(f.as_str(), hfr.to_ascii_uppercase());
        check_idempotent("hfr_id", |i, s| validate::hfr_id(i, "f", s).map(String::from), &hfr)?;

        prop_assert!(!issues.has_errors());
    }

    #[test]
    fn valid_looking_addresses_normalise(
        handle in "[a-zA-Z][a-zA-Z0-9]{0,9}[._]?[a-zA-Z0-9]{0,9}|[0-9]{14}",
        suffix in prop::sample::select(vec!["", "@abdm", "@SBX", "@ndhm", "@hpr.abdm", "@", "@a b"]),
    ) {
        let input = format!("{handle}{suffix}");
        for policy in [AddressPolicy::Create, AddressPolicy::Read] {
            let mut issues = Issues::new();
            let out = validate::abha_address(&mut issues, "f", &input, policy);
            prop_assert_eq!(out.is_some(), !issues.has_errors());
            if let Some(a) = out {
                prop_assert_eq!(a.handle(), handle.as_str());
                let again = validate::abha_address(&mut Issues::new(), "f", &a.to_string(), policy);
                prop_assert_eq!(again, Some(a));
            }
        }
    }

    #[test]
    fn validators_never_panic(s in mixed(), today in any_date(), lat in any::<f64>(), lon in any::<f64>()) {
        for (name, f) in string_validators() {
            let mut issues = Issues::new();
            let out = f(&mut issues, &s);
            let blank_latin = name == "latin_name" && issues.is_empty();
            prop_assert_eq!(out.is_some() || blank_latin, !issues.has_errors(), "{}", name);
        }
        for kind in Kind::ALL {
            let out = validate_single(kind, &s);
            prop_assert_eq!(out.ok, out.errors.is_empty());
            prop_assert_eq!(out.ok, out.normalized.is_some());
            prop_assert!(out.errors.iter().chain(&out.warnings).all(|i| i.field == kind.field()));
        }
        let mut issues = Issues::new();
        let dob = validate::birth_date(&mut issues, "dob", &s, today);
        prop_assert_eq!(dob.is_some(), !issues.has_errors());
        if let Some(dob) = dob {
            prop_assert!((0..=validate::MAX_AGE_YEARS).contains(&dob.age_on(today)));
        }
        let mut issues = Issues::new();
        let p = validate::gps(&mut issues, "gps", lat, lon);
        let in_range = lat.abs() <= 90.0 && lon.abs() <= 180.0; // false for NaN
        prop_assert_eq!(p.is_some(), in_range);
        if let Some(p) = p {
            prop_assert!(p.lat_e6.abs() <= 90_000_000 && p.lon_e6.abs() <= 180_000_000);
        }
    }

    #[test]
    fn birth_dates_never_panic(
        s in "[0-9]{4}(-[0-9]{1,2}-[0-9]{1,3})?",
        today in any_date(),
    ) {
        let mut issues = Issues::new();
        let dob = validate::birth_date(&mut issues, "dob", &s, today);
        prop_assert_eq!(dob.is_some(), !issues.has_errors());
        if let Some(dob) = dob {
            prop_assert_eq!(validate::BirthDate::parse_canonical(&dob.to_string()), Some(dob));
        }
    }

    #[test]
    fn aadhaar_digits_never_leak(
        raw in prop_oneof![valid_aadhaar(), digits(12)].prop_flat_map(|d| (Just(d.clone()), with_separators(Just(d)))),
        other_mobile in "[0-9]{0,12}",
    ) {
        let (bare, typed) = raw;
        let mut issues = Issues::new();
        let out = validate::aadhaar(&mut issues, "aadhaar", &typed);
        validate::mobile(&mut issues, "mobile", &other_mobile);
        if let Some(z) = &out {
            prop_assert_eq!(z.as_str(), bare.as_str());
        }

        let mut texts = vec![serde_json::to_string(&issues).unwrap(), format!("{issues:?}")];
        if let Err(e) = issues.clone().finish(()) {
            texts.push(format!("{e:?}"));
            texts.push(e.to_string());
            texts.push(serde_json::to_string(&e).unwrap());
        }
        let single = validate_single(Kind::Aadhaar, &typed);
        texts.push(serde_json::to_string(&single).unwrap());
        texts.push(format!("{single:?}"));
        if single.ok {
            let masked = single.normalized.clone().unwrap();
            prop_assert!(masked.starts_with("XXXX XXXX "));
            prop_assert!(bare.ends_with(masked.trim_start_matches("XXXX XXXX ")));
        }
        for text in &texts {
            prop_assert!(!text.contains(&bare), "leak in {}", text);
            prop_assert!(!text.contains(&typed), "leak in {}", text);
        }
    }
}
