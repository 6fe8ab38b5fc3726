//! What a replica remembers about the peers it syncs with: last success, last error, the peer's
//! replica id and scope, and the clock offset learned at the last hello (applied to this store's
//! clock so op timestamps follow the hub's time, not a tablet's wrong clock).

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::Store;
use super::error::Result;
use crate::ids::ReplicaId;

/// The remembered state of one peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerState {
    /// Peer name (base URL).
    pub peer: String,
    /// Its replica id, once known.
    pub peer_replica: Option<ReplicaId>,
    /// Scope hash it serves us under.
    pub scope_hash: Option<Vec<u8>>,
    /// Last attempt (Unix ms).
    pub last_attempt_at: Option<i64>,
    /// Last success (Unix ms).
    pub last_success_at: Option<i64>,
    /// Machine code of the last failure, cleared by a success.
    pub last_error: Option<String>,
    /// Peer clock minus ours at the last hello.
    pub clock_offset_ms: Option<i64>,
}

impl Store {
    /// Records the hello of a session: the peer's identity, scope and clock offset. The offset is
    /// applied to this store's clock at once and on every later open.
    pub fn record_hello(
        &self,
        peer: &str,
        peer_replica: ReplicaId,
        scope_hash: &[u8],
        clock_offset_ms: i64,
    ) -> Result<()> {
        let now = self.clock.now_ms() as i64;
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO sync_peers (peer, peer_replica, scope_hash, last_attempt_at, clock_offset_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(peer) DO UPDATE SET peer_replica = excluded.peer_replica,
               scope_hash = excluded.scope_hash, last_attempt_at = excluded.last_attempt_at,
               clock_offset_ms = excluded.clock_offset_ms",
        )?
        .execute(params![peer, peer_replica.as_i64(), scope_hash, now, clock_offset_ms])?;
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES ('clock_offset_ms', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute([clock_offset_ms])?;
        tx.commit()?;
        self.clock.set_offset_ms(clock_offset_ms);
        Ok(())
    }

    /// Records how a session ended: `None` for success, else the failure's machine code.
    pub fn record_sync_end(&self, peer: &str, error: Option<&str>) -> Result<()> {
        let now = self.clock.now_ms() as i64;
        let conn = Self::lock(&self.writer);
        conn.prepare_cached(
            "INSERT INTO sync_peers (peer, last_attempt_at, last_success_at, last_error)
             VALUES (?1, ?2, CASE WHEN ?3 IS NULL THEN ?2 END, ?3)
             ON CONFLICT(peer) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
               last_success_at = coalesce(excluded.last_success_at, last_success_at),
               last_error = excluded.last_error",
        )?
        .execute(params![peer, now, error])?;
        Ok(())
    }

    /// Every peer this store has synced with.
    pub fn peers(&self) -> Result<Vec<PeerState>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT peer, peer_replica, scope_hash, last_attempt_at, last_success_at,
                        last_error, clock_offset_ms FROM sync_peers ORDER BY peer",
            )?;
            let rows = st.query_map([], |r| {
                Ok(PeerState {
                    peer: r.get(0)?,
                    peer_replica: r
                        .get::<_, Option<i64>>(1)?
                        .and_then(|v| ReplicaId::from_i64(v).ok()),
                    scope_hash: r.get(2)?,
                    last_attempt_at: r.get(3)?,
                    last_success_at: r.get(4)?,
                    last_error: r.get(5)?,
                    clock_offset_ms: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The stored clock offset, if a hello ever set one.
    pub(crate) fn stored_clock_offset(conn: &rusqlite::Connection) -> Result<Option<i64>> {
        Ok(conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'clock_offset_ms'")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }
}
