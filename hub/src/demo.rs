//! The demo camp: what `abha-hub serve --demo` shows a newcomer at once.
//!
//! Five Jammu & Kashmir villages, three simulated tablets registered as devices, each capturing
//! households in its own encrypted store (under `DATA/demo-tablets/`) and syncing them to the hub
//! through the real protocol. One tablet keeps a little unsynced work, so the supervisor view has
//! something pending. Seeding happens once; later runs reuse it.

use std::collections::BTreeSet;
use std::path::Path;

use abha_core::demo::{self, DemoRng};
use abha_core::seal::{AadhaarSealer, SealingKey};
use abha_core::store::{PendingCounts, Store, StoreKey};
use abha_core::sync::local::LocalTransport;
use abha_core::sync::{CancelToken, Peer, PeerKind, Scope, SyncOptions, SyncProgress, sync};
use serde::Serialize;

use crate::HubError;
use crate::keys::HubKeys;
use crate::registry::{self, Role};

/// The camp the demo tablets work at.
pub const DEMO_CAMP: &str = "demo-camp";

/// What the demo camp holds.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Villages.
    pub villages: usize,
    /// Households at the hub.
    pub households: usize,
    /// Members at the hub.
    pub members: usize,
    /// Registered devices.
    pub devices: usize,
    /// The hub's own unforwarded changes.
    pub pending: PendingCounts,
}

/// Counts what the store holds.
pub fn summarize(store: &Store) -> Result<DemoSummary, HubError> {
    let households = store.list_households(None, u32::MAX, 0)?;
    Ok(DemoSummary {
        villages: store.villages()?.len(),
        households: households.len(),
        members: households.iter().map(|h| h.member_count as usize).sum(),
        devices: registry::list(store).map(|d| d.len()).unwrap_or(0),
        pending: store.pending()?,
    })
}

fn request_demo_auth(
    tablet: &Store,
    new: &abha_core::model::NewHouseholdWithMembers,
    operator: abha_core::ids::WorkerId,
) -> Result<(), HubError> {
    use abha_core::model::{ConsentDraft, ConsentMethod, GivenBy, NewEnrollment, Route};
    for m in new.members.iter().filter(|m| m.aadhaar.is_some()) {
        let consent = ConsentDraft {
            member_id: m.id,
            version: "1.4".into(),
            language: "ur".into(),
            given_by: GivenBy::Beneficiary,
            guardian_name: None,
            method: ConsentMethod::Thumbprint,
            operator_id: operator,
            text_shown: "Demo consent text (not the NHA text)".into(),
        }
        .validate()
        .map_err(|e| HubError::Demo(e.to_string()))?;
        let consent_id = tablet.record_consent(&consent)?;
        tablet.request_enrollment(
            &NewEnrollment {
                id: abha_core::ids::EnrollmentId::new(),
                member_id: m.id,
                route: Route::DemoAuth,
                consent_id,
                attempt_of: None,
            },
            Some(operator),
        )?;
    }
    Ok(())
}

/// Names of the demo tablets' ASHA workers.
const DEMO_WORKERS: [&str; 3] = ["Shazia Bano", "Rukhsana Akhtar", "Sunita Devi"];

/// Seeds the demo camp with about `households` households (idempotent).
pub async fn seed(
    store: &Store,
    keys: &HubKeys,
    data_dir: &Path,
    households: usize,
) -> Result<DemoSummary, HubError> {
    if store.villages()?.is_empty() {
        for v in demo::villages() {
            let v = v.validate().map_err(|e| HubError::Demo(e.to_string()))?;
            store.put_village(&v)?;
        }
    }
    if !store.list_households(None, 1, 0)?.is_empty() {
        return summarize(store);
    }
    let villages: Vec<_> = store.villages()?.into_iter().map(|v| v.id).collect();
    let sealer = AadhaarSealer::new(
        SealingKey::from_pem(&keys.sealing_public_pem)
            .map_err(|e| HubError::Demo(e.to_string()))?,
        keys.token.clone(),
    );
    let today = time::OffsetDateTime::now_utc().date();
    let tablets = 3usize;
    let mut rng = DemoRng::new(2026);
    // A person the first tablet records and the second records again in another household (the
    // same name, birth date and mobile, no Aadhaar): the duplicates page has a pair to decide.
    let mut twice: Option<abha_core::model::MemberDraft> = None;
    for t in 0..tablets {
        let dir = data_dir
            .join("demo-tablets")
            .join(format!("tablet-{}", t + 1));
        std::fs::create_dir_all(&dir)?;
        // Demo tablets keep their key beside their store so they can be opened for a look.
        let key = StoreKey::random();
        std::fs::write(dir.join("store.key"), key.to_hex().as_bytes())?;
        let tablet = Store::open(dir.join("field.db"), &key)?;
        // Each tablet serves two or three neighbouring villages.
        let mine: BTreeSet<_> = villages.iter().copied().skip(t).take(3).collect();
        let (device_id, _token) = registry::create_device(
            store,
            Role::Worker,
            &mine.iter().copied().collect::<Vec<_>>(),
            Some(&format!("demo tablet {}", t + 1)),
            Some(tablet.replica_id()),
        )?;
        registry::set_camp(store, &device_id, Some(DEMO_CAMP))?;
        let peer = Peer {
            kind: PeerKind::Device,
            replicas: [tablet.replica_id()].into_iter().collect(),
            scope: Scope::Villages(mine.clone()),
        };
        let transport = LocalTransport { hub: store, peer };
        let quiet = |_: &SyncProgress| {};
        // First sync brings the villages to the tablet.
        sync(
            &tablet,
            "demo-hub",
            &transport,
            &SyncOptions::default(),
            &quiet,
            &CancelToken::new(),
        )
        .await
        .map_err(|e| HubError::Demo(e.code()))?;
        let mine: Vec<_> = mine.into_iter().collect();
        // The ASHA operating the tablet (staff, not a beneficiary: the day-end names her).
        let worker = abha_core::model::WorkerDraft {
            asha_id: format!("DEMO-ASHA-{}", t + 1),
            hpr_id: None,
            name: DEMO_WORKERS[t % DEMO_WORKERS.len()].into(),
        }
        .validate()
        .map_err(|e| HubError::Demo(e.to_string()))?;
        tablet.add_worker(&worker)?;
        let count = households / tablets;
        for n in 0..count {
            let village = mine[n % mine.len()];
            let mut form = demo::household(&mut rng, village, (t * count + n) as u64);
            if t == 0 && n == 1 {
                twice = form.members.first().cloned();
            }
            if t == 1 && n == 0 {
                if let Some(mut m) = twice.take() {
                    m.relation = "spouse".into();
                    m.aadhaar = None;
                    m.abha_number = None;
                    m.abha_address = None;
                    form.members.push(m);
                }
            }
            let valid = form
                .check(today)
                .map_err(|e| HubError::Demo(e.to_string()))?
                .value;
            let new = valid
                .seal(Some(&sealer), Some(worker.id))
                .map_err(|e| HubError::Demo(e.to_string()))?;
            tablet.create_household(&new)?;
            // Every other household asks for ABHAs by demographic authentication for the members
            // whose Aadhaar was captured: the bridge works on them once the tablet syncs.
            if n % 2 == 0 {
                request_demo_auth(&tablet, &new, worker.id)?;
            }
            // The last tablet keeps its last few households unsynced.
            if t + 1 == tablets && n + 5 == count {
                sync(
                    &tablet,
                    "demo-hub",
                    &transport,
                    &SyncOptions::default(),
                    &quiet,
                    &CancelToken::new(),
                )
                .await
                .map_err(|e| HubError::Demo(e.code()))?;
            }
        }
        if t + 1 < tablets {
            sync(
                &tablet,
                "demo-hub",
                &transport,
                &SyncOptions::default(),
                &quiet,
                &CancelToken::new(),
            )
            .await
            .map_err(|e| HubError::Demo(e.code()))?;
        }
        let pending = tablet.pending()?;
        registry::record_hello(store, &device_id, abha_core::VERSION, &pending, 0)?;
        tablet.close()?;
    }
    summarize(store)
}
