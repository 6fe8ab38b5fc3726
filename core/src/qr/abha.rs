//! ABHA QR codes: the printed ABHA card and the QR the ABHA (PHR) app shows.
//!
//! Why this file exists: scanning a beneficiary's ABHA is how a worker links a member to an
//! existing ABHA instead of creating a second one (abdm.md 0.4), and it spares typing the
//! 14 digits. The payloads are loosely specified JSON (abdm.md section 3), so the reader is
//! lenient in exactly the ways real codes vary:
//! - the card (`hidn`, `hid`, `"state name"` with a space, `district_name`, `dob` as `d/m/yyyy`)
//!   and the app (`phr` for the address, `dob` with dashes), and codes with only `hidn`;
//! - key case, spaces, `_` and `-` are ignored (`stateName` = `"state name"` = `state_name`),
//!   and profile-style keys (`abhaNumber`, `abhaAddress`, `yearOfBirth`...) are read too;
//! - numbers may be JSON numbers or strings; `"-"`, `"NA"` and `null` mean absent; unknown keys
//!   are ignored;
//! - `statelgd`/`distlgd` may hold names instead of LGD codes (a Simple.org fixture), and
//!   `"state name"` a code: digits give [`ScannedRegion::lgd_code`], text the name;
//! - legacy `@ndhm` addresses are kept as scanned ([`ScannedAbha::has_legacy_address`]):
//!   abdm.md says to accept them when reading, not to rewrite them;
//! - a bare ABHA number, or a bare address with a known suffix, is accepted as plain text.
//!
//! Every value goes through the same validators as a typed form ([`crate::validate`]), so a
//! scanned number is exactly as canonical as a typed one. A present but unusable field is a
//! warning (`field` + code) and the field stays empty; only a payload with neither a usable
//! ABHA number nor a usable ABHA address is an error. The `legacy_format` warning of an address
//! is dropped: the address was issued by ABDM, its format is not the worker's concern.
//!
//! Dates are read day first, never month first, as ABDM and Indian documents write them. The
//! birth date is not compared with today here (no clock); the member form's check does that.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::{
    Fields, QrError, ScannedRegion, check_size, codes, decode_bytes, issue, looks_masked,
    parse_birth_date, prepare, quiet, refuse_other_codes,
};
use crate::model::{MemberDraft, text};
use crate::validate::{
    self, AbhaAddress, AbhaNumber, AddressPolicy, BirthDate, Gender, Issue, Issues, Mobile,
    codes as vcodes,
};

/// Which kind of ABHA QR code was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbhaQrVariant {
    /// The printed ABHA card: the address is under `hid`.
    Card,
    /// The ABHA / PHR app: the address is under `phr`.
    App,
    /// JSON with neither `hid` nor `phr`, e.g. only `{"hidn": ...}`.
    Minimal,
    /// Not JSON: a bare ABHA number or ABHA address.
    PlainText,
}

/// What an ABHA QR code said, validated. At least one of `abha_number` and `abha_address` is set.
///
/// Holds personal data: `Debug` shows only which fields are present.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ScannedAbha {
    /// The kind of code.
    pub variant: AbhaQrVariant,
    /// The ABHA number, `NN-NNNN-NNNN-NNNN`.
    pub abha_number: Option<AbhaNumber>,
    /// The ABHA address as scanned (suffix lower-cased; `@ndhm` kept).
    pub abha_address: Option<AbhaAddress>,
    /// The full name, NFC (from `name`, else the parts joined).
    pub name: Option<String>,
    /// `firstName`, when the code splits the name.
    pub given_name: Option<String>,
    /// `middleName`.
    pub middle_name: Option<String>,
    /// `lastName`.
    pub family_name: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Date of birth, or the year only.
    pub birth_date: Option<BirthDate>,
    /// Mobile number.
    pub mobile: Option<Mobile>,
    /// The address line (the KYC address on a card, "as declared" in the app).
    pub address: Option<String>,
    /// State.
    pub state: ScannedRegion,
    /// District.
    pub district: ScannedRegion,
    /// Fields present but unusable, and other non-blocking problems (`field` + code).
    pub warnings: Vec<Issue>,
}

impl fmt::Debug for ScannedAbha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ScannedAbha {{ variant: {:?}, abha_number: {}, abha_address: {}, name: {}, \
             gender: {}, birth_date: {}, mobile: {}, warnings: {:?} }}",
            self.variant,
            self.abha_number.is_some(),
            self.abha_address.is_some(),
            self.name.is_some(),
            self.gender.is_some(),
            self.birth_date.is_some(),
            self.mobile.is_some(),
            self.warnings
        )
    }
}

/// Parses a scanned ABHA QR code (see the module doc). Never panics.
pub fn parse_abha_qr(input: &str) -> Result<ScannedAbha, QrError> {
    check_size(input.len())?;
    parse_checked(input)
}

/// [`parse_abha_qr`] for a scanner's raw bytes (UTF-8, else ISO-8859-1, whose characters may
/// take two bytes in UTF-8: the limit applies to the scanned bytes).
pub fn parse_abha_qr_bytes(input: &[u8]) -> Result<ScannedAbha, QrError> {
    parse_checked(&decode_bytes(input)?)
}

fn parse_checked(input: &str) -> Result<ScannedAbha, QrError> {
    let s = prepare(input)?;
    if s.starts_with('{') {
        let value: Value = serde_json::from_str(s).map_err(|_| QrError::Malformed)?;
        match value {
            Value::Object(map) => parse_object(&map),
            _ => Err(QrError::NotAbha),
        }
    } else {
        parse_text(s)
    }
}

/// What a JSON key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Number,
    Hid,
    Phr,
    AddressAlias,
    Name,
    First,
    Middle,
    Last,
    Gender,
    Dob,
    Day,
    Month,
    Year,
    StateCode,
    DistrictCode,
    StateName,
    DistrictName,
    Mobile,
    Address,
}

/// Known keys and their spellings (normalised: lower case, no spaces, `_` or `-`), in priority
/// order: when two keys give the same field, the earlier one wins. Section 3 of abdm.md gives
/// the first spelling of each; the others are the profile's names (abdm.md 2.9 and 4).
const KEYS: &[(Key, &[&str])] = &[
    (Key::Number, &["hidn", "abhanumber", "healthidnumber"]),
    (Key::Hid, &["hid"]),
    (Key::Phr, &["phr"]),
    (
        Key::AddressAlias,
        &[
            "abhaaddress",
            "preferredabhaaddress",
            "phraddress",
            "healthid",
        ],
    ),
    (Key::Name, &["name", "fullname"]),
    (Key::First, &["firstname"]),
    (Key::Middle, &["middlename"]),
    (Key::Last, &["lastname"]),
    (Key::Gender, &["gender", "sex"]),
    (Key::Dob, &["dob", "dateofbirth", "birthdate"]),
    (Key::Day, &["dayofbirth"]),
    (Key::Month, &["monthofbirth"]),
    (Key::Year, &["yearofbirth"]),
    (Key::StateCode, &["statelgd", "statecode"]),
    (Key::DistrictCode, &["distlgd", "districtcode"]),
    (Key::StateName, &["statename", "state"]),
    (Key::DistrictName, &["districtname", "district"]),
    (Key::Mobile, &["mobile", "mobilenumber", "phonenumber"]),
    (Key::Address, &["address"]),
];

/// Whether `s` is masked on the card, reported as `qr.masked`.
fn masked(issues: &mut Issues, field: &str, s: &str) -> bool {
    let masked = looks_masked(s);
    if masked {
        issues.error(field, codes::MASKED);
    }
    masked
}

fn check_number(issues: &mut Issues, field: &str, s: &str) -> Option<AbhaNumber> {
    (!masked(issues, field, s)).then(|| validate::abha_number(issues, field, s))?
}

/// The reading rule for addresses, without its `legacy_format` warning (see the module doc).
fn check_address(issues: &mut Issues, field: &str, s: &str) -> Option<AbhaAddress> {
    let out = validate::abha_address(issues, field, s, AddressPolicy::Read);
    issues
        .warnings
        .retain(|i| i.code != vcodes::ABHA_ADDRESS_LEGACY_FORMAT);
    out
}

fn check_mobile(issues: &mut Issues, field: &str, s: &str) -> Option<Mobile> {
    (!masked(issues, field, s)).then(|| validate::mobile(issues, field, s))?
}

fn check_gender(issues: &mut Issues, field: &str, s: &str) -> Option<Gender> {
    let code = match s.to_lowercase().as_str() {
        "male" => "M",
        "female" => "F",
        "other" | "others" | "transgender" => "O",
        _ => s,
    };
    validate::gender(issues, field, code)
}

fn check_dob(issues: &mut Issues, field: &str, s: &str) -> Option<BirthDate> {
    let dob = parse_birth_date(s);
    dob.map_err(|code| issues.error(field, code)).ok()
}

fn parse_object(map: &serde_json::Map<String, Value>) -> Result<ScannedAbha, QrError> {
    let mut r = Fields::new(map, KEYS);
    if !r.has(&[Key::Number, Key::Hid, Key::Phr, Key::AddressAlias]) {
        return Err(QrError::NotAbha);
    }
    let variant = if r.has(&[Key::Hid]) {
        AbhaQrVariant::Card
    } else if r.has(&[Key::Phr]) {
        AbhaQrVariant::App
    } else {
        AbhaQrVariant::Minimal
    };

    // Some readers put the address under `hidn`: a value with `@` is an address candidate.
    let (in_number_at, in_number): (Vec<_>, Vec<_>) = r
        .texts(&[Key::Number], "abha_number")
        .into_iter()
        .partition(|t| t.contains('@'));
    let mut addresses = r.texts(&[Key::Hid, Key::Phr, Key::AddressAlias], "abha_address");
    addresses.extend(in_number_at);
    let mut abha_number = r.pick(&in_number, "abha_number", check_number);
    let abha_address = r.pick(&addresses, "abha_address", check_address);
    if abha_number.is_none() && in_number.is_empty() {
        // The default address is the 14 digits of the number (abdm.md 1.1).
        let handle = abha_address.as_ref().map(AbhaAddress::handle);
        let handle = handle.filter(|h| h.len() == 14 && h.bytes().all(|b| b.is_ascii_digit()));
        if let Some(handle) = handle {
            abha_number = r.pick(&[handle.to_owned()], "abha_number", check_number);
        }
    }
    if abha_number.is_none() && abha_address.is_none() {
        let issues = r.warnings.into_iter();
        let issues = issues.filter(|i| i.field == "abha_number" || i.field == "abha_address");
        return Err(QrError::NoIdentifier {
            issues: issues.collect(),
        });
    }

    let given_name = r.field(&[Key::First], "given_name", validate::person_name);
    let middle_name = r.field(&[Key::Middle], "middle_name", validate::person_name);
    let family_name = r.field(&[Key::Last], "family_name", validate::person_name);
    let name = r.field(&[Key::Name], "name", validate::person_name);
    let name = name.or_else(|| {
        let parts = [&given_name, &middle_name, &family_name];
        let joined: Vec<&str> = parts.iter().filter_map(|p| p.as_deref()).collect();
        (!joined.is_empty()).then(|| joined.join(" "))
    });
    let gender = r.field(&[Key::Gender], "gender", check_gender);
    let birth_date = match r.field(&[Key::Dob], "birth_date", check_dob) {
        Some(b) => Some(b),
        None => r.birth_parts([Key::Year, Key::Month, Key::Day], "birth_date"),
    };
    let mobile = r.field(&[Key::Mobile], "mobile", check_mobile);
    let address = r.field(&[Key::Address], "address", text::address);
    let state = r.region([Key::StateCode, Key::StateName], "state", 99);
    let district_keys = [Key::DistrictCode, Key::DistrictName];
    let district = r.region(district_keys, "district", 99_999_999);
    Ok(ScannedAbha {
        variant,
        abha_number,
        abha_address,
        name,
        given_name,
        middle_name,
        family_name,
        gender,
        birth_date,
        mobile,
        address,
        state,
        district,
        warnings: r.warnings,
    })
}

/// Not JSON: a bare ABHA number, or a bare address with a known suffix (an e-mail address
/// must not pass for an ABHA address), or a refusal.
fn parse_text(s: &str) -> Result<ScannedAbha, QrError> {
    refuse_other_codes(s)?;
    let mut scratch = Issues::new();
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    let (abha_number, abha_address) = if numeric {
        (validate::abha_number(&mut scratch, "abha_number", s), None)
    } else {
        let address = check_address(&mut scratch, "abha_address", s);
        let known = |a: &AbhaAddress| matches!(a.suffix(), Some("abdm" | "sbx" | "ndhm"));
        (None, address.filter(known))
    };
    if scratch.has_errors() || (abha_number.is_none() && abha_address.is_none()) {
        return Err(QrError::NotAbha);
    }
    Ok(ScannedAbha {
        variant: AbhaQrVariant::PlainText,
        abha_number,
        abha_address,
        name: None,
        given_name: None,
        middle_name: None,
        family_name: None,
        gender: None,
        birth_date: None,
        mobile: None,
        address: None,
        state: ScannedRegion::default(),
        district: ScannedRegion::default(),
        warnings: scratch.warnings,
    })
}

/// What [`ScannedAbha::prefill`] did to a member form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Prefill {
    /// Form fields that were empty and now hold the scanned value.
    pub filled: Vec<&'static str>,
    /// Fields the worker had typed that disagree with the scan (`qr.differs`), left as typed.
    pub differs: Vec<Issue>,
}

impl Prefill {
    /// Fills `slot` with `value` if it is blank; otherwise records `field` as differing unless
    /// `same(typed)` holds.
    fn offer(
        &mut self,
        slot: &mut String,
        value: &str,
        field: &'static str,
        same: impl FnOnce(&str) -> bool,
    ) {
        if slot.trim().is_empty() {
            value.clone_into(slot);
            self.filled.push(field);
        } else if !same(slot.trim()) {
            self.differs.push(issue(field, codes::DIFFERS));
        }
    }

    /// [`Prefill::offer`] for an optional slot.
    fn offer_opt(
        &mut self,
        slot: &mut Option<String>,
        value: &str,
        field: &'static str,
        same: impl FnOnce(&str) -> bool,
    ) {
        let mut text = slot.take().unwrap_or_default();
        self.offer(&mut text, value, field, same);
        *slot = Some(text).filter(|t| !t.is_empty());
    }
}

/// Equal ignoring case and spacing.
fn loose_eq(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

fn same_address(typed: &str, scanned: &AbhaAddress) -> bool {
    quiet(check_address, typed).is_some_and(|t| {
        let suffixes = t.suffix().zip(scanned.suffix());
        t.handle().eq_ignore_ascii_case(scanned.handle()) && suffixes.is_none_or(|(a, b)| a == b)
    })
}

/// A full date and a year only (or two dates) agree when they name the same year (day).
fn same_birth(typed: &str, scanned: BirthDate) -> bool {
    BirthDate::parse_canonical(typed).is_some_and(|t| match (t, scanned) {
        (BirthDate::Full(a), BirthDate::Full(b)) => a == b,
        _ => t.year() == scanned.year(),
    })
}

impl ScannedAbha {
    /// Whether the ABHA address has the pre-2023 `@ndhm` suffix (still valid when reading).
    pub fn has_legacy_address(&self) -> bool {
        self.abha_address.as_ref().and_then(AbhaAddress::suffix) == Some("ndhm")
    }

    /// A fresh member form filled from the scan (relation and Aadhaar left for the worker).
    pub fn to_member_draft(&self) -> MemberDraft {
        let mut draft = MemberDraft::default();
        self.prefill(&mut draft);
        draft
    }

    /// Fills the empty fields of `draft` from the scan. A field the worker already typed is
    /// never changed; when it disagrees with the scan it is listed in [`Prefill::differs`].
    ///
    /// The name fills `given_name` (or the parts when the code splits the name) only if all
    /// three name fields are empty: joined, they give back the name exactly, which is what
    /// demographic authentication compares. If the worker typed the name in another script and
    /// the scanned name is Latin, it fills `name_latin` instead.
    pub fn prefill(&self, draft: &mut MemberDraft) -> Prefill {
        let mut out = Prefill::default();
        if let Some(n) = &self.abha_number {
            out.offer_opt(&mut draft.abha_number, n.as_str(), "abha_number", |t| {
                quiet(validate::abha_number, t).as_ref() == Some(n)
            });
        }
        if let Some(a) = &self.abha_address {
            let text = a.to_string();
            out.offer_opt(&mut draft.abha_address, &text, "abha_address", |t| {
                same_address(t, a)
            });
        }
        if let Some(name) = &self.name {
            self.prefill_name(name, draft, &mut out);
        }
        if let Some(g) = self.gender {
            out.offer(&mut draft.gender, g.code(), "gender", |t| {
                quiet(check_gender, t) == Some(g)
            });
        }
        if let Some(b) = self.birth_date {
            let text = b.to_string();
            out.offer(&mut draft.birth_date, &text, "birth_date", |t| {
                same_birth(t, b)
            });
        }
        if let Some(m) = &self.mobile {
            out.offer_opt(&mut draft.mobile, m.as_str(), "mobile", |t| {
                quiet(validate::mobile, t).as_ref() == Some(m)
            });
        }
        out
    }

    fn prefill_name(&self, name: &str, draft: &mut MemberDraft, out: &mut Prefill) {
        let typed = [
            Some(draft.given_name.as_str()),
            draft.middle_name.as_deref(),
            draft.family_name.as_deref(),
        ];
        let typed: Vec<&str> = typed.into_iter().flatten().collect();
        let typed = typed.join(" ");
        if typed.trim().is_empty() {
            let Some(given) = &self.given_name else {
                out.offer(&mut draft.given_name, name, "given_name", |_| true);
                return;
            };
            out.offer(&mut draft.given_name, given, "given_name", |_| true);
            if let Some(middle) = &self.middle_name {
                out.offer_opt(&mut draft.middle_name, middle, "middle_name", |_| true);
            }
            if let Some(family) = &self.family_name {
                out.offer_opt(&mut draft.family_name, family, "family_name", |_| true);
            }
            return;
        }
        if loose_eq(&typed, name) {
            return;
        }
        // Typed in another script: the Latin name on the card is the transliteration.
        let latin = quiet(validate::latin_name, name).is_some();
        if latin && quiet(validate::latin_name, &typed).is_none() {
            out.offer_opt(&mut draft.name_latin, name, "name_latin", |t| {
                loose_eq(t, name)
            });
        } else {
            out.differs.push(issue("given_name", codes::DIFFERS));
        }
    }
}
