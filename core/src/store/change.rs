//! One local write: the ops it makes, the read tables it updates, and its outbox row, all in one
//! SQLite transaction.
//!
//! [`Store::write`](super::Store::write) opens a `BEGIN IMMEDIATE` transaction and hands the
//! closure a [`Change`]. Each `set`/`add`/`delete` becomes an op stamped with the next sequence
//! number of this replica and a fresh hybrid logical timestamp. When the closure returns, the ops
//! are stored, the read tables are updated through the same merge code remote ops use, one outbox
//! row covering the ops' sequence range is added, and the replica's counters are saved: then the
//! transaction commits. If anything fails, nothing of it is visible, ops and outbox included.
//! There is no way to change a read table without an op and an outbox row.

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::error::{Result, StoreError};
use super::{materialize, meta};
use crate::ids::ReplicaId;
use crate::oplog::schema::{self, MergeRule};
use crate::oplog::{Action, EntityKind, HlcState, Op, OpId, Value, encode_deps};

/// A local write in progress. See the module docs.
#[derive(Debug)]
pub struct Change<'c> {
    tx: Transaction<'c>,
    replica: ReplicaId,
    hlc: HlcState,
    now_ms: u64,
    next_seq: u64,
    ops: Vec<Op>,
    main_entity: Option<Uuid>,
}

impl<'c> Change<'c> {
    pub(super) fn begin(tx: Transaction<'c>, now_ms: u64) -> Result<Self> {
        let m = meta::load(&tx)?;
        Ok(Self {
            tx,
            replica: m.replica,
            hlc: HlcState::resume(m.hlc),
            now_ms,
            next_seq: m.next_seq,
            ops: Vec::new(),
            main_entity: None,
        })
    }

    /// The transaction, for side tables that are not replicated as ops (sealed Aadhaar).
    pub fn tx(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// The wall time this change was started at (after the hub offset), in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// This store's replica id.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// Assigns a field.
    pub fn set(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        field: &'static str,
        value: Value,
    ) -> Result<()> {
        let spec = schema::field(kind, field).ok_or(StoreError::InvalidData("unknown field"))?;
        if !spec.ty.admits(&value) {
            return Err(StoreError::InvalidData("value type"));
        }
        if spec.rule == MergeRule::AddWinsSet {
            return Err(StoreError::InvalidData("set-valued field needs add/remove"));
        }
        // An identity write names the value it replaces, so a concurrent different write can be
        // told apart from a correction.
        let deps = if spec.rule == MergeRule::Identity {
            self.current_winner(entity, field)?.into_iter().collect()
        } else {
            Vec::new()
        };
        self.push(kind, entity, field, Action::Set, value, deps);
        Ok(())
    }

    /// Assigns several fields of one entity.
    pub fn set_all(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        fields: impl IntoIterator<Item = (&'static str, Value)>,
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
        field: &'static str,
        element: Value,
    ) -> Result<()> {
        let spec = schema::field(kind, field).ok_or(StoreError::InvalidData("unknown field"))?;
        if spec.rule != MergeRule::AddWinsSet || !spec.ty.admits(&element) {
            return Err(StoreError::InvalidData("add on a non-set field"));
        }
        self.push(kind, entity, field, Action::Add, element, Vec::new());
        Ok(())
    }

    /// Tombstones an entity. Deleted entities never come back, whatever stale replicas send.
    pub fn delete(&mut self, kind: EntityKind, entity: Uuid) -> Result<()> {
        self.push(kind, entity, "", Action::Delete, Value::Null, Vec::new());
        Ok(())
    }

    /// Marks the entity that best describes this change (shown in the outbox).
    pub fn describe(&mut self, entity: Uuid) {
        self.main_entity = Some(entity);
    }

    /// The ops recorded so far.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    fn push(
        &mut self,
        kind: EntityKind,
        entity: Uuid,
        field: &str,
        action: Action,
        value: Value,
        deps: Vec<OpId>,
    ) {
        let hlc = self.hlc.tick(self.now_ms);
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = Op::compute_id(
            self.replica,
            seq,
            hlc,
            kind,
            &entity,
            field,
            action,
            &value,
            &deps,
        );
        self.main_entity.get_or_insert(entity);
        self.ops.push(Op {
            id,
            origin: self.replica,
            seq,
            hlc,
            kind,
            entity,
            field: field.to_owned(),
            action,
            value,
            deps,
        });
    }

    /// The op id of the current winning value of a field, if any (own pending ops included).
    fn current_winner(&self, entity: Uuid, field: &str) -> Result<Option<OpId>> {
        if let Some(op) = self
            .ops
            .iter()
            .rev()
            .find(|o| o.entity == entity && o.field == field)
        {
            return Ok(Some(op.id));
        }
        let id: Option<Vec<u8>> = self
            .tx
            .prepare_cached(
                "SELECT op_id FROM ops WHERE entity = ?1 AND field = ?2 AND action = 1
                 ORDER BY hlc DESC, origin DESC LIMIT 1",
            )?
            .query_row(params![entity.as_bytes(), field], |r| r.get(0))
            .optional()?;
        Ok(id.and_then(|b| OpId::from_slice(&b)))
    }

    /// Stores the ops, updates the read tables, adds the outbox row and commits.
    pub(super) fn commit(self, label: &'static str) -> Result<usize> {
        let Self {
            tx,
            replica,
            hlc,
            now_ms,
            next_seq,
            ops,
            main_entity,
        } = self;
        if ops.is_empty() {
            tx.commit()?;
            return Ok(0);
        }
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO ops (origin, seq, op_id, hlc, kind, entity, field, action, value, deps)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for op in &ops {
                ins.execute(params![
                    op.origin.as_i64(),
                    op.seq as i64,
                    op.id.as_bytes(),
                    op.hlc.to_i64(),
                    op.kind.code(),
                    op.entity.as_bytes(),
                    op.field,
                    op.action.code(),
                    materialize::SqlValue(&op.value),
                    (!op.deps.is_empty()).then(|| encode_deps(&op.deps)),
                ])?;
            }
        }
        materialize::apply_local(&tx, &ops)?;
        let first = ops.first().map_or(0, |o| o.seq);
        let last = ops.last().map_or(0, |o| o.seq);
        tx.prepare_cached(
            "INSERT INTO outbox (first_seq, last_seq, label, entity, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            first as i64,
            last as i64,
            label,
            main_entity.as_ref().map(|u| u.as_bytes().to_vec()),
            now_ms as i64,
        ])?;
        meta::save_counters(&tx, next_seq, hlc.last())?;
        tx.commit()?;
        tracing::debug!(%replica, label, ops = ops.len(), "local change committed");
        Ok(ops.len())
    }
}
