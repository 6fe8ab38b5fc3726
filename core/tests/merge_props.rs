//! Property tests for the op-log merge rules (`abha_core::oplog::merge`).
//!
//! What this proves: replicas that receive the same ops, in any order and any number of times,
//! end with the same `EntityState` and the same read-table row; each field follows its declared
//! rule (last writer wins by `OpStamp`, lattice join for enrolment state, identity register with
//! explicit conflicts, add-wins observed-remove set for household membership); a delete is final;
//! ops that break the schema are refused without touching the state; and the state and change-set
//! encodings round-trip and detect damage.
//!
//! How histories are made: 2-4 simulated replicas (tablets, hubs), each with its own view and
//! hybrid logical clock (some days behind), issue ops from what they have seen (identity writes
//! name the heads they saw, removes name the adds they saw) and exchange random subsets of their
//! logs. Every op is then replayed into fresh replicas in several random orders with duplicates.
//! Expected values are computed from the ops alone, never from merge.rs.
//!
//! Case count: 256 by default, overridden by the `PROPTEST_CASES` env variable (read here, since
//! an explicit `with_cases` would ignore it).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use abha_core::ids::ReplicaId;
use abha_core::model::EnrollmentState;
use abha_core::oplog::hlc::MAX_WALL_MS;
use abha_core::oplog::merge::{self, Effect, EntityState, FieldState, MergeError};
use abha_core::oplog::schema;
use abha_core::oplog::{Action, ChangeOp, ChangeSet, EntityKind, Hlc, HlcState, Op, OpId, Value};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng as _, SeedableRng};
use uuid::Uuid;

const MEMBER_ID: Uuid = Uuid::from_u128(0x0197_0000_0000_7000_8000_0000_0000_0001);
const ENROLLMENT_ID: Uuid = Uuid::from_u128(0x0197_0000_0000_7000_8000_0000_0000_0002);
const T0: u64 = 1_750_000_000_000;
const DAY: i64 = 86_400_000;
const LWW: [&str; 2] = ["given_name", "mobile"];
/// Values of the `LWW` fields: given names, mobiles.
const LWW_VALUES: [[&str; 4]; 2] = [
    ["Sita", "Gita", "सीता", "Ram Kumar"],
    ["9876543210", "9123456780", "8000000001", "7000000002"],
];
const IDENTITY: [&str; 2] = ["aadhaar_token", "abha_number"];
const ABHA: [&str; 3] = [
    "91-1234-5678-9012",
    "91-2222-3333-4444",
    "91-5555-6666-7777",
];
const HH: &str = "household";

fn config() -> ProptestConfig {
    let env = std::env::var("PROPTEST_CASES").ok();
    ProptestConfig {
        cases: env.and_then(|v| v.parse().ok()).unwrap_or(256),
        // A failure prints its minimal input; no regression file is written next to this one.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn household(i: u8) -> Vec<u8> {
    let base = 0x4848_0000_0000_4000_8000_0000_0000_0000_u128;
    Uuid::from_u128(base | u128::from(i)).as_bytes().to_vec()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// What a replica wants to change: kind, field, action, value, deps.
type Edit = (EntityKind, String, Action, Value, Vec<OpId>);

fn edit(kind: EntityKind, field: &str, action: Action, value: Value, deps: Vec<OpId>) -> Edit {
    (kind, field.to_owned(), action, value, deps)
}

fn set_text(kind: EntityKind, field: &str, value: &str, deps: Vec<OpId>) -> Edit {
    // Aadhaar tokens are bytes; every other field here holds text.
    let v = if field == "aadhaar_token" {
        Value::Bytes(value.as_bytes().to_vec())
    } else {
        text(value)
    };
    edit(kind, field, Action::Set, v, deps)
}

/// An edit of the member's household set.
fn hh(action: Action, h: u8, deps: Vec<OpId>) -> Edit {
    edit(
        EntityKind::Member,
        HH,
        action,
        Value::Bytes(household(h)),
        deps,
    )
}

fn make_op(origin: ReplicaId, seq: u64, hlc: Hlc, e: Edit) -> Op {
    let (kind, field, action, value, deps) = e;
    let entity = [MEMBER_ID, ENROLLMENT_ID][usize::from(kind == EntityKind::Enrollment)];
    Op::new(origin, seq, hlc, kind, entity, field, action, value, deps)
}

// ---------- simulated replicas ----------

#[derive(Clone, Debug)]
enum Cmd {
    /// Replica, field of `LWW`, value.
    Lww(usize, usize, usize),
    /// Replica, field of `IDENTITY`, value of `ABHA`.
    Ident(usize, usize, usize),
    /// Replica, household.
    Add(usize, u8),
    Remove(usize, u8),
    /// Replica, from household, to household (one change set).
    Move(usize, u8, u8),
    /// Replica, enrolment state (index into `EnrollmentState::ALL`, then padded codes).
    State(usize, usize),
    Delete(usize),
    /// From, to, which of the ops `to` lacks (bit i of the mask for the i-th).
    Deliver(usize, usize, u64),
    /// Milliseconds of global time.
    Wait(u32),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let r = 0usize..4;
    prop_oneof![
        3 => (r.clone(), 0..2usize, 0..4usize).prop_map(|(r, f, v)| Cmd::Lww(r, f, v)),
        3 => (r.clone(), 0..2usize, 0..3usize).prop_map(|(r, f, v)| Cmd::Ident(r, f, v)),
        2 => (r.clone(), 0u8..3).prop_map(|(r, h)| Cmd::Add(r, h)),
        2 => (r.clone(), 0u8..3).prop_map(|(r, h)| Cmd::Remove(r, h)),
        2 => (r.clone(), 0u8..3, 0u8..3).prop_map(|(r, a, b)| Cmd::Move(r, a, b)),
        2 => (r.clone(), 0..2 * EnrollmentState::ALL.len()).prop_map(|(r, s)| Cmd::State(r, s)),
        1 => r.clone().prop_map(Cmd::Delete),
        6 => (r.clone(), r, any::<u64>()).prop_map(|(a, b, pick)| Cmd::Deliver(a, b, pick)),
        2 => (0u32..100_000).prop_map(Cmd::Wait),
    ]
}

#[derive(Clone, Debug)]
struct Script {
    /// One wall-clock skew per replica (2-4 replicas).
    skews: Vec<i64>,
    cmds: Vec<Cmd>,
    /// Seeds of the replay orders.
    seeds: Vec<u64>,
}

fn script() -> impl Strategy<Value = Script> {
    let skews = prop::collection::vec(-3 * DAY..=DAY, 2..=4);
    let cmds = prop::collection::vec(cmd(), 1..48);
    let seeds = prop::collection::vec(any::<u64>(), 3);
    (skews, cmds, seeds).prop_map(|(skews, cmds, seeds)| Script { skews, cmds, seeds })
}

/// A script with a delete inserted somewhere.
fn script_with_delete() -> impl Strategy<Value = Script> {
    (script(), any::<prop::sample::Index>(), 0usize..4).prop_map(|(mut s, at, r)| {
        s.cmds.insert(at.index(s.cmds.len() + 1), Cmd::Delete(r));
        s
    })
}

#[derive(Debug, Default)]
struct Replica {
    id: i64,
    seq: u64,
    clock: HlcState,
    skew_ms: i64,
    member: EntityState,
    enrollment: EntityState,
    seen: HashSet<OpId>,
    log: Vec<Op>,
}

impl Replica {
    fn receive(&mut self, op: &Op) {
        if self.seen.insert(op.id) {
            let kind = op.kind;
            let view = if kind == EntityKind::Enrollment {
                &mut self.enrollment
            } else {
                &mut self.member
            };
            merge::apply(view, op).unwrap();
            self.clock.observe(op.hlc);
            self.log.push(op.clone());
        }
    }
}

#[derive(Debug)]
struct Sim {
    now: u64,
    replicas: Vec<Replica>,
    /// Every op issued, in issue order.
    ops: Vec<Op>,
}

impl Sim {
    fn run(s: &Script) -> Self {
        let mut replicas: Vec<Replica> = s.skews.iter().map(|_| Replica::default()).collect();
        for (i, rep) in replicas.iter_mut().enumerate() {
            (rep.id, rep.skew_ms) = (i as i64 + 1, s.skews[i]);
        }
        let (now, ops) = (T0, Vec::new());
        let mut sim = Self { now, replicas, ops };
        s.cmds.iter().for_each(|c| sim.step(c));
        sim
    }

    fn step(&mut self, cmd: &Cmd) {
        let n = self.replicas.len();
        let member = EntityKind::Member;
        self.now += 3;
        let (r, edits) = match *cmd {
            Cmd::Lww(r, f, v) => (r, vec![set_text(member, LWW[f], LWW_VALUES[f][v], vec![])]),
            Cmd::Ident(r, f, v) => {
                let deps = merge::identity_heads(&self.replicas[r % n].member, IDENTITY[f]);
                (r, vec![set_text(member, IDENTITY[f], ABHA[v], deps)])
            }
            Cmd::Add(r, h) => (r, vec![hh(Action::Add, h, vec![])]),
            // A remove names the adds of the element its replica sees; nothing seen, no remove.
            Cmd::Remove(r, h) | Cmd::Move(r, h, _) => {
                let deps = merge::set_tags(&self.replicas[r % n].member, HH, &household(h));
                let mut edits = Vec::new();
                if !deps.is_empty() {
                    edits.push(hh(Action::Remove, h, deps));
                }
                if let Cmd::Move(_, _, to) = *cmd {
                    edits.push(hh(Action::Add, to, vec![]));
                }
                (r, edits)
            }
            Cmd::State(r, s) => {
                // Past the known states: the same codes padded, as a sloppy peer may send them.
                let (all, enrollment) = (EnrollmentState::ALL, EntityKind::Enrollment);
                let code = all[s % all.len()].code();
                let code = if s < all.len() {
                    code.to_owned()
                } else {
                    format!(" {code}")
                };
                (r, vec![set_text(enrollment, "state", &code, vec![])])
            }
            Cmd::Delete(r) => (
                r,
                vec![edit(member, "", Action::Delete, Value::Null, vec![])],
            ),
            Cmd::Deliver(from, to, pick) if from % n != to % n => {
                let (from, to) = (from % n, to % n);
                let batch: Vec<Op> = (self.replicas[from].log.iter())
                    .filter(|op| !self.replicas[to].seen.contains(&op.id))
                    .enumerate()
                    .filter(|(i, _)| (pick >> (i % 64)) & 1 == 1)
                    .map(|(_, op)| op.clone())
                    .collect();
                batch.iter().for_each(|op| self.replicas[to].receive(op));
                return;
            }
            Cmd::Wait(ms) => return self.now += u64::from(ms),
            Cmd::Deliver(..) => return,
        };
        // One change set: one timestamp, consecutive seqs.
        let rep = &mut self.replicas[r % n];
        let hlc = rep.clock.tick(self.now.saturating_add_signed(rep.skew_ms));
        for e in edits {
            rep.seq += 1;
            let op = make_op(ReplicaId::from_i64(rep.id).unwrap(), rep.seq, hlc, e);
            rep.receive(&op);
            self.ops.push(op);
        }
    }
}

// ---------- replay orders ----------

/// Every op, about a third of them twice, in a random order.
fn shuffled(ops: &[Op], seed: u64) -> Vec<Op> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = ops.to_vec();
    out.extend(ops.iter().filter(|_| rng.gen_ratio(1, 3)).cloned());
    out.shuffle(&mut rng);
    out
}

/// A random order in which every op comes after the ops its `deps` name, with duplicates.
fn causal(ops: &[Op], seed: u64) -> Vec<Op> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pending: Vec<&Op> = ops.iter().collect();
    let (mut done, mut out) = (HashSet::new(), Vec::<Op>::new());
    while !pending.is_empty() {
        let ready: Vec<usize> = (0..pending.len())
            .filter(|&i| pending[i].deps.iter().all(|d| done.contains(d)))
            .collect();
        let op = pending.swap_remove(*ready.choose(&mut rng).unwrap());
        done.insert(op.id);
        out.push(op.clone());
        if rng.gen_ratio(1, 4) {
            out.push(out.choose(&mut rng).unwrap().clone());
        }
    }
    out
}

/// Issue order, its reverse, and per seed one random order and one causal order.
fn orders(ops: &[Op], seeds: &[u64]) -> Vec<Vec<Op>> {
    let mut orders = vec![ops.to_vec(), ops.iter().rev().cloned().collect()];
    orders.extend(seeds.iter().map(|&s| shuffled(ops, s)));
    orders.extend(seeds.iter().map(|&s| causal(ops, s)));
    orders
}

// ---------- fresh replicas and read rows ----------

/// The read-table row as built from effects. Every column starts NULL, so a NULL column is
/// simply absent; `conflicts` lists identity fields whose last effect reported a conflict.
#[derive(Clone, Debug, Default, PartialEq)]
struct Row {
    cols: BTreeMap<&'static str, Value>,
    conflicts: BTreeSet<&'static str>,
    deleted: bool,
}

impl Row {
    fn put(&mut self, col: &'static str, v: Value) {
        if v == Value::Null {
            self.cols.remove(col);
        } else {
            self.cols.insert(col, v);
        }
    }
    fn fold(&mut self, e: &Effect) {
        match e {
            Effect::None => {}
            Effect::Column(c, v) => self.put(c, v.clone()),
            Effect::Identity {
                field,
                value,
                conflict,
            } => {
                self.put(field, value.clone());
                if conflict.is_empty() {
                    self.conflicts.remove(field);
                } else {
                    self.conflicts.insert(field);
                }
            }
            Effect::Set { current, .. } => {
                self.put(
                    "household_id",
                    current.clone().map_or(Value::Null, Value::Bytes),
                );
            }
            Effect::Deleted => self.deleted = true,
        }
    }
}

/// A fresh replica: merge state and read row of the member and of the enrolment.
#[derive(Clone, Debug, Default, PartialEq)]
struct Node {
    member: EntityState,
    enrollment: EntityState,
    member_row: Row,
    enrollment_row: Row,
}

impl Node {
    fn apply(&mut self, op: &Op) -> Effect {
        let (state, row) = match op.kind {
            EntityKind::Enrollment => (&mut self.enrollment, &mut self.enrollment_row),
            _ => (&mut self.member, &mut self.member_row),
        };
        let e = merge::apply(state, op).unwrap();
        row.fold(&e);
        e
    }
}

fn replay(ops: &[Op]) -> Node {
    let mut node = Node::default();
    for op in ops {
        node.apply(op);
    }
    node
}

fn on_field<'a>(ops: &'a [Op], field: &'a str) -> impl Iterator<Item = &'a Op> + 'a {
    ops.iter()
        .filter(move |o| o.field == field && o.kind == EntityKind::Member)
}

// ---------- strategies for the schema and encoding properties ----------

/// A schema violation and the error it must raise.
fn bad_op() -> impl Strategy<Value = (Op, MergeError)> {
    use Action::{Add, Remove, Set};
    use MergeError::{WrongAction, WrongType};
    let (m, en) = (EntityKind::Member, EntityKind::Enrollment);
    let cases = vec![
        (m, HH, Add, text("hh"), WrongType),
        (m, HH, Add, Value::Null, WrongType),
        (m, HH, Remove, Value::Null, WrongType),
        (m, "given_name", Set, Value::Int(7), WrongType),
        (m, "abha_number", Set, Value::Bytes(vec![1; 16]), WrongType),
        (en, "member_id", Set, text("x"), WrongType),
        (m, "given_name", Add, text("Sita"), WrongAction),
        (m, "abha_number", Remove, text(ABHA[0]), WrongAction),
        (m, HH, Set, Value::Bytes(household(0)), WrongAction),
        (en, "state", Add, text("created"), WrongAction),
    ];
    let known =
        prop::sample::select(cases).prop_map(|(k, f, a, v, e)| (edit(k, f, a, v, vec![]), e));
    let unknown = "[a-z_]{0,12}"
        .prop_filter("a member field", move |f| schema::field(m, f).is_none())
        .prop_map(move |f| (set_text(m, &f, "x", vec![]), MergeError::UnknownField(m)));
    let stamp = (1i64..9, 1u64..99, 0u64..MAX_WALL_MS);
    (prop_oneof![known, unknown], stamp).prop_map(|((e, err), (r, seq, t))| {
        let origin = ReplicaId::from_i64(r).unwrap();
        (make_op(origin, seq, Hlc::new(t, 0), e), err)
    })
}

fn change_set() -> impl Strategy<Value = ChangeSet> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Int),
        ".{0,12}".prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
    ];
    let actions = [Action::Set, Action::Add, Action::Remove, Action::Delete];
    let deps = prop::collection::vec(any::<[u8; 16]>(), 0..3);
    let op = (
        0..EntityKind::ALL.len(),
        any::<u128>(),
        "[a-z_]{0,12}",
        0..4usize,
        value,
        deps,
    )
        .prop_map(move |(k, e, field, a, value, deps)| {
            let (kind, entity, action) = (EntityKind::ALL[k], Uuid::from_u128(e), actions[a]);
            let deps = deps.into_iter().map(OpId::from_bytes).collect();
            ChangeOp {
                kind,
                entity,
                field,
                action,
                value,
                deps,
            }
        });
    let ops = prop::collection::vec(op, 1..6);
    let at = (
        1i64..i64::MAX,
        1u64..1 << 40,
        0u64..=MAX_WALL_MS,
        any::<u16>(),
    );
    (at, ops).prop_map(|((r, seq, w, c), ops)| {
        ChangeSet::new(ReplicaId::from_i64(r).unwrap(), seq, Hlc::new(w, c), ops).unwrap()
    })
}

proptest! {
    #![proptest_config(config())]

    /// 1. Same ops, any order, any duplicates: same state and same row, also on the simulated
    /// replicas once they have everything.
    #[test]
    fn prop_convergence_any_order_with_duplicates(s in script()) {
        let mut sim = Sim::run(&s);
        let orders = orders(&sim.ops, &s.seeds);
        let first = replay(&orders[0]);
        for order in &orders[1..] {
            prop_assert_eq!(&replay(order), &first);
        }
        let all = sim.ops.clone();
        for rep in &mut sim.replicas {
            all.iter().for_each(|op| rep.receive(op));
            prop_assert_eq!(&rep.member, &first.member);
            prop_assert_eq!(&rep.enrollment, &first.enrollment);
        }
    }

    /// 2. Applying an op a second time changes nothing and reports nothing.
    #[test]
    fn prop_reapplying_an_op_is_a_no_op(s in script()) {
        let sim = Sim::run(&s);
        let (mut node, mut seen) = (Node::default(), HashSet::new());
        for op in shuffled(&sim.ops, s.seeds[0]) {
            let before = node.clone();
            let first = node.apply(&op);
            if !seen.insert(op.id) {
                prop_assert_eq!(first, Effect::None, "duplicate reported an effect");
                prop_assert_eq!(&node, &before, "duplicate changed the state");
            }
            let after = node.clone();
            prop_assert_eq!(node.apply(&op), Effect::None);
            prop_assert_eq!(&node, &after);
        }
    }

    /// 3. A last-writer-wins field holds the value of the op with the greatest stamp.
    #[test]
    fn prop_lww_greatest_stamp_wins(s in script()) {
        let sim = Sim::run(&s);
        for order in orders(&sim.ops, &s.seeds) {
            let node = replay(&order);
            for field in LWW {
                let winner = on_field(&sim.ops, field).max_by_key(|o| o.op_stamp());
                prop_assert_eq!(node.member_row.cols.get(field), winner.map(|o| &o.value));
                let want = winner.map(|o| FieldState::Lww(o.op_stamp()));
                prop_assert_eq!(node.member.fields.get(field), want.as_ref());
            }
        }
    }

    /// 4. Enrolment state is the join of every state seen and never moves down while replaying;
    /// once `created` is seen it stays.
    #[test]
    fn prop_lattice_is_join_of_all_states(s in script()) {
        let sim = Sim::run(&s);
        let parse = |v: &Value| match v {
            Value::Text(t) => EnrollmentState::parse(t),
            _ => None,
        };
        let states = sim.ops.iter().filter(|o| o.kind == EntityKind::Enrollment);
        let join = states.filter_map(|o| parse(&o.value)).max();
        for order in orders(&sim.ops, &s.seeds) {
            let (mut node, mut shown) = (Node::default(), None);
            for op in &order {
                if let Effect::Column("state", v) = node.apply(op) {
                    let now = parse(&v);
                    prop_assert!(now.is_some() && now >= shown, "state moved down");
                    shown = now;
                }
            }
            prop_assert_eq!(shown, join);
            if join == Some(EnrollmentState::Created) {
                prop_assert_eq!(node.enrollment_row.cols.get("state"), Some(&text("created")));
            }
        }
    }

    /// 5. Identity register: the heads are the writes no write names in `deps`, whatever the
    /// order (a superseded write arriving late still retires what it replaced); the row shows
    /// the latest head; a conflict is raised exactly when the heads hold different values.
    #[test]
    fn prop_identity_register(s in script()) {
        let sim = Sim::run(&s);
        let orders = orders(&sim.ops, &s.seeds);
        for field in IDENTITY {
            let named: HashSet<OpId> = on_field(&sim.ops, field).flat_map(|o| o.deps.clone()).collect();
            let heads: Vec<&Op> = on_field(&sim.ops, field).filter(|o| !named.contains(&o.id)).collect();
            let want: BTreeSet<OpId> = heads.iter().map(|o| o.id).collect();
            let shown = heads.iter().max_by_key(|o| o.op_stamp()).map(|o| &o.value);
            let values: HashSet<&Value> = heads.iter().map(|o| &o.value).collect();
            for order in &orders {
                let node = replay(order);
                let got: BTreeSet<OpId> = merge::identity_heads(&node.member, field).into_iter().collect();
                prop_assert_eq!(&got, &want, "heads of {}", field);
                prop_assert_eq!(node.member_row.cols.get(field), shown);
                prop_assert_eq!(node.member_row.conflicts.contains(field), values.len() > 1);
            }
        }
    }

    /// 5. Writes to `abha_number` (replica 0-3, value of `ABHA`) by replicas that each first
    /// synced everything never conflict, in any order; the last write stands.
    #[test]
    fn prop_sequential_identity_writes_never_conflict(
        writes in prop::collection::vec((0usize..4, 0..ABHA.len()), 1..8),
        seeds in prop::collection::vec(any::<u64>(), 3),
    ) {
        let mut cmds = Vec::new();
        for &(r, v) in &writes {
            cmds.extend((0..4).map(|from| Cmd::Deliver(from, r, u64::MAX)));
            cmds.push(Cmd::Ident(r, 1, v));
        }
        let s = Script { skews: vec![0, -DAY, 0, -2 * DAY], cmds, seeds };
        let sim = Sim::run(&s);
        let last = sim.ops.last().map(|o| &o.value);
        for order in orders(&sim.ops, &s.seeds) {
            let node = replay(&order);
            prop_assert!(!node.member_row.conflicts.contains("abha_number"), "sequential writes conflict");
            prop_assert_eq!(node.member_row.cols.get("abha_number"), last);
        }
    }

    /// 6. Household membership: live adds are those no remove observed; the row shows the
    /// element of the latest live add.
    #[test]
    fn prop_add_wins_set(s in script()) {
        let sim = Sim::run(&s);
        let removed: HashSet<OpId> = on_field(&sim.ops, HH).flat_map(|o| o.deps.clone()).collect();
        let live: Vec<&Op> = on_field(&sim.ops, HH)
            .filter(|o| o.action == Action::Add && !removed.contains(&o.id))
            .collect();
        let current = live.iter().max_by_key(|o| o.op_stamp()).map(|o| &o.value);
        let want: BTreeSet<OpId> = live.iter().map(|o| o.id).collect();
        for order in orders(&sim.ops, &s.seeds) {
            let node = replay(&order);
            let got: BTreeSet<OpId> = match node.member.fields.get(HH) {
                Some(FieldState::Set { adds, .. }) => adds.iter().map(|t| t.op).collect(),
                _ => BTreeSet::new(),
            };
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(node.member_row.cols.get("household_id"), current);
        }
    }

    /// 7. Once a delete is applied the member stays deleted, whatever arrives later (including
    /// later-stamped ops from replicas that never saw it).
    #[test]
    fn prop_delete_is_final(s in script_with_delete()) {
        let sim = Sim::run(&s);
        let latest = sim.ops.iter().filter(|o| o.action == Action::Delete).map(Op::op_stamp).max();
        prop_assert!(latest.is_some());
        for order in orders(&sim.ops, &s.seeds) {
            let (mut node, mut reported) = (Node::default(), 0);
            for op in &order {
                let was = node.member.deleted.is_some();
                reported += usize::from(node.apply(op) == Effect::Deleted);
                prop_assert!(!was || (node.member.deleted.is_some() && node.member_row.deleted));
            }
            prop_assert_eq!(reported, 1);
            prop_assert_eq!(node.member.deleted, latest);
        }
    }

    /// 8. Schema violations are refused and leave the state as it was.
    #[test]
    fn prop_schema_violations_are_refused_untouched(s in script(), (op, err) in bad_op()) {
        let node = replay(&Sim::run(&s).ops);
        for base in [node.member, node.enrollment, EntityState::default()] {
            let mut state = base.clone();
            prop_assert_eq!(merge::apply(&mut state, &op), Err(err.clone()));
            prop_assert_eq!(&state, &base);
        }
    }

    /// 9. States round-trip through their encoding; damaged or truncated bytes never panic.
    #[test]
    fn prop_state_encoding_round_trips(
        s in script(),
        at in any::<prop::sample::Index>(),
        x in 1u8..,
    ) {
        let node = replay(&Sim::run(&s).ops);
        for state in [node.member, node.enrollment, EntityState::default()] {
            let mut bytes = state.encode();
            prop_assert_eq!(EntityState::decode(&bytes), Some(state));
            let i = at.index(bytes.len());
            bytes[i] ^= x;
            let _ = EntityState::decode(&bytes);
            let _ = EntityState::decode(&bytes[..i]);
        }
    }

    #[test]
    fn prop_state_decode_of_arbitrary_bytes_never_panics(
        b in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = EntityState::decode(&b);
    }

    /// 10. Change sets round-trip; no single flipped byte yields a different set that verifies.
    #[test]
    fn prop_change_set_round_trips_and_detects_flips(set in change_set(), x in 1u8..) {
        let (origin, seq, hlc, bytes) = (set.origin, set.first_seq, set.hlc, set.encode_ops());
        let back = ChangeSet::decode(origin, seq, hlc, &bytes, &set.digest);
        prop_assert_eq!(back.as_ref(), Ok(&set));
        let ops: Vec<Op> = set.ops().collect();
        prop_assert!(ops.iter().all(Op::verify_id));
        prop_assert!(ops.iter().enumerate().all(|(i, o)| o.seq == seq + i as u64));
        prop_assert!(ChangeSet::decode(origin, seq + 1, hlc, &bytes, &set.digest).is_err());
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= x;
            if let Ok(other) = ChangeSet::decode(origin, seq, hlc, &damaged, &set.digest) {
                prop_assert_eq!(&other, &set, "byte {} flipped into a different set", i);
            }
        }
    }
}
