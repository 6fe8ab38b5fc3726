//! Scan and Share from the camp's side over real HTTP on 127.0.0.1: a tablet with a real store
//! fetches a shared profile, captures the member it pre-fills and accepts it; the token board and
//! the counter codes (dashboard and CLI) show no personal data.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use abha_abdm_sim::ScanRequest;
use abha_core::abdm::ShareConfig;
use abha_core::ids::VillageId;
use abha_core::model::HouseholdForm;
use abha_hub::registry::Role;
use common::share::*;
use common::{RunningHub, Tablet, V1};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn test_worker_fetches_a_profile_captures_it_and_accepts() {
    let c = camp().await;
    let dir = tempfile::tempdir().unwrap();
    let tablet = Tablet::enrol(dir.path(), "t1", &c.hub, &[V1]).await;
    let patient = json!({"name": "Asha Kumari Devi", "gender": "F", "dayOfBirth": "6",
        "monthOfBirth": "6", "yearOfBirth": "2000", "abhaNumber": null, "phoneNumber": "9876543210"});
    let out = scan(
        &c.sim,
        ScanRequest {
            patient: Some(patient),
            ..at("OPD1", "asha.devi@sbx")
        },
    )
    .await;
    on_share_for(&c.sim, &out.request_id).await;

    let (s, v) = get(&c.hub, &tablet.token, "/v1/share/profiles").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["configured"], true);
    let list = v["profiles"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!(
        (p["token"].as_str(), p["counter"].as_str()),
        (Some("1"), Some("OPD1"))
    );
    assert_eq!(p["status"], "pending");
    assert_eq!(p["patient"]["abha_address"], "asha.devi@sbx");
    assert_eq!(p["patient"]["abha_number"], Value::Null);
    assert_eq!(p["patient"]["address"]["pincode"], "192101");
    let id = p["id"].as_str().unwrap().to_string();

    // The tablet pre-fills with core's mapping and captures as usual.
    let mut prefill = abha_core::abdm::share::prefill_from_json(&json!({
        "abhaAddress": p["patient"]["abha_address"], "name": p["patient"]["name"],
        "gender": p["patient"]["gender"], "dayOfBirth": p["patient"]["day_of_birth"],
        "monthOfBirth": p["patient"]["month_of_birth"], "yearOfBirth": p["patient"]["year_of_birth"],
        "phoneNumber": p["patient"]["phone"], "address": p["patient"]["address"]}))
    .unwrap();
    let from_hub: abha_core::abdm::share::MemberPrefill =
        serde_json::from_value(p["prefill"].clone()).unwrap();
    assert_eq!(from_hub, prefill, "the hub's prefill is core's");
    assert_eq!(prefill.member.birth_date, "2000-06-06");
    prefill.member.relation = "head".into();
    let form = HouseholdForm {
        household: abha_core::model::HouseholdDraft {
            village_id: Some(VillageId::from_lgd(V1)),
            ..prefill.household.clone()
        },
        members: vec![prefill.member.clone()],
    };
    let new = form
        .check(abha_core::capture::today_ist())
        .unwrap()
        .value
        .seal(None, None)
        .unwrap();
    let member = new.members[0].id;
    tablet.store.create_household(&new).unwrap();
    tablet.sync().await;
    let at_hub = c.hub.store().member(member).unwrap();
    assert_eq!(at_hub.abha_address.as_deref(), Some("asha.devi@sbx"));

    let accept = format!("/v1/share/profiles/{id}/accept");
    let body = Some(json!({"member_id": member.to_string()}));
    let (s, v) = post(&c.hub, &tablet.token, &accept, body.clone()).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("accepted"))
    );
    let (s, _) = post(&c.hub, &tablet.token, &accept, body).await;
    assert_eq!(s, StatusCode::OK, "accept is idempotent");
    let (s, v) = post(
        &c.hub,
        &tablet.token,
        &format!("/v1/share/profiles/{id}/dismiss"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("share.already_handled"))
    );
    let (_, v) = get(&c.hub, &tablet.token, "/v1/share/profiles").await;
    assert!(
        v["profiles"].as_array().unwrap().is_empty(),
        "nothing pending"
    );
    let (_, v) = get(&c.hub, &tablet.token, "/v1/share/profiles?status=accepted").await;
    assert_eq!(v["profiles"][0]["member_id"], member.to_string());
    let audit = abha_hub::audit::list(c.hub.store(), None, 10).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "share.accepted" && e.subject.as_deref() == Some(&id))
    );

    // Who may not.
    let r = http()
        .get(format!("{}/v1/share/profiles", c.hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, _) = get(&c.hub, &c.hub.token(Role::Hub), "/v1/share/profiles").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = post(
        &c.hub,
        &tablet.token,
        "/v1/share/profiles/nope/accept",
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, v) = get(
        &c.hub,
        &tablet.token,
        "/v1/share/profiles?status=everything",
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("share.bad_status"))
    );
}

/// Signs in a dashboard user; returns the session cookie.
/// The same queue through core's client (what the bindings and the app call): the pending
/// profile with its pre-fill, accepting it by the member saved, dismissing another, and a
/// hub without Scan and Share answering "not configured".
#[tokio::test]
async fn test_core_client_lists_accepts_and_dismisses_profiles() {
    use abha_core::sync::profiles::{accept_profile, dismiss_profile, pending_profiles};
    let c = camp().await;
    let dir = tempfile::tempdir().unwrap();
    let tablet = Tablet::enrol(dir.path(), "t1", &c.hub, &[V1]).await;
    for who in ["asha.devi@sbx", "ravi.k@sbx"] {
        let out = scan(&c.sim, at("OPD1", who)).await;
        on_share_for(&c.sim, &out.request_id).await;
    }
    let hub = tablet.transport();
    let list = pending_profiles(&hub, 100)
        .await
        .unwrap()
        .expect("configured");
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|p| p.status == "pending" && p.counter == "OPD1")
    );
    let asha = list
        .iter()
        .find(|p| p.prefill.member.abha_address.as_deref() == Some("asha.devi@sbx"))
        .unwrap();
    assert!(
        !format!("{asha:?}").contains("asha"),
        "Debug shows no profile data"
    );
    let member = abha_core::ids::MemberId::new();
    accept_profile(&hub, &asha.id, Some(member)).await.unwrap();
    accept_profile(&hub, &asha.id, Some(member)).await.unwrap();
    let other = list.iter().find(|p| p.id != asha.id).unwrap();
    dismiss_profile(&hub, &other.id).await.unwrap();
    assert!(
        pending_profiles(&hub, 100)
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
    let err = dismiss_profile(&hub, &asha.id).await.unwrap_err();
    assert_eq!(err.code(), Some("share.already_handled"));
    let err = accept_profile(&hub, "../admin/devices", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("share.bad_id"), "ids never steer the path");

    let plain_dir = tempfile::tempdir().unwrap();
    let plain = RunningHub::start(plain_dir.path(), false, None).await;
    let t2 = Tablet::enrol(dir.path(), "t2", &plain, &[V1]).await;
    assert_eq!(pending_profiles(&t2.transport(), 10).await.unwrap(), None);
}

async fn sign_in(hub: &RunningHub) -> String {
    abha_hub::users::create(
        hub.store(),
        "org",
        None,
        Role::Organiser,
        &[],
        "organiser-pass-1",
    )
    .unwrap();
    let r = http()
        .get(format!("{}/dash/login", hub.url))
        .send()
        .await
        .unwrap();
    let cookie = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .unwrap()
    };
    let login = cookie(&r, "abha_login");
    let html = r.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    let r = http()
        .post(format!("{}/dash/login", hub.url))
        .header("cookie", &login)
        .form(&[
            ("username", "org"),
            ("password", "organiser-pass-1"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookie(&r, "abha_session")
}

async fn page(hub: &RunningHub, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let r = http()
        .get(format!("{}{path}", hub.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), ct, r.text().await.unwrap())
}

#[tokio::test]
async fn test_token_board_and_counter_codes_show_no_personal_data() {
    let c = camp().await;
    let person = json!({"name": "Zainab Bano", "phoneNumber": "9811122233", "yearOfBirth": "1977",
        "abhaNumber": "91-5510-2783-4461"});
    for address in ["zainab.bano@sbx", "ravi.k@sbx", "meena.s@sbx"] {
        token_of(
            &c,
            ScanRequest {
                patient: Some(person.clone()),
                ..at("OPD1", address)
            },
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let tablet = Tablet::enrol(dir.path(), "t1", &c.hub, &[V1]).await;
    let (_, v) = get(&c.hub, &tablet.token, "/v1/share/profiles").await;
    let first = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["token"] == "1")
        .unwrap();
    let accept = format!(
        "/v1/share/profiles/{}/accept",
        first["id"].as_str().unwrap()
    );
    assert_eq!(
        post(&c.hub, &tablet.token, &accept, None).await.0,
        StatusCode::OK
    );

    let r = http()
        .get(format!("{}/dash/tokens", c.hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the board needs a sign-in"
    );
    let cookie = sign_in(&c.hub).await;
    let (s, _, html) = page(&c.hub, &cookie, "/dash/tokens").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("http-equiv=\"refresh\""), "it reloads itself");
    assert!(html.contains("Counter OPD1") && html.contains("Counter OPD2"));
    assert!(
        html.contains("data-testid=\"serving\">1<"),
        "token 1 is being served: {html}"
    );
    assert!(html.contains(">2<") && html.contains(">3<"), "2 and 3 wait");
    for pii in [
        "Zainab",
        "Bano",
        "zainab",
        "ravi.k",
        "@sbx",
        "9811122233",
        "1977",
        "5510",
    ] {
        assert!(!html.contains(pii), "{pii} on the public board");
    }

    let (s, _, html) = page(&c.hub, &cookie, "/dash/counters").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("/dash/counters/OPD1/qr.svg") && html.contains("/dash/counters/OPD2/qr.svg")
    );
    let (s, ct, svg) = page(&c.hub, &cookie, "/dash/counters/OPD1/qr.svg").await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    let (_, expected) =
        abha_hub::share::counter_svg(&share_config(Duration::from_secs(1)), "OPD1").unwrap();
    assert_eq!(svg, expected);
    let (s, _, _) = page(&c.hub, &cookie, "/dash/counters/LAB9/qr.svg").await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "no code for a counter the callback refuses"
    );
    let (s, _, _) = page(&c.hub, &cookie, "/dash/counters/bad-id/qr.svg").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[test]
fn test_counter_qr_cli_writes_the_counter_code() {
    let dir = tempfile::tempdir().unwrap();
    let abdm = json!({"client_id": "x", "client_secret": "y",
        "share": {"hip_id": HIP, "counters": ["OPD1"]}});
    std::fs::write(dir.path().join("abdm.json"), abdm.to_string()).unwrap();
    let out = dir.path().join("opd1.svg");
    let run = |counter: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_abha-hub"))
            .arg("--data")
            .arg(dir.path())
            .args(["counter-qr", "--counter", counter, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let ok = run("OPD1");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let printed: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(printed["url"], qr("OPD1"));
    let config = ShareConfig {
        hip_id: Some(HIP.into()),
        ..ShareConfig::default()
    };
    let (_, expected) = abha_hub::share::counter_svg(&config, "OPD1").unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    for bad in ["OPD9", "OPD-1", "ABCDEFGHIJKLMNOPQRSTU"] {
        let r = run(bad);
        assert!(!r.status.success(), "{bad} refused");
    }
}
