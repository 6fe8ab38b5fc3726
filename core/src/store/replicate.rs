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
//!
//! The algorithm is written once, over [`ReplicaDb`] (the `*_in` functions, public so the hub's
//! PostgreSQL backend runs exactly this code); the [`Store`] methods run it in a SQLite
//! transaction.

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::TransactionBehavior;
use sha2::Digest as _;

use super::Store;
use super::backend::{ReplicaDb, SqliteDb, StoredSet};
use super::error::{Result, StoreError};
use super::materialize::Batch;
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

/// What [`apply_pushed_in`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Counts.
    pub stats: ApplyStats,
    /// The coverage now held of each origin the batch touched (the acknowledgement).
    pub acked: VersionVector,
    /// Records moved between villages or partial sets were filled: placement caches are stale.
    pub moved: bool,
}

/// Where each stored change set belongs, keyed by `(origin, first_seq)`; cleared whenever a write
/// moves a record ([`Pushed::moved`]). One per database, shared by its readers.
#[derive(Debug, Default)]
pub struct PlacementCache(Mutex<HashMap<(i64, u64), Placement>>);

impl PlacementCache {
    /// Forgets every cached placement.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// Fills a stored partial set with the ops `set` (a copy whose `ops` are verified) shows and it
/// withholds, and merges them. Returns the number of ops merged (0 if `set` showed nothing new).
fn fill_partial<D: ReplicaDb + ?Sized>(
    db: &D,
    batch: &mut Batch<'_, D>,
    set: &ChangeSet,
    ops: &[Op],
    max_hlc: &mut Hlc,
) -> Result<u64> {
    let (hlc, blob) = db
        .stored_ops(set.origin, set.first_seq)?
        .ok_or(StoreError::InvalidData("partial set vanished"))?;
    let held = decode_row(set.origin, set.first_seq, hlc, &blob, &set.digest)?;
    let Some(filled) = held.filled_from(set) else {
        return Ok(0);
    };
    db.replace_ops(set.origin, set.first_seq, &filled.encode_ops())?;
    // Ops shown before are merged again: merging is idempotent.
    merge_ops(batch, set, ops, max_hlc)
}

/// For a pushed set this replica may hold already: `None` if it does not; else the ops merged
/// from it (a whole copy fills a held partial one; 0 otherwise). A different set under the same
/// `(origin, first_seq)` is a clash.
fn held_copy<D: ReplicaDb + ?Sized>(
    db: &D,
    batch: &mut Batch<'_, D>,
    set: &ChangeSet,
    ops: &[Op],
    max_hlc: &mut Hlc,
) -> Result<Option<u64>> {
    match db.stored_digest(set.origin, set.first_seq)? {
        None => Ok(None),
        Some((d, _)) if d != set.digest => Err(clash(set)),
        Some((_, true)) if !set.is_partial() => {
            fill_partial(db, batch, set, ops, max_hlc).map(Some)
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

/// A replica's coverage: the stored coverage plus its own origin (its last own sequence number).
pub fn coverage_in<D: ReplicaDb + ?Sized>(db: &D) -> Result<VersionVector> {
    let mut vv: VersionVector = db.coverage_rows()?.into_iter().collect();
    let m = db.meta()?;
    vv.set(m.replica, m.next_seq - 1);
    Ok(vv)
}

fn save_coverage<D: ReplicaDb + ?Sized>(db: &D, own: ReplicaId, vv: &VersionVector) -> Result<()> {
    for (origin, seq) in vv.iter().filter(|(o, _)| *o != own) {
        db.raise_coverage(origin, seq)?;
    }
    Ok(())
}

/// After a scope change, coverage vouched by a peer no longer holds; what this replica holds
/// itself still does. Coverage falls back, per origin, to the contiguous run of stored change
/// sets from sequence 1 (pushed sets always extend that run, so nothing acknowledged to a tablet
/// is forgotten).
fn reset_coverage<D: ReplicaDb + ?Sized>(db: &D) -> Result<()> {
    for (origin, _) in db.coverage_rows()? {
        let mut held = 0u64;
        db.scan_sets(origin, 0, u64::MAX, &mut |s| {
            if s.first_seq != held + 1 {
                return Ok(false);
            }
            held = s.last_seq;
            Ok(true)
        })?;
        db.set_coverage(origin, held)?;
    }
    Ok(())
}

fn merge_ops<D: ReplicaDb + ?Sized>(
    batch: &mut Batch<'_, D>,
    set: &ChangeSet,
    ops: &[Op],
    max_hlc: &mut Hlc,
) -> Result<u64> {
    for op in ops {
        batch.apply(op)?;
    }
    *max_hlc = (*max_hlc).max(set.hlc);
    Ok(ops.len() as u64)
}

/// The hash a peer's coverage under `scope` is valid for: the scope itself plus, per village,
/// how many times records moved into it from elsewhere (a move makes the hub resend the
/// village's history to its tablets; see migration 003).
pub fn scope_hash_in<D: ReplicaDb + ?Sized>(db: &D, scope: &Scope) -> Result<[u8; 16]> {
    let Scope::Villages(villages) = scope else {
        return Ok(scope.hash());
    };
    let mut h = sha2::Sha256::new();
    h.update(scope.hash());
    for v in villages {
        let e = db.placement_epoch(v.as_bytes())?;
        h.update(e.unwrap_or(0).to_be_bytes());
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    Ok(out)
}

/// Derives and checks the ops of pushed sets (one SHA-256 per op). Done before taking the
/// writer, so concurrent pushes hash in parallel and the one writer only merges and writes.
pub fn verify_sets(sets: &[ChangeSet]) -> Result<Vec<Vec<Op>>> {
    sets.iter()
        .map(|s| s.verified_ops().map_err(|_| StoreError::BadChangeSet))
        .collect()
}

/// Stores change sets pushed by a peer, in order, inside the caller's transaction (commit only
/// on `Ok`). `verified` is [`verify_sets`] of `sets`. Each set must continue its origin's
/// sequence (or be a set already held); `may_author` says which origins the peer may push.
pub fn apply_pushed_in<D: ReplicaDb + ?Sized>(
    db: &D,
    sets: &[ChangeSet],
    verified: &[Vec<Op>],
    may_author: impl Fn(ReplicaId) -> bool,
    now: u64,
) -> Result<Pushed> {
    if verified.len() != sets.len() {
        return Err(StoreError::BadChangeSet);
    }
    let own = db.meta()?.replica;
    let mut cov = coverage_in(db)?;
    let mut stats = ApplyStats::default();
    let mut touched = VersionVector::new();
    let mut max_hlc = Hlc::default();
    let mut filled = false;
    let mut batch = Batch::new(db, now);
    for (set, ops) in sets.iter().zip(verified) {
        if !may_author(set.origin) || set.origin == own {
            return Err(StoreError::NotAuthor);
        }
        let have = cov.get(set.origin);
        if set.last_seq() <= have {
            if let Some(n) = held_copy(db, &mut batch, set, ops, &mut max_hlc)? {
                stats.ops += n;
                filled |= n > 0;
            }
            stats.duplicates += 1;
        } else if set.first_seq == have + 1 {
            // Held already (coverage fell back after a scope change): not twice.
            if let Some(n) = held_copy(db, &mut batch, set, ops, &mut max_hlc)? {
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
            db.insert_set(set, now)?;
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
    let moved = batch.flush()?;
    save_coverage(db, own, &cov)?;
    db.observe_hlc(max_hlc)?;
    Ok(Pushed {
        stats,
        acked: touched,
        moved: moved || filled,
    })
}

/// Stores a pull reply inside the caller's transaction: its sets (any order, duplicates skipped)
/// and the coverage the peer vouches for. `reset` first drops the coverage of other origins (the
/// scope changed). Returns the counts and whether placement caches are stale.
pub fn apply_pulled_in<D: ReplicaDb + ?Sized>(
    db: &D,
    sets: &[ChangeSet],
    vouched: &VersionVector,
    reset: bool,
    scope_hash: &[u8; 16],
    now: u64,
) -> Result<(ApplyStats, bool)> {
    let own = db.meta()?.replica;
    if reset {
        reset_coverage(db)?;
    }
    let mut stats = ApplyStats::default();
    let mut max_hlc = Hlc::default();
    let mut filled = false;
    let mut batch = Batch::new(db, now);
    for set in sets {
        if set.origin == own {
            // Our own history is never taken from a peer.
            continue;
        }
        match db.stored_digest(set.origin, set.first_seq)? {
            Some((d, true)) if d == set.digest => {
                let ops = set.verified_ops().map_err(|_| StoreError::BadChangeSet)?;
                let n = fill_partial(db, &mut batch, set, &ops, &mut max_hlc)?;
                filled |= n > 0;
                stats.ops += n;
                stats.duplicates += 1;
            }
            Some((d, false)) if d == set.digest => stats.duplicates += 1,
            Some(_) => return Err(clash(set)),
            None => {
                let ops = set.verified_ops().map_err(|_| StoreError::BadChangeSet)?;
                db.insert_set(set, now)?;
                stats.ops += merge_ops(&mut batch, set, &ops, &mut max_hlc)?;
                stats.applied += 1;
            }
        }
    }
    let moved = batch.flush()?;
    save_coverage(db, own, vouched)?;
    db.set_coverage_scope(scope_hash)?;
    db.observe_hlc(max_hlc)?;
    Ok((stats, moved || filled))
}

/// What a peer with coverage `theirs` and scope `scope` lacks: sets in scope, in order per
/// origin, at most about `max_ops` ops / `max_bytes` bytes (always at least one set if any),
/// skipping `exclude` (the peer's own origin). Returns the sets as stored (ready for the wire,
/// never re-encoded), the coverage the peer will have once it stores them (vouching for skipped
/// out-of-scope ranges), and whether more remains.
///
/// Which villages a stored set belongs to is resolved once and kept in `cache` until a write
/// moves a household or member; a pull then mostly scans rows without decoding them.
pub fn sets_for_peer_in<D: ReplicaDb + ?Sized>(
    db: &D,
    cache: &PlacementCache,
    theirs: &VersionVector,
    scope: &Scope,
    exclude: Option<ReplicaId>,
    (max_ops, max_bytes): (u32, u32),
) -> Result<(Vec<WireSet>, VersionVector, bool)> {
    let mine = coverage_in(db)?;
    let mut next = theirs.clone();
    let mut batch = Filling::new(max_ops, max_bytes);
    let mut resolver = VillageResolver::new(db);
    let mut cache = cache.0.lock().unwrap_or_else(|p| p.into_inner());
    for (origin, upto) in mine.iter() {
        let from = theirs.get(origin);
        if Some(origin) == exclude || from >= upto {
            continue;
        }
        let mut reached = from;
        let (mut full, mut held) = (false, false);
        db.scan_sets(origin, from, upto, &mut |r: StoredSet<'_>| {
            let key = (origin.as_i64(), r.first_seq);
            let placement = match cache.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let set = decode_row(origin, r.first_seq, r.hlc, r.ops, r.digest)?;
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
                    return Ok(false);
                }
                Verdict::Send => {
                    let set = WireSet {
                        origin,
                        first_seq: r.first_seq,
                        hlc: Hlc::from_i64(r.hlc).map_err(|_| StoreError::InvalidData("hlc"))?,
                        ops: shown_blob(&mut resolver, scope, &placement, origin, r)?,
                    };
                    if !batch.add(set, r.last_seq - r.first_seq + 1) {
                        full = true;
                        return Ok(false);
                    }
                }
            }
            reached = r.last_seq;
            Ok(true)
        })?;
        if full {
            next.set(origin, reached);
            return Ok((batch.out, next, true));
        }
        // A held set stops this origin's coverage before it; later origins go on.
        next.set(origin, if held { reached } else { upto });
    }
    Ok((batch.out, next, false))
}

impl Store {
    /// This replica's coverage, its own origin included.
    pub fn coverage(&self) -> Result<VersionVector> {
        self.read(|conn| coverage_in(&SqliteDb(conn)))
    }

    /// The hash a peer's coverage under `scope` is valid for (see [`scope_hash_in`]).
    pub fn scope_hash(&self, scope: &Scope) -> Result<[u8; 16]> {
        self.read(|conn| scope_hash_in(&SqliteDb(conn), scope))
    }

    /// The scope hash the coverage was built under (`None` before the first pull).
    pub fn coverage_scope(&self) -> Result<Option<[u8; 16]>> {
        use rusqlite::OptionalExtension as _;
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
            let mut batch = Filling::new(max_ops, max_bytes);
            SqliteDb(conn).scan_sets(origin, after, u64::MAX, &mut |r| {
                let set = WireSet {
                    origin,
                    first_seq: r.first_seq,
                    hlc: Hlc::from_i64(r.hlc).map_err(|_| StoreError::InvalidData("hlc"))?,
                    ops: r.ops.to_vec(),
                };
                Ok(batch.add(set, r.last_seq - r.first_seq + 1))
            })?;
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
        let verified = verify_sets(sets)?;
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = apply_pushed_in(&SqliteDb(&tx), sets, &verified, may_author, now)?;
        tx.commit()?;
        drop(conn);
        if out.moved {
            self.scope_moved();
        }
        Ok((out.stats, out.acked))
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
        let (stats, moved) =
            apply_pulled_in(&SqliteDb(&tx), sets, vouched, reset, scope_hash, now)?;
        tx.commit()?;
        drop(conn);
        if moved {
            self.scope_moved();
        }
        Ok(stats)
    }

    /// What a peer with coverage `theirs` and scope `scope` lacks (see [`sets_for_peer_in`]).
    pub fn sets_for_peer(
        &self,
        theirs: &VersionVector,
        scope: &Scope,
        exclude: Option<ReplicaId>,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, VersionVector, bool)> {
        self.read(|conn| {
            sets_for_peer_in(
                &SqliteDb(conn),
                &self.scope_cache,
                theirs,
                scope,
                exclude,
                (max_ops, max_bytes),
            )
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
fn shown_blob<D: ReplicaDb + ?Sized>(
    resolver: &mut VillageResolver<'_, D>,
    scope: &Scope,
    placement: &Placement,
    origin: ReplicaId,
    r: StoredSet<'_>,
) -> Result<Vec<u8>> {
    if !placement.spans_outside(scope) {
        return Ok(r.ops.to_vec());
    }
    let set = decode_row(origin, r.first_seq, r.hlc, r.ops, r.digest)?;
    Ok(resolver.shown_to(scope, set)?.encode_ops())
}

fn decode_row(
    origin: ReplicaId,
    first: u64,
    hlc: i64,
    ops: &[u8],
    digest: &[u8],
) -> Result<ChangeSet> {
    let hlc = Hlc::from_i64(hlc).map_err(|_| StoreError::InvalidData("hlc"))?;
    ChangeSet::decode_trusted(origin, first, hlc, ops, digest)
        .map_err(|_| StoreError::InvalidData("stored change set"))
}
