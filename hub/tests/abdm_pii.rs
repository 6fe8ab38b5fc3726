//! No Aadhaar digits anywhere the hub route must not leave them, end to end over real HTTP on
//! 127.0.0.1: a tablet (core, real store file) syncs to a hub (in-process server) whose ABDM
//! bridge calls the ABDM simulator. After every request was answered, the Aadhaar numbers must be
//! absent from every file of the hub and of the tablet (WAL and shared memory included), from the
//! decrypted contents of both stores, from the bridge's job table, from the logs at TRACE level
//! and from every error text collected on the way; and the sealed ciphertexts must be gone.
//!
//! Also: the ABDM client encrypts with RSA-OAEP-SHA1 (checked with the independent pure-Rust
//! `rsa` crate, not the OpenSSL both the client and the simulator use), and the simulator refuses
//! the paddings a library default would pick.
//!
//! Only `test_no_aadhaar_digits_in_hub_database_wal_logs_or_errors_after_processing` installs the
//! global tracing subscriber; no other test here depends on logs.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abha_abdm_sim::{Fault, FaultMode, Resident, Sim, SimConfig, SimHandle};
use abha_core::abdm::{AbdmClient, DemoAuth};
use abha_core::model::EnrollmentState;
use abha_core::store::{Store, StoreKey};
use abha_core::sync::client::HttpTransport;
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_hub::registry::Role;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::abdm::*;
use common::{RunningHub, Tablet, V1};
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------------------------
// Helpers duplicated from hub/tests/abdm_bridge.rs (integration tests cannot share them without
// editing that file): sealer(), abdm_config(), quick_bridge(), hub_with_abdm(), capture(),
// consent(), request(), state_of(), wait_for(), resident().
// ---------------------------------------------------------------------------------------------

fn resident(aadhaar: &str, name: &str, mobile: &str) -> Resident {
    Resident::new(aadhaar, name, "F", "1990-01-31", Some(mobile))
}

// ---------------------------------------------------------------------------------------------
// Helpers of this file.
// ---------------------------------------------------------------------------------------------

/// A `Write` into a shared buffer, for the tracing subscriber.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `hay` holds `needle` as UTF-8 (= ASCII for digits) or as UTF-16LE.
fn contains(hay: &[u8], needle: &str) -> bool {
    let utf16: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
        || hay.windows(utf16.len()).any(|w| w == utf16.as_slice())
}

/// The forms an Aadhaar number may be written in, named: `NNNNNNNNNNNN`, `NNNN NNNN NNNN`,
/// `NNNN-NNNN-NNNN`.
fn forms(n: &str) -> [(&'static str, String); 3] {
    let (a, b, c) = (&n[..4], &n[4..8], &n[8..]);
    [
        ("12-digit", n.to_string()),
        ("4-4-4 spaced", format!("{a} {b} {c}")),
        ("4-4-4 hyphenated", format!("{a}-{b}-{c}")),
    ]
}

/// Every file under `dir`, recursively, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                // A -shm file can vanish between listing and reading when the last connection
                // closes; anything else must be readable.
                out.push((p, bytes));
            }
        }
    }
    out
}

/// The values of every row of `table`, as bytes, separated by `|`.
fn dump_table(c: &rusqlite::Connection, table: &str) -> (usize, Vec<u8>) {
    let mut st = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
    let n = st.column_count();
    let mut rows = st.query([]).unwrap();
    let (mut count, mut out) = (0, Vec::new());
    while let Some(r) = rows.next().unwrap() {
        count += 1;
        for i in 0..n {
            match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                    out.extend_from_slice(b)
                }
                rusqlite::types::ValueRef::Integer(x) => {
                    out.extend_from_slice(x.to_string().as_bytes())
                }
                rusqlite::types::ValueRef::Real(x) => {
                    out.extend_from_slice(x.to_string().as_bytes())
                }
                rusqlite::types::ValueRef::Null => {}
            }
            out.push(b'|');
        }
        out.push(b'\n');
    }
    (count, out)
}

fn open_keyed(db: &Path, key: &StoreKey) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&key.sqlcipher_pragmas()).unwrap();
    c
}

/// Every value of every table (schema included), through the key: what someone with the key
/// sees.
fn dump_decrypted(db: &Path, key: &StoreKey) -> Vec<u8> {
    let c = open_keyed(db, key);
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    let mut out = dump_table(&c, "sqlite_schema").1;
    for t in tables {
        out.extend(dump_table(&c, &t).1);
    }
    out
}

/// Members whose sealed Aadhaar ciphertext is still stored.
fn ciphertexts_left(db: &Path, key: &StoreKey) -> (i64, i64) {
    let c = open_keyed(db, key);
    let members: i64 = c
        .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .unwrap();
    let sealed: i64 = c
        .query_row(
            "SELECT count(*) FROM members WHERE aadhaar_ciphertext IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (members, sealed)
}

/// Enrols a tablet whose store key the test keeps (`common::Tablet::enrol` makes a random one).
async fn tablet_with_key(dir: &Path, name: &str, hub: &RunningHub, key: &StoreKey) -> Tablet {
    let store = Store::open(dir.join(format!("{name}.db")), key).unwrap();
    let t = HttpTransport::new(&hub.url, None, hub.pin, Duration::from_secs(10)).unwrap();
    let reply: EnrolReply = t
        .json(
            "/v1/devices/enrol",
            &EnrolRequest {
                code: hub.code(Role::Worker, &[V1]),
                replica: store.replica_id(),
                app_version: "test".into(),
                label: Some(name.into()),
            },
        )
        .await
        .unwrap();
    Tablet {
        store,
        token: reply.token,
        url: hub.url.clone(),
        pin: hub.pin,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_no_aadhaar_digits_in_hub_database_wal_logs_or_errors_after_processing() {
    // Global, so the hub's tasks and blocking threads are captured too; `log` records (rustls,
    // for instance) are bridged into it. Only this test of the binary sets it.
    let logs = LogBuffer::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let numbers: Vec<String> = (0..5).map(|i| abha_core::demo::aadhaar(100 + i)).collect();
    let mobiles: Vec<String> = (0..5).map(|i| format!("98765001{i:02}")).collect();
    let residents: Vec<Resident> = numbers
        .iter()
        .zip(&mobiles)
        .map(|(n, m)| resident(n, "Asha Devi", m))
        .collect();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.add_residents(&residents).unwrap();

    let hub_dir = tempfile::tempdir().unwrap();
    let tablet_dir = tempfile::tempdir().unwrap();
    let hub = hub_with_abdm(hub_dir.path(), &sim).await;
    let tablet_key = StoreKey::random();
    let tablet = tablet_with_key(tablet_dir.path(), "t1", &hub, &tablet_key).await;
    let mut texts: Vec<String> = Vec::new();

    // Phase 1: three that match their residents, one with the name typed wrong.
    let mut queued = Vec::new();
    for i in 0..4 {
        let given = if i == 3 { "Aasha" } else { "Asha" };
        queued.push(capture(&tablet.store, given, &numbers[i], &mobiles[i]));
    }
    let tablet_db = tablet_dir.path().join("t1.db");
    assert_eq!(
        ciphertexts_left(&tablet_db, &tablet_key),
        (4, 4),
        "the ciphertext check sees sealed numbers before they are used"
    );
    texts.push(format!("{:?}", tablet.store.sealed_to_hand(0, 100)));
    texts.push(format!(
        "{:?}",
        tablet.sync_with(&tablet.transport(), &common::fast()).await
    ));
    for (i, (m, e)) in queued.iter().enumerate() {
        let want = if i == 3 {
            EnrollmentState::NeedsCorrection
        } else {
            EnrollmentState::Created
        };
        wait_for(hub.store(), *m, *e, want).await;
    }

    // Phase 2: ABDM is unavailable for exactly one job's worth of tries, then recovers.
    let tries = abdm_config(&sim).max_attempts;
    sim.set_fault(Fault::new(FaultMode::Unavailable).with_remaining(tries));
    queued.push(capture(&tablet.store, "Asha", &numbers[4], &mobiles[4]));
    let (m4, e4) = queued[4];
    texts.push(format!(
        "{:?}",
        tablet.sync_with(&tablet.transport(), &common::fast()).await
    ));
    wait_for(hub.store(), m4, e4, EnrollmentState::Created).await;
    let jobs = abha_hub::bridge::jobs::list(hub.store(), 100).unwrap();
    texts.push(format!("{jobs:?}"));
    assert_eq!(jobs.len(), 5, "one job per request");
    let job4 = jobs
        .iter()
        .find(|j| j.enrollment_id == e4.to_string())
        .unwrap();
    assert_eq!(
        job4.attempts, 2,
        "the outage made the first try fail (retry_later), the second created"
    );
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");

    // The outcomes reach the tablet, which then discards its sealed copies.
    texts.push(format!(
        "{:?}",
        tablet.sync_with(&tablet.transport(), &common::fast()).await
    ));
    texts.push(format!(
        "{:?}",
        tablet.sync_with(&tablet.transport(), &common::fast()).await
    ));
    for (i, (m, e)) in queued.iter().enumerate() {
        let want = if i == 3 {
            EnrollmentState::NeedsCorrection
        } else {
            EnrollmentState::Created
        };
        assert_eq!(
            state_of(&tablet.store, *m, *e).as_deref(),
            Some(want.code()),
            "member {i} on the tablet"
        );
        assert!(
            hub.store().sealed_aadhaar(*m).unwrap().is_none(),
            "member {i}: hub still holds the sealed number"
        );
        assert!(
            tablet.store.sealed_aadhaar(*m).unwrap().is_none(),
            "member {i}: tablet still holds the sealed number"
        );
        for store in [&**hub.store(), &tablet.store] {
            texts.push(format!("{:?}", store.member(*m)));
            texts.push(format!("{:?}", store.enrollments_of(*m)));
            texts.push(format!("{:?}", store.sealed_aadhaar(*m)));
        }
    }
    let st = sim.state();
    assert_eq!(st.creations, 4);
    texts.push(format!("{st:?}"));

    // Error texts the ABDM client produces for these numbers: a refused demographic match, an
    // outage, and (as a success) an OTP sent.
    let client = AbdmClient::new(abdm_config(&sim)).unwrap();
    for (n, mobile) in numbers.iter().zip(&mobiles) {
        let digits = Zeroizing::new(n.clone());
        let wrong = DemoAuth {
            aadhaar: &digits,
            name: "Someone Else",
            gender: "M",
            birth: "1970-01-01",
            state_code: 9,
            district_code: 140,
            mobile: Some(mobile),
            pin_code: None,
            address: None,
        };
        let r = client.enrol_with_demo_auth(&wrong).await;
        assert!(r.is_err(), "a wrong name must be refused");
        texts.push(format!(
            "{r:?} {}",
            r.as_ref().map_or_else(|e| e.to_string(), |_| String::new())
        ));
        let r = client.request_aadhaar_otp(&digits, None).await;
        texts.push(format!("{r:?}"));
    }
    sim.set_fault(Fault::new(FaultMode::Unavailable));
    for n in &numbers {
        let r = client
            .request_aadhaar_otp(&Zeroizing::new(n.clone()), None)
            .await;
        let e = r.unwrap_err();
        texts.push(format!("{e} {e:?} {}", e.reason_code()));
    }
    sim.set_fault(Fault::none());
    // And a sync the hub refuses.
    let bogus = HttpTransport::new(
        &tablet.url,
        Some("not-a-token".into()),
        tablet.pin,
        Duration::from_secs(10),
    )
    .unwrap();
    let refused = tablet.sync_with(&bogus, &common::fast()).await;
    let e = refused.unwrap_err();
    texts.push(format!("{e} {e:?} {}", e.code()));

    // Raw files while both stores are open (the WAL holds the recent writes).
    let files_open: Vec<(PathBuf, Vec<u8>)> = files_under(hub_dir.path())
        .into_iter()
        .chain(files_under(tablet_dir.path()))
        .collect();
    assert!(
        files_open
            .iter()
            .any(|(p, b)| p.to_string_lossy().ends_with("hub.db-wal") && !b.is_empty()),
        "the hub's WAL is scanned while open"
    );

    hub.stop().await;
    let Tablet { store, .. } = tablet;
    store.close().unwrap();
    // The bridge task lets go of its store handle shortly after the hub stops.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let hub_db = hub_dir.path().join("hub.db");
    let hub_key = abha_hub::keys::HubKeys::load_or_create(hub_dir.path(), true)
        .unwrap()
        .store;
    let hub_dump = dump_decrypted(&hub_db, &hub_key);
    let tablet_dump = dump_decrypted(&tablet_db, &tablet_key);
    let (job_rows, jobs_dump) = dump_table(&open_keyed(&hub_db, &hub_key), "abdm_jobs");
    assert_eq!(job_rows, 5, "the job table dump is real");
    for (who, db, key) in [
        ("hub", &hub_db, &hub_key),
        ("tablet", &tablet_db, &tablet_key),
    ] {
        let (members, sealed) = ciphertexts_left(db, key);
        assert_eq!(members, 5, "{who}: every member is there");
        assert_eq!(sealed, 0, "{who}: members.aadhaar_ciphertext must be NULL");
    }
    let files_closed: Vec<(PathBuf, Vec<u8>)> = files_under(hub_dir.path())
        .into_iter()
        .chain(files_under(tablet_dir.path()))
        .collect();
    let logs = logs.0.lock().unwrap_or_else(|e| e.into_inner()).clone();

    // The checks can fail: each search finds what it must find.
    let probe_dir = tempfile::tempdir().unwrap();
    {
        let mut f = std::fs::File::create(probe_dir.path().join("probe.bin")).unwrap();
        f.write_all(b"noise ").unwrap();
        f.write_all(numbers[0].as_bytes()).unwrap();
        let spaced: Vec<u8> = forms(&numbers[1])[1]
            .1
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        f.write_all(&spaced).unwrap();
    }
    let probe = files_under(probe_dir.path());
    assert_eq!(probe.len(), 1);
    assert!(contains(&probe[0].1, &numbers[0]), "search finds 12 digits");
    assert!(
        contains(&probe[0].1, &forms(&numbers[1])[1].1),
        "search finds the spaced form in UTF-16"
    );
    assert!(
        !contains(&probe[0].1, &numbers[2]),
        "and only what is there"
    );
    for (i, m) in mobiles.iter().enumerate() {
        assert!(contains(&hub_dump, m), "hub dump is decrypted: mobile {i}");
        assert!(
            contains(&tablet_dump, m),
            "tablet dump is decrypted: mobile {i}"
        );
    }
    assert!(!logs.is_empty(), "the capture must see logs");
    let logs_text = String::from_utf8_lossy(&logs);
    assert!(
        logs_text.contains("ABDM answered") && logs_text.contains("abdm-sim"),
        "the capture must see the hub's bridge and the simulator"
    );

    let mut findings = Vec::new();
    for (i, n) in numbers.iter().enumerate() {
        for (form_name, form) in forms(n) {
            for (p, bytes) in files_open.iter().chain(&files_closed) {
                if contains(bytes, &form) {
                    findings.push(format!("number {i} ({form_name}) in file {}", p.display()));
                }
            }
            for (what, hay) in [
                ("decrypted hub store", &hub_dump),
                ("decrypted tablet store", &tablet_dump),
                ("hub abdm_jobs table", &jobs_dump),
                ("captured logs", &logs),
            ] {
                if contains(hay, &form) {
                    findings.push(format!("number {i} ({form_name}) in {what}"));
                }
            }
            for (k, t) in texts.iter().enumerate() {
                if t.contains(form.as_str()) {
                    findings.push(format!("number {i} ({form_name}) in collected text #{k}"));
                }
            }
        }
    }
    assert!(
        findings.is_empty(),
        "Aadhaar digits found: {}",
        findings.join("; ")
    );
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC: written here, not taken from the client.
fn header_timestamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn abdm_headers(req: reqwest::RequestBuilder, bearer: Option<&str>) -> reqwest::RequestBuilder {
    let req = req
        .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
        .header("TIMESTAMP", header_timestamp())
        .header("X-CM-ID", "sbx");
    match bearer {
        Some(t) => req.header("Authorization", format!("Bearer {t}")),
        None => req,
    }
}

/// `POST request/otp` with `login_id` as the encrypted Aadhaar, by hand.
async fn raw_request_otp(
    http: &reqwest::Client,
    sim: &SimHandle,
    token: &str,
    login_id: &str,
) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "txnId": "", "scope": ["abha-enrol"], "loginHint": "aadhaar",
        "loginId": login_id, "otpSystem": "aadhaar",
    });
    let resp = abdm_headers(
        http.post(format!(
            "{}/abha/api/v3/enrollment/request/otp",
            sim.base_url()
        )),
        Some(token),
    )
    .json(&body)
    .send()
    .await
    .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_client_encrypts_with_oaep_sha1_and_abdm_refuses_other_paddings() {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

    let plain = b"234123412346";
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.add_residents(&[resident("234123412346", "Asha Devi", "9876543210")])
        .unwrap();
    let client = AbdmClient::new(abdm_config(&sim)).unwrap();
    let private = RsaPrivateKey::from_pkcs1_pem(&sim.private_key_pem()).unwrap();
    let public = RsaPublicKey::from_public_key_der(&sim.public_key_der()).unwrap();
    assert_eq!(
        private.to_public_key(),
        public,
        "the sim's two halves agree"
    );

    // What the client sends decrypts with OAEP-SHA1 (SHA-1 digest, MGF1-SHA1, no label).
    let b64 = client.encrypt(plain).await.unwrap();
    let ct = STANDARD.decode(&b64).unwrap();
    assert_eq!(ct.len(), 256, "one RSA-2048 block");
    let again = STANDARD
        .decode(client.encrypt(plain).await.unwrap())
        .unwrap();
    assert_ne!(ct, again, "OAEP is randomised: no two ciphertexts alike");
    let opened = private.decrypt(Oaep::new::<sha1::Sha1>(), &ct).unwrap();
    assert_eq!(opened, plain);
    assert_eq!(
        private.decrypt(Oaep::new::<sha1::Sha1>(), &again).unwrap(),
        plain
    );
    // Not OAEP-SHA256.
    assert!(private.decrypt(Oaep::new::<sha2::Sha256>(), &ct).is_err());
    assert!(
        private
            .decrypt(Oaep::new::<sha2::Sha256>(), &again)
            .is_err()
    );
    // Not PKCS#1 v1.5. An OAEP block passes the v1.5 unpadding by chance about once in 500
    // (`00 02`, eight non-zero bytes, then a zero somewhere), so the robust statement is that
    // v1.5 never yields the plaintext.
    for c in [&ct, &again] {
        let r = private.decrypt(Pkcs1v15Encrypt, c);
        assert!(r.as_deref().map_or(true, |p| p != plain), "not PKCS#1 v1.5");
    }

    // The simulator, by hand: a session token first.
    let http = common::raw_client(None);
    let resp = abdm_headers(
        http.post(format!("{}/gateway/v3/sessions", sim.gateway_base())),
        None,
    )
    .json(&serde_json::json!({
        "clientId": SimConfig::default().client_id,
        "clientSecret": SimConfig::default().client_secret,
        "grantType": "client_credentials",
    }))
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let session: serde_json::Value = resp.json().await.unwrap();
    let token = session["accessToken"].as_str().unwrap().to_string();

    let mut rng = rand::thread_rng();
    let before = sim.state().bad_padding;
    // PKCS#1 v1.5 (a common library default): a field-keyed 400 on loginId.
    let v15 = STANDARD.encode(public.encrypt(&mut rng, Pkcs1v15Encrypt, plain).unwrap());
    let (status, body) = raw_request_otp(&http, &sim, &token, &v15).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["loginId"], "Invalid LoginId", "{body}");
    assert!(body["timestamp"].is_string(), "{body}");
    assert!(body.get("txnId").is_none(), "{body}");
    assert_eq!(sim.state().bad_padding, before + 1);
    // OAEP with SHA-256 (another common default): refused the same way.
    let sha256 = STANDARD.encode(
        public
            .encrypt(&mut rng, Oaep::new::<sha2::Sha256>(), plain)
            .unwrap(),
    );
    let (status, body) = raw_request_otp(&http, &sim, &token, &sha256).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["loginId"], "Invalid LoginId", "{body}");
    assert_eq!(sim.state().bad_padding, before + 2);
    // OAEP-SHA1 from the independent implementation: accepted.
    let sha1 = STANDARD.encode(
        public
            .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), plain)
            .unwrap(),
    );
    let (status, body) = raw_request_otp(&http, &sim, &token, &sha1).await;
    assert_eq!(status, 200, "{body}");
    let raw_txn = body["txnId"].as_str().unwrap().to_string();
    assert!(sim.otp_for(&raw_txn).is_some());
    assert_eq!(sim.state().bad_padding, before + 2);

    // And the client's own request goes through.
    let sent = client
        .request_aadhaar_otp(&Zeroizing::new("234123412346".into()), None)
        .await
        .unwrap();
    assert!(!sent.txn_id.is_empty());
    assert_ne!(sent.txn_id, raw_txn);
    assert!(sim.otp_for(&sent.txn_id).is_some(), "an OTP was sent");
    assert_eq!(
        sim.state().bad_padding,
        before + 2,
        "the client's ciphertext decrypted"
    );
}
