//! Requests to create or link an ABHA, and their states.
//!
//! Three routes exist (abdm.md §0, §2): demographic authentication queued offline and run by the
//! hub, Aadhaar OTP at a camp relayed through the hub, and linking an ABHA the person already has.
//! A request's state only moves forward: it is merged as a join-semilattice, so a tablet that was
//! offline for weeks cannot put a created ABHA back to "queued". Outcomes rank above progress,
//! and success ranks above everything. A corrected resubmission is a new request whose
//! `attempt_of` names the old one, so the old request's outcome is never rewritten.

use serde::{Deserialize, Serialize};

use crate::ids::{ConsentId, EnrollmentId, MemberId};

/// How the ABHA is to be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Aadhaar demographic authentication, queued offline, run by the hub.
    DemoAuth,
    /// Aadhaar OTP at a camp, online, relayed by the hub.
    AadhaarOtp,
    /// Link an ABHA the person already has (scanned or typed).
    LinkExisting,
}

impl Route {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::DemoAuth => "demo_auth",
            Self::AadhaarOtp => "aadhaar_otp",
            Self::LinkExisting => "link_existing",
        }
    }
    /// From a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::DemoAuth, Self::AadhaarOtp, Self::LinkExisting]
            .into_iter()
            .find(|r| r.code() == s.trim())
    }
}

/// Where a request is. The order of variants is the lattice order used by [`Self::join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentState {
    /// Recorded on the tablet.
    Captured,
    /// Waiting on the tablet for the next sync.
    Queued,
    /// At the hub, waiting for ABDM.
    Received,
    /// The hub is calling ABDM.
    Submitting,
    /// ABDM was unavailable or rate-limited; the hub will retry with backoff.
    RetryLater,
    /// ABDM refused the details (demographic mismatch): the worker must correct and resubmit.
    NeedsCorrection,
    /// ABDM refused for another reason (`reason_code` says which).
    Rejected,
    /// An ABHA already existed for this person and was linked.
    Linked,
    /// A new ABHA was created.
    Created,
}

impl EnrollmentState {
    /// Every state, in lattice order.
    pub const ALL: [EnrollmentState; 9] = [
        Self::Captured,
        Self::Queued,
        Self::Received,
        Self::Submitting,
        Self::RetryLater,
        Self::NeedsCorrection,
        Self::Rejected,
        Self::Linked,
        Self::Created,
    ];
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Captured => "captured",
            Self::Queued => "queued",
            Self::Received => "received",
            Self::Submitting => "submitting",
            Self::RetryLater => "retry_later",
            Self::NeedsCorrection => "needs_correction",
            Self::Rejected => "rejected",
            Self::Linked => "linked",
            Self::Created => "created",
        }
    }
    /// From a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s.trim())
    }
    /// The least upper bound: the merged state of two replicas.
    pub fn join(self, other: Self) -> Self {
        self.max(other)
    }
    /// Whether the request is finished (no further automatic progress).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::NeedsCorrection | Self::Rejected | Self::Linked | Self::Created
        )
    }
}

/// A new request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollment {
    /// Fresh id.
    pub id: EnrollmentId,
    /// For whom.
    pub member_id: MemberId,
    /// How.
    pub route: Route,
    /// The consent it rests on.
    pub consent_id: ConsentId,
    /// The earlier attempt this one corrects.
    pub attempt_of: Option<EnrollmentId>,
}

/// A request as stored (read model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrollment {
    /// Id.
    pub id: EnrollmentId,
    /// Member.
    pub member_id: Option<MemberId>,
    /// Route code.
    pub route: Option<String>,
    /// State code.
    pub state: Option<String>,
    /// Reason code of a non-success.
    pub reason_code: Option<String>,
    /// Resulting ABHA number.
    pub abha_number: Option<String>,
    /// The attempt this corrects.
    pub attempt_of: Option<EnrollmentId>,
    /// The consent it rests on.
    pub consent_id: Option<ConsentId>,
    /// Created at (Unix ms).
    pub created_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_join_is_a_semilattice() {
        for a in EnrollmentState::ALL {
            assert_eq!(a.join(a), a, "idempotent");
            for b in EnrollmentState::ALL {
                assert_eq!(a.join(b), b.join(a), "commutative");
                for c in EnrollmentState::ALL {
                    assert_eq!(a.join(b).join(c), a.join(b.join(c)), "associative");
                }
            }
        }
    }

    #[test]
    fn test_created_is_never_reverted() {
        for s in EnrollmentState::ALL {
            assert_eq!(EnrollmentState::Created.join(s), EnrollmentState::Created);
        }
    }

    #[test]
    fn test_codes_round_trip() {
        for s in EnrollmentState::ALL {
            assert_eq!(EnrollmentState::parse(s.code()), Some(s));
        }
        for r in [Route::DemoAuth, Route::AadhaarOtp, Route::LinkExisting] {
            assert_eq!(Route::parse(r.code()), Some(r));
        }
    }
}
