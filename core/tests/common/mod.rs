//! Shared fixtures for the core integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::{HouseholdDraft, HouseholdForm, LgdCodes, MemberDraft, VillageDraft};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::{Store, StoreKey};
use abha_core::validate::checksum::verhoeff_digit;

pub const DEMO_PUBLIC_PEM: &str = include_str!("../../../fixtures/demo-sealing/public.pem");
pub const DEMO_PRIVATE_PEM: &str = include_str!("../../../fixtures/demo-sealing/private.pem");

pub fn sealer() -> AadhaarSealer {
    AadhaarSealer::new(
        SealingKey::from_pem(DEMO_PUBLIC_PEM).unwrap(),
        TokenKey::from_bytes([9; 32]),
    )
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// A valid Aadhaar number starting with the 11 digits given.
pub fn aadhaar(first11: &str) -> String {
    assert_eq!(first11.len(), 11);
    format!("{first11}{}", verhoeff_digit(first11).unwrap())
}

pub fn member(given: &str, relation: &str, aadhaar: Option<&str>) -> MemberDraft {
    MemberDraft {
        given_name: given.into(),
        family_name: Some("देवी".into()),
        gender: "F".into(),
        birth_date: "1988-03-14".into(),
        mobile: Some("9876543210".into()),
        relation: relation.into(),
        aadhaar: aadhaar.map(|a| a.to_string().into()),
        ..Default::default()
    }
}

pub fn village(store: &Store) -> VillageId {
    let v = VillageDraft {
        lgd: LgdCodes {
            state: 1,
            district: 2,
            subdistrict: 12,
            village: 3456,
        },
        name: "Khag".into(),
    }
    .validate()
    .unwrap();
    store.put_village(&v).unwrap()
}

pub fn household(store: &Store, village: VillageId, members: Vec<MemberDraft>) -> HouseholdId {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(village),
            address: "Ward 4, near the school".into(),
            pincode: Some("191201".into()),
            lat: Some(34.0),
            lon: Some(74.8),
        },
        members,
    };
    let valid = form.check(today()).unwrap().value;
    let new = valid.seal(Some(&sealer()), None).unwrap();
    store.create_household(&new).unwrap()
}

/// Records a consent for `member` (an ABHA request must rest on one).
pub fn consent(store: &Store, member: abha_core::ids::MemberId) -> abha_core::ids::ConsentId {
    let k = abha_core::model::ConsentDraft {
        member_id: member,
        version: "1.4".into(),
        language: "hi".into(),
        given_by: abha_core::model::GivenBy::Beneficiary,
        guardian_name: None,
        method: abha_core::model::ConsentMethod::Checkbox,
        operator_id: abha_core::ids::WorkerId::new(),
        text_shown: "consent text".into(),
    }
    .validate()
    .unwrap();
    store.record_consent(&k).unwrap()
}

pub fn open(dir: &std::path::Path, key: &StoreKey) -> Store {
    Store::open(dir.join("field.db"), key).unwrap()
}
