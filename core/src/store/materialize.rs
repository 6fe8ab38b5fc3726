//! Turning ops into rows of the read tables, through the merge rules.
//!
//! The read tables (`households`, `members`, ...) are a cache of the merged state of the op log,
//! shaped for the queries the apps make. A [`Batch`] loads each touched entity's merge state once,
//! applies ops to it with [`crate::oplog::merge::apply`] (the same pure code for local and remote
//! ops), and at the end writes one upsert per entity, its new state, and its conflict records,
//! all inside the caller's transaction, through the database's [`ReplicaDb`] (the same code on a
//! tablet, a SQLite hub and a PostgreSQL hub). Column names come only from
//! [`crate::oplog::schema`], never from op contents.

use std::collections::HashMap;

use uuid::Uuid;

use super::backend::{EntityRow, ReplicaDb};
use super::error::{Result, StoreError};
use crate::oplog::merge::{self, Effect, EntityState, Head};
use crate::oplog::schema;
use crate::oplog::{EntityKind, Op, Value};

/// The pending update of one entity's row.
#[derive(Default)]
struct RowUpdate {
    columns: Vec<(&'static str, Value)>,
    deleted: bool,
    /// Identity fields whose conflict status changed: `Some(heads)` open, `None` settled.
    conflicts: Vec<(&'static str, Option<Vec<Head>>)>,
}

impl RowUpdate {
    fn set(&mut self, name: &'static str, v: Value) {
        match self.columns.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => self.columns.push((name, v)),
        }
    }
}

struct EntityWork {
    kind: EntityKind,
    state: EntityState,
    dirty: bool,
    row: RowUpdate,
}

/// Merges a batch of ops into the read tables of one transaction.
pub(crate) struct Batch<'a, D: ReplicaDb + ?Sized> {
    db: &'a D,
    now_ms: u64,
    entities: HashMap<Uuid, EntityWork>,
    order: Vec<Uuid>,
    moved: bool,
    /// Villages a record moved into from another village.
    arrivals: std::collections::BTreeSet<Vec<u8>>,
}

impl<'a, D: ReplicaDb + ?Sized> Batch<'a, D> {
    pub(crate) fn new(db: &'a D, now_ms: u64) -> Self {
        Self {
            db,
            now_ms,
            entities: HashMap::new(),
            order: Vec::new(),
            moved: false,
            arrivals: std::collections::BTreeSet::new(),
        }
    }

    /// The merge state of an entity, loaded on first use.
    pub(crate) fn state(&mut self, kind: EntityKind, entity: Uuid) -> Result<&EntityState> {
        Ok(&self.work(kind, entity)?.state)
    }

    fn work(&mut self, kind: EntityKind, entity: Uuid) -> Result<&mut EntityWork> {
        if !self.entities.contains_key(&entity) {
            let stored = self.db.merge_state(kind, entity)?;
            let state = match stored {
                None => EntityState::default(),
                Some(b) => {
                    EntityState::decode(&b).ok_or(StoreError::InvalidData("entity state"))?
                }
            };
            self.order.push(entity);
            self.entities.insert(
                entity,
                EntityWork {
                    kind,
                    state,
                    dirty: false,
                    row: RowUpdate::default(),
                },
            );
        }
        self.entities
            .get_mut(&entity)
            .ok_or(StoreError::InvalidData("entity cache"))
    }

    /// Merges one op.
    pub(crate) fn apply(&mut self, op: &Op) -> Result<()> {
        // Does this op change which village an existing record belongs to? Scope caches depend
        // on it; first assignments (a new household, a new member) do not move anything.
        let placement = matches!(
            (op.kind, op.field.as_str()),
            (EntityKind::Household, "village_id")
                | (EntityKind::Member, schema::MEMBER_HOUSEHOLD)
                | (EntityKind::Consent | EntityKind::Enrollment, "member_id")
        );
        let had_placement = self
            .work(op.kind, op.entity)?
            .state
            .fields
            .contains_key(op.field.as_str());
        self.moved |= placement && had_placement;
        let before = if placement && had_placement {
            self.placed_village(op)?
        } else {
            None
        };
        let w = self.work(op.kind, op.entity)?;
        let created_before = w.state.created_ms;
        let effect = merge::apply(&mut w.state, op).map_err(|_| StoreError::OpRejected)?;
        w.dirty = true;
        if w.state.created_ms != created_before && schema::has_created_at(op.kind) {
            if let Some(ms) = w.state.created_ms {
                w.row.set("created_at", Value::Int(ms as i64));
            }
        }
        let effect_for_row = effect;
        if placement && had_placement {
            // Flush-independent: compare where the record was with where it is now.
            let after = self.placed_village(op)?;
            if let Some(v) = after.filter(|a| Some(a) != before.as_ref()) {
                self.arrivals.insert(v);
            }
        }
        let w = self
            .entities
            .get_mut(&op.entity)
            .ok_or(StoreError::InvalidData("entity cache"))?;
        match effect_for_row {
            Effect::None => {}
            Effect::Column(name, v) => w.row.set(name, v),
            Effect::Deleted => w.row.deleted = true,
            Effect::Identity {
                field,
                value,
                conflict,
            } => {
                w.row.set(field, value);
                w.row.conflicts.retain(|(f, _)| *f != field);
                w.row
                    .conflicts
                    .push((field, (!conflict.is_empty()).then_some(conflict)));
            }
            Effect::Set { field, current, .. } => {
                let column = schema::set_column(op.kind, field)
                    .ok_or(StoreError::InvalidData("set field without column"))?;
                w.row.set(column, current.map_or(Value::Null, Value::Bytes));
            }
        }
        Ok(())
    }

    /// The village (raw id) a household or member is placed in right now, as this batch sees it
    /// (its own pending rows first, then the table).
    fn placed_village(&self, op: &Op) -> Result<Option<Vec<u8>>> {
        let household: Option<Vec<u8>> = match op.kind {
            EntityKind::Household => Some(op.entity.as_bytes().to_vec()),
            EntityKind::Member => match self.entities.get(&op.entity).map(|w| &w.state) {
                Some(state) => match state.fields.get(schema::MEMBER_HOUSEHOLD) {
                    Some(merge::FieldState::Set { adds, .. }) => adds
                        .iter()
                        .max_by_key(|t| t.stamp)
                        .map(|t| t.element.clone()),
                    _ => None,
                },
                None => None,
            },
            _ => None,
        };
        let Some(h) = household else {
            return Ok(None);
        };
        if let Some(w) = Uuid::from_slice(&h)
            .ok()
            .and_then(|u| self.entities.get(&u))
        {
            if let Some((_, Value::Bytes(v))) =
                w.row.columns.iter().find(|(n, _)| *n == "village_id")
            {
                return Ok(Some(v.clone()));
            }
        }
        self.db.household_village(&h)
    }

    /// Writes every touched row, state and conflict record. Returns whether any op changed which
    /// village a record belongs to.
    pub(crate) fn flush(self) -> Result<bool> {
        let Self {
            db,
            now_ms,
            mut entities,
            order,
            moved,
            arrivals,
        } = self;
        for v in &arrivals {
            db.bump_epoch(v)?;
        }
        for entity in order {
            let Some(w) = entities.remove(&entity) else {
                continue;
            };
            if !w.dirty {
                continue;
            }
            let merge = w.state.encode();
            let row = EntityRow {
                columns: &w.row.columns,
                deleted: w.row.deleted,
                merge: &merge,
            };
            db.write_entity(w.kind, entity, row)?;
            for (field, heads) in &w.row.conflicts {
                db.write_conflict(w.kind, entity, field, heads.as_deref(), now_ms)?;
            }
        }
        Ok(moved)
    }
}
