//! Intensity: `intensity_rules`, `min_parcel`, `kdb`, `klb`, `kdh`, `ktb`, `height`, `floors`
//! and `gsb` ([`super::setbacks`]), each against the strictest limit among the zone parts the
//! building uses.

use super::super::crs::r2;
use super::super::decision::{Effect, Finding, RuleId, Status};
use super::super::input::{BuildingFigures, CheckInput};
use super::super::ruleset::{Tolerances, ZoneRule};
use super::super::text::{n_en, n_id};
use super::Ctx;
use super::outcome::Approvable;
use super::parts::Part;
use super::setbacks::gsb_finding;

#[derive(Clone, Copy)]
pub(super) enum Height {
    Given(f64),
    /// Estimated from floors × metres per floor.
    FromFloors(f64, i64),
    Unknown,
}

impl Height {
    pub(super) fn value(self) -> Option<f64> {
        match self {
            Height::Given(h) | Height::FromFloors(h, _) => Some(h),
            Height::Unknown => None,
        }
    }

    pub(super) fn note(self, tol: &Tolerances) -> (String, String) {
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

impl Height {
    /// `height_m`, else floors × metres per floor.
    pub(super) fn of(b: &BuildingFigures, tol: &Tolerances) -> Height {
        match (b.height_m, b.floors) {
            (Some(h), _) => Height::Given(h),
            (None, Some(f)) => Height::FromFloors(f as f64 * tol.metres_per_floor, f),
            _ => Height::Unknown,
        }
    }
}

/// A zone part the building uses, with its intensity rule (if the plan has one).
pub(super) type Used<'p, 'a> = (&'p Part<'a>, Option<&'a ZoneRule>);

/// or the largest minimum, with the part it came from (first in report order on ties).
pub(super) fn strictest<'p, 'a>(
    used: &[Used<'p, 'a>],
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

/// A figure against the strictest limit: the case a limit finding words.
pub(super) enum Measured<'p> {
    /// A limit but no figure: not checked.
    NotGiven { limit: f64, code: &'p str },
    /// A figure but no limit for the sub-zone: not regulated.
    NotRegulated { value: f64 },
    /// A figure against a limit, `ok` when the limit is met.
    Checked {
        value: f64,
        limit: f64,
        code: &'p str,
        ok: bool,
    },
}

/// The finding for a figure against the strictest limit of the parts (none when neither is
/// there): `info` when one is missing, else `pass` or `reject`. It names the sub-zone the limit
/// came from and carries the value, the limit and `unit`. `ok(value, limit)` says whether the
/// limit is met; `text` words the case in Bahasa Indonesia and English.
pub(super) fn limit_finding(
    rule: RuleId,
    unit: &'static str,
    value: Option<f64>,
    limit: Option<(f64, &Part<'_>)>,
    ok: impl FnOnce(f64, f64) -> bool,
    text: impl FnOnce(&Measured<'_>) -> (String, String),
) -> Option<Finding> {
    let part = limit.map(|(_, p)| p);
    let code = part.map_or("", |p| p.zone.subzone_code.as_str());
    let m = match (value, limit) {
        (None, None) => return None,
        (None, Some((limit, _))) => Measured::NotGiven { limit, code },
        (Some(value), None) => Measured::NotRegulated { value },
        (Some(value), Some((limit, _))) => Measured::Checked {
            value,
            limit,
            code,
            ok: ok(value, limit),
        },
    };
    let (status, effect, measured, limit) = match m {
        Measured::NotGiven { limit, .. } => (Status::Info, Effect::None, None, Some(limit)),
        Measured::NotRegulated { value } => (Status::Info, Effect::None, Some(value), None),
        Measured::Checked {
            value, limit, ok, ..
        } => {
            let (status, effect) = if ok {
                (Status::Pass, Effect::None)
            } else {
                (Status::Fail, Effect::Reject)
            };
            (status, effect, Some(value), Some(limit))
        }
    };
    let (message_id, message_en) = text(&m);
    let f = Finding::new(rule, status, effect, message_id, message_en);
    let f = match part {
        Some(p) => f.zone(p.zone.id, code),
        None => f,
    };
    Some(f.values(measured, limit, unit))
}

/// The intensity findings over the parts the building uses: those under the drawn footprint,
/// or without one every non-removed buildable part; none when nothing is left.
pub(super) fn intensity(
    cx: &Ctx<'_>,
    parts: &[Part<'_>],
    area: &Approvable<'_>,
    input: &CheckInput,
    height: Height,
    findings: &mut Vec<Finding>,
) {
    let Ctx {
        rs,
        tol,
        footprint,
        fp_area,
        ..
    } = *cx;
    let b = &input.building;
    let footprint_area = b.footprint_m2.or(fp_area);
    let variant = input.variant.as_deref().unwrap_or("");
    let base_area = area.base_area;
    let fp_min = fp_area
        .map(|a| tol.footprint_overlap_m2.min(a / 2.0))
        .unwrap_or(0.0);
    let used: Vec<Used> = if area.nothing_left {
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
    if used.is_empty() {
        return;
    }
    let base_id = n_id(base_area);
    let base_en = n_en(base_area);

    // min_parcel (only where a sub-zone sets one)
    let limit = strictest(&used, false, |r| r.min_parcel_m2);
    let value = limit.map(|_| base_area);
    findings.extend(limit_finding(
        RuleId::MinParcel,
        "m2",
        value,
        limit,
        |v, l| r2(v) >= l,
        |m| {
            let &Measured::Checked {
                limit, code, ok, ..
            } = m
            else {
                unreachable!("min_parcel is only measured against a limit")
            };
            let (vid, ven) = if ok {
                ("memenuhi", "meets")
            } else {
                ("di bawah", "is below")
            };
            (
                format!(
                    "Luas lahan {base_id} m² {vid} luas kavling minimum {} m² (sub-zona {code}).",
                    n_id(limit)
                ),
                format!(
                    "The land area {base_en} m² {ven} the minimum parcel size {} m² (sub-zone {code}).",
                    n_en(limit)
                ),
            )
        },
    ));

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
        let value = r.figure.map(|v| {
            if r.percent {
                v / base_area * 100.0
            } else {
                v / base_area
            }
        });
        let what = |v: f64| {
            (
                format!("{} {} m² / luas lahan {base_id} m²", r.what_id, n_id(v)),
                format!("{} {} m² / land area {base_en} m²", r.what_en, n_en(v)),
            )
        };
        findings.extend(limit_finding(
            r.rule,
            unit,
            value,
            strictest(&used, r.max, r.get),
            |m, l| {
                let shown = r2(m);
                if r.max { shown <= l } else { shown >= l }
            },
            |m| match *m {
                Measured::NotGiven { limit: l, code } => (
                    format!("{name} tidak diperiksa: {} tidak diisi (batas {bound_id} {}{sfx}, sub-zona {code}).", r.what_id, n_id(l)),
                    format!("{name} not checked: the {} was not given ({bound_en} {}{sfx}, sub-zone {code}).", r.what_en, n_en(l)),
                ),
                Measured::NotRegulated { value: m } => {
                    let (what, what_en) = what(r.figure.unwrap_or_default());
                    (
                        format!(
                            "{name} {}{sfx} ({what}); tidak diatur untuk sub-zona ini.",
                            n_id(m)
                        ),
                        format!(
                            "{name} {}{sfx} ({what_en}); not regulated for this sub-zone.",
                            n_en(m)
                        ),
                    )
                }
                Measured::Checked {
                    value: m,
                    limit: l,
                    code,
                    ok,
                } => {
                    let (what, what_en) = what(r.figure.unwrap_or_default());
                    let (vid, ven) = if ok {
                        ("memenuhi", "meets")
                    } else {
                        ("tidak memenuhi", "does not meet")
                    };
                    (
                        format!("{name} {}{sfx} ({what}) {vid} batas {bound_id} {}{sfx} (sub-zona {code}).", n_id(m), n_id(l)),
                        format!("{name} {}{sfx} ({what_en}) {ven} the {bound_en} of {}{sfx} (sub-zone {code}).", n_en(m), n_en(l)),
                    )
                }
            },
        ));
    }

    // height
    let (note_id, note_en) = height.note(tol);
    findings.extend(limit_finding(
        RuleId::Height,
        "m",
        height.value(),
        strictest(&used, true, |r| r.height_max_m),
        |h, l| r2(h) <= l,
        |m| match *m {
            Measured::NotGiven { limit: l, code } => (
                format!("Tinggi bangunan tidak diperiksa: tinggi dan jumlah lantai tidak diisi (batas {} m, sub-zona {code}).", n_id(l)),
                format!("Height not checked: neither height nor floors were given (limit {} m, sub-zone {code}).", n_en(l)),
            ),
            Measured::NotRegulated { value: h } => (
                format!(
                    "Tinggi bangunan {} m{note_id}; tidak diatur untuk sub-zona ini.",
                    n_id(h)
                ),
                format!(
                    "Building height {} m{note_en}; not regulated for this sub-zone.",
                    n_en(h)
                ),
            ),
            Measured::Checked {
                value: h,
                limit: l,
                code,
                ok,
            } => {
                let (vid, ven) = if ok {
                    ("memenuhi", "is within")
                } else {
                    ("melebihi", "exceeds")
                };
                (
                    format!(
                        "Tinggi bangunan {} m{note_id} {vid} batas {} m (sub-zona {code}).",
                        n_id(h),
                        n_id(l)
                    ),
                    format!(
                        "Building height {} m{note_en} {ven} the limit of {} m (sub-zone {code}).",
                        n_en(h),
                        n_en(l)
                    ),
                )
            }
        },
    ));

    // floors
    let floors = b.floors.unwrap_or_default();
    findings.extend(limit_finding(
        RuleId::Floors,
        "floors",
        b.floors.map(|n| n as f64),
        strictest(&used, true, |r| r.floors_max.map(f64::from)),
        |n, l| n <= l,
        |m| match *m {
            Measured::NotGiven { limit: l, code } => (
                format!(
                    "Jumlah lantai tidak diisi (batas {} lantai, sub-zona {code}).",
                    n_id(l)
                ),
                format!(
                    "The number of floors was not given (limit {} floors, sub-zone {code}).",
                    n_en(l)
                ),
            ),
            Measured::NotRegulated { .. } => (
                format!("Jumlah lantai {floors}; tidak diatur untuk sub-zona ini."),
                format!("{floors} floors; not regulated for this sub-zone."),
            ),
            Measured::Checked {
                limit: l, code, ok, ..
            } => {
                let (vid, ven) = if ok {
                    ("memenuhi", "are within")
                } else {
                    ("melebihi", "exceed")
                };
                (
                    format!(
                        "Jumlah lantai {floors} {vid} batas {} lantai (sub-zona {code}).",
                        n_id(l)
                    ),
                    format!(
                        "{floors} floors {ven} the limit of {} floors (sub-zone {code}).",
                        n_en(l)
                    ),
                )
            }
        },
    ));

    // gsb
    let gl = strictest(&used, false, |r| r.gsb_min_m);
    findings.push(gsb_finding(rs, footprint, &area.base, gl, tol));
}
