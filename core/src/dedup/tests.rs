//! The matcher's rules, one by one, across scripts; and its algebra as properties: symmetric,
//! total (never panics), and [`pairs`] finds exactly what pairwise [`compare`] finds.
#![allow(clippy::unwrap_used)]
use proptest::prelude::*;

use super::*;

const H1: &[u8] = &[1; 16];
const H2: &[u8] = &[2; 16];

fn person<'a>(given: &'a str, family: Option<&'a str>, birth: &'a str) -> Person<'a> {
    Person {
        given_name: given,
        family_name: family,
        birth: Some(birth),
        gender: Some("F"),
        household: Some(H1),
        ..Person::default()
    }
}

fn matches(a: &Person, b: &Person) -> bool {
    let ab = compare(a, b);
    assert_eq!(ab.is_some(), compare(b, a).is_some(), "symmetric");
    ab.is_some()
}

#[test]
fn one_name_in_every_script_is_one_skeleton() {
    let spellings = [
        ("सुनीता", Some("देवी")),
        ("Sunita", Some("Devi")),
        ("Suneeta", Some("Debi")),
        ("ਸੁਨੀਤਾ", Some("ਦੇਵੀ")),
        ("সুনীতা", Some("দেবী")),
        ("سنیتا", Some("دیوی")),
    ];
    let base = person(spellings[0].0, spellings[0].1, "1990-05-01");
    for (given, family) in spellings {
        let other = person(given, family, "1990-05-01");
        assert!(matches(&base, &other), "{given}");
        assert_eq!(name_key(&base), name_key(&other), "{given}");
    }
}

#[test]
fn transliteration_variants_of_muslim_and_sikh_names_match() {
    for (a, b) in [
        ("Mohammad Iqbal", "Muhammad Ikbal"),
        ("मोहम्मद इकबाल", "Mohd Iqbal"),
        ("Zainab", "زینب"),
        ("Gurpreet Kaur", "ਗੁਰਪ੍ਰੀਤ ਕੌਰ"),
        ("Lakshmi", "Laxmi"),
    ] {
        let x = Person {
            given_name: a,
            ..person("", None, "1985")
        };
        let y = Person {
            given_name: b,
            ..person("", None, "1985")
        };
        assert!(matches(&x, &y), "{a} / {b}");
    }
}

#[test]
fn family_members_are_not_one_person() {
    // Same household and family name; different given names or births.
    let mother = person("Sunita", Some("Devi"), "1970-01-01");
    for other in [
        person("Anita", Some("Devi"), "1970-01-01"),
        person("Sunita", Some("Devi"), "1995-01-01"),
        person("Arun", None, "1990"),
    ] {
        assert!(!matches(&mother, &other));
    }
    assert!(!matches(
        &person("Arun", None, "1990"),
        &person("Arjun", None, "1990")
    ));
    assert!(!matches(
        &person("Sanjay", None, "1990"),
        &person("Sanjeev", None, "1990")
    ));
}

#[test]
fn every_fuzzy_match_needs_a_link_a_birth_and_no_gender_conflict() {
    let a = person("Sunita", Some("Devi"), "1990-05-01");
    let elsewhere = Person {
        household: Some(H2),
        ..a
    };
    assert!(!matches(&a, &elsewhere), "no link");
    let by_phone = |p: Person<'static>| Person {
        mobile: Some("+91 98765-43210"),
        ..p
    };
    let b = Person {
        mobile: Some("09876543210"),
        ..elsewhere
    };
    assert!(
        matches(&by_phone(person("Sunita", Some("Devi"), "1990-05-01")), &b),
        "mobile"
    );
    let m = compare(&by_phone(person("Sunita", Some("Devi"), "1990-05-01")), &b).unwrap();
    assert!(m.reasons.contains(&Reason::SameMobile));
    assert!(
        !matches(
            &a,
            &Person {
                gender: Some("M"),
                ..a
            }
        ),
        "gender"
    );
    assert!(matches(&a, &Person { gender: None, ..a }), "unknown gender");
    assert!(
        !matches(
            &a,
            &Person {
                birth: Some("1990-05-02"),
                ..a
            }
        ),
        "two full dates"
    );
    assert!(
        matches(
            &a,
            &Person {
                birth: Some("1990"),
                ..a
            }
        ),
        "year of a date"
    );
    assert!(
        !matches(
            &a,
            &Person {
                birth: Some("1991"),
                ..a
            }
        ),
        "other year of a date"
    );
    let y = Person {
        birth: Some("1990"),
        ..a
    };
    assert!(
        matches(
            &y,
            &Person {
                birth: Some("1991"),
                ..a
            }
        ),
        "two estimates"
    );
    assert!(!matches(
        &y,
        &Person {
            birth: Some("1992"),
            ..a
        }
    ));
    assert!(!matches(&a, &Person { birth: None, ..a }), "no birth");
}

#[test]
fn the_same_aadhaar_token_is_one_person_whatever_else_differs() {
    let a = Person {
        aadhaar_token: Some(&[7; 16]),
        ..person("Sunita", None, "1990-05-01")
    };
    let b = Person {
        aadhaar_token: Some(&[7; 16]),
        gender: Some("M"),
        household: Some(H2),
        ..person("Ramesh", None, "1950")
    };
    let m = compare(&a, &b).unwrap();
    assert_eq!(m.score, 1.0);
    assert_eq!(m.reasons, vec![Reason::SameAadhaarToken]);
    let c = Person {
        aadhaar_token: Some(&[8; 16]),
        ..b
    };
    assert!(!matches(&a, &c));
    // An empty token is no token.
    let e = Person {
        aadhaar_token: Some(&[]),
        household: Some(H2),
        ..a
    };
    assert!(!matches(
        &Person {
            aadhaar_token: Some(&[]),
            ..b
        },
        &e
    ));
}

#[test]
fn word_order_and_honorifics_do_not_matter() {
    let a = person("Smt. Sunita", Some("Sharma"), "1990");
    assert!(matches(&a, &person("Sharma Sunita", None, "1990")));
    assert!(matches(&a, &person("Sunita", None, "1990")));
    // A shared family name alone never matches.
    assert!(!matches(&a, &person("Kavita", Some("Sharma"), "1990")));
}

#[test]
fn the_latin_spelling_is_a_second_version_of_the_name() {
    let a = Person {
        name_latin: Some("Sunita Devi"),
        ..person("सुनीता", Some("देवी"), "1990")
    };
    let b = person("Suneeta", None, "1990");
    assert!(matches(&a, &b));
}

#[test]
fn debug_output_holds_no_personal_data() {
    let p = Person {
        mobile: Some("9876543210"),
        ..person("Sunita", Some("Devi"), "1990")
    };
    let text = format!("{p:?}");
    for secret in ["Sunita", "Devi", "1990", "9876"] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn a_large_block_on_one_mobile_still_finds_every_pair() {
    // 100 people on one typed mobile (over SMALL_BLOCK): only the near-identical ones pair.
    let names: Vec<String> = (0..100).map(|i| format!("Name{}", i % 50)).collect();
    let people: Vec<Person> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Person {
            given_name: n,
            birth: Some(["1990", "1991", "1995"][i % 3]),
            mobile: Some("9876543210"),
            household: None,
            ..Person::default()
        })
        .collect();
    let fast = pairs(&people);
    let slow = brute(&people);
    assert_eq!(fast.len(), slow.len());
    assert!(!fast.is_empty());
}

fn brute(people: &[Person]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..people.len() {
        for j in i + 1..people.len() {
            if compare(&people[i], &people[j]).is_some() {
                out.push((i, j));
            }
        }
    }
    out
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Sunita",
            "सुनीता",
            "Suneeta",
            "سنیتا",
            "Anita",
            "Ramesh",
            "रमेश",
            "Devi",
            "Kaur",
            "Hasan",
            "Husain",
            "",
            " ",
            "्",
            "😀",
            "Smt",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ]
}

#[derive(Debug, Clone)]
struct Owned {
    given: String,
    family: Option<String>,
    birth: Option<String>,
    gender: Option<String>,
    mobile: Option<String>,
    household: Option<Vec<u8>>,
    token: Option<Vec<u8>>,
}

impl Owned {
    fn person(&self) -> Person<'_> {
        Person {
            given_name: &self.given,
            middle_name: None,
            family_name: self.family.as_deref(),
            name_latin: None,
            birth: self.birth.as_deref(),
            gender: self.gender.as_deref(),
            mobile: self.mobile.as_deref(),
            household: self.household.as_deref(),
            aadhaar_token: self.token.as_deref(),
        }
    }
}

fn owned() -> impl Strategy<Value = Owned> {
    (
        name_strategy(),
        prop::option::of(name_strategy()),
        prop::option::of(prop::sample::select(vec![
            "1990",
            "1991",
            "1990-05-01",
            "1990-5-1",
            "19xx",
            "",
        ])),
        prop::option::of(prop::sample::select(vec!["M", "F", "O", "x"])),
        prop::option::of(prop::sample::select(vec![
            "9876543210",
            "+919876543210",
            "12",
        ])),
        prop::option::of(prop::sample::select(vec![vec![1u8; 16], vec![2u8; 16]])),
        prop::option::of(prop::sample::select(vec![vec![7u8; 16], vec![]])),
    )
        .prop_map(
            |(given, family, birth, gender, mobile, household, token)| Owned {
                given,
                family,
                birth: birth.map(str::to_owned),
                gender: gender.map(str::to_owned),
                mobile: mobile.map(str::to_owned),
                household,
                token,
            },
        )
}

proptest! {
    #[test]
    fn compare_is_symmetric_and_scores_stay_in_range(a in owned(), b in owned()) {
        let (pa, pb) = (a.person(), b.person());
        let ab = compare(&pa, &pb);
        let ba = compare(&pb, &pa);
        prop_assert_eq!(ab.as_ref().map(|m| &m.reasons), ba.as_ref().map(|m| &m.reasons));
        if let (Some(x), Some(y)) = (&ab, &ba) {
            prop_assert!((x.score - y.score).abs() < 1e-6);
            prop_assert!((0.0..=1.0).contains(&x.score));
        }
    }

    #[test]
    fn pairs_finds_exactly_what_compare_finds(people in prop::collection::vec(owned(), 0..40)) {
        let view: Vec<Person> = people.iter().map(Owned::person).collect();
        let fast: Vec<(usize, usize)> = pairs(&view).into_iter().map(|(i, j, _)| (i, j)).collect();
        prop_assert_eq!(fast, brute(&view));
    }

    #[test]
    fn arbitrary_text_never_panics(given in "\\PC{0,300}", latin in "\\PC{0,40}") {
        let p = Person { given_name: &given, name_latin: Some(&latin), ..person("", None, "1990") };
        let _ = name_key(&p);
        let _ = compare(&p, &p);
    }
}
