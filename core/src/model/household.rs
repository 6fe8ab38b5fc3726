//! Households.
//!
//! A household is the unit an ASHA worker visits: a village, an address, optionally a GPS fix, a
//! head member, and a short code printed on a slip left with the family. The code must be made
//! offline by any tablet, read aloud, typed on a phone keypad and survive a smudge, so it is
//! 7 Crockford base-32 symbols taken from the household's random id bits plus a Luhn mod 32
//! check symbol, shown as `K3M9-QXD7`. No letters I, L, O or U; a mistyped symbol or a swap of
//! two neighbours is caught by the check. It is a lookup aid, not an identity: with 35 bits two
//! households in one state may share a code, so lookups by code also show the village.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{HouseholdId, MemberId, VillageId, WorkerId};
use crate::validate::{self, GeoPoint, Issues, Pincode, ValidationError};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The short printable household code.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HouseholdCode([u8; 8]);

fn luhn32_check(data: &[u8]) -> u8 {
    let mut factor = 2u32;
    let mut sum = 0u32;
    for &d in data.iter().rev() {
        let addend = factor * d as u32;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / 32 + addend % 32;
    }
    ((32 - sum % 32) % 32) as u8
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}

impl HouseholdCode {
    /// The code of a household id (a pure function of the id's random bits).
    pub fn from_id(id: &HouseholdId) -> Self {
        let b = id.as_bytes();
        let mut bits = u64::from_be_bytes([0, 0, 0, b[11], b[12], b[13], b[14], b[15]]);
        let mut data = [0u8; 7];
        for d in data.iter_mut().rev() {
            *d = (bits & 31) as u8;
            bits >>= 5;
        }
        let mut out = [0u8; 8];
        out[..7].copy_from_slice(&data);
        out[7] = luhn32_check(&data);
        Self(out)
    }

    /// Parses a typed code. Case, hyphens and spaces are ignored; O reads as 0, I and L as 1.
    /// Codes: `household_code.format`, `household_code.checksum`.
    pub fn parse(issues: &mut Issues, field: &str, input: &str) -> Option<Self> {
        let mut vals = Vec::with_capacity(8);
        for c in input.chars().filter(|c| !matches!(c, '-' | ' ')) {
            match symbol_value(c) {
                Some(v) if vals.len() < 8 => vals.push(v),
                _ => {
                    issues.error(field, "household_code.format");
                    return None;
                }
            }
        }
        let Ok(arr) = <[u8; 8]>::try_from(vals.as_slice()) else {
            issues.error(field, "household_code.format");
            return None;
        };
        if luhn32_check(&arr[..7]) != arr[7] {
            issues.error(field, "household_code.checksum");
            return None;
        }
        Some(Self(arr))
    }
}

impl fmt::Display for HouseholdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &v) in self.0.iter().enumerate() {
            if i == 4 {
                f.write_str("-")?;
            }
            write!(f, "{}", ALPHABET[v as usize] as char)?;
        }
        Ok(())
    }
}

impl fmt::Debug for HouseholdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HouseholdCode({self})")
    }
}

impl From<HouseholdCode> for String {
    fn from(c: HouseholdCode) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for HouseholdCode {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        let mut issues = Issues::new();
        let v = Self::parse(&mut issues, "code", &s);
        match v {
            Some(v) if !issues.has_errors() => Ok(v),
            _ => Err(ValidationError {
                errors: issues.errors,
                warnings: issues.warnings,
            }),
        }
    }
}

/// A household as entered on the form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HouseholdDraft {
    /// The village (see [`VillageId::from_lgd`]).
    pub village_id: Option<VillageId>,
    /// Address line.
    pub address: String,
    /// PIN code, optional.
    #[serde(default)]
    pub pincode: Option<String>,
    /// GPS latitude, optional.
    #[serde(default)]
    pub lat: Option<f64>,
    /// GPS longitude, optional.
    #[serde(default)]
    pub lon: Option<f64>,
}

/// A validated new household, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    /// Fresh id.
    pub id: HouseholdId,
    /// Its code.
    pub code: HouseholdCode,
    /// Village.
    pub village_id: VillageId,
    /// Address.
    pub address: String,
    /// PIN code.
    pub pincode: Option<Pincode>,
    /// GPS fix.
    pub gps: Option<GeoPoint>,
}

impl HouseholdDraft {
    /// Validates every field, reporting all problems at once (`field` names are prefixed with
    /// `prefix`, e.g. `""` or `"household."`).
    pub fn check(&self, issues: &mut Issues, prefix: &str) -> Option<NewHousehold> {
        let village = self.village_id;
        if village.is_none() {
            issues.error(&format!("{prefix}village_id"), "village.required");
        }
        let address = super::text::address(issues, &format!("{prefix}address"), &self.address);
        let mut ok = true;
        let pincode = match self.pincode.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => {
                let v = validate::pincode(issues, &format!("{prefix}pincode"), p);
                ok &= v.is_some();
                v
            }
        };
        let gps = match (self.lat, self.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                let v = validate::gps(issues, &format!("{prefix}gps"), lat, lon);
                ok &= v.is_some();
                v
            }
            _ => {
                issues.error(&format!("{prefix}gps"), "gps.invalid");
                ok = false;
                None
            }
        };
        if !ok {
            return None;
        }
        let id = HouseholdId::new();
        Some(NewHousehold {
            id,
            code: HouseholdCode::from_id(&id),
            village_id: village?,
            address: address?,
            pincode,
            gps,
        })
    }
}

/// A household as stored (read model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    /// Id.
    pub id: HouseholdId,
    /// Printable code.
    pub code: String,
    /// Village.
    pub village_id: Option<VillageId>,
    /// Address.
    pub address: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
    /// Latitude in microdegrees.
    pub lat_e6: Option<i64>,
    /// Longitude in microdegrees.
    pub lon_e6: Option<i64>,
    /// Head of household.
    pub head_member_id: Option<MemberId>,
    /// Who captured it.
    pub created_by: Option<WorkerId>,
    /// When (Unix ms).
    pub created_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_code_round_trips_and_catches_typos() {
        for _ in 0..500 {
            let code = HouseholdCode::from_id(&HouseholdId::new());
            let text = code.to_string();
            assert_eq!(text.len(), 9);
            let mut i = Issues::new();
            assert_eq!(
                HouseholdCode::parse(&mut i, "c", &text.to_lowercase()),
                Some(code.clone())
            );
            // Every single-symbol substitution is caught.
            let raw: Vec<char> = text.replace('-', "").chars().collect();
            for pos in 0..8 {
                for &a in ALPHABET {
                    let a = a as char;
                    if a == raw[pos] {
                        continue;
                    }
                    let mut t = raw.clone();
                    t[pos] = a;
                    let s: String = t.into_iter().collect();
                    let mut i = Issues::new();
                    assert!(HouseholdCode::parse(&mut i, "c", &s).is_none(), "{s}");
                }
            }
        }
    }

    #[test]
    fn test_code_parse_errors() {
        let mut i = Issues::new();
        assert!(HouseholdCode::parse(&mut i, "code", "ABC").is_none());
        assert!(HouseholdCode::parse(&mut i, "code", "K3M9-QXD7-EXTRA").is_none());
        assert!(HouseholdCode::parse(&mut i, "code", "K3M9-QXÜ7").is_none());
        assert!(i.errors.iter().all(|e| e.code == "household_code.format"));
    }

    #[test]
    fn test_draft_reports_every_problem() {
        let d = HouseholdDraft {
            village_id: None,
            address: "".into(),
            pincode: Some("01234".into()),
            lat: Some(91.0),
            lon: None,
        };
        let mut i = Issues::new();
        assert!(d.check(&mut i, "").is_none());
        let fields: Vec<_> = i.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"village_id"));
        assert!(fields.contains(&"address"));
        assert!(fields.contains(&"pincode"));
        assert!(fields.contains(&"gps"));
    }
}
