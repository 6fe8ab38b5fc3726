//! `sync_decode`: everything a hub or tablet decodes from a peer during sync, and what it does
//! with it next.
//!
//! Why: these bytes come from the network (a tablet's push, a hub's pull reply) or from disk, and
//! a panic in the hub's decoder takes down a camp's sync for every tablet. Beyond "never panics",
//! the harness checks the properties the protocol relies on:
//! - every message type decodes through the real [`protocol::decode`] (zstd + postcard, bounded),
//!   and a decoded message re-encodes to itself (decode → encode → decode is the identity);
//! - every change set in a `Push` or `PullReply` goes through [`WireSet::decode`]; a set that
//!   decodes verifies, its ops carry their ids, it survives the wire and the stored encoding, and
//!   withholding and filling back partial sets keep the digest;
//! - the decoded ops are merged with [`merge::apply`]: the final merge state does not depend on
//!   the order (forward or reverse) or on applying everything twice, and it survives its stored
//!   encoding ([`EntityState::encode`] / [`EntityState::decode`]);
//! - change sets and merge state read back from the store's own columns
//!   ([`ChangeSet::decode`], [`ChangeSet::decode_trusted`], [`EntityState::decode`]).
//!
//! Input layout: byte 0 selects what the rest is ([`Kind`]). For the eight message kinds, bit 7
//! of byte 0 says the rest is a body as sent on the wire (zstd); without it the rest is the
//! postcard message, compressed here before [`protocol::decode`] sees it, so mutations reach the
//! message decoder instead of dying in zstd.

use std::collections::BTreeMap;
use std::fmt::Debug;

use abha_core::ids::ReplicaId;
use abha_core::oplog::merge::{self, EntityState};
use abha_core::oplog::{ChangeSet, EntityKind, Hlc, Op};
use abha_core::sync::protocol::{
    self, HandSealed, HandSealedReply, Hello, HelloReply, Pull, PullReply, Push, PushReply, WireSet,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Bit 7 of the selector: the rest is a compressed body as sent.
pub const COMPRESSED: u8 = 0x80;

/// What the bytes after the selector are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// [`Hello`].
    Hello = 0,
    /// [`HelloReply`].
    HelloReply = 1,
    /// [`Push`].
    Push = 2,
    /// [`PushReply`].
    PushReply = 3,
    /// [`Pull`].
    Pull = 4,
    /// [`PullReply`].
    PullReply = 5,
    /// [`HandSealed`].
    HandSealed = 6,
    /// [`HandSealedReply`].
    HandSealedReply = 7,
    /// One postcard [`WireSet`] (no compression).
    WireSet = 8,
    /// A stored change set: [`stored_set_input`] layout.
    StoredSet = 9,
    /// Stored merge state ([`EntityState::encode`]).
    EntityState = 10,
}

const KINDS: [Kind; 11] = [
    Kind::Hello,
    Kind::HelloReply,
    Kind::Push,
    Kind::PushReply,
    Kind::Pull,
    Kind::PullReply,
    Kind::HandSealed,
    Kind::HandSealedReply,
    Kind::WireSet,
    Kind::StoredSet,
    Kind::EntityState,
];

/// Most sets looked at per message, so one input stays fast.
const MAX_SETS: usize = 64;
/// Most ops merged per message (the order check applies them four times).
const MAX_OPS: usize = 2048;

/// The harness: see the module docs.
pub fn run(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(sel & !COMPRESSED) % KINDS.len()];
    let compressed;
    let body = if sel & COMPRESSED != 0 {
        rest
    } else {
        // Level 1: cheap, and only the decoder side is under test.
        compressed = zstd::bulk::compress(rest, 1).expect("zstd compresses any input");
        &compressed[..]
    };
    match kind {
        Kind::Hello => message::<Hello>(body, |_| {}),
        Kind::HelloReply => message::<HelloReply>(body, |_| {}),
        Kind::Push => message::<Push>(body, |m| sets(&m.sets)),
        Kind::PushReply => message::<PushReply>(body, |_| {}),
        Kind::Pull => message::<Pull>(body, |_| {}),
        Kind::PullReply => message::<PullReply>(body, |m| sets(&m.sets)),
        Kind::HandSealed => message::<HandSealed>(body, |_| {}),
        Kind::HandSealedReply => message::<HandSealedReply>(body, |_| {}),
        Kind::WireSet => {
            if let Ok(ws) = postcard::from_bytes::<WireSet>(rest) {
                sets(std::slice::from_ref(&ws));
            }
        }
        Kind::StoredSet => {
            let _ = stored_set(rest);
        }
        Kind::EntityState => entity_state(rest),
    }
}

/// Decodes a body as `T`; a message that decodes must survive re-encoding unchanged.
fn message<T>(body: &[u8], then: impl FnOnce(&T))
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let Ok(m) = protocol::decode::<T>(body) else {
        return;
    };
    let again = protocol::encode(&m);
    let back: T = protocol::decode(&again).expect("a decoded message re-encodes and decodes");
    assert_eq!(back, m, "decode -> encode -> decode changed the message");
    then(&m);
}

/// Everything a receiver does with the sets of one message, short of the store.
fn sets(wire: &[WireSet]) {
    let mut ops = Vec::new();
    for ws in wire.iter().take(MAX_SETS) {
        let _ = ws.size();
        if let Ok(set) = ws.decode() {
            check_set(&set);
            // What the store takes from a received set: the ops with ids, checked in one pass.
            let verified = set.verified_ops().expect("a decoded set's ops verify");
            ops.extend(verified);
        }
    }
    ops.truncate(MAX_OPS);
    check_merge(&ops);
}

/// Properties of a set that decoded (so its digest was derived from its contents).
fn check_set(set: &ChangeSet) {
    assert_eq!(set.verify(), Ok(()), "a decoded set verifies");
    assert!(!set.is_empty());
    let last = set.last_seq();
    assert!(set.first_seq >= 1 && last >= set.first_seq);
    let ops: Vec<Op> = set.ops().collect();
    assert_eq!(ops.len(), set.ops.len());
    for op in &ops {
        assert!(op.verify_id(), "every op carries its content address");
        assert!((set.first_seq..=last).contains(&op.seq));
        assert_eq!((op.origin, op.hlc), (set.origin, set.hlc));
    }
    // On the wire and back.
    let back = WireSet::from(set)
        .decode()
        .expect("a set survives the wire");
    assert_eq!(&back, set, "wire round trip changed the set");
    // In the store's columns and back, with and without recomputing every id.
    let bytes = set.encode_ops();
    let stored = ChangeSet::decode(set.origin, set.first_seq, set.hlc, &bytes, &set.digest)
        .expect("a set survives its stored encoding");
    assert_eq!(&stored, set);
    let trusted =
        ChangeSet::decode_trusted(set.origin, set.first_seq, set.hlc, &bytes, &set.digest)
            .expect("a stored set decodes trusted");
    assert_eq!(&trusted, set);
    check_withhold(set);
}

/// Withholding ops for a scoped peer keeps the digest and range, and filling back from the
/// fuller copy restores it.
fn check_withhold(set: &ChangeSet) {
    // Two different cuts: every other op, and everything but the first shown op.
    let mut i = 0usize;
    let cuts = [
        set.withhold(|_| {
            i += 1;
            i % 2 == 1
        }),
        set.withhold({
            let mut first = true;
            move |_| std::mem::replace(&mut first, false)
        }),
    ];
    for part in cuts.into_iter().flatten() {
        assert_eq!(part.verify(), Ok(()), "a withheld set still verifies");
        assert_eq!((part.digest, part.last_seq()), (set.digest, set.last_seq()));
        assert!(part.withheld.len() >= set.withheld.len());
        let back = WireSet::from(&part)
            .decode()
            .expect("a partial set survives the wire");
        assert_eq!(back, part, "wire round trip changed a partial set");
        match part.filled_from(set) {
            Some(full) => {
                assert!(part.withheld.len() > set.withheld.len());
                assert_eq!(
                    &full, set,
                    "filling a partial set gives the fuller copy back"
                );
            }
            None => assert_eq!(part.withheld.len(), set.withheld.len()),
        }
    }
}

type States = BTreeMap<(EntityKind, Uuid), EntityState>;

/// Applies `ops` in order, each to its entity's state; errors (ops that do not fit the schema)
/// leave the state alone.
fn merge_all<'a>(states: &mut States, ops: impl Iterator<Item = &'a Op>) {
    for op in ops {
        let state = states.entry((op.kind, op.entity)).or_default();
        let before = state.clone();
        if merge::apply(state, op).is_err() {
            assert_eq!(*state, before, "a refused op changed the merge state");
        }
    }
}

/// The merge rules are order-independent and idempotent, and their state survives storage.
fn check_merge(ops: &[Op]) {
    if ops.is_empty() {
        return;
    }
    let mut forward = States::new();
    merge_all(&mut forward, ops.iter());
    for (key, state) in &forward {
        let back = EntityState::decode(&state.encode());
        assert_eq!(
            back.as_ref(),
            Some(state),
            "merge state of {key:?} does not survive its stored encoding"
        );
    }
    let mut twice = forward.clone();
    merge_all(&mut twice, ops.iter());
    assert_eq!(
        twice, forward,
        "applying the same ops again changed the state"
    );
    // Order independence holds for distinct ops with distinct stamps. Two different ops with one
    // (origin, seq) are a clash the store refuses before merging, so they are not compared.
    let mut by_stamp = BTreeMap::new();
    for op in ops {
        if *by_stamp.entry((op.origin, op.seq)).or_insert(op.id) != op.id {
            return;
        }
    }
    let mut reverse = States::new();
    merge_all(&mut reverse, ops.iter().rev());
    assert_eq!(
        reverse, forward,
        "the merged state depends on the order of the ops"
    );
}

/// Header of a [`Kind::StoredSet`] input: origin, first sequence number and timestamp as stored
/// (8 bytes each, big-endian), then the digest column's length (1 byte) and bytes, then the ops
/// column.
pub fn stored_set_input(
    origin: i64,
    first_seq: u64,
    hlc: i64,
    digest: &[u8],
    ops: &[u8],
) -> Vec<u8> {
    let mut out = vec![Kind::StoredSet as u8];
    out.extend(origin.to_be_bytes());
    out.extend(first_seq.to_be_bytes());
    out.extend(hlc.to_be_bytes());
    out.push(u8::try_from(digest.len()).unwrap_or(u8::MAX));
    out.extend(digest);
    out.extend(ops);
    out
}

fn take<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = b.split_first_chunk::<N>()?;
    *b = rest;
    Some(*head)
}

/// A change set read back from the store's columns (`changes` table).
fn stored_set(mut b: &[u8]) -> Option<()> {
    let origin = ReplicaId::from_i64(i64::from_be_bytes(take::<8>(&mut b)?)).ok()?;
    let first_seq = u64::from_be_bytes(take::<8>(&mut b)?);
    let hlc = Hlc::from_i64(i64::from_be_bytes(take::<8>(&mut b)?)).ok()?;
    let [dlen] = take::<1>(&mut b)?;
    let dlen = usize::from(dlen).min(b.len());
    let (digest, ops) = b.split_at(dlen);
    let trusted = ChangeSet::decode_trusted(origin, first_seq, hlc, ops, digest);
    match ChangeSet::decode(origin, first_seq, hlc, ops, digest) {
        Ok(set) => {
            assert_eq!(
                Ok(&set),
                trusted.as_ref(),
                "decode and decode_trusted disagree"
            );
            check_set(&set);
            let ops = set.verified_ops().expect("a verified set's ops verify");
            check_merge(&ops);
        }
        Err(_) => {
            // A set the store trusts may still fail verification (that is what `decode` is
            // for), but it must then be refused by `verify`.
            if let Ok(t) = trusted {
                assert!(t.verify().is_err(), "decode refused a set that verifies");
            }
        }
    }
    Some(())
}

/// Merge state read back from the store; decoding normalises it, so one more round trip is
/// the identity.
fn entity_state(b: &[u8]) {
    if let Some(state) = EntityState::decode(b) {
        let again = EntityState::decode(&state.encode());
        assert_eq!(
            again.as_ref(),
            Some(&state),
            "stored merge state round trip"
        );
    }
}

/// A seed input for `kind`: the message as postcard (compressed by the harness).
pub fn raw_input<T: Serialize>(kind: Kind, msg: &T) -> Vec<u8> {
    let mut out = vec![kind as u8];
    out.extend(postcard::to_stdvec(msg).unwrap_or_default());
    out
}

/// A seed input for `kind`: the body exactly as [`protocol::encode`] sends it.
pub fn wire_input<T: Serialize>(kind: Kind, msg: &T) -> Vec<u8> {
    let mut out = vec![kind as u8 | COMPRESSED];
    out.extend(protocol::encode(msg));
    out
}
