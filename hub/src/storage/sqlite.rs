//! The embedded SQLite store as the hub's storage: the replica is the [`Store`] itself and the
//! registry is [`crate::registry`] over its extension tables.

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::store::{PendingCounts, Store};

use super::{HubStorage, Registry};
use crate::registry::{self, Device, DeviceSummary, RegistryError, Role};

impl Registry for Store {
    fn create_code_for(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        ttl_ms: i64,
        camp: Option<&str>,
    ) -> Result<(String, i64), RegistryError> {
        registry::create_code_for(self, role, villages, label, ttl_ms, camp)
    }
    fn create_device(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        replica: Option<ReplicaId>,
    ) -> Result<(String, String), RegistryError> {
        registry::create_device(self, role, villages, label, replica)
    }
    fn enrol(
        &self,
        code: &str,
        replica: ReplicaId,
        label: Option<&str>,
    ) -> Result<(Device, String), RegistryError> {
        registry::enrol(self, code, replica, label)
    }
    fn authenticate(&self, token: &str) -> Result<Option<Device>, RegistryError> {
        registry::authenticate(self, token)
    }
    fn bind_replica(&self, device: &mut Device, replica: ReplicaId) -> Result<(), RegistryError> {
        registry::bind_replica(self, device, replica)
    }
    fn record_hello(
        &self,
        device: &str,
        app_version: &str,
        pending: &PendingCounts,
        clock_skew_ms: i64,
    ) -> Result<(), RegistryError> {
        registry::record_hello(self, device, app_version, pending, clock_skew_ms)
    }
    fn revoke(&self, device: &str) -> Result<(), RegistryError> {
        registry::revoke(self, device)
    }
    fn list_devices(&self) -> Result<Vec<DeviceSummary>, RegistryError> {
        registry::list(self)
    }
}

impl HubStorage for Store {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
