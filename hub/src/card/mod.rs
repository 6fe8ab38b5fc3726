//! The printed ABHA card: an SVG and a PNG of a member's ABHA, made at the camp after ABDM
//! created (or linked) it.
//!
//! Why the hub draws it: NHA asks that an assisted enrollee leaves with a printed ABHA card
//! (abdm.md 2.9, `CRT_ABHA_114/115`), the hub is the part that learns the ABHA from ABDM, and the
//! camp printer hangs off the hub's laptop. ABDM's own card download needs the enrollee's user
//! token, which demographic authentication does not give us and which expires within half an hour
//! anyway, so the hub draws the card itself from what it holds: the ABHA number and address the
//! bridge recorded, and the name, gender and birth date of the member record.
//!
//! What is printed follows the integrator-generated card of `CRT_ABHA_114`: ABHA number
//! (`91-1234-5678-9012`), ABHA address, name (any script), gender, date or year of birth, and a
//! QR code with the card variant of abdm.md section 3 (`hidn`, `hid`, `name`, `gender`, `dob` as
//! `d/m/yyyy`, `statelgd`, `distlgd`, `"state name"`, `district_name`, `address`), so the ABHA
//! app and our own tablets ([`abha_core::qr::parse_abha_qr`]) read it back. No photo (optional
//! for NHA) and no mobile number: a lost card should not hand out a phone number.
//!
//! A card is drawn only for a request ABDM answered with an ABHA (`created` or `linked`); any
//! other state is [`CardError::NotCreated`]. The card holds personal data: [`Card`]'s `Debug`
//! shows ids only, errors carry codes and script names only, and every card handed out is in the
//! audit log (`card.print`). Layout: [`layout`]; PNG and fonts: [`raster`]; routes: [`http`].

pub mod http;
pub mod layout;
pub mod list;
pub mod raster;

use std::fmt;
use std::path::Path;

use abha_core::ids::{EnrollmentId, MemberId, VillageId};
use abha_core::model::RegionLevel;
use abha_core::store::{Store, StoreError};
use abha_core::validate::{AbhaNumber, BirthDate};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// Why no card was made.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// No such request or member (or outside the caller's area: the two are not told apart).
    #[error("no such record")]
    NotFound,
    /// The request (or the member's requests) has no ABHA from ABDM yet.
    #[error("no ABHA has been created for this record yet")]
    NotCreated,
    /// Part of the card text is in a script none of the card fonts has (PNG only).
    #[error("no card font has the {script} script; add one to DATA/fonts or print the SVG")]
    FontMissing {
        /// Unicode script name (never the text).
        script: &'static str,
    },
    /// Drawing failed (a bug, or an unusable font file in DATA/fonts).
    #[error("the card could not be drawn: {0}")]
    Render(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The card file could not be written (command line).
    #[error("card file: {0}")]
    Io(#[from] std::io::Error),
}

impl CardError {
    /// The machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::NotCreated => "card.not_created",
            Self::FontMissing { .. } => "card.font_missing",
            Self::Render(_) => "card.render",
            Self::Store(_) | Self::Io(_) => "internal",
        }
    }
}

impl From<rusqlite::Error> for CardError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Result of card work.
pub type Result<T, E = CardError> = std::result::Result<T, E>;

/// What the card shows. Personal data: `Debug` shows the ids only.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    /// The request ABDM answered.
    pub enrollment: EnrollmentId,
    /// Whose card.
    pub member: MemberId,
    /// The member's village (for area checks).
    pub village: Option<VillageId>,
    /// `NN-NNNN-NNNN-NNNN` (as recorded if it is not a valid ABHA number).
    pub abha_number: String,
    /// ABHA address, e.g. `91123456789012@abdm`.
    pub abha_address: Option<String>,
    /// Full name as recorded (any script).
    pub name: String,
    /// Latin spelling of the name, when recorded and different.
    pub name_latin: Option<String>,
    /// `M`, `F` or `O`.
    pub gender: Option<String>,
    /// Date or year of birth.
    pub birth_date: Option<BirthDate>,
    /// LGD state code and name.
    pub state: Option<(u32, Option<String>)>,
    /// LGD district code and name.
    pub district: Option<(u32, Option<String>)>,
    /// Household address, village and PIN code.
    pub address: Option<String>,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Card({}, member {})", self.enrollment, self.member)
    }
}

/// The card variant of the ABHA QR payload (abdm.md section 3), keys in NHA's order.
#[derive(Debug, Serialize)]
struct QrPayload<'a> {
    hidn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hid: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statelgd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distlgd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dob: Option<String>,
    #[serde(rename = "state name", skip_serializing_if = "Option::is_none")]
    state_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    district_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
}

impl Card {
    /// The JSON the card's QR code carries.
    pub fn qr_payload(&self) -> String {
        let dob = self.birth_date.as_ref().map(|b| match b {
            BirthDate::Full(d) => format!("{}/{}/{}", d.day(), u8::from(d.month()), d.year()),
            BirthDate::YearOnly(y) => y.to_string(),
        });
        let name_of = |r: &Option<(u32, Option<String>)>| r.as_ref().and_then(|(_, n)| n.clone());
        let (state_name, district_name) = (name_of(&self.state), name_of(&self.district));
        serde_json::to_string(&QrPayload {
            hidn: &self.abha_number,
            hid: self.abha_address.as_deref(),
            name: &self.name,
            gender: self.gender.as_deref(),
            statelgd: self.state.as_ref().map(|(c, _)| c.to_string()),
            distlgd: self.district.as_ref().map(|(c, _)| c.to_string()),
            dob,
            state_name: state_name.as_deref(),
            district_name: district_name.as_deref(),
            address: self.address.as_deref(),
        })
        .unwrap_or_default()
    }
}

/// The two forms of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Vector, for browsers and print dialogs (uses the viewer's fonts).
    Svg,
    /// 1011 x 638 pixels: 85.6 x 54 mm at 300 dpi, drawn with the bundled fonts.
    Png,
}

impl Format {
    /// `svg` or `png`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
    /// File extension.
    pub fn code(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }
    /// HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
        }
    }
}

/// Draws `card`. `data_dir` may hold extra fonts for the PNG (`DATA/fonts`, see [`raster`]).
pub fn render(card: &Card, format: Format, data_dir: &Path) -> Result<Vec<u8>> {
    let svg = layout::svg(card)?;
    match format {
        Format::Svg => Ok(svg.into_bytes()),
        Format::Png => raster::png(&svg, &layout::text_of(card), raster::fonts(data_dir)),
    }
}

const CARD_SQL: &str = "SELECT e.id, e.member_id, e.state, e.abha_number, e.abha_address,
        m.given_name, m.middle_name, m.family_name, m.name_latin, m.gender, m.birth_date,
        m.abha_number, m.abha_address, h.village_id, h.address, h.pincode,
        v.state_code, v.district_code, v.name
   FROM enrollments e
   JOIN members m ON m.id = e.member_id AND m.deleted = 0
   LEFT JOIN households h ON h.id = m.household_id AND h.deleted = 0
   LEFT JOIN villages v ON v.id = h.village_id AND v.deleted = 0
  WHERE e.deleted = 0";

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    digits(a) == digits(b)
}

fn card_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Card>> {
    let uuid = |i: usize| -> rusqlite::Result<Option<uuid::Uuid>> {
        Ok(r.get::<_, Option<Vec<u8>>>(i)?
            .and_then(|b| uuid::Uuid::from_slice(&b).ok()))
    };
    let (Some(e), Some(m)) = (uuid(0)?, uuid(1)?) else {
        return Ok(None);
    };
    let state: Option<String> = r.get(2)?;
    let number = nonempty(r.get(3)?);
    let Some(number) = number.filter(|_| matches!(state.as_deref(), Some("created" | "linked")))
    else {
        return Ok(None);
    };
    let parts: Vec<String> = [5, 6, 7]
        .into_iter()
        .map(|i| r.get::<_, Option<String>>(i))
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter_map(nonempty)
        .collect();
    let name = parts.join(" ");
    let name_latin = nonempty(r.get(8)?).filter(|l| *l != name);
    // The address ABDM gave with this number; the member's only if it is the same ABHA.
    let member_number: Option<String> = nonempty(r.get(11)?);
    let member_address = nonempty(r.get(12)?).filter(|_| {
        member_number
            .as_deref()
            .is_some_and(|n| same_number(n, &number))
    });
    let abha_address = nonempty(r.get(4)?).or(member_address);
    let abha_number = number
        .parse::<AbhaNumber>()
        .map(|n| n.as_str().to_owned())
        .unwrap_or(number);
    let address: Vec<String> = [14, 18, 15]
        .into_iter()
        .map(|i| r.get::<_, Option<String>>(i))
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter_map(nonempty)
        .collect();
    let code = |i: usize| -> rusqlite::Result<Option<(u32, Option<String>)>> {
        Ok(r.get::<_, Option<u32>>(i)?.map(|c| (c, None)))
    };
    Ok(Some(Card {
        enrollment: EnrollmentId::from_uuid(e),
        member: MemberId::from_uuid(m),
        village: uuid(13)?.map(VillageId::from_uuid),
        abha_number,
        abha_address,
        name,
        name_latin,
        gender: nonempty(r.get(9)?),
        birth_date: nonempty(r.get(10)?).and_then(|b| BirthDate::parse_canonical(&b)),
        state: code(16)?,
        district: code(17)?,
        address: (!address.is_empty()).then(|| address.join(", ")),
    }))
}

/// Names the state and district from the hub's LGD masters (or the bundled snapshot).
fn with_region_names(store: &Store, mut card: Card) -> Result<Card> {
    if let Some((code, name)) = &mut card.state {
        let states = store.regions(RegionLevel::State, 0)?;
        *name = states
            .into_iter()
            .find(|r| r.code == i64::from(*code))
            .map(|r| r.name);
        if let Some((d, dname)) = &mut card.district {
            let districts = store.regions(RegionLevel::District, i64::from(*code))?;
            *dname = districts
                .into_iter()
                .find(|r| r.code == i64::from(*d))
                .map(|r| r.name);
        }
    }
    Ok(card)
}

/// The card of one request: [`CardError::NotCreated`] unless ABDM answered it with an ABHA.
pub fn for_enrollment(store: &Store, id: EnrollmentId) -> Result<Card> {
    let found: Option<Option<Card>> = store.read(|c| {
        Ok(c.prepare_cached(&format!("{CARD_SQL} AND e.id = ?1"))?
            .query_row([id.as_bytes()], card_row)
            .optional()?)
    })?;
    match found {
        None => Err(CardError::NotFound),
        Some(None) => Err(CardError::NotCreated),
        Some(Some(card)) => with_region_names(store, card),
    }
}

/// The card of a member: from the latest of its requests that ABDM answered with an ABHA.
pub fn for_member(store: &Store, member: MemberId) -> Result<Card> {
    match store.member(member) {
        Err(StoreError::NotFound { .. }) => return Err(CardError::NotFound),
        other => other?,
    };
    let card: Option<Card> = store.read(|c| {
        let mut st = c.prepare_cached(&format!(
            "{CARD_SQL} AND e.member_id = ?1 AND e.state IN ('created', 'linked')
                AND e.abha_number IS NOT NULL ORDER BY e.created_at DESC, e.pk DESC"
        ))?;
        let rows = st.query_map([member.as_bytes()], card_row)?;
        for row in rows {
            if let Some(card) = row? {
                return Ok(Some(card));
            }
        }
        Ok(None)
    })?;
    with_region_names(store, card.ok_or(CardError::NotCreated)?)
}

/// Which record a card is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// A member: the latest of its requests with an ABHA.
    Member(MemberId),
    /// One request.
    Enrollment(EnrollmentId),
}

/// Writes the card of `subject` to `path` (owner-only on Unix: it holds personal data) and
/// records it in the audit log as the command line's. Returns the card's request.
pub fn write_file(
    store: &Store,
    data_dir: &Path,
    subject: Subject,
    format: Format,
    path: &Path,
) -> Result<EnrollmentId> {
    let card = match subject {
        Subject::Member(m) => for_member(store, m)?,
        Subject::Enrollment(e) => for_enrollment(store, e)?,
    };
    let body = render(&card, format, data_dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, &body)?;
    let actor = crate::audit::Actor {
        name: "cli".into(),
        role: "cli".into(),
        client: "command line".into(),
    };
    http::audit(store, &actor, &card, format)?;
    Ok(card.enrollment)
}

#[cfg(test)]
mod tests;
