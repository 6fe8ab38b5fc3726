//! Capture on a device: a form from the worker becomes stored records, the same way everywhere.
//!
//! The tablet (through the bindings) and the field CLI both save households and members here, so
//! the rules a worker meets are one implementation: every field validated at once, the village
//! checked against the device's villages, a warning when the Aadhaar number is already on the
//! device (the keyed token matches) or the person looks like one already recorded (the matcher
//! of [`crate::dedup`], the one supervisors review with at the hub), the number sealed before anything is written, and one
//! transaction per save. `check_household` runs the same checks without saving, for inline
//! errors while the worker types.

use crate::dedup;
use crate::ids::{HouseholdId, MemberId, VillageId, WorkerId};
use crate::model::{HouseholdForm, MemberDraft};
use crate::seal::AadhaarSealer;
use crate::store::{Result, Store, StoreError};
use crate::validate::{self, Issue, Issues, ValidationError, codes};

/// Stored members compared with a new one, at most (a mobile typed for a whole village must not
/// make a save slow).
const CANDIDATES_MAX: u32 = 500;

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
        issues
            .warnings
            .extend(self.person_warnings(&form.members, None, member_name)?);
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
        warnings.extend(self.person_warnings(&form.members, None, member_name)?);
        let new = checked.value.seal(self.sealer, self.worker)?;
        let id = self.store.create_household(&new)?;
        Ok(SavedHousehold {
            id,
            code: new.household.code.to_string(),
            member_ids: new.members.iter().map(|m| m.id).collect(),
            warnings,
        })
    }

    /// Errors and warnings of a member about to join `household`, without saving.
    pub fn check_member(&self, household: HouseholdId, draft: &MemberDraft) -> Result<Issues> {
        let mut issues = Issues::new();
        self.sealable(
            std::slice::from_ref(draft),
            |_| "aadhaar".to_owned(),
            &mut issues,
        );
        draft.check(&mut issues, "", self.today);
        let one = std::slice::from_ref(draft);
        issues
            .warnings
            .extend(self.duplicate_warnings(one, |_| "aadhaar".to_owned())?);
        issues
            .warnings
            .extend(self.person_warnings(one, Some(household), |_| "given_name".to_owned())?);
        Ok(issues)
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
        warnings.extend(self.person_warnings(
            std::slice::from_ref(draft),
            Some(household),
            |_| "given_name".to_owned(),
        )?);
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

    /// `member.possible_duplicate` warnings (see [`person_warnings_of`]).
    fn person_warnings(
        &self,
        members: &[MemberDraft],
        household: Option<HouseholdId>,
        field: impl Fn(usize) -> String,
    ) -> Result<Vec<Issue>> {
        let mobiles: Vec<String> = members
            .iter()
            .filter_map(|m| m.mobile.as_deref())
            .filter_map(|m| validate::mobile(&mut Issues::new(), "mobile", m))
            .map(|m| m.as_str().to_owned())
            .collect();
        if household.is_none() && mobiles.is_empty() {
            return Ok(person_warnings_of(members, None, &[], field));
        }
        let stored = self
            .store
            .dedup_candidates(household, &mobiles, CANDIDATES_MAX)?;
        Ok(person_warnings_of(members, household, &stored, field))
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

/// Members of a form that look like a person already on the device, or like an earlier member
/// of the same form: `member.possible_duplicate` warnings (never errors: twins exist, and the
/// supervisor decides). Compared only with members sharing the household or a mobile number,
/// the links every fuzzy match needs ([`dedup`]).
fn person_warnings_of(
    members: &[MemberDraft],
    household: Option<HouseholdId>,
    stored: &[dedup::Candidate],
    field: impl Fn(usize) -> String,
) -> Vec<Issue> {
    // Members of one form share a household that is not stored yet.
    const NEW_HOUSEHOLD: [u8; 16] = [0xff; 16];
    let home = household.map_or(NEW_HOUSEHOLD, |h| *h.as_bytes());
    let drafts: Vec<dedup::Person> = members
        .iter()
        .map(|m| dedup::Person {
            given_name: &m.given_name,
            middle_name: m.middle_name.as_deref(),
            family_name: m.family_name.as_deref(),
            name_latin: m.name_latin.as_deref(),
            birth: Some(m.birth_date.as_str()),
            gender: Some(m.gender.as_str()),
            mobile: m.mobile.as_deref(),
            household: Some(&home),
            aadhaar_token: None,
        })
        .collect();
    let mut out = Issues::new();
    for (i, d) in drafts.iter().enumerate() {
        let best = stored
            .iter()
            .filter_map(|c| dedup::compare(d, &c.person()).map(|m| (m, c.member_id)))
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score));
        let reasons = |m: &dedup::Match| {
            let codes: Vec<&str> = m.reasons.iter().map(|r| r.code()).collect();
            codes.join(",")
        };
        if let Some((m, id)) = best {
            out.warn_with(
                &field(i),
                codes::MEMBER_POSSIBLE_DUPLICATE,
                &[("member_id", id.to_string()), ("reasons", reasons(&m))],
            );
        } else if let Some((j, m)) = drafts[..i]
            .iter()
            .enumerate()
            .find_map(|(j, e)| dedup::compare(d, e).map(|m| (j, m)))
        {
            out.warn_with(
                &field(i),
                codes::MEMBER_POSSIBLE_DUPLICATE,
                &[("member_index", j.to_string()), ("reasons", reasons(&m))],
            );
        }
    }
    out.warnings
}

fn member_name(i: usize) -> String {
    format!("members[{i}].given_name")
}

fn member_aadhaar(i: usize) -> String {
    format!("members[{i}].aadhaar")
}

fn invalid(errors: Vec<Issue>, warnings: Vec<Issue>) -> StoreError {
    StoreError::Validation(ValidationError { errors, warnings })
}
