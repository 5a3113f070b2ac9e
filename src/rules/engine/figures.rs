//! The measured parcel against the applicant's figures: `geometry`, `land_area`,
//! `footprint_within_parcel`, `footprint_area`.

use geo::{Area, BooleanOps};

use super::super::crs::r2;
use super::super::decision::{Effect, Finding, RuleId, Status};
use super::super::input::CheckInput;
use super::super::text::{n_en, n_id};
use super::Ctx;
use super::parts::metric;

/// `geometry`: pass, with the measured area.
pub(super) fn geometry(parcel_area: f64) -> Finding {
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
    .values(Some(parcel_area), None, "m2")
}

/// `land_area`: the declared against the measured area.
pub(super) fn land_area(cx: &Ctx<'_>, input: &CheckInput, findings: &mut Vec<Finding>) {
    let Ctx {
        tol, parcel_area, ..
    } = *cx;
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
}

/// `footprint_within_parcel` and `footprint_area` (only with a drawn footprint).
pub(super) fn footprint(cx: &Ctx<'_>, input: &CheckInput, findings: &mut Vec<Finding>) {
    let Ctx {
        tol,
        parcel,
        footprint,
        ..
    } = *cx;
    let b = &input.building;
    let fp_poly_area = cx.fp_area;
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
}
