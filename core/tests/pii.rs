//! No Aadhaar digits (nor names or mobiles) anywhere they must not be: the database file, its WAL,
//! the decrypted contents, the logs at TRACE level, and error texts.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use abha_core::ids::{EnrollmentId, WorkerId};
use abha_core::model::{ConsentDraft, ConsentMethod, GivenBy, HouseholdForm, NewEnrollment, Route};
use abha_core::store::{Store, StoreKey};
use common::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    let utf16: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
        || hay.windows(utf16.len()).any(|w| w == utf16.as_slice())
}

/// Every value of every table, as text, through the key: what an attacker with the key sees.
fn dump_decrypted(db: &std::path::Path, key: &StoreKey) -> Vec<u8> {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&key.sqlcipher_pragmas()).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    let mut out = Vec::new();
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        out.extend_from_slice(b)
                    }
                    rusqlite::types::ValueRef::Integer(x) => {
                        out.extend_from_slice(x.to_string().as_bytes())
                    }
                    _ => {}
                }
                out.push(b'|');
            }
        }
    }
    out
}

#[test]
fn test_no_aadhaar_digits_in_files_decrypted_contents_logs_or_errors() {
    let logs = Capture::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let numbers: Vec<String> = (0..10)
        .map(|i| {
            aadhaar(&format!(
                "{}{:010}",
                2 + i % 8,
                3_141_592_653u64 + i * 7_919
            ))
        })
        .collect();
    let names = ["सुनीता", "فاطمہ", "Lakshmi"];
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let db = dir.path().join("field.db");
    let store = Store::open(&db, &key).unwrap();
    let v = village(&store);
    let worker = WorkerId::new();
    let mut error_texts = Vec::new();
    for chunk in numbers.chunks(5) {
        let members = chunk
            .iter()
            .enumerate()
            .map(|(i, n)| {
                member(
                    names[i % 3],
                    if i == 0 { "head" } else { "daughter" },
                    Some(n),
                )
            })
            .collect();
        let hh = household(&store, v, members);
        for m in store.household(hh).unwrap().members {
            let consent = ConsentDraft {
                member_id: m.id,
                version: "1.4".into(),
                language: "hi".into(),
                given_by: GivenBy::Beneficiary,
                guardian_name: None,
                method: ConsentMethod::Checkbox,
                operator_id: worker,
                text_shown: "consent text".into(),
            }
            .validate()
            .unwrap();
            let cid = store.record_consent(&consent).unwrap();
            store
                .request_enrollment(
                    &NewEnrollment {
                        id: EnrollmentId::new(),
                        member_id: m.id,
                        route: Route::DemoAuth,
                        consent_id: cid,
                        attempt_of: None,
                    },
                    Some(worker),
                )
                .unwrap();
            error_texts.push(format!("{m:?}"));
        }
    }
    // Invalid forms: the errors must not echo the numbers either.
    for n in &numbers {
        let mut wrong = n.clone().into_bytes();
        wrong[11] = b'0' + (wrong[11] - b'0' + 1) % 10;
        let wrong = String::from_utf8(wrong).unwrap();
        let mut m = member("Sita", "head", Some(&wrong));
        m.mobile = Some("12".into());
        let form = HouseholdForm {
            household: Default::default(),
            members: vec![m.clone()],
        };
        let e = form.check(today()).unwrap_err();
        assert!(e.errors.iter().any(|i| i.code == "aadhaar.checksum"));
        error_texts.push(format!("{e} {e:?} {}", serde_json::to_string(&e).unwrap()));
        error_texts.push(format!("{m:?} {form:?}"));
        let s = sealer();
        error_texts.push(format!("{:?}", s.seal(&wrong.clone().into())));
    }
    // The WAL holds the recent writes while the store is open.
    let wal = dir.path().join("field.db-wal");
    let mut files_open = std::fs::read(&wal).unwrap_or_default();
    files_open.extend(std::fs::read(&db).unwrap());
    let decrypted = dump_decrypted(&db, &key);
    store.close().unwrap();
    let mut files_closed = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        files_closed.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    drop(_guard);
    let logs = logs.0.lock().unwrap().clone();
    assert!(!logs.is_empty(), "the capture must see the store's logs");
    assert!(
        contains(&decrypted, "9876543210"),
        "the decrypted dump must be real: it holds the mobile numbers"
    );
    for n in &numbers {
        let last4 = &n[8..];
        assert!(contains(&decrypted, last4), "last 4 digits are kept");
        for (what, hay) in [
            ("database/WAL while open", &files_open),
            ("files after close", &files_closed),
            ("decrypted contents", &decrypted),
            ("logs", &logs),
        ] {
            assert!(!contains(hay, n), "Aadhaar number found in {what}");
        }
        for t in &error_texts {
            assert!(
                !t.contains(n.as_str()),
                "Aadhaar number found in an error text"
            );
        }
    }
    for n in names {
        assert!(!contains(&logs, n), "a name reached the logs");
    }
    assert!(!contains(&logs, "9876543210"), "a mobile reached the logs");
}
