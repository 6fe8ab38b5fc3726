//! The gateway's JWTs: RS256 tokens the simulated gateway signs when it calls a HIP, and the
//! JWKS it publishes at `/api/hiecm/gateway/v3/certs` so the HIP can verify them (abdm.md §4).
//!
//! Signing uses OpenSSL (`EVP_DigestSign`, RSA PKCS#1 v1.5 with SHA-256), not the hub's code, so a
//! misreading of RS256 or of the JWK encoding on one side is not mirrored on the other. The
//! signing keys are separate from the encryption key: a key rotation (`/_sim/share/rotate-key`)
//! must not change how Aadhaar numbers are encrypted. Old keys stay in the JWKS, as a real
//! rotation keeps them while tokens signed with them are alive.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::crypto::CryptoError;

/// The `iss` claim of the simulated gateway's tokens.
pub const GATEWAY_ISSUER: &str = "abdm-sim-gateway";

/// Keys kept in the JWKS after rotations.
const KEPT_KEYS: usize = 3;

/// How a scan's callback is authenticated (tests choose the broken ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JwtMode {
    /// A valid token signed with the current key.
    #[default]
    Valid,
    /// The current key id, but signed with another key.
    BadSignature,
    /// Signed with a key the JWKS does not hold, under its own key id.
    UnknownKid,
    /// Valid signature, `exp` an hour ago.
    Expired,
    /// A string that is not a JWT.
    Garbage,
    /// No `Authorization` header at all.
    Missing,
}

/// One RS256 signing key.
pub(crate) struct SigningKey {
    kid: String,
    key: PKey<Private>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh 2048-bit key with a random key id.
    pub(crate) fn generate() -> Result<Self, CryptoError> {
        let rsa = Rsa::generate(2048)?;
        let (n, e) = (rsa.n().to_vec(), rsa.e().to_vec());
        let id: [u8; 8] = rand::random();
        Ok(Self {
            kid: id.iter().map(|b| format!("{b:02x}")).collect(),
            key: PKey::from_rsa(rsa)?,
            n,
            e,
        })
    }

    /// The key id.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK.
    pub(crate) fn jwk(&self) -> Value {
        json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&self.n), "e": URL_SAFE_NO_PAD.encode(&self.e)})
    }

    /// A compact JWS of `claims`, with header `kid`.
    pub(crate) fn sign(&self, kid: &str, claims: &Value) -> Result<String, CryptoError> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(input.as_bytes())?;
        let sig = signer.sign_to_vec()?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// The gateway's keys: the newest signs, all are published.
#[derive(Debug)]
pub(crate) struct Keys(Vec<SigningKey>);

impl Keys {
    /// One fresh key.
    pub(crate) fn generate() -> Result<Self, CryptoError> {
        Ok(Self(vec![SigningKey::generate()?]))
    }

    /// Adds `key` as the signing key, dropping the oldest beyond [`KEPT_KEYS`].
    pub(crate) fn rotate(&mut self, key: SigningKey) {
        self.0.push(key);
        if self.0.len() > KEPT_KEYS {
            self.0.remove(0);
        }
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": self.0.iter().map(SigningKey::jwk).collect::<Vec<_>>()})
    }

    /// The current key id.
    #[cfg(test)]
    pub(crate) fn current_kid(&self) -> Option<&str> {
        self.0.last().map(SigningKey::kid)
    }

    /// A token for a callback, made as `mode` says (`None` for [`JwtMode::Missing`]).
    /// `stranger` is a key outside the JWKS, for the broken modes.
    pub(crate) fn token(
        &self,
        mode: JwtMode,
        client_id: &str,
        ttl_secs: u64,
        stranger: Option<&SigningKey>,
    ) -> Result<Option<String>, CryptoError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let ttl = i64::try_from(ttl_secs).unwrap_or(3600);
        let exp = if mode == JwtMode::Expired {
            now - 3600
        } else {
            now + ttl
        };
        let claims = json!({"iss": GATEWAY_ISSUER, "sub": "gateway", "clientId": client_id,
            "iat": now.min(exp - 1), "exp": exp, "typ": "Bearer"});
        let Some(current) = self.0.last() else {
            return Ok(None);
        };
        Ok(match (mode, stranger) {
            (JwtMode::Missing, _) => None,
            (JwtMode::Garbage, _) => Some("not-a.jwt".into()),
            (JwtMode::BadSignature, Some(s)) => Some(s.sign(current.kid(), &claims)?),
            (JwtMode::UnknownKid, Some(s)) => Some(s.sign(s.kid(), &claims)?),
            _ => Some(current.sign(current.kid(), &claims)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::bn::BigNum;
    use openssl::sign::Verifier;

    fn verify(token: &str, jwk: &Value) -> bool {
        let b = |k: &str| {
            let raw = URL_SAFE_NO_PAD
                .decode(jwk[k].as_str().expect("str"))
                .expect("b64");
            BigNum::from_slice(&raw).expect("bn")
        };
        let rsa = Rsa::from_public_components(b("n"), b("e")).expect("rsa");
        let key = PKey::from_rsa(rsa).expect("pkey");
        let (input, sig) = token.rsplit_once('.').expect("jws");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("sig");
        let mut v = Verifier::new(MessageDigest::sha256(), &key).expect("verifier");
        v.update(input.as_bytes()).expect("update");
        v.verify(&sig).unwrap_or(false)
    }

    #[test]
    fn test_tokens_verify_against_the_jwks_only_when_valid() {
        let mut keys = Keys::generate().expect("key");
        let stranger = SigningKey::generate().expect("key");
        let jwk = keys.jwks()["keys"][0].clone();
        let good = keys
            .token(JwtMode::Valid, "c", 60, Some(&stranger))
            .expect("sign")
            .expect("token");
        assert!(verify(&good, &jwk));
        let bad = keys
            .token(JwtMode::BadSignature, "c", 60, Some(&stranger))
            .expect("sign")
            .expect("token");
        assert!(!verify(&bad, &jwk));
        assert!(
            keys.token(JwtMode::Missing, "c", 60, None)
                .expect("ok")
                .is_none()
        );
        let old = keys.current_kid().map(str::to_string);
        keys.rotate(stranger);
        assert_ne!(keys.current_kid().map(str::to_string), old);
        assert_eq!(keys.jwks()["keys"].as_array().map(Vec::len), Some(2));
    }
}
