//! The op log: every change to field data as an immutable, idempotent operation.
//!
//! A domain write (add a household, correct a name) becomes a handful of ops, one per field. An op
//! names its author replica and that replica's sequence number (`origin`, `seq`: dense, starting at
//! 1, so version vectors can say "I have everything from R up to 41"), a hybrid logical timestamp,
//! the entity and field it touches, and the value. Its id is a SHA-256 digest of all of that, so
//! the same op arriving twice is recognised, and a different op claiming the same `(origin, seq)`
//! (a restored backup, a cloned database) is detected instead of silently dropped.
//!
//! Ops are data only. How a field merges (last writer wins, lattice, add-wins set, identity with
//! explicit conflicts) is declared in [`schema`]; the store stores ops and the read tables in one
//! transaction.

pub mod changeset;
pub mod hlc;
pub mod merge;
pub mod schema;
pub mod withheld;

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use changeset::{ChangeOp, ChangeSet, ChangeSetError};
pub use hlc::{Clock, Hlc, HlcState, ManualClock, SystemClock};
pub use merge::{EntityState, OpStamp};
pub use withheld::Withheld;

use crate::ids::ReplicaId;

/// Content address of an op: the first 16 bytes of SHA-256 over its canonical encoding.
///
/// Serialised as 16 raw bytes in binary formats (storage, sync) and as hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId([u8; 16]);

impl OpId {
    /// From raw bytes.
    pub const fn from_bytes(b: [u8; 16]) -> Self {
        Self(b)
    }
    /// From a stored slice.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(b).ok().map(Self)
    }
    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpId({})", hex::encode(self.0))
    }
}

impl Serialize for OpId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(self.0))
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for OpId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            let v = hex::decode(s).map_err(D::Error::custom)?;
            Self::from_slice(&v).ok_or_else(|| D::Error::custom("op id must be 16 bytes"))
        } else {
            <[u8; 16]>::deserialize(d).map(Self)
        }
    }
}

/// The kinds of entity the op log knows. The numbers are stored and sent on the wire: never
/// renumber, only append.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// LGD village master data.
    Village = 1,
    /// A household.
    Household = 2,
    /// A household member.
    Member = 3,
    /// A device operator.
    Worker = 4,
    /// A facility or camp.
    Facility = 5,
    /// A recorded consent.
    Consent = 6,
    /// An ABHA enrolment request.
    Enrollment = 7,
    /// LGD state, district or sub-district master data (fetched from ABDM by the hub).
    Region = 8,
    /// A supervisor's decision about a record (send back, dismiss, retry, merge, distinct).
    Review = 9,
}

impl EntityKind {
    /// Every kind, in code order.
    pub const ALL: [EntityKind; 9] = [
        Self::Village,
        Self::Household,
        Self::Member,
        Self::Worker,
        Self::Facility,
        Self::Consent,
        Self::Enrollment,
        Self::Region,
        Self::Review,
    ];
    /// The stored code.
    pub const fn code(self) -> u8 {
        self as u8
    }
    /// From the stored code.
    pub fn from_code(c: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() as i64 == c)
    }
    /// A stable lower-case name, for logs and summaries.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Village => "village",
            Self::Household => "household",
            Self::Member => "member",
            Self::Worker => "worker",
            Self::Facility => "facility",
            Self::Consent => "consent",
            Self::Enrollment => "enrollment",
            Self::Region => "region",
            Self::Review => "review",
        }
    }
}

/// What an op does to its field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Assign the field (register semantics decided by the field's merge rule).
    Set = 1,
    /// Add the value to a set-valued field.
    Add = 2,
    /// Remove the value from a set-valued field; `deps` lists the adds it observed.
    Remove = 3,
    /// Tombstone the whole entity (`field` is empty).
    Delete = 4,
}

impl Action {
    /// The stored code.
    pub const fn code(self) -> u8 {
        self as u8
    }
    /// From the stored code.
    pub fn from_code(c: i64) -> Option<Self> {
        [Self::Set, Self::Add, Self::Remove, Self::Delete]
            .into_iter()
            .find(|a| a.code() as i64 == c)
    }
}

/// A field value. Deliberately small: no floats (coordinates are microdegrees), so every replica
/// compares and stores values bit for bit alike.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// No value (a cleared optional field).
    Null,
    /// A signed integer.
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes (ids, digests).
    Bytes(Vec<u8>),
}

impl fmt::Debug for Value {
    /// Values are personal data (names, dates of birth): never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("Null"),
            Self::Int(_) => f.write_str("Int(..)"),
            Self::Text(t) => write!(f, "Text(<{} bytes>)", t.len()),
            Self::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
        }
    }
}

impl Value {
    /// A total order over values (by type, then content), for deterministic tie-breaks.
    pub fn total_cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => a.cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (Self::Bytes(a), Self::Bytes(b)) => a.cmp(b),
            _ => self.tag().cmp(&other.tag()),
        }
    }
    /// Text, or Null for `None`.
    pub fn opt_text<S: Into<String>>(v: Option<S>) -> Self {
        v.map_or(Self::Null, |s| Self::Text(s.into()))
    }
    /// Int, or Null for `None`.
    pub fn opt_int(v: Option<i64>) -> Self {
        v.map_or(Self::Null, Self::Int)
    }
    /// A UUID as its 16 bytes.
    pub fn uuid(u: &Uuid) -> Self {
        Self::Bytes(u.as_bytes().to_vec())
    }
    /// A stable tag for the canonical encoding.
    const fn tag(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Int(_) => 1,
            Self::Text(_) => 2,
            Self::Bytes(_) => 3,
        }
    }
}

/// One immutable change.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Op {
    /// Content address, see [`Op::compute_id`].
    pub id: OpId,
    /// The replica that authored it.
    pub origin: ReplicaId,
    /// The author's sequence number, dense from 1.
    pub seq: u64,
    /// When, in hybrid logical time.
    pub hlc: Hlc,
    /// Which kind of entity.
    pub kind: EntityKind,
    /// Which entity.
    pub entity: Uuid,
    /// Which field (empty for `Delete`).
    pub field: String,
    /// What it does.
    pub action: Action,
    /// The value (for `Add`/`Remove`, the element).
    pub value: Value,
    /// Ops this one causally supersedes: the winner an identity-field `Set` replaced, or the adds
    /// a `Remove` observed. Lets merges tell "later" from "concurrent".
    pub deps: Vec<OpId>,
}

impl Op {
    /// An op with these contents and its content address filled in.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        origin: ReplicaId,
        seq: u64,
        hlc: Hlc,
        kind: EntityKind,
        entity: Uuid,
        field: impl Into<String>,
        action: Action,
        value: Value,
        deps: Vec<OpId>,
    ) -> Self {
        let field = field.into();
        let id = Self::compute_id(
            origin, seq, hlc, kind, &entity, &field, action, &value, &deps,
        );
        Self {
            id,
            origin,
            seq,
            hlc,
            kind,
            entity,
            field,
            action,
            value,
            deps,
        }
    }

    /// The content address of an op with these contents.
    #[allow(clippy::too_many_arguments)]
    pub fn compute_id(
        origin: ReplicaId,
        seq: u64,
        hlc: Hlc,
        kind: EntityKind,
        entity: &Uuid,
        field: &str,
        action: Action,
        value: &Value,
        deps: &[OpId],
    ) -> OpId {
        let mut h = Sha256::new();
        h.update(b"abha-op/v1\0");
        h.update(origin.as_i64().to_be_bytes());
        h.update(seq.to_be_bytes());
        h.update(hlc.to_i64().to_be_bytes());
        h.update([kind.code(), action.code()]);
        h.update(entity.as_bytes());
        put_bytes(&mut h, field.as_bytes());
        h.update([value.tag()]);
        match value {
            Value::Null => {}
            Value::Int(i) => h.update(i.to_be_bytes()),
            Value::Text(t) => put_bytes(&mut h, t.as_bytes()),
            Value::Bytes(b) => put_bytes(&mut h, b),
        }
        h.update((deps.len() as u32).to_be_bytes());
        for d in deps {
            h.update(d.as_bytes());
        }
        let digest = h.finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        OpId(id)
    }

    /// Whether `id` matches the contents (an op that was corrupted or forged does not).
    pub fn verify_id(&self) -> bool {
        self.id
            == Self::compute_id(
                self.origin,
                self.seq,
                self.hlc,
                self.kind,
                &self.entity,
                &self.field,
                self.action,
                &self.value,
                &self.deps,
            )
    }
}

fn put_bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_be_bytes());
    h.update(b);
}

/// Encodes op ids back to back, as stored in the `deps` column.
pub fn encode_deps(deps: &[OpId]) -> Vec<u8> {
    deps.iter().flat_map(|d| d.0).collect()
}

/// Decodes the `deps` column; `None` if its length is not a multiple of 16.
pub fn decode_deps(b: &[u8]) -> Option<Vec<OpId>> {
    if b.len() % 16 != 0 {
        return None;
    }
    b.chunks_exact(16).map(OpId::from_slice).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn op(value: Value) -> Op {
        let origin = ReplicaId::from_i64(42).unwrap();
        let entity = Uuid::now_v7();
        let hlc = Hlc::new(1_700_000_000_000, 1);
        let id = Op::compute_id(
            origin,
            1,
            hlc,
            EntityKind::Member,
            &entity,
            "given_name",
            Action::Set,
            &value,
            &[],
        );
        Op {
            id,
            origin,
            seq: 1,
            hlc,
            kind: EntityKind::Member,
            entity,
            field: "given_name".into(),
            action: Action::Set,
            value,
            deps: vec![],
        }
    }

    #[test]
    fn test_op_id_covers_every_part() {
        let a = op(Value::Text("x".into()));
        assert!(a.verify_id());
        let mut b = a.clone();
        b.value = Value::Text("y".into());
        assert!(!b.verify_id());
        let mut c = a.clone();
        c.seq = 2;
        assert!(!c.verify_id());
        let mut d = a.clone();
        d.deps.push(a.id);
        assert!(!d.verify_id());
        // Text "1" and Int 1 and Bytes "1" must not collide.
        let t = op(Value::Text("1".into()));
        let mut i = t.clone();
        i.value = Value::Bytes(b"1".to_vec());
        assert!(!i.verify_id());
    }

    #[test]
    fn test_value_debug_hides_contents() {
        let s = format!("{:?}", Value::Text("Sita Devi".into()));
        assert!(!s.contains("Sita"));
    }

    #[test]
    fn test_deps_round_trip() {
        let ids = vec![OpId::from_bytes([1; 16]), OpId::from_bytes([2; 16])];
        assert_eq!(decode_deps(&encode_deps(&ids)).unwrap(), ids);
        assert!(decode_deps(&[0; 15]).is_none());
    }

    #[test]
    fn test_codes_round_trip() {
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::from_code(k.code() as i64), Some(k));
        }
        for a in [Action::Set, Action::Add, Action::Remove, Action::Delete] {
            assert_eq!(Action::from_code(a.code() as i64), Some(a));
        }
    }
}
