//! Demo data: realistic, deterministic households for demos, benchmarks and load tests.
//!
//! A newcomer running the hub should see data that looks like a camp in Jammu & Kashmir (state
//! LGD code 1): villages of Budgam and Srinagar districts, names in Devanagari, Perso-Arabic and
//! Latin script, dates or only years of birth, some members with Aadhaar numbers (valid Verhoeff
//! check digits, all made up and starting with 9999 so they are easy to spot), some with an
//! existing ABHA number. The same seed always gives the same forms. Nothing here is real data.

use crate::ids::VillageId;
use crate::model::{HouseholdDraft, HouseholdForm, LgdCodes, MemberDraft, VillageDraft};
use crate::validate::checksum::{luhn_digit, verhoeff_digit};

/// The demo villages: (district, sub-district, village code, name).
const VILLAGES: &[(u32, u32, u32, &str)] = &[
    (2, 11, 900_101, "Khag"),
    (2, 11, 900_102, "Beerwah"),
    (2, 12, 900_103, "Chadoora"),
    (13, 61, 900_201, "Harwan"),
    (13, 61, 900_202, "Shalimar"),
];

const GIVEN_F: &[&str] = &[
    "सीता",
    "فاطمہ",
    "Shazia",
    "ललिता",
    "زینب",
    "Rukhsana",
    "गीता",
    "Mehvish",
];
const GIVEN_M: &[&str] = &[
    "रवि",
    "محمد عارف",
    "Imran",
    "सुरेश",
    "بلال",
    "Tariq",
    "अजय",
    "Javid",
];
const FAMILY: &[&str] = &["Bhat", "ڈار", "शर्मा", "Mir", "وانی", "Lone", "कौल", "Shah"];

/// A small deterministic generator (SplitMix64), so demo data needs no random-number crate.
#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// The demo villages, validated.
pub fn villages() -> Vec<VillageDraft> {
    VILLAGES
        .iter()
        .map(|&(district, subdistrict, village, name)| VillageDraft {
            lgd: LgdCodes {
                state: 1,
                district,
                subdistrict,
                village,
            },
            name: name.to_owned(),
        })
        .collect()
}

/// A demo Aadhaar number: `9999` + 7 digits from `n` + Verhoeff check digit.
pub fn aadhaar(n: u64) -> String {
    let body = format!("9999{:07}", n % 10_000_000);
    let check = verhoeff_digit(&body).unwrap_or(0);
    format!("{body}{check}")
}

/// A demo ABHA number with a valid Luhn check digit, `91-...`.
pub fn abha_number(n: u64) -> String {
    let body = format!("91{:011}", n % 100_000_000_000);
    let check = luhn_digit(&body).unwrap_or(0);
    let d = format!("{body}{check}");
    format!("{}-{}-{}-{}", &d[..2], &d[2..6], &d[6..10], &d[10..])
}

fn member(
    rng: &mut DemoRng,
    relation: &str,
    female: bool,
    adult: bool,
    serial: u64,
) -> MemberDraft {
    let given = if female {
        rng.pick(GIVEN_F)
    } else {
        rng.pick(GIVEN_M)
    };
    let year = if adult {
        1950 + rng.below(50)
    } else {
        2008 + rng.below(16)
    };
    let birth_date = if rng.below(3) == 0 {
        year.to_string()
    } else {
        format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
    };
    let has_aadhaar = adult || rng.below(2) == 0;
    let has_abha = rng.below(6) == 0;
    MemberDraft {
        given_name: given.to_owned(),
        family_name: Some(rng.pick(FAMILY).to_owned()),
        gender: if female { "F" } else { "M" }.to_owned(),
        birth_date,
        mobile: adult.then(|| format!("94{:08}", rng.below(100_000_000))),
        relation: relation.to_owned(),
        aadhaar: has_aadhaar.then(|| aadhaar(serial).into()),
        abha_number: has_abha.then(|| abha_number(serial)),
        ..Default::default()
    }
}

/// Demo household `n` in `village`: 1 to 7 members, a head first.
pub fn household(rng: &mut DemoRng, village: VillageId, n: u64) -> HouseholdForm {
    let size = 1 + rng.below(7);
    let head_female = rng.below(4) == 0;
    let mut members = vec![member(rng, "head", head_female, true, n * 10)];
    for i in 1..size {
        let (relation, female, adult) = match i {
            1 => ("spouse", !head_female, true),
            _ if rng.below(2) == 0 => ("daughter", true, rng.below(3) == 0),
            _ => ("son", false, rng.below(3) == 0),
        };
        members.push(member(rng, relation, female, adult, n * 10 + i));
    }
    HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(village),
            address: format!(
                "House {}, Mohalla {}",
                1 + rng.below(400),
                1 + rng.below(12)
            ),
            pincode: Some(format!("19{:04}", 1000 + rng.below(9000))),
            lat: Some(33.9 + rng.below(3000) as f64 / 10_000.0),
            lon: Some(74.6 + rng.below(3000) as f64 / 10_000.0),
        },
        members,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_demo_forms_are_valid_and_deterministic() {
        let today = time::macros::date!(2026 - 11 - 22);
        let v = VillageId::from_lgd(900_101);
        let mut a = DemoRng::new(7);
        let mut b = DemoRng::new(7);
        for n in 0..200 {
            let f = household(&mut a, v, n);
            let g = household(&mut b, v, n);
            assert_eq!(f.members.len(), g.members.len());
            let checked = f.check(today);
            assert!(checked.is_ok(), "{:?}", checked.err());
        }
        for v in villages() {
            assert!(v.validate().is_ok());
        }
        assert!(crate::validate::checksum::verhoeff_check(&aadhaar(42)));
        assert!(aadhaar(42).starts_with("9999"));
    }
}
