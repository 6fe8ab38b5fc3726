//! Stable machine codes for every validation problem.
//!
//! Why this file exists: the Android UI and the hub turn codes into translated messages
//! (Hindi, Urdu, Kashmiri, English...), and sync reports store them. A code is therefore an API:
//! never rename or reuse one, only add. The form is `<prefix>.<problem>`; the prefix names the
//! kind of value, not the form field (the field travels separately in [`super::Issue`]).

// Aadhaar number (abdm.md 1.3).
/// Empty Aadhaar number.
pub const AADHAAR_REQUIRED: &str = "aadhaar.required";
/// A character other than a digit, or a space/hyphen not between digits.
pub const AADHAAR_FORMAT: &str = "aadhaar.format";
/// Not exactly 12 digits. Param `expected`.
pub const AADHAAR_LENGTH: &str = "aadhaar.length";
/// Starts with 0 or 1.
pub const AADHAAR_FIRST_DIGIT: &str = "aadhaar.first_digit";
/// Verhoeff check digit wrong: almost certainly a typo.
pub const AADHAAR_CHECKSUM: &str = "aadhaar.checksum";

// Virtual ID (abdm.md 1.3).
/// Empty VID.
pub const VID_REQUIRED: &str = "vid.required";
/// A character other than a digit, or a misplaced separator.
pub const VID_FORMAT: &str = "vid.format";
/// Not exactly 16 digits. Param `expected`.
pub const VID_LENGTH: &str = "vid.length";

// ABHA number (abdm.md 1.1).
/// Empty ABHA number.
pub const ABHA_NUMBER_REQUIRED: &str = "abha_number.required";
/// A character other than a digit, or a misplaced separator.
pub const ABHA_NUMBER_FORMAT: &str = "abha_number.format";
/// Not exactly 14 digits. Param `expected`.
pub const ABHA_NUMBER_LENGTH: &str = "abha_number.length";
/// Warning only: Luhn check digit wrong (the ABDM rule is UNCONFIRMED).
pub const ABHA_NUMBER_CHECKSUM: &str = "abha_number.checksum";

// ABHA address (abdm.md 1.2).
/// Empty ABHA address.
pub const ABHA_ADDRESS_REQUIRED: &str = "abha_address.required";
/// Handle not 8 to 18 characters. Params `min`, `max`.
pub const ABHA_ADDRESS_LENGTH: &str = "abha_address.length";
/// Handle has a character other than ASCII letters, digits, `.` and `_`.
pub const ABHA_ADDRESS_CHARS: &str = "abha_address.chars";
/// Handle has more than one `.` or more than one `_`.
pub const ABHA_ADDRESS_SPECIAL_COUNT: &str = "abha_address.special_count";
/// Handle starts or ends with `.` or `_`.
pub const ABHA_ADDRESS_SPECIAL_POSITION: &str = "abha_address.special_position";
/// Handle starts with a digit (and is not a 14-digit ABHA number).
pub const ABHA_ADDRESS_LEADING_DIGIT: &str = "abha_address.leading_digit";
/// Suffix refused: malformed, or not allowed for a new address (e.g. `@ndhm`).
pub const ABHA_ADDRESS_SUFFIX: &str = "abha_address.suffix";
/// Warning only (reading): a well-formed suffix we do not know.
pub const ABHA_ADDRESS_SUFFIX_UNKNOWN: &str = "abha_address.suffix_unknown";
/// Warning only (reading): handle meets only the older, looser ABHA address policy.
pub const ABHA_ADDRESS_LEGACY_FORMAT: &str = "abha_address.legacy_format";

// Mobile number (abdm.md 1.3).
/// Empty mobile number.
pub const MOBILE_REQUIRED: &str = "mobile.required";
/// A character other than digits/separators, or a country code other than +91.
pub const MOBILE_FORMAT: &str = "mobile.format";
/// Not 10 digits (after removing +91, 91 or 0). Param `expected`.
pub const MOBILE_LENGTH: &str = "mobile.length";
/// Does not start with 6, 7, 8 or 9.
pub const MOBILE_FIRST_DIGIT: &str = "mobile.first_digit";

// PIN code.
/// Empty PIN code.
pub const PINCODE_REQUIRED: &str = "pincode.required";
/// Not six digits starting with 1-9.
pub const PINCODE_FORMAT: &str = "pincode.format";

// Facility and professional registries (abdm.md 5).
/// Empty HFR facility id.
pub const HFR_REQUIRED: &str = "hfr.required";
/// Not `IN` followed by 10 letters or digits.
pub const HFR_FORMAT: &str = "hfr.format";
/// Empty HPR professional id.
pub const HPR_REQUIRED: &str = "hpr.required";
/// Not 14 digits.
pub const HPR_FORMAT: &str = "hpr.format";

// Person names.
/// Empty name.
pub const NAME_REQUIRED: &str = "name.required";
/// A character that is not a letter, mark or allowed punctuation, or one misplaced.
pub const NAME_CHARS: &str = "name.chars";
/// Longer than 99 characters. Param `max`.
pub const NAME_TOO_LONG: &str = "name.too_long";
/// Only punctuation, no letter.
pub const NAME_NO_LETTER: &str = "name.no_letter";
/// A letter (or mark, joiner) outside the Latin script in a Latin transliteration.
pub const NAME_NOT_LATIN: &str = "name.not_latin";

// Date or year of birth.
/// Empty date of birth.
pub const DOB_REQUIRED: &str = "dob.required";
/// Neither `YYYY-MM-DD` nor `YYYY`.
pub const DOB_FORMAT: &str = "dob.format";
/// Shaped like a date but no such day (e.g. 2023-02-30).
pub const DOB_INVALID: &str = "dob.invalid";
/// After today.
pub const DOB_FUTURE: &str = "dob.future";
/// Age above 120. Param `max_age`.
pub const DOB_TOO_OLD: &str = "dob.too_old";

// Gender.
/// Empty gender.
pub const GENDER_REQUIRED: &str = "gender.required";
/// Not one of M, F, O (or T).
pub const GENDER_INVALID: &str = "gender.invalid";

// GPS fix of the household.
/// Not a number, or latitude/longitude out of range.
pub const GPS_INVALID: &str = "gps.invalid";
/// Warning only: outside India's bounding box.
pub const GPS_OUTSIDE_INDIA: &str = "gps.outside_india";

/// Every code above, for exhaustive checks (e.g. the UI's message table).
pub const ALL: &[&str] = &[
    AADHAAR_REQUIRED,
    AADHAAR_FORMAT,
    AADHAAR_LENGTH,
    AADHAAR_FIRST_DIGIT,
    AADHAAR_CHECKSUM,
    VID_REQUIRED,
    VID_FORMAT,
    VID_LENGTH,
    ABHA_NUMBER_REQUIRED,
    ABHA_NUMBER_FORMAT,
    ABHA_NUMBER_LENGTH,
    ABHA_NUMBER_CHECKSUM,
    ABHA_ADDRESS_REQUIRED,
    ABHA_ADDRESS_LENGTH,
    ABHA_ADDRESS_CHARS,
    ABHA_ADDRESS_SPECIAL_COUNT,
    ABHA_ADDRESS_SPECIAL_POSITION,
    ABHA_ADDRESS_LEADING_DIGIT,
    ABHA_ADDRESS_SUFFIX,
    ABHA_ADDRESS_SUFFIX_UNKNOWN,
    ABHA_ADDRESS_LEGACY_FORMAT,
    MOBILE_REQUIRED,
    MOBILE_FORMAT,
    MOBILE_LENGTH,
    MOBILE_FIRST_DIGIT,
    PINCODE_REQUIRED,
    PINCODE_FORMAT,
    HFR_REQUIRED,
    HFR_FORMAT,
    HPR_REQUIRED,
    HPR_FORMAT,
    NAME_REQUIRED,
    NAME_CHARS,
    NAME_TOO_LONG,
    NAME_NO_LETTER,
    NAME_NOT_LATIN,
    DOB_REQUIRED,
    DOB_FORMAT,
    DOB_INVALID,
    DOB_FUTURE,
    DOB_TOO_OLD,
    GENDER_REQUIRED,
    GENDER_INVALID,
    GPS_INVALID,
    GPS_OUTSIDE_INDIA,
];

/// Codes of whole forms and records rather than single identifiers (written where the rule
/// lives, listed here so the apps' message tables can be checked for completeness).
pub const FORM: &[&str] = &[
    "text.required",
    "text.chars",
    "text.too_long",
    "relation.invalid",
    "relation.second_head",
    "village.required",
    "village.unknown",
    "household_code.format",
    "household_code.checksum",
    "lgd.code",
    "lgd.state",
    "asha_id.format",
    "consent.version",
    "consent.language",
    "consent.text",
    "consent.guardian_required",
    "consent.operator_required",
    "consent.missing",
    "id.format",
    AADHAAR_DUPLICATE,
    AADHAAR_NO_SEALING_KEY,
    MEMBER_POSSIBLE_DUPLICATE,
];

/// Warning: this Aadhaar number (its keyed token) is already on the device. Param `member_id`.
pub const AADHAAR_DUPLICATE: &str = "aadhaar.duplicate";
/// Warning: this person looks like one already recorded (similar name in any script, compatible
/// birth, the same household or mobile; see `dedup`). Params `member_id` (a stored member) or
/// `member_index` (an earlier member of the same form), and `reasons` (comma-separated codes
/// such as `similar_name,same_birth_year,same_mobile`).
pub const MEMBER_POSSIBLE_DUPLICATE: &str = "member.possible_duplicate";
/// No hub key to seal an Aadhaar number to yet (the device is not enrolled).
pub const AADHAAR_NO_SEALING_KEY: &str = "aadhaar.no_sealing_key";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn test_codes_unique_and_well_formed() {
        let unique: BTreeSet<_> = ALL.iter().collect();
        assert_eq!(unique.len(), ALL.len());
        for code in ALL {
            let (prefix, problem) = code.split_once('.').expect("prefix.problem");
            assert!(!prefix.is_empty() && !problem.is_empty(), "{code}");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{code}"
            );
        }
    }
}
