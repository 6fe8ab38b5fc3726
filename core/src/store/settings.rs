//! Device-local settings kept inside the encrypted store: never ops, never synced.
//!
//! A tablet has no safe place for files beside its database: the app's files directory is
//! readable to anyone with the device unlocked over adb backup on some builds, and only the
//! database is encrypted under the Keystore-held key. So what enrolment with a hub returns (the
//! hub link with its bearer token, the hub's sealing public key, the deployment's token key, the
//! hub's public key for household slips) and the current operator are stored here, in `meta`, as
//! one JSON value written in one transaction. The Aadhaar plaintext is never here: only keys to
//! seal and tokenise it.

use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Store;
use super::error::{Result, StoreError};
use crate::ids::WorkerId;
use crate::qr::slip::SlipPublicKey;

const KEY: &str = "device_settings";

/// The hub a device is enrolled with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubLink {
    /// Base URL.
    pub url: String,
    /// Pinned certificate fingerprint (hex SHA-256), for a self-signed camp hub.
    pub pin: Option<String>,
    /// This device's id at the hub.
    pub device_id: String,
    /// Bearer token.
    pub token: String,
    /// Role the hub gave this device (`worker`, `supervisor`, ...).
    pub role: String,
}

impl std::fmt::Debug for HubLink {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HubLink({}, device {})", self.url, self.device_id)
    }
}

/// Everything a device keeps about itself.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSettings {
    /// PEM of the public key Aadhaar numbers are sealed to (the hub's, after enrolment).
    pub sealing_key_pem: Option<String>,
    /// Hex of the deployment key Aadhaar tokens are made with.
    pub token_key_hex: Option<String>,
    /// The enrolled hub.
    pub hub: Option<HubLink>,
    /// The operator new records are attributed to.
    pub worker_id: Option<WorkerId>,
    /// Hex of the public keys household slips are verified with (each hub's, from enrolment;
    /// [`crate::qr::slip`]). Absent in settings written before slips existed.
    #[serde(default)]
    pub slip_keys: Vec<String>,
}

impl std::fmt::Debug for DeviceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSettings")
            .field("sealing_key", &self.sealing_key_pem.is_some())
            .field("token_key", &self.token_key_hex.is_some())
            .field("hub", &self.hub)
            .field("worker_id", &self.worker_id)
            .field("slip_keys", &self.slip_keys.len())
            .finish()
    }
}

/// Slip keys a device keeps, newest last: enough for a few hubs and a re-keyed hub.
const MAX_SLIP_KEYS: usize = 8;

impl DeviceSettings {
    /// The slip keys that parse (a damaged entry is skipped, never fatal).
    pub fn slip_public_keys(&self) -> Vec<SlipPublicKey> {
        let keys = self.slip_keys.iter();
        keys.filter_map(|k| SlipPublicKey::from_hex(k).ok())
            .collect()
    }

    /// Trusts `key` for household slips (from an enrolment). Keys already held stay trusted,
    /// so slips printed by an earlier hub, or before the hub was re-keyed, still open; the
    /// oldest is dropped past a few.
    pub fn trust_slip_key(&mut self, key: &SlipPublicKey) {
        let hex = key.to_hex();
        self.slip_keys
            .retain(|k| !k.trim().eq_ignore_ascii_case(&hex));
        self.slip_keys.push(hex);
        let excess = self.slip_keys.len().saturating_sub(MAX_SLIP_KEYS);
        self.slip_keys.drain(..excess);
    }
}

impl Store {
    /// The device settings (defaults on a new store).
    pub fn device_settings(&self) -> Result<DeviceSettings> {
        self.read(|conn| {
            let text: Option<Zeroizing<String>> = conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([KEY], |r| r.get::<_, String>(0))
                .optional()?
                .map(Zeroizing::new);
            match text {
                None => Ok(DeviceSettings::default()),
                Some(t) => {
                    serde_json::from_str(&t).map_err(|_| StoreError::InvalidData("device settings"))
                }
            }
        })
    }

    /// Changes the device settings in one transaction: `f` edits the current value.
    pub fn update_device_settings(
        &self,
        f: impl FnOnce(&mut DeviceSettings),
    ) -> Result<DeviceSettings> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<Zeroizing<String>> = tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([KEY], |r| r.get::<_, String>(0))
            .optional()?
            .map(Zeroizing::new);
        let mut settings = match current {
            None => DeviceSettings::default(),
            Some(t) => {
                serde_json::from_str(&t).map_err(|_| StoreError::InvalidData("device settings"))?
            }
        };
        f(&mut settings);
        let text = Zeroizing::new(
            serde_json::to_string(&settings)
                .map_err(|_| StoreError::InvalidData("device settings"))?,
        );
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute([KEY, text.as_str()])?;
        tx.commit()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::StoreKey;

    #[test]
    fn test_settings_survive_reopen_and_hide_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let key = StoreKey::random();
        let path = dir.path().join("s.db");
        let store = Store::open(&path, &key).unwrap();
        assert_eq!(store.device_settings().unwrap(), DeviceSettings::default());
        store
            .update_device_settings(|s| {
                s.hub = Some(HubLink {
                    url: "https://10.0.0.1:8443".into(),
                    pin: None,
                    device_id: "d1".into(),
                    token: "secret-token".into(),
                    role: "worker".into(),
                });
                s.token_key_hex = Some("ab".repeat(32));
            })
            .unwrap();
        store.close().unwrap();
        let store = Store::open(&path, &key).unwrap();
        let s = store.device_settings().unwrap();
        assert_eq!(s.hub.as_ref().unwrap().token, "secret-token");
        assert!(!format!("{s:?}").contains("secret-token"));
        assert!(!format!("{s:?}").contains("abab"));
    }

    #[test]
    fn test_slip_keys_are_kept_once_newest_last_and_old_settings_read() {
        let old: DeviceSettings = serde_json::from_str(r#"{"sealing_key_pem":null}"#).unwrap();
        assert!(old.slip_keys.is_empty());
        let key = |b: u8| crate::qr::slip::SlipSigningKey::from_seed([b; 32]).public();
        let mut s = DeviceSettings::default();
        for b in [1, 2, 1] {
            s.trust_slip_key(&key(b));
        }
        assert_eq!(s.slip_public_keys(), vec![key(2), key(1)]);
        s.slip_keys.push("not a key".into());
        assert_eq!(s.slip_public_keys().len(), 2);
        for b in 10..30 {
            s.trust_slip_key(&key(b));
        }
        assert_eq!(s.slip_keys.len(), MAX_SLIP_KEYS);
        assert_eq!(s.slip_public_keys().last(), Some(&key(29)));
    }
}
