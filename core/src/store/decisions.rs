//! Supervisors' decisions as records: written at the hub, read on the tablet.
//!
//! A supervisor sends an ABHA request back to the worker with a note, dismisses it with a reason,
//! or decides that two members are one person (merge) or two (distinct). Each decision is a
//! [`EntityKind::Review`] record of its own, never edited, placed in the member's village, so it
//! syncs to the tablets there like any record: the worker reads the note beside the request, and
//! a merged member disappears with the reason recorded. The hub adds the effects (the request's
//! state, the merged member's tombstone) in the same change set, so a tablet never sees one
//! without the other.

use rusqlite::params;
use serde::Serialize;

use super::error::Result;
use super::queries::uuid_col;
use super::{Change, Store};
use crate::ids::{MemberId, ReviewId};
use crate::oplog::{EntityKind, Value};

/// What a supervisor decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Back to the worker for correction, with a note.
    SendBack,
    /// Not to be pursued, with a reason.
    Dismiss,
    /// Tried again now.
    Retry,
    /// The member is the same person as `other_member_id`, who is kept.
    Merge,
    /// The member and `other_member_id` are different people.
    Distinct,
}

impl ReviewAction {
    /// Every action.
    pub const ALL: [Self; 5] = [
        Self::SendBack,
        Self::Dismiss,
        Self::Retry,
        Self::Merge,
        Self::Distinct,
    ];
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::SendBack => "send_back",
            Self::Dismiss => "dismiss",
            Self::Retry => "retry",
            Self::Merge => "merge",
            Self::Distinct => "distinct",
        }
    }
    /// From a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == s)
    }
}

/// Reasons a supervisor may give for dismissing a request (codes the apps translate).
pub const DISMISS_REASONS: [&str; 6] = [
    "duplicate_entry",
    "person_moved_away",
    "person_deceased",
    "consent_withdrawn",
    "already_has_abha",
    "other",
];

/// Longest note, in characters.
pub const NOTE_MAX: usize = 500;

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    /// Fresh id.
    pub id: ReviewId,
    /// The member it is about (placement).
    pub member_id: MemberId,
    /// The record decided on (an enrolment, or the member merged away).
    pub subject_id: uuid::Uuid,
    /// What.
    pub action: ReviewAction,
    /// Merge: the member kept; distinct: the other member.
    pub other_member_id: Option<MemberId>,
    /// Dismiss: one of [`DISMISS_REASONS`].
    pub reason_code: Option<String>,
    /// For the worker (already trimmed and at most [`NOTE_MAX`] characters).
    pub note: Option<String>,
    /// The supervisor's user name.
    pub decided_by: String,
}

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Id.
    pub id: ReviewId,
    /// Member.
    pub member_id: Option<MemberId>,
    /// Record decided on.
    pub subject_id: Option<uuid::Uuid>,
    /// Action code.
    pub action: Option<String>,
    /// The other member.
    pub other_member_id: Option<MemberId>,
    /// Reason code.
    pub reason_code: Option<String>,
    /// Note for the worker.
    pub note: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (Unix ms).
    pub decided_at: Option<i64>,
}

/// Writes the ops of a decision into an open change.
pub fn review_ops(c: &mut Change<'_>, r: &NewReview) -> Result<()> {
    let at = c.now_ms() as i64;
    let mut fields = vec![
        ("member_id", Value::uuid(r.member_id.as_uuid())),
        ("subject_id", Value::uuid(&r.subject_id)),
        ("action", Value::Text(r.action.code().to_owned())),
        ("decided_by", Value::Text(r.decided_by.clone())),
        ("decided_at", Value::Int(at)),
    ];
    if let Some(o) = r.other_member_id {
        fields.push(("other_member_id", Value::uuid(o.as_uuid())));
    }
    if let Some(code) = &r.reason_code {
        fields.push(("reason_code", Value::Text(code.clone())));
    }
    if let Some(n) = &r.note {
        fields.push(("note", Value::Text(n.chars().take(NOTE_MAX).collect())));
    }
    c.set_all(EntityKind::Review, *r.id.as_uuid(), fields)
}

const COLS: &str = "id, member_id, subject_id, action, other_member_id, reason_code, note,
                    decided_by, decided_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Review>> {
    let Some(id) = uuid_col(r, 0, ReviewId::from_uuid)? else {
        return Ok(None);
    };
    Ok(Some(Review {
        id,
        member_id: uuid_col(r, 1, MemberId::from_uuid)?,
        subject_id: uuid_col(r, 2, |u| u)?,
        action: r.get(3)?,
        other_member_id: uuid_col(r, 4, MemberId::from_uuid)?,
        reason_code: r.get(5)?,
        note: r.get(6)?,
        decided_by: r.get(7)?,
        decided_at: r.get(8)?,
    }))
}

impl Store {
    /// Decisions about `subject` (an enrolment or member id), newest first.
    pub fn reviews_of(&self, subject: &uuid::Uuid) -> Result<Vec<Review>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM reviews WHERE deleted = 0 AND (subject_id = ?1 OR member_id = ?1)
                  ORDER BY decided_at DESC, pk DESC"
            ))?;
            let rows = st.query_map(params![subject.as_bytes().as_slice()], row)?;
            Ok(rows
                .filter_map(|r| r.transpose())
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The latest `limit` decisions this store holds, newest first.
    pub fn recent_reviews(&self, limit: u32) -> Result<Vec<Review>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM reviews WHERE deleted = 0 ORDER BY decided_at DESC, pk DESC LIMIT ?1"
            ))?;
            let rows = st.query_map([limit], row)?;
            Ok(rows
                .filter_map(|r| r.transpose())
                .collect::<rusqlite::Result<_>>()?)
        })
    }
}
