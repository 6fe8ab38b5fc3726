//! Change sets: the ops of one local transaction, stored and shipped as one unit.
//!
//! A worker saving a household with five members makes some sixty field ops. They share one
//! hybrid logical timestamp and take consecutive sequence numbers `first_seq..=last_seq` of their
//! replica, so they are stored as one row and sent as one message: the household enrolment is
//! atomic end to end (it is applied whole or not at all, on every replica), and the storage cost
//! is one row instead of sixty. Each op keeps its own content address
//! ([`Op::compute_id`]), derived rather than stored, and the change set carries a digest of all
//! of them: the same change arriving twice is recognised, and a different change claiming the
//! same `(origin, first_seq)` (a cloned or restored database) is detected.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::withheld::Withheld;
use super::{Action, EntityKind, Hlc, Op, OpId, Value};
use crate::ids::ReplicaId;

fn digest_of(ids: &[OpId]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"abha-changeset/v1\0");
    for id in ids {
        h.update(id.as_bytes());
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// One op inside a change set (origin, sequence number and timestamp come from the set).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChangeOp {
    /// Entity kind.
    pub kind: EntityKind,
    /// Entity id.
    pub entity: Uuid,
    /// Field name (empty for deletes).
    pub field: String,
    /// What it does.
    pub action: Action,
    /// Value or set element.
    pub value: Value,
    /// Ops it supersedes (see [`Op::deps`]).
    pub deps: Vec<OpId>,
}

/// A change set: see the module docs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Author replica.
    pub origin: ReplicaId,
    /// Sequence number of the first op; op `i` has `first_seq + i`.
    pub first_seq: u64,
    /// Timestamp shared by all its ops.
    pub hlc: Hlc,
    /// The ops, in order (the ones shown, for a partial set).
    pub ops: Vec<ChangeOp>,
    /// Ops shown only by their position and id (a set redacted for a peer's scope; see
    /// [`super::withheld`]). Empty for every set a replica authored or holds whole.
    #[serde(default)]
    pub withheld: Vec<Withheld>,
    /// First 16 bytes of SHA-256 over the op ids: identity and integrity of the set.
    pub digest: [u8; 16],
}

/// A change set that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeSetError {
    /// No ops.
    #[error("change set is empty")]
    Empty,
    /// The digest does not match the ops (damaged or forged).
    #[error("change set digest does not match its ops")]
    Digest,
    /// Sequence numbers would overflow.
    #[error("change set sequence range overflows")]
    Range,
    /// Could not be decoded.
    #[error("change set encoding is invalid")]
    Encoding,
}

impl ChangeSet {
    /// Builds a change set and computes its digest.
    pub fn new(
        origin: ReplicaId,
        first_seq: u64,
        hlc: Hlc,
        ops: Vec<ChangeOp>,
    ) -> Result<Self, ChangeSetError> {
        Self::with_withheld(origin, first_seq, hlc, ops, Vec::new())
    }

    /// Builds a change set, some of whose ops are shown only by id, and computes its digest.
    pub fn with_withheld(
        origin: ReplicaId,
        first_seq: u64,
        hlc: Hlc,
        ops: Vec<ChangeOp>,
        withheld: Vec<Withheld>,
    ) -> Result<Self, ChangeSetError> {
        let mut set = Self {
            origin,
            first_seq,
            hlc,
            ops,
            withheld,
            digest: [0; 16],
        };
        set.check_shape()?;
        set.digest = set.compute_digest();
        Ok(set)
    }

    fn check_shape(&self) -> Result<(), ChangeSetError> {
        if self.ops.is_empty() {
            return Err(ChangeSetError::Empty);
        }
        if self.first_seq == 0
            || self
                .first_seq
                .checked_add(self.len() as u64)
                .is_none_or(|end| end > i64::MAX as u64)
        {
            return Err(ChangeSetError::Range);
        }
        // Withheld positions: strictly increasing, inside the set.
        let mut next = 0usize;
        for w in &self.withheld {
            let at = w.at as usize;
            if at < next || at >= self.len() {
                return Err(ChangeSetError::Encoding);
            }
            next = at + 1;
        }
        Ok(())
    }

    /// How many ops the set holds, withheld ones included.
    pub fn len(&self) -> usize {
        self.ops.len() + self.withheld.len()
    }

    /// Never true for a well-formed set (kept for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The last sequence number in the set.
    pub fn last_seq(&self) -> u64 {
        self.first_seq + self.len() as u64 - 1
    }

    /// The offset from `first_seq` of each shown op, in order.
    pub(super) fn positions(&self) -> Vec<usize> {
        if self.withheld.is_empty() {
            return (0..self.ops.len()).collect();
        }
        let mut hidden = self.withheld.iter().map(|w| w.at as usize).peekable();
        (0..self.len())
            .filter(|p| {
                if hidden.peek() == Some(p) {
                    hidden.next();
                    false
                } else {
                    true
                }
            })
            .collect()
    }

    /// Every op id in sequence order, withheld ones included, from shown ops' ids in order.
    fn all_ids(&self, shown: impl IntoIterator<Item = OpId>) -> Vec<OpId> {
        let mut shown = shown.into_iter();
        let mut hidden = self.withheld.iter().peekable();
        (0..self.len())
            .filter_map(|p| match hidden.peek() {
                Some(w) if w.at as usize == p => hidden.next().map(|w| w.id),
                _ => shown.next(),
            })
            .collect()
    }

    /// The id of shown op `i`, which sits at offset `pos`.
    pub(super) fn op_id_at(&self, i: usize, pos: usize) -> OpId {
        let o = &self.ops[i];
        Op::compute_id(
            self.origin,
            self.first_seq + pos as u64,
            self.hlc,
            o.kind,
            &o.entity,
            &o.field,
            o.action,
            &o.value,
            &o.deps,
        )
    }

    fn compute_digest(&self) -> [u8; 16] {
        let shown: Vec<OpId> = self
            .positions()
            .into_iter()
            .enumerate()
            .map(|(i, p)| self.op_id_at(i, p))
            .collect();
        digest_of(&self.all_ids(shown))
    }

    /// Builds a set whose op ids the caller has already computed (the local write path computes
    /// them while merging). `ids[i]` must be the id of op `i`; this is checked in debug builds.
    pub(crate) fn with_ids(
        origin: ReplicaId,
        first_seq: u64,
        hlc: Hlc,
        ops: Vec<ChangeOp>,
        ids: &[OpId],
    ) -> Result<Self, ChangeSetError> {
        let set = Self {
            origin,
            first_seq,
            hlc,
            ops,
            withheld: Vec::new(),
            digest: digest_of(ids),
        };
        set.check_shape()?;
        if ids.len() != set.ops.len() {
            return Err(ChangeSetError::Digest);
        }
        debug_assert_eq!(set.verify(), Ok(()));
        Ok(set)
    }

    /// Checks shape and digest (for sets read from disk or received from a peer).
    pub fn verify(&self) -> Result<(), ChangeSetError> {
        self.check_shape()?;
        if self.compute_digest() != self.digest {
            return Err(ChangeSetError::Digest);
        }
        Ok(())
    }

    /// The ops with their ids, checked against the digest in the same pass: what storing a set
    /// received from a peer needs (one SHA-256 per op, not two).
    pub fn verified_ops(&self) -> Result<Vec<Op>, ChangeSetError> {
        self.check_shape()?;
        let ops: Vec<Op> = self.ops().collect();
        let ids = self.all_ids(ops.iter().map(|o| o.id));
        if digest_of(&ids) != self.digest {
            return Err(ChangeSetError::Digest);
        }
        Ok(ops)
    }

    /// The ops with their origin, sequence numbers, timestamp and ids filled in.
    pub fn ops(&self) -> impl Iterator<Item = Op> + '_ {
        self.ops.iter().zip(self.positions()).map(|(o, p)| {
            Op::new(
                self.origin,
                self.first_seq + p as u64,
                self.hlc,
                o.kind,
                o.entity,
                o.field.clone(),
                o.action,
                o.value.clone(),
                o.deps.clone(),
            )
        })
    }

    /// Compact binary encoding of the ops, as stored in the `changes` table and sent on the
    /// wire: entity ids are listed once and referred to by index (a member's dozen fields would
    /// otherwise repeat its 16-byte id a dozen times), kinds and actions are their stable codes,
    /// and the rest is postcard. A partial set is prefixed by a zero byte and its withheld list
    /// (a whole set's encoding never starts with zero: it lists at least one entity).
    pub fn encode_ops(&self) -> Vec<u8> {
        let whole = self.encode_shown();
        if self.withheld.is_empty() {
            return whole;
        }
        let mut out = vec![0u8];
        out.extend(postcard::to_stdvec(&self.withheld).unwrap_or_default());
        out.extend(whole);
        out
    }

    fn encode_shown(&self) -> Vec<u8> {
        let mut entities: Vec<(u8, [u8; 16])> = Vec::new();
        let mut ops = Vec::with_capacity(self.ops.len());
        for o in &self.ops {
            let key = (o.kind.code(), *o.entity.as_bytes());
            let idx = match entities.iter().rposition(|e| *e == key) {
                Some(i) => i,
                None => {
                    entities.push(key);
                    entities.len() - 1
                }
            };
            ops.push(PackedOp {
                entity: idx as u32,
                field: &o.field,
                action: o.action.code(),
                value: &o.value,
                deps: &o.deps,
            });
        }
        // Encoding plain data into a Vec cannot fail.
        postcard::to_stdvec(&Packed { entities, ops }).unwrap_or_default()
    }

    /// Rebuilds a set from its stored columns and verifies it.
    pub fn decode(
        origin: ReplicaId,
        first_seq: u64,
        hlc: Hlc,
        ops: &[u8],
        digest: &[u8],
    ) -> Result<Self, ChangeSetError> {
        let set = Self::decode_trusted(origin, first_seq, hlc, ops, digest)?;
        set.verify()?;
        Ok(set)
    }

    /// Rebuilds a set from columns this replica stored itself after verifying them (SQLCipher's
    /// page MACs protect them at rest), skipping the recomputation of every op id.
    pub fn decode_trusted(
        origin: ReplicaId,
        first_seq: u64,
        hlc: Hlc,
        ops: &[u8],
        digest: &[u8],
    ) -> Result<Self, ChangeSetError> {
        let (withheld, ops) = match ops.split_first() {
            Some((0, rest)) => postcard::take_from_bytes::<Vec<Withheld>>(rest)
                .map_err(|_| ChangeSetError::Encoding)?,
            _ => (Vec::new(), ops),
        };
        let packed: Unpacked = postcard::from_bytes(ops).map_err(|_| ChangeSetError::Encoding)?;
        let ops = packed
            .ops
            .into_iter()
            .map(|p| {
                let &(kind, id) = packed
                    .entities
                    .get(p.entity as usize)
                    .ok_or(ChangeSetError::Encoding)?;
                Ok(ChangeOp {
                    kind: EntityKind::from_code(kind.into()).ok_or(ChangeSetError::Encoding)?,
                    entity: Uuid::from_bytes(id),
                    field: p.field,
                    action: Action::from_code(p.action.into()).ok_or(ChangeSetError::Encoding)?,
                    value: p.value,
                    deps: p.deps,
                })
            })
            .collect::<Result<Vec<_>, ChangeSetError>>()?;
        let digest = <[u8; 16]>::try_from(digest).map_err(|_| ChangeSetError::Encoding)?;
        let set = Self {
            origin,
            first_seq,
            hlc,
            ops,
            withheld,
            digest,
        };
        set.check_shape()?;
        Ok(set)
    }
}

#[derive(Serialize)]
struct Packed<'a> {
    entities: Vec<(u8, [u8; 16])>,
    ops: Vec<PackedOp<'a>>,
}

#[derive(Serialize)]
struct PackedOp<'a> {
    entity: u32,
    field: &'a str,
    action: u8,
    value: &'a Value,
    deps: &'a [OpId],
}

#[derive(Deserialize)]
struct Unpacked {
    entities: Vec<(u8, [u8; 16])>,
    ops: Vec<UnpackedOp>,
}

#[derive(Deserialize)]
struct UnpackedOp {
    entity: u32,
    field: String,
    action: u8,
    value: Value,
    deps: Vec<OpId>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn set() -> ChangeSet {
        let e = Uuid::now_v7();
        ChangeSet::new(
            ReplicaId::from_i64(7).unwrap(),
            10,
            Hlc::new(1_700_000_000_000, 0),
            vec![
                ChangeOp {
                    kind: EntityKind::Member,
                    entity: e,
                    field: "given_name".into(),
                    action: Action::Set,
                    value: Value::Text("सीता".into()),
                    deps: vec![],
                },
                ChangeOp {
                    kind: EntityKind::Member,
                    entity: e,
                    field: "household".into(),
                    action: Action::Add,
                    value: Value::Bytes(vec![1; 16]),
                    deps: vec![],
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn test_round_trip_and_op_ids() {
        let s = set();
        assert_eq!(s.last_seq(), 11);
        let back =
            ChangeSet::decode(s.origin, s.first_seq, s.hlc, &s.encode_ops(), &s.digest).unwrap();
        assert_eq!(back, s);
        let ops: Vec<Op> = s.ops().collect();
        assert_eq!(ops[1].seq, 11);
        assert!(ops.iter().all(Op::verify_id));
        assert_ne!(ops[0].id, ops[1].id);
    }

    #[test]
    fn test_tampering_is_detected() {
        let s = set();
        let mut t = s.clone();
        t.ops[0].value = Value::Text("x".into());
        assert_eq!(t.verify(), Err(ChangeSetError::Digest));
        let mut t = s.clone();
        t.first_seq = 11;
        assert_eq!(t.verify(), Err(ChangeSetError::Digest));
        assert_eq!(
            ChangeSet::decode(s.origin, 10, s.hlc, &[0xff, 0xff], &s.digest),
            Err(ChangeSetError::Encoding)
        );
        assert!(matches!(
            ChangeSet::new(s.origin, 0, s.hlc, s.ops.clone()),
            Err(ChangeSetError::Range)
        ));
        assert!(matches!(
            ChangeSet::new(s.origin, 1, s.hlc, vec![]),
            Err(ChangeSetError::Empty)
        ));
    }

    #[test]
    fn test_encoding_is_compact_and_stable() {
        let s = set();
        let bytes = s.encode_ops();
        // One entity listed once: 1 + (1 + 16) bytes, then two small ops.
        assert!(bytes.len() < 80, "{} bytes", bytes.len());
        // The value tags are part of the stored format: pin them.
        assert_eq!(postcard::to_stdvec(&Value::Null).unwrap(), [0]);
        assert_eq!(postcard::to_stdvec(&Value::Int(-1)).unwrap(), [1, 1]);
        assert_eq!(
            postcard::to_stdvec(&Value::Text("a".into())).unwrap(),
            [2, 1, b'a']
        );
        assert_eq!(
            postcard::to_stdvec(&Value::Bytes(vec![9])).unwrap(),
            [3, 1, 9]
        );
        assert_eq!(
            postcard::to_stdvec(&OpId::from_bytes([5; 16])).unwrap(),
            [5; 16]
        );
        assert_eq!(
            serde_json::to_string(&OpId::from_bytes([0xab; 16])).unwrap(),
            format!("\"{}\"", "ab".repeat(16))
        );
    }
}
