//! `check`: the rules, applied in a fixed order, and the outcome they add up to.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{
    Area, BooleanOps, BoundingRect, Buffer, Coord, CoordsIter, Distance, Euclidean, Line,
    LineString, MultiLineString, MultiPolygon, Polygon, Rect, coord,
};

use super::crs::{Utm51s, r2, round_to};
use super::decision::{
    ConditionText, Decision, Effect, Finding, Outcome, RuleId, Status, ZonePart,
};
use super::index::rects_meet;
use super::input::{CheckError, CheckInput, unknown_kbli, validate_figures, validate_geometry};
use super::ruleset::{
    ActivityRule, ItbxClass, Layer, Overlay, OverlayKind, RuleSet, Subzone, Tolerances, Zone,
    ZoneRule, subdivide,
};
use super::text::{n_en, n_id};

/// One zone's part of the parcel, while the rules run.
struct Part<'a> {
    zone: &'a Zone,
    subzone: &'a Subzone,
    area: f64,
    /// Pieces of `parcel ∩ zone` (disjoint, possibly sharing edges).
    polys: Vec<Polygon<f64>>,
    sliver: bool,
    itbx: Option<&'a ActivityRule>,
    /// Removed from the approvable area (X).
    rejected: bool,
    /// Footprint area on this part, m².
    footprint_on: f64,
}

/// One overlay's part of the parcel.
struct Hit<'a> {
    overlay: &'a Overlay,
    polys: Vec<Polygon<f64>>,
    area: f64,
}

/// The building height used by the height and KKOP rules.
#[derive(Clone, Copy)]
enum Height {
    Given(f64),
    /// Estimated from floors × metres per floor.
    FromFloors(f64, i64),
    Unknown,
}

impl Height {
    fn value(self) -> Option<f64> {
        match self {
            Height::Given(h) | Height::FromFloors(h, _) => Some(h),
            Height::Unknown => None,
        }
    }

    fn note(self, tol: &Tolerances) -> (String, String) {
        match self {
            Height::FromFloors(_, f) => (
                format!(" (perkiraan {f} lantai × {} m)", n_id(tol.metres_per_floor)),
                format!(
                    " (estimated as {f} floors × {} m)",
                    n_en(tol.metres_per_floor)
                ),
            ),
            _ => (String::new(), String::new()),
        }
    }
}

fn merged(polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
    if polys.len() <= 1 {
        MultiPolygon::new(polys.to_vec())
    } else {
        geo::unary_union(polys.iter())
    }
}

fn metric(mp: MultiPolygon<f64>) -> Option<Utm51s<MultiPolygon<f64>>> {
    (!mp.0.is_empty()).then(|| Utm51s::new(mp))
}

/// Pieces of a geometry with their boxes (see [`parcel_pieces`]).
type Pieces<'a> = [(Rect<f64>, Cow<'a, Polygon<f64>>)];

/// Area of `a ∩ (union of polys)`, the polys being disjoint.
fn overlap_area(a: &Pieces<'_>, polys: &[Polygon<f64>]) -> f64 {
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

fn intersection_with(a: &Pieces<'_>, polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
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
fn parcel_pieces(
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
fn clip(
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

fn expand(r: &Rect<f64>, d: f64) -> Rect<f64> {
    Rect::new(
        coord! {x: r.min().x - d, y: r.min().y - d},
        coord! {x: r.max().x + d, y: r.max().y + d},
    )
}

/// Condition texts of ITBX codes, falling back to the bare code when the plan has no text.
fn itbx_conditions(rs: &RuleSet, codes: &[String]) -> Vec<ConditionText> {
    codes
        .iter()
        .map(|c| match rs.condition(c) {
            Some(t) => ConditionText {
                code: c.clone(),
                text_id: t.text_id.clone(),
                text_en: t.text_en.clone(),
            },
            None => ConditionText {
                code: c.clone(),
                text_id: format!("Ketentuan {c} (teksnya belum tersedia dalam rencana)."),
                text_en: format!("Condition {c} (its text is not yet in the plan)."),
            },
        })
        .collect()
}

/// The condition an overlay attaches: its own texts, else a default per kind.
fn overlay_condition(o: &Overlay) -> ConditionText {
    let code = format!("{}-{}", o.kind.as_str(), o.id);
    if let (Some(id), Some(en)) = (&o.condition_id, &o.condition_en) {
        return ConditionText {
            code,
            text_id: id.clone(),
            text_en: en.clone(),
        };
    }
    let (text_id, text_en) = match o.kind {
        OverlayKind::Krb => {
            let hazard = o.hazard.as_deref().unwrap_or("bencana");
            let level = o.hazard_level.as_deref().unwrap_or("-");
            (
                format!("Wajib menerapkan rekayasa mitigasi bencana {hazard} (tingkat kerawanan {level}) sesuai rekomendasi BPBD."),
                format!("Mitigation measures against {hazard} (hazard level {level}) are required, as recommended by BPBD."),
            )
        }
        OverlayKind::CagarBudaya => (
            "Wajib mendapat rekomendasi Tim Ahli Cagar Budaya; bangunan baru harus selaras dengan kaidah pelestarian.".into(),
            "A recommendation of the heritage expert team is required; new buildings must follow conservation rules.".into(),
        ),
        OverlayKind::Kkop => (
            format!(
                "Tinggi bangunan tidak boleh melebihi batas KKOP{}; wajib rekomendasi otoritas bandar udara.",
                o.height_max_m.map(|h| format!(" {} m", n_id(h))).unwrap_or_default()
            ),
            format!(
                "The building must not exceed the KKOP height limit{}; an airport authority recommendation is required.",
                o.height_max_m.map(|h| format!(" of {} m", n_en(h))).unwrap_or_default()
            ),
        ),
        OverlayKind::SempadanPantai | OverlayKind::SempadanSungai | OverlayKind::KawasanLindung => {
            let (lid, len) = o.kind.label();
            (
                format!("Bagian persil di {lid} hanya untuk ruang terbuka dan fungsi perlindungan."),
                format!("The part of the parcel in the {len} is for open space and protection only."),
            )
        }
    };
    ConditionText {
        code,
        text_id,
        text_en,
    }
}

fn overlay_rule(kind: OverlayKind) -> RuleId {
    match kind {
        OverlayKind::SempadanPantai => RuleId::OverlaySempadanPantai,
        OverlayKind::SempadanSungai => RuleId::OverlaySempadanSungai,
        OverlayKind::KawasanLindung => RuleId::OverlayKawasanLindung,
        OverlayKind::Kkop => RuleId::OverlayKkop,
        OverlayKind::Krb => RuleId::OverlayKrb,
        OverlayKind::CagarBudaya => RuleId::OverlayCagarBudaya,
    }
}

/// The strictest limit over the parts the building uses: the smallest maximum (`max = true`)
/// or the largest minimum, with the part it came from (first in report order on ties).
fn strictest<'p, 'a>(
    used: &[(&'p Part<'a>, Option<&'a ZoneRule>)],
    max: bool,
    get: impl Fn(&ZoneRule) -> Option<f64>,
) -> Option<(f64, &'p Part<'a>)> {
    let mut best: Option<(f64, &Part)> = None;
    for (part, rule) in used {
        let Some(v) = rule.and_then(&get) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((b, _)) => (max && v < b) || (!max && v > b),
        };
        if better {
            best = Some((v, part));
        }
    }
    best
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

/// Runs the zoning rules on one parcel.
///
/// # Input
///
/// Refused with a [`CheckError`] (naming the field, in Bahasa Indonesia and English): empty,
/// non-finite or invalid geometry (self-intersections, bow-ties, holes outside the shell) of the
/// parcel or footprint; more than `max_vertices` (10,000) vertices; negative or non-finite
/// figures, floors outside 1..200, height over 1,000 m, a declared area ≤ 0; impossible
/// combinations: floor area below the footprint, height below floors × 2 m, footprint or
/// footprint + green area or basement larger than the parcel; a KBLI code not in the plan
/// (with up to 5 close matches).
///
/// # Zone parts
///
/// The parcel is intersected with the zones whose box meets it, in EPSG:32751. A part is a
/// sliver, listed under `ignored_slivers` and not evaluated, when it is under 1 m², or under both
/// 50 m² and 0.5% of the parcel ([`Tolerances`]). The same test applies to the part of the
/// parcel outside every zone and to overlays touching the parcel.
///
/// # Rules, in report order ([`RuleId`])
///
/// - `geometry`: pass, with the measured area.
/// - `plan_area`: the part outside every zone (outside the city, or in the sea) is removed
///   (`reject_part`); a parcel wholly outside is rejected.
/// - `land_area`: declared vs measured area more than 5% apart → `review`.
/// - `footprint_within_parcel`, `footprint_area`: a drawn footprint must lie in the parcel
///   (else `reject`); the footprint figure and the drawn footprint more than 5% apart → `review`.
/// - `itbx`, per non-sliver part: `X` removes the part (`reject_part`; `reject` when the drawn
///   footprint stands on it), `T`/`B` attach their condition texts (`condition`), `I` passes,
///   no matrix row → `review`.
/// - `buildable`: on a sub-zone where no building is allowed (BJ, BA, ...) but the activity is
///   not X, a footprint on it is rejected; otherwise the part must stay unbuilt (`condition`).
/// - `remainder`: when parts were removed, what is left (the compliant polygon) must be more
///   than a sliver, else `reject`.
/// - Intensity: `intensity_rules` (a used part has no `zone_rules` row → `review`),
///   `min_parcel`, `kdb`, `klb`, `kdh`, `ktb`, `height`, `floors`, `gsb`. The land area they
///   are measured against is the approvable area (the compliant polygon when parts were
///   removed, else the parcel). With several zone parts, the **strictest** limit among the parts
///   the building uses applies (smallest maximum, largest minimum), and the finding names that
///   sub-zone. The parts the building uses are those under the drawn footprint, or, without a
///   footprint, every non-removed buildable part. Height is `height_m`, else floors × 4 m.
///   A figure that is missing gives `info`; a limit that is exceeded gives `reject`.
/// - `gsb` (only with a drawn footprint): distance from the footprint to the stretches of the
///   approvable boundary within 1 m of a BJ zone; closer than the largest `gsb_min_m` → `reject`
///   with the part of the footprint inside the setback.
/// - Overlays (one finding per overlay touching the parcel): with `no_building` (coastal and
///   river setbacks, protected land) building mass inside is refused — the footprint if drawn
///   (`reject` when it enters, else `condition`: keep that part unbuilt), otherwise the parcel's
///   part inside is removed (`reject_part`); KKOP compares the height with its limit (`reject`
///   above, `condition` when the height is unknown or the overlay carries a condition text);
///   KRB, heritage and other overlays attach their condition (`condition`). No overlay →
///   `overlays` pass.
/// - `parcel_overlap`: overlap with a registered parcel over 1 m² or over 1% of the parcel →
///   `review`, with the overlapping geometry; a registered parcel that covers and is covered by
///   the parcel to 95% is the same land (the applicant's own title) → `info`.
///
/// # Outcome
///
/// From the findings' [`Effect`]s, first match wins:
/// 1. any `reject` → `DITOLAK` (this includes "nothing left after removing the rejected parts");
/// 2. any `review` → `PERLU_KAJIAN`;
/// 3. any `reject_part` → `DISETUJUI_SEBAGIAN`, with `compliant_polygon` = the parcel minus
///    the geometries of the `reject_part` findings;
/// 4. any `condition` → `DISETUJUI_BERSYARAT`, with every condition text in `conditions`;
/// 5. otherwise `DISETUJUI`.
///
/// # Determinism
///
/// The rule set is sorted by key when built, zone parts are sorted by sub-zone code, area
/// (largest first) and zone id, findings by rule, and every reported number is rounded
/// (0.01; shares 0.0001), so the same input gives the same decision whatever the order of the
/// rule set's rows.
pub fn check(rs: &RuleSet, input: &CheckInput) -> Result<Decision, CheckError> {
    let tol = &rs.tolerances;
    let parcel = input.parcel.geom();
    let parcel_area = validate_geometry("parcel", parcel, tol)?;
    let footprint = match &input.footprint {
        Some(f) => {
            validate_geometry("footprint", f.geom(), tol)?;
            Some(f.geom())
        }
        None => None,
    };
    let fp_poly_area = footprint.map(|f| f.unsigned_area());
    let kbli = input.kbli.trim();
    let activity = rs.activity(kbli).ok_or_else(|| unknown_kbli(rs, kbli))?;
    let b = &input.building;
    let footprint_area = b.footprint_m2.or(fp_poly_area);
    validate_figures(input, parcel_area, footprint_area, tol)?;
    let variant = input.variant.as_deref().unwrap_or("");

    let mut findings: Vec<Finding> = Vec::new();
    let mut removed: Vec<MultiPolygon<f64>> = Vec::new();
    let mut cand = Vec::new();

    findings.push(
        Finding::new(
            RuleId::Geometry,
            Status::Pass,
            Effect::None,
            format!(
                "Geometri persil valid; luas terukur {} m² (EPSG:32751).",
                n_id(parcel_area)
            ),
            format!(
                "The parcel geometry is valid; measured area {} m² (EPSG:32751).",
                n_en(parcel_area)
            ),
        )
        .values(Some(parcel_area), None, "m2"),
    );

    // Zone parts.
    let pieces = parcel_pieces(parcel, tol.max_piece_vertices);
    let fp_pieces = footprint.map(|f| parcel_pieces(f, tol.max_piece_vertices));
    let acc = clip(&rs.zone_layer, &pieces, &mut cand);
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

    // plan_area
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
        let (effect, extra_id, extra_en) = if on_it {
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
        };
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

    // itbx and buildable, per part.
    let fp_small = |fp_on: f64| fp_on > tol.footprint_overlap_m2;
    for p in parts.iter_mut().filter(|p| !p.sliver) {
        let code = &p.zone.subzone_code;
        let sz_name = &p.subzone.name;
        let sz_name_en = &p.subzone.name_en;
        let building_here = footprint.is_some() && fp_small(p.footprint_on);
        let class = p.itbx.map(|r| r.class);
        let f = match p.itbx {
            None => Finding::new(
                RuleId::Itbx,
                Status::Info,
                Effect::Review,
                format!(
                    "Matriks ITBX tidak memuat kegiatan {kbli} di sub-zona {code} ({sz_name}); perlu kajian verifikator."
                ),
                format!(
                    "The ITBX matrix has no row for activity {kbli} in sub-zone {code} ({sz_name_en}); a verifier must review."
                ),
            ),
            Some(r) => match r.class {
                ItbxClass::X => {
                    p.rejected = true;
                    let (effect, id, en) = if building_here {
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
                    };
                    Finding::new(
                        RuleId::Itbx,
                        Status::Fail,
                        effect,
                        format!(
                            "Kegiatan {kbli} tidak diizinkan (X) di sub-zona {code} ({sz_name}); bagian seluas {} m².{id}",
                            n_id(p.area)
                        ),
                        format!(
                            "Activity {kbli} is not allowed (X) in sub-zone {code} ({sz_name_en}); part of {} m².{en}",
                            n_en(p.area)
                        ),
                    )
                    .geometry(metric(merged(&p.polys)))
                }
                ItbxClass::T | ItbxClass::B => {
                    let codes = r.condition_codes.join(", ");
                    let (kid, ken) = if r.class == ItbxClass::T {
                        ("terbatas (T)", "limited (T)")
                    } else {
                        ("bersyarat (B)", "conditional (B)")
                    };
                    let mut f = Finding::new(
                        RuleId::Itbx,
                        Status::Condition,
                        Effect::Condition,
                        format!(
                            "Kegiatan {kbli} diizinkan {kid} di sub-zona {code} ({sz_name}) dengan ketentuan {codes}."
                        ),
                        format!(
                            "Activity {kbli} is allowed as {ken} in sub-zone {code} ({sz_name_en}) under conditions {codes}."
                        ),
                    );
                    f.conditions = itbx_conditions(rs, &r.condition_codes);
                    f
                }
                ItbxClass::I => Finding::new(
                    RuleId::Itbx,
                    Status::Pass,
                    Effect::None,
                    format!("Kegiatan {kbli} diizinkan (I) di sub-zona {code} ({sz_name})."),
                    format!("Activity {kbli} is allowed (I) in sub-zone {code} ({sz_name_en})."),
                ),
            },
        };
        findings.push(f.zone(p.zone.id, code).values(Some(p.area), None, "m2"));
        if p.rejected {
            removed.push(merged(&p.polys));
        }

        if !p.subzone.buildable && class != Some(ItbxClass::X) {
            let f = if building_here {
                Finding::new(
                    RuleId::Buildable,
                    Status::Fail,
                    Effect::Reject,
                    format!(
                        "Sub-zona {code} ({sz_name}) tidak boleh dibangun, tetapi {} m² tapak bangunan berada di sana.",
                        n_id(p.footprint_on)
                    ),
                    format!(
                        "Sub-zone {code} ({sz_name_en}) allows no building, but {} m² of the footprint stands on it.",
                        n_en(p.footprint_on)
                    ),
                )
                .values(Some(p.footprint_on), Some(0.0), "m2")
                .geometry(fp_pieces.as_ref().map(|fpp| intersection_with(fpp, &p.polys)).and_then(metric))
            } else {
                Finding::new(
                    RuleId::Buildable,
                    Status::Condition,
                    Effect::Condition,
                    format!("Bagian persil seluas {} m² di sub-zona {code} ({sz_name}) harus bebas bangunan.", n_id(p.area)),
                    format!("The {} m² of the parcel in sub-zone {code} ({sz_name_en}) must stay free of buildings.", n_en(p.area)),
                )
                .values(Some(p.area), None, "m2")
                .geometry(metric(merged(&p.polys)))
            };
            let mut f = f.zone(p.zone.id, code);
            if f.status == Status::Condition {
                f.conditions = vec![ConditionText {
                    code: format!("bebas-bangunan-{}", p.zone.id),
                    text_id: f.message_id.clone(),
                    text_en: f.message_en.clone(),
                }];
            }
            findings.push(f);
        }
    }

    // Overlays touching the parcel, sorted by kind then id.
    let acc = clip(&rs.overlay_layer, &pieces, &mut cand);
    let mut hits: Vec<Hit> = acc
        .into_iter()
        .filter(|(_, (area, _))| !tol.is_sliver(*area, parcel_area))
        .map(|(owner, (area, polys))| Hit {
            overlay: &rs.overlays[owner as usize],
            polys,
            area,
        })
        .collect();
    hits.sort_by(|a, b| {
        a.overlay
            .kind
            .cmp(&b.overlay.kind)
            .then(a.overlay.id.cmp(&b.overlay.id))
    });

    // No-building overlays first: they shape the approvable area.
    for h in hits.iter().filter(|h| h.overlay.no_building) {
        let o = h.overlay;
        let (lid, len) = o.kind.label();
        let name = &o.name;
        let f = match &fp_pieces {
            Some(fpp) => {
                let inside = overlap_area(fpp, &h.polys);
                if inside > tol.footprint_overlap_m2 {
                    Finding::new(
                        overlay_rule(o.kind),
                        Status::Fail,
                        Effect::Reject,
                        format!("Tapak bangunan seluas {} m² berada di {lid} \"{name}\", kawasan tanpa bangunan.", n_id(inside)),
                        format!("{} m² of the footprint lies in the {len} \"{name}\", where no building is allowed.", n_en(inside)),
                    )
                    .values(Some(inside), Some(0.0), "m2")
                    .geometry(metric(intersection_with(fpp, &h.polys)))
                } else {
                    let mut f = Finding::new(
                        overlay_rule(o.kind),
                        Status::Condition,
                        Effect::Condition,
                        format!(
                            "Bagian persil seluas {} m² berada di {lid} \"{name}\" dan harus bebas bangunan; tapak bangunan di luarnya.",
                            n_id(h.area)
                        ),
                        format!(
                            "{} m² of the parcel lies in the {len} \"{name}\" and must stay free of buildings; the footprint is outside it.",
                            n_en(h.area)
                        ),
                    )
                    .values(Some(inside), Some(0.0), "m2")
                    .geometry(metric(merged(&h.polys)));
                    f.conditions = vec![overlay_condition(o)];
                    f
                }
            }
            None => {
                removed.push(merged(&h.polys));
                Finding::new(
                    overlay_rule(o.kind),
                    Status::Fail,
                    Effect::RejectPart,
                    format!(
                        "Bagian persil seluas {} m² berada di {lid} \"{name}\", kawasan tanpa bangunan; bagian ini dikeluarkan dari persetujuan.",
                        n_id(h.area)
                    ),
                    format!(
                        "{} m² of the parcel lies in the {len} \"{name}\", where no building is allowed; this part is excluded from the approval.",
                        n_en(h.area)
                    ),
                )
                .values(Some(h.area), Some(0.0), "m2")
                .geometry(metric(merged(&h.polys)))
            }
        };
        let mut f = f;
        f.overlay_id = Some(o.id);
        findings.push(f);
    }

    // remainder: the approvable area.
    let partial = !removed.is_empty();
    let base: Cow<MultiPolygon<f64>> = if partial {
        let mut g = parcel.clone();
        for r in &removed {
            g = g.difference(r);
        }
        Cow::Owned(g)
    } else {
        Cow::Borrowed(parcel)
    };
    let base_area = if partial {
        base.unsigned_area()
    } else {
        parcel_area
    };
    let nothing_left = partial && tol.is_sliver(base_area, parcel_area);
    if partial {
        findings.push(if nothing_left {
            Finding::new(
                RuleId::Remainder,
                Status::Fail,
                Effect::Reject,
                "Tidak ada bagian persil yang memenuhi ketentuan.".into(),
                "No part of the parcel meets the rules.".into(),
            )
            .values(Some(base_area), None, "m2")
        } else {
            Finding::new(
                RuleId::Remainder,
                Status::Pass,
                Effect::None,
                format!(
                    "Bagian persil yang memenuhi ketentuan: {} m² dari {} m² ({}%).",
                    n_id(base_area),
                    n_id(parcel_area),
                    n_id(base_area / parcel_area * 100.0)
                ),
                format!(
                    "Part of the parcel that meets the rules: {} m² of {} m² ({}%).",
                    n_en(base_area),
                    n_en(parcel_area),
                    n_en(base_area / parcel_area * 100.0)
                ),
            )
            .values(Some(base_area), None, "m2")
        });
    }

    // land_area
    if let Some(d) = input.declared_land_area_m2 {
        let diff = (d - parcel_area).abs() / parcel_area * 100.0;
        let limit = tol.declared_area_rel * 100.0;
        let f = if r2(diff) > limit {
            Finding::new(
                RuleId::LandArea,
                Status::Fail,
                Effect::Review,
                format!(
                    "Luas lahan yang dinyatakan {} m² berbeda {}% dari luas terukur {} m² (batas {}%); perlu pemeriksaan verifikator.",
                    n_id(d),
                    n_id(diff),
                    n_id(parcel_area),
                    n_id(limit)
                ),
                format!(
                    "The declared land area {} m² differs by {}% from the measured {} m² (limit {}%); a verifier must check.",
                    n_en(d),
                    n_en(diff),
                    n_en(parcel_area),
                    n_en(limit)
                ),
            )
        } else {
            Finding::new(
                RuleId::LandArea,
                Status::Pass,
                Effect::None,
                format!(
                    "Luas yang dinyatakan {} m² sesuai dengan luas terukur {} m².",
                    n_id(d),
                    n_id(parcel_area)
                ),
                format!(
                    "The declared area {} m² agrees with the measured {} m².",
                    n_en(d),
                    n_en(parcel_area)
                ),
            )
        };
        findings.push(f.values(Some(diff), Some(limit), "pct"));
    }

    // footprint_within_parcel, footprint_area
    if let (Some(fp), Some(fpa)) = (footprint, fp_poly_area) {
        let outside = (fpa - fp.intersection(parcel).unsigned_area()).max(0.0);
        findings.push(if outside > tol.footprint_overlap_m2 {
            Finding::new(
                RuleId::FootprintWithinParcel,
                Status::Fail,
                Effect::Reject,
                format!(
                    "Tapak bangunan seluas {} m² berada di luar persil.",
                    n_id(outside)
                ),
                format!(
                    "{} m² of the footprint lies outside the parcel.",
                    n_en(outside)
                ),
            )
            .values(Some(outside), Some(0.0), "m2")
            .geometry(metric(fp.difference(parcel)))
        } else {
            Finding::new(
                RuleId::FootprintWithinParcel,
                Status::Pass,
                Effect::None,
                "Tapak bangunan berada di dalam persil.".into(),
                "The footprint lies inside the parcel.".into(),
            )
            .values(Some(outside), Some(0.0), "m2")
        });
        if let Some(fig) = b.footprint_m2 {
            let diff = (fig - fpa).abs() / fpa * 100.0;
            let limit = tol.declared_area_rel * 100.0;
            findings.push(
                if r2(diff) > limit {
                    Finding::new(
                        RuleId::FootprintArea,
                        Status::Fail,
                        Effect::Review,
                        format!(
                            "Luas tapak yang diisi {} m² berbeda {}% dari tapak yang digambar {} m² (batas {}%).",
                            n_id(fig),
                            n_id(diff),
                            n_id(fpa),
                            n_id(limit)
                        ),
                        format!(
                            "The footprint figure {} m² differs by {}% from the drawn footprint {} m² (limit {}%).",
                            n_en(fig),
                            n_en(diff),
                            n_en(fpa),
                            n_en(limit)
                        ),
                    )
                } else {
                    Finding::new(
                        RuleId::FootprintArea,
                        Status::Pass,
                        Effect::None,
                        format!("Luas tapak yang diisi {} m² sesuai dengan tapak yang digambar {} m².", n_id(fig), n_id(fpa)),
                        format!("The footprint figure {} m² agrees with the drawn footprint {} m².", n_en(fig), n_en(fpa)),
                    )
                }
                .values(Some(diff), Some(limit), "pct"),
            );
        }
    }

    // Intensity, over the parts the building uses.
    let fp_min = fp_poly_area
        .map(|a| tol.footprint_overlap_m2.min(a / 2.0))
        .unwrap_or(0.0);
    let used: Vec<(&Part, Option<&ZoneRule>)> = if nothing_left {
        Vec::new()
    } else {
        parts
            .iter()
            .filter(|p| {
                !p.sliver
                    && !p.rejected
                    && p.subzone.buildable
                    && (footprint.is_none() || p.footprint_on > fp_min)
            })
            .map(|p| (p, rs.zone_rule(&p.zone.subzone_code, variant)))
            .collect()
    };
    let missing: Vec<&str> = used
        .iter()
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p.zone.subzone_code.as_str())
        .collect();
    if !missing.is_empty() {
        let list = missing.join(", ");
        findings.push(Finding::new(
            RuleId::IntensityRules,
            Status::Info,
            Effect::Review,
            format!(
                "Ketentuan intensitas untuk sub-zona {list} belum ada; perlu kajian verifikator."
            ),
            format!("There is no intensity rule for sub-zone {list}; a verifier must review."),
        ));
    }
    let height = match (b.height_m, b.floors) {
        (Some(h), _) => Height::Given(h),
        (None, Some(f)) => Height::FromFloors(f as f64 * tol.metres_per_floor, f),
        _ => Height::Unknown,
    };
    if !used.is_empty() {
        let base_id = n_id(base_area);
        let base_en = n_en(base_area);

        // min_parcel
        if let Some((limit, part)) = strictest(&used, false, |r| r.min_parcel_m2) {
            let code = &part.zone.subzone_code;
            let f = if r2(base_area) < limit {
                Finding::new(
                    RuleId::MinParcel,
                    Status::Fail,
                    Effect::Reject,
                    format!(
                        "Luas lahan {base_id} m² di bawah luas kavling minimum {} m² (sub-zona {code}).",
                        n_id(limit)
                    ),
                    format!(
                        "The land area {base_en} m² is below the minimum parcel size {} m² (sub-zone {code}).",
                        n_en(limit)
                    ),
                )
            } else {
                Finding::new(
                    RuleId::MinParcel,
                    Status::Pass,
                    Effect::None,
                    format!(
                        "Luas lahan {base_id} m² memenuhi luas kavling minimum {} m² (sub-zona {code}).",
                        n_id(limit)
                    ),
                    format!(
                        "The land area {base_en} m² meets the minimum parcel size {} m² (sub-zone {code}).",
                        n_en(limit)
                    ),
                )
            };
            findings.push(
                f.zone(part.zone.id, code)
                    .values(Some(base_area), Some(limit), "m2"),
            );
        }

        // kdb, klb, kdh, ktb
        struct Ratio<'r> {
            rule: RuleId,
            name: &'static str,
            what_id: &'static str,
            what_en: &'static str,
            figure: Option<f64>,
            max: bool,
            percent: bool,
            get: &'r dyn Fn(&ZoneRule) -> Option<f64>,
        }
        let ratios = [
            Ratio {
                rule: RuleId::Kdb,
                name: "KDB",
                what_id: "luas tapak",
                what_en: "footprint",
                figure: footprint_area,
                max: true,
                percent: true,
                get: &|r| r.kdb_max_pct,
            },
            Ratio {
                rule: RuleId::Klb,
                name: "KLB",
                what_id: "luas lantai total",
                what_en: "total floor area",
                figure: b.floor_area_m2,
                max: true,
                percent: false,
                get: &|r| r.klb_max,
            },
            Ratio {
                rule: RuleId::Kdh,
                name: "KDH",
                what_id: "ruang hijau",
                what_en: "green area",
                figure: b.green_m2,
                max: false,
                percent: true,
                get: &|r| r.kdh_min_pct,
            },
            Ratio {
                rule: RuleId::Ktb,
                name: "KTB",
                what_id: "luas basemen",
                what_en: "basement area",
                figure: b.basement_m2,
                max: true,
                percent: true,
                get: &|r| r.ktb_max_pct,
            },
        ];
        for r in &ratios {
            let limit = strictest(&used, r.max, r.get);
            let name = r.name;
            let (unit, sfx) = if r.percent {
                ("pct", "%")
            } else {
                ("ratio", "")
            };
            let (bound_id, bound_en) = if r.max {
                ("maksimum", "maximum")
            } else {
                ("minimum", "minimum")
            };
            let f = match (r.figure, limit) {
                (None, None) => continue,
                (None, Some((l, part))) => {
                    let code = &part.zone.subzone_code;
                    Finding::new(
                        r.rule,
                        Status::Info,
                        Effect::None,
                        format!("{name} tidak diperiksa: {} tidak diisi (batas {bound_id} {}{sfx}, sub-zona {code}).", r.what_id, n_id(l)),
                        format!("{name} not checked: the {} was not given ({bound_en} {}{sfx}, sub-zone {code}).", r.what_en, n_en(l)),
                    )
                    .zone(part.zone.id, code)
                    .values(None, Some(l), unit)
                }
                (Some(v), limit) => {
                    let m = if r.percent {
                        v / base_area * 100.0
                    } else {
                        v / base_area
                    };
                    let shown = r2(m);
                    let what = format!("{} {} m² / luas lahan {base_id} m²", r.what_id, n_id(v));
                    let what_en = format!("{} {} m² / land area {base_en} m²", r.what_en, n_en(v));
                    match limit {
                        None => Finding::new(
                            r.rule,
                            Status::Info,
                            Effect::None,
                            format!(
                                "{name} {}{sfx} ({what}); tidak diatur untuk sub-zona ini.",
                                n_id(m)
                            ),
                            format!(
                                "{name} {}{sfx} ({what_en}); not regulated for this sub-zone.",
                                n_en(m)
                            ),
                        )
                        .values(Some(m), None, unit),
                        Some((l, part)) => {
                            let code = &part.zone.subzone_code;
                            let ok = if r.max { shown <= l } else { shown >= l };
                            let (status, effect, vid, ven) = if ok {
                                (Status::Pass, Effect::None, "memenuhi", "meets")
                            } else {
                                (
                                    Status::Fail,
                                    Effect::Reject,
                                    "tidak memenuhi",
                                    "does not meet",
                                )
                            };
                            Finding::new(
                                r.rule,
                                status,
                                effect,
                                format!("{name} {}{sfx} ({what}) {vid} batas {bound_id} {}{sfx} (sub-zona {code}).", n_id(m), n_id(l)),
                                format!("{name} {}{sfx} ({what_en}) {ven} the {bound_en} of {}{sfx} (sub-zone {code}).", n_en(m), n_en(l)),
                            )
                            .zone(part.zone.id, code)
                            .values(Some(m), Some(l), unit)
                        }
                    }
                }
            };
            findings.push(f);
        }

        // height
        let hl = strictest(&used, true, |r| r.height_max_m);
        let (note_id, note_en) = height.note(tol);
        match (height.value(), hl) {
            (None, None) => {}
            (None, Some((l, part))) => {
                let code = &part.zone.subzone_code;
                findings.push(
                    Finding::new(
                        RuleId::Height,
                        Status::Info,
                        Effect::None,
                        format!("Tinggi bangunan tidak diperiksa: tinggi dan jumlah lantai tidak diisi (batas {} m, sub-zona {code}).", n_id(l)),
                        format!("Height not checked: neither height nor floors were given (limit {} m, sub-zone {code}).", n_en(l)),
                    )
                    .zone(part.zone.id, code)
                    .values(None, Some(l), "m"),
                );
            }
            (Some(h), None) => findings.push(
                Finding::new(
                    RuleId::Height,
                    Status::Info,
                    Effect::None,
                    format!(
                        "Tinggi bangunan {} m{note_id}; tidak diatur untuk sub-zona ini.",
                        n_id(h)
                    ),
                    format!(
                        "Building height {} m{note_en}; not regulated for this sub-zone.",
                        n_en(h)
                    ),
                )
                .values(Some(h), None, "m"),
            ),
            (Some(h), Some((l, part))) => {
                let code = &part.zone.subzone_code;
                let f = if r2(h) > l {
                    Finding::new(
                        RuleId::Height,
                        Status::Fail,
                        Effect::Reject,
                        format!(
                            "Tinggi bangunan {} m{note_id} melebihi batas {} m (sub-zona {code}).",
                            n_id(h),
                            n_id(l)
                        ),
                        format!(
                            "Building height {} m{note_en} exceeds the limit of {} m (sub-zone {code}).",
                            n_en(h),
                            n_en(l)
                        ),
                    )
                } else {
                    Finding::new(
                        RuleId::Height,
                        Status::Pass,
                        Effect::None,
                        format!(
                            "Tinggi bangunan {} m{note_id} memenuhi batas {} m (sub-zona {code}).",
                            n_id(h),
                            n_id(l)
                        ),
                        format!(
                            "Building height {} m{note_en} is within the limit of {} m (sub-zone {code}).",
                            n_en(h),
                            n_en(l)
                        ),
                    )
                };
                findings.push(f.zone(part.zone.id, code).values(Some(h), Some(l), "m"));
            }
        }

        // floors
        let fl = strictest(&used, true, |r| r.floors_max.map(f64::from));
        match (b.floors, fl) {
            (Some(n), Some((l, part))) => {
                let code = &part.zone.subzone_code;
                let f = if n as f64 > l {
                    Finding::new(
                        RuleId::Floors,
                        Status::Fail,
                        Effect::Reject,
                        format!(
                            "Jumlah lantai {n} melebihi batas {} lantai (sub-zona {code}).",
                            n_id(l)
                        ),
                        format!(
                            "{n} floors exceed the limit of {} floors (sub-zone {code}).",
                            n_en(l)
                        ),
                    )
                } else {
                    Finding::new(
                        RuleId::Floors,
                        Status::Pass,
                        Effect::None,
                        format!(
                            "Jumlah lantai {n} memenuhi batas {} lantai (sub-zona {code}).",
                            n_id(l)
                        ),
                        format!(
                            "{n} floors are within the limit of {} floors (sub-zone {code}).",
                            n_en(l)
                        ),
                    )
                };
                findings.push(
                    f.zone(part.zone.id, code)
                        .values(Some(n as f64), Some(l), "floors"),
                );
            }
            (None, Some((l, part))) => {
                let code = &part.zone.subzone_code;
                findings.push(
                    Finding::new(
                        RuleId::Floors,
                        Status::Info,
                        Effect::None,
                        format!("Jumlah lantai tidak diisi (batas {} lantai, sub-zona {code}).", n_id(l)),
                        format!("The number of floors was not given (limit {} floors, sub-zone {code}).", n_en(l)),
                    )
                    .zone(part.zone.id, code)
                    .values(None, Some(l), "floors"),
                );
            }
            (Some(n), None) => findings.push(
                Finding::new(
                    RuleId::Floors,
                    Status::Info,
                    Effect::None,
                    format!("Jumlah lantai {n}; tidak diatur untuk sub-zona ini."),
                    format!("{n} floors; not regulated for this sub-zone."),
                )
                .values(Some(n as f64), None, "floors"),
            ),
            (None, None) => {}
        }

        // gsb
        let gl = strictest(&used, false, |r| r.gsb_min_m);
        findings.push(gsb_finding(rs, footprint, &base, gl, tol));
    }

    // Other overlays: KKOP height, KRB, heritage, conditions.
    for h in hits
        .iter()
        .filter(|h| !h.overlay.no_building || h.overlay.kind == OverlayKind::Kkop)
    {
        let o = h.overlay;
        let (lid, len) = o.kind.label();
        let name = &o.name;
        let mut f = if o.kind == OverlayKind::Kkop {
            let mass: Option<MultiPolygon<f64>> = fp_pieces
                .as_ref()
                .map(|fpp| intersection_with(fpp, &h.polys));
            let (note_id, note_en) = height.note(tol);
            match (o.height_max_m, height.value()) {
                _ if mass.as_ref().is_some_and(|m| m.unsigned_area() <= tol.footprint_overlap_m2) => Finding::new(
                    RuleId::OverlayKkop,
                    Status::Pass,
                    Effect::None,
                    format!("Persil menyentuh {lid} \"{name}\", tetapi tapak bangunan berada di luarnya."),
                    format!("The parcel touches the {len} \"{name}\", but the footprint is outside it."),
                ),
                (Some(l), Some(hv)) if r2(hv) > l => Finding::new(
                    RuleId::OverlayKkop,
                    Status::Fail,
                    Effect::Reject,
                    format!("Tinggi bangunan {} m{note_id} melebihi batas KKOP {} m (\"{name}\").", n_id(hv), n_id(l)),
                    format!("Building height {} m{note_en} exceeds the KKOP limit of {} m (\"{name}\").", n_en(hv), n_en(l)),
                )
                .values(Some(hv), Some(l), "m")
                .geometry(metric(mass.unwrap_or_else(|| merged(&h.polys)))),
                (Some(l), Some(hv)) => {
                    let mut f = Finding::new(
                        RuleId::OverlayKkop,
                        Status::Pass,
                        Effect::None,
                        format!("Tinggi bangunan {} m{note_id} memenuhi batas KKOP {} m (\"{name}\").", n_id(hv), n_id(l)),
                        format!("Building height {} m{note_en} is within the KKOP limit of {} m (\"{name}\").", n_en(hv), n_en(l)),
                    )
                    .values(Some(hv), Some(l), "m");
                    if o.condition_id.is_some() && o.condition_en.is_some() {
                        f.status = Status::Condition;
                        f.effect = Effect::Condition;
                        f.conditions = vec![overlay_condition(o)];
                    }
                    f
                }
                (limit, hv) => {
                    let (mid, men) = if hv.is_none() {
                        ("tinggi bangunan tidak diketahui dan wajib mengikuti batas KKOP", "the building height is unknown and must follow the KKOP limit")
                    } else {
                        ("batas tingginya belum ditetapkan; wajib rekomendasi otoritas bandar udara", "its height limit is not set; an airport authority recommendation is required")
                    };
                    let mut f = Finding::new(
                        RuleId::OverlayKkop,
                        Status::Condition,
                        Effect::Condition,
                        format!("Persil berada di {lid} \"{name}\"; {mid}."),
                        format!("The parcel lies in the {len} \"{name}\"; {men}."),
                    )
                    .values(hv, limit, "m");
                    f.conditions = vec![overlay_condition(o)];
                    f
                }
            }
        } else {
            let extra = match (o.kind, &o.hazard, &o.hazard_level) {
                (OverlayKind::Krb, Some(hz), Some(lv)) => (
                    format!(" (bencana {hz}, tingkat {lv})"),
                    format!(" (hazard {hz}, level {lv})"),
                ),
                _ => (String::new(), String::new()),
            };
            let mut f = Finding::new(
                overlay_rule(o.kind),
                Status::Condition,
                Effect::Condition,
                format!(
                    "Bagian persil seluas {} m² berada di {lid} \"{name}\"{}.",
                    n_id(h.area),
                    extra.0
                ),
                format!(
                    "{} m² of the parcel lies in the {len} \"{name}\"{}.",
                    n_en(h.area),
                    extra.1
                ),
            )
            .values(Some(h.area), None, "m2")
            .geometry(metric(merged(&h.polys)));
            f.conditions = vec![overlay_condition(o)];
            f
        };
        f.overlay_id = Some(o.id);
        findings.push(f);
    }
    if hits.is_empty() {
        findings.push(Finding::new(
            RuleId::Overlays,
            Status::Pass,
            Effect::None,
            "Persil tidak terkena ketentuan khusus (sempadan, KKOP, rawan bencana, cagar budaya, kawasan lindung).".into(),
            "No special provision (setback, KKOP, hazard, heritage, protected area) touches the parcel.".into(),
        ));
    }

    // parcel_overlap
    let acc = clip(&rs.parcel_layer, &pieces, &mut cand);
    let threshold = tol.overlap_min_m2.min(tol.overlap_min_share * parcel_area);
    let mut largest: f64 = 0.0;
    let mut any = false;
    for (owner, (area, polys)) in &acc {
        let reg = &rs.parcels[*owner as usize];
        largest = largest.max(*area);
        if r2(*area) <= threshold {
            continue;
        }
        any = true;
        let label = reg
            .parcel_number
            .clone()
            .unwrap_or_else(|| format!("#{}", reg.id));
        let share = area / parcel_area * 100.0;
        let same = tol.same_parcel_share;
        if *area >= same * parcel_area && *area >= same * rs.parcel_areas[*owner as usize] {
            let mut f = Finding::new(
                RuleId::ParcelOverlap,
                Status::Info,
                Effect::None,
                format!(
                    "Persil ini sama dengan persil terdaftar {label} ({}% berhimpit).",
                    n_id(share)
                ),
                format!(
                    "The parcel is registered parcel {label} ({}% coincident).",
                    n_en(share)
                ),
            )
            .values(Some(*area), Some(threshold), "m2");
            f.parcel_id = Some(reg.id);
            findings.push(f);
            continue;
        }
        let mut f = Finding::new(
            RuleId::ParcelOverlap,
            Status::Fail,
            Effect::Review,
            format!(
                "Persil tumpang tindih {} m² ({}%) dengan persil terdaftar {label}; perlu pemeriksaan verifikator.",
                n_id(*area),
                n_id(share)
            ),
            format!(
                "The parcel overlaps registered parcel {label} by {} m² ({}%); a verifier must check.",
                n_en(*area),
                n_en(share)
            ),
        )
        .values(Some(*area), Some(threshold), "m2")
        .geometry(metric(merged(polys)));
        f.parcel_id = Some(reg.id);
        findings.push(f);
    }
    if !any {
        findings.push(
            Finding::new(
                RuleId::ParcelOverlap,
                Status::Pass,
                Effect::None,
                "Persil tidak tumpang tindih dengan persil terdaftar.".into(),
                "The parcel does not overlap a registered parcel.".into(),
            )
            .values(Some(largest), Some(threshold), "m2"),
        );
    }

    findings.sort_by_key(|f| f.rule);

    // Outcome.
    let has = |e: Effect| findings.iter().any(|f| f.effect == e);
    let outcome = if has(Effect::Reject) {
        Outcome::Ditolak
    } else if has(Effect::Review) {
        Outcome::PerluKajian
    } else if has(Effect::RejectPart) {
        Outcome::DisetujuiSebagian
    } else if has(Effect::Condition) {
        Outcome::DisetujuiBersyarat
    } else {
        Outcome::Disetujui
    };

    let mut conditions: Vec<ConditionText> = findings
        .iter()
        .filter(|f| f.effect == Effect::Condition)
        .flat_map(|f| f.conditions.iter().cloned())
        .collect();
    conditions.sort();
    conditions.dedup_by(|a, b| a.code == b.code);

    let approvable = if nothing_left { 0.0 } else { base_area };
    let (summary_id, summary_en) = summary(
        outcome,
        &findings,
        conditions.len(),
        approvable,
        parcel_area,
        kbli,
    );
    let compliant_polygon = match outcome {
        Outcome::DisetujuiSebagian | Outcome::PerluKajian if partial && !nothing_left => {
            metric(base.into_owned())
        }
        _ => None,
    };

    let zone_part = |p: &Part| ZonePart {
        zone_id: p.zone.id,
        zone_code: p.zone.zone_code.clone(),
        subzone_code: p.zone.subzone_code.clone(),
        subzone_name: p.subzone.name.clone(),
        area_m2: r2(p.area),
        share: round_to(p.area / parcel_area, 0.0001),
        itbx: if p.sliver {
            None
        } else {
            p.itbx.map(|r| r.class)
        },
        condition_codes: if p.sliver {
            Vec::new()
        } else {
            p.itbx
                .map(|r| r.condition_codes.clone())
                .unwrap_or_default()
        },
    };

    Ok(Decision {
        outcome,
        summary_id,
        summary_en,
        plan_id: rs.plan.id,
        plan_version: rs.plan.version,
        kbli: activity.kbli_code.clone(),
        activity_title: activity.title.clone(),
        parcel_area_m2: r2(parcel_area),
        zones: parts.iter().filter(|p| !p.sliver).map(zone_part).collect(),
        ignored_slivers: parts.iter().filter(|p| p.sliver).map(zone_part).collect(),
        findings,
        conditions,
        approvable_area_m2: r2(approvable),
        compliant_polygon,
    })
}

fn gsb_finding(
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
    match limit {
        None => Finding::new(
            RuleId::Gsb,
            Status::Info,
            Effect::None,
            format!("Jarak bangunan ke batas persil yang menghadap jalan {} m; GSB tidak diatur untuk sub-zona ini.", n_id(d)),
            format!("The building is {} m from the road-facing parcel edge; no GSB is set for this sub-zone.", n_en(d)),
        )
        .values(Some(d), None, "m"),
        Some((l, part)) => {
            let code = &part.zone.subzone_code;
            if r2(d) < l {
                let lines = MultiLineString::new(frontage.iter().map(|l| LineString::from(vec![l.start, l.end])).collect());
                let setback = lines.buffer(l);
                Finding::new(
                    RuleId::Gsb,
                    Status::Fail,
                    Effect::Reject,
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
                )
                .zone(part.zone.id, code)
                .values(Some(d), Some(l), "m")
                .geometry(metric(fp.intersection(&setback)))
            } else {
                Finding::new(
                    RuleId::Gsb,
                    Status::Pass,
                    Effect::None,
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
                )
                .zone(part.zone.id, code)
                .values(Some(d), Some(l), "m")
            }
        }
    }
}

fn summary(
    outcome: Outcome,
    findings: &[Finding],
    n_conditions: usize,
    approvable: f64,
    parcel_area: f64,
    kbli: &str,
) -> (String, String) {
    let rules_with = |e: Effect| {
        let mut v: Vec<&str> = findings
            .iter()
            .filter(|f| f.effect == e)
            .map(|f| f.rule.as_str())
            .collect();
        v.dedup();
        v.join(", ")
    };
    match outcome {
        Outcome::Disetujui => (
            format!("Disetujui: kegiatan {kbli} sesuai dengan rencana tata ruang."),
            format!("Approved: activity {kbli} fits the zoning plan."),
        ),
        Outcome::DisetujuiBersyarat => (
            format!(
                "Disetujui bersyarat: kegiatan {kbli} diizinkan dengan {n_conditions} ketentuan."
            ),
            format!(
                "Approved with conditions: activity {kbli} is allowed under {n_conditions} condition(s)."
            ),
        ),
        Outcome::DisetujuiSebagian => (
            format!(
                "Disetujui sebagian: {} m² dari {} m² persil memenuhi ketentuan ({}).",
                n_id(approvable),
                n_id(parcel_area),
                rules_with(Effect::RejectPart)
            ),
            format!(
                "Approved in part: {} m² of the {} m² parcel meets the rules ({}).",
                n_en(approvable),
                n_en(parcel_area),
                rules_with(Effect::RejectPart)
            ),
        ),
        Outcome::Ditolak => (
            format!(
                "Ditolak: ketentuan tidak dipenuhi ({}).",
                rules_with(Effect::Reject)
            ),
            format!("Rejected: rules not met ({}).", rules_with(Effect::Reject)),
        ),
        Outcome::PerluKajian => (
            format!("Perlu kajian verifikator ({}).", rules_with(Effect::Review)),
            format!(
                "Needs a verifier's review ({}).",
                rules_with(Effect::Review)
            ),
        ),
    }
}
