//! Which fields each entity has, what type they hold, and how concurrent writes to them merge.
//!
//! This table is the contract between the op log, the read tables and the sync merge. An op for
//! an unknown field or with a value of the wrong type is refused before it touches the store.
//! Field names double as column names in the read tables, so only names listed here ever reach
//! SQL text.

use super::{EntityKind, Value};

/// How concurrent writes to one field are reconciled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MergeRule {
    /// Last writer wins by hybrid logical time, ties broken by replica id.
    Lww,
    /// A monotone lattice: the merged value is the join (a later state is never undone by a
    /// stale replica). Used for enrolment state.
    Lattice,
    /// Identity data (ABHA number, Aadhaar token): two concurrent different values raise an
    /// explicit conflict record for a supervisor instead of a silent winner.
    Identity,
    /// An add-wins observed-remove set (household membership).
    AddWinsSet,
}

/// The type of a field's values. `Null` is always allowed (an optional field cleared).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ValueType {
    /// Signed integer.
    Int,
    /// UTF-8 text.
    Text,
    /// Raw bytes; ids are 16 bytes.
    Bytes,
}

impl ValueType {
    /// Whether `v` is of this type (or Null).
    pub fn admits(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (_, Value::Null)
                | (Self::Int, Value::Int(_))
                | (Self::Text, Value::Text(_))
                | (Self::Bytes, Value::Bytes(_))
        )
    }
}

/// One field of one entity kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FieldSpec {
    /// Field name, also the column name in the read table.
    pub name: &'static str,
    /// Value type.
    pub ty: ValueType,
    /// Merge rule.
    pub rule: MergeRule,
}

/// One entity kind and its read table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EntitySpec {
    /// The kind.
    pub kind: EntityKind,
    /// Read table name.
    pub table: &'static str,
    /// Its fields.
    pub fields: &'static [FieldSpec],
}

impl EntitySpec {
    /// The spec of field `name`, if the entity has it.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

const fn f(name: &'static str, ty: ValueType, rule: MergeRule) -> FieldSpec {
    FieldSpec { name, ty, rule }
}

use MergeRule::{AddWinsSet, Identity, Lattice, Lww};
use ValueType::{Bytes, Int, Text};

const VILLAGE: &[FieldSpec] = &[
    f("state_code", Int, Lww),
    f("district_code", Int, Lww),
    f("subdistrict_code", Int, Lww),
    f("village_code", Int, Lww),
    f("name", Text, Lww),
];

const HOUSEHOLD: &[FieldSpec] = &[
    f("village_id", Bytes, Lww),
    f("code", Text, Lww),
    f("address", Text, Lww),
    f("pincode", Text, Lww),
    f("lat_e6", Int, Lww),
    f("lon_e6", Int, Lww),
    f("head_member_id", Bytes, Lww),
    f("created_by", Bytes, Lww),
];

/// The membership field of a member: which household(s) it belongs to.
pub const MEMBER_HOUSEHOLD: &str = "household";

const MEMBER: &[FieldSpec] = &[
    f(MEMBER_HOUSEHOLD, Bytes, AddWinsSet),
    f("given_name", Text, Lww),
    f("middle_name", Text, Lww),
    f("family_name", Text, Lww),
    f("name_latin", Text, Lww),
    f("gender", Text, Lww),
    f("birth_date", Text, Lww),
    f("mobile", Text, Lww),
    f("relation", Text, Lww),
    f("aadhaar_last4", Text, Lww),
    f("aadhaar_token", Bytes, Identity),
    f("abha_number", Text, Identity),
    f("abha_address", Text, Lww),
    f("created_by", Bytes, Lww),
];

const WORKER: &[FieldSpec] = &[
    f("asha_id", Text, Lww),
    f("hpr_id", Text, Lww),
    f("name", Text, Lww),
];

const FACILITY: &[FieldSpec] = &[
    f("hfr_id", Text, Lww),
    f("name", Text, Lww),
    f("kind", Text, Lww),
];

const CONSENT: &[FieldSpec] = &[
    f("member_id", Bytes, Lww),
    f("code", Text, Lww),
    f("version", Text, Lww),
    f("language", Text, Lww),
    f("given_by", Text, Lww),
    f("guardian_name", Text, Lww),
    f("method", Text, Lww),
    f("operator_id", Bytes, Lww),
    f("given_at", Int, Lww),
    f("text_sha256", Text, Lww),
];

const ENROLLMENT: &[FieldSpec] = &[
    f("member_id", Bytes, Lww),
    f("route", Text, Lww),
    f("state", Text, Lattice),
    f("consent_id", Bytes, Lww),
    f("attempt_of", Bytes, Lww),
    f("reason_code", Text, Lww),
    f("abha_number", Text, Identity),
    f("abha_address", Text, Lww),
    f("created_by", Bytes, Lww),
];

const REGION: &[FieldSpec] = &[
    f("level", Text, Lww),
    f("code", Int, Lww),
    f("parent_code", Int, Lww),
    f("name", Text, Lww),
];

/// A supervisor's decision. Each decision is a new, immutable record: the log of decisions is
/// itself data that reaches the tablets of the member's village (a note sent back with a request
/// is read there by the worker). Placed by `member_id`, like consents and enrolments.
const REVIEW: &[FieldSpec] = &[
    f("member_id", Bytes, Lww),
    f("subject_id", Bytes, Lww),
    f("action", Text, Lww),
    f("other_member_id", Bytes, Lww),
    f("reason_code", Text, Lww),
    f("note", Text, Lww),
    f("decided_by", Text, Lww),
    f("decided_at", Int, Lww),
];

const SPECS: [EntitySpec; 9] = [
    EntitySpec {
        kind: EntityKind::Village,
        table: "villages",
        fields: VILLAGE,
    },
    EntitySpec {
        kind: EntityKind::Household,
        table: "households",
        fields: HOUSEHOLD,
    },
    EntitySpec {
        kind: EntityKind::Member,
        table: "members",
        fields: MEMBER,
    },
    EntitySpec {
        kind: EntityKind::Worker,
        table: "workers",
        fields: WORKER,
    },
    EntitySpec {
        kind: EntityKind::Facility,
        table: "facilities",
        fields: FACILITY,
    },
    EntitySpec {
        kind: EntityKind::Consent,
        table: "consents",
        fields: CONSENT,
    },
    EntitySpec {
        kind: EntityKind::Enrollment,
        table: "enrollments",
        fields: ENROLLMENT,
    },
    EntitySpec {
        kind: EntityKind::Region,
        table: "regions",
        fields: REGION,
    },
    EntitySpec {
        kind: EntityKind::Review,
        table: "reviews",
        fields: REVIEW,
    },
];

/// The spec of an entity kind.
pub fn entity(kind: EntityKind) -> &'static EntitySpec {
    // SPECS is ordered by kind code, starting at 1.
    &SPECS[kind.code() as usize - 1]
}

/// Whether the kind's read table has a `created_at` column. It is not a field: it is derived,
/// the earliest op time seen for the entity (a minimum, so it does not depend on arrival order).
pub fn has_created_at(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Household | EntityKind::Member | EntityKind::Enrollment
    )
}

/// The read-table column holding the current element of a set-valued field.
pub fn set_column(kind: EntityKind, field: &str) -> Option<&'static str> {
    match (kind, field) {
        (EntityKind::Member, MEMBER_HOUSEHOLD) => Some("household_id"),
        _ => None,
    }
}

/// The spec of one field, if `kind` has it.
pub fn field(kind: EntityKind, name: &str) -> Option<&'static FieldSpec> {
    entity(kind).field(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_specs_are_indexed_by_kind() {
        for k in EntityKind::ALL {
            assert_eq!(entity(k).kind, k);
        }
    }

    #[test]
    fn test_field_names_are_safe_sql_identifiers() {
        for k in EntityKind::ALL {
            let spec = entity(k);
            assert!(
                spec.table
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
            for fs in spec.fields {
                assert!(
                    fs.name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{}",
                    fs.name
                );
                assert_ne!(fs.name, "id");
            }
        }
    }

    #[test]
    fn test_value_types_admit_null_and_their_own_kind() {
        assert!(ValueType::Int.admits(&Value::Null));
        assert!(ValueType::Int.admits(&Value::Int(3)));
        assert!(!ValueType::Int.admits(&Value::Text("3".into())));
        assert!(ValueType::Bytes.admits(&Value::Bytes(vec![1])));
    }
}
