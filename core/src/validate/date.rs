//! Date or year of birth.
//!
//! Why this file exists: demographic authentication accepts either the full date of birth or
//! only the year, exactly as printed on the Aadhaar card (abdm.md 0.1), and many older
//! beneficiaries' cards carry only a year. [`BirthDate`] keeps that distinction instead of
//! inventing a 1 January. Dates are plain calendar dates (no time zone), and "today" is passed
//! in by the caller so validation stays pure and testable.
//!
//! Accepted input is the canonical form only, `YYYY-MM-DD` or `YYYY`: the UI uses a date
//! picker, and guessing between `DD/MM` and `MM/DD` is how birthdays get swapped.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::{Issues, ValidationError, codes};

/// Oldest accepted age, in years.
pub const MAX_AGE_YEARS: i32 = 120;

/// A date of birth, or only the year when that is all the card shows.
///
/// Serde: the string `"YYYY-MM-DD"` or `"YYYY"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BirthDate {
    /// The full date.
    Full(Date),
    /// The year only.
    YearOnly(i32),
}

impl BirthDate {
    /// Parses the canonical form (`YYYY-MM-DD` or `YYYY`, nothing around it) without checking
    /// it against today. `None` if malformed or not a real date.
    pub fn parse_canonical(s: &str) -> Option<BirthDate> {
        parse(s).ok()
    }

    /// The year of birth.
    pub fn year(&self) -> i32 {
        match self {
            BirthDate::Full(d) => d.year(),
            BirthDate::YearOnly(y) => *y,
        }
    }

    /// Age in completed years on `today`. For a year only, the plain difference of years.
    pub fn age_on(&self, today: Date) -> i32 {
        match self {
            BirthDate::Full(d) => {
                let years = today.year() - d.year();
                let had_birthday =
                    (u8::from(today.month()), today.day()) >= (u8::from(d.month()), d.day());
                if had_birthday { years } else { years - 1 }
            }
            BirthDate::YearOnly(y) => today.year() - y,
        }
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(d) => {
                write!(
                    f,
                    "{:04}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                )
            }
            BirthDate::YearOnly(y) => write!(f, "{y:04}"),
        }
    }
}

impl From<BirthDate> for String {
    fn from(value: BirthDate) -> String {
        value.to_string()
    }
}

impl TryFrom<String> for BirthDate {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        parse(&value).map_err(|code| {
            let mut issues = Issues::new();
            issues.error("dob", code);
            ValidationError {
                errors: issues.errors,
                warnings: issues.warnings,
            }
        })
    }
}

/// A run of exactly `n` ASCII digits as a number.
fn number(s: &str, n: usize) -> Option<u32> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses the canonical form; the error is `dob.format` or `dob.invalid`.
fn parse(s: &str) -> Result<BirthDate, &'static str> {
    if let Some(year) = number(s, 4) {
        return i32::try_from(year)
            .map(BirthDate::YearOnly)
            .map_err(|_| codes::DOB_FORMAT);
    }
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(codes::DOB_FORMAT);
    };
    let (Some(y), Some(m), Some(d)) = (number(y, 4), number(m, 2), number(d, 2)) else {
        return Err(codes::DOB_FORMAT);
    };
    let year = i32::try_from(y).map_err(|_| codes::DOB_FORMAT)?;
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(codes::DOB_INVALID)?;
    let day = u8::try_from(d).map_err(|_| codes::DOB_INVALID)?;
    Date::from_calendar_date(year, month, day)
        .map(BirthDate::Full)
        .map_err(|_| codes::DOB_INVALID)
}

/// Validates a date (`YYYY-MM-DD`) or year (`YYYY`) of birth against `today`.
///
/// Codes: `dob.required`, `dob.format`, `dob.invalid` (no such day), `dob.future`,
/// `dob.too_old` (age above 120; param `max_age`).
pub fn birth_date(issues: &mut Issues, field: &str, input: &str, today: Date) -> Option<BirthDate> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::DOB_REQUIRED);
        return None;
    }
    let dob = match parse(s) {
        Ok(dob) => dob,
        Err(code) => {
            issues.error(field, code);
            return None;
        }
    };
    let future = match dob {
        BirthDate::Full(d) => d > today,
        BirthDate::YearOnly(y) => y > today.year(),
    };
    if future {
        issues.error(field, codes::DOB_FUTURE);
        return None;
    }
    if dob.age_on(today) > MAX_AGE_YEARS {
        issues.error_with(
            field,
            codes::DOB_TOO_OLD,
            &[("max_age", MAX_AGE_YEARS.to_string())],
        );
        return None;
    }
    Some(dob)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 15);

    fn check(input: &str) -> (Option<BirthDate>, Vec<String>) {
        let mut issues = Issues::new();
        let out = birth_date(&mut issues, "dob", input, TODAY);
        (out, issues.errors.iter().map(|i| i.code.clone()).collect())
    }

    #[test]
    fn test_dob_valid_full_and_year() {
        assert_eq!(
            check("1990-05-17").0,
            Some(BirthDate::Full(date!(1990 - 05 - 17)))
        );
        assert_eq!(check(" 1956 ").0, Some(BirthDate::YearOnly(1956)));
        assert_eq!(check("2026-11-15").0, Some(BirthDate::Full(TODAY)));
        assert_eq!(
            check("2024-02-29").0,
            Some(BirthDate::Full(date!(2024 - 02 - 29)))
        );
    }

    #[test]
    fn test_dob_error_codes() {
        for (input, code) in [
            ("", "dob.required"),
            ("17/05/1990", "dob.format"),
            ("1990-5-17", "dob.format"),
            ("90", "dob.format"),
            ("1990-05-17T00:00", "dob.format"),
            ("१९९०", "dob.format"),
            ("+990", "dob.format"),
            ("1990-05-17-", "dob.format"),
            ("2023-02-29", "dob.invalid"),
            ("2023-02-30", "dob.invalid"),
            ("1990-13-01", "dob.invalid"),
            ("1990-00-10", "dob.invalid"),
            ("1990-04-31", "dob.invalid"),
            ("1990-01-00", "dob.invalid"),
            ("2026-11-16", "dob.future"),
            ("2027", "dob.future"),
            ("1905-11-14", "dob.too_old"),
            ("1905", "dob.too_old"),
        ] {
            let (out, errs) = check(input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errs, [code], "{input:?}");
        }
    }

    #[test]
    fn test_dob_age_boundaries() {
        // Aged 120 (even the day before turning 121) is accepted; 121 is not.
        assert!(check("1906-11-15").0.is_some());
        assert!(check("1905-11-16").0.is_some());
        assert_eq!(check("1905-11-15").1, ["dob.too_old"]);
        assert!(check("1906").0.is_some());
        assert_eq!(check("1905").1, ["dob.too_old"]);
        let mut issues = Issues::new();
        birth_date(&mut issues, "dob", "1800", TODAY);
        assert_eq!(issues.errors[0].params["max_age"], "120");
    }

    #[test]
    fn test_dob_age_on() {
        let b = BirthDate::Full(date!(1990 - 05 - 17));
        assert_eq!(b.age_on(date!(2026 - 05 - 16)), 35);
        assert_eq!(b.age_on(date!(2026 - 05 - 17)), 36);
        let leap = BirthDate::Full(date!(2004 - 02 - 29));
        assert_eq!(leap.age_on(date!(2025 - 02 - 28)), 20);
        assert_eq!(leap.age_on(date!(2025 - 03 - 01)), 21);
        assert_eq!(BirthDate::YearOnly(1990).age_on(TODAY), 36);
        assert_eq!(BirthDate::YearOnly(1990).year(), 1990);
    }

    #[test]
    fn test_dob_canonical_roundtrip_and_serde() {
        for s in ["1990-05-17", "1956", "0001-01-01", "2000-12-31"] {
            let b = BirthDate::parse_canonical(s).unwrap();
            assert_eq!(b.to_string(), s);
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<BirthDate>(&json).unwrap(), b);
        }
        assert_eq!(BirthDate::parse_canonical(" 1956"), None);
        assert_eq!(BirthDate::parse_canonical("2023-02-30"), None);
        let err = serde_json::from_str::<BirthDate>("\"2023-02-30\"").unwrap_err();
        assert!(err.to_string().contains("dob:dob.invalid"), "{err}");
    }
}
