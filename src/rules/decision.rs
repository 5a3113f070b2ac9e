//! The answer of a check: outcome, zone parts, one finding per rule applied.

use serde::Serialize;

use super::crs::MetricMultiPolygon;
use super::ruleset::ItbxClass;

/// The screening outcome (domain-kupang §1.10). See [`check`](super::check) for how it is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Approved.
    Disetujui,
    /// Approved with conditions (T/B texts, overlay requirements).
    DisetujuiBersyarat,
    /// Approved in part: only `compliant_polygon`.
    DisetujuiSebagian,
    /// Rejected.
    Ditolak,
    /// Needs a verifier's review.
    PerluKajian,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Disetujui => "DISETUJUI",
            Outcome::DisetujuiBersyarat => "DISETUJUI_BERSYARAT",
            Outcome::DisetujuiSebagian => "DISETUJUI_SEBAGIAN",
            Outcome::Ditolak => "DITOLAK",
            Outcome::PerluKajian => "PERLU_KAJIAN",
        }
    }
}

/// The result of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Condition,
    Info,
}

/// What a finding does to the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// No effect (passes and information).
    None,
    /// Attaches conditions: at best `DISETUJUI_BERSYARAT`.
    Condition,
    /// Removes the finding's geometry from the approvable area: at best `DISETUJUI_SEBAGIAN`.
    RejectPart,
    /// Needs a verifier: at best `PERLU_KAJIAN`.
    Review,
    /// Rejects the application: `DITOLAK`.
    Reject,
}

/// Stable rule identifiers, in the order findings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// Parcel geometry valid, simple, not empty (always `pass`: bad geometry is a `CheckError`).
    Geometry,
    /// The parcel lies inside the plan's zones (outside = outside the city, or in the sea).
    PlanArea,
    /// Declared vs measured land area.
    LandArea,
    /// The drawn footprint lies inside the parcel.
    FootprintWithinParcel,
    /// The footprint figure agrees with the drawn footprint.
    FootprintArea,
    /// ITBX class of the activity, per zone part.
    Itbx,
    /// No building mass on a non-buildable sub-zone (BJ, BA, HL, ...).
    Buildable,
    /// Something of the parcel is left after removing the rejected parts.
    Remainder,
    /// An intensity rule exists for every zone part the building uses.
    IntensityRules,
    MinParcel,
    Kdb,
    Klb,
    Kdh,
    Ktb,
    Height,
    Floors,
    Gsb,
    OverlaySempadanPantai,
    OverlaySempadanSungai,
    OverlayKawasanLindung,
    OverlayKkop,
    OverlayKrb,
    OverlayCagarBudaya,
    /// No overlay touches the parcel.
    Overlays,
    /// Overlap with registered parcels.
    ParcelOverlap,
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::Geometry => "geometry",
            RuleId::PlanArea => "plan_area",
            RuleId::LandArea => "land_area",
            RuleId::FootprintWithinParcel => "footprint_within_parcel",
            RuleId::FootprintArea => "footprint_area",
            RuleId::Itbx => "itbx",
            RuleId::Buildable => "buildable",
            RuleId::Remainder => "remainder",
            RuleId::IntensityRules => "intensity_rules",
            RuleId::MinParcel => "min_parcel",
            RuleId::Kdb => "kdb",
            RuleId::Klb => "klb",
            RuleId::Kdh => "kdh",
            RuleId::Ktb => "ktb",
            RuleId::Height => "height",
            RuleId::Floors => "floors",
            RuleId::Gsb => "gsb",
            RuleId::OverlaySempadanPantai => "overlay_sempadan_pantai",
            RuleId::OverlaySempadanSungai => "overlay_sempadan_sungai",
            RuleId::OverlayKawasanLindung => "overlay_kawasan_lindung",
            RuleId::OverlayKkop => "overlay_kkop",
            RuleId::OverlayKrb => "overlay_krb",
            RuleId::OverlayCagarBudaya => "overlay_cagar_budaya",
            RuleId::Overlays => "overlays",
            RuleId::ParcelOverlap => "parcel_overlap",
        }
    }
}

/// A condition attached to an approval: an ITBX code (`T1`, `B2`) or an overlay provision
/// (`krb-<overlay id>`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConditionText {
    pub code: String,
    pub text_id: String,
    pub text_en: String,
}

/// The outcome of one rule, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub status: Status,
    pub effect: Effect,
    /// Zone the finding is about (per-part rules), or the zone whose limit applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subzone_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parcel_id: Option<i64>,
    /// The measured value (rounded to 0.01), in `unit`.
    pub measured: Option<f64>,
    /// The limit it was compared with, in `unit`.
    pub limit: Option<f64>,
    /// `m2`, `m`, `pct`, `ratio` or `floors`.
    pub unit: Option<&'static str>,
    /// Message in Bahasa Indonesia.
    pub message_id: String,
    /// Message in English.
    pub message_en: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionText>,
    /// The offending part, EPSG:32751.
    pub geometry: Option<MetricMultiPolygon>,
}

impl Finding {
    pub(crate) fn new(
        rule: RuleId,
        status: Status,
        effect: Effect,
        message_id: String,
        message_en: String,
    ) -> Finding {
        Finding {
            rule,
            status,
            effect,
            zone_id: None,
            subzone_code: None,
            overlay_id: None,
            parcel_id: None,
            measured: None,
            limit: None,
            unit: None,
            message_id,
            message_en,
            conditions: Vec::new(),
            geometry: None,
        }
    }

    pub(crate) fn values(
        mut self,
        measured: Option<f64>,
        limit: Option<f64>,
        unit: &'static str,
    ) -> Finding {
        self.measured = measured.map(super::crs::r2);
        self.limit = limit.map(super::crs::r2);
        self.unit = Some(unit);
        self
    }

    pub(crate) fn zone(mut self, zone_id: i64, subzone: &str) -> Finding {
        self.zone_id = Some(zone_id);
        self.subzone_code = Some(subzone.to_string());
        self
    }

    pub(crate) fn geometry(mut self, g: Option<MetricMultiPolygon>) -> Finding {
        self.geometry = g;
        self
    }
}

/// One zone's part of the parcel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZonePart {
    pub zone_id: i64,
    pub zone_code: String,
    pub subzone_code: String,
    pub subzone_name: String,
    /// m², rounded to 0.01.
    pub area_m2: f64,
    /// Share of the parcel, 0..1, rounded to 0.0001.
    pub share: f64,
    /// ITBX class of the activity here (`None`: no matrix row, or a sliver).
    pub itbx: Option<ItbxClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub condition_codes: Vec<String>,
}

/// The decision of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// One-line explanation, Bahasa Indonesia.
    pub summary_id: String,
    /// One-line explanation, English.
    pub summary_en: String,
    pub plan_id: i32,
    pub plan_version: i32,
    pub kbli: String,
    pub activity_title: String,
    /// Measured parcel area, m² (EPSG:32751).
    pub parcel_area_m2: f64,
    /// Zone parts of the parcel, sorted by sub-zone code, then area (largest first), then id.
    pub zones: Vec<ZonePart>,
    /// Parts too small to count (digitising noise), same order.
    pub ignored_slivers: Vec<ZonePart>,
    /// One per rule applied, in [`RuleId`] order.
    pub findings: Vec<Finding>,
    /// Every condition attached by the findings, sorted by code.
    pub conditions: Vec<ConditionText>,
    /// Area the approval covers (the parcel, or the compliant polygon), m².
    pub approvable_area_m2: f64,
    /// For `DISETUJUI_SEBAGIAN` (and for `PERLU_KAJIAN` when parts were removed): the parcel
    /// without its rejected parts, EPSG:32751.
    pub compliant_polygon: Option<MetricMultiPolygon>,
}

impl Decision {
    /// Findings of one rule, in report order.
    pub fn findings_of(&self, rule: RuleId) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

impl Decision {
    /// The decision as a plain-text table (`ruang check` without `--json`): outcome, summary,
    /// plan, zone parts, findings (Indonesian message, English under it), conditions.
    pub fn text_table(&self) -> String {
        let d = self;
        use std::fmt::Write;
        let num = |x: Option<f64>, unit: Option<&str>| match x {
            Some(x) => format!("{x} {}", unit.unwrap_or("")).trim().to_string(),
            None => "-".to_string(),
        };
        let mut s = String::new();
        let _ = writeln!(s, "outcome:  {}", d.outcome.as_str());
        let _ = writeln!(s, "summary:  {}", d.summary_id);
        let _ = writeln!(s, "          {}", d.summary_en);
        let _ = writeln!(
            s,
            "plan:     {} version {}; KBLI {} {}",
            d.plan_id, d.plan_version, d.kbli, d.activity_title
        );
        let _ = writeln!(
            s,
            "parcel:   {} m², approvable {} m²",
            d.parcel_area_m2, d.approvable_area_m2
        );
        let _ = writeln!(s, "\nzone parts:");
        let _ = writeln!(
            s,
            "  {:<8} {:<8} {:>10} {:>7}  {:<4} name",
            "zone", "subzone", "area m²", "share", "ITBX"
        );
        for z in &d.zones {
            let _ = writeln!(
                s,
                "  {:<8} {:<8} {:>10} {:>6.1}%  {:<4} {}",
                z.zone_id,
                z.subzone_code,
                z.area_m2,
                z.share * 100.0,
                z.itbx.map(|c| c.as_str()).unwrap_or("-"),
                z.subzone_name
            );
        }
        for z in &d.ignored_slivers {
            let _ = writeln!(
                s,
                "  {:<8} {:<8} {:>10} {:>6.1}%  (sliver, ignored)",
                z.zone_id,
                z.subzone_code,
                z.area_m2,
                z.share * 100.0
            );
        }
        let _ = writeln!(s, "\nfindings:");
        let _ = writeln!(
            s,
            "  {:<24} {:<10} {:>14} {:>14}  message",
            "rule", "status", "measured", "limit"
        );
        for f in &d.findings {
            let status = serde_json::to_value(f.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<24} {:<10} {:>14} {:>14}  {}",
                f.rule.as_str(),
                status,
                num(f.measured, f.unit),
                num(f.limit, f.unit),
                f.message_id
            );
            let _ = writeln!(
                s,
                "  {:<24} {:<10} {:>14} {:>14}  {}",
                "", "", "", "", f.message_en
            );
        }
        if !d.conditions.is_empty() {
            let _ = writeln!(s, "\nconditions:");
            for c in &d.conditions {
                let _ = writeln!(s, "  {}: {} / {}", c.code, c.text_id, c.text_en);
            }
        }
        s
    }
}
