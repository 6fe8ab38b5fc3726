//! Sync protocol messages and their wire encoding (see `docs/sync-protocol.md`).
//!
//! Bodies are postcard-encoded messages compressed with zstd (`application/x-abha-sync`).
//! Change sets travel in their compact stored encoding, whole, with their digest: the receiver
//! recomputes every op id and refuses a set whose digest does not match. Every request carries
//! the protocol version; a hub answers a version newer than it knows with `sync.protocol` and
//! keeps serving every older version it lists. Decoding is bounded: a body that would inflate past
//! the limit is refused, never allocated.

use serde::{Deserialize, Serialize};

use super::vv::VersionVector;
use crate::ids::ReplicaId;
use crate::oplog::{ChangeSet, ChangeSetError, Hlc};
use crate::store::PendingCounts;

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest version a hub still serves.
pub const MIN_PROTOCOL_VERSION: u16 = 1;
/// Media type of request and response bodies.
pub const CONTENT_TYPE: &str = "application/x-abha-sync";
/// Header carrying the protocol version (also inside every message).
pub const VERSION_HEADER: &str = "abha-sync-protocol";
/// The most a decoded body may inflate to.
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

/// A change set on the wire. Its digest is not sent: the receiver derives every op id and the
/// digest from the contents, and compares them with what it holds (TLS protects the transfer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSet {
    /// Author replica.
    pub origin: ReplicaId,
    /// First sequence number.
    pub first_seq: u64,
    /// Shared timestamp.
    pub hlc: Hlc,
    /// Compact op encoding ([`ChangeSet::encode_ops`]).
    pub ops: Vec<u8>,
}

impl From<&ChangeSet> for WireSet {
    fn from(s: &ChangeSet) -> Self {
        Self {
            origin: s.origin,
            first_seq: s.first_seq,
            hlc: s.hlc,
            ops: s.encode_ops(),
        }
    }
}

impl WireSet {
    /// Decodes the set (a partial one keeps its withheld op ids) and derives its op ids and
    /// digest.
    pub fn decode(&self) -> Result<ChangeSet, ChangeSetError> {
        let set =
            ChangeSet::decode_trusted(self.origin, self.first_seq, self.hlc, &self.ops, &[0; 16])?;
        ChangeSet::with_withheld(self.origin, self.first_seq, self.hlc, set.ops, set.withheld)
    }
    /// Bytes this set takes on the wire before compression (for batch limits).
    pub fn size(&self) -> usize {
        self.ops.len() + 32
    }
}

/// Opens a sync session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version of the sender.
    pub protocol: u16,
    /// The sender's store replica id.
    pub replica: ReplicaId,
    /// App or hub version, for supervisors.
    pub app_version: String,
    /// Sender's wall clock (ms), to report clock skew.
    pub sent_at_ms: u64,
    /// Work the sender holds that no hub has acknowledged.
    pub pending: PendingCounts,
}

/// The hub's answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    /// Protocol version the hub will use for this session.
    pub protocol: u16,
    /// The hub's replica id.
    pub hub_replica: ReplicaId,
    /// The hub's wall clock (ms): the sender keeps `hub_time - its time` as an offset.
    pub hub_time_ms: u64,
    /// How far the hub holds the sender's own change sets: push what comes after.
    pub have_yours: u64,
    /// The scope the hub serves the sender under.
    pub scope_hash: [u8; 16],
    /// The hub's whole coverage, sent only to relaying peers (hubs), which push every origin.
    pub coverage: Option<VersionVector>,
}

/// Change sets the hub lacks, in order per origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// Protocol version.
    pub protocol: u16,
    /// The sender's replica id.
    pub replica: ReplicaId,
    /// The sets.
    pub sets: Vec<WireSet>,
}

/// Acknowledgement of a [`Push`]: everything up to these sequence numbers is durable at the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    /// Coverage of the pushed origins after the push.
    pub acked: VersionVector,
    /// Sets newly stored (not duplicates).
    pub applied: u32,
    /// Sets the hub already had.
    pub duplicates: u32,
}

/// Asks for what the sender lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pull {
    /// Protocol version.
    pub protocol: u16,
    /// The sender's replica id (its own sets are never sent back).
    pub replica: ReplicaId,
    /// The sender's coverage.
    pub coverage: VersionVector,
    /// The scope hash the coverage was built under (from [`HelloReply`]).
    pub scope_hash: [u8; 16],
    /// At most this many ops in the reply.
    pub max_ops: u32,
    /// At most about this many bytes (before compression) in the reply.
    pub max_bytes: u32,
}

/// A batch of what the sender lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReply {
    /// The sets, in order per origin.
    pub sets: Vec<WireSet>,
    /// The sender's coverage once it has stored these sets (the hub vouches for skipped,
    /// out-of-scope ranges).
    pub coverage: VersionVector,
    /// The sender's coverage was built under another scope: drop it (except the own origin) and
    /// start over.
    pub reset: bool,
    /// The scope hash this batch was chosen under: the caller stores it with the batch. (It can
    /// differ from the hello's when a record moved into the scope meanwhile.)
    pub scope_hash: [u8; 16],
    /// More remains after this batch.
    pub more: bool,
}

/// Sealed Aadhaar numbers handed to the hub after a push (`POST /v1/sync/sealed`): the
/// ciphertexts of members with a demographic-authentication request, which only the hub can
/// open. They are not ops: no other tablet receives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandSealed {
    /// Protocol version.
    pub protocol: u16,
    /// The sender's replica id.
    pub replica: ReplicaId,
    /// At most [`MAX_SEALED_ITEMS`] items.
    pub items: Vec<crate::store::SealedItem>,
}

/// Most items in one [`HandSealed`].
pub const MAX_SEALED_ITEMS: usize = 256;

/// The hub's verdict on each item, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandSealedReply {
    /// One per item.
    pub verdicts: Vec<crate::store::SealedVerdict>,
}

/// Enrols a device with a one-time code (JSON, `POST /v1/devices/enrol`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code an organiser printed.
    pub code: String,
    /// The device store's replica id.
    pub replica: ReplicaId,
    /// App version.
    pub app_version: String,
    /// A label for supervisors (e.g. the tablet's asset tag); no personal data.
    #[serde(default)]
    pub label: Option<String>,
}

/// What an enrolled device receives (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolReply {
    /// The device's id at the hub.
    pub device_id: String,
    /// Its bearer token (shown once; the hub keeps only a hash).
    pub token: String,
    /// Its role.
    pub role: String,
    /// The hub's replica id.
    pub hub_replica: ReplicaId,
    /// Villages assigned to it (empty for a hub peer: everything).
    pub villages: Vec<crate::ids::VillageId>,
    /// The deployment key for Aadhaar tokens (64 hex digits), so duplicate detection works
    /// across tablets.
    pub token_key: String,
    /// The public key Aadhaar numbers are sealed to (PEM); its private half stays on the hub.
    pub sealing_key_pem: String,
    /// The hub's public key for household slips (64 hex digits, Ed25519), so the device can
    /// verify the slips it scans offline ([`crate::qr::slip`]). Absent from older hubs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slip_key: Option<String>,
}

/// Errors decoding a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Not zstd, or inflates past [`MAX_DECODED_BYTES`].
    #[error("body is not a valid compressed message")]
    Compression,
    /// Not a valid message of the expected type.
    #[error("body is not a valid message")]
    Message,
}

/// Encodes a message body.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let raw = postcard::to_stdvec(msg).unwrap_or_default();
    zstd::bulk::compress(&raw, 3).unwrap_or_default()
}

/// Decodes a message body, refusing bodies that inflate past [`MAX_DECODED_BYTES`].
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, CodecError> {
    let raw =
        zstd::bulk::decompress(body, MAX_DECODED_BYTES).map_err(|_| CodecError::Compression)?;
    postcard::from_bytes(&raw).map_err(|_| CodecError::Message)
}

/// An error body (JSON): a stable machine code and a short English message without personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine code, e.g. `sync.gap`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Stable error codes of the protocol.
pub mod codes {
    /// The protocol version is newer than the hub supports.
    pub const PROTOCOL: &str = "sync.protocol";
    /// A body could not be decoded.
    pub const BAD_BODY: &str = "sync.bad_body";
    /// A change set's digest or encoding is wrong.
    pub const BAD_SET: &str = "sync.bad_set";
    /// A change set does not continue its origin's sequence at the hub.
    pub const GAP: &str = "sync.gap";
    /// A different change set already holds this origin and sequence (cloned database).
    pub const CLASH: &str = "sync.clash";
    /// The device pushed ops it did not author.
    pub const NOT_AUTHOR: &str = "sync.not_author";
    /// An op does not fit the schema.
    pub const BAD_OP: &str = "sync.bad_op";
    /// Missing, unknown or revoked credentials.
    pub const UNAUTHENTICATED: &str = "auth.unauthenticated";
    /// Authenticated but not allowed.
    pub const FORBIDDEN: &str = "auth.forbidden";
    /// Too many requests; retry later.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Body larger than the hub accepts.
    pub const TOO_LARGE: &str = "too_large";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_codec_round_trip_and_bounds() {
        let m = Pull {
            protocol: PROTOCOL_VERSION,
            replica: ReplicaId::from_i64(5).unwrap(),
            coverage: VersionVector::new(),
            scope_hash: [1; 16],
            max_ops: 10,
            max_bytes: 100,
        };
        let b = encode(&m);
        assert_eq!(decode::<Pull>(&b).unwrap(), m);
        assert_eq!(decode::<Pull>(b"garbage"), Err(CodecError::Compression));
        let bad = zstd::bulk::compress(&[0xff; 10], 3).unwrap();
        assert_eq!(decode::<Pull>(&bad), Err(CodecError::Message));
        // A small body that inflates past the limit is refused.
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_DECODED_BYTES + 1], 19).unwrap();
        assert!(bomb.len() < 100_000);
        assert_eq!(decode::<Pull>(&bomb), Err(CodecError::Compression));
    }

    #[test]
    fn test_partial_set_keeps_its_digest_and_range_on_the_wire() {
        use crate::oplog::{Action, ChangeOp, EntityKind, Hlc, Value};
        let op = |i: i64| ChangeOp {
            kind: EntityKind::Member,
            entity: uuid::Uuid::from_bytes([i as u8; 16]),
            field: "given_name".into(),
            action: Action::Set,
            value: Value::Int(i),
            deps: vec![],
        };
        let whole = ChangeSet::new(
            ReplicaId::from_i64(3).unwrap(),
            4,
            Hlc::new(1_700_000_000_000, 0),
            (0..3).map(op).collect(),
        )
        .unwrap();
        let part = whole.withhold(|o| o.value != Value::Int(1)).unwrap();
        let back = WireSet::from(&part).decode().unwrap();
        assert_eq!(back, part);
        assert_eq!(back.digest, whole.digest);
        assert_eq!(back.last_seq(), whole.last_seq());
        assert_eq!(back.verified_ops().unwrap().len(), 2);
    }
}
