//! Which ABHA cards there are to print: the enrolments ABDM created (or linked) in an area,
//! newest first, each with whether its card was already handed out.
//!
//! Why a list: NHA asks that an assisted enrollee leaves with a card, and at a camp the desk that
//! prints is not the tablet that enrolled. The list carries ids, the household's printed code,
//! the village and times only; the card itself (names, numbers) is drawn when a row's link is
//! opened, which is audited (`card.print`). "Printed" is read from that audit trail.

use std::collections::HashSet;

use abha_core::ids::{EnrollmentId, VillageId};
use abha_core::store::Store;
use rusqlite::params;

use super::{CardError, Result};
use crate::review::in_area;

/// One enrolment whose card can be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printable {
    /// The enrolment (the card's id in its URL).
    pub enrollment: EnrollmentId,
    /// The household's printed code.
    pub household_code: Option<String>,
    /// The household's village.
    pub village: Option<VillageId>,
    /// `created` or `linked`.
    pub state: String,
    /// When the request was captured (Unix ms).
    pub captured_at: Option<i64>,
    /// Whether a card of it was already drawn (any format, anyone).
    pub printed: bool,
}

/// Printable cards in the villages of `villages_json` ([`crate::review::Area::json_ids`]),
/// newest first, at most `limit`; only those not printed yet if `unprinted`.
pub fn printable(
    store: &Store,
    villages_json: &str,
    unprinted: bool,
    limit: u32,
) -> Result<Vec<Printable>> {
    let (rows, printed_ids) = store
        .read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT e.id, h.code, h.village_id, e.state, e.created_at
                       FROM enrollments e
                       JOIN members m ON m.id = e.member_id AND m.deleted = 0
                       JOIN households h ON h.id = m.household_id AND h.deleted = 0
                      WHERE e.deleted = 0 AND e.state IN ('created', 'linked')
                        AND e.abha_number IS NOT NULL AND e.abha_number <> ''
                        AND {}
                      ORDER BY e.created_at DESC, e.pk DESC LIMIT ?2",
                in_area("h.village_id", 1)
            ))?;
            let rows = st
                .query_map(params![villages_json, limit], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let printed = c
                .prepare_cached(
                    "SELECT DISTINCT subject FROM hub_audit
                      WHERE action = 'card.print' AND subject IS NOT NULL",
                )?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<HashSet<_>>>()?;
            Ok((rows, printed))
        })
        .map_err(CardError::Store)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, code, village, state, at)| {
            let id = uuid::Uuid::from_slice(&id).ok()?;
            let enrollment = EnrollmentId::from_uuid(id);
            let printed = printed_ids.contains(&enrollment.to_string());
            Some(Printable {
                enrollment,
                household_code: code,
                village: village.and_then(|v| VillageId::from_slice(&v).ok()),
                state: state.unwrap_or_default(),
                captured_at: at,
                printed,
            })
        })
        .filter(|p| !(unprinted && p.printed))
        .collect())
}
