//! The checks applied to every ABDM call: REQUEST-ID, TIMESTAMP, bearer token, malformed JSON,
//! the rate limit and unknown routes.

mod common;

use std::time::Duration;

use abha_abdm_sim::SimConfig;
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn test_request_id_missing_or_not_a_uuid() {
    let api = Api::start(config()).await;
    let bare = || {
        api.abha_bare(Method::GET, LGD)
            .header("TIMESTAMP", timestamp(0))
            .bearer_auth(&api.token)
    };
    let r = send(bare()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"code": "ABDM-2404", "message": "Invalid request id"})
    );
    for bad in [
        "not-a-uuid",
        "12345",
        "6f1c0f3a9a1b4c2d8e7f6a5b4c3d2e1f",
        "",
    ] {
        let r = send(bare().header("REQUEST-ID", bad)).await;
        assert_code(r.status, &r.body, 400, "ABDM-2404");
    }
    let r = send(bare().header("REQUEST-ID", uuid::Uuid::new_v4().to_string())).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn test_duplicate_request_id() {
    let api = Api::start(config()).await;
    let id = uuid::Uuid::new_v4().to_string();
    let with_id = || {
        api.abha_bare(Method::GET, LGD)
            .header("REQUEST-ID", &id)
            .header("TIMESTAMP", timestamp(0))
            .bearer_auth(&api.token)
    };
    assert_eq!(send(with_id()).await.status, 200);
    let r = send(with_id()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"code": "ABDM-1064", "message": "Duplicate request id"})
    );
    // Also across hosts: the gateway shares the memory of request ids.
    let cfg = api.sim.config().clone();
    let body = json!({"clientId": cfg.client_id, "clientSecret": cfg.client_secret,
        "grantType": "client_credentials"});
    let r = send(
        api.http
            .post(api.session_url())
            .header("REQUEST-ID", &id)
            .header("TIMESTAMP", timestamp(0))
            .header("X-CM-ID", "sbx")
            .json(&body),
    )
    .await;
    assert_code(r.status, &r.body, 400, "ABDM-1064");
}

#[tokio::test]
async fn test_bad_and_skewed_timestamps() {
    let api = Api::start(config()).await;
    let with_ts = |ts: String| {
        api.abha_bare(Method::GET, LGD)
            .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
            .header("TIMESTAMP", ts)
            .bearer_auth(&api.token)
    };
    let now = timestamp(0);
    let local = now.replace('Z', "+05:30");
    let no_ms = format!("{}Z", &now[..19]);
    let two_ms = format!("{}Z", &now[..22]);
    let space = now.replace('T', " ");
    for bad in [local, no_ms, two_ms, space, "yesterday".to_string()] {
        let r = send(with_ts(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(
            r.body,
            json!({"code": "ABDM-1016", "message": "Invalid timestamp"}),
            "{bad}"
        );
    }
    let missing = api
        .abha_bare(Method::GET, LGD)
        .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
        .bearer_auth(&api.token);
    let r = send(missing).await;
    assert_code(r.status, &r.body, 400, "ABDM-1016");
    for skew in [-300, 300] {
        let r = send(with_ts(timestamp(skew))).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            json!({"code": "ABDM-2402", "message": "Timestamp out of range"})
        );
    }
    assert_eq!(send(with_ts(timestamp(-60))).await.status, 200);
    assert_eq!(send(with_ts(timestamp(60))).await.status, 200);
}

#[tokio::test]
async fn test_bearer_token_required_on_abha_calls() {
    let api = Api::start(config()).await;
    let no_bearer = abdm_headers(api.abha_bare(Method::GET, LGD));
    let r = send(no_bearer).await;
    assert_code(r.status, &r.body, 401, "900901");
    let bare_token =
        abdm_headers(api.abha_bare(Method::GET, LGD)).header("Authorization", &api.token);
    let r = send(bare_token).await;
    assert_code(r.status, &r.body, 401, "900901");
    let made_up = abdm_headers(api.abha_bare(Method::GET, LGD)).bearer_auth("abc.def.ghi");
    assert_eq!(send(made_up).await.status, 401);
}

#[tokio::test]
async fn test_malformed_json_is_abdm_1000() {
    let api = Api::start(config()).await;
    for body in [
        "{not json",
        "[1,2",
        "",
        r#"{"scope":"abha-enrol"}"#,
        r#"{"loginId":5}"#,
    ] {
        let req = api
            .abha(Method::POST, REQUEST_OTP)
            .header("Content-Type", "application/json")
            .body(body);
        let r = send(req).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(
            r.body,
            json!({"code": "ABDM-1000", "message": "Bad request"}),
            "{body}"
        );
    }
    let r = send(
        api.abha(Method::POST, BY_AADHAAR)
            .body(vec![0xff, 0xfe, 0x00]),
    )
    .await;
    assert_code(r.status, &r.body, 400, "ABDM-1000");
}

#[tokio::test]
async fn test_rate_limit_gives_429_and_is_counted() {
    let api = Api::start(SimConfig {
        rate_limit_per_sec: 3,
        ..config()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = api.get(LGD).await;
        if r.status == 429 {
            assert_eq!(
                r.body,
                json!({"code": "ABDM-1022", "message": "Too many requests"})
            );
        }
        statuses.push(r.status);
    }
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert!(limited >= 2, "{statuses:?}");
    assert_eq!(statuses[0], 200, "{statuses:?}");
    let state = api.state().await;
    assert_eq!(state["rate_limited"], limited);
    // Session calls are not ABHA calls.
    for _ in 0..4 {
        assert_eq!(send(api.session_request("x", "y")).await.status, 401);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get(LGD).await.status, 200);
}

#[tokio::test]
async fn test_requests_counted_and_unknown_routes_are_json() {
    let api = Api::start(config()).await;
    let before = api.state().await["requests"].as_u64().expect("requests");
    let r = api.get("/v3/no/such/route").await;
    assert_code(r.status, &r.body, 404, "SIM-404");
    let r = api.get(REQUEST_OTP).await;
    assert_code(r.status, &r.body, 405, "SIM-405");
    let r = api.admin_get("/nothing").await;
    assert_code(r.status, &r.body, 404, "SIM-404");
    let after = api.state().await["requests"].as_u64().expect("requests");
    assert_eq!(after, before + 2, "admin calls are not counted");
}
