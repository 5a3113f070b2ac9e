//! A cheap, exact validity test for the polygons most files are made of: one outer ring, no
//! holes. It answers "certainly valid" or "ask GEOS", never "invalid" on its own, so GEOS stays
//! the judge of everything this test cannot prove.
//!
//! A polygon with one ring and no holes is valid (OGC simple features, as GEOS checks it) when
//! its coordinates are finite, the ring is closed, has at least four points and is simple: no
//! two segments meet except neighbours at their shared vertex. The test proves that with exact
//! orientation predicates (`robust::orient2d`, Shewchuk's adaptive arithmetic), after sorting
//! the segments by their left edge so only segments whose x ranges overlap are compared. Any
//! case it does not settle cleanly (repeated consecutive points, neighbours that are collinear
//! and fold back, any contact between non-neighbours, holes, several polygons) goes to GEOS.
//!
//! GEOS' `IsValidOp` builds a geometry graph for every polygon; this test costs a sort and a few
//! orientation tests per segment, which is what makes ruang's import faster than reading,
//! validating and writing through GEOS one feature at a time.

use robust::{Coord, orient2d};

/// True when `wkb` (2D WKB of a Polygon or MultiPolygon, either byte order) is certainly a
/// valid polygon; false when it may not be (GEOS has to decide).
pub fn certainly_valid(wkb: &[u8]) -> bool {
    let mut r = Reader { b: wkb, at: 0 };
    let Some(little) = r.order() else {
        return false;
    };
    match r.u32(little) {
        Some(3) => polygon_body(&mut r, little),
        Some(6) => {
            // A MultiPolygon of exactly one polygon: valid when that polygon is.
            if r.u32(little) != Some(1) {
                return false;
            }
            let Some(inner) = r.order() else {
                return false;
            };
            r.u32(inner) == Some(3) && polygon_body(&mut r, inner)
        }
        _ => false,
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn order(&mut self) -> Option<bool> {
        let v = *self.b.get(self.at)?;
        self.at += 1;
        match v {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let s = self.b.get(self.at..self.at + N)?;
        self.at += N;
        s.try_into().ok()
    }
    fn u32(&mut self, little: bool) -> Option<u32> {
        let b = self.bytes::<4>()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn f64(&mut self, little: bool) -> Option<f64> {
        let b = self.bytes::<8>()?;
        Some(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }
}

/// The rings of a polygon after its type: exactly one ring, and that ring simple.
fn polygon_body(r: &mut Reader<'_>, little: bool) -> bool {
    if r.u32(little) != Some(1) {
        return false;
    }
    let Some(n) = r.u32(little) else {
        return false;
    };
    let n = n as usize;
    // Each point takes 16 bytes; refuse counts the buffer cannot hold before allocating.
    if n < 4 || r.b.len().saturating_sub(r.at) < n * 16 {
        return false;
    }
    let mut ring = Vec::with_capacity(n);
    for _ in 0..n {
        let (Some(x), Some(y)) = (r.f64(little), r.f64(little)) else {
            return false;
        };
        if !x.is_finite() || !y.is_finite() {
            return false;
        }
        ring.push(Coord { x, y });
    }
    // Trailing bytes mean this is not the WKB we think it is.
    r.at == r.b.len() && simple_ring(&ring)
}

fn same(a: Coord<f64>, b: Coord<f64>) -> bool {
    a.x == b.x && a.y == b.y
}

fn sign(v: f64) -> i8 {
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// True when the closed ring `p` (first point repeated last) is simple and has no repeated
/// consecutive points.
fn simple_ring(p: &[Coord<f64>]) -> bool {
    let n = p.len();
    if n < 4 || !same(p[0], p[n - 1]) {
        return false;
    }
    let m = n - 1; // segments: i runs from p[i] to p[i + 1]
    if (0..m).any(|i| same(p[i], p[i + 1])) {
        return false;
    }
    // Neighbours share a vertex; they may not run back over each other.
    for i in 0..m {
        let (a, b, c) = (p[i], p[i + 1], p[(i + 2) % m]);
        if orient2d(a, b, c) == 0.0 && folds_back(a, b, c) {
            return false;
        }
    }
    // Non-neighbours may not touch at all. Sweep over segments sorted by their smallest x.
    let lo = |i: usize| p[i].x.min(p[i + 1].x);
    let hi = |i: usize| p[i].x.max(p[i + 1].x);
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_unstable_by(|&i, &j| lo(i).total_cmp(&lo(j)));
    for (k, &i) in order.iter().enumerate() {
        let (a, b) = (p[i], p[i + 1]);
        let (ylo, yhi) = (a.y.min(b.y), a.y.max(b.y));
        let right = hi(i);
        for &j in &order[k + 1..] {
            if lo(j) > right {
                break;
            }
            let neighbours = j == (i + 1) % m || i == (j + 1) % m;
            if neighbours {
                continue;
            }
            let (c, d) = (p[j], p[j + 1]);
            if c.y.max(d.y) < ylo || c.y.min(d.y) > yhi {
                continue;
            }
            let o1 = sign(orient2d(a, b, c));
            let o2 = sign(orient2d(a, b, d));
            if o1 * o2 > 0 {
                continue;
            }
            let o3 = sign(orient2d(c, d, a));
            let o4 = sign(orient2d(c, d, b));
            if o3 * o4 > 0 {
                continue;
            }
            // They meet (or are collinear with overlapping boxes, which also means they meet).
            return false;
        }
    }
    true
}

/// For collinear a, b, c with a != b and b != c: whether b -> c turns back over a -> b. Compared
/// on the axis along which a -> b moves most; differences of floats keep their sign exactly.
fn folds_back(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    let (d1, d2) = if (b.x - a.x).abs() >= (b.y - a.y).abs() {
        (b.x - a.x, c.x - b.x)
    } else {
        (b.y - a.y, c.y - b.y)
    };
    // d2 == 0 on the main axis means c == b (excluded) or a degenerate case: be safe.
    d2 == 0.0 || (d1 > 0.0) != (d2 > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdal::vector::Geometry;

    fn wkb_polygon(rings: &[&[(f64, f64)]], multi: bool, little: bool) -> Vec<u8> {
        let u = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let f = |v: f64| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut out = Vec::new();
        if multi {
            out.push(little as u8);
            out.extend_from_slice(&u(6));
            out.extend_from_slice(&u(1));
        }
        out.push(little as u8);
        out.extend_from_slice(&u(3));
        out.extend_from_slice(&u(rings.len() as u32));
        for ring in rings {
            out.extend_from_slice(&u(ring.len() as u32));
            for (x, y) in *ring {
                out.extend_from_slice(&f(*x));
                out.extend_from_slice(&f(*y));
            }
        }
        out
    }

    fn geos_valid(wkb: &[u8]) -> bool {
        super::super::read::quiet_gdal();
        Geometry::from_wkb(wkb).unwrap().is_valid()
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn simple_shapes() {
        let square: &[(f64, f64)] = &[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)];
        let bowtie: &[(f64, f64)] = &[(0., 0.), (1., 1.), (1., 0.), (0., 1.), (0., 0.)];
        let spike: &[(f64, f64)] = &[(0., 0.), (2., 0.), (1., 0.), (1., 1.), (0., 0.)];
        let open: &[(f64, f64)] = &[(0., 0.), (1., 0.), (1., 1.), (0., 1.)];
        let collinear_ok: &[(f64, f64)] = &[(0., 0.), (1., 0.), (2., 0.), (2., 1.), (0., 0.)];
        let touching: &[(f64, f64)] = &[(0., 0.), (4., 0.), (4., 4.), (2., 0.), (0., 4.), (0., 0.)];
        for little in [true, false] {
            for multi in [true, false] {
                assert!(certainly_valid(&wkb_polygon(&[square], multi, little)));
                assert!(certainly_valid(&wkb_polygon(
                    &[collinear_ok],
                    multi,
                    little
                )));
                for bad in [bowtie, spike, open, touching] {
                    assert!(!certainly_valid(&wkb_polygon(&[bad], multi, little)));
                }
            }
        }
        // Holes and several polygons are for GEOS.
        let hole: &[(f64, f64)] = &[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.2)];
        assert!(!certainly_valid(&wkb_polygon(&[square, hole], true, true)));
        // Truncated or padded WKB is never certain.
        let w = wkb_polygon(&[square], true, true);
        assert!(!certainly_valid(&w[..w.len() - 1]));
        let mut padded = w.clone();
        padded.push(0);
        assert!(!certainly_valid(&padded));
        // A NaN coordinate is never certain.
        let nan: &[(f64, f64)] = &[(0., 0.), (f64::NAN, 0.), (1., 1.), (0., 1.), (0., 0.)];
        assert!(!certainly_valid(&wkb_polygon(&[nan], true, true)));
    }

    /// Exactly collinear points whose orientation a plain floating point cross product gets
    /// wrong (it says -1.4e-14, not 0): a ring that runs out to `c` and back over `b` to
    /// `a` folds back on itself, and only exact predicates see it.
    #[test]
    fn rounding_does_not_hide_a_fold() {
        let a = (0.09413004193968255, 0.03137668064656085);
        let (b, c) = ((12.0, 4.0), (24.0, 8.0));
        for d in [(12.0, -6.0), (12.0, 14.0)] {
            let ring = [a, c, b, d, a];
            let wkb = wkb_polygon(&[&ring], true, true);
            assert!(!geos_valid(&wkb));
            assert!(!certainly_valid(&wkb), "{ring:?}");
        }
    }

    /// Random rings on a tiny grid, where collinear points, touching vertices, crossings and
    /// repeated points are common: whenever the quick test says valid, GEOS must agree.
    #[test]
    fn never_valid_when_geos_says_invalid_on_a_grid() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut certain, mut geos_ok) = (0, 0);
        for _ in 0..60_000 {
            let k = 3 + rng.below(6) as usize;
            let mut ring: Vec<(f64, f64)> = (0..k)
                .map(|_| (rng.below(5) as f64, rng.below(5) as f64))
                .collect();
            ring.push(ring[0]);
            let wkb = wkb_polygon(&[&ring], rng.below(2) == 0, true);
            let quick = certainly_valid(&wkb);
            let geos = geos_valid(&wkb);
            assert!(!quick || geos, "quick said valid, GEOS not: {ring:?}");
            certain += quick as u32;
            geos_ok += geos as u32;
        }
        // The grid makes many valid rings; the quick test must recognise most of them.
        assert!(geos_ok > 5_000, "{geos_ok}");
        assert!(certain * 10 >= geos_ok * 7, "{certain} of {geos_ok}");
    }

    /// Rings at Kupang's coordinates with nearly collinear and nearly touching vertices, where
    /// floating point rounding matters: the exact predicates must keep the answer right.
    #[test]
    fn never_valid_when_geos_says_invalid_near_degenerate() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut certain, mut geos_ok) = (0, 0);
        for _ in 0..40_000 {
            let (cx, cy) = (123.6 + rng.unit() * 0.01, -10.18 + rng.unit() * 0.01);
            let k = 3 + rng.below(8) as usize;
            let mut ring: Vec<(f64, f64)> = Vec::new();
            for i in 0..k {
                let t = i as f64 / k as f64 * std::f64::consts::TAU;
                let r = 1e-4 * (0.2 + rng.unit());
                let mut p = (cx + r * t.cos(), cy + r * t.sin());
                match rng.below(6) {
                    // On (as near as floats get to) the line through the two points before.
                    0 if ring.len() >= 2 => {
                        let (a, b) = (ring[ring.len() - 2], ring[ring.len() - 1]);
                        let s = rng.unit() * 3.0 - 1.0;
                        p = (a.0 + (b.0 - a.0) * (1.0 + s), a.1 + (b.1 - a.1) * (1.0 + s));
                    }
                    // Onto an earlier vertex, or a hair away from it.
                    1 if !ring.is_empty() => {
                        let q = ring[rng.below(ring.len() as u64) as usize];
                        let e = if rng.below(2) == 0 { 0.0 } else { 1e-15 };
                        p = (q.0 + e, q.1 - e);
                    }
                    // Swap order to make crossings.
                    2 if !ring.is_empty() => {
                        let l = ring.len();
                        ring.swap(rng.below(l as u64) as usize, l - 1);
                    }
                    _ => {}
                }
                ring.push(p);
            }
            ring.push(ring[0]);
            let little = rng.below(2) == 0;
            let wkb = wkb_polygon(&[&ring], true, little);
            let quick = certainly_valid(&wkb);
            let geos = geos_valid(&wkb);
            assert!(!quick || geos, "quick said valid, GEOS not: {ring:?}");
            certain += quick as u32;
            geos_ok += geos as u32;
        }
        assert!(geos_ok > 5_000, "{geos_ok}");
        assert!(certain * 10 >= geos_ok * 8, "{certain} of {geos_ok}");
    }

    /// Large rings (a digitised coastline, say) go through the sweep, not all pairs.
    #[test]
    fn large_rings() {
        let n = 20_000;
        let mut ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = 1.0 + 0.1 * (7.0 * t).sin();
                (123.6 + r * t.cos(), -10.18 + r * t.sin())
            })
            .collect();
        ring.push(ring[0]);
        let wkb = wkb_polygon(&[&ring], true, true);
        assert!(certainly_valid(&wkb));
        assert!(geos_valid(&wkb));
        // Move one vertex across the ring: a crossing, not certain (and GEOS: invalid).
        ring[n / 2] = (123.6 + 2.0, -10.18);
        let wkb = wkb_polygon(&[&ring], true, true);
        assert!(!certainly_valid(&wkb));
        assert!(!geos_valid(&wkb));
    }
}
