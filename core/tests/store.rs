//! The store on real SQLCipher files: atomic writes with their ops and outbox rows, key
//! handling, schema version refusal and damage handling.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use abha_core::ids::HouseholdId;
use abha_core::oplog::{Action, EntityKind};
use abha_core::store::{Store, StoreError, StoreKey};
use common::*;
use sha2::{Digest, Sha256};

fn file_hash(p: &std::path::Path) -> Vec<u8> {
    Sha256::digest(fs::read(p).unwrap()).to_vec()
}

#[test]
fn test_household_with_members_commits_ops_and_one_outbox_row_together() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let store = open(dir.path(), &key);
    let v = village(&store);
    let before = store.pending().unwrap();
    let a = aadhaar("23412341234");
    let hh = household(
        &store,
        v,
        vec![
            member("सीता", "head", Some(&a)),
            member("گل", "daughter", None),
            member("Rani", "son_in_law", None),
        ],
    );
    let after = store.pending().unwrap();
    assert_eq!(
        after.changes,
        before.changes + 1,
        "one outbox row per change"
    );
    let outbox = store.outbox(100).unwrap();
    let last = outbox.last().unwrap();
    assert_eq!(last.label, "household.create");
    let ops = store
        .ops_from(store.replica_id(), last.first_seq - 1, 10_000)
        .unwrap();
    assert_eq!(ops.len() as u64, last.last_seq - last.first_seq + 1);
    assert_eq!(after.ops - before.ops, ops.len() as u64);
    assert!(
        ops.windows(2)
            .all(|w| w[0].seq + 1 == w[1].seq && w[0].op_stamp() < w[1].op_stamp())
    );
    assert!(
        ops.iter().all(|o| o.hlc == ops[0].hlc),
        "one timestamp per change set"
    );
    assert_eq!(
        ops.iter()
            .filter(|o| o.kind == EntityKind::Member && o.action == Action::Add)
            .count(),
        3,
        "one membership add per member"
    );
    let detail = store.household(hh).unwrap();
    assert_eq!(detail.members.len(), 3);
    assert_eq!(detail.household.pincode.as_deref(), Some("191201"));
    assert_eq!(detail.household.lat_e6, Some(34_000_000));
    let head = detail.household.head_member_id.unwrap();
    let head_member = detail.members.iter().find(|m| m.id == head).unwrap();
    assert_eq!(head_member.given_name.as_deref(), Some("सीता"));
    assert_eq!(
        head_member.aadhaar_masked.as_deref(),
        Some(format!("XXXX XXXX {}", &a[8..]).as_str())
    );
    assert!(head_member.aadhaar_sealed);
    let list = store.list_households(Some(v), 50, 0).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].member_count, 3);
    assert_eq!(list[0].head_name.as_deref(), Some("सीता"));
    assert_eq!(store.households_by_code(&list[0].code).unwrap()[0].id, hh);
    assert_eq!(store.search_members("गल", 10).unwrap().len(), 0);
    assert_eq!(store.search_members("گل", 10).unwrap().len(), 1);
    assert_eq!(store.search_members("ran", 10).unwrap().len(), 1);
}

#[test]
fn test_failed_write_leaves_no_ops_rows_or_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &StoreKey::random());
    village(&store);
    let pending = store.pending().unwrap();
    let m = member("Asha", "head", None)
        .check(&mut abha_core::validate::Issues::new(), "", today())
        .unwrap()
        .seal(None)
        .unwrap();
    let err = store.add_member(HouseholdId::new(), &m, None).unwrap_err();
    assert!(matches!(
        err,
        StoreError::NotFound {
            entity: "household",
            ..
        }
    ));
    assert_eq!(store.pending().unwrap(), pending);
    assert!(store.member(m.id).is_err());
    // A closure that fails after recording ops rolls everything back too.
    let res: Result<(), _> = store.write("test.fail", |c| {
        c.set(
            EntityKind::Worker,
            uuid::Uuid::now_v7(),
            "name",
            abha_core::oplog::Value::Text("x".into()),
        )?;
        Err(StoreError::InvalidData("injected"))
    });
    assert!(res.is_err());
    assert_eq!(store.pending().unwrap(), pending);
    let ops = store.ops_from(store.replica_id(), 0, 100_000).unwrap();
    assert_eq!(
        ops.len() as u64,
        pending.ops,
        "no op of a failed write survives"
    );
}

#[test]
fn test_sequence_numbers_continue_across_reopen_and_processes() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let a = open(dir.path(), &key);
    let v = village(&a);
    // A second open of the same file (another process) interleaves writes safely.
    let b = open(dir.path(), &key);
    assert_eq!(a.replica_id(), b.replica_id());
    household(&a, v, vec![member("A", "head", None)]);
    household(&b, v, vec![member("B", "head", None)]);
    household(&a, v, vec![member("C", "head", None)]);
    let replica = a.replica_id();
    a.close().unwrap();
    b.close().unwrap();
    let c = open(dir.path(), &key);
    assert_eq!(c.replica_id(), replica, "replica id is stable");
    household(&c, v, vec![member("D", "head", None)]);
    let ops = c.ops_from(replica, 0, 100_000).unwrap();
    for (i, op) in ops.iter().enumerate() {
        assert_eq!(op.seq, i as u64 + 1, "dense sequence, no gaps or repeats");
    }
    assert!(ops.windows(2).all(|w| w[0].op_stamp() < w[1].op_stamp()));
    let sets = c.changes_from(replica, 0, 100).unwrap();
    assert_eq!(sets.len(), 5);
    assert!(
        sets.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "each change set ticks the clock"
    );
    let outbox = c.outbox(100).unwrap();
    assert_eq!(outbox.len(), 5);
    assert!(
        outbox
            .windows(2)
            .all(|w| w[0].last_seq + 1 == w[1].first_seq)
    );
}

#[test]
fn test_wrong_key_is_refused_before_reading_and_data_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let store = open(dir.path(), &key);
    let v = village(&store);
    let hh = household(&store, v, vec![member("Sita", "head", None)]);
    store.close().unwrap();
    let db = dir.path().join("field.db");
    let hash = file_hash(&db);
    let err = Store::open(&db, &StoreKey::random()).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    assert_eq!(err.code(), "store.wrong_key");
    assert_eq!(file_hash(&db), hash, "file untouched");
    // Without the key check file, SQLCipher's own refusal still maps to WrongKey and nothing moves.
    fs::rename(
        db.with_extension("db.keycheck"),
        dir.path().join("saved.keycheck"),
    )
    .unwrap();
    let err = Store::open(&db, &StoreKey::random()).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    assert_eq!(file_hash(&db), hash);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        2,
        "nothing moved aside"
    );
    let store = Store::open(&db, &key).unwrap();
    assert_eq!(store.household(hh).unwrap().members.len(), 1);
}

#[test]
fn test_newer_schema_version_is_refused_and_file_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let db = dir.path().join("field.db");
    let store = Store::open(&db, &key).unwrap();
    let v = village(&store);
    household(&store, v, vec![member("Sita", "head", None)]);
    store.close().unwrap();
    {
        // Simulate newer software having written the file.
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(&key.sqlcipher_pragmas()).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let hash = file_hash(&db);
    let err = Store::open(&db, &key).unwrap_err();
    assert!(
        matches!(err, StoreError::IncompatibleVersion { found: 99, supported } if supported == abha_core::store::migrate::LATEST_VERSION),
        "{err:?}"
    );
    assert_eq!(file_hash(&db), hash, "newer file left untouched");
    assert!(
        !dir.path().join("field.db-wal").exists()
            || fs::metadata(dir.path().join("field.db-wal")).unwrap().len() == 0
    );
}

#[test]
fn test_damaged_file_is_moved_aside_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let db = dir.path().join("field.db");
    let store = Store::open(&db, &key).unwrap();
    let v = village(&store);
    household(&store, v, vec![member("Sita", "head", None)]);
    let old_replica = store.replica_id();
    store.close().unwrap();
    // Damage the first page (SQLCipher's salt and header).
    let mut bytes = fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(64) {
        *b ^= 0x5a;
    }
    fs::write(&db, &bytes).unwrap();
    let err = Store::open(&db, &key).unwrap_err();
    let StoreError::Corrupt { moved_to } = err else {
        panic!("expected Corrupt, got {err:?}")
    };
    assert_eq!(
        fs::read(&moved_to).unwrap(),
        bytes,
        "damaged bytes kept for support"
    );
    assert!(!db.exists());
    // The next open starts a fresh store under a new replica id.
    let fresh = Store::open(&db, &key).unwrap();
    assert_ne!(fresh.replica_id(), old_replica);
    assert!(fresh.list_households(None, 10, 0).unwrap().is_empty());
}

#[test]
fn test_bad_key_length_is_refused() {
    assert!(matches!(
        StoreKey::from_hex("abcd"),
        Err(StoreError::BadKey)
    ));
    assert!(StoreKey::from_hex(&"ab".repeat(32)).is_ok());
}

#[test]
fn test_many_threads_open_stores_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let s =
                        Store::open(path.join(format!("{t}-{i}.db")), &StoreKey::random()).unwrap();
                    s.close().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
