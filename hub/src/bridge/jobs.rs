//! The bridge's job table (`hub/migrations/002_abdm_jobs.sql`) and what a job needs to run.
//!
//! Discovery is idempotent: every demographic-auth request the hub holds that ABDM has not
//! answered gets one row, whatever device or hub it came from and however often it is seen.

use abha_core::ids::{EnrollmentId, MemberId};
use abha_core::store::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, params};

/// A job due to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The request.
    pub enrollment: EnrollmentId,
    /// Its member.
    pub member: MemberId,
    /// Calls made so far.
    pub attempts: u32,
    /// An earlier call may have reached ABDM.
    pub ambiguous: bool,
    /// `true` for linking an existing ABHA (no Aadhaar involved).
    pub link: bool,
}

/// What demographic authentication needs of a member, as captured.
#[derive(Clone)]
pub struct Demographics {
    /// Name as on the Aadhaar card (the Latin spelling when the worker gave one).
    pub name: String,
    /// `M`, `F`, `O`.
    pub gender: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth: String,
    /// Mobile.
    pub mobile: Option<String>,
    /// LGD state code of the member's village.
    pub state_code: i64,
    /// LGD district code.
    pub district_code: i64,
    /// PIN code of the household.
    pub pincode: Option<String>,
    /// Address of the household.
    pub address: Option<String>,
}

impl std::fmt::Debug for Demographics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Demographics(..)")
    }
}

const OPEN_STATES: &str = "('captured', 'queued', 'received', 'submitting', 'retry_later')";

/// Adds a job for every open demographic-auth or link request not yet known. Link requests need
/// no sealed number, so they are ready at once: those are returned.
pub fn discover(store: &Store, now: i64) -> Result<Vec<EnrollmentId>> {
    store.extension_write(|tx| {
        let mut st = tx.prepare_cached(&format!(
            "INSERT OR IGNORE INTO abdm_jobs
               (enrollment_id, member_id, route, status, created_at, updated_at)
             SELECT e.id, e.member_id, e.route,
                    CASE e.route WHEN 'link_existing' THEN 'ready' ELSE 'waiting' END, ?1, ?1
               FROM enrollments e
              WHERE e.route IN ('demo_auth', 'link_existing') AND e.deleted = 0
                AND e.member_id IS NOT NULL AND e.state IN {OPEN_STATES}
             RETURNING enrollment_id, status"
        ))?;
        let rows = st.query_map([now], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut ready = Vec::new();
        for row in rows {
            let (id, status) = row?;
            if status == "ready"
                && let Ok(id) = EnrollmentId::from_slice(&id)
            {
                ready.push(id);
            }
        }
        Ok(ready)
    })
}

/// Moves waiting jobs whose sealed number has arrived to `ready`, and closes jobs whose request
/// was answered elsewhere (another hub) or withdrawn. Returns the requests that became ready.
pub fn refresh(store: &Store, now: i64) -> Result<Vec<EnrollmentId>> {
    store.extension_write(|tx| {
        tx.execute(
            &format!(
                "UPDATE abdm_jobs SET status = 'done', updated_at = ?1,
                        outcome = (SELECT state FROM enrollments e WHERE e.id = enrollment_id)
                  WHERE status != 'done' AND NOT EXISTS (SELECT 1 FROM enrollments e
                        WHERE e.id = enrollment_id AND e.deleted = 0 AND e.state IN {OPEN_STATES})"
            ),
            [now],
        )?;
        let mut st = tx.prepare_cached(
            "UPDATE abdm_jobs SET status = 'ready', updated_at = ?1
              WHERE status = 'waiting' AND EXISTS (SELECT 1 FROM members m
                    WHERE m.id = member_id AND m.aadhaar_ciphertext IS NOT NULL)
              RETURNING enrollment_id",
        )?;
        let ids = st
            .query_map([now], |r| r.get::<_, Vec<u8>>(0))?
            .filter_map(|r| r.ok())
            .filter_map(|b| EnrollmentId::from_slice(&b).ok())
            .collect();
        Ok(ids)
    })
}

/// Up to `limit` ready jobs due at `now`, oldest first, marked `submitting`.
pub fn take_due(store: &Store, now: i64, limit: u32) -> Result<Vec<Job>> {
    store.extension_write(|tx| {
        let mut st = tx.prepare_cached(
            "UPDATE abdm_jobs SET status = 'submitting', updated_at = ?1
              WHERE enrollment_id IN (SELECT enrollment_id FROM abdm_jobs
                    WHERE status = 'ready' AND next_at <= ?1 ORDER BY next_at, created_at LIMIT ?2)
              RETURNING enrollment_id, member_id, attempts, ambiguous, route",
        )?;
        let rows = st.query_map(params![now, limit], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (e, m, attempts, ambiguous, route) = row?;
            let (Ok(enrollment), Ok(member)) =
                (EnrollmentId::from_slice(&e), MemberId::from_slice(&m))
            else {
                continue;
            };
            out.push(Job {
                enrollment,
                member,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                ambiguous: ambiguous != 0,
                link: route == "link_existing",
            });
        }
        Ok(out)
    })
}

/// Puts `submitting` jobs back to `ready` (after a restart mid-call: the call may have reached
/// ABDM, so it counts as ambiguous).
pub fn recover(store: &Store, now: i64) -> Result<usize> {
    store.extension_write(|tx| {
        Ok(tx.execute(
            "UPDATE abdm_jobs SET status = 'ready', ambiguous = 1, updated_at = ?1
              WHERE status = 'submitting'",
            [now],
        )?)
    })
}

/// The earliest time a ready job is due, if any.
pub fn next_due(store: &Store) -> Result<Option<i64>> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT MIN(next_at) FROM abdm_jobs WHERE status = 'ready'",
            [],
            |r| r.get(0),
        )?)
    })
}

/// Reads what the call needs. `None` when the member or its village is incomplete.
pub fn demographics(store: &Store, member: MemberId) -> Result<Option<Demographics>> {
    store.read(|c| {
        c.query_row(
            "SELECT m.given_name, m.middle_name, m.family_name, m.name_latin, m.gender,
                    m.birth_date, m.mobile, v.state_code, v.district_code, h.pincode, h.address
               FROM members m
               LEFT JOIN households h ON h.id = m.household_id
               LEFT JOIN villages v ON v.id = h.village_id
              WHERE m.id = ?1",
            [member.as_bytes()],
            |r| {
                let parts: Vec<Option<String>> = vec![r.get(0)?, r.get(1)?, r.get(2)?];
                let latin: Option<String> = r.get(3)?;
                let name = latin
                    .filter(|l| !l.trim().is_empty())
                    .unwrap_or_else(|| parts.into_iter().flatten().collect::<Vec<_>>().join(" "));
                let (gender, birth): (Option<String>, Option<String>) = (r.get(4)?, r.get(5)?);
                let (state, district): (Option<i64>, Option<i64>) = (r.get(7)?, r.get(8)?);
                Ok(match (gender, birth, state, district) {
                    (Some(gender), Some(birth), Some(state_code), Some(district_code))
                        if !name.trim().is_empty() =>
                    {
                        Some(Demographics {
                            name,
                            gender,
                            birth,
                            mobile: r.get(6)?,
                            state_code,
                            district_code,
                            pincode: r.get(9)?,
                            address: r.get(10)?,
                        })
                    }
                    _ => None,
                })
            },
        )
        .optional()
        .map(Option::flatten)
        .map_err(StoreError::from)
    })
}

/// The ABHA a link request names: the member's address, or its number's default address.
pub fn link_target(store: &Store, member: MemberId) -> Result<Option<(Option<String>, String)>> {
    store.read(|c| {
        let row: Option<(Option<String>, Option<String>)> = c
            .query_row(
                "SELECT abha_number, abha_address FROM members WHERE id = ?1",
                [member.as_bytes()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(number, address)| {
            let target = address.filter(|a| !a.trim().is_empty()).or_else(|| {
                number
                    .as_ref()
                    .map(|n| n.chars().filter(char::is_ascii_digit).collect())
            })?;
            Some((number, target))
        }))
    })
}

/// One row of the job table, for supervisors.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobRow {
    /// Request id.
    pub enrollment_id: String,
    /// Status.
    pub status: String,
    /// Calls made.
    pub attempts: i64,
    /// Last reason code.
    pub last_code: Option<String>,
    /// Final state.
    pub outcome: Option<String>,
    /// Next try (Unix ms).
    pub next_at: i64,
}

/// Every job, newest first.
pub fn list(store: &Store, limit: u32) -> Result<Vec<JobRow>> {
    store.read(|c| {
        let mut st = c.prepare(
            "SELECT enrollment_id, status, attempts, last_code, outcome, next_at FROM abdm_jobs
              ORDER BY created_at DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit], |r| {
            let id: Vec<u8> = r.get(0)?;
            Ok(JobRow {
                enrollment_id: EnrollmentId::from_slice(&id)
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                status: r.get(1)?,
                attempts: r.get(2)?,
                last_code: r.get(3)?,
                outcome: r.get(4)?,
                next_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    })
}
