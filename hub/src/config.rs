//! Hub configuration: where data lives, how it serves, how it reaches its upstream hub.

use std::path::PathBuf;
use std::time::Duration;

/// How the hub secures its connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// HTTPS with a certificate the hub generated for itself (kept in the data directory); tablets
    /// pin its fingerprint from the enrolment QR code. The default.
    SelfSigned,
    /// HTTPS with a configured certificate chain and key (PEM files).
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// Plain HTTP: refused unless listening on loopback (development and tests).
    Off,
}

/// The hub this hub forwards to (camp laptop to state server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// Base URL.
    pub url: String,
    /// This hub's token at the upstream (role `hub`).
    pub token: String,
    /// The upstream certificate's SHA-256 fingerprint, if self-signed.
    pub pin: Option<String>,
}

/// Everything the hub needs to run.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Data directory (store, keys, certificate). Default `./abha-hub-data`.
    pub data_dir: PathBuf,
    /// TLS.
    pub tls: TlsMode,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Requests a device may make in a burst.
    pub rate_burst: u32,
    /// Requests per second a device may sustain.
    pub rate_per_sec: f64,
    /// Upstream hub, if any.
    pub upstream: Option<UpstreamConfig>,
    /// How often to replicate upstream.
    pub upstream_every: Duration,
    /// Use the demo sealing key pair (so demo data sealed on tablets can be opened).
    pub demo_keys: bool,
    /// The address tablets reach the hub at (for enrolment QR codes).
    pub public_url: Option<String>,
    /// ABDM, when this hub talks to it (only one hub of a deployment should).
    pub abdm: Option<abha_core::abdm::AbdmConfig>,
    /// Pacing of the ABDM bridge.
    pub bridge: crate::bridge::BridgeConfig,
    /// FHIR export identifier systems (`fhir.json` in the data directory).
    pub fhir: crate::export::fhir::FhirConfig,
    /// Where records and the registry live (SQLite in the data directory, or PostgreSQL).
    pub database: crate::storage::Database,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("abha-hub-data"),
            tls: TlsMode::SelfSigned,
            max_body_bytes: 16 * 1024 * 1024,
            rate_burst: 120,
            rate_per_sec: 40.0,
            upstream: None,
            upstream_every: Duration::from_secs(300),
            demo_keys: false,
            public_url: None,
            abdm: None,
            bridge: crate::bridge::BridgeConfig::default(),
            fhir: crate::export::fhir::FhirConfig::default(),
            database: crate::storage::Database::default(),
        }
    }
}
