//! FHIR R4 export: one `collection` Bundle of Patient resources carrying the ABHA number and the
//! ABHA address as identifiers (abdm.md section 7).
//!
//! Which identifier-system URI names the ABHA number and which the ABHA address is UNCONFIRMED:
//! the NRCeS example Patient uses `https://healthid.ndhm.gov.in` for the number, NHA's
//! ABDM-wrapper uses `https://healthid.abdm.gov.in` for the address. Both are therefore
//! configuration ([`FhirConfig`], read from `fhir.json` in the hub's data directory), with those
//! two as defaults. Each identifier is typed twice, so a reader that knows either code system
//! understands it: NRCeS `ndhm-identifier-type-code` (`HIN` for the number, `ABHA` for the
//! address) and HL7 `v2-0203#MR`, as in the NRCeS example.
//!
//! The bundle carries `meta.versionId` (ABDM's validators ask for it, section 7) and a
//! `timestamp`. Names keep the script they were recorded in; a Latin spelling, when recorded,
//! is a second `HumanName`. Aadhaar is never exported.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{MemberRow, abha_display};

/// NRCeS identifier-type code system.
pub const NRCES_IDENTIFIER_TYPE: &str =
    "https://nrces.in/ndhm/fhir/r4/CodeSystem/ndhm-identifier-type-code";
/// HL7 v2 identifier-type code system.
pub const HL7_IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// NRCeS Patient profile.
pub const NRCES_PATIENT_PROFILE: &str = "https://nrces.in/ndhm/fhir/r4/StructureDefinition/Patient";

/// What the export writes where sources disagree (abdm.md section 7, UNCONFIRMED).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FhirConfig {
    /// `identifier.system` of the ABHA number.
    pub abha_number_system: String,
    /// `identifier.system` of the ABHA address.
    pub abha_address_system: String,
    /// Profiles claimed in `Patient.meta.profile` (empty claims none).
    pub patient_profiles: Vec<String>,
    /// Also type identifiers with HL7 `v2-0203#MR`.
    pub hl7_type: bool,
}

impl Default for FhirConfig {
    fn default() -> Self {
        Self {
            abha_number_system: "https://healthid.ndhm.gov.in".into(),
            abha_address_system: "https://healthid.abdm.gov.in".into(),
            patient_profiles: vec![NRCES_PATIENT_PROFILE.into()],
            hl7_type: true,
        }
    }
}

/// `fhir.json` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FhirConfigError {
    /// The file could not be read.
    #[error("fhir.json: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a valid configuration (the message names the field, never a value).
    #[error("fhir.json is invalid: {0}")]
    Invalid(String),
}

impl FhirConfig {
    /// The file in `data_dir` that overrides the defaults.
    pub const FILE: &'static str = "fhir.json";

    /// Reads `fhir.json` from `data_dir`; the defaults when there is none.
    pub fn load(data_dir: &Path) -> Result<Self, FhirConfigError> {
        match std::fs::read_to_string(data_dir.join(Self::FILE)) {
            Ok(text) => {
                let c: Self = serde_json::from_str(&text)
                    .map_err(|e| FhirConfigError::Invalid(format!("line {}", e.line())))?;
                for s in [&c.abha_number_system, &c.abha_address_system] {
                    if !(s.starts_with("https://") || s.starts_with("http://")) {
                        return Err(FhirConfigError::Invalid("systems must be URLs".into()));
                    }
                }
                Ok(c)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e.into()),
        }
    }
}

fn identifier_type(config: &FhirConfig, code: &str, display: &str) -> Value {
    let mut coding = vec![json!({
        "system": NRCES_IDENTIFIER_TYPE, "code": code, "display": display
    })];
    if config.hl7_type {
        coding.push(json!({
            "system": HL7_IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"
        }));
    }
    json!({ "coding": coding, "text": display })
}

fn gender(code: Option<&str>) -> &'static str {
    match code {
        Some("M") => "male",
        Some("F") => "female",
        Some("O") => "other",
        _ => "unknown",
    }
}

/// A FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; anything else is left out.
fn fhir_date(s: &str) -> Option<&str> {
    let ok = match s.len() {
        4 | 7 | 10 => s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        }),
        _ => false,
    };
    ok.then_some(s)
}

/// The Patient resource of one member.
pub fn patient(r: &MemberRow, config: &FhirConfig) -> Value {
    let mut identifiers = Vec::new();
    if let Some(n) = &r.abha_number {
        identifiers.push(json!({
            "use": "official",
            "type": identifier_type(config, "HIN", "Health ID issued by NDHM"),
            "system": config.abha_number_system,
            "value": abha_display(n),
        }));
    }
    if let Some(a) = &r.abha_address {
        identifiers.push(json!({
            "use": "secondary",
            "type": identifier_type(config, "ABHA", "ABHA address"),
            "system": config.abha_address_system,
            "value": a,
        }));
    }
    let mut given = vec![r.given_name.clone()];
    given.extend(r.middle_name.clone());
    given.retain(|g| !g.trim().is_empty());
    let text: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .chain(r.family_name.as_deref())
        .collect();
    let mut name = json!({ "use": "official", "text": text.join(" ") });
    if !given.is_empty() {
        name["given"] = json!(given);
    }
    if let Some(f) = &r.family_name {
        name["family"] = json!(f);
    }
    let mut names = vec![name];
    if let Some(l) = &r.name_latin {
        names.push(json!({ "use": "usual", "text": l }));
    }
    let mut p = json!({
        "resourceType": "Patient",
        "id": r.member_id,
        "active": true,
        "name": names,
        "gender": gender(r.gender.as_deref()),
    });
    if !config.patient_profiles.is_empty() {
        p["meta"] = json!({ "profile": config.patient_profiles });
    }
    if !identifiers.is_empty() {
        p["identifier"] = json!(identifiers);
    }
    if let Some(d) = r.birth_date.as_deref().and_then(fhir_date) {
        p["birthDate"] = json!(d);
    }
    if let Some(m) = &r.mobile {
        p["telecom"] = json!([{ "system": "phone", "value": m, "use": "mobile" }]);
    }
    let mut address = serde_json::Map::new();
    address.insert("use".into(), json!("home"));
    if let Some(a) = &r.address {
        address.insert("line".into(), json!([a]));
    }
    if let Some(v) = &r.village_name {
        address.insert("city".into(), json!(v));
    }
    if let Some(pin) = &r.pincode {
        address.insert("postalCode".into(), json!(pin));
    }
    address.insert("country".into(), json!("IN"));
    p["address"] = json!([address]);
    p
}

/// A `collection` Bundle of the Patients of `rows`, stamped `now`.
pub fn bundle(rows: &[MemberRow], config: &FhirConfig, now: OffsetDateTime) -> Value {
    let stamp = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default();
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "fullUrl": format!("urn:uuid:{}", r.member_id),
                "resource": patient(r, config),
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "meta": { "versionId": "1", "lastUpdated": stamp },
        "type": "collection",
        "timestamp": stamp,
        "entry": entries,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row() -> MemberRow {
        MemberRow {
            member_id: "0b4c3f1e-8a9d-4e47-9b41-6cdd0c0e7f10".into(),
            household_id: "1b4c3f1e-8a9d-4e47-9b41-6cdd0c0e7f10".into(),
            household_code: Some("K3M9-QXD7".into()),
            state_code: Some(9),
            district_code: Some(118),
            subdistrict_code: None,
            village_code: Some(123_456),
            village_name: Some("रामपुर".into()),
            given_name: "सीता".into(),
            middle_name: None,
            family_name: Some("देवी".into()),
            name_latin: Some("Sita Devi".into()),
            gender: Some("F".into()),
            birth_date: Some("1990".into()),
            mobile: Some("9876543210".into()),
            relation: None,
            address: None,
            pincode: Some("221001".into()),
            abha_number: Some("91628545755116".into()),
            abha_address: Some("sita@abdm".into()),
            enrollment_state: Some("created".into()),
            created_at: Some(1),
        }
    }

    #[test]
    fn identifiers_use_the_configured_systems_and_the_display_form() {
        let mut c = FhirConfig::default();
        let p = patient(&row(), &c);
        assert_eq!(p["identifier"][0]["system"], "https://healthid.ndhm.gov.in");
        assert_eq!(p["identifier"][0]["value"], "91-6285-4575-5116");
        assert_eq!(p["identifier"][0]["type"]["coding"][0]["code"], "HIN");
        assert_eq!(p["identifier"][1]["system"], "https://healthid.abdm.gov.in");
        assert_eq!(p["identifier"][1]["type"]["coding"][0]["code"], "ABHA");
        c.abha_number_system = "https://example.org/abha".into();
        c.hl7_type = false;
        let p = patient(&row(), &c);
        assert_eq!(p["identifier"][0]["system"], "https://example.org/abha");
        assert_eq!(
            p["identifier"][0]["type"]["coding"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn dates_and_genders_map_to_fhir_values() {
        assert_eq!(fhir_date("1990"), Some("1990"));
        assert_eq!(fhir_date("1990-02-03"), Some("1990-02-03"));
        assert_eq!(fhir_date("3/2/1990"), None);
        assert_eq!(gender(Some("O")), "other");
        assert_eq!(gender(None), "unknown");
        let mut r = row();
        r.abha_number = None;
        r.abha_address = None;
        r.birth_date = Some("bad".into());
        let p = patient(&r, &FhirConfig::default());
        assert!(p.get("identifier").is_none());
        assert!(p.get("birthDate").is_none());
    }

    #[test]
    fn bundle_is_a_versioned_collection() {
        let b = bundle(&[row()], &FhirConfig::default(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(b["type"], "collection");
        assert_eq!(b["meta"]["versionId"], "1");
        assert_eq!(b["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(
            b["entry"][0]["fullUrl"],
            format!("urn:uuid:{}", row().member_id)
        );
        assert!(!b.to_string().contains("aadhaar"));
    }

    #[test]
    fn config_file_overrides_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(FhirConfig::load(dir.path()).unwrap(), FhirConfig::default());
        std::fs::write(
            dir.path().join(FhirConfig::FILE),
            r#"{"abha_address_system": "https://phr.abdm.gov.in"}"#,
        )
        .unwrap();
        let c = FhirConfig::load(dir.path()).unwrap();
        assert_eq!(c.abha_address_system, "https://phr.abdm.gov.in");
        assert_eq!(
            c.abha_number_system,
            FhirConfig::default().abha_number_system
        );
        std::fs::write(
            dir.path().join(FhirConfig::FILE),
            r#"{"abha_number_system": "x"}"#,
        )
        .unwrap();
        assert!(FhirConfig::load(dir.path()).is_err());
        std::fs::write(dir.path().join(FhirConfig::FILE), r#"{"nope": 1}"#).unwrap();
        assert!(FhirConfig::load(dir.path()).is_err());
    }
}
