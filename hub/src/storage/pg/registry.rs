//! The device registry in PostgreSQL: the rules of [`crate::registry`] (hashed codes and tokens,
//! one-time codes consumed only with the device they register, replica ids bound to one device)
//! over the tables of `migrations/pg/001_init.sql`.

use std::collections::BTreeSet;

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::store::{PendingCounts, StoreError};

use super::PgStorage;
use super::db::PgDb;
use crate::registry::{
    Device, DeviceSummary, NewCode, RegistryError, Role, hash, last_seen_due, new_token,
    normalise_code, now_ms,
};
use crate::storage::Registry;

fn insert_device(
    db: &PgDb<'_>,
    role: Role,
    villages: &[VillageId],
    label: Option<&str>,
    replica: Option<ReplicaId>,
) -> Result<(String, String), StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    db.execute(
        "INSERT INTO hub_devices (id, label, role, token_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &label, &role.code(), &hash(&token), &now_ms()],
    )?;
    for v in villages {
        db.execute(
            "INSERT INTO hub_device_villages (device_id, village_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&id, &v.as_bytes().as_slice()],
        )?;
    }
    if let Some(r) = replica {
        db.execute(
            "INSERT INTO hub_device_replicas (replica, device_id) VALUES ($1, $2)",
            &[&r.as_i64(), &id],
        )?;
    }
    Ok((id, token))
}

fn replica_owner(db: &PgDb<'_>, replica: ReplicaId) -> Result<Option<String>, StoreError> {
    Ok(db
        .query_opt(
            "SELECT device_id FROM hub_device_replicas WHERE replica = $1",
            &[&replica.as_i64()],
        )?
        .map(|r| r.get(0)))
}

fn villages_of(db: &PgDb<'_>, device: &str) -> Result<Vec<VillageId>, StoreError> {
    Ok(db
        .query(
            "SELECT village_id FROM hub_device_villages WHERE device_id = $1 ORDER BY village_id",
            &[&device],
        )?
        .iter()
        .filter_map(|r| VillageId::from_slice(&r.get::<_, Vec<u8>>(0)).ok())
        .collect())
}

impl Registry for PgStorage {
    fn create_code_for(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        ttl_ms: i64,
        camp: Option<&str>,
    ) -> Result<(String, i64), RegistryError> {
        let c = NewCode::new(villages, ttl_ms, camp);
        self.write(|db| {
            db.execute(
                "INSERT INTO hub_codes (code_hash, role, villages, label, created_at, expires_at,
                                        camp)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &c.hash,
                    &role.code(),
                    &c.villages,
                    &label,
                    &c.created_at,
                    &c.expires_at,
                    &c.camp,
                ],
            )?;
            Ok(())
        })?;
        Ok((c.code, c.expires_at))
    }

    fn create_device(
        &self,
        role: Role,
        villages: &[VillageId],
        label: Option<&str>,
        replica: Option<ReplicaId>,
    ) -> Result<(String, String), RegistryError> {
        Ok(self.write(|db| insert_device(db, role, villages, label, replica))?)
    }

    fn enrol(
        &self,
        code: &str,
        replica: ReplicaId,
        label: Option<&str>,
    ) -> Result<(Device, String), RegistryError> {
        let code_hash = hash(&normalise_code(code));
        let mut outcome: Result<(String, String), RegistryError> = Err(RegistryError::BadCode);
        self.write(|db| {
            let row = db.query_opt(
                "SELECT role, villages, camp FROM hub_codes
                 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 FOR UPDATE",
                &[&code_hash, &now_ms()],
            )?;
            let Some(row) = row else {
                return Ok(());
            };
            let Some(role) = Role::parse(row.get::<_, &str>(0)) else {
                return Ok(());
            };
            if replica_owner(db, replica)?.is_some() {
                outcome = Err(RegistryError::ReplicaTaken);
                return Ok(());
            }
            let villages: Vec<VillageId> =
                postcard::from_bytes(row.get::<_, &[u8]>(1)).unwrap_or_default();
            let camp: Option<String> = row.get(2);
            let created = insert_device(db, role, &villages, label, Some(replica))?;
            db.execute(
                "UPDATE hub_devices SET camp = $2 WHERE id = $1",
                &[&created.0, &camp],
            )?;
            db.execute(
                "UPDATE hub_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1",
                &[&code_hash, &now_ms(), &created.0],
            )?;
            outcome = Ok(created);
            Ok(())
        })?;
        let (id, token) = outcome?;
        let device = self.authenticate(&token)?.ok_or(RegistryError::NoDevice)?;
        tracing::info!(device = %id, role = device.role.code(), "device enrolled");
        Ok((device, token))
    }

    fn authenticate(&self, token: &str) -> Result<Option<Device>, RegistryError> {
        let h = hash(token);
        let now = now_ms();
        let found = self.row_write(|db| {
            let Some(row) = db.query_opt(
                "SELECT id, role, last_seen_at FROM hub_devices
                  WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&h],
            )?
            else {
                return Ok(None);
            };
            let id: String = row.get(0);
            let Some(role) = Role::parse(row.get::<_, &str>(1)) else {
                return Ok(None);
            };
            // At most one "last seen" write a second per device.
            if last_seen_due(row.get(2), now) {
                db.execute(
                    "UPDATE hub_devices SET last_seen_at = $2 WHERE id = $1",
                    &[&id, &now],
                )?;
            }
            let replicas: BTreeSet<ReplicaId> = db
                .query(
                    "SELECT replica FROM hub_device_replicas WHERE device_id = $1",
                    &[&id],
                )?
                .iter()
                .filter_map(|r| ReplicaId::from_i64(r.get(0)).ok())
                .collect();
            let villages = villages_of(db, &id)?;
            Ok(Some(Device {
                id,
                role,
                replicas,
                villages: villages.into_iter().collect(),
            }))
        })?;
        Ok(found)
    }

    fn bind_replica(&self, device: &mut Device, replica: ReplicaId) -> Result<(), RegistryError> {
        if device.replicas.contains(&replica) || device.role == Role::Hub {
            return Ok(());
        }
        let mut taken = false;
        self.write(|db| {
            if replica_owner(db, replica)?.is_some() {
                taken = true;
                return Ok(());
            }
            db.execute(
                "INSERT INTO hub_device_replicas (replica, device_id) VALUES ($1, $2)",
                &[&replica.as_i64(), &device.id],
            )?;
            Ok(())
        })?;
        if taken {
            return Err(RegistryError::ReplicaTaken);
        }
        device.replicas.insert(replica);
        Ok(())
    }

    fn record_hello(
        &self,
        device: &str,
        app_version: &str,
        pending: &PendingCounts,
        clock_skew_ms: i64,
    ) -> Result<(), RegistryError> {
        let version: String = app_version.chars().take(64).collect();
        self.row_write(|db| {
            db.execute(
                "UPDATE hub_devices SET app_version = $2, pending_changes = $3, pending_ops = $4,
                   pending_oldest_at = $5, clock_skew_ms = $6, last_seen_at = $7 WHERE id = $1",
                &[
                    &device,
                    &version,
                    &(pending.changes as i64),
                    &(pending.ops as i64),
                    &pending.oldest_at,
                    &clock_skew_ms,
                    &now_ms(),
                ],
            )?;
            Ok(())
        })?;
        Ok(())
    }

    fn revoke(&self, device: &str) -> Result<(), RegistryError> {
        let n = self.write(|db| {
            db.execute(
                "UPDATE hub_devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&device, &now_ms()],
            )
        })?;
        if n == 0 {
            return Err(RegistryError::NoDevice);
        }
        tracing::info!(device, "device revoked");
        Ok(())
    }

    fn list_devices(&self) -> Result<Vec<DeviceSummary>, RegistryError> {
        let out = self.read(|db| {
            let rows = db.query(
                "SELECT id, label, role, revoked_at, last_seen_at, app_version, pending_changes,
                        pending_ops, pending_oldest_at, clock_skew_ms
                   FROM hub_devices ORDER BY id DESC",
                &[],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let id: String = r.get(0);
                let changes: Option<i64> = r.get(6);
                out.push(DeviceSummary {
                    villages: villages_of(db, &id)?,
                    id,
                    label: r.get(1),
                    role: r.get(2),
                    revoked_at: r.get(3),
                    last_seen_at: r.get(4),
                    app_version: r.get(5),
                    pending: changes.map(|c| PendingCounts {
                        changes: c as u64,
                        ops: r.get::<_, Option<i64>>(7).unwrap_or(0) as u64,
                        wedged: 0,
                        oldest_at: r.get(8),
                    }),
                    clock_skew_ms: r.get(9),
                });
            }
            Ok(out)
        })?;
        Ok(out)
    }
}
