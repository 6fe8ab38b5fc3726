//! Token numbers and shared profiles in the hub's store (`hub_shares`, migration 004).
//!
//! Why in the hub's own table and not replicated: a token is a queue ticket for this camp today,
//! and a shared profile is a person's offer to register, not yet a record anyone captured. Both
//! stay at the camp hub; the member a worker makes from a profile is an ordinary capture on the
//! tablet and replicates like any other. Every write is one `BEGIN IMMEDIATE` transaction on the
//! store's single writer, so two scans at the same moment can never get the same number.
//!
//! Numbers are plain integers from 1 per counter per day (India Standard Time): they are called
//! out and shown on the board, where `7` reads better than `0007`; `token_digits` pads them for
//! anyone who wants NHA's `%04d`. Rows older than `keep_days` are deleted on the next share:
//! profiles nobody accepted should not accumulate.

use abha_core::abdm::share::{MemberPrefill, SharedPatient};
use abha_core::store::{Store, StoreError};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One day in ms.
const DAY_MS: i64 = 86_400_000;

/// A token issued for a share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// Row id.
    pub id: String,
    /// The number at its counter that day.
    pub number: i64,
    /// When it stops holding for a rescan (Unix ms).
    pub expires_at: i64,
    /// `true` for a rescan within the validity (the same token again).
    pub again: bool,
}

/// What a worker does with a shared profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Made into a member (or matched to one) on the tablet.
    Accept,
    /// Not registered (a test scan, a person who left).
    Dismiss,
}

impl Handling {
    /// The status it leaves.
    pub fn status(self) -> &'static str {
        match self {
            Self::Accept => "accepted",
            Self::Dismiss => "dismissed",
        }
    }
}

/// Why a profile could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No such shared profile (or deleted after `keep_days`).
    #[error("no such shared profile")]
    NotFound,
    /// Already handled the other way.
    #[error("the shared profile was already {0}")]
    AlreadyHandled(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for TokenError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// The IST date of `ms`, `YYYY-MM-DD`.
pub fn day_of(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::review::dayend::ist());
    t.date().to_string()
}

/// The token as sent and shown: plain, or zero-padded to `digits`.
pub fn format_token(number: i64, digits: u8) -> String {
    format!("{number:0width$}", width = usize::from(digits))
}

/// What [`issue`] needs besides the store.
#[derive(Debug, Clone, Copy)]
pub struct Issue<'a> {
    /// Now (Unix ms).
    pub now_ms: i64,
    /// The counter id (validated).
    pub counter: &'a str,
    /// The share's `REQUEST-ID`.
    pub request_id: &'a str,
    /// Validity of a new token (ms).
    pub validity_ms: i64,
    /// Rows older than this many days are deleted.
    pub keep_days: u32,
}

/// Issues a token for `patient` at `what.counter`: the same one for a rescan by the same ABHA
/// address at the same counter the same day within its validity (its profile refreshed), else
/// the next number of that counter today.
pub fn issue(
    store: &Store,
    what: Issue<'_>,
    patient: &SharedPatient,
) -> Result<Issued, StoreError> {
    let profile = serde_json::to_string(patient).map_err(|_| StoreError::InvalidData("profile"))?;
    let address = patient.abha_address.trim().to_lowercase();
    let day = day_of(what.now_ms);
    store.extension_write(|tx| {
        tx.execute(
            "DELETE FROM hub_shares WHERE issued_at < ?1",
            [what.now_ms - i64::from(what.keep_days.max(1)) * DAY_MS],
        )?;
        let held: Option<(String, i64, i64)> = tx
            .query_row(
                "SELECT id, number, expires_at FROM hub_shares
                 WHERE counter = ?1 AND abha_address = ?2 AND day = ?3 AND expires_at > ?4
                 ORDER BY issued_at DESC LIMIT 1",
                params![what.counter, address, day, what.now_ms],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((id, number, expires_at)) = held {
            tx.execute(
                "UPDATE hub_shares SET profile = ?2, received_at = ?3, request_id = ?4, reply = NULL
                 WHERE id = ?1",
                params![id, profile, what.now_ms, what.request_id],
            )?;
            return Ok(Issued {
                id,
                number,
                expires_at,
                again: true,
            });
        }
        let number: i64 = tx.query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM hub_shares WHERE day = ?1 AND counter = ?2",
            params![day, what.counter],
            |r| r.get(0),
        )?;
        let id = uuid::Uuid::now_v7().to_string();
        let expires_at = what.now_ms + what.validity_ms.max(1);
        tx.execute(
            "INSERT INTO hub_shares (id, day, counter, number, abha_address, issued_at, expires_at,
                                     received_at, request_id, profile)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8, ?9)",
            params![
                id,
                day,
                what.counter,
                number,
                address,
                what.now_ms,
                expires_at,
                what.request_id,
                profile
            ],
        )?;
        Ok(Issued {
            id,
            number,
            expires_at,
            again: false,
        })
    })
}

/// Records how the on-share reply went (`sent` or a reason code).
pub fn record_reply(store: &Store, id: &str, outcome: &str) -> Result<(), StoreError> {
    store.extension_write(|tx| {
        tx.execute(
            "UPDATE hub_shares SET reply = ?2 WHERE id = ?1",
            params![id, outcome],
        )?;
        Ok(())
    })
}

/// A shared profile as tablets fetch it.
#[derive(Debug, Clone, Serialize)]
pub struct SharedProfile {
    /// Id to accept or dismiss by.
    pub id: String,
    /// Token number as sent.
    pub token: String,
    /// Counter id.
    pub counter: String,
    /// `pending`, `accepted` or `dismissed`.
    pub status: String,
    /// Last share (Unix ms).
    pub received_at: i64,
    /// Token issued (Unix ms).
    pub issued_at: i64,
    /// Token validity end (Unix ms).
    pub expires_at: i64,
    /// The member it became, if the tablet said.
    pub member_id: Option<String>,
    /// The profile as shared (normalised).
    pub patient: SharedPatient,
    /// The member form it pre-fills (`abha_core::abdm::share`), for tablets that do not map it.
    pub prefill: MemberPrefill,
}

/// Shared profiles with `status` (any when `None`), newest first, at most `limit`.
pub fn list(
    store: &Store,
    status: Option<&str>,
    limit: u32,
    digits: u8,
) -> Result<Vec<SharedProfile>, StoreError> {
    store.read(|c| {
        let mut st = c.prepare(
            "SELECT id, number, counter, status, received_at, issued_at, expires_at, member_id,
                    profile
             FROM hub_shares WHERE ?1 IS NULL OR status = ?1
             ORDER BY received_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![status, limit], |r| {
                let profile: String = r.get(8)?;
                Ok((
                    SharedProfile {
                        id: r.get(0)?,
                        token: format_token(r.get(1)?, digits),
                        counter: r.get(2)?,
                        status: r.get(3)?,
                        received_at: r.get(4)?,
                        issued_at: r.get(5)?,
                        expires_at: r.get(6)?,
                        member_id: r.get(7)?,
                        patient: SharedPatient::default(),
                        prefill: MemberPrefill::default(),
                    },
                    profile,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(mut p, profile)| {
                p.patient = serde_json::from_str(&profile).ok()?;
                p.prefill = p.patient.prefill();
                Some(p)
            })
            .collect())
    })
}

/// Marks a profile handled. Repeating the same handling is a no-op; the other one after it is
/// refused. Returns the status.
pub fn handle(
    store: &Store,
    id: &str,
    how: Handling,
    device: &str,
    member_id: Option<&str>,
    now_ms: i64,
) -> Result<&'static str, TokenError> {
    store.extension_write(|tx| {
        let status: Option<String> = tx
            .query_row("SELECT status FROM hub_shares WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(match status.as_deref() {
            None => Err(TokenError::NotFound),
            Some(s) if s == how.status() => Ok(how.status()),
            Some("pending") => {
                tx.execute(
                    "UPDATE hub_shares SET status = ?2, handled_at = ?3, handled_by = ?4,
                        member_id = ?5 WHERE id = ?1",
                    params![id, how.status(), now_ms, device, member_id],
                )?;
                Ok(how.status())
            }
            Some(other) => Err(TokenError::AlreadyHandled(other.to_string())),
        })
    })?
}

/// One counter on the token board: numbers only, nothing about the people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterBoard {
    /// Counter id.
    pub counter: String,
    /// The token handled last (being served).
    pub serving: Option<String>,
    /// Pending tokens still valid, in order (the first few).
    pub waiting: Vec<String>,
    /// Tokens issued today.
    pub issued: i64,
}

/// The board for `day`: the configured counters, then any other that issued tokens that day.
pub fn board(
    store: &Store,
    now_ms: i64,
    counters: &[String],
    digits: u8,
) -> Result<Vec<CounterBoard>, StoreError> {
    let day = day_of(now_ms);
    store.read(|c| {
        let mut seen: Vec<String> = counters.to_vec();
        let mut st =
            c.prepare("SELECT DISTINCT counter FROM hub_shares WHERE day = ?1 ORDER BY counter")?;
        for counter in st.query_map([&day], |r| r.get::<_, String>(0))? {
            let counter = counter?;
            if !seen.contains(&counter) {
                seen.push(counter);
            }
        }
        let mut out = Vec::with_capacity(seen.len());
        for counter in seen {
            let issued: i64 = c.query_row(
                "SELECT COUNT(*) FROM hub_shares WHERE day = ?1 AND counter = ?2",
                params![day, counter],
                |r| r.get(0),
            )?;
            let serving: Option<i64> = c
                .query_row(
                    "SELECT number FROM hub_shares WHERE day = ?1 AND counter = ?2
                       AND status != 'pending' ORDER BY handled_at DESC LIMIT 1",
                    params![day, counter],
                    |r| r.get(0),
                )
                .optional()?;
            let waiting = c
                .prepare_cached(
                    "SELECT number FROM hub_shares WHERE day = ?1 AND counter = ?2
                       AND status = 'pending' AND expires_at > ?3 ORDER BY number LIMIT 6",
                )?
                .query_map(params![day, counter, now_ms], |r| r.get::<_, i64>(0))?
                .map(|n| n.map(|n| format_token(n, digits)))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(CounterBoard {
                serving: serving.map(|n| format_token(n, digits)),
                counter,
                waiting,
                issued,
            });
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::registry::tests::store;

    fn patient(address: &str) -> SharedPatient {
        SharedPatient {
            abha_address: address.into(),
            name: Some("Asha Devi".into()),
            ..SharedPatient::default()
        }
    }

    /// 2026-11-02 10:00 IST.
    const T0: i64 = 1_793_593_800_000;
    const MIN: i64 = 60_000;

    fn at<'a>(now_ms: i64, counter: &'a str) -> Issue<'a> {
        Issue {
            now_ms,
            counter,
            request_id: "r",
            validity_ms: 30 * MIN,
            keep_days: 7,
        }
    }

    #[test]
    fn test_numbers_per_counter_rescans_and_expiry() {
        let (_d, s) = store();
        let a = issue(&s, at(T0, "OPD1"), &patient("asha@sbx")).unwrap();
        assert_eq!((a.number, a.again), (1, false));
        // Same address, other case, same counter, within validity: the same token.
        let again = issue(&s, at(T0 + 10 * MIN, "OPD1"), &patient("ASHA@sbx")).unwrap();
        assert_eq!(
            (again.id.as_str(), again.number, again.again),
            (a.id.as_str(), 1, true)
        );
        assert_eq!(
            again.expires_at, a.expires_at,
            "a rescan does not extend the token"
        );
        let b = issue(&s, at(T0 + 11 * MIN, "OPD1"), &patient("ravi@sbx")).unwrap();
        assert_eq!(b.number, 2);
        let other = issue(&s, at(T0 + 12 * MIN, "OPD2"), &patient("asha@sbx")).unwrap();
        assert_eq!(other.number, 1, "numbers are per counter");
        let late = issue(&s, at(T0 + 31 * MIN, "OPD1"), &patient("asha@sbx")).unwrap();
        assert_eq!(
            (late.number, late.again),
            (3, false),
            "expired: the next number"
        );
    }

    #[test]
    fn test_numbers_restart_each_ist_day_and_old_rows_go() {
        let (_d, s) = store();
        assert_eq!(day_of(T0), "2026-11-02");
        // 23:59 IST, then 00:01 IST the next day.
        let evening = T0 + (13 * 60 + 59) * MIN;
        issue(&s, at(evening, "OPD1"), &patient("a@sbx")).unwrap();
        let n = issue(&s, at(evening, "OPD1"), &patient("b@sbx")).unwrap();
        assert_eq!(n.number, 2);
        let morning = evening + 2 * MIN;
        assert_eq!(day_of(morning), "2026-11-03");
        let first = issue(&s, at(morning, "OPD1"), &patient("a@sbx")).unwrap();
        assert_eq!(
            (first.number, first.again),
            (1, false),
            "no reuse across days"
        );
        assert_eq!(list(&s, None, 100, 0).unwrap().len(), 3);
        issue(&s, at(morning + 8 * 1440 * MIN, "OPD1"), &patient("c@sbx")).unwrap();
        assert_eq!(list(&s, None, 100, 0).unwrap().len(), 1, "kept 7 days");
    }

    #[test]
    fn test_handling_is_idempotent_and_final() {
        let (_d, s) = store();
        let a = issue(&s, at(T0, "OPD1"), &patient("asha@sbx")).unwrap();
        let b = issue(&s, at(T0, "OPD1"), &patient("ravi@sbx")).unwrap();
        assert_eq!(
            handle(&s, &a.id, Handling::Accept, "dev", None, T0).unwrap(),
            "accepted"
        );
        assert_eq!(
            handle(&s, &a.id, Handling::Accept, "dev", None, T0).unwrap(),
            "accepted"
        );
        assert!(matches!(
            handle(&s, &a.id, Handling::Dismiss, "dev", None, T0),
            Err(TokenError::AlreadyHandled(_))
        ));
        assert!(matches!(
            handle(&s, "0190-none", Handling::Accept, "dev", None, T0),
            Err(TokenError::NotFound)
        ));
        let pending = list(&s, Some("pending"), 100, 4).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].id.as_str(), pending[0].token.as_str()),
            (b.id.as_str(), "0002")
        );
        assert_eq!(pending[0].prefill.member.given_name, "Asha");
        let board = board(&s, T0 + MIN, &["OPD1".into(), "LAB".into()], 0).unwrap();
        assert_eq!(board[0].serving.as_deref(), Some("1"));
        assert_eq!(board[0].waiting, ["2"]);
        assert_eq!(board[0].issued, 2);
        assert_eq!((board[1].counter.as_str(), board[1].issued), ("LAB", 0));
        let later = super::board(&s, T0 + 40 * MIN, &[], 0).unwrap();
        assert!(later[0].waiting.is_empty(), "expired tokens do not wait");
    }

    #[test]
    fn test_token_format() {
        assert_eq!(format_token(7, 0), "7");
        assert_eq!(format_token(7, 4), "0007");
        assert_eq!(format_token(12345, 4), "12345");
    }
}
