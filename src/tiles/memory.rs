//! In-process tile rendering for polygon layers that fit in memory (`render = "memory"` in the
//! layer file).
//!
//! The layer's rows (id, properties, the stored EPSG:3857 geometry, plus one simplified copy per
//! simplification tolerance of the layer file) are read once into memory and indexed by an
//! R-tree. A tile is then cut without the database, in the same steps as PostGIS's
//! `ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, buffer, true)` (PostGIS 3.3):
//!
//! 1. a geometry narrower and lower than half a tile unit is dropped;
//! 2. the affine map to tile units and snapping to the integer grid (round half to even),
//!    dropping repeated points and rings left with fewer than four points (a shell takes its
//!    polygon with it), then the points exactly on a straight line (ST_Simplify, tolerance 0);
//! 3. snap rounding: an edge passing through the pixel of another vertex is bent through it
//!    (wagyu's hot pixels);
//! 4. each ring crossing the tile-plus-buffer square is cut to it on its own (wagyu's quick
//!    clip: Sutherland-Hodgman, crossing points rounded), then all rings of the feature go
//!    through one even-odd overlay (`i_overlay`) that makes the result valid, as wagyu's
//!    union does; shells come out with positive area in tile units, holes negative.
//!
//! At zooms with a simplification tolerance the stored copy simplified by PostGIS's own
//! `ST_Simplify(geom, tolerance, true)` (read at load) goes through the same steps.
//! PostGIS 3.3.2 was read for these steps; `tests/tiles_memory.rs` holds the comparison.
//!
//! Features are encoded with geozero's MVT writer (key and value tables built here); property values take the MVT
//! types `ST_AsMVT` gives them (integers as uint/sint by sign, float4 as float, float8 as
//! double, booleans, everything else as text). `tests/tiles_memory.rs` compares every tile of
//! z12-z17 over the city with PostGIS's rendering of the same tile.
//!
//! The snapshot is kept current by the change feed: a change to one of the layer's `changes`
//! tables marks it stale at once (tiles then come from PostGIS) and a reload swaps in a new
//! snapshot (see [`super::TileService`]).

use futures_util::TryStreamExt;
use geozero::mvt::{Message, TileValue, tile};
use geozero::{GeomProcessor, GeozeroGeometry, ToGeo, ToMvt};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay};
use i_overlay::i_float::int::point::IntPoint;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use sqlx::{PgPool, Row};

use super::layer::{LayerDef, quote_ident};
use super::sql::EXTENT;

/// Half the width of the Web Mercator world (the bounds `ST_TileEnvelope` uses by default).
const WORLD: f64 = 20_037_508.342_789_244;

type Ring = Vec<[f64; 2]>;
/// Shell first, then holes; rings closed (first point repeated last).
type Polygon = Vec<Ring>;
/// Rings in tile units, open (the closing point is implied).
type IntPolygon = Vec<Vec<IntPoint>>;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("reading the layer: {0}")]
    Db(#[from] sqlx::Error),
    #[error("feature {id}: {message}")]
    Geometry { id: i64, message: String },
    #[error("the layer needs about {needed} bytes in memory; {budget} are left for it")]
    TooLarge { needed: usize, budget: usize },
}

/// A property value as MVT carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Box<str>),
    Uint(u64),
    Sint(i64),
    Float(f32),
    Double(f64),
    Bool(bool),
}

impl Value {
    fn tile_value(&self) -> TileValue {
        match self {
            Value::Str(s) => TileValue::Str(s.to_string()),
            Value::Uint(v) => TileValue::Uint(*v),
            Value::Sint(v) => TileValue::Sint(*v),
            Value::Float(v) => TileValue::Float(*v),
            Value::Double(v) => TileValue::Double(*v),
            Value::Bool(v) => TileValue::Bool(*v),
        }
    }

    /// What makes two values the same value in a layer's table.
    fn key(&self) -> ValueKey<'_> {
        match self {
            Value::Str(s) => ValueKey::Str(s),
            Value::Uint(v) => ValueKey::Uint(*v),
            Value::Sint(v) => ValueKey::Sint(*v),
            Value::Float(v) => ValueKey::Float(v.to_bits()),
            Value::Double(v) => ValueKey::Double(v.to_bits()),
            Value::Bool(v) => ValueKey::Bool(*v),
        }
    }

    fn int(v: i64) -> Value {
        if v >= 0 {
            Value::Uint(v as u64)
        } else {
            Value::Sint(v)
        }
    }
}

/// A [`Value`] as a hash key (floats by their bits).
#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Str(&'a str),
    Uint(u64),
    Sint(i64),
    Float(u32),
    Double(u64),
    Bool(bool),
}

/// How a property column is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropKind {
    Int,
    Float4,
    Float8,
    Bool,
    Text,
}

impl PropKind {
    /// The kind for a PostgreSQL type name (as `check_columns` sees it).
    pub fn of(pg_type: &str) -> PropKind {
        match pg_type {
            "int2" | "int4" | "int8" => PropKind::Int,
            "float4" => PropKind::Float4,
            "float8" => PropKind::Float8,
            "bool" => PropKind::Bool,
            _ => PropKind::Text,
        }
    }
}

struct Feature {
    id: Option<u64>,
    props: Box<[Option<Value>]>,
    /// `variants[0]` is the stored geometry, `variants[i + 1]` the one simplified with
    /// `tolerances[i]`.
    variants: Vec<Vec<Polygon>>,
}

/// One layer's features in memory.
pub struct MemLayer {
    name: String,
    keys: Vec<String>,
    features: Vec<Feature>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    tolerances: Vec<f64>,
    /// About how many bytes the snapshot holds.
    pub bytes: usize,
}

impl MemLayer {
    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }
}

/// Reads a layer's rows into memory. `kinds` are its properties' kinds, in the layer's order.
/// Fails with [`MemoryError::TooLarge`] as soon as the rows read pass `budget` bytes.
pub async fn load(
    pool: &PgPool,
    def: &LayerDef,
    kinds: &[PropKind],
    budget: usize,
) -> Result<MemLayer, MemoryError> {
    let mut cols = vec![
        format!("s.{}::int8", quote_ident(&def.id)),
        format!("ST_AsBinary(s.{})", quote_ident(&def.geometry)),
    ];
    for (p, kind) in def.properties.iter().zip(kinds) {
        let c = format!("s.{}", quote_ident(p));
        cols.push(match kind {
            PropKind::Int => format!("{c}::int8"),
            PropKind::Text => format!("{c}::text"),
            _ => c,
        });
    }
    let mut tolerances: Vec<f64> = def.simplify.iter().map(|(_, t)| *t).collect();
    tolerances.retain(|t| *t > 0.0);
    tolerances.dedup();
    // the simplified copies come from PostGIS's own ST_Simplify, as the tile SQL uses it
    let first_variant = cols.len();
    for tol in &tolerances {
        cols.push(format!(
            "ST_AsBinary(ST_Simplify(s.{}, {tol:?}, true))",
            quote_ident(&def.geometry)
        ));
    }
    let sql = format!(
        "SELECT {} FROM {} ORDER BY 1",
        cols.join(", "),
        super::sql::rows(def)
    );
    // streamed: only one row's geometry is held beside what is kept
    let mut rows = sqlx::query(&sql).fetch(pool);
    let mut features = Vec::new();
    let mut boxes = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.try_next().await? {
        let id: i64 = row.try_get(0)?;
        let wkb: Option<Vec<u8>> = row.try_get(1)?;
        let Some(wkb) = wkb else { continue };
        let polygons =
            polygons_of(&wkb).map_err(|message| MemoryError::Geometry { id, message })?;
        if polygons.is_empty() {
            continue;
        }
        let mut props = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.iter().enumerate() {
            let col = i + 2;
            props.push(match kind {
                PropKind::Int => row.try_get::<Option<i64>, _>(col)?.map(Value::int),
                PropKind::Float4 => row.try_get::<Option<f32>, _>(col)?.map(Value::Float),
                PropKind::Float8 => row.try_get::<Option<f64>, _>(col)?.map(Value::Double),
                PropKind::Bool => row.try_get::<Option<bool>, _>(col)?.map(Value::Bool),
                PropKind::Text => row
                    .try_get::<Option<String>, _>(col)?
                    .map(|s| Value::Str(s.into_boxed_str())),
            });
        }
        let mut variants = vec![polygons];
        for i in 0..tolerances.len() {
            let wkb: Option<Vec<u8>> = row.try_get(first_variant + i)?;
            let simplified = match wkb {
                Some(wkb) => {
                    polygons_of(&wkb).map_err(|message| MemoryError::Geometry { id, message })?
                }
                None => Vec::new(),
            };
            variants.push(simplified);
        }
        let Some(bbox) = bbox_of(&variants[0]) else {
            continue;
        };
        bytes += 64
            + props
                .iter()
                .map(|p| match p {
                    Some(Value::Str(s)) => 32 + s.len(),
                    _ => 24,
                })
                .sum::<usize>()
            + variants
                .iter()
                .flatten()
                .flatten()
                .map(|r| 24 + 16 * r.len())
                .sum::<usize>();
        if bytes > budget {
            return Err(MemoryError::TooLarge {
                needed: bytes,
                budget,
            });
        }
        boxes.push(GeomWithData::new(
            Rectangle::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]),
            features.len() as u32,
        ));
        features.push(Feature {
            id: u64::try_from(id).ok(),
            props: props.into_boxed_slice(),
            variants,
        });
    }
    bytes += boxes.len() * 48;
    Ok(MemLayer {
        name: def.name.clone(),
        keys: def.properties.clone(),
        features,
        tree: RTree::bulk_load(boxes),
        tolerances,
        bytes,
    })
}

/// The polygons of a WKB (Polygon or MultiPolygon); an error for any other type.
fn polygons_of(wkb: &[u8]) -> Result<Vec<Polygon>, String> {
    let geom = geozero::wkb::Wkb(wkb)
        .to_geo()
        .map_err(|e| format!("unreadable geometry: {e}"))?;
    let ring = |l: &geo::LineString<f64>| -> Ring { l.0.iter().map(|c| [c.x, c.y]).collect() };
    let poly = |p: &geo::Polygon<f64>| -> Polygon {
        std::iter::once(ring(p.exterior()))
            .chain(p.interiors().iter().map(ring))
            .collect()
    };
    match &geom {
        geo::Geometry::Polygon(p) => Ok(vec![poly(p)]),
        geo::Geometry::MultiPolygon(m) => Ok(m.0.iter().map(poly).collect()),
        other => Err(format!(
            "{} is not a polygon; only polygon layers can be rendered in memory",
            geometry_name(other)
        )),
    }
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "a point",
        geo::Geometry::MultiPoint(_) => "a multipoint",
        geo::Geometry::LineString(_) | geo::Geometry::Line(_) => "a line",
        geo::Geometry::MultiLineString(_) => "a multiline",
        _ => "a geometry collection",
    }
}

fn bbox_of(polys: &[Polygon]) -> Option<[f64; 4]> {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in polys.iter().flatten().flatten() {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    (b[0] <= b[2]).then_some(b)
}

/// A tile's place in EPSG:3857 and the map to tile units, as `ST_TileEnvelope` and
/// `ST_AsMVTGeom` compute them.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub xmin: f64,
    pub ymin: f64,
    pub xmax: f64,
    pub ymax: f64,
    fx: f64,
    fy: f64,
    xoff: f64,
    yoff: f64,
    /// Half a tile unit in metres.
    res: f64,
}

impl Frame {
    pub fn new(z: u8, x: u32, y: u32) -> Frame {
        let n = f64::from(1u32 << z);
        let size = (WORLD - -WORLD) / n;
        let xmin = -WORLD + size * f64::from(x);
        let xmax = -WORLD + size * (f64::from(x) + 1.0);
        let ymin = WORLD - size * (f64::from(y) + 1.0);
        let ymax = WORLD - size * f64::from(y);
        let (width, height) = (xmax - xmin, ymax - ymin);
        let extent = f64::from(EXTENT);
        let fx = extent / width;
        let fy = -(extent / height);
        let (resx, resy) = (width / extent, height / extent);
        Frame {
            xmin,
            ymin,
            xmax,
            ymax,
            fx,
            fy,
            xoff: -xmin * fx,
            yoff: -ymax * fy,
            res: resx.min(resy) / 2.0,
        }
    }

    fn tile_point(&self, p: [f64; 2]) -> IntPoint {
        let x = (self.fx * p[0] + self.xoff).round_ties_even();
        let y = (self.fy * p[1] + self.yoff).round_ties_even();
        IntPoint::new(x as i32, y as i32)
    }
}

/// One feature's polygons cut for a tile: snapped to tile units, clipped to the tile plus
/// `buffer` units and made valid (the steps in the module doc). Empty when nothing is left.
fn cut(polys: &[Polygon], frame: &Frame, buffer: i32) -> Vec<IntPolygon> {
    // ST_AsMVTGeom drops a geometry narrower and lower than half a tile unit at once
    if let Some(b) = bbox_of(polys)
        && b[2] - b[0] < frame.res
        && b[3] - b[1] < frame.res
    {
        return Vec::new();
    }
    let mut snapped: Vec<IntPolygon> = Vec::with_capacity(polys.len());
    'polygons: for poly in polys {
        let mut rings: IntPolygon = Vec::with_capacity(poly.len());
        for (i, ring) in poly.iter().enumerate() {
            // to tile units on the integer grid, repeated points dropped; a shell left with
            // fewer than four points (closing point included) drops its polygon
            let mut t: Vec<IntPoint> = Vec::with_capacity(ring.len());
            for p in ring {
                let q = frame.tile_point(*p);
                if t.last() != Some(&q) {
                    t.push(q);
                }
            }
            if t.len() < 4 {
                if i == 0 {
                    continue 'polygons;
                }
                continue;
            }
            // then the points on straight lines go (ST_Simplify with tolerance 0)
            drop_collinear(&mut t);
            if t.len() < 4 {
                continue;
            }
            t.pop(); // the closing point
            rings.push(t);
        }
        snapped.push(rings);
    }
    if snapped.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    let (lo, hi) = (-buffer, EXTENT as i32 + buffer);
    // As PostGIS does: each ring is cut to the box on its own (rings crossing its sides only),
    // edges are bent through the hot pixels of the cut rings' vertices, then every ring of the
    // feature goes through one even-odd overlay that makes the result valid (crossings
    // resolved, rings touching themselves split, spikes and zero-area parts gone). A ring that
    // is already simple and inside costs only the intersection test.
    let mut subject: Vec<Vec<IntPoint>> = snapped
        .into_iter()
        .flatten()
        .filter_map(|ring| clip_ring(ring, lo, hi))
        .collect();
    snap_round(&mut subject);
    if subject.is_empty() {
        return Vec::new();
    }
    thread_local! {
        // one overlay per thread, its buffers reused from feature to feature
        static OVERLAY: std::cell::RefCell<Overlay> = std::cell::RefCell::new(
            Overlay::new_custom(256, IntOverlayOptions::ogc(), Default::default()),
        );
    }
    let shapes = OVERLAY
        .with(|o| o.borrow_mut().simplify_shape(&subject, FillRule::EvenOdd))
        .unwrap_or_else(|| vec![subject]);
    shapes
        .into_iter()
        .filter_map(|shape| {
            let rings: IntPolygon = shape
                .into_iter()
                .enumerate()
                .filter_map(|(i, mut ring)| {
                    let a = twice_area(&ring);
                    if a == 0 || ring.len() < 3 {
                        return None;
                    }
                    // MVT: the shell has positive area in tile units, holes negative
                    if (i == 0) != (a > 0) {
                        ring.reverse();
                    }
                    Some(ring)
                })
                .collect();
            (!rings.is_empty() && twice_area(&rings[0]) > 0).then_some(rings)
        })
        .collect()
}

/// Drops the points of a closed ring that lie on the segment from the point kept before them
/// to the point after them (exactly, on the integer grid); the first and last points stay.
fn drop_collinear(ring: &mut Vec<IntPoint>) {
    let n = ring.len();
    if n < 3 {
        return;
    }
    // compacts in place: `kept` is the last point kept so far
    let mut kept = 0usize;
    for i in 1..n - 1 {
        let (last, cur, next) = (ring[kept], ring[i], ring[i + 1]);
        let (bax, bay) = (i64::from(next.x - last.x), i64::from(next.y - last.y));
        let (cax, cay) = (i64::from(cur.x - last.x), i64::from(cur.y - last.y));
        let dot = cax * bax + cay * bay;
        let on_line = cax * bay - cay * bax == 0;
        if !on_line || dot < 0 || dot > bax * bax + bay * bay {
            kept += 1;
            ring[kept] = cur;
        }
    }
    kept += 1;
    ring[kept] = ring[n - 1];
    ring.truncate(kept + 1);
}

/// One open ring cut to the square `lo..=hi`, the way PostGIS's clipper (wagyu's quick clip)
/// does it: only a ring whose bounding box is not inside is cut, one side after the other
/// (Sutherland-Hodgman; a point on a side counts as outside), and a crossing point is computed
/// in floating point and rounded to the grid. The result may run along the square's sides and touch
/// itself there; the overlay after it sorts that out. `None` when nothing is left.
fn clip_ring(ring: Vec<IntPoint>, lo: i32, hi: i32) -> Option<Vec<IntPoint>> {
    let (xs, ys) = ring.iter().fold(
        ((i32::MAX, i32::MIN), (i32::MAX, i32::MIN)),
        |((x0, x1), (y0, y1)), p| ((x0.min(p.x), x1.max(p.x)), (y0.min(p.y), y1.max(p.y))),
    );
    if xs.1 < lo || xs.0 > hi || ys.1 < lo || ys.0 > hi {
        return None;
    }
    if xs.0 >= lo && xs.1 <= hi && ys.0 >= lo && ys.1 <= hi {
        return Some(ring);
    }
    let mut pts = ring;
    // the sides in wagyu's order: bottom (least y), right, top, left
    for side in 0..4 {
        if pts.is_empty() {
            return None;
        }
        let inside = |p: IntPoint| match side {
            0 => p.y > lo,
            1 => p.x < hi,
            2 => p.y < hi,
            _ => p.x > lo,
        };
        let cross = |a: IntPoint, b: IntPoint| {
            let (ax, ay, bx, by) = (
                f64::from(a.x),
                f64::from(a.y),
                f64::from(b.x),
                f64::from(b.y),
            );
            let (lo, hi) = (f64::from(lo), f64::from(hi));
            // rounded half away from zero, as wagyu's llround
            let (x, y) = match side {
                0 => ((ax + (bx - ax) * (lo - ay) / (by - ay)).round(), lo),
                1 => (hi, (ay + (by - ay) * (hi - ax) / (bx - ax)).round()),
                2 => ((ax + (bx - ax) * (hi - ay) / (by - ay)).round(), hi),
                _ => (lo, (ay + (by - ay) * (lo - ax) / (bx - ax)).round()),
            };
            IntPoint::new(x as i32, y as i32)
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        let mut prev = *pts.last().expect("not empty");
        for &p in &pts {
            if inside(p) {
                if !inside(prev) {
                    out.push(cross(prev, p));
                }
                out.push(p);
            } else if inside(prev) {
                out.push(cross(prev, p));
            }
            prev = p;
        }
        pts = out;
    }
    pts.dedup();
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    (pts.len() >= 3).then_some(pts)
}

/// Snap rounding: an edge that passes through the unit square around another vertex of the
/// feature (its "hot pixel") is bent through that vertex, as PostGIS's clipper (wagyu) does.
/// That is what makes a sliver whose vertex lies within half a unit of the opposite edge
/// collapse, in both renderings.
fn snap_round(rings: &mut [Vec<IntPoint>]) {
    let mut by_x: Vec<IntPoint> = rings.iter().flatten().copied().collect();
    if by_x.len() < 3 {
        return;
    }
    by_x.sort_unstable_by_key(|p| (p.x, p.y));
    by_x.dedup();
    let mut by_y = by_x.clone();
    by_y.sort_unstable_by_key(|p| (p.y, p.x));
    let mut inserted: Vec<(i64, IntPoint)> = Vec::new();
    // (edge index, point), in ring order
    let mut bends: Vec<(usize, IntPoint)> = Vec::new();
    for ring in rings.iter_mut() {
        bends.clear();
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let (x0, x1) = (a.x.min(b.x), a.x.max(b.x));
            let (y0, y1) = (a.y.min(b.y), a.y.max(b.y));
            // hot pixels reach half a unit around their vertex: candidates lie within the
            // edge's box grown by one unit (integer coordinates); look along its shorter side
            let candidates = if x1 - x0 <= y1 - y0 {
                let s = by_x.partition_point(|p| p.x < x0 - 1);
                let e = by_x.partition_point(|p| p.x <= x1 + 1);
                &by_x[s..e]
            } else {
                let s = by_y.partition_point(|p| p.y < y0 - 1);
                let e = by_y.partition_point(|p| p.y <= y1 + 1);
                &by_y[s..e]
            };
            inserted.clear();
            for p in candidates {
                if p.x < x0 - 1 || p.x > x1 + 1 || p.y < y0 - 1 || p.y > y1 + 1 {
                    continue;
                }
                if *p == a || *p == b || !crosses_pixel(a, b, *p) {
                    continue;
                }
                let t = i64::from(p.x - a.x) * i64::from(b.x - a.x)
                    + i64::from(p.y - a.y) * i64::from(b.y - a.y);
                inserted.push((t, *p));
            }
            if !inserted.is_empty() {
                inserted.sort_unstable_by_key(|(t, _)| *t);
                bends.extend(inserted.iter().map(|(_, p)| (i, *p)));
            }
        }
        if !bends.is_empty() {
            let mut out = Vec::with_capacity(n + bends.len());
            let mut k = 0;
            for (i, p) in ring.iter().enumerate() {
                out.push(*p);
                while k < bends.len() && bends[k].0 == i {
                    out.push(bends[k].1);
                    k += 1;
                }
            }
            *ring = out;
        }
    }
}

/// Whether segment a-b passes through the hot pixel of `p`, as wagyu decides it: on the row of
/// `p` (half a unit above and below it, cut at the segment's ends) the segment's x range,
/// rounded half away from zero, holds `p.x`.
fn crosses_pixel(a: IntPoint, b: IntPoint, p: IntPoint) -> bool {
    if a.y == b.y {
        return p.y == a.y && p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x);
    }
    let (ylo, yhi) = (a.y.min(b.y), a.y.max(b.y));
    if p.y < ylo || p.y > yhi {
        return false;
    }
    let (ax, ay) = (f64::from(a.x), f64::from(a.y));
    let slope = (f64::from(b.x) - ax) / (f64::from(b.y) - ay);
    let x_at = |y: f64| (ax + (y - ay) * slope).round() as i64;
    let y1 = (f64::from(p.y) - 0.5).max(f64::from(ylo));
    let y2 = (f64::from(p.y) + 0.5).min(f64::from(yhi));
    let (x1, x2) = (x_at(y1), x_at(y2));
    let px = i64::from(p.x);
    x1.min(x2) <= px && px <= x1.max(x2)
}

/// Twice the signed area of an open ring (shoelace), positive for a shell in MVT terms.
fn twice_area(ring: &[IntPoint]) -> i64 {
    let n = ring.len();
    let mut s = 0i64;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        s += i64::from(a.x) * i64::from(b.y) - i64::from(b.x) * i64::from(a.y);
    }
    s
}

/// The cut polygons of one feature, for geozero's MVT writer.
struct TileGeometry<'a>(&'a [IntPolygon]);

impl GeozeroGeometry for TileGeometry<'_> {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
        let polys = self.0;
        if let [one] = polys {
            return write_polygon(p, one, true, 0);
        }
        p.multipolygon_begin(polys.len(), 0)?;
        for (i, poly) in polys.iter().enumerate() {
            write_polygon(p, poly, false, i)?;
        }
        p.multipolygon_end(0)
    }
}

fn write_polygon<P: GeomProcessor>(
    p: &mut P,
    rings: &IntPolygon,
    tagged: bool,
    idx: usize,
) -> geozero::error::Result<()> {
    p.polygon_begin(tagged, rings.len(), idx)?;
    for (j, ring) in rings.iter().enumerate() {
        // the writer drops a ring's closing point (MVT closes rings itself), so it is given
        p.linestring_begin(false, ring.len() + 1, j)?;
        for (k, pt) in ring.iter().chain(ring.first()).enumerate() {
            p.xy(f64::from(pt.x), f64::from(pt.y), k)?;
        }
        p.linestring_end(false, j)?;
    }
    p.polygon_end(tagged, idx)
}

impl MemLayer {
    /// The MVT bytes of this layer for tile z/x/y (`buffer` units around the tile, the layer
    /// file's simplification `tolerance` at this zoom); empty when no feature is in the tile.
    pub fn render(&self, z: u8, x: u32, y: u32, buffer: u32, tolerance: Option<f64>) -> Vec<u8> {
        let frame = Frame::new(z, x, y);
        let variant = tolerance
            .and_then(|t| self.tolerances.iter().position(|v| *v == t))
            .map_or(0, |i| i + 1);
        let unit = (frame.xmax - frame.xmin) / f64::from(EXTENT);
        let margin = unit * (f64::from(buffer) + 1.0);
        let envelope = AABB::from_corners(
            [frame.xmin - margin, frame.ymin - margin],
            [frame.xmax + margin, frame.ymax + margin],
        );
        let mut hits: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|g| g.data)
            .collect();
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_unstable();
        // the layer's key and value tables: keys in first-use order, equal values shared
        let mut keys: Vec<String> = Vec::new();
        let mut key_index = vec![u32::MAX; self.keys.len()];
        let mut values: Vec<tile::Value> = Vec::new();
        let mut value_index: std::collections::HashMap<ValueKey<'_>, u32> =
            std::collections::HashMap::new();
        let mut features = Vec::with_capacity(hits.len());
        for i in hits {
            let f = &self.features[i as usize];
            let polys = cut(&f.variants[variant], &frame, buffer as i32);
            if polys.is_empty() {
                continue;
            }
            let Ok(mut feature) = TileGeometry(&polys).to_mvt_unscaled() else {
                continue;
            };
            feature.id = f.id;
            for (k, value) in f.props.iter().enumerate() {
                let Some(v) = value else { continue };
                if key_index[k] == u32::MAX {
                    key_index[k] = keys.len() as u32;
                    keys.push(self.keys[k].clone());
                }
                let vi = *value_index.entry(v.key()).or_insert_with(|| {
                    values.push(v.tile_value().into());
                    (values.len() - 1) as u32
                });
                feature.tags.push(key_index[k]);
                feature.tags.push(vi);
            }
            features.push(feature);
        }
        if features.is_empty() {
            return Vec::new();
        }
        let layer = tile::Layer {
            version: 2,
            name: self.name.clone(),
            features,
            keys,
            values,
            extent: Some(EXTENT),
        };
        geozero::mvt::Tile {
            layers: vec![layer],
        }
        .encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, s: f64) -> Ring {
        vec![
            [x0, y0],
            [x0 + s, y0],
            [x0 + s, y0 + s],
            [x0, y0 + s],
            [x0, y0],
        ]
    }

    #[test]
    fn a_feature_inside_the_tile_is_snapped_and_oriented_for_mvt() {
        let f = Frame::new(0, 0, 0);
        let unit = (f.xmax - f.xmin) / 4096.0;
        // a square 100 units wide, counter-clockwise in map coordinates (y up)
        let sq = square(0.0, 0.0, 100.0 * unit);
        let out = cut(&[vec![sq]], &f, 64);
        assert_eq!(out.len(), 1);
        let shell = &out[0][0];
        assert_eq!(shell.len(), 4);
        assert!(
            twice_area(shell) > 0,
            "shell must have positive area in tile units"
        );
        assert!(shell.contains(&IntPoint::new(2048, 2048)));
        assert!(shell.contains(&IntPoint::new(2148, 1948)));
    }

    #[test]
    fn a_feature_crossing_the_tile_is_clipped_to_the_buffer() {
        let f = Frame::new(0, 0, 0);
        let unit = (f.xmax - f.xmin) / 4096.0;
        let big = square(f.xmin - 500.0 * unit, -100.0 * unit, 1000.0 * unit);
        let out = cut(&[vec![big]], &f, 64);
        assert_eq!(out.len(), 1);
        let xs: Vec<i32> = out[0][0].iter().map(|p| p.x).collect();
        assert_eq!(*xs.iter().min().unwrap(), -64);
        assert_eq!(*xs.iter().max().unwrap(), 500);
        assert!(twice_area(&out[0][0]) > 0);
        let far = square(f.xmax + 200.0 * unit, 0.0, 10.0 * unit);
        assert!(cut(&[vec![far]], &f, 64).is_empty());
    }

    #[test]
    fn a_sliver_thinner_than_half_a_unit_disappears() {
        let f = Frame::new(10, 800, 500);
        let unit = (f.xmax - f.xmin) / 4096.0;
        let sliver = vec![
            [f.xmin + 100.0 * unit, f.ymin + 100.0 * unit],
            [f.xmin + 300.0 * unit, f.ymin + 100.0 * unit],
            [f.xmin + 300.0 * unit, f.ymin + 100.2 * unit],
            [f.xmin + 100.0 * unit, f.ymin + 100.2 * unit],
            [f.xmin + 100.0 * unit, f.ymin + 100.0 * unit],
        ];
        assert!(cut(&[vec![sliver]], &f, 64).is_empty());
    }
}
