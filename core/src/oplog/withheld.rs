//! Withheld ops: a change set shown to a peer without the ops outside the peer's scope.
//!
//! Why: a change set is atomic and travels whole, but one set can span villages. A household
//! captured in village B creates its members in the same set; when one of them later moves to
//! village A, the tablets of village A need that member's history and must not receive the rest
//! of household B (names, birth dates and address of a village they do not serve). The hub sends
//! such a set with the out-of-scope ops replaced by their ids: the digest is over op ids, so the
//! receiver still verifies the set and recognises it later, stores it as a *partial* set, and
//! fills it in if a fuller copy arrives (its scope widened). Sets a replica authored, and every
//! set a hub holds from a push, are whole; only pulls produce partial sets.

use serde::{Deserialize, Serialize};

use super::OpId;
use super::changeset::{ChangeOp, ChangeSet};

/// One op shown only by its position in the set and its id.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Withheld {
    /// Offset from the set's `first_seq`.
    pub at: u32,
    /// The op's id (what the digest covers).
    pub id: OpId,
}

/// One position of a set: an op shown, or only its id.
enum Slot {
    Shown(ChangeOp),
    Hidden(OpId),
}

impl ChangeSet {
    /// Whether some ops are withheld.
    pub fn is_partial(&self) -> bool {
        !self.withheld.is_empty()
    }

    fn slots(&self) -> Vec<Slot> {
        let mut shown = self.ops.iter().cloned();
        let mut hidden = self.withheld.iter().peekable();
        (0..self.len())
            .filter_map(|p| match hidden.peek() {
                Some(w) if w.at as usize == p => hidden.next().map(|w| Slot::Hidden(w.id)),
                _ => shown.next().map(Slot::Shown),
            })
            .collect()
    }

    fn rebuilt_with(&self, slots: Vec<Slot>) -> ChangeSet {
        let mut ops = Vec::new();
        let mut withheld = Vec::new();
        for (at, s) in slots.into_iter().enumerate() {
            match s {
                Slot::Shown(o) => ops.push(o),
                Slot::Hidden(id) => withheld.push(Withheld { at: at as u32, id }),
            }
        }
        ChangeSet {
            origin: self.origin,
            first_seq: self.first_seq,
            hlc: self.hlc,
            ops,
            withheld,
            digest: self.digest,
        }
    }

    /// The set with every shown op for which `keep` is false withheld; `None` if nothing would
    /// be shown (the peer should not get the set at all).
    pub fn withhold(&self, mut keep: impl FnMut(&ChangeOp) -> bool) -> Option<ChangeSet> {
        let positions = self.positions();
        let mut slots = self.slots();
        let mut i = 0usize;
        for slot in &mut slots {
            if let Slot::Shown(o) = slot {
                if !keep(o) {
                    *slot = Slot::Hidden(self.op_id_at(i, positions[i]));
                }
                i += 1;
            }
        }
        slots
            .iter()
            .any(|s| matches!(s, Slot::Shown(_)))
            .then(|| self.rebuilt_with(slots))
    }

    /// This partial set with the ops `other` (another copy of the same set: same origin, first
    /// sequence number and digest, already verified) shows and this one withholds. `None` if
    /// `other` shows nothing new or is not a copy of this set.
    pub fn filled_from(&self, other: &ChangeSet) -> Option<ChangeSet> {
        if (other.origin, other.first_seq, other.digest, other.len())
            != (self.origin, self.first_seq, self.digest, self.len())
        {
            return None;
        }
        let mut filled = false;
        let slots = self
            .slots()
            .into_iter()
            .zip(other.slots())
            .map(|pair| match pair {
                (Slot::Hidden(_), Slot::Shown(o)) => {
                    filled = true;
                    Slot::Shown(o)
                }
                (mine, _) => mine,
            })
            .collect();
        filled.then(|| self.rebuilt_with(slots))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::ids::ReplicaId;
    use crate::oplog::{Action, EntityKind, Hlc, Op, Value};

    fn set(n: usize) -> ChangeSet {
        let a = Uuid::from_bytes([1; 16]);
        let b = Uuid::from_bytes([2; 16]);
        let ops = (0..n)
            .map(|i| ChangeOp {
                kind: if i % 2 == 0 {
                    EntityKind::Household
                } else {
                    EntityKind::Member
                },
                entity: if i % 3 == 0 { a } else { b },
                field: format!("f{i}"),
                action: Action::Set,
                value: Value::Int(i as i64),
                deps: vec![],
            })
            .collect();
        ChangeSet::new(
            ReplicaId::from_i64(9).unwrap(),
            5,
            Hlc::new(1_700_000_000_000, 3),
            ops,
        )
        .unwrap()
    }

    fn round_trip(s: &ChangeSet) -> ChangeSet {
        ChangeSet::decode(s.origin, s.first_seq, s.hlc, &s.encode_ops(), &s.digest).unwrap()
    }

    proptest! {
        /// Withholding any subset keeps the digest, the sequence range and each shown op's id;
        /// it survives the encoding; filling from the whole set gives the whole set back.
        #[test]
        fn prop_withheld_sets_verify_and_fill_back(n in 1usize..12, mask in any::<u16>()) {
            let whole = set(n);
            let ids: Vec<Op> = whole.ops().collect();
            let mut i = 0;
            let part = whole.withhold(|_| { i += 1; mask & (1 << (i - 1)) != 0 });
            let shown = (0..n).filter(|k| mask & (1 << k) != 0).count();
            prop_assert_eq!(part.is_some(), shown > 0);
            let Some(part) = part else { return Ok(()) };
            prop_assert_eq!(part.verify(), Ok(()));
            prop_assert_eq!(part.last_seq(), whole.last_seq());
            prop_assert_eq!(part.is_partial(), shown < n);
            let back = round_trip(&part);
            prop_assert_eq!(&back, &part);
            let ops = back.verified_ops().unwrap();
            prop_assert_eq!(ops.len(), shown);
            for o in &ops {
                prop_assert!(ids.contains(o));
            }
            // Withholding again (from a partial set) composes.
            let again = back.withhold(|o| o.field != "f0");
            if let Some(a) = &again {
                prop_assert_eq!(a.verify(), Ok(()));
            }
            match back.filled_from(&whole) {
                Some(full) => {
                    prop_assert_eq!(&full, &whole);
                    prop_assert!(shown < n);
                }
                None => prop_assert_eq!(shown, n),
            }
            prop_assert!(whole.filled_from(&back).is_none());
        }
    }

    #[test]
    fn test_forged_withheld_ids_fail_the_digest() {
        let whole = set(4);
        let mut part = whole.withhold(|o| o.field != "f1").unwrap();
        assert_eq!(part.withheld.len(), 1);
        part.withheld[0].id = OpId::from_bytes([7; 16]);
        assert!(part.verify().is_err());
        assert!(part.verified_ops().is_err());
        // Out-of-range or unordered positions are refused as malformed.
        let mut bad = whole.withhold(|o| o.field != "f1").unwrap();
        bad.withheld[0].at = 9;
        let bytes = bad.encode_ops();
        assert!(
            ChangeSet::decode(bad.origin, bad.first_seq, bad.hlc, &bytes, &bad.digest).is_err()
        );
    }

    #[test]
    fn test_whole_encoding_is_unchanged_and_never_starts_with_zero() {
        let whole = set(3);
        let bytes = whole.encode_ops();
        assert_ne!(bytes[0], 0);
        let part = whole.withhold(|o| o.field == "f0").unwrap();
        let pbytes = part.encode_ops();
        assert_eq!(pbytes[0], 0);
        assert!(
            pbytes.len() < bytes.len() + 40,
            "{} vs {}",
            pbytes.len(),
            bytes.len()
        );
    }
}
