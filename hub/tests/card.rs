//! The printed ABHA card end to end, over real HTTP on 127.0.0.1: a tablet captures a member
//! with a Devanagari name, the hub's bridge creates the ABHA on the ABDM simulator, and the camp
//! organiser fetches the card as SVG and PNG. The PNG is decoded, its QR code read back with an
//! independent decoder (rqrr) and parsed by the tablets' own ABHA QR reader.
#![allow(clippy::unwrap_used)]

mod common;

use abha_abdm_sim::{Fault, FaultMode, Sim, SimConfig};
use abha_core::ids::{EnrollmentId, MemberId, VillageId};
use abha_core::model::{EnrollmentState, HouseholdDraft, HouseholdForm, MemberDraft};
use abha_core::qr::parse_abha_qr;
use abha_core::validate::{BirthDate, Gender};
use abha_hub::registry::Role;
use abha_hub::users;
use common::abdm::*;
use common::{RunningHub, Tablet, V1, V2};
use reqwest::StatusCode;
use resvg::usvg::roxmltree;
use zeroize::Zeroizing;

const NAME: &str = "सुनीता देवी";

/// A member named in Devanagari, her Aadhaar sealed, and a demo-auth request.
fn capture_hindi(tablet: &Tablet, aadhaar: &str) -> (MemberId, EnrollmentId) {
    let form = HouseholdForm {
        household: HouseholdDraft {
            village_id: Some(VillageId::from_lgd(V1)),
            address: "Ward 4".into(),
            ..Default::default()
        },
        members: vec![MemberDraft {
            given_name: "सुनीता".into(),
            family_name: Some("देवी".into()),
            name_latin: Some("Sunita Devi".into()),
            gender: "F".into(),
            birth_date: "1985-12-05".into(),
            relation: "head".into(),
            mobile: Some("9876500002".into()),
            aadhaar: Some(Zeroizing::new(aadhaar.into())),
            ..Default::default()
        }],
    };
    let today = time::OffsetDateTime::now_utc().date();
    let new = form.check(today).unwrap().value;
    let new = new.seal(Some(&sealer()), None).unwrap();
    let member = new.members[0].id;
    tablet.store.create_household(&new).unwrap();
    (member, request(&tablet.store, member))
}

async fn get(hub: &RunningHub, path: &str, auth: Option<(&str, &str)>) -> reqwest::Response {
    let mut r = common::http_client().get(format!("{}{path}", hub.url));
    if let Some((name, value)) = auth {
        r = r.header(name, value);
    }
    r.send().await.unwrap()
}

async fn error_code(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Signs in through the dashboard form; returns the session cookie.
async fn sign_in(hub: &RunningHub, user: &str, password: &str) -> String {
    let http = common::http_client();
    let r = http
        .get(format!("{}/dash/login", hub.url))
        .send()
        .await
        .unwrap();
    let cookie_of = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .unwrap()
    };
    let login = cookie_of(&r, "abha_login");
    let html = r.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    let r = http
        .post(format!("{}/dash/login", hub.url))
        .header("cookie", login)
        .form(&[("username", user), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookie_of(&r, "abha_session")
}

fn luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_organiser_prints_the_card_of_a_created_abha_as_svg_and_png() {
    let sim = Sim::start(SimConfig {
        accept_unknown: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (dir, hub, tablet) = camp(&sim).await;
    let (member, e) = capture_hindi(&tablet, &abha_core::demo::aadhaar(21));
    tablet.sync().await;
    wait_for(hub.store(), member, e, EnrollmentState::Created).await;
    let held = hub.store().member(member).unwrap();
    let number = held.abha_number.clone().unwrap();
    let number: abha_core::validate::AbhaNumber = number.parse().unwrap();
    let address = held.abha_address.clone().unwrap();
    let organiser = format!("Bearer {}", hub.token(Role::Organiser));
    let auth = Some(("authorization", organiser.as_str()));

    // SVG: well-formed, with the number as ABHA cards print it and the name as recorded.
    let r = get(&hub, &format!("/v1/abdm/enrollments/{e}/card.svg"), auth).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let svg = r.text().await.unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(texts.contains(&number.as_str()), "{texts:?}");
    assert!(number.as_str().len() == 17 && number.as_str().matches('-').count() == 3);
    for want in [
        NAME,
        "Sunita Devi",
        address.as_str(),
        "Female",
        "05-12-1985",
    ] {
        assert!(texts.contains(&want), "{want} missing from {texts:?}");
    }
    assert!(texts.contains(&"ABHA (Ayushman Bharat Health Account)"));

    // PNG: the card's size, not blank, the Devanagari name drawn, the QR code readable.
    let r = get(&hub, &format!("/v1/abdm/enrollments/{e}/card.png"), auth).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let bytes = r.bytes().await.unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((frame.width, frame.height), (1011, 638));
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    let grey = luma(&rgb[..frame.buffer_size()]);
    let mean = grey.iter().map(|v| f64::from(*v)).sum::<f64>() / grey.len() as f64;
    let var = grey
        .iter()
        .map(|v| (f64::from(*v) - mean).powi(2))
        .sum::<f64>()
        / grey.len() as f64;
    assert!(var > 1000.0, "a blank card: variance {var}");
    // The name line (x 40..600, y 120..180) holds ink: the Devanagari glyphs were drawn.
    let ink = (120..180)
        .flat_map(|y| (40..600).map(move |x| (x, y)))
        .filter(|(x, y)| grey[y * 1011 + x] < 100)
        .count();
    assert!(ink > 2000, "name line nearly empty: {ink} dark pixels");
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(1011, 638, |x, y| grey[y * 1011 + x]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the card");
    let (_, content) = grids[0].decode().unwrap();
    let scanned = parse_abha_qr(&content).unwrap();
    assert_eq!(scanned.abha_number.as_ref(), Some(&number));
    assert_eq!(scanned.abha_address.unwrap().to_string(), address);
    assert_eq!(scanned.name.as_deref(), Some(NAME));
    assert_eq!(scanned.gender, Some(Gender::Female));
    assert_eq!(scanned.birth_date, BirthDate::parse_canonical("1985-12-05"));
    assert!(scanned.mobile.is_none(), "no mobile on a printed card");
    let json: serde_json::Value = serde_json::from_str(&content).unwrap();
    assert_eq!(json["dob"], "5/12/1985");
    assert!(json.get("hid").is_some() && json.get("statelgd").is_some());

    // Both were audited, by opaque ids only.
    let log = abha_hub::audit::list(hub.store(), None, 10).unwrap();
    let prints: Vec<_> = log.iter().filter(|x| x.action == "card.print").collect();
    assert_eq!(prints.len(), 2);
    assert_eq!(prints[0].subject.as_deref(), Some(e.to_string().as_str()));
    let detail = prints[0].detail.as_ref().unwrap().to_string();
    assert!(!detail.contains("Sunita") && !detail.contains(&number.digits()));

    // The command line writes the same card, by member id.
    let out = dir.path().join("card.svg");
    let id = abha_hub::card::write_file(
        hub.store(),
        dir.path(),
        abha_hub::card::Subject::Member(member),
        abha_hub::card::Format::Svg,
        &out,
    )
    .unwrap();
    assert_eq!(id, e);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), svg);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the card file is owner-only");
    }
    hub.stop().await;

    // And the `abha-hub card` command, once the server is gone.
    let png_out = dir.path().join("card.png");
    let data = dir.path().to_string_lossy().into_owned();
    let (m, p) = (member.to_string(), png_out.to_string_lossy().into_owned());
    let args = [
        "--data",
        &data,
        "--demo-keys",
        "card",
        "--member",
        &m,
        "--out",
        &p,
    ];
    let r = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &args, None, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(&e.to_string()), "{}", r.stdout);
    assert!(!r.stdout.contains(NAME) && !r.stderr.contains(NAME));
    let written = std::fs::read(&png_out).unwrap();
    assert!(written.starts_with(b"\x89PNG"));
    let other = EnrollmentId::new().to_string();
    let args = [
        "--data",
        &data,
        "--demo-keys",
        "card",
        "--enrollment",
        &other,
        "--out",
        &p,
    ];
    let r = abha_e2e::run(env!("CARGO_BIN_EXE_abha-hub").as_ref(), &args, None, &[]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not_found"), "{}", r.stderr);
}

/// A camp where one request got its ABHA (`done`, for `member`) and, ABDM then down, another
/// waits without one (`waiting`, for `other`). `n` picks the demo Aadhaar numbers (n and n + 1).
struct DoneAndWaiting {
    _sim: abha_abdm_sim::SimHandle,
    _dir: tempfile::TempDir,
    hub: RunningHub,
    tablet: Tablet,
    member: MemberId,
    done: EnrollmentId,
    other: MemberId,
    waiting: EnrollmentId,
}

async fn done_and_waiting(n: u64) -> DoneAndWaiting {
    let sim = Sim::start(SimConfig {
        accept_unknown: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (dir, hub, tablet) = camp(&sim).await;
    let (member, done) = capture_hindi(&tablet, &abha_core::demo::aadhaar(n));
    tablet.sync().await;
    wait_for(hub.store(), member, done, EnrollmentState::Created).await;
    // ABDM is down for the next one: it waits, with no ABHA.
    sim.set_fault(Fault::new(FaultMode::Unavailable));
    let (other, waiting) = capture_hindi(&tablet, &abha_core::demo::aadhaar(n + 1));
    tablet.sync().await;
    wait_for(hub.store(), other, waiting, EnrollmentState::RetryLater).await;
    DoneAndWaiting {
        _sim: sim,
        _dir: dir,
        hub,
        tablet,
        member,
        done,
        other,
        waiting,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_cards_are_refused_without_an_abha_or_outside_the_callers_area() {
    let DoneAndWaiting {
        _sim,
        _dir,
        hub,
        tablet,
        done,
        other,
        waiting,
        ..
    } = done_and_waiting(22).await;

    let organiser = format!("Bearer {}", hub.token(Role::Organiser));
    let org = Some(("authorization", organiser.as_str()));
    let card = |id: &EnrollmentId, ext: &str| format!("/v1/abdm/enrollments/{id}/card.{ext}");
    for ext in ["svg", "png"] {
        let r = get(&hub, &card(&waiting, ext), org).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::CONFLICT, "card.not_created".into())
        );
        let r = get(&hub, &card(&EnrollmentId::new(), ext), org).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
        // No credentials, a worker's token, an unknown token.
        let r = get(&hub, &card(&done, ext), None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let worker = format!("Bearer {}", tablet.token);
        let r = get(
            &hub,
            &card(&done, ext),
            Some(("authorization", worker.as_str())),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = get(
            &hub,
            &card(&done, ext),
            Some(("authorization", "Bearer nope")),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = get(&hub, "/v1/abdm/enrollments/not-a-uuid/card.png", org).await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::BAD_REQUEST, "id.format".into())
    );

    // An organiser of another village does not learn that the card exists.
    let (_, other_token) = hub
        .storage
        .create_device(Role::Organiser, &[VillageId::from_lgd(V2)], None, None)
        .unwrap();
    let elsewhere = format!("Bearer {other_token}");
    let r = get(
        &hub,
        &card(&done, "png"),
        Some(("authorization", elsewhere.as_str())),
    )
    .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Dashboard sessions: a supervisor of the district gets it, one of another district not.
    users::create(
        hub.store(),
        "sup.budgam",
        None,
        Role::Supervisor,
        &[2],
        "pw budgam 1",
    )
    .unwrap();
    users::create(
        hub.store(),
        "sup.other",
        None,
        Role::Supervisor,
        &[13],
        "pw other 22",
    )
    .unwrap();
    let cookie = sign_in(&hub, "sup.budgam", "pw budgam 1").await;
    let r = get(&hub, &card(&done, "svg"), Some(("cookie", cookie.as_str()))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = sign_in(&hub, "sup.other", "pw other 22").await;
    let r = get(&hub, &card(&done, "svg"), Some(("cookie", cookie.as_str()))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Refusals are not audited; the one card handed out is.
    let log = abha_hub::audit::list(hub.store(), None, 50).unwrap();
    assert_eq!(log.iter().filter(|x| x.action == "card.print").count(), 1);
    // The command line refuses a member without an ABHA with the same code.
    let err = abha_hub::card::write_file(
        hub.store(),
        std::path::Path::new("."),
        abha_hub::card::Subject::Member(other),
        abha_hub::card::Format::Png,
        std::path::Path::new("never-written.png"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "card.not_created");
    assert!(!std::path::Path::new("never-written.png").exists());
    hub.stop().await;
}

/// The print desk's list: a created ABHA appears as "not yet" printed, with links to its card
/// and no name or number; once its card is opened it leaves the default list and shows as
/// printed under "all"; a request without an ABHA and a village outside the area never appear.
#[tokio::test]
async fn test_the_cards_page_lists_what_to_print_and_what_was_printed() {
    let DoneAndWaiting {
        _sim,
        _dir,
        hub,
        tablet,
        member,
        done,
        waiting,
        ..
    } = done_and_waiting(24).await;
    let number = hub.store().member(member).unwrap().abha_number.unwrap();

    users::create(
        hub.store(),
        "sup.cards",
        None,
        Role::Supervisor,
        &[2],
        "pw cards 12",
    )
    .unwrap();
    users::create(
        hub.store(),
        "sup.far",
        None,
        Role::Supervisor,
        &[13],
        "pw far 1234",
    )
    .unwrap();
    let cookie = sign_in(&hub, "sup.cards", "pw cards 12").await;
    let jar = Some(("cookie", cookie.as_str()));
    let page = |path: &'static str| {
        let hub = &hub;
        async move {
            let r = get(hub, path, jar).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let html = page("/dash/cards").await;
    assert!(
        html.contains(&format!(
            "data-enrollment=\"{done}\" data-printed=\"false\""
        )),
        "{html}"
    );
    assert!(html.contains(&format!("/v1/abdm/enrollments/{done}/card.svg")));
    assert!(
        !html.contains(&waiting.to_string()),
        "no card without an ABHA"
    );
    assert!(
        !html.contains(NAME) && !html.contains(number.as_str()),
        "no name or number"
    );

    let r = get(&hub, &format!("/v1/abdm/enrollments/{done}/card.svg"), jar).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = page("/dash/cards").await;
    assert!(
        html.contains("id=\"no-cards\""),
        "printed cards leave the default list"
    );
    let html = page("/dash/cards?show=all").await;
    assert!(html.contains(&format!("data-enrollment=\"{done}\" data-printed=\"true\"")));

    let far = sign_in(&hub, "sup.far", "pw far 1234").await;
    let r = get(&hub, "/dash/cards?show=all", Some(("cookie", far.as_str()))).await;
    assert!(
        !r.text().await.unwrap().contains(&done.to_string()),
        "outside the area"
    );
    let r = get(&hub, "/dash/cards?show=some", jar).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let worker = format!("Bearer {}", tablet.token);
    let r = get(
        &hub,
        "/dash/cards",
        Some(("authorization", worker.as_str())),
    )
    .await;
    assert_ne!(
        r.status(),
        StatusCode::OK,
        "a tablet token does not open dashboard pages"
    );
}
