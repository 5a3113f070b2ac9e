//! `gsb`, the building setback (garis sempadan bangunan): the footprint's distance from the
//! stretches of the approvable boundary that face a road body (BJ zone).

use geo::{
    BooleanOps, BoundingRect, Buffer, Coord, Distance, Euclidean, Line, LineString,
    MultiLineString, MultiPolygon, Rect, coord,
};

use super::super::crs::r2;
use super::super::decision::{Effect, Finding, RuleId, Status};
use super::super::index::rects_meet;
use super::super::ruleset::{RuleSet, Tolerances};
use super::super::text::{n_en, n_id};
use super::intensity::{Measured, limit_finding};
use super::parts::{Part, metric};

fn expand(r: &Rect<f64>, d: f64) -> Rect<f64> {
    Rect::new(
        coord! {x: r.min().x - d, y: r.min().y - d},
        coord! {x: r.max().x + d, y: r.max().y + d},
    )
}

fn dist_point_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.x + t * dx, a.y + t * dy);
    ((p.x - qx).powi(2) + (p.y - qy).powi(2)).sqrt()
}

/// The stretches of the boundary of `base` that lie within `tol_m` of a road-body (BJ) zone:
/// each ring edge is sampled every `tol_m / 2` (at most 400 samples an edge); consecutive
/// samples within `tol_m` of a BJ edge form a stretch; stretches shorter than `3 × tol_m`
/// (side edges that only touch or cross the road edge at a corner) are dropped.
fn road_frontage(rs: &RuleSet, base: &MultiPolygon<f64>, tol_m: f64) -> Vec<Line<f64>> {
    let Some(bbox) = base.bounding_rect() else {
        return Vec::new();
    };
    let area = expand(&bbox, tol_m);
    let mut cand = Vec::new();
    rs.zone_layer.candidates(&area, &mut cand);
    let mut road_edges: Vec<Line<f64>> = Vec::new();
    for &i in &cand {
        let piece = &rs.zone_layer.pieces[i as usize];
        if !rs.zones[piece.owner as usize].is_road_body() {
            continue;
        }
        for ring in std::iter::once(piece.poly.exterior()).chain(piece.poly.interiors()) {
            road_edges.extend(
                ring.lines()
                    .filter(|l| rects_meet(&l.bounding_rect(), &area)),
            );
        }
    }
    if road_edges.is_empty() {
        return Vec::new();
    }
    let step = (tol_m / 2.0).max(0.05);
    let mut out = Vec::new();
    let mut near_edges: Vec<&Line<f64>> = Vec::new();
    for poly in &base.0 {
        for seg in poly.exterior().lines() {
            let seg_box = expand(&seg.bounding_rect(), tol_m);
            near_edges.clear();
            near_edges.extend(
                road_edges
                    .iter()
                    .filter(|e| rects_meet(&e.bounding_rect(), &seg_box)),
            );
            if near_edges.is_empty() {
                continue;
            }
            let len = Euclidean.distance(seg.start, seg.end);
            let n = ((len / step).ceil() as usize).clamp(1, 400);
            let at = |k: usize| {
                let t = k as f64 / n as f64;
                coord! {x: seg.start.x + t * (seg.end.x - seg.start.x), y: seg.start.y + t * (seg.end.y - seg.start.y)}
            };
            let near = |p: Coord<f64>| {
                near_edges
                    .iter()
                    .any(|e| dist_point_segment(p, e.start, e.end) <= tol_m)
            };
            let mut run: Option<usize> = None;
            for k in 0..=n {
                let is_near = near(at(k));
                match (run, is_near) {
                    (None, true) => run = Some(k),
                    (Some(s), false) => {
                        push_run(&mut out, at(s), at(k - 1), tol_m);
                        run = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = run {
                push_run(&mut out, at(s), at(n), tol_m);
            }
        }
    }
    out
}

fn push_run(out: &mut Vec<Line<f64>>, a: Coord<f64>, b: Coord<f64>, tol_m: f64) {
    if Euclidean.distance(a, b) >= 3.0 * tol_m {
        out.push(Line::new(a, b));
    }
}

pub(super) fn gsb_finding(
    rs: &RuleSet,
    footprint: Option<&MultiPolygon<f64>>,
    base: &MultiPolygon<f64>,
    limit: Option<(f64, &Part)>,
    tol: &Tolerances,
) -> Finding {
    let Some(fp) = footprint else {
        let (lid, len) = match limit {
            Some((l, _)) => (
                format!(" (GSB minimum {} m)", n_id(l)),
                format!(" (minimum GSB {} m)", n_en(l)),
            ),
            None => (String::new(), String::new()),
        };
        return Finding::new(
            RuleId::Gsb,
            Status::Info,
            Effect::None,
            format!("GSB tidak diperiksa: tapak bangunan tidak digambar{lid}."),
            format!("GSB not checked: no footprint polygon was drawn{len}."),
        )
        .values(None, limit.map(|l| l.0), "m");
    };
    let frontage = road_frontage(rs, base, tol.road_facing_m);
    if frontage.is_empty() {
        return Finding::new(
            RuleId::Gsb,
            Status::Info,
            Effect::None,
            "GSB tidak diperiksa: tidak ada batas persil yang menghadap badan jalan (BJ).".into(),
            "GSB not checked: no parcel edge faces a road body (BJ).".into(),
        )
        .values(None, limit.map(|l| l.0), "m");
    }
    let d = frontage
        .iter()
        .flat_map(|line| fp.0.iter().map(move |p| Euclidean.distance(line, p)))
        .fold(f64::INFINITY, f64::min);
    let len: f64 = frontage
        .iter()
        .map(|l| Euclidean.distance(l.start, l.end))
        .sum();
    let f = limit_finding(
        RuleId::Gsb,
        "m",
        Some(d),
        limit,
        |d, l| r2(d) >= l,
        |m| match *m {
            Measured::Checked {
                value: d,
                limit: l,
                code,
                ok: false,
            } => (
                format!(
                    "Jarak bangunan ke batas persil yang menghadap jalan {} m kurang dari GSB minimum {} m (sub-zona {code}; muka jalan {} m).",
                    n_id(d),
                    n_id(l),
                    n_id(len)
                ),
                format!(
                    "The building is {} m from the road-facing parcel edge, less than the minimum GSB of {} m (sub-zone {code}; frontage {} m).",
                    n_en(d),
                    n_en(l),
                    n_en(len)
                ),
            ),
            Measured::Checked {
                value: d,
                limit: l,
                code,
                ok: true,
            } => (
                format!(
                    "Jarak bangunan ke batas persil yang menghadap jalan {} m memenuhi GSB minimum {} m (sub-zona {code}).",
                    n_id(d),
                    n_id(l)
                ),
                format!(
                    "The building is {} m from the road-facing parcel edge, meeting the minimum GSB of {} m (sub-zone {code}).",
                    n_en(d),
                    n_en(l)
                ),
            ),
            Measured::NotRegulated { value: d } => (
                format!("Jarak bangunan ke batas persil yang menghadap jalan {} m; GSB tidak diatur untuk sub-zona ini.", n_id(d)),
                format!("The building is {} m from the road-facing parcel edge; no GSB is set for this sub-zone.", n_en(d)),
            ),
            Measured::NotGiven { .. } => unreachable!("the distance is always measured"),
        },
    )
    .expect("a measured distance gives a finding");
    match (f.status, limit) {
        // The part of the footprint inside the setback.
        (Status::Fail, Some((l, _))) => {
            let lines = MultiLineString::new(
                frontage
                    .iter()
                    .map(|l| LineString::from(vec![l.start, l.end]))
                    .collect(),
            );
            let setback = lines.buffer(l);
            f.geometry(metric(fp.intersection(&setback)))
        }
        _ => f,
    }
}
