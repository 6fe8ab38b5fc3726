//! Domain writes: each a single [`Store::write`] that turns validated records into ops.
//!
//! These take the *validated* types from [`crate::model`], so nothing unvalidated and no
//! plaintext Aadhaar number can reach the store. Only fields that have a value produce ops.

use rusqlite::OptionalExtension;

use super::error::{Result, StoreError};
use super::{Change, Store};
use crate::ids::{ConsentId, EnrollmentId, HouseholdId, MemberId, VillageId, WorkerId};
use crate::model::{
    EnrollmentState, Facility, NewConsent, NewEnrollment, NewMember, Relation, Village, Worker,
};
use crate::oplog::schema::MEMBER_HOUSEHOLD;
use crate::oplog::{EntityKind, Value};

pub use crate::model::form::NewHouseholdWithMembers;

fn txt(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn id(u: &uuid::Uuid) -> Value {
    Value::uuid(u)
}

fn member_ops(
    c: &mut Change<'_>,
    household: HouseholdId,
    m: &NewMember,
    created_by: Option<WorkerId>,
) -> Result<()> {
    let e = *m.id.as_uuid();
    let mut fields: Vec<(&'static str, Value)> = vec![
        ("given_name", txt(&m.given_name)),
        ("gender", txt(gender_code(m.gender))),
        ("birth_date", txt(&m.birth_date.to_string())),
        ("relation", txt(m.relation.code())),
    ];
    let optional = [
        ("middle_name", m.middle_name.as_deref().map(txt)),
        ("family_name", m.family_name.as_deref().map(txt)),
        ("name_latin", m.name_latin.as_deref().map(txt)),
        ("mobile", m.mobile.as_ref().map(|x| txt(x.as_str()))),
        (
            "abha_number",
            m.abha_number.as_ref().map(|x| txt(x.as_str())),
        ),
        (
            "abha_address",
            m.abha_address.as_ref().map(|x| txt(&x.to_string())),
        ),
        ("created_by", created_by.map(|w| id(w.as_uuid()))),
        ("aadhaar_last4", m.aadhaar.as_ref().map(|a| txt(&a.last4))),
        (
            "aadhaar_token",
            m.aadhaar
                .as_ref()
                .map(|a| Value::Bytes(a.token.as_bytes().to_vec())),
        ),
    ];
    fields.extend(optional.into_iter().filter_map(|(n, v)| v.map(|v| (n, v))));
    c.set_all(EntityKind::Member, e, fields)?;
    c.add(
        EntityKind::Member,
        e,
        MEMBER_HOUSEHOLD,
        id(household.as_uuid()),
    )?;
    if let Some(sealed) = &m.aadhaar {
        c.seal_aadhaar(m.id, sealed);
    }
    Ok(())
}

fn gender_code(g: crate::validate::Gender) -> &'static str {
    use crate::validate::Gender;
    match g {
        Gender::Male => "M",
        Gender::Female => "F",
        Gender::Other => "O",
    }
}

fn enrollment_ops(
    c: &mut Change<'_>,
    r: &NewEnrollment,
    attempt_of: Option<EnrollmentId>,
    created_by: Option<WorkerId>,
) -> Result<()> {
    let mut fields = vec![
        ("member_id", id(r.member_id.as_uuid())),
        ("route", txt(r.route.code())),
        ("state", txt(EnrollmentState::Queued.code())),
        ("consent_id", id(r.consent_id.as_uuid())),
    ];
    if let Some(a) = attempt_of {
        fields.push(("attempt_of", id(a.as_uuid())));
    }
    if let Some(w) = created_by {
        fields.push(("created_by", id(w.as_uuid())));
    }
    c.set_all(EntityKind::Enrollment, *r.id.as_uuid(), fields)
}

/// A request rests on a recorded consent of the same member (abdm.md 6.1): anything else is a
/// field error on `consent_id`, and nothing is written.
fn consent_given(c: &Change<'_>, r: &NewEnrollment) -> Result<()> {
    let found: Option<i64> = c
        .tx()
        .prepare_cached("SELECT 1 FROM consents WHERE id = ?1 AND member_id = ?2 AND deleted = 0")?
        .query_row([r.consent_id.as_bytes(), r.member_id.as_bytes()], |row| {
            row.get(0)
        })
        .optional()?;
    if found.is_some() {
        return Ok(());
    }
    let mut issues = crate::validate::Issues::new();
    issues.error("consent_id", "consent.missing");
    Err(StoreError::Validation(crate::validate::ValidationError {
        errors: issues.errors,
        warnings: Vec::new(),
    }))
}

fn live_member(c: &Change<'_>, m: MemberId) -> Result<()> {
    let deleted: Option<i64> = c
        .tx()
        .prepare_cached("SELECT deleted FROM members WHERE id = ?1")?
        .query_row([m.as_bytes()], |r| r.get(0))
        .optional()?;
    match deleted {
        Some(0) => Ok(()),
        _ => Err(StoreError::NotFound {
            entity: "member",
            id: m.to_string(),
        }),
    }
}

fn live_household(c: &Change<'_>, h: HouseholdId) -> Result<()> {
    let deleted: Option<i64> = c
        .tx()
        .prepare_cached("SELECT deleted FROM households WHERE id = ?1")?
        .query_row([h.as_bytes()], |r| r.get(0))
        .optional()?;
    match deleted {
        Some(0) => Ok(()),
        _ => Err(StoreError::NotFound {
            entity: "household",
            id: h.to_string(),
        }),
    }
}

impl Store {
    /// Adds or updates a village (master data).
    pub fn put_village(&self, v: &Village) -> Result<VillageId> {
        self.write("village.put", |c| {
            c.set_all(
                EntityKind::Village,
                *v.id.as_uuid(),
                [
                    ("state_code", Value::Int(v.lgd.state.into())),
                    ("district_code", Value::Int(v.lgd.district.into())),
                    ("subdistrict_code", Value::Int(v.lgd.subdistrict.into())),
                    ("village_code", Value::Int(v.lgd.village.into())),
                    ("name", txt(&v.name)),
                ],
            )?;
            Ok(v.id)
        })
    }

    /// Adds a worker.
    pub fn add_worker(&self, w: &Worker) -> Result<WorkerId> {
        self.write("worker.add", |c| {
            c.set_all(
                EntityKind::Worker,
                *w.id.as_uuid(),
                [
                    ("asha_id", txt(&w.asha_id)),
                    ("name", txt(&w.name)),
                    (
                        "hpr_id",
                        Value::opt_text(w.hpr_id.as_ref().map(|h| h.as_str())),
                    ),
                ],
            )?;
            Ok(w.id)
        })
    }

    /// Adds a facility or camp.
    pub fn add_facility(&self, f: &Facility) -> Result<()> {
        self.write("facility.add", |c| {
            c.set_all(
                EntityKind::Facility,
                *f.id.as_uuid(),
                [
                    ("hfr_id", txt(f.hfr_id.as_str())),
                    ("name", txt(&f.name)),
                    ("kind", txt(f.kind.code())),
                ],
            )
        })
    }

    /// Creates a household with its members in one atomic change. The member whose relation is
    /// `head` becomes the head of household.
    pub fn create_household(&self, new: &NewHouseholdWithMembers) -> Result<HouseholdId> {
        let h = &new.household;
        self.write("household.create", |c| {
            let e = *h.id.as_uuid();
            c.describe(e);
            let head = new.members.iter().find(|m| m.relation == Relation::Head);
            let mut fields = vec![
                ("village_id", id(h.village_id.as_uuid())),
                ("code", txt(&h.code.to_string())),
                ("address", txt(&h.address)),
            ];
            if let Some(p) = &h.pincode {
                fields.push(("pincode", txt(p.as_str())));
            }
            if let Some(g) = h.gps {
                fields.push(("lat_e6", Value::Int(g.lat_e6)));
                fields.push(("lon_e6", Value::Int(g.lon_e6)));
            }
            if let Some(m) = head {
                fields.push(("head_member_id", id(m.id.as_uuid())));
            }
            if let Some(w) = new.created_by {
                fields.push(("created_by", id(w.as_uuid())));
            }
            c.set_all(EntityKind::Household, e, fields)?;
            for m in &new.members {
                member_ops(c, h.id, m, new.created_by)?;
            }
            Ok(h.id)
        })
    }

    /// Adds a member to an existing household.
    pub fn add_member(
        &self,
        household: HouseholdId,
        m: &NewMember,
        created_by: Option<WorkerId>,
    ) -> Result<MemberId> {
        self.write("member.add", |c| {
            live_household(c, household)?;
            c.describe(*m.id.as_uuid());
            member_ops(c, household, m, created_by)?;
            if m.relation == Relation::Head {
                c.set(
                    EntityKind::Household,
                    *household.as_uuid(),
                    "head_member_id",
                    id(m.id.as_uuid()),
                )?;
            }
            Ok(m.id)
        })
    }

    /// Corrects fields of a member (validated by [`crate::model::MemberPatch::check`]).
    pub fn update_member(
        &self,
        member: MemberId,
        fields: Vec<(&'static str, Value)>,
    ) -> Result<()> {
        self.write("member.update", |c| {
            live_member(c, member)?;
            c.describe(*member.as_uuid());
            c.set_all(EntityKind::Member, *member.as_uuid(), fields)
        })
    }

    /// Corrects fields of a household (validated by [`crate::model::HouseholdPatch::check`]).
    pub fn update_household(
        &self,
        household: HouseholdId,
        fields: Vec<(&'static str, Value)>,
    ) -> Result<()> {
        self.write("household.update", |c| {
            live_household(c, household)?;
            c.set_all(EntityKind::Household, *household.as_uuid(), fields)
        })
    }

    /// Moves a member to another household: removes every membership this replica sees and adds
    /// the new one (an add-wins set: a concurrent edit elsewhere is kept, a stale re-send of the
    /// old membership does not bring it back).
    pub fn move_member(&self, member: MemberId, to: HouseholdId) -> Result<()> {
        self.write("member.move", |c| {
            live_member(c, member)?;
            live_household(c, to)?;
            c.describe(*member.as_uuid());
            let current: Option<Vec<u8>> = c
                .tx()
                .prepare_cached("SELECT household_id FROM members WHERE id = ?1")?
                .query_row([member.as_bytes()], |r| r.get(0))?;
            if let Some(old) = current.filter(|o| o.as_slice() != to.as_bytes()) {
                c.remove(
                    EntityKind::Member,
                    *member.as_uuid(),
                    MEMBER_HOUSEHOLD,
                    Value::Bytes(old),
                )?;
            }
            c.add(
                EntityKind::Member,
                *member.as_uuid(),
                MEMBER_HOUSEHOLD,
                id(to.as_uuid()),
            )
        })
    }

    /// Tombstones a member.
    pub fn delete_member(&self, member: MemberId) -> Result<()> {
        self.write("member.delete", |c| {
            live_member(c, member)?;
            c.delete(EntityKind::Member, *member.as_uuid())
        })
    }

    /// Tombstones a household. Its members stay (they may be moved elsewhere).
    pub fn delete_household(&self, household: HouseholdId) -> Result<()> {
        self.write("household.delete", |c| {
            live_household(c, household)?;
            c.delete(EntityKind::Household, *household.as_uuid())
        })
    }

    /// Records a consent.
    pub fn record_consent(&self, k: &NewConsent) -> Result<ConsentId> {
        self.write("consent.record", |c| {
            c.set_all(
                EntityKind::Consent,
                *k.id.as_uuid(),
                [
                    ("member_id", id(k.member_id.as_uuid())),
                    ("code", txt(crate::model::consent::ABHA_ENROLLMENT)),
                    ("version", txt(&k.version)),
                    ("language", txt(&k.language)),
                    ("given_by", txt(k.given_by.code())),
                    ("guardian_name", Value::opt_text(k.guardian_name.clone())),
                    ("method", txt(k.method.code())),
                    ("operator_id", id(k.operator_id.as_uuid())),
                    ("given_at", Value::Int(c.now_ms() as i64)),
                    ("text_sha256", txt(&k.text_sha256)),
                ],
            )?;
            Ok(k.id)
        })
    }

    /// Resubmits a request ABDM sent back for correction (`needs_correction`): the member's
    /// corrected fields (validated by [`crate::model::MemberPatch::check`]), the Aadhaar number
    /// sealed again from the card (the first seal was discarded once ABDM answered), and a new
    /// request whose `attempt_of` names the old one, all in one transaction. The old request's
    /// outcome is never rewritten.
    pub fn resubmit_enrollment(
        &self,
        old: EnrollmentId,
        new: &NewEnrollment,
        member_fields: Vec<(&'static str, Value)>,
        aadhaar: Option<&crate::seal::SealedAadhaar>,
        created_by: Option<WorkerId>,
    ) -> Result<EnrollmentId> {
        self.write("enrollment.resubmit", |c| {
            let row: Option<(Option<Vec<u8>>, Option<String>)> = c
                .tx()
                .prepare_cached("SELECT member_id, state FROM enrollments WHERE id = ?1")?
                .query_row([old.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((member, state)) = row else {
                return Err(StoreError::NotFound {
                    entity: "enrollment",
                    id: old.to_string(),
                });
            };
            if member.as_deref() != Some(new.member_id.as_bytes().as_slice())
                || state.as_deref() != Some(EnrollmentState::NeedsCorrection.code())
            {
                return Err(StoreError::InvalidData(
                    "enrollment is not awaiting correction",
                ));
            }
            live_member(c, new.member_id)?;
            let m = *new.member_id.as_uuid();
            c.describe(*new.id.as_uuid());
            let mut fields = member_fields;
            if let Some(a) = aadhaar {
                fields.push(("aadhaar_last4", txt(&a.last4)));
                fields.push(("aadhaar_token", Value::Bytes(a.token.as_bytes().to_vec())));
                c.seal_aadhaar(new.member_id, a);
            }
            if !fields.is_empty() {
                c.set_all(EntityKind::Member, m, fields)?;
            }
            enrollment_ops(c, new, Some(old), created_by)?;
            Ok(new.id)
        })
    }

    /// Records what ABDM answered for a request this device relayed itself (Aadhaar OTP at a
    /// camp): the state (joined into the lattice, so it never moves back), its reason code, and
    /// the ABHA number and address on the request and the member.
    pub fn record_enrollment_outcome(
        &self,
        enrollment: EnrollmentId,
        member: MemberId,
        state: EnrollmentState,
        reason: Option<&str>,
        abha_number: Option<&str>,
        abha_address: Option<&str>,
    ) -> Result<()> {
        self.write("enrollment.outcome", |c| {
            let e = *enrollment.as_uuid();
            c.describe(e);
            let mut fields = vec![("state", txt(state.code()))];
            if let Some(r) = reason {
                fields.push(("reason_code", txt(r)));
            }
            let mut on_member = Vec::new();
            if let Some(n) = abha_number {
                fields.push(("abha_number", txt(n)));
                on_member.push(("abha_number", txt(n)));
            }
            if let Some(a) = abha_address {
                fields.push(("abha_address", txt(a)));
                on_member.push(("abha_address", txt(a)));
            }
            c.set_all(EntityKind::Enrollment, e, fields)?;
            if !on_member.is_empty() {
                live_member(c, member)?;
                c.set_all(EntityKind::Member, *member.as_uuid(), on_member)?;
            }
            Ok(())
        })
    }

    /// Queues a request to create or link an ABHA.
    pub fn request_enrollment(
        &self,
        r: &NewEnrollment,
        created_by: Option<WorkerId>,
    ) -> Result<EnrollmentId> {
        self.write("enrollment.request", |c| {
            live_member(c, r.member_id)?;
            consent_given(c, r)?;
            enrollment_ops(c, r, r.attempt_of, created_by)?;
            Ok(r.id)
        })
    }
}
