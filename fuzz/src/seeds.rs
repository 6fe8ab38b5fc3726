//! The seed corpora, made by the project's own encoders.
//!
//! Why generated: a hand-written binary seed goes stale the day the wire format changes, and
//! nobody can tell what it was meant to be. These seeds are real messages (`protocol::encode`,
//! `ChangeSet::encode_ops`, `EntityState::encode`), demo forms (`demo::household`) and the ABDM
//! bodies quoted in `shared/reference/abdm.md` §2.5-2.10, built deterministically (fixed ids,
//! replicas and clocks), so `cargo run --release --example seeds` rewrites the same bytes and the
//! replay test (`tests/corpus.rs`) notices when a committed seed no longer matches.

use abha_core::demo::{self, DemoRng};
use abha_core::ids::{HouseholdId, MemberId, ReplicaId, VillageId, WorkerId};
use abha_core::model::{
    ConsentDraft, ConsentMethod, FacilityDraft, FacilityKind, GivenBy, HouseholdCode,
    HouseholdPatch, LgdCodes, MemberPatch, VillageDraft, WorkerDraft,
};
use abha_core::oplog::merge::{self, EntityState};
use abha_core::oplog::{Action, ChangeOp, ChangeSet, EntityKind, Hlc, Value};
use abha_core::store::{PendingCounts, SealedItem, SealedVerdict};
use abha_core::sync::VersionVector;
use abha_core::sync::protocol::{
    EnrolReply, EnrolRequest, ErrorBody, HandSealed, HandSealedReply, Hello, HelloReply,
    PROTOCOL_VERSION, Pull, PullReply, Push, PushReply, WireSet,
};
use abha_core::validate::Kind;
use serde_json::json;
use uuid::Uuid;

use crate::sync::{Kind as SyncKind, raw_input, stored_set_input, wire_input};
use crate::validators::{Mode, input as validator_input};

/// One seed file: `corpus/<target>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Fuzz target.
    pub target: &'static str,
    /// File name.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The demo sealing key (public half), as the hub hands it out.
const PUBLIC_PEM: &str = include_str!("../../fixtures/demo-sealing/public.pem");
/// The bundled LGD master snapshot, in the shape ABDM's LGD call answers.
const LGD_SNAPSHOT: &str = include_str!("../../fixtures/lgd/snapshot.json");

/// Every seed of every target.
pub fn all() -> Result<Vec<Seed>, String> {
    let mut out = Vec::new();
    sync_seeds(&mut out)?;
    validator_seeds(&mut out)?;
    abdm_seeds(&mut out);
    enrol_seeds(&mut out)?;
    qr_seeds(&mut out);
    Ok(out)
}

fn seed(out: &mut Vec<Seed>, target: &'static str, name: impl Into<String>, bytes: Vec<u8>) {
    out.push(Seed {
        target,
        name: name.into(),
        bytes,
    });
}

fn replica(n: i64) -> Result<ReplicaId, String> {
    ReplicaId::from_i64(n).map_err(|e| e.to_string())
}

fn uuid(n: u128) -> Uuid {
    // Version-7-shaped ids with a fixed time prefix, like the ones devices make.
    Uuid::from_u128(0x0193_8a6e_5a00_7000_8000_0000_0000_0000 | n)
}

fn op(kind: EntityKind, entity: Uuid, field: &str, action: Action, value: Value) -> ChangeOp {
    ChangeOp {
        kind,
        entity,
        field: field.to_owned(),
        action,
        value,
        deps: Vec::new(),
    }
}

fn set_op(kind: EntityKind, entity: Uuid, field: &str, value: Value) -> ChangeOp {
    op(kind, entity, field, Action::Set, value)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// What a tablet's store writes when a worker saves a household with two members and queues a
/// demographic-authentication request: one change set.
fn household_set(origin: ReplicaId, first_seq: u64) -> Result<ChangeSet, String> {
    let village = VillageId::from_lgd(900_101);
    let hh = uuid(1);
    let worker = uuid(9);
    let code = HouseholdCode::from_id(&HouseholdId::from_uuid(hh)).to_string();
    let (head, wife, enrol, consent) = (uuid(2), uuid(3), uuid(4), uuid(5));
    let mut ops = vec![
        set_op(
            EntityKind::Household,
            hh,
            "village_id",
            Value::uuid(village.as_uuid()),
        ),
        set_op(EntityKind::Household, hh, "code", text(&code)),
        set_op(
            EntityKind::Household,
            hh,
            "address",
            text("House 12, Mohalla 3"),
        ),
        set_op(EntityKind::Household, hh, "pincode", text("190001")),
        set_op(EntityKind::Household, hh, "lat_e6", Value::Int(34_083_700)),
        set_op(EntityKind::Household, hh, "lon_e6", Value::Int(74_797_300)),
        set_op(
            EntityKind::Household,
            hh,
            "head_member_id",
            Value::uuid(&head),
        ),
        set_op(
            EntityKind::Household,
            hh,
            "created_by",
            Value::uuid(&worker),
        ),
    ];
    for (m, given, gender, birth, relation) in [
        (head, "Ghulam", "M", "1961", "head"),
        (wife, "सीता", "F", "1968-04-12", "spouse"),
    ] {
        ops.push(op(
            EntityKind::Member,
            m,
            "household",
            Action::Add,
            Value::uuid(&hh),
        ));
        ops.push(set_op(EntityKind::Member, m, "given_name", text(given)));
        ops.push(set_op(EntityKind::Member, m, "family_name", text("وانی")));
        ops.push(set_op(EntityKind::Member, m, "gender", text(gender)));
        ops.push(set_op(EntityKind::Member, m, "birth_date", text(birth)));
        ops.push(set_op(EntityKind::Member, m, "relation", text(relation)));
        ops.push(set_op(EntityKind::Member, m, "mobile", text("9419012345")));
        ops.push(set_op(EntityKind::Member, m, "aadhaar_last4", text("2346")));
        ops.push(set_op(
            EntityKind::Member,
            m,
            "aadhaar_token",
            Value::Bytes(vec![0xa5; 16]),
        ));
        ops.push(set_op(
            EntityKind::Member,
            m,
            "created_by",
            Value::uuid(&worker),
        ));
    }
    for (f, v) in [
        ("member_id", Value::uuid(&head)),
        ("code", text("abha-enrollment")),
        ("version", text("1.4")),
        ("language", text("ks")),
        ("given_by", text("self")),
        ("method", text("thumbprint")),
        ("operator_id", Value::uuid(&worker)),
        ("given_at", Value::Int(1_764_000_000_000)),
        ("text_sha256", text(&"ab".repeat(32))),
    ] {
        ops.push(set_op(EntityKind::Consent, consent, f, v));
    }
    for (f, v) in [
        ("member_id", Value::uuid(&head)),
        ("route", text("demo_auth")),
        ("state", text("queued")),
        ("consent_id", Value::uuid(&consent)),
        ("created_by", Value::uuid(&worker)),
    ] {
        ops.push(set_op(EntityKind::Enrollment, enrol, f, v));
    }
    ChangeSet::new(origin, first_seq, Hlc::new(1_764_000_000_000, 0), ops).map_err(err)
}

/// Concurrent edits that exercise every merge rule: two replicas write different Aadhaar
/// tokens (an identity conflict), one moves a member (remove with the add it saw, add to another
/// household), the hub records ABDM's answer (lattice state, identity ABHA number), a supervisor
/// records a decision, an operator is deleted.
fn conflict_sets(first: &ChangeSet) -> Result<Vec<ChangeSet>, String> {
    let (a, b, hub) = (
        first.origin,
        replica(0x2b_0000_0002)?,
        replica(0x7f_0000_0001)?,
    );
    let head = uuid(2);
    let ops: Vec<_> = first.ops().collect();
    let add = ops
        .iter()
        .find(|o| o.field == "household" && o.entity == head)
        .map(|o| o.id)
        .ok_or("the household set adds its head")?;
    let token = ops
        .iter()
        .find(|o| o.field == "aadhaar_token" && o.entity == head)
        .map(|o| o.id)
        .ok_or("the household set has a token")?;
    let t = |ms: u64| Hlc::new(ms, 1);
    let mut remove = op(
        EntityKind::Member,
        head,
        "household",
        Action::Remove,
        Value::uuid(&uuid(1)),
    );
    remove.deps = vec![add];
    let mut token_a = set_op(
        EntityKind::Member,
        head,
        "aadhaar_token",
        Value::Bytes(vec![0x11; 16]),
    );
    token_a.deps = vec![token];
    let mut token_b = set_op(
        EntityKind::Member,
        head,
        "aadhaar_token",
        Value::Bytes(vec![0x22; 16]),
    );
    token_b.deps = vec![token];
    let next = first.last_seq() + 1;
    Ok(vec![
        ChangeSet::new(
            a,
            next,
            t(1_764_000_100_000),
            vec![
                remove,
                op(
                    EntityKind::Member,
                    head,
                    "household",
                    Action::Add,
                    Value::uuid(&uuid(6)),
                ),
                token_a,
            ],
        )
        .map_err(err)?,
        ChangeSet::new(b, 1, t(1_764_000_050_000), vec![token_b]).map_err(err)?,
        ChangeSet::new(
            hub,
            1,
            t(1_764_000_200_000),
            vec![
                set_op(EntityKind::Enrollment, uuid(4), "state", text("created")),
                set_op(
                    EntityKind::Enrollment,
                    uuid(4),
                    "abha_number",
                    text("91-6285-4575-5116"),
                ),
                set_op(EntityKind::Review, uuid(7), "member_id", Value::uuid(&head)),
                set_op(EntityKind::Review, uuid(7), "action", text("send_back")),
                set_op(
                    EntityKind::Review,
                    uuid(7),
                    "note",
                    text("Name spelt as on the card?"),
                ),
                op(EntityKind::Worker, uuid(8), "", Action::Delete, Value::Null),
            ],
        )
        .map_err(err)?,
    ])
}

fn pending() -> PendingCounts {
    PendingCounts {
        changes: 3,
        ops: 61,
        wedged: 0,
        oldest_at: Some(1_764_000_000_000),
    }
}

fn sync_seeds(out: &mut Vec<Seed>) -> Result<(), String> {
    const T: &str = "sync_decode";
    let tablet = replica(0x1a_2b3c_4d5e)?;
    let hub = replica(0x7f_0000_0001)?;
    let first = household_set(tablet, 1)?;
    let conflicts = conflict_sets(&first)?;
    // A scoped peer's view: the consent and enrolment ops withheld.
    let partial = first
        .withhold(|o| matches!(o.kind, EntityKind::Household | EntityKind::Member))
        .ok_or("the partial set shows something")?;
    let vv: VersionVector = [(tablet, first.last_seq()), (hub, 6)].into_iter().collect();
    let scope = [0x5c; 16];

    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        replica: tablet,
        app_version: "0.1.0".into(),
        sent_at_ms: 1_764_000_300_000,
        pending: pending(),
    };
    let hello_reply = HelloReply {
        protocol: PROTOCOL_VERSION,
        hub_replica: hub,
        hub_time_ms: 1_764_000_300_250,
        have_yours: 0,
        scope_hash: scope,
        coverage: Some(vv.clone()),
    };
    let push = Push {
        protocol: PROTOCOL_VERSION,
        replica: tablet,
        sets: std::iter::once(&first)
            .chain(&conflicts)
            .map(WireSet::from)
            .collect(),
    };
    let push_reply = PushReply {
        acked: vv.clone(),
        applied: 3,
        duplicates: 1,
    };
    let pull = Pull {
        protocol: PROTOCOL_VERSION,
        replica: tablet,
        coverage: vv.clone(),
        scope_hash: scope,
        max_ops: 5000,
        max_bytes: 1 << 20,
    };
    let pull_reply = PullReply {
        sets: vec![WireSet::from(&partial), WireSet::from(&conflicts[2])],
        coverage: vv.clone(),
        reset: false,
        scope_hash: scope,
        more: true,
    };
    let hand = HandSealed {
        protocol: PROTOCOL_VERSION,
        replica: tablet,
        items: vec![SealedItem {
            member: MemberId::from_uuid(uuid(2)),
            key_id: "0f1e2d3c4b5a6978".into(),
            sealed_at: 1_764_000_000_000,
            ciphertext: (0..=255u8).collect(),
        }],
    };
    let hand_reply = HandSealedReply {
        verdicts: vec![
            SealedVerdict::Held,
            SealedVerdict::Spent,
            SealedVerdict::Superseded,
            SealedVerdict::UnknownMember,
            SealedVerdict::Forbidden,
            SealedVerdict::WrongKey,
        ],
    };
    macro_rules! both {
        ($name:literal, $kind:expr, $msg:expr) => {
            seed(out, T, concat!($name, ".raw"), raw_input($kind, $msg));
            seed(out, T, concat!($name, ".zst"), wire_input($kind, $msg));
        };
    }
    both!("hello", SyncKind::Hello, &hello);
    both!("hello_reply", SyncKind::HelloReply, &hello_reply);
    both!("push", SyncKind::Push, &push);
    both!("push_reply", SyncKind::PushReply, &push_reply);
    both!("pull", SyncKind::Pull, &pull);
    both!("pull_reply", SyncKind::PullReply, &pull_reply);
    both!("hand_sealed", SyncKind::HandSealed, &hand);
    both!("hand_sealed_reply", SyncKind::HandSealedReply, &hand_reply);
    seed(
        out,
        T,
        "wire_set_whole",
        raw_input(SyncKind::WireSet, &WireSet::from(&first)),
    );
    seed(
        out,
        T,
        "wire_set_partial",
        raw_input(SyncKind::WireSet, &WireSet::from(&partial)),
    );
    // Regression: a set whose origin is not a replica id (negative) was accepted and merged, and
    // its merge state could then not be read back from the store. Now refused when decoded.
    let negative = (-0x0d15_9e26_af40_i64, 1u64, first.hlc, first.encode_ops());
    seed(
        out,
        T,
        "regress_negative_origin",
        raw_input(SyncKind::WireSet, &negative),
    );
    for (name, set) in [
        ("stored_set_whole", &first),
        ("stored_set_partial", &partial),
    ] {
        let bytes = stored_set_input(
            set.origin.as_i64(),
            set.first_seq,
            set.hlc.to_i64(),
            &set.digest,
            &set.encode_ops(),
        );
        seed(out, T, name, bytes);
    }
    // The merged state of the head of household after every set above, as the store keeps it.
    let mut state = EntityState::default();
    for set in std::iter::once(&first).chain(&conflicts) {
        for o in set.ops().filter(|o| o.entity == uuid(2)) {
            merge::apply(&mut state, &o).map_err(err)?;
        }
    }
    let mut es = vec![SyncKind::EntityState as u8];
    es.extend(state.encode());
    seed(out, T, "entity_state_member", es);
    Ok(())
}

/// 2026-11-22, the date the project's own tests validate against.
fn today_days() -> Result<u16, String> {
    let today = time::Date::from_calendar_date(2026, time::Month::November, 22).map_err(err)?;
    let days = today.to_julian_day() - 2_451_545;
    u16::try_from(days).map_err(err)
}

fn validator_seeds(out: &mut Vec<Seed>) -> Result<(), String> {
    const T: &str = "validators";
    let today = today_days()?;
    let code = HouseholdCode::from_id(&HouseholdId::from_uuid(uuid(1))).to_string();
    let values: [(&str, &str); 24] = [
        ("aadhaar", "2341 2341 2346"),
        ("aadhaar_demo", "9999 0000 0102"),
        ("aadhaar_bad_checksum", "234123412345"),
        ("vid", "9876-5432-1098-7654"),
        ("abha_number", "91-6285-4575-5116"),
        ("abha_number_bare", "91628545755116"),
        ("abha_address", "gaurav_22101991@abdm"),
        ("abha_address_legacy", "ram.kumar@ndhm"),
        ("abha_address_default", "91628545755116@sbx"),
        ("mobile", "+91 98765 43210"),
        ("mobile_zero", "098765-43210"),
        ("pincode", "190 001"),
        ("hfr", "IN2810014366"),
        ("hpr", "71-2345-6789-0123"),
        ("name_devanagari", "सीता देवी"),
        ("name_urdu", "محمد یوسف"),
        ("name_zwnj", "می\u{200C}خواهم"),
        ("name_latin", "Sita Devi"),
        ("name_marks", "Zoë O’Neil"),
        ("dob", "1990-05-01"),
        ("dob_year", "1956"),
        ("gender", "t"),
        ("household_code", &code),
        ("address", "H.No. 12/3, Mohalla (Near Masjid), Ward-4"),
    ];
    for (name, text) in values {
        seed(
            out,
            T,
            format!("value_{name}"),
            validator_input(Mode::Value, today, text.as_bytes()),
        );
    }
    for (kind, text) in [
        (Kind::Aadhaar, "2341 2341 2346"),
        (Kind::Vid, "9876 5432 1098 7654"),
        (Kind::AbhaNumber, "12345678901234"),
        (Kind::AbhaAddress, "ramkumar@ndhm"),
        (Kind::Mobile, "919876543210"),
        (Kind::Pincode, "110001"),
        (Kind::Hfr, "in2810014366"),
        (Kind::Hpr, "71234567890123"),
    ] {
        let index = Kind::ALL
            .iter()
            .position(|k| *k == kind)
            .ok_or("kind listed")?;
        let mut payload = vec![u8::try_from(index).map_err(err)?];
        payload.extend(text.as_bytes());
        seed(
            out,
            T,
            format!("single_{}", kind.name()),
            validator_input(Mode::Single, today, &payload),
        );
    }
    for (name, lat, lon) in [
        ("gps_srinagar", 34.0837, 74.7973),
        ("gps_outside", 51.5, -0.12),
        ("gps_nan", f64::NAN, 74.0),
    ] {
        let mut payload = f64::to_le_bytes(lat).to_vec();
        payload.extend(f64::to_le_bytes(lon));
        seed(out, T, name, validator_input(Mode::Gps, today, &payload));
    }
    // Demo households as the field CLI takes them, with their Aadhaar numbers (drafts never
    // serialise those, so they are put back into the JSON).
    let mut rng = DemoRng::new(7);
    for n in 0..3 {
        let form = demo::household(&mut rng, VillageId::from_lgd(900_101), n);
        let mut v = serde_json::to_value(&form).map_err(err)?;
        if let Some(members) = v.get_mut("members").and_then(|m| m.as_array_mut()) {
            for (m, draft) in members.iter_mut().zip(&form.members) {
                if let Some(a) = &draft.aadhaar {
                    m["aadhaar"] = json!(a.as_str());
                }
            }
        }
        let bytes = serde_json::to_vec(&v).map_err(err)?;
        seed(
            out,
            T,
            format!("form_demo_{n}"),
            validator_input(Mode::FormJson, today, &bytes),
        );
        // The same bytes read field by field.
        seed(
            out,
            T,
            format!("form_arbitrary_{n}"),
            validator_input(Mode::FormArbitrary, today, &bytes),
        );
    }
    let bad_form = json!({
        "household": {"village_id": null, "address": "", "pincode": "012345", "lat": 91.0},
        "members": [
            {"given_name": "", "gender": "X", "birth_date": "31/12/1990", "relation": "head",
             "mobile": "12345", "aadhaar": "234123412345"},
            {"given_name": "Rani", "gender": "F", "birth_date": "2030", "relation": "head"}
        ]
    });
    seed(
        out,
        T,
        "form_bad",
        validator_input(
            Mode::FormJson,
            today,
            &serde_json::to_vec(&bad_form).map_err(err)?,
        ),
    );
    let patch = MemberPatch {
        given_name: Some("Sita".into()),
        mobile: Some("".into()),
        birth_date: Some("1990".into()),
        abha_address: Some("sita.devi_90@abdm".into()),
        ..Default::default()
    };
    seed(
        out,
        T,
        "member_patch",
        validator_input(
            Mode::MemberPatchJson,
            today,
            &serde_json::to_vec(&patch).map_err(err)?,
        ),
    );
    let hpatch = HouseholdPatch {
        address: Some("Ward 4".into()),
        pincode: Some("190 001".into()),
    };
    seed(
        out,
        T,
        "household_patch",
        validator_input(
            Mode::HouseholdPatchJson,
            today,
            &serde_json::to_vec(&hpatch).map_err(err)?,
        ),
    );
    let drafts: [(&str, u8, Vec<u8>); 4] = [
        (
            "worker",
            0,
            serde_json::to_vec(&WorkerDraft {
                asha_id: "ASHA-0042".into(),
                hpr_id: Some("71-2345-6789-0123".into()),
                name: "Shabnam Akhtar".into(),
            })
            .map_err(err)?,
        ),
        (
            "facility",
            1,
            serde_json::to_vec(&FacilityDraft {
                hfr_id: "IN2810014366".into(),
                name: "PHC Ganderbal".into(),
                kind: FacilityKind::Camp,
            })
            .map_err(err)?,
        ),
        (
            "village",
            2,
            serde_json::to_vec(&VillageDraft {
                lgd: LgdCodes {
                    state: 1,
                    district: 6,
                    subdistrict: 27,
                    village: 900_101,
                },
                name: "वुयन".into(),
            })
            .map_err(err)?,
        ),
        (
            "consent",
            3,
            serde_json::to_vec(&ConsentDraft {
                member_id: MemberId::from_uuid(uuid(2)),
                version: "1.4".into(),
                language: "ks".into(),
                given_by: GivenBy::Guardian,
                guardian_name: Some("Ghulam Nabi".into()),
                method: ConsentMethod::Thumbprint,
                operator_id: WorkerId::from_uuid(uuid(9)),
                text_shown: "I agree to create my ABHA.".into(),
            })
            .map_err(err)?,
        ),
    ];
    for (name, which, json) in drafts {
        let mut payload = vec![which];
        payload.extend(json);
        seed(
            out,
            T,
            format!("draft_{name}"),
            validator_input(Mode::DraftJson, today, &payload),
        );
    }
    Ok(())
}

fn abdm_seeds(out: &mut Vec<Seed>) {
    use crate::abdm::input;
    const T: &str = "abdm_response";
    let der_b64: String = PUBLIC_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let bodies: Vec<(&str, u16, bool, String)> = vec![
        // abdm.md §2.10, every error shape.
        ("nested_uidai", 400, false, r#"{"error":{"code":"ABDM-1204","message":"UIDAI Error code : 300 : Biometric data did not match"}}"#.into()),
        ("flat_feature", 400, false, r#"{"code":"ABDM-1094","message":"Feature restricted","timestamp":"2024-10-25 15:02:34"}"#.into()),
        ("field_txn", 400, false, r#"{"txnId":"Invalid Transaction Id","timestamp":"24-11-2022 20:38:44"}"#.into()),
        ("field_otp", 400, false, r#"{"otpValue":"Invalid OTP Value","txnId":"Invalid Transaction Id","mobile":"Invalid Mobile Number","timestamp":"24-11-2022 20:38:44"}"#.into()),
        ("field_login", 400, false, r#"{"loginId":"Invalid LoginId"}"#.into()),
        ("array", 400, false, r#"[{"code":"ABDM-9999: ","message":"Invalid Login Hint"}]"#.into()),
        ("gateway", 401, false, r#"{"code":"900901","message":"Invalid Credentials","description":"Invalid JWT token. Make sure you have provided the correct security credentials"}"#.into()),
        ("credentials", 401, true, r#"{"code":"900901","message":"Invalid Credentials"}"#.into()),
        ("empty_400", 400, false, String::new()),
        ("empty_401_session", 401, true, String::new()),
        ("his_details", 422, false, r#"{"code":"HIS-422","message":"Unable to process the current request due to incorrect data entered.","details":[{"message":"Ensure correct Aadhaar Information is entered.","code":"HIS-2018","attribute":null}]}"#.into()),
        ("demographic", 422, false, r#"{"code":"ABDM-1204","message":"INVALID_DEMOGRAPHIC_DETAILS"}"#.into()),
        ("otp_attempts", 400, false, r#"{"code":"ABDM-1100","message":"You have requested multiple OTPs Or Exceeded maximum number of attempts for OTP match in this transaction. Please try again in 30 minutes."}"#.into()),
        ("otp_expired", 400, false, r#"{"otpValue":"OTP expired, please try again"}"#.into()),
        ("mobile_limit", 400, false, r#"{"error":{"code":"ABDM-1124","message":"Mobile Number already linked to 6 ABHA"}}"#.into()),
        ("address_taken", 400, false, r#"{"code":"ABDM-1101","message":"ABHA Address already exists"}"#.into()),
        ("clock", 400, false, r#"{"code":"ABDM-2402: ","message":"Request timestamp is not in sync"}"#.into()),
        ("rate_limited", 429, false, r#"{"code":"ABDM-1022","message":"Too many requests"}"#.into()),
        ("unavailable", 503, false, r#"{"code":"ABDM-1206","message":"Aadhaar gateway unavailable"}"#.into()),
        ("not_found", 404, false, r#"{"code":"ABDM-1114","message":"ABHA Address not found"}"#.into()),
        ("html_502", 502, false, "<html><body><h1>502 Bad Gateway</h1></body></html>".into()),
        // §2.5-2.6 and 2.8: success replies.
        ("enrolled_v3", 200, false, r#"{"message":"Account created successfully","txnId":"b7ffebe2-4b8c-4a1a-9d9e-0f1c2a3b4c5d","tokens":{"token":"eyJhbGciOiJSUzUxMiJ9.e30.sig","expiresIn":1800,"refreshToken":"eyJ.r.s","refreshExpiresIn":1296000},"ABHAProfile":{"firstName":"Sita","lastName":"Devi","dob":"22-10-1991","gender":"F","mobile":"9876543210","phrAddress":["91628545755116@sbx"],"districtCode":"215","stateCode":"10","abhatype":"STANDARD","ABHANumber":"91-6285-4575-5116","abhaStatus":"ACTIVE"},"isNew":true}"#.into()),
        ("enrolled_care", 200, false, r#"{"healthIdNumber":"91-6285-4575-5116","healthId":"sita.devi@sbx","mobile":null,"new":false,"token":"eyJ.t.s","kycVerified":true}"#.into()),
        ("otp_sent", 200, false, r#"{"txnId":"b7ffebe2-4b8c-4a1a-9d9e-0f1c2a3b4c5d","message":"OTP sent to Aadhaar registered mobile number ending with ******0161"}"#.into()),
        ("found", 200, false, r#"{"healthIdNumber":"91-6285-4575-5116","abhaAddress":"sita.devi@sbx","authMethods":["AADHAAR_OTP"],"blockedAuthMethods":[],"status":"ACTIVE","fullName":"Sita Devi","mobile":"******0161"}"#.into()),
        ("lgd_snapshot", 200, false, LGD_SNAPSHOT.into()),
        ("lgd_strings", 200, false, r#"[{"stateCode":"1","stateName":"JAMMU AND KASHMIR","districts":[{"code":5,"name":"JAMMU","subdistricts":[{"code":"27","name":"Akhnoor"}]}]}]"#.into()),
        ("certificate", 200, false, format!(r#"{{"publicKey":"{der_b64}","encryptionAlgorithm":"RSA/ECB/OAEPWithSHA-1AndMGF1Padding"}}"#)),
        ("certificate_pem", 200, false, PUBLIC_PEM.into()),
        ("demo_birth", 200, false, "1991-10-22".into()),
    ];
    for (name, status, session, body) in bodies {
        seed(out, T, name, input(status, session, body.as_bytes()));
    }
}

fn enrol_seeds(out: &mut Vec<Seed>) -> Result<(), String> {
    const T: &str = "enrol_qr";
    let pin = "3f".repeat(32);
    let colons: Vec<String> = pin
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect();
    let texts: Vec<(&str, String)> = vec![
        // What the hub's `qr_payload` writes.
        (
            "qr_https",
            json!({"v": 1, "hub": "https://192.168.1.10:8443", "pin": pin, "code": "ZKKHD-6X0W8"})
                .to_string(),
        ),
        (
            "qr_loopback",
            json!({"v": 1, "hub": "http://127.0.0.1:8080", "pin": null, "code": "7M2QX-KD81P"})
                .to_string(),
        ),
        (
            "qr_state_hub",
            json!({"v": 1, "hub": "https://hub.example.org", "code": "ZKKHD-6X0W8"}).to_string(),
        ),
        (
            "qr_plain_remote",
            json!({"v": 1, "hub": "http://192.168.1.5:8080", "pin": pin, "code": "ZKKHD-6X0W8"})
                .to_string(),
        ),
        ("code_typed", "ZKKHD-6X0W8".into()),
        ("pin_hex", pin.clone()),
        ("pin_colons", colons.join(":")),
        ("url_ipv6", "http://[::1]:8080".into()),
        ("url_localhost", "http://localhost:8080/".into()),
    ];
    for (name, t) in texts {
        seed(out, T, name, t.into_bytes());
    }
    let reply = EnrolReply {
        device_id: "dev_01JDX3".into(),
        token: "t0k3n-shown-once".into(),
        role: "tablet".into(),
        hub_replica: replica(0x7f_0000_0001)?,
        villages: vec![VillageId::from_lgd(900_101), VillageId::from_lgd(900_102)],
        token_key: "0123456789abcdef".repeat(4),
        sealing_key_pem: PUBLIC_PEM.into(),
        slip_key: Some("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".into()),
    };
    seed(
        out,
        T,
        "enrol_reply",
        serde_json::to_vec(&reply).map_err(err)?,
    );
    let request = EnrolRequest {
        code: "ZKKHD-6X0W8".into(),
        replica: replica(0x1a_2b3c_4d5e)?,
        app_version: "0.1.0".into(),
        label: Some("tablet-07".into()),
    };
    seed(
        out,
        T,
        "enrol_request",
        serde_json::to_vec(&request).map_err(err)?,
    );
    let refusal = ErrorBody {
        code: "auth.unauthenticated".into(),
        message: "unknown or expired enrolment code".into(),
    };
    seed(
        out,
        T,
        "error_body",
        serde_json::to_vec(&refusal).map_err(err)?,
    );
    Ok(())
}

/// The ABHA QR samples of abdm.md section 3 verbatim, the shapes the parser is lenient about,
/// things the camera sees that are not ABHA codes, and household slips.
fn qr_seeds(out: &mut Vec<Seed>) {
    const T: &str = "abha_qr";
    let texts: Vec<(&str, String)> = vec![
        (
            "card",
            r#"{"hidn":"15-3638-0684-6247","hid":"kiranma@abdm","name":"…","gender":"M","statelgd":"29","distlgd":"-",
   "dob":"xx/9/19xx","state name":"Karnataka","district_name":"Bengaluru","mobile":"984x1x2x6x",
   "address":"C/O father name # door no, as from the KYC document"}"#
                .into(),
        ),
        (
            "app",
            r#"{"hidn":"42-7175-8604-4553","phr":"kiranma@sbx","name":"…","gender":"M","statelgd":"4","distlgd":"44",
   "dob":"xx-9-19xx","address":"As declared by the user"}"#
                .into(),
        ),
        (
            "simple_ndhm",
            r#"{"hidn":"28-3222-2283-6682","hid":"mogithduraisamy@ndhm","name":"Mogith Duraisamy","gender":"M","statelgd":"34","distlgd":"600","dob":"25/6/2012","address":"Puducherry"}"#
                .into(),
        ),
        ("hidn_only", r#"{"hidn":"91-6285-4575-5116"}"#.into()),
        ("hidn_number", r#"{"hidn":91628545755116}"#.into()),
        (
            "names_as_codes",
            r#"{"hidn":"28-3222-2283-6682","statelgd":"PUDUCHERRY","distlgd":"Puducherry"}"#.into(),
        ),
        (
            "name_parts",
            r#"{"hidn":"91-6285-4575-5116","firstName":"Sita","middleName":"Rani","lastName":"Devi","yearOfBirth":"1988","gender":"F","mobile":"9876543210"}"#
                .into(),
        ),
        (
            "devanagari",
            r#"{"hid":"sita.devi@abdm","name":"सीता देवी","gender":"F","dob":"14/3/1988"}"#.into(),
        ),
        ("bare_number", "91-6285-4575-5116".into()),
        ("bare_address", "sita.devi@abdm".into()),
        (
            "facility",
            "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN2910000123&counter-id=1".into(),
        ),
        (
            "aadhaar_secure",
            // A secure QR is a decimal number of ~2 000 digits; any run over 100 is refused.
            "2374971804270526603140227848519627961538920130215".repeat(5),
        ),
        ("malformed", r#"{"hidn":"91-6285"#.into()),
        ("slip", crate::qr::seed_slip(1)),
        ("slip_other", crate::qr::seed_slip(0xfeed_0042)),
        ("slip_altered", crate::qr::seed_slip(1).replacen('A', "B", 1)),
        (
            "household_code",
            HouseholdCode::from_id(&HouseholdId::from_uuid(uuid(7))).to_string(),
        ),
    ];
    for (name, t) in texts {
        seed(out, T, name, t.into_bytes());
    }
}
