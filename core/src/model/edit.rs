//! Corrections to existing records.
//!
//! A patch names only the fields the worker changed: each becomes one op, so a correction on one
//! tablet and a different correction on another both survive (last writer wins per field, not
//! per record). `None` leaves a field alone; `Some("")` clears an optional field. Every present
//! field is validated like on the capture form, all problems reported at once.

use serde::{Deserialize, Serialize};

use super::member::Relation;
use crate::oplog::Value;
use crate::validate::{self, AddressPolicy, Issues, ValidationError};

/// Changes to a member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemberPatch {
    /// Given name (cannot be cleared).
    pub given_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin transliteration.
    pub name_latin: Option<String>,
    /// `M`/`F`/`O`.
    pub gender: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Relation to head.
    pub relation: Option<String>,
    /// ABHA number.
    pub abha_number: Option<String>,
    /// ABHA address.
    pub abha_address: Option<String>,
}

fn text(v: Option<String>) -> Value {
    Value::opt_text(v)
}

impl MemberPatch {
    /// Validates the present fields and returns them as `(field, value)` pairs.
    pub fn check(&self, today: time::Date) -> Result<Vec<(&'static str, Value)>, ValidationError> {
        let mut i = Issues::new();
        let mut out: Vec<(&'static str, Value)> = Vec::new();
        let cleared = |s: &str| s.trim().is_empty();
        if let Some(s) = &self.given_name {
            out.push((
                "given_name",
                text(validate::person_name(&mut i, "given_name", s)),
            ));
        }
        for (field, v) in [
            ("middle_name", &self.middle_name),
            ("family_name", &self.family_name),
        ] {
            if let Some(s) = v {
                let val = if cleared(s) {
                    Value::Null
                } else {
                    text(validate::person_name(&mut i, field, s))
                };
                out.push((field, val));
            }
        }
        if let Some(s) = &self.name_latin {
            let val = if cleared(s) {
                Value::Null
            } else {
                text(validate::latin_name(&mut i, "name_latin", s))
            };
            out.push(("name_latin", val));
        }
        if let Some(s) = &self.gender {
            let g = validate::gender(&mut i, "gender", s);
            out.push(("gender", text(g.map(|g| g.code().to_owned()))));
        }
        if let Some(s) = &self.birth_date {
            let d = validate::birth_date(&mut i, "birth_date", s, today);
            out.push(("birth_date", text(d.map(|d| d.to_string()))));
        }
        if let Some(s) = &self.mobile {
            let val = if cleared(s) {
                Value::Null
            } else {
                text(validate::mobile(&mut i, "mobile", s).map(|m| m.as_str().to_owned()))
            };
            out.push(("mobile", val));
        }
        if let Some(s) = &self.relation {
            match Relation::parse(s) {
                Some(r) => out.push(("relation", Value::Text(r.code().to_owned()))),
                None => i.error("relation", "relation.invalid"),
            }
        }
        if let Some(s) = &self.abha_number {
            let val = if cleared(s) {
                Value::Null
            } else {
                text(validate::abha_number(&mut i, "abha_number", s).map(|a| a.as_str().to_owned()))
            };
            out.push(("abha_number", val));
        }
        if let Some(s) = &self.abha_address {
            let val = if cleared(s) {
                Value::Null
            } else {
                text(
                    validate::abha_address(&mut i, "abha_address", s, AddressPolicy::Read)
                        .map(|a| a.to_string()),
                )
            };
            out.push(("abha_address", val));
        }
        i.finish(out).map(|c| c.value)
    }
}

/// Changes to a household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HouseholdPatch {
    /// Address line (cannot be cleared).
    pub address: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
}

impl HouseholdPatch {
    /// Validates the present fields and returns them as `(field, value)` pairs.
    pub fn check(&self) -> Result<Vec<(&'static str, Value)>, ValidationError> {
        let mut i = Issues::new();
        let mut out = Vec::new();
        if let Some(s) = &self.address {
            out.push(("address", text(super::text::address(&mut i, "address", s))));
        }
        if let Some(s) = &self.pincode {
            let val = if s.trim().is_empty() {
                Value::Null
            } else {
                text(validate::pincode(&mut i, "pincode", s).map(|p| p.as_str().to_owned()))
            };
            out.push(("pincode", val));
        }
        i.finish(out).map(|c| c.value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_patch_reports_all_errors_and_clears_optional_fields() {
        let today = time::macros::date!(2026 - 11 - 22);
        let p = MemberPatch {
            family_name: Some(" ".into()),
            mobile: Some("9419012345".into()),
            ..Default::default()
        };
        let f = p.check(today).unwrap();
        assert_eq!(f[0], ("family_name", Value::Null));
        assert_eq!(f[1], ("mobile", Value::Text("9419012345".into())));
        let bad = MemberPatch {
            given_name: Some("".into()),
            gender: Some("X".into()),
            relation: Some("cousin".into()),
            ..Default::default()
        };
        let e = bad.check(today).unwrap_err();
        assert_eq!(e.errors.len(), 3);
        assert!(
            HouseholdPatch {
                pincode: Some("12".into()),
                ..Default::default()
            }
            .check()
            .is_err()
        );
    }
}
