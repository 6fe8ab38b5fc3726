//! Status and review records: the device, its last sync, what needs a supervisor's look.

use crate::records::MemberRecord;

/// What this device is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceStatus {
    /// Replica id of the store.
    pub replica_id: String,
    /// The enrolled hub's URL.
    pub hub_url: Option<String>,
    /// This device's id at the hub.
    pub device_id: Option<String>,
    /// Role at the hub (`worker`, `supervisor`, ...).
    pub role: Option<String>,
    /// The current operator.
    pub worker_id: Option<String>,
    /// Whether Aadhaar numbers can be sealed (a hub key is known).
    pub can_seal_aadhaar: bool,
}

/// The last sync with a hub.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    /// The hub.
    pub hub_url: String,
    /// Last attempt (Unix ms).
    pub last_attempt_at: Option<i64>,
    /// Last success (Unix ms).
    pub last_success_at: Option<i64>,
    /// Machine code of the last failure, cleared by a success.
    pub last_error: Option<String>,
}

/// Members that look like one person.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DuplicateGroupRecord {
    /// Why: `aadhaar.duplicate`.
    pub reason: String,
    /// The members, oldest first.
    pub members: Vec<MemberRecord>,
}

/// A device as the hub knows it (supervisor view).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceReport {
    /// Device id at the hub.
    pub device_id: String,
    /// Label (asset tag).
    pub label: Option<String>,
    /// Role.
    pub role: String,
    /// Last request (Unix ms).
    pub last_seen_at: Option<i64>,
    /// Changes it reported holding unsynced at its last hello.
    pub pending_changes: u64,
    /// Changes that keep failing on it.
    pub wedged: u64,
    /// When its oldest unsynced change was made (Unix ms).
    pub oldest_pending_at: Option<i64>,
    /// Whether its token is revoked.
    pub revoked: bool,
}
