//! The impact of a draft before it takes effect: every issued permit and every open application
//! re-checked in-process, with the pure engine, under the active plan and under the draft; the
//! ones whose outcome (or whose attached conditions) would change are listed with both
//! decisions' findings, and counted per kelurahan.
//!
//! Subjects: applications that are `ISSUED` (checked on the approved parcel when a part was
//! approved), open (`SUBMITTED` .. `FORUM_REVIEW`, and `DECIDED` unless rejected), and issued
//! permit parcels (`parcels.kind = 'izin'`) that have no application here (older permits
//! loaded from elsewhere; checked for their KBLI without building figures).
//!
//! Most subjects cannot change: [`Screen`] keeps for re-checking only those near a zone or
//! overlay that differs between the plans (not the same sub-zone and geometry, within
//! [`MARGIN_M`]) or lying by a sub-zone whose intensity rows, or whose matrix cell for the
//! subject's KBLI, differ. `full` skips the screen (the tests compare both).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::Instant;

use geo::{BoundingRect, CoordsIter, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::PlanError;
use super::diff::{PlanRef, RulesDiff};
use crate::rules::{BuildingFigures, CheckInput, Decision, RuleSet, Utm51s};

/// Distance around a subject within which a changed zone or overlay may alter its check (the
/// engine looks at road bodies next to the parcel for the front setback).
pub const MARGIN_M: f64 = 50.0;

/// One permit or application to re-check.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `application` (open), `permit` (issued application) or `permit_parcel`.
    pub kind: &'static str,
    pub application_id: Option<Uuid>,
    pub parcel_id: Option<i64>,
    pub reference: Option<String>,
    pub permit_number: Option<String>,
    pub status: Option<String>,
    pub kelurahan_code: Option<String>,
    pub input: CheckInput,
}

/// Reads every issued permit and open application (geometry in EPSG:32751).
pub async fn subjects(conn: &mut PgConnection) -> Result<Vec<Subject>, PlanError> {
    let mut out = Vec::new();
    use crate::permits::applications::{CHECK_INPUT_COLUMNS, check_input_of_row};
    let rows = sqlx::query(&format!(
        "SELECT id, reference, status, permit_number, kelurahan_code, {CHECK_INPUT_COLUMNS},
                ST_AsBinary(ST_Transform(CASE WHEN status IN ('ISSUED', 'DECIDED')
                                              THEN coalesce(approved_parcel, parcel)
                                              ELSE parcel END, 32751)) AS wkb
           FROM applications
          WHERE status IN ('ISSUED', 'SUBMITTED', 'ADMIN_CHECK', 'RETURNED', 'TECHNICAL_REVIEW', 'FORUM_REVIEW')
             OR (status = 'DECIDED' AND decision <> 'rejected')
          ORDER BY created_at, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let status: String = r.try_get("status")?;
        out.push(Subject {
            kind: if status == "ISSUED" {
                "permit"
            } else {
                "application"
            },
            application_id: Some(r.try_get("id")?),
            parcel_id: None,
            reference: r.try_get("reference")?,
            permit_number: r.try_get("permit_number")?,
            status: Some(status),
            kelurahan_code: r.try_get("kelurahan_code")?,
            input: check_input_of_row(&r)?,
        });
    }
    let rows = sqlx::query(
        "SELECT p.id, p.permit_number, p.kbli_code, p.kelurahan_code,
                ST_AsBinary(ST_Transform(p.geom, 32751)) AS wkb
           FROM parcels p
          WHERE p.kind = 'izin' AND p.application_id IS NULL AND p.kbli_code IS NOT NULL
          ORDER BY p.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let wkb: Vec<u8> = r.try_get("wkb")?;
        let parcel = crate::check::wkb::multipolygon(&wkb).map_err(PlanError::Internal)?;
        out.push(Subject {
            kind: "permit_parcel",
            application_id: None,
            parcel_id: Some(r.try_get("id")?),
            reference: None,
            permit_number: r.try_get("permit_number")?,
            status: Some("ISSUED".into()),
            kelurahan_code: r.try_get("kelurahan_code")?,
            input: CheckInput {
                parcel: Utm51s::new(parcel),
                footprint: None,
                kbli: r.try_get("kbli_code")?,
                building: BuildingFigures::default(),
                declared_land_area_m2: None,
                variant: None,
            },
        });
    }
    Ok(out)
}

fn geom_hash(g: &geo::MultiPolygon<f64>, h: &mut impl Hasher) {
    for c in g.coords_iter() {
        c.x.to_bits().hash(h);
        c.y.to_bits().hash(h);
    }
}

type Boxes = RTree<Rectangle<[f64; 2]>>;

fn rect(r: Rect<f64>, margin: f64) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners(
        [r.min().x - margin, r.min().y - margin],
        [r.max().x + margin, r.max().y + margin],
    )
}

/// Which subjects may be affected by the change from `before` to `after`.
pub struct Screen {
    changed_areas: Boxes,
    /// Zones of the plan before, by bounding box, with their sub-zone.
    zones: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    zone_subzones: Vec<String>,
    intensity_changed: HashSet<String>,
    /// (sub-zone, KBLI) whose matrix cell differs (or whose cell's condition texts do).
    cells_changed: HashSet<(String, String)>,
}

impl Screen {
    pub fn new(before: &RuleSet, after: &RuleSet, rules: &RulesDiff) -> Screen {
        let zone_key = |z: &crate::rules::Zone| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            z.subzone_code.hash(&mut h);
            geom_hash(z.geom.geom(), &mut h);
            h.finish()
        };
        let overlay_key = |o: &crate::rules::Overlay| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            o.kind.hash(&mut h);
            o.name.hash(&mut h);
            o.no_building.hash(&mut h);
            o.height_max_m.map(f64::to_bits).hash(&mut h);
            o.hazard.hash(&mut h);
            o.hazard_level.hash(&mut h);
            o.condition_id.hash(&mut h);
            o.condition_en.hash(&mut h);
            geom_hash(o.geom.geom(), &mut h);
            h.finish()
        };
        let mut areas = Vec::new();
        let count = |keys: Vec<u64>| {
            let mut m: HashMap<u64, i64> = HashMap::new();
            for k in keys {
                *m.entry(k).or_default() += 1;
            }
            m
        };
        let za = count(before.zones().iter().map(zone_key).collect());
        let zb = count(after.zones().iter().map(zone_key).collect());
        for (rs, other) in [(before, &zb), (after, &za)] {
            for z in rs.zones() {
                if !other.contains_key(&zone_key(z))
                    && let Some(r) = z.geom.geom().bounding_rect()
                {
                    areas.push(rect(r, MARGIN_M));
                }
            }
        }
        let oa = count(before.overlays().iter().map(overlay_key).collect());
        let ob = count(after.overlays().iter().map(overlay_key).collect());
        for (rs, other) in [(before, &ob), (after, &oa)] {
            for o in rs.overlays() {
                if !other.contains_key(&overlay_key(o))
                    && let Some(r) = o.geom.geom().bounding_rect()
                {
                    areas.push(rect(r, MARGIN_M));
                }
            }
        }
        let zones = before
            .zones()
            .iter()
            .enumerate()
            .filter_map(|(i, z)| {
                z.geom
                    .geom()
                    .bounding_rect()
                    .map(|r| GeomWithData::new(rect(r, MARGIN_M), i))
            })
            .collect();
        let changed_codes: HashSet<&str> =
            rules.conditions.iter().map(|c| c.code.as_str()).collect();
        let mut cells_changed: HashSet<(String, String)> = rules
            .itbx
            .iter()
            .map(|c| (c.subzone.clone(), c.kbli.clone()))
            .collect();
        if !changed_codes.is_empty() {
            for rs in [before, after] {
                for z in rs.zones() {
                    for cell in rs.itbx_in(&z.subzone_code) {
                        if cell
                            .condition_codes
                            .iter()
                            .any(|c| changed_codes.contains(c.as_str()))
                        {
                            cells_changed
                                .insert((cell.subzone_code.clone(), cell.kbli_code.clone()));
                        }
                    }
                }
            }
        }
        Screen {
            changed_areas: RTree::bulk_load(areas),
            zones: RTree::bulk_load(zones),
            zone_subzones: before
                .zones()
                .iter()
                .map(|z| z.subzone_code.clone())
                .collect(),
            intensity_changed: rules.intensity.iter().map(|r| r.subzone.clone()).collect(),
            cells_changed,
        }
    }

    /// Whether the subject's check may differ between the plans.
    pub fn may_change(&self, s: &Subject) -> bool {
        let Some(r) = s.input.parcel.geom().bounding_rect() else {
            return true;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        if self
            .changed_areas
            .locate_in_envelope_intersecting(&env)
            .next()
            .is_some()
        {
            return true;
        }
        self.zones.locate_in_envelope_intersecting(&env).any(|z| {
            let sz = &self.zone_subzones[z.data];
            self.intensity_changed.contains(sz)
                || self
                    .cells_changed
                    .contains(&(sz.clone(), s.input.kbli.clone()))
        })
    }
}

/// One side of a changed subject.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    /// The outcome (`DISETUJUI`, ...), or `ERROR` when the check refused the input.
    pub outcome: String,
    /// Condition codes attached (T/B codes, overlay kinds).
    pub conditions: Vec<String>,
    pub summary_id: String,
    pub summary_en: String,
    pub findings: Vec<FindingBrief>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FindingBrief {
    pub rule: String,
    pub status: String,
    pub effect: String,
    pub subzone_code: Option<String>,
    pub message_id: String,
    pub message_en: String,
}

/// The conditions a decision attaches: (shown, compared). T/B codes as they are; an overlay's
/// condition shown by its kind and compared by kind and text (its code carries the overlay's
/// id, which differs between a plan and its copy). Both sorted, without repeats.
fn conditions(d: &Decision) -> (Vec<String>, Vec<String>) {
    let mut shown = Vec::new();
    let mut keys = Vec::new();
    for c in d.findings.iter().flat_map(|f| f.conditions.iter()) {
        let tb = c.code.len() <= 3 && (c.code.starts_with('T') || c.code.starts_with('B'));
        let s = if tb {
            c.code.clone()
        } else {
            c.code
                .trim_end_matches(|x: char| x.is_ascii_digit())
                .trim_end_matches('-')
                .to_owned()
        };
        keys.push(format!("{s}|{}", c.text_id));
        shown.push(s);
    }
    for v in [&mut shown, &mut keys] {
        v.sort();
        v.dedup();
    }
    (shown, keys)
}

fn outcome(r: &Result<Decision, crate::rules::CheckError>) -> &'static str {
    r.as_ref().map_or("ERROR", |d| d.outcome.as_str())
}

/// Whether a subject's check differs between the plans: its outcome, or (where the outcome
/// attaches conditions) the conditions it attaches. Two refusals of the input are no change.
fn differs(
    b: &Result<Decision, crate::rules::CheckError>,
    a: &Result<Decision, crate::rules::CheckError>,
) -> bool {
    match (b, a) {
        (Err(_), Err(_)) => false,
        (Ok(x), Ok(y)) if x.outcome == y.outcome => {
            x.outcome.as_str() != "DITOLAK" && conditions(x).1 != conditions(y).1
        }
        _ => true,
    }
}

/// One side of a changed subject, for the answer (built only for subjects that changed).
fn side(r: &Result<Decision, crate::rules::CheckError>) -> Side {
    match r {
        Ok(d) => Side {
            outcome: outcome(r).to_owned(),
            conditions: conditions(d).0,
            summary_id: d.summary_id.clone(),
            summary_en: d.summary_en.clone(),
            findings: d
                .findings
                .iter()
                .map(|f| FindingBrief {
                    rule: f.rule.as_str().to_owned(),
                    status: name(&f.status),
                    effect: name(&f.effect),
                    subzone_code: f.subzone_code.clone(),
                    message_id: f.message_id.clone(),
                    message_en: f.message_en.clone(),
                })
                .collect(),
        },
        Err(e) => Side {
            outcome: outcome(r).to_owned(),
            conditions: vec![],
            summary_id: e.message_id.clone(),
            summary_en: e.message_en.clone(),
            findings: vec![],
        },
    }
}

/// The serialised name of one of the engine's small enums.
fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub kind: &'static str,
    pub application_id: Option<Uuid>,
    pub parcel_id: Option<i64>,
    pub reference: Option<String>,
    pub permit_number: Option<String>,
    pub status: Option<String>,
    pub kbli: String,
    pub kelurahan_code: Option<String>,
    pub kelurahan_name: Option<String>,
    /// `outcome` (the outcome changes) or `conditions` (same outcome, other conditions).
    pub change: &'static str,
    pub before: Side,
    pub after: Side,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KelurahanCount {
    pub code: Option<String>,
    pub name: Option<String>,
    pub subjects: usize,
    pub changed: usize,
    /// Changes to a worse outcome (e.g. DISETUJUI to DITOLAK).
    pub worse: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub before: PlanRef,
    pub after: PlanRef,
    /// Permits and applications considered.
    pub subjects: usize,
    pub permits: usize,
    pub applications: usize,
    /// How many were re-checked (the others lie away from every change).
    pub rechecked: usize,
    pub full: bool,
    pub changed: Vec<Changed>,
    /// `FROM → TO` outcome pairs and how many subjects make each.
    pub transitions: BTreeMap<String, usize>,
    pub by_kelurahan: Vec<KelurahanCount>,
    pub check_ms: f64,
}

fn rank(outcome: &str) -> i32 {
    match outcome {
        "DISETUJUI" => 0,
        "DISETUJUI_BERSYARAT" => 1,
        "DISETUJUI_SEBAGIAN" => 2,
        "PERLU_KAJIAN" => 3,
        "DITOLAK" => 4,
        _ => 5,
    }
}

/// Re-checks `subjects` under both rule sets (in parallel, on every core) and compares.
#[allow(clippy::too_many_arguments)]
pub fn run(
    before: &RuleSet,
    after: &RuleSet,
    rules: &RulesDiff,
    subjects: &[Subject],
    kelurahan_names: &HashMap<String, String>,
    before_ref: PlanRef,
    after_ref: PlanRef,
    full: bool,
) -> Impact {
    let t = Instant::now();
    let screen = Screen::new(before, after, rules);
    let todo: Vec<&Subject> = subjects
        .iter()
        .filter(|s| full || screen.may_change(s))
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(1);
    let chunk = todo.len().div_ceil(threads).max(1);
    let results: Vec<Option<(Side, Side)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = todo
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|s| {
                            let (b, a) = (
                                crate::rules::check(before, &s.input),
                                crate::rules::check(after, &s.input),
                            );
                            differs(&b, &a).then(|| (side(&b), side(&a)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut changed = Vec::new();
    let mut transitions = BTreeMap::new();
    let mut by_k: BTreeMap<Option<String>, KelurahanCount> = BTreeMap::new();
    for s in subjects {
        let k = by_k
            .entry(s.kelurahan_code.clone())
            .or_insert_with(|| KelurahanCount {
                code: s.kelurahan_code.clone(),
                name: s
                    .kelurahan_code
                    .as_ref()
                    .and_then(|c| kelurahan_names.get(c).cloned()),
                ..Default::default()
            });
        k.subjects += 1;
    }
    for (s, r) in todo.iter().zip(results) {
        let Some((b, a)) = r else { continue };
        let change = if b.outcome != a.outcome {
            "outcome"
        } else {
            "conditions"
        };
        *transitions
            .entry(format!("{} → {}", b.outcome, a.outcome))
            .or_insert(0) += 1;
        if let Some(k) = by_k.get_mut(&s.kelurahan_code) {
            k.changed += 1;
            if rank(&a.outcome) > rank(&b.outcome) {
                k.worse += 1;
            }
        }
        changed.push(Changed {
            kind: s.kind,
            application_id: s.application_id,
            parcel_id: s.parcel_id,
            reference: s.reference.clone(),
            permit_number: s.permit_number.clone(),
            status: s.status.clone(),
            kbli: s.input.kbli.clone(),
            kelurahan_code: s.kelurahan_code.clone(),
            kelurahan_name: s
                .kelurahan_code
                .as_ref()
                .and_then(|c| kelurahan_names.get(c).cloned()),
            change,
            before: b,
            after: a,
        });
    }
    let mut by_kelurahan: Vec<KelurahanCount> = by_k.into_values().collect();
    by_kelurahan.sort_by(|x, y| y.changed.cmp(&x.changed).then(x.code.cmp(&y.code)));
    Impact {
        before: before_ref,
        after: after_ref,
        subjects: subjects.len(),
        permits: subjects.iter().filter(|s| s.kind != "application").count(),
        applications: subjects.iter().filter(|s| s.kind == "application").count(),
        rechecked: todo.len(),
        full,
        changed,
        transitions,
        by_kelurahan,
        check_ms: (t.elapsed().as_secs_f64() * 1e4).round() / 10.0,
    }
}

/// Kelurahan code → name.
pub async fn kelurahan_names(
    conn: &mut PgConnection,
) -> Result<HashMap<String, String>, PlanError> {
    let rows = sqlx::query("SELECT code, name FROM admin_areas WHERE level = 'kelurahan'")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlanError::from)
}
