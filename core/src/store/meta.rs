//! The `meta` table: this replica's identity and counters.
//!
//! The replica id lives here. The next op sequence number and the clock floor are read inside
//! every write transaction from the database itself: the last change set this replica stored
//! (one primary-key lookup) and the highest remote timestamp observed (`hlc_observed`, raised
//! when remote change sets are applied). Nothing is cached in memory, so two processes sharing a
//! store, or a write that failed half way, can never hand out a sequence number twice, and a
//! local write dirties no page for counters.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::error::{Result, StoreError};
use crate::ids::ReplicaId;
use crate::oplog::Hlc;

pub(crate) const REPLICA_ID: &str = "replica_id";
pub(crate) const HLC_OBSERVED: &str = "hlc_observed";
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
    st.execute(params![HLC_OBSERVED, 0i64])?;
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

/// Reads the replica id, next sequence number and clock floor.
pub(crate) fn load(conn: &Connection) -> Result<Meta> {
    let replica = ReplicaId::from_i64(get_i64(conn, REPLICA_ID)?)
        .map_err(|_| StoreError::InvalidData("replica id"))?;
    let last: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT last_seq, hlc FROM changes WHERE origin = ?1 ORDER BY first_seq DESC LIMIT 1",
        )?
        .query_row([replica.as_i64()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (last_seq, own_hlc) = last.unwrap_or((0, 0));
    let next_seq = u64::try_from(last_seq)
        .map_err(|_| StoreError::InvalidData("last_seq"))?
        .checked_add(1)
        .ok_or(StoreError::InvalidData("sequence exhausted"))?;
    let observed = get_i64(conn, HLC_OBSERVED)?;
    let hlc = Hlc::from_i64(own_hlc.max(observed)).map_err(|_| StoreError::InvalidData("hlc"))?;
    Ok(Meta {
        replica,
        next_seq,
        hlc,
    })
}

/// Raises the observed clock (when applying remote change sets) so later local writes order
/// after them.
pub(crate) fn observe_hlc(tx: &Connection, hlc: Hlc) -> Result<()> {
    tx.prepare_cached("UPDATE meta SET value = max(value, ?2) WHERE key = ?1")?
        .execute(params![HLC_OBSERVED, hlc.to_i64()])?;
    Ok(())
}
