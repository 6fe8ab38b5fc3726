//! Household slips at the hub: signing a household's slip and drawing it for print.
//!
//! Why this is on the hub: only the hub holds the slip signing key ([`crate::keys`]), so only it
//! can make a slip a tablet will trust; tablets verify offline with the public half they got at
//! enrolment (`abha_core::qr::slip`). An organiser prints a village's slips from the dashboard
//! (`/dash/slips`, [`crate::web::slips`]) or one with `abha-hub slip --household ID --svg FILE`,
//! and the worker leaves one with each family.
//!
//! A slip is the QR code (error correction M, 151 alphanumeric characters: version 6) with the
//! household's printed code in large type under it, so it can be read out over the phone or typed
//! when the QR is smudged, and a small caption (the village). It carries no name, address or
//! number: a lost slip tells a stranger nothing. The SVG is drawn here, one path for the dark
//! modules, with every text value escaped by maud; it prints crisply at any size.

use abha_core::ids::{HouseholdId, VillageId};
use abha_core::model::HouseholdCode;
use abha_core::qr::{SlipSigningKey, sign_slip};
use abha_core::store::{HouseholdSummary, Store, StoreError};
use abha_core::validate::Issues;
use maud::{Markup, html};
use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;

/// Modules of white space around the QR code (the standard's quiet zone).
const QUIET: usize = 4;

/// Why a slip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SlipPrintError {
    /// No such household (or it was deleted).
    #[error("no such household")]
    NotFound,
    /// A code that several households share: name the household by id.
    #[error("several households share this code; give the household id")]
    Ambiguous,
    /// Neither a household id nor a household code.
    #[error("not a household id or code")]
    BadHousehold,
    /// The payload did not fit a QR code (a bug: every slip has the same length).
    #[error("the slip does not fit a QR code")]
    Qr,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One household's slip, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct PrintedSlip {
    /// The household.
    pub household_id: HouseholdId,
    /// Its printed code.
    pub code: String,
    /// The signed payload the QR code holds.
    pub payload: String,
    /// The QR code version (6 for every slip of format 1).
    pub qr_version: i16,
    /// Modules per side, without the quiet zone.
    #[serde(skip)]
    width: usize,
    /// Dark modules, row by row.
    #[serde(skip)]
    dark: Vec<bool>,
}

impl PrintedSlip {
    /// Signs and encodes the slip of `household` (whose printed code is `code`).
    pub fn new(
        household: HouseholdId,
        code: &HouseholdCode,
        key: &SlipSigningKey,
    ) -> Result<Self, SlipPrintError> {
        let payload = sign_slip(household, code, key);
        let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
            .map_err(|_| SlipPrintError::Qr)?;
        let qr_version = match qr.version() {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
        };
        let dark = qr
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Self {
            household_id: household,
            code: code.to_string(),
            payload,
            qr_version,
            width: qr.width(),
            dark,
        })
    }

    /// The slip as an inline SVG element: the QR code, the code in large type, and `caption`
    /// (e.g. the village) in small type. Sized for a 50 mm wide slip.
    pub fn svg(&self, caption: Option<&str>) -> Markup {
        let side = self.width + 2 * QUIET;
        let height = side + 13;
        let mut d = String::with_capacity(self.dark.len() * 6);
        for (i, _) in self.dark.iter().enumerate().filter(|(_, dark)| **dark) {
            let (x, y) = (i % self.width + QUIET, i / self.width + QUIET);
            d.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
        let mid = side as f32 / 2.0;
        let view = format!("0 0 {side} {height}");
        let (w, h) = (50.0, 50.0 * height as f32 / side as f32);
        html! {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(view) width=(format!("{w}mm"))
                height=(format!("{h:.1}mm")) role="img" aria-label=(format!("Household slip {}", self.code))
                data-code=(self.code) {
                rect width=(side) height=(height) fill="#fff" {}
                path d=(d) fill="#000" shape-rendering="crispEdges" {}
                text x=(mid) y=(side + 5) font-size="6.5" font-family="DejaVu Sans Mono, monospace"
                    font-weight="bold" text-anchor="middle" fill="#000" { (self.code) }
                @if let Some(c) = caption {
                    text x=(mid) y=(side + 10) font-size="3" font-family="sans-serif"
                        text-anchor="middle" fill="#000" { (c) }
                }
            }
        }
    }

    /// The slip as a standalone SVG file.
    pub fn svg_document(&self, caption: Option<&str>) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
            self.svg(caption).into_string()
        )
    }
}

fn parse_code(text: &str) -> Option<HouseholdCode> {
    HouseholdCode::parse(&mut Issues::new(), "household", text)
}

/// The slip of a household the hub holds.
pub fn slip_of(
    key: &SlipSigningKey,
    household: &HouseholdSummary,
) -> Result<PrintedSlip, SlipPrintError> {
    // Codes are derived from the id; a stored code that does not parse is derived again.
    let code = parse_code(&household.code).unwrap_or_else(|| HouseholdCode::from_id(&household.id));
    PrintedSlip::new(household.id, &code, key)
}

/// The household named by an id or a printed code, as an organiser types it.
pub fn find(store: &Store, text: &str) -> Result<HouseholdSummary, SlipPrintError> {
    if let Ok(id) = text.parse::<HouseholdId>() {
        return store.household_summary(id)?.ok_or(SlipPrintError::NotFound);
    }
    let code = parse_code(text).ok_or(SlipPrintError::BadHousehold)?;
    let mut found = store.households_by_code(&code.to_string())?;
    match found.len() {
        0 => Err(SlipPrintError::NotFound),
        1 => Ok(found.remove(0)),
        _ => Err(SlipPrintError::Ambiguous),
    }
}

/// The households of a village, oldest first, from `offset`, at most `limit`; and whether there
/// are more.
pub fn village_page(
    store: &Store,
    village: VillageId,
    offset: u32,
    limit: u32,
) -> Result<(Vec<HouseholdSummary>, bool), SlipPrintError> {
    // The list is newest first; slips print in capture order, as a worker walks the village.
    let mut all = Vec::new();
    let mut at = 0;
    loop {
        let batch = store.list_households(Some(village), 500, at)?;
        let n = batch.len() as u32;
        all.extend(batch);
        if n < 500 {
            break;
        }
        at += n;
    }
    all.reverse();
    let start = (offset as usize).min(all.len());
    let end = start.saturating_add(limit as usize).min(all.len());
    let more = end < all.len();
    Ok((all.drain(start..end).collect(), more))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_every_slip_fits_version_6_at_level_m() {
        let key = SlipSigningKey::from_seed([4; 32]);
        for _ in 0..50 {
            let id = HouseholdId::new();
            let slip = PrintedSlip::new(id, &HouseholdCode::from_id(&id), &key).unwrap();
            assert_eq!(slip.payload.len(), 151);
            assert!(slip.qr_version <= 6, "version {}", slip.qr_version);
            assert_eq!(slip.width, 17 + 4 * slip.qr_version as usize);
        }
    }

    #[test]
    fn test_svg_shows_the_code_and_escapes_the_caption() {
        let key = SlipSigningKey::from_seed([4; 32]);
        let id = HouseholdId::new();
        let code = HouseholdCode::from_id(&id);
        let slip = PrintedSlip::new(id, &code, &key).unwrap();
        let svg = slip.svg_document(Some("Khag <b>&"));
        assert!(svg.contains(&format!(">{code}</text>")), "{svg}");
        assert!(svg.contains("Khag &lt;b&gt;&amp;"), "{svg}");
        assert!(
            !svg.contains(&slip.payload),
            "the payload is in the modules, not in text"
        );
        let dark = slip.dark.iter().filter(|d| **d).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
    }
}
