//! Validating one identifier on its own, for the command-line tools and quick checks.
//!
//! Why this file exists: the hub CLI (`validate aadhaar 2341...`) and support staff need to check
//! a single value without building a form. [`validate_single`] runs the matching validator and
//! returns a serialisable [`SingleOutcome`]. Aadhaar numbers and VIDs come back masked
//! (`XXXX XXXX 1234`): the outcome is printed and may be pasted into a ticket, so it must never
//! carry the full number.

use serde::Serialize;

use super::{AddressPolicy, Issue, Issues, mask_number};

/// The kinds of identifier [`validate_single`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 12-digit Aadhaar number.
    Aadhaar,
    /// 16-digit Aadhaar Virtual ID.
    Vid,
    /// 14-digit ABHA number.
    AbhaNumber,
    /// ABHA address, checked as for a new address ([`AddressPolicy::Create`]).
    AbhaAddress,
    /// Indian mobile number.
    Mobile,
    /// Postal PIN code.
    Pincode,
    /// Health Facility Registry id.
    Hfr,
    /// Healthcare Professional Registry id.
    Hpr,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 8] = [
        Kind::Aadhaar,
        Kind::Vid,
        Kind::AbhaNumber,
        Kind::AbhaAddress,
        Kind::Mobile,
        Kind::Pincode,
        Kind::Hfr,
        Kind::Hpr,
    ];

    /// The kind named on the command line: `aadhaar`, `vid`, `abha-number`, `abha-address`,
    /// `mobile`, `pincode`, `hfr`, `hpr`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The command-line name ([`Kind::parse`] in reverse).
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Aadhaar => "aadhaar",
            Kind::Vid => "vid",
            Kind::AbhaNumber => "abha-number",
            Kind::AbhaAddress => "abha-address",
            Kind::Mobile => "mobile",
            Kind::Pincode => "pincode",
            Kind::Hfr => "hfr",
            Kind::Hpr => "hpr",
        }
    }

    /// The field name issues are reported under.
    pub fn field(&self) -> &'static str {
        match self {
            Kind::Aadhaar => "aadhaar",
            Kind::Vid => "vid",
            Kind::AbhaNumber => "abha_number",
            Kind::AbhaAddress => "abha_address",
            Kind::Mobile => "mobile",
            Kind::Pincode => "pincode",
            Kind::Hfr => "hfr_id",
            Kind::Hpr => "hpr_id",
        }
    }
}

/// The result of [`validate_single`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SingleOutcome {
    /// No errors (warnings allowed).
    pub ok: bool,
    /// The canonical form when `ok`; masked for Aadhaar and VID.
    pub normalized: Option<String>,
    /// Blocking problems.
    pub errors: Vec<Issue>,
    /// Non-blocking problems.
    pub warnings: Vec<Issue>,
}

/// Validates one value of the given kind.
pub fn validate_single(kind: Kind, value: &str) -> SingleOutcome {
    let mut issues = Issues::new();
    let i = &mut issues;
    let field = kind.field();
    let normalized = match kind {
        Kind::Aadhaar => super::aadhaar(i, field, value).map(|n| mask_number(&n)),
        Kind::Vid => super::vid(i, field, value).map(|n| mask_number(&n)),
        Kind::AbhaNumber => super::abha_number(i, field, value).map(String::from),
        Kind::AbhaAddress => {
            super::abha_address(i, field, value, AddressPolicy::Create).map(|a| a.to_string())
        }
        Kind::Mobile => super::mobile(i, field, value).map(String::from),
        Kind::Pincode => super::pincode(i, field, value).map(String::from),
        Kind::Hfr => super::hfr_id(i, field, value).map(String::from),
        Kind::Hpr => super::hpr_id(i, field, value).map(String::from),
    };
    let ok = normalized.is_some() && !issues.has_errors();
    SingleOutcome {
        ok,
        normalized: normalized.filter(|_| ok),
        errors: issues.errors,
        warnings: issues.warnings,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_kind_parse_and_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
        }
        assert_eq!(Kind::parse("abha-number"), Some(Kind::AbhaNumber));
        assert_eq!(Kind::parse("abha_number"), None);
        assert_eq!(Kind::parse("Aadhaar"), None);
        assert_eq!(Kind::Hfr.field(), "hfr_id");
        assert_eq!(Kind::AbhaAddress.field(), "abha_address");
    }

    #[test]
    fn test_single_aadhaar_is_masked() {
        let out = validate_single(Kind::Aadhaar, "2341 2341 2346");
        assert!(out.ok);
        assert_eq!(out.normalized.as_deref(), Some("XXXX XXXX 2346"));
        let json = serde_json::to_string(&out).unwrap();
        assert!(!json.contains("234123412346"), "{json}");
        assert!(!format!("{out:?}").contains("23412341"));
    }

    #[test]
    fn test_single_vid_is_masked() {
        let out = validate_single(Kind::Vid, "9876-5432-1098-7654");
        assert!(out.ok);
        assert_eq!(out.normalized.as_deref(), Some("XXXX XXXX XXXX 7654"));
    }

    #[test]
    fn test_single_failure_has_no_value() {
        let out = validate_single(Kind::Aadhaar, "234123412345");
        assert!(!out.ok);
        assert_eq!(out.normalized, None);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].field, "aadhaar");
        assert_eq!(out.errors[0].code, "aadhaar.checksum");
    }

    #[test]
    fn test_single_warning_still_ok() {
        let out = validate_single(Kind::AbhaNumber, "12345678901234");
        assert!(out.ok);
        assert_eq!(out.normalized.as_deref(), Some("12-3456-7890-1234"));
        assert_eq!(out.warnings[0].code, "abha_number.checksum");
    }

    #[test]
    fn test_single_each_kind() {
        for (kind, input, expected) in [
            (Kind::AbhaAddress, "ram.kumar@ABDM", "ram.kumar@abdm"),
            (Kind::Mobile, "+91 98765 43210", "9876543210"),
            (Kind::Pincode, "190 001", "190001"),
            (Kind::Hfr, "in2810014366", "IN2810014366"),
            (Kind::Hpr, "71-2345-6789-0123", "71234567890123"),
        ] {
            let out = validate_single(kind, input);
            assert!(out.ok, "{kind:?}: {out:?}");
            assert_eq!(out.normalized.as_deref(), Some(expected));
        }
        // abha-address uses the Create policy: the legacy suffix is refused.
        let out = validate_single(Kind::AbhaAddress, "ramkumar@ndhm");
        assert!(!out.ok);
        assert_eq!(out.errors[0].code, "abha_address.suffix");
    }
}
