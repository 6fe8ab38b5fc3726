//! Household members.
//!
//! A member is captured on a form ([`MemberDraft`], raw strings as typed), validated as a whole so
//! the worker sees every problem at once ([`MemberDraft::check`] → [`ValidMember`]), then has its
//! Aadhaar number sealed ([`ValidMember::seal`] → [`NewMember`]) before anything reaches the store.
//! The store never receives an Aadhaar number in the clear.
//!
//! Names are kept as typed, in any script (Devanagari, Perso-Arabic for Urdu and Kashmiri,
//! Latin, ...), NFC-normalised, with an optional Latin transliteration for ABDM and printing.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::ids::{HouseholdId, MemberId, WorkerId};
use crate::seal::{AadhaarSealer, SealError, SealedAadhaar};
use crate::validate::{self, AbhaAddress, AbhaNumber, BirthDate, Gender, Issues, Mobile};

/// Relation to the head of household. Codes are stable strings (stored and synced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The head of household.
    Head,
    /// Husband or wife.
    Spouse,
    /// Son.
    Son,
    /// Daughter.
    Daughter,
    /// Father.
    Father,
    /// Mother.
    Mother,
    /// Brother.
    Brother,
    /// Sister.
    Sister,
    /// Son-in-law.
    SonInLaw,
    /// Daughter-in-law.
    DaughterInLaw,
    /// Grandchild.
    Grandchild,
    /// Grandparent.
    Grandparent,
    /// Any other relative.
    OtherRelative,
    /// Lives in the household, not related.
    Unrelated,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 14] = [
        Self::Head,
        Self::Spouse,
        Self::Son,
        Self::Daughter,
        Self::Father,
        Self::Mother,
        Self::Brother,
        Self::Sister,
        Self::SonInLaw,
        Self::DaughterInLaw,
        Self::Grandchild,
        Self::Grandparent,
        Self::OtherRelative,
        Self::Unrelated,
    ];
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Spouse => "spouse",
            Self::Son => "son",
            Self::Daughter => "daughter",
            Self::Father => "father",
            Self::Mother => "mother",
            Self::Brother => "brother",
            Self::Sister => "sister",
            Self::SonInLaw => "son_in_law",
            Self::DaughterInLaw => "daughter_in_law",
            Self::Grandchild => "grandchild",
            Self::Grandparent => "grandparent",
            Self::OtherRelative => "other_relative",
            Self::Unrelated => "unrelated",
        }
    }
    /// From a code (case-insensitive, `-` read as `_`).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// A member as typed on the form. Every field is raw text; `check` does the rest.
#[derive(Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberDraft {
    /// Given name (required).
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin transliteration of the full name.
    pub name_latin: Option<String>,
    /// `M`, `F` or `O`.
    pub gender: String,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub birth_date: String,
    /// Mobile number.
    pub mobile: Option<String>,
    /// Relation to the head (see [`Relation`]).
    pub relation: String,
    /// Aadhaar number as typed. Wiped from memory when the draft is dropped.
    #[serde(skip_serializing)]
    pub aadhaar: Option<Zeroizing<String>>,
    /// An existing ABHA number (typed or scanned).
    pub abha_number: Option<String>,
    /// An existing ABHA address.
    pub abha_address: Option<String>,
}

impl fmt::Debug for MemberDraft {
    /// A draft is all personal data: show only which fields are filled.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MemberDraft {{ aadhaar: {}, mobile: {}, abha: {} }}",
            self.aadhaar.is_some(),
            self.mobile.is_some(),
            self.abha_number.is_some()
        )
    }
}

/// Validates an optional field: absent is fine, present must pass (`ok` turns false if not).
fn optional<'a, T>(
    ok: &mut bool,
    v: Option<&'a str>,
    f: impl FnOnce(&'a str) -> Option<T>,
) -> Option<T> {
    let r = f(v?);
    *ok &= r.is_some();
    r
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A member that passed validation. Still holds the Aadhaar number; seal it next.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidMember {
    /// Given name, NFC.
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin transliteration.
    pub name_latin: Option<String>,
    /// Gender.
    pub gender: Gender,
    /// Date or year of birth.
    pub birth_date: BirthDate,
    /// Mobile.
    pub mobile: Option<Mobile>,
    /// Relation to head.
    pub relation: Relation,
    /// The 12 Aadhaar digits, wiped on drop.
    pub aadhaar: Option<Zeroizing<String>>,
    /// Existing ABHA number.
    pub abha_number: Option<AbhaNumber>,
    /// Existing ABHA address.
    pub abha_address: Option<AbhaAddress>,
}

impl fmt::Debug for ValidMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ValidMember {{ relation: {} }}", self.relation.code())
    }
}

impl MemberDraft {
    /// Validates every field against `today`, pushing all problems to `issues` with field names
    /// prefixed by `prefix` (e.g. `"members[2]."`). Returns `None` if any field is invalid.
    pub fn check(
        &self,
        issues: &mut Issues,
        prefix: &str,
        today: time::Date,
    ) -> Option<ValidMember> {
        let fld = |n: &str| format!("{prefix}{n}");
        let mut ok = true;
        let given_name = validate::person_name(issues, &fld("given_name"), &self.given_name);
        let middle_name = optional(&mut ok, non_empty(&self.middle_name), |s| {
            validate::person_name(issues, &fld("middle_name"), s)
        });
        let family_name = optional(&mut ok, non_empty(&self.family_name), |s| {
            validate::person_name(issues, &fld("family_name"), s)
        });
        let name_latin = optional(&mut ok, non_empty(&self.name_latin), |s| {
            validate::latin_name(issues, &fld("name_latin"), s)
        });
        let mobile = optional(&mut ok, non_empty(&self.mobile), |s| {
            validate::mobile(issues, &fld("mobile"), s)
        });
        let typed_aadhaar = self
            .aadhaar
            .as_deref()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty());
        let aadhaar = optional(&mut ok, typed_aadhaar, |s| {
            validate::aadhaar(issues, &fld("aadhaar"), s)
        });
        let abha_number = optional(&mut ok, non_empty(&self.abha_number), |s| {
            validate::abha_number(issues, &fld("abha_number"), s)
        });
        let abha_address = optional(&mut ok, non_empty(&self.abha_address), |s| {
            validate::abha_address(
                issues,
                &fld("abha_address"),
                s,
                validate::AddressPolicy::Read,
            )
        });
        let gender = validate::gender(issues, &fld("gender"), &self.gender);
        let birth_date = validate::birth_date(issues, &fld("birth_date"), &self.birth_date, today);
        let relation = Relation::parse(&self.relation);
        if relation.is_none() {
            issues.error(&fld("relation"), "relation.invalid");
        }
        if !ok {
            return None;
        }
        Some(ValidMember {
            given_name: given_name?,
            middle_name,
            family_name,
            name_latin,
            gender: gender?,
            birth_date: birth_date?,
            mobile,
            relation: relation?,
            aadhaar,
            abha_number,
            abha_address,
        })
    }
}

impl ValidMember {
    /// Seals the Aadhaar number (if any), wiping the plaintext.
    pub fn seal(self, sealer: Option<&AadhaarSealer>) -> Result<NewMember, SealError> {
        let aadhaar = match (&self.aadhaar, sealer) {
            (None, _) => None,
            (Some(d), Some(s)) => Some(s.seal(d)?),
            (Some(_), None) => return Err(SealError::BadPublicKey),
        };
        Ok(NewMember {
            id: MemberId::new(),
            given_name: self.given_name,
            middle_name: self.middle_name,
            family_name: self.family_name,
            name_latin: self.name_latin,
            gender: self.gender,
            birth_date: self.birth_date,
            mobile: self.mobile,
            relation: self.relation,
            aadhaar,
            abha_number: self.abha_number,
            abha_address: self.abha_address,
        })
    }
}

/// A validated, sealed member ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMember {
    /// Fresh id.
    pub id: MemberId,
    /// Given name.
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin transliteration.
    pub name_latin: Option<String>,
    /// Gender.
    pub gender: Gender,
    /// Birth date or year.
    pub birth_date: BirthDate,
    /// Mobile.
    pub mobile: Option<Mobile>,
    /// Relation to head.
    pub relation: Relation,
    /// Sealed Aadhaar.
    pub aadhaar: Option<SealedAadhaar>,
    /// Existing ABHA number.
    pub abha_number: Option<AbhaNumber>,
    /// Existing ABHA address.
    pub abha_address: Option<AbhaAddress>,
}

impl fmt::Debug for NewMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewMember({})", self.id)
    }
}

/// A member as stored (read model). Contains personal data: never log it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// Id.
    pub id: MemberId,
    /// Current household.
    pub household_id: Option<HouseholdId>,
    /// Given name.
    pub given_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin transliteration.
    pub name_latin: Option<String>,
    /// `M` / `F` / `O`.
    pub gender: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Relation code.
    pub relation: Option<String>,
    /// Masked Aadhaar (`XXXX XXXX 1234`), if captured.
    pub aadhaar_masked: Option<String>,
    /// Whether a sealed Aadhaar is still held (deleted once ABDM has answered).
    pub aadhaar_sealed: bool,
    /// ABHA number.
    pub abha_number: Option<String>,
    /// ABHA address.
    pub abha_address: Option<String>,
    /// Captured by.
    pub created_by: Option<WorkerId>,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Member({})", self.id)
    }
}
