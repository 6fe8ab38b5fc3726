//! Reads for review on the device: what a supervisor (or the worker) must look at.
//!
//! A supervisor's tablet holds its villages' records after a sync, so two questions are answered
//! locally, offline: which ABHA requests ABDM sent back or refused (needing correction, rejected,
//! waiting to be retried), and which members look like the same person because their Aadhaar
//! tokens match. Devices with unsynced work are the hub's knowledge and come from its API.

use rusqlite::params;

use super::Store;
use super::error::Result;
use super::queries::{ENROLLMENT_COLS, MEMBER_COLS, enrollment_row, member_row};
use crate::model::{Enrollment, EnrollmentState, Member};

/// Members that look like one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// Why they were grouped: `aadhaar.duplicate` (same Aadhaar token).
    pub reason: &'static str,
    /// The members, oldest first.
    pub members: Vec<Member>,
}

/// The states a request needs someone's attention in.
pub const ATTENTION_STATES: [EnrollmentState; 3] = [
    EnrollmentState::NeedsCorrection,
    EnrollmentState::Rejected,
    EnrollmentState::RetryLater,
];

impl Store {
    /// Requests in `states` that no later attempt corrects, oldest first, at most `limit`.
    pub fn enrollments_in(
        &self,
        states: &[EnrollmentState],
        limit: u32,
    ) -> Result<Vec<Enrollment>> {
        let codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
        let json = serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into());
        self.read(|conn| {
            let sql = format!(
                "SELECT {ENROLLMENT_COLS} FROM enrollments e
                  WHERE e.deleted = 0 AND e.state IN (SELECT value FROM json_each(?1))
                    AND NOT EXISTS (SELECT 1 FROM enrollments n
                                     WHERE n.attempt_of = e.id AND n.deleted = 0)
                  ORDER BY e.created_at, e.pk LIMIT ?2"
            );
            let mut st = conn.prepare_cached(&sql)?;
            let rows = st.query_map(params![json, limit], enrollment_row)?;
            Ok(rows
                .filter_map(|r| r.transpose())
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Groups of live members sharing an Aadhaar token, at most `limit` groups.
    pub fn duplicate_groups(&self, limit: u32) -> Result<Vec<DuplicateGroup>> {
        self.read(|conn| {
            let mut tokens = conn.prepare_cached(
                "SELECT aadhaar_token FROM members
                  WHERE aadhaar_token IS NOT NULL AND deleted = 0
                  GROUP BY aadhaar_token HAVING count(*) > 1
                  ORDER BY min(pk) LIMIT ?1",
            )?;
            let tokens: Vec<Vec<u8>> = tokens
                .query_map([limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let sql = format!(
                "SELECT {MEMBER_COLS} FROM members m
                  WHERE m.aadhaar_token = ?1 AND m.deleted = 0 ORDER BY m.pk"
            );
            let mut members = conn.prepare_cached(&sql)?;
            let mut out = Vec::with_capacity(tokens.len());
            for t in tokens {
                let ms = members
                    .query_map([t], member_row)?
                    .collect::<rusqlite::Result<_>>()?;
                out.push(DuplicateGroup {
                    reason: "aadhaar.duplicate",
                    members: ms,
                });
            }
            Ok(out)
        })
    }
}
