//! `remainder` (the approvable area once parts are removed) and the outcome the findings add
//! up to, with the summary texts.

use std::borrow::Cow;

use geo::{Area, BooleanOps, MultiPolygon};

use super::super::crs::{r2, round_to};
use super::super::decision::{
    ConditionText, Decision, Effect, Finding, Outcome, RuleId, Status, ZonePart,
};
use super::super::ruleset::Activity;
use super::super::text::{n_en, n_id};
use super::parts::{Part, metric};
use super::{Ctx, Out};

/// The approvable area: the parcel minus the removed parts.
pub(super) struct Approvable<'a> {
    pub(super) base: Cow<'a, MultiPolygon<f64>>,
    pub(super) base_area: f64,
    /// Some parts were removed.
    pub(super) partial: bool,
    /// What is left is no more than a sliver.
    pub(super) nothing_left: bool,
}

/// `remainder`: when parts were removed, what is left must be more than a sliver.
pub(super) fn remainder<'a>(cx: &Ctx<'a>, out: &mut Out) -> Approvable<'a> {
    let Ctx {
        tol,
        parcel,
        parcel_area,
        ..
    } = *cx;
    let Out { findings, removed } = out;
    let partial = !removed.is_empty();
    let base: Cow<MultiPolygon<f64>> = if partial {
        let mut g = parcel.clone();
        for r in removed.iter() {
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
    Approvable {
        base,
        base_area,
        partial,
        nothing_left,
    }
}

/// The outcome of the (sorted) findings, and the decision.
pub(super) fn decide(
    cx: &Ctx<'_>,
    activity: &Activity,
    parts: &[Part<'_>],
    findings: Vec<Finding>,
    area: Approvable<'_>,
) -> Decision {
    let Ctx {
        rs,
        parcel_area,
        kbli,
        ..
    } = *cx;
    let Approvable {
        base,
        base_area,
        partial,
        nothing_left,
    } = area;
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

    Decision {
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
