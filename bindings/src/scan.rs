//! What the tablet camera reads, as Kotlin sees it. Thin shells over `abha_core::qr`:
//! - `FieldStore.scanSlip`: the household a scanned slip (or its printed code) names
//!   (`scan_on_device` verifies the slip offline with the hub keys kept at enrolment);
//! - `FieldStore.scanAbhaQr`: an ABHA card's (or the ABHA app's) QR code offered to a member
//!   form (`parse_abha_qr` and `ScannedAbha::prefill`: empty fields are filled, typed ones never
//!   changed and reported as `qr.differs` when they disagree), with the members of this device
//!   who already hold that ABHA.
//!
//! "Not on this tablet yet" is a result (`known = false`), not an exception: the household was
//! captured on a tablet this one has not synced with. A refused slip is a `Validation` exception
//! with one issue under the field `slip` (`slip.bad_signature`, `slip.unknown_key`, ...); a typo
//! in a typed code one under `code` (`household_code.checksum`).

use abha_core::qr::{AbhaQrVariant, HouseholdLookup, HouseholdScan, parse_abha_qr, scan_on_device};

use crate::error::{FieldError, FieldIssue, issues};
use crate::records::{HouseholdSummaryRecord, MemberInput, MemberRecord};
use crate::store::FieldStore;

/// Members of this device already holding a scanned ABHA, at most.
const EXISTING_LIMIT: u32 = 5;

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

/// A member form after an ABHA QR code was offered to it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct AbhaScanRecord {
    /// `card`, `app`, `minimal` (only an ABHA number or address) or `plain_text`.
    pub variant: String,
    /// Given name after the pre-fill.
    pub given_name: String,
    /// Middle name after the pre-fill.
    pub middle_name: Option<String>,
    /// Family name after the pre-fill.
    pub family_name: Option<String>,
    /// Latin name after the pre-fill.
    pub name_latin: Option<String>,
    /// `M`/`F`/`O` after the pre-fill.
    pub gender: String,
    /// Birth date after the pre-fill (`YYYY-MM-DD` or `YYYY`).
    pub birth_date: String,
    /// Mobile after the pre-fill.
    pub mobile: Option<String>,
    /// ABHA number after the pre-fill.
    pub abha_number: Option<String>,
    /// ABHA address after the pre-fill.
    pub abha_address: Option<String>,
    /// Form fields that were empty and now hold the scanned value.
    pub filled: Vec<String>,
    /// Fields the worker typed that disagree with the card (`qr.differs`), left as typed.
    pub differs: Vec<FieldIssue>,
    /// Parts of the card that could not be used (`qr.masked`, `qr.field_type`, ...).
    pub warnings: Vec<FieldIssue>,
    /// The ABHA address has the pre-2023 `@ndhm` suffix.
    pub legacy_address: bool,
    /// Members on this device already holding this ABHA (open one instead of adding).
    pub existing: Vec<MemberRecord>,
}

impl std::fmt::Debug for AbhaScanRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AbhaScanRecord(variant={}, filled={:?}, existing={})",
            self.variant,
            self.filled,
            self.existing.len()
        )
    }
}

fn variant_code(v: AbhaQrVariant) -> &'static str {
    match v {
        AbhaQrVariant::Card => "card",
        AbhaQrVariant::App => "app",
        AbhaQrVariant::Minimal => "minimal",
        AbhaQrVariant::PlainText => "plain_text",
    }
}

#[uniffi::export]
impl FieldStore {
    /// Offers a scanned ABHA QR code to the member form `member` (its Aadhaar is ignored and
    /// not returned). Offline. A code that is not a usable ABHA QR is a `Validation` exception
    /// with its issue under the field `qr` (`qr.not_abha`, `qr.aadhaar`, `qr.facility`, ...).
    pub fn scan_abha_qr(
        &self,
        payload: String,
        member: MemberInput,
    ) -> Result<AbhaScanRecord, FieldError> {
        let scan =
            parse_abha_qr(&payload).map_err(|e| FieldError::from(e.to_validation_error()))?;
        let mut draft = MemberInput {
            aadhaar: None,
            ..member
        }
        .into_draft();
        let prefill = scan.prefill(&mut draft);
        let existing = self
            .store
            .members_with_abha(
                scan.abha_number.as_ref(),
                scan.abha_address.as_ref(),
                EXISTING_LIMIT,
            )?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(AbhaScanRecord {
            variant: variant_code(scan.variant).into(),
            given_name: draft.given_name,
            middle_name: draft.middle_name,
            family_name: draft.family_name,
            name_latin: draft.name_latin,
            gender: draft.gender,
            birth_date: draft.birth_date,
            mobile: draft.mobile,
            abha_number: draft.abha_number,
            abha_address: draft.abha_address,
            filled: prefill.filled.iter().map(|f| (*f).to_owned()).collect(),
            differs: issues(prefill.differs),
            warnings: issues(scan.warnings.clone()),
            legacy_address: scan.has_legacy_address(),
            existing,
        })
    }

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

    #[test]
    fn test_scan_abha_qr_fills_blanks_keeps_typed_and_refuses_other_codes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").to_string_lossy().into_owned();
        let store = FieldStore::open(path, vec![7; 32]).unwrap();
        let card = r#"{"hidn":"91-6285-4575-5116","hid":"sita.devi@ndhm","name":"Sita Devi","gender":"F","dob":"14/3/1988","mobile":"9876543210"}"#;
        let typed = MemberInput {
            gender: "M".into(),
            relation: "head".into(),
            ..MemberInput::default()
        };
        let r = store.scan_abha_qr(card.into(), typed).unwrap();
        assert_eq!(r.variant, "card");
        assert_eq!(r.given_name, "Sita Devi");
        assert_eq!(r.gender, "M", "a typed field is never changed");
        assert_eq!(
            r.differs
                .iter()
                .map(|i| i.field.as_str())
                .collect::<Vec<_>>(),
            ["gender"]
        );
        assert!(r.filled.contains(&"abha_number".to_owned()));
        assert_eq!(r.birth_date, "1988-03-14");
        assert!(r.legacy_address && r.existing.is_empty());
        assert!(
            !format!("{r:?}").contains("Sita"),
            "Debug shows no personal data"
        );
        match store.scan_abha_qr(
            "https://x/share-profile?hip-id=IN1&counter-id=1".into(),
            MemberInput::default(),
        ) {
            Err(FieldError::Validation { errors, .. }) => {
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].code.as_str()),
                    ("qr", "qr.facility")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
