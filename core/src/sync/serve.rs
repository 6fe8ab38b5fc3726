//! The hub side of a sync session, independent of HTTP and of the database.
//!
//! The hub server authenticates a request, builds a [`Peer`] from its own records (which replica
//! ids the device may author, which villages it may see) and calls these functions. The client
//! never states its own scope or permissions. The same functions serve in-process peers in the
//! convergence tests. They run over a [`SyncReplica`]: the SQLite [`Store`] or the hub's
//! PostgreSQL backend, which both run the same replication code (`store::engine`).

use std::collections::BTreeSet;

use super::Scope;
use super::protocol::{
    self, HandSealed, HandSealedReply, Hello, HelloReply, MAX_SEALED_ITEMS, MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION, Pull, PullReply, Push, PushReply, WireSet, codes,
};
use crate::ids::{ReplicaId, VillageId};
use crate::oplog::ChangeSet;
use crate::store::{ApplyStats, SealedItem, SealedVerdict, Store, StoreError};
use crate::sync::VersionVector;

/// What serving a sync session needs of a replica's database.
pub trait SyncReplica {
    /// This replica's id.
    fn replica_id(&self) -> ReplicaId;
    /// The replica's clock, Unix ms.
    fn now_ms(&self) -> u64;
    /// Coverage, the own origin included.
    fn coverage(&self) -> Result<VersionVector, StoreError>;
    /// The hash coverage under `scope` is valid for.
    fn scope_hash(&self, scope: &Scope) -> Result<[u8; 16], StoreError>;
    /// Stores pushed sets, all or nothing; returns counts and the acknowledged coverage.
    fn apply_pushed(
        &self,
        sets: &[ChangeSet],
        may_author: &(dyn Fn(ReplicaId) -> bool + Sync),
    ) -> Result<(ApplyStats, VersionVector), StoreError>;
    /// Holds sealed Aadhaar numbers for members whose village `admits` allows.
    fn accept_sealed(
        &self,
        items: &[SealedItem],
        admits: &(dyn Fn(Option<&VillageId>) -> bool + Sync),
    ) -> Result<Vec<SealedVerdict>, StoreError>;
    /// What a peer lacks in its scope (see `store::engine::sets_for_peer_in`).
    fn sets_for_peer(
        &self,
        theirs: &VersionVector,
        scope: &Scope,
        exclude: Option<ReplicaId>,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, VersionVector, bool), StoreError>;
}

impl SyncReplica for Store {
    fn replica_id(&self) -> ReplicaId {
        Store::replica_id(self)
    }
    fn now_ms(&self) -> u64 {
        self.clock().now_ms()
    }
    fn coverage(&self) -> Result<VersionVector, StoreError> {
        Store::coverage(self)
    }
    fn scope_hash(&self, scope: &Scope) -> Result<[u8; 16], StoreError> {
        Store::scope_hash(self, scope)
    }
    fn apply_pushed(
        &self,
        sets: &[ChangeSet],
        may_author: &(dyn Fn(ReplicaId) -> bool + Sync),
    ) -> Result<(ApplyStats, VersionVector), StoreError> {
        Store::apply_pushed(self, sets, may_author)
    }
    fn accept_sealed(
        &self,
        items: &[SealedItem],
        admits: &(dyn Fn(Option<&VillageId>) -> bool + Sync),
    ) -> Result<Vec<SealedVerdict>, StoreError> {
        Store::accept_sealed(self, items, admits)
    }
    fn sets_for_peer(
        &self,
        theirs: &VersionVector,
        scope: &Scope,
        exclude: Option<ReplicaId>,
        max_ops: u32,
        max_bytes: u32,
    ) -> Result<(Vec<WireSet>, VersionVector, bool), StoreError> {
        Store::sets_for_peer(self, theirs, scope, exclude, max_ops, max_bytes)
    }
}

/// Largest batch a hub sends, whatever the client asks.
pub const MAX_PULL_OPS: u32 = 20_000;
/// Largest batch a hub sends, in bytes before compression.
pub const MAX_PULL_BYTES: u32 = 4 * 1024 * 1024;

/// Who is on the other end, as the hub's records say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// A tablet (authors only its own replicas) or another hub (relays any origin).
    pub kind: PeerKind,
    /// Replica ids the peer may author (tablets).
    pub replicas: BTreeSet<ReplicaId>,
    /// What the peer may receive.
    pub scope: Scope,
}

/// Kind of peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// A field device.
    Device,
    /// A hub (camp to state).
    Hub,
}

/// A refused request: a machine code, a message and whether it is the client's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServeError {
    /// Code from [`codes`].
    pub code: &'static str,
    /// Short explanation (no personal data).
    pub message: String,
    /// `true`: the request was wrong (4xx); `false`: the hub failed (5xx).
    pub client: bool,
}

impl ServeError {
    fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            client: true,
        }
    }
}

impl From<StoreError> for ServeError {
    fn from(e: StoreError) -> Self {
        let client = matches!(
            e,
            StoreError::Gap { .. }
                | StoreError::SequenceClash { .. }
                | StoreError::BadChangeSet
                | StoreError::OpRejected
                | StoreError::NotAuthor
        );
        let code = match &e {
            StoreError::Gap { .. } => codes::GAP,
            StoreError::SequenceClash { .. } => codes::CLASH,
            StoreError::BadChangeSet => codes::BAD_SET,
            StoreError::OpRejected => codes::BAD_OP,
            StoreError::NotAuthor => codes::NOT_AUTHOR,
            other => other.code(),
        };
        Self {
            code,
            message: e.to_string(),
            client,
        }
    }
}

fn check_protocol(v: u16) -> Result<u16, ServeError> {
    if (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v) {
        Ok(v)
    } else {
        Err(ServeError::client(
            codes::PROTOCOL,
            format!(
                "protocol {v} not supported; this hub speaks {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"
            ),
        ))
    }
}

fn check_replica(peer: &Peer, r: ReplicaId) -> Result<(), ServeError> {
    if peer.kind == PeerKind::Hub || peer.replicas.contains(&r) {
        Ok(())
    } else {
        Err(ServeError::client(
            codes::FORBIDDEN,
            "replica not registered to this device",
        ))
    }
}

/// Opens a session.
pub fn hello(
    store: &(impl SyncReplica + ?Sized),
    peer: &Peer,
    h: &Hello,
) -> Result<HelloReply, ServeError> {
    let protocol = check_protocol(h.protocol)?;
    check_replica(peer, h.replica)?;
    let cov = store.coverage()?;
    Ok(HelloReply {
        protocol,
        hub_replica: store.replica_id(),
        hub_time_ms: store.now_ms(),
        have_yours: cov.get(h.replica),
        scope_hash: store.scope_hash(&peer.scope)?,
        coverage: (peer.kind == PeerKind::Hub).then_some(cov),
    })
}

/// Stores a pushed batch and acknowledges it.
pub fn push(
    store: &(impl SyncReplica + ?Sized),
    peer: &Peer,
    p: &Push,
) -> Result<PushReply, ServeError> {
    check_protocol(p.protocol)?;
    check_replica(peer, p.replica)?;
    let sets = p
        .sets
        .iter()
        .map(WireSet::decode)
        .collect::<Result<Vec<ChangeSet>, _>>()
        .map_err(|_| ServeError::client(codes::BAD_SET, "a change set is damaged"))?;
    let (stats, acked) = store.apply_pushed(&sets, &|origin| match peer.kind {
        PeerKind::Hub => true,
        PeerKind::Device => peer.replicas.contains(&origin),
    })?;
    Ok(PushReply {
        acked,
        applied: stats.applied,
        duplicates: stats.duplicates,
    })
}

/// Stores sealed Aadhaar numbers a device hands in, for members in its villages.
pub fn hand_sealed(
    store: &(impl SyncReplica + ?Sized),
    peer: &Peer,
    m: &HandSealed,
) -> Result<HandSealedReply, ServeError> {
    check_protocol(m.protocol)?;
    check_replica(peer, m.replica)?;
    if m.items.len() > MAX_SEALED_ITEMS {
        return Err(ServeError::client(
            codes::TOO_LARGE,
            "too many sealed items",
        ));
    }
    let verdicts = store.accept_sealed(&m.items, &|village| match (&peer.scope, village) {
        (Scope::All, _) => true,
        (scope, Some(v)) => scope.contains(v),
        (_, None) => false,
    })?;
    Ok(HandSealedReply { verdicts })
}

/// Answers a pull with the next batch of what the peer lacks in its scope.
pub fn pull(
    store: &(impl SyncReplica + ?Sized),
    peer: &Peer,
    p: &Pull,
) -> Result<PullReply, ServeError> {
    check_protocol(p.protocol)?;
    check_replica(peer, p.replica)?;
    // Computed before the scan: if records move meanwhile, the caller's next pull resets again
    // (a resend of duplicates), never the other way round.
    let scope_hash = store.scope_hash(&peer.scope)?;
    let reset = p.scope_hash != scope_hash;
    let from = if reset {
        // Keep only what the peer knows of its own origin; everything else is resent.
        [(p.replica, p.coverage.get(p.replica))]
            .into_iter()
            .collect()
    } else {
        p.coverage.clone()
    };
    let (sets, coverage, more) = store.sets_for_peer(
        &from,
        &peer.scope,
        Some(p.replica),
        p.max_ops.clamp(1, MAX_PULL_OPS),
        p.max_bytes.clamp(1024, MAX_PULL_BYTES),
    )?;
    Ok(PullReply {
        sets,
        coverage,
        reset,
        scope_hash,
        more,
    })
}

/// Decodes a request body or refuses it as the client's mistake.
pub fn decode_request<T: for<'de> serde::Deserialize<'de>>(body: &[u8]) -> Result<T, ServeError> {
    protocol::decode(body).map_err(|e| ServeError::client(codes::BAD_BODY, e.to_string()))
}
