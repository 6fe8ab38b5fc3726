//! `scan-slip`: a household slip (or its printed code) opened as the tablet opens it, and the
//! hub's slip key kept at enrolment.
//!
//! Why here: support staff check a slip a family shows them ("is this household on the
//! tablet?") and the black-box tests drive the same core path as the app
//! (`abha_core::qr::scan_on_device`): the slip is verified offline against the keys in the
//! device's encrypted settings, then looked up. "Not known yet" is an answer (exit 0), not an
//! error: the household was captured on a tablet this one has not synced with.

use std::path::Path;

use abha_core::qr::{
    HouseholdLookup, HouseholdScan, ScanError, SlipError, SlipPublicKey, scan_on_device,
};
use serde_json::json;

use crate::home::Home;
use crate::output::{CliError, emit};

/// Keeps the hub's slip public key from an enrolment reply in the store's device settings;
/// returns its key id. A hub from before slips sends none; a malformed key is skipped (the
/// enrolment itself has succeeded and its one-time code is spent).
pub fn trust_hub_key(home: &Home, key: Option<&str>) -> Result<Option<String>, CliError> {
    let Some(text) = key else {
        return Ok(None);
    };
    let Ok(key) = SlipPublicKey::from_hex(text) else {
        tracing::warn!(
            code = "slip.bad_key",
            "the hub's slip key is malformed; not kept"
        );
        return Ok(None);
    };
    let store = home.open_store()?;
    store.update_device_settings(|s| s.trust_slip_key(&key))?;
    store.close()?;
    Ok(Some(key.key_id().to_string()))
}

/// A human explanation of a slip refusal (no scanned value).
fn explain(e: &SlipError) -> &'static str {
    match e {
        SlipError::Empty => "nothing was scanned",
        SlipError::TooLarge { .. } => "the scan is too large to be a household slip",
        SlipError::NotSlip => "this is not a household slip",
        SlipError::Version => "a newer kind of slip: update this app",
        SlipError::Malformed => "the slip is damaged or altered; type the code printed under it",
        SlipError::NoKeys => "this device has no hub key for slips: enrol it with the hub again",
        SlipError::UnknownKey => "this slip was not printed by a hub this device is enrolled with",
        SlipError::BadSignature => "the slip was altered or forged",
        SlipError::BadKey => "a slip key is malformed",
    }
}

fn scan_error(e: ScanError) -> CliError {
    match e {
        ScanError::Slip(s) => {
            let mut err = CliError::new(s.code(), explain(&s)).exit(3);
            err.errors = vec![s.issue()];
            err
        }
        ScanError::Code(v) => v.into(),
        ScanError::Store(s) => s.into(),
    }
}

/// `scan-slip PAYLOAD`.
pub fn scan_slip(dir: &Path, input: &str, json_out: bool) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let scan = scan_on_device(&store, input).map_err(scan_error)?;
    let one = match &scan.lookup {
        HouseholdLookup::Known(found) if found.len() == 1 => Some(store.household(found[0].id)?),
        _ => None,
    };
    let HouseholdScan { code, slip, lookup } = &scan;
    let (status, households) = match lookup {
        HouseholdLookup::Known(h) => ("known", h.as_slice()),
        HouseholdLookup::NotKnownYet => ("not_known_yet", &[][..]),
    };
    let out = json!({
        "ok": true,
        "status": status,
        "code": code,
        "verified": slip.is_some(),
        "household_id": slip.as_ref().map(|s| s.household_id),
        "key_id": slip.as_ref().map(|s| s.key_id),
        "households": households,
        "household": one.as_ref().map(|d| &d.household),
        "members": one.as_ref().map(|d| &d.members),
    });
    emit(json_out, &out, || match (lookup, &one) {
        (HouseholdLookup::NotKnownYet, _) => format!(
            "household {code} is not on this device yet: it was captured on another tablet; \
             sync, then scan again"
        ),
        (_, Some(d)) => format!(
            "household {code} ({}): {} members{}",
            d.household.id,
            d.members.len(),
            if slip.is_some() {
                ", slip verified"
            } else {
                ""
            }
        ),
        (_, None) => {
            let ids: Vec<String> = households.iter().map(|h| h.id.to_string()).collect();
            format!(
                "{} households share code {code}: {}",
                ids.len(),
                ids.join(", ")
            )
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use abha_core::qr::slip::{SLIP_FIELD, codes};

    #[test]
    fn test_slip_refusals_keep_their_code_and_field() {
        let e = scan_error(ScanError::Slip(SlipError::UnknownKey));
        assert_eq!(e.code, codes::UNKNOWN_KEY);
        assert_eq!(e.exit, 3);
        assert_eq!(e.errors[0].field, SLIP_FIELD);
    }
}
