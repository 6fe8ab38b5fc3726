//! Exports for HMIS and state portals: a FHIR R4 bundle of Patient resources ([`fhir`]) and a
//! CSV per village ([`csv`]).
//!
//! Both read the same rows ([`members`]): live members of the chosen villages with their
//! household, village and ABHA identifiers. The ABHA number comes from the member record, or
//! else from the member's latest enrollment that ABDM answered with one (the bridge writes both;
//! a tablet's copy may lag). Nothing of Aadhaar is exported, not even the last four digits: state
//! portals match on the ABHA number, and an export file travels further than the hub.

pub mod csv;
pub mod fhir;

use abha_core::ids::VillageId;
use abha_core::store::{Result, Store};
use serde::Serialize;

/// One member as the exports carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    /// Member id (UUID).
    pub member_id: String,
    /// Household id (UUID).
    pub household_id: String,
    /// Household's printable code.
    pub household_code: Option<String>,
    /// LGD state code.
    pub state_code: Option<u32>,
    /// LGD district code.
    pub district_code: Option<u32>,
    /// LGD sub-district code.
    pub subdistrict_code: Option<u32>,
    /// LGD village code.
    pub village_code: Option<u32>,
    /// Village name.
    pub village_name: Option<String>,
    /// Given name, as recorded (any script).
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin spelling of the name, if recorded.
    pub name_latin: Option<String>,
    /// `M`, `F` or `O`.
    pub gender: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: Option<String>,
    /// Mobile number.
    pub mobile: Option<String>,
    /// Relation to the head of household.
    pub relation: Option<String>,
    /// Household address.
    pub address: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
    /// ABHA number, 14 digits as recorded (hyphenated or not).
    pub abha_number: Option<String>,
    /// ABHA address.
    pub abha_address: Option<String>,
    /// State of the latest ABHA request, if any.
    pub enrollment_state: Option<String>,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

fn uuid_text(b: &[u8]) -> String {
    uuid::Uuid::from_slice(b)
        .map(|u| u.to_string())
        .unwrap_or_default()
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// Live members of `villages` (all villages when `None`), ordered by village, household and
/// capture time.
pub fn members(store: &Store, villages: Option<&[VillageId]>) -> Result<Vec<MemberRow>> {
    let ids = crate::review::json_village_ids(villages.unwrap_or_default().iter());
    let all = villages.is_none();
    store.read(|c| {
        let mut st = c.prepare_cached(&format!(
            "SELECT m.id, m.household_id, h.code, v.state_code, v.district_code,
                    v.subdistrict_code, v.village_code, v.name, m.given_name, m.middle_name,
                    m.family_name, m.name_latin, m.gender, m.birth_date, m.mobile, m.relation,
                    h.address, h.pincode,
                    COALESCE(NULLIF(m.abha_number, ''), e.abha_number),
                    COALESCE(NULLIF(m.abha_address, ''), e.abha_address),
                    e.state, m.created_at
               FROM members m
               JOIN households h ON h.id = m.household_id AND h.deleted = 0
               LEFT JOIN villages v ON v.id = h.village_id
               LEFT JOIN enrollments e ON e.pk = (
                    SELECT pk FROM enrollments x
                     WHERE x.member_id = m.id AND x.deleted = 0
                     ORDER BY (x.abha_number IS NOT NULL) DESC, x.created_at DESC, x.pk DESC
                     LIMIT 1)
              WHERE m.deleted = 0
                AND (?1 OR {})
              ORDER BY v.village_code, h.code, m.created_at, m.pk",
            crate::review::in_area("h.village_id", 2)
        ))?;
        let rows = st
            .query_map(rusqlite::params![all, ids], |r| {
                Ok(MemberRow {
                    member_id: uuid_text(&r.get::<_, Vec<u8>>(0)?),
                    household_id: uuid_text(&r.get::<_, Vec<u8>>(1)?),
                    household_code: r.get(2)?,
                    state_code: r.get(3)?,
                    district_code: r.get(4)?,
                    subdistrict_code: r.get(5)?,
                    village_code: r.get(6)?,
                    village_name: r.get(7)?,
                    given_name: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                    middle_name: nonempty(r.get(9)?),
                    family_name: nonempty(r.get(10)?),
                    name_latin: nonempty(r.get(11)?),
                    gender: nonempty(r.get(12)?),
                    birth_date: nonempty(r.get(13)?),
                    mobile: nonempty(r.get(14)?),
                    relation: nonempty(r.get(15)?),
                    address: nonempty(r.get(16)?),
                    pincode: nonempty(r.get(17)?),
                    abha_number: nonempty(r.get(18)?),
                    abha_address: nonempty(r.get(19)?),
                    enrollment_state: r.get(20)?,
                    created_at: r.get(21)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// `value` as an ABHA number in its display form `NN-NNNN-NNNN-NNNN`, or as recorded when it is
/// not one (the exports never drop what the hub holds).
pub(crate) fn abha_display(value: &str) -> String {
    value
        .parse::<abha_core::validate::AbhaNumber>()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|_| value.to_owned())
}
