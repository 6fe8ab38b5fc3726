//! GPS fix of a household.
//!
//! Why this file exists: the tablet records where each household was enrolled, for revisits
//! and for the camp's coverage map. Receivers report NaN, infinities or garbage when they have
//! no fix, and those must not reach the database. A fix outside India is possible (a border
//! district, a stale fix from a previous trip), so it is only a warning.
//!
//! Coordinates are stored as integer microdegrees (about 0.1 m), which compare, hash and
//! serialise exactly, unlike `f64`.

use serde::{Deserialize, Serialize};

use super::{Issues, codes};

/// India's rough bounding box, in degrees: (min, max) latitude and longitude.
const INDIA_LAT: (f64, f64) = (6.0, 38.0);
const INDIA_LON: (f64, f64) = (68.0, 98.0);

/// A WGS 84 position in microdegrees (degrees × 10⁶, rounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, −90 000 000 to 90 000 000.
    pub lat_e6: i64,
    /// Longitude, −180 000 000 to 180 000 000.
    pub lon_e6: i64,
}

impl GeoPoint {
    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat_e6 as f64 / 1e6
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon_e6 as f64 / 1e6
    }
}

/// Validates a GPS fix in degrees. Codes: `gps.invalid` (NaN, infinite, latitude beyond ±90
/// or longitude beyond ±180); warning `gps.outside_india`.
pub fn gps(issues: &mut Issues, field: &str, lat: f64, lon: f64) -> Option<GeoPoint> {
    let in_range = lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0;
    if !in_range {
        issues.error(field, codes::GPS_INVALID);
        return None;
    }
    let inside =
        (INDIA_LAT.0..=INDIA_LAT.1).contains(&lat) && (INDIA_LON.0..=INDIA_LON.1).contains(&lon);
    if !inside {
        issues.warn(field, codes::GPS_OUTSIDE_INDIA);
    }
    // In range, so the products fit an i64 with room to spare.
    Some(GeoPoint {
        lat_e6: (lat * 1e6).round() as i64,
        lon_e6: (lon * 1e6).round() as i64,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(lat: f64, lon: f64) -> (Option<GeoPoint>, Issues) {
        let mut issues = Issues::new();
        let out = gps(&mut issues, "gps", lat, lon);
        (out, issues)
    }

    #[test]
    fn test_gps_inside_india_rounded_to_microdegrees() {
        // Srinagar.
        let (p, issues) = check(34.083_670_4, 74.797_282_7);
        let p = p.unwrap();
        assert_eq!((p.lat_e6, p.lon_e6), (34_083_670, 74_797_283));
        assert!(issues.is_empty());
        assert!((p.lat() - 34.083_67).abs() < 1e-9);
        assert!((p.lon() - 74.797_283).abs() < 1e-9);
    }

    #[test]
    fn test_gps_invalid_values() {
        for (lat, lon) in [
            (f64::NAN, 77.0),
            (28.6, f64::NAN),
            (f64::INFINITY, 77.0),
            (28.6, f64::NEG_INFINITY),
            (90.000_1, 77.0),
            (-91.0, 77.0),
            (28.6, 180.5),
            (28.6, -181.0),
        ] {
            let (p, issues) = check(lat, lon);
            assert!(p.is_none(), "{lat} {lon}");
            let codes: Vec<_> = issues.errors.iter().map(|i| i.code.as_str()).collect();
            assert_eq!(codes, ["gps.invalid"]);
            assert!(issues.warnings.is_empty());
        }
    }

    #[test]
    fn test_gps_outside_india_is_a_warning() {
        for (lat, lon) in [
            (0.0, 0.0),
            (51.5, -0.12),
            (5.9, 80.0),
            (28.6, 98.1),
            (-90.0, 180.0),
        ] {
            let (p, issues) = check(lat, lon);
            assert!(p.is_some(), "{lat} {lon}");
            assert!(!issues.has_errors());
            let codes: Vec<_> = issues.warnings.iter().map(|i| i.code.as_str()).collect();
            assert_eq!(codes, ["gps.outside_india"], "{lat} {lon}");
        }
        // The box edges count as inside.
        assert!(check(6.0, 68.0).1.is_empty());
        assert!(check(38.0, 98.0).1.is_empty());
    }

    #[test]
    fn test_gps_serde() {
        let p = check(28.613_939, 77.209_021).0.unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"lat_e6":28613939,"lon_e6":77209021}"#);
        assert_eq!(serde_json::from_str::<GeoPoint>(&json).unwrap(), p);
    }
}
