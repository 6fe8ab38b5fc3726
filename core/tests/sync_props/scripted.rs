//! Scripted scenarios over the same harness as the properties (`super`): one readable
//! multi-hub scenario with scripted faults, and the minimal cases of bugs the properties found,
//! kept as named regressions.

use std::sync::atomic::AtomicBool;

use super::*;

// ---------------------------------------------------------------------------------------------
// A scripted scenario.

#[test]
fn test_three_tablets_two_hubs_scripted_faults_converge() {
    use Fault::{Before, Duplicate, LostReply, Stale, Unavailable};
    let rt = runtime();
    // Tablets 0 and 1 belong to the camp hub (hub1), tablet 2 to the state hub (hub0).
    let mut w = World::new(2, &[1, 1, 0], &[both(), both(), both()]);
    let script = |f: &[Fault]| Plan::Script(f.iter().copied().collect());
    let small = Conn::clean(5);
    let create = |dev, village, members| Step::Create {
        dev,
        village,
        members,
    };
    w.step(&rt, &create(0, 0, 3));
    w.step(&rt, &create(0, 1, 1));
    // Tablet 0 pushes in batches of 5 ops: the first ack is lost, a batch arrives twice.
    let ok = w.session(
        &rt,
        Client::Device(0),
        1,
        &small,
        script(&[Fault::None, LostReply, Fault::None, Duplicate, Stale]),
    );
    assert!(ok);
    assert_eq!(w.devices[0].pending().unwrap().changes, 0);
    // The camp hub cannot reach the state hub at all: the session fails, nothing is lost.
    let before = w.stats.failed;
    w.session(
        &rt,
        Client::Camp,
        0,
        &small,
        script(&[Before, Unavailable, Before]),
    );
    assert_eq!(w.stats.failed, before + 1);
    // Then it relays with lost replies, duplicates and a late old push.
    w.session(
        &rt,
        Client::Camp,
        0,
        &small,
        script(&[
            Fault::None,
            LostReply,
            Duplicate,
            Stale,
            LostReply,
            Fault::None,
            Duplicate,
        ]),
    );
    // Tablet 2 (state hub) and tablet 1 (camp hub) receive the households.
    for d in [2, 1] {
        let home = w.home[d];
        assert!(w.session(&rt, Client::Device(d), home, &small, script(&[])));
    }
    let (hs, ms) = w.view(0);
    assert_eq!((hs.len(), ms.len()), (2, 4));
    assert_eq!(w.view(1), (hs.clone(), ms.clone()));
    assert_eq!(w.view(2), (hs.clone(), ms.clone()));
    let big = ms
        .iter()
        .find(|(_, h)| ms.iter().filter(|x| x.1 == *h).count() == 3);
    let (m, h_big) = *big.unwrap();
    let h_small = *hs.iter().find(|h| **h != h_big).unwrap();
    let family = FIELDS
        .iter()
        .position(|(f, _)| *f == "family_name")
        .unwrap() as u8;
    // All three tablets correct the same field of the same member.
    for (d, v) in [(0, 0), (1, 1), (2, 2)] {
        w.edit(d, m, family, v);
    }
    // Tablet 2 moves the member to the small household, tablet 0 moves it to a new one;
    // tablet 1 deletes another member of the big household and adds a new one.
    w.devices[2].move_member(m, h_small).unwrap();
    w.oracle.homes.get_mut(&m).unwrap().insert(h_small);
    w.step(&rt, &create(0, 0, 1));
    let (hs0, _) = w.view(0);
    let h_new = *hs0.iter().find(|h| !hs.contains(h)).unwrap();
    w.devices[0].move_member(m, h_new).unwrap();
    w.oracle.homes.get_mut(&m).unwrap().insert(h_new);
    let other = ms.iter().find(|(x, h)| *h == h_big && *x != m).unwrap().0;
    w.devices[1].delete_member(other).unwrap();
    w.oracle.deleted_members.insert(other);
    let hs1 = w.view(1).0;
    let pick_h = hs1.iter().position(|h| *h == h_big).unwrap() as u16;
    w.step(
        &rt,
        &Step::AddMember {
            dev: 1,
            pick: pick_h,
        },
    );
    // Tablet 2 meets the camp hub instead of its own (roaming), cut short by a cancel.
    let cut = Conn {
        cancel_after: Some(2),
        ..Conn::clean(3)
    };
    w.session(&rt, Client::Device(2), 1, &cut, script(&[]));
    // Tablet 0's session dies after the hub stored its first batch (three lost replies).
    w.session(
        &rt,
        Client::Device(0),
        1,
        &small,
        script(&[Fault::None, LostReply, LostReply, LostReply]),
    );
    assert!(w.stats.faults >= 12, "{:?}", w.stats);
    assert_eq!(w.stats.failed, 3, "{:?}", w.stats);
    let rounds = w.settle(&rt, 4);
    assert!(rounds >= 2, "the history needed relaying: {rounds}");
    let all = w.replicas();
    if let Err(e) = w.converged(&all) {
        w.fail(&e);
    }
    // Readable outcomes: one family name won everywhere, the member sits in one household, the
    // deleted member is gone everywhere.
    let up = &w.hubs[0];
    let fam = up.member(m).unwrap().family_name;
    assert!(
        ["Bhat", "Mir", "Dar"].contains(&fam.as_deref().unwrap()),
        "{fam:?}"
    );
    let home = up.member(m).unwrap().household_id.unwrap();
    assert!([h_small, h_new].contains(&home));
    for (_, s) in &all {
        assert!(s.member(other).is_err());
        assert_eq!(
            s.household(home)
                .unwrap()
                .members
                .iter()
                .filter(|x| x.id == m)
                .count(),
            1
        );
        assert_eq!(
            s.household(h_big).unwrap().members.len(),
            2,
            "3 - moved - deleted + added"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Named regressions: the minimal cases of bugs the properties found.

fn clean_sync(dev: u8, roam: bool) -> Step {
    Step::Sync {
        dev,
        roam,
        conn: Conn::clean(50),
    }
}

fn family_field() -> u8 {
    FIELDS
        .iter()
        .position(|(f, _)| *f == "family_name")
        .unwrap() as u8
}

fn settle_and_check(w: &mut World, rt: &Runtime) {
    w.settle(rt, 50);
    let all = w.replicas();
    if let Err(e) = w.converged(&all) {
        w.fail(&e);
    }
}

/// Tablet 0 captures a member and syncs with the state hub; tablet 1 gets it there, corrects the
/// family name and then syncs with the camp hub (a tablet may meet either hub). The camp hub
/// stores the correction without the member. Tablet 2 syncs with the camp hub: the hub cannot
/// tell the correction's village (the member is unknown to it), so
/// `sets_for_peer`/`VillageResolver::villages` returns an empty village set, `Scope::admits`
/// refuses it, yet the reply's coverage vouches for it. Once the camp hub learns the member,
/// tablet 2 gets the member but never the correction: it keeps the old family name while every
/// other replica shows the new one. Any scope other than `All` is affected, also one listing
/// every village.
#[test]
fn test_regression_edit_reaching_a_hub_before_its_member_is_lost_for_tablets() {
    let rt = runtime();
    // Tablets 0 and 1 belong to the state hub (hub0), tablet 2 to the camp hub (hub1).
    let mut w = World::new(2, &[0, 0, 1], &[both(), both(), both()]);
    w.create(&rt, 0, 0, 1);
    w.step(&rt, &clean_sync(0, false));
    w.step(&rt, &clean_sync(1, false));
    let m = w.view(1).1[0].0;
    w.edit(1, m, family_field(), 0);
    w.step(&rt, &clean_sync(1, true));
    w.step(&rt, &clean_sync(2, false));
    settle_and_check(&mut w, &rt);
}

/// The same loss without roaming: tablets 0 and 1 belong to the camp hub, tablet 2 to the state
/// hub. Tablet 0 captures a household, tablet 1 (whose replica id sorts first, so the camp hub
/// relays its change sets first) deletes it. The camp hub's relay to the state hub drops after
/// tablet 1's change sets. Tablet 2 syncs with the state hub, which skips (and vouches for) the
/// delete of a household it does not know yet; the household then arrives and stays alive on
/// tablet 2 only.
#[test]
fn test_regression_delete_relayed_before_its_household_is_lost_for_tablets() {
    let rt = runtime();
    let mut w = World::new(2, &[1, 1, 0], &[both(), both(), both()]);
    // The creator is the tablet whose replica id sorts last.
    let (creator, deleter) = if w.devices[0].replica_id() > w.devices[1].replica_id() {
        (0u8, 1u8)
    } else {
        (1, 0)
    };
    w.create(&rt, creator, 0, 1);
    w.step(&rt, &clean_sync(creator, false));
    w.step(&rt, &clean_sync(deleter, false));
    w.step(
        &rt,
        &Step::DeleteHousehold {
            dev: deleter,
            pick: 0,
        },
    );
    w.step(&rt, &clean_sync(deleter, false));
    let creator_id = w.devices[creator as usize].replica_id();
    w.session(
        &rt,
        Client::Camp,
        0,
        &Conn::clean(50),
        Plan::DropOrigin(creator_id),
    );
    assert_eq!(w.stats.failed, 1, "the relay dropped: {:?}", w.log);
    w.step(&rt, &clean_sync(2, false));
    settle_and_check(&mut w, &rt);
}

/// Calls the state hub for the camp hub and, just before the camp hub's first pull, lets a
/// tablet sync with the camp hub: a hub serving tablets while it syncs upstream.
struct Interleaved<'a> {
    inner: LocalTransport<'a>,
    camp: &'a Store,
    tablet: &'a Store,
    tablet_peer: Peer,
    done: AtomicBool,
}

impl Transport for Interleaved<'_> {
    async fn hello(&self, h: &Hello) -> Result<Exchange<HelloReply>, TransportError> {
        self.inner.hello(h).await
    }
    async fn push(&self, p: &Push) -> Result<Exchange<PushReply>, TransportError> {
        self.inner.push(p).await
    }
    async fn pull(&self, p: &Pull) -> Result<Exchange<PullReply>, TransportError> {
        if !self.done.swap(true, Ordering::SeqCst) {
            let t = LocalTransport {
                hub: self.camp,
                peer: self.tablet_peer.clone(),
            };
            let quiet = |_: &SyncProgress| {};
            let opts = SyncOptions::default();
            let r = sync(self.tablet, "hub1", &t, &opts, &quiet, &CancelToken::new()).await;
            assert!(r.unwrap().pushed_sets > 0);
        }
        self.inner.pull(p).await
    }
}

/// A camp hub's first pull from the state hub carries `reset` (its coverage was never built
/// under the state hub's scope), and `apply_pulled` then deletes the camp hub's whole coverage
/// table and keeps only what the state hub vouches for. A tablet's change set that reached the
/// camp hub after the relay phase of that session (the hub serves tablets meanwhile) is still
/// stored and acknowledged, but the camp hub's coverage of that tablet falls back below it: the
/// camp hub never relays it (the state hub never gets an acknowledged op), and the tablet's next
/// session re-pushes it, which fails on the `changes_by_origin` unique index (a 500, retried
/// forever).
#[test]
fn test_regression_camp_hub_first_pull_forgets_acknowledged_tablet_sets() {
    let rt = runtime();
    let mut w = World::new(2, &[1], &[both()]);
    w.create(&rt, 0, 0, 1);
    w.step(&rt, &clean_sync(0, false));
    w.create(&rt, 0, 1, 1);
    let t = Interleaved {
        inner: LocalTransport {
            hub: &w.hubs[0],
            peer: Peer {
                kind: PeerKind::Hub,
                replicas: BTreeSet::new(),
                scope: Scope::All,
            },
        },
        camp: &w.hubs[1],
        tablet: &w.devices[0],
        tablet_peer: w.device_peer(0),
        done: AtomicBool::new(false),
    };
    let opts = SyncOptions {
        relay: true,
        ..SyncOptions::default()
    };
    let quiet = |_: &SyncProgress| {};
    let r = rt.block_on(sync(
        &w.hubs[1],
        "upstream",
        &t,
        &opts,
        &quiet,
        &CancelToken::new(),
    ));
    r.unwrap();
    if let Err(e) = w.acked_are_held() {
        w.fail(&e);
    }
    settle_and_check(&mut w, &rt);
}

/// Tablet 1 (both villages) captures household 1 in village 1 and household 2 in village 2 with
/// Gita; tablet 0 (village 1 only) syncs and rightly skips household 2. Tablet 1 then moves Gita
/// into household 1. The move reaches tablet 0, but Gita's creation was skipped and vouched for
/// earlier: tablet 0 lists household 1 with a member that has no name, gender or birth date.
#[test]
fn test_regression_member_moved_into_scope_arrives_with_its_history() {
    let rt = runtime();
    let mut w = World::new(1, &[0, 0], &[only_v1(), both()]);
    let h1 = w.create(&rt, 1, 0, 1);
    let h2 = w.create(&rt, 1, 1, 1);
    w.step(&rt, &clean_sync(1, false));
    w.step(&rt, &clean_sync(0, false));
    let gita = w.devices[1].household(h2).unwrap().members[0].id;
    w.devices[1].move_member(gita, h1).unwrap();
    w.oracle.homes.get_mut(&gita).unwrap().insert(h1);
    w.step(&rt, &clean_sync(1, false));
    w.step(&rt, &clean_sync(0, false));
    w.settle(&rt, 50);
    if let Err(e) = w.subset_holds() {
        w.fail(&e);
    }
}

/// Tablet 1 captures household 2 in village 2 with Gita, then moves Gita to household 1 in
/// village 1. Tablet 0 (village 1 only) syncs for the first time: the change set that created
/// household 2 also created Gita, who now lives in village 1, so `Scope::admits` lets the whole
/// set through and tablet 0 holds household 2 (address, GPS) of a village it is not assigned.
#[test]
fn test_regression_mixed_change_set_withholds_the_household_out_of_scope() {
    let rt = runtime();
    let mut w = World::new(1, &[0, 0], &[only_v1(), both()]);
    let h1 = w.create(&rt, 1, 0, 1);
    let h2 = w.create(&rt, 1, 1, 1);
    let gita = w.devices[1].household(h2).unwrap().members[0].id;
    w.devices[1].move_member(gita, h1).unwrap();
    w.step(&rt, &clean_sync(1, false));
    w.step(&rt, &clean_sync(0, false));
    assert!(
        w.devices[0].household(h2).is_err(),
        "household 2 (village 2) reached the village-1 tablet"
    );
}

/// Tablet 0 (village 1 only) holds the enrolment of household 2 (village 2) in part: Gita, who
/// moved to village 1, is shown, the rest of household 2 withheld. Village 2 is then assigned to
/// the tablet: its next pull resets, the hub resends the set whole, the tablet fills the partial
/// set in, and it ends identical to every other replica.
#[test]
fn test_partial_set_is_filled_when_the_scope_widens() {
    let rt = runtime();
    let mut w = World::new(1, &[0, 0], &[only_v1(), both()]);
    let h1 = w.create(&rt, 1, 0, 1);
    let h2 = w.create(&rt, 1, 1, 2);
    let gita = w.devices[1].household(h2).unwrap().members[0].id;
    w.devices[1].move_member(gita, h1).unwrap();
    w.oracle.homes.get_mut(&gita).unwrap().insert(h1);
    w.step(&rt, &clean_sync(1, false));
    w.step(&rt, &clean_sync(0, false));
    assert!(w.devices[0].household(h2).is_err(), "household 2 leaked");
    let on_dev0 = w.devices[0].household(h1).unwrap();
    assert_eq!(on_dev0.members.len(), 2);
    assert!(
        on_dev0
            .members
            .iter()
            .any(|m| m.id == gita && m.given_name.is_some())
    );
    w.scopes[0] = both();
    settle_and_check(&mut w, &rt);
    assert_eq!(w.devices[0].household(h2).unwrap().members.len(), 1);
}
