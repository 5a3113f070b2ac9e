//! `itbx` and `buildable`, per zone part: the activity against the ITBX matrix of its sub-zone.

use super::super::decision::{ConditionText, Effect, Finding, RuleId, Status};
use super::super::ruleset::{ItbxClass, RuleSet};
use super::super::text::{n_en, n_id};
use super::parts::{Part, intersection_with, merged, metric, removal};
use super::{Ctx, Out};

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

/// `itbx` and `buildable` for every non-sliver part; an `X` part is removed (`rejected`).
pub(super) fn itbx_and_buildable(cx: &Ctx<'_>, parts: &mut [Part<'_>], out: &mut Out) {
    let Ctx {
        rs,
        tol,
        footprint,
        fp_pieces,
        kbli,
        ..
    } = *cx;
    let Out { findings, removed } = out;
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
                    let (effect, id, en) = removal(building_here);
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
}
