//! The card's layout, as SVG: one ID-1 card (85.6 x 54 mm, the size of a bank card, so it fits a
//! wallet and the card sleeves camps hand out), drawn on a 1011 x 638 grid (300 dpi).
//!
//! The SVG is the master: browsers print it at its physical size, and [`super::raster`] draws the
//! PNG from the same text. Every value is XML-escaped. Nothing here measures glyphs: a name is
//! fitted by an estimate of its width (generous, so a long name shrinks rather than overflows),
//! and split over two lines at a space when it would have to shrink too far. The QR code is one
//! path of whole modules with `crispEdges`, each module a whole number of pixels at 300 dpi.

use std::fmt::Write as _;

use abha_core::validate::BirthDate;
use qrcode::{EcLevel, QrCode};

use super::{Card, CardError, Result};

/// Width of the grid, in pixels at 300 dpi (85.6 mm).
pub const WIDTH: u32 = 1011;
/// Height of the grid (54 mm).
pub const HEIGHT: u32 = 638;

/// The card title (NHA's name for the account).
pub const TITLE: &str = "ABHA (Ayushman Bharat Health Account)";

/// Font families: the bundled ones first, then what Windows and other systems have for
/// Devanagari and Urdu, for viewers of the SVG.
const FONTS: &str = "'Noto Sans', 'Noto Sans Devanagari', 'Noto Naskh Arabic', 'Nirmala UI', \
                     'Mangal', 'Urdu Typesetting', sans-serif";

const INK: &str = "#111111";
const MUTED: &str = "#555555";
const BRAND: &str = "#1d3f8f";

const LEFT: f32 = 40.0;
/// Where the QR code's box starts, and its side.
const QR_X: f32 = 631.0;
const QR_Y: f32 = 196.0;
const QR_BOX: f32 = 350.0;

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 (names never hold them).
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated advance of `s` in em (bold): combining marks and joiners take no room, Devanagari
/// vowel signs little; everything else is counted wide.
fn width_em(s: &str) -> f32 {
    s.chars()
        .map(|c| match c {
            ' ' => 0.28,
            '\u{200B}'..='\u{200F}' | '\u{0300}'..='\u{036F}' => 0.0,
            '\u{064B}'..='\u{065F}' | '\u{0670}' => 0.0,
            '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' => 0.3,
            '\u{0962}' | '\u{0963}' => 0.3,
            'i' | 'l' | 'j' | 'I' | '.' | ',' | '\'' | '-' => 0.32,
            'M' | 'W' | 'm' | 'w' => 0.9,
            _ => 0.68,
        })
        .sum()
}

/// The largest size up to `max` at which `s` fits `width` pixels.
fn fit(s: &str, width: f32, max: f32) -> f32 {
    let em = width_em(s).max(0.01);
    (width / em).min(max).floor()
}

/// Splits at the space nearest the middle (by estimated width).
fn split(s: &str) -> Option<(&str, &str)> {
    let half = width_em(s) / 2.0;
    s.char_indices()
        .filter(|(_, c)| *c == ' ')
        .min_by(|(a, _), (b, _)| {
            let da = (width_em(&s[..*a]) - half).abs();
            let db = (width_em(&s[..*b]) - half).abs();
            da.total_cmp(&db)
        })
        .map(|(i, _)| (s[..i].trim_end(), s[i..].trim_start()))
}

fn text(out: &mut String, x: f32, y: f32, size: f32, bold: bool, fill: &str, s: &str) {
    let weight = if bold { " font-weight=\"700\"" } else { "" };
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\"{weight} fill=\"{fill}\">{}</text>",
        esc(s)
    );
}

fn gender_label(code: &str) -> &str {
    match code {
        "M" => "Male",
        "F" => "Female",
        "O" => "Other",
        other => other,
    }
}

/// The card's birth field: label and value (`DD-MM-YYYY`, as ABHA cards print it).
fn birth(b: &BirthDate) -> (&'static str, String) {
    match b {
        BirthDate::Full(d) => (
            "Date of birth",
            format!("{:02}-{:02}-{}", d.day(), u8::from(d.month()), d.year()),
        ),
        BirthDate::YearOnly(y) => ("Year of birth", y.to_string()),
    }
}

/// Every piece of text the card shows (for the PNG's font check).
pub fn text_of(card: &Card) -> String {
    let mut all = vec![
        TITLE.to_owned(),
        card.name.clone(),
        card.abha_number.clone(),
    ];
    all.extend(card.name_latin.clone());
    all.extend(card.abha_address.clone());
    all.extend(card.gender.as_deref().map(|g| gender_label(g).to_owned()));
    all.extend(card.birth_date.as_ref().map(|b| birth(b).1));
    all.join("\n")
}

/// The QR code of `payload` as one path, placed in the QR box; returns the markup.
fn qr(payload: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| CardError::Render(format!("QR code: {e}")))?;
    let n = code.width();
    let colors = code.to_colors();
    // A quiet zone of 4 modules, and whole pixels per module.
    let module = (QR_BOX / (n as f32 + 8.0)).floor().max(1.0);
    let side = module * (n as f32 + 8.0);
    let x0 = QR_X + ((QR_BOX - side) / 2.0).floor() + 4.0 * module;
    let y0 = QR_Y + ((QR_BOX - side) / 2.0).floor() + 4.0 * module;
    let mut d = String::new();
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if colors[y * n + x] == qrcode::Color::Dark {
                let start = x;
                while x < n && colors[y * n + x] == qrcode::Color::Dark {
                    x += 1;
                }
                let _ = write!(d, "M{start},{y}h{}v1h-{}z", x - start, x - start);
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        "<path transform=\"translate({x0} {y0}) scale({module})\" fill=\"#000000\" \
         shape-rendering=\"crispEdges\" d=\"{d}\"/>\n"
    ))
}

/// The card as an SVG document.
pub fn svg(card: &Card) -> Result<String> {
    let mut s = String::with_capacity(16 * 1024);
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"85.6mm\" height=\"54mm\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"{FONTS}\">"
    );
    s.push_str("<title>ABHA card</title>\n");
    let _ = writeln!(
        s,
        "<rect x=\"3\" y=\"3\" width=\"1005\" height=\"632\" rx=\"30\" fill=\"#ffffff\" \
         stroke=\"{BRAND}\" stroke-width=\"6\"/>"
    );
    let _ = writeln!(
        s,
        "<path d=\"M3,33 a30,30 0 0 1 30,-30 h945 a30,30 0 0 1 30,30 v75 h-1005 z\" \
         fill=\"{BRAND}\"/>"
    );
    text(&mut s, LEFT, 70.0, 36.0, true, "#ffffff", TITLE);

    // The name spans the card; two lines when one would be too small to read.
    let full = WIDTH as f32 - 2.0 * LEFT;
    let one = fit(&card.name, full, 44.0);
    let mut y = 168.0;
    match split(&card.name).filter(|_| one < 30.0) {
        Some((a, b)) => {
            let size = fit(a, full, 36.0).min(fit(b, full, 36.0));
            text(&mut s, LEFT, 152.0, size, true, INK, a);
            text(&mut s, LEFT, 152.0 + size * 1.2, size, true, INK, b);
            y = 152.0 + size * 1.2;
        }
        None => text(&mut s, LEFT, y, one, true, INK, &card.name),
    }
    // Fields sit left of the QR code.
    let column = QR_X - LEFT - 20.0;
    let mut row = y + 60.0;
    if let Some(latin) = &card.name_latin {
        text(
            &mut s,
            LEFT,
            y + 36.0,
            fit(latin, column, 24.0),
            false,
            MUTED,
            latin,
        );
        row += 30.0;
    }
    let row = row.max(250.0);
    text(&mut s, LEFT, row, 22.0, false, MUTED, "ABHA number");
    let number_size = fit(&card.abha_number, column, 44.0);
    text(
        &mut s,
        LEFT,
        row + 46.0,
        number_size,
        true,
        INK,
        &card.abha_number,
    );
    let row = row + 96.0;
    if let Some(address) = &card.abha_address {
        text(&mut s, LEFT, row, 22.0, false, MUTED, "ABHA address");
        text(
            &mut s,
            LEFT,
            row + 38.0,
            fit(address, column, 30.0),
            false,
            INK,
            address,
        );
    }
    let row = row + 90.0;
    if let Some(g) = &card.gender {
        text(&mut s, LEFT, row, 22.0, false, MUTED, "Gender");
        text(&mut s, LEFT, row + 38.0, 30.0, false, INK, gender_label(g));
    }
    if let Some(b) = &card.birth_date {
        let (label, value) = birth(b);
        text(&mut s, LEFT + 250.0, row, 22.0, false, MUTED, label);
        text(&mut s, LEFT + 250.0, row + 38.0, 30.0, false, INK, &value);
    }
    s.push_str(&qr(&card.qr_payload())?);
    text(
        &mut s,
        LEFT,
        604.0,
        20.0,
        false,
        MUTED,
        "Ayushman Bharat Digital Mission",
    );
    s.push_str("</svg>\n");
    Ok(s)
}
