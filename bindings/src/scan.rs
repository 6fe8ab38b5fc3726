//! `FieldStore.scanSlip`: the household a scanned slip (or its printed code) names, as Kotlin
//! sees it. A thin shell over `abha_core::qr::scan_on_device`, which verifies the slip offline
//! with the hub keys kept at enrolment and looks the household up in this store.
//!
//! "Not on this tablet yet" is a result (`known = false`), not an exception: the household was
//! captured on a tablet this one has not synced with. A refused slip is a `Validation` exception
//! with one issue under the field `slip` (`slip.bad_signature`, `slip.unknown_key`, ...); a typo
//! in a typed code one under `code` (`household_code.checksum`).

use abha_core::qr::{HouseholdLookup, HouseholdScan, scan_on_device};

use crate::error::FieldError;
use crate::records::HouseholdSummaryRecord;
use crate::store::FieldStore;

/// What a scanned slip or a typed code finds on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlipScanRecord {
    /// Whether the household is on this device (else: sync, then scan again).
    pub known: bool,
    /// The household's printed code (from the slip, or as typed, canonical).
    pub code: String,
    /// Whether a signed slip was verified (`false` for a typed code).
    pub verified: bool,
    /// The household the slip names, even when it is not on this device yet.
    pub household_id: Option<String>,
    /// The matches here: the slip's household, or every household with the typed code.
    pub households: Vec<HouseholdSummaryRecord>,
}

impl From<HouseholdScan> for SlipScanRecord {
    fn from(s: HouseholdScan) -> Self {
        let households = match s.lookup {
            HouseholdLookup::Known(h) => h.into_iter().map(Into::into).collect(),
            HouseholdLookup::NotKnownYet => Vec::new(),
        };
        Self {
            known: !households.is_empty(),
            code: s.code.to_string(),
            verified: s.slip.is_some(),
            household_id: s.slip.map(|slip| slip.household_id.to_string()),
            households,
        }
    }
}

#[uniffi::export]
impl FieldStore {
    /// Opens the household a scanned slip names (`ABHF1:...`), or the households with a typed
    /// printed code. Offline; blocks on SQLite briefly.
    pub fn scan_slip(&self, payload: String) -> Result<SlipScanRecord, FieldError> {
        Ok(scan_on_device(&self.store, &payload)?.into())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use abha_core::ids::HouseholdId;
    use abha_core::model::HouseholdCode;
    use abha_core::qr::{SlipSigningKey, sign_slip};

    #[test]
    fn test_scan_slip_is_a_record_or_a_slip_issue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").to_string_lossy().into_owned();
        let store = FieldStore::open(path, vec![7; 32]).unwrap();
        let hub = SlipSigningKey::from_seed([3; 32]);
        let id = HouseholdId::new();
        let slip = sign_slip(id, &HouseholdCode::from_id(&id), &hub);
        match store.scan_slip(slip.clone()) {
            Err(FieldError::Validation { errors, .. }) => {
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].code.as_str()),
                    ("slip", "slip.no_keys")
                );
            }
            other => panic!("{other:?}"),
        }
        store
            .store
            .update_device_settings(|s| s.trust_slip_key(&hub.public()))
            .unwrap();
        let found = store.scan_slip(slip).unwrap();
        assert!(!found.known && found.verified && found.households.is_empty());
        assert_eq!(found.household_id, Some(id.to_string()));
        assert_eq!(found.code, HouseholdCode::from_id(&id).to_string());
        let typed = store.scan_slip(found.code.to_lowercase()).unwrap();
        assert!(!typed.known && !typed.verified && typed.household_id.is_none());
    }
}
