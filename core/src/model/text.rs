//! Free-text fields that are not personal names: addresses and place names.
//!
//! Addresses are written in any script and contain house numbers, so digits of any script and
//! common punctuation are allowed. What is refused is what breaks printing, exports or display:
//! control characters, other format characters (bidi overrides), symbols and emoji. Text is
//! NFC-normalised and whitespace is collapsed, so equal addresses compare equal.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::validate::Issues;

/// Longest address, in characters.
pub const MAX_ADDRESS: usize = 200;
/// Longest place name, in characters.
pub const MAX_PLACE_NAME: usize = 99;

const PUNCT: &[char] = &[
    ',', '.', '/', '-', '#', '(', ')', '\'', '&', ':', ';', '\u{2019}', '\u{0964}', '\u{06D4}',
    '\u{060C}',
];

fn allowed(c: char) -> bool {
    c == ' '
        || PUNCT.contains(&c)
        // ZWNJ / ZWJ are part of Indic and Perso-Arabic spelling.
        || c == '\u{200C}'
        || c == '\u{200D}'
        || matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark | GeneralCategoryGroup::Number
        )
}

/// NFC-normalises, collapses whitespace and checks characters and length. Codes: `text.required`,
/// `text.chars`, `text.too_long` (param `max`).
fn free_text(issues: &mut Issues, field: &str, input: &str, max: usize) -> Option<String> {
    let nfc: String = input.nfc().collect();
    let collapsed = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        issues.error(field, "text.required");
        return None;
    }
    if !collapsed.chars().all(allowed) {
        issues.error(field, "text.chars");
        return None;
    }
    if collapsed.chars().count() > max {
        issues.error_with(field, "text.too_long", &[("max", max.to_string())]);
        return None;
    }
    Some(collapsed)
}

/// A postal address line.
pub fn address(issues: &mut Issues, field: &str, input: &str) -> Option<String> {
    free_text(issues, field, input, MAX_ADDRESS)
}

/// A village, district or facility name.
pub fn place_name(issues: &mut Issues, field: &str, input: &str) -> Option<String> {
    free_text(issues, field, input, MAX_PLACE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str) -> (Option<String>, Vec<String>) {
        let mut i = Issues::new();
        let v = address(&mut i, "address", input);
        (v, i.errors.into_iter().map(|e| e.code).collect())
    }

    #[test]
    fn test_address_accepts_scripts_digits_and_punctuation() {
        assert_eq!(
            check("  H.No. 12/3,  वार्ड ४ ").0.as_deref(),
            Some("H.No. 12/3, वार्ड ४")
        );
        assert!(check("مکان نمبر ۵، سری نگر").0.is_some());
    }

    #[test]
    fn test_address_refuses_controls_emoji_and_overlong() {
        assert_eq!(check("a\u{202E}b").1, vec!["text.chars"]);
        assert_eq!(check("house 🏠").1, vec!["text.chars"]);
        assert_eq!(check("").1, vec!["text.required"]);
        assert_eq!(check(&"a".repeat(201)).1, vec!["text.too_long"]);
    }
}
