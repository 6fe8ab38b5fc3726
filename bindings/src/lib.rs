//! abha-ffi: the UniFFI face of abha-core for Kotlin (Android and the JVM tests).
//!
//! A thin translation layer: records and errors are converted here, logic stays in `abha-core`.
//! For now it exports the library version, which proves the scaffolding, the cdylib and the
//! generated bindings link end to end; the store, forms and sync follow.

uniffi::setup_scaffolding!();

/// The version of the ABHA Field core library inside this native library.
#[uniffi::export]
pub fn core_version() -> String {
    abha_core::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_core_version_matches_core() {
        assert_eq!(core_version(), abha_core::VERSION);
        assert!(!core_version().is_empty());
    }
}
