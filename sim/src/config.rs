//! What a test or the binary can set: the simulator's configuration, the residents it knows
//! (the simulated UIDAI) and the faults it injects.
//!
//! These are the only inputs that shape the simulator's behaviour, so they live together and
//! are plain serialisable data: the HTTP admin endpoints and the in-process helpers of
//! [`crate::SimHandle`] accept the same values.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids;

/// Configuration of one simulator instance. `Default` gives the sandbox-like values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// The only client id the gateway accepts.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// Expected `X-CM-ID` (and the ABHA address suffix): `sbx`.
    pub cm_id: String,
    /// RSA modulus size of the encryption key pair (ABDM uses 4096).
    pub key_bits: u32,
    /// Largest accepted distance between `TIMESTAMP` and the simulator clock.
    pub max_skew_secs: u64,
    /// ABHA calls allowed per second; 0 means unlimited.
    pub rate_limit_per_sec: u32,
    /// Delay added to every ABHA call (benchmarks).
    pub latency_ms: u64,
    /// Lifetime of a gateway access token.
    pub token_ttl_secs: u64,
    /// Lifetime of an OTP.
    pub otp_ttl_secs: u64,
    /// Lifetime of a transaction.
    pub txn_ttl_secs: u64,
    /// Wrong OTPs allowed per transaction before `ABDM-1100`.
    pub max_otp_attempts: u32,
    /// OTP resends allowed per transaction before `ABDM-1100`.
    pub max_resends: u32,
    /// Consecutive failed session calls that lock the client; 0 never locks.
    pub lock_after_failures: u32,
    /// How long a locked client stays locked.
    pub lock_secs: u64,
    /// Name of the benefit header on demo auth.
    pub benefit_header: String,
    /// Benefit names the client is registered for.
    pub benefit_names: Vec<String>,
    /// Demo auth with an unknown, well-formed Aadhaar number registers that resident.
    pub accept_unknown: bool,
    /// ABHA numbers one mobile may be linked to.
    pub max_abhas_per_mobile: usize,
    /// Where Scan and Share callbacks go (a HIP's bridge URL); also set by
    /// `PATCH /api/hiecm/gateway/v3/bridge/url`.
    pub bridge_url: Option<String>,
    /// Lifetime of the JWT on a gateway callback.
    pub gateway_jwt_ttl_secs: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_id: "SBX_ABHA_FIELD".into(),
            client_secret: "sim-secret".into(),
            cm_id: "sbx".into(),
            key_bits: 2048,
            max_skew_secs: 120,
            rate_limit_per_sec: 0,
            latency_ms: 0,
            token_ttl_secs: 1200,
            otp_ttl_secs: 600,
            txn_ttl_secs: 900,
            max_otp_attempts: 3,
            max_resends: 2,
            lock_after_failures: 8,
            lock_secs: 480,
            benefit_header: "BENEFIT-NAME".into(),
            benefit_names: vec!["ABHA_FIELD".into()],
            accept_unknown: false,
            max_abhas_per_mobile: 6,
            bridge_url: None,
            gateway_jwt_ttl_secs: 300,
        }
    }
}

/// A person UIDAI knows. `dob` is `yyyy-mm-dd`, or `yyyy` when only the year is recorded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// 12-digit Aadhaar number. Held in memory only, never logged or echoed.
    pub aadhaar: String,
    /// Full name as on the Aadhaar record.
    pub name: String,
    /// `M`, `F`, `O` or `T`.
    pub gender: String,
    /// `yyyy-mm-dd` or `yyyy`.
    pub dob: String,
    /// The Aadhaar-linked mobile (10 digits), if any.
    #[serde(default)]
    pub mobile: Option<String>,
}

impl fmt::Debug for Resident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resident")
            .field("aadhaar", &"<redacted>")
            .field("name", &self.name)
            .field("gender", &self.gender)
            .field("dob", &self.dob)
            .field("mobile", &self.mobile)
            .finish()
    }
}

/// Why a resident was not registered. Never carries the Aadhaar number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentError {
    /// Not 12 digits.
    #[error("aadhaar must be 12 digits")]
    Aadhaar,
    /// Empty name.
    #[error("name must not be empty")]
    Name,
    /// Not one of M, F, O, T.
    #[error("gender must be M, F, O or T")]
    Gender,
    /// Neither `yyyy-mm-dd` nor `yyyy`.
    #[error("dob must be yyyy-mm-dd or yyyy")]
    Dob,
    /// Not 10 digits.
    #[error("mobile must be 10 digits")]
    Mobile,
}

impl Resident {
    /// A resident with the given details.
    pub fn new(aadhaar: &str, name: &str, gender: &str, dob: &str, mobile: Option<&str>) -> Self {
        Self {
            aadhaar: aadhaar.into(),
            name: name.into(),
            gender: gender.into(),
            dob: dob.into(),
            mobile: mobile.map(str::to_string),
        }
    }

    /// Checks the formats the simulator relies on.
    pub fn validate(&self) -> Result<(), ResidentError> {
        if !ids::is_digits(&self.aadhaar, 12) {
            return Err(ResidentError::Aadhaar);
        }
        if self.name.trim().is_empty() {
            return Err(ResidentError::Name);
        }
        if !ids::is_gender(&self.gender) {
            return Err(ResidentError::Gender);
        }
        if ids::Birth::from_iso(&self.dob).is_none() {
            return Err(ResidentError::Dob);
        }
        if self
            .mobile
            .as_deref()
            .is_some_and(|m| !ids::is_digits(m, 10))
        {
            return Err(ResidentError::Mobile);
        }
        Ok(())
    }
}

/// Which failure the simulator injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultMode {
    /// Normal service.
    None,
    /// ABHA calls get 503 `ABDM-1206`.
    Unavailable,
    /// ABHA calls get 500 with an empty body.
    Error500,
    /// Every call (sessions too) is held `delay_ms`, then the connection is closed without a
    /// response.
    Timeout,
    /// ABHA calls are delayed `delay_ms`, then answered normally.
    Slow,
}

/// A fault to inject: `POST /_sim/faults` or [`crate::SimHandle::set_fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What goes wrong.
    pub mode: FaultMode,
    /// Hold time for `timeout` and `slow`, in milliseconds (default 30 000).
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u64,
    /// Number of affected calls after which the fault clears itself; `None` is unlimited.
    #[serde(default)]
    pub remaining: Option<u32>,
}

fn default_delay_ms() -> u64 {
    30_000
}

impl Fault {
    /// An unlimited fault of `mode` with the default delay.
    pub fn new(mode: FaultMode) -> Self {
        Self {
            mode,
            delay_ms: default_delay_ms(),
            remaining: None,
        }
    }

    /// No fault.
    pub fn none() -> Self {
        Self::new(FaultMode::None)
    }

    /// The same fault with another delay.
    pub fn with_delay_ms(self, delay_ms: u64) -> Self {
        Self { delay_ms, ..self }
    }

    /// The same fault, limited to `n` affected calls.
    pub fn with_remaining(self, n: u32) -> Self {
        Self {
            remaining: Some(n),
            ..self
        }
    }

    /// Whether this fault touches a call; session calls feel only `timeout`.
    pub(crate) fn affects(&self, session_call: bool) -> bool {
        match self.mode {
            FaultMode::None => false,
            FaultMode::Timeout => true,
            FaultMode::Unavailable | FaultMode::Error500 | FaultMode::Slow => !session_call,
        }
    }

    /// The hold time.
    pub(crate) fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_fault_parses_with_defaults() {
        let f: Fault = serde_json::from_str(r#"{"mode":"error500"}"#).expect("parses");
        assert_eq!(f, Fault::new(FaultMode::Error500));
        assert_eq!(f.delay_ms, 30_000);
        let f: Fault =
            serde_json::from_str(r#"{"mode":"timeout","delay_ms":5,"remaining":2}"#).expect("ok");
        assert_eq!(f.remaining, Some(2));
        assert!(f.affects(true) && f.affects(false));
        assert!(!Fault::new(FaultMode::Unavailable).affects(true));
        assert!(serde_json::from_str::<Fault>(r#"{"mode":"broken"}"#).is_err());
    }

    #[test]
    fn test_resident_validation_and_redacted_debug() {
        let r = Resident::new(
            "234123412346",
            "Asha Devi",
            "F",
            "1990-01-31",
            Some("9876543210"),
        );
        assert_eq!(r.validate(), Ok(()));
        assert!(!format!("{r:?}").contains("234123412346"));
        let bad = |f: fn(&mut Resident)| {
            let mut x = r.clone();
            f(&mut x);
            x.validate()
        };
        assert_eq!(
            bad(|x| x.aadhaar = "12345".into()),
            Err(ResidentError::Aadhaar)
        );
        assert_eq!(bad(|x| x.name = " ".into()), Err(ResidentError::Name));
        assert_eq!(bad(|x| x.gender = "X".into()), Err(ResidentError::Gender));
        assert_eq!(
            bad(|x| x.dob = "31-01-1990".into()),
            Err(ResidentError::Dob)
        );
        assert_eq!(bad(|x| x.dob = "1990".into()), Ok(()));
        assert_eq!(
            bad(|x| x.mobile = Some("98765".into())),
            Err(ResidentError::Mobile)
        );
    }
}
