//! Identifier rules the simulator applies: ABHA numbers (Luhn), ABHA addresses, Aadhaar
//! numbers (Verhoeff), dates of birth, names and masking.
//!
//! They are written here from `abdm.md` section 1, independently of `core/src/validate`, so the
//! simulator checks the client rather than agreeing with it by construction.

use rand::Rng;

/// `s` is exactly `n` ASCII digits.
pub(crate) fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// One of the genders ABDM uses.
pub(crate) fn is_gender(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_uppercase().as_str(),
        "M" | "F" | "O" | "T"
    )
}

/// A 10-digit Indian mobile number.
pub(crate) fn is_mobile(s: &str) -> bool {
    is_digits(s, 10) && s.starts_with(['6', '7', '8', '9'])
}

/// `******1234` for a mobile number.
pub(crate) fn mask_mobile(mobile: &str) -> String {
    let tail: String = mobile
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("******{tail}")
}

/// A date of birth: a full date or only a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Birth {
    /// Day, month and year known.
    Full(time::Date),
    /// Only the year known.
    Year(i32),
}

impl Birth {
    fn year_only(s: &str) -> Option<Self> {
        if is_digits(s, 4) {
            s.parse().ok().map(Birth::Year)
        } else {
            None
        }
    }

    fn full(y: &str, m: &str, d: &str) -> Option<Self> {
        if !(is_digits(y, 4) && is_digits(m, 2) && is_digits(d, 2)) {
            return None;
        }
        let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
        time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?)
            .ok()
            .map(Birth::Full)
    }

    /// `yyyy-mm-dd` or `yyyy` (the residents' format).
    pub(crate) fn from_iso(s: &str) -> Option<Self> {
        match s.trim().split('-').collect::<Vec<_>>().as_slice() {
            [y] => Self::year_only(y),
            [y, m, d] => Self::full(y, m, d),
            _ => None,
        }
    }

    /// `dd-mm-yyyy` or `yyyy` (the demo-auth format).
    pub(crate) fn from_demo(s: &str) -> Option<Self> {
        match s.trim().split('-').collect::<Vec<_>>().as_slice() {
            [y] => Self::year_only(y),
            [d, m, y] => Self::full(y, m, d),
            _ => None,
        }
    }

    /// `yyyy-mm-dd` or `yyyy`.
    pub(crate) fn iso(self) -> String {
        match self {
            Birth::Full(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            Birth::Year(y) => format!("{y:04}"),
        }
    }

    /// `dd-mm-yyyy` or `yyyy`, as in `ABHAProfile.dob`.
    pub(crate) fn profile(self) -> String {
        match self {
            Birth::Full(d) => format!("{:02}-{:02}-{:04}", d.day(), u8::from(d.month()), d.year()),
            Birth::Year(y) => format!("{y:04}"),
        }
    }

    /// `ddmmyyyy` or `yyyy`, for address suggestions.
    fn compact(self) -> String {
        self.profile().replace('-', "")
    }

    fn year(self) -> i32 {
        match self {
            Birth::Full(d) => d.year(),
            Birth::Year(y) => y,
        }
    }
}

/// The name compared case- and space-insensitively.
pub(crate) fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// First, middle and last name, split on white space.
pub(crate) fn split_name(name: &str) -> (String, String, String) {
    let parts: Vec<&str> = name.split_whitespace().collect();
    match parts.as_slice() {
        [] => (String::new(), String::new(), String::new()),
        [only] => ((*only).to_string(), String::new(), String::new()),
        [first, middle @ .., last] => ((*first).to_string(), middle.join(" "), (*last).to_string()),
    }
}

fn luhn_sum(digits: &[u8], check_included: bool) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            let double = if check_included {
                i % 2 == 1
            } else {
                i % 2 == 0
            };
            if double {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

/// The digits pass Luhn (mod 10).
#[cfg(test)]
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let d: Option<Vec<u8>> = digits
        .chars()
        .map(|c| c.to_digit(10).map(|x| x as u8))
        .collect();
    d.is_some_and(|d| !d.is_empty() && luhn_sum(&d, true) % 10 == 0)
}

/// A fresh ABHA number's 14 digits: `91`, 11 random digits, a Luhn check digit.
pub(crate) fn new_abha_digits() -> String {
    let mut rng = rand::thread_rng();
    let mut d: Vec<u8> = vec![9, 1];
    d.extend((0..11).map(|_| rng.gen_range(0..10u8)));
    let check = (10 - luhn_sum(&d, false) % 10) % 10;
    d.push(check as u8);
    d.into_iter().map(|x| char::from(b'0' + x)).collect()
}

/// `91-NNNN-NNNN-NNNN` from 14 digits.
pub(crate) fn hyphenate(digits: &str) -> String {
    let (a, rest) = digits.split_at(digits.len().min(2));
    let groups: Vec<String> = rest
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    std::iter::once(a.to_string())
        .chain(groups)
        .collect::<Vec<_>>()
        .join("-")
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// A well-formed Aadhaar number: 12 digits, first not 0 or 1, Verhoeff-valid.
pub fn is_well_formed_aadhaar(s: &str) -> bool {
    if !is_digits(s, 12) || s.starts_with(['0', '1']) {
        return false;
    }
    let mut c = 0u8;
    for (i, b) in s.bytes().rev().enumerate() {
        let digit = usize::from(b - b'0');
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][digit])];
    }
    c == 0
}

/// The handle of an address sent with or without `@<cm_id>`, lower-cased.
pub(crate) fn handle(address: &str, cm_id: &str) -> String {
    let a = address.trim().to_lowercase();
    let suffix = format!("@{}", cm_id.to_lowercase());
    a.strip_suffix(&suffix).map(str::to_string).unwrap_or(a)
}

/// An ABHA address handle the simulator accepts for creation: 8-18 characters, letters and
/// digits plus at most one `.` and one `_`, neither at either end, no leading digit (the
/// stricter union of abdm.md 1.2).
pub(crate) fn is_valid_handle(h: &str) -> bool {
    let len = h.chars().count();
    let ok_chars = h
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
    let count = |x: char| h.chars().filter(|&c| c == x).count();
    (8..=18).contains(&len)
        && ok_chars
        && count('.') <= 1
        && count('_') <= 1
        && !h.starts_with(['.', '_'])
        && !h.ends_with(['.', '_'])
        && !h.starts_with(|c: char| c.is_ascii_digit())
}

/// At least three suggested handles for a person, none of which `taken` reports as taken.
pub(crate) fn suggestions(name: &str, birth: Birth, taken: impl Fn(&str) -> bool) -> Vec<String> {
    let words: Vec<String> = name
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    let first = words.first().cloned().unwrap_or_else(|| "abha".into());
    let last = words
        .get(1..)
        .and_then(<[String]>::last)
        .cloned()
        .unwrap_or_default();
    let (dob, year) = (birth.compact(), birth.year());
    let mut out: Vec<String> = Vec::new();
    let offer = |out: &mut Vec<String>, c: String| {
        let c: String = c.chars().take(18).collect();
        if is_valid_handle(&c) && !taken(&c) && !out.contains(&c) {
            out.push(c);
        }
    };
    offer(&mut out, format!("{first}_{dob}"));
    offer(&mut out, format!("{first}.{last}{year}"));
    offer(&mut out, format!("{first}{last}"));
    offer(&mut out, format!("{first}_{last}"));
    offer(&mut out, format!("{first}{year}"));
    let base: String = first.chars().take(12).collect();
    let base = if base.len() < 4 {
        format!("{base}abha")
    } else {
        base
    };
    let mut n = 0u32;
    while out.len() < 3 && n < 100_000 {
        offer(&mut out, format!("{base}{n:04}"));
        n += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_abha_numbers_are_luhn_valid_and_formatted() {
        for _ in 0..200 {
            let d = new_abha_digits();
            assert!(is_digits(&d, 14) && d.starts_with("91"), "{d}");
            assert!(luhn_valid(&d), "{d}");
            let h = hyphenate(&d);
            assert_eq!(h.len(), 17);
            assert_eq!(h.replace('-', ""), d);
            assert_eq!(&h[2..3], "-");
        }
        assert!(luhn_valid("91628545755116"));
        assert!(!luhn_valid("12345678901234"));
        assert!(!luhn_valid(""));
        assert_eq!(hyphenate("91628545755116"), "91-6285-4575-5116");
    }

    #[test]
    fn test_aadhaar_and_mobile_rules() {
        assert!(is_well_formed_aadhaar("234123412346"));
        assert!(!is_well_formed_aadhaar("234123412347"));
        assert!(!is_well_formed_aadhaar("134123412346"));
        assert!(!is_well_formed_aadhaar("23412341234"));
        assert!(is_mobile("9876543210") && !is_mobile("1876543210") && !is_mobile("98765"));
        assert_eq!(mask_mobile("9876543210"), "******3210");
    }

    #[test]
    fn test_births_and_names() {
        let b = Birth::from_iso("1991-10-22").expect("valid");
        assert_eq!(b.profile(), "22-10-1991");
        assert_eq!(Birth::from_demo("22-10-1991"), Some(b));
        assert_eq!(Birth::from_demo("1991"), Some(Birth::Year(1991)));
        assert_eq!(Birth::from_iso("1991-02-30"), None);
        assert_eq!(Birth::from_demo("1991-10-22"), None);
        assert_eq!(Birth::from_iso("19x1"), None);
        assert_eq!(name_key(" Asha  DEVI "), "ashadevi");
        assert_eq!(
            split_name("Ram Kumar Singh Yadav"),
            ("Ram".into(), "Kumar Singh".into(), "Yadav".into())
        );
        assert_eq!(
            split_name("Asha"),
            ("Asha".into(), String::new(), String::new())
        );
    }

    #[test]
    fn test_handles_and_suggestions() {
        assert!(is_valid_handle("gaurav_22101991"));
        assert!(!is_valid_handle("short"));
        assert!(!is_valid_handle("1gaurav_2210"));
        assert!(!is_valid_handle("gaurav_2210_x"));
        assert!(!is_valid_handle("gaurav22101991."));
        assert_eq!(handle("Gaurav_1991@SBX", "sbx"), "gaurav_1991");
        let b = Birth::Year(1991);
        let s = suggestions("Gaurav Kumar", b, |_| false);
        assert!(
            s.len() >= 3 && s.iter().all(|h| is_valid_handle(h)),
            "{s:?}"
        );
        let s = suggestions("गौरव", b, |h| h.ends_with("0000"));
        assert!(
            s.len() >= 3 && s.iter().all(|h| is_valid_handle(h)),
            "{s:?}"
        );
        let all_taken = suggestions("Al", b, |h| !h.ends_with('7'));
        assert!(all_taken.len() >= 3, "{all_taken:?}");
    }
}
