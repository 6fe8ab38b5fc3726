//! Names in any script to Latin, then to a phonetic skeleton that spellings of one name share.
//!
//! Why this file exists: one person is written "सुनीता देवी" on one tablet, "Sunita Devi" or
//! "Suneeta Debi" on another, "سنیتا دیوی" in Urdu, "ਸੁਨੀਤਾ ਦੇਵੀ" in Gurmukhi and "সুনীতা দেবী" in
//! Bengali. A string distance on the raw text sees nothing in common. Two steps bring them
//! together:
//!
//! 1. [`tokens`]: every script to lower-case ASCII with `any_ascii`, with three repairs where its
//!    letter-by-letter output loses what matters for names. Brahmic consonants (Devanagari,
//!    Bengali, Gurmukhi, ...) get their inherent vowel back (`any_ascii` writes "ममता" as "mmta",
//!    which would look like a doubled consonant); anusvara, tippi and candrabindu become `n`;
//!    Perso-Arabic letters that Urdu pronounces alike get one Latin letter (ض ذ ظ ز are all `z`,
//!    ث ص س are `s`), alif and ain become `a` (so a name keeps its leading vowel) and waw is kept
//!    apart, since it is a consonant (v/w) or a vowel (o/u) depending on the word.
//! 2. [`skeleton`]: the consonant skeleton most Indian-name spellings agree on. Aspirates and
//!    digraphs fold (`bh` `b`, `dh` `d`, `th` `t`, `kh` `k`, `gh` `g`, `ph` `f`, `sh` `s`,
//!    `ch` `c`, `zh`/`z` `j`, `q` `k`, `x` `ks`), v, w and b are one letter (Bengali writes
//!    Devi as Debi, Kashmiri Wani is Hindi Vani), `n` before `p`/`b` is `m` (anusvara spelled
//!    either way), letters doubled in writing count once, and then every vowel, `y` and `h`
//!    after the first letter is dropped: scripts disagree most about vowels (Urdu rarely writes
//!    short ones; "ee", "i" and "ī" are one sound). A leading vowel is kept as `a`, whatever it
//!    was (Urdu cannot tell them apart).
//!
//! Urdu waw has no single right reading, so a Perso-Arabic token has up to three skeletons (waw
//! as a consonant where a vowel letter follows it, always, or never) and matching takes the best. Everything
//! here is total: any input gives some tokens (perhaps none), never a panic, and the work per
//! field is capped (names are at most 99 characters once validated).

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Characters read from one name field; the rest is ignored.
const MAX_FIELD_CHARS: usize = 256;
/// Tokens kept from one name (given, middle and family together).
pub(super) const MAX_TOKENS: usize = 12;
/// Letters kept in one skeleton.
const MAX_SKELETON: usize = 32;

/// One word of a name after transliteration.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct RawToken {
    /// Lower-case ASCII letters (never empty).
    pub(super) text: String,
    /// Some letter came from the Perso-Arabic script (waw is then ambiguous).
    pub(super) arabic: bool,
}

/// Waw as read from Perso-Arabic script, before deciding whether it is a consonant.
const WAW: u8 = b'W';

/// The words of `text`, transliterated. Separators are anything that is neither a letter nor a
/// mark (spaces, punctuation, digits, symbols, emoji); apostrophes and zero-width joiners are
/// ignored inside a word.
pub(super) fn tokens(text: &str, out: &mut Vec<RawToken>) {
    let chars: Vec<char> = text.nfkc().take(MAX_FIELD_CHARS).collect();
    let mut cur = String::new();
    let mut arabic = false;
    let flush = |cur: &mut String, arabic: &mut bool, out: &mut Vec<RawToken>| {
        if !cur.is_empty() && out.len() < MAX_TOKENS {
            out.push(RawToken {
                text: std::mem::take(cur),
                arabic: *arabic,
            });
        }
        cur.clear();
        *arabic = false;
    };
    for (i, &c) in chars.iter().enumerate() {
        if is_ignorable(c) {
            continue;
        }
        if !is_name_char(c) {
            flush(&mut cur, &mut arabic, out);
            continue;
        }
        if let Some((block, off)) = brahmic(c) {
            brahmic_letter(&chars, i, block, off, &mut cur);
        } else if let Some(latin) = perso_arabic(c) {
            arabic = true;
            push_letters(&mut cur, latin);
        } else {
            push_letters(&mut cur, any_ascii::any_ascii_char(c));
        }
    }
    flush(&mut cur, &mut arabic, out);
}

/// Characters that belong inside a word but carry no sound: apostrophes, joiners, tatweel.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{02BC}' | '`' | '\u{200C}' | '\u{200D}' | '\u{0640}'
    )
}

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || c.general_category_group() == GeneralCategoryGroup::Mark
}

/// Appends the ASCII letters of `s`, lower-cased.
fn push_letters(cur: &mut String, s: &str) {
    cur.extend(
        s.chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase()),
    );
}

/// Brahmic block base and offset of `c`: Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil,
/// Telugu, Kannada, Malayalam share one layout (the ISCII order).
fn brahmic(c: char) -> Option<(u32, u32)> {
    let cp = c as u32;
    (0x0900..=0x0D7F)
        .contains(&cp)
        .then_some((cp & !0x7F, cp & 0x7F))
}

const DEVANAGARI: u32 = 0x0900;
const BENGALI: u32 = 0x0980;
const GURMUKHI: u32 = 0x0A00;
const NUKTA: u32 = 0x3C;
const VIRAMA: u32 = 0x4D;

fn is_consonant(block: u32, off: u32) -> bool {
    matches!(off, 0x15..=0x39 | 0x58..=0x5F)
        || (block == BENGALI && matches!(off, 0x70..=0x71))
        || (block == DEVANAGARI && matches!(off, 0x79..=0x7F))
}

/// A dependent vowel sign (matra) or the virama: no inherent vowel before it.
fn cancels_inherent_vowel(off: u32) -> bool {
    matches!(off, 0x3A..=0x3B | 0x3E..=0x4F | 0x55..=0x57 | 0x62..=0x63)
}

fn brahmic_letter(chars: &[char], i: usize, block: u32, off: u32, cur: &mut String) {
    match off {
        // Candrabindu, anusvara; Gurmukhi tippi: a nasal.
        0x01 | 0x02 => cur.push('n'),
        0x70 if block == GURMUKHI => cur.push('n'),
        // Visarga, nukta, virama; Gurmukhi addak (doubling, which the skeleton ignores anyway).
        0x03 | NUKTA | VIRAMA => {}
        0x71 if block == GURMUKHI => {}
        _ if is_consonant(block, off) => {
            // The next sign in the same block, after any nukta and joiner.
            let mut next = chars[i + 1..]
                .iter()
                .filter(|&&c| !is_ignorable(c))
                .filter_map(|&c| brahmic(c).filter(|&(b, _)| b == block).map(|(_, o)| o));
            let mut following = next.next();
            let nukta = following == Some(NUKTA);
            if nukta {
                following = next.next();
            }
            // ड़ and ढ़ (and Bengali ড় ঢ়) are flaps, written r in Latin and Urdu.
            if nukta && matches!(off, 0x21 | 0x22) && matches!(block, DEVANAGARI | BENGALI) {
                cur.push('r');
            } else {
                push_letters(cur, any_ascii::any_ascii_char(chars[i]));
            }
            if !following.is_some_and(cancels_inherent_vowel) {
                cur.push('a');
            }
        }
        _ => push_letters(cur, any_ascii::any_ascii_char(chars[i])),
    }
}

/// Perso-Arabic letters read the Urdu way (`None`: leave the letter to `any_ascii`).
fn perso_arabic(c: char) -> Option<&'static str> {
    Some(match c {
        'ا' | 'آ' | 'أ' | 'إ' | 'ٱ' | 'ع' => "a",
        'ی' | 'ي' | 'ى' | 'ے' | 'ۓ' | 'ئ' | 'ې' | 'ۍ' => "y",
        'و' | 'ؤ' | 'ۄ' | 'ۆ' | 'ۇ' | 'ۈ' | 'ۋ' => "w",
        'ہ' | 'ه' | 'ھ' | 'ة' | 'ۃ' | 'ح' | 'ۂ' => "h",
        'ث' | 'ص' | 'س' => "s",
        'ذ' | 'ز' | 'ض' | 'ظ' => "z",
        'ط' | 'ت' | 'ٹ' => "t",
        'ق' => "q",
        'ں' | 'ن' => "n",
        // Hamza, short-vowel marks, shadda, sukun, superscript alef, Kashmiri vowel signs.
        'ء' | '\u{064B}'..='\u{065F}' | '\u{0670}' => "",
        _ if matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF) => {
            return any_ascii_arabic(c);
        }
        _ => return None,
    })
}

/// Any other Perso-Arabic letter through `any_ascii` (still marked as Perso-Arabic).
fn any_ascii_arabic(c: char) -> Option<&'static str> {
    Some(any_ascii::any_ascii_char(c))
}

/// The skeletons of one token: one, or up to three for a Perso-Arabic token with a waw.
pub(super) fn skeletons(t: &RawToken) -> Vec<String> {
    let folded = fold(t.text.as_bytes(), t.arabic);
    let mut out = vec![skeleton(&folded, WawRule::BeforeVowel)];
    if folded.contains(&WAW) {
        for rule in [WawRule::Always, WawRule::Never] {
            let s = skeleton(&folded, rule);
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Digraphs and look-alike letters folded and, outside Perso-Arabic (where a doubled letter is
/// two syllables), `n` before a labial made `m` and doubled letters made single.
fn fold(raw: &[u8], arabic: bool) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len() + 2);
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        let digraph: Option<u8> = match (c, raw.get(i + 1)) {
            (b's', Some(b'h')) => Some(b's'),
            (b'z' | b'j', Some(b'h')) => Some(b'j'),
            (b'k', Some(b'h')) => Some(b'k'),
            (b'g', Some(b'h')) => Some(b'g'),
            (b'b', Some(b'h')) => Some(b'b'),
            (b'p', Some(b'h')) => Some(b'f'),
            (b'd', Some(b'h')) => Some(b'd'),
            (b't', Some(b'h')) => Some(b't'),
            (b'c', Some(b'h')) => Some(b'c'),
            (b'r', Some(b'h')) => Some(b'r'),
            (b'c', Some(b'k')) => Some(b'k'),
            _ => None,
        };
        if let Some(d) = digraph {
            out.push(d);
            i += 2;
            continue;
        }
        match c {
            b'w' if arabic => out.push(WAW),
            b'x' => out.extend_from_slice(b"ks"),
            b'q' => out.push(b'k'),
            b'z' => out.push(b'j'),
            b'v' | b'w' => out.push(b'b'),
            _ => out.push(c),
        }
        i += 1;
    }
    // Urdu leaves short vowels out, so its n and b meet where the name has a vowel between them
    // (زینب, Zainab): there a written n is an n.
    if !arabic {
        for k in 1..out.len() {
            if out[k - 1] == b'n' && matches!(out[k], b'p' | b'b') {
                out[k - 1] = b'm';
            }
        }
        out.dedup();
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WawRule {
    /// Waw is `b` at the start of a word or before a vowel letter, else a vowel (the usual
    /// reading, and the one [`super::name_key`] shows).
    BeforeVowel,
    /// Waw is always `b` (مہوش, Mehwish: the vowel after it is not written).
    Always,
    /// Waw is `b` only at the start of a word.
    Never,
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn skeleton(folded: &[u8], waw: WawRule) -> String {
    let mut out = String::with_capacity(folded.len().min(MAX_SKELETON));
    for (k, &c) in folded.iter().enumerate() {
        if out.len() >= MAX_SKELETON {
            break;
        }
        if k == 0 {
            out.push(match c {
                _ if is_vowel(c) => 'a',
                WAW => 'b',
                _ => c as char,
            });
            continue;
        }
        match c {
            _ if is_vowel(c) => {}
            b'y' | b'h' => {}
            WAW => {
                let next = folded.get(k + 1).copied();
                let consonant = match waw {
                    WawRule::Always => true,
                    WawRule::BeforeVowel => next.is_some_and(|n| is_vowel(n) || n == b'y'),
                    WawRule::Never => false,
                };
                if consonant {
                    out.push('b');
                }
            }
            _ => out.push(c as char),
        }
    }
    out
}

/// Words dropped wherever they are: honorifics.
const HONORIFICS: &[&str] = &[
    "smt",
    "shrimati",
    "srimati",
    "shreemati",
    "shri",
    "sri",
    "shree",
    "sree",
    "sh",
    "km",
    "kum",
    "mr",
    "mrs",
    "ms",
    "miss",
    "late",
    "श्रीमती",
    "श्री",
    "कु",
    "शरीमती",
    "ਸ੍ਰੀਮਤੀ",
    "ਸ੍ਰੀ",
    "শ্রীমতী",
    "শ্রী",
    "شریمتی",
    "شری",
];

/// Common name parts that say little about who someone is (surname-like words shared by most
/// women or men of a community, and the Muhammad many Muslim names start with). Dropped when
/// the name has another word.
const COMMON_PARTS: &[&str] = &[
    "devi",
    "debi",
    "devee",
    "dewi",
    "kumari",
    "kumar",
    "kaur",
    "kour",
    "singh",
    "bibi",
    "begum",
    "begam",
    "khatun",
    "khatoon",
    "muhammad",
    "mohammad",
    "mohammed",
    "muhammed",
    "mohamad",
    "mohamed",
    "muhamad",
    "mohammod",
    "mohmad",
    "mohmmad",
    "mohd",
    "md",
    "देवी",
    "कुमारी",
    "कुमार",
    "कौर",
    "सिंह",
    "सिँह",
    "बीबी",
    "बेगम",
    "ख़ातून",
    "खातून",
    "मोहम्मद",
    "मुहम्मद",
    "मोहमद",
    "मो",
    "دیوی",
    "کماری",
    "کمار",
    "کور",
    "سنگھ",
    "بیبی",
    "بیگم",
    "خاتون",
    "محمد",
    "ਦੇਵੀ",
    "ਕੁਮਾਰੀ",
    "ਕੁਮਾਰ",
    "ਕੌਰ",
    "ਸਿੰਘ",
    "ਬੀਬੀ",
    "ਬੇਗਮ",
    "ਮੁਹੰਮਦ",
    "দেবী",
    "কুমারী",
    "কুমার",
    "সিংহ",
    "বিবি",
    "বেগম",
    "খাতুন",
    "মোহাম্মদ",
    "মুহাম্মদ",
    "মহম্মদ",
];

fn word_set(words: &[&str]) -> HashSet<String> {
    let mut set = HashSet::new();
    for w in words {
        let mut raw = Vec::new();
        tokens(w, &mut raw);
        set.extend(raw.into_iter().map(|t| t.text));
    }
    set
}

/// Whether a transliterated word is an honorific.
pub(super) fn is_honorific(t: &RawToken) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| word_set(HONORIFICS)).contains(&t.text)
}

/// Whether a transliterated word is a common name part.
pub(super) fn is_common_part(t: &RawToken) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| word_set(COMMON_PARTS)).contains(&t.text)
}

/// The words of a name written as one ("Abdul Rashid" and عبدالرشید, "Nizam Uddin" and
/// "Nizamuddin").
pub(super) fn joined(words: &[&RawToken]) -> RawToken {
    RawToken {
        text: words.iter().map(|t| t.text.as_str()).collect(),
        arabic: words.iter().any(|t| t.arabic),
    }
}
