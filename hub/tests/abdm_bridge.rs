//! The queued demographic-authentication route end to end, over real HTTP on 127.0.0.1: a tablet
//! (core, real store file) syncs to a hub (in-process server) whose ABDM bridge calls the ABDM
//! simulator; the outcome flows back to the tablet by sync.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use abha_abdm_sim::{Fault, FaultMode, Resident, Sim, SimConfig};
use abha_core::ids::{EnrollmentId, MemberId, VillageId};
use abha_core::model::{
    EnrollmentState, HouseholdDraft, HouseholdForm, MemberDraft, NewEnrollment, Route,
};
use abha_core::store::Store;
use common::abdm::*;
use common::{RunningHub, Tablet, V1};
use zeroize::Zeroizing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_demo_auth_creates_an_abha_and_the_outcome_reaches_the_tablet() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let number = abha_core::demo::aadhaar(11);
    sim.add_residents(&[resident(&number, "Asha Devi")])
        .unwrap();
    let (_dir, hub, tablet) = camp(&sim).await;
    let (member, e) = capture(&tablet.store, "Asha", &number, "9876500001");
    assert!(tablet.store.sealed_aadhaar(member).unwrap().is_some());

    tablet.sync().await;
    wait_for(hub.store(), member, e, EnrollmentState::Created).await;
    assert!(
        hub.store().sealed_aadhaar(member).unwrap().is_none(),
        "the hub discards the sealed number once ABDM answered"
    );
    // The tablet still holds its copy until the outcome arrives.
    assert!(tablet.store.sealed_aadhaar(member).unwrap().is_some());

    tablet.sync().await;
    let on_tablet = tablet.store.enrollments_of(member).unwrap();
    assert_eq!(on_tablet[0].state.as_deref(), Some("created"));
    let abha = on_tablet[0].abha_number.clone().unwrap();
    assert_eq!(
        tablet.store.member(member).unwrap().abha_number.as_deref(),
        Some(abha.as_str())
    );
    assert!(tablet.store.sealed_aadhaar(member).unwrap().is_none());
    let st = sim.state();
    assert_eq!(st.creations, 1);
    assert_eq!(st.abhas.len(), 1);
    assert_eq!(st.abhas[0].abha_number, abha);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_demographic_mismatch_needs_correction_then_the_resubmission_creates() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let number = abha_core::demo::aadhaar(12);
    sim.add_residents(&[resident(&number, "Asha Devi")])
        .unwrap();
    let (_dir, hub, tablet) = camp(&sim).await;
    // The worker typed the name wrong.
    let (member, first) = capture(&tablet.store, "Aasha", &number, "9876500001");
    tablet.sync().await;
    wait_for(hub.store(), member, first, EnrollmentState::NeedsCorrection).await;
    tablet.sync().await;
    let seen = tablet.store.enrollments_of(member).unwrap();
    assert_eq!(seen[0].state.as_deref(), Some("needs_correction"));
    assert_eq!(
        seen[0].reason_code.as_deref(),
        Some("abdm.demographic_mismatch")
    );
    assert!(
        tablet.store.sealed_aadhaar(member).unwrap().is_none(),
        "discarded once ABDM answered, even without success"
    );

    // The worker corrects the name and reads the Aadhaar number off the card again.
    let resealed = sealer().seal(&Zeroizing::new(number.clone())).unwrap();
    let new = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: member,
        route: Route::DemoAuth,
        consent_id: consent(&tablet.store, member),
        attempt_of: Some(first),
    };
    let second = new.id;
    tablet
        .store
        .resubmit_enrollment(
            first,
            &new,
            vec![("given_name", abha_core::oplog::Value::Text("Asha".into()))],
            Some(&resealed),
            None,
        )
        .unwrap();
    tablet.sync().await;
    wait_for(hub.store(), member, second, EnrollmentState::Created).await;
    tablet.sync().await;
    let seen = tablet.store.enrollments_of(member).unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].state.as_deref(),
        Some("needs_correction"),
        "old outcome kept"
    );
    assert_eq!(seen[1].attempt_of, Some(first));
    assert_eq!(seen[1].state.as_deref(), Some("created"));
    assert_eq!(sim.state().creations, 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_outage_retries_later_then_exactly_one_abha_is_created() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let number = abha_core::demo::aadhaar(13);
    sim.add_residents(&[resident(&number, "Asha Devi")])
        .unwrap();
    sim.set_fault(Fault::new(FaultMode::Unavailable));
    let (_dir, hub, tablet) = camp(&sim).await;
    let (member, e) = capture(&tablet.store, "Asha", &number, "9876500001");
    tablet.sync().await;
    wait_for(hub.store(), member, e, EnrollmentState::RetryLater).await;
    tablet.sync().await;
    let seen = tablet.store.enrollments_of(member).unwrap();
    assert_eq!(seen[0].state.as_deref(), Some("retry_later"));
    assert_eq!(seen[0].reason_code.as_deref(), Some("abdm.unavailable"));
    assert!(
        tablet.store.sealed_aadhaar(member).unwrap().is_some(),
        "not answered yet"
    );
    assert!(hub.store().sealed_aadhaar(member).unwrap().is_some());

    sim.set_fault(Fault::none());
    wait_for(hub.store(), member, e, EnrollmentState::Created).await;
    let st = sim.state();
    assert_eq!(st.creations, 1, "exactly one ABHA");
    assert_eq!(st.abhas[0].created_times, 1);
    tablet.sync().await;
    assert_eq!(
        tablet.store.enrollments_of(member).unwrap()[0]
            .state
            .as_deref(),
        Some("created")
    );
    assert!(tablet.store.sealed_aadhaar(member).unwrap().is_none());

    // Supervisors see the job, its tries and its last reason; a worker may not.
    let http = common::raw_client(None);
    let url = format!("{}/v1/admin/abdm/jobs", hub.url);
    let sup = hub.token(abha_hub::registry::Role::Supervisor);
    let v: serde_json::Value = http
        .get(&url)
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = &v["jobs"][0];
    assert_eq!(job["outcome"], "created");
    assert!(job["attempts"].as_i64().unwrap() >= 2, "{job}");
    let status = http
        .get(&url)
        .bearer_auth(&tablet.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_session_token_expiry_in_the_middle_of_a_queue() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let numbers: Vec<String> = (20..26).map(abha_core::demo::aadhaar).collect();
    let residents: Vec<Resident> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Resident::new(
                n,
                "Asha Devi",
                "F",
                "1990-01-31",
                Some(&format!("98765000{i:02}")),
            )
        })
        .collect();
    sim.add_residents(&residents).unwrap();
    let (_dir, hub, tablet) = camp(&sim).await;
    let mut queued = Vec::new();
    for (i, n) in numbers.iter().enumerate().take(3) {
        queued.push(capture(
            &tablet.store,
            "Asha",
            n,
            &format!("98765000{i:02}"),
        ));
    }
    tablet.sync().await;
    for (m, e) in &queued {
        wait_for(hub.store(), *m, *e, EnrollmentState::Created).await;
    }
    assert_eq!(
        sim.state().sessions_issued,
        1,
        "one session for the whole batch"
    );
    // ABDM revokes every token early; the next jobs must renew once and carry on.
    sim.expire_tokens();
    for (i, n) in numbers.iter().enumerate().skip(3) {
        queued.push(capture(
            &tablet.store,
            "Asha",
            n,
            &format!("98765000{i:02}"),
        ));
    }
    tablet.sync().await;
    for (m, e) in &queued {
        wait_for(hub.store(), *m, *e, EnrollmentState::Created).await;
    }
    let st = sim.state();
    assert_eq!(st.creations, 6);
    assert_eq!(
        st.sessions_issued, 2,
        "renewed once, not once per job in flight"
    );
    hub.stop().await;
}

/// A member whose ABHA was scanned from a card (or typed), and a request to link it.
fn capture_link(tablet: &Store, abha: &str) -> (MemberId, EnrollmentId) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(V1)),
            address: "Ward 5".into(),
            ..Default::default()
        },
        members: vec![MemberDraft {
            given_name: "Rukhsana".into(),
            gender: "F".into(),
            birth_date: "1985".into(),
            relation: "head".into(),
            abha_number: Some(abha.into()),
            ..Default::default()
        }],
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form.check(today).unwrap().value.seal(None, None).unwrap();
    let member = new.members[0].id;
    tablet.create_household(&new).unwrap();
    let e = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: member,
        route: Route::LinkExisting,
        consent_id: consent(tablet, member),
        attempt_of: None,
    };
    (member, tablet.request_enrollment(&e, None).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_linking_a_scanned_abha_is_verified_at_the_hub() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let number = abha_core::demo::aadhaar(31);
    sim.add_residents(&[resident(&number, "Asha Devi")])
        .unwrap();
    let (_dir, hub, tablet) = camp(&sim).await;
    // An ABHA that exists at ABDM (made by demo auth for someone).
    let (m0, e0) = capture(&tablet.store, "Asha", &number, "9876500001");
    tablet.sync().await;
    wait_for(hub.store(), m0, e0, EnrollmentState::Created).await;
    let existing = hub.store().enrollments_of(m0).unwrap()[0]
        .abha_number
        .clone()
        .unwrap();

    let (known, e1) = capture_link(&tablet.store, &existing);
    let (unknown, e2) = capture_link(&tablet.store, &abha_core::demo::abha_number(7));
    tablet.sync().await;
    wait_for(hub.store(), known, e1, EnrollmentState::Linked).await;
    wait_for(hub.store(), unknown, e2, EnrollmentState::NeedsCorrection).await;
    tablet.sync().await;
    let seen = tablet.store.enrollments_of(known).unwrap();
    assert_eq!(seen[0].state.as_deref(), Some("linked"));
    assert_eq!(seen[0].abha_number.as_deref(), Some(existing.as_str()));
    let seen = tablet.store.enrollments_of(unknown).unwrap();
    assert_eq!(seen[0].reason_code.as_deref(), Some("abdm.not_found"));
    assert_eq!(sim.state().creations, 1, "linking creates nothing");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_lgd_masters_fetched_by_the_hub_reach_the_tablet() {
    use abha_core::model::RegionLevel;
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (_dir, hub, tablet) = camp(&sim).await;
    // Before any sync the bundled snapshot serves the forms.
    let states = tablet.store.regions(RegionLevel::State, 0).unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        tablet
            .store
            .regions(RegionLevel::District, 1)
            .unwrap()
            .len(),
        20
    );

    for _ in 0..200 {
        if !hub
            .store()
            .regions(RegionLevel::Subdistrict, 1)
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tablet.sync().await;
    let names = |level, parent| -> Vec<String> {
        tablet
            .store
            .regions(level, parent)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    let states = names(RegionLevel::State, 0);
    assert!(states.contains(&"BIHAR".to_string()), "{states:?}");
    assert_eq!(
        names(RegionLevel::Subdistrict, 1),
        vec!["ANANTNAG", "BIJBEHARA"]
    );
    // A second fetch of an unchanged list writes nothing.
    let before = hub.store().pending().unwrap().ops;
    let bridge = abha_hub::bridge::Bridge::new(
        hub.store().clone(),
        abha_core::abdm::AbdmClient::new(abdm_config(&sim)).unwrap(),
        abha_hub::bridge::Opener::from_pem(include_str!("../../fixtures/demo-sealing/private.pem"))
            .unwrap(),
        quick_bridge(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    assert_eq!(bridge.refresh_lgd().await.unwrap(), 0);
    assert_eq!(hub.store().pending().unwrap().ops, before);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_hub_restart_mid_call_creates_exactly_one_abha_and_calls_it_created() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let number = abha_core::demo::aadhaar(51);
    sim.add_residents(&[resident(&number, "Asha Devi")])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A hub without ABDM takes the request in.
    let hub = RunningHub::start(dir.path(), false, None).await;
    let tablet = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    let (member, e) = capture(&tablet.store, "Asha", &number, "9876500001");
    tablet.sync().await;
    // The bridge took the job and its call reached ABDM, then the hub died before recording.
    let now = hub.store().clock().now_ms() as i64;
    abha_hub::bridge::jobs::discover(hub.store(), now).unwrap();
    abha_hub::bridge::jobs::refresh(hub.store(), now).unwrap();
    let taken = abha_hub::bridge::jobs::take_due(hub.store(), now, 10).unwrap();
    assert_eq!(taken.len(), 1);
    let client = abha_core::abdm::AbdmClient::new(abdm_config(&sim)).unwrap();
    let digits = Zeroizing::new(number.clone());
    let first = client
        .enrol_with_demo_auth(&abha_core::abdm::DemoAuth {
            aadhaar: &digits,
            name: "Asha Devi",
            gender: "F",
            birth: "1990-01-31",
            state_code: 1,
            district_code: 5,
            mobile: None,
            pin_code: None,
            address: None,
        })
        .await
        .unwrap();
    assert!(first.is_new);
    hub.stop().await;

    // On restart the job is recovered as ambiguous and retried once.
    let hub = hub_with_abdm(dir.path(), &sim).await;
    wait_for(hub.store(), member, e, EnrollmentState::Created).await;
    let got = hub.store().enrollments_of(member).unwrap()[0]
        .abha_number
        .clone();
    assert_eq!(got.as_deref(), Some(first.abha_number.as_str()));
    assert_eq!(sim.state().creations, 1, "exactly one ABHA");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_refused_credentials_pause_the_bridge_instead_of_looping() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let numbers: Vec<String> = (60..63).map(abha_core::demo::aadhaar).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut abdm = abdm_config(&sim);
    abdm.client_secret = "wrong".into();
    let hub = RunningHub::start_with(dir.path(), false, None, move |c| {
        c.abdm = Some(abdm);
        c.bridge = quick_bridge();
    })
    .await;
    let tablet = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    let queued: Vec<_> = numbers
        .iter()
        .map(|n| capture(&tablet.store, "Asha", n, "9876500001"))
        .collect();
    tablet.sync().await;
    for (m, e) in &queued {
        wait_for(hub.store(), *m, *e, EnrollmentState::RetryLater).await;
    }
    // Give a looping client every chance to hammer the gateway.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let st = sim.state();
    assert_eq!(
        st.requests, 1,
        "one refused session call, then a pause: {st:?}"
    );
    assert_eq!(st.sessions_issued, 0);
    tablet.sync().await;
    for (m, _) in &queued {
        let seen = tablet.store.enrollments_of(*m).unwrap();
        assert_eq!(seen[0].reason_code.as_deref(), Some("abdm.credentials"));
        assert!(
            tablet.store.sealed_aadhaar(*m).unwrap().is_some(),
            "not answered: kept"
        );
    }
    hub.stop().await;
}
