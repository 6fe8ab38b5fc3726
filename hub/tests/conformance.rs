//! The storage conformance suite: every check runs against the hub on its embedded SQLite store
//! and on PostgreSQL (a fresh database per test on the cluster `tests/pg/start.sh` runs), over
//! real HTTP on 127.0.0.1 with real tablet store files. What a tablet sees must not depend on
//! which database its hub uses.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use abha_core::ids::{ReplicaId, VillageId};
use abha_core::store::SealedItem;
use abha_core::sync::protocol::{self, HandSealed, Hello, Push, codes};
use abha_core::sync::serve::{self, Peer, PeerKind};
use abha_core::sync::{Scope, SyncOptions};
use abha_e2e::proxy::{Fault, FaultProxy};
use abha_hub::registry::Role;
use abha_hub::storage::Database;
use common::{RunningHub, Tablet, V1, V2, fast, pg};

async fn start(dir: &std::path::Path, db: &Database) -> RunningHub {
    let db = db.clone();
    RunningHub::start_with(dir, false, None, move |c| c.database = db).await
}

/// A tablet that also writes the village records (a PostgreSQL hub authors none).
async fn first_tablet(dir: &std::path::Path, hub: &RunningHub, villages: &[u32]) -> Tablet {
    let t = Tablet::enrol(dir, "seed", hub, villages).await;
    for v in abha_core::demo::villages() {
        let v = v.validate().unwrap();
        if villages.contains(&v.lgd.village) {
            t.store.put_village(&v).unwrap();
        }
    }
    t
}

/// `stem` with a letter suffix (names take no digits).
fn letter_name(stem: &str, i: usize) -> String {
    format!("{stem}{}", char::from(b'a' + (i % 26) as u8))
}

fn names(t: &Tablet) -> BTreeSet<String> {
    t.store
        .list_households(None, 1000, 0)
        .unwrap()
        .into_iter()
        .flat_map(|h| t.store.household(h.id).unwrap().members)
        .filter_map(|m| m.given_name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tablets_receive_exactly_their_villages_and_resync_is_a_no_op() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let a = first_tablet(dir.path(), &hub, &[V1, V2]).await;
        let b = Tablet::enrol(dir.path(), "b", &hub, &[V2]).await;
        let c = Tablet::enrol(dir.path(), "c", &hub, &[V1]).await;
        a.sync().await;
        for i in 0..5 {
            a.household(V1, &[&letter_name("Sita", i), "Gita"]);
        }
        b.sync().await;
        b.household(V2, &["Noor", "Zoya"]);
        let ra = a.sync().await;
        assert_eq!(ra.pushed_sets, 5, "{}: {ra:?}", db.name());
        b.sync().await;
        let rc = c.sync().await;
        assert!(rc.pulled_sets >= 6, "{}: {rc:?}", db.name());
        let on_c = names(&c);
        assert!(
            on_c.contains("Sitaa") && on_c.contains("Gita"),
            "{}",
            db.name()
        );
        assert!(
            !on_c.contains("Noor"),
            "{}: V2 leaked to a V1 tablet",
            db.name()
        );
        let on_b = names(&b);
        assert!(
            on_b.contains("Noor") && !on_b.contains("Sitaa"),
            "{}",
            db.name()
        );
        a.sync().await;
        assert!(names(&a).contains("Noor"), "{}", db.name());
        // Nothing new: a second round moves nothing.
        for t in [&a, &b, &c] {
            let r = t.sync().await;
            assert_eq!(
                (r.pushed_sets, r.pulled_sets),
                (0, 0),
                "{}: {r:?}",
                db.name()
            );
        }
        let cov = hub.storage.coverage().unwrap();
        for t in [&a, &b] {
            let own = t.store.replica_id();
            assert_eq!(
                cov.get(own),
                t.store.coverage().unwrap().get(own),
                "{}",
                db.name()
            );
            assert!(cov.get(own) > 0);
        }
        hub.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_member_moving_village_brings_her_history_to_the_new_village() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let a = first_tablet(dir.path(), &hub, &[V1, V2]).await;
        let b = Tablet::enrol(dir.path(), "b", &hub, &[V2]).await;
        a.sync().await;
        let h1 = a.household(V1, &["Meera", "Lata"]);
        let h2 = a.household(V2, &["Noor"]);
        a.sync().await;
        b.sync().await;
        assert!(!names(&b).contains("Lata"), "{}", db.name());
        let lata = a.store.household(h1).unwrap().members[1].id;
        a.store.move_member(lata, h2).unwrap();
        a.sync().await;
        let r = b.sync().await;
        let at_b = b.store.household(h2).unwrap().members;
        assert!(
            at_b.iter().any(|m| m.given_name.as_deref() == Some("Lata")),
            "{}: the moved member's history reached her new village ({r:?})",
            db.name()
        );
        assert!(
            !names(&b).contains("Meera"),
            "{}: only she moved",
            db.name()
        );
        hub.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_duplicate_pushes_are_skipped_and_gaps_clashes_and_strangers_refused() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let a = first_tablet(dir.path(), &hub, &[V1]).await;
        a.household(V1, &["Asha"]);
        a.household(V1, &["Usha"]);
        let (sets, _) = a.store.own_sets_after(0, 10_000, 1 << 22).unwrap();
        let me = a.store.replica_id();
        let peer = Peer {
            kind: PeerKind::Device,
            replicas: [me].into_iter().collect(),
            scope: Scope::Villages([VillageId::from_lgd(V1)].into_iter().collect()),
        };
        let push = |sets: Vec<protocol::WireSet>| Push {
            protocol: protocol::PROTOCOL_VERSION,
            replica: me,
            sets,
        };
        let s = &*hub.storage;
        let gap = serve::push(s, &peer, &push(sets[1..].to_vec())).unwrap_err();
        assert_eq!(gap.code, codes::GAP, "{}", db.name());
        assert_eq!(
            s.coverage().unwrap().get(me),
            0,
            "{}: nothing stored",
            db.name()
        );
        let first = serve::push(s, &peer, &push(sets.clone())).unwrap();
        assert_eq!(first.applied as usize, sets.len(), "{}", db.name());
        let again = serve::push(s, &peer, &push(sets.clone())).unwrap();
        assert_eq!(
            (again.applied, again.duplicates as usize),
            (0, sets.len()),
            "{}",
            db.name()
        );
        // Another set under a held (origin, first_seq): a cloned database.
        let mut forged = sets[0].clone();
        let other = Tablet::enrol(dir.path(), "other", &hub, &[V1]).await;
        other.household(V1, &["Rekha"]);
        forged.ops = other.store.own_sets_after(0, 10_000, 1 << 22).unwrap().0[0]
            .ops
            .clone();
        let clash = serve::push(s, &peer, &push(vec![forged])).unwrap_err();
        assert_eq!(clash.code, codes::CLASH, "{}: {clash:?}", db.name());
        assert_eq!(
            s.coverage().unwrap().get(me),
            sets_last(&sets),
            "{}: a clash stores nothing",
            db.name()
        );
        let stranger = Peer {
            replicas: [ReplicaId::random()].into_iter().collect(),
            ..peer.clone()
        };
        let refused = serve::push(s, &stranger, &push(sets.clone())).unwrap_err();
        assert_eq!(refused.code, codes::FORBIDDEN, "{}", db.name());
        let hello = serve::hello(
            s,
            &peer,
            &Hello {
                protocol: protocol::PROTOCOL_VERSION,
                replica: me,
                app_version: "t".into(),
                pending: Default::default(),
                sent_at_ms: 0,
            },
        )
        .unwrap();
        assert_eq!(hello.have_yours, sets_last(&sets), "{}", db.name());
        hub.stop().await;
    }
}

fn sets_last(sets: &[protocol::WireSet]) -> u64 {
    sets.iter()
        .map(|w| w.decode().unwrap().last_seq())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sealed_numbers_are_judged_alike() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let a = first_tablet(dir.path(), &hub, &[V1, V2]).await;
        let h = a.household(V1, &["Asha"]);
        a.sync().await;
        let member = a.store.household(h).unwrap().members[0].id;
        let item = |key: &str, at: i64| SealedItem {
            member,
            key_id: key.into(),
            sealed_at: at,
            ciphertext: vec![7; 256],
        };
        let me = a.store.replica_id();
        let peer = |v: u32| Peer {
            kind: PeerKind::Device,
            replicas: [me].into_iter().collect(),
            scope: Scope::Villages([VillageId::from_lgd(v)].into_iter().collect()),
        };
        let key = hub.sealing_key_id.clone();
        let hand = |p: &Peer, items: Vec<SealedItem>| {
            serve::hand_sealed(
                &*hub.storage,
                p,
                &HandSealed {
                    protocol: protocol::PROTOCOL_VERSION,
                    replica: me,
                    items,
                },
            )
            .unwrap()
            .verdicts
        };
        use abha_core::store::SealedVerdict as V;
        let mut stranger = item(&key, 10);
        stranger.member = abha_core::ids::MemberId::new();
        assert_eq!(
            hand(
                &peer(V1),
                vec![item("other-key", 10), stranger, item(&key, 10)]
            ),
            vec![V::WrongKey, V::UnknownMember, V::Held],
            "{}",
            db.name()
        );
        assert_eq!(
            hand(&peer(V2), vec![item(&key, 20)]),
            vec![V::Forbidden],
            "{}",
            db.name()
        );
        assert_eq!(
            hand(&peer(V1), vec![item(&key, 5)]),
            vec![V::Superseded],
            "{}",
            db.name()
        );
        hub.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_codes_are_one_time_replicas_belong_to_one_device_and_revocation_bites() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let s = &*hub.storage;
        let v = VillageId::from_lgd(V1);
        let (code, _) = s
            .create_code_for(Role::Worker, &[v], Some("tab"), 60_000, Some("camp-1"))
            .unwrap();
        let r = ReplicaId::random();
        let (dev, token) = s
            .enrol(&code.replace('-', "").to_lowercase(), r, None)
            .unwrap();
        assert!(
            dev.villages.contains(&v) && dev.replicas.contains(&r),
            "{}",
            db.name()
        );
        assert!(
            s.enrol(&code, ReplicaId::random(), None).is_err(),
            "{}",
            db.name()
        );
        let (expired, _) = s
            .create_code_for(Role::Worker, &[], None, -1, None)
            .unwrap();
        assert!(s.enrol(&expired, ReplicaId::random(), None).is_err());
        let (c2, _) = s
            .create_code_for(Role::Worker, &[], None, 60_000, None)
            .unwrap();
        assert!(matches!(
            s.enrol(&c2, r, None),
            Err(abha_hub::registry::RegistryError::ReplicaTaken)
        ));
        let mut again = s.authenticate(&token).unwrap().unwrap();
        let r2 = ReplicaId::random();
        s.bind_replica(&mut again, r2).unwrap();
        assert!(
            s.authenticate(&token)
                .unwrap()
                .unwrap()
                .replicas
                .contains(&r2)
        );
        s.record_hello(&dev.id, "1.2.3", &Default::default(), 1500)
            .unwrap();
        let listed = s.list_devices().unwrap();
        assert_eq!(listed.len(), 1, "{}", db.name());
        assert_eq!(listed[0].app_version.as_deref(), Some("1.2.3"));
        assert_eq!(listed[0].clock_skew_ms, Some(1500));
        assert_eq!(listed[0].villages, vec![v]);
        // Over HTTP: the token works until revoked, then gets 401.
        let http = common::http_client();
        let status = |t: String| {
            let (http, url) = (http.clone(), hub.url.clone());
            async move {
                http.post(format!("{url}/v1/sync/hello"))
                    .bearer_auth(t)
                    .body(Vec::<u8>::new())
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_ne!(status(token.clone()).await, 401, "{}", db.name());
        s.revoke(&dev.id).unwrap();
        assert_eq!(status(token.clone()).await, 401, "{}", db.name());
        assert!(s.revoke(&dev.id).is_err(), "{}: revoked twice", db.name());
        hub.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sync_through_a_faulty_link_has_exactly_once_effect() {
    for db in pg::backends() {
        let dir = tempfile::tempdir().unwrap();
        let hub = start(&dir.path().join("hub"), &db).await;
        let proxy = FaultProxy::start(hub.addr).await.unwrap();
        let a = first_tablet(dir.path(), &hub, &[V1]).await;
        let b = Tablet::enrol(dir.path(), "b", &hub, &[V1]).await;
        let n = 12;
        for i in 0..n {
            a.household(V1, &[&letter_name("Sita", i)]);
        }
        let via = |t: &Tablet| {
            abha_core::sync::client::HttpTransport::new(
                &proxy.url("http"),
                Some(t.token.clone()),
                None,
                Duration::from_secs(10),
            )
            .unwrap()
        };
        proxy.plan([
            Fault::None,
            Fault::None,
            Fault::CutReplyAfter(20),
            Fault::None,
            Fault::CutRequestAfter(30),
            Fault::None,
            Fault::CutReplyAfter(60),
        ]);
        let opts = SyncOptions {
            max_ops: 10,
            ..fast()
        };
        a.sync_with(&via(&a), &opts).await.unwrap();
        assert!(proxy.faults.load(Ordering::SeqCst) >= 2, "{}", db.name());
        assert_eq!(a.store.pending().unwrap().changes, 0, "{}", db.name());
        proxy.plan([Fault::None, Fault::CutReplyAfter(100), Fault::None]);
        b.sync_with(&via(&b), &opts).await.unwrap();
        assert_eq!(names(&b), names(&a), "{}", db.name());
        assert_eq!(
            b.store.list_households(None, 100, 0).unwrap().len(),
            n,
            "{}: each household once",
            db.name()
        );
        // The hub holds each of a's sets once, ending exactly at a's last sequence number.
        let mine = a.store.coverage().unwrap().get(a.store.replica_id());
        assert_eq!(
            hub.storage.coverage().unwrap().get(a.store.replica_id()),
            mine
        );
        let r = b.sync().await;
        assert_eq!((r.pushed_sets, r.pulled_sets), (0, 0), "{}", db.name());
        hub.stop().await;
    }
}
