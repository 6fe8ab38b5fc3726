//! Coverage against targets, the enrolment funnel and their SVG charts, on a real hub store file:
//! counts checked against the household and member views of the store, area scoping, the
//! all-or-nothing target import, and well-formed, escaped SVG.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use abha_core::ids::{EnrollmentId, HouseholdId, MemberId, VillageId, WorkerId};
use abha_core::model::{
    ConsentDraft, ConsentMethod, EnrollmentState, GivenBy, HouseholdDraft, HouseholdForm, LgdCodes,
    MemberDraft, NewEnrollment, Route, Village,
};
use abha_core::store::Store;
use abha_hub::review::coverage::{
    self, Coverage, Funnel, Stage, TargetImport, TargetLineError, VillageCoverage,
};
use abha_hub::review::{Area, Reach, svg};
use abha_hub::{Hub, HubConfig, TlsMode};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn open_hub(dir: &Path) -> Hub {
    Hub::open(HubConfig {
        data_dir: dir.to_path_buf(),
        tls: TlsMode::Off,
        demo_keys: true,
        ..HubConfig::default()
    })
    .unwrap()
}

fn village(district: u32, code: u32, name: &str) -> Village {
    Village {
        id: VillageId::from_lgd(code),
        lgd: LgdCodes {
            state: 1,
            district,
            subdistrict: 11,
            village: code,
        },
        name: name.into(),
    }
}

/// Villages of two districts (2 and 13), one of them with a name that needs escaping.
const TRICKY: &str = r#"Ka<&">li's"#;
fn put_villages(store: &Store) -> Vec<Village> {
    let vs = vec![
        village(2, 900_101, "Khag"),
        village(2, 900_102, "बीरवाह"),
        village(2, 900_103, "چاڈورہ"),
        village(13, 900_201, "Harwan"),
        village(13, 900_202, TRICKY),
    ];
    for v in &vs {
        store.put_village(v).unwrap();
    }
    vs
}

/// A member as the tests describe it.
#[derive(Clone, Copy, Default)]
struct Person {
    existing_abha: bool,
    consent: bool,
    /// A request, and the state ABDM (or the hub) moved it to.
    request: Option<EnrollmentState>,
}

const NONE: Person = Person {
    existing_abha: false,
    consent: false,
    request: None,
};

/// Creates a household of `people` in `village` and drives each member to its stage.
fn household(store: &Store, village: u32, people: &[Person]) -> (HouseholdId, Vec<MemberId>) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(village)),
            address: "Mohalla 3".into(),
            ..Default::default()
        },
        members: people
            .iter()
            .enumerate()
            .map(|(i, p)| MemberDraft {
                given_name: "Sita".into(),
                gender: "F".into(),
                birth_date: format!("{}", 1960 + i),
                relation: (if i == 0 { "head" } else { "daughter" }).into(),
                abha_number: p
                    .existing_abha
                    .then(|| abha_core::demo::abha_number(u64::from(village) * 100 + i as u64)),
                ..Default::default()
            })
            .collect(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form.check(today).unwrap().value.seal(None, None).unwrap();
    let hh = store.create_household(&new).unwrap();
    let mut ids = Vec::new();
    for (m, p) in new.members.iter().zip(people) {
        ids.push(m.id);
        if !p.consent && p.request.is_none() {
            continue;
        }
        let consent = ConsentDraft {
            member_id: m.id,
            version: "1.4".into(),
            language: "en".into(),
            given_by: GivenBy::Beneficiary,
            guardian_name: None,
            method: ConsentMethod::Checkbox,
            operator_id: WorkerId::new(),
            text_shown: "Test consent text".into(),
        }
        .validate()
        .unwrap();
        let consent_id = store.record_consent(&consent).unwrap();
        if let Some(state) = p.request {
            let e = store
                .request_enrollment(
                    &NewEnrollment {
                        id: EnrollmentId::new(),
                        member_id: m.id,
                        route: Route::DemoAuth,
                        consent_id,
                        attempt_of: None,
                    },
                    None,
                )
                .unwrap();
            if !matches!(state, EnrollmentState::Captured) {
                store
                    .record_enrollment_outcome(e, m.id, state, None, None, None)
                    .unwrap();
            }
        }
    }
    (hh, ids)
}

/// The funnel stage index (0 = member ... 5 = has an ABHA) of one member, worked out from the
/// store's member and request views, not from the coverage SQL.
fn stage_of(store: &Store, m: &abha_core::model::Member) -> usize {
    if m.abha_number.as_deref().is_some_and(|s| !s.is_empty())
        || m.abha_address.as_deref().is_some_and(|s| !s.is_empty())
    {
        return 5;
    }
    let mut stage = 0;
    let consented: bool = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM consents WHERE member_id = ?1 AND deleted = 0)",
                [m.id.as_bytes()],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    if consented {
        stage = 1;
    }
    for e in store.enrollments_of(m.id).unwrap() {
        let s = match e.state.as_deref() {
            Some("created" | "linked") => 5,
            Some("needs_correction" | "rejected") => 4,
            Some("received" | "submitting" | "retry_later") => 3,
            _ => 2,
        };
        stage = stage.max(s);
    }
    stage
}

/// What coverage must say for one village, computed from the household list and details.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Expected {
    households: u64,
    members: u64,
    stages: [u64; 6],
}

fn expected(store: &Store, village: VillageId) -> Expected {
    let mut e = Expected::default();
    for h in store.list_households(Some(village), u32::MAX, 0).unwrap() {
        e.households += 1;
        let detail = store.household(h.id).unwrap();
        assert_eq!(detail.members.len() as u32, h.member_count);
        for m in &detail.members {
            e.members += 1;
            let s = stage_of(store, m);
            for (i, n) in e.stages.iter_mut().enumerate() {
                if s >= i {
                    *n += 1;
                }
            }
        }
    }
    e
}

fn funnel_counts(f: &Funnel) -> [u64; 6] {
    f.stages().map(|(_, n)| n)
}

fn assert_matches_store(store: &Store, cov: &Coverage) {
    let mut sum = [0u64; 6];
    for v in &cov.villages {
        let e = expected(store, v.village_id);
        assert_eq!(
            v.households, e.households,
            "households of {}",
            v.village_code
        );
        assert_eq!(v.members, e.members, "members of {}", v.village_code);
        assert_eq!(
            funnel_counts(&v.funnel),
            e.stages,
            "funnel of {}",
            v.village_code
        );
        assert_eq!(v.with_abha, e.stages[5]);
        for (s, n) in sum.iter_mut().zip(e.stages) {
            *s += n;
        }
    }
    assert_eq!(funnel_counts(&cov.funnel), sum);
    assert_eq!(cov.total.members, sum[0]);
    assert_eq!(cov.total.with_abha, sum[5]);
    assert_non_increasing(&cov.funnel);
}

fn assert_non_increasing(f: &Funnel) {
    let c = funnel_counts(f);
    for w in c.windows(2) {
        assert!(w[0] >= w[1], "funnel increases: {c:?}");
    }
}

fn by_code(cov: &Coverage) -> BTreeMap<u32, &VillageCoverage> {
    cov.villages.iter().map(|v| (v.village_code, v)).collect()
}

fn targets_in_table(store: &Store) -> BTreeMap<u32, (i64, String)> {
    store
        .read(|c| {
            let mut st = c.prepare("SELECT village_code, target, imported_by FROM hub_targets")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap()
}

fn codes(r: &TargetImport) -> Vec<(u64, &'static str, &'static str)> {
    r.errors
        .iter()
        .map(|TargetLineError { line, field, code }| (*line, *field, *code))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A tiny XML well-formedness check (no XML crate is a dependency of the hub)
// ---------------------------------------------------------------------------------------------

fn check_entities(s: &str) -> Result<(), String> {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or_else(|| format!("bare & in {s:?}"))?;
        let name = &after[..end];
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || (name.starts_with("#x")
                && name.len() > 2
                && name[2..].chars().all(|c| c.is_ascii_hexdigit()))
            || (name.starts_with('#')
                && name.len() > 1
                && name[1..].chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(format!("unknown entity &{name}; in {s:?}"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// Checks that `doc` is one well-formed element (balanced tags, quoted unique attributes,
/// escaped text); returns the element names in document order.
fn well_formed(doc: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc;
    let mut roots = 0;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !stack.is_empty() || !rest.trim().is_empty() {
                return Err(format!("text outside the root or unclosed: {rest:?}"));
            }
            break;
        };
        let text = &rest[..lt];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if text.contains("]]>") {
            return Err("]]> in text".into());
        }
        check_entities(text)?;
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("unclosed comment")?;
            rest = &r[end + 3..];
            continue;
        }
        // A tag: find its end outside quoted values.
        let mut quote: Option<char> = None;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some(_), '<') => return Err(format!("< in attribute value: {rest:.60}")),
                (None, '<') => return Err(format!("< inside a tag: {rest:.60}")),
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or_else(|| format!("stray </{name}>"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad element name {name:?}"));
        }
        // Attributes: name="value" pairs, unique.
        let mut attrs = tag[name_end..].trim();
        let mut seen = BTreeSet::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("attribute without value: {attrs}"))?;
            let an = attrs[..eq].trim();
            if an.is_empty()
                || !an
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '_'))
            {
                return Err(format!("bad attribute name {an:?}"));
            }
            if !seen.insert(an.to_owned()) {
                return Err(format!("duplicate attribute {an}"));
            }
            let v = attrs[eq + 1..].trim_start();
            let q = v.chars().next().ok_or("missing value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted value of {an}"));
            }
            let close = v[1..].find(q).ok_or("unclosed value")?;
            check_entities(&v[1..1 + close])?;
            attrs = v[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.to_owned());
        if !empty {
            stack.push(name.to_owned());
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(names)
}

fn assert_offline_svg(doc: &str) {
    let names = well_formed(doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    assert_eq!(names.first().map(String::as_str), Some("svg"));
    assert!(names.iter().any(|n| n == "title") && names.iter().any(|n| n == "desc"));
    assert!(doc.contains(r#"role="img""#));
    let lower = doc.to_lowercase();
    for banned in [
        "<script",
        "href",
        "@import",
        "url(http",
        "<foreignobject",
        "onload",
        "<image",
    ] {
        assert!(!lower.contains(banned), "{banned} in chart");
    }
}

fn svg_height(doc: &str) -> u32 {
    let i = doc.find(" height=\"").unwrap() + 9;
    doc[i..i + doc[i..].find('"').unwrap()].parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn test_coverage_counts_households_members_and_abhas_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(dir.path());
    let store = hub.sqlite().unwrap();
    put_villages(store);
    use EnrollmentState as S;
    let abha = Person {
        existing_abha: true,
        ..NONE
    };
    let consent = Person {
        consent: true,
        ..NONE
    };
    let req = |s| Person {
        consent: true,
        request: Some(s),
        ..NONE
    };
    // Khag: 2 households, 6 members.
    household(store, 900_101, &[abha, consent, req(S::Captured)]);
    household(
        store,
        900_101,
        &[req(S::Received), req(S::NeedsCorrection), req(S::Created)],
    );
    // बीरवाह: one household; one member gets deleted, one household whose members stay live is
    // deleted (neither counts).
    let (_, ms) = household(store, 900_102, &[req(S::Linked), NONE, req(S::Rejected)]);
    store.delete_member(ms[1]).unwrap();
    let (gone, _) = household(store, 900_102, &[abha, abha]);
    store.delete_household(gone).unwrap();
    // چاڈورہ: nothing. Harwan: 1 household with an existing ABHA and a request retrying.
    household(
        store,
        900_201,
        &[abha, req(S::RetryLater), req(S::Submitting)],
    );
    // The tricky name: one household, one member.
    household(store, 900_202, &[NONE]);

    let all = Area::resolve(store, &Reach::All).unwrap();
    let r = coverage::import_targets(
        store,
        &all,
        "village_code,target\n900101,4\n900102,1\n900201,0\n",
        "tester",
    )
    .unwrap();
    assert!(r.errors.is_empty(), "{r:?}");
    let cov = coverage::coverage(store, &all).unwrap();
    assert_matches_store(store, &cov);
    let v = by_code(&cov);
    assert_eq!(v.len(), 5);

    let khag = v[&900_101];
    assert_eq!((khag.households, khag.members, khag.with_abha), (2, 6, 2));
    assert_eq!(funnel_counts(&khag.funnel), [6, 6, 5, 4, 3, 2]);
    assert_eq!(khag.target, Some(4));
    assert_eq!(khag.percent, Some(50.0));
    assert_eq!(khag.district_code, 2);
    assert_eq!(khag.state_code, 1);
    assert_eq!(khag.name, "Khag");

    let beerwah = v[&900_102];
    assert_eq!(
        (beerwah.households, beerwah.members, beerwah.with_abha),
        (1, 2, 1)
    );
    assert_eq!(funnel_counts(&beerwah.funnel), [2, 2, 2, 2, 2, 1]);
    assert_eq!(beerwah.percent, Some(100.0));

    let chadoora = v[&900_103];
    assert_eq!(
        (chadoora.households, chadoora.members, chadoora.with_abha),
        (0, 0, 0)
    );
    assert_eq!((chadoora.target, chadoora.percent), (None, None));

    let harwan = v[&900_201];
    assert_eq!(
        (harwan.households, harwan.members, harwan.with_abha),
        (1, 3, 1)
    );
    assert_eq!(funnel_counts(&harwan.funnel), [3, 3, 3, 3, 1, 1]);
    assert_eq!(harwan.target, Some(0));
    assert_eq!(harwan.percent, None, "no percent of a zero target");

    let tricky = v[&900_202];
    assert_eq!(
        (tricky.members, tricky.with_abha, tricky.target),
        (1, 0, None)
    );
    assert_eq!(tricky.name, TRICKY);

    // Area totals and the funnel.
    assert_eq!(cov.total.villages, 5);
    assert_eq!(cov.total.villages_with_target, 3);
    assert_eq!(cov.total.households, 5);
    assert_eq!(cov.total.members, 12);
    assert_eq!(cov.total.with_abha, 4);
    assert_eq!(cov.total.target, Some(5));
    assert_eq!(cov.total.with_abha_in_targeted, 4);
    assert_eq!(cov.total.percent, Some(80.0));
    assert_eq!(funnel_counts(&cov.funnel), [12, 11, 10, 9, 6, 4]);
    assert_eq!(cov.funnel.count(Stage::AtHub), 9);

    // Districts: Budgam (2) then Srinagar (13), named from the bundled LGD snapshot; villages
    // sorted by district then name.
    assert_eq!(cov.districts.len(), 2);
    let (d2, d13) = (&cov.districts[0], &cov.districts[1]);
    assert_eq!((d2.district_code, d2.district_name.as_str()), (2, "BUDGAM"));
    assert_eq!(
        (d13.district_code, d13.district_name.as_str()),
        (13, "SRINAGAR")
    );
    assert_eq!(
        (d2.totals.villages, d2.totals.members, d2.totals.with_abha),
        (3, 8, 3)
    );
    assert_eq!((d2.totals.target, d2.totals.percent), (Some(5), Some(60.0)));
    assert_eq!(
        (
            d13.totals.villages,
            d13.totals.members,
            d13.totals.with_abha
        ),
        (2, 4, 1)
    );
    assert_eq!(d13.totals.target, Some(0));
    let order: Vec<u32> = cov.villages.iter().map(|v| v.village_code).collect();
    let mut sorted = cov.villages.clone();
    sorted.sort_by(|a, b| (&a.district_name, &a.name).cmp(&(&b.district_name, &b.name)));
    assert_eq!(
        order,
        sorted.iter().map(|v| v.village_code).collect::<Vec<_>>()
    );
    assert_eq!(
        &order[..3],
        &[900_101, 900_103, 900_102],
        "Latin, Arabic, Devanagari"
    );

    // The JSON the API returns.
    let json = serde_json::to_value(&cov).unwrap();
    assert_eq!(json["total"]["with_abha"], 4);
    assert_eq!(json["funnel"]["at_hub"], 9);
    assert_eq!(json["districts"][0]["district_name"], "BUDGAM");
    assert_eq!(json["districts"][0]["members"], 8);
    assert!(json["villages"][1]["target"].is_null());

    // A district name from the hub's own LGD master wins over the snapshot.
    store
        .put_regions(&[abha_core::model::Region {
            level: abha_core::model::RegionLevel::District,
            code: 13,
            parent_code: 1,
            name: "Srinagar".into(),
        }])
        .unwrap();
    let cov = coverage::coverage(store, &all).unwrap();
    assert_eq!(cov.districts[1].district_name, "Srinagar");
    // ... and a district nobody knows is shown by its code.
    store
        .put_village(&village(777, 900_777, "Nowhere"))
        .unwrap();
    let all = Area::resolve(store, &Reach::All).unwrap();
    let cov = coverage::coverage(store, &all).unwrap();
    let nowhere = by_code(&cov)[&900_777];
    assert_eq!(nowhere.district_name, "777");
    assert_eq!(cov.districts.len(), 3);
}

#[tokio::test]
async fn test_demo_camp_coverage_matches_the_store_and_stays_in_its_area() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(dir.path());
    let summary = abha_hub::demo::seed(hub.sqlite().unwrap(), &hub.keys, dir.path(), 60)
        .await
        .unwrap();
    let store = hub.sqlite().unwrap();
    let all = Area::resolve(store, &Reach::All).unwrap();
    let cov = coverage::coverage(store, &all).unwrap();
    assert_matches_store(store, &cov);
    assert_eq!(cov.total.households, summary.households as u64);
    assert_eq!(cov.total.members, summary.members as u64);
    assert!(
        cov.funnel.consented > 0 && cov.funnel.requested > 0,
        "{:?}",
        cov.funnel
    );
    assert!(
        cov.total.with_abha > 0,
        "demo members with an ABHA on record"
    );

    // One district's area sees only its villages and its counts.
    let budgam = Area::resolve(store, &Reach::Districts([2].into())).unwrap();
    let srinagar = Area::resolve(store, &Reach::Districts([13].into())).unwrap();
    let b = coverage::coverage(store, &budgam).unwrap();
    let s = coverage::coverage(store, &srinagar).unwrap();
    assert_matches_store(store, &b);
    assert!(b.villages.iter().all(|v| v.district_code == 2));
    assert!(s.villages.iter().all(|v| v.district_code == 13));
    assert_eq!(b.villages.len(), 3);
    assert_eq!(s.villages.len(), 2);
    assert_eq!(b.districts.len(), 1);
    assert_eq!(b.districts[0].district_code, 2);
    let exp_b: u64 = [900_101, 900_102, 900_103]
        .iter()
        .map(|c| expected(store, VillageId::from_lgd(*c)).members)
        .sum();
    assert_eq!(b.total.members, exp_b);
    assert!(exp_b > 0 && exp_b < cov.total.members);
    assert_eq!(b.total.members + s.total.members, cov.total.members);
    assert_eq!(
        b.total.households + s.total.households,
        cov.total.households
    );
    assert_eq!(b.total.with_abha + s.total.with_abha, cov.total.with_abha);
    for (x, y, z) in itertools(&b.funnel, &s.funnel, &cov.funnel) {
        assert_eq!(x + y, z);
    }
    // The charts of one district never name another district's villages.
    let chart = svg::coverage_chart(&b);
    assert_offline_svg(&chart);
    for v in &s.villages {
        assert!(!chart.contains(&svg::escape(&v.name)), "{} leaked", v.name);
    }
    assert_offline_svg(&svg::funnel_chart(&cov.funnel));

    // A village scope (an API token) narrows further; an empty area sees nothing.
    let one = Area::resolve(
        store,
        &Reach::Villages([VillageId::from_lgd(900_201)].into()),
    )
    .unwrap();
    let o = coverage::coverage(store, &one).unwrap();
    assert_eq!(o.villages.len(), 1);
    assert_eq!(
        o.total.members,
        expected(store, VillageId::from_lgd(900_201)).members
    );
    let none = coverage::coverage(store, &Area::of([])).unwrap();
    assert!(none.villages.is_empty() && none.districts.is_empty());
    assert_eq!(none.funnel, Funnel::default());
    assert_offline_svg(&svg::coverage_chart(&none));
    assert_offline_svg(&svg::funnel_chart(&none.funnel));
}

fn itertools(a: &Funnel, b: &Funnel, c: &Funnel) -> Vec<(u64, u64, u64)> {
    Stage::ALL
        .iter()
        .map(|s| (a.count(*s), b.count(*s), c.count(*s)))
        .collect()
}

#[test]
fn test_target_import_is_all_or_nothing_scoped_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(dir.path());
    let store = hub.sqlite().unwrap();
    put_villages(store);
    let budgam = Area::resolve(store, &Reach::Districts([2].into())).unwrap();

    // BOM, upper-case header in another order, an extra column, blank lines, spaces.
    let csv = "\u{feff}Name,TARGET,Village_Code\r\nKhag, 120 ,900101\r\n\r\n\"Beer, wah\",80,900102\n,,\n";
    let r = coverage::import_targets(store, &budgam, csv, "supervisor-1").unwrap();
    assert_eq!(
        r,
        TargetImport {
            lines: 2,
            imported: 2,
            replaced: 0,
            errors: vec![],
        }
    );
    let t = targets_in_table(store);
    assert_eq!(t.len(), 2);
    assert_eq!(t[&900_101], (120, "supervisor-1".to_owned()));
    assert_eq!(t[&900_102].0, 80);
    let cov = coverage::coverage(store, &budgam).unwrap();
    assert_eq!(by_code(&cov)[&900_101].target, Some(120));
    assert!(by_code(&cov)[&900_101].target_imported_at.is_some());

    // Re-importing replaces that village's target and leaves the others.
    let r = coverage::import_targets(store, &budgam, "village_code,target\n900101,150\n", "sup-2")
        .unwrap();
    assert_eq!((r.imported, r.replaced, r.errors.len()), (1, 1, 0));
    let again =
        coverage::import_targets(store, &budgam, "village_code,target\n900101,150\n", "sup-2")
            .unwrap();
    assert_eq!((again.imported, again.replaced), (1, 1));
    let t = targets_in_table(store);
    assert_eq!(t.len(), 2);
    assert_eq!(t[&900_101], (150, "sup-2".to_owned()));
    assert_eq!(t[&900_102], (80, "supervisor-1".to_owned()));

    // Every wrong line is reported, nothing is stored. A village of another district is
    // reported exactly like one that does not exist.
    let bad = "village_code,target\n\
               900103,10\n\
               900201,10\n\
               999999,10\n\
               900101,abc\n\
               \n\
               900102,-1\n\
               900103,10000001\n\
               900103,12.5\n\
               ,5\n\
               900101,10000000\n";
    let r = coverage::import_targets(store, &budgam, bad, "sup-3").unwrap();
    assert_eq!(r.imported, 0);
    assert_eq!(r.lines, 9);
    assert_eq!(
        codes(&r),
        vec![
            (3, "village_code", "target.village_unknown"),
            (4, "village_code", "target.village_unknown"),
            (5, "target", "target.not_a_number"),
            (7, "target", "target.out_of_range"),
            (8, "village_code", "target.duplicate"),
            (8, "target", "target.out_of_range"),
            (9, "village_code", "target.duplicate"),
            (9, "target", "target.not_a_number"),
            (10, "village_code", "target.village_unknown"),
            (11, "village_code", "target.duplicate"),
        ]
    );
    assert_eq!(targets_in_table(store), t, "nothing stored");
    // The report serialises (the API returns it and the audit log keeps it).
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["errors"][0]["code"], "target.village_unknown");
    assert_eq!(json["errors"][0]["line"], 3);

    // Missing columns, an empty file and a header alone are refused too.
    let r = coverage::import_targets(store, &budgam, "village,people\n900101,5\n", "x").unwrap();
    assert_eq!(
        codes(&r),
        vec![
            (1, "village_code", "target.missing_column"),
            (1, "target", "target.missing_column"),
        ]
    );
    let r = coverage::import_targets(store, &budgam, "", "x").unwrap();
    assert_eq!(r.errors.len(), 2);
    let r = coverage::import_targets(store, &budgam, "village_code,target\n\n", "x").unwrap();
    assert_eq!(codes(&r), vec![(1, "csv", "target.no_rows")]);
    assert_eq!(targets_in_table(store), t);

    // Srinagar's supervisor can set Srinagar's villages, and sees only those targets.
    let srinagar = Area::resolve(store, &Reach::Districts([13].into())).unwrap();
    let r =
        coverage::import_targets(store, &srinagar, "target,village_code\n7,900201\n", "s").unwrap();
    assert!(r.errors.is_empty());
    let s = coverage::coverage(store, &srinagar).unwrap();
    assert_eq!(s.total.target, Some(7));
    let b = coverage::coverage(store, &budgam).unwrap();
    assert_eq!(b.total.target, Some(230));
}

#[test]
fn test_charts_are_well_formed_escaped_and_scale_with_villages() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub(dir.path());
    let store = hub.sqlite().unwrap();
    put_villages(store);
    household(store, 900_202, &[NONE]);
    let all = Area::resolve(store, &Reach::All).unwrap();
    coverage::import_targets(
        store,
        &all,
        "village_code,target\n900202,2\n900101,10\n",
        "t",
    )
    .unwrap();
    let cov = coverage::coverage(store, &all).unwrap();
    let chart = svg::coverage_chart(&cov);
    assert_offline_svg(&chart);
    assert!(!chart.contains(TRICKY), "raw name in chart");
    assert!(chart.contains("Ka&lt;&amp;&quot;&gt;li&apos;s"));
    // Right-to-left names are laid out as such; Devanagari is kept as is.
    assert!(chart.contains(r##"direction="rtl" text-anchor="start" fill="#222222">چاڈورہ<"##));
    assert!(chart.contains(">बीरवाह<"));
    // Villages without a target are shown distinctly and say so.
    assert!(chart.contains("url(#cov-svg-hatch)"));
    assert!(chart.contains("0 · no target"));
    assert!(chart.contains("0 / 10 · 0.0%"));
    assert!(chart.contains("0 / 2 · 0.0%"));

    let funnel = svg::funnel_chart(&cov.funnel);
    assert_offline_svg(&funnel);
    assert!(funnel.contains("Has an ABHA"));
    assert!(funnel.contains("1 · 100.0% of members"));

    // A few hundred villages: still well formed, taller, every row present.
    let mut big = Coverage::default();
    let base = cov.villages[0].clone();
    for i in 0..300u32 {
        let mut v = base.clone();
        v.village_code = 800_000 + i;
        v.name = format!("गाँव {i} <{i}>");
        v.with_abha = u64::from(i) * 7;
        v.target = (i % 3 != 0).then_some(u64::from(i) * 5);
        v.percent = v.target.and_then(|t| coverage::percent(v.with_abha, t));
        big.villages.push(v);
    }
    big.districts = cov.districts[..1].to_vec();
    for v in &mut big.villages {
        v.district_code = big.districts[0].district_code;
    }
    let big_chart = svg::coverage_chart(&big);
    assert_offline_svg(&big_chart);
    assert!(svg_height(&big_chart) > 300 * 20);
    assert!(svg_height(&big_chart) > svg_height(&chart));
    assert_eq!(big_chart.matches("<g><title>गाँव").count(), 300);
    assert!(
        big_chart.contains("2,093 / 1,495 · 140.0%"),
        "over target: 299*7 vs 299*5"
    );

    // The checker itself rejects broken markup.
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg>a & b</svg>").is_err());
    assert!(well_formed(r#"<svg a="<"/>"#).is_err());
    assert!(well_formed("<svg/><svg/>").is_err());
    assert!(well_formed(r#"<svg a="1" a="2"/>"#).is_err());
    assert!(well_formed(r#"<svg a="&amp;">&lt;<g/></svg>"#).is_ok());
}
