//! Sealing Aadhaar numbers at capture.
//!
//! The Aadhaar number is the most sensitive thing a worker types. It is sealed the moment it is
//! validated and the plaintext is wiped from memory: what remains is
//! - the ciphertext, RSA-OAEP with SHA-1 for both the digest and MGF1 (what ABDM requires,
//!   `RSA/ECB/OAEPWithSHA-1AndMGF1Padding`), to a configured public key, so only the hub (or ABDM)
//!   can open it, and only long enough to call ABDM;
//! - the last 4 digits, for display as `XXXX XXXX 1234`;
//! - a keyed token, HMAC-SHA256 under a deployment key, so two captures of the same person can
//!   be recognised as duplicates without anyone holding the number.
//!
//! Nothing here logs, formats or returns the plaintext. [`SealedAadhaar`]'s `Debug` shows the key
//! id and lengths only.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::{Padding, Rsa};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The padding ABDM names in its certificate response; the only one we produce.
pub const OAEP_SHA1_ALGORITHM: &str = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";

/// Errors while loading keys or sealing. Messages never contain key or plaintext material.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The public key could not be parsed (PEM SPKI, PEM PKCS#1 or base64 DER expected).
    #[error("sealing key is not a valid RSA public key")]
    BadPublicKey,
    /// Keys shorter than 2048 bits are refused.
    #[error("sealing key is too short ({bits} bits; at least 2048 required)")]
    KeyTooShort {
        /// Modulus size.
        bits: u32,
    },
    /// The token key must be 32 bytes (64 hex digits).
    #[error("token key must be 32 bytes")]
    BadTokenKey,
    /// The plaintext does not look like a validated Aadhaar number.
    #[error("input is not a 12-digit Aadhaar number")]
    NotAadhaar,
    /// No sealing key is configured, so an Aadhaar number cannot be accepted.
    #[error("no sealing key is configured")]
    NoSealingKey,
    /// The RSA operation failed.
    #[error("encryption failed")]
    Encrypt,
}

/// An RSA public key that Aadhaar numbers (and OTPs, mobiles) are sealed to.
///
/// RSA runs in the OpenSSL that SQLCipher already links (pure-Rust RSA was measured 9x slower
/// per seal; see `docs/adr/0002-rsa-oaep-openssl.md`).
#[derive(Clone)]
pub struct SealingKey {
    key: PKey<Public>,
    id: String,
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealingKey({}, {} bits)", self.id, self.key.bits())
    }
}

impl SealingKey {
    /// From SubjectPublicKeyInfo DER (what ABDM's certificate endpoint returns, base64-decoded).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, SealError> {
        let key = PKey::public_key_from_der(der).map_err(|_| SealError::BadPublicKey)?;
        Self::new(key)
    }

    /// From base64 DER without PEM armour, as ABDM sends `publicKey`.
    pub fn from_base64_der(b64: &str) -> Result<Self, SealError> {
        let compact: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| SealError::BadPublicKey)?;
        Self::from_spki_der(&der)
    }

    /// From PEM: `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, SealError> {
        let key = PKey::public_key_from_pem(pem.as_bytes())
            .or_else(|_| Rsa::public_key_from_pem_pkcs1(pem.as_bytes()).and_then(PKey::from_rsa))
            .map_err(|_| SealError::BadPublicKey)?;
        Self::new(key)
    }

    /// From PEM or bare base64 DER, whichever `text` is.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        if text.contains("-----BEGIN") {
            Self::from_pem(text)
        } else {
            Self::from_base64_der(text)
        }
    }

    fn new(key: PKey<Public>) -> Result<Self, SealError> {
        if key.id() != Id::RSA {
            return Err(SealError::BadPublicKey);
        }
        let bits = key.bits();
        if bits < 2048 {
            return Err(SealError::KeyTooShort { bits });
        }
        let der = key
            .public_key_to_der()
            .map_err(|_| SealError::BadPublicKey)?;
        let digest = Sha256::digest(&der);
        Ok(Self {
            key,
            id: hex::encode(&digest[..8]),
        })
    }

    /// A short fingerprint of the key (first 8 bytes of SHA-256 of the SPKI DER, in hex), stored
    /// with every ciphertext so the holder of the private key knows which key to use.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Encrypts `plaintext` with RSA-OAEP, SHA-1 digest and SHA-1 MGF1, set explicitly rather
    /// than left to a library default.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let run = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut enc = Encrypter::new(&self.key)?;
            enc.set_rsa_padding(Padding::PKCS1_OAEP)?;
            enc.set_rsa_oaep_md(MessageDigest::sha1())?;
            enc.set_rsa_mgf1_md(MessageDigest::sha1())?;
            let mut out = vec![0; enc.encrypt_len(plaintext)?];
            let n = enc.encrypt(plaintext, &mut out)?;
            out.truncate(n);
            Ok(out)
        };
        run().map_err(|_| SealError::Encrypt)
    }
}

/// The deployment key for Aadhaar tokens. Every device and hub of one deployment shares it (the
/// hub hands it out at device enrolment), so tokens match across tablets.
#[derive(Clone)]
pub struct TokenKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// From 32 raw bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(Zeroizing::new(b))
    }
    /// From 64 hex digits.
    pub fn from_hex(h: &str) -> Result<Self, SealError> {
        let v = Zeroizing::new(hex::decode(h.trim()).map_err(|_| SealError::BadTokenKey)?);
        let arr = <[u8; 32]>::try_from(v.as_slice()).map_err(|_| SealError::BadTokenKey)?;
        Ok(Self::from_bytes(arr))
    }
    /// A fresh random key.
    pub fn random() -> Self {
        Self::from_bytes(rand::random())
    }
    /// The key as 64 hex digits (for writing the key file).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.0))
    }
    /// The token of a 12-digit Aadhaar number.
    pub fn token(&self, digits: &str) -> AadhaarToken {
        // HMAC accepts keys of any length; 32 bytes never fails.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0[..])
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"abha-aadhaar-token/v1\0");
        mac.update(digits.as_bytes());
        let mut t = [0u8; 16];
        t.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        AadhaarToken(t)
    }
}

/// A keyed token of an Aadhaar number: the first 16 bytes of HMAC-SHA256 under the deployment
/// key (128 bits: collisions between a country's worth of numbers stay negligible). Equal numbers
/// give equal tokens under one deployment key; the number cannot be recovered without the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AadhaarToken([u8; 16]);

impl AadhaarToken {
    /// From stored bytes.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(b).ok().map(Self)
    }
    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for AadhaarToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AadhaarToken({}..)", hex::encode(&self.0[..4]))
    }
}

/// What is kept of an Aadhaar number after capture.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedAadhaar {
    /// Fingerprint of the key it was sealed to.
    pub key_id: String,
    /// RSA-OAEP-SHA1 ciphertext of the 12 digits.
    pub ciphertext: Vec<u8>,
    /// The last four digits.
    pub last4: String,
    /// The keyed token.
    pub token: AadhaarToken,
}

impl fmt::Debug for SealedAadhaar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SealedAadhaar(key {}, {} bytes)",
            self.key_id,
            self.ciphertext.len()
        )
    }
}

impl SealedAadhaar {
    /// The masked form for display: `XXXX XXXX 1234`.
    pub fn masked(&self) -> String {
        format!("XXXX XXXX {}", self.last4)
    }
}

/// Seals Aadhaar numbers: the sealing key plus the token key.
#[derive(Clone, Debug)]
pub struct AadhaarSealer {
    key: SealingKey,
    token_key: TokenKey,
}

impl AadhaarSealer {
    /// A sealer for one deployment.
    pub fn new(key: SealingKey, token_key: TokenKey) -> Self {
        Self { key, token_key }
    }
    /// The sealing key.
    pub fn key(&self) -> &SealingKey {
        &self.key
    }
    /// The token of a validated Aadhaar number, for duplicate lookups without sealing.
    pub fn token(&self, digits: &Zeroizing<String>) -> AadhaarToken {
        self.token_key.token(digits)
    }
    /// Seals a validated 12-digit Aadhaar number (see [`crate::validate::aadhaar`]).
    pub fn seal(&self, digits: &Zeroizing<String>) -> Result<SealedAadhaar, SealError> {
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SealError::NotAadhaar);
        }
        Ok(SealedAadhaar {
            key_id: self.key.id().to_owned(),
            ciphertext: self.key.seal(digits.as_bytes())?,
            last4: digits[8..].to_owned(),
            token: self.token_key.token(digits),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rsa::pkcs8::EncodePublicKey;
    use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};

    /// The private half parsed by the pure-Rust `rsa` crate: an implementation independent of
    /// the OpenSSL that sealed.
    fn keypair() -> (RsaPrivateKey, SealingKey) {
        let pem = include_str!("../../fixtures/demo-sealing/private.pem");
        use rsa::pkcs8::DecodePrivateKey;
        let sk = RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        let der = sk.to_public_key().to_public_key_der().unwrap();
        (sk, SealingKey::from_spki_der(der.as_bytes()).unwrap())
    }

    #[test]
    fn test_seal_is_oaep_sha1_for_digest_and_mgf1() {
        let (sk, pk) = keypair();
        let sealer = AadhaarSealer::new(pk, TokenKey::from_bytes([7; 32]));
        let digits = Zeroizing::new("234123412346".to_string());
        let s = sealer.seal(&digits).unwrap();
        assert_eq!(s.last4, "2346");
        assert_eq!(s.ciphertext.len(), 256);
        let plain = sk
            .decrypt(Oaep::new::<sha1::Sha1>(), &s.ciphertext)
            .unwrap();
        assert_eq!(plain, b"234123412346");
        // Other paddings must not open it: proves we did not fall back to a library default.
        assert!(
            sk.decrypt(Oaep::new::<sha2::Sha256>(), &s.ciphertext)
                .is_err()
        );
        assert!(
            sk.decrypt(
                Oaep::new_with_mgf_hash::<sha1::Sha1, sha2::Sha256>(),
                &s.ciphertext
            )
            .is_err()
        );
        // An OAEP block starts with 0x00, so PKCS#1 v1.5 "succeeds" by chance about 1 time in
        // 256 (second byte 0x02); what matters is that it never yields the number.
        assert_ne!(
            sk.decrypt(Pkcs1v15Encrypt, &s.ciphertext).ok().as_deref(),
            Some(&b"234123412346"[..])
        );
    }

    #[test]
    fn test_sealing_is_randomised_but_token_is_stable() {
        let (_, pk) = keypair();
        let sealer = AadhaarSealer::new(pk, TokenKey::from_bytes([7; 32]));
        let d = Zeroizing::new("234123412346".to_string());
        let a = sealer.seal(&d).unwrap();
        let b = sealer.seal(&d).unwrap();
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(a.token, b.token);
        let other = AadhaarSealer::new(sealer.key().clone(), TokenKey::from_bytes([8; 32]));
        assert_ne!(other.seal(&d).unwrap().token, a.token);
        assert_eq!(a.token.as_bytes().len(), 16);
    }

    #[test]
    fn test_debug_never_shows_digits() {
        let (_, pk) = keypair();
        let sealer = AadhaarSealer::new(pk, TokenKey::from_bytes([7; 32]));
        let s = sealer.seal(&Zeroizing::new("234123412346".into())).unwrap();
        let dbg = format!("{s:?} {sealer:?}");
        assert!(!dbg.contains("2346"), "{dbg}");
        assert_eq!(s.masked(), "XXXX XXXX 2346");
    }

    #[test]
    fn test_key_formats_and_refusals() {
        let (sk, pk) = keypair();
        let der = sk.to_public_key().to_public_key_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
        assert_eq!(SealingKey::parse(&b64).unwrap().id(), pk.id());
        let pem = sk
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(SealingKey::parse(&pem).unwrap().id(), pk.id());
        assert!(matches!(
            SealingKey::parse("not a key"),
            Err(SealError::BadPublicKey)
        ));
        let sealer = AadhaarSealer::new(pk, TokenKey::from_bytes([1; 32]));
        assert!(matches!(
            sealer.seal(&Zeroizing::new("12345".into())),
            Err(SealError::NotAadhaar)
        ));
        assert!(TokenKey::from_hex("abcd").is_err());
        let k = TokenKey::random();
        assert_eq!(
            TokenKey::from_hex(&k.to_hex()).unwrap().token("1"),
            k.token("1")
        );
    }
}
