//! The one error the bindings throw, converted from every core error in this one file.
//!
//! Kotlin sees `FieldException` with a few cases an app can act on: a form with every invalid
//! field (`Validation`), a store that cannot be opened (`WrongKey`, `StoreUnavailable`), a
//! missing record, a device not yet enrolled, a sync that failed (`Network` is worth retrying,
//! `Refused` is not) or was cancelled. Every case carries a stable machine `code` the app
//! translates; messages hold no personal data (core errors never carry field values).

use abha_core::qr::ScanError;
use abha_core::store::StoreError;
use abha_core::sync::{SyncError, TransportError};
use abha_core::validate::{Issue, ValidationError};

/// One problem with one form field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldIssue {
    /// The form field, e.g. `members[1].aadhaar`.
    pub field: String,
    /// A stable machine code, e.g. `aadhaar.checksum`: the key of the translated message.
    pub code: String,
    /// Values the message needs (`max`, `member_id`), never the input.
    pub params: std::collections::HashMap<String, String>,
}

impl From<Issue> for FieldIssue {
    fn from(i: Issue) -> Self {
        Self {
            field: i.field,
            code: i.code,
            params: i.params.into_iter().collect(),
        }
    }
}

/// Converts a list of core issues.
pub(crate) fn issues(v: Vec<Issue>) -> Vec<FieldIssue> {
    v.into_iter().map(FieldIssue::from).collect()
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FieldError {
    /// Some fields are invalid: all of them are listed; nothing was written.
    #[error("invalid fields: {}", errors.iter().map(|i| format!("{}:{}", i.field, i.code)).collect::<Vec<_>>().join(", "))]
    Validation {
        /// Problems that block saving.
        errors: Vec<FieldIssue>,
        /// Problems worth a look that do not block.
        warnings: Vec<FieldIssue>,
    },
    /// The key does not open this store. Nothing was read, changed or moved.
    #[error("the store key does not open this database")]
    WrongKey,
    /// The store cannot be used now (`store.corrupt`, `store.incompatible_version`,
    /// `store.disk_full`, `store.busy`, ...). Unsynced work is never deleted.
    #[error("store unavailable: {code}")]
    StoreUnavailable {
        /// Machine code.
        code: String,
    },
    /// The record does not exist (or was deleted).
    #[error("{entity} not found")]
    NotFound {
        /// What kind of record.
        entity: String,
    },
    /// The device has no hub yet: enrol it first.
    #[error("this device is not enrolled with a hub")]
    NotEnrolled,
    /// The hub could not be reached or did not answer in time: retry later.
    #[error("hub unreachable: {code}")]
    Network {
        /// `sync.network`, `sync.unavailable`, `sync.bad_reply`, ...
        code: String,
    },
    /// The hub refused (a revoked device, an expired code, a pin mismatch): retrying will not help.
    #[error("hub refused: {code}")]
    Refused {
        /// The hub's machine code.
        code: String,
        /// HTTP status.
        status: u16,
    },
    /// The caller cancelled. What was stored before stays stored.
    #[error("cancelled")]
    Cancelled,
    /// Anything else, by machine code.
    #[error("failed: {code}")]
    Failed {
        /// Machine code.
        code: String,
    },
}

impl FieldError {
    pub(crate) fn failed(code: &str) -> Self {
        Self::Failed { code: code.into() }
    }

    /// One invalid field.
    pub(crate) fn invalid(field: &str, code: &str) -> Self {
        Self::Validation {
            errors: vec![FieldIssue {
                field: field.into(),
                code: code.into(),
                params: Default::default(),
            }],
            warnings: Vec::new(),
        }
    }
}

impl From<ValidationError> for FieldError {
    fn from(e: ValidationError) -> Self {
        Self::Validation {
            errors: issues(e.errors),
            warnings: issues(e.warnings),
        }
    }
}

impl From<StoreError> for FieldError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Validation(v) => v.into(),
            StoreError::WrongKey => Self::WrongKey,
            StoreError::NotFound { entity, .. } => Self::NotFound {
                entity: entity.into(),
            },
            StoreError::IncompatibleVersion { .. }
            | StoreError::Corrupt { .. }
            | StoreError::CorruptWhileOpen
            | StoreError::DiskFull
            | StoreError::Busy
            | StoreError::BadKey
            | StoreError::Io(_) => Self::StoreUnavailable {
                code: e.code().into(),
            },
            other => Self::failed(other.code()),
        }
    }
}

impl From<ScanError> for FieldError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Slip(s) => ValidationError::from(s).into(),
            ScanError::Code(v) => v.into(),
            ScanError::Store(s) => s.into(),
        }
    }
}

impl From<TransportError> for FieldError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Refused { status, code, .. } => Self::Refused { code, status },
            other => Self::Network {
                code: SyncError::Transport(other).code(),
            },
        }
    }
}

impl From<SyncError> for FieldError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Transport(t) => t.into(),
            SyncError::Store(s) => s.into(),
            SyncError::Cancelled => Self::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_validation_message_names_fields_and_codes_only() {
        let e = FieldError::invalid("members[0].aadhaar", "aadhaar.checksum");
        assert_eq!(
            e.to_string(),
            "invalid fields: members[0].aadhaar:aadhaar.checksum"
        );
    }

    #[test]
    fn test_store_errors_map_to_cases() {
        assert!(matches!(
            FieldError::from(StoreError::WrongKey),
            FieldError::WrongKey
        ));
        assert!(matches!(
            FieldError::from(StoreError::DiskFull),
            FieldError::StoreUnavailable { code } if code == "store.disk_full"
        ));
        assert!(matches!(
            FieldError::from(SyncError::Cancelled),
            FieldError::Cancelled
        ));
    }
}
