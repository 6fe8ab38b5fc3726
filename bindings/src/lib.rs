//! abha-ffi: the UniFFI face of abha-core for Kotlin (Android and the JVM tests).
//!
//! A thin translation layer: the logic (validation, sealing, the store, sync) is `abha-core`;
//! here ids become strings, core records become flat UniFFI records, and every core error
//! becomes one `FieldError` (`error.rs`). The generated Kotlin (package `app.abhafield.core`)
//! is the same file for the JVM tests and for Android (default settings, `android = false`).
//!
//! - [`store::FieldStore`]: open with a key; households, members, consents, ABHA requests,
//!   lists, search, pending work, review queries.
//! - [`sync`]: enrolment with a hub and `sync(hub, listener, cancel)` as `suspend` functions.
//! - [`scan`]: `scanSlip`, the household a signed household slip (or its printed code) names;
//!   `scanAbhaQr`, an ABHA card's QR code offered to a member form.
//! - [`share`]: Scan and Share's queue at the camp hub (`sharedProfiles`, accept, dismiss).

uniffi::setup_scaffolding!();

pub mod error;
pub mod inputs;
pub mod records;
pub mod scan;
pub mod share;
pub mod status;
pub mod store;
pub mod sync;

/// The version of the ABHA Field core library inside this native library.
#[uniffi::export]
pub fn core_version() -> String {
    abha_core::VERSION.to_owned()
}

/// Every validation code the core can report, so an app can check its message tables cover
/// them all (`aadhaar.checksum`, `members[...]` fields aside), including what scanning a QR
/// code reports (`qr.*` for ABHA cards, `slip.*` for household slips).
#[uniffi::export]
pub fn validation_codes() -> Vec<String> {
    use abha_core::validate::codes;
    codes::ALL
        .iter()
        .chain(codes::FORM)
        .chain(abha_core::qr::codes::ALL)
        .chain(abha_core::qr::slip::codes::ALL)
        .map(|c| (*c).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_core_version_matches_core() {
        assert_eq!(core_version(), abha_core::VERSION);
        assert!(!core_version().is_empty());
    }

    #[test]
    fn test_validation_codes_are_unique() {
        let codes = validation_codes();
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(codes.iter().any(|c| c == "aadhaar.checksum"));
        assert!(codes.iter().any(|c| c == "village.unknown"));
    }
}
