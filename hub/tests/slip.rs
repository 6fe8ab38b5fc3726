//! Household slips end to end, over real HTTPS on 127.0.0.1 with real store files: tablets get
//! the hub's slip key at enrolment; a household captured on tablet A and synced is printed at
//! the hub (dashboard page, SVG route and `abha-hub slip`); tablet B verifies the slip offline and
//! hears "not known yet" until it syncs, then opens the household; slips of another hub's key and
//! altered slips are refused with their codes; the dashboard keeps to the caller's area.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::HouseholdCode;
use abha_core::qr::slip::codes;
use abha_core::qr::{
    HouseholdLookup, SlipPublicKey, SlipSigningKey, scan_on_device, sign_slip, verify_slip,
};
use abha_core::store::{Store, StoreKey};
use abha_core::sync::client::HttpTransport;
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_hub::registry::Role;
use common::{RunningHub, Tablet, V1, V2};
use reqwest::StatusCode;

/// Enrols a tablet and keeps the hub's keys as the app does (`bindings/src/sync.rs`).
async fn enrol(dir: &Path, name: &str, hub: &RunningHub) -> (Tablet, EnrolReply) {
    let store = Store::open(dir.join(format!("{name}.db")), &StoreKey::random()).unwrap();
    let t = HttpTransport::new(&hub.url, None, hub.pin, Duration::from_secs(10)).unwrap();
    let request = EnrolRequest {
        code: hub.code(Role::Worker, &[V1]),
        replica: store.replica_id(),
        app_version: "test".into(),
        label: Some(name.into()),
    };
    let reply: EnrolReply = t.json("/v1/devices/enrol", &request).await.unwrap();
    let key = SlipPublicKey::from_hex(reply.slip_key.as_deref().unwrap()).unwrap();
    store
        .update_device_settings(|s| s.trust_slip_key(&key))
        .unwrap();
    let tablet = Tablet {
        store,
        token: reply.token.clone(),
        url: hub.url.clone(),
        pin: hub.pin,
    };
    (tablet, reply)
}

async fn get(hub: &RunningHub, token: &str, path: &str) -> (StatusCode, String, String) {
    let r = common::raw_client(hub.pin)
        .get(format!("{}{path}", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

/// The payload of the slip of `household` on a slips page.
fn payload_on_page(html: &str, household: HouseholdId) -> String {
    let at = html
        .find(&format!("data-household=\"{household}\""))
        .unwrap_or_else(|| panic!("no slip for {household}"));
    let rest = &html[at..];
    let start = rest.find("data-payload=\"").unwrap() + "data-payload=\"".len();
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_slip_printed_at_the_hub_opens_on_another_tablet_once_synced() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    let hub = RunningHub::start(&hub_dir, true, None).await;
    let (a, reply_a) = enrol(dir.path(), "a", &hub).await;
    let (b, reply_b) = enrol(dir.path(), "b", &hub).await;
    assert_eq!(reply_a.slip_key, reply_b.slip_key, "one hub, one slip key");
    a.sync().await;
    b.sync().await;
    let id = a.household(V1, &["Shabnam", "Rukhsana"]);
    a.sync().await;

    // The organiser prints the village's slips.
    let supervisor = hub.token(Role::Supervisor);
    let (status, ct, html) = get(&hub, &supervisor, &format!("/dash/slips?village={V1}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(ct.starts_with("text/html"));
    let code = HouseholdCode::from_id(&id).to_string();
    assert!(
        html.contains(&format!(">{code}</text>")),
        "the code is printed"
    );
    assert!(
        !html.contains("Shabnam") && !html.contains("Rukhsana"),
        "no names on slips"
    );
    let payload = payload_on_page(&html, id);
    assert!(payload.starts_with(&format!("ABHF1:{code}:")), "{payload}");
    let (status, ct, svg) = get(&hub, &supervisor, &format!("/dash/slips/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("image/svg+xml"), "{ct}");
    assert!(svg.contains(&format!(">{code}</text>")) && !svg.contains("Shabnam"));

    // Tablet B, offline, has not synced since: a genuine slip, not known yet.
    let scan = scan_on_device(&b.store, &payload).unwrap();
    assert_eq!(scan.lookup, HouseholdLookup::NotKnownYet);
    assert_eq!(scan.code.to_string(), code);
    assert_eq!(scan.slip.as_ref().unwrap().household_id, id);
    // After its sync the same slip opens the household.
    b.sync().await;
    let scan = scan_on_device(&b.store, &payload).unwrap();
    let HouseholdLookup::Known(found) = &scan.lookup else {
        panic!("{scan:?}")
    };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id);
    assert_eq!(found[0].member_count, 2);
    assert_eq!(b.store.household(id).unwrap().members.len(), 2);

    // Another hub's slip for the same household, and an altered slip, are refused.
    let other_hub = SlipSigningKey::from_seed([0x99; 32]);
    let foreign = sign_slip(id, &HouseholdCode::from_id(&id), &other_hub);
    let err = scan_on_device(&b.store, &foreign).unwrap_err();
    assert_eq!(err.code(), codes::UNKNOWN_KEY);
    // One character of the signature changed.
    let at = payload.len() - 10;
    let swap = if &payload[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swap}{}", &payload[..at], &payload[at + 1..]);
    let err = scan_on_device(&b.store, &tampered).unwrap_err();
    assert_eq!(err.code(), codes::BAD_SIGNATURE);
    // A genuine signature with another household's code printed on it.
    let other = HouseholdCode::from_id(&HouseholdId::new()).to_string();
    let relabelled = payload.replacen(&code, &other, 1);
    let err = scan_on_device(&b.store, &relabelled).unwrap_err();
    assert_eq!(err.code(), codes::BAD_SIGNATURE);

    // The printed code, typed on B, finds the household too.
    let typed = scan_on_device(&b.store, &code.to_lowercase()).unwrap();
    assert!(typed.is_known() && typed.slip.is_none());

    // The dashboard keeps to the caller's area; workers may not print.
    let v1 = [VillageId::from_lgd(V1)];
    let (_, scoped) = hub
        .storage
        .create_device(Role::Supervisor, &v1, None, None)
        .unwrap();
    let (status, _, _) = get(&hub, &scoped, &format!("/dash/slips?village={V2}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = get(&hub, &a.token, &format!("/dash/slips?village={V1}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unknown = HouseholdId::new();
    let (status, _, body) = get(&hub, &supervisor, &format!("/dash/slips/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, _) = get(&hub, &supervisor, "/dash/slips/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&hub, &supervisor, "/dash/slips?village=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    hub.stop().await;

    // `abha-hub slip` signs the same slip (Ed25519 is deterministic) and writes the SVG.
    let hub_dir = hub_dir.to_string_lossy().into_owned();
    let svg_path = dir.path().join("slip.svg");
    let svg_arg = svg_path.to_string_lossy().into_owned();
    let id_arg = id.to_string();
    let args = [
        "--data",
        &hub_dir,
        "--demo-keys",
        "slip",
        "--household",
        &id_arg,
        "--svg",
        &svg_arg,
    ];
    let run = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &args, None, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let json = abha_e2e::json_tail(&run.stdout);
    assert_eq!(json["payload"], payload.as_str());
    assert_eq!(json["code"], code.as_str());
    assert_eq!(json["qr_version"], 6);
    let file = std::fs::read_to_string(&svg_path).unwrap();
    assert!(file.contains(&format!(">{code}</text>")));
    let key = SlipPublicKey::from_hex(reply_b.slip_key.as_deref().unwrap()).unwrap();
    assert_eq!(verify_slip(&payload, &[key]).unwrap().household_id, id);
    let by_code = [
        "--data",
        &hub_dir,
        "--demo-keys",
        "slip",
        "--household",
        &code,
    ];
    let run = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &by_code, None, &[]);
    assert_eq!(
        abha_e2e::json_tail(&run.stdout)["payload"],
        payload.as_str()
    );
    let unknown_code = HouseholdCode::from_id(&HouseholdId::new()).to_string();
    for (household, why) in [
        (unknown_code.as_str(), "no such household"),
        ("K3M9", "not a household id or code"),
    ] {
        let args = [
            "--data",
            &hub_dir,
            "--demo-keys",
            "slip",
            "--household",
            household,
        ];
        let run = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &args, None, &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(why), "{run:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_hubs_have_their_own_slip_keys_and_old_replies_still_parse() {
    let dir = tempfile::tempdir().unwrap();
    let mk = |d: &str| {
        let d = dir.path().join(d);
        async move { RunningHub::start_with(&d, false, None, |c| c.demo_keys = false).await }
    };
    let (one, two) = (mk("one").await, mk("two").await);
    let (_, r1) = enrol(dir.path(), "t1", &one).await;
    let (t2, r2) = enrol(dir.path(), "t2", &two).await;
    assert_ne!(r1.slip_key, r2.slip_key);
    // A slip of hub one does not open on a tablet of hub two.
    let k1 = abha_hub::keys::HubKeys::load_or_create(&dir.path().join("one"), false)
        .unwrap()
        .slip;
    assert_eq!(
        r1.slip_key,
        Some(k1.public().to_hex()),
        "the key of keys/slip.key"
    );
    let id = HouseholdId::new();
    let slip = sign_slip(id, &HouseholdCode::from_id(&id), &k1);
    let err = scan_on_device(&t2.store, &slip).unwrap_err();
    assert_eq!(err.code(), codes::UNKNOWN_KEY);
    // A hub from before slips sends no key: the reply still parses, with none.
    let mut old = serde_json::to_value(&r2).unwrap();
    old.as_object_mut().unwrap().remove("slip_key");
    let parsed: EnrolReply = serde_json::from_value(old).unwrap();
    assert_eq!(parsed.slip_key, None);
    one.stop().await;
    two.stop().await;
}
