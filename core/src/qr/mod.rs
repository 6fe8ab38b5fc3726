//! Reading QR codes a field worker scans with the tablet camera.
//!
//! Why this module exists: typing a 14-digit ABHA number and an address off a laminated card, in
//! a courtyard, is where enrolment typos come from, and a typo found at the camp means walking
//! back to the village. Scanning the beneficiary's ABHA card (or the QR the ABHA app shows)
//! pre-fills the member form instead, or finds the member the ABHA already belongs to.
//!
//! A QR code is untrusted input: anyone can print one, ABHA QR codes carry no signature
//! (abdm.md section 3, UNCONFIRMED / probably absent), and the camera also sees Aadhaar letters,
//! facility Scan and Share posters and this app's own device-enrolment codes. So every reader
//! here follows the same rules:
//! - it never panics, whatever the bytes, and refuses input above [`MAX_QR_BYTES`] before
//!   looking at it;
//! - it is lenient where the platform is (key spellings, numbers as JSON numbers, unknown keys)
//!   and reports a field that is present but unusable as a warning, so the worker still gets the
//!   rest;
//! - a scan that cannot be used at all is a [`QrError`]: a stable machine code (in [`codes`])
//!   under the field `qr`, translated by the apps like every validation code;
//! - neither errors nor warnings nor `Debug` output ever contain the scanned values (names,
//!   numbers and mobiles are personal data and errors end up in logs).
//!
//! Readers: [`abha`] for ABHA card and app QR codes; [`slip`] for the household slips the hub
//! signs and prints, and [`scan`] to open the household a slip (or its typed code) names. Shared
//! here: the errors and codes, input preparation, and `Fields`, which reads the known keys of a
//! JSON payload leniently.

pub mod abha;
pub mod scan;
pub mod slip;
mod slip_key;

pub use abha::{AbhaQrVariant, Prefill, ScannedAbha, parse_abha_qr, parse_abha_qr_bytes};
pub use scan::{HouseholdLookup, HouseholdScan, ScanError, scan_household, scan_on_device};
pub use slip::{Slip, SlipError, SlipPublicKey, SlipSigningKey, sign_slip, verify_slip};

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::text;
use crate::validate::{BirthDate, Issue, Issues, ValidationError, codes as vcodes};

/// Largest scan accepted, in bytes. An ABHA QR payload is a few hundred bytes; anything much
/// larger is another kind of code (an Aadhaar secure QR, a document) or an attack.
pub const MAX_QR_BYTES: usize = 4096;

/// The field under which whole-scan problems are reported.
pub const QR_FIELD: &str = "qr";

/// Stable machine codes of QR reading. Like [`crate::validate::codes`], an API: only add.
pub mod codes {
    /// Error: nothing but whitespace was scanned.
    pub const EMPTY: &str = "qr.empty";
    /// Error: the scan is larger than [`super::MAX_QR_BYTES`]. Param `max`.
    pub const TOO_LARGE: &str = "qr.too_large";
    /// Error: the scan starts like a JSON object but is not valid JSON.
    pub const MALFORMED: &str = "qr.malformed";
    /// Error: readable, but not an ABHA QR code (no ABHA key, not an ABHA number or address).
    pub const NOT_ABHA: &str = "qr.not_abha";
    /// Error: a facility's Scan and Share QR code (abdm.md section 4), not a person's.
    pub const FACILITY: &str = "qr.facility";
    /// Error: looks like the QR code of an Aadhaar letter, not of an ABHA card.
    pub const AADHAAR: &str = "qr.aadhaar";
    /// Error: an ABHA payload whose ABHA number and address are both missing or unusable. The
    /// error carries the identifier fields' own issues.
    pub const NO_IDENTIFIER: &str = "qr.no_identifier";
    /// Warning: the value is masked on the card (`984x1x2x6x`, `xx/9/19xx`).
    pub const MASKED: &str = "qr.masked";
    /// Warning: a JSON value of the wrong type (array, object, boolean, fraction).
    pub const FIELD_TYPE: &str = "qr.field_type";
    /// Warning: two keys for the same field disagree; the first usable one was kept.
    pub const CONFLICT: &str = "qr.conflict";
    /// Pre-fill: the worker typed something else than the card shows (nothing was changed).
    pub const DIFFERS: &str = "qr.differs";
    /// Every code above.
    pub const ALL: &[&str] = &[
        EMPTY,
        TOO_LARGE,
        MALFORMED,
        NOT_ABHA,
        FACILITY,
        AADHAAR,
        NO_IDENTIFIER,
        MASKED,
        FIELD_TYPE,
        CONFLICT,
        DIFFERS,
    ];
}

/// A scan that cannot be used. `Display` is `qr:<code>`; nothing scanned is ever included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// Nothing was scanned.
    Empty,
    /// More than `max` bytes.
    TooLarge {
        /// The limit, [`MAX_QR_BYTES`].
        max: usize,
    },
    /// Starts like JSON but does not parse.
    Malformed,
    /// Not an ABHA QR code.
    NotAbha,
    /// A facility Scan and Share code.
    Facility,
    /// An Aadhaar letter's QR code.
    Aadhaar,
    /// An ABHA payload without a usable ABHA number or address.
    NoIdentifier {
        /// Why each identifier present was unusable (e.g. `abha_number: abha_number.length`).
        issues: Vec<Issue>,
    },
}

impl QrError {
    /// The machine code, one of [`codes`].
    pub fn code(&self) -> &'static str {
        match self {
            QrError::Empty => codes::EMPTY,
            QrError::TooLarge { .. } => codes::TOO_LARGE,
            QrError::Malformed => codes::MALFORMED,
            QrError::NotAbha => codes::NOT_ABHA,
            QrError::Facility => codes::FACILITY,
            QrError::Aadhaar => codes::AADHAAR,
            QrError::NoIdentifier { .. } => codes::NO_IDENTIFIER,
        }
    }

    /// The field the error is reported under: always [`QR_FIELD`].
    pub fn field(&self) -> &'static str {
        QR_FIELD
    }

    /// The error as one issue (`qr: <code>`, with the `max` param for [`QrError::TooLarge`]).
    pub fn issue(&self) -> Issue {
        let mut params = BTreeMap::new();
        if let QrError::TooLarge { max } = self {
            params.insert("max".to_owned(), max.to_string());
        }
        Issue {
            field: QR_FIELD.to_owned(),
            code: self.code().to_owned(),
            params,
        }
    }

    /// The same shape every form error has: this error's issue first, then the identifier
    /// issues of [`QrError::NoIdentifier`].
    pub fn to_validation_error(&self) -> ValidationError {
        let mut errors = vec![self.issue()];
        if let QrError::NoIdentifier { issues } = self {
            errors.extend(issues.iter().cloned());
        }
        ValidationError {
            errors,
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{QR_FIELD}:{}", self.code())
    }
}

impl From<QrError> for ValidationError {
    fn from(err: QrError) -> Self {
        err.to_validation_error()
    }
}

/// Refuses a scan of more than [`MAX_QR_BYTES`] bytes.
fn check_size(len: usize) -> Result<(), QrError> {
    if len > MAX_QR_BYTES {
        return Err(QrError::TooLarge { max: MAX_QR_BYTES });
    }
    Ok(())
}

/// Removes a byte-order mark and surrounding whitespace (scanner apps add both), and refuses
/// an empty scan. The size was checked before.
fn prepare(input: &str) -> Result<&str, QrError> {
    let s = input
        .trim_start_matches(|c: char| c == '\u{FEFF}' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '\u{0}' || c.is_whitespace());
    if s.is_empty() {
        return Err(QrError::Empty);
    }
    Ok(s)
}

/// Turns raw QR bytes into text: UTF-8 when valid, else ISO-8859-1, the default of QR byte
/// mode (every byte is then one character, so nothing is lost or replaced).
fn decode_bytes(input: &[u8]) -> Result<String, QrError> {
    check_size(input.len())?;
    Ok(match std::str::from_utf8(input) {
        Ok(s) => s.to_owned(),
        Err(_) => input.iter().map(|&b| char::from(b)).collect(),
    })
}

/// Refuses the other codes a worker's camera meets, whatever the payload reader: a facility's
/// Scan and Share URL (abdm.md section 4) and an Aadhaar letter's QR (the old XML one, or the
/// secure QR, a long decimal number).
fn refuse_other_codes(s: &str) -> Result<(), QrError> {
    let lower = s.to_ascii_lowercase();
    if lower.contains("share-profile") || lower.contains("hip-id=") {
        return Err(QrError::Facility);
    }
    let long_number = s.len() > 100 && s.bytes().all(|b| b.is_ascii_digit());
    if long_number || lower.contains("printletterbarcodedata") {
        return Err(QrError::Aadhaar);
    }
    Ok(())
}

/// A state or district as a QR code gives it: an LGD code, a name, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScannedRegion {
    /// The LGD code, when a key held digits (`statelgd: "29"`).
    pub lgd_code: Option<u32>,
    /// The name, when a key held text (`"state name": "Karnataka"`, or a name in `statelgd`).
    pub name: Option<String>,
}

/// A validator of one value: pushes issues under `field`, returns the value or `None`.
type Check<T> = fn(&mut Issues, &str, &str) -> Option<T>;

/// Runs `check` on a scratch collector: the value if it passed without error.
fn quiet<T>(check: Check<T>, s: &str) -> Option<T> {
    let mut scratch = Issues::new();
    check(&mut scratch, "f", s).filter(|_| !scratch.has_errors())
}

fn issue(field: &str, code: &str) -> Issue {
    Issue {
        field: field.to_owned(),
        code: code.to_owned(),
        params: BTreeMap::new(),
    }
}

/// The rank and meaning of a raw JSON key among `keys` (each meaning with its spellings,
/// normalised: lower case, no spaces, `_` or `-`), so `"state name"` = `stateName`.
fn known_key<K: Copy>(raw: &str, keys: &[(K, &[&str])]) -> Option<(usize, K)> {
    if raw.len() > 32 {
        return None;
    }
    let norm: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    let all = keys
        .iter()
        .flat_map(|(k, names)| names.iter().map(move |n| (*k, *n)));
    let mut ranked = all.enumerate();
    ranked.find_map(|(rank, (key, name))| (name == norm).then_some((rank, key)))
}

/// Values that stand for "nothing here" (`distlgd: "-"` on cards).
fn is_placeholder(s: &str) -> bool {
    let mut absent = "- -- \u{2013} \u{2014} na n/a null none nil".split(' ');
    s.is_empty() || absent.any(|p| s.eq_ignore_ascii_case(p))
}

/// Digits partly replaced by `x` or `*`, as cards print a masked mobile or birth date.
fn looks_masked(s: &str) -> bool {
    let masked_char = |c: char| c.is_ascii_digit() || "xX*/-. ".contains(c);
    s.contains(['x', 'X', '*']) && s.chars().all(masked_char)
}

/// An unsigned number of 1 to `max_len` ASCII digits.
fn small_number(s: &str, max_len: usize) -> Option<u32> {
    let ok = (1..=max_len).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

/// A birth date written day first, as ABDM and Indian documents write it: `d/m/yyyy`,
/// `d-m-yyyy`, `d.m.yyyy` (one or two digits for day and month), `yyyy-m-d` when the year
/// comes first, or `yyyy`. Never month first. Errors: `qr.masked`, `dob.format`, `dob.invalid`.
fn parse_birth_date(s: &str) -> Result<BirthDate, &'static str> {
    if looks_masked(s) {
        return Err(codes::MASKED);
    }
    let mut parts = s.split(['/', '-', '.']).map(str::trim);
    let (y, m, d) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), None, None, None) if y.len() == 4 => {
            return BirthDate::parse_canonical(y).ok_or(vcodes::DOB_FORMAT);
        }
        (Some(a), Some(b), Some(c), None) if a.len() == 4 => (a, b, c),
        (Some(a), Some(b), Some(c), None) if c.len() == 4 => (c, b, a),
        _ => return Err(vcodes::DOB_FORMAT),
    };
    let parsed = (small_number(y, 4), small_number(m, 2), small_number(d, 2));
    let (Some(y), Some(m), Some(d)) = parsed else {
        return Err(vcodes::DOB_FORMAT);
    };
    BirthDate::parse_canonical(&format!("{y:04}-{m:02}-{d:02}")).ok_or(vcodes::DOB_INVALID)
}

/// The known entries of one JSON object, in a fixed priority order, and the warnings about
/// them so far. Each reader of a JSON payload declares its keys and asks for fields.
struct Fields<'a, K> {
    entries: Vec<(usize, &'a str, K, &'a Value)>,
    warnings: Vec<Issue>,
}

impl<'a, K: Copy + PartialEq> Fields<'a, K> {
    fn new(map: &'a Map<String, Value>, keys: &[(K, &[&str])]) -> Self {
        let mut entries: Vec<_> = map
            .iter()
            .filter_map(|(k, v)| known_key(k, keys).map(|(rank, key)| (rank, k.as_str(), key, v)))
            .collect();
        // Independent of the map's own order (serde_json may or may not preserve it).
        entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        Fields {
            entries,
            warnings: Vec::new(),
        }
    }

    fn has(&self, keys: &[K]) -> bool {
        self.entries.iter().any(|e| keys.contains(&e.2))
    }

    /// The present values under `keys` as trimmed text (JSON integers too; `null` and
    /// placeholders are absent); any other JSON type is a `qr.field_type` warning.
    fn texts(&mut self, keys: &[K], field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for &(_, _, key, value) in &self.entries {
            if !keys.contains(&key) {
                continue;
            }
            match value {
                Value::Null => {}
                Value::String(s) if is_placeholder(s.trim()) => {}
                Value::String(s) => out.push(s.trim().to_owned()),
                Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => out.push(u.to_string()),
                    (None, Some(i)) => out.push(i.to_string()),
                    _ => self.warnings.push(issue(field, codes::FIELD_TYPE)),
                },
                _ => self.warnings.push(issue(field, codes::FIELD_TYPE)),
            }
        }
        out
    }

    /// The first candidate `check` accepts, with its warnings. The rejections' issues become
    /// warnings only when nothing was accepted; a later accepted value that differs is a
    /// `qr.conflict` warning.
    fn pick<T: PartialEq>(
        &mut self,
        candidates: &[String],
        field: &str,
        check: Check<T>,
    ) -> Option<T> {
        let mut chosen: Option<T> = None;
        let mut rejected = Vec::new();
        let mut conflict = false;
        for candidate in candidates {
            let mut scratch = Issues::new();
            let value = check(&mut scratch, field, candidate).filter(|_| !scratch.has_errors());
            match (value, &chosen) {
                (Some(v), None) => {
                    chosen = Some(v);
                    self.warnings.extend(scratch.warnings);
                }
                (Some(v), Some(first)) => conflict |= v != *first,
                (None, _) => rejected.extend(scratch.errors.into_iter().chain(scratch.warnings)),
            }
        }
        if chosen.is_none() {
            rejected.dedup();
            self.warnings.extend(rejected);
        }
        if conflict {
            self.warnings.push(issue(field, codes::CONFLICT));
        }
        chosen
    }

    /// [`Fields::texts`] then [`Fields::pick`].
    fn field<T: PartialEq>(&mut self, keys: &[K], field: &str, check: Check<T>) -> Option<T> {
        let candidates = self.texts(keys, field);
        self.pick(&candidates, field, check)
    }

    /// A birth date from separate year, month and day keys (profile style, abdm.md 2.9 and 4):
    /// the full date when all three are usable, else the year only.
    fn birth_parts(&mut self, [year, month, day]: [K; 3], field: &str) -> Option<BirthDate> {
        let y = self.field(&[year], field, |i, f, s| {
            let y = small_number(s, 4).filter(|_| s.len() == 4);
            if y.is_none() {
                i.error(f, vcodes::DOB_FORMAT);
            }
            y
        })?;
        let part = |i: &mut Issues, f: &str, s: &str| {
            let v = small_number(s, 2);
            if v.is_none() {
                i.error(f, vcodes::DOB_FORMAT);
            }
            v
        };
        let m = self.field(&[month], field, part);
        let d = self.field(&[day], field, part);
        let year_only = BirthDate::parse_canonical(&format!("{y:04}"));
        let Some((m, d)) = m.zip(d) else {
            return year_only;
        };
        let full = BirthDate::parse_canonical(&format!("{y:04}-{m:02}-{d:02}"));
        if full.is_none() {
            self.warnings.push(issue(field, vcodes::DOB_INVALID));
        }
        full.or(year_only)
    }

    /// A state or district: digits are an LGD code (1 to `max`), text is a name, from either
    /// key (LGD codes and names get swapped in the wild, abdm.md 3); the code key is preferred
    /// for the code and the name key for the name. Code 0 is read as absent.
    fn region(&mut self, [code_key, name_key]: [K; 2], field: &str, max: u32) -> ScannedRegion {
        let from_code = self.texts(&[code_key], field);
        let from_name = self.texts(&[name_key], field);
        let too_big = if max < 100 { "lgd.state" } else { "lgd.code" };
        let mut rejected = Vec::new();
        let mut classify = |t: &String| -> Option<Result<u32, String>> {
            if t.bytes().all(|b| b.is_ascii_digit()) {
                return match t.parse::<u32>() {
                    Ok(0) => None,
                    Ok(code) if code <= max => Some(Ok(code)),
                    _ => {
                        rejected.push(issue(field, too_big));
                        None
                    }
                };
            }
            let mut scratch = Issues::new();
            let name = text::place_name(&mut scratch, field, t);
            rejected.extend(scratch.errors);
            name.map(Err)
        };
        let from_code: Vec<_> = from_code.iter().filter_map(&mut classify).collect();
        let from_name: Vec<_> = from_name.iter().filter_map(&mut classify).collect();
        let code = from_code
            .iter()
            .chain(&from_name)
            .find_map(|p| p.clone().ok());
        let name = from_name
            .iter()
            .chain(&from_code)
            .find_map(|p| p.clone().err());
        let out = ScannedRegion {
            lgd_code: code,
            name,
        };
        if out.lgd_code.is_none() && out.name.is_none() {
            self.warnings.extend(rejected);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_prepare_strips_bom_and_whitespace() {
        assert_eq!(prepare("\u{FEFF} {\"a\":1}\r\n\0"), Ok("{\"a\":1}"));
        for empty in [" \n\t", "\u{FEFF}", "\0"] {
            assert_eq!(prepare(empty), Err(QrError::Empty));
        }
        let too_large = Err(QrError::TooLarge { max: MAX_QR_BYTES });
        assert_eq!(check_size(MAX_QR_BYTES + 1), too_large);
        assert_eq!(check_size(MAX_QR_BYTES), Ok(()));
    }

    #[test]
    fn test_decode_bytes_falls_back_to_latin1() {
        let utf8 = decode_bytes("Sītā".as_bytes());
        assert_eq!(utf8.ok().as_deref(), Some("Sītā"));
        assert_eq!(decode_bytes(b"Jos\xe9").ok().as_deref(), Some("José"));
        let big = decode_bytes(&[b'1'; MAX_QR_BYTES + 1]);
        assert_eq!(big, Err(QrError::TooLarge { max: MAX_QR_BYTES }));
    }

    #[test]
    fn test_error_codes_and_issue_shape() {
        let err = QrError::TooLarge { max: MAX_QR_BYTES };
        assert_eq!(err.to_string(), "qr:qr.too_large");
        assert_eq!(err.field(), "qr");
        assert_eq!(err.issue().params["max"], "4096");
        for code in codes::ALL {
            assert!(code.starts_with("qr."), "{code}");
        }
    }
}
