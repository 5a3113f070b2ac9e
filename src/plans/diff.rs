//! What plan `b` changes against plan `a`: sub-zones that appear or disappear, ITBX cells whose
//! class or conditions changed (per activity and sub-zone), intensity values that changed,
//! condition texts, and zones whose geometry or sub-zone changed (with areas in m², computed
//! in EPSG:32751). The rule tables are compared in memory ([`rules_diff`], pure); the zones in
//! PostGIS ([`zones_diff`]): a zone of `b` is unchanged when `a` has a zone with the same
//! sub-zone and the very same geometry, and only the others are intersected.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, Row};

use super::PlanError;
use super::book::{Book, format_cell, format_number};
use super::store::{self, Plan};
use crate::rules::{ActivityRule, ZoneRule};

/// One plan, as the diff names it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRef {
    pub id: i32,
    pub name: String,
    pub status: String,
    pub version: i32,
}

impl From<&Plan> for PlanRef {
    fn from(p: &Plan) -> Self {
        PlanRef {
            id: p.id,
            name: p.name.clone(),
            status: p.status.clone(),
            version: p.version,
        }
    }
}

/// An ITBX cell: class and condition codes, and the text an export writes (`T1,B2`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    pub class: String,
    pub conditions: Vec<String>,
    pub text: String,
}

impl From<&ActivityRule> for Cell {
    fn from(r: &ActivityRule) -> Self {
        Cell {
            class: r.class.as_str().to_owned(),
            conditions: r.condition_codes.clone(),
            text: format_cell(r.class, &r.condition_codes),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CellChange {
    pub kbli: String,
    pub activity: String,
    pub subzone: String,
    /// `added`, `removed`, `class` (the class changed) or `conditions` (same class, other codes).
    pub change: &'static str,
    pub from: Option<Cell>,
    pub to: Option<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub from: Value,
    pub to: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntensityChange {
    pub subzone: String,
    pub variant: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionChange {
    pub code: String,
    pub change: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The rule tables' differences.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RulesDiff {
    pub subzones_added: Vec<String>,
    pub subzones_removed: Vec<String>,
    pub itbx: Vec<CellChange>,
    pub intensity: Vec<IntensityChange>,
    pub conditions: Vec<ConditionChange>,
}

fn num(v: Option<f64>) -> Value {
    v.map(|x| Value::String(format_number(x)))
        .unwrap_or(Value::Null)
}

fn fields(r: &ZoneRule) -> [(&'static str, Value); 10] {
    [
        ("kdb_max_pct", num(r.kdb_max_pct)),
        ("klb_max", num(r.klb_max)),
        ("kdh_min_pct", num(r.kdh_min_pct)),
        ("ktb_max_pct", num(r.ktb_max_pct)),
        ("height_max_m", num(r.height_max_m)),
        ("floors_max", num(r.floors_max.map(f64::from))),
        ("gsb_min_m", num(r.gsb_min_m)),
        ("jbs_min_m", num(r.jbs_min_m)),
        ("min_parcel_m2", num(r.min_parcel_m2)),
        (
            "note",
            r.note.clone().map(Value::String).unwrap_or(Value::Null),
        ),
    ]
}

/// Sub-zones a plan uses: in its zones or its rule tables.
fn used_subzones(book: &Book, zone_subzones: &BTreeSet<String>) -> BTreeSet<String> {
    let mut s = zone_subzones.clone();
    s.extend(
        book.itbx
            .iter()
            .flat_map(|m| m.cells.iter())
            .map(|c| c.subzone_code.clone()),
    );
    s.extend(
        book.intensity
            .iter()
            .flatten()
            .map(|r| r.subzone_code.clone()),
    );
    s
}

/// Compares the rule tables of two plans (`a` before, `b` after).
pub fn rules_diff(
    a: &Book,
    b: &Book,
    a_zone_subzones: &BTreeSet<String>,
    b_zone_subzones: &BTreeSet<String>,
    titles: &BTreeMap<String, String>,
) -> RulesDiff {
    let mut d = RulesDiff::default();
    let (ua, ub) = (
        used_subzones(a, a_zone_subzones),
        used_subzones(b, b_zone_subzones),
    );
    d.subzones_added = ub.difference(&ua).cloned().collect();
    d.subzones_removed = ua.difference(&ub).cloned().collect();

    let cells = |book: &Book| -> BTreeMap<(String, String), Cell> {
        book.itbx
            .iter()
            .flat_map(|m| m.cells.iter())
            .map(|c| ((c.kbli_code.clone(), c.subzone_code.clone()), Cell::from(c)))
            .collect()
    };
    let (ca, cb) = (cells(a), cells(b));
    let keys: BTreeSet<&(String, String)> = ca.keys().chain(cb.keys()).collect();
    for k in keys {
        let (from, to) = (ca.get(k), cb.get(k));
        let change = match (from, to) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(x), Some(y)) if x.class != y.class => "class",
            (Some(x), Some(y)) if x.conditions != y.conditions => "conditions",
            _ => continue,
        };
        d.itbx.push(CellChange {
            kbli: k.0.clone(),
            activity: titles.get(&k.0).cloned().unwrap_or_default(),
            subzone: k.1.clone(),
            change,
            from: from.cloned(),
            to: to.cloned(),
        });
    }

    let rules = |book: &Book| -> BTreeMap<(String, String), ZoneRule> {
        book.intensity
            .iter()
            .flatten()
            .map(|r| ((r.subzone_code.clone(), r.variant.clone()), r.clone()))
            .collect()
    };
    let (ra, rb) = (rules(a), rules(b));
    let keys: BTreeSet<&(String, String)> = ra.keys().chain(rb.keys()).collect();
    for k in keys {
        let (from, to) = (ra.get(k), rb.get(k));
        let (change, fs) = match (from, to) {
            (None, Some(y)) => (
                "added",
                fields(y)
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(f, v)| FieldChange {
                        field: f,
                        from: Value::Null,
                        to: v,
                    })
                    .collect(),
            ),
            (Some(x), None) => (
                "removed",
                fields(x)
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(f, v)| FieldChange {
                        field: f,
                        from: v,
                        to: Value::Null,
                    })
                    .collect(),
            ),
            (Some(x), Some(y)) => {
                let fs: Vec<FieldChange> = fields(x)
                    .into_iter()
                    .zip(fields(y))
                    .filter(|((_, u), (_, v))| u != v)
                    .map(|((f, u), (_, v))| FieldChange {
                        field: f,
                        from: u,
                        to: v,
                    })
                    .collect();
                if fs.is_empty() {
                    continue;
                }
                ("changed", fs)
            }
            (None, None) => continue,
        };
        d.intensity.push(IntensityChange {
            subzone: k.0.clone(),
            variant: k.1.clone(),
            change,
            fields: fs,
        });
    }

    let conds = |book: &Book| -> BTreeMap<String, String> {
        book.conditions
            .iter()
            .flatten()
            .map(|c| (c.code.clone(), format!("{} / {}", c.text_id, c.text_en)))
            .collect()
    };
    let (ta, tb) = (conds(a), conds(b));
    let keys: BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    for k in keys {
        let (from, to) = (ta.get(k), tb.get(k));
        let change = match (from, to) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(x), Some(y)) if x != y => "changed",
            _ => continue,
        };
        d.conditions.push(ConditionChange {
            code: k.clone(),
            change,
            from: from.cloned(),
            to: to.cloned(),
        });
    }
    d
}

/// A zone of plan `b` that is new or changed, with what plan `a` had where it lies.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneChange {
    pub id: i64,
    pub subzone: String,
    pub kelurahan_code: Option<String>,
    pub area_m2: f64,
    /// `changed` (it overlaps zones of plan `a`) or `added`.
    pub change: &'static str,
    /// Area of the zone that plan `a` gave each sub-zone, m².
    pub before: BTreeMap<String, f64>,
    pub geometry: Value,
}

/// A zone of plan `a` that plan `b` no longer has at all.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneRemoved {
    pub id: i64,
    pub subzone: String,
    pub area_m2: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rezoning {
    pub from: String,
    pub to: String,
    pub area_m2: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ZonesDiff {
    pub zones_a: i64,
    pub zones_b: i64,
    pub unchanged: i64,
    pub changed: Vec<ZoneChange>,
    pub removed: Vec<ZoneRemoved>,
    /// Area that changed sub-zone, per (from, to), largest first.
    pub rezoned: Vec<Rezoning>,
    pub rezoned_m2: f64,
    /// Overlays (setbacks, KKOP, hazards, ...) of one plan that the other lacks, by kind.
    pub overlays_added: BTreeMap<String, i64>,
    pub overlays_removed: BTreeMap<String, i64>,
}

/// Most changed zones listed with geometry; the summary counts them all.
pub const MAX_LISTED_ZONES: usize = 2_000;

/// Compares the zones and overlays of plans `a` and `b` in PostGIS.
pub async fn zones_diff(conn: &mut PgConnection, a: i32, b: i32) -> Result<ZonesDiff, PlanError> {
    let mut d = ZonesDiff::default();
    let (za, zb): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM zones WHERE plan_id = $1), (SELECT count(*) FROM zones WHERE plan_id = $2)",
    )
    .bind(a)
    .bind(b)
    .fetch_one(&mut *conn)
    .await?;
    (d.zones_a, d.zones_b) = (za, zb);
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS plan_diff_zones (side char(1), id bigint, subzone_code text,
                kelurahan_code text, geom geometry(MultiPolygon, 4326)) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await?;
    // zones without a twin (same sub-zone, same geometry) in the other plan
    sqlx::query(
        "INSERT INTO plan_diff_zones
         WITH a AS (SELECT id, subzone_code, kelurahan_code, geom, md5(ST_AsBinary(geom)) AS h FROM zones WHERE plan_id = $1),
              b AS (SELECT id, subzone_code, kelurahan_code, geom, md5(ST_AsBinary(geom)) AS h FROM zones WHERE plan_id = $2)
         SELECT 'a', id, subzone_code, kelurahan_code, geom FROM a
          WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.h = a.h AND b.subzone_code = a.subzone_code)
         UNION ALL
         SELECT 'b', id, subzone_code, kelurahan_code, geom FROM b
          WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.h = b.h AND a.subzone_code = b.subzone_code)",
    )
    .bind(a)
    .bind(b)
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE INDEX ON plan_diff_zones USING gist (geom)")
        .execute(&mut *conn)
        .await?;
    let changed_b: i64 =
        sqlx::query_scalar("SELECT count(*) FROM plan_diff_zones WHERE side = 'b'")
            .fetch_one(&mut *conn)
            .await?;
    d.unchanged = zb - changed_b;
    // each changed zone of b, and the area of it that plan a gave each sub-zone (all of a's
    // zones, changed or not: a zone of b may cover an unchanged zone of a only in part)
    let rows = sqlx::query(
        "SELECT z.id, z.subzone_code, z.kelurahan_code,
                ST_Area(ST_Transform(z.geom, 32751)) AS area,
                ST_AsGeoJSON(z.geom, 7)::json AS geometry,
                (SELECT coalesce(json_object_agg(s.subzone_code, s.m2), '{}'::json)
                   FROM (SELECT o.subzone_code,
                                sum(ST_Area(ST_Transform(ST_Intersection(o.geom, z.geom), 32751))) AS m2
                           FROM zones o
                          WHERE o.plan_id = $1 AND o.geom && z.geom AND ST_Intersects(o.geom, z.geom)
                          GROUP BY o.subzone_code) s
                  WHERE s.m2 >= 0.01) AS before
           FROM plan_diff_zones z WHERE z.side = 'b' ORDER BY z.id",
    )
    .bind(a)
    .fetch_all(&mut *conn)
    .await?;
    let mut rezoned: HashMap<(String, String), f64> = HashMap::new();
    for r in rows {
        let subzone: String = r.try_get("subzone_code")?;
        let before_json: Value = r.try_get("before")?;
        let before: BTreeMap<String, f64> = before_json
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| {
                        v.as_f64().map(|x| (k.clone(), (x * 100.0).round() / 100.0))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (from, m2) in &before {
            if *from != subzone {
                *rezoned.entry((from.clone(), subzone.clone())).or_default() += m2;
            }
        }
        let area: f64 = r.try_get("area")?;
        if d.changed.len() < MAX_LISTED_ZONES {
            d.changed.push(ZoneChange {
                id: r.try_get("id")?,
                change: if before.is_empty() {
                    "added"
                } else {
                    "changed"
                },
                subzone,
                kelurahan_code: r.try_get("kelurahan_code")?,
                area_m2: (area * 100.0).round() / 100.0,
                before,
                geometry: r.try_get("geometry")?,
            });
        }
    }
    // zones of a that b does not cover at all
    for r in sqlx::query(
        "SELECT z.id, z.subzone_code, ST_Area(ST_Transform(z.geom, 32751)) AS area
           FROM plan_diff_zones z
          WHERE z.side = 'a'
            AND NOT EXISTS (SELECT 1 FROM zones n WHERE n.plan_id = $1 AND n.geom && z.geom
                              AND ST_Relate(n.geom, z.geom, '2********'))
          ORDER BY z.id",
    )
    .bind(b)
    .fetch_all(&mut *conn)
    .await?
    {
        let area: f64 = r.try_get("area")?;
        d.removed.push(ZoneRemoved {
            id: r.try_get("id")?,
            subzone: r.try_get("subzone_code")?,
            area_m2: (area * 100.0).round() / 100.0,
        });
    }
    let mut rz: Vec<Rezoning> = rezoned
        .into_iter()
        .map(|((from, to), m2)| Rezoning {
            from,
            to,
            area_m2: (m2 * 100.0).round() / 100.0,
        })
        .collect();
    rz.sort_by(|x, y| {
        y.area_m2
            .total_cmp(&x.area_m2)
            .then(x.from.cmp(&y.from))
            .then(x.to.cmp(&y.to))
    });
    d.rezoned_m2 = (rz.iter().map(|r| r.area_m2).sum::<f64>() * 100.0).round() / 100.0 + 0.0;
    d.rezoned = rz;

    for r in sqlx::query(
        "WITH a AS (SELECT kind, md5(concat_ws('|', kind, name, no_building, height_max_m, hazard, hazard_level,
                                               condition_id, condition_en, ST_AsBinary(geom)::text)) AS h
                      FROM overlays WHERE plan_id = $1),
              b AS (SELECT kind, md5(concat_ws('|', kind, name, no_building, height_max_m, hazard, hazard_level,
                                               condition_id, condition_en, ST_AsBinary(geom)::text)) AS h
                      FROM overlays WHERE plan_id = $2)
         SELECT 'added' AS side, kind, count(*) AS n FROM b WHERE h NOT IN (SELECT h FROM a) GROUP BY kind
         UNION ALL
         SELECT 'removed', kind, count(*) FROM a WHERE h NOT IN (SELECT h FROM b) GROUP BY kind",
    )
    .bind(a)
    .bind(b)
    .fetch_all(&mut *conn)
    .await?
    {
        let side: String = r.try_get("side")?;
        let kind: String = r.try_get("kind")?;
        let n: i64 = r.try_get("n")?;
        if side == "added" {
            d.overlays_added.insert(kind, n);
        } else {
            d.overlays_removed.insert(kind, n);
        }
    }
    sqlx::query("DROP TABLE IF EXISTS plan_diff_zones")
        .execute(&mut *conn)
        .await?;
    Ok(d)
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PlanDiff {
    pub a: PlanRef,
    pub b: PlanRef,
    pub summary: Summary,
    pub rules: RulesDiff,
    pub zones: ZonesDiff,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub subzones_added: usize,
    pub subzones_removed: usize,
    pub itbx_cells_changed: usize,
    pub intensity_rows_changed: usize,
    pub conditions_changed: usize,
    pub zones_changed: usize,
    pub zones_removed: usize,
    pub rezoned_m2: f64,
}

async fn zone_subzones(conn: &mut PgConnection, plan: i32) -> Result<BTreeSet<String>, PlanError> {
    let v: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT subzone_code FROM zones WHERE plan_id = $1")
            .bind(plan)
            .fetch_all(&mut *conn)
            .await?;
    Ok(v.into_iter().collect())
}

/// Compares plan `a` (before) with plan `b` (after), both by id or name.
pub async fn diff(conn: &mut PgConnection, a: &str, b: &str) -> Result<PlanDiff, PlanError> {
    let pa = store::find(&mut *conn, a).await?;
    let pb = store::find(&mut *conn, b).await?;
    let (ba, bb) = (
        store::load_book(&mut *conn, pa.id).await?,
        store::load_book(&mut *conn, pb.id).await?,
    );
    let (sa, sb) = (
        zone_subzones(&mut *conn, pa.id).await?,
        zone_subzones(&mut *conn, pb.id).await?,
    );
    let rules = rules_diff(&ba, &bb, &sa, &sb, &store::titles(&bb));
    let zones = zones_diff(&mut *conn, pa.id, pb.id).await?;
    let changed_zones = zones.zones_b as usize - zones.unchanged as usize;
    Ok(PlanDiff {
        a: (&pa).into(),
        b: (&pb).into(),
        summary: Summary {
            subzones_added: rules.subzones_added.len(),
            subzones_removed: rules.subzones_removed.len(),
            itbx_cells_changed: rules.itbx.len(),
            intensity_rows_changed: rules.intensity.len(),
            conditions_changed: rules.conditions.len(),
            zones_changed: changed_zones,
            zones_removed: zones.removed.len(),
            rezoned_m2: zones.rezoned_m2,
        },
        rules,
        zones,
    })
}
