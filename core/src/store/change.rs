//! One local write: its change set, the read tables it updates, and its outbox row, all in one
//! SQLite transaction.
//!
//! [`Store::write`](super::Store::write) opens a `BEGIN IMMEDIATE` transaction and hands the
//! closure a [`Change`]. Each `set`/`add`/`remove`/`delete` records an op. When the closure
//! returns, the ops get this replica's next sequence numbers and one fresh hybrid logical
//! timestamp; identity writes and removes name what they replace (`deps`) from the merge state as
//! it stands; the ops are merged into the read tables by the same code remote ops go through; the
//! change set, one outbox row covering its sequence range and the replica's counters are stored;
//! then the transaction commits. If anything fails nothing is visible: no op, no row, no outbox
//! entry. There is no way to change a read table without an op and an outbox row.

use rusqlite::{Transaction, params};
use uuid::Uuid;

use super::backend::{ReplicaDb as _, SqliteDb};
use super::error::{Result, StoreError};
use super::materialize::Batch;
use super::meta;
use crate::ids::{MemberId, ReplicaId};
use crate::oplog::merge::{identity_heads, set_tags};
use crate::oplog::schema::{self, MergeRule};
use crate::oplog::{Action, ChangeOp, ChangeSet, EntityKind, HlcState, Op, Value};
use crate::seal::SealedAadhaar;

/// A local write in progress. See the module docs.
#[derive(Debug)]
pub struct Change<'c> {
    tx: Transaction<'c>,
    now_ms: u64,
    ops: Vec<ChangeOp>,
    main_entity: Option<Uuid>,
    sealed: Vec<(MemberId, SealedAadhaar)>,
}

impl<'c> Change<'c> {
    pub(super) fn begin(tx: Transaction<'c>, now_ms: u64) -> Self {
        Self {
            tx,
            now_ms,
            ops: Vec::new(),
            main_entity: None,
            sealed: Vec::new(),
        }
    }

    /// Keeps a member's sealed Aadhaar on this device (not an op: see the `members` table).
    pub fn seal_aadhaar(&mut self, member: MemberId, sealed: &SealedAadhaar) {
        self.sealed.push((member, sealed.clone()));
    }

    /// The transaction, for side tables that are not replicated as ops (sealed Aadhaar), and for
    /// reads that must see this transaction.
    pub fn tx(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// The wall time this change was started at (after the hub offset), in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    fn check(
        kind: EntityKind,
        field: &str,
        value: &Value,
        set_valued: bool,
    ) -> Result<&'static str> {
        let spec = schema::field(kind, field).ok_or(StoreError::InvalidData("unknown field"))?;
        if !spec.ty.admits(value) {
            return Err(StoreError::InvalidData("value type"));
        }
        if (spec.rule == MergeRule::AddWinsSet) != set_valued {
            return Err(StoreError::InvalidData("action does not suit the field"));
        }
        Ok(spec.name)
    }

    fn push(&mut self, kind: EntityKind, entity: Uuid, field: &str, action: Action, value: Value) {
        self.main_entity.get_or_insert(entity);
        self.ops.push(ChangeOp {
            kind,
            entity,
            field: field.to_owned(),
            action,
            value,
            deps: Vec::new(),
        });
    }

    /// Assigns a field.
    pub fn set(&mut self, kind: EntityKind, entity: Uuid, field: &str, value: Value) -> Result<()> {
        let name = Self::check(kind, field, &value, false)?;
        self.push(kind, entity, name, Action::Set, value);
        Ok(())
    }

    /// Assigns several fields of one entity.
    pub fn set_all<'f>(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        fields: impl IntoIterator<Item = (&'f str, Value)>,
    ) -> Result<()> {
        for (f, v) in fields {
            self.set(kind, entity, f, v)?;
        }
        Ok(())
    }

    /// Adds an element to a set-valued field (household membership).
    pub fn add(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        field: &str,
        element: Value,
    ) -> Result<()> {
        let name = Self::check(kind, field, &element, true)?;
        if !matches!(element, Value::Bytes(_)) {
            return Err(StoreError::InvalidData("set element"));
        }
        self.push(kind, entity, name, Action::Add, element);
        Ok(())
    }

    /// Removes an element from a set-valued field: every add of it this replica has seen.
    pub fn remove(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        field: &str,
        element: Value,
    ) -> Result<()> {
        let name = Self::check(kind, field, &element, true)?;
        self.push(kind, entity, name, Action::Remove, element);
        Ok(())
    }

    /// Tombstones an entity. Deleted entities never come back, whatever stale replicas send.
    pub fn delete(&mut self, kind: EntityKind, entity: Uuid) -> Result<()> {
        self.push(kind, entity, "", Action::Delete, Value::Null);
        Ok(())
    }

    /// Marks the entity that best describes this change (shown in the outbox).
    pub fn describe(&mut self, entity: Uuid) {
        self.main_entity = Some(entity);
    }

    /// Stores the change set, updates the read tables, adds the outbox row and commits.
    /// Returns whether records moved between households or villages (see `Batch::flush`).
    pub(super) fn commit(self, label: &'static str) -> Result<bool> {
        let Self {
            tx,
            now_ms,
            mut ops,
            main_entity,
            sealed,
        } = self;
        if ops.is_empty() {
            tx.commit()?;
            return Ok(false);
        }
        let m = meta::load(&tx)?;
        let db = SqliteDb(&tx);
        let replica: ReplicaId = m.replica;
        let hlc = HlcState::resume(m.hlc).tick(now_ms);
        let first_seq = m.next_seq;
        let mut ids = Vec::with_capacity(ops.len());
        let moved;
        {
            let mut batch = Batch::new(&db, now_ms);
            for (i, o) in ops.iter_mut().enumerate() {
                // Name what this write replaces, as this replica sees it right now.
                o.deps = match o.action {
                    Action::Set if is_identity(o.kind, &o.field) => {
                        identity_heads(batch.state(o.kind, o.entity)?, &o.field)
                    }
                    Action::Remove => {
                        let Value::Bytes(el) = &o.value else {
                            return Err(StoreError::InvalidData("set element"));
                        };
                        set_tags(batch.state(o.kind, o.entity)?, &o.field, el)
                    }
                    _ => Vec::new(),
                };
                let op = Op::new(
                    replica,
                    first_seq + i as u64,
                    hlc,
                    o.kind,
                    o.entity,
                    o.field.clone(),
                    o.action,
                    o.value.clone(),
                    o.deps.clone(),
                );
                batch.apply(&op)?;
                ids.push(op.id);
            }
            moved = batch.flush()?;
        }
        for (member, a) in &sealed {
            let n = tx
                .prepare_cached(
                    "UPDATE members SET aadhaar_ciphertext = ?2, aadhaar_key_id = ?3,
                       aadhaar_sealed_at = ?4, aadhaar_handed_at = NULL WHERE id = ?1",
                )?
                .execute(params![
                    member.as_bytes(),
                    a.ciphertext,
                    a.key_id,
                    now_ms as i64
                ])?;
            if n != 1 {
                return Err(StoreError::NotFound {
                    entity: "member",
                    id: member.to_string(),
                });
            }
        }
        let n = ops.len();
        let set = ChangeSet::with_ids(replica, first_seq, hlc, ops, &ids)
            .map_err(|_| StoreError::InvalidData("change set"))?;
        db.insert_set(&set, now_ms)?;
        tx.prepare_cached(
            "INSERT INTO outbox (first_seq, last_seq, label, entity, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            first_seq as i64,
            set.last_seq() as i64,
            label,
            main_entity.as_ref().map(|u| u.as_bytes().to_vec()),
            now_ms as i64,
        ])?;
        tx.commit()?;
        tracing::debug!(%replica, label, ops = n, "local change committed");
        Ok(moved)
    }
}

fn is_identity(kind: EntityKind, field: &str) -> bool {
    schema::field(kind, field).is_some_and(|f| f.rule == MergeRule::Identity)
}
