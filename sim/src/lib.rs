//! `abha-abdm-sim`: a loopback stand-in for the ABDM sandbox (gateway session, ABHA enrolment
//! by Aadhaar OTP and by demographic authentication, ABHA addresses, and the gateway side of
//! Scan and Share: signed callbacks to a HIP and the on-share replies), described in
//! `docs/abdm-simulator.md`.
//!
//! Why it exists: the real sandbox is slow, rate-limited, locks clients out and cannot be made
//! to fail on demand, yet the hub must be tested against exactly those behaviours (duplicate
//! request ids, clock skew, OTP limits, outages, lost responses). The simulator speaks the wire
//! format of `abdm.md` sections 2.2-2.10 and shares no code with the ABDM client in
//! `core/src/abdm/`, so a misreading of the format on one side is not mirrored on the other.
//!
//! It is test and demo tooling only: state lives in memory, Aadhaar numbers are never logged
//! (only method, path and status are), and it listens on loopback unless told otherwise.
//!
//! ```no_run
//! # async fn demo() -> Result<(), abha_abdm_sim::SimError> {
//! use abha_abdm_sim::{Resident, Sim, SimConfig};
//! let sim = Sim::start(SimConfig::default()).await?;
//! sim.add_residents(&[Resident::new("234123412346", "Asha Devi", "F", "1990-01-31", Some("9876543210"))])
//!     .ok();
//! let (gateway_base, abha_base) = (sim.gateway_base(), sim.abha_base());
//! # let _ = (gateway_base, abha_base);
//! # Ok(()) }
//! ```

mod address;
mod admin;
mod config;
mod crypto;
mod demo;
mod enrol;
mod gateway;
mod guard;
mod ids;
mod registry;
mod reply;
mod server;
mod share;
mod world;

pub use config::{Fault, FaultMode, Resident, ResidentError, SimConfig};
pub use crypto::CryptoError;
pub use ids::is_well_formed_aadhaar;
pub use server::{Sim, SimError, SimHandle};
pub use share::OnShareRecord;
pub use share::jwt::{GATEWAY_ISSUER, JwtMode};
pub use share::scan::{SHARE_PATH, ScanOutcome, ScanRequest};
pub use world::{AbhaRecord, SimState};

/// The `encryptionAlgorithm` the certificate endpoint advertises.
pub const ENCRYPTION_ALGORITHM: &str = gateway::ALGORITHM;
