//! Suspected duplicate people: one matcher for the hub's review and the tablet's capture.
//!
//! Why this module exists: the same person gets enumerated twice (two workers visit one house, a
//! married daughter is listed with her parents and her in-laws, a family moves between villages)
//! and a second ABHA number for one person is exactly what ABDM and supervisors must avoid. The
//! hub runs [`pairs`] over every member in a supervisor's scope; the tablet runs [`compare`]
//! against the members already on the device when a worker adds one, so the worker is warned
//! (`member.possible_duplicate`, never blocking) while the person is still in front of them. One
//! implementation means the worker and the supervisor see the same answer.
//!
//! # The rules
//!
//! Two people are a suspected duplicate ([`compare`] returns a [`Match`]) when:
//!
//! - they have the same non-empty Aadhaar token (the keyed HMAC of the number). This alone is
//!   enough, whatever else differs (score 1): one number is one person, and a differing gender
//!   or name is then a data-entry error worth a look; or
//! - all of the following hold:
//!   - **no gender conflict**: both genders known and different means two people;
//!   - **a link**: the same mobile number (normalised to 10 digits: `+91`, `0`, spaces and hyphens
//!     removed) or the same household. Without a link, a common name with a common birth year
//!     would pair strangers across a district;
//!   - **compatible birth**: the same full date; or the same year when either side knows only
//!     the year; or, when *both* know only the year, years one apart (a year of birth is an age
//!     estimate, and the same age estimated in two calendar years differs by one). Two full
//!     dates must be equal: a real date was read from a document. A missing or unreadable
//!     birth date never matches (captured members always have one);
//!   - **similar names**, compared as described below.
//!
//! # Names
//!
//! Every script is transliterated to Latin and reduced to a consonant skeleton (module
//! `phonetic`: Devanagari, Perso-Arabic, Gurmukhi, Bengali and Latin spellings of one name
//! share it). A name is its words in order (given, middle, family), honorifics (Smt, Shri, ...)
//! dropped, and common name parts ("Devi"/"Debi", "Kumari", "Kumar", "Kaur", "Singh", "Begum",
//! "Bibi", "Khatun", "Muhammad"/"Md") dropped when another word remains: nearly every woman of
//! some communities is "Devi" and a shared "Devi" says nothing. The worker's optional Latin
//! spelling is a second version of the name; the better of the versions counts.
//!
//! Two words are similar when their skeletons are equal, or, for skeletons of four letters or
//! more, when their Jaro-Winkler similarity is at least 0.9 (short skeletons must be equal:
//! Arun and Arjun, Sanjay and Sanjeev differ by one letter and are different names). Two names
//! are similar when every word of the shorter name pairs with its own similar word of the
//! longer one, in any order ("Devi Sunita" is "Sunita Devi"; "Sunita" is "Sunita Sharma"), and
//! the first word of each name (normally the given name) has a similar word in the other.
//!
//! # Households, twins and siblings
//!
//! Members of one household share the link and usually the family name, so a family name alone
//! must never make a match: the first word of both names must pair too, and with common parts
//! dropped "Sunita Devi" and "Anita Devi" are just "Sunita" and "Anita". Siblings then differ
//! in given name or birth. What remains are twins with near-identical given names (Hasan and
//! Husain share the skeleton `hsn`, and Urdu script cannot tell them apart): they are reported,
//! the worker dismisses the warning and a supervisor records the pair as distinct.
//!
//! # Score and output
//!
//! [`Match::score`] (0 to 1) only ranks matches for review: 1 for the same Aadhaar token,
//! otherwise a weighted blend of name similarity, birth agreement (full date above year) and
//! the links (both above one). [`Match::reasons`] lists every rule that held, as stable codes
//! ([`Reason::code`]). Nothing here panics, whatever the input (empty strings, only marks,
//! emoji, megabytes), and no `Debug` output contains a name, date, number or token.
//!
//! # Scale
//!
//! [`pairs`] compares only people who share an Aadhaar token, a mobile number or a household,
//! since every match needs one of these; inside a large group (a mobile number typed for many
//! people) only birth years at most one apart are compared. That finds exactly the pairs
//! [`compare`] would, in time close to linear for real data.

mod phonetic;
#[cfg(test)]
mod tests;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use crate::ids::{HouseholdId, MemberId};
use phonetic::RawToken;

/// A borrowed view of one member, as the matcher needs it.
#[derive(Clone, Copy, Default)]
pub struct Person<'a> {
    /// Given name, any script.
    pub given_name: &'a str,
    /// Middle name.
    pub middle_name: Option<&'a str>,
    /// Family name.
    pub family_name: Option<&'a str>,
    /// The Latin spelling the worker recorded, if any (the whole name).
    pub name_latin: Option<&'a str>,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth: Option<&'a str>,
    /// `M`, `F` or `O` (case-insensitive; `T` reads as `O`).
    pub gender: Option<&'a str>,
    /// Mobile number, any common Indian notation.
    pub mobile: Option<&'a str>,
    /// Household id bytes.
    pub household: Option<&'a [u8]>,
    /// Keyed Aadhaar token bytes.
    pub aadhaar_token: Option<&'a [u8]>,
}

impl fmt::Debug for Person<'_> {
    /// Personal data: only which fields are filled.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Person {{ latin: {}, birth: {}, mobile: {}, household: {}, aadhaar_token: {} }}",
            self.name_latin.is_some(),
            self.birth.is_some(),
            self.mobile.is_some(),
            self.household.is_some(),
            self.aadhaar_token.is_some()
        )
    }
}

/// Why two people look like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The same Aadhaar token.
    SameAadhaarToken,
    /// Similar names (after transliteration and phonetic folding).
    SimilarName,
    /// The same full date of birth.
    SameBirthDate,
    /// The same year of birth where one side knows only the year (or, when both know only the
    /// year, years one apart).
    SameBirthYear,
    /// The same mobile number.
    SameMobile,
    /// The same household.
    SameHousehold,
}

impl Reason {
    /// Every reason, in the order [`Match::reasons`] lists them.
    pub const ALL: [Reason; 6] = [
        Self::SameAadhaarToken,
        Self::SimilarName,
        Self::SameBirthDate,
        Self::SameBirthYear,
        Self::SameMobile,
        Self::SameHousehold,
    ];

    /// The stable code (stored with review decisions, translated by the apps).
    pub fn code(self) -> &'static str {
        match self {
            Self::SameAadhaarToken => "same_aadhaar_token",
            Self::SimilarName => "similar_name",
            Self::SameBirthDate => "same_birth_date",
            Self::SameBirthYear => "same_birth_year",
            Self::SameMobile => "same_mobile",
            Self::SameHousehold => "same_household",
        }
    }
}

/// A suspected duplicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// 0 to 1, for ranking: 1 for the same Aadhaar token.
    pub score: f32,
    /// Every rule that held, in [`Reason::ALL`] order.
    pub reasons: Vec<Reason>,
}

/// Whether `a` and `b` look like one person (`None`: not a suspected duplicate). Symmetric.
pub fn compare(a: &Person, b: &Person) -> Option<Match> {
    Prepared::new(a).compare(&Prepared::new(b))
}

/// Every suspected pair `(i, j, match)` among `people`, `i < j`, sorted by `(i, j)`: exactly
/// the pairs [`compare`] accepts, found by comparing only people who share an Aadhaar token,
/// a mobile number or a household.
pub fn pairs(people: &[Person]) -> Vec<(usize, usize, Match)> {
    let prepared: Vec<Prepared> = people.iter().map(Prepared::new).collect();
    let mut blocks: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(t) = p.token {
            blocks.entry(Key::Token(t)).or_default().push(i);
        }
        if let Some(m) = p.mobile {
            blocks.entry(Key::Mobile(m)).or_default().push(i);
        }
        if let Some(h) = p.household {
            blocks.entry(Key::Household(h)).or_default().push(i);
        }
    }
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (key, members) in &blocks {
        if members.len() < 2 {
            continue;
        }
        if matches!(key, Key::Token(_)) || members.len() <= SMALL_BLOCK {
            for (k, &i) in members.iter().enumerate() {
                candidates.extend(members[k + 1..].iter().map(|&j| (i.min(j), i.max(j))));
            }
            continue;
        }
        // A large group (a number typed for many people): a match needs birth years at most
        // one apart, so compare along a list sorted by year. No year, no fuzzy match.
        let mut dated: Vec<(i32, usize)> = members
            .iter()
            .filter_map(|&i| prepared[i].birth.map(|b| (b.year(), i)))
            .collect();
        dated.sort_unstable();
        for (k, &(y, i)) in dated.iter().enumerate() {
            for &(_, j) in dated[k + 1..]
                .iter()
                .take_while(|(yj, _)| i64::from(*yj) - i64::from(y) <= 1)
            {
                candidates.push((i.min(j), i.max(j)));
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
        .into_iter()
        .filter_map(|(i, j)| prepared[i].compare(&prepared[j]).map(|m| (i, j, m)))
        .collect()
}

/// The normalised phonetic skeleton of a person's name: the skeleton of each word that counts,
/// in order, separated by spaces (empty when no word does). Spellings of one name in any
/// script share it; for blocking and tests.
pub fn name_key(p: &Person) -> String {
    let variants = name_variants(p);
    variants
        .first()
        .map(|v| {
            v.iter()
                .filter_map(|t| t.alts.first().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// A member as read from a store, owned, for matching ([`Candidate::person`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The member.
    pub member_id: MemberId,
    /// Their household.
    pub household_id: Option<HouseholdId>,
    /// Given name.
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Latin spelling.
    pub name_latin: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: Option<String>,
    /// `M`, `F` or `O`.
    pub gender: Option<String>,
    /// Mobile number.
    pub mobile: Option<String>,
    /// Keyed Aadhaar token.
    pub aadhaar_token: Option<Vec<u8>>,
}

impl Candidate {
    /// The view [`compare`] and [`pairs`] take.
    pub fn person(&self) -> Person<'_> {
        Person {
            given_name: &self.given_name,
            middle_name: self.middle_name.as_deref(),
            family_name: self.family_name.as_deref(),
            name_latin: self.name_latin.as_deref(),
            birth: self.birth_date.as_deref(),
            gender: self.gender.as_deref(),
            mobile: self.mobile.as_deref(),
            household: self.household_id.as_ref().map(|h| h.as_bytes().as_slice()),
            aadhaar_token: self.aadhaar_token.as_deref(),
        }
    }
}

impl fmt::Debug for Candidate {
    /// Personal data: only the member id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Candidate({})", self.member_id)
    }
}

/// Groups up to this size are compared pair by pair.
const SMALL_BLOCK: usize = 32;
/// Jaro-Winkler similarity from which two skeletons of [`SHORT`]+1 letters or more are similar.
const TOKEN_SIMILAR: f64 = 0.90;
/// Skeletons this short must be equal to be similar.
const SHORT: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Token(&'a [u8]),
    Mobile(u64),
    Household(&'a [u8]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Birth {
    Date(i32, u8, u8),
    Year(i32),
}

impl Birth {
    fn parse(s: &str) -> Option<Self> {
        let b = s.trim().as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let d = b.get(r)?;
            if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            d.iter().try_fold(0u32, |acc, &c| {
                acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
            })
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        match b.len() {
            4 => Some(Self::Year(year)),
            10 if b[4] == b'-' && b[7] == b'-' => Some(Self::Date(
                year,
                u8::try_from(num(5..7)?).ok()?,
                u8::try_from(num(8..10)?).ok()?,
            )),
            _ => None,
        }
    }

    fn year(self) -> i32 {
        match self {
            Self::Date(y, _, _) | Self::Year(y) => y,
        }
    }

    /// The birth reason and its weight, if the two are compatible.
    fn compatible(a: Option<Self>, b: Option<Self>) -> Option<(Reason, f64)> {
        match (a?, b?) {
            (x @ Self::Date(..), y @ Self::Date(..)) => {
                (x == y).then_some((Reason::SameBirthDate, 1.0))
            }
            (Self::Date(x, ..), Self::Year(y)) | (Self::Year(x), Self::Date(y, ..)) => {
                (x == y).then_some((Reason::SameBirthYear, 0.7))
            }
            (Self::Year(x), Self::Year(y)) if x == y => Some((Reason::SameBirthYear, 0.7)),
            (Self::Year(x), Self::Year(y)) if (i64::from(x) - i64::from(y)).abs() == 1 => {
                Some((Reason::SameBirthYear, 0.5))
            }
            _ => None,
        }
    }
}

fn gender(s: &str) -> Option<u8> {
    match s.trim().bytes().next()?.to_ascii_uppercase() {
        b'M' => Some(b'M'),
        b'F' => Some(b'F'),
        b'O' | b'T' => Some(b'O'),
        _ => None,
    }
}

/// The 10 national digits of an Indian mobile number, as a number (`None` if not 10 digits
/// after removing separators, `+91`, `91` or `0`).
fn mobile(s: &str) -> Option<u64> {
    let mut digits = [0u8; 16];
    let mut n = 0usize;
    for c in s.chars() {
        match c {
            '0'..='9' => {
                *digits.get_mut(n)? = c as u8 - b'0';
                n += 1;
            }
            ' ' | '-' | '+' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    let national = match n {
        10 => &digits[..10],
        11 if digits[0] == 0 => &digits[1..11],
        12 if digits[..2] == [9, 1] => &digits[2..12],
        _ => return None,
    };
    Some(
        national
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d)),
    )
}

fn non_empty(b: Option<&[u8]>) -> Option<&[u8]> {
    b.filter(|b| !b.is_empty())
}

/// One word of a name: its skeletons (more than one for an ambiguous Perso-Arabic word).
#[derive(Clone, PartialEq, Eq)]
struct Tok {
    alts: Vec<String>,
}

/// A name as words that count; the first is its primary word.
type Variant = Vec<Tok>;

/// The versions of a person's name: as written (given, middle, family), then the Latin spelling
/// if it says something else. Each version has at least one word.
fn name_variants(p: &Person) -> Vec<Variant> {
    let mut out: Vec<Variant> = Vec::with_capacity(2);
    for fields in [
        [Some(p.given_name), p.middle_name, p.family_name],
        [p.name_latin, None, None],
    ] {
        let mut raw = Vec::new();
        let words = words(&fields, &mut raw);
        let joined = (words.len() > 1).then(|| {
            vec![Tok {
                alts: phonetic::skeletons(&phonetic::joined(&words)),
            }]
        });
        let v: Variant = words
            .into_iter()
            .map(|t| Tok {
                alts: phonetic::skeletons(t),
            })
            .collect();
        for v in std::iter::once(v).chain(joined) {
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The words of a name that count (see the module docs), transliterated.
fn words<'t>(fields: &[Option<&str>], raw: &'t mut Vec<RawToken>) -> Vec<&'t RawToken> {
    for f in fields.iter().flatten() {
        phonetic::tokens(f, raw);
    }
    let mut kept: Vec<&RawToken> = raw.iter().filter(|t| !phonetic::is_honorific(t)).collect();
    if kept.is_empty() {
        kept = raw.iter().collect();
    }
    let distinctive: Vec<&RawToken> = kept
        .iter()
        .copied()
        .filter(|t| !phonetic::is_common_part(t))
        .collect();
    if !distinctive.is_empty() {
        kept = distinctive;
    }
    kept
}

/// Similarity of two skeletons and whether they count as similar.
fn skeleton_similarity(a: &str, b: &str) -> (f64, bool) {
    if a == b {
        return (1.0, true);
    }
    // Jaro-Winkler as implemented may depend on argument order; take both for symmetry.
    let jw = strsim::jaro_winkler(a, b).max(strsim::jaro_winkler(b, a));
    let jw = if jw.is_finite() {
        jw.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (jw, a.len().min(b.len()) > SHORT && jw >= TOKEN_SIMILAR)
}

fn token_similarity(a: &Tok, b: &Tok) -> (f64, bool) {
    let mut best = (0.0f64, false);
    for x in &a.alts {
        for y in &b.alts {
            let (s, ok) = skeleton_similarity(x, y);
            best = (best.0.max(s), best.1 || ok);
        }
    }
    best
}

/// Whether every word of the shorter name pairs with its own similar word of the longer one
/// (a bipartite matching that covers the shorter side, by augmenting paths).
fn covers_shorter(similar: &[Vec<bool>], rows: usize, cols: usize) -> bool {
    fn augment(
        r: usize,
        similar: &[Vec<bool>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for c in 0..owner.len() {
            if similar[r][c] && !seen[c] {
                seen[c] = true;
                if owner[c].is_none_or(|o| augment(o, similar, seen, owner)) {
                    owner[c] = Some(r);
                    return true;
                }
            }
        }
        false
    }
    // Matching size does not depend on which side is enumerated; rows it is.
    let mut owner = vec![None; cols];
    let mut matched = 0;
    for r in 0..rows {
        let mut seen = vec![false; cols];
        if augment(r, similar, &mut seen, &mut owner) {
            matched += 1;
        }
    }
    matched == rows.min(cols)
}

/// The similarity of two versions of names, if they are similar.
fn variant_similarity(x: &[Tok], y: &[Tok]) -> Option<f64> {
    let (nx, ny) = (x.len(), y.len());
    if nx == 0 || ny == 0 {
        return None;
    }
    let mut value = vec![vec![0.0f64; ny]; nx];
    let mut similar = vec![vec![false; ny]; nx];
    for (i, a) in x.iter().enumerate() {
        for (j, b) in y.iter().enumerate() {
            (value[i][j], similar[i][j]) = token_similarity(a, b);
        }
    }
    let primary_x = similar[0].iter().any(|&s| s);
    let primary_y = similar.iter().any(|row| row[0]);
    if !primary_x || !primary_y || !covers_shorter(&similar, nx, ny) {
        return None;
    }
    let best_x: f64 = value
        .iter()
        .map(|row| row.iter().copied().fold(0.0, f64::max))
        .sum::<f64>()
        / nx as f64;
    let best_y: f64 = (0..ny)
        .map(|j| value.iter().map(|row| row[j]).fold(0.0, f64::max))
        .sum::<f64>()
        / ny as f64;
    let coverage = nx.min(ny) as f64 / nx.max(ny) as f64;
    Some((best_x + best_y) / 2.0 * (0.85 + 0.15 * coverage))
}

/// A person with everything the matcher reads parsed once; names lazily (the cheap rules
/// usually decide first).
struct Prepared<'a> {
    person: Person<'a>,
    names: OnceCell<Vec<Variant>>,
    birth: Option<Birth>,
    gender: Option<u8>,
    mobile: Option<u64>,
    household: Option<&'a [u8]>,
    token: Option<&'a [u8]>,
}

impl<'a> Prepared<'a> {
    fn new(p: &Person<'a>) -> Self {
        Self {
            person: *p,
            names: OnceCell::new(),
            birth: p.birth.and_then(Birth::parse),
            gender: p.gender.and_then(gender),
            mobile: p.mobile.and_then(mobile),
            household: non_empty(p.household),
            token: non_empty(p.aadhaar_token),
        }
    }

    fn names(&self) -> &[Variant] {
        self.names.get_or_init(|| name_variants(&self.person))
    }

    fn name_similarity(&self, other: &Self) -> Option<f64> {
        let mut best: Option<f64> = None;
        for x in self.names() {
            for y in other.names() {
                if let Some(s) = variant_similarity(x, y) {
                    best = Some(best.map_or(s, |b| b.max(s)));
                }
            }
        }
        best
    }

    fn compare(&self, o: &Self) -> Option<Match> {
        let same_token = self.token.is_some() && self.token == o.token;
        let same_mobile = self.mobile.is_some() && self.mobile == o.mobile;
        let same_household = self.household.is_some() && self.household == o.household;
        if !same_token {
            let gender_conflict = matches!((self.gender, o.gender), (Some(a), Some(b)) if a != b);
            if gender_conflict || !(same_mobile || same_household) {
                return None;
            }
        }
        let birth = Birth::compatible(self.birth, o.birth);
        if !same_token && birth.is_none() {
            return None;
        }
        let name = self.name_similarity(o);
        if !same_token && name.is_none() {
            return None;
        }
        let mut reasons = Vec::with_capacity(4);
        if same_token {
            reasons.push(Reason::SameAadhaarToken);
        }
        if name.is_some() {
            reasons.push(Reason::SimilarName);
        }
        if let Some((r, _)) = birth {
            reasons.push(r);
        }
        if same_mobile {
            reasons.push(Reason::SameMobile);
        }
        if same_household {
            reasons.push(Reason::SameHousehold);
        }
        let score = if same_token {
            1.0
        } else {
            let link = if same_mobile && same_household {
                1.0
            } else {
                0.75
            };
            let birth = birth.map_or(0.0, |(_, w)| w);
            0.55 * name.unwrap_or(0.0) + 0.25 * birth + 0.20 * link
        };
        Some(Match {
            score: (score as f32).clamp(0.0, 1.0),
            reasons,
        })
    }
}
