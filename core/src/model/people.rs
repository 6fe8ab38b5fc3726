//! Workers (device operators) and facilities (camps).
//!
//! A worker is the ASHA operating the tablet: her state-issued ASHA id and, if she has one, her
//! Healthcare Professional Registry id. A facility is where enrolments happen: a camp or health
//! facility with its Health Facility Registry id (the hub's HIP identity for Scan & Share).

use serde::{Deserialize, Serialize};

use crate::ids::{FacilityId, WorkerId};
use crate::validate::{self, HfrId, HprId, Issues, ValidationError};

/// A worker as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerDraft {
    /// State-issued ASHA id: 1-32 letters, digits, `-` or `/`.
    pub asha_id: String,
    /// HPR id (14 digits), optional.
    pub hpr_id: Option<String>,
    /// Name.
    pub name: String,
}

/// A worker ready to store, or as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Worker {
    /// Id.
    pub id: WorkerId,
    /// ASHA id.
    pub asha_id: String,
    /// HPR id.
    pub hpr_id: Option<HprId>,
    /// Name.
    pub name: String,
}

impl WorkerDraft {
    /// Validates; codes `asha_id.format`, HPR and name codes.
    pub fn validate(&self) -> Result<Worker, ValidationError> {
        let mut issues = Issues::new();
        let asha = self.asha_id.trim();
        if asha.is_empty()
            || asha.len() > 32
            || !asha
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
        {
            issues.error("asha_id", "asha_id.format");
        }
        let hpr = match self.hpr_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => validate::hpr_id(&mut issues, "hpr_id", h),
        };
        let name = validate::person_name(&mut issues, "name", &self.name);
        issues.finish(())?;
        Ok(Worker {
            id: WorkerId::new(),
            asha_id: asha.to_ascii_uppercase(),
            hpr_id: hpr,
            name: name.unwrap_or_default(),
        })
    }
}

/// Kind of facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// A temporary enrolment camp.
    Camp,
    /// A standing health facility.
    Facility,
}

impl FacilityKind {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Camp => "camp",
            Self::Facility => "facility",
        }
    }
}

/// A facility ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facility {
    /// Id.
    pub id: FacilityId,
    /// HFR id.
    pub hfr_id: HfrId,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: FacilityKind,
}

/// A facility as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityDraft {
    /// HFR id, `IN` + 10 characters.
    pub hfr_id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: FacilityKind,
}

impl FacilityDraft {
    /// Validates; codes `hfr.format` and text codes.
    pub fn validate(&self) -> Result<Facility, ValidationError> {
        let mut issues = Issues::new();
        let hfr = validate::hfr_id(&mut issues, "hfr_id", &self.hfr_id);
        let name = super::text::place_name(&mut issues, "name", &self.name);
        issues.finish(())?;
        match (hfr, name) {
            (Some(hfr_id), Some(name)) => Ok(Facility {
                id: FacilityId::new(),
                hfr_id,
                name,
                kind: self.kind,
            }),
            _ => Err(ValidationError {
                errors: Vec::new(),
                warnings: Vec::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_worker_validation() {
        let w = WorkerDraft {
            asha_id: " up-123/45 ".into(),
            hpr_id: Some("71-4254-8577-4364".into()),
            name: "सुनीता".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(w.asha_id, "UP-123/45");
        assert_eq!(w.hpr_id.unwrap().as_str(), "71425485774364");
        let e = WorkerDraft {
            asha_id: "a b".into(),
            hpr_id: Some("123".into()),
            name: "".into(),
        }
        .validate()
        .unwrap_err();
        let codes: Vec<_> = e.errors.iter().map(|i| i.code.as_str()).collect();
        assert!(codes.contains(&"asha_id.format"));
        assert!(codes.contains(&"hpr.format"));
    }

    #[test]
    fn test_facility_validation() {
        let f = FacilityDraft {
            hfr_id: "in2810014366".into(),
            name: "PHC Budgam camp".into(),
            kind: FacilityKind::Camp,
        }
        .validate()
        .unwrap();
        assert_eq!(f.hfr_id.as_str(), "IN2810014366");
        assert!(
            FacilityDraft {
                hfr_id: "IN123".into(),
                name: "x".into(),
                kind: FacilityKind::Camp
            }
            .validate()
            .is_err()
        );
    }
}
