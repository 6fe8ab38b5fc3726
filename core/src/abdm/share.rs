//! Scan and Share (abdm.md §4): what a person's PHR app pushes when they scan the camp's counter
//! QR code, read leniently, and the member form it pre-fills.
//!
//! Why it is in core: the hub reads the gateway's callback with it, and tablets turn the profile
//! they fetch from the hub into a member form with it, so both sides agree on one reading of a
//! wire format that sources describe differently. Observed variations are accepted rather than
//! refused: `abhaNumber` may be null, birth parts are strings (or numbers), the key is `pincode`
//! in lower case (or `pinCode`), v1 names (`healthId`, `healthIdNumber`) may appear, and the
//! mobile may sit in `identifiers[]`. Keys are matched ignoring case and `_`/`-`.
//!
//! Everything here is pure: no I/O, no panics on any JSON (a proptest checks that). Errors name
//! the field and a code, never a value: the profile is personal data.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{HouseholdDraft, MemberDraft};

/// The only intent this hub serves.
pub const INTENT: &str = "PROFILE_SHARE";

/// Longest text kept from any field (a profile is small; a huge value is not a name).
const MAX_TEXT: usize = 200;

/// Why a share or its counter could not be read. Names the field, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// A required field is absent or empty.
    #[error("{field} is missing")]
    Missing {
        /// Where (`profile.patient.abhaAddress`).
        field: &'static str,
    },
    /// A field is present but unusable.
    #[error("{field} is not valid")]
    Invalid {
        /// Where.
        field: &'static str,
    },
}

impl ShareError {
    /// The field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Missing { field } | Self::Invalid { field } => field,
        }
    }
    /// The machine code: `share.missing` or `share.invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "share.missing",
            Self::Invalid { .. } => "share.invalid",
        }
    }
}

/// A counter id as printed in a facility QR code: 1 to 20 ASCII letters or digits (abdm.md §4).
pub fn counter_id(input: &str) -> Result<&str, ShareError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ShareError::Missing {
            field: "counter-id",
        });
    }
    if s.len() > 20 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ShareError::Invalid {
            field: "counter-id",
        });
    }
    Ok(s)
}

/// The URL a counter's QR code carries: `{base}?hip-id=..&counter-id=..`.
pub fn counter_url(base: &str, hip_id: &str, counter: &str) -> Result<String, ShareError> {
    let counter = counter_id(counter)?;
    let mut url = url::Url::parse(base.trim()).map_err(|_| ShareError::Invalid {
        field: "share_base",
    })?;
    url.query_pairs_mut()
        .append_pair("hip-id", hip_id.trim())
        .append_pair("counter-id", counter);
    Ok(url.into())
}

/// A person's address as shared.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedAddress {
    /// Address line.
    pub line: Option<String>,
    /// District name.
    pub district: Option<String>,
    /// State name.
    pub state: Option<String>,
    /// PIN code as given.
    pub pincode: Option<String>,
}

impl fmt::Debug for SharedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedAddress")
            .field("pincode", &self.pincode.is_some())
            .finish_non_exhaustive()
    }
}

/// The patient of a share, normalised (the shape the hub stores and tablets fetch).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedPatient {
    /// ABHA address (`name@sbx`), always present.
    pub abha_address: String,
    /// ABHA number, when the person has one.
    pub abha_number: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Given name, when shared separately.
    pub first_name: Option<String>,
    /// Middle name, when shared separately.
    pub middle_name: Option<String>,
    /// Family name, when shared separately.
    pub last_name: Option<String>,
    /// Gender as shared.
    pub gender: Option<String>,
    /// Day of birth.
    pub day_of_birth: Option<u32>,
    /// Month of birth.
    pub month_of_birth: Option<u32>,
    /// Year of birth.
    pub year_of_birth: Option<u32>,
    /// Address.
    pub address: SharedAddress,
    /// Phone number as shared.
    pub phone: Option<String>,
}

impl fmt::Debug for SharedPatient {
    /// A profile is all personal data: show only which parts are present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedPatient")
            .field("abha_number", &self.abha_number.is_some())
            .field("name", &(self.name.is_some() || self.first_name.is_some()))
            .field("year_of_birth", &self.year_of_birth.is_some())
            .field("phone", &self.phone.is_some())
            .finish_non_exhaustive()
    }
}

/// A share callback's body, read.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareRequest {
    /// `intent` (`PROFILE_SHARE`), if sent.
    pub intent: Option<String>,
    /// `metaData.hipId`, if sent.
    pub hip_id: Option<String>,
    /// `metaData.context`: the counter id of the QR code scanned, if sent.
    pub counter: Option<String>,
    /// The patient.
    pub patient: SharedPatient,
}

impl fmt::Debug for ShareRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareRequest")
            .field("intent", &self.intent)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// A member form pre-filled from a share, for the worker to complete (relation, village) and
/// save as an ordinary capture.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberPrefill {
    /// The member's fields.
    pub member: MemberDraft,
    /// Address line and PIN code for a new household (the village is the worker's choice).
    pub household: HouseholdDraft,
    /// District name as shared (a hint for choosing the village).
    pub district: Option<String>,
    /// State name as shared.
    pub state: Option<String>,
}

impl fmt::Debug for MemberPrefill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberPrefill")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

/// A key with case, `_`, `-` and spaces ignored: `pinCode`, `pincode`, `PIN_CODE` are one key.
fn folded(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The first of `keys` present in the object `v` (null counts as absent).
fn get<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let obj = v.as_object()?;
    keys.iter().find_map(|k| {
        let want = folded(k);
        obj.iter()
            .find(|(key, val)| !val.is_null() && folded(key) == want)
            .map(|(_, val)| val)
    })
}

/// Text of a string or number field: trimmed, non-empty, at most [`MAX_TEXT`] characters.
fn text(v: &Value, keys: &[&str]) -> Option<String> {
    let s = match get(v, keys)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let s: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect();
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A small whole number given as a number or as digits in a string (`"6"`, `6`, `" 06 "`).
fn number(v: &Value, keys: &[&str]) -> Option<u32> {
    match get(v, keys)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        }
        _ => None,
    }
}

/// The value of the first `identifiers[]` entry whose type mentions one of `kinds`.
fn identifier(v: &Value, kinds: &[&str]) -> Option<String> {
    get(v, &["identifiers"])?.as_array()?.iter().find_map(|id| {
        let kind = text(id, &["type", "system"])?.to_ascii_uppercase();
        kinds
            .iter()
            .any(|k| kind.contains(k))
            .then(|| text(id, &["value"]))
            .flatten()
    })
}

/// An ABHA address as shared: no spaces or control characters, at most one `@`, 1-100 chars.
fn abha_address(s: &str) -> bool {
    s.chars().count() <= 100
        && s.matches('@').count() <= 1
        && !s.starts_with('@')
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// Reads a share's patient object.
pub fn read_patient(v: &Value) -> Result<SharedPatient, ShareError> {
    const FIELD: &str = "profile.patient.abhaAddress";
    if !v.is_object() {
        return Err(ShareError::Missing {
            field: "profile.patient",
        });
    }
    let address = text(v, &["abhaAddress", "healthId", "phrAddress"])
        .ok_or(ShareError::Missing { field: FIELD })?;
    if !abha_address(&address) {
        return Err(ShareError::Invalid { field: FIELD });
    }
    let home = get(v, &["address"]).unwrap_or(&Value::Null);
    Ok(SharedPatient {
        abha_address: address,
        abha_number: text(v, &["abhaNumber", "healthIdNumber"])
            .or_else(|| identifier(v, &["ABHA_NUMBER", "HEALTH_ID_NUMBER"])),
        name: text(v, &["name", "fullName"]),
        first_name: text(v, &["firstName"]),
        middle_name: text(v, &["middleName"]),
        last_name: text(v, &["lastName"]),
        gender: text(v, &["gender"]),
        day_of_birth: number(v, &["dayOfBirth"]),
        month_of_birth: number(v, &["monthOfBirth"]),
        year_of_birth: number(v, &["yearOfBirth"]),
        address: SharedAddress {
            // Some senders flatten the address into a string.
            line: text(home, &["line", "address"]).or_else(|| text(v, &["address"])),
            district: text(home, &["district", "districtName"]),
            state: text(home, &["state", "stateName"]),
            pincode: text(home, &["pincode", "pin"]).or_else(|| text(v, &["pincode"])),
        },
        phone: text(v, &["phoneNumber", "mobile", "phone"])
            .or_else(|| identifier(v, &["MOBILE", "PHONE"])),
    })
}

/// Reads a share callback's body (`intent`, `metaData`, `profile.patient`).
pub fn read_share(body: &Value) -> Result<ShareRequest, ShareError> {
    if !body.is_object() {
        return Err(ShareError::Invalid { field: "body" });
    }
    let meta = get(body, &["metaData", "meta"]).unwrap_or(&Value::Null);
    let profile = get(body, &["profile"]).ok_or(ShareError::Missing { field: "profile" })?;
    let patient = get(profile, &["patient"]).ok_or(ShareError::Missing {
        field: "profile.patient",
    })?;
    Ok(ShareRequest {
        intent: text(body, &["intent"]),
        hip_id: text(meta, &["hipId"]),
        counter: text(meta, &["context", "counterId", "hipCode"]),
        patient: read_patient(patient)?,
    })
}

/// Pre-fills a member form from shared JSON: a whole callback body, `{profile:{patient}}`,
/// `{patient}` or the patient object itself.
pub fn prefill_from_json(v: &Value) -> Result<MemberPrefill, ShareError> {
    let mut p = v;
    for key in ["profile", "patient"] {
        if let Some(inner) = get(p, &[key]).filter(|x| x.is_object()) {
            p = inner;
        }
    }
    Ok(read_patient(p)?.prefill())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A 10-digit Indian mobile from what was shared (`+91 98765 43210`, `098765...`), if it is one.
fn mobile(s: &str) -> Option<String> {
    let d = digits(s);
    let ten = match d.len() {
        10 => d.as_str(),
        11 if d.starts_with('0') => &d[1..],
        12 if d.starts_with("91") => &d[2..],
        _ => return None,
    };
    Some(ten.to_string())
}

/// ABDM's gender codes from what was shared (`M`, `female`, `T`...); empty when unknown.
fn gender(s: &str) -> String {
    let s = s.trim().to_ascii_lowercase();
    match s.as_str() {
        "m" | "male" => "M",
        "f" | "female" => "F",
        "o" | "t" | "other" | "others" | "transgender" => "O",
        _ => "",
    }
    .to_string()
}

/// Splits a full name: first word given, last word family, the rest middle.
fn split_name(full: &str) -> (String, Option<String>, Option<String>) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => (String::new(), None, None),
        [one] => ((*one).to_string(), None, None),
        [first, middle @ .., last] => (
            (*first).to_string(),
            (!middle.is_empty()).then(|| middle.join(" ")),
            Some((*last).to_string()),
        ),
    }
}

impl SharedPatient {
    /// `YYYY-MM-DD` when the three parts make a real date, `YYYY` with only a plausible year,
    /// else empty (the worker asks).
    pub fn birth(&self) -> String {
        let Some(year) = self.year_of_birth.filter(|y| (1000..=9999).contains(y)) else {
            return String::new();
        };
        let date = self
            .month_of_birth
            .and_then(|m| u8::try_from(m).ok())
            .and_then(|m| time::Month::try_from(m).ok())
            .zip(self.day_of_birth.and_then(|d| u8::try_from(d).ok()))
            .and_then(|(m, d)| time::Date::from_calendar_date(year as i32, m, d).ok());
        match date {
            Some(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            None => format!("{year:04}"),
        }
    }

    /// The member form this profile pre-fills. The relation is left empty for the worker.
    pub fn prefill(&self) -> MemberPrefill {
        let (given, middle, family) = if self.first_name.is_some() || self.last_name.is_some() {
            (
                self.first_name.clone().unwrap_or_default(),
                self.middle_name.clone(),
                self.last_name.clone(),
            )
        } else {
            split_name(self.name.as_deref().unwrap_or_default())
        };
        let abha_number = self.abha_number.as_deref().map(|n| {
            let d = digits(n);
            if d.len() == 14 {
                format!("{}-{}-{}-{}", &d[..2], &d[2..6], &d[6..10], &d[10..])
            } else {
                n.to_string()
            }
        });
        MemberPrefill {
            member: MemberDraft {
                given_name: given,
                middle_name: middle,
                family_name: family,
                gender: self.gender.as_deref().map(gender).unwrap_or_default(),
                birth_date: self.birth(),
                mobile: self.phone.as_deref().and_then(mobile),
                abha_number,
                abha_address: Some(self.abha_address.clone()),
                ..MemberDraft::default()
            },
            household: HouseholdDraft {
                address: self.address.line.clone().unwrap_or_default(),
                pincode: self.address.pincode.clone(),
                ..HouseholdDraft::default()
            },
            district: self.address.district.clone(),
            state: self.address.state.clone(),
        }
    }
}

#[cfg(test)]
#[path = "share_tests.rs"]
mod tests;
