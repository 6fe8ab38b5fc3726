//! Pure validation of everything a field worker types into the enrolment form.
//!
//! Why this module exists: an ASHA worker enrols a household offline and the data is sent to
//! ABDM hours later, at the camp. A typo found then means walking back to the village, so every
//! rule ABDM is known to enforce (abdm.md sections 1 and 5) is checked here, on the tablet, at
//! the moment of typing. Where the ABDM rule is UNCONFIRMED (the ABHA number check digit, legacy
//! ABHA addresses) we warn instead of refusing: the server has the last word.
//!
//! Design rules, shared by every validator in the sub-modules:
//! - No I/O, no clock: "today" is passed in, so the same input always gives the same answer.
//! - A validator takes the [`Issues`] collector, the field name to report under and the raw
//!   input. It pushes every problem it finds and returns the normalised value, or `None`.
//!   It returns `Some` exactly when it pushed no error, so a form reports all bad fields at once.
//! - Problems are structured ([`Issue`]: field + machine code + params, codes in [`codes`]).
//!   The UI translates codes; core never produces an English sentence.
//! - No issue, param or `Debug` output ever contains the input value: Aadhaar numbers, names
//!   and mobile numbers are personal data and issues end up in logs and sync reports.
//! - Nothing here panics, whatever the input (arbitrary Unicode, empty, megabytes long).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a validated string newtype: private inner `String`, `as_str`, `Display`, and serde
/// as a plain string that re-validates on the way in (`try_from = "String"`).
///
/// `Debug` is left to the caller (most derive it, [`Mobile`] redacts it).
macro_rules! string_newtype {
    ($(#[$attr:meta])* $name:ident, field = $field:literal, validator = $validator:path) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The canonical (normalised) form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::validate::ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $crate::validate::run_one(|issues| $validator(issues, $field, &value))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::validate::ValidationError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $crate::validate::run_one(|issues| $validator(issues, $field, value))
            }
        }
    };
}

mod aadhaar;
mod address;
pub mod checksum;
pub mod codes;
mod contact;
mod date;
mod digits;
mod gender;
mod geo;
mod ids;
mod name;
mod single;

pub use aadhaar::{aadhaar, mask_number, vid};
pub use address::{AbhaAddress, AddressPolicy, abha_address};
pub use contact::{Mobile, Pincode, mobile, pincode};
pub use date::{BirthDate, MAX_AGE_YEARS, birth_date};
pub use gender::{Gender, gender};
pub use geo::{GeoPoint, gps};
pub use ids::{AbhaNumber, HfrId, HprId, abha_number, hfr_id, hpr_id};
pub use name::{NAME_MAX_CHARS, latin_name, person_name};
pub use single::{Kind, SingleOutcome, validate_single};

/// One problem with one field. `code` is a stable machine code like `"aadhaar.checksum"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The form field, as named by the caller (e.g. `"aadhaar"`, `"members[2].name"`).
    pub field: String,
    /// One of the constants in [`codes`].
    pub code: String,
    /// Values the message needs (e.g. `min`, `max`); never the input itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Issue {
    fn new(field: &str, code: &str, params: &[(&str, String)]) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }
}

/// Collector of errors and warnings for a whole form.
///
/// Errors block saving; warnings are shown and may be overridden by the worker (for example an
/// ABHA number whose check digit looks wrong, since the ABDM check-digit rule is UNCONFIRMED).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Issues {
    /// Problems that make the value unusable.
    pub errors: Vec<Issue>,
    /// Problems worth a second look that do not block.
    pub warnings: Vec<Issue>,
}

impl Issues {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error without params.
    pub fn error(&mut self, field: &str, code: &str) {
        self.errors.push(Issue::new(field, code, &[]));
    }

    /// Records an error with params (e.g. `[("max", "99".into())]`).
    pub fn error_with(&mut self, field: &str, code: &str, params: &[(&str, String)]) {
        self.errors.push(Issue::new(field, code, params));
    }

    /// Records a warning without params.
    pub fn warn(&mut self, field: &str, code: &str) {
        self.warnings.push(Issue::new(field, code, &[]));
    }

    /// Records a warning with params.
    pub fn warn_with(&mut self, field: &str, code: &str, params: &[(&str, String)]) {
        self.warnings.push(Issue::new(field, code, params));
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Whether nothing at all (neither error nor warning) was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty()
    }

    /// Appends everything recorded in `other` (e.g. a household member's sub-form).
    pub fn merge(&mut self, other: Issues) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }

    /// `Ok(Checked { value, warnings })` if no errors, else `Err(ValidationError)` carrying
    /// both the errors and the warnings.
    pub fn finish<T>(self, value: T) -> Result<Checked<T>, ValidationError> {
        if self.has_errors() {
            Err(ValidationError {
                errors: self.errors,
                warnings: self.warnings,
            })
        } else {
            Ok(Checked {
                value,
                warnings: self.warnings,
            })
        }
    }
}

/// A value that passed validation, with the warnings it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<T> {
    /// The normalised value.
    pub value: T,
    /// Non-blocking problems to show the worker.
    pub warnings: Vec<Issue>,
}

/// A form (or a single value) that failed validation.
///
/// `Display` lists only `field:code` pairs, never values, so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("invalid fields: {}", field_code_pairs(.errors))]
pub struct ValidationError {
    /// At least one error when produced by [`Issues::finish`].
    pub errors: Vec<Issue>,
    /// Warnings gathered alongside.
    pub warnings: Vec<Issue>,
}

fn field_code_pairs(issues: &[Issue]) -> String {
    let mut out = String::new();
    for (i, issue) in issues.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&issue.field);
        out.push(':');
        out.push_str(&issue.code);
    }
    out
}

/// Runs one validator on a fresh collector: used by the `TryFrom`/`FromStr` impls of the
/// newtypes. Warnings are dropped (the value is usable); errors become a [`ValidationError`].
pub(crate) fn run_one<T>(
    validate: impl FnOnce(&mut Issues) -> Option<T>,
) -> Result<T, ValidationError> {
    let mut issues = Issues::new();
    let value = validate(&mut issues);
    match value {
        Some(value) if !issues.has_errors() => Ok(value),
        _ => Err(ValidationError {
            errors: issues.errors,
            warnings: issues.warnings,
        }),
    }
}

impl fmt::Display for Issue {
    /// `field:code`, the same form [`ValidationError`] uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.field, self.code)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_finish_ok_keeps_warnings() {
        let mut issues = Issues::new();
        issues.warn("abha_number", codes::ABHA_NUMBER_CHECKSUM);
        let checked = issues.finish(7).unwrap();
        assert_eq!(checked.value, 7);
        assert_eq!(checked.warnings.len(), 1);
        assert_eq!(checked.warnings[0].code, "abha_number.checksum");
    }

    #[test]
    fn test_finish_err_lists_all_fields() {
        let mut issues = Issues::new();
        aadhaar(&mut issues, "aadhaar", "234123412345");
        mobile(&mut issues, "mobile", "12345");
        issues.warn("gps", codes::GPS_OUTSIDE_INDIA);
        let err = issues.finish(()).unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert_eq!(err.warnings.len(), 1);
        assert_eq!(
            err.to_string(),
            "invalid fields: aadhaar:aadhaar.checksum, mobile:mobile.length"
        );
    }

    #[test]
    fn test_error_with_params_serialised() {
        let mut issues = Issues::new();
        issues.error_with("name", codes::NAME_TOO_LONG, &[("max", "99".to_owned())]);
        issues.error("dob", codes::DOB_FORMAT);
        let json = serde_json::to_value(&issues).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "errors": [
                    {"field": "name", "code": "name.too_long", "params": {"max": "99"}},
                    {"field": "dob", "code": "dob.format"}
                ],
                "warnings": []
            })
        );
        let back: Issue = serde_json::from_value(json["errors"][1].clone()).unwrap();
        assert!(back.params.is_empty());
    }

    #[test]
    fn test_merge_appends_in_order() {
        let mut a = Issues::new();
        a.error("x", "x.format");
        let mut b = Issues::new();
        b.error("y", "y.format");
        b.warn("z", "z.warn");
        a.merge(b);
        let fields: Vec<_> = a.errors.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["x", "y"]);
        assert_eq!(a.warnings.len(), 1);
        assert!(a.has_errors());
        assert!(!Issues::new().has_errors());
        assert!(Issues::new().is_empty());
    }

    #[test]
    fn test_error_output_never_contains_input() {
        let mut issues = Issues::new();
        let secret = "234123412345"; // Verhoeff fails
        aadhaar(&mut issues, "aadhaar", secret);
        person_name(&mut issues, "name", "Sita<script>");
        mobile(&mut issues, "mobile", "98765 4321x");
        let err = issues.finish(()).unwrap_err();
        for text in [
            format!("{err:?}"),
            err.to_string(),
            serde_json::to_string(&err).unwrap(),
        ] {
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains("Sita"), "{text}");
            assert!(!text.contains("98765"), "{text}");
        }
    }

    #[test]
    fn test_newtype_serde_revalidates() {
        let n: AbhaNumber = serde_json::from_str("\"91628545755116\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"91-6285-4575-5116\"");
        let err = serde_json::from_str::<AbhaNumber>("\"91-6285\"").unwrap_err();
        assert!(err.to_string().contains("abha_number.length"), "{err}");
        assert!(!err.to_string().contains("6285"), "{err}");
        let h: HfrId = "in2810014366".parse().unwrap();
        assert_eq!(h.as_str(), "IN2810014366");
        assert_eq!(String::from(h), "IN2810014366");
    }
}
