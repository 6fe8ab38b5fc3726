//! CSV per village for HMIS import.
//!
//! One row per live member, columns named in [`COLUMNS`] (stable: HMIS import templates map
//! them by name). The file starts with a UTF-8 byte-order mark so spreadsheet programs, which
//! supervisors open these files in first, read Devanagari and Nastaliq names correctly; CSV
//! readers that know UTF-8 skip it. A cell that a spreadsheet would run as a formula (starting
//! with `=`, `+`, `@`, a tab or a carriage return, or `-` not followed by a digit) is prefixed
//! with `'`, the OWASP guard against CSV injection. Birth dates are given as recorded (`YYYY`
//! or `YYYY-MM-DD`) and the year on its own, since many HMIS templates want only the year.

use super::{MemberRow, abha_display};

/// Header row of the village CSV.
pub const COLUMNS: [&str; 22] = [
    "member_id",
    "household_id",
    "household_code",
    "state_lgd",
    "district_lgd",
    "subdistrict_lgd",
    "village_lgd",
    "village_name",
    "given_name",
    "middle_name",
    "family_name",
    "name_latin",
    "gender",
    "birth_date",
    "year_of_birth",
    "mobile",
    "relation",
    "address",
    "pincode",
    "abha_number",
    "abha_address",
    "enrollment_state",
];

/// The UTF-8 byte-order mark the file starts with.
pub const BOM: &str = "\u{feff}";

/// `s` made safe to open in a spreadsheet.
pub fn guard(s: &str) -> String {
    let mut chars = s.chars();
    let risky = match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    if risky { format!("'{s}") } else { s.to_owned() }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn cells(r: &MemberRow) -> [String; 22] {
    let year = r
        .birth_date
        .as_deref()
        .and_then(|d| d.get(..4))
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default()
        .to_owned();
    [
        r.member_id.clone(),
        r.household_id.clone(),
        opt(&r.household_code),
        opt(&r.state_code),
        opt(&r.district_code),
        opt(&r.subdistrict_code),
        opt(&r.village_code),
        opt(&r.village_name),
        r.given_name.clone(),
        opt(&r.middle_name),
        opt(&r.family_name),
        opt(&r.name_latin),
        opt(&r.gender),
        opt(&r.birth_date),
        year,
        opt(&r.mobile),
        opt(&r.relation),
        opt(&r.address),
        opt(&r.pincode),
        r.abha_number
            .as_deref()
            .map(abha_display)
            .unwrap_or_default(),
        opt(&r.abha_address),
        opt(&r.enrollment_state),
    ]
    .map(|c| guard(&c))
}

/// The CSV text of `rows` (header first).
pub fn village_csv(rows: &[MemberRow]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(BOM.as_bytes().to_vec());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(cells(r))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("+91"), "'+91");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("-2+3"), "-2+3");
        assert_eq!(guard("-x"), "'-x");
        assert_eq!(guard("सीता"), "सीता");
        assert_eq!(guard(""), "");
    }

    #[test]
    fn round_trips_through_a_csv_reader() {
        let row = MemberRow {
            member_id: "m".into(),
            household_id: "h".into(),
            household_code: None,
            state_code: Some(9),
            district_code: Some(118),
            subdistrict_code: None,
            village_code: Some(7),
            village_name: Some("Rampur, East".into()),
            given_name: "सीता \"S\"".into(),
            middle_name: None,
            family_name: None,
            name_latin: None,
            gender: Some("F".into()),
            birth_date: Some("1990-02-03".into()),
            mobile: None,
            relation: None,
            address: Some("line 1\nline 2".into()),
            pincode: None,
            abha_number: Some("91628545755116".into()),
            abha_address: None,
            enrollment_state: None,
            created_at: None,
        };
        let text = village_csv(&[row]).unwrap();
        assert!(text.starts_with(BOM));
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            COLUMNS.to_vec()
        );
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[7], "Rampur, East");
        assert_eq!(&rec[8], "सीता \"S\"");
        assert_eq!(&rec[14], "1990");
        assert_eq!(&rec[17], "line 1\nline 2");
        assert_eq!(&rec[19], "91-6285-4575-5116");
    }
}
