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
        /// Unreplaced writes.
        heads: Vec<Head>,
        /// Ops replaced by some write.
        superseded: Vec<OpId>,
    },
    /// Observed-remove set: live adds and removed tags.
    Set {
        /// Live adds.
        adds: Vec<Tag>,
        /// Removed tags.
        removed: Vec<OpId>,
    },
}

/// Merge metadata of one entity.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct EntityState {
    /// When it was deleted, if it was.
    pub deleted: Option<OpStamp>,
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
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => Value::Text(x.join(y).code().to_owned()),
        (Some(_), None) => a.clone(),
        (None, Some(_)) => b.clone(),
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
    let current = adds.iter().max_by_key(|t| t.stamp).map(|t| t.element.clone());
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
    let stamp = op.op_stamp();
    if op.action == Action::Delete {
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
            if superseded.contains(&op.id) || heads.iter().any(|h| h.op == op.id) {
                Effect::None
            } else {
                for d in &op.deps {
                    if !superseded.contains(d) {
                        superseded.push(*d);
                    }
                }
                heads.retain(|h| !op.deps.contains(&h.op));
                heads.push(Head {
                    op: op.id,
                    stamp,
                    value: op.value.clone(),
                });
                heads.sort_by_key(|h| h.stamp);
                identity_effect(spec.name, heads)
            }
        }
        (MergeRule::AddWinsSet, Some(FieldState::Set { adds, removed })) => {
            match op.action {
                Action::Add => {
                    if removed.contains(&op.id) || adds.iter().any(|t| t.op == op.id) {
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
                        if !removed.contains(d) {
                            removed.push(*d);
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
                return apply(state, op);
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
    /// Compact encoding for storage.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }
    /// Decodes stored state.
    pub fn decode(b: &[u8]) -> Option<Self> {
        postcard::from_bytes(b).ok()
    }
}
