//! LGD geography masters: states, districts and sub-districts, with their codes.
//!
//! Demographic authentication needs the right state and district LGD codes (abdm.md §2.6), and
//! abdm.md §5 warns the lists differ between sources, so they are not hard-coded: the hub fetches
//! them from ABDM and they reach tablets by sync as [`crate::oplog::EntityKind::Region`] records.
//! Until a tablet's first sync, the snapshot bundled here (`fixtures/lgd/snapshot.json`: J&K and
//! its districts as ABDM's list gives them) serves the forms.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::abdm::LgdState;

/// Level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// A state or union territory.
    State,
    /// A district.
    District,
    /// A sub-district (tehsil, block).
    Subdistrict,
}

impl RegionLevel {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::District => "district",
            Self::Subdistrict => "subdistrict",
        }
    }
}

/// One entry of the masters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Region {
    /// Level.
    pub level: RegionLevel,
    /// LGD code.
    pub code: i64,
    /// The enclosing state (of a district) or district (of a sub-district); 0 for states.
    pub parent_code: i64,
    /// Name as ABDM spells it.
    pub name: String,
}

impl Region {
    /// The record id: derived from level and code, so every hub and tablet agrees.
    pub fn id(&self) -> Uuid {
        const NS: Uuid = Uuid::from_u128(0x2f0c_77d1_4b5e_4a8e_9d3c_61a5_0b7e_c912);
        Uuid::new_v5(
            &NS,
            format!(
                "lgd-{}:{}:{}",
                self.level.code(),
                self.parent_code,
                self.code
            )
            .as_bytes(),
        )
    }
}

/// Flattens ABDM's nested masters into regions, parents first.
pub fn flatten(states: &[LgdState]) -> Vec<Region> {
    let mut out = Vec::new();
    for s in states {
        out.push(Region {
            level: RegionLevel::State,
            code: s.code,
            parent_code: 0,
            name: s.name.clone(),
        });
        for d in &s.districts {
            out.push(Region {
                level: RegionLevel::District,
                code: d.code,
                parent_code: s.code,
                name: d.name.clone(),
            });
            for sd in &d.subdistricts {
                out.push(Region {
                    level: RegionLevel::Subdistrict,
                    code: sd.code,
                    parent_code: d.code,
                    name: sd.name.clone(),
                });
            }
        }
    }
    out
}

/// The bundled snapshot.
pub fn snapshot() -> Vec<Region> {
    let states: Vec<LgdState> =
        serde_json::from_str(include_str!("../../../fixtures/lgd/snapshot.json"))
            .unwrap_or_default();
    flatten(&states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_snapshot_has_jammu_and_kashmir_and_its_districts() {
        let s = snapshot();
        assert!(
            s.iter()
                .any(|r| r.level == RegionLevel::State && r.code == 1)
        );
        let districts: Vec<_> = s
            .iter()
            .filter(|r| r.level == RegionLevel::District && r.parent_code == 1)
            .collect();
        assert_eq!(districts.len(), 20);
        assert!(districts.iter().any(|d| d.code == 627 && d.name == "REASI"));
    }

    #[test]
    fn test_ids_are_stable_and_distinct_per_level() {
        let a = Region {
            level: RegionLevel::State,
            code: 1,
            parent_code: 0,
            name: "x".into(),
        };
        let b = Region {
            level: RegionLevel::District,
            code: 1,
            parent_code: 1,
            name: "x".into(),
        };
        assert_eq!(
            a.id(),
            Region {
                name: "renamed".into(),
                ..a.clone()
            }
            .id()
        );
        assert_ne!(a.id(), b.id());
    }
}
