//! Store errors.
//!
//! Variants are chosen by what the caller can do about them: re-enter the key (`WrongKey`),
//! update the app (`IncompatibleVersion`), tell support (`Corrupt`, with where the damaged file
//! was moved), free space (`DiskFull`), fix the input (`Validation`). Messages carry opaque ids
//! and machine codes only, never field values.

use std::path::PathBuf;

use crate::validate::ValidationError;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not open this database. Nothing was read, changed or moved.
    #[error("the store key does not open this database")]
    WrongKey,
    /// The file was written by a newer version of the software. It was left untouched.
    #[error("store schema version {found} is newer than this software supports ({supported})")]
    IncompatibleVersion {
        /// The file's `user_version`.
        found: u32,
        /// The newest version this code knows.
        supported: u32,
    },
    /// The file is damaged. It (and its WAL) was moved aside, not deleted.
    #[error("the store file is damaged; it was moved to {moved_to:?}")]
    Corrupt {
        /// Where the damaged file now is.
        moved_to: PathBuf,
    },
    /// The file is damaged but is open, so it could not be moved yet; it will be on next open.
    #[error("the store reported damage while open")]
    CorruptWhileOpen,
    /// The device is out of storage. Nothing was written.
    #[error("the device storage is full")]
    DiskFull,
    /// Another process holds the database for too long.
    #[error("the store is busy")]
    Busy,
    /// The store key is not 32 bytes.
    #[error("the store key must be 32 bytes")]
    BadKey,
    /// A record that was asked for does not exist (or is deleted).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Entity kind name.
        entity: &'static str,
        /// Opaque id.
        id: String,
    },
    /// Input failed validation; nothing was written.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// Sealing an Aadhaar number failed; nothing was written.
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    /// An op or stored value does not match the schema.
    #[error("invalid data: {0}")]
    InvalidData(&'static str),
    /// A different op already holds this `(origin, seq)`: a cloned or restored database.
    #[error("op sequence clash for replica {origin} at {seq}")]
    SequenceClash {
        /// Replica id (hex).
        origin: String,
        /// Sequence number.
        seq: u64,
    },
    /// A pushed change set does not continue its origin's sequence here.
    #[error("change set of replica {origin} starts at {got}, expected {expected}")]
    Gap {
        /// Replica id (hex).
        origin: String,
        /// The next sequence number this replica can accept.
        expected: u64,
        /// The first sequence number received.
        got: u64,
    },
    /// A change set failed its digest or could not be decoded.
    #[error("change set is damaged")]
    BadChangeSet,
    /// A peer pushed change sets of an origin it may not author.
    #[error("change set authored by another replica")]
    NotAuthor,
    /// An op does not fit the schema (unknown field, wrong type or action).
    #[error("op rejected by the schema")]
    OpRejected,
    /// File system error (paths only, no contents).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other SQLite error.
    #[error("sqlite error: {0}")]
    Sqlite(rusqlite::Error),
    /// Another database under the replication engine failed (the hub's PostgreSQL backend).
    /// The message names no personal data: statements bind values, never embed them.
    #[error("database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DiskFull) => Self::DiskFull,
            Some(C::DatabaseBusy | C::DatabaseLocked) => Self::Busy,
            Some(C::DatabaseCorrupt) => Self::CorruptWhileOpen,
            _ => Self::Sqlite(e),
        }
    }
}

impl StoreError {
    /// A stable machine code for the apps and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongKey => "store.wrong_key",
            Self::IncompatibleVersion { .. } => "store.incompatible_version",
            Self::Corrupt { .. } => "store.corrupt",
            Self::CorruptWhileOpen => "store.corrupt",
            Self::DiskFull => "store.disk_full",
            Self::Busy => "store.busy",
            Self::BadKey => "store.bad_key",
            Self::NotFound { .. } => "not_found",
            Self::Validation(_) => "validation",
            Self::Seal(_) => "seal.failed",
            Self::InvalidData(_) => "store.invalid_data",
            Self::SequenceClash { .. } => "sync.clash",
            Self::Gap { .. } => "sync.gap",
            Self::BadChangeSet => "sync.bad_set",
            Self::OpRejected => "sync.bad_op",
            Self::NotAuthor => "sync.not_author",
            Self::Io(_) => "store.io",
            Self::Sqlite(_) => "store.sqlite",
            Self::Database(_) => "store.database",
        }
    }
}

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
