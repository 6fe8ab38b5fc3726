//! Gender as ABDM records it.
//!
//! Why this file exists: gender is one of the three values demographic authentication matches
//! against UIDAI (with name and date of birth, abdm.md 0.1), so it must map onto exactly the
//! codes ABDM uses: `M`, `F`, `O`. ABHA v1 used `T` (transgender); it is read as `O` so that
//! records and QR codes from v1-era cards still load. The UI offers three choices; this module
//! only guards the boundary (forms, imports, sync) against anything else.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Issues, codes};

/// Gender, serialised as ABDM's one-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gender {
    /// `M`.
    #[serde(rename = "M")]
    Male,
    /// `F`.
    #[serde(rename = "F")]
    Female,
    /// `O` (ABHA v1's `T`, transgender, is read as this).
    #[serde(rename = "O", alias = "T")]
    Other,
}

impl Gender {
    /// ABDM's one-letter code: `"M"`, `"F"` or `"O"`.
    pub fn code(&self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
            Gender::Other => "O",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Validates a gender code: `m`, `f`, `o` or `t` in either case (`t` gives [`Gender::Other`]).
///
/// Codes: `gender.required`, `gender.invalid`.
pub fn gender(issues: &mut Issues, field: &str, input: &str) -> Option<Gender> {
    let s = input.trim();
    if s.is_empty() {
        issues.error(field, codes::GENDER_REQUIRED);
        return None;
    }
    let mut chars = s.chars();
    let g = match (chars.next().map(|c| c.to_ascii_uppercase()), chars.next()) {
        (Some('M'), None) => Gender::Male,
        (Some('F'), None) => Gender::Female,
        (Some('O' | 'T'), None) => Gender::Other,
        _ => {
            issues.error(field, codes::GENDER_INVALID);
            return None;
        }
    };
    Some(g)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(input: &str) -> (Option<Gender>, Vec<String>) {
        let mut issues = Issues::new();
        let out = gender(&mut issues, "gender", input);
        (out, issues.errors.iter().map(|i| i.code.clone()).collect())
    }

    #[test]
    fn test_gender_accepts_codes_any_case() {
        for (input, expected) in [
            ("M", Gender::Male),
            ("m", Gender::Male),
            (" f ", Gender::Female),
            ("F", Gender::Female),
            ("o", Gender::Other),
            ("O", Gender::Other),
            ("T", Gender::Other),
            ("t", Gender::Other),
        ] {
            assert_eq!(check(input).0, Some(expected), "{input:?}");
        }
    }

    #[test]
    fn test_gender_error_codes() {
        assert_eq!(check("").1, ["gender.required"]);
        for input in ["X", "Male", "MF", "म", "Ｍ", "0"] {
            let (out, errs) = check(input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errs, ["gender.invalid"], "{input:?}");
        }
    }

    #[test]
    fn test_gender_serde_codes() {
        assert_eq!(serde_json::to_string(&Gender::Male).unwrap(), "\"M\"");
        assert_eq!(serde_json::to_string(&Gender::Female).unwrap(), "\"F\"");
        assert_eq!(serde_json::to_string(&Gender::Other).unwrap(), "\"O\"");
        assert_eq!(
            serde_json::from_str::<Gender>("\"T\"").unwrap(),
            Gender::Other
        );
        assert_eq!(
            serde_json::from_str::<Gender>("\"F\"").unwrap(),
            Gender::Female
        );
        assert!(serde_json::from_str::<Gender>("\"f\"").is_err());
        assert_eq!(Gender::Other.to_string(), "O");
    }
}
