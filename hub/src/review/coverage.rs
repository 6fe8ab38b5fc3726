//! Coverage against targets and the enrolment funnel.
//!
//! Targets (people to enrol per LGD village) are imported from CSV by organisers, all or nothing.
//! Coverage counts, per village of the caller's area, live households and members and the members
//! who have an ABHA: one on their record (captured at registration or written back by the
//! bridge), or a live request of theirs in state `created` or `linked`. Members count in the
//! village of their current (live) household.
//!
//! The funnel follows each live member of the area to the furthest stage reached: recorded
//! consent, an ABHA request, the request at the hub, ABDM's answer, an ABHA. A member counts at
//! every stage up to the furthest (someone whose ABHA was already on record counts as through the
//! funnel), so the stages never increase and the last one equals the coverage count.
//!
//! All counting is done in SQLite with one grouped query per table, so a state hub with millions
//! of members answers without loading them.

use std::collections::{BTreeMap, BTreeSet};

use abha_core::ids::VillageId;
use abha_core::model::Village;
use abha_core::store::Store;
use serde::Serialize;

use super::{Area, Result, in_area, now_ms};

/// The largest target accepted for one village.
pub const MAX_TARGET: i64 = 10_000_000;

// ---------------------------------------------------------------------------------------------
// Target import
// ---------------------------------------------------------------------------------------------

/// One problem with one line of a target file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetLineError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Column at fault: `village_code`, `target`, or `csv` for the file as a whole.
    pub field: &'static str,
    /// Machine code: `target.village_unknown`, `target.not_a_number`, `target.out_of_range`,
    /// `target.duplicate`, `target.missing_column`, `target.no_rows` or `target.csv`.
    pub code: &'static str,
}

/// What a target import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetImport {
    /// Data lines read (blank lines not counted).
    pub lines: u64,
    /// Villages whose target was stored (0 when there are errors).
    pub imported: u64,
    /// ... of which already had a target, now replaced.
    pub replaced: u64,
    /// Every problem found; when not empty nothing was stored.
    pub errors: Vec<TargetLineError>,
}

/// The 1-based line of the record starting at `byte` of `text`. The csv crate's own line count
/// is off after a blank line (it places the record on the blank line before it), so the line is
/// counted here, past any line breaks the reader's position still points at.
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

fn line_error(line: u64, field: &'static str, code: &'static str) -> TargetLineError {
    TargetLineError { line, field, code }
}

/// Parses a target: a whole number in `0..=MAX_TARGET`.
fn parse_target(s: &str) -> std::result::Result<i64, &'static str> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("target.not_a_number");
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=MAX_TARGET).contains(&n) => Ok(n),
        // Negative, too large, or too many digits for i64.
        _ => Err("target.out_of_range"),
    }
}

/// Imports targets from CSV text: a header naming `village_code` and `target` (any case, any
/// order, other columns ignored), then one line per village of `area`. If any line is wrong,
/// nothing is stored and every problem is returned; otherwise every target is stored (replacing
/// an earlier one of the same village) in one transaction, recorded as imported by `by`.
///
/// A village outside the area is reported exactly like one that does not exist.
pub fn import_targets(
    store: &Store,
    area: &Area,
    csv_text: &str,
    by: &str,
) -> Result<TargetImport> {
    let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
    let mut out = TargetImport::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(_) => {
            out.errors.push(line_error(1, "csv", "target.csv"));
            return Ok(out);
        }
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let (code_col, target_col) = (column("village_code"), column("target"));
    let (Some(code_col), Some(target_col)) = (code_col, target_col) else {
        if code_col.is_none() {
            out.errors
                .push(line_error(1, "village_code", "target.missing_column"));
        }
        if target_col.is_none() {
            out.errors
                .push(line_error(1, "target", "target.missing_column"));
        }
        return Ok(out);
    };
    let by_code: BTreeMap<u32, &Village> = area.villages().map(|v| (v.lgd.village, v)).collect();
    let mut seen: BTreeSet<u32> = BTreeSet::new();
    let mut rows: Vec<(u32, i64)> = Vec::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                out.errors.push(line_error(line, "csv", "target.csv"));
                continue;
            }
        };
        // Spreadsheets leave lines of empty cells (",,,"): those are blank lines too.
        if record.iter().all(str::is_empty) {
            continue;
        }
        out.lines += 1;
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        let code = record.get(code_col).unwrap_or("");
        let village = code.parse::<u32>().ok().filter(|c| by_code.contains_key(c));
        match village {
            None => out
                .errors
                .push(line_error(line, "village_code", "target.village_unknown")),
            Some(c) if !seen.insert(c) => {
                out.errors
                    .push(line_error(line, "village_code", "target.duplicate"));
            }
            Some(_) => {}
        }
        let target = match parse_target(record.get(target_col).unwrap_or("")) {
            Ok(t) => Some(t),
            Err(code) => {
                out.errors.push(line_error(line, "target", code));
                None
            }
        };
        if let (Some(v), Some(t)) = (village, target) {
            rows.push((v, t));
        }
    }
    if out.lines == 0 && out.errors.is_empty() {
        out.errors.push(line_error(1, "csv", "target.no_rows"));
    }
    if !out.errors.is_empty() {
        return Ok(out);
    }
    let at = now_ms();
    let replaced = store.extension_write(|tx| {
        let mut replaced = 0u64;
        let mut exists = tx.prepare_cached("SELECT 1 FROM hub_targets WHERE village_code = ?1")?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO hub_targets (village_code, target, imported_at, imported_by)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (village_code) DO UPDATE SET
               target = excluded.target, imported_at = excluded.imported_at,
               imported_by = excluded.imported_by",
        )?;
        for (code, target) in &rows {
            if exists.exists([code])? {
                replaced += 1;
            }
            upsert.execute(rusqlite::params![code, target, at, by])?;
        }
        Ok(replaced)
    })?;
    out.imported = rows.len() as u64;
    out.replaced = replaced;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------

/// A stage of the enrolment funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Live members of the area.
    Members,
    /// ... with a recorded consent.
    Consented,
    /// ... with an ABHA request (any state).
    Requested,
    /// ... whose request reached the hub.
    AtHub,
    /// ... whose request ABDM answered.
    Answered,
    /// ... who have an ABHA.
    WithAbha,
}

impl Stage {
    /// Every stage, in funnel order.
    pub const ALL: [Stage; 6] = [
        Self::Members,
        Self::Consented,
        Self::Requested,
        Self::AtHub,
        Self::Answered,
        Self::WithAbha,
    ];

    /// Machine code (as in the JSON).
    pub fn code(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Consented => "consented",
            Self::Requested => "requested",
            Self::AtHub => "at_hub",
            Self::Answered => "answered",
            Self::WithAbha => "with_abha",
        }
    }
}

/// The enrolment funnel: distinct live members at or past each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    /// Live members.
    pub members: u64,
    /// ... with a recorded consent (or further).
    pub consented: u64,
    /// ... with an ABHA request, any state (or further).
    pub requested: u64,
    /// ... whose request reached the hub: received, submitting, retry_later or answered (or
    /// further).
    pub at_hub: u64,
    /// ... whose request ABDM answered: needs_correction, rejected, linked or created (or
    /// further).
    pub answered: u64,
    /// ... who have an ABHA.
    pub with_abha: u64,
}

impl Funnel {
    /// The count at `stage`.
    pub fn count(&self, stage: Stage) -> u64 {
        match stage {
            Stage::Members => self.members,
            Stage::Consented => self.consented,
            Stage::Requested => self.requested,
            Stage::AtHub => self.at_hub,
            Stage::Answered => self.answered,
            Stage::WithAbha => self.with_abha,
        }
    }

    /// The stages in order with their counts.
    pub fn stages(&self) -> [(Stage, u64); 6] {
        Stage::ALL.map(|s| (s, self.count(s)))
    }

    fn add(&mut self, o: &Funnel) {
        self.members += o.members;
        self.consented += o.consented;
        self.requested += o.requested;
        self.at_hub += o.at_hub;
        self.answered += o.answered;
        self.with_abha += o.with_abha;
    }
}

/// One village.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageCoverage {
    /// Village id.
    pub village_id: VillageId,
    /// LGD state code.
    pub state_code: u32,
    /// LGD district code.
    pub district_code: u32,
    /// District name (from the hub's LGD master, else the bundled snapshot, else the code).
    pub district_name: String,
    /// LGD sub-district code.
    pub subdistrict_code: u32,
    /// LGD village code.
    pub village_code: u32,
    /// Village name (any script).
    pub name: String,
    /// People to enrol, if a target was imported.
    pub target: Option<u64>,
    /// When the target was imported (Unix ms).
    pub target_imported_at: Option<i64>,
    /// Live households.
    pub households: u64,
    /// Live members (of live households).
    pub members: u64,
    /// Members with an ABHA.
    pub with_abha: u64,
    /// `with_abha / target` in percent, one decimal (none without a target or with target 0;
    /// may exceed 100).
    pub percent: Option<f64>,
    /// The funnel of this village.
    pub funnel: Funnel,
}

/// Sums over villages (a district, or the whole area).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Villages.
    pub villages: u64,
    /// Villages with a target.
    pub villages_with_target: u64,
    /// Sum of the targets (none if no village has one).
    pub target: Option<u64>,
    /// Live households.
    pub households: u64,
    /// Live members.
    pub members: u64,
    /// Members with an ABHA (in every village).
    pub with_abha: u64,
    /// Members with an ABHA in the villages that have a target (what `percent` counts).
    pub with_abha_in_targeted: u64,
    /// `with_abha_in_targeted / target` in percent, one decimal.
    pub percent: Option<f64>,
}

impl Totals {
    fn add(&mut self, v: &VillageCoverage) {
        self.villages += 1;
        self.households += v.households;
        self.members += v.members;
        self.with_abha += v.with_abha;
        if let Some(t) = v.target {
            self.villages_with_target += 1;
            self.target = Some(self.target.unwrap_or(0) + t);
            self.with_abha_in_targeted += v.with_abha;
        }
        self.percent = self
            .target
            .and_then(|t| percent(self.with_abha_in_targeted, t));
    }
}

/// One district of the area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistrictCoverage {
    /// LGD district code.
    pub district_code: u32,
    /// District name (the code when unknown).
    pub district_name: String,
    /// Sums over its villages in the area.
    #[serde(flatten)]
    pub totals: Totals,
}

/// Coverage of an area.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Villages by district name, then village name.
    pub villages: Vec<VillageCoverage>,
    /// Districts in the same order.
    pub districts: Vec<DistrictCoverage>,
    /// The whole area.
    pub total: Totals,
    /// The funnel of the whole area.
    pub funnel: Funnel,
}

/// `part / whole` in percent, rounded to one decimal; none for a zero `whole`.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Furthest stage of each member, as an integer (index into [`Stage::ALL`]): 5 has an ABHA, 4
/// answered, 3 at the hub, 2 requested, 1 consented, 0 none.
const MEMBER_STAGES_SQL: &str = "
    SELECT village_id, COUNT(*), SUM(stage >= 1), SUM(stage >= 2), SUM(stage >= 3),
           SUM(stage >= 4), SUM(stage >= 5)
      FROM (SELECT h.village_id AS village_id,
                   CASE WHEN COALESCE(m.abha_number, '') <> '' OR COALESCE(m.abha_address, '') <> ''
                        THEN 5
                        ELSE max(
                          COALESCE((SELECT max(CASE e.state
                                         WHEN 'created' THEN 5 WHEN 'linked' THEN 5
                                         WHEN 'needs_correction' THEN 4 WHEN 'rejected' THEN 4
                                         WHEN 'received' THEN 3 WHEN 'submitting' THEN 3
                                         WHEN 'retry_later' THEN 3
                                         ELSE 2 END)
                                      FROM enrollments e
                                     WHERE e.member_id = m.id AND e.deleted = 0), 0),
                          EXISTS (SELECT 1 FROM consents k
                                   WHERE k.member_id = m.id AND k.deleted = 0))
                   END AS stage
              FROM households h JOIN members m ON m.household_id = h.id
             WHERE h.deleted = 0 AND m.deleted = 0 AND {AREA})
     GROUP BY village_id";

/// Coverage of every village of `area` against its target, with district and area totals and the
/// enrolment funnel.
pub fn coverage(store: &Store, area: &Area) -> Result<Coverage> {
    if area.is_empty() {
        return Ok(Coverage::default());
    }
    let ids = area.json_ids();
    let codes: Vec<u32> = area.villages().map(|v| v.lgd.village).collect();
    let codes_json = serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into());
    let districts: BTreeSet<u32> = area.villages().map(|v| v.lgd.district).collect();
    let districts_json = serde_json::to_string(&districts).unwrap_or_else(|_| "[]".into());

    struct Counts {
        households: BTreeMap<Vec<u8>, u64>,
        members: BTreeMap<Vec<u8>, Funnel>,
        targets: BTreeMap<u32, (u64, i64)>,
        names: BTreeMap<u32, String>,
    }
    let counts = store.read(|conn| {
        let mut households = BTreeMap::new();
        let mut st = conn.prepare_cached(&format!(
            "SELECT h.village_id, COUNT(*) FROM households h
              WHERE h.deleted = 0 AND {} GROUP BY h.village_id",
            in_area("h.village_id", 1)
        ))?;
        for r in st.query_map([&ids], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (v, n) = r?;
            households.insert(v, n.max(0) as u64);
        }

        let mut members = BTreeMap::new();
        let mut st =
            conn.prepare_cached(&MEMBER_STAGES_SQL.replace("{AREA}", &in_area("h.village_id", 1)))?;
        for r in st.query_map([&ids], |r| {
            let n = |i: usize| -> rusqlite::Result<u64> {
                Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
            };
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                Funnel {
                    members: n(1)?,
                    consented: n(2)?,
                    requested: n(3)?,
                    at_hub: n(4)?,
                    answered: n(5)?,
                    with_abha: n(6)?,
                },
            ))
        })? {
            let (v, f) = r?;
            members.insert(v, f);
        }

        let mut targets = BTreeMap::new();
        let mut st = conn.prepare_cached(
            "SELECT village_code, target, imported_at FROM hub_targets
              WHERE village_code IN (SELECT value FROM json_each(?1))",
        )?;
        for r in st.query_map([&codes_json], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (code, target, at) = r?;
            if let Ok(code) = u32::try_from(code) {
                targets.insert(code, (target.max(0) as u64, at));
            }
        }

        let mut names = BTreeMap::new();
        let mut st = conn.prepare_cached(
            "SELECT code, name FROM regions
              WHERE level = 'district' AND deleted = 0 AND name IS NOT NULL
                AND code IN (SELECT value FROM json_each(?1))
              ORDER BY pk",
        )?;
        for r in st.query_map([&districts_json], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })? {
            let (code, name) = r?;
            if let Ok(code) = u32::try_from(code) {
                names.insert(code, name);
            }
        }
        Ok(Counts {
            households,
            members,
            targets,
            names,
        })
    })?;

    // District names: the hub's LGD master, else the bundled snapshot (as the forms do), else
    // the code.
    let snapshot: BTreeMap<(i64, i64), String> = abha_core::model::lgd::snapshot()
        .into_iter()
        .filter(|r| r.level == abha_core::model::RegionLevel::District)
        .map(|r| ((r.parent_code, r.code), r.name))
        .collect();
    let district_name = |v: &Village| {
        counts
            .names
            .get(&v.lgd.district)
            .or_else(|| snapshot.get(&(i64::from(v.lgd.state), i64::from(v.lgd.district))))
            .cloned()
            .unwrap_or_else(|| v.lgd.district.to_string())
    };
    let mut villages: Vec<VillageCoverage> = area
        .villages()
        .map(|v| {
            let key = v.id.as_bytes().to_vec();
            let funnel = counts.members.get(&key).copied().unwrap_or_default();
            let target = counts.targets.get(&v.lgd.village);
            VillageCoverage {
                village_id: v.id,
                state_code: v.lgd.state,
                district_code: v.lgd.district,
                district_name: district_name(v),
                subdistrict_code: v.lgd.subdistrict,
                village_code: v.lgd.village,
                name: v.name.clone(),
                target: target.map(|t| t.0),
                target_imported_at: target.map(|t| t.1),
                households: counts.households.get(&key).copied().unwrap_or(0),
                members: funnel.members,
                with_abha: funnel.with_abha,
                percent: target.and_then(|t| percent(funnel.with_abha, t.0)),
                funnel,
            }
        })
        .collect();
    villages.sort_by(|a, b| {
        (&a.district_name, a.district_code, &a.name, a.village_code).cmp(&(
            &b.district_name,
            b.district_code,
            &b.name,
            b.village_code,
        ))
    });

    let mut out = Coverage::default();
    for v in &villages {
        out.total.add(v);
        out.funnel.add(&v.funnel);
        match out.districts.last_mut() {
            Some(d) if d.district_code == v.district_code => d.totals.add(v),
            _ => {
                let mut totals = Totals::default();
                totals.add(v);
                out.districts.push(DistrictCoverage {
                    district_code: v.district_code,
                    district_name: v.district_name.clone(),
                    totals,
                });
            }
        }
    }
    out.villages = villages;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_parse_target_accepts_whole_numbers_in_range_only() {
        assert_eq!(parse_target("0"), Ok(0));
        assert_eq!(parse_target("+12"), Ok(12));
        assert_eq!(parse_target("10000000"), Ok(10_000_000));
        assert_eq!(parse_target("10000001"), Err("target.out_of_range"));
        assert_eq!(parse_target("-1"), Err("target.out_of_range"));
        assert_eq!(
            parse_target("99999999999999999999999"),
            Err("target.out_of_range")
        );
        for bad in ["", "1.5", "12a", "1,000", "1 000", "-", "abc", "१२"] {
            assert_eq!(parse_target(bad), Err("target.not_a_number"), "{bad}");
        }
    }

    #[test]
    fn test_percent_rounds_to_one_decimal_and_needs_a_whole() {
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(5, 4), Some(125.0));
        assert_eq!(percent(5, 0), None);
    }

    #[test]
    fn test_funnel_stages_are_in_order() {
        let f = Funnel {
            members: 6,
            consented: 5,
            requested: 4,
            at_hub: 3,
            answered: 2,
            with_abha: 1,
        };
        let counts: Vec<u64> = f.stages().iter().map(|s| s.1).collect();
        assert_eq!(counts, [6, 5, 4, 3, 2, 1]);
        assert_eq!(Stage::ALL[3].code(), "at_hub");
        assert_eq!(serde_json::to_value(f).unwrap()["at_hub"], 3);
    }
}
