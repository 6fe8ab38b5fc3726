//! The encrypted SQLite store of one device or hub.
//!
//! One SQLCipher file per device, in WAL mode with `synchronous=FULL`: a write that returned is
//! on disk, also across power loss. One writer connection makes every change (through
//! [`Store::write`], which records ops, read-table updates and an outbox row in one transaction);
//! a separate read-only connection serves queries, so lists stay responsive while a sync writes.
//! See [`open`] for how a wrong key, a damaged file and a newer file are handled without losing
//! data, and [`migrate`] for schema versions.

pub mod backend;
mod change;
mod commands;
pub mod decisions;
pub mod error;
mod materialize;
mod meta;
pub mod migrate;
mod open;
mod peers;
mod placement;
mod queries;
mod regions;
mod replicate;
mod review;
mod sealed;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};

pub use change::Change;
pub use commands::NewHouseholdWithMembers;
pub use decisions::{NewReview, Review, ReviewAction};
pub use error::{Result, StoreError};
pub use open::StoreKey;
pub use peers::PeerState;
pub use queries::{HouseholdDetail, HouseholdSummary, OutboxEntry, PendingCounts};
pub use replicate::{ApplyStats, PlacementCache, Pushed};

/// The replication algorithm over any [`backend::ReplicaDb`], for a hub backend other than this
/// store (see `hub/src/storage/pg`).
pub mod engine {
    pub use super::backend::{EntityRow, ReplicaDb, ReplicaMeta, StoredSet};
    pub use super::replicate::{
        PlacementCache, Pushed, apply_pulled_in, apply_pushed_in, coverage_in, scope_hash_in,
        sets_for_peer_in, verify_sets,
    };
}
pub use review::{ATTENTION_STATES, DuplicateGroup};
pub use sealed::{HeldSealed, HeldState, SealedItem, SealedVerdict, judge_sealed};
pub use settings::{DeviceSettings, HubLink};

use crate::ids::ReplicaId;
use crate::oplog::{Clock, SystemClock};

/// Options for [`Store::open_with`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Wall clock for op timestamps (the system clock corrected by the hub offset).
    pub clock: Arc<dyn Clock>,
    /// Tables of the program that embeds the store (the hub's device registry), migrated after
    /// the core schema.
    pub extensions: Vec<migrate::Extension>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            extensions: Vec::new(),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

/// An open store. Cheap to share behind an `Arc`; methods take `&self`.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    replica: ReplicaId,
    /// Villages of stored change sets (see `replicate`), cleared when a write moves records.
    scope_cache: PlacementCache,
}

impl Store {
    /// Opens (or creates) the store at `path` with `key` and the system clock.
    pub fn open(path: impl AsRef<Path>, key: &StoreKey) -> Result<Self> {
        Self::open_with(path, key, StoreOptions::default())
    }

    /// Opens (or creates) the store at `path`.
    ///
    /// Errors: [`StoreError::WrongKey`] (nothing touched), [`StoreError::IncompatibleVersion`]
    /// (nothing touched), [`StoreError::Corrupt`] (file moved aside, not deleted).
    pub fn open_with(path: impl AsRef<Path>, key: &StoreKey, opts: StoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut writer = open::open_keyed(&path, key, false)?;
        migrate::check_version(&writer)?;
        open::configure(&writer, true)?;
        let now = opts.clock.now_ms();
        migrate::migrate(&mut writer, |tx| meta::init(tx, now))?;
        for ext in &opts.extensions {
            migrate::migrate_extension(&mut writer, ext)?;
        }
        if open::verify_key(&path, key) != open::KeyCheck::Verified {
            open::write_keycheck(&path, key)?;
        }
        writer.set_prepared_statement_cache_capacity(64);
        let replica = meta::load(&writer)?.replica;
        if let Some(offset) = Self::stored_clock_offset(&writer)? {
            opts.clock.set_offset_ms(offset);
        }
        let reader = open::open_keyed(&path, key, true)?;
        open::configure(&reader, false)?;
        reader.set_prepared_statement_cache_capacity(64);
        tracing::info!(%replica, "store opened");
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            clock: opts.clock,
            replica,
            scope_cache: PlacementCache::default(),
        })
    }

    /// This file's replica id.
    pub fn replica_id(&self) -> ReplicaId {
        self.replica
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The clock the store stamps ops with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction behind
        // (rusqlite rolls back on drop), so the connection is safe to reuse.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` as one local change: its ops, read-table updates and outbox row commit together
    /// or not at all. `label` names the change in the outbox (no personal data).
    pub fn write<T>(
        &self,
        label: &'static str,
        f: impl FnOnce(&mut Change<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut change = Change::begin(tx, self.clock.now_ms());
        let out = f(&mut change)?;
        if change.commit(label)? {
            self.scope_moved();
        }
        Ok(out)
    }

    /// Forgets cached scope resolutions: a write moved a household, member or request.
    pub(crate) fn scope_moved(&self) {
        self.scope_cache.clear();
    }

    /// Runs read-only queries on the reader connection (sees the last committed state).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = Self::lock(&self.reader);
        f(&conn)
    }

    /// Runs `f` in one write transaction on the tables of an [`migrate::Extension`]. Domain tables
    /// must never be written this way: they change only through [`Store::write`] and sync.
    pub fn extension_write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs SQLite's full integrity check; an empty list means the file is sound.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let conn = Self::lock(&self.writer);
        let mut st = conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Closes both connections, checkpointing the WAL into the main file.
    pub fn close(self) -> Result<()> {
        let Self { writer, reader, .. } = self;
        let reader = reader.into_inner().unwrap_or_else(|p| p.into_inner());
        reader.close().map_err(|(_, e)| e)?;
        let writer = writer.into_inner().unwrap_or_else(|p| p.into_inner());
        writer.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}
