//! Work not yet done: records still on a device, and ABHA requests at the hub that ABDM has not
//! finished, grouped by why they wait, with their ages; and the supervisor's three actions on a
//! request: retry now, send back to the worker with a note, dismiss with a reason.
//!
//! A request's groups: `waiting_for_aadhaar` (the sealed number has not been handed in yet),
//! `queued` (ready for the ABDM bridge), `submitting`, `retry_later:<reason>` (ABDM was
//! unavailable), `awaiting_camp_otp`, `no_bridge` (this hub does not talk to ABDM; the request
//! waits for the upstream hub), and the quarantined ones that need a person:
//! `needs_correction:<reason>` and `rejected:<reason>`. A request dismissed, or superseded by a
//! corrected attempt, is no longer pending.
//!
//! Actions write the decision ([`abha_core::store::decisions`]) and its effect in one change set
//! with the audit entry, so a tablet gets the note with the state, and the log cannot disagree
//! with what happened.

use abha_core::ids::{EnrollmentId, MemberId, ReviewId, VillageId};
use abha_core::model::EnrollmentState;
use abha_core::oplog::{EntityKind, Value};
use abha_core::store::Store;
use abha_core::store::decisions::{self, DISMISS_REASONS, NOTE_MAX, NewReview, ReviewAction};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Area, Devices, Result, ReviewError, author, in_area, now_ms, workers};
use crate::audit::{self, Actor};

/// A request waiting at the hub.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRequest {
    /// Request id.
    pub enrollment_id: String,
    /// Member id.
    pub member_id: String,
    /// Household's printable code.
    pub household_code: Option<String>,
    /// LGD village code.
    pub village_code: u32,
    /// Village name.
    pub village: String,
    /// Route code.
    pub route: String,
    /// State code.
    pub state: String,
    /// Reason code of the last non-success.
    pub reason_code: Option<String>,
    /// Group (see the module doc).
    pub group: String,
    /// Whether a person must act (needs correction, rejected, or retried many times).
    pub quarantined: bool,
    /// Capturing device.
    pub device_id: Option<String>,
    /// Its label.
    pub device_label: Option<String>,
    /// Worker name.
    pub worker: Option<String>,
    /// Captured at (Unix ms).
    pub captured_at: Option<i64>,
    /// How long it sat on the device before the hub saw it (ms), when known.
    pub on_device_ms: Option<i64>,
    /// How long since capture (ms).
    pub age_ms: Option<i64>,
    /// ABDM calls made.
    pub attempts: i64,
    /// The last supervisor note sent with it.
    pub note: Option<String>,
}

/// Unsynced work a device reported.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceBacklog {
    /// Device id.
    pub device_id: String,
    /// Label.
    pub label: Option<String>,
    /// Camp.
    pub camp: Option<String>,
    /// Change sets not yet at the hub.
    pub changes: i64,
    /// Age of the oldest (ms).
    pub oldest_ms: Option<i64>,
    /// Last contact (Unix ms).
    pub last_seen_at: Option<i64>,
}

/// One group of waiting requests.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Group code.
    pub reason: String,
    /// Whether it needs a person.
    pub quarantined: bool,
    /// Requests, oldest first.
    pub items: Vec<PendingRequest>,
}

/// Everything pending in an area.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// Devices holding unsynced work.
    pub devices: Vec<DeviceBacklog>,
    /// Waiting requests by group, quarantined groups first.
    pub groups: Vec<Group>,
}

/// Filters of the pending list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One village (LGD code).
    pub village: Option<u32>,
    /// One worker (name as shown) or device id.
    pub worker: Option<String>,
}

/// Retries after which a waiting request counts as quarantined.
const QUARANTINE_ATTEMPTS: i64 = 5;

fn group_of(state: &str, reason: Option<&str>, job: Option<&str>, route: &str) -> (String, bool) {
    let r = reason.unwrap_or("unknown");
    match state {
        "needs_correction" => (format!("needs_correction:{r}"), true),
        "rejected" => (format!("rejected:{r}"), true),
        "retry_later" => (format!("retry_later:{r}"), false),
        _ => match (job, route) {
            (Some("waiting"), _) => ("waiting_for_aadhaar".into(), false),
            (Some("submitting"), _) => ("submitting".into(), false),
            (Some(_), _) => ("queued".into(), false),
            (None, "aadhaar_otp") => ("awaiting_camp_otp".into(), false),
            (None, _) => ("no_bridge".into(), false),
        },
    }
}

/// What is pending in `area`.
pub fn pending(store: &Store, area: &Area, filter: &Filter) -> Result<Pending> {
    let area = match filter.village {
        Some(code) => area.only(Some(VillageId::from_lgd(code))),
        None => area.clone(),
    };
    let now = now_ms();
    store.read(|conn| {
        let devices = Devices::load(conn)?;
        let names = workers(conn)?;
        let sql = format!(
            "SELECT e.id, e.member_id, e.route, e.state, e.reason_code, e.created_at, e.created_by,
                    e.merge, h.code, h.village_id, j.status, j.attempts, j.created_at,
                    (SELECT r.note FROM reviews r WHERE r.subject_id = e.id AND r.deleted = 0
                      AND r.action = 'send_back' ORDER BY r.decided_at DESC LIMIT 1)
               FROM enrollments e
               JOIN members m ON m.id = e.member_id AND m.deleted = 0
               JOIN households h ON h.id = m.household_id
               LEFT JOIN abdm_jobs j ON j.enrollment_id = e.id
              WHERE e.deleted = 0 AND e.state NOT IN ('created', 'linked') AND {}
                AND NOT EXISTS (SELECT 1 FROM enrollments n WHERE n.attempt_of = e.id AND n.deleted = 0)
                AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.subject_id = e.id
                                  AND r.action = 'dismiss' AND r.deleted = 0)
              ORDER BY e.created_at, e.pk",
            in_area("h.village_id", 1)
        );
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map([area.json_ids()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
                r.get::<_, Vec<u8>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Vec<u8>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<i64>>(11)?,
                r.get::<_, Option<i64>>(12)?,
                r.get::<_, Option<String>>(13)?,
            ))
        })?;
        let mut groups: std::collections::BTreeMap<(bool, String), Vec<PendingRequest>> =
            Default::default();
        for row in rows {
            let (id, member, route, state, reason, created, by, merge, code, village, job, attempts, seen, note) =
                row?;
            let (Ok(id), Ok(member), Ok(village)) = (
                EnrollmentId::from_slice(&id),
                MemberId::from_slice(&member),
                VillageId::from_slice(&village),
            ) else {
                continue;
            };
            let Some(v) = area.village(&village) else { continue };
            let route = route.unwrap_or_default();
            let state = state.unwrap_or_else(|| "queued".into());
            let device = devices.of(author(&merge, "member_id"));
            let worker = by.as_ref().and_then(|b| names.get(b)).cloned();
            if let Some(w) = &filter.worker {
                let hit = worker.as_deref() == Some(w.as_str())
                    || device.is_some_and(|d| &d.id == w || d.label.as_deref() == Some(w.as_str()));
                if !hit {
                    continue;
                }
            }
            let attempts = attempts.unwrap_or(0);
            let (group, mut quarantined) = group_of(&state, reason.as_deref(), job.as_deref(), &route);
            quarantined |= attempts >= QUARANTINE_ATTEMPTS;
            let item = PendingRequest {
                enrollment_id: id.to_string(),
                member_id: member.to_string(),
                household_code: code,
                village_code: v.lgd.village,
                village: v.name.clone(),
                route,
                state,
                reason_code: reason,
                group: group.clone(),
                quarantined,
                device_id: device.map(|d| d.id.clone()),
                device_label: device.and_then(|d| d.label.clone()),
                worker,
                captured_at: created,
                on_device_ms: seen.zip(created).map(|(s, c)| (s - c).max(0)),
                age_ms: created.map(|c| (now - c).max(0)),
                attempts,
                note,
            };
            groups.entry((!quarantined, group)).or_default().push(item);
        }
        let devices = devices
            .in_area(&area, None)
            .filter(|d| d.pending_changes.unwrap_or(0) > 0)
            .filter(|d| {
                filter
                    .worker
                    .as_ref()
                    .is_none_or(|w| &d.id == w || d.label.as_deref() == Some(w.as_str()))
            })
            .map(|d| DeviceBacklog {
                device_id: d.id.clone(),
                label: d.label.clone(),
                camp: d.camp.clone(),
                changes: d.pending_changes.unwrap_or(0),
                oldest_ms: d.pending_oldest_at.map(|t| (now - t).max(0)),
                last_seen_at: d.last_seen_at,
            })
            .collect();
        Ok(Pending {
            devices,
            groups: groups
                .into_iter()
                .map(|((open, reason), items)| Group {
                    reason,
                    quarantined: !open,
                    items,
                })
                .collect(),
        })
    })
    .map_err(ReviewError::from)
}

/// The request's member, state and village, if it lies in `area`.
fn locate(store: &Store, area: &Area, id: EnrollmentId) -> Result<(MemberId, String)> {
    let row: Option<(Vec<u8>, Option<String>, Vec<u8>)> = store.read(|c| {
        Ok(c.query_row(
            "SELECT e.member_id, e.state, h.village_id FROM enrollments e
               JOIN members m ON m.id = e.member_id JOIN households h ON h.id = m.household_id
              WHERE e.id = ?1 AND e.deleted = 0",
            [id.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
    })?;
    let (member, state, village) = row.ok_or(ReviewError::NotFound)?;
    let village = VillageId::from_slice(&village).map_err(|_| ReviewError::NotFound)?;
    if !area.contains(&village) {
        return Err(ReviewError::NotFound);
    }
    let member = MemberId::from_slice(&member).map_err(|_| ReviewError::NotFound)?;
    Ok((member, state.unwrap_or_default()))
}

fn is_open(state: &str) -> bool {
    EnrollmentState::parse(state).is_none_or(|s| !s.is_final())
}

/// Tries a waiting request again now (the ABDM bridge picks it up at once).
pub fn retry(store: &Store, area: &Area, id: EnrollmentId, actor: &Actor) -> Result<()> {
    let (_member, state) = locate(store, area, id)?;
    if !is_open(&state) {
        return Err(ReviewError::refused("review.not_retryable", None));
    }
    let now = now_ms();
    store.extension_write(|tx| {
        let job: Option<String> = tx
            .query_row(
                "SELECT status FROM abdm_jobs WHERE enrollment_id = ?1",
                [id.as_bytes()],
                |r| r.get(0),
            )
            .optional()?;
        match job.as_deref() {
            None => return Ok(Err(ReviewError::refused("review.no_bridge", None))),
            Some("waiting") => {
                return Ok(Err(ReviewError::refused("review.waiting_for_device", None)));
            }
            Some("done") => return Ok(Err(ReviewError::refused("review.not_retryable", None))),
            Some(_) => {}
        }
        tx.execute(
            "UPDATE abdm_jobs SET next_at = ?2, updated_at = ?2 WHERE enrollment_id = ?1",
            params![id.as_bytes(), now],
        )?;
        audit::append_tx(
            tx,
            actor,
            "enrollment.retry",
            Some(&id.to_string()),
            &serde_json::json!({"state": state}),
        )?;
        Ok(Ok(()))
    })??;
    Ok(())
}

fn clean_note(note: Option<&str>) -> Result<Option<String>> {
    let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if n.chars().count() > NOTE_MAX {
        return Err(ReviewError::refused("review.note_too_long", Some("note")));
    }
    if n.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ReviewError::refused("review.note_invalid", Some("note")));
    }
    Ok(Some(n.to_owned()))
}

fn decide(
    store: &Store,
    actor: &Actor,
    review: NewReview,
    state: Option<(EnrollmentState, &'static str)>,
    wipe: bool,
) -> Result<ReviewId> {
    let subject = review.subject_id.to_string();
    let detail = serde_json::json!({
        "member_id": review.member_id.to_string(),
        "reason_code": review.reason_code,
        "note_chars": review.note.as_ref().map(|n| n.chars().count()),
    });
    let action = format!("enrollment.{}", review.action.code());
    store.write("review.decide", |c| {
        c.describe(review.subject_id);
        decisions::review_ops(c, &review)?;
        if let Some((s, reason)) = state {
            c.set_all(
                EntityKind::Enrollment,
                review.subject_id,
                [
                    ("state", Value::Text(s.code().into())),
                    ("reason_code", Value::Text(reason.into())),
                ],
            )?;
        }
        if wipe {
            // Not pursued: the sealed Aadhaar number is no longer needed at the hub.
            let sealed: Option<i64> = c
                .tx()
                .query_row(
                    "SELECT aadhaar_sealed_at FROM members WHERE id = ?1 AND aadhaar_ciphertext IS NOT NULL",
                    [review.member_id.as_bytes()],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if let Some(at) = sealed {
                c.wipe_aadhaar(review.member_id, at)?;
            }
        }
        audit::append_tx(c.tx(), actor, &action, Some(&subject), &detail)?;
        Ok(())
    })?;
    Ok(review.id)
}

/// Sends a request back to the worker for correction, with a note that reaches the tablet.
pub fn send_back(
    store: &Store,
    area: &Area,
    id: EnrollmentId,
    note: Option<&str>,
    actor: &Actor,
) -> Result<ReviewId> {
    let (member, state) = locate(store, area, id)?;
    let note =
        clean_note(note)?.ok_or(ReviewError::refused("review.note_required", Some("note")))?;
    if matches!(state.as_str(), "created" | "linked") {
        return Err(ReviewError::refused("review.already_done", None));
    }
    let review = NewReview {
        id: ReviewId::new(),
        member_id: member,
        subject_id: *id.as_uuid(),
        action: ReviewAction::SendBack,
        other_member_id: None,
        reason_code: None,
        note: Some(note),
        decided_by: actor.name.clone(),
    };
    // The state lattice keeps a later outcome (rejected) if ABDM answered meanwhile.
    decide(
        store,
        actor,
        review,
        Some((EnrollmentState::NeedsCorrection, "review.sent_back")),
        false,
    )
}

/// Dismisses a request with one of [`DISMISS_REASONS`]: it leaves the pending lists, and an open
/// request is closed as rejected (`review.dismissed`) so the bridge stops.
pub fn dismiss(
    store: &Store,
    area: &Area,
    id: EnrollmentId,
    reason: &str,
    note: Option<&str>,
    actor: &Actor,
) -> Result<ReviewId> {
    let reason = DISMISS_REASONS
        .into_iter()
        .find(|r| *r == reason.trim())
        .ok_or(ReviewError::refused("review.bad_reason", Some("reason")))?;
    let note = clean_note(note)?;
    let (member, state) = locate(store, area, id)?;
    if matches!(state.as_str(), "created" | "linked") {
        return Err(ReviewError::refused("review.already_done", None));
    }
    let existing = store
        .reviews_of(id.as_uuid())?
        .into_iter()
        .find(|r| r.action.as_deref() == Some("dismiss"));
    if let Some(r) = existing {
        return Ok(r.id);
    }
    let review = NewReview {
        id: ReviewId::new(),
        member_id: member,
        subject_id: *id.as_uuid(),
        action: ReviewAction::Dismiss,
        other_member_id: None,
        reason_code: Some(reason.to_owned()),
        note,
        decided_by: actor.name.clone(),
    };
    let close = is_open(&state).then_some((EnrollmentState::Rejected, "review.dismissed"));
    decide(store, actor, review, close, true)
}
