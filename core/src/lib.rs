//! abha-core: the shared heart of ABHA Field.
//!
//! Used by the tablet (through `abha-ffi`), the field CLI and the hub. It holds the field data
//! model and its validation, the sealing of Aadhaar numbers, the op log with its hybrid logical
//! clock, and the encrypted SQLite store in which every domain write, its ops and its outbox
//! entry commit together. It has no UniFFI, no HTTP server and no Android types.
//!
//! - [`validate`]: identifier and name validation with structured, localisable error codes.
//! - [`capture`]: a worker's form saved as records (validation, village, duplicates, sealing).
//! - [`model`]: villages, households, members, workers, facilities, consents, enrolments.
//! - [`seal`]: RSA-OAEP-SHA1 sealing and keyed tokens for Aadhaar numbers.
//! - [`oplog`]: ops, hybrid logical clock, field merge rules.
//! - [`store`]: the SQLCipher store, migrations, local writes and queries.
//! - [`abdm`]: the ABDM v3 client the hub uses (never the tablet).
//! - [`qr`]: scanned QR codes: ABHA card and app into a member pre-fill; signed household slips.
//! - [`demo`]: deterministic demo households for demos, benchmarks and load tests.

pub mod abdm;
pub mod capture;
pub mod dedup;
pub mod demo;
pub mod ids;
pub mod model;
pub mod oplog;
pub mod qr;
pub mod seal;
pub mod store;
pub mod sync;
pub mod validate;

/// The version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
