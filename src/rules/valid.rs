//! Polygon validity (OGC rules, as `geo`'s `Validation`) in O(n log n) for typical input.
//!
//! `geo` 0.31 tests ring simplicity by comparing every pair of segments, which takes seconds
//! for the 10,000 vertices a request may carry. Here segments are swept by x, so only pairs
//! whose boxes meet are compared; ring-vs-ring containment and element overlap then use
//! `Relate`, which is already indexed.

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BoundingRect, Coord, Line, LineString, MultiPolygon, Polygon, Relate};

use super::index::rects_meet;

struct Seg {
    line: Line<f64>,
    poly: u32,
    ring: u32,
    idx: u32,
    /// Segments in the ring.
    n: u32,
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
}

/// A ring without consecutive duplicate points (still closed).
fn dedup(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        if v.last() != Some(c) {
            v.push(*c);
        }
    }
    if v.len() > 1 && v.first() != v.last() {
        v.push(v[0]);
    }
    v
}

/// Why a multipolygon is invalid, in (Bahasa Indonesia, English); `None` when it is valid.
pub(crate) fn invalid_reason(mp: &MultiPolygon<f64>) -> Option<(String, String)> {
    let mut segs = Vec::new();
    for (pi, poly) in mp.0.iter().enumerate() {
        for (ri, ring) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            let pts = dedup(ring);
            if pts.len() < 4 {
                return Some((
                    format!(
                        "cincin {} poligon {} memiliki kurang dari 3 titik berbeda",
                        ri + 1,
                        pi + 1
                    ),
                    format!(
                        "ring {} of polygon {} has fewer than 3 distinct points",
                        ri + 1,
                        pi + 1
                    ),
                ));
            }
            let n = (pts.len() - 1) as u32;
            for (k, w) in pts.windows(2).enumerate() {
                let (a, b) = (w[0], w[1]);
                segs.push(Seg {
                    line: Line::new(a, b),
                    poly: pi as u32,
                    ring: ri as u32,
                    idx: k as u32,
                    n,
                    min_x: a.x.min(b.x),
                    max_x: a.x.max(b.x),
                    min_y: a.y.min(b.y),
                    max_y: a.y.max(b.y),
                });
            }
        }
    }
    segs.sort_by(|a, b| a.min_x.total_cmp(&b.min_x));
    let mut active: Vec<usize> = Vec::new();
    for i in 0..segs.len() {
        let s = &segs[i];
        active.retain(|&j| segs[j].max_x >= s.min_x);
        for &j in &active {
            let t = &segs[j];
            if t.max_y < s.min_y || s.max_y < t.min_y {
                continue;
            }
            let Some(hit) = line_intersection(s.line, t.line) else {
                continue;
            };
            let same_ring = s.poly == t.poly && s.ring == t.ring;
            if same_ring {
                let (lo, hi) = (s.idx.min(t.idx), s.idx.max(t.idx));
                let adjacent = hi - lo == 1 || (lo == 0 && hi == s.n - 1);
                let bad = !adjacent || matches!(hit, LineIntersection::Collinear { .. });
                if bad {
                    return Some((
                        format!(
                            "sisi poligon {} saling berpotongan (misalnya bentuk dasi kupu-kupu)",
                            s.poly + 1
                        ),
                        format!("polygon {} has crossing edges (e.g. a bow-tie)", s.poly + 1),
                    ));
                }
            } else {
                match hit {
                    LineIntersection::SinglePoint {
                        is_proper: true, ..
                    } => {
                        return Some((
                            "batas-batas poligon saling bersilangan".into(),
                            "polygon boundaries cross each other".into(),
                        ));
                    }
                    LineIntersection::Collinear { intersection }
                        if intersection.start != intersection.end =>
                    {
                        return Some((
                            "batas-batas poligon bersinggungan sepanjang garis".into(),
                            "polygon boundaries touch along a line".into(),
                        ));
                    }
                    _ => {}
                }
            }
        }
        active.push(i);
    }

    for (pi, poly) in mp.0.iter().enumerate() {
        if poly.interiors().is_empty() {
            continue;
        }
        let shell = Polygon::new(poly.exterior().clone(), vec![]);
        let holes: Vec<Polygon<f64>> = poly
            .interiors()
            .iter()
            .map(|r| Polygon::new(r.clone(), vec![]))
            .collect();
        for (hi, hole) in holes.iter().enumerate() {
            if !shell.relate(hole.exterior()).is_contains() {
                return Some((
                    format!(
                        "lubang {} poligon {} berada di luar batas luarnya",
                        hi + 1,
                        pi + 1
                    ),
                    format!(
                        "hole {} of polygon {} lies outside its shell",
                        hi + 1,
                        pi + 1
                    ),
                ));
            }
            for other in &holes[hi + 1..] {
                if boxes_meet(hole, other)
                    && hole.relate(other).get(CoordPos::Inside, CoordPos::Inside)
                        == Dimensions::TwoDimensional
                {
                    return Some((
                        format!("lubang-lubang poligon {} saling bertumpuk", pi + 1),
                        format!("holes of polygon {} overlap", pi + 1),
                    ));
                }
            }
        }
    }

    for (i, a) in mp.0.iter().enumerate() {
        for b in &mp.0[i + 1..] {
            if !boxes_meet(a, b) {
                continue;
            }
            let im = a.relate(b);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some((
                    "bagian-bagian multipoligon saling bertumpuk".into(),
                    "parts of the multipolygon overlap".into(),
                ));
            }
        }
    }
    None
}

fn boxes_meet(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(x), Some(y)) => rects_meet(&x, &y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Validation, polygon, wkt};

    fn check(mp: MultiPolygon<f64>) -> bool {
        let mine = invalid_reason(&mp).is_none();
        assert_eq!(mine, mp.is_valid(), "disagrees with geo on {mp:?}");
        mine
    }

    #[test]
    fn agrees_with_geo() {
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.))))
        ));
        // bow-tie
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 10.,10. 0.,0. 10.,0. 0.))))
        ));
        // spike
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,10. 20.,10. 10.,0. 10.,0. 0.))))
        ));
        // hole inside, hole touching the shell at a point, hole outside
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(2. 2.,4. 2.,4. 4.,2. 4.,2. 2.))))
        ));
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(0. 5.,4. 2.,4. 8.,0. 5.))))
        ));
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(20. 2.,24. 2.,24. 4.,20. 4.,20. 2.))))
        ));
        // hole crossing the shell; nested holes
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(8. 2.,14. 2.,14. 4.,8. 4.,8. 2.))))
        ));
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(1. 1.,9. 1.,9. 9.,1. 9.,1. 1.),(2. 2.,4. 2.,4. 4.,2. 4.,2. 2.))))
        ));
        // elements: disjoint, touching at a point, touching along a line, overlapping, one inside another
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.)),((2. 0.,3. 0.,3. 1.,2. 1.,2. 0.))))
        ));
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.)),((1. 1.,2. 1.,2. 2.,1. 2.,1. 1.))))
        ));
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.)),((1. 0.,2. 0.,2. 1.,1. 1.,1. 0.))))
        ));
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,2. 0.,2. 2.,0. 2.,0. 0.)),((1. 1.,3. 1.,3. 3.,1. 3.,1. 1.))))
        ));
        assert!(!check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.)),((1. 1.,2. 1.,2. 2.,1. 2.,1. 1.))))
        ));
        // duplicate consecutive points are fine; too few points are not
        assert!(check(
            wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 0.,10. 10.,0. 10.,0. 0.))))
        ));
        assert!(!check(wkt!(MULTIPOLYGON(((0. 0.,10. 0.,0. 0.))))));
        // a triangle (first and last segments are neighbours)
        assert!(check(MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 5.0, y: 0.0), (x: 0.0, y: 5.0)]
        ])));
    }

    #[test]
    fn large_ring_is_fast() {
        let n = 10_000;
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (566_000.0 + 30.0 * a.cos(), 8_876_000.0 + 30.0 * a.sin())
            })
            .collect();
        let mp = MultiPolygon::new(vec![Polygon::new(LineString::from(pts), vec![])]);
        let t = std::time::Instant::now();
        assert!(invalid_reason(&mp).is_none());
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    }
}
