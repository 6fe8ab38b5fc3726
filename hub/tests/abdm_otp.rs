//! Aadhaar OTP at a camp, relayed through the hub, over real HTTP on 127.0.0.1: the tablet's
//! camp client (core) talks to the hub, the hub to the ABDM simulator. Every limit reaches the
//! worker as a clear state.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use abha_abdm_sim::{Resident, Sim, SimConfig, SimHandle};
use abha_core::abdm::AbdmConfig;
use abha_core::ids::{EnrollmentId, MemberId, VillageId, WorkerId};
use abha_core::model::{
    ConsentDraft, ConsentMethod, GivenBy, HouseholdDraft, HouseholdForm, MemberDraft,
    NewEnrollment, Route,
};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::sync::camp::{CampClient, CampState};
use abha_core::sync::client::HttpTransport;
use abha_hub::bridge::BridgeConfig;
use common::{RunningHub, Tablet, V1};
use zeroize::Zeroizing;

const DEMO_PUBLIC: &str = include_str!("../../fixtures/demo-sealing/public.pem");
const AADHAAR_MOBILE: &str = "9876500001";

async fn setup(
    sim_config: SimConfig,
) -> (SimHandle, tempfile::TempDir, RunningHub, Tablet, String) {
    let sim = Sim::start(sim_config).await.unwrap();
    let number = abha_core::demo::aadhaar(41);
    sim.add_residents(&[Resident::new(
        &number,
        "Asha Devi",
        "F",
        "1990-01-31",
        Some(AADHAAR_MOBILE),
    )])
    .unwrap();
    let abdm = AbdmConfig {
        gateway_base: sim.gateway_base(),
        abha_base: sim.abha_base(),
        client_id: SimConfig::default().client_id,
        client_secret: SimConfig::default().client_secret,
        benefit_name: Some("ABHA_FIELD".into()),
        rate_limit_per_sec: 0.0,
        ..AbdmConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start_with(dir.path(), false, None, move |c| {
        c.abdm = Some(abdm);
        c.bridge = BridgeConfig::default();
    })
    .await;
    let tablet = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    (sim, dir, hub, tablet, number)
}

/// A member with a sealed Aadhaar and an OTP request.
fn capture(t: &Tablet, aadhaar: &str, mobile: &str) -> (MemberId, EnrollmentId) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(V1)),
            address: "Ward 4".into(),
            ..Default::default()
        },
        members: vec![MemberDraft {
            given_name: "Asha".into(),
            family_name: Some("Devi".into()),
            gender: "F".into(),
            birth_date: "1990-01-31".into(),
            relation: "head".into(),
            mobile: Some(mobile.into()),
            aadhaar: Some(Zeroizing::new(aadhaar.into())),
            ..Default::default()
        }],
    };
    let sealer = AadhaarSealer::new(
        SealingKey::parse(DEMO_PUBLIC).unwrap(),
        TokenKey::from_bytes([0x5a; 32]),
    );
    let today = time::OffsetDateTime::now_utc().date();
    let new = form
        .check(today)
        .unwrap()
        .value
        .seal(Some(&sealer), None)
        .unwrap();
    let member = new.members[0].id;
    t.store.create_household(&new).unwrap();
    let consent = ConsentDraft {
        member_id: member,
        version: "1.4".into(),
        language: "ur".into(),
        given_by: GivenBy::Beneficiary,
        guardian_name: None,
        method: ConsentMethod::Checkbox,
        operator_id: WorkerId::new(),
        text_shown: "consent text v1.4".into(),
    }
    .validate()
    .unwrap();
    let consent_id = t.store.record_consent(&consent).unwrap();
    let e = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: member,
        route: Route::AadhaarOtp,
        consent_id,
        attempt_of: None,
    };
    (member, t.store.request_enrollment(&e, None).unwrap())
}

fn transport(t: &Tablet) -> HttpTransport {
    HttpTransport::new(
        &t.url,
        Some(t.token.clone()),
        t.pin,
        Duration::from_secs(30),
    )
    .unwrap()
}

fn wrong(otp: &str) -> String {
    format!("{:06}", (otp.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_otp_creation_with_mobile_verification_and_address() {
    let (sim, _dir, hub, tablet, number) = setup(SimConfig::default()).await;
    let (member, e) = capture(&tablet, &number, "9876500009");
    let http = transport(&tablet);
    let camp = CampClient {
        hub: &http,
        store: &tablet.store,
    };

    let r = camp.start(e, member).await.unwrap();
    assert_eq!(r.state, CampState::OtpSent);
    assert_eq!(r.sent_to.as_deref(), Some("******0001"));
    let session = r.session.clone();
    let otp = sim.latest_otp().unwrap();

    let r = camp
        .verify(e, member, &session, &wrong(&otp), Some("9876500009"))
        .await
        .unwrap();
    assert_eq!(r.state, CampState::OtpInvalid);
    assert!(
        tablet.store.sealed_aadhaar(member).unwrap().is_some(),
        "not answered yet"
    );

    let r = camp
        .verify(e, member, &session, &otp, Some("9876500009"))
        .await
        .unwrap();
    assert_eq!(
        r.state,
        CampState::MobileOtpSent,
        "the mobile given is not Aadhaar's"
    );
    let abha = r.abha_number.clone().unwrap();
    let seen = tablet.store.enrollments_of(member).unwrap();
    assert_eq!(seen[0].state.as_deref(), Some("created"));
    assert_eq!(seen[0].abha_number.as_deref(), Some(abha.as_str()));
    assert!(
        tablet.store.sealed_aadhaar(member).unwrap().is_none(),
        "discarded once ABDM answered"
    );

    let r = camp
        .verify_mobile(&session, &sim.latest_otp().unwrap())
        .await
        .unwrap();
    assert_eq!(r.state, CampState::MobileVerified);

    let r = camp.suggestions(&session).await.unwrap();
    assert_eq!(r.state, CampState::Suggestions);
    assert!(r.suggestions.len() >= 3, "{:?}", r.suggestions);
    let r = camp
        .choose_address(e, member, &session, &r.suggestions[0])
        .await
        .unwrap();
    assert_eq!(r.state, CampState::AddressCreated);
    let address = r.abha_address.clone().unwrap();
    assert!(address.ends_with("@sbx"));
    assert_eq!(
        tablet.store.member(member).unwrap().abha_address.as_deref(),
        Some(address.as_str())
    );

    // The outcome syncs to the hub like any edit.
    tablet.sync().await;
    let at_hub = hub.store().enrollments_of(member).unwrap();
    assert_eq!(at_hub[0].state.as_deref(), Some("created"));
    assert_eq!(sim.state().creations, 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_attempt_and_resend_limits_and_expiry_are_clear_states() {
    let (sim, _dir, hub, tablet, number) = setup(SimConfig {
        otp_ttl_secs: 1,
        ..SimConfig::default()
    })
    .await;
    let (member, e) = capture(&tablet, &number, AADHAAR_MOBILE);
    let http = transport(&tablet);
    let camp = CampClient {
        hub: &http,
        store: &tablet.store,
    };

    // Resends: two allowed, the third is refused.
    let session = camp.start(e, member).await.unwrap().session;
    assert_eq!(
        camp.resend(&session).await.unwrap().state,
        CampState::OtpSent
    );
    assert_eq!(
        camp.resend(&session).await.unwrap().state,
        CampState::OtpSent
    );
    assert_eq!(
        camp.resend(&session).await.unwrap().state,
        CampState::ResendLimit
    );

    // Wrong OTPs: three allowed, then ABDM-1100 for every try, even the right one.
    let session = camp.start(e, member).await.unwrap().session;
    let otp = sim.latest_otp().unwrap();
    for _ in 0..3 {
        let r = camp
            .verify(e, member, &session, &wrong(&otp), None)
            .await
            .unwrap();
        assert_eq!(r.state, CampState::OtpInvalid);
    }
    let r = camp.verify(e, member, &session, &otp, None).await.unwrap();
    assert_eq!(r.state, CampState::AttemptsExceeded);
    assert_eq!(r.reason_code.as_deref(), Some("abdm.otp_attempts_exceeded"));

    // Expiry.
    let session = camp.start(e, member).await.unwrap().session;
    let otp = sim.latest_otp().unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = camp.verify(e, member, &session, &otp, None).await.unwrap();
    assert_eq!(r.state, CampState::OtpExpired);
    assert_eq!(sim.state().creations, 0);
    assert_eq!(
        tablet.store.enrollments_of(member).unwrap()[0]
            .state
            .as_deref(),
        Some("queued"),
        "nothing recorded until ABDM creates"
    );
    assert!(
        tablet.store.sealed_aadhaar(member).unwrap().is_some(),
        "kept for a fresh start"
    );

    // An unknown session is the client's mistake: 404 with a code.
    let err = camp
        .verify(e, member, "no-such-session", "123456", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("otp.session_unknown"), "{err}");
    hub.stop().await;
}
