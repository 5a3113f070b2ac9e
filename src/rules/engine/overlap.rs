//! `parcel_overlap`: overlap with registered parcels.

use super::super::crs::r2;
use super::super::decision::{Effect, Finding, RuleId, Status};
use super::super::text::{n_en, n_id};
use super::Ctx;
use super::parts::{Pieces, clip, merged, metric};

/// One finding per registered parcel overlapping by more than the threshold (or one pass).
pub(super) fn parcel_overlap(
    cx: &Ctx<'_>,
    pieces: &Pieces<'_>,
    cand: &mut Vec<u32>,
    findings: &mut Vec<Finding>,
) {
    let Ctx {
        rs,
        tol,
        parcel_area,
        ..
    } = *cx;
    let acc = clip(&rs.parcel_layer, pieces, cand);
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
}
