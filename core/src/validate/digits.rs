//! Reading numeric identifiers typed with spaces or hyphens.
//!
//! Why this file exists: workers copy numbers from cards that print them in groups
//! ("2345 6789 0123", "91-6285-4575-5116"), so every numeric validator accepts spaces and
//! hyphens between digits. This scanner does that once, for all of them, and is careful with
//! secrets: the digits it keeps live in a [`Zeroizing`] buffer allocated once at its final size,
//! so no reallocation leaves a stray copy of an Aadhaar number in freed memory. It keeps at most
//! as many digits as the caller can use and only counts the rest, so a megabyte of digits
//! costs no memory.

use zeroize::Zeroizing;

/// Digits read from an identifier.
pub(crate) struct Digits {
    /// The first `keep` digits, separators removed.
    pub(crate) kept: Zeroizing<String>,
    /// How many digits the input had in total (may exceed `keep`).
    pub(crate) count: usize,
}

/// The input has a character other than an ASCII digit, space or hyphen, or a separator that
/// is not between two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadChar;

/// Whether `c` may separate groups of digits.
pub(crate) fn is_separator(c: char) -> bool {
    c == ' ' || c == '-'
}

/// Reads `s` as ASCII digits, optionally grouped by spaces or hyphens (runs allowed) that sit
/// between digits. Keeps the first `keep` digits and counts all of them. The empty string
/// gives zero digits.
pub(crate) fn scan(s: &str, keep: usize) -> Result<Digits, BadChar> {
    // Capacity `keep` bytes: ASCII digits are one byte each, so pushes never reallocate.
    let mut kept = Zeroizing::new(String::with_capacity(keep));
    let mut count = 0usize;
    let mut last_was_digit = true;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if count < keep {
                kept.push(c);
            }
            count = count.saturating_add(1);
            last_was_digit = true;
        } else if is_separator(c) && count > 0 {
            last_was_digit = false;
        } else {
            return Err(BadChar);
        }
    }
    if !last_was_digit {
        return Err(BadChar);
    }
    Ok(Digits { kept, count })
}

/// Whether `s` is non-empty and all ASCII digits.
pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The `expected` param of the `*.length` codes.
pub(crate) fn expected(n: usize) -> [(&'static str, String); 1] {
    [("expected", n.to_string())]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_scan_removes_separators() {
        let d = scan("2345 6789-0123", 12).unwrap();
        assert_eq!(d.kept.as_str(), "234567890123");
        assert_eq!(d.count, 12);
        let d = scan("91 - 6285", 14).unwrap();
        assert_eq!(d.kept.as_str(), "916285");
    }

    #[test]
    fn test_scan_keeps_only_what_is_needed() {
        let long = "9".repeat(10_000);
        let d = scan(&long, 12).unwrap();
        assert_eq!(d.count, 10_000);
        assert_eq!(d.kept.len(), 12);
        assert!(d.kept.capacity() >= 12);
    }

    #[test]
    fn test_scan_rejects_misplaced_separators() {
        assert_eq!(scan("-1234", 12).err(), Some(BadChar));
        assert_eq!(scan("1234-", 12).err(), Some(BadChar));
        assert_eq!(scan(" ", 12).err(), Some(BadChar));
        assert_eq!(scan("12/34", 12).err(), Some(BadChar));
        assert_eq!(scan("12３4", 12).err(), Some(BadChar)); // full-width digit
        assert_eq!(scan("12\t34", 12).err(), Some(BadChar));
    }

    #[test]
    fn test_scan_empty_is_zero_digits() {
        let d = scan("", 12).unwrap();
        assert_eq!(d.count, 0);
        assert!(d.kept.is_empty());
    }

    #[test]
    fn test_all_digits() {
        assert!(all_digits("0123"));
        assert!(!all_digits(""));
        assert!(!all_digits("12 3"));
        assert!(!all_digits("١٢٣")); // Arabic-Indic digits
    }
}
