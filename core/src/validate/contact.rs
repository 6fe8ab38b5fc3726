//! Mobile numbers and PIN codes of the household.
//!
//! Why this file exists: the mobile number is how ABDM reaches the beneficiary (OTPs, at most
//! six ABHA numbers per mobile, abdm.md 0.4) and the API wants exactly 10 digits with no country
//! code (abdm.md 1.3). Workers type it every way people say it: `+91 98765 43210`,
//! `098765-43210`, `919876543210`. We accept those and keep the bare 10 digits.
//!
//! A mobile number is personal data: [`Mobile`]'s `Debug` shows only the last four digits, so
//! it can sit inside structs that get logged. `Display` and [`Mobile::as_str`] give the full
//! number for the API.

use std::fmt;

use super::digits::{self, expected, is_separator};
use super::{Issues, codes};

/// Digits in an Indian mobile number without country code.
pub const MOBILE_DIGITS: usize = 10;

string_newtype! {
    /// An Indian mobile number: 10 digits, the first 6-9. `Debug` is redacted.
    Mobile, field = "mobile", validator = mobile
}

impl fmt::Debug for Mobile {
    /// `Mobile(******3210)`: enough to tell two numbers apart in a log, not enough to call.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail: String = self.0.chars().skip(MOBILE_DIGITS - 4).collect();
        write!(f, "Mobile(******{tail})")
    }
}

string_newtype! {
    /// An Indian postal PIN code: 6 digits, the first 1-9.
    #[derive(Debug)]
    Pincode, field = "pincode", validator = pincode
}

/// Validates an Indian mobile number. Spaces and hyphens are removed; a leading `+91`, `91`
/// (only when 12 digits remain) or `0` (only when 11 digits remain) is dropped. The rest must
/// be 10 digits starting with 6-9 (the usual rule; UNCONFIRMED as an ABDM rule, abdm.md 1.3).
///
/// Codes: `mobile.required`, `mobile.format`, `mobile.length`, `mobile.first_digit`.
pub fn mobile(issues: &mut Issues, field: &str, input: &str) -> Option<Mobile> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::MOBILE_REQUIRED);
        return None;
    }
    let (plus, rest) = match s.strip_prefix('+') {
        Some(after_plus) => match after_plus.strip_prefix("91") {
            Some(national) => (true, national.trim_start_matches(is_separator)),
            None => {
                // A country code other than India's.
                issues.error(field, codes::MOBILE_FORMAT);
                return None;
            }
        },
        None => (false, s),
    };
    // Keep 12 digits: enough to recognise the `91` and `0` prefixes.
    let Ok(d) = digits::scan(rest, MOBILE_DIGITS + 2) else {
        issues.error(field, codes::MOBILE_FORMAT);
        return None;
    };
    let national = match (plus, d.count) {
        (_, MOBILE_DIGITS) => d.kept.get(..),
        (false, 12) if d.kept.starts_with("91") => d.kept.get(2..),
        (false, 11) if d.kept.starts_with('0') => d.kept.get(1..),
        _ => None,
    };
    let Some(national) = national else {
        issues.error_with(field, codes::MOBILE_LENGTH, &expected(MOBILE_DIGITS));
        return None;
    };
    if !national.starts_with(['6', '7', '8', '9']) {
        issues.error(field, codes::MOBILE_FIRST_DIGIT);
        return None;
    }
    Some(Mobile(national.to_owned()))
}

/// Validates a PIN code: 6 digits, first 1-9; one space after the third digit is allowed and
/// removed (`"110 001"`). Codes: `pincode.required`, `pincode.format`.
pub fn pincode(issues: &mut Issues, field: &str, input: &str) -> Option<Pincode> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::PINCODE_REQUIRED);
        return None;
    }
    let compact: Option<String> = match s.len() {
        6 => Some(s.to_owned()),
        // Byte 3 must be an ASCII space; `get` returns None rather than splitting a char.
        7 => match (s.get(..3), s.get(3..4), s.get(4..)) {
            (Some(a), Some(" "), Some(b)) => Some(format!("{a}{b}")),
            _ => None,
        },
        _ => None,
    };
    let valid = compact
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') && p.len() == 6);
    let Some(pin) = valid else {
        issues.error(field, codes::PINCODE_FORMAT);
        return None;
    };
    Some(Pincode(pin))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check_mobile(input: &str) -> (Option<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = mobile(&mut issues, "mobile", input).map(|m| m.as_str().to_owned());
        let codes = issues.errors.iter().map(|i| i.code.clone()).collect();
        (out, codes)
    }

    fn check_pin(input: &str) -> (Option<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = pincode(&mut issues, "pincode", input).map(String::from);
        let codes = issues.errors.iter().map(|i| i.code.clone()).collect();
        (out, codes)
    }

    #[test]
    fn test_mobile_accepted_spellings() {
        for input in [
            "9876543210",
            "98765 43210",
            "98765-43210",
            "+919876543210",
            "+91 98765 43210",
            "+91-98765-43210",
            "919876543210",
            "91 98765 43210",
            "09876543210",
            "098765-43210",
            " 9876543210 ",
        ] {
            assert_eq!(
                check_mobile(input).0.as_deref(),
                Some("9876543210"),
                "{input:?}"
            );
        }
        // A 10-digit number that itself starts with 91 keeps its 91.
        assert_eq!(check_mobile("9198765432").0.as_deref(), Some("9198765432"));
        assert_eq!(check_mobile("6000000000").0.as_deref(), Some("6000000000"));
    }

    #[test]
    fn test_mobile_error_codes() {
        for (input, code) in [
            ("", "mobile.required"),
            ("+1 5551234567", "mobile.format"),
            ("98765.43210", "mobile.format"),
            ("(987) 6543210", "mobile.format"),
            ("9876543210-", "mobile.format"),
            ("987654321", "mobile.length"),
            ("98765432101", "mobile.length"),
            ("929876543210", "mobile.length"),
            ("+9109876543210", "mobile.length"),
            ("+91", "mobile.length"),
            ("5876543210", "mobile.first_digit"),
            ("0123456789", "mobile.first_digit"),
            ("915876543210", "mobile.first_digit"),
            ("05876543210", "mobile.first_digit"),
        ] {
            let (out, codes) = check_mobile(input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(codes, [code], "{input:?}");
        }
    }

    #[test]
    fn test_mobile_debug_is_redacted() {
        let m: Mobile = "9876543210".parse().unwrap();
        assert_eq!(format!("{m:?}"), "Mobile(******3210)");
        assert_eq!(m.to_string(), "9876543210");
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"9876543210\"");
        let back: Mobile = serde_json::from_str("\"+91 98765 43210\"").unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn test_pincode_valid() {
        assert_eq!(check_pin("110001").0.as_deref(), Some("110001"));
        assert_eq!(check_pin(" 190 001 ").0.as_deref(), Some("190001"));
        assert_eq!(check_pin("999999").0.as_deref(), Some("999999"));
    }

    #[test]
    fn test_pincode_error_codes() {
        assert_eq!(check_pin("").1, ["pincode.required"]);
        for input in [
            "011001",
            "11000",
            "1100011",
            "11 0001",
            "1100 01",
            "110-001",
            "११०००१",
            "११० ००१",
            "abcdef",
            "110é01",
        ] {
            let (out, codes) = check_pin(input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(codes, ["pincode.format"], "{input:?}");
        }
    }
}
