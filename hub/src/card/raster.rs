//! The card as a PNG: the SVG of [`super::layout`] drawn by resvg, with fonts compiled into the
//! hub.
//!
//! Why bundled fonts: a camp laptop has no internet and often no Indic fonts, and a card whose
//! name prints as empty boxes is worse than none. So the PNG never uses the system's fonts, only
//! Noto Sans, Noto Sans Devanagari and Noto Naskh Arabic (Regular and Bold, subsets under the SIL
//! Open Font License, `hub/assets/fonts`), shaped by harfrust (conjuncts, matras, Arabic joining
//! and right-to-left runs). A state whose names are in another script drops the font files
//! (`.ttf`, `.otf`) into `DATA/fonts/`; they are read once, at the first card drawn.
//!
//! Before drawing, every character of the card's text is checked against the fonts: one that no
//! font has is [`CardError::FontMissing`] with the script's name, never a card with boxes (and
//! never the character itself in an error or log). A missing glyph falls back to the font of the
//! same weight that has it (resvg's own fallback takes the first font that has the character,
//! whatever its weight, and logs it).
//!
//! The PNG is 1011 x 638 pixels, RGB, with a 300 dpi `pHYs` chunk so print dialogs print it at
//! 85.6 x 54 mm.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};
use skrifa::MetadataProvider as _;
use unicode_script::UnicodeScript as _;

use super::layout::{HEIGHT, WIDTH};
use super::{CardError, Result};

/// The bundled fonts, in the order fallback prefers them.
const BUNDLED: &[&[u8]] = &[
    include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../assets/fonts/NotoSansDevanagari-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoSansDevanagari-Bold.ttf"),
    include_bytes!("../../assets/fonts/NotoNaskhArabic-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoNaskhArabic-Bold.ttf"),
];

/// Pixels per metre at 300 dpi.
const PPM_300_DPI: u32 = 11_811;

/// The fonts cards are drawn with.
#[derive(Debug, Clone)]
pub struct Fonts {
    db: Arc<fontdb::Database>,
}

fn has_char(db: &fontdb::Database, id: fontdb::ID, c: char) -> bool {
    db.with_face_data(id, |data, index| {
        skrifa::FontRef::from_index(data, index)
            .ok()
            .and_then(|f| f.charmap().map(c))
            .is_some()
    })
    .unwrap_or(false)
}

/// Characters that need no glyph of their own (spacing, joiners, direction marks).
fn invisible(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}')
}

impl Fonts {
    /// The bundled fonts, then those of `extra` (a folder of `.ttf`/`.otf`/`.ttc` files; missing
    /// is fine, unreadable files are skipped).
    pub fn load(extra: Option<&Path>) -> Self {
        let mut db = fontdb::Database::new();
        for data in BUNDLED {
            db.load_font_data(data.to_vec());
        }
        let mut files: Vec<_> = extra
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
                matches!(ext.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc")
            })
            .collect();
        files.sort();
        for path in files {
            match std::fs::read(&path) {
                Ok(data) => db.load_font_data(data),
                Err(e) => tracing::warn!(error = %e, "card font unreadable, skipped"),
            }
        }
        db.set_serif_family("Noto Sans");
        db.set_sans_serif_family("Noto Sans");
        Self { db: Arc::new(db) }
    }

    /// How many font faces there are.
    pub fn len(&self) -> usize {
        self.db.len()
    }

    /// Whether there are none (never: the bundled fonts are always there).
    pub fn is_empty(&self) -> bool {
        self.db.is_empty()
    }

    /// [`CardError::FontMissing`] for the first character of `text` that no font has.
    pub fn check(&self, text: &str) -> Result<()> {
        let ids: Vec<fontdb::ID> = self.db.faces().map(|f| f.id).collect();
        for c in text.chars().filter(|c| !invisible(*c)) {
            if !ids.iter().any(|id| has_char(&self.db, *id, c)) {
                return Err(CardError::FontMissing {
                    script: c.script().full_name(),
                });
            }
        }
        Ok(())
    }

    fn resolver(&self) -> usvg::FontResolver<'static> {
        usvg::FontResolver {
            select_font: usvg::FontResolver::default_font_selector(),
            select_fallback: Box::new(|c, used, db| {
                let db: &fontdb::Database = db;
                let base = db.face(*used.first()?)?;
                let (style, weight) = (base.style, i32::from(base.weight.0));
                db.faces()
                    .filter(|f| !used.contains(&f.id) && has_char(db, f.id, c))
                    .min_by_key(|f| (f.style != style, (i32::from(f.weight.0) - weight).abs()))
                    .map(|f| f.id)
            }),
        }
    }
}

/// The fonts of this process: the bundled ones and `DATA/fonts` of the first hub that asks.
pub fn fonts(data_dir: &Path) -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts::load(Some(&data_dir.join("fonts"))))
}

/// Draws `svg` (whose visible text is `text`) as a 300 dpi PNG of the card's size.
pub fn png(svg: &str, text: &str, fonts: &Fonts) -> Result<Vec<u8>> {
    fonts.check(text)?;
    let opt = usvg::Options {
        dpi: 300.0,
        font_family: "Noto Sans".into(),
        fontdb: fonts.db.clone(),
        font_resolver: fonts.resolver(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| CardError::Render(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| CardError::Render("no pixmap".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let size = tree.size();
    let scale = tiny_skia::Transform::from_scale(
        WIDTH as f32 / size.width(),
        HEIGHT as f32 / size.height(),
    );
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    encode(&pixmap)
}

/// RGB PNG (the card is opaque) with its print resolution.
fn encode(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>> {
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut enc = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: PPM_300_DPI,
        yppu: PPM_300_DPI,
        unit: png::Unit::Meter,
    }));
    let fail = |e: png::EncodingError| CardError::Render(format!("PNG: {e}"));
    let mut writer = enc.write_header().map_err(fail)?;
    writer.write_image_data(&rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}
