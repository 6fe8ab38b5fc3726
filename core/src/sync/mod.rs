//! Conflict-free sync between tablets, camp hubs and the state hub.
//!
//! Replicas exchange change sets. Version vectors ([`VersionVector`]) say what each side lacks;
//! [`Scope`] says what a tablet may receive; [`protocol`] defines the messages and their
//! compressed encoding. Merging is the op log's job ([`crate::oplog::merge`]) and storing is the
//! store's ([`crate::store::Store::apply_pushed`], [`crate::store::Store::apply_pulled`],
//! [`crate::store::Store::sets_for_peer`]); this module holds the session logic on top.
//! The protocol is written down in `docs/sync-protocol.md`.

pub mod camp;
pub mod client;
pub mod local;
pub mod profiles;
pub mod protocol;
pub mod scope;
pub mod serve;
pub mod session;
pub mod vv;

pub use scope::Scope;
pub use serve::{Peer, PeerKind, SyncReplica};
pub use session::{
    CancelToken, Phase, ProgressListener, SyncError, SyncOptions, SyncProgress, SyncReport,
    Transport, TransportError, sync,
};
pub use vv::VersionVector;
