//! The field data model, free of I/O.
//!
//! Each record exists in up to three shapes: a *draft* (raw text as typed on a form), a *new*
//! value (validated, with fresh ids, ready to store; Aadhaar sealed) and a *read* value (what the
//! store returns). Drafts validate as a whole and report every invalid field at once, with
//! machine codes the apps translate; see [`crate::validate`].

pub mod consent;
pub mod edit;
pub mod enrollment;
pub mod form;
pub mod household;
pub mod lgd;
pub mod member;
pub mod people;
pub mod text;
pub mod village;

pub use consent::{ConsentDraft, ConsentMethod, GivenBy, NewConsent};
pub use edit::{HouseholdPatch, MemberPatch};
pub use enrollment::{Enrollment, EnrollmentState, NewEnrollment, Route};
pub use form::{HouseholdForm, NewHouseholdWithMembers, ValidHouseholdForm};
pub use household::{Household, HouseholdCode, HouseholdDraft, NewHousehold};
pub use lgd::{Region, RegionLevel};
pub use member::{Member, MemberDraft, NewMember, Relation, ValidMember};
pub use people::{Facility, FacilityDraft, FacilityKind, Worker, WorkerDraft};
pub use village::{LgdCodes, Village, VillageDraft};
