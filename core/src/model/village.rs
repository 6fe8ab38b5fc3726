//! Villages and their LGD codes.
//!
//! Every household belongs to a village identified by its Local Government Directory codes:
//! state, district, sub-district and village. ABDM's demographic authentication needs the state
//! and district codes, coverage reports group by them, and the hub scopes sync by village. Codes
//! are positive integers; Jammu & Kashmir is state 1. Which codes exist is master data fetched
//! from ABDM by the hub (abdm.md §5 warns against hard-coding the lists), so this module checks
//! only the shape of a code, never that a particular number exists.

use serde::{Deserialize, Serialize};

use crate::ids::VillageId;
use crate::validate::Issues;

/// The four LGD codes of a village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LgdCodes {
    /// State code (J&K = 1).
    pub state: u32,
    /// District code.
    pub district: u32,
    /// Sub-district (tehsil/taluk/block) code.
    pub subdistrict: u32,
    /// Village code.
    pub village: u32,
}

/// The largest code accepted: LGD village codes are 6 digits today; leave room.
const MAX_CODE: u32 = 99_999_999;

impl LgdCodes {
    /// Checks the shape of each code; errors are pushed to `issues` under `lgd.<part>`.
    pub fn check(&self, issues: &mut Issues) {
        for (field, v) in [
            ("state_code", self.state),
            ("district_code", self.district),
            ("subdistrict_code", self.subdistrict),
            ("village_code", self.village),
        ] {
            if v == 0 || v > MAX_CODE {
                issues.error(field, "lgd.code");
            }
        }
        // State codes are at most two digits in every published list.
        if self.state > 99 {
            issues.error("state_code", "lgd.state");
        }
    }
}

/// A village (master data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    /// Derived from the village code.
    pub id: VillageId,
    /// LGD codes.
    pub lgd: LgdCodes,
    /// Name as published (any script).
    pub name: String,
}

/// A village as entered (by an organiser or from the bundled master).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageDraft {
    /// LGD codes.
    pub lgd: LgdCodes,
    /// Name.
    pub name: String,
}

impl VillageDraft {
    /// Validates the codes and the name (a place name: letters, marks, digits, spaces and common
    /// punctuation, 1-99 characters).
    pub fn validate(&self) -> Result<Village, crate::validate::ValidationError> {
        let mut issues = Issues::new();
        self.lgd.check(&mut issues);
        let name = super::text::place_name(&mut issues, "name", &self.name);
        issues.finish(())?;
        Ok(Village {
            id: VillageId::from_lgd(self.lgd.village),
            lgd: self.lgd,
            name: name.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_village_validates_codes_and_name() {
        let ok = VillageDraft {
            lgd: LgdCodes {
                state: 1,
                district: 5,
                subdistrict: 22,
                village: 1234,
            },
            name: "गाँव 2".into(),
        };
        let v = ok.validate().unwrap();
        assert_eq!(v.id, VillageId::from_lgd(1234));
        let bad = VillageDraft {
            lgd: LgdCodes {
                state: 100,
                district: 0,
                subdistrict: 1,
                village: 1,
            },
            name: " ".into(),
        };
        let e = bad.validate().unwrap_err();
        let codes: Vec<_> = e
            .errors
            .iter()
            .map(|i| (i.field.as_str(), i.code.as_str()))
            .collect();
        assert!(codes.contains(&("district_code", "lgd.code")));
        assert!(codes.contains(&("state_code", "lgd.state")));
        assert!(codes.contains(&("name", "text.required")));
    }
}
