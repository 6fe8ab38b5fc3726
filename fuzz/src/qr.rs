//! `abha_qr`: what the tablet camera reads besides enrolment codes.
//!
//! Why: a worker points the camera at whatever the household hands over: an ABHA card, the ABHA
//! app's QR, an Aadhaar letter, a facility poster, or a household slip the hub printed. None of
//! it is signed except our slips, and anyone can print a QR code. The harness feeds one input to
//! - [`parse_abha_qr_bytes`] (as the scanner hands over bytes) and, for UTF-8 input,
//!   [`parse_abha_qr`]: both must agree; an error carries one of [`qr::codes`] under the field
//!   `qr`; neither an error nor the scan's `Debug` (which reaches logs) shows a run of 6 digits
//!   from the input; filling a fresh member form from a scan and then offering the same scan
//!   again fills nothing more and finds no field that differs (a scan agrees with itself);
//! - [`verify_slip`] against one fixed hub key: a refusal carries one of [`slip::codes`] and no
//!   digits from the input; an accepted slip is exactly what [`sign_slip`] makes for its
//!   household and code with that key (so a slip cannot be altered and still pass), and a
//!   device trusting another key refuses it as `slip.unknown_key`.
//!
//! The input is the scanned payload itself; seeds are the abdm.md section 3 samples, variants of
//! them and a slip signed with [`SEED_KEY`].

use abha_core::ids::HouseholdId;
use abha_core::model::HouseholdCode;
use abha_core::qr::slip::codes as slip_codes;
use abha_core::qr::{
    MAX_QR_BYTES, SlipError, SlipPublicKey, SlipSigningKey, codes as qr_codes, parse_abha_qr,
    parse_abha_qr_bytes, sign_slip, verify_slip,
};
use uuid::Uuid;

use crate::leaked_digits;

/// The hub key the harness trusts (a fixed test seed; never a deployment key).
pub const SEED_KEY: [u8; 32] = [0x5a; 32];

/// The harness: see the module docs.
pub fn run(data: &[u8]) {
    let text = std::str::from_utf8(data).ok();
    abha(data, text);
    if let Some(t) = text {
        slip(t);
    }
}

fn abha(data: &[u8], text: Option<&str>) {
    let scanned = parse_abha_qr_bytes(data);
    let shown = String::from_utf8_lossy(data);
    if let Some(t) = text.filter(|t| t.len() <= MAX_QR_BYTES) {
        assert_eq!(
            format!("{:?}", parse_abha_qr(t)),
            format!("{scanned:?}"),
            "text and bytes readers agree"
        );
    }
    match scanned {
        Err(e) => {
            assert!(
                qr_codes::ALL.contains(&e.code()),
                "{} is a qr code",
                e.code()
            );
            let v = e.to_validation_error();
            assert_eq!(v.errors[0].field, "qr");
            let out = format!("{e} {e:?} {v:?}");
            assert_eq!(leaked_digits(&shown, &out, 6), None, "no digits in {out}");
        }
        Ok(s) => {
            let out = format!("{s:?}");
            assert_eq!(leaked_digits(&shown, &out, 6), None, "no digits in {out}");
            assert!(
                s.abha_number.is_some() || s.abha_address.is_some(),
                "a scan names its ABHA"
            );
            let mut draft = s.to_member_draft();
            let again = s.prefill(&mut draft);
            assert!(again.filled.is_empty(), "filled twice: {:?}", again.filled);
            assert!(
                again.differs.is_empty(),
                "differs from itself: {:?}",
                again.differs
            );
        }
    }
}

fn slip(text: &str) {
    let key = SlipSigningKey::from_seed(SEED_KEY);
    let trusted = [key.public()];
    match verify_slip(text, &trusted) {
        Err(e) => {
            assert!(
                slip_codes::ALL.contains(&e.code()),
                "{} is a slip code",
                e.code()
            );
            let out = format!("{e} {e:?} {:?}", e.issue());
            assert_eq!(leaked_digits(text, &out, 6), None, "no digits in {out}");
        }
        Ok(s) => {
            let signed = sign_slip(s.household_id, &s.code, &key);
            assert_eq!(
                verify_slip(&signed, &trusted).ok(),
                Some(s.clone()),
                "the slip re-signed reads back the same"
            );
            assert_eq!(
                signed,
                text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\0'),
                "only a slip the key signed passes, unaltered"
            );
            let other: SlipPublicKey = SlipSigningKey::from_seed([0xa5; 32]).public();
            assert_eq!(
                verify_slip(text, &[other]).err(),
                Some(SlipError::UnknownKey),
                "another hub's device does not trust it"
            );
        }
    }
}

/// A slip for household `n`, signed with [`SEED_KEY`] (a seed).
pub fn seed_slip(n: u128) -> String {
    let id = HouseholdId::from_uuid(Uuid::from_u128(n));
    sign_slip(
        id,
        &HouseholdCode::from_id(&id),
        &SlipSigningKey::from_seed(SEED_KEY),
    )
}
