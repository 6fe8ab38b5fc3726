//! The member name search on a real store: against a plain reference over every member, for
//! random name sets, deletions, limits and queries (including LIKE's own wildcards, which must
//! match only themselves).
#![allow(clippy::unwrap_used)]

mod common;

use abha_core::ids::MemberId;
use abha_core::model::Member;
use abha_core::store::StoreKey;
use common::*;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "Sita",
    "sita",
    "Ram",
    "Rani",
    "Imran",
    "सीता",
    "सीमा",
    "گل",
    "گلناز",
];
const QUERIES: &[&str] = &[
    "Sita", "SITA", "ra", "an", "सी", "ता", "گل", "دے", "दे", "%", "_", "a%", "x", " Ram ",
];

fn names_of(m: &Member) -> [Option<&str>; 4] {
    [
        m.given_name.as_deref(),
        m.middle_name.as_deref(),
        m.family_name.as_deref(),
        m.name_latin.as_deref(),
    ]
}

/// The search's meaning, spelled out: some name contains the trimmed query, ASCII letters
/// compared without case.
fn matches(m: &Member, q: &str) -> bool {
    let q = q.trim().to_ascii_lowercase();
    names_of(m)
        .iter()
        .flatten()
        .any(|n| n.to_ascii_lowercase().contains(&q))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn search_agrees_with_a_scan_of_every_member(
        households in prop::collection::vec(prop::collection::vec(0..NAMES.len(), 1..4), 1..6),
        deleted in prop::collection::vec(any::<bool>(), 20),
        q in 0..QUERIES.len(),
        limit in 1u32..8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), &StoreKey::random());
        let v = village(&store);
        let mut all: Vec<Member> = Vec::new();
        for names in &households {
            let drafts = names
                .iter()
                .enumerate()
                .map(|(i, n)| member(NAMES[*n], if i == 0 { "head" } else { "daughter" }, None))
                .collect();
            let hh = household(&store, v, drafts);
            all.extend(store.household(hh).unwrap().members);
        }
        // Delete some non-head members (a head cannot leave without a new head).
        let mut gone: Vec<MemberId> = Vec::new();
        for (m, del) in all.iter().zip(&deleted) {
            if *del && m.relation.as_deref() != Some("head") {
                store.delete_member(m.id).unwrap();
                gone.push(m.id);
            }
        }
        let live: Vec<&Member> = all.iter().filter(|m| !gone.contains(&m.id)).collect();
        let query = QUERIES[q];
        let expected: Vec<MemberId> = live.iter().filter(|m| matches(m, query)).map(|m| m.id).collect();

        let found = store.search_members(query, limit).unwrap();
        prop_assert_eq!(found.len(), expected.len().min(limit as usize));
        for m in &found {
            prop_assert!(expected.contains(&m.id), "only live members that match");
        }
        let mut ids: Vec<MemberId> = found.iter().map(|m| m.id).collect();
        ids.dedup();
        prop_assert_eq!(ids.len(), found.len(), "no member twice");
        prop_assert!(
            found.windows(2).all(|w| names_of(&w[0]) <= names_of(&w[1])),
            "results in name order"
        );
        if expected.len() <= limit as usize {
            let mut want = expected.clone();
            want.sort();
            ids.sort();
            prop_assert_eq!(ids, want, "every match when the limit allows");
        }
    }
}

#[test]
fn test_blank_query_finds_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    let v = village(&store);
    household(&store, v, vec![member("Sita", "head", None)]);
    assert!(store.search_members("   ", 10).unwrap().is_empty());
    assert_eq!(store.search_members("it", 10).unwrap().len(), 1);
}
