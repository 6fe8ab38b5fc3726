//! The replication engine's statements for PostgreSQL ([`ReplicaDb`] over one transaction).
//!
//! The engine calls small statements many times per batch (one merge-state read and one upsert
//! per record), so each statement is prepared once per transaction and reused; a push of
//! thousands of ops costs a few hundred round trips, not thousands of parses. Values are always
//! bound, never formatted into SQL.

use std::cell::RefCell;
use std::collections::HashMap;

use abha_core::ids::ReplicaId;
use abha_core::oplog::merge::Head;
use abha_core::oplog::{ChangeSet, EntityKind, Hlc, Value};
use abha_core::store::StoreError;
use abha_core::store::engine::{EntityRow, ReplicaDb, ReplicaMeta, StoredSet};
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// Rows fetched per round trip when scanning change sets.
const SCAN_CHUNK: i32 = 512;

pub(crate) fn db_err(e: postgres::Error) -> StoreError {
    // The server's message names constraints and columns; statements bind every value, so no
    // record content can appear in it.
    StoreError::Database(e.to_string())
}

/// One PostgreSQL transaction, as the replication engine sees it.
pub(crate) struct PgDb<'c> {
    tx: RefCell<Transaction<'c>>,
    statements: RefCell<HashMap<&'static str, Statement>>,
}

fn seq(v: i64, what: &'static str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::InvalidData(what))
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl<'c> PgDb<'c> {
    pub(crate) fn new(tx: Transaction<'c>) -> Self {
        Self {
            tx: RefCell::new(tx),
            statements: RefCell::new(HashMap::new()),
        }
    }

    /// Commits the transaction.
    pub(crate) fn commit(self) -> Result<()> {
        self.tx.into_inner().commit().map_err(db_err)
    }

    fn statement(&self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.borrow_mut().prepare(sql).map_err(db_err)?;
        self.statements.borrow_mut().insert(sql, s.clone());
        Ok(s)
    }

    pub(crate) fn execute(&self, sql: &'static str, p: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().execute(&st, p).map_err(db_err)
    }

    pub(crate) fn query(&self, sql: &'static str, p: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query(&st, p).map_err(db_err)
    }

    pub(crate) fn query_opt(
        &self,
        sql: &'static str,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query_opt(&st, p).map_err(db_err)
    }

    /// One nullable column of the record `(kind, id)`.
    fn bytes(&self, sql: &'static str, kind: EntityKind, id: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_opt(sql, &[&i16::from(kind.code()), &id])?
            .and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
    }
}

impl ReplicaDb for PgDb<'_> {
    fn meta(&self) -> Result<ReplicaMeta> {
        let m = self
            .query_opt(
                "SELECT replica, hlc_observed FROM replica_meta WHERE id = 1",
                &[],
            )?
            .ok_or(StoreError::InvalidData("meta row missing"))?;
        let replica =
            ReplicaId::from_i64(m.get(0)).map_err(|_| StoreError::InvalidData("replica"))?;
        let observed: i64 = m.get(1);
        let last = self.query_opt(
            "SELECT last_seq, hlc FROM changes WHERE origin = $1 ORDER BY first_seq DESC LIMIT 1",
            &[&replica.as_i64()],
        )?;
        let (last_seq, own_hlc): (i64, i64) = last.map_or((0, 0), |r| (r.get(0), r.get(1)));
        Ok(ReplicaMeta {
            replica,
            next_seq: seq(last_seq, "last_seq")? + 1,
            hlc: Hlc::from_i64(own_hlc.max(observed))
                .map_err(|_| StoreError::InvalidData("hlc"))?,
        })
    }

    fn observe_hlc(&self, hlc: Hlc) -> Result<()> {
        self.execute(
            "UPDATE replica_meta SET hlc_observed = GREATEST(hlc_observed, $1) WHERE id = 1",
            &[&hlc.to_i64()],
        )?;
        Ok(())
    }

    fn coverage_rows(&self) -> Result<Vec<(ReplicaId, u64)>> {
        Ok(self
            .query("SELECT origin, seq FROM coverage", &[])?
            .iter()
            .filter_map(|r| {
                Some((
                    ReplicaId::from_i64(r.get(0)).ok()?,
                    u64::try_from(r.get::<_, i64>(1)).ok()?,
                ))
            })
            .collect())
    }

    fn raise_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()> {
        self.execute(
            "INSERT INTO coverage (origin, seq) VALUES ($1, $2)
             ON CONFLICT (origin) DO UPDATE SET seq = GREATEST(coverage.seq, excluded.seq)",
            &[&origin.as_i64(), &i(seq)],
        )?;
        Ok(())
    }

    fn set_coverage(&self, origin: ReplicaId, seq: u64) -> Result<()> {
        self.execute(
            "UPDATE coverage SET seq = $2 WHERE origin = $1",
            &[&origin.as_i64(), &i(seq)],
        )?;
        Ok(())
    }

    fn set_coverage_scope(&self, hash: &[u8; 16]) -> Result<()> {
        self.execute(
            "UPDATE replica_meta SET coverage_scope = $1 WHERE id = 1",
            &[&hash.as_slice()],
        )?;
        Ok(())
    }

    fn stored_digest(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(Vec<u8>, bool)>> {
        Ok(self
            .query_opt(
                "SELECT digest, get_byte(ops, 0) = 0 FROM changes
                 WHERE origin = $1 AND first_seq = $2",
                &[&origin.as_i64(), &i(first_seq)],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn stored_ops(&self, origin: ReplicaId, first_seq: u64) -> Result<Option<(i64, Vec<u8>)>> {
        Ok(self
            .query_opt(
                "SELECT hlc, ops FROM changes WHERE origin = $1 AND first_seq = $2",
                &[&origin.as_i64(), &i(first_seq)],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn insert_set(&self, set: &ChangeSet, now_ms: u64) -> Result<()> {
        self.execute(
            "INSERT INTO changes (origin, first_seq, last_seq, hlc, ops, digest, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &set.origin.as_i64(),
                &i(set.first_seq),
                &i(set.last_seq()),
                &set.hlc.to_i64(),
                &set.encode_ops(),
                &set.digest.as_slice(),
                &i(now_ms),
            ],
        )?;
        Ok(())
    }

    fn replace_ops(&self, origin: ReplicaId, first_seq: u64, ops: &[u8]) -> Result<()> {
        self.execute(
            "UPDATE changes SET ops = $3 WHERE origin = $1 AND first_seq = $2",
            &[&origin.as_i64(), &i(first_seq), &ops],
        )?;
        Ok(())
    }

    fn scan_sets(
        &self,
        origin: ReplicaId,
        after: u64,
        upto: u64,
        f: &mut dyn FnMut(StoredSet<'_>) -> Result<bool>,
    ) -> Result<()> {
        let st = self.statement(
            "SELECT first_seq, last_seq, hlc, ops, digest FROM changes
             WHERE origin = $1 AND last_seq > $2 AND last_seq <= $3 ORDER BY first_seq",
        )?;
        let (o, a, u) = (origin.as_i64(), i(after), i(upto));
        let portal = self
            .tx
            .borrow_mut()
            .bind(&st, &[&o, &a, &u])
            .map_err(db_err)?;
        loop {
            // The borrow ends before `f` runs: `f` may query (placement lookups).
            let rows = self
                .tx
                .borrow_mut()
                .query_portal(&portal, SCAN_CHUNK)
                .map_err(db_err)?;
            if rows.is_empty() {
                return Ok(());
            }
            for r in &rows {
                let set = StoredSet {
                    first_seq: seq(r.get(0), "first_seq")?,
                    last_seq: seq(r.get(1), "last_seq")?,
                    hlc: r.get(2),
                    ops: r.get(3),
                    digest: r.get(4),
                };
                if !f(set)? {
                    return Ok(());
                }
            }
        }
    }

    fn placement_epoch(&self, village: &[u8]) -> Result<Option<i64>> {
        Ok(self
            .query_opt(
                "SELECT epoch FROM placement_epochs WHERE village = $1",
                &[&village],
            )?
            .map(|r| r.get(0)))
    }

    fn bump_epoch(&self, village: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO placement_epochs (village, epoch) VALUES ($1, 1)
             ON CONFLICT (village) DO UPDATE SET epoch = placement_epochs.epoch + 1",
            &[&village],
        )?;
        Ok(())
    }

    fn merge_state(&self, kind: EntityKind, id: Uuid) -> Result<Option<Vec<u8>>> {
        self.bytes(
            "SELECT merge FROM entities WHERE kind = $1 AND id = $2",
            kind,
            id.as_bytes().as_slice(),
        )
    }

    /// Keeps the merge state and the placement columns; a column the update does not change
    /// keeps its stored value.
    fn write_entity(&self, kind: EntityKind, id: Uuid, row: EntityRow<'_>) -> Result<()> {
        let column = |name: &str| -> (bool, Option<Vec<u8>>) {
            match row.column(name) {
                None => (false, None),
                Some(Value::Bytes(b)) => (true, Some(b.clone())),
                Some(_) => (true, None),
            }
        };
        let (sv, village) = column("village_id");
        let (sh, household) = column("household_id");
        let (sm, member) = column("member_id");
        self.execute(
            "INSERT INTO entities (id, kind, merge, deleted, village_id, household_id, member_id)
             VALUES ($1, $2, $3, $4, $6, $8, $10)
             ON CONFLICT (kind, id) DO UPDATE SET
                merge = excluded.merge,
                deleted = entities.deleted OR excluded.deleted,
                village_id = CASE WHEN $5 THEN excluded.village_id ELSE entities.village_id END,
                household_id = CASE WHEN $7 THEN excluded.household_id
                                    ELSE entities.household_id END,
                member_id = CASE WHEN $9 THEN excluded.member_id ELSE entities.member_id END",
            &[
                &id.as_bytes().as_slice(),
                &i16::from(kind.code()),
                &row.merge,
                &row.deleted,
                &sv,
                &village,
                &sh,
                &household,
                &sm,
                &member,
            ],
        )?;
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
        let entity = id.as_bytes().as_slice();
        match heads {
            Some(h) => {
                let candidates = postcard::to_stdvec(h).unwrap_or_default();
                self.execute(
                    "INSERT INTO conflicts (entity, field, kind, candidates, detected_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (entity, field) DO UPDATE SET candidates = excluded.candidates",
                    &[
                        &entity,
                        &field,
                        &i16::from(kind.code()),
                        &candidates,
                        &i(now_ms),
                    ],
                )?;
            }
            None => {
                self.execute(
                    "DELETE FROM conflicts WHERE entity = $1 AND field = $2",
                    &[&entity, &field],
                )?;
            }
        }
        Ok(())
    }

    fn household_village(&self, household: &[u8]) -> Result<Option<Vec<u8>>> {
        self.bytes(
            "SELECT village_id FROM entities WHERE kind = $1 AND id = $2",
            EntityKind::Household,
            household,
        )
    }

    fn member_household(&self, member: &[u8]) -> Result<Option<Vec<u8>>> {
        self.bytes(
            "SELECT household_id FROM entities WHERE kind = $1 AND id = $2",
            EntityKind::Member,
            member,
        )
    }

    fn record_member(&self, kind: EntityKind, id: &[u8]) -> Result<Option<Vec<u8>>> {
        self.bytes(
            "SELECT member_id FROM entities WHERE kind = $1 AND id = $2",
            kind,
            id,
        )
    }
}
