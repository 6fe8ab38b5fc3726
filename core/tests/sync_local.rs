//! Sync sessions between real store files, in one process through the real wire encoding.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use abha_core::ids::VillageId;
use abha_core::model::MemberPatch;
use abha_core::store::{Store, StoreKey};
use abha_core::sync::local::LocalTransport;
use abha_core::sync::{CancelToken, Peer, PeerKind, Scope, SyncOptions, SyncProgress, sync};
use common::*;

fn device_peer(d: &Store, villages: &[VillageId]) -> Peer {
    Peer {
        kind: PeerKind::Device,
        replicas: [d.replica_id()].into_iter().collect(),
        scope: Scope::Villages(villages.iter().copied().collect::<BTreeSet<_>>()),
    }
}

async fn run(
    d: &Store,
    hub: &Store,
    peer: Peer,
    opts: &SyncOptions,
) -> abha_core::sync::SyncReport {
    let t = LocalTransport { hub, peer };
    sync(
        d,
        "hub",
        &t,
        opts,
        &|_: &SyncProgress| {},
        &CancelToken::new(),
    )
    .await
    .unwrap()
}

fn other_village(store: &Store) -> VillageId {
    let v = abha_core::model::VillageDraft {
        lgd: abha_core::model::LgdCodes {
            state: 1,
            district: 2,
            subdistrict: 12,
            village: 7777,
        },
        name: "Other".into(),
    }
    .validate()
    .unwrap();
    store.put_village(&v).unwrap()
}

#[tokio::test]
async fn test_two_tablets_converge_through_a_hub_and_scope_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let open = |n: &str| Store::open(dir.path().join(n), &StoreKey::random()).unwrap();
    let (hub, a, b, c) = (open("hub.db"), open("a.db"), open("b.db"), open("c.db"));
    let v = village(&hub);
    let w = other_village(&hub);
    let opts = SyncOptions {
        max_ops: 20,
        ..Default::default()
    };
    // The hub's villages reach the tablets first.
    for d in [&a, &b, &c] {
        run(d, &hub, device_peer(d, &[v]), &opts).await;
    }
    assert_eq!(a.villages().unwrap().len(), 1, "only the assigned village");
    let hh = household(
        &a,
        v,
        vec![
            member("सीता", "head", Some(&aadhaar("23412341234"))),
            member("Rani", "daughter", None),
        ],
    );
    let hh2 = household(&a, v, vec![member("Zoya", "head", None)]);
    let r = run(&a, &hub, device_peer(&a, &[v]), &opts).await;
    assert_eq!(r.pushed_sets, 2, "{r:?}");
    assert!(r.requests >= 4, "one push per set with max_ops 20: {r:?}");
    assert_eq!(
        a.pending().unwrap().changes,
        0,
        "acknowledged outbox rows are gone"
    );
    run(&b, &hub, device_peer(&b, &[v]), &opts).await;
    assert_eq!(b.household(hh2).unwrap().members.len(), 1);
    let seen = b.household(hh).unwrap();
    assert_eq!(seen.members.len(), 2);
    assert!(
        !seen.members.iter().any(|m| m.aadhaar_sealed),
        "the ciphertext never travels by sync"
    );
    // Concurrent edits of different fields of one member, and one field edited on both.
    let m = seen
        .members
        .iter()
        .find(|m| m.given_name.as_deref() == Some("Rani"))
        .unwrap()
        .id;
    let today = today();
    let pa = MemberPatch {
        mobile: Some("9419000001".into()),
        family_name: Some("Bhat".into()),
        ..Default::default()
    };
    let pb = MemberPatch {
        middle_name: Some("Kumari".into()),
        family_name: Some("Mir".into()),
        ..Default::default()
    };
    a.update_member(m, pa.check(today).unwrap()).unwrap();
    // Last writer wins by hybrid logical time: make b's write clearly later.
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.update_member(m, pb.check(today).unwrap()).unwrap();
    for d in [&a, &b, &a] {
        run(d, &hub, device_peer(d, &[v]), &opts).await;
    }
    let (ma, mb, mh) = (
        a.member(m).unwrap(),
        b.member(m).unwrap(),
        hub.member(m).unwrap(),
    );
    assert_eq!(ma, mb);
    assert_eq!(ma, mh);
    assert_eq!(ma.mobile.as_deref(), Some("9419000001"));
    assert_eq!(ma.middle_name.as_deref(), Some("Kumari"));
    assert_eq!(ma.family_name.as_deref(), Some("Mir"), "b wrote last");
    // A tablet of another village sees nothing of this one.
    run(&c, &hub, device_peer(&c, &[w]), &opts).await;
    assert!(c.household(hh).is_err());
    assert!(c.member(m).is_err());
    // Assigning the village later resends its history.
    run(&c, &hub, device_peer(&c, &[v, w]), &opts).await;
    assert_eq!(c.member(m).unwrap(), ma);
    // Syncing again changes nothing and sends almost nothing.
    let again = run(&a, &hub, device_peer(&a, &[v]), &opts).await;
    assert_eq!((again.pushed_ops, again.pulled_ops), (0, 0));
}

#[tokio::test]
async fn test_hub_refuses_ops_not_authored_by_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path().join("hub.db"), &StoreKey::random()).unwrap();
    let a = Store::open(dir.path().join("a.db"), &StoreKey::random()).unwrap();
    let v = village(&a);
    household(&a, v, vec![member("Sita", "head", None)]);
    // The hub believes this device owns some other replica id.
    let peer = Peer {
        kind: PeerKind::Device,
        replicas: [abha_core::ids::ReplicaId::random()].into_iter().collect(),
        scope: Scope::All,
    };
    let t = LocalTransport { hub: &hub, peer };
    let err = sync(
        &a,
        "hub",
        &t,
        &SyncOptions::default(),
        &|_: &SyncProgress| {},
        &CancelToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "auth.forbidden");
    assert_eq!(hub.list_households(None, 10, 0).unwrap().len(), 0);
    assert_eq!(a.pending().unwrap().changes, 2, "nothing acknowledged");
}

/// A partial change set (some ops withheld, as a hub shows it to a tablet of another village)
/// exists only in pull replies: a push must carry the whole set, and the hub stores nothing of
/// a batch that holds a partial one.
#[test]
fn test_hub_refuses_a_pushed_partial_set() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path().join("hub.db"), &StoreKey::random()).unwrap();
    let a = Store::open(dir.path().join("a.db"), &StoreKey::random()).unwrap();
    let v = village(&a);
    household(
        &a,
        v,
        vec![
            member("Sita", "head", None),
            member("Gita", "daughter", None),
        ],
    );
    let (wire, _) = a.own_sets_after(0, 10_000, 1 << 20).unwrap();
    let sets: Vec<_> = wire.iter().map(|w| w.decode().unwrap()).collect();
    let last = sets.last().unwrap();
    let mut first = true;
    let part = last
        .withhold(|_| std::mem::replace(&mut first, false))
        .unwrap();
    assert!(part.is_partial());
    assert_eq!(part.verify(), Ok(()), "a partial set still verifies");
    let mut batch = sets.clone();
    *batch.last_mut().unwrap() = part;
    let me = a.replica_id();
    let err = hub.apply_pushed(&batch, |o| o == me).unwrap_err();
    assert!(
        matches!(err, abha_core::store::StoreError::BadChangeSet),
        "{err:?}"
    );
    assert_eq!(
        hub.coverage().unwrap().get(me),
        0,
        "nothing of the batch stored"
    );
    let (stats, _) = hub.apply_pushed(&sets, |o| o == me).unwrap();
    assert_eq!(stats.applied as usize, sets.len());
    assert_eq!(hub.list_households(None, 10, 0).unwrap().len(), 1);

    // A replica that pulled the partial copy is filled in by the whole set when it is pushed.
    let camp = Store::open(dir.path().join("camp.db"), &StoreKey::random()).unwrap();
    let vouched = [(me, batch.last().unwrap().last_seq())]
        .into_iter()
        .collect();
    camp.apply_pulled(&batch, &vouched, false, &[0; 16])
        .unwrap();
    let members = |s: &Store| {
        s.list_households(None, 10, 0)
            .unwrap()
            .iter()
            .map(|h| s.household(h.id).unwrap().members.len())
            .sum::<usize>()
    };
    let before = members(&camp);
    let (stats, _) = camp.apply_pushed(&sets, |o| o == me).unwrap();
    assert_eq!(stats.applied, 0, "held already");
    assert!(stats.ops > 0, "the withheld ops were merged");
    assert_eq!(members(&camp), members(&hub));
    assert!(before < members(&hub), "the partial copy lacked members");
    let id = hub.list_households(None, 1, 0).unwrap()[0].id;
    assert_eq!(
        format!("{:?}", camp.household(id).unwrap().household),
        format!("{:?}", hub.household(id).unwrap().household)
    );
}

#[tokio::test]
async fn test_sealed_numbers_the_hub_refuses_do_not_hold_back_later_ones() {
    use abha_core::ids::{EnrollmentId, MemberId};
    use abha_core::model::{NewEnrollment, Route};
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path().join("hub.db"), &StoreKey::random()).unwrap();
    hub.set_sealing_key_id(sealer().key().id()).unwrap();
    let tablet = Store::open(dir.path().join("t.db"), &StoreKey::random()).unwrap();
    let mine = village(&tablet);
    let theirs = other_village(&tablet);
    let request = |h| -> MemberId {
        let m = tablet.household(h).unwrap().members[0].id;
        let e = NewEnrollment {
            id: EnrollmentId::new(),
            member_id: m,
            route: Route::DemoAuth,
            consent_id: consent(&tablet, m),
            attempt_of: None,
        };
        tablet.request_enrollment(&e, None).unwrap();
        m
    };
    // A full batch of numbers the hub will refuse (outside this device's villages) comes first.
    for i in 0..abha_core::sync::protocol::MAX_SEALED_ITEMS {
        let n = aadhaar(&format!("{:011}", 23_000_000_000u64 + i as u64));
        request(household(
            &tablet,
            theirs,
            vec![member("Zoya", "head", Some(&n))],
        ));
    }
    let n = aadhaar("98765432101");
    let last = request(household(
        &tablet,
        mine,
        vec![member("Asha", "head", Some(&n))],
    ));
    run(
        &tablet,
        &hub,
        device_peer(&tablet, &[mine]),
        &SyncOptions::default(),
    )
    .await;
    assert!(
        hub.sealed_aadhaar(last).unwrap().is_some(),
        "handed despite the refused batch"
    );
    let (left, _) = tablet.sealed_to_hand(0, 1000).unwrap();
    assert_eq!(
        left.len(),
        abha_core::sync::protocol::MAX_SEALED_ITEMS,
        "refused ones stay"
    );
}
