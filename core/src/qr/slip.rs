//! Household slips: a small signed QR code and short code left with each household.
//!
//! Why this file exists: a family visited once is visited again, by another worker with another
//! tablet, maybe before the tablets have met at the hub. The slip lets that worker open the right
//! household by scanning instead of searching by name (names repeat, spellings vary), and tells
//! them "not on this tablet yet" instead of letting them enrol the family a second time. Anyone
//! can print a QR code, so the hub signs each slip (Ed25519) and tablets verify it offline with
//! the public key they received at enrolment: a forged or altered slip is refused, never opened.
//!
//! The payload (docs/slips.md) is `ABHF1:<code>:<base32>`, 151 characters, all in the QR
//! alphanumeric set, so it fits a version 6 QR code at error correction level M:
//! - `ABHF` names the format, `1` its version (another digit is [`SlipError::Version`]);
//! - `<code>` is the household's printable code (`K3M9-QXD7`), in clear so a scanner app or a
//!   worker reading it out over the phone gets the same code that is printed under the QR;
//! - `<base32>` (RFC 4648, no padding) is 84 bytes: the signing key's id (4 bytes: the first
//!   bytes of the SHA-256 of the public key), the household id (16 bytes) and the Ed25519
//!   signature (64 bytes) over a domain string, the key id, the household id and the code.
//!
//! Nothing else is in it: no name, no address, no village, nothing a lost slip could tell a
//! stranger beyond an opaque id and a code. Reading follows the rules of [`crate::qr`]: never a
//! panic, one machine code per refusal under the field [`SLIP_FIELD`], no scanned value in any
//! error or `Debug` output. The encoding is strict (upper case, canonical base32, canonical code)
//! so that a payload has exactly one valid spelling and any altered character is refused.
//!
//! The keys and the cryptography (ring's Ed25519; nothing hand-written) are in
//! `slip_key.rs` (re-exported here).

use std::collections::BTreeMap;
use std::fmt;

use data_encoding::BASE32_NOPAD;
use serde::Serialize;

use super::MAX_QR_BYTES;
use super::slip_key::KEY_ID_LEN;
pub use super::slip_key::{SlipKeyId, SlipPublicKey, SlipSigningKey};
use crate::ids::HouseholdId;
use crate::model::HouseholdCode;
use crate::validate::{Issue, Issues, ValidationError};

/// The field under which slip problems are reported.
pub const SLIP_FIELD: &str = "slip";

/// What every slip payload starts with: the format name and its version.
pub const SLIP_PREFIX: &str = "ABHF1:";

/// The format name without the version, to tell an unknown version from another QR code.
const FORMAT: &str = "ABHF";

/// The printed code's length in the payload (`K3M9-QXD7`).
const CODE_LEN: usize = 9;

/// Bytes of the key id, the household id and the signature.
const ID_LEN: usize = 16;
const SIG_LEN: usize = 64;
const BODY_LEN: usize = KEY_ID_LEN + ID_LEN + SIG_LEN;

/// The length of every version 1 payload, in characters (and bytes: it is ASCII).
pub const SLIP_LEN: usize = SLIP_PREFIX.len() + CODE_LEN + 1 + (BODY_LEN * 8).div_ceil(5);

/// Signed before everything else, so a slip signature can never be taken for another message
/// signed with the same key.
const DOMAIN: &[u8] = b"abha-field household slip v1\0";

/// Stable machine codes of slip reading. An API: only add.
pub mod codes {
    /// Nothing but whitespace was scanned.
    pub const EMPTY: &str = "slip.empty";
    /// Larger than any QR code a tablet reads ([`crate::qr::MAX_QR_BYTES`]). Param `max`.
    pub const TOO_LARGE: &str = "slip.too_large";
    /// Another kind of QR code (or text), not a household slip.
    pub const NOT_SLIP: &str = "slip.not_slip";
    /// A household slip of a newer format: the app needs an update.
    pub const VERSION: &str = "slip.version";
    /// Starts like a slip but is damaged or altered (length, characters, encoding, code).
    pub const MALFORMED: &str = "slip.malformed";
    /// The device holds no hub key to check slips with: enrol it (again) with the hub.
    pub const NO_KEYS: &str = "slip.no_keys";
    /// Signed by a key this device does not trust (another hub's, or a forger's).
    pub const UNKNOWN_KEY: &str = "slip.unknown_key";
    /// The signature does not match: the slip was altered or forged.
    pub const BAD_SIGNATURE: &str = "slip.bad_signature";
    /// A slip key (hex) that is not a key.
    pub const BAD_KEY: &str = "slip.bad_key";
    /// Every code above.
    pub const ALL: &[&str] = &[
        EMPTY,
        TOO_LARGE,
        NOT_SLIP,
        VERSION,
        MALFORMED,
        NO_KEYS,
        UNKNOWN_KEY,
        BAD_SIGNATURE,
        BAD_KEY,
    ];
}

/// A slip that cannot be used. `Display` is `slip:<code>`; nothing scanned is ever included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlipError {
    /// Nothing was scanned.
    Empty,
    /// More than `max` bytes.
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// Not a household slip.
    NotSlip,
    /// A newer slip format.
    Version,
    /// Damaged or altered.
    Malformed,
    /// No trusted key on this device.
    NoKeys,
    /// Signed by an untrusted key.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// A key that does not parse.
    BadKey,
}

impl SlipError {
    /// The machine code, one of [`codes`].
    pub fn code(&self) -> &'static str {
        match self {
            SlipError::Empty => codes::EMPTY,
            SlipError::TooLarge { .. } => codes::TOO_LARGE,
            SlipError::NotSlip => codes::NOT_SLIP,
            SlipError::Version => codes::VERSION,
            SlipError::Malformed => codes::MALFORMED,
            SlipError::NoKeys => codes::NO_KEYS,
            SlipError::UnknownKey => codes::UNKNOWN_KEY,
            SlipError::BadSignature => codes::BAD_SIGNATURE,
            SlipError::BadKey => codes::BAD_KEY,
        }
    }

    /// The field the error is reported under: always [`SLIP_FIELD`].
    pub fn field(&self) -> &'static str {
        SLIP_FIELD
    }

    /// The error as one issue (`slip: <code>`, with `max` for [`SlipError::TooLarge`]).
    pub fn issue(&self) -> Issue {
        let mut params = BTreeMap::new();
        if let SlipError::TooLarge { max } = self {
            params.insert("max".to_owned(), max.to_string());
        }
        Issue {
            field: SLIP_FIELD.to_owned(),
            code: self.code().to_owned(),
            params,
        }
    }
}

impl fmt::Display for SlipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SLIP_FIELD}:{}", self.code())
    }
}

impl From<SlipError> for ValidationError {
    fn from(err: SlipError) -> Self {
        ValidationError {
            errors: vec![err.issue()],
            warnings: Vec::new(),
        }
    }
}

/// A verified slip: the household it names, its printed code and the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slip {
    /// The household.
    pub household_id: HouseholdId,
    /// Its printable code, as printed under the QR code.
    pub code: HouseholdCode,
    /// The key that signed the slip (one of the trusted keys).
    pub key_id: SlipKeyId,
}

/// What the signature covers: the domain, the key id, the household id and the code.
fn signed_message(key_id: &SlipKeyId, household: &HouseholdId, code: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + BODY_LEN + CODE_LEN);
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(key_id.as_bytes());
    m.extend_from_slice(household.as_bytes());
    m.extend_from_slice(code.as_bytes());
    m
}

/// The slip payload of `household` (whose printable code is `code`), signed with `key`. This is
/// what the hub prints as a QR code; it is [`SLIP_LEN`] characters long.
pub fn sign_slip(household: HouseholdId, code: &HouseholdCode, key: &SlipSigningKey) -> String {
    let key_id = key.public().key_id();
    let code = code.to_string();
    let signature = key.sign(&signed_message(&key_id, &household, &code));
    let mut body = Vec::with_capacity(BODY_LEN);
    body.extend_from_slice(key_id.as_bytes());
    body.extend_from_slice(household.as_bytes());
    body.extend_from_slice(&signature);
    format!("{SLIP_PREFIX}{code}:{}", BASE32_NOPAD.encode(&body))
}

/// Whether a scan is meant as a slip (it starts with the format name), as opposed to a typed
/// code or another QR code.
pub fn looks_like_slip(input: &str) -> bool {
    input.trim_start().starts_with(FORMAT)
}

/// Reads and verifies a scanned slip against the keys this device trusts. Never panics.
///
/// Refusals, in the order they are checked: [`SlipError::TooLarge`], [`SlipError::Empty`],
/// [`SlipError::NotSlip`], [`SlipError::Version`], [`SlipError::Malformed`],
/// [`SlipError::NoKeys`], [`SlipError::UnknownKey`], [`SlipError::BadSignature`].
pub fn verify_slip(payload: &str, trusted: &[SlipPublicKey]) -> Result<Slip, SlipError> {
    if payload.len() > MAX_QR_BYTES {
        return Err(SlipError::TooLarge { max: MAX_QR_BYTES });
    }
    let s = payload
        .trim_start_matches(|c: char| c == '\u{FEFF}' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '\u{0}' || c.is_whitespace());
    if s.is_empty() {
        return Err(SlipError::Empty);
    }
    let Some(rest) = s.strip_prefix(FORMAT) else {
        return Err(SlipError::NotSlip);
    };
    let Some(rest) = rest.strip_prefix(&SLIP_PREFIX[FORMAT.len()..]) else {
        return Err(SlipError::Version);
    };
    let (code_text, body_text) = rest.split_once(':').ok_or(SlipError::Malformed)?;
    if s.len() != SLIP_LEN || code_text.len() != CODE_LEN {
        return Err(SlipError::Malformed);
    }
    let code = canonical_code(code_text).ok_or(SlipError::Malformed)?;
    let body = BASE32_NOPAD
        .decode(body_text.as_bytes())
        .map_err(|_| SlipError::Malformed)?;
    if body.len() != BODY_LEN {
        return Err(SlipError::Malformed);
    }
    let (key_id, rest) = body.split_at(KEY_ID_LEN);
    let (id, signature) = rest.split_at(ID_LEN);
    let mut kid = [0u8; KEY_ID_LEN];
    kid.copy_from_slice(key_id);
    let key_id = SlipKeyId::from_bytes(kid);
    let household_id = HouseholdId::from_slice(id).map_err(|_| SlipError::Malformed)?;
    if trusted.is_empty() {
        return Err(SlipError::NoKeys);
    }
    let message = signed_message(&key_id, &household_id, code_text);
    let mut candidates = trusted.iter().filter(|k| k.key_id() == key_id).peekable();
    if candidates.peek().is_none() {
        return Err(SlipError::UnknownKey);
    }
    // Two trusted keys could share a 4-byte id: any of them may have signed.
    let verified = candidates.any(|k| k.verifies(&message, signature));
    if !verified {
        return Err(SlipError::BadSignature);
    }
    Ok(Slip {
        household_id,
        code,
        key_id,
    })
}

/// The code when `text` is exactly its canonical spelling (`K3M9-QXD7`: upper case, the hyphen
/// in place, a valid check symbol); a payload has only one valid spelling.
fn canonical_code(text: &str) -> Option<HouseholdCode> {
    let mut scratch = Issues::new();
    let code = HouseholdCode::parse(&mut scratch, SLIP_FIELD, text)?;
    (code.to_string() == text).then_some(code)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(b: u8) -> SlipSigningKey {
        SlipSigningKey::from_seed([b; 32])
    }

    fn household() -> (HouseholdId, HouseholdCode) {
        let id = HouseholdId::new();
        (id, HouseholdCode::from_id(&id))
    }

    #[test]
    fn test_sign_then_verify_round_trips() {
        let k = key(7);
        let (id, code) = household();
        let payload = sign_slip(id, &code, &k);
        assert_eq!(payload.len(), SLIP_LEN);
        assert_eq!(SLIP_LEN, 151);
        assert!(payload.starts_with(&format!("ABHF1:{code}:")), "{payload}");
        let slip = verify_slip(&payload, &[key(1).public(), k.public()]).unwrap();
        assert_eq!(slip.household_id, id);
        assert_eq!(slip.code, code);
        assert_eq!(slip.key_id, k.public().key_id());
        // Scanner apps add a BOM or a line end.
        let padded = format!("\u{FEFF}{payload}\r\n");
        assert_eq!(verify_slip(&padded, &[k.public()]), Ok(slip));
    }

    #[test]
    fn test_refusals_have_their_codes() {
        let k = key(7);
        let (id, code) = household();
        let payload = sign_slip(id, &code, &k);
        assert_eq!(verify_slip(" \n", &[]), Err(SlipError::Empty));
        assert_eq!(verify_slip("K3M9-QXD7", &[]), Err(SlipError::NotSlip));
        let v2 = payload.replacen("ABHF1", "ABHF2", 1);
        assert_eq!(verify_slip(&v2, &[k.public()]), Err(SlipError::Version));
        let short = &payload[..payload.len() - 1];
        assert_eq!(verify_slip(short, &[k.public()]), Err(SlipError::Malformed));
        let lower = payload.to_lowercase().replacen("abhf1", "ABHF1", 1);
        assert_eq!(
            verify_slip(&lower, &[k.public()]),
            Err(SlipError::Malformed)
        );
        assert_eq!(verify_slip(&payload, &[]), Err(SlipError::NoKeys));
        let other = [key(8).public()];
        assert_eq!(verify_slip(&payload, &other), Err(SlipError::UnknownKey));
        let big = "A".repeat(MAX_QR_BYTES + 1);
        let too_large = Err(SlipError::TooLarge { max: MAX_QR_BYTES });
        assert_eq!(verify_slip(&big, &[]), too_large);
    }

    #[test]
    fn test_a_signature_for_another_code_is_refused() {
        let k = key(7);
        let (id, code) = household();
        let payload = sign_slip(id, &code, &k);
        let (_, other) = household();
        let swapped = payload.replacen(&code.to_string(), &other.to_string(), 1);
        assert_ne!(swapped, payload);
        let got = verify_slip(&swapped, &[k.public()]);
        assert_eq!(got, Err(SlipError::BadSignature));
    }

    #[test]
    fn test_debug_shows_no_scanned_value() {
        let k = key(7);
        let (id, code) = household();
        let slip = verify_slip(&sign_slip(id, &code, &k), &[k.public()]).unwrap();
        let shown = format!("{slip:?}");
        assert!(shown.contains(&code.to_string()) && shown.contains(&id.to_string()));
        assert!(!shown.contains(&k.public().to_hex()));
    }

    #[test]
    fn test_keys_round_trip_and_never_print_secrets() {
        let k = key(9);
        let again = SlipSigningKey::from_hex(&k.to_hex()).unwrap();
        assert_eq!(again.public(), k.public());
        assert_eq!(k.clone().public(), k.public());
        let public = SlipPublicKey::from_hex(&k.public().to_hex()).unwrap();
        assert_eq!(public, k.public());
        assert!(!format!("{k:?}").contains(&k.to_hex()[..16]));
        assert!(!format!("{public:?}").contains(&public.to_hex()));
        assert_eq!(SlipPublicKey::from_hex("abcd"), Err(SlipError::BadKey));
        assert!(SlipSigningKey::from_hex("zz").is_err());
        let json = serde_json::to_string(&public).unwrap();
        let back: SlipPublicKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, public);
    }

    #[test]
    fn test_error_shape() {
        let e = SlipError::BadSignature;
        assert_eq!(e.to_string(), "slip:slip.bad_signature");
        assert_eq!(e.field(), "slip");
        let v = ValidationError::from(SlipError::TooLarge { max: 4 });
        assert_eq!(v.errors[0].params["max"], "4");
        for c in codes::ALL {
            assert!(c.starts_with("slip."), "{c}");
        }
    }
}
