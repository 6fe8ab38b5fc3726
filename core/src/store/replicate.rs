//! Replication: storing change sets from peers, and choosing what a peer lacks.
//!
//! Two ways in, both one transaction per batch, both going through the same merge code as local
//! writes (so the read tables always equal the merge of the stored ops):
//! - **pushed** sets (a tablet or a camp hub sends what it authored or holds) must continue each
//!   origin's sequence exactly where this replica's coverage ends. A gap is refused, so a full
//!   replica's coverage is always exact and it can vouch for it.
//! - **pulled** sets (a hub answers with what we lack in our scope) come with the coverage the hub
//!   vouches for, skipped out-of-scope ranges included; it is stored in the same transaction, so a
//!   dropped connection resumes from the last stored batch and never re-downloads it.
//!
//! A set already held is a duplicate (same digest: skipped) or a clash (different digest: refused,
//! nothing of the batch is stored).

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sha2::Digest as _;

use super::Store;
use super::error::{Result, StoreError};
use super::materialize::Batch;
use super::meta;
use super::placement::{Placement, Verdict, VillageResolver, verdict};
use crate::ids::ReplicaId;
use crate::oplog::{ChangeSet, Hlc, Op};
use crate::sync::protocol::WireSet;
use crate::sync::{Scope, VersionVector};

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyStats {
    /// Sets newly stored.
    pub applied: u32,
    /// Sets already held.
    pub duplicates: u32,
    /// Ops in the newly stored sets.
    pub ops: u64,
}

/// Stores one change set row (local or remote).
pub(crate) fn insert_set(tx: &Transaction<'_>, set: &ChangeSet, now_ms: u64) -> Result<()> {
    tx.prepare_cached(
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

/// The digest of the stored set starting at `(origin, first_seq)` and whether it is partial
/// (its encoding starts with a zero byte; see `ChangeSet::encode_ops`).
fn stored(conn: &Connection, origin: ReplicaId, first_seq: u64) -> Result<Option<(Vec<u8>, bool)>> {
    Ok(conn
        .prepare_cached(
            "SELECT digest, substr(ops, 1, 1) = x'00' FROM changes
             WHERE origin = ?1 AND first_seq = ?2",
        )?
        .query_row(params![origin.as_i64(), first_seq as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Fills a stored partial set with the ops `set` (a copy whose `ops` are verified) shows and it
/// withholds, and merges them. Returns the number of ops merged (0 if `set` showed nothing new).
fn fill_partial(
    tx: &Transaction<'_>,
    batch: &mut Batch<'_, '_>,
    set: &ChangeSet,
    ops: &[Op],
    max_hlc: &mut Hlc,
) -> Result<u64> {
    let (hlc, blob): (i64, Vec<u8>) = tx
        .prepare_cached("SELECT hlc, ops FROM changes WHERE origin = ?1 AND first_seq = ?2")?
        .query_row(params![set.origin.as_i64(), set.first_seq as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let held = decode_row(set.origin, set.first_seq as i64, hlc, &blob, &set.digest)?;
    let Some(filled) = held.filled_from(set) else {
        return Ok(0);
    };
    tx.prepare_cached("UPDATE changes SET ops = ?3 WHERE origin = ?1 AND first_seq = ?2")?
        .execute(params![
            set.origin.as_i64(),
            set.first_seq as i64,
            filled.encode_ops()
        ])?;
    // Ops shown before are merged again: merging is idempotent.
    merge_ops(batch, set, ops, max_hlc)
}

/// For a pushed set this replica may hold already: `None` if it does not; else the ops merged
/// from it (a whole copy fills a held partial one; 0 otherwise). A different set under the same
/// `(origin, first_seq)` is a clash.
fn held_copy(
    tx: &Transaction<'_>,
    batch: &mut Batch<'_, '_>,
    set: &ChangeSet,
    ops: &[Op],
    max_hlc: &mut Hlc,
) -> Result<Option<u64>> {
    match stored(tx, set.origin, set.first_seq)? {
        None => Ok(None),
        Some((d, _)) if d != set.digest => Err(clash(set)),
        Some((_, true)) if !set.is_partial() => {
            fill_partial(tx, batch, set, ops, max_hlc).map(Some)
        }
        Some(_) => Ok(Some(0)),
    }
}

fn clash(set: &ChangeSet) -> StoreError {
    StoreError::SequenceClash {
        origin: set.origin.to_string(),
        seq: set.first_seq,
    }
}

/// This replica's coverage table plus its own origin (its last own sequence number).
fn load_coverage(conn: &Connection) -> Result<VersionVector> {
    let mut vv: VersionVector = conn
        .prepare_cached("SELECT origin, seq FROM coverage")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
        .filter_map(|r| r.ok())
        .filter_map(|(o, s)| Some((ReplicaId::from_i64(o).ok()?, u64::try_from(s).ok()?)))
        .collect();
    let m = meta::load(conn)?;
    vv.set(m.replica, m.next_seq - 1);
    Ok(vv)
}

fn save_coverage(tx: &Transaction<'_>, own: ReplicaId, vv: &VersionVector) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO coverage (origin, seq) VALUES (?1, ?2)
         ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq)",
    )?;
    for (origin, seq) in vv.iter().filter(|(o, _)| *o != own) {
        st.execute(params![origin.as_i64(), seq as i64])?;
    }
    Ok(())
}

/// After a scope change, coverage vouched by a peer no longer holds; what this replica holds
/// itself still does. Coverage falls back, per origin, to the contiguous run of stored change
/// sets from sequence 1 (pushed sets always extend that run, so nothing acknowledged to a tablet
/// is forgotten).
fn reset_coverage(tx: &Transaction<'_>) -> Result<()> {
    let origins: Vec<i64> = tx
        .prepare("SELECT origin FROM coverage")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut runs = tx.prepare_cached(
        "SELECT first_seq, last_seq FROM changes WHERE origin = ?1 ORDER BY first_seq",
    )?;
    for origin in origins {
        let mut held = 0i64;
        let mut rows = runs.query([origin])?;
        while let Some(r) = rows.next()? {
            let (first, last): (i64, i64) = (r.get(0)?, r.get(1)?);
            if first != held + 1 {
                break;
            }
            held = last;
        }
        tx.prepare_cached("UPDATE coverage SET seq = ?2 WHERE origin = ?1")?
            .execute(params![origin, held])?;
    }
    Ok(())
}

fn merge_ops(
    batch: &mut Batch<'_, '_>,
    set: &ChangeSet,
    ops: &[crate::oplog::Op],
    max_hlc: &mut Hlc,
) -> Result<u64> {
    for op in ops {
        batch.apply(op)?;
    }
    *max_hlc = (*max_hlc).max(set.hlc);
    Ok(ops.len() as u64)
}

impl Store {
    /// This replica's coverage, its own origin included.
    pub fn coverage(&self) -> Result<VersionVector> {
        self.read(load_coverage)
    }

    /// The hash a peer's coverage under `scope` is valid for: the scope itself plus, per village,
    /// how many times records moved into it from elsewhere (a move makes the hub resend the
    /// village's history to its tablets; see migration 003).
    pub fn scope_hash(&self, scope: &Scope) -> Result<[u8; 16]> {
        let Scope::Villages(villages) = scope else {
            return Ok(scope.hash());
        };
        self.read(|conn| {
            let mut st =
                conn.prepare_cached("SELECT epoch FROM placement_epochs WHERE village = ?1")?;
            let mut h = sha2::Sha256::new();
            h.update(scope.hash());
            for v in villages {
                let e: Option<i64> = st.query_row([v.as_bytes()], |r| r.get(0)).optional()?;
                h.update(e.unwrap_or(0).to_be_bytes());
            }
            let d = h.finalize();
            let mut out = [0u8; 16];
            out.copy_from_slice(&d[..16]);
            Ok(out)
        })
    }

    /// The scope hash the coverage was built under (`None` before the first pull).
    pub fn coverage_scope(&self) -> Result<Option<[u8; 16]>> {
        self.read(|conn| {
            let v: Option<Vec<u8>> = conn
                .prepare_cached("SELECT value FROM meta WHERE key = 'coverage_scope'")?
                .query_row([], |r| r.get(0))
                .optional()?;
            Ok(v.and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok()))
        })
    }

    /// Own change sets after sequence `after`, as stored (ready for the wire), at most about
    /// `max_ops` ops and `max_bytes` encoded bytes (at least one set if any remains). Returns the
    /// sets and how many ops they hold.
    pub fn own_sets_after(
        &self,
        after: u64,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, u64)> {
        let origin = self.replica_id();
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT first_seq, last_seq, hlc, ops FROM changes
                 WHERE origin = ?1 AND last_seq > ?2 ORDER BY first_seq",
            )?;
            let mut rows = st.query(params![origin.as_i64(), after as i64])?;
            let mut batch = Filling::new(max_ops, max_bytes);
            while let Some(r) = rows.next()? {
                let first = u64::try_from(r.get::<_, i64>(0)?)
                    .map_err(|_| StoreError::InvalidData("first_seq"))?;
                let last = u64::try_from(r.get::<_, i64>(1)?)
                    .map_err(|_| StoreError::InvalidData("last_seq"))?;
                let set = WireSet {
                    origin,
                    first_seq: first,
                    hlc: Hlc::from_i64(r.get(2)?).map_err(|_| StoreError::InvalidData("hlc"))?,
                    ops: r.get(3)?,
                };
                if !batch.add(set, last - first + 1) {
                    break;
                }
            }
            Ok((batch.out, batch.ops))
        })
    }

    /// Deletes outbox rows the hub has acknowledged (own sequence numbers up to `upto`).
    /// The only way outbox rows are ever deleted.
    pub fn ack_outbox(&self, upto: u64) -> Result<usize> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx
            .prepare_cached("DELETE FROM outbox WHERE last_seq <= ?1")?
            .execute([upto as i64])?;
        tx.commit()?;
        Ok(n)
    }

    /// Stores change sets pushed by a peer, in order. Each must continue its origin's sequence
    /// (or be a set already held). `may_author` says which origins the peer may push. All or
    /// nothing: on any error nothing of the batch is stored.
    pub fn apply_pushed(
        &self,
        sets: &[ChangeSet],
        may_author: impl Fn(ReplicaId) -> bool,
    ) -> Result<(ApplyStats, VersionVector)> {
        let now = self.clock.now_ms();
        // Op ids (one SHA-256 each) are derived before taking the writer, so concurrent pushes
        // hash in parallel and the one writer only merges and writes.
        let verified = sets
            .iter()
            .map(|s| s.verified_ops().map_err(|_| StoreError::BadChangeSet))
            .collect::<Result<Vec<_>>>()?;
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let own = meta::load(&tx)?.replica;
        let mut cov = load_coverage(&tx)?;
        let mut stats = ApplyStats::default();
        let mut touched = VersionVector::new();
        let mut max_hlc = Hlc::default();
        let mut filled = false;
        let moved;
        {
            let mut batch = Batch::new(&tx, now);
            for (set, ops) in sets.iter().zip(&verified) {
                if !may_author(set.origin) || set.origin == own {
                    return Err(StoreError::NotAuthor);
                }
                let have = cov.get(set.origin);
                if set.last_seq() <= have {
                    if let Some(n) = held_copy(&tx, &mut batch, set, ops, &mut max_hlc)? {
                        stats.ops += n;
                        filled |= n > 0;
                    }
                    stats.duplicates += 1;
                } else if set.first_seq == have + 1 {
                    // Held already (coverage fell back after a scope change): not twice.
                    if let Some(n) = held_copy(&tx, &mut batch, set, ops, &mut max_hlc)? {
                        stats.ops += n;
                        filled |= n > 0;
                        stats.duplicates += 1;
                        cov.set(set.origin, set.last_seq());
                        touched.set(set.origin, cov.get(set.origin));
                        continue;
                    }
                    if set.is_partial() {
                        // Only pulls show partial sets; a push must carry the whole set.
                        return Err(StoreError::BadChangeSet);
                    }
                    insert_set(&tx, set, now)?;
                    stats.ops += merge_ops(&mut batch, set, ops, &mut max_hlc)?;
                    stats.applied += 1;
                    cov.set(set.origin, set.last_seq());
                } else if set.first_seq <= have {
                    return Err(clash(set));
                } else {
                    return Err(StoreError::Gap {
                        origin: set.origin.to_string(),
                        expected: have + 1,
                        got: set.first_seq,
                    });
                }
                touched.set(set.origin, cov.get(set.origin));
            }
            moved = batch.flush()?;
        }
        save_coverage(&tx, own, &cov)?;
        meta::observe_hlc(&tx, max_hlc)?;
        tx.commit()?;
        drop(conn);
        if moved || filled {
            self.scope_moved();
        }
        Ok((stats, touched))
    }

    /// Stores a pull reply: its sets (any order, duplicates skipped) and the coverage the peer
    /// vouches for, in one transaction. `reset` first drops the coverage of other origins (the
    /// scope changed).
    pub fn apply_pulled(
        &self,
        sets: &[ChangeSet],
        vouched: &VersionVector,
        reset: bool,
        scope_hash: &[u8; 16],
    ) -> Result<ApplyStats> {
        let now = self.clock.now_ms();
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let own = meta::load(&tx)?.replica;
        if reset {
            reset_coverage(&tx)?;
        }
        let mut stats = ApplyStats::default();
        let mut max_hlc = Hlc::default();
        let mut filled = false;
        let moved;
        {
            let mut batch = Batch::new(&tx, now);
            for set in sets {
                if set.origin == own {
                    // Our own history is never taken from a peer.
                    continue;
                }
                match stored(&tx, set.origin, set.first_seq)? {
                    Some((d, true)) if d == set.digest => {
                        let ops = set.verified_ops().map_err(|_| StoreError::BadChangeSet)?;
                        let n = fill_partial(&tx, &mut batch, set, &ops, &mut max_hlc)?;
                        filled |= n > 0;
                        stats.ops += n;
                        stats.duplicates += 1;
                    }
                    Some((d, false)) if d == set.digest => stats.duplicates += 1,
                    Some(_) => return Err(clash(set)),
                    None => {
                        let ops = set.verified_ops().map_err(|_| StoreError::BadChangeSet)?;
                        insert_set(&tx, set, now)?;
                        stats.ops += merge_ops(&mut batch, set, &ops, &mut max_hlc)?;
                        stats.applied += 1;
                    }
                }
            }
            moved = batch.flush()?;
        }
        save_coverage(&tx, own, vouched)?;
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES ('coverage_scope', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute([scope_hash.as_slice()])?;
        meta::observe_hlc(&tx, max_hlc)?;
        tx.commit()?;
        drop(conn);
        if moved || filled {
            self.scope_moved();
        }
        Ok(stats)
    }

    /// What a peer with coverage `theirs` and scope `scope` lacks: sets in scope, in order per
    /// origin, at most about `max_ops` ops / `max_bytes` bytes (always at least one set if any),
    /// skipping `exclude` (the peer's own origin). Returns the sets as stored (ready for the
    /// wire, never re-encoded), the coverage the peer will have once it stores them (vouching for
    /// skipped out-of-scope ranges), and whether more remains.
    ///
    /// Which villages a stored set belongs to is resolved once and cached until a write moves a
    /// household or member; a pull then mostly scans rows without decoding them.
    pub fn sets_for_peer(
        &self,
        theirs: &VersionVector,
        scope: &Scope,
        exclude: Option<ReplicaId>,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, VersionVector, bool)> {
        self.read(|conn| {
            let mine = load_coverage(conn)?;
            let mut next = theirs.clone();
            let mut batch = Filling::new(max_ops, max_bytes);
            let mut resolver = VillageResolver::new(conn);
            let mut cache = self.scope_cache.lock().unwrap_or_else(|p| p.into_inner());
            let mut st = conn.prepare_cached(
                "SELECT first_seq, last_seq, hlc, ops, digest FROM changes
                 WHERE origin = ?1 AND last_seq > ?2 AND last_seq <= ?3 ORDER BY first_seq",
            )?;
            for (origin, upto) in mine.iter() {
                let from = theirs.get(origin);
                if Some(origin) == exclude || from >= upto {
                    continue;
                }
                let mut rows = st.query(params![origin.as_i64(), from as i64, upto as i64])?;
                let mut reached = from;
                let (mut full, mut held) = (false, false);
                while let Some(r) = rows.next()? {
                    let first: i64 = r.get(0)?;
                    let last = u64::try_from(r.get::<_, i64>(1)?)
                        .map_err(|_| StoreError::InvalidData("last_seq"))?;
                    let first_u =
                        u64::try_from(first).map_err(|_| StoreError::InvalidData("first_seq"))?;
                    let key = (origin.as_i64(), first_u);
                    let placement = match cache.get(&key) {
                        Some(p) => p.clone(),
                        None => {
                            let blob: Vec<u8> = r.get(3)?;
                            let set = decode_row(
                                origin,
                                first,
                                r.get(2)?,
                                &blob,
                                &r.get::<_, Vec<u8>>(4)?,
                            )?;
                            let p = resolver.placement(&set)?;
                            // An unplaceable set may become placeable: never cache that answer.
                            if !p.unknown {
                                cache.insert(key, p.clone());
                            }
                            p
                        }
                    };
                    match verdict(scope, &placement) {
                        Verdict::Skip => {}
                        Verdict::Hold => {
                            held = true;
                            break;
                        }
                        Verdict::Send => {
                            let blob = shown_blob(
                                &mut resolver,
                                scope,
                                &placement,
                                (origin, first, r.get(2)?),
                                r.get(3)?,
                                &r.get::<_, Vec<u8>>(4)?,
                            )?;
                            let set = WireSet {
                                origin,
                                first_seq: first_u,
                                hlc: Hlc::from_i64(r.get(2)?)
                                    .map_err(|_| StoreError::InvalidData("hlc"))?,
                                ops: blob,
                            };
                            if !batch.add(set, last - first_u + 1) {
                                full = true;
                                break;
                            }
                        }
                    }
                    reached = last;
                }
                if full {
                    next.set(origin, reached);
                    return Ok((batch.out, next, true));
                }
                // A held set stops this origin's coverage before it; later origins go on.
                next.set(origin, if held { reached } else { upto });
            }
            Ok((batch.out, next, false))
        })
    }
}

/// A reply batch filling up to its limits in ops and encoded bytes; the first set always fits.
struct Filling {
    out: Vec<WireSet>,
    ops: u64,
    bytes: u64,
    max_ops: u64,
    max_bytes: u64,
}

impl Filling {
    fn new(max_ops: u32, max_bytes: u32) -> Self {
        Self {
            out: Vec::new(),
            ops: 0,
            bytes: 0,
            max_ops: max_ops.into(),
            max_bytes: max_bytes.into(),
        }
    }

    /// Adds `set` (of `n` ops) unless the batch is full; returns whether it was added.
    fn add(&mut self, set: WireSet, n: u64) -> bool {
        let len = set.ops.len() as u64;
        if !self.out.is_empty()
            && (self.ops + n > self.max_ops || self.bytes + len > self.max_bytes)
        {
            return false;
        }
        self.ops += n;
        self.bytes += len;
        self.out.push(set);
        true
    }
}

/// The encoding of a stored set as a scoped peer may see it (the stored bytes unless some ops
/// must be withheld).
fn shown_blob(
    resolver: &mut VillageResolver<'_>,
    scope: &Scope,
    placement: &Placement,
    (origin, first, hlc): (ReplicaId, i64, i64),
    blob: Vec<u8>,
    digest: &[u8],
) -> Result<Vec<u8>> {
    if !placement.spans_outside(scope) {
        return Ok(blob);
    }
    let set = decode_row(origin, first, hlc, &blob, digest)?;
    Ok(resolver.shown_to(scope, set)?.encode_ops())
}

fn decode_row(
    origin: ReplicaId,
    first: i64,
    hlc: i64,
    ops: &[u8],
    digest: &[u8],
) -> Result<ChangeSet> {
    let first = u64::try_from(first).map_err(|_| StoreError::InvalidData("first_seq"))?;
    let hlc = Hlc::from_i64(hlc).map_err(|_| StoreError::InvalidData("hlc"))?;
    ChangeSet::decode_trusted(origin, first, hlc, ops, digest)
        .map_err(|_| StoreError::InvalidData("stored change set"))
}
