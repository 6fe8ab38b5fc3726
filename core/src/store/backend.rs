//! The database under the replication engine.
//!
//! Replication (what a push or a pull stores, how ops merge into records, where records are
//! placed, what a scoped peer lacks) is one algorithm, whether it runs on a tablet, on a camp hub
//! in this SQLite store or on a state hub in PostgreSQL. [`ReplicaDb`] is everything that
//! algorithm asks of a database: small statements, each inside the caller's transaction, so the
//! algorithm and its invariants live in one place (`replicate`, `materialize`, `placement`) and a
//! second database only has to store rows. [`SqliteDb`] is the store's implementation; the hub's
//! PostgreSQL backend is the other (`hub/src/storage/pg`), and one conformance suite runs both.

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

use super::error::{Result, StoreError};
use super::meta;
use crate::ids::ReplicaId;
use crate::oplog::merge::Head;
use crate::oplog::schema;
use crate::oplog::{ChangeSet, EntityKind, Hlc, Value};

/// This replica's identity and counters.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaMeta {
    /// The replica id (author of local ops).
    pub replica: ReplicaId,
    /// The next local sequence number.
    pub next_seq: u64,
    /// The clock floor: highest timestamp authored or observed.
    pub hlc: Hlc,
}

/// One stored change set row, borrowed from the database's row buffer.
#[derive(Debug, Clone, Copy)]
pub struct StoredSet<'r> {
    /// First sequence number.
    pub first_seq: u64,
    /// Last sequence number.
    pub last_seq: u64,
    /// Timestamp, as stored ([`Hlc::to_i64`]).
    pub hlc: i64,
    /// The stored encoding ([`ChangeSet::encode_ops`]).
    pub ops: &'r [u8],
    /// The set's digest.
    pub digest: &'r [u8],
}

/// The new state of one record: changed read-table columns, the deleted flag, its merge state.
#[derive(Debug, Clone, Copy)]
pub struct EntityRow<'a> {
    /// Changed columns (names from [`crate::oplog::schema`] only).
    pub columns: &'a [(&'static str, Value)],
    /// The record was deleted.
    pub deleted: bool,
    /// The encoded [`crate::oplog::EntityState`].
    pub merge: &'a [u8],
}

impl EntityRow<'_> {
    /// The new value of `column`, if this update changes it.
    pub fn column(&self, name: &str) -> Option<&Value> {
        self.columns
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// What replication needs of a database. Every method runs inside the caller's transaction;
/// ids are raw bytes as the ops carry them.
pub trait ReplicaDb {
    /// Replica id, next own sequence number and clock floor.
    fn meta(&self) -> Result<ReplicaMeta>;
    /// Raises the observed clock floor to `hlc`.
    fn observe_hlc(&self, hlc: Hlc) -> Result<()>;
    /// Stored coverage of other origins (the own origin is not in it).
    fn coverage_rows(&self) -> Result<Vec<(ReplicaId, u64)>>;
    /// Raises an origin's coverage to `seq` (never lowers it).
    fn raise_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()>;
    /// Sets an origin's coverage to `seq` (after a scope change).
    fn set_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()>;
    /// Records the scope hash the coverage was built under.
    fn set_coverage_scope(&self, hash: &[u8; 16]) -> Result<()>;
    /// The digest of the set stored at `(origin, first_seq)` and whether it is partial.
    fn stored_digest(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(Vec<u8>, bool)>>;
    /// The timestamp and encoding of the set stored at `(origin, first_seq)`.
    fn stored_ops(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(i64, Vec<u8>)>>;
    /// Stores a change set row.
    fn insert_set(&self, set: &ChangeSet, now_ms: u64) -> Result<()>;
    /// Replaces a stored set's encoding (a partial copy filled).
    fn replace_ops(&self, origin: ReplicaId, first_seq: u64, ops: &[u8]) -> Result<()>;
    /// Calls `f` for each set of `origin` with `after < last_seq <= upto`, in order, until it
    /// returns `false`.
    fn scan_sets(
        &self,
        origin: ReplicaId,
        after: u64,
        upto: u64,
        f: &mut dyn FnMut(StoredSet<'_>) -> Result<bool>,
    ) -> Result<()>;
    /// How many times records moved into `village` from elsewhere.
    fn placement_epoch(&self, village: &[u8]) -> Result<Option<i64>>;
    /// Counts one more arrival in `village`.
    fn bump_epoch(&self, village: &[u8]) -> Result<()>;
    /// A record's stored merge state.
    fn merge_state(&self, kind: EntityKind, id: Uuid) -> Result<Option<Vec<u8>>>;
    /// Upserts a record's row.
    fn write_entity(&self, kind: EntityKind, id: Uuid, row: EntityRow<'_>) -> Result<()>;
    /// Opens (`Some`) or settles (`None`) a conflict on an identity field.
    fn write_conflict(
        &self,
        kind: EntityKind,
        id: Uuid,
        field: &str,
        heads: Option<&[Head]>,
        now_ms: u64,
    ) -> Result<()>;
    /// The village of a household (its current `village_id`).
    fn household_village(&self, household: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The household of a member (its current `household_id`).
    fn member_household(&self, member: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The member a consent, enrolment request or review is about.
    fn record_member(&self, kind: EntityKind, id: &[u8]) -> Result<Option<Vec<u8>>>;
}

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

/// The store's own database: a connection (or transaction) of the SQLCipher file.
#[derive(Clone, Copy)]
pub(crate) struct SqliteDb<'c>(pub &'c Connection);

fn seq(v: i64, what: &'static str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::InvalidData(what))
}

impl SqliteDb<'_> {
    fn lookup(&self, sql: &str, id: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_row([id], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten())
    }
}

impl ReplicaDb for SqliteDb<'_> {
    fn meta(&self) -> Result<ReplicaMeta> {
        let m = meta::load(self.0)?;
        Ok(ReplicaMeta {
            replica: m.replica,
            next_seq: m.next_seq,
            hlc: m.hlc,
        })
    }

    fn observe_hlc(&self, hlc: Hlc) -> Result<()> {
        meta::observe_hlc(self.0, hlc)
    }

    fn coverage_rows(&self) -> Result<Vec<(ReplicaId, u64)>> {
        Ok(self
            .0
            .prepare_cached("SELECT origin, seq FROM coverage")?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
            .filter_map(|r| r.ok())
            .filter_map(|(o, s)| Some((ReplicaId::from_i64(o).ok()?, u64::try_from(s).ok()?)))
            .collect())
    }

    fn raise_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO coverage (origin, seq) VALUES (?1, ?2)
                 ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq)",
            )?
            .execute(params![origin.as_i64(), seq as i64])?;
        Ok(())
    }

    fn set_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()> {
        self.0
            .prepare_cached("UPDATE coverage SET seq = ?2 WHERE origin = ?1")?
            .execute(params![origin.as_i64(), seq as i64])?;
        Ok(())
    }

    fn set_coverage_scope(&self, hash: &[u8; 16]) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('coverage_scope', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([hash.as_slice()])?;
        Ok(())
    }

    fn stored_digest(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(Vec<u8>, bool)>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT digest, substr(ops, 1, 1) = x'00' FROM changes
                 WHERE origin = ?1 AND first_seq = ?2",
            )?
            .query_row(params![origin.as_i64(), first_seq as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn stored_ops(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(i64, Vec<u8>)>> {
        Ok(self
            .0
            .prepare_cached("SELECT hlc, ops FROM changes WHERE origin = ?1 AND first_seq = ?2")?
            .query_row(params![origin.as_i64(), first_seq as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn insert_set(&self, set: &ChangeSet, now_ms: u64) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO changes (origin, first_seq, last_seq, hlc, ops, digest, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                set.origin.as_i64(),
                set.first_seq as i64,
                set.last_seq() as i64,
                set.hlc.to_i64(),
                set.encode_ops(),
                set.digest.as_slice(),
                now_ms as i64,
            ])?;
        Ok(())
    }

    fn replace_ops(&self, origin: ReplicaId, first_seq: u64, ops: &[u8]) -> Result<()> {
        self.0
            .prepare_cached("UPDATE changes SET ops = ?3 WHERE origin = ?1 AND first_seq = ?2")?
            .execute(params![origin.as_i64(), first_seq as i64, ops])?;
        Ok(())
    }

    fn scan_sets(
        &self,
        origin: ReplicaId,
        after: u64,
        upto: u64,
        f: &mut dyn FnMut(StoredSet<'_>) -> Result<bool>,
    ) -> Result<()> {
        let mut st = self.0.prepare_cached(
            "SELECT first_seq, last_seq, hlc, ops, digest FROM changes
             WHERE origin = ?1 AND last_seq > ?2 AND last_seq <= ?3 ORDER BY first_seq",
        )?;
        let upto = i64::try_from(upto).unwrap_or(i64::MAX);
        let mut rows = st.query(params![origin.as_i64(), after as i64, upto])?;
        while let Some(r) = rows.next()? {
            let set = StoredSet {
                first_seq: seq(r.get(0)?, "first_seq")?,
                last_seq: seq(r.get(1)?, "last_seq")?,
                hlc: r.get(2)?,
                ops: r
                    .get_ref(3)?
                    .as_blob()
                    .map_err(|_| StoreError::InvalidData("ops"))?,
                digest: r
                    .get_ref(4)?
                    .as_blob()
                    .map_err(|_| StoreError::InvalidData("digest"))?,
            };
            if !f(set)? {
                break;
            }
        }
        Ok(())
    }

    fn placement_epoch(&self, village: &[u8]) -> Result<Option<i64>> {
        Ok(self
            .0
            .prepare_cached("SELECT epoch FROM placement_epochs WHERE village = ?1")?
            .query_row([village], |r| r.get(0))
            .optional()?)
    }

    fn bump_epoch(&self, village: &[u8]) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO placement_epochs (village, epoch) VALUES (?1, 1)
                 ON CONFLICT(village) DO UPDATE SET epoch = epoch + 1",
            )?
            .execute([village])?;
        Ok(())
    }

    fn merge_state(&self, kind: EntityKind, id: Uuid) -> Result<Option<Vec<u8>>> {
        let sql = format!(
            "SELECT merge FROM {} WHERE id = ?1",
            schema::entity(kind).table
        );
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([id.as_bytes()], |r| r.get(0))
            .optional()?)
    }

    /// One `INSERT ... ON CONFLICT DO UPDATE` of the changed columns, deleted flag and state.
    fn write_entity(&self, kind: EntityKind, id: Uuid, row: EntityRow<'_>) -> Result<()> {
        let table = schema::entity(kind).table;
        let mut cols: Vec<&str> = row.columns.iter().map(|(n, _)| *n).collect();
        if row.deleted {
            cols.push("deleted");
        }
        cols.push("merge");
        let placeholders: Vec<String> = (2..cols.len() + 2).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let sql = format!(
            "INSERT INTO {table} (id, {}) VALUES (?1, {}) ON CONFLICT(id) DO UPDATE SET {}",
            cols.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        );
        let deleted_flag = Value::Int(1);
        let id = Value::Bytes(id.as_bytes().to_vec());
        let merge_value = Value::Bytes(row.merge.to_vec());
        let values = std::iter::once(SqlValue(&id))
            .chain(row.columns.iter().map(|(_, v)| SqlValue(v)))
            .chain(row.deleted.then_some(SqlValue(&deleted_flag)))
            .chain(std::iter::once(SqlValue(&merge_value)));
        self.0
            .prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok(())
    }

    fn write_conflict(
        &self,
        kind: EntityKind,
        id: Uuid,
        field: &str,
        heads: Option<&[Head]>,
        now_ms: u64,
    ) -> Result<()> {
        match heads {
            Some(h) => {
                let candidates = postcard::to_stdvec(h).unwrap_or_default();
                self.0
                    .prepare_cached(
                        "INSERT INTO conflicts (entity, kind, field, candidates, detected_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT(entity, field) DO UPDATE SET candidates = excluded.candidates",
                    )?
                    .execute(params![
                        id.as_bytes(),
                        kind.code(),
                        field,
                        candidates,
                        now_ms as i64
                    ])?;
            }
            None => {
                self.0
                    .prepare_cached("DELETE FROM conflicts WHERE entity = ?1 AND field = ?2")?
                    .execute(params![id.as_bytes(), field])?;
            }
        }
        Ok(())
    }

    fn household_village(&self, household: &[u8]) -> Result<Option<Vec<u8>>> {
        self.lookup("SELECT village_id FROM households WHERE id = ?1", household)
    }

    fn member_household(&self, member: &[u8]) -> Result<Option<Vec<u8>>> {
        self.lookup("SELECT household_id FROM members WHERE id = ?1", member)
    }

    fn record_member(&self, kind: EntityKind, id: &[u8]) -> Result<Option<Vec<u8>>> {
        let table = schema::entity(kind).table;
        self.lookup(&format!("SELECT member_id FROM {table} WHERE id = ?1"), id)
    }
}
