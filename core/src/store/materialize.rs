//! Turning ops into rows of the read tables.
//!
//! The read tables (`households`, `members`, ...) are a cache of the merged state of the op log,
//! shaped for the queries the apps make. This module writes them, inside the transaction that
//! stores the ops. Ops are grouped by entity so that a new member with a dozen fields costs one
//! `INSERT ... ON CONFLICT DO UPDATE` rather than a dozen. Column names come only from
//! [`crate::oplog::schema`], never from op contents.

use std::collections::HashMap;

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use uuid::Uuid;

use super::error::{Result, StoreError};
use crate::model::EnrollmentState;
use crate::oplog::schema::{self, MEMBER_HOUSEHOLD, MergeRule};
use crate::oplog::{Action, EntityKind, Op, Value};

/// Binds a [`Value`] as a SQLite parameter without copying.
pub(crate) struct SqlValue<'a>(pub &'a Value);

impl ToSql for SqlValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// Reads a stored value back. Floats are never stored.
pub(crate) fn value_from_sql(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|_| StoreError::InvalidData("text is not utf-8"))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        ValueRef::Real(_) => return Err(StoreError::InvalidData("float value")),
    })
}

/// The pending update of one entity's row.
#[derive(Default)]
struct RowUpdate {
    fields: Vec<(&'static str, Value)>,
    deleted: bool,
    adds: Vec<usize>,
}

impl RowUpdate {
    fn set(&mut self, name: &'static str, v: Value) {
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => self.fields.push((name, v)),
        }
    }
}

/// Applies ops this replica just made. Every local op is newer than anything the replica has
/// seen (the clock guarantees it), so it wins its field, except under the lattice rule where the
/// stored state may already be further along and the join is kept.
pub(crate) fn apply_local(tx: &Transaction<'_>, ops: &[Op]) -> Result<()> {
    let mut order: Vec<(EntityKind, Uuid)> = Vec::new();
    let mut rows: HashMap<(EntityKind, Uuid), RowUpdate> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        let key = (op.kind, op.entity);
        let row = rows.entry(key).or_insert_with(|| {
            order.push(key);
            RowUpdate::default()
        });
        match op.action {
            Action::Delete => row.deleted = true,
            Action::Set => {
                let spec = schema::field(op.kind, &op.field)
                    .ok_or(StoreError::InvalidData("unknown field"))?;
                row.set(spec.name, op.value.clone());
            }
            Action::Add => row.adds.push(i),
            Action::Remove => return Err(StoreError::InvalidData("remove is not a local write")),
        }
    }
    for key in order {
        if let Some(mut row) = rows.remove(&key) {
            join_lattice_fields(tx, key, &mut row)?;
            write_row(tx, key, &row)?;
            for &i in &row.adds {
                add_membership(tx, &ops[i])?;
            }
        }
    }
    Ok(())
}

fn join_lattice_fields(
    tx: &Transaction<'_>,
    (kind, entity): (EntityKind, Uuid),
    row: &mut RowUpdate,
) -> Result<()> {
    let spec = schema::entity(kind);
    for (name, value) in row.fields.iter_mut() {
        if spec.field(name).map(|f| f.rule) != Some(MergeRule::Lattice) {
            continue;
        }
        let sql = format!("SELECT {name} FROM {} WHERE id = ?1", spec.table);
        let current: Option<Option<String>> = tx
            .prepare_cached(&sql)?
            .query_row([entity.as_bytes()], |r| r.get(0))
            .optional()?;
        *value = lattice_join(current.flatten().as_deref(), value);
    }
    Ok(())
}

/// The join of two lattice values (enrolment state). Unknown codes lose to known ones.
pub(crate) fn lattice_join(current: Option<&str>, new: &Value) -> Value {
    let cur = current.and_then(EnrollmentState::parse);
    let new_state = match new {
        Value::Text(t) => EnrollmentState::parse(t),
        _ => None,
    };
    match (cur, new_state) {
        (Some(a), Some(b)) => Value::Text(a.join(b).code().to_owned()),
        (Some(a), None) => Value::Text(a.code().to_owned()),
        (None, _) => new.clone(),
    }
}

fn write_row(tx: &Transaction<'_>, (kind, entity): (EntityKind, Uuid), row: &RowUpdate) -> Result<()> {
    let table = schema::entity(kind).table;
    let mut cols: Vec<&str> = row.fields.iter().map(|(n, _)| *n).collect();
    if row.deleted {
        cols.push("deleted");
    }
    let sql = if cols.is_empty() {
        format!("INSERT INTO {table} (id) VALUES (?1) ON CONFLICT(id) DO NOTHING")
    } else {
        let placeholders: Vec<String> = (2..cols.len() + 2).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        format!(
            "INSERT INTO {table} (id, {}) VALUES (?1, {}) ON CONFLICT(id) DO UPDATE SET {}",
            cols.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        )
    };
    let deleted_flag = Value::Int(1);
    let mut values: Vec<SqlValue<'_>> = row.fields.iter().map(|(_, v)| SqlValue(v)).collect();
    if row.deleted {
        values.push(SqlValue(&deleted_flag));
    }
    let id = Value::Bytes(entity.as_bytes().to_vec());
    let all = std::iter::once(SqlValue(&id)).chain(values);
    tx.prepare_cached(&sql)?.execute(params_from_iter(all))?;
    Ok(())
}

fn add_membership(tx: &Transaction<'_>, op: &Op) -> Result<()> {
    if op.kind != EntityKind::Member || op.field != MEMBER_HOUSEHOLD {
        return Err(StoreError::InvalidData("unknown set field"));
    }
    let Value::Bytes(household) = &op.value else {
        return Err(StoreError::InvalidData("membership element"));
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO memberships (member_id, household_id, tag, hlc, origin)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        op.entity.as_bytes(),
        household,
        op.id.as_bytes(),
        op.hlc.to_i64(),
        op.origin.as_i64()
    ])?;
    // The member's current household is the one of its most recent live membership.
    tx.prepare_cached(
        "UPDATE members SET household_id =
            (SELECT household_id FROM memberships WHERE member_id = ?1
             ORDER BY hlc DESC, origin DESC LIMIT 1)
         WHERE id = ?1",
    )?
    .execute([op.entity.as_bytes()])?;
    Ok(())
}

/// Reads an op from a row of `SELECT origin, seq, op_id, hlc, kind, entity, field, action, value,
/// deps FROM ops`, checking that its id matches its contents.
pub(crate) fn op_from_row(r: &rusqlite::Row<'_>) -> Result<Op> {
    let bad = StoreError::InvalidData;
    let origin = crate::ids::ReplicaId::from_i64(r.get(0)?).map_err(|_| bad("op origin"))?;
    let seq = u64::try_from(r.get::<_, i64>(1)?).map_err(|_| bad("op seq"))?;
    let id = crate::oplog::OpId::from_slice(&r.get::<_, Vec<u8>>(2)?).ok_or(bad("op id"))?;
    let hlc = crate::oplog::Hlc::from_i64(r.get(3)?).map_err(|_| bad("op hlc"))?;
    let kind = EntityKind::from_code(r.get(4)?).ok_or(bad("op kind"))?;
    let entity = Uuid::from_slice(&r.get::<_, Vec<u8>>(5)?).map_err(|_| bad("op entity"))?;
    let field: String = r.get(6)?;
    let action = Action::from_code(r.get(7)?).ok_or(bad("op action"))?;
    let value = value_from_sql(r.get_ref(8)?)?;
    let deps = match r.get::<_, Option<Vec<u8>>>(9)? {
        None => Vec::new(),
        Some(b) => crate::oplog::decode_deps(&b).ok_or(bad("op deps"))?,
    };
    let op = Op {
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
    };
    if !op.verify_id() {
        return Err(bad("op id does not match contents"));
    }
    Ok(op)
}
