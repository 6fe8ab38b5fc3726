//! Aadhaar number and Virtual ID (VID) validation.
//!
//! Why this file exists: the Aadhaar number is the one secret the tablet holds (abdm.md 6.2: it
//! may be stored only while offline and must be discarded once the ABHA API has been called).
//! It must be right first time, because demographic authentication happens later, without
//! the person present, and a refusal means a second visit. So we check everything UIDAI's
//! numbering guarantees (abdm.md 1.3): 12 digits, first digit 2-9, Verhoeff check digit.
//!
//! Secrets: validators return [`Zeroizing`] strings and keep intermediate digits in
//! zeroizing buffers too. Only one problem is reported per number, the most fundamental one
//! (format, then length, then first digit, then checksum), and never the digits themselves.
//! Show a number with [`mask_number`] (`XXXX XXXX 1234`).

use zeroize::Zeroizing;

use super::digits::{self, expected};
use super::{Issues, checksum, codes};

/// Digits in an Aadhaar number.
pub const AADHAAR_DIGITS: usize = 12;
/// Digits in a Virtual ID.
pub const VID_DIGITS: usize = 16;

/// Validates an Aadhaar number: 12 digits, optionally grouped by spaces or hyphens
/// ("2345 6789 0123"), first digit 2-9, Verhoeff check digit. Returns the 12 bare digits.
///
/// Codes, most fundamental first: `aadhaar.required`, `aadhaar.format`, `aadhaar.length`,
/// `aadhaar.first_digit`, `aadhaar.checksum`.
pub fn aadhaar(issues: &mut Issues, field: &str, input: &str) -> Option<Zeroizing<String>> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::AADHAAR_REQUIRED);
        return None;
    }
    let Ok(d) = digits::scan(s, AADHAAR_DIGITS) else {
        issues.error(field, codes::AADHAAR_FORMAT);
        return None;
    };
    if d.count != AADHAAR_DIGITS {
        issues.error_with(field, codes::AADHAAR_LENGTH, &expected(AADHAAR_DIGITS));
        return None;
    }
    if d.kept.starts_with(['0', '1']) {
        issues.error(field, codes::AADHAAR_FIRST_DIGIT);
        return None;
    }
    if !checksum::verhoeff_check(&d.kept) {
        issues.error(field, codes::AADHAAR_CHECKSUM);
        return None;
    }
    Some(d.kept)
}

/// Validates a Virtual ID: 16 digits, optionally grouped by spaces or hyphens. Returns the
/// 16 bare digits. Codes: `vid.required`, `vid.format`, `vid.length`.
pub fn vid(issues: &mut Issues, field: &str, input: &str) -> Option<Zeroizing<String>> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::VID_REQUIRED);
        return None;
    }
    let Ok(d) = digits::scan(s, VID_DIGITS) else {
        issues.error(field, codes::VID_FORMAT);
        return None;
    };
    if d.count != VID_DIGITS {
        issues.error_with(field, codes::VID_LENGTH, &expected(VID_DIGITS));
        return None;
    }
    Some(d.kept)
}

/// Masks all but the last four digits of `number`, in groups of four:
/// `"234123412346"` gives `"XXXX XXXX 2346"`, a 16-digit VID gives `"XXXX XXXX XXXX 1234"`.
///
/// Only ASCII digits are taken from `number`; anything else is ignored. Numbers of four
/// digits or fewer are masked entirely, since showing them would show everything.
pub fn mask_number(number: &str) -> String {
    let total = number.bytes().filter(u8::is_ascii_digit).count();
    let shown_from = if total > 4 { total - 4 } else { total };
    let mut out = String::with_capacity(total + total / 4);
    for (i, c) in number.chars().filter(char::is_ascii_digit).enumerate() {
        if i > 0 && (total - i) % 4 == 0 {
            out.push(' ');
        }
        out.push(if i >= shown_from { c } else { 'X' });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A valid Aadhaar-shaped number: `base` (11 digits) plus its Verhoeff digit.
    fn valid(base: &str) -> String {
        format!("{base}{}", checksum::verhoeff_digit(base).unwrap())
    }

    fn codes_of(issues: &Issues) -> Vec<&str> {
        issues.errors.iter().map(|i| i.code.as_str()).collect()
    }

    fn check(input: &str) -> (Option<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = aadhaar(&mut issues, "aadhaar", input).map(|z| z.to_string());
        (
            out,
            codes_of(&issues).into_iter().map(String::from).collect(),
        )
    }

    #[test]
    fn test_aadhaar_valid_numbers() {
        assert_eq!(check("234123412346").0.as_deref(), Some("234123412346"));
        for base in ["23456789012", "99999999999", "50000000001", "87654321098"] {
            let n = valid(base);
            let (out, errs) = check(&n);
            assert_eq!(out.as_deref(), Some(n.as_str()), "{errs:?}");
        }
    }

    #[test]
    fn test_aadhaar_separators_removed() {
        for input in [
            "2341 2341 2346",
            "2341-2341-2346",
            "  2341 2341 2346\n",
            "2341  2341 - 2346",
        ] {
            assert_eq!(check(input).0.as_deref(), Some("234123412346"), "{input:?}");
        }
    }

    #[test]
    fn test_aadhaar_each_code() {
        assert_eq!(check("").1, ["aadhaar.required"]);
        assert_eq!(check("   ").1, ["aadhaar.required"]);
        assert_eq!(check("2341.2341.2346").1, ["aadhaar.format"]);
        assert_eq!(check("2341 2341 234O").1, ["aadhaar.format"]); // letter O
        assert_eq!(check("-234123412346").1, ["aadhaar.format"]);
        assert_eq!(check("२३४१२३४१२३४६").1, ["aadhaar.format"]);
        assert_eq!(check("23412341234").1, ["aadhaar.length"]);
        assert_eq!(check("2341234123466").1, ["aadhaar.length"]);
        assert_eq!(check(&valid("03412341234")).1, ["aadhaar.first_digit"]);
        assert_eq!(check(&valid("13412341234")).1, ["aadhaar.first_digit"]);
        assert_eq!(check("234123412345").1, ["aadhaar.checksum"]);
    }

    #[test]
    fn test_aadhaar_reports_most_fundamental_only() {
        // Wrong length and a bad character: only format.
        assert_eq!(check("0123x").1, ["aadhaar.format"]);
        // Wrong length and leading zero: only length.
        assert_eq!(check("0123").1, ["aadhaar.length"]);
        // Leading 1 and (probably) bad checksum: only first digit.
        assert_eq!(check("134123412345").1, ["aadhaar.first_digit"]);
    }

    #[test]
    fn test_aadhaar_length_param() {
        let mut issues = Issues::new();
        aadhaar(&mut issues, "aadhaar", "2341");
        assert_eq!(issues.errors[0].params["expected"], "12");
    }

    #[test]
    fn test_aadhaar_huge_input_does_not_panic() {
        let (out, errs) = check(&"2".repeat(1_000_000));
        assert!(out.is_none());
        assert_eq!(errs, ["aadhaar.length"]);
    }

    #[test]
    fn test_vid_valid_and_codes() {
        let mut issues = Issues::new();
        let v = vid(&mut issues, "vid", "9876 5432 1098 7654").unwrap();
        assert_eq!(v.as_str(), "9876543210987654");
        assert!(issues.is_empty());
        for (input, code) in [
            ("", "vid.required"),
            ("9876 5432 1098 765x", "vid.format"),
            ("9876 5432 1098 765", "vid.length"),
            ("234123412346", "vid.length"),
        ] {
            let mut issues = Issues::new();
            assert!(vid(&mut issues, "vid", input).is_none());
            assert_eq!(codes_of(&issues), [code], "{input:?}");
        }
    }

    #[test]
    fn test_mask_number() {
        assert_eq!(mask_number("234123412346"), "XXXX XXXX 2346");
        assert_eq!(mask_number("9876543210987654"), "XXXX XXXX XXXX 7654");
        assert_eq!(mask_number("2341 2341 2346"), "XXXX XXXX 2346");
        assert_eq!(mask_number("1234"), "XXXX");
        assert_eq!(mask_number(""), "");
    }
}
