//! Verifying the gateway's JWT on a Scan and Share callback (abdm.md §4: `Authorization` is an
//! RS256 JWT verifiable against `GET {gateway}/gateway/v3/certs`).
//!
//! Without this check anyone on the network could push "profiles" into the camp's queue and
//! make the hub post on-share replies in its name, so an absent or invalid token is refused with
//! 401 and nothing else happens.
//!
//! The token's parsing and claim checks (`exp`, `nbf`, optional `iss`, leeway) are
//! `jsonwebtoken`'s; its signature check is ring's, through a [`CryptoProvider`] that knows RS256
//! only: no second RSA implementation, no OpenSSL, and an `alg` other than RS256 is refused
//! before any key is looked at. The gateway's keys (a JWKS) are cached for `certs_ttl` and
//! fetched again at once for a key id the cache does not hold (a rotation), at most once per
//! [`REFETCH_MIN`] so tokens with made-up key ids cannot make the hub hammer ABDM. If a refetch
//! fails the keys already held keep working.

use std::sync::Once;
use std::time::{Duration, Instant};

use abha_core::abdm::{AbdmClient, ShareConfig};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey, Validation, signature};
use serde_json::Value;
use tokio::sync::Mutex;

/// Least time between two fetches of the keys caused by unknown key ids.
pub const REFETCH_MIN: Duration = Duration::from_secs(1);

/// Why a callback's token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The token failed a check; `reason` is a code for logs (`jwt.expired`, `jwt.signature`).
    #[error("the gateway token is not valid ({reason})")]
    Invalid {
        /// Which check.
        reason: &'static str,
    },
    /// The gateway's keys could not be fetched and none are held.
    #[error("the gateway's signing keys are unavailable")]
    KeysUnavailable,
}

fn invalid(reason: &'static str) -> JwtError {
    JwtError::Invalid { reason }
}

/// RS256 with ring: PKCS#1 v1.5, SHA-256, 2048 to 8192-bit keys.
struct RingRs256 {
    n: Vec<u8>,
    e: Vec<u8>,
}

fn unpadded(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

impl signature::Verifier<Vec<u8>> for RingRs256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        ring::signature::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
        .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingRs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (alg, key.kind()) {
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            Ok(Box::new(RingRs256 {
                n: unpadded(n),
                e: unpadded(e),
            }))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn signer(_: &Algorithm, _: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn digest(data: &[u8], hash: ThumbprintHash) -> Vec<u8> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
    };
    ring::digest::digest(alg, data).as_ref().to_vec()
}

/// The process's `jsonwebtoken` backend: ring, RS256 verification only.
static RING: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    jwk_utils: JwkUtils {
        extract_rsa_public_key_components: |_| {
            Err(ErrorKind::InvalidRsaKey("not supported".into()).into())
        },
        extract_ec_public_key_coordinates: |_, _| Err(ErrorKind::InvalidEcdsaKey.into()),
        compute_digest: digest,
    },
};

fn install() {
    static ONCE: Once = Once::new();
    // Another provider installed first would also do RS256; keep it then.
    ONCE.call_once(|| {
        let _ = RING.install_default();
    });
}

/// Keeps the RSA signing keys of a JWKS; anything else in it is skipped.
pub fn read_jwks(body: &[u8]) -> Vec<(Option<String>, DecodingKey)> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let Some(keys) = v.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    let s = |k: &Value, f: &str| k.get(f).and_then(Value::as_str).map(str::to_string);
    keys.iter()
        .filter(|k| s(k, "kty").as_deref() == Some("RSA"))
        .filter(|k| s(k, "alg").is_none_or(|a| a == "RS256"))
        .filter(|k| s(k, "use").is_none_or(|u| u == "sig"))
        .filter_map(|k| {
            let key = DecodingKey::from_rsa_components(&s(k, "n")?, &s(k, "e")?).ok()?;
            Some((s(k, "kid"), key))
        })
        .collect()
}

#[derive(Default)]
struct Cache {
    keys: Vec<(Option<String>, DecodingKey)>,
    fetched: Option<Instant>,
    tried: Option<Instant>,
}

impl Cache {
    /// Keys with this key id (or without any), or all of them for a token without `kid`.
    fn matching(&self, kid: Option<&str>) -> Vec<DecodingKey> {
        self.keys
            .iter()
            .filter(|(k, _)| kid.is_none() || k.is_none() || k.as_deref() == kid)
            .map(|(_, key)| key.clone())
            .collect()
    }
}

/// The gateway's signing keys and the rules its tokens must meet.
pub struct GatewayKeys {
    client: AbdmClient,
    ttl: Duration,
    validation: Validation,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for GatewayKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl GatewayKeys {
    /// Keys fetched through `client`, checked as `config` says.
    pub fn new(client: AbdmClient, config: &ShareConfig) -> Self {
        install();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = config.jwt_leeway.as_secs();
        validation.validate_nbf = true;
        // The gateway's audience is not documented (abdm.md §4).
        validation.validate_aud = false;
        if let Some(iss) = &config.jwt_issuer {
            validation.set_issuer(&[iss]);
            validation.required_spec_claims.insert("iss".into());
        }
        Self {
            client,
            ttl: config.certs_ttl,
            validation,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Checks a callback's token (the text after `Bearer `).
    pub async fn verify(&self, token: &str) -> Result<(), JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("jwt.malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid("jwt.algorithm"));
        }
        let keys = self.keys_for(header.kid.as_deref()).await?;
        if keys.is_empty() {
            return Err(invalid("jwt.unknown_key"));
        }
        let mut reason = "jwt.signature";
        for key in &keys {
            match jsonwebtoken::decode::<Value>(token, key, &self.validation) {
                Ok(_) => return Ok(()),
                Err(e) => reason = reason_of(&e),
            }
        }
        Err(invalid(reason))
    }

    async fn keys_for(&self, kid: Option<&str>) -> Result<Vec<DecodingKey>, JwtError> {
        let mut cache = self.cache.lock().await;
        let fresh = cache.fetched.is_some_and(|t| t.elapsed() < self.ttl);
        let held = cache.matching(kid);
        if fresh && !held.is_empty() {
            return Ok(held);
        }
        let may_fetch = !fresh || cache.tried.is_none_or(|t| t.elapsed() >= REFETCH_MIN);
        if may_fetch {
            cache.tried = Some(Instant::now());
            match self.client.gateway_certs().await {
                Ok(body) => {
                    let keys = read_jwks(&body);
                    if keys.is_empty() {
                        tracing::warn!("the gateway's certificates held no usable RS256 key");
                    } else {
                        cache.keys = keys;
                        cache.fetched = Some(Instant::now());
                    }
                }
                Err(e) => {
                    tracing::warn!(reason = %e.reason_code(), "gateway certificates fetch failed")
                }
            }
        }
        if cache.keys.is_empty() {
            return Err(JwtError::KeysUnavailable);
        }
        Ok(cache.matching(kid))
    }
}

fn reason_of(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::ExpiredSignature => "jwt.expired",
        ErrorKind::ImmatureSignature => "jwt.not_yet_valid",
        ErrorKind::InvalidIssuer => "jwt.issuer",
        ErrorKind::InvalidSignature => "jwt.signature",
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => "jwt.claims",
        ErrorKind::InvalidAlgorithm => "jwt.algorithm",
        _ => "jwt.malformed",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_jwks_keeps_only_rsa_signing_keys() {
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let body = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": n, "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "broken", "n": "%%%", "e": "AQAB"},
            "not an object"
        ]});
        let keys = read_jwks(body.to_string().as_bytes());
        let kids: Vec<_> = keys.iter().map(|(k, _)| k.clone().unwrap()).collect();
        assert_eq!(kids, ["a", "b"]);
        assert!(read_jwks(b"not json").is_empty());
        assert!(read_jwks(b"{\"keys\": 3}").is_empty());
    }

    #[test]
    fn test_provider_refuses_every_algorithm_but_rs256() {
        install();
        let key = DecodingKey::from_secret(b"secret");
        assert!(verifier(&Algorithm::HS256, &key).is_err());
        assert!(
            verifier(&Algorithm::RS256, &key).is_err(),
            "RS256 needs n and e"
        );
        // An HS256 token (the classic key-confusion attack) never reaches a verifier.
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln";
        assert!(
            jsonwebtoken::decode::<Value>(token, &key, &Validation::new(Algorithm::RS256)).is_err()
        );
        assert_eq!(digest(b"", ThumbprintHash::SHA256).len(), 32);
        assert_eq!(unpadded(&[0, 0, 1, 2]), [1, 2]);
    }
}
