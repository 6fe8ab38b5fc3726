//! The camp's day-end: per device and worker, what was captured on a date, what reached ABDM,
//! what waits, what looks duplicated, and what the device still holds unsynced.
//!
//! Days are calendar days in India Standard Time. A record counts for the day it was captured
//! (its earliest op time), for the device that wrote it (the author of its first field) and the
//! worker recorded on it. ABHA columns count the requests made that day by their state now.
//! Device columns (change sets synced that day, last sync, unsynced work at the last hello) are
//! the device's, repeated on each of its rows and counted once in the totals. Devices of the
//! area (or of one camp) that captured nothing still get a row: an organiser must see the tablet
//! that never synced.

use std::collections::{BTreeMap, BTreeSet};

use abha_core::store::Store;
use serde::Serialize;

use super::{Area, DeviceInfo, Devices, Result, author, in_area, workers};

/// One row: a device and a worker.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DayEndRow {
    /// Device id (empty for records of unknown origin, e.g. relayed from another hub).
    pub device_id: String,
    /// Device label.
    pub device_label: Option<String>,
    /// Camp.
    pub camp: Option<String>,
    /// Worker.
    pub worker: Option<String>,
    /// Households captured.
    pub households: u64,
    /// Members captured.
    pub members: u64,
    /// ABHA requests made.
    pub requests: u64,
    /// ... of which created or linked.
    pub abha_created: u64,
    /// ... still pending.
    pub abha_pending: u64,
    /// ... needing correction.
    pub needs_correction: u64,
    /// ... refused.
    pub failed: u64,
    /// Members captured that look like someone already known.
    pub duplicates_flagged: u64,
    /// Change sets the device synced that day.
    pub synced_changes: u64,
    /// Last contact (Unix ms).
    pub last_sync_at: Option<i64>,
    /// Unsynced change sets at its last hello.
    pub pending_changes: u64,
    /// Age of the oldest unsynced change at its last hello (ms).
    pub pending_oldest_ms: Option<i64>,
}

/// The day-end report.
#[derive(Debug, Clone, Serialize)]
pub struct DayEnd {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Camp filter.
    pub camp: Option<String>,
    /// Rows by device, then worker.
    pub rows: Vec<DayEndRow>,
    /// Totals (device columns counted once per device).
    pub totals: DayEndRow,
}

/// India Standard Time.
pub fn ist() -> time::UtcOffset {
    time::UtcOffset::from_hms(5, 30, 0).unwrap_or(time::UtcOffset::UTC)
}

/// The `[start, end)` Unix ms of `date` at `offset`.
pub fn day_window(date: time::Date, offset: time::UtcOffset) -> (i64, i64) {
    let start = date.midnight().assume_offset(offset).unix_timestamp() * 1000;
    (start, start + 86_400_000)
}

type Key = (String, Option<String>);

fn row_for<'a>(
    rows: &'a mut BTreeMap<Key, DayEndRow>,
    dev: Option<&DeviceInfo>,
    worker: Option<String>,
) -> &'a mut DayEndRow {
    let key = (
        dev.map(|d| d.id.clone()).unwrap_or_default(),
        worker.clone(),
    );
    rows.entry(key).or_insert_with(|| DayEndRow {
        device_id: dev.map(|d| d.id.clone()).unwrap_or_default(),
        device_label: dev.and_then(|d| d.label.clone()),
        camp: dev.and_then(|d| d.camp.clone()),
        worker,
        ..DayEndRow::default()
    })
}

/// The day-end of `date` (IST) in `area`, optionally of one camp's devices.
pub fn day_end(store: &Store, area: &Area, date: time::Date, camp: Option<&str>) -> Result<DayEnd> {
    let (start, end) = day_window(date, ist());
    let flagged = super::duplicates::flagged_members(store, area)?;
    let now = super::now_ms();
    let ids = area.json_ids();
    store
        .read(|conn| {
            let devices = Devices::load(conn)?;
            let names = workers(conn)?;
            let mut rows: BTreeMap<Key, DayEndRow> = BTreeMap::new();
            let in_camp = |d: Option<&DeviceInfo>| {
                camp.is_none_or(|c| d.is_some_and(|d| d.camp.as_deref() == Some(c)))
            };
            // Households.
            let mut st = conn.prepare(&format!(
                "SELECT h.created_by, h.merge FROM households h
                  WHERE h.deleted = 0 AND h.created_at >= ?2 AND h.created_at < ?3 AND {}",
                in_area("h.village_id", 1)
            ))?;
            let hs = st.query_map(rusqlite::params![ids, start, end], |r| {
                Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            for h in hs {
                let (by, merge) = h?;
                let dev = devices.of(author(&merge, "village_id"));
                if in_camp(dev) {
                    let w = by.and_then(|b| names.get(&b).cloned());
                    row_for(&mut rows, dev, w).households += 1;
                }
            }
            // Members.
            let mut st = conn.prepare(&format!(
                "SELECT m.id, m.created_by, m.merge FROM members m JOIN households h ON h.id = m.household_id
                  WHERE m.deleted = 0 AND m.created_at >= ?2 AND m.created_at < ?3 AND {}",
                in_area("h.village_id", 1)
            ))?;
            let ms = st.query_map(rusqlite::params![ids, start, end], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?;
            for m in ms {
                let (id, by, merge) = m?;
                let dev = devices.of(author(&merge, "given_name"));
                if in_camp(dev) {
                    let w = by.and_then(|b| names.get(&b).cloned());
                    let row = row_for(&mut rows, dev, w);
                    row.members += 1;
                    row.duplicates_flagged += u64::from(flagged.contains(&id));
                }
            }
            // Requests made that day, by their state now.
            let mut st = conn.prepare(&format!(
                "SELECT e.state, e.created_by, e.merge FROM enrollments e
                   JOIN members m ON m.id = e.member_id JOIN households h ON h.id = m.household_id
                  WHERE e.deleted = 0 AND e.created_at >= ?2 AND e.created_at < ?3 AND {}
                    AND NOT EXISTS (SELECT 1 FROM enrollments n WHERE n.attempt_of = e.id AND n.deleted = 0)",
                in_area("h.village_id", 1)
            ))?;
            let es = st.query_map(rusqlite::params![ids, start, end], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?;
            for e in es {
                let (state, by, merge) = e?;
                let dev = devices.of(author(&merge, "member_id"));
                if in_camp(dev) {
                    let w = by.and_then(|b| names.get(&b).cloned());
                    let row = row_for(&mut rows, dev, w);
                    row.requests += 1;
                    match state.as_deref() {
                        Some("created" | "linked") => row.abha_created += 1,
                        Some("needs_correction") => row.needs_correction += 1,
                        Some("rejected") => row.failed += 1,
                        _ => row.abha_pending += 1,
                    }
                }
            }
            // Devices of the area or camp, with their sync figures.
            let mut synced: BTreeMap<String, u64> = BTreeMap::new();
            let mut st = conn.prepare(
                "SELECT origin, COUNT(*) FROM changes WHERE received_at >= ?1 AND received_at < ?2 GROUP BY origin",
            )?;
            for r in st.query_map(rusqlite::params![start, end], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (origin, n) = r?;
                if let Some(d) = devices.by_replica.get(&origin) {
                    *synced.entry(d.clone()).or_default() += n as u64;
                }
            }
            let listed: BTreeSet<String> = rows.keys().map(|k| k.0.clone()).collect();
            for d in devices.in_area(area, camp) {
                if !listed.contains(&d.id) {
                    row_for(&mut rows, Some(d), None);
                }
            }
            let mut totals = DayEndRow {
                device_id: "total".into(),
                ..DayEndRow::default()
            };
            let mut counted = BTreeSet::new();
            let mut out: Vec<DayEndRow> = rows.into_values().collect();
            for row in &mut out {
                if let Some(d) = devices.all.get(&row.device_id) {
                    row.synced_changes = synced.get(&d.id).copied().unwrap_or(0);
                    row.last_sync_at = d.last_seen_at;
                    row.pending_changes = d.pending_changes.unwrap_or(0).max(0) as u64;
                    row.pending_oldest_ms = d
                        .pending_oldest_at
                        .filter(|_| row.pending_changes > 0)
                        .map(|t| (now - t).max(0));
                    if counted.insert(d.id.clone()) {
                        totals.synced_changes += row.synced_changes;
                        totals.pending_changes += row.pending_changes;
                        totals.last_sync_at = totals.last_sync_at.max(row.last_sync_at);
                        totals.pending_oldest_ms =
                            totals.pending_oldest_ms.max(row.pending_oldest_ms);
                    }
                }
                totals.households += row.households;
                totals.members += row.members;
                totals.requests += row.requests;
                totals.abha_created += row.abha_created;
                totals.abha_pending += row.abha_pending;
                totals.needs_correction += row.needs_correction;
                totals.failed += row.failed;
                totals.duplicates_flagged += row.duplicates_flagged;
            }
            Ok(DayEnd {
                date: date.to_string(),
                camp: camp.map(str::to_owned),
                rows: out,
                totals,
            })
        })
        .map_err(Into::into)
}

/// Column headers of the CSV and the terminal table.
pub const COLUMNS: [&str; 15] = [
    "device",
    "camp",
    "worker",
    "households",
    "members",
    "requests",
    "abha_created",
    "abha_pending",
    "needs_correction",
    "failed",
    "duplicates_flagged",
    "synced_changes",
    "last_sync",
    "pending_changes",
    "pending_oldest_hours",
];

fn time_text(ms: Option<i64>) -> String {
    ms.and_then(|m| time::OffsetDateTime::from_unix_timestamp(m / 1000).ok())
        .map(|t| {
            let t = t.to_offset(ist());
            format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
        })
        .unwrap_or_default()
}

fn cells(r: &DayEndRow) -> [String; 15] {
    [
        r.device_label
            .clone()
            .unwrap_or_else(|| r.device_id.clone()),
        r.camp.clone().unwrap_or_default(),
        r.worker.clone().unwrap_or_default(),
        r.households.to_string(),
        r.members.to_string(),
        r.requests.to_string(),
        r.abha_created.to_string(),
        r.abha_pending.to_string(),
        r.needs_correction.to_string(),
        r.failed.to_string(),
        r.duplicates_flagged.to_string(),
        r.synced_changes.to_string(),
        time_text(r.last_sync_at),
        r.pending_changes.to_string(),
        r.pending_oldest_ms
            .map(|ms| format!("{:.1}", ms as f64 / 3_600_000.0))
            .unwrap_or_default(),
    ]
}

/// The report as CSV (header row, one row per device and worker, then the totals).
pub fn to_csv(d: &DayEnd) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for r in d.rows.iter().chain(std::iter::once(&d.totals)) {
        let _ = w.write_record(cells(r));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The report as an aligned text table for a terminal.
pub fn to_table(d: &DayEnd) -> String {
    let mut all: Vec<[String; 15]> = vec![COLUMNS.map(str::to_owned)];
    all.extend(d.rows.iter().map(cells));
    all.push(cells(&d.totals));
    let widths: Vec<usize> = (0..15)
        .map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "Day-end {}{}\n",
        d.date,
        d.camp
            .as_ref()
            .map(|c| format!(", camp {c}"))
            .unwrap_or_default()
    );
    for (n, r) in all.iter().enumerate() {
        if n == all.len() - 1 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * 14));
            out.push('\n');
        }
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                if i >= 3 {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
