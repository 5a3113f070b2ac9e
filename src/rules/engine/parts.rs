//! Zone parts: the parcel cut by the zones (and the geometry helpers every rule group uses),
//! and `plan_area`, the part outside every zone.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Area, BooleanOps, BoundingRect, CoordsIter, MultiPolygon, Polygon, Rect};

use super::super::crs::{Utm51s, r2};
use super::super::decision::{Effect, Finding, RuleId, Status};
use super::super::index::rects_meet;
use super::super::ruleset::{ActivityRule, Layer, Subzone, Zone, subdivide};
use super::super::text::{n_en, n_id};
use super::{Ctx, Out};

/// One zone's part of the parcel, while the rules run.
pub(super) struct Part<'a> {
    pub(super) zone: &'a Zone,
    pub(super) subzone: &'a Subzone,
    pub(super) area: f64,
    /// Pieces of `parcel ∩ zone` (disjoint, possibly sharing edges).
    pub(super) polys: Vec<Polygon<f64>>,
    pub(super) sliver: bool,
    pub(super) itbx: Option<&'a ActivityRule>,
    /// Removed from the approvable area (X).
    pub(super) rejected: bool,
    /// Footprint area on this part, m².
    pub(super) footprint_on: f64,
}

pub(super) fn merged(polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
    if polys.len() <= 1 {
        MultiPolygon::new(polys.to_vec())
    } else {
        geo::unary_union(polys.iter())
    }
}

pub(super) fn metric(mp: MultiPolygon<f64>) -> Option<Utm51s<MultiPolygon<f64>>> {
    (!mp.0.is_empty()).then(|| Utm51s::new(mp))
}

/// Pieces of a geometry with their boxes (see [`parcel_pieces`]).
pub(super) type Pieces<'a> = [(Rect<f64>, Cow<'a, Polygon<f64>>)];

/// Area of `a ∩ (union of polys)`, the polys being disjoint.
pub(super) fn overlap_area(a: &Pieces<'_>, polys: &[Polygon<f64>]) -> f64 {
    let mut sum = 0.0;
    for p in polys {
        let Some(pr) = p.bounding_rect() else {
            continue;
        };
        for (r, piece) in a {
            if rects_meet(r, &pr) {
                sum += piece.as_ref().intersection(p).unsigned_area();
            }
        }
    }
    sum
}

pub(super) fn intersection_with(a: &Pieces<'_>, polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
    let mut parts: Vec<Polygon<f64>> = Vec::new();
    for p in polys {
        let Some(pr) = p.bounding_rect() else {
            continue;
        };
        for (r, piece) in a {
            if rects_meet(r, &pr) {
                parts.extend(piece.as_ref().intersection(p).0);
            }
        }
    }
    merged(&parts)
}

/// The parcel as pieces with their boxes: its polygons, each cut into pieces of at most
/// `max` vertices when larger (a 10,000-vertex parcel would otherwise make every clip slow).
pub(super) fn parcel_pieces(
    parcel: &MultiPolygon<f64>,
    max: usize,
) -> Vec<(Rect<f64>, Cow<'_, Polygon<f64>>)> {
    let mut out = Vec::new();
    for poly in &parcel.0 {
        if poly.coords_count() <= max {
            if let Some(r) = poly.bounding_rect() {
                out.push((r, Cow::Borrowed(poly)));
            }
        } else {
            let mut cut = Vec::new();
            subdivide(poly, max.max(16), 0, &mut cut);
            out.extend(
                cut.into_iter()
                    .filter_map(|p| p.bounding_rect().map(|r| (r, Cow::Owned(p)))),
            );
        }
    }
    out
}

/// Per owner (zone, overlay, registered parcel): the area and pieces of `parcel ∩ owner`.
pub(super) fn clip(
    layer: &Layer,
    pieces: &[(Rect<f64>, Cow<'_, Polygon<f64>>)],
    cand: &mut Vec<u32>,
) -> BTreeMap<u32, (f64, Vec<Polygon<f64>>)> {
    let mut acc: BTreeMap<u32, (f64, Vec<Polygon<f64>>)> = BTreeMap::new();
    for (rect, pp) in pieces {
        layer.candidates(rect, cand);
        for &i in cand.iter() {
            let piece = &layer.pieces[i as usize];
            let inter = pp.as_ref().intersection(&piece.poly);
            let a = inter.unsigned_area();
            if a > 0.0 {
                let e = acc.entry(piece.owner).or_default();
                e.0 += a;
                e.1.extend(inter.0);
            }
        }
    }
    acc
}

/// The zone parts of the parcel, sorted by sub-zone code, area (largest first) and zone id.
pub(super) fn zone_parts<'a>(
    cx: &Ctx<'a>,
    pieces: &Pieces<'_>,
    cand: &mut Vec<u32>,
) -> Vec<Part<'a>> {
    let Ctx {
        rs,
        tol,
        parcel_area,
        fp_pieces,
        kbli,
        ..
    } = *cx;
    let acc = clip(&rs.zone_layer, pieces, cand);
    let mut parts: Vec<Part> = acc
        .into_iter()
        .map(|(owner, (area, polys))| {
            let zone = &rs.zones[owner as usize];
            let sliver = tol.is_sliver(area, parcel_area);
            let footprint_on = match &fp_pieces {
                Some(fpp) if !sliver => overlap_area(fpp, &polys),
                _ => 0.0,
            };
            Part {
                zone,
                subzone: &rs.subzones[rs.zone_subzone[owner as usize]],
                area,
                polys,
                sliver,
                itbx: rs.itbx(kbli, &zone.subzone_code),
                rejected: false,
                footprint_on,
            }
        })
        .collect();
    parts.sort_by(|a, b| {
        a.zone
            .subzone_code
            .cmp(&b.zone.subzone_code)
            .then(r2(b.area).total_cmp(&r2(a.area)))
            .then(a.zone.id.cmp(&b.zone.id))
    });
    parts
}

/// The effect of removing a part of the parcel, and the words its message ends with: `reject`
/// when the footprint stands on the part, else `reject_part`.
pub(super) fn removal(footprint_on_it: bool) -> (Effect, &'static str, &'static str) {
    if footprint_on_it {
        (
            Effect::Reject,
            " Tapak bangunan berada di bagian ini.",
            " The footprint stands on this part.",
        )
    } else {
        (
            Effect::RejectPart,
            " Bagian ini dikeluarkan dari persetujuan.",
            " This part is excluded from the approval.",
        )
    }
}

/// `plan_area`: the part of the parcel outside every zone.
pub(super) fn plan_area(cx: &Ctx<'_>, parts: &[Part<'_>], out: &mut Out) {
    let Ctx {
        tol,
        parcel,
        parcel_area,
        fp_pieces,
        ..
    } = *cx;
    let Out { findings, removed } = out;
    let inside: f64 = parts.iter().map(|p| p.area).sum();
    let outside = (parcel_area - inside).max(0.0);
    if tol.is_sliver(outside, parcel_area) {
        findings.push(
            Finding::new(
                RuleId::PlanArea,
                Status::Pass,
                Effect::None,
                "Persil berada di dalam wilayah rencana.".into(),
                "The parcel lies inside the plan area.".into(),
            )
            .values(Some(outside), None, "m2"),
        );
    } else if parts.iter().all(|p| p.sliver) {
        findings.push(
            Finding::new(
                RuleId::PlanArea,
                Status::Fail,
                Effect::Reject,
                "Persil berada di luar wilayah rencana (di luar kota atau di laut).".into(),
                "The parcel lies outside the plan area (outside the city, or in the sea).".into(),
            )
            .values(Some(outside), None, "m2")
            .geometry(metric(parcel.clone())),
        );
    } else {
        let inside =
            MultiPolygon::new(parts.iter().flat_map(|p| p.polys.iter().cloned()).collect());
        let out_geom = parcel.difference(&inside);
        let on_it = fp_pieces
            .as_ref()
            .is_some_and(|fpp| overlap_area(fpp, &out_geom.0) > tol.footprint_overlap_m2);
        let (effect, extra_id, extra_en) = removal(on_it);
        findings.push(
            Finding::new(
                RuleId::PlanArea,
                Status::Fail,
                effect,
                format!(
                    "Bagian persil seluas {} m² berada di luar wilayah rencana (di luar kota atau di laut).{extra_id}",
                    n_id(outside)
                ),
                format!("{} m² of the parcel lies outside the plan area (outside the city, or in the sea).{extra_en}", n_en(outside)),
            )
            .values(Some(outside), None, "m2")
            .geometry(metric(out_geom.clone())),
        );
        removed.push(out_geom);
    }
}
