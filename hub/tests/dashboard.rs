//! The dashboard and review API over real HTTP on 127.0.0.1, with tablets holding real store
//! files: authorization (worker tokens, districts, CSRF), the day-end, pending work and the
//! supervisor's decisions reaching the tablet by sync, duplicates, exports and the CLI report.
#![allow(clippy::unwrap_used)]

mod common;

use abha_core::ids::{EnrollmentId, HouseholdId, MemberId, WorkerId};
use abha_core::model::{ConsentDraft, ConsentMethod, GivenBy, NewEnrollment, Route};
use abha_hub::registry::Role;
use abha_hub::users;
use common::{RunningHub, Tablet, V1, V2};
use reqwest::StatusCode;
use serde_json::Value;

fn client() -> reqwest::Client {
    common::http_client()
}

/// Consent and a demographic-auth request for `member`.
fn request(t: &Tablet, member: MemberId) -> EnrollmentId {
    let consent = ConsentDraft {
        member_id: member,
        version: "1.4".into(),
        language: "hi".into(),
        given_by: GivenBy::Beneficiary,
        guardian_name: None,
        method: ConsentMethod::Thumbprint,
        operator_id: WorkerId::new(),
        text_shown: "consent text".into(),
    }
    .validate()
    .unwrap();
    let consent_id = t.store.record_consent(&consent).unwrap();
    let id = EnrollmentId::new();
    t.store
        .request_enrollment(
            &NewEnrollment {
                id,
                member_id: member,
                route: Route::DemoAuth,
                consent_id,
                attempt_of: None,
            },
            None,
        )
        .unwrap();
    id
}

fn members(t: &Tablet, h: HouseholdId) -> Vec<MemberId> {
    t.store
        .household(h)
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.id)
        .collect()
}

/// A browser session: signs in through the form, keeps the cookie and the page's CSRF token.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

impl Browser {
    async fn sign_in(base: &str, user: &str, password: &str) -> Result<Self, StatusCode> {
        let http = client();
        let r = http.get(format!("{base}/dash/login")).send().await.unwrap();
        let login_cookie = cookie_of(&r, "abha_login").unwrap();
        let token = hidden_csrf(&r.text().await.unwrap());
        let r = http
            .post(format!("{base}/dash/login"))
            .header("cookie", &login_cookie)
            .form(&[("username", user), ("password", password), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::SEE_OTHER {
            return Err(r.status());
        }
        let cookie = cookie_of(&r, "abha_session").unwrap();
        Ok(Self {
            http,
            base: base.to_owned(),
            cookie,
        })
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn csrf(&self) -> String {
        hidden_csrf(&self.get("/dash/day-end").await.text().await.unwrap())
    }
}

async fn api(hub: &RunningHub, token: &str, path: &str) -> (StatusCode, Value) {
    let r = client()
        .get(format!("{}{path}", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn api_post(hub: &RunningHub, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = client()
        .post(format!("{}{path}", hub.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn setup_users(hub: &RunningHub) {
    users::create(
        hub.store(),
        "sup.all",
        None,
        Role::Supervisor,
        &[],
        "supervisor pw 1",
    )
    .unwrap();
    users::create(
        hub.store(),
        "sup.budgam",
        None,
        Role::Supervisor,
        &[2],
        "supervisor pw 2",
    )
    .unwrap();
    users::create(
        hub.store(),
        "org",
        None,
        Role::Organiser,
        &[],
        "organiser pw 3",
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_only_reviewers_of_the_area_get_in_and_posts_need_the_form_token() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(dir.path(), false, None).await;
    setup_users(&hub);
    let t1 = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    let t2 = Tablet::enrol(dir.path(), "t2", &hub, &[V2]).await;
    let h2 = t2.household(V2, &["Zainab"]);
    let e2 = request(&t2, members(&t2, h2)[0]);
    t1.household(V1, &["Sita"]);
    t1.sync().await;
    t2.sync().await;
    let base = hub.url.clone();
    let http = client();

    // No credentials: pages send to the sign-in form, the API answers 401.
    let r = http
        .get(format!("{base}/dash/day-end"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/dash/login");
    let (s, body) = api(&hub, "abh_nonsense", "/v1/review/pending").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "auth.unauthenticated");
    // A worker's token opens neither the dashboard nor the review API.
    for path in [
        "/dash/day-end",
        "/v1/review/pending",
        "/v1/review/day-end",
        "/v1/export/fhir",
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(&t1.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Sign-in: the form token is required, a wrong password is refused.
    let r = http
        .post(format!("{base}/dash/login"))
        .form(&[("username", "sup.all"), ("password", "supervisor pw 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "login without the form token"
    );
    assert_eq!(
        Browser::sign_in(&base, "sup.all", "wrong password")
            .await
            .err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    let all = Browser::sign_in(&base, "sup.all", "supervisor pw 1")
        .await
        .unwrap();
    let page = all.get("/dash/day-end").await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(page.text().await.unwrap().contains("Camp day-end"));

    // CSRF: a session POST without the token, with a wrong one, or from another origin is refused.
    let retry = format!("{base}/dash/pending/{e2}/send-back");
    let token = all.csrf().await;
    for (form_token, origin) in [
        (None, None),
        (Some("forged"), None),
        (Some(token.as_str()), Some("http://evil.example")),
    ] {
        let mut req = http.post(&retry).header("cookie", &all.cookie);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let mut form = vec![("note", "fix the name")];
        if let Some(t) = form_token {
            form.push(("csrf", t));
        }
        let r = req.form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["code"], "csrf.missing");
    }
    let r = http
        .post(format!("{base}/v1/review/enrollments/{e2}/send-back"))
        .header("cookie", &all.cookie)
        .json(&serde_json::json!({"note": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "API with a session needs the header"
    );
    assert!(
        hub.store().reviews_of(e2.as_uuid()).unwrap().is_empty(),
        "nothing was decided"
    );

    // Districts: the Budgam supervisor sees nothing of Srinagar (V2).
    let budgam = Browser::sign_in(&base, "sup.budgam", "supervisor pw 2")
        .await
        .unwrap();
    let r = budgam.get("/v1/review/pending?village=900202").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = budgam.get("/v1/export/csv?village=900202").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let pending: Value = budgam.get("/v1/review/pending").await.json().await.unwrap();
    assert!(!pending.to_string().contains(&e2.to_string()), "{pending}");
    let all_pending: Value = all.get("/v1/review/pending").await.json().await.unwrap();
    assert!(all_pending.to_string().contains(&e2.to_string()));
    let page = budgam.get("/dash/pending").await.text().await.unwrap();
    assert!(!page.contains("Shalimar") && !page.contains(&e2.to_string()));
    // Acting on another district's record is "not found", and nothing is written.
    let token = budgam.csrf().await;
    let r = http
        .post(format!("{base}/v1/review/enrollments/{e2}/send-back"))
        .header("cookie", &budgam.cookie)
        .header("x-csrf-token", token)
        .json(&serde_json::json!({"note": "fix"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(hub.store().reviews_of(e2.as_uuid()).unwrap().is_empty());
    // Organisers see but do not decide.
    let org = Browser::sign_in(&base, "org", "organiser pw 3")
        .await
        .unwrap();
    let token = org.csrf().await;
    let r = http
        .post(format!("{base}/v1/review/enrollments/{e2}/dismiss"))
        .header("cookie", &org.cookie)
        .header("x-csrf-token", token)
        .json(&serde_json::json!({"reason": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Sign-ins are in the audit log.
    let audit = abha_hub::audit::list(hub.store(), None, 50).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "login" && e.actor == "sup.budgam")
    );
    assert!(audit.iter().any(|e| e.action == "login.refused"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_decisions_reach_the_tablet_and_the_day_end_counts_what_was_captured() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(dir.path(), false, None).await;
    let sup = hub.token(Role::Supervisor);
    let t1 = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    let h1 = t1.household(V1, &["Sita", "Gita", "Lalita"]);
    let ms = members(&t1, h1);
    let back = request(&t1, ms[0]);
    let dismissed = request(&t1, ms[1]);
    t1.household(V1, &["Fatima"]);
    t1.sync().await;

    // Day-end: today, one device, 2 households, 4 members, 2 requests pending.
    let (s, d) = api(&hub, &sup, "/v1/review/day-end").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{d}");
    assert_eq!(d["totals"]["households"], 2);
    assert_eq!(d["totals"]["members"], 4);
    assert_eq!(d["totals"]["requests"], 2);
    assert_eq!(d["totals"]["abha_pending"], 2);
    assert!(d["totals"]["synced_changes"].as_u64().unwrap() >= 4);
    let csv = client()
        .get(format!("{}/v1/review/day-end?format=csv", hub.url))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("device,camp,worker,households,members")
    );
    assert!(
        csv.lines().last().unwrap().starts_with("total,,,2,4,2"),
        "{csv}"
    );
    let (_, other_day) = api(&hub, &sup, "/v1/review/day-end?date=2020-01-01").await;
    assert_eq!(other_day["totals"]["households"], 0);
    let (s, _) = api(&hub, &sup, "/v1/review/day-end?date=01/01/2020").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Pending: both requests wait (this hub has no ABDM bridge).
    let (_, p) = api(&hub, &sup, "/v1/review/pending").await;
    assert!(p.to_string().contains(&back.to_string()));
    assert_eq!(p["groups"][0]["reason"], "no_bridge");
    let (s, b) = api_post(
        &hub,
        &sup,
        &format!("/v1/review/enrollments/{back}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("review.no_bridge"))
    );

    // Send back: a note is required and bounded; nothing is written when refused.
    let path = format!("/v1/review/enrollments/{back}/send-back");
    let (s, b) = api_post(&hub, &sup, &path, serde_json::json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("review.note_required"))
    );
    let long = "x".repeat(501);
    let (s, _) = api_post(&hub, &sup, &path, serde_json::json!({"note": long})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(hub.store().reviews_of(back.as_uuid()).unwrap().is_empty());
    let note = "नाम आधार कार्ड जैसा लिखें";
    let (s, b) = api_post(&hub, &sup, &path, serde_json::json!({"note": note})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Dismiss: a reason from the list.
    let dpath = format!("/v1/review/enrollments/{dismissed}/dismiss");
    let (s, b) = api_post(&hub, &sup, &dpath, serde_json::json!({"reason": "because"})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("review.bad_reason"))
    );
    let (s, first) = api_post(
        &hub,
        &sup,
        &dpath,
        serde_json::json!({"reason": "person_moved_away"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, again) = api_post(
        &hub,
        &sup,
        &dpath,
        serde_json::json!({"reason": "person_moved_away"}),
    )
    .await;
    assert_eq!(
        first["review_id"], again["review_id"],
        "dismissing twice is one decision"
    );

    let (_, p) = api(&hub, &sup, "/v1/review/pending").await;
    let groups: Vec<&str> = p["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["needs_correction:review.sent_back"], "{p}");
    assert_eq!(p["groups"][0]["items"][0]["note"], note);
    assert!(
        !p.to_string().contains(&dismissed.to_string()),
        "dismissed leaves the list"
    );

    // The tablet learns both at its next sync: states, reason codes and the note.
    t1.sync().await;
    let on_tablet = t1
        .store
        .enrollments_in(&abha_core::store::ATTENTION_STATES, 10)
        .unwrap();
    let sent = on_tablet.iter().find(|e| e.id == back).unwrap();
    assert_eq!(sent.state.as_deref(), Some("needs_correction"));
    assert_eq!(sent.reason_code.as_deref(), Some("review.sent_back"));
    let gone = on_tablet.iter().find(|e| e.id == dismissed).unwrap();
    assert_eq!(gone.state.as_deref(), Some("rejected"));
    assert_eq!(gone.reason_code.as_deref(), Some("review.dismissed"));
    let notes = t1.store.reviews_of(back.as_uuid()).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].note.as_deref(), Some(note));
    assert_eq!(notes[0].action.as_deref(), Some("send_back"));
    // The day-end now counts one needing correction and one failed.
    let (_, d) = api(&hub, &sup, "/v1/review/day-end").await;
    assert_eq!(d["totals"]["needs_correction"], 1);
    assert_eq!(d["totals"]["failed"], 1);
    // The audit log has both decisions, with who and from where, and no note text.
    let (_, log) = api(&hub, &sup, "/v1/review/audit").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"enrollment.send_back") && actions.contains(&"enrollment.dismiss"),
        "{actions:?}"
    );
    assert!(
        !log.to_string().contains("आधार"),
        "notes are not copied into the log"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_duplicates_are_merged_or_kept_apart_and_tablets_follow() {
    let dir = tempfile::tempdir().unwrap();
    let hub = RunningHub::start(dir.path(), false, None).await;
    let sup = hub.token(Role::Supervisor);
    let t1 = Tablet::enrol(dir.path(), "t1", &hub, &[V1]).await;
    // The same woman in two households, in Devanagari and in Latin letters, same mobile and year.
    let add = |given: &str, family: &str, mobile: &str| {
        let form = abha_core::model::HouseholdForm {
            household: abha_core::model::HouseholdDraft {
                village_id: Some(abha_core::ids::VillageId::from_lgd(V1)),
                address: "Ward 4".into(),
                ..Default::default()
            },
            members: vec![abha_core::model::MemberDraft {
                given_name: given.into(),
                family_name: Some(family.into()),
                gender: "F".into(),
                birth_date: "1988".into(),
                mobile: Some(mobile.into()),
                relation: "head".into(),
                ..Default::default()
            }],
        };
        let today = time::OffsetDateTime::now_utc().date();
        let new = form.check(today).unwrap().value.seal(None, None).unwrap();
        let h = t1.store.create_household(&new).unwrap();
        members(&t1, h)[0]
    };
    let a = add("सुनीता", "देवी", "9876543210");
    let b = add("Sunita", "Devi", "9876543210");
    let c = add("Rukhsana", "Bano", "9123456780");
    let d = add("Rukhsana", "Bano", "9123456780");
    t1.sync().await;
    let (s, pairs) = api(&hub, &sup, "/v1/review/duplicates").await;
    assert_eq!(s, StatusCode::OK);
    let pairs = pairs.as_array().unwrap().clone();
    let has = |x: MemberId, y: MemberId, ps: &[Value]| {
        ps.iter().any(|p| {
            let (pa, pb) = (
                p["a"]["member_id"].as_str().unwrap(),
                p["b"]["member_id"].as_str().unwrap(),
            );
            (pa == x.to_string() && pb == y.to_string())
                || (pa == y.to_string() && pb == x.to_string())
        })
    };
    assert!(has(a, b, &pairs), "across scripts: {pairs:?}");
    assert!(has(c, d, &pairs));
    assert!(!has(a, c, &pairs));
    // Merge a and b (keep a); mark c and d distinct.
    let (s, r) = api_post(
        &hub,
        &sup,
        "/v1/review/duplicates/merge",
        serde_json::json!({"keep": a.to_string(), "merge": b.to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = api_post(
        &hub,
        &sup,
        "/v1/review/duplicates/distinct",
        serde_json::json!({"a": c.to_string(), "b": d.to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = api_post(
        &hub,
        &sup,
        "/v1/review/duplicates/merge",
        serde_json::json!({"keep": a.to_string(), "merge": a.to_string()}),
    )
    .await;
    assert_eq!(
        (s, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("review.same_member"))
    );
    let (s, _) = api_post(
        &hub,
        &sup,
        "/v1/review/duplicates/merge",
        serde_json::json!({"keep": "nope"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, pairs) = api(&hub, &sup, "/v1/review/duplicates").await;
    let pairs = pairs.as_array().unwrap().clone();
    assert!(!has(a, b, &pairs) && !has(c, d, &pairs), "{pairs:?}");
    // The tablet drops the merged record and keeps the decisions.
    t1.sync().await;
    assert!(
        t1.store.member(b).is_err(),
        "merged member tombstoned on the tablet"
    );
    assert!(t1.store.member(a).is_ok());
    let merged = t1.store.reviews_of(b.as_uuid()).unwrap();
    assert_eq!(merged[0].action.as_deref(), Some("merge"));
    assert_eq!(merged[0].other_member_id, Some(a));
    let (_, r) = api(&hub, &sup, &format!("/v1/review/reviews/{b}")).await;
    assert_eq!(r["reviews"][0]["action"], "merge");
    hub.stop().await;
}

#[test]
fn test_cli_prints_the_day_end_of_the_demo_camp() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let hub = env!("CARGO_BIN_EXE_abha-hub");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(hub)
            .arg("--data")
            .arg(&data)
            .arg("--demo-keys")
            .args(args)
            .env("ABHA_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let summary: Value = serde_json::from_str(&run(&["demo", "--households", "30"])).unwrap();
    let at_hub = summary["households"].as_u64().unwrap();
    assert!(
        at_hub > 0 && at_hub < 30,
        "the demo leaves one tablet's last visits unsynced"
    );
    let table = run(&["report", "day-end", "--camp", "demo-camp"]);
    assert!(table.starts_with("Day-end "), "{table}");
    for t in [
        "demo tablet 1",
        "demo tablet 2",
        "demo tablet 3",
        "Shazia Bano",
    ] {
        assert!(table.contains(t), "{table}");
    }
    let csv = run(&["report", "day-end", "--csv"]);
    let rows: Vec<Vec<String>> = csv
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows[0][3], "households");
    let total = rows.last().unwrap();
    assert_eq!(total[0], "total");
    let sum: u64 = rows[1..rows.len() - 1]
        .iter()
        .map(|r| r[3].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total[3].parse::<u64>().unwrap(), sum);
    assert_eq!(sum, at_hub, "every household at the hub was captured today");
    let pending: u64 = rows[1..rows.len() - 1]
        .iter()
        .map(|r| r[13].parse::<u64>().unwrap_or(0))
        .sum();
    assert!(
        pending > 0,
        "the unsynced tablet reports its pending work: {csv}"
    );
    let other = run(&["report", "day-end", "--camp", "no-such-camp", "--csv"]);
    assert_eq!(other.lines().count(), 2, "header and totals only: {other}");
    // Targets from CSV; a bad file imports nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "village_code,target\n900101,abc\n").unwrap();
    let out = std::process::Command::new(hub)
        .arg("--data")
        .arg(&data)
        .arg("--demo-keys")
        .args(["targets", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "village_code,target\n900101,1200\n900102,800\n").unwrap();
    run(&["targets", good.to_str().unwrap()]);
}
