//! Overlays (special provisions): the no-building ones, which shape the approvable area, and
//! the others (KKOP height, KRB, heritage), which attach conditions.

use geo::{Area, MultiPolygon, Polygon};

use super::super::crs::r2;
use super::super::decision::{ConditionText, Effect, Finding, RuleId, Status};
use super::super::ruleset::{Overlay, OverlayKind};
use super::super::text::{n_en, n_id};
use super::intensity::Height;
use super::parts::{Pieces, clip, intersection_with, merged, metric, overlap_area};
use super::{Ctx, Out};

/// One overlay's part of the parcel.
pub(super) struct Hit<'a> {
    pub(super) overlay: &'a Overlay,
    pub(super) polys: Vec<Polygon<f64>>,
    pub(super) area: f64,
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

/// The overlays touching the parcel (more than a sliver), sorted by kind then id.
pub(super) fn hits<'a>(cx: &Ctx<'a>, pieces: &Pieces<'_>, cand: &mut Vec<u32>) -> Vec<Hit<'a>> {
    let Ctx {
        rs,
        tol,
        parcel_area,
        ..
    } = *cx;
    let acc = clip(&rs.overlay_layer, pieces, cand);
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
    hits
}

/// No-building overlays (setbacks, protected land): building mass inside is refused.
pub(super) fn no_building(cx: &Ctx<'_>, hits: &[Hit<'_>], out: &mut Out) {
    let Ctx { tol, fp_pieces, .. } = *cx;
    let Out { findings, removed } = out;
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
}

/// Other overlays: KKOP height, KRB, heritage, conditions; `overlays` passes when none touches.
pub(super) fn others(cx: &Ctx<'_>, hits: &[Hit<'_>], height: Height, findings: &mut Vec<Finding>) {
    let Ctx { tol, fp_pieces, .. } = *cx;
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
}
