//! Property-based convergence of sync sessions between real store files (`abha_core::sync`).
//!
//! What this proves: 2-6 tablets and 1-2 hubs (a state hub and a camp hub relaying to it), each
//! with its own encrypted store, make random changes (households of 1-3 members, edits of one
//! field of one member on several tablets at once, moves, deletes, moving a member back to a
//! household it left, new members in existing households) and meet in random partial sessions
//! in random order (a tablet with its own hub or with the other one, the camp hub with the state
//! hub), through the real wire encoding, with small batches and injected faults: requests lost
//! before the hub, replies lost after the hub stored the batch (lost acks), 503s, requests
//! delivered twice, old pushes delivered again late, sessions cancelled midway. Sessions may fail;
//! what they stored stays stored. Then fault-free rounds of sessions run until nothing moves, and:
//!
//! 1. every replica's readable state is identical: villages, the household list, every
//!    household with its members, every member row ever created (live or deleted);
//! 2. no acknowledged op is missing: at every moment a tablet's acknowledged prefix is held by a
//!    hub; at the end every outbox is empty, every replica holds every change set (same digests)
//!    and has the same coverage;
//! 3. nothing is duplicated or lost: the live households and members are exactly those created
//!    and not deleted, each live member sits in one household it was created in or moved to and
//!    appears in that household's member list only, and every edited field holds a value some
//!    tablet wrote.
//!
//! Three properties run: tablets whose scope is `All`; every tablet scoped to both villages (so
//! every pull goes through the hub's village filter and all replicas must still end identical);
//! and tablet 0 seeing village 1 only, which must end with exactly the hub's village-1
//! households, no more and no less (change sets spanning villages reach it with the other
//! village's ops withheld). The `test_regression_*` tests are the minimal cases of bugs these
//! properties found, kept as named regressions. A scripted scenario (3 tablets, 2 hubs, scripted
//! faults) checks properties 1-3 in a readable form. `SYNC_PROP_VERBOSE=1` prints per-case
//! statistics; `SYNC_PROP_SHRINK=0` reports a failure at once instead of shrinking it.
//!
//! Layout: this file holds the model of replicas and what the test knows they did, the steps and
//! the properties; `sync_props/faults.rs` the faulty transport and one session over it,
//! `sync_props/checks.rs` properties 1-3 as checks, `sync_props/scripted.rs` the scripted
//! scenario and the regressions.
//!
//! Case count: 24 by default, overridden by the `SYNC_PROP_CASES` env variable (read here, since an
//! explicit `with_cases` would ignore `PROPTEST_CASES`). Ids are random, so a failing case's
//! replay is the same script with other ids; the failure message lists every session.
#![allow(clippy::unwrap_used)]

#[path = "sync_props/checks.rs"]
mod checks;
mod common;
#[path = "sync_props/faults.rs"]
mod faults;
#[path = "sync_props/scripted.rs"]
mod scripted;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use abha_core::ids::{HouseholdId, MemberId, ReplicaId, VillageId};
use abha_core::model::{
    Household, LgdCodes, Member, MemberPatch, NewMember, Village, VillageDraft,
};
use abha_core::store::{HouseholdSummary, Store, StoreError, StoreKey};
use abha_core::sync::local::LocalTransport;
use abha_core::sync::protocol::{Hello, HelloReply, Pull, PullReply, Push, PushReply};
use abha_core::sync::session::Exchange;
use abha_core::sync::{
    CancelToken, Peer, PeerKind, Scope, SyncError, SyncOptions, SyncProgress, SyncReport,
    Transport, TransportError, sync,
};
use abha_core::validate::Issues;
use common::*;
use faults::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};
use tokio::runtime::Runtime;

/// Enough for every change set / op of a case.
const ALL: u32 = 1_000_000;

fn config(default_cases: u32) -> ProptestConfig {
    let env = std::env::var("SYNC_PROP_CASES").ok();
    ProptestConfig {
        cases: env.and_then(|v| v.parse().ok()).unwrap_or(default_cases),
        // A failure prints its minimal script; no regression file is written next to this one.
        failure_persistence: None,
        max_shrink_iters: std::env::var("SYNC_PROP_SHRINK")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        max_shrink_time: 180_000,
        ..ProptestConfig::default()
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The replicas and what the test knows they did.

/// LGD codes of the two villages: `common::village` and [`second_village`].
const V1: u32 = 3456;
const V2: u32 = 7777;

/// Scope of both villages (everything the tablets capture), of one, and everything.
fn both() -> Scope {
    Scope::Villages([V1, V2].map(VillageId::from_lgd).into())
}
fn only_v1() -> Scope {
    Scope::Villages([VillageId::from_lgd(V1)].into())
}

fn second_village(store: &Store) -> VillageId {
    let v = VillageDraft {
        lgd: LgdCodes {
            state: 1,
            district: 2,
            subdistrict: 12,
            village: V2,
        },
        name: "Other".into(),
    }
    .validate()
    .unwrap();
    store.put_village(&v).unwrap()
}

const NAMES: [&str; 8] = [
    "Sita", "Gita", "Rani", "Zoya", "Asha", "Meena", "Lata", "Uma",
];
const RELATIONS: [&str; 3] = ["son", "daughter", "spouse"];

/// Editable member fields and valid values for each ("" clears an optional field).
const FIELDS: [(&str, &[&str]); 6] = [
    ("given_name", &["Sita", "Gita", "सीता", "Ram Kumar"]),
    ("family_name", &["Bhat", "Mir", "Dar", ""]),
    ("mobile", &["9419000001", "9419000002", ""]),
    ("birth_date", &["1990", "1985-06-01", "2001-12-31"]),
    ("relation", &["son", "daughter", "spouse"]),
    // An identity field: concurrent writes become an explicit conflict, the latest is shown.
    ("abha_number", &["91-1234-5678-9012", "91-2222-3333-4444"]),
];

fn patch(field: &str, value: &str) -> MemberPatch {
    let v = Some(value.to_owned());
    let mut p = MemberPatch::default();
    match field {
        "given_name" => p.given_name = v,
        "family_name" => p.family_name = v,
        "mobile" => p.mobile = v,
        "birth_date" => p.birth_date = v,
        "relation" => p.relation = v,
        "abha_number" => p.abha_number = v,
        other => panic!("no such field {other}"),
    }
    p
}

fn field_of(m: &Member, field: &str) -> Option<String> {
    match field {
        "given_name" => m.given_name.clone(),
        "family_name" => m.family_name.clone(),
        "mobile" => m.mobile.clone(),
        "birth_date" => m.birth_date.clone(),
        "relation" => m.relation.clone(),
        "abha_number" => m.abha_number.clone(),
        other => panic!("no such field {other}"),
    }
}

fn new_member(name: &str, relation: &str) -> NewMember {
    member(name, relation, None)
        .check(&mut Issues::new(), "", today())
        .unwrap()
        .seal(None)
        .unwrap()
}

/// A member row with every column visible in its `Debug` output (the model's `Debug` hides
/// personal data; these are test names).
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemberRow {
    id: MemberId,
    household_id: Option<HouseholdId>,
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
    name_latin: Option<String>,
    gender: Option<String>,
    birth_date: Option<String>,
    mobile: Option<String>,
    relation: Option<String>,
    aadhaar_masked: Option<String>,
    aadhaar_sealed: bool,
    abha_number: Option<String>,
    abha_address: Option<String>,
    created_at: Option<i64>,
}

impl From<&Member> for MemberRow {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id,
            household_id: m.household_id,
            given_name: m.given_name.clone(),
            middle_name: m.middle_name.clone(),
            family_name: m.family_name.clone(),
            name_latin: m.name_latin.clone(),
            gender: m.gender.clone(),
            birth_date: m.birth_date.clone(),
            mobile: m.mobile.clone(),
            relation: m.relation.clone(),
            aadhaar_masked: m.aadhaar_masked.clone(),
            aadhaar_sealed: m.aadhaar_sealed,
            abha_number: m.abha_number.clone(),
            abha_address: m.abha_address.clone(),
            created_at: m.created_at,
        }
    }
}

/// Everything a replica shows its users, for the ids the test knows.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    villages: Vec<Village>,
    summaries: Vec<HouseholdSummary>,
    households: BTreeMap<HouseholdId, (Household, Vec<MemberRow>)>,
    /// Every member ever created: `None` if deleted or unknown here.
    members: BTreeMap<MemberId, Option<MemberRow>>,
}

fn snapshot(store: &Store, oracle: &Oracle) -> Snapshot {
    let summaries = store.list_households(None, ALL, 0).unwrap();
    let mut households = BTreeMap::new();
    for s in &summaries {
        let d = store.household(s.id).unwrap();
        let members = d.members.iter().map(MemberRow::from).collect();
        households.insert(s.id, (d.household, members));
    }
    for h in &oracle.households {
        assert_eq!(
            store.household(*h).is_ok(),
            households.contains_key(h),
            "household() and list_households() disagree about {h}"
        );
    }
    let members = oracle
        .members
        .iter()
        .map(|m| (*m, store.member(*m).ok().as_ref().map(MemberRow::from)))
        .collect();
    Snapshot {
        villages: store.villages().unwrap(),
        summaries,
        households,
        members,
    }
}

/// What the tablets did, as far as their own stores accepted it.
#[derive(Debug, Default)]
struct Oracle {
    households: BTreeSet<HouseholdId>,
    deleted_households: BTreeSet<HouseholdId>,
    members: BTreeSet<MemberId>,
    deleted_members: BTreeSet<MemberId>,
    /// Households each member was created in or moved to.
    homes: BTreeMap<MemberId, BTreeSet<HouseholdId>>,
    /// Values each (member, field) was given, the initial one included.
    written: BTreeMap<(MemberId, &'static str), BTreeSet<Option<String>>>,
}

impl Oracle {
    fn record_member(&mut self, m: &Member, home: HouseholdId) {
        self.members.insert(m.id);
        self.homes.entry(m.id).or_default().insert(home);
        for (f, _) in FIELDS {
            self.written
                .entry((m.id, f))
                .or_default()
                .insert(field_of(m, f));
        }
    }
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    /// A tablet captures a household of 1-3 members in one of the two villages.
    Create {
        dev: u8,
        village: u8,
        members: u8,
    },
    /// A tablet edits one field of a member it sees.
    Edit {
        dev: u8,
        pick: u16,
        field: u8,
        value: u8,
    },
    /// Two tablets edit the same field of the same member without having synced in between.
    EditBoth {
        a: u8,
        b: u8,
        pick: u16,
        field: u8,
        value: u8,
    },
    /// A tablet moves a member to another household it sees.
    Move {
        dev: u8,
        pick: u16,
        to: u16,
    },
    /// A tablet moves a member back to a household it was in before.
    MoveBack {
        dev: u8,
        pick: u16,
    },
    /// A tablet adds a new member to a household it sees.
    AddMember {
        dev: u8,
        pick: u16,
    },
    DeleteMember {
        dev: u8,
        pick: u16,
    },
    DeleteHousehold {
        dev: u8,
        pick: u16,
    },
    /// A tablet syncs with its own hub, or (`roam`, with two hubs) with the other one.
    Sync {
        dev: u8,
        roam: bool,
        conn: Conn,
    },
    /// The camp hub relays to the state hub and pulls from it (two hubs only).
    HubSync {
        conn: Conn,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Device(usize),
    Camp,
}

/// Fault and session counts, to show the faults were real.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    sessions: u32,
    failed: u32,
    faults: u32,
}

struct World {
    _dir: tempfile::TempDir,
    /// `hubs[0]` is the state hub; `hubs[1]`, if any, a camp hub relaying to it.
    hubs: Vec<Store>,
    devices: Vec<Store>,
    /// Each tablet's own hub.
    home: Vec<usize>,
    scopes: Vec<Scope>,
    villages: [VillageId; 2],
    /// Pushes sent per link: `dev * 2 + hub` for tablets, the last one for the camp hub.
    links: Vec<Mutex<Vec<Push>>>,
    oracle: Oracle,
    stats: Stats,
    log: Vec<String>,
}

type Fail = Result<(), String>;

fn check(ok: bool, msg: impl FnOnce() -> String) -> Fail {
    if ok { Ok(()) } else { Err(msg()) }
}

impl World {
    /// `scopes[i]` is tablet `i`'s scope at every hub.
    fn new(n_hubs: usize, homes: &[usize], scopes: &[Scope]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let open = |n: &str| Store::open(dir.path().join(n), &StoreKey::random()).unwrap();
        let hubs: Vec<Store> = (0..n_hubs).map(|i| open(&format!("hub{i}.db"))).collect();
        let devices: Vec<Store> = (0..homes.len())
            .map(|i| open(&format!("dev{i}.db")))
            .collect();
        // Every replica knows both villages (master data, same LGD codes, so the same ids).
        let villages = [V1, V2].map(VillageId::from_lgd);
        for s in hubs.iter().chain(&devices) {
            assert_eq!([village(s), second_village(s)], villages);
        }
        let links = (0..homes.len() * 2 + 1)
            .map(|_| Mutex::new(Vec::new()))
            .collect();
        Self {
            _dir: dir,
            hubs,
            devices,
            home: homes.to_vec(),
            scopes: scopes.to_vec(),
            villages,
            links,
            oracle: Oracle::default(),
            stats: Stats::default(),
            log: Vec::new(),
        }
    }

    fn dev(&self, d: u8) -> usize {
        d as usize % self.devices.len()
    }

    fn name(&self, c: Client) -> String {
        match c {
            Client::Device(i) => format!("dev{i}"),
            Client::Camp => "camp".into(),
        }
    }

    fn device_peer(&self, d: usize) -> Peer {
        Peer {
            kind: PeerKind::Device,
            replicas: [self.devices[d].replica_id()].into(),
            scope: self.scopes[d].clone(),
        }
    }

    /// Households and (member, household) pairs a tablet sees, by id.
    fn view(&self, d: usize) -> (Vec<HouseholdId>, Vec<(MemberId, HouseholdId)>) {
        let s = &self.devices[d];
        let mut hs: Vec<HouseholdId> = s
            .list_households(None, ALL, 0)
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        hs.sort();
        let mut ms = Vec::new();
        for h in &hs {
            ms.extend(s.household(*h).unwrap().members.iter().map(|m| (m.id, *h)));
        }
        ms.sort();
        (hs, ms)
    }

    /// Runs one session and checks, after every request and at the end, that nothing
    /// acknowledged went missing. Returns whether it moved any change set.
    fn session(&mut self, rt: &Runtime, c: Client, hub: usize, conn: &Conn, plan: Plan) -> bool {
        let (client, peer, relay, link, peer_name) = match c {
            Client::Device(d) => (
                &self.devices[d],
                self.device_peer(d),
                false,
                d * 2 + hub,
                format!("hub{hub}"),
            ),
            Client::Camp => (
                &self.hubs[1],
                Peer {
                    kind: PeerKind::Hub,
                    replicas: BTreeSet::new(),
                    scope: Scope::All,
                },
                true,
                self.links.len() - 1,
                "upstream".to_owned(),
            ),
        };
        let (r, faults, broken) = run_session(
            rt,
            client,
            &peer_name,
            &self.hubs[hub],
            peer,
            relay,
            conn,
            plan,
            &self.links[link],
            &|| self.acked_are_held(),
        );
        self.stats.sessions += 1;
        self.stats.faults += faults;
        let outcome = match &r {
            Ok(rep) => format!(
                "ok: pushed {} sets, pulled {} sets, {} requests",
                rep.pushed_sets, rep.pulled_sets, rep.requests
            ),
            Err(e) => {
                self.stats.failed += 1;
                format!("failed: {}", e.code())
            }
        };
        self.log.push(format!(
            "{} <-> hub{hub} (max_ops {}, {faults} faults): {outcome}",
            self.name(c),
            conn.max_ops
        ));
        if let Some(e) = broken.or_else(|| self.acked_are_held().err()) {
            self.fail(&format!("during or after the last session: {e}"));
        }
        r.as_ref()
            .is_ok_and(|rep| rep.pushed_sets + rep.pulled_sets > 0)
    }

    /// How far a replica's own change sets are acknowledged (its outbox is a suffix of them).
    fn acked(store: &Store) -> u64 {
        match store.outbox(1).unwrap().first() {
            Some(e) => e.first_seq - 1,
            None => store.coverage().unwrap().get(store.replica_id()),
        }
    }

    /// Property 2 at every moment: what a replica dropped from its outbox, some hub holds.
    fn acked_are_held(&self) -> Fail {
        for (i, d) in self.devices.iter().enumerate() {
            let acked = Self::acked(d);
            let held = self
                .hubs
                .iter()
                .map(|h| h.coverage().unwrap().get(d.replica_id()))
                .max()
                .unwrap();
            check(acked <= held, || {
                format!("dev{i}: ops up to {acked} acknowledged, but hubs hold only up to {held}")
            })?;
        }
        if let [up, camp] = &self.hubs[..] {
            let acked = Self::acked(camp);
            let held = up.coverage().unwrap().get(camp.replica_id());
            check(acked <= held, || {
                format!("camp hub: ops up to {acked} acknowledged, upstream holds {held}")
            })?;
        }
        Ok(())
    }

    fn step(&mut self, rt: &Runtime, step: &Step) {
        let tolerate = |r: Result<(), StoreError>| match r {
            Ok(()) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => panic!("{step:?}: {e}"),
        };
        match step {
            Step::Create {
                dev,
                village,
                members,
            } => {
                let d = self.dev(*dev);
                let v = match &self.scopes[d] {
                    Scope::Villages(vs) if vs.len() == 1 => *vs.first().unwrap(),
                    _ => self.villages[*village as usize % 2],
                };
                let n = (*members as usize).clamp(1, 3);
                let drafts = (0..n)
                    .map(|i| {
                        let name = NAMES[(self.oracle.members.len() + i) % NAMES.len()];
                        let rel = if i == 0 { "head" } else { RELATIONS[i % 3] };
                        member(name, rel, None)
                    })
                    .collect();
                let store = &self.devices[d];
                let h = household(store, v, drafts);
                let detail = store.household(h).unwrap();
                assert_eq!(detail.members.len(), n);
                self.oracle.households.insert(h);
                for m in &detail.members {
                    self.oracle.record_member(m, h);
                }
                self.log.push(format!("dev{d}: created {h} with {n}"));
            }
            Step::Edit {
                dev,
                pick,
                field,
                value,
            } => {
                let d = self.dev(*dev);
                let (_, ms) = self.view(d);
                if let Some((m, _)) = pick_from(&ms, *pick) {
                    self.edit(d, m, *field, *value);
                }
            }
            Step::EditBoth {
                a,
                b,
                pick,
                field,
                value,
            } => {
                let da = self.dev(*a);
                let mut db = self.dev(*b);
                if db == da {
                    db = (da + 1) % self.devices.len();
                }
                let (_, ma) = self.view(da);
                let (_, mb) = self.view(db);
                let seen_b: BTreeSet<MemberId> = mb.iter().map(|(m, _)| *m).collect();
                let both: Vec<(MemberId, HouseholdId)> =
                    ma.into_iter().filter(|(m, _)| seen_b.contains(m)).collect();
                if let Some((m, _)) = pick_from(&both, *pick) {
                    self.edit(da, m, *field, *value);
                    self.edit(db, m, *field, value.wrapping_add(1));
                }
            }
            Step::Move { dev, pick, to } => {
                let d = self.dev(*dev);
                let (hs, ms) = self.view(d);
                let Some((m, from)) = pick_from(&ms, *pick) else {
                    return;
                };
                let targets: Vec<HouseholdId> = hs.into_iter().filter(|h| *h != from).collect();
                if let Some(to) = pick_from(&targets, *to) {
                    if tolerate(self.devices[d].move_member(m, to)) {
                        self.oracle.homes.entry(m).or_default().insert(to);
                        self.log.push(format!("dev{d}: moved {m} {from} -> {to}"));
                    }
                }
            }
            Step::MoveBack { dev, pick } => {
                let d = self.dev(*dev);
                let (hs, ms) = self.view(d);
                let live: BTreeSet<HouseholdId> = hs.into_iter().collect();
                let live = &live;
                let back: Vec<(MemberId, HouseholdId)> = ms
                    .iter()
                    .flat_map(|(m, cur)| {
                        self.oracle.homes[m]
                            .iter()
                            .filter(move |h| *h != cur && live.contains(h))
                            .map(|h| (*m, *h))
                    })
                    .collect();
                if let Some((m, to)) = pick_from(&back, *pick) {
                    if tolerate(self.devices[d].move_member(m, to)) {
                        self.log.push(format!("dev{d}: moved {m} back to {to}"));
                    }
                }
            }
            Step::AddMember { dev, pick } => {
                let d = self.dev(*dev);
                let (hs, _) = self.view(d);
                if let Some(h) = pick_from(&hs, *pick) {
                    let name = NAMES[self.oracle.members.len() % NAMES.len()];
                    let nm = new_member(name, "other_relative");
                    let store = &self.devices[d];
                    let r = store.add_member(h, &nm, None).map(|_| ());
                    if tolerate(r) {
                        let m = store.member(nm.id).unwrap();
                        self.oracle.record_member(&m, h);
                        self.log.push(format!("dev{d}: added {} to {h}", nm.id));
                    }
                }
            }
            Step::DeleteMember { dev, pick } => {
                let d = self.dev(*dev);
                let (_, ms) = self.view(d);
                if let Some((m, _)) = pick_from(&ms, *pick) {
                    if tolerate(self.devices[d].delete_member(m)) {
                        self.oracle.deleted_members.insert(m);
                        self.log.push(format!("dev{d}: deleted member {m}"));
                    }
                }
            }
            Step::DeleteHousehold { dev, pick } => {
                let d = self.dev(*dev);
                let (hs, _) = self.view(d);
                if let Some(h) = pick_from(&hs, *pick) {
                    if tolerate(self.devices[d].delete_household(h)) {
                        self.oracle.deleted_households.insert(h);
                        self.log.push(format!("dev{d}: deleted household {h}"));
                    }
                }
            }
            Step::Sync { dev, roam, conn } => {
                let d = self.dev(*dev);
                let mut hub = self.home[d];
                if *roam && self.hubs.len() == 2 {
                    hub = 1 - hub;
                }
                self.session(rt, Client::Device(d), hub, conn, conn.plan());
            }
            Step::HubSync { conn } => {
                if self.hubs.len() == 2 {
                    self.session(rt, Client::Camp, 0, conn, conn.plan());
                }
            }
        }
    }

    /// Tablet `dev` captures a household of `members` in village `village` (0 or 1).
    fn create(&mut self, rt: &Runtime, dev: u8, village: u8, members: u8) -> HouseholdId {
        let before = self.oracle.households.clone();
        self.step(
            rt,
            &Step::Create {
                dev,
                village,
                members,
            },
        );
        *self.oracle.households.difference(&before).next().unwrap()
    }

    fn edit(&mut self, d: usize, m: MemberId, field: u8, value: u8) {
        let (f, values) = FIELDS[field as usize % FIELDS.len()];
        let v = values[value as usize % values.len()];
        let store = &self.devices[d];
        match store.update_member(m, patch(f, v).check(today()).unwrap()) {
            Ok(()) => {
                let now = field_of(&store.member(m).unwrap(), f);
                self.oracle.written.entry((m, f)).or_default().insert(now);
                self.log.push(format!("dev{d}: {m}.{f} = {v:?}"));
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => panic!("edit: {e}"),
        }
    }

    /// Fault-free rounds (camp hub with the state hub, every tablet with its own hub) until a
    /// round moves nothing. Returns the rounds run.
    fn settle(&mut self, rt: &Runtime, max_ops: u32) -> usize {
        for round in 1..=6 {
            let mut moved = false;
            let clean = Conn::clean(max_ops);
            if self.hubs.len() == 2 {
                moved |= self.settle_one(rt, Client::Camp, 0, &clean);
            }
            for d in 0..self.devices.len() {
                moved |= self.settle_one(rt, Client::Device(d), self.home[d], &clean);
            }
            if !moved {
                return round;
            }
        }
        panic!(
            "no quiescence after 6 fault-free rounds\n{}",
            self.log.join("\n")
        );
    }

    fn settle_one(&mut self, rt: &Runtime, c: Client, hub: usize, conn: &Conn) -> bool {
        let before = self.stats.failed;
        let moved = self.session(rt, c, hub, conn, Plan::Script(VecDeque::new()));
        assert_eq!(
            self.stats.failed,
            before,
            "a fault-free session failed\n{}",
            self.log.join("\n")
        );
        moved
    }
}

fn pick_from<T: Copy>(xs: &[T], pick: u16) -> Option<T> {
    (!xs.is_empty()).then(|| xs[pick as usize % xs.len()])
}

// ---------------------------------------------------------------------------------------------
// Strategies.

fn conn() -> impl Strategy<Value = Conn> {
    (
        any::<u64>(),
        prop_oneof![2 => Just(0u8), 2 => Just(15u8), 1 => Just(40u8)],
        5..=30u32,
        proptest::option::weighted(0.15, 1..8u8),
    )
        .prop_map(|(seed, fault_pct, max_ops, cancel_after)| Conn {
            seed,
            fault_pct,
            max_ops,
            cancel_after,
        })
}

fn step() -> impl Strategy<Value = Step> {
    let dev = any::<u8>();
    let pick = any::<u16>();
    prop_oneof![
        3 => (dev, 0..2u8, 1..=3u8)
            .prop_map(|(dev, village, members)| Step::Create { dev, village, members }),
        3 => (dev, pick, any::<u8>(), any::<u8>())
            .prop_map(|(dev, pick, field, value)| Step::Edit { dev, pick, field, value }),
        2 => (dev, any::<u8>(), pick, any::<u8>(), any::<u8>())
            .prop_map(|(a, b, pick, field, value)| Step::EditBoth { a, b, pick, field, value }),
        2 => (dev, pick, any::<u16>()).prop_map(|(dev, pick, to)| Step::Move { dev, pick, to }),
        1 => (dev, pick).prop_map(|(dev, pick)| Step::MoveBack { dev, pick }),
        1 => (dev, pick).prop_map(|(dev, pick)| Step::AddMember { dev, pick }),
        1 => (dev, pick).prop_map(|(dev, pick)| Step::DeleteMember { dev, pick }),
        1 => (dev, pick).prop_map(|(dev, pick)| Step::DeleteHousehold { dev, pick }),
        6 => (dev, proptest::bool::weighted(0.25), conn())
            .prop_map(|(dev, roam, conn)| Step::Sync { dev, roam, conn }),
        2 => conn().prop_map(|conn| Step::HubSync { conn }),
    ]
}

/// Hubs, each tablet's own hub, and the history.
fn scenario() -> impl Strategy<Value = (usize, Vec<usize>, Vec<Step>)> {
    (1..=2usize, 2..=6usize).prop_flat_map(|(hubs, devices)| {
        (
            Just(hubs),
            proptest::collection::vec(0..hubs, devices),
            proptest::collection::vec(step(), 10..60),
        )
    })
}

fn run_scenario(hubs: usize, homes: &[usize], steps: &[Step], scopes: &[Scope]) {
    let rt = runtime();
    let mut w = World::new(hubs, homes, scopes);
    for s in steps {
        w.step(&rt, s);
    }
    let rounds = w.settle(&rt, 9);
    if std::env::var_os("SYNC_PROP_VERBOSE").is_some() {
        let o = &w.oracle;
        eprintln!(
            "{hubs} hubs, {} tablets, {} steps: {:?}, {rounds} final rounds, households {}-{}, members {}-{}",
            homes.len(),
            steps.len(),
            w.stats,
            o.households.len(),
            o.deleted_households.len(),
            o.members.len(),
            o.deleted_members.len()
        );
    }
    let all = w.replicas();
    if let Err(e) = w.converged(&all) {
        w.fail(&e);
    }
}

/// A tablet limited to village 1 (tablet 0) among full tablets: after settling, the others and
/// the hubs converge, and tablet 0 holds exactly the state hub's village-1 households, each
/// with the same details and members.
fn run_subset_scenario(hubs: usize, homes: &[usize], steps: &[Step]) {
    let rt = runtime();
    let mut scopes = vec![both(); homes.len()];
    scopes[0] = only_v1();
    let mut w = World::new(hubs, homes, &scopes);
    for s in steps {
        w.step(&rt, s);
    }
    w.settle(&rt, 9);
    let others: Vec<(String, &Store)> = w
        .replicas()
        .into_iter()
        .filter(|(n, _)| n != "dev0")
        .collect();
    if let Err(e) = w.converged(&others).and_then(|()| w.subset_holds()) {
        w.fail(&e);
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Properties 1-3 with tablets whose scope is `All`: every session, fault and merge path
    /// except the hub's per-village filtering (see the next property).
    #[test]
    fn prop_replicas_converge_and_keep_every_acknowledged_op(
        (hubs, homes, steps) in scenario()
    ) {
        run_scenario(hubs, &homes, &steps, &vec![Scope::All; homes.len()]);
    }

    /// Properties 1-3 with every tablet's scope listing both villages (so every replica must
    /// still end identical), which sends every pull through the hub's village filter.
    #[test]
    fn prop_replicas_with_village_scopes_converge(
        (hubs, homes, steps) in scenario()
    ) {
        run_scenario(hubs, &homes, &steps, &vec![both(); homes.len()]);
    }

    /// Tablet 0 sees village 1 only and ends with exactly the hub's village-1 households.
    #[test]
    fn prop_tablet_with_one_village_holds_exactly_that_village(
        (hubs, homes, steps) in scenario()
    ) {
        run_subset_scenario(hubs, &homes, &steps);
    }
}
