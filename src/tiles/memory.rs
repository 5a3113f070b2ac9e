//! In-process tile rendering for polygon layers that fit in memory (`render = "memory"` in the
//! layer file).
//!
//! The layer's rows (id, properties, the stored EPSG:3857 geometry, plus one simplified copy per
//! simplification tolerance of the layer file) are read once into memory and indexed by an
//! R-tree. A tile is then cut without the database, in the same steps as PostGIS's
//! `ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, buffer, true)` (PostGIS 3.3):
//!
//! 1. drop repeated points closer than half a tile unit, then Douglas-Peucker with that
//!    tolerance (rings that collapse below four points are dropped, a collapsed shell drops its
//!    polygon);
//! 2. the affine map to tile units and snapping to the integer grid (round half to even),
//!    dropping repeated points and collapsed rings again;
//! 3. clipping to the tile plus its buffer with an integer polygon overlay (`i_overlay`), which
//!    also resolves what snapping made invalid, for the features that cross the clip box;
//!    features inside it keep their snapped rings, oriented as MVT wants (shell positive area
//!    in tile units, holes negative) and without rings of zero area.
//!
//! Features are encoded with geozero's MVT writer and tag builder; property values take the MVT
//! types `ST_AsMVT` gives them (integers as uint/sint by sign, float4 as float, float8 as
//! double, booleans, everything else as text). `tests/tiles_memory.rs` compares every tile of
//! z12-z17 over the city with PostGIS's rendering of the same tile.
//!
//! The snapshot is kept current by the change feed: a change to one of the layer's `changes`
//! tables marks it stale at once (tiles then come from PostGIS) and a reload swaps in a new
//! snapshot (see [`super::TileService`]).

use geozero::mvt::{Message, TagsBuilder, TileValue, tile};
use geozero::{GeomProcessor, GeozeroGeometry, ToGeo, ToMvt};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::Overlay;
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::i_float::int::point::IntPoint;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use sqlx::{PgPool, Row};

use super::layer::{LayerDef, Source, quote_ident};
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

    fn int(v: i64) -> Value {
        if v >= 0 {
            Value::Uint(v as u64)
        } else {
            Value::Sint(v)
        }
    }
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
    let from = match &def.source {
        Source::Table(t) => quote_ident(t),
        Source::Sql(sql) => format!("({sql})"),
    };
    let filter = def
        .filter
        .as_deref()
        .map(|f| format!(" WHERE ({f})"))
        .unwrap_or_default();
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
    let sql = format!(
        "SELECT {} FROM {from} AS s{filter} ORDER BY 1",
        cols.join(", ")
    );
    let rows = sqlx::query(&sql).fetch_all(pool).await?;
    let mut tolerances: Vec<f64> = def.simplify.iter().map(|(_, t)| *t).collect();
    tolerances.retain(|t| *t > 0.0);
    tolerances.dedup();
    let mut features = Vec::with_capacity(rows.len());
    let mut boxes = Vec::with_capacity(rows.len());
    let mut bytes = 0usize;
    for row in rows {
        let id: i64 = row.try_get(0)?;
        let wkb: Option<Vec<u8>> = row.try_get(1)?;
        let Some(wkb) = wkb else { continue };
        let polygons = polygons_of(&wkb).map_err(|message| MemoryError::Geometry { id, message })?;
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
        for tol in &tolerances {
            let simplified = simplify_preserving(&variants[0], *tol);
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

/// `ST_Simplify(g, tol, true)`: Douglas-Peucker per ring, a shell keeps at least four points,
/// holes that collapse are dropped.
fn simplify_preserving(polys: &[Polygon], tol: f64) -> Vec<Polygon> {
    let mut out = Vec::with_capacity(polys.len());
    for poly in polys {
        let mut rings = Vec::with_capacity(poly.len());
        for (i, ring) in poly.iter().enumerate() {
            let mut r = ring.clone();
            simplify_dp(&mut r, tol, if i == 0 { 4 } else { 0 });
            if r.len() < 4 {
                if i == 0 {
                    break;
                }
                continue;
            }
            rings.push(r);
        }
        if !rings.is_empty() {
            out.push(rings);
        }
    }
    out
}

/// Douglas-Peucker on one point list, first and last points kept. Until `min_points` are kept
/// the farthest point is kept whatever its distance. Distances are to the segment (to the
/// point, when both ends are the same, as in a closed ring).
fn simplify_dp(pts: &mut Vec<[f64; 2]>, tol: f64, min_points: usize) {
    let n = pts.len();
    if n < 3 || n <= min_points {
        return;
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut kept = 2usize;
    let tol2 = tol * tol;
    let limit = |kept: usize| if kept >= min_points { tol2 } else { -1.0 };
    // ranges still to look at: (first, last) is the current one, `stack` holds the ends of
    // the ones after it
    let mut stack = vec![0usize];
    let (mut first, mut last) = (0usize, n - 1);
    let mut max_d = limit(kept);
    while let Some(&end) = stack.last() {
        match farthest(pts, first, last, max_d) {
            None => {
                first = last;
                last = end;
                stack.pop();
            }
            Some(k) => {
                keep[k] = true;
                kept += 1;
                stack.push(last);
                last = k;
                max_d = limit(kept);
            }
        }
    }
    let mut i = 0;
    pts.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}

/// The index in `(first, last)` farthest from the segment first-last, if farther than
/// `max_d2` (squared).
fn farthest(pts: &[[f64; 2]], first: usize, last: usize, max_d2: f64) -> Option<usize> {
    if last <= first + 1 {
        return None;
    }
    let a = pts[first];
    let b = pts[last];
    let mut split = None;
    let d2 = |p: [f64; 2], q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    if d2(a, b) < f64::EPSILON {
        let mut best = max_d2;
        for (k, p) in pts.iter().enumerate().take(last).skip(first + 1) {
            let d = d2(*p, a);
            if d > best {
                best = d;
                split = Some(k);
            }
        }
        return split;
    }
    let (bax, bay) = (b[0] - a[0], b[1] - a[1]);
    let len2 = bax * bax + bay * bay;
    // distances are kept multiplied by len2, to spare a division per point
    let mut best = max_d2 * len2;
    for (k, c) in pts.iter().enumerate().take(last).skip(first + 1) {
        let (cax, cay) = (c[0] - a[0], c[1] - a[1]);
        let dot = cax * bax + cay * bay;
        let d = if dot <= 0.0 {
            d2(*c, a) * len2
        } else if dot >= len2 {
            d2(*c, b) * len2
        } else {
            let s = cax * bay - cay * bax;
            s * s
        };
        if d > best {
            best = d;
            split = Some(k);
        }
    }
    split
}

/// Drops points within `tol` of the point kept before them, keeping the last point and at
/// least `min_points` points.
fn remove_repeated(pts: &mut Vec<[f64; 2]>, tol: f64, min_points: usize) {
    let n = pts.len();
    if n <= min_points || n < 2 {
        return;
    }
    let tol2 = tol * tol;
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(n);
    out.push(pts[0]);
    for i in 1..n {
        let p = pts[i];
        let is_last = i == n - 1;
        if n + out.len() > min_points + i {
            let last = *out.last().expect("one point is kept");
            let d2 = (p[0] - last[0]).powi(2) + (p[1] - last[1]).powi(2);
            if !is_last && d2 <= tol2 {
                continue;
            }
            if is_last && out.len() > 1 && d2 <= tol2 {
                out.pop();
            }
        }
        out.push(p);
    }
    *pts = out;
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

    fn to_tile(&self, p: [f64; 2]) -> IntPoint {
        let x = (self.fx * p[0] + self.xoff).round_ties_even();
        let y = (self.fy * p[1] + self.yoff).round_ties_even();
        IntPoint::new(x as i32, y as i32)
    }
}

/// One feature's polygons cut for a tile: simplified to the tile's resolution, snapped to tile
/// units and clipped to the tile plus `buffer` units. Empty when nothing of it is left.
fn cut(polys: &[Polygon], frame: &Frame, buffer: i32) -> Vec<IntPolygon> {
    let mut snapped: Vec<IntPolygon> = Vec::with_capacity(polys.len());
    'polygons: for poly in polys {
        let mut rings: IntPolygon = Vec::with_capacity(poly.len());
        for (i, ring) in poly.iter().enumerate() {
            let mut r = ring.clone();
            remove_repeated(&mut r, frame.res, 4);
            simplify_dp(&mut r, frame.res, 0);
            let mut t: Vec<IntPoint> = Vec::with_capacity(r.len());
            if r.len() >= 4 {
                for p in &r {
                    let q = frame.to_tile(*p);
                    if t.last() != Some(&q) {
                        t.push(q);
                    }
                }
            }
            if t.len() < 4 {
                if i == 0 {
                    continue 'polygons;
                }
                continue;
            }
            t.pop(); // the closing point
            rings.push(t);
        }
        snapped.push(rings);
    }
    if snapped.is_empty() {
        return snapped;
    }
    let (lo, hi) = (-buffer, EXTENT as i32 + buffer);
    let inside = snapped
        .iter()
        .flatten()
        .flatten()
        .all(|p| p.x >= lo && p.x <= hi && p.y >= lo && p.y <= hi);
    let bent = snap_round(&mut snapped);
    if inside && !bent {
        let mut out = Vec::with_capacity(snapped.len());
        for poly in snapped {
            let mut rings = Vec::with_capacity(poly.len());
            for (i, mut ring) in poly.into_iter().enumerate() {
                let a = twice_area(&ring);
                if a == 0 {
                    if i == 0 {
                        break;
                    }
                    continue;
                }
                // MVT: the shell has positive area in tile units, holes negative
                if (i == 0) != (a > 0) {
                    ring.reverse();
                }
                rings.push(ring);
            }
            if !rings.is_empty() {
                out.push(rings);
            }
        }
        return out;
    }
    let subject: Vec<Vec<IntPoint>> = snapped.into_iter().flatten().collect();
    let clip = vec![vec![
        IntPoint::new(lo, lo),
        IntPoint::new(hi, lo),
        IntPoint::new(hi, hi),
        IntPoint::new(lo, hi),
    ]];
    let shapes =
        Overlay::with_contours(&subject, &clip).overlay(OverlayRule::Intersect, FillRule::EvenOdd);
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

/// Snap rounding: an edge that passes through the unit square around another vertex of the
/// feature (its "hot pixel") is bent through that vertex, as PostGIS's clipper (wagyu) does.
/// That is what makes a sliver whose vertex lies within half a unit of the opposite edge
/// collapse, in both renderings. Returns whether any edge was bent.
fn snap_round(polys: &mut [IntPolygon]) -> bool {
    let mut hot: Vec<IntPoint> = polys.iter().flatten().flatten().copied().collect();
    hot.sort_unstable_by_key(|p| (p.x, p.y));
    hot.dedup();
    let mut bent = false;
    for ring in polys.iter_mut().flatten() {
        let n = ring.len();
        let mut out: Vec<IntPoint> = Vec::with_capacity(n);
        let mut inserted = Vec::new();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            out.push(a);
            let (x0, x1) = (a.x.min(b.x), a.x.max(b.x));
            let (y0, y1) = (a.y.min(b.y), a.y.max(b.y));
            // hot pixels reach half a unit around their vertex: candidates lie within the
            // edge's box grown by one unit (integer coordinates)
            let start = hot.partition_point(|p| p.x < x0 - 1);
            inserted.clear();
            for p in hot[start..].iter().take_while(|p| p.x <= x1 + 1) {
                if p.y < y0 - 1 || p.y > y1 + 1 || *p == a || *p == b {
                    continue;
                }
                if crosses_pixel(a, b, *p) {
                    let t = i64::from(p.x - a.x) * i64::from(b.x - a.x)
                        + i64::from(p.y - a.y) * i64::from(b.y - a.y);
                    inserted.push((t, *p));
                }
            }
            if !inserted.is_empty() {
                bent = true;
                inserted.sort_unstable_by_key(|(t, _)| *t);
                out.extend(inserted.iter().map(|(_, p)| *p));
            }
        }
        if out.len() != n {
            *ring = out;
        }
    }
    bent
}

/// Whether segment a-b meets the hot pixel of `p`: the unit square centred on it, closed on
/// its low sides and open on its high ones, so that a segment through a pixel corner belongs
/// to one pixel only.
fn crosses_pixel(a: IntPoint, b: IntPoint, p: IntPoint) -> bool {
    const OPEN: f64 = 1e-9;
    let (l, r) = (f64::from(p.x) - 0.5, f64::from(p.x) + 0.5 - OPEN);
    let (d, u) = (f64::from(p.y) - 0.5, f64::from(p.y) + 0.5 - OPEN);
    let (ax, ay) = (f64::from(a.x), f64::from(a.y));
    let (dx, dy) = (f64::from(b.x) - ax, f64::from(b.y) - ay);
    // Liang-Barsky: the part of the segment (t in 0..1) inside the square
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (q, e) in [(-dx, ax - l), (dx, r - ax), (-dy, ay - d), (dy, u - ay)] {
        if q == 0.0 {
            if e < 0.0 {
                return false;
            }
        } else {
            let t = e / q;
            if q < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 <= t1
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
        let mut tags = TagsBuilder::<String>::new();
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
            for (key, value) in self.keys.iter().zip(f.props.iter()) {
                if let Some(v) = value {
                    let (k, v) = tags.insert(key.clone(), v.tile_value());
                    feature.tags.push(k);
                    feature.tags.push(v);
                }
            }
            features.push(feature);
        }
        if features.is_empty() {
            return Vec::new();
        }
        let (keys, values) = tags.into_tags();
        let layer = tile::Layer {
            version: 2,
            name: self.name.clone(),
            features,
            keys,
            values: values.into_iter().map(Into::into).collect(),
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
        vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]
    }

    #[test]
    fn dp_keeps_the_corners_and_drops_points_within_tolerance() {
        let mut r = vec![[0.0, 0.0], [5.0, 0.1], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]];
        simplify_dp(&mut r, 0.5, 0);
        assert_eq!(r, vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]]);
        let mut r = vec![[0.0, 0.0], [5.0, 2.0], [10.0, 0.0]];
        simplify_dp(&mut r, 0.5, 0);
        assert_eq!(r.len(), 3, "a point 2 away from the segment stays");
    }

    #[test]
    fn a_preserved_shell_keeps_four_points() {
        let tiny = vec![square(0.0, 0.0, 1.0)];
        let s = simplify_preserving(&[tiny], 100.0);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0][0].len(), 4, "{:?}", s[0][0]);
    }

    #[test]
    fn repeated_points_go_but_the_last_point_stays() {
        let mut r = vec![[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]];
        remove_repeated(&mut r, 0.5, 4);
        assert_eq!(r, vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]);
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
        assert!(twice_area(shell) > 0, "shell must have positive area in tile units");
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
