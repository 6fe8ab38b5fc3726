//! What supervisors and camp organisers review at the hub: the camp's day-end, work still pending
//! or quarantined, suspected duplicates and coverage against targets, and the decisions they take.
//!
//! Every query here takes an [`Area`]: the villages the caller may see, resolved once from the
//! caller's districts (a dashboard user) or villages (an API token). The dashboard pages and the
//! JSON API call the same functions with the same area, so a supervisor of one district sees
//! nothing of another through either door.

pub mod coverage;
pub mod dayend;
pub mod duplicates;
pub mod pending;
pub mod svg;

use std::collections::{BTreeMap, BTreeSet};

use abha_core::ids::VillageId;
use abha_core::model::Village;
use abha_core::store::{Store, StoreError};

/// Review errors. Client mistakes carry a `code` the API returns with a 4xx.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The record does not exist, or lies outside the caller's area (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The request is malformed or not allowed in the record's state (`code` says which).
    #[error("refused: {code}")]
    Refused {
        /// Machine code, e.g. `review.not_pending`.
        code: &'static str,
        /// Field, if one is at fault.
        field: Option<&'static str>,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ReviewError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

impl ReviewError {
    pub(crate) fn refused(code: &'static str, field: Option<&'static str>) -> Self {
        Self::Refused { code, field }
    }
}

/// Result of review work.
pub type Result<T, E = ReviewError> = std::result::Result<T, E>;

/// Who may see what: all villages, or those of some districts, or a list of villages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every village (state users, administrators).
    All,
    /// The villages of these LGD districts.
    Districts(BTreeSet<u32>),
    /// These villages (an API token scoped like a device).
    Villages(BTreeSet<VillageId>),
}

/// The villages a caller may see, resolved against the hub's village master.
#[derive(Debug, Clone, Default)]
pub struct Area {
    villages: BTreeMap<VillageId, Village>,
}

impl Area {
    /// Resolves `reach` against the villages the hub holds.
    pub fn resolve(store: &Store, reach: &Reach) -> Result<Self> {
        let villages = store
            .villages()?
            .into_iter()
            .filter(|v| match reach {
                Reach::All => true,
                Reach::Districts(d) => d.contains(&v.lgd.district),
                Reach::Villages(ids) => ids.contains(&v.id),
            })
            .map(|v| (v.id, v))
            .collect();
        Ok(Self { villages })
    }

    /// An area of exactly these villages (tests, the terminal report).
    pub fn of(villages: impl IntoIterator<Item = Village>) -> Self {
        Self {
            villages: villages.into_iter().map(|v| (v.id, v)).collect(),
        }
    }

    /// Whether `village` is in the area.
    pub fn contains(&self, village: &VillageId) -> bool {
        self.villages.contains_key(village)
    }

    /// The village, if in the area.
    pub fn village(&self, id: &VillageId) -> Option<&Village> {
        self.villages.get(id)
    }

    /// The villages, by LGD village code.
    pub fn villages(&self) -> impl Iterator<Item = &Village> {
        let mut v: Vec<&Village> = self.villages.values().collect();
        v.sort_by_key(|v| v.lgd.village);
        v.into_iter()
    }

    /// Village ids as 16-byte blobs in a JSON array, for `json_each` in SQL.
    pub fn json_ids(&self) -> String {
        json_village_ids(self.villages.keys())
    }

    /// Narrows to one village (a filter), which must be in the area.
    pub fn only(&self, village: Option<VillageId>) -> Self {
        match village {
            None => self.clone(),
            Some(id) => Self {
                villages: self
                    .villages
                    .get(&id)
                    .map(|v| (id, v.clone()))
                    .into_iter()
                    .collect(),
            },
        }
    }

    /// Whether the area holds no village.
    pub fn is_empty(&self) -> bool {
        self.villages.is_empty()
    }
}

/// Village ids as 16-byte blobs (hex) in a JSON array, the parameter [`in_area`] reads.
pub(crate) fn json_village_ids<'a>(ids: impl Iterator<Item = &'a VillageId>) -> String {
    let hex: Vec<String> = ids.map(|v| hex::encode(v.as_bytes())).collect();
    serde_json::to_string(&hex).unwrap_or_else(|_| "[]".into())
}

/// SQL fragment: `col` (a village id blob) lies in the area passed as `?N` from [`Area::json_ids`].
pub(crate) fn in_area(col: &str, param: usize) -> String {
    format!("{col} IN (SELECT unhex(value) FROM json_each(?{param}))")
}

/// Unix ms now.
pub(crate) fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// The replica that wrote `field` of a record (from its merge state): for a field written once at
/// capture (`member_id` of a request, `village_id` of a household), the capturing device.
pub(crate) fn author(merge: &[u8], field: &str) -> Option<i64> {
    let state = abha_core::oplog::EntityState::decode(merge)?;
    match state.fields.get(field)? {
        abha_core::oplog::merge::FieldState::Lww(s) => Some(s.origin.as_i64()),
        _ => None,
    }
}

/// A registered device as the reports name it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeviceInfo {
    /// Device id.
    pub id: String,
    /// Label (asset tag).
    pub label: Option<String>,
    /// Camp.
    pub camp: Option<String>,
    /// Last request (Unix ms).
    pub last_seen_at: Option<i64>,
    /// Unsynced change sets it reported at its last hello.
    pub pending_changes: Option<i64>,
    /// Capture time of its oldest unsynced change (Unix ms).
    pub pending_oldest_at: Option<i64>,
    /// Its villages (LGD codes are looked up by the caller).
    pub villages: Vec<VillageId>,
}

/// Devices by replica id, and every worker device by id.
#[derive(Debug, Default)]
pub(crate) struct Devices {
    pub(crate) by_replica: BTreeMap<i64, String>,
    pub(crate) all: BTreeMap<String, DeviceInfo>,
}

impl Devices {
    pub(crate) fn load(conn: &rusqlite::Connection) -> rusqlite::Result<Self> {
        let mut d = Self::default();
        let mut st = conn.prepare_cached("SELECT replica, device_id FROM hub_device_replicas")?;
        for r in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (rep, dev) = r?;
            d.by_replica.insert(rep, dev);
        }
        let mut st = conn.prepare_cached(
            "SELECT id, label, camp, last_seen_at, pending_changes, pending_oldest_at
               FROM hub_devices WHERE role = 'worker' AND revoked_at IS NULL",
        )?;
        for r in st.query_map([], |r| {
            Ok(DeviceInfo {
                id: r.get(0)?,
                label: r.get(1)?,
                camp: r.get(2)?,
                last_seen_at: r.get(3)?,
                pending_changes: r.get(4)?,
                pending_oldest_at: r.get(5)?,
                villages: Vec::new(),
            })
        })? {
            let info = r?;
            d.all.insert(info.id.clone(), info);
        }
        let mut st =
            conn.prepare_cached("SELECT device_id, village_id FROM hub_device_villages")?;
        for r in st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })? {
            let (dev, v) = r?;
            if let (Some(info), Ok(v)) = (d.all.get_mut(&dev), VillageId::from_slice(&v)) {
                info.villages.push(v);
            }
        }
        Ok(d)
    }

    /// The device of a replica.
    pub(crate) fn of(&self, replica: Option<i64>) -> Option<&DeviceInfo> {
        self.all.get(self.by_replica.get(&replica?)?)
    }

    /// Devices that serve some village of the area (or, with `camp`, of that camp).
    pub(crate) fn in_area<'a>(
        &'a self,
        area: &'a Area,
        camp: Option<&'a str>,
    ) -> impl Iterator<Item = &'a DeviceInfo> + 'a {
        self.all.values().filter(move |d| {
            d.villages.iter().any(|v| area.contains(v))
                && camp.is_none_or(|c| d.camp.as_deref() == Some(c))
        })
    }
}

/// Worker names by worker id (operators are staff, not beneficiaries: their names may show).
pub(crate) fn workers(conn: &rusqlite::Connection) -> rusqlite::Result<BTreeMap<Vec<u8>, String>> {
    let mut st = conn
        .prepare_cached("SELECT id, COALESCE(name, asha_id, '') FROM workers WHERE deleted = 0")?;
    st.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
    })?
    .collect()
}

/// Whether a member (live or merged away) lies in the area.
pub fn member_in_area(
    store: &Store,
    area: &Area,
    member: abha_core::ids::MemberId,
) -> Result<bool> {
    use rusqlite::OptionalExtension;
    let v: Option<Vec<u8>> = store.read(|c| {
        Ok(c.query_row(
            "SELECT h.village_id FROM members m JOIN households h ON h.id = m.household_id
              WHERE m.id = ?1",
            [member.as_bytes()],
            |r| r.get(0),
        )
        .optional()?)
    })?;
    Ok(v.and_then(|v| VillageId::from_slice(&v).ok())
        .is_some_and(|v| area.contains(&v)))
}
