//! The household enrolment form: a household and its members validated as one.
//!
//! The worker fills in a household and several members before saving, so errors are reported for
//! the whole form at once, member fields prefixed with their position (`members[2].mobile`), plus
//! the checks that span members (only one head of household).

use serde::{Deserialize, Serialize};

use super::household::{HouseholdDraft, NewHousehold};
use super::member::{MemberDraft, NewMember, Relation, ValidMember};
use crate::ids::WorkerId;
use crate::seal::{AadhaarSealer, SealError};
use crate::validate::{Checked, Issues, ValidationError};

/// A household with its members, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdForm {
    /// The household part.
    pub household: HouseholdDraft,
    /// The members, in the order shown.
    pub members: Vec<MemberDraft>,
}

/// A household and its first members, validated and sealed: one atomic unit for the store (one
/// transaction, one outbox row).
#[derive(Debug, Clone)]
pub struct NewHouseholdWithMembers {
    /// The household.
    pub household: NewHousehold,
    /// Its members (may be empty).
    pub members: Vec<NewMember>,
    /// The operator who captured it.
    pub created_by: Option<WorkerId>,
}

/// A validated form whose Aadhaar numbers are not yet sealed.
#[derive(Debug, Clone)]
pub struct ValidHouseholdForm {
    /// The household.
    pub household: NewHousehold,
    /// The members.
    pub members: Vec<ValidMember>,
}

impl HouseholdForm {
    /// Validates everything against `today`; all problems in one error.
    pub fn check(&self, today: time::Date) -> Result<Checked<ValidHouseholdForm>, ValidationError> {
        let mut issues = Issues::new();
        let household = self.household.check(&mut issues, "household.");
        let mut members = Vec::with_capacity(self.members.len());
        let mut heads = 0;
        for (i, m) in self.members.iter().enumerate() {
            // Heads are counted from the relation as typed, so a second head is reported even
            // when another field of the first head is wrong: the worker sees every problem.
            if Relation::parse(m.relation.trim()) == Some(Relation::Head) {
                heads += 1;
                if heads > 1 {
                    issues.error(&format!("members[{i}].relation"), "relation.second_head");
                }
            }
            if let Some(v) = m.check(&mut issues, &format!("members[{i}]."), today) {
                members.push(v);
            }
        }
        if issues.has_errors() {
            return Err(ValidationError {
                errors: issues.errors,
                warnings: issues.warnings,
            });
        }
        match household {
            Some(household) => issues.finish(ValidHouseholdForm { household, members }),
            None => Err(ValidationError {
                errors: issues.errors,
                warnings: issues.warnings,
            }),
        }
    }
}

impl ValidHouseholdForm {
    /// Seals every Aadhaar number, giving what [`crate::store::Store::create_household`] takes.
    pub fn seal(
        self,
        sealer: Option<&AadhaarSealer>,
        created_by: Option<WorkerId>,
    ) -> Result<NewHouseholdWithMembers, SealError> {
        let members = self
            .members
            .into_iter()
            .map(|m| m.seal(sealer))
            .collect::<Result<Vec<NewMember>, _>>()?;
        Ok(NewHouseholdWithMembers {
            household: self.household,
            members,
            created_by,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ids::VillageId;

    fn member(name: &str, relation: &str) -> MemberDraft {
        MemberDraft {
            given_name: name.into(),
            gender: "F".into(),
            birth_date: "1990-05-01".into(),
            relation: relation.into(),
            ..Default::default()
        }
    }

    #[test]
    fn test_form_reports_errors_of_every_member_at_once() {
        let mut bad = member("", "head");
        bad.mobile = Some("12345".into());
        let mut bad2 = member("Asha", "cousin");
        bad2.aadhaar = Some("234123412345".to_string().into());
        let form = HouseholdForm {
            household: HouseholdDraft {
                village_id: Some(VillageId::from_lgd(1)),
                address: "Ward 4".into(),
                ..Default::default()
            },
            members: vec![member("सीता", "head"), bad, bad2, member("Rani", "head")],
        };
        let today = time::macros::date!(2026 - 11 - 22);
        let e = form.check(today).unwrap_err();
        let got: Vec<(String, String)> = e
            .errors
            .iter()
            .map(|i| (i.field.clone(), i.code.clone()))
            .collect();
        for want in [
            ("members[1].given_name", "name.required"),
            ("members[1].mobile", ""),
            ("members[2].aadhaar", "aadhaar.checksum"),
            ("members[2].relation", "relation.invalid"),
            ("members[3].relation", "relation.second_head"),
        ] {
            assert!(
                got.iter()
                    .any(|(f, c)| f == want.0 && (want.1.is_empty() || c == want.1)),
                "missing {want:?} in {got:?}"
            );
        }
    }
}
