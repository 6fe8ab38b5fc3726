//! Person names in any Indian script, and their optional Latin transliteration.
//!
//! Why this file exists: demographic authentication compares the name with UIDAI's record and a
//! near miss is a refusal (abdm.md 0.1), so the name must be captured exactly, in the script on
//! the Aadhaar card: Devanagari, Perso-Arabic (Urdu, Kashmiri), Latin and the rest. Restricting
//! names to `[A-Za-z ]` would lock out most of the people the app is for; accepting anything
//! would let digits, emoji and pasted markup reach ABDM.
//!
//! The rule: letters (general category L*) and combining marks (M*) of any script, plus space,
//! `.`, `'` and `-`. Text is NFC-normalised, whitespace runs become one space, U+2019 becomes
//! `'`. ZWNJ/ZWJ (U+200C/U+200D), which Indic and Persian/Urdu spelling needs, are allowed only
//! after a letter or mark and before another allowed character. Tightenings beyond that rule,
//! each a way to smuggle invisible or non-name text past "it is a letter or mark":
//! - a mark must follow a letter, a mark or a joiner (not only "not first": no word may start
//!   with a dangling matra);
//! - enclosing marks (Me), variation selectors, the combining grapheme joiner and the invisible
//!   Hangul filler "letters" are refused.
//!
//! Lengths count Unicode scalar values after normalisation.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use super::{Issues, codes};

/// Longest accepted name, in Unicode scalar values after normalisation.
pub const NAME_MAX_CHARS: usize = 99;

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// What role a character can play in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Mark,
    /// Space, `.`, `'`, `-`.
    Punct,
    /// ZWNJ or ZWJ.
    Joiner,
    /// Anything else: digits, symbols, emoji, controls, invisible fillers...
    Bad,
}

fn class(c: char) -> Class {
    match c {
        ' ' | '.' | '\'' | '-' => Class::Punct,
        ZWNJ | ZWJ => Class::Joiner,
        // Default-ignorable characters whose general category would otherwise let them in:
        // Hangul fillers (Lo), Mongolian free variation selectors, variation selectors and the
        // combining grapheme joiner (Mn).
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{034F}' => Class::Bad,
        '\u{180B}'..='\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => Class::Bad,
        _ => match c.general_category_group() {
            GeneralCategoryGroup::Letter => Class::Letter,
            GeneralCategoryGroup::Mark
                if c.general_category() != GeneralCategory::EnclosingMark =>
            {
                Class::Mark
            }
            _ => Class::Bad,
        },
    }
}

/// Latin letters: ASCII, Latin-1 Supplement and Extended-A/B, Latin Extended Additional.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (('\u{00C0}'..='\u{024F}').contains(&c) && c != '\u{00D7}' && c != '\u{00F7}')
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// Combining diacritics used with Latin letters (the few NFC does not compose).
fn is_latin_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// NFC, whitespace runs to one space, U+2019 to `'`, trimmed. Idempotent.
fn normalise(input: &str) -> String {
    let mut collapsed = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.nfc() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !collapsed.is_empty() {
            collapsed.push(' ');
        }
        pending_space = false;
        collapsed.push(if c == '\u{2019}' { '\'' } else { c });
    }
    // The edits above only replace or drop starters, so this is normally a no-op; it makes
    // the result NFC by construction.
    collapsed.nfc().collect()
}

/// Which script the letters must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Any,
    Latin,
}

/// Validates a person's name in any script (see the module doc). Returns the normalised name.
///
/// Codes: `name.required`, `name.chars`, `name.too_long` (param `max`), `name.no_letter`.
pub fn person_name(issues: &mut Issues, field: &str, input: &str) -> Option<String> {
    let name = normalise(input);
    if name.is_empty() {
        issues.error(field, codes::NAME_REQUIRED);
        return None;
    }
    check(issues, field, name, Script::Any)
}

/// Validates the optional Latin transliteration of a name: the rules of [`person_name`], and
/// every letter and mark must be Latin (`name.not_latin`). ZWNJ/ZWJ have no use in Latin
/// text and are refused here with `name.not_latin` too.
///
/// The field is optional: empty (or all-whitespace) input returns `None` without an issue.
pub fn latin_name(issues: &mut Issues, field: &str, input: &str) -> Option<String> {
    let name = normalise(input);
    if name.is_empty() {
        return None;
    }
    check(issues, field, name, Script::Latin)
}

/// Checks an already normalised, non-empty name.
fn check(issues: &mut Issues, field: &str, name: String, script: Script) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let classes: Vec<Class> = chars.iter().map(|c| class(*c)).collect();
    let mut bad_char = false;
    let mut not_latin = false;
    let mut has_letter = false;
    for (i, (&c, &cls)) in chars.iter().zip(&classes).enumerate() {
        let prev = i.checked_sub(1).and_then(|j| classes.get(j)).copied();
        let next = classes.get(i + 1).copied();
        match cls {
            Class::Letter => {
                has_letter = true;
                not_latin |= script == Script::Latin && !is_latin_letter(c);
            }
            Class::Mark => {
                let attached = matches!(prev, Some(Class::Letter | Class::Mark | Class::Joiner));
                bad_char |= !attached;
                not_latin |= script == Script::Latin && !is_latin_mark(c);
            }
            Class::Joiner => {
                let after = matches!(prev, Some(Class::Letter | Class::Mark));
                let before = matches!(next, Some(Class::Letter | Class::Mark | Class::Punct));
                bad_char |= !(after && before);
                not_latin |= script == Script::Latin;
            }
            Class::Punct => {}
            Class::Bad => bad_char = true,
        }
    }
    let mut ok = true;
    if bad_char {
        issues.error(field, codes::NAME_CHARS);
        ok = false;
    } else if !has_letter {
        issues.error(field, codes::NAME_NO_LETTER);
        ok = false;
    }
    if not_latin {
        issues.error(field, codes::NAME_NOT_LATIN);
        ok = false;
    }
    if chars.len() > NAME_MAX_CHARS {
        issues.error_with(
            field,
            codes::NAME_TOO_LONG,
            &[("max", NAME_MAX_CHARS.to_string())],
        );
        ok = false;
    }
    ok.then_some(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check_name(input: &str) -> (Option<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = person_name(&mut issues, "name", input);
        (out, issues.errors.iter().map(|i| i.code.clone()).collect())
    }

    fn check_latin(input: &str) -> (Option<String>, Vec<String>) {
        let mut issues = Issues::new();
        let out = latin_name(&mut issues, "name_latin", input);
        (out, issues.errors.iter().map(|i| i.code.clone()).collect())
    }

    #[test]
    fn test_name_devanagari() {
        for name in ["सीता देवी", "लक्ष्मी", "श्रीमती कृष्णा", "अंजलि", "ज़ैनब"]
        {
            let (out, errs) = check_name(name);
            let nfc: String = name.nfc().collect();
            assert_eq!(out.as_deref(), Some(nfc.as_str()), "{name}: {errs:?}");
        }
        // Decomposed nukta (क + ़) and precomposed क़ (U+0958) normalise alike.
        assert_eq!(check_name("\u{0958}").0, check_name("\u{0915}\u{093C}").0);
    }

    #[test]
    fn test_name_urdu_and_kashmiri() {
        for name in [
            "محمد عارف",
            "فاطمہ",
            "عائشہ بیگم",
            "غلام محمد بٹ",
            "کٲشُر",            // Kashmiri: U+0672 alef with wavy hamza, U+064F damma
            "مۄہنۍ",           // Kashmiri vowel letters U+06C4, U+06CD
            "شؠخ",             // Kashmiri yeh U+0620
            "می\u{200C}خواهم", // ZWNJ between Perso-Arabic letters
        ] {
            let (out, errs) = check_name(name);
            assert!(out.is_some(), "{name}: {errs:?}");
        }
    }

    #[test]
    fn test_name_other_indic_scripts_with_joiners() {
        for name in [
            "ශ්\u{200D}රී",  // Sinhala: ZWJ between virama and letter
            "র\u{200D}্যাব", // Bengali ya-phala: ZWJ before a virama
            "அருண் குமார்",   // Tamil
            "ਗੁਰਪ੍ਰੀਤ ਕੌਰ",   // Gurmukhi
        ] {
            let (out, errs) = check_name(name);
            assert!(out.is_some(), "{name}: {errs:?}");
        }
    }

    #[test]
    fn test_name_latin_punctuation() {
        for (input, expected) in [
            ("D'Souza", "D'Souza"),
            ("D\u{2019}Souza", "D'Souza"),
            ("Ram-Kumar", "Ram-Kumar"),
            ("K. Ramesh", "K. Ramesh"),
            ("  K.   Ramesh\t\n", "K. Ramesh"),
            ("Jose\u{0301}", "José"),
            ("Zoë\u{00A0}Fernandes", "Zoë Fernandes"),
        ] {
            assert_eq!(check_name(input).0.as_deref(), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn test_name_rejections() {
        for (input, code) in [
            ("", "name.required"),
            (" \t ", "name.required"),
            ("Sita2", "name.chars"),
            ("सीता४", "name.chars"),  // Devanagari digit
            ("فاطمہ۲", "name.chars"), // Extended Arabic-Indic digit
            ("Ram 😀", "name.chars"),
            ("<script>", "name.chars"),
            ("Ram_Kumar", "name.chars"),
            ("Ram\u{FE0F}", "name.chars"), // variation selector is a mark, still refused
            ("Ram\u{20DD}", "name.chars"), // enclosing circle
            ("\u{3164}", "name.chars"),    // Hangul filler: an invisible "letter"
            ("Ram\u{200B}", "name.chars"), // zero-width space
            ("\u{093F}सीता", "name.chars"), // starts with a matra
            ("सीता \u{093F}", "name.chars"), // matra after a space
            ("\u{200D}सीता", "name.chars"), // joiner first
            ("सीता\u{200D}", "name.chars"), // joiner last
            ("सी\u{200C}\u{200C}ता", "name.chars"),
            ("Ram\u{0000}", "name.chars"),
            ("...", "name.no_letter"),
            ("- '", "name.no_letter"),
        ] {
            let (out, errs) = check_name(input);
            assert!(out.is_none(), "{input:?}");
            assert_eq!(errs, [code], "{input:?}");
        }
    }

    #[test]
    fn test_name_length_limit() {
        let max = "क".repeat(NAME_MAX_CHARS);
        assert_eq!(check_name(&max).0.as_deref(), Some(max.as_str()));
        let (out, errs) = check_name(&"क".repeat(NAME_MAX_CHARS + 1));
        assert!(out.is_none());
        assert_eq!(errs, ["name.too_long"]);
        let mut issues = Issues::new();
        person_name(&mut issues, "name", &"a".repeat(1_000_000));
        assert_eq!(issues.errors[0].params["max"], "99");
        // Counted after normalisation: 99 letters separated by long whitespace runs still fit.
        let spaced = "a   ".repeat(50);
        assert!(check_name(&spaced).0.is_some());
    }

    #[test]
    fn test_latin_name_accepts_latin() {
        for (input, expected) in [
            ("Sita Devi", "Sita Devi"),
            ("D\u{2019}Souza", "D'Souza"),
            ("Łukasz Ñúñez", "Łukasz Ñúñez"),
            ("Nguyễn", "Nguyễn"),
        ] {
            assert_eq!(check_latin(input).0.as_deref(), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn test_latin_name_rejects_other_scripts() {
        assert_eq!(check_latin("सीता").1, ["name.not_latin"]);
        assert_eq!(check_latin("Sita सीता").1, ["name.not_latin"]);
        assert_eq!(check_latin("Αθηνά").1, ["name.not_latin"]);
        assert_eq!(check_latin("Sita\u{200C}Devi").1, ["name.not_latin"]);
        assert_eq!(check_latin("सीता4").1, ["name.chars", "name.not_latin"]);
        assert_eq!(check_latin("Sita 4").1, ["name.chars"]);
    }

    #[test]
    fn test_latin_name_is_optional() {
        let mut issues = Issues::new();
        assert_eq!(latin_name(&mut issues, "name_latin", "   "), None);
        assert!(issues.is_empty());
    }

    #[test]
    fn test_name_normalisation_idempotent() {
        for input in [
            "  K.   Ramesh ",
            "Jose\u{0301}",
            "र\u{200D}्याब",
            "D\u{2019}Souza",
        ] {
            let once = check_name(input).0.unwrap();
            assert_eq!(check_name(&once).0.as_deref(), Some(once.as_str()));
        }
    }
}
