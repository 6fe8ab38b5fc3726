//! The keys of household slips: the hub's Ed25519 signing key, the public half tablets trust,
//! and the short key id a slip names its signer by.
//!
//! Why a file of its own: the keys are what make a slip trustworthy, so their handling is kept
//! apart from the payload format ([`super::slip`]): the seed lives in a `Zeroizing` buffer and
//! is never printed (`Debug` shows the key id only), keys cross files and the wire as 64 hex
//! digits, and every operation is ring's Ed25519 (RFC 8032; ring is already linked through
//! rustls), so any Ed25519 library can check a slip.

use std::fmt;

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::slip::SlipError;

/// Bytes of a key id.
pub(super) const KEY_ID_LEN: usize = 4;

/// Which key signed a slip: the first 4 bytes of the SHA-256 of its public key. Printed as 8 hex
/// digits; it names a key, it does not prove anything (the signature does).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlipKeyId([u8; KEY_ID_LEN]);

impl SlipKeyId {
    /// From the bytes a payload carries.
    pub(super) fn from_bytes(b: [u8; KEY_ID_LEN]) -> Self {
        Self(b)
    }

    /// The bytes a payload carries.
    pub(super) fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for SlipKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for SlipKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlipKeyId({self})")
    }
}

impl Serialize for SlipKeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A hub's slip public key (Ed25519, 32 bytes; 64 hex digits in settings and on the wire).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SlipPublicKey([u8; 32]);

impl SlipPublicKey {
    /// From 64 hex digits. A malformed key is [`SlipError::BadKey`].
    pub fn from_hex(text: &str) -> Result<Self, SlipError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SlipError::BadKey)?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| SlipError::BadKey)
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    pub(super) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let key = UnparsedPublicKey::new(&ED25519, &self.0[..]);
        key.verify(message, signature).is_ok()
    }

    /// The id slips signed with this key carry.
    pub fn key_id(&self) -> SlipKeyId {
        let digest = Sha256::digest(self.0);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        SlipKeyId(id)
    }
}

impl fmt::Debug for SlipPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlipPublicKey({})", self.key_id())
    }
}

impl From<SlipPublicKey> for String {
    fn from(k: SlipPublicKey) -> String {
        k.to_hex()
    }
}

impl TryFrom<String> for SlipPublicKey {
    type Error = SlipError;
    fn try_from(s: String) -> Result<Self, SlipError> {
        Self::from_hex(&s)
    }
}

/// A hub's slip signing key (Ed25519). Only the hub holds one; `Debug` shows the key id only.
pub struct SlipSigningKey {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl SlipSigningKey {
    /// The key of a 32-byte seed (the secret; keep it like the other hub keys).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let seed = Zeroizing::new(seed);
        // A 32-byte seed is always a valid Ed25519 private key.
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed[..])
            .unwrap_or_else(|_| unreachable!("every 32-byte seed is an Ed25519 key"));
        Self { seed, pair }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        Self::from_seed(rand::random())
    }

    /// From the 64 hex digits of its seed (the hub's key file). Malformed: [`SlipError::BadKey`].
    pub fn from_hex(text: &str) -> Result<Self, SlipError> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| SlipError::BadKey)?);
        let seed = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| SlipError::BadKey)?;
        Ok(Self::from_seed(seed))
    }

    /// The seed as 64 hex digits, for the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.seed))
    }

    /// The Ed25519 signature of `message` (64 bytes).
    pub(super) fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// The public half, handed to tablets at enrolment.
    pub fn public(&self) -> SlipPublicKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        SlipPublicKey(key)
    }
}

impl Clone for SlipSigningKey {
    fn clone(&self) -> Self {
        Self::from_seed(*self.seed)
    }
}

impl fmt::Debug for SlipSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlipSigningKey({})", self.public().key_id())
    }
}
