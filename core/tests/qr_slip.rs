//! Tests for household slips (`abha_core::qr::slip`) and opening a household from one
//! (`abha_core::qr::scan`).
//!
//! Why this file exists: a slip is trusted because of its signature, so the properties that
//! matter are about refusal: any altered character or bit is refused, a slip of another hub's key
//! is refused as such, arbitrary scans never panic and always get a `slip.*` code, and the
//! payload carries the household id and printed code only. The lookup half runs on a real
//! encrypted store: a genuine slip of a household the device does not hold yet is "not known
//! yet", the same slip opens the household once it is there, and a typed code works too.
#![allow(clippy::unwrap_used)]

mod common;

use abha_core::ids::HouseholdId;
use abha_core::model::HouseholdCode;
use abha_core::qr::slip::{SLIP_LEN, SLIP_PREFIX, codes};
use abha_core::qr::{
    HouseholdLookup, ScanError, SlipError, SlipPublicKey, SlipSigningKey, scan_household,
    scan_on_device, sign_slip, verify_slip,
};
use abha_core::store::StoreKey;
use data_encoding::BASE32_NOPAD;
use proptest::prelude::*;

fn key(seed: [u8; 32]) -> SlipSigningKey {
    SlipSigningKey::from_seed(seed)
}

fn slip_for(id: HouseholdId, k: &SlipSigningKey) -> String {
    sign_slip(id, &HouseholdCode::from_id(&id), k)
}

fn household_id(bytes: [u8; 16]) -> HouseholdId {
    HouseholdId::from_slice(&bytes).unwrap()
}

/// RFC 8032 section 7.1, test 1: the hub's keys are plain Ed25519, checkable by any library.
#[test]
fn test_signing_key_is_standard_ed25519() {
    let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    let public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let k = SlipSigningKey::from_hex(seed).unwrap();
    assert_eq!(k.public().to_hex(), public);
}

#[test]
fn test_payload_is_the_id_and_code_and_nothing_else() {
    let k = key([3; 32]);
    let id = HouseholdId::new();
    let code = HouseholdCode::from_id(&id);
    let payload = slip_for(id, &k);
    assert_eq!(payload.len(), SLIP_LEN);
    let rest = payload.strip_prefix(SLIP_PREFIX).unwrap();
    let (code_text, body) = rest.split_once(':').unwrap();
    assert_eq!(code_text, code.to_string());
    let body = BASE32_NOPAD.decode(body.as_bytes()).unwrap();
    assert_eq!(body.len(), 4 + 16 + 64, "key id, household id, signature");
    assert_eq!(hex::encode(&body[..4]), k.public().key_id().to_string());
    assert_eq!(&body[4..20], id.as_bytes());
    // QR alphanumeric mode only (upper case, digits, ':' and '-'): the smallest QR code.
    let alnum = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || ":-".contains(c);
    assert!(payload.chars().all(alnum), "{payload}");
}

#[test]
fn test_base32_spelling_is_canonical() {
    // The last character carries 2 bits of the signature and 3 zero bits: setting one of the
    // zero bits decodes to the same bytes, and must still be refused.
    let k = key([4; 32]);
    let payload = slip_for(HouseholdId::new(), &k);
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let last = payload.chars().last().unwrap();
    let value = ALPHABET.find(last).unwrap();
    assert_eq!(value & 0b111, 0);
    let sloppy = ALPHABET.as_bytes()[value | 1] as char;
    let changed = format!("{}{sloppy}", &payload[..payload.len() - 1]);
    assert_eq!(
        verify_slip(&changed, &[k.public()]),
        Err(SlipError::Malformed)
    );
}

#[test]
fn test_scan_before_and_after_the_household_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open(dir.path(), &StoreKey::random());
    let village = common::village(&store);
    let hub = key([5; 32]);
    let trusted = [hub.public()];
    // A slip of a household captured elsewhere: genuine, but not on this device.
    let elsewhere = HouseholdId::new();
    let scan = scan_household(&store, &slip_for(elsewhere, &hub), &trusted).unwrap();
    assert_eq!(scan.lookup, HouseholdLookup::NotKnownYet);
    assert_eq!(scan.code, HouseholdCode::from_id(&elsewhere));
    assert_eq!(scan.slip.unwrap().household_id, elsewhere);

    let members = vec![common::member("सीता", "head", None)];
    let id = common::household(&store, village, members);
    let payload = slip_for(id, &hub);
    let scan = scan_household(&store, &payload, &trusted).unwrap();
    let HouseholdLookup::Known(found) = &scan.lookup else {
        panic!("{scan:?}")
    };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id);
    assert_eq!(found[0].village_id, Some(village));

    // The printed code, typed (lower case, no hyphen), finds the same household, unsigned.
    let typed = HouseholdCode::from_id(&id).to_string().replace('-', "");
    let scan = scan_household(&store, &typed.to_lowercase(), &[]).unwrap();
    assert!(scan.slip.is_none());
    assert!(matches!(&scan.lookup, HouseholdLookup::Known(h) if h[0].id == id));
    let other = HouseholdCode::from_id(&HouseholdId::new()).to_string();
    let scan = scan_household(&store, &other, &[]).unwrap();
    assert_eq!(scan.lookup, HouseholdLookup::NotKnownYet);

    // A typo in a typed code is a field error; a slip of another hub is refused as such.
    let err = scan_household(&store, "K3M9-QXD", &[]).unwrap_err();
    assert_eq!(err.code(), "household_code.format");
    let foreign = slip_for(id, &key([6; 32]));
    let err = scan_household(&store, &foreign, &trusted).unwrap_err();
    assert!(
        matches!(err, ScanError::Slip(SlipError::UnknownKey)),
        "{err:?}"
    );
    let err = scan_household(&store, r#"{"hidn":"91-1234-5678-9012"}"#, &trusted);
    assert_eq!(err.unwrap_err().code(), codes::NOT_SLIP);
}

#[test]
fn test_scan_on_device_uses_the_keys_from_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open(dir.path(), &StoreKey::random());
    let hub = key([7; 32]);
    let payload = slip_for(HouseholdId::new(), &hub);
    let err = scan_on_device(&store, &payload).unwrap_err();
    assert_eq!(err.code(), codes::NO_KEYS);
    store
        .update_device_settings(|s| s.trust_slip_key(&hub.public()))
        .unwrap();
    let scan = scan_on_device(&store, &payload).unwrap();
    assert!(!scan.is_known());
}

/// A slip's canonical text with character `i` replaced by `c`.
fn with_char(payload: &str, i: usize, c: char) -> String {
    payload
        .char_indices()
        .map(|(j, d)| if j == i { c } else { d })
        .collect()
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(seed in any::<[u8; 32]>(), id in any::<[u8; 16]>()) {
        let k = key(seed);
        let id = household_id(id);
        let payload = slip_for(id, &k);
        prop_assert_eq!(payload.len(), SLIP_LEN);
        let slip = verify_slip(&payload, &[k.public()]).unwrap();
        prop_assert_eq!(slip.household_id, id);
        prop_assert_eq!(slip.code, HouseholdCode::from_id(&id));
    }

    #[test]
    fn any_changed_character_is_refused(
        id in any::<[u8; 16]>(),
        at in 0..SLIP_LEN,
        c in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567890:-abcé ".chars().collect::<Vec<_>>()
        ),
    ) {
        let k = key([1; 32]);
        let payload = slip_for(household_id(id), &k);
        let changed = with_char(&payload, at, c);
        prop_assume!(changed != payload);
        let err = verify_slip(&changed, &[k.public()]).unwrap_err();
        prop_assert!(codes::ALL.contains(&err.code()), "{:?}", err);
    }

    #[test]
    fn any_flipped_bit_of_the_signed_body_is_refused(
        id in any::<[u8; 16]>(),
        bit in 0..(84 * 8usize),
    ) {
        let k = key([2; 32]);
        let payload = slip_for(household_id(id), &k);
        let (head, body) = payload.rsplit_once(':').unwrap();
        let mut bytes = BASE32_NOPAD.decode(body.as_bytes()).unwrap();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let changed = format!("{head}:{}", BASE32_NOPAD.encode(&bytes));
        let err = verify_slip(&changed, &[k.public()]).unwrap_err();
        // The key id names the key: a flip there finds no key, anywhere else no signature.
        let expected = if bit < 32 { SlipError::UnknownKey } else { SlipError::BadSignature };
        prop_assert_eq!(err, expected);
    }

    #[test]
    fn arbitrary_text_never_panics(
        input in prop_oneof![
            any::<String>(),
            "ABHF1:[0-9A-Z-]{0,12}:[A-Z2-7=]{0,140}",
            "ABHF[0-9]:.{0,160}",
        ],
        seed in any::<[u8; 32]>(),
    ) {
        let trusted = [SlipPublicKey::from_hex(&key(seed).public().to_hex()).unwrap()];
        match verify_slip(&input, &trusted) {
            Ok(slip) => prop_assert!(input.contains(&slip.code.to_string())),
            Err(e) => {
                prop_assert!(codes::ALL.contains(&e.code()));
                // Nothing scanned is repeated in the error.
                prop_assert_eq!(e.to_string(), format!("slip:{}", e.code()));
            }
        }
    }
}
