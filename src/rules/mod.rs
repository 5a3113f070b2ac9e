//! The pure zoning rule engine (issue 5): given a parcel, an activity (KBLI) and building
//! figures, say whether the active plan allows it, under which conditions, and exactly why.
//!
//! No database, HTTP or file I/O here: plain Rust over `geo` types and a [`RuleSet`] value.
//!
//! - [`crs`]: [`Utm51s`], geometry in EPSG:32751 metres, the only geometry the engine takes.
//! - [`ruleset`]: [`RuleSetData`] (one struct per zoning table) and [`RuleSet`] (sorted,
//!   indexed, immutable; built once per plan version).
//! - [`input`]: [`CheckInput`], [`BuildingFigures`], [`CheckError`], [`diagnose_lonlat`].
//! - [`decision`]: [`Decision`], [`Finding`], [`Outcome`], [`RuleId`].
//! - `engine`: [`check`], whose documentation is the contract: rules, tolerances, outcome.
//!
//! ```
//! use geo::polygon;
//! use ruang::rules::*;
//!
//! let square = |x0: f64, y0: f64, d: f64| -> MetricMultiPolygon {
//!     Utm51s::new(polygon![(x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)]).into()
//! };
//! let rs = RuleSet::new(RuleSetData {
//!     plan: Some(PlanInfo { id: 1, version: 3, name: "RDTR".into() }),
//!     subzones: vec![Subzone {
//!         code: "R-2".into(), zone_code: "R".into(), zone_group: "budidaya".into(),
//!         zone_name: "Perumahan".into(), name: "Perumahan Kepadatan Tinggi".into(),
//!         name_en: "Housing, high density".into(), buildable: true,
//!     }],
//!     zones: vec![Zone {
//!         id: 10, zone_code: "R".into(), subzone_code: "R-2".into(), name: None,
//!         block_code: None, kelurahan_code: None, geom: square(566_000.0, 8_876_000.0, 200.0),
//!     }],
//!     zone_rules: vec![ZoneRule {
//!         subzone_code: "R-2".into(), kdb_max_pct: Some(80.0), min_parcel_m2: Some(120.0),
//!         ..Default::default()
//!     }],
//!     activities: vec![Activity {
//!         kbli_code: "68111".into(), title: "Real Estat".into(), title_en: "Real estate".into(),
//!         section: "L".into(), keywords: "rumah".into(),
//!     }],
//!     activity_rules: vec![ActivityRule {
//!         subzone_code: "R-2".into(), kbli_code: "68111".into(), class: ItbxClass::I,
//!         condition_codes: vec![],
//!     }],
//!     ..Default::default()
//! })
//! .unwrap();
//! let d = check(&rs, &CheckInput {
//!     parcel: square(566_050.0, 8_876_050.0, 15.0),
//!     footprint: None,
//!     kbli: "68111".into(),
//!     building: BuildingFigures::default(),
//!     declared_land_area_m2: Some(225.0),
//!     variant: None,
//! })
//! .unwrap();
//! assert_eq!(d.outcome, Outcome::Disetujui, "{}", d.summary_en);
//! assert_eq!(d.findings_of(RuleId::MinParcel).next().unwrap().status, Status::Pass);
//! assert_eq!((d.plan_id, d.plan_version), (1, 3));
//! ```

pub mod crs;
pub mod decision;
mod engine;
mod index;
pub mod input;
pub mod ruleset;
mod text;
mod valid;

pub use crs::{EPSG_UTM51S, MetricMultiPolygon, Utm51s};
pub use decision::{ConditionText, Decision, Effect, Finding, Outcome, RuleId, Status, ZonePart};
pub use engine::check;
pub use input::{
    ActivitySuggestion, BuildingFigures, CheckError, CheckErrorKind, CheckInput, diagnose_lonlat,
};
pub use ruleset::{
    Activity, ActivityRule, ItbxClass, Overlay, OverlayKind, PlanInfo, RegisteredParcel,
    RuleCondition, RuleSet, RuleSetData, RuleSetError, Subzone, Tolerances, Zone, ZoneRule,
};
