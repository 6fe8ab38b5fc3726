//! The life of a sealed Aadhaar number after capture: handed to the hub, used once, discarded.
//!
//! The ciphertext is sealed to the hub's key on the tablet and lives in device-local columns of
//! `members`, never in an op, so it is not copied to other tablets and can really be deleted
//! (`migrations/004_sealed_handoff.sql`).
//!
//! - Tablet, during sync: [`Store::sealed_to_hand`] lists ciphertexts of members with a
//!   demographic-authentication request ABDM has not answered; the hub stores them
//!   ([`Store::accept_sealed`]) and the tablet records the acknowledgement
//!   ([`Store::mark_sealed_handed`]).
//! - Hub: the ABDM bridge reads one ([`Store::sealed_aadhaar`]) and wipes it in the same
//!   transaction as the outcome ([`Change::wipe_aadhaar`](super::Change::wipe_aadhaar)).
//! - Tablet, after pulling the outcome: [`Store::wipe_answered_aadhaar`] discards every
//!   ciphertext whose demographic-authentication requests ABDM has all answered.
//!
//! A newer capture (a correction) always replaces an older one; a ciphertext that was already
//! used and wiped is refused if a lost acknowledgement makes the tablet send it again.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::error::Result;
use crate::ids::{MemberId, VillageId};
use crate::model::EnrollmentState;

/// One sealed Aadhaar number on its way to the hub.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedItem {
    /// Whose.
    pub member: MemberId,
    /// Fingerprint of the key it is sealed to.
    pub key_id: String,
    /// When it was captured (device ms): a newer capture replaces an older one.
    pub sealed_at: i64,
    /// RSA-OAEP-SHA1 ciphertext.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedItem({}, key {})", self.member, self.key_id)
    }
}

/// What the hub did with one handed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SealedVerdict {
    /// Stored (or already held): the tablet may stop sending it.
    Held,
    /// Already used and discarded: the tablet may stop sending it.
    Spent,
    /// A newer capture is held: the tablet may stop sending this one.
    Superseded,
    /// The hub does not know the member yet (its change set has not arrived): send again later.
    UnknownMember,
    /// The member is outside the sender's villages.
    Forbidden,
    /// Sealed to a key this hub does not hold.
    WrongKey,
}

impl SealedVerdict {
    /// Whether the sender may stop sending the item.
    pub fn settles(self) -> bool {
        matches!(self, Self::Held | Self::Spent | Self::Superseded)
    }
}

/// A sealed Aadhaar held for the bridge.
#[derive(Clone)]
pub struct HeldSealed {
    /// Key fingerprint.
    pub key_id: String,
    /// Capture time: the wipe names it, so a newer capture is never wiped by mistake.
    pub sealed_at: i64,
    /// Ciphertext.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for HeldSealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeldSealed(key {})", self.key_id)
    }
}

/// A member's village, held capture time and spent capture time.
type HeldRow = (Option<Vec<u8>>, Option<i64>, Option<i64>);

const ANSWERED: &str = "('needs_correction', 'rejected', 'linked', 'created')";

fn answered_list() -> String {
    // Kept in step with the lattice: every final state is one ABDM answered.
    debug_assert!(
        EnrollmentState::ALL
            .iter()
            .filter(|s| s.is_final())
            .all(|s| ANSWERED.contains(s.code()))
    );
    ANSWERED.to_string()
}

impl Store {
    /// Sealed Aadhaar numbers the hub has not acknowledged, of members with a demographic-auth
    /// request ABDM has not answered (tablet side), in storage order after `after` (a cursor:
    /// the second value returned), so items a hub keeps refusing never hide later ones.
    pub fn sealed_to_hand(&self, after: i64, limit: u32) -> Result<(Vec<SealedItem>, i64)> {
        let sql = format!(
            "SELECT m.id, m.aadhaar_key_id, m.aadhaar_sealed_at, m.aadhaar_ciphertext, m.pk
               FROM members m
              WHERE m.aadhaar_ciphertext IS NOT NULL AND m.aadhaar_handed_at IS NULL
                AND m.pk > ?2
                AND EXISTS (SELECT 1 FROM enrollments e WHERE e.member_id = m.id
                            AND e.deleted = 0 AND e.route = 'demo_auth'
                            AND e.state NOT IN {})
              ORDER BY m.pk LIMIT ?1",
            answered_list()
        );
        self.read(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(params![limit, after], |r| {
                let id: Vec<u8> = r.get(0)?;
                Ok((id, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            let mut out = Vec::new();
            let mut last = after;
            for row in rows {
                let (id, key_id, sealed_at, ciphertext, pk): (
                    Vec<u8>,
                    Option<String>,
                    Option<i64>,
                    Vec<u8>,
                    i64,
                ) = row?;
                last = pk;
                if let Ok(member) = MemberId::from_slice(&id) {
                    out.push(SealedItem {
                        member,
                        key_id: key_id.unwrap_or_default(),
                        sealed_at: sealed_at.unwrap_or(0),
                        ciphertext,
                    });
                }
            }
            Ok((out, last))
        })
    }

    /// Records that the hub settled these items (tablet side). A capture made since is not marked.
    pub fn mark_sealed_handed(&self, items: &[(MemberId, i64)]) -> Result<()> {
        let now = self.clock().now_ms() as i64;
        self.local_write(|tx| {
            let mut st = tx.prepare_cached(
                "UPDATE members SET aadhaar_handed_at = ?3 WHERE id = ?1 AND aadhaar_sealed_at = ?2",
            )?;
            for (m, at) in items {
                st.execute(params![m.as_bytes(), at, now])?;
            }
            Ok(())
        })
    }

    /// Records the fingerprint of the key this store's owner (a hub) opens sealed numbers with.
    pub fn set_sealing_key_id(&self, key_id: &str) -> Result<()> {
        self.local_write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('sealing_key_id', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key_id],
            )?;
            Ok(())
        })
    }

    /// Stores handed items (hub side), sealed to the key named by [`Self::set_sealing_key_id`];
    /// `admits` says whether the sender may write records of a village.
    pub fn accept_sealed(
        &self,
        items: &[SealedItem],
        admits: impl Fn(Option<&VillageId>) -> bool,
    ) -> Result<Vec<SealedVerdict>> {
        self.local_write(|tx| {
            let key_id: String = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = 'sealing_key_id'",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default();
            let key_id = key_id.as_str();
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let row: Option<HeldRow> = tx
                    .prepare_cached(
                        "SELECT h.village_id, m.aadhaar_sealed_at, m.aadhaar_spent_sealed_at
                           FROM members m LEFT JOIN households h ON h.id = m.household_id
                          WHERE m.id = ?1 AND m.deleted = 0",
                    )?
                    .query_row([it.member.as_bytes()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                let held = row.map(|(village, held, spent)| HeldState {
                    village: village
                        .as_deref()
                        .and_then(|v| VillageId::from_slice(v).ok()),
                    sealed_at: held,
                    spent_sealed_at: spent,
                });
                let verdict = judge_sealed(key_id, it, held.as_ref(), &admits);
                if verdict == SealedVerdict::Held {
                    tx.prepare_cached(
                        "UPDATE members SET aadhaar_ciphertext = ?2, aadhaar_key_id = ?3,
                                aadhaar_sealed_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![
                        it.member.as_bytes(),
                        it.ciphertext,
                        it.key_id,
                        it.sealed_at
                    ])?;
                }
                out.push(verdict);
            }
            Ok(out)
        })
    }

    /// The sealed Aadhaar held for a member, if any.
    pub fn sealed_aadhaar(&self, member: MemberId) -> Result<Option<HeldSealed>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT aadhaar_key_id, aadhaar_sealed_at, aadhaar_ciphertext FROM members
                  WHERE id = ?1 AND aadhaar_ciphertext IS NOT NULL",
            )?
            .query_row([member.as_bytes()], |r| {
                Ok(HeldSealed {
                    key_id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    sealed_at: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    ciphertext: r.get(2)?,
                })
            })
            .optional()?)
        })
    }

    /// Discards every sealed Aadhaar whose demographic-auth requests ABDM has all answered
    /// (tablet side, after a pull). Returns how many were discarded.
    pub fn wipe_answered_aadhaar(&self) -> Result<usize> {
        let sql = format!(
            "UPDATE members SET aadhaar_ciphertext = NULL, aadhaar_key_id = NULL,
                    aadhaar_spent_sealed_at = aadhaar_sealed_at
              WHERE aadhaar_ciphertext IS NOT NULL
                AND EXISTS (SELECT 1 FROM enrollments e WHERE e.member_id = members.id
                            AND e.route = 'demo_auth' AND e.state IN {a})
                AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.member_id = members.id
                            AND e.deleted = 0 AND e.route = 'demo_auth' AND e.state NOT IN {a})",
            a = answered_list()
        );
        self.local_write(|tx| Ok(tx.execute(&sql, [])?))
    }

    /// Discards a member's sealed Aadhaar now (ABDM answered an OTP session for it).
    pub fn discard_aadhaar(&self, member: MemberId) -> Result<bool> {
        self.local_write(|tx| {
            Ok(tx.execute(
                "UPDATE members SET aadhaar_ciphertext = NULL, aadhaar_key_id = NULL,
                        aadhaar_spent_sealed_at = aadhaar_sealed_at
                  WHERE id = ?1 AND aadhaar_ciphertext IS NOT NULL",
                [member.as_bytes()],
            )? == 1)
        })
    }

    /// One write transaction on device-local columns (never merged fields: those change only
    /// through ops).
    fn local_write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// What a hub holds for a member an item is handed for.
#[derive(Debug, Clone, Copy)]
pub struct HeldState {
    /// The member's village, if placed.
    pub village: Option<VillageId>,
    /// When the held ciphertext was captured.
    pub sealed_at: Option<i64>,
    /// Capture time of the last ciphertext used and discarded.
    pub spent_sealed_at: Option<i64>,
}

/// The verdict on one handed item (`held`: `None` if the member is unknown). The same rules for
/// every hub backend; only [`SealedVerdict::Held`] stores the item.
pub fn judge_sealed(
    key_id: &str,
    item: &SealedItem,
    held: Option<&HeldState>,
    admits: impl Fn(Option<&VillageId>) -> bool,
) -> SealedVerdict {
    match held {
        _ if key_id.is_empty() || item.key_id != key_id => SealedVerdict::WrongKey,
        None => SealedVerdict::UnknownMember,
        Some(h) if !admits(h.village.as_ref()) => SealedVerdict::Forbidden,
        Some(h) if h.spent_sealed_at.is_some_and(|s| item.sealed_at <= s) => SealedVerdict::Spent,
        Some(h) if h.sealed_at.is_some_and(|s| item.sealed_at < s) => SealedVerdict::Superseded,
        Some(_) => SealedVerdict::Held,
    }
}

impl super::Change<'_> {
    /// Discards the member's sealed Aadhaar captured at `sealed_at` in this transaction (the
    /// hub, with the outcome ABDM gave). A newer capture is left alone.
    pub fn wipe_aadhaar(&mut self, member: MemberId, sealed_at: i64) -> Result<bool> {
        let n = self
            .tx()
            .prepare_cached(
                "UPDATE members SET aadhaar_ciphertext = NULL, aadhaar_key_id = NULL,
                        aadhaar_spent_sealed_at = ?2
                  WHERE id = ?1 AND aadhaar_sealed_at = ?2",
            )?
            .execute(params![member.as_bytes(), sealed_at])?;
        Ok(n == 1)
    }
}
