//! The hub's device registry: who may sync, as what, and which villages each may see.
//!
//! Devices enrol with a one-time code an organiser creates (printed as a QR code with the hub's
//! address and certificate fingerprint). The code becomes a bearer token, shown once; the hub
//! keeps only SHA-256 hashes of codes and tokens, so a copy of the hub's database does not let
//! anyone sync. Tokens can be revoked. Each device's store replica ids are bound to it, so a
//! device can push only ops it authored. The tables live in the hub's encrypted store as an
//! extension schema (`hub/migrations/`).

use std::collections::BTreeSet;

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::store::migrate::Extension;
use abha_core::store::{PendingCounts, Store, StoreError};
use abha_core::sync::{Peer, PeerKind, Scope};
use base64::Engine as _;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The registry's schema.
pub const EXTENSION: Extension = Extension {
    name: "hub",
    migrations: &[
        include_str!("../migrations/001_registry.sql"),
        include_str!("../migrations/002_abdm_jobs.sql"),
        include_str!("../migrations/003_dashboard.sql"),
        include_str!("../migrations/004_share.sql"),
        include_str!("../migrations/005_no_name_index.sql"),
    ],
};

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A field tablet: syncs its own work, receives its villages.
    Worker,
    /// Runs a camp: creates enrolment codes, sees devices.
    Organiser,
    /// Reviews pending work and devices.
    Supervisor,
    /// Everything, including revoking devices.
    Admin,
    /// Another hub (camp to state): relays every origin.
    Hub,
}

impl Role {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Worker => "worker",
            Self::Organiser => "organiser",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
            Self::Hub => "hub",
        }
    }
    /// From a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Worker,
            Self::Organiser,
            Self::Supervisor,
            Self::Admin,
            Self::Hub,
        ]
        .into_iter()
        .find(|r| r.code() == s)
    }
    /// Whether it may sync.
    pub fn syncs(self) -> bool {
        matches!(self, Self::Worker | Self::Hub)
    }
    /// Whether it may create codes.
    pub fn manages(self) -> bool {
        matches!(self, Self::Organiser | Self::Admin)
    }
    /// Whether it may list devices.
    pub fn reviews(self) -> bool {
        matches!(self, Self::Organiser | Self::Supervisor | Self::Admin)
    }
}

/// An authenticated device.
#[derive(Debug, Clone)]
pub struct Device {
    /// Id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Bound replica ids.
    pub replicas: BTreeSet<ReplicaId>,
    /// Assigned villages (empty: all, for hubs and administrators).
    pub villages: BTreeSet<VillageId>,
}

impl Device {
    /// The sync peer record the hub serves this device under.
    pub fn peer(&self) -> Peer {
        Peer {
            kind: if self.role == Role::Hub {
                PeerKind::Hub
            } else {
                PeerKind::Device
            },
            replicas: self.replicas.clone(),
            scope: if self.villages.is_empty() && self.role == Role::Hub {
                Scope::All
            } else {
                Scope::Villages(self.villages.clone())
            },
        }
    }
}

/// A device as supervisors see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    /// Id.
    pub id: String,
    /// Label.
    pub label: Option<String>,
    /// Role.
    pub role: String,
    /// Revoked (Unix ms).
    pub revoked_at: Option<i64>,
    /// Last request (Unix ms).
    pub last_seen_at: Option<i64>,
    /// App version at the last hello.
    pub app_version: Option<String>,
    /// Work the device reported holding unsynced at its last hello.
    pub pending: Option<PendingCounts>,
    /// Device clock minus hub clock at the last hello (ms).
    pub clock_skew_ms: Option<i64>,
    /// Assigned villages.
    pub villages: Vec<VillageId>,
}

pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.trim().as_bytes()).to_vec()
}

pub(crate) fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Normalises a typed code (case, hyphens, spaces, O/I/L look-alikes).
pub(crate) fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

pub(crate) fn new_code() -> String {
    let bytes: [u8; 10] = rand::random();
    let s: String = bytes
        .iter()
        .map(|b| CODE_ALPHABET[(*b & 31) as usize] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

pub(crate) fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "abh_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A one-time code about to be stored: the code shown once, and the row both databases keep.
pub(crate) struct NewCode {
    pub code: String,
    pub hash: Vec<u8>,
    pub villages: Vec<u8>,
    pub camp: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl NewCode {
    pub(crate) fn new(villages: &[VillageId], ttl_ms: i64, camp: Option<&str>) -> Self {
        let code = new_code();
        let created_at = now_ms();
        Self {
            hash: hash(&normalise_code(&code)),
            code,
            villages: postcard::to_stdvec(villages).unwrap_or_default(),
            camp: camp.map(|c| c.trim().chars().take(64).collect()),
            created_at,
            expires_at: created_at + ttl_ms,
        }
    }
}

/// Registry errors.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The code is unknown, used or expired.
    #[error("enrolment code is not valid")]
    BadCode,
    /// The replica id belongs to another device.
    #[error("replica is registered to another device")]
    ReplicaTaken,
    /// No such device.
    #[error("device not found")]
    NoDevice,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Creates a one-time enrolment code for `role` with `villages`, valid `ttl_ms`.
pub fn create_code(
    store: &Store,
    role: Role,
    villages: &[VillageId],
    label: Option<&str>,
    ttl_ms: i64,
) -> Result<(String, i64), RegistryError> {
    create_code_for(store, role, villages, label, ttl_ms, None)
}

/// Like [`create_code`], for a device working at `camp` (the day-end groups devices by camp).
pub fn create_code_for(
    store: &Store,
    role: Role,
    villages: &[VillageId],
    label: Option<&str>,
    ttl_ms: i64,
    camp: Option<&str>,
) -> Result<(String, i64), RegistryError> {
    let c = NewCode::new(villages, ttl_ms, camp);
    store.extension_write(|tx| {
        tx.execute(
            "INSERT INTO hub_codes (code_hash, role, villages, label, created_at, expires_at, camp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.hash,
                role.code(),
                c.villages,
                label,
                c.created_at,
                c.expires_at,
                c.camp
            ],
        )?;
        Ok(())
    })?;
    Ok((c.code, c.expires_at))
}

/// Sets the camp a device works at.
pub fn set_camp(store: &Store, device: &str, camp: Option<&str>) -> Result<(), RegistryError> {
    let n = store.extension_write(|tx| {
        Ok(tx.execute(
            "UPDATE hub_devices SET camp = ?2 WHERE id = ?1",
            params![device, camp],
        )?)
    })?;
    if n == 0 {
        return Err(RegistryError::NoDevice);
    }
    Ok(())
}

fn insert_device(
    tx: &rusqlite::Transaction<'_>,
    role: Role,
    villages: &[VillageId],
    label: Option<&str>,
    replica: Option<ReplicaId>,
) -> Result<(String, String), StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    tx.execute(
        "INSERT INTO hub_devices (id, label, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, label, role.code(), hash(&token), now_ms()],
    )?;
    for v in villages {
        tx.execute(
            "INSERT INTO hub_device_villages (device_id, village_id) VALUES (?1, ?2)",
            params![id, v.as_bytes()],
        )?;
    }
    if let Some(r) = replica {
        tx.execute(
            "INSERT INTO hub_device_replicas (replica, device_id) VALUES (?1, ?2)",
            params![r.as_i64(), id],
        )?;
    }
    Ok((id, token))
}

/// Registers a device directly (no code), e.g. the first administrator. Returns id and token.
pub fn create_device(
    store: &Store,
    role: Role,
    villages: &[VillageId],
    label: Option<&str>,
    replica: Option<ReplicaId>,
) -> Result<(String, String), RegistryError> {
    Ok(store.extension_write(|tx| insert_device(tx, role, villages, label, replica))?)
}

/// Exchanges a one-time code for a device token, in one transaction: the code is consumed only
/// if the device is registered.
pub fn enrol(
    store: &Store,
    code: &str,
    replica: ReplicaId,
    label: Option<&str>,
) -> Result<(Device, String), RegistryError> {
    let code_hash = hash(&normalise_code(code));
    let outcome: Result<(String, String), RegistryError> = store.extension_write(|tx| {
        let row: Option<(String, Vec<u8>, Option<String>)> = tx
            .query_row(
                "SELECT role, villages, camp FROM hub_codes
                 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![code_hash, now_ms()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((role, villages, camp)) = row else {
            return Ok(Err(RegistryError::BadCode));
        };
        let Some(role) = Role::parse(&role) else {
            return Ok(Err(RegistryError::BadCode));
        };
        let taken: Option<String> = tx
            .query_row(
                "SELECT device_id FROM hub_device_replicas WHERE replica = ?1",
                [replica.as_i64()],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Ok(Err(RegistryError::ReplicaTaken));
        }
        let villages: Vec<VillageId> = postcard::from_bytes(&villages).unwrap_or_default();
        let created = insert_device(tx, role, &villages, label, Some(replica))?;
        tx.execute(
            "UPDATE hub_devices SET camp = ?2 WHERE id = ?1",
            params![created.0, camp],
        )?;
        tx.execute(
            "UPDATE hub_codes SET used_at = ?2, used_by = ?3 WHERE code_hash = ?1",
            params![code_hash, now_ms(), created.0],
        )?;
        Ok(Ok(created))
    })?;
    let (id, token) = outcome?;
    let device = authenticate(store, &token)?.ok_or(RegistryError::NoDevice)?;
    tracing::info!(device = %id, role = device.role.code(), "device enrolled");
    Ok((device, token))
}

fn replica_owner(store: &Store, replica: ReplicaId) -> Result<Option<String>, RegistryError> {
    Ok(store.extension_write(|tx| {
        Ok(tx
            .query_row(
                "SELECT device_id FROM hub_device_replicas WHERE replica = ?1",
                [replica.as_i64()],
                |r| r.get(0),
            )
            .optional()?)
    })?)
}

/// "Last seen" is refreshed at most this often per device: every pull page authenticates, and
/// supervisors need it to the second, not a row written per request.
const LAST_SEEN_STEP_MS: i64 = 1_000;

/// Whether a device last seen at `seen` should be written as seen `now`.
pub(crate) fn last_seen_due(seen: Option<i64>, now: i64) -> bool {
    seen.is_none_or(|t| now - t >= LAST_SEEN_STEP_MS)
}

/// The device holding `token`, unless unknown or revoked. A read on the reader connection; the
/// writer is taken only when "last seen" is due (so 500 tablets paging do not queue on it).
pub fn authenticate(store: &Store, token: &str) -> Result<Option<Device>, RegistryError> {
    let h = hash(token);
    let now = now_ms();
    let found = store.read(|conn| {
        // One snapshot for the three reads.
        let tx = conn.unchecked_transaction()?;
        let row: Option<(String, String, Option<i64>)> = tx
            .query_row(
                "SELECT id, role, last_seen_at FROM hub_devices
                  WHERE token_hash = ?1 AND revoked_at IS NULL",
                [&h],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, role, seen)) = row else {
            return Ok(None);
        };
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        let replicas = tx
            .prepare_cached("SELECT replica FROM hub_device_replicas WHERE device_id = ?1")?
            .query_map([&id], |r| r.get::<_, i64>(0))?
            .filter_map(|r| r.ok().and_then(|v| ReplicaId::from_i64(v).ok()))
            .collect();
        let villages = tx
            .prepare_cached("SELECT village_id FROM hub_device_villages WHERE device_id = ?1")?
            .query_map([&id], |r| r.get::<_, Vec<u8>>(0))?
            .filter_map(|r| r.ok().and_then(|b| VillageId::from_slice(&b).ok()))
            .collect();
        tx.finish()?;
        let due = last_seen_due(seen, now);
        Ok(Some((
            Device {
                id,
                role,
                replicas,
                villages,
            },
            due,
        )))
    })?;
    let Some((device, due)) = found else {
        return Ok(None);
    };
    if due {
        store.extension_write(|tx| {
            tx.execute(
                "UPDATE hub_devices SET last_seen_at = ?2 WHERE id = ?1",
                params![device.id, now],
            )?;
            Ok(())
        })?;
    }
    Ok(Some(device))
}

/// Binds another replica id to a device (its store was recreated after damage). Refused if the
/// replica belongs to another device.
pub fn bind_replica(
    store: &Store,
    device: &mut Device,
    replica: ReplicaId,
) -> Result<(), RegistryError> {
    if device.replicas.contains(&replica) || device.role == Role::Hub {
        return Ok(());
    }
    if replica_owner(store, replica)?.is_some() {
        return Err(RegistryError::ReplicaTaken);
    }
    store.extension_write(|tx| {
        tx.execute(
            "INSERT INTO hub_device_replicas (replica, device_id) VALUES (?1, ?2)",
            params![replica.as_i64(), device.id],
        )?;
        Ok(())
    })?;
    device.replicas.insert(replica);
    Ok(())
}

/// Records what a device reported at hello.
pub fn record_hello(
    store: &Store,
    device: &str,
    app_version: &str,
    pending: &PendingCounts,
    clock_skew_ms: i64,
) -> Result<(), RegistryError> {
    store.extension_write(|tx| {
        tx.execute(
            "UPDATE hub_devices SET app_version = ?2, pending_changes = ?3, pending_ops = ?4,
               pending_oldest_at = ?5, clock_skew_ms = ?6, last_seen_at = ?7 WHERE id = ?1",
            params![
                device,
                app_version.chars().take(64).collect::<String>(),
                pending.changes as i64,
                pending.ops as i64,
                pending.oldest_at,
                clock_skew_ms,
                now_ms()
            ],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Revokes a device's token.
pub fn revoke(store: &Store, device: &str) -> Result<(), RegistryError> {
    let n = store.extension_write(|tx| {
        Ok(tx.execute(
            "UPDATE hub_devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device, now_ms()],
        )?)
    })?;
    if n == 0 {
        return Err(RegistryError::NoDevice);
    }
    tracing::info!(device, "device revoked");
    Ok(())
}

/// Every device, newest first.
pub fn list(store: &Store) -> Result<Vec<DeviceSummary>, RegistryError> {
    Ok(store.extension_write(|tx| {
        let mut st = tx.prepare(
            "SELECT id, label, role, revoked_at, last_seen_at, app_version, pending_changes,
                    pending_ops, pending_oldest_at, clock_skew_ms FROM hub_devices ORDER BY id DESC",
        )?;
        let mut out: Vec<DeviceSummary> = st
            .query_map([], |r| {
                let changes: Option<i64> = r.get(6)?;
                Ok(DeviceSummary {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    role: r.get(2)?,
                    revoked_at: r.get(3)?,
                    last_seen_at: r.get(4)?,
                    app_version: r.get(5)?,
                    pending: match changes {
                        Some(c) => Some(PendingCounts {
                            changes: c as u64,
                            ops: r.get::<_, Option<i64>>(7)?.unwrap_or(0) as u64,
                            wedged: 0,
                            oldest_at: r.get(8)?,
                        }),
                        None => None,
                    },
                    clock_skew_ms: r.get(9)?,
                    villages: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut vs = tx.prepare("SELECT village_id FROM hub_device_villages WHERE device_id = ?1")?;
        for d in &mut out {
            d.villages = vs
                .query_map([&d.id], |r| r.get::<_, Vec<u8>>(0))?
                .filter_map(|r| r.ok().and_then(|b| VillageId::from_slice(&b).ok()))
                .collect();
        }
        Ok(out)
    })?)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use abha_core::store::{StoreKey, StoreOptions};

    /// A fresh hub store (registry schema) in a temporary directory, for unit tests here and
    /// in the other hub-local modules.
    pub(crate) fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_with(
            dir.path().join("hub.db"),
            &StoreKey::random(),
            StoreOptions {
                extensions: vec![EXTENSION],
                ..Default::default()
            },
        )
        .unwrap();
        (dir, s)
    }

    #[test]
    fn test_hub_store_keeps_no_member_name_index_but_still_searches() {
        let (_d, s) = store();
        let names: i64 = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE name = 'members_names'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(names, 0, "migration 005 dropped the tablet-only index");
        assert!(s.search_members("Sita", 20).unwrap().is_empty());
    }

    #[test]
    fn test_code_is_one_time_and_token_authenticates_until_revoked() {
        let (_d, s) = store();
        let v = VillageId::from_lgd(900_101);
        let (code, _) = create_code(&s, Role::Worker, &[v], Some("tab-7"), 3_600_000).unwrap();
        let r = ReplicaId::random();
        // Typed sloppily: lower case, no hyphen.
        let (dev, token) = enrol(&s, &code.replace('-', "").to_lowercase(), r, None).unwrap();
        assert_eq!(dev.role, Role::Worker);
        assert!(dev.villages.contains(&v));
        assert!(matches!(
            enrol(&s, &code, ReplicaId::random(), None),
            Err(RegistryError::BadCode)
        ));
        let again = authenticate(&s, &token).unwrap().unwrap();
        assert!(again.replicas.contains(&r));
        assert!(authenticate(&s, "abh_wrong").unwrap().is_none());
        revoke(&s, &dev.id).unwrap();
        assert!(authenticate(&s, &token).unwrap().is_none());
        let listed = list(&s).unwrap();
        assert!(listed[0].revoked_at.is_some());
    }

    #[test]
    fn test_expired_code_and_taken_replica_are_refused() {
        let (_d, s) = store();
        let (code, _) = create_code(&s, Role::Worker, &[], None, -1).unwrap();
        assert!(matches!(
            enrol(&s, &code, ReplicaId::random(), None),
            Err(RegistryError::BadCode)
        ));
        let r = ReplicaId::random();
        let (c1, _) = create_code(&s, Role::Worker, &[], None, 60_000).unwrap();
        let (c2, _) = create_code(&s, Role::Worker, &[], None, 60_000).unwrap();
        let (mut d1, _) = enrol(&s, &c1, r, None).unwrap();
        assert!(matches!(
            enrol(&s, &c2, r, None),
            Err(RegistryError::ReplicaTaken)
        ));
        let r2 = ReplicaId::random();
        bind_replica(&s, &mut d1, r2).unwrap();
        assert!(authenticate(&s, "x").unwrap().is_none());
        assert!(d1.replicas.contains(&r2));
    }
}
