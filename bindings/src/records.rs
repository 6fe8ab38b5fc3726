//! Records crossing to Kotlin, and their conversions from and to the core's types.
//!
//! Inputs are raw text as typed (the core validates); outputs are plain values with string ids,
//! so Kotlin data classes stay simple. Records that hold personal data print only their ids in
//! Rust's `Debug`.

use abha_core::ids::{EnrollmentId, HouseholdId, MemberId, VillageId};
use abha_core::model::{
    Enrollment, Household, HouseholdDraft, HouseholdForm, Member, MemberDraft, Village,
};
use abha_core::store::{HouseholdSummary, PendingCounts};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{FieldError, FieldIssue};

/// An Aadhaar number as typed. The digits stay in native memory that is wiped when the
/// object is freed; `toString` shows nothing of them.
#[derive(uniffi::Object)]
pub struct AadhaarEntry(pub(crate) Zeroizing<String>);

impl std::fmt::Debug for AadhaarEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AadhaarEntry(..)")
    }
}

#[uniffi::export]
impl AadhaarEntry {
    /// Takes the number as typed (spaces and hyphens allowed; validated on check or save).
    #[uniffi::constructor]
    pub fn new(digits: String) -> Arc<Self> {
        Arc::new(Self(Zeroizing::new(digits)))
    }

    /// The last 4 digits typed, for showing `XXXX XXXX 1234` while the form is open.
    pub fn masked(&self) -> String {
        let digits: String = self.0.chars().filter(char::is_ascii_digit).collect();
        let tail = digits.len().saturating_sub(4);
        format!("XXXX XXXX {}", &digits[tail..])
    }
}

/// A member as typed on the form.
#[derive(Clone, Default, uniffi::Record)]
pub struct MemberInput {
    /// Given name (required), any script.
    pub given_name: String,
    /// Middle name.
    #[uniffi(default = None)]
    pub middle_name: Option<String>,
    /// Family name.
    #[uniffi(default = None)]
    pub family_name: Option<String>,
    /// Latin transliteration of the full name.
    #[uniffi(default = None)]
    pub name_latin: Option<String>,
    /// `M`, `F` or `O`.
    pub gender: String,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub birth_date: String,
    /// Relation to the head: `head`, `spouse`, `son`, `daughter`, ...
    pub relation: String,
    /// Mobile number.
    #[uniffi(default = None)]
    pub mobile: Option<String>,
    /// Aadhaar number as typed, held in wiped native memory (an object, so Kotlin's
    /// generated `toString` cannot print it); sealed on save, never stored or logged.
    #[uniffi(default = None)]
    pub aadhaar: Option<Arc<AadhaarEntry>>,
    /// An existing ABHA number (typed or scanned).
    #[uniffi(default = None)]
    pub abha_number: Option<String>,
    /// An existing ABHA address.
    #[uniffi(default = None)]
    pub abha_address: Option<String>,
}

impl std::fmt::Debug for MemberInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberInput(..)")
    }
}

impl MemberInput {
    pub(crate) fn into_draft(self) -> MemberDraft {
        MemberDraft {
            given_name: self.given_name,
            middle_name: self.middle_name,
            family_name: self.family_name,
            name_latin: self.name_latin,
            gender: self.gender,
            birth_date: self.birth_date,
            mobile: self.mobile,
            relation: self.relation,
            aadhaar: self.aadhaar.map(|a| a.0.clone()),
            abha_number: self.abha_number,
            abha_address: self.abha_address,
        }
    }
}

/// A household with its members as typed on the form.
#[derive(Clone, Default, uniffi::Record)]
pub struct HouseholdInput {
    /// LGD code of the village (one of the device's villages).
    #[uniffi(default = None)]
    pub village_code: Option<u32>,
    /// Address line.
    pub address: String,
    /// PIN code.
    #[uniffi(default = None)]
    pub pincode: Option<String>,
    /// GPS latitude.
    #[uniffi(default = None)]
    pub lat: Option<f64>,
    /// GPS longitude.
    #[uniffi(default = None)]
    pub lon: Option<f64>,
    /// The members.
    pub members: Vec<MemberInput>,
}

impl std::fmt::Debug for HouseholdInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HouseholdInput({} members)", self.members.len())
    }
}

impl HouseholdInput {
    pub(crate) fn into_form(self) -> HouseholdForm {
        HouseholdForm {
            household: HouseholdDraft {
                village_id: self.village_code.map(VillageId::from_lgd),
                address: self.address,
                pincode: self.pincode,
                lat: self.lat,
                lon: self.lon,
            },
            members: self
                .members
                .into_iter()
                .map(MemberInput::into_draft)
                .collect(),
        }
    }
}

/// The result of checking a form without saving it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormCheck {
    /// Problems that block saving.
    pub errors: Vec<FieldIssue>,
    /// Problems worth a look.
    pub warnings: Vec<FieldIssue>,
}

/// A saved household.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SavedHousehold {
    /// Id.
    pub id: String,
    /// Printable code, e.g. `K3M9-QXD7`.
    pub code: String,
    /// The members' ids, in form order.
    pub member_ids: Vec<String>,
    /// Warnings (possible duplicates, doubtful check digits).
    pub warnings: Vec<FieldIssue>,
}

/// A saved member.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SavedMember {
    /// Id.
    pub id: String,
    /// Household.
    pub household_id: String,
    /// Warnings.
    pub warnings: Vec<FieldIssue>,
}

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HouseholdSummaryRecord {
    /// Id.
    pub id: String,
    /// Printable code.
    pub code: String,
    /// Village id.
    pub village_id: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Head's given name.
    pub head_name: Option<String>,
    /// Live members.
    pub member_count: u32,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

impl From<HouseholdSummary> for HouseholdSummaryRecord {
    fn from(h: HouseholdSummary) -> Self {
        Self {
            id: h.id.to_string(),
            code: h.code,
            village_id: h.village_id.map(|v| v.to_string()),
            address: h.address,
            head_name: h.head_name,
            member_count: h.member_count,
            created_at: h.created_at,
        }
    }
}

/// A member as stored.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct MemberRecord {
    /// Id.
    pub id: String,
    /// Current household.
    pub household_id: Option<String>,
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
    /// `XXXX XXXX 1234`, if an Aadhaar number was captured.
    pub aadhaar_masked: Option<String>,
    /// Whether the sealed number is still held (until ABDM has answered).
    pub aadhaar_sealed: bool,
    /// ABHA number.
    pub abha_number: Option<String>,
    /// ABHA address.
    pub abha_address: Option<String>,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

impl std::fmt::Debug for MemberRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemberRecord({})", self.id)
    }
}

impl From<Member> for MemberRecord {
    fn from(m: Member) -> Self {
        Self {
            id: m.id.to_string(),
            household_id: m.household_id.map(|h| h.to_string()),
            given_name: m.given_name,
            middle_name: m.middle_name,
            family_name: m.family_name,
            name_latin: m.name_latin,
            gender: m.gender,
            birth_date: m.birth_date,
            mobile: m.mobile,
            relation: m.relation,
            aadhaar_masked: m.aadhaar_masked,
            aadhaar_sealed: m.aadhaar_sealed,
            abha_number: m.abha_number,
            abha_address: m.abha_address,
            created_at: m.created_at,
        }
    }
}

/// A household as stored, with its members.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdRecord {
    /// Id.
    pub id: String,
    /// Printable code.
    pub code: String,
    /// Village id.
    pub village_id: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
    /// Latitude (degrees).
    pub lat: Option<f64>,
    /// Longitude (degrees).
    pub lon: Option<f64>,
    /// Head of household.
    pub head_member_id: Option<String>,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
    /// Live members, oldest first.
    pub members: Vec<MemberRecord>,
}

impl HouseholdRecord {
    pub(crate) fn new(h: Household, members: Vec<Member>) -> Self {
        Self {
            id: h.id.to_string(),
            code: h.code,
            village_id: h.village_id.map(|v| v.to_string()),
            address: h.address,
            pincode: h.pincode,
            lat: h.lat_e6.map(|v| v as f64 / 1e6),
            lon: h.lon_e6.map(|v| v as f64 / 1e6),
            head_member_id: h.head_member_id.map(|m| m.to_string()),
            created_at: h.created_at,
            members: members.into_iter().map(MemberRecord::from).collect(),
        }
    }
}

/// A village on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VillageRecord {
    /// Id (derived from the LGD village code).
    pub id: String,
    /// LGD state code.
    pub state_code: u32,
    /// LGD district code.
    pub district_code: u32,
    /// LGD sub-district code.
    pub subdistrict_code: u32,
    /// LGD village code.
    pub village_code: u32,
    /// Name as published.
    pub name: String,
}

impl From<Village> for VillageRecord {
    fn from(v: Village) -> Self {
        Self {
            id: v.id.to_string(),
            state_code: v.lgd.state,
            district_code: v.lgd.district,
            subdistrict_code: v.lgd.subdistrict,
            village_code: v.lgd.village,
            name: v.name,
        }
    }
}

/// An ABHA request and where it is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnrollmentRecord {
    /// Id.
    pub id: String,
    /// Member.
    pub member_id: Option<String>,
    /// `demo_auth`, `aadhaar_otp` or `link_existing`.
    pub route: Option<String>,
    /// `captured`, `queued`, `received`, `submitting`, `retry_later`, `needs_correction`,
    /// `rejected`, `linked`, `created`.
    pub state: Option<String>,
    /// Machine code of a non-success (`abdm.demographic_mismatch`, ...).
    pub reason_code: Option<String>,
    /// The ABHA number created or linked.
    pub abha_number: Option<String>,
    /// The earlier attempt this one corrects.
    pub attempt_of: Option<String>,
    /// Requested at (Unix ms).
    pub created_at: Option<i64>,
}

impl From<Enrollment> for EnrollmentRecord {
    fn from(e: Enrollment) -> Self {
        Self {
            id: e.id.to_string(),
            member_id: e.member_id.map(|m| m.to_string()),
            route: e.route,
            state: e.state,
            reason_code: e.reason_code,
            abha_number: e.abha_number,
            attempt_of: e.attempt_of.map(|a| a.to_string()),
            created_at: e.created_at,
        }
    }
}

/// Work on this device the hub has not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PendingWork {
    /// Local changes not yet acknowledged.
    pub changes: u64,
    /// Ops in them.
    pub ops: u64,
    /// Changes that keep failing and need attention.
    pub wedged: u64,
    /// When the oldest pending change was made (Unix ms).
    pub oldest_at: Option<i64>,
    /// Open identity conflicts.
    pub conflicts: u64,
}

impl PendingWork {
    pub(crate) fn new(p: PendingCounts, conflicts: u64) -> Self {
        Self {
            changes: p.changes,
            ops: p.ops,
            wedged: p.wedged,
            oldest_at: p.oldest_at,
            conflicts,
        }
    }
}

fn parse_id<T: std::str::FromStr>(field: &str, s: &str) -> Result<T, FieldError> {
    s.trim()
        .parse()
        .map_err(|_| FieldError::invalid(field, "id.format"))
}

/// Any record id (UUID), for queries that take several kinds.
/// (Parsed as a member id: every record id is a UUID.)
pub(crate) fn parse_record_id(s: &str) -> Result<MemberId, FieldError> {
    parse_id("record_id", s)
}

pub(crate) fn parse_household_id(s: &str) -> Result<HouseholdId, FieldError> {
    parse_id("household_id", s)
}

pub(crate) fn parse_member_id(s: &str) -> Result<MemberId, FieldError> {
    parse_id("member_id", s)
}

pub(crate) fn parse_enrollment_id(s: &str) -> Result<EnrollmentId, FieldError> {
    parse_id("enrollment_id", s)
}

/// A supervisor's decision about a record, as the tablet receives it by sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReviewRecord {
    /// Id.
    pub id: String,
    /// The member it is about.
    pub member_id: Option<String>,
    /// The record decided on (an ABHA request, or the member merged away).
    pub subject_id: Option<String>,
    /// `send_back`, `dismiss`, `retry`, `merge` or `distinct`.
    pub action: Option<String>,
    /// Merge: the member kept; distinct: the other member.
    pub other_member_id: Option<String>,
    /// Dismiss reason code.
    pub reason_code: Option<String>,
    /// The supervisor's note for the worker.
    pub note: Option<String>,
    /// The supervisor's user name.
    pub decided_by: Option<String>,
    /// When (Unix ms).
    pub decided_at: Option<i64>,
}

impl From<abha_core::store::Review> for ReviewRecord {
    fn from(r: abha_core::store::Review) -> Self {
        Self {
            id: r.id.to_string(),
            member_id: r.member_id.map(|m| m.to_string()),
            subject_id: r.subject_id.map(|s| s.to_string()),
            action: r.action,
            other_member_id: r.other_member_id.map(|m| m.to_string()),
            reason_code: r.reason_code,
            note: r.note,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        }
    }
}
