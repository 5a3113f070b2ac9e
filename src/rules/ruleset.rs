//! The rule set of one plan version: the rows of the zoning tables, plus spatial indexes.
//!
//! Every `*Row`-like struct here maps one-to-one onto a table of `migrations/0001_schema.sql`
//! (column names kept), with geometry already transformed to EPSG:32751. A loader fills a
//! [`RuleSetData`] and calls [`RuleSet::new`] once per `(plan id, version)`; the result is
//! immutable, cheap to share behind an `Arc`, and rebuilt when zones, rules or overlays change.

use std::collections::HashMap;
use std::fmt;

use geo::{Area, BooleanOps, BoundingRect, CoordsIter, MultiPolygon, Polygon, Rect, coord};
use serde::{Deserialize, Serialize};

use super::crs::MetricMultiPolygon;
use super::index::BoxIndex;

/// `zoning_plans`: the plan and the version the decision records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub id: i32,
    pub version: i32,
    pub name: String,
}

/// `subzones`: the catalogue of sub-zone codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subzone {
    pub code: String,
    pub zone_code: String,
    /// `lindung` or `budidaya`.
    pub zone_group: String,
    pub zone_name: String,
    pub name: String,
    pub name_en: String,
    /// false where no building mass is allowed at all (water, road bodies, protected land).
    pub buildable: bool,
}

/// `zones`: one polygon of the plan with its sub-zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: i64,
    pub zone_code: String,
    pub subzone_code: String,
    pub name: Option<String>,
    pub block_code: Option<String>,
    pub kelurahan_code: Option<String>,
    pub geom: MetricMultiPolygon,
}

impl Zone {
    /// A road body (sub-zone `BJ`): parcel edges facing it are the front for the GSB rule.
    pub fn is_road_body(&self) -> bool {
        self.subzone_code == "BJ"
    }
}

/// `zone_rules`: intensity per `(sub-zone, variant)`. Percentages 0..100; `None` = not regulated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ZoneRule {
    pub subzone_code: String,
    /// `''` is the default variant (parcel on a local road); others, e.g. `jalan_kolektor`,
    /// are chosen per check with [`CheckInput::variant`](super::CheckInput::variant).
    pub variant: String,
    pub kdb_max_pct: Option<f64>,
    pub klb_max: Option<f64>,
    pub kdh_min_pct: Option<f64>,
    pub ktb_max_pct: Option<f64>,
    pub height_max_m: Option<f64>,
    pub floors_max: Option<i32>,
    pub gsb_min_m: Option<f64>,
    pub jbs_min_m: Option<f64>,
    pub min_parcel_m2: Option<f64>,
    pub note: Option<String>,
}

/// `activities`: a KBLI 2020 activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub kbli_code: String,
    pub title: String,
    pub title_en: String,
    pub section: String,
    pub keywords: String,
}

/// `rule_conditions`: the text of a condition code (`T1`..`T3`, `B1`..`Bn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCondition {
    pub code: String,
    pub text_id: String,
    pub text_en: String,
}

/// ITBX class of an activity in a sub-zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ItbxClass {
    /// Diizinkan: allowed.
    I,
    /// Terbatas: allowed with limits (T1..T3).
    T,
    /// Bersyarat: allowed with conditions (B1..Bn).
    B,
    /// Not allowed.
    X,
}

impl ItbxClass {
    /// Parses the `activity_rules.class` column (`I`, `T`, `B`, `X`).
    pub fn parse(s: &str) -> Option<ItbxClass> {
        match s.trim() {
            "I" => Some(ItbxClass::I),
            "T" => Some(ItbxClass::T),
            "B" => Some(ItbxClass::B),
            "X" => Some(ItbxClass::X),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItbxClass::I => "I",
            ItbxClass::T => "T",
            ItbxClass::B => "B",
            ItbxClass::X => "X",
        }
    }
}

/// `activity_rules`: one cell of the ITBX matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRule {
    pub subzone_code: String,
    pub kbli_code: String,
    pub class: ItbxClass,
    pub condition_codes: Vec<String>,
}

/// `overlays.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlayKind {
    SempadanPantai,
    SempadanSungai,
    KawasanLindung,
    Kkop,
    Krb,
    CagarBudaya,
}

impl OverlayKind {
    /// Parses the `overlays.kind` column.
    pub fn parse(s: &str) -> Option<OverlayKind> {
        Some(match s {
            "sempadan_pantai" => OverlayKind::SempadanPantai,
            "sempadan_sungai" => OverlayKind::SempadanSungai,
            "kawasan_lindung" => OverlayKind::KawasanLindung,
            "kkop" => OverlayKind::Kkop,
            "krb" => OverlayKind::Krb,
            "cagar_budaya" => OverlayKind::CagarBudaya,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OverlayKind::SempadanPantai => "sempadan_pantai",
            OverlayKind::SempadanSungai => "sempadan_sungai",
            OverlayKind::KawasanLindung => "kawasan_lindung",
            OverlayKind::Kkop => "kkop",
            OverlayKind::Krb => "krb",
            OverlayKind::CagarBudaya => "cagar_budaya",
        }
    }

    /// Name for messages: (Bahasa Indonesia, English).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            OverlayKind::SempadanPantai => ("sempadan pantai", "coastal setback"),
            OverlayKind::SempadanSungai => ("sempadan sungai", "river setback"),
            OverlayKind::KawasanLindung => ("kawasan lindung", "protected area"),
            OverlayKind::Kkop => (
                "KKOP (kawasan keselamatan operasi penerbangan)",
                "KKOP (airport safety surface)",
            ),
            OverlayKind::Krb => ("kawasan rawan bencana", "disaster-prone area"),
            OverlayKind::CagarBudaya => ("kawasan cagar budaya", "heritage area"),
        }
    }
}

/// `overlays`: a special provision with geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    pub id: i64,
    pub kind: OverlayKind,
    pub name: String,
    /// No building mass allowed inside (setbacks, protected land).
    pub no_building: bool,
    /// KKOP: maximum building height inside the surface.
    pub height_max_m: Option<f64>,
    /// KRB: banjir / longsor / tsunami ...
    pub hazard: Option<String>,
    /// KRB: rendah / sedang / tinggi.
    pub hazard_level: Option<String>,
    pub condition_id: Option<String>,
    pub condition_en: Option<String>,
    pub geom: MetricMultiPolygon,
}

/// `parcels`: a registered land parcel or an issued permit parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredParcel {
    pub id: i64,
    /// `terdaftar` or `izin`.
    pub kind: String,
    pub parcel_number: Option<String>,
    pub geom: MetricMultiPolygon,
}

/// Thresholds of the engine. The defaults are the values documented on [`check`](super::check).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    /// A zone part (or overlay hit) smaller than this is always a sliver.
    pub sliver_min_m2: f64,
    /// A part smaller than `sliver_max_m2` *and* below `sliver_max_share` of the parcel is a sliver.
    pub sliver_max_m2: f64,
    pub sliver_max_share: f64,
    /// Declared and measured land area (and footprint figure and polygon) may differ this much.
    pub declared_area_rel: f64,
    /// Overlap with a registered parcel is a finding above this area or this share of the parcel.
    pub overlap_min_m2: f64,
    pub overlap_min_share: f64,
    /// A registered parcel covering and covered by the parcel to this share is the same land
    /// (the applicant's own title): reported as `info`, not as an overlap.
    pub same_parcel_share: f64,
    /// A parcel edge within this distance of a road body (BJ) faces the road.
    pub road_facing_m: f64,
    /// Footprint area on a rejected part or a no-building overlay that still counts as "on it".
    pub footprint_overlap_m2: f64,
    /// Height assumed per floor when only the number of floors is given.
    pub metres_per_floor: f64,
    /// A building lower than floors × this is refused as impossible.
    pub min_metres_per_floor: f64,
    /// Most vertices accepted in one input geometry.
    pub max_vertices: usize,
    /// Zone and overlay polygons with more vertices are cut into pieces at build time.
    pub max_piece_vertices: usize,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            sliver_min_m2: 1.0,
            sliver_max_m2: 50.0,
            sliver_max_share: 0.005,
            declared_area_rel: 0.05,
            overlap_min_m2: 1.0,
            overlap_min_share: 0.01,
            same_parcel_share: 0.95,
            road_facing_m: 1.0,
            footprint_overlap_m2: 0.5,
            metres_per_floor: 4.0,
            min_metres_per_floor: 2.0,
            max_vertices: 10_000,
            max_piece_vertices: 256,
        }
    }
}

impl Tolerances {
    /// Whether a part of `area` m² of a parcel of `whole` m² is digitising noise.
    pub fn is_sliver(&self, area: f64, whole: f64) -> bool {
        area < self.sliver_min_m2
            || (area < self.sliver_max_m2 && area < self.sliver_max_share * whole)
    }
}

/// Everything a loader reads for one plan version. Order of the vectors does not matter.
#[derive(Debug, Clone, Default)]
pub struct RuleSetData {
    pub plan: Option<PlanInfo>,
    pub subzones: Vec<Subzone>,
    pub zones: Vec<Zone>,
    pub zone_rules: Vec<ZoneRule>,
    pub activities: Vec<Activity>,
    pub conditions: Vec<RuleCondition>,
    pub activity_rules: Vec<ActivityRule>,
    pub overlays: Vec<Overlay>,
    pub parcels: Vec<RegisteredParcel>,
    pub tolerances: Tolerances,
}

/// Why a rule set could not be built (bad data from the loader, never bad user input).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleSetError {
    #[error("the rule set has no plan (id and version)")]
    MissingPlan,
    #[error("duplicate {what} {key}")]
    Duplicate { what: &'static str, key: String },
    #[error("{what} {key} refers to unknown sub-zone {code:?}")]
    UnknownSubzone {
        what: &'static str,
        key: String,
        code: String,
    },
    #[error("ITBX rule for sub-zone {subzone} refers to unknown KBLI {kbli:?}")]
    UnknownActivity { subzone: String, kbli: String },
    #[error("{what} {key} has an empty or non-finite geometry")]
    BadGeometry { what: &'static str, key: String },
}

/// A piece of a zone, overlay or parcel polygon, small enough to clip quickly.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Index of the owning zone / overlay / parcel in its (id-sorted) vector.
    pub owner: u32,
    pub poly: Polygon<f64>,
}

/// Pieces of one kind of geometry with their index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layer {
    pub pieces: Vec<Piece>,
    index: BoxIndex,
}

impl Layer {
    fn build<'a>(geoms: impl Iterator<Item = &'a MultiPolygon<f64>>, max_vertices: usize) -> Layer {
        let mut pieces = Vec::new();
        for (owner, mp) in geoms.enumerate() {
            for poly in &mp.0 {
                let mut out = Vec::new();
                subdivide(poly, max_vertices, 0, &mut out);
                pieces.extend(out.into_iter().map(|poly| Piece {
                    owner: owner as u32,
                    poly,
                }));
            }
        }
        let items = pieces
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.poly.bounding_rect().map(|r| (r, i as u32)))
            .collect();
        Layer {
            pieces,
            index: BoxIndex::new(items),
        }
    }

    /// Indexes of the pieces whose box meets `rect`, ascending.
    pub(crate) fn candidates(&self, rect: &Rect<f64>, out: &mut Vec<u32>) {
        self.index.query(rect, out);
    }
}

/// Cuts a polygon in halves (along the longer side of its box) until every piece has at most
/// `max_vertices` vertices, like PostGIS `ST_Subdivide`.
pub(crate) fn subdivide(
    poly: &Polygon<f64>,
    max_vertices: usize,
    depth: u32,
    out: &mut Vec<Polygon<f64>>,
) {
    if poly.coords_count() <= max_vertices || depth >= 20 {
        out.push(poly.clone());
        return;
    }
    let Some(b) = poly.bounding_rect() else {
        return;
    };
    let (min, max) = (b.min(), b.max());
    let halves = if b.width() >= b.height() {
        let mid = (min.x + max.x) / 2.0;
        [
            Rect::new(min, coord! {x: mid, y: max.y}),
            Rect::new(coord! {x: mid, y: min.y}, max),
        ]
    } else {
        let mid = (min.y + max.y) / 2.0;
        [
            Rect::new(min, coord! {x: max.x, y: mid}),
            Rect::new(coord! {x: min.x, y: mid}, max),
        ]
    };
    for half in halves {
        for p in poly.intersection(&half.to_polygon()).0 {
            subdivide(&p, max_vertices, depth + 1, out);
        }
    }
}

fn geometry_ok(mp: &MultiPolygon<f64>) -> bool {
    !mp.0.is_empty() && mp.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

/// The immutable, indexed rule set of one plan version. See the module documentation.
pub struct RuleSet {
    pub(crate) plan: PlanInfo,
    pub(crate) tolerances: Tolerances,
    pub(crate) subzones: Vec<Subzone>,
    subzone_idx: HashMap<String, usize>,
    /// Sorted by id.
    pub(crate) zones: Vec<Zone>,
    /// Index into `subzones` of each zone.
    pub(crate) zone_subzone: Vec<usize>,
    /// Sub-zone -> its variants.
    zone_rules: HashMap<String, Vec<ZoneRule>>,
    /// Sorted by KBLI code.
    pub(crate) activities: Vec<Activity>,
    activity_idx: HashMap<String, usize>,
    conditions: HashMap<String, RuleCondition>,
    /// KBLI -> sub-zone -> cell.
    itbx: HashMap<String, HashMap<String, ActivityRule>>,
    /// Sorted by id.
    pub(crate) overlays: Vec<Overlay>,
    /// Sorted by id.
    pub(crate) parcels: Vec<RegisteredParcel>,
    pub(crate) zone_layer: Layer,
    pub(crate) overlay_layer: Layer,
    pub(crate) parcel_layer: Layer,
    /// Area of each registered parcel, m².
    pub(crate) parcel_areas: Vec<f64>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("plan", &self.plan)
            .field("zones", &self.zones.len())
            .field("zone_pieces", &self.zone_layer.pieces.len())
            .field("overlays", &self.overlays.len())
            .field("parcels", &self.parcels.len())
            .field("activities", &self.activities.len())
            .finish_non_exhaustive()
    }
}

fn unique<T>(
    items: &[T],
    what: &'static str,
    key: impl Fn(&T) -> String,
) -> Result<HashMap<String, usize>, RuleSetError> {
    let mut map = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if map.insert(k.clone(), i).is_some() {
            return Err(RuleSetError::Duplicate { what, key: k });
        }
    }
    Ok(map)
}

impl RuleSet {
    /// Checks the references between the tables, sorts everything by key (so the input order
    /// never changes a decision) and builds the spatial indexes.
    pub fn new(data: RuleSetData) -> Result<RuleSet, RuleSetError> {
        let RuleSetData {
            plan,
            mut subzones,
            mut zones,
            zone_rules,
            mut activities,
            conditions,
            activity_rules,
            mut overlays,
            mut parcels,
            tolerances,
        } = data;
        let plan = plan.ok_or(RuleSetError::MissingPlan)?;

        subzones.sort_by(|a, b| a.code.cmp(&b.code));
        let subzone_idx = unique(&subzones, "sub-zone", |s| s.code.clone())?;

        zones.sort_by_key(|z| z.id);
        unique(&zones, "zone", |z| z.id.to_string())?;
        let mut zone_subzone = Vec::with_capacity(zones.len());
        for z in &zones {
            let Some(&i) = subzone_idx.get(&z.subzone_code) else {
                return Err(RuleSetError::UnknownSubzone {
                    what: "zone",
                    key: z.id.to_string(),
                    code: z.subzone_code.clone(),
                });
            };
            if !geometry_ok(z.geom.geom()) {
                return Err(RuleSetError::BadGeometry {
                    what: "zone",
                    key: z.id.to_string(),
                });
            }
            zone_subzone.push(i);
        }

        let mut rules: HashMap<String, Vec<ZoneRule>> = HashMap::new();
        unique(&zone_rules, "zone rule", |r| {
            format!("{}/{}", r.subzone_code, r.variant)
        })?;
        for r in zone_rules {
            if !subzone_idx.contains_key(&r.subzone_code) {
                return Err(RuleSetError::UnknownSubzone {
                    what: "zone rule",
                    key: r.variant.clone(),
                    code: r.subzone_code.clone(),
                });
            }
            rules.entry(r.subzone_code.clone()).or_default().push(r);
        }
        for v in rules.values_mut() {
            v.sort_by(|a, b| a.variant.cmp(&b.variant));
        }

        activities.sort_by(|a, b| a.kbli_code.cmp(&b.kbli_code));
        let activity_idx = unique(&activities, "activity", |a| a.kbli_code.clone())?;

        let mut condition_map = HashMap::new();
        for c in conditions {
            let code = c.code.clone();
            if condition_map.insert(code.clone(), c).is_some() {
                return Err(RuleSetError::Duplicate {
                    what: "condition",
                    key: code,
                });
            }
        }

        let mut itbx: HashMap<String, HashMap<String, ActivityRule>> = HashMap::new();
        for r in activity_rules {
            if !subzone_idx.contains_key(&r.subzone_code) {
                return Err(RuleSetError::UnknownSubzone {
                    what: "ITBX rule",
                    key: r.kbli_code.clone(),
                    code: r.subzone_code.clone(),
                });
            }
            if !activity_idx.contains_key(&r.kbli_code) {
                return Err(RuleSetError::UnknownActivity {
                    subzone: r.subzone_code,
                    kbli: r.kbli_code,
                });
            }
            let key = format!("{}/{}", r.subzone_code, r.kbli_code);
            let cells = itbx.entry(r.kbli_code.clone()).or_default();
            if cells.insert(r.subzone_code.clone(), r).is_some() {
                return Err(RuleSetError::Duplicate {
                    what: "ITBX rule",
                    key,
                });
            }
        }

        overlays.sort_by_key(|o| o.id);
        unique(&overlays, "overlay", |o| o.id.to_string())?;
        if let Some(o) = overlays.iter().find(|o| !geometry_ok(o.geom.geom())) {
            return Err(RuleSetError::BadGeometry {
                what: "overlay",
                key: o.id.to_string(),
            });
        }
        parcels.sort_by_key(|p| p.id);
        unique(&parcels, "parcel", |p| p.id.to_string())?;
        if let Some(p) = parcels.iter().find(|p| !geometry_ok(p.geom.geom())) {
            return Err(RuleSetError::BadGeometry {
                what: "parcel",
                key: p.id.to_string(),
            });
        }

        let max = tolerances.max_piece_vertices.max(16);
        let zone_layer = Layer::build(zones.iter().map(|z| z.geom.geom()), max);
        let overlay_layer = Layer::build(overlays.iter().map(|o| o.geom.geom()), max);
        let parcel_layer = Layer::build(parcels.iter().map(|p| p.geom.geom()), max);
        let parcel_areas = parcels
            .iter()
            .map(|p| p.geom.geom().unsigned_area())
            .collect();

        Ok(RuleSet {
            plan,
            tolerances,
            subzones,
            subzone_idx,
            zones,
            zone_subzone,
            zone_rules: rules,
            activities,
            activity_idx,
            conditions: condition_map,
            itbx,
            overlays,
            parcels,
            zone_layer,
            overlay_layer,
            parcel_layer,
            parcel_areas,
        })
    }

    /// The plan id and version every decision from this rule set records.
    pub fn plan(&self) -> &PlanInfo {
        &self.plan
    }

    pub fn tolerances(&self) -> &Tolerances {
        &self.tolerances
    }

    /// Zones, sorted by id.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Overlays, sorted by id.
    pub fn overlays(&self) -> &[Overlay] {
        &self.overlays
    }

    /// Activities, sorted by KBLI code.
    pub fn activities(&self) -> &[Activity] {
        &self.activities
    }

    pub fn subzone(&self, code: &str) -> Option<&Subzone> {
        self.subzone_idx.get(code).map(|&i| &self.subzones[i])
    }

    pub fn activity(&self, kbli: &str) -> Option<&Activity> {
        self.activity_idx.get(kbli).map(|&i| &self.activities[i])
    }

    pub fn condition(&self, code: &str) -> Option<&RuleCondition> {
        self.conditions.get(code)
    }

    /// The ITBX cell of an activity in a sub-zone (`None`: the matrix has no row).
    pub fn itbx(&self, kbli: &str, subzone: &str) -> Option<&ActivityRule> {
        self.itbx.get(kbli).and_then(|m| m.get(subzone))
    }

    /// Every ITBX cell of a sub-zone, sorted by KBLI code ("what may I build here?").
    pub fn itbx_in(&self, subzone: &str) -> Vec<&ActivityRule> {
        let mut v: Vec<&ActivityRule> = self.itbx.values().filter_map(|m| m.get(subzone)).collect();
        v.sort_by(|a, b| a.kbli_code.cmp(&b.kbli_code));
        v
    }

    /// The intensity rule of a sub-zone: `variant` if the plan has it, else the default `''`.
    pub fn zone_rule(&self, subzone: &str, variant: &str) -> Option<&ZoneRule> {
        let v = self.zone_rules.get(subzone)?;
        v.iter()
            .find(|r| r.variant == variant)
            .or_else(|| v.iter().find(|r| r.variant.is_empty()))
    }

    /// Zones containing a point (EPSG:32751; a point on a shared edge is in both), sorted by id.
    pub fn zones_at(&self, x: f64, y: f64) -> Vec<&Zone> {
        use geo::Intersects;
        let c = coord! {x: x, y: y};
        let mut cand = Vec::new();
        self.zone_layer.candidates(&Rect::new(c, c), &mut cand);
        let mut owners: Vec<u32> = cand
            .iter()
            .map(|&i| &self.zone_layer.pieces[i as usize])
            .filter(|p| p.poly.intersects(&c))
            .map(|p| p.owner)
            .collect();
        owners.sort_unstable();
        owners.dedup();
        owners
            .into_iter()
            .map(|o| &self.zones[o as usize])
            .collect()
    }
}
