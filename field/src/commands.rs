//! The CLI commands: thin shells over `abha-core`.

use std::io::BufRead as _;
use std::path::Path;

use abha_core::capture::{Capture, today_ist};
use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::{
    HouseholdDraft, HouseholdForm, LgdCodes, MemberDraft, VillageDraft, WorkerDraft,
};
use abha_core::seal::AadhaarSealer;
use abha_core::store::Store;
use abha_core::validate::{self, Issues, Kind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroizing;

use crate::home::Home;
use crate::output::{CliError, emit};

/// `init`.
pub fn init(
    dir: &Path,
    sealing_key: Option<&Path>,
    token_key: Option<&Path>,
    json: bool,
) -> Result<(), CliError> {
    let home = Home::init(dir, sealing_key, token_key)?;
    let store = home.open_store()?;
    let replica = store.replica_id();
    store.close()?;
    let out = json!({
        "ok": true,
        "home": dir,
        "replica_id": replica.to_string(),
        "sealing_key": home.config.sealing_key_source,
    });
    emit(json, &out, || {
        format!(
            "device home created in {} (replica {replica}, sealing key: {})",
            dir.display(),
            home.config.sealing_key_source
        )
    });
    Ok(())
}

/// `validate KIND VALUE`: always exit 0 for a known kind.
pub fn validate(kind: &str, value: &str, json: bool) -> Result<(), CliError> {
    let Some(k) = Kind::parse(kind) else {
        return Err(CliError::new(
            "validate.unknown_kind",
            "kind must be one of aadhaar, vid, abha-number, abha-address, mobile, pincode, hfr, hpr",
        )
        .exit(2));
    };
    let out = validate::validate_single(k, value);
    emit(json, &out, || {
        let mut s = if out.ok {
            format!("valid: {}", out.normalized.as_deref().unwrap_or(""))
        } else {
            "invalid".to_owned()
        };
        for i in out.errors.iter().chain(&out.warnings) {
            s.push_str(&format!("\n  {}: {}", i.field, i.code));
        }
        s
    });
    Ok(())
}

/// `status`: pending work, last sync per hub, open conflicts.
pub fn status(dir: &Path, json: bool) -> Result<(), CliError> {
    let home = Home::load(dir)?;
    let store = home.open_store()?;
    let pending = store.pending()?;
    let peers = store.peers()?;
    let conflicts = store.conflict_count()?;
    let last_sync = peers.iter().filter_map(|p| p.last_success_at).max();
    // Requests a supervisor sent back, with the note (decisions reach the tablet by sync).
    let sent_back: Vec<serde_json::Value> = store
        .recent_reviews(200)?
        .into_iter()
        .filter(|r| r.action.as_deref() == Some("send_back"))
        .map(|r| {
            json!({
                "enrollment_id": r.subject_id.map(|s| s.to_string()),
                "member_id": r.member_id.map(|m| m.to_string()),
                "note": r.note,
                "decided_by": r.decided_by,
                "decided_at": r.decided_at,
            })
        })
        .collect();
    let out = json!({
        "ok": true,
        "replica_id": store.replica_id().to_string(),
        "pending": pending,
        "last_sync": last_sync,
        "peers": peers,
        "conflicts": conflicts,
        "enrolled": home.hub()?.map(|h| h.url),
        "sent_back": sent_back,
    });
    emit(json, &out, || {
        let last = match last_sync {
            Some(ms) => time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            None => "never".into(),
        };
        let errors: Vec<String> = peers
            .iter()
            .filter_map(|p| p.last_error.as_ref().map(|e| format!("{}: {e}", p.peer)))
            .collect();
        format!(
            "replica {}\npending: {} changes ({} ops), {} need attention\nlast sync: {last}\nconflicts: {conflicts}\nsent back by a supervisor: {}{}",
            store.replica_id(),
            pending.changes,
            pending.ops,
            pending.wedged,
            sent_back.len(),
            if errors.is_empty() {
                String::new()
            } else {
                format!("\nlast errors: {}", errors.join("; "))
            }
        )
    });
    Ok(())
}

/// `village add`.
pub fn village_add(dir: &Path, codes: [u32; 4], name: &str, json: bool) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let [state, district, subdistrict, village] = codes;
    let v = VillageDraft {
        lgd: LgdCodes {
            state,
            district,
            subdistrict,
            village,
        },
        name: name.to_owned(),
    }
    .validate()?;
    store.put_village(&v)?;
    emit(json, &json!({"ok": true, "village": v}), || {
        format!("village {} saved", v.lgd.village)
    });
    Ok(())
}

/// `village list`.
pub fn village_list(dir: &Path, json: bool) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let vs = store.villages()?;
    emit(json, &json!({"ok": true, "villages": vs}), || {
        vs.iter()
            .map(|v| {
                format!(
                    "{:>8}  {}  (state {}, district {}, sub-district {})",
                    v.lgd.village, v.name, v.lgd.state, v.lgd.district, v.lgd.subdistrict
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// `worker add`: also becomes the device's current operator.
pub fn worker_add(
    dir: &Path,
    asha_id: String,
    name: String,
    hpr_id: Option<String>,
    json: bool,
) -> Result<(), CliError> {
    let mut home = Home::load(dir)?;
    let store = home.open_store()?;
    let w = WorkerDraft {
        asha_id,
        hpr_id,
        name,
    }
    .validate()?;
    store.add_worker(&w)?;
    home.config.worker_id = Some(w.id);
    home.save()?;
    emit(json, &json!({"ok": true, "worker_id": w.id}), || {
        format!("operator {} added and selected", w.id)
    });
    Ok(())
}

/// A household form as the CLI reads it: the village by LGD code.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormInput {
    /// LGD village code.
    pub village: Option<u32>,
    /// Address.
    pub address: String,
    /// PIN code.
    pub pincode: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Members.
    pub members: Vec<MemberDraft>,
}

/// Reads a JSON form from a file or `-` (stdin).
pub fn read_form(path: &Path) -> Result<FormInput, CliError> {
    let text = Zeroizing::new(if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(CliError::io)?
    } else {
        std::fs::read_to_string(path).map_err(CliError::io)?
    });
    serde_json::from_str(&text).map_err(|e| {
        // serde_json's message names the position and expected type, never the value.
        CliError::new(
            "input.json",
            &format!(
                "form is not valid JSON: line {}, column {}",
                e.line(),
                e.column()
            ),
        )
        .exit(3)
    })
}

/// Reads one line from stdin (an Aadhaar number), kept in wiped memory.
pub fn read_secret_line() -> Result<Zeroizing<String>, CliError> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::io)?;
    Ok(Zeroizing::new(line.trim().to_owned()))
}

/// `household add`.
pub fn household_add(dir: &Path, input: FormInput, json: bool) -> Result<(), CliError> {
    let home = Home::load(dir)?;
    let store = home.open_store()?;
    let sealer = home.sealer()?;
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: input.village.map(VillageId::from_lgd),
            address: input.address,
            pincode: input.pincode,
            lat: input.lat,
            lon: input.lon,
        },
        members: input.members,
    };
    let saved = capture(&store, &sealer, &home).save_household(&form)?;
    let code = saved.code;
    let members: Vec<String> = saved.member_ids.iter().map(ToString::to_string).collect();
    emit(
        json,
        &json!({"ok": true, "household_id": saved.id, "code": code, "member_ids": members, "warnings": saved.warnings}),
        || {
            format!(
                "household {code} added ({}), {} members",
                saved.id,
                members.len()
            )
        },
    );
    Ok(())
}

fn capture<'a>(store: &'a Store, sealer: &'a AadhaarSealer, home: &Home) -> Capture<'a> {
    Capture {
        store,
        sealer: Some(sealer),
        worker: home.config.worker_id,
        today: today_ist(),
    }
}

/// Finds a household by id or printed code.
fn resolve_household(store: &Store, key: &str) -> Result<HouseholdId, CliError> {
    if let Ok(id) = key.parse::<HouseholdId>() {
        return Ok(id);
    }
    let mut issues = Issues::new();
    let code =
        abha_core::model::HouseholdCode::parse(&mut issues, "household", key).ok_or_else(|| {
            CliError::from(validate::ValidationError {
                errors: issues.errors,
                warnings: Vec::new(),
            })
        })?;
    let found = store.households_by_code(&code.to_string())?;
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CliError::new("not_found", "no household with this code").exit(4)),
        _ => Err(CliError::new(
            "household.ambiguous_code",
            "several households share this code; use the id",
        )),
    }
}

/// `household list`.
pub fn household_list(
    dir: &Path,
    village: Option<u32>,
    limit: u32,
    json: bool,
) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let hs = store.list_households(village.map(VillageId::from_lgd), limit, 0)?;
    emit(json, &json!({"ok": true, "households": hs}), || {
        if hs.is_empty() {
            return "no households".to_owned();
        }
        hs.iter()
            .map(|h| {
                format!(
                    "{}  {}  {} members  {}",
                    h.code,
                    h.head_name.as_deref().unwrap_or("-"),
                    h.member_count,
                    h.address.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// `household show`.
pub fn household_show(dir: &Path, key: &str, json: bool) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let id = resolve_household(&store, key)?;
    let d = store.household(id)?;
    emit(
        json,
        &json!({"ok": true, "household": d.household, "members": d.members}),
        || {
            let mut s = format!(
                "household {} ({})\n  address: {}\n",
                d.household.code,
                d.household.id,
                d.household.address.as_deref().unwrap_or("")
            );
            for m in &d.members {
                s.push_str(&format!(
                    "  - {} {} {} {} {}{}\n",
                    m.given_name.as_deref().unwrap_or(""),
                    m.family_name.as_deref().unwrap_or(""),
                    m.gender.as_deref().unwrap_or(""),
                    m.birth_date.as_deref().unwrap_or(""),
                    m.relation.as_deref().unwrap_or(""),
                    m.aadhaar_masked
                        .as_deref()
                        .map(|a| format!(" aadhaar {a}"))
                        .unwrap_or_default()
                ));
            }
            s.trim_end().to_owned()
        },
    );
    Ok(())
}

/// `member add`.
pub fn member_add(
    dir: &Path,
    household: &str,
    draft: MemberDraft,
    json: bool,
) -> Result<(), CliError> {
    let home = Home::load(dir)?;
    let store = home.open_store()?;
    let hh = resolve_household(&store, household)?;
    let sealer = home.sealer()?;
    let saved = capture(&store, &sealer, &home).add_member(hh, &draft)?;
    emit(
        json,
        &json!({"ok": true, "member_id": saved.id, "household_id": hh, "warnings": saved.warnings}),
        || format!("member {} added", saved.id),
    );
    Ok(())
}

#[derive(Serialize)]
struct SearchOut<'a> {
    ok: bool,
    members: &'a [abha_core::model::Member],
}

/// `member search`.
pub fn member_search(dir: &Path, query: &str, limit: u32, json: bool) -> Result<(), CliError> {
    let store = Home::load(dir)?.open_store()?;
    let ms = store.search_members(query, limit)?;
    emit(
        json,
        &SearchOut {
            ok: true,
            members: &ms,
        },
        || {
            ms.iter()
                .map(|m| {
                    format!(
                        "{}  {} {}",
                        m.id,
                        m.given_name.as_deref().unwrap_or(""),
                        m.family_name.as_deref().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    Ok(())
}

/// `demo-capture`: made-up households, one transaction each, one JSON line each once durable.
pub fn demo_capture(dir: &Path, village: u32, count: u32, seed: u64) -> Result<(), CliError> {
    use std::io::Write as _;
    let home = Home::load(dir)?;
    let store = home.open_store()?;
    let vid = VillageId::from_lgd(village);
    if !store.villages()?.iter().any(|v| v.id == vid) {
        return Err(CliError::new("village.unknown", "the village is not on this device").exit(3));
    }
    let sealer = home.sealer()?;
    let mut rng = abha_core::demo::DemoRng::new(seed);
    let mut stdout = std::io::stdout().lock();
    for n in 0..count {
        let form =
            abha_core::demo::household(&mut rng, vid, seed.wrapping_mul(1_000_003) + u64::from(n));
        let valid = form.check(today_ist())?.value;
        let new = valid
            .seal(Some(&sealer), home.config.worker_id)
            .map_err(|e| CliError::new("seal.failed", &e.to_string()))?;
        let id = store.create_household(&new)?;
        // Printed only after the commit returned: a printed id is an acknowledged enrolment.
        let line = json!({"household_id": id, "members": new.members.len()});
        writeln!(stdout, "{line}").map_err(CliError::io)?;
        stdout.flush().map_err(CliError::io)?;
    }
    Ok(())
}
