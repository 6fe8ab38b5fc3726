//! ABDM helpers shared by the bridge, PII and OTP suites: a hub with the bridge pointed at the
//! simulator, and captures of members with sealed Aadhaar numbers and requests.

use std::time::Duration;

use abha_abdm_sim::{Resident, SimConfig, SimHandle};
use abha_core::abdm::AbdmConfig;
use abha_core::ids::{EnrollmentId, HouseholdId, MemberId, VillageId, WorkerId};
use abha_core::model::{
    ConsentDraft, ConsentMethod, EnrollmentState, GivenBy, HouseholdDraft, HouseholdForm,
    MemberDraft, NewEnrollment, Route,
};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::Store;
use abha_hub::bridge::BridgeConfig;
use zeroize::Zeroizing;

use super::{RunningHub, V1};

pub const DEMO_PUBLIC: &str = include_str!("../../../fixtures/demo-sealing/public.pem");

pub fn sealer() -> AadhaarSealer {
    AadhaarSealer::new(
        SealingKey::parse(DEMO_PUBLIC).unwrap(),
        TokenKey::from_bytes([0x5a; 32]),
    )
}

pub fn abdm_config(sim: &SimHandle) -> AbdmConfig {
    AbdmConfig {
        gateway_base: sim.gateway_base(),
        abha_base: sim.abha_base(),
        client_id: SimConfig::default().client_id,
        client_secret: SimConfig::default().client_secret,
        benefit_name: Some("ABHA_FIELD".into()),
        rate_limit_per_sec: 0.0,
        retry_base: Duration::from_millis(20),
        ..AbdmConfig::default()
    }
}

pub fn quick_bridge() -> BridgeConfig {
    BridgeConfig {
        concurrency: 4,
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        poll_every: Duration::from_millis(50),
        systemic_pause: Duration::from_millis(300),
        lgd_every: Duration::from_secs(3600),
    }
}

pub async fn hub_with_abdm(dir: &std::path::Path, sim: &SimHandle) -> RunningHub {
    let abdm = abdm_config(sim);
    RunningHub::start_with(dir, false, None, move |c| {
        c.abdm = Some(abdm);
        c.bridge = quick_bridge();
    })
    .await
}

/// A household with one member whose Aadhaar is sealed, its consent and a demo-auth request.
pub fn capture(
    tablet: &Store,
    given: &str,
    aadhaar: &str,
    mobile: &str,
) -> (MemberId, EnrollmentId) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(V1)),
            address: "Ward 4".into(),
            ..Default::default()
        },
        members: vec![MemberDraft {
            given_name: given.into(),
            family_name: Some("Devi".into()),
            gender: "F".into(),
            birth_date: "1990-01-31".into(),
            relation: "head".into(),
            mobile: Some(mobile.into()),
            aadhaar: Some(Zeroizing::new(aadhaar.into())),
            ..Default::default()
        }],
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form
        .check(today)
        .unwrap()
        .value
        .seal(Some(&sealer()), None)
        .unwrap();
    let member = new.members[0].id;
    let _: HouseholdId = tablet.create_household(&new).unwrap();
    (member, request(tablet, member))
}

pub fn consent(tablet: &Store, member: MemberId) -> abha_core::ids::ConsentId {
    let consent = ConsentDraft {
        member_id: member,
        version: "1.4".into(),
        language: "hi".into(),
        given_by: GivenBy::Beneficiary,
        guardian_name: None,
        method: ConsentMethod::Thumbprint,
        operator_id: WorkerId::new(),
        text_shown: "consent text v1.4".into(),
    }
    .validate()
    .unwrap();
    tablet.record_consent(&consent).unwrap()
}

pub fn request(tablet: &Store, member: MemberId) -> EnrollmentId {
    let e = NewEnrollment {
        id: EnrollmentId::new(),
        member_id: member,
        route: Route::DemoAuth,
        consent_id: consent(tablet, member),
        attempt_of: None,
    };
    tablet.request_enrollment(&e, None).unwrap()
}

pub fn state_of(store: &Store, member: MemberId, e: EnrollmentId) -> Option<String> {
    store
        .enrollments_of(member)
        .unwrap()
        .into_iter()
        .find(|x| x.id == e)
        .and_then(|x| x.state)
}

/// Waits until the hub's copy of the request reaches `want`.
pub async fn wait_for(store: &Store, member: MemberId, e: EnrollmentId, want: EnrollmentState) {
    for _ in 0..400 {
        if state_of(store, member, e).as_deref() == Some(want.code()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "request stuck at {:?}, wanted {}",
        state_of(store, member, e),
        want.code()
    );
}

pub fn resident(aadhaar: &str, name: &str) -> Resident {
    Resident::new(aadhaar, name, "F", "1990-01-31", Some("9876500001"))
}

/// A hub with the bridge on the simulator, and one enrolled tablet for village V1 (the directory
/// holds both stores; keep it alive).
pub async fn camp(sim: &SimHandle) -> (tempfile::TempDir, RunningHub, super::Tablet) {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_with_abdm(dir.path(), sim).await;
    let tablet = super::Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    (dir, hub, tablet)
}
