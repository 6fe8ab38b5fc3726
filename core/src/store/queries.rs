//! Reads for the apps: household lists, details, search, and pending work.
//!
//! All queries run on the read connection and see the last committed state. Deleted
//! (tombstoned) records are hidden.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::Store;
use super::error::{Result, StoreError};
use crate::ids::{ConsentId, EnrollmentId, HouseholdId, MemberId, VillageId, WorkerId};
use crate::model::{Enrollment, Household, LgdCodes, Member, Village};
use crate::validate::{AbhaAddress, AbhaNumber};

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdSummary {
    /// Id.
    pub id: HouseholdId,
    /// Printable code.
    pub code: String,
    /// Village.
    pub village_id: Option<VillageId>,
    /// Address.
    pub address: Option<String>,
    /// Head's given name, if a head is recorded.
    pub head_name: Option<String>,
    /// Live members.
    pub member_count: u32,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

/// A household with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdDetail {
    /// The household.
    pub household: Household,
    /// Its live members, oldest first.
    pub members: Vec<Member>,
}

/// Work on this device the hub has not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct PendingCounts {
    /// Local changes (outbox rows) not yet acknowledged.
    pub changes: u64,
    /// Ops in them.
    pub ops: u64,
    /// Changes that keep failing and need attention.
    pub wedged: u64,
    /// When the oldest pending change was made (Unix ms).
    pub oldest_at: Option<i64>,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Local order.
    pub id: i64,
    /// What kind of change.
    pub label: String,
    /// First op sequence number.
    pub first_seq: u64,
    /// Last op sequence number.
    pub last_seq: u64,
    /// Made at (Unix ms).
    pub created_at: i64,
    /// Upload attempts.
    pub attempts: u32,
    /// Machine code of the last failure.
    pub last_error: Option<String>,
}

pub(super) fn uuid_col<T>(
    r: &Row<'_>,
    i: usize,
    f: impl Fn(uuid::Uuid) -> T,
) -> rusqlite::Result<Option<T>> {
    let b: Option<Vec<u8>> = r.get(i)?;
    Ok(b.and_then(|b| uuid::Uuid::from_slice(&b).ok()).map(f))
}

fn bad_id() -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Blob)
}

pub(super) const MEMBER_COLS: &str =
    "m.id, m.household_id, m.given_name, m.middle_name, m.family_name,
    m.name_latin, m.gender, m.birth_date, m.mobile, m.relation, m.aadhaar_last4,
    m.aadhaar_ciphertext IS NOT NULL, m.abha_number,
    m.abha_address, m.created_by, m.created_at";

pub(super) fn member_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    let last4: Option<String> = r.get(10)?;
    Ok(Member {
        id: uuid_col(r, 0, MemberId::from_uuid)?.ok_or_else(bad_id)?,
        household_id: uuid_col(r, 1, HouseholdId::from_uuid)?,
        given_name: r.get(2)?,
        middle_name: r.get(3)?,
        family_name: r.get(4)?,
        name_latin: r.get(5)?,
        gender: r.get(6)?,
        birth_date: r.get(7)?,
        mobile: r.get(8)?,
        relation: r.get(9)?,
        aadhaar_masked: last4.map(|l| format!("XXXX XXXX {l}")),
        aadhaar_sealed: r.get::<_, i64>(11)? > 0,
        abha_number: r.get(12)?,
        abha_address: r.get(13)?,
        created_by: uuid_col(r, 14, WorkerId::from_uuid)?,
        created_at: r.get(15)?,
    })
}

const SUMMARY_SQL: &str = "SELECT h.id, h.code, h.village_id, h.address,
      (SELECT given_name FROM members hm WHERE hm.id = h.head_member_id AND hm.deleted = 0),
      (SELECT count(*) FROM members m WHERE m.household_id = h.id AND m.deleted = 0),
      h.created_at
    FROM households h";

fn summary_row(r: &Row<'_>) -> rusqlite::Result<HouseholdSummary> {
    Ok(HouseholdSummary {
        id: uuid_col(r, 0, HouseholdId::from_uuid)?.ok_or_else(bad_id)?,
        code: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        village_id: uuid_col(r, 2, VillageId::from_uuid)?,
        address: r.get(3)?,
        head_name: r.get(4)?,
        member_count: r.get(5)?,
        created_at: r.get(6)?,
    })
}

pub(super) const ENROLLMENT_COLS: &str =
    "id, member_id, route, state, reason_code, abha_number, attempt_of, created_at, consent_id";

/// One enrollment row of [`ENROLLMENT_COLS`]; `None` for a row without a readable id.
pub(super) fn enrollment_row(r: &Row<'_>) -> rusqlite::Result<Option<Enrollment>> {
    let Some(id) = uuid_col(r, 0, EnrollmentId::from_uuid)? else {
        return Ok(None);
    };
    Ok(Some(Enrollment {
        id,
        member_id: uuid_col(r, 1, MemberId::from_uuid)?,
        route: r.get(2)?,
        state: r.get(3)?,
        reason_code: r.get(4)?,
        abha_number: r.get(5)?,
        attempt_of: uuid_col(r, 6, EnrollmentId::from_uuid)?,
        created_at: r.get(7)?,
        consent_id: uuid_col(r, 8, ConsentId::from_uuid)?,
    }))
}

fn members_of(conn: &Connection, h: HouseholdId) -> Result<Vec<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLS} FROM members m WHERE m.household_id = ?1 AND m.deleted = 0
         ORDER BY m.id"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map([h.as_bytes()], member_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Households, newest first, optionally in one village.
    pub fn list_households(
        &self,
        village: Option<VillageId>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<HouseholdSummary>> {
        self.read(|conn| {
            let sql = format!(
                "{SUMMARY_SQL} WHERE h.deleted = 0 AND (?1 IS NULL OR h.village_id = ?1)
                 ORDER BY h.id DESC LIMIT ?2 OFFSET ?3"
            );
            let mut st = conn.prepare_cached(&sql)?;
            let v = village.map(|v| v.as_bytes().to_vec());
            let rows = st.query_map(params![v, limit, offset], summary_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Households whose printable code is `code` (normally one).
    pub fn households_by_code(&self, code: &str) -> Result<Vec<HouseholdSummary>> {
        self.read(|conn| {
            let sql = format!("{SUMMARY_SQL} WHERE h.deleted = 0 AND h.code = ?1");
            let mut st = conn.prepare_cached(&sql)?;
            let rows = st.query_map([code], summary_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One line of the household list for one household; `None` if unknown or deleted.
    pub fn household_summary(&self, id: HouseholdId) -> Result<Option<HouseholdSummary>> {
        self.read(|conn| {
            let sql = format!("{SUMMARY_SQL} WHERE h.deleted = 0 AND h.id = ?1");
            let mut st = conn.prepare_cached(&sql)?;
            Ok(st.query_row([id.as_bytes()], summary_row).optional()?)
        })
    }

    /// One household with its members; `NotFound` if unknown or deleted.
    pub fn household(&self, id: HouseholdId) -> Result<HouseholdDetail> {
        self.read(|conn| {
            let h = conn
                .prepare_cached(
                    "SELECT id, code, village_id, address, pincode, lat_e6, lon_e6,
                            head_member_id, created_by, created_at
                     FROM households WHERE id = ?1 AND deleted = 0",
                )?
                .query_row([id.as_bytes()], |r| {
                    Ok(Household {
                        id: uuid_col(r, 0, HouseholdId::from_uuid)?.ok_or_else(bad_id)?,
                        code: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        village_id: uuid_col(r, 2, VillageId::from_uuid)?,
                        address: r.get(3)?,
                        pincode: r.get(4)?,
                        lat_e6: r.get(5)?,
                        lon_e6: r.get(6)?,
                        head_member_id: uuid_col(r, 7, MemberId::from_uuid)?,
                        created_by: uuid_col(r, 8, WorkerId::from_uuid)?,
                        created_at: r.get(9)?,
                    })
                })
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "household",
                    id: id.to_string(),
                })?;
            let members = members_of(conn, id)?;
            Ok(HouseholdDetail {
                household: h,
                members,
            })
        })
    }

    /// One member; `NotFound` if unknown or deleted.
    pub fn member(&self, id: MemberId) -> Result<Member> {
        self.read(|conn| {
            let sql =
                format!("SELECT {MEMBER_COLS} FROM members m WHERE m.id = ?1 AND m.deleted = 0");
            conn.prepare_cached(&sql)?
                .query_row([id.as_bytes()], member_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "member",
                    id: id.to_string(),
                })
        })
    }

    /// The ABHA requests of a member, oldest first (corrections follow what they correct).
    pub fn enrollments_of(&self, member: MemberId) -> Result<Vec<Enrollment>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT {ENROLLMENT_COLS} FROM enrollments
                  WHERE member_id = ?1 AND deleted = 0 ORDER BY created_at, pk"
            );
            let mut st = conn.prepare_cached(&sql)?;
            let rows = st.query_map([member.as_bytes()], enrollment_row)?;
            Ok(rows
                .filter_map(|r| r.transpose())
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Members whose given, middle, family or Latin name contains `query` (NFC, case-insensitive
    /// for Latin letters), at most `limit`, in name order.
    ///
    /// The match runs over the `members_names` index (migration 007; SQLite's planner picks it
    /// as a covering index) with the limit inside the index scan, and only the matching rows are
    /// read from the table: a search nobody matches costs a scan of the names, not of every
    /// member's record. A store without the index (the hub drops it) scans the table instead.
    pub fn search_members(&self, query: &str, limit: u32) -> Result<Vec<Member>> {
        let q: String = query.trim().nfc().collect();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        self.read(|conn| {
            let sql = format!(
                "SELECT {MEMBER_COLS} FROM members m WHERE m.pk IN (
                   SELECT pk FROM members WHERE deleted = 0 AND (
                     given_name LIKE ?1 ESCAPE '\\' OR middle_name LIKE ?1 ESCAPE '\\'
                     OR family_name LIKE ?1 ESCAPE '\\' OR name_latin LIKE ?1 ESCAPE '\\')
                   LIMIT ?2)
                 ORDER BY m.given_name, m.middle_name, m.family_name, m.name_latin, m.id"
            );
            let mut st = conn.prepare_cached(&sql)?;
            let rows = st.query_map(params![pattern, limit], member_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Live members holding `number` or `address` (as scanned from an ABHA card), oldest first,
    /// at most `limit`. An ABHA belongs to one person, so a match means the person scanned is
    /// already on this device: open that member rather than registering them again.
    pub fn members_with_abha(
        &self,
        number: Option<&AbhaNumber>,
        address: Option<&AbhaAddress>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        if number.is_none() && address.is_none() {
            return Ok(Vec::new());
        }
        let number = number.map(|n| n.as_str().to_owned());
        let address = address.map(ToString::to_string);
        self.read(|conn| {
            let sql = format!(
                "SELECT {MEMBER_COLS} FROM members m WHERE m.deleted = 0
                   AND (m.abha_number = ?1 OR m.abha_address = ?2 COLLATE NOCASE)
                 ORDER BY m.created_at, m.id LIMIT ?3"
            );
            let mut st = conn.prepare_cached(&sql)?;
            let rows = st.query_map(params![number, address, limit], member_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Live members a new member could duplicate: those of `household` and those with one of
    /// `mobiles` (10-digit national form), since the matcher ([`crate::dedup`]) needs one of
    /// these links for any fuzzy match. At most `limit`, newest first.
    pub fn dedup_candidates(
        &self,
        household: Option<HouseholdId>,
        mobiles: &[String],
        limit: u32,
    ) -> Result<Vec<crate::dedup::Candidate>> {
        let mobiles = serde_json::to_string(mobiles).unwrap_or_else(|_| "[]".into());
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, household_id, given_name, middle_name, family_name, name_latin,
                        birth_date, gender, mobile, aadhaar_token
                   FROM members
                  WHERE deleted = 0
                    AND (household_id = ?1 OR mobile IN (SELECT value FROM json_each(?2)))
                  ORDER BY created_at DESC, pk DESC LIMIT ?3",
            )?;
            let rows = st.query_map(
                params![household.map(|h| h.as_bytes().to_vec()), mobiles, limit],
                |r| {
                    Ok(crate::dedup::Candidate {
                        member_id: uuid_col(r, 0, MemberId::from_uuid)?.ok_or_else(bad_id)?,
                        household_id: uuid_col(r, 1, HouseholdId::from_uuid)?,
                        given_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        middle_name: r.get(3)?,
                        family_name: r.get(4)?,
                        name_latin: r.get(5)?,
                        birth_date: r.get(6)?,
                        gender: r.get(7)?,
                        mobile: r.get(8)?,
                        aadhaar_token: r.get(9)?,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Live members already holding this Aadhaar token (duplicate check at capture).
    pub fn members_with_aadhaar_token(
        &self,
        token: &crate::seal::AadhaarToken,
    ) -> Result<Vec<MemberId>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id FROM members WHERE aadhaar_token = ?1 AND deleted = 0 ORDER BY id",
            )?;
            let rows = st.query_map([token.as_bytes().as_slice()], |r| {
                uuid_col(r, 0, MemberId::from_uuid)?.ok_or_else(bad_id)
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// All live villages, by code.
    pub fn villages(&self) -> Result<Vec<Village>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, state_code, district_code, subdistrict_code, village_code, name
                 FROM villages WHERE deleted = 0 ORDER BY village_code",
            )?;
            let rows = st.query_map([], |r| {
                Ok(Village {
                    id: uuid_col(r, 0, VillageId::from_uuid)?.ok_or_else(bad_id)?,
                    lgd: LgdCodes {
                        state: r.get::<_, Option<u32>>(1)?.unwrap_or(0),
                        district: r.get::<_, Option<u32>>(2)?.unwrap_or(0),
                        subdistrict: r.get::<_, Option<u32>>(3)?.unwrap_or(0),
                        village: r.get::<_, Option<u32>>(4)?.unwrap_or(0),
                    },
                    name: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Counts of work the hub has not acknowledged.
    pub fn pending(&self) -> Result<PendingCounts> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT count(*), coalesce(sum(last_seq - first_seq + 1), 0),
                        count(wedged_at), min(created_at)
                 FROM outbox",
                [],
                |r| {
                    Ok(PendingCounts {
                        changes: r.get::<_, i64>(0)? as u64,
                        ops: r.get::<_, i64>(1)? as u64,
                        wedged: r.get::<_, i64>(2)? as u64,
                        oldest_at: r.get(3)?,
                    })
                },
            )?)
        })
    }

    /// Open identity conflicts (concurrent different ABHA numbers or Aadhaar tokens).
    pub fn conflict_count(&self) -> Result<u64> {
        self.read(|conn| {
            Ok(
                conn.query_row("SELECT count(*) FROM conflicts", [], |r| r.get::<_, i64>(0))?
                    as u64,
            )
        })
    }

    /// The outbox, oldest first, at most `limit` rows.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, label, first_seq, last_seq, created_at, attempts, last_error
                 FROM outbox ORDER BY id LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(OutboxEntry {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    first_seq: r.get::<_, i64>(2)? as u64,
                    last_seq: r.get::<_, i64>(3)? as u64,
                    created_at: r.get(4)?,
                    attempts: r.get(5)?,
                    last_error: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

impl Store {
    /// Change sets authored by `origin` whose ops come after sequence number `after`, in order, at
    /// most `limit` sets. Each is verified against its digest.
    pub fn changes_from(
        &self,
        origin: crate::ids::ReplicaId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<crate::oplog::ChangeSet>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT first_seq, hlc, ops, digest FROM changes
                 WHERE origin = ?1 AND last_seq > ?2 ORDER BY first_seq LIMIT ?3",
            )?;
            let mut rows = st.query(params![origin.as_i64(), after as i64, limit])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let first = u64::try_from(r.get::<_, i64>(0)?)
                    .map_err(|_| StoreError::InvalidData("first_seq"))?;
                let hlc = crate::oplog::Hlc::from_i64(r.get(1)?)
                    .map_err(|_| StoreError::InvalidData("hlc"))?;
                let ops: Vec<u8> = r.get(2)?;
                let digest: Vec<u8> = r.get(3)?;
                let set = crate::oplog::ChangeSet::decode(origin, first, hlc, &ops, &digest)
                    .map_err(|_| StoreError::InvalidData("stored change set"))?;
                out.push(set);
            }
            Ok(out)
        })
    }

    /// Ops authored by `origin` with sequence numbers above `after`, in order.
    pub fn ops_from(
        &self,
        origin: crate::ids::ReplicaId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<crate::oplog::Op>> {
        let sets = self.changes_from(origin, after, limit)?;
        Ok(sets
            .iter()
            .flat_map(|s| s.ops())
            .filter(|o| o.seq > after)
            .take(limit as usize)
            .collect())
    }
}
