//! The `meta` table: this replica's identity and counters.
//!
//! The replica id, the next op sequence number and the last hybrid logical timestamp live in the
//! database, read at the start of every write transaction and saved in it. Nothing is cached in
//! memory, so two processes sharing a store, or a write that failed half way, can never hand out
//! a sequence number twice.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::error::{Result, StoreError};
use crate::ids::ReplicaId;
use crate::oplog::Hlc;

pub(crate) const REPLICA_ID: &str = "replica_id";
pub(crate) const NEXT_SEQ: &str = "next_seq";
pub(crate) const HLC: &str = "hlc";
pub(crate) const CREATED_AT: &str = "created_at";

/// The counters of this replica.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub replica: ReplicaId,
    pub next_seq: u64,
    pub hlc: Hlc,
}

/// Seeds a new store (inside the migration that creates it).
pub(crate) fn init(tx: &Transaction<'_>, now_ms: u64) -> Result<()> {
    let replica = ReplicaId::random();
    let mut st = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    st.execute(params![REPLICA_ID, replica.as_i64()])?;
    st.execute(params![NEXT_SEQ, 1i64])?;
    st.execute(params![HLC, 0i64])?;
    st.execute(params![CREATED_AT, now_ms as i64])?;
    tracing::info!(%replica, "new store created");
    Ok(())
}

fn get_i64(conn: &Connection, key: &str) -> Result<i64> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get::<_, i64>(0))
        .optional()?
        .ok_or(StoreError::InvalidData("meta row missing"))
}

/// Reads the counters.
pub(crate) fn load(conn: &Connection) -> Result<Meta> {
    let replica = ReplicaId::from_i64(get_i64(conn, REPLICA_ID)?)
        .map_err(|_| StoreError::InvalidData("replica id"))?;
    let next_seq = u64::try_from(get_i64(conn, NEXT_SEQ)?)
        .map_err(|_| StoreError::InvalidData("next_seq"))?;
    let hlc = Hlc::from_i64(get_i64(conn, HLC)?).map_err(|_| StoreError::InvalidData("hlc"))?;
    Ok(Meta {
        replica,
        next_seq,
        hlc,
    })
}

/// Saves the counters (inside the write transaction).
pub(crate) fn save_counters(tx: &Transaction<'_>, next_seq: u64, hlc: Hlc) -> Result<()> {
    let mut st = tx.prepare_cached("UPDATE meta SET value = ?2 WHERE key = ?1")?;
    st.execute(params![NEXT_SEQ, next_seq as i64])?;
    st.execute(params![HLC, hlc.to_i64()])?;
    Ok(())
}
