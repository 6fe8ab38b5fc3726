//! ABHA addresses (`handle@suffix`, formerly "Health ID" / "PHR address").
//!
//! Why this file exists: a worker either proposes a new address for the beneficiary during
//! enrolment, or reads an existing one (QR code, card, the beneficiary's phone). The two need
//! different strictness, chosen by [`AddressPolicy`]:
//!
//! - **Create.** abdm.md 1.2 gives two length rules and the server's rule is UNCONFIRMED, so a
//!   new handle must pass the stricter union: 8-18 characters, ASCII letters and digits plus at
//!   most one `.` and one `_`, neither at either end, not starting with a digit. The only
//!   exception is the default address: the 14 digits of the ABHA number. A suffix is optional
//!   (v3 enrolment sends the handle alone), and only `@abdm`/`@sbx` may be given.
//! - **Read.** Existing addresses were made under older rules. A handle that meets only the
//!   older policy (at least 4 characters, no leading digit, no leading/trailing dot) is
//!   accepted with a `legacy_format` warning; legacy `@ndhm` is fine; an unknown but
//!   well-formed suffix is a warning, since we must not be stricter than the platform.
//!
//! All strict-rule violations of a handle are reported together (the UI shows them as a
//! checklist). The handle keeps its case; the suffix is lower-cased.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::digits::all_digits;
use super::{Issues, codes};

/// Shortest handle under the strict rule.
pub const HANDLE_MIN: usize = 8;
/// Longest handle under the strict rule.
pub const HANDLE_MAX: usize = 18;
/// Shortest handle under the older policy (abdm.md 1.2).
const LEGACY_MIN: usize = 4;
/// Sanity cap for legacy handles. Not an ABDM rule: no policy states a maximum, but a handle
/// this long is certainly a paste error.
const LEGACY_MAX: usize = 64;
/// Suffixes a new address may carry.
const CREATE_SUFFIXES: [&str; 2] = ["abdm", "sbx"];
/// Suffixes known when reading (`ndhm` is the pre-2023 production suffix).
const KNOWN_SUFFIXES: [&str; 3] = ["abdm", "sbx", "ndhm"];

/// How strict [`abha_address`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressPolicy {
    /// Proposing a new address: the strict rule, suffix `abdm`/`sbx` or none.
    Create,
    /// Reading an existing address: legacy handles and unknown suffixes are warnings.
    Read,
}

/// A validated ABHA address. `Display` gives `handle@suffix`, or `handle` without a suffix.
///
/// Serde uses the display string; deserialising re-validates with [`AddressPolicy::Read`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AbhaAddress {
    handle: String,
    suffix: Option<String>,
}

impl AbhaAddress {
    /// The part before `@`, case preserved.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// The part after `@`, lower-case, if one was given.
    pub fn suffix(&self) -> Option<&str> {
        self.suffix.as_deref()
    }
}

impl fmt::Display for AbhaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.suffix {
            Some(suffix) => write!(f, "{}@{}", self.handle, suffix),
            None => f.write_str(&self.handle),
        }
    }
}

impl From<AbhaAddress> for String {
    fn from(value: AbhaAddress) -> String {
        value.to_string()
    }
}

impl TryFrom<String> for AbhaAddress {
    type Error = super::ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        super::run_one(|issues| abha_address(issues, "abha_address", &value, AddressPolicy::Read))
    }
}

/// Validates an ABHA address `handle` or `handle@suffix` under `policy` (see the module doc).
///
/// Codes: `abha_address.required`, `.length` (params `min`, `max`), `.chars`,
/// `.special_count`, `.special_position`, `.leading_digit`, `.suffix`; warnings
/// `.suffix_unknown` and `.legacy_format` (Read only).
pub fn abha_address(
    issues: &mut Issues,
    field: &str,
    input: &str,
    policy: AddressPolicy,
) -> Option<AbhaAddress> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::ABHA_ADDRESS_REQUIRED);
        return None;
    }
    let (handle, suffix) = match s.split_once('@') {
        Some((handle, suffix)) => (handle, Some(suffix)),
        None => (s, None),
    };
    let mut ok = true;

    let suffix = match suffix {
        None => None,
        Some(raw) => {
            let lower = raw.to_ascii_lowercase();
            let well_formed = !lower.is_empty()
                && lower.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            let accepted = match policy {
                AddressPolicy::Create => CREATE_SUFFIXES.contains(&lower.as_str()),
                AddressPolicy::Read if KNOWN_SUFFIXES.contains(&lower.as_str()) => true,
                AddressPolicy::Read if well_formed => {
                    issues.warn(field, codes::ABHA_ADDRESS_SUFFIX_UNKNOWN);
                    true
                }
                AddressPolicy::Read => false,
            };
            if !accepted {
                issues.error(field, codes::ABHA_ADDRESS_SUFFIX);
                ok = false;
            }
            Some(lower)
        }
    };

    let violations = strict_violations(handle);
    if !violations.is_empty() {
        if policy == AddressPolicy::Read && meets_legacy_policy(handle) {
            issues.warn(field, codes::ABHA_ADDRESS_LEGACY_FORMAT);
        } else {
            for code in violations {
                if code == codes::ABHA_ADDRESS_LENGTH {
                    issues.error_with(
                        field,
                        code,
                        &[
                            ("min", HANDLE_MIN.to_string()),
                            ("max", HANDLE_MAX.to_string()),
                        ],
                    );
                } else {
                    issues.error(field, code);
                }
            }
            ok = false;
        }
    }

    ok.then(|| AbhaAddress {
        handle: handle.to_owned(),
        suffix,
    })
}

/// Whether `c` is one of the two special characters a handle may contain.
fn is_special(c: char) -> bool {
    c == '.' || c == '_'
}

/// The codes of every strict-rule violation of `handle`, in a fixed order.
fn strict_violations(handle: &str) -> Vec<&'static str> {
    // The default address: the ABHA number without dashes.
    if handle.len() == 14 && all_digits(handle) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let len = handle.chars().count();
    if !(HANDLE_MIN..=HANDLE_MAX).contains(&len) {
        out.push(codes::ABHA_ADDRESS_LENGTH);
    }
    if !handle
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || is_special(c))
    {
        out.push(codes::ABHA_ADDRESS_CHARS);
    }
    if handle.matches('.').nth(1).is_some() || handle.matches('_').nth(1).is_some() {
        out.push(codes::ABHA_ADDRESS_SPECIAL_COUNT);
    }
    if handle.starts_with(is_special) || handle.ends_with(is_special) {
        out.push(codes::ABHA_ADDRESS_SPECIAL_POSITION);
    }
    if handle.starts_with(|c: char| c.is_ascii_digit()) {
        out.push(codes::ABHA_ADDRESS_LEADING_DIGIT);
    }
    out
}

/// The older "ABHA Address Policy" (abdm.md 1.2): at least 4 letters, digits, `.` or `_`; no
/// leading digit; no leading or trailing dot.
fn meets_legacy_policy(handle: &str) -> bool {
    let len = handle.chars().count();
    (LEGACY_MIN..=LEGACY_MAX).contains(&len)
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || is_special(c))
        && !handle.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && !handle.ends_with('.')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(
        input: &str,
        policy: AddressPolicy,
    ) -> (Option<AbhaAddress>, Vec<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = abha_address(&mut issues, "abha_address", input, policy);
        let codes = |v: &[super::super::Issue]| v.iter().map(|i| i.code.clone()).collect();
        (out, codes(&issues.errors), codes(&issues.warnings))
    }

    use AddressPolicy::{Create, Read};

    #[test]
    fn test_address_valid_on_create() {
        for (input, handle, suffix) in [
            ("gaurav_22101991", "gaurav_22101991", None),
            ("Sita.Devi_1990", "Sita.Devi_1990", None),
            ("ramkumar@abdm", "ramkumar", Some("abdm")),
            (" ramkumar@SBX ", "ramkumar", Some("sbx")),
            ("abcdefgh", "abcdefgh", None),
            ("a2345678901234567b", "a2345678901234567b", None),
            ("91628545755116@sbx", "91628545755116", Some("sbx")),
            ("91628545755116", "91628545755116", None),
        ] {
            let (out, errors, warnings) = check(input, Create);
            let out = out.unwrap_or_else(|| panic!("{input:?}: {errors:?}"));
            assert_eq!(out.handle(), handle);
            assert_eq!(out.suffix(), suffix);
            assert!(warnings.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn test_address_display() {
        let (a, _, _) = check("RamKumar@ABDM", Create);
        assert_eq!(a.unwrap().to_string(), "RamKumar@abdm");
        let (a, _, _) = check("ramkumar", Create);
        assert_eq!(a.unwrap().to_string(), "ramkumar");
    }

    #[test]
    fn test_address_strict_codes() {
        for (input, expected) in [
            ("", vec!["abha_address.required"]),
            ("ram", vec!["abha_address.length"]),
            ("a234567890123456789", vec!["abha_address.length"]),
            ("ram kumar", vec!["abha_address.chars"]),
            ("ram-kumar", vec!["abha_address.chars"]),
            ("रामकुमार१२३", vec!["abha_address.chars"]),
            ("ram.ku.mar", vec!["abha_address.special_count"]),
            ("ram__kumar", vec!["abha_address.special_count"]),
            ("ram.kumar_1", vec![]),
            (".ramkumar", vec!["abha_address.special_position"]),
            ("ramkumar_", vec!["abha_address.special_position"]),
            ("1ramkumar", vec!["abha_address.leading_digit"]),
            ("9876543210", vec!["abha_address.leading_digit"]), // a mobile number
            ("@abdm", vec!["abha_address.length"]),
            (
                "_1.2_",
                vec![
                    "abha_address.length",
                    "abha_address.special_count",
                    "abha_address.special_position",
                ],
            ),
        ] {
            let (out, errors, _) = check(input, Create);
            assert_eq!(errors, expected, "{input:?}");
            assert_eq!(out.is_some(), expected.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn test_address_length_params() {
        let mut issues = Issues::new();
        abha_address(&mut issues, "abha_address", "ram", Create);
        let p = &issues.errors[0].params;
        assert_eq!((p["min"].as_str(), p["max"].as_str()), ("8", "18"));
    }

    #[test]
    fn test_address_suffix_rules_on_create() {
        for input in [
            "ramkumar@ndhm",
            "ramkumar@hpr.abdm",
            "ramkumar@",
            "ramkumar@ab@dm",
        ] {
            let (out, errors, _) = check(input, Create);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errors, ["abha_address.suffix"], "{input:?}");
        }
        // Both problems at once.
        let (_, errors, _) = check("ram@ndhm", Create);
        assert_eq!(errors, ["abha_address.suffix", "abha_address.length"]);
    }

    #[test]
    fn test_address_suffix_rules_on_read() {
        let (out, errors, warnings) = check("mogithduraisamy@ndhm", Read);
        assert_eq!(out.unwrap().suffix(), Some("ndhm"));
        assert!(errors.is_empty() && warnings.is_empty());

        let (out, errors, warnings) = check("drsharma@HPR.abdm", Read);
        assert_eq!(out.unwrap().suffix(), Some("hpr.abdm"));
        assert!(errors.is_empty());
        assert_eq!(warnings, ["abha_address.suffix_unknown"]);

        for input in ["ramkumar@", "ramkumar@ab dm", "ramkumar@a@b", "ramkumar@अ"] {
            let (out, errors, _) = check(input, Read);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errors, ["abha_address.suffix"], "{input:?}");
        }
    }

    #[test]
    fn test_address_legacy_handle_on_read() {
        for input in ["ravi@ndhm", "ravi__k@abdm", "ravi_", "_ravi", "ravi.k.s"] {
            let (out, errors, warnings) = check(input, Read);
            assert!(out.is_some(), "{input:?}: {errors:?}");
            assert_eq!(warnings, ["abha_address.legacy_format"], "{input:?}");
            // The same handles are refused for a new address.
            assert!(check(input, Create).0.is_none(), "{input:?}");
        }
        // Fails even the older policy: too short, leading digit, dot at an end, bad chars.
        for (input, code) in [
            ("rav", "abha_address.length"),
            ("1ravikumar", "abha_address.leading_digit"),
            ("ravikumar.", "abha_address.special_position"),
            ("ravi-kumar", "abha_address.chars"),
        ] {
            let (out, errors, warnings) = check(input, Read);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errors, [code], "{input:?}");
            assert!(warnings.is_empty());
        }
    }

    #[test]
    fn test_address_serde_uses_read_policy() {
        let a: AbhaAddress = serde_json::from_str("\"mogith@ndhm\"").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"mogith@ndhm\"");
        assert!(serde_json::from_str::<AbhaAddress>("\"1x@abdm\"").is_err());
    }
}
