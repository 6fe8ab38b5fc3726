//! Capture on a device: a form from the worker becomes stored records, the same way everywhere.
//!
//! The tablet (through the bindings) and the field CLI both save households and members here, so
//! the rules a worker meets are one implementation: every field validated at once, the village
//! checked against the device's villages, a warning when the Aadhaar number is already on the
//! device (the keyed token matches), the number sealed before anything is written, and one
//! transaction per save. `check_household` runs the same checks without saving, for inline
//! errors while the worker types.

use crate::ids::{HouseholdId, MemberId, VillageId, WorkerId};
use crate::model::{HouseholdForm, MemberDraft};
use crate::seal::AadhaarSealer;
use crate::store::{Result, Store, StoreError};
use crate::validate::{self, Issue, Issues, ValidationError, codes};

/// The worker's calendar date: India Standard Time (birth dates are checked against it).
pub fn today_ist() -> time::Date {
    let ist = time::UtcOffset::from_hms(5, 30, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(ist).date()
}

/// A saved household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedHousehold {
    /// Its id.
    pub id: HouseholdId,
    /// Its printable code.
    pub code: String,
    /// Its members' ids, in form order.
    pub member_ids: Vec<MemberId>,
    /// Warnings the worker saw (duplicates, doubtful check digits).
    pub warnings: Vec<Issue>,
}

/// A saved member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMember {
    /// Its id.
    pub id: MemberId,
    /// Its household.
    pub household_id: HouseholdId,
    /// Warnings the worker saw.
    pub warnings: Vec<Issue>,
}

/// What a device needs to capture: its store, its sealer and the current operator.
#[derive(Debug, Clone, Copy)]
pub struct Capture<'a> {
    /// The device's store.
    pub store: &'a Store,
    /// Seals Aadhaar numbers to the hub's key and makes their tokens. Without one (a device
    /// not yet enrolled with a hub) an Aadhaar number is refused as `aadhaar.no_sealing_key`.
    pub sealer: Option<&'a AadhaarSealer>,
    /// The operator records are attributed to.
    pub worker: Option<WorkerId>,
    /// The worker's calendar date.
    pub today: time::Date,
}

impl Capture<'_> {
    /// Errors and warnings of a household form, without saving (inline validation).
    pub fn check_household(&self, form: &HouseholdForm) -> Result<Issues> {
        let mut issues = self.device_checks(form)?;
        match form.check(self.today) {
            Ok(c) => issues.warnings.extend(c.warnings),
            Err(e) => {
                issues.errors.extend(e.errors);
                issues.warnings.extend(e.warnings);
            }
        }
        issues
            .warnings
            .extend(self.duplicate_warnings(&form.members, member_aadhaar)?);
        Ok(issues)
    }

    /// Validates, seals and stores a household with its members in one transaction.
    /// Invalid input is `StoreError::Validation` listing every problem; nothing is written.
    pub fn save_household(&self, form: &HouseholdForm) -> Result<SavedHousehold> {
        let issues = self.device_checks(form)?;
        let checked = match form.check(self.today) {
            Ok(c) if !issues.has_errors() => c,
            Ok(c) => return Err(invalid(issues.errors, c.warnings)),
            Err(mut e) => {
                e.errors.splice(0..0, issues.errors);
                return Err(e.into());
            }
        };
        let mut warnings = checked.warnings;
        warnings.extend(self.duplicate_warnings(&form.members, member_aadhaar)?);
        let new = checked.value.seal(self.sealer, self.worker)?;
        let id = self.store.create_household(&new)?;
        Ok(SavedHousehold {
            id,
            code: new.household.code.to_string(),
            member_ids: new.members.iter().map(|m| m.id).collect(),
            warnings,
        })
    }

    /// Validates, seals and adds one member to a household.
    pub fn add_member(&self, household: HouseholdId, draft: &MemberDraft) -> Result<SavedMember> {
        let mut issues = Issues::new();
        self.sealable(
            std::slice::from_ref(draft),
            |_| "aadhaar".to_owned(),
            &mut issues,
        );
        let valid = draft.check(&mut issues, "", self.today);
        let Some(valid) = valid.filter(|_| !issues.has_errors()) else {
            return Err(invalid(issues.errors, issues.warnings));
        };
        let mut warnings = issues.warnings;
        warnings.extend(
            self.duplicate_warnings(std::slice::from_ref(draft), |_| "aadhaar".to_owned())?,
        );
        let new = valid.seal(self.sealer)?;
        let id = self.store.add_member(household, &new, self.worker)?;
        Ok(SavedMember {
            id,
            household_id: household,
            warnings,
        })
    }

    /// What only the device can check: its villages, and a key to seal Aadhaar numbers to.
    fn device_checks(&self, form: &HouseholdForm) -> Result<Issues> {
        let mut issues = Issues::new();
        self.known_village(form.household.village_id, &mut issues)?;
        self.sealable(&form.members, member_aadhaar, &mut issues);
        Ok(issues)
    }

    /// A village must be one of the device's own (the hub would refuse the record otherwise).
    fn known_village(&self, village: Option<VillageId>, issues: &mut Issues) -> Result<()> {
        if let Some(id) = village
            && !self.store.villages()?.iter().any(|v| v.id == id)
        {
            issues.error("household.village_id", "village.unknown");
        }
        Ok(())
    }

    /// An Aadhaar number can only be taken when there is a key to seal it to.
    fn sealable(
        &self,
        members: &[MemberDraft],
        field: impl Fn(usize) -> String,
        issues: &mut Issues,
    ) {
        if self.sealer.is_some() {
            return;
        }
        for (i, m) in members.iter().enumerate() {
            if m.aadhaar.as_deref().is_some_and(|a| !a.trim().is_empty()) {
                issues.error(&field(i), codes::AADHAAR_NO_SEALING_KEY);
            }
        }
    }

    /// `aadhaar.duplicate` warnings for numbers whose token is already on the device.
    fn duplicate_warnings(
        &self,
        members: &[MemberDraft],
        field: impl Fn(usize) -> String,
    ) -> Result<Vec<Issue>> {
        let mut out = Issues::new();
        let Some(sealer) = self.sealer else {
            return Ok(Vec::new());
        };
        for (i, m) in members.iter().enumerate() {
            let Some(a) = m.aadhaar.as_deref() else {
                continue;
            };
            let mut scratch = Issues::new();
            if let Some(digits) = validate::aadhaar(&mut scratch, "aadhaar", a) {
                let token = sealer.token(&digits);
                if let Some(first) = self.store.members_with_aadhaar_token(&token)?.first() {
                    out.warn_with(
                        &field(i),
                        codes::AADHAAR_DUPLICATE,
                        &[("member_id", first.to_string())],
                    );
                }
            }
        }
        Ok(out.warnings)
    }
}

fn member_aadhaar(i: usize) -> String {
    format!("members[{i}].aadhaar")
}

fn invalid(errors: Vec<Issue>, warnings: Vec<Issue>) -> StoreError {
    StoreError::Validation(ValidationError { errors, warnings })
}
