#![allow(clippy::unwrap_used)]

use abha_core::ids::{EnrollmentId, MemberId};
use abha_core::qr::{AbhaQrVariant, parse_abha_qr};
use abha_core::validate::{BirthDate, Gender};
use resvg::usvg::roxmltree;

use super::*;

fn card(name: &str, birth: &str) -> Card {
    Card {
        enrollment: EnrollmentId::new(),
        member: MemberId::new(),
        village: None,
        abha_number: "91-6285-4575-5116".into(),
        abha_address: Some("91628545755116@sbx".into()),
        name: name.into(),
        name_latin: None,
        gender: Some("F".into()),
        birth_date: BirthDate::parse_canonical(birth),
        state: Some((1, Some("Jammu And Kashmir".into()))),
        district: Some((2, None)),
        address: Some("Ward 4, Khag, 193401".into()),
    }
}

#[test]
fn test_qr_payload_is_the_card_variant_and_our_parser_reads_it_back() {
    for (name, birth) in [
        ("Asha Devi", "1990-01-31"),
        ("सुनीता देवी", "1985-12-05"),
        ("زینب بی بی", "1979"),
    ] {
        let c = card(name, birth);
        let payload = c.qr_payload();
        let json: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(json["hidn"], "91-6285-4575-5116");
        assert_eq!(json["hid"], "91628545755116@sbx");
        assert_eq!(json["state name"], "Jammu And Kashmir");
        assert_eq!(json["statelgd"], "1");
        assert_eq!(json["distlgd"], "2");
        assert!(
            json.get("district_name").is_none(),
            "unknown names left out"
        );
        assert!(json.get("mobile").is_none(), "no mobile on a card");
        let read = parse_abha_qr(&payload).unwrap();
        assert_eq!(read.variant, AbhaQrVariant::Card);
        assert_eq!(read.abha_number.unwrap().as_str(), "91-6285-4575-5116");
        assert_eq!(read.abha_address.unwrap().to_string(), "91628545755116@sbx");
        assert_eq!(read.name.as_deref(), Some(name));
        assert_eq!(read.gender, Some(Gender::Female));
        assert_eq!(read.birth_date, BirthDate::parse_canonical(birth));
        assert_eq!(read.address.as_deref(), Some("Ward 4, Khag, 193401"));
        assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    }
    let json: serde_json::Value =
        serde_json::from_str(&card("Asha", "1990-01-31").qr_payload()).unwrap();
    assert_eq!(json["dob"], "31/1/1990", "d/m/yyyy as NHA prints it");
}

#[test]
fn test_svg_is_well_formed_and_escapes_every_value() {
    let mut c = card("Asha <b>&amp;\" Devi", "1990-01-31");
    c.abha_address = Some("a&b@sbx".into());
    let svg = layout::svg(&c).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(texts.contains(&"Asha <b>&amp;\" Devi"));
    assert!(texts.contains(&"a&b@sbx"));
    assert!(texts.contains(&"91-6285-4575-5116"));
    assert!(texts.contains(&layout::TITLE));
    assert!(texts.contains(&"31-01-1990") && texts.contains(&"Female"));
    assert!(!svg.contains("<b>"));
}

#[test]
fn test_a_long_name_goes_over_two_lines_and_a_short_one_stays_on_one() {
    let lines = |name: &str| {
        let svg = layout::svg(&card(name, "1990")).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let n = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter(|n| n.text().is_some_and(|t| name.contains(t) && t.len() > 3))
            .count();
        (n, svg.contains("Year of birth"))
    };
    assert_eq!(lines("Asha Devi"), (1, true));
    let long = "Venkata Lakshmi Narasimha Satyanarayana Murthy Ramachandran";
    assert_eq!(lines(long).0, 2);
}

#[test]
fn test_fonts_cover_latin_devanagari_and_urdu_and_name_a_missing_script() {
    let fonts = raster::Fonts::load(None);
    assert_eq!(fonts.len(), 6);
    fonts.check("Asha Devi Ā ṣ").unwrap();
    fonts.check("सुनीता देवी क्षत्रिय").unwrap();
    fonts.check("زینب بی بی ٹ ڈ ڑ ں ے").unwrap();
    match fonts.check("Asha সুনীতা") {
        Err(CardError::FontMissing { script }) => assert_eq!(script, "Bengali"),
        other => panic!("{other:?}"),
    }
    let err = CardError::FontMissing { script: "Bengali" };
    assert_eq!(err.code(), "card.font_missing");
    assert!(!err.to_string().contains('স'));
}

#[test]
fn test_png_is_the_card_size_at_300_dpi() {
    let fonts = raster::Fonts::load(None);
    let c = card("सुनीता देवी", "1985-12-05");
    let png = raster::png(&layout::svg(&c).unwrap(), &layout::text_of(&c), &fonts).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (layout::WIDTH, layout::HEIGHT));
    let dims = info.pixel_dims.unwrap();
    assert_eq!((dims.xppu, dims.unit), (11_811, png::Unit::Meter));
}

#[test]
fn test_debug_and_errors_show_no_personal_data() {
    let c = card("Asha Devi", "1990-01-31");
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("Asha") && !dbg.contains("6285"));
    assert_eq!(CardError::NotCreated.code(), "card.not_created");
}
