//! Suspected duplicates in an area, and the supervisor's decisions on them.
//!
//! The matcher is the core's ([`abha_core::dedup`]), the same one that warns a worker on the
//! tablet before saving: same Aadhaar token, or a similar name in any script with a compatible
//! birth date or year and the same mobile or household. A pair decided *distinct* is not shown
//! again. *Merge* keeps one member and tombstones the other in one change set with the decision
//! (and the ABHA number moved to the kept member when only the merged one had it), so every
//! tablet of the village converges on one person.

use std::collections::{BTreeMap, BTreeSet};

use abha_core::dedup::{self, Person};
use abha_core::ids::{MemberId, ReviewId, VillageId};
use abha_core::oplog::{EntityKind, Value};
use abha_core::store::Store;
use abha_core::store::decisions::{self, NewReview, ReviewAction};
use serde::Serialize;

use super::{Area, Result, ReviewError, in_area};
use crate::audit::{self, Actor};

/// A member as the duplicates page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Suspect {
    /// Member id.
    pub member_id: String,
    /// Household id.
    pub household_id: String,
    /// Household's printable code.
    pub household_code: Option<String>,
    /// LGD village code.
    pub village_code: u32,
    /// Village name.
    pub village: String,
    /// Name as recorded.
    pub name: String,
    /// Latin spelling, if recorded.
    pub name_latin: Option<String>,
    /// Gender code.
    pub gender: Option<String>,
    /// Birth date or year.
    pub birth: Option<String>,
    /// Last 4 digits of the mobile.
    pub mobile_last4: Option<String>,
    /// ABHA number.
    pub abha_number: Option<String>,
    /// Captured at (Unix ms).
    pub created_at: Option<i64>,
}

/// Two members that look like one person.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// The older record.
    pub a: Suspect,
    /// The newer record.
    pub b: Suspect,
    /// Similarity (0..=1).
    pub score: f32,
    /// Why (codes such as `same_aadhaar_token`, `similar_name`).
    pub reasons: Vec<&'static str>,
}

struct Row {
    id: Vec<u8>,
    household: Vec<u8>,
    household_code: Option<String>,
    village: Vec<u8>,
    given: String,
    middle: Option<String>,
    family: Option<String>,
    latin: Option<String>,
    gender: Option<String>,
    birth: Option<String>,
    mobile: Option<String>,
    token: Option<Vec<u8>>,
    abha: Option<String>,
    created_at: Option<i64>,
}

/// Pairs of member ids (as stored) a supervisor decided are different people.
type DistinctPairs = BTreeSet<(Vec<u8>, Vec<u8>)>;

fn load(store: &Store, area: &Area) -> Result<(Vec<Row>, DistinctPairs)> {
    Ok(store.read(|c| {
        let mut st = c.prepare(&format!(
            "SELECT m.id, m.household_id, h.code, h.village_id, m.given_name, m.middle_name,
                    m.family_name, m.name_latin, m.gender, m.birth_date, m.mobile, m.aadhaar_token,
                    m.abha_number, m.created_at
               FROM members m JOIN households h ON h.id = m.household_id
              WHERE m.deleted = 0 AND {} ORDER BY m.created_at, m.pk",
            in_area("h.village_id", 1)
        ))?;
        let rows = st
            .query_map([area.json_ids()], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    household: r.get(1)?,
                    household_code: r.get(2)?,
                    village: r.get(3)?,
                    given: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    middle: r.get(5)?,
                    family: r.get(6)?,
                    latin: r.get(7)?,
                    gender: r.get(8)?,
                    birth: r.get(9)?,
                    mobile: r.get(10)?,
                    token: r.get(11)?,
                    abha: r.get(12)?,
                    created_at: r.get(13)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut st = c.prepare_cached(
            "SELECT member_id, other_member_id FROM reviews
              WHERE deleted = 0 AND action = 'distinct' AND other_member_id IS NOT NULL",
        )?;
        let mut distinct = BTreeSet::new();
        for r in st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })? {
            let (a, b) = r?;
            distinct.insert((a.clone(), b.clone()));
            distinct.insert((b, a));
        }
        Ok((rows, distinct))
    })?)
}

fn person(r: &Row) -> Person<'_> {
    Person {
        given_name: &r.given,
        middle_name: r.middle.as_deref(),
        family_name: r.family.as_deref(),
        name_latin: r.latin.as_deref(),
        birth: r.birth.as_deref(),
        gender: r.gender.as_deref(),
        mobile: r.mobile.as_deref(),
        household: Some(&r.household),
        aadhaar_token: r.token.as_deref(),
    }
}

fn uuid_text(b: &[u8]) -> String {
    uuid::Uuid::from_slice(b)
        .map(|u| u.to_string())
        .unwrap_or_default()
}

fn suspect(r: &Row, area: &Area) -> Suspect {
    let v = VillageId::from_slice(&r.village)
        .ok()
        .and_then(|v| area.village(&v));
    let name = [
        Some(r.given.as_str()),
        r.middle.as_deref(),
        r.family.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    Suspect {
        member_id: uuid_text(&r.id),
        household_id: uuid_text(&r.household),
        household_code: r.household_code.clone(),
        village_code: v.map_or(0, |v| v.lgd.village),
        village: v.map(|v| v.name.clone()).unwrap_or_default(),
        name,
        name_latin: r.latin.clone(),
        gender: r.gender.clone(),
        birth: r.birth.clone(),
        mobile_last4: r.mobile.as_ref().map(|m| {
            let d: Vec<char> = m.chars().filter(char::is_ascii_digit).collect();
            d[d.len().saturating_sub(4)..].iter().collect()
        }),
        abha_number: r.abha.clone(),
        created_at: r.created_at,
    }
}

/// Every undecided suspected pair in `area`, best match first.
pub fn suspected(store: &Store, area: &Area) -> Result<Vec<Pair>> {
    let (rows, distinct) = load(store, area)?;
    let people: Vec<Person<'_>> = rows.iter().map(person).collect();
    let mut out: Vec<Pair> = dedup::pairs(&people)
        .into_iter()
        .filter(|(i, j, _)| !distinct.contains(&(rows[*i].id.clone(), rows[*j].id.clone())))
        .map(|(i, j, m)| Pair {
            a: suspect(&rows[i], area),
            b: suspect(&rows[j], area),
            score: m.score,
            reasons: m.reasons.iter().map(|r| r.code()).collect(),
        })
        .collect();
    out.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.a.created_at.cmp(&y.a.created_at))
    });
    Ok(out)
}

/// Ids (bytes) of members in some undecided suspected pair.
pub fn flagged_members(store: &Store, area: &Area) -> Result<BTreeSet<Vec<u8>>> {
    let (rows, distinct) = load(store, area)?;
    let people: Vec<Person<'_>> = rows.iter().map(person).collect();
    let mut out = BTreeSet::new();
    for (i, j, _) in dedup::pairs(&people) {
        if !distinct.contains(&(rows[i].id.clone(), rows[j].id.clone())) {
            out.insert(rows[i].id.clone());
            out.insert(rows[j].id.clone());
        }
    }
    Ok(out)
}

/// Member facts a decision checks.
struct Facts {
    abha: Option<String>,
    abha_address: Option<String>,
    in_flight: bool,
}

fn facts(store: &Store, area: &Area, m: MemberId) -> Result<Facts> {
    let row = store.read(|c| {
        use rusqlite::OptionalExtension;
        Ok(c.query_row(
            "SELECT h.village_id, m.abha_number, m.abha_address,
                    EXISTS (SELECT 1 FROM enrollments e WHERE e.member_id = m.id AND e.deleted = 0
                             AND e.state IN ('received', 'submitting', 'retry_later'))
               FROM members m JOIN households h ON h.id = m.household_id
              WHERE m.id = ?1 AND m.deleted = 0",
            [m.as_bytes()],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            },
        )
        .optional()?)
    })?;
    let (village, abha, abha_address, in_flight) = row.ok_or(ReviewError::NotFound)?;
    let village = VillageId::from_slice(&village).map_err(|_| ReviewError::NotFound)?;
    if !area.contains(&village) {
        return Err(ReviewError::NotFound);
    }
    Ok(Facts {
        abha,
        abha_address,
        in_flight,
    })
}

/// Decides that `merged` is the same person as `keep`: `merged` is tombstoned, and its ABHA
/// moves to `keep` when only it had one.
pub fn merge(
    store: &Store,
    area: &Area,
    keep: MemberId,
    merged: MemberId,
    actor: &Actor,
) -> Result<ReviewId> {
    if keep == merged {
        return Err(ReviewError::refused("review.same_member", Some("merge")));
    }
    let k = facts(store, area, keep)?;
    let m = facts(store, area, merged)?;
    if m.in_flight {
        return Err(ReviewError::refused("review.in_flight", Some("merge")));
    }
    if let (Some(a), Some(b)) = (&k.abha, &m.abha)
        && a != b
    {
        return Err(ReviewError::refused("review.two_abha_numbers", None));
    }
    let review = NewReview {
        id: ReviewId::new(),
        member_id: merged,
        subject_id: *merged.as_uuid(),
        action: ReviewAction::Merge,
        other_member_id: Some(keep),
        reason_code: None,
        note: None,
        decided_by: actor.name.clone(),
    };
    store.write("review.merge", |c| {
        c.describe(*keep.as_uuid());
        decisions::review_ops(c, &review)?;
        if k.abha.is_none()
            && let Some(n) = &m.abha
        {
            let mut fields = vec![("abha_number", Value::Text(n.clone()))];
            if k.abha_address.is_none()
                && let Some(a) = &m.abha_address
            {
                fields.push(("abha_address", Value::Text(a.clone())));
            }
            c.set_all(EntityKind::Member, *keep.as_uuid(), fields)?;
        }
        c.delete(EntityKind::Member, *merged.as_uuid())?;
        audit::append_tx(
            c.tx(),
            actor,
            "member.merge",
            Some(&merged.to_string()),
            &serde_json::json!({"kept": keep.to_string(), "abha_moved": k.abha.is_none() && m.abha.is_some()}),
        )?;
        Ok(())
    })?;
    Ok(review.id)
}

/// Decides that `a` and `b` are different people: the pair is not suggested again.
pub fn distinct(
    store: &Store,
    area: &Area,
    a: MemberId,
    b: MemberId,
    actor: &Actor,
) -> Result<ReviewId> {
    if a == b {
        return Err(ReviewError::refused("review.same_member", Some("b")));
    }
    facts(store, area, a)?;
    facts(store, area, b)?;
    let review = NewReview {
        id: ReviewId::new(),
        member_id: a,
        subject_id: *a.as_uuid(),
        action: ReviewAction::Distinct,
        other_member_id: Some(b),
        reason_code: None,
        note: None,
        decided_by: actor.name.clone(),
    };
    store.write("review.distinct", |c| {
        c.describe(*a.as_uuid());
        decisions::review_ops(c, &review)?;
        audit::append_tx(
            c.tx(),
            actor,
            "member.distinct",
            Some(&a.to_string()),
            &serde_json::json!({"other": b.to_string()}),
        )?;
        Ok(())
    })?;
    Ok(review.id)
}

/// Pairs grouped by village code, for the page.
pub fn by_village(pairs: &[Pair]) -> BTreeMap<u32, usize> {
    let mut m = BTreeMap::new();
    for p in pairs {
        *m.entry(p.a.village_code).or_default() += 1;
    }
    m
}
