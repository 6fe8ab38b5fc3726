//! ABHA numbers and the facility (HFR) and professional (HPR) registry ids.
//!
//! Why this file exists: these are the ids the app reads off ABHA cards and QR codes or types
//! for the camp's facility and health worker, and each ABDM API wants them in one exact shape
//! (abdm.md 1.1: the `loginId` of M1 needs the dashes, and a badly formatted number is the usual
//! cause of `ABDM-1013`). Each validator accepts the ways people write an id and returns one
//! canonical form, wrapped in a newtype so an unchecked string cannot reach the API layer.
//!
//! The ABHA number check digit (Luhn) is UNCONFIRMED as an ABDM rule, so a failure is only a
//! warning (abdm.md 1.1 recommendation). Any two-digit prefix is accepted.

use super::digits::{self, expected};
use super::{Issues, checksum, codes};

/// Digits in an ABHA number.
pub const ABHA_NUMBER_DIGITS: usize = 14;
/// Digits in an HPR (Healthcare Professional Registry) id.
pub const HPR_DIGITS: usize = 14;

string_newtype! {
    /// A 14-digit ABHA number in its display form `NN-NNNN-NNNN-NNNN`.
    ///
    /// The M1 `loginId` wants this form; M2 `link/carecontext` wants [`AbhaNumber::digits`].
    #[derive(Debug)]
    AbhaNumber, field = "abha_number", validator = abha_number
}

impl AbhaNumber {
    /// The 14 digits without hyphens (also the default ABHA address handle).
    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

string_newtype! {
    /// A Health Facility Registry id: `IN` followed by 10 upper-case letters or digits.
    #[derive(Debug)]
    HfrId, field = "hfr_id", validator = hfr_id
}

string_newtype! {
    /// A Healthcare Professional Registry id: 14 bare digits.
    #[derive(Debug)]
    HprId, field = "hpr_id", validator = hpr_id
}

/// Validates an ABHA number: 14 digits, hyphens or spaces in any grouping. Returns the
/// `NN-NNNN-NNNN-NNNN` form. Codes: `abha_number.required`, `abha_number.format`,
/// `abha_number.length`; warning `abha_number.checksum` when Luhn fails.
pub fn abha_number(issues: &mut Issues, field: &str, input: &str) -> Option<AbhaNumber> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::ABHA_NUMBER_REQUIRED);
        return None;
    }
    let Ok(d) = digits::scan(s, ABHA_NUMBER_DIGITS) else {
        issues.error(field, codes::ABHA_NUMBER_FORMAT);
        return None;
    };
    if d.count != ABHA_NUMBER_DIGITS {
        issues.error_with(
            field,
            codes::ABHA_NUMBER_LENGTH,
            &expected(ABHA_NUMBER_DIGITS),
        );
        return None;
    }
    if !checksum::luhn_check(&d.kept) {
        issues.warn(field, codes::ABHA_NUMBER_CHECKSUM);
    }
    let mut out = String::with_capacity(ABHA_NUMBER_DIGITS + 3);
    for (i, c) in d.kept.chars().enumerate() {
        if i == 2 || i == 6 || i == 10 {
            out.push('-');
        }
        out.push(c);
    }
    Some(AbhaNumber(out))
}

/// Validates an HFR facility id: `IN` + 10 ASCII letters or digits, any case. Returns it
/// upper-cased. Codes: `hfr.required`, `hfr.format`.
pub fn hfr_id(issues: &mut Issues, field: &str, input: &str) -> Option<HfrId> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::HFR_REQUIRED);
        return None;
    }
    // Length first (bytes; any non-ASCII fails the check below anyway), so a huge input is
    // never copied.
    let upper = (s.len() == 12).then(|| s.to_ascii_uppercase());
    let Some(upper) =
        upper.filter(|u| u.starts_with("IN") && u.bytes().all(|b| b.is_ascii_alphanumeric()))
    else {
        issues.error(field, codes::HFR_FORMAT);
        return None;
    };
    Some(HfrId(upper))
}

/// Validates an HPR professional id: 14 digits, hyphens or spaces allowed. Returns the 14 bare
/// digits. Codes: `hpr.required`, `hpr.format`.
pub fn hpr_id(issues: &mut Issues, field: &str, input: &str) -> Option<HprId> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::HPR_REQUIRED);
        return None;
    }
    match digits::scan(s, HPR_DIGITS) {
        Ok(d) if d.count == HPR_DIGITS => Some(HprId(d.kept.to_string())),
        _ => {
            issues.error(field, codes::HPR_FORMAT);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run<T>(f: fn(&mut Issues, &str, &str) -> Option<T>, input: &str) -> (Option<T>, Issues) {
        let mut issues = Issues::new();
        let out = f(&mut issues, "f", input);
        (out, issues)
    }

    fn error_codes(issues: &Issues) -> Vec<&str> {
        issues.errors.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn test_abha_number_published_examples_pass_cleanly() {
        for n in [
            "91-6285-4575-5116",
            "43-4221-5105-6749",
            "22-7225-4829-5255",
        ] {
            let (out, issues) = run(abha_number, n);
            assert_eq!(out.unwrap().as_str(), n);
            assert!(issues.is_empty(), "{n}: {issues:?}");
        }
    }

    #[test]
    fn test_abha_number_any_grouping_normalised() {
        for input in [
            "91628545755116",
            "9162 8545 7551 16",
            " 91 6285 4575 5116 ",
            "91-62854575-5116",
        ] {
            let (out, issues) = run(abha_number, input);
            assert_eq!(out.unwrap().as_str(), "91-6285-4575-5116", "{input:?}");
            assert!(issues.is_empty());
        }
        let (out, _) = run(abha_number, "91-6285-4575-5116");
        assert_eq!(out.unwrap().digits(), "91628545755116");
    }

    #[test]
    fn test_abha_number_bad_luhn_is_only_a_warning() {
        let (out, issues) = run(abha_number, "12-3456-7890-1234");
        assert_eq!(out.unwrap().as_str(), "12-3456-7890-1234");
        assert!(!issues.has_errors());
        let warnings: Vec<_> = issues.warnings.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(warnings, ["abha_number.checksum"]);
    }

    #[test]
    fn test_abha_number_error_codes() {
        for (input, code) in [
            ("", "abha_number.required"),
            ("91-6285-4575-511x", "abha_number.format"),
            ("91628545755116@abdm", "abha_number.format"),
            ("91-6285-4575-", "abha_number.format"),
            ("91-6285-4575-511", "abha_number.length"),
            ("91-6285-4575-51160", "abha_number.length"),
        ] {
            let (out, issues) = run(abha_number, input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(error_codes(&issues), [code], "{input:?}");
        }
    }

    #[test]
    fn test_hfr_id_normalised_upper_case() {
        let (out, issues) = run(hfr_id, " in2810014366 ");
        assert_eq!(out.unwrap().as_str(), "IN2810014366");
        assert!(issues.is_empty());
        let (out, _) = run(hfr_id, "IN34100abc60");
        assert_eq!(out.unwrap().as_str(), "IN34100ABC60");
    }

    #[test]
    fn test_hfr_id_error_codes() {
        for (input, code) in [
            ("", "hfr.required"),
            ("IN281001436", "hfr.format"),
            ("IN28100143666", "hfr.format"),
            ("US2810014366", "hfr.format"),
            ("IN28100-4366", "hfr.format"),
            ("IN281001436é", "hfr.format"),
            ("ＩＮ2810014366", "hfr.format"),
        ] {
            let (out, issues) = run(hfr_id, input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(error_codes(&issues), [code], "{input:?}");
        }
    }

    #[test]
    fn test_hpr_id_canonical_bare_digits() {
        for input in ["71234567890123", "71-2345-6789-0123", "7123 4567 8901 23"] {
            let (out, issues) = run(hpr_id, input);
            assert_eq!(out.unwrap().as_str(), "71234567890123");
            assert!(issues.is_empty());
        }
    }

    #[test]
    fn test_hpr_id_error_codes() {
        for (input, code) in [
            ("", "hpr.required"),
            ("7123456789012", "hpr.format"),
            ("712345678901234", "hpr.format"),
            ("name@hpr.abdm", "hpr.format"),
        ] {
            let (out, issues) = run(hpr_id, input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(error_codes(&issues), [code], "{input:?}");
        }
    }

    #[test]
    fn test_newtypes_serde_roundtrip() {
        let n: AbhaNumber = "43 4221 5105 6749".parse().unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"43-4221-5105-6749\"");
        assert_eq!(serde_json::from_str::<AbhaNumber>(&json).unwrap(), n);
        let h: HprId = serde_json::from_str("\"71-2345-6789-0123\"").unwrap();
        assert_eq!(h.to_string(), "71234567890123");
        assert!(serde_json::from_str::<HfrId>("\"XX\"").is_err());
    }
}
