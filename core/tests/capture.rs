//! The capture path both the tablet and the CLI use: inline check and save agree, the village
//! must be the device's, duplicates warn, no sealing key refuses an Aadhaar number cleanly, and
//! review queries see what needs a look.
#![allow(clippy::unwrap_used)]

mod common;

use abha_core::capture::Capture;
use abha_core::ids::{ConsentId, EnrollmentId, VillageId};
use abha_core::model::{EnrollmentState, HouseholdDraft, HouseholdForm, NewEnrollment, Route};
use abha_core::store::{ATTENTION_STATES, StoreError, StoreKey};
use common::*;

fn form(village: Option<VillageId>, members: Vec<abha_core::model::MemberDraft>) -> HouseholdForm {
    HouseholdForm {
        household: HouseholdDraft {
            village_id: village,
            address: "Ward 4".into(),
            pincode: Some("191201".into()),
            lat: None,
            lon: None,
        },
        members,
    }
}

fn pairs(issues: &[abha_core::validate::Issue]) -> Vec<(String, String)> {
    let mut v: Vec<_> = issues
        .iter()
        .map(|i| (i.field.clone(), i.code.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn test_check_and_save_report_the_same_errors_and_save_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    let sealer = sealer();
    let c = Capture {
        store: &store,
        sealer: Some(&sealer),
        worker: None,
        today: today(),
    };
    let mut bad = member("Sita", "head", Some("234123412345"));
    bad.birth_date = "31-12-1990".into();
    let f = form(
        Some(VillageId::from_lgd(777)),
        vec![bad, member("Gita", "head", None)],
    );
    let checked = c.check_household(&f).unwrap();
    let Err(StoreError::Validation(e)) = c.save_household(&f) else {
        panic!("invalid form saved")
    };
    assert_eq!(pairs(&checked.errors), pairs(&e.errors));
    assert_eq!(
        pairs(&e.errors),
        vec![
            ("household.village_id".into(), "village.unknown".into()),
            ("members[0].aadhaar".into(), "aadhaar.checksum".into()),
            ("members[0].birth_date".into(), "dob.format".into()),
            ("members[1].relation".into(), "relation.second_head".into()),
        ]
    );
    assert_eq!(store.pending().unwrap().changes, 0);
}

#[test]
fn test_duplicates_warn_then_group_and_attention_lists_sent_back_requests() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    let v = village(&store);
    let sealer = sealer();
    let c = Capture {
        store: &store,
        sealer: Some(&sealer),
        worker: None,
        today: today(),
    };
    let number = aadhaar("23412341234");
    let first = c
        .save_household(&form(Some(v), vec![member("Sita", "head", Some(&number))]))
        .unwrap();
    assert!(first.warnings.is_empty());
    let second = c
        .save_household(&form(Some(v), vec![member("Sita", "head", Some(&number))]))
        .unwrap();
    assert_eq!(
        pairs(&second.warnings),
        vec![
            ("members[0].aadhaar".into(), "aadhaar.duplicate".into()),
            (
                "members[0].given_name".into(),
                "member.possible_duplicate".into()
            ),
        ]
    );
    let added = c
        .add_member(first.id, &member("Sita B", "sister", Some(&number)))
        .unwrap();
    assert_eq!(
        pairs(&added.warnings),
        vec![
            ("aadhaar".into(), "aadhaar.duplicate".into()),
            ("given_name".into(), "member.possible_duplicate".into()),
        ]
    );
    let groups = store.duplicate_groups(10).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].members.len(), 3);

    let request = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: first.member_ids[0],
        route: Route::DemoAuth,
        consent_id: consent(&store, first.member_ids[0]),
        attempt_of: None,
    };
    let without = NewEnrollment {
        id: EnrollmentId::new(),
        consent_id: ConsentId::new(),
        ..request.clone()
    };
    let Err(StoreError::Validation(e)) = store.request_enrollment(&without, None) else {
        panic!("a request without a recorded consent was stored")
    };
    assert_eq!(
        pairs(&e.errors),
        vec![("consent_id".into(), "consent.missing".into())]
    );
    store.request_enrollment(&request, None).unwrap();
    assert!(
        store
            .enrollments_in(&ATTENTION_STATES, 10)
            .unwrap()
            .is_empty()
    );
    store
        .record_enrollment_outcome(
            request.id,
            first.member_ids[0],
            EnrollmentState::NeedsCorrection,
            Some("abdm.demographic_mismatch"),
            None,
            None,
        )
        .unwrap();
    let attention = store.enrollments_in(&ATTENTION_STATES, 10).unwrap();
    assert_eq!(attention.len(), 1);
    assert_eq!(
        attention[0].reason_code.as_deref(),
        Some("abdm.demographic_mismatch")
    );
    assert_eq!(attention[0].consent_id, Some(request.consent_id));
}

#[test]
fn test_without_a_sealing_key_an_aadhaar_number_is_a_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    let v = village(&store);
    let c = Capture {
        store: &store,
        sealer: None,
        worker: None,
        today: today(),
    };
    let f = form(
        Some(v),
        vec![member("Sita", "head", Some(&aadhaar("23412341234")))],
    );
    let Err(StoreError::Validation(e)) = c.save_household(&f) else {
        panic!("saved without a key")
    };
    assert_eq!(
        pairs(&e.errors),
        vec![("members[0].aadhaar".into(), "aadhaar.no_sealing_key".into())]
    );
    assert!(
        c.save_household(&form(Some(v), vec![member("Sita", "head", None)]))
            .is_ok()
    );
}

#[test]
fn test_a_person_already_recorded_in_another_script_is_flagged_before_saving() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    let v = village(&store);
    let sealer = sealer();
    let c = Capture {
        store: &store,
        sealer: Some(&sealer),
        worker: None,
        today: today(),
    };
    // सुनीता देवी, mobile 9876543210, recorded first.
    let first = c
        .save_household(&form(Some(v), vec![member("सुनीता", "head", None)]))
        .unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let changes = store.pending().unwrap().changes;

    // Another worker types her in Latin script, with the mobile written another way: the
    // check warns before anything is saved, naming the stored member and why.
    let mut again = member("Suneeta", "head", None);
    again.family_name = Some("Debi".into());
    again.mobile = Some("+91 98765 43210".into());
    let checked = c
        .check_household(&form(Some(v), vec![again.clone()]))
        .unwrap();
    let w = &checked.warnings;
    assert_eq!(
        pairs(w),
        vec![(
            "members[0].given_name".into(),
            "member.possible_duplicate".into()
        )]
    );
    let params = &w[0].params;
    assert_eq!(params["member_id"], first.member_ids[0].to_string());
    assert_eq!(
        params["reasons"],
        "similar_name,same_birth_date,same_mobile"
    );
    assert_eq!(
        store.pending().unwrap().changes,
        changes,
        "checking saves nothing"
    );

    // A different person on the same mobile (her daughter) is not flagged; nor is one with
    // the same name born in another year.
    let mut daughter = member("Anita", "head", None);
    daughter.birth_date = "2008-01-01".into();
    let mut namesake = member("Sunita", "head", None);
    namesake.birth_date = "1975-06-01".into();
    for other in [daughter, namesake] {
        let checked = c.check_household(&form(Some(v), vec![other])).unwrap();
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    }

    // Adding her to her own household again, and entering one person twice in one form.
    let mut no_phone = member("Sunita", "sister", None);
    no_phone.mobile = None;
    let checked = c.check_member(first.id, &no_phone).unwrap();
    assert_eq!(
        pairs(&checked.warnings),
        vec![("given_name".into(), "member.possible_duplicate".into())]
    );
    let mut twice = member("Ramesh", "head", None);
    twice.gender = "M".into();
    twice.mobile = None;
    let mut copy = twice.clone();
    copy.relation = "brother".into();
    let saved = c.save_household(&form(Some(v), vec![twice, copy])).unwrap();
    assert_eq!(saved.member_ids.len(), 2, "a warning never blocks the save");
    let params = &saved.warnings[0].params;
    assert_eq!(saved.warnings[0].field, "members[1].given_name");
    assert_eq!(params["member_index"], "0");
}
