//! Scenario tests for the op-log merge rules (`abha_core::oplog::merge`).
//!
//! What this proves, with two or three devices and explicit op sequences taken from field work:
//! a stale tablet cannot move a created ABHA back, concurrent ABHA numbers raise a conflict that a
//! later informed write resolves, a member moved between households is neither lost nor
//! resurrected while someone edits their name, a tablet offline for weeks cannot bring a deleted
//! member back, ties in last-writer-wins are broken the same way everywhere, and ops that break
//! the schema are refused without touching the state. Every scenario is checked in every order
//! of its ops, and again with every op delivered twice.
//!
//! The last three tests pin defects found in an earlier merge.rs (each gives the minimal case).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use abha_core::ids::ReplicaId;
use abha_core::oplog::merge::{self, Effect, EntityState, FieldState, MergeError};
use abha_core::oplog::{Action, EntityKind, Hlc, HlcState, Op, OpId, Value};
use uuid::Uuid;

const MEMBER: Uuid = Uuid::from_u128(0x0197_0000_0000_7000_8000_0000_0000_00aa);
const ENROLLMENT: Uuid = Uuid::from_u128(0x0197_0000_0000_7000_8000_0000_0000_00bb);
const T0: u64 = 1_750_000_000_000;
const DAY: u64 = 86_400_000;
const HH: &str = "household";

fn household(i: u8) -> Vec<u8> {
    Uuid::from_u128(0x4848_0000_0000_4000_8000_0000_0000_0000 | u128::from(i))
        .as_bytes()
        .to_vec()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// A local edit: kind, field, action, value, deps.
type Edit = (EntityKind, &'static str, Action, Value, Vec<OpId>);

fn member(field: &'static str, action: Action, value: Value) -> Edit {
    (EntityKind::Member, field, action, value, vec![])
}

/// A tablet or hub: its own clock, sequence numbers and view of the member and the enrolment.
#[derive(Default)]
struct Device {
    id: i64,
    seq: u64,
    clock: HlcState,
    member: EntityState,
    enrollment: EntityState,
}

impl Device {
    fn new(id: i64) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }

    fn view(&mut self, kind: EntityKind) -> &mut EntityState {
        match kind {
            EntityKind::Enrollment => &mut self.enrollment,
            _ => &mut self.member,
        }
    }

    /// One local change set at wall time `wall_ms`: shared timestamp, consecutive seqs.
    fn write(&mut self, wall_ms: u64, edits: Vec<Edit>) -> Vec<Op> {
        let (origin, hlc) = (
            ReplicaId::from_i64(self.id).unwrap(),
            self.clock.tick(wall_ms),
        );
        let mut ops = Vec::new();
        for (kind, field, action, value, deps) in edits {
            self.seq += 1;
            let seq = self.seq;
            let entity = [MEMBER, ENROLLMENT][usize::from(kind == EntityKind::Enrollment)];
            let op = Op::new(origin, seq, hlc, kind, entity, field, action, value, deps);
            merge::apply(self.view(kind), &op).unwrap();
            ops.push(op);
        }
        ops
    }

    /// Sets a member field; an identity write names the heads this device sees.
    fn set(&mut self, wall_ms: u64, field: &'static str, value: &str) -> Op {
        let deps = merge::identity_heads(&self.member, field);
        // Aadhaar tokens are bytes; every other field here holds text.
        let v = if field == "aadhaar_token" {
            Value::Bytes(value.as_bytes().to_vec())
        } else {
            text(value)
        };
        let e = (EntityKind::Member, field, Action::Set, v, deps);
        self.write(wall_ms, vec![e]).remove(0)
    }

    fn enrol(&mut self, wall_ms: u64, state: &str) -> Op {
        let e = (
            EntityKind::Enrollment,
            "state",
            Action::Set,
            text(state),
            vec![],
        );
        self.write(wall_ms, vec![e]).remove(0)
    }

    fn add(&mut self, wall_ms: u64, h: u8) -> Op {
        let e = member(HH, Action::Add, Value::Bytes(household(h)));
        self.write(wall_ms, vec![e]).remove(0)
    }

    /// A remove of household `h` naming the adds this device sees.
    fn remove_edit(&self, h: u8) -> Edit {
        let mut e = member(HH, Action::Remove, Value::Bytes(household(h)));
        e.4 = merge::set_tags(&self.member, HH, &household(h));
        e
    }

    fn delete(&mut self, wall_ms: u64) -> Op {
        let e = member("", Action::Delete, Value::Null);
        self.write(wall_ms, vec![e]).remove(0)
    }

    fn receive(&mut self, ops: &[&Op]) {
        for op in ops {
            merge::apply(self.view(op.kind), op).unwrap();
            self.clock.observe(op.hlc);
        }
    }
}

/// The read-table row built from effects (every column starts NULL, so NULL means absent).
#[derive(Clone, Debug, Default, PartialEq)]
struct Row {
    cols: BTreeMap<&'static str, Value>,
    conflict: BTreeMap<&'static str, Vec<Value>>,
    deleted: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Node {
    member: EntityState,
    enrollment: EntityState,
    row: Row,
}

fn put(row: &mut Row, col: &'static str, v: Value) {
    if v == Value::Null {
        row.cols.remove(col);
    } else {
        row.cols.insert(col, v);
    }
}

fn replay(ops: &[&Op]) -> Node {
    let mut n = Node::default();
    for op in ops {
        let state = if op.kind == EntityKind::Enrollment {
            &mut n.enrollment
        } else {
            &mut n.member
        };
        match merge::apply(state, op).unwrap() {
            Effect::None => {}
            Effect::Column(c, v) => put(&mut n.row, c, v),
            Effect::Identity {
                field,
                value,
                conflict,
            } => {
                put(&mut n.row, field, value);
                let mut values: Vec<Value> = conflict.into_iter().map(|h| h.value).collect();
                values.sort_by(Value::total_cmp);
                n.row.conflict.insert(field, values);
                n.row.conflict.retain(|_, v| !v.is_empty());
            }
            Effect::Set { current, .. } => {
                put(
                    &mut n.row,
                    "household_id",
                    current.map_or(Value::Null, Value::Bytes),
                );
            }
            Effect::Deleted => n.row.deleted = true,
        }
    }
    n
}

fn permutations<'a>(ops: &[&'a Op]) -> Vec<Vec<&'a Op>> {
    if ops.len() <= 1 {
        return vec![ops.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..ops.len() {
        let mut rest = ops.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}

/// Replays `ops` in every order, and each order twice over, checks all results are equal and
/// returns it.
fn every_order(ops: &[&Op]) -> Node {
    let orders = permutations(ops);
    let first = replay(&orders[0]);
    for order in &orders {
        assert_eq!(replay(order), first, "order matters");
        let twice: Vec<&Op> = order.iter().chain(order.iter()).copied().collect();
        assert_eq!(replay(&twice), first, "duplicates matter");
    }
    first
}

#[test]
fn test_stale_tablet_cannot_revert_created_enrollment() {
    let (mut tablet, mut hub) = (Device::new(1), Device::new(2));
    let captured = tablet.enrol(T0, "captured");
    let queued = tablet.enrol(T0 + 1_000, "queued");
    hub.receive(&[&captured, &queued]);
    let submitting = hub.enrol(T0 + 60_000, "submitting");
    let created = hub.enrol(T0 + 61_000, "created");
    // The tablet never hears back; its clock runs a day ahead and it re-queues the request.
    let requeued = tablet.enrol(T0 + DAY, "queued");
    assert!(requeued.hlc > created.hlc);
    let node = every_order(&[&captured, &queued, &submitting, &created, &requeued]);
    assert_eq!(node.row.cols.get("state"), Some(&text("created")));
    assert_eq!(
        node.enrollment.fields.get("state"),
        Some(&FieldState::Lattice(text("created")))
    );
    // And the tablet itself moves to created once it hears.
    tablet.receive(&[&submitting, &created]);
    assert_eq!(tablet.enrollment, node.enrollment);
}

#[test]
fn test_concurrent_abha_numbers_raise_conflict() {
    let (mut a, mut b, mut hub) = (Device::new(1), Device::new(2), Device::new(3));
    // Two tablets record different ABHA numbers for the same member, neither seeing the other.
    let x = a.set(T0, "abha_number", "91-1111-2222-3333");
    let y = b.set(T0 + 5, "abha_number", "91-4444-5555-6666");
    let node = every_order(&[&x, &y]);
    let both = vec![text("91-1111-2222-3333"), text("91-4444-5555-6666")];
    assert_eq!(node.row.conflict.get("abha_number"), Some(&both));
    assert_eq!(
        node.row.cols.get("abha_number"),
        Some(&y.value),
        "latest head is shown"
    );
    // A supervisor at the hub sees both and picks one: its write names both heads.
    hub.receive(&[&x, &y]);
    let fix = hub.set(T0 + 60_000, "abha_number", "91-1111-2222-3333");
    assert_eq!(fix.deps.len(), 2);
    let node = every_order(&[&x, &y, &fix]);
    assert_eq!(
        node.row.conflict.get("abha_number"),
        None,
        "conflict resolved"
    );
    assert_eq!(node.row.cols.get("abha_number"), Some(&fix.value));
    assert_eq!(
        merge::identity_heads(&node.member, "abha_number"),
        vec![fix.id]
    );
}

#[test]
fn test_same_value_written_concurrently_is_not_a_conflict() {
    let (mut a, mut b) = (Device::new(1), Device::new(2));
    let x = a.set(T0, "aadhaar_token", "tok-1");
    let y = b.set(T0, "aadhaar_token", "tok-1");
    let node = every_order(&[&x, &y]);
    assert!(node.row.conflict.is_empty());
    assert_eq!(
        merge::identity_heads(&node.member, "aadhaar_token").len(),
        2
    );
}

#[test]
fn test_sequential_identity_writes_never_conflict() {
    let (mut a, mut b) = (Device::new(1), Device::new(2));
    let x = a.set(T0, "abha_number", "91-1111-2222-3333");
    b.receive(&[&x]);
    let y = b.set(T0 + 10, "abha_number", "91-4444-5555-6666");
    let node = every_order(&[&x, &y]);
    assert!(node.row.conflict.is_empty());
    assert_eq!(node.row.cols.get("abha_number"), Some(&y.value));
}

/// Regression: X by tablet 1, Y by tablet 2 after seeing X, Z by tablet 1 after seeing Y. A hub
/// that syncs tablet 1 first gets X and Z, then Y. Y is already superseded by Z; `apply` used to
/// drop it without retiring X (which Y replaced), leaving X a head next to Z: the hub showed a
/// conflict nobody made, while a replica that got X, Y, Z showed none.
#[test]
fn test_late_superseded_identity_write_still_retires_what_it_replaced() {
    let (mut t1, mut t2, mut hub) = (Device::new(1), Device::new(2), Device::new(3));
    let x = t1.set(T0, "abha_number", "91-1111-2222-3333");
    t2.receive(&[&x]);
    let y = t2.set(T0 + 10, "abha_number", "91-4444-5555-6666");
    t1.receive(&[&y]);
    let z = t1.set(T0 + 20, "abha_number", "91-7777-8888-9999");
    hub.receive(&[&x, &z, &y]);
    assert_eq!(
        merge::identity_heads(&hub.member, "abha_number"),
        vec![z.id]
    );
    let node = every_order(&[&x, &y, &z]);
    assert_eq!(node.row.conflict.get("abha_number"), None);
}

#[test]
fn test_concurrent_add_and_remove_add_wins() {
    let (mut t1, mut t2) = (Device::new(1), Device::new(2));
    let add_a = t1.add(T0, 0);
    t2.receive(&[&add_a]);
    // Tablet 1 takes the member out of household A; tablet 2, unaware, adds household B and
    // re-adds A (a fresh add, not the one tablet 1 removed).
    let remove_a = t1.write(T0 + 10, vec![t1.remove_edit(0)]).remove(0);
    let add_b = t2.add(T0 + 5, 1);
    let re_add_a = t2.add(T0 + 6, 0);
    let node = every_order(&[&add_a, &remove_a, &add_b]);
    assert_eq!(
        node.row.cols.get("household_id"),
        Some(&Value::Bytes(household(1)))
    );
    let node = every_order(&[&add_a, &remove_a, &add_b, &re_add_a]);
    let Some(FieldState::Set { adds, .. }) = node.member.fields.get(HH) else {
        panic!("no set state");
    };
    let live: Vec<&OpId> = adds.iter().map(|t| &t.op).collect();
    assert_eq!(
        live,
        vec![&add_b.id, &re_add_a.id],
        "concurrent adds survive the remove"
    );
}

#[test]
fn test_move_and_edit_neither_lost_nor_resurrected() {
    let (mut t1, mut t2, mut hub) = (Device::new(1), Device::new(2), Device::new(3));
    let name = (
        EntityKind::Member,
        "given_name",
        Action::Set,
        text("Sita"),
        vec![],
    );
    let hh_a = (
        EntityKind::Member,
        HH,
        Action::Add,
        Value::Bytes(household(0)),
        vec![],
    );
    let created = t1.write(T0, vec![name, hh_a]);
    let (name, add_a) = (&created[0], &created[1]);
    t2.receive(&[name, add_a]);
    // Tablet 1 moves the member from household A to B in one change set...
    let add_b = (
        EntityKind::Member,
        HH,
        Action::Add,
        Value::Bytes(household(1)),
        vec![],
    );
    let moved = t1.write(T0 + 100, vec![t1.remove_edit(0), add_b]);
    // ...while tablet 2 corrects the name.
    let edit = t2.set(T0 + 200, "given_name", "Sita Devi");
    let ops = [name, add_a, &moved[0], &moved[1], &edit];
    let node = every_order(&ops);
    assert_eq!(
        node.row.cols.get("household_id"),
        Some(&Value::Bytes(household(1)))
    );
    assert_eq!(node.row.cols.get("given_name"), Some(&text("Sita Devi")));
    // The stale add of A, re-sent by a hub after the remove, does not bring A back.
    hub.receive(&ops);
    let before = hub.member.clone();
    assert_eq!(merge::apply(&mut hub.member, add_a), Ok(Effect::None));
    assert_eq!(hub.member, before);
    assert_eq!(merge::set_tags(&hub.member, HH, &household(0)), vec![]);
    assert_eq!(hub.member, node.member);
}

#[test]
fn test_offline_for_weeks_cannot_resurrect_deleted_member() {
    let (mut hub, mut tablet) = (Device::new(1), Device::new(2));
    let created = hub.set(T0, "given_name", "Gita");
    let add_a = hub.add(T0, 0);
    tablet.receive(&[&created, &add_a]);
    let deleted = hub.delete(T0 + DAY);
    // The tablet never sees the delete and keeps editing for three weeks.
    let late: Vec<Op> = vec![
        tablet.set(T0 + 21 * DAY, "given_name", "Gita Kumari"),
        tablet.set(T0 + 21 * DAY + 1, "mobile", "9876543210"),
        tablet.add(T0 + 21 * DAY + 2, 1),
    ];
    assert!(late.iter().all(|op| op.hlc > deleted.hlc));
    let mut ops: Vec<&Op> = vec![&created, &add_a, &deleted];
    ops.extend(&late);
    let node = every_order(&ops);
    assert!(node.row.deleted);
    assert_eq!(node.member.deleted, Some(deleted.op_stamp()));
    // Deleting twice (hub and a supervisor) reports once and keeps the latest stamp.
    let again = tablet.delete(T0 + 22 * DAY);
    let mut state = node.member.clone();
    assert_eq!(merge::apply(&mut state, &again), Ok(Effect::None));
    assert_eq!(state.deleted, Some(again.op_stamp()));
}

#[test]
fn test_lww_ties_break_by_replica_then_seq() {
    let (mut low, mut high) = (Device::new(5), Device::new(9));
    let a = low.set(T0, "mobile", "9000000001");
    let b = high.set(T0, "mobile", "9000000002");
    assert_eq!(a.hlc, b.hlc);
    let node = every_order(&[&a, &b]);
    assert_eq!(
        node.row.cols.get("mobile"),
        Some(&b.value),
        "higher replica id wins a tie"
    );
    // Within one change set (one timestamp) the later op wins.
    let m = |v: &str| member("mobile", Action::Set, text(v));
    let pair = high.write(T0 + 1, vec![m("9000000003"), m("9000000004")]);
    let node = every_order(&[&a, &b, &pair[0], &pair[1]]);
    assert_eq!(node.row.cols.get("mobile"), Some(&text("9000000004")));
}

#[test]
fn test_tablet_clock_days_behind_still_wins_after_sync() {
    let (mut hub, mut tablet) = (Device::new(9), Device::new(1));
    let hub_name = hub.set(T0, "given_name", "Ram");
    tablet.receive(&[&hub_name]);
    // The tablet's wall clock is three days behind, yet its later correction wins.
    let fix = tablet.set(T0 - 3 * DAY, "given_name", "Ram Kumar");
    assert!(fix.hlc > hub_name.hlc);
    let node = every_order(&[&hub_name, &fix]);
    assert_eq!(node.row.cols.get("given_name"), Some(&text("Ram Kumar")));
}

/// An op from replica 4 that breaks the schema (not issued through a `Device`).
fn bad(kind: EntityKind, field: &'static str, action: Action, value: Value) -> Op {
    let (origin, seq, hlc) = (ReplicaId::from_i64(4).unwrap(), 1, Hlc::new(T0, 0));
    let (entity, deps) = (MEMBER, vec![]);
    Op::new(origin, seq, hlc, kind, entity, field, action, value, deps)
}

#[test]
fn test_schema_violations_are_refused_without_mutation() {
    use Action::{Add, Remove, Set};
    use MergeError::{UnknownField, WrongAction, WrongType};
    let mut t = Device::new(1);
    t.set(T0, "given_name", "Sita");
    t.set(T0, "abha_number", "91-1111-2222-3333");
    t.add(T0, 0);
    let (m, en) = (EntityKind::Member, EntityKind::Enrollment);
    let cases = [
        (m, "nickname", Set, text("x"), UnknownField(m)),
        (m, "", Set, text("x"), UnknownField(m)),
        (m, HH, Add, text("not bytes"), WrongType),
        (m, HH, Remove, Value::Int(1), WrongType),
        (m, HH, Remove, Value::Null, WrongType),
        (m, "given_name", Set, Value::Bytes(vec![1]), WrongType),
        (m, "given_name", Add, text("Sita"), WrongAction),
        (m, "abha_number", Remove, text("x"), WrongAction),
        (m, HH, Set, Value::Bytes(household(2)), WrongAction),
        (en, "state", Add, text("created"), WrongAction),
    ];
    for (kind, field, action, value, err) in cases {
        let op = bad(kind, field, action, value);
        for base in [t.member.clone(), EntityState::default()] {
            let mut state = base.clone();
            assert_eq!(merge::apply(&mut state, &op), Err(err.clone()), "{field}");
            assert_eq!(state, base, "refused op on {field} changed the state");
        }
    }
}

/// Regression: on a fresh state, `Add` of `Value::Null` to `household` passes the type check
/// (Null is admitted everywhere); `apply` used to create the empty set state and only then fail
/// with WrongType, leaving `fields["household"]` behind.
#[test]
fn test_null_household_add_is_refused_without_mutation() {
    let op = bad(EntityKind::Member, HH, Action::Add, Value::Null);
    let mut state = EntityState::default();
    assert_eq!(merge::apply(&mut state, &op), Err(MergeError::WrongType));
    assert_eq!(state, EntityState::default());
}

/// Regression: a state op with a padded code (" created", which `EnrollmentState::parse`
/// accepts) used to be stored as is the first time, then re-applying the same op joined it into
/// the canonical "created": a second effect, and replicas that got it once or twice differed.
#[test]
fn test_padded_enrollment_code_is_idempotent() {
    let mut t = Device::new(1);
    let op = t.enrol(T0, " created");
    let once = replay(&[&op]);
    let twice = replay(&[&op, &op]);
    assert_eq!(twice, once);
}
