//! Server-rendered SVG charts for the coverage page: people with an ABHA against target per
//! village, and the enrolment funnel.
//!
//! The charts are plain SVG 1.1 markup: no scripts, no links, no external fonts (the generic
//! `sans-serif` family), so they work offline and inline in the dashboard page or saved as a
//! file. Each is `role="img"` with a `<title>` and a `<desc>` that states the figures for screen
//! readers. Colours are from the Okabe-Ito palette, safe for colour-blind readers, and villages
//! without a target are told apart by a hatch pattern as well as by colour. Every text is
//! XML-escaped; village names may be in any script, right-to-left names are laid out as such.
//!
//! Every word shown is in [`Labels`] ([`ENGLISH`] for now), so the charts can be localised in
//! one place.

use std::fmt::Write as _;

use super::coverage::{Coverage, Funnel, Stage, Totals, VillageCoverage, percent};

/// Every text the charts show.
#[derive(Debug, Clone)]
pub struct Labels {
    /// Title of the coverage chart.
    pub coverage_title: &'static str,
    /// Description of the coverage chart; `{villages}`, `{with_target}`, `{with_abha}`,
    /// `{target}` and `{percent}` are filled in.
    pub coverage_desc: &'static str,
    /// Shown instead of a chart when the area holds no village.
    pub no_villages: &'static str,
    /// Value label of a village without a target.
    pub no_target: &'static str,
    /// Legend: people with an ABHA, in a village with a target.
    pub legend_with_abha: &'static str,
    /// Legend: people with an ABHA, in a village without a target.
    pub legend_no_target: &'static str,
    /// Legend: the target marker.
    pub legend_target: &'static str,
    /// Prefix of a district's heading row.
    pub district: &'static str,
    /// Title of the funnel chart.
    pub funnel_title: &'static str,
    /// Description of the funnel chart, before the list of stages.
    pub funnel_desc: &'static str,
    /// Suffix of a stage's percent (`42.0% of members`).
    pub of_members: &'static str,
    /// Stage names, in [`Stage::ALL`] order.
    pub stages: [&'static str; 6],
}

impl Labels {
    /// The name of `stage`.
    pub fn stage(&self, stage: Stage) -> &'static str {
        let i = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
        self.stages[i]
    }
}

/// The dashboard's English texts.
pub const ENGLISH: Labels = Labels {
    coverage_title: "People with an ABHA against target, by village",
    coverage_desc: "{villages} villages, {with_target} of them with a target. \
                    {with_abha} people with an ABHA against a target of {target} ({percent}).",
    no_villages: "No villages in your area.",
    no_target: "no target",
    legend_with_abha: "People with an ABHA",
    legend_no_target: "People with an ABHA, village without target",
    legend_target: "Target",
    district: "District",
    funnel_title: "Enrolment funnel",
    funnel_desc: "Members at or past each stage of enrolment:",
    of_members: "of members",
    stages: [
        "Members",
        "Consent recorded",
        "ABHA requested",
        "Request at the hub",
        "ABDM answered",
        "Has an ABHA",
    ],
};

// Okabe-Ito colours.
const BLUE: &str = "#0072B2";
const GREEN: &str = "#009E73";
const GREY: &str = "#999999";
const INK: &str = "#222222";
const MUTED: &str = "#666666";
const GRID: &str = "#dddddd";

const WIDTH: u32 = 760;
const FONT: &str = r#"font-family="sans-serif" font-size="12""#;

/// Escapes text for XML content and attribute values; characters XML 1.0 forbids are replaced.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether the first strongly directional letter of `s` is right-to-left (Arabic script, as
/// Urdu and Kashmiri use, or Hebrew).
fn is_rtl(s: &str) -> bool {
    for c in s.chars() {
        let u = c as u32;
        if matches!(u, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF) {
            return true;
        }
        if c.is_alphabetic() {
            return false;
        }
    }
    false
}

/// A combining mark or joiner that must not end a cut-off name (Devanagari and Arabic marks).
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x200C | 0x200D)
}

/// `s` cut to at most `max` characters (with an ellipsis), never leaving a mark dangling.
fn shorten(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.to_owned();
    }
    let mut cut = max.saturating_sub(1);
    // Keep a letter with its marks: cut before the letter whose marks would be split off.
    while cut > 0 && is_mark(chars[cut]) {
        cut -= 1;
    }
    let mut out: String = chars[..cut].iter().collect();
    out.push('…');
    out
}

/// A count with Indian digit grouping (`12,34,567`).
pub fn group(n: u64) -> String {
    let s = n.to_string();
    if s.len() <= 3 {
        return s;
    }
    let (head, tail) = s.split_at(s.len() - 3);
    let mut parts: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (a, b) = rest.split_at(rest.len() - 2);
        parts.push(b);
        rest = a;
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts.reverse();
    format!("{},{tail}", parts.join(","))
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
}

/// A round step for about four grid lines up to `max`.
fn nice_step(max: u64) -> u64 {
    let rough = (max / 4).max(1);
    let mut mag = 1u64;
    while mag.saturating_mul(10) <= rough {
        mag *= 10;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= rough)
        .unwrap_or(10 * mag)
}

fn open(out: &mut String, id: &str, height: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc" {FONT}><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect width="{WIDTH}" height="{height}" fill="#ffffff"/>"##,
        escape(title),
        escape(desc),
    );
}

/// A text at (`x`, `y`) ending at `x` (right-aligned), laid out right-to-left if it is.
fn text_end(out: &mut String, x: u32, y: u32, s: &str, extra: &str) {
    let dir = if is_rtl(s) {
        r#"direction="rtl" text-anchor="start""#
    } else {
        r#"text-anchor="end""#
    };
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" {dir} fill="{INK}"{extra}>{}</text>"#,
        escape(s)
    );
}

fn text_start(out: &mut String, x: u32, y: u32, s: &str, fill: &str, extra: &str) {
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" fill="{fill}"{extra}>{}</text>"#,
        escape(s)
    );
}

// Coverage chart geometry.
const LABEL_END: u32 = 222;
const BAR_X: u32 = 232;
const BAR_W: u32 = 340;
const VALUE_X: u32 = 584;
const ROW_H: u32 = 22;
const HEAD_H: u32 = 26;
const TOP: u32 = 56;

fn scaled(v: u64, scale: u64) -> f64 {
    v as f64 / scale.max(1) as f64 * f64::from(BAR_W)
}

fn totals_value(t: &Totals) -> String {
    match t.target {
        Some(target) => format!(
            "{} / {} · {}",
            group(t.with_abha_in_targeted),
            group(target),
            pct(t.percent)
        ),
        None => group(t.with_abha),
    }
}

fn village_value(v: &VillageCoverage, l: &Labels) -> String {
    match v.target {
        Some(t) => format!("{} / {} · {}", group(v.with_abha), group(t), pct(v.percent)),
        None => format!("{} · {}", group(v.with_abha), l.no_target),
    }
}

/// The coverage chart in English.
pub fn coverage_chart(c: &Coverage) -> String {
    coverage_chart_in(c, &ENGLISH)
}

/// The coverage chart: one row per village (grouped under district headings), a bar of the
/// people with an ABHA, a marker at the target, and the figures with the percent. Villages
/// without a target have hatched grey bars and say so.
pub fn coverage_chart_in(c: &Coverage, l: &Labels) -> String {
    let t = &c.total;
    let desc = l
        .coverage_desc
        .replace("{villages}", &group(t.villages))
        .replace("{with_target}", &group(t.villages_with_target))
        .replace("{with_abha}", &group(t.with_abha_in_targeted))
        .replace("{target}", &t.target.map_or_else(|| "—".into(), group))
        .replace("{percent}", &pct(t.percent));
    let mut out = String::new();
    if c.villages.is_empty() {
        open(&mut out, "cov-svg", 40, l.coverage_title, l.no_villages);
        text_start(&mut out, 8, 24, l.no_villages, MUTED, "");
        out.push_str("</svg>");
        return out;
    }
    let rows = c.villages.len() as u32;
    let heads = c.districts.len().max(1) as u32;
    let height = TOP + heads * HEAD_H + rows * ROW_H + 12;
    open(&mut out, "cov-svg", height, l.coverage_title, &desc);
    let _ = write!(
        out,
        r##"<defs><pattern id="cov-svg-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e6e6e6"/><rect width="2.5" height="6" fill="{GREY}"/></pattern></defs>"##
    );
    // Legend.
    let _ = write!(
        out,
        r#"<rect x="8" y="8" width="14" height="12" fill="{BLUE}"/>"#
    );
    text_start(&mut out, 28, 18, l.legend_with_abha, INK, "");
    let _ = write!(
        out,
        r#"<rect x="190" y="8" width="14" height="12" fill="url(#cov-svg-hatch)" stroke="{GREY}"/>"#
    );
    text_start(&mut out, 210, 18, l.legend_no_target, INK, "");
    let _ = write!(
        out,
        r#"<line x1="520" y1="6" x2="520" y2="22" stroke="{INK}" stroke-width="2"/>"#
    );
    text_start(&mut out, 528, 18, l.legend_target, INK, "");

    // Scale and grid.
    let max = c
        .villages
        .iter()
        .map(|v| v.with_abha.max(v.target.unwrap_or(0)))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = nice_step(max);
    let scale = max.div_ceil(step) * step;
    let grid_bottom = height - 8;
    let mut tick = 0;
    while tick <= scale {
        let x = f64::from(BAR_X) + scaled(tick, scale);
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{grid_bottom}" stroke="{GRID}" stroke-width="1"/><text x="{x:.1}" y="{}" text-anchor="middle" fill="{MUTED}" font-size="10">{}</text>"#,
            TOP - 12,
            TOP - 16,
            group(tick)
        );
        tick += step;
    }

    let mut y = TOP;
    let mut district: Option<u32> = None;
    for v in &c.villages {
        if district != Some(v.district_code) {
            district = Some(v.district_code);
            if let Some(d) = c
                .districts
                .iter()
                .find(|d| d.district_code == v.district_code)
            {
                let name = format!("{} {}", l.district, d.district_name);
                let _ = write!(out, "<g><title>{}</title>", escape(&name));
                text_end(
                    &mut out,
                    LABEL_END,
                    y + 17,
                    &shorten(&d.district_name, 28),
                    r#" font-weight="bold""#,
                );
                text_start(
                    &mut out,
                    VALUE_X,
                    y + 17,
                    &totals_value(&d.totals),
                    INK,
                    r#" font-weight="bold""#,
                );
                out.push_str("</g>");
            }
            y += HEAD_H;
        }
        let value = village_value(v, l);
        let _ = write!(
            out,
            r#"<g><title>{} ({}): {}</title>"#,
            escape(&v.name),
            v.village_code,
            escape(&value)
        );
        text_end(&mut out, LABEL_END, y + 15, &shorten(&v.name, 30), "");
        let w = scaled(v.with_abha, scale);
        let w = if v.with_abha > 0 { w.max(1.0) } else { w };
        let fill = if v.target.is_some() {
            BLUE.to_owned()
        } else {
            "url(#cov-svg-hatch)".to_owned()
        };
        let stroke = if v.target.is_some() {
            String::new()
        } else {
            format!(r#" stroke="{GREY}""#)
        };
        let _ = write!(
            out,
            r#"<rect x="{BAR_X}" y="{}" width="{w:.1}" height="14" fill="{fill}"{stroke}/>"#,
            y + 4
        );
        if let Some(target) = v.target {
            let x = f64::from(BAR_X) + scaled(target, scale);
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="{INK}" stroke-width="2"/>"#,
                y + 1,
                y + ROW_H - 1
            );
        }
        let fill = if v.target.is_some() { INK } else { MUTED };
        text_start(&mut out, VALUE_X, y + 15, &value, fill, "");
        out.push_str("</g>");
        y += ROW_H;
    }
    out.push_str("</svg>");
    out
}

/// The funnel chart in English.
pub fn funnel_chart(f: &Funnel) -> String {
    funnel_chart_in(f, &ENGLISH)
}

// Funnel chart geometry.
const F_LABEL_END: u32 = 200;
const F_CENTER: u32 = 390;
const F_BAR_W: u32 = 360;
const F_VALUE_X: u32 = 584;
const F_ROW_H: u32 = 36;

/// The enrolment funnel: one centred bar per stage, as wide as its share of the members, with
/// the count and the percent of members.
pub fn funnel_chart_in(f: &Funnel, l: &Labels) -> String {
    let stages = f.stages();
    let mut desc = l.funnel_desc.to_owned();
    for (i, (s, n)) in stages.iter().enumerate() {
        let sep = if i == 0 { " " } else { "; " };
        let _ = write!(
            desc,
            "{sep}{}: {} ({})",
            l.stage(*s),
            group(*n),
            pct(percent(*n, f.members))
        );
    }
    desc.push('.');
    let height = 12 + stages.len() as u32 * F_ROW_H;
    let mut out = String::new();
    open(&mut out, "fun-svg", height, l.funnel_title, &desc);
    let mut y = 8;
    for (s, n) in stages {
        let share = if f.members == 0 {
            0.0
        } else {
            (n as f64 / f.members as f64).min(1.0)
        };
        let w = share * f64::from(F_BAR_W);
        let w = if n > 0 { w.max(1.0) } else { w };
        let x = f64::from(F_CENTER) - w / 2.0;
        let fill = if s == Stage::WithAbha { GREEN } else { BLUE };
        let value = format!(
            "{} · {} {}",
            group(n),
            pct(percent(n, f.members)),
            l.of_members
        );
        let _ = write!(
            out,
            r#"<g><title>{}: {}</title>"#,
            escape(l.stage(s)),
            escape(&value)
        );
        text_end(&mut out, F_LABEL_END, y + 19, l.stage(s), "");
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{}" width="{w:.1}" height="26" fill="{fill}"/>"#,
            y + 1
        );
        text_start(&mut out, F_VALUE_X, y + 19, &value, INK, "");
        out.push_str("</g>");
        y += F_ROW_H;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_escape_covers_the_five_entities_and_bad_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b\nc"), "a\u{fffd}b c");
        assert_eq!(escape("गाँव کھاگ"), "गाँव کھاگ");
    }

    #[test]
    fn test_group_uses_indian_grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(123_456), "1,23,456");
        assert_eq!(group(12_345_678), "1,23,45,678");
    }

    #[test]
    fn test_rtl_detection_and_shortening_keep_marks_with_letters() {
        assert!(is_rtl("کھاگ"));
        assert!(is_rtl("12 کھاگ"));
        assert!(!is_rtl("Khag کھاگ"));
        assert!(!is_rtl("खाग"));
        assert_eq!(shorten("Khag", 10), "Khag");
        assert_eq!(shorten("abcdefghijk", 5), "abcd…");
        // "कि" is a letter and a vowel sign: never cut between them.
        let s = shorten("abcकिलो", 5);
        assert_eq!(s, "abc…");
    }

    #[test]
    fn test_nice_step_is_round() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(10), 2);
        assert_eq!(nice_step(400), 100);
        assert_eq!(nice_step(1234), 500);
        assert_eq!(nice_step(90_000), 50_000);
    }

    #[test]
    fn test_funnel_chart_has_every_stage_and_no_script() {
        let f = Funnel {
            members: 10,
            consented: 8,
            requested: 6,
            at_hub: 5,
            answered: 4,
            with_abha: 3,
        };
        let svg = funnel_chart(&f);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        for s in ENGLISH.stages {
            assert!(svg.contains(s), "{s}");
        }
        assert!(svg.contains("30.0% of members"));
        assert!(!svg.contains("<script") && !svg.contains("href"));
        let empty = funnel_chart(&Funnel::default());
        assert!(empty.contains("0 · — of members"));
    }
}
