//! End to end over real HTTP on 127.0.0.1: tablets (real store files) enrol with one-time codes
//! and sync through the real hub server; refusals are JSON 4xx, never 5xx; a connection cut in the
//! middle of a batch resumes without resending acknowledged batches; camp hubs relay upstream.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use abha_core::model::MemberPatch;
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{self, CONTENT_TYPE, Hello, PROTOCOL_VERSION, Pull, Push, WireSet};
use abha_core::sync::{SyncOptions, TransportError, VersionVector};
use abha_e2e::proxy::{Fault, FaultProxy};
use abha_hub::UpstreamConfig;
use abha_hub::registry::Role;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_two_tablets_edit_one_household_offline_and_converge_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(&dir.path().join("hub"), true, None).await;
    assert!(hub.pin.is_some() && hub.url.starts_with("https://"));
    let a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    let b = Tablet::enrol(dir.path(), "b", &hub, &[V1]).await;
    a.sync().await;
    b.sync().await;
    let hh = a.household(V1, &["Sita", "Gita"]);
    a.sync().await;
    b.sync().await;
    let members = b.store.household(hh).unwrap().members;
    assert_eq!(members.len(), 2);
    let gita = members
        .iter()
        .find(|m| m.given_name.as_deref() == Some("Gita"))
        .unwrap()
        .id;
    // Offline on both: different fields, and the same field.
    let today = time::OffsetDateTime::now_utc().date();
    a.store
        .update_member(
            gita,
            MemberPatch {
                mobile: Some("9419000001".into()),
                family_name: Some("Bhat".into()),
                ..Default::default()
            }
            .check(today)
            .unwrap(),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    b.store
        .update_member(
            gita,
            MemberPatch {
                middle_name: Some("Rani".into()),
                family_name: Some("Mir".into()),
                ..Default::default()
            }
            .check(today)
            .unwrap(),
        )
        .unwrap();
    b.sync().await;
    a.sync().await;
    b.sync().await;
    let (ma, mb, mh) = (
        a.store.member(gita).unwrap(),
        b.store.member(gita).unwrap(),
        hub.store().member(gita).unwrap(),
    );
    assert_eq!(ma, mb);
    assert_eq!(ma, mh);
    assert_eq!(ma.mobile.as_deref(), Some("9419000001"));
    assert_eq!(ma.middle_name.as_deref(), Some("Rani"));
    assert_eq!(ma.family_name.as_deref(), Some("Mir"));
    assert_eq!(a.store.pending().unwrap().changes, 0);
    assert_eq!(b.store.pending().unwrap().changes, 0);
    // The hub saw the devices' pending counts and versions.
    let devices = abha_hub::registry::list(hub.store()).unwrap();
    assert!(
        devices
            .iter()
            .filter(|d| d.app_version.as_deref() == Some(abha_core::VERSION))
            .count()
            >= 2
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_wrong_certificate_pin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(&dir.path().join("hub"), true, None).await;
    let mut a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    a.household(V1, &["Sita"]);
    a.pin = Some(Pin([7; 32]));
    let err = a
        .sync_with(
            &a.transport(),
            &SyncOptions {
                attempts: 1,
                ..fast()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "sync.network");
    assert!(hub.store().list_households(None, 10, 0).unwrap().is_empty());
    assert_eq!(
        a.store.pending().unwrap().changes,
        1,
        "nothing acknowledged"
    );
    hub.stop().await;
}

async fn raw_post(
    url: &str,
    token: Option<&str>,
    ct: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let client = raw_client(None);
    let mut req = client.post(url).header("content-type", ct).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_unauthenticated_malformed_oversized_and_out_of_scope_requests_get_json_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start_with(&dir.path().join("hub"), false, None, |c| {
        c.max_body_bytes = 64 * 1024;
        c.rate_burst = 1000;
    })
    .await;
    let a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    let b = Tablet::enrol(dir.path(), "b", &hub, &[V2]).await;
    let in_v1 = a.household(V1, &["Sita"]);
    a.sync().await;
    let hello = protocol::encode(&Hello {
        protocol: PROTOCOL_VERSION,
        replica: a.store.replica_id(),
        app_version: "x".into(),
        sent_at_ms: 0,
        pending: Default::default(),
    });
    let url = |p: &str| format!("{}{p}", hub.url);
    let cases: Vec<(u16, &str, (u16, serde_json::Value))> = vec![
        (
            401,
            "auth.unauthenticated",
            raw_post(&url("/v1/sync/hello"), None, CONTENT_TYPE, hello.clone()).await,
        ),
        (
            401,
            "auth.unauthenticated",
            raw_post(
                &url("/v1/sync/hello"),
                Some("abh_forged"),
                CONTENT_TYPE,
                hello.clone(),
            )
            .await,
        ),
        (
            400,
            "sync.bad_body",
            raw_post(
                &url("/v1/sync/hello"),
                Some(&a.token),
                CONTENT_TYPE,
                b"garbage".to_vec(),
            )
            .await,
        ),
        (
            415,
            "sync.bad_body",
            raw_post(
                &url("/v1/sync/hello"),
                Some(&a.token),
                "application/json",
                hello.clone(),
            )
            .await,
        ),
        (
            413,
            "too_large",
            raw_post(
                &url("/v1/sync/push"),
                Some(&a.token),
                CONTENT_TYPE,
                vec![0u8; 200 * 1024],
            )
            .await,
        ),
        (
            400,
            "sync.bad_body",
            raw_post(
                &url("/v1/devices/enrol"),
                None,
                "application/json",
                b"{\"code\":".to_vec(),
            )
            .await,
        ),
        (
            400,
            "enrol.bad_code",
            raw_post(
                &url("/v1/devices/enrol"),
                None,
                "application/json",
                serde_json::to_vec(
                    &serde_json::json!({"code": "AAAAA-AAAAA", "replica": 5, "app_version": "x"}),
                )
                .unwrap(),
            )
            .await,
        ),
        (
            404,
            "not_found",
            raw_post(&url("/v1/nothing"), None, CONTENT_TYPE, vec![]).await,
        ),
        (
            403,
            "auth.forbidden",
            raw_post(
                &url("/v1/admin/codes"),
                Some(&a.token),
                "application/json",
                b"{\"role\":\"worker\"}".to_vec(),
            )
            .await,
        ),
    ];
    for (status, code, (got_status, body)) in cases {
        assert_eq!(got_status, status, "{code}: {body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].is_string());
    }
    // A newer protocol is refused with a clear code.
    let newer = protocol::encode(&Hello {
        protocol: PROTOCOL_VERSION + 1,
        replica: a.store.replica_id(),
        app_version: "x".into(),
        sent_at_ms: 0,
        pending: Default::default(),
    });
    let (st, body) = raw_post(&url("/v1/sync/hello"), Some(&a.token), CONTENT_TYPE, newer).await;
    assert_eq!((st, body["code"].as_str()), (400, Some("sync.protocol")));
    // Pushing ops authored by another replica is refused.
    let sets = a.store.changes_from(a.store.replica_id(), 0, 10).unwrap();
    let forged = protocol::encode(&Push {
        protocol: PROTOCOL_VERSION,
        replica: b.store.replica_id(),
        sets: sets.iter().map(WireSet::from).collect(),
    });
    let (st, body) = raw_post(&url("/v1/sync/push"), Some(&b.token), CONTENT_TYPE, forged).await;
    assert_eq!((st, body["code"].as_str()), (403, Some("sync.not_author")));
    // Claiming another device's replica is refused.
    let claim = protocol::encode(&Pull {
        protocol: PROTOCOL_VERSION,
        replica: a.store.replica_id(),
        coverage: VersionVector::new(),
        scope_hash: [0; 16],
        max_ops: 100,
        max_bytes: 100_000,
    });
    let (st, body) = raw_post(&url("/v1/sync/pull"), Some(&b.token), CONTENT_TYPE, claim).await;
    assert_eq!((st, body["code"].as_str()), (403, Some("auth.forbidden")));
    // Out of scope: the V2 tablet never receives the V1 household, whatever it asks.
    b.sync().await;
    assert!(b.store.household(in_v1).is_err());
    assert!(b.store.list_households(None, 100, 0).unwrap().is_empty());
    // A supervisor may list devices but not sync; a revoked tablet is refused.
    let sup = hub.token(Role::Supervisor);
    let (st, _) = raw_post(
        &url("/v1/sync/hello"),
        Some(&sup),
        CONTENT_TYPE,
        hello.clone(),
    )
    .await;
    assert_eq!(st, 403);
    let resp = raw_client(None)
        .get(url("/v1/admin/devices"))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let devices: Vec<serde_json::Value> = resp.json().await.unwrap();
    let a_id = devices.iter().find(|d| d["label"] == "a").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = hub.token(Role::Admin);
    let resp = raw_client(None)
        .post(url(&format!("/v1/admin/devices/{a_id}/revoke")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let err = a.sync_with(&a.transport(), &fast()).await.unwrap_err();
    assert_eq!(err.code(), "auth.unauthenticated");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_rate_limit_answers_429_and_the_client_backs_off() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start_with(&dir.path().join("hub"), false, None, |c| {
        c.rate_burst = 3;
        c.rate_per_sec = 20.0;
    })
    .await;
    let a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    for i in 0..6 {
        a.household(V1, &[["Sita", "Gita", "Rita", "Zoya", "Asha", "Noor"][i]]);
    }
    // One set per push: more requests than the burst; 429s are retried with backoff.
    let r = a
        .sync_with(
            &a.transport(),
            &SyncOptions {
                max_ops: 1,
                attempts: 20,
                ..fast()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.pushed_sets, 6);
    assert!(
        r.requests > 8,
        "some requests were refused and retried: {r:?}"
    );
    assert_eq!(hub.store().list_households(None, 100, 0).unwrap().len(), 6);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_cut_mid_batch_resumes_without_resending_acknowledged_batches() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(&dir.path().join("hub"), false, None).await;
    let proxy = FaultProxy::start(hub.addr).await.unwrap();
    let a = Tablet::enrol(dir.path(), "a", &hub, &[V1]).await;
    let b = Tablet::enrol(dir.path(), "b", &hub, &[V1]).await;
    a.sync().await;
    b.sync().await;
    let n = 12;
    for i in 0..n {
        a.household(V1, &["Sita", if i % 2 == 0 { "Gita" } else { "Noor" }]);
    }
    let via = HttpTransport::new(
        &proxy.url("http"),
        Some(a.token.clone()),
        None,
        Duration::from_secs(10),
    )
    .unwrap();
    // hello, then 2 pushes pass; the 3rd push's reply is cut (the hub stored it, the ack is
    // lost); later a request is cut before the hub sees it whole.
    proxy.plan([
        Fault::None,
        Fault::None,
        Fault::None,
        Fault::CutReplyAfter(20),
        Fault::None,
        Fault::CutRequestAfter(30),
    ]);
    let opts = SyncOptions {
        max_ops: 10,
        ..fast()
    };
    let r = a.sync_with(&via, &opts).await.unwrap();
    // The set whose ack was cut was stored the first time: its resend is a duplicate.
    assert_eq!(r.pushed_sets, n as u64 - 1, "{r:?}");
    let at_hub = hub
        .store()
        .changes_from(a.store.replica_id(), 0, 1000)
        .unwrap();
    assert_eq!(at_hub.len(), n, "every set stored exactly once");
    assert!(proxy.faults.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    // Requests: 1 hello + n pushes (one set each) + 1 pull, plus one retry per fault. An
    // acknowledged batch is never sent twice: at most the cut one is.
    assert!(r.requests as usize <= 1 + n + 1 + 2, "{r:?}");
    assert_eq!(a.store.pending().unwrap().changes, 0);
    // Pulling through a cut reply: b stores batch by batch and resumes after the last one.
    let via_b = HttpTransport::new(
        &proxy.url("http"),
        Some(b.token.clone()),
        None,
        Duration::from_secs(10),
    )
    .unwrap();
    proxy.plan([
        Fault::None,
        Fault::None,
        Fault::CutReplyAfter(100),
        Fault::None,
    ]);
    let rb = b.sync_with(&via_b, &opts).await.unwrap();
    assert_eq!(rb.pulled_sets, n as u64, "{rb:?}");
    assert_eq!(b.store.list_households(None, 100, 0).unwrap().len(), n);
    assert_eq!(hub.store().list_households(None, 100, 0).unwrap().len(), n);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_camp_hub_relays_to_state_hub_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = RunningHub::start(&dir.path().join("state"), true, None).await;
    // The camp hub enrols at the state hub as a hub peer.
    let camp_code = state.code(Role::Hub, &[]);
    let camp_store_dir = dir.path().join("camp");
    std::fs::create_dir_all(&camp_store_dir).unwrap();
    let token = {
        // Enrol with the replica id the camp hub will have: open it once to learn it.
        let hub = abha_hub::Hub::open(abha_hub::HubConfig {
            data_dir: camp_store_dir.clone(),
            tls: abha_hub::TlsMode::Off,
            demo_keys: true,
            ..Default::default()
        })
        .unwrap();
        let t = HttpTransport::new(&state.url, None, state.pin, Duration::from_secs(10)).unwrap();
        let reply: abha_core::sync::protocol::EnrolReply = t
            .json(
                "/v1/devices/enrol",
                &abha_core::sync::protocol::EnrolRequest {
                    code: camp_code,
                    replica: hub.sqlite().unwrap().replica_id(),
                    app_version: "test".into(),
                    label: Some("camp".into()),
                },
            )
            .await
            .unwrap();
        reply.token
    };
    let upstream = UpstreamConfig {
        url: state.url.clone(),
        token,
        pin: state.pin.map(|p| p.to_hex()),
    };
    let camp = RunningHub::start(&camp_store_dir, false, Some(upstream)).await;
    let a = Tablet::enrol(dir.path(), "a", &camp, &[V1]).await;
    let hh = a.household(V1, &["Sita", "Gita"]);
    a.sync().await;
    let admin = camp.token(Role::Admin);
    let resp = raw_client(None)
        .post(format!("{}/v1/admin/upstream/sync", camp.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{:?}", resp.text().await);
    assert_eq!(
        state.store().household(hh).unwrap(),
        camp.store().household(hh).unwrap()
    );
    // A tablet enrolled at the state hub edits; the camp hub pulls it down to its tablet.
    let s = Tablet::enrol(dir.path(), "s", &state, &[V1]).await;
    s.sync().await;
    let m = s.store.household(hh).unwrap().members[0].id;
    let today = time::OffsetDateTime::now_utc().date();
    s.store
        .update_member(
            m,
            MemberPatch {
                mobile: Some("9419000002".into()),
                ..Default::default()
            }
            .check(today)
            .unwrap(),
        )
        .unwrap();
    s.sync().await;
    let resp = raw_client(None)
        .post(format!("{}/v1/admin/upstream/sync", camp.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    a.sync().await;
    assert_eq!(
        a.store.member(m).unwrap().mobile.as_deref(),
        Some("9419000002")
    );
    camp.stop().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_plain_http_is_refused_off_loopback_by_the_client() {
    let e =
        HttpTransport::new("http://10.0.0.1:8080", None, None, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(e, TransportError::Refused { .. }));
}
