//! Opening a household from a scanned slip or a typed code, on the device that scans it.
//!
//! Why this file exists: the slip's purpose is to answer one question at the door, offline:
//! "is this household already on my tablet?". Households reach a tablet only when it syncs
//! with the hub, so a genuine slip of a household captured on another tablet may name a
//! household this one does not hold yet. That is not an error: the answer is
//! [`HouseholdLookup::NotKnownYet`] with the printed code, so the app can say "captured on
//! another tablet; sync, then scan again" instead of offering to enrol the family anew.
//!
//! A smudged slip still has its printed code, which the worker can type: [`scan_household`]
//! accepts either. A typed code is not signed (it is a lookup aid; codes are 35 bits, so two
//! households may share one and all matches are returned, each with its village). The slip keys
//! a device trusts are the ones its hubs handed it at enrolment, kept in its device settings
//! ([`crate::store::DeviceSettings::slip_keys`]).

use serde::Serialize;

use super::slip::{Slip, SlipError, SlipPublicKey, looks_like_slip, verify_slip};
use crate::model::HouseholdCode;
use crate::store::{HouseholdSummary, Store, StoreError};
use crate::validate::{Issues, ValidationError};

/// Longest text read as a typed household code (`K3M9-QXD7` with stray spaces); anything longer
/// that is not a slip is another kind of code.
const MAX_TYPED_CODE: usize = 24;

/// What this device holds for a slip or a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "households", rename_all = "snake_case")]
pub enum HouseholdLookup {
    /// On this device: the household a slip names, or every household with a typed code.
    Known(Vec<HouseholdSummary>),
    /// Not on this device (yet): it may have been captured on a tablet this one has not synced
    /// with. Sync, then scan again.
    NotKnownYet,
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdScan {
    /// The printed code: from the slip, or as typed (canonical spelling).
    pub code: HouseholdCode,
    /// The verified slip; `None` for a typed code.
    pub slip: Option<Slip>,
    /// What this device holds.
    pub lookup: HouseholdLookup,
}

impl HouseholdScan {
    /// Whether the household is on this device.
    pub fn is_known(&self) -> bool {
        matches!(self.lookup, HouseholdLookup::Known(_))
    }
}

/// Why a scan gave nothing to look up. `Display` holds codes only.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The slip was refused (`slip.*`).
    #[error(transparent)]
    Slip(#[from] SlipError),
    /// The typed code is not a household code (`household_code.format`, `.checksum`).
    #[error(transparent)]
    Code(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ScanError {
    /// The machine code of the first problem.
    pub fn code(&self) -> &str {
        match self {
            ScanError::Slip(e) => e.code(),
            ScanError::Code(v) => v.errors.first().map_or("validation", |i| i.code.as_str()),
            ScanError::Store(e) => e.code(),
        }
    }
}

/// Looks up the household a verified slip names: by id, so a household whose code another
/// one shares is still found exactly.
pub fn lookup_slip(store: &Store, slip: &Slip) -> Result<HouseholdScan, StoreError> {
    let lookup = match store.household_summary(slip.household_id)? {
        Some(h) => HouseholdLookup::Known(vec![h]),
        None => HouseholdLookup::NotKnownYet,
    };
    Ok(HouseholdScan {
        code: slip.code.clone(),
        slip: Some(slip.clone()),
        lookup,
    })
}

/// Looks up every household with a printed code.
pub fn lookup_code(store: &Store, code: &HouseholdCode) -> Result<HouseholdScan, StoreError> {
    let found = store.households_by_code(&code.to_string())?;
    let lookup = if found.is_empty() {
        HouseholdLookup::NotKnownYet
    } else {
        HouseholdLookup::Known(found)
    };
    Ok(HouseholdScan {
        code: code.clone(),
        slip: None,
        lookup,
    })
}

/// A scanned slip payload (verified against `trusted`) or a typed code (field `code`), looked
/// up in `store`. Never panics.
pub fn scan_household(
    store: &Store,
    input: &str,
    trusted: &[SlipPublicKey],
) -> Result<HouseholdScan, ScanError> {
    if looks_like_slip(input) || input.len() > MAX_TYPED_CODE {
        let slip = verify_slip(input, trusted)?;
        return Ok(lookup_slip(store, &slip)?);
    }
    if input.trim().is_empty() {
        return Err(SlipError::Empty.into());
    }
    let mut issues = Issues::new();
    match HouseholdCode::parse(&mut issues, "code", input.trim()) {
        Some(code) => Ok(lookup_code(store, &code)?),
        None => Err(ScanError::Code(ValidationError {
            errors: issues.errors,
            warnings: issues.warnings,
        })),
    }
}

/// [`scan_household`] with the slip keys this device was given at enrolment.
pub fn scan_on_device(store: &Store, input: &str) -> Result<HouseholdScan, ScanError> {
    let keys = store.device_settings()?.slip_public_keys();
    scan_household(store, input, &keys)
}
