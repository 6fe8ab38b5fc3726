//! Creating (or finding) a resident's ABHA number, and the enrolment reply both creation routes
//! share.
//!
//! This is where "never two ABHA numbers for one Aadhaar" lives: a second enrolment of the same
//! resident, by either route, returns the existing number with `isNew:false`. Hub tests rely
//! on that (and on [`crate::SimState`]'s counters) to prove a retried enrolment is harmless.

use serde_json::{Value, json};

use crate::config::SimConfig;
use crate::ids::{self, Birth};
use crate::reply::ApiError;
use crate::world::{Abha, Inner, random_token};

/// Where a new ABHA's address codes come from when the route does not send any.
pub(crate) const DEFAULT_STATE: &str = "1";
/// See [`DEFAULT_STATE`].
pub(crate) const DEFAULT_DISTRICT: &str = "1";

/// The outcome of an enrolment.
#[derive(Debug, Clone)]
pub(crate) struct Enrolled {
    /// Index into `Inner::abhas`.
    pub(crate) index: usize,
    /// A new ABHA number was created.
    pub(crate) is_new: bool,
    /// The mobile sent matches the resident's Aadhaar-linked one (or none was sent).
    pub(crate) mobile_matches: bool,
}

/// Returns the resident's ABHA, creating it unless the mobile already has the maximum.
///
/// `given_mobile` is the communication mobile the client sent, if any. A new ABHA is linked to
/// the resident's Aadhaar mobile only when the two agree; otherwise it stays unlinked until
/// `auth/byAbdm` verifies the given one.
pub(crate) fn enrol(
    w: &mut Inner,
    cfg: &SimConfig,
    aadhaar: &str,
    given_mobile: Option<&str>,
    codes: (String, String),
) -> Result<Enrolled, ApiError> {
    let resident = w
        .residents
        .get(aadhaar)
        .cloned()
        .ok_or_else(ApiError::txn)?;
    let mobile_matches = given_mobile.is_none_or(|g| resident.mobile.as_deref() == Some(g));
    if let Some(&index) = w.by_aadhaar.get(aadhaar) {
        if let Some(a) = w.abhas.get_mut(index) {
            a.created_times += 1;
            return Ok(Enrolled {
                index,
                is_new: false,
                mobile_matches,
            });
        }
    }
    if let Some(m) = given_mobile.or(resident.mobile.as_deref()) {
        if w.linked_to(m) >= cfg.max_abhas_per_mobile {
            return Err(ApiError::MobileLimit);
        }
    }
    let digits = loop {
        let d = ids::new_abha_digits();
        if !w.addresses.contains_key(&d) {
            break d;
        }
    };
    let index = w.abhas.len();
    w.abhas.push(Abha {
        number: ids::hyphenate(&digits),
        aadhaar: aadhaar.to_string(),
        mobile: if mobile_matches {
            resident.mobile.clone()
        } else {
            None
        },
        addresses: vec![digits.clone()],
        preferred: digits.clone(),
        created_times: 1,
        state_code: codes.0,
        district_code: codes.1,
    });
    w.by_aadhaar.insert(aadhaar.to_string(), index);
    w.addresses.insert(digits, index);
    w.state.creations += 1;
    Ok(Enrolled {
        index,
        is_new: true,
        mobile_matches,
    })
}

/// `handle@cm_id`.
pub(crate) fn full_address(handle: &str, cfg: &SimConfig) -> String {
    format!("{handle}@{}", cfg.cm_id)
}

/// The `enrol/byAadhaar` reply for an enrolment in transaction `txn_id`.
pub(crate) fn enrolled_reply(
    w: &Inner,
    cfg: &SimConfig,
    txn_id: &str,
    e: &Enrolled,
) -> Result<Value, ApiError> {
    let abha = w.abhas.get(e.index).ok_or(ApiError::Internal)?;
    let resident = w.residents.get(&abha.aadhaar).ok_or(ApiError::Internal)?;
    let (first, middle, last) = ids::split_name(&resident.name);
    let dob = Birth::from_iso(&resident.dob)
        .map(Birth::profile)
        .unwrap_or_default();
    let mobile = if e.mobile_matches {
        resident.mobile.clone()
    } else {
        None
    };
    let mut phr: Vec<String> = vec![full_address(&abha.preferred, cfg)];
    phr.extend(
        abha.addresses
            .iter()
            .filter(|a| **a != abha.preferred)
            .map(|a| full_address(a, cfg)),
    );
    let message = if e.is_new {
        "Account created successfully"
    } else {
        "This account already exist"
    };
    Ok(json!({
        "txnId": txn_id,
        "message": message,
        "isNew": e.is_new,
        "tokens": {
            "token": random_token(),
            "expiresIn": 1800,
            "refreshToken": random_token(),
            "refreshExpiresIn": 1_296_000,
        },
        "ABHAProfile": {
            "firstName": first,
            "middleName": middle,
            "lastName": last,
            "dob": dob,
            "gender": resident.gender,
            "mobile": mobile,
            "phrAddress": phr,
            "stateCode": abha.state_code,
            "districtCode": abha.district_code,
            "ABHANumber": abha.number,
            "abhaStatus": "ACTIVE",
            "abhatype": "STANDARD",
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Resident;

    fn codes() -> (String, String) {
        (DEFAULT_STATE.into(), DEFAULT_DISTRICT.into())
    }

    #[test]
    fn test_one_abha_per_aadhaar_and_mobile_limit() {
        let cfg = SimConfig {
            max_abhas_per_mobile: 2,
            ..SimConfig::default()
        };
        let mut w = Inner::default();
        for (i, a) in ["111100000001", "111100000002", "111100000003"]
            .iter()
            .enumerate()
        {
            let name = format!("Person {i}");
            let r = Resident::new(a, &name, "F", "1990-01-01", Some("9876543210"));
            w.residents.insert((*a).into(), r);
        }
        let e = enrol(&mut w, &cfg, "111100000001", None, codes()).expect("creates");
        assert!(e.is_new && e.mobile_matches);
        let again = enrol(&mut w, &cfg, "111100000001", Some("9000000000"), codes()).expect("ok");
        assert!(!again.is_new && !again.mobile_matches);
        assert_eq!(again.index, e.index);
        assert_eq!(w.abhas[e.index].created_times, 2);
        enrol(&mut w, &cfg, "111100000002", None, codes()).expect("second on the mobile");
        let third = enrol(&mut w, &cfg, "111100000003", None, codes());
        assert_eq!(third.map(|_| ()), Err(ApiError::MobileLimit));
        assert_eq!(w.state.creations, 2);
        let v = enrolled_reply(&w, &cfg, "t", &e).expect("reply");
        let p = &v["ABHAProfile"];
        assert_eq!(p["firstName"], "Person");
        assert_eq!(p["dob"], "01-01-1990");
        let digits = p["ABHANumber"]
            .as_str()
            .unwrap_or_default()
            .replace('-', "");
        assert_eq!(p["phrAddress"][0], format!("{digits}@sbx"));
        assert!(ids::luhn_valid(&digits));
    }
}
