//! The state hub's PostgreSQL backend.
//!
//! A state server holds every camp's records and serves many hubs and tablets at once, which is
//! what PostgreSQL is for (backups, replication, monitoring the operators already know). The
//! replication algorithm is the core's own (`abha_core::store::engine`), run in a PostgreSQL
//! transaction through [`db::PgDb`]; this module adds the pool, the migrations and the hub's
//! own tables.
//!
//! Writes take one transaction-scoped advisory lock, so ingest has one writer at a time exactly
//! as SQLite does: the merge of one batch reads record states that another batch could change,
//! and serialising is what keeps the merge exact. Writers of this process first queue on an
//! in-process mutex, so a queue of 500 tablets handing in at once waits in memory, not holding
//! pooled connections the readers need (measured: without it, pool waits at 500 tablets ran
//! past the pool timeout and requests were pushed back). Per-device bookkeeping (last seen,
//! pending counts) touches one registry row the merge never reads, so it takes neither lock.
//! Reads run in `REPEATABLE READ` snapshots beside the writer. The change-set digests (one
//! SHA-256 per op) are checked before the lock. A connection not free within the pool timeout
//! is [`StoreError::Busy`], which the hub answers with 503 and `Retry-After`. A database on
//! another machine is reached over verified TLS ([`tls`]).

pub(crate) mod db;
mod registry;
mod tls;

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::oplog::{ChangeSet, Clock, EntityKind, SystemClock};
use abha_core::store::engine::{self, PlacementCache};
use abha_core::store::{
    ApplyStats, HeldState, SealedItem, SealedVerdict, StoreError, judge_sealed,
};
use abha_core::sync::protocol::WireSet;
use abha_core::sync::{Scope, SyncReplica, VersionVector};
use postgres::IsolationLevel;
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use db::{PgDb, db_err};

type Result<T> = std::result::Result<T, StoreError>;
type Pool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;

/// Migrations, in order; applied once each, recorded in `hub_schema`.
const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/pg/001_init.sql")];

/// Key of the advisory lock every write transaction takes.
const WRITER_LOCK: i64 = 0x4142_4841_5752; // "ABHAWR"

/// Connections in the pool: readers beside the one writer (PostgreSQL's default allows 100).
const POOL_SIZE: u32 = 16;

/// How long a request waits for a pooled connection before the hub answers 503.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a transaction may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `REPEATABLE READ` read-only snapshot.
    Read,
    /// A write under the writer lock (the merge, and anything it reads).
    Write,
    /// A write of registry rows the merge never reads: no writer lock.
    RowWrite,
}

/// A hub replica in PostgreSQL.
pub struct PgStorage {
    /// Always `Some` until dropped (see `Drop`).
    pool: Option<Pool>,
    /// This process's writers queue here before taking a connection (see the module docs).
    writer: std::sync::Mutex<()>,
    replica: ReplicaId,
    clock: SystemClock,
    cache: PlacementCache,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never printed.
        write!(f, "PgStorage({})", self.replica)
    }
}

impl PgStorage {
    /// Connects to `url` (`postgres://user@host/db`), migrates and seeds the replica id on first
    /// use, and records the key sealed Aadhaar numbers must be sealed to.
    pub fn open(url: &str, sealing_key_id: &str) -> Result<Self> {
        off_runtime(|| Self::open_here(url, sealing_key_id))
    }

    fn open_here(url: &str, sealing_key_id: &str) -> Result<Self> {
        let tls::Connection { config, tls } = tls::prepare(url)?;
        let encrypted = config.get_ssl_mode() == postgres::config::SslMode::Require;
        // One connection first: a refused certificate or password is reported at once and
        // precisely, not after the pool's timeout.
        config
            .connect(tls.clone())
            .map_err(|e| StoreError::Database(format!("connecting: {}", tls::explain(&e))))?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(POOL_WAIT)
            .build(PostgresConnectionManager::new(config, tls))
            .map_err(|e| StoreError::Database(format!("connecting: {e}")))?;
        let clock = SystemClock::new();
        let now = clock.now_ms() as i64;
        let replica = {
            let mut conn = pool.get().map_err(pool_err)?;
            let mut tx = conn.transaction().map_err(db_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
                .map_err(db_err)?;
            migrate(&mut tx)?;
            let fresh = ReplicaId::random();
            tx.execute(
                "INSERT INTO replica_meta (id, replica, created_at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO NOTHING",
                &[&fresh.as_i64(), &now],
            )
            .map_err(db_err)?;
            tx.execute(
                "UPDATE replica_meta SET sealing_key_id = $1 WHERE id = 1",
                &[&sealing_key_id],
            )
            .map_err(db_err)?;
            let r: i64 = tx
                .query_one("SELECT replica FROM replica_meta WHERE id = 1", &[])
                .map_err(db_err)?
                .get(0);
            tx.commit().map_err(db_err)?;
            ReplicaId::from_i64(r).map_err(|_| StoreError::InvalidData("replica"))?
        };
        tracing::info!(%replica, encrypted, "PostgreSQL store opened");
        Ok(Self {
            pool: Some(pool),
            writer: std::sync::Mutex::new(()),
            replica,
            clock,
            cache: PlacementCache::default(),
        })
    }

    /// Runs `f` in one write transaction (the writer lock held); commits only on `Ok`.
    pub(crate) fn write<T: Send>(
        &self,
        f: impl FnOnce(&PgDb<'_>) -> Result<T> + Send,
    ) -> Result<T> {
        off_runtime(|| self.write_here(f))
    }

    fn write_here<T>(&self, f: impl FnOnce(&PgDb<'_>) -> Result<T>) -> Result<T> {
        // A poisoned turn only means another writer panicked; its transaction rolled back.
        let _turn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.transaction(Kind::Write, f)
    }

    /// Runs `f` in a short write transaction without the writer lock: only for statements on
    /// registry rows the merge never reads (row locks order them).
    pub(crate) fn row_write<T: Send>(
        &self,
        f: impl FnOnce(&PgDb<'_>) -> Result<T> + Send,
    ) -> Result<T> {
        off_runtime(|| self.transaction(Kind::RowWrite, f))
    }

    /// Runs `f` in a read-only snapshot.
    pub(crate) fn read<T: Send>(&self, f: impl FnOnce(&PgDb<'_>) -> Result<T> + Send) -> Result<T> {
        off_runtime(|| self.transaction(Kind::Read, f))
    }

    /// One transaction of `kind` on a pooled connection; commits only on `Ok`.
    fn transaction<T>(&self, kind: Kind, f: impl FnOnce(&PgDb<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.pool()?.get().map_err(pool_err)?;
        let mut tx = match kind {
            Kind::Read => conn
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true),
            Kind::Write | Kind::RowWrite => conn
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted),
        }
        .start()
        .map_err(db_err)?;
        if kind == Kind::Write {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
                .map_err(db_err)?;
        }
        let db = PgDb::new(tx);
        let out = f(&db)?;
        db.commit()?;
        Ok(out)
    }

    /// Counts of stored change sets and records (operators' check, and the tests').
    pub fn counts(&self) -> Result<(u64, u64)> {
        self.read(|db| {
            let r = db
                .query_opt(
                    "SELECT (SELECT count(*) FROM changes), (SELECT count(*) FROM entities)",
                    &[],
                )?
                .ok_or(StoreError::InvalidData("counts"))?;
            Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
        })
    }
}

impl PgStorage {
    fn pool(&self) -> Result<&Pool> {
        self.pool
            .as_ref()
            .ok_or_else(|| StoreError::Database("closed".into()))
    }
}

impl Drop for PgStorage {
    fn drop(&mut self) {
        // Closing a connection blocks on the client's runtime: not on a tokio thread.
        if let Some(pool) = self.pool.take() {
            let _ = off_runtime(move || {
                drop(pool);
                Ok(())
            });
        }
    }
}

/// Runs `f` where the synchronous client may block: on this thread, or on a scoped thread when
/// this thread belongs to a tokio runtime (the client drives its own runtime, which tokio
/// refuses to start inside another).
fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|_| Err(StoreError::Database("database worker panicked".into())))
    })
}

/// A connection not free in time: the hub is overloaded (or the database is down), which is
/// transient either way; r2d2 reports both as one timeout.
fn pool_err(e: r2d2::Error) -> StoreError {
    tracing::warn!(error = %e, "no PostgreSQL connection within the pool timeout");
    StoreError::Busy
}

/// Applies the migrations not yet recorded, inside the caller's (locked) transaction.
fn migrate(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER PRIMARY KEY, applied_at BIGINT)",
    )
    .map_err(db_err)?;
    let done: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM hub_schema", &[])
        .map_err(db_err)?
        .get(0);
    if done as usize > MIGRATIONS.len() {
        return Err(StoreError::IncompatibleVersion {
            found: done as u32,
            supported: MIGRATIONS.len() as u32,
        });
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        tx.batch_execute(sql).map_err(db_err)?;
        let version = n as i32 + 1;
        tx.execute(
            "INSERT INTO hub_schema (version, applied_at) VALUES ($1, $2)",
            &[&version, &(SystemClock::new().now_ms() as i64)],
        )
        .map_err(db_err)?;
        tracing::info!(version, "PostgreSQL migration applied");
    }
    Ok(())
}

impl crate::storage::HubStorage for PgStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

impl SyncReplica for PgStorage {
    fn replica_id(&self) -> ReplicaId {
        self.replica
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn coverage(&self) -> Result<VersionVector> {
        self.read(|db| engine::coverage_in(db))
    }

    fn scope_hash(&self, scope: &Scope) -> Result<[u8; 16]> {
        self.read(|db| engine::scope_hash_in(db, scope))
    }

    fn apply_pushed(
        &self,
        sets: &[ChangeSet],
        may_author: &(dyn Fn(ReplicaId) -> bool + Sync),
    ) -> Result<(ApplyStats, VersionVector)> {
        let now = self.clock.now_ms();
        let verified = engine::verify_sets(sets)?;
        let out = self.write(|db| engine::apply_pushed_in(db, sets, &verified, may_author, now))?;
        if out.moved {
            self.cache.clear();
        }
        Ok((out.stats, out.acked))
    }

    fn accept_sealed(
        &self,
        items: &[SealedItem],
        admits: &(dyn Fn(Option<&VillageId>) -> bool + Sync),
    ) -> Result<Vec<SealedVerdict>> {
        self.write(|db| {
            let key_id: String = db
                .query_opt("SELECT sealing_key_id FROM replica_meta WHERE id = 1", &[])?
                .and_then(|r| r.get::<_, Option<String>>(0))
                .unwrap_or_default();
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let member = it.member.as_bytes().as_slice();
                let row = db.query_opt(
                    "SELECT h.village_id, s.sealed_at, s.spent_sealed_at
                       FROM entities m
                       LEFT JOIN entities h ON h.kind = $3 AND h.id = m.household_id
                       LEFT JOIN sealed s ON s.member = m.id
                      WHERE m.kind = $2 AND m.id = $1 AND NOT m.deleted",
                    &[
                        &member,
                        &i16::from(EntityKind::Member.code()),
                        &i16::from(EntityKind::Household.code()),
                    ],
                )?;
                let held = row.map(|r| HeldState {
                    village: r
                        .get::<_, Option<Vec<u8>>>(0)
                        .and_then(|v| VillageId::from_slice(&v).ok()),
                    sealed_at: r.get(1),
                    spent_sealed_at: r.get(2),
                });
                let verdict = judge_sealed(&key_id, it, held.as_ref(), admits);
                if verdict == SealedVerdict::Held {
                    db.execute(
                        "INSERT INTO sealed (member, ciphertext, key_id, sealed_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (member) DO UPDATE SET ciphertext = excluded.ciphertext,
                            key_id = excluded.key_id, sealed_at = excluded.sealed_at",
                        &[&member, &it.ciphertext, &it.key_id, &it.sealed_at],
                    )?;
                }
                out.push(verdict);
            }
            Ok(out)
        })
    }

    fn sets_for_peer(
        &self,
        theirs: &VersionVector,
        scope: &Scope,
        exclude: Option<ReplicaId>,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, VersionVector, bool)> {
        self.read(|db| {
            engine::sets_for_peer_in(
                db,
                &self.cache,
                theirs,
                scope,
                exclude,
                (max_ops, max_bytes),
            )
        })
    }
}
