//! The hub's storage: one trait, two databases.
//!
//! A camp laptop runs the hub on its embedded SQLCipher store (no server to install, one file to
//! back up); a state server runs it on PostgreSQL (`--database postgres://...`). Both hold the
//! same replica through the core's one replication algorithm and the same device registry, and
//! the conformance suite (`hub/tests/conformance.rs`) runs every check against both.
//!
//! [`HubStorage`] is what the sync API and enrolment need. The camp's other duties (ABDM
//! bridge, camp OTP relay, the supervisors' dashboard, exports, upstream replication) read the
//! SQLite store's read tables directly and are available on SQLite only: a PostgreSQL hub
//! refuses their configuration at start and answers their routes with `unavailable.backend`.

pub mod pg;
mod sqlite;

use std::sync::Arc;

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::store::PendingCounts;
use abha_core::sync::SyncReplica;

use crate::registry::{Device, DeviceSummary, RegistryError, Role};

/// Where the hub keeps its data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Database {
    /// The embedded SQLCipher file `hub.db` in the data directory (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database (`postgres://user[:password]@host[:port]/dbname`).
    Postgres(String),
}

impl Database {
    /// Parses `--database`: `sqlite` or a `postgres://` / `postgresql://` URL.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("sqlite") {
            Ok(Self::Sqlite)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.to_string()))
        } else {
            Err("expected `sqlite` or a postgres:// URL".into())
        }
    }

    /// Name for logs and health (never the URL, which may hold a password).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// The device registry's operations (see [`crate::registry`] for their rules).
pub trait Registry {
    /// A one-time enrolment code for `role` and `villages`, valid `ttl_ms`; returns it and its
    /// expiry.
    fn create_code_for(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        ttl_ms: i64,
        camp: Option<&str>,
    ) -> Result<(String, i64), RegistryError>;
    /// Registers a device directly; returns its id and token.
    fn create_device(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        replica: Option<ReplicaId>,
    ) -> Result<(String, String), RegistryError>;
    /// Exchanges a one-time code for a device token.
    fn enrol(
        &self,
        code: &str,
        replica: ReplicaId,
        label: Option<&str>,
    ) -> Result<(Device, String), RegistryError>;
    /// The device holding `token`, unless unknown or revoked.
    fn authenticate(&self, token: &str) -> Result<Option<Device>, RegistryError>;
    /// Binds another replica id to a device.
    fn bind_replica(&self, device: &mut Device, replica: ReplicaId) -> Result<(), RegistryError>;
    /// Records what a device reported at hello.
    fn record_hello(
        &self,
        device: &str,
        app_version: &str,
        pending: &PendingCounts,
        clock_skew_ms: i64,
    ) -> Result<(), RegistryError>;
    /// Revokes a device's token.
    fn revoke(&self, device: &str) -> Result<(), RegistryError>;
    /// Every device, newest first.
    fn list_devices(&self) -> Result<Vec<DeviceSummary>, RegistryError>;
}

/// Everything the hub's sync and enrolment API needs of its database.
pub trait HubStorage: SyncReplica + Registry + Send + Sync + std::fmt::Debug {
    /// Which database this is.
    fn backend(&self) -> &'static str;
}

/// Opens the PostgreSQL backend.
pub fn open_postgres(
    url: &str,
    sealing_key_id: &str,
) -> Result<Arc<dyn HubStorage>, abha_core::store::StoreError> {
    Ok(Arc::new(pg::PgStorage::open(url, sealing_key_id)?))
}
