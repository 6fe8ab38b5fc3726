//! Enrolment by demographic authentication ("demo auth", the queued offline route): the
//! benefit header, the match against the resident, and `accept_unknown` for the demo.
//!
//! The match rules are deliberately narrow and published in `docs/abdm-simulator.md` (name
//! case- and space-insensitive, gender, date of birth), because ABDM does not say which field
//! failed (`INVALID_DEMOGRAPHIC_DETAILS`) and the hub must not depend on it.

use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use crate::config::Resident;
use crate::ids::{self, Birth};
use crate::registry::{self, DEFAULT_DISTRICT, DEFAULT_STATE};
use crate::reply::ApiError;
use crate::world::{World, secs};

/// `authData.demo_auth`. Codes may come as strings or numbers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DemoAuth {
    aadhaar_number: Option<String>,
    name: Option<String>,
    gender: Option<String>,
    date_of_birth: Option<String>,
    state_code: Option<Value>,
    district_code: Option<Value>,
    mobile: Option<String>,
}

fn field(field: &'static str, message: &'static str) -> ApiError {
    ApiError::Field { field, message }
}

fn code(v: Option<&Value>, default: &str) -> String {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => default.to_string(),
    }
}

/// The details sent, checked for format.
struct Claim {
    aadhaar: String,
    name: String,
    gender: String,
    birth: Birth,
    mobile: Option<String>,
}

fn claim(world: &World, d: DemoAuth) -> Result<Claim, ApiError> {
    let bad_aadhaar = || field("aadhaarNumber", "Invalid Aadhaar Number");
    let ct = d
        .aadhaar_number
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(bad_aadhaar)?;
    let aadhaar = world.decrypt(&ct).map_err(|_| bad_aadhaar())?;
    if !ids::is_digits(&aadhaar, 12) {
        return Err(bad_aadhaar());
    }
    let name = d
        .name
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty())
        .ok_or_else(|| field("name", "Invalid Name"))?;
    let gender = d
        .gender
        .map(|g| g.trim().to_ascii_uppercase())
        .filter(|g| ids::is_gender(g))
        .ok_or_else(|| field("gender", "Invalid Gender"))?;
    let birth = d
        .date_of_birth
        .as_deref()
        .and_then(Birth::from_demo)
        .ok_or_else(|| field("dateOfBirth", "Invalid Date Of Birth"))?;
    let mobile = d
        .mobile
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if mobile.as_deref().is_some_and(|m| !ids::is_mobile(m)) {
        return Err(ApiError::mobile());
    }
    Ok(Claim {
        aadhaar,
        name,
        gender,
        birth,
        mobile,
    })
}

fn matches(r: &Resident, c: &Claim) -> bool {
    ids::name_key(&r.name) == ids::name_key(&c.name)
        && r.gender.eq_ignore_ascii_case(&c.gender)
        && Birth::from_iso(&r.dob) == Some(c.birth)
}

fn benefit_ok(world: &World, headers: &HeaderMap) -> bool {
    headers
        .get(world.config.benefit_header.as_str())
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .is_some_and(|b| world.config.benefit_names.iter().any(|n| n == b))
}

/// Demo-auth enrolment: checks the benefit header, matches (or with `accept_unknown`
/// registers) the resident, and returns or creates the ABHA in a new transaction.
pub(crate) fn enrol(world: &World, headers: &HeaderMap, d: DemoAuth) -> Result<Value, ApiError> {
    if !benefit_ok(world, headers) {
        return Err(ApiError::Benefit);
    }
    let codes = (
        code(d.state_code.as_ref(), DEFAULT_STATE),
        code(d.district_code.as_ref(), DEFAULT_DISTRICT),
    );
    let c = claim(world, d)?;
    let cfg = &world.config;
    world.with(|w| {
        let resident = match w.residents.get(&c.aadhaar) {
            Some(r) => r.clone(),
            None if cfg.accept_unknown && ids::is_well_formed_aadhaar(&c.aadhaar) => {
                let r = Resident {
                    aadhaar: c.aadhaar.clone(),
                    name: c.name.clone(),
                    gender: c.gender.clone(),
                    dob: c.birth.iso(),
                    mobile: c.mobile.clone(),
                };
                w.residents.insert(c.aadhaar.clone(), r.clone());
                r
            }
            None => return Err(ApiError::Demographic),
        };
        if !matches(&resident, &c) {
            return Err(ApiError::Demographic);
        }
        let e = registry::enrol(w, cfg, &c.aadhaar, c.mobile.as_deref(), codes)?;
        let txn = w.new_txn(&c.aadhaar, secs(cfg.txn_ttl_secs));
        if let Some(t) = w.txns.get_mut(&txn) {
            t.abha = Some(e.index);
        }
        registry::enrolled_reply(w, cfg, &txn, &e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim_of(name: &str, gender: &str, birth: Birth) -> Claim {
        Claim {
            aadhaar: "234123412346".into(),
            name: name.into(),
            gender: gender.into(),
            birth,
            mobile: None,
        }
    }

    #[test]
    fn test_match_rules() {
        let full = Birth::from_iso("1990-01-31").expect("date");
        let r = Resident::new("234123412346", "Asha Devi", "F", "1990-01-31", None);
        assert!(matches(&r, &claim_of("asha  devi", "F", full)));
        assert!(matches(&r, &claim_of("ASHADEVI", "f", full)));
        assert!(!matches(&r, &claim_of("Asha Devi", "M", full)));
        assert!(!matches(&r, &claim_of("Asha Kumari", "F", full)));
        assert!(!matches(&r, &claim_of("Asha Devi", "F", Birth::Year(1990))));
        let y = Resident::new("234123412346", "Asha Devi", "F", "1990", None);
        assert!(matches(&y, &claim_of("Asha Devi", "F", Birth::Year(1990))));
        assert!(!matches(&y, &claim_of("Asha Devi", "F", full)));
    }

    #[test]
    fn test_codes_accept_strings_and_numbers() {
        assert_eq!(code(Some(&Value::from(10)), "1"), "10");
        assert_eq!(code(Some(&Value::from(" 215 ")), "1"), "215");
        assert_eq!(code(Some(&Value::Null), "1"), "1");
        assert_eq!(code(None, "1"), "1");
    }
}
