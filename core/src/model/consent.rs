//! Consent for ABHA enrolment.
//!
//! ABDM's enrolment calls carry `consent: {code: "abha-enrollment", version}` and NHA's test cases
//! require the app to record the consent it showed. We keep an audit record per consent: the
//! version and language of the text, a SHA-256 of the exact text shown (so a later dispute can
//! prove which words were on the screen), who gave it (the person or a guardian), how (checkbox,
//! thumbprint, signature, verbal), the operator, and when.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{ConsentId, MemberId, WorkerId};
use crate::validate::{self, Issues};

/// The ABDM consent code for ABHA enrolment.
pub const ABHA_ENROLLMENT: &str = "abha-enrollment";

/// Who gave the consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GivenBy {
    /// The beneficiary.
    #[serde(rename = "self")]
    Beneficiary,
    /// A parent or guardian (children, people who cannot consent).
    Guardian,
}

impl GivenBy {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Beneficiary => "self",
            Self::Guardian => "guardian",
        }
    }
}

/// How the consent was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// Ticked boxes on the tablet.
    Checkbox,
    /// Thumbprint on paper.
    Thumbprint,
    /// Signature.
    Signature,
    /// Spoken, witnessed by the operator.
    Verbal,
}

impl ConsentMethod {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Checkbox => "checkbox",
            Self::Thumbprint => "thumbprint",
            Self::Signature => "signature",
            Self::Verbal => "verbal",
        }
    }
}

/// A consent as captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDraft {
    /// The member it is for.
    pub member_id: MemberId,
    /// Version of the consent text, e.g. `1.4`.
    pub version: String,
    /// Language of the text shown (BCP 47, e.g. `hi`, `ur`, `ks`, `en`).
    pub language: String,
    /// Who gave it.
    pub given_by: GivenBy,
    /// Guardian's name when a guardian gave it.
    #[serde(default)]
    pub guardian_name: Option<String>,
    /// How.
    pub method: ConsentMethod,
    /// The operator who explained it.
    pub operator_id: WorkerId,
    /// The exact text shown.
    pub text_shown: String,
}

/// A validated consent ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    /// Fresh id.
    pub id: ConsentId,
    /// Member.
    pub member_id: MemberId,
    /// Version.
    pub version: String,
    /// Language.
    pub language: String,
    /// Who.
    pub given_by: GivenBy,
    /// Guardian name.
    pub guardian_name: Option<String>,
    /// How.
    pub method: ConsentMethod,
    /// Operator.
    pub operator_id: WorkerId,
    /// Hex SHA-256 of the text shown.
    pub text_sha256: String,
}

fn is_version(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    primary_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl ConsentDraft {
    /// Validates the draft. Codes: `consent.version`, `consent.language`, `consent.text`,
    /// `consent.guardian_required`, and name codes for the guardian's name.
    pub fn validate(&self) -> Result<NewConsent, validate::ValidationError> {
        let mut issues = Issues::new();
        let version = self.version.trim();
        if !is_version(version) {
            issues.error("version", "consent.version");
        }
        let language = self.language.trim();
        if !is_language(language) {
            issues.error("language", "consent.language");
        }
        if self.text_shown.trim().is_empty() {
            issues.error("text_shown", "consent.text");
        }
        let guardian_name = match (self.given_by, self.guardian_name.as_deref().map(str::trim)) {
            (GivenBy::Guardian, None | Some("")) => {
                issues.error("guardian_name", "consent.guardian_required");
                None
            }
            (_, Some(n)) if !n.is_empty() => validate::person_name(&mut issues, "guardian_name", n),
            _ => None,
        };
        issues.finish(())?;
        Ok(NewConsent {
            id: ConsentId::new(),
            member_id: self.member_id,
            version: version.to_owned(),
            language: language.to_owned(),
            given_by: self.given_by,
            guardian_name,
            method: self.method,
            operator_id: self.operator_id,
            text_sha256: hex::encode(Sha256::digest(self.text_shown.as_bytes())),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn draft() -> ConsentDraft {
        ConsentDraft {
            member_id: MemberId::new(),
            version: "1.4".into(),
            language: "ur".into(),
            given_by: GivenBy::Beneficiary,
            guardian_name: None,
            method: ConsentMethod::Thumbprint,
            operator_id: WorkerId::new(),
            text_shown: "میں رضامندی دیتا ہوں".into(),
        }
    }

    #[test]
    fn test_consent_hashes_exact_text() {
        let c = draft().validate().unwrap();
        assert_eq!(c.text_sha256.len(), 64);
        let mut d = draft();
        d.text_shown.push(' ');
        assert_ne!(d.validate().unwrap().text_sha256, c.text_sha256);
    }

    #[test]
    fn test_consent_reports_all_problems() {
        let mut d = draft();
        d.version = "v1".into();
        d.language = "Hindi".into();
        d.given_by = GivenBy::Guardian;
        d.text_shown = " ".into();
        let e = d.validate().unwrap_err();
        let codes: Vec<_> = e.errors.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "consent.version",
                "consent.language",
                "consent.text",
                "consent.guardian_required"
            ]
        );
    }

    #[test]
    fn test_language_tags() {
        for ok in ["hi", "ur", "ks", "en-IN", "ks-Arab", "hi-Latn-IN"] {
            assert!(is_language(ok), "{ok}");
        }
        for bad in ["", "H", "hindi", "hi_", "hi--IN", "x"] {
            assert!(!is_language(bad), "{bad}");
        }
    }
}
