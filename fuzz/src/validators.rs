//! `validators`: every validator of `abha_core::validate` and the form checks of `model`, on
//! arbitrary text and arbitrary forms.
//!
//! Why: these run on whatever a worker types or pastes, on what the field CLI reads from JSON,
//! and on what the hub re-validates from sync; the module promises that nothing panics, that a
//! validator returns a value exactly when it reported no error, and that no input reaches an
//! issue (Aadhaar and mobile numbers end up in logs otherwise). The harness checks those
//! promises and a few more that follow from "returns the normalised value":
//! - normalising is idempotent: the normalised value validates again, to itself;
//! - the newtypes survive `Display`/`FromStr` and serde (which re-validate);
//! - check digits: a computed check digit passes its check; masks show at most 4 digits;
//! - a refused form always says why (a `ValidationError` has at least one error).
//!
//! Input layout: byte 0 selects the mode ([`Mode`]), bytes 1-2 are "today" (days after
//! 2000-01-01, little-endian), the rest is the payload. Text payloads that are not UTF-8 are
//! read lossily, so every input runs.

use abha_core::ids::VillageId;
use abha_core::model::text::{address, place_name};
use abha_core::model::{
    ConsentDraft, EnrollmentState, FacilityDraft, HouseholdCode, HouseholdDraft, HouseholdForm,
    HouseholdPatch, MemberDraft, MemberPatch, Relation, Route, VillageDraft, WorkerDraft,
};
use abha_core::validate::checksum::{luhn_check, luhn_digit, verhoeff_check, verhoeff_digit};
use abha_core::validate::{
    self, AbhaAddress, AbhaNumber, AddressPolicy, BirthDate, Gender, HfrId, HprId, Issues, Kind,
    Mobile, Pincode, ValidationError,
};
use arbitrary::{Arbitrary, Unstructured};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::Date;

/// What the payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Text, through every single-value validator.
    Value = 0,
    /// Byte 0 a [`Kind`] index, the rest text: [`validate::validate_single`] as the CLI runs it.
    Single = 1,
    /// 16 bytes: latitude and longitude, `f64` little-endian.
    Gps = 2,
    /// A [`HouseholdForm`] as JSON (what the field CLI and the bindings take).
    FormJson = 3,
    /// A [`MemberPatch`] as JSON.
    MemberPatchJson = 4,
    /// A [`HouseholdPatch`] as JSON.
    HouseholdPatchJson = 5,
    /// Byte 0 picks worker, facility, village or consent; the rest is that draft as JSON.
    DraftJson = 6,
    /// A household form built field by field from the bytes ([`arbitrary`]).
    FormArbitrary = 7,
}

const MODES: [Mode; 8] = [
    Mode::Value,
    Mode::Single,
    Mode::Gps,
    Mode::FormJson,
    Mode::MemberPatchJson,
    Mode::HouseholdPatchJson,
    Mode::DraftJson,
    Mode::FormArbitrary,
];

/// A seed input: `mode`, today as days after 2000-01-01, `payload`.
pub fn input(mode: Mode, today_days: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![mode as u8];
    out.extend(today_days.to_le_bytes());
    out.extend(payload);
    out
}

/// Julian day of 2000-01-01.
const JD_2000: i32 = 2_451_545;
/// Digits of an input that an issue must never show (shorter runs collide with params).
const LEAK_DIGITS: usize = 6;

/// The harness: see the module docs.
pub fn run(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Some((days, payload)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let today = Date::from_julian_day(JD_2000 + i32::from(u16::from_le_bytes(*days)))
        .expect("2000-01-01 plus at most 65535 days is a date");
    let text = String::from_utf8_lossy(payload);
    match MODES[usize::from(sel) % MODES.len()] {
        Mode::Value => every_validator(&text, today),
        Mode::Single => single(payload),
        Mode::Gps => gps(payload),
        Mode::FormJson => {
            if let Ok(form) = serde_json::from_str::<HouseholdForm>(&text) {
                check_form(&form, &text, today);
            }
        }
        Mode::MemberPatchJson => {
            if let Ok(p) = serde_json::from_str::<MemberPatch>(&text) {
                refusal(p.check(today).err(), &text);
            }
        }
        Mode::HouseholdPatchJson => {
            if let Ok(p) = serde_json::from_str::<HouseholdPatch>(&text) {
                refusal(p.check().err(), &text);
            }
        }
        Mode::DraftJson => drafts(payload),
        Mode::FormArbitrary => {
            let mut u = Unstructured::new(payload);
            if let Ok(f) = FormIn::arbitrary(&mut u) {
                let form = f.to_form();
                let json = serde_json::to_string(&form).unwrap_or_default();
                // The JSON leaves the Aadhaar number out: add it, for the leak check.
                let typed = format!("{json} {}", f.typed_aadhaar());
                check_form(&form, &typed, today);
            }
        }
    }
}

/// Runs `f` on a fresh collector and checks the contract every validator shares: `Some`
/// exactly when no error was pushed, and no digits of the input in what was pushed.
fn one<T>(input: &str, f: impl FnOnce(&mut Issues) -> Option<T>) -> (Option<T>, Issues) {
    let mut issues = Issues::new();
    let out = f(&mut issues);
    assert_eq!(
        out.is_some(),
        !issues.has_errors(),
        "a validator returns a value exactly when it reports no error: {issues:?}"
    );
    no_leak(input, &issues);
    (out, issues)
}

/// No run of digits from `input` shows in the issues (Debug, Display or JSON).
fn no_leak(input: &str, issues: &Issues) {
    let shown = format!(
        "{issues:?} {}",
        serde_json::to_string(issues).unwrap_or_default()
    );
    if let Some(d) = crate::leaked_digits(input, &shown, LEAK_DIGITS) {
        panic!("issue output shows input digits {d}: {shown}");
    }
}

/// A refused form or patch says why, and shows no digits of what was typed.
fn refusal(err: Option<ValidationError>, typed: &str) {
    let Some(e) = err else { return };
    assert!(!e.errors.is_empty(), "a refusal without an error: {e:?}");
    let shown = format!(
        "{e} {e:?} {}",
        serde_json::to_string(&e).unwrap_or_default()
    );
    if let Some(d) = crate::leaked_digits(typed, &shown, LEAK_DIGITS) {
        panic!("validation error shows input digits {d}: {shown}");
    }
}

/// A newtype survives `Display` + `FromStr` and a JSON round trip (both re-validate).
fn newtype<T>(v: &T)
where
    T: std::fmt::Display
        + std::str::FromStr
        + Serialize
        + DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
    T::Err: std::fmt::Debug,
{
    let parsed: T = v
        .to_string()
        .parse()
        .expect("a validated value parses back from its display form");
    assert_eq!(&parsed, v, "display -> parse changed the value");
    let json = serde_json::to_string(v).expect("serialises");
    let back: T = serde_json::from_str(&json).expect("a validated value deserialises");
    assert_eq!(&back, v, "serde round trip changed the value");
}

/// The same text through every single-value validator, with the properties of each.
fn every_validator(s: &str, today: Date) {
    let f = "f";
    if let (Some(n), _) = one(s, |i| validate::aadhaar(i, f, s)) {
        assert!(n.len() == 12 && verhoeff_check(&n) && !n.starts_with(['0', '1']));
        let again = one(&n, |i| validate::aadhaar(i, f, &n)).0;
        assert_eq!(
            again.as_ref(),
            Some(&n),
            "aadhaar normalisation is idempotent"
        );
        let masked = validate::mask_number(&n);
        assert_eq!(masked.len(), 14);
        assert!(masked.ends_with(&n[8..]) && masked.starts_with("XXXX XXXX "));
    }
    if let (Some(n), _) = one(s, |i| validate::vid(i, f, s)) {
        assert_eq!(n.len(), 16);
        assert_eq!(one(&n, |i| validate::vid(i, f, &n)).0.as_ref(), Some(&n));
    }
    if let (Some(n), _) = one(s, |i| validate::abha_number(i, f, s)) {
        assert_eq!(n.digits().len(), 14);
        let again = one(n.as_str(), |i| validate::abha_number(i, f, n.as_str())).0;
        assert_eq!(
            again.as_ref(),
            Some(&n),
            "ABHA number normalisation is idempotent"
        );
        newtype::<AbhaNumber>(&n);
    }
    for policy in [AddressPolicy::Create, AddressPolicy::Read] {
        if let (Some(a), _) = one(s, |i| validate::abha_address(i, f, s, policy)) {
            let shown = a.to_string();
            let again = one(&shown, |i| validate::abha_address(i, f, &shown, policy)).0;
            assert_eq!(
                again.as_ref(),
                Some(&a),
                "ABHA address normalisation ({policy:?})"
            );
            // Whatever may be created may be read back.
            let read = one(&shown, |i| {
                validate::abha_address(i, f, &shown, AddressPolicy::Read)
            });
            assert_eq!(read.0.as_ref(), Some(&a), "a created address reads back");
            let json = serde_json::to_string(&a).expect("serialises");
            let back: AbhaAddress = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, a);
        }
    }
    if let (Some(m), _) = one(s, |i| validate::mobile(i, f, s)) {
        assert!(m.as_str().len() == 10 && m.as_str().starts_with(['6', '7', '8', '9']));
        newtype::<Mobile>(&m);
        let debug = format!("{m:?}");
        assert!(
            !debug.contains(&m.as_str()[..6]),
            "Mobile's Debug is redacted"
        );
    }
    if let (Some(p), _) = one(s, |i| validate::pincode(i, f, s)) {
        newtype::<Pincode>(&p);
    }
    if let (Some(h), _) = one(s, |i| validate::hfr_id(i, f, s)) {
        newtype::<HfrId>(&h);
    }
    if let (Some(h), _) = one(s, |i| validate::hpr_id(i, f, s)) {
        newtype::<HprId>(&h);
    }
    if let (Some(n), _) = one(s, |i| validate::person_name(i, f, s)) {
        let again = one(&n, |i| validate::person_name(i, f, &n)).0;
        assert_eq!(again.as_ref(), Some(&n), "name normalisation is idempotent");
    }
    // The Latin name is optional: blank input gives `None` without an error, so it has its own
    // form of the contract.
    let mut issues = Issues::new();
    let latin = validate::latin_name(&mut issues, f, s);
    no_leak(s, &issues);
    let blank = s.chars().all(char::is_whitespace);
    assert_eq!(
        latin.is_some(),
        !issues.has_errors() && !blank,
        "latin_name returns a value exactly when the input is not blank and has no error"
    );
    if let Some(n) = latin {
        let again = one(&n, |i| validate::latin_name(i, f, &n)).0;
        assert_eq!(
            again.as_ref(),
            Some(&n),
            "Latin name normalisation is idempotent"
        );
        // A Latin name is a name.
        let any = one(&n, |i| validate::person_name(i, f, &n)).0;
        assert_eq!(any.as_ref(), Some(&n), "a valid Latin name is a valid name");
    }
    if let (Some(d), _) = one(s, |i| validate::birth_date(i, f, s, today)) {
        let shown = d.to_string();
        let again = one(&shown, |i| validate::birth_date(i, f, &shown, today)).0;
        assert_eq!(again, Some(d), "birth date normalisation is idempotent");
        assert!(d.age_on(today) >= 0 && d.age_on(today) <= validate::MAX_AGE_YEARS);
        let json = serde_json::to_string(&d).expect("serialises");
        assert_eq!(serde_json::from_str::<BirthDate>(&json).ok(), Some(d));
    }
    if let Some(d) = BirthDate::parse_canonical(s) {
        assert_eq!(d.to_string(), s, "the canonical form is the display form");
    }
    if let (Some(g), _) = one(s, |i| validate::gender(i, f, s)) {
        assert_eq!(
            one(g.code(), |i| validate::gender(i, f, g.code())).0,
            Some(g)
        );
        let json = serde_json::to_string(&g).expect("serialises");
        assert_eq!(serde_json::from_str::<Gender>(&json).ok(), Some(g));
    }
    if let (Some(c), _) = one(s, |i| HouseholdCode::parse(i, f, s)) {
        let shown = c.to_string();
        assert_eq!(
            one(&shown, |i| HouseholdCode::parse(i, f, &shown)).0,
            Some(c)
        );
    }
    for free_text in [address, place_name] {
        if let (Some(t), _) = one(s, |i| free_text(i, f, s)) {
            assert_eq!(one(&t, |i| free_text(i, f, &t)).0.as_ref(), Some(&t));
        }
    }
    // Check digits and masks.
    if let Some(d) = verhoeff_digit(s) {
        assert!(d < 10 && verhoeff_check(&format!("{s}{d}")));
    }
    if let Some(d) = luhn_digit(s) {
        assert!(d < 10 && luhn_check(&format!("{s}{d}")));
    }
    if verhoeff_check(s) || luhn_check(s) {
        assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    }
    let total = s.bytes().filter(u8::is_ascii_digit).count();
    let masked = validate::mask_number(s);
    let shown = masked.bytes().filter(u8::is_ascii_digit).count();
    assert_eq!(
        shown,
        if total > 4 { 4 } else { 0 },
        "a mask shows the last 4 digits only"
    );
    // Code lists parse their own codes back.
    if let Some(k) = Kind::parse(s) {
        assert_eq!(k.name(), s);
    }
    if let Some(r) = Relation::parse(s) {
        assert_eq!(Relation::parse(r.code()), Some(r));
    }
    if let Some(st) = EnrollmentState::parse(s) {
        assert_eq!(EnrollmentState::parse(st.code()), Some(st));
    }
    if let Some(r) = Route::parse(s) {
        assert_eq!(Route::parse(r.code()), Some(r));
    }
}

/// [`validate::validate_single`]: never shows an Aadhaar number or VID, only its mask.
fn single(payload: &[u8]) {
    let Some((&k, rest)) = payload.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(k) % Kind::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let out = validate::validate_single(kind, &text);
    assert_eq!(out.ok, out.normalized.is_some());
    assert_eq!(out.ok, out.errors.is_empty());
    let shown = format!(
        "{out:?} {}",
        serde_json::to_string(&out).unwrap_or_default()
    );
    // A mask shows 4 digits; anything longer from the input is a leak for these two kinds.
    if matches!(kind, Kind::Aadhaar | Kind::Vid) {
        if let Some(d) = crate::leaked_digits(&text, &shown, 5) {
            panic!("validate_single shows digits {d} of an Aadhaar number or VID: {shown}");
        }
    }
}

fn gps(payload: &[u8]) {
    let Some((lat, rest)) = payload.split_first_chunk::<8>() else {
        return;
    };
    let Some((lon, _)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let (lat, lon) = (f64::from_le_bytes(*lat), f64::from_le_bytes(*lon));
    if let (Some(p), _) = one("", |i| validate::gps(i, "gps", lat, lon)) {
        assert!(p.lat_e6.abs() <= 90_000_000 && p.lon_e6.abs() <= 180_000_000);
        // Microdegrees survive the round trip through degrees.
        let again = one("", |i| validate::gps(i, "gps", p.lat(), p.lon())).0;
        assert_eq!(again, Some(p));
    }
}

fn drafts(payload: &[u8]) {
    let Some((&which, rest)) = payload.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 4 {
        0 => {
            if let Ok(d) = serde_json::from_str::<WorkerDraft>(&text) {
                refusal(d.validate().err(), &text);
            }
        }
        1 => {
            if let Ok(d) = serde_json::from_str::<FacilityDraft>(&text) {
                refusal(d.validate().err(), &text);
            }
        }
        2 => {
            if let Ok(d) = serde_json::from_str::<VillageDraft>(&text) {
                refusal(d.validate().err(), &text);
            }
        }
        _ => {
            if let Ok(d) = serde_json::from_str::<ConsentDraft>(&text) {
                refusal(d.validate().err(), &text);
            }
        }
    }
}

/// A whole form: a refusal says why and leaks nothing typed; an accepted form has one head at
/// most and every member.
fn check_form(form: &HouseholdForm, typed: &str, today: Date) {
    match form.check(today) {
        Ok(v) => {
            assert_eq!(v.value.members.len(), form.members.len());
            let heads = v
                .value
                .members
                .iter()
                .filter(|m| m.relation == Relation::Head)
                .count();
            assert!(heads <= 1, "a form with {heads} heads was accepted");
            no_leak(
                typed,
                &Issues {
                    errors: Vec::new(),
                    warnings: v.warnings,
                },
            );
        }
        Err(e) => refusal(Some(e), typed),
    }
}

/// Most members in a built form (a real one has at most a dozen or two).
const MAX_MEMBERS: usize = 24;

/// A household form, field by field.
#[derive(Debug, Arbitrary)]
struct FormIn {
    village: Option<u32>,
    address: String,
    pincode: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    members: Vec<MemberIn>,
}

#[derive(Debug, Arbitrary)]
struct MemberIn {
    given_name: String,
    middle_name: Option<String>,
    family_name: Option<String>,
    name_latin: Option<String>,
    gender: String,
    birth_date: String,
    mobile: Option<String>,
    relation: String,
    aadhaar: Option<String>,
    abha_number: Option<String>,
    abha_address: Option<String>,
}

impl FormIn {
    fn to_form(&self) -> HouseholdForm {
        HouseholdForm {
            household: HouseholdDraft {
                village_id: self.village.map(VillageId::from_lgd),
                address: self.address.clone(),
                pincode: self.pincode.clone(),
                lat: self.lat,
                lon: self.lon,
            },
            members: self
                .members
                .iter()
                .take(MAX_MEMBERS)
                .map(|m| MemberDraft {
                    given_name: m.given_name.clone(),
                    middle_name: m.middle_name.clone(),
                    family_name: m.family_name.clone(),
                    name_latin: m.name_latin.clone(),
                    gender: m.gender.clone(),
                    birth_date: m.birth_date.clone(),
                    mobile: m.mobile.clone(),
                    relation: m.relation.clone(),
                    aadhaar: m.aadhaar.clone().map(Into::into),
                    abha_number: m.abha_number.clone(),
                    abha_address: m.abha_address.clone(),
                })
                .collect(),
        }
    }

    fn typed_aadhaar(&self) -> String {
        let numbers: Vec<&str> = self
            .members
            .iter()
            .filter_map(|m| m.aadhaar.as_deref())
            .collect();
        numbers.join(" ")
    }
}
