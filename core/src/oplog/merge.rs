//! Merging ops into an entity's state: pure functions, no I/O.
//!
//! Every replica keeps, per entity, a small [`EntityState`]: for each field the metadata its merge
//! rule needs. Applying an op to it returns the [`Effect`] on the read table. The rules make the
//! result independent of the order and number of times ops arrive (they are commutative,
//! idempotent and associative), which is what lets tablets and hubs meet in any order and still
//! converge:
//!
//! - **Last writer wins** (scalars): the op with the greatest [`OpStamp`] (hybrid logical time,
//!   then replica id, then sequence number) holds the field.
//! - **Lattice** (enrolment state): the value is the join of every value seen, so a stale device
//!   cannot move a created ABHA back to "queued".
//! - **Identity** (ABHA number, Aadhaar token): a multi-value register. A write names the values it
//!   replaces (`deps`); writes that do not know of each other both stay as heads, and two heads
//!   with different values are an explicit conflict for a supervisor, never a silent winner.
//! - **Add-wins set** (household membership): an observed-remove set. A remove takes away only the
//!   adds it saw, so a concurrent add survives, and a stale re-send of a removed add is ignored.
//! - **Delete**: a tombstone; the entity stays deleted whatever arrives later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::schema::{self, MergeRule};
use super::{Action, EntityKind, Hlc, Op, OpId, Value};
use crate::ids::ReplicaId;
use crate::model::EnrollmentState;

/// The total order of ops used by last-writer-wins.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct OpStamp {
    /// Hybrid logical time.
    pub hlc: Hlc,
    /// Author replica (ties in time).
    pub origin: ReplicaId,
    /// Author's sequence number (ops of one change set share a time).
    pub seq: u64,
}

impl Op {
    /// The op's position in the last-writer-wins order.
    pub fn op_stamp(&self) -> OpStamp {
        OpStamp {
            hlc: self.hlc,
            origin: self.origin,
            seq: self.seq,
        }
    }
}

/// A head of an identity register: a value no known write has replaced.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Head {
    /// The op that wrote it.
    pub op: OpId,
    /// Its stamp.
    pub stamp: OpStamp,
    /// The value.
    pub value: Value,
}

/// A live add of a set element.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Tag {
    /// The add op (the tag).
    pub op: OpId,
    /// Its stamp.
    pub stamp: OpStamp,
    /// The element (a household id for membership).
    pub element: Vec<u8>,
}

/// Merge metadata of one field.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum FieldState {
    /// Last writer wins: the winning stamp.
    Lww(OpStamp),
    /// Lattice: the join so far.
    Lattice(Value),
    /// Identity register: current heads and every op known to be replaced.
    Identity {
        /// Unreplaced writes, by stamp.
        heads: Vec<Head>,
        /// Ops replaced by some write, sorted.
        superseded: Vec<OpId>,
    },
    /// Observed-remove set: live adds and removed tags.
    Set {
        /// Live adds, by stamp.
        adds: Vec<Tag>,
        /// Removed tags, sorted.
        removed: Vec<OpId>,
    },
}

/// Merge metadata of one entity.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct EntityState {
    /// When it was deleted, if it was.
    pub deleted: Option<OpStamp>,
    /// The earliest wall time of any op applied (the entity's creation time).
    pub created_ms: Option<u64>,
    /// Per-field metadata.
    pub fields: BTreeMap<String, FieldState>,
}

/// What applying an op changes in the read table.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Effect {
    /// Nothing visible (a stale or duplicate op).
    None,
    /// The column takes this value.
    Column(&'static str, Value),
    /// An identity field: the column value (latest head) and, if heads disagree, all of them.
    Identity {
        /// Field name.
        field: &'static str,
        /// Value shown (the latest head).
        value: Value,
        /// Conflicting heads when they disagree, else empty.
        conflict: Vec<Head>,
    },
    /// A set field's live elements; `current` is the element of the latest live add.
    Set {
        /// Field name.
        field: &'static str,
        /// Latest live element.
        current: Option<Vec<u8>>,
        /// All live elements (several after concurrent moves).
        live: Vec<Vec<u8>>,
    },
    /// The entity is now deleted.
    Deleted,
}

/// An op that does not fit the schema: refused before it touches anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The entity kind has no such field.
    #[error("unknown field for {0:?}")]
    UnknownField(EntityKind),
    /// The value's type does not match the field.
    #[error("value of the wrong type")]
    WrongType,
    /// The action does not suit the field's merge rule.
    #[error("action not allowed on this field")]
    WrongAction,
}

/// The join of two lattice values (enrolment state). Unknown codes lose to known ones, so a newer
/// replica's extra states do not break an older one.
pub fn lattice_join(a: &Value, b: &Value) -> Value {
    let parse = |v: &Value| match v {
        Value::Text(t) => EnrollmentState::parse(t),
        _ => None,
    };
    // Known states are always kept in their canonical spelling, so joining is idempotent.
    let canonical = |s: EnrollmentState| Value::Text(s.code().to_owned());
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => canonical(x.join(y)),
        (Some(x), None) => canonical(x),
        (None, Some(y)) => canonical(y),
        // Neither known: a deterministic choice.
        (None, None) => {
            if a.total_cmp(b).is_ge() {
                a.clone()
            } else {
                b.clone()
            }
        }
    }
}

fn identity_effect(field: &'static str, heads: &[Head]) -> Effect {
    let value = heads
        .iter()
        .max_by_key(|h| h.stamp)
        .map_or(Value::Null, |h| h.value.clone());
    let disagree = heads.iter().any(|h| h.value != heads[0].value);
    Effect::Identity {
        field,
        value,
        conflict: if disagree { heads.to_vec() } else { Vec::new() },
    }
}

fn set_effect(field: &'static str, adds: &[Tag]) -> Effect {
    let current = adds
        .iter()
        .max_by_key(|t| t.stamp)
        .map(|t| t.element.clone());
    let mut live: Vec<Vec<u8>> = adds.iter().map(|t| t.element.clone()).collect();
    live.sort();
    live.dedup();
    Effect::Set {
        field,
        current,
        live,
    }
}

/// Applies one op to `state`. Commutative and idempotent: see the module docs.
pub fn apply(state: &mut EntityState, op: &Op) -> Result<Effect, MergeError> {
    let effect = apply_op(state, op)?;
    let wall = op.hlc.wall_ms();
    state.created_ms = Some(state.created_ms.map_or(wall, |c| c.min(wall)));
    Ok(effect)
}

fn apply_op(state: &mut EntityState, op: &Op) -> Result<Effect, MergeError> {
    let stamp = op.op_stamp();
    if op.action == Action::Delete {
        if !op.field.is_empty() || op.value != Value::Null {
            return Err(MergeError::WrongAction);
        }
        let was = state.deleted;
        state.deleted = Some(was.map_or(stamp, |w| w.max(stamp)));
        return Ok(if was.is_none() {
            Effect::Deleted
        } else {
            Effect::None
        });
    }
    let spec = schema::field(op.kind, &op.field).ok_or(MergeError::UnknownField(op.kind))?;
    if !spec.ty.admits(&op.value) {
        return Err(MergeError::WrongType);
    }
    let is_set_action = matches!(op.action, Action::Add | Action::Remove);
    if is_set_action != (spec.rule == MergeRule::AddWinsSet) {
        return Err(MergeError::WrongAction);
    }
    // Set elements are never null; checked before any state is created.
    if is_set_action && !matches!(op.value, Value::Bytes(_)) {
        return Err(MergeError::WrongType);
    }
    let slot = state.fields.get_mut(spec.name);
    Ok(match (spec.rule, slot) {
        (MergeRule::Lww, Some(FieldState::Lww(cur))) => {
            if stamp > *cur {
                *cur = stamp;
                Effect::Column(spec.name, op.value.clone())
            } else {
                Effect::None
            }
        }
        (MergeRule::Lattice, Some(FieldState::Lattice(cur))) => {
            let joined = lattice_join(cur, &op.value);
            if joined != *cur {
                *cur = joined.clone();
                Effect::Column(spec.name, joined)
            } else {
                Effect::None
            }
        }
        (MergeRule::Identity, Some(FieldState::Identity { heads, superseded })) => {
            if heads.iter().any(|h| h.op == op.id) {
                return Ok(Effect::None);
            }
            // What this write replaced is retired even if the write itself was already replaced
            // by a later one that arrived first (chain X <- Y <- Z delivered Z, X, Y).
            let mut changed = false;
            for d in &op.deps {
                if let Err(at) = superseded.binary_search(d) {
                    superseded.insert(at, *d);
                }
            }
            let before = heads.len();
            heads.retain(|h| !op.deps.contains(&h.op));
            changed |= heads.len() != before;
            if superseded.binary_search(&op.id).is_err() {
                heads.push(Head {
                    op: op.id,
                    stamp,
                    value: op.value.clone(),
                });
                heads.sort_by_key(|h| h.stamp);
                changed = true;
            }
            if changed {
                identity_effect(spec.name, heads)
            } else {
                Effect::None
            }
        }
        (MergeRule::AddWinsSet, Some(FieldState::Set { adds, removed })) => {
            match op.action {
                Action::Add => {
                    if removed.binary_search(&op.id).is_ok() || adds.iter().any(|t| t.op == op.id) {
                        return Ok(Effect::None);
                    }
                    let Value::Bytes(element) = &op.value else {
                        return Err(MergeError::WrongType);
                    };
                    adds.push(Tag {
                        op: op.id,
                        stamp,
                        element: element.clone(),
                    });
                    adds.sort_by_key(|t| t.stamp);
                }
                _ => {
                    let before = adds.len();
                    for d in &op.deps {
                        if let Err(at) = removed.binary_search(d) {
                            removed.insert(at, *d);
                        }
                    }
                    adds.retain(|t| !op.deps.contains(&t.op));
                    if adds.len() == before {
                        return Ok(Effect::None);
                    }
                }
            }
            set_effect(spec.name, adds)
        }
        // First op on this field: create its metadata.
        (rule, _) => {
            let fresh = match rule {
                MergeRule::Lww => FieldState::Lww(stamp),
                MergeRule::Lattice => FieldState::Lattice(Value::Null),
                MergeRule::Identity => FieldState::Identity {
                    heads: Vec::new(),
                    superseded: Vec::new(),
                },
                MergeRule::AddWinsSet => FieldState::Set {
                    adds: Vec::new(),
                    removed: Vec::new(),
                },
            };
            state.fields.insert(spec.name.to_owned(), fresh);
            if rule == MergeRule::Lww {
                Effect::Column(spec.name, op.value.clone())
            } else {
                return apply_op(state, op);
            }
        }
    })
}

/// The op ids an identity write must name as `deps` to replace what the writer sees.
pub fn identity_heads(state: &EntityState, field: &str) -> Vec<OpId> {
    match state.fields.get(field) {
        Some(FieldState::Identity { heads, .. }) => heads.iter().map(|h| h.op).collect(),
        _ => Vec::new(),
    }
}

/// The tags a remove of `element` must name to take the element out of a set field.
pub fn set_tags(state: &EntityState, field: &str, element: &[u8]) -> Vec<OpId> {
    match state.fields.get(field) {
        Some(FieldState::Set { adds, .. }) => adds
            .iter()
            .filter(|t| t.element == element)
            .map(|t| t.op)
            .collect(),
        _ => Vec::new(),
    }
}

impl EntityState {
    /// Compact encoding for storage. Stamps are the bulk of the state and most fields of an
    /// entity were written by the same change set, so distinct `(time, replica)` pairs are listed
    /// once and each stamp refers to one by index.
    pub fn encode(&self) -> Vec<u8> {
        let mut clocks: Vec<(u64, u64)> = Vec::new();
        let mut pack = |s: &OpStamp| -> PStamp {
            let key = (s.hlc.to_i64() as u64, s.origin.as_i64() as u64);
            let clock = match clocks.iter().position(|c| *c == key) {
                Some(i) => i,
                None => {
                    clocks.push(key);
                    clocks.len() - 1
                }
            };
            PStamp {
                clock: clock as u32,
                seq: s.seq,
            }
        };
        let deleted = self.deleted.as_ref().map(&mut pack);
        let fields = self
            .fields
            .iter()
            .map(|(name, f)| {
                let pf = match f {
                    FieldState::Lww(s) => PField::Lww(pack(s)),
                    FieldState::Lattice(v) => PField::Lattice(v.clone()),
                    FieldState::Identity { heads, superseded } => PField::Identity {
                        heads: heads
                            .iter()
                            .map(|h| (h.op, pack(&h.stamp), h.value.clone()))
                            .collect(),
                        superseded: superseded.clone(),
                    },
                    FieldState::Set { adds, removed } => PField::Set {
                        adds: adds
                            .iter()
                            .map(|t| (t.op, pack(&t.stamp), t.element.clone()))
                            .collect(),
                        removed: removed.clone(),
                    },
                };
                (name.clone(), pf)
            })
            .collect();
        postcard::to_stdvec(&PState {
            clocks,
            deleted,
            created_ms: self.created_ms,
            fields,
        })
        .unwrap_or_default()
    }

    /// Decodes stored state; `None` if the bytes are not a valid state.
    pub fn decode(b: &[u8]) -> Option<Self> {
        let p: PState = postcard::from_bytes(b).ok()?;
        let unpack = |s: &PStamp| -> Option<OpStamp> {
            let &(hlc, origin) = p.clocks.get(s.clock as usize)?;
            Some(OpStamp {
                hlc: Hlc::from_i64(i64::try_from(hlc).ok()?).ok()?,
                origin: ReplicaId::from_i64(i64::try_from(origin).ok()?).ok()?,
                seq: s.seq,
            })
        };
        let deleted = match &p.deleted {
            None => None,
            Some(s) => Some(unpack(s)?),
        };
        let mut fields = BTreeMap::new();
        for (name, pf) in &p.fields {
            let f = match pf {
                PField::Lww(s) => FieldState::Lww(unpack(s)?),
                PField::Lattice(v) => FieldState::Lattice(v.clone()),
                PField::Identity { heads, superseded } => FieldState::Identity {
                    heads: heads
                        .iter()
                        .map(|(op, s, v)| {
                            Some(Head {
                                op: *op,
                                stamp: unpack(s)?,
                                value: v.clone(),
                            })
                        })
                        .collect::<Option<_>>()?,
                    superseded: sorted(superseded),
                },
                PField::Set { adds, removed } => FieldState::Set {
                    adds: adds
                        .iter()
                        .map(|(op, s, e)| {
                            Some(Tag {
                                op: *op,
                                stamp: unpack(s)?,
                                element: e.clone(),
                            })
                        })
                        .collect::<Option<_>>()?,
                    removed: sorted(removed),
                },
            };
            fields.insert(name.clone(), f);
        }
        Some(Self {
            deleted,
            created_ms: p.created_ms,
            fields,
        })
    }
}

/// Stored id lists are searched by bisection: never trust their order from disk.
fn sorted(ids: &[OpId]) -> Vec<OpId> {
    let mut v = ids.to_vec();
    v.sort();
    v.dedup();
    v
}

#[derive(Serialize, Deserialize)]
struct PStamp {
    clock: u32,
    seq: u64,
}

#[derive(Serialize, Deserialize)]
enum PField {
    Lww(PStamp),
    Lattice(Value),
    Identity {
        heads: Vec<(OpId, PStamp, Value)>,
        superseded: Vec<OpId>,
    },
    Set {
        adds: Vec<(OpId, PStamp, Vec<u8>)>,
        removed: Vec<OpId>,
    },
}

#[derive(Serialize, Deserialize)]
struct PState {
    clocks: Vec<(u64, u64)>,
    deleted: Option<PStamp>,
    created_ms: Option<u64>,
    fields: Vec<(String, PField)>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use uuid::Uuid;

    fn op(field: &str, action: Action, value: Value) -> Op {
        let origin = ReplicaId::from_i64(3).unwrap();
        let entity = Uuid::from_u128(1);
        Op::new(
            origin,
            1,
            Hlc::new(10, 0),
            EntityKind::Member,
            entity,
            field,
            action,
            value,
            vec![],
        )
    }

    #[test]
    fn test_delete_must_not_carry_a_field_or_value() {
        let mut s = EntityState::default();
        let bad = op("given_name", Action::Delete, Value::Null);
        assert_eq!(apply(&mut s, &bad), Err(MergeError::WrongAction));
        let bad = op("", Action::Delete, Value::Int(1));
        assert_eq!(apply(&mut s, &bad), Err(MergeError::WrongAction));
        assert_eq!(s, EntityState::default());
        assert_eq!(
            apply(&mut s, &op("", Action::Delete, Value::Null)),
            Ok(Effect::Deleted)
        );
    }

    #[test]
    fn test_decode_restores_sorted_id_lists() {
        let mut s = EntityState::default();
        let ids = [OpId::from_bytes([9; 16]), OpId::from_bytes([1; 16])];
        s.fields.insert(
            "aadhaar_token".into(),
            FieldState::Identity {
                heads: vec![],
                superseded: ids.to_vec(),
            },
        );
        let back = EntityState::decode(&s.encode()).unwrap();
        let Some(FieldState::Identity { superseded, .. }) = back.fields.get("aadhaar_token") else {
            panic!("field lost")
        };
        assert_eq!(superseded, &vec![ids[1], ids[0]]);
    }
}
