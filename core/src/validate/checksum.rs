//! Check-digit algorithms for the numeric identifiers.
//!
//! Why this file exists: a mistyped Aadhaar or ABHA number is only discovered when the tablet
//! syncs, hours later and far from the household. Check digits let us catch almost every typo
//! while the person is still in front of the worker.
//!
//! - **Verhoeff** (dihedral group D5) protects Aadhaar numbers (abdm.md 1.3, NHA test case
//!   `CRT_ABHA_104`). It detects every single-digit substitution and every transposition of
//!   two adjacent digits.
//! - **Luhn** (mod 10) matches every published ABHA number tested (abdm.md 1.1), but NHA has not
//!   confirmed it, so callers must treat a Luhn failure as a warning only.
//!
//! All functions take ASCII digit strings and return `false`/`None` for anything else
//! (non-digits, or an empty string), never panic.

/// Verhoeff multiplication table: `D[j][k]` is `j * k` in D5.
const D: [[u8; 10]; 10] = [
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

/// Verhoeff permutation table: `P[i % 8][digit]` for the digit at position `i` from the right.
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff inverse table.
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// The digit values of `s`, rightmost first, or `None` if `s` is empty or has a non-digit.
fn digits_from_right(s: &str) -> Option<impl Iterator<Item = u8> + '_> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().rev().map(|b| b - b'0'))
}

/// Runs the Verhoeff accumulator; `offset` is 1 when computing a missing check digit.
fn verhoeff_fold(digits: impl Iterator<Item = u8>, offset: usize) -> u8 {
    // Every index is in range: `c` and `digit` are below 10 by construction, `% 8` below 8.
    digits.enumerate().fold(0u8, |c, (i, digit)| {
        D[usize::from(c)][usize::from(P[(i + offset) % 8][usize::from(digit)])]
    })
}

/// Whether `digits` (check digit last) passes Verhoeff. `false` for empty or non-digit input.
pub fn verhoeff_check(digits: &str) -> bool {
    digits_from_right(digits).is_some_and(|d| verhoeff_fold(d, 0) == 0)
}

/// The Verhoeff check digit to append to `digits_without_check`. `None` for empty or
/// non-digit input.
pub fn verhoeff_digit(digits_without_check: &str) -> Option<u8> {
    let d = digits_from_right(digits_without_check)?;
    Some(INV[usize::from(verhoeff_fold(d, 1))])
}

/// Luhn sum of digits given rightmost first; `double_even` doubles positions 0, 2, 4...
fn luhn_sum(digits: impl Iterator<Item = u8>, double_even: bool) -> u32 {
    digits
        .enumerate()
        .map(|(i, d)| {
            let double = (i % 2 == 0) == double_even;
            let v = if double { d * 2 } else { d };
            u32::from(if v > 9 { v - 9 } else { v })
        })
        .fold(0u32, |acc, v| (acc + v) % 10)
}

/// Whether `digits` (check digit last) passes Luhn mod 10. `false` for empty or non-digit input.
pub fn luhn_check(digits: &str) -> bool {
    digits_from_right(digits).is_some_and(|d| luhn_sum(d, false) == 0)
}

/// The Luhn check digit to append to `digits_without_check`. `None` for empty or non-digit
/// input.
pub fn luhn_digit(digits_without_check: &str) -> Option<u8> {
    let d = digits_from_right(digits_without_check)?;
    let sum = luhn_sum(d, true);
    // `sum` is already reduced mod 10, so the digit is below 10.
    u8::try_from((10 - sum) % 10).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_verhoeff_known_values() {
        // Classic worked example: 236 -> check digit 3.
        assert_eq!(verhoeff_digit("236"), Some(3));
        assert!(verhoeff_check("2363"));
        assert!(!verhoeff_check("2362"));
        // The public UIDAI test number.
        assert!(verhoeff_check("234123412346"));
        assert_eq!(verhoeff_digit("23412341234"), Some(6));
        assert!(!verhoeff_check("234123412345"));
    }

    #[test]
    fn test_verhoeff_digit_roundtrip() {
        for base in [
            "2",
            "99999999999",
            "12345678901",
            "50000000000",
            "87654321098",
        ] {
            let c = verhoeff_digit(base).unwrap();
            assert!(c < 10);
            let full = format!("{base}{c}");
            assert!(verhoeff_check(&full), "{full}");
            for wrong in (0..10).filter(|d| *d != c) {
                assert!(!verhoeff_check(&format!("{base}{wrong}")));
            }
        }
    }

    #[test]
    fn test_verhoeff_rejects_non_digits() {
        assert!(!verhoeff_check(""));
        assert!(!verhoeff_check("2341 2341 2346"));
        assert!(!verhoeff_check("२३४१२३४१२३४६")); // Devanagari digits are not accepted here
        assert_eq!(verhoeff_digit(""), None);
        assert_eq!(verhoeff_digit("12a"), None);
    }

    #[test]
    fn test_luhn_published_abha_numbers() {
        for n in [
            "91628545755116",
            "91540802140264",
            "43422151056749",
            "22722548295255",
            "28322222836682",
            "42717586044553",
            "15363806846247",
        ] {
            assert!(luhn_check(n), "{n}");
        }
        for n in ["12345678901234", "11111111111111", "34134223452346"] {
            assert!(!luhn_check(n), "{n}");
        }
    }

    #[test]
    fn test_luhn_known_values() {
        // The textbook example 7992739871 -> 3.
        assert_eq!(luhn_digit("7992739871"), Some(3));
        assert!(luhn_check("79927398713"));
        assert_eq!(luhn_digit("9162854575511"), Some(6));
        assert!(luhn_check("0"));
        assert!(!luhn_check("1"));
    }

    #[test]
    fn test_luhn_rejects_non_digits() {
        assert!(!luhn_check(""));
        assert!(!luhn_check("91-6285-4575-5116"));
        assert_eq!(luhn_digit(""), None);
        assert_eq!(luhn_digit("９"), None); // full-width digit
    }

    #[test]
    fn test_luhn_digit_roundtrip() {
        for base in ["9162854575511", "0000000000000", "9999999999999", "1"] {
            let c = luhn_digit(base).unwrap();
            assert!(luhn_check(&format!("{base}{c}")), "{base}{c}");
        }
    }
}
