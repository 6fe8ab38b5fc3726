//! The simulator's whole memory: residents, ABHA numbers, transactions, tokens, seen request
//! ids, the injected fault and the counters tests assert on.
//!
//! One mutex guards it all. The simulator serves tests and benchmarks on loopback, where a
//! single lock is far from the bottleneck, and one lock means no ordering bugs between, say,
//! "this Aadhaar already has an ABHA" and "create one". The lock is never held across an
//! `.await` or an RSA operation.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{Fault, FaultMode, Resident, ResidentError, SimConfig};
use crate::crypto::{CryptoError, KeyPair};
use crate::share::ShareState;
use crate::share::jwt::Keys;

/// How many `REQUEST-ID`s are remembered for duplicate detection.
const SEEN_IDS: usize = 10_000;

/// One ABHA number in [`SimState`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbhaRecord {
    /// `91-NNNN-NNNN-NNNN`.
    pub abha_number: String,
    /// Successful enrol calls (OTP or demo auth) that returned this ABHA: 1 for the call that
    /// created it, plus one per later call answered `isNew:false`.
    pub created_times: u64,
}

/// What tests assert on: `GET /_sim/state` or [`crate::SimHandle::state`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimState {
    /// Gateway access tokens issued.
    pub sessions_issued: u64,
    /// ABDM calls received (gateway and ABHA, refused ones included; admin calls excluded).
    pub requests: u64,
    /// Encrypted fields that did not decrypt with OAEP-SHA1.
    pub bad_padding: u64,
    /// ABHA numbers created (`isNew:true`).
    pub creations: u64,
    /// Calls refused with 429.
    pub rate_limited: u64,
    /// Every ABHA number, in creation order.
    pub abhas: Vec<AbhaRecord>,
}

/// Who an OTP was sent to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OtpTarget {
    /// The resident's Aadhaar-linked mobile.
    Aadhaar,
    /// A communication mobile being verified.
    Mobile(String),
}

/// An OTP "sent" in a transaction.
#[derive(Clone, Debug)]
pub(crate) struct Otp {
    pub(crate) value: String,
    pub(crate) sent: Instant,
    pub(crate) target: OtpTarget,
}

/// An enrolment transaction. No `Debug`: it holds an Aadhaar number.
#[derive(Clone)]
pub(crate) struct Txn {
    pub(crate) created: Instant,
    /// The resident's Aadhaar number.
    pub(crate) aadhaar: String,
    /// The OTP awaiting verification, if any.
    pub(crate) otp: Option<Otp>,
    /// The last OTP sent, kept for `/_sim/otp` after it is used.
    pub(crate) last_otp: Option<String>,
    /// Resends of the current OTP target.
    pub(crate) resends: u32,
    /// Wrong OTPs so far.
    pub(crate) wrong: u32,
    /// Index into `Inner::abhas` once enrolled.
    pub(crate) abha: Option<usize>,
}

/// An ABHA number and its addresses. No `Debug`: it holds an Aadhaar number.
#[derive(Clone)]
pub(crate) struct Abha {
    pub(crate) number: String,
    pub(crate) aadhaar: String,
    /// The communication mobile it is linked to.
    pub(crate) mobile: Option<String>,
    /// Handles without suffix; the first is the 14-digit default.
    pub(crate) addresses: Vec<String>,
    pub(crate) preferred: String,
    pub(crate) created_times: u64,
    pub(crate) state_code: String,
    pub(crate) district_code: String,
}

/// Everything behind the lock. No `Debug`: it holds Aadhaar numbers.
#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) residents: HashMap<String, Resident>,
    pub(crate) abhas: Vec<Abha>,
    pub(crate) by_aadhaar: HashMap<String, usize>,
    /// Lower-case handle to index into `abhas`.
    pub(crate) addresses: HashMap<String, usize>,
    pub(crate) txns: HashMap<String, Txn>,
    tokens: HashMap<String, Instant>,
    seen: HashSet<Uuid>,
    seen_order: VecDeque<Uuid>,
    pub(crate) state: SimState,
    fault: Option<Fault>,
    window: Option<(Instant, u32)>,
    pub(crate) failures: u32,
    pub(crate) locked_at: Option<Instant>,
}

impl Inner {
    /// A live transaction, or `None` if unknown or past `ttl`.
    pub(crate) fn live_txn(&mut self, id: &str, ttl: Duration) -> Option<&mut Txn> {
        self.txns.get_mut(id).filter(|t| t.created.elapsed() < ttl)
    }

    /// Starts a transaction (and forgets expired ones).
    pub(crate) fn new_txn(&mut self, aadhaar: &str, ttl: Duration) -> String {
        self.txns.retain(|_, t| t.created.elapsed() < ttl);
        let id = Uuid::new_v4().to_string();
        self.txns.insert(
            id.clone(),
            Txn {
                created: Instant::now(),
                aadhaar: aadhaar.to_string(),
                otp: None,
                last_otp: None,
                resends: 0,
                wrong: 0,
                abha: None,
            },
        );
        id
    }

    /// ABHA numbers linked to `mobile`.
    pub(crate) fn linked_to(&self, mobile: &str) -> usize {
        self.abhas
            .iter()
            .filter(|a| a.mobile.as_deref() == Some(mobile))
            .count()
    }

    /// Makes `token` a live gateway access token.
    pub(crate) fn issue_token(&mut self, token: &str, ttl: Duration) {
        self.tokens.retain(|_, t| t.elapsed() < ttl);
        self.tokens.insert(token.to_string(), Instant::now());
        self.state.sessions_issued += 1;
    }
}

/// Sends an OTP in `txn`: a fresh six-digit value.
pub(crate) fn send_otp(txn: &mut Txn, target: OtpTarget) {
    let value = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32));
    txn.last_otp = Some(value.clone());
    txn.otp = Some(Otp {
        value,
        sent: Instant::now(),
        target,
    });
}

/// 32 random bytes, URL-safe base64.
pub(crate) fn random_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The shared simulator state.
pub(crate) struct World {
    pub(crate) config: SimConfig,
    pub(crate) key: KeyPair,
    /// The gateway side of Scan and Share (its own lock: never held with `inner`).
    pub(crate) share: ShareState,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("config", &self.config)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Seconds as a `Duration`.
pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl World {
    pub(crate) fn new(config: SimConfig, key: KeyPair, gateway_keys: Keys) -> Self {
        Self {
            share: ShareState::new(gateway_keys, config.bridge_url.clone()),
            config,
            key,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The share profile (wire shape) of an ABHA address the simulator created, from its
    /// resident's details; `None` for an address it does not know.
    pub(crate) fn share_profile(&self, address: &str) -> Option<serde_json::Value> {
        let handle = address.split('@').next()?.trim().to_ascii_lowercase();
        let w = self.lock();
        let abha = w.abhas.get(*w.addresses.get(&handle)?)?;
        let r = w.residents.get(&abha.aadhaar)?;
        let mut parts = r.dob.split('-');
        let (year, month, day) = (parts.next(), parts.next(), parts.next());
        let strip = |p: Option<&str>| p.map(|x| x.trim_start_matches('0').to_string());
        Some(serde_json::json!({
            "abhaNumber": abha.number, "name": r.name, "gender": r.gender,
            "yearOfBirth": year, "monthOfBirth": strip(month), "dayOfBirth": strip(day),
            "phoneNumber": abha.mobile.clone().or_else(|| r.mobile.clone()),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` under the lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.lock())
    }

    /// Decrypts an encrypted field, counting failures as `bad_padding`.
    pub(crate) fn decrypt(&self, field: &str) -> Result<String, CryptoError> {
        let r = self.key.decrypt(field);
        if r.is_err() {
            self.lock().state.bad_padding += 1;
        }
        r
    }

    pub(crate) fn count_request(&self) {
        self.lock().state.requests += 1;
    }

    /// Takes one slot in the current one-second window; `false` (and counted) when full.
    pub(crate) fn admit(&self) -> bool {
        let limit = self.config.rate_limit_per_sec;
        if limit == 0 {
            return true;
        }
        let mut w = self.lock();
        let now = Instant::now();
        let (start, used) = match w.window {
            Some((start, used)) if now.duration_since(start) < Duration::from_secs(1) => {
                (start, used)
            }
            _ => (now, 0),
        };
        if used >= limit {
            w.window = Some((start, used));
            w.state.rate_limited += 1;
            false
        } else {
            w.window = Some((start, used + 1));
            true
        }
    }

    /// Records a request id; `false` if it was seen among the last 10 000.
    pub(crate) fn first_use(&self, id: Uuid) -> bool {
        let mut w = self.lock();
        if !w.seen.insert(id) {
            return false;
        }
        w.seen_order.push_back(id);
        while w.seen_order.len() > SEEN_IDS {
            if let Some(old) = w.seen_order.pop_front() {
                w.seen.remove(&old);
            }
        }
        true
    }

    /// The access token is issued, not expired and not revoked.
    pub(crate) fn token_live(&self, token: &str) -> bool {
        let ttl = secs(self.config.token_ttl_secs);
        self.lock()
            .tokens
            .get(token)
            .is_some_and(|t| t.elapsed() < ttl)
    }

    /// The fault affecting this call, counting it down.
    pub(crate) fn take_fault(&self, session_call: bool) -> Option<Fault> {
        let mut w = self.lock();
        let f = w.fault.filter(|f| f.affects(session_call))?;
        match f.remaining {
            Some(n) if n <= 1 => w.fault = None,
            Some(n) => {
                w.fault = Some(Fault {
                    remaining: Some(n - 1),
                    ..f
                })
            }
            None => {}
        }
        Some(f)
    }

    /// Registers (or replaces) residents; none are added if one is invalid.
    pub(crate) fn add_residents(&self, residents: &[Resident]) -> Result<usize, ResidentError> {
        residents.iter().try_for_each(Resident::validate)?;
        let mut w = self.lock();
        for r in residents {
            let mut r = r.clone();
            r.gender = r.gender.trim().to_ascii_uppercase();
            w.residents.insert(r.aadhaar.clone(), r);
        }
        Ok(residents.len())
    }

    /// Installs a fault (`none`, or `remaining: Some(0)`, clears it).
    pub(crate) fn set_fault(&self, fault: Fault) {
        let active = fault.mode != FaultMode::None && fault.remaining != Some(0);
        self.lock().fault = active.then_some(fault);
    }

    /// Revokes every issued access token; returns how many.
    pub(crate) fn expire_tokens(&self) -> usize {
        let mut w = self.lock();
        let n = w.tokens.len();
        w.tokens.clear();
        n
    }

    /// The last OTP sent in a transaction.
    pub(crate) fn otp_for(&self, txn: &str) -> Option<String> {
        self.lock().txns.get(txn).and_then(|t| t.last_otp.clone())
    }

    /// The most recently sent OTP still awaiting verification, in any transaction (tests that
    /// see only the hub's session, not ABDM's transaction id).
    pub(crate) fn latest_otp(&self) -> Option<String> {
        self.lock()
            .txns
            .values()
            .filter_map(|t| t.otp.as_ref())
            .max_by_key(|o| o.sent)
            .map(|o| o.value.clone())
    }

    /// A snapshot of the counters and ABHA numbers.
    pub(crate) fn state(&self) -> SimState {
        let w = self.lock();
        let mut s = w.state.clone();
        s.abhas = w
            .abhas
            .iter()
            .map(|a| AbhaRecord {
                abha_number: a.number.clone(),
                created_times: a.created_times,
            })
            .collect();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(config: SimConfig) -> World {
        World::new(
            config,
            KeyPair::generate(1024).expect("keygen"),
            Keys::generate().expect("keygen"),
        )
    }

    #[test]
    fn test_request_ids_rate_and_faults() {
        let w = world(SimConfig {
            rate_limit_per_sec: 2,
            ..SimConfig::default()
        });
        let id = Uuid::new_v4();
        assert!(w.first_use(id));
        assert!(!w.first_use(id));
        for _ in 0..SEEN_IDS {
            w.first_use(Uuid::new_v4());
        }
        assert!(w.first_use(id), "forgotten after 10 000 newer ids");
        assert!(w.admit() && w.admit() && !w.admit());
        assert_eq!(w.state().rate_limited, 1);
        w.set_fault(Fault::new(FaultMode::Unavailable).with_remaining(2));
        assert!(w.take_fault(true).is_none(), "sessions feel only timeouts");
        assert!(w.take_fault(false).is_some() && w.take_fault(false).is_some());
        assert!(w.take_fault(false).is_none());
        w.set_fault(Fault::new(FaultMode::Timeout).with_remaining(0));
        assert!(w.take_fault(true).is_none());
    }

    #[test]
    fn test_tokens_expire_and_residents_validate() {
        let w = world(SimConfig::default());
        let t = random_token();
        w.with(|i| i.issue_token(&t, secs(60)));
        assert!(w.token_live(&t) && !w.token_live("nope"));
        assert_eq!(w.expire_tokens(), 1);
        assert!(!w.token_live(&t));
        let good = Resident::new("999988887777", "A B", "f", "1990", None);
        let bad = Resident::new("1", "A B", "F", "1990", None);
        assert!(w.add_residents(&[good.clone(), bad]).is_err());
        assert_eq!(w.add_residents(&[good]), Ok(1));
        assert_eq!(
            w.with(|i| i.residents.values().next().map(|r| r.gender.clone())),
            Some("F".into())
        );
    }
}
