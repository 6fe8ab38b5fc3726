//! The ABDM v3 client, used only by the hub: tablets never hold ABDM credentials.
//!
//! It lives in core (HTTP client, no server) so the hub and the tests share one implementation
//! of the wire rules of abdm.md §2:
//! - a session token by client credentials, cached, renewed before expiry, dropped on 401, and
//!   never retried in a loop after a credential refusal (the sandbox locks clients that do);
//! - ABDM's public key fetched and cached, and values encrypted as its response names
//!   (`RSA/ECB/OAEPWithSHA-1AndMGF1Padding`, the only one accepted);
//! - `REQUEST-ID` (fresh UUID), `TIMESTAMP` (UTC, milliseconds, `Z`, from the hub clock) and
//!   `X-CM-ID` on every call; 20 s timeouts; a request rate limit; retries only for transient
//!   failures of calls that are safe to repeat;
//! - every error body shape parsed into one [`AbdmError`] ([`error`]).
//!
//! Everything abdm.md marks UNCONFIRMED (hosts, the benefit header's spelling, the demo-auth date
//! format, the LGD path, Scan and Share's `expiry` unit and share host) is configuration
//! ([`AbdmConfig`], [`ShareConfig`]), not code.
//!
//! [`share`] reads Scan and Share profiles (abdm.md §4) for the hub and pre-fills member forms on
//! tablets; [`hip`] holds the hub's calls as a HIP (the gateway's keys, the on-share reply).

pub mod api;
pub mod client;
pub mod error;
pub mod hip;
mod limiter;
pub mod share;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use api::{DemoAuth, Enrolled, FoundAbha, LgdDistrict, LgdState, LgdSubdistrict, OtpSent};
pub use client::AbdmClient;
pub use error::{AbdmError, RefusalKind};

/// Paths of the calls, relative to their base URL. Defaults are abdm.md's v3 paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AbdmPaths {
    /// Session token, on the gateway base.
    pub sessions: String,
    /// Public encryption certificate.
    pub certificate: String,
    /// Request an OTP (Aadhaar or mobile).
    pub request_otp: String,
    /// Create by Aadhaar (OTP or demographic authentication).
    pub enrol_by_aadhaar: String,
    /// Verify a communication mobile.
    pub auth_by_abdm: String,
    /// ABHA address suggestions.
    pub suggestion: String,
    /// Create an ABHA address.
    pub abha_address: String,
    /// Look up an ABHA address (or a number's default address).
    pub search_address: String,
    /// State, district and sub-district masters (UNCONFIRMED path).
    pub lgd_states: String,
    /// The gateway's JWT signing keys (JWKS), on the gateway base.
    pub gateway_certs: String,
    /// The reply to a profile share, on the gateway base.
    pub on_share: String,
}

impl Default for AbdmPaths {
    fn default() -> Self {
        Self {
            sessions: "/gateway/v3/sessions".into(),
            certificate: "/v3/profile/public/certificate".into(),
            request_otp: "/v3/enrollment/request/otp".into(),
            enrol_by_aadhaar: "/v3/enrollment/enrol/byAadhaar".into(),
            auth_by_abdm: "/v3/enrollment/auth/byAbdm".into(),
            suggestion: "/v3/enrollment/enrol/suggestion".into(),
            abha_address: "/v3/enrollment/enrol/abha-address".into(),
            search_address: "/v3/phr/web/login/abha/search".into(),
            lgd_states: "/v3/lgd/states".into(),
            gateway_certs: "/gateway/v3/certs".into(),
            on_share: "/patient-share/v3/on-share".into(),
        }
    }
}

/// How to reach ABDM and which of its unsettled conventions to follow.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AbdmConfig {
    /// Gateway base (`https://dev.abdm.gov.in/api/hiecm` in the sandbox).
    pub gateway_base: String,
    /// ABHA service base (`https://abhasbx.abdm.gov.in/abha/api` in the sandbox).
    pub abha_base: String,
    /// Client id.
    pub client_id: String,
    /// Client secret. Never logged (`Debug` hides it).
    pub client_secret: String,
    /// `X-CM-ID`: `sbx` or `abdm`.
    pub cm_id: String,
    /// Benefit (programme) name registered with NHA for demographic authentication.
    pub benefit_name: Option<String>,
    /// The benefit header's spelling (UNCONFIRMED: `BENEFIT-NAME` as CARE sends, or `BENEFIT_NAME`).
    pub benefit_header: String,
    /// Date format of `dateOfBirth` in demo auth (UNCONFIRMED): `dd-mm-yyyy`, `dd/mm/yyyy`, `yyyy-mm-dd`.
    pub demo_dob_format: String,
    /// Consent version sent with `abha-enrollment`.
    pub consent_version: String,
    /// Suffix of ABHA addresses (`@sbx`, `@abdm`).
    pub address_suffix: String,
    /// Per-request timeout.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Most calls per second to ABDM (0 = unlimited).
    pub rate_limit_per_sec: f64,
    /// Tries per call for transient failures of calls safe to repeat.
    pub max_attempts: u32,
    /// First retry delay; doubles per try, jittered.
    #[serde(with = "secs")]
    pub retry_base: Duration,
    /// How long ABDM's public key is trusted before it is fetched again.
    #[serde(with = "secs")]
    pub certificate_ttl: Duration,
    /// After a credential refusal, no session call is made for this long.
    #[serde(with = "secs")]
    pub credential_pause: Duration,
    /// Paths.
    pub paths: AbdmPaths,
    /// Scan and Share at the camp's counters.
    pub share: ShareConfig,
}

impl std::fmt::Debug for AbdmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbdmConfig")
            .field("gateway_base", &self.gateway_base)
            .field("abha_base", &self.abha_base)
            .field("client_id", &self.client_id)
            .field("cm_id", &self.cm_id)
            .field("rate_limit_per_sec", &self.rate_limit_per_sec)
            .finish_non_exhaustive()
    }
}

impl Default for AbdmConfig {
    fn default() -> Self {
        Self {
            gateway_base: "https://dev.abdm.gov.in/api/hiecm".into(),
            abha_base: "https://abhasbx.abdm.gov.in/abha/api".into(),
            client_id: String::new(),
            client_secret: String::new(),
            cm_id: "sbx".into(),
            benefit_name: None,
            benefit_header: "BENEFIT-NAME".into(),
            demo_dob_format: "dd-mm-yyyy".into(),
            consent_version: "1.4".into(),
            address_suffix: "@sbx".into(),
            timeout: Duration::from_secs(20),
            rate_limit_per_sec: 5.0,
            max_attempts: 3,
            retry_base: Duration::from_millis(500),
            certificate_ttl: Duration::from_secs(6 * 3600),
            credential_pause: Duration::from_secs(600),
            paths: AbdmPaths::default(),
            share: ShareConfig::default(),
        }
    }
}

/// The unit of `expiry` in the on-share reply, which no source documents (abdm.md §4: the spec
/// example is `180`, an integrator sent `"1799"` seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpiryUnit {
    /// Whole seconds left (the default).
    Seconds,
    /// Whole minutes left, rounded up.
    Minutes,
}

/// Scan and Share (abdm.md §4): the camp is a facility (HIP) whose counters print QR codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareConfig {
    /// The camp's HIP id: its HFR facility id (`IN` + 10 characters), or in the sandbox the HIP
    /// id linked to the client id. Scan and Share is off without it.
    pub hip_id: Option<String>,
    /// Base of the counter QR URL (UNCONFIRMED production host).
    pub share_base: String,
    /// The camp's counter ids; empty accepts any well-formed id (1-20 letters or digits).
    pub counters: Vec<String>,
    /// How long a token holds: a rescan by the same ABHA address at the same counter within it
    /// gets the same token.
    #[serde(with = "secs")]
    pub token_validity: Duration,
    /// Unit of `expiry` sent back (UNCONFIRMED).
    pub expiry_unit: ExpiryUnit,
    /// Zero-pad token numbers to this many digits (0: plain `7`; 4: `0007` as NHA's wrapper).
    pub token_digits: u8,
    /// Whether the certificates call carries the session token (UNCONFIRMED; off).
    pub certs_with_session: bool,
    /// How long the gateway's signing keys are trusted before they are fetched again (an
    /// unknown key id fetches them at once).
    #[serde(with = "secs")]
    pub certs_ttl: Duration,
    /// The `iss` the gateway's JWT must carry (UNCONFIRMED; not checked when unset).
    pub jwt_issuer: Option<String>,
    /// Clock leeway for the JWT's `exp` and `nbf`.
    #[serde(with = "secs")]
    pub jwt_leeway: Duration,
    /// Largest distance between a callback's `TIMESTAMP` and the hub clock.
    #[serde(with = "secs")]
    pub max_skew: Duration,
    /// Days a shared profile is kept at the hub (accepted ones live on as members).
    pub keep_days: u32,
}

impl Default for ShareConfig {
    fn default() -> Self {
        Self {
            hip_id: None,
            share_base: "https://phrsbx.abdm.gov.in/share-profile".into(),
            counters: Vec::new(),
            token_validity: Duration::from_secs(30 * 60),
            expiry_unit: ExpiryUnit::Seconds,
            token_digits: 0,
            certs_with_session: false,
            certs_ttl: Duration::from_secs(6 * 3600),
            jwt_issuer: None,
            jwt_leeway: Duration::from_secs(60),
            max_skew: Duration::from_secs(300),
            keep_days: 7,
        }
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}
